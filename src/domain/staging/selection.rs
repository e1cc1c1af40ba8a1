//! Schema selection by primary site, histology and discriminators, and — when several
//! schemas match — which discriminator to ask for and the codes to offer.

use super::algorithm::{Algorithm, KeyInfo, SchemaRef};
use super::engine::{current_year, naaccr_value};
use super::result::{StagingErrorKind, StagingInputs};
use super::table::{KeyId, PairValues, Table, reference_name};

/// Widest numeric range expanded into individual discriminator codes.
const MAX_OPTION_RANGE: i64 = 200;

/// Outcome of schema selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaSelection {
    /// Exactly one schema matches.
    Selected(SchemaRef),
    /// No schema: site or histology missing or invalid, or no selection row matches.
    NoSchema {
        kind: StagingErrorKind,
        reason: String,
        /// NAACCR XML id of the item at fault, when one is.
        key: Option<String>,
    },
    /// Several schemas match; `needed` says which discriminator separates them.
    Ambiguous {
        candidates: Vec<SchemaRef>,
        needed: Option<NeededDiscriminator>,
    },
}

/// The discriminator to ask the registrar for, with the codes that lead to a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeededDiscriminator {
    /// Algorithm key, e.g. `discriminator_1`, `year_dx`, `sex_at_birth`.
    pub key: String,
    /// NAACCR XML id, e.g. `schemaDiscriminator1`, `dateOfDiagnosis`.
    pub naaccr_xml_id: Option<String>,
    /// Display name, e.g. `Schema Discriminator 1: Nasopharynx/Pharyngeal Tonsil`.
    pub name: String,
    pub options: Vec<DiscriminatorOption>,
}

/// One code to offer for a needed discriminator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscriminatorOption {
    pub code: String,
    pub description: String,
    /// The schema this code selects, when it selects exactly one.
    pub schema: Option<SchemaRef>,
}

/// The values a lookup matches on.
#[derive(Debug, Clone)]
pub(crate) struct Lookup<'i> {
    site: Option<&'i str>,
    hist: Option<&'i str>,
    extra: Vec<(KeyId, &'i str)>,
}

fn key_value<'i>(info: &KeyInfo, inputs: &'i StagingInputs) -> Option<&'i str> {
    let raw = match &info.xml_id {
        Some(id) => inputs
            .get(id)
            .or_else(|| info.alias_xml_id.and_then(|a| inputs.get(a))),
        None => inputs.get(&info.name),
    }?;
    Some(naaccr_value(raw, info.year_of_date))
}

impl<'i> Lookup<'i> {
    pub(crate) fn from_inputs(alg: &Algorithm, inputs: &'i StagingInputs) -> Self {
        let value = |key: KeyId| {
            alg.keys
                .get(key as usize)
                .and_then(|i| key_value(i, inputs))
        };
        Lookup {
            site: value(alg.engine_keys.site),
            hist: value(alg.engine_keys.hist),
            extra: alg
                .lookup_keys
                .iter()
                .filter_map(|k| value(*k).map(|v| (*k, v)))
                .collect(),
        }
    }
}

impl Algorithm {
    /// Selects the schema for a tumor from primary site, histology and the discriminators
    /// present (year of diagnosis, sex, behavior, schema discriminators 1-3).
    pub fn select_schema(&self, inputs: &StagingInputs) -> SchemaSelection {
        self.select(inputs, &current_year().to_string())
    }

