//! Reading one NAACCR Volume V ORU^R01 message into a [`PathologyReport`].
//!
//! A small strict parser: every non-blank line must be a segment (three upper-case letters or
//! digits and the field separator), or the whole message is refused with the line named. Work is
//! linear in the message size (one pass to split, hash maps to group sections).

use std::collections::HashSet;

use serde::Serialize;

use super::batch::RawMessage;
use super::encoding::{Delimiters, TextEncoding, unescape};
use super::field_map::Item;
use super::observations::{note_section, read_observations};
use super::report::{
    Address, Facility, Name, OrderingFacility, PathologyReport, Patient, PatientIdentifier,
    ProcessingId, Provider,
};
use super::ssn::Ssn;

/// What kind of problem stopped a message from being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ParseErrorKind {
    /// Nothing but blank lines.
    Empty,
    /// The message does not start with MSH.
    MissingHeader,
    /// MSH-1/MSH-2 do not declare usable delimiters.
    BadDelimiters,
    /// A line that is not a segment (usually a line break inside a text field).
    NotASegment,
    /// A segment where the Volume V grammar does not allow it.
    SegmentOutOfPlace,
    /// A required segment (PID, OBR) is absent.
    MissingSegment,
    /// MSH-9 is not ORU^R01.
    WrongMessageType,
    /// A required field is empty.
    MissingField,
    /// A field holds a value that is not allowed.
    InvalidField,
}

/// Why a message could not be read, with the line and field to look at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("line {line}{}: {message}", .field.as_ref().map(|f| format!(" ({f})")).unwrap_or_default())]
pub struct ParseError {
    /// File line (1-based) where the problem is.
    pub line: usize,
    /// The field or segment involved, e.g. `PID-7` or `OBR`.
    pub field: Option<String>,
    /// The kind of problem.
    pub kind: ParseErrorKind,
    /// What is wrong and what to do, in a registrar's words.
    pub message: String,
}

impl ParseError {
    fn new(line: usize, field: Option<&str>, kind: ParseErrorKind, message: String) -> Self {
        ParseError {
            line,
            field: field.map(str::to_string),
            kind,
            message,
        }
    }
}

/// One segment of the message: its fields as sent (field `n` is `fields[n]`, MSH included).
#[derive(Debug)]
pub(super) struct Segment<'a> {
    pub(super) id: &'a str,
    pub(super) line: usize,
    fields: Vec<&'a str>,
}

impl<'a> Segment<'a> {
    pub(super) fn field(&self, n: usize) -> &'a str {
        self.fields.get(n).copied().unwrap_or("")
    }
}

/// A short, printable excerpt of a line for error messages.
fn excerpt(line: &str) -> String {
    let mut text: String = line
        .chars()
        .take(60)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.chars().nth(60).is_some() {
        text.push('…');
    }
    text
}

