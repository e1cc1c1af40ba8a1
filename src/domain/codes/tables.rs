//! The project's NAACCR code lists, written from the NAACCR Data Standards and Data Dictionary,
//! Volume II (v25/v26), the SEER Program Coding and Staging Manual and the CoC STORE manual.
//! Order: NAACCR item number.

use super::{Code, CodeList, CodeRange};

const fn c(code: &'static str, description: &'static str) -> Code {
    Code { code, description }
}

const fn r(low: u32, high: u32, description: &'static str) -> CodeRange {
    CodeRange {
        prefix: "",
        low,
        high,
        offset: 0,
        description,
    }
}

#[allow(clippy::too_many_arguments)]
const fn list(
    naaccr_id: &'static str,
    naaccr_num: u16,
    name: &'static str,
    width: usize,
    codes: &'static [Code],
    ranges: &'static [CodeRange],
    note: &'static str,
) -> CodeList {
    CodeList {
        naaccr_id,
        naaccr_num,
        name,
        width,
        codes,
        ranges,
        note,
    }
}

const NO_RANGES: &[CodeRange] = &[];

const RECORD_TYPE: &[Code] = &[
    c("A", "Full case abstract record (all items)"),
    c(
        "M",
        "Modified record: full abstract of a case changed since its previous submission",
    ),
    c(
        "C",
        "Confidential record (incidence items plus confidential identifiers)",
    ),
    c(
        "I",
        "Incidence-only record (no confidential identifiers, no text)",
    ),
];

const MARITAL_STATUS: &[Code] = &[
    c("1", "Single (never married)"),
    c("2", "Married (including common law)"),
    c("3", "Separated"),
    c("4", "Divorced"),
    c("5", "Widowed"),
    c(
        "6",
        "Unmarried or domestic partner (same sex or opposite sex, registered or unregistered, \
         other than common law marriage)",
    ),
    c("9", "Unknown"),
];

/// Race codes shared by Race 1-5; 88 is added for Race 2-5 only.
macro_rules! race_codes {
    ($($extra:expr),*) => {
        &[
            c("01", "White"),
            c("02", "Black"),
            c(
                "03",
                "American Indian, Aleutian, or Eskimo (includes all indigenous populations of the \
                 Western hemisphere)",
            ),
            c("04", "Chinese"),
            c("05", "Japanese"),
            c("06", "Filipino"),
            c("07", "Hawaiian"),
            c("08", "Korean"),
            c("10", "Vietnamese"),
            c("11", "Laotian"),
            c("12", "Hmong"),
            c("13", "Kampuchean (includes Khmer and Cambodian)"),
            c("14", "Thai"),
            c("15", "Asian Indian or Pakistani, NOS (formerly code 09)"),
            c("16", "Asian Indian"),
            c("17", "Pakistani"),
            c("20", "Micronesian, NOS"),
            c("21", "Chamorro/Chamoru"),
            c("22", "Guamanian, NOS"),
            c("25", "Polynesian, NOS"),
            c("26", "Tahitian"),
            c("27", "Samoan"),
            c("28", "Tongan"),
            c("30", "Melanesian, NOS"),
            c("31", "Fiji Islander"),
            c("32", "Papua New Guinean"),
            $($extra,)*
            c("96", "Other Asian, including Asian, NOS and Oriental, NOS"),
            c("97", "Pacific Islander, NOS"),
            c("98", "Other"),
            c("99", "Unknown"),
        ]
    };
}

const RACE_1: &[Code] = race_codes!();
const RACE_2_TO_5: &[Code] = race_codes!(c("88", "No further race documented"));

const SPANISH_HISPANIC_ORIGIN: &[Code] = &[
    c("0", "Non-Spanish; non-Hispanic"),
    c("1", "Mexican (includes Chicano)"),
    c("2", "Puerto Rican"),
    c("3", "Cuban"),
    c("4", "South or Central American (except Brazil)"),
    c(
        "5",
        "Other specified Spanish/Hispanic origin (includes European; excludes Dominican Republic)",
    ),
    c(
        "6",
        "Spanish, NOS; Hispanic, NOS; Latino, NOS (evidence other than surname or maiden name that \
         the person is Hispanic, but not assignable to codes 1-5)",
    ),
    c(
        "7",
        "Spanish surname only (the only evidence of Hispanic origin is the surname or maiden name, \
         and there is no contrary evidence)",
    ),
    c("8", "Dominican Republic"),
    c("9", "Unknown whether Spanish or not"),
];

const COMPUTED_ETHNICITY: &[Code] = &[
    c(
        "",
        "Cases diagnosed 1995 and later: no surname match was run",
    ),
    c("0", "No match was run, for 1994 and earlier cases"),
    c("1", "Non-Hispanic last name and non-Hispanic maiden name"),
    c(
        "2",
        "Non-Hispanic last name, did not check maiden name or patient was male",
    ),
    c("3", "Non-Hispanic last name, missing maiden name"),
    c("4", "Hispanic last name, non-Hispanic maiden name"),
    c(
        "5",
        "Hispanic last name, did not check maiden name or patient was male",
    ),
    c("6", "Hispanic last name, missing maiden name"),
    c(
        "7",
        "Hispanic maiden name (females only), regardless of last name",
    ),
];

const SEX: &[Code] = &[
    c("1", "Male"),
    c("2", "Female"),
    c("3", "Other (intersex, disorders of sexual development/DSD)"),
    c("4", "Transsexual, NOS"),
    c("5", "Transsexual, natal male"),
    c("6", "Transsexual, natal female"),
    c("9", "Not stated/Unknown"),
];

const SEX_ASSIGNED_AT_BIRTH: &[Code] = &[
    c("1", "Male"),
    c("2", "Female"),
    c("9", "Not stated/Unknown"),
];

const AGE_AT_DIAGNOSIS: &[Code] = &[
    c("000", "Less than 1 year old; diagnosed in utero"),
    c("001", "1 year old"),
    c("999", "Unknown age"),
];
const AGE_AT_DIAGNOSIS_RANGES: &[CodeRange] = &[r(2, 120, "{n} years old")];

const SEQUENCE_NUMBER_HOSPITAL: &[Code] = &[
    c(
        "00",
        "One malignant (or in situ) primary only in the patient's lifetime",
    ),
    c(
        "01",
        "First of two or more malignant (or in situ) primaries",
    ),
    c(
        "60",
        "Only one non-malignant (benign/borderline) primary in the patient's lifetime",
    ),
    c(
        "61",
        "First of two or more non-malignant (benign/borderline) primaries",
    ),
    c(
        "88",
        "Unspecified number of non-malignant (benign/borderline) primaries",
    ),
    c(
        "99",
        "Unspecified or unknown sequence number of malignant (or in situ) primaries",
    ),
];
const SEQUENCE_NUMBER_CENTRAL: &[Code] = &[
    c(
        "00",
        "One malignant (or in situ) primary only in the patient's lifetime",
    ),
    c(
        "01",
        "First of two or more malignant (or in situ) primaries",
    ),
    c(
        "60",
        "Only one non-malignant (benign/borderline) primary in the patient's lifetime",
    ),
    c(
        "61",
        "First of two or more non-malignant (benign/borderline) primaries",
    ),
    c(
        "88",
        "Unspecified number of non-malignant (benign/borderline) primaries",
    ),
    c(
        "98",
        "Cervix carcinoma in situ (CIS/CIN III), diagnosis years 1996-2002",
    ),
    c(
        "99",
        "Unspecified or unknown sequence number of malignant (or in situ) primaries",
    ),
];
const SEQUENCE_NUMBER_RANGES: &[CodeRange] = &[
    r(
        2,
        59,
        "Malignant (or in situ) primary number {n} of two or more, in order of diagnosis",
    ),
    CodeRange {
        prefix: "",
        low: 62,
        high: 87,
        offset: 60,
        description: "Non-malignant (benign/borderline) primary number {n} of two or more, in \
                      order of diagnosis",
    },
];

