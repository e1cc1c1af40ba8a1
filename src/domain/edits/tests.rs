use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use chrono::NaiveDate;

use super::*;
use crate::domain::codes;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 30).unwrap_or(NaiveDate::MIN)
}

/// A synthetic, fully consistent abstract: invasive ductal carcinoma of the right breast, upper-outer
/// quadrant, diagnosed 2024-05-10 at 64; lumpectomy, radiation, hormone therapy; alive 2025-01-10.
const BASE: &[(&str, &str)] = &[
    ("patientIdNumber", "00000001"),
    ("tumorRecordNumber", "01"),
    ("nameLast", "TESTPATIENT"),
    ("dateOfBirth", "19600315"),
    ("sexAssignedAtBirth", "2"),
    ("race1", "01"),
    ("spanishHispanicOrigin", "0"),
    ("addrAtDxState", "NY"),
    ("countyAtDx", "001"),
    ("ageAtDiagnosis", "064"),
    ("dateOfDiagnosis", "20240510"),
    ("primarySite", "C504"),
    ("laterality", "1"),
    ("histologicTypeIcdO3", "8500"),
    ("behaviorCodeIcdO3", "3"),
    ("diagnosticConfirmation", "1"),
    ("typeOfReportingSource", "1"),
    ("sequenceNumberCentral", "00"),
    ("sequenceNumberHospital", "00"),
    ("classOfCase", "10"),
    ("accessionNumberHosp", "202400012"),
    ("primaryPayerAtDx", "02"),
    ("dateOf1stContact", "20240502"),
    ("schemaId", "00480"),
    ("summaryStage2018", "2"),
    ("gradeClinical", "2"),
    ("regionalNodesExamined", "03"),
    ("regionalNodesPositive", "01"),
    ("multTumRptAsOnePrim", "00"),
    ("multiplicityCounter", "01"),
    ("rxSummTreatmentStatus", "1"),
    ("rxSummSurgPrimSite", "22"),
    ("rxDateSurgery", "20240601"),
    ("rxDateMostDefinSurg", "20240601"),
    ("phase1RadiationTreatmentModality", "02"),
    ("rxDateRadiation", "20240715"),
    ("rxSummSurgRadSeq", "3"),
    ("rxSummChemo", "00"),
    ("rxSummHormone", "01"),
    ("rxDateHormone", "20240901"),
    ("dateInitialRxSeer", "20240601"),
    ("date1stCrsRxCoc", "20240601"),
    ("dateOfLastContact", "20250110"),
    ("vitalStatus", "1"),
    ("causeOfDeath", "0000"),
    ("icdRevisionNumber", "0"),
    (
        "textDxProcPath",
        "Lumpectomy: infiltrating ductal carcinoma, 1.8 cm",
    ),
];

fn base() -> BTreeMap<String, String> {
    BASE.iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

/// The base record with some values replaced ("" removes the item).
fn with(changes: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut record = base();
    for (item, value) in changes {
        if value.is_empty() {
            record.remove(*item);
        } else {
            record.insert((*item).to_string(), (*value).to_string());
        }
    }
    record
}

fn run(
    record: &BTreeMap<String, String>,
    record_type: RecordType,
    set: EditSet,
) -> Vec<EditFailure> {
    run_edits(record, &EditContext::new(today(), record_type, set))
}

fn fails(record: &BTreeMap<String, String>, id: &str) -> bool {
    run(record, RecordType::A, EditSet::All)
        .iter()
        .any(|f| f.edit_id == id)
}

#[test]
fn the_base_record_passes_every_edit_in_every_set() {
    for record_type in [RecordType::A, RecordType::M, RecordType::C, RecordType::I] {
        for set in [EditSet::Incidence, EditSet::Hospital, EditSet::All] {
            let failures = run(&base(), record_type, set);
            assert!(
                failures.is_empty(),
                "{record_type:?} {set:?}: {failures:#?}"
            );
        }
    }
}

/// (rule id, changes that pass, changes that fail). The passing case is a near miss of the failing
/// one wherever possible.
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [(&'static str, &'static str)],
);

