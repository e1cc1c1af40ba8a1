//! Follow-up use cases: the CoC worksheet over the whole registry (streaming), the response form
//! behind a one-time token, accepting (or correcting) a response into the abstract, contacts and
//! letter templates. Each change runs in one transaction with its audit event.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::audit::{self, Action, Actor, AuditEvent, FieldChange};
use crate::config::Settings;
use crate::db::schema::{patients, tumors};
use crate::db::{DbConn, write_tx};
use crate::domain::date::PartialDate;
use crate::domain::followup::{
    self as rules, CancerStatus, FollowUpCase, FollowUpResponse, FollowUpSource, PatientFollowUp,
    TumorCancerStatus, TumorFollowUp, VitalStatus, Worksheet, WorksheetCase,
};
use crate::error::AppError;
use crate::jobs::followup::FollowUpExtras;
use crate::models::followup::{self as rows, Request};
use crate::models::patient::{self, Patient, Scope};
use crate::models::tumor::{self, Tumor};

// ---------------------------------------------------------------------------------------------
// Worksheet
// ---------------------------------------------------------------------------------------------

/// The first day counted on the worksheet: the later of the reference date and 1 January of the
/// follow-up start year (older cases are no longer followed).
pub fn worksheet_reference(settings: &Settings) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(i32::from(settings.follow_up.follow_up_start_year), 1, 1)
        .unwrap_or(settings.reference_date);
    settings.reference_date.max(start)
}

/// The columns of a tumor and its patient the worksheet and the follow-up lists read (one row per
/// tumor).
#[derive(Debug, Queryable)]
struct WorksheetRow {
    id: i64,
    patient_id: i64,
    name_last: String,
    name_first: Option<String>,
    class_of_case: Option<String>,
    date_of_diagnosis: Option<String>,
    behavior: Option<String>,
    primary_site: Option<String>,
    histology: Option<String>,
    summary_stage_2018: Option<String>,
    derived_summary_stage_2018: Option<String>,
    items: String,
    date_of_birth: Option<String>,
    date_of_last_contact: Option<String>,
    vital_status: Option<String>,
}

/// The worksheet case and the follow-up case of a row.
fn cases_of(row: &WorksheetRow) -> (WorksheetCase, FollowUpCase) {
    let extra: FollowUpExtras = serde_json::from_str(&row.items).unwrap_or_default();
    let patient_item = |id: &str| -> Option<&str> {
        match id {
            "dateOfBirth" => row.date_of_birth.as_deref(),
            "dateOfLastContact" => row.date_of_last_contact.as_deref(),
            "vitalStatus" => row.vital_status.as_deref(),
            _ => None,
        }
    };
    let tumor_item = |id: &str| -> Option<&str> {
        match id {
            "classOfCase" => row.class_of_case.as_deref(),
            "dateOfDiagnosis" => row.date_of_diagnosis.as_deref(),
            "behaviorCodeIcdO3" => row.behavior.as_deref(),
            "primarySite" => row.primary_site.as_deref(),
            "histologicTypeIcdO3" => row.histology.as_deref(),
            "summaryStage2018" => row.summary_stage_2018.as_deref(),
            "derivedSummaryStage2018" => row.derived_summary_stage_2018.as_deref(),
            "addrAtDxState" => extra.addr_at_dx_state.as_deref(),
            "addrAtDxCountry" => extra.addr_at_dx_country.as_deref(),
            "nextFollowUpSource" => extra.next_follow_up_source.as_deref(),
            "seerSummaryStage2000" => extra.seer_summary_stage_2000.as_deref(),
            _ => None,
        }
    };
    (
        WorksheetCase::from_items(patient_item, tumor_item),
        FollowUpCase::from_items(patient_item, tumor_item),
    )
}

/// A line of a follow-up list: the patient and why it is there.
pub struct ListLine {
    pub patient_id: i64,
    pub name: String,
    pub detail: String,
}

/// The follow-up lists of the dashboard and the control list.
#[derive(Default)]
pub struct StatusLists {
    pub due_this_month: Vec<ListLine>,
    pub delinquent: Vec<ListLine>,
    pub lost: Vec<ListLine>,
}

/// Fills the lists while the worksheet streams by (a patient is listed once, by its first tumor
/// that is due or delinquent).
struct ListsBuilder<'s> {
    settings: &'s Settings,
    today: NaiveDate,
    limit: usize,
    lists: StatusLists,
    listed: std::collections::HashSet<i64>,
}