const LATERALITY: &[Code] = &[
    c("0", "Not a paired site"),
    c("1", "Right: origin of primary"),
    c("2", "Left: origin of primary"),
    c(
        "3",
        "Only one side involved, right or left origin unspecified",
    ),
    c(
        "4",
        "Bilateral involvement at time of diagnosis, lateral origin unknown for a single primary; \
         or both ovaries involved simultaneously, single histology; bilateral retinoblastomas; \
         bilateral Wilms tumors",
    ),
    c("5", "Paired site: midline tumor"),
    c("9", "Paired site, but no information concerning laterality"),
];

const GRADE_ICDO3: &[Code] = &[
    c(
        "1",
        "Grade I; grade i; grade 1; well differentiated; differentiated, NOS",
    ),
    c(
        "2",
        "Grade II; grade ii; grade 2; moderately differentiated; moderately well differentiated; intermediate differentiation",
    ),
    c(
        "3",
        "Grade III; grade iii; grade 3; poorly differentiated; dedifferentiated",
    ),
    c(
        "4",
        "Grade IV; grade iv; grade 4; undifferentiated; anaplastic",
    ),
    c("5", "T cell; T-precursor"),
    c("6", "B cell; pre-B; B-precursor"),
    c("7", "Null cell; non T-non B"),
    c("8", "NK cell (natural killer cell)"),
    c(
        "9",
        "Grade/differentiation unknown, not stated, or not applicable",
    ),
];

const AMBIGUOUS_TERMINOLOGY_DX: &[Code] = &[
    c(
        "0",
        "Conclusive terminology within 60 days of the original diagnosis",
    ),
    c(
        "1",
        "Ambiguous terminology only (during the first 60 days following initial diagnosis)",
    ),
    c(
        "2",
        "Ambiguous terminology followed by conclusive terminology more than 60 days after the \
         initial diagnosis",
    ),
    c("9", "Unknown term used"),
];

const MULT_TUM_RPT_AS_ONE_PRIM: &[Code] = &[
    c("00", "Single tumor"),
    c("10", "Multiple benign tumors"),
    c("11", "Multiple borderline tumors"),
    c("12", "Benign and borderline tumors"),
    c("20", "Multiple in situ tumors"),
    c("30", "In situ and invasive tumors"),
    c("31", "Polyp and adenocarcinoma"),
    c("32", "Familial adenomatous polyposis (FAP) with carcinoma"),
    c("40", "Multiple invasive tumors"),
    c("80", "Unknown if in situ or invasive"),
    c("99", "Unknown"),
];

const MULTIPLICITY_COUNTER: &[Code] = &[
    c("01", "One tumor only"),
    c(
        "88",
        "Information on multiple tumors not applicable for this site",
    ),
    c("89", "Multicentric, multifocal, number unknown"),
    c("99", "Unknown if multiple tumors; not documented"),
];
const MULTIPLICITY_COUNTER_RANGES: &[CodeRange] = &[r(2, 87, "{n} tumors")];

const DIAGNOSTIC_CONFIRMATION: &[Code] = &[
    c("1", "Positive histology"),
    c("2", "Positive cytology"),
    c(
        "3",
        "Positive histology PLUS positive immunophenotyping and/or positive genetic studies \
         (hematopoietic and lymphoid neoplasms 9590-9993 only)",
    ),
    c(
        "4",
        "Positive microscopic confirmation, method not specified",
    ),
    c("5", "Positive laboratory test/marker study"),
    c("6", "Direct visualization without microscopic confirmation"),
    c(
        "7",
        "Radiography and other imaging techniques without microscopic confirmation",
    ),
    c("8", "Clinical diagnosis only (other than 5, 6, or 7)"),
    c(
        "9",
        "Unknown whether or not microscopically confirmed; death certificate only",
    ),
];

const TYPE_OF_REPORTING_SOURCE: &[Code] = &[
    c(
        "1",
        "Hospital inpatient; managed health plans with comprehensive, unified medical records",
    ),
    c(
        "2",
        "Radiation treatment centers or medical oncology centers (hospital-affiliated or \
         independent)",
    ),
    c("3", "Laboratory only (hospital-affiliated or independent)"),
    c("4", "Physician's office/private medical practitioner (LMD)"),
    c("5", "Nursing/convalescent home/hospice"),
    c("6", "Autopsy only"),
    c("7", "Death certificate only"),
    c("8", "Other hospital outpatient units/surgery centers"),
];

const CASEFINDING_SOURCE: &[Code] = &[
    c("10", "Reporting hospital, NOS"),
    c(
        "20",
        "Pathology department review (surgical pathology reports, autopsies, or cytology reports)",
    ),
    c(
        "21",
        "Daily discharge review (daily screening of charts of discharged patients)",
    ),
    c(
        "22",
        "Disease index review (review of the disease index in the medical records department)",
    ),
    c("23", "Radiation therapy department/center"),
    c(
        "24",
        "Laboratory reports (other than pathology reports, code 20)",
    ),
    c("25", "Outpatient chemotherapy"),
    c(
        "26",
        "Diagnostic imaging/radiology (other than radiation therapy, code 23; includes nuclear medicine)",
    ),
    c("27", "Tumor board"),
    c("28", "Hospital rehabilitation service or clinic"),
    c(
        "29",
        "Other hospital source (including clinic, NOS or outpatient department, NOS)",
    ),
    c("30", "Physician-initiated case"),
    c(
        "40",
        "Consultation-only or pathology-only report (not abstracted by reporting hospital)",
    ),
    c("50", "Private pathology laboratory report"),
    c("60", "Nursing home-initiated case"),
    c("70", "Coroner's office records review"),
    c("75", "Managed care organization (MCO) or insurance records"),
    c(
        "80",
        "Death certificate (case identified through death clearance)",
    ),
    c("85", "Out-of-state case sharing"),
    c("90", "Other non-reporting hospital source"),
    c(
        "95",
        "Quality control review (case initially identified through quality control activities \
         such as a casefinding audit of a regional or central registry)",
    ),
    c("99", "Unknown"),
];

