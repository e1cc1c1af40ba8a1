//! Pathology intake: raw bytes stored first, then split, parsed, screened, coded and matched, one
//! report row per message; and the registrar's decisions on those reports.
//!
//! Guarantees:
//! - The received bytes are committed (with their hash) before anything is parsed, so even
//!   input that crashes nothing but parses to nothing is kept.
//! - Messages are written in transactions of [`BATCH`] messages; when a batch fails, its messages
//!   are retried one by one, so one bad message never loses its neighbours, and each message is
//!   either fully recorded or recorded as an error.
//! - Test/debug messages (MSH-11 T/D) go to the test queue and touch no patient data.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::{self, Action, Actor, AuditEvent, FieldChange};
use crate::db::{DbConn, write_tx};
use crate::domain::autocode::{Autocoder, CodingSuggestions};
use crate::domain::fields::{FieldSpec, PATIENT_FIELDS, TUMOR_FIELDS};
use crate::domain::hl7::{ParseError, PathologyReport, ProcessingId, RawMessage, split_messages};
use crate::domain::names::search_key;
use crate::domain::screening::{
    ReportText, ReportabilityDecision, ReportabilityRules, ReportabilityStatus, Screener,
    ScreeningResult, decide,
};
use crate::error::AppError;
use crate::models::pathology::{self as model, NewRawMessage, Report};
use crate::models::patient::{self, Patient, Scope};
use crate::models::tumor::{self, Tumor};
use crate::services::patients::{FieldErrors, ItemValues, validate_form};

/// Messages written per transaction.
pub const BATCH: usize = 250;

/// How a message reached Registrar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Source {
    Upload,
    Api,
    Mllp,
    Paste,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Upload => "upload",
            Source::Api => "api",
            Source::Mllp => "mllp",
            Source::Paste => "paste",
        }
    }
}

/// Who sent the bytes: a signed-in user, a lab's API token, or a system process.
#[derive(Debug, Clone)]
pub struct Sender {
    pub actor: Actor,
    pub lab_token_id: Option<i64>,
    pub file_name: Option<String>,
    /// Registry facility the reports belong to (the uploader's or the lab token's; None: the
    /// central registry only).
    pub facility_id: Option<i64>,
}

impl Sender {
    pub fn user(actor: Actor, file_name: Option<String>) -> Sender {
        Sender {
            actor,
            lab_token_id: None,
            file_name,
            facility_id: None,
        }
    }
}

/// The compiled screening lists, term tables and reportability rules of one screening version.
pub struct Pipeline {
    pub screener: Screener,
    pub coder: &'static Autocoder,
    pub rules: ReportabilityRules,
    /// The stored screening version (1 = the project's defaults).
    pub version: i32,
}

/// The auto-coding term tables, compiled on first use (the same for every screening version).
pub fn shared_coder() -> Result<&'static Autocoder, AppError> {
    static CODER: OnceLock<Result<Autocoder, String>> = OnceLock::new();
    CODER
        .get_or_init(|| Autocoder::with_defaults().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("auto-coding tables: {e}")))
}

impl Pipeline {
    /// The project's default lists and rules (version 1), compiled on first use; ingest uses the
    /// database's active version ([`crate::services::screening_versions::active_pipeline`]).
    pub fn shared() -> Result<&'static Pipeline, AppError> {
        static PIPELINE: OnceLock<Result<Pipeline, String>> = OnceLock::new();
        PIPELINE
            .get_or_init(|| {
                let lists = crate::domain::screening::ScreeningLists::default();
                Ok(Pipeline {
                    screener: Screener::new(&lists).map_err(|e| e.to_string())?,
                    coder: shared_coder().map_err(|e| e.to_string())?,
                    rules: ReportabilityRules::default(),
                    version: i32::try_from(lists.version).unwrap_or(1),
                })
            })
            .as_ref()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("screening lists: {e}")))
    }

    /// Screens and codes a report's text.
    pub fn examine(&self, text: &ReportText) -> Examination {
        let screening = self.screener.screen(text);
        let coding = self.coder.suggest(text, &screening);
        let decision = decide(&screening, &coding.tumor_codes(), &self.rules);
        Examination {
            screening,
            coding,
            decision,
        }
    }
}

/// Screening, coding and the final reportability decision of one report.
#[derive(Debug, Clone)]
pub struct Examination {
    pub screening: ScreeningResult,
    pub coding: CodingSuggestions,
    pub decision: ReportabilityDecision,
}

impl Examination {
    pub fn best_grade(&self) -> Option<String> {
        self.coding.grade.first().and_then(|g| g.code.clone())
    }
}

/// What the registry keeps of a report for review, matching and comparing corrections
/// (the same for HL7 messages and pasted text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSummary {
    pub name_last: String,
    pub name_first: String,
    pub name_middle: String,
    pub aliases: Vec<String>,
    pub birth_date: String,
    pub sex: Option<String>,
    pub mrn: Option<String>,
    pub mrn_authority: Option<String>,
    pub ssn: Option<String>,
    pub ssn_issue: Option<String>,
    pub address: Option<String>,
    pub zip: Option<String>,
    pub phone: Option<String>,
    pub race: Vec<String>,
    pub lab: String,
    pub lab_name: String,
    pub accession: String,
    pub report_status: String,
    pub processing_id: String,
    pub message_control_id: String,
    pub collection_date: Option<String>,
    pub report_date: Option<String>,
    pub ordering_facility: String,
    pub ordering_facility_npi: Option<String>,
    pub ordering_provider: String,
    pub ordering_provider_npi: Option<String>,
    pub pathologist: String,
    pub icd10: Vec<String>,
    pub report_types: Vec<String>,
    /// The report text as screened (same order as `ReportText::sections`): (section label, text).
    pub sections: Vec<(String, String)>,
    /// Checklist answers (same order as `ReportText::synoptic`): template, question, answer.
    pub synoptic: Vec<(String, String, String)>,
    pub warnings: Vec<String>,
}

