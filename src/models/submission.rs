//! Submission profiles (where cases go and in which form), submission runs and the tumors each
//! run sent (append-only), and import runs.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{import_runs, submission_profiles, submission_runs, submitted_tumors};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, AsChangeset)]
#[diesel(table_name = submission_profiles, treat_none_as_null = true)]
pub struct SubmissionProfile {
    pub id: i64,
    pub name: String,
    /// state, npcr, seer or ncdb.
    pub kind: String,
    pub registry_id: String,
    pub record_type: String,
    pub naaccr_version: String,
    /// A user dictionary (NAACCR dictionary XML) for state-specific items.
    pub user_dictionary: Option<String>,
    /// naaccrIds every submitted tumor must carry, comma-separated.
    pub required_items: String,
    pub edit_set: String,
    /// Cases are due this many months after the date of diagnosis (or first contact).
    pub deadline_months: i32,
    /// When the registry expects files, in words (e.g. "monthly").
    pub schedule: String,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

impl SubmissionProfile {
    pub fn required(&self) -> Vec<&str> {
        self.required_items
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = submission_profiles)]
pub struct NewProfile {
    pub name: String,
    pub kind: String,
    pub registry_id: String,
    pub record_type: String,
    pub naaccr_version: String,
    pub user_dictionary: Option<String>,
    pub required_items: String,
    pub edit_set: String,
    pub deadline_months: i32,
    pub schedule: String,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

pub fn list_profiles(conn: &mut DbConn) -> QueryResult<Vec<SubmissionProfile>> {
    submission_profiles::table
        .order(submission_profiles::name.asc())
        .select(SubmissionProfile::as_select())
        .load(conn)
}

pub fn find_profile(conn: &mut DbConn, id: i64) -> QueryResult<Option<SubmissionProfile>> {
    submission_profiles::table
        .find(id)
        .select(SubmissionProfile::as_select())
        .first(conn)
        .optional()
}

pub fn find_profile_by_name(
    conn: &mut DbConn,
    name: &str,
) -> QueryResult<Option<SubmissionProfile>> {
    submission_profiles::table
        .filter(submission_profiles::name.eq(name))
        .select(SubmissionProfile::as_select())
        .first(conn)
        .optional()
}

pub fn insert_profile(conn: &mut DbConn, profile: &NewProfile) -> QueryResult<SubmissionProfile> {
    let id: i64 = diesel::insert_into(submission_profiles::table)
        .values(profile)
        .returning(submission_profiles::id)
        .get_result(conn)?;
    find_profile(conn, id)?.ok_or(diesel::result::Error::NotFound)
}

pub fn save_profile(conn: &mut DbConn, profile: &mut SubmissionProfile) -> QueryResult<()> {
    profile.updated_at = super::now();
    diesel::update(submission_profiles::table.find(profile.id))
        .set(&*profile)
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, AsChangeset)]
#[diesel(table_name = submission_runs, treat_none_as_null = true)]
pub struct SubmissionRun {
    pub id: i64,
    pub profile_id: i64,
    /// queued, running, blocked, complete, failed.
    pub status: String,
    /// The selection as JSON (what a user chose).
    pub selection: String,
    pub record_type: String,
    pub naaccr_version: String,
    pub cases_total: i32,
    pub cases_done: i32,
    pub patients: i32,
    pub tumors: i32,
    pub edit_errors: i32,
    pub edit_warnings: i32,
    /// Edit and required-item findings as JSON lines.
    pub report: String,
    pub override_reason: Option<String>,
    /// File name under `data_dir/submissions` once complete.
    pub file_name: Option<String>,
    pub checksum: Option<String>,
    pub file_bytes: Option<i64>,
    pub message: Option<String>,
    pub created_by: i64,
    pub created_at: chrono::NaiveDateTime,
    pub started_at: Option<chrono::NaiveDateTime>,
    pub finished_at: Option<chrono::NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = submission_runs)]
