//! Grade phrases in pathology text → NAACCR Grade 2018 codes where the mapping is unambiguous.
//!
//! The phrase is always kept (the registrar codes grade per schema); the code is given only
//! for the systems below: Nottingham (score 3-5 → 1, 6-7 → 2, 8-9 → 3), Gleason grade group
//! 1-5, CNS WHO grade 1-4, ISUP/Fuhrman 1-4 (kidney), low/high grade (urinary tract L/H,
//! DCIS nuclear grade L/M/H), and differentiation (well/moderately/poorly/undifferentiated →
//! 1/2/3/4, G1-G4).

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// The grading system a phrase belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GradeSystem {
    /// Nottingham (modified Scarff-Bloom-Richardson) grade, breast.
    Nottingham,
    /// Gleason score / ISUP grade group, prostate.
    GleasonGradeGroup,
    /// CNS WHO grade.
    WhoCns,
    /// ISUP / Fuhrman nuclear grade, kidney.
    IsupFuhrman,
    /// Low / intermediate / high grade (urothelial; DCIS nuclear grade).
    LowHigh,
    /// Well / moderately / poorly differentiated, undifferentiated, G1-G4.
    Differentiation,
}

/// One grade phrase found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GradeFinding {
    pub system: GradeSystem,
    pub span: Range<usize>,
    /// The value read: "1".."5", or "L"/"M"/"H" for low/intermediate/high.
    pub value: String,
}

fn roman_or_digit(s: &str) -> Option<(u8, usize)> {
    let s_trim = s.trim_start_matches([' ', ':', '-', '\t', '(']);
    let skipped = s.len() - s_trim.len();
    // Longest roman numerals first.
    for (word, v) in [("iv", 4u8), ("iii", 3), ("ii", 2), ("i", 1), ("v", 5)] {
        if let Some(rest) = s_trim.strip_prefix(word)
            && !rest
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
        {
            return Some((v, skipped + word.len()));
        }
    }
    let digit = s_trim.chars().next()?;
    let v = digit.to_digit(10)?;
    let rest = s_trim.get(1..).unwrap_or("");
    if rest.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    u8::try_from(v).ok().map(|v| (v, skipped + 1))
}

/// Byte offsets of every whole-word occurrence of `needle` in `hay` (both lowercase).
fn occurrences<'a>(hay: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    hay.match_indices(needle).map(|(i, _)| i).filter(move |&i| {
        let before_ok = hay
            .get(..i)
            .and_then(|b| b.chars().next_back())
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        let after_ok = hay
            .get(i + needle.len()..)
            .and_then(|a| a.chars().next())
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        before_ok && after_ok
    })
}

/// The first "a+b" Gleason pattern pair in `s`, with the end offset.
fn gleason_patterns(s: &str) -> Option<(u8, u8, usize)> {
    let b = s.as_bytes();
    for i in 0..b.len() {
        let Some(&a) = b.get(i) else {
            continue;
        };
        if !(b'1'..=b'5').contains(&a) {
            continue;
        }
        let mut j = i + 1;
        while b.get(j) == Some(&b' ') {
            j += 1;
        }
        if b.get(j) != Some(&b'+') {
            continue;
        }
        j += 1;
        while b.get(j) == Some(&b' ') {
            j += 1;
        }
        if let Some(&c) = b.get(j)
            && (b'1'..=b'5').contains(&c)
        {
            return Some((a - b'0', c - b'0', j + 1));
        }
    }
    None
}

fn grade_group_from_gleason(primary: u8, secondary: u8) -> u8 {
    match (primary + secondary, primary) {
        (0..=6, _) => 1,
        (7, 3) => 2,
        (7, _) => 3,
        (8, _) => 4,
        _ => 5,
    }
}