fn is_segment_header(line: &str, separator: char) -> bool {
    let bytes = line.as_bytes();
    matches!(bytes.first(), Some(b'A'..=b'Z'))
        && bytes.get(1..3).is_some_and(|b| {
            b.iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
        && line
            .get(3..)
            .is_some_and(|rest| rest.starts_with(separator))
}

/// Splits the message into segments, checking every line.
fn read_segments(raw: &RawMessage) -> Result<(Delimiters, Vec<Segment<'_>>), ParseError> {
    let mut lines = raw.lines().filter(|(_, line)| !line.trim().is_empty());
    let Some((msh_line, msh)) = lines.next() else {
        return Err(ParseError::new(
            raw.start_line,
            None,
            ParseErrorKind::Empty,
            "the message is empty".to_string(),
        ));
    };
    let separator = msh.get(3..).and_then(|rest| rest.chars().next());
    let separator = match separator {
        Some(c) if msh.starts_with("MSH") && c.is_ascii_punctuation() => c,
        _ => {
            return Err(ParseError::new(
                msh_line,
                Some("MSH"),
                ParseErrorKind::MissingHeader,
                format!(
                    "the message does not start with an MSH header segment (it starts with '{}'); \
                     this is not an HL7 message or its first lines are missing",
                    excerpt(msh)
                ),
            ));
        }
    };
    let after_separator = msh.get(4..).unwrap_or("");
    let encoding = after_separator.split(separator).next().unwrap_or("");
    let delimiters = Delimiters::from_msh(separator, encoding).map_err(|reason| {
        ParseError::new(
            msh_line,
            Some("MSH-2"),
            ParseErrorKind::BadDelimiters,
            reason,
        )
    })?;
    // MSH-1 is the separator itself, so MSH field n lands at index n like every other segment.
    let mut msh_fields = vec!["MSH", msh.get(3..4).unwrap_or("|")];
    msh_fields.extend(after_separator.split(separator));
    let mut segments = vec![Segment {
        id: "MSH",
        line: msh_line,
        fields: msh_fields,
    }];
    for (line_number, line) in lines {
        if !is_segment_header(line, separator) {
            return Err(ParseError::new(
                line_number,
                None,
                ParseErrorKind::NotASegment,
                format!(
                    "line {line_number} is not an HL7 segment: '{}' does not start with a three-character \
                     segment name followed by '{separator}'. Usually a line break was inserted inside a \
                     report text; the message was not imported, so nothing after this line is lost. \
                     Repair the line in the file or ask the lab to resend the message",
                    excerpt(line)
                ),
            ));
        }
        let fields: Vec<&str> = line.split(separator).collect();
        let id = fields.first().copied().unwrap_or("");
        if id == "MSH" {
            return Err(ParseError::new(
                line_number,
                Some("MSH"),
                ParseErrorKind::SegmentOutOfPlace,
                format!(
                    "a second MSH header on line {line_number}: the text holds more than one message; \
                     split it into messages first"
                ),
            ));
        }
        segments.push(Segment {
            id,
            line: line_number,
            fields,
        });
    }
    Ok((delimiters, segments))
}

/// Segments of the ORU^R01 grammar that Registrar does not read.
const KNOWN_UNUSED_SEGMENTS: &[&str] = &[
    "SFT", "PD1", "NK1", "PV1", "PV2", "TQ1", "TQ2", "CTD", "CTI", "FT1", "DSC",
];

/// One OBR with the segments that belong to it (indexes into the segment list).
#[derive(Debug, Default)]
pub(super) struct OrderGroup {
    orc: Option<usize>,
    obr: usize,
    pub(super) obx: Vec<usize>,
    notes: Vec<usize>,
    specimens: Vec<usize>,
}

/// Field access with the message's delimiters, collecting warnings.
pub(super) struct Reader {
    pub(super) d: Delimiters,
    warnings: Vec<(usize, String)>,
}

impl Reader {
    pub(super) fn warn(&mut self, line: usize, field: &str, text: impl AsRef<str>) {
        self.warnings
            .push((line, format!("line {line} ({field}): {}", text.as_ref())));
    }

    pub(super) fn reps<'a>(&self, raw: &'a str) -> impl Iterator<Item = &'a str> + use<'a> {
        let sep = self.d.repetition;
        let mut parts = raw.split(sep);
        if raw.is_empty() {
            parts.next();
        }
        parts
    }

    pub(super) fn first_rep<'a>(&self, raw: &'a str) -> &'a str {
        raw.split(self.d.repetition).next().unwrap_or("")
    }

    pub(super) fn comp<'a>(&self, rep: &'a str, n: usize) -> &'a str {
        if n == 0 {
            return rep;
        }
        rep.split(self.d.component).nth(n - 1).unwrap_or("")
    }

    pub(super) fn sub<'a>(&self, comp: &'a str, n: usize) -> &'a str {
        comp.split(self.d.subcomponent)
            .nth(n.saturating_sub(1))
            .unwrap_or("")
    }

    /// A decoded, trimmed value; the HL7 explicit null `""` reads as empty.
    pub(super) fn value(&self, raw: &str) -> String {
        let trimmed = raw.trim();
        if trimmed == "\"\"" {
            return String::new();
        }
        unescape(trimmed, &self.d).trim().to_string()
    }

    /// The value of a single-component item (first repetition, first subcomponent).
    pub(super) fn get(&self, seg: &Segment<'_>, item: Item) -> String {
        let at = item.position();
        let rep = self.first_rep(seg.field(at.field));
        self.value(self.sub(self.comp(rep, at.component), 1))
    }

    /// Component `item` of one repetition (first subcomponent).
    pub(super) fn rep_get(&self, rep: &str, item: Item) -> String {
        self.value(self.sub(self.comp(rep, item.position().component), 1))
    }

    /// Component `n` of one repetition, whole (subcomponents decoded as text).
    pub(super) fn comp_value(&self, rep: &str, n: usize) -> String {
        self.value(self.sub(self.comp(rep, n), 1))
    }
}

pub(super) fn non_empty(text: String) -> Option<String> {
    if text.is_empty() { None } else { Some(text) }
}

/// Leading digits of an HL7 date/time as a NAACCR date (CCYYMMDD, CCYYMM or CCYY).
///
/// Returns the date and whether it had to be shortened because the full form was not a real date.
fn naaccr_date(raw: &str) -> Option<(String, bool)> {
    let digits: String = raw
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .take(8)
        .collect();
    let num = |range: std::ops::Range<usize>| digits.get(range).and_then(|s| s.parse::<u32>().ok());
    let year = num(0..4)?;
    if !(1850..=2999).contains(&year) {
        return None;
    }
    let month = num(4..6);
    let day = num(6..8);
    let year_text = digits.get(0..4)?.to_string();
    match (month, day) {
        (Some(m), Some(d)) => {
            let full_ok = i32::try_from(year)
                .ok()
                .and_then(|y| chrono::NaiveDate::from_ymd_opt(y, m, d))
                .is_some();
            if full_ok {
                Some((digits, false))
            } else if (1..=12).contains(&m) {
                Some((digits.get(0..6)?.to_string(), true))
            } else {
                Some((year_text, true))
            }
        }
        (Some(m), None) if digits.len() == 6 => {
            if (1..=12).contains(&m) {
                Some((digits, false))
            } else {
                Some((year_text, true))
            }
        }
        _ => Some((year_text, digits.len() != 4)),
    }
}

fn digits_only(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// A CLIA number: 10 characters, two digits, `D`, seven digits.
fn looks_like_clia(id: &str) -> bool {
    let bytes = id.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            2 => *b == b'D' || *b == b'd',
            _ => b.is_ascii_digit(),
        })
}

