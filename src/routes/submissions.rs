//! Submissions: profiles, runs (background, with a progress page), their reports and files.

use actix_web::{HttpResponse, http::header, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{Layout, db, see_other};
use crate::auth::{Administer, Authorized, EditPatients};
use crate::domain::submission::ProfileKind;
use crate::error::AppError;
use crate::models::submission::{self as store, SubmissionProfile, SubmissionRun};
use crate::services::submissions::{self as service, RunFinding, RunSelection};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/submissions", web::get().to(index))
        .route("/submissions/profiles/{id}", web::get().to(profile_page))
        .route("/submissions/profiles/{id}/runs", web::post().to(start_run))
        .route("/submissions/runs/{id}", web::get().to(run_page))
        .route(
            "/submissions/runs/{id}/override",
            web::post().to(override_run),
        )
        .route("/submissions/runs/{id}/file", web::get().to(download));
}

struct ProfileLine {
    id: i64,
    name: String,
    kind: String,
    record_type: String,
    version: String,
    deadline_months: i32,
    schedule: String,
    required: usize,
}

fn kind_label(kind: &str) -> String {
    ProfileKind::parse(kind)
        .map(|k| k.label().to_string())
        .unwrap_or_else(|| kind.to_string())
}

fn record_type_label(record_type: &str) -> String {
    let description = match record_type {
        "I" => "incidence",
        "C" => "confidential",
        "A" => "full case abstract",
        "M" => "modified (correction) abstract",
        _ => "",
    };
    format!("{record_type} – {description}")
}

