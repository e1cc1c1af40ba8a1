//! NAACCR partial dates: `CCYY`, `CCYYMM` or `CCYYMMDD`, stored in their NAACCR text form.
//!
//! Registrars often know only the year or the month of an event (a diagnosis "in 2019"), so a date
//! item is a partial date, not a calendar date. Ordering compares what is known and treats the
//! unknown part as "could be any day", which is what the date-order edits need.

use std::cmp::Ordering;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A date whose month and day may be unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PartialDate {
    year: u16,
    month: Option<u8>,
    day: Option<u8>,
}

/// Why a text is not a NAACCR date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error(
        "'{0}' is not a date: use CCYY, CCYYMM or CCYYMMDD (for example 2024, 202403 or 20240315)"
    )]
    Format(String),
    #[error("'{0}' is not a real calendar date")]
    Calendar(String),
    #[error("year {0} is out of range (1850-2999)")]
    Year(u16),
}

impl PartialDate {
    /// Parses the NAACCR form. Also accepts `YYYY-MM-DD`, `YYYY-MM` (as typed in a date field).
    pub fn parse(text: &str) -> Result<Self, DateError> {
        let compact: String = text.trim().chars().filter(|c| *c != '-').collect();
        if !compact.chars().all(|c| c.is_ascii_digit()) || ![4, 6, 8].contains(&compact.len()) {
            return Err(DateError::Format(text.trim().to_string()));
        }
        let num = |range: std::ops::Range<usize>| -> Result<u16, DateError> {
            compact
                .get(range)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| DateError::Format(text.trim().to_string()))
        };
        let year = num(0..4)?;
        if !(1850..=2999).contains(&year) {
            return Err(DateError::Year(year));
        }
        let month = if compact.len() >= 6 {
            Some(num(4..6)? as u8)
        } else {
            None
        };
        let day = if compact.len() == 8 {
            Some(num(6..8)? as u8)
        } else {
            None
        };
        let date = PartialDate { year, month, day };
        date.validate()
            .map_err(|_| DateError::Calendar(text.trim().to_string()))?;
        Ok(date)
    }

    fn validate(&self) -> Result<(), ()> {
        match (self.month, self.day) {
            (None, None) => Ok(()),
            (Some(m), None) if (1..=12).contains(&m) => Ok(()),
            (Some(m), Some(d)) => NaiveDate::from_ymd_opt(self.year.into(), m.into(), d.into())
                .map(|_| ())
                .ok_or(()),
            _ => Err(()),
        }
    }

    /// A complete date.
    pub fn from_naive(date: NaiveDate) -> Self {
        PartialDate {
            year: u16::try_from(date.year()).unwrap_or(0),
            month: Some(date.month() as u8),
            day: Some(date.day() as u8),
        }
    }

    pub fn year(&self) -> u16 {
        self.year
    }
    pub fn month(&self) -> Option<u8> {
        self.month
    }
    pub fn day(&self) -> Option<u8> {
        self.day
    }
    pub fn is_complete(&self) -> bool {
        self.day.is_some()
    }

    /// The earliest calendar day this date could be.
    pub fn earliest(&self) -> NaiveDate {
        let m = self.month.unwrap_or(1);
        let d = self.day.unwrap_or(1);
        NaiveDate::from_ymd_opt(self.year.into(), m.into(), d.into()).unwrap_or(NaiveDate::MIN)
    }

    /// The latest calendar day this date could be.
    pub fn latest(&self) -> NaiveDate {
        match (self.month, self.day) {
            (Some(m), Some(d)) => NaiveDate::from_ymd_opt(self.year.into(), m.into(), d.into())
                .unwrap_or(NaiveDate::MAX),
            (Some(m), None) => last_day_of_month(self.year.into(), m.into()),
            _ => NaiveDate::from_ymd_opt(self.year.into(), 12, 31).unwrap_or(NaiveDate::MAX),
        }
    }

    /// Compares what is known: `Some(Less)` only when `self` is certainly before `other`;
    /// `None` when the unknown parts make the order undecidable (e.g. 2024 vs 202403).
    pub fn certain_cmp(&self, other: &PartialDate) -> Option<Ordering> {
        if self.latest() < other.earliest() {
            Some(Ordering::Less)
        } else if self.earliest() > other.latest() {
            Some(Ordering::Greater)
        } else if self == other && self.is_complete() {
            Some(Ordering::Equal)
        } else {
            None
        }
    }

    /// True when `self` is certainly after `other` (the date-order edits fail only then).
    pub fn is_certainly_after(&self, other: &PartialDate) -> bool {
        self.earliest() > other.latest()
    }

    /// The NAACCR text form: `CCYY`, `CCYYMM` or `CCYYMMDD`.
    pub fn to_naaccr(&self) -> String {
        self.to_string()
    }

    /// Shown to a person: `2024-03-15`, `2024-03` or `2024`.
    pub fn display_iso(&self) -> String {
        match (self.month, self.day) {
            (Some(m), Some(d)) => format!("{:04}-{:02}-{:02}", self.year, m, d),
            (Some(m), None) => format!("{:04}-{:02}", self.year, m),
            _ => format!("{:04}", self.year),
        }
    }

    /// Whole years from `self` (e.g. birth) to `later`, by the earliest/latest days that are possible;
    /// `None` when the partial dates do not fix the age.
    pub fn whole_years_until(&self, later: &PartialDate) -> Option<i32> {
        let low = years_between(self.latest(), later.earliest());
        let high = years_between(self.earliest(), later.latest());
        (low == high).then_some(low)
    }
}

