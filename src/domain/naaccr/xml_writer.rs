//! Streaming NAACCR XML writer: the root element and its items first, then one patient at a time.

use std::borrow::Cow;
use std::io::{self, BufWriter, Write};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, SecondsFormat};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesStart, Event};

use super::dictionary::{
    CombinedDictionary, Dictionary, DictionaryError, ItemDef, ItemLevel, NAACCR_NAMESPACE,
    NaaccrVersion, RecordType, UserDictionary,
};
use super::issue::{IssueKind, ItemIssue};
use super::record::{BorrowedPatient, NaaccrPatient};
use super::value::{apply_zero_padding, check_value, normalize_text};

/// Specification version this writer produces.
pub const WRITTEN_SPECIFICATION_VERSION: &str = "1.8";

/// How a NAACCR XML file is written.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Base dictionary (`baseDictionaryUri`).
    pub version: NaaccrVersion,
    /// Record type of the file: only items of this record type are written.
    pub record_type: RecordType,
    /// `userDictionaryUri` to write; when `None`, the URIs of `user_dictionaries` (space-separated).
    pub user_dictionary_uri: Option<String>,
    /// User dictionaries whose items may be written.
    pub user_dictionaries: Vec<UserDictionary>,
    /// Zero-pad all-digit values of `leftZero` items (the reference library's option, off by default).
    pub left_zero_padding: bool,
    /// `timeGenerated` attribute; omitted when `None`.
    pub time_generated: Option<DateTime<FixedOffset>>,
    /// Indent by two spaces, one element per line; `false` writes the document without whitespace.
    pub indent: bool,
    /// Leave out patient and tumor items the dictionary does not define at their level (and name
    /// them to the caller) instead of refusing the patient: an export of stored data whose
    /// dictionary lacks some stored items.
    pub leave_out_undefined: bool,
}

impl WriterOptions {
    /// Options for `version` and `record_type`: no user dictionary, no zero padding, no time, indented.
    pub fn new(version: NaaccrVersion, record_type: RecordType) -> Self {
        WriterOptions {
            version,
            record_type,
            user_dictionary_uri: None,
            user_dictionaries: Vec::new(),
            left_zero_padding: false,
            time_generated: None,
            indent: true,
            leave_out_undefined: false,
        }
    }
}

