//! Validation edits: data-driven rules run on one tumor (with its patient items) at a time.
//!
//! The rules are one table (`rules.rs`), built once: hand-written consistency edits (dates, age,
//! sex/site, site/histology/behavior, laterality, confirmation, sequence number, class of case, DCO,
//! text, treatment) plus generated families (one validity edit per coded item of
//! [`crate::domain::codes`], one format edit per date item, one required-item edit per core item).
//! These are Registrar's own implementation of the checks the NAACCR/SEER/CoC edits describe, not a
//! translation of the NAACCR EDITS metafile: ids are Registrar's, the over-ride items are NAACCR's.
//!
//! ```text
//! let failures = run_edits(&record, &EditContext::new(today, RecordType::I, EditSet::Incidence));
//! ```

use std::collections::{BTreeMap, HashMap};
use std::marker::PhantomData;
use std::sync::OnceLock;

use chrono::NaiveDate;

use crate::domain::naaccr::RecordType;

mod engine;
mod report;
mod rules;

pub use engine::{
    ALL_TYPES, Agency, CONFIDENTIAL_TYPES, Check, Cond, DATE_ITEMS, EditRule, EditSet, EditSets,
    Severity, TEXT_TYPES, Tumor, Verdict, site_number,
};
pub use report::{EditReportLine, EditSummary};
pub use rules::{ItemLabel, item_label};

/// naaccrId → value for one tumor together with its patient's items.
///
/// The application implements it over its database rows and over NAACCR XML patients; blank and
/// absent values are the same to the edits.
pub trait RecordView {
    /// The value of the item, if the record has one.
    fn value(&self, naaccr_id: &str) -> Option<&str>;

    /// Calls `f` with every (naaccrId, value) the record holds and returns true, when the view
    /// can list its values; the engine then reads a record in one pass instead of one lookup per
    /// item. The default lists nothing and returns false (the engine falls back to `value`).
    fn for_each_value<'s>(&'s self, f: &mut dyn FnMut(&'s str, &'s str)) -> bool {
        let _ = f;
        false
    }
}

impl<T: RecordView + ?Sized> RecordView for &T {
    fn value(&self, naaccr_id: &str) -> Option<&str> {
        (**self).value(naaccr_id)
    }
    fn for_each_value<'s>(&'s self, f: &mut dyn FnMut(&'s str, &'s str)) -> bool {
        (**self).for_each_value(f)
    }
}

impl RecordView for BTreeMap<String, String> {
    fn value(&self, naaccr_id: &str) -> Option<&str> {
        self.get(naaccr_id).map(String::as_str)
    }
    fn for_each_value<'s>(&'s self, f: &mut dyn FnMut(&'s str, &'s str)) -> bool {
        self.iter().for_each(|(k, v)| f(k, v));
        true
    }
}

impl RecordView for HashMap<String, String> {
    fn value(&self, naaccr_id: &str) -> Option<&str> {
        self.get(naaccr_id).map(String::as_str)
    }
    fn for_each_value<'s>(&'s self, f: &mut dyn FnMut(&'s str, &'s str)) -> bool {
        self.iter().for_each(|(k, v)| f(k, v));
        true
    }
}

/// A (patient items, tumor items) pair: tumor items are looked up first, then the patient's.
impl<P: RecordView, T: RecordView> RecordView for (P, T) {
    fn value(&self, naaccr_id: &str) -> Option<&str> {
        self.1.value(naaccr_id).or_else(|| self.0.value(naaccr_id))
    }
    fn for_each_value<'s>(&'s self, f: &mut dyn FnMut(&'s str, &'s str)) -> bool {
        // Tumor values come last so they win, as in `value`.
        self.0.for_each_value(f) && self.1.for_each_value(f)
    }
}

/// A record view over a lookup function, e.g. `FnView::new(|id| row.value_of(id))`.
pub struct FnView<'a, F: Fn(&str) -> Option<&'a str>> {
    lookup: F,
    values: PhantomData<&'a str>,
}

impl<'a, F: Fn(&str) -> Option<&'a str>> FnView<'a, F> {
    /// Wraps the lookup.
    pub fn new(lookup: F) -> Self {
        FnView {
            lookup,
            values: PhantomData,
        }
    }
}

impl<'a, F: Fn(&str) -> Option<&'a str>> RecordView for FnView<'a, F> {
    fn value(&self, naaccr_id: &str) -> Option<&str> {
        (self.lookup)(naaccr_id)
    }
}

/// What a run of the edits needs besides the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EditContext {
    /// Today's date (dates after it fail).
    pub today: NaiveDate,
    /// The NAACCR record type being checked (text edits run on A and M only, ...).
    pub record_type: RecordType,
    /// The edit set selected.
    pub edit_set: EditSet,
}

impl EditContext {
    /// A context for a run.
    pub fn new(today: NaiveDate, record_type: RecordType, edit_set: EditSet) -> EditContext {
        EditContext {
            today,
            record_type,
            edit_set,
        }
    }
}

/// One failed edit on one tumor.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EditFailure {
    /// The rule's id (e.g. "RG-X01").
    pub edit_id: String,
    /// Error or warning.
    pub severity: Severity,
    /// The naaccrIds involved.
    pub items: Vec<String>,
    /// What the registrar reads.
    pub message: String,
}

/// Every rule, built once (hand-written rules first, then the generated families).
pub fn all_rules() -> &'static [EditRule] {
    static RULES: OnceLock<Vec<EditRule>> = OnceLock::new();
    RULES.get_or_init(rules::build)
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static EditRule> {
    all_rules().iter().find(|r| r.id == id)
}

/// Runs the selected edits on one tumor; failures come in rule-table order.
pub fn run_edits(record: &impl RecordView, context: &EditContext) -> Vec<EditFailure> {
    let tumor = Tumor::new(record, context.today);
    all_rules()
        .iter()
        .filter(|r| r.applies_to(context.record_type, context.edit_set))
        .filter_map(|r| r.run(&tumor))
        .collect()
}

#[cfg(test)]
mod tests;
