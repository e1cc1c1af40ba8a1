//! The abstract screen's layout: the sections in the order registrars work, each a list of NAACCR
//! items (v26 naaccrIds). One table drives the page, the save, the edits overlay and the QC
//! comparison, so a new item is added in one place. Labels come from the dictionary.

use crate::domain::codes;
use crate::domain::fields::{FieldKind, FieldSpec};
pub use crate::domain::fields::{all_item_defs, item_def};
use crate::domain::naaccr::{DataType, Dictionary, ItemDef, ItemLevel, NaaccrVersion};

/// One section of the abstract.
#[derive(Debug, Clone, Copy)]
pub struct Section {
    /// Anchor id on the page.
    pub key: &'static str,
    /// Heading.
    pub title: &'static str,
    /// The section's items, in entry order.
    pub items: &'static [&'static str],
}

/// The abstract's sections, in the order the registrar works through a case.
pub const SECTIONS: &[Section] = &[
    Section {
        key: "patient",
        title: "Patient",
        items: &[
            "nameLast",
            "nameFirst",
            "nameMiddle",
            "dateOfBirth",
            "sexAssignedAtBirth",
            "medicalRecordNumber",
            "socialSecurityNumber",
            "race1",
            "race2",
            "spanishHispanicOrigin",
            "birthplaceState",
            "birthplaceCountry",
            "addrAtDxNoStreet",
            "addrAtDxCity",
            "addrAtDxState",
            "addrAtDxPostalCode",
            "countyAtDx",
            "addrCurrentNoStreet",
            "addrCurrentCity",
            "addrCurrentState",
            "addrCurrentPostalCode",
            "telephone",
        ],
    },
    Section {
        key: "identification",
        title: "Cancer identification",
        items: &[
            "dateOfDiagnosis",
            "ageAtDiagnosis",
            "primarySite",
            "laterality",
            "histologicTypeIcdO3",
            "behaviorCodeIcdO3",
            "gradeClinical",
            "gradePathological",
            "gradePostTherapyClin",
            "gradePostTherapy",
            "diagnosticConfirmation",
            "ambiguousTerminologyDx",
            "multTumRptAsOnePrim",
            "dateOfMultTumors",
            "multiplicityCounter",
            "sequenceNumberHospital",
            "sequenceNumberCentral",
            "classOfCase",
            "casefindingSource",
            "primaryPayerAtDx",
            "dateOf1stContact",
            "accessionNumberHosp",
        ],
    },
    Section {
        key: "stage",
        title: "Stage",
        items: &[
            "schemaId",
            "schemaDiscriminator1",
            "schemaDiscriminator2",
            "schemaDiscriminator3",
            "tumorSizeSummary",
            "tumorSizeClinical",
            "tumorSizePathologic",
            "eodPrimaryTumor",
            "eodRegionalNodes",
            "eodMets",
            "regionalNodesPositive",
            "regionalNodesExamined",
            "lymphVascularInvasion",
            "summaryStage2018",
            "derivedSummaryStage2018",
            "derivedEod2018T",
            "derivedEod2018N",
            "derivedEod2018M",
            "derivedEod2018StageGroup",
            "ajccId",
            "ajccTnmClinT",
            "ajccTnmClinN",
            "ajccTnmClinM",
            "ajccTnmClinStageGroup",
            "ajccTnmPathT",
            "ajccTnmPathN",
            "ajccTnmPathM",
            "ajccTnmPathStageGroup",
            "ajccTnmPostTherapyT",
            "ajccTnmPostTherapyN",
            "ajccTnmPostTherapyM",
            "ajccTnmPostTherapyStageGroup",
        ],
    },
    Section {
        key: "treatment",
        title: "First course of treatment",
        items: &[
            "rxSummDxStgProc",
            "rxDateSurgery",
            "rxDateMostDefinSurg",
            "rxSummSurgPrimSite2023",
            "rxSummScopeRegLnSur",
            "rxSummSurgOthRegDis",
            "reasonForNoSurgery",
            "rxSummSurgRadSeq",
            "rxDateRadiation",
            "phase1RadiationTreatmentModality",
            "phase1RadiationPrimaryTxVolume",
            "reasonForNoRadiation",
            "rxDateSystemic",
            "rxDateChemo",
            "rxSummChemo",
            "rxDateHormone",
            "rxSummHormone",
            "rxDateBrm",
            "rxSummBrm",
            "rxSummTransplntEndocr",
            "rxDateOther",
            "rxSummOther",
            "rxSummSystemicSurSeq",
            "rxSummTreatmentStatus",
            "dateInitialRxSeer",
        ],
    },
    Section {
        key: "followup",
        title: "Follow-up",
        items: &[
            "dateOfLastContact",
            "vitalStatus",
            "cancerStatus",
            "dateOfLastCancerStatus",
            "followUpSource",
            "nextFollowUpSource",
            "causeOfDeath",
            "placeOfDeathState",
        ],
    },
    Section {
        key: "text",
        title: "Text documentation",
        items: &[
            "textDxProcPe",
            "textDxProcXRayScan",
            "textDxProcScopes",
            "textDxProcLabTests",
            "textDxProcOp",
            "textDxProcPath",
            "textPrimarySiteTitle",
            "textHistologyTitle",
            "textStaging",
            "rxTextSurgery",
            "rxTextRadiation",
            "rxTextRadiationOther",
            "rxTextChemo",
            "rxTextHormone",
            "rxTextBrm",
            "rxTextOther",
            "textRemarks",
            "textPlaceOfDiagnosis",
        ],
    },
    Section {
        key: "administration",
        title: "Administration",
        items: &[
            "abstractedBy",
            "reportingFacility",
            "npiReportingFacility",
            "institutionReferredFrom",
            "institutionReferredTo",
            "archiveFin",
            "dateCaseCompleted",
            "dateCaseLastChanged",
        ],
    },
];