pub struct NewRun {
    pub profile_id: i64,
    pub status: String,
    pub selection: String,
    pub record_type: String,
    pub naaccr_version: String,
    pub created_by: i64,
    pub created_at: chrono::NaiveDateTime,
}

pub fn insert_run(conn: &mut DbConn, run: &NewRun) -> QueryResult<SubmissionRun> {
    let id: i64 = diesel::insert_into(submission_runs::table)
        .values(run)
        .returning(submission_runs::id)
        .get_result(conn)?;
    find_run(conn, id)?.ok_or(diesel::result::Error::NotFound)
}

pub fn find_run(conn: &mut DbConn, id: i64) -> QueryResult<Option<SubmissionRun>> {
    submission_runs::table
        .find(id)
        .select(SubmissionRun::as_select())
        .first(conn)
        .optional()
}

pub fn save_run(conn: &mut DbConn, run: &SubmissionRun) -> QueryResult<()> {
    diesel::update(submission_runs::table.find(run.id))
        .set(run)
        .execute(conn)?;
    Ok(())
}

pub fn set_run_progress(conn: &mut DbConn, id: i64, done: i32) -> QueryResult<()> {
    diesel::update(submission_runs::table.find(id))
        .set(submission_runs::cases_done.eq(done))
        .execute(conn)?;
    Ok(())
}

pub fn runs_of_profile(conn: &mut DbConn, profile_id: i64) -> QueryResult<Vec<SubmissionRun>> {
    submission_runs::table
        .filter(submission_runs::profile_id.eq(profile_id))
        .order(submission_runs::id.desc())
        .select(SubmissionRun::as_select())
        .load(conn)
}

/// Runs left running or queued by a process that ended (crash, kill): they never completed.
pub fn fail_interrupted_runs(conn: &mut DbConn) -> QueryResult<usize> {
    diesel::update(
        submission_runs::table.filter(submission_runs::status.eq_any(["queued", "running"])),
    )
    .set((
        submission_runs::status.eq("failed"),
        submission_runs::message.eq("interrupted: the server stopped during the run"),
        submission_runs::finished_at.eq(Some(super::now())),
    ))
    .execute(conn)
}

/// Imports left running or queued by a process that ended: they never completed (the patients
/// committed before the stop stay, as the report of a stopped file says).
pub fn fail_interrupted_imports(conn: &mut DbConn) -> QueryResult<usize> {
    diesel::update(import_runs::table.filter(import_runs::status.eq_any(["queued", "running"])))
        .set((
            import_runs::status.eq("failed"),
            import_runs::message.eq(
                "interrupted: the server stopped during the import; the patients stored before \
                 it stay",
            ),
            import_runs::finished_at.eq(Some(super::now())),
        ))
        .execute(conn)
}

/// Marks an import failed with why.
pub fn fail_import(conn: &mut DbConn, id: i64, message: &str) -> QueryResult<usize> {
    diesel::update(import_runs::table.find(id))
        .set((
            import_runs::status.eq("failed"),
            import_runs::message.eq(message),
            import_runs::finished_at.eq(Some(super::now())),
        ))
        .execute(conn)
}

/// When each tumor was last sent by a complete run of `profile_id`, with the tumor's
/// `updated_at` as it was then.
pub fn last_submitted(
    conn: &mut DbConn,
    profile_id: i64,
    tumor_ids: &[i64],
) -> QueryResult<Vec<(i64, chrono::NaiveDateTime)>> {
    submitted_tumors::table
        .inner_join(submission_runs::table)
        .filter(submission_runs::profile_id.eq(profile_id))
        .filter(submission_runs::status.eq("complete"))
        .filter(submitted_tumors::tumor_id.eq_any(tumor_ids))
        .select((
            submitted_tumors::tumor_id,
            submitted_tumors::tumor_updated_at,
        ))
        .load(conn)
}

