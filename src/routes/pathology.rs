//! Pathology intake pages: worklist, upload, paste, review screen with decisions, lab API tokens,
//! and the lab API endpoint (`POST /api/v1/pathology`, bearer token).

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{Layout, db, see_other, shown};
use crate::audit::Actor;
use crate::auth::{Administer, Authorized, EditPatients, ReadPatients};
use crate::domain::hl7::{AckCode, AckHeader, build_ack, split_messages};
use crate::domain::screening::{Assertion, TextLocation};
use crate::error::AppError;
use crate::models::facility;
use crate::models::pathology::{self as model, STATUSES, WorklistFilter};
use crate::services::pathology::{
    self as service, AcceptError, Acceptance, IngestSummary, PastedReport, ReportDetail, Sender,
    Source,
};
use crate::startup::AppState;

/// Largest upload or API body.
const MAX_BODY: usize = 64 * 1024 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/pathology", web::get().to(worklist))
        .route("/pathology/upload", web::get().to(upload_form))
        .service(
            web::resource("/pathology/upload")
                .app_data(web::PayloadConfig::new(MAX_BODY))
                .route(web::post().to(upload)),
        )
        .route("/pathology/uploads/{id}", web::get().to(upload_progress))
        .route("/pathology/paste", web::get().to(paste_form))
        .route("/pathology/paste", web::post().to(paste))
        .route("/pathology/{id}", web::get().to(review))
        .route("/pathology/{id}/accept", web::post().to(accept))
        .route("/pathology/{id}/close", web::post().to(close))
        .route("/admin/lab-tokens", web::get().to(tokens))
        .route("/admin/lab-tokens", web::post().to(issue_token))
        .route(
            "/admin/lab-tokens/{id}/revoke",
            web::post().to(revoke_token),
        )
        .service(
            web::resource("/api/v1/pathology")
                .app_data(web::PayloadConfig::new(MAX_BODY))
                .route(web::post().to(api_ingest)),
        );
}

pub struct Tab {
    pub status: &'static str,
    pub label: &'static str,
    pub count: i64,
    pub current: bool,
}

pub struct Line {
    pub id: i64,
    pub status: String,
    pub lab: String,
    pub accession: String,
    pub patient: String,
    pub facility: String,
    pub collected: String,
    pub reportable: String,
    pub error: String,
    pub received: String,
}

pub struct SortLink {
    pub label: &'static str,
    pub href: String,
    pub mark: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "pathology/worklist.html")]
struct WorklistPage {
    layout: Layout,
    /// The registry facilities the user sees (filter), and whether the central queue is offered.
    facilities: Vec<(i64, String)>,
    central: bool,
    tabs: Vec<Tab>,
    filter: WorklistFilter,
    lines: Vec<Line>,
    sorts: Vec<SortLink>,
    can_edit: bool,
}

fn reportable_label(code: Option<&str>) -> String {
    match code {
        Some("yes") => "reportable".into(),
        Some("no") => "not reportable".into(),
        Some("review") => "needs review".into(),
        _ => String::new(),
    }
}

pub fn line_of(l: model::WorklistLine) -> Line {
    Line {
        id: l.id,
        status: model::status_label(&l.status).to_string(),
        lab: if l.lab_name.is_empty() {
            l.lab
        } else {
            l.lab_name
        },
        accession: l.accession,
        patient: l.patient_name,
        facility: l.ordering_facility,
        collected: shown("dateOfDiagnosis", l.collection_date.as_deref()),
        reportable: reportable_label(l.reportability.as_deref()),
        error: l.parse_error.unwrap_or_default(),
        received: l.created_at.format("%Y-%m-%d %H:%M").to_string(),
    }
}

fn query_string(filter: &WorklistFilter, sort: &str) -> String {
    let enc = crate::error::urlencode;
    format!(
        "/pathology?status={}&lab={}&facility={}&facility_id={}&from={}&to={}&sort={}",
        enc(&filter.status),
        enc(&filter.lab),
        enc(&filter.facility),
        enc(&filter.facility_id),
        enc(&filter.from),
        enc(&filter.to),
        enc(sort)
    )
}

