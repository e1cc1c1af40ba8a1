//! Follow-up: which cases are followed, when follow-up is due or delinquent, how a contact's answer
//! updates the abstract, the CoC follow-up rate worksheet, response tokens and letter templates.
//!
//! Pure: no I/O. The service layer reads cases, calls these functions and stores what they return.
//!
//! Partial dates of last contact (`2024`, `202403`) are read *conservatively*: the contact is taken to
//! have happened on the earliest day the partial date allows, so a case is never shown as current
//! when it could already be due. The exclusion of patients aged 100+ without recent contact goes the
//! other way (latest possible contact, youngest possible age) so that nobody is dropped from follow-up
//! on a guess.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Datelike, Months, NaiveDate, TimeDelta};
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::date::PartialDate;

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

/// The registry's follow-up policy (settings file section `[follow_up]`; every field has a default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FollowUpRules {
    /// Cases diagnosed before 1 January of this year are not followed (CoC 2021: 1988-2004 no longer required).
    pub follow_up_start_year: u16,
    /// Follow-up is due this many months after the date of last contact.
    pub due_months: u32,
    /// Letters start this many months after the date of last contact (13 leaves room for the annual visit).
    pub letter_start_months: u32,
    /// A case is delinquent (not current) this many months after the date of last contact.
    pub delinquent_months: u32,
    /// Registry policy, not a standard: after this many months without contact a case is reported as lost
    /// (it stays on the delinquent list and is still pursued).
    pub lost_months: u32,
    /// Patients this old (whole years) ...
    pub oldest_followed_age: i32,
    /// ... and without contact for this many months are no longer followed.
    pub oldest_no_contact_months: u32,
    /// A response link works for this many days.
    pub token_validity_days: u32,
    /// A second (third, ...) request goes out this many days after the previous one.
    pub second_request_after_days: u32,
    /// No more than this many requests per due period.
    pub max_requests: u32,
}

impl Default for FollowUpRules {
    fn default() -> Self {
        FollowUpRules {
            follow_up_start_year: 2005,
            due_months: 12,
            letter_start_months: 13,
            delinquent_months: 15,
            lost_months: 24,
            oldest_followed_age: 100,
            oldest_no_contact_months: 12,
            token_validity_days: 60,
            second_request_after_days: 30,
            max_requests: 3,
        }
    }
}

impl FollowUpRules {
    /// How long a response link stays valid.
    pub fn token_validity(&self) -> TimeDelta {
        TimeDelta::days(i64::from(self.token_validity_days))
    }
}

// ---------------------------------------------------------------------------------------------
// Codes
// ---------------------------------------------------------------------------------------------

/// Vital Status [1760] (patient level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VitalStatus {
    /// Code 0.
    Dead,
    /// Code 1.
    Alive,
}

impl VitalStatus {
    /// Reads the NAACCR code (`0` dead, `1` alive).
    pub fn parse(code: &str) -> Option<Self> {
        match code.trim() {
            "0" => Some(VitalStatus::Dead),
            "1" => Some(VitalStatus::Alive),
            _ => None,
        }
    }
    /// The NAACCR code.
    pub fn code(self) -> &'static str {
        match self {
            VitalStatus::Dead => "0",
            VitalStatus::Alive => "1",
        }
    }
}

/// Cancer Status [1770] (tumor level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CancerStatus {
    /// Code 1: no evidence of this tumor.
    NoEvidence,
    /// Code 2: evidence of this tumor.
    Evidence,
    /// Code 9: unknown, indeterminate.
    Unknown,
}

impl CancerStatus {
    /// Reads the NAACCR code.
    pub fn parse(code: &str) -> Option<Self> {
        match code.trim() {
            "1" => Some(CancerStatus::NoEvidence),
            "2" => Some(CancerStatus::Evidence),
            "9" => Some(CancerStatus::Unknown),
            _ => None,
        }
    }
    /// The NAACCR code.
    pub fn code(self) -> &'static str {
        match self {
            CancerStatus::NoEvidence => "1",
            CancerStatus::Evidence => "2",
            CancerStatus::Unknown => "9",
        }
    }
}

/// Follow-Up Source [1790] (tumor level): where the last contact information came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FollowUpSource {
    /// 0 reported hospitalization.
    ReportedHospitalization,
    /// 1 readmission.
    Readmission,
    /// 2 physician.
    Physician,
    /// 3 patient.
    Patient,
    /// 4 Department of Motor Vehicles.
    MotorVehicles,
    /// 5 Medicare/Medicaid file.
    MedicareMedicaid,
    /// 7 death certificate.
    DeathCertificate,
    /// 8 other.
    Other,
    /// 9 unknown.
    Unknown,
}

impl FollowUpSource {
    /// Reads the NAACCR code.
    pub fn parse(code: &str) -> Option<Self> {
        Some(match code.trim() {
            "0" => FollowUpSource::ReportedHospitalization,
            "1" => FollowUpSource::Readmission,
            "2" => FollowUpSource::Physician,
            "3" => FollowUpSource::Patient,
            "4" => FollowUpSource::MotorVehicles,
            "5" => FollowUpSource::MedicareMedicaid,
            "7" => FollowUpSource::DeathCertificate,
            "8" => FollowUpSource::Other,
            "9" => FollowUpSource::Unknown,
            _ => return None,
        })
    }
    /// The NAACCR code.
    pub fn code(self) -> &'static str {
        match self {
            FollowUpSource::ReportedHospitalization => "0",
            FollowUpSource::Readmission => "1",
            FollowUpSource::Physician => "2",
            FollowUpSource::Patient => "3",
            FollowUpSource::MotorVehicles => "4",
            FollowUpSource::MedicareMedicaid => "5",
            FollowUpSource::DeathCertificate => "7",
            FollowUpSource::Other => "8",
            FollowUpSource::Unknown => "9",
        }
    }
}

/// Next Follow-Up Source [1800] (tumor level): how the next follow-up will be sought.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NextFollowUpSource {
    /// 0 chart requisition.
    ChartRequisition,
    /// 1 physician letter.
    PhysicianLetter,
    /// 2 contact letter.
    ContactLetter,
    /// 3 phone call.
    PhoneCall,
    /// 4 other hospital contact.
    OtherHospitalContact,
    /// 5 other, NOS.
    Other,
    /// 8 foreign resident: not followed.
    ForeignResident,
    /// 9 not followed, other reason.
    NotFollowed,
}

impl NextFollowUpSource {
    /// Reads the NAACCR code.
    pub fn parse(code: &str) -> Option<Self> {
        Some(match code.trim() {
            "0" => NextFollowUpSource::ChartRequisition,
            "1" => NextFollowUpSource::PhysicianLetter,
            "2" => NextFollowUpSource::ContactLetter,
            "3" => NextFollowUpSource::PhoneCall,
            "4" => NextFollowUpSource::OtherHospitalContact,
            "5" => NextFollowUpSource::Other,
            "8" => NextFollowUpSource::ForeignResident,
            "9" => NextFollowUpSource::NotFollowed,
            _ => return None,
        })
    }
    /// The NAACCR code.
    pub fn code(self) -> &'static str {
        match self {
            NextFollowUpSource::ChartRequisition => "0",
            NextFollowUpSource::PhysicianLetter => "1",
            NextFollowUpSource::ContactLetter => "2",
            NextFollowUpSource::PhoneCall => "3",
            NextFollowUpSource::OtherHospitalContact => "4",
            NextFollowUpSource::Other => "5",
            NextFollowUpSource::ForeignResident => "8",
            NextFollowUpSource::NotFollowed => "9",
        }
    }
}

/// Canadian province/territory codes of Addr at DX--State: a Canadian resident is foreign to a US facility.
const CANADIAN_PROVINCES: [&str; 13] = [
    "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
];

/// Country codes of Addr at DX--Country that are not foreign for a US facility (US, its territories,
/// and the "unknown"/"North America NOS" codes, which do not prove a foreign residence).
const DOMESTIC_OR_UNKNOWN_COUNTRIES: [&str; 9] = [
    "USA", "PRI", "GUM", "VIR", "ASM", "MNP", "UMI", "ZZU", "ZZN",
];

/// True when the address at diagnosis shows a resident of another country (US facility view):
/// state `XX`/`YY` (outside US/Canada) or a Canadian province, or, when the state does not say,
/// a known country other than the US and its territories.
pub fn is_foreign_resident(state_at_dx: &str, country_at_dx: &str) -> bool {
    let state = state_at_dx.trim().to_ascii_uppercase();
    let country = country_at_dx.trim().to_ascii_uppercase();
    if state == "XX" || state == "YY" || CANADIAN_PROVINCES.contains(&state.as_str()) {
        return true;
    }
    if state.len() == 2 && state != "ZZ" {
        return false;
    }
    !country.is_empty() && !DOMESTIC_OR_UNKNOWN_COUNTRIES.contains(&country.as_str())
}

// ---------------------------------------------------------------------------------------------
// Who is followed
// ---------------------------------------------------------------------------------------------

/// What follow-up needs to know about one tumor of a patient (patient-level values repeated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowUpCase {
    /// Class of Case [610] as a number (`00` → 0), `None` when blank or not a number.
    pub class_of_case: Option<u8>,
    /// Date of Diagnosis [390].
    pub date_of_diagnosis: Option<PartialDate>,
    /// Date of Birth [240].
    pub date_of_birth: Option<PartialDate>,
    /// Date of Last Contact [1750] (patient level; the date of death for a dead patient).
    pub date_of_last_contact: Option<PartialDate>,
    /// Vital Status [1760] (patient level).
    pub vital_status: Option<VitalStatus>,
    /// Resident of another country at diagnosis (see [`is_foreign_resident`]).
    pub foreign_resident: bool,
    /// Next Follow-Up Source [1800].
    pub next_follow_up_source: Option<NextFollowUpSource>,
    /// Behavior Code ICD-O-3 [523].
    pub behavior: Option<u8>,
    /// Primary Site [400], e.g. `C504`.
    pub primary_site: String,
    /// Histologic Type ICD-O-3 [522].
    pub histology: Option<u16>,
}

impl FollowUpCase {
    /// Builds a case from NAACCR items (patient and tumor lookups by naaccrId). Values that do not parse
    /// count as blank: the edits report them; follow-up must not fail on them.
    pub fn from_items<'a>(
        patient: impl Fn(&str) -> Option<&'a str>,
        tumor: impl Fn(&str) -> Option<&'a str>,
    ) -> Self {
        let date = |v: Option<&str>| v.and_then(|s| PartialDate::parse(s).ok());
        FollowUpCase {
            class_of_case: tumor("classOfCase").and_then(|s| s.trim().parse().ok()),
            date_of_diagnosis: date(tumor("dateOfDiagnosis")),
            date_of_birth: date(patient("dateOfBirth")),
            date_of_last_contact: date(patient("dateOfLastContact")),
            vital_status: patient("vitalStatus").and_then(VitalStatus::parse),
            foreign_resident: is_foreign_resident(
                tumor("addrAtDxState").unwrap_or(""),
                tumor("addrAtDxCountry").unwrap_or(""),
            ),
            next_follow_up_source: tumor("nextFollowUpSource").and_then(NextFollowUpSource::parse),
            behavior: tumor("behaviorCodeIcdO3").and_then(|s| s.trim().parse().ok()),
            primary_site: tumor("primarySite")
                .unwrap_or("")
                .trim()
                .to_ascii_uppercase(),
            histology: tumor("histologicTypeIcdO3").and_then(|s| s.trim().parse().ok()),
        }
    }
}

