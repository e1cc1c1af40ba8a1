//! Browser uploads of pathology files, read in the background with a progress page.
//!
//! - In the request: every file's bytes are stored raw (hash, time, user), its messages counted,
//!   and an upload row is queued. Nothing is lost if the server stops after that.
//! - On a thread: each stored file is split, parsed, screened, coded and matched in batches
//!   ([`crate::services::pathology::ingest_stored`]); the progress (messages done / total) is
//!   written after every batch; the browser may leave and come back.
//! - At start-up, uploads left queued or running by a stopped process are resumed: messages
//!   already recorded are skipped, so an upload is only ever marked complete when every message
//!   of every file is recorded.

use serde::{Deserialize, Serialize};

use crate::audit::{self, Action, Actor, AuditEvent};
use crate::db::{self, write_tx};
use crate::domain::hl7::split_messages;
use crate::error::AppError;
use crate::models::pathology::{self as model, NewUpload, Upload};
use crate::services::pathology::{IngestSummary, Sender, Source, ingest_stored, store_raw};

/// The counts of one file of an upload (the per-message outcomes are not kept).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FileResult {
    pub file_name: String,
    pub messages: usize,
    pub to_review: usize,
    pub linked: usize,
    pub possible_match: usize,
    pub not_reportable: usize,
    pub errors: usize,
    pub test: usize,
    pub duplicates: usize,
    pub corrections: usize,
}

impl FileResult {
    fn of(file_name: &str, s: &IngestSummary) -> FileResult {
        FileResult {
            file_name: file_name.to_string(),
            messages: s.messages,
            to_review: s.to_review,
            linked: s.linked,
            possible_match: s.possible_match,
            not_reportable: s.not_reportable,
            errors: s.errors,
            test: s.test,
            duplicates: s.duplicates,
            corrections: s.corrections,
        }
    }
}

/// Stores the files and queues their reading; returns the upload id at once.
pub fn start(
    pool: &db::DbPool,
    actor: &Actor,
    facility_id: Option<i64>,
    files: Vec<(String, Vec<u8>)>,
) -> Result<i64, AppError> {
    let mut conn = pool.get()?;
    let mut raw_ids = Vec::with_capacity(files.len());
    let mut names = Vec::with_capacity(files.len());
    let mut total = 0usize;
    for (name, bytes) in &files {
        let sender = Sender {
            facility_id,
            ..Sender::user(actor.clone(), Some(name.clone()))
        };
        raw_ids.push(store_raw(&mut conn, Source::Upload, bytes, &sender)?);
        names.push(name.clone());
        total += split_messages(bytes).len().max(1);
    }
    let (raw_json, names_json) = (to_json(&raw_ids)?, to_json(&names)?);
    let id = write_tx(&mut conn, |conn| {
        let id = model::insert_upload(
            conn,
            &NewUpload {
                status: "queued",
                created_by_user_id: actor.user_id,
                facility_id,
                raw_message_ids: &raw_json,
                file_names: &names_json,
                messages_total: i32::try_from(total).unwrap_or(i32::MAX),
                messages_done: 0,
                created_at: crate::models::now(),
            },
        )?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Import, "pathology-upload")
                .id(id)
                .detail(format!("{} file(s), {total} message(s)", files.len())),
        )?;
        Ok::<i64, AppError>(id)
    })?;
    spawn(pool.clone(), actor.clone(), id);
    Ok(id)
}

fn to_json<T: Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::Internal(e.into()))
}

/// Reads an upload on its own thread: the browser may leave.
pub fn spawn(pool: db::DbPool, actor: Actor, upload_id: i64) {
    std::thread::spawn(move || {
        if let Err(e) = execute(&pool, &actor, upload_id) {
            tracing::error!(upload = upload_id, error = %e, "pathology upload failed");
            if let Ok(mut conn) = pool.get()
                && let Ok(Some(mut upload)) = model::find_upload(&mut conn, upload_id)
            {
                upload.status = "failed".into();
                upload.message =
                    Some("reading stopped on an error; the error is in the server log".into());
                upload.finished_at = Some(crate::models::now());
                if let Err(e) = model::save_upload(&mut conn, &upload) {
                    tracing::error!(upload = upload_id, error = %e, "could not mark the upload failed");
                }
            }
        }
    });
}

fn execute(pool: &db::DbPool, actor: &Actor, upload_id: i64) -> Result<(), AppError> {
    let mut conn = pool.get()?;
    // Progress goes through a second connection, between batches.
    let mut progress_conn = pool.get()?;
    let mut upload = model::find_upload(&mut conn, upload_id)?.ok_or(AppError::NotFound)?;
    let raw_ids: Vec<i64> =
        serde_json::from_str(&upload.raw_message_ids).map_err(|e| AppError::Internal(e.into()))?;
    let names: Vec<String> =
        serde_json::from_str(&upload.file_names).map_err(|e| AppError::Internal(e.into()))?;
    upload.status = "running".into();
    upload.started_at = Some(crate::models::now());
    model::save_upload(&mut conn, &upload)?;
    let mut results = Vec::with_capacity(raw_ids.len());
    let mut done_before = 0usize;
    for (i, raw_id) in raw_ids.iter().enumerate() {
        let name = names.get(i).cloned().unwrap_or_default();
        let bytes = model::raw_content(&mut conn, *raw_id)?.ok_or(AppError::NotFound)?;
        let sender = Sender {
            facility_id: upload.facility_id,
            ..Sender::user(actor.clone(), Some(name.clone()))
        };
        let mut progress = |done: usize, _total: usize| {
            let value = i32::try_from(done_before + done).unwrap_or(i32::MAX);
            if let Err(e) = model::set_upload_progress(&mut progress_conn, upload_id, value) {
                tracing::warn!(upload = upload_id, error = %e, "progress not saved");
            }
        };
        let summary = ingest_stored(&mut conn, *raw_id, &bytes, &sender, &mut progress)?;
        done_before += summary.messages;
        results.push(FileResult::of(&name, &summary));
    }
    upload.status = "complete".into();
    upload.messages_done = i32::try_from(done_before).unwrap_or(i32::MAX);
    upload.summary = Some(to_json(&results)?);
    upload.finished_at = Some(crate::models::now());
    model::save_upload(&mut conn, &upload)?;
    Ok(())
}

/// Resumes the uploads a stopped process left queued or running (called at start-up).
pub fn resume_unfinished(pool: &db::DbPool) -> Result<usize, AppError> {
    let mut conn = pool.get()?;
    let unfinished = model::unfinished_uploads(&mut conn)?;
    let n = unfinished.len();
    for u in unfinished {
        let actor = match u.created_by_user_id {
            Some(uid) => match crate::models::user::find(&mut conn, uid)? {
                Some(user) => Actor::user(user.id, &user.email),
                None => Actor::system("pathology-upload"),
            },
            None => Actor::system("pathology-upload"),
        };
        tracing::info!(upload = u.id, "resuming an unfinished pathology upload");
        spawn(pool.clone(), actor, u.id);
    }
    Ok(n)
}

/// An upload as its page shows it: only its uploader and administrators see it.
pub fn find_visible(
    conn: &mut db::DbConn,
    user_id: i64,
    is_admin: bool,
    id: i64,
) -> Result<(Upload, Vec<FileResult>), AppError> {
    let upload = model::find_upload(conn, id)?.ok_or(AppError::NotFound)?;
    if !is_admin && upload.created_by_user_id != Some(user_id) {
        return Err(AppError::NotFound);
    }
    let results = upload
        .summary
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    Ok((upload, results))
}