#[rustfmt::skip]
const CASES: &[Case] = &[
    // D: dates
    ("RG-D01", &[("dateOfBirth", "2024")], &[("dateOfBirth", "20240511")]),
    ("RG-D02", &[("dateOfLastContact", "202405")], &[("dateOfLastContact", "20240509")]),
    ("RG-D03", &[("dateOfBirth", "1960")], &[("dateOfBirth", "20250111"), ("dateOfDiagnosis", "")]),
    ("RG-D04", &[("dateOfBirth", "2025")], &[("dateOfBirth", "20250701")]),
    ("RG-D05", &[("dateOfDiagnosis", "202506")], &[("dateOfDiagnosis", "202507")]),
    ("RG-D06", &[("dateOfLastContact", "20250630")], &[("dateOfLastContact", "20250701")]),
    ("RG-D07", &[("dateOf1stContact", "1960")], &[("dateOf1stContact", "19600314")]),
    ("RG-D08", &[("dateOf1stContact", "20250110")], &[("dateOf1stContact", "20250111")]),
    ("RG-D09", &[("dateOf1stContact", "2025")], &[("dateOf1stContact", "2026")]),
    ("RG-D10", &[("dateOfInptAdm", "20240530"), ("dateOfInptDisch", "20240602")], &[("dateOfInptAdm", "20240603"), ("dateOfInptDisch", "20240602")]),
    ("RG-D11", &[("rxDateSurgery", "20240520")], &[("rxDateSurgery", "20240602")]),
    ("RG-D12", &[("rxDateSurgicalDisch", "20240601")], &[("rxDateSurgicalDisch", "20240531")]),
    ("RG-D13", &[("rxDateRadiationEnded", "20240830")], &[("rxDateRadiationEnded", "20240714")]),
    ("RG-D14", &[("dateConclusiveDx", "20240610")], &[("dateConclusiveDx", "20240401")]),
    ("RG-D15", &[("dateOfMultTumors", "20240510")], &[("dateOfMultTumors", "2023")]),
    ("RG-D16", &[("dateCaseCompleted", "20250101")], &[("dateCaseCompleted", "20250801")]),
    // A: age
    ("RG-A01", &[("ageAtDiagnosis", "064"), ("dateOfBirth", "1960")], &[("ageAtDiagnosis", "065")]),
    ("RG-A02", &[("histologicTypeIcdO3", "9510"), ("ageAtDiagnosis", "014"), ("dateOfBirth", "20100101"), ("primarySite", "C692")], &[("histologicTypeIcdO3", "9510"), ("primarySite", "C692")]),
    ("RG-A03", &[("primarySite", "C619"), ("sexAssignedAtBirth", "1")], &[("primarySite", "C619"), ("sexAssignedAtBirth", "1"), ("histologicTypeIcdO3", "8140"), ("ageAtDiagnosis", "012"), ("dateOfBirth", "20120101")]),
    ("RG-A04", &[("dateOfBirth", "1905")], &[("dateOfBirth", "19040101"), ("ageAtDiagnosis", "")]),
    // X: sex/site
    ("RG-X01", &[("primarySite", "C619"), ("sexAssignedAtBirth", "1")], &[("primarySite", "C619"), ("sexAssignedAtBirth", "2")]),
    ("RG-X02", &[("primarySite", "C569"), ("sexAssignedAtBirth", "2")], &[("primarySite", "C569"), ("sexAssignedAtBirth", "1")]),
    // S: site/histology/behavior
    ("RG-S01", &[("primarySite", "C809")], &[("primarySite", "C350")]),
    ("RG-S02", &[("histologicTypeIcdO3", "8005")], &[("histologicTypeIcdO3", "8006")]),
    ("RG-S03", &[("primarySite", "C710"), ("histologicTypeIcdO3", "8804"), ("behaviorCodeIcdO3", "3")], &[("primarySite", "C710"), ("histologicTypeIcdO3", "8804"), ("behaviorCodeIcdO3", "2")]),
    ("RG-S04", &[("behaviorCodeIcdO3", "2")], &[("histologicTypeIcdO3", "8850"), ("behaviorCodeIcdO3", "2")]),
    ("RG-S05", &[("primarySite", "C809")], &[("primarySite", "C809"), ("behaviorCodeIcdO3", "2")]),
    ("RG-S06", &[("primarySite", "C710"), ("behaviorCodeIcdO3", "0")], &[("behaviorCodeIcdO3", "1")]),
    ("RG-S08", &[("primarySite", "C692"), ("histologicTypeIcdO3", "9510"), ("ageAtDiagnosis", "")], &[("histologicTypeIcdO3", "9510"), ("ageAtDiagnosis", "")]),
    ("RG-S07", &[("primarySite", "C421"), ("histologicTypeIcdO3", "9863")], &[("primarySite", "C779"), ("histologicTypeIcdO3", "9863")]),
    // L: laterality
    ("RG-L01", &[("laterality", "9")], &[("laterality", "0")]),
    ("RG-L02", &[("primarySite", "C189"), ("laterality", "0")], &[("primarySite", "C189"), ("laterality", "1")]),
    ("RG-L03", &[("behaviorCodeIcdO3", "2"), ("laterality", "2")], &[("behaviorCodeIcdO3", "2"), ("laterality", "9")]),
    ("RG-L04", &[("laterality", "9")], &[("laterality", "9"), ("sequenceNumberCentral", "02")]),
    // C: diagnostic confirmation
    ("RG-C01", &[("histologicTypeIcdO3", "8000"), ("diagnosticConfirmation", "2")], &[("histologicTypeIcdO3", "8000"), ("textHistologyTitle", "NEOPLASM")]),
    ("RG-C02", &[("histologicTypeIcdO3", "9680"), ("primarySite", "C779"), ("laterality", "0"), ("diagnosticConfirmation", "3")], &[("diagnosticConfirmation", "3")]),
    ("RG-C03", &[("diagnosticConfirmation", "3"), ("histologicTypeIcdO3", "9680"), ("dateOfDiagnosis", "2010")], &[("diagnosticConfirmation", "3"), ("histologicTypeIcdO3", "9680"), ("dateOfDiagnosis", "2009")]),
    ("RG-C04", &[("behaviorCodeIcdO3", "2"), ("diagnosticConfirmation", "4")], &[("behaviorCodeIcdO3", "2"), ("diagnosticConfirmation", "7")]),
    ("RG-C05", &[("histologicTypeIcdO3", "8170"), ("primarySite", "C220"), ("laterality", "0"), ("diagnosticConfirmation", "7")], &[("diagnosticConfirmation", "7")]),
    // Q: sequence number
    ("RG-Q01", &[("behaviorCodeIcdO3", "1"), ("primarySite", "C710"), ("laterality", "1"), ("sequenceNumberCentral", "60")], &[("behaviorCodeIcdO3", "1"), ("primarySite", "C710"), ("laterality", "1")]),
    ("RG-Q02", &[("primarySite", "C443"), ("laterality", "1"), ("histologicTypeIcdO3", "8090"), ("sequenceNumberHospital", "60")], &[("sequenceNumberHospital", "60")]),
    ("RG-Q03", &[("primarySite", "C539"), ("laterality", "0"), ("histologicTypeIcdO3", "8077"), ("behaviorCodeIcdO3", "2"), ("dateOfDiagnosis", "2001"), ("sequenceNumberCentral", "98"), ("dateOfBirth", "1960"), ("ageAtDiagnosis", "041")], &[("sequenceNumberCentral", "98")]),
    ("RG-Q04", &[("sequenceNumberCentral", "02")], &[("sequenceNumberCentral", "02"), ("diagnosticConfirmation", "8")]),
    ("RG-Q05", &[("sequenceNumberHospital", "02"), ("diagnosticConfirmation", "2")], &[("sequenceNumberHospital", "02"), ("diagnosticConfirmation", "8")]),
    ("RG-Q06", &[("primarySite", "C809"), ("laterality", "0"), ("textPrimarySiteTitle", "UNKNOWN PRIMARY")], &[("primarySite", "C809"), ("laterality", "0"), ("sequenceNumberCentral", "02")]),
    ("RG-Q07", &[("primarySite", "C768"), ("laterality", "0"), ("sequenceNumberHospital", "00")], &[("primarySite", "C768"), ("laterality", "0"), ("sequenceNumberHospital", "03")]),
    ("RG-Q08", &[("typeOfReportingSource", "7"), ("sequenceNumberCentral", "00")], &[("typeOfReportingSource", "7"), ("sequenceNumberCentral", "02")]),
    // K: class of case
    ("RG-K01", &[("classOfCase", "30"), ("dateOf1stContact", "")], &[("classOfCase", "22"), ("dateOf1stContact", "")]),
    ("RG-K02", &[("dateOf1stContact", "20240510")], &[("dateOf1stContact", "20240511")]),
    ("RG-K03", &[("classOfCase", "20"), ("dateOf1stContact", "20240510")], &[("classOfCase", "20"), ("dateOf1stContact", "20240509")]),
    ("RG-K04", &[("classOfCase", "38"), ("vitalStatus", "0"), ("causeOfDeath", "C509"), ("icdRevisionNumber", "1")], &[("classOfCase", "38")]),
    ("RG-K05", &[("classOfCase", "49"), ("typeOfReportingSource", "7")], &[("classOfCase", "49")]),
    ("RG-K06", &[("classOfCase", "49"), ("typeOfReportingSource", "7")], &[("classOfCase", "00"), ("typeOfReportingSource", "7")]),
    // O: DCO, autopsy
    ("RG-O01", &[("typeOfReportingSource", "7"), ("diagnosticConfirmation", "9")], &[("typeOfReportingSource", "7")]),
    ("RG-O02", &[("typeOfReportingSource", "7"), ("vitalStatus", "0")], &[("typeOfReportingSource", "7")]),
    ("RG-O03", &[("typeOfReportingSource", "1")], &[("typeOfReportingSource", "7")]),
    ("RG-O04", &[("typeOfReportingSource", "7"), ("dateOfLastContact", "20240510")], &[("typeOfReportingSource", "7")]),
    ("RG-O05", &[("typeOfReportingSource", "7"), ("summaryStage2018", "9")], &[("typeOfReportingSource", "7")]),
    ("RG-O06", &[("typeOfReportingSource", "6"), ("vitalStatus", "0")], &[("typeOfReportingSource", "6")]),
    // T: text
    ("RG-T01", &[("primarySite", "C809"), ("laterality", "0"), ("textPrimarySiteTitle", "UNKNOWN PRIMARY")], &[("primarySite", "C809"), ("laterality", "0")]),
    ("RG-T02", &[("primarySite", "C760"), ("laterality", "0"), ("textPrimarySiteTitle", "HEAD NOS")], &[("primarySite", "C760"), ("laterality", "0")]),
    ("RG-T03", &[("histologicTypeIcdO3", "8000"), ("textHistologyTitle", "MALIGNANT NEOPLASM")], &[("histologicTypeIcdO3", "8000")]),
    ("RG-T04", &[("diagnosticConfirmation", "2"), ("textDxProcPath", "")], &[("textDxProcPath", "")]),
    ("RG-T05", &[("diagnosticConfirmation", "7"), ("histologicTypeIcdO3", "8000"), ("textHistologyTitle", "MASS"), ("textDxProcXRayScan", "MAMMO: 2 CM MASS")], &[("diagnosticConfirmation", "7"), ("histologicTypeIcdO3", "8000"), ("textHistologyTitle", "MASS")]),
    // R: treatment
    ("RG-R01", &[("rxSummSurgPrimSite", "00"), ("rxDateSurgery", ""), ("rxDateMostDefinSurg", "")], &[("rxSummSurgPrimSite", "00")]),
    ("RG-R02", &[("phase1RadiationTreatmentModality", "00"), ("rxDateRadiation", ""), ("rxSummSurgRadSeq", "0")], &[("phase1RadiationTreatmentModality", "00")]),
    ("RG-R03", &[("rxSummChemo", "87")], &[("rxSummChemo", "87"), ("rxDateChemo", "20240801")]),
    ("RG-R04", &[("rxSummHormone", "01")], &[("rxSummHormone", "87")]),
    ("RG-R05", &[("rxSummBrm", "00")], &[("rxSummBrm", "00"), ("rxDateBrm", "20240801")]),
    ("RG-R06", &[("rxSummSurgRadSeq", "0"), ("rxDateRadiation", "")], &[("rxSummSurgRadSeq", "0")]),
    ("RG-R07", &[("rxSummTreatmentStatus", "1")], &[("rxSummTreatmentStatus", "0")]),
    // N: nodes
    ("RG-N01", &[("regionalNodesExamined", "00"), ("regionalNodesPositive", "98")], &[("regionalNodesExamined", "00")]),
    ("RG-N02", &[("regionalNodesPositive", "98"), ("regionalNodesExamined", "00")], &[("regionalNodesPositive", "98")]),
    ("RG-N03", &[("regionalNodesPositive", "03")], &[("regionalNodesPositive", "04")]),
    // M: multiplicity
    ("RG-M01", &[("multiplicityCounter", "01")], &[("multiplicityCounter", "02")]),
    ("RG-M02", &[("multTumRptAsOnePrim", "88"), ("multiplicityCounter", "88")], &[("multTumRptAsOnePrim", "88")]),
    ("RG-M03", &[("multTumRptAsOnePrim", "88"), ("multiplicityCounter", "88")], &[("multiplicityCounter", "88")]),
    // V: vital status
    ("RG-V01", &[("causeOfDeath", "")], &[("causeOfDeath", "C509")]),
    ("RG-V02", &[("vitalStatus", "0"), ("causeOfDeath", "C509"), ("icdRevisionNumber", "1")], &[("vitalStatus", "0")]),
    ("RG-V03", &[("icdRevisionNumber", "")], &[("icdRevisionNumber", "1")]),
    // F: formats
    ("RG-F01", &[("accessionNumberHosp", "202500001")], &[("accessionNumberHosp", "202600001")]),
];

