//! Generators of the committed ICD-O-3 tables (`tables/*.tsv`) from the public source lists kept in
//! `shared/icdo3/` (see its SOURCES.md). Pure functions: text in, table text out. The sync tests
//! re-run them on the shared files and require the committed tables to be identical, so the
//! runtime tables are provably ours and current.

use std::collections::{BTreeMap, BTreeSet};

/// Why a source list could not be turned into a table.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GenerateError {
    /// The CSV reader failed (bad quoting, wrong number of fields...).
    #[error("{file}: CSV error at line {line}: {message}")]
    Csv {
        file: &'static str,
        line: u64,
        message: String,
    },
    /// A column the generator needs is missing from the header.
    #[error("{file}: missing column \"{column}\"")]
    MissingColumn {
        file: &'static str,
        column: &'static str,
    },
    /// A value could not be read (site code, histology range, behavior list...).
    #[error("{file}, line {line}: {message}")]
    BadValue {
        file: &'static str,
        line: u64,
        message: String,
    },
}

/// Number of 4-digit histology codes from 8000 to 9999.
const HISTOLOGY_SPAN: usize = 2000;
/// All four ICD-O-3 behaviors (0 benign, 1 uncertain, 2 in situ, 3 malignant).
const ALL_BEHAVIORS: u8 = 0b1111;