fn person(name: &crate::domain::hl7::Name) -> String {
    [&name.first, &name.middle, &name.last]
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

impl ReportSummary {
    pub fn from_hl7(report: &PathologyReport, text: &ReportText) -> ReportSummary {
        let p = &report.patient;
        let (lab, _, _) = report.duplicate_key();
        ReportSummary {
            name_last: p.name_last.clone(),
            name_first: p.name_first.clone(),
            name_middle: p.name_middle.clone(),
            aliases: p
                .aliases
                .iter()
                .map(|a| format!("{}, {}", a.last, a.first))
                .collect(),
            birth_date: p.birth_date.clone(),
            sex: p.sex_naaccr.clone(),
            mrn: p.mrn.as_ref().map(|m| m.id.clone()),
            mrn_authority: p.mrn.as_ref().map(|m| {
                if m.assigning_authority.is_empty() {
                    m.assigning_authority_id.clone()
                } else {
                    m.assigning_authority.clone()
                }
            }),
            ssn: p.ssn.clone(),
            ssn_issue: p.ssn_issue.clone(),
            address: p.address.as_ref().map(|a| {
                [&a.street, &a.supplemental, &a.city, &a.state, &a.zip]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
            zip: p
                .address
                .as_ref()
                .map(|a| a.zip.chars().take(5).collect::<String>())
                .filter(|z| !z.is_empty()),
            phone: p.phone.clone(),
            race: p.race.clone(),
            lab: lab.to_string(),
            lab_name: report.sending_facility.name.clone(),
            accession: report.accession.clone(),
            report_status: report.report_status.clone(),
            processing_id: report.processing_id.code().to_string(),
            message_control_id: report.message_control_id.clone(),
            collection_date: report.specimen_collection_date.clone(),
            report_date: report.report_date.clone(),
            ordering_facility: report
                .ordering_facility
                .as_ref()
                .map(|f| f.name.clone())
                .unwrap_or_default(),
            ordering_facility_npi: report.ordering_facility.as_ref().and_then(|f| f.id.clone()),
            ordering_provider: report
                .ordering_provider
                .as_ref()
                .map(|p| person(&p.name))
                .unwrap_or_default(),
            ordering_provider_npi: report
                .ordering_provider
                .as_ref()
                .and_then(|p| p.npi.clone()),
            pathologist: report
                .pathologist
                .as_ref()
                .map(|p| person(&p.name))
                .unwrap_or_default(),
            icd10: report.icd10_codes.clone(),
            report_types: report.report_types.clone(),
            sections: sections_of(text),
            synoptic: text
                .synoptic
                .iter()
                .map(|s| (s.template.clone(), s.question.clone(), s.answer.clone()))
                .collect(),
            warnings: report.warnings.clone(),
        }
    }

    pub fn display_name(&self) -> String {
        match (self.name_last.is_empty(), self.name_first.is_empty()) {
            (false, false) => format!("{}, {}", self.name_last, self.name_first),
            (false, true) => self.name_last.clone(),
            (true, false) => self.name_first.clone(),
            (true, true) => String::new(),
        }
    }

    /// The report text back as the screener's input.
    pub fn report_text(&self) -> ReportText {
        ReportText {
            sections: self
                .sections
                .iter()
                .map(|(label, text)| (section_kind_of(label), text.clone()))
                .collect(),
            synoptic: self
                .synoptic
                .iter()
                .map(|(t, q, a)| crate::domain::screening::SynopticItem {
                    template: t.clone(),
                    question: q.clone(),
                    answer: a.clone(),
                })
                .collect(),
            icd10_codes: self.icd10.clone(),
        }
    }
}

fn sections_of(text: &ReportText) -> Vec<(String, String)> {
    text.sections
        .iter()
        .map(|(k, t)| (k.label().to_string(), t.clone()))
        .collect()
}

fn section_kind_of(label: &str) -> crate::domain::screening::SectionKind {
    use crate::domain::screening::SectionKind as K;
    [
        K::History,
        K::Specimen,
        K::Gross,
        K::Microscopic,
        K::FinalDiagnosis,
        K::Comment,
        K::Synoptic,
        K::Other,
    ]
    .into_iter()
    .find(|k| k.label() == label)
    .unwrap_or(K::Other)
}

/// A patient the report may belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientCandidate {
    pub patient_id: i64,
    pub name: String,
    pub birth_date: String,
    pub score: i32,
    pub reasons: Vec<String>,
    /// SSN and date of birth agree exactly: linked without asking.
    pub auto_link: bool,
    pub tumors: Vec<TumorCandidate>,
}

/// A tumor of a candidate patient, and whether the report looks like the same tumor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TumorCandidate {
    pub tumor_id: i64,
    pub primary_site: String,
    pub histology: String,
    pub diagnosed: String,
    pub same_tumor: bool,
    pub reason: String,
}

/// Score above which a candidate goes to the "possible match" queue.
pub const POSSIBLE_MATCH_SCORE: i32 = 12;
/// Score below which a patient is not even listed.
const LIST_SCORE: i32 = 5;

fn full_date(d: &str) -> bool {
    d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit())
}

/// Finds and scores the patients a report may belong to (Fellegi–Sunter style agreement weights).
pub fn match_patients(
    conn: &mut DbConn,
    summary: &ReportSummary,
    coding: &CodingSuggestions,
) -> Result<Vec<PatientCandidate>, diesel::result::Error> {
    use crate::db::schema::patients;
    use diesel::prelude::*;
    let mut found: Vec<MatchRow> = Vec::new();
    let mut seen = HashSet::new();
    let mut add = |rows: Vec<MatchRow>, found: &mut Vec<MatchRow>| {
        for p in rows {
            if seen.insert(p.id) {
                found.push(p);
            }
        }
    };
    if let Some(ssn) = &summary.ssn {
        let rows = patients::table
            .filter(patients::social_security_number.eq(ssn))
            .select(MatchRow::as_select())
            .limit(20)
            .load(conn)?;
        add(rows, &mut found);
    }
    if full_date(&summary.birth_date) {
        let rows = patients::table
            .filter(patients::date_of_birth.eq(&summary.birth_date))
            .select(MatchRow::as_select())
            .limit(200)
            .load(conn)?;
        add(rows, &mut found);
    }
    if let Some(mrn) = summary.mrn.as_deref().filter(|m| !m.is_empty()) {
        let rows = patients::table
            .filter(patients::medical_record_number.eq(mrn))
            .select(MatchRow::as_select())
            .limit(20)
            .load(conn)?;
        add(rows, &mut found);
    }
    let last_key = search_key(&summary.name_last);
    let first_key = search_key(&summary.name_first);
    let year = summary
        .birth_date
        .get(..4)
        .filter(|y| y.bytes().all(|b| b.is_ascii_digit()));
    if !last_key.is_empty() && !first_key.is_empty() && year.is_some() {
        // Same last and first name, born the same year or birth date unknown: the others score
        // "different date of birth" and are never listed (same SSN, MRN or birth date were found
        // above). The index on (last, first, birth date) answers both without reading rows.
        let year = year.unwrap_or_default();
        let rows = patients::table
            .filter(patients::name_last_key.eq(&last_key))
            .filter(patients::name_first_key.eq(&first_key))
            .filter(patients::date_of_birth.ge(year))
            .filter(patients::date_of_birth.lt(format!("{year}~")))
            .select(MatchRow::as_select())
            .limit(50)
            .load(conn)?;
        add(rows, &mut found);
        let rows = patients::table
            .filter(patients::name_last_key.eq(&last_key))
            .filter(patients::name_first_key.eq(&first_key))
            .filter(
                patients::date_of_birth
                    .is_null()
                    .or(patients::date_of_birth.eq("")),
            )
            .select(MatchRow::as_select())
            .limit(50)
            .load(conn)?;
        add(rows, &mut found);
    } else if !last_key.is_empty() {
        // Same last and first name (the covering index answers it); people with another first
        // name but the same birth date are found by the date query above.
        let mut q = patients::table
            .filter(patients::name_last_key.eq(&last_key))
            .select(MatchRow::as_select())
            .limit(50)
            .into_boxed();
        if !first_key.is_empty() {
            q = q.filter(patients::name_first_key.eq(first_key));
        }
        let rows = q.load(conn)?;
        add(rows, &mut found);
    }
    let mut candidates: Vec<PatientCandidate> =
        found.iter().filter_map(|p| score(summary, p)).collect();
    candidates.sort_by(|a, b| b.score.cmp(&a.score).then(a.patient_id.cmp(&b.patient_id)));
    candidates.truncate(5);
    for c in candidates
        .iter_mut()
        .filter(|c| c.score >= POSSIBLE_MATCH_SCORE)
    {
        c.tumors = tumor_candidates(conn, c.patient_id, summary, coding)?;
    }
    Ok(candidates)
}

/// The columns matching compares (no JSON items: they are read only for listed patients).
#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::db::schema::patients)]
pub struct MatchRow {
    pub id: i64,
    pub name_last: String,
    pub name_first: Option<String>,
    pub name_last_key: String,
    pub name_first_key: String,
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
    pub social_security_number: Option<String>,
    pub medical_record_number: Option<String>,
}

