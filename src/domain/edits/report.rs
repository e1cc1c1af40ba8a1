//! What `registrar edits FILE` prints: one JSON object per failure and a summary of the run.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{EditFailure, RecordView, Severity};

/// One line of the edits report: a failure with the identifiers of its tumor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EditReportLine<'a> {
    /// The edit id.
    pub edit: &'a str,
    /// "error" or "warning".
    pub severity: &'static str,
    /// Patient ID Number [20] of the tumor's patient ("" when the record has none).
    #[serde(rename = "patientIdNumber")]
    pub patient_id_number: &'a str,
    /// Tumor Record Number [60] ("" when the record has none).
    #[serde(rename = "tumorRecordNumber")]
    pub tumor_record_number: &'a str,
    /// The naaccrIds involved.
    pub items: &'a [String],
    /// The message.
    pub message: &'a str,
}

impl<'a> EditReportLine<'a> {
    /// The report line of a failure found on `record`.
    pub fn new(failure: &'a EditFailure, record: &'a dyn RecordView) -> EditReportLine<'a> {
        EditReportLine {
            edit: &failure.edit_id,
            severity: failure.severity.as_str(),
            patient_id_number: record.value("patientIdNumber").map_or("", str::trim),
            tumor_record_number: record.value("tumorRecordNumber").map_or("", str::trim),
            items: &failure.items,
            message: &failure.message,
        }
    }

    /// The line as a JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "edit": self.edit,
            "severity": self.severity,
            "patientIdNumber": self.patient_id_number,
            "tumorRecordNumber": self.tumor_record_number,
            "items": self.items,
            "message": self.message,
        })
    }
}

/// Counts over a run of the edits on many tumors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EditSummary {
    /// Tumors the edits ran on.
    pub tumors_checked: u64,
    /// Tumors with at least one error.
    pub tumors_with_errors: u64,
    /// Tumors with at least one warning and no error.
    pub tumors_with_warnings_only: u64,
    /// Failed edits of severity error.
    pub errors: u64,
    /// Failed edits of severity warning.
    pub warnings: u64,
    /// Failures per edit id.
    pub by_edit: BTreeMap<String, u64>,
}

impl EditSummary {
    /// Adds the failures of one tumor.
    pub fn add_tumor(&mut self, failures: &[EditFailure]) {
        self.tumors_checked += 1;
        let errors = failures
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count() as u64;
        let warnings = failures.len() as u64 - errors;
        self.errors += errors;
        self.warnings += warnings;
        if errors > 0 {
            self.tumors_with_errors += 1;
        } else if warnings > 0 {
            self.tumors_with_warnings_only += 1;
        }
        for failure in failures {
            *self.by_edit.entry(failure.edit_id.clone()).or_insert(0) += 1;
        }
    }

    /// The summary as a JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