/// Whether a case is on the follow-up lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Eligibility {
    /// Followed at least yearly.
    Followed,
    /// Not followed, and why.
    NotFollowed(NotFollowedReason),
}

/// Why a case is not followed (shown to the registrar as is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NotFollowedReason {
    /// Vital status 0.
    Dead,
    /// Class of case blank.
    ClassOfCaseMissing,
    /// Class of case not in the NAACCR code list.
    ClassOfCaseInvalid(u8),
    /// Class of case 30 and above: not an analytic case.
    NonAnalytic(u8),
    /// Class of case 00 diagnosed 2006 or later (diagnosed here, all treatment elsewhere).
    Class00Since2006,
    /// Resident of another country at diagnosis.
    ForeignResident,
    /// Next Follow-Up Source 8.
    NextFollowUpSourceForeign,
    /// Next Follow-Up Source 9.
    NextFollowUpSourceNotFollowed,
    /// Diagnosed before the registry's follow-up start year.
    DiagnosedBeforeStartYear {
        /// Year of diagnosis.
        year: u16,
        /// The setting.
        start_year: u16,
    },
    /// Aged 100+ without contact for 12 months (the settings' values).
    OldWithoutContact {
        /// Age today (youngest possible).
        age: i32,
    },
}

impl fmt::Display for NotFollowedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotFollowedReason::Dead => write!(f, "patient is dead (vital status 0)"),
            NotFollowedReason::ClassOfCaseMissing => {
                write!(
                    f,
                    "class of case is blank: code it to decide whether the case is followed"
                )
            }
            NotFollowedReason::ClassOfCaseInvalid(c) => {
                write!(f, "class of case {c:02} is not a valid code: correct it")
            }
            NotFollowedReason::NonAnalytic(c) => {
                write!(f, "class of case {c:02} is non-analytic: not followed")
            }
            NotFollowedReason::Class00Since2006 => write!(
                f,
                "class of case 00 (diagnosed here, all treatment elsewhere) diagnosed 2006 or later: not followed"
            ),
            NotFollowedReason::ForeignResident => {
                write!(f, "resident of another country at diagnosis: not followed")
            }
            NotFollowedReason::NextFollowUpSourceForeign => {
                write!(
                    f,
                    "next follow-up source 8 (foreign resident): not followed"
                )
            }
            NotFollowedReason::NextFollowUpSourceNotFollowed => {
                write!(f, "next follow-up source 9 (not followed)")
            }
            NotFollowedReason::DiagnosedBeforeStartYear { year, start_year } => write!(
                f,
                "diagnosed in {year}, before the follow-up start year {start_year}: not followed"
            ),
            NotFollowedReason::OldWithoutContact { age } => write!(
                f,
                "patient is {age} years old and has had no contact for 12 months or more: not followed"
            ),
        }
    }
}

/// Adds calendar months; the day is clamped to the month's end (Jan 31 + 1 month = Feb 28/29).
fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// Youngest possible age in whole years at `today` (birth on the latest day the partial date allows).
fn youngest_age(birth: &PartialDate, today: NaiveDate) -> i32 {
    let born = birth.latest();
    let mut years = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    years
}

/// Class of Case codes of the NAACCR code list.
fn is_valid_class_of_case(class: u8) -> bool {
    matches!(class, 0 | 10..=14 | 20..=22 | 30..=38 | 40..=43 | 49 | 99)
}

/// Decides whether a case is followed. Checks run in this order and the first that applies is reported:
/// dead; class of case (10-22 followed; 00 only if diagnosed before 2006; 30+ non-analytic); foreign
/// resident; next follow-up source 8/9; diagnosed before the start year; aged 100+ without contact.
pub fn follow_up_eligibility(
    case: &FollowUpCase,
    settings: &FollowUpRules,
    today: NaiveDate,
) -> Eligibility {
    use NotFollowedReason as R;
    let reason = if case.vital_status == Some(VitalStatus::Dead) {
        Some(R::Dead)
    } else {
        class_reason(case).or_else(|| other_reason(case, settings, today))
    };
    match reason {
        Some(r) => Eligibility::NotFollowed(r),
        None => Eligibility::Followed,
    }
}

fn class_reason(case: &FollowUpCase) -> Option<NotFollowedReason> {
    use NotFollowedReason as R;
    match case.class_of_case {
        None => Some(R::ClassOfCaseMissing),
        Some(c) if !is_valid_class_of_case(c) => Some(R::ClassOfCaseInvalid(c)),
        Some(0) => {
            // An unknown diagnosis date cannot prove the old (pre-2006) rule applies.
            let before_2006 = case.date_of_diagnosis.is_some_and(|d| d.year() < 2006);
            (!before_2006).then_some(R::Class00Since2006)
        }
        Some(c) if c >= 30 => Some(R::NonAnalytic(c)),
        Some(_) => None,
    }
}

fn other_reason(
    case: &FollowUpCase,
    settings: &FollowUpRules,
    today: NaiveDate,
) -> Option<NotFollowedReason> {
    use NotFollowedReason as R;
    if case.foreign_resident {
        return Some(R::ForeignResident);
    }
    match case.next_follow_up_source {
        Some(NextFollowUpSource::ForeignResident) => return Some(R::NextFollowUpSourceForeign),
        Some(NextFollowUpSource::NotFollowed) => return Some(R::NextFollowUpSourceNotFollowed),
        _ => {}
    }
    if let Some(dx) = case.date_of_diagnosis
        && dx.year() < settings.follow_up_start_year
    {
        return Some(R::DiagnosedBeforeStartYear {
            year: dx.year(),
            start_year: settings.follow_up_start_year,
        });
    }
    if let Some(birth) = case.date_of_birth {
        let age = youngest_age(&birth, today);
        // Latest possible contact: a partial date never makes a patient look out of contact.
        let no_contact = match case.date_of_last_contact {
            Some(dlc) => today >= add_months(dlc.latest(), settings.oldest_no_contact_months),
            None => true,
        };
        if age >= settings.oldest_followed_age && no_contact {
            return Some(R::OldWithoutContact { age });
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Due and delinquent
// ---------------------------------------------------------------------------------------------

/// Where a case stands on the follow-up lists today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FollowUpStatus {
    /// Contact within the due period.
    Current,
    /// Follow-up due since that day (date of last contact + 12 months), not yet delinquent.
    Due {
        /// First day the case was due.
        since: NaiveDate,
    },
    /// No contact for 15 months or more: delinquent since that day.
    Delinquent {
        /// First day the case was delinquent.
        since: NaiveDate,
    },
    /// Not followed, and why.
    NotFollowed(NotFollowedReason),
    /// Vital status 0: nothing more to follow.
    Dead,
}

/// The day follow-up is counted from: the earliest day of the date of last contact; without one, the
/// earliest day of the date of diagnosis (the case was seen then).
fn contact_anchor(case: &FollowUpCase) -> Option<NaiveDate> {
    case.date_of_last_contact
        .or(case.date_of_diagnosis)
        .map(|d| d.earliest())
}

/// Next follow-up due date (date of last contact + `due_months`), `None` without any date.
pub fn due_date(case: &FollowUpCase, rules: &FollowUpRules) -> Option<NaiveDate> {
    contact_anchor(case).map(|d| add_months(d, rules.due_months))
}

/// First day a letter may go out (date of last contact + `letter_start_months`).
pub fn letter_start_date(case: &FollowUpCase, rules: &FollowUpRules) -> Option<NaiveDate> {
    contact_anchor(case).map(|d| add_months(d, rules.letter_start_months))
}

/// Follow-up status today. A case with neither a date of last contact nor a date of diagnosis is
/// delinquent since today, so that it shows on the delinquent list and gets its dates abstracted.
pub fn follow_up_status(
    case: &FollowUpCase,
    rules: &FollowUpRules,
    today: NaiveDate,
) -> FollowUpStatus {
    if case.vital_status == Some(VitalStatus::Dead) {
        return FollowUpStatus::Dead;
    }
    if let Eligibility::NotFollowed(reason) = follow_up_eligibility(case, rules, today) {
        return FollowUpStatus::NotFollowed(reason);
    }
    let Some(anchor) = contact_anchor(case) else {
        return FollowUpStatus::Delinquent { since: today };
    };
    let delinquent = add_months(anchor, rules.delinquent_months);
    let due = add_months(anchor, rules.due_months);
    if today >= delinquent {
        FollowUpStatus::Delinquent { since: delinquent }
    } else if today >= due {
        FollowUpStatus::Due { since: due }
    } else {
        FollowUpStatus::Current
    }
}

/// True when a followed, living case has had no contact for `lost_months` (reported as lost).
pub fn is_lost_to_follow_up(case: &FollowUpCase, rules: &FollowUpRules, today: NaiveDate) -> bool {
    match follow_up_status(case, rules, today) {
        FollowUpStatus::Delinquent { .. } => {
            contact_anchor(case).is_none_or(|a| today >= add_months(a, rules.lost_months))
        }
        _ => false,
    }
}

/// What the letter job should do for one case today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RequestDecision {
    /// Not followed, dead or current: no letter.
    NotNeeded,
    /// Followed and due, but wait until that day (letter start, or the reminder interval).
    Wait {
        /// First day a letter may go out.
        until: NaiveDate,
    },
    /// Send request number `number` (1 = first letter).
    Send {
        /// 1-based number of the request in this due period.
        number: u32,
    },
    /// `max_requests` letters went out without an answer: a registrar must try another source.
    Exhausted,
}

/// Decides the next letter. `requests_sent` and `last_sent_on` count only the requests sent since the
/// current date of last contact (a response moves the date and so starts a new period).
pub fn next_request(
    case: &FollowUpCase,
    rules: &FollowUpRules,
    today: NaiveDate,
    requests_sent: u32,
    last_sent_on: Option<NaiveDate>,
) -> RequestDecision {
    match follow_up_status(case, rules, today) {
        FollowUpStatus::Due { .. } | FollowUpStatus::Delinquent { .. } => {}
        _ => return RequestDecision::NotNeeded,
    }
    if let Some(start) = letter_start_date(case, rules)
        && today < start
    {
        return RequestDecision::Wait { until: start };
    }
    if requests_sent >= rules.max_requests {
        return RequestDecision::Exhausted;
    }
    match last_sent_on {
        Some(last) if requests_sent > 0 => {
            let next = last
                .checked_add_days(chrono::Days::new(u64::from(
                    rules.second_request_after_days,
                )))
                .unwrap_or(NaiveDate::MAX);
            if today < next {
                RequestDecision::Wait { until: next }
            } else {
                RequestDecision::Send {
                    number: requests_sent + 1,
                }
            }
        }
        _ => RequestDecision::Send {
            number: requests_sent + 1,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Applying a contact's response
// ---------------------------------------------------------------------------------------------

/// The follow-up items of one patient and its tumors, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatientFollowUp {
    /// Date of Last Contact [1750] (patient level).
    pub date_of_last_contact: Option<PartialDate>,
    /// Vital Status [1760] (patient level).
    pub vital_status: Option<VitalStatus>,
    /// The patient's tumors, in the order the service layer indexes them.
    pub tumors: Vec<TumorFollowUp>,
}

/// The follow-up items of one tumor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TumorFollowUp {
    /// Cancer Status [1770].
    pub cancer_status: Option<CancerStatus>,
    /// Date of Last Cancer (tumor) Status [1772].
    pub date_of_last_cancer_status: Option<PartialDate>,
    /// Follow-Up Source [1790].
    pub follow_up_source: Option<FollowUpSource>,
    /// Next Follow-Up Source [1800].
    pub next_follow_up_source: Option<NextFollowUpSource>,
}

/// The cancer status a contact gave for one tumor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TumorCancerStatus {
    /// Index into [`PatientFollowUp::tumors`].
    pub tumor: usize,
    /// The status reported.
    pub status: CancerStatus,
}

/// A contact's answer (physician or patient form, phone call, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpResponse {
    /// The date the contact wrote (last seen). Blank: the postmark / receipt date is used instead,
    /// never the date the letter was mailed.
    pub date_of_contact: Option<PartialDate>,
    /// Postmark of the returned letter, or the day the online form was submitted.
    pub received_on: NaiveDate,
    /// Alive or dead.
    pub vital_status: VitalStatus,
    /// Required when dead; becomes the date of last contact.
    pub date_of_death: Option<PartialDate>,
    /// Cancer status per tumor, as far as the contact knows.
    pub cancer_status: Vec<TumorCancerStatus>,
    /// Where the answer came from (Follow-Up Source [1790]).
    pub source: FollowUpSource,
    /// How to follow next time, if the registrar changes it.
    pub next_follow_up_source: Option<NextFollowUpSource>,
}