/// Scores a stored patient against the identity of a report (also used by the NAACCR import);
/// `None` below the listing score.
pub fn score(summary: &ReportSummary, p: &MatchRow) -> Option<PatientCandidate> {
    let mut score = 0;
    let mut reasons = Vec::new();
    let dob = p.date_of_birth.as_deref().unwrap_or("");
    let ssn_same = summary
        .ssn
        .as_deref()
        .zip(p.social_security_number.as_deref())
        .map(|(a, b)| a == b);
    match ssn_same {
        Some(true) => {
            score += 10;
            reasons.push("same SSN".to_string());
        }
        Some(false) => {
            score -= 6;
            reasons.push("different SSN".to_string());
        }
        None => {}
    }
    let dob_exact = !dob.is_empty() && dob == summary.birth_date;
    if dob_exact {
        score += 6;
        reasons.push("same date of birth".into());
    } else if !dob.is_empty() && !summary.birth_date.is_empty() {
        let same = |n: usize| dob.get(..n).is_some() && dob.get(..n) == summary.birth_date.get(..n);
        if same(6) {
            score += 2;
            reasons.push("same year and month of birth".into());
        } else if same(4) {
            score += 1;
            reasons.push("same year of birth".into());
        } else {
            score -= 4;
            reasons.push("different date of birth".into());
        }
    }
    let last = search_key(&summary.name_last);
    if !last.is_empty() && last == p.name_last_key {
        score += 4;
        reasons.push("same last name".into());
    }
    let first = search_key(&summary.name_first);
    if !first.is_empty() && first == p.name_first_key {
        score += 3;
        reasons.push("same first name".into());
    } else if !first.is_empty() && first.chars().next() == p.name_first_key.chars().next() {
        score += 1;
        reasons.push("same first initial".into());
    }
    match (summary.sex.as_deref(), p.sex.as_deref()) {
        (Some(a), Some(b)) if a == b => {
            score += 1;
            reasons.push("same sex".into());
        }
        (Some(a), Some(b)) if a != "9" && b != "9" => {
            score -= 2;
            reasons.push("different sex".into());
        }
        _ => {}
    }
    if let (Some(mrn), Some(pm)) = (&summary.mrn, &p.medical_record_number)
        && !mrn.is_empty()
        && mrn == pm
    {
        score += 3;
        reasons.push("same medical record number".into());
    }
    (score >= LIST_SCORE).then(|| PatientCandidate {
        patient_id: p.id,
        name: match &p.name_first {
            Some(f) if !f.is_empty() => format!("{}, {f}", p.name_last),
            _ => p.name_last.clone(),
        },
        birth_date: dob.to_string(),
        score,
        reasons,
        auto_link: ssn_same == Some(true) && dob_exact,
        tumors: Vec::new(),
    })
}

fn tumor_candidates(
    conn: &mut DbConn,
    patient_id: i64,
    summary: &ReportSummary,
    coding: &CodingSuggestions,
) -> Result<Vec<TumorCandidate>, diesel::result::Error> {
    let site = CodingSuggestions::best(&coding.primary_site).unwrap_or("");
    let histology = CodingSuggestions::best(&coding.histology).unwrap_or("");
    let collected = summary.collection_date.as_deref().unwrap_or("");
    use crate::db::schema::tumors;
    use diesel::prelude::*;
    // Only the codes compared (not the whole abstract).
    type CodesRow = (i64, Option<String>, Option<String>, Option<String>);
    let rows: Vec<CodesRow> = tumors::table
        .filter(tumors::patient_id.eq(patient_id))
        .order((tumors::date_of_diagnosis.asc(), tumors::id.asc()))
        .select((
            tumors::id,
            tumors::primary_site,
            tumors::histology,
            tumors::date_of_diagnosis,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, t_site, t_hist, dx)| {
            let t_site = t_site.unwrap_or_default();
            let t_hist = t_hist.unwrap_or_default();
            let dx = dx.unwrap_or_default();
            let same_group = !site.is_empty() && t_site.get(..3) == site.get(..3);
            // Same first three digits of the morphology code: the same histology group.
            let compatible =
                histology.is_empty() || t_hist.is_empty() || t_hist.get(..3) == histology.get(..3);
            let close = match (dx.get(..4), collected.get(..4)) {
                (Some(a), Some(b)) => match (a.parse::<i32>(), b.parse::<i32>()) {
                    (Ok(a), Ok(b)) => (a - b).abs() <= 1,
                    _ => true,
                },
                _ => true,
            };
            let same_tumor = same_group && compatible && close;
            let reason = if same_tumor {
                "same site group, compatible histology, close dates: same tumor".to_string()
            } else if !same_group {
                "different site group: possible new primary".to_string()
            } else if !compatible {
                "different histology: possible new primary".to_string()
            } else {
                "diagnosed more than a year apart: possible new primary".to_string()
            };
            TumorCandidate {
                tumor_id: id,
                primary_site: t_site,
                histology: t_hist,
                diagnosed: dx,
                same_tumor,
                reason,
            }
        })
        .collect())
}

/// Result of one message of an ingest.
#[derive(Debug, Clone, Serialize)]
pub struct MessageOutcome {
    pub index: usize,
    pub report_id: Option<i64>,
    pub status: String,
    pub message_control_id: String,
    pub errors: Vec<String>,
    /// HL7 acknowledgment code for this message: AA stored, AE stored in the error queue.
    pub ack: &'static str,
}

/// Counts of an ingest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestSummary {
    pub raw_message_id: i64,
    pub messages: usize,
    pub to_review: usize,
    pub possible_match: usize,
    pub linked: usize,
    pub not_reportable: usize,
    pub errors: usize,
    pub test: usize,
    pub duplicates: usize,
    pub corrections: usize,
    pub outcomes: Vec<MessageOutcome>,
}

impl IngestSummary {
    fn count(&mut self, report: &Report) {
        match report.status.as_str() {
            "to-review" => self.to_review += 1,
            "possible-match" => self.possible_match += 1,
            "not-reportable" => self.not_reportable += 1,
            "error" => self.errors += 1,
            "test" => self.test += 1,
            "duplicate" => self.duplicates += 1,
            _ => {}
        }
        if report.matched_patient_id.is_some() && report.status == "to-review" {
            self.linked += 1;
        }
        if report.supersedes_id.is_some() {
            self.corrections += 1;
        }
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        format!(
            "{} messages: {} to review ({} linked to a patient), {} possible matches, {} not reportable, {} errors, {} test, {} duplicates, {} corrections",
            self.messages,
            self.to_review,
            self.linked,
            self.possible_match,
            self.not_reportable,
            self.errors,
            self.test,
            self.duplicates,
            self.corrections
        )
    }
}

/// A message prepared outside the transaction (parsing, screening and coding are pure).
struct Prepared {
    report: Report,
    summary: Option<ReportSummary>,
    coding: Option<CodingSuggestions>,
    production: bool,
}

fn now() -> chrono::NaiveDateTime {
    crate::models::now()
}

fn blank_report(raw_id: i64, index: usize, start_line: usize, text: String) -> Report {
    let now = now();
    Report {
        id: 0,
        raw_message_id: raw_id,
        message_index: i32::try_from(index).unwrap_or(i32::MAX),
        start_line: i32::try_from(start_line).unwrap_or(i32::MAX),
        status: "error".into(),
        lab: String::new(),
        lab_name: String::new(),
        accession: String::new(),
        duplicate_key: None,
        duplicate_of_id: None,
        supersedes_id: None,
        corrections: None,
        message_text: text,
        parse_error: None,
        error_line: None,
        error_field: None,
        parsed: None,
        patient_name: String::new(),
        ordering_facility: String::new(),
        collection_date: None,
        reportability: None,
        screening: None,
        coding: None,
        match_candidates: None,
        matched_patient_id: None,
        patient_id: None,
        tumor_id: None,
        decision: None,
        decision_reason: None,
        decided_by_user_id: None,
        decided_at: None,
        created_at: now,
    }
}

fn to_json<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}

fn set_error(report: &mut Report, e: &ParseError) {
    report.status = "error".into();
    report.parse_error = Some(e.to_string());
    report.error_line = i32::try_from(e.line).ok();
    report.error_field = e.field.clone();
}

fn prepare(pipeline: &Pipeline, raw_id: i64, raw: &RawMessage) -> Prepared {
    let mut report = blank_report(raw_id, raw.index, raw.start_line, raw.text.clone());
    let parsed = crate::domain::hl7::parse_message(raw);
    let hl7 = match parsed {
        Ok(r) => r,
        Err(e) => {
            set_error(&mut report, &e);
            return Prepared {
                report,
                summary: None,
                coding: None,
                production: false,
            };
        }
    };
    let text = ReportText::from(&hl7);
    let exam = pipeline.examine(&text);
    let summary = ReportSummary::from_hl7(&hl7, &text);
    fill(&mut report, &summary, &exam);
    let production = hl7.processing_id == ProcessingId::Production;
    report.status = if !production {
        "test".into()
    } else if exam.decision.status == ReportabilityStatus::NotReportable {
        "not-reportable".into()
    } else {
        "to-review".into()
    };
    Prepared {
        report,
        summary: Some(summary),
        coding: Some(exam.coding),
        production,
    }
}

