//! Streaming NAACCR XML reader: the root element on construction, then one patient at a time.
//!
//! Item problems (unknown id, wrong level, bad value...) are collected as [`ItemIssue`]s with their
//! line and never stop the file; only broken XML or an unusable root element is an error.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::io::{self, BufRead, Read};

use quick_xml::NsReader;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};

use super::dictionary::{
    CombinedDictionary, Dictionary, DictionaryError, ItemLevel, NAACCR_NAMESPACE, NaaccrVersion,
    RecordType, UserDictionary,
};
use super::issue::{IssueKind, ItemIssue};
use super::record::{NaaccrPatient, NaaccrTumor};
use super::value::check_value;

/// Specification versions a reader accepts.
pub const READABLE_SPECIFICATION_VERSIONS: [&str; 9] = [
    "1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8",
];

/// What the root `NaaccrData` element says about the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NaaccrDataHeader {
    /// Version from `baseDictionaryUri`.
    pub version: NaaccrVersion,
    /// `recordType`.
    pub record_type: RecordType,
    /// `specificationVersion` (1.0–1.8).
    pub specification_version: String,
    /// URIs listed in `userDictionaryUri`.
    pub user_dictionary_uris: Vec<String>,
    /// `timeGenerated`, as written.
    pub time_generated: Option<String>,
    /// File-level items (registryId...).
    pub items: BTreeMap<String, String>,
}

/// Why a file cannot be read (further).
#[derive(Debug, thiserror::Error)]
pub enum NaaccrReadError {
    /// The XML is not well-formed.
    #[error("the NAACCR XML is broken at line {line}: {message}")]
    Xml {
        /// 1-based line.
        line: u64,
        /// Parser message.
        message: String,
    },
    /// Reading the input failed (including corrupt gzip data).
    #[error("could not read the NAACCR XML input near line {line}: {source}")]
    Io {
        /// 1-based line reached.
        line: u64,
        /// The I/O error.
        source: io::Error,
    },
    /// The root element is not a NAACCR `NaaccrData`.
    #[error("not a NAACCR XML data file: the root element is <{found}>, expected <NaaccrData>")]
    NotNaaccrData {
        /// Root element found.
        found: String,
    },
    /// A required root attribute is missing.
    #[error("the NaaccrData element has no '{attribute}' attribute")]
    MissingAttribute {
        /// Attribute name.
        attribute: &'static str,
    },
    /// A root attribute value is not allowed.
    #[error("the NaaccrData attribute '{attribute}' has unsupported value '{value}'")]
    InvalidAttribute {
        /// Attribute name.
        attribute: &'static str,
        /// Value found.
        value: String,
    },
    /// The base dictionary is not supported, or user dictionaries conflict.
    #[error(transparent)]
    Dictionary(#[from] DictionaryError),
    /// The document ended inside an element.
    #[error("the NAACCR XML ends unexpectedly at line {line} (the file is truncated)")]
    UnexpectedEof {
        /// Last line.
        line: u64,
    },
}

/// Counts the lines the XML parser has consumed, so issues can name a line.
struct LineCounter<R> {
    inner: R,
    newlines: u64,
}

impl<R: BufRead> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.newlines += count_newlines(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        // After fill_buf the buffer is available again without I/O; count what is consumed.
        if let Ok(buf) = self.inner.fill_buf() {
            self.newlines += count_newlines(buf.get(..amt).unwrap_or(buf));
        }
        self.inner.consume(amt);
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// The element kinds the reader cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    NaaccrData,
    Patient,
    Tumor,
    Item,
    /// An element in the NAACCR namespace that the standard does not define.
    OtherNaaccr,
    /// An extension element in another namespace.
    Foreign,
}

/// An event reduced to what the reader needs, owning nothing borrowed from the parser.
enum Step {
    /// An element's start: its kind, its local name (not allocated for the NAACCR elements the
    /// reader knows), and whether it is empty.
    Start(Element, Cow<'static, str>, bool),
    End(Element),
    Text,
    Eof,
}

/// Reads a NAACCR XML document one patient at a time.
pub struct NaaccrXmlReader<R: BufRead> {
    xml: NsReader<LineCounter<R>>,
    buf: Vec<u8>,
    header: NaaccrDataHeader,
    dictionary: CombinedDictionary,
    issues: Vec<ItemIssue>,
    patients: usize,
    /// The start tag of the next Patient was already read (while reading the root items).
    patient_started: Option<bool>,
    done: bool,
}

impl<R: BufRead> NaaccrXmlReader<R> {
    /// Opens a document without user dictionaries (their items are reported as unknown).
    pub fn new(input: R) -> Result<Self, NaaccrReadError> {
        Self::with_user_dictionaries(input, Vec::new())
    }