/// One item value to change (the service writes it and its audit event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// NAACCR XML id of the item.
    pub naaccr_id: &'static str,
    /// `None` for a patient-level item, else the tumor's index.
    pub tumor: Option<usize>,
    /// Value before (blank when there was none).
    pub old: String,
    /// Value after.
    pub new: String,
}

/// Why a response cannot be applied as is (a registrar must look at it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    #[error(
        "the response says the patient died but gives no date of death: ask the contact for it"
    )]
    DeathWithoutDate,
    #[error("date {date} is after the day the response was received ({received}): check the date")]
    DateAfterReceipt { date: String, received: NaiveDate },
    #[error(
        "date of death {death} is before the recorded date of last contact {last_contact}: check both dates"
    )]
    DeathBeforeLastContact { death: String, last_contact: String },
    #[error(
        "the patient is recorded dead but the response says alive: check the death record before changing vital status"
    )]
    AliveButRecordedDead,
    #[error("the response names tumor {index} but the patient has {count} tumor(s)")]
    UnknownTumor { index: usize, count: usize },
}

/// True when `new` does not move the date backwards: its earliest day is later, or the same earliest
/// day with a narrower range (e.g. `202403` → `20240301`).
fn not_earlier(old: Option<PartialDate>, new: PartialDate) -> bool {
    match old {
        None => true,
        Some(old) => {
            new.earliest() > old.earliest()
                || (new.earliest() == old.earliest() && new.latest() <= old.latest())
        }
    }
}

fn text<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn push_change(
    changes: &mut Vec<FieldChange>,
    naaccr_id: &'static str,
    tumor: Option<usize>,
    old: String,
    new: String,
) {
    if old != new {
        changes.push(FieldChange {
            naaccr_id,
            tumor,
            old,
            new,
        });
    }
}

/// Turns a response into item changes. Date of last contact and vital status are patient level (one
/// value for all tumors) and the date only moves forward; Follow-Up Source follows the date of last
/// contact on every tumor; cancer status and its date change per tumor, also only forward.
pub fn apply_response(
    patient: &PatientFollowUp,
    response: &FollowUpResponse,
) -> Result<Vec<FieldChange>, ResponseError> {
    let received = PartialDate::from_naive(response.received_on);
    let contact = match response.vital_status {
        VitalStatus::Dead => {
            let death = response
                .date_of_death
                .ok_or(ResponseError::DeathWithoutDate)?;
            if let Some(old) = patient.date_of_last_contact
                && death.latest() < old.earliest()
            {
                return Err(ResponseError::DeathBeforeLastContact {
                    death: death.display_iso(),
                    last_contact: old.display_iso(),
                });
            }
            death
        }
        VitalStatus::Alive => {
            if patient.vital_status == Some(VitalStatus::Dead) {
                return Err(ResponseError::AliveButRecordedDead);
            }
            response.date_of_contact.unwrap_or(received)
        }
    };
    if contact.is_certainly_after(&received) {
        return Err(ResponseError::DateAfterReceipt {
            date: contact.display_iso(),
            received: response.received_on,
        });
    }
    let count = patient.tumors.len();
    if let Some(bad) = response.cancer_status.iter().find(|c| c.tumor >= count) {
        return Err(ResponseError::UnknownTumor {
            index: bad.tumor,
            count,
        });
    }

    let mut changes = Vec::new();
    let contact_moves = not_earlier(patient.date_of_last_contact, contact);
    if contact_moves {
        push_change(
            &mut changes,
            "dateOfLastContact",
            None,
            text(patient.date_of_last_contact),
            contact.to_naaccr(),
        );
    }
    // Vital status changes even when the date cannot move (a death within the recorded contact's month).
    push_change(
        &mut changes,
        "vitalStatus",
        None,
        patient
            .vital_status
            .map(|v| v.code())
            .unwrap_or("")
            .to_string(),
        response.vital_status.code().to_string(),
    );
    for (index, tumor) in patient.tumors.iter().enumerate() {
        if contact_moves {
            push_change(
                &mut changes,
                "followUpSource",
                Some(index),
                tumor
                    .follow_up_source
                    .map(|s| s.code())
                    .unwrap_or("")
                    .to_string(),
                response.source.code().to_string(),
            );
        }
        if let Some(next) = response.next_follow_up_source {
            push_change(
                &mut changes,
                "nextFollowUpSource",
                Some(index),
                tumor
                    .next_follow_up_source
                    .map(|s| s.code())
                    .unwrap_or("")
                    .to_string(),
                next.code().to_string(),
            );
        }
        let reported = response
            .cancer_status
            .iter()
            .rev()
            .find(|c| c.tumor == index);
        if let Some(reported) = reported
            && not_earlier(tumor.date_of_last_cancer_status, contact)
        {
            push_change(
                &mut changes,
                "cancerStatus",
                Some(index),
                tumor
                    .cancer_status
                    .map(|s| s.code())
                    .unwrap_or("")
                    .to_string(),
                reported.status.code().to_string(),
            );
            push_change(
                &mut changes,
                "dateOfLastCancerStatus",
                Some(index),
                text(tumor.date_of_last_cancer_status),
                contact.to_naaccr(),
            );
        }
    }
    Ok(changes)
}

// ---------------------------------------------------------------------------------------------
// CoC follow-up worksheet
// ---------------------------------------------------------------------------------------------

/// One tumor (a "case") as the CoC follow-up worksheet needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorksheetCase {
    /// Class of Case [610].
    pub class_of_case: Option<u8>,
    /// Date of Diagnosis [390].
    pub date_of_diagnosis: Option<PartialDate>,
    /// Date of Birth [240].
    pub date_of_birth: Option<PartialDate>,
    /// Date of Last Contact [1750].
    pub date_of_last_contact: Option<PartialDate>,
    /// Vital Status [1760].
    pub vital_status: Option<VitalStatus>,
    /// Resident of another country at diagnosis.
    pub foreign_resident: bool,
    /// Primary Site [400].
    pub primary_site: String,
    /// Histologic Type ICD-O-3 [522].
    pub histology: Option<u16>,
    /// Behavior Code ICD-O-3 [523].
    pub behavior: Option<u8>,
    /// Summary stage (SS2018 [764], or SS2000/derived for older cases): 0 in situ, 1 localized.
    pub summary_stage: Option<u8>,
}

impl WorksheetCase {
    /// Builds a worksheet case from NAACCR items; summary stage from `summaryStage2018`, else
    /// `derivedSummaryStage2018`, else `seerSummaryStage2000`.
    pub fn from_items<'a>(
        patient: impl Fn(&str) -> Option<&'a str> + Copy,
        tumor: impl Fn(&str) -> Option<&'a str> + Copy,
    ) -> Self {
        let case = FollowUpCase::from_items(patient, tumor);
        let stage = [
            "summaryStage2018",
            "derivedSummaryStage2018",
            "seerSummaryStage2000",
        ]
        .iter()
        .find_map(|id| tumor(id).and_then(|s| s.trim().parse().ok()));
        WorksheetCase {
            class_of_case: case.class_of_case,
            date_of_diagnosis: case.date_of_diagnosis,
            date_of_birth: case.date_of_birth,
            date_of_last_contact: case.date_of_last_contact,
            vital_status: case.vital_status,
            foreign_resident: case.foreign_resident,
            primary_site: case.primary_site,
            histology: case.histology,
            behavior: case.behavior,
            summary_stage: stage,
        }
    }
}

/// One worksheet column, line by line as on the CoC/SEER form.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Total cases diagnosed in the window.
    pub total: u64,
    /// 1. less benign and borderline (behavior 0, 1).
    pub less_benign_borderline: u64,
    /// 2. less carcinoma in situ of the cervix.
    pub less_cervix_in_situ: u64,
    /// 3. less in situ and localized basal and squamous cell carcinoma of the skin.
    pub less_skin_bcc_scc: u64,
    /// 4. less foreign residents.
    pub less_foreign: u64,
    /// 5. less non-analytic (class 30+, blank or invalid class).
    pub less_non_analytic: u64,
    /// 5b. less class 00 diagnosed 2006+ (analytic but not followed since 2006).
    pub less_class_00: u64,
    /// A: analytic cases in the window after the exclusions.
    pub a: u64,
    /// B: dead, or aged 100 or older.
    pub b: u64,
    /// C = A − B: living.
    pub c: u64,
    /// D: living with a contact in the last 15 months (current).
    pub d: u64,
    /// E = C − D: lost or not current.
    pub e: u64,
    /// (B + D) / A; `None` when A is 0.
    pub rate: Option<f64>,
}

