//! The record view: a patient with its tumors as NAACCR items (naaccrId → value), whatever column
//! an item lives in. Export, import, edits and the forms all read and write through this view, so
//! any item of the dictionary can be captured and exported without loss.
//!
//! Items the application queries live in typed columns (listed below); every other item lives in
//! the row's JSON `items` object. Medical Record Number is a tumor-level item in NAACCR XML but a
//! patient column here (it is searched): tumors present the patient's value unless a tumor carries
//! its own in its JSON.

use std::collections::BTreeMap;

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
    let value = value.filter(|v| !v.trim().is_empty())?;
    if keeps_spaces(naaccr_id) {
        Some(value)
    } else {
        Some(value.trim().to_string())
    }
}

fn parse_items(json: &str) -> BTreeMap<String, String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn write_items(items: &BTreeMap<String, String>) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "{}".into())
}

impl Patient {
    /// One patient-level item, `None` when empty.
    pub fn item(&self, naaccr_id: &str) -> Option<String> {
        match naaccr_id {
            "patientIdNumber" => Some(self.patient_id_number.clone()).filter(|v| !v.is_empty()),
            "medicalRecordNumber" => self.medical_record_number.clone(),
            "nameLast" => Some(self.name_last.clone()).filter(|v| !v.is_empty()),
            "nameFirst" => self.name_first.clone(),
            "nameMiddle" => self.name_middle.clone(),
            "dateOfBirth" => self.date_of_birth.clone(),
            "sexAssignedAtBirth" => self.sex.clone(),
            "socialSecurityNumber" => self.social_security_number.clone(),
            "vitalStatus" => self.vital_status.clone(),
            "dateOfLastContact" => self.date_of_last_contact.clone(),
            other => parse_items(&self.items).remove(other),
        }
    }

    /// Sets patient-level items (`None` or blank clears one). The JSON is parsed and written once.
    pub fn set_items<'a>(&mut self, values: impl IntoIterator<Item = (&'a str, Option<String>)>) {
        let mut extra = parse_items(&self.items);
        for (naaccr_id, value) in values {
            let value = clean(naaccr_id, value);
            match naaccr_id {
                "patientIdNumber" => self.patient_id_number = value.unwrap_or_default(),
                "medicalRecordNumber" => self.medical_record_number = value,
                "nameLast" => self.name_last = value.unwrap_or_default(),
                "nameFirst" => self.name_first = value,
                "nameMiddle" => self.name_middle = value,
                "dateOfBirth" => self.date_of_birth = value,
                "sexAssignedAtBirth" => self.sex = value,
                "socialSecurityNumber" => self.social_security_number = value,
                "vitalStatus" => self.vital_status = value,
                "dateOfLastContact" => self.date_of_last_contact = value,
                other => {
                    match value {
                        Some(v) => extra.insert(other.to_string(), v),
                        None => extra.remove(other),
                    };
                }
            }
        }
        self.items = write_items(&extra);
    }

    /// Every non-empty patient-level item.
    pub fn all_items(&self) -> BTreeMap<String, String> {
        let mut items = parse_items(&self.items);
        for id in PATIENT_COLUMN_ITEMS {
            if let Some(v) = self.item(id) {
                items.insert((*id).to_string(), v);
            }
        }
        items
    }
}

impl Tumor {
    /// One tumor-level item, `None` when empty.
    pub fn item(&self, naaccr_id: &str) -> Option<String> {
        match naaccr_id {
            "tumorRecordNumber" => Some(self.tumor_record_number.clone()).filter(|v| !v.is_empty()),
            "primarySite" => self.primary_site.clone(),
            "histologicTypeIcdO3" => self.histology.clone(),
            "behaviorCodeIcdO3" => self.behavior.clone(),
            "laterality" => self.laterality.clone(),
            "gradeClinical" => self.grade_clinical.clone(),
            "gradePathological" => self.grade_pathological.clone(),
            "dateOfDiagnosis" => self.date_of_diagnosis.clone(),
            "sequenceNumberHospital" => self.sequence_number_hospital.clone(),
            "sequenceNumberCentral" => self.sequence_number_central.clone(),
            "classOfCase" => self.class_of_case.clone(),
            "diagnosticConfirmation" => self.diagnostic_confirmation.clone(),
            "dateOf1stContact" => self.date_of_first_contact.clone(),
            "accessionNumberHosp" => self.accession_number.clone(),
            "schemaId" => self.schema_id.clone(),
            "summaryStage2018" => self.summary_stage_2018.clone(),
            "derivedSummaryStage2018" => self.derived_summary_stage_2018.clone(),
            "cancerStatus" => self.cancer_status.clone(),
            other => parse_items(&self.items).remove(other),
        }
    }

    /// Sets tumor-level items (`None` or blank clears one). The JSON is parsed and written once.
    pub fn set_items<'a>(&mut self, values: impl IntoIterator<Item = (&'a str, Option<String>)>) {
        let mut extra = parse_items(&self.items);
        for (naaccr_id, value) in values {
            let value = clean(naaccr_id, value);
            match naaccr_id {
                "tumorRecordNumber" => self.tumor_record_number = value.unwrap_or_default(),
                "primarySite" => self.primary_site = value,
                "histologicTypeIcdO3" => self.histology = value,
                "behaviorCodeIcdO3" => self.behavior = value,
                "laterality" => self.laterality = value,
                "gradeClinical" => self.grade_clinical = value,
                "gradePathological" => self.grade_pathological = value,
                "dateOfDiagnosis" => self.date_of_diagnosis = value,
                "sequenceNumberHospital" => self.sequence_number_hospital = value,
                "sequenceNumberCentral" => self.sequence_number_central = value,
                "classOfCase" => self.class_of_case = value,
                "diagnosticConfirmation" => self.diagnostic_confirmation = value,
                "dateOf1stContact" => self.date_of_first_contact = value,
                "accessionNumberHosp" => self.accession_number = value,
                "schemaId" => self.schema_id = value,
                "summaryStage2018" => self.summary_stage_2018 = value,
                "derivedSummaryStage2018" => self.derived_summary_stage_2018 = value,
                "cancerStatus" => self.cancer_status = value,
                other => {
                    match value {
                        Some(v) => extra.insert(other.to_string(), v),
                        None => extra.remove(other),
                    };
                }
            }
        }
        self.items = write_items(&extra);
    }

    /// Every non-empty tumor-level item, with the patient's Medical Record Number unless the
    /// tumor has its own.
    pub fn all_items(&self, patient: &Patient) -> BTreeMap<String, String> {
        let mut items = parse_items(&self.items);
        for id in TUMOR_COLUMN_ITEMS {
            if let Some(v) = self.item(id) {
                items.insert((*id).to_string(), v);
            }
        }
        if !items.contains_key("medicalRecordNumber")
            && let Some(mrn) = &patient.medical_record_number
        {
            items.insert("medicalRecordNumber".into(), mrn.clone());
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
