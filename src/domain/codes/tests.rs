//! Tests of the NAACCR code lists.

use super::*;
use std::collections::HashSet;
use std::path::PathBuf;

fn list(id: &str) -> &'static CodeList {
    code_list(id).unwrap_or_else(|| panic!("no code list for {id}"))
}

fn describe(id: &str, code: &str) -> Option<String> {
    list(id).describe(code).map(|d| d.into_owned())
}

#[test]
fn well_known_codes_are_described() {
    assert_eq!(describe("sex", "2").as_deref(), Some("Female"));
    assert_eq!(
        describe("sexAssignedAtBirth", "9").as_deref(),
        Some("Not stated/Unknown")
    );
    assert_eq!(
        describe("laterality", "1").as_deref(),
        Some("Right: origin of primary")
    );
    assert_eq!(
        describe("laterality", "0").as_deref(),
        Some("Not a paired site")
    );
    assert_eq!(
        describe("behaviorCodeIcdO3", "3").as_deref(),
        Some("Malignant, primary site")
    );
    assert_eq!(
        describe("diagnosticConfirmation", "1").as_deref(),
        Some("Positive histology")
    );
    assert_eq!(describe("vitalStatus", "0").as_deref(), Some("Dead"));
    assert_eq!(describe("vitalStatus", "1").as_deref(), Some("Alive"));
    assert_eq!(
        describe("cancerStatus", "1").as_deref(),
        Some("No evidence of this tumor")
    );
    assert_eq!(describe("race1", "01").as_deref(), Some("White"));
    assert_eq!(describe("race1", "02").as_deref(), Some("Black"));
    assert_eq!(
        describe("summaryStage2018", "7").as_deref(),
        Some("Distant site(s)/node(s) involved")
    );
    assert_eq!(
        describe("primaryPayerAtDx", "31").as_deref(),
        Some("Medicaid")
    );
    assert_eq!(
        describe("typeOfReportingSource", "7").as_deref(),
        Some("Death certificate only")
    );
    assert_eq!(
        describe("spanishHispanicOrigin", "2").as_deref(),
        Some("Puerto Rican")
    );
    assert_eq!(
        describe("maritalStatusAtDx", "5").as_deref(),
        Some("Widowed")
    );
    assert_eq!(
        describe("rxSummScopeRegLnSur", "2").as_deref(),
        Some("Sentinel lymph node biopsy")
    );
    assert_eq!(
        describe("rxSummSurgRadSeq", "3").as_deref(),
        Some("Radiation therapy after surgery")
    );
    assert_eq!(
        describe("gradeClinical", "9").as_deref(),
        Some("Grade cannot be assessed (GX); unknown")
    );
    assert_eq!(
        describe("overRideSiteType", "1").as_deref(),
        Some("Reviewed and confirmed as reported")
    );
    let class14 = describe("classOfCase", "14").expect("class 14");
    assert!(
        class14.starts_with("Initial diagnosis at the reporting facility AND all first course")
    );
    let chemo87 = describe("rxSummChemo", "87").expect("chemo 87");
    assert!(chemo87.contains("refused"), "{chemo87}");
    let hormone = describe("rxSummHormone", "86").expect("hormone 86");
    assert!(
        hormone.starts_with("Hormone therapy was not administered"),
        "{hormone}"
    );
}

