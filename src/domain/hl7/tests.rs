//! Tests of the intake parser on the reference example (pathology.md §2.8) and on the synthetic
//! fixtures in tests/fixtures/hl7/ (all patients are invented).

use std::path::PathBuf;

use super::field_map::Item;
use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // The project's own fixtures; a scratch crate beside the project reads them from ../main.
    let path = [
        manifest.join("tests/fixtures/hl7").join(name),
        manifest.join("../main/tests/fixtures/hl7").join(name),
    ]
    .into_iter()
    .find(|p| p.exists())
    .unwrap_or_else(|| panic!("fixture tests/fixtures/hl7/{name} is missing"));
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("fixture {} cannot be read: {e}", path.display()))
}

/// The complete example message of pathology.md §2.8, read from the shared reference.
fn reference_example() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/pathology.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}); the §2.8 example is read from it",
            path.display()
        )
    });
    let section = doc
        .split("### 2.8")
        .nth(1)
        .unwrap_or_else(|| panic!("pathology.md has no section 2.8"));
    let block = section
        .split("```")
        .nth(1)
        .unwrap_or_else(|| panic!("pathology.md §2.8 has no code block"));
    block
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\r")
}

fn parse_one(input: &[u8]) -> PathologyReport {
    let messages = split_messages(input);
    assert_eq!(messages.len(), 1, "expected one message");
    let raw = messages
        .into_iter()
        .next()
        .unwrap_or_else(|| unreachable!());
    parse_message(&raw).unwrap_or_else(|e| panic!("message should parse: {e}"))
}

fn parse_err(text: &str) -> ParseError {
    match parse_message(&RawMessage::from_text(text)) {
        Ok(report) => panic!("expected an error, got a report for {}", report.accession),
        Err(e) => e,
    }
}

fn section_text(report: &PathologyReport, kind: SectionKind) -> Vec<&str> {
    report.sections_of(kind).map(|s| s.text.as_str()).collect()
}

const MINIMAL: &str = "MSH|^~\\&|LAB|LAB^11D1111111^CLIA|REG|ST|20250101||ORU^R01|C1|P|2.5.1\r\
                       PID|1||M1^^^LAB^MR||DOE^JANE||1950|F\r\
                       OBR|1||A1^LAB^11D1111111^CLIA|11529-5|||20250101||||||||||||||||||F\r\
                       OBX|1|TX|22637-3^Path report.final diagnosis^LN|1|Benign.||||||F";

#[test]
fn reference_example_is_extracted_field_by_field() {
    let report = parse_one(reference_example().as_bytes());

    assert_eq!(report.processing_id, ProcessingId::Production);
    assert_eq!(report.message_control_id, "RBP20250402101500001");
    assert_eq!(report.message_datetime.as_deref(), Some("20250402101500"));
    assert_eq!(report.hl7_version, "2.5.1");
    assert_eq!(report.message_profile.as_deref(), Some("VOL_V_51_ORU_R01"));
    assert_eq!(report.sending_application, "COPATH");
    assert_eq!(
        report.sending_facility,
        Facility {
            name: "RIVERBEND PATHOLOGY".into(),
            id: Some("99D8888801".into()),
            id_type: Some("CLIA".into()),
        }
    );
    assert_eq!(report.receiving_application, "REGISTRY");
    assert_eq!(report.receiving_facility, "STATECR");
    assert_eq!(report.lab_clia.as_deref(), Some("99D8888801"));

    let p = &report.patient;
    assert_eq!(
        (
            p.name_last.as_str(),
            p.name_first.as_str(),
            p.name_middle.as_str()
        ),
        ("FENWICK", "Alice", "Marie")
    );
    assert!(p.aliases.is_empty());
    assert_eq!(p.birth_date, "19660317");
    assert_eq!(p.sex.as_deref(), Some("F"));
    assert_eq!(p.sex_naaccr.as_deref(), Some("2"));
    let mrn = PatientIdentifier {
        id: "RB7781234".into(),
        id_type: "MR".into(),
        assigning_authority: "RIVERBEND".into(),
        assigning_authority_id: "99D8888801".into(),
    };
    assert_eq!(p.mrn.as_ref(), Some(&mrn));
    assert_eq!(p.identifiers, vec![mrn]);
    // 999112222 is in the never-issued 9xx area: a test value, not kept.
    assert_eq!(p.ssn, None);
    assert_eq!(
        p.ssn_issue.as_deref(),
        Some(
            "PID-3: the SSN area number (first 3 digits) is in the 900-999 range, which is never issued to a person"
        )
    );
    assert_eq!(
        p.address,
        Some(Address {
            street: "27 Orchard Hill Rd".into(),
            supplemental: "Unit 4".into(),
            city: "Ashford".into(),
            state: "VT".into(),
            zip: "05001".into(),
            country: "USA".into(),
        })
    );
    assert_eq!(p.phone.as_deref(), Some("8025550147"));
    assert_eq!(p.race, vec!["2106-3".to_string()]);
    assert!(p.ethnicity.is_empty());

    let facility = report.ordering_facility.as_ref().expect("ORC-21 is sent");
    assert_eq!(facility.name, "Ashford Womens Health");
    assert_eq!(facility.id.as_deref(), Some("1999888801"));
    assert_eq!(facility.id_type.as_deref(), Some("NPI"));
    assert_eq!(
        facility
            .address
            .as_ref()
            .map(|a| (a.street.as_str(), a.city.as_str(), a.zip.as_str())),
        Some(("400 Main St", "Ashford", "05001"))
    );
    assert_eq!(facility.phone.as_deref(), Some("8025550100"));

    let provider = report.ordering_provider.as_ref().expect("OBR-16 is sent");
    assert_eq!(provider.npi.as_deref(), Some("1999888811"));
    assert_eq!(
        (
            provider.name.first.as_str(),
            provider.name.middle.as_str(),
            provider.name.last.as_str()
        ),
        ("Helen", "R", "Marsh")
    );
    let pathologist = report.pathologist.as_ref().expect("OBR-32 is sent");
    assert_eq!(pathologist.npi.as_deref(), Some("1999888822"));
    assert_eq!(
        (
            pathologist.name.first.as_str(),
            pathologist.name.last.as_str()
        ),
        ("Daniel", "Obi")
    );

    assert_eq!(report.accession, "RB25-4471");
    assert_eq!(report.report_types, vec!["11529-5".to_string()]);
    assert_eq!(report.specimen_collection_date.as_deref(), Some("20250328"));
    assert_eq!(report.report_date.as_deref(), Some("20250401"));
    assert_eq!(report.report_status, "F");
    assert_eq!(report.icd10_codes, vec!["C50.412".to_string()]);
    assert_eq!(report.duplicate_key(), ("99D8888801", "RB25-4471", "F"));

    let sections: Vec<(&str, SectionKind, &str)> = report
        .sections
        .iter()
        .map(|s| (s.loinc.as_str(), s.kind, s.text.as_str()))
        .collect();
    assert_eq!(
        sections,
        vec![
            (
                "22636-5",
                SectionKind::History,
                "Screen-detected 1.6 cm mass, left breast 2 o'clock & BI-RADS 5."
            ),
            (
                "22633-2",
                SectionKind::Specimen,
                "Breast, left, upper outer quadrant, ultrasound-guided core biopsy"
            ),
            (
                "22637-3",
                SectionKind::FinalDiagnosis,
                "BREAST, LEFT, UOQ, CORE BIOPSY:\nINVASIVE DUCTAL CARCINOMA (NO SPECIAL TYPE), NOTTINGHAM GRADE 2 (3+2+1=6/9).\nDCIS, intermediate grade, present."
            ),
            (
                "22635-7",
                SectionKind::Microscopic,
                "ER positive (95%), PR positive (60%), HER2 1+ (negative) by IHC."
            ),
        ]
    );
    assert!(report.synoptic.is_empty());
    assert_eq!(report.warnings, Vec::<String>::new());
    assert_eq!(report.text_encoding, TextEncoding::Utf8);
}

