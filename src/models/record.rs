//! The record view: a patient with its tumors as NAACCR items (naaccrId → value), whatever column
//! an item lives in. Export, import, edits and the forms all read and write through this view, so
//! any item of the dictionary can be captured and exported without loss.
//!
//! Items the application queries live in typed columns (listed below); every other item lives in
//! the row's JSON `items` object. Medical Record Number is a tumor-level item in NAACCR XML but a
//! patient column here (it is searched): tumors present the patient's value unless a tumor carries
//! its own in its JSON.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::LazyLock;

use super::patient::Patient;
use super::tumor::Tumor;
use crate::domain::naaccr::dictionary::keeps_spaces;

/// Patient-level items stored in typed columns of `patients`.
pub const PATIENT_COLUMN_ITEMS: &[&str] = &[
    "patientIdNumber",
    "nameLast",
    "nameFirst",
    "nameMiddle",
    "dateOfBirth",
    "sexAssignedAtBirth",
    "socialSecurityNumber",
    "vitalStatus",
    "dateOfLastContact",
];

/// Tumor-level items stored in typed columns of `tumors`.
pub const TUMOR_COLUMN_ITEMS: &[&str] = &[
    "tumorRecordNumber",
    "primarySite",
    "histologicTypeIcdO3",
    "behaviorCodeIcdO3",
    "laterality",
    "gradeClinical",
    "gradePathological",
    "dateOfDiagnosis",
    "sequenceNumberHospital",
    "sequenceNumberCentral",
    "classOfCase",
    "diagnosticConfirmation",
    "dateOf1stContact",
    "accessionNumberHosp",
    "schemaId",
    "summaryStage2018",
    "derivedSummaryStage2018",
    "cancerStatus",
];

/// A value as stored: trimmed, except for items whose spaces are significant (`trim="none"`, e.g.
/// `npcrSpecificField`); a blank value is no value.
fn clean(naaccr_id: &str, value: Option<String>) -> Option<String> {
    clean_ref(naaccr_id, value.as_deref()?).map(str::to_string)
}

/// A row with typed columns for some items and its JSON `items` for the others.
trait ItemRow {
    fn json(&mut self) -> &mut String;
    /// The typed column of `naaccr_id`, `None` when no column holds the item.
    fn slot(&mut self, naaccr_id: &str) -> Option<Slot<'_>>;
}

/// A typed column to put an item's value in.
enum Slot<'a> {
    /// A NOT NULL column: no value is the empty text.
    Required(&'a mut String),
    Optional(&'a mut Option<String>),
}

impl Slot<'_> {
    fn put(self, value: Option<String>) {
        match self {
            Slot::Required(column) => *column = value.unwrap_or_default(),
            Slot::Optional(column) => *column = value,
        }
    }
}

/// `set_items` of either row: the JSON is parsed and written once.
fn set_row_items<'a>(
    row: &mut impl ItemRow,
    values: impl IntoIterator<Item = (&'a str, Option<String>)>,
) {
    let mut extra = parse_items(row.json());
    for (naaccr_id, value) in values {
        let value = clean(naaccr_id, value);
        match (row.slot(naaccr_id), value) {
            (Some(slot), value) => slot.put(value),
            (None, Some(v)) => {
                extra.insert(naaccr_id.to_string(), v);
            }
            (None, None) => {
                extra.remove(naaccr_id);
            }
        }
    }
    *row.json() = write_items(&extra);
}

/// `set_new_items` of either row.
fn set_new_row_items<'a>(
    row: &mut impl ItemRow,
    sorted: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    let json = new_items_json(sorted, |id, value| match row.slot(id) {
        Some(slot) => {
            slot.put(Some(value.to_string()));
            true
        }
        None => false,
    });
    *row.json() = json;
}

/// [`clean`] of a borrowed value.
fn clean_ref<'a>(naaccr_id: &str, value: &'a str) -> Option<&'a str> {
    if value.trim().is_empty() {
        None
    } else if keeps_spaces(naaccr_id) {
        Some(value)
    } else {
        Some(value.trim())
    }
}

