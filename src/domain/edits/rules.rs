//! The rule table: every edit Registrar runs, in one list a reader can scan.
//!
//! Layout of `build()`: hand-written rules grouped by topic (ids `RG-<topic letter><nn>`), then the
//! generated families: `TXD-`/`TXL-` (treatment dates vs diagnosis / last contact), `FMT-` (date
//! format, one per date item), `REQ-` (required items), `VAL-` (one validity edit per coded item of
//! `codes::coded_items()`).
//!
//! Topic letters: D dates, A age, X sex, S site/histology/behavior, L laterality, C diagnostic
//! confirmation, Q sequence number, K class of case, O reporting source (DCO, autopsy), T text,
//! R treatment, N regional nodes, M multiplicity, V vital status, F other formats.
//!
//! Blank or malformed values make a consistency edit pass: the `REQ-`, `VAL-` and `FMT-` edits
//! report them once, instead of every edit that reads the item.

use super::engine::{
    ALL_TYPES, Agency, CONFIDENTIAL_TYPES, Check, Cond, DATE_ITEMS, EditRule, EditSets, Severity,
    TEXT_TYPES, Tumor, Verdict,
};
use crate::domain::codes;
use crate::domain::icdo3;
use crate::domain::naaccr::RecordType;

use Agency::{Coc, Naaccr, Npcr, Registrar, Seer};
use Severity::{Error, Warning};

/// Name and number of an item the rules refer to (for messages of generated edits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemLabel {
    /// naaccrId.
    pub naaccr_id: &'static str,
    /// NAACCR item number.
    pub number: u16,
    /// NAACCR item name.
    pub name: &'static str,
}

const fn label(naaccr_id: &'static str, number: u16, name: &'static str) -> ItemLabel {
    ItemLabel {
        naaccr_id,
        number,
        name,
    }
}

/// Items named by the generated edits (checked against the NAACCR 26 dictionary by a test).
pub(super) const ITEM_LABELS: &[ItemLabel] = &[
    label("patientIdNumber", 20, "Patient ID Number"),
    label("tumorRecordNumber", 60, "Tumor Record Number"),
    label("addrAtDxState", 80, "Addr at DX--State"),
    label("countyAtDx", 90, "County at DX Reported"),
    label("race1", 160, "Race 1"),
    label("spanishHispanicOrigin", 190, "Spanish/Hispanic Origin"),
    label("sexAssignedAtBirth", 225, "Sex Assigned at Birth"),
    label("ageAtDiagnosis", 230, "Age at Diagnosis"),
    label("dateOfBirth", 240, "Date of Birth"),
    label("sequenceNumberCentral", 380, "Sequence Number--Central"),
    label("dateOfDiagnosis", 390, "Date of Diagnosis"),
    label("primarySite", 400, "Primary Site"),
    label("laterality", 410, "Laterality"),
    label("dateConclusiveDx", 443, "Date Conclusive DX"),
    label("dateOfMultTumors", 445, "Date of Mult Tumors"),
    label("diagnosticConfirmation", 490, "Diagnostic Confirmation"),
    label("typeOfReportingSource", 500, "Type of Reporting Source"),
    label("histologicTypeIcdO3", 522, "Histologic Type ICD-O-3"),
    label("behaviorCodeIcdO3", 523, "Behavior Code ICD-O-3"),
    label("accessionNumberHosp", 550, "Accession Number--Hosp"),
    label("sequenceNumberHospital", 560, "Sequence Number--Hospital"),
    label("dateOf1stContact", 580, "Date of 1st Contact"),
    label("dateOfInptAdm", 590, "Date of Inpt Adm"),
    label("dateOfInptDisch", 600, "Date of Inpt Disch"),
    label("classOfCase", 610, "Class of Case"),
    label("primaryPayerAtDx", 630, "Primary Payer at DX"),
    label(
        "dateRegionalLNDissection",
        682,
        "Date Regional Lymph Node Dissection",
    ),
    label("summaryStage2018", 764, "Summary Stage 2018"),
    label(
        "dateSentinelLymphNodeBiopsy",
        832,
        "Date of Sentinel Lymph Node Biopsy",
    ),
    label("rxDateSurgery", 1200, "RX Date Surgery"),
    label("rxDateRadiation", 1210, "RX Date Radiation"),
    label("rxDateChemo", 1220, "RX Date Chemo"),
    label("rxDateHormone", 1230, "RX Date Hormone"),
    label("rxDateBrm", 1240, "RX Date BRM"),
    label("rxDateOther", 1250, "RX Date Other"),
    label("dateInitialRxSeer", 1260, "Date Initial RX SEER"),
    label("date1stCrsRxCoc", 1270, "Date 1st Crs RX CoC"),
    label("rxDateDxStgProc", 1280, "RX Date DX/Stg Proc"),
    label("dateOfLastContact", 1750, "Date of Last Contact"),
    label("vitalStatus", 1760, "Vital Status"),
    label(
        "dateOfLastCancerStatus",
        1772,
        "Date of Last Cancer (tumor) Status",
    ),
    label("dateCaseCompleted", 2090, "Date Case Completed"),
    label("nameLast", 2230, "Name--Last"),
    label("rxDateMostDefinSurg", 3170, "RX Date Mst Defn Srg"),
    label("rxDateSurgicalDisch", 3180, "RX Date Surg Disch"),
    label("rxDateRadiationEnded", 3220, "RX Date Rad Ended"),
    label("rxDateSystemic", 3230, "RX Date Systemic"),
    label("schemaId", 3800, "Schema ID"),
    label("gradeClinical", 3843, "Grade Clinical"),
];

/// The label of an item the generated edits name.
pub fn item_label(naaccr_id: &str) -> Option<&'static ItemLabel> {
    ITEM_LABELS.iter().find(|l| l.naaccr_id == naaccr_id)
}

/// "Date of Diagnosis [390]", or the bare id when the item has no label.
fn named(naaccr_id: &str) -> String {
    match item_label(naaccr_id) {
        Some(l) => format!("{} [{}]", l.name, l.number),
        None => naaccr_id.to_string(),
    }
}

/// First course treatment dates: not before diagnosis (`TXD-`), not after last contact (`TXL-`),
/// blank for DCO and untreated cases.
const TREATMENT_DATES: &[&str] = &[
    "rxDateSurgery",
    "rxDateMostDefinSurg",
    "rxDateRadiation",
    "rxDateChemo",
    "rxDateHormone",
    "rxDateBrm",
    "rxDateOther",
    "rxDateSystemic",
    "dateInitialRxSeer",
    "date1stCrsRxCoc",
];

/// One required item: which sets require it, for which record types, from which diagnosis year.
struct Requirement {
    item: &'static str,
    alternatives: &'static [&'static str],
    sets: EditSets,
    record_types: &'static [RecordType],
    from_year: Option<u16>,
    agency: Agency,
}

const fn req(item: &'static str, sets: EditSets, agency: Agency) -> Requirement {
    Requirement {
        item,
        alternatives: &[],
        sets,
        record_types: ALL_TYPES,
        from_year: None,
        agency,
    }
}

const BOTH: EditSets = EditSets::BOTH;
const INCIDENCE: EditSets = EditSets::INCIDENCE;
const HOSPITAL: EditSets = EditSets::HOSPITAL;