/// NAACCR sex code for an HL7 administrative sex code (HL7 table 0001).
///
/// M → 1, F → 2, O (other) and A (ambiguous) → 3, U (unknown), N (not applicable) and a missing
/// value → 9. PID-8 is administrative sex; NAACCR v26 collects sex assigned at birth (#225), so
/// a registrar confirms the value.
pub fn naaccr_sex(hl7_code: &str) -> Option<&'static str> {
    match hl7_code {
        "M" => Some("1"),
        "F" => Some("2"),
        "O" | "A" => Some("3"),
        "U" | "N" | "" => Some("9"),
        _ => None,
    }
}

/// The decoded value of `item` in every segment of its kind, in message order (first
/// repetition; the whole first repetition when the item's component is 0).
///
/// Shows a registrar where a value came from, and lets tests check the field map on real shapes.
pub fn item_values(raw: &RawMessage, item: Item) -> Result<Vec<String>, ParseError> {
    let (d, segments) = read_segments(raw)?;
    let r = Reader {
        d,
        warnings: Vec::new(),
    };
    let at = item.position();
    Ok(segments
        .iter()
        .filter(|seg| seg.id == at.segment)
        .map(|seg| {
            let rep = r.first_rep(seg.field(at.field));
            if at.component == 0 {
                unescape(rep, &r.d)
            } else {
                r.get(seg, item)
            }
        })
        .collect())
}

/// HL7 table 0123 result status codes.
const RESULT_STATUS_CODES: &[&str] = &["O", "I", "S", "A", "P", "C", "R", "F", "X", "Y", "Z"];

/// Parses one message into a report, or says which line and field stop it.
pub fn parse_message(raw: &RawMessage) -> Result<PathologyReport, ParseError> {
    let (d, segments) = read_segments(raw)?;
    let mut r = Reader {
        d,
        warnings: Vec::new(),
    };
    let Some(msh) = segments.first() else {
        return Err(ParseError::new(
            raw.start_line,
            None,
            ParseErrorKind::Empty,
            "the message is empty".to_string(),
        ));
    };
    if raw.encoding == TextEncoding::Windows1252 {
        r.warn(
            msh.line,
            "MSH-18",
            "the message is not valid UTF-8 and was read as Windows-1252 (Latin-1): check accented letters in names",
        );
    }

    // Message type and processing ID decide whether this is a report at all.
    let code = r.get(msh, Item::MessageCode);
    let event = r.get(msh, Item::TriggerEvent);
    if code != "ORU" || event != "R01" {
        let sent = r.value(r.first_rep(msh.field(9)));
        return Err(ParseError::new(
            msh.line,
            Some("MSH-9"),
            ParseErrorKind::WrongMessageType,
            format!("the message type is '{sent}', but a pathology report must be ORU^R01"),
        ));
    }
    let processing_code = r.get(msh, Item::ProcessingId).to_ascii_uppercase();
    let Some(processing_id) = ProcessingId::from_code(&processing_code) else {
        return Err(ParseError::new(
            msh.line,
            Some("MSH-11"),
            ParseErrorKind::InvalidField,
            format!(
                "the processing ID is '{processing_code}'; it must be P (production), T (test) or D (debug)"
            ),
        ));
    };

    if !segments.iter().any(|seg| seg.id == "PID") {
        return Err(ParseError::new(
            msh.line,
            Some("PID"),
            ParseErrorKind::MissingSegment,
            "the message has no patient identification (PID) segment".to_string(),
        ));
    }

    // Grammar: MSH [SFT] PID [NK1] [PV1] { [ORC] OBR [NTE] { OBX [NTE] } [{ SPM {OBX} }] }
    let mut pid: Option<usize> = None;
    let mut pending_orc: Option<usize> = None;
    let mut groups: Vec<OrderGroup> = Vec::new();
    let mut loose_notes: Vec<usize> = Vec::new();
    for (i, seg) in segments.iter().enumerate().skip(1) {
        let needs_patient = |what: &str| {
            ParseError::new(
                seg.line,
                Some(seg.id),
                ParseErrorKind::SegmentOutOfPlace,
                format!(
                    "{what} on line {} comes before the patient (PID) segment",
                    seg.line
                ),
            )
        };
        match seg.id {
            "PID" => {
                if let Some(first) = pid.and_then(|p| segments.get(p)) {
                    return Err(ParseError::new(
                        seg.line,
                        Some("PID"),
                        ParseErrorKind::SegmentOutOfPlace,
                        format!(
                            "a second patient (PID) on line {}, after the one on line {}: Registrar reads one \
                             patient per message; ask the lab to send one patient per message",
                            seg.line, first.line
                        ),
                    ));
                }
                pid = Some(i);
            }
            "ORC" => {
                if pid.is_none() {
                    return Err(needs_patient("the order (ORC)"));
                }
                pending_orc = Some(i);
            }
            "OBR" => {
                if pid.is_none() {
                    return Err(needs_patient("the report header (OBR)"));
                }
                groups.push(OrderGroup {
                    orc: pending_orc.take(),
                    obr: i,
                    ..OrderGroup::default()
                });
            }
            "OBX" => match groups.last_mut() {
                Some(group) => group.obx.push(i),
                None => {
                    return Err(ParseError::new(
                        seg.line,
                        Some("OBX"),
                        ParseErrorKind::SegmentOutOfPlace,
                        format!(
                            "report text (OBX) on line {} comes before any report header (OBR)",
                            seg.line
                        ),
                    ));
                }
            },
            "NTE" => match groups.last_mut() {
                Some(group) => group.notes.push(i),
                None => loose_notes.push(i),
            },
            "SPM" => match groups.last_mut() {
                Some(group) => group.specimens.push(i),
                None => r.warn(
                    seg.line,
                    "SPM",
                    "specimen before any report header (OBR); ignored",
                ),
            },
            id if KNOWN_UNUSED_SEGMENTS.contains(&id) => {}
            id if id.starts_with('Z') => {
                r.warn(seg.line, id, "local Z-segment; ignored");
            }
            id => r.warn(
                seg.line,
                id,
                format!("segment {id} is not part of a Volume V report; ignored"),
            ),
        }
    }
    let Some(pid) = pid.and_then(|p| segments.get(p)) else {
        return Err(ParseError::new(
            msh.line,
            Some("PID"),
            ParseErrorKind::MissingSegment,
            "the message has no patient identification (PID) segment".to_string(),
        ));
    };
    if groups.is_empty() {
        return Err(ParseError::new(
            pid.line,
            Some("OBR"),
            ParseErrorKind::MissingSegment,
            "the message has no report header (OBR) segment, so it holds no pathology report"
                .to_string(),
        ));
    }

    let patient = read_patient(&mut r, pid)?;
    let header = read_header(&mut r, msh);
    let order = read_order(&mut r, &segments, &groups)?;

    let lab_clia = lab_clia(&mut r, msh, &header.sending_facility, &order)?;

    let mut sections = Vec::new();
    let mut synoptic = Vec::new();
    if !loose_notes.is_empty() {
        sections.push(note_section(&r, &segments, &loose_notes));
    }
    for group in &groups {
        read_observations(&mut r, &segments, group, &mut sections, &mut synoptic);
        if !group.notes.is_empty() {
            sections.push(note_section(&r, &segments, &group.notes));
        }
    }

    if let (Some(collected), true) = (&order.collected, patient.birth_date.len() == 8)
        && collected.len() == 8
        && collected.as_str() < patient.birth_date.as_str()
    {
        r.warn(
            pid.line,
            "PID-7",
            "the date of birth is after the specimen collection date",
        );
    }

    Ok(PathologyReport {
        processing_id,
        message_control_id: header.control_id,
        message_datetime: header.datetime,
        hl7_version: header.version,
        message_profile: header.profile,
        sending_application: header.sending_application,
        sending_facility: header.sending_facility,
        receiving_application: header.receiving_application,
        receiving_facility: header.receiving_facility,
        lab_clia,
        patient,
        ordering_facility: order.ordering_facility,
        ordering_provider: order.ordering_provider,
        pathologist: order.pathologist,
        accession: order.accession,
        report_types: order.report_types,
        specimen_collection_date: order.collected,
        report_date: order.report_date,
        report_status: order.status,
        icd10_codes: order.icd10_codes,
        sections,
        synoptic,
        warnings: {
            // By line, so a registrar reads them top to bottom with the message.
            let mut warnings = r.warnings;
            warnings.sort_by_key(|(line, _)| *line);
            warnings.into_iter().map(|(_, text)| text).collect()
        },
        text_encoding: raw.encoding,
        start_line: raw.start_line,
    })
}