impl ListsBuilder<'_> {
    fn add(&mut self, row: &WorksheetRow, case: &FollowUpCase) {
        use chrono::Datelike;
        let status = rules::follow_up_status(case, &self.settings.follow_up, self.today);
        // The patient's first due or delinquent tumor decides, whether or not it is listed.
        let (rules::FollowUpStatus::Due { since } | rules::FollowUpStatus::Delinquent { since }) =
            status
        else {
            return;
        };
        if !self.listed.insert(row.patient_id) {
            return;
        }
        let (list, detail) = match status {
            rules::FollowUpStatus::Due { .. }
                if since.year() == self.today.year() && since.month() == self.today.month() =>
            {
                (&mut self.lists.due_this_month, format!("due since {since}"))
            }
            rules::FollowUpStatus::Due { .. } => return,
            _ if rules::is_lost_to_follow_up(case, &self.settings.follow_up, self.today) => {
                (&mut self.lists.lost, format!("delinquent since {since}"))
            }
            _ => (
                &mut self.lists.delinquent,
                format!("delinquent since {since}"),
            ),
        };
        if list.len() >= self.limit {
            return;
        }
        list.push(ListLine {
            patient_id: row.patient_id,
            name: match &row.name_first {
                Some(f) if !f.is_empty() => format!("{}, {f}", row.name_last),
                _ => row.name_last.clone(),
            },
            detail,
        });
    }
}

/// Tumors read per query by the worksheet.
const WORKSHEET_PAGE: i64 = 20_000;

/// Worksheet cases read a page of tumors at a time (only the columns the worksheet needs, only
/// the scope's facilities); a query error ends the stream and is kept.
struct PagedCases<'c, 's> {
    conn: &'c mut DbConn,
    lists: Option<ListsBuilder<'s>>,
    facilities: Option<Vec<i64>>,
    after: i64,
    buffer: std::vec::IntoIter<WorksheetCase>,
    error: Option<diesel::result::Error>,
    done: bool,
}

impl PagedCases<'_, '_> {
    fn page(&mut self) -> QueryResult<Vec<WorksheetRow>> {
        let mut query = tumors::table
            .inner_join(patients::table)
            .filter(tumors::id.gt(self.after))
            .order(tumors::id.asc())
            .limit(WORKSHEET_PAGE)
            .select((
                tumors::id,
                tumors::patient_id,
                patients::name_last,
                patients::name_first,
                tumors::class_of_case,
                tumors::date_of_diagnosis,
                tumors::behavior,
                tumors::primary_site,
                tumors::histology,
                tumors::summary_stage_2018,
                tumors::derived_summary_stage_2018,
                tumors::items,
                patients::date_of_birth,
                patients::date_of_last_contact,
                patients::vital_status,
            ))
            .into_boxed();
        if let Some(ids) = &self.facilities {
            query = query.filter(patients::facility_id.eq_any(ids.clone()));
        }
        query.load(self.conn)
    }
}

impl Iterator for PagedCases<'_, '_> {
    type Item = WorksheetCase;
    fn next(&mut self) -> Option<WorksheetCase> {
        loop {
            if let Some(case) = self.buffer.next() {
                return Some(case);
            }
            if self.done {
                return None;
            }
            match self.page() {
                Ok(page) => {
                    match page.last() {
                        Some(last) => self.after = last.id,
                        None => self.done = true,
                    }
                    let lists = &mut self.lists;
                    let cases: Vec<WorksheetCase> = page
                        .iter()
                        .map(|row| {
                            let (worksheet, follow_up) = cases_of(row);
                            if let Some(lists) = lists.as_mut() {
                                lists.add(row, &follow_up);
                            }
                            worksheet
                        })
                        .collect();
                    self.buffer = cases.into_iter();
                }
                Err(e) => {
                    self.error = Some(e);
                    self.done = true;
                }
            }
        }
    }
}

/// The CoC follow-up worksheet over every tumor of the scope's facilities, one page at a time
/// (constant memory, only the needed columns).
pub fn worksheet(
    conn: &mut DbConn,
    settings: &Settings,
    scope: &Scope,
    today: NaiveDate,
) -> QueryResult<Worksheet> {
    stream(conn, settings, scope, today, None).map(|(w, _)| w)
}

/// The worksheet and the follow-up lists (due this month, delinquent, lost; at most `limit` lines
/// each) in the same single pass.
pub fn worksheet_and_lists(
    conn: &mut DbConn,
    settings: &Settings,
    scope: &Scope,
    today: NaiveDate,
    limit: usize,
) -> QueryResult<(Worksheet, StatusLists)> {
    let builder = ListsBuilder {
        settings,
        today,
        limit,
        lists: StatusLists::default(),
        listed: std::collections::HashSet::new(),
    };
    stream(conn, settings, scope, today, Some(builder))
}