/// Core items a record must carry (NPCR/SEER required status for incidence, CoC for hospital).
const REQUIRED: &[Requirement] = &[
    req("patientIdNumber", BOTH, Naaccr),
    req("tumorRecordNumber", BOTH, Naaccr),
    req("dateOfBirth", BOTH, Npcr),
    Requirement {
        alternatives: &["sex"],
        ..req("sexAssignedAtBirth", BOTH, Npcr)
    },
    req("race1", BOTH, Npcr),
    req("spanishHispanicOrigin", BOTH, Npcr),
    req("ageAtDiagnosis", BOTH, Npcr),
    req("addrAtDxState", BOTH, Npcr),
    req("dateOfDiagnosis", BOTH, Npcr),
    req("primarySite", BOTH, Npcr),
    req("laterality", BOTH, Npcr),
    req("histologicTypeIcdO3", BOTH, Npcr),
    req("behaviorCodeIcdO3", BOTH, Npcr),
    req("diagnosticConfirmation", BOTH, Npcr),
    req("dateOfLastContact", BOTH, Npcr),
    req("vitalStatus", BOTH, Npcr),
    req("countyAtDx", INCIDENCE, Npcr),
    req("sequenceNumberCentral", INCIDENCE, Npcr),
    req("typeOfReportingSource", INCIDENCE, Npcr),
    Requirement {
        from_year: Some(2018),
        ..req("schemaId", BOTH, Seer)
    },
    Requirement {
        from_year: Some(2018),
        ..req("summaryStage2018", INCIDENCE, Npcr)
    },
    Requirement {
        from_year: Some(2018),
        ..req("gradeClinical", BOTH, Npcr)
    },
    req("sequenceNumberHospital", HOSPITAL, Coc),
    req("classOfCase", HOSPITAL, Coc),
    req("accessionNumberHosp", HOSPITAL, Coc),
    req("primaryPayerAtDx", HOSPITAL, Coc),
    Requirement {
        record_types: CONFIDENTIAL_TYPES,
        ..req("nameLast", BOTH, Naaccr)
    },
];

/// Builds the table (called once).
pub fn build() -> Vec<EditRule> {
    let mut rules = hand_written();
    for item in TREATMENT_DATES {
        rules.push(
            EditRule::new(
                format!("TXD-{item}"),
                Naaccr,
                Error,
                format!("Date of Diagnosis, {}", named(item)),
            )
            .items(&["dateOfDiagnosis", item])
            .message(format!(
                "{} must not be before Date of Diagnosis [390]",
                named(item)
            ))
            .check(Check::DateOrder("dateOfDiagnosis", item)),
        );
    }
    for item in TREATMENT_DATES.iter().chain(&["rxDateDxStgProc"]) {
        rules.push(
            EditRule::new(
                format!("TXL-{item}"),
                Naaccr,
                Error,
                format!("{}, Date of Last Contact", named(item)),
            )
            .items(&[item, "dateOfLastContact"])
            .message(format!(
                "{} must not be after Date of Last Contact [1750]",
                named(item)
            ))
            .check(Check::DateOrder(item, "dateOfLastContact")),
        );
    }
    for item in DATE_ITEMS {
        rules.push(
            EditRule::new(
                format!("FMT-{item}"),
                Naaccr,
                Error,
                format!("{} (date format)", named(item)),
            )
            .items(&[item])
            .message(format!(
                "{} must be a valid date: CCYYMMDD, CCYYMM or CCYY (blank when unknown)",
                named(item)
            ))
            .check(Check::DateFormat(item)),
        );
    }
    for r in REQUIRED {
        let when = match r.from_year {
            Some(year) => format!(" for tumors diagnosed in {year} or later"),
            None => String::new(),
        };
        rules.push(
            EditRule::new(
                format!("REQ-{}", r.item),
                r.agency,
                Error,
                format!("{} (required)", named(r.item)),
            )
            .items(&[r.item])
            .message(format!("{} is required{when}", named(r.item)))
            .record_types(r.record_types)
            .sets(r.sets)
            .check(Check::Required {
                alternatives: r.alternatives,
                from_year: r.from_year,
            }),
        );
    }
    for list in codes::coded_items() {
        rules.push(
            EditRule::new(
                format!("VAL-{}", list.naaccr_id),
                Naaccr,
                Error,
                format!("{} (valid code)", list.name),
            )
            .items(&[list.naaccr_id])
            .message(format!(
                "{} [{}] is not a valid code",
                list.name, list.naaccr_num
            ))
            .check(Check::CodeValid(list)),
        );
    }
    rules
}