/// Why a file or a patient could not be written.
#[derive(Debug, thiserror::Error)]
pub enum NaaccrWriteError {
    /// The output failed (disk full, closed pipe...).
    #[error("could not write the NAACCR XML output: {0}")]
    Io(#[from] io::Error),
    /// The user dictionaries conflict with the base dictionary or with each other.
    #[error(transparent)]
    Dictionary(#[from] DictionaryError),
    /// Items that cannot be written; nothing of the patient (or file header) was written.
    #[error("{} item problem(s): {}", .0.len(), join_issues(.0))]
    InvalidItems(Vec<ItemIssue>),
}

fn join_issues(issues: &[ItemIssue]) -> String {
    issues
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Output buffer of the writer: large, so the file sees few big writes.
const OUTPUT_BUFFER: usize = 1 << 20;

/// Writes a NAACCR XML document patient by patient; memory does not grow with the file.
///
/// The header goes through quick-xml; patients are formatted straight into a reused buffer (no
/// allocation per item), which is copied to the output only when every item of the patient passed.
pub struct NaaccrXmlWriter<W: Write> {
    out: BufWriter<W>,
    /// One patient's XML, reused from patient to patient.
    scratch: Vec<u8>,
    /// Nothing written inside the root element yet (quick-xml closes an empty element inline).
    root_empty: bool,
    indent: bool,
    formatter: PatientFormatter,
    patients: usize,
    tumors: usize,
}

/// A checked item ready to be written.
struct PreparedItem<'a> {
    naaccr_id: &'a str,
    value: Cow<'a, str>,
}

impl<W: Write> NaaccrXmlWriter<W> {
    /// Starts a document: writes the XML declaration, the `NaaccrData` element and the root items
    /// (file-level items such as `registryId`), after checking them.
    pub fn new(
        w: W,
        options: WriterOptions,
        root_items: &[(&str, &str)],
    ) -> Result<Self, NaaccrWriteError> {
        let mut dictionary = CombinedDictionary::new(Dictionary::base(options.version));
        for user in &options.user_dictionaries {
            dictionary.add_user(user.clone())?;
        }
        let mut issues = Vec::new();
        let mut prepared = Vec::new();
        for (naaccr_id, value) in root_items {
            // Root items are always checked (`leave_out_undefined` is for patients and tumors).
            if let Ok(Some(item)) = prepare_item(
                &dictionary,
                &options,
                ItemLevel::NaaccrData,
                naaccr_id,
                value,
                (None, None),
                &mut issues,
            ) {
                if *naaccr_id == "recordType" && item.value != options.record_type.as_str() {
                    issues.push(ItemIssue {
                        line: None,
                        patient: None,
                        tumor: None,
                        naaccr_id: Some((*naaccr_id).to_string()),
                        kind: IssueKind::RecordTypeMismatch {
                            expected: options.record_type.as_str().to_string(),
                        },
                    });
                }
                prepared.push(item);
            }
        }
        if !issues.is_empty() {
            return Err(NaaccrWriteError::InvalidItems(issues));
        }

        let inner = BufWriter::with_capacity(OUTPUT_BUFFER, w);
        let mut xml = if options.indent {
            Writer::new_with_indent(inner, b' ', 2)
        } else {
            Writer::new(inner)
        };
        xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let mut root = BytesStart::new("NaaccrData");
        root.push_attribute(("baseDictionaryUri", options.version.base_dictionary_uri()));
        let user_uri = options.user_dictionary_uri.clone().or_else(|| {
            (!options.user_dictionaries.is_empty()).then(|| {
                options
                    .user_dictionaries
                    .iter()
                    .map(UserDictionary::uri)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        });
        if let Some(uri) = user_uri.as_deref().filter(|u| !u.trim().is_empty()) {
            root.push_attribute(("userDictionaryUri", uri));
        }
        root.push_attribute(("recordType", options.record_type.as_str()));
        if let Some(time) = options.time_generated {
            let time = time.to_rfc3339_opts(SecondsFormat::Millis, false);
            root.push_attribute(("timeGenerated", time.as_str()));
        }
        root.push_attribute(("specificationVersion", WRITTEN_SPECIFICATION_VERSION));
        root.push_attribute(("xmlns", NAACCR_NAMESPACE));
        xml.write_event(Event::Start(root))?;
        let mut out = xml.into_inner();
        let mut scratch = Vec::with_capacity(1 << 16);
        for item in &prepared {
            item_xml(&mut scratch, options.indent, 1, item.naaccr_id, &item.value);
        }
        out.write_all(&scratch)?;
        let root_empty = prepared.is_empty();
        drop(prepared);
        Ok(NaaccrXmlWriter {
            out,
            scratch,
            root_empty,
            indent: options.indent,
            formatter: PatientFormatter {
                dictionary: Arc::new(dictionary),
                options: Arc::new(options),
            },
            patients: 0,
            tumors: 0,
        })
    }

    /// Writes one patient and its tumors. Every item is checked first (known, right level, valid value);
    /// on any problem nothing is written and all problems are returned, so the caller may skip the
    /// patient and go on. Items of other record types are left out silently (e.g. names in an I file).
    pub fn write_patient(&mut self, patient: &NaaccrPatient) -> Result<(), NaaccrWriteError> {
        let ordinal = self.patients + 1;
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let formatted =
            self.formatter
                .format(&patient.borrowed(), ordinal, &mut scratch, &mut |_| {});
        let result = match formatted {
            Ok(()) => self.write_formatted(&scratch, 1, patient.tumors.len()),
            Err(issues) => Err(NaaccrWriteError::InvalidItems(issues)),
        };
        self.scratch = scratch;
        result
    }

    /// A formatter with this writer's dictionary and options, for formatting patients on other
    /// threads; their bytes come back through [`Self::write_formatted`] in file order.
    pub fn formatter(&self) -> PatientFormatter {
        self.formatter.clone()
    }

    /// Writes `xml`, the output of [`PatientFormatter::format`] for `patients` patients with
    /// `tumors` tumors in all.
    pub fn write_formatted(
        &mut self,
        xml: &[u8],
        patients: usize,
        tumors: usize,
    ) -> Result<(), NaaccrWriteError> {
        if patients == 0 {
            return Ok(());
        }
        self.out.write_all(xml)?;
        self.root_empty = false;
        self.patients += patients;
        self.tumors += tumors;
        Ok(())
    }

    /// Patients written so far.
    pub fn patient_count(&self) -> usize {
        self.patients
    }

    /// Tumors written so far.
    pub fn tumor_count(&self) -> usize {
        self.tumors
    }

    /// Closes the root element, flushes, and returns the underlying writer
    /// (call [`super::io::NaaccrOutput::finish`] on it when writing a file).
    pub fn finish(mut self) -> Result<W, NaaccrWriteError> {
        self.scratch.clear();
        line(
            &mut self.scratch,
            self.indent && !self.root_empty,
            0,
            b"</NaaccrData>",
        );
        self.scratch.push(b'\n');
        self.out.write_all(&self.scratch)?;
        self.out
            .into_inner()
            .map_err(|e| NaaccrWriteError::Io(e.into_error()))
    }
}

/// Formats patients as the writer does (same checks, same layout), without writing them: an
/// export formats chunks of patients on several threads and writes the bytes in order with
/// [`NaaccrXmlWriter::write_formatted`]. Cheap to clone.
#[derive(Clone)]
pub struct PatientFormatter {
    dictionary: Arc<CombinedDictionary>,
    options: Arc<WriterOptions>,
}

impl PatientFormatter {
    /// Appends one patient's XML to `buf`. `ordinal` (1-based position in the file) is named in
    /// the issues. On any problem `buf` is left as it was and all problems are returned. With
    /// [`WriterOptions::leave_out_undefined`], items the dictionary does not define at their level
    /// are left out and passed to `left_out` instead of being problems.
    pub fn format(
        &self,
        patient: &BorrowedPatient<'_>,
        ordinal: usize,
        buf: &mut Vec<u8>,
        left_out: &mut dyn FnMut(&str),
    ) -> Result<(), Vec<ItemIssue>> {
        let start = buf.len();
        let mut issues = Vec::new();
        let (dictionary, options) = (&*self.dictionary, &*self.options);
        let indent = options.indent;
        let mut check = |level, id, value, at, buf: &mut Vec<u8>, depth| {
            let item = prepare_item(dictionary, options, level, id, value, at, &mut issues);
            match item {
                Ok(Some(item)) => {
                    item_xml(buf, indent, depth, item.naaccr_id, &item.value);
                    true
                }
                Ok(None) => false,
                Err(Undefined) => {
                    left_out(id);
                    false
                }
            }
        };
        line(buf, indent, 1, b"<Patient>");
        let mut empty = true;
        for &(id, value) in &patient.items {
            let at = (Some(ordinal), None);
            empty &= !check(ItemLevel::Patient, id, value, at, buf, 2);
        }
        for (t, tumor) in patient.tumors.iter().enumerate() {
            line(buf, indent, 2, b"<Tumor>");
            let mut tumor_empty = true;
            for &(id, value) in tumor {
                let at = (Some(ordinal), Some(t + 1));
                tumor_empty &= !check(ItemLevel::Tumor, id, value, at, buf, 3);
            }
            line(buf, indent && !tumor_empty, 2, b"</Tumor>");
            empty = false;
        }
        line(buf, indent && !empty, 1, b"</Patient>");
        if issues.is_empty() {
            Ok(())
        } else {
            buf.truncate(start);
            Err(issues)
        }
    }
}

/// An item the dictionary does not define at its level, left out under
/// [`WriterOptions::leave_out_undefined`].
struct Undefined;

/// Checks one item for writing; `None` when it is left out (empty, other record type) or wrong
/// (then an issue is pushed).
fn prepare_item<'a>(
    dictionary: &'a CombinedDictionary,
    options: &WriterOptions,
    level: ItemLevel,
    naaccr_id: &'a str,
    value: &'a str,
    (patient, tumor): (Option<usize>, Option<usize>),
    issues: &mut Vec<ItemIssue>,
) -> Result<Option<PreparedItem<'a>>, Undefined> {
    if value.is_empty() {
        return Ok(None);
    }
    let mut issue = |kind| {
        issues.push(ItemIssue {
            line: None,
            patient,
            tumor,
            naaccr_id: Some(naaccr_id.to_string()),
            kind,
        })
    };
    let leave_out = options.leave_out_undefined && level != ItemLevel::NaaccrData;
    let Some(def) = dictionary.item(naaccr_id) else {
        if leave_out {
            return Err(Undefined);
        }
        issue(IssueKind::UnknownItem);
        return Ok(None);
    };
    if def.level != level {
        if leave_out {
            return Err(Undefined);
        }
        issue(IssueKind::WrongLevel {
            defined: def.level,
            found: level,
        });
        return Ok(None);
    }
    if !def.record_types.contains(options.record_type) {
        return Ok(None);
    }
    let value = normalize_for_writing(def, value, options.left_zero_padding);
    if let Err(e) = check_value(def, &value) {
        issue(IssueKind::InvalidValue(e));
        return Ok(None);
    }
    Ok(Some(PreparedItem {
        naaccr_id: &def.naaccr_id,
        value,
    }))
}

fn normalize_for_writing<'a>(def: &ItemDef, value: &'a str, zero_padding: bool) -> Cow<'a, str> {
    let value = normalize_text(value);
    if !zero_padding {
        return value;
    }
    match value {
        Cow::Borrowed(v) => apply_zero_padding(def, v),
        Cow::Owned(v) => Cow::Owned(apply_zero_padding(def, &v).into_owned()),
    }
}