fn stream(
    conn: &mut DbConn,
    settings: &Settings,
    scope: &Scope,
    today: NaiveDate,
    lists: Option<ListsBuilder<'_>>,
) -> QueryResult<(Worksheet, StatusLists)> {
    let mut cases = PagedCases {
        conn,
        lists,
        facilities: match scope {
            Scope::All => None,
            Scope::Facilities(ids) => Some(ids.clone()),
        },
        after: 0,
        buffer: Vec::new().into_iter(),
        error: None,
        done: false,
    };
    let worksheet = rules::coc_worksheet(&mut cases, worksheet_reference(settings), today);
    match cases.error {
        Some(e) => Err(e),
        None => Ok((worksheet, cases.lists.map(|l| l.lists).unwrap_or_default())),
    }
}

/// The worksheet as `registrar followup rates` prints it.
pub fn rates_json(worksheet: &Worksheet, reference: NaiveDate) -> serde_json::Value {
    serde_json::json!({
        "A": worksheet.all.a,
        "B": worksheet.all.b,
        "C": worksheet.all.c,
        "D": worksheet.all.d,
        "E": worksheet.all.e,
        "rateAll": worksheet.all.rate,
        "rateLast5Years": worksheet.last5.rate,
        "referenceDate": reference.to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// The response form
// ---------------------------------------------------------------------------------------------

/// Why a response link does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefused {
    Unknown,
    Used,
    Expired,
}

/// A tumor as the response form names it: by when it was first recorded, never by diagnosis.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FormTumor {
    pub tumor_id: i64,
    pub label: String,
}

/// What the response form shows.
pub struct FormContext {
    pub request: Request,
    pub patient_name: String,
    pub patient_birth_date: String,
    pub tumors: Vec<FormTumor>,
}

/// What the contact submitted, as held for the registrar.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct SubmittedAnswers {
    /// Date last seen, as typed (`2026-03-15`, `2026-03`).
    pub date_last_seen: String,
    /// `1` alive, `0` dead, `` not known.
    pub vital_status: String,
    pub date_of_death: String,
    pub cause_of_death: String,
    /// Tumor id → cancer status code (1, 2, 9).
    pub cancer_status: BTreeMap<i64, String>,
    /// `yes`, `no`, `unknown`.
    pub recurrence: String,
    /// When the disease returned, as typed (with `recurrence` = `yes`).
    pub recurrence_date: String,
    pub new_treatment: String,
    pub note: String,
    /// The day the answer arrived.
    pub received_on: String,
}

impl SubmittedAnswers {
    /// The cancer status given for a tumor ("" when none).
    pub fn status_of(&self, tumor_id: &i64) -> &str {
        self.cancer_status
            .get(tumor_id)
            .map(String::as_str)
            .unwrap_or("")
    }
}

fn form_tumors(tumors: &[Tumor]) -> Vec<FormTumor> {
    tumors
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let when = t
                .date_of_diagnosis
                .as_deref()
                .and_then(|d| PartialDate::parse(d).ok())
                .map(|d| match d.month() {
                    Some(m) => format!("{:02}/{}", m, d.year()),
                    None => d.year().to_string(),
                })
                .unwrap_or_else(|| "date not recorded".into());
            FormTumor {
                tumor_id: t.id,
                label: format!("Condition {} (first recorded {when})", i + 1),
            }
        })
        .collect()
}

/// Opens a response link: the request must exist, be unused and unexpired.
pub fn open_link(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
) -> Result<Result<FormContext, LinkRefused>, AppError> {
    let hash = rules::hash_token(token);
    let Some(request) = rows::request_by_token_hash(conn, &hash)? else {
        return Ok(Err(LinkRefused::Unknown));
    };
    if request.used_at.is_some() {
        return Ok(Err(LinkRefused::Used));
    }
    if request.expires_at <= now {
        return Ok(Err(LinkRefused::Expired));
    }
    let patient =
        patient::find_scoped(conn, &Scope::All, request.patient_id)?.ok_or(AppError::NotFound)?;
    let tumors = tumor::for_patient(conn, patient.id)?;
    Ok(Ok(FormContext {
        patient_name: patient.display_name(),
        patient_birth_date: crate::routes::shown("dateOfBirth", patient.date_of_birth.as_deref()),
        tumors: form_tumors(&tumors),
        request,
    }))
}