/// Hand-checked value of every field-map item: from the §2.8 example, or from the colon fixture
/// for the items that example does not carry.
fn expected_item_values() -> Vec<(Item, bool, &'static str)> {
    // (item, read from the colon fixture instead of §2.8, expected first value)
    vec![
        (Item::LabName, false, "RIVERBEND PATHOLOGY"),
        (Item::LabId, false, "99D8888801"),
        (Item::LabIdType, false, "CLIA"),
        (Item::SendingApplication, false, "COPATH"),
        (Item::ReceivingApplication, false, "REGISTRY"),
        (Item::ReceivingFacility, false, "STATECR"),
        (Item::MessageDateTime, false, "20250402101500"),
        (Item::MessageCode, false, "ORU"),
        (Item::TriggerEvent, false, "R01"),
        (Item::MessageControlId, false, "RBP20250402101500001"),
        (Item::ProcessingId, false, "P"),
        (Item::Version, false, "2.5.1"),
        (Item::MessageProfile, false, "VOL_V_51_ORU_R01"),
        (Item::PatientId, false, "RB7781234"),
        (Item::PatientIdAuthority, false, "RIVERBEND"),
        (Item::PatientIdType, false, "MR"),
        (Item::NameLast, false, "FENWICK"),
        (Item::NameFirst, false, "Alice"),
        (Item::NameMiddle, false, "Marie"),
        (Item::NameSuffix, true, "JR"),
        (Item::NameType, false, "L"),
        (Item::BirthDate, false, "19660317"),
        (Item::Sex, false, "F"),
        (Item::Alias, true, "OKAFOR^Tommy"),
        (Item::Race, false, "2106-3"),
        (Item::AddressStreet, false, "27 Orchard Hill Rd"),
        (Item::AddressSupplemental, false, "Unit 4"),
        (Item::AddressCity, false, "Ashford"),
        (Item::AddressState, false, "VT"),
        (Item::AddressZip, false, "05001"),
        (Item::AddressCountry, false, "USA"),
        (Item::Phone, false, "^PRN^PH^^1^802^5550147"),
        (Item::SsnLegacy, false, ""),
        (Item::Ethnicity, true, "2186-5"),
        (Item::OrcAccession, false, ""),
        (
            Item::OrcOrderingProvider,
            true,
            "1234567893^Reyes^Marisol^A^^^MD^^CMS^L^^^NPI",
        ),
        (Item::OrderingFacilityName, false, "Ashford Womens Health"),
        (Item::OrderingFacilityLegacyId, false, ""),
        (Item::OrderingFacilityIdType, false, "NPI"),
        (Item::OrderingFacilityIdTypeCode, false, ""),
        (Item::OrderingFacilityId, false, "1999888801"),
        (
            Item::OrderingFacilityAddress,
            false,
            "400 Main St^^Ashford^VT^05001^USA^B",
        ),
        (Item::OrderingFacilityPhone, false, "^WPN^PH^^1^802^5550100"),
        (Item::Accession, false, "RB25-4471"),
        (Item::AccessionLabId, false, "99D8888801"),
        (Item::AccessionLabIdType, false, "CLIA"),
        (Item::ReportType, false, "11529-5"),
        (Item::SpecimenCollected, false, "20250328091500"),
        (Item::OrderingProviderId, false, "1999888811"),
        (Item::OrderingProviderLast, false, "Marsh"),
        (Item::OrderingProviderFirst, false, "Helen"),
        (Item::OrderingProviderMiddle, false, "R"),
        (Item::OrderingProviderAuthority, false, "CMS"),
        (Item::OrderingProviderIdType, false, "NPI"),
        (Item::ReportDate, false, "20250401160000"),
        (Item::ReportStatus, false, "F"),
        (Item::Icd10, false, "C50.412"),
        (Item::Pathologist, false, "1999888822"),
        (Item::ObservationSetId, false, "1"),
        (Item::ObservationValueType, false, "TX"),
        (Item::ObservationCode, false, "22636-5"),
        (Item::ObservationText, false, "Path report.relevant Hx"),
        (Item::ObservationCodingSystem, false, "LN"),
        (Item::ObservationSubId, false, "1"),
        (
            Item::ObservationValue,
            false,
            "Screen-detected 1.6 cm mass, left breast 2 o'clock & BI-RADS 5.",
        ),
        (Item::ObservationUnits, false, ""),
        (Item::ObservationStatus, false, "F"),
        (
            Item::NoteText,
            true,
            "Case reviewed at GI tumor board 06/10/2024.",
        ),
        (Item::SpecimenCollectedSpm, false, "20250328091500"),
    ]
}