/// The hand-written rules.
fn hand_written() -> Vec<EditRule> {
    vec![
        // ---- D: date order -------------------------------------------------------------------
        EditRule::new("RG-D01", Naaccr, Error, "Date of Birth, Date of Diagnosis")
            .items(&["dateOfBirth", "dateOfDiagnosis"])
            .message("Date of Birth [240] must not be after Date of Diagnosis [390]")
            .check(Check::DateOrder("dateOfBirth", "dateOfDiagnosis")),
        EditRule::new("RG-D02", Naaccr, Error, "Date of Diagnosis, Date of Last Contact")
            .items(&["dateOfDiagnosis", "dateOfLastContact"])
            .message("Date of Diagnosis [390] must not be after Date of Last Contact [1750]")
            .check(Check::DateOrder("dateOfDiagnosis", "dateOfLastContact")),
        EditRule::new("RG-D03", Naaccr, Error, "Date of Birth, Date of Last Contact")
            .items(&["dateOfBirth", "dateOfLastContact"])
            .message("Date of Birth [240] must not be after Date of Last Contact [1750]")
            .check(Check::DateOrder("dateOfBirth", "dateOfLastContact")),
        EditRule::new("RG-D04", Naaccr, Error, "Date of Birth (not in the future)")
            .items(&["dateOfBirth"])
            .message("Date of Birth [240] must not be after today")
            .check(Check::NotFuture("dateOfBirth")),
        EditRule::new("RG-D05", Naaccr, Error, "Date of Diagnosis (not in the future)")
            .items(&["dateOfDiagnosis"])
            .message("Date of Diagnosis [390] must not be after today")
            .check(Check::NotFuture("dateOfDiagnosis")),
        EditRule::new("RG-D06", Naaccr, Error, "Date of Last Contact (not in the future)")
            .items(&["dateOfLastContact"])
            .message("Date of Last Contact [1750] must not be after today")
            .check(Check::NotFuture("dateOfLastContact")),
        EditRule::new("RG-D07", Coc, Error, "Date of Birth, Date of 1st Contact")
            .items(&["dateOfBirth", "dateOf1stContact"])
            .message("Date of Birth [240] must not be after Date of 1st Contact [580]")
            .sets(HOSPITAL)
            .check(Check::DateOrder("dateOfBirth", "dateOf1stContact")),
        EditRule::new("RG-D08", Coc, Error, "Date of 1st Contact, Date of Last Contact")
            .items(&["dateOf1stContact", "dateOfLastContact"])
            .message("Date of 1st Contact [580] must not be after Date of Last Contact [1750]")
            .sets(HOSPITAL)
            .check(Check::DateOrder("dateOf1stContact", "dateOfLastContact")),
        EditRule::new("RG-D09", Coc, Error, "Date of 1st Contact (not in the future)")
            .items(&["dateOf1stContact"])
            .message("Date of 1st Contact [580] must not be after today")
            .sets(HOSPITAL)
            .check(Check::NotFuture("dateOf1stContact")),
        EditRule::new("RG-D10", Coc, Error, "Date of Inpt Adm, Date of Inpt Disch")
            .items(&["dateOfInptAdm", "dateOfInptDisch"])
            .message("Date of Inpt Adm [590] must not be after Date of Inpt Disch [600]")
            .sets(HOSPITAL)
            .check(Check::DateOrder("dateOfInptAdm", "dateOfInptDisch")),
        EditRule::new("RG-D11", Coc, Error, "RX Date Surgery, RX Date Mst Defn Srg")
            .items(&["rxDateSurgery", "rxDateMostDefinSurg"])
            .message("RX Date Surgery [1200] (first surgery) must not be after RX Date Mst Defn Srg [3170]")
            .check(Check::DateOrder("rxDateSurgery", "rxDateMostDefinSurg")),
        EditRule::new("RG-D12", Coc, Error, "RX Date Mst Defn Srg, RX Date Surg Disch")
            .items(&["rxDateMostDefinSurg", "rxDateSurgicalDisch"])
            .message("RX Date Mst Defn Srg [3170] must not be after RX Date Surg Disch [3180]")
            .sets(HOSPITAL)
            .check(Check::DateOrder("rxDateMostDefinSurg", "rxDateSurgicalDisch")),
        EditRule::new("RG-D13", Coc, Error, "RX Date Radiation, RX Date Rad Ended")
            .items(&["rxDateRadiation", "rxDateRadiationEnded"])
            .message("RX Date Radiation [1210] must not be after RX Date Rad Ended [3220]")
            .check(Check::DateOrder("rxDateRadiation", "rxDateRadiationEnded")),
        EditRule::new("RG-D14", Naaccr, Error, "Date of Diagnosis, Date Conclusive DX")
            .items(&["dateOfDiagnosis", "dateConclusiveDx"])
            .message("Date Conclusive DX [443] must not be before Date of Diagnosis [390] (the ambiguous-term diagnosis)")
            .check(Check::DateOrder("dateOfDiagnosis", "dateConclusiveDx")),
        EditRule::new("RG-D15", Naaccr, Error, "Date of Diagnosis, Date of Mult Tumors")
            .items(&["dateOfDiagnosis", "dateOfMultTumors"])
            .message("Date of Mult Tumors [445] must not be before Date of Diagnosis [390]")
            .check(Check::DateOrder("dateOfDiagnosis", "dateOfMultTumors")),
        EditRule::new("RG-D16", Coc, Error, "Date Case Completed (not in the future)")
            .items(&["dateCaseCompleted"])
            .message("Date Case Completed [2090] must not be after today")
            .sets(HOSPITAL)
            .check(Check::NotFuture("dateCaseCompleted")),
        // ---- A: age --------------------------------------------------------------------------
        EditRule::new("RG-A01", Naaccr, Error, "Age at Diagnosis, Date of Birth, Date of Diagnosis")
            .items(&["ageAtDiagnosis", "dateOfBirth", "dateOfDiagnosis"])
            .message("Age at Diagnosis [230] does not agree with Date of Birth [240] and Date of Diagnosis [390]")
            .check(Check::Fn(age_matches_dates)),
        EditRule::new("RG-A02", Seer, Error, "Age, Histology (embryonal tumors of childhood)")
            .items(&["ageAtDiagnosis", "histologicTypeIcdO3"])
            .message(
                "Histology (retinoblastoma, nephroblastoma, hepatoblastoma, neuroblastoma, pleuropulmonary \
                 blastoma) is a childhood tumor: Age at Diagnosis [230] of 15 or more needs review, then \
                 Over-ride Age/Site/Morph [1990]",
            )
            .override_item("overRideAgeSiteMorph")
            .check(Check::Fn(childhood_tumor_in_adult)),
        EditRule::new("RG-A03", Seer, Error, "Age, Primary Site, Histology (adult carcinomas)")
            .items(&["ageAtDiagnosis", "primarySite", "histologicTypeIcdO3"])
            .message(
                "Carcinoma of prostate, colon/rectum, lung, breast or cervix with Age at Diagnosis [230] \
                 under 15 needs review, then Over-ride Age/Site/Morph [1990]",
            )
            .override_item("overRideAgeSiteMorph")
            .check(Check::Fn(adult_carcinoma_in_child)),
        EditRule::new("RG-A04", Registrar, Warning, "Date of Birth, Date of Last Contact (age over 120)")
            .items(&["dateOfBirth", "dateOfLastContact"])
            .message("The patient would be more than 120 years old at Date of Last Contact [1750]: check Date of Birth [240]")
            .check(Check::Fn(age_over_120_at_last_contact)),
        // ---- X: sex / site -------------------------------------------------------------------
        EditRule::new("RG-X01", Naaccr, Error, "Primary Site, Sex Assigned at Birth (male genital organs)")
            .items(&["primarySite", "sexAssignedAtBirth"])
            .message("Primary Site C60-C63 (male genital organs) is not possible with Sex Assigned at Birth [225] 2 (female)")
            .check(Check::Fn(|t| Verdict::fail_if(t.site_in(600, 639) && t.sex == Some("2")))),
        EditRule::new("RG-X02", Naaccr, Error, "Primary Site, Sex Assigned at Birth (female genital organs)")
            .items(&["primarySite", "sexAssignedAtBirth"])
            .message(
                "Primary Site C51-C58 (vulva, vagina, cervix, uterus, ovary, placenta) is not possible with \
                 Sex Assigned at Birth [225] 1 (male)",
            )
            .check(Check::Fn(|t| Verdict::fail_if(t.site_in(510, 589) && t.sex == Some("1")))),
        // ---- S: site / histology / behavior --------------------------------------------------
        EditRule::new("RG-S01", Naaccr, Error, "Primary Site (valid ICD-O-3 topography)")
            .items(&["primarySite"])
            .message("Primary Site [400] is not an ICD-O-3 topography code (C000-C809)")
            .check(Check::Fn(|t| match t.primary_site() {
                Some(site) if icdo3::topography(site).is_none() => Verdict::FailWith(format!("value '{site}'")),
                _ => Verdict::Pass,
            })),
        EditRule::new("RG-S02", Naaccr, Error, "Histologic Type ICD-O-3 (valid code)")
            .items(&["histologicTypeIcdO3"])
            .message("Histologic Type ICD-O-3 [522] is not a valid ICD-O-3 histology code")
            .check(Check::Fn(|t| match t.get("histologicTypeIcdO3") {
                Some(h) if !icdo3::is_valid_histology(h) => Verdict::FailWith(format!("value '{h}'")),
                _ => Verdict::Pass,
            })),
        EditRule::new("RG-S03", Seer, Error, "Primary Site, Morphology-Type, Behavior ICD-O-3 (cf. SEER IF25)")
            .items(&["primarySite", "histologicTypeIcdO3", "behaviorCodeIcdO3"])
            .message(
                "This combination of Primary Site [400], Histologic Type [522] and Behavior [523] is not on the \
                 site/histology list: check the codes, then Over-ride Site/Type [2030]",
            )
            .override_item("overRideSiteType")
            .check(Check::Fn(site_histology_combination)),
        EditRule::new("RG-S04", Seer, Error, "Morphology-Type, Behavior ICD-O-3 (in situ not possible)")
            .items(&["histologicTypeIcdO3", "behaviorCodeIcdO3"])
            .message(
                "Behavior [523] 2 (in situ) is not used with sarcomas (8800-8921), gliomas (9380-9523) or \
                 hematopoietic neoplasms (9590-9993): check the codes, then Over-ride Histology [2040]",
            )
            .override_item("overRideHistology")
            .check(Check::Fn(|t| {
                Verdict::fail_if(
                    t.behavior == Some(2)
                        && (t.histology_in(8800, 8921) || t.histology_in(9380, 9523) || t.histology_in(9590, 9993)),
                )
            })),
        EditRule::new("RG-S05", Seer, Error, "Primary Site, Behavior ICD-O-3 (in situ of an unknown site)")
            .items(&["primarySite", "behaviorCodeIcdO3"])
            .message(
                "Behavior [523] 2 (in situ) needs a known site: not with an ill-defined or unknown Primary Site \
                 [400] (C26.9, C39.9, C55.9, C57.9, C63.9, C68.9, C72.9, C75.9, C76.x, C80.9); then Over-ride \
                 Site/Behavior [2071]",
            )
            .override_item("overRideSiteBehavior")
            .check(Check::Fn(|t| Verdict::fail_if(t.behavior == Some(2) && is_unspecified_site(t)))),
        EditRule::new("RG-S06", Registrar, Warning, "Primary Site, Behavior ICD-O-3 (benign/borderline reportability)")
            .items(&["primarySite", "behaviorCodeIcdO3"])
            .message(
                "Benign or borderline tumors (Behavior [523] 0 or 1) are reportable only for brain and CNS sites \
                 (C70-C72, C75.1-C75.3) unless reportable by agreement",
            )
            .check(Check::Fn(|t| {
                Verdict::fail_if(
                    matches!(t.behavior, Some(0 | 1)) && t.site.is_some() && !t.site_in(700, 729) && !t.site_in(751, 753),
                )
            })),
        EditRule::new("RG-S07", Seer, Warning, "Primary Site, Heme Morph (myeloid neoplasms in bone marrow)")
            .items(&["primarySite", "histologicTypeIcdO3"])
            .message(
                "Leukemias, myeloproliferative neoplasms and myelodysplastic syndromes are coded to Primary Site \
                 [400] C42.1 (bone marrow) by the Hematopoietic manual",
            )
            .check(Check::Fn(|t| Verdict::fail_if(is_marrow_histology(t) && t.site.is_some_and(|s| s != 421)))),
        EditRule::new("RG-S08", Seer, Error, "Primary Site, Histology (organ-specific histologies)")
            .items(&["primarySite", "histologicTypeIcdO3"])
            .message(
                "Histologic Type [522] names an organ that differs from Primary Site [400] (retinoblastoma: eye \
                 C69; hepatoblastoma, hepatocellular carcinoma: liver C22.0; nephroblastoma, renal cell \
                 carcinoma: kidney C64.9): check the codes, then Over-ride Site/Type [2030]",
            )
            .override_item("overRideSiteType")
            .check(Check::Fn(organ_specific_histology)),
        // ---- L: laterality -------------------------------------------------------------------
        EditRule::new("RG-L01", Seer, Error, "Primary Site, Laterality (paired organ)")
            .items(&["primarySite", "laterality"])
            .message("Primary Site [400] is a paired organ: Laterality [410] must be 1-5 or 9, not 0")
            .check(Check::Fn(|t| Verdict::fail_if(is_paired(t) && t.is("laterality", &["0"])))),
        EditRule::new("RG-L02", Seer, Error, "Primary Site, Laterality (not a paired organ)")
            .items(&["primarySite", "laterality"])
            .message("Primary Site [400] is not a paired organ: Laterality [410] must be 0")
            .check(Check::Fn(|t| {
                let unpaired = t.primary_site().is_some_and(|s| icdo3::topography(s).is_some()) && !is_paired(t);
                Verdict::fail_if(unpaired && t.get("laterality").is_some_and(|l| l != "0"))
            })),
        EditRule::new("RG-L03", Seer, Error, "Laterality, Primary Site, Behavior (in situ side)")
            .items(&["laterality", "primarySite", "behaviorCodeIcdO3"])
            .message(
                "An in situ tumor (Behavior [523] 2) of a paired organ is diagnosed microscopically, so its side \
                 is known: Laterality [410] 4 or 9 needs review, then Over-ride Site/Lat/Morph [2074]",
            )
            .override_item("overRideSiteLatMorph")
            .check(Check::Fn(|t| {
                Verdict::fail_if(t.behavior == Some(2) && is_paired(t) && t.is("laterality", &["4", "9"]))
            })),
        EditRule::new("RG-L04", Seer, Error, "Primary Site, Laterality, Sequence Number--Central")
            .items(&["primarySite", "laterality", "sequenceNumberCentral"])
            .message(
                "Paired organ with unknown Laterality [410] 9 in a patient with more than one primary \
                 (Sequence Number--Central [380] 01-59): review the multiple primary decision, then Over-ride \
                 Site/Lat/SeqNo [2010]",
            )
            .sets(INCIDENCE)
            .override_item("overRideSiteLatSeqno")
            .check(Check::Fn(|t| {
                Verdict::fail_if(
                    is_paired(t) && t.is("laterality", &["9"]) && in_range(t.number("sequenceNumberCentral"), 1, 59),
                )
            })),
        // ---- C: diagnostic confirmation ------------------------------------------------------
        EditRule::new("RG-C01", Seer, Warning, "Diagnostic Confirmation, Histology (histology NOS)")
            .items(&["diagnosticConfirmation", "histologicTypeIcdO3"])
            .message(
                "Diagnostic Confirmation [490] 1 (positive histology) with Histologic Type [522] 8000/8001 \
                 (neoplasm/tumor cells NOS): the pathology report usually names a more specific histology",
            )
            .check(Check::Fn(|t| {
                Verdict::fail_if(t.is("diagnosticConfirmation", &["1"]) && t.histology_in(8000, 8001))
            })),
        EditRule::new("RG-C02", Seer, Error, "Diagnostic Confirmation, Histology (code 3 only for heme)")
            .items(&["diagnosticConfirmation", "histologicTypeIcdO3"])
            .message(
                "Diagnostic Confirmation [490] 3 (histology plus immunophenotyping/genetics) is only for \
                 hematopoietic and lymphoid neoplasms (Histologic Type [522] 9590-9993)",
            )
            .check(Check::Fn(|t| {
                Verdict::fail_if(
                    t.is("diagnosticConfirmation", &["3"]) && t.histology.is_some() && !t.histology_in(9590, 9993),
                )
            })),
        EditRule::new("RG-C03", Seer, Error, "Diagnostic Confirmation, Date of Diagnosis (code 3 from 2010)")
            .items(&["diagnosticConfirmation", "dateOfDiagnosis"])
            .message("Diagnostic Confirmation [490] 3 is only for tumors diagnosed in 2010 or later (Date of Diagnosis [390])")
            .check(Check::Fn(|t| {
                Verdict::fail_if(t.is("diagnosticConfirmation", &["3"]) && t.dx.is_some_and(|d| d.year() < 2010))
            })),
        EditRule::new("RG-C04", Seer, Error, "Behavior ICD-O-3, Diagnostic Confirmation (in situ)")
            .items(&["behaviorCodeIcdO3", "diagnosticConfirmation"])
            .message(
                "An in situ tumor (Behavior [523] 2) is a microscopic diagnosis: Diagnostic Confirmation [490] \
                 must be 1, 2, 3 or 4",
            )
            .check(Check::Fn(|t| {
                Verdict::fail_if(t.behavior == Some(2) && t.is("diagnosticConfirmation", &["5", "6", "7", "8", "9"]))
            })),
        EditRule::new("RG-C05", Registrar, Warning, "Diagnostic Confirmation, Histology (specific histology without microscopy)")
            .items(&["diagnosticConfirmation", "histologicTypeIcdO3"])
            .message(
                "A specific Histologic Type [522] without microscopic confirmation (Diagnostic Confirmation [490] \
                 5-8) is unusual: check the source of the histology",
            )
            .check(Check::Fn(specific_histology_without_microscopy)),
        // ---- Q: sequence number --------------------------------------------------------------
        EditRule::new("RG-Q01", Naaccr, Error, "Sequence Number--Central, Behavior ICD-O-3")
            .items(&["sequenceNumberCentral", "behaviorCodeIcdO3", "primarySite", "histologicTypeIcdO3"])
            .message(
                "Sequence Number--Central [380] does not fit Behavior [523]: 00-59, 98 or 99 for in situ and \
                 malignant tumors, 60-88 for benign and borderline (60-88 with behavior 2/3 only for tumors \
                 reportable by agreement such as skin basal/squamous cell, CIN III, PIN III)",
            )
            .sets(INCIDENCE)
            .check(Check::Fn(|t| sequence_fits_behavior(t, "sequenceNumberCentral"))),
        EditRule::new("RG-Q02", Coc, Error, "Sequence Number--Hospital, Behavior ICD-O-3")
            .items(&["sequenceNumberHospital", "behaviorCodeIcdO3", "primarySite", "histologicTypeIcdO3"])
            .message(
                "Sequence Number--Hospital [560] does not fit Behavior [523]: 00-59 or 99 for in situ and \
                 malignant tumors, 60-88 for benign, borderline and reportable-by-agreement tumors",
            )
            .sets(HOSPITAL)
            .check(Check::Fn(|t| sequence_fits_behavior(t, "sequenceNumberHospital"))),
        EditRule::new("RG-Q03", Seer, Error, "Sequence Number--Central 98 (cervix CIS before 2003)")
            .items(&["sequenceNumberCentral", "primarySite", "behaviorCodeIcdO3", "dateOfDiagnosis"])
            .message(
                "Sequence Number--Central [380] 98 is only for cervix carcinoma in situ/CIN III (C53, behavior 2) \
                 diagnosed before 2003",
            )
            .sets(INCIDENCE)
            .check(Check::Fn(|t| {
                let cervix_cis = t.site_in(530, 539) && t.behavior == Some(2) && t.dx.is_none_or(|d| d.year() < 2003);
                Verdict::fail_if(t.is("sequenceNumberCentral", &["98"]) && !cervix_cis)
            })),
        EditRule::new("RG-Q04", Seer, Error, "Sequence Number--Central, Diagnostic Confirmation")
            .items(&["sequenceNumberCentral", "diagnosticConfirmation"])
            .message(
                "One of several primaries (Sequence Number--Central [380] 01-59) without microscopic confirmation \
                 (Diagnostic Confirmation [490] 5-9): review that it is a separate primary, then Over-ride \
                 SeqNo/DxConf [2000]",
            )
            .sets(INCIDENCE)
            .override_item("overRideSeqnoDxconf")
            .check(Check::Fn(|t| multiple_primary_not_microscopic(t, "sequenceNumberCentral"))),
        EditRule::new("RG-Q05", Coc, Error, "Sequence Number--Hospital, Diagnostic Confirmation")
            .items(&["sequenceNumberHospital", "diagnosticConfirmation"])
            .message(
                "One of several primaries (Sequence Number--Hospital [560] 01-59) without microscopic confirmation \
                 (Diagnostic Confirmation [490] 5-9): review, then Over-ride HospSeq/DxConf [1986]",
            )
            .sets(HOSPITAL)
            .override_item("overRideHospseqDxconf")
            .check(Check::Fn(|t| multiple_primary_not_microscopic(t, "sequenceNumberHospital"))),
        EditRule::new("RG-Q06", Seer, Error, "Sequence Number--Central, Primary Site (ill-defined, cf. IF461)")
            .items(&["sequenceNumberCentral", "primarySite"])
            .message(
                "One of several primaries (Sequence Number--Central [380] 01-59) with an ill-defined or unknown \
                 Primary Site [400] (C76.x, C80.9): review that it is not a metastasis of another primary, then \
                 Over-ride Ill-define Site [2060]",
            )
            .sets(INCIDENCE)
            .override_item("overRideIllDefineSite")
            .check(Check::Fn(|t| multiple_primary_ill_defined(t, "sequenceNumberCentral"))),
        EditRule::new("RG-Q07", Coc, Error, "Sequence Number--Hospital, Primary Site (ill-defined)")
            .items(&["sequenceNumberHospital", "primarySite"])
            .message(
                "One of several primaries (Sequence Number--Hospital [560] 01-59) with an ill-defined or unknown \
                 Primary Site [400] (C76.x, C80.9): review, then Over-ride HospSeq/Site [1988]",
            )
            .sets(HOSPITAL)
            .override_item("overRideHospseqSite")
            .check(Check::Fn(|t| multiple_primary_ill_defined(t, "sequenceNumberHospital"))),
        EditRule::new("RG-Q08", Seer, Error, "Type of Reporting Source, Sequence Number--Central (DCO)")
            .items(&["typeOfReportingSource", "sequenceNumberCentral"])
            .message(
                "A death-certificate-only tumor (Type of Reporting Source [500] 7) in a patient with other \
                 primaries (Sequence Number--Central [380] 01-59) needs review, then Over-ride Report Source [2050]",
            )
            .sets(INCIDENCE)
            .override_item("overRideReportSource")
            .check(Check::Fn(|t| {
                Verdict::fail_if(
                    t.is("typeOfReportingSource", &["7"]) && in_range(t.number("sequenceNumberCentral"), 1, 59),
                )
            })),
        // ---- K: class of case (CoC) ----------------------------------------------------------
        EditRule::new("RG-K01", Coc, Error, "Class of Case, Date of 1st Contact (analytic)")
            .items(&["classOfCase", "dateOf1stContact"])
            .message("Analytic cases (Class of Case [610] 00-22) need Date of 1st Contact [580]")
            .sets(HOSPITAL)
            .check(Check::IfThen(Cond::Between("classOfCase", 0, 22), Cond::Present("dateOf1stContact"))),
        EditRule::new("RG-K02", Coc, Warning, "Class of Case, Date of 1st Contact, Date of Diagnosis (diagnosed here)")
            .items(&["classOfCase", "dateOf1stContact", "dateOfDiagnosis"])
            .message(
                "Class of Case [610] 00-14 (diagnosed at this facility) but Date of 1st Contact [580] is after \
                 Date of Diagnosis [390]",
            )
            .sets(HOSPITAL)
            .check(Check::Fn(|t| {
                Verdict::fail_if(in_range(t.number("classOfCase"), 0, 14) && certainly_after(t, "dateOf1stContact", "dateOfDiagnosis"))
            })),
        EditRule::new("RG-K03", Coc, Warning, "Class of Case, Date of 1st Contact, Date of Diagnosis (diagnosed elsewhere)")
            .items(&["classOfCase", "dateOf1stContact", "dateOfDiagnosis"])
            .message(
                "Class of Case [610] 20-22 (diagnosed elsewhere) but Date of 1st Contact [580] is before Date of \
                 Diagnosis [390]",
            )
            .sets(HOSPITAL)
            .check(Check::Fn(|t| {
                Verdict::fail_if(in_range(t.number("classOfCase"), 20, 22) && certainly_after(t, "dateOfDiagnosis", "dateOf1stContact"))
            })),
        EditRule::new("RG-K04", Coc, Error, "Class of Case, Vital Status (autopsy)")
            .items(&["classOfCase", "vitalStatus"])
            .message("Class of Case [610] 38 (diagnosed at autopsy) needs Vital Status [1760] 0 (dead)")
            .sets(HOSPITAL)
            .check(Check::IfThen(Cond::Is("classOfCase", &["38"]), Cond::Is("vitalStatus", &["0"]))),
        EditRule::new("RG-K05", Coc, Error, "Class of Case, Type of Reporting Source (death certificate only)")
            .items(&["classOfCase", "typeOfReportingSource"])
            .message("Class of Case [610] 49 (death certificate only) needs Type of Reporting Source [500] 7")
            .sets(HOSPITAL)
            .check(Check::IfThen(Cond::Is("classOfCase", &["49"]), Cond::Is("typeOfReportingSource", &["7"]))),
        EditRule::new("RG-K06", Coc, Error, "Class of Case, Type of Reporting Source (analytic DCO)")
            .items(&["classOfCase", "typeOfReportingSource"])
            .message("An analytic case (Class of Case [610] 00-22) cannot be death certificate only (Type of Reporting Source [500] 7)")
            .sets(HOSPITAL)
            .check(Check::Fn(|t| {
                Verdict::fail_if(in_range(t.number("classOfCase"), 0, 22) && t.is("typeOfReportingSource", &["7"]))
            })),
        // ---- O: type of reporting source (DCO, autopsy) --------------------------------------
        EditRule::new("RG-O01", Seer, Error, "Type of Reporting Source, Diagnostic Confirmation (DCO)")
            .items(&["typeOfReportingSource", "diagnosticConfirmation"])
            .message("Death certificate only (Type of Reporting Source [500] 7) needs Diagnostic Confirmation [490] 9 (unknown)")
            .check(Check::IfThen(Cond::Is("typeOfReportingSource", &["7"]), Cond::Is("diagnosticConfirmation", &["9"]))),
        EditRule::new("RG-O02", Seer, Error, "Type of Reporting Source, Vital Status (DCO)")
            .items(&["typeOfReportingSource", "vitalStatus"])
            .message("Death certificate only (Type of Reporting Source [500] 7) needs Vital Status [1760] 0 (dead)")
            .check(Check::IfThen(Cond::Is("typeOfReportingSource", &["7"]), Cond::Is("vitalStatus", &["0"]))),
        EditRule::new("RG-O03", Seer, Error, "Type of Reporting Source, treatment dates (DCO)")
            .items(&[
                "typeOfReportingSource", "rxDateSurgery", "rxDateMostDefinSurg", "rxDateRadiation", "rxDateChemo",
                "rxDateHormone", "rxDateBrm", "rxDateOther", "rxDateSystemic", "dateInitialRxSeer", "date1stCrsRxCoc",
            ])
            .message("Death certificate only (Type of Reporting Source [500] 7): treatment dates must be blank")
            .check(Check::IfThen(Cond::Is("typeOfReportingSource", &["7"]), Cond::AllBlank(TREATMENT_DATES))),
        EditRule::new("RG-O04", Seer, Warning, "Type of Reporting Source, Date of Diagnosis, Date of Last Contact (DCO)")
            .items(&["typeOfReportingSource", "dateOfDiagnosis", "dateOfLastContact"])
            .message(
                "Death certificate only (Type of Reporting Source [500] 7): Date of Diagnosis [390] is the date of \
                 death, Date of Last Contact [1750]",
            )
            .check(Check::Fn(|t| {
                Verdict::fail_if(
                    t.is("typeOfReportingSource", &["7"]) && certainly_after(t, "dateOfLastContact", "dateOfDiagnosis"),
                )
            })),
        EditRule::new("RG-O05", Npcr, Error, "Type of Reporting Source, Summary Stage 2018 (DCO)")
            .items(&["typeOfReportingSource", "summaryStage2018"])
            .message("Death certificate only (Type of Reporting Source [500] 7): Summary Stage 2018 [764] must be 9 or blank")
            .check(Check::IfThen(Cond::Is("typeOfReportingSource", &["7"]), Cond::Is("summaryStage2018", &["", "9"]))),
        EditRule::new("RG-O06", Seer, Error, "Type of Reporting Source, Vital Status (autopsy only)")
            .items(&["typeOfReportingSource", "vitalStatus"])
            .message("Autopsy only (Type of Reporting Source [500] 6) needs Vital Status [1760] 0 (dead)")
            .check(Check::IfThen(Cond::Is("typeOfReportingSource", &["6"]), Cond::Is("vitalStatus", &["0"]))),
        // ---- T: text required when codes are unknown (A and M records carry text) ------------
        EditRule::new("RG-T01", Naaccr, Error, "Primary Site, Text--Primary Site Title (unknown site)")
            .items(&["primarySite", "textPrimarySiteTitle"])
            .message("Primary Site [400] C80.9 (unknown) needs Text--Primary Site Title [2580]")
            .record_types(TEXT_TYPES)
            .check(Check::IfThen(Cond::Is("primarySite", &["C809"]), Cond::Present("textPrimarySiteTitle"))),
        EditRule::new("RG-T02", Naaccr, Error, "Primary Site, Text--Primary Site Title (ill-defined site)")
            .items(&["primarySite", "textPrimarySiteTitle"])
            .message("Primary Site [400] C76.x (ill-defined) needs Text--Primary Site Title [2580]")
            .record_types(TEXT_TYPES)
            .check(Check::Fn(|t| {
                Verdict::fail_if(t.site_in(760, 768) && t.get("textPrimarySiteTitle").is_none())
            })),
        EditRule::new("RG-T03", Naaccr, Error, "Histologic Type, Text--Histology Title (histology NOS)")
            .items(&["histologicTypeIcdO3", "textHistologyTitle"])
            .message("Histologic Type ICD-O-3 [522] 8000 (neoplasm NOS) needs Text--Histology Title [2590]")
            .record_types(TEXT_TYPES)
            .check(Check::IfThen(Cond::Is("histologicTypeIcdO3", &["8000"]), Cond::Present("textHistologyTitle"))),
        EditRule::new("RG-T04", Naaccr, Warning, "Diagnostic Confirmation, Text--DX Proc--Path")
            .items(&["diagnosticConfirmation", "textDxProcPath"])
            .message("Diagnostic Confirmation [490] 1 (positive histology) should be documented in Text--DX Proc--Path [2570]")
            .record_types(TEXT_TYPES)
            .check(Check::IfThen(Cond::Is("diagnosticConfirmation", &["1"]), Cond::Present("textDxProcPath"))),
        EditRule::new("RG-T05", Naaccr, Warning, "Diagnostic Confirmation, Text--DX Proc--X-ray/Scan")
            .items(&["diagnosticConfirmation", "textDxProcXRayScan"])
            .message("Diagnostic Confirmation [490] 7 (radiography/imaging) should be documented in Text--DX Proc--X-ray/Scan [2530]")
            .record_types(TEXT_TYPES)
            .check(Check::IfThen(Cond::Is("diagnosticConfirmation", &["7"]), Cond::Present("textDxProcXRayScan"))),
        // ---- R: treatment codes vs treatment dates -------------------------------------------
        EditRule::new("RG-R01", Coc, Error, "RX Summ--Surg Prim Site, RX Date Surgery")
            .items(&["rxSummSurgPrimSite", "rxDateSurgery"])
            .message("RX Summ--Surg Prim Site [1290] 00 (no surgery) but RX Date Surgery [1200] is filled in")
            .check(Check::IfThen(Cond::Is("rxSummSurgPrimSite", &["00"]), Cond::Blank("rxDateSurgery"))),
        EditRule::new("RG-R02", Coc, Error, "Phase I Radiation Treatment Modality, RX Date Radiation")
            .items(&["phase1RadiationTreatmentModality", "rxDateRadiation"])
            .message("Phase I Radiation Treatment Modality [1506] 00 (no radiation) but RX Date Radiation [1210] is filled in")
            .check(Check::IfThen(Cond::Is("phase1RadiationTreatmentModality", &["00"]), Cond::Blank("rxDateRadiation"))),
        EditRule::new("RG-R03", Coc, Error, "RX Summ--Chemo, RX Date Chemo")
            .items(&["rxSummChemo", "rxDateChemo"])
            .message("RX Summ--Chemo [1390] says no chemotherapy was given (00, 82-88) but RX Date Chemo [1220] is filled in")
            .check(Check::IfThen(Cond::Is("rxSummChemo", NOT_GIVEN), Cond::Blank("rxDateChemo"))),
        EditRule::new("RG-R04", Coc, Error, "RX Summ--Hormone, RX Date Hormone")
            .items(&["rxSummHormone", "rxDateHormone"])
            .message("RX Summ--Hormone [1400] says no hormone therapy was given (00, 82-88) but RX Date Hormone [1230] is filled in")
            .check(Check::IfThen(Cond::Is("rxSummHormone", NOT_GIVEN), Cond::Blank("rxDateHormone"))),
        EditRule::new("RG-R05", Coc, Error, "RX Summ--BRM, RX Date BRM")
            .items(&["rxSummBrm", "rxDateBrm"])
            .message("RX Summ--BRM [1410] says no immunotherapy was given (00, 82-88) but RX Date BRM [1240] is filled in")
            .check(Check::IfThen(Cond::Is("rxSummBrm", NOT_GIVEN), Cond::Blank("rxDateBrm"))),
        EditRule::new("RG-R06", Coc, Warning, "RX Summ--Surg/Rad Seq, RX Date Surgery, RX Date Radiation")
            .items(&["rxSummSurgRadSeq", "rxDateSurgery", "rxDateRadiation"])
            .message(
                "RX Summ--Surg/Rad Seq [1380] 0 (not both surgery and radiation) but both RX Date Surgery [1200] \
                 and RX Date Radiation [1210] are filled in",
            )
            .check(Check::Fn(|t| {
                Verdict::fail_if(
                    t.is("rxSummSurgRadSeq", &["0"]) && t.get("rxDateSurgery").is_some() && t.get("rxDateRadiation").is_some(),
                )
            })),
        EditRule::new("RG-R07", Coc, Error, "RX Summ--Treatment Status, treatment dates")
            .items(&[
                "rxSummTreatmentStatus", "rxDateSurgery", "rxDateMostDefinSurg", "rxDateRadiation", "rxDateChemo",
                "rxDateHormone", "rxDateBrm", "rxDateOther", "rxDateSystemic", "dateInitialRxSeer", "date1stCrsRxCoc",
            ])
            .message("RX Summ--Treatment Status [1285] 0 (no treatment given) but a treatment date is filled in")
            .check(Check::IfThen(Cond::Is("rxSummTreatmentStatus", &["0"]), Cond::AllBlank(TREATMENT_DATES))),
        // ---- N: regional nodes ---------------------------------------------------------------
        EditRule::new("RG-N01", Naaccr, Error, "Regional Nodes Examined, Regional Nodes Positive (none examined)")
            .items(&["regionalNodesExamined", "regionalNodesPositive"])
            .message("Regional Nodes Examined [830] 00 (none examined) needs Regional Nodes Positive [820] 98")
            .check(Check::IfThen(Cond::Is("regionalNodesExamined", &["00"]), Cond::Is("regionalNodesPositive", &["98"]))),
        EditRule::new("RG-N02", Naaccr, Error, "Regional Nodes Positive, Regional Nodes Examined (98)")
            .items(&["regionalNodesPositive", "regionalNodesExamined"])
            .message("Regional Nodes Positive [820] 98 (no nodes examined) needs Regional Nodes Examined [830] 00")
            .check(Check::IfThen(Cond::Is("regionalNodesPositive", &["98"]), Cond::Is("regionalNodesExamined", &["00"]))),
        EditRule::new("RG-N03", Naaccr, Error, "Regional Nodes Positive, Regional Nodes Examined (counts)")
            .items(&["regionalNodesPositive", "regionalNodesExamined"])
            .message("Regional Nodes Positive [820] must not be more than Regional Nodes Examined [830]")
            .check(Check::Fn(|t| {
                match (t.number("regionalNodesPositive"), t.number("regionalNodesExamined")) {
                    (Some(p), Some(e)) if p <= 90 && (1..=90).contains(&e) && p > e => {
                        Verdict::FailWith(format!("{p} positive, {e} examined"))
                    }
                    _ => Verdict::Pass,
                }
            })),
        // ---- M: multiplicity -----------------------------------------------------------------
        EditRule::new("RG-M01", Seer, Error, "Mult Tum Rpt as One Prim, Multiplicity Counter (single tumor)")
            .items(&["multTumRptAsOnePrim", "multiplicityCounter"])
            .message("Mult Tum Rpt as One Prim [444] 00 (single tumor) needs Multiplicity Counter [446] 01")
            .check(Check::IfThen(Cond::Is("multTumRptAsOnePrim", &["00"]), Cond::Is("multiplicityCounter", &["01"]))),
        EditRule::new("RG-M02", Seer, Error, "Mult Tum Rpt as One Prim, Multiplicity Counter (not applicable)")
            .items(&["multTumRptAsOnePrim", "multiplicityCounter"])
            .message("Mult Tum Rpt as One Prim [444] 88 (not applicable) needs Multiplicity Counter [446] 88")
            .check(Check::IfThen(Cond::Is("multTumRptAsOnePrim", &["88"]), Cond::Is("multiplicityCounter", &["88"]))),
        EditRule::new("RG-M03", Seer, Error, "Multiplicity Counter, Mult Tum Rpt as One Prim (not applicable)")
            .items(&["multiplicityCounter", "multTumRptAsOnePrim"])
            .message("Multiplicity Counter [446] 88 (not applicable) needs Mult Tum Rpt as One Prim [444] 88")
            .check(Check::IfThen(Cond::Is("multiplicityCounter", &["88"]), Cond::Is("multTumRptAsOnePrim", &["88"]))),
        // ---- V: vital status -----------------------------------------------------------------
        EditRule::new("RG-V01", Naaccr, Error, "Vital Status, Cause of Death (alive)")
            .items(&["vitalStatus", "causeOfDeath"])
            .message("Vital Status [1760] 1 (alive) needs Cause of Death [1910] 0000 or blank")
            .check(Check::IfThen(Cond::Is("vitalStatus", &["1"]), Cond::Is("causeOfDeath", &["", "0000"]))),
        EditRule::new("RG-V02", Naaccr, Error, "Vital Status, Cause of Death (dead)")
            .items(&["vitalStatus", "causeOfDeath"])
            .message("Vital Status [1760] 0 (dead) but Cause of Death [1910] is 0000 (patient alive)")
            .check(Check::Fn(|t| Verdict::fail_if(t.is("vitalStatus", &["0"]) && t.is("causeOfDeath", &["0000"])))),
        EditRule::new("RG-V03", Naaccr, Error, "Vital Status, ICD Revision Number (alive)")
            .items(&["vitalStatus", "icdRevisionNumber"])
            .message("Vital Status [1760] 1 (alive) needs ICD Revision Number [1920] 0 or blank")
            .check(Check::IfThen(Cond::Is("vitalStatus", &["1"]), Cond::Is("icdRevisionNumber", &["", "0"]))),
        // ---- F: other formats ----------------------------------------------------------------
        EditRule::new("RG-F01", Coc, Error, "Accession Number--Hosp (format)")
            .items(&["accessionNumberHosp"])
            .message("Accession Number--Hosp [550] must be 9 digits starting with the accession year (1900 to this year)")
            .sets(HOSPITAL)
            .check(Check::Fn(accession_number_format)),
    ]
}

