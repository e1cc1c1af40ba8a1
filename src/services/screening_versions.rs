//! Versioned screening keyword lists and reportability rules: an admin edits them as data and
//! saves a new version with a comment; one version is active; ingest screens with the active one.
//!
//! - Version 1 is the project's own defaults (`default_lists.txt`, `ReportabilityRules::default`),
//!   stored on first use.
//! - The compiled pipeline is cached by the version's checksum; a different active version is
//!   compiled once, on the next ingest after the change.
//! - Every report records the version that screened it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};

use crate::audit::{self, Action, Actor, AuditEvent};
use crate::db::{DbConn, write_tx};
use crate::domain::screening::{ReportabilityRules, Screener, ScreeningLists};
use crate::error::AppError;
use crate::models::pathology::{self as model, NewScreeningVersion, ScreeningVersion};
use crate::services::pathology::{Pipeline, shared_coder};

fn checksum(lists: &str, rules: &str) -> String {
    let mut h = Sha256::new();
    h.update(lists.as_bytes());
    h.update([0u8]);
    h.update(rules.as_bytes());
    hex::encode(h.finalize())
}

/// Stores version 1 (the project's defaults, active) when no version is stored yet.
pub fn ensure_default(conn: &mut DbConn) -> Result<(), AppError> {
    if model::latest_screening_version(conn)?.is_some() {
        return Ok(());
    }
    write_tx(conn, |conn| {
        if model::latest_screening_version(conn)?.is_some() {
            return Ok(());
        }
        let lists = ScreeningLists::default();
        let rules = ReportabilityRules::default();
        let (lists_text, rules_text) = (lists.to_text(), rules.to_text());
        let now = crate::models::now();
        let id = model::insert_screening_version(
            conn,
            &NewScreeningVersion {
                version: i32::try_from(lists.version).unwrap_or(1),
                lists: &lists_text,
                rules: &rules_text,
                rules_name: &rules.name,
                checksum: &checksum(&lists_text, &rules_text),
                comment: "Registrar's default lists and SEER/NPCR rules",
                active: true,
                created_at: now,
                created_by_user_id: None,
                activated_at: Some(now),
            },
        )?;
        audit::record(
            conn,
            &Actor::system("registrar"),
            &AuditEvent::new(Action::Create, "screening-version")
                .id(id)
                .detail("version 1: the project's defaults"),
        )?;
        Ok::<(), AppError>(())
    })
}

/// Compiles a stored version.
fn compile(v: &ScreeningVersion) -> Result<Pipeline, AppError> {
    let broken = |e: String| {
        AppError::Internal(anyhow::anyhow!(
            "stored screening version {} does not compile: {e}",
            v.version
        ))
    };
    let mut lists = ScreeningLists::from_text(&v.lists).map_err(|e| broken(e.to_string()))?;
    lists.version = u32::try_from(v.version).unwrap_or(0);
    let rules = ReportabilityRules::from_text(&v.rules, lists.version)
        .map_err(|e| broken(e.to_string()))?;
    Ok(Pipeline {
        screener: Screener::new(&lists).map_err(|e| broken(e.to_string()))?,
        coder: shared_coder()?,
        rules,
        version: v.version,
    })
}

type Cache = Mutex<HashMap<String, Arc<Pipeline>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The pipeline of the active version (compiled once per version, then cached).
pub fn active_pipeline(conn: &mut DbConn) -> Result<Arc<Pipeline>, AppError> {
    let key = match model::active_screening_key(conn)? {
        Some(k) => k,
        None => {
            ensure_default(conn)?;
            model::active_screening_key(conn)?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no active screening version")))?
        }
    };
    if let Ok(c) = cache().lock()
        && let Some(p) = c.get(&key.1)
        && p.version == key.0
    {
        return Ok(p.clone());
    }
    let stored = model::screening_version(conn, key.0)?.ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("screening version {} vanished", key.0))
    })?;
    let pipeline = Arc::new(compile(&stored)?);
    if let Ok(mut c) = cache().lock() {
        // Few versions are ever active in one process; keep the cache small anyway.
        if c.len() > 16 {
            c.clear();
        }
        c.insert(key.1, pipeline.clone());
    }
    Ok(pipeline)
}