/// Appends `text` on a new line indented `depth` levels (two spaces each) when indenting.
fn line(buf: &mut Vec<u8>, indent: bool, depth: usize, text: &[u8]) {
    if indent {
        buf.push(b'\n');
        buf.resize(buf.len() + 2 * depth, b' ');
    }
    buf.extend_from_slice(text);
}

/// Appends one `<Item naaccrId="...">value</Item>`, the value escaped (`&`, `<`, `>`; a CR
/// would be `&#13;`, but values are normalised to LF before they get here).
fn item_xml(buf: &mut Vec<u8>, indent: bool, depth: usize, naaccr_id: &str, value: &str) {
    line(buf, indent, depth, b"<Item naaccrId=\"");
    buf.extend_from_slice(naaccr_id.as_bytes());
    buf.extend_from_slice(b"\">");
    buf.extend_from_slice(quick_xml::escape::partial_escape(value).as_bytes());
    buf.extend_from_slice(b"</Item>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::naaccr::record::NaaccrTumor;
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    fn map(items: &[(&str, &str)]) -> BTreeMap<String, String> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    fn sample_patient() -> NaaccrPatient {
        NaaccrPatient {
            items: map(&[
                ("patientIdNumber", "00000001"),
                ("dateOfBirth", "19500101"),
                ("nameLast", "SYNTHETIC"),
                ("vitalStatus", "1"),
            ]),
            tumors: vec![
                NaaccrTumor {
                    items: map(&[
                        ("primarySite", "C504"),
                        ("histologicTypeIcdO3", "8500"),
                        ("sequenceNumberCentral", "1"),
                        ("dateOfDiagnosis", "20240315"),
                        ("addrAtDxCity", "Harrisburg & <Dauphin>"),
                        ("textRemarks", "line one\r\nline two"),
                    ]),
                },
                NaaccrTumor {
                    items: map(&[("primarySite", "C619"), ("dateOfDiagnosis", "2023")]),
                },
            ],
        }
    }

    fn options(record_type: RecordType) -> WriterOptions {
        let mut options = WriterOptions::new(NaaccrVersion::V260, record_type);
        options.left_zero_padding = true;
        options.time_generated = DateTime::parse_from_rfc3339("2025-01-02T03:04:05.678-05:00").ok();
        options
    }

    fn write(options: WriterOptions, patients: &[NaaccrPatient]) -> String {
        let mut writer =
            NaaccrXmlWriter::new(Vec::new(), options, &[("registryId", "0000000001")]).unwrap();
        for p in patients {
            writer.write_patient(p).unwrap();
        }
        String::from_utf8(writer.finish().unwrap()).unwrap()
    }

    #[test]
    fn incidence_file_has_exact_layout() {
        let xml = write(options(RecordType::I), &[sample_patient()]);
        let expected = r#"<?xml version="1.0" encoding="UTF-8"?>
<NaaccrData baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="I" timeGenerated="2025-01-02T03:04:05.678-05:00" specificationVersion="1.8" xmlns="http://naaccr.org/naaccrxml">
  <Item naaccrId="registryId">0000000001</Item>
  <Patient>
    <Item naaccrId="dateOfBirth">19500101</Item>
    <Item naaccrId="patientIdNumber">00000001</Item>
    <Item naaccrId="vitalStatus">1</Item>
    <Tumor>
      <Item naaccrId="addrAtDxCity">Harrisburg &amp; &lt;Dauphin&gt;</Item>
      <Item naaccrId="dateOfDiagnosis">20240315</Item>
      <Item naaccrId="histologicTypeIcdO3">8500</Item>
      <Item naaccrId="primarySite">C504</Item>
      <Item naaccrId="sequenceNumberCentral">01</Item>
    </Tumor>
    <Tumor>
      <Item naaccrId="dateOfDiagnosis">2023</Item>
      <Item naaccrId="primarySite">C619</Item>
    </Tumor>
  </Patient>
</NaaccrData>
"#;
        // nameLast (A,M,C) and textRemarks (A,M) are not part of an I record.
        assert_eq!(xml, expected);
    }

    #[test]
    fn abstract_file_keeps_confidential_and_text_items() {
        let xml = write(options(RecordType::A), &[sample_patient()]);
        assert!(xml.contains(r#"<Item naaccrId="nameLast">SYNTHETIC</Item>"#));
        assert!(xml.contains("<Item naaccrId=\"textRemarks\">line one\nline two</Item>"));
        assert!(xml.contains(r#"recordType="A""#));
    }

    #[test]
    fn bad_items_are_all_reported_and_nothing_is_written() {
        let mut writer = NaaccrXmlWriter::new(Vec::new(), options(RecordType::I), &[]).unwrap();
        let mut patient = sample_patient();
        patient.items.insert("primarySite".into(), "C504".into());
        patient.items.insert("noSuchItem".into(), "1".into());
        if let Some(t) = patient.tumors.get_mut(1) {
            t.items.insert("dateOfDiagnosis".into(), "20241399".into());
            t.items.insert("addrAtDxState".into(), "".into()); // empty = absent, fine
        }
        let err = writer.write_patient(&patient).unwrap_err();
        let NaaccrWriteError::InvalidItems(issues) = &err else {
            panic!("unexpected {err:?}");
        };
        assert_eq!(issues.len(), 3, "{issues:?}");
        assert_eq!(
            err.to_string(),
            "3 item problem(s): patient 1, item 'noSuchItem': unknown item (not in the base or user dictionaries); \
             patient 1, item 'primarySite': item belongs to the Tumor level but was found at the Patient level; \
             patient 1, tumor 2, item 'dateOfDiagnosis': value is not valid for data type date: expected a real date CCYY, CCYYMM or CCYYMMDD with year 1800-2099"
        );
        assert_eq!(writer.patient_count(), 0);
        writer.write_patient(&sample_patient()).unwrap();
        assert_eq!((writer.patient_count(), writer.tumor_count()), (1, 2));
        let xml = String::from_utf8(writer.finish().unwrap()).unwrap();
        assert_eq!(xml.matches("<Patient>").count(), 1);
    }

    #[test]
    fn values_are_not_padded_without_the_option_and_too_short_digits_fail() {
        let mut options = options(RecordType::I);
        options.left_zero_padding = false;
        let mut writer = NaaccrXmlWriter::new(Vec::new(), options, &[]).unwrap();
        let err = writer.write_patient(&sample_patient()).unwrap_err();
        assert!(
            err.to_string().contains("item 'sequenceNumberCentral': value is 1 characters long; a digits item must be exactly 2"),
            "{err}"
        );
    }

    #[test]
    fn root_items_are_checked() {
        let err = NaaccrXmlWriter::new(
            Vec::new(),
            options(RecordType::I),
            &[
                ("registryId", "0000000001"),
                ("recordType", "A"),
                ("primarySite", "C504"),
            ],
        )
        .err()
        .unwrap();
        let text = err.to_string();
        assert!(
            text.contains(
                "file level, item 'recordType': value differs from the file's record type I"
            ),
            "{text}"
        );
        assert!(
            text.contains("file level, item 'primarySite': item belongs to the Tumor level"),
            "{text}"
        );
    }

    #[test]
    fn user_dictionary_items_and_uri_are_written() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/naaccr/user-defined-naaccr-dictionary-210.xml");
        let xml = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{} is required: {e}", path.display()));
        let mut options = options(RecordType::I);
        options.user_dictionaries = vec![UserDictionary::parse(&xml).unwrap()];
        let mut patient = sample_patient();
        if let Some(t) = patient.tumors.get_mut(0) {
            t.items.insert("stateRequestorItems".into(), "  X  ".into());
        }
        let out = write(options, &[patient]);
        assert!(out.contains(
            r#"userDictionaryUri="http://naaccr.org/naaccrxml/user-defined-naaccr-dictionary-210.xml""#
        ));
        assert!(out.contains(r#"<Item naaccrId="stateRequestorItems">  X  </Item>"#));
    }

    #[test]
    fn valid_reader_fixtures_validate_against_the_xsd() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/naaccr");
        for name in [
            "valid-260-incidence-extensions.xml",
            "valid-250-spec17.xml",
            "valid-180-spec15-user-dictionary.xml",
            "valid-260-user-dictionary-210-spec16.xml",
        ] {
            xmllint_validate(&dir.join(name));
        }
    }

    fn xmllint_validate(path: &Path) {
        let xsd =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/naaccr/naaccr_data_1.8.xsd");
        assert!(
            xsd.is_file(),
            "XSD {} is required by this test",
            xsd.display()
        );
        let output = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&xsd)
            .arg(path)
            .output()
            .unwrap_or_else(|e| {
                panic!("xmllint is required for this test (apt-get install -y libxml2-utils): {e}")
            });
        assert!(
            output.status.success(),
            "xmllint rejected {}: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    #[test]
    fn written_files_validate_against_the_xsd() {
        let dir = tempfile::tempdir().unwrap();
        for (name, record_type) in [
            ("incidence.xml", RecordType::I),
            ("abstract.xml.gz", RecordType::A),
        ] {
            let path = dir.path().join(name);
            let output = crate::domain::naaccr::io::create_output(&path).unwrap();
            let mut options = options(record_type);
            options.indent = record_type == RecordType::I;
            let mut writer =
                NaaccrXmlWriter::new(output, options, &[("registryId", "0000000001")]).unwrap();
            writer.write_patient(&sample_patient()).unwrap();
            writer.write_patient(&NaaccrPatient::default()).unwrap();
            writer.finish().unwrap().finish().unwrap();
            // xmllint reads gzip itself when built with zlib; validate a decompressed copy to be sure.
            let plain = dir.path().join(format!("{name}.check.xml"));
            std::fs::write(
                &plain,
                crate::domain::naaccr::io::read_to_string(&path).unwrap(),
            )
            .unwrap();
            xmllint_validate(&plain);
        }
    }
}