/// RX Summ codes meaning "not given" (00 none, 82 contraindicated, 85 died, 86 recommended not
/// given, 87 refused, 88 recommended, unknown if given).
const NOT_GIVEN: &[&str] = &["00", "82", "85", "86", "87", "88"];

fn in_range(value: Option<u32>, low: u32, high: u32) -> bool {
    value.is_some_and(|v| (low..=high).contains(&v))
}

/// `first` is certainly after `second` (both dates known and valid).
fn certainly_after(t: &Tumor<'_>, first: &str, second: &str) -> bool {
    match (t.date(first), t.date(second)) {
        (Some(a), Some(b)) => a.is_certainly_after(&b),
        _ => false,
    }
}

fn is_paired(t: &Tumor<'_>) -> bool {
    t.primary_site().is_some_and(icdo3::is_paired_site)
}

/// Unspecified sites where in situ cannot be established (NOS sites of organ systems, C76, C80.9).
fn is_unspecified_site(t: &Tumor<'_>) -> bool {
    matches!(
        t.site,
        Some(269 | 399 | 559 | 579 | 639 | 689 | 729 | 759 | 809)
    ) || t.site_in(760, 768)
}

/// Myeloid leukemias, MPN and MDS, coded to bone marrow (lymphoid neoplasms that may present in
/// nodes, myeloid sarcoma 9930 and PTLD 9971 are left out).
fn is_marrow_histology(t: &Tumor<'_>) -> bool {
    t.histology_in(9800, 9809)
        || t.histology == Some(9820)
        || t.histology_in(9831, 9834)
        || t.histology_in(9840, 9929)
        || t.histology_in(9931, 9948)
        || t.histology_in(9950, 9967)
        || t.histology_in(9975, 9992)
}