#[test]
fn every_field_map_position_reads_the_hand_checked_value() {
    let example = RawMessage::from_text(&reference_example());
    let colon = split_messages(&fixture("colon_resection.hl7"))
        .into_iter()
        .next()
        .expect("colon fixture has a message");
    let expected = expected_item_values();
    for item in Item::ALL {
        let Some((_, from_colon, value)) = expected.iter().find(|(i, _, _)| i == item) else {
            panic!("field map item {item:?} has no hand-checked value in this test");
        };
        let raw = if *from_colon { &colon } else { &example };
        let values = item_values(raw, *item).unwrap_or_else(|e| panic!("{item:?}: {e}"));
        assert_eq!(
            values.first().map(String::as_str),
            Some(*value),
            "{item:?} at {}",
            item.position()
        );
    }
    assert_eq!(expected.len(), Item::ALL.len(), "one expectation per item");
}

#[test]
fn field_map_names_and_positions_are_well_formed() {
    let mut names: Vec<&str> = Item::ALL.iter().map(|i| i.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Item::ALL.len(), "item names are unique");
    for item in Item::ALL {
        let at = item.position();
        assert!(
            ["MSH", "PID", "ORC", "OBR", "OBX", "NTE", "SPM"].contains(&at.segment),
            "{item:?}"
        );
        assert!(at.field >= 1, "{item:?}");
    }
    assert_eq!(Item::BirthDate.position().field_ref(), "PID-7");
    assert_eq!(Item::NameLast.position().to_string(), "PID-5.1");
    assert_eq!(Item::BirthDate.naaccr_item(), Some("dateOfBirth"));
    assert_eq!(
        field_map::section_kind("22637-3"),
        SectionKind::FinalDiagnosis
    );
    assert_eq!(field_map::section_kind("22639-9"), SectionKind::Other);
}

#[test]
fn colon_fixture_reads_sections_notes_and_patient_details() {
    let report = parse_one(&fixture("colon_resection.hl7"));
    let p = &report.patient;
    assert_eq!(
        (
            p.name_last.as_str(),
            p.name_first.as_str(),
            p.name_middle.as_str(),
            p.name_suffix.as_str()
        ),
        ("OKAFOR-BLAKE", "Thomas", "J", "JR")
    );
    assert_eq!(
        p.aliases
            .iter()
            .map(|n| (n.last.as_str(), n.first.as_str(), n.name_type.as_str()))
            .collect::<Vec<_>>(),
        vec![("BLAKE", "Tom", "A"), ("OKAFOR", "Tommy", "")]
    );
    assert_eq!(p.birth_date, "195703");
    assert_eq!(p.sex_naaccr.as_deref(), Some("1"));
    assert_eq!(p.ssn.as_deref(), Some("123456780"));
    assert_eq!(p.ssn_issue, None);
    assert_eq!(p.mrn.as_ref().map(|m| m.id.as_str()), Some("LK0099812"));
    assert_eq!(
        p.identifiers
            .iter()
            .map(|i| (i.id.as_str(), i.id_type.as_str()))
            .collect::<Vec<_>>(),
        vec![("LK0099812", "MR"), ("77120", "PI")]
    );
    assert_eq!(p.race, vec!["2054-5".to_string(), "2106-3".to_string()]);
    assert_eq!(p.ethnicity, vec!["2186-5".to_string()]);
    assert_eq!(
        p.address.as_ref().map(|a| a.supplemental.as_str()),
        Some("Smith & Sons Bldg")
    );
    assert_eq!(p.phone.as_deref(), Some("8455550199"));

    assert_eq!(report.lab_clia.as_deref(), Some("34D0654321"));
    assert_eq!(
        report.message_datetime.as_deref(),
        Some("20240611083000-0500")
    );
    assert_eq!(report.specimen_collection_date.as_deref(), Some("20240605"));
    assert_eq!(
        report.icd10_codes,
        vec!["C18.7".to_string(), "C77.2".to_string()]
    );
    assert_eq!(
        report
            .ordering_facility
            .as_ref()
            .and_then(|f| f.id.as_deref()),
        Some("1234567893")
    );
    assert_eq!(
        report
            .pathologist
            .as_ref()
            .map(|p| (p.name.last.as_str(), p.npi.as_deref())),
        Some(("Nakamura", Some("1881234567")))
    );

    assert_eq!(
        section_text(&report, SectionKind::History),
        vec!["Rectal bleeding; colonoscopy showed sigmoid mass. R/O carcinoma."]
    );
    // Two parts (sub-IDs 1 and 2) of one section.
    assert_eq!(
        section_text(&report, SectionKind::Specimen),
        vec!["A. Sigmoid colon, segmental resection\nB. Lymph nodes, mesenteric"]
    );
    // Sent as set IDs 4, 6, 5: joined in set-ID order, with a warning.
    assert_eq!(
        section_text(&report, SectionKind::Gross),
        vec![
            "Received fresh is a segment of sigmoid colon, 18 cm.\n\
         A 4.1 cm ulcerated mass is 6 cm from the distal margin.\n\
         Sections submitted in cassettes A1-A12."
        ]
    );
    // FT: \.br\, \H\..\N\ dropped, \X0D\\X0A\, \.sp 2\, \T\, \S\ and a repetition as a new line.
    assert_eq!(
        section_text(&report, SectionKind::FinalDiagnosis),
        vec![
            "A. SIGMOID COLON, RESECTION:\n\
         ADENOCARCINOMA, moderately differentiated (G2).\n\
         Tumor invades through the muscularis propria into pericolorectal tissue (pT3).\n\n\
         B. LYMPH NODES: 2 of 14 positive (2/14), pN1b.\n\
         Margins: uninvolved; distal 6 cm & radial 1.2 cm; ratio 2^14\n\
         MMR: intact (MLH1, PMS2, MSH2, MSH6)"
        ]
    );
    assert_eq!(
        section_text(&report, SectionKind::Microscopic),
        vec!["Tumor budding: low. Lymphovascular invasion present \\ perineural invasion absent."]
    );
    // The NTE note; the withdrawn (W) comment OBX is left out.
    assert_eq!(
        section_text(&report, SectionKind::Comment),
        vec!["Case reviewed at GI tumor board 06/10/2024."]
    );
    assert_eq!(
        report
            .sections
            .iter()
            .map(|s| s.loinc.as_str())
            .collect::<Vec<_>>(),
        vec!["22636-5", "22633-2", "22634-0", "22637-3", "22635-7", ""]
    );
    assert_eq!(
        report.warnings,
        vec![
            "line 11 (OBX-1): the parts of section 22634-0 were not in set-ID order; joined in set-ID order",
            "line 17 (OBX-2): observation PDF is an embedded document or reference (ED); not read as text",
            "line 18 (OBX-11): observation 22638-1 is marked wrong (W) by the lab; left out",
            "line 20 (ZPS): local Z-segment; ignored",
        ]
    );
}