#[test]
fn every_hand_written_rule_passes_its_passing_case_and_fails_its_failing_case() {
    for (id, pass, fail) in CASES {
        assert!(rule(id).is_some(), "{id} is not in the rule table");
        let passing = run(&with(pass), RecordType::A, EditSet::All);
        assert!(
            !passing.iter().any(|f| f.edit_id == *id),
            "{id} fired on its passing case: {passing:#?}"
        );
        assert!(
            fails(&with(fail), id),
            "{id} did not fire on its failing case"
        );
    }
}

#[test]
fn every_hand_written_rule_has_a_case() {
    let tested: BTreeSet<&str> = CASES.iter().map(|c| c.0).collect();
    let missing: Vec<&str> = all_rules()
        .iter()
        .map(|r| r.id.as_ref())
        .filter(|id| id.starts_with("RG-") && !tested.contains(id))
        .collect();
    assert!(missing.is_empty(), "rules without a test case: {missing:?}");
}

#[test]
fn overrides_silence_their_edit() {
    let cases = [
        (
            "RG-A02",
            &[
                ("histologicTypeIcdO3", "9510"),
                ("primarySite", "C692"),
                ("overRideAgeSiteMorph", "1"),
            ][..],
        ),
        (
            "RG-S03",
            &[
                ("primarySite", "C710"),
                ("histologicTypeIcdO3", "8804"),
                ("behaviorCodeIcdO3", "2"),
                ("overRideSiteType", "1"),
            ],
        ),
        (
            "RG-S08",
            &[("histologicTypeIcdO3", "8170"), ("overRideSiteType", "1")],
        ),
        (
            "RG-S04",
            &[
                ("histologicTypeIcdO3", "8850"),
                ("behaviorCodeIcdO3", "2"),
                ("overRideHistology", "1"),
            ],
        ),
        (
            "RG-S05",
            &[
                ("primarySite", "C809"),
                ("behaviorCodeIcdO3", "2"),
                ("overRideSiteBehavior", "1"),
            ],
        ),
        (
            "RG-L03",
            &[
                ("behaviorCodeIcdO3", "2"),
                ("laterality", "9"),
                ("overRideSiteLatMorph", "1"),
            ],
        ),
        (
            "RG-Q04",
            &[
                ("sequenceNumberCentral", "02"),
                ("diagnosticConfirmation", "8"),
                ("overRideSeqnoDxconf", "1"),
            ],
        ),
        (
            "RG-Q06",
            &[
                ("primarySite", "C809"),
                ("laterality", "0"),
                ("sequenceNumberCentral", "02"),
                ("overRideIllDefineSite", "1"),
            ],
        ),
    ];
    for (id, changes) in cases {
        assert!(
            !fails(&with(changes), id),
            "{id} fired although its over-ride is set"
        );
        // The same record with the over-ride 0 (not reviewed) fails.
        let override_item = rule(id).and_then(|r| r.override_item).unwrap_or("");
        let mut record = with(changes);
        record.insert(override_item.to_string(), "0".to_string());
        assert!(fails(&record, id), "{id} did not fire with its over-ride 0");
    }
}