/// All grade phrases of a text.
pub(crate) fn find_grades(text: &str) -> Vec<GradeFinding> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    let window = |from: usize, len: usize| -> &str {
        let end = (from + len).min(lower.len());
        let mut end = end;
        while !lower.is_char_boundary(end) {
            end -= 1;
        }
        lower.get(from..end).unwrap_or("")
    };
    // Gleason grade group.
    for i in occurrences(&lower, "grade group") {
        let after = i + "grade group".len();
        if let Some((v, n)) = roman_or_digit(window(after, 8))
            && (1..=5).contains(&v)
        {
            out.push(GradeFinding {
                system: GradeSystem::GleasonGradeGroup,
                span: i..after + n,
                value: v.to_string(),
            });
        }
    }
    for i in occurrences(&lower, "gleason") {
        let w = window(i, 60);
        if let Some((p, s, end)) = gleason_patterns(w) {
            out.push(GradeFinding {
                system: GradeSystem::GleasonGradeGroup,
                span: i..i + end,
                value: grade_group_from_gleason(p, s).to_string(),
            });
        }
    }
    // Nottingham / Bloom-Richardson.
    for key in ["nottingham", "bloom", "sbr", "elston"] {
        for i in occurrences(&lower, key) {
            let w = window(i, 80);
            // A total score ("= 6", "6/9", "score 6", "score of 6") wins over a stated grade.
            let total = w
                .find("/9")
                .and_then(|k| k.checked_sub(1).and_then(|s| w.get(s..k)))
                .and_then(|d| d.parse::<u8>().ok())
                .or_else(|| {
                    w.find('=').and_then(|k| {
                        w.get(k + 1..).and_then(|r| {
                            let r = r.trim_start();
                            r.get(..1).and_then(|d| d.parse::<u8>().ok())
                        })
                    })
                })
                .or_else(|| {
                    ["score of", "score:", "score"].iter().find_map(|s| {
                        w.find(s)
                            .and_then(|k| roman_or_digit(w.get(k + s.len()..).unwrap_or("")))
                            .map(|(v, _)| v)
                            .filter(|v| (3..=9).contains(v))
                    })
                });
            let from_total = total.filter(|t| (3..=9).contains(t)).map(|t| match t {
                3..=5 => 1,
                6 | 7 => 2,
                _ => 3,
            });
            let stated = occurrences(w, "grade")
                .find_map(|k| roman_or_digit(w.get(k + 5..).unwrap_or("")))
                .map(|(v, _)| v)
                .filter(|v| (1..=3).contains(v));
            if let Some(v) = from_total.or(stated) {
                let end = i + w.find(')').map(|e| e + 1).unwrap_or(w.len().min(40));
                out.push(GradeFinding {
                    system: GradeSystem::Nottingham,
                    span: i..end.min(lower.len()),
                    value: v.to_string(),
                });
            }
        }
    }
    // CNS WHO grade.
    for i in occurrences(&lower, "who grade") {
        let after = i + "who grade".len();
        if let Some((v, n)) = roman_or_digit(window(after, 8))
            && (1..=4).contains(&v)
        {
            let before = lower.get(i.saturating_sub(12)..i).unwrap_or("");
            let system = if before.contains("isup") {
                GradeSystem::IsupFuhrman
            } else {
                GradeSystem::WhoCns
            };
            out.push(GradeFinding {
                system,
                span: i..after + n,
                value: v.to_string(),
            });
        }
    }
    for key in [
        "isup grade",
        "fuhrman grade",
        "fuhrman nuclear grade",
        "isup nucleolar grade",
    ] {
        for i in occurrences(&lower, key) {
            let after = i + key.len();
            if let Some((v, n)) = roman_or_digit(window(after, 8))
                && (1..=4).contains(&v)
            {
                out.push(GradeFinding {
                    system: GradeSystem::IsupFuhrman,
                    span: i..after + n,
                    value: v.to_string(),
                });
            }
        }
    }
    // Low / intermediate / high grade, and nuclear grade.
    for (word, v) in [("low", "L"), ("intermediate", "M"), ("high", "H")] {
        for i in occurrences(&lower, word) {
            let rest = lower.get(i + word.len()..).unwrap_or("");
            let rest_trim = rest.trim_start_matches([' ', '-']);
            let skipped = rest.len() - rest_trim.len();
            for tail in ["nuclear grade", "grade"] {
                if rest_trim.starts_with(tail) && skipped <= 2 {
                    out.push(GradeFinding {
                        system: GradeSystem::LowHigh,
                        span: i..i + word.len() + skipped + tail.len(),
                        value: v.to_string(),
                    });
                    break;
                }
            }
        }
    }
    for i in occurrences(&lower, "nuclear grade") {
        let after = i + "nuclear grade".len();
        if let Some((v, n)) = roman_or_digit(window(after, 6))
            && (1..=3).contains(&v)
        {
            out.push(GradeFinding {
                system: GradeSystem::LowHigh,
                span: i..after + n,
                value: ["L", "M", "H"]
                    .get(usize::from(v - 1))
                    .unwrap_or(&"M")
                    .to_string(),
            });
        }
    }
    for key in ["figo grade", "histologic grade", "fnclcc grade"] {
        for i in occurrences(&lower, key) {
            let after = i + key.len();
            if let Some((v, n)) = roman_or_digit(window(after, 6))
                && (1..=3).contains(&v)
            {
                out.push(GradeFinding {
                    system: GradeSystem::Differentiation,
                    span: i..after + n,
                    value: v.to_string(),
                });
            }
        }
    }
    // Differentiation.
    for (phrase, v) in [
        ("well differentiated", "1"),
        ("well-differentiated", "1"),
        ("moderately differentiated", "2"),
        ("moderately-differentiated", "2"),
        ("poorly differentiated", "3"),
        ("poorly-differentiated", "3"),
        ("undifferentiated", "4"),
        ("g1", "1"),
        ("g2", "2"),
        ("g3", "3"),
        ("g4", "4"),
    ] {
        for i in occurrences(&lower, phrase) {
            out.push(GradeFinding {
                system: GradeSystem::Differentiation,
                span: i..i + phrase.len(),
                value: v.to_string(),
            });
        }
    }
    out.sort_by_key(|f| f.span.start);
    out
}