const CLASS_OF_CASE: &[Code] = &[
    c(
        "00",
        "Initial diagnosis at the reporting facility AND all treatment or a decision not to treat \
         was done elsewhere",
    ),
    c(
        "10",
        "Initial diagnosis at the reporting facility or in an office of a physician with \
         admitting privileges AND part or all of first course treatment or a decision not to \
         treat was at the reporting facility, NOS",
    ),
    c(
        "11",
        "Initial diagnosis in an office of a physician with admitting privileges AND part of \
         first course treatment was done at the reporting facility",
    ),
    c(
        "12",
        "Initial diagnosis in an office of a physician with admitting privileges AND all first \
         course treatment or a decision not to treat was done at the reporting facility",
    ),
    c(
        "13",
        "Initial diagnosis at the reporting facility AND part of first course treatment was done \
         at the reporting facility; part of first course treatment was done elsewhere",
    ),
    c(
        "14",
        "Initial diagnosis at the reporting facility AND all first course treatment or a \
         decision not to treat was done at the reporting facility",
    ),
    c(
        "20",
        "Initial diagnosis elsewhere AND all or part of first course treatment was done at the \
         reporting facility, NOS",
    ),
    c(
        "21",
        "Initial diagnosis elsewhere AND part of first course treatment was done at the \
         reporting facility; part of first course treatment was done elsewhere",
    ),
    c(
        "22",
        "Initial diagnosis elsewhere AND all first course treatment or a decision not to treat \
         was done at the reporting facility",
    ),
    c(
        "30",
        "Initial diagnosis and all first course treatment elsewhere AND reporting facility \
         participated in diagnostic workup (for example, consult only, staging workup after \
         initial diagnosis elsewhere)",
    ),
    c(
        "31",
        "Initial diagnosis and all first course treatment elsewhere AND reporting facility \
         provided in-transit care",
    ),
    c(
        "32",
        "Diagnosis AND all first course treatment provided elsewhere AND patient presents at \
         reporting facility with disease recurrence or persistence (active disease)",
    ),
    c(
        "33",
        "Diagnosis AND all first course treatment provided elsewhere AND patient presents at \
         reporting facility with disease history only (disease not active)",
    ),
    c(
        "34",
        "Type of case not required by CoC to be accessioned (for example, a benign colon tumor) \
         AND initial diagnosis AND part or all of first course treatment by reporting facility",
    ),
    c(
        "35",
        "Case diagnosed before program's Reference Date AND initial diagnosis AND all or part of \
         first course treatment by reporting facility",
    ),
    c(
        "36",
        "Type of case not required by CoC to be accessioned (for example, a benign colon tumor) \
         AND initial diagnosis elsewhere AND all or part of first course treatment by reporting \
         facility",
    ),
    c(
        "37",
        "Case diagnosed before program's Reference Date AND initial diagnosis elsewhere AND all \
         or part of first course treatment by reporting facility",
    ),
    c(
        "38",
        "Initial diagnosis established by autopsy at the reporting facility, cancer not \
         suspected prior to death",
    ),
    c(
        "40",
        "Diagnosis AND all first course treatment given at the same staff physician's office",
    ),
    c(
        "41",
        "Diagnosis and all first course treatment given in two or more different offices of \
         physicians with admitting privileges",
    ),
    c(
        "42",
        "Nonstaff physician or non-CoC accredited clinic or other facility, not part of reporting \
         facility, accessioned by reporting facility for diagnosis and/or treatment by that \
         entity (for example, hospital abstracts cases from an independent radiation facility)",
    ),
    c("43", "Pathology or other lab specimens only"),
    c("49", "Death certificate only"),
    c(
        "99",
        "Nonanalytic case of unknown relationship to facility (not for use by CoC accredited \
         cancer programs for analytic cases)",
    ),
];

const PRIMARY_PAYER_AT_DX: &[Code] = &[
    c("01", "Not insured"),
    c("02", "Not insured, self-pay"),
    c("10", "Insurance, NOS"),
    c("20", "Private insurance: managed care, HMO, or PPO"),
    c("21", "Private insurance: fee-for-service"),
    c("31", "Medicaid"),
    c("35", "Medicaid - administered through a managed care plan"),
    c("60", "Medicare/Medicare, NOS"),
    c("61", "Medicare with supplement, NOS"),
    c("62", "Medicare - administered through a managed care plan"),
    c("63", "Medicare with private supplement"),
    c("64", "Medicare with Medicaid eligibility"),
    c("65", "TRICARE"),
    c("66", "Military"),
    c("67", "Veterans Affairs"),
    c("68", "Indian/Public Health Service"),
    c("99", "Insurance status unknown"),
];

const TUMOR_SIZE: &[Code] = &[
    c("000", "No mass/tumor found"),
    c("001", "1 mm or described as less than 1 mm"),
    c("989", "989 millimeters or larger"),
    c(
        "990",
        "Microscopic focus or foci only and no size of focus is given",
    ),
    c("991", "Described as \"less than 1 cm\""),
    c(
        "992",
        "Described as \"less than 2 cm,\" or \"greater than 1 cm,\" or \"between 1 cm and 2 cm\"",
    ),
    c(
        "993",
        "Described as \"less than 3 cm,\" or \"greater than 2 cm,\" or \"between 2 cm and 3 cm\"",
    ),
    c(
        "994",
        "Described as \"less than 4 cm,\" or \"greater than 3 cm,\" or \"between 3 cm and 4 cm\"",
    ),
    c(
        "995",
        "Described as \"less than 5 cm,\" or \"greater than 4 cm,\" or \"between 4 cm and 5 cm\"",
    ),
    c(
        "998",
        "Site-specific codes (e.g. familial/multiple polyposis of the colon, diffuse tumor of \
         stomach or esophagus, diffuse or multifocal breast tumor, diffuse lung)",
    ),
    c(
        "999",
        "Unknown; size not stated; size of tumor cannot be assessed; not documented in patient \
         record; not applicable",
    ),
];
const TUMOR_SIZE_RANGES: &[CodeRange] = &[r(2, 988, "{n} millimeters (exact size)")];

const SUMMARY_STAGE_2018: &[Code] = &[
    c("0", "In situ"),
    c("1", "Localized only"),
    c("2", "Regional by direct extension only"),
    c("3", "Regional lymph nodes involved only"),
    c(
        "4",
        "Regional by BOTH direct extension AND regional lymph node involvement",
    ),
    c("7", "Distant site(s)/node(s) involved"),
    c("8", "Benign/borderline"),
    c(
        "9",
        "Unknown if extension or metastasis (unstaged, unknown, or unspecified); death \
         certificate only case",
    ),
];

const REGIONAL_NODES_POSITIVE: &[Code] = &[
    c("00", "All nodes examined are negative"),
    c("01", "1 node positive"),
    c("90", "90 or more nodes are positive"),
    c(
        "95",
        "Positive aspiration or core biopsy of lymph node(s) was performed",
    ),
    c(
        "97",
        "Positive nodes are documented, but the number is unspecified",
    ),
    c("98", "No nodes were examined"),
    c(
        "99",
        "It is unknown whether nodes are positive; not applicable; not stated in patient record",
    ),
];
const REGIONAL_NODES_POSITIVE_RANGES: &[CodeRange] = &[r(2, 89, "{n} nodes positive")];

const REGIONAL_NODES_EXAMINED: &[Code] = &[
    c("00", "No nodes were examined"),
    c("01", "1 node was examined"),
    c("90", "90 or more nodes were examined"),
    c(
        "95",
        "No regional nodes were removed, but aspiration or core biopsy of regional nodes was \
         performed",
    ),
    c(
        "96",
        "Regional lymph node removal was documented as a sampling, and the number of nodes is \
         unknown/not stated",
    ),
    c(
        "97",
        "Regional lymph node removal was documented as a dissection, and the number of nodes is \
         unknown/not stated",
    ),
    c(
        "98",
        "Regional lymph nodes were surgically removed, but the number of lymph nodes is \
         unknown/not stated and not documented as a sampling or dissection; nodes were examined, \
         but the number is unknown",
    ),
    c(
        "99",
        "It is unknown whether nodes were examined; not applicable or negative; not stated in \
         patient record",
    ),
];
const REGIONAL_NODES_EXAMINED_RANGES: &[CodeRange] = &[r(2, 89, "{n} nodes were examined")];

const LYMPH_VASCULAR_INVASION: &[Code] = &[
    c(
        "0",
        "Lymphovascular invasion stated as not present; not identified",
    ),
    c("1", "Lymphovascular invasion present/identified, NOS"),
    c("2", "Lymphatic and small vessel invasion only (L)"),
    c("3", "Venous (large vessel) invasion only (V)"),
    c(
        "4",
        "BOTH lymphatic and small vessel AND venous (large vessel) invasion",
    ),
    c("8", "Not applicable"),
    c(
        "9",
        "Unknown if lymphovascular invasion present; indeterminate; not mentioned in the \
         pathology report",
    ),
];