/// Checks what the form sent; returns the errors to show next to the fields.
pub fn check_answers(answers: &SubmittedAnswers) -> BTreeMap<&'static str, String> {
    let mut errors = BTreeMap::new();
    let date_ok = |s: &str| s.trim().is_empty() || PartialDate::parse(s).is_ok();
    if !date_ok(&answers.date_last_seen) {
        errors.insert(
            "date_last_seen",
            "Type the date as 2026-03-15, 2026-03 or 2026.".into(),
        );
    }
    if !date_ok(&answers.recurrence_date) {
        errors.insert(
            "recurrence_date",
            "Type the date as 2026-03-15, 2026-03 or 2026.".into(),
        );
    }
    if !date_ok(&answers.date_of_death) {
        errors.insert(
            "date_of_death",
            "Type the date as 2026-03-15, 2026-03 or 2026.".into(),
        );
    }
    match answers.vital_status.as_str() {
        "1" | "0" | "" => {}
        _ => {
            errors.insert("vital_status", "Choose alive, died or not known.".into());
        }
    }
    if answers.vital_status == "0" && answers.date_of_death.trim().is_empty() {
        errors.insert(
            "date_of_death",
            "Give the date of death (the year is enough if that is all you know).".into(),
        );
    }
    for code in answers.cancer_status.values() {
        if !matches!(code.as_str(), "1" | "2" | "9" | "") {
            errors.insert("cancer_status", "Choose one answer per condition.".into());
        }
    }
    if answers.note.len() > 4000 || answers.cause_of_death.len() > 500 {
        errors.insert(
            "note",
            "The text is too long (4000 characters at most).".into(),
        );
    }
    errors
}

/// Stores a response and uses up the token, in one transaction. `Err(LinkRefused)` when the link
/// was used (or expired) meanwhile.
pub fn submit_response(
    conn: &mut DbConn,
    token: &str,
    answers: &SubmittedAnswers,
    now: NaiveDateTime,
) -> Result<Result<i64, LinkRefused>, AppError> {
    let hash = rules::hash_token(token);
    let values = serde_json::to_string(answers).map_err(|e| AppError::Internal(e.into()))?;
    write_tx(conn, |conn| {
        let Some(request) = rows::request_by_token_hash(conn, &hash)? else {
            return Ok(Err(LinkRefused::Unknown));
        };
        if request.expires_at <= now {
            return Ok(Err(LinkRefused::Expired));
        }
        if !rows::use_token(conn, request.id, now)? {
            return Ok(Err(LinkRefused::Used));
        }
        let patient = patient::find_scoped(conn, &Scope::All, request.patient_id)?
            .ok_or(AppError::NotFound)?;
        let id = rows::insert_response(
            conn,
            &rows::NewResponse {
                request_id: request.id,
                patient_id: request.patient_id,
                submitted_values: values.clone(),
                submitted_at: now,
                state: "pending".into(),
            },
        )?;
        audit::record(
            conn,
            &Actor::system("followup-response"),
            &AuditEvent::new(Action::Create, "followup_response")
                .id(id)
                .patient(patient.id, patient.facility_id)
                .detail(format!(
                    "answer to request {} held for the registrar",
                    request.id
                )),
        )?;
        Ok(Ok(id))
    })
}

// ---------------------------------------------------------------------------------------------
// Accepting a response
// ---------------------------------------------------------------------------------------------

/// A held response with what the registrar needs to decide.
pub struct ResponseReview {
    pub response: rows::Response,
    pub answers: SubmittedAnswers,
    pub patient: Patient,
    pub tumors: Vec<FormTumor>,
    pub contact: Option<rows::Contact>,
}

pub fn review_response(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    id: i64,
) -> Result<ResponseReview, AppError> {
    write_tx(conn, |conn| {
        let response = rows::find_response(conn, id)?.ok_or(AppError::NotFound)?;
        let patient =
            patient::find_scoped(conn, scope, response.patient_id)?.ok_or(AppError::NotFound)?;
        let tumors = tumor::for_patient(conn, patient.id)?;
        let request = rows::find_request(conn, response.request_id)?;
        let contact = match request.and_then(|r| r.contact_id) {
            Some(cid) => rows::find_contact(conn, cid)?,
            None => None,
        };
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Read, "followup_response")
                .id(response.id)
                .patient(patient.id, patient.facility_id),
        )?;
        let answers = serde_json::from_str(&response.submitted_values).unwrap_or_default();
        Ok(ResponseReview {
            response,
            answers,
            patient,
            tumors: form_tumors(&tumors),
            contact,
        })
    })
}

fn to_domain_response(
    answers: &SubmittedAnswers,
    tumors: &[Tumor],
    source: FollowUpSource,
    received_on: NaiveDate,
) -> Result<FollowUpResponse, AppError> {
    let date = |s: &str| -> Result<Option<PartialDate>, AppError> {
        if s.trim().is_empty() {
            Ok(None)
        } else {
            PartialDate::parse(s)
                .map(Some)
                .map_err(|e| AppError::BadRequest(e.to_string()))
        }
    };
    let vital_status = match answers.vital_status.as_str() {
        "0" => VitalStatus::Dead,
        "1" => VitalStatus::Alive,
        _ => {
            return Err(AppError::BadRequest(
                "The answer does not say whether the patient is alive: correct vital status before accepting."
                    .into(),
            ));
        }
    };
    let cancer_status = tumors
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            answers
                .cancer_status
                .get(&t.id)
                .and_then(|c| CancerStatus::parse(c))
                .map(|status| TumorCancerStatus { tumor: i, status })
        })
        .collect();
    Ok(FollowUpResponse {
        date_of_contact: date(&answers.date_last_seen)?,
        received_on,
        vital_status,
        date_of_death: date(&answers.date_of_death)?,
        cancer_status,
        source,
        next_follow_up_source: None,
    })
}

