use super::*;
use crate::domain::screening::{Screener, SynopticItem};

fn coder() -> Autocoder {
    Autocoder::with_defaults().expect("default term tables compile")
}

fn code(report: &ReportText) -> CodingSuggestions {
    let s = Screener::with_defaults().screen(report);
    coder().suggest(report, &s)
}

fn dx(text: &str) -> ReportText {
    ReportText {
        sections: vec![(SectionKind::FinalDiagnosis, text.to_string())],
        ..ReportText::default()
    }
}

fn best(l: &[Suggestion]) -> &str {
    CodingSuggestions::best(l).unwrap_or("")
}

/// (site, histology, behavior, laterality, grade code)
fn summary(c: &CodingSuggestions) -> (String, String, String, String, String) {
    (
        best(&c.primary_site).to_string(),
        best(&c.histology).to_string(),
        best(&c.behavior).to_string(),
        best(&c.laterality).to_string(),
        c.grade
            .first()
            .and_then(|g| g.code.clone())
            .unwrap_or_default(),
    )
}

fn s(v: [&str; 5]) -> (String, String, String, String, String) {
    (
        v[0].into(),
        v[1].into(),
        v[2].into(),
        v[3].into(),
        v[4].into(),
    )
}

fn item(template: &str, question: &str, answer: &str) -> SynopticItem {
    SynopticItem {
        template: template.into(),
        question: question.into(),
        answer: answer.into(),
    }
}

#[test]
fn tables_load_with_hundreds_of_terms() {
    let c = coder();
    assert!(
        c.histology_phrase_count() > 600,
        "{}",
        c.histology_phrase_count()
    );
    assert!(c.organs.len() > 100);
}

#[test]
fn term_table_errors_name_the_line() {
    let e = Autocoder::new("8500/3|ok\n850/3|bad\n", "@breast|C509|3|breast\n").err();
    assert_eq!(
        e,
        Some(TermTableError::Histology {
            line: 2,
            message: "histology must be 4 digits and behavior 0-3".into()
        })
    );
    let e = Autocoder::new("8500/3|ok\n", "breast|C504|upper outer quadrant\n").err();
    assert!(
        matches!(e, Some(TermTableError::Site { line: 1, .. })),
        "{e:?}"
    );
    let e = Autocoder::new("8500/3|ok\n", "@breast|X50|3|breast\n").err();
    assert!(
        matches!(e, Some(TermTableError::Site { line: 1, .. })),
        "{e:?}"
    );
}

#[test]
fn reference_example_from_the_pathology_notes() {
    // The synthetic message of pathology.md §2.8, as decoded text.
    let report = ReportText {
        sections: vec![
            (SectionKind::History, "Screen-detected 1.6 cm mass, left breast 2 o'clock & BI-RADS 5.".into()),
            (SectionKind::Specimen, "Breast, left, upper outer quadrant, ultrasound-guided core biopsy".into()),
            (
                SectionKind::FinalDiagnosis,
                "BREAST, LEFT, UOQ, CORE BIOPSY:\nINVASIVE DUCTAL CARCINOMA (NO SPECIAL TYPE), NOTTINGHAM GRADE 2 (3+2+1=6/9).\nDCIS, intermediate grade, present."
                    .into(),
            ),
            (SectionKind::Microscopic, "ER positive (95%), PR positive (60%), HER2 1+ (negative) by IHC.".into()),
        ],
        synoptic: Vec::new(),
        icd10_codes: vec!["C50.412".into()],
    };
    let c = code(&report);
    assert_eq!(summary(&c), s(["C504", "8500", "3", "2", "2"]));
    let h = &c.histology[0];
    let ev = &h.evidence[0];
    assert_eq!(ev.source, EvidenceSource::Text);
    assert_eq!(ev.section, Some(SectionKind::FinalDiagnosis));
    let text = &report.sections[2].1;
    let phrase = ev.span.clone().map(|r| &text[r]).unwrap_or("");
    assert!(phrase.starts_with("INVASIVE DUCTAL CARCINOMA"), "{phrase}");
    assert!(h.confidence >= 85);
    assert_eq!(c.grade[0].system, GradeSystem::Nottingham);
    assert_eq!(c.grade[0].phrase, "NOTTINGHAM GRADE 2 (3+2+1=6/9)");
}

