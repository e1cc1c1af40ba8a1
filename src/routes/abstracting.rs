//! The abstract screen (/tumors/{id}/abstract), edits as you type, abstract status, new primary as
//! a copy, tumor deletion, and the code lookups the page's script uses.

use std::collections::{BTreeMap, HashMap};

use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{Layout, db, see_other};
use crate::auth::{Authorized, EditPatients, ReadPatients, Role};
use crate::domain::abstracting::{
    COMPUTED_ITEMS, SECTIONS, all_item_defs, field_spec, is_long_text, is_required, item_def,
    search_items, section_of,
};
use crate::domain::codes;
use crate::domain::date::PartialDate;
use crate::domain::edits::{EditFailure, Severity, run_edits};
use crate::domain::fields::{FieldKind, choices, describe};
use crate::domain::icdo3;
use crate::error::AppError;
use crate::services::abstracting::{
    self as service, AbstractView, StatusRefusal, abstract_context, field_history, record_of,
};
use crate::services::patients::FieldErrors;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tumors/{id}/abstract", web::get().to(show))
        .route("/tumors/{id}/abstract", web::post().to(save))
        .route("/tumors/{id}/edits", web::post().to(edits))
        .route("/tumors/{id}/draft", web::post().to(draft))
        .route("/tumors/{id}/draft/discard", web::post().to(discard_draft))
        .route("/tumors/{id}/status", web::post().to(status))
        .route("/tumors/{id}/copy", web::post().to(copy))
        .route("/tumors/{id}/delete", web::post().to(delete))
        .route("/lookup/topography", web::get().to(lookup_topography))
        .route("/lookup/histology", web::get().to(lookup_histology))
        .route("/lookup/codes/{naaccr_id}", web::get().to(lookup_codes));
}

/// One field of the abstract as the page renders it.
pub struct AbstractField {
    pub id: String,
    pub label: String,
    pub number: u32,
    /// "code", "date", "text" or "textarea".
    pub kind: &'static str,
    pub value: String,
    pub description: String,
    pub error: Option<String>,
    /// Failed edits naming this item.
    pub edits: Vec<String>,
    pub edit_error: bool,
    pub required: bool,
    pub readonly: bool,
    pub max_length: u32,
    pub choices: Vec<(String, String)>,
    /// "topography", "histology" or "" (which lookup the script offers).
    pub lookup: &'static str,
}

pub struct SectionView {
    pub key: &'static str,
    pub title: &'static str,
    pub fields: Vec<AbstractField>,
}

pub struct HistoryEntry {
    pub when: String,
    pub who: String,
    pub old: String,
    pub new: String,
}

pub struct CopyChoice {
    pub id: String,
    pub label: String,
    pub value: String,
    pub checked: bool,
}

pub struct SourceText {
    pub label: String,
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "abstracts/abstract.html")]
pub struct AbstractPage {
    pub layout: Layout,
    pub tumor_id: i64,
    pub patient_id: i64,
    pub heading: String,
    pub status: String,
    pub can_edit: bool,
    pub may_review: bool,
    pub sections: Vec<SectionView>,
    pub errors: Vec<(String, String)>,
    pub failures: Vec<(String, String, String)>,
    pub source: Vec<SourceText>,
    pub find: String,
    pub found: Vec<AbstractField>,
    pub history_item: String,
    pub history_label: String,
    pub history: Vec<HistoryEntry>,
    pub copy_choices: Vec<CopyChoice>,
    pub next_case: Option<i64>,
    pub tumors: Vec<(i64, String, String)>,
    /// The form shows the user's server-side draft (a discard button is offered).
    pub draft_restored: bool,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    find: String,
    #[serde(default)]
    history: String,
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    renumbered: Option<String>,
    #[serde(default)]
    notice: Option<String>,
}

