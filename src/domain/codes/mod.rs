//! NAACCR code lists of the coded items a registrar abstracts (Data Dictionary, Volume II, v25/v26).
//!
//! The tables in `tables.rs` are the project's own, written from the NAACCR Data Standards and Data
//! Dictionary. Each list is keyed by the NAACCR XML `naaccrId`. Items whose values are counts or
//! measures (regional nodes, tumor size, sequence number, ...) carry numeric range rules next to
//! their special codes, so `describe("12")` on Regional Nodes Positive reads "12 nodes positive".

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

mod tables;

/// One allowed value of a coded item and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// The value as transmitted (fixed width, e.g. "01"); "" is the blank code where the item allows it.
    pub code: &'static str,
    /// The meaning, worded as in the NAACCR dictionary.
    pub description: &'static str,
}

/// A run of numeric values that share one meaning, e.g. "01".."90" nodes positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRange {
    /// Text that precedes the number (e.g. "A" for the 2023 surgery codes); usually "".
    pub prefix: &'static str,
    /// Lowest number of the run, inclusive.
    pub low: u32,
    /// Highest number of the run, inclusive.
    pub high: u32,
    /// Subtracted from the number before it is shown as `{n}` (62 in the non-malignant series is "2").
    pub offset: u32,
    /// Template of the meaning: `{n}` is the number without leading zeros, `{code}` the code as given.
    pub description: &'static str,
}

impl CodeRange {
    /// The number a code stands for when it belongs to this run (prefix and digits checked).
    fn number_of(&self, code: &str, width: usize) -> Option<u32> {
        let digits = code.strip_prefix(self.prefix)?;
        if code.len() != width || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = digits.parse().ok()?;
        (self.low..=self.high).contains(&n).then_some(n)
    }
}

/// The code list of one NAACCR item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeList {
    /// NAACCR XML item id, e.g. "laterality".
    pub naaccr_id: &'static str,
    /// NAACCR item number, e.g. 410.
    pub naaccr_num: u16,
    /// NAACCR item name, e.g. "Laterality".
    pub name: &'static str,
    /// Width of a code in characters (the item length).
    pub width: usize,
    /// The enumerated codes, in dictionary order.
    pub codes: &'static [Code],
    /// Numeric runs that are valid besides the enumerated codes.
    pub ranges: &'static [CodeRange],
    /// A short remark on the scope of the list (years, retired status); "" when none.
    pub note: &'static str,
}

impl CodeList {
    /// The enumerated code with this exact value.
    pub fn code(&self, code: &str) -> Option<&'static Code> {
        self.codes.iter().find(|c| c.code == code)
    }

    /// What a code means, or `None` when the code is not allowed for this item.
    pub fn describe(&self, code: &str) -> Option<Cow<'static, str>> {
        if let Some(c) = self.code(code) {
            return Some(Cow::Borrowed(c.description));
        }
        self.ranges.iter().find_map(|r| {
            let n = r.number_of(code, self.width)?;
            Some(Cow::Owned(
                r.description
                    .replace("{n}", &n.saturating_sub(r.offset).to_string())
                    .replace("{code}", code),
            ))
        })
    }

    /// Whether the value is an allowed code of this item (exact width; blank only where listed).
    pub fn is_valid(&self, code: &str) -> bool {
        self.code(code).is_some()
            || self
                .ranges
                .iter()
                .any(|r| r.number_of(code, self.width).is_some())
    }

    /// Codes whose value starts with the query, or whose description contains every word of it
    /// (case-insensitive). An empty query returns every enumerated code.
    pub fn search(&self, query: &str) -> Vec<&'static Code> {
        let query = query.trim().to_lowercase();
        let words: Vec<&str> = query.split_whitespace().collect();
        self.codes
            .iter()
            .filter(|c| {
                if words.is_empty() {
                    return true;
                }
                if c.code.to_lowercase().starts_with(query.as_str()) && !c.code.is_empty() {
                    return true;
                }
                let description = c.description.to_lowercase();
                words.iter().all(|w| description.contains(w))
            })
            .collect()
    }
}

/// The code list of a NAACCR item, by naaccrId (e.g. "behaviorCodeIcdO3").
pub fn code_list(naaccr_id: &str) -> Option<&'static CodeList> {
    static INDEX: OnceLock<HashMap<&'static str, &'static CodeList>> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            tables::CODE_LISTS
                .iter()
                .map(|l| (l.naaccr_id, l))
                .collect()
        })
        .get(naaccr_id)
        .copied()
}

/// Every coded item that has a code list here, in NAACCR item number order.
pub fn coded_items() -> impl Iterator<Item = &'static CodeList> {
    tables::CODE_LISTS.iter()
}

#[cfg(test)]
mod tests;