async fn worklist(
    state: web::Data<AppState>,
    user: Authorized<ReadPatients>,
    filter: web::Query<WorklistFilter>,
) -> Result<WorklistPage, AppError> {
    let mut filter = filter.into_inner();
    if filter.status.is_empty() {
        filter.status = "to-review".into();
    }
    let (f, scope) = (filter.clone(), user.scope.clone());
    let central = matches!(scope, crate::models::patient::Scope::All);
    let (counts, lines, facilities) = db(&state, move |conn| {
        let facilities = facility::choices(conn, &scope)?;
        Ok((
            model::status_counts(conn, &scope)?,
            model::worklist(conn, &scope, &f, 500)?,
            facilities,
        ))
    })
    .await?;
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let tabs = STATUSES
        .iter()
        .map(|(s, l)| Tab {
            status: s,
            label: l,
            count: if *s == "all" {
                total
            } else {
                counts
                    .iter()
                    .find(|(c, _)| c == s)
                    .map(|(_, n)| *n)
                    .unwrap_or(0)
            },
            current: filter.status == *s,
        })
        .collect();
    let sorts = [
        ("Received", "received"),
        ("Patient", "patient"),
        ("Lab", "lab"),
        ("Collected", "collected"),
        ("Status", "status"),
    ]
    .iter()
    .map(|(label, key)| {
        let ascending = filter.sort == *key;
        let descending =
            filter.sort == format!("-{key}") || (filter.sort.is_empty() && *key == "received");
        let next = if ascending {
            format!("-{key}")
        } else {
            key.to_string()
        };
        SortLink {
            label,
            href: query_string(&filter, &next),
            mark: if ascending {
                " ▲"
            } else if descending {
                " ▼"
            } else {
                ""
            },
        }
    })
    .collect();
    Ok(WorklistPage {
        layout: Layout::new(&user, &state),
        facilities,
        central,
        tabs,
        lines: lines.into_iter().map(line_of).collect(),
        filter,
        sorts,
        can_edit: user.can_edit(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "pathology/upload.html")]
struct UploadPage {
    layout: Layout,
    facilities: Vec<(i64, String)>,
    central: bool,
    error: Option<String>,
}

/// The facilities a user may file reports under (and whether "central registry" is offered).
async fn upload_choices(
    state: &web::Data<AppState>,
    user: &crate::auth::CurrentUser,
) -> Result<(Vec<(i64, String)>, bool), AppError> {
    let scope = user.scope.clone();
    let central = matches!(scope, crate::models::patient::Scope::All);
    let facilities = db(state, move |conn| Ok(facility::choices(conn, &scope)?)).await?;
    Ok((facilities, central))
}

async fn upload_page(
    state: &web::Data<AppState>,
    user: &crate::auth::CurrentUser,
    error: Option<String>,
) -> Result<UploadPage, AppError> {
    let (facilities, central) = upload_choices(state, user).await?;
    Ok(UploadPage {
        layout: Layout::new(user, state),
        facilities,
        central,
        error,
    })
}

async fn upload_form(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
) -> Result<UploadPage, AppError> {
    upload_page(&state, &user, None).await
}

/// The facility chosen on a form ("" = central registry, for users who see every facility).
fn chosen_facility(
    user: &crate::auth::CurrentUser,
    offered: &[(i64, String)],
    typed: &str,
) -> Result<Option<i64>, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return match (&user.scope, offered) {
            (crate::models::patient::Scope::All, _) => Ok(None),
            (_, [(only, _)]) => Ok(Some(*only)),
            _ => Err("Choose the facility the reports belong to.".into()),
        };
    }
    match typed.parse::<i64>() {
        Ok(id) if offered.iter().any(|(f, _)| *f == id) => Ok(Some(id)),
        _ => Err("Choose one of your facilities.".into()),
    }
}

/// One part of a `multipart/form-data` body.
struct Part {
    name: String,
    file_name: Option<String>,
    data: Vec<u8>,
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    (from..=haystack.len() - needle.len())
        .find(|&i| haystack.get(i..i + needle.len()) == Some(needle))
}

fn header_param(header: &str, name: &str) -> Option<String> {
    header.split(';').map(str::trim).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case(name)).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Reads a `multipart/form-data` body (RFC 7578): the parts with their names and file names.
