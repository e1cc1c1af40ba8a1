//! The parsed pathology report: what the registry keeps from one ORU^R01 message.

use serde::Serialize;

use super::encoding::TextEncoding;

/// MSH-11: whether the message is real patient data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ProcessingId {
    /// `P`: production data.
    #[serde(rename = "P")]
    Production,
    /// `T`: a test message from the lab (keep out of the registry).
    #[serde(rename = "T")]
    Test,
    /// `D`: a debugging message (keep out of the registry).
    #[serde(rename = "D")]
    Debug,
}

impl ProcessingId {
    /// Reads the HL7 code (P, T or D).
    pub fn from_code(code: &str) -> Option<ProcessingId> {
        match code {
            "P" => Some(ProcessingId::Production),
            "T" => Some(ProcessingId::Test),
            "D" => Some(ProcessingId::Debug),
            _ => None,
        }
    }

    /// The HL7 code.
    pub fn code(self) -> &'static str {
        match self {
            ProcessingId::Production => "P",
            ProcessingId::Test => "T",
            ProcessingId::Debug => "D",
        }
    }
}

/// A facility or application identified by an HD or XON value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facility {
    /// Name (HD namespace or XON organization name).
    pub name: String,
    /// Identifier (a CLIA number or NPI), when sent.
    pub id: Option<String>,
    /// Identifier type (`CLIA`, `NPI`), when sent.
    pub id_type: Option<String>,
}

/// A person's name (XPN or XCN components).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Name {
    /// Family name.
    pub last: String,
    /// Given name.
    pub first: String,
    /// Second given name or initial.
    pub middle: String,
    /// Suffix (JR, III).
    pub suffix: String,
    /// HL7 name type (L legal, A alias, M maiden), as sent.
    pub name_type: String,
}

/// A postal address (XAD).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Address {
    /// Number and street.
    pub street: String,
    /// Second address line (apartment, suite).
    pub supplemental: String,
    /// City.
    pub city: String,
    /// State or province.
    pub state: String,
    /// ZIP or postal code.
    pub zip: String,
    /// Country as sent (usually `USA`).
    pub country: String,
}

/// One identifier of the patient from PID-3 (SSNs are not listed here).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PatientIdentifier {
    /// The identifier.
    pub id: String,
    /// Identifier type code (MR, PI, LR...).
    pub id_type: String,
    /// Assigning authority namespace (a facility name).
    pub assigning_authority: String,
    /// Assigning authority universal ID (a CLIA or NPI).
    pub assigning_authority_id: String,
}

/// The patient (PID).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Patient {
    /// Family name (legal name, PID-5 type L, or the first name sent).
    pub name_last: String,
    /// Given name.
    pub name_first: String,
    /// Middle name or initial.
    pub name_middle: String,
    /// Suffix.
    pub name_suffix: String,
    /// Other names: further PID-5 repetitions and PID-9.
    pub aliases: Vec<Name>,
    /// Date of birth as NAACCR CCYY, CCYYMM or CCYYMMDD; empty when unknown.
    pub birth_date: String,
    /// PID-8 administrative sex code as sent (F, M, O, U, A, N).
    pub sex: Option<String>,
    /// NAACCR sex code: 1 male, 2 female, 3 other (O, A), 9 unknown (U, N, missing).
    pub sex_naaccr: Option<String>,
    /// Medical record number: the PID-3 identifier of type MR (else the first one sent).
    pub mrn: Option<PatientIdentifier>,
    /// Every PID-3 identifier except SSNs.
    pub identifiers: Vec<PatientIdentifier>,
    /// SSN, nine digits, only when it passed [`super::Ssn::parse`].
    pub ssn: Option<String>,
    /// Why a sent SSN was rejected (field and reason), when it was.
    pub ssn_issue: Option<String>,
    /// Address (PID-11, first repetition).
    pub address: Option<Address>,
    /// Phone number, digits only (area code + number).
    pub phone: Option<String>,
    /// Race codes (PID-10, CDC race and ethnicity codes such as 2106-3).
    pub race: Vec<String>,
    /// Ethnic group codes (PID-22).
    pub ethnicity: Vec<String>,
}

/// The facility that ordered the pathology study (ORC-21..23).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrderingFacility {
    /// Organization name.
    pub name: String,
    /// Identifier (NPI), when sent.
    pub id: Option<String>,
    /// Identifier type or assigning authority (`NPI`), when sent.
    pub id_type: Option<String>,
    /// Address (ORC-22).
    pub address: Option<Address>,
    /// Phone, digits only (ORC-23).
    pub phone: Option<String>,
}

/// A physician: ordering provider (OBR-16 / ORC-12) or pathologist (OBR-32).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Provider {
    /// The identifier as sent (NPI or licence number).
    pub id: Option<String>,
    /// Identifier type or authority (`NPI`), when sent.
    pub id_type: Option<String>,
    /// The NPI, when the identifier is one (type NPI, or ten digits with no type).
    pub npi: Option<String>,
    /// Name.
    pub name: Name,
}

/// The part of the report an OBX text belongs to (by its OBX-3 LOINC code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SectionKind {
    /// 22636-5 relevant clinical history (screen with care: "R/O", "history of").
    History,
    /// 22633-2 nature of specimen / site of origin.
    Specimen,
    /// 22634-0 gross description.
    Gross,
    /// 22635-7 microscopic observation.
    Microscopic,
    /// 22637-3 final diagnosis: the main source for screening and coding.
    FinalDiagnosis,
    /// 22638-1 comments, and NTE notes.
    Comment,
    /// 60568-3 / 60569-1 synoptic report sent as text.
    Synoptic,
    /// Any other code.
    Other,
}