#[test]
fn generated_validity_edits_cover_every_coded_item() {
    let mut count = 0;
    for list in codes::coded_items() {
        let id = format!("VAL-{}", list.naaccr_id);
        assert!(rule(&id).is_some(), "{id} missing");
        assert!(
            fails(&with(&[(list.naaccr_id, "#")]), &id),
            "{id} accepted '#'"
        );
        if let Some(code) = list.codes.iter().find(|c| !c.code.is_empty()) {
            assert!(
                !fails(&with(&[(list.naaccr_id, code.code)]), &id),
                "{id} refused its code {}",
                code.code
            );
        }
        count += 1;
    }
    assert!(count > 50, "only {count} coded items");
}

#[test]
fn generated_date_edits_check_format_and_order() {
    for item in DATE_ITEMS {
        let id = format!("FMT-{item}");
        assert!(fails(&with(&[(item, "20241340")]), &id), "{id}");
        assert!(
            fails(&with(&[(item, "2024-05-10")]), &id),
            "{id}: dashes are not the NAACCR form"
        );
        assert!(!fails(&with(&[(item, "2024")]), &id), "{id}");
    }
    let treatment = [
        "rxDateSurgery",
        "rxDateRadiation",
        "rxDateChemo",
        "rxDateSystemic",
        "date1stCrsRxCoc",
    ];
    for item in treatment {
        assert!(
            fails(&with(&[(item, "20240509")]), &format!("TXD-{item}")),
            "TXD-{item}"
        );
        assert!(
            !fails(&with(&[(item, "202405")]), &format!("TXD-{item}")),
            "TXD-{item} partial"
        );
        assert!(
            fails(&with(&[(item, "20250111")]), &format!("TXL-{item}")),
            "TXL-{item}"
        );
        assert!(
            !fails(&with(&[(item, "20250110")]), &format!("TXL-{item}")),
            "TXL-{item} same day"
        );
    }
}

