//! Reportability screening of pathology reports: reportable / not reportable / needs review,
//! with the phrases that decided it (byte spans into each section, for highlighting).
//!
//! How it decides:
//! - The keyword lists are data ([`ScreeningLists`], versioned, stored and edited by an admin);
//!   [`Screener::new`] compiles them once into a whole-word phrase index.
//! - Each positive term (carcinoma, lymphoma, meningioma ...) is checked against the scope of
//!   the triggers around it: negation ("negative for", "no evidence of", "... not identified"),
//!   clinical history / rule-out ("history of", "r/o", "status post"), SEER ambiguous terms that
//!   are diagnostic ("suspicious for", "consistent with") and those that are not ("cannot be
//!   ruled out", "possible"). A forward scope runs to the end of the clause, the next trigger, a
//!   terminator ("but", "positive for") or 8 words; a backward scope ("not identified") covers
//!   at most 5 words of the same clause, line and list item.
//! - Clinical history, specimen and gross sections are highlighted but never decide.
//! - After coding, [`ReportabilityRules`] (site/histology/behavior rules per state) give the
//!   final decision with its reason ([`decide`]).
//!
//! The input is [`ReportText`], independent of HL7, so pasted plain-text reports work too.

mod rules;
pub(crate) mod text;

#[cfg(test)]
mod tests;

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};

pub use rules::{
    ReportabilityDecision, ReportabilityRule, ReportabilityRules, RuleOutcome, TumorCodes, decide,
};
use text::{PhraseIndex, Tokenized};

/// The part of a report a text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SectionKind {
    /// Relevant clinical history (not diagnostic: "R/O", "history of").
    History,
    /// Nature of specimen / site of origin.
    Specimen,
    /// Gross description.
    Gross,
    /// Microscopic observation.
    Microscopic,
    /// Final diagnosis: the main source.
    FinalDiagnosis,
    /// Comments and notes.
    Comment,
    /// Synoptic (checklist) text.
    Synoptic,
    /// Anything else (addenda, unknown section codes, pasted text without headings).
    Other,
}

impl SectionKind {
    /// Whether a term found here can decide reportability (history, specimen and gross cannot).
    pub fn is_diagnostic(self) -> bool {
        !matches!(
            self,
            SectionKind::History | SectionKind::Specimen | SectionKind::Gross
        )
    }

    /// Display name.
    pub fn label(self) -> &'static str {
        match self {
            SectionKind::History => "clinical history",
            SectionKind::Specimen => "specimen",
            SectionKind::Gross => "gross description",
            SectionKind::Microscopic => "microscopic description",
            SectionKind::FinalDiagnosis => "final diagnosis",
            SectionKind::Comment => "comment",
            SectionKind::Synoptic => "synoptic report",
            SectionKind::Other => "report text",
        }
    }
}

/// One answered checklist question (CAP eCC/eCP), as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynopticItem {
    /// Checklist (template) name, e.g. "THYROID GLAND"; empty when unknown.
    pub template: String,
    /// Question text ("Tumor Site"); may be empty.
    pub question: String,
    /// Answer text ("Left lobe").
    pub answer: String,
}

/// The text of one pathology report, whatever it came in (HL7 or pasted text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportText {
    /// Text sections in report order.
    pub sections: Vec<(SectionKind, String)>,
    /// Checklist answers.
    pub synoptic: Vec<SynopticItem>,
    /// ICD-10(-CM) codes the lab sent (OBR-31), as sent ("C50.412").
    pub icd10_codes: Vec<String>,
}

impl ReportText {
    /// Reads a pasted plain-text report, cutting it at the usual headings ("FINAL DIAGNOSIS:",
    /// "CLINICAL HISTORY:", "GROSS DESCRIPTION:" ...). Text without any heading is one
    /// final-diagnosis section.
    pub fn from_plain_text(text: &str) -> ReportText {
        let mut sections: Vec<(SectionKind, String)> = Vec::new();
        let mut kind = None;
        let mut current = String::new();
        for line in text.lines() {
            if let Some((k, rest)) = heading(line) {
                flush(&mut sections, kind, &mut current);
                kind = Some(k);
                current.push_str(rest);
            } else {
                if !current.is_empty() {
                    current.push('\n');
                }
                current.push_str(line);
            }
        }
        flush(&mut sections, kind, &mut current);
        ReportText {
            sections,
            ..ReportText::default()
        }
    }

