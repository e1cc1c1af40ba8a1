//! The follow-up letter job: one streaming pass over the patients (a page at a time, constant
//! memory) that finds who is due and not yet asked, picks the contact by Next Follow-Up Source, and
//! writes the follow-up request and its letter into the outbox in one transaction.
//!
//! Idempotent: a request is unique per patient, due cycle (the due date) and request number, so a
//! second run the same day, a restart after a crash or a second instance writes nothing twice. The
//! sender (`jobs::outbox`) delivers what is queued.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Action, Actor, AuditEvent};
use crate::config::Settings;
use crate::db::schema::{facilities, followup_requests, patients, tumors};
use crate::db::{DbConn, write_tx};
use crate::domain::followup::{
    self as rules, FollowUpCase, LetterValues, NextFollowUpSource, RequestDecision,
};
use crate::models::followup::{self as rows, Contact, NewOutboxLetter, NewRequest};
use crate::models::patient::Patient;
use crate::models::tumor::Tumor;

/// Patients read per query.
const PAGE: i64 = 2000;

/// What one run found and did (printed by the CLI as JSON).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    pub today: String,
    pub patients_scanned: u64,
    /// Followed and due or delinquent today.
    pub due: u64,
    /// Due, but a letter may not go out yet (letter start, reminder interval).
    pub waiting: u64,
    /// E-mails queued in the outbox.
    pub emails_queued: u64,
    /// Printed letters queued for the batch print list.
    pub letters_to_print: u64,
    /// The letter for this cycle and number exists already (earlier run, other instance).
    pub already_requested: u64,
    /// Every request of the cycle went out without an answer: phone follow-up.
    pub phone_tasks: u64,
    /// Due, but no usable contact for the chosen source.
    pub needs_another_contact: u64,
    /// Next follow-up source is not a letter (chart, phone, other hospital...).
    pub not_by_letter: u64,
    /// The rendered letter named a diagnosis (a value or a template); not sent.
    pub refused_minimum_necessary: u64,
}

/// A letter template (subject, text, HTML) for one kind of contact.
#[derive(Debug, Clone)]
pub struct Template {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The template in force for `kind` (`physician` or `patient`): the newest saved version, else the
/// built-in default.
pub fn template_for(conn: &mut DbConn, kind: &str) -> QueryResult<Template> {
    Ok(match rows::current_template(conn, kind)? {
        Some(t) => Template {
            subject: t.subject,
            text: t.body_text,
            html: t.body_html,
        },
        None if kind == "physician" => Template {
            subject: rules::PHYSICIAN_LETTER_SUBJECT.into(),
            text: rules::PHYSICIAN_LETTER_TEXT.into(),
            html: rules::PHYSICIAN_LETTER_HTML.into(),
        },
        None => Template {
            subject: rules::PATIENT_LETTER_SUBJECT.into(),
            text: rules::PATIENT_LETTER_TEXT.into(),
            html: rules::PATIENT_LETTER_HTML.into(),
        },
    })
}

/// The few NAACCR items of a tumor's JSON item bag that follow-up reads (the rest of the bag is
/// skipped while parsing, nothing else is allocated).
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct FollowUpExtras {
    #[serde(rename = "addrAtDxState")]
    pub(crate) addr_at_dx_state: Option<String>,
    #[serde(rename = "addrAtDxCountry")]
    pub(crate) addr_at_dx_country: Option<String>,
    #[serde(rename = "nextFollowUpSource")]
    pub(crate) next_follow_up_source: Option<String>,
    #[serde(rename = "seerSummaryStage2000")]
    pub(crate) seer_summary_stage_2000: Option<String>,
}

/// The follow-up view of one tumor of a patient (columns plus the few JSON items follow-up reads).
pub fn follow_up_case(patient: &Patient, tumor: &Tumor) -> FollowUpCase {
    let extra: FollowUpExtras = serde_json::from_str(&tumor.items).unwrap_or_default();
    let patient_item = |id: &str| -> Option<&str> {
        match id {
            "dateOfBirth" => patient.date_of_birth.as_deref(),
            "dateOfLastContact" => patient.date_of_last_contact.as_deref(),
            "vitalStatus" => patient.vital_status.as_deref(),
            _ => None,
        }
    };
    let tumor_item = |id: &str| -> Option<&str> {
        match id {
            "classOfCase" => tumor.class_of_case.as_deref(),
            "dateOfDiagnosis" => tumor.date_of_diagnosis.as_deref(),
            "behaviorCodeIcdO3" => tumor.behavior.as_deref(),
            "primarySite" => tumor.primary_site.as_deref(),
            "histologicTypeIcdO3" => tumor.histology.as_deref(),
            "addrAtDxState" => extra.addr_at_dx_state.as_deref(),
            "addrAtDxCountry" => extra.addr_at_dx_country.as_deref(),
            "nextFollowUpSource" => extra.next_follow_up_source.as_deref(),
            _ => None,
        }
    };
    FollowUpCase::from_items(patient_item, tumor_item)
}

/// What the job decided for one patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientPlan {
    pub due_on: NaiveDate,
    pub decision: RequestDecision,
    pub next_source: Option<NextFollowUpSource>,
}

