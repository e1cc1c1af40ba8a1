//! SEER staging engine: runs the published SEER staging algorithms (EOD 2018 /
//! Summary Stage 2018, `eod_public` 3.x) loaded at run time from their zip.
//!
//! The engine follows the reference Java library (imsweb staging-client-java) rule for
//! rule: schema selection by primary site, histology and discriminators; tables of ranges,
//! lists, wildcards and `{{context}}` values where the first matching row wins; JUMP, VALUE,
//! MATCH, STOP and ERROR endpoints; input defaults and validation; mappings gated by
//! inclusion/exclusion tables; outputs validated against their tables. Nothing here is
//! specific to one algorithm version: 3.2 derives EOD T/N/M and stage group because its
//! schemas list those outputs, 3.3 does not because its schemas do not.
//!
//! Callers speak NAACCR: inputs and outputs are keyed by NAACCR XML ids
//! (`primarySite`, `eodPrimaryTumor`, `derivedSummaryStage2018`, ...).
//!
//! Deliberate differences from the reference engine, all invisible on valid data:
//! - a blank value is the same as an absent one (a blank NAACCR item is an uncoded item),
//!   so defaults apply to blank inputs and blank discriminators do not narrow the selection;
//! - items that only other schemas read are ignored (the reference engine rejects any key
//!   the selected schema lacks); items no schema of the algorithm reads are still rejected;
//! - all input defaults are applied before any input is validated (the reference engine
//!   interleaves them in hash-map order, so a table that reads another input could see it
//!   unset or defaulted by chance);
//! - the status is stricter than the reference engine's: a run that staged but found an
//!   invalid input used for staging reports `invalid input`, and one whose tables reported
//!   errors reports `error` (outputs are still given, as the engine derived them).

mod algorithm;
mod engine;
mod items;
mod load;
mod model;
mod picklist;
mod result;
mod selection;
mod table;

#[cfg(test)]
mod cases;
#[cfg(test)]
mod tests;

pub use algorithm::{Algorithm, SchemaRef};
pub use items::{naaccr_item_number, naaccr_xml_id};
pub use load::{load_algorithm, load_algorithm_from_reader};
pub use picklist::SchemaInput;
pub use result::{
    StagingErrorKind, StagingInputs, StagingMessage, StagingOutput, StagingResult, StagingStatus,
};
pub use selection::{DiscriminatorOption, NeededDiscriminator, SchemaSelection};

/// Why an algorithm could not be loaded, or a request names something it does not have.
#[derive(Debug, thiserror::Error)]
pub enum StagingError {
    /// The zip file could not be opened.
    #[error("cannot open the staging algorithm file {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is not a zip archive.
    #[error("the staging algorithm file is not a readable zip archive: {0}")]
    NotAZip(String),
    /// One entry of the zip could not be read.
    #[error("zip entry {entry} cannot be read: {message}")]
    Entry { entry: String, message: String },
    /// One entry of the zip is not valid JSON of the expected shape.
    #[error("zip entry {entry} is not a valid staging JSON document: {message}")]
    Json { entry: String, message: String },
    /// An entry, or the whole zip, unpacks to more than the engine accepts.
    #[error(
        "zip entry {entry} unpacks to more than {limit} bytes (or the zip exceeds its total limit)"
    )]
    TooLarge { entry: String, limit: u64 },
    /// The zip has no `schemas/*.json`: not a staging algorithm.
    #[error("the zip contains no schemas (expected schemas/*.json): not a SEER staging algorithm")]
    NoSchemas,
    /// The content is inconsistent (missing tables, malformed rows...).
    #[error("the staging algorithm is inconsistent ({} problem(s)); first: {}", problems.len(), problems.first().map(String::as_str).unwrap_or(""))]
    InvalidAlgorithm { problems: Vec<String> },
    /// No schema with this id.
    #[error("the staging algorithm has no schema '{0}'")]
    UnknownSchema(String),
}