/// The recurrence items an answer gives a tumor: Recurrence Date--1st [1860] and Type--1st [1880]
/// when the disease returned on a given date, for the tumor with evidence of disease (or the only
/// tumor), unless a first recurrence is recorded already.
fn recurrence_items(
    answers: &SubmittedAnswers,
    row: &Tumor,
    only_tumor: bool,
) -> Vec<(&'static str, Option<String>)> {
    let Ok(date) = PartialDate::parse(answers.recurrence_date.trim()) else {
        return Vec::new();
    };
    let concerned = only_tumor || answers.status_of(&row.id) == "2";
    let recorded = row
        .item("recurrenceDate1st")
        .is_some_and(|d| !d.trim().is_empty());
    if answers.recurrence != "yes" || !concerned || recorded {
        return Vec::new();
    }
    vec![
        ("recurrenceDate1st", Some(date.to_naaccr())),
        (
            "recurrenceType1st",
            Some(rules::RECURRENCE_TYPE_UNKNOWN.to_string()),
        ),
    ]
}

/// Applies answers (a held response, or a phone call) through the record view: patient-level date
/// of last contact, vital status and (an ICD-10 code given) cause of death; per tumor cancer
/// status, follow-up source and a first recurrence. Saved and audited by the patient services.
pub(crate) fn apply_answers(
    conn: &mut DbConn,
    actor: &Actor,
    patient: &mut Patient,
    tumor_rows: &mut [Tumor],
    answers: &SubmittedAnswers,
    source: FollowUpSource,
    received_on: NaiveDate,
) -> Result<Vec<rules::FieldChange>, AppError> {
    let domain = to_domain_response(answers, tumor_rows, source, received_on)?;
    let current = PatientFollowUp {
        date_of_last_contact: patient
            .date_of_last_contact
            .as_deref()
            .and_then(|d| PartialDate::parse(d).ok()),
        vital_status: patient.vital_status.as_deref().and_then(VitalStatus::parse),
        tumors: tumor_rows
            .iter()
            .map(|t| TumorFollowUp {
                cancer_status: t.cancer_status.as_deref().and_then(CancerStatus::parse),
                date_of_last_cancer_status: t
                    .item("dateOfLastCancerStatus")
                    .and_then(|d| PartialDate::parse(&d).ok()),
                follow_up_source: t
                    .item("followUpSource")
                    .and_then(|c| FollowUpSource::parse(&c)),
                next_follow_up_source: t
                    .item("nextFollowUpSource")
                    .and_then(|c| rules::NextFollowUpSource::parse(&c)),
            })
            .collect(),
    };
    let changes = rules::apply_response(&current, &domain)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let mut patient_values: Vec<(&str, Option<String>)> = changes
        .iter()
        .filter(|c| c.tumor.is_none())
        .map(|c| (c.naaccr_id, Some(c.new.clone())))
        .collect();
    if answers.vital_status == "0"
        && let Some(code) = rules::icd10_cause_of_death(&answers.cause_of_death)
    {
        patient_values.push(("causeOfDeath", Some(code)));
        patient_values.push(("icdRevisionNumber", Some("1".to_string())));
    }
    super::patients::change_patient(conn, actor, patient, patient_values)?;
    let only_tumor = tumor_rows.len() == 1;
    for (index, row) in tumor_rows.iter_mut().enumerate() {
        let mut values: Vec<(&str, Option<String>)> = changes
            .iter()
            .filter(|c| c.tumor == Some(index))
            .map(|c| (c.naaccr_id, Some(c.new.clone())))
            .collect();
        values.extend(recurrence_items(answers, row, only_tumor));
        if !values.is_empty() {
            super::patients::change_tumor(conn, actor, patient, row, values)?;
        }
    }
    Ok(changes)
}

