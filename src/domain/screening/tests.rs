use super::*;

fn dx(text: &str) -> ReportText {
    ReportText {
        sections: vec![(SectionKind::FinalDiagnosis, text.to_string())],
        ..ReportText::default()
    }
}

fn screen(text: &str) -> ScreeningResult {
    Screener::with_defaults().screen(&dx(text))
}

/// Assertion of the positive term spelled `term` (first occurrence).
fn assertion_of(r: &ScreeningResult, term: &str) -> Option<Assertion> {
    r.hits
        .iter()
        .find(|h| h.role == PhraseRole::Positive && h.phrase.eq_ignore_ascii_case(term))
        .and_then(|h| h.assertion)
}

#[test]
fn default_lists_parse_and_round_trip() {
    let lists = ScreeningLists::from_text(DEFAULT_LISTS).expect("shipped lists parse");
    assert_eq!(lists.version, 1);
    assert!(
        lists.positive.len() > 100,
        "positive terms: {}",
        lists.positive.len()
    );
    assert!(lists.positive.contains(&"*carcinoma*".to_string()));
    let again = ScreeningLists::from_text(&lists.to_text()).expect("text form parses back");
    assert_eq!(again, lists);
    let json = serde_json::to_string(&lists).expect("serializes");
    let back: ScreeningLists = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, lists);
    assert!(Screener::new(&lists).expect("compiles").phrase_count() > 300);
}

#[test]
fn list_errors_name_the_line() {
    assert_eq!(
        ScreeningLists::from_text("version = 2\ncarcinoma\n"),
        Err(ListError::OutsideList {
            line: 2,
            text: "carcinoma".to_string()
        })
    );
    assert!(matches!(
        ScreeningLists::from_text("[positives]\n"),
        Err(ListError::UnknownList { line: 1, .. })
    ));
    assert!(matches!(
        ScreeningLists::from_text("version = two\n"),
        Err(ListError::BadVersion { line: 1, .. })
    ));
    let mut empty = ScreeningLists::default();
    empty.positive.clear();
    assert_eq!(
        Screener::new(&empty).err(),
        Some(ListError::NoPositiveTerms)
    );
    let mut bad = ScreeningLists::default();
    bad.benign.push("--".to_string());
    assert!(matches!(
        Screener::new(&bad),
        Err(ListError::EmptyPhrase { .. })
    ));
}

#[test]
fn affirmed_diagnosis_is_reportable_with_its_span() {
    let text = "BREAST, LEFT: INVASIVE DUCTAL CARCINOMA, GRADE 2.";
    let r = screen(text);
    assert_eq!(r.status, ReportabilityStatus::Reportable);
    let hit = r
        .hits
        .iter()
        .find(|h| h.role == PhraseRole::Positive)
        .expect("a positive hit");
    assert_eq!(&text[hit.span.clone()], "CARCINOMA");
    assert_eq!(hit.location, TextLocation::Section(0));
    assert_eq!(r.lists_version, 1);
}

#[test]
fn negation_before_the_term_and_its_scope() {
    let r = screen("Lymph nodes: negative for metastatic carcinoma (0/3).");
    assert_eq!(r.status, ReportabilityStatus::NotReportable);
    assert_eq!(assertion_of(&r, "carcinoma"), Some(Assertion::Negated));
    assert_eq!(assertion_of(&r, "metastatic"), Some(Assertion::Negated));
    // A list after the trigger stays in scope.
    let r = screen("Negative for atypia, dysplasia, or carcinoma.");
    assert_eq!(assertion_of(&r, "carcinoma"), Some(Assertion::Negated));
    // The sentence ends the scope.
    let r = screen("No lymphovascular invasion. Invasive carcinoma present.");
    assert_eq!(assertion_of(&r, "carcinoma"), Some(Assertion::Affirmed));
    assert_eq!(r.status, ReportabilityStatus::Reportable);
    // "but" ends it too.
    let r = screen("No in situ component but invasive carcinoma is present");
    assert_eq!(assertion_of(&r, "carcinoma"), Some(Assertion::Affirmed));
    // The scope is at most 8 words.
    let r = screen("No atypia of the glands seen in any of the many sections and carcinoma");
    assert_eq!(assertion_of(&r, "carcinoma"), Some(Assertion::Affirmed));
}