struct Header {
    control_id: String,
    datetime: Option<String>,
    version: String,
    profile: Option<String>,
    sending_application: String,
    sending_facility: Facility,
    receiving_application: String,
    receiving_facility: String,
}

fn read_header(r: &mut Reader, msh: &Segment<'_>) -> Header {
    let control_id = r.get(msh, Item::MessageControlId);
    if control_id.is_empty() {
        r.warn(
            msh.line,
            "MSH-10",
            "no message control ID; an acknowledgment cannot refer to it",
        );
    }
    let datetime = non_empty(r.get(msh, Item::MessageDateTime));
    if let Some(sent) = &datetime
        && naaccr_date(sent).is_none()
    {
        r.warn(
            msh.line,
            "MSH-7",
            format!("'{sent}' is not an HL7 date/time"),
        );
    }
    let version = r.get(msh, Item::Version);
    if !version.starts_with("2.") {
        r.warn(
            msh.line,
            "MSH-12",
            format!("HL7 version '{version}' is not a version 2 message (2.5.1 expected)"),
        );
    }
    let profile = non_empty(r.get(msh, Item::MessageProfile));
    if let Some(p) = &profile
        && !p.starts_with("VOL_V_")
    {
        r.warn(
            msh.line,
            "MSH-21",
            format!("message profile '{p}' is not a NAACCR Volume V profile (VOL_V_...)"),
        );
    }
    let facility_rep = r.first_rep(msh.field(Item::LabName.position().field));
    let sending_facility = Facility {
        name: r.rep_get(facility_rep, Item::LabName),
        id: non_empty(r.rep_get(facility_rep, Item::LabId)),
        id_type: non_empty(r.rep_get(facility_rep, Item::LabIdType)),
    };
    Header {
        control_id,
        datetime,
        version,
        profile,
        sending_application: r.get(msh, Item::SendingApplication),
        sending_facility,
        receiving_application: r.get(msh, Item::ReceivingApplication),
        receiving_facility: r.get(msh, Item::ReceivingFacility),
    }
}