    /// Opens a document; the registered user dictionaries referenced by its `userDictionaryUri` are
    /// used (for a 180 file, the default 180 user dictionary is known without registering it).
    pub fn with_user_dictionaries(
        input: R,
        user_dictionaries: Vec<UserDictionary>,
    ) -> Result<Self, NaaccrReadError> {
        let mut xml = NsReader::from_reader(LineCounter {
            inner: input,
            newlines: 0,
        });
        xml.config_mut().trim_text(false);
        let mut reader = NaaccrXmlReader {
            xml,
            buf: Vec::with_capacity(1024),
            header: NaaccrDataHeader {
                version: NaaccrVersion::V260,
                record_type: RecordType::I,
                specification_version: String::new(),
                user_dictionary_uris: Vec::new(),
                time_generated: None,
                items: BTreeMap::new(),
            },
            dictionary: CombinedDictionary::new(Dictionary::base(NaaccrVersion::V260)),
            issues: Vec::new(),
            patients: 0,
            patient_started: None,
            done: false,
        };
        reader.read_root(user_dictionaries)?;
        Ok(reader)
    }

    /// The root element's attributes and items.
    pub fn header(&self) -> &NaaccrDataHeader {
        &self.header
    }

    /// The dictionaries used to read the file.
    pub fn dictionary(&self) -> &CombinedDictionary {
        &self.dictionary
    }

    /// Issues found so far (not yet taken).
    pub fn issues(&self) -> &[ItemIssue] {
        &self.issues
    }

    /// Takes the issues found so far; draining after each patient keeps memory flat.
    pub fn take_issues(&mut self) -> Vec<ItemIssue> {
        std::mem::take(&mut self.issues)
    }

    /// Patients read so far.
    pub fn patient_count(&self) -> usize {
        self.patients
    }

