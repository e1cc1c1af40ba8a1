//! Sequence Number--Central [380] and Sequence Number--Hospital [560]: the order of a patient's
//! primary tumors over the whole lifetime (NAACCR Volume II; staging reference §3.3).
//!
//! Two independent series:
//! - in situ / malignant (behavior 2, 3): 00 = the only one; 01, 02, ... 59 = order of diagnosis;
//!   99 = the one tumor whose order is unknown;
//! - non-malignant (behavior 0, 1) and tumors reportable by agreement: 60 = the only one; 61, 62,
//!   ... 87 = order; 88 = the one whose order is unknown.
//!
//! Central only: 98 = cervix carcinoma in situ / CIN III (C53, behavior 2) diagnosed before 2003;
//! such a tumor leaves the malignant series. The Hospital number has no 98; otherwise the two are
//! numbered alike, and differ only because the caller passes each the tumors reportable to it.
//!
//! Order within a series, first decisive rule wins (a stable, documented tie-break):
//! 1. earliest possible day of the (partial) date of diagnosis ("2020" counts from 2020-01-01);
//! 2. latest possible day (a complete date before a month-only or year-only date that starts on
//!    the same day: 20200101 before 202001 before 2020);
//! 3. prognosis: behavior 3 before 2 (and 1 before 0): simultaneous tumors, worst prognosis first;
//! 4. the tumors' current numbers (keeps a registrar's earlier decision on same-day tumors);
//! 5. input order.
//!
//! A tumor without a date of diagnosis has an unknown place: alone in its series it is 00/60;
//! the single undated tumor of a series of several gets 99/88; when several are undated (99/88
//! may be used once), they follow the dated ones, ordered by rules 3-5.

use std::cmp::Ordering;

use chrono::NaiveDate;

use crate::domain::date::PartialDate;
use crate::domain::icdo3::{Histology, PrimarySite};

/// Which sequence number item is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SequenceItem {
    /// Sequence Number--Central [380] (state registry; has code 98).
    Central,
    /// Sequence Number--Hospital [560].
    Hospital,
}

/// One of the patient's tumors, as the numbering needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceInput<K> {
    /// The caller's identifier of the tumor (returned with its number).
    pub key: K,
    /// Date of Diagnosis [390], possibly partial.
    pub date_of_diagnosis: Option<PartialDate>,
    /// Behavior Code ICD-O-3 [523]: 0 benign, 1 borderline, 2 in situ, 3 malignant.
    pub behavior: Option<u8>,
    /// Histologic Type ICD-O-3 [522] (not used by the order today; carried for MP/H callers).
    pub histology: Option<Histology>,
    /// Primary Site [400] (decides the Central code 98 for cervix in situ).
    pub primary_site: Option<PrimarySite>,
    /// Reportable by state or registry agreement although not federally required (e.g. basal cell
    /// skin carcinoma): numbered in the non-malignant series.
    pub reportable_by_agreement: bool,
    /// The number the tumor has now, if any.
    pub current: Option<String>,
}

/// Numbers every tumor of one patient (Hospital rules, i.e. without the Central code 98).
/// Returns (key, new code, whether it differs from `current`) in input order.
pub fn assign_sequence_numbers<K: Clone>(tumors: &[SequenceInput<K>]) -> Vec<(K, String, bool)> {
    assign_sequence_numbers_for(SequenceItem::Hospital, tumors)
}