#[test]
fn numeric_ranges_are_described_generically() {
    assert_eq!(
        describe("regionalNodesPositive", "12").as_deref(),
        Some("12 nodes positive")
    );
    assert_eq!(
        describe("regionalNodesPositive", "01").as_deref(),
        Some("1 node positive")
    );
    assert_eq!(
        describe("regionalNodesPositive", "89").as_deref(),
        Some("89 nodes positive")
    );
    assert_eq!(
        describe("regionalNodesPositive", "90").as_deref(),
        Some("90 or more nodes are positive")
    );
    assert_eq!(
        describe("regionalNodesExamined", "07").as_deref(),
        Some("7 nodes were examined")
    );
    assert_eq!(
        describe("tumorSizeSummary", "025").as_deref(),
        Some("25 millimeters (exact size)")
    );
    assert_eq!(
        describe("ageAtDiagnosis", "067").as_deref(),
        Some("67 years old")
    );
    assert_eq!(
        describe("sequenceNumberCentral", "03").as_deref(),
        Some("Malignant (or in situ) primary number 3 of two or more, in order of diagnosis")
    );
    assert_eq!(
        describe("sequenceNumberHospital", "62").as_deref(),
        Some(
            "Non-malignant (benign/borderline) primary number 2 of two or more, in order of diagnosis"
        )
    );
    assert_eq!(
        describe("rxSummSurgPrimSite2023", "A200").as_deref(),
        Some(
            "Site-specific surgery code A200 (see the site's 2023 surgery codes, STORE Appendix B)"
        )
    );
    assert_eq!(
        describe("rxSummSurgPrimSite2023", "A000").as_deref(),
        Some("None; no surgery of primary site; autopsy only")
    );
}

#[test]
fn invalid_codes_are_refused() {
    let nodes = list("regionalNodesPositive");
    for bad in ["91", "94", "96", "1", "012", "", "1a", "-1", "+5", " 5"] {
        assert!(!nodes.is_valid(bad), "regional nodes positive {bad:?}");
        assert!(nodes.describe(bad).is_none(), "{bad:?}");
    }
    for good in ["00", "01", "45", "89", "90", "95", "97", "98", "99"] {
        assert!(nodes.is_valid(good), "regional nodes positive {good:?}");
    }
    let examined = list("regionalNodesExamined");
    assert!(examined.is_valid("96"));
    assert!(!examined.is_valid("91"));
    assert!(!list("laterality").is_valid("6"));
    assert!(!list("laterality").is_valid("10"));
    assert!(!list("behaviorCodeIcdO3").is_valid("6"));
    assert!(!list("sexAssignedAtBirth").is_valid("3"));
    assert!(list("sex").is_valid("3"));
    assert!(!list("race1").is_valid("88"), "88 is for Race 2-5 only");
    assert!(list("race2").is_valid("88"));
    assert!(
        !list("race1").is_valid("09"),
        "09 was retired in favour of 15"
    );
    assert!(!list("race1").is_valid("1"));
    assert!(!list("summaryStage2018").is_valid("5"));
    assert!(!list("classOfCase").is_valid("15"));
    assert!(
        !list("sequenceNumberHospital").is_valid("98"),
        "98 is central only"
    );
    assert!(list("sequenceNumberCentral").is_valid("98"));
    assert!(!list("sequenceNumberCentral").is_valid("89"));
    assert!(!list("sequenceNumberCentral").is_valid("60x"));
    assert!(!list("tumorSizeSummary").is_valid("996"));
    assert!(!list("tumorSizeSummary").is_valid("25"));
    assert!(!list("rxSummSurgPrimSite2023").is_valid("C200"));
    assert!(!list("rxSummSurgPrimSite2023").is_valid("A20"));
    assert!(!list("rxSummSurgPrimSite").is_valid("81"));
    assert!(list("rxSummSurgPrimSite").is_valid("98"));
    assert!(
        !list("gradeClinical").is_valid(""),
        "blank grade clinical is not allowed"
    );
    assert!(
        list("gradePostTherapy").is_valid(""),
        "blank: no neoadjuvant therapy"
    );
    assert!(
        !list("gradePathological").is_valid("a"),
        "grade letters are upper case"
    );
    assert!(list("overRideSiteType").is_valid(""));
    assert!(!list("overRideSiteType").is_valid("2"));
    assert!(code_list("noSuchItem").is_none());
}