fn name_from_xpn(r: &Reader, rep: &str) -> Name {
    Name {
        last: r.rep_get(rep, Item::NameLast),
        first: r.rep_get(rep, Item::NameFirst),
        middle: r.rep_get(rep, Item::NameMiddle),
        suffix: r.rep_get(rep, Item::NameSuffix),
        name_type: r.rep_get(rep, Item::NameType).to_ascii_uppercase(),
    }
}

fn address_from_xad(r: &Reader, rep: &str) -> Option<Address> {
    let address = Address {
        street: r.rep_get(rep, Item::AddressStreet),
        supplemental: r.rep_get(rep, Item::AddressSupplemental),
        city: r.rep_get(rep, Item::AddressCity),
        state: r.rep_get(rep, Item::AddressState),
        zip: r.rep_get(rep, Item::AddressZip),
        country: r.rep_get(rep, Item::AddressCountry),
    };
    (address != Address::default()).then_some(address)
}

/// Phone digits from an XTN: area code + local number, or the digits of the legacy text.
fn phone_from_xtn(r: &Reader, rep: &str) -> Option<String> {
    let local = digits_only(&r.comp_value(rep, 7));
    let number = if local.is_empty() {
        let legacy = digits_only(&r.comp_value(rep, 1));
        match legacy.strip_prefix('1') {
            Some(rest) if legacy.len() == 11 => rest.to_string(),
            _ => legacy,
        }
    } else {
        digits_only(&r.comp_value(rep, 6)) + &local
    };
    non_empty(number)
}

fn read_patient(r: &mut Reader, pid: &Segment<'_>) -> Result<Patient, ParseError> {
    let line = pid.line;
    let mut patient = Patient::default();

    let names: Vec<Name> = r
        .reps(pid.field(Item::NameLast.position().field))
        .map(|rep| name_from_xpn(r, rep))
        .collect();
    let legal = names.iter().position(|n| n.name_type == "L").unwrap_or(0);
    let mut aliases = Vec::new();
    for (k, name) in names.into_iter().enumerate() {
        if k == legal {
            patient.name_last = name.last;
            patient.name_first = name.first;
            patient.name_middle = name.middle;
            patient.name_suffix = name.suffix;
        } else if !name.last.is_empty() || !name.first.is_empty() {
            aliases.push(name);
        }
    }
    for rep in r.reps(pid.field(Item::Alias.position().field)) {
        let name = name_from_xpn(r, rep);
        if !name.last.is_empty() || !name.first.is_empty() {
            aliases.push(name);
        }
    }
    patient.aliases = aliases;
    if patient.name_last.is_empty() {
        return Err(ParseError::new(
            line,
            Some("PID-5"),
            ParseErrorKind::MissingField,
            "the patient's last name is empty".to_string(),
        ));
    }

    let birth = r.get(pid, Item::BirthDate);
    if birth.is_empty() {
        r.warn(line, "PID-7", "no date of birth");
    } else {
        match naaccr_date(&birth) {
            Some((date, false)) => patient.birth_date = date,
            Some((date, true)) => {
                r.warn(
                    line,
                    "PID-7",
                    format!(
                        "date of birth '{birth}' is not a complete calendar date; kept '{date}'"
                    ),
                );
                patient.birth_date = date;
            }
            None => r.warn(
                line,
                "PID-7",
                format!("date of birth '{birth}' is not a date (CCYYMMDD); left empty"),
            ),
        }
    }

    let sex = r.get(pid, Item::Sex).to_ascii_uppercase();
    patient.sex_naaccr = match naaccr_sex(&sex) {
        Some(code) => Some(code.to_string()),
        None => {
            r.warn(
                line,
                "PID-8",
                format!("sex code '{sex}' is not in HL7 table 0001; NAACCR sex set to 9 (unknown)"),
            );
            Some("9".to_string())
        }
    };
    patient.sex = non_empty(sex);

    // PID-3: identifiers; SSNs (type SS or authority USSSA) are validated, never listed.
    let mut ssn_candidates: Vec<(&str, String)> = Vec::new();
    for rep in r.reps(pid.field(Item::PatientId.position().field)) {
        let id = r.rep_get(rep, Item::PatientId);
        if id.is_empty() {
            continue;
        }
        let authority = r.comp(rep, Item::PatientIdAuthority.position().component);
        let identifier = PatientIdentifier {
            id,
            id_type: r.rep_get(rep, Item::PatientIdType).to_ascii_uppercase(),
            assigning_authority: r.value(r.sub(authority, 1)),
            assigning_authority_id: r.value(r.sub(authority, 2)),
        };
        if identifier.id_type == "SS"
            || identifier.assigning_authority.eq_ignore_ascii_case("USSSA")
        {
            ssn_candidates.push(("PID-3", identifier.id));
        } else {
            patient.identifiers.push(identifier);
        }
    }
    patient.mrn = match patient.identifiers.iter().find(|i| i.id_type == "MR") {
        Some(mrn) => Some(mrn.clone()),
        None => {
            let first = patient.identifiers.first().cloned();
            match &first {
                Some(id) => r.warn(
                    line,
                    "PID-3",
                    format!(
                        "no identifier of type MR; the first identifier (type '{}') is used as the medical record number",
                        id.id_type
                    ),
                ),
                None => r.warn(line, "PID-3", "no medical record number"),
            }
            first
        }
    };
    let legacy_ssn = r.get(pid, Item::SsnLegacy);
    if !legacy_ssn.is_empty() {
        ssn_candidates.push(("PID-19", legacy_ssn));
    }
    let mut valid: Vec<(&str, Ssn)> = Vec::new();
    let mut issues: Vec<String> = Vec::new();
    for (field, text) in &ssn_candidates {
        match Ssn::parse(text) {
            Ok(ssn) => valid.push((field, ssn)),
            Err(issue) => issues.push(format!("{field}: {issue}")),
        }
    }
    if let [(first_field, first), rest @ ..] = valid.as_slice() {
        if let Some((other_field, _)) = rest.iter().find(|(_, other)| other != first) {
            r.warn(
                line,
                first_field,
                format!(
                    "{first_field} and {other_field} carry different SSNs; {first_field} was kept"
                ),
            );
        }
        patient.ssn = Some(first.as_str().to_string());
    } else {
        patient.ssn_issue = issues.into_iter().next();
    }

    let address_rep = r.first_rep(pid.field(Item::AddressStreet.position().field));
    patient.address = address_from_xad(r, address_rep);
    let phone_rep = r.first_rep(pid.field(Item::Phone.position().field));
    patient.phone = phone_from_xtn(r, phone_rep);
    patient.race = r
        .reps(pid.field(Item::Race.position().field))
        .map(|rep| r.rep_get(rep, Item::Race))
        .filter(|code| !code.is_empty())
        .collect();
    patient.ethnicity = r
        .reps(pid.field(Item::Ethnicity.position().field))
        .map(|rep| r.rep_get(rep, Item::Ethnicity))
        .filter(|code| !code.is_empty())
        .collect();
    Ok(patient)
}