/// A checklist answer such as "Grade 3 (scores of 8 or 9)" to a grade question: the system
/// comes from the question ("Histologic Grade (Nottingham Histologic Score)").
pub(crate) fn checklist_grade(question: &str, answer: &str) -> Option<GradeFinding> {
    let q = question.to_ascii_lowercase();
    let a = answer.to_ascii_lowercase();
    let system = if q.contains("nottingham") {
        GradeSystem::Nottingham
    } else if q.contains("gleason") || q.contains("grade group") {
        GradeSystem::GleasonGradeGroup
    } else if q.contains("who") {
        GradeSystem::WhoCns
    } else if q.contains("isup") || q.contains("fuhrman") {
        GradeSystem::IsupFuhrman
    } else {
        GradeSystem::Differentiation
    };
    let i = occurrences(&a, "grade").next()?;
    let after = i + "grade".len();
    let (v, n) = roman_or_digit(a.get(after..)?)?;
    (1..=5).contains(&v).then(|| GradeFinding {
        system,
        span: i..after + n,
        value: v.to_string(),
    })
}

/// Which systems code grade for a site (most specific first); `None` when grade does not apply.
pub(crate) fn systems_for(
    site: Option<&str>,
    histology: Option<u32>,
    behavior: Option<char>,
) -> Vec<GradeSystem> {
    use GradeSystem::*;
    if histology.is_some_and(|h| (9590..=9993).contains(&h)) {
        return Vec::new();
    }
    let site = site.unwrap_or("");
    let in_range = |lo: &str, hi: &str| site.len() == 4 && site >= lo && site <= hi;
    if in_range("C500", "C509") {
        if behavior == Some('2') {
            return vec![LowHigh, Nottingham, Differentiation];
        }
        return vec![Nottingham, Differentiation];
    }
    if site == "C619" {
        return vec![GleasonGradeGroup];
    }
    if in_range("C700", "C729") || in_range("C751", "C753") {
        return vec![WhoCns];
    }
    if site == "C649" {
        return vec![IsupFuhrman, Differentiation];
    }
    if in_range("C659", "C689") {
        return vec![LowHigh, Differentiation];
    }
    vec![Differentiation]
}

/// The NAACCR Grade 2018 code a finding gives for its system and site.
///
/// - Breast (C50._): Nottingham 1-3, nuclear grade L/M/H, differentiation terms A-D (well,
///   moderately, poorly differentiated, undifferentiated) - breast does not use 1-4 for terms.
/// - Urinary tract (C65.9-C68.9): low/high grade L/H (no "intermediate"); differentiation G1-G3;
///   "undifferentiated" has no code of its own there and is left to the registrar.
/// - Elsewhere: the value as read (grade group 1-5, WHO/ISUP 1-4, differentiation 1-4, L/M/H).
pub(crate) fn code_for(f: &GradeFinding, site: Option<&str>) -> Option<String> {
    let in_range =
        |lo: &str, hi: &str| site.is_some_and(|s| s.len() == 4 && (lo..=hi).contains(&s));
    let breast = in_range("C500", "C509");
    let urinary = in_range("C659", "C689");
    match f.system {
        GradeSystem::LowHigh if urinary => (f.value != "M").then(|| f.value.clone()),
        GradeSystem::Differentiation if breast => match f.value.as_str() {
            "1" => Some("A".into()),
            "2" => Some("B".into()),
            "3" => Some("C".into()),
            "4" => Some("D".into()),
            _ => None,
        },
        GradeSystem::Differentiation if urinary => (f.value != "4").then(|| f.value.clone()),
        _ => Some(f.value.clone()),
    }
}