/// Applies a held response (as submitted, or as corrected by the registrar) through the record
/// view: patient-level date of last contact and vital status, per-tumor cancer status and
/// follow-up source. One transaction, audited field by field.
pub fn accept_response(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    id: i64,
    corrected: Option<SubmittedAnswers>,
) -> Result<Vec<rules::FieldChange>, AppError> {
    write_tx(conn, |conn| {
        let response = rows::find_response(conn, id)?.ok_or(AppError::NotFound)?;
        if response.state != "pending" {
            return Err(AppError::Conflict(
                "This response has been decided already.".into(),
            ));
        }
        let mut patient =
            patient::find_scoped(conn, scope, response.patient_id)?.ok_or(AppError::NotFound)?;
        let mut tumor_rows = tumor::for_patient(conn, patient.id)?;
        let submitted: SubmittedAnswers =
            serde_json::from_str(&response.submitted_values).unwrap_or_default();
        let (answers, state) = match corrected {
            Some(c) if c != submitted => (c, "corrected"),
            _ => (submitted, "accepted"),
        };
        let errors = check_answers(&answers);
        if let Some((_, message)) = errors.iter().next() {
            return Err(AppError::BadRequest(message.clone()));
        }
        let request = rows::find_request(conn, response.request_id)?;
        let source = match request.and_then(|r| r.contact_id) {
            Some(cid) => match rows::find_contact(conn, cid)? {
                Some(c) if c.role == "patient" || c.role == "other" => FollowUpSource::Patient,
                _ => FollowUpSource::Physician,
            },
            None => FollowUpSource::Physician,
        };
        let changes = apply_answers(
            conn,
            actor,
            &mut patient,
            &mut tumor_rows,
            &answers,
            source,
            response.submitted_at.date(),
        )?;
        let applied = serde_json::to_string(&answers).map_err(|e| AppError::Internal(e.into()))?;
        if !rows::decide_response(
            conn,
            response.id,
            state,
            &applied,
            actor.user_id,
            crate::models::now(),
        )? {
            return Err(AppError::Conflict(
                "This response has been decided already.".into(),
            ));
        }
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Update, "followup_response")
                .id(response.id)
                .patient(patient.id, patient.facility_id)
                .detail(state),
        )?;
        Ok(changes)
    })
}

// ---------------------------------------------------------------------------------------------
// Contacts and templates
// ---------------------------------------------------------------------------------------------

/// A contact as typed in the editor.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContactForm {
    pub role: String,
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub postal_address: String,
    #[serde(default)]
    pub preferred_channel: String,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_to: String,
}

fn blank_none(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|v| !v.is_empty())
}

pub fn check_contact(form: &ContactForm) -> Result<(), String> {
    if !rows::CONTACT_ROLES.iter().any(|(r, _)| *r == form.role) {
        return Err("Choose the contact's role.".into());
    }
    if form.name.trim().is_empty() {
        return Err("Type the contact's name.".into());
    }
    if !rows::CHANNELS
        .iter()
        .any(|(c, _)| *c == form.preferred_channel)
    {
        return Err("Choose how to reach the contact.".into());
    }
    let email = form.email.trim();
    if !email.is_empty() && email.parse::<lettre::Address>().is_err() {
        return Err("The e-mail address is not valid.".into());
    }
    if form.preferred_channel == "email" && email.is_empty() {
        return Err("E-mail is the preferred channel: type the e-mail address.".into());
    }
    if form.preferred_channel == "letter" && form.postal_address.trim().is_empty() {
        return Err("Printed letter is the preferred channel: type the postal address.".into());
    }
    for d in [&form.valid_from, &form.valid_to] {
        if !d.trim().is_empty() && NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").is_err() {
            return Err("Type validity dates as 2026-03-15.".into());
        }
    }
    Ok(())
}

/// Adds a contact to a patient (audited).
pub fn add_contact(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    patient_id: i64,
    form: &ContactForm,
) -> Result<i64, AppError> {
    check_contact(form).map_err(AppError::BadRequest)?;
    write_tx(conn, |conn| {
        let patient = patient::find_scoped(conn, scope, patient_id)?.ok_or(AppError::NotFound)?;
        let now = crate::models::now();
        let id = rows::insert_contact(
            conn,
            &rows::NewContact {
                patient_id: patient.id,
                role: form.role.clone(),
                name: form.name.trim().to_string(),
                email: blank_none(&form.email),
                postal_address: blank_none(&form.postal_address),
                preferred_channel: form.preferred_channel.clone(),
                valid_from: blank_none(&form.valid_from),
                valid_to: blank_none(&form.valid_to),
                invalid: false,
                invalid_reason: None,
                created_at: now,
                updated_at: now,
            },
        )?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Create, "followup_contact")
                .id(id)
                .patient(patient.id, patient.facility_id)
                .detail(format!("role {}", form.role)),
        )?;
        Ok(id)
    })
}