/// Numbers every tumor of one patient for the given item.
/// Returns (key, new code, whether it differs from `current`) in input order.
pub fn assign_sequence_numbers_for<K: Clone>(
    item: SequenceItem,
    tumors: &[SequenceInput<K>],
) -> Vec<(K, String, bool)> {
    let mut codes: Vec<String> = vec![String::new(); tumors.len()];
    let mut malignant = Vec::new();
    let mut non_malignant = Vec::new();
    for (index, tumor) in tumors.iter().enumerate() {
        match series(item, tumor) {
            Series::CervixInSitu => {
                if let Some(code) = codes.get_mut(index) {
                    *code = "98".to_string();
                }
            }
            Series::Malignant => malignant.push(index),
            Series::NonMalignant => non_malignant.push(index),
        }
    }
    number_series(tumors, &malignant, &SeriesCodes::MALIGNANT, &mut codes);
    number_series(
        tumors,
        &non_malignant,
        &SeriesCodes::NON_MALIGNANT,
        &mut codes,
    );
    tumors
        .iter()
        .zip(codes)
        .map(|(tumor, code)| {
            let changed = tumor.current.as_deref().map(str::trim) != Some(code.as_str());
            (tumor.key.clone(), code, changed)
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Series {
    Malignant,
    NonMalignant,
    CervixInSitu,
}

/// The series a tumor is numbered in. An unknown behavior counts as malignant: the federally
/// required series is the one a missing code must not hide from.
fn series<K>(item: SequenceItem, tumor: &SequenceInput<K>) -> Series {
    if tumor.reportable_by_agreement || matches!(tumor.behavior, Some(0 | 1)) {
        return Series::NonMalignant;
    }
    let cervix = tumor.primary_site.is_some_and(|s| s.group() == "C53");
    let before_2003 = tumor.date_of_diagnosis.is_some_and(|d| d.year() < 2003);
    if item == SequenceItem::Central && cervix && tumor.behavior == Some(2) && before_2003 {
        return Series::CervixInSitu;
    }
    Series::Malignant
}

/// The codes of one series.
struct SeriesCodes {
    only: u8,
    first: u8,
    last: u8,
    unknown: u8,
}

impl SeriesCodes {
    const MALIGNANT: SeriesCodes = SeriesCodes {
        only: 0,
        first: 1,
        last: 59,
        unknown: 99,
    };
    const NON_MALIGNANT: SeriesCodes = SeriesCodes {
        only: 60,
        first: 61,
        last: 87,
        unknown: 88,
    };
}

fn number_series<K>(
    tumors: &[SequenceInput<K>],
    members: &[usize],
    codes: &SeriesCodes,
    out: &mut [String],
) {
    let set = |out: &mut [String], index: usize, code: u8| {
        if let Some(slot) = out.get_mut(index) {
            *slot = format!("{code:02}");
        }
    };
    if let [only] = members {
        set(out, *only, codes.only);
        return;
    }
    let (mut dated, mut undated): (Vec<usize>, Vec<usize>) = members
        .iter()
        .partition(|&&i| tumors.get(i).is_some_and(|t| t.date_of_diagnosis.is_some()));
    dated.sort_by(|&a, &b| order(tumors, a, b));
    undated.sort_by(|&a, &b| tie_break(tumors, a, b));
    if let [single] = undated[..] {
        set(out, single, codes.unknown);
        undated.clear();
    }
    let mut next = codes.first;
    for index in dated.into_iter().chain(undated) {
        // More than 59 (27) primaries does not happen; the last code is repeated rather than
        // spilling into the other series.
        set(out, index, next.min(codes.last));
        next = next.saturating_add(1);
    }
}

/// Order of two dated tumors: by the date, then the tie-break.
fn order<K>(tumors: &[SequenceInput<K>], a: usize, b: usize) -> Ordering {
    let span = |i: usize| -> (NaiveDate, NaiveDate) {
        tumors
            .get(i)
            .and_then(|t| t.date_of_diagnosis)
            .map_or((NaiveDate::MAX, NaiveDate::MAX), |d| {
                (d.earliest(), d.latest())
            })
    };
    span(a).cmp(&span(b)).then_with(|| tie_break(tumors, a, b))
}

/// Same-date order: worst prognosis (highest behavior) first, then current number, then input order.
fn tie_break<K>(tumors: &[SequenceInput<K>], a: usize, b: usize) -> Ordering {
    let key = |i: usize| {
        let tumor = tumors.get(i);
        let behavior = tumor.and_then(|t| t.behavior).unwrap_or(0);
        let current = tumor
            .and_then(|t| t.current.as_deref())
            .and_then(|c| c.trim().parse::<u8>().ok())
            .filter(|c| !matches!(c, 88 | 98 | 99))
            .unwrap_or(u8::MAX);
        (std::cmp::Reverse(behavior), current, i)
    };
    key(a).cmp(&key(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Option<PartialDate> {
        PartialDate::parse(text).ok()
    }

    fn tumor(
        key: &'static str,
        dx: &str,
        site: &str,
        behavior: u8,
        current: Option<&str>,
    ) -> SequenceInput<&'static str> {
        SequenceInput {
            key,
            date_of_diagnosis: date(dx),
            behavior: Some(behavior),
            histology: None,
            primary_site: PrimarySite::parse(site).ok(),
            reportable_by_agreement: false,
            current: current.map(str::to_string),
        }
    }

    fn codes<'a>(result: &'a [(&'static str, String, bool)]) -> Vec<(&'static str, &'a str, bool)> {
        result
            .iter()
            .map(|(k, c, changed)| (*k, c.as_str(), *changed))
            .collect()
    }

    #[test]
    fn one_tumor_is_00_and_unchanged_when_already_00() {
        let result = assign_sequence_numbers(&[tumor("breast", "20240510", "C504", 3, Some("00"))]);
        assert_eq!(codes(&result), vec![("breast", "00", false)]);
        let result = assign_sequence_numbers(&[tumor("breast", "20240510", "C504", 3, None)]);
        assert_eq!(codes(&result), vec![("breast", "00", true)]);
        // Alone in its series, even an undated tumor is 00.
        let result = assign_sequence_numbers(&[tumor("lung", "", "C349", 3, None)]);
        assert_eq!(codes(&result), vec![("lung", "00", true)]);
    }

    #[test]
    fn a_second_malignant_tumor_turns_00_into_01() {
        let result = assign_sequence_numbers(&[
            tumor("breast", "20190304", "C504", 3, Some("00")),
            tumor("colon", "20220815", "C189", 3, None),
        ]);
        assert_eq!(
            codes(&result),
            vec![("breast", "01", true), ("colon", "02", true)]
        );
    }

    #[test]
    fn malignant_and_benign_cns_are_numbered_independently() {
        let result = assign_sequence_numbers(&[
            tumor("meningioma", "20180101", "C700", 0, Some("60")),
            tumor("prostate", "20230601", "C619", 3, Some("00")),
        ]);
        assert_eq!(
            codes(&result),
            vec![("meningioma", "60", false), ("prostate", "00", false)]
        );
        // A benign CNS tumor that progresses keeps 60; the malignant one starts the other series.
        let result = assign_sequence_numbers(&[
            tumor("low grade", "2015", "C711", 1, Some("60")),
            tumor("glioblastoma", "2021", "C711", 3, None),
            tumor("schwannoma", "2019", "C723", 0, None),
        ]);
        assert_eq!(
            codes(&result),
            vec![
                ("low grade", "61", true),
                ("glioblastoma", "00", true),
                ("schwannoma", "62", true)
            ]
        );
    }

    #[test]
    fn a_new_earlier_diagnosis_renumbers_the_others() {
        let result = assign_sequence_numbers(&[
            tumor("colon", "20200105", "C189", 3, Some("01")),
            tumor("lung", "20230720", "C341", 3, Some("02")),
            tumor("melanoma found in old records", "20150312", "C445", 3, None),
        ]);
        assert_eq!(
            codes(&result),
            vec![
                ("colon", "02", true),
                ("lung", "03", true),
                ("melanoma found in old records", "01", true)
            ]
        );
    }

    #[test]
    fn partial_dates_order_by_their_earliest_possible_day() {
        let result = assign_sequence_numbers(&[
            tumor("june 15", "20200615", "C504", 3, None),
            tumor("june", "202006", "C189", 3, None),
            tumor("year", "2020", "C341", 3, None),
            tumor("2019", "2019", "C619", 3, None),
        ]);
        assert_eq!(
            codes(&result),
            vec![
                ("june 15", "04", true),
                ("june", "03", true),
                ("year", "02", true),
                ("2019", "01", true)
            ]
        );
        // Same earliest day: the narrower date (complete) first.
        let result = assign_sequence_numbers(&[
            tumor("month", "202001", "C504", 3, None),
            tumor("day", "20200101", "C189", 3, None),
        ]);
        assert_eq!(
            codes(&result),
            vec![("month", "02", true), ("day", "01", true)]
        );
    }

    #[test]
    fn same_day_tumors_put_invasive_first_then_keep_current_order() {
        let result = assign_sequence_numbers(&[
            tumor("in situ", "20240510", "C504", 2, None),
            tumor("invasive", "20240510", "C509", 3, None),
        ]);
        assert_eq!(
            codes(&result),
            vec![("in situ", "02", true), ("invasive", "01", true)]
        );
        let result = assign_sequence_numbers(&[
            tumor("right kidney", "20240510", "C649", 3, Some("02")),
            tumor("left kidney", "20240510", "C649", 3, Some("01")),
        ]);
        assert_eq!(
            codes(&result),
            vec![("right kidney", "02", false), ("left kidney", "01", false)]
        );
        let result = assign_sequence_numbers(&[
            tumor("first entered", "20240510", "C649", 3, None),
            tumor("second entered", "20240510", "C649", 3, None),
        ]);
        assert_eq!(
            codes(&result),
            vec![
                ("first entered", "01", true),
                ("second entered", "02", true)
            ]
        );
    }

    #[test]
    fn unknown_dates_use_99_or_88_once() {
        let result = assign_sequence_numbers(&[
            tumor("dated", "2010", "C504", 3, None),
            tumor("undated", "", "C189", 3, None),
        ]);
        assert_eq!(
            codes(&result),
            vec![("dated", "01", true), ("undated", "99", true)]
        );
        let result = assign_sequence_numbers(&[
            tumor("benign dated", "2010", "C700", 0, None),
            tumor("benign undated", "", "C751", 0, None),
        ]);
        assert_eq!(
            codes(&result),
            vec![("benign dated", "61", true), ("benign undated", "88", true)]
        );
        // Two undated: 99 cannot be used twice; they follow the dated tumor.
        let result = assign_sequence_numbers(&[
            tumor("undated a", "", "C189", 3, None),
            tumor("dated", "2010", "C504", 3, None),
            tumor("undated b", "", "C341", 3, None),
        ]);
        assert_eq!(
            codes(&result),
            vec![
                ("undated a", "02", true),
                ("dated", "01", true),
                ("undated b", "03", true)
            ]
        );
    }

    #[test]
    fn central_numbers_cervix_in_situ_before_2003_as_98() {
        let tumors = [
            tumor("cin iii", "20010612", "C539", 2, None),
            tumor("breast", "20100302", "C504", 3, None),
        ];
        let central = assign_sequence_numbers_for(SequenceItem::Central, &tumors);
        assert_eq!(
            codes(&central),
            vec![("cin iii", "98", true), ("breast", "00", true)]
        );
        let hospital = assign_sequence_numbers_for(SequenceItem::Hospital, &tumors);
        assert_eq!(
            codes(&hospital),
            vec![("cin iii", "01", true), ("breast", "02", true)]
        );
        // From 2003 on, cervix in situ is numbered in the malignant series.
        let later = [
            tumor("cin iii", "2003", "C539", 2, None),
            tumor("breast", "2010", "C504", 3, None),
        ];
        let central = assign_sequence_numbers_for(SequenceItem::Central, &later);
        assert_eq!(
            codes(&central),
            vec![("cin iii", "01", true), ("breast", "02", true)]
        );
    }

    #[test]
    fn reportable_by_agreement_tumors_use_the_non_malignant_series() {
        let mut skin = tumor("basal cell", "2012", "C443", 3, None);
        skin.reportable_by_agreement = true;
        let result = assign_sequence_numbers(&[skin, tumor("breast", "2015", "C504", 3, None)]);
        assert_eq!(
            codes(&result),
            vec![("basal cell", "60", true), ("breast", "00", true)]
        );
    }

    #[test]
    fn empty_and_unknown_behavior() {
        assert!(assign_sequence_numbers::<u32>(&[]).is_empty());
        let mut unknown = tumor("no behavior", "2012", "C504", 3, Some(" 00 "));
        unknown.behavior = None;
        assert_eq!(
            codes(&assign_sequence_numbers(&[unknown])),
            vec![("no behavior", "00", false)]
        );
    }

    #[test]
    fn many_primaries_never_leave_their_series() {
        let tumors: Vec<SequenceInput<usize>> = (0..70)
            .map(|i| SequenceInput {
                key: i,
                date_of_diagnosis: date(&format!("{}", 1950 + i)),
                behavior: Some(3),
                histology: None,
                primary_site: None,
                reportable_by_agreement: false,
                current: None,
            })
            .collect();
        let result = assign_sequence_numbers(&tumors);
        assert_eq!(result.first().map(|r| r.1.as_str()), Some("01"));
        assert_eq!(result.get(58).map(|r| r.1.as_str()), Some("59"));
        assert_eq!(result.last().map(|r| r.1.as_str()), Some("59"));
    }
}