fn fill(report: &mut Report, summary: &ReportSummary, exam: &Examination) {
    report.lab = summary.lab.clone();
    report.lab_name = summary.lab_name.clone();
    report.accession = summary.accession.clone();
    report.duplicate_key = (!summary.accession.is_empty()).then(|| {
        format!(
            "{}|{}|{}",
            summary.lab, summary.accession, summary.report_status
        )
    });
    report.patient_name = summary.display_name();
    report.ordering_facility = summary.ordering_facility.clone();
    report.collection_date = summary.collection_date.clone();
    report.reportability = Some(exam.decision.status.code().to_string());
    report.parsed = to_json(summary);
    report.screening = to_json(&ScreeningRecord {
        result: exam.screening.clone(),
        decision: exam.decision.clone(),
    });
    report.coding = to_json(&exam.coding);
}

/// Screening as stored: the keyword result and the final decision.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScreeningRecord {
    pub result: ScreeningResult,
    pub decision: ReportabilityDecision,
}

/// One changed value between a report and its correction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub field: String,
    pub old: String,
    pub new: String,
}

/// What changed between two versions of a report.
pub fn diff(
    old: &ReportSummary,
    old_coding: Option<&CodingSuggestions>,
    new: &ReportSummary,
    new_coding: Option<&CodingSuggestions>,
) -> Vec<Correction> {
    let mut out = Vec::new();
    let mut cmp = |field: &str, a: String, b: String| {
        if a != b {
            out.push(Correction {
                field: field.to_string(),
                old: a,
                new: b,
            });
        }
    };
    cmp("Last name", old.name_last.clone(), new.name_last.clone());
    cmp("First name", old.name_first.clone(), new.name_first.clone());
    cmp(
        "Date of birth",
        old.birth_date.clone(),
        new.birth_date.clone(),
    );
    cmp(
        "Sex",
        old.sex.clone().unwrap_or_default(),
        new.sex.clone().unwrap_or_default(),
    );
    cmp(
        "Medical record number",
        old.mrn.clone().unwrap_or_default(),
        new.mrn.clone().unwrap_or_default(),
    );
    cmp(
        "Collected",
        old.collection_date.clone().unwrap_or_default(),
        new.collection_date.clone().unwrap_or_default(),
    );
    cmp("ICD-10", old.icd10.join(", "), new.icd10.join(", "));
    let section = |s: &ReportSummary, label: &str| -> String {
        s.sections
            .iter()
            .filter(|(l, _)| l == label)
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut labels: Vec<&str> = old
        .sections
        .iter()
        .chain(new.sections.iter())
        .map(|(l, _)| l.as_str())
        .collect();
    labels.dedup();
    let mut done = HashSet::new();
    for label in labels {
        if done.insert(label) {
            cmp(label, section(old, label), section(new, label));
        }
    }
    let synoptic = |s: &ReportSummary| -> BTreeMap<String, String> {
        s.synoptic
            .iter()
            .map(|(_, q, a)| (q.clone(), a.clone()))
            .collect()
    };
    let (so, sn) = (synoptic(old), synoptic(new));
    for q in so
        .keys()
        .chain(sn.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        cmp(
            &format!("Checklist: {q}"),
            so.get(q).cloned().unwrap_or_default(),
            sn.get(q).cloned().unwrap_or_default(),
        );
    }
    let best =
        |c: Option<&CodingSuggestions>,
         f: fn(&CodingSuggestions) -> &[crate::domain::autocode::Suggestion]| {
            c.and_then(|c| CodingSuggestions::best(f(c)).map(str::to_string))
                .unwrap_or_default()
        };
    cmp(
        "Suggested primary site",
        best(old_coding, |c| &c.primary_site),
        best(new_coding, |c| &c.primary_site),
    );
    cmp(
        "Suggested histology",
        best(old_coding, |c| &c.histology),
        best(new_coding, |c| &c.histology),
    );
    cmp(
        "Suggested behavior",
        best(old_coding, |c| &c.behavior),
        best(new_coding, |c| &c.behavior),
    );
    cmp(
        "Suggested laterality",
        best(old_coding, |c| &c.laterality),
        best(new_coding, |c| &c.laterality),
    );
    out
}

/// Duplicates, corrections and patient matching need the database; done inside the transaction.
fn settle(
    conn: &mut DbConn,
    actor: &Actor,
    prepared: &mut Prepared,
) -> Result<i64, diesel::result::Error> {
    let report = &mut prepared.report;
    if prepared.production
        && let Some(key) = report.duplicate_key.clone()
        && let Some(first) = model::find_by_duplicate_key(conn, &key)?
    {
        report.status = "duplicate".into();
        report.duplicate_of_id = Some(first.id);
    }
    let mut superseded: Option<Report> = None;
    if prepared.production
        && report.status != "duplicate"
        && prepared
            .summary
            .as_ref()
            .is_some_and(|s| s.report_status == "C")
        && !report.accession.is_empty()
        && let Some(earlier) = model::latest_for_accession(conn, &report.lab, &report.accession)?
    {
        let old_summary: Option<ReportSummary> = earlier
            .parsed
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok());
        let old_coding: Option<CodingSuggestions> = earlier
            .coding
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok());
        if let (Some(old), Some(new)) = (old_summary, prepared.summary.as_ref()) {
            report.corrections = to_json(&diff(
                &old,
                old_coding.as_ref(),
                new,
                prepared.coding.as_ref(),
            ));
        }
        report.supersedes_id = Some(earlier.id);
        // A correction of a report already worked on is reviewed again.
        if report.status == "not-reportable" && earlier.status == "done" {
            report.status = "to-review".into();
        }
        superseded = Some(earlier);
    }
    if prepared.production
        && matches!(report.status.as_str(), "to-review")
        && let (Some(summary), Some(coding)) = (&prepared.summary, &prepared.coding)
    {
        let candidates = match_patients(conn, summary, coding)?;
        if let Some(best) = candidates.first() {
            if best.auto_link {
                report.matched_patient_id = Some(best.patient_id);
            } else if best.score >= POSSIBLE_MATCH_SCORE {
                report.status = "possible-match".into();
            }
        }
        report.match_candidates = to_json(&candidates);
    }
    clean_text(report);
    let id = model::insert_report(conn, report)?;
    report.id = id;
    if let Some(mut earlier) = superseded {
        if model::OPEN_STATUSES.contains(&earlier.status.as_str()) {
            earlier.status = "superseded".into();
        }
        model::save(conn, &mut earlier)?;
    }
    let mut event = AuditEvent::new(Action::Import, "pathology-report")
        .id(id)
        .detail(format!("status {}", report.status));
    if let Some(pid) = report.matched_patient_id {
        event.patient_id = Some(pid);
    }
    audit::record(conn, actor, &event)?;
    Ok(id)
}

/// PostgreSQL text cannot hold NUL characters; what was received is kept byte for byte in the raw
/// message, so the text copies show them as U+FFFD.
fn clean_text(report: &mut Report) {
    let clean = |s: &mut String| {
        if s.contains('\0') {
            *s = s.replace('\0', "\u{FFFD}");
        }
    };
    for s in [
        &mut report.message_text,
        &mut report.lab,
        &mut report.lab_name,
        &mut report.accession,
        &mut report.patient_name,
        &mut report.ordering_facility,
        &mut report.status,
    ] {
        clean(s);
    }
    for s in [
        &mut report.parse_error,
        &mut report.error_field,
        &mut report.duplicate_key,
        &mut report.collection_date,
        &mut report.corrections,
        &mut report.parsed,
        &mut report.screening,
        &mut report.coding,
        &mut report.match_candidates,
    ]
    .into_iter()
    .flatten()
    {
        clean(s);
    }
}

fn outcome(report: &Report) -> MessageOutcome {
    let summary: Option<ReportSummary> = report
        .parsed
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok());
    MessageOutcome {
        index: usize::try_from(report.message_index).unwrap_or(0),
        report_id: (report.id > 0).then_some(report.id),
        status: report.status.clone(),
        message_control_id: summary.map(|s| s.message_control_id).unwrap_or_default(),
        errors: report.parse_error.iter().cloned().collect(),
        ack: if report.status == "error" { "AE" } else { "AA" },
    }
}