#[test]
fn text_headers_give_site_subsite_and_side() {
    let cases = [
        (
            "LUNG, RIGHT UPPER LOBE, LOBECTOMY:\nADENOCARCINOMA, POORLY DIFFERENTIATED.",
            ["C341", "8140", "3", "1", "3"],
        ),
        (
            "Left lower lobe of lung, biopsy: squamous cell carcinoma",
            ["C343", "8070", "3", "2", ""],
        ),
        (
            "COLON, SIGMOID, RESECTION: ADENOCARCINOMA, WELL DIFFERENTIATED",
            ["C187", "8140", "3", "0", "1"],
        ),
        (
            "KIDNEY, RIGHT, NEPHRECTOMY: CLEAR CELL RENAL CELL CARCINOMA, ISUP GRADE 2",
            ["C649", "8310", "3", "1", "2"],
        ),
        (
            "Breast, right, 10 o'clock, core: invasive lobular carcinoma",
            ["C504", "8520", "3", "1", ""],
        ),
        (
            "Breast, left, 10 o'clock, core: invasive lobular carcinoma",
            ["C502", "8520", "3", "2", ""],
        ),
        (
            "PROSTATE, LEFT APEX, BIOPSY: ADENOCARCINOMA, GLEASON SCORE 3+3=6",
            ["C619", "8140", "3", "0", "1"],
        ),
        (
            "Urinary bladder, dome, TURBT: high-grade papillary urothelial carcinoma",
            ["C671", "8130", "3", "0", "H"],
        ),
    ];
    for (text, want) in cases {
        assert_eq!(summary(&code(&dx(text))), s(want), "{text}");
    }
}

#[test]
fn in_situ_and_invasive_modifiers() {
    assert_eq!(
        summary(&code(&dx("Breast, left: DCIS, high nuclear grade."))),
        s(["C509", "8500", "2", "2", "H"])
    );
    assert_eq!(
        best(&code(&dx("Skin, back: squamous cell carcinoma in situ")).behavior),
        "2"
    );
    assert_eq!(
        best(&code(&dx("Vulva: squamous cell carcinoma, in situ")).behavior),
        "2"
    );
    let c = code(&dx(
        "Breast, right: ductal carcinoma in situ and invasive ductal carcinoma",
    ));
    assert_eq!(
        (best(&c.histology), best(&c.behavior)),
        ("8500", "3"),
        "invasive wins over in situ"
    );
    let c = code(&dx(
        "Bladder: non-invasive papillary urothelial carcinoma, low grade",
    ));
    assert_eq!((best(&c.histology), best(&c.behavior)), ("8130", "2"));
}

#[test]
fn negated_and_history_terms_are_not_coded() {
    let c = code(&dx(
        "Lymph node, right axilla: negative for metastatic carcinoma. History of melanoma.",
    ));
    assert!(c.histology.is_empty(), "{:?}", c.histology);
    let c = code(&dx(
        "Breast, left: benign. No evidence of ductal carcinoma in situ.",
    ));
    assert!(c.histology.is_empty(), "{:?}", c.histology);
    // "negative for malignancy" contains "malignancy" but is benign wording.
    let c = code(&dx("Thyroid, FNA: negative for malignancy."));
    assert!(c.histology.is_empty(), "{:?}", c.histology);
}

#[test]
fn most_specific_term_wins() {
    let c = code(&dx("Skin, left cheek: invasive melanoma, nodular type"));
    assert_eq!(summary(&c), s(["C443", "8721", "3", "2", ""]));
    let c = code(&dx(
        "Sella: pituitary adenoma (pituitary neuroendocrine tumor)",
    ));
    assert_eq!(
        (best(&c.primary_site), best(&c.histology), best(&c.behavior)),
        ("C751", "8272", "0")
    );
    let c = code(&dx(
        "Colon, cecum: adenocarcinoma arising in a tubular adenoma",
    ));
    assert_eq!(best(&c.histology), "8210");
}

#[test]
fn site_specific_readings() {
    let c = code(&dx(
        "Thyroid, total thyroidectomy: papillary carcinoma, 1.2 cm.",
    ));
    assert_eq!(
        (best(&c.primary_site), best(&c.histology)),
        ("C739", "8260")
    );
    let c = code(&dx("Breast, left: papillary carcinoma."));
    assert_eq!(best(&c.histology), "8050");
}