/// Every tumor a complete run of `profile_id` sent, with its `updated_at` as it was then.
pub fn all_submitted(
    conn: &mut DbConn,
    profile_id: i64,
) -> QueryResult<Vec<(i64, chrono::NaiveDateTime)>> {
    submitted_tumors::table
        .inner_join(submission_runs::table)
        .filter(submission_runs::profile_id.eq(profile_id))
        .filter(submission_runs::status.eq("complete"))
        .select((
            submitted_tumors::tumor_id,
            submitted_tumors::tumor_updated_at,
        ))
        .load(conn)
}

#[derive(Insertable)]
#[diesel(table_name = submitted_tumors)]
struct NewSubmittedTumor {
    run_id: i64,
    tumor_id: i64,
    tumor_updated_at: chrono::NaiveDateTime,
}

/// Records the tumors a run sent (append-only).
pub fn record_submitted(
    conn: &mut DbConn,
    run_id: i64,
    tumors: &[(i64, chrono::NaiveDateTime)],
) -> QueryResult<()> {
    for chunk in tumors.chunks(500) {
        let rows: Vec<NewSubmittedTumor> = chunk
            .iter()
            .map(|(tumor_id, updated)| NewSubmittedTumor {
                run_id,
                tumor_id: *tumor_id,
                tumor_updated_at: *updated,
            })
            .collect();
        match conn {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite(c) => diesel::insert_into(submitted_tumors::table)
                .values(rows)
                .execute(c)?,
            #[cfg(feature = "postgres")]
            DbConn::Pg(c) => diesel::insert_into(submitted_tumors::table)
                .values(rows)
                .execute(c)?,
        };
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, AsChangeset)]
#[diesel(table_name = import_runs, treat_none_as_null = true)]
pub struct ImportRun {
    pub id: i64,
    pub file_name: String,
    pub stored_path: String,
    pub checksum: String,
    pub facility_id: i64,
    /// queued, running, complete, failed.
    pub status: String,
    pub patients_read: i32,
    pub patients_created: i32,
    pub patients_updated: i32,
    pub patients_rejected: i32,
    pub tumors_created: i32,
    pub tumors_updated: i32,
    pub problems: i32,
    pub message: Option<String>,
    pub created_by: i64,
    pub created_at: chrono::NaiveDateTime,
    pub finished_at: Option<chrono::NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = import_runs)]
pub struct NewImportRun {
    pub file_name: String,
    pub stored_path: String,
    pub checksum: String,
    pub facility_id: i64,
    pub status: String,
    pub created_by: i64,
    pub created_at: chrono::NaiveDateTime,
}

pub fn insert_import(conn: &mut DbConn, run: &NewImportRun) -> QueryResult<ImportRun> {
    let id: i64 = diesel::insert_into(import_runs::table)
        .values(run)
        .returning(import_runs::id)
        .get_result(conn)?;
    find_import(conn, id)?.ok_or(diesel::result::Error::NotFound)
}

pub fn find_import(conn: &mut DbConn, id: i64) -> QueryResult<Option<ImportRun>> {
    import_runs::table
        .find(id)
        .select(ImportRun::as_select())
        .first(conn)
        .optional()
}

pub fn save_import(conn: &mut DbConn, run: &ImportRun) -> QueryResult<()> {
    diesel::update(import_runs::table.find(run.id))
        .set(run)
        .execute(conn)?;
    Ok(())
}

pub fn recent_imports(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<ImportRun>> {
    import_runs::table
        .order(import_runs::id.desc())
        .limit(limit)
        .select(ImportRun::as_select())
        .load(conn)
}

/// The patient of a facility with this Patient ID Number.
pub fn patient_by_id_number(
    conn: &mut DbConn,
    facility_id: i64,
    patient_id_number: &str,
) -> QueryResult<Option<crate::models::patient::Patient>> {
    use crate::db::schema::patients;
    patients::table
        .filter(patients::facility_id.eq(facility_id))
        .filter(patients::patient_id_number.eq(patient_id_number))
        .select(crate::models::patient::Patient::as_select())
        .first(conn)
        .optional()
}