    /// The next patient, `None` at the end. After an error the reader stops (returns `None`).
    pub fn next_patient(&mut self) -> Option<Result<NaaccrPatient, NaaccrReadError>> {
        if self.done {
            return None;
        }
        let result = self.read_next_patient();
        match result {
            Ok(Some(p)) => Some(Ok(p)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    fn line(&self) -> u64 {
        self.xml.get_ref().newlines + 1
    }

    fn issue(
        &mut self,
        line: u64,
        tumor: Option<usize>,
        naaccr_id: Option<String>,
        kind: IssueKind,
        at_root: bool,
    ) {
        self.issues.push(ItemIssue {
            line: Some(line),
            patient: (!at_root).then_some(self.patients + 1),
            tumor,
            naaccr_id,
            kind,
        });
    }

    fn xml_error(&self, err: quick_xml::Error) -> NaaccrReadError {
        let line = self.line();
        match err {
            quick_xml::Error::Io(e) => NaaccrReadError::Io {
                line,
                source: io::Error::new(e.kind(), e.to_string()),
            },
            other => NaaccrReadError::Xml {
                line,
                message: other.to_string(),
            },
        }
    }

    /// Reads the next event, classifying elements by namespace and name.
    fn step(&mut self) -> Result<(Step, Option<BytesStart<'static>>), NaaccrReadError> {
        self.buf.clear();
        let (resolved, event) = match self.xml.read_resolved_event_into(&mut self.buf) {
            Ok(r) => r,
            Err(e) => {
                let e = self.xml_error(e);
                return Err(e);
            }
        };
        let ours = match resolved {
            ResolveResult::Bound(Namespace(ns)) => ns == NAACCR_NAMESPACE,
            // Files without a namespace declaration are accepted (lenient, as old writers did).
            ResolveResult::Unbound => true,
            ResolveResult::Unknown(_) => false,
        };
        let classify = |local: &str| {
            if !ours {
                return Element::Foreign;
            }
            match local {
                "NaaccrData" => Element::NaaccrData,
                "Patient" => Element::Patient,
                "Tumor" => Element::Tumor,
                "Item" => Element::Item,
                _ => Element::OtherNaaccr,
            }
        };
        // No allocation for the names of the NAACCR elements the reader knows.
        let named = |local: &str| -> (Element, Cow<'static, str>) {
            let kind = classify(local);
            let name = match kind {
                Element::NaaccrData => Cow::Borrowed("NaaccrData"),
                Element::Patient => Cow::Borrowed("Patient"),
                Element::Tumor => Cow::Borrowed("Tumor"),
                Element::Item => Cow::Borrowed("Item"),
                Element::Foreign | Element::OtherNaaccr => Cow::Owned(local.to_string()),
            };
            (kind, name)
        };
        Ok(match event {
            Event::Start(e) => {
                let (kind, name) = named(e.local_name().as_ref());
                (Step::Start(kind, name, false), Some(e.into_owned()))
            }
            Event::Empty(e) => {
                let (kind, name) = named(e.local_name().as_ref());
                (Step::Start(kind, name, true), Some(e.into_owned()))
            }
            Event::End(e) => (Step::End(classify(e.local_name().as_ref())), None),
            Event::Eof => (Step::Eof, None),
            _ => (Step::Text, None),
        })
    }

    /// Skips the content of an element whose start tag was just read.
    fn skip_element(&mut self) -> Result<(), NaaccrReadError> {
        let mut depth = 1usize;
        while depth > 0 {
            self.buf.clear();
            match self.xml.read_event_into(&mut self.buf) {
                Ok(Event::Start(_)) => depth += 1,
                Ok(Event::End(_)) => depth -= 1,
                Ok(Event::Eof) => return Err(NaaccrReadError::UnexpectedEof { line: self.line() }),
                Ok(_) => {}
                Err(e) => return Err(self.xml_error(e)),
            }
        }
        Ok(())
    }

    fn read_root(&mut self, user_dictionaries: Vec<UserDictionary>) -> Result<(), NaaccrReadError> {
        let (empty, start) = loop {
            match self.step()? {
                (Step::Start(Element::NaaccrData, _, empty), Some(start)) => break (empty, start),
                (Step::Start(_, name, _), _) => {
                    return Err(NaaccrReadError::NotNaaccrData {
                        found: name.into_owned(),
                    });
                }
                (Step::Eof, _) => {
                    return Err(NaaccrReadError::NotNaaccrData {
                        found: "(nothing)".to_string(),
                    });
                }
                _ => {}
            }
        };
        let root_line = self.line();
        let mut attrs = BTreeMap::new();
        for attr in start.attributes() {
            let attr = attr.map_err(|e| NaaccrReadError::Xml {
                line: root_line,
                message: e.to_string(),
            })?;
            // Namespace declarations and extension attributes (prefixed) are not ours.
            if attr.key.prefix().is_some() || attr.key.as_ref() == "xmlns" {
                continue;
            }
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| NaaccrReadError::Xml {
                    line: root_line,
                    message: e.to_string(),
                })?;
            attrs.insert(attr.key.as_ref().to_string(), value.into_owned());
        }
        let required = |name: &'static str| {
            attrs
                .get(name)
                .map(|v| v.trim().to_string())
                .ok_or(NaaccrReadError::MissingAttribute { attribute: name })
        };
        let base_uri = required("baseDictionaryUri")?;
        let version = NaaccrVersion::parse_dictionary_uri(&base_uri)?;
        let record_type_text = required("recordType")?;
        let record_type =
            RecordType::parse(&record_type_text).ok_or(NaaccrReadError::InvalidAttribute {
                attribute: "recordType",
                value: record_type_text,
            })?;
        let spec = required("specificationVersion")?;
        if !READABLE_SPECIFICATION_VERSIONS.contains(&spec.as_str()) {
            return Err(NaaccrReadError::InvalidAttribute {
                attribute: "specificationVersion",
                value: spec,
            });
        }
        let user_uris: Vec<String> = attrs
            .get("userDictionaryUri")
            .map(|u| u.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();

        let mut dictionary = CombinedDictionary::new(Dictionary::base(version));
        for uri in &user_uris {
            let registered = user_dictionaries.iter().find(|u| u.uri() == uri).cloned();
            let default_180 = UserDictionary::default_flat_v18();
            let known = registered.or_else(|| {
                (version == NaaccrVersion::V180 && default_180.uri() == uri)
                    .then(|| default_180.clone())
            });
            match known {
                Some(user) => dictionary.add_user(user)?,
                None => self.issue(
                    root_line,
                    None,
                    None,
                    IssueKind::MissingUserDictionary { uri: uri.clone() },
                    true,
                ),
            }
        }
        self.dictionary = dictionary;
        self.header = NaaccrDataHeader {
            version,
            record_type,
            specification_version: spec,
            user_dictionary_uris: user_uris,
            time_generated: attrs.get("timeGenerated").cloned(),
            items: BTreeMap::new(),
        };
        if empty {
            self.done = true;
            return Ok(());
        }
        // Root items, extensions, up to the first Patient.
        let mut items = BTreeMap::new();
        loop {
            match self.step()? {
                (Step::Start(Element::Item, _, empty), Some(start)) => {
                    self.read_item(&start, empty, ItemLevel::NaaccrData, None, &mut items)?;
                }
                (Step::Start(Element::Patient, _, empty), _) => {
                    self.patient_started = Some(empty);
                    break;
                }
                (Step::Start(kind, name, empty), _) => {
                    self.unexpected(kind, name, None, true);
                    if !empty {
                        self.skip_element()?;
                    }
                }
                (Step::End(Element::NaaccrData), _) => {
                    self.done = true;
                    break;
                }
                (Step::Eof, _) => return Err(NaaccrReadError::UnexpectedEof { line: self.line() }),
                _ => {}
            }
        }
        self.header.items = items;
        Ok(())
    }

    /// Records an issue for an unexpected NAACCR element; extension elements are skipped silently.
    fn unexpected(
        &mut self,
        kind: Element,
        name: Cow<'static, str>,
        tumor: Option<usize>,
        at_root: bool,
    ) {
        if kind != Element::Foreign {
            let name = name.into_owned();
            let line = self.line();
            self.issue(
                line,
                tumor,
                None,
                IssueKind::UnexpectedElement { name },
                at_root,
            );
        }
    }

    fn read_next_patient(&mut self) -> Result<Option<NaaccrPatient>, NaaccrReadError> {
        let empty = match self.patient_started.take() {
            Some(empty) => empty,
            None => loop {
                match self.step()? {
                    (Step::Start(Element::Patient, _, empty), _) => break empty,
                    (Step::Start(kind, name, empty), _) => {
                        // Root items after patients break the XSD order; extensions are allowed here.
                        self.unexpected(kind, name, None, true);
                        if !empty {
                            self.skip_element()?;
                        }
                    }
                    (Step::End(Element::NaaccrData), _) => return Ok(None),
                    (Step::Eof, _) => {
                        return Err(NaaccrReadError::UnexpectedEof { line: self.line() });
                    }
                    _ => {}
                }
            },
        };
        let mut patient = NaaccrPatient::default();
        if !empty {
            loop {
                match self.step()? {
                    (Step::Start(Element::Item, _, empty), Some(start)) => {
                        self.read_item(
                            &start,
                            empty,
                            ItemLevel::Patient,
                            None,
                            &mut patient.items,
                        )?;
                    }
                    (Step::Start(Element::Tumor, _, empty), _) => {
                        let tumor = self.read_tumor(empty, patient.tumors.len() + 1)?;
                        patient.tumors.push(tumor);
                    }
                    (Step::Start(kind, name, empty), _) => {
                        self.unexpected(kind, name, None, false);
                        if !empty {
                            self.skip_element()?;
                        }
                    }
                    (Step::End(Element::Patient), _) => break,
                    (Step::Eof, _) => {
                        return Err(NaaccrReadError::UnexpectedEof { line: self.line() });
                    }
                    _ => {}
                }
            }
        }
        self.patients += 1;
        Ok(Some(patient))
    }

    fn read_tumor(&mut self, empty: bool, ordinal: usize) -> Result<NaaccrTumor, NaaccrReadError> {
        let mut tumor = NaaccrTumor::default();
        if empty {
            return Ok(tumor);
        }
        loop {
            match self.step()? {
                (Step::Start(Element::Item, _, empty), Some(start)) => {
                    self.read_item(
                        &start,
                        empty,
                        ItemLevel::Tumor,
                        Some(ordinal),
                        &mut tumor.items,
                    )?;
                }
                (Step::Start(kind, name, empty), _) => {
                    self.unexpected(kind, name, Some(ordinal), false);
                    if !empty {
                        self.skip_element()?;
                    }
                }
                (Step::End(Element::Tumor), _) => return Ok(tumor),
                (Step::Eof, _) => return Err(NaaccrReadError::UnexpectedEof { line: self.line() }),
                _ => {}
            }
        }
    }

    /// Reads an Item's text and files it into `items` after checking it against the dictionaries.
    fn read_item(
        &mut self,
        start: &BytesStart<'_>,
        empty: bool,
        level: ItemLevel,
        tumor: Option<usize>,
        items: &mut BTreeMap<String, String>,
    ) -> Result<(), NaaccrReadError> {
        let line = self.line();
        let at_root = level == ItemLevel::NaaccrData;
        let mut naaccr_id = None;
        let mut naaccr_num = None;
        for attr in start.attributes().flatten() {
            let key = attr.key.as_ref();
            if key != "naaccrId" && key != "naaccrNum" {
                continue;
            }
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.trim().to_string())
                .unwrap_or_default();
            if key == "naaccrId" {
                naaccr_id = Some(value);
            } else {
                naaccr_num = Some(value);
            }
        }
        let value = if empty {
            String::new()
        } else {
            self.read_text(line, tumor, at_root)?
        };
        let Some(naaccr_id) = naaccr_id else {
            self.issue(line, tumor, None, IssueKind::MissingNaaccrId, at_root);
            return Ok(());
        };
        // An empty value means the item is absent.
        if value.is_empty() {
            return Ok(());
        }
        let Some(def) = self.dictionary.item(&naaccr_id) else {
            self.issue(
                line,
                tumor,
                Some(naaccr_id),
                IssueKind::UnknownItem,
                at_root,
            );
            return Ok(());
        };
        let (defined, number) = (def.level, def.number);
        let value_check = check_value(def, &value);
        if let Some(num) = naaccr_num
            && num.parse::<u32>().ok() != Some(number)
        {
            let kind = IssueKind::NumberMismatch {
                found: num,
                expected: number,
            };
            self.issue(line, tumor, Some(naaccr_id.clone()), kind, at_root);
        }
        if defined != level {
            let kind = IssueKind::WrongLevel {
                defined,
                found: level,
            };
            self.issue(line, tumor, Some(naaccr_id), kind, at_root);
            return Ok(());
        }
        if let Err(e) = value_check {
            self.issue(
                line,
                tumor,
                Some(naaccr_id.clone()),
                IssueKind::InvalidValue(e),
                at_root,
            );
        }
        // In XML the record type is the root attribute; item #10 must agree with it.
        let record_type = self.header.record_type.as_str();
        if at_root && naaccr_id == "recordType" && value != record_type {
            let kind = IssueKind::RecordTypeMismatch {
                expected: record_type.to_string(),
            };
            self.issue(line, tumor, Some(naaccr_id.clone()), kind, at_root);
        }
        match items.entry(naaccr_id) {
            Entry::Vacant(slot) => {
                slot.insert(value);
            }
            Entry::Occupied(slot) => {
                let naaccr_id = slot.key().clone();
                self.issue(
                    line,
                    tumor,
                    Some(naaccr_id),
                    IssueKind::DuplicateItem,
                    at_root,
                );
            }
        }
        Ok(())
    }

    /// Text content up to the Item's end tag; nested elements are skipped with an issue.
    fn read_text(
        &mut self,
        line: u64,
        tumor: Option<usize>,
        at_root: bool,
    ) -> Result<String, NaaccrReadError> {
        let mut text = String::new();
        loop {
            self.buf.clear();
            let event = match self.xml.read_event_into(&mut self.buf) {
                Ok(e) => e,
                Err(e) => return Err(self.xml_error(e)),
            };
            match event {
                Event::Text(t) => text.push_str(&t.xml10_content()),
                Event::CData(c) => text.push_str(&c.xml10_content()),
                Event::GeneralRef(r) => match resolve_reference(&r) {
                    Some(c) => text.push(c),
                    None => {
                        let message = format!("unknown entity reference '&{};'", &*r);
                        return Err(NaaccrReadError::Xml {
                            line: self.line(),
                            message,
                        });
                    }
                },
                Event::End(_) => return Ok(text),
                Event::Start(e) => {
                    let name = e.local_name().as_ref().to_string();
                    self.issue(
                        line,
                        tumor,
                        None,
                        IssueKind::UnexpectedElement { name },
                        at_root,
                    );
                    self.skip_element()?;
                }
                Event::Empty(e) => {
                    let name = e.local_name().as_ref().to_string();
                    self.issue(
                        line,
                        tumor,
                        None,
                        IssueKind::UnexpectedElement { name },
                        at_root,
                    );
                }
                Event::Eof => return Err(NaaccrReadError::UnexpectedEof { line: self.line() }),
                _ => {}
            }
        }
    }
}

/// Resolves `&lt;`-style predefined entities and character references.
fn resolve_reference(reference: &BytesRef<'_>) -> Option<char> {
    if reference.is_char_ref() {
        return reference.resolve_char_ref().ok().flatten();
    }
    match &**reference {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

impl<R: BufRead> Iterator for NaaccrXmlReader<R> {
    type Item = Result<NaaccrPatient, NaaccrReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_patient()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::naaccr::DataType;
    use crate::domain::naaccr::io::open_input;
    use crate::domain::naaccr::value::ValueError;
    use crate::domain::naaccr::xml_writer::{NaaccrXmlWriter, WriterOptions};
    use std::path::PathBuf;

    fn fixture(name: &str) -> PathBuf {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/naaccr")
            .join(name);
        assert!(path.is_file(), "fixture {} is missing", path.display());
        path
    }

    fn open(name: &str) -> NaaccrXmlReader<Box<dyn BufRead + Send>> {
        NaaccrXmlReader::new(open_input(&fixture(name)).unwrap()).unwrap()
    }

    fn read_all<R: BufRead>(reader: &mut NaaccrXmlReader<R>) -> Vec<NaaccrPatient> {
        reader.map(|p| p.unwrap()).collect()
    }

    fn get<'a>(items: &'a BTreeMap<String, String>, id: &str) -> Option<&'a str> {
        items.get(id).map(String::as_str)
    }

    #[test]
    fn reads_a_260_file_with_extensions_plain_and_gzipped() {
        for name in [
            "valid-260-incidence-extensions.xml",
            "valid-260-incidence-extensions.xml.gz",
        ] {
            let mut reader = open(name);
            let header = reader.header().clone();
            assert_eq!(header.version, NaaccrVersion::V260);
            assert_eq!(header.record_type, RecordType::I);
            assert_eq!(header.specification_version, "1.8");
            assert_eq!(
                header.time_generated.as_deref(),
                Some("2025-03-01T10:00:00.000-05:00")
            );
            assert_eq!(get(&header.items, "registryId"), Some("0000000001"));
            assert_eq!(get(&header.items, "naaccrRecordVersion"), Some("260"));
            let patients = read_all(&mut reader);
            assert!(reader.issues().is_empty(), "{:?}", reader.issues());
            assert_eq!(patients.len(), 3);
            assert_eq!(reader.patient_count(), 3);
            let first = &patients[0];
            assert_eq!(first.item("patientIdNumber"), Some("00000001"));
            assert_eq!(first.item("sexAssignedAtBirth"), Some("2"));
            assert_eq!(first.items.len(), 3);
            assert_eq!(first.tumors.len(), 2);
            let t1 = &first.tumors[0];
            assert_eq!(t1.item("primarySite"), Some("C504"));
            assert_eq!(t1.item("sequenceNumberCentral"), Some("01"));
            assert_eq!(t1.item("addrAtDxCity"), Some("St. Mary's & <North> A"));
            assert_eq!(t1.items.len(), 6);
            let t2 = &first.tumors[1];
            // The empty addrAtDxState is absent.
            assert_eq!(t2.items.len(), 2);
            assert_eq!(t2.item("dateOfDiagnosis"), Some("2023"));
            let second = &patients[1];
            assert_eq!(second.tumors[0].item("primarySite"), Some("C180"));
            assert_eq!(
                second.tumors[0].item("pathDateSpecCollect1"),
                Some("2024-05-06T10:11:12-04:00")
            );
            assert_eq!(patients[2], NaaccrPatient::default());
        }
    }

    #[test]
    fn reads_older_specifications_and_user_dictionaries() {
        let mut reader = open("valid-250-spec17.xml");
        assert_eq!(reader.header().version, NaaccrVersion::V250);
        assert_eq!(reader.header().record_type, RecordType::C);
        assert_eq!(reader.header().specification_version, "1.7");
        let patients = read_all(&mut reader);
        assert!(reader.issues().is_empty(), "{:?}", reader.issues());
        assert_eq!(patients[0].item("sex"), Some("1"));
        assert_eq!(patients[0].item("nameLast"), Some("TESTCASE"));
        assert_eq!(
            patients[0].tumors[0].item("dateOfDiagnosis"),
            Some("202311")
        );

        // 180 knows its default user dictionary; trim="none" keeps the spaces.
        let mut reader = open("valid-180-spec15-user-dictionary.xml");
        assert_eq!(reader.header().version, NaaccrVersion::V180);
        let patients = read_all(&mut reader);
        assert!(reader.issues().is_empty(), "{:?}", reader.issues());
        assert_eq!(
            patients[0].tumors[0].item("npcrSpecificField"),
            Some("  NPCR  ")
        );

        // 260 + the 210 user dictionary: unknown unless registered.
        let name = "valid-260-user-dictionary-210-spec16.xml";
        let mut reader = open(name);
        let patients = read_all(&mut reader);
        let kinds: Vec<_> = reader.issues().iter().map(|i| i.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                IssueKind::MissingUserDictionary {
                    uri: "http://naaccr.org/naaccrxml/user-defined-naaccr-dictionary-210.xml"
                        .into()
                },
                IssueKind::UnknownItem
            ]
        );
        assert!(patients[0].tumors[0].items.is_empty());

        let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/naaccr/user-defined-naaccr-dictionary-210.xml");
        let xml = std::fs::read_to_string(&shared)
            .unwrap_or_else(|e| panic!("{} is required: {e}", shared.display()));
        let user = UserDictionary::parse(&xml).unwrap();
        let input = open_input(&fixture(name)).unwrap();
        let mut reader = NaaccrXmlReader::with_user_dictionaries(input, vec![user]).unwrap();
        assert_eq!(reader.header().specification_version, "1.6");
        let patients = read_all(&mut reader);
        assert!(reader.issues().is_empty(), "{:?}", reader.issues());
        assert_eq!(
            patients[0].tumors[0].item("stateRequestorItems"),
            Some("ABC 123")
        );
    }