fn csv_rows(
    file: &'static str,
    text: &str,
    columns: &[&'static str],
) -> Result<Vec<(u64, Vec<String>)>, GenerateError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| GenerateError::Csv {
            file,
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    let mut positions = Vec::with_capacity(columns.len());
    for column in columns {
        let position = headers
            .iter()
            .position(|h| h == *column)
            .ok_or(GenerateError::MissingColumn { file, column })?;
        positions.push(position);
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| GenerateError::Csv {
            file,
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let values = positions
            .iter()
            .map(|&p| record.get(p).unwrap_or("").to_string())
            .collect();
        rows.push((line, values));
    }
    Ok(rows)
}

/// A 4-character topography code "C504" → its number 504.
fn site_number(code: &str) -> Option<u16> {
    let digits = code.strip_prefix('C').or_else(|| code.strip_prefix('c'))?;
    if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// "8000-8005, 8010" → [(8000, 8005), (8010, 8010)]; `parse` reads one bound.
fn parse_ranges<T: Ord + Copy>(
    list: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<(T, T)>, String> {
    let mut ranges = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (low, high) = part.split_once('-').unwrap_or((part, part));
        let low = parse(low.trim()).ok_or_else(|| format!("bad value \"{part}\""))?;
        let high = parse(high.trim()).ok_or_else(|| format!("bad value \"{part}\""))?;
        if low > high {
            return Err(format!("range \"{part}\" runs backwards"));
        }
        ranges.push((low, high));
    }
    Ok(ranges)
}

fn histology_number(text: &str) -> Option<u16> {
    if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|n| (8000..=9999).contains(n))
}

/// Topography table: `C504<TAB>Upper-outer quadrant of breast`, one line per code, sorted.
pub fn topography_table(topography_csv: &str) -> Result<String, GenerateError> {
    const FILE: &str = "icdo3_topography_from_eod_public_3.3.csv";
    let mut sites = BTreeMap::new();
    for (line, row) in csv_rows(FILE, topography_csv, &["site", "description"])? {
        let (code, title) = (&row[0], &row[1]);
        if site_number(code).is_none() {
            return Err(GenerateError::BadValue {
                file: FILE,
                line,
                message: format!("\"{code}\" is not a topography code Cnnn"),
            });
        }
        if title.is_empty() || title.contains(['\t', '\n']) {
            return Err(GenerateError::BadValue {
                file: FILE,
                line,
                message: format!("{code}: empty or multi-line title"),
            });
        }
        sites.insert(code.to_ascii_uppercase(), title.clone());
    }
    Ok(sites
        .into_iter()
        .map(|(code, title)| format!("{code}\t{title}\n"))
        .collect())
}

/// Valid histology table: one `low-high` (or single code) line per run of valid ICD-O-3 codes.
pub fn valid_histology_table(valid_ranges_csv: &str) -> Result<String, GenerateError> {
    const FILE: &str = "icdo3_valid_histology_ranges_from_eod_public_3.3.csv";
    let mut valid = vec![false; HISTOLOGY_SPAN];
    for (line, row) in csv_rows(FILE, valid_ranges_csv, &["histology_range"])? {
        let ranges =
            parse_ranges(&row[0], histology_number).map_err(|message| GenerateError::BadValue {
                file: FILE,
                line,
                message,
            })?;
        for (low, high) in ranges {
            for h in low..=high {
                if let Some(slot) = valid.get_mut(usize::from(h - 8000)) {
                    *slot = true;
                }
            }
        }
    }
    let mut table = String::new();
    for (low, high, _) in runs(&valid.iter().map(|&v| u8::from(v)).collect::<Vec<_>>()) {
        if low == high {
            table.push_str(&format!("{low}\n"));
        } else {
            table.push_str(&format!("{low}-{high}\n"));
        }
    }
    Ok(table)
}

/// Runs of equal non-zero values over histologies 8000..9999: (first, last, value).
fn runs(values: &[u8]) -> Vec<(u16, u16, u8)> {
    let mut out: Vec<(u16, u16, u8)> = Vec::new();
    for (i, &v) in values.iter().enumerate() {
        if v == 0 {
            continue;
        }
        let h = 8000 + i as u16;
        match out.last_mut() {
            Some(last) if last.2 == v && last.1 + 1 == h => last.1 = h,
            _ => out.push((h, h, v)),
        }
    }
    out
}

fn behavior_mask(text: &str) -> Option<u8> {
    let text = text.trim();
    if text.is_empty() || text == "*" {
        return Some(ALL_BEHAVIORS);
    }
    let mut mask = 0;
    for part in text.split(',').map(str::trim) {
        let b: u8 = part.parse().ok().filter(|b| *b <= 3)?;
        mask |= 1 << b;
    }
    Some(mask)
}

/// Behaviors of a mask as digits, e.g. 0b1000 → "3", 0b1111 → "0123".
pub(super) fn mask_digits(mask: u8) -> String {
    (0..4u8)
        .filter(|b| mask & (1 << b) != 0)
        .map(|b| char::from(b'0' + b))
        .collect()
}

/// Site/histology table: for each topography code, the histology runs that select an EOD 3.3
/// schema: `C500,C501<TAB>8000-8700,8710-8714,9362,9590-9993:3,...`. A run without `:behaviors`
/// allows all of 0-3. Sites with identical runs share a line.
///
/// Rows are united over diagnosis years, sex and schema discriminators: the table answers
/// "is this combination stageable in some year", which is the site/histology plausibility the
/// edits need. Histologies absent from the valid list are kept here and refused at lookup.
pub fn site_histology_table(
    schema_selection_csv: &str,
    topography_csv: &str,
) -> Result<String, GenerateError> {
    const FILE: &str = "eod_schema_selection_3.3.csv";
    let topography = topography_table(topography_csv)?;
    let sites: BTreeSet<u16> = topography
        .lines()
        .filter_map(|l| site_number(l.get(..4).unwrap_or("")))
        .collect();
    let mut masks: BTreeMap<u16, Vec<u8>> = sites
        .iter()
        .map(|&s| (s, vec![0u8; HISTOLOGY_SPAN]))
        .collect();
    for (line, row) in csv_rows(FILE, schema_selection_csv, &["site", "hist", "behavior"])? {
        let bad = |message: String| GenerateError::BadValue {
            file: FILE,
            line,
            message,
        };
        let site_ranges = parse_ranges(&row[0], site_number).map_err(bad)?;
        let histology_ranges = parse_ranges(&row[1], histology_number).map_err(bad)?;
        let mask = behavior_mask(&row[2])
            .ok_or_else(|| bad(format!("bad behavior list \"{}\"", row[2])))?;
        for &(site_low, site_high) in &site_ranges {
            for site in site_low..=site_high {
                let Some(site_masks) = masks.get_mut(&site) else {
                    continue;
                };
                for &(low, high) in &histology_ranges {
                    for h in low..=high {
                        if let Some(slot) = site_masks.get_mut(usize::from(h - 8000)) {
                            *slot |= mask;
                        }
                    }
                }
            }
        }
    }
    // Sites with identical runs share one line, so the table stays small.
    let mut lines: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (site, site_masks) in masks {
        let runs: Vec<String> = runs(&site_masks)
            .into_iter()
            .map(|(low, high, mask)| {
                let range = if low == high {
                    low.to_string()
                } else {
                    format!("{low}-{high}")
                };
                if mask == ALL_BEHAVIORS {
                    range
                } else {
                    format!("{range}:{}", mask_digits(mask))
                }
            })
            .collect();
        lines
            .entry(runs.join(","))
            .or_default()
            .push(format!("C{site:03}"));
    }
    let mut by_first_site: Vec<(String, String)> = lines
        .into_iter()
        .map(|(runs, sites)| (sites.join(","), runs))
        .collect();
    by_first_site.sort();
    Ok(by_first_site
        .into_iter()
        .map(|(sites, runs)| format!("{sites}\t{runs}\n"))
        .collect())
}

/// ICD-10 → ICD-O-3 table, both editions: `edition<TAB>icd10<TAB>site<TAB>histology<TAB>behavior
/// <TAB>grade<TAB>laterality<TAB>reportable`, edition "WHO" (ICD-10) or "CM" (ICD-10-CM).
pub fn icd10_table(icd10_who_csv: &str, icd10_cm_csv: &str) -> Result<String, GenerateError> {
    let mut table = String::new();
    for (edition, file, text, code_column) in [
        ("WHO", "icd-10-to-icd-o-3.csv", icd10_who_csv, "ICD-10-CODE"),
        (
            "CM",
            "icd-10-cm-to-icd-o-3.csv",
            icd10_cm_csv,
            "ICD-10-CM-CODE",
        ),
    ] {
        let columns = [
            code_column,
            "ICD-O-3-PRIMARY-SITE",
            "HISTOLOGY",
            "BEHAVIOR",
            "GRADE",
            "LATERALITY",
            "REPORTABILITY",
        ];
        let mut rows = BTreeMap::new();
        for (line, row) in csv_rows(file, text, &columns)? {
            let bad = |message: String| GenerateError::BadValue {
                file,
                line,
                message,
            };
            if row[0].is_empty() || row.iter().any(|v| v.contains('\t')) {
                return Err(bad("empty code or tab in a value".to_string()));
            }
            if site_number(&row[1]).is_none() || histology_number(&row[2]).is_none() {
                return Err(bad(format!("{}: bad site or histology", row[0])));
            }
            rows.insert(row[0].to_ascii_uppercase(), row[1..].join("\t"));
        }
        for (code, rest) in rows {
            table.push_str(&format!("{edition}\t{code}\t{rest}\n"));
        }
    }
    Ok(table)
}