/// What the edit form sends: one text box per list, the rules, a comment.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    /// (list name, one phrase a line).
    pub lists: Vec<(String, String)>,
    pub rules: String,
    pub comment: String,
    pub activate: bool,
}

/// Checks an edit and saves it as the next version (activated when asked); returns the version.
/// Bad input gives `AppError::BadRequest` with a message naming the list or rules line.
pub fn save(conn: &mut DbConn, actor: &Actor, edit: &Edit) -> Result<i32, AppError> {
    let comment = edit.comment.trim();
    if comment.is_empty() {
        return Err(AppError::BadRequest(
            "Say what changed in this version (comment).".into(),
        ));
    }
    let lists =
        ScreeningLists::from_boxes(0, edit.lists.iter().map(|(n, t)| (n.as_str(), t.as_str())))
            .map_err(|e| AppError::BadRequest(format!("Keyword lists: {e}.")))?;
    let rules = ReportabilityRules::from_text(&edit.rules, 0)
        .map_err(|e| AppError::BadRequest(format!("Reportability rules: {e}.")))?;
    if rules.rules.is_empty() {
        return Err(AppError::BadRequest(
            "Reportability rules: there is no rule; keep at least the behavior rules.".into(),
        ));
    }
    ensure_default(conn)?;
    write_tx(conn, |conn| {
        let version = model::latest_screening_version(conn)?.unwrap_or(0) + 1;
        let mut lists = lists.clone();
        lists.version = u32::try_from(version).unwrap_or(0);
        let (lists_text, rules_text) = (lists.to_text(), rules.to_text());
        let now = crate::models::now();
        let id = model::insert_screening_version(
            conn,
            &NewScreeningVersion {
                version,
                lists: &lists_text,
                rules: &rules_text,
                rules_name: &rules.name,
                checksum: &checksum(&lists_text, &rules_text),
                comment,
                active: false,
                created_at: now,
                created_by_user_id: actor.user_id,
                activated_at: None,
            },
        )?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Create, "screening-version")
                .id(id)
                .detail(format!("version {version} ({}): {comment}", rules.name)),
        )?;
        if edit.activate {
            activate_in(conn, actor, version)?;
        }
        Ok(version)
    })
}

fn activate_in(conn: &mut DbConn, actor: &Actor, version: i32) -> Result<(), AppError> {
    let before = model::active_screening_key(conn)?.map(|k| k.0);
    if model::activate_screening_version(conn, version)? == 0 {
        return Err(AppError::NotFound);
    }
    audit::record(
        conn,
        actor,
        &AuditEvent::new(Action::Update, "screening-version")
            .id(version)
            .detail(format!(
                "activated version {version} (was {})",
                before
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "none".into())
            )),
    )?;
    Ok(())
}

/// Makes a stored version the active one.
pub fn activate(conn: &mut DbConn, actor: &Actor, version: i32) -> Result<(), AppError> {
    ensure_default(conn)?;
    write_tx(conn, |conn| activate_in(conn, actor, version))
}

/// A stored version read back as lists and rules (for viewing and as the start of an edit).
pub struct Decoded {
    pub stored: ScreeningVersion,
    pub lists: ScreeningLists,
    pub rules: ReportabilityRules,
}

pub fn decoded(conn: &mut DbConn, version: i32) -> Result<Decoded, AppError> {
    ensure_default(conn)?;
    let stored = model::screening_version(conn, version)?.ok_or(AppError::NotFound)?;
    let lists = ScreeningLists::from_text(&stored.lists)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored lists: {e}")))?;
    let rules = ReportabilityRules::from_text(&stored.rules, lists.version)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored rules: {e}")))?;
    Ok(Decoded {
        stored,
        lists,
        rules,
    })
}