    #[test]
    fn item_problems_are_collected_with_line_patient_and_tumor() {
        let mut reader = open("invalid-items-260.xml");
        let patients = read_all(&mut reader);
        assert_eq!(patients.len(), 2, "the file is read to the end");
        let issues: Vec<String> = reader
            .take_issues()
            .iter()
            .map(ToString::to_string)
            .collect();
        let expected = [
            "line 3, file level: user dictionary http://example.org/state-dictionary.xml is not registered; its items are reported as unknown",
            "line 4, file level, item 'registryId': value is 11 characters long; the item allows at most 10",
            "line 5, file level, item 'recordType': value differs from the file's record type I",
            "line 8, patient 1, item 'primarySite': item belongs to the Tumor level but was found at the Patient level",
            "line 9, patient 1, item 'dateOfBirth': value is not valid for data type date: expected a real date CCYY, CCYYMM or CCYYMMDD with year 1800-2099",
            "line 11, patient 1, tumor 1, item 'stateCaseFlag': unknown item (not in the base or user dictionaries)",
            "line 12, patient 1, tumor 1, item 'primarySite': naaccrNum '401' does not correspond to this naaccrId (expected 400)",
            "line 13, patient 1, tumor 1, item 'primarySite': item appears more than once; the first value is kept",
            "line 14, patient 1, tumor 1, item 'sequenceNumberCentral': value is 1 characters long; a digits item must be exactly 2",
            "line 15, patient 1, tumor 1, item 'addrAtDxCity': value starts or ends with a space",
            "line 16, patient 1, tumor 1: Item element without a naaccrId attribute",
            "line 17, patient 1, tumor 1: unexpected element <Unexpected> skipped",
            "line 21, patient 2, item 'patientIdNumber': value is not valid for data type digits: expected digits 0-9 only",
        ];
        assert_eq!(issues, expected);
        assert!(reader.issues().is_empty());
        // Invalid values are kept for the registrar to fix; unknown and misplaced items are not.
        let p1 = &patients[0];
        assert_eq!(p1.item("dateOfBirth"), Some("19501399"));
        assert_eq!(p1.item("primarySite"), None);
        let t1 = &p1.tumors[0];
        assert_eq!(t1.item("primarySite"), Some("C50"));
        assert_eq!(t1.item("sequenceNumberCentral"), Some("1"));
        assert_eq!(t1.item("stateCaseFlag"), None);
        assert_eq!(t1.items.len(), 3);
        assert_eq!(get(&reader.header().items, "recordType"), Some("A"));
        let first = ItemIssue {
            line: Some(14),
            patient: Some(1),
            tumor: Some(1),
            naaccr_id: Some("sequenceNumberCentral".into()),
            kind: IssueKind::InvalidValue(ValueError::TooShort {
                length: 2,
                actual: 1,
                data_type: DataType::Digits,
            }),
        };
        assert_eq!(first.to_string(), issues[8]);
    }

