//! Staging use cases: installing a SEER staging algorithm, holding the current one in shared
//! state, staging a tumor and saving its inputs and derived values (audited), and re-deriving
//! every staged tumor when the installed algorithm version changes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use sha2::{Digest, Sha256};

use crate::audit::{self, Action, Actor, AuditEvent, FieldChange};
use crate::config::Settings;
use crate::db::{DbConn, DbPool, write_tx};
use crate::domain::staging::{Algorithm, StagingInputs, StagingResult, load_algorithm};
use crate::error::AppError;
use crate::models::patient::{self, Patient, Scope};
use crate::models::staging as model;
use crate::models::tumor::{self, Tumor};

/// Derived items written on every save or re-derivation: each is set to what the algorithm
/// derives, or cleared when it derives nothing for it (e.g. EOD T/N/M with 3.3).
pub const DERIVED_ITEMS: &[&str] = &[
    "schemaId",
    "derivedSummaryStage2018",
    "derivedSummaryGrade2018",
    "derivedEod2018T",
    "derivedEod2018N",
    "derivedEod2018M",
    "derivedEod2018StageGroup",
];

/// Items of the abstract itself (entered on the tumor form, or patient-level) that select the
/// schema; the stage page shows them but does not edit them.
pub const CASE_ITEMS: &[&str] = &[
    "primarySite",
    "histologicTypeIcdO3",
    "behaviorCodeIcdO3",
    "dateOfDiagnosis",
    "sexAssignedAtBirth",
    "sex",
];

/// The algorithm in use, shared by every request and swapped whole on install.
#[derive(Default)]
pub struct StagingState {
    current: RwLock<Option<Arc<Algorithm>>>,
    /// Re-derivation jobs running in this process (a job is never run twice at once).
    running: std::sync::Mutex<std::collections::HashSet<i64>>,
}

impl StagingState {
    pub fn current(&self) -> Option<Arc<Algorithm>> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn claim(&self, job_id: i64) -> bool {
        match self.running.lock() {
            Ok(mut set) => set.insert(job_id),
            Err(poisoned) => poisoned.into_inner().insert(job_id),
        }
    }

    fn release(&self, job_id: i64) {
        match self.running.lock() {
            Ok(mut set) => set.remove(&job_id),
            Err(poisoned) => poisoned.into_inner().remove(&job_id),
        };
    }

    pub fn replace(&self, algorithm: Option<Arc<Algorithm>>) {
        match self.current.write() {
            Ok(mut guard) => *guard = algorithm,
            Err(poisoned) => *poisoned.into_inner() = algorithm,
        }
    }
}

/// Where the configured algorithm comes from: the `staging_algorithm` setting, or the current
/// installation in the staging folder.
pub fn configured_path(settings: &Settings, conn: &mut DbConn) -> anyhow::Result<Option<PathBuf>> {
    if !settings.staging_algorithm.trim().is_empty() {
        return Ok(Some(PathBuf::from(settings.staging_algorithm.trim())));
    }
    Ok(model::current(conn)?.map(|row| settings.staging_dir().join(row.file_name)))
}

/// Loads the configured algorithm (logging its load time), or `None` when none is installed.
pub fn load_configured(
    settings: &Settings,
    conn: &mut DbConn,
) -> anyhow::Result<Option<Algorithm>> {
    let Some(path) = configured_path(settings, conn)? else {
        return Ok(None);
    };
    let algorithm = load_algorithm(&path)
        .map_err(|e| anyhow::anyhow!("staging algorithm {}: {e}", path.display()))?;
    tracing::info!(
        algorithm = algorithm.algorithm_name(),
        version = algorithm.version(),
        schemas = algorithm.schemas().len(),
        tables = algorithm.table_count(),
        load_ms = algorithm.load_time().as_millis() as u64,
        "staging algorithm loaded"
    );
    Ok(Some(algorithm))
}

/// What an installation did.
pub struct Installed {
    pub algorithm: String,
    pub version: String,
    pub sha256: String,
    pub path: PathBuf,
    pub schemas: usize,
    pub tables: usize,
    pub load_time: std::time::Duration,
}

