//! Staging inputs keyed by NAACCR XML id, and the staging result.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::algorithm::SchemaRef;
use super::selection::NeededDiscriminator;

/// Values of one tumor for staging, keyed by NAACCR XML id (`primarySite`,
/// `histologicTypeIcdO3`, `dateOfDiagnosis`, `eodPrimaryTumor`, SSDIs...).
/// Values are trimmed; a blank value is not stored (a blank NAACCR item is uncoded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StagingInputs {
    values: BTreeMap<String, String>,
}

impl StagingInputs {
    /// No values.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets one item (a blank value removes it).
    pub fn set(&mut self, naaccr_xml_id: &str, value: &str) -> &mut Self {
        let value = value.trim();
        if value.is_empty() {
            self.values.remove(naaccr_xml_id);
        } else {
            self.values
                .insert(naaccr_xml_id.trim().to_string(), value.to_string());
        }
        self
    }

    /// Builder form of [`StagingInputs::set`].
    pub fn with(mut self, naaccr_xml_id: &str, value: &str) -> Self {
        self.set(naaccr_xml_id, value);
        self
    }

    /// The value of one item.
    pub fn get(&self, naaccr_xml_id: &str) -> Option<&str> {
        self.values.get(naaccr_xml_id).map(String::as_str)
    }

    /// Removes one item.
    pub fn remove(&mut self, naaccr_xml_id: &str) -> Option<String> {
        self.values.remove(naaccr_xml_id)
    }

    /// All items, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when no item is set.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for StagingInputs {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut inputs = StagingInputs::new();
        for (k, v) in iter {
            inputs.set(k.as_ref(), v.as_ref());
        }
        inputs
    }
}

/// Outcome of a staging run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StagingStatus {
    /// Staged; the outputs are derived.
    Staged,
    /// No schema matches the site/histology/discriminators (or site or histology missing or invalid).
    NoSchema,
    /// Several schemas match: a discriminator is needed.
    AmbiguousSchema,
    /// An input is unknown to the schema, the year of diagnosis is out of range, or an
    /// input used for staging has a code its table does not list.
    InvalidInput,
    /// The algorithm's tables reported an error (no matching row, ERROR endpoint, invalid output).
    Error,
}

impl StagingStatus {
    /// The text printed in the JSON result.
    pub fn as_str(self) -> &'static str {
        match self {
            StagingStatus::Staged => "staged",
            StagingStatus::NoSchema => "no schema",
            StagingStatus::AmbiguousSchema => "ambiguous schema",
            StagingStatus::InvalidInput => "invalid input",
            StagingStatus::Error => "error",
        }
    }
}

/// Kinds of messages, named as the reference engine names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StagingErrorKind {
    MissingSiteOrHistology,
    NoMatchingSchema,
    MultipleMatchingSchemas,
    UnknownInput,
    InvalidYearDx,
    InvalidRequiredInput,
    InvalidNonRequiredInput,
    MatchNotFound,
    StagingError,
    InvalidOutput,
    InfiniteLoop,
    UnknownInputMapping,
    UnknownTable,
}

impl StagingErrorKind {
    /// Upper-case name, as in the reference engine.
    pub fn as_str(self) -> &'static str {
        match self {
            StagingErrorKind::MissingSiteOrHistology => "MISSING_SITE_OR_HISTOLOGY",
            StagingErrorKind::NoMatchingSchema => "NO_MATCHING_SCHEMA",
            StagingErrorKind::MultipleMatchingSchemas => "MULTIPLE_MATCHING_SCHEMAS",
            StagingErrorKind::UnknownInput => "UNKNOWN_INPUT",
            StagingErrorKind::InvalidYearDx => "INVALID_YEAR_DX",
            StagingErrorKind::InvalidRequiredInput => "INVALID_REQUIRED_INPUT",
            StagingErrorKind::InvalidNonRequiredInput => "INVALID_NON_REQUIRED_INPUT",
            StagingErrorKind::MatchNotFound => "MATCH_NOT_FOUND",
            StagingErrorKind::StagingError => "STAGING_ERROR",
            StagingErrorKind::InvalidOutput => "INVALID_OUTPUT",
            StagingErrorKind::InfiniteLoop => "INFINITE_LOOP",
            StagingErrorKind::UnknownInputMapping => "UNKNOWN_INPUT_MAPPING",
            StagingErrorKind::UnknownTable => "UNKNOWN_TABLE",
        }
    }

    /// Errors raised by the algorithm's tables while deriving (not by the inputs).
    pub(crate) fn is_engine_error(self) -> bool {
        matches!(
            self,
            StagingErrorKind::MatchNotFound
                | StagingErrorKind::StagingError
                | StagingErrorKind::InvalidOutput
                | StagingErrorKind::InfiniteLoop
                | StagingErrorKind::UnknownInputMapping
                | StagingErrorKind::UnknownTable
        )
    }
}

/// One message of a staging run, naming the input (NAACCR XML id) and/or table involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagingMessage {
    pub kind: StagingErrorKind,
    pub message: String,
    /// NAACCR XML id of the input or output concerned (algorithm key when it has none).
    pub key: Option<String>,
    /// Table concerned.
    pub table: Option<String>,
}

/// One derived output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagingOutput {
    /// The algorithm's key, e.g. `ss2018_derived`.
    pub key: String,
    /// NAACCR XML id, e.g. `derivedSummaryStage2018` (none for `derived_version`).
    pub naaccr_xml_id: Option<String>,
    pub value: String,
}

/// The result of [`super::Algorithm::stage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagingResult {
    pub status: StagingStatus,
    /// The selected schema (also given with `invalid input` when selection succeeded).
    pub schema: Option<SchemaRef>,
    /// Derived outputs in schema order (empty unless the engine ran).
    pub outputs: Vec<StagingOutput>,
    /// Version of the algorithm that derived the outputs.
    pub algorithm_version: String,
    pub errors: Vec<StagingMessage>,
    /// With `ambiguous schema`: the discriminator to ask for and its codes.
    pub needed_discriminator: Option<NeededDiscriminator>,
}

impl StagingResult {
    /// An output by NAACCR XML id (or algorithm key).
    pub fn output(&self, id: &str) -> Option<&str> {
        self.outputs
            .iter()
            .find(|o| o.naaccr_xml_id.as_deref() == Some(id) || o.key == id)
            .map(|o| o.value.as_str())
    }

    /// The JSON object the CLI prints: `status`, `schemaId` (NAACCR Schema ID), `schemaName`,
    /// every derived output by NAACCR XML id, `algorithmVersion`, `errors`.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("status".into(), json!(self.status.as_str()));
        let schema_id = self.output("schemaId").map(str::to_string).or_else(|| {
            self.schema
                .as_ref()
                .and_then(|s| s.naaccr_schema_id.clone())
        });
        object.insert("schemaId".into(), json!(schema_id));
        object.insert(
            "schemaName".into(),
            json!(self.schema.as_ref().map(|s| s.name.clone())),
        );
        for output in &self.outputs {
            if let Some(id) = &output.naaccr_xml_id
                && id != "schemaId"
            {
                object.insert(id.clone(), json!(output.value));
            }
        }
        object.insert("algorithmVersion".into(), json!(self.algorithm_version));
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|e| {
                json!({
                    "type": e.kind.as_str(),
                    "message": e.message,
                    "key": e.key,
                    "table": e.table,
                })
            })
            .collect();
        object.insert("errors".into(), Value::Array(errors));
        Value::Object(object)
    }
}