#[test]
fn search_by_code_prefix_and_description_words() {
    let codes = |id: &str, q: &str| -> Vec<&'static str> {
        list(id).search(q).iter().map(|c| c.code).collect()
    };
    assert_eq!(codes("race1", "chinese"), ["04"]);
    assert_eq!(codes("race1", "ASIAN INDIAN"), ["15", "16"]);
    assert_eq!(
        codes("race1", "1"),
        ["10", "11", "12", "13", "14", "15", "16", "17"]
    );
    assert_eq!(codes("primaryPayerAtDx", "medicare managed"), ["62"]);
    assert_eq!(codes("laterality", "bilateral"), ["4"]);
    assert_eq!(codes("classOfCase", "autopsy"), ["38"]);
    assert_eq!(codes("rxSummChemo", "multiagent"), ["03"]);
    assert!(codes("laterality", "no such words").is_empty());
    assert_eq!(list("laterality").search("").len(), 7);
    assert_eq!(list("laterality").search("   ").len(), 7);
}

#[test]
fn lists_are_consistent() {
    let mut ids = HashSet::new();
    let mut last_num = 0;
    for l in coded_items() {
        assert!(ids.insert(l.naaccr_id), "{} listed twice", l.naaccr_id);
        assert!(
            l.naaccr_num >= last_num,
            "{} out of item number order",
            l.naaccr_id
        );
        last_num = l.naaccr_num;
        let mut codes = HashSet::new();
        for c in l.codes {
            assert!(
                codes.insert(c.code),
                "{}: code {:?} twice",
                l.naaccr_id,
                c.code
            );
            assert!(
                c.code.is_empty() || c.code.len() == l.width,
                "{}: code {:?} is not {} wide",
                l.naaccr_id,
                c.code,
                l.width
            );
            assert!(
                !c.description.is_empty(),
                "{}: code {:?} undescribed",
                l.naaccr_id,
                c.code
            );
            assert!(
                !c.description.contains("  "),
                "{}: double space in {:?}",
                l.naaccr_id,
                c.code
            );
            for r in l.ranges {
                assert!(
                    r.number_of(c.code, l.width).is_none(),
                    "{}: code {:?} is also in a range",
                    l.naaccr_id,
                    c.code
                );
            }
        }
    }
    assert!(coded_items().count() >= 80);
}

/// Every list's id, number, name and width agree with the NAACCR v26 (or v18 for retired
/// date flags) dictionary.
#[test]
fn lists_match_the_naaccr_dictionaries() {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/naaccr");
    let read = |name: &str| {
        let path = base.join(name);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reference file {} is needed: {e}", path.display()))
    };
    let dictionaries = [
        read("naaccr-dictionary-260.xml"),
        read("naaccr-dictionary-250.xml"),
        read("naaccr-dictionary-180.xml"),
    ];
    for l in coded_items() {
        let needle = format!("naaccrId=\"{}\"", l.naaccr_id);
        let definition = dictionaries
            .iter()
            .find_map(|d| {
                let start = d.find(&needle)?;
                let end = d.get(start..)?.find("/>")? + start;
                d.get(start..end)
            })
            .unwrap_or_else(|| panic!("{} is in no NAACCR dictionary", l.naaccr_id));
        assert!(
            definition.contains(&format!("naaccrNum=\"{}\"", l.naaccr_num)),
            "{}: item number {} disagrees with {definition}",
            l.naaccr_id,
            l.naaccr_num
        );
        assert!(
            definition.contains(&format!("length=\"{}\"", l.width)),
            "{}: width {} disagrees with {definition}",
            l.naaccr_id,
            l.width
        );
        assert!(
            definition.contains(&format!("naaccrName=\"{}\"", l.name.replace('&', "&amp;"))),
            "{}: name {:?} disagrees with {definition}",
            l.naaccr_id,
            l.name
        );
    }
}

#[test]
fn lookups_are_fast_enough_for_the_edits_engine() {
    let start = std::time::Instant::now();
    let mut valid = 0;
    for i in 0..100_000u32 {
        let laterality =
            code_list("laterality").is_some_and(|l| l.is_valid(if i % 2 == 0 { "1" } else { "7" }));
        let nodes = code_list("regionalNodesPositive").is_some_and(|l| l.is_valid("12"));
        if laterality && nodes {
            valid += 1;
        }
    }
    assert_eq!(valid, 50_000);
    assert!(
        start.elapsed().as_secs_f64() < 2.0,
        "took {:?}",
        start.elapsed()
    );
}
