//! The published JSON format of SEER staging algorithms (schemas and tables), as read
//! from the zip. Only the fields the engine uses are declared; others are ignored.

use serde::Deserialize;

/// A schema file (`schemas/<id>.json`).
#[derive(Debug, Deserialize)]
pub(crate) struct RawSchema {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) algorithm: Option<String>,
    #[serde(default)]
    pub(crate) version: Option<String>,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) schema_selection_table: Option<String>,
    #[serde(default)]
    pub(crate) schema_discriminators: Vec<String>,
    #[serde(default)]
    pub(crate) inputs: Vec<RawInput>,
    #[serde(default)]
    pub(crate) outputs: Vec<RawOutput>,
    #[serde(default)]
    pub(crate) mappings: Vec<RawMapping>,
    #[serde(default)]
    pub(crate) initial_context: Vec<RawKeyValue>,
    #[serde(default)]
    pub(crate) on_invalid_input: Option<String>,
}

/// A schema input.
#[derive(Debug, Deserialize)]
pub(crate) struct RawInput {
    pub(crate) key: String,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) naaccr_item: Option<u32>,
    #[serde(default)]
    pub(crate) naaccr_xml_id: Option<String>,
    #[serde(default)]
    pub(crate) default: Option<String>,
    #[serde(default)]
    pub(crate) default_table: Option<String>,
    #[serde(default)]
    pub(crate) table: Option<String>,
    #[serde(default)]
    pub(crate) used_for_staging: bool,
}

/// A schema output.
#[derive(Debug, Deserialize)]
pub(crate) struct RawOutput {
    pub(crate) key: String,
    #[serde(default)]
    pub(crate) naaccr_item: Option<u32>,
    #[serde(default)]
    pub(crate) naaccr_xml_id: Option<String>,
    #[serde(default)]
    pub(crate) default: Option<String>,
    #[serde(default)]
    pub(crate) table: Option<String>,
}

/// A mapping: a sequence of table paths, optionally gated by inclusion/exclusion tables.
#[derive(Debug, Deserialize)]
pub(crate) struct RawMapping {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) initial_context: Vec<RawKeyValue>,
    #[serde(default)]
    pub(crate) inclusion_tables: Vec<RawTablePath>,
    #[serde(default)]
    pub(crate) exclusion_tables: Vec<RawTablePath>,
    #[serde(default)]
    pub(crate) tables: Vec<RawTablePath>,
}

/// A table reference with optional key renames in and out.
#[derive(Debug, Deserialize)]
pub(crate) struct RawTablePath {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) input_mapping: Vec<RawKeyMapping>,
    #[serde(default)]
    pub(crate) output_mapping: Vec<RawKeyMapping>,
}

/// A key rename.
#[derive(Debug, Deserialize)]
pub(crate) struct RawKeyMapping {
    pub(crate) from: String,
    pub(crate) to: String,
}

/// A key/value pair of an initial context.
#[derive(Debug, Deserialize)]
pub(crate) struct RawKeyValue {
    pub(crate) key: String,
    #[serde(default)]
    pub(crate) value: Option<String>,
}

/// A table file (`tables/<id>.json`).
#[derive(Debug, Deserialize)]
pub(crate) struct RawTable {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) definition: Vec<RawColumn>,
    #[serde(default)]
    pub(crate) rows: Vec<Vec<String>>,
}

/// A column definition.
#[derive(Debug, Deserialize)]
pub(crate) struct RawColumn {
    pub(crate) key: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
}