/// The worksheet: all analytic cases since the reference date, and the last five years.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Worksheet {
    /// From the reference date.
    pub all: Counts,
    /// From `last5_from` (the later of the reference date and 1 January five years before this year).
    pub last5: Counts,
    /// First day of the five-year window.
    pub last5_from: NaiveDate,
    /// Cases without a date of diagnosis: they cannot be placed in a window (abstract the date).
    pub no_diagnosis_date: u64,
}

/// 1 January of the fifth year before `today`'s year: diagnosis years Y−5 … Y count as "the last five
/// years" (five complete years plus the current one, so recent cases are never left out).
pub fn last_five_years_from(today: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(today.year() - 5, 1, 1).unwrap_or(NaiveDate::MIN)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exclusion {
    BenignBorderline,
    CervixInSitu,
    SkinBccScc,
    Foreign,
    NonAnalytic,
    Class00,
}

fn site_in(site: &str, prefix: &str) -> bool {
    site.len() == 4 && site.starts_with(prefix)
}

/// The first worksheet line that removes the case, in the form's order.
fn worksheet_exclusion(case: &WorksheetCase) -> Option<Exclusion> {
    let site = case.primary_site.as_str();
    if matches!(case.behavior, Some(0 | 1)) {
        return Some(Exclusion::BenignBorderline);
    }
    if case.behavior == Some(2) && site_in(site, "C53") {
        return Some(Exclusion::CervixInSitu);
    }
    // Squamous (8050-8089) and basal cell (8090-8110) carcinoma of the skin, in situ or localized.
    // An unknown stage is not excluded: the form removes only in situ and localized cases.
    let bcc_scc = case.histology.is_some_and(|h| (8050..=8110).contains(&h));
    let in_situ_or_localized =
        case.behavior == Some(2) || matches!(case.summary_stage, Some(0 | 1));
    if site_in(site, "C44") && bcc_scc && in_situ_or_localized {
        return Some(Exclusion::SkinBccScc);
    }
    if case.foreign_resident {
        return Some(Exclusion::Foreign);
    }
    match case.class_of_case {
        Some(10..=14 | 20..=22) => None,
        Some(0) if case.date_of_diagnosis.is_some_and(|d| d.year() < 2006) => None,
        Some(0) => Some(Exclusion::Class00),
        _ => Some(Exclusion::NonAnalytic),
    }
}

impl Counts {
    fn add(&mut self, exclusion: Option<Exclusion>, dead_or_100: bool, current: bool) {
        self.total += 1;
        match exclusion {
            Some(Exclusion::BenignBorderline) => self.less_benign_borderline += 1,
            Some(Exclusion::CervixInSitu) => self.less_cervix_in_situ += 1,
            Some(Exclusion::SkinBccScc) => self.less_skin_bcc_scc += 1,
            Some(Exclusion::Foreign) => self.less_foreign += 1,
            Some(Exclusion::NonAnalytic) => self.less_non_analytic += 1,
            Some(Exclusion::Class00) => self.less_class_00 += 1,
            None => {
                self.a += 1;
                if dead_or_100 {
                    self.b += 1;
                } else if current {
                    self.d += 1;
                }
            }
        }
    }

    fn finish(mut self) -> Self {
        self.c = self.a - self.b;
        self.e = self.c - self.d;
        self.rate = (self.a > 0).then(|| (self.b + self.d) as f64 / self.a as f64);
        self
    }
}

/// Computes the CoC follow-up worksheet in one pass with constant memory.
///
/// Counts are per *case* (tumor), as on the CoC form ("analytic cases"): a patient with two analytic
/// primaries counts twice. A case is in a window when its diagnosis could be on or after the window's
/// first day (latest possible day of a partial date). B is "dead, or 100 years or older" (youngest
/// possible age at `today`); D is "known alive in the last 15 months": `today` < earliest day of the
/// date of last contact + 15 months. Pass as `reference_date` the later of the registry's reference date
/// and 1 January of the follow-up start year when older cases are no longer followed.
pub fn coc_worksheet(
    cases: impl Iterator<Item = WorksheetCase>,
    reference_date: NaiveDate,
    today: NaiveDate,
) -> Worksheet {
    let last5_from = last_five_years_from(today).max(reference_date);
    let mut all = Counts::default();
    let mut last5 = Counts::default();
    let mut no_diagnosis_date = 0;
    for case in cases {
        let Some(dx) = case.date_of_diagnosis else {
            no_diagnosis_date += 1;
            continue;
        };
        let latest_dx = dx.latest();
        if latest_dx < reference_date {
            continue;
        }
        let exclusion = worksheet_exclusion(&case);
        let dead_or_100 = case.vital_status == Some(VitalStatus::Dead)
            || case
                .date_of_birth
                .is_some_and(|b| youngest_age(&b, today) >= 100);
        let current = case
            .date_of_last_contact
            .is_some_and(|d| today < add_months(d.earliest(), 15));
        all.add(exclusion, dead_or_100, current);
        if latest_dx >= last5_from {
            last5.add(exclusion, dead_or_100, current);
        }
    }
    Worksheet {
        all: all.finish(),
        last5: last5.finish(),
        last5_from,
        no_diagnosis_date,
    }
}

// ---------------------------------------------------------------------------------------------
// Response tokens
// ---------------------------------------------------------------------------------------------

/// A new one-time response token: (token for the link, URL-safe, 256 random bits from the OS-seeded
/// CSPRNG; SHA-256 hex of it, the only form stored).
pub fn new_response_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

/// SHA-256 hex of a token as received in a link (compare with the stored hash).
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

// ---------------------------------------------------------------------------------------------
// Letters
// ---------------------------------------------------------------------------------------------

/// Values for a letter's `{{placeholder}}`s.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterValues {
    /// The addressee (physician or patient contact).
    pub contact_name: String,
    /// The hospital.
    pub facility_name: String,
    /// The patient's name.
    pub patient_name: String,
    /// The patient's date of birth, as shown.
    pub patient_birth_date: String,
    /// The one-time response link.
    pub response_link: String,
    /// When the follow-up was due, as shown.
    pub due_date: String,
    /// The registrar signing the letter.
    pub registrar_name: String,
    /// The registrar's phone number.
    pub registrar_phone: String,
}

/// The placeholder names a template may use.
pub const PLACEHOLDERS: [&str; 8] = [
    "contact_name",
    "facility_name",
    "patient_name",
    "patient_birth_date",
    "response_link",
    "due_date",
    "registrar_name",
    "registrar_phone",
];

impl LetterValues {
    /// The value of a placeholder, `None` for an unknown name.
    pub fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "contact_name" => &self.contact_name,
            "facility_name" => &self.facility_name,
            "patient_name" => &self.patient_name,
            "patient_birth_date" => &self.patient_birth_date,
            "response_link" => &self.response_link,
            "due_date" => &self.due_date,
            "registrar_name" => &self.registrar_name,
            "registrar_phone" => &self.registrar_phone,
            _ => return None,
        })
    }
}

/// Why a letter template cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("line {line}: unknown placeholder {{{{{name}}}}}; use one of: {}", PLACEHOLDERS.join(", "))]
    UnknownPlaceholder { name: String, line: usize },
    #[error("line {line}: '{{{{' is not closed with '}}}}'")]
    Unclosed { line: usize },
}

/// Fills a plain-text template's `{{placeholder}}`s (spaces inside the braces allowed).
pub fn render_letter(template: &str, values: &LetterValues) -> Result<String, TemplateError> {
    render(template, values, false)
}

/// Fills an HTML template: the values are HTML-escaped, the template is trusted as written.
pub fn render_letter_html(template: &str, values: &LetterValues) -> Result<String, TemplateError> {
    render(template, values, true)
}

fn render(template: &str, values: &LetterValues, html: bool) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    let mut line = 1;
    while let Some(open) = rest.find("{{") {
        let (before, after_open) = rest.split_at(open);
        out.push_str(before);
        line += before.matches('\n').count();
        let inner_start = after_open.get(2..).unwrap_or("");
        let Some(close) = inner_start.find("}}") else {
            return Err(TemplateError::Unclosed { line });
        };
        let (inner, after) = inner_start.split_at(close);
        let name = inner.trim();
        let value = values
            .get(name)
            .ok_or_else(|| TemplateError::UnknownPlaceholder {
                name: name.to_string(),
                line,
            })?;
        if html {
            push_html_escaped(&mut out, value);
        } else {
            out.push_str(value);
        }
        line += inner.matches('\n').count();
        rest = after.get(2..).unwrap_or("");
    }
    out.push_str(rest);
    Ok(out)
}

fn push_html_escaped(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// Word stems that reveal a diagnosis anywhere inside a word ("adenocarcinoma", "non-Hodgkin").
const DIAGNOSIS_STEMS: [&str; 22] = [
    "cancer",
    "carcinom",
    "carcinoid",
    "tumor",
    "tumour",
    "malignan",
    "lymphom",
    "leukemi",
    "leukaemi",
    "melanom",
    "sarcom",
    "myelom",
    "gliom",
    "blastom",
    "mesotheliom",
    "metasta",
    "oncolog",
    "neoplas",
    "hodgkin",
    "chemotherap",
    "radiotherap",
    "recurren",
];

/// Whole words that reveal a diagnosis or its treatment.
const DIAGNOSIS_WORDS: [&str; 15] = [
    "stage",
    "stages",
    "staged",
    "staging",
    "chemo",
    "radiation",
    "biopsy",
    "biopsies",
    "diagnosis",
    "diagnoses",
    "diagnosed",
    "remission",
    "relapse",
    "relapsed",
    "hospice",
];

/// Refuses text that names a diagnosis (minimum necessary: a follow-up e-mail must not disclose it).
/// Run it on templates when they are saved and on the rendered letter (a facility called "... Cancer
/// Center" would otherwise leak through a value). Returns each offending word with its line.
pub fn check_minimum_necessary(text: &str) -> Result<(), Vec<String>> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        for word in line.split(|c: char| !c.is_alphanumeric()) {
            if word.is_empty() {
                continue;
            }
            let lower = word.to_lowercase();
            let hit = DIAGNOSIS_WORDS.contains(&lower.as_str())
                || DIAGNOSIS_STEMS.iter().any(|stem| lower.contains(stem));
            if hit {
                found.push(format!(
                    "line {}: '{}' discloses a diagnosis; remove it",
                    number + 1,
                    word
                ));
            }
        }
    }
    if found.is_empty() { Ok(()) } else { Err(found) }
}

/// Subject of the physician letter (no patient name: subjects show in mailbox lists).
pub const PHYSICIAN_LETTER_SUBJECT: &str =
    "Annual patient follow-up request from {{facility_name}}";

/// Default physician letter, plain text.
pub const PHYSICIAN_LETTER_TEXT: &str = "\
Dear {{contact_name}},

{{facility_name}} keeps a yearly record of how the patients it has treated are doing.
Our records show that you have seen the patient below, and that an update has been due
since {{due_date}}.

  Patient:        {{patient_name}}
  Date of birth:  {{patient_birth_date}}

Please answer through this secure link (it works once and expires):
{{response_link}}

