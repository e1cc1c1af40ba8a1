//! Item-level problems found while reading or writing NAACCR data, with where they were found.

use std::fmt;

use super::dictionary::ItemLevel;
use super::value::ValueError;

/// What is wrong with an item or element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueKind {
    /// The naaccrId is in neither the base nor the user dictionaries.
    UnknownItem,
    /// The item was found at a level other than the one its dictionary defines.
    WrongLevel {
        /// Level in the dictionary.
        defined: ItemLevel,
        /// Level where it was found.
        found: ItemLevel,
    },
    /// The value breaks the item's type or length rules.
    InvalidValue(ValueError),
    /// `naaccrNum` does not match the dictionary number of the naaccrId.
    NumberMismatch {
        /// Number found in the file.
        found: String,
        /// Number in the dictionary.
        expected: u32,
    },
    /// The same item appears twice in one element; the first value is kept.
    DuplicateItem,
    /// An `Item` element has no `naaccrId` attribute.
    MissingNaaccrId,
    /// A referenced user dictionary was not registered; its items are reported as unknown.
    MissingUserDictionary {
        /// The user dictionary URI.
        uri: String,
    },
    /// A NAACCR element where the standard does not allow it (skipped).
    UnexpectedElement {
        /// Element name.
        name: String,
    },
    /// Root-level item value conflicts with the file's record type attribute.
    RecordTypeMismatch {
        /// Record type of the file.
        expected: String,
    },
    /// A patient-level (or file-level) item differs between lines grouped into one patient (or file).
    InconsistentValue,
}

impl fmt::Display for IssueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownItem => f.write_str("unknown item (not in the base or user dictionaries)"),
            Self::WrongLevel { defined, found } => write!(
                f,
                "item belongs to the {defined} level but was found at the {found} level"
            ),
            Self::InvalidValue(e) => e.fmt(f),
            Self::NumberMismatch { found, expected } => write!(
                f,
                "naaccrNum '{found}' does not correspond to this naaccrId (expected {expected})"
            ),
            Self::DuplicateItem => f.write_str("item appears more than once; the first value is kept"),
            Self::MissingNaaccrId => f.write_str("Item element without a naaccrId attribute"),
            Self::MissingUserDictionary { uri } => write!(
                f,
                "user dictionary {uri} is not registered; its items are reported as unknown"
            ),
            Self::UnexpectedElement { name } => write!(f, "unexpected element <{name}> skipped"),
            Self::RecordTypeMismatch { expected } => {
                write!(f, "value differs from the file's record type {expected}")
            }
            Self::InconsistentValue => f.write_str(
                "value differs between records of the same patient (or file); the first value is kept",
            ),
        }
    }
}

/// A problem with one item (or element), located by line, patient and tumor (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemIssue {
    /// Line in the input (readers only).
    pub line: Option<u64>,
    /// Patient ordinal in the file, 1-based; `None` at the root level.
    pub patient: Option<usize>,
    /// Tumor ordinal within the patient, 1-based; `None` outside tumors.
    pub tumor: Option<usize>,
    /// The item concerned, if any.
    pub naaccr_id: Option<String>,
    /// What is wrong.
    pub kind: IssueKind,
}

impl fmt::Display for ItemIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(line) = self.line {
            parts.push(format!("line {line}"));
        }
        match self.patient {
            Some(p) => parts.push(format!("patient {p}")),
            None => parts.push("file level".to_string()),
        }
        if let Some(t) = self.tumor {
            parts.push(format!("tumor {t}"));
        }
        if let Some(id) = &self.naaccr_id {
            parts.push(format!("item '{id}'"));
        }
        write!(f, "{}: {}", parts.join(", "), self.kind)
    }
}
