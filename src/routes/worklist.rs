//! The home page: the registrar's worklist.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use super::{Layout, db, shown};
use crate::auth::{Authorized, ReadPatients};
use crate::error::AppError;
use crate::models::tumor;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index));
}

struct AbstractLine {
    tumor_id: i64,
    patient_id: i64,
    patient_name: String,
    site: String,
    histology: String,
    diagnosed: String,
    status: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "worklist/index.html")]
struct WorklistPage {
    layout: Layout,
    abstracts: Vec<AbstractLine>,
    can_edit: bool,
    pathology: Vec<super::pathology::Line>,
    pathology_open: i64,
    /// Follow-up responses held for a registrar: (response id, patient name, received).
    followup_responses: Vec<(i64, String, String)>,
}

async fn index(
    state: web::Data<AppState>,
    user: Authorized<ReadPatients>,
) -> Result<WorklistPage, AppError> {
    let scope = user.scope.clone();
    let (entries, pathology, counts, pending) = db(&state, move |conn| {
        let filter = crate::models::pathology::WorklistFilter {
            status: "open".into(),
            ..Default::default()
        };
        let pending: Vec<(i64, String, String)> =
            crate::models::followup::pending_responses(conn, &scope, 50)?
                .into_iter()
                .map(|(r, last, first)| {
                    let name = match first {
                        Some(f) if !f.is_empty() => format!("{last}, {f}"),
                        _ => last,
                    };
                    (r.id, name, r.submitted_at.format("%Y-%m-%d").to_string())
                })
                .collect();
        Ok((
            tumor::in_progress(conn, &scope, 50)?,
            crate::models::pathology::worklist(conn, &scope, &filter, 10)?,
            crate::models::pathology::status_counts(conn, &scope)?,
            pending,
        ))
    })
    .await?;
    let pathology_open = counts
        .iter()
        .filter(|(s, _)| crate::models::pathology::OPEN_STATUSES.contains(&s.as_str()))
        .map(|(_, n)| n)
        .sum();
    let abstracts = entries
        .into_iter()
        .map(|e| AbstractLine {
            tumor_id: e.tumor_id,
            patient_id: e.patient_id,
            patient_name: match &e.name_first {
                Some(f) => format!("{}, {}", e.name_last, f),
                None => e.name_last.clone(),
            },
            site: shown("primarySite", e.primary_site.as_deref()),
            histology: match (&e.histology, &e.behavior) {
                (Some(h), Some(b)) => format!("{h}/{b}"),
                (Some(h), None) => h.clone(),
                _ => String::new(),
            },
            diagnosed: shown("dateOfDiagnosis", e.date_of_diagnosis.as_deref()),
            status: e.abstract_status,
        })
        .collect();
    Ok(WorklistPage {
        layout: Layout::new(&user, &state),
        abstracts,
        can_edit: user.can_edit(),
        pathology: pathology
            .into_iter()
            .map(super::pathology::line_of)
            .collect(),
        pathology_open,
        followup_responses: pending,
    })
}