    #[test]
    fn broken_xml_is_an_error_with_its_line_after_the_good_patients() {
        let mut reader = open("broken-260.xml");
        let first = reader.next_patient().unwrap().unwrap();
        assert_eq!(first.item("patientIdNumber"), Some("00000001"));
        let err = reader.next_patient().unwrap().unwrap_err();
        assert!(
            matches!(err, NaaccrReadError::Xml { line: 9, .. }),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with("the NAACCR XML is broken at line 9: "),
            "{err}"
        );
        assert!(reader.next_patient().is_none());

        let mut reader = open("truncated-260.xml");
        assert!(reader.next_patient().unwrap().is_ok());
        let err = reader.next_patient().unwrap().unwrap_err();
        assert!(
            matches!(err, NaaccrReadError::UnexpectedEof { .. }),
            "{err:?}"
        );
        assert!(reader.next_patient().is_none());
    }

    #[test]
    fn extension_after_the_last_patient_is_skipped() {
        let mut reader = open("extension-after-last-patient-260.xml");
        let patients = read_all(&mut reader);
        assert_eq!(patients.len(), 1);
        assert!(reader.issues().is_empty(), "{:?}", reader.issues());
    }

    #[test]
    fn unusable_roots_are_clear_errors() {
        let err =
            NaaccrXmlReader::new(open_input(&fixture("unsupported-version-240.xml")).unwrap())
                .err()
                .unwrap();
        assert!(
            err.to_string()
                .starts_with("NAACCR version 240 is recognised but not supported"),
            "{err}"
        );
        let cases = [
            (
                "<Other/>",
                "not a NAACCR XML data file: the root element is <Other>, expected <NaaccrData>",
            ),
            (
                "",
                "not a NAACCR XML data file: the root element is <(nothing)>, expected <NaaccrData>",
            ),
            (
                r#"<NaaccrData recordType="I" specificationVersion="1.8"/>"#,
                "the NaaccrData element has no 'baseDictionaryUri' attribute",
            ),
            (
                r#"<NaaccrData baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="X" specificationVersion="1.8"/>"#,
                "the NaaccrData attribute 'recordType' has unsupported value 'X'",
            ),
            (
                r#"<NaaccrData baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="I" specificationVersion="2.0"/>"#,
                "the NaaccrData attribute 'specificationVersion' has unsupported value '2.0'",
            ),
            ("<NaaccrData", "the NAACCR XML is broken at line 1: "),
        ];
        for (xml, message) in cases {
            let err = NaaccrXmlReader::new(xml.as_bytes()).err().unwrap();
            assert!(err.to_string().starts_with(message), "{xml}: {err}");
        }
        // A root without patients.
        let xml = r#"<NaaccrData baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-250.xml" recordType="M" specificationVersion="1.0"/>"#;
        let mut reader = NaaccrXmlReader::new(xml.as_bytes()).unwrap();
        assert_eq!(reader.header().record_type, RecordType::M);
        assert!(reader.next_patient().is_none());
    }

