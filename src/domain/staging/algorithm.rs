//! A loaded, compiled staging algorithm: schemas and tables ready for matching.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::table::{KeyId, Operand, Table, TableIdx};

/// What a schema does when an input value is not in its table (`on_invalid_input`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InvalidInputHandling {
    Continue,
    Fail,
    FailWhenUsedForStaging,
}

/// Facts about one context key, shared by every schema that uses it.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyInfo {
    pub(crate) name: String,
    pub(crate) item: Option<u32>,
    pub(crate) xml_id: Option<String>,
    pub(crate) alias_xml_id: Option<&'static str>,
    /// The key holds a year read from a NAACCR date (Date of Diagnosis).
    pub(crate) year_of_date: bool,
}

/// A schema input.
#[derive(Debug, Clone)]
pub(crate) struct Input {
    pub(crate) key: KeyId,
    pub(crate) name: String,
    pub(crate) item: Option<u32>,
    pub(crate) xml_id: Option<String>,
    pub(crate) year_of_date: bool,
    pub(crate) default: Option<Operand>,
    pub(crate) default_text: Option<String>,
    pub(crate) default_table: Option<TableIdx>,
    pub(crate) table: Option<TableIdx>,
    pub(crate) used_for_staging: bool,
}

/// A schema output.
#[derive(Debug, Clone)]
pub(crate) struct Output {
    pub(crate) key: KeyId,
    pub(crate) xml_id: Option<String>,
    pub(crate) default: Option<Operand>,
    pub(crate) table: Option<TableIdx>,
}

/// A table reference inside a mapping, with its key renames.
#[derive(Debug, Clone)]
pub(crate) struct TablePath {
    pub(crate) table: TableIdx,
    pub(crate) input_mapping: Vec<(KeyId, KeyId)>,
    pub(crate) output_mapping: Vec<(KeyId, KeyId)>,
}

/// A mapping of a schema.
#[derive(Debug, Clone)]
pub(crate) struct Mapping {
    pub(crate) initial_context: Vec<(KeyId, Box<str>)>,
    pub(crate) inclusion: Vec<TablePath>,
    pub(crate) exclusion: Vec<TablePath>,
    pub(crate) paths: Vec<TablePath>,
}

/// A compiled schema.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    pub(crate) id: String,
    pub(crate) name: String,
    /// NAACCR Schema ID [3800] this schema derives (the default of its schema id output).
    pub(crate) naaccr_schema_id: Option<String>,
    pub(crate) selection_table: TableIdx,
    pub(crate) discriminators: Vec<KeyId>,
    pub(crate) inputs: Vec<Input>,
    /// Input position by the identifiers a caller may use: NAACCR XML id, its alias, or the
    /// algorithm key when the input has no NAACCR item.
    pub(crate) input_by_id: HashMap<String, usize>,
    pub(crate) outputs: Vec<Output>,
    /// `is_output[key]` for every key of the algorithm.
    pub(crate) is_output: Vec<bool>,
    pub(crate) mappings: Vec<Mapping>,
    pub(crate) initial_context: Vec<(KeyId, Operand)>,
    pub(crate) on_invalid_input: InvalidInputHandling,
}

/// Keys the engine itself refers to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EngineKeys {
    pub(crate) site: KeyId,
    pub(crate) hist: KeyId,
    pub(crate) year_dx: KeyId,
    pub(crate) alg_version: KeyId,
    pub(crate) year_current: KeyId,
}

/// A SEER staging algorithm (e.g. eod_public 3.3) loaded from its published zip.
#[derive(Debug, Clone)]
pub struct Algorithm {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) keys: Vec<KeyInfo>,
    /// Every identifier a caller may key an input by, over all schemas.
    pub(crate) known_input_ids: HashSet<String>,
    pub(crate) tables: Vec<Table>,
    pub(crate) schemas: Vec<Schema>,
    pub(crate) schema_ids: HashMap<String, usize>,
    pub(crate) valid_sites: HashSet<String>,
    pub(crate) valid_histologies: HashSet<String>,
    /// Schemas whose selection table can match a primary site.
    pub(crate) schemas_by_site: HashMap<String, Vec<usize>>,
    /// Every INPUT column key of the selection tables except site and histology.
    pub(crate) lookup_keys: Vec<KeyId>,
    pub(crate) engine_keys: EngineKeys,
    pub(crate) glossary_terms: usize,
    pub(crate) load_time: Duration,
    pub(crate) warnings: Vec<String>,
}

/// A schema in a list (id, name and NAACCR schema id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaRef {
    /// The algorithm's schema id, e.g. `breast`.
    pub id: String,
    /// The schema's name, e.g. `Breast`.
    pub name: String,
    /// NAACCR Schema ID [3800], e.g. `00480`.
    pub naaccr_schema_id: Option<String>,
}

impl Algorithm {
    /// Version of the algorithm data, e.g. `3.3`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Name of the algorithm, e.g. `eod_public`.
    pub fn algorithm_name(&self) -> &str {
        &self.name
    }

    /// Time spent reading, parsing, compiling and validating the zip.
    pub fn load_time(&self) -> Duration {
        self.load_time
    }

    /// Non-fatal observations made while loading (e.g. a NAACCR XML id in the data that
    /// differs from the NAACCR dictionary; the dictionary's id is used).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Number of tables.
    pub fn table_count(&self) -> usize {
        self.tables.len()
    }

    /// Number of glossary entries in the zip.
    pub fn glossary_count(&self) -> usize {
        self.glossary_terms
    }

    /// All schemas, in id order.
    pub fn schemas(&self) -> Vec<SchemaRef> {
        let mut list: Vec<SchemaRef> = self.schemas.iter().map(Schema::reference).collect();
        list.sort_by(|a, b| a.id.cmp(&b.id));
        list
    }

    /// One schema by its algorithm id.
    pub fn schema(&self, schema_id: &str) -> Option<SchemaRef> {
        self.find_schema(schema_id).map(Schema::reference)
    }

    pub(crate) fn find_schema(&self, schema_id: &str) -> Option<&Schema> {
        self.schema_ids
            .get(schema_id)
            .and_then(|i| self.schemas.get(*i))
    }

    pub(crate) fn table(&self, idx: TableIdx) -> Option<&Table> {
        self.tables.get(idx as usize)
    }

    pub(crate) fn key_name(&self, key: KeyId) -> &str {
        self.keys
            .get(key as usize)
            .map(|k| k.name.as_str())
            .unwrap_or("")
    }

    /// The identifier to show for a key: its NAACCR XML id when it has one.
    pub(crate) fn key_label(&self, key: KeyId) -> &str {
        match self.keys.get(key as usize) {
            Some(info) => info.xml_id.as_deref().unwrap_or(&info.name),
            None => "",
        }
    }
}

impl Schema {
    pub(crate) fn reference(&self) -> SchemaRef {
        SchemaRef {
            id: self.id.clone(),
            name: self.name.clone(),
            naaccr_schema_id: self.naaccr_schema_id.clone(),
        }
    }

    pub(crate) fn input_for_key(&self, key: KeyId) -> Option<&Input> {
        self.inputs.iter().find(|i| i.key == key)
    }
}