#[test]
fn synoptic_answers_are_read_with_their_template() {
    let report = parse_one(&fixture("prostate_synoptic.hl7"));
    assert_eq!(report.processing_id, ProcessingId::Test);
    assert_eq!(
        report.report_types,
        vec!["11529-5".to_string(), "60568-3".to_string()]
    );
    assert_eq!(report.accession, "GV24-P-0207");
    // The pathologist is only on the second OBR.
    assert_eq!(
        report
            .pathologist
            .as_ref()
            .map(|p| (p.name.last.as_str(), p.npi.as_deref())),
        Some(("Osei", Some("1770011223")))
    );
    // The 10-digit legacy PID-19 SSN is rejected with its reason.
    assert_eq!(report.patient.ssn, None);
    assert_eq!(
        report.patient.ssn_issue.as_deref(),
        Some("PID-19: the SSN has 10 digits instead of 9")
    );
    assert_eq!(
        section_text(&report, SectionKind::FinalDiagnosis),
        vec![
            "PROSTATE, RADICAL PROSTATECTOMY: ACINAR ADENOCARCINOMA, GLEASON 3+4=7 (GRADE GROUP 2)."
        ]
    );

    let template =
        |question_id: &str, question: &str, answer_id: Option<&str>, answer: &str| SynopticAnswer {
            template_id: "900.2000001".into(),
            template_name: "PROSTATE GLAND".into(),
            template_version: "4.100.000.2000001".into(),
            question_id: question_id.into(),
            question: question.into(),
            answer_id: answer_id.map(String::from),
            answer: answer.into(),
            ..SynopticAnswer::default()
        };
    assert_eq!(
        report.synoptic,
        vec![
            template(
                "901.2000001",
                "Procedure",
                Some("902.2000001"),
                "Radical prostatectomy"
            ),
            SynopticAnswer {
                snomed_ct: Some("45969004".into()),
                ..template(
                    "910.2000001",
                    "Histologic Type",
                    Some("911.2000001"),
                    "Acinar adenocarcinoma"
                )
            },
            SynopticAnswer {
                sub_id: "931".into(),
                ..template(
                    "930.2000001",
                    "Tumor Quantitation",
                    Some("931.2000001"),
                    "Estimated percentage of prostate involved by tumor (specify)"
                )
            },
            SynopticAnswer {
                sub_id: "931".into(),
                value: Some("15".into()),
                unit: Some("%".into()),
                ..template("930.2000001", "Tumor Quantitation", None, "15 %")
            },
            template(
                "950.2000001",
                "",
                Some("951.2000001"),
                "Negative for carcinoma"
            ),
            SynopticAnswer {
                value: Some("Margins inked | reviewed twice".into()),
                ..template(
                    "960.2000001",
                    "Comment(s)",
                    None,
                    "Margins inked | reviewed twice"
                )
            },
        ]
    );
    assert_eq!(
        report.warnings,
        vec![
            "line 16 (OBX-11): observation 970.2000001 is marked wrong (W) by the lab; left out"
                .to_string()
        ]
    );
}

