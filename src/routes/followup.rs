//! Follow-up pages: the public response form behind a one-time token, the dashboard (CoC worksheet
//! and lists), held responses (accept or correct), the outbox, printable letters, a patient's
//! follow-up history and contacts, and the letter templates (admin).

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{Layout, db, see_other};
use crate::auth::{Administer, Authorized, EditPatients, ReadPatients, session_csrf_token};
use crate::domain::followup::{self as rules, FollowUpStatus};
use crate::error::AppError;
use crate::jobs::followup::{follow_up_case, template_for};
use crate::models::followup::{self as rows, CHANNELS, CONTACT_ROLES};
use crate::services::followup::{
    self as service, FormTumor, LinkRefused, ListLine, SubmittedAnswers,
};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/followup", web::get().to(dashboard))
        .route("/followup/control-list.csv", web::get().to(control_list))
        .route("/followup/outbox", web::get().to(outbox))
        .route("/followup/print", web::get().to(print_batch))
        .route("/followup/letters/{id}/print", web::get().to(print_one))
        .route("/followup/responses/{id}", web::get().to(review))
        .route("/followup/responses/{id}", web::post().to(accept))
        .route("/followup/templates", web::get().to(templates_form))
        .route("/followup/templates", web::post().to(save_template))
        .route("/followup/respond/{token}", web::get().to(respond_form))
        .route("/followup/respond/{token}", web::post().to(respond_submit))
        .route("/patients/{id}/followup", web::get().to(patient_followup))
        .route(
            "/patients/{id}/followup/contacts",
            web::post().to(add_contact),
        )
        .route("/followup/contacts/{id}", web::post().to(contact_validity))
        .route(
            "/patients/{id}/followup/next-source",
            web::post().to(next_source),
        )
        .route(
            "/patients/{id}/followup/phone",
            web::post().to(phone_contact),
        )
        .route("/followup/phone", web::get().to(phone_list));
}

// ---------------------------------------------------------------------------------------------
// Public response form
// ---------------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "followup/respond.html")]
struct RespondPage {
    layout: Layout,
    token: String,
    patient_name: String,
    patient_birth_date: String,
    tumors: Vec<FormTumor>,
    answers: SubmittedAnswers,
    errors: BTreeMap<&'static str, String>,
}

#[derive(Template)]
#[template(path = "followup/respond_done.html")]
struct RespondDone {
    layout: Layout,
    title: &'static str,
    message: &'static str,
}

fn refused_page(
    state: &AppState,
    csrf: String,
    why: LinkRefused,
) -> Result<HttpResponse, AppError> {
    let (title, message) = match why {
        LinkRefused::Used => (
            "This link has been used",
            "An answer was already sent with this link. Each link works once. If something needs correcting, call the registry.",
        ),
        LinkRefused::Expired => (
            "This link has expired",
            "Follow-up links work for a limited time. Call the registry, or wait for the next letter.",
        ),
        LinkRefused::Unknown => (
            "This link is not valid",
            "Check that the whole link was copied from the letter.",
        ),
    };
    let page = RespondDone {
        layout: Layout::anonymous(csrf, state),
        title,
        message,
    };
    Ok(HttpResponse::build(match why {
        LinkRefused::Unknown => StatusCode::NOT_FOUND,
        _ => StatusCode::GONE,
    })
    .content_type("text/html; charset=utf-8")
    .body(page.render()?))
}

async fn respond_form(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let t = token.clone();
    let opened = db(&state, move |conn| {
        service::open_link(conn, &t, crate::models::now())
    })
    .await?;
    let csrf = session_csrf_token(&session);
    match opened {
        Err(why) => refused_page(&state, csrf, why),
        Ok(ctx) => {
            let page = RespondPage {
                layout: Layout::anonymous(csrf, &state),
                token,
                patient_name: ctx.patient_name,
                patient_birth_date: ctx.patient_birth_date,
                tumors: ctx.tumors,
                answers: SubmittedAnswers {
                    vital_status: "1".into(),
                    ..SubmittedAnswers::default()
                },
                errors: BTreeMap::new(),
            };
            Ok(HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(page.render()?))
        }
    }
}

