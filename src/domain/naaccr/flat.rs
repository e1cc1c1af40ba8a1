//! Legacy NAACCR 18 flat (fixed-width) file reader, for importing old data.
//!
//! Each line is one tumor; columns come from the 180 table's start columns plus the default 180
//! user dictionary (NPCR and state/requestor fields; its `reservedNN` filler columns are ignored).
//! Consecutive lines with the same registry and patient id number are grouped into one patient,
//! because flat files repeat the patient items on every tumor line and are normally sorted by
//! patient; a file that is not sorted yields the same person more than once, never a merge of
//! different people. Item ids are the NAACCR 18 ids (some were renamed later).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, BufRead};

use super::dictionary::{
    Dictionary, ItemDef, ItemLevel, NaaccrVersion, RecordType, UserDictionary,
};
use super::issue::{IssueKind, ItemIssue};
use super::record::{NaaccrPatient, NaaccrTumor};
use super::value::{check_value, read_flat_field};

/// Why a flat line or file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FlatReadError {
    /// Reading the input failed; the reader stops.
    #[error("could not read the flat file at line {line}: {source}")]
    Io {
        /// 1-based line.
        line: u64,
        /// The I/O error.
        source: io::Error,
    },
    /// Column 1 holds no known record type; the line is skipped.
    #[error("line {line}: record type (column 1) is '{found}', expected A, M, C or I")]
    UnknownRecordType {
        /// 1-based line.
        line: u64,
        /// What column 1 holds.
        found: String,
    },
    /// Columns 17–19 do not say 180; the line is skipped.
    #[error(
        "line {line}: NAACCR record version (columns 17-19) is '{found}'; only version 180 flat files are supported"
    )]
    WrongVersion {
        /// 1-based line.
        line: u64,
        /// What columns 17–19 hold.
        found: String,
    },
    /// The line does not have the length of its record type; the line is skipped.
    #[error(
        "line {line}: a record of type {record_type} must be {expected} characters long, this one has {actual}"
    )]
    WrongLineLength {
        /// 1-based line.
        line: u64,
        /// Record type from column 1.
        record_type: RecordType,
        /// Length for the record type.
        expected: usize,
        /// Length found.
        actual: usize,
    },
}

/// A line's characters, sliced by column (bytes when the line is ASCII, which is the usual case).
enum LineText<'a> {
    Ascii(&'a str),
    Chars(Vec<char>),
}

impl LineText<'_> {
    fn len(&self) -> usize {
        match self {
            Self::Ascii(s) => s.len(),
            Self::Chars(c) => c.len(),
        }
    }

    /// Characters `start..start+length` (0-based start), or `None` beyond the line.
    fn field(&self, start: usize, length: usize) -> Option<Cow<'_, str>> {
        let end = start.checked_add(length)?;
        match self {
            Self::Ascii(s) => s.get(start..end).map(Cow::Borrowed),
            Self::Chars(c) => c.get(start..end).map(|f| Cow::Owned(f.iter().collect())),
        }
    }
}

/// One tumor line split by level.
struct FlatRecord {
    line: u64,
    root: BTreeMap<String, String>,
    patient: BTreeMap<String, String>,
    tumor: BTreeMap<String, String>,
    issues: Vec<ItemIssue>,
}

impl FlatRecord {
    /// Registry and patient id number; lines without a patient id number are never grouped.
    fn identity(&self) -> Option<(Option<String>, String)> {
        let patient = self.patient.get("patientIdNumber")?.clone();
        Some((self.root.get("registryId").cloned(), patient))
    }
}

/// Reads NAACCR 18 flat lines into patients with their tumors.
pub struct FlatV18Reader<R: BufRead> {
    input: R,
    line: u64,
    layout: Vec<&'static ItemDef>,
    pending: Option<Result<FlatRecord, FlatReadError>>,
    root_items: Option<BTreeMap<String, String>>,
    issues: Vec<ItemIssue>,
    patients: usize,
    done: bool,
    bytes: Vec<u8>,
}