#[test]
fn cap_answers_without_template_are_kept_with_a_warning() {
    let text = format!(
        "{MINIMAL}\rOBX|2|CWE|2118.1000043^Tumor Site^CAPECC||2119.1000043^Adrenal gland^CAPECC||||||F"
    );
    let report = parse_message(&RawMessage::from_text(&text)).expect("parses");
    assert_eq!(report.synoptic.len(), 1);
    assert_eq!(
        report.synoptic.first().map(|a| a.answer.as_str()),
        Some("Adrenal gland")
    );
    assert_eq!(
        report.synoptic.first().map(|a| a.template_id.as_str()),
        Some("")
    );
    assert_eq!(
        report.warnings,
        vec!["line 5 (OBX-3): CAP checklist answers without a template ID (OBX 60572-5); answers kept without template".to_string()]
    );
}

/// The colon fixture rewritten with another segment terminator.
fn with_line_ends(terminator: &str) -> Vec<u8> {
    let text = String::from_utf8(fixture("colon_resection.hl7")).expect("fixture is UTF-8");
    text.lines()
        .map(|line| format!("{line}{terminator}"))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn every_line_end_style_gives_the_same_report() {
    let reference = parse_one(&fixture("colon_resection.hl7"));
    for terminator in ["\r", "\n", "\r\n", "<CR>", "<CR>\n", "<CR>\r\n"] {
        let report = parse_one(&with_line_ends(terminator));
        assert_eq!(report, reference, "line end {terminator:?}");
    }
    // Without a final line end.
    let mut bytes = with_line_ends("\r");
    bytes.pop();
    assert_eq!(parse_one(&bytes), reference);
}

#[test]
fn literal_cr_files_with_blank_lines_between_messages() {
    let results = parse_file(&fixture("literal_cr.txt"));
    assert_eq!(
        results
            .iter()
            .map(|(raw, parsed)| (
                raw.start_line,
                parsed
                    .as_ref()
                    .map(|r| r.patient.name_last.clone())
                    .unwrap_or_default()
            ))
            .collect::<Vec<_>>(),
        vec![(1, "MORROW".to_string()), (6, "QUAYLE".to_string())]
    );
}

#[test]
fn batch_envelope_with_corrected_and_debug_reports() {
    let results = parse_file(&fixture("batch_with_envelope.hl7"));
    let reports: Vec<&PathologyReport> = results
        .iter()
        .map(|(_, parsed)| parsed.as_ref().unwrap_or_else(|e| panic!("{e}")))
        .collect();
    assert_eq!(
        results
            .iter()
            .map(|(raw, _)| (raw.index, raw.start_line))
            .collect::<Vec<_>>(),
        vec![(0, 3), (1, 8), (2, 14)]
    );
    let [original, corrected, debug] = reports.as_slice() else {
        panic!("three reports expected");
    };
    assert_eq!(original.duplicate_key(), ("22D7654321", "NS25-100", "F"));
    assert_eq!(corrected.duplicate_key(), ("22D7654321", "NS25-100", "C"));
    assert!(corrected.is_correction() && !original.is_correction());
    assert_eq!(
        section_text(corrected, SectionKind::FinalDiagnosis),
        vec!["Breast, right, core biopsy: invasive ductal carcinoma and ductal carcinoma in situ."]
    );
    assert_eq!(debug.processing_id, ProcessingId::Debug);
    assert_eq!(debug.patient.birth_date, "2001");
}

#[test]
fn a_junk_line_refuses_the_message_and_names_the_line() {
    let messages = split_messages(&fixture("junk_line.hl7"));
    assert_eq!(messages.len(), 1);
    let error = messages
        .first()
        .map(parse_message)
        .and_then(Result::err)
        .expect("the junk line is an error");
    assert_eq!(error.line, 6);
    assert_eq!(error.kind, ParseErrorKind::NotASegment);
    assert_eq!(error.field, None);
    assert!(
        error.to_string().starts_with(
            "line 6: line 6 is not an HL7 segment: ' margins free of tumor.||||||F' does not start"
        ),
        "{error}"
    );
}

#[test]
fn a_junk_line_in_one_message_of_a_batch_leaves_the_others_readable() {
    let mut file = fixture("batch_with_envelope.hl7");
    let junk = fixture("junk_line.hl7");
    file.extend_from_slice(b"\r\n");
    file.extend_from_slice(&junk);
    file.extend_from_slice(&fixture("literal_cr.txt"));
    let results = parse_file(&file);
    let summary: Vec<Result<String, usize>> = results
        .iter()
        .map(|(_, parsed)| {
            parsed
                .as_ref()
                .map(|r| r.accession.clone())
                .map_err(|e| e.line)
        })
        .collect();
    // The batch file has 19 lines and a blank line 20; the junk message starts on line 21, so its
    // line 6 is file line 26.
    assert_eq!(
        summary,
        vec![
            Ok("NS25-100".to_string()),
            Ok("NS25-100".to_string()),
            Ok("NS25-101".to_string()),
            Err(26),
            Ok("LT25-1".to_string()),
            Ok("LT25-2".to_string()),
        ]
    );
}

#[test]
fn latin1_bytes_are_decoded_and_flagged() {
    let report = parse_one(&fixture("latin1_name.hl7"));
    assert_eq!(report.text_encoding, TextEncoding::Windows1252);
    assert_eq!(
        (
            report.patient.name_last.as_str(),
            report.patient.name_first.as_str()
        ),
        ("NUÑEZ", "Renée")
    );
    assert_eq!(
        report.warnings,
        vec!["line 1 (MSH-18): the message is not valid UTF-8 and was read as Windows-1252 (Latin-1): check accented letters in names".to_string()]
    );
}

#[test]
fn escaped_delimiters_do_not_split_fields_and_other_delimiters_work() {
    let text = "MSH#$%!*#LAB#LAB$22D7654321$CLIA#REG#ST#20250101##ORU$R01#C9#P#2.5.1\r\
                PID#1##M9$$$LAB$MR##O!S!BRIEN$PAT!F!RICIA##1950#F\r\
                OBR#1##A9$LAB$22D7654321$CLIA#11529-5###20250101##################F\r\
                OBX#1#TX#22637-3$Final$LN#1#Skin: BCC *T* margins!.br!clear; see A!T!B##########F";
    let report = parse_message(&RawMessage::from_text(text)).expect("custom delimiters parse");
    // \S\ and \F\ stand for this message's own component and field separators.
    assert_eq!(report.patient.name_last, "O$BRIEN");
    assert_eq!(report.patient.name_first, "PAT#RICIA");
    assert_eq!(report.accession, "A9");
    assert_eq!(report.report_status, "F");
    assert_eq!(
        section_text(&report, SectionKind::FinalDiagnosis),
        vec!["Skin: BCC *T* margins\nclear; see A*B"]
    );
}

#[test]
fn structural_errors_name_the_segment_or_field() {
    let cases: Vec<(String, usize, Option<&str>, ParseErrorKind)> = vec![
        ("".to_string(), 1, None, ParseErrorKind::Empty),
        (
            "PID|1||M1^^^LAB^MR||DOE^JANE".to_string(),
            1,
            Some("MSH"),
            ParseErrorKind::MissingHeader,
        ),
        (
            MINIMAL.replace("^~\\&", "^~"),
            1,
            Some("MSH-2"),
            ParseErrorKind::BadDelimiters,
        ),
        (
            MINIMAL.replace("ORU^R01", "ADT^A01"),
            1,
            Some("MSH-9"),
            ParseErrorKind::WrongMessageType,
        ),
        (
            MINIMAL.replace("|C1|P|", "|C1|X|"),
            1,
            Some("MSH-11"),
            ParseErrorKind::InvalidField,
        ),
        (
            MINIMAL.replace("|C1|P|", "|C1||"),
            1,
            Some("MSH-11"),
            ParseErrorKind::InvalidField,
        ),
        (
            MINIMAL.replace("PID|", "PV1|"),
            1,
            Some("PID"),
            ParseErrorKind::MissingSegment,
        ),
        (
            MINIMAL.replace("OBR|", "ZBR|").replace("OBX|", "ZBX|"),
            2,
            Some("OBR"),
            ParseErrorKind::MissingSegment,
        ),
        (
            MINIMAL.replace("DOE^JANE", "^JANE"),
            2,
            Some("PID-5"),
            ParseErrorKind::MissingField,
        ),
        (
            MINIMAL.replace("A1^LAB^11D1111111^CLIA", ""),
            3,
            Some("OBR-3"),
            ParseErrorKind::MissingField,
        ),
        (
            MINIMAL
                .replace("LAB^11D1111111^CLIA|REG", "|REG")
                .replace("A1^LAB^11D1111111^CLIA", "A1"),
            1,
            Some("MSH-4"),
            ParseErrorKind::MissingField,
        ),
        (
            MINIMAL.replace("OBR|1|", "OBX|9|TX|X||early\rOBR|1|"),
            3,
            Some("OBX"),
            ParseErrorKind::SegmentOutOfPlace,
        ),
        (
            format!("{MINIMAL}\rPID|2||M2^^^LAB^MR||ROE^RICHARD"),
            5,
            Some("PID"),
            ParseErrorKind::SegmentOutOfPlace,
        ),
        (
            format!("{MINIMAL}\rMSH|^~\\&|X"),
            5,
            Some("MSH"),
            ParseErrorKind::SegmentOutOfPlace,
        ),
        (
            MINIMAL.replace("\rOBX", "\robx"),
            4,
            None,
            ParseErrorKind::NotASegment,
        ),
    ];
    for (text, line, field, kind) in cases {
        let error = parse_err(&text);
        assert_eq!(
            (error.line, error.field.as_deref(), error.kind),
            (line, field, kind),
            "{text:?} gave: {error}"
        );
    }
    assert_eq!(
        parse_err(&MINIMAL.replace("ORU^R01", "ADT^A01")).to_string(),
        "line 1 (MSH-9): the message type is 'ADT^A01', but a pathology report must be ORU^R01"
    );
}

#[test]
fn doubtful_values_are_kept_with_warnings() {
    let text = MINIMAL
        .replace("|1950|F", "|19500231|X")
        .replace(
            "A1^LAB^11D1111111^CLIA|11529-5|||20250101",
            "A1^LAB^11D1111111^CLIA|11529-5|||2025",
        )
        .replace("||||||||||||||||||F\r", "||||||||||||||||||Q\r");
    let report = parse_message(&RawMessage::from_text(&text)).expect("parses");
    assert_eq!(report.patient.birth_date, "195002");
    assert_eq!(report.patient.sex.as_deref(), Some("X"));
    assert_eq!(report.patient.sex_naaccr.as_deref(), Some("9"));
    assert_eq!(report.specimen_collection_date.as_deref(), Some("2025"));
    assert_eq!(report.report_status, "Q");
    assert_eq!(
        report.warnings,
        vec![
            "line 2 (PID-7): date of birth '19500231' is not a complete calendar date; kept '195002'",
            "line 2 (PID-8): sex code 'X' is not in HL7 table 0001; NAACCR sex set to 9 (unknown)",
            "line 3 (OBR-25): result status 'Q' is not in HL7 table 0123",
        ]
    );
}

#[test]
fn report_serializes_to_json_with_hl7_codes() {
    let report = parse_one(reference_example().as_bytes());
    let json = serde_json::to_value(&report).expect("serializes");
    assert_eq!(json["processing_id"], "P");
    assert_eq!(json["patient"]["sex_naaccr"], "2");
    assert_eq!(json["sections"][2]["kind"], "FinalDiagnosis");
    assert_eq!(json["text_encoding"], "Utf8");
}

#[test]
fn ack_for_a_parsed_report_echoes_its_header() {
    let report = parse_one(reference_example().as_bytes());
    let now = chrono::NaiveDate::from_ymd_opt(2025, 4, 2)
        .and_then(|d| d.and_hms_milli_opt(10, 15, 30, 5))
        .expect("valid time");
    let ack = build_ack(&AckHeader::from(&report), AckCode::AA, "stored", now);
    assert_eq!(
        ack,
        "MSH|^~\\&|REGISTRY|STATECR|COPATH|RIVERBEND PATHOLOGY^99D8888801^CLIA|20250402101530||ACK^R01^ACK|ACK20250402101530005|P|2.5.1\r\
         MSA|AA|RBP20250402101500001|stored\r"
    );
    // The MLLP round trip carries the ACK unchanged.
    let mut decoder = MllpDecoder::default();
    assert_eq!(
        decoder.feed(&mllp_frame(ack.as_bytes())),
        vec![MllpEvent::Frame(ack.into_bytes())]
    );
}

#[test]
fn mllp_frames_feed_the_parser() {
    let example = reference_example();
    let mut stream = mllp_frame(example.as_bytes());
    stream.extend(mllp_frame(&fixture("prostate_synoptic.hl7")));
    let mut decoder = MllpDecoder::default();
    let mut frames = Vec::new();
    for chunk in stream.chunks(7) {
        for event in decoder.feed(chunk) {
            if let MllpEvent::Frame(bytes) = event {
                frames.push(bytes);
            }
        }
    }
    let accessions: Vec<String> = frames
        .iter()
        .map(|frame| parse_one(frame).accession)
        .collect();
    assert_eq!(
        accessions,
        vec!["RB25-4471".to_string(), "GV24-P-0207".to_string()]
    );
}

mod robustness {
    use proptest::prelude::*;

    use super::super::*;
    use super::{fixture, reference_example};

    /// Every message of any input either parses or gives an error; nothing panics or hangs.
    fn exercise(input: &[u8]) {
        for (raw, parsed) in parse_file(input) {
            match parsed {
                Ok(report) => {
                    let _ = report.duplicate_key();
                    let _ = build_ack(
                        &AckHeader::from(&report),
                        AckCode::AA,
                        "ok",
                        chrono::NaiveDateTime::default(),
                    );
                }
                Err(error) => {
                    assert!(error.line >= raw.start_line, "{error}");
                    let _ = AckHeader::from_raw(&raw);
                }
            }
        }
    }

    fn seeds() -> Vec<Vec<u8>> {
        vec![
            reference_example().into_bytes(),
            fixture("colon_resection.hl7"),
            fixture("prostate_synoptic.hl7"),
            fixture("batch_with_envelope.hl7"),
        ]
    }

    /// A mutation: (where, what, byte). Bytes are drawn mostly from HL7's own delimiters.
    fn mutation() -> impl Strategy<Value = (prop::sample::Index, u8, u8)> {
        let interesting = prop::sample::select(
            b"|^~\\&\r\n<CR>0123456789MSHPIDOBRXF .\x0B\x1C\x00\xFF\xC3".to_vec(),
        );
        (
            any::<prop::sample::Index>(),
            0u8..4,
            prop_oneof![interesting, any::<u8>()],
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..2048)) {
            exercise(&input);
            let mut decoder = MllpDecoder::new(256);
            let _ = decoder.feed(&input);
            let _ = decoder.finish();
        }

        #[test]
        fn mutated_messages_never_panic(
            seed in 0usize..4,
            mutations in prop::collection::vec(mutation(), 1..12),
        ) {
            let mut bytes = seeds().into_iter().nth(seed).unwrap_or_default();
            for (at, op, byte) in mutations {
                if bytes.is_empty() {
                    bytes.push(byte);
                    continue;
                }
                let i = at.index(bytes.len());
                match op {
                    0 => bytes.insert(i, byte),
                    1 => { bytes.remove(i); }
                    2 => { if let Some(b) = bytes.get_mut(i) { *b = byte; } }
                    _ => {
                        // Duplicate a stretch (repeats segments, fields, escapes).
                        let end = (i + 40).min(bytes.len());
                        let copy: Vec<u8> = bytes.get(i..end).map(<[u8]>::to_vec).unwrap_or_default();
                        bytes.splice(i..i, copy);
                    }
                }
            }
            exercise(&bytes);
        }

        #[test]
        fn mllp_decoding_does_not_depend_on_chunking(cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6)) {
            let mut stream = b"noise".to_vec();
            for seed in seeds().iter().take(3) {
                stream.extend(mllp_frame(seed));
            }
            let mut whole = MllpDecoder::default();
            let mut expected = whole.feed(&stream);
            expected.extend(whole.finish());

            let mut positions: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
            positions.sort_unstable();
            let mut chunked = MllpDecoder::default();
            let mut events = Vec::new();
            let mut start = 0;
            for p in positions.into_iter().chain(std::iter::once(stream.len())) {
                events.extend(chunked.feed(stream.get(start..p).unwrap_or(&[])));
                start = p;
            }
            events.extend(chunked.finish());
            prop_assert_eq!(events, expected);
        }
    }

    #[test]
    fn pathological_inputs_finish() {
        // Many escape characters, separators and huge .sp counts in one line.
        let mut text = reference_example();
        text.push_str("\rOBX|9|FT|22638-1^c^LN|1|");
        text.push_str(&"\\".repeat(50_000));
        text.push_str(&"\\.sp 999999\\".repeat(1_000));
        text.push_str(&"^~&".repeat(20_000));
        let report = parse_message(&RawMessage::from_text(&text)).expect("still a report");
        let comment = report
            .sections_of(SectionKind::Comment)
            .next()
            .map(|s| s.text.len())
            .unwrap_or_default();
        assert!(comment > 50_000 && comment < 200_000, "{comment}");
        // Thousands of distinct section codes.
        let mut many = reference_example();
        for i in 0..5_000 {
            many.push_str(&format!("\rOBX|{i}|TX|X{i}^t^LN|1|line {i}"));
        }
        let report = parse_message(&RawMessage::from_text(&many)).expect("parses");
        assert_eq!(report.sections.len(), 4 + 5_000);
        // Tens of thousands of repetitions and components in coded fields.
        let codes: Vec<String> = (0..50_000).map(|i| format!("C{i}^x^I10")).collect();
        let crowded = reference_example()
            .replace(
                "C50.412^Malignant",
                &format!("{}~C50.412^Malignant", codes.join("~")),
            )
            .replace(
                "2106-3^White^CDCREC",
                &"2106-3^White^CDCREC~".repeat(50_000),
            );
        let report = parse_message(&RawMessage::from_text(&crowded)).expect("parses");
        assert_eq!(report.icd10_codes.len(), 50_001);
        assert_eq!(report.patient.race.len(), 50_000);
    }
}