/// Generic grade codes; each schema's grade table (Grade Manual, 2018+) says which apply.
macro_rules! grade_2018_codes {
    ($($extra:expr),*) => {
        &[
            $($extra,)*
            c("1", "G1 (in most grade tables: well differentiated; low grade)"),
            c("2", "G2 (in most grade tables: moderately differentiated; intermediate grade)"),
            c("3", "G3 (in most grade tables: poorly differentiated; high grade)"),
            c("4", "G4 (in most grade tables: undifferentiated, anaplastic)"),
            c("5", "Grade 5 (schema-specific, e.g. prostate Grade Group 5)"),
            c("8", "Not applicable (schema-specific, e.g. grade not applicable for this histology)"),
            c("9", "Grade cannot be assessed (GX); unknown"),
            c("A", "Well differentiated"),
            c("B", "Moderately differentiated"),
            c("C", "Poorly differentiated"),
            c("D", "Undifferentiated, anaplastic"),
            c("E", "Schema-specific terminology grade (see the schema's grade table)"),
            c("L", "Low grade (schema-specific, e.g. breast in situ nuclear grade I)"),
            c("M", "Intermediate grade (schema-specific, e.g. breast in situ nuclear grade II)"),
            c("H", "High grade (schema-specific, e.g. breast in situ nuclear grade III)"),
            c("S", "Schema-specific code (see the schema's grade table)"),
        ]
    };
}
const GRADE_2018: &[Code] = grade_2018_codes!();
const GRADE_POST_THERAPY: &[Code] = grade_2018_codes!(c(
    "",
    "No neoadjuvant therapy; clinical or pathological case only; or neoadjuvant therapy \
     completed but no resection of the primary tumor",
));

const RX_SUMM_TREATMENT_STATUS: &[Code] = &[
    c("0", "No treatment given"),
    c("1", "Treatment given"),
    c("2", "Active surveillance (watchful waiting)"),
    c("9", "Unknown if treatment was given"),
];

const RX_SUMM_SURG_PRIM_SITE: &[Code] = &[
    c("00", "None; no surgery of primary site; autopsy only"),
    c("90", "Surgery, NOS"),
    c(
        "98",
        "Special code: hematopoietic/reticuloendothelial/immunoproliferative/myeloproliferative \
         disease, ill-defined site, or unknown primary, with or without surgical treatment",
    ),
    c("99", "Unknown if surgery performed; death certificate only"),
];
const RX_SUMM_SURG_PRIM_SITE_RANGES: &[CodeRange] = &[
    r(
        10,
        19,
        "Site-specific code {n}: tumor destruction or local excision (no pathology specimen or \
               specimen of the lesion only; see the site's surgery codes)",
    ),
    r(
        20,
        80,
        "Site-specific code {n}: resection (see the site's surgery codes)",
    ),
];

const RX_SUMM_SURG_PRIM_SITE_2023: &[Code] = &[
    c("A000", "None; no surgery of primary site; autopsy only"),
    c("A900", "Surgery, NOS"),
    c(
        "A980",
        "Special code: hematopoietic/reticuloendothelial/immunoproliferative/myeloproliferative \
         disease, ill-defined site, or unknown primary, with or without surgical treatment",
    ),
    c(
        "A990",
        "Unknown if surgery performed; death certificate only",
    ),
];
const RX_SUMM_SURG_PRIM_SITE_2023_RANGES: &[CodeRange] = &[
    CodeRange {
        prefix: "A",
        low: 100,
        high: 899,
        offset: 0,
        description: "Site-specific surgery code {code} (see the site's 2023 surgery codes, STORE \
                      Appendix B)",
    },
    CodeRange {
        prefix: "B",
        low: 100,
        high: 899,
        offset: 0,
        description: "Site-specific surgery code {code} (new 2023 code structure; see the site's \
                      2023 surgery codes, STORE Appendix B)",
    },
];

const RX_SUMM_SCOPE_REG_LN_SUR: &[Code] = &[
    c("0", "No regional lymph node surgery"),
    c("1", "Biopsy or aspiration of regional lymph node(s)"),
    c("2", "Sentinel lymph node biopsy"),
    c(
        "3",
        "Number of regional lymph nodes removed unknown or not stated; regional lymph nodes \
         removed, NOS",
    ),
    c("4", "1 to 3 regional lymph nodes removed"),
    c("5", "4 or more regional lymph nodes removed"),
    c(
        "6",
        "Sentinel node biopsy and code 3, 4, or 5 at same time, or timing not stated",
    ),
    c(
        "7",
        "Sentinel node biopsy and code 3, 4, or 5 at different times",
    ),
    c("9", "Unknown or not applicable"),
];

const RX_SUMM_SURG_OTH_REG_DIS: &[Code] = &[
    c("0", "None; diagnosed at autopsy"),
    c("1", "Non-primary surgical procedure performed"),
    c(
        "2",
        "Non-primary surgical procedure to other regional sites",
    ),
    c(
        "3",
        "Non-primary surgical procedure to distant lymph node(s)",
    ),
    c("4", "Non-primary surgical procedure to distant site"),
    c("5", "Combination of codes 2, 3, or 4"),
    c("9", "Unknown; death certificate only"),
];

const REASON_FOR_NO_SURGERY: &[Code] = &[
    c("0", "Surgery of the primary site was performed"),
    c(
        "1",
        "Surgery of the primary site was not performed because it was not part of the planned \
         first-course treatment",
    ),
    c(
        "2",
        "Surgery of the primary site was not recommended/performed because it was \
         contraindicated due to patient risk factors (comorbid conditions, advanced age, etc.)",
    ),
    c(
        "5",
        "Surgery of the primary site was not performed because the patient died prior to \
         planned or recommended surgery",
    ),
    c(
        "6",
        "Surgery of the primary site was not performed; it was recommended by the patient's \
         physician, but was not performed as part of the first-course therapy; no reason was \
         noted in the patient record",
    ),
    c(
        "7",
        "Surgery of the primary site was not performed; it was recommended by the patient's \
         physician, but this treatment was refused by the patient, the patient's family member, \
         or the patient's guardian; the refusal was noted in the patient record",
    ),
    c(
        "8",
        "Surgery of the primary site was recommended, but it is unknown if it was performed; \
         further follow-up is recommended",
    ),
    c(
        "9",
        "It is unknown if surgery of the primary site was recommended or performed; death \
         certificate only and autopsy only cases",
    ),
];

const RX_SUMM_RADIATION: &[Code] = &[
    c("0", "None; diagnosed at autopsy"),
    c("1", "Beam radiation"),
    c("2", "Radioactive implants (includes brachytherapy)"),
    c("3", "Radioisotopes"),
    c("4", "Combination of 1 with 2 or 3"),
    c("5", "Radiation, NOS - method or source not specified"),
    c(
        "7",
        "Patient or patient's guardian refused radiation therapy",
    ),
    c("8", "Radiation recommended, unknown if administered"),
    c("9", "Unknown if radiation administered"),
];

const RX_SUMM_RAD_TO_CNS: &[Code] = &[
    c(
        "0",
        "No radiation to the central nervous system; diagnosed at autopsy",
    ),
    c("1", "Radiation to the central nervous system"),
    c(
        "7",
        "Patient or patient's guardian refused radiation to the central nervous system",
    ),
    c(
        "8",
        "Radiation to the central nervous system recommended, unknown if administered",
    ),
    c(
        "9",
        "Unknown if radiation to the central nervous system administered",
    ),
];

const RX_SUMM_SURG_RAD_SEQ: &[Code] = &[
    c(
        "0",
        "No radiation therapy and/or surgical procedures; unknown if surgery and/or radiation \
         given",
    ),
    c("2", "Radiation therapy before surgery"),
    c("3", "Radiation therapy after surgery"),
    c("4", "Radiation therapy both before and after surgery"),
    c("5", "Intraoperative radiation therapy"),
    c(
        "6",
        "Intraoperative radiation therapy with other therapy administered before and/or after \
         surgery",
    ),
    c("7", "Surgery both before and after radiation"),
    c("9", "Sequence unknown"),
];

