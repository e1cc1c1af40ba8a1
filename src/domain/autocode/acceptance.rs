//! Acceptance test on the labelled corpus `tests/fixtures/pathology/` (synthetic HL7 messages):
//! HL7 parse → ReportText → screening → auto-coding → reportability rules, compared with
//! `expected.csv`. Run with `--nocapture` to see the agreement table.

use std::path::PathBuf;

use super::{Autocoder, CodingSuggestions};
use crate::domain::hl7::{ProcessingId, parse_file};
use crate::domain::screening::{ReportText, ReportabilityRules, Screener, decide};

fn corpus_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let in_project = root.join("tests/fixtures/pathology");
    if in_project.is_dir() {
        return in_project;
    }
    // The scratch crate sits beside the project.
    root.join("../main/tests/fixtures/pathology")
}

/// One row of expected.csv.
struct Expected {
    file: String,
    status: String,
    reportable: String,
    site: String,
    histology: String,
    behavior: String,
    laterality: String,
    grade: String,
}

fn read_expected() -> Vec<Expected> {
    let path = corpus_dir().join("expected.csv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the labelled corpus {} is missing: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<String> = l.split(',').map(|s| s.trim().to_string()).collect();
            let g = |i: usize| f.get(i).cloned().unwrap_or_default();
            Expected {
                file: g(0),
                status: g(1),
                reportable: g(2),
                site: g(3),
                histology: g(4),
                behavior: g(5),
                laterality: g(6),
                grade: g(7),
            }
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    agree: usize,
    total: usize,
    misses: Vec<String>,
}

impl Tally {
    fn check(
        &mut self,
        file: &str,
        expected: &str,
        got: &str,
        compare: impl Fn(&str, &str) -> bool,
    ) {
        if expected.is_empty() {
            return;
        }
        self.total += 1;
        if compare(expected, got) {
            self.agree += 1;
        } else {
            self.misses
                .push(format!("{file}: expected {expected}, got {got}"));
        }
    }

    fn rate(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.agree as f64 / self.total as f64
        }
    }
}

#[test]
fn corpus_agreement() {
    let expected = read_expected();
    assert!(
        expected.len() >= 45,
        "the corpus should hold at least 45 messages"
    );
    let screener = Screener::with_defaults();
    let coder = Autocoder::with_defaults().expect("default term tables compile");
    let rules = ReportabilityRules::default();
    let names = [
        "status",
        "reportable",
        "site (3 chars)",
        "site (4 chars)",
        "histology",
        "behavior",
        "laterality",
        "grade",
    ];
    let mut tallies: Vec<Tally> = names.iter().map(|_| Tally::default()).collect();
    for row in &expected {
        let path = corpus_dir().join(&row.file);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let parsed = parse_file(&bytes);
        let first = parsed.into_iter().next();
        let (status, report) = match first {
            Some((_, Ok(r))) if r.processing_id == ProcessingId::Production => ("ok", Some(r)),
            Some((_, Ok(r))) => ("test", Some(r)),
            _ => ("error", None),
        };
        tallies[0].check(&row.file, &row.status, status, |a, b| a == b);
        let Some(report) = report else { continue };
        let text = ReportText::from(&report);
        let screening = screener.screen(&text);
        let coding = coder.suggest(&text, &screening);
        let decision = decide(&screening, &coding.tumor_codes(), &rules);
        let best = |l: &[super::Suggestion]| CodingSuggestions::best(l).unwrap_or("").to_string();
        let grade = coding
            .grade
            .first()
            .and_then(|g| g.code.clone())
            .unwrap_or_default();
        let f = &row.file;
        tallies[1].check(f, &row.reportable, decision.status.code(), |a, b| a == b);
        tallies[2].check(f, &row.site, &best(&coding.primary_site), |a, b| {
            a.get(..3) == b.get(..3)
        });
        tallies[3].check(f, &row.site, &best(&coding.primary_site), |a, b| a == b);
        tallies[4].check(f, &row.histology, &best(&coding.histology), |a, b| a == b);
        tallies[5].check(f, &row.behavior, &best(&coding.behavior), |a, b| a == b);
        tallies[6].check(f, &row.laterality, &best(&coding.laterality), |a, b| a == b);
        tallies[7].check(f, &row.grade, &grade, |a, b| a == b);
    }
    println!(
        "\n{:<16} {:>6} {:>6} {:>8}",
        "field", "agree", "total", "rate"
    );
    for (name, t) in names.iter().zip(&tallies) {
        println!(
            "{name:<16} {:>6} {:>6} {:>7.1}%",
            t.agree,
            t.total,
            t.rate() * 100.0
        );
    }
    for (name, t) in names.iter().zip(&tallies) {
        for m in &t.misses {
            println!("  {name}: {m}");
        }
    }
    assert_eq!(
        tallies[0].rate(),
        1.0,
        "every message is parsed, refused or flagged as test as labelled"
    );
    assert!(
        tallies[1].rate() >= 0.95,
        "reportability agreement {:.3}",
        tallies[1].rate()
    );
    assert!(
        tallies[2].rate() >= 0.90,
        "site agreement {:.3}",
        tallies[2].rate()
    );
    assert!(
        tallies[4].rate() >= 0.90,
        "histology agreement {:.3}",
        tallies[4].rate()
    );
    assert!(
        tallies[6].rate() >= 0.90,
        "laterality agreement {:.3}",
        tallies[6].rate()
    );
}

/// Throughput of screening + coding on the corpus (run with `--release --ignored --nocapture`).
#[test]
#[ignore = "benchmark: run explicitly in release mode"]
fn throughput() {
    let screener = Screener::with_defaults();
    let coder = Autocoder::with_defaults().expect("default term tables compile");
    let rules = ReportabilityRules::default();
    let texts: Vec<ReportText> = read_expected()
        .iter()
        .filter_map(|row| std::fs::read(corpus_dir().join(&row.file)).ok())
        .flat_map(|b| parse_file(&b))
        .filter_map(|(_, r)| r.ok())
        .map(|r| ReportText::from(&r))
        .collect();
    let rounds = 200;
    let start = std::time::Instant::now();
    let mut reportable = 0usize;
    for _ in 0..rounds {
        for t in &texts {
            let s = screener.screen(t);
            let c = coder.suggest(t, &s);
            if decide(&s, &c.tumor_codes(), &rules).status
                == crate::domain::screening::ReportabilityStatus::Reportable
            {
                reportable += 1;
            }
        }
    }
    let n = rounds * texts.len();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{n} reports in {secs:.3} s: {:.0} reports/s (one core); {reportable} reportable",
        n as f64 / secs
    );
}
