//! Installed staging algorithms, the algorithm version behind each staged tumor, and the
//! re-derivation jobs run when the installed version changes.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{
    staging_algorithms, staging_rederivation_changes, staging_rederivations, tumor_stagings, tumors,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = staging_algorithms)]
pub struct InstalledAlgorithm {
    pub id: i64,
    pub algorithm: String,
    pub version: String,
    pub file_name: String,
    pub sha256: String,
    pub is_current: bool,
    pub installed_at: chrono::NaiveDateTime,
    pub installed_by: String,
}

/// The installed algorithm in use, if any.
pub fn current(conn: &mut DbConn) -> QueryResult<Option<InstalledAlgorithm>> {
    staging_algorithms::table
        .filter(staging_algorithms::is_current.eq(true))
        .order(staging_algorithms::id.desc())
        .select(InstalledAlgorithm::as_select())
        .first(conn)
        .optional()
}

/// Every installation, newest first.
pub fn installed(conn: &mut DbConn) -> QueryResult<Vec<InstalledAlgorithm>> {
    staging_algorithms::table
        .order(staging_algorithms::id.desc())
        .select(InstalledAlgorithm::as_select())
        .load(conn)
}

/// Records an installation and makes it the current one (call inside a transaction).
pub fn insert_current(
    conn: &mut DbConn,
    algorithm: &str,
    version: &str,
    file_name: &str,
    sha256: &str,
    installed_by: &str,
) -> QueryResult<i64> {
    diesel::update(staging_algorithms::table.filter(staging_algorithms::is_current.eq(true)))
        .set(staging_algorithms::is_current.eq(false))
        .execute(conn)?;
    diesel::insert_into(staging_algorithms::table)
        .values((
            staging_algorithms::algorithm.eq(algorithm),
            staging_algorithms::version.eq(version),
            staging_algorithms::file_name.eq(file_name),
            staging_algorithms::sha256.eq(sha256),
            staging_algorithms::is_current.eq(true),
            staging_algorithms::installed_at.eq(super::now()),
            staging_algorithms::installed_by.eq(installed_by),
        ))
        .returning(staging_algorithms::id)
        .get_result(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tumor_stagings)]
pub struct TumorStaging {
    pub id: i64,
    pub tumor_id: i64,
    pub algorithm_version: String,
    pub status: String,
    pub staged_at: chrono::NaiveDateTime,
}

pub fn staging_of(conn: &mut DbConn, tumor_id: i64) -> QueryResult<Option<TumorStaging>> {
    tumor_stagings::table
        .filter(tumor_stagings::tumor_id.eq(tumor_id))
        .select(TumorStaging::as_select())
        .first(conn)
        .optional()
}

