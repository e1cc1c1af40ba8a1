//! Reading an algorithm zip, compiling its tables and checking the content is coherent.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;
use std::time::Instant;

use super::StagingError;
use super::algorithm::{
    Algorithm, EngineKeys, Input, InvalidInputHandling, KeyInfo, Mapping, Output, Schema, TablePath,
};
use super::items::{DATE_OF_DIAGNOSIS_ITEM, alias_xml_id, naaccr_xml_id};
use super::model::{RawSchema, RawTable, RawTablePath};
use super::table::{
    Column, ColumnKind, Endpoint, EndpointKind, KeyId, Operand, PairValues, Range, Row, Table,
    TableIdx, parse_cell, reference_name,
};

/// Largest zip entry read (the biggest published table is well under 1 MB).
const MAX_ENTRY_BYTES: u64 = 32 * 1024 * 1024;
/// Largest total of unpacked bytes read from one zip.
const MAX_TOTAL_BYTES: u64 = 512 * 1024 * 1024;
/// Ranges wider than this are not expanded into valid site/histology codes.
const MAX_EXPANDED_RANGE: i64 = 100_000;

/// Tables every algorithm must have: they define the valid sites and histologies.
const PRIMARY_SITE_TABLE: &str = "primary_site";
const HISTOLOGY_TABLE: &str = "histology";

/// Loads and validates an algorithm zip from a file path.
pub fn load_algorithm(path: &Path) -> Result<Algorithm, StagingError> {
    let file = File::open(path).map_err(|source| StagingError::Open {
        path: path.display().to_string(),
        source,
    })?;
    load_algorithm_from_reader(BufReader::new(file))
}

/// Loads and validates an algorithm zip from any seekable reader.
pub fn load_algorithm_from_reader<R: Read + Seek>(reader: R) -> Result<Algorithm, StagingError> {
    let started = Instant::now();
    let content = read_zip(reader)?;
    let mut algorithm = compile(content)?;
    algorithm.load_time = started.elapsed();
    Ok(algorithm)
}

/// The JSON documents found in the zip.
struct ZipContent {
    schemas: Vec<(String, RawSchema)>,
    tables: Vec<(String, RawTable)>,
    glossary_terms: usize,
}

fn folder_of(name: &str) -> Option<&str> {
    let mut parts = name.rsplit('/');
    let file = parts.next()?;
    let folder = parts.next()?;
    file.ends_with(".json").then_some(folder)
}

fn read_zip<R: Read + Seek>(reader: R) -> Result<ZipContent, StagingError> {
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|e| StagingError::NotAZip(e.to_string()))?;
    let mut content = ZipContent {
        schemas: Vec::new(),
        tables: Vec::new(),
        glossary_terms: 0,
    };
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| StagingError::Entry {
            entry: format!("#{i}"),
            message: e.to_string(),
        })?;
        if entry.is_dir() {
            continue;
        }
        let name = entry
            .name()
            .map_err(|e| StagingError::Entry {
                entry: format!("#{i}"),
                message: e.to_string(),
            })?
            .to_string();
        let Some(folder) = folder_of(&name) else {
            continue;
        };
        if !matches!(folder, "schemas" | "tables" | "glossary") {
            continue;
        }
        if folder == "glossary" {
            content.glossary_terms += 1;
            continue;
        }
        let mut text = String::new();
        let read = (&mut entry)
            .take(MAX_ENTRY_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| StagingError::Entry {
                entry: name.clone(),
                message: e.to_string(),
            })? as u64;
        total += read;
        if read > MAX_ENTRY_BYTES || total > MAX_TOTAL_BYTES {
            return Err(StagingError::TooLarge {
                entry: name,
                limit: MAX_ENTRY_BYTES,
            });
        }
        if folder == "schemas" {
            let schema = serde_json::from_str(&text).map_err(|e| StagingError::Json {
                entry: name.clone(),
                message: e.to_string(),
            })?;
            content.schemas.push((name, schema));
        } else {
            let table = serde_json::from_str(&text).map_err(|e| StagingError::Json {
                entry: name.clone(),
                message: e.to_string(),
            })?;
            content.tables.push((name, table));
        }
    }
    if content.schemas.is_empty() {
        return Err(StagingError::NoSchemas);
    }
    Ok(content)
}

