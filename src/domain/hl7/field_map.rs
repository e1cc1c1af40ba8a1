//! The NAACCR Volume V field map: where each data element Registrar reads sits in the message.
//!
//! This is the one table of positions; the parser asks it for every position it reads, so a
//! correction here is a correction everywhere. Component 0 means "the whole field" (the parser
//! then reads the components of that data type itself, as documented on the item).

use std::fmt;

use super::report::SectionKind;

/// A position in a message: segment, field (1-based) and component (1-based, 0 = whole field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldPosition {
    /// Segment name, e.g. `PID`.
    pub segment: &'static str,
    /// Field number, e.g. 5 for PID-5.
    pub field: usize,
    /// Component number, 0 for the whole field.
    pub component: usize,
}

impl FieldPosition {
    /// The field reference registrars see in messages, e.g. `PID-7`.
    pub fn field_ref(&self) -> String {
        format!("{}-{}", self.segment, self.field)
    }
}

impl fmt::Display for FieldPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.component == 0 {
            write!(f, "{}-{}", self.segment, self.field)
        } else {
            write!(f, "{}-{}.{}", self.segment, self.field, self.component)
        }
    }
}

macro_rules! volume_v_field_map {
    ($( $(#[doc = $doc:literal])* $item:ident = $name:literal, $segment:literal, $field:literal, $component:literal, $naaccr:expr; )*) => {
        /// A Volume V data element Registrar reads (see [`Item::position`] for where).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Item {
            $( $(#[doc = $doc])* $item, )*
        }

        impl Item {
            /// Every item, in table order.
            pub const ALL: &'static [Item] = &[$(Item::$item,)*];

            /// Where the item sits in the message.
            pub const fn position(self) -> FieldPosition {
                match self {
                    $(Item::$item => FieldPosition { segment: $segment, field: $field, component: $component },)*
                }
            }

            /// The item's name in the parsed report (`patient.name_last`).
            pub const fn name(self) -> &'static str {
                match self {
                    $(Item::$item => $name,)*
                }
            }

            /// The NAACCR data item (naaccrId) the value feeds, where there is one.
            pub const fn naaccr_item(self) -> Option<&'static str> {
                match self {
                    $(Item::$item => $naaccr,)*
                }
            }
        }
    };
}

volume_v_field_map! {
    /// MSH-4 sending facility (HD), name component.
    LabName = "sending_facility.name", "MSH", 4, 1, None;
    /// MSH-4 sending facility (HD), universal ID: the lab's CLIA number.
    LabId = "sending_facility.id", "MSH", 4, 2, Some("pathReportingFacId1");
    /// MSH-4 sending facility (HD), ID type (`CLIA`).
    LabIdType = "sending_facility.id_type", "MSH", 4, 3, None;
    /// MSH-3 sending application (HD), namespace.
    SendingApplication = "sending_application", "MSH", 3, 1, None;
    /// MSH-5 receiving application (HD), namespace.
    ReceivingApplication = "receiving_application", "MSH", 5, 1, None;
    /// MSH-6 receiving facility (HD), namespace.
    ReceivingFacility = "receiving_facility", "MSH", 6, 1, None;
    /// MSH-7 date/time of message (TS).
    MessageDateTime = "message_datetime", "MSH", 7, 1, None;
    /// MSH-9 message type (`ORU`).
    MessageCode = "message_type.code", "MSH", 9, 1, None;
    /// MSH-9 trigger event (`R01`).
    TriggerEvent = "message_type.event", "MSH", 9, 2, None;
    /// MSH-10 message control ID (echoed in the ACK; not unique in practice).
    MessageControlId = "message_control_id", "MSH", 10, 1, None;
    /// MSH-11 processing ID: P production, T test, D debug.
    ProcessingId = "processing_id", "MSH", 11, 1, None;
    /// MSH-12 HL7 version (2.5.1, 2.3.1).
    Version = "hl7_version", "MSH", 12, 1, None;
    /// MSH-21 message profile (`VOL_V_51_ORU_R01`).
    MessageProfile = "message_profile", "MSH", 21, 1, None;

    /// PID-3 patient identifier list (CX, repeats), ID number.
    PatientId = "patient.identifiers.id", "PID", 3, 1, Some("medicalRecordNumber");
    /// PID-3 assigning authority (HD with `&` subcomponents namespace&universal ID&type).
    PatientIdAuthority = "patient.identifiers.assigning_authority", "PID", 3, 4, None;
    /// PID-3 identifier type code: MR (medical record), SS (SSN), PI, LR.
    PatientIdType = "patient.identifiers.id_type", "PID", 3, 5, None;
    /// PID-5 patient name (XPN, repeats): family name.
    NameLast = "patient.name_last", "PID", 5, 1, Some("nameLast");
    /// PID-5 given name.
    NameFirst = "patient.name_first", "PID", 5, 2, Some("nameFirst");
    /// PID-5 second given name or initial.
    NameMiddle = "patient.name_middle", "PID", 5, 3, Some("nameMiddle");
    /// PID-5 suffix (JR, III).
    NameSuffix = "patient.name_suffix", "PID", 5, 4, Some("nameSuffix");
    /// PID-5 name type code (L legal, A alias, M maiden).
    NameType = "patient.name_type", "PID", 5, 7, None;
    /// PID-7 date of birth (TS; may be only CCYY).
    BirthDate = "patient.birth_date", "PID", 7, 1, Some("dateOfBirth");
    /// PID-8 administrative sex (HL7 table 0001).
    Sex = "patient.sex", "PID", 8, 1, Some("sex");
    /// PID-9 patient alias (XPN, repeats; components as PID-5).
    Alias = "patient.aliases", "PID", 9, 0, Some("nameAlias");
    /// PID-10 race (CE, repeats), code.
    Race = "patient.race", "PID", 10, 1, Some("race1");
    /// PID-11 address (XAD): street (first subcomponent of SAD).
    AddressStreet = "patient.address.street", "PID", 11, 1, Some("addrAtDxNoStreet");
    /// PID-11 other designation (second address line).
    AddressSupplemental = "patient.address.supplemental", "PID", 11, 2, Some("addrAtDxSupplementl");
    /// PID-11 city.
    AddressCity = "patient.address.city", "PID", 11, 3, Some("addrAtDxCity");
    /// PID-11 state or province.
    AddressState = "patient.address.state", "PID", 11, 4, Some("addrAtDxState");
    /// PID-11 ZIP or postal code.
    AddressZip = "patient.address.zip", "PID", 11, 5, Some("addrAtDxPostalCode");
    /// PID-11 country.
    AddressCountry = "patient.address.country", "PID", 11, 6, Some("addrAtDxCountry");
    /// PID-13 home phone (XTN: 1 legacy text, 5 country, 6 area, 7 local number).
    Phone = "patient.phone", "PID", 13, 0, Some("telephone");
    /// PID-19 SSN (legacy position; PID-3 type SS is preferred).
    SsnLegacy = "patient.ssn", "PID", 19, 1, Some("socialSecurityNumber");
    /// PID-22 ethnic group (CE, repeats), code.
    Ethnicity = "patient.ethnicity", "PID", 22, 1, Some("spanishHispanicOrigin");

    /// ORC-3 filler order number: accession when OBR-3 is empty.
    OrcAccession = "accession (ORC)", "ORC", 3, 1, None;
    /// ORC-12 ordering provider (XCN): used when OBR-16 is empty.
    OrcOrderingProvider = "ordering_provider (ORC)", "ORC", 12, 0, None;
    /// ORC-21 ordering facility (XON): name.
    OrderingFacilityName = "ordering_facility.name", "ORC", 21, 1, None;
    /// ORC-21 legacy ID number (used when component 10 is empty).
    OrderingFacilityLegacyId = "ordering_facility.id (legacy)", "ORC", 21, 3, None;
    /// ORC-21 assigning authority (`NPI`).
    OrderingFacilityIdType = "ordering_facility.id_type", "ORC", 21, 6, None;
    /// ORC-21 identifier type code (used before the assigning authority).
    OrderingFacilityIdTypeCode = "ordering_facility.id_type (code)", "ORC", 21, 7, None;
    /// ORC-21 organization identifier (NPI).
    OrderingFacilityId = "ordering_facility.id", "ORC", 21, 10, Some("pathOrderingFacNo1");
    /// ORC-22 ordering facility address (XAD).
    OrderingFacilityAddress = "ordering_facility.address", "ORC", 22, 0, None;
    /// ORC-23 ordering facility phone (XTN).
    OrderingFacilityPhone = "ordering_facility.phone", "ORC", 23, 0, None;

    /// OBR-3 filler order number (EI): the lab's accession (report) number.
    Accession = "accession", "OBR", 3, 1, Some("pathReportNumber1");
    /// OBR-3 universal ID: the CLIA of the lab that filled the order.
    AccessionLabId = "accession.lab_id", "OBR", 3, 3, None;
    /// OBR-3 universal ID type (`CLIA`).
    AccessionLabIdType = "accession.lab_id_type", "OBR", 3, 4, None;
    /// OBR-4 universal service ID: report type LOINC.
    ReportType = "report_types", "OBR", 4, 1, Some("pathReportType1");
    /// OBR-7 observation (specimen collection) date/time.
    SpecimenCollected = "specimen_collection_date", "OBR", 7, 1, Some("pathDateSpecCollect1");
    /// OBR-16 ordering provider (XCN): ID number.
    OrderingProviderId = "ordering_provider.id", "OBR", 16, 1, Some("pathOrderPhysLicNo1");
    /// OBR-16 family name.
    OrderingProviderLast = "ordering_provider.name.last", "OBR", 16, 2, None;
    /// OBR-16 given name.
    OrderingProviderFirst = "ordering_provider.name.first", "OBR", 16, 3, None;
    /// OBR-16 middle name or initial.
    OrderingProviderMiddle = "ordering_provider.name.middle", "OBR", 16, 4, None;
    /// OBR-16 assigning authority (`CMS`).
    OrderingProviderAuthority = "ordering_provider.assigning_authority", "OBR", 16, 9, None;
    /// OBR-16 identifier type code (`NPI`).
    OrderingProviderIdType = "ordering_provider.id_type", "OBR", 16, 13, None;
    /// OBR-22 results report / status change date/time.
    ReportDate = "report_date", "OBR", 22, 1, None;
    /// OBR-25 result status: F final, P preliminary, C corrected, ...
    ReportStatus = "report_status", "OBR", 25, 1, None;
    /// OBR-31 reason for study (CWE, repeats): the lab's ICD-10-CM code.
    Icd10 = "icd10_codes", "OBR", 31, 1, None;
    /// OBR-32 principal result interpreter (NDL): pathologist, `&` subcomponents id&family&given&middle…&authority.
    Pathologist = "pathologist", "OBR", 32, 1, None;

    /// OBX-1 set ID (joins split sections in order).
    ObservationSetId = "sections (set ID)", "OBX", 1, 1, None;
    /// OBX-2 value type (TX, FT, ST, CWE, NM...).
    ObservationValueType = "sections (value type)", "OBX", 2, 1, None;
    /// OBX-3 observation identifier: LOINC section code or CAP question ID.
    ObservationCode = "sections.loinc / synoptic.question_id", "OBX", 3, 1, None;
    /// OBX-3 observation text (CAP question text).
    ObservationText = "synoptic.question", "OBX", 3, 2, None;
    /// OBX-3 coding system (`LN`, `CAPECC`, `CAPECP`).
    ObservationCodingSystem = "synoptic (coding system)", "OBX", 3, 3, None;
    /// OBX-4 observation sub-ID (part number; links a CAP fill-in to its answer).
    ObservationSubId = "synoptic.sub_id", "OBX", 4, 1, None;
    /// OBX-5 observation value (report text or CAP answer).
    ObservationValue = "sections.text / synoptic.answer", "OBX", 5, 0, Some("textDxProcPath");
    /// OBX-6 units (UCUM code).
    ObservationUnits = "synoptic.unit", "OBX", 6, 1, None;
    /// OBX-11 observation result status (W = wrong, withdrawn).
    ObservationStatus = "sections (result status)", "OBX", 11, 1, None;

    /// NTE-3 comment text.
    NoteText = "sections (NTE comment)", "NTE", 3, 0, None;
    /// SPM-17 specimen collection date/time range: start (used when OBR-7 is empty).
    SpecimenCollectedSpm = "specimen_collection_date (SPM)", "SPM", 17, 1, Some("pathDateSpecCollect1");
}

/// OBX-3 LOINC codes of report text sections (NAACCR Vol V; pathology.md §2.4).
///
/// 22639-9 (supplemental report) is not confirmed in public samples, so it stays `Other`.
pub const SECTION_LOINCS: &[(&str, SectionKind)] = &[
    ("22636-5", SectionKind::History),
    ("22633-2", SectionKind::Specimen),
    ("22634-0", SectionKind::Gross),
    ("22635-7", SectionKind::Microscopic),
    ("22637-3", SectionKind::FinalDiagnosis),
    ("22638-1", SectionKind::Comment),
    ("60568-3", SectionKind::Synoptic),
    ("60569-1", SectionKind::Synoptic),
];

/// The section kind of an OBX-3 LOINC code (`Other` when not a known section).
pub fn section_kind(loinc: &str) -> SectionKind {
    SECTION_LOINCS
        .iter()
        .find(|(code, _)| *code == loinc)
        .map_or(SectionKind::Other, |(_, kind)| *kind)
}

/// OBX-3 LOINC of the CAP template source header (`CAP eCC`).
pub const TEMPLATE_SOURCE_LOINC: &str = "60573-3";
/// OBX-3 LOINC of the CAP template ID header (`129.1000043^ADRENAL GLAND^CAPECC`).
pub const TEMPLATE_ID_LOINC: &str = "60572-5";
/// OBX-3 LOINC of the CAP template version header.
pub const TEMPLATE_VERSION_LOINC: &str = "60574-1";
/// OBX-3 coding systems of CAP electronic cancer checklist questions.
pub const CAP_CODING_SYSTEMS: &[&str] = &["CAPECC", "CAPECP"];