    #[test]
    fn garbage_input_never_panics() {
        let valid = std::fs::read(fixture("valid-260-incidence-extensions.xml")).unwrap();
        // Every truncation and a few byte flips: errors or issues, never a panic.
        for cut in (0..valid.len()).step_by(7) {
            let mut bytes = valid[..cut].to_vec();
            if cut % 3 == 0 && !bytes.is_empty() {
                let i = cut / 2;
                bytes[i] = b'<';
            }
            if let Ok(mut reader) = NaaccrXmlReader::new(bytes.as_slice()) {
                while let Some(p) = reader.next_patient() {
                    let _ = p;
                }
            }
        }
    }

    mod round_trip {
        use super::*;
        use crate::domain::naaccr::{Dictionary, ItemDef, NaaccrTumor};
        use proptest::prelude::*;

        fn value_for(def: &ItemDef) -> BoxedStrategy<String> {
            let n = def.length as usize;
            match def.data_type {
                DataType::Digits => proptest::string::string_regex(&format!("[0-9]{{{n}}}"))
                    .unwrap()
                    .boxed(),
                DataType::Alpha => proptest::string::string_regex(&format!("[A-Z]{{{n}}}"))
                    .unwrap()
                    .boxed(),
                DataType::Mixed => proptest::string::string_regex(&format!("[A-Z0-9]{{{n}}}"))
                    .unwrap()
                    .boxed(),
                DataType::Numeric => (1..=n.max(1))
                    .prop_flat_map(|len| {
                        proptest::string::string_regex(&format!("[0-9]{{{len}}}")).unwrap()
                    })
                    .boxed(),
                DataType::Date => (1900u32..2030, 1u32..=12, 1u32..=28, 0usize..3)
                    .prop_map(|(y, m, d, form)| match form {
                        0 => format!("{y}"),
                        1 => format!("{y}{m:02}"),
                        _ => format!("{y}{m:02}{d:02}"),
                    })
                    .boxed(),
                DataType::DateTime => (2000u32..2030, 1u32..=12, 1u32..=28, 0u32..24, 0u32..60)
                    .prop_map(|(y, mo, d, h, mi)| {
                        format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:00-05:00")
                    })
                    .boxed(),
                // Text: XML-special characters, accents, newlines; no surrounding spaces.
                DataType::Text => {
                    let max = n.min(30);
                    proptest::string::string_regex(&format!(
                        "[A-Za-z0-9&<>\"'é中][A-Za-z0-9 &<>\"'é中\n]{{0,{}}}",
                        max.saturating_sub(1)
                    ))
                    .unwrap()
                    .prop_map(|s| s.trim_end().to_string())
                    .boxed()
                }
            }
        }