#[test]
fn required_items_depend_on_set_record_type_and_year() {
    let no_class = with(&[("classOfCase", "")]);
    assert!(
        run(&no_class, RecordType::A, EditSet::Hospital)
            .iter()
            .any(|f| f.edit_id == "REQ-classOfCase")
    );
    assert!(
        !run(&no_class, RecordType::I, EditSet::Incidence)
            .iter()
            .any(|f| f.edit_id == "REQ-classOfCase")
    );
    let no_name = with(&[("nameLast", "")]);
    assert!(
        run(&no_name, RecordType::C, EditSet::Incidence)
            .iter()
            .any(|f| f.edit_id == "REQ-nameLast")
    );
    assert!(
        !run(&no_name, RecordType::I, EditSet::Incidence)
            .iter()
            .any(|f| f.edit_id == "REQ-nameLast")
    );
    // Schema ID is required from 2018 on.
    assert!(fails(&with(&[("schemaId", "")]), "REQ-schemaId"));
    let old = with(&[
        ("schemaId", ""),
        ("dateOfDiagnosis", "2017"),
        ("dateOfBirth", "1960"),
        ("ageAtDiagnosis", "057"),
    ]);
    assert!(!fails(&old, "REQ-schemaId"));
    // v25 `sex` stands in for v26 `sexAssignedAtBirth`.
    assert!(fails(
        &with(&[("sexAssignedAtBirth", "")]),
        "REQ-sexAssignedAtBirth"
    ));
    assert!(!fails(
        &with(&[("sexAssignedAtBirth", ""), ("sex", "2")]),
        "REQ-sexAssignedAtBirth"
    ));
    // Sex/site edits read v25 `sex` too.
    assert!(fails(
        &with(&[
            ("sexAssignedAtBirth", ""),
            ("sex", "1"),
            ("primarySite", "C569")
        ]),
        "RG-X02"
    ));
}