/// Validates a SEER algorithm zip by loading it, copies it into the staging folder, records
/// its version and checksum and makes it current. Nothing is recorded if any step fails.
pub fn install(
    conn: &mut DbConn,
    settings: &Settings,
    file: &Path,
    actor: &Actor,
) -> anyhow::Result<Installed> {
    let algorithm = load_algorithm(file).map_err(|e| {
        anyhow::anyhow!("{} is not a usable staging algorithm: {e}", file.display())
    })?;
    let bytes = std::fs::read(file)?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let file_name = format!(
        "{}-{}-{}.zip",
        safe(algorithm.algorithm_name()),
        safe(algorithm.version()),
        &sha256[..12]
    );
    let dir = settings.staging_dir();
    std::fs::create_dir_all(&dir)?;
    let target = dir.join(&file_name);
    // Copy under a temporary name and rename, so a half-copied file is never the current one.
    let partial = dir.join(format!("{file_name}.partial"));
    std::fs::write(&partial, &bytes)?;
    std::fs::rename(&partial, &target)?;
    write_tx(conn, |conn| -> anyhow::Result<()> {
        let id = model::insert_current(
            conn,
            algorithm.algorithm_name(),
            algorithm.version(),
            &file_name,
            &sha256,
            &actor.label,
        )?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Create, "staging_algorithm")
                .id(id)
                .detail(format!(
                    "installed {} {} (sha256 {sha256})",
                    algorithm.algorithm_name(),
                    algorithm.version()
                )),
        )?;
        Ok(())
    })?;
    Ok(Installed {
        algorithm: algorithm.algorithm_name().to_string(),
        version: algorithm.version().to_string(),
        sha256,
        path: target,
        schemas: algorithm.schemas().len(),
        tables: algorithm.table_count(),
        load_time: algorithm.load_time(),
    })
}

/// The staging inputs of a stored tumor: every item the algorithm reads, from the record view.
pub fn tumor_inputs(algorithm: &Algorithm, patient: &Patient, tumor: &Tumor) -> StagingInputs {
    let mut inputs = StagingInputs::new();
    for (id, value) in tumor.all_items(patient) {
        if algorithm.known_input_ids.contains(&id) {
            inputs.set(&id, &value);
        }
    }
    if let Some(sex) = patient.item("sexAssignedAtBirth")
        && algorithm.known_input_ids.contains("sexAssignedAtBirth")
    {
        inputs.set("sexAssignedAtBirth", &sex);
    }
    inputs
}

/// The derived items to store for a result (every item of [`DERIVED_ITEMS`], plus any other
/// output the algorithm derives that has a NAACCR id).
pub fn derived_values(result: &StagingResult) -> Vec<(String, Option<String>)> {
    let mut values: Vec<(String, Option<String>)> = DERIVED_ITEMS
        .iter()
        .map(|id| ((*id).to_string(), result.output(id).map(str::to_string)))
        .collect();
    if let Some(slot) = values.iter_mut().find(|(id, _)| id == "schemaId")
        && slot.1.is_none()
    {
        slot.1 = result
            .schema
            .as_ref()
            .and_then(|s| s.naaccr_schema_id.clone());
    }
    for output in &result.outputs {
        if let Some(id) = &output.naaccr_xml_id
            && !values.iter().any(|(v, _)| v == id)
            && crate::domain::fields::check_item_value(id, &output.value).is_ok()
        {
            values.push((id.clone(), Some(output.value.clone())));
        }
    }
    values
}

fn changes_between(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<FieldChange> {
    let mut ids: Vec<&String> = before.keys().chain(after.keys()).collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| {
            FieldChange::between(
                id,
                before.get(id).map(String::as_str),
                after.get(id).map(String::as_str),
            )
        })
        .collect()
}