/// Decides for one patient from its tumors and the requests already made in the current cycle.
pub fn plan_for(
    patient: &Patient,
    tumors: &[&Tumor],
    requests: &[&rows::Request],
    settings: &Settings,
    today: NaiveDate,
) -> Option<PatientPlan> {
    for tumor in tumors {
        let case = follow_up_case(patient, tumor);
        let Some(due) = rules::due_date(&case, &settings.follow_up) else {
            continue;
        };
        let due_text = due.to_string();
        let in_cycle: Vec<&&rows::Request> =
            requests.iter().filter(|r| r.due_on == due_text).collect();
        let sent = u32::try_from(in_cycle.len()).unwrap_or(u32::MAX);
        let last = in_cycle
            .iter()
            .filter_map(|r| NaiveDate::parse_from_str(&r.created_on, "%Y-%m-%d").ok())
            .max();
        let decision = rules::next_request(&case, &settings.follow_up, today, sent, last);
        if decision != RequestDecision::NotNeeded {
            return Some(PatientPlan {
                due_on: due,
                decision,
                next_source: case.next_follow_up_source,
            });
        }
    }
    None
}

/// The contact roles to try, in order, for a next follow-up source; `None` when the source is not
/// a letter.
fn roles_for(source: Option<NextFollowUpSource>) -> Option<&'static [&'static str]> {
    match source {
        None => Some(&["following-physician", "other-physician", "patient", "other"]),
        Some(NextFollowUpSource::PhysicianLetter) => {
            Some(&["following-physician", "other-physician"])
        }
        Some(NextFollowUpSource::ContactLetter) => Some(&["patient", "other"]),
        Some(_) => None,
    }
}

/// The contact to write to, by role order, among the usable contacts that can get a letter.
pub fn choose_contact<'a>(
    contacts: &[&'a Contact],
    source: Option<NextFollowUpSource>,
    today: &str,
) -> Option<&'a Contact> {
    let roles = roles_for(source)?;
    roles.iter().find_map(|role| {
        contacts.iter().copied().find(|c| {
            c.role == *role
                && c.usable_on(today)
                && (c.by_email()
                    || (c.preferred_channel != "phone"
                        && c.postal_address.as_deref().is_some_and(|a| !a.is_empty())))
        })
    })
}

/// The patient columns the job reads (the rest of the row is left blank: no timestamp parsing,
/// no item bag), a page after `after`.
fn slim_patients(conn: &mut DbConn, after: i64) -> QueryResult<Vec<Patient>> {
    type Cols = (
        i64,
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Cols> = patients::table
        .filter(patients::id.gt(after))
        .order(patients::id.asc())
        .limit(PAGE)
        .select((
            patients::id,
            patients::facility_id,
            patients::name_last,
            patients::name_first,
            patients::date_of_birth,
            patients::vital_status,
            patients::date_of_last_contact,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, facility_id, last, first, birth, vital, contact)| {
            let mut p = Patient::blank(facility_id);
            p.id = id;
            p.name_last = last;
            p.name_first = first;
            p.date_of_birth = birth;
            p.vital_status = vital;
            p.date_of_last_contact = contact;
            p
        })
        .collect())
}