/// Marks a contact invalid or valid again (a registrar fixed the address).
pub fn set_contact_invalid(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    contact_id: i64,
    invalid: bool,
) -> Result<i64, AppError> {
    write_tx(conn, |conn| {
        let mut contact = rows::find_contact(conn, contact_id)?.ok_or(AppError::NotFound)?;
        let patient =
            patient::find_scoped(conn, scope, contact.patient_id)?.ok_or(AppError::NotFound)?;
        let change = FieldChange::between(
            "invalid",
            Some(&contact.invalid.to_string()),
            Some(&invalid.to_string()),
        );
        contact.invalid = invalid;
        if !invalid {
            contact.invalid_reason = None;
        }
        rows::save_contact(conn, &mut contact)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Update, "followup_contact")
                .id(contact.id)
                .patient(patient.id, patient.facility_id)
                .changes(change.into_iter().collect()),
        )?;
        Ok(patient.id)
    })
}

/// Saves a new version of a letter template after checking placeholders and minimum necessary.
pub fn save_template(
    conn: &mut DbConn,
    actor: &Actor,
    kind: &str,
    subject: &str,
    text: &str,
    html: &str,
) -> Result<i32, Vec<String>> {
    if kind != "physician" && kind != "patient" {
        return Err(vec!["Unknown letter kind.".into()]);
    }
    let mut problems = Vec::new();
    let sample = rules::LetterValues::default();
    for (name, body) in [("subject", subject), ("text", text), ("HTML", html)] {
        if let Err(e) = rules::render_letter(body, &sample) {
            problems.push(format!("{name}: {e}"));
        }
        if let Err(words) = rules::check_minimum_necessary(body) {
            problems.extend(words.into_iter().map(|w| format!("{name}: {w}")));
        }
    }
    if !text.contains("{{response_link}}") && !text.contains("{{ response_link }}") {
        problems.push("text: the letter must carry the {{response_link}}".into());
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    write_tx(conn, |conn| -> QueryResult<i32> {
        let version = rows::current_template(conn, kind)?.map_or(1, |t| t.version + 1);
        let id = rows::insert_template(
            conn,
            &rows::NewLetterTemplate {
                contact_role: kind.to_string(),
                version,
                subject: subject.to_string(),
                body_text: text.to_string(),
                body_html: html.to_string(),
                created_by: actor.user_id,
                created_at: crate::models::now(),
            },
        )?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Create, "letter_template")
                .id(id)
                .detail(format!("{kind} letter version {version}")),
        )?;
        Ok(version)
    })
    .map_err(|e| vec![format!("The template could not be saved: {e}")])
}

// ---------------------------------------------------------------------------------------------
// Next follow-up source, not followed, phone follow-up
// ---------------------------------------------------------------------------------------------

/// Next Follow-Up Source [1800] codes a registrar chooses on a patient's follow-up page.
pub const NEXT_SOURCES: [(&str, &str); 8] = [
    ("1", "Physician letter"),
    ("2", "Contact letter"),
    ("3", "Phone call"),
    ("0", "Chart requisition"),
    ("4", "Other hospital contact"),
    ("5", "Other, NOS"),
    ("8", "Foreign resident: not followed"),
    ("9", "Not followed, other reason"),
];

/// Sets Next Follow-Up Source on every tumor of a patient; 8 and 9 (not followed) need a reason,
/// kept with the patient. One transaction, audited (the tumors through the patient services).
pub fn set_next_source(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    patient_id: i64,
    code: &str,
    reason: &str,
) -> Result<(), AppError> {
    let code = code.trim();
    let reason = reason.trim();
    if !NEXT_SOURCES.iter().any(|(c, _)| *c == code) {
        return Err(AppError::BadRequest(
            "Choose the next follow-up source.".into(),
        ));
    }
    let not_followed = matches!(code, "8" | "9");
    if not_followed && reason.is_empty() {
        return Err(AppError::BadRequest(
            "Give the reason the patient is not followed.".into(),
        ));
    }
    if reason.len() > 500 {
        return Err(AppError::BadRequest(
            "The reason is too long (500 characters at most).".into(),
        ));
    }
    write_tx(conn, |conn| {
        let patient = patient::find_scoped(conn, scope, patient_id)?.ok_or(AppError::NotFound)?;
        for mut row in tumor::for_patient(conn, patient.id)? {
            super::patients::change_tumor(
                conn,
                actor,
                &patient,
                &mut row,
                [("nextFollowUpSource", Some(code.to_string()))],
            )?;
        }
        let before = rows::not_followed_of(conn, patient.id)?;
        let after = not_followed.then(|| rows::NotFollowed {
            patient_id: patient.id,
            next_source: code.to_string(),
            reason: reason.to_string(),
            set_by: actor.user_id,
            set_at: crate::models::now(),
        });
        rows::set_not_followed(conn, patient.id, after.as_ref())?;
        let change = FieldChange::between(
            "notFollowedReason",
            before.as_ref().map(|b| b.reason.as_str()),
            after.as_ref().map(|a| a.reason.as_str()),
        );
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Update, "followup_next_source")
                .id(patient.id)
                .patient(patient.id, patient.facility_id)
                .changes(change.into_iter().collect())
                .detail(format!("next follow-up source {code}")),
        )?;
        Ok(())
    })
}