/// A tumor and its patient for the stage page (audited as a read of the tumor).
pub fn read_case(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    tumor_id: i64,
) -> Result<(Patient, Tumor, Option<model::TumorStaging>), AppError> {
    write_tx(conn, |conn| {
        let row = tumor::find(conn, tumor_id)?.ok_or(AppError::NotFound)?;
        let patient =
            patient::find_scoped(conn, scope, row.patient_id)?.ok_or(AppError::NotFound)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Read, "tumor")
                .id(row.id)
                .patient(patient.id, patient.facility_id)
                .detail("stage page"),
        )?;
        let staging = model::staging_of(conn, row.id)?;
        Ok((patient, row, staging))
    })
}

/// NAACCR items and their new values (`None` clears one).
pub type ItemValues = Vec<(String, Option<String>)>;

/// Saves entered staging items and the derived values into the tumor, audited old → new, and
/// records the algorithm version used. `derived` is `None` when no algorithm is installed.
pub fn save_stage(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    tumor_id: i64,
    entered: ItemValues,
    derived: Option<(&StagingResult, ItemValues)>,
) -> Result<Tumor, AppError> {
    write_tx(conn, |conn| {
        let mut row = tumor::find(conn, tumor_id)?.ok_or(AppError::NotFound)?;
        let patient =
            patient::find_scoped(conn, scope, row.patient_id)?.ok_or(AppError::NotFound)?;
        let before = row.all_items(&patient);
        let mut values = entered;
        if let Some((_, d)) = &derived {
            values.extend(d.iter().cloned());
        }
        row.set_items(values.iter().map(|(k, v)| (k.as_str(), v.clone())));
        let changes = changes_between(&before, &row.all_items(&patient));
        let detail = match &derived {
            Some((result, _)) => format!(
                "staged: {} with algorithm version {}",
                result.status.as_str(),
                result.algorithm_version
            ),
            None => "stage items saved (no staging algorithm installed)".to_string(),
        };
        if !changes.is_empty() {
            tumor::save(conn, &mut row)?;
            audit::record(
                conn,
                actor,
                &AuditEvent::new(Action::Update, "tumor")
                    .id(row.id)
                    .patient(patient.id, patient.facility_id)
                    .changes(changes)
                    .detail(detail),
            )?;
        }
        if let Some((result, _)) = &derived {
            model::record_staging(
                conn,
                row.id,
                &result.algorithm_version,
                result.status.as_str(),
            )?;
        }
        Ok(row)
    })
}

/// Starts a re-derivation when the algorithm now in use has another version than the one
/// stored cases were staged with, and none to that version was started yet. Returns the job.
pub fn rederivation_needed(conn: &mut DbConn, version: &str) -> anyhow::Result<Option<i64>> {
    write_tx(conn, |conn| -> anyhow::Result<Option<i64>> {
        if model::rederivation_to_exists(conn, version)? {
            return Ok(None);
        }
        let total = model::count_staged_tumors(conn)?;
        // Cases staged with another version, or cases with staging items never derived here
        // (imported, entered before an algorithm was installed).
        if !model::staged_with_other_version(conn, version)?
            && total <= model::count_stagings(conn)?
        {
            return Ok(None);
        }
        let from = model::installed(conn)?
            .into_iter()
            .find(|row| row.version != version)
            .map(|row| row.version);
        Ok(Some(model::create_rederivation(
            conn,
            from.as_deref(),
            version,
            total,
        )?))
    })
}

/// Tumors re-derived per transaction (progress is recorded after each batch).
const BATCH: i64 = 200;