        fn items_at(
            level: ItemLevel,
            max: usize,
        ) -> impl Strategy<Value = BTreeMap<String, String>> {
            let defs: Vec<&'static ItemDef> = Dictionary::base(NaaccrVersion::V260)
                .items()
                .filter(|i| i.level == level && i.record_types.contains(RecordType::A))
                .collect();
            proptest::sample::subsequence(defs, 0..max).prop_flat_map(|chosen| {
                let strategies: Vec<_> = chosen
                    .iter()
                    .map(|d| (Just(d.naaccr_id.clone()), value_for(d)))
                    .collect();
                strategies
                    .prop_map(|pairs| pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect())
            })
        }

        fn patient() -> impl Strategy<Value = NaaccrPatient> {
            (
                items_at(ItemLevel::Patient, 12),
                proptest::collection::vec(
                    items_at(ItemLevel::Tumor, 25).prop_map(|items| NaaccrTumor { items }),
                    0..4,
                ),
            )
                .prop_map(|(items, tumors)| NaaccrPatient { items, tumors })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

            #[test]
            fn write_then_read_gives_the_same_items(patients in proptest::collection::vec(patient(), 0..5), indent in any::<bool>()) {
                let mut options = WriterOptions::new(NaaccrVersion::V260, RecordType::A);
                options.indent = indent;
                let mut writer = NaaccrXmlWriter::new(Vec::new(), options, &[("registryId", "0000000001")]).unwrap();
                for p in &patients {
                    writer.write_patient(p).unwrap();
                }
                let bytes = writer.finish().unwrap();
                let mut reader = NaaccrXmlReader::new(bytes.as_slice()).unwrap();
                let read: Vec<NaaccrPatient> = reader.by_ref().map(|p| p.unwrap()).collect();
                prop_assert!(reader.issues().is_empty(), "{:?}", reader.issues());
                prop_assert_eq!(read, patients);
                prop_assert_eq!(get(&reader.header().items, "registryId"), Some("0000000001"));
            }
        }
    }
}