#[test]
fn older_and_minimal_message_shapes_are_read() {
    // HL7 2.3.1 style: no MSH-3/MSH-21, SSN typed SS without authority, accession without CLIA,
    // an NPI that is not ten digits, ORC-21 with a name only, OBX without sub-IDs.
    let legacy = "MSH|^~\\&||HILLCREST LAB^05D2223334^CLIA|||200506021339||ORU^R01|20050602001|P|2.3.1<CR>\n\
                  PID|1||123456789^^^^SS~H00777^^^^MR||VANCE^Opal||19570706|F<CR>\n\
                  ORC|RE||||||||||||||||||||Hillcrest Clinic<CR>\n\
                  OBR|1||05-4411-HC|22049-1^Flow Cytometry Analysis^LN|||200505021212|||||||||^Ames^Cole||||||200505311332|||F|||||||109772&PATHOLOGIST&QUINN&&&Dr.&MD&&NPI<CR>\n\
                  OBX|1|TX|22637-3^final diagnosis^LN||Monoclonal B-cell population, see comment.|||N|||F<CR>\n\
                  OBX|2|TX|22637-3^final diagnosis^LN||Consistent with CLL/SLL.|||N|||F<CR>\n";
    let report = parse_one(legacy.as_bytes());
    assert_eq!(report.hl7_version, "2.3.1");
    assert_eq!(report.message_profile, None);
    assert_eq!(report.sending_application, "");
    assert_eq!(report.lab_clia.as_deref(), Some("05D2223334"));
    assert_eq!(report.duplicate_key(), ("05D2223334", "05-4411-HC", "F"));
    assert_eq!(
        report.patient.mrn.as_ref().map(|m| m.id.as_str()),
        Some("H00777")
    );
    assert_eq!(
        report.patient.ssn_issue.as_deref(),
        Some("PID-3: the SSN is a placeholder (123456789 or 987654321)")
    );
    assert_eq!(
        report
            .ordering_facility
            .as_ref()
            .map(|f| (f.name.as_str(), f.id.as_deref())),
        Some(("Hillcrest Clinic", None))
    );
    let pathologist = report.pathologist.as_ref().expect("OBR-32 sent");
    assert_eq!(
        (
            pathologist.id.as_deref(),
            pathologist.npi.as_deref(),
            pathologist.name.last.as_str()
        ),
        (Some("109772"), None, "PATHOLOGIST")
    );
    assert_eq!(
        section_text(&report, SectionKind::FinalDiagnosis),
        vec!["Monoclonal B-cell population, see comment.\nConsistent with CLL/SLL."]
    );
    assert_eq!(report.warnings, Vec::<String>::new());

    // Two OBRs with one accession, no OBR-25, ORC-3 only accession, a lab without CLIA.
    let minimal = "MSH|^~\\&|SYN|NOCLIA LAB|REG|ST|202609241200||ORU^R01^ORU_R01|SYN-2|P|2.5.1\n\
                   PID|1||S-1^^^NOCLIA^MR||Sample^Pat||1957|F\n\
                   ORC|RE||SYN-ACC-9\n\
                   OBR|1|||35265-8^PATH REPORT ADDENDUM^LN|||2026092412\n\
                   OBX|1|TX|22637-3^final diagnosis^LN|1|Addendum: margins re-examined.||||||F\n\
                   OBR|2|||60569-1^REPORT ADDENDUM.SYNOPTIC^LN|||202609241235-0400\n\
                   OBX|1|CWE|60572-5^Report Template ID^LN||175.100004300^THYROID GLAND^CAPECP||||||F\n\
                   OBX|2|NM|20791.100004300^Tumor Size^CAPECP||1.20|cm^Centimeter^UCUM|||||F\n";
    let report = parse_one(minimal.as_bytes());
    assert_eq!(report.accession, "SYN-ACC-9");
    assert_eq!(report.report_status, "");
    assert_eq!(report.duplicate_key(), ("NOCLIA LAB", "SYN-ACC-9", ""));
    assert_eq!(report.specimen_collection_date.as_deref(), Some("20260924"));
    assert_eq!(
        report.report_types,
        vec!["35265-8".to_string(), "60569-1".to_string()]
    );
    assert_eq!(
        report
            .synoptic
            .iter()
            .map(|a| (a.template_id.as_str(), a.answer.as_str()))
            .collect::<Vec<_>>(),
        vec![("175.100004300", "1.20 cm")]
    );
    assert_eq!(
        report.warnings,
        vec![
            "line 1 (MSH-4): no CLIA number for the sending lab",
            "line 4 (OBR-3): accession number is empty; ORC-3 was used",
            "line 4 (OBR-25): no result status (F final, P preliminary, C corrected)",
        ]
    );
}