/// The 00/01/82-99 pattern shared by the systemic therapy items; `$what` names the therapy.
macro_rules! systemic_codes {
    ($none:literal, $given:expr, $what:literal) => {
        &[
            c("00", $none),
            $given,
            c(
                "82",
                concat!(
                    $what,
                    " was not recommended/administered because it was contraindicated due to \
                     patient risk factors (e.g. comorbid conditions, advanced age)"
                ),
            ),
            c(
                "85",
                concat!(
                    $what,
                    " was not administered because the patient died prior to planned or \
                     recommended therapy"
                ),
            ),
            c(
                "86",
                concat!(
                    $what,
                    " was not administered; it was recommended by the patient's physician, but \
                     was not administered as part of first course therapy; no reason was stated \
                     in the patient record"
                ),
            ),
            c(
                "87",
                concat!(
                    $what,
                    " was not administered; it was recommended by the patient's physician, but \
                     this treatment was refused by the patient, the patient's family member, or \
                     the patient's guardian; the refusal was noted in the patient record"
                ),
            ),
            c("88", concat!($what, " was recommended, but it is unknown if it was administered")),
            c(
                "99",
                concat!(
                    "It is unknown whether ",
                    $what,
                    " was recommended or administered because it is not stated in the patient \
                     record; death certificate only"
                ),
            ),
        ]
    };
}

const RX_SUMM_CHEMO: &[Code] = &[
    c(
        "00",
        "None; chemotherapy was not part of the planned first course of therapy; diagnosed at autopsy",
    ),
    c(
        "01",
        "Chemotherapy administered as first course therapy, but the type and number of agents \
         is not documented in the patient record",
    ),
    c(
        "02",
        "Single-agent chemotherapy administered as first course therapy",
    ),
    c(
        "03",
        "Multiagent chemotherapy administered as first course therapy",
    ),
    c(
        "82",
        "Chemotherapy was not recommended/administered because it was contraindicated due to \
         patient risk factors (e.g. comorbid conditions, advanced age)",
    ),
    c(
        "85",
        "Chemotherapy was not administered because the patient died prior to planned or \
         recommended therapy",
    ),
    c(
        "86",
        "Chemotherapy was not administered; it was recommended by the patient's physician, but \
         was not administered as part of first course therapy; no reason was stated in the \
         patient record",
    ),
    c(
        "87",
        "Chemotherapy was not administered; it was recommended by the patient's physician, but \
         this treatment was refused by the patient, the patient's family member, or the \
         patient's guardian; the refusal was noted in the patient record",
    ),
    c(
        "88",
        "Chemotherapy was recommended, but it is unknown if it was administered",
    ),
    c(
        "99",
        "It is unknown whether chemotherapy was recommended or administered because it is not \
         stated in the patient record; death certificate only",
    ),
];

const RX_SUMM_HORMONE: &[Code] = systemic_codes!(
    "None; hormone therapy was not part of the planned first course of therapy; diagnosed at autopsy",
    c("01", "Hormone therapy administered as first course therapy"),
    "Hormone therapy"
);

const RX_SUMM_BRM: &[Code] = systemic_codes!(
    "None; immunotherapy was not part of the planned first course of therapy; diagnosed at autopsy",
    c("01", "Immunotherapy administered as first course therapy"),
    "Immunotherapy"
);

const RX_SUMM_TRANSPLNT_ENDOCR: &[Code] = &[
    c(
        "00",
        "No transplant procedure or endocrine therapy was administered as part of first course \
         therapy; diagnosed at autopsy",
    ),
    c(
        "10",
        "A bone marrow transplant procedure was administered, but the type was not specified",
    ),
    c("11", "Bone marrow transplant - autologous"),
    c("12", "Bone marrow transplant - allogeneic"),
    c("20", "Stem cell harvest and infusion"),
    c("30", "Endocrine surgery and/or endocrine radiation therapy"),
    c(
        "40",
        "Combination of endocrine surgery and/or radiation with a transplant procedure \
         (combination of code 30 and codes 10, 11, 12, or 20)",
    ),
    c(
        "82",
        "Hematologic transplant and/or endocrine surgery/radiation was not recommended/\
         administered because it was contraindicated due to patient risk factors",
    ),
    c(
        "85",
        "Hematologic transplant and/or endocrine surgery/radiation was not administered because \
         the patient died prior to planned or recommended therapy",
    ),
    c(
        "86",
        "Hematologic transplant and/or endocrine surgery/radiation was not administered; it was \
         recommended by the patient's physician, but was not administered as part of first \
         course therapy; no reason was stated in the patient record",
    ),
    c(
        "87",
        "Hematologic transplant and/or endocrine surgery/radiation was not administered; it was \
         recommended, but this treatment was refused by the patient, the patient's family \
         member, or the patient's guardian; the refusal was noted in the patient record",
    ),
    c(
        "88",
        "Hematologic transplant and/or endocrine surgery/radiation was recommended, but it is \
         unknown if it was administered",
    ),
    c(
        "99",
        "It is unknown whether hematologic transplant and/or endocrine surgery/radiation was \
         recommended or administered because it is not stated in the patient record; death \
         certificate only",
    ),
];

const RX_SUMM_OTHER: &[Code] = &[
    c(
        "0",
        "None: all cancer treatment was coded in other treatment fields (surgery, radiation, \
         systemic therapy); patient received no cancer treatment; diagnosed at autopsy",
    ),
    c(
        "1",
        "Other: cancer treatment that cannot be appropriately assigned to specified treatment \
         data items (surgery, radiation, systemic)",
    ),
    c(
        "2",
        "Other-Experimental: may be used to record participation in facility-based clinical \
         trials",
    ),
    c(
        "3",
        "Other-Double Blind: the patient is in a double-blind clinical trial; code the treatment \
         actually administered when the trial code is broken",
    ),
    c(
        "6",
        "Other-Unproven: cancer treatments administered by nonmedical personnel",
    ),
    c(
        "7",
        "Refusal: other treatment was not administered; it was recommended by the patient's \
         physician, but this treatment was refused by the patient, the patient's family member, \
         or the patient's guardian; the refusal was noted in the patient record",
    ),
    c("8", "Recommended; unknown if administered"),
    c(
        "9",
        "Unknown: it is unknown whether other treatment was recommended or administered; death \
         certificate only",
    ),
];

const REASON_FOR_NO_RADIATION: &[Code] = &[
    c("0", "Radiation therapy was administered"),
    c(
        "1",
        "Radiation therapy was not administered because it was not part of the planned first \
         course treatment",
    ),
    c(
        "2",
        "Radiation therapy was not recommended/administered because it was contraindicated due \
         to other patient risk factors (comorbid conditions, advanced age, progression of tumor \
         prior to planned radiation, etc.)",
    ),
    c(
        "5",
        "Radiation therapy was not administered because the patient died prior to planned or \
         recommended therapy",
    ),
    c(
        "6",
        "Radiation therapy was not administered; it was recommended by the patient's physician, \
         but was not administered as part of first course treatment; no reason was noted in the \
         patient record",
    ),
    c(
        "7",
        "Radiation therapy was not administered; it was recommended by the patient's physician, \
         but this treatment was refused by the patient, the patient's family member, or the \
         patient's guardian; the refusal was noted in the patient record",
    ),
    c(
        "8",
        "Radiation therapy was recommended, but it is unknown whether it was administered",
    ),
    c(
        "9",
        "It is unknown if radiation therapy was recommended or administered; death certificate \
         and autopsy only cases",
    ),
];