/// Items the abstract must carry before it can be complete (marked on the page; the edits'
/// required-item family enforces them).
pub const REQUIRED_ITEMS: &[&str] = &[
    "nameLast",
    "dateOfBirth",
    "sexAssignedAtBirth",
    "dateOfDiagnosis",
    "primarySite",
    "laterality",
    "histologicTypeIcdO3",
    "behaviorCodeIcdO3",
    "diagnosticConfirmation",
    "classOfCase",
    "dateOfLastContact",
    "vitalStatus",
];

/// Items the application computes: shown, never typed over (sequence numbers are renumbered per
/// patient, the age follows the dates of birth and diagnosis).
pub const COMPUTED_ITEMS: &[&str] = &[
    "sequenceNumberHospital",
    "sequenceNumberCentral",
    "ageAtDiagnosis",
];

/// Items an abstract never edits through the form (identifiers the application assigns).
pub const IDENTIFIER_ITEMS: &[&str] = &["patientIdNumber", "tumorRecordNumber"];

/// The dictionary the abstract is built on.
pub fn dictionary() -> &'static Dictionary {
    Dictionary::base(NaaccrVersion::V260)
}

/// Whether an item is stored with the patient (else with the tumor). Medical Record Number is a
/// tumor item in NAACCR XML but a searched patient column here.
pub fn is_patient_item(naaccr_id: &str) -> bool {
    if naaccr_id == "medicalRecordNumber" {
        return true;
    }
    item_def(naaccr_id).is_some_and(|d| d.level == ItemLevel::Patient)
}

/// How the item is entered on the page.
pub fn kind_of(def: &ItemDef) -> FieldKind {
    match def.naaccr_id.as_str() {
        "primarySite" => FieldKind::PrimarySite,
        "histologicTypeIcdO3" => FieldKind::Histology,
        id if codes::code_list(id).is_some() => FieldKind::Code,
        _ if def.data_type == DataType::Date => FieldKind::Date,
        _ => FieldKind::Text,
    }
}

