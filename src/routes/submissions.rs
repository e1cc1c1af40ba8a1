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
        .route(
            "/submissions/profiles/{id}/timeliness",
            web::get().to(timeliness_page),
        )
        .route("/submissions/runs/{id}", web::get().to(run_page))
        .route(
            "/submissions/runs/{id}/override",
            web::post().to(override_run),
        )
        .route("/submissions/runs/{id}/file", web::get().to(download))
        .route(
            "/submissions/profiles/{id}/edit",
            web::get().to(edit_profile),
        )
        .route(
            "/submissions/profiles/{id}/edit",
            web::post().to(save_profile),
        )
        .route("/submissions/imports", web::get().to(imports_page))
        .route("/submissions/imports", web::post().to(upload_import))
        .route("/submissions/imports/{id}", web::get().to(import_page))
        .route(
            "/submissions/imports/{id}/problems.csv",
            web::get().to(import_problems),
        );
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
    is_correction_type: bool,
    timeliness: service::Timeliness,
}

async fn profile_page(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
) -> Result<ProfilePage, AppError> {
    let id = path.into_inner();
    let scope = user.scope.clone();
    let (profile, runs, timeliness) = db(&state, move |conn| {
        let profile = store::find_profile(conn, id)?.ok_or(AppError::NotFound)?;
        let runs = store::runs_of_profile(conn, id)?;
        let timeliness =
            service::timeliness(conn, &profile, &scope, crate::services::export::today())?;
        Ok((profile, runs, timeliness))
    })
    .await?;
    Ok(ProfilePage {
        is_correction_type: profile.record_type == "M",
        timeliness,
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

// ---------------------------------------------------------------------------------------------
// Imports: upload page, progress and result, problem list
// ---------------------------------------------------------------------------------------------

struct FacilityChoice {
    id: i64,
    label: String,
}

struct ImportLine {
    id: i64,
    file_name: String,
    status: String,
    created: String,
    patients_read: i32,
    patients_created: i32,
    patients_updated: i32,
    patients_rejected: i32,
    tumors_created: i32,
    tumors_updated: i32,
    problems: i32,
}

impl From<&store::ImportRun> for ImportLine {
    fn from(r: &store::ImportRun) -> Self {
        ImportLine {
            id: r.id,
            file_name: r.file_name.clone(),
            status: r.status.clone(),
            created: r.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            patients_read: r.patients_read,
            patients_created: r.patients_created,
            patients_updated: r.patients_updated,
            patients_rejected: r.patients_rejected,
            tumors_created: r.tumors_created,
            tumors_updated: r.tumors_updated,
            problems: r.problems,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "submissions/imports.html")]
struct ImportsPage {
    layout: Layout,
    facilities: Vec<FacilityChoice>,
    imports: Vec<ImportLine>,
    error: Option<String>,
}

fn facilities_of(
    conn: &mut crate::db::DbConn,
    scope: &crate::models::patient::Scope,
) -> Result<Vec<FacilityChoice>, AppError> {
    Ok(crate::models::facility::list(conn)?
        .into_iter()
        .filter(|f| match scope {
            crate::models::patient::Scope::All => true,
            crate::models::patient::Scope::Facilities(ids) => ids.contains(&f.id),
        })
        .map(|f| FacilityChoice {
            id: f.id,
            label: format!("{} – {}", f.code, f.name),
        })
        .collect())
}

async fn imports_page_with(
    state: &web::Data<AppState>,
    user: &Authorized<EditPatients>,
    error: Option<String>,
) -> Result<ImportsPage, AppError> {
    let scope = user.scope.clone();
    let (facilities, imports) = db(state, move |conn| {
        Ok((
            facilities_of(conn, &scope)?,
            store::recent_imports(conn, 20)?,
        ))
    })
    .await?;
    let layout = Layout::new(user, state);
    Ok(ImportsPage {
        layout,
        facilities,
        imports: imports.iter().map(ImportLine::from).collect(),
        error,
    })
}

async fn imports_page(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
) -> Result<ImportsPage, AppError> {
    imports_page_with(&state, &user, None).await
}

/// An upload received: the file on disk with its SHA-256, and the small form fields.
struct Received {
    file_name: String,
    path: std::path::PathBuf,
    checksum: String,
    bytes: u64,
    fields: Vec<(String, String)>,
}

/// Where a `multipart/form-data` body is in its reading.
enum PartState {
    Preamble,
    Headers,
    Field(String, Vec<u8>),
    File,
}

fn part_name(headers: &str, key: &str) -> Option<String> {
    let disposition = headers
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))?;
    disposition.split(';').map(str::trim).find_map(|p| {
        p.strip_prefix(key)
            .and_then(|v| v.strip_prefix('='))
            .map(|v| v.trim_matches('"').to_string())
    })
}

/// Streams a `multipart/form-data` body: the part `file` goes to a file in `dir` (hashed on the
/// way, never held in memory), the other (small) parts are kept as fields.
async fn receive_upload(
    mut payload: web::Payload,
    content_type: &str,
    dir: &std::path::Path,
) -> Result<Received, String> {
    use futures_util::StreamExt;
    use sha2::Digest;
    use std::io::Write;
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_string())
        .filter(|b| !b.is_empty())
        .ok_or("the upload is not multipart/form-data")?;
    std::fs::create_dir_all(dir).map_err(|e| format!("upload folder: {e}"))?;
    let nonce: u64 = rand::random();
    let path = dir.join(format!("upload-{nonce:016x}.part"));
    let mut file = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(&path).map_err(|e| format!("upload file: {e}"))?,
    );
    let mut hasher = sha2::Sha256::new();
    let delimiter = format!("\r\n--{boundary}").into_bytes();
    // The body starts with the delimiter without its CRLF: add it so every delimiter looks alike.
    let mut buf: Vec<u8> = b"\r\n".to_vec();
    let mut state = PartState::Preamble;
    let (mut file_name, mut bytes, mut fields, mut ended) =
        (None::<String>, 0u64, Vec::new(), false);
    let mut input_done = false;
    loop {
        let progressed = match &mut state {
            PartState::Preamble => match find(&buf, &delimiter) {
                Some(at) if buf.len() >= at + delimiter.len() + 2 => {
                    let after = &buf[at + delimiter.len()..at + delimiter.len() + 2];
                    if after == b"--" {
                        ended = true;
                        break;
                    }
                    buf.drain(..at + delimiter.len() + 2);
                    state = PartState::Headers;
                    true
                }
                _ => false,
            },
            PartState::Headers => match find(&buf, b"\r\n\r\n") {
                Some(at) => {
                    let headers = String::from_utf8_lossy(&buf[..at]).into_owned();
                    buf.drain(..at + 4);
                    let name = part_name(&headers, "name").unwrap_or_default();
                    state = match part_name(&headers, "filename") {
                        Some(f) if name == "file" && file_name.is_none() => {
                            file_name = Some(f);
                            PartState::File
                        }
                        _ => PartState::Field(name, Vec::new()),
                    };
                    true
                }
                None if buf.len() > 16 * 1024 => return Err("part headers too long".into()),
                None => false,
            },
            PartState::Field(name, value) => match find(&buf, &delimiter) {
                Some(at) => {
                    value.extend_from_slice(&buf[..at]);
                    let value = String::from_utf8_lossy(value).into_owned();
                    fields.push((std::mem::take(name), value));
                    buf.drain(..at);
                    state = PartState::Preamble;
                    true
                }
                None => {
                    let keep = buf.len().saturating_sub(delimiter.len());
                    value.extend(buf.drain(..keep));
                    if value.len() > 64 * 1024 {
                        return Err("a form field is too long".into());
                    }
                    false
                }
            },
            PartState::File => {
                let (at, done) = match find(&buf, &delimiter) {
                    Some(at) => (at, true),
                    None => (buf.len().saturating_sub(delimiter.len()), false),
                };
                file.write_all(&buf[..at])
                    .map_err(|e| format!("upload file: {e}"))?;
                hasher.update(&buf[..at]);
                bytes += at as u64;
                buf.drain(..at);
                if done {
                    state = PartState::Preamble;
                }
                done
            }
        };
        if progressed {
            continue;
        }
        if input_done {
            break;
        }
        match payload.next().await {
            Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
            Some(Err(e)) => return Err(format!("the upload broke off: {e}")),
            None => input_done = true,
        }
    }
    let finished = file
        .into_inner()
        .map_err(|e| e.into_error().to_string())
        .and_then(|f| f.sync_all().map_err(|e| e.to_string()));
    let cleanup = |why: String| {
        if let Err(e) = std::fs::remove_file(&path) {
            tracing::warn!(error = %e, "could not remove an incomplete upload");
        }
        Err(why)
    };
    if let Err(e) = finished {
        return cleanup(format!("upload file: {e}"));
    }
    if !ended {
        return cleanup("the upload is incomplete".into());
    }
    let Some(file_name) = file_name.filter(|f| !f.trim().is_empty()) else {
        return cleanup("choose a NAACCR file".into());
    };
    if bytes == 0 {
        return cleanup("the file is empty".into());
    }
    Ok(Received {
        file_name,
        path,
        checksum: hex::encode(hasher.finalize()),
        bytes,
        fields,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn upload_import(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    req: actix_web::HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let dir = crate::services::import::imports_dir(&state.settings.data_dir);
    let received = match receive_upload(payload, &content_type, &dir).await {
        Ok(r) => r,
        Err(why) => {
            let page =
                imports_page_with(&state, &user, Some(format!("Not imported: {why}."))).await?;
            return Ok(HttpResponse::UnprocessableEntity()
                .content_type("text/html; charset=utf-8")
                .body(page.render().map_err(|e| AppError::Internal(e.into()))?));
        }
    };
    let scope = user.scope.clone();
    let wanted: Option<i64> = received
        .fields
        .iter()
        .find(|(k, _)| k == "facility")
        .and_then(|(_, v)| v.trim().parse().ok());
    let facility_id = db(&state, move |conn| {
        let choices = facilities_of(conn, &scope)?;
        choices
            .iter()
            .find(|f| Some(f.id) == wanted)
            .or_else(|| wanted.is_none().then(|| choices.first()).flatten())
            .map(|f| f.id)
            .ok_or_else(|| AppError::Forbidden("not one of your facilities".into()))
    })
    .await;
    let facility_id = match facility_id {
        Ok(id) => id,
        Err(e) => {
            if let Err(remove) = std::fs::remove_file(&received.path) {
                tracing::warn!(error = %remove, "could not remove a refused upload");
            }
            return Err(e);
        }
    };
    tracing::info!(bytes = received.bytes, "NAACCR file uploaded");
    let (actor, user_id) = (user.actor(), user.id);
    let pool = state.pool.clone();
    let data_dir = state.settings.data_dir.clone();
    let id = web::block(move || {
        crate::services::import::start_import(
            &pool,
            &data_dir,
            &actor,
            user_id,
            &crate::services::import::Upload {
                facility_id,
                file_name: &received.file_name,
                stored: &received.path,
                checksum: &received.checksum,
            },
        )
    })
    .await??;
    Ok(see_other(&format!("/submissions/imports/{id}")))
}

#[derive(Template, WebTemplate)]
#[template(path = "submissions/import.html")]
struct ImportPage {
    layout: Layout,
    import: ImportLine,
    in_progress: bool,
    tumors_done: i32,
    rate: String,
    message: String,
    checksum: String,
    problems: Vec<Vec<String>>,
}

/// An import the user's scope may see (another facility's is "not found").
async fn visible_import(
    state: &web::Data<AppState>,
    scope: &crate::models::patient::Scope,
    id: i64,
) -> Result<store::ImportRun, AppError> {
    let scope = scope.clone();
    db(state, move |conn| {
        let run = store::find_import(conn, id)?.ok_or(AppError::NotFound)?;
        if scope.allows(run.facility_id) {
            Ok(run)
        } else {
            Err(AppError::NotFound)
        }
    })
    .await
}

async fn import_page(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
) -> Result<ImportPage, AppError> {
    let id = path.into_inner();
    let run = visible_import(&state, &user.scope, id).await?;
    let in_progress = matches!(run.status.as_str(), "queued" | "running");
    let end = run.finished_at.unwrap_or_else(crate::models::now);
    let seconds = (end - run.created_at).num_milliseconds().max(1) as f64 / 1000.0;
    let tumors_done = run.tumors_created + run.tumors_updated;
    // The first problems, read from the list (the download has them all).
    let csv_path = crate::services::import::problems_path(&state.settings.data_dir, id);
    let problems = web::block(move || -> Vec<Vec<String>> {
        csv::Reader::from_path(csv_path)
            .map(|mut r| {
                r.records()
                    .take(50)
                    .filter_map(Result::ok)
                    .map(|rec| rec.iter().map(str::to_string).collect())
                    .collect()
            })
            .unwrap_or_default()
    })
    .await?;
    Ok(ImportPage {
        layout: Layout::new(&user, &state),
        in_progress,
        tumors_done,
        rate: format!("{:.0}", f64::from(run.patients_read) / seconds),
        message: run.message.clone().unwrap_or_default(),
        checksum: run.checksum.clone(),
        problems,
        import: ImportLine::from(&run),
    })
}

async fn import_problems(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    visible_import(&state, &user.scope, id).await?;
    let csv_path = crate::services::import::problems_path(&state.settings.data_dir, id);
    let bytes = web::block(move || std::fs::read(csv_path))
        .await?
        .map_err(|_| AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"import-{id:06}-problems.csv\""),
        ))
        .body(bytes))
}