#[test]
fn negation_after_the_term_stays_in_its_clause() {
    let r = screen("Residual carcinoma: not identified.");
    assert_eq!(assertion_of(&r, "carcinoma"), Some(Assertion::Negated));
    let r = screen("Invasive ductal carcinoma.\nLymphovascular invasion: not identified.");
    assert_eq!(assertion_of(&r, "carcinoma"), Some(Assertion::Affirmed));
    let r = screen("Adenocarcinoma, margins free; perineural invasion not identified");
    assert_eq!(
        assertion_of(&r, "adenocarcinoma"),
        Some(Assertion::Affirmed)
    );
}

#[test]
fn pseudo_negations_negate_nothing() {
    let r = screen("Invasive carcinoma (no special type), grade 2.");
    assert_eq!(r.status, ReportabilityStatus::Reportable);
    assert!(
        r.excluded.iter().all(|e| e.assertion != Assertion::Negated),
        "'no special type' is not a negation: {:?}",
        r.excluded
    );
    let r = screen("HER2 by in situ hybridization: not amplified.");
    assert!(
        assertion_of(&r, "in situ").is_none(),
        "ISH is not an in situ tumour"
    );
}

#[test]
fn history_and_rule_out_are_not_diagnoses() {
    for text in [
        "History of breast carcinoma. Benign breast tissue.",
        "R/O lymphoma. Reactive lymphoid hyperplasia.",
        "Rule out malignancy; chronic inflammation.",
        "Status post lumpectomy for carcinoma; scar only.",
    ] {
        let r = screen(text);
        assert_eq!(r.status, ReportabilityStatus::NotReportable, "{text}");
    }
    let r = screen("History of breast carcinoma. Metastatic carcinoma in liver.");
    assert_eq!(r.status, ReportabilityStatus::Reportable);
}

#[test]
fn seer_ambiguous_terms() {
    for text in [
        "Atypical glands, suspicious for adenocarcinoma.",
        "Findings consistent with lymphoma.",
        "Compatible with metastatic melanoma.",
        "Most likely squamous cell carcinoma.",
        "Presumed carcinoma.",
        "Probable leukemia.",
    ] {
        assert_eq!(
            screen(text).status,
            ReportabilityStatus::Reportable,
            "{text}"
        );
    }
    for text in [
        "Carcinoma cannot be ruled out.",
        "Cannot exclude carcinoma.",
        "Questionable carcinoma.",
        "Possible lymphoma.",
        "Equivocal for malignancy",
        "Findings suggestive of carcinoma.",
    ] {
        let r = screen(text);
        assert_eq!(r.status, ReportabilityStatus::NeedsReview, "{text}");
        assert!(r.reasons.iter().any(|x| x.contains("ambiguous")), "{text}");
    }
}

#[test]
fn non_diagnostic_sections_do_not_decide() {
    let report = ReportText {
        sections: vec![
            (SectionKind::History, "Breast cancer.".to_string()),
            (
                SectionKind::Gross,
                "Labeled 'left breast carcinoma'.".to_string(),
            ),
            (
                SectionKind::FinalDiagnosis,
                "Benign breast tissue.".to_string(),
            ),
        ],
        ..ReportText::default()
    };
    let r = Screener::with_defaults().screen(&report);
    assert_eq!(r.status, ReportabilityStatus::NotReportable);
    let hist = r
        .hits
        .iter()
        .find(|h| h.location == TextLocation::Section(0))
        .expect("history term still highlighted");
    assert_eq!(hist.assertion, Some(Assertion::NotDiagnosticSection));
}

#[test]
fn icd10_codes_and_missing_text() {
    let synoptic_only = ReportText {
        icd10_codes: vec!["C50.412".to_string()],
        ..ReportText::default()
    };
    assert_eq!(
        Screener::with_defaults().screen(&synoptic_only).status,
        ReportabilityStatus::Reportable
    );
    let nothing = ReportText::default();
    assert_eq!(
        Screener::with_defaults().screen(&nothing).status,
        ReportabilityStatus::NeedsReview
    );
    let mut conflicting = dx("Benign.");
    conflicting.icd10_codes.push("C61".to_string());
    assert_eq!(
        Screener::with_defaults().screen(&conflicting).status,
        ReportabilityStatus::NeedsReview
    );
    assert!(icd10_is_reportable("C50.412"));
    assert!(icd10_is_reportable("D05.11"));
    assert!(icd10_is_reportable("D32.0"));
    assert!(icd10_is_reportable("D35.2"));
    assert!(!icd10_is_reportable("D36.9"));
    assert!(!icd10_is_reportable("N60.1"));
    assert!(!icd10_is_reportable("C"));
}