The form asks only for the date you last saw the patient, whether the patient is alive,
and the patient's current status. If the patient is no longer in your care, the form
lets you say so.

Thank you for your help.

{{registrar_name}}
{{facility_name}}
Phone: {{registrar_phone}}
";

/// Default physician letter, HTML.
pub const PHYSICIAN_LETTER_HTML: &str = "\
<!DOCTYPE html>
<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Patient follow-up request</title></head>
<body style=\"font-family: sans-serif; line-height: 1.4\">
<p>Dear {{contact_name}},</p>
<p>{{facility_name}} keeps a yearly record of how the patients it has treated are doing.
Our records show that you have seen the patient below, and that an update has been due since {{due_date}}.</p>
<table>
<tr><th scope=\"row\" style=\"text-align: left\">Patient</th><td>{{patient_name}}</td></tr>
<tr><th scope=\"row\" style=\"text-align: left\">Date of birth</th><td>{{patient_birth_date}}</td></tr>
</table>
<p><a href=\"{{response_link}}\">Answer through this secure link</a> (it works once and expires).</p>
<p>The form asks only for the date you last saw the patient, whether the patient is alive, and the
patient's current status. If the patient is no longer in your care, the form lets you say so.</p>
<p>Thank you for your help.</p>
<p>{{registrar_name}}<br>{{facility_name}}<br>Phone: {{registrar_phone}}</p>
</body></html>
";

/// Subject of the patient letter.
pub const PATIENT_LETTER_SUBJECT: &str = "A short yearly question from {{facility_name}}";

/// Default patient letter, plain text.
pub const PATIENT_LETTER_TEXT: &str = "\
Dear {{contact_name}},

Once a year, {{facility_name}} asks the people it has cared for how they are doing.
Your answer helps us improve the care we give. We last heard from you some time ago,
and your yearly update has been due since {{due_date}}.

Please take a minute to answer through this secure link (it works once and expires):
{{response_link}}

The form is for {{patient_name}}, born {{patient_birth_date}}. It asks when you last
saw a doctor and the name of that doctor. If you would rather talk, call us.

With our thanks,

{{registrar_name}}
{{facility_name}}
Phone: {{registrar_phone}}
";

/// Default patient letter, HTML.
pub const PATIENT_LETTER_HTML: &str = "\
<!DOCTYPE html>
<html lang=\"en\"><head><meta charset=\"utf-8\"><title>A short yearly question</title></head>
<body style=\"font-family: sans-serif; line-height: 1.4\">
<p>Dear {{contact_name}},</p>
<p>Once a year, {{facility_name}} asks the people it has cared for how they are doing.
Your answer helps us improve the care we give. We last heard from you some time ago,
and your yearly update has been due since {{due_date}}.</p>
<p><a href=\"{{response_link}}\">Please answer through this secure link</a> (it works once and expires).</p>
<p>The form is for {{patient_name}}, born {{patient_birth_date}}. It asks when you last saw a doctor
and the name of that doctor. If you would rather talk, call us.</p>
<p>With our thanks,</p>
<p>{{registrar_name}}<br>{{facility_name}}<br>Phone: {{registrar_phone}}</p>
</body></html>
";

/// Recurrence Type--1st [1880] written when an answer says the disease returned without saying
/// how: 88, "disease has recurred, type unknown" (the registrar refines it in the abstract).
pub const RECURRENCE_TYPE_UNKNOWN: &str = "88";