const PHASE_RADIATION_TREATMENT_MODALITY: &[Code] = &[
    c("00", "No radiation treatment"),
    c("01", "External beam, NOS"),
    c("02", "External beam, photons"),
    c("03", "External beam, protons"),
    c("04", "External beam, electrons"),
    c("05", "External beam, neutrons"),
    c("06", "External beam, carbon ions"),
    c("07", "Brachytherapy, NOS"),
    c("08", "Brachytherapy, intracavitary, LDR"),
    c("09", "Brachytherapy, intracavitary, HDR"),
    c("10", "Brachytherapy, interstitial, LDR"),
    c("11", "Brachytherapy, interstitial, HDR"),
    c("12", "Brachytherapy, electronic"),
    c("13", "Radioisotopes, NOS"),
    c("14", "Radioisotopes, Radium-223"),
    c("15", "Radioisotopes, Strontium-89"),
    c("16", "Radioisotopes, Strontium-90"),
    c("99", "Unknown"),
];

const RX_SUMM_SYSTEMIC_SUR_SEQ: &[Code] = &[
    c(
        "0",
        "No systemic therapy and/or surgical procedures; unknown if surgery and/or systemic \
         therapy given",
    ),
    c("2", "Systemic therapy before surgery"),
    c("3", "Systemic therapy after surgery"),
    c("4", "Systemic therapy both before and after surgery"),
    c("5", "Intraoperative systemic therapy"),
    c(
        "6",
        "Intraoperative systemic therapy with other therapy administered before and/or after \
         surgery",
    ),
    c("7", "Surgery both before and after systemic therapy"),
    c("9", "Sequence unknown"),
];

const VITAL_STATUS: &[Code] = &[c("0", "Dead"), c("1", "Alive")];

const CANCER_STATUS: &[Code] = &[
    c("1", "No evidence of this tumor"),
    c("2", "Evidence of this tumor"),
    c(
        "9",
        "Unknown, indeterminate whether this tumor is present, not stated in patient record",
    ),
];

const FOLLOW_UP_SOURCE: &[Code] = &[
    c("0", "Reported hospitalization"),
    c("1", "Readmission"),
    c("2", "Physician"),
    c("3", "Patient"),
    c("4", "Department of Motor Vehicles"),
    c("5", "Medicare/Medicaid file"),
    c("7", "Death certificate"),
    c("8", "Other"),
    c("9", "Unknown; not stated in patient record"),
];

const NEXT_FOLLOW_UP_SOURCE: &[Code] = &[
    c("0", "Chart requisition"),
    c("1", "Physician letter"),
    c("2", "Contact letter"),
    c("3", "Phone call"),
    c("4", "Other hospital contact"),
    c("5", "Other, NOS"),
    c("8", "Foreign residents (not followed)"),
    c("9", "Not followed"),
];

const ICD_REVISION_NUMBER: &[Code] = &[
    c("0", "Patient alive at last follow-up"),
    c("1", "ICD-10"),
    c("7", "ICD-7"),
    c("8", "ICD-8"),
    c("9", "ICD-9"),
];

/// Over-ride flags: set after a registrar reviewed an edit's warning and confirmed the data.
const OVER_RIDE: &[Code] = &[
    c("", "Not reviewed, or reviewed and corrected"),
    c("1", "Reviewed and confirmed as reported"),
];

/// Date flags (NAACCR v12-v24; not in the v25/v26 dictionaries): why a date is blank.
const DATE_FLAG_UNKNOWN_ONLY: &[Code] = &[
    c("", "A valid date is provided in the date item"),
    c(
        "12",
        "A proper value is applicable but not known: the event occurred, but the date is unknown",
    ),
];
const DATE_FLAG_TREATMENT: &[Code] = &[
    c("", "A valid date is provided in the date item"),
    c(
        "10",
        "No information whatsoever can be inferred from this exceptional value (unknown if the \
         treatment was given)",
    ),
    c(
        "11",
        "No proper value is applicable in this context (e.g. no treatment given; autopsy only)",
    ),
    c(
        "12",
        "A proper value is applicable but not known: the treatment was given, but the date is \
         unknown",
    ),
];
const DATE_FLAG_PLANNED_TREATMENT: &[Code] = &[
    c("", "A valid date is provided in the date item"),
    c(
        "10",
        "No information whatsoever can be inferred from this exceptional value (unknown if the \
         treatment was given)",
    ),
    c(
        "11",
        "No proper value is applicable in this context (e.g. no treatment given; autopsy only)",
    ),
    c(
        "12",
        "A proper value is applicable but not known: the treatment was given, but the date is \
         unknown",
    ),
    c(
        "15",
        "Information is not available at this time, but it is expected that it will be \
         available later (the treatment is planned but had not started at the last follow-up)",
    ),
];

const DATE_FLAG_NOTE: &str =
    "Date flags: NAACCR v12-v24 only (retired; not in the v25/v26 dictionaries)";
const OVER_RIDE_NOTE: &str = "Set only after the flagged edit's condition was reviewed";