#[test]
fn skin_body_parts_heme_and_cns_sites() {
    let c = code(&dx(
        "RIGHT FOREARM, SHAVE BIOPSY: BASAL CELL CARCINOMA, NODULAR TYPE.",
    ));
    assert_eq!(summary(&c), s(["C446", "8097", "3", "1", ""]));
    // A body part is not a site for other tumours.
    let c = code(&dx("LEFT ARM MASS: LEIOMYOSARCOMA"));
    assert_ne!(best(&c.primary_site), "C446");
    let c = code(&dx(
        "Lymph node, left inguinal, excision: follicular lymphoma, grade 1-2",
    ));
    assert_eq!(summary(&c), s(["C774", "9691", "3", "0", ""]));
    let c = code(&dx(
        "Lymph node, right axillary: chronic lymphocytic leukemia/small lymphocytic lymphoma",
    ));
    assert_eq!(
        best(&c.primary_site),
        "C421",
        "CLL/SLL is coded to bone marrow"
    );
    let c = code(&dx(
        "Brain, right parietal, resection: meningioma, CNS WHO grade 1",
    ));
    assert_eq!(summary(&c), s(["C700", "9530", "0", "1", "1"]));
    let c = code(&dx(
        "Lymph node, left axillary, excision: metastatic adenocarcinoma",
    ));
    assert_eq!(
        best(&c.primary_site),
        "C809",
        "a carcinoma in a node has an unknown primary"
    );
    assert!(c.primary_site[0].confidence < 60);
}

#[test]
fn synoptic_answers_come_first() {
    let report = ReportText {
        sections: vec![(
            SectionKind::FinalDiagnosis,
            "Breast, right, mastectomy: carcinoma, see checklist.".into(),
        )],
        synoptic: vec![
            item("BREAST INVASIVE RESECTION", "Specimen Laterality", "Right"),
            item(
                "BREAST INVASIVE RESECTION",
                "Tumor Site",
                "Lower inner quadrant",
            ),
            item(
                "BREAST INVASIVE RESECTION",
                "Histologic Type",
                "Invasive lobular carcinoma",
            ),
            item(
                "BREAST INVASIVE RESECTION",
                "Histologic Grade (Nottingham Histologic Score)",
                "Grade 2 (scores of 6 or 7)",
            ),
        ],
        icd10_codes: vec!["C50.911".into()],
    };
    let c = code(&report);
    assert_eq!(summary(&c), s(["C503", "8520", "3", "1", "2"]));
    assert_eq!(c.histology[0].evidence[0].source, EvidenceSource::Synoptic);
    assert_eq!(
        c.histology[0].evidence[0].location,
        Some(TextLocation::Synoptic(2))
    );
    assert_eq!(
        c.primary_site[0].evidence[0].source,
        EvidenceSource::Synoptic
    );
    assert_eq!(c.laterality[0].evidence[0].source, EvidenceSource::Synoptic);
    assert!(c.histology[0].confidence >= 95);
}

#[test]
fn synoptic_template_names_the_organ() {
    let report = ReportText {
        synoptic: vec![
            item("THYROID GLAND", "Procedure", "Right lobectomy"),
            item("THYROID GLAND", "", "Papillary thyroid carcinoma"),
            item("THYROID GLAND", "Tumor Site", "Right lobe"),
        ],
        ..ReportText::default()
    };
    let c = code(&report);
    assert_eq!(summary(&c), s(["C739", "8260", "3", "0", ""]));
}

#[test]
fn icd10_gives_site_and_side_when_text_does_not() {
    let mut r = dx("Invasive ductal carcinoma, Nottingham grade 3 (score 8).");
    r.icd10_codes =
        vec!["C50.412^Malignant neoplasm of upper-outer quadrant of left female breast^I10".into()];
    let c = code(&r);
    assert_eq!(summary(&c), s(["C504", "8500", "3", "2", "3"]));
    assert_eq!(c.primary_site[0].evidence[0].source, EvidenceSource::Icd10);
    assert_eq!(c.laterality[0].evidence[0].source, EvidenceSource::Icd10);
    // Secondary-site codes (C77-C79) are not the primary site.
    let mut r = dx("Papillary thyroid carcinoma.");
    r.icd10_codes = vec!["C77.0".into(), "C73".into()];
    assert_eq!(best(&code(&r).primary_site), "C739");
    // ICD-10 histology when the text has none (melanoma codes).
    let r = ReportText {
        icd10_codes: vec!["C43.62".into()],
        ..ReportText::default()
    };
    let c = code(&r);
    assert_eq!(summary(&c), s(["C446", "8720", "3", "2", ""]));
}