struct Order {
    accession: String,
    accession_clia: Option<String>,
    report_types: Vec<String>,
    collected: Option<String>,
    report_date: Option<String>,
    status: String,
    icd10_codes: Vec<String>,
    ordering_facility: Option<OrderingFacility>,
    ordering_provider: Option<Provider>,
    pathologist: Option<Provider>,
}

/// NPI when the identifier is one: ten digits, typed NPI or sent without a type.
fn npi_of(id: &Option<String>, id_type: &Option<String>) -> Option<String> {
    let id = id.as_ref()?;
    let ten_digits = id.len() == 10 && id.chars().all(|c| c.is_ascii_digit());
    match id_type.as_deref() {
        Some(t) if t.eq_ignore_ascii_case("NPI") && ten_digits => Some(id.clone()),
        None if ten_digits => Some(id.clone()),
        _ => None,
    }
}

fn provider_from_xcn(r: &Reader, rep: &str) -> Option<Provider> {
    let id = non_empty(r.rep_get(rep, Item::OrderingProviderId));
    let id_type = non_empty(r.rep_get(rep, Item::OrderingProviderIdType))
        .or_else(|| non_empty(r.rep_get(rep, Item::OrderingProviderAuthority)));
    let provider = Provider {
        npi: npi_of(&id, &id_type),
        id,
        id_type,
        name: Name {
            last: r.rep_get(rep, Item::OrderingProviderLast),
            first: r.rep_get(rep, Item::OrderingProviderFirst),
            middle: r.rep_get(rep, Item::OrderingProviderMiddle),
            ..Name::default()
        },
    };
    (provider.id.is_some() || !provider.name.last.is_empty()).then_some(provider)
}

/// OBR-32 (NDL): the pathologist is in the subcomponents of component 1.
fn pathologist_from_ndl(r: &Reader, obr: &Segment<'_>) -> Option<Provider> {
    let at = Item::Pathologist.position();
    let cnn = r.comp(r.first_rep(obr.field(at.field)), at.component);
    let part = |n: usize| r.value(r.sub(cnn, n));
    let id = non_empty(part(1));
    let id_type = non_empty(part(9)).or_else(|| non_empty(part(11)));
    let provider = Provider {
        npi: npi_of(&id, &id_type),
        id,
        id_type,
        name: Name {
            last: part(2),
            first: part(3),
            middle: part(4),
            suffix: part(5),
            name_type: String::new(),
        },
    };
    (provider.id.is_some() || !provider.name.last.is_empty()).then_some(provider)
}

fn read_ordering_facility(r: &Reader, orc: &Segment<'_>) -> Option<OrderingFacility> {
    let rep = r.first_rep(orc.field(Item::OrderingFacilityName.position().field));
    let id = non_empty(r.rep_get(rep, Item::OrderingFacilityId))
        .or_else(|| non_empty(r.rep_get(rep, Item::OrderingFacilityLegacyId)));
    let id_type = non_empty(r.rep_get(rep, Item::OrderingFacilityIdTypeCode))
        .or_else(|| non_empty(r.rep_get(rep, Item::OrderingFacilityIdType)));
    let facility = OrderingFacility {
        name: r.rep_get(rep, Item::OrderingFacilityName),
        id,
        id_type,
        address: address_from_xad(
            r,
            r.first_rep(orc.field(Item::OrderingFacilityAddress.position().field)),
        ),
        phone: phone_from_xtn(
            r,
            r.first_rep(orc.field(Item::OrderingFacilityPhone.position().field)),
        ),
    };
    (!facility.name.is_empty() || facility.id.is_some()).then_some(facility)
}