#[test]
fn text_edits_run_on_a_and_m_records_only() {
    let record = with(&[("primarySite", "C809"), ("laterality", "0")]);
    assert!(
        run(&record, RecordType::M, EditSet::All)
            .iter()
            .any(|f| f.edit_id == "RG-T01")
    );
    assert!(
        !run(&record, RecordType::I, EditSet::All)
            .iter()
            .any(|f| f.edit_id == "RG-T01")
    );
}

#[test]
fn edit_sets_select_rules() {
    let record = with(&[
        ("sequenceNumberHospital", "60"),
        ("sequenceNumberCentral", "60"),
    ]);
    let incidence: Vec<String> = run(&record, RecordType::A, EditSet::Incidence)
        .into_iter()
        .map(|f| f.edit_id)
        .collect();
    let hospital: Vec<String> = run(&record, RecordType::A, EditSet::Hospital)
        .into_iter()
        .map(|f| f.edit_id)
        .collect();
    assert_eq!(incidence, vec!["RG-Q01"]);
    assert_eq!(hospital, vec!["RG-Q02"]);
    assert_eq!(EditSet::parse("Incidence"), Some(EditSet::Incidence));
    assert_eq!(EditSet::parse(" hospital "), Some(EditSet::Hospital));
    assert_eq!(EditSet::parse("all"), Some(EditSet::All));
    assert_eq!(EditSet::parse("seer"), None);
}

#[test]
fn the_core_set_has_at_least_80_edits_with_unique_ids() {
    let rules = all_rules();
    let ids: BTreeSet<&str> = rules.iter().map(|r| r.id.as_ref()).collect();
    assert_eq!(ids.len(), rules.len(), "duplicate rule ids");
    let hand_written = rules.iter().filter(|r| r.id.starts_with("RG-")).count();
    assert_eq!(hand_written, CASES.len());
    assert!(hand_written >= 80, "{hand_written} hand-written edits");
    assert!(rules.len() >= 80 + codes::coded_items().count());
    for r in rules {
        assert!(
            !r.message.is_empty() && !r.items.is_empty(),
            "{} has no message or items",
            r.id
        );
    }
}

#[test]
fn failure_messages_name_the_values() {
    let failures = run(&with(&[("laterality", "7")]), RecordType::A, EditSet::All);
    let failure = failures.iter().find(|f| f.edit_id == "VAL-laterality");
    assert_eq!(
        failure.map(|f| f.message.as_str()),
        Some("Laterality [410] is not a valid code (value '7')")
    );
    assert_eq!(
        failure.map(|f| f.items.clone()),
        Some(vec!["laterality".to_string()])
    );
    assert_eq!(failure.map(|f| f.severity), Some(Severity::Error));
    let failures = run(
        &with(&[("ageAtDiagnosis", "061")]),
        RecordType::A,
        EditSet::All,
    );
    let message = failures
        .iter()
        .find(|f| f.edit_id == "RG-A01")
        .map(|f| f.message.clone());
    assert_eq!(
        message.as_deref(),
        Some(
            "Age at Diagnosis [230] does not agree with Date of Birth [240] and Date of Diagnosis [390] (age 061, the dates give 64)"
        )
    );
}