#[test]
fn synoptic_answers_are_screened_not_questions() {
    let report = ReportText {
        synoptic: vec![
            SynopticItem {
                template: "BREAST".into(),
                question: "Distance from invasive carcinoma to margin".into(),
                answer: "5 mm".into(),
            },
            SynopticItem {
                template: "BREAST".into(),
                question: "Margin status".into(),
                answer: "All margins negative for invasive carcinoma".into(),
            },
        ],
        ..ReportText::default()
    };
    let r = Screener::with_defaults().screen(&report);
    assert_eq!(r.status, ReportabilityStatus::NotReportable);
}

#[test]
fn plain_text_headings_become_sections() {
    let t = ReportText::from_plain_text(
        "CLINICAL HISTORY: r/o carcinoma\nFINAL DIAGNOSIS:\nSkin, left arm: melanoma in situ.\nCOMMENT:\nMargins clear.",
    );
    let kinds: Vec<SectionKind> = t.sections.iter().map(|s| s.0).collect();
    assert_eq!(
        kinds,
        [
            SectionKind::History,
            SectionKind::FinalDiagnosis,
            SectionKind::Comment
        ]
    );
    assert_eq!(t.sections[1].1, "Skin, left arm: melanoma in situ.");
    let bare = ReportText::from_plain_text("Adenocarcinoma of colon.");
    assert_eq!(
        bare.sections,
        vec![(
            SectionKind::FinalDiagnosis,
            "Adenocarcinoma of colon.".to_string()
        )]
    );
}

#[test]
fn never_panics_on_odd_input() {
    let s = Screener::with_defaults();
    for text in [
        "",
        " ",
        "\n\n\n",
        "no",
        "NOT",
        ":::",
        "é carcinome ü",
        "1.",
        "carcinoma\u{0}",
        "r/o",
        "\\.br\\",
    ] {
        let _ = s.screen(&dx(text));
    }
}

// ---- reportability rules

fn codes(site: &str, hist: &str, beh: char) -> TumorCodes {
    TumorCodes {
        primary_site: Some(site.to_string()),
        histology: Some(hist.to_string()),
        behavior: Some(beh),
    }
}

fn decide_on(text: &str, c: &TumorCodes) -> ReportabilityDecision {
    decide(&screen(text), c, &ReportabilityRules::default())
}

#[test]
fn rule_skin_keratinocyte_carcinoma_is_not_reportable() {
    let d = decide_on("Basal cell carcinoma.", &codes("C443", "8090", '3'));
    assert_eq!(d.status, ReportabilityStatus::NotReportable);
    assert_eq!(d.rule_id.as_deref(), Some("skin-keratinocyte"));
    assert!(d.reasons.iter().any(|r| r.contains("C44")));
    let d = decide_on("Squamous cell carcinoma.", &codes("C446", "8070", '3'));
    assert_eq!(d.status, ReportabilityStatus::NotReportable);
    // Genital skin is coded to its own site and stays reportable.
    for site in ["C632", "C600", "C510", "C529"] {
        let d = decide_on("Squamous cell carcinoma.", &codes(site, "8070", '3'));
        assert_eq!(d.status, ReportabilityStatus::Reportable, "{site}");
    }
    // Melanoma of skin is reportable.
    let d = decide_on("Melanoma.", &codes("C445", "8720", '3'));
    assert_eq!(d.status, ReportabilityStatus::Reportable);
}

#[test]
fn rule_cervix_in_situ_and_pin3() {
    let d = decide_on("CIN III.", &codes("C539", "8077", '2'));
    assert_eq!(
        (d.status, d.rule_id.as_deref()),
        (ReportabilityStatus::NotReportable, Some("cervix-in-situ"))
    );
    let d = decide_on("PIN III.", &codes("C619", "8148", '2'));
    assert_eq!(
        (d.status, d.rule_id.as_deref()),
        (ReportabilityStatus::NotReportable, Some("prostate-pin3"))
    );
    // AIN III, VIN III are reportable in situ.
    let d = decide_on("AIN III.", &codes("C211", "8077", '2'));
    assert_eq!(
        (d.status, d.rule_id.as_deref()),
        (ReportabilityStatus::Reportable, Some("in-situ"))
    );
    let d = decide_on("Invasive carcinoma of cervix.", &codes("C539", "8070", '3'));
    assert_eq!(d.status, ReportabilityStatus::Reportable);
}