/// Appends `text` to `out` as a JSON string, escaped as serde_json escapes it.
fn push_json_str(out: &mut String, text: &str) {
    out.push('"');
    let mut plain = 0;
    for (at, b) in text.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[plain..at]);
        if escape.is_empty() {
            out.push_str(&format!("\\u{b:04x}"));
        } else {
            out.push_str(escape);
        }
        plain = at + 1;
    }
    out.push_str(&text[plain..]);
    out.push('"');
}

/// The JSON `items` of a new row from `sorted` items (naaccrId order, no repeats, as a `BTreeMap`
/// gives them), leaving out the items `put_column` takes: what `write_items` writes for the
/// same items, without building a map.
fn new_items_json<'a>(
    sorted: impl IntoIterator<Item = (&'a str, &'a str)>,
    mut put_column: impl FnMut(&str, &str) -> bool,
) -> String {
    let mut json = String::with_capacity(1024);
    json.push('{');
    for (naaccr_id, value) in sorted {
        let Some(value) = clean_ref(naaccr_id, value) else {
            continue;
        };
        if put_column(naaccr_id, value) {
            continue;
        }
        if json.len() > 1 {
            json.push(',');
        }
        push_json_str(&mut json, naaccr_id);
        json.push(':');
        push_json_str(&mut json, value);
    }
    json.push('}');
    json
}

fn parse_items(json: &str) -> BTreeMap<String, String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn write_items(items: &BTreeMap<String, String>) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "{}".into())
}

impl Patient {
    /// The value of a typed column: `None` when `naaccr_id` is not stored in a column,
    /// `Some(None)` when its column is empty.
    fn column(&self, naaccr_id: &str) -> Option<Option<&str>> {
        fn non_empty(v: &str) -> Option<&str> {
            Some(v).filter(|v| !v.is_empty())
        }
        Some(match naaccr_id {
            "patientIdNumber" => non_empty(&self.patient_id_number),
            "medicalRecordNumber" => self.medical_record_number.as_deref(),
            "nameLast" => non_empty(&self.name_last),
            "nameFirst" => self.name_first.as_deref(),
            "nameMiddle" => self.name_middle.as_deref(),
            "dateOfBirth" => self.date_of_birth.as_deref(),
            "sexAssignedAtBirth" => self.sex.as_deref(),
            "socialSecurityNumber" => self.social_security_number.as_deref(),
            "vitalStatus" => self.vital_status.as_deref(),
            "dateOfLastContact" => self.date_of_last_contact.as_deref(),
            _ => return None,
        })
    }

    /// One patient-level item, `None` when empty.
    pub fn item(&self, naaccr_id: &str) -> Option<String> {
        match self.column(naaccr_id) {
            Some(value) => value.map(str::to_string),
            None => parse_items(&self.items).remove(naaccr_id),
        }
    }

    /// Sets patient-level items (`None` or blank clears one). The JSON is parsed and written once.
    pub fn set_items<'a>(&mut self, values: impl IntoIterator<Item = (&'a str, Option<String>)>) {
        set_row_items(self, values);
    }

    /// [`Patient::set_items`] for a new row (no items yet) from items in naaccrId order with
    /// no repeats, as a `BTreeMap` gives them: the same row, with the JSON written as the items
    /// come (the bulk import's path).
    pub fn set_new_items<'a>(&mut self, sorted: impl IntoIterator<Item = (&'a str, &'a str)>) {
        set_new_row_items(self, sorted);
    }

    /// Every non-empty patient-level item.
    pub fn all_items(&self) -> BTreeMap<String, String> {
        owned(self.borrowed_items(&JsonItems::parse(&self.items)))
    }
}