/// The form field of a dictionary item, of v26 or of an installed user dictionary (`None` for an
/// id no dictionary has).
/// Validation treats every field as optional: a partial abstract may always be saved; the
/// required items are marked and enforced by the edits before "complete".
pub fn field_spec(naaccr_id: &str) -> Option<FieldSpec> {
    let def = item_def(naaccr_id)?;
    Some(FieldSpec {
        naaccr_id: def.naaccr_id.as_str(),
        label: def.name.as_str(),
        kind: kind_of(def),
        required: false,
    })
}

/// Whether the item is marked required on the page.
pub fn is_required(naaccr_id: &str) -> bool {
    REQUIRED_ITEMS.contains(&naaccr_id)
}

/// The section an item belongs to, if any.
pub fn section_of(naaccr_id: &str) -> Option<&'static Section> {
    SECTIONS.iter().find(|s| s.items.contains(&naaccr_id))
}

/// Whether an item is a long text (shown as a text area).
pub fn is_long_text(def: &ItemDef) -> bool {
    def.length > 100
}

/// Dictionary items matching a search by name words, naaccrId or item number (the "all items"
/// panel), in item-number order, at most `limit`.
pub fn search_items<'d>(
    items: impl Iterator<Item = &'d ItemDef>,
    query: &str,
    limit: usize,
) -> Vec<&'d ItemDef> {
    let query = query.trim().to_lowercase();
    if query.is_empty() {
        return Vec::new();
    }
    let words: Vec<&str> = query.split_whitespace().collect();
    let mut found: Vec<&ItemDef> = items
        .filter(|d| d.level == ItemLevel::Patient || d.level == ItemLevel::Tumor)
        .filter(|d| !IDENTIFIER_ITEMS.contains(&d.naaccr_id.as_str()))
        .filter(|d| {
            d.number.to_string() == query
                || d.naaccr_id.to_lowercase() == query
                || words.iter().all(|w| {
                    d.name.to_lowercase().contains(w) || d.naaccr_id.to_lowercase().contains(w)
                })
        })
        .collect();
    found.sort_by_key(|d| d.number);
    found.truncate(limit);
    found
}

/// The sections a QC review re-abstracts blind.
pub const QC_SECTIONS: &[&str] = &["identification", "stage", "treatment", "followup"];

/// The items a QC review compares: the coded items and dates of [`QC_SECTIONS`], in page order,
/// without the computed ones (sequence numbers, age, derived stage).
pub fn qc_items() -> Vec<&'static str> {
    SECTIONS
        .iter()
        .filter(|s| QC_SECTIONS.contains(&s.key))
        .flat_map(|s| s.items.iter().copied())
        .filter(|id| !COMPUTED_ITEMS.contains(id) && !id.starts_with("derived"))
        .filter(|id| field_spec(id).is_some_and(|f| f.kind != FieldKind::Text))
        .collect()
}

/// Why an original and a review value differ (the QC discrepancy reasons).
pub const DISCREPANCY_REASONS: &[(&str, &str)] = &[
    ("coding", "Coding error"),
    ("documentation", "Documentation unclear"),
    ("rule", "Rule misapplied"),
    ("review", "Review error"),
    ("other", "Other (explain)"),
];

/// The label of a discrepancy reason code.
pub fn discrepancy_reason(code: &str) -> Option<&'static str> {
    DISCREPANCY_REASONS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, label)| *label)
}

/// Agreement over compared items: how many were compared and how many agreed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    /// The item (naaccrId) or the registrar.
    pub key: String,
    pub compared: usize,
    pub agreed: usize,
}

impl Agreement {
    /// The agreement rate in percent, one decimal ("87.5").
    pub fn percent(&self) -> String {
        if self.compared == 0 {
            return "–".into();
        }
        format!("{:.1}", self.agreed as f64 * 100.0 / self.compared as f64)
    }
}