fn field_view(
    naaccr_id: &str,
    value: Option<&str>,
    typed: bool,
    error: Option<&String>,
    failures: &[EditFailure],
) -> Option<AbstractField> {
    let spec = field_spec(naaccr_id)?;
    let def = item_def(naaccr_id)?;
    let stored = value.unwrap_or("");
    let value = if spec.kind == FieldKind::Date && !typed {
        PartialDate::parse(stored)
            .map(|d| d.display_iso())
            .unwrap_or_else(|_| stored.to_string())
    } else {
        stored.to_string()
    };
    let description = match spec.kind {
        FieldKind::Code | FieldKind::PrimarySite | FieldKind::Histology => {
            describe(naaccr_id, value.trim()).unwrap_or_default()
        }
        _ => String::new(),
    };
    let mine: Vec<&EditFailure> = failures
        .iter()
        .filter(|f| f.items.iter().any(|i| i == naaccr_id))
        .collect();
    Some(AbstractField {
        id: naaccr_id.to_string(),
        label: def.name.clone(),
        number: def.number,
        kind: match spec.kind {
            FieldKind::Code | FieldKind::PrimarySite | FieldKind::Histology => "code",
            FieldKind::Date => "date",
            FieldKind::Text if is_long_text(def) => "textarea",
            FieldKind::Text => "text",
        },
        value,
        description,
        error: error.cloned(),
        edit_error: mine.iter().any(|f| f.severity == Severity::Error),
        edits: mine
            .iter()
            .map(|f| format!("{} ({}): {}", f.edit_id, f.severity.as_str(), f.message))
            .collect(),
        required: is_required(naaccr_id),
        readonly: COMPUTED_ITEMS.contains(&naaccr_id),
        max_length: def.length,
        choices: if spec.kind == FieldKind::Code {
            choices(naaccr_id)
        } else {
            Vec::new()
        },
        lookup: match spec.kind {
            FieldKind::PrimarySite => "topography",
            FieldKind::Histology => "histology",
            _ => "",
        },
    })
}

fn may_review(role: Role) -> bool {
    matches!(role, Role::Reviewer | Role::Admin)
}