impl Tumor {
    /// The value of a typed column: `None` when `naaccr_id` is not stored in a column,
    /// `Some(None)` when its column is empty.
    fn column(&self, naaccr_id: &str) -> Option<Option<&str>> {
        Some(match naaccr_id {
            "tumorRecordNumber" => {
                Some(self.tumor_record_number.as_str()).filter(|v| !v.is_empty())
            }
            "primarySite" => self.primary_site.as_deref(),
            "histologicTypeIcdO3" => self.histology.as_deref(),
            "behaviorCodeIcdO3" => self.behavior.as_deref(),
            "laterality" => self.laterality.as_deref(),
            "gradeClinical" => self.grade_clinical.as_deref(),
            "gradePathological" => self.grade_pathological.as_deref(),
            "dateOfDiagnosis" => self.date_of_diagnosis.as_deref(),
            "sequenceNumberHospital" => self.sequence_number_hospital.as_deref(),
            "sequenceNumberCentral" => self.sequence_number_central.as_deref(),
            "classOfCase" => self.class_of_case.as_deref(),
            "diagnosticConfirmation" => self.diagnostic_confirmation.as_deref(),
            "dateOf1stContact" => self.date_of_first_contact.as_deref(),
            "accessionNumberHosp" => self.accession_number.as_deref(),
            "schemaId" => self.schema_id.as_deref(),
            "summaryStage2018" => self.summary_stage_2018.as_deref(),
            "derivedSummaryStage2018" => self.derived_summary_stage_2018.as_deref(),
            "cancerStatus" => self.cancer_status.as_deref(),
            _ => return None,
        })
    }

    /// One tumor-level item, `None` when empty.
    pub fn item(&self, naaccr_id: &str) -> Option<String> {
        match self.column(naaccr_id) {
            Some(value) => value.map(str::to_string),
            None => parse_items(&self.items).remove(naaccr_id),
        }
    }

    /// Sets tumor-level items (`None` or blank clears one). The JSON is parsed and written once.
    pub fn set_items<'a>(&mut self, values: impl IntoIterator<Item = (&'a str, Option<String>)>) {
        set_row_items(self, values);
    }

    /// [`Tumor::set_items`] for a new row (no items yet) from items in naaccrId order with no
    /// repeats, as a `BTreeMap` gives them: the same row, with the JSON written as the items come
    /// (the bulk import's path).
    pub fn set_new_items<'a>(&mut self, sorted: impl IntoIterator<Item = (&'a str, &'a str)>) {
        set_new_row_items(self, sorted);
    }

    /// Every non-empty tumor-level item, with the patient's Medical Record Number unless the
    /// tumor has its own.
    pub fn all_items(&self, patient: &Patient) -> BTreeMap<String, String> {
        owned(self.borrowed_items(&JsonItems::parse(&self.items), patient))
    }
}

impl ItemRow for Patient {
    fn json(&mut self) -> &mut String {
        &mut self.items
    }

    fn slot(&mut self, naaccr_id: &str) -> Option<Slot<'_>> {
        Some(match naaccr_id {
            "patientIdNumber" => Slot::Required(&mut self.patient_id_number),
            "medicalRecordNumber" => Slot::Optional(&mut self.medical_record_number),
            "nameLast" => Slot::Required(&mut self.name_last),
            "nameFirst" => Slot::Optional(&mut self.name_first),
            "nameMiddle" => Slot::Optional(&mut self.name_middle),
            "dateOfBirth" => Slot::Optional(&mut self.date_of_birth),
            "sexAssignedAtBirth" => Slot::Optional(&mut self.sex),
            "socialSecurityNumber" => Slot::Optional(&mut self.social_security_number),
            "vitalStatus" => Slot::Optional(&mut self.vital_status),
            "dateOfLastContact" => Slot::Optional(&mut self.date_of_last_contact),
            _ => return None,
        })
    }
}

impl ItemRow for Tumor {
    fn json(&mut self) -> &mut String {
        &mut self.items
    }