fn age_matches_dates(t: &Tumor<'_>) -> Verdict {
    let (Some(birth), Some(dx)) = (t.date("dateOfBirth"), t.dx) else {
        return Verdict::Pass;
    };
    let Some(age) = t
        .number("ageAtDiagnosis")
        .filter(|_| t.get("ageAtDiagnosis").is_some_and(|a| a.len() == 3))
    else {
        return Verdict::Pass;
    };
    // The youngest and oldest age the partial dates allow.
    let low = whole_years(birth.latest(), dx.earliest());
    let high = whole_years(birth.earliest(), dx.latest());
    let (Some(low), Some(high)) = (low, high) else {
        return Verdict::Pass;
    };
    if age == 999 || !(low..=high).contains(&age) {
        let expected = if low == high {
            format!("{low}")
        } else {
            format!("{low}-{high}")
        };
        return Verdict::FailWith(format!("age {age:03}, the dates give {expected}"));
    }
    Verdict::Pass
}

fn whole_years(from: chrono::NaiveDate, to: chrono::NaiveDate) -> Option<u32> {
    to.years_since(from)
}

fn childhood_tumor_in_adult(t: &Tumor<'_>) -> Verdict {
    let childhood =
        t.histology_in(9510, 9514) || matches!(t.histology, Some(8960 | 8970 | 8973 | 9490 | 9500));
    Verdict::fail_if(childhood && t.age().is_some_and(|a| a >= 15))
}