impl<R: BufRead> FlatV18Reader<R> {
    /// A reader over flat lines (any line ending; ASCII, UTF-8 or Latin-1 text).
    pub fn new(input: R) -> Self {
        let base = Dictionary::base(NaaccrVersion::V180).items();
        let user = UserDictionary::default_flat_v18()
            .items()
            .filter(|i| !i.naaccr_id.starts_with("reserved"));
        let mut layout: Vec<&'static ItemDef> = base
            .chain(user)
            .filter(|i| i.start_column.is_some())
            .collect();
        layout.sort_by_key(|i| i.start_column);
        FlatV18Reader {
            input,
            line: 0,
            layout,
            pending: None,
            root_items: None,
            issues: Vec::new(),
            patients: 0,
            done: false,
            bytes: Vec::with_capacity(25_000),
        }
    }

    /// File-level items (registryId, recordType...) from the first good line.
    pub fn root_items(&self) -> Option<&BTreeMap<String, String>> {
        self.root_items.as_ref()
    }

    /// Takes the item issues found so far.
    pub fn take_issues(&mut self) -> Vec<ItemIssue> {
        std::mem::take(&mut self.issues)
    }

    /// Item issues found so far.
    pub fn issues(&self) -> &[ItemIssue] {
        &self.issues
    }

    /// The next patient. A bad line gives `Some(Err)` and reading goes on with the next line;
    /// an I/O error ends the reader.
    pub fn next_patient(&mut self) -> Option<Result<NaaccrPatient, FlatReadError>> {
        let first = match self.pending.take().or_else(|| self.read_record()) {
            None => return None,
            Some(Err(e)) => return Some(Err(e)),
            Some(Ok(r)) => r,
        };
        self.patients += 1;
        let ordinal = self.patients;
        self.absorb(&first, 1);
        let identity = first.identity();
        let mut patient = NaaccrPatient {
            items: first.patient,
            tumors: vec![NaaccrTumor { items: first.tumor }],
        };
        while let Some(next) = self.read_record() {
            let record = match next {
                Ok(r) if identity.is_some() && r.identity() == identity => r,
                other => {
                    self.pending = Some(other);
                    break;
                }
            };
            let tumor = patient.tumors.len() + 1;
            self.absorb(&record, tumor);
            for (id, value) in &record.patient {
                if patient.items.get(id) != Some(value) {
                    self.issues.push(ItemIssue {
                        line: Some(record.line),
                        patient: Some(ordinal),
                        tumor: Some(tumor),
                        naaccr_id: Some(id.clone()),
                        kind: IssueKind::InconsistentValue,
                    });
                }
            }
            patient.tumors.push(NaaccrTumor {
                items: record.tumor,
            });
        }
        Some(Ok(patient))
    }

    /// Files a record's issues under the current patient and checks file-level items.
    fn absorb(&mut self, record: &FlatRecord, tumor: usize) {
        for issue in &record.issues {
            let mut issue = issue.clone();
            issue.patient = Some(self.patients);
            if issue.tumor.is_some() {
                issue.tumor = Some(tumor);
            }
            self.issues.push(issue);
        }
        match &self.root_items {
            None => self.root_items = Some(record.root.clone()),
            Some(root) => {
                for (id, value) in &record.root {
                    if root.get(id) != Some(value) {
                        self.issues.push(ItemIssue {
                            line: Some(record.line),
                            patient: None,
                            tumor: None,
                            naaccr_id: Some(id.clone()),
                            kind: IssueKind::InconsistentValue,
                        });
                    }
                }
            }
        }
    }

    /// Reads and splits the next non-empty line.
    fn read_record(&mut self) -> Option<Result<FlatRecord, FlatReadError>> {
        if self.done {
            return None;
        }
        loop {
            self.bytes.clear();
            self.line += 1;
            match self.input.read_until(b'\n', &mut self.bytes) {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(_) => {}
                Err(source) => {
                    self.done = true;
                    return Some(Err(FlatReadError::Io {
                        line: self.line,
                        source,
                    }));
                }
            }
            while matches!(self.bytes.last(), Some(b'\n' | b'\r')) {
                self.bytes.pop();
            }
            if !self.bytes.is_empty() {
                break;
            }
        }
        let text;
        let line = if self.bytes.is_ascii() {
            LineText::Ascii(std::str::from_utf8(&self.bytes).unwrap_or_default())
        } else {
            text = match std::str::from_utf8(&self.bytes) {
                Ok(s) => s.chars().collect(),
                // Not UTF-8: legacy files are Latin-1, where each byte is one character.
                Err(_) => self.bytes.iter().map(|&b| char::from(b)).collect(),
            };
            LineText::Chars(text)
        };
        Some(split_line(&self.layout, self.line, &line))
    }
}