fn years_between(from: NaiveDate, to: NaiveDate) -> i32 {
    let mut years = to.year() - from.year();
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years
}

fn last_day_of_month(year: i32, month: u32) -> NaiveDate {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(next_year, next_month, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "{m:02}")?;
        }
        if let Some(d) = self.day {
            write!(f, "{d:02}")?;
        }
        Ok(())
    }
}

impl TryFrom<String> for PartialDate {
    type Error = DateError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        PartialDate::parse(&value)
    }
}

impl From<PartialDate> for String {
    fn from(value: PartialDate) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_naaccr_forms_and_iso_input() {
        assert_eq!(PartialDate::parse("2024").unwrap().to_string(), "2024");
        assert_eq!(PartialDate::parse("202403").unwrap().to_string(), "202403");
        assert_eq!(
            PartialDate::parse("20240315").unwrap().to_string(),
            "20240315"
        );
        assert_eq!(
            PartialDate::parse("2024-03-15").unwrap().to_string(),
            "20240315"
        );
        assert_eq!(
            PartialDate::parse(" 2024-03 ").unwrap().display_iso(),
            "2024-03"
        );
    }

    #[test]
    fn refuses_impossible_and_malformed_dates() {
        assert!(matches!(
            PartialDate::parse("20230229"),
            Err(DateError::Calendar(_))
        ));
        assert!(matches!(
            PartialDate::parse("202413"),
            Err(DateError::Calendar(_))
        ));
        assert!(matches!(
            PartialDate::parse("2024031"),
            Err(DateError::Format(_))
        ));
        assert!(matches!(
            PartialDate::parse("99999999"),
            Err(DateError::Year(9999))
        ));
        assert!(matches!(
            PartialDate::parse("abcd"),
            Err(DateError::Format(_))
        ));
        assert!(matches!(PartialDate::parse(""), Err(DateError::Format(_))));
        assert!(PartialDate::parse("20240229").is_ok());
    }

    #[test]
    fn order_is_certain_only_when_the_known_parts_decide_it() {
        let y2024 = PartialDate::parse("2024").unwrap();
        let march = PartialDate::parse("202403").unwrap();
        let mar15 = PartialDate::parse("20240315").unwrap();
        let y2025 = PartialDate::parse("2025").unwrap();
        assert_eq!(y2024.certain_cmp(&march), None);
        assert_eq!(march.certain_cmp(&mar15), None);
        assert_eq!(y2024.certain_cmp(&y2025), Some(Ordering::Less));
        assert_eq!(mar15.certain_cmp(&mar15), Some(Ordering::Equal));
        assert!(y2025.is_certainly_after(&mar15));
        assert!(!march.is_certainly_after(&mar15));
        assert_eq!(
            PartialDate::parse("202402").unwrap().latest().to_string(),
            "2024-02-29"
        );
    }

    #[test]
    fn age_is_known_only_when_partial_dates_fix_it() {
        let birth = PartialDate::parse("19600510").unwrap();
        assert_eq!(
            birth.whole_years_until(&PartialDate::parse("20240509").unwrap()),
            Some(63)
        );
        assert_eq!(
            birth.whole_years_until(&PartialDate::parse("20240510").unwrap()),
            Some(64)
        );
        assert_eq!(
            birth.whole_years_until(&PartialDate::parse("2024").unwrap()),
            None
        );
        assert_eq!(
            PartialDate::parse("1960")
                .unwrap()
                .whole_years_until(&PartialDate::parse("2024").unwrap()),
            None
        );
        assert_eq!(
            birth.whole_years_until(&PartialDate::parse("202409").unwrap()),
            Some(64)
        );
    }
}