fn adult_carcinoma_in_child(t: &Tumor<'_>) -> Verdict {
    let adult_site = t.site == Some(619)
        || t.site_in(180, 209)
        || t.site_in(340, 349)
        || t.site_in(500, 509)
        || t.site_in(530, 539);
    Verdict::fail_if(adult_site && t.histology_in(8010, 8589) && t.age().is_some_and(|a| a < 15))
}

fn age_over_120_at_last_contact(t: &Tumor<'_>) -> Verdict {
    match (t.date("dateOfBirth"), t.date("dateOfLastContact")) {
        (Some(birth), Some(last)) => Verdict::fail_if(
            whole_years(birth.latest(), last.earliest()).is_some_and(|age| age > 120),
        ),
        _ => Verdict::Pass,
    }
}

fn site_histology_combination(t: &Tumor<'_>) -> Verdict {
    // Only a combination of individually valid codes is judged here (RG-S01/S02, VAL- report the rest).
    let (Some(site), Some(histology), Some(behavior)) = (
        t.primary_site(),
        t.get("histologicTypeIcdO3"),
        t.get("behaviorCodeIcdO3"),
    ) else {
        return Verdict::Pass;
    };
    if icdo3::topography(site).is_none()
        || !icdo3::is_valid_histology(histology)
        || t.behavior.is_none_or(|b| b > 3)
    {
        return Verdict::Pass;
    }
    if icdo3::is_valid_site_histology(site, histology, behavior) {
        Verdict::Pass
    } else {
        Verdict::FailWith(format!("{site} {histology}/{behavior}"))
    }
}