#[test]
fn partial_dates_fail_only_when_certainly_out_of_order() {
    // Born in 2024, diagnosed 2024-05-10: could be the same day or earlier; no failure.
    assert!(!fails(
        &with(&[("dateOfBirth", "2024"), ("ageAtDiagnosis", "000")]),
        "RG-D01"
    ));
    // Age with a birth year only: 63 or 64 are both possible.
    assert!(!fails(
        &with(&[("dateOfBirth", "1960"), ("ageAtDiagnosis", "063")]),
        "RG-A01"
    ));
    assert!(fails(
        &with(&[("dateOfBirth", "1960"), ("ageAtDiagnosis", "062")]),
        "RG-A01"
    ));
    // Unknown age with dates that fix it.
    assert!(fails(&with(&[("ageAtDiagnosis", "999")]), "RG-A01"));
}

#[test]
fn patient_and_tumor_maps_form_one_record() {
    let patient: BTreeMap<String, String> = base()
        .into_iter()
        .filter(|(k, _)| {
            [
                "patientIdNumber",
                "dateOfBirth",
                "sexAssignedAtBirth",
                "dateOfLastContact",
            ]
            .contains(&k.as_str())
        })
        .collect();
    let mut tumor = base();
    for k in patient.keys() {
        tumor.remove(k);
    }
    let context = EditContext::new(today(), RecordType::A, EditSet::All);
    assert!(run_edits(&(&patient, &tumor), &context).is_empty());
    let mut female = patient.clone();
    female.insert("sexAssignedAtBirth".into(), "1".into());
    let mut ovary = tumor.clone();
    ovary.insert("primarySite".into(), "C569".into());
    let ids: Vec<String> = run_edits(&(&female, &ovary), &context)
        .into_iter()
        .map(|f| f.edit_id)
        .collect();
    assert_eq!(ids, vec!["RG-X02"]);
    // A view over borrowed row data.
    let row = (String::from("C35"), String::from("00000009"));
    let view = FnView::new(|id: &str| match id {
        "primarySite" => Some(row.0.as_str()),
        "patientIdNumber" => Some(row.1.as_str()),
        _ => None,
    });
    let failures = run_edits(&view, &context);
    let s01 = failures.iter().find(|f| f.edit_id == "RG-S01");
    assert_eq!(
        s01.map(|f| EditReportLine::new(f, &view).patient_id_number),
        Some("00000009")
    );
}

#[test]
fn report_lines_and_summary() {
    let record = with(&[("laterality", "0"), ("causeOfDeath", "C509")]);
    let failures = run(&record, RecordType::A, EditSet::All);
    assert_eq!(
        failures
            .iter()
            .map(|f| f.edit_id.as_str())
            .collect::<Vec<_>>(),
        vec!["RG-L01", "RG-V01"]
    );
    let line = EditReportLine::new(&failures[0], &record).to_json();
    assert_eq!(
        line,
        serde_json::json!({
            "edit": "RG-L01",
            "severity": "error",
            "patientIdNumber": "00000001",
            "tumorRecordNumber": "01",
            "items": ["primarySite", "laterality"],
            "message": "Primary Site [400] is a paired organ: Laterality [410] must be 1-5 or 9, not 0",
        })
    );
    let mut summary = EditSummary::default();
    summary.add_tumor(&failures);
    summary.add_tumor(&[]);
    summary.add_tumor(&run(
        &with(&[("diagnosticConfirmation", "7")]),
        RecordType::A,
        EditSet::All,
    ));
    assert_eq!(summary.tumors_checked, 3);
    assert_eq!(summary.tumors_with_errors, 1);
    assert_eq!(summary.tumors_with_warnings_only, 1);
    assert_eq!(summary.errors, 2);
    // Confirmation 7 on 8500: specific histology without microscopy (C05), no X-ray text (T05),
    // path text present but fine.
    assert_eq!(summary.warnings, 2);
    assert_eq!(summary.by_edit.get("RG-L01"), Some(&1));
}