fn read_order(
    r: &mut Reader,
    segments: &[Segment<'_>],
    groups: &[OrderGroup],
) -> Result<Order, ParseError> {
    let seg = |i: usize| segments.get(i);
    let Some(first) = groups.first() else {
        return Err(ParseError::new(
            0,
            Some("OBR"),
            ParseErrorKind::MissingSegment,
            "the message has no report header (OBR) segment".to_string(),
        ));
    };
    let Some(obr) = seg(first.obr) else {
        return Err(ParseError::new(
            0,
            Some("OBR"),
            ParseErrorKind::MissingSegment,
            "the message has no report header (OBR) segment".to_string(),
        ));
    };
    let first_orc = first.orc.and_then(seg);
    let any_orc = groups.iter().find_map(|g| g.orc.and_then(seg));

    let mut accession = r.get(obr, Item::Accession);
    if accession.is_empty() {
        let from_orc = first_orc
            .map(|orc| r.get(orc, Item::OrcAccession))
            .unwrap_or_default();
        if from_orc.is_empty() {
            return Err(ParseError::new(
                obr.line,
                Some("OBR-3"),
                ParseErrorKind::MissingField,
                "the accession number (filler order number, OBR-3) is empty, so the report cannot be identified"
                    .to_string(),
            ));
        }
        r.warn(
            obr.line,
            "OBR-3",
            "accession number is empty; ORC-3 was used",
        );
        accession = from_orc;
    }
    let accession_rep = r.first_rep(obr.field(Item::Accession.position().field));
    let accession_lab = r.rep_get(accession_rep, Item::AccessionLabId);
    let accession_lab_type = r.rep_get(accession_rep, Item::AccessionLabIdType);
    let accession_clia = (accession_lab_type.eq_ignore_ascii_case("CLIA")
        || looks_like_clia(&accession_lab))
    .then_some(accession_lab)
    .filter(|id| !id.is_empty());

    let status = r.get(obr, Item::ReportStatus).to_ascii_uppercase();
    if status.is_empty() {
        r.warn(
            obr.line,
            "OBR-25",
            "no result status (F final, P preliminary, C corrected)",
        );
    } else if !RESULT_STATUS_CODES.contains(&status.as_str()) {
        r.warn(
            obr.line,
            "OBR-25",
            format!("result status '{status}' is not in HL7 table 0123"),
        );
    }

    let mut report_types = Vec::new();
    let mut icd10_codes: Vec<String> = Vec::new();
    // A set keeps the de-duplication linear even for a hostile number of repetitions.
    let mut icd10_seen: HashSet<String> = HashSet::new();
    for group in groups {
        let Some(other) = seg(group.obr) else {
            continue;
        };
        let report_type = r.get(other, Item::ReportType);
        if !report_type.is_empty() {
            report_types.push(report_type);
        }
        for rep in r.reps(other.field(Item::Icd10.position().field)) {
            let code = r.rep_get(rep, Item::Icd10);
            if !code.is_empty() && icd10_seen.insert(code.clone()) {
                icd10_codes.push(code);
            }
        }
        if group.obr != first.obr {
            let other_accession = r.get(other, Item::Accession);
            if !other_accession.is_empty() && other_accession != accession {
                r.warn(
                    other.line,
                    "OBR-3",
                    format!(
                        "this report header has accession '{other_accession}', not '{accession}'; \
                         the report is filed under '{accession}'"
                    ),
                );
            }
            let other_status = r.get(other, Item::ReportStatus).to_ascii_uppercase();
            if !other_status.is_empty() && other_status != status {
                r.warn(
                    other.line,
                    "OBR-25",
                    format!("result status '{other_status}' differs from the first report header's '{status}'"),
                );
            }
        }
    }

    let mut collected = None;
    let collected_raw = r.get(obr, Item::SpecimenCollected);
    let spm_raw = groups
        .iter()
        .flat_map(|g| g.specimens.iter())
        .filter_map(|&i| seg(i))
        .map(|spm| (spm.line, r.get(spm, Item::SpecimenCollectedSpm)))
        .find(|(_, v)| !v.is_empty());
    let (source_line, source_field, raw_date) = if !collected_raw.is_empty() {
        (obr.line, "OBR-7", collected_raw)
    } else if let Some((line, value)) = spm_raw {
        (line, "SPM-17", value)
    } else {
        (obr.line, "OBR-7", String::new())
    };
    if raw_date.is_empty() {
        r.warn(
            obr.line,
            "OBR-7",
            "no specimen collection date (OBR-7 or SPM-17)",
        );
    } else {
        match naaccr_date(&raw_date) {
            Some((date, shortened)) => {
                if shortened {
                    r.warn(
                        source_line,
                        source_field,
                        format!("collection date '{raw_date}' is not a complete calendar date; kept '{date}'"),
                    );
                }
                collected = Some(date);
            }
            None => r.warn(
                source_line,
                source_field,
                format!("collection date '{raw_date}' is not a date"),
            ),
        }
    }
    let report_date_raw = r.get(obr, Item::ReportDate);
    let report_date = naaccr_date(&report_date_raw).map(|(date, _)| date);
    if report_date.is_none() && !report_date_raw.is_empty() {
        r.warn(
            obr.line,
            "OBR-22",
            format!("report date '{report_date_raw}' is not a date"),
        );
    }

    let ordering_provider = {
        let obr_rep = r.first_rep(obr.field(Item::OrderingProviderId.position().field));
        provider_from_xcn(r, obr_rep).or_else(|| {
            any_orc.and_then(|orc| {
                provider_from_xcn(
                    r,
                    r.first_rep(orc.field(Item::OrcOrderingProvider.position().field)),
                )
            })
        })
    };

    Ok(Order {
        accession,
        accession_clia,
        report_types,
        collected,
        report_date,
        status,
        icd10_codes,
        ordering_facility: any_orc.and_then(|orc| read_ordering_facility(r, orc)),
        ordering_provider,
        pathologist: groups
            .iter()
            .filter_map(|g| seg(g.obr))
            .find_map(|obr| pathologist_from_ndl(r, obr)),
    })
}

/// The lab's CLIA: MSH-4 when it carries one, else OBR-3's; refuses a report with no lab at all.
fn lab_clia(
    r: &mut Reader,
    msh: &Segment<'_>,
    facility: &Facility,
    order: &Order,
) -> Result<Option<String>, ParseError> {
    let msh_clia = facility.id.as_ref().filter(|id| {
        facility
            .id_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("CLIA"))
            || looks_like_clia(id)
    });
    if let (Some(a), Some(b)) = (msh_clia, &order.accession_clia)
        && !a.eq_ignore_ascii_case(b)
    {
        r.warn(
            msh.line,
            "MSH-4",
            format!(
                "the sending lab's CLIA {a} differs from the CLIA {b} in OBR-3; MSH-4 was kept"
            ),
        );
    }
    let clia = msh_clia.cloned().or_else(|| order.accession_clia.clone());
    match &clia {
        Some(id) if !looks_like_clia(id) => r.warn(
            msh.line,
            "MSH-4",
            format!("CLIA number '{id}' is not in the CLIA format (2 digits, D, 7 digits)"),
        ),
        Some(_) => {}
        None if facility.name.is_empty() && facility.id.is_none() => {
            return Err(ParseError::new(
                msh.line,
                Some("MSH-4"),
                ParseErrorKind::MissingField,
                "the sending lab is not named (MSH-4) and the accession (OBR-3) carries no CLIA number, \
                 so reports from this lab cannot be told apart from other labs' reports"
                    .to_string(),
            ));
        }
        None => r.warn(msh.line, "MSH-4", "no CLIA number for the sending lab"),
    }
    Ok(clia)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hl7_dates_become_naaccr_dates() {
        assert_eq!(
            naaccr_date("20250328091500"),
            Some(("20250328".into(), false))
        );
        assert_eq!(
            naaccr_date("202609241235-0400"),
            Some(("20260924".into(), false))
        );
        assert_eq!(naaccr_date("1957"), Some(("1957".into(), false)));
        assert_eq!(naaccr_date("196603"), Some(("196603".into(), false)));
        assert_eq!(naaccr_date("19660230"), Some(("196602".into(), true)));
        assert_eq!(naaccr_date("19661340"), Some(("1966".into(), true)));
        assert_eq!(naaccr_date("19661"), Some(("1966".into(), true)));
        assert_eq!(naaccr_date("0000"), None);
        assert_eq!(naaccr_date("abc"), None);
        assert_eq!(naaccr_date(""), None);
    }

    #[test]
    fn hl7_sex_codes_map_to_naaccr_sex() {
        assert_eq!(naaccr_sex("M"), Some("1"));
        assert_eq!(naaccr_sex("F"), Some("2"));
        assert_eq!(naaccr_sex("O"), Some("3"));
        assert_eq!(naaccr_sex("A"), Some("3"));
        assert_eq!(naaccr_sex("U"), Some("9"));
        assert_eq!(naaccr_sex("N"), Some("9"));
        assert_eq!(naaccr_sex(""), Some("9"));
        assert_eq!(naaccr_sex("X"), None);
    }

    #[test]
    fn clia_numbers_have_their_shape() {
        assert!(looks_like_clia("99D8888801"));
        assert!(!looks_like_clia("99X8888801"));
        assert!(!looks_like_clia("99D888880"));
    }

    #[test]
    fn segment_headers_are_three_capitals_or_digits_and_the_separator() {
        assert!(is_segment_header("OBX|1", '|'));
        assert!(is_segment_header("ZP1|", '|'));
        assert!(!is_segment_header("obx|1", '|'));
        assert!(!is_segment_header("1BX|1", '|'));
        assert!(!is_segment_header("OBX", '|'));
        assert!(!is_segment_header("OBXX|", '|'));
        assert!(!is_segment_header("Ü|", '|'));
    }
}