/// Every code list, in NAACCR item number order.
pub(super) static CODE_LISTS: &[CodeList] = &[
    list(
        "recordType",
        10,
        "Record Type",
        1,
        RECORD_TYPE,
        NO_RANGES,
        "",
    ),
    list(
        "maritalStatusAtDx",
        150,
        "Marital Status at DX",
        1,
        MARITAL_STATUS,
        NO_RANGES,
        "",
    ),
    list("race1", 160, "Race 1", 2, RACE_1, NO_RANGES, ""),
    list(
        "race2",
        161,
        "Race 2",
        2,
        RACE_2_TO_5,
        NO_RANGES,
        "99 only when Race 1 is 99",
    ),
    list(
        "race3",
        162,
        "Race 3",
        2,
        RACE_2_TO_5,
        NO_RANGES,
        "99 only when Race 1 is 99",
    ),
    list(
        "race4",
        163,
        "Race 4",
        2,
        RACE_2_TO_5,
        NO_RANGES,
        "99 only when Race 1 is 99",
    ),
    list(
        "race5",
        164,
        "Race 5",
        2,
        RACE_2_TO_5,
        NO_RANGES,
        "99 only when Race 1 is 99",
    ),
    list(
        "spanishHispanicOrigin",
        190,
        "Spanish/Hispanic Origin",
        1,
        SPANISH_HISPANIC_ORIGIN,
        NO_RANGES,
        "",
    ),
    list(
        "computedEthnicity",
        200,
        "Computed Ethnicity",
        1,
        COMPUTED_ETHNICITY,
        NO_RANGES,
        "",
    ),
    list(
        "sex",
        220,
        "Sex",
        1,
        SEX,
        NO_RANGES,
        "NAACCR v25 and earlier; replaced by Sex Assigned at Birth [225] in v26",
    ),
    list(
        "sexAssignedAtBirth",
        225,
        "Sex Assigned at Birth",
        1,
        SEX_ASSIGNED_AT_BIRTH,
        NO_RANGES,
        "NAACCR v26+",
    ),
    list(
        "ageAtDiagnosis",
        230,
        "Age at Diagnosis",
        3,
        AGE_AT_DIAGNOSIS,
        AGE_AT_DIAGNOSIS_RANGES,
        "",
    ),
    list(
        "sequenceNumberCentral",
        380,
        "Sequence Number--Central",
        2,
        SEQUENCE_NUMBER_CENTRAL,
        SEQUENCE_NUMBER_RANGES,
        "",
    ),
    list(
        "dateOfDiagnosisFlag",
        391,
        "Date of Diagnosis Flag",
        2,
        DATE_FLAG_UNKNOWN_ONLY,
        NO_RANGES,
        DATE_FLAG_NOTE,
    ),
    list(
        "laterality",
        410,
        "Laterality",
        1,
        LATERALITY,
        NO_RANGES,
        "",
    ),
    list(
        "grade",
        440,
        "Grade",
        1,
        GRADE_ICDO3,
        NO_RANGES,
        "Cases diagnosed before 2018",
    ),
    list(
        "ambiguousTerminologyDx",
        442,
        "Ambiguous Terminology DX",
        1,
        AMBIGUOUS_TERMINOLOGY_DX,
        NO_RANGES,
        "",
    ),
    list(
        "multTumRptAsOnePrim",
        444,
        "Mult Tum Rpt as One Prim",
        2,
        MULT_TUM_RPT_AS_ONE_PRIM,
        NO_RANGES,
        "",
    ),
    list(
        "multiplicityCounter",
        446,
        "Multiplicity Counter",
        2,
        MULTIPLICITY_COUNTER,
        MULTIPLICITY_COUNTER_RANGES,
        "",
    ),
    list(
        "diagnosticConfirmation",
        490,
        "Diagnostic Confirmation",
        1,
        DIAGNOSTIC_CONFIRMATION,
        NO_RANGES,
        "",
    ),
    list(
        "typeOfReportingSource",
        500,
        "Type of Reporting Source",
        1,
        TYPE_OF_REPORTING_SOURCE,
        NO_RANGES,
        "",
    ),
    list(
        "casefindingSource",
        501,
        "Casefinding Source",
        2,
        CASEFINDING_SOURCE,
        NO_RANGES,
        "",
    ),
    list(
        "behaviorCodeIcdO3",
        523,
        "Behavior Code ICD-O-3",
        1,
        &[
            c("0", "Benign"),
            c(
                "1",
                "Uncertain whether benign or malignant; borderline malignancy; low malignant \
                 potential; uncertain malignant potential",
            ),
            c(
                "2",
                "Carcinoma in situ; intraepithelial; noninfiltrating; noninvasive",
            ),
            c("3", "Malignant, primary site"),
        ],
        NO_RANGES,
        "",
    ),
    list(
        "sequenceNumberHospital",
        560,
        "Sequence Number--Hospital",
        2,
        SEQUENCE_NUMBER_HOSPITAL,
        SEQUENCE_NUMBER_RANGES,
        "",
    ),
    list(
        "classOfCase",
        610,
        "Class of Case",
        2,
        CLASS_OF_CASE,
        NO_RANGES,
        "",
    ),
    list(
        "primaryPayerAtDx",
        630,
        "Primary Payer at DX",
        2,
        PRIMARY_PAYER_AT_DX,
        NO_RANGES,
        "",
    ),
    list(
        "tumorSizeClinical",
        752,
        "Tumor Size Clinical",
        3,
        TUMOR_SIZE,
        TUMOR_SIZE_RANGES,
        "",
    ),
    list(
        "tumorSizePathologic",
        754,
        "Tumor Size Pathologic",
        3,
        TUMOR_SIZE,
        TUMOR_SIZE_RANGES,
        "",
    ),
    list(
        "tumorSizeSummary",
        756,
        "Tumor Size Summary",
        3,
        TUMOR_SIZE,
        TUMOR_SIZE_RANGES,
        "",
    ),
    list(
        "derivedSummaryStage2018",
        762,
        "Derived Summary Stage 2018",
        1,
        SUMMARY_STAGE_2018,
        NO_RANGES,
        "",
    ),
    list(
        "summaryStage2018",
        764,
        "Summary Stage 2018",
        1,
        SUMMARY_STAGE_2018,
        NO_RANGES,
        "",
    ),
    list(
        "regionalNodesPositive",
        820,
        "Regional Nodes Positive",
        2,
        REGIONAL_NODES_POSITIVE,
        REGIONAL_NODES_POSITIVE_RANGES,
        "",
    ),
    list(
        "regionalNodesExamined",
        830,
        "Regional Nodes Examined",
        2,
        REGIONAL_NODES_EXAMINED,
        REGIONAL_NODES_EXAMINED_RANGES,
        "",
    ),
    list(
        "gradePostTherapyClin",
        1068,
        "Grade Post Therapy Clin (yc)",
        1,
        GRADE_POST_THERAPY,
        NO_RANGES,
        "Generic codes; the schema's grade table says which apply",
    ),
    list(
        "lymphVascularInvasion",
        1182,
        "Lymphovascular Invasion",
        1,
        LYMPH_VASCULAR_INVASION,
        NO_RANGES,
        "",
    ),
    list(
        "rxDateSurgeryFlag",
        1201,
        "RX Date Surgery Flag",
        2,
        DATE_FLAG_TREATMENT,
        NO_RANGES,
        DATE_FLAG_NOTE,
    ),
    list(
        "rxDateRadiationFlag",
        1211,
        "RX Date Radiation Flag",
        2,
        DATE_FLAG_PLANNED_TREATMENT,
        NO_RANGES,
        DATE_FLAG_NOTE,
    ),
    list(
        "rxDateChemoFlag",
        1221,
        "RX Date Chemo Flag",
        2,
        DATE_FLAG_PLANNED_TREATMENT,
        NO_RANGES,
        DATE_FLAG_NOTE,
    ),
    list(
        "rxDateHormoneFlag",
        1231,
        "RX Date Hormone Flag",
        2,
        DATE_FLAG_PLANNED_TREATMENT,
        NO_RANGES,
        DATE_FLAG_NOTE,
    ),
    list(
        "rxDateBrmFlag",
        1241,
        "RX Date BRM Flag",
        2,
        DATE_FLAG_PLANNED_TREATMENT,
        NO_RANGES,
        DATE_FLAG_NOTE,
    ),
    list(
        "rxDateOtherFlag",
        1251,
        "RX Date Other Flag",
        2,
        DATE_FLAG_PLANNED_TREATMENT,
        NO_RANGES,
        DATE_FLAG_NOTE,
    ),
    list(
        "dateInitialRxSeerFlag",
        1261,
        "Date Initial RX SEER Flag",
        2,
        DATE_FLAG_PLANNED_TREATMENT,
        NO_RANGES,
        DATE_FLAG_NOTE,
    ),
    list(
        "date1stCrsRxCocFlag",
        1271,
        "Date 1st Crs RX CoC Flag",
        2,
        DATE_FLAG_PLANNED_TREATMENT,
        NO_RANGES,
        DATE_FLAG_NOTE,
    ),
    list(
        "rxSummTreatmentStatus",
        1285,
        "RX Summ--Treatment Status",
        1,
        RX_SUMM_TREATMENT_STATUS,
        NO_RANGES,
        "",
    ),
    list(
        "rxSummSurgPrimSite",
        1290,
        "RX Summ--Surg Prim Site 03-2022",
        2,
        RX_SUMM_SURG_PRIM_SITE,
        RX_SUMM_SURG_PRIM_SITE_RANGES,
        "Diagnoses 2003-2022; site-specific codes 10-80 depend on the primary site",
    ),
    list(
        "rxSummSurgPrimSite2023",
        1291,
        "RX Summ--Surg Prim Site 2023",
        4,
        RX_SUMM_SURG_PRIM_SITE_2023,
        RX_SUMM_SURG_PRIM_SITE_2023_RANGES,
        "Diagnoses 2023+; generic structure only: the site-specific codes (letter + 3 digits) \
         depend on the primary site",
    ),
    list(
        "rxSummScopeRegLnSur",
        1292,
        "RX Summ--Scope Reg LN Sur",
        1,
        RX_SUMM_SCOPE_REG_LN_SUR,
        NO_RANGES,
        "",
    ),
    list(
        "rxSummSurgOthRegDis",
        1294,
        "RX Summ--Surg Oth Reg/Dis",
        1,
        RX_SUMM_SURG_OTH_REG_DIS,
        NO_RANGES,
        "",
    ),
    list(
        "reasonForNoSurgery",
        1340,
        "Reason for No Surgery",
        1,
        REASON_FOR_NO_SURGERY,
        NO_RANGES,
        "",
    ),
    list(
        "rxSummRadiation",
        1360,
        "RX Summ--Radiation",
        1,
        RX_SUMM_RADIATION,
        NO_RANGES,
        "",
    ),
    list(
        "rxSummRadToCns",
        1370,
        "RX Summ--Rad to CNS",
        1,
        RX_SUMM_RAD_TO_CNS,
        NO_RANGES,
        "",
    ),
    list(
        "rxSummSurgRadSeq",
        1380,
        "RX Summ--Surg/Rad Seq",
        1,
        RX_SUMM_SURG_RAD_SEQ,
        NO_RANGES,
        "",
    ),
    list(
        "rxSummChemo",
        1390,
        "RX Summ--Chemo",
        2,
        RX_SUMM_CHEMO,
        NO_RANGES,
        "",
    ),
    list(
        "rxSummHormone",
        1400,
        "RX Summ--Hormone",
        2,
        RX_SUMM_HORMONE,
        NO_RANGES,
        "",
    ),
    list(
        "rxSummBrm",
        1410,
        "RX Summ--BRM",
        2,
        RX_SUMM_BRM,
        NO_RANGES,
        "",
    ),
    list(
        "rxSummOther",
        1420,
        "RX Summ--Other",
        1,
        RX_SUMM_OTHER,
        NO_RANGES,
        "",
    ),
    list(
        "reasonForNoRadiation",
        1430,
        "Reason for No Radiation",
        1,
        REASON_FOR_NO_RADIATION,
        NO_RANGES,
        "",
    ),
    list(
        "phase1RadiationTreatmentModality",
        1506,
        "Phase I Radiation Treatment Modality",
        2,
        PHASE_RADIATION_TREATMENT_MODALITY,
        NO_RANGES,
        "",
    ),
    list(
        "rxSummSystemicSurSeq",
        1639,
        "RX Summ--Systemic/Sur Seq",
        1,
        RX_SUMM_SYSTEMIC_SUR_SEQ,
        NO_RANGES,
        "",
    ),
    list(
        "dateOfLastContactFlag",
        1751,
        "Date of Last Contact Flag",
        2,
        DATE_FLAG_UNKNOWN_ONLY,
        NO_RANGES,
        DATE_FLAG_NOTE,
    ),
    list(
        "vitalStatus",
        1760,
        "Vital Status",
        1,
        VITAL_STATUS,
        NO_RANGES,
        "",
    ),
    list(
        "cancerStatus",
        1770,
        "Cancer Status",
        1,
        CANCER_STATUS,
        NO_RANGES,
        "",
    ),
    list(
        "followUpSource",
        1790,
        "Follow-Up Source",
        1,
        FOLLOW_UP_SOURCE,
        NO_RANGES,
        "",
    ),
    list(
        "nextFollowUpSource",
        1800,
        "Next Follow-Up Source",
        1,
        NEXT_FOLLOW_UP_SOURCE,
        NO_RANGES,
        "",
    ),
    list(
        "icdRevisionNumber",
        1920,
        "ICD Revision Number",
        1,
        ICD_REVISION_NUMBER,
        NO_RANGES,
        "",
    ),
    list(
        "overRideAcsnClassSeq",
        1985,
        "Over-ride Acsn/Class/Seq",
        1,
        OVER_RIDE,
        NO_RANGES,
        OVER_RIDE_NOTE,
    ),
    list(
        "overRideHospseqDxconf",
        1986,
        "Over-ride HospSeq/DxConf",
        1,
        OVER_RIDE,
        NO_RANGES,
        OVER_RIDE_NOTE,
    ),
    list(
        "overRideCocSiteType",
        1987,
        "Over-ride CoC-Site/Type",
        1,
        OVER_RIDE,
        NO_RANGES,
        OVER_RIDE_NOTE,
    ),
    list(
        "overRideHospseqSite",
        1988,
        "Over-ride HospSeq/Site",
        1,
        OVER_RIDE,
        NO_RANGES,
        OVER_RIDE_NOTE,
    ),
    list(
        "overRideSeqnoDxconf",
        2000,
        "Over-ride SeqNo/DxConf",
        1,
        OVER_RIDE,
        NO_RANGES,
        OVER_RIDE_NOTE,
    ),
    list(
        "overRideSiteLatSeqno",
        2010,
        "Over-ride Site/Lat/SeqNo",
        1,
        OVER_RIDE,
        NO_RANGES,
        OVER_RIDE_NOTE,
    ),
    list(
        "overRideSurgDxconf",
        2020,
        "Over-ride Surg/DxConf",
        1,
        OVER_RIDE,
        NO_RANGES,
        OVER_RIDE_NOTE,
    ),
    list(
        "overRideSiteType",
        2030,
        "Over-ride Site/Type",
        1,
        OVER_RIDE,
        NO_RANGES,
        OVER_RIDE_NOTE,
    ),
    list(
        "overRideReportSource",
        2050,
        "Over-ride Report Source",
        1,
        OVER_RIDE,
        NO_RANGES,
        OVER_RIDE_NOTE,
    ),
    list(
        "overRideIllDefineSite",
        2060,
        "Over-ride Ill-define Site",
        1,
        OVER_RIDE,
        NO_RANGES,
        OVER_RIDE_NOTE,
    ),
    list(
        "overRideLeukLymphoma",
        2070,
        "Over-ride Leuk, Lymphoma",
        1,
        OVER_RIDE,
        NO_RANGES,
        OVER_RIDE_NOTE,
    ),
    list(
        "overRideSiteBehavior",
        2071,
        "Over-ride Site/Behavior",
        1,
        OVER_RIDE,
        NO_RANGES,
        OVER_RIDE_NOTE,
    ),
    list(
        "overRideSiteEodDxDt",
        2072,
        "Over-ride Site/EOD/DX Dt",
        1,
        OVER_RIDE,
        NO_RANGES,
        OVER_RIDE_NOTE,
    ),
    list(
        "overRideSiteLatEod",
        2073,
        "Over-ride Site/Lat/EOD",
        1,
        OVER_RIDE,
        NO_RANGES,
        OVER_RIDE_NOTE,
    ),
    list(
        "overRideSiteLatMorph",
        2074,
        "Over-ride Site/Lat/Morph",
        1,
        OVER_RIDE,
        NO_RANGES,
        OVER_RIDE_NOTE,
    ),
    list(
        "overRideNameSex",
        2078,
        "Over-ride Name/Sex Assigned at Birth",
        1,
        OVER_RIDE,
        NO_RANGES,
        OVER_RIDE_NOTE,
    ),
    list(
        "rxSummTransplntEndocr",
        3250,
        "RX Summ--Transplnt/Endocr",
        2,
        RX_SUMM_TRANSPLNT_ENDOCR,
        NO_RANGES,
        "",
    ),
    list(
        "gradeClinical",
        3843,
        "Grade Clinical",
        1,
        GRADE_2018,
        NO_RANGES,
        "Generic codes; the schema's grade table says which apply",
    ),
    list(
        "gradePathological",
        3844,
        "Grade Pathological",
        1,
        GRADE_2018,
        NO_RANGES,
        "Generic codes; the schema's grade table says which apply",
    ),
    list(
        "gradePostTherapy",
        3845,
        "Grade Post Therapy Path (yp)",
        1,
        GRADE_POST_THERAPY,
        NO_RANGES,
        "Generic codes; the schema's grade table says which apply",
    ),
];