/// Interns context keys into dense ids.
#[derive(Default)]
struct Keys {
    ids: HashMap<String, KeyId>,
    infos: Vec<KeyInfo>,
}

impl Keys {
    fn intern(&mut self, name: &str) -> KeyId {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.infos.len() as KeyId;
        self.ids.insert(name.to_string(), id);
        self.infos.push(KeyInfo {
            name: name.to_string(),
            ..KeyInfo::default()
        });
        id
    }

    fn operand(&mut self, text: &str) -> Operand {
        match reference_name(text) {
            Some(name) => Operand::Reference(self.intern(name)),
            None => Operand::Literal(text.into()),
        }
    }
}

fn compile(content: ZipContent) -> Result<Algorithm, StagingError> {
    let mut problems: Vec<String> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut keys = Keys::default();

    let engine_keys = EngineKeys {
        site: keys.intern("site"),
        hist: keys.intern("hist"),
        year_dx: keys.intern("year_dx"),
        alg_version: keys.intern("ctx_alg_version"),
        year_current: keys.intern("ctx_year_current"),
    };

    // Table ids first, so JUMP endpoints can be resolved while compiling rows.
    let mut table_ids: HashMap<String, TableIdx> = HashMap::new();
    for (entry, raw) in &content.tables {
        if table_ids.contains_key(&raw.id) {
            problems.push(format!("{entry}: duplicate table id '{}'", raw.id));
            continue;
        }
        let idx = table_ids.len() as TableIdx;
        table_ids.insert(raw.id.clone(), idx);
    }
    let mut tables: Vec<Table> = Vec::with_capacity(table_ids.len());
    let mut seen: HashSet<&str> = HashSet::new();
    for (entry, raw) in &content.tables {
        if !seen.insert(raw.id.as_str()) {
            continue;
        }
        tables.push(compile_table(
            entry,
            raw,
            &table_ids,
            &mut keys,
            &mut problems,
        ));
    }

    let mut algorithm_names: HashSet<String> = HashSet::new();
    let mut versions: HashSet<String> = HashSet::new();
    let mut schemas: Vec<Schema> = Vec::with_capacity(content.schemas.len());
    let mut schema_ids: HashMap<String, usize> = HashMap::new();
    for (entry, raw) in &content.schemas {
        if schema_ids.contains_key(&raw.id) {
            problems.push(format!("{entry}: duplicate schema id '{}'", raw.id));
            continue;
        }
        algorithm_names.extend(raw.algorithm.clone());
        versions.extend(raw.version.clone());
        if let Some(schema) = compile_schema(
            entry,
            raw,
            &table_ids,
            &mut keys,
            &mut problems,
            &mut warnings,
        ) {
            schema_ids.insert(schema.id.clone(), schemas.len());
            schemas.push(schema);
        }
    }
    let name = single_value(algorithm_names, "algorithm", &mut problems);
    let version = single_value(versions, "version", &mut problems);

    // Every key is known now: size the per-schema output flags.
    let key_count = keys.infos.len();
    for schema in &mut schemas {
        let mut flags = vec![false; key_count];
        for output in &schema.outputs {
            if let Some(f) = flags.get_mut(output.key as usize) {
                *f = true;
            }
        }
        schema.is_output = flags;
    }

    let valid_sites = valid_codes(PRIMARY_SITE_TABLE, &tables, &table_ids, &mut problems);
    let valid_histologies = valid_codes(HISTOLOGY_TABLE, &tables, &table_ids, &mut problems);
    if !problems.is_empty() {
        return Err(StagingError::InvalidAlgorithm { problems });
    }

    let schemas_by_site = index_schemas_by_site(&schemas, &tables, &valid_sites, engine_keys.site);
    let mut lookup_keys: Vec<KeyId> = Vec::new();
    for schema in &schemas {
        if let Some(table) = tables.get(schema.selection_table as usize) {
            for key in &table.input_keys {
                if *key != engine_keys.site
                    && *key != engine_keys.hist
                    && !lookup_keys.contains(key)
                {
                    lookup_keys.push(*key);
                }
            }
        }
    }

    let known_input_ids = schemas
        .iter()
        .flat_map(|s| s.input_by_id.keys().cloned())
        .collect();
    Ok(Algorithm {
        name,
        version,
        keys: keys.infos,
        known_input_ids,
        tables,
        schemas,
        schema_ids,
        valid_sites,
        valid_histologies,
        schemas_by_site,
        lookup_keys,
        engine_keys,
        glossary_terms: content.glossary_terms,
        load_time: std::time::Duration::ZERO,
        warnings,
    })
}