#[test]
fn precedence_and_refinement_between_sources() {
    // ICD-10 (C50.9, breast NOS) is refined by the text's quadrant; laterality agrees.
    let mut r = dx("BREAST, RIGHT, UPPER OUTER QUADRANT, EXCISION: INVASIVE DUCTAL CARCINOMA");
    r.icd10_codes = vec!["C50.911".into()];
    let c = code(&r);
    assert_eq!(best(&c.primary_site), "C504");
    let sources: Vec<EvidenceSource> = c.primary_site[0]
        .evidence
        .iter()
        .map(|e| e.source)
        .collect();
    assert!(
        sources.contains(&EvidenceSource::Text) && sources.contains(&EvidenceSource::Icd10),
        "{sources:?}"
    );
    // A specific ICD-10 site beats a vaguer, different text site; the text stays an alternative.
    let mut r = dx("Colon, biopsy: adenocarcinoma.");
    r.icd10_codes = vec!["C18.2".into()];
    let c = code(&r);
    assert_eq!(best(&c.primary_site), "C182");
    // Synoptic beats ICD-10 for a different site group.
    let r = ReportText {
        synoptic: vec![item(
            "KIDNEY RESECTION",
            "Histologic Type",
            "Clear cell renal cell carcinoma",
        )],
        icd10_codes: vec!["C80.1".into()],
        ..ReportText::default()
    };
    let c = code(&r);
    assert_eq!(best(&c.primary_site), "C649");
    assert!(
        c.primary_site.iter().any(|s| s.code == "C809"),
        "ICD-10 kept as alternative"
    );
    // A NOS checklist answer gives way to a specific text term.
    let r = ReportText {
        sections: vec![(
            SectionKind::FinalDiagnosis,
            "Lung, left upper lobe: adenocarcinoma".into(),
        )],
        synoptic: vec![item("LUNG", "Histologic Type", "Carcinoma")],
        ..ReportText::default()
    };
    assert_eq!(best(&code(&r).histology), "8140");
    // Text histology beats an ICD-10 histology; ICD-10 fills a NOS text term.
    let mut r = dx("Skin, left arm: melanoma in situ");
    r.icd10_codes = vec!["D03.62".into()];
    let c = code(&r);
    assert_eq!((best(&c.histology), best(&c.behavior)), ("8720", "2"));
}

#[test]
fn laterality_rules() {
    // Not a paired site.
    assert_eq!(
        best(&code(&dx("Thyroid, left lobe: papillary carcinoma")).laterality),
        "0"
    );
    // Paired site, side not stated.
    assert_eq!(
        best(&code(&dx("Lung, biopsy: small cell carcinoma")).laterality),
        "9"
    );
    // The side next to the organ the site came from, not another part's side.
    let c = code(&dx(
        "OVARY, RIGHT, EXCISION: HIGH-GRADE SEROUS CARCINOMA.\nLEFT OVARY: NEGATIVE FOR CARCINOMA.",
    ));
    assert_eq!(best(&c.laterality), "1");
    assert_eq!(
        best(&code(&dx("Ovaries, bilateral: serous carcinoma")).laterality),
        "4"
    );
}

#[test]
fn grade_systems_by_site() {
    let c = code(&dx(
        "Brain, left frontal lobe: glioblastoma, CNS WHO grade 4",
    ));
    assert_eq!(
        (c.grade[0].system, c.grade[0].code.as_deref()),
        (GradeSystem::WhoCns, Some("4"))
    );
    let c = code(&dx(
        "Prostate, needle biopsies: A. adenocarcinoma, Gleason 3+4=7. B. adenocarcinoma, Gleason 4+5=9 (grade group 5).",
    ));
    assert_eq!(c.grade[0].code.as_deref(), Some("5"), "worst grade group");
    let c = code(&dx(
        "Bone marrow: acute myeloid leukemia, poorly differentiated",
    ));
    assert!(c.grade.is_empty(), "no grade for leukemia");
    let c = code(&dx(
        "Stomach, antrum: adenocarcinoma, moderately to poorly differentiated",
    ));
    assert_eq!(c.grade[0].code.as_deref(), Some("3"));
}

#[test]
fn never_panics_on_odd_input() {
    let coder = coder();
    let screener = Screener::with_defaults();
    for text in [
        "",
        "o'clock",
        "13 o'clock breast left carcinoma",
        "breast",
        "\u{0}",
        "é",
        "1.",
        "gleason 9+",
        "grade group",
        "nottingham /9",
        "who grade",
    ] {
        let r = dx(text);
        let _ = coder.suggest(&r, &screener.screen(&r));
    }
    let r = ReportText {
        synoptic: vec![item("", "", "")],
        icd10_codes: vec!["".into(), "C".into(), "..".into()],
        ..ReportText::default()
    };
    let _ = coder.suggest(&r, &screener.screen(&r));
}