// ---------------------------------------------------------------------------------------------
// Profile editing (admin)
// ---------------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "submissions/edit_profile.html")]
struct EditProfilePage {
    layout: Layout,
    record_types: [(&'static str, &'static str); 4],
    versions: [&'static str; 3],
    edit_sets: [(&'static str, &'static str); 3],
    id: i64,
    name: String,
    form: service::ProfileForm,
    problems: Vec<(&'static str, String)>,
}

const RECORD_TYPES: [(&str, &str); 4] = [
    ("I", "I – incidence"),
    ("C", "C – confidential"),
    ("A", "A – full case abstract"),
    ("M", "M – modified (correction) abstract"),
];
const VERSIONS: [&str; 3] = ["260", "250", "180"];
const EDIT_SETS: [(&str, &str); 3] = [
    ("incidence", "incidence – central registry edits"),
    ("hospital", "hospital – with CoC items"),
    ("all", "all – every edit"),
];

impl EditProfilePage {
    fn new(layout: Layout, id: i64, name: String, form: service::ProfileForm) -> Self {
        EditProfilePage {
            layout,
            record_types: RECORD_TYPES,
            versions: VERSIONS,
            edit_sets: EDIT_SETS,
            id,
            name,
            form,
            problems: Vec::new(),
        }
    }

    fn problem(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn edit_profile(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
    path: web::Path<i64>,
) -> Result<EditProfilePage, AppError> {
    let id = path.into_inner();
    let profile = db(&state, move |conn| {
        store::find_profile(conn, id)?.ok_or(AppError::NotFound)
    })
    .await?;
    Ok(EditProfilePage::new(
        Layout::new(&admin, &state),
        id,
        profile.name.clone(),
        service::ProfileForm::of(&profile),
    ))
}

async fn save_profile(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
    path: web::Path<i64>,
    form: web::Form<service::ProfileForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let actor = admin.actor();
    let sent = form.clone();
    let (saved, name) = db(&state, move |conn| {
        let saved = service::update_profile(conn, &actor, id, &sent)?;
        let name = store::find_profile(conn, id)?
            .map(|p| p.name)
            .unwrap_or_default();
        Ok((saved, name))
    })
    .await?;
    match saved {
        Ok(()) => Ok(see_other(&format!("/submissions/profiles/{id}"))),
        Err(problems) => {
            let mut page = EditProfilePage::new(Layout::new(&admin, &state), id, name, form);
            page.problems = problems;
            Ok(HttpResponse::UnprocessableEntity()
                .content_type("text/html; charset=utf-8")
                .body(page.render().map_err(|e| AppError::Internal(e.into()))?))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "submissions/timeliness.html")]
struct TimelinessPage {
    layout: Layout,
    profile: ProfileLine,
    today: String,
    timeliness: service::Timeliness,
}

impl TimelinessPage {
    fn site(&self, case: &service::CaseDue) -> String {
        let code = case.primary_site.as_str();
        crate::domain::fields::describe("primarySite", code)
            .map(|d| format!("{code} – {d}"))
            .unwrap_or_else(|| code.to_string())
    }
}

async fn timeliness_page(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
) -> Result<TimelinessPage, AppError> {
    let id = path.into_inner();
    let scope = user.scope.clone();
    let today = crate::services::export::today();
    let (profile, timeliness) = db(&state, move |conn| {
        let profile = store::find_profile(conn, id)?.ok_or(AppError::NotFound)?;
        let timeliness = service::timeliness(conn, &profile, &scope, today)?;
        Ok((profile, timeliness))
    })
    .await?;
    Ok(TimelinessPage {
        layout: Layout::new(&user, &state),
        profile: ProfileLine::from(&profile),
        today: today.to_string(),
        timeliness,
    })
}
