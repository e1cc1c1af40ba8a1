//! Submission profiles and the command-line export and import.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::audit::{self, Action, Actor, AuditEvent};
use crate::config::Settings;
use crate::db::{self, DatabaseUrl, DbConn, write_tx};
use crate::domain::edits::{EditContext, EditSet, Severity, run_edits};
use crate::domain::naaccr::{NaaccrVersion, RecordType, UserDictionary};
use crate::domain::submission::default_profiles;
use crate::error::AppError;
use crate::models::facility;
use crate::models::patient::Scope;
use crate::models::submission::{self as store, NewProfile, SubmissionProfile};
use crate::services::export::{self, CaseSelection, ExportRequest, parse_date_bound};
use crate::services::import;

/// Creates the shipped profiles when there is none yet.
pub fn ensure_default_profiles(conn: &mut DbConn) -> Result<(), AppError> {
    write_tx(conn, |conn| -> Result<(), AppError> {
        if !store::list_profiles(conn)?.is_empty() {
            return Ok(());
        }
        let now = crate::models::now();
        for d in default_profiles() {
            let created = store::insert_profile(
                conn,
                &NewProfile {
                    name: d.name.to_string(),
                    kind: d.kind.as_str().to_string(),
                    registry_id: String::new(),
                    record_type: d.record_type.as_str().to_string(),
                    naaccr_version: d.version.as_str().to_string(),
                    user_dictionary: None,
                    required_items: d.required_items.join(","),
                    edit_set: d.edit_set.to_string(),
                    deadline_months: d.deadline_months,
                    schedule: d.schedule.to_string(),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            audit::record(
                conn,
                &Actor::system("defaults"),
                &AuditEvent::new(Action::Create, "submission-profile")
                    .id(created.id)
                    .detail(format!("shipped profile {}", created.name)),
            )?;
        }
        Ok(())
    })
}

/// The record type of a profile (or an override).
pub fn parse_record_type(text: &str) -> Result<RecordType, AppError> {
    RecordType::parse(text.trim())
        .ok_or_else(|| AppError::BadRequest(format!("record type '{text}': use I, C, A or M")))
}

/// The NAACCR version of a profile (or an override): 250 or 260.
pub fn parse_version(text: &str) -> Result<NaaccrVersion, AppError> {
    match NaaccrVersion::from_version_str(text.trim()) {
        Some(v) => Ok(v),
        _ => Err(AppError::BadRequest(format!(
            "NAACCR version '{text}': use 180, 250 or 260"
        ))),
    }
}

/// The user dictionaries of a profile, then those loaded at run time (`user_dictionaries`
/// setting) that the profile does not already carry.
pub fn user_dictionaries(profile: &SubmissionProfile) -> Result<Vec<UserDictionary>, AppError> {
    let mut list = match profile
        .user_dictionary
        .as_deref()
        .filter(|x| !x.trim().is_empty())
    {
        None => Vec::new(),
        Some(xml) => vec![
            UserDictionary::parse(xml)
                .map_err(|e| AppError::BadRequest(format!("the profile's user dictionary: {e}")))?,
        ],
    };
    with_runtime_dictionaries(&mut list);
    Ok(list)
}

/// Adds the user dictionaries loaded at run time that `list` does not already have (by URI).
fn with_runtime_dictionaries(list: &mut Vec<UserDictionary>) {
    for user in crate::domain::fields::user_dictionaries() {
        if !list.iter().any(|u| u.uri() == user.uri()) {
            list.push(user);
        }
    }
}

/// What the profile writes, with the command line's overrides.
pub fn export_request(
    profile: &SubmissionProfile,
    record_type: Option<&str>,
    version: Option<&str>,
    selection: CaseSelection,
) -> Result<ExportRequest, AppError> {
    let version = parse_version(version.unwrap_or(&profile.naaccr_version))?;
    let mut dictionaries = user_dictionaries(profile)?;
    // A NAACCR 18 file carries the v18 default user dictionary's items (npcrSpecificField...).
    if version == NaaccrVersion::V180
        && !dictionaries
            .iter()
            .any(|d| d.uri() == UserDictionary::default_flat_v18().uri())
    {
        dictionaries.push(UserDictionary::default_flat_v18().clone());
    }
    Ok(ExportRequest {
        record_type: parse_record_type(record_type.unwrap_or(&profile.record_type))?,
        version,
        registry_id: profile.registry_id.clone(),
        user_dictionaries: dictionaries,
        left_zero_padding: false,
        selection,
    })
}

/// `registrar export` arguments.
pub struct CliExport {
    pub profile: String,
    pub record_type: Option<String>,
    pub naaccr_version: Option<String>,
    pub diagnosed_from: Option<String>,
    pub diagnosed_to: Option<String>,
    pub out: PathBuf,
}

/// One connection with the per-connection settings (WAL, foreign keys) applied by the pool.
fn open(settings: &Settings) -> anyhow::Result<db::PooledConn> {
    let url = DatabaseUrl::parse(&settings.database_url)?;
    db::migrate(&url)?;
    Ok(db::build_pool(&url, 1)?.get()?)
}

pub fn cli_export(settings: &Settings, args: &CliExport) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    let mut run = || -> Result<export::ExportSummary, AppError> {
        ensure_default_profiles(&mut conn)?;
        let profile = store::find_profile_by_name(&mut conn, &args.profile)?.ok_or_else(|| {
            AppError::BadRequest(format!("no submission profile named '{}'", args.profile))
        })?;
        let selection = CaseSelection {
            diagnosed_from: args
                .diagnosed_from
                .as_deref()
                .map(parse_date_bound)
                .transpose()?,
            diagnosed_to: args
                .diagnosed_to
                .as_deref()
                .map(parse_date_bound)
                .transpose()?,
            ..CaseSelection::default()
        };
        let request = export_request(
            &profile,
            args.record_type.as_deref(),
            args.naaccr_version.as_deref(),
            selection,
        )?;
        let started = std::time::Instant::now();
        let summary = export::export_to_file(
            &mut conn,
            &Actor::system("cli"),
            &Scope::All,
            &request,
            &args.out,
            |_, tumors| {
                if tumors > 0 && tumors % 100_000 < 600 {
                    eprintln!("  {tumors} tumors written");
                }
                Ok(())
            },
        )?;
        let seconds = started.elapsed().as_secs_f64().max(1e-9);
        println!(
            "export: {} patients, {} tumors, {} bytes to {} in {:.2} s ({:.0} tumors/s), sha256 {}",
            summary.patients,
            summary.tumors,
            summary.bytes,
            args.out.display(),
            seconds,
            summary.tumors as f64 / seconds,
            summary.checksum
        );
        for skipped in &summary.skipped {
            println!(
                "skipped patient record {}: {}",
                skipped.patient_id,
                skipped.reasons.join("; ")
            );
        }
        if !summary.items_not_in_dictionary.is_empty() {
            println!(
                "items stored but not in the NAACCR {} dictionary (not written): {}",
                request.version,
                summary
                    .items_not_in_dictionary
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Ok(summary)
    };
    run().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

pub fn cli_import(
    settings: &Settings,
    file: &Path,
    facility_code: Option<&str>,
    problems: Option<&Path>,
    user_dictionary_files: &[PathBuf],
) -> anyhow::Result<()> {
    let mut dictionaries = Vec::new();
    for path in user_dictionary_files {
        let xml = crate::domain::naaccr::io::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        dictionaries.push(
            UserDictionary::parse(&xml).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        );
    }
    with_runtime_dictionaries(&mut dictionaries);
    let mut conn = open(settings)?;
    let code = facility_code.unwrap_or(&settings.default_facility_code);
    let facility = match facility::find_by_code(&mut conn, code)? {
        Some(f) => f,
        None => facility::create(&mut conn, code, code)?,
    };
    let problems_path = problems.map(Path::to_path_buf).unwrap_or_else(|| {
        let mut name = file.as_os_str().to_owned();
        name.push(".problems.csv");
        PathBuf::from(name)
    });
    let mut csv = csv::Writer::from_path(&problems_path)?;
    let started = std::time::Instant::now();
    let mut last = 0usize;
    let report = import::import_file(
        &mut conn,
        &Actor::system("cli"),
        facility.id,
        file,
        import::ImportOptions {
            user_dictionaries: dictionaries,
            ..import::ImportOptions::default()
        },
        Some(&mut csv),
        |r| {
            if r.patients_read >= last + 100_000 {
                last = r.patients_read;
                eprintln!("  {} patients read", r.patients_read);
            }
            Ok(())
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    let tumors = report.tumors_created + report.tumors_updated;
    println!("import: {}", report.format);
    println!(
        "  patients: {} read, {} created, {} updated, {} unchanged, {} rejected",
        report.patients_read,
        report.patients_created,
        report.patients_updated,
        report.patients_unchanged,
        report.patients_rejected
    );
    println!(
        "  tumors: {} created, {} updated in {:.2} s ({:.0} tumors/s)",
        report.tumors_created,
        report.tumors_updated,
        seconds,
        tumors as f64 / seconds
    );
    println!(
        "  problems: {} (list: {})",
        report.problem_count,
        problems_path.display()
    );
    if let Some(stopped) = &report.stopped {
        println!("  the file stopped early: {stopped}; the patients before it were stored");
        anyhow::bail!("the import did not read the whole file");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Submission runs
// ---------------------------------------------------------------------------------------------

/// Report lines kept on a run (the counts cover every tumor).
const REPORT_LINES: usize = 500;

/// What a user selects for a run.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct RunSelection {
    /// YYYY, YYYY-MM or YYYY-MM-DD; empty = open.
    #[serde(default)]
    pub diagnosed_from: String,
    #[serde(default)]
    pub diagnosed_to: String,
    /// Class of case codes, comma-separated; empty = all.
    #[serde(default)]
    pub classes_of_case: String,
    /// Only abstracts marked complete or reviewed.
    #[serde(default)]
    pub finished_only: bool,
    /// Only tumors not sent yet, or changed since the last complete run of the profile.
    #[serde(default)]
    pub changed_only: bool,
}

impl RunSelection {
    pub fn case_selection(&self) -> Result<CaseSelection, AppError> {
        let bound = |s: &str| {
            Some(s.trim())
                .filter(|s| !s.is_empty())
                .map(parse_date_bound)
                .transpose()
        };
        Ok(CaseSelection {
            diagnosed_from: bound(&self.diagnosed_from)?,
            diagnosed_to: bound(&self.diagnosed_to)?,
            classes_of_case: self
                .classes_of_case
                .split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            abstract_statuses: if self.finished_only {
                vec!["complete".into(), "reviewed".into()]
            } else {
                Vec::new()
            },
            facilities: Vec::new(),
            only_tumors: None,
        })
    }
}

/// One finding of the pre-submission check.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunFinding {
    pub patient_id: i64,
    pub tumor_id: i64,
    pub severity: String,
    pub check: String,
    pub items: String,
    pub message: String,
}

/// Starts a run of `profile_id` in the background; returns its id at once.
pub fn start_run(
    pool: &db::DbPool,
    settings: &Settings,
    actor: &Actor,
    user_id: i64,
    scope: &Scope,
    profile_id: i64,
    selection: &RunSelection,
) -> Result<i64, AppError> {
    selection.case_selection()?;
    let mut conn = pool.get()?;
    let run = write_tx(
        &mut conn,
        |conn| -> Result<store::SubmissionRun, AppError> {
            let profile = store::find_profile(conn, profile_id)?.ok_or(AppError::NotFound)?;
            let run = store::insert_run(
                conn,
                &store::NewRun {
                    profile_id,
                    status: "queued".into(),
                    selection: serde_json::to_string(selection)
                        .map_err(|e| AppError::Internal(e.into()))?,
                    record_type: profile.record_type.clone(),
                    naaccr_version: profile.naaccr_version.clone(),
                    created_by: user_id,
                    created_at: crate::models::now(),
                },
            )?;
            audit::record(
                conn,
                actor,
                &AuditEvent::new(Action::Create, "submission-run")
                    .id(run.id)
                    .detail(format!("profile {}", profile.name)),
            )?;
            Ok(run)
        },
    )?;
    spawn_run(
        pool.clone(),
        settings.data_dir.clone(),
        actor.clone(),
        scope.clone(),
        run.id,
    );
    Ok(run.id)
}

/// Runs (or resumes after an override) a run on its own thread: the browser may leave.
pub fn spawn_run(pool: db::DbPool, data_dir: PathBuf, actor: Actor, scope: Scope, run_id: i64) {
    std::thread::spawn(move || {
        let result = execute_run(&pool, &data_dir, &actor, &scope, run_id);
        if let Err(e) = result {
            tracing::error!(run = run_id, error = %e, "submission run failed");
            if let Ok(mut conn) = pool.get()
                && let Ok(Some(mut run)) = store::find_run(&mut conn, run_id)
            {
                run.status = "failed".into();
                run.message = Some(match e {
                    AppError::BadRequest(m) => m,
                    _ => "the run failed; the error is in the server log".into(),
                });
                run.finished_at = Some(crate::models::now());
                if let Err(e) = store::save_run(&mut conn, &run) {
                    tracing::error!(run = run_id, error = %e, "could not mark the run failed");
                }
            }
        }
    });
}

/// Folder of the submitted files.
pub fn submissions_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("submissions")
}

fn execute_run(
    pool: &db::DbPool,
    data_dir: &Path,
    actor: &Actor,
    scope: &Scope,
    run_id: i64,
) -> Result<(), AppError> {
    let mut conn = pool.get()?;
    let conn = &mut *conn;
    // Progress goes through a second connection: the first is busy streaming the cases.
    let mut progress_conn = pool.get()?;
    let mut run = store::find_run(conn, run_id)?.ok_or(AppError::NotFound)?;
    let profile = store::find_profile(conn, run.profile_id)?.ok_or(AppError::NotFound)?;
    let selection: RunSelection =
        serde_json::from_str(&run.selection).map_err(|e| AppError::Internal(e.into()))?;
    let mut cases = selection.case_selection()?;
    run.status = "running".into();
    run.started_at = Some(crate::models::now());
    run.cases_done = 0;
    store::save_run(conn, &run)?;

    // Which tumors: the selection, then (optionally) only those not sent or changed since.
    let mut selected: Vec<(i64, chrono::NaiveDateTime)> = Vec::new();
    export::for_each_case(conn, scope, &cases, |case| {
        selected.extend(case.tumors.iter().map(|t| (t.id, t.updated_at)));
        Ok(true)
    })?;
    let mut chosen: HashSet<i64> = HashSet::with_capacity(selected.len());
    for chunk in selected.chunks(500) {
        let sent = if selection.changed_only {
            let ids: Vec<i64> = chunk.iter().map(|t| t.0).collect();
            store::last_submitted(conn, profile.id, &ids)?
        } else {
            Vec::new()
        };
        for (id, updated) in chunk {
            if !sent.iter().any(|(t, at)| t == id && at >= updated) {
                chosen.insert(*id);
            }
        }
    }
    drop(selected);
    run.cases_total = chosen.len() as i32;
    store::save_run(conn, &run)?;
    let chosen = Arc::new(chosen);
    cases.only_tumors = Some(chosen.clone());

    // Pre-submission edits and the required items, unless an override already accepted them.
    let record_type = parse_record_type(&profile.record_type)?;
    if run.override_reason.is_none() {
        let edit_set = EditSet::parse(&profile.edit_set).unwrap_or(EditSet::Incidence);
        let context = EditContext::new(export::today(), record_type, edit_set);
        let required: Vec<String> = profile.required().into_iter().map(str::to_string).collect();
        let mut findings: Vec<RunFinding> = Vec::new();
        let (mut errors, mut warnings, mut done) = (0i32, 0i32, 0i32);
        let mut last_save = std::time::Instant::now();
        export::for_each_case(conn, scope, &cases, |case| {
            let patient_items = case.patient.all_items();
            for tumor in &case.tumors {
                let tumor_items = tumor.all_items(&case.patient);
                let view = (&patient_items, &tumor_items);
                let mut add = |severity: &str, check: String, items: String, message: String| {
                    if findings.len() < REPORT_LINES {
                        findings.push(RunFinding {
                            patient_id: case.patient.id,
                            tumor_id: tumor.id,
                            severity: severity.to_string(),
                            check,
                            items,
                            message,
                        });
                    }
                };
                for failure in run_edits(&view, &context) {
                    match failure.severity {
                        Severity::Error => errors += 1,
                        Severity::Warning => warnings += 1,
                    }
                    add(
                        failure.severity.as_str(),
                        failure.edit_id.clone(),
                        failure.items.join(", "),
                        failure.message.clone(),
                    );
                }
                for id in &required {
                    if !patient_items.contains_key(id) && !tumor_items.contains_key(id) {
                        errors += 1;
                        add(
                            "error",
                            "required".into(),
                            id.clone(),
                            format!("required item {id} is empty"),
                        );
                    }
                }
                done += 1;
            }
            if last_save.elapsed().as_millis() >= 500 {
                last_save = std::time::Instant::now();
                store::set_run_progress(&mut progress_conn, run_id, done)?;
            }
            Ok(true)
        })?;
        run.cases_done = done;
        run.edit_errors = errors;
        run.edit_warnings = warnings;
        run.report = serde_json::to_string(&findings).map_err(|e| AppError::Internal(e.into()))?;
        if errors > 0 {
            run.status = "blocked".into();
            run.finished_at = Some(crate::models::now());
            store::save_run(conn, &run)?;
            return Ok(());
        }
        store::save_run(conn, &run)?;
    }

    // The file: written under a temporary name and renamed when complete; then the run is marked
    // complete, with its checksum, in the same transaction as the list of tumors it sent.
    let folder = submissions_dir(data_dir);
    std::fs::create_dir_all(&folder)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("submissions folder: {e}")))?;
    let file_name = format!(
        "submission-{:06}-{}-{}{}.xml.gz",
        run.id, profile.kind, profile.record_type, profile.naaccr_version
    );
    let request = export_request(&profile, None, None, cases)?;
    let mut last_save = std::time::Instant::now();
    let summary = export::export_to_file(
        conn,
        actor,
        scope,
        &request,
        &folder.join(&file_name),
        |_, tumors| {
            if last_save.elapsed().as_millis() >= 500 {
                last_save = std::time::Instant::now();
                store::set_run_progress(&mut progress_conn, run_id, tumors as i32)?;
            }
            Ok(())
        },
    )?;
    write_tx(conn, |conn| -> Result<(), AppError> {
        store::record_submitted(conn, run.id, &summary.tumor_ids)?;
        run.status = "complete".into();
        run.cases_done = run.cases_total;
        run.patients = summary.patients as i32;
        run.tumors = summary.tumors as i32;
        run.file_name = Some(file_name.clone());
        run.checksum = Some(summary.checksum.clone());
        run.file_bytes = Some(summary.bytes as i64);
        run.finished_at = Some(crate::models::now());
        store::save_run(conn, &run)?;
        Ok(())
    })
}

/// An authorised user accepts the errors of a blocked run, with a reason (audited); the run
/// then writes its file in the background.
pub fn override_run(
    pool: &db::DbPool,
    settings: &Settings,
    actor: &Actor,
    scope: &Scope,
    run_id: i64,
    reason: &str,
) -> Result<(), AppError> {
    let reason = reason.trim();
    if reason.len() < 10 {
        return Err(AppError::BadRequest(
            "give the reason for the override (at least 10 characters)".into(),
        ));
    }
    let mut conn = pool.get()?;
    write_tx(&mut conn, |conn| -> Result<(), AppError> {
        let mut run = store::find_run(conn, run_id)?.ok_or(AppError::NotFound)?;
        if run.status != "blocked" {
            return Err(AppError::Conflict(
                "only a blocked run can be overridden".into(),
            ));
        }
        run.override_reason = Some(reason.to_string());
        run.status = "queued".into();
        run.finished_at = None;
        store::save_run(conn, &run)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Update, "submission-run")
                .id(run.id)
                .detail(format!(
                    "override of {} edit error(s): {reason}",
                    run.edit_errors
                )),
        )?;
        Ok(())
    })?;
    spawn_run(
        pool.clone(),
        settings.data_dir.clone(),
        actor.clone(),
        scope.clone(),
        run_id,
    );
    Ok(())
}

/// The stored file of a complete run, for download (audited as an export).
pub fn run_file(
    conn: &mut DbConn,
    data_dir: &Path,
    actor: &Actor,
    run_id: i64,
) -> Result<(String, PathBuf), AppError> {
    write_tx(conn, |conn| {
        let run = store::find_run(conn, run_id)?.ok_or(AppError::NotFound)?;
        let name = run
            .file_name
            .filter(|_| run.status == "complete")
            .ok_or(AppError::NotFound)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Export, "submission-file")
                .id(run.id)
                .detail(format!("download of {name}")),
        )?;
        let path = submissions_dir(data_dir).join(&name);
        Ok((name, path))
    })
}