    /// Text of a location (section or checklist answer); "" when out of range.
    pub fn text_at(&self, location: TextLocation) -> &str {
        match location {
            TextLocation::Section(i) => self.sections.get(i).map(|s| s.1.as_str()),
            TextLocation::Synoptic(i) => self.synoptic.get(i).map(|s| s.answer.as_str()),
        }
        .unwrap_or("")
    }

    /// Kind of a location.
    pub fn kind_at(&self, location: TextLocation) -> SectionKind {
        match location {
            TextLocation::Section(i) => self
                .sections
                .get(i)
                .map(|s| s.0)
                .unwrap_or(SectionKind::Other),
            TextLocation::Synoptic(_) => SectionKind::Synoptic,
        }
    }

    /// Every text location: sections, then checklist answers.
    pub fn locations(&self) -> impl Iterator<Item = TextLocation> + '_ {
        (0..self.sections.len())
            .map(TextLocation::Section)
            .chain((0..self.synoptic.len()).map(TextLocation::Synoptic))
    }
}

fn flush(
    sections: &mut Vec<(SectionKind, String)>,
    kind: Option<SectionKind>,
    current: &mut String,
) {
    let text = std::mem::take(current);
    if text.trim().is_empty() {
        return;
    }
    sections.push((
        kind.unwrap_or(SectionKind::FinalDiagnosis),
        text.trim().to_string(),
    ));
}

/// A heading line of a pasted report, with the text after the heading on the same line.
fn heading(line: &str) -> Option<(SectionKind, &str)> {
    const HEADINGS: [(&str, SectionKind); 16] = [
        ("final diagnosis", SectionKind::FinalDiagnosis),
        ("final pathologic diagnosis", SectionKind::FinalDiagnosis),
        ("pathologic diagnosis", SectionKind::FinalDiagnosis),
        ("diagnosis", SectionKind::FinalDiagnosis),
        ("clinical history", SectionKind::History),
        ("clinical information", SectionKind::History),
        ("clinical data", SectionKind::History),
        ("history", SectionKind::History),
        ("gross description", SectionKind::Gross),
        ("gross", SectionKind::Gross),
        ("microscopic description", SectionKind::Microscopic),
        ("microscopic", SectionKind::Microscopic),
        ("comment", SectionKind::Comment),
        ("comments", SectionKind::Comment),
        ("specimen", SectionKind::Specimen),
        ("specimens submitted", SectionKind::Specimen),
    ];
    let trimmed = line.trim_start();
    let (head, rest) = match trimmed.split_once(':') {
        Some((h, r)) => (h, r),
        None => (trimmed, ""),
    };
    let head = head.trim().to_ascii_lowercase();
    // A heading stands alone or ends in a colon; "Diagnosis of exclusion" is not one.
    if rest.is_empty()
        && !trimmed.trim_end().ends_with(':')
        && trimmed.trim() != trimmed.trim().to_ascii_uppercase()
    {
        return None;
    }
    HEADINGS
        .iter()
        .find(|(h, _)| *h == head)
        .map(|(_, k)| (*k, rest.trim_start()))
}

/// Where a phrase was found: a text section or a checklist answer (index into [`ReportText`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TextLocation {
    /// Index into `ReportText::sections`.
    Section(usize),
    /// Index into `ReportText::synoptic` (the span is in the answer).
    Synoptic(usize),
}

/// What a matched phrase is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PhraseRole {
    /// A cancer term ("carcinoma").
    Positive,
    /// Negation trigger ("negative for", "not identified").
    Negation,
    /// History / rule-out trigger ("history of", "r/o").
    HistoryOrRuleOut,
    /// SEER ambiguous term that is diagnostic ("suspicious for").
    AmbiguousReportable,
    /// Ambiguous term that is not diagnostic ("cannot be ruled out").
    AmbiguousNotReportable,
    /// Benign wording ("benign", "negative for malignancy").
    Benign,
}