    pub(crate) fn select_with(&self, lookup: &Lookup<'_>, year_text: &str) -> SchemaSelection {
        let site_id = self.key_label(self.engine_keys.site).to_string();
        let hist_id = self.key_label(self.engine_keys.hist).to_string();
        let (Some(site), Some(hist)) = (lookup.site, lookup.hist) else {
            let missing = if lookup.site.is_none() {
                &site_id
            } else {
                &hist_id
            };
            return SchemaSelection::NoSchema {
                kind: StagingErrorKind::MissingSiteOrHistology,
                reason: format!(
                    "primary site [{site_id}] and histology [{hist_id}] are both needed to select a schema; {missing} is missing"
                ),
                key: Some(missing.clone()),
            };
        };
        if !self.valid_sites.contains(site) {
            return SchemaSelection::NoSchema {
                kind: StagingErrorKind::NoMatchingSchema,
                reason: format!("primary site '{site}' is not a valid ICD-O-3 topography code"),
                key: Some(site_id),
            };
        }
        if !self.valid_histologies.contains(hist) {
            return SchemaSelection::NoSchema {
                kind: StagingErrorKind::NoMatchingSchema,
                reason: format!("histology '{hist}' is not a valid ICD-O-3 histology code"),
                key: Some(hist_id),
            };
        }
        let candidates = self.matching_schemas(site, hist, &lookup.extra, year_text);
        match candidates.as_slice() {
            [] => {
                let given: Vec<String> = lookup
                    .extra
                    .iter()
                    .map(|(k, v)| format!("{} {v}", self.key_label(*k)))
                    .collect();
                let with = if given.is_empty() {
                    String::new()
                } else {
                    format!(" with {}", given.join(", "))
                };
                SchemaSelection::NoSchema {
                    kind: StagingErrorKind::NoMatchingSchema,
                    reason: format!(
                        "no schema matches primary site {site}, histology {hist}{with}"
                    ),
                    key: None,
                }
            }
            [one] => match self.schemas.get(*one) {
                Some(schema) => SchemaSelection::Selected(schema.reference()),
                None => SchemaSelection::NoSchema {
                    kind: StagingErrorKind::NoMatchingSchema,
                    reason: "schema index out of range".into(),
                    key: None,
                },
            },
            many => SchemaSelection::Ambiguous {
                candidates: many
                    .iter()
                    .filter_map(|i| self.schemas.get(*i).map(|s| s.reference()))
                    .collect(),
                needed: self.needed_discriminator(site, hist, &lookup.extra, many, year_text),
            },
        }
    }

    /// Schemas whose selection table matches, testing only the columns of supplied keys.
    fn matching_schemas(
        &self,
        site: &str,
        hist: &str,
        extra: &[(KeyId, &str)],
        year_text: &str,
    ) -> Vec<usize> {
        let mut keys = vec![self.engine_keys.site, self.engine_keys.hist];
        keys.extend(extra.iter().map(|(k, _)| *k));
        let mut pairs = vec![(self.engine_keys.site, site), (self.engine_keys.hist, hist)];
        pairs.extend_from_slice(extra);
        pairs.push((self.engine_keys.year_current, year_text));
        pairs.push((self.engine_keys.alg_version, self.version.as_str()));
        let values = PairValues(pairs);
        let Some(candidates) = self.schemas_by_site.get(site) else {
            return Vec::new();
        };
        candidates
            .iter()
            .copied()
            .filter(|i| {
                self.schemas
                    .get(*i)
                    .and_then(|s| self.table(s.selection_table))
                    .is_some_and(|t| t.find_row(&values, Some(&keys)).is_some())
            })
            .collect()
    }

    /// Picks the discriminator whose codes best separate the candidates.
    fn needed_discriminator(
        &self,
        site: &str,
        hist: &str,
        extra: &[(KeyId, &str)],
        candidates: &[usize],
        year_text: &str,
    ) -> Option<NeededDiscriminator> {
        let mut keys: Vec<KeyId> = Vec::new();
        for schema in candidates.iter().filter_map(|i| self.schemas.get(*i)) {
            let columns = self
                .table(schema.selection_table)
                .map(|t| t.input_keys.clone())
                .unwrap_or_default();
            for key in schema.discriminators.iter().chain(columns.iter()) {
                let supplied = extra.iter().any(|(k, _)| k == key);
                if !supplied
                    && *key != self.engine_keys.site
                    && *key != self.engine_keys.hist
                    && !keys.contains(key)
                {
                    keys.push(*key);
                }
            }
        }
        let mut best: Option<(usize, usize, NeededDiscriminator)> = None;
        for key in keys {
            let options = self.discriminator_options(key, site, hist, extra, candidates, year_text);
            if options.is_empty() {
                continue;
            }
            let unique = options.iter().filter(|o| o.schema.is_some()).count();
            let score = (unique, options.len());
            if best.as_ref().is_none_or(|(u, n, _)| score > (*u, *n)) {
                let name = candidates
                    .iter()
                    .filter_map(|i| self.schemas.get(*i))
                    .find_map(|s| s.input_for_key(key).map(|i| i.name.clone()))
                    .unwrap_or_else(|| self.key_name(key).to_string());
                let info = self.keys.get(key as usize);
                best = Some((
                    unique,
                    options.len(),
                    NeededDiscriminator {
                        key: self.key_name(key).to_string(),
                        naaccr_xml_id: info.and_then(|i| i.xml_id.clone()),
                        name,
                        options,
                    },
                ));
            }
        }
        best.map(|(_, _, needed)| needed)
    }

