//! Staging cases worked out by hand from the published tables of eod_public 3.3 and 3.2
//! (synthetic tumors). Each comment follows the tables the schema's mapping visits:
//! EOD Primary Tumor → T component, EOD Regional Nodes → N component, EOD Mets → M
//! component, then the summary stage table (`summary_stage_rpa` unless named):
//! IS+NONE+NONE → 0, L+NONE+NONE → 1, RE+NONE+NONE → 2, (L|U)+RN → 3, RE+RN → 4,
//! any D → 7, U+(NONE|U)+(NONE|U) → 9. Derived grade comes from `combined_grade_56638`
//! (or the schema's own combined grade table): the rows are ordered from the highest grade
//! down, the first row whose clinical or pathological grade is that grade wins, and 9/9 → 9.

/// One hand-worked case.
pub(crate) struct Case {
    pub(crate) name: &'static str,
    /// Algorithm version the case runs on.
    pub(crate) version: &'static str,
    pub(crate) inputs: &'static [(&'static str, &'static str)],
    pub(crate) status: &'static str,
    /// Selected schema (algorithm id).
    pub(crate) schema: Option<&'static str>,
    /// Expected outputs by NAACCR XML id; an empty value means the output must be absent.
    pub(crate) outputs: &'static [(&'static str, &'static str)],
    /// (error type, NAACCR XML id or table it names) that must be reported.
    pub(crate) errors: &'static [(&'static str, &'static str)],
}

const NO_ERRORS: &[(&str, &str)] = &[];