/// How a positive term is asserted in its context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Assertion {
    /// A diagnosis (possibly with a diagnostic ambiguous term such as "consistent with").
    Affirmed,
    /// In the scope of a negation.
    Negated,
    /// In the scope of a history / rule-out phrase.
    HistoryOrRuleOut,
    /// Qualified by a non-diagnostic ambiguous term.
    Uncertain,
    /// In a section that does not decide (clinical history, specimen, gross).
    NotDiagnosticSection,
}

/// One highlighted phrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreeningHit {
    /// Section or checklist answer.
    pub location: TextLocation,
    /// Section kind (for display).
    pub section: SectionKind,
    /// Byte span in that text.
    pub span: Range<usize>,
    /// The text as written.
    pub phrase: String,
    /// What the phrase is.
    pub role: PhraseRole,
    /// For positive terms: how they are asserted.
    pub assertion: Option<Assertion>,
    /// For positive terms: span of the trigger that qualified them, if any.
    pub qualified_by: Option<Range<usize>>,
}

/// A text range whose terms are not a current diagnosis (auto-coding skips terms inside).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcludedSpan {
    /// Section or checklist answer.
    pub location: TextLocation,
    /// Byte span.
    pub span: Range<usize>,
    /// Why.
    pub assertion: Assertion,
}

/// Screening outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReportabilityStatus {
    /// A reportable diagnosis was found.
    Reportable,
    /// Nothing reportable.
    NotReportable,
    /// A registrar must look (only non-diagnostic ambiguous terms, conflicting signals, no text).
    NeedsReview,
}

impl ReportabilityStatus {
    /// Short code used in the database and in fixtures: yes / no / review.
    pub fn code(self) -> &'static str {
        match self {
            ReportabilityStatus::Reportable => "yes",
            ReportabilityStatus::NotReportable => "no",
            ReportabilityStatus::NeedsReview => "review",
        }
    }
}

impl fmt::Display for ReportabilityStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReportabilityStatus::Reportable => "reportable",
            ReportabilityStatus::NotReportable => "not reportable",
            ReportabilityStatus::NeedsReview => "needs review",
        })
    }
}

/// Result of [`Screener::screen`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreeningResult {
    /// Keyword screening outcome (before the site/histology rules).
    pub status: ReportabilityStatus,
    /// Why, in words a registrar reads.
    pub reasons: Vec<String>,
    /// Every phrase found, for highlighting.
    pub hits: Vec<ScreeningHit>,
    /// Ranges that are negated, history/rule-out, uncertain or non-diagnostic.
    pub excluded: Vec<ExcludedSpan>,
    /// Version of the lists used.
    pub lists_version: u32,
}

impl ScreeningResult {
    /// How `span` of `location` is asserted, judging by the excluded ranges.
    pub fn assertion_at(&self, location: TextLocation, span: &Range<usize>) -> Assertion {
        self.excluded
            .iter()
            .filter(|e| {
                e.location == location
                    && e.span.start <= span.start
                    && span.start < e.span.end.max(e.span.start + 1)
            })
            .map(|e| e.assertion)
            .min_by_key(|a| assertion_rank(*a))
            .unwrap_or(Assertion::Affirmed)
    }
}

fn assertion_rank(a: Assertion) -> u8 {
    match a {
        Assertion::NotDiagnosticSection => 0,
        Assertion::Negated => 1,
        Assertion::HistoryOrRuleOut => 2,
        Assertion::Uncertain => 3,
        Assertion::Affirmed => 4,
    }
}

/// Errors in keyword lists an admin edited.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ListError {
    /// A line outside any `[list]`.
    #[error("line {line}: \"{text}\" is outside any [list] heading")]
    OutsideList { line: usize, text: String },
    /// Unknown list heading.
    #[error("line {line}: unknown list [{name}]; known lists: {known}")]
    UnknownList {
        line: usize,
        name: String,
        known: String,
    },
    /// Bad version line.
    #[error("line {line}: version must be a whole number, found \"{text}\"")]
    BadVersion { line: usize, text: String },
    /// A phrase with no letters or digits.
    #[error("list {list}: phrase \"{phrase}\" has no letters or digits")]
    EmptyPhrase { list: String, phrase: String },
    /// No positive term at all: nothing could ever be reportable.
    #[error("the positive list is empty: no report could ever be screened reportable")]
    NoPositiveTerms,
}