/// Reads the answer fields of the response and review forms (`status_<tumor id>` per tumor).
fn answers_from(form: &[(String, String)], received_on: &str) -> SubmittedAnswers {
    let get = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let cancer_status = form
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("status_")
                .and_then(|id| id.parse::<i64>().ok())
                .filter(|_| !v.is_empty())
                .map(|id| (id, v.clone()))
        })
        .collect();
    SubmittedAnswers {
        date_last_seen: get("date_last_seen"),
        vital_status: get("vital_status"),
        date_of_death: get("date_of_death"),
        cause_of_death: get("cause_of_death"),
        cancer_status,
        recurrence: get("disease_returned"),
        recurrence_date: get("returned_on"),
        new_treatment: get("new_treatment"),
        note: get("note"),
        received_on: received_on.to_string(),
    }
}

async fn respond_submit(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let now = crate::models::now();
    let answers = answers_from(&form, &now.date().to_string());
    let csrf = session_csrf_token(&session);
    let errors = service::check_answers(&answers);
    if !errors.is_empty() {
        let t = token.clone();
        let opened = db(&state, move |conn| service::open_link(conn, &t, now)).await?;
        return match opened {
            Err(why) => refused_page(&state, csrf, why),
            Ok(ctx) => {
                let page = RespondPage {
                    layout: Layout::anonymous(csrf, &state),
                    token,
                    patient_name: ctx.patient_name,
                    patient_birth_date: ctx.patient_birth_date,
                    tumors: ctx.tumors,
                    answers,
                    errors,
                };
                Ok(HttpResponse::UnprocessableEntity()
                    .content_type("text/html; charset=utf-8")
                    .body(page.render()?))
            }
        };
    }
    let submitted = db(&state, move |conn| {
        service::submit_response(conn, &token, &answers, now)
    })
    .await?;
    match submitted {
        Err(why) => refused_page(&state, csrf, why),
        Ok(_) => {
            let page = RespondDone {
                layout: Layout::anonymous(csrf, &state),
                title: "Thank you",
                message: "Your answer has been received. The registry will record it. You can close this page.",
            };
            Ok(HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(page.render()?))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Dashboard
// ---------------------------------------------------------------------------------------------

struct WorksheetRow {
    label: &'static str,
    all: u64,
    last5: u64,
}

#[derive(Template, WebTemplate)]
#[template(path = "followup/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    today: String,
    reference_date: String,
    last5_from: String,
    rows: Vec<WorksheetRow>,
    rate_all: String,
    rate_last5: String,
    meets_all: bool,
    meets_last5: bool,
    no_diagnosis_date: u64,
    lists: Vec<(&'static str, &'static str, Vec<ListLine>)>,
    pending: Vec<ListLine>,
    outbox_counts: Vec<(String, i64)>,
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".into(), |r| format!("{:.1} %", r * 100.0))
}

fn request_lines(rows: Vec<(rows::Request, String, Option<String>)>, what: &str) -> Vec<ListLine> {
    rows.into_iter()
        .map(|(r, last, first)| ListLine {
            patient_id: r.patient_id,
            name: match first {
                Some(f) if !f.is_empty() => format!("{last}, {f}"),
                _ => last,
            },
            detail: format!(
                "{what}: request {} of {} ({})",
                r.number, r.created_on, r.channel
            ),
        })
        .collect()
}

async fn dashboard(
    state: web::Data<AppState>,
    user: Authorized<ReadPatients>,
) -> Result<DashboardPage, AppError> {
    let today = chrono::Utc::now().date_naive();
    let scope = user.scope.clone();
    let st = state.clone();
    let (worksheet, lists, bounced, awaiting, pending, outbox_counts) = db(&state, move |conn| {
        let settings = &st.settings;
        let (worksheet, lists) = service::worksheet_and_lists(conn, settings, &scope, today, 100)?;
        let bounced = rows::requests_in_state(conn, &scope, &["bounced", "undelivered"], 100)?;
        let awaiting = rows::requests_in_state(conn, &scope, &["sent"], 100)?;
        let pending = rows::pending_responses(conn, &scope, 100)?;
        let counts = rows::count_letters_by_state(conn, &scope)?;
        Ok((worksheet, lists, bounced, awaiting, pending, counts))
    })
    .await?;
    let rows_of = |c: &rules::Counts| {
        [
            c.total,
            c.less_benign_borderline,
            c.less_cervix_in_situ,
            c.less_skin_bcc_scc,
            c.less_foreign,
            c.less_non_analytic + c.less_class_00,
            c.a,
            c.b,
            c.c,
            c.d,
            c.e,
        ]
    };
    let labels = [
        "Cases diagnosed in the period",
        "less benign and borderline",
        "less carcinoma in situ of the cervix",
        "less in situ/localized basal and squamous cell skin",
        "less foreign residents",
        "less non-analytic (and class 00 since 2006)",
        "A. Analytic cases to follow",
        "B. Dead (or aged 100+)",
        "C. Living (A − B)",
        "D. Living, contact within 15 months",
        "E. Lost or not current (C − D)",
    ];
    let (all, last5) = (rows_of(&worksheet.all), rows_of(&worksheet.last5));
    let rows = labels
        .iter()
        .enumerate()
        .map(|(i, label)| WorksheetRow {
            label,
            all: all[i],
            last5: last5[i],
        })
        .collect();
    let pending = pending
        .into_iter()
        .map(|(r, last, first)| ListLine {
            patient_id: r.id,
            name: match first {
                Some(f) if !f.is_empty() => format!("{last}, {f}"),
                _ => last,
            },
            detail: format!("received {}", r.submitted_at.format("%Y-%m-%d %H:%M")),
        })
        .collect();
    Ok(DashboardPage {
        layout: Layout::new(&user, &state),
        today: today.to_string(),
        reference_date: service::worksheet_reference(&state.settings).to_string(),
        last5_from: worksheet.last5_from.to_string(),
        rows,
        rate_all: percent(worksheet.all.rate),
        rate_last5: percent(worksheet.last5.rate),
        meets_all: worksheet.all.rate.is_some_and(|r| r >= 0.8),
        meets_last5: worksheet.last5.rate.is_some_and(|r| r >= 0.9),
        no_diagnosis_date: worksheet.no_diagnosis_date,
        lists: vec![
            ("due", "Due this month", lists.due_this_month),
            (
                "delinquent",
                "Delinquent (15 months without contact)",
                lists.delinquent,
            ),
            ("lost", "Lost to follow-up", lists.lost),
            (
                "bounced",
                "Needs another contact (bounced or undelivered)",
                request_lines(bounced, "bounced"),
            ),
            (
                "awaiting",
                "Awaiting an answer",
                request_lines(awaiting, "sent"),
            ),
        ],
        pending,
        outbox_counts,
    })
}

async fn control_list(
    state: web::Data<AppState>,
    user: Authorized<ReadPatients>,
) -> Result<HttpResponse, AppError> {
    let today = chrono::Utc::now().date_naive();
    let scope = user.scope.clone();
    let actor = user.actor();
    let st = state.clone();
    let lists = db(&state, move |conn| {
        let (_, lists) =
            service::worksheet_and_lists(conn, &st.settings, &scope, today, usize::MAX)?;
        crate::audit::record(
            conn,
            &actor,
            &crate::audit::AuditEvent::new(crate::audit::Action::Export, "followup_control_list")
                .detail(format!("control list of {today}")),
        )?;
        Ok(lists)
    })
    .await?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write = |w: &mut csv::Writer<Vec<u8>>, list: &str, l: &ListLine| {
        w.write_record([list, &l.patient_id.to_string(), &l.name, &l.detail])
    };
    writer
        .write_record(["list", "patient", "name", "status"])
        .map_err(|e| AppError::Internal(e.into()))?;
    for (list, lines) in [
        ("due this month", &lists.due_this_month),
        ("delinquent", &lists.delinquent),
        ("lost", &lists.lost),
    ] {
        for l in lines {
            write(&mut writer, list, l).map_err(|e| AppError::Internal(e.into()))?;
        }
    }
    let body = writer
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"followup-control-list-{today}.csv\""),
        ))
        .body(body))
}