fn multipart(content_type: &str, body: &[u8]) -> Result<Vec<Part>, String> {
    let boundary = header_param(content_type, "boundary")
        .filter(|b| !b.is_empty())
        .ok_or("the upload is not multipart/form-data")?;
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut at = find(body, &delimiter, 0).ok_or("no parts in the upload")? + delimiter.len();
    loop {
        if body.get(at..at + 2) == Some(b"--") {
            break;
        }
        // Skip the CRLF after the delimiter.
        at += 2;
        let head_end = find(body, b"\r\n\r\n", at).ok_or("a part has no header")?;
        let head = String::from_utf8_lossy(body.get(at..head_end).unwrap_or_default()).into_owned();
        let data_start = head_end + 4;
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let data_end = find(body, &closing, data_start).ok_or("a part is not terminated")?;
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))
            .unwrap_or("");
        parts.push(Part {
            name: header_param(disposition, "name").unwrap_or_default(),
            file_name: header_param(disposition, "filename"),
            data: body.get(data_start..data_end).unwrap_or_default().to_vec(),
        });
        at = data_end + closing.len();
        if at >= body.len() {
            break;
        }
    }
    Ok(parts)
}

async fn upload(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let refuse = |page: UploadPage| -> Result<HttpResponse, AppError> {
        Ok(HttpResponse::BadRequest()
            .content_type("text/html; charset=utf-8")
            .body(page.render()?))
    };
    let parts = match multipart(&content_type, &body) {
        Ok(parts) => parts,
        Err(e) => {
            let message = format!("The upload could not be read: {e}.");
            return refuse(upload_page(&state, &user, Some(message)).await?);
        }
    };
    let typed_facility = parts
        .iter()
        .find(|p| p.name == "facility")
        .map(|p| String::from_utf8_lossy(&p.data).into_owned())
        .unwrap_or_default();
    let files: Vec<(String, Vec<u8>)> = parts
        .into_iter()
        .filter(|p| p.name == "files")
        .filter_map(|p| Some((p.file_name.filter(|f| !f.is_empty())?, p.data)))
        .collect();
    if files.is_empty() {
        return refuse(upload_page(&state, &user, Some("Choose one or more files.".into())).await?);
    }
    let (offered, _) = upload_choices(&state, &user).await?;
    let facility_id = match chosen_facility(&user, &offered, &typed_facility) {
        Ok(f) => f,
        Err(message) => return refuse(upload_page(&state, &user, Some(message)).await?),
    };
    let actor = user.actor();
    let pool = state.pool.clone();
    let id = web::block(move || {
        crate::services::pathology_uploads::start(&pool, &actor, facility_id, files)
    })
    .await??;
    Ok(see_other(&format!("/pathology/uploads/{id}")))
}

#[derive(Template, WebTemplate)]
#[template(path = "pathology/upload_progress.html")]
struct UploadProgressPage {
    layout: Layout,
    id: i64,
    status: String,
    in_progress: bool,
    done: i32,
    total: i32,
    files: Vec<String>,
    message: String,
    results: Vec<crate::services::pathology_uploads::FileResult>,
}