/// The screening keyword lists: data, versioned, editable by an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreeningLists {
    /// Increases with every edit; recorded with each screening result.
    pub version: u32,
    /// Cancer terms (and reportable non-malignant CNS tumours).
    pub positive: Vec<String>,
    /// Negation before the term ("negative for", "no evidence of").
    pub negation_before: Vec<String>,
    /// Negation after the term ("not identified").
    pub negation_after: Vec<String>,
    /// History / rule-out before the term ("history of", "r/o", "status post").
    pub history_before: Vec<String>,
    /// Diagnostic ambiguous terms before the term ("suspicious for", "consistent with").
    pub ambiguous_reportable_before: Vec<String>,
    /// Diagnostic ambiguous terms after the term ("is favored").
    pub ambiguous_reportable_after: Vec<String>,
    /// Non-diagnostic ambiguous terms before the term ("possible", "cannot rule out").
    pub ambiguous_not_reportable_before: Vec<String>,
    /// Non-diagnostic ambiguous terms after the term ("cannot be excluded").
    pub ambiguous_not_reportable_after: Vec<String>,
    /// Phrases that look like negations but negate nothing ("no change").
    pub pseudo_negation: Vec<String>,
    /// Words that end a forward scope ("but", "however").
    pub scope_terminator: Vec<String>,
    /// Benign wording, highlighted only.
    pub benign: Vec<String>,
}

/// Names of the lists in the text form, in precedence order.
pub const LIST_NAMES: [&str; 11] = [
    "pseudo_negation",
    "ambiguous_not_reportable_before",
    "ambiguous_not_reportable_after",
    "negation_before",
    "negation_after",
    "history_before",
    "ambiguous_reportable_before",
    "ambiguous_reportable_after",
    "scope_terminator",
    "benign",
    "positive",
];

const DEFAULT_LISTS: &str = include_str!("default_lists.txt");

impl Default for ScreeningLists {
    /// Registrar's own default lists (`default_lists.txt`).
    fn default() -> Self {
        // The shipped file is checked by a unit test, so an error cannot reach users; fall back
        // to empty lists rather than panic.
        ScreeningLists::from_text(DEFAULT_LISTS).unwrap_or_else(|_| ScreeningLists::empty(0))
    }
}

impl ScreeningLists {
    fn empty(version: u32) -> ScreeningLists {
        ScreeningLists {
            version,
            positive: Vec::new(),
            negation_before: Vec::new(),
            negation_after: Vec::new(),
            history_before: Vec::new(),
            ambiguous_reportable_before: Vec::new(),
            ambiguous_reportable_after: Vec::new(),
            ambiguous_not_reportable_before: Vec::new(),
            ambiguous_not_reportable_after: Vec::new(),
            pseudo_negation: Vec::new(),
            scope_terminator: Vec::new(),
            benign: Vec::new(),
        }
    }

    fn list_mut(&mut self, name: &str) -> Option<&mut Vec<String>> {
        Some(match name {
            "positive" => &mut self.positive,
            "negation_before" => &mut self.negation_before,
            "negation_after" => &mut self.negation_after,
            "history_before" => &mut self.history_before,
            "ambiguous_reportable_before" => &mut self.ambiguous_reportable_before,
            "ambiguous_reportable_after" => &mut self.ambiguous_reportable_after,
            "ambiguous_not_reportable_before" => &mut self.ambiguous_not_reportable_before,
            "ambiguous_not_reportable_after" => &mut self.ambiguous_not_reportable_after,
            "pseudo_negation" => &mut self.pseudo_negation,
            "scope_terminator" => &mut self.scope_terminator,
            "benign" => &mut self.benign,
            _ => return None,
        })
    }