// ---------------------------------------------------------------------------------------------
// Outbox and printing
// ---------------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "followup/outbox.html")]
struct OutboxPage {
    layout: Layout,
    letters: Vec<rows::OutboxLetter>,
    state: String,
}

#[derive(Deserialize)]
struct OutboxQuery {
    state: Option<String>,
}

async fn outbox(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    query: web::Query<OutboxQuery>,
) -> Result<OutboxPage, AppError> {
    let filter = query.state.clone().filter(|s| !s.is_empty());
    let f = filter.clone();
    let scope = user.scope.clone();
    let letters = db(&state, move |conn| {
        Ok(rows::letters(conn, &scope, f.as_deref(), 500)?)
    })
    .await?;
    Ok(OutboxPage {
        layout: Layout::new(&user, &state),
        letters,
        state: filter.unwrap_or_default(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "followup/print.html")]
struct PrintPage {
    letters: Vec<(String, String)>,
}

/// Letters for contacts without e-mail, one page each; opening the batch marks them printed.
async fn print_batch(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
) -> Result<PrintPage, AppError> {
    let (actor, scope) = (user.actor(), user.scope.clone());
    let letters = db(&state, move |conn| {
        crate::db::write_tx(conn, |conn| {
            let letters = rows::letters(conn, &scope, Some("print"), 1000)?;
            for l in &letters {
                rows::set_letter_state(conn, l.id, "printed")?;
            }
            crate::audit::record(
                conn,
                &actor,
                &crate::audit::AuditEvent::new(crate::audit::Action::Export, "followup_letters")
                    .detail(format!("{} letters printed", letters.len())),
            )?;
            Ok::<_, AppError>(letters)
        })
    })
    .await?;
    Ok(PrintPage {
        letters: letters
            .into_iter()
            .map(|l| (l.to_address, l.body_text))
            .collect(),
    })
}

async fn print_one(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
) -> Result<PrintPage, AppError> {
    let (id, scope) = (path.into_inner(), user.scope.clone());
    let letter = db(&state, move |conn| match rows::letter_facility(conn, id)? {
        Some(facility) if scope.allows(facility) => {
            rows::find_letter(conn, id)?.ok_or(AppError::NotFound)
        }
        _ => Err(AppError::NotFound),
    })
    .await?;
    Ok(PrintPage {
        letters: vec![(letter.to_address, letter.body_text)],
    })
}

// ---------------------------------------------------------------------------------------------
// Held responses
// ---------------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "followup/review.html")]
struct ReviewPage {
    layout: Layout,
    id: i64,
    decided: bool,
    state: String,
    patient_id: i64,
    patient_name: String,
    contact: String,
    tumors: Vec<FormTumor>,
    answers: SubmittedAnswers,
    error: Option<String>,
}

async fn review(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
) -> Result<ReviewPage, AppError> {
    let (actor, scope, id) = (user.actor(), user.scope.clone(), path.into_inner());
    let r = db(&state, move |conn| {
        service::review_response(conn, &actor, &scope, id)
    })
    .await?;
    Ok(ReviewPage {
        layout: Layout::new(&user, &state),
        id: r.response.id,
        decided: r.response.state != "pending",
        state: r.response.state,
        patient_id: r.patient.id,
        patient_name: r.patient.display_name(),
        contact: r
            .contact
            .map(|c| format!("{} ({})", c.name, rows::role_label(&c.role)))
            .unwrap_or_default(),
        tumors: r.tumors,
        answers: r.answers,
        error: None,
    })
}

async fn accept(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (actor, scope, id) = (user.actor(), user.scope.clone(), path.into_inner());
    let received = form
        .iter()
        .find(|(k, _)| k == "received_on")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let corrected = answers_from(&form, &received);
    let done = db(&state, move |conn| {
        service::accept_response(conn, &actor, &scope, id, Some(corrected))
    })
    .await?;
    let _ = done;
    Ok(see_other("/followup?accepted=1"))
}

// ---------------------------------------------------------------------------------------------
// Patient follow-up: history and contacts
// ---------------------------------------------------------------------------------------------

struct HistoryLine {
    when: String,
    what: String,
    detail: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "followup/patient.html")]
struct PatientFollowUpPage {
    layout: Layout,
    id: i64,
    name: String,
    status: String,
    contacts: Vec<rows::Contact>,
    history: Vec<HistoryLine>,
    roles: &'static [(&'static str, &'static str)],
    channels: &'static [(&'static str, &'static str)],
    next_sources: &'static [(&'static str, &'static str)],
    /// The Next Follow-Up Source of the first tumor ("" when none).
    next_source: String,
    /// Why the patient is not followed: (code, reason, since).
    not_followed: Option<(String, String, String)>,
    error: Option<String>,
}

async fn patient_followup(
    state: web::Data<AppState>,
    user: Authorized<ReadPatients>,
    path: web::Path<i64>,
) -> Result<PatientFollowUpPage, AppError> {
    patient_page(state, user, path.into_inner(), None).await
}

async fn patient_page(
    state: web::Data<AppState>,
    user: Authorized<ReadPatients>,
    id: i64,
    error: Option<String>,
) -> Result<PatientFollowUpPage, AppError> {
    let (actor, scope) = (user.actor(), user.scope.clone());
    let today = chrono::Utc::now().date_naive();
    let st = state.clone();
    let (patient, tumors, contacts, requests, responses, letters, not_followed) =
        db(&state, move |conn| {
            crate::db::write_tx(conn, |conn| {
                let patient = crate::models::patient::find_scoped(conn, &scope, id)?
                    .ok_or(AppError::NotFound)?;
                let tumors = crate::models::tumor::for_patient(conn, id)?;
                let contacts = rows::contacts_of(conn, id)?;
                let requests = rows::requests_of(conn, id)?;
                let responses = rows::responses_of(conn, id)?;
                let not_followed = rows::not_followed_of(conn, id)?;
                let mut letters = Vec::new();
                for r in &requests {
                    letters.extend(rows::letters_of_request(conn, r.id)?);
                }
                crate::audit::record(
                    conn,
                    &actor,
                    &crate::audit::AuditEvent::new(crate::audit::Action::Read, "patient_followup")
                        .id(id)
                        .patient(id, patient.facility_id),
                )?;
                Ok::<_, AppError>((
                    patient,
                    tumors,
                    contacts,
                    requests,
                    responses,
                    letters,
                    not_followed,
                ))
            })
        })
        .await?;
    let status = tumors
        .iter()
        .map(|t| {
            let case = follow_up_case(&patient, t);
            match rules::follow_up_status(&case, &st.settings.follow_up, today) {
                FollowUpStatus::Current => "current".to_string(),
                FollowUpStatus::Due { since } => format!("due since {since}"),
                FollowUpStatus::Delinquent { since } => format!("delinquent since {since}"),
                FollowUpStatus::NotFollowed(reason) => format!("not followed: {reason}"),
                FollowUpStatus::Dead => "dead: not followed".to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut history = Vec::new();
    for r in &requests {
        history.push(HistoryLine {
            when: r.created_at.format("%Y-%m-%d %H:%M").to_string(),
            what: format!("Request {} ({})", r.number, r.channel),
            detail: format!("due {}; {}", r.due_on, r.state),
        });
    }
    for l in &letters {
        history.push(HistoryLine {
            when: l
                .sent_at
                .unwrap_or(l.created_at)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            what: format!("Letter {}", l.id),
            detail: format!(
                "{} to {}{}",
                l.state,
                l.to_address,
                l.last_error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ),
        });
    }
    for r in &responses {
        history.push(HistoryLine {
            when: r.submitted_at.format("%Y-%m-%d %H:%M").to_string(),
            what: format!("Response {}", r.id),
            detail: r.state.clone(),
        });
    }
    history.sort_by(|a, b| b.when.cmp(&a.when));
    Ok(PatientFollowUpPage {
        layout: Layout::new(&user, &state),
        id,
        name: patient.display_name(),
        status,
        contacts,
        history,
        roles: &CONTACT_ROLES,
        channels: &CHANNELS,
        next_sources: &service::NEXT_SOURCES,
        next_source: tumors
            .first()
            .and_then(|t| t.item("nextFollowUpSource"))
            .unwrap_or_default(),
        not_followed: not_followed.map(|n| {
            (
                n.next_source,
                n.reason,
                n.set_at.format("%Y-%m-%d").to_string(),
            )
        }),
        error,
    })
}

async fn add_contact(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
    form: web::Form<service::ContactForm>,
) -> Result<HttpResponse, AppError> {
    let (actor, scope, id) = (user.actor(), user.scope.clone(), path.into_inner());
    let form = form.into_inner();
    if let Err(message) = service::check_contact(&form) {
        return Err(AppError::BadRequest(message));
    }
    db(&state, move |conn| {
        service::add_contact(conn, &actor, &scope, id, &form)
    })
    .await?;
    Ok(see_other(&format!("/patients/{id}/followup")))
}

#[derive(Deserialize)]
struct ValidityForm {
    invalid: String,
}

async fn contact_validity(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
    form: web::Form<ValidityForm>,
) -> Result<HttpResponse, AppError> {
    let (actor, scope, id) = (user.actor(), user.scope.clone(), path.into_inner());
    let invalid = form.invalid == "1";
    let patient_id = db(&state, move |conn| {
        service::set_contact_invalid(conn, &actor, &scope, id, invalid)
    })
    .await?;
    Ok(see_other(&format!("/patients/{patient_id}/followup")))
}

#[derive(Deserialize)]
struct NextSourceForm {
    next_source: String,
    #[serde(default)]
    reason: String,
}

async fn next_source(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
    form: web::Form<NextSourceForm>,
) -> Result<HttpResponse, AppError> {
    let (actor, scope, id) = (user.actor(), user.scope.clone(), path.into_inner());
    let form = form.into_inner();
    db(&state, move |conn| {
        service::set_next_source(conn, &actor, &scope, id, &form.next_source, &form.reason)
    })
    .await?;
    Ok(see_other(&format!("/patients/{id}/followup")))
}

async fn phone_contact(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
    form: web::Form<service::PhoneForm>,
) -> Result<HttpResponse, AppError> {
    let (actor, scope, id) = (user.actor(), user.scope.clone(), path.into_inner());
    let form = form.into_inner();
    let today = chrono::Utc::now().date_naive();
    db(&state, move |conn| {
        service::record_phone_contact(conn, &actor, &scope, id, &form, today)
    })
    .await?;
    Ok(see_other(&format!("/patients/{id}/followup")))
}

#[derive(Template, WebTemplate)]
#[template(path = "followup/phone.html")]
struct PhonePage {
    layout: Layout,
    tasks: Vec<service::PhoneTask>,
}

/// The phone follow-up task list of the user's facilities.
async fn phone_list(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
) -> Result<PhonePage, AppError> {
    let today = chrono::Utc::now().date_naive();
    let (scope, st) = (user.scope.clone(), state.clone());
    let tasks = db(&state, move |conn| {
        service::phone_tasks(conn, &st.settings, &scope, today)
    })
    .await?;
    Ok(PhonePage {
        layout: Layout::new(&user, &state),
        tasks,
    })
}

// ---------------------------------------------------------------------------------------------
// Letter templates (admin)
// ---------------------------------------------------------------------------------------------

struct TemplateView {
    kind: &'static str,
    label: &'static str,
    subject: String,
    text: String,
    html: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "followup/templates.html")]
struct TemplatesPage {
    layout: Layout,
    templates: Vec<TemplateView>,
    placeholders: String,
    problems: Vec<String>,
}

async fn load_templates(state: &web::Data<AppState>) -> Result<Vec<TemplateView>, AppError> {
    db(state, |conn| {
        let mut out = Vec::new();
        for (kind, label) in [
            ("physician", "Physician letter"),
            ("patient", "Patient letter"),
        ] {
            let t = template_for(conn, kind)?;
            out.push(TemplateView {
                kind,
                label,
                subject: t.subject,
                text: t.text,
                html: t.html,
            });
        }
        Ok(out)
    })
    .await
}

async fn templates_form(
    state: web::Data<AppState>,
    user: Authorized<Administer>,
) -> Result<TemplatesPage, AppError> {
    Ok(TemplatesPage {
        layout: Layout::new(&user, &state),
        templates: load_templates(&state).await?,
        placeholders: rules::PLACEHOLDERS
            .iter()
            .map(|p| format!("{{{{{p}}}}}"))
            .collect::<Vec<_>>()
            .join(", "),
        problems: Vec::new(),
    })
}

#[derive(Deserialize)]
struct TemplateForm {
    kind: String,
    subject: String,
    text: String,
    html: String,
}

async fn save_template(
    state: web::Data<AppState>,
    user: Authorized<Administer>,
    form: web::Form<TemplateForm>,
) -> Result<HttpResponse, AppError> {
    let actor = user.actor();
    let form = form.into_inner();
    let saved = db(&state, move |conn| {
        Ok(service::save_template(
            conn,
            &actor,
            &form.kind,
            &form.subject,
            &form.text,
            &form.html,
        ))
    })
    .await?;
    match saved {
        Ok(_) => Ok(see_other("/followup/templates")),
        Err(problems) => {
            let page = TemplatesPage {
                layout: Layout::new(&user, &state),
                templates: load_templates(&state).await?,
                placeholders: rules::PLACEHOLDERS.join(", "),
                problems,
            };
            Ok(HttpResponse::UnprocessableEntity()
                .content_type("text/html; charset=utf-8")
                .body(page.render()?))
        }
    }
}