fn single_value(values: HashSet<String>, what: &str, problems: &mut Vec<String>) -> String {
    let mut list: Vec<String> = values.into_iter().collect();
    list.sort();
    match list.len() {
        1 => list.pop().unwrap_or_default(),
        0 => {
            problems.push(format!("no schema names the algorithm {what}"));
            String::new()
        }
        _ => {
            problems.push(format!(
                "schemas disagree on the algorithm {what}: {}",
                list.join(", ")
            ));
            String::new()
        }
    }
}

fn compile_table(
    entry: &str,
    raw: &RawTable,
    table_ids: &HashMap<String, TableIdx>,
    keys: &mut Keys,
    problems: &mut Vec<String>,
) -> Table {
    let mut columns = Vec::with_capacity(raw.definition.len());
    let mut input_keys = Vec::new();
    for col in &raw.definition {
        let kind = match col.kind.as_str() {
            "INPUT" => ColumnKind::Input,
            "ENDPOINT" => ColumnKind::Endpoint,
            "DESCRIPTION" => ColumnKind::Description,
            other => {
                problems.push(format!(
                    "{entry}: table '{}' column '{}' has unknown type '{other}'",
                    raw.id, col.key
                ));
                ColumnKind::Description
            }
        };
        match kind {
            ColumnKind::Input => input_keys.push(keys.intern(&col.key)),
            ColumnKind::Endpoint => {
                keys.intern(&col.key);
            }
            ColumnKind::Description => {}
        }
        columns.push(Column {
            key: col.key.clone(),
            kind,
        });
    }
    let mut rows = Vec::with_capacity(raw.rows.len());
    for (r, cells) in raw.rows.iter().enumerate() {
        if cells.len() != columns.len() {
            problems.push(format!(
                "{entry}: table '{}' row {} has {} values but the table has {} columns",
                raw.id,
                r + 1,
                cells.len(),
                columns.len()
            ));
            continue;
        }
        let mut row = Row {
            cells: Vec::with_capacity(input_keys.len()),
            endpoints: Vec::new(),
        };
        for (col, text) in columns.iter().zip(cells) {
            match col.kind {
                ColumnKind::Input => {
                    row.cells
                        .push(parse_cell(text, &mut |name: &str| keys.intern(name)));
                }
                ColumnKind::Endpoint => {
                    let key = keys.intern(&col.key);
                    match parse_endpoint(text, key, table_ids, keys) {
                        Ok(endpoint) => row.endpoints.push(endpoint),
                        Err(message) => problems.push(format!(
                            "{entry}: table '{}' row {} column '{}': {message}",
                            raw.id,
                            r + 1,
                            col.key
                        )),
                    }
                }
                ColumnKind::Description => {}
            }
        }
        rows.push(row);
    }
    Table::new(raw.id.clone(), columns, input_keys, rows, raw.rows.clone())
}