/// Histologies whose name fixes the organ: (histology low, high, site low, high).
const ORGAN_HISTOLOGIES: &[(u16, u16, u16, u16)] = &[
    (9510, 9514, 690, 699), // retinoblastoma: eye
    (8970, 8970, 220, 220), // hepatoblastoma: liver
    (8170, 8175, 220, 220), // hepatocellular carcinoma: liver
    (8960, 8960, 649, 649), // nephroblastoma: kidney
    (8312, 8312, 649, 649), // renal cell carcinoma: kidney
];

fn organ_specific_histology(t: &Tumor<'_>) -> Verdict {
    let (Some(h), Some(site)) = (t.histology, t.site) else {
        return Verdict::Pass;
    };
    let wrong = ORGAN_HISTOLOGIES
        .iter()
        .any(|&(h_low, h_high, s_low, s_high)| {
            (h_low..=h_high).contains(&h) && !(s_low..=s_high).contains(&site)
        });
    Verdict::fail_if(wrong)
}

/// Histologies a clinician may diagnose without microscopy (NOS codes, HCC, myeloma, Kaposi,
/// CNS tumors by imaging, leukemia/lymphoma/MPN/MDS NOS, pituitary and craniopharyngioma).
const CLINICAL_HISTOLOGIES: &[u16] = &[
    8000, 8001, 8002, 8003, 8004, 8005, 8010, 8140, 8170, 8272, 8720, 8800, 9140, 9161, 9350, 9380,
    9530, 9590, 9732, 9800, 9960, 9989,
];