// ---------------------------------------------------------------------------------------------
// Profile editing (admin)
// ---------------------------------------------------------------------------------------------

/// A profile's settings as an admin edits them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    pub registry_id: String,
    #[serde(default)]
    pub record_type: String,
    #[serde(default)]
    pub naaccr_version: String,
    #[serde(default)]
    pub user_dictionary: String,
    #[serde(default)]
    pub required_items: String,
    #[serde(default)]
    pub edit_set: String,
    #[serde(default)]
    pub deadline_months: String,
    #[serde(default)]
    pub schedule: String,
}

impl ProfileForm {
    pub fn of(p: &SubmissionProfile) -> ProfileForm {
        ProfileForm {
            registry_id: p.registry_id.clone(),
            record_type: p.record_type.clone(),
            naaccr_version: p.naaccr_version.clone(),
            user_dictionary: p.user_dictionary.clone().unwrap_or_default(),
            required_items: p.required().join(", "),
            edit_set: p.edit_set.clone(),
            deadline_months: p.deadline_months.to_string(),
            schedule: p.schedule.clone(),
        }
    }
}

/// Problems of an edited profile: (form field, message).
pub type ProfileProblems = Vec<(&'static str, String)>;

/// Checks an edited profile; every problem is returned (field, message).
fn validated_profile(
    form: &ProfileForm,
    mut profile: SubmissionProfile,
) -> Result<SubmissionProfile, ProfileProblems> {
    let mut problems = Vec::new();
    let registry_id = form.registry_id.trim();
    if registry_id.chars().count() > 10 || !registry_id.chars().all(|c| c.is_ascii_digit()) {
        problems.push((
            "registry_id",
            "Registry ID: up to 10 digits (NAACCR item 40)".to_string(),
        ));
    }
    let record_type = parse_record_type(&form.record_type);
    if record_type.is_err() {
        problems.push((
            "record_type",
            "Record type: choose I, C, A or M".to_string(),
        ));
    }
    let version = parse_version(&form.naaccr_version);
    if version.is_err() {
        problems.push((
            "naaccr_version",
            "NAACCR version: choose 180, 250 or 260".to_string(),
        ));
    }
    let user_dictionary = Some(form.user_dictionary.trim())
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    let mut dictionary = None;
    if let Ok(version) = version {
        let mut combined = crate::domain::naaccr::CombinedDictionary::new(
            crate::domain::naaccr::Dictionary::base(version),
        );
        let added = match &user_dictionary {
            Some(xml) => UserDictionary::parse(xml)
                .map_err(|e| e.to_string())
                .and_then(|d| combined.add_user(d).map_err(|e| e.to_string())),
            None => Ok(()),
        };
        match added {
            Ok(()) => dictionary = Some(combined),
            Err(e) => problems.push(("user_dictionary", format!("User dictionary: {e}"))),
        }
    }
    let required: Vec<String> = form
        .required_items
        .split([',', ' ', '\n', '\r'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(dictionary) = &dictionary {
        let unknown: Vec<&str> = required
            .iter()
            .filter(|id| dictionary.item(id).is_none())
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            problems.push((
                "required_items",
                format!(
                    "Required items not in the NAACCR {} dictionary: {}",
                    form.naaccr_version.trim(),
                    unknown.join(", ")
                ),
            ));
        }
    }
    let edit_set = EditSet::parse(&form.edit_set);
    if edit_set.is_none() {
        problems.push((
            "edit_set",
            "Edit set: choose incidence, hospital or all".to_string(),
        ));
    }
    let deadline = form.deadline_months.trim().parse::<i32>().ok();
    if !deadline.is_some_and(|m| (1..=60).contains(&m)) {
        problems.push((
            "deadline_months",
            "Due: a number of months from 1 to 60".to_string(),
        ));
    }
    let schedule = form.schedule.trim();
    if schedule.is_empty() || schedule.chars().count() > 100 {
        problems.push((
            "schedule",
            "Schedule: say when files are sent, in up to 100 characters".to_string(),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    profile.registry_id = registry_id.to_string();
    if let Ok(t) = record_type {
        profile.record_type = t.as_str().to_string();
    }
    if let Ok(v) = version {
        profile.naaccr_version = v.as_str().to_string();
    }
    profile.user_dictionary = user_dictionary;
    profile.required_items = required.join(",");
    if let Some(set) = edit_set {
        profile.edit_set = set.as_str().to_string();
    }
    profile.deadline_months = deadline.unwrap_or(profile.deadline_months);
    profile.schedule = schedule.to_string();
    Ok(profile)
}

/// Saves an admin's changes to a profile, audited field by field. `Ok(Err(problems))` when the
/// form is not valid (nothing saved).
pub fn update_profile(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    form: &ProfileForm,
) -> Result<Result<(), ProfileProblems>, AppError> {
    write_tx(conn, |conn| {
        let before = store::find_profile(conn, id)?.ok_or(AppError::NotFound)?;
        let mut after = match validated_profile(form, before.clone()) {
            Ok(p) => p,
            Err(problems) => return Ok(Err(problems)),
        };
        let old = ProfileForm::of(&before);
        let new = ProfileForm::of(&after);
        let dictionary_text = |d: &str| {
            (!d.is_empty()).then(|| {
                format!("{} characters, sha256 {}", d.len(), {
                    use sha2::Digest;
                    hex::encode(sha2::Sha256::digest(d.as_bytes()))
                })
            })
        };
        let changes: Vec<audit::FieldChange> = [
            ("registry_id", &old.registry_id, &new.registry_id),
            ("record_type", &old.record_type, &new.record_type),
            ("naaccr_version", &old.naaccr_version, &new.naaccr_version),
            ("required_items", &old.required_items, &new.required_items),
            ("edit_set", &old.edit_set, &new.edit_set),
            (
                "deadline_months",
                &old.deadline_months,
                &new.deadline_months,
            ),
            ("schedule", &old.schedule, &new.schedule),
        ]
        .into_iter()
        .filter_map(|(field, a, b)| audit::FieldChange::between(field, Some(a), Some(b)))
        .chain(audit::FieldChange::between(
            "user_dictionary",
            dictionary_text(&old.user_dictionary).as_deref(),
            dictionary_text(&new.user_dictionary).as_deref(),
        ))
        .collect();
        if changes.is_empty() {
            return Ok(Ok(()));
        }
        store::save_profile(conn, &mut after)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Update, "submission-profile")
                .id(id)
                .changes(changes)
                .detail(format!("profile {}", after.name)),
        )?;
        Ok(Ok(()))
    })
}

// ---------------------------------------------------------------------------------------------
// Changed since submitted, timeliness
// ---------------------------------------------------------------------------------------------

/// Cases listed per group on the timeliness page (the counts cover all).
const LISTED_CASES: usize = 100;

/// One case of the timeliness page.
#[derive(Debug, Clone)]
pub struct CaseDue {
    pub tumor_id: i64,
    pub patient_id: i64,
    pub primary_site: String,
    pub diagnosed: String,
    /// Empty when the case has no usable date (then it is listed last).
    pub deadline: String,
    pub overdue: bool,
    pub days_left: Option<i64>,
}

/// Per profile: cases changed since they were sent, and cases not sent yet against their deadline.
#[derive(Debug, Clone, Default)]
pub struct Timeliness {
    pub changed_total: usize,
    pub changed: Vec<CaseDue>,
    pub not_sent_total: usize,
    pub overdue_total: usize,
    pub not_sent: Vec<CaseDue>,
}

/// The deadline of a case: `months` after the later of its date of diagnosis and date of first
/// contact (a registry cannot report a case before it knows of it); `None` without either date.
pub fn case_deadline(
    diagnosed: Option<&str>,
    first_contact: Option<&str>,
    months: i32,
) -> Option<chrono::NaiveDate> {
    let date = |d: Option<&str>| {
        d.and_then(|d| crate::domain::date::PartialDate::parse(d).ok())
            .map(|d| d.latest())
    };
    let start = match (date(diagnosed), date(first_contact)) {
        (Some(a), Some(b)) => a.max(b),
        (a, b) => a.or(b)?,
    };
    start.checked_add_months(chrono::Months::new(u32::try_from(months).unwrap_or(0)))
}

/// The timeliness of `profile` over the user's scope on `today`.
pub fn timeliness(
    conn: &mut DbConn,
    profile: &SubmissionProfile,
    scope: &Scope,
    today: chrono::NaiveDate,
) -> Result<Timeliness, AppError> {
    use crate::db::schema::{patients, tumors};
    use diesel::prelude::*;
    let mut sent: std::collections::HashMap<i64, chrono::NaiveDateTime> =
        std::collections::HashMap::new();
    for (tumor_id, updated) in store::all_submitted(conn, profile.id)? {
        let at = sent.entry(tumor_id).or_insert(updated);
        *at = (*at).max(updated);
    }
    let mut query = tumors::table
        .inner_join(patients::table)
        .select((
            tumors::id,
            tumors::patient_id,
            tumors::primary_site,
            tumors::date_of_diagnosis,
            tumors::date_of_first_contact,
            tumors::updated_at,
        ))
        .order(tumors::id.asc())
        .into_boxed();
    if let Scope::Facilities(ids) = scope {
        query = query.filter(patients::facility_id.eq_any(ids.clone()));
    }
    type Row = (
        i64,
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        chrono::NaiveDateTime,
    );
    let rows: Vec<Row> = query.load(conn)?;
    let mut result = Timeliness::default();
    let mut not_sent = Vec::new();
    for (tumor_id, patient_id, site, dx, first_contact, updated) in rows {
        let deadline = case_deadline(
            dx.as_deref(),
            first_contact.as_deref(),
            profile.deadline_months,
        );
        let case = CaseDue {
            tumor_id,
            patient_id,
            primary_site: site.unwrap_or_default(),
            diagnosed: dx.unwrap_or_default(),
            deadline: deadline.map(|d| d.to_string()).unwrap_or_default(),
            overdue: deadline.is_some_and(|d| d < today),
            days_left: deadline.map(|d| (d - today).num_days()),
        };
        match sent.get(&tumor_id) {
            Some(at) if updated > *at => {
                result.changed_total += 1;
                if result.changed.len() < LISTED_CASES {
                    result.changed.push(case);
                }
            }
            Some(_) => {}
            None => {
                result.not_sent_total += 1;
                if case.overdue {
                    result.overdue_total += 1;
                }
                not_sent.push(case);
            }
        }
    }
    // Overdue first (oldest deadline first), cases without a date last.
    not_sent.sort_by(|a, b| {
        (a.deadline.is_empty(), &a.deadline, a.tumor_id).cmp(&(
            b.deadline.is_empty(),
            &b.deadline,
            b.tumor_id,
        ))
    });
    not_sent.truncate(LISTED_CASES);
    result.not_sent = not_sent;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::case_deadline;
    use chrono::NaiveDate;

    #[test]
    fn a_case_is_due_months_after_the_later_of_diagnosis_and_first_contact() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(case_deadline(Some("20250115"), None, 6), d(2025, 7, 15));
        assert_eq!(
            case_deadline(Some("20250115"), Some("20250301"), 6),
            d(2025, 9, 1)
        );
        // A partial date counts from its latest day: never due too early.
        assert_eq!(case_deadline(Some("202502"), None, 6), d(2025, 8, 28));
        assert_eq!(case_deadline(None, None, 6), None);
    }
}
