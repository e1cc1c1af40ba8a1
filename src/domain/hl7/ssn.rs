//! US Social Security numbers (NAACCR item socialSecurityNumber #2320), validated.
//!
//! Labs send placeholders (999999999, 123456789), numbers with an area never issued (000, 666,
//! 900–999) and wrong lengths (the 10-digit PID-19 in the official Vol V sample). Linking a report
//! to a patient on such a number would merge different people, so only a plausible number passes.

use std::fmt;

use serde::Serialize;

/// A nine-digit SSN that passed the SSA structure rules (digits only, no dashes).
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Ssn(String);

/// Why a text is not a usable SSN. Messages never repeat the number (they may end up in logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum SsnIssue {
    /// Nothing was sent.
    #[error("the SSN is empty")]
    Empty,
    /// Letters or symbols other than dashes and spaces.
    #[error("the SSN contains characters other than digits, dashes and spaces")]
    NotDigits,
    /// Not nine digits (the count sent).
    #[error("the SSN has {0} digits instead of 9")]
    WrongLength(usize),
    /// All nine digits the same (999999999).
    #[error("the SSN is a placeholder (all digits the same)")]
    RepeatedDigit,
    /// 123456789 or 987654321.
    #[error("the SSN is a placeholder (123456789 or 987654321)")]
    Sequence,
    /// A number printed in advertising, never a person's.
    #[error("the SSN is a known advertising number that was never assigned to a person")]
    Advertising,
    /// Area 000.
    #[error("the SSN area number (first 3 digits) is 000, which is never issued")]
    AreaZero,
    /// Area 666.
    #[error("the SSN area number (first 3 digits) is 666, which is never issued")]
    Area666,
    /// Area 900-999 (never issued to a person; used for tests and taxpayer numbers).
    #[error(
        "the SSN area number (first 3 digits) is in the 900-999 range, which is never issued to a person"
    )]
    Area9xx,
    /// Group 00.
    #[error("the SSN group number (digits 4-5) is 00, which is never issued")]
    GroupZero,
    /// Serial 0000.
    #[error("the SSN serial number (last 4 digits) is 0000, which is never issued")]
    SerialZero,
}

/// Numbers printed in advertising (the 1938 Woolworth wallet card, the SSA's own sample card).
const ADVERTISING_NUMBERS: [&str; 2] = ["078051120", "219099999"];

impl Ssn {
    /// Validates a nine-digit SSN; dashes and spaces are accepted as formatting.
    pub fn parse(text: &str) -> Result<Ssn, SsnIssue> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(SsnIssue::Empty);
        }
        let mut digits = String::with_capacity(9);
        for c in trimmed.chars() {
            match c {
                '0'..='9' => digits.push(c),
                '-' | ' ' => {}
                _ => return Err(SsnIssue::NotDigits),
            }
        }
        if digits.len() != 9 {
            return Err(SsnIssue::WrongLength(digits.len()));
        }
        let first = digits.chars().next();
        if digits.chars().all(|c| Some(c) == first) {
            return Err(SsnIssue::RepeatedDigit);
        }
        if digits == "123456789" || digits == "987654321" {
            return Err(SsnIssue::Sequence);
        }
        if ADVERTISING_NUMBERS.contains(&digits.as_str()) {
            return Err(SsnIssue::Advertising);
        }
        let (area, group, serial) = (
            digits.get(0..3).unwrap_or(""),
            digits.get(3..5).unwrap_or(""),
            digits.get(5..9).unwrap_or(""),
        );
        if area == "000" {
            return Err(SsnIssue::AreaZero);
        }
        if area == "666" {
            return Err(SsnIssue::Area666);
        }
        if area.starts_with('9') {
            return Err(SsnIssue::Area9xx);
        }
        if group == "00" {
            return Err(SsnIssue::GroupZero);
        }
        if serial == "0000" {
            return Err(SsnIssue::SerialZero);
        }
        Ok(Ssn(digits))
    }

    /// The nine digits, as NAACCR item #2320 stores them.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four digits only, for screens and logs (`***-**-6789`).
    pub fn masked(&self) -> String {
        format!("***-**-{}", self.0.get(5..).unwrap_or(""))
    }
}

/// Debug output is masked so an SSN never reaches a log through `{:?}`.
impl fmt::Debug for Ssn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ssn({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_numbers_pass_with_or_without_dashes() {
        assert_eq!(
            Ssn::parse("123-45-6780").map(|s| s.as_str().to_string()),
            Ok("123456780".into())
        );
        assert_eq!(
            Ssn::parse(" 401 22 3344 ").map(|s| s.as_str().to_string()),
            Ok("401223344".into())
        );
        assert_eq!(
            Ssn::parse("899112222").map(|s| s.masked()),
            Ok("***-**-2222".into())
        );
    }

    #[test]
    fn placeholders_and_never_issued_ranges_are_rejected_with_the_reason() {
        let cases = [
            ("", SsnIssue::Empty),
            ("12345678X", SsnIssue::NotDigits),
            ("4442331235", SsnIssue::WrongLength(10)),
            ("12345", SsnIssue::WrongLength(5)),
            ("999999999", SsnIssue::RepeatedDigit),
            ("000000000", SsnIssue::RepeatedDigit),
            ("123456789", SsnIssue::Sequence),
            ("078-05-1120", SsnIssue::Advertising),
            ("000123456", SsnIssue::AreaZero),
            ("666123456", SsnIssue::Area666),
            ("999112222", SsnIssue::Area9xx),
            ("900123456", SsnIssue::Area9xx),
            ("123001234", SsnIssue::GroupZero),
            ("123450000", SsnIssue::SerialZero),
        ];
        for (text, issue) in cases {
            assert_eq!(Ssn::parse(text), Err(issue), "{text:?}");
        }
    }

    #[test]
    fn debug_output_is_masked() {
        let ssn = Ssn::parse("401223344");
        assert_eq!(format!("{ssn:?}"), "Ok(Ssn(***-**-3344))");
    }
}