/// Cause of Death [1910] from what a contact typed, when it is an ICD-10 code (`C50.9`, `c509`,
/// `I21`): the code without its dot, upper case. Free text gives `None` (the registrar codes it).
pub fn icd10_cause_of_death(text: &str) -> Option<String> {
    let code: String = text.trim().to_ascii_uppercase().replace('.', "");
    let mut chars = code.chars();
    let letter = chars.next()?;
    let digits: Vec<char> = chars.collect();
    (letter.is_ascii_uppercase()
        && (2..=3).contains(&digits.len())
        && digits.iter().all(char::is_ascii_digit))
    .then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cause_of_death_is_taken_only_as_an_icd10_code() {
        assert_eq!(icd10_cause_of_death(" c50.9 ").as_deref(), Some("C509"));
        assert_eq!(icd10_cause_of_death("I21").as_deref(), Some("I21"));
        assert_eq!(icd10_cause_of_death("heart attack"), None);
        assert_eq!(icd10_cause_of_death("C5"), None);
        assert_eq!(icd10_cause_of_death(""), None);
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn date(text: &str) -> PartialDate {
        PartialDate::parse(text).unwrap()
    }

    const TODAY: (i32, u32, u32) = (2026, 3, 15);

    fn today() -> NaiveDate {
        day(TODAY.0, TODAY.1, TODAY.2)
    }

    /// A followed case: class 14, diagnosed 2023, seen 2025-09-01, alive.
    fn followed() -> FollowUpCase {
        FollowUpCase {
            class_of_case: Some(14),
            date_of_diagnosis: Some(date("20230510")),
            date_of_birth: Some(date("19600101")),
            date_of_last_contact: Some(date("20250901")),
            vital_status: Some(VitalStatus::Alive),
            foreign_resident: false,
            next_follow_up_source: Some(NextFollowUpSource::PhysicianLetter),
            behavior: Some(3),
            primary_site: "C504".into(),
            histology: Some(8500),
        }
    }

    fn eligibility(case: &FollowUpCase) -> Eligibility {
        follow_up_eligibility(case, &FollowUpRules::default(), today())
    }

    fn not_followed(reason: NotFollowedReason) -> Eligibility {
        Eligibility::NotFollowed(reason)
    }

    #[test]
    fn rules_have_documented_defaults_and_fill_missing_fields() {
        let rules: FollowUpRules = serde_json::from_str("{}").unwrap();
        assert_eq!(rules, FollowUpRules::default());
        assert_eq!(rules.follow_up_start_year, 2005);
        assert_eq!(
            (
                rules.due_months,
                rules.letter_start_months,
                rules.delinquent_months
            ),
            (12, 13, 15)
        );
        assert_eq!(rules.token_validity(), TimeDelta::days(60));
        let rules: FollowUpRules = serde_json::from_str(r#"{"letter_start_months": 12}"#).unwrap();
        assert_eq!(rules.letter_start_months, 12);
        assert_eq!(rules.delinquent_months, 15);
    }

    #[test]
    fn analytic_classes_10_to_22_are_followed_others_are_not() {
        for class in [10, 11, 12, 13, 14, 20, 21, 22] {
            let case = FollowUpCase {
                class_of_case: Some(class),
                ..followed()
            };
            assert_eq!(eligibility(&case), Eligibility::Followed, "class {class}");
        }
        for class in [30, 31, 32, 33, 34, 35, 36, 37, 38, 40, 41, 42, 43, 49, 99] {
            let case = FollowUpCase {
                class_of_case: Some(class),
                ..followed()
            };
            assert_eq!(
                eligibility(&case),
                not_followed(NotFollowedReason::NonAnalytic(class))
            );
        }
        for class in [15, 19, 23, 50] {
            let case = FollowUpCase {
                class_of_case: Some(class),
                ..followed()
            };
            assert_eq!(
                eligibility(&case),
                not_followed(NotFollowedReason::ClassOfCaseInvalid(class))
            );
        }
        let blank = FollowUpCase {
            class_of_case: None,
            ..followed()
        };
        assert_eq!(
            eligibility(&blank),
            not_followed(NotFollowedReason::ClassOfCaseMissing)
        );
    }

    #[test]
    fn class_00_is_followed_only_when_diagnosed_before_2006() {
        let class00 = |dx: Option<&str>| FollowUpCase {
            class_of_case: Some(0),
            date_of_diagnosis: dx.map(date),
            ..followed()
        };
        assert_eq!(
            eligibility(&class00(Some("20060101"))),
            not_followed(NotFollowedReason::Class00Since2006)
        );
        assert_eq!(
            eligibility(&class00(Some("2019"))),
            not_followed(NotFollowedReason::Class00Since2006)
        );
        assert_eq!(
            eligibility(&class00(None)),
            not_followed(NotFollowedReason::Class00Since2006)
        );
        // 2005 is also the default start year, so the old rule still applies.
        assert_eq!(
            eligibility(&class00(Some("20051231"))),
            Eligibility::Followed
        );
    }

    #[test]
    fn dead_patients_are_not_followed() {
        let dead = FollowUpCase {
            vital_status: Some(VitalStatus::Dead),
            ..followed()
        };
        assert_eq!(eligibility(&dead), not_followed(NotFollowedReason::Dead));
        // Death is reported before any other reason.
        let dead_nonanalytic = FollowUpCase {
            class_of_case: Some(32),
            ..dead
        };
        assert_eq!(
            eligibility(&dead_nonanalytic),
            not_followed(NotFollowedReason::Dead)
        );
        let unknown = FollowUpCase {
            vital_status: None,
            ..followed()
        };
        assert_eq!(eligibility(&unknown), Eligibility::Followed);
    }

    #[test]
    fn foreign_residents_and_next_follow_up_source_8_and_9_are_not_followed() {
        let foreign = FollowUpCase {
            foreign_resident: true,
            ..followed()
        };
        assert_eq!(
            eligibility(&foreign),
            not_followed(NotFollowedReason::ForeignResident)
        );
        let source = |code: &str| FollowUpCase {
            next_follow_up_source: NextFollowUpSource::parse(code),
            ..followed()
        };
        assert_eq!(
            eligibility(&source("8")),
            not_followed(NotFollowedReason::NextFollowUpSourceForeign)
        );
        assert_eq!(
            eligibility(&source("9")),
            not_followed(NotFollowedReason::NextFollowUpSourceNotFollowed)
        );
        for code in ["0", "1", "2", "3", "4", "5"] {
            assert_eq!(
                eligibility(&source(code)),
                Eligibility::Followed,
                "code {code}"
            );
        }
        assert_eq!(NextFollowUpSource::parse("6"), None);
        assert_eq!(NextFollowUpSource::parse("7"), None);
    }

    #[test]
    fn foreign_residence_is_read_from_state_then_country() {
        assert!(is_foreign_resident("XX", "MEX"));
        assert!(is_foreign_resident("YY", ""));
        assert!(is_foreign_resident("ON", "CAN"));
        assert!(is_foreign_resident("ZZ", "DEU"));
        assert!(is_foreign_resident("", "gbr"));
        assert!(!is_foreign_resident("CA", "USA"));
        assert!(!is_foreign_resident("PR", "PRI"));
        assert!(!is_foreign_resident("", "USA"));
        assert!(!is_foreign_resident("ZZ", "ZZU"));
        assert!(!is_foreign_resident("", ""));
    }

    #[test]
    fn cases_diagnosed_before_the_start_year_are_not_followed() {
        let case = |dx: &str| FollowUpCase {
            date_of_diagnosis: Some(date(dx)),
            ..followed()
        };
        assert_eq!(
            eligibility(&case("20041231")),
            not_followed(NotFollowedReason::DiagnosedBeforeStartYear {
                year: 2004,
                start_year: 2005
            })
        );
        assert_eq!(eligibility(&case("2005")), Eligibility::Followed);
        let rules = FollowUpRules {
            follow_up_start_year: 2010,
            ..FollowUpRules::default()
        };
        assert_eq!(
            follow_up_eligibility(&case("200912"), &rules, today()),
            not_followed(NotFollowedReason::DiagnosedBeforeStartYear {
                year: 2009,
                start_year: 2010
            })
        );
        // Unknown diagnosis date: keep following.
        let unknown = FollowUpCase {
            date_of_diagnosis: None,
            ..followed()
        };
        assert_eq!(eligibility(&unknown), Eligibility::Followed);
    }

    #[test]
    fn patients_aged_100_without_contact_for_12_months_are_not_followed() {
        let case = |birth: &str, dlc: Option<&str>| FollowUpCase {
            date_of_birth: Some(date(birth)),
            date_of_last_contact: dlc.map(date),
            ..followed()
        };
        // Born 1925-12-01: 100 on 2026-03-15. Contact 2025-03-14 + 12 months = 2026-03-14 <= today.
        assert_eq!(
            eligibility(&case("19251201", Some("20250314"))),
            not_followed(NotFollowedReason::OldWithoutContact { age: 100 })
        );
        assert_eq!(
            eligibility(&case("19251201", None)),
            not_followed(NotFollowedReason::OldWithoutContact { age: 100 })
        );
        // Contact 2025-03-16: 12 months not over until 2026-03-16.
        assert_eq!(
            eligibility(&case("19251201", Some("20250316"))),
            Eligibility::Followed
        );
        // 100th birthday tomorrow.
        assert_eq!(
            eligibility(&case("19260316", Some("20200101"))),
            Eligibility::Followed
        );
        // Year-only birth 1925: youngest possible age is 100 (born Dec 31) -> excluded.
        assert_eq!(
            eligibility(&case("1925", Some("20240101"))),
            not_followed(NotFollowedReason::OldWithoutContact { age: 100 })
        );
        // Year-only birth 1926 could be 99: keep following.
        assert_eq!(
            eligibility(&case("1926", Some("20240101"))),
            Eligibility::Followed
        );
        // Contact "202503" could be 2025-03-31: keep following until 2026-03-31.
        assert_eq!(
            eligibility(&case("19251201", Some("202503"))),
            Eligibility::Followed
        );
    }

    #[test]
    fn reasons_read_as_registrar_messages() {
        assert_eq!(
            NotFollowedReason::NonAnalytic(32).to_string(),
            "class of case 32 is non-analytic: not followed"
        );
        assert_eq!(
            NotFollowedReason::DiagnosedBeforeStartYear {
                year: 2004,
                start_year: 2005
            }
            .to_string(),
            "diagnosed in 2004, before the follow-up start year 2005: not followed"
        );
    }

    fn status_on(dlc: &str, on: NaiveDate) -> FollowUpStatus {
        let case = FollowUpCase {
            date_of_last_contact: Some(date(dlc)),
            ..followed()
        };
        follow_up_status(&case, &FollowUpRules::default(), on)
    }

    #[test]
    fn due_at_12_months_delinquent_at_15() {
        // Last contact 2025-01-15: due 2026-01-15, delinquent 2026-04-15.
        assert_eq!(
            status_on("20250115", day(2026, 1, 14)),
            FollowUpStatus::Current
        );
        assert_eq!(
            status_on("20250115", day(2026, 1, 15)),
            FollowUpStatus::Due {
                since: day(2026, 1, 15)
            }
        );
        assert_eq!(
            status_on("20250115", day(2026, 4, 14)),
            FollowUpStatus::Due {
                since: day(2026, 1, 15)
            }
        );
        assert_eq!(
            status_on("20250115", day(2026, 4, 15)),
            FollowUpStatus::Delinquent {
                since: day(2026, 4, 15)
            }
        );
    }

    #[test]
    fn month_ends_clamp_to_the_last_day() {
        let case = FollowUpCase {
            date_of_last_contact: Some(date("20240131")),
            ..followed()
        };
        let rules = FollowUpRules::default();
        assert_eq!(due_date(&case, &rules), Some(day(2025, 1, 31)));
        // Jan 31 + 13 months = Feb 28 (2025 is not a leap year); + 15 months = Apr 30.
        assert_eq!(letter_start_date(&case, &rules), Some(day(2025, 2, 28)));
        assert_eq!(
            status_on("20240131", day(2025, 4, 29)),
            FollowUpStatus::Due {
                since: day(2025, 1, 31)
            }
        );
        assert_eq!(
            status_on("20240131", day(2025, 4, 30)),
            FollowUpStatus::Delinquent {
                since: day(2025, 4, 30)
            }
        );
        let leap = FollowUpCase {
            date_of_last_contact: Some(date("20240229")),
            ..followed()
        };
        assert_eq!(due_date(&leap, &rules), Some(day(2025, 2, 28)));
    }

    #[test]
    fn partial_dates_of_last_contact_count_from_their_earliest_day() {
        // "2025" -> 2025-01-01: due 2026-01-01.
        assert_eq!(
            status_on("2025", today()),
            FollowUpStatus::Due {
                since: day(2026, 1, 1)
            }
        );
        // "202504" -> 2025-04-01: due 2026-04-01, still current.
        assert_eq!(status_on("202504", today()), FollowUpStatus::Current);
        // "202412" -> 2024-12-01: delinquent since 2026-03-01.
        assert_eq!(
            status_on("202412", today()),
            FollowUpStatus::Delinquent {
                since: day(2026, 3, 1)
            }
        );
    }

    #[test]
    fn status_without_contact_date_dead_and_not_followed() {
        let rules = FollowUpRules::default();
        let no_dlc = FollowUpCase {
            date_of_last_contact: None,
            date_of_diagnosis: Some(date("20250301")),
            ..followed()
        };
        assert_eq!(
            follow_up_status(&no_dlc, &rules, today()),
            FollowUpStatus::Due {
                since: day(2026, 3, 1)
            }
        );
        let no_dates = FollowUpCase {
            date_of_diagnosis: None,
            ..no_dlc
        };
        assert_eq!(
            follow_up_status(&no_dates, &rules, today()),
            FollowUpStatus::Delinquent { since: today() }
        );
        let dead = FollowUpCase {
            vital_status: Some(VitalStatus::Dead),
            class_of_case: Some(32),
            ..followed()
        };
        assert_eq!(
            follow_up_status(&dead, &rules, today()),
            FollowUpStatus::Dead
        );
        let nonanalytic = FollowUpCase {
            class_of_case: Some(32),
            ..followed()
        };
        assert_eq!(
            follow_up_status(&nonanalytic, &rules, today()),
            FollowUpStatus::NotFollowed(NotFollowedReason::NonAnalytic(32))
        );
    }

    #[test]
    fn lost_after_lost_months() {
        let rules = FollowUpRules::default();
        let case = |dlc: &str| FollowUpCase {
            date_of_last_contact: Some(date(dlc)),
            ..followed()
        };
        // 2023-12-01 + 24 months = 2025-12-01 <= today.
        assert!(is_lost_to_follow_up(&case("20231201"), &rules, today()));
        // 2024-06-01: delinquent since 2025-09-01 but lost only from 2026-06-01.
        assert!(!is_lost_to_follow_up(&case("20240601"), &rules, today()));
        assert!(!is_lost_to_follow_up(&case("20250901"), &rules, today()));
    }

    #[test]
    fn letters_start_at_13_months_and_repeat_until_the_maximum() {
        let rules = FollowUpRules::default();
        let case = |dlc: &str| FollowUpCase {
            date_of_last_contact: Some(date(dlc)),
            ..followed()
        };
        let due = case("20250115"); // letters from 2026-02-15
        assert_eq!(
            next_request(&due, &rules, today(), 0, None),
            RequestDecision::Send { number: 1 }
        );
        assert_eq!(
            next_request(&due, &rules, today(), 1, Some(day(2026, 2, 20))),
            RequestDecision::Wait {
                until: day(2026, 3, 22)
            }
        );
        assert_eq!(
            next_request(&due, &rules, today(), 1, Some(day(2026, 2, 13))),
            RequestDecision::Send { number: 2 }
        );
        assert_eq!(
            next_request(&due, &rules, today(), 3, Some(day(2026, 1, 1))),
            RequestDecision::Exhausted
        );
        // Due since 2026-03-01 but letters only from 2026-04-01.
        assert_eq!(
            next_request(&case("20250301"), &rules, today(), 0, None),
            RequestDecision::Wait {
                until: day(2026, 4, 1)
            }
        );
        assert_eq!(
            next_request(&followed(), &rules, today(), 0, None),
            RequestDecision::NotNeeded
        );
    }

    // ---- responses ----

    fn patient() -> PatientFollowUp {
        PatientFollowUp {
            date_of_last_contact: Some(date("20250115")),
            vital_status: Some(VitalStatus::Alive),
            tumors: vec![
                TumorFollowUp {
                    cancer_status: Some(CancerStatus::NoEvidence),
                    date_of_last_cancer_status: Some(date("20250115")),
                    follow_up_source: Some(FollowUpSource::Physician),
                    next_follow_up_source: Some(NextFollowUpSource::PhysicianLetter),
                },
                TumorFollowUp {
                    cancer_status: Some(CancerStatus::Evidence),
                    date_of_last_cancer_status: Some(date("20240601")),
                    follow_up_source: Some(FollowUpSource::Physician),
                    next_follow_up_source: Some(NextFollowUpSource::PhysicianLetter),
                },
            ],
        }
    }

    fn response() -> FollowUpResponse {
        FollowUpResponse {
            date_of_contact: Some(date("20260301")),
            received_on: day(2026, 3, 10),
            vital_status: VitalStatus::Alive,
            date_of_death: None,
            cancer_status: vec![
                TumorCancerStatus {
                    tumor: 0,
                    status: CancerStatus::NoEvidence,
                },
                TumorCancerStatus {
                    tumor: 1,
                    status: CancerStatus::NoEvidence,
                },
            ],
            source: FollowUpSource::Physician,
            next_follow_up_source: None,
        }
    }

    fn change(id: &'static str, tumor: Option<usize>, old: &str, new: &str) -> FieldChange {
        FieldChange {
            naaccr_id: id,
            tumor,
            old: old.into(),
            new: new.into(),
        }
    }

    #[test]
    fn a_physician_answer_moves_last_contact_for_the_patient_and_cancer_status_per_tumor() {
        let changes = apply_response(&patient(), &response()).unwrap();
        assert_eq!(
            changes,
            vec![
                change("dateOfLastContact", None, "20250115", "20260301"),
                change("dateOfLastCancerStatus", Some(0), "20250115", "20260301"),
                change("cancerStatus", Some(1), "2", "1"),
                change("dateOfLastCancerStatus", Some(1), "20240601", "20260301"),
            ]
        );
    }

    #[test]
    fn source_and_next_source_change_on_every_tumor() {
        let answer = FollowUpResponse {
            source: FollowUpSource::Patient,
            next_follow_up_source: Some(NextFollowUpSource::ContactLetter),
            cancer_status: vec![],
            ..response()
        };
        let changes = apply_response(&patient(), &answer).unwrap();
        assert_eq!(
            changes,
            vec![
                change("dateOfLastContact", None, "20250115", "20260301"),
                change("followUpSource", Some(0), "2", "3"),
                change("nextFollowUpSource", Some(0), "1", "2"),
                change("followUpSource", Some(1), "2", "3"),
                change("nextFollowUpSource", Some(1), "1", "2"),
            ]
        );
    }

    #[test]
    fn last_contact_never_moves_backwards() {
        let older = FollowUpResponse {
            date_of_contact: Some(date("20241201")),
            ..response()
        };
        let changes = apply_response(&patient(), &older).unwrap();
        // Only tumor 1's status (dated 2024-06-01) is older than the answer.
        assert_eq!(
            changes,
            vec![
                change("cancerStatus", Some(1), "2", "1"),
                change("dateOfLastCancerStatus", Some(1), "20240601", "20241201"),
            ]
        );
        // A more precise date with the same first day moves; a vaguer one does not.
        let month = PatientFollowUp {
            date_of_last_contact: Some(date("202503")),
            tumors: vec![],
            ..patient()
        };
        let precise = FollowUpResponse {
            date_of_contact: Some(date("20250301")),
            cancer_status: vec![],
            ..response()
        };
        assert_eq!(
            apply_response(&month, &precise).unwrap(),
            vec![change("dateOfLastContact", None, "202503", "20250301")]
        );
        let exact = PatientFollowUp {
            date_of_last_contact: Some(date("20250315")),
            ..month
        };
        let vague = FollowUpResponse {
            date_of_contact: Some(date("202503")),
            ..precise
        };
        assert_eq!(apply_response(&exact, &vague).unwrap(), vec![]);
    }

    #[test]
    fn blank_contact_date_uses_the_postmark() {
        let answer = FollowUpResponse {
            date_of_contact: None,
            cancer_status: vec![],
            ..response()
        };
        let changes = apply_response(&patient(), &answer).unwrap();
        assert_eq!(
            changes,
            vec![change("dateOfLastContact", None, "20250115", "20260310")]
        );
    }

    #[test]
    fn a_death_needs_its_date_which_becomes_the_last_contact() {
        let no_date = FollowUpResponse {
            vital_status: VitalStatus::Dead,
            ..response()
        };
        assert_eq!(
            apply_response(&patient(), &no_date),
            Err(ResponseError::DeathWithoutDate)
        );
        let died = FollowUpResponse {
            vital_status: VitalStatus::Dead,
            date_of_death: Some(date("20260220")),
            cancer_status: vec![TumorCancerStatus {
                tumor: 0,
                status: CancerStatus::Evidence,
            }],
            source: FollowUpSource::DeathCertificate,
            ..response()
        };
        assert_eq!(
            apply_response(&patient(), &died).unwrap(),
            vec![
                change("dateOfLastContact", None, "20250115", "20260220"),
                change("vitalStatus", None, "1", "0"),
                change("followUpSource", Some(0), "2", "7"),
                change("cancerStatus", Some(0), "1", "2"),
                change("dateOfLastCancerStatus", Some(0), "20250115", "20260220"),
                change("followUpSource", Some(1), "2", "7"),
            ]
        );
        let too_early = FollowUpResponse {
            date_of_death: Some(date("20241231")),
            ..died
        };
        assert_eq!(
            apply_response(&patient(), &too_early),
            Err(ResponseError::DeathBeforeLastContact {
                death: "2024-12-31".into(),
                last_contact: "2025-01-15".into()
            })
        );
    }

    #[test]
    fn conflicting_answers_are_refused() {
        let recorded_dead = PatientFollowUp {
            vital_status: Some(VitalStatus::Dead),
            ..patient()
        };
        assert_eq!(
            apply_response(&recorded_dead, &response()),
            Err(ResponseError::AliveButRecordedDead)
        );
        let future = FollowUpResponse {
            date_of_contact: Some(date("20260311")),
            ..response()
        };
        assert_eq!(
            apply_response(&patient(), &future),
            Err(ResponseError::DateAfterReceipt {
                date: "2026-03-11".into(),
                received: day(2026, 3, 10)
            })
        );
        let unknown_tumor = FollowUpResponse {
            cancer_status: vec![TumorCancerStatus {
                tumor: 5,
                status: CancerStatus::Unknown,
            }],
            ..response()
        };
        assert_eq!(
            apply_response(&patient(), &unknown_tumor),
            Err(ResponseError::UnknownTumor { index: 5, count: 2 })
        );
        assert_eq!(
            ResponseError::UnknownTumor { index: 5, count: 2 }.to_string(),
            "the response names tumor 5 but the patient has 2 tumor(s)"
        );
    }

    // ---- worksheet ----

    #[allow(clippy::too_many_arguments)]
    fn ws(
        class: Option<u8>,
        dx: Option<&str>,
        site: &str,
        histology: u16,
        behavior: u8,
        stage: Option<u8>,
        vital: VitalStatus,
        dlc: Option<&str>,
    ) -> WorksheetCase {
        WorksheetCase {
            class_of_case: class,
            date_of_diagnosis: dx.map(date),
            date_of_birth: Some(date("19500101")),
            date_of_last_contact: dlc.map(date),
            vital_status: Some(vital),
            foreign_resident: false,
            primary_site: site.into(),
            histology: Some(histology),
            behavior: Some(behavior),
            summary_stage: stage,
        }
    }

    /// 24 cases, today 2026-03-15, reference date 2015-01-01, last five years from 2021-01-01.
    /// "cur" = today < DLC + 15 months.
    fn worksheet_cases() -> Vec<WorksheetCase> {
        use VitalStatus::{Alive, Dead};
        vec![
            // 1 breast 2016, alive, DLC 2025-10-01 (+15 = 2027-01-01): A, D
            ws(
                Some(14),
                Some("20160310"),
                "C504",
                8500,
                3,
                Some(1),
                Alive,
                Some("20251001"),
            ),
            // 2 lung 2017 dead: A, B
            ws(
                Some(13),
                Some("20170505"),
                "C341",
                8140,
                3,
                Some(7),
                Dead,
                Some("20180101"),
            ),
            // 3 prostate 2018, DLC 2024-01-01 (+15 = 2025-04-01 <= today): A, E
            ws(
                Some(22),
                Some("20180720"),
                "C619",
                8140,
                3,
                Some(1),
                Alive,
                Some("20240101"),
            ),
            // 4 colon 2022, DLC 2026-02-01: A, D; last5 A, D
            ws(
                Some(14),
                Some("20220115"),
                "C187",
                8140,
                3,
                Some(3),
                Alive,
                Some("20260201"),
            ),
            // 5 DCIS 2023, DLC 2024-12-14 (+15 = 2026-03-14 <= today): A, E; last5 A, E
            ws(
                Some(10),
                Some("20230301"),
                "C509",
                8500,
                2,
                Some(0),
                Alive,
                Some("20241214"),
            ),
            // 6 DCIS 2023, DLC 2024-12-16 (+15 = 2026-03-16 > today): A, D; last5 A, D
            ws(
                Some(10),
                Some("20230301"),
                "C509",
                8500,
                2,
                Some(0),
                Alive,
                Some("20241216"),
            ),
            // 7 benign meningioma 2020: line 1
            ws(
                Some(14),
                Some("20200101"),
                "C700",
                9530,
                0,
                Some(8),
                Alive,
                Some("20260101"),
            ),
            // 8 CIS cervix 2021: line 2 (both windows)
            ws(
                Some(14),
                Some("20210601"),
                "C539",
                8077,
                2,
                Some(0),
                Alive,
                Some("20260101"),
            ),
            // 9 localized BCC skin 2019: line 3
            ws(
                Some(14),
                Some("20190101"),
                "C443",
                8090,
                3,
                Some(1),
                Alive,
                Some("20260101"),
            ),
            // 10 SCC in situ skin 2022, stage blank: line 3 (both windows)
            ws(
                Some(14),
                Some("20220101"),
                "C445",
                8070,
                2,
                None,
                Alive,
                Some("20260101"),
            ),
            // 11 SCC skin 2022, stage unknown: kept; DLC 2025-12-01: A, D; last5 A, D
            ws(
                Some(14),
                Some("20220601"),
                "C446",
                8070,
                3,
                Some(9),
                Alive,
                Some("20251201"),
            ),
            // 12 foreign resident 2024: line 4 (both windows)
            WorksheetCase {
                foreign_resident: true,
                ..ws(
                    Some(14),
                    Some("20240101"),
                    "C504",
                    8500,
                    3,
                    Some(1),
                    Alive,
                    Some("20260101"),
                )
            },
            // 13 class 32, 2019: line 5
            ws(
                Some(32),
                Some("20190101"),
                "C182",
                8140,
                3,
                Some(2),
                Alive,
                Some("20260101"),
            ),
            // 14 class blank, 2019: line 5
            ws(
                None,
                Some("20190101"),
                "C182",
                8140,
                3,
                Some(2),
                Alive,
                Some("20260101"),
            ),
            // 15 class 00 diagnosed 2020: line 5b
            ws(
                Some(0),
                Some("20200101"),
                "C250",
                8500,
                3,
                Some(7),
                Dead,
                Some("20200601"),
            ),
            // 16 class 00 diagnosed 2005: before the reference date, not counted
            ws(
                Some(0),
                Some("20050601"),
                "C250",
                8500,
                3,
                Some(7),
                Alive,
                Some("20260101"),
            ),
            // 17 bladder 2014: before the reference date, not counted
            ws(
                Some(21),
                Some("20140601"),
                "C679",
                8130,
                3,
                Some(1),
                Alive,
                Some("20260101"),
            ),
            // 18 thyroid "2015", DLC "2025" (earliest 2025-01-01 + 15 = 2026-04-01 > today): A, D
            ws(
                Some(14),
                Some("2015"),
                "C739",
                8260,
                3,
                Some(1),
                Alive,
                Some("2025"),
            ),
            // 19 kidney 2024, alive, born 1925-01-01 (101 today): B; last5 B
            WorksheetCase {
                date_of_birth: Some(date("19250101")),
                ..ws(
                    Some(20),
                    Some("20240901"),
                    "C649",
                    8312,
                    3,
                    Some(1),
                    Alive,
                    Some("20240901"),
                )
            },
            // 20 CLL 2025, DLC 2025-01-10 (+15 = 2026-04-10 > today): A, D; last5 A, D
            ws(
                Some(14),
                Some("20250110"),
                "C421",
                9823,
                3,
                Some(7),
                Alive,
                Some("20250110"),
            ),
            // 21 lung 2021 dead: A, B; last5 A, B
            ws(
                Some(12),
                Some("20210105"),
                "C341",
                8140,
                3,
                Some(7),
                Dead,
                Some("20220101"),
            ),
            // 22 ovary, no date of diagnosis: counted apart
            ws(
                Some(14),
                None,
                "C569",
                8441,
                3,
                Some(7),
                Alive,
                Some("20260101"),
            ),
            // 23 stomach 2020, alive, no DLC: A, E
            ws(
                Some(14),
                Some("20200615"),
                "C161",
                8140,
                3,
                Some(1),
                Alive,
                None,
            ),
            // 24 regional BCC skin 2021: kept; DLC 2026-01-01: A, D; last5 A, D
            ws(
                Some(14),
                Some("20210301"),
                "C447",
                8090,
                3,
                Some(2),
                Alive,
                Some("20260101"),
            ),
        ]
    }

    #[test]
    fn worksheet_matches_the_hand_count() {
        let sheet = coc_worksheet(worksheet_cases().into_iter(), day(2015, 1, 1), today());
        assert_eq!(sheet.last5_from, day(2021, 1, 1));
        assert_eq!(sheet.no_diagnosis_date, 1);
        // All since 2015-01-01: 21 cases in the window (16, 17 before it; 22 undated).
        // Less: benign #7; cervix #8; skin #9, #10; foreign #12; non-analytic #13, #14; class 00 #15.
        // A = 21 - 8 = 13: #1-6, 11, 18-21, 23, 24. B = #2, #19, #21 = 3. C = 10.
        // D = #1, 4, 6, 11, 18, 20, 24 = 7. E = #3, 5, 23 = 3. Rate = (3 + 7) / 13.
        let all = sheet.all;
        assert_eq!(
            (
                all.total,
                all.less_benign_borderline,
                all.less_cervix_in_situ,
                all.less_skin_bcc_scc
            ),
            (21, 1, 1, 2)
        );
        assert_eq!(
            (all.less_foreign, all.less_non_analytic, all.less_class_00),
            (1, 2, 1)
        );
        assert_eq!((all.a, all.b, all.c, all.d, all.e), (13, 3, 10, 7, 3));
        assert_eq!(all.rate, Some(10.0 / 13.0));
        // Last five years (diagnosed 2021+): #4, 5, 6, 8, 10, 11, 12, 19, 20, 21, 24 = 11.
        // Less cervix #8, skin #10, foreign #12. A = 8: #4, 5, 6, 11, 19, 20, 21, 24.
        // B = #19, #21 = 2; C = 6; D = #4, 6, 11, 20, 24 = 5; E = #5 = 1. Rate = 7 / 8.
        let last5 = sheet.last5;
        assert_eq!(
            (
                last5.total,
                last5.less_cervix_in_situ,
                last5.less_skin_bcc_scc,
                last5.less_foreign
            ),
            (11, 1, 1, 1)
        );
        assert_eq!(
            (last5.a, last5.b, last5.c, last5.d, last5.e),
            (8, 2, 6, 5, 1)
        );
        assert_eq!(last5.rate, Some(0.875));
        for counts in [all, last5] {
            assert_eq!(counts.b + counts.d + counts.e, counts.a);
        }
    }

    #[test]
    fn worksheet_keeps_class_00_diagnosed_before_2006_and_handles_no_cases() {
        use VitalStatus::Alive;
        let cases = vec![
            ws(
                Some(0),
                Some("20050601"),
                "C250",
                8500,
                3,
                Some(1),
                Alive,
                Some("20260101"),
            ),
            ws(
                Some(0),
                Some("20060101"),
                "C250",
                8500,
                3,
                Some(1),
                Alive,
                Some("20260101"),
            ),
        ];
        let sheet = coc_worksheet(cases.into_iter(), day(2000, 1, 1), today());
        assert_eq!(
            (sheet.all.a, sheet.all.d, sheet.all.less_class_00),
            (1, 1, 1)
        );
        // A reference date later than five years ago shortens the five-year window.
        let empty = coc_worksheet(std::iter::empty(), day(2023, 1, 1), today());
        assert_eq!(empty.last5_from, day(2023, 1, 1));
        assert_eq!(empty.all.rate, None);
    }

    #[test]
    fn worksheet_streams_a_million_cases() {
        use VitalStatus::Alive;
        let case = ws(
            Some(14),
            Some("20220115"),
            "C187",
            8140,
            3,
            Some(3),
            Alive,
            Some("20260201"),
        );
        let sheet = coc_worksheet(
            std::iter::repeat_n(case, 1_000_000),
            day(2015, 1, 1),
            today(),
        );
        assert_eq!(
            (sheet.all.a, sheet.all.d, sheet.last5.a),
            (1_000_000, 1_000_000, 1_000_000)
        );
        assert_eq!(sheet.all.rate, Some(1.0));
    }

    #[test]
    fn cases_build_from_naaccr_items() {
        let patient = |id: &str| match id {
            "dateOfBirth" => Some("19600101"),
            "dateOfLastContact" => Some("202503"),
            "vitalStatus" => Some("1"),
            _ => None,
        };
        let tumor = |id: &str| match id {
            "classOfCase" => Some("00"),
            "dateOfDiagnosis" => Some("20050601"),
            "addrAtDxState" => Some("XX"),
            "nextFollowUpSource" => Some("8"),
            "behaviorCodeIcdO3" => Some("3"),
            "primarySite" => Some("c504"),
            "histologicTypeIcdO3" => Some("8500"),
            "summaryStage2018" => Some(" "),
            "derivedSummaryStage2018" => Some("3"),
            _ => None,
        };
        let case = FollowUpCase::from_items(patient, tumor);
        assert_eq!(case.class_of_case, Some(0));
        assert_eq!(case.date_of_last_contact, Some(date("202503")));
        assert!(case.foreign_resident);
        assert_eq!(
            case.next_follow_up_source,
            Some(NextFollowUpSource::ForeignResident)
        );
        assert_eq!(
            (case.primary_site.as_str(), case.histology, case.behavior),
            ("C504", Some(8500), Some(3))
        );
        let sheet_case = WorksheetCase::from_items(patient, tumor);
        assert_eq!(sheet_case.summary_stage, Some(3));
        // Garbage values count as blank, never a panic.
        let broken = FollowUpCase::from_items(|_| Some("zz"), |_| Some("?"));
        assert_eq!(
            (
                broken.class_of_case,
                broken.vital_status,
                broken.date_of_birth
            ),
            (None, None, None)
        );
    }

    // ---- tokens ----

    #[test]
    fn tokens_are_random_url_safe_and_stored_hashed() {
        let (token, hash) = new_response_token();
        assert_eq!(token.len(), 43); // 32 bytes, base64 without padding
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(hash.len(), 64);
        assert_eq!(hash_token(&token), hash);
        let (other, _) = new_response_token();
        assert_ne!(token, other);
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    // ---- letters ----

    fn values() -> LetterValues {
        LetterValues {
            contact_name: "Dr. Ana Núñez".into(),
            facility_name: "Riverside General Hospital".into(),
            patient_name: "José O'Brien <Jr>".into(),
            patient_birth_date: "1950-04-02".into(),
            response_link: "https://registrar.example/r/abc".into(),
            due_date: "2026-01-15".into(),
            registrar_name: "Kim Lee, CTR".into(),
            registrar_phone: "217-555-0100".into(),
        }
    }

    #[test]
    fn templates_fill_placeholders_and_refuse_unknown_ones() {
        assert_eq!(
            render_letter("Dear {{contact_name}}, see {{ response_link }}.", &values()).unwrap(),
            "Dear Dr. Ana Núñez, see https://registrar.example/r/abc."
        );
        assert_eq!(
            render_letter("Hello\n{{contact_name}} {{diagnosis}}", &values()),
            Err(TemplateError::UnknownPlaceholder {
                name: "diagnosis".into(),
                line: 2
            })
        );
        assert_eq!(
            render_letter("Hello {{contact_name", &values()),
            Err(TemplateError::Unclosed { line: 1 })
        );
        assert_eq!(
            TemplateError::Unclosed { line: 1 }.to_string(),
            "line 1: '{{' is not closed with '}}'"
        );
        assert!(
            TemplateError::UnknownPlaceholder {
                name: "x".into(),
                line: 3
            }
            .to_string()
            .starts_with("line 3: unknown placeholder {{x}}; use one of: contact_name,")
        );
        assert_eq!(
            render_letter_html("<p>{{patient_name}}</p>", &values()).unwrap(),
            "<p>José O&#39;Brien &lt;Jr&gt;</p>"
        );
    }

    #[test]
    fn default_templates_render_and_name_no_diagnosis() {
        let all = [
            PHYSICIAN_LETTER_SUBJECT,
            PHYSICIAN_LETTER_TEXT,
            PHYSICIAN_LETTER_HTML,
            PATIENT_LETTER_SUBJECT,
            PATIENT_LETTER_TEXT,
            PATIENT_LETTER_HTML,
        ];
        for template in all {
            assert_eq!(check_minimum_necessary(template), Ok(()), "{template}");
            let text = render_letter_html(template, &values()).unwrap();
            assert!(!text.contains("{{"), "{text}");
            assert_eq!(check_minimum_necessary(&text), Ok(()));
        }
        let letter = render_letter(PHYSICIAN_LETTER_TEXT, &values()).unwrap();
        assert!(letter.contains("Patient:        José O'Brien <Jr>"));
        assert!(letter.contains("https://registrar.example/r/abc"));
        assert!(letter.contains("since 2026-01-15"));
    }

    #[test]
    fn diagnosis_words_are_refused_with_their_line() {
        let found = check_minimum_necessary(
            "Your tumor registry\nStage II adenocarcinoma, non-Hodgkin\nok",
        )
        .unwrap_err();
        assert_eq!(
            found,
            vec![
                "line 1: 'tumor' discloses a diagnosis; remove it",
                "line 2: 'Stage' discloses a diagnosis; remove it",
                "line 2: 'adenocarcinoma' discloses a diagnosis; remove it",
                "line 2: 'Hodgkin' discloses a diagnosis; remove it",
            ]
        );
        for word in [
            "CANCER",
            "Malignancy",
            "metastatic",
            "Oncology",
            "leukaemia",
            "melanomas",
            "sarcoma",
            "lymphoma",
            "tumour",
            "staging",
            "neoplasm",
            "chemotherapy",
        ] {
            assert!(check_minimum_necessary(word).is_err(), "{word}");
        }
        // Look-alikes that must pass.
        for word in [
            "Tacoma",
            "diploma",
            "stagecoach",
            "customer",
            "Oklahoma",
            "status",
            "stable",
        ] {
            assert_eq!(check_minimum_necessary(word), Ok(()), "{word}");
        }
        // A value can leak a diagnosis too: check the rendered letter.
        let leaky = LetterValues {
            facility_name: "Hope Cancer Center".into(),
            ..values()
        };
        let text = render_letter(PATIENT_LETTER_TEXT, &leaky).unwrap();
        assert!(check_minimum_necessary(&text).is_err());
    }
}