/// Stores the bytes as received; returns the raw message id. Its own transaction: it is kept
/// whatever happens next.
pub fn store_raw(
    conn: &mut DbConn,
    source: Source,
    bytes: &[u8],
    sender: &Sender,
) -> Result<i64, AppError> {
    let sha = hex::encode(Sha256::digest(bytes));
    write_tx(conn, |conn| {
        let id = model::insert_raw(
            conn,
            &NewRawMessage {
                received_at: now(),
                source: source.as_str(),
                received_by_user_id: sender.actor.user_id,
                lab_token_id: sender.lab_token_id,
                sender: &sender.actor.label,
                file_name: sender.file_name.as_deref(),
                sha256: &sha,
                byte_length: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
                content: bytes,
                facility_id: sender.facility_id,
            },
        )?;
        audit::record(
            conn,
            &sender.actor,
            &AuditEvent::new(Action::Import, "pathology-raw")
                .id(id)
                .detail(format!("{} bytes by {}", bytes.len(), source.as_str())),
        )?;
        Ok::<i64, AppError>(id)
    })
}

/// Ingests received bytes (a file, a request body, an MLLP frame): stored raw, then every message
/// split, parsed, screened, coded, matched and recorded.
pub fn ingest(
    conn: &mut DbConn,
    source: Source,
    bytes: &[u8],
    sender: &Sender,
) -> Result<IngestSummary, AppError> {
    let raw_id = store_raw(conn, source, bytes, sender)?;
    ingest_stored(conn, raw_id, bytes, sender, &mut |_, _| {})
}

/// Records a batch in one transaction; when it fails, message by message (a message that still
/// fails is kept in the error queue with the reason).
fn record_batch(
    conn: &mut DbConn,
    raw_id: i64,
    sender: &Sender,
    prepared: &mut [Prepared],
) -> Result<(), AppError> {
    let batch = write_tx(conn, |conn| {
        for p in prepared.iter_mut() {
            settle(conn, &sender.actor, p)?;
        }
        Ok::<(), diesel::result::Error>(())
    });
    if let Err(e) = batch {
        tracing::warn!(error = %e, raw_message_id = raw_id, "batch failed; retrying message by message");
        for p in prepared.iter_mut() {
            p.report.id = 0;
            if let Err(e) = write_tx(conn, |conn| settle(conn, &sender.actor, p)) {
                tracing::warn!(error = %e, raw_message_id = raw_id, index = p.report.message_index, "message failed; kept in the error queue");
                let mut failed = blank_report(
                    raw_id,
                    usize::try_from(p.report.message_index).unwrap_or(0),
                    usize::try_from(p.report.start_line).unwrap_or(0),
                    p.report.message_text.clone(),
                );
                failed.parse_error = Some(format!("could not be recorded: {e}"));
                p.report = failed;
                p.production = false;
                write_tx(conn, |conn| settle(conn, &sender.actor, p))?;
            }
        }
    }
    Ok(())
}

/// Reads the messages of bytes already stored as `raw_id`, with the active screening version.
/// Messages of that raw message already recorded (an upload resumed after a restart) are skipped.
/// `progress(done, total)` is called after each batch.
pub fn ingest_stored(
    conn: &mut DbConn,
    raw_id: i64,
    bytes: &[u8],
    sender: &Sender,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<IngestSummary, AppError> {
    let pipeline = crate::services::screening_versions::active_pipeline(conn)?;
    let messages = split_messages(bytes);
    let mut summary = IngestSummary {
        raw_message_id: raw_id,
        messages: messages.len(),
        ..IngestSummary::default()
    };
    let recorded: BTreeMap<i32, Report> = model::recorded_for_raw(conn, raw_id)?
        .into_iter()
        .map(|r| (r.message_index, r))
        .collect();
    if messages.is_empty() {
        if let Some(r) = recorded.values().next() {
            summary.messages = 1;
            summary.count(r);
            summary.outcomes.push(outcome(r));
            return Ok(summary);
        }
        // Nothing that looks like a message: the error queue says so (the bytes are kept).
        let mut report = blank_report(raw_id, 0, 1, String::from_utf8_lossy(bytes).into_owned());
        report.parse_error = Some("line 1: no HL7 message found (no MSH segment)".into());
        report.error_line = Some(1);
        report.error_field = Some("MSH".into());
        let mut p = Prepared {
            report,
            summary: None,
            coding: None,
            production: false,
        };
        write_tx(conn, |conn| settle(conn, &sender.actor, &mut p))?;
        summary.messages = 1;
        summary.count(&p.report);
        summary.outcomes.push(outcome(&p.report));
        return Ok(summary);
    }
    let total = messages.len();
    let mut done = 0;
    let mut todo: Vec<&RawMessage> = Vec::with_capacity(messages.len());
    for raw in &messages {
        let index = i32::try_from(raw.index).unwrap_or(i32::MAX);
        match recorded.get(&index) {
            Some(r) => {
                summary.count(r);
                summary.outcomes.push(outcome(r));
                done += 1;
            }
            None => todo.push(raw),
        }
    }
    let chunks: Vec<&[&RawMessage]> = todo.chunks(BATCH).collect();
    let pipeline: &Pipeline = &pipeline;
    let prepare_chunk = |chunk: &[&RawMessage]| -> Vec<Prepared> {
        chunk
            .iter()
            .map(|raw| prepare(pipeline, raw_id, raw))
            .collect()
    };
    // Parsing, screening and coding of the next batch (pure) run on a second thread while this
    // one records the current batch.
    std::thread::scope(|scope| -> Result<(), AppError> {
        let mut next = chunks
            .first()
            .map(|c| scope.spawn(move || prepare_chunk(c)));
        for i in 0..chunks.len() {
            let Some(handle) = next.take() else { break };
            let mut prepared = handle.join().map_err(|_| {
                AppError::Internal(anyhow::anyhow!("a pathology message could not be prepared"))
            })?;
            next = chunks
                .get(i + 1)
                .map(|c| scope.spawn(move || prepare_chunk(c)));
            record_batch(conn, raw_id, sender, &mut prepared)?;
            for p in &prepared {
                summary.count(&p.report);
                summary.outcomes.push(outcome(&p.report));
            }
            done += prepared.len();
            progress(done, total);
        }
        Ok(())
    })?;
    summary.outcomes.sort_by_key(|o| o.index);
    Ok(summary)
}

/// A pasted plain-text report with the patient typed in by the registrar.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PastedReport {
    #[serde(default)]
    pub text: String,
    #[serde(default, rename = "nameLast")]
    pub name_last: String,
    #[serde(default, rename = "nameFirst")]
    pub name_first: String,
    #[serde(default, rename = "dateOfBirth")]
    pub date_of_birth: String,
    #[serde(default, rename = "sexAssignedAtBirth")]
    pub sex: String,
    #[serde(default, rename = "medicalRecordNumber")]
    pub mrn: String,
    #[serde(default, rename = "socialSecurityNumber")]
    pub ssn: String,
    #[serde(default)]
    pub lab: String,
    #[serde(default)]
    pub accession: String,
    #[serde(default, rename = "collectionDate")]
    pub collection_date: String,
    /// Registry facility the report belongs to (form value; checked by the route).
    #[serde(default)]
    pub facility: String,
}

/// Ingests a pasted report: the text is stored raw first, then screened, coded and matched.
pub fn ingest_pasted(
    conn: &mut DbConn,
    pasted: &PastedReport,
    sender: &Sender,
) -> Result<i64, AppError> {
    if pasted.text.trim().is_empty() || pasted.name_last.trim().is_empty() {
        return Err(AppError::BadRequest(
            "The report text and the patient's last name are required.".into(),
        ));
    }
    let birth = date_or_empty(&pasted.date_of_birth, "Date of birth")?;
    let collected = date_or_empty(&pasted.collection_date, "Collection date")?;
    let raw_id = store_raw(conn, Source::Paste, pasted.text.as_bytes(), sender)?;
    let pipeline = crate::services::screening_versions::active_pipeline(conn)?;
    let text = ReportText::from_plain_text(&pasted.text);
    let exam = pipeline.examine(&text);
    let ssn = pasted.ssn.trim();
    let (ssn, ssn_issue) = if ssn.is_empty() {
        (None, None)
    } else {
        match crate::domain::hl7::Ssn::parse(ssn) {
            Ok(s) => (Some(s.as_str().to_string()), None),
            Err(e) => (None, Some(e.to_string())),
        }
    };
    let summary = ReportSummary {
        name_last: pasted.name_last.trim().to_string(),
        name_first: pasted.name_first.trim().to_string(),
        birth_date: birth,
        sex: Some(pasted.sex.trim().to_string()).filter(|s| !s.is_empty()),
        mrn: Some(pasted.mrn.trim().to_string()).filter(|s| !s.is_empty()),
        ssn,
        ssn_issue,
        lab: pasted.lab.trim().to_string(),
        lab_name: pasted.lab.trim().to_string(),
        accession: pasted.accession.trim().to_string(),
        report_status: "F".into(),
        processing_id: "P".into(),
        collection_date: Some(collected).filter(|s| !s.is_empty()),
        sections: sections_of(&text),
        ..ReportSummary::default()
    };
    let mut report = blank_report(raw_id, 0, 1, pasted.text.clone());
    fill(&mut report, &summary, &exam);
    report.status = if exam.decision.status == ReportabilityStatus::NotReportable {
        "not-reportable".into()
    } else {
        "to-review".into()
    };
    let mut p = Prepared {
        report,
        summary: Some(summary),
        coding: Some(exam.coding),
        production: true,
    };
    write_tx(conn, |conn| settle(conn, &sender.actor, &mut p))?;
    Ok(p.report.id)
}