    fn slot(&mut self, naaccr_id: &str) -> Option<Slot<'_>> {
        Some(match naaccr_id {
            "tumorRecordNumber" => Slot::Required(&mut self.tumor_record_number),
            "primarySite" => Slot::Optional(&mut self.primary_site),
            "histologicTypeIcdO3" => Slot::Optional(&mut self.histology),
            "behaviorCodeIcdO3" => Slot::Optional(&mut self.behavior),
            "laterality" => Slot::Optional(&mut self.laterality),
            "gradeClinical" => Slot::Optional(&mut self.grade_clinical),
            "gradePathological" => Slot::Optional(&mut self.grade_pathological),
            "dateOfDiagnosis" => Slot::Optional(&mut self.date_of_diagnosis),
            "sequenceNumberHospital" => Slot::Optional(&mut self.sequence_number_hospital),
            "sequenceNumberCentral" => Slot::Optional(&mut self.sequence_number_central),
            "classOfCase" => Slot::Optional(&mut self.class_of_case),
            "diagnosticConfirmation" => Slot::Optional(&mut self.diagnostic_confirmation),
            "dateOf1stContact" => Slot::Optional(&mut self.date_of_first_contact),
            "accessionNumberHosp" => Slot::Optional(&mut self.accession_number),
            "schemaId" => Slot::Optional(&mut self.schema_id),
            "summaryStage2018" => Slot::Optional(&mut self.summary_stage_2018),
            "derivedSummaryStage2018" => Slot::Optional(&mut self.derived_summary_stage_2018),
            "cancerStatus" => Slot::Optional(&mut self.cancer_status),
            _ => return None,
        })
    }
}

fn owned(items: Vec<(&str, &str)>) -> BTreeMap<String, String> {
    items
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The JSON `items` object of a row, parsed with its values borrowed from the row's text (a copy
/// only where an escape sequence forces one): the export reads millions of items this way.
#[derive(Debug, Default)]
pub struct JsonItems<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> JsonItems<'a> {
    /// Parses a row's `items` text; text that is not a JSON object of strings gives no items, as
    /// [`Patient::item`] does.
    pub fn parse(json: &'a str) -> JsonItems<'a> {
        serde_json::from_str(json).unwrap_or_default()
    }

    fn get(&self, naaccr_id: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == naaccr_id)
            .map(|(_, v)| v.as_ref())
    }
}

impl<'de> serde::Deserialize<'de> for JsonItems<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Items;
        impl<'de> serde::de::Visitor<'de> for Items {
            type Value = JsonItems<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of item values")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(map.size_hint().unwrap_or(32));
                while let Some((k, v)) = map.next_entry::<Text<'de>, Text<'de>>()? {
                    items.push((k.0, v.0));
                }
                Ok(JsonItems(items))
            }
        }
        d.deserialize_map(Items)
    }
}

/// A JSON string, borrowed when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Text<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Str;
        impl<'de> serde::de::Visitor<'de> for Str {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(Str)
    }
}

/// `columns` (value per id, in `ids` order) merged into the row's JSON items: what `all_items`
/// gives, as borrowed pairs sorted by naaccrId. A column wins over a JSON entry of the same id.
fn merged<'a>(
    json: &'a JsonItems<'a>,
    sorted_columns: &[&'static str],
    column: impl Fn(&str) -> Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    let mut items: Vec<(&'a str, &'a str)> =
        Vec::with_capacity(json.0.len() + sorted_columns.len() + 1);
    let mut from_json: Vec<(&'a str, &'a str)> = json
        .0
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect();
    // Rows written by `set_items` hold their JSON sorted; anything else is sorted here.
    if !from_json.is_sorted_by(|a, b| a.0 < b.0) {
        from_json.sort_unstable_by(|a, b| a.0.cmp(b.0));
    }
    let mut json_items = from_json.into_iter().peekable();
    for &id in sorted_columns {
        while let Some(entry) = json_items.next_if(|(k, _)| *k < id) {
            items.push(entry);
        }
        // The column's value replaces a JSON entry of the same id.
        json_items.next_if(|(k, _)| *k == id);
        if let Some(value) = column(id) {
            items.push((id, value));
        }
    }
    items.extend(json_items);
    items
}

fn sorted(ids: &'static [&'static str]) -> Vec<&'static str> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids
}

static SORTED_PATIENT_COLUMNS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| sorted(PATIENT_COLUMN_ITEMS));
static SORTED_TUMOR_COLUMNS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| sorted(TUMOR_COLUMN_ITEMS));

impl Patient {
    /// [`Patient::all_items`] borrowed from the row (and its parsed JSON), sorted by naaccrId.
    pub fn borrowed_items<'a>(&'a self, json: &'a JsonItems<'a>) -> Vec<(&'a str, &'a str)> {
        merged(json, &SORTED_PATIENT_COLUMNS, |id| {
            self.column(id).flatten()
        })
    }
}