/// The tumor columns [`follow_up_case`] reads, for the page of patients with ids in
/// `(after, last]` (pages are contiguous id ranges, so a range scan of the patient index reads
/// exactly the page, and the statement is prepared once).
fn slim_tumors(conn: &mut DbConn, after: i64, last: i64) -> QueryResult<Vec<Tumor>> {
    type Cols = (
        i64,
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    );
    let rows: Vec<Cols> = tumors::table
        .filter(tumors::patient_id.gt(after))
        .filter(tumors::patient_id.le(last))
        .order((tumors::patient_id.asc(), tumors::id.asc()))
        .select((
            tumors::id,
            tumors::patient_id,
            tumors::class_of_case,
            tumors::date_of_diagnosis,
            tumors::behavior,
            tumors::primary_site,
            tumors::histology,
            tumors::items,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, patient_id, class, diagnosed, behavior, site, histology, items)| {
                let mut t = Tumor::blank(patient_id, String::new());
                t.id = id;
                t.class_of_case = class;
                t.date_of_diagnosis = diagnosed;
                t.behavior = behavior;
                t.primary_site = site;
                t.histology = histology;
                t.items = items;
                t
            },
        )
        .collect())
}

/// One run of the job for `today`. With `dry_run` nothing is written: the due list is computed
/// and counted (the benchmark and `registrar followup due`).
pub fn run(
    conn: &mut DbConn,
    settings: &Settings,
    today: NaiveDate,
    dry_run: bool,
) -> anyhow::Result<RunSummary> {
    let mut summary = RunSummary {
        today: today.to_string(),
        ..RunSummary::default()
    };
    let today_text = today.to_string();
    let facility_names: HashMap<i64, String> = facilities::table
        .select((facilities::id, facilities::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let physician = template_for(conn, "physician")?;
    let patient_letter = template_for(conn, "patient")?;
    let mut after: i64 = 0;
    loop {
        let page = slim_patients(conn, after)?;
        let Some(last) = page.last().map(|p| p.id) else {
            break;
        };
        let page_tumors = slim_tumors(conn, after, last)?;
        let page_requests = rows::requests_in_patient_range(conn, after, last)?;
        after = last;
        let mut tumors_by_patient: HashMap<i64, Vec<&Tumor>> = HashMap::new();
        for t in &page_tumors {
            tumors_by_patient.entry(t.patient_id).or_default().push(t);
        }
        let mut requests_by_patient: HashMap<i64, Vec<&rows::Request>> = HashMap::new();
        for r in &page_requests {
            requests_by_patient.entry(r.patient_id).or_default().push(r);
        }
        let mut plans = Vec::new();
        for patient in &page {
            summary.patients_scanned += 1;
            if patient.vital_status.as_deref() == Some("0") {
                continue;
            }
            let own = tumors_by_patient
                .get(&patient.id)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let requests = requests_by_patient
                .get(&patient.id)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let Some(plan) = plan_for(patient, own, requests, settings, today) else {
                continue;
            };
            summary.due += 1;
            match plan.decision {
                RequestDecision::NotNeeded => {}
                RequestDecision::Wait { .. } => summary.waiting += 1,
                RequestDecision::Exhausted => summary.phone_tasks += 1,
                RequestDecision::Send { number } => plans.push((patient, plan, number)),
            }
        }
        if plans.is_empty() {
            continue;
        }
        let planned_ids: Vec<i64> = plans.iter().map(|(p, _, _)| p.id).collect();
        let contacts = rows::contacts_of_many(conn, &planned_ids)?;
        for (patient, plan, number) in plans {
            if roles_for(plan.next_source).is_none() {
                summary.not_by_letter += 1;
                continue;
            }
            let own: Vec<&Contact> = contacts
                .iter()
                .filter(|c| c.patient_id == patient.id)
                .collect();
            let Some(contact) = choose_contact(&own, plan.next_source, &today_text) else {
                summary.needs_another_contact += 1;
                continue;
            };
            let template = if rows::template_kind(&contact.role) == "physician" {
                &physician
            } else {
                &patient_letter
            };
            let facility = facility_names
                .get(&patient.facility_id)
                .cloned()
                .unwrap_or_default();
            if dry_run {
                if contact.by_email() {
                    summary.emails_queued += 1;
                } else {
                    summary.letters_to_print += 1;
                }
                continue;
            }
            match write_request(
                conn, settings, today, patient, contact, &plan, number, template, &facility,
            )? {
                Written::Email => summary.emails_queued += 1,
                Written::Print => summary.letters_to_print += 1,
                Written::Already => summary.already_requested += 1,
                Written::Refused => summary.refused_minimum_necessary += 1,
            }
        }
    }
    if !dry_run {
        tracing::info!(
            due = summary.due,
            emails = summary.emails_queued,
            print = summary.letters_to_print,
            already = summary.already_requested,
            "follow-up job run"
        );
    }
    Ok(summary)
}

enum Written {
    Email,
    Print,
    Already,
    Refused,
}

#[allow(clippy::too_many_arguments)]
fn write_request(
    conn: &mut DbConn,
    settings: &Settings,
    today: NaiveDate,
    patient: &Patient,
    contact: &Contact,
    plan: &PatientPlan,
    number: u32,
    template: &Template,
    facility: &str,
) -> anyhow::Result<Written> {
    let (token, hash) = rules::new_response_token();
    let values = LetterValues {
        contact_name: contact.name.clone(),
        facility_name: facility.to_string(),
        patient_name: patient.display_name(),
        patient_birth_date: crate::routes::shown("dateOfBirth", patient.date_of_birth.as_deref()),
        response_link: format!(
            "{}/followup/respond/{}",
            settings.public_base_url.trim_end_matches('/'),
            token
        ),
        due_date: plan.due_on.to_string(),
        registrar_name: settings.followup_registrar_name.clone(),
        registrar_phone: settings.followup_registrar_phone.clone(),
    };
    let subject = rules::render_letter(&template.subject, &values)?;
    let text = rules::render_letter(&template.text, &values)?;
    let html = rules::render_letter_html(&template.html, &values)?;
    let check = format!("{subject}\n{text}\n{html}");
    if rules::check_minimum_necessary(&check).is_err() {
        tracing::warn!(
            patient = patient.id,
            "follow-up letter names a diagnosis: not sent"
        );
        return Ok(Written::Refused);
    }
    let by_email = contact.by_email();
    let due_on = plan.due_on.to_string();
    let now = crate::models::now();
    let expires_at = now + settings.follow_up.token_validity();
    let number = i32::try_from(number).unwrap_or(i32::MAX);
    let outcome = write_tx(conn, |conn| -> QueryResult<Written> {
        let exists: i64 = followup_requests::table
            .filter(followup_requests::patient_id.eq(patient.id))
            .filter(followup_requests::due_on.eq(&due_on))
            .filter(followup_requests::number.eq(number))
            .count()
            .get_result(conn)?;
        if exists > 0 {
            return Ok(Written::Already);
        }
        let request_id = rows::insert_request(
            conn,
            &NewRequest {
                patient_id: patient.id,
                contact_id: Some(contact.id),
                due_on: due_on.clone(),
                number,
                channel: if by_email { "email" } else { "letter" }.into(),
                state: "sent".into(),
                token_hash: hash.clone(),
                expires_at,
                used_at: None,
                created_on: today.to_string(),
                created_at: now,
            },
        )?;
        rows::insert_letter(
            conn,
            &NewOutboxLetter {
                request_id,
                to_address: if by_email {
                    contact.email.clone().unwrap_or_default()
                } else {
                    contact.postal_address.clone().unwrap_or_default()
                },
                subject: subject.clone(),
                body_text: text.clone(),
                body_html: html.clone(),
                state: if by_email { "queued" } else { "print" }.into(),
                attempts: 0,
                next_attempt_at: now,
                created_at: now,
            },
        )?;
        audit::record(
            conn,
            &Actor::system("followup"),
            &AuditEvent::new(Action::Create, "followup_request")
                .id(request_id)
                .patient(patient.id, patient.facility_id)
                .detail(format!(
                    "request {number} for due date {due_on} to contact {} by {}",
                    contact.id,
                    if by_email { "e-mail" } else { "printed letter" }
                )),
        )?;
        Ok(if by_email {
            Written::Email
        } else {
            Written::Print
        })
    });
    match outcome {
        Ok(w) => Ok(w),
        // Another instance wrote the same request between our check and our insert.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(Written::Already),
        Err(e) => Err(e.into()),
    }
}