async fn upload_progress(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
) -> Result<UploadProgressPage, AppError> {
    let (id, uid, admin) = (path.into_inner(), user.id, user.is_admin());
    let (upload, results) = db(&state, move |conn| {
        crate::services::pathology_uploads::find_visible(conn, uid, admin, id)
    })
    .await?;
    Ok(UploadProgressPage {
        layout: Layout::new(&user, &state),
        id: upload.id,
        in_progress: matches!(upload.status.as_str(), "queued" | "running"),
        status: upload.status.clone(),
        done: upload.messages_done,
        total: upload.messages_total,
        files: serde_json::from_str(&upload.file_names).unwrap_or_default(),
        message: upload.message.clone().unwrap_or_default(),
        results,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "pathology/paste.html")]
struct PastePage {
    layout: Layout,
    error: Option<String>,
    sexes: Vec<(String, String)>,
    facilities: Vec<(i64, String)>,
    central: bool,
}

async fn paste_page(
    state: &web::Data<AppState>,
    user: &crate::auth::CurrentUser,
    error: Option<String>,
) -> Result<PastePage, AppError> {
    let (facilities, central) = upload_choices(state, user).await?;
    Ok(PastePage {
        layout: Layout::new(user, state),
        error,
        sexes: crate::domain::fields::choices("sexAssignedAtBirth"),
        facilities,
        central,
    })
}

async fn paste_form(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
) -> Result<PastePage, AppError> {
    paste_page(&state, &user, None).await
}

async fn paste(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    form: web::Form<PastedReport>,
) -> Result<HttpResponse, AppError> {
    let actor = user.actor();
    let pasted = form.into_inner();
    let (offered, _) = upload_choices(&state, &user).await?;
    let result = match chosen_facility(&user, &offered, &pasted.facility) {
        Ok(facility_id) => {
            db(&state, move |conn| {
                let sender = Sender {
                    facility_id,
                    ..Sender::user(actor, None)
                };
                service::ingest_pasted(conn, &pasted, &sender)
            })
            .await
        }
        Err(message) => Err(AppError::BadRequest(message)),
    };
    match result {
        Ok(id) => Ok(see_other(&format!("/pathology/{id}"))),
        Err(AppError::BadRequest(message)) => {
            let page = paste_page(&state, &user, Some(message)).await?;
            Ok(HttpResponse::BadRequest()
                .content_type("text/html; charset=utf-8")
                .body(page.render()?))
        }
        Err(e) => Err(e),
    }
}

/// A piece of report text, highlighted when a phrase decided screening or coding.
pub struct Piece {
    pub text: String,
    pub class: &'static str,
    pub title: String,
}

pub struct SectionView {
    pub label: String,
    pub pieces: Vec<Piece>,
}

pub struct SynopticRow {
    pub template: String,
    pub question: String,
    pub pieces: Vec<Piece>,
}

pub struct DraftField {
    pub id: &'static str,
    pub label: &'static str,
    pub value: String,
    pub suggested: String,
    pub description: String,
    pub evidence: String,
    pub error: Option<String>,
}

pub struct CandidateView {
    pub patient_id: i64,
    pub name: String,
    pub born: String,
    pub score: i32,
    pub reasons: String,
    pub auto_link: bool,
    pub tumors: Vec<TumorView>,
}

pub struct TumorView {
    pub tumor_id: i64,
    pub label: String,
    pub same_tumor: bool,
    pub reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pathology/review.html")]
struct ReviewPage {
    layout: Layout,
    id: i64,
    status: String,
    open: bool,
    can_edit: bool,
    patient: Vec<(&'static str, String)>,
    report: Vec<(&'static str, String)>,
    reportability: String,
    reasons: Vec<String>,
    screening_version: Option<i32>,
    sections: Vec<SectionView>,
    synoptic: Vec<SynopticRow>,
    corrections: Vec<service::Correction>,
    supersedes: Option<i64>,
    duplicate_of: Option<i64>,
    candidates: Vec<CandidateView>,
    linked: Option<(i64, String)>,
    linked_tumors: Vec<TumorView>,
    patient_fields: Vec<DraftField>,
    tumor_fields: Vec<DraftField>,
    facilities: Vec<(i64, String)>,
    errors: Vec<String>,
    error_text: String,
    decision: String,
    message_text: String,
}

fn mark_class(assertion: Option<Assertion>, coding: bool) -> &'static str {
    if coding {
        return "hl-code";
    }
    match assertion {
        Some(Assertion::Affirmed) => "hl-positive",
        Some(Assertion::Negated) | Some(Assertion::HistoryOrRuleOut) => "hl-negated",
        Some(Assertion::Uncertain) | Some(Assertion::NotDiagnosticSection) => "hl-uncertain",
        None => "hl-trigger",
    }
}

/// Cuts a text at the highlighted spans (overlaps: the first span wins).
fn pieces(
    text: &str,
    mut spans: Vec<(std::ops::Range<usize>, &'static str, String)>,
) -> Vec<Piece> {
    spans.sort_by_key(|(r, _, _)| (r.start, std::cmp::Reverse(r.end)));
    let mut out = Vec::new();
    let mut at = 0;
    for (range, class, title) in spans {
        if range.start < at || range.end <= range.start {
            continue;
        }
        let (Some(before), Some(marked)) = (text.get(at..range.start), text.get(range.clone()))
        else {
            continue;
        };
        if !before.is_empty() {
            out.push(Piece {
                text: before.to_string(),
                class: "",
                title: String::new(),
            });
        }
        out.push(Piece {
            text: marked.to_string(),
            class,
            title,
        });
        at = range.end;
    }
    out.push(Piece {
        text: text.get(at..).unwrap_or("").to_string(),
        class: "",
        title: String::new(),
    });
    out
}

fn spans_at(
    detail: &ReportDetail,
    location: TextLocation,
) -> Vec<(std::ops::Range<usize>, &'static str, String)> {
    let mut spans = Vec::new();
    if let Some(c) = &detail.coding {
        let lists = [
            ("primary site", &c.primary_site),
            ("histology", &c.histology),
            ("behavior", &c.behavior),
            ("laterality", &c.laterality),
        ];
        for (what, list) in lists {
            for s in list.iter().take(1) {
                for e in &s.evidence {
                    if e.location == Some(location)
                        && let Some(span) = &e.span
                    {
                        spans.push((
                            span.clone(),
                            mark_class(None, true),
                            format!("{what} {}", s.code),
                        ));
                    }
                }
            }
        }
        for g in c.grade.iter().take(1) {
            for e in &g.evidence {
                if e.location == Some(location)
                    && let Some(span) = &e.span
                {
                    spans.push((
                        span.clone(),
                        "hl-code",
                        format!("grade {}", g.code.clone().unwrap_or_default()),
                    ));
                }
            }
        }
    }
    if let Some(s) = &detail.screening {
        for h in s.result.hits.iter().filter(|h| h.location == location) {
            spans.push((
                h.span.clone(),
                mark_class(h.assertion, false),
                format!(
                    "{:?}{}",
                    h.role,
                    h.assertion.map(|a| format!(", {a:?}")).unwrap_or_default()
                ),
            ));
        }
    }
    spans
}

fn tumor_view(t: &service::TumorCandidate) -> TumorView {
    TumorView {
        tumor_id: t.tumor_id,
        label: format!(
            "{} · {} · {}",
            shown("primarySite", Some(&t.primary_site)),
            t.histology,
            shown("dateOfDiagnosis", Some(&t.diagnosed))
        ),
        same_tumor: t.same_tumor,
        reason: t.reason.clone(),
    }
}

fn evidence_text(list: &[crate::domain::autocode::Suggestion]) -> String {
    list.first()
        .map(|s| {
            let phrases: Vec<String> = s
                .evidence
                .iter()
                .map(|e| format!("{:?}: \u{201c}{}\u{201d}", e.source, e.phrase))
                .collect();
            format!("{}% · {}", s.confidence, phrases.join("; "))
        })
        .unwrap_or_default()
}

fn review_page(
    layout: Layout,
    detail: ReportDetail,
    facilities: Vec<(i64, String)>,
    typed: Option<&HashMap<String, String>>,
    errors: &service::FieldErrorsView,
    can_edit: bool,
) -> ReviewPage {
    let r = &detail.report;
    let summary = detail.summary.clone().unwrap_or_default();
    let draft = service::draft_values(detail.summary.as_ref(), detail.coding.as_ref());
    let coding = detail.coding.clone().unwrap_or_default();
    let field = |spec: &crate::domain::fields::FieldSpec| -> DraftField {
        let suggested = draft.get(spec.naaccr_id).cloned().unwrap_or_default();
        let value = typed
            .and_then(|t| t.get(spec.naaccr_id).cloned())
            .unwrap_or_else(|| {
                if crate::domain::fields::is_date_item(spec.naaccr_id) {
                    crate::domain::date::PartialDate::parse(&suggested)
                        .map(|d| d.display_iso())
                        .unwrap_or_else(|_| suggested.clone())
                } else {
                    suggested.clone()
                }
            });
        let evidence = match spec.naaccr_id {
            "primarySite" => evidence_text(&coding.primary_site),
            "histologicTypeIcdO3" => evidence_text(&coding.histology),
            "behaviorCodeIcdO3" => evidence_text(&coding.behavior),
            "laterality" => evidence_text(&coding.laterality),
            "gradePathological" => coding
                .grade
                .first()
                .map(|g| {
                    format!(
                        "{}% · {:?}: \u{201c}{}\u{201d}",
                        g.confidence, g.system, g.phrase
                    )
                })
                .unwrap_or_default(),
            _ => String::new(),
        };
        DraftField {
            id: spec.naaccr_id,
            label: spec.label,
            description: crate::domain::fields::describe(spec.naaccr_id, value.trim())
                .unwrap_or_default(),
            suggested: shown(spec.naaccr_id, Some(&suggested)),
            value,
            evidence,
            error: errors.get(spec.naaccr_id).cloned(),
        }
    };
    let sections = summary
        .sections
        .iter()
        .enumerate()
        .map(|(i, (label, text))| SectionView {
            label: label.clone(),
            pieces: pieces(text, spans_at(&detail, TextLocation::Section(i))),
        })
        .collect();
    let synoptic = summary
        .synoptic
        .iter()
        .enumerate()
        .map(|(i, (t, q, a))| SynopticRow {
            template: t.clone(),
            question: q.clone(),
            pieces: pieces(a, spans_at(&detail, TextLocation::Synoptic(i))),
        })
        .collect();
    let (reportability, reasons) = match &detail.screening {
        Some(s) => (s.decision.status.to_string(), s.decision.reasons.clone()),
        None => (String::new(), Vec::new()),
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let patient = vec![
        ("Name", summary.display_name()),
        ("Middle name", summary.name_middle.clone()),
        ("Other names", summary.aliases.join("; ")),
        (
            "Date of birth",
            shown("dateOfBirth", Some(&summary.birth_date)),
        ),
        ("Sex", shown("sexAssignedAtBirth", summary.sex.as_deref())),
        (
            "Medical record number",
            format!("{} {}", opt(&summary.mrn), opt(&summary.mrn_authority))
                .trim()
                .to_string(),
        ),
        (
            "SSN",
            match (&summary.ssn, &summary.ssn_issue) {
                (Some(s), _) => shown("socialSecurityNumber", Some(s)),
                (None, Some(issue)) => format!("not kept: {issue}"),
                _ => String::new(),
            },
        ),
        ("Address", opt(&summary.address)),
        ("Phone", opt(&summary.phone)),
        ("Race", summary.race.join(", ")),
    ];
    let report = vec![
        (
            "Lab",
            format!("{} {}", summary.lab_name, summary.lab)
                .trim()
                .to_string(),
        ),
        ("Accession", summary.accession.clone()),
        ("Report status", summary.report_status.clone()),
        (
            "Collected",
            shown("dateOfDiagnosis", summary.collection_date.as_deref()),
        ),
        (
            "Reported",
            shown("dateOfDiagnosis", summary.report_date.as_deref()),
        ),
        (
            "Ordering facility",
            format!(
                "{} {}",
                summary.ordering_facility,
                opt(&summary.ordering_facility_npi)
            )
            .trim()
            .to_string(),
        ),
        (
            "Ordering provider",
            format!(
                "{} {}",
                summary.ordering_provider,
                opt(&summary.ordering_provider_npi)
            )
            .trim()
            .to_string(),
        ),
        ("Pathologist", summary.pathologist.clone()),
        ("Lab ICD-10", summary.icd10.join(", ")),
        ("Warnings", summary.warnings.join("; ")),
    ];
    ReviewPage {
        layout,
        id: r.id,
        status: model::status_label(&r.status).to_string(),
        open: matches!(
            r.status.as_str(),
            "to-review" | "possible-match" | "not-reportable"
        ),
        can_edit,
        patient: patient.into_iter().filter(|(_, v)| !v.is_empty()).collect(),
        report: report.into_iter().filter(|(_, v)| !v.is_empty()).collect(),
        reportability,
        reasons,
        screening_version: detail
            .screening
            .as_ref()
            .map(|s| i32::try_from(s.result.lists_version).unwrap_or(0)),
        sections,
        synoptic,
        corrections: detail.corrections.clone(),
        supersedes: r.supersedes_id,
        duplicate_of: r.duplicate_of_id,
        candidates: detail
            .candidates
            .iter()
            .map(|c| CandidateView {
                patient_id: c.patient_id,
                name: c.name.clone(),
                born: shown("dateOfBirth", Some(&c.birth_date)),
                score: c.score,
                reasons: c.reasons.join(", "),
                auto_link: c.auto_link,
                tumors: c.tumors.iter().map(tumor_view).collect(),
            })
            .collect(),
        linked: detail
            .linked_patient
            .as_ref()
            .map(|p| (p.id, p.display_name())),
        linked_tumors: detail
            .linked_tumors
            .iter()
            .map(|t| TumorView {
                tumor_id: t.id,
                label: format!(
                    "{} · {} · {}",
                    shown("primarySite", t.primary_site.as_deref()),
                    t.histology.clone().unwrap_or_default(),
                    shown("dateOfDiagnosis", t.date_of_diagnosis.as_deref())
                ),
                same_tumor: false,
                reason: String::new(),
            })
            .collect(),
        patient_fields: service::review_specs(true).into_iter().map(field).collect(),
        tumor_fields: service::review_specs(false)
            .into_iter()
            .map(field)
            .collect(),
        facilities,
        errors: errors.values().cloned().collect(),
        error_text: r.parse_error.clone().unwrap_or_default(),
        decision: [r.decision.clone(), r.decision_reason.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": "),
        message_text: r.message_text.replace('\r', "\n"),
    }
}

async fn load_review(
    state: &web::Data<AppState>,
    user: &crate::auth::CurrentUser,
    id: i64,
) -> Result<(ReportDetail, Vec<(i64, String)>), AppError> {
    let (actor, scope) = (user.actor(), user.scope.clone());
    db(state, move |conn| {
        let detail = service::read_report(conn, &actor, &scope, id)?;
        let facilities = facility::choices(conn, &scope)?;
        Ok((detail, facilities))
    })
    .await
}

async fn review(
    state: web::Data<AppState>,
    user: Authorized<ReadPatients>,
    path: web::Path<i64>,
) -> Result<ReviewPage, AppError> {
    let (detail, facilities) = load_review(&state, &user, path.into_inner()).await?;
    Ok(review_page(
        Layout::new(&user, &state),
        detail,
        facilities,
        None,
        &service::FieldErrorsView::new(),
        user.can_edit(),
    ))
}

async fn accept(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let input = form.into_inner();
    let target = input.get("target").map(String::as_str).unwrap_or("new");
    let how = if let Some(p) = target.strip_prefix("patient:") {
        Acceptance::NewTumor {
            patient_id: p
                .parse()
                .map_err(|_| AppError::BadRequest("Unknown patient.".into()))?,
        }
    } else if let Some(t) = target.strip_prefix("tumor:") {
        Acceptance::LinkTumor {
            tumor_id: t
                .parse()
                .map_err(|_| AppError::BadRequest("Unknown tumor.".into()))?,
        }
    } else {
        Acceptance::NewPatient {
            facility_id: input
                .get("facility")
                .and_then(|f| f.parse().ok())
                .ok_or_else(|| {
                    AppError::BadRequest("Choose the facility of the new patient.".into())
                })?,
        }
    };
    let current = user.user.clone();
    let typed = input.clone();
    let result = db(&state, move |conn| {
        Ok(service::accept(conn, &current, id, how, &typed))
    })
    .await?;
    match result {
        Ok(report) => Ok(see_other(&format!(
            "/patients/{}?saved=1",
            report.patient_id.unwrap_or_default()
        ))),
        Err(AcceptError::App(e)) => Err(e),
        Err(AcceptError::Invalid(errors)) => {
            let (detail, facilities) = load_review(&state, &user, id).await?;
            let errors: service::FieldErrorsView = errors
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            let page = review_page(
                Layout::new(&user, &state),
                detail,
                facilities,
                Some(&input),
                &errors,
                true,
            );
            Ok(HttpResponse::UnprocessableEntity()
                .content_type("text/html; charset=utf-8")
                .body(page.render()?))
        }
    }
}

#[derive(Deserialize)]
struct CloseForm {
    action: String,
    #[serde(default)]
    reason: String,
}

async fn close(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
    form: web::Form<CloseForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let status = match form.action.as_str() {
        "not-reportable" => "not-reportable",
        "duplicate" => "duplicate",
        _ => return Err(AppError::BadRequest("Unknown action.".into())),
    };
    let (actor, scope) = (user.actor(), user.scope.clone());
    db(&state, move |conn| {
        service::close(conn, &actor, &scope, id, status, &form.reason)
    })
    .await?;
    Ok(see_other("/pathology?status=to-review"))
}

pub struct TokenLine {
    pub id: i64,
    pub lab: String,
    pub clia: String,
    pub prefix: String,
    pub created: String,
    pub revoked: String,
    pub facility: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pathology/tokens.html")]
struct TokensPage {
    layout: Layout,
    tokens: Vec<TokenLine>,
    new_token: Option<String>,
    facilities: Vec<(i64, String)>,
}

async fn tokens_page(
    state: &web::Data<AppState>,
    user: &crate::auth::CurrentUser,
    new_token: Option<String>,
) -> Result<TokensPage, AppError> {
    let (tokens, facilities) = db(state, |conn| {
        let facilities = facility::choices(conn, &crate::models::patient::Scope::All)?;
        Ok((model::tokens(conn)?, facilities))
    })
    .await?;
    let facility_name = |id: Option<i64>| {
        id.and_then(|id| facilities.iter().find(|(f, _)| *f == id))
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| "Central registry".into())
    };
    Ok(TokensPage {
        layout: Layout::new(user, state),
        tokens: tokens
            .into_iter()
            .map(|t| TokenLine {
                facility: facility_name(t.facility_id),
                id: t.id,
                lab: t.lab_name,
                clia: t.clia,
                prefix: t.token_prefix,
                created: t.created_at.format("%Y-%m-%d %H:%M").to_string(),
                revoked: t
                    .revoked_at
                    .map(|r| r.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
            })
            .collect(),
        new_token,
        facilities,
    })
}

async fn tokens(
    state: web::Data<AppState>,
    user: Authorized<Administer>,
) -> Result<TokensPage, AppError> {
    tokens_page(&state, &user, None).await
}

#[derive(Deserialize)]
struct TokenForm {
    lab_name: String,
    #[serde(default)]
    clia: String,
    /// Facility the lab's reports belong to ("" = central registry).
    #[serde(default)]
    facility: String,
}

async fn issue_token(
    state: web::Data<AppState>,
    user: Authorized<Administer>,
    form: web::Form<TokenForm>,
) -> Result<TokensPage, AppError> {
    let actor = user.actor();
    let form = form.into_inner();
    let (_, token) = db(&state, move |conn| {
        let facility_id = match form.facility.trim() {
            "" => None,
            f => Some(
                f.parse::<i64>()
                    .ok()
                    .and_then(|id| facility::find(conn, id).ok().flatten())
                    .map(|f| f.id)
                    .ok_or_else(|| AppError::BadRequest("Unknown facility.".into()))?,
            ),
        };
        service::issue_token(conn, &actor, &form.lab_name, &form.clia, facility_id)
    })
    .await?;
    tokens_page(&state, &user, Some(token)).await
}

async fn revoke_token(
    state: web::Data<AppState>,
    user: Authorized<Administer>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let actor = user.actor();
    let id = path.into_inner();
    db(&state, move |conn| service::revoke_token(conn, &actor, id)).await?;
    Ok(see_other("/admin/lab-tokens"))
}

fn unauthorized(why: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((
            header::WWW_AUTHENTICATE,
            "Bearer realm=\"registrar-pathology\"",
        ))
        .json(serde_json::json!({ "error": why }))
}

/// The HL7 acknowledgments of a body's messages, in order.
pub fn acks(body: &[u8], summary: &IngestSummary) -> Vec<String> {
    let now = crate::models::now();
    let raws = split_messages(body);
    summary
        .outcomes
        .iter()
        .map(|o| {
            let header = raws.get(o.index).and_then(AckHeader::from_raw);
            let (code, text) = match (&header, o.ack) {
                (None, _) => (
                    AckCode::AR,
                    "no MSH segment: not an HL7 message".to_string(),
                ),
                (Some(_), "AE") => (AckCode::AE, o.errors.join("; ")),
                _ => (
                    AckCode::AA,
                    format!(
                        "stored as pathology report {}",
                        o.report_id.unwrap_or_default()
                    ),
                ),
            };
            build_ack(&header.unwrap_or_default(), code, &text, now)
        })
        .collect()
}

async fn api_ingest(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    let Some(token) = token else {
        return Ok(unauthorized("missing bearer token"));
    };
    let lab = db(&state, move |conn| service::authenticate_lab(conn, &token)).await?;
    let Some(lab) = lab else {
        return Ok(unauthorized("invalid or revoked token"));
    };
    let bytes = body.to_vec();
    let sender = Sender {
        actor: Actor::system(&format!("lab:{}", lab.lab_name)),
        lab_token_id: Some(lab.id),
        file_name: None,
        facility_id: lab.facility_id,
    };
    let summary = db(&state, move |conn| {
        let s = service::ingest(conn, Source::Api, &bytes, &sender)?;
        Ok((acks(&bytes, &s), s))
    })
    .await?;
    let (acks, summary) = summary;
    let wants_hl7 = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("hl7"));
    if wants_hl7 {
        return Ok(HttpResponse::Ok()
            .content_type("x-application/hl7-v2+er7")
            .body(acks.join("\r\n")));
    }
    let results: Vec<serde_json::Value> = summary
        .outcomes
        .iter()
        .zip(&acks)
        .map(|(o, ack)| {
            serde_json::json!({
                "index": o.index,
                "reportId": o.report_id,
                "status": o.status,
                "messageControlId": o.message_control_id,
                "ack": o.ack,
                "errors": o.errors,
                "hl7Ack": ack,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "rawMessageId": summary.raw_message_id,
        "messages": summary.messages,
        "results": results,
    })))
}