fn split_line(
    layout: &[&'static ItemDef],
    line_no: u64,
    line: &LineText<'_>,
) -> Result<FlatRecord, FlatReadError> {
    let code = line.field(0, 1).unwrap_or_default();
    let record_type = RecordType::parse(&code).ok_or_else(|| FlatReadError::UnknownRecordType {
        line: line_no,
        found: code.to_string(),
    })?;
    let version = line.field(16, 3).unwrap_or_default();
    if version != "180" {
        return Err(FlatReadError::WrongVersion {
            line: line_no,
            found: version.trim().to_string(),
        });
    }
    let expected = record_type.flat_v18_line_length();
    if line.len() != expected {
        return Err(FlatReadError::WrongLineLength {
            line: line_no,
            record_type,
            expected,
            actual: line.len(),
        });
    }
    let mut record = FlatRecord {
        line: line_no,
        root: BTreeMap::new(),
        patient: BTreeMap::new(),
        tumor: BTreeMap::new(),
        issues: Vec::new(),
    };
    for def in layout {
        if !def.record_types.contains(record_type) {
            continue;
        }
        let Some(start) = def.start_column else {
            continue;
        };
        let Some(raw) = (start as usize)
            .checked_sub(1)
            .and_then(|s| line.field(s, def.length as usize))
        else {
            continue;
        };
        let value = read_flat_field(def, &raw);
        if value.trim().is_empty() {
            continue;
        }
        if let Err(e) = check_value(def, value) {
            record.issues.push(ItemIssue {
                line: Some(line_no),
                patient: None,
                tumor: (def.level == ItemLevel::Tumor).then_some(1),
                naaccr_id: Some(def.naaccr_id.clone()),
                kind: IssueKind::InvalidValue(e),
            });
        }
        let target = match def.level {
            ItemLevel::NaaccrData => &mut record.root,
            ItemLevel::Patient => &mut record.patient,
            ItemLevel::Tumor => &mut record.tumor,
        };
        target.insert(def.naaccr_id.clone(), value.to_string());
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::naaccr::value::pad_flat_field;

    /// A synthetic v18 line: blanks with the given items placed at their 180 columns.
    fn flat_line(record_type: RecordType, items: &[(&str, &str)]) -> String {
        let mut line: Vec<char> = vec![' '; record_type.flat_v18_line_length()];
        let base = Dictionary::base(NaaccrVersion::V180);
        let user = UserDictionary::default_flat_v18();
        let mut place = |id: &str, value: &str| {
            let def = base.item(id).or_else(|| user.item(id)).unwrap();
            let field = pad_flat_field(def, value, false).unwrap();
            let start = def.start_column.unwrap() as usize - 1;
            for (i, c) in field.chars().enumerate() {
                line[start + i] = c;
            }
        };
        place("recordType", record_type.as_str());
        place("naaccrRecordVersion", "180");
        for (id, value) in items {
            place(id, value);
        }
        line.into_iter().collect()
    }

    #[test]
    fn lines_of_one_patient_are_grouped() {
        let common = [
            ("registryId", "0000000001"),
            ("patientIdNumber", "00000001"),
        ];
        let l1 = flat_line(
            RecordType::I,
            &[
                common[0],
                common[1],
                ("dateOfBirth", "19500101"),
                ("primarySite", "C504"),
                ("npcrSpecificField", " X"),
            ],
        );
        let l2 = flat_line(
            RecordType::I,
            &[
                common[0],
                common[1],
                ("dateOfBirth", "19500102"),
                ("primarySite", "C619"),
                ("dateOfDiagnosis", "2023"),
            ],
        );
        let l3 = flat_line(
            RecordType::I,
            &[
                common[0],
                ("patientIdNumber", "00000002"),
                ("primarySite", "C180"),
                ("sequenceNumberCentral", "1 "),
            ],
        );
        let input = format!("{l1}\r\n{l2}\n{l3}\n\n");
        let mut reader = FlatV18Reader::new(input.as_bytes());

        let p1 = reader.next_patient().unwrap().unwrap();
        assert_eq!(p1.item("patientIdNumber"), Some("00000001"));
        assert_eq!(
            p1.item("dateOfBirth"),
            Some("19500101"),
            "first line's value is kept"
        );
        assert_eq!(p1.tumors.len(), 2);
        assert_eq!(p1.tumors[0].item("primarySite"), Some("C504"));
        // trim="none": the whole 75-column field, spaces included.
        let npcr = format!(" X{}", " ".repeat(73));
        assert_eq!(p1.tumors[0].item("npcrSpecificField"), Some(npcr.as_str()));
        assert_eq!(
            p1.tumors[0].item("tumorRecordNumber"),
            None,
            "blank fields are absent"
        );
        assert_eq!(p1.tumors[1].item("dateOfDiagnosis"), Some("2023"));
        let root = reader.root_items().unwrap();
        assert_eq!(
            root.get("registryId").map(String::as_str),
            Some("0000000001")
        );
        assert_eq!(root.get("recordType").map(String::as_str), Some("I"));
        assert_eq!(
            root.get("naaccrRecordVersion").map(String::as_str),
            Some("180")
        );

        let p2 = reader.next_patient().unwrap().unwrap();
        assert_eq!(p2.item("patientIdNumber"), Some("00000002"));
        assert_eq!(p2.tumors.len(), 1);
        assert!(reader.next_patient().is_none());

        let issues: Vec<String> = reader
            .take_issues()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            issues,
            vec![
                "line 2, patient 1, tumor 2, item 'dateOfBirth': value differs between records of the same patient (or file); the first value is kept",
                "line 3, patient 2, tumor 1, item 'sequenceNumberCentral': value is 1 characters long; a digits item must be exactly 2",
            ]
        );
    }

    #[test]
    fn bad_lines_are_errors_with_their_line_and_reading_goes_on() {
        let good = flat_line(
            RecordType::C,
            &[("patientIdNumber", "00000009"), ("nameLast", "SYNTHETIC")],
        );
        let short = &good[..6000];
        let mut wrong_version = flat_line(RecordType::I, &[]);
        wrong_version.replace_range(16..19, "160");
        let wrong_type = format!("X{}", &good[1..]);
        let input = format!("{short}\n{wrong_version}\n{wrong_type}\n{good}\n");
        let mut reader = FlatV18Reader::new(input.as_bytes());
        let errors: Vec<String> = (0..3)
            .map(|_| reader.next_patient().unwrap().unwrap_err().to_string())
            .collect();
        assert_eq!(
            errors,
            vec![
                "line 1: a record of type C must be 6154 characters long, this one has 6000",
                "line 2: NAACCR record version (columns 17-19) is '160'; only version 180 flat files are supported",
                "line 3: record type (column 1) is 'X', expected A, M, C or I",
            ]
        );
        let p = reader.next_patient().unwrap().unwrap();
        assert_eq!(p.item("nameLast"), Some("SYNTHETIC"));
        assert!(reader.next_patient().is_none());
    }

    #[test]
    fn abstract_lines_and_latin1_text() {
        let line = flat_line(
            RecordType::A,
            &[
                ("patientIdNumber", "00000003"),
                ("nameLast", "MULLER"),
                ("textRemarks", "remark"),
            ],
        );
        assert_eq!(line.len(), 24194);
        // Latin-1 Ü (0xDC) in the name: one byte, one column.
        let mut bytes = line.into_bytes();
        let col = Dictionary::base(NaaccrVersion::V180)
            .item("nameLast")
            .unwrap()
            .start_column
            .unwrap() as usize;
        bytes[col] = 0xDC;
        let mut reader = FlatV18Reader::new(bytes.as_slice());
        let p = reader.next_patient().unwrap().unwrap();
        assert_eq!(p.item("nameLast"), Some("MÜLLER"));
        assert_eq!(p.tumors[0].item("textRemarks"), Some("remark"));
        assert!(reader.issues().is_empty(), "{:?}", reader.issues());
    }

    #[test]
    fn layout_lengths_match_the_record_lengths() {
        // Every item of a record type ends within that record type's line.
        for rt in RecordType::ALL {
            let end = Dictionary::base(NaaccrVersion::V180)
                .items()
                .chain(UserDictionary::default_flat_v18().items())
                .filter(|i| i.record_types.contains(rt))
                .map(|i| i.start_column.unwrap() + i.length - 1)
                .max()
                .unwrap();
            assert_eq!(end as usize, rt.flat_v18_line_length(), "{rt}");
        }
    }
}