fn date_or_empty(typed: &str, label: &str) -> Result<String, AppError> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(String::new());
    }
    crate::domain::date::PartialDate::parse(typed)
        .map(|d| d.to_naaccr())
        .map_err(|e| AppError::BadRequest(format!("{label}: {e}")))
}

/// A report with what the review screen needs, decoded from its stored JSON.
pub struct ReportDetail {
    pub report: Report,
    pub summary: Option<ReportSummary>,
    pub screening: Option<ScreeningRecord>,
    pub coding: Option<CodingSuggestions>,
    pub candidates: Vec<PatientCandidate>,
    pub corrections: Vec<Correction>,
    pub linked_patient: Option<Patient>,
    pub linked_tumors: Vec<Tumor>,
}

fn decode<T: for<'de> Deserialize<'de>>(json: Option<&str>) -> Option<T> {
    json.and_then(|j| serde_json::from_str(j).ok())
}

/// Reads a report for the review screen (audited as a read of pathology data).
pub fn read_report(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    id: i64,
) -> Result<ReportDetail, AppError> {
    write_tx(conn, |conn| {
        let report = model::find_scoped(conn, scope, id)?.ok_or(AppError::NotFound)?;
        let mut candidates: Vec<PatientCandidate> =
            decode(report.match_candidates.as_deref()).unwrap_or_default();
        // Only the user's facilities' patients are offered.
        let mut visible = Vec::new();
        for c in candidates.drain(..) {
            if patient::find_scoped(conn, scope, c.patient_id)?.is_some() {
                visible.push(c);
            }
        }
        let linked_id = report.patient_id.or(report.matched_patient_id);
        let linked_patient = match linked_id {
            Some(pid) => patient::find_scoped(conn, scope, pid)?,
            None => None,
        };
        let linked_tumors = match &linked_patient {
            Some(p) => tumor::for_patient(conn, p.id)?,
            None => Vec::new(),
        };
        let mut event = AuditEvent::new(Action::Read, "pathology-report").id(report.id);
        if let Some(p) = &linked_patient {
            event = event.patient(p.id, p.facility_id);
        }
        audit::record(conn, actor, &event)?;
        Ok(ReportDetail {
            summary: decode(report.parsed.as_deref()),
            screening: decode(report.screening.as_deref()),
            coding: decode(report.coding.as_deref()),
            corrections: decode(report.corrections.as_deref()).unwrap_or_default(),
            candidates: visible,
            linked_patient,
            linked_tumors,
            report,
        })
    })
}

/// The patient items the review form offers.
pub const REVIEW_PATIENT_ITEMS: [&str; 6] = [
    "nameLast",
    "nameFirst",
    "dateOfBirth",
    "sexAssignedAtBirth",
    "medicalRecordNumber",
    "socialSecurityNumber",
];

/// The tumor items the review form offers (prefilled from the coding suggestions).
pub const REVIEW_TUMOR_ITEMS: [&str; 7] = [
    "dateOfDiagnosis",
    "primarySite",
    "histologicTypeIcdO3",
    "behaviorCodeIcdO3",
    "laterality",
    "gradePathological",
    "diagnosticConfirmation",
];

pub fn review_specs(patient: bool) -> Vec<&'static FieldSpec> {
    if patient {
        REVIEW_PATIENT_ITEMS
            .iter()
            .filter_map(|id| PATIENT_FIELDS.iter().find(|f| f.naaccr_id == *id))
            .collect()
    } else {
        REVIEW_TUMOR_ITEMS
            .iter()
            .filter_map(|id| TUMOR_FIELDS.iter().find(|f| f.naaccr_id == *id))
            .collect()
    }
}

/// The draft abstract: what the suggestions and the report put in each item.
pub fn draft_values(
    summary: Option<&ReportSummary>,
    coding: Option<&CodingSuggestions>,
) -> BTreeMap<&'static str, String> {
    let mut v = BTreeMap::new();
    if let Some(s) = summary {
        v.insert("nameLast", s.name_last.clone());
        v.insert("nameFirst", s.name_first.clone());
        v.insert("dateOfBirth", s.birth_date.clone());
        v.insert("sexAssignedAtBirth", s.sex.clone().unwrap_or_default());
        v.insert("medicalRecordNumber", s.mrn.clone().unwrap_or_default());
        v.insert("socialSecurityNumber", s.ssn.clone().unwrap_or_default());
        v.insert(
            "dateOfDiagnosis",
            s.collection_date.clone().unwrap_or_default(),
        );
    }
    if let Some(c) = coding {
        let best = |l: &[crate::domain::autocode::Suggestion]| {
            CodingSuggestions::best(l).unwrap_or("").to_string()
        };
        v.insert("primarySite", best(&c.primary_site));
        v.insert("histologicTypeIcdO3", best(&c.histology));
        v.insert("behaviorCodeIcdO3", best(&c.behavior));
        v.insert("laterality", best(&c.laterality));
        v.insert(
            "gradePathological",
            c.grade
                .first()
                .and_then(|g| g.code.clone())
                .unwrap_or_default(),
        );
    }
    // A pathology report is positive histology.
    v.insert("diagnosticConfirmation", "1".into());
    v
}

/// How the registrar accepts a report.
#[derive(Debug, Clone)]
pub enum Acceptance {
    /// New patient (in a facility) and new tumor.
    NewPatient { facility_id: i64 },
    /// New tumor of an existing patient.
    NewTumor { patient_id: i64 },
    /// The report documents a tumor already abstracted.
    LinkTumor { tumor_id: i64 },
}

/// Why an acceptance was refused: the form's errors, by item.
#[derive(Debug)]
pub enum AcceptError {
    Invalid(FieldErrors),
    App(AppError),
}

impl From<AppError> for AcceptError {
    fn from(e: AppError) -> Self {
        AcceptError::App(e)
    }
}

impl From<diesel::result::Error> for AcceptError {
    fn from(e: diesel::result::Error) -> Self {
        AcceptError::App(e.into())
    }
}

fn decided(report: &Report) -> Result<(), AppError> {
    if !matches!(
        report.status.as_str(),
        "to-review" | "possible-match" | "not-reportable"
    ) {
        return Err(AppError::Conflict(format!(
            "This report is already {} and cannot be decided again.",
            model::status_label(&report.status).to_lowercase()
        )));
    }
    Ok(())
}