    fn list(&self, name: &str) -> &[String] {
        match name {
            "positive" => &self.positive,
            "negation_before" => &self.negation_before,
            "negation_after" => &self.negation_after,
            "history_before" => &self.history_before,
            "ambiguous_reportable_before" => &self.ambiguous_reportable_before,
            "ambiguous_reportable_after" => &self.ambiguous_reportable_after,
            "ambiguous_not_reportable_before" => &self.ambiguous_not_reportable_before,
            "ambiguous_not_reportable_after" => &self.ambiguous_not_reportable_after,
            "pseudo_negation" => &self.pseudo_negation,
            "scope_terminator" => &self.scope_terminator,
            "benign" => &self.benign,
            _ => &[],
        }
    }

    /// Reads the text form: `version = N`, then `[list]` headings with one phrase per line;
    /// `#` starts a comment line.
    pub fn from_text(text: &str) -> Result<ScreeningLists, ListError> {
        let mut lists = ScreeningLists::empty(0);
        let mut current: Option<String> = None;
        for (n, raw) in text.lines().enumerate() {
            let line_no = n + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(v) = line.strip_prefix("version") {
                let v = v.trim_start().trim_start_matches('=').trim();
                lists.version = v.parse().map_err(|_| ListError::BadVersion {
                    line: line_no,
                    text: v.to_string(),
                })?;
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                let name = name.trim();
                if lists.list_mut(name).is_none() {
                    return Err(ListError::UnknownList {
                        line: line_no,
                        name: name.to_string(),
                        known: LIST_NAMES.join(", "),
                    });
                }
                current = Some(name.to_string());
                continue;
            }
            let Some(target) = current.as_deref().and_then(|c| lists.list_mut(c)) else {
                return Err(ListError::OutsideList {
                    line: line_no,
                    text: line.to_string(),
                });
            };
            target.push(line.to_string());
        }
        Ok(lists)
    }

    /// One list as edited in a text box: one phrase a line.
    pub fn list_text(&self, name: &str) -> String {
        self.list(name).join("\n")
    }

    /// Builds lists from one text box per list (one phrase a line; blank lines and `#` comment
    /// lines skipped), checked as the screener compiles them.
    pub fn from_boxes<'a>(
        version: u32,
        boxes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<ScreeningLists, ListError> {
        let mut lists = ScreeningLists::empty(version);
        for (name, text) in boxes {
            let known = LIST_NAMES.join(", ");
            let Some(target) = lists.list_mut(name) else {
                return Err(ListError::UnknownList {
                    line: 0,
                    name: name.to_string(),
                    known,
                });
            };
            for line in text.lines().map(str::trim) {
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                if !line.chars().any(char::is_alphanumeric) {
                    return Err(ListError::EmptyPhrase {
                        list: name.to_string(),
                        phrase: line.to_string(),
                    });
                }
                if !target.iter().any(|p| p == line) {
                    target.push(line.to_string());
                }
            }
        }
        Screener::new(&lists)?;
        Ok(lists)
    }

    /// Writes the text form read by [`ScreeningLists::from_text`].
    pub fn to_text(&self) -> String {
        let mut out = format!("version = {}\n", self.version);
        for name in LIST_NAMES {
            out.push_str(&format!("\n[{name}]\n"));
            for p in self.list(name) {
                out.push_str(p);
                out.push('\n');
            }
        }
        out
    }
}

/// Role of a compiled phrase, including the scope direction of triggers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Positive,
    Pseudo,
    Terminator,
    Benign,
    Before(Assertion),
    After(Assertion),
    /// Diagnostic ambiguous term (does not change the assertion).
    QualifierBefore,
    QualifierAfter,
}

/// Forward scope length in words.
const SCOPE_FORWARD: usize = 8;
/// Backward scope length in words.
const SCOPE_BACKWARD: usize = 5;

/// Compiled screening lists.
#[derive(Debug, Clone)]
pub struct Screener {
    index: PhraseIndex<Trigger>,
    version: u32,
}

/// A forward or backward scope of a trigger, in tokens.
struct Scope {
    tokens: Range<usize>,
    trigger: Range<usize>,
    kind: Trigger,
}