/// Rank for "worst grade wins" (higher is worse).
pub(crate) fn severity(value: &str) -> u8 {
    match value {
        "L" | "A" => 1,
        "M" | "B" => 2,
        "H" | "C" => 3,
        "D" => 4,
        v => v.parse().unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &str, system: GradeSystem) -> Option<String> {
        find_grades(text)
            .into_iter()
            .filter(|f| f.system == system)
            .max_by_key(|f| severity(&f.value))
            .map(|f| f.value)
    }

    #[test]
    fn nottingham_score_maps_to_grade() {
        use GradeSystem::Nottingham;
        assert_eq!(
            first("NOTTINGHAM GRADE 2 (3+2+1=6/9)", Nottingham).as_deref(),
            Some("2")
        );
        assert_eq!(
            first("Nottingham score 8", Nottingham).as_deref(),
            Some("3")
        );
        assert_eq!(
            first("Nottingham histologic grade: 1 (score 5)", Nottingham).as_deref(),
            Some("1")
        );
        assert_eq!(
            first("Nottingham grade III", Nottingham).as_deref(),
            Some("3")
        );
    }

    #[test]
    fn grade_2018_codes_per_site() {
        let f = |system, value: &str| GradeFinding {
            system,
            span: 0..1,
            value: value.to_string(),
        };
        use GradeSystem::*;
        // Breast: Nottingham 1-3; differentiation terms are A-D, not 1-4.
        assert_eq!(
            code_for(&f(Nottingham, "2"), Some("C504")).as_deref(),
            Some("2")
        );
        assert_eq!(
            code_for(&f(Differentiation, "2"), Some("C504")).as_deref(),
            Some("B")
        );
        assert_eq!(
            code_for(&f(Differentiation, "4"), Some("C509")).as_deref(),
            Some("D")
        );
        assert_eq!(
            code_for(&f(LowHigh, "M"), Some("C504")).as_deref(),
            Some("M")
        );
        // Prostate: grade group; CNS: WHO grade; colon: differentiation 1-4.
        assert_eq!(
            code_for(&f(GleasonGradeGroup, "3"), Some("C619")).as_deref(),
            Some("3")
        );
        assert_eq!(
            code_for(&f(WhoCns, "1"), Some("C700")).as_deref(),
            Some("1")
        );
        assert_eq!(
            code_for(&f(Differentiation, "4"), Some("C187")).as_deref(),
            Some("4")
        );
        // Bladder: L/H, G1-G3.
        assert_eq!(
            code_for(&f(LowHigh, "H"), Some("C679")).as_deref(),
            Some("H")
        );
        assert_eq!(code_for(&f(LowHigh, "M"), Some("C679")), None);
        assert_eq!(code_for(&f(Differentiation, "4"), Some("C679")), None);
    }

    #[test]
    fn gleason_gives_grade_group() {
        use GradeSystem::GleasonGradeGroup;
        assert_eq!(
            first("Gleason score 3 + 4 = 7", GleasonGradeGroup).as_deref(),
            Some("2")
        );
        assert_eq!(
            first("Gleason score 4+3=7", GleasonGradeGroup).as_deref(),
            Some("3")
        );
        assert_eq!(
            first("Gleason 4+5=9, Grade Group 5", GleasonGradeGroup).as_deref(),
            Some("5")
        );
        assert_eq!(
            first("(Grade group 1)", GleasonGradeGroup).as_deref(),
            Some("1")
        );
    }

    #[test]
    fn who_isup_differentiation_and_low_high() {
        assert_eq!(
            first("Meningioma, CNS WHO grade 1", GradeSystem::WhoCns).as_deref(),
            Some("1")
        );
        assert_eq!(
            first("WHO grade II", GradeSystem::WhoCns).as_deref(),
            Some("2")
        );
        assert_eq!(
            first("WHO/ISUP grade 3", GradeSystem::IsupFuhrman).as_deref(),
            Some("3")
        );
        assert_eq!(
            first(
                "well to moderately differentiated",
                GradeSystem::Differentiation
            )
            .as_deref(),
            Some("2")
        );
        assert_eq!(
            first("Poorly differentiated", GradeSystem::Differentiation).as_deref(),
            Some("3")
        );
        assert_eq!(
            first("HIGH-GRADE papillary urothelial", GradeSystem::LowHigh).as_deref(),
            Some("H")
        );
        assert_eq!(
            first("nuclear grade 2", GradeSystem::LowHigh).as_deref(),
            Some("M")
        );
    }
}