fn parse_endpoint(
    text: &str,
    key: KeyId,
    table_ids: &HashMap<String, TableIdx>,
    keys: &mut Keys,
) -> Result<Endpoint, String> {
    let (kind_text, value) = match text.split_once(':') {
        Some((k, v)) => (k.trim(), Some(v.trim())),
        None => (text.trim(), None),
    };
    let kind = match kind_text {
        "VALUE" => EndpointKind::Value,
        "MATCH" => EndpointKind::Match,
        "ERROR" => EndpointKind::Error,
        "STOP" => EndpointKind::Stop,
        "JUMP" => {
            let target = value
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("JUMP endpoint '{text}' has no table"))?;
            let idx = table_ids
                .get(target)
                .ok_or_else(|| format!("JUMP to unknown table '{target}'"))?;
            EndpointKind::Jump(*idx)
        }
        _ => {
            return Err(format!(
                "invalid endpoint '{text}' (must be JUMP, VALUE, MATCH, STOP or ERROR)"
            ));
        }
    };
    Ok(Endpoint {
        kind,
        key,
        value: value.map(|v| keys.operand(v)),
    })
}

fn lookup_table(
    id: Option<&str>,
    table_ids: &HashMap<String, TableIdx>,
    what: &str,
    problems: &mut Vec<String>,
) -> Option<TableIdx> {
    let id = id?;
    let idx = table_ids.get(id).copied();
    if idx.is_none() {
        problems.push(format!("{what} references unknown table '{id}'"));
    }
    idx
}

/// The XML id for an item: the NAACCR dictionary's, else the one the data gives.
fn resolve_xml_id(
    item: Option<u32>,
    given: Option<&str>,
    context: &str,
    warnings: &mut Vec<String>,
) -> Option<String> {
    match (item.and_then(naaccr_xml_id), given) {
        (Some(known), Some(given)) if known != given => {
            warnings.push(format!(
                "{context}: item {} is '{known}' in the NAACCR dictionary, the data says '{given}'",
                item.unwrap_or_default()
            ));
            Some(known.to_string())
        }
        (Some(known), _) => Some(known.to_string()),
        (None, given) => given.map(str::to_string),
    }
}

fn compile_paths(
    paths: &[RawTablePath],
    table_ids: &HashMap<String, TableIdx>,
    keys: &mut Keys,
    what: &str,
    problems: &mut Vec<String>,
) -> Vec<TablePath> {
    paths
        .iter()
        .filter_map(|p| {
            let table = lookup_table(Some(&p.id), table_ids, what, problems)?;
            Some(TablePath {
                table,
                input_mapping: p
                    .input_mapping
                    .iter()
                    .map(|m| (keys.intern(&m.from), keys.intern(&m.to)))
                    .collect(),
                output_mapping: p
                    .output_mapping
                    .iter()
                    .map(|m| (keys.intern(&m.from), keys.intern(&m.to)))
                    .collect(),
            })
        })
        .collect()
}