pub(crate) const CASES: &[Case] = &[
    // ---------------------------------------------------------------- breast (00480)
    Case {
        // extension_bak 100 → L; nodes_daj 000 → NONE; mets_hau 00 → NONE → SS 1.
        // combined_grade_breast_8723, behavior 3: row "3 | * | 3" → grade_path 3.
        name: "breast invasive localized",
        version: "3.3",
        inputs: &[
            ("primarySite", "C504"),
            ("histologicTypeIcdO3", "8500"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20220315"),
            ("eodPrimaryTumor", "100"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
            ("gradeClinical", "2"),
            ("gradePathological", "3"),
        ],
        status: "staged",
        schema: Some("breast"),
        outputs: &[
            ("derivedSummaryStage2018", "1"),
            ("derivedSummaryGrade2018", "3"),
            ("schemaId", "00480"),
            ("derivedEod2018T", ""),
            ("derivedEod2018StageGroup", ""),
        ],
        errors: NO_ERRORS,
    },
    Case {
        // DCIS: extension_bak 000 → IS; 000 → NONE; 00 → NONE → SS 0.
        // combined grade, behavior 2: first row "2 | * | H" → grade_path H (nuclear grade high).
        name: "breast DCIS",
        version: "3.3",
        inputs: &[
            ("primarySite", "C508"),
            ("histologicTypeIcdO3", "8500"),
            ("behaviorCodeIcdO3", "2"),
            ("dateOfDiagnosis", "20230101"),
            ("eodPrimaryTumor", "000"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
            ("gradeClinical", "9"),
            ("gradePathological", "H"),
        ],
        status: "staged",
        schema: Some("breast"),
        outputs: &[
            ("derivedSummaryStage2018", "0"),
            ("derivedSummaryGrade2018", "H"),
        ],
        errors: NO_ERRORS,
    },
    Case {
        // Paget 050 JUMPs to behavior_with_primary_tumor_for_ss2018_t_69793: "050,070 | 3" → L;
        // nodes 200 → RN; 00 → NONE; L+RN → 3. Grades default to 9/9: only the last
        // behavior-3 row "2,3 | 9 | 9" matches → 9.
        name: "breast Paget with nodes, grade defaults",
        version: "3.3",
        inputs: &[
            ("primarySite", "C500"),
            ("histologicTypeIcdO3", "8540"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20210704"),
            ("eodPrimaryTumor", "050"),
            ("eodRegionalNodes", "200"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("breast"),
        outputs: &[
            ("derivedSummaryStage2018", "3"),
            ("derivedSummaryGrade2018", "9"),
        ],
        errors: NO_ERRORS,
    },
    Case {
        // Paget 050 with behavior 2: jump table row "050,070 | 2" → IS; 000/00 → SS 0.
        name: "breast Paget in situ via JUMP",
        version: "3.3",
        inputs: &[
            ("primarySite", "C500"),
            ("histologicTypeIcdO3", "8540"),
            ("behaviorCodeIcdO3", "2"),
            ("dateOfDiagnosis", "20210704"),
            ("eodPrimaryTumor", "050"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("breast"),
        outputs: &[("derivedSummaryStage2018", "0")],
        errors: NO_ERRORS,
    },
    Case {
        // 100 → L; nodes 700 (supraclavicular) → D; 00 → NONE; row "L,RE,U | D | *" → 7.
        name: "breast supraclavicular nodes are distant",
        version: "3.3",
        inputs: &[
            ("primarySite", "C504"),
            ("histologicTypeIcdO3", "8500"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20200101"),
            ("eodPrimaryTumor", "100"),
            ("eodRegionalNodes", "700"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("breast"),
        outputs: &[("derivedSummaryStage2018", "7")],
        errors: NO_ERRORS,
    },
    Case {
        // Defaults only: eod 999/999/00 → U, U, NONE → "U | NONE,U,NA | NONE,U,NA" → 9;
        // grades 9/9 → 9.
        name: "breast defaults when EOD is blank",
        version: "3.3",
        inputs: &[
            ("primarySite", "C509"),
            ("histologicTypeIcdO3", "8500"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "2024"),
        ],
        status: "staged",
        schema: Some("breast"),
        outputs: &[
            ("derivedSummaryStage2018", "9"),
            ("derivedSummaryGrade2018", "9"),
        ],
        errors: NO_ERRORS,
    },
    Case {
        // 123 is not in extension_bak: INVALID_REQUIRED_INPUT; the T table then has no row
        // (MATCH_NOT_FOUND), ss2018_t stays unset, summary_stage_rpa finds no row for a
        // blank T and SS keeps its default 9.
        name: "breast invalid EOD primary tumor",
        version: "3.3",
        inputs: &[
            ("primarySite", "C504"),
            ("histologicTypeIcdO3", "8500"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20220315"),
            ("eodPrimaryTumor", "123"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
        ],
        status: "invalid input",
        schema: Some("breast"),
        outputs: &[("derivedSummaryStage2018", "9")],
        errors: &[
            ("INVALID_REQUIRED_INPUT", "eodPrimaryTumor"),
            ("MATCH_NOT_FOUND", "extension_bak"),
        ],
    },
    Case {
        // er_summary_44166 lists 0, 1, 7, 9: "5" is invalid but ER is not used for staging,
        // so the run stays "staged" (SS: 200 → RE, 000, 00 → 2) and reports the SSDI.
        name: "breast invalid SSDI not used for staging",
        version: "3.3",
        inputs: &[
            ("primarySite", "C504"),
            ("histologicTypeIcdO3", "8500"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20220315"),
            ("eodPrimaryTumor", "200"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
            ("estrogenReceptorSummary", "5"),
        ],
        status: "staged",
        schema: Some("breast"),
        outputs: &[("derivedSummaryStage2018", "2")],
        errors: &[("INVALID_NON_REQUIRED_INPUT", "estrogenReceptorSummary")],
    },
    Case {
        // Upstream staging-client-java breast case on 3.2: 100 → L, 200 → RN, 00 → NONE → 3;
        // 3.2 also derives T2 N1 M0 stage 2B (AJCC 8th tables, upstream expectation).
        name: "breast upstream case on 3.2",
        version: "3.2",
        inputs: &[
            ("primarySite", "C502"),
            ("histologicTypeIcdO3", "8500"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "2020"),
            ("tumorSizeSummary", "025"),
            ("eodPrimaryTumor", "100"),
            ("eodRegionalNodes", "200"),
            ("eodMets", "00"),
            ("gradeClinical", "1"),
            ("gradePathological", "1"),
            ("estrogenReceptorSummary", "1"),
            ("progesteroneRecepSummary", "0"),
            ("her2OverallSummary", "0"),
        ],
        status: "staged",
        schema: Some("breast"),
        outputs: &[
            ("derivedSummaryStage2018", "3"),
            ("derivedEod2018T", "T2"),
            ("derivedEod2018N", "N1"),
            ("derivedEod2018M", "M0"),
            ("derivedEod2018StageGroup", "2B"),
            ("derivedSummaryGrade2018", "1"),
        ],
        errors: NO_ERRORS,
    },
    Case {
        // Same tumor on 3.3: SS 3 as above; 3.3 schemas have no EOD T/N/M/stage outputs.
        name: "breast upstream case on 3.3",
        version: "3.3",
        inputs: &[
            ("primarySite", "C502"),
            ("histologicTypeIcdO3", "8500"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "2020"),
            ("tumorSizeSummary", "025"),
            ("eodPrimaryTumor", "100"),
            ("eodRegionalNodes", "200"),
            ("eodMets", "00"),
            ("gradeClinical", "1"),
            ("gradePathological", "1"),
            ("estrogenReceptorSummary", "1"),
            ("progesteroneRecepSummary", "0"),
            ("her2OverallSummary", "0"),
        ],
        status: "staged",
        schema: Some("breast"),
        outputs: &[
            ("derivedSummaryStage2018", "3"),
            ("derivedSummaryGrade2018", "1"),
            ("derivedEod2018T", ""),
            ("derivedEod2018N", ""),
            ("derivedEod2018M", ""),
            ("derivedEod2018StageGroup", ""),
        ],
        errors: NO_ERRORS,
    },
    // ---------------------------------------------------------- colon/rectum (00200)
    Case {
        // extension_bao 300 → L; nodes_dan 000 → NONE; mets_hae 00 → NONE → 1.
        // Grade: clin 2, path 3: row "1,2,3,A,...,9 | 3" → path 3.
        name: "colon localized",
        version: "3.3",
        inputs: &[
            ("primarySite", "C187"),
            ("histologicTypeIcdO3", "8140"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20210610"),
            ("eodPrimaryTumor", "300"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
            ("gradeClinical", "2"),
            ("gradePathological", "3"),
        ],
        status: "staged",
        schema: Some("colon_rectum"),
        outputs: &[
            ("derivedSummaryStage2018", "1"),
            ("derivedSummaryGrade2018", "3"),
            ("schemaId", "00200"),
        ],
        errors: NO_ERRORS,
    },
    Case {
        // Rectum: 400 → RE; 500 → RN; 00 → NONE → 4. Grade defaults 9/9 → 9.
        name: "rectum extension and nodes",
        version: "3.3",
        inputs: &[
            ("primarySite", "C209"),
            ("histologicTypeIcdO3", "8140"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20190201"),
            ("eodPrimaryTumor", "400"),
            ("eodRegionalNodes", "500"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("colon_rectum"),
        outputs: &[
            ("derivedSummaryStage2018", "4"),
            ("derivedSummaryGrade2018", "9"),
        ],
        errors: NO_ERRORS,
    },
    Case {
        // 200 → L; 000 → NONE; 10 → D: row "L,RE,U | NONE,RN,U,NA | D" → 7.
        // Grade clin 1, path 9: no row for path 5..1 or clin 5..2 matches; row
        // "1 | A,B,C,D,E,L,M,H,9" → clin 1.
        name: "colon distant mets, clinical grade only",
        version: "3.3",
        inputs: &[
            ("primarySite", "C180"),
            ("histologicTypeIcdO3", "8140"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20230505"),
            ("eodPrimaryTumor", "200"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "10"),
            ("gradeClinical", "1"),
            ("gradePathological", "9"),
        ],
        status: "staged",
        schema: Some("colon_rectum"),
        outputs: &[
            ("derivedSummaryStage2018", "7"),
            ("derivedSummaryGrade2018", "1"),
        ],
        errors: NO_ERRORS,
    },
    Case {
        // 3.2: extension_bao 300 → T3/L; nodes_dan 000 → N0/NONE; mets_hae 00 → M0/NONE → SS 1.
        // ajcc_chapter_calculation_21765: 8140 → ajcc_id 20, in tnm8_inclusions_94807, so the
        // stage mapping runs: parse T3 → 3, N0 → 0, M0 → 0; tnm8_path_stage_upw "3|0|0" → 2A.
        name: "colon 3.2 derives T3 N0 M0 stage 2A",
        version: "3.2",
        inputs: &[
            ("primarySite", "C187"),
            ("histologicTypeIcdO3", "8140"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20210610"),
            ("eodPrimaryTumor", "300"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("colon_rectum"),
        outputs: &[
            ("derivedSummaryStage2018", "1"),
            ("derivedEod2018T", "T3"),
            ("derivedEod2018N", "N0"),
            ("derivedEod2018M", "M0"),
            ("derivedEod2018StageGroup", "2A"),
        ],
        errors: NO_ERRORS,
    },
    Case {
        // 3.2: 400 → T3/RE; 500 → N2a/RN; 00 → M0 → SS 4; stage table "3 | 2A | 0" → 3B.
        name: "colon 3.2 T3 N2a M0 stage 3B",
        version: "3.2",
        inputs: &[
            ("primarySite", "C187"),
            ("histologicTypeIcdO3", "8140"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20210610"),
            ("eodPrimaryTumor", "400"),
            ("eodRegionalNodes", "500"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("colon_rectum"),
        outputs: &[
            ("derivedSummaryStage2018", "4"),
            ("derivedEod2018T", "T3"),
            ("derivedEod2018N", "N2a"),
            ("derivedEod2018M", "M0"),
            ("derivedEod2018StageGroup", "3B"),
        ],
        errors: NO_ERRORS,
    },
    Case {
        // Same tumor on 3.3: SS 4 (RE+RN), no T/N/M outputs.
        name: "colon same tumor on 3.3",
        version: "3.3",
        inputs: &[
            ("primarySite", "C187"),
            ("histologicTypeIcdO3", "8140"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20210610"),
            ("eodPrimaryTumor", "400"),
            ("eodRegionalNodes", "500"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("colon_rectum"),
        outputs: &[
            ("derivedSummaryStage2018", "4"),
            ("derivedEod2018StageGroup", ""),
        ],
        errors: NO_ERRORS,
    },
    Case {
        // 3.2: 300 → T3/L; 000 → N0; 20 → M1a/D → SS 7; stage row
        // "0,1,2,3,4,4A,4B,X | * | 1A" → 4A.
        name: "colon 3.2 M1a stage 4A",
        version: "3.2",
        inputs: &[
            ("primarySite", "C187"),
            ("histologicTypeIcdO3", "8140"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20210610"),
            ("eodPrimaryTumor", "300"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "20"),
        ],
        status: "staged",
        schema: Some("colon_rectum"),
        outputs: &[
            ("derivedSummaryStage2018", "7"),
            ("derivedEod2018M", "M1a"),
            ("derivedEod2018StageGroup", "4A"),
        ],
        errors: NO_ERRORS,
    },
    // ------------------------------------------------------------------ lung (00360)
    Case {
        // lung (2018-2024): extension_baj 100 → L; nodes_dai 000; mets_hab 00 → 1.
        // Grade clin 9, path 2: row "1,2,A,...,9 | 2" → 2.
        name: "lung localized",
        version: "3.3",
        inputs: &[
            ("primarySite", "C341"),
            ("histologicTypeIcdO3", "8140"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20220808"),
            ("eodPrimaryTumor", "100"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
            ("gradeClinical", "9"),
            ("gradePathological", "2"),
        ],
        status: "staged",
        schema: Some("lung"),
        outputs: &[
            ("derivedSummaryStage2018", "1"),
            ("derivedSummaryGrade2018", "2"),
            ("schemaId", "00360"),
        ],
        errors: NO_ERRORS,
    },
    Case {
        // 450 → RE; 400 → RN; 00 → 4.
        name: "lung extension and nodes",
        version: "3.3",
        inputs: &[
            ("primarySite", "C343"),
            ("histologicTypeIcdO3", "8070"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20230115"),
            ("eodPrimaryTumor", "450"),
            ("eodRegionalNodes", "400"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("lung"),
        outputs: &[("derivedSummaryStage2018", "4")],
        errors: NO_ERRORS,
    },
    Case {
        // 300 → L; nodes 600 → D (distant nodes in the lung schema) → 7.
        name: "lung distant nodes",
        version: "3.3",
        inputs: &[
            ("primarySite", "C341"),
            ("histologicTypeIcdO3", "8140"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20220808"),
            ("eodPrimaryTumor", "300"),
            ("eodRegionalNodes", "600"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("lung"),
        outputs: &[("derivedSummaryStage2018", "7")],
        errors: NO_ERRORS,
    },
    Case {
        // 2025 diagnosis: schema_selection for lung is 2018-2024, lung_v9_2025 covers
        // 2025-9998 → the V9 schema is selected by year alone.
        name: "lung 2025 selects the V9 schema",
        version: "3.3",
        inputs: &[
            ("primarySite", "C341"),
            ("histologicTypeIcdO3", "8140"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20250301"),
        ],
        status: "staged",
        schema: Some("lung_v9_2025"),
        outputs: &[("derivedSummaryStage2018", "9")],
        errors: NO_ERRORS,
    },
    // -------------------------------------------------------------- prostate (00580)
    Case {
        // extension_bbo 200 → L (mapped to clin_ss2018_t); path extension defaults to 999 →
        // U (path_ss2018_t); combine_prostate_eod_extension_16771 row "IS,L,RE,D | U" → clin L;
        // 000 → NONE; 00 → NONE → 1. Grade clin 2, path 4: row "1,2,3,A,... | 4" → 4.
        name: "prostate clinical localized",
        version: "3.3",
        inputs: &[
            ("primarySite", "C619"),
            ("histologicTypeIcdO3", "8140"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20220202"),
            ("eodPrimaryTumor", "200"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
            ("gradeClinical", "2"),
            ("gradePathological", "4"),
        ],
        status: "staged",
        schema: Some("prostate"),
        outputs: &[
            ("derivedSummaryStage2018", "1"),
            ("derivedSummaryGrade2018", "4"),
            ("schemaId", "00580"),
        ],
        errors: NO_ERRORS,
    },
    Case {
        // Clinical 200 → L, pathological extension 500 → RE: combine row
        // "IS,L,RE,U | RE" → path RE; RE+NONE+NONE → 2.
        name: "prostate pathological extension wins",
        version: "3.3",
        inputs: &[
            ("primarySite", "C619"),
            ("histologicTypeIcdO3", "8140"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20220202"),
            ("eodPrimaryTumor", "200"),
            ("prostatePathologicalExtension", "500"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("prostate"),
        outputs: &[("derivedSummaryStage2018", "2")],
        errors: NO_ERRORS,
    },
    Case {
        // 200 → L (path U); nodes_dbf 300 → RN; 00 → L+RN → 3.
        name: "prostate regional nodes",
        version: "3.3",
        inputs: &[
            ("primarySite", "C619"),
            ("histologicTypeIcdO3", "8140"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20220202"),
            ("eodPrimaryTumor", "200"),
            ("eodRegionalNodes", "300"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("prostate"),
        outputs: &[("derivedSummaryStage2018", "3")],
        errors: NO_ERRORS,
    },
    Case {
        // mets_hal 30 → D → 7.
        name: "prostate bone mets",
        version: "3.3",
        inputs: &[
            ("primarySite", "C619"),
            ("histologicTypeIcdO3", "8140"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20220202"),
            ("eodPrimaryTumor", "200"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "30"),
        ],
        status: "staged",
        schema: Some("prostate"),
        outputs: &[("derivedSummaryStage2018", "7")],
        errors: NO_ERRORS,
    },
    // --------------------------------------------------------- melanoma skin (00470)
    Case {
        // summary_stage_rac: extension_ban 200 → L; nodes_dam 000 → NONE; mets_had 00 → 1.
        name: "melanoma skin localized",
        version: "3.3",
        inputs: &[
            ("primarySite", "C447"),
            ("histologicTypeIcdO3", "8720"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20210909"),
            ("eodPrimaryTumor", "200"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("melanoma_skin"),
        outputs: &[("derivedSummaryStage2018", "1"), ("schemaId", "00470")],
        errors: NO_ERRORS,
    },
    Case {
        // 000 → IS; 000; 00 → rac "IS | NONE,U | NONE,U" → 0.
        name: "melanoma skin in situ",
        version: "3.3",
        inputs: &[
            ("primarySite", "C447"),
            ("histologicTypeIcdO3", "8720"),
            ("behaviorCodeIcdO3", "2"),
            ("dateOfDiagnosis", "20210909"),
            ("eodPrimaryTumor", "000"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("melanoma_skin"),
        outputs: &[("derivedSummaryStage2018", "0")],
        errors: NO_ERRORS,
    },
    Case {
        // 300 → L; 300 → RN; 00 → rac "L,U | RN | NONE,U" → 3.
        name: "melanoma skin nodes",
        version: "3.3",
        inputs: &[
            ("primarySite", "C445"),
            ("histologicTypeIcdO3", "8721"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20210909"),
            ("eodPrimaryTumor", "300"),
            ("eodRegionalNodes", "300"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("melanoma_skin"),
        outputs: &[("derivedSummaryStage2018", "3")],
        errors: NO_ERRORS,
    },
    Case {
        // DCO: 999 → U; 999 → U; 99 → U: "L,RE,U | * | D" needs D; "U | NONE,U | NONE,U" → 9.
        name: "melanoma skin unknown (DCO)",
        version: "3.3",
        inputs: &[
            ("primarySite", "C447"),
            ("histologicTypeIcdO3", "8720"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20210909"),
            ("eodPrimaryTumor", "999"),
            ("eodRegionalNodes", "999"),
            ("eodMets", "99"),
        ],
        status: "staged",
        schema: Some("melanoma_skin"),
        outputs: &[("derivedSummaryStage2018", "9")],
        errors: NO_ERRORS,
    },
    // ---------------------------------------------------------- kidney (00600)
    Case {
        // extension_bbp 100 → L; nodes_dbg 000 → NONE; mets_hcg 00 → 1.
        name: "kidney localized",
        version: "3.3",
        inputs: &[
            ("primarySite", "C649"),
            ("histologicTypeIcdO3", "8312"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20200412"),
            ("eodPrimaryTumor", "100"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("kidney_parenchyma"),
        outputs: &[("derivedSummaryStage2018", "1"), ("schemaId", "00600")],
        errors: NO_ERRORS,
    },
    Case {
        // 400 → RE; nodes_dbg 300 → RN; 00 → 4.
        name: "kidney extension and nodes",
        version: "3.3",
        inputs: &[
            ("primarySite", "C649"),
            ("histologicTypeIcdO3", "8312"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20200412"),
            ("eodPrimaryTumor", "400"),
            ("eodRegionalNodes", "300"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("kidney_parenchyma"),
        outputs: &[("derivedSummaryStage2018", "4")],
        errors: NO_ERRORS,
    },
    Case {
        // 700 → D → 7 whatever N and M are.
        name: "kidney distant extension",
        version: "3.3",
        inputs: &[
            ("primarySite", "C649"),
            ("histologicTypeIcdO3", "8312"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20200412"),
            ("eodPrimaryTumor", "700"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("kidney_parenchyma"),
        outputs: &[("derivedSummaryStage2018", "7")],
        errors: NO_ERRORS,
    },
    // ---------------------------------------------------------- bladder (00620)
    Case {
        // extension_bcb 000 → IS; nodes_dck 000; eod_mets_91004 00 → 0.
        name: "bladder noninvasive papillary",
        version: "3.3",
        inputs: &[
            ("primarySite", "C679"),
            ("histologicTypeIcdO3", "8130"),
            ("behaviorCodeIcdO3", "2"),
            ("dateOfDiagnosis", "20190303"),
            ("eodPrimaryTumor", "000"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("bladder"),
        outputs: &[("derivedSummaryStage2018", "0"), ("schemaId", "00620")],
        errors: NO_ERRORS,
    },
    Case {
        // 250 → RE; 000; 00 → 2.
        name: "bladder regional extension",
        version: "3.3",
        inputs: &[
            ("primarySite", "C679"),
            ("histologicTypeIcdO3", "8120"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20190303"),
            ("eodPrimaryTumor", "250"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("bladder"),
        outputs: &[("derivedSummaryStage2018", "2")],
        errors: NO_ERRORS,
    },
    Case {
        // 100 → L; nodes_dck 700 → D → 7.
        name: "bladder distant nodes",
        version: "3.3",
        inputs: &[
            ("primarySite", "C679"),
            ("histologicTypeIcdO3", "8120"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20190303"),
            ("eodPrimaryTumor", "100"),
            ("eodRegionalNodes", "700"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("bladder"),
        outputs: &[("derivedSummaryStage2018", "7")],
        errors: NO_ERRORS,
    },
    // ---------------------------------------------------------- thyroid (00730)
    Case {
        // seer_primary_tumor_6275 100 → L; eod_regional_nodes_29442 000; 00 → 1.
        name: "thyroid localized",
        version: "3.3",
        inputs: &[
            ("primarySite", "C739"),
            ("histologicTypeIcdO3", "8260"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20241111"),
            ("eodPrimaryTumor", "100"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("thyroid"),
        outputs: &[("derivedSummaryStage2018", "1"), ("schemaId", "00730")],
        errors: NO_ERRORS,
    },
    Case {
        // 100 → L; nodes 400 → RN; 00 → 3.
        name: "thyroid nodes",
        version: "3.3",
        inputs: &[
            ("primarySite", "C739"),
            ("histologicTypeIcdO3", "8260"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20241111"),
            ("eodPrimaryTumor", "100"),
            ("eodRegionalNodes", "400"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("thyroid"),
        outputs: &[("derivedSummaryStage2018", "3")],
        errors: NO_ERRORS,
    },
    // ---------------------------------------------------------- pancreas (00280)
    Case {
        // seer_primary_tumor_95193 500 → RE; eod_regional_nodes_11936 000; 00 → 2.
        name: "pancreas regional extension",
        version: "3.3",
        inputs: &[
            ("primarySite", "C250"),
            ("histologicTypeIcdO3", "8140"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20220606"),
            ("eodPrimaryTumor", "500"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("pancreas"),
        outputs: &[("derivedSummaryStage2018", "2"), ("schemaId", "00280")],
        errors: NO_ERRORS,
    },
    Case {
        // Upstream pancreas case on 3.3: 500 → RE; 300 → RN; 10 → D → 7.
        name: "pancreas upstream case on 3.3",
        version: "3.3",
        inputs: &[
            ("primarySite", "C250"),
            ("histologicTypeIcdO3", "8154"),
            ("dateOfDiagnosis", "2018"),
            ("eodPrimaryTumor", "500"),
            ("eodRegionalNodes", "300"),
            ("eodMets", "10"),
            ("regionalNodesPositive", "03"),
        ],
        status: "staged",
        schema: Some("pancreas"),
        outputs: &[("derivedSummaryStage2018", "7"), ("derivedEod2018M", "")],
        errors: NO_ERRORS,
    },
    Case {
        // Same tumor on 3.2 (reference document: SS 7 and TX N1 M1 stage 4; T is TX because
        // tumor size defaults to 999, unknown).
        name: "pancreas upstream case on 3.2",
        version: "3.2",
        inputs: &[
            ("primarySite", "C250"),
            ("histologicTypeIcdO3", "8154"),
            ("dateOfDiagnosis", "2018"),
            ("eodPrimaryTumor", "500"),
            ("eodRegionalNodes", "300"),
            ("eodMets", "10"),
            ("regionalNodesPositive", "03"),
        ],
        status: "staged",
        schema: Some("pancreas"),
        outputs: &[
            ("derivedSummaryStage2018", "7"),
            ("derivedEod2018T", "TX"),
            ("derivedEod2018N", "N1"),
            ("derivedEod2018M", "M1"),
            ("derivedEod2018StageGroup", "4"),
        ],
        errors: NO_ERRORS,
    },
    // ---------------------------------------------------------- cervix (V9 2021+, 09520)
    Case {
        // schema_selection for cervix_9th_2021 is year 2021-9998: eod_primary_tumor_97833
        // 100 → L; eod_regional_nodes_92760 000; eod_mets_24606 00 → 1.
        name: "cervix localized",
        version: "3.3",
        inputs: &[
            ("primarySite", "C539"),
            ("histologicTypeIcdO3", "8070"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20220707"),
            ("eodPrimaryTumor", "100"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("cervix_9th_2021"),
        outputs: &[("derivedSummaryStage2018", "1"), ("schemaId", "09520")],
        errors: NO_ERRORS,
    },
    Case {
        // 400 → RE; 200 → RN; 00 → 4.
        name: "cervix extension and nodes",
        version: "3.3",
        inputs: &[
            ("primarySite", "C539"),
            ("histologicTypeIcdO3", "8070"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20220707"),
            ("eodPrimaryTumor", "400"),
            ("eodRegionalNodes", "200"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("cervix_9th_2021"),
        outputs: &[("derivedSummaryStage2018", "4")],
        errors: NO_ERRORS,
    },
    // ----------------------------------------------------- larynx glottic (00132)
    Case {
        // extension_bat 100 → L; eod_regional_nodes_12613 000; eod_mets_89421 00 → 1.
        name: "larynx glottic localized",
        version: "3.3",
        inputs: &[
            ("primarySite", "C320"),
            ("histologicTypeIcdO3", "8070"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20200820"),
            ("eodPrimaryTumor", "100"),
            ("eodRegionalNodes", "000"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("larynx_glottic"),
        outputs: &[("derivedSummaryStage2018", "1"), ("schemaId", "00132")],
        errors: NO_ERRORS,
    },
    Case {
        // 400 → RE; 100 → RN; 00 → 4.
        name: "larynx glottic extension and nodes",
        version: "3.3",
        inputs: &[
            ("primarySite", "C320"),
            ("histologicTypeIcdO3", "8070"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20200820"),
            ("eodPrimaryTumor", "400"),
            ("eodRegionalNodes", "100"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("larynx_glottic"),
        outputs: &[("derivedSummaryStage2018", "4")],
        errors: NO_ERRORS,
    },
    // ------------------------------------------------ heme: plasma cell myeloma (00821)
    Case {
        // Defaults 999/888/88: extension_bgc 999 → U; nodes_dna 888 → U; mets_hna 88 → NA;
        // summary_stage_lymphoma_25139 "U | U,NA | NA" → 9. Grades default 8/8:
        // derived_summary_grade_na_6690 "* | 8" → 8.
        name: "plasma cell myeloma defaults",
        version: "3.3",
        inputs: &[
            ("primarySite", "C421"),
            ("histologicTypeIcdO3", "9732"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20230303"),
        ],
        status: "staged",
        schema: Some("plasma_cell_myeloma"),
        outputs: &[
            ("derivedSummaryStage2018", "9"),
            ("derivedSummaryGrade2018", "8"),
            ("schemaId", "00821"),
        ],
        errors: NO_ERRORS,
    },
    Case {
        // extension_bgc 700 → D; 888 → U; 88 → NA: "D | U,NA | NA" → 7.
        name: "plasma cell myeloma coded 700",
        version: "3.3",
        inputs: &[
            ("primarySite", "C421"),
            ("histologicTypeIcdO3", "9732"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20230303"),
            ("eodPrimaryTumor", "700"),
        ],
        status: "staged",
        schema: Some("plasma_cell_myeloma"),
        outputs: &[("derivedSummaryStage2018", "7")],
        errors: NO_ERRORS,
    },
    // -------------------------------------------------- brain, 2018-2022 (00721)
    Case {
        // Glioblastoma /3: extension_bcc 100 → L; nodes default 888 → U (nodes_dna);
        // mets_haw 00 → NONE; summary_stage_benign_3306 "L | U | NONE,U" → 1.
        name: "brain malignant localized",
        version: "3.3",
        inputs: &[
            ("primarySite", "C711"),
            ("histologicTypeIcdO3", "9440"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20210401"),
            ("eodPrimaryTumor", "100"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("brain"),
        outputs: &[("derivedSummaryStage2018", "1"), ("schemaId", "00721")],
        errors: NO_ERRORS,
    },
    Case {
        // Meningioma /0 of the cerebral meninges (C700, 9530 is in the brain selection row
        // for any behavior): extension_bcc 050 → B; 888 → U; 00 → NONE; "B | U | NONE,U" → 8.
        name: "brain benign behavior 0 gives SS2018 8",
        version: "3.3",
        inputs: &[
            ("primarySite", "C700"),
            ("histologicTypeIcdO3", "9530"),
            ("behaviorCodeIcdO3", "0"),
            ("dateOfDiagnosis", "20210401"),
            ("eodPrimaryTumor", "050"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("brain"),
        outputs: &[("derivedSummaryStage2018", "8")],
        errors: NO_ERRORS,
    },
    Case {
        // Borderline /1 (9421 in the 9380-9540 row): 050 → B, U, NONE → 8.
        name: "brain borderline behavior 1 gives SS2018 8",
        version: "3.3",
        inputs: &[
            ("primarySite", "C716"),
            ("histologicTypeIcdO3", "9421"),
            ("behaviorCodeIcdO3", "1"),
            ("dateOfDiagnosis", "20220101"),
            ("eodPrimaryTumor", "050"),
            ("eodMets", "00"),
        ],
        status: "staged",
        schema: Some("brain"),
        outputs: &[("derivedSummaryStage2018", "8")],
        errors: NO_ERRORS,
    },
    Case {
        // Benign with distant mets: "B | U | D" is an ERROR endpoint ("Benign implies no
        // involvement outside the primary site..."), so SS keeps its default 9 and the run
        // reports a STAGING_ERROR from summary_stage_benign_3306.
        name: "brain benign with mets hits an ERROR endpoint",
        version: "3.3",
        inputs: &[
            ("primarySite", "C700"),
            ("histologicTypeIcdO3", "9530"),
            ("behaviorCodeIcdO3", "0"),
            ("dateOfDiagnosis", "20210401"),
            ("eodPrimaryTumor", "050"),
            ("eodMets", "10"),
        ],
        status: "error",
        schema: Some("brain"),
        outputs: &[("derivedSummaryStage2018", "9")],
        errors: &[("STAGING_ERROR", "summary_stage_benign_3306")],
    },
    // ------------------------------------------------------ selection and failures
    Case {
        // C111 8200: nasopharynx and both oropharynx schemas match without discriminator 1.
        name: "nasopharynx without discriminator is ambiguous",
        version: "3.3",
        inputs: &[
            ("primarySite", "C111"),
            ("histologicTypeIcdO3", "8200"),
            ("dateOfDiagnosis", "20220101"),
        ],
        status: "ambiguous schema",
        schema: None,
        outputs: &[("derivedSummaryStage2018", "")],
        errors: &[("MULTIPLE_MATCHING_SCHEMAS", "schemaDiscriminator1")],
    },
    Case {
        // Discriminator 1 = 1 matches only schema_selection_nasopharynx row "C111 | 8000-8700
        // | 1 | 2018-2024"; defaults 999/999/00 → U, U, NONE → 9.
        name: "nasopharynx with discriminator 1",
        version: "3.3",
        inputs: &[
            ("primarySite", "C111"),
            ("histologicTypeIcdO3", "8200"),
            ("dateOfDiagnosis", "20220101"),
            ("schemaDiscriminator1", "1"),
        ],
        status: "staged",
        schema: Some("nasopharynx"),
        outputs: &[("derivedSummaryStage2018", "9"), ("schemaId", "00090")],
        errors: NO_ERRORS,
    },
    Case {
        // year_dx_validation allows 2018-current year and 9999: 2015 is refused.
        name: "diagnosis year before 2018",
        version: "3.3",
        inputs: &[
            ("primarySite", "C504"),
            ("histologicTypeIcdO3", "8500"),
            ("behaviorCodeIcdO3", "3"),
            ("dateOfDiagnosis", "20150101"),
        ],
        status: "invalid input",
        schema: Some("breast"),
        outputs: &[("derivedSummaryStage2018", "")],
        errors: &[("INVALID_YEAR_DX", "dateOfDiagnosis")],
    },
    Case {
        // A misspelt item id is not an input of any schema.
        name: "unknown item id",
        version: "3.3",
        inputs: &[
            ("primarySite", "C504"),
            ("histologicTypeIcdO3", "8500"),
            ("dateOfDiagnosis", "20220101"),
            ("eodPrimaryTumour", "100"),
        ],
        status: "invalid input",
        schema: Some("breast"),
        outputs: &[],
        errors: &[("UNKNOWN_INPUT", "eodPrimaryTumour")],
    },
    Case {
        // C999 is not in the primary_site table.
        name: "invalid primary site",
        version: "3.3",
        inputs: &[
            ("primarySite", "C999"),
            ("histologicTypeIcdO3", "8500"),
            ("dateOfDiagnosis", "20220101"),
        ],
        status: "no schema",
        schema: None,
        outputs: &[],
        errors: &[("NO_MATCHING_SCHEMA", "primarySite")],
    },
    Case {
        // Histology missing: no selection is attempted.
        name: "missing histology",
        version: "3.3",
        inputs: &[("primarySite", "C504"), ("dateOfDiagnosis", "20220101")],
        status: "no schema",
        schema: None,
        outputs: &[],
        errors: &[("MISSING_SITE_OR_HISTOLOGY", "histologicTypeIcdO3")],
    },
];