/// One text section of the report, its OBX pieces joined in set-ID / sub-ID order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportSection {
    /// OBX-3 code (LOINC); empty for NTE notes.
    pub loinc: String,
    /// What the section is.
    pub kind: SectionKind,
    /// Decoded text, lines separated by `\n`.
    pub text: String,
}

/// One answered question of a CAP electronic cancer checklist (synoptic OBX).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SynopticAnswer {
    /// Template ID from OBX 60572-5 (`129.1000043`); empty when the lab sent none.
    pub template_id: String,
    /// Template name from OBX 60572-5 (`ADRENAL GLAND`).
    pub template_name: String,
    /// Template version from OBX 60574-1 (`3.007.011.1000043`); empty when not sent.
    pub template_version: String,
    /// Question ID (OBX-3.1, `52756.1000043`).
    pub question_id: String,
    /// Question text (OBX-3.2; may be empty).
    pub question: String,
    /// Answer ID for coded answers (OBX-5.1 of a CWE).
    pub answer_id: Option<String>,
    /// The answer as a registrar reads it: the coded answer's text, or the value with its unit.
    pub answer: String,
    /// Typed value of a fill-in (NM, ST, TX), as sent.
    pub value: Option<String>,
    /// Unit of a numeric value (OBX-6.1, UCUM, e.g. `cm`).
    pub unit: Option<String>,
    /// OBX-4 sub-ID, linking a fill-in to the answer it specifies (`2131` / `+2131.1000043`).
    pub sub_id: String,
    /// SNOMED CT code of the answer when the lab sent one as a second coding.
    pub snomed_ct: Option<String>,
}

/// One pathology report as Registrar reads it from an ORU^R01 message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathologyReport {
    /// MSH-11 production, test or debug.
    pub processing_id: ProcessingId,
    /// MSH-10 (not reliably unique: use [`PathologyReport::duplicate_key`] for duplicates).
    pub message_control_id: String,
    /// MSH-7 as sent (HL7 TS), when sent.
    pub message_datetime: Option<String>,
    /// MSH-12 HL7 version.
    pub hl7_version: String,
    /// MSH-21 message profile (`VOL_V_51_ORU_R01`), when sent.
    pub message_profile: Option<String>,
    /// MSH-3 sending application.
    pub sending_application: String,
    /// MSH-4 sending facility (the lab).
    pub sending_facility: Facility,
    /// MSH-5 receiving application.
    pub receiving_application: String,
    /// MSH-6 receiving facility.
    pub receiving_facility: String,
    /// The lab's CLIA number: MSH-4 when it is one, else OBR-3's.
    pub lab_clia: Option<String>,
    /// The patient.
    pub patient: Patient,
    /// ORC-21..23.
    pub ordering_facility: Option<OrderingFacility>,
    /// OBR-16 (ORC-12 when OBR-16 is empty).
    pub ordering_provider: Option<Provider>,
    /// OBR-32 principal result interpreter.
    pub pathologist: Option<Provider>,
    /// OBR-3 filler order number (accession / report number).
    pub accession: String,
    /// OBR-4 report type LOINC of each OBR, in order (`11529-5`, `60569-1`).
    pub report_types: Vec<String>,
    /// OBR-7 (or SPM-17) as NAACCR CCYYMMDD (or CCYY/CCYYMM when that is all that was sent).
    pub specimen_collection_date: Option<String>,
    /// OBR-22 report date as NAACCR CCYYMMDD.
    pub report_date: Option<String>,
    /// OBR-25 result status (F final, P preliminary, C corrected...); empty when not sent.
    pub report_status: String,
    /// OBR-31 ICD-10-CM codes of all OBRs, as sent, without repeats.
    pub icd10_codes: Vec<String>,
    /// Report text sections, in message order.
    pub sections: Vec<ReportSection>,
    /// CAP synoptic answers, in message order.
    pub synoptic: Vec<SynopticAnswer>,
    /// Things kept but doubtful, each naming its line and field.
    pub warnings: Vec<String>,
    /// How the message bytes were decoded.
    pub text_encoding: TextEncoding,
    /// File line where the message starts.
    pub start_line: usize,
}

impl PathologyReport {
    /// The key that identifies the same report sent twice: (lab, accession, report status).
    ///
    /// The lab is the CLIA number, else the MSH-4 identifier, else the MSH-4 name. A `C`
    /// (corrected) report has a different key from the `F` it replaces; the caller links them by
    /// (lab, accession).
    pub fn duplicate_key(&self) -> (&str, &str, &str) {
        let lab = self
            .lab_clia
            .as_deref()
            .or(self.sending_facility.id.as_deref())
            .unwrap_or(self.sending_facility.name.as_str());
        (lab, self.accession.as_str(), self.report_status.as_str())
    }

    /// Whether OBR-25 marks this report as a correction of an earlier one.
    pub fn is_correction(&self) -> bool {
        self.report_status == "C"
    }

    /// The sections of one kind, in order.
    pub fn sections_of(&self, kind: SectionKind) -> impl Iterator<Item = &ReportSection> {
        self.sections.iter().filter(move |s| s.kind == kind)
    }
}
