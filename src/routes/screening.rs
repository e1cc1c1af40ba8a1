//! Administration of the screening keyword lists and reportability rules: view the active
//! version, look at any stored version, edit (one text box per list) and save as a new version
//! with a comment, activate a version.

use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{Layout, db, see_other};
use crate::auth::{Administer, Authorized};
use crate::domain::screening::LIST_NAMES;
use crate::error::AppError;
use crate::models::pathology as model;
use crate::services::screening_versions::{self as service, Decoded, Edit};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/screening", web::get().to(index))
        .route("/admin/screening", web::post().to(save))
        .route("/admin/screening/edit", web::get().to(edit_form))
        .route("/admin/screening/{version}", web::get().to(view))
        .route(
            "/admin/screening/{version}/activate",
            web::post().to(activate),
        );
}

/// What each list is, for the labels of the text boxes.
pub fn list_label(name: &str) -> &'static str {
    match name {
        "positive" => "Positive terms (cancer and reportable CNS tumour terms)",
        "negation_before" => "Negation before the term (\"negative for\", \"no evidence of\")",
        "negation_after" => "Negation after the term (\"not identified\")",
        "history_before" => "History and rule-out before the term (\"history of\", \"r/o\")",
        "ambiguous_reportable_before" => {
            "Ambiguous terms that are diagnostic, before the term (\"suspicious for\", \"consistent with\")"
        }
        "ambiguous_reportable_after" => {
            "Ambiguous terms that are diagnostic, after the term (\"is favored\")"
        }
        "ambiguous_not_reportable_before" => {
            "Ambiguous terms that are not diagnostic, before the term (\"possible\", \"cannot rule out\")"
        }
        "ambiguous_not_reportable_after" => {
            "Ambiguous terms that are not diagnostic, after the term (\"cannot be excluded\")"
        }
        "pseudo_negation" => "Pseudo-negations: contain a negation word but negate nothing",
        "scope_terminator" => "Words that end the scope of a negation or qualifier (\"but\")",
        "benign" => "Benign wording (highlighted only)",
        _ => "List",
    }
}

pub struct ListBox {
    pub name: &'static str,
    pub label: &'static str,
    pub text: String,
    pub count: usize,
}

pub struct VersionLine {
    pub version: i32,
    pub created: String,
    pub comment: String,
    pub rules_name: String,
    pub active: bool,
}

fn boxes(d: &Decoded) -> Vec<ListBox> {
    LIST_NAMES
        .iter()
        .map(|n| {
            let text = d.lists.list_text(n);
            ListBox {
                name: n,
                label: list_label(n),
                count: text.lines().count(),
                text,
            }
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/screening.html")]
struct IndexPage {
    layout: Layout,
    active: Option<VersionLine>,
    versions: Vec<VersionLine>,
}

fn line(v: &model::ScreeningVersion) -> VersionLine {
    VersionLine {
        version: v.version,
        created: v.created_at.format("%Y-%m-%d %H:%M").to_string(),
        comment: v.comment.clone(),
        rules_name: v.rules_name.clone(),
        active: v.active,
    }
}

async fn index(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
) -> Result<IndexPage, AppError> {
    let versions = db(&state, |conn| {
        service::ensure_default(conn)?;
        Ok(model::screening_versions(conn)?)
    })
    .await?;
    let lines: Vec<VersionLine> = versions.iter().map(line).collect();
    Ok(IndexPage {
        layout: Layout::new(&admin, &state),
        active: versions.iter().find(|v| v.active).map(line),
        versions: lines,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/screening_version.html")]
struct VersionPage {
    layout: Layout,
    version: VersionLine,
    boxes: Vec<ListBox>,
    rules: String,
}

async fn view(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
    path: web::Path<i32>,
) -> Result<VersionPage, AppError> {
    let version = path.into_inner();
    let d = db(&state, move |conn| service::decoded(conn, version)).await?;
    Ok(VersionPage {
        layout: Layout::new(&admin, &state),
        version: line(&d.stored),
        boxes: boxes(&d),
        rules: d.rules.to_text(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/screening_edit.html")]
struct EditPage {
    layout: Layout,
    from: i32,
    boxes: Vec<ListBox>,
    rules: String,
    comment: String,
    activate: bool,
    error: Option<String>,
}

#[derive(serde::Deserialize)]
struct FromQuery {
    from: Option<i32>,
}

async fn edit_form(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
    query: web::Query<FromQuery>,
) -> Result<EditPage, AppError> {
    let from = query.from;
    let d = db(&state, move |conn| {
        service::ensure_default(conn)?;
        let version = match from {
            Some(v) => v,
            None => model::active_screening_key(conn)?
                .map(|k| k.0)
                .ok_or(AppError::NotFound)?,
        };
        service::decoded(conn, version)
    })
    .await?;
    Ok(EditPage {
        layout: Layout::new(&admin, &state),
        from: d.stored.version,
        boxes: boxes(&d),
        rules: d.rules.to_text(),
        comment: String::new(),
        activate: true,
        error: None,
    })
}

async fn save(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let fields = form.into_inner();
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let edit = Edit {
        lists: LIST_NAMES
            .iter()
            .map(|n| (n.to_string(), get(&format!("list_{n}"))))
            .collect(),
        rules: get("rules"),
        comment: get("comment"),
        activate: get("activate") == "1",
    };
    let from: i32 = get("from").parse().unwrap_or(0);
    let actor = admin.actor();
    let e = edit.clone();
    match db(&state, move |conn| service::save(conn, &actor, &e)).await {
        Ok(version) => Ok(see_other(&format!("/admin/screening/{version}"))),
        Err(AppError::BadRequest(message)) => {
            let page = EditPage {
                layout: Layout::new(&admin, &state),
                from,
                boxes: LIST_NAMES
                    .iter()
                    .zip(edit.lists.iter())
                    .map(|(n, (_, text))| ListBox {
                        name: n,
                        label: list_label(n),
                        text: text.clone(),
                        count: text.lines().filter(|l| !l.trim().is_empty()).count(),
                    })
                    .collect(),
                rules: edit.rules,
                comment: edit.comment,
                activate: edit.activate,
                error: Some(message),
            };
            Ok(HttpResponse::BadRequest()
                .content_type("text/html; charset=utf-8")
                .body(page.render()?))
        }
        Err(e) => Err(e),
    }
}

async fn activate(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let version = path.into_inner();
    let actor = admin.actor();
    db(&state, move |conn| service::activate(conn, &actor, version)).await?;
    Ok(see_other("/admin/screening"))
}