/// Accepts a report: creates the patient and/or tumor with the (possibly overridden) codes, or
/// links it to an existing tumor. Audits the decision with each code as suggested and as accepted.
pub fn accept(
    conn: &mut DbConn,
    user: &crate::auth::CurrentUser,
    id: i64,
    how: Acceptance,
    input: &std::collections::HashMap<String, String>,
) -> Result<Report, AcceptError> {
    let actor = user.actor();
    let scope = user.scope.clone();
    let patient_specs: Vec<FieldSpec> = review_specs(true).into_iter().cloned().collect();
    let tumor_specs: Vec<FieldSpec> = review_specs(false).into_iter().cloned().collect();
    let needs_patient = matches!(how, Acceptance::NewPatient { .. });
    let needs_tumor = !matches!(how, Acceptance::LinkTumor { .. });
    let mut errors = FieldErrors::new();
    let patient_values: ItemValues = if needs_patient {
        validate_form(&patient_specs, input).unwrap_or_else(|e| {
            errors.extend(e);
            Vec::new()
        })
    } else {
        Vec::new()
    };
    let tumor_values: ItemValues = if needs_tumor {
        validate_form(&tumor_specs, input).unwrap_or_else(|e| {
            errors.extend(e);
            Vec::new()
        })
    } else {
        Vec::new()
    };
    if !errors.is_empty() {
        return Err(AcceptError::Invalid(errors));
    }
    write_tx(conn, |conn| {
        let mut report = model::find_scoped(conn, &scope, id)?.ok_or(AppError::NotFound)?;
        decided(&report)?;
        let coding: Option<CodingSuggestions> = decode(report.coding.as_deref());
        let summary: Option<ReportSummary> = decode(report.parsed.as_deref());
        let draft = draft_values(summary.as_ref(), coding.as_ref());
        let (patient, tumor_id, decision) = match how {
            Acceptance::NewPatient { facility_id } => {
                if !scope.allows(facility_id) {
                    return Err(
                        AppError::Forbidden("facility outside the user's scope".into()).into(),
                    );
                }
                let mut p = Patient::blank(facility_id);
                p.patient_id_number = patient::next_patient_id_number(conn, facility_id)?;
                p.set_items(patient_values.clone());
                let saved = patient::insert(conn, &mut p)?;
                let changes = patient_values
                    .iter()
                    .filter_map(|(k, v)| FieldChange::between(k, None, v.as_deref()))
                    .map(mask_ssn)
                    .collect();
                audit::record(
                    conn,
                    &actor,
                    &AuditEvent::new(Action::Create, "patient")
                        .id(saved.id)
                        .patient(saved.id, saved.facility_id)
                        .changes(changes)
                        .detail(format!("from pathology report {id}")),
                )?;
                (saved, None, "accepted as new patient and tumor")
            }
            Acceptance::NewTumor { patient_id } => {
                let p =
                    patient::find_scoped(conn, &scope, patient_id)?.ok_or(AppError::NotFound)?;
                (p, None, "accepted as new tumor of an existing patient")
            }
            Acceptance::LinkTumor { tumor_id } => {
                let t = tumor::find(conn, tumor_id)?.ok_or(AppError::NotFound)?;
                let p =
                    patient::find_scoped(conn, &scope, t.patient_id)?.ok_or(AppError::NotFound)?;
                (p, Some(t.id), "linked to an existing tumor")
            }
        };
        let tumor_id = match tumor_id {
            Some(t) => t,
            None => {
                let mut t = Tumor::blank(patient.id, tumor::next_record_number(conn, patient.id)?);
                t.set_items(tumor_values.clone());
                let saved = tumor::insert(conn, &t)?;
                let changes = tumor_values
                    .iter()
                    .filter_map(|(k, v)| FieldChange::between(k, None, v.as_deref()))
                    .collect();
                audit::record(
                    conn,
                    &actor,
                    &AuditEvent::new(Action::Create, "tumor")
                        .id(saved.id)
                        .patient(patient.id, patient.facility_id)
                        .changes(changes)
                        .detail(format!("from pathology report {id}")),
                )?;
                saved.id
            }
        };
        // The decision: each code as suggested (old) and as accepted (new).
        let mut overrides = Vec::new();
        for (k, v) in patient_values.iter().chain(tumor_values.iter()) {
            let suggested = draft.get(k).cloned().filter(|s| !s.is_empty());
            overrides.push(mask_ssn(FieldChange {
                field: (*k).to_string(),
                old: suggested,
                new: v.clone(),
            }));
        }
        let before_status = report.status.clone();
        report.status = "done".into();
        report.patient_id = Some(patient.id);
        report.tumor_id = Some(tumor_id);
        report.decision = Some(decision.into());
        report.decided_by_user_id = Some(actor.user_id.unwrap_or_default()).filter(|u| *u > 0);
        report.decided_at = Some(now());
        model::save(conn, &mut report)?;
        audit::record(
            conn,
            &actor,
            &AuditEvent::new(Action::Update, "pathology-report")
                .id(report.id)
                .patient(patient.id, patient.facility_id)
                .changes(overrides)
                .detail(format!(
                    "{decision} (was {before_status}); tumor {tumor_id}; old = suggested, new = accepted"
                )),
        )?;
        Ok(report)
    })
}

fn mask_ssn(c: FieldChange) -> FieldChange {
    if c.field != "socialSecurityNumber" {
        return c;
    }
    let mask = |v: Option<String>| {
        v.map(|v| {
            format!(
                "***-**-{}",
                v.get(v.len().saturating_sub(4)..).unwrap_or("")
            )
        })
    };
    FieldChange {
        field: c.field,
        old: mask(c.old),
        new: mask(c.new),
    }
}

/// Marks a report not reportable (with the registrar's reason) or a duplicate.
pub fn close(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    id: i64,
    status: &str,
    reason: &str,
) -> Result<Report, AppError> {
    let reason = reason.trim();
    if status == "not-reportable" && reason.is_empty() {
        return Err(AppError::BadRequest(
            "Say why the report is not reportable.".into(),
        ));
    }
    write_tx(conn, |conn| {
        let mut report = model::find_scoped(conn, scope, id)?.ok_or(AppError::NotFound)?;
        decided(&report)?;
        let before = report.status.clone();
        let coding: Option<CodingSuggestions> = decode(report.coding.as_deref());
        report.status = status.to_string();
        report.decision = Some(
            match status {
                "duplicate" => "marked duplicate",
                _ => "marked not reportable",
            }
            .into(),
        );
        report.decision_reason = Some(reason.to_string()).filter(|r| !r.is_empty());
        report.decided_by_user_id = actor.user_id;
        report.decided_at = Some(now());
        model::save(conn, &mut report)?;
        let mut changes = vec![FieldChange {
            field: "status".into(),
            old: Some(before),
            new: Some(report.status.clone()),
        }];
        if let Some(c) = coding {
            let suggested = c.tumor_codes();
            changes.push(FieldChange {
                field: "primarySite".into(),
                old: suggested.primary_site,
                new: None,
            });
            changes.push(FieldChange {
                field: "histologicTypeIcdO3".into(),
                old: suggested.histology,
                new: None,
            });
        }
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Update, "pathology-report")
                .id(report.id)
                .changes(changes)
                .detail(format!(
                    "{}{}",
                    report.decision.clone().unwrap_or_default(),
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {reason}")
                    }
                )),
        )?;
        Ok(report)
    })
}

/// A new lab API token: the token itself is returned once; only its hash is stored.
pub fn issue_token(
    conn: &mut DbConn,
    actor: &Actor,
    lab_name: &str,
    clia: &str,
    facility_id: Option<i64>,
) -> Result<(i64, String), AppError> {
    if lab_name.trim().is_empty() {
        return Err(AppError::BadRequest("The lab's name is required.".into()));
    }
    let token = format!("rlab_{}", crate::auth::csrf::new_token());
    let hash = token_hash(&token);
    let prefix: String = token.chars().take(10).collect();
    write_tx(conn, |conn| {
        let id = model::insert_token(
            conn,
            &model::NewLabToken {
                lab_name: lab_name.trim(),
                clia: clia.trim(),
                token_hash: &hash,
                token_prefix: &prefix,
                created_at: now(),
                created_by_user_id: actor.user_id,
                facility_id,
            },
        )?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Create, "lab-token")
                .id(id)
                .detail(format!("for {}", lab_name.trim())),
        )?;
        Ok::<_, AppError>((id, token))
    })
}

pub fn revoke_token(conn: &mut DbConn, actor: &Actor, id: i64) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        let n = model::revoke_token(conn, id, actor.user_id.unwrap_or_default())?;
        if n == 0 {
            return Err(AppError::NotFound);
        }
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Update, "lab-token")
                .id(id)
                .detail("revoked"),
        )?;
        Ok(())
    })
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The lab of a valid (not revoked) bearer token.
pub fn authenticate_lab(
    conn: &mut DbConn,
    token: &str,
) -> Result<Option<model::LabToken>, AppError> {
    let token = token.trim();
    if token.is_empty() {
        return Ok(None);
    }
    Ok(model::token_by_hash(conn, &token_hash(token))?.filter(|t| t.revoked_at.is_none()))
}