impl From<&SubmissionProfile> for ProfileLine {
    fn from(p: &SubmissionProfile) -> Self {
        ProfileLine {
            id: p.id,
            name: p.name.clone(),
            kind: kind_label(&p.kind),
            record_type: record_type_label(&p.record_type),
            version: p.naaccr_version.clone(),
            deadline_months: p.deadline_months,
            schedule: p.schedule.clone(),
            required: p.required().len(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "submissions/index.html")]
struct IndexPage {
    layout: Layout,
    profiles: Vec<ProfileLine>,
}

async fn index(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
) -> Result<IndexPage, AppError> {
    let profiles = db(&state, |conn| {
        service::ensure_default_profiles(conn)?;
        Ok(store::list_profiles(conn)?)
    })
    .await?;
    Ok(IndexPage {
        layout: Layout::new(&user, &state),
        profiles: profiles.iter().map(ProfileLine::from).collect(),
    })
}

struct RunLine {
    id: i64,
    status: String,
    created: String,
    tumors: i32,
    errors: i32,
    warnings: i32,
    checksum: String,
    has_file: bool,
    overridden: bool,
}

impl From<&SubmissionRun> for RunLine {
    fn from(r: &SubmissionRun) -> Self {
        RunLine {
            id: r.id,
            status: r.status.clone(),
            created: r.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            tumors: if r.status == "complete" {
                r.tumors
            } else {
                r.cases_total
            },
            errors: r.edit_errors,
            warnings: r.edit_warnings,
            checksum: r.checksum.clone().unwrap_or_default(),
            has_file: r.status == "complete" && r.file_name.is_some(),
            overridden: r.override_reason.is_some(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "submissions/profile.html")]
struct ProfilePage {
    layout: Layout,
    profile: ProfileLine,
    registry_id: String,
    edit_set: String,
    required_items: String,
    runs: Vec<RunLine>,
}

async fn profile_page(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
) -> Result<ProfilePage, AppError> {
    let id = path.into_inner();
    let (profile, runs) = db(&state, move |conn| {
        let profile = store::find_profile(conn, id)?.ok_or(AppError::NotFound)?;
        let runs = store::runs_of_profile(conn, id)?;
        Ok((profile, runs))
    })
    .await?;
    Ok(ProfilePage {
        layout: Layout::new(&user, &state),
        registry_id: profile.registry_id.clone(),
        edit_set: profile.edit_set.clone(),
        required_items: profile.required().join(", "),
        profile: ProfileLine::from(&profile),
        runs: runs.iter().map(RunLine::from).collect(),
    })
}

#[derive(serde::Deserialize)]
struct RunForm {
    #[serde(default)]
    diagnosed_from: String,
    #[serde(default)]
    diagnosed_to: String,
    #[serde(default)]
    classes_of_case: String,
    #[serde(default)]
    finished_only: Option<String>,
    #[serde(default)]
    changed_only: Option<String>,
}

async fn start_run(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
    form: web::Form<RunForm>,
) -> Result<HttpResponse, AppError> {
    let profile_id = path.into_inner();
    let form = form.into_inner();
    let selection = RunSelection {
        diagnosed_from: form.diagnosed_from,
        diagnosed_to: form.diagnosed_to,
        classes_of_case: form.classes_of_case,
        finished_only: form.finished_only.is_some(),
        changed_only: form.changed_only.is_some(),
    };
    let (actor, scope, user_id) = (user.actor(), user.scope.clone(), user.id);
    let pool = state.pool.clone();
    let settings = state.settings.clone();
    let run_id = web::block(move || {
        service::start_run(
            &pool, &settings, &actor, user_id, &scope, profile_id, &selection,
        )
    })
    .await??;
    Ok(see_other(&format!("/submissions/runs/{run_id}")))
}

#[derive(Template, WebTemplate)]
#[template(path = "submissions/run.html")]
struct RunPage {
    layout: Layout,
    run: RunLine,
    profile_id: i64,
    profile_name: String,
    in_progress: bool,
    done: i32,
    total: i32,
    rate: String,
    time_left: String,
    message: String,
    override_reason: String,
    selection: String,
    findings: Vec<RunFinding>,
    file_bytes: i64,
}

async fn run_page(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
) -> Result<RunPage, AppError> {
    let id = path.into_inner();
    let (run, profile) = db(&state, move |conn| {
        let run = store::find_run(conn, id)?.ok_or(AppError::NotFound)?;
        let profile = store::find_profile(conn, run.profile_id)?.ok_or(AppError::NotFound)?;
        Ok((run, profile))
    })
    .await?;
    let in_progress = matches!(run.status.as_str(), "queued" | "running");
    let elapsed = run
        .started_at
        .map(|s| (crate::models::now() - s).num_milliseconds().max(1) as f64 / 1000.0)
        .unwrap_or(0.0);
    let rate = if elapsed > 0.0 {
        run.cases_done as f64 / elapsed
    } else {
        0.0
    };
    let time_left = if in_progress && rate > 0.0 {
        let left = (run.cases_total - run.cases_done).max(0) as f64 / rate;
        format!("about {:.0} s", left.ceil())
    } else {
        String::new()
    };
    let selection: RunSelection = serde_json::from_str(&run.selection).unwrap_or_default();
    let mut parts = Vec::new();
    if !selection.diagnosed_from.is_empty() {
        parts.push(format!("diagnosed from {}", selection.diagnosed_from));
    }
    if !selection.diagnosed_to.is_empty() {
        parts.push(format!("diagnosed to {}", selection.diagnosed_to));
    }
    if !selection.classes_of_case.is_empty() {
        parts.push(format!("class of case {}", selection.classes_of_case));
    }
    if selection.finished_only {
        parts.push("complete or reviewed abstracts".into());
    }
    if selection.changed_only {
        parts.push("new or changed since the last accepted run".into());
    }
    let findings: Vec<RunFinding> = serde_json::from_str(&run.report).unwrap_or_default();
    Ok(RunPage {
        layout: Layout::new(&user, &state),
        profile_id: profile.id,
        profile_name: profile.name,
        in_progress,
        done: run.cases_done,
        total: run.cases_total,
        rate: format!("{rate:.0}"),
        time_left,
        message: run.message.clone().unwrap_or_default(),
        override_reason: run.override_reason.clone().unwrap_or_default(),
        selection: if parts.is_empty() {
            "all cases".into()
        } else {
            parts.join("; ")
        },
        findings,
        file_bytes: run.file_bytes.unwrap_or(0),
        run: RunLine::from(&run),
    })
}

#[derive(serde::Deserialize)]
struct OverrideForm {
    #[serde(default)]
    reason: String,
}

async fn override_run(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
    path: web::Path<i64>,
    form: web::Form<OverrideForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (actor, scope) = (admin.actor(), admin.scope.clone());
    let pool = state.pool.clone();
    let settings = state.settings.clone();
    let reason = form.into_inner().reason;
    web::block(move || service::override_run(&pool, &settings, &actor, &scope, id, &reason))
        .await??;
    Ok(see_other(&format!("/submissions/runs/{id}")))
}

async fn download(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.actor();
    let data_dir = state.settings.data_dir.clone();
    let (name, file) = db(&state, move |conn| {
        service::run_file(conn, &data_dir, &actor, id)
    })
    .await?;
    let bytes = web::block(move || std::fs::read(file))
        .await?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("submission file: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/gzip")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes))
}