/// A patient to call: every letter of the cycle went unanswered, or a letter bounced.
pub struct PhoneTask {
    pub patient_id: i64,
    pub name: String,
    pub why: String,
}

/// The phone follow-up list of the scope's facilities: patients whose `max_requests` letters got
/// no answer, and patients whose letter bounced (needs another contact). Reads only patients with
/// open requests, a page at a time.
pub fn phone_tasks(
    conn: &mut DbConn,
    settings: &Settings,
    scope: &Scope,
    today: NaiveDate,
) -> Result<Vec<PhoneTask>, AppError> {
    let mut tasks = Vec::new();
    let mut after = 0;
    loop {
        let ids = rows::patients_with_open_requests(conn, scope, after, 500)?;
        let Some(last) = ids.last() else { break };
        after = *last;
        let page: Vec<Patient> = patients::table
            .filter(patients::id.eq_any(&ids))
            .order(patients::id.asc())
            .select(Patient::as_select())
            .load(conn)?;
        let page_tumors: Vec<Tumor> = tumors::table
            .filter(tumors::patient_id.eq_any(&ids))
            .order((tumors::patient_id.asc(), tumors::id.asc()))
            .select(Tumor::as_select())
            .load(conn)?;
        let requests = rows::requests_of_many(conn, &ids)?;
        for p in &page {
            let own: Vec<&Tumor> = page_tumors
                .iter()
                .filter(|t| t.patient_id == p.id)
                .collect();
            let mine: Vec<&Request> = requests.iter().filter(|r| r.patient_id == p.id).collect();
            let bounced = mine
                .iter()
                .any(|r| r.state == "bounced" || r.state == "undelivered");
            let plan = crate::jobs::followup::plan_for(p, &own, &mine, settings, today);
            let why = match plan.map(|plan| plan.decision) {
                Some(rules::RequestDecision::Exhausted) => format!(
                    "{} letters without an answer",
                    settings.follow_up.max_requests
                ),
                _ if bounced => "letter bounced or undelivered: needs another contact".into(),
                _ => continue,
            };
            tasks.push(PhoneTask {
                patient_id: p.id,
                name: p.display_name(),
                why,
            });
        }
    }
    Ok(tasks)
}

/// What a registrar learned on the phone.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PhoneForm {
    pub date_of_contact: String,
    pub vital_status: String,
    #[serde(default)]
    pub date_of_death: String,
    #[serde(default)]
    pub cause_of_death: String,
    /// `physician`, `patient` or `other`: who answered.
    pub who: String,
}

/// Records a phone contact: date of last contact and vital status (cause of death) through the
/// record view like an accepted answer, and closes the patient's open requests. Audited.
pub fn record_phone_contact(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    patient_id: i64,
    form: &PhoneForm,
    today: NaiveDate,
) -> Result<(), AppError> {
    if form.date_of_contact.trim().is_empty() {
        return Err(AppError::BadRequest("Give the date of the contact.".into()));
    }
    let answers = SubmittedAnswers {
        date_last_seen: form.date_of_contact.trim().to_string(),
        vital_status: form.vital_status.trim().to_string(),
        date_of_death: form.date_of_death.trim().to_string(),
        cause_of_death: form.cause_of_death.trim().to_string(),
        received_on: today.to_string(),
        ..SubmittedAnswers::default()
    };
    if let Some((_, message)) = check_answers(&answers).into_iter().next() {
        return Err(AppError::BadRequest(message));
    }
    let source = match form.who.as_str() {
        "physician" => FollowUpSource::Physician,
        "patient" => FollowUpSource::Patient,
        _ => FollowUpSource::Other,
    };
    write_tx(conn, |conn| {
        let mut patient =
            patient::find_scoped(conn, scope, patient_id)?.ok_or(AppError::NotFound)?;
        let mut tumor_rows = tumor::for_patient(conn, patient.id)?;
        apply_answers(
            conn,
            actor,
            &mut patient,
            &mut tumor_rows,
            &answers,
            source,
            today,
        )?;
        let closed = rows::close_open_requests(conn, patient.id)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Create, "followup_phone_contact")
                .id(patient.id)
                .patient(patient.id, patient.facility_id)
                .detail(format!(
                    "phone contact of {} with the {}; {closed} open request(s) closed",
                    answers.date_last_seen, form.who
                )),
        )?;
        Ok(())
    })
}