/// One line of `registrar pathology screen`: what the message gives, nothing written.
pub fn screen_line(pipeline: &Pipeline, raw: &RawMessage) -> serde_json::Value {
    use serde_json::{Map, Value};
    let mut o = Map::new();
    o.insert("index".into(), Value::from(raw.index));
    let report = match crate::domain::hl7::parse_message(raw) {
        Ok(r) => r,
        Err(e) => {
            o.insert("status".into(), Value::from("error"));
            o.insert("errors".into(), Value::from(vec![e.to_string()]));
            return Value::Object(o);
        }
    };
    let text = ReportText::from(&report);
    let exam = pipeline.examine(&text);
    let status = if report.processing_id == ProcessingId::Production {
        "ok"
    } else {
        "test"
    };
    o.insert("status".into(), Value::from(status));
    o.insert("errors".into(), Value::from(Vec::<String>::new()));
    o.insert(
        "reportable".into(),
        Value::from(exam.decision.status.code()),
    );
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            o.insert(k.to_string(), Value::from(v));
        }
    };
    let best =
        |l: &[crate::domain::autocode::Suggestion]| CodingSuggestions::best(l).map(str::to_string);
    put("primarySite", best(&exam.coding.primary_site));
    put("histologicTypeIcdO3", best(&exam.coding.histology));
    put("behaviorCodeIcdO3", best(&exam.coding.behavior));
    put("laterality", best(&exam.coding.laterality));
    put("grade", exam.best_grade());
    let p = &report.patient;
    put("nameLast", Some(p.name_last.clone()));
    put("nameFirst", Some(p.name_first.clone()));
    put("dateOfBirth", Some(p.birth_date.clone()));
    put("sexAssignedAtBirth", p.sex_naaccr.clone());
    put("medicalRecordNumber", p.mrn.as_ref().map(|m| m.id.clone()));
    put("socialSecurityNumber", p.ssn.clone());
    put("accessionNumber", Some(report.accession.clone()));
    put(
        "specimenCollectionDate",
        report.specimen_collection_date.clone(),
    );
    let mut evidence: Vec<Value> = Vec::new();
    let mut ev = |item: &str, list: &[crate::domain::autocode::Suggestion]| {
        if let Some(s) = list.first() {
            for e in &s.evidence {
                evidence.push(serde_json::json!({
                    "item": item,
                    "code": s.code,
                    "source": format!("{:?}", e.source).to_lowercase(),
                    "phrase": e.phrase,
                }));
            }
        }
    };
    ev("primarySite", &exam.coding.primary_site);
    ev("histologicTypeIcdO3", &exam.coding.histology);
    ev("behaviorCodeIcdO3", &exam.coding.behavior);
    ev("laterality", &exam.coding.laterality);
    if let Some(g) = exam.coding.grade.first() {
        evidence.push(serde_json::json!({
            "item": "grade",
            "code": g.code,
            "source": "text",
            "phrase": g.phrase,
        }));
    }
    for h in exam.screening.hits.iter().filter(|h| h.assertion.is_some()) {
        evidence.push(serde_json::json!({
            "item": "reportable",
            "phrase": h.phrase,
            "assertion": h.assertion.map(|a| format!("{a:?}")),
            "section": h.section.label(),
        }));
    }
    for r in &exam.decision.reasons {
        evidence.push(serde_json::json!({"item": "reportable", "reason": r}));
    }
    o.insert("evidence".into(), Value::from(evidence));
    Value::Object(o)
}

/// Generated Volume V files for the ingest benchmark: `reports` messages, `per_file` per file.
/// The patients are those of `registrar demo --seed 1` (most reports carry their SSN and date of
/// birth, some only name and date of birth, some are new people), so matching does real work.
pub fn bench_files(reports: usize, per_file: usize) -> Vec<Vec<u8>> {
    const DIAGNOSES: [(&str, &str, &str); 5] = [
        (
            "BREAST, LEFT, UPPER OUTER QUADRANT, CORE BIOPSY:\\.br\\INVASIVE DUCTAL CARCINOMA, NOTTINGHAM GRADE 2.",
            "Breast, left, core biopsy",
            "C50.412^Malignant neoplasm of upper-outer quadrant of left female breast^I10",
        ),
        (
            "LUNG, RIGHT UPPER LOBE, WEDGE RESECTION:\\.br\\ADENOCARCINOMA, ACINAR PREDOMINANT, MODERATELY DIFFERENTIATED.",
            "Lung, right upper lobe, wedge resection",
            "C34.11^Malignant neoplasm of upper lobe, right bronchus or lung^I10",
        ),
        (
            "COLON, SIGMOID, RESECTION:\\.br\\ADENOCARCINOMA, MODERATELY DIFFERENTIATED, INVADING MUSCULARIS PROPRIA.",
            "Colon, sigmoid, resection",
            "C18.7^Malignant neoplasm of sigmoid colon^I10",
        ),
        (
            "PROSTATE, NEEDLE BIOPSIES:\\.br\\PROSTATIC ADENOCARCINOMA, GLEASON SCORE 3+4=7, GRADE GROUP 2.",
            "Prostate, needle biopsies",
            "C61^Malignant neoplasm of prostate^I10",
        ),
        (
            "SKIN, LEFT FOREARM, SHAVE BIOPSY:\\.br\\SEBORRHEIC KERATOSIS. NEGATIVE FOR MALIGNANCY.",
            "Skin, left forearm, shave biopsy",
            "",
        ),
    ];
    let today = chrono::Utc::now().date_naive();
    let mut people = crate::domain::demo::generate(1, reports, today);
    let mut files = Vec::new();
    let mut current = Vec::new();
    for i in 0..reports {
        let person = people.next();
        let item = |id: &str| {
            person
                .as_ref()
                .and_then(|p| p.item(id))
                .unwrap_or("")
                .to_string()
        };
        let (mut last, first, dob, sex) = (
            item("nameLast"),
            item("nameFirst"),
            item("dateOfBirth"),
            item("sexAssignedAtBirth"),
        );
        let mut ssn = item("socialSecurityNumber");
        match i % 10 {
            // Name and date of birth only: a possible match.
            7 | 8 => ssn.clear(),
            // Someone new.
            9 => {
                last = format!("NEWPERSON{i}");
                ssn.clear();
            }
            _ => {}
        }
        let sex = match sex.as_str() {
            "1" => "M",
            "2" => "F",
            _ => "U",
        };
        let (diagnosis, specimen, icd10) = DIAGNOSES[i % DIAGNOSES.len()];
        let ssn_field = if ssn.is_empty() {
            String::new()
        } else {
            format!("~{ssn}^^^USSSA^SS")
        };
        let message = format!(
            "MSH|^~\\&|BENCH|BENCH LAB^99D0000042^CLIA|REGISTRY|STATECR|20250301101500||ORU^R01^ORU_R01|B{i}|P|2.5.1|||||||||VOL_V_51_ORU_R01^NAACCR_CP\r\
PID|1||BM{i}^^^BENCH&99D0000042&CLIA^MR{ssn_field}||{last}^{first}^^^^^L||{dob}|{sex}|||{i} Bench St^^Testville^VT^05001^USA^H\r\
ORC|RE||||||||||||||||||||Bench Clinic^^^^^NPI^^^^1999800042\r\
OBR|1||B25-{i}^BENCH^99D0000042^CLIA|11529-5^Surgical pathology study^LN|||20250301090000|||||||20250301140000|TISS&Tissue&HL70487|||||||20250303160000|||F||||||{icd10}\r\
OBX|1|TX|22633-2^Path report.site of origin^LN|1|{specimen}||||||F\r\
OBX|2|FT|22637-3^Path report.final diagnosis^LN|1|{diagnosis}||||||F\r\n"
        );
        current.extend_from_slice(message.as_bytes());
        if (i + 1) % per_file == 0 {
            files.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        files.push(current);
    }
    files
}
pub type FieldErrorsView = BTreeMap<String, String>;