impl Screener {
    /// Compiles the lists (once, at load time).
    pub fn new(lists: &ScreeningLists) -> Result<Screener, ListError> {
        if lists.positive.is_empty() {
            return Err(ListError::NoPositiveTerms);
        }
        let mut index = PhraseIndex::default();
        for name in LIST_NAMES {
            let trigger = match name {
                "pseudo_negation" => Trigger::Pseudo,
                "ambiguous_not_reportable_before" => Trigger::Before(Assertion::Uncertain),
                "ambiguous_not_reportable_after" => Trigger::After(Assertion::Uncertain),
                "negation_before" => Trigger::Before(Assertion::Negated),
                "negation_after" => Trigger::After(Assertion::Negated),
                "history_before" => Trigger::Before(Assertion::HistoryOrRuleOut),
                "ambiguous_reportable_before" => Trigger::QualifierBefore,
                "ambiguous_reportable_after" => Trigger::QualifierAfter,
                "scope_terminator" => Trigger::Terminator,
                "benign" => Trigger::Benign,
                _ => Trigger::Positive,
            };
            for phrase in lists.list(name) {
                if !index.insert(phrase, trigger) {
                    return Err(ListError::EmptyPhrase {
                        list: name.to_string(),
                        phrase: phrase.clone(),
                    });
                }
            }
        }
        Ok(Screener {
            index,
            version: lists.version,
        })
    }

    /// The default lists, compiled.
    pub fn with_defaults() -> Screener {
        Screener::new(&ScreeningLists::default()).unwrap_or(Screener {
            index: PhraseIndex::default(),
            version: 0,
        })
    }

    /// Number of compiled phrases.
    pub fn phrase_count(&self) -> usize {
        self.index.len()
    }

    /// Screens one report.
    pub fn screen(&self, report: &ReportText) -> ScreeningResult {
        let mut hits = Vec::new();
        let mut excluded = Vec::new();
        let mut diagnostic_text = false;
        for location in report.locations() {
            let kind = report.kind_at(location);
            let text = report.text_at(location);
            if text.trim().is_empty() {
                continue;
            }
            if kind.is_diagnostic() {
                diagnostic_text = true;
            } else {
                excluded.push(ExcludedSpan {
                    location,
                    span: 0..text.len(),
                    assertion: Assertion::NotDiagnosticSection,
                });
            }
            self.screen_text(location, kind, text, &mut hits, &mut excluded);
        }
        let (status, reasons) = summarize(&hits, diagnostic_text, &report.icd10_codes);
        ScreeningResult {
            status,
            reasons,
            hits,
            excluded,
            lists_version: self.version,
        }
    }