impl Tumor {
    /// [`Tumor::all_items`] borrowed from the rows (and the tumor's parsed JSON), sorted by
    /// naaccrId, with the patient's Medical Record Number unless the tumor has its own.
    pub fn borrowed_items<'a>(
        &'a self,
        json: &'a JsonItems<'a>,
        patient: &'a Patient,
    ) -> Vec<(&'a str, &'a str)> {
        let mut items = merged(json, &SORTED_TUMOR_COLUMNS, |id| self.column(id).flatten());
        if json.get("medicalRecordNumber").is_none()
            && let Some(mrn) = patient.medical_record_number.as_deref()
            && let Err(at) = items.binary_search_by(|(k, _)| (*k).cmp("medicalRecordNumber"))
        {
            items.insert(at, ("medicalRecordNumber", mrn));
        }
        items
    }
}

/// A patient and its tumors as NAACCR items.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PatientRecord {
    pub patient: BTreeMap<String, String>,
    pub tumors: Vec<BTreeMap<String, String>>,
}

pub fn patient_record(patient: &Patient, tumors: &[Tumor]) -> PatientRecord {
    PatientRecord {
        patient: patient.all_items(),
        tumors: tumors.iter().map(|t| t.all_items(patient)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_row_gets_the_same_columns_and_json_from_either_setter() {
        // Every character JSON escapes, significant spaces, blanks, column items and others.
        let odd: String = (0u8..0x20)
            .map(char::from)
            .chain("\"\\/é\u{7f}".chars())
            .collect();
        let items: BTreeMap<String, String> = [
            ("addrCurrentCity", format!("x{odd}y")),
            ("dateOfBirth", " 19600510 ".to_string()),
            ("dateOfDiagnosis", "20200101".to_string()),
            ("medicalRecordNumber", "MR1".to_string()),
            ("nameLast", "O'Brien \"Jr\"".to_string()),
            ("npcrSpecificField", "  A  ".to_string()),
            ("primarySite", "C504".to_string()),
            ("telephone", "   ".to_string()),
            ("textRemarks", "line 1\nline 2\ttab".to_string()),
            ("tumorRecordNumber", "02".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let borrowed = || items.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let owned = || items.iter().map(|(k, v)| (k.as_str(), Some(v.clone())));

        let (mut slow, mut fast) = (Patient::blank(1), Patient::blank(1));
        slow.set_items(owned());
        fast.set_new_items(borrowed());
        assert_eq!(fast.items, slow.items);
        assert_eq!(fast.all_items(), slow.all_items());
        assert_eq!(fast.date_of_birth.as_deref(), Some("19600510"));
        assert_eq!(fast.medical_record_number.as_deref(), Some("MR1"));

        let (mut slow, mut fast) = (Tumor::blank(1, "01".into()), Tumor::blank(1, "01".into()));
        slow.set_items(owned());
        fast.set_new_items(borrowed());
        assert_eq!(fast.items, slow.items);
        let patient = Patient::blank(1);
        assert_eq!(fast.all_items(&patient), slow.all_items(&patient));
        assert_eq!(fast.tumor_record_number, "02");
        assert_eq!(fast.primary_site.as_deref(), Some("C504"));
        assert!(
            fast.items.contains("\"npcrSpecificField\":\"  A  \""),
            "{}",
            fast.items
        );
        assert!(!fast.items.contains("telephone"));
    }

    #[test]
    fn column_and_json_items_read_back_through_one_view() {
        let mut p = Patient::blank(1);
        p.set_items([
            ("nameLast", Some("Müller".to_string())),
            ("dateOfBirth", Some("19600510".to_string())),
            ("addrCurrentCity", Some("Springfield".to_string())),
            ("medicalRecordNumber", Some("MR1".to_string())),
            ("telephone", Some("  ".to_string())),
        ]);
        assert_eq!(p.name_last, "Müller");
        assert_eq!(p.item("addrCurrentCity").as_deref(), Some("Springfield"));
        assert_eq!(p.item("telephone"), None);
        let mut t = Tumor::blank(1, "01".into());
        t.set_items([
            ("primarySite", Some("C504".to_string())),
            ("textRemarks", Some("free text".to_string())),
        ]);
        let record = patient_record(&p, std::slice::from_ref(&t));
        assert_eq!(
            record.patient.get("nameLast").map(String::as_str),
            Some("Müller")
        );
        assert!(!record.patient.contains_key("medicalRecordNumber"));
        assert_eq!(
            record.tumors[0]
                .get("medicalRecordNumber")
                .map(String::as_str),
            Some("MR1")
        );
        assert_eq!(
            record.tumors[0].get("textRemarks").map(String::as_str),
            Some("free text")
        );
        assert_eq!(
            record.tumors[0]
                .get("tumorRecordNumber")
                .map(String::as_str),
            Some("01")
        );
        t.set_items([("textRemarks", None)]);
        assert_eq!(t.item("textRemarks"), None);
    }

    #[test]
    fn borrowed_items_merge_columns_and_json_sorted_by_id() {
        let mut p = Patient::blank(1);
        p.set_items([
            ("nameLast", Some("Müller".to_string())),
            ("addrCurrentCity", Some("Spring \"field\"".to_string())),
            ("medicalRecordNumber", Some("MR1".to_string())),
            ("zzzLast", Some("z".to_string())),
        ]);
        p.patient_id_number = "00000042".into();
        let json = JsonItems::parse(&p.items);
        assert_eq!(
            p.borrowed_items(&json),
            vec![
                ("addrCurrentCity", "Spring \"field\""),
                ("nameLast", "Müller"),
                ("patientIdNumber", "00000042"),
                ("zzzLast", "z"),
            ]
        );
        let mut t = Tumor::blank(1, "01".into());
        t.set_items([
            ("primarySite", Some("C504".to_string())),
            ("aaaFirst", Some("a".to_string())),
            ("textRemarks", Some("line\none".to_string())),
        ]);
        let json = JsonItems::parse(&t.items);
        assert_eq!(
            t.borrowed_items(&json, &p),
            vec![
                ("aaaFirst", "a"),
                ("medicalRecordNumber", "MR1"),
                ("primarySite", "C504"),
                ("textRemarks", "line\none"),
                ("tumorRecordNumber", "01"),
            ]
        );
        // A JSON entry of a column's id (not written by `set_items`, but possible in old rows)
        // and unsorted JSON: the column wins, the order is by naaccrId; the tumor's own Medical
        // Record Number wins over the patient's.
        let mut odd = t.clone();
        odd.items =
            r#"{"zeta":"1","primarySite":"C999","medicalRecordNumber":"T7","alpha":"2"}"#.into();
        let json = JsonItems::parse(&odd.items);
        assert_eq!(
            odd.borrowed_items(&json, &p),
            vec![
                ("alpha", "2"),
                ("medicalRecordNumber", "T7"),
                ("primarySite", "C504"),
                ("tumorRecordNumber", "01"),
                ("zeta", "1"),
            ]
        );
        assert_eq!(odd.item("primarySite").as_deref(), Some("C504"));
        assert!(JsonItems::parse("not json").0.is_empty());
    }

    #[test]
    fn values_are_trimmed_unless_their_spaces_are_significant() {
        let mut t = Tumor::blank(1, "01".into());
        t.set_items([
            ("primarySite", Some(" C504 ".to_string())),
            ("textRemarks", Some("  remark  ".to_string())),
            ("npcrSpecificField", Some("  AB  12 ".to_string())),
            ("stateRequestorItems", Some("   ".to_string())),
        ]);
        assert_eq!(t.primary_site.as_deref(), Some("C504"));
        assert_eq!(t.item("textRemarks").as_deref(), Some("remark"));
        // trim="none" in the NAACCR dictionaries: the spaces are part of the value.
        assert_eq!(t.item("npcrSpecificField").as_deref(), Some("  AB  12 "));
        // Blank is still no value.
        assert_eq!(t.item("stateRequestorItems"), None);
    }
}