#[test]
fn garbage_values_never_panic() {
    let junk = [
        "",
        " ",
        "9999999999",
        "C",
        "CXYZ",
        "é",
        "00000000",
        "-1",
        "2024-13",
        "\u{0}",
    ];
    for item in [
        "primarySite",
        "histologicTypeIcdO3",
        "behaviorCodeIcdO3",
        "dateOfBirth",
        "dateOfDiagnosis",
        "ageAtDiagnosis",
        "sequenceNumberCentral",
        "regionalNodesPositive",
        "accessionNumberHosp",
        "classOfCase",
    ] {
        for value in junk {
            let _ = run(&with(&[(item, value)]), RecordType::A, EditSet::All);
        }
    }
    let empty: BTreeMap<String, String> = BTreeMap::new();
    let failures = run(&empty, RecordType::A, EditSet::All);
    assert!(
        failures.iter().all(|f| f.edit_id.starts_with("REQ-")),
        "{failures:#?}"
    );
}

/// Reads the NAACCR 26 item list (and the v25, v18 dictionaries for items retired since).
fn dictionary_items() -> BTreeMap<String, (u16, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/naaccr");
    let csv_path = dir.join("naaccr-xml-items-260.csv");
    let text = std::fs::read_to_string(&csv_path)
        .unwrap_or_else(|e| panic!("reference file {} is missing: {e}", csv_path.display()));
    let mut items = BTreeMap::new();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for row in reader.records().flatten() {
        let number = row.get(1).and_then(|n| n.parse().ok()).unwrap_or(0);
        items.insert(
            row.get(0).unwrap_or("").to_string(),
            (number, row.get(2).unwrap_or("").to_string()),
        );
    }
    for older in ["naaccr-dictionary-250.xml", "naaccr-dictionary-180.xml"] {
        let xml_path = dir.join(older);
        let xml = std::fs::read_to_string(&xml_path)
            .unwrap_or_else(|e| panic!("reference file {} is missing: {e}", xml_path.display()));
        for piece in xml.split("naaccrId=\"").skip(1) {
            if let Some(id) = piece.split('"').next() {
                items.entry(id.to_string()).or_insert((0, String::new()));
            }
        }
    }
    items
}

#[test]
fn every_item_and_override_named_by_a_rule_is_a_naaccr_item() {
    let dictionary = dictionary_items();
    assert!(dictionary.len() > 700, "dictionary not read");
    for r in all_rules() {
        for item in r.items.iter().chain(r.override_item.iter()) {
            assert!(
                dictionary.contains_key(*item),
                "{}: '{item}' is not a NAACCR item",
                r.id
            );
        }
    }
    for item in DATE_ITEMS {
        assert!(dictionary.contains_key(*item), "date item '{item}'");
    }
}

#[test]
fn item_labels_match_the_naaccr_26_dictionary() {
    let dictionary = dictionary_items();
    for label in super::rules::ITEM_LABELS {
        let (number, name) = dictionary.get(label.naaccr_id).cloned().unwrap_or_default();
        assert_eq!(
            (label.number, label.name),
            (number, name.as_str()),
            "{}",
            label.naaccr_id
        );
    }
    for id in DATE_ITEMS {
        assert!(item_label(id).is_some(), "no label for date item {id}");
    }
}

#[test]
fn every_kind_of_view_gives_the_same_failures() {
    let record = with(&[
        ("laterality", "0"),
        ("sexAssignedAtBirth", "1"),
        ("dateOfLastContact", "2023"),
    ]);
    let context = EditContext::new(today(), RecordType::A, EditSet::All);
    let ids =
        |failures: Vec<EditFailure>| failures.into_iter().map(|f| f.edit_id).collect::<Vec<_>>();
    let expected = ids(run_edits(&record, &context));
    assert_eq!(
        expected,
        vec![
            "RG-D02",
            "RG-D08",
            "RG-L01",
            "TXL-rxDateSurgery",
            "TXL-rxDateMostDefinSurg",
            "TXL-rxDateRadiation",
            "TXL-rxDateHormone",
            "TXL-dateInitialRxSeer",
            "TXL-date1stCrsRxCoc"
        ]
    );
    let hash: HashMap<String, String> = record.clone().into_iter().collect();
    assert_eq!(ids(run_edits(&hash, &context)), expected);
    // A view that cannot list its values is read item by item.
    let lookup = FnView::new(|id: &str| record.get(id).map(String::as_str));
    assert_eq!(ids(run_edits(&lookup, &context)), expected);
    // Padded values are trimmed, blanks are absent.
    let padded: BTreeMap<String, String> = record
        .iter()
        .map(|(k, v)| (k.clone(), format!(" {v} ")))
        .chain([("textRemarks".to_string(), "  ".to_string())])
        .collect();
    assert_eq!(ids(run_edits(&padded, &context)), expected);
}