/// Agreement rates per item and per registrar from every compared item of every review:
/// (registrar, naaccrId, agreed). Both lists are sorted by their key.
pub fn agreement_rates(rows: &[(String, String, bool)]) -> (Vec<Agreement>, Vec<Agreement>) {
    fn tally<'r>(keys: impl Iterator<Item = (&'r str, bool)>) -> Vec<Agreement> {
        let mut map: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
        for (key, agreed) in keys {
            let entry = map.entry(key).or_default();
            entry.0 += 1;
            entry.1 += usize::from(agreed);
        }
        map.into_iter()
            .map(|(key, (compared, agreed))| Agreement {
                key: key.to_string(),
                compared,
                agreed,
            })
            .collect()
    }
    (
        tally(rows.iter().map(|(_, item, a)| (item.as_str(), *a))),
        tally(
            rows.iter()
                .map(|(registrar, _, a)| (registrar.as_str(), *a)),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_item_is_a_v26_item_at_patient_or_tumor_level() {
        let mut seen = std::collections::HashSet::new();
        for section in SECTIONS {
            for id in section.items {
                let def = dictionary()
                    .item(id)
                    .unwrap_or_else(|| panic!("{id} is not a v26 item"));
                assert!(
                    matches!(def.level, ItemLevel::Patient | ItemLevel::Tumor),
                    "{id}"
                );
                assert!(seen.insert(*id), "{id} is listed twice");
            }
        }
        for id in REQUIRED_ITEMS {
            assert!(section_of(id).is_some(), "{id}");
        }
    }

    #[test]
    fn items_are_found_by_number_id_or_name_words() {
        let all = || dictionary().items();
        assert_eq!(search_items(all(), "400", 10)[0].naaccr_id, "primarySite");
        assert_eq!(
            search_items(all(), "laterality", 10)[0].naaccr_id,
            "laterality"
        );
        assert!(
            search_items(all(), "rx summ chemo", 10)
                .iter()
                .any(|d| d.naaccr_id == "rxSummChemo")
        );
        assert!(search_items(all(), "", 10).is_empty());
        assert!(search_items(all(), "tumor record number", 10).is_empty());
    }

    #[test]
    fn coded_items_are_code_fields_and_dates_are_dates() {
        assert_eq!(
            field_spec("laterality").map(|f| f.kind),
            Some(FieldKind::Code)
        );
        assert_eq!(
            field_spec("rxDateChemo").map(|f| f.kind),
            Some(FieldKind::Date)
        );
        assert_eq!(
            field_spec("primarySite").map(|f| f.kind),
            Some(FieldKind::PrimarySite)
        );
        assert!(is_patient_item("medicalRecordNumber"));
        assert!(is_patient_item("race1"));
        assert!(!is_patient_item("rxSummChemo"));
        assert!(field_spec("notAnItem").is_none());
    }
    #[test]
    fn qc_compares_coded_items_and_dates_but_not_computed_or_text_ones() {
        let items = qc_items();
        assert!(items.contains(&"primarySite"));
        assert!(items.contains(&"dateOfDiagnosis"));
        assert!(items.contains(&"rxSummChemo"));
        assert!(!items.contains(&"sequenceNumberHospital"));
        assert!(!items.contains(&"derivedSummaryStage2018"));
        assert!(!items.contains(&"nameLast"));
        assert!(!items.contains(&"textRemarks"));
        assert_eq!(discrepancy_reason("rule"), Some("Rule misapplied"));
        assert_eq!(discrepancy_reason("nonsense"), None);
    }

    #[test]
    fn agreement_rates_count_per_item_and_per_registrar() {
        let row = |r: &str, i: &str, a: bool| (r.to_string(), i.to_string(), a);
        let (items, registrars) = agreement_rates(&[
            row("a@x", "laterality", true),
            row("a@x", "primarySite", false),
            row("b@x", "laterality", false),
            row("b@x", "primarySite", true),
            row("b@x", "laterality", true),
        ]);
        assert_eq!(items[0].key, "laterality");
        assert_eq!((items[0].compared, items[0].agreed), (3, 2));
        assert_eq!(items[0].percent(), "66.7");
        assert_eq!(items[1].percent(), "50.0");
        assert_eq!(registrars[0].percent(), "50.0");
        assert_eq!((registrars[1].compared, registrars[1].agreed), (3, 2));
    }
}