/// Records which algorithm version derived a tumor's values (one row per tumor).
pub fn record_staging(
    conn: &mut DbConn,
    tumor_id: i64,
    algorithm_version: &str,
    status: &str,
) -> QueryResult<()> {
    let updated =
        diesel::update(tumor_stagings::table.filter(tumor_stagings::tumor_id.eq(tumor_id)))
            .set((
                tumor_stagings::algorithm_version.eq(algorithm_version),
                tumor_stagings::status.eq(status),
                tumor_stagings::staged_at.eq(super::now()),
            ))
            .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(tumor_stagings::table)
            .values((
                tumor_stagings::tumor_id.eq(tumor_id),
                tumor_stagings::algorithm_version.eq(algorithm_version),
                tumor_stagings::status.eq(status),
                tumor_stagings::staged_at.eq(super::now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// True when some tumor was staged with another version than `version`.
pub fn staged_with_other_version(conn: &mut DbConn, version: &str) -> QueryResult<bool> {
    let n: i64 = tumor_stagings::table
        .filter(tumor_stagings::algorithm_version.ne(version))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn count_stagings(conn: &mut DbConn) -> QueryResult<i64> {
    tumor_stagings::table.count().get_result(conn)
}

/// Tumors that carry staging inputs or derived values (the cases a re-derivation covers),
/// after `after_id`, in id order.
pub fn staged_tumor_ids(conn: &mut DbConn, after_id: i64, limit: i64) -> QueryResult<Vec<i64>> {
    tumors::table
        .filter(tumors::id.gt(after_id))
        .filter(
            tumors::schema_id
                .is_not_null()
                .or(tumors::derived_summary_stage_2018.is_not_null())
                .or(tumors::items.like("%\"eodPrimaryTumor\"%")),
        )
        .order(tumors::id.asc())
        .limit(limit)
        .select(tumors::id)
        .load(conn)
}

pub fn count_staged_tumors(conn: &mut DbConn) -> QueryResult<i64> {
    tumors::table
        .filter(
            tumors::schema_id
                .is_not_null()
                .or(tumors::derived_summary_stage_2018.is_not_null())
                .or(tumors::items.like("%\"eodPrimaryTumor\"%")),
        )
        .count()
        .get_result(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = staging_rederivations)]
pub struct Rederivation {
    pub id: i64,
    pub from_version: Option<String>,
    pub to_version: String,
    pub status: String,
    pub total: i32,
    pub done: i32,
    pub changed: i32,
    pub last_tumor_id: i64,
    pub error: Option<String>,
    pub started_at: chrono::NaiveDateTime,
    pub finished_at: Option<chrono::NaiveDateTime>,
}

impl Rederivation {
    pub fn is_running(&self) -> bool {
        self.status == "running"
    }
}

pub fn create_rederivation(
    conn: &mut DbConn,
    from_version: Option<&str>,
    to_version: &str,
    total: i64,
) -> QueryResult<i64> {
    diesel::insert_into(staging_rederivations::table)
        .values((
            staging_rederivations::from_version.eq(from_version),
            staging_rederivations::to_version.eq(to_version),
            staging_rederivations::status.eq("running"),
            staging_rederivations::total.eq(i32::try_from(total).unwrap_or(i32::MAX)),
            staging_rederivations::started_at.eq(super::now()),
        ))
        .returning(staging_rederivations::id)
        .get_result(conn)
}

pub fn find_rederivation(conn: &mut DbConn, id: i64) -> QueryResult<Option<Rederivation>> {
    staging_rederivations::table
        .find(id)
        .select(Rederivation::as_select())
        .first(conn)
        .optional()
}

pub fn rederivations(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<Rederivation>> {
    staging_rederivations::table
        .order(staging_rederivations::id.desc())
        .limit(limit)
        .select(Rederivation::as_select())
        .load(conn)
}

pub fn running_rederivations(conn: &mut DbConn) -> QueryResult<Vec<Rederivation>> {
    staging_rederivations::table
        .filter(staging_rederivations::status.eq("running"))
        .order(staging_rederivations::id.asc())
        .select(Rederivation::as_select())
        .load(conn)
}

/// True when a re-derivation to this version was started already (finished or not).
pub fn rederivation_to_exists(conn: &mut DbConn, version: &str) -> QueryResult<bool> {
    let n: i64 = staging_rederivations::table
        .filter(staging_rederivations::to_version.eq(version))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn record_progress(
    conn: &mut DbConn,
    id: i64,
    done: i32,
    changed: i32,
    last_tumor_id: i64,
) -> QueryResult<()> {
    diesel::update(staging_rederivations::table.find(id))
        .set((
            staging_rederivations::done.eq(done),
            staging_rederivations::changed.eq(changed),
            staging_rederivations::last_tumor_id.eq(last_tumor_id),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn finish_rederivation(
    conn: &mut DbConn,
    id: i64,
    status: &str,
    error: Option<&str>,
) -> QueryResult<()> {
    diesel::update(staging_rederivations::table.find(id))
        .set((
            staging_rederivations::status.eq(status),
            staging_rederivations::error.eq(error),
            staging_rederivations::finished_at.eq(Some(super::now())),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = staging_rederivation_changes)]
pub struct RederivationChange {
    pub id: i64,
    pub rederivation_id: i64,
    pub tumor_id: i64,
    pub patient_id: i64,
    pub schema_id: Option<String>,
    /// JSON array of {field, old, new}.
    pub changes: String,
}

pub fn record_change(
    conn: &mut DbConn,
    rederivation_id: i64,
    tumor_id: i64,
    patient_id: i64,
    schema_id: Option<&str>,
    changes: &str,
) -> QueryResult<()> {
    diesel::insert_into(staging_rederivation_changes::table)
        .values((
            staging_rederivation_changes::rederivation_id.eq(rederivation_id),
            staging_rederivation_changes::tumor_id.eq(tumor_id),
            staging_rederivation_changes::patient_id.eq(patient_id),
            staging_rederivation_changes::schema_id.eq(schema_id),
            staging_rederivation_changes::changes.eq(changes),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn changes_of(
    conn: &mut DbConn,
    rederivation_id: i64,
    limit: i64,
) -> QueryResult<Vec<RederivationChange>> {
    staging_rederivation_changes::table
        .filter(staging_rederivation_changes::rederivation_id.eq(rederivation_id))
        .order(staging_rederivation_changes::tumor_id.asc())
        .limit(limit)
        .select(RederivationChange::as_select())
        .load(conn)
}