/// Re-derives every staged tumor with `algorithm`, from where the job last stopped. Changed
/// tumors are saved (audited as the system) and listed in the job's changes.
pub fn run_rederivation(pool: &DbPool, algorithm: &Algorithm, job_id: i64) -> anyhow::Result<()> {
    let mut conn = pool.get()?;
    let actor = Actor::system("staging re-derivation");
    let started = std::time::Instant::now();
    let Some(job) = model::find_rederivation(&mut conn, job_id)? else {
        anyhow::bail!("re-derivation {job_id} does not exist");
    };
    if job.to_version != algorithm.version() {
        model::finish_rederivation(
            &mut conn,
            job_id,
            "superseded",
            Some("another algorithm version was installed before it finished"),
        )?;
        return Ok(());
    }
    let (mut done, mut changed, mut last) = (job.done, job.changed, job.last_tumor_id);
    let mut processed_now = 0usize;
    loop {
        let ids = model::staged_tumor_ids(&mut conn, last, BATCH)?;
        if ids.is_empty() {
            break;
        }
        write_tx(&mut conn, |conn| -> anyhow::Result<()> {
            for id in &ids {
                let Some(mut row) = tumor::find(conn, *id)? else {
                    continue;
                };
                let Some(patient) = patient::find_scoped(conn, &Scope::All, row.patient_id)? else {
                    continue;
                };
                let result = algorithm.stage(&tumor_inputs(algorithm, &patient, &row));
                let before = row.all_items(&patient);
                let derived = derived_values(&result);
                row.set_items(derived.iter().map(|(k, v)| (k.as_str(), v.clone())));
                let changes = changes_between(&before, &row.all_items(&patient));
                if !changes.is_empty() {
                    tumor::save(conn, &mut row)?;
                    audit::record(
                        conn,
                        &actor,
                        &AuditEvent::new(Action::Update, "tumor")
                            .id(row.id)
                            .patient(patient.id, patient.facility_id)
                            .changes(changes.clone())
                            .detail(format!(
                                "re-derived with algorithm version {}",
                                algorithm.version()
                            )),
                    )?;
                    model::record_change(
                        conn,
                        job_id,
                        row.id,
                        patient.id,
                        row.schema_id.as_deref(),
                        &serde_json::to_string(&changes)?,
                    )?;
                    changed += 1;
                }
                model::record_staging(conn, row.id, algorithm.version(), result.status.as_str())?;
                done += 1;
            }
            last = ids.last().copied().unwrap_or(last);
            model::record_progress(conn, job_id, done, changed, last)?;
            Ok(())
        })?;
        processed_now += ids.len();
    }
    model::finish_rederivation(&mut conn, job_id, "finished", None)?;
    let seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        job = job_id,
        tumors = processed_now,
        changed,
        seconds,
        per_second = if seconds > 0.0 {
            processed_now as f64 / seconds
        } else {
            0.0
        },
        "staging re-derivation finished"
    );
    Ok(())
}

/// Runs a re-derivation on the blocking pool; a failure is recorded on the job.
pub fn spawn_rederivation(
    pool: DbPool,
    state: Arc<StagingState>,
    algorithm: Arc<Algorithm>,
    job_id: i64,
) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        tracing::error!(
            job = job_id,
            "no async runtime to run the staging re-derivation"
        );
        return;
    };
    if !state.claim(job_id) {
        return;
    }
    handle.spawn_blocking(move || {
        if let Err(e) = run_rederivation(&pool, &algorithm, job_id) {
            tracing::error!(job = job_id, error = %e, "staging re-derivation failed");
            let recorded = pool
                .get()
                .map_err(anyhow::Error::from)
                .and_then(|mut conn| {
                    model::finish_rederivation(&mut conn, job_id, "failed", Some(&e.to_string()))
                        .map_err(anyhow::Error::from)
                });
            if let Err(e) = recorded {
                tracing::error!(job = job_id, error = %e, "could not record the failure");
            }
        }
        state.release(job_id);
    });
}

/// Loads the configured algorithm into the shared state, resumes unfinished re-derivations
/// and starts one when the version changed. Called at start and after an install.
pub fn activate(
    pool: &DbPool,
    settings: &Settings,
    state: &Arc<StagingState>,
) -> anyhow::Result<Option<Arc<Algorithm>>> {
    let mut conn = pool.get()?;
    let algorithm = load_configured(settings, &mut conn)?.map(Arc::new);
    state.replace(algorithm.clone());
    if let Some(algorithm) = &algorithm {
        for job in model::running_rederivations(&mut conn)? {
            spawn_rederivation(pool.clone(), state.clone(), algorithm.clone(), job.id);
        }
        if let Some(job) = rederivation_needed(&mut conn, algorithm.version())? {
            tracing::info!(
                job,
                version = algorithm.version(),
                "staging re-derivation started"
            );
            spawn_rederivation(pool.clone(), state.clone(), algorithm.clone(), job);
        }
    }
    Ok(algorithm)
}
