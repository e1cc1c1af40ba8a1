//! QC of abstracts: the blind re-abstraction form (/tumors/{id}/qc), the differences of a review
//! with their reasons and resolutions (/qc/reviews/{id}), and agreement rates (/qc).

use std::collections::{BTreeMap, HashMap};

use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{Layout, db, see_other};
use crate::auth::{Authorized, ReviewAbstracts};
use crate::domain::abstracting::{
    DISCREPANCY_REASONS, dictionary, field_spec, qc_items, section_of,
};
use crate::domain::fields::{FieldKind, choices};
use crate::error::AppError;
use crate::services::patients::FieldErrors;
use crate::services::qc::{self as service, Decision};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tumors/{id}/qc", web::get().to(blind_form))
        .route("/tumors/{id}/qc", web::post().to(submit))
        .route("/qc/reviews/{id}", web::get().to(review))
        .route("/qc/reviews/{id}", web::post().to(resolve))
        .route("/qc", web::get().to(index));
}

/// One empty (or re-typed) field of the blind form.
pub struct BlindField {
    pub id: &'static str,
    pub label: String,
    pub number: u32,
    pub section: &'static str,
    pub is_code: bool,
    pub value: String,
    pub error: Option<String>,
    pub choices: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "qc/blind.html")]
pub struct BlindPage {
    pub layout: Layout,
    pub tumor_id: i64,
    pub heading: String,
    /// The fields grouped by section: (section title, fields).
    pub sections: Vec<(&'static str, Vec<BlindField>)>,
    pub errors: usize,
}

/// A value as the reviewer reads it (as every page shows it), "(empty)" for no value.
pub fn shown(naaccr_id: &str, value: Option<&str>) -> String {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(value) => super::shown(naaccr_id, Some(value)),
        None => "(empty)".into(),
    }
}

fn label_of(naaccr_id: &str) -> String {
    dictionary()
        .item(naaccr_id)
        .map(|d| format!("{} [{}]", d.name, d.number))
        .unwrap_or_else(|| naaccr_id.to_string())
}