#[test]
fn rule_benign_cns_reportable_and_other_benign_not() {
    let d = decide_on("Meningioma.", &codes("C700", "9530", '0'));
    assert_eq!(
        (d.status, d.rule_id.as_deref()),
        (ReportabilityStatus::Reportable, Some("cns-non-malignant"))
    );
    let d = decide_on("Pituitary adenoma.", &codes("C751", "8272", '0'));
    assert_eq!(d.status, ReportabilityStatus::Reportable);
    let d = decide_on("Schwannoma.", &codes("C492", "9560", '0'));
    assert_eq!(
        (d.status, d.rule_id.as_deref()),
        (
            ReportabilityStatus::NotReportable,
            Some("non-malignant-other")
        )
    );
    let d = decide_on("Tubular adenoma.", &codes("C184", "8211", '0'));
    assert_eq!(d.status, ReportabilityStatus::NotReportable);
    // Benign histology without a site: the CNS rule might apply, so a registrar looks.
    let c = TumorCodes {
        primary_site: None,
        histology: Some("9560".into()),
        behavior: Some('0'),
    };
    assert_eq!(
        decide_on("Schwannoma.", &c).status,
        ReportabilityStatus::NeedsReview
    );
}

#[test]
fn rule_outcomes_keep_screening_review_and_uncoded_results() {
    let d = decide_on("Carcinoma cannot be excluded.", &codes("C509", "8010", '3'));
    assert_eq!(d.status, ReportabilityStatus::NeedsReview);
    assert!(d.rule_id.is_none());
    let d = decide_on("Carcinoma.", &TumorCodes::default());
    assert_eq!(d.status, ReportabilityStatus::Reportable);
    let d = decide_on("Benign.", &TumorCodes::default());
    assert_eq!(d.status, ReportabilityStatus::NotReportable);
}

#[test]
fn rules_are_data_a_state_can_change() {
    let mut rules = ReportabilityRules::default();
    // A state that collects cervical CIN III.
    rules.rules.retain(|r| r.id != "cervix-in-situ");
    rules.version += 1;
    let d = decide(&screen("CIN III."), &codes("C539", "8077", '2'), &rules);
    assert_eq!(d.status, ReportabilityStatus::Reportable);
    let json = serde_json::to_string(&rules).expect("serializes");
    let back: ReportabilityRules = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, rules);
}

#[test]
fn rules_text_round_trips_and_errors_name_the_line() {
    let rules = ReportabilityRules::default();
    let text = rules.to_text();
    let back = ReportabilityRules::from_text(&text, 1).expect("default rules read back");
    assert_eq!(back, rules);
    let err = ReportabilityRules::from_text("name = Vermont\nskin | C44 | | | no | x\n", 2)
        .expect_err("bad site");
    assert!(err.to_string().contains("line 2"), "{err}");
    assert!(err.to_string().contains("C44"), "{err}");
    let err = ReportabilityRules::from_text("a | C440 | 8000 | 3 | maybe | x\n", 2)
        .expect_err("bad outcome");
    assert!(err.to_string().contains("maybe"), "{err}");
    let err = ReportabilityRules::from_text("a | | | 3 | reportable\n", 2).expect_err("fields");
    assert!(err.to_string().contains("6 fields"), "{err}");
    let vt = ReportabilityRules::from_text(
        "name = State of Vermont\nall-skin | C440-C449 | | | reportable | Vermont collects skin\n",
        3,
    )
    .expect("state rules");
    assert_eq!(vt.name, "State of Vermont");
    assert_eq!(vt.version, 3);
}

#[test]
fn lists_from_text_boxes_are_checked() {
    let d = ScreeningLists::default();
    let boxes: Vec<(String, String)> = LIST_NAMES
        .iter()
        .map(|n| (n.to_string(), d.list_text(n)))
        .collect();
    let back = ScreeningLists::from_boxes(
        d.version,
        boxes.iter().map(|(n, t)| (n.as_str(), t.as_str())),
    )
    .expect("defaults");
    assert_eq!(back, d, "every list comes back from its box");
    let err = ScreeningLists::from_boxes(2, [("positive", "carcinoma\n---\n")]).expect_err("punct");
    assert!(err.to_string().contains("---"), "{err}");
    let err = ScreeningLists::from_boxes(2, [("positive", "  \n")]).expect_err("no positive");
    assert!(err.to_string().contains("positive list is empty"), "{err}");
}