    fn screen_text(
        &self,
        location: TextLocation,
        kind: SectionKind,
        text: &str,
        hits: &mut Vec<ScreeningHit>,
        excluded: &mut Vec<ExcludedSpan>,
    ) {
        let t = Tokenized::new(text);
        let matches = self.index.find_all(&t);
        // Trigger positions, to end a forward scope at the next trigger.
        let trigger_starts: Vec<usize> = matches
            .iter()
            .filter(|m| !matches!(m.value, Trigger::Positive | Trigger::Benign))
            .map(|m| m.tokens.start)
            .collect();
        let mut scopes: Vec<Scope> = Vec::new();
        for m in &matches {
            match *m.value {
                Trigger::Before(_) | Trigger::QualifierBefore => {
                    let start = m.tokens.end;
                    let mut end = start;
                    while end < t.tokens.len() && end - start < SCOPE_FORWARD {
                        let Some(tok) = t.tokens.get(end) else { break };
                        if tok.clause_break {
                            break;
                        }
                        if end > start {
                            if trigger_starts.contains(&end) {
                                break;
                            }
                            // A new checklist line ("Histologic type: ...") starts a new statement.
                            if tok.newline
                                && t.line_has_colon.get(tok.line).copied().unwrap_or(false)
                            {
                                break;
                            }
                        }
                        end += 1;
                    }
                    scopes.push(Scope {
                        tokens: start..end,
                        trigger: m.span.clone(),
                        kind: *m.value,
                    });
                }
                Trigger::After(_) | Trigger::QualifierAfter => {
                    let end = m.tokens.start;
                    let mut start = end;
                    while start > 0 && end - start < SCOPE_BACKWARD {
                        // `first` is the earliest token in scope (or the trigger itself):
                        // the scope cannot reach past the start of its clause, line or list item.
                        let Some(first) = t.tokens.get(start) else {
                            break;
                        };
                        if first.clause_break || first.newline || first.comma {
                            break;
                        }
                        if start < end && trigger_starts.contains(&(start - 1)) {
                            break;
                        }
                        start -= 1;
                    }
                    scopes.push(Scope {
                        tokens: start..end,
                        trigger: m.span.clone(),
                        kind: *m.value,
                    });
                }
                _ => {}
            }
        }
        for m in matches.iter().filter(|m| *m.value == Trigger::Benign) {
            // Benign wording ("negative for malignancy") holds a cancer word that is no diagnosis.
            excluded.push(ExcludedSpan {
                location,
                span: m.span.clone(),
                assertion: Assertion::Negated,
            });
        }
        for s in &scopes {
            if let Trigger::Before(a) | Trigger::After(a) = s.kind {
                // The trigger itself is covered too ("no malignant cells").
                let scope = t.span(s.tokens.start, s.tokens.end);
                let span = if scope.is_empty() {
                    s.trigger.clone()
                } else {
                    scope.start.min(s.trigger.start)..scope.end.max(s.trigger.end)
                };
                if !span.is_empty() {
                    excluded.push(ExcludedSpan {
                        location,
                        span,
                        assertion: a,
                    });
                }
            }
        }
        for m in &matches {
            let (role, assertion, qualified_by) = match *m.value {
                Trigger::Positive => {
                    let mut assertion = Assertion::Affirmed;
                    let mut qualified_by = None;
                    for s in scopes.iter().filter(|s| s.tokens.contains(&m.tokens.start)) {
                        let a = match s.kind {
                            Trigger::Before(a) | Trigger::After(a) => a,
                            _ => Assertion::Affirmed,
                        };
                        if assertion_rank(a) < assertion_rank(assertion)
                            || (a == assertion && qualified_by.is_none())
                        {
                            assertion = a;
                            qualified_by = Some(s.trigger.clone());
                        }
                    }
                    if !kind.is_diagnostic() {
                        assertion = Assertion::NotDiagnosticSection;
                    }
                    (PhraseRole::Positive, Some(assertion), qualified_by)
                }
                Trigger::Before(Assertion::Negated) | Trigger::After(Assertion::Negated) => {
                    (PhraseRole::Negation, None, None)
                }
                Trigger::Before(Assertion::Uncertain) | Trigger::After(Assertion::Uncertain) => {
                    (PhraseRole::AmbiguousNotReportable, None, None)
                }
                Trigger::Before(_) | Trigger::After(_) => {
                    (PhraseRole::HistoryOrRuleOut, None, None)
                }
                Trigger::QualifierBefore | Trigger::QualifierAfter => {
                    (PhraseRole::AmbiguousReportable, None, None)
                }
                Trigger::Benign => (PhraseRole::Benign, None, None),
                Trigger::Pseudo | Trigger::Terminator => continue,
            };
            hits.push(ScreeningHit {
                location,
                section: kind,
                span: m.span.clone(),
                phrase: text.get(m.span.clone()).unwrap_or("").to_string(),
                role,
                assertion,
                qualified_by,
            });
        }
    }
}

/// ICD-10 codes that name a reportable tumour: malignant (C00–C96), in situ (D00–D09) and the
/// benign/uncertain brain and CNS codes (D32, D33, D35.2–D35.4, D42, D43, D44.3–D44.5).
pub fn icd10_is_reportable(code: &str) -> bool {
    let c: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let Some(rest) = c.strip_prefix('C').or_else(|| c.strip_prefix('D')) else {
        return false;
    };
    let Some(n) = rest.get(..2).and_then(|d| d.parse::<u32>().ok()) else {
        return false;
    };
    let sub = rest.get(2..3).and_then(|d| d.parse::<u32>().ok());
    if c.starts_with('C') {
        return n <= 96 || c.starts_with("C4A") || c.starts_with("C7A") || c.starts_with("C7B");
    }
    n <= 9
        || n == 32
        || n == 33
        || n == 42
        || n == 43
        || (n == 35 && matches!(sub, Some(2..=4)))
        || (n == 44 && matches!(sub, Some(3..=5)))
}