fn specific_histology_without_microscopy(t: &Tumor<'_>) -> Verdict {
    let clinical = t.is("diagnosticConfirmation", &["5", "6", "7", "8"]);
    Verdict::fail_if(
        clinical
            && t.histology
                .is_some_and(|h| !CLINICAL_HISTOLOGIES.contains(&h)),
    )
}

/// Tumors a registry may collect by agreement although not federally required: skin basal and
/// squamous cell carcinoma (C44, 8000-8110), CIN III (C53, behavior 2), PIN III (C61, 8148/2).
fn reportable_by_agreement(t: &Tumor<'_>) -> bool {
    (t.site_in(440, 449) && t.histology_in(8000, 8110))
        || (t.site_in(530, 539) && t.behavior == Some(2))
        || (t.site == Some(619) && t.histology == Some(8148) && t.behavior == Some(2))
}

fn sequence_fits_behavior(t: &Tumor<'_>, item: &str) -> Verdict {
    let Some(seq) = t
        .get(item)
        .filter(|s| s.len() == 2)
        .and_then(|_| t.number(item))
    else {
        return Verdict::Pass;
    };
    let fits = match t.behavior {
        Some(0 | 1) => (60..=88).contains(&seq),
        Some(2 | 3) => {
            seq <= 59
                || seq == 98
                || seq == 99
                || ((60..=88).contains(&seq) && reportable_by_agreement(t))
        }
        _ => true,
    };
    if fits {
        Verdict::Pass
    } else {
        Verdict::FailWith(format!("sequence {seq:02}"))
    }
}

fn multiple_primary_not_microscopic(t: &Tumor<'_>, item: &str) -> Verdict {
    Verdict::fail_if(
        in_range(t.number(item), 1, 59)
            && t.is("diagnosticConfirmation", &["5", "6", "7", "8", "9"]),
    )
}

fn multiple_primary_ill_defined(t: &Tumor<'_>, item: &str) -> Verdict {
    Verdict::fail_if(
        in_range(t.number(item), 1, 59) && (t.site_in(760, 768) || t.site == Some(809)),
    )
}

fn accession_number_format(t: &Tumor<'_>) -> Verdict {
    let Some(value) = t.get("accessionNumberHosp") else {
        return Verdict::Pass;
    };
    let year = value.get(..4).and_then(|y| y.parse::<i32>().ok());
    let this_year = chrono::Datelike::year(&t.today);
    let ok = value.len() == 9
        && value.bytes().all(|b| b.is_ascii_digit())
        && year.is_some_and(|y| (1900..=this_year).contains(&y));
    if ok {
        Verdict::Pass
    } else {
        Verdict::FailWith(format!("value '{value}'"))
    }
}