fn blind_fields(
    typed: &HashMap<String, String>,
    errors: &FieldErrors,
) -> Vec<(&'static str, Vec<BlindField>)> {
    let mut sections: Vec<(&'static str, Vec<BlindField>)> = Vec::new();
    for field in qc_items().into_iter().filter_map(|id| {
        let spec = field_spec(id)?;
        let def = dictionary().item(id)?;
        Some(BlindField {
            id,
            label: def.name.clone(),
            number: def.number,
            section: section_of(id).map(|s| s.title).unwrap_or(""),
            is_code: spec.kind != FieldKind::Date,
            value: typed.get(id).cloned().unwrap_or_default(),
            error: errors.get(id).cloned(),
            choices: if spec.kind == FieldKind::Code {
                choices(id)
            } else {
                Vec::new()
            },
        })
    }) {
        match sections.last_mut() {
            Some((title, fields)) if *title == field.section => fields.push(field),
            _ => sections.push((field.section, vec![field])),
        }
    }
    sections
}

async fn blind_form(
    state: web::Data<AppState>,
    user: Authorized<ReviewAbstracts>,
    path: web::Path<i64>,
) -> Result<BlindPage, AppError> {
    let (actor, scope, id) = (user.actor(), user.scope.clone(), path.into_inner());
    let case = db(&state, move |conn| {
        service::blind_case(conn, &actor, &scope, id)
    })
    .await?;
    Ok(BlindPage {
        layout: Layout::new(&user, &state),
        tumor_id: case.tumor.id,
        heading: format!(
            "Blind QC review: tumor {} of {}",
            case.tumor.tumor_record_number,
            case.patient.display_name()
        ),
        sections: blind_fields(&HashMap::new(), &FieldErrors::new()),
        errors: 0,
    })
}

async fn submit(
    state: web::Data<AppState>,
    user: Authorized<ReviewAbstracts>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let input: HashMap<String, String> = form.into_inner().into_iter().collect();
    let (actor, scope) = (user.actor(), user.scope.clone());
    let typed = input.clone();
    let outcome = db(&state, move |conn| {
        service::submit_review(conn, &actor, &scope, id, &typed)
    })
    .await?;
    match outcome {
        Ok(review_id) => Ok(see_other(&format!("/qc/reviews/{review_id}"))),
        Err(errors) => {
            let (actor, scope) = (user.actor(), user.scope.clone());
            let case = db(&state, move |conn| {
                service::blind_case(conn, &actor, &scope, id)
            })
            .await?;
            let body = BlindPage {
                layout: Layout::new(&user, &state),
                tumor_id: case.tumor.id,
                heading: format!(
                    "Blind QC review: tumor {} of {}",
                    case.tumor.tumor_record_number,
                    case.patient.display_name()
                ),
                sections: blind_fields(&input, &errors),
                errors: errors.len(),
            }
            .render()?;
            Ok(unprocessable(body))
        }
    }
}

fn unprocessable(body: String) -> HttpResponse {
    HttpResponse::UnprocessableEntity()
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// One compared item that differs, as the review page shows it.
pub struct Difference {
    pub id: String,
    pub label: String,
    pub original: String,
    pub review: String,
    pub reason: String,
    pub reason_text: String,
    pub resolution: String,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "qc/review.html")]
pub struct ReviewPage {
    pub layout: Layout,
    pub review_id: i64,
    pub tumor_id: i64,
    pub heading: String,
    pub reviewer: String,
    pub registrar: String,
    pub resolved: bool,
    pub compared: usize,
    pub agreed: usize,
    pub differences: Vec<Difference>,
    pub reasons: Vec<(&'static str, &'static str)>,
    pub errors: usize,
}

#[derive(Deserialize, Default)]
struct ReviewQuery {
    #[serde(default)]
    resolved: Option<String>,
}

/// Decisions typed on a refused resolve, with the refusal per item.
type TypedDecisions<'a> = (&'a HashMap<String, Decision>, &'a BTreeMap<String, String>);

async fn render_review(
    state: &web::Data<AppState>,
    user: &Authorized<ReviewAbstracts>,
    review_id: i64,
    typed: Option<TypedDecisions<'_>>,
    notice: Option<&str>,
) -> Result<ReviewPage, AppError> {
    let (actor, scope) = (user.actor(), user.scope.clone());
    let view = db(state, move |conn| {
        service::read_review(conn, &actor, &scope, review_id)
    })
    .await?;
    let differences = view
        .items
        .iter()
        .filter(|i| !i.agreed)
        .map(|i| {
            let decision = typed.and_then(|(d, _)| d.get(&i.naaccr_id));
            Difference {
                id: i.naaccr_id.clone(),
                label: label_of(&i.naaccr_id),
                original: shown(&i.naaccr_id, i.original_value.as_deref()),
                review: shown(&i.naaccr_id, i.review_value.as_deref()),
                reason: decision
                    .map(|d| d.reason.clone())
                    .or_else(|| i.reason.clone())
                    .unwrap_or_default(),
                reason_text: decision
                    .map(|d| d.reason_text.clone())
                    .or_else(|| i.reason_text.clone())
                    .unwrap_or_default(),
                resolution: decision
                    .map(|d| d.resolution.clone())
                    .or_else(|| i.resolution.clone())
                    .unwrap_or_default(),
                error: typed.and_then(|(_, e)| e.get(&i.naaccr_id).cloned()),
            }
        })
        .collect();
    Ok(ReviewPage {
        layout: Layout::new(user, state).notice(notice),
        review_id: view.review.id,
        tumor_id: view.tumor.id,
        heading: format!(
            "QC review {}: tumor {} of {}",
            view.review.id,
            view.tumor.tumor_record_number,
            view.patient.display_name()
        ),
        reviewer: view.review.reviewer_email.clone(),
        registrar: view.review.registrar_email.clone(),
        resolved: view.review.state == "resolved",
        compared: view.items.len(),
        agreed: view.items.iter().filter(|i| i.agreed).count(),
        differences,
        reasons: DISCREPANCY_REASONS.to_vec(),
        errors: typed.map(|(_, e)| e.len()).unwrap_or(0),
    })
}

async fn review(
    state: web::Data<AppState>,
    user: Authorized<ReviewAbstracts>,
    path: web::Path<i64>,
    query: web::Query<ReviewQuery>,
) -> Result<ReviewPage, AppError> {
    let notice = query.resolved.is_some().then_some("Differences resolved.");
    render_review(&state, &user, path.into_inner(), None, notice).await
}

async fn resolve(
    state: web::Data<AppState>,
    user: Authorized<ReviewAbstracts>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let mut decisions: HashMap<String, Decision> = HashMap::new();
    for (name, value) in form.into_inner() {
        let Some((kind, item)) = name.split_once('-') else {
            continue;
        };
        let decision = decisions.entry(item.to_string()).or_default();
        match kind {
            "reason" => decision.reason = value,
            "text" => decision.reason_text = value,
            "resolution" => decision.resolution = value,
            _ => {}
        }
    }
    let (actor, scope) = (user.actor(), user.scope.clone());
    let given = decisions.clone();
    let outcome = db(&state, move |conn| {
        service::resolve_review(conn, &actor, &scope, id, &given)
    })
    .await?;
    match outcome {
        Ok(()) => Ok(see_other(&format!("/qc/reviews/{id}?resolved=1"))),
        Err(refusals) => {
            let body = render_review(&state, &user, id, Some((&decisions, &refusals)), None)
                .await?
                .render()?;
            Ok(unprocessable(body))
        }
    }
}

pub struct RateRow {
    pub key: String,
    pub compared: usize,
    pub agreed: usize,
    pub percent: String,
}

pub struct ReviewRow {
    pub id: i64,
    pub tumor_id: i64,
    pub when: String,
    pub reviewer: String,
    pub registrar: String,
    pub state: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "qc/index.html")]
pub struct QcPage {
    pub layout: Layout,
    pub per_item: Vec<RateRow>,
    pub per_registrar: Vec<RateRow>,
    pub reviews: Vec<ReviewRow>,
}

async fn index(
    state: web::Data<AppState>,
    user: Authorized<ReviewAbstracts>,
) -> Result<QcPage, AppError> {
    let summary = db(&state, service::summary).await?;
    let rows = |list: Vec<crate::domain::abstracting::Agreement>, items: bool| {
        list.into_iter()
            .map(|a| RateRow {
                percent: a.percent(),
                key: if items { label_of(&a.key) } else { a.key },
                compared: a.compared,
                agreed: a.agreed,
            })
            .collect()
    };
    Ok(QcPage {
        layout: Layout::new(&user, &state),
        per_item: rows(summary.per_item, true),
        per_registrar: rows(summary.per_registrar, false),
        reviews: summary
            .reviews
            .into_iter()
            .map(|r| ReviewRow {
                id: r.id,
                tumor_id: r.tumor_id,
                when: r.created_at.format("%Y-%m-%d %H:%M").to_string(),
                reviewer: r.reviewer_email,
                registrar: r.registrar_email,
                state: r.state,
            })
            .collect(),
    })
}