fn summarize(
    hits: &[ScreeningHit],
    diagnostic_text: bool,
    icd10: &[String],
) -> (ReportabilityStatus, Vec<String>) {
    let positives = || hits.iter().filter(|h| h.role == PhraseRole::Positive);
    let reportable_icd: Vec<&String> = icd10.iter().filter(|c| icd10_is_reportable(c)).collect();
    let affirmed: Vec<&ScreeningHit> = positives()
        .filter(|h| h.assertion == Some(Assertion::Affirmed))
        .collect();
    if let Some(first) = affirmed.first() {
        let terms = distinct_phrases(&affirmed);
        let mut why = format!("cancer term(s) in the {}: {terms}", first.section.label());
        if affirmed.iter().any(|h| h.qualified_by.is_some()) {
            why.push_str(" (with a diagnostic ambiguous term, e.g. \"consistent with\")");
        }
        return (ReportabilityStatus::Reportable, vec![why]);
    }
    let uncertain: Vec<&ScreeningHit> = positives()
        .filter(|h| h.assertion == Some(Assertion::Uncertain))
        .collect();
    if !uncertain.is_empty() {
        return (
            ReportabilityStatus::NeedsReview,
            vec![format!(
                "only non-diagnostic ambiguous terms qualify the cancer term(s) {} (SEER: not reportable unless confirmed)",
                distinct_phrases(&uncertain)
            )],
        );
    }
    if !diagnostic_text {
        return match reportable_icd.first() {
            Some(code) => (
                ReportabilityStatus::Reportable,
                vec![format!(
                    "no diagnostic text; the lab's ICD-10 code {code} names a reportable tumour"
                )],
            ),
            None => (
                ReportabilityStatus::NeedsReview,
                vec!["the report has no diagnostic text (final diagnosis, microscopic, comment or checklist)".to_string()],
            ),
        };
    }
    if let Some(code) = reportable_icd.first() {
        return (
            ReportabilityStatus::NeedsReview,
            vec![format!(
                "the lab's ICD-10 code {code} names a reportable tumour but the text has no affirmed cancer term"
            )],
        );
    }
    let mut reasons = vec!["no affirmed cancer term in the diagnostic text".to_string()];
    let negated: Vec<&ScreeningHit> = positives()
        .filter(|h| {
            matches!(
                h.assertion,
                Some(Assertion::Negated | Assertion::HistoryOrRuleOut)
            )
        })
        .collect();
    if !negated.is_empty() {
        reasons.push(format!(
            "negated or history/rule-out only: {}",
            distinct_phrases(&negated)
        ));
    }
    (ReportabilityStatus::NotReportable, reasons)
}

fn distinct_phrases(hits: &[&ScreeningHit]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for h in hits {
        let p = h.phrase.to_lowercase();
        if !seen.contains(&p) {
            seen.push(p);
        }
    }
    seen.iter()
        .take(5)
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl From<&crate::domain::hl7::PathologyReport> for ReportText {
    fn from(report: &crate::domain::hl7::PathologyReport) -> ReportText {
        use crate::domain::hl7::SectionKind as H;
        let sections = report
            .sections
            .iter()
            .map(|s| {
                let kind = match s.kind {
                    H::History => SectionKind::History,
                    H::Specimen => SectionKind::Specimen,
                    H::Gross => SectionKind::Gross,
                    H::Microscopic => SectionKind::Microscopic,
                    H::FinalDiagnosis => SectionKind::FinalDiagnosis,
                    H::Comment => SectionKind::Comment,
                    H::Synoptic => SectionKind::Synoptic,
                    H::Other => SectionKind::Other,
                };
                (kind, s.text.clone())
            })
            .collect();
        let synoptic = report
            .synoptic
            .iter()
            .map(|a| SynopticItem {
                template: a.template_name.clone(),
                question: a.question.clone(),
                answer: a.answer.clone(),
            })
            .collect();
        ReportText {
            sections,
            synoptic,
            icd10_codes: report.icd10_codes.clone(),
        }
    }
}