/// Builds the page from the stored abstract, or from typed values after a refused save.
fn page(
    layout: Layout,
    role: Role,
    view: AbstractView,
    query: &PageQuery,
    typed: Option<(&HashMap<String, String>, &FieldErrors)>,
) -> AbstractPage {
    let patient = &view.patient;
    let tumor = &view.tumor;
    let record = record_of(patient, tumor);
    let failures = run_edits(&record, &abstract_context(chrono::Utc::now().date_naive()));
    let value_of = |id: &str| -> (Option<String>, bool) {
        match typed {
            Some((input, _)) if input.contains_key(id) => (input.get(id).cloned(), true),
            _ => (record.get(id).cloned(), false),
        }
    };
    let no_errors = FieldErrors::new();
    let errors = typed.map(|(_, e)| e).unwrap_or(&no_errors);
    let sections = SECTIONS
        .iter()
        .map(|s| SectionView {
            key: s.key,
            title: s.title,
            fields: s
                .items
                .iter()
                .filter_map(|id| {
                    let (value, typed) = value_of(id);
                    field_view(id, value.as_deref(), typed, errors.get(id), &failures)
                })
                .collect(),
        })
        .collect();
    let found = search_items(all_item_defs().into_iter(), &query.find, 60)
        .into_iter()
        .filter(|d| section_of(&d.naaccr_id).is_none())
        .filter_map(|d| {
            let (value, typed) = value_of(&d.naaccr_id);
            field_view(
                &d.naaccr_id,
                value.as_deref(),
                typed,
                errors.get(d.naaccr_id.as_str()),
                &failures,
            )
        })
        .collect();
    let source = SECTIONS
        .iter()
        .filter(|s| s.key == "text")
        .flat_map(|s| s.items.iter())
        .filter_map(|id| {
            let text = record.get(*id)?;
            Some(SourceText {
                label: item_def(id).map(|d| d.name.clone()).unwrap_or_default(),
                text: text.clone(),
            })
        })
        .collect();
    let history_item = query.history.trim().to_string();
    let history = if history_item.is_empty() {
        Vec::new()
    } else {
        field_history(&view.history, &history_item)
            .into_iter()
            .map(|(when, who, old, new)| HistoryEntry {
                when,
                who,
                old,
                new,
            })
            .collect()
    };
    let copy_choices = tumor
        .all_items(patient)
        .into_iter()
        .filter(|(id, _)| {
            field_spec(id).is_some()
                && !COMPUTED_ITEMS.contains(&id.as_str())
                && !crate::domain::abstracting::is_patient_item(id)
                && id != "tumorRecordNumber"
                && section_of(id).is_none_or(|s| s.key != "text")
        })
        .map(|(id, value)| CopyChoice {
            label: item_def(&id).map(|d| d.name.clone()).unwrap_or_default(),
            checked: section_of(&id).is_some_and(|s| s.key == "identification"),
            value,
            id,
        })
        .collect();
    let mut notices: Vec<String> = Vec::new();
    if query.saved.is_some() {
        notices.push("Saved.".into());
    }
    if let Some(n) = query.renumbered.as_deref().filter(|n| !n.is_empty()) {
        notices.push(format!("Sequence numbers changed: {n}."));
    }
    if let Some(n) = query.notice.as_deref().filter(|n| !n.is_empty()) {
        notices.push(n.to_string());
    }
    let notice = (!notices.is_empty()).then(|| notices.join(" "));
    AbstractPage {
        layout: layout.notice(notice.as_deref()),
        tumor_id: tumor.id,
        patient_id: patient.id,
        heading: format!(
            "Abstract: tumor {} of {}",
            tumor.tumor_record_number,
            patient.display_name()
        ),
        status: tumor.abstract_status.clone(),
        can_edit: matches!(role, Role::Admin | Role::Registrar),
        may_review: may_review(role),
        sections,
        errors: errors
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        failures: failures
            .iter()
            .map(|f| {
                (
                    f.items.first().cloned().unwrap_or_default(),
                    f.severity.as_str().to_string(),
                    format!("{}: {}", f.edit_id, f.message),
                )
            })
            .collect(),
        source,
        find: query.find.clone(),
        found,
        history_label: item_def(&history_item)
            .map(|d| format!("{} [{}]", d.name, d.number))
            .unwrap_or_default(),
        history_item,
        history,
        copy_choices,
        next_case: view.next_case,
        draft_restored: false,
        tumors: view
            .tumors
            .iter()
            .map(|t| {
                (
                    t.id,
                    t.tumor_record_number.clone(),
                    format!(
                        "{} {}",
                        t.primary_site.clone().unwrap_or_default(),
                        t.abstract_status
                    ),
                )
            })
            .collect(),
    }
}