fn compile_schema(
    entry: &str,
    raw: &RawSchema,
    table_ids: &HashMap<String, TableIdx>,
    keys: &mut Keys,
    problems: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Option<Schema> {
    let at = format!("{entry} (schema '{}')", raw.id);
    let selection_table = match raw.schema_selection_table.as_deref() {
        Some(id) => lookup_table(Some(id), table_ids, &format!("{at} selection"), problems),
        None => {
            problems.push(format!("{at} has no schema_selection_table"));
            None
        }
    };
    let on_invalid_input = match raw.on_invalid_input.as_deref() {
        None | Some("CONTINUE") => InvalidInputHandling::Continue,
        Some("FAIL") => InvalidInputHandling::Fail,
        Some("FAIL_WHEN_USED_FOR_STAGING") => InvalidInputHandling::FailWhenUsedForStaging,
        Some(other) => {
            problems.push(format!("{at} has unknown on_invalid_input '{other}'"));
            InvalidInputHandling::Continue
        }
    };

    let mut inputs = Vec::with_capacity(raw.inputs.len());
    let mut input_by_id: HashMap<String, usize> = HashMap::new();
    let mut input_keys: HashSet<&str> = HashSet::new();
    for raw_input in &raw.inputs {
        if !input_keys.insert(raw_input.key.as_str()) {
            problems.push(format!("{at} defines input '{}' twice", raw_input.key));
            continue;
        }
        let what = format!("{at} input '{}'", raw_input.key);
        let key = keys.intern(&raw_input.key);
        let xml_id = resolve_xml_id(
            raw_input.naaccr_item,
            raw_input.naaccr_xml_id.as_deref(),
            &what,
            warnings,
        );
        let alias = raw_input.naaccr_item.and_then(alias_xml_id);
        let year_of_date = raw_input.naaccr_item == Some(DATE_OF_DIAGNOSIS_ITEM);
        if let Some(info) = keys.infos.get_mut(key as usize) {
            if info.item.is_none() {
                info.item = raw_input.naaccr_item;
                info.xml_id = xml_id.clone();
                info.alias_xml_id = alias;
                info.year_of_date = year_of_date;
            } else if info.item != raw_input.naaccr_item {
                warnings.push(format!(
                    "{what}: key is item {:?} here and item {:?} in another schema",
                    raw_input.naaccr_item, info.item
                ));
            }
        }
        let position = inputs.len();
        for id in [xml_id.clone(), alias.map(str::to_string)]
            .into_iter()
            .flatten()
        {
            input_by_id.entry(id).or_insert(position);
        }
        if xml_id.is_none() {
            input_by_id.entry(raw_input.key.clone()).or_insert(position);
        }
        inputs.push(Input {
            key,
            name: raw_input
                .name
                .clone()
                .unwrap_or_else(|| raw_input.key.clone()),
            item: raw_input.naaccr_item,
            xml_id,
            year_of_date,
            default: raw_input.default.as_deref().map(|d| keys.operand(d)),
            default_text: raw_input.default.clone(),
            default_table: lookup_table(
                raw_input.default_table.as_deref(),
                table_ids,
                &format!("{what} default_table"),
                problems,
            ),
            table: lookup_table(raw_input.table.as_deref(), table_ids, &what, problems),
            used_for_staging: raw_input.used_for_staging,
        });
    }

    let mut outputs = Vec::with_capacity(raw.outputs.len());
    let mut naaccr_schema_id = None;
    for raw_output in &raw.outputs {
        let what = format!("{at} output '{}'", raw_output.key);
        let key = keys.intern(&raw_output.key);
        let xml_id = resolve_xml_id(
            raw_output.naaccr_item,
            raw_output.naaccr_xml_id.as_deref(),
            &what,
            warnings,
        );
        if let Some(info) = keys.infos.get_mut(key as usize)
            && info.item.is_none()
        {
            info.item = raw_output.naaccr_item;
            info.xml_id = xml_id.clone();
        }
        if xml_id.as_deref() == Some("schemaId") {
            naaccr_schema_id = raw_output.default.clone();
        }
        outputs.push(Output {
            key,
            xml_id,
            default: raw_output.default.as_deref().map(|d| keys.operand(d)),
            table: lookup_table(raw_output.table.as_deref(), table_ids, &what, problems),
        });
    }

    let mut mappings = Vec::with_capacity(raw.mappings.len());
    for raw_mapping in &raw.mappings {
        let what = format!("{at} mapping '{}'", raw_mapping.id);
        let mut initial_context = Vec::new();
        for kv in &raw_mapping.initial_context {
            if input_keys.contains(kv.key.as_str()) {
                problems.push(format!(
                    "{what} sets input '{}' in its initial context, which is not allowed",
                    kv.key
                ));
            }
            initial_context.push((
                keys.intern(&kv.key),
                kv.value.clone().unwrap_or_default().into_boxed_str(),
            ));
        }
        mappings.push(Mapping {
            initial_context,
            inclusion: compile_paths(
                &raw_mapping.inclusion_tables,
                table_ids,
                keys,
                &format!("{what} inclusion"),
                problems,
            ),
            exclusion: compile_paths(
                &raw_mapping.exclusion_tables,
                table_ids,
                keys,
                &format!("{what} exclusion"),
                problems,
            ),
            paths: compile_paths(&raw_mapping.tables, table_ids, keys, &what, problems),
        });
    }

    let initial_context = raw
        .initial_context
        .iter()
        .map(|kv| {
            let value = kv.value.clone().unwrap_or_default();
            (keys.intern(&kv.key), keys.operand(&value))
        })
        .collect();
    let discriminators = raw
        .schema_discriminators
        .iter()
        .map(|d| keys.intern(d))
        .collect();

    Some(Schema {
        id: raw.id.clone(),
        name: raw.name.clone().unwrap_or_else(|| raw.id.clone()),
        naaccr_schema_id,
        selection_table: selection_table?,
        discriminators,
        inputs,
        input_by_id,
        outputs,
        is_output: Vec::new(),
        mappings,
        initial_context,
        on_invalid_input,
    })
}

/// Expands the single INPUT column of `primary_site` / `histology` into the set of valid
/// codes (numeric ranges are zero-padded to the low bound's width, as upstream does).
fn valid_codes(
    table_id: &str,
    tables: &[Table],
    table_ids: &HashMap<String, TableIdx>,
    problems: &mut Vec<String>,
) -> HashSet<String> {
    let mut codes = HashSet::new();
    let Some(table) = table_ids
        .get(table_id)
        .and_then(|i| tables.get(*i as usize))
    else {
        problems.push(format!("the algorithm has no '{table_id}' table"));
        return codes;
    };
    if table.input_keys.len() != 1 {
        problems.push(format!(
            "table '{table_id}' must have exactly one INPUT column"
        ));
        return codes;
    }
    let Some(position) = table
        .columns
        .iter()
        .position(|c| c.kind == ColumnKind::Input)
    else {
        return codes;
    };
    for raw in &table.raw_rows {
        let Some(text) = raw.get(position) else {
            continue;
        };
        for part in text.split(',') {
            let part = part.trim();
            match part.split_once('-') {
                Some((low, high)) => match expand_range(low.trim(), high.trim()) {
                    Some(list) => codes.extend(list),
                    None => problems.push(format!(
                        "table '{table_id}': range '{part}' is not a range of codes"
                    )),
                },
                None if !part.is_empty() => {
                    codes.insert(part.to_string());
                }
                None => {}
            }
        }
    }
    codes
}

/// Codes from `low` to `high`: numbers, or a shared letter prefix with a numeric part of
/// equal width (`C000-C009`), zero-padded to the low bound's width.
fn expand_range(low: &str, high: &str) -> Option<Vec<String>> {
    let split = |s: &str| -> (String, String) {
        let digits = s.chars().rev().take_while(char::is_ascii_digit).count();
        let cut = s.len().saturating_sub(digits);
        (
            s.get(..cut).unwrap_or("").to_string(),
            s.get(cut..).unwrap_or("").to_string(),
        )
    };
    let ((lp, ln), (hp, hn)) = (split(low), split(high));
    if lp != hp || ln.is_empty() || (!lp.is_empty() && ln.len() != hn.len()) {
        return None;
    }
    let (l, h) = (ln.parse::<i64>().ok()?, hn.parse::<i64>().ok()?);
    if h < l || h - l > MAX_EXPANDED_RANGE {
        return None;
    }
    Some(
        (l..=h)
            .map(|n| format!("{lp}{n:0width$}", width = ln.len()))
            .collect(),
    )
}

/// For each valid site, the schemas whose selection table has a row that can match it.
fn index_schemas_by_site(
    schemas: &[Schema],
    tables: &[Table],
    valid_sites: &HashSet<String>,
    site_key: KeyId,
) -> HashMap<String, Vec<usize>> {
    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
    let mut sites: Vec<&String> = valid_sites.iter().collect();
    sites.sort();
    for (s, schema) in schemas.iter().enumerate() {
        let Some(table) = tables.get(schema.selection_table as usize) else {
            continue;
        };
        let site_column = table.input_keys.iter().position(|k| *k == site_key);
        // References depend on the run: such a schema stays a candidate for every site.
        let dynamic = site_column.is_some_and(|col| {
            table.rows.iter().any(|row| {
                row.cells
                    .get(col)
                    .is_some_and(|c| c.0.iter().any(|r| matches!(r, Range::Dynamic { .. })))
            })
        });
        for site in &sites {
            let possible = site_column.is_none()
                || dynamic
                || table
                    .find_row(
                        &PairValues(vec![(site_key, site.as_str())]),
                        Some(&[site_key]),
                    )
                    .is_some();
            if possible {
                index.entry((*site).clone()).or_default().push(s);
            }
        }
    }
    index
}