    /// Codes of `key` (from the candidates' input tables, else their selection tables)
    /// that select at least one schema once added to the lookup.
    fn discriminator_options(
        &self,
        key: KeyId,
        site: &str,
        hist: &str,
        extra: &[(KeyId, &str)],
        candidates: &[usize],
        year_text: &str,
    ) -> Vec<DiscriminatorOption> {
        let mut codes: Vec<(String, String)> = Vec::new();
        for schema in candidates.iter().filter_map(|i| self.schemas.get(*i)) {
            if let Some(table) = schema
                .input_for_key(key)
                .and_then(|i| i.table)
                .and_then(|t| self.table(t))
            {
                collect_codes(table, self.key_name(key), year_text, &mut codes);
            }
        }
        if codes.is_empty() {
            for schema in candidates.iter().filter_map(|i| self.schemas.get(*i)) {
                if let Some(table) = self.table(schema.selection_table) {
                    collect_codes(table, self.key_name(key), year_text, &mut codes);
                }
            }
        }
        let mut options = Vec::new();
        for (code, description) in codes {
            let mut with: Vec<(KeyId, &str)> = extra.to_vec();
            with.push((key, code.as_str()));
            let found = self.matching_schemas(site, hist, &with, year_text);
            if found.is_empty() {
                continue;
            }
            let schema = match found.as_slice() {
                [one] => self.schemas.get(*one).map(|s| s.reference()),
                _ => None,
            };
            let description = if description.is_empty() {
                schema.as_ref().map(|s| s.name.clone()).unwrap_or_default()
            } else {
                description
            };
            options.push(DiscriminatorOption {
                code,
                description,
                schema,
            });
        }
        options
    }
}

/// Appends the codes of column `key` of `table` with the row's first description line,
/// expanding small numeric ranges; blank, `*` and duplicate codes are skipped.
fn collect_codes(table: &Table, key: &str, year_text: &str, codes: &mut Vec<(String, String)>) {
    let Some(col) = table.column_position(key, super::table::ColumnKind::Input) else {
        return;
    };
    let desc_col = table.description_position();
    for raw in &table.raw_rows {
        let Some(text) = raw.get(col) else {
            continue;
        };
        let description = desc_col
            .and_then(|d| raw.get(d))
            .map(|d| d.lines().next().unwrap_or("").trim().to_string())
            .unwrap_or_default();
        for code in expand_cell(text, year_text) {
            if !code.is_empty() && code != "*" && !codes.iter().any(|(c, _)| *c == code) {
                codes.push((code, description.clone()));
            }
        }
    }
}

/// The individual codes a cell lists (numeric ranges up to [`MAX_OPTION_RANGE`] wide are
/// expanded, zero-padded to the low bound's width; `{{ctx_year_current}}` is resolved).
fn expand_cell(text: &str, year_text: &str) -> Vec<String> {
    let mut codes = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let resolved = |s: &str| -> String {
            match reference_name(s) {
                Some("ctx_year_current") => year_text.to_string(),
                _ => s.to_string(),
            }
        };
        match part.split_once('-') {
            Some((low, high)) => {
                let (low, high) = (resolved(low.trim()), resolved(high.trim()));
                match (low.parse::<i64>(), high.parse::<i64>()) {
                    (Ok(l), Ok(h)) if h >= l && h - l <= MAX_OPTION_RANGE => {
                        for n in l..=h {
                            codes.push(format!("{n:0width$}", width = low.len()));
                        }
                    }
                    _ => codes.push(part.to_string()),
                }
            }
            None => codes.push(resolved(part)),
        }
    }
    codes
}