async fn show(
    state: web::Data<AppState>,
    user: Authorized<ReadPatients>,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<AbstractPage, AppError> {
    let (actor, scope, id) = (user.actor(), user.scope.clone(), path.into_inner());
    let mut view = db(&state, move |conn| {
        service::read_abstract(conn, &actor, &scope, id)
    })
    .await?;
    // An unsaved draft of this user is restored into the form (and can be discarded).
    let draft = view.draft.take().filter(|_| user.can_edit());
    let no_errors = FieldErrors::new();
    let mut query = query.into_inner();
    let typed = draft.as_ref().map(|(values, at)| {
        query.notice = Some(format!(
            "Your unsaved draft of {} UTC was restored: save to keep it, or discard it.",
            at.format("%Y-%m-%d %H:%M")
        ));
        (values, &no_errors)
    });
    let mut body = page(Layout::new(&user, &state), user.role, view, &query, typed);
    body.draft_restored = draft.is_some();
    Ok(body)
}

fn input_map(form: web::Form<Vec<(String, String)>>) -> HashMap<String, String> {
    form.into_inner().into_iter().collect()
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

async fn save(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let input = input_map(form);
    let section = input.get("section").cloned().unwrap_or_default();
    match service::validate_abstract(&input) {
        Ok(values) => {
            let (actor, scope) = (user.actor(), user.scope.clone());
            let outcome = db(&state, move |conn| {
                crate::db::write_tx(conn, |conn| {
                    let outcome = service::save_abstract(conn, &actor, &scope, id, values)?;
                    service::clear_draft(conn, &actor, &scope, id)?;
                    Ok(outcome)
                })
            })
            .await?;
            let mut location = format!("/tumors/{id}/abstract?saved=1");
            if !outcome.renumbered.is_empty() {
                location.push_str("&renumbered=");
                location.push_str(&encode(&outcome.renumbered.join("; ")));
            }
            if outcome.reopened {
                location.push_str("&notice=");
                location.push_str(&encode(
                    "The abstract went back to incomplete: an error edit fails.",
                ));
            }
            if SECTIONS.iter().any(|s| s.key == section) {
                location.push_str(&format!("#s-{section}"));
            }
            Ok(see_other(&location))
        }
        Err(errors) => {
            let (actor, scope) = (user.actor(), user.scope.clone());
            let view = db(&state, move |conn| {
                service::read_abstract(conn, &actor, &scope, id)
            })
            .await?;
            let body = page(
                Layout::new(&user, &state),
                user.role,
                view,
                &PageQuery::default(),
                Some((&input, &errors)),
            )
            .render()?;
            Ok(HttpResponse::UnprocessableEntity()
                .content_type("text/html; charset=utf-8")
                .body(body))
        }
    }
}

#[derive(serde::Serialize)]
struct EditsAnswer {
    errors: usize,
    warnings: usize,
    failures: Vec<EditFailure>,
    /// naaccrId → messages, for the fields on the page.
    fields: BTreeMap<String, Vec<String>>,
}

async fn edits(
    state: web::Data<AppState>,
    user: Authorized<ReadPatients>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let input = input_map(form);
    let (actor, scope) = (user.actor(), user.scope.clone());
    let result = db(&state, move |conn| {
        service::check_edits(conn, &actor, &scope, id, &input)
    })
    .await?;
    let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &result.failures {
        for item in &f.items {
            fields.entry(item.clone()).or_default().push(format!(
                "{} ({}): {}",
                f.edit_id,
                f.severity.as_str(),
                f.message
            ));
        }
    }
    Ok(HttpResponse::Ok().json(EditsAnswer {
        errors: result.errors,
        warnings: result.warnings,
        failures: result.failures,
        fields,
    }))
}

/// Autosave: the unsaved form of the abstract page, kept on the server for this user.
async fn draft(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let input = input_map(form);
    let (actor, scope) = (user.actor(), user.scope.clone());
    db(&state, move |conn| {
        service::save_draft(conn, &actor, &scope, id, &input)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn discard_draft(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (actor, scope) = (user.actor(), user.scope.clone());
    db(&state, move |conn| {
        service::clear_draft(conn, &actor, &scope, id)
    })
    .await?;
    Ok(see_other(&format!(
        "/tumors/{id}/abstract?notice={}",
        encode("Draft discarded.")
    )))
}

#[derive(Deserialize)]
struct StatusForm {
    status: String,
}

async fn status(
    state: web::Data<AppState>,
    user: Authorized<ReadPatients>,
    path: web::Path<i64>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let wanted = form.into_inner().status;
    // Registrars complete and reopen abstracts; reviewers mark them reviewed.
    let allowed = match wanted.as_str() {
        "reviewed" => may_review(user.role),
        _ => user.can_edit(),
    };
    if !allowed {
        return Err(AppError::Forbidden(format!(
            "{} may not set an abstract {wanted}",
            user.role.as_str()
        )));
    }
    let (actor, scope, reviewer) = (user.actor(), user.scope.clone(), may_review(user.role));
    let target = wanted.clone();
    let outcome = db(&state, move |conn| {
        service::set_status(conn, &actor, &scope, reviewer, id, &target)
    })
    .await?;
    match outcome {
        Ok(()) => Ok(see_other(&format!(
            "/tumors/{id}/abstract?notice={}",
            encode(&format!("Status: {wanted}."))
        ))),
        Err(refusal) => {
            let message = match refusal {
                StatusRefusal::Errors(errors) => format!(
                    "Not complete: {} error edit{} fail{}: {}",
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" },
                    if errors.len() == 1 { "s" } else { "" },
                    errors.join("; ")
                ),
                StatusRefusal::NotAllowed(m) => m,
            };
            let (actor, scope) = (user.actor(), user.scope.clone());
            let view = db(&state, move |conn| {
                service::read_abstract(conn, &actor, &scope, id)
            })
            .await?;
            let query = PageQuery {
                notice: Some(message),
                ..PageQuery::default()
            };
            let body = page(Layout::new(&user, &state), user.role, view, &query, None).render()?;
            Ok(HttpResponse::UnprocessableEntity()
                .content_type("text/html; charset=utf-8")
                .body(body))
        }
    }
}

async fn copy(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let items: Vec<String> = form
        .into_inner()
        .into_iter()
        .filter(|(k, _)| k == "item")
        .map(|(_, v)| v)
        .collect();
    let (actor, scope) = (user.actor(), user.scope.clone());
    let (copy, renumbered) = db(&state, move |conn| {
        service::copy_tumor(conn, &actor, &scope, id, &items)
    })
    .await?;
    let mut location = format!(
        "/tumors/{}/abstract?notice={}",
        copy.id,
        encode("New primary started as a copy.")
    );
    if !renumbered.is_empty() {
        location.push_str("&renumbered=");
        location.push_str(&encode(&renumbered.join("; ")));
    }
    Ok(see_other(&location))
}

async fn delete(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (actor, scope) = (user.actor(), user.scope.clone());
    // The patient page lists the tumors with their recomputed sequence numbers.
    let (patient_id, _renumbered) = db(&state, move |conn| {
        service::delete_tumor(conn, &actor, &scope, id)
    })
    .await?;
    Ok(see_other(&format!("/patients/{patient_id}?saved=1")))
}

#[derive(Deserialize)]
struct Lookup {
    #[serde(default)]
    q: String,
}

#[derive(serde::Serialize)]
struct LookupHit {
    code: String,
    description: String,
}

async fn lookup_topography(
    _user: Authorized<ReadPatients>,
    query: web::Query<Lookup>,
) -> HttpResponse {
    let hits: Vec<LookupHit> = icdo3::search_topography(&query.q, 30)
        .into_iter()
        .map(|t| LookupHit {
            code: t.code.to_string(),
            description: t.title.to_string(),
        })
        .collect();
    HttpResponse::Ok().json(hits)
}

async fn lookup_histology(
    _user: Authorized<ReadPatients>,
    query: web::Query<Lookup>,
) -> HttpResponse {
    let hits: Vec<LookupHit> = icdo3::search_morphology(&query.q, 30)
        .into_iter()
        .map(|m| LookupHit {
            code: m.display(),
            description: m.term.to_string(),
        })
        .collect();
    HttpResponse::Ok().json(hits)
}

async fn lookup_codes(
    _user: Authorized<ReadPatients>,
    path: web::Path<String>,
    query: web::Query<Lookup>,
) -> Result<HttpResponse, AppError> {
    let list = codes::code_list(&path.into_inner()).ok_or(AppError::NotFound)?;
    let q = query.q.trim();
    let hits: Vec<LookupHit> = if q.is_empty() {
        list.codes
            .iter()
            .filter(|c| !c.code.is_empty())
            .collect::<Vec<_>>()
    } else {
        list.search(q)
    }
    .into_iter()
    .take(50)
    .map(|c| LookupHit {
        code: c.code.to_string(),
        description: c.description.to_string(),
    })
    .collect();
    Ok(HttpResponse::Ok().json(hits))
}
