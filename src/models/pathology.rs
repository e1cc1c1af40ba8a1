//! Pathology intake rows: raw messages as received (append-only), one report row per message
//! with its processing results and the registrar's decision, and the labs' API tokens.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{
    pathology_lab_tokens, pathology_raw_messages, pathology_reports, pathology_uploads,
    screening_versions,
};

/// Bytes as received, before any parsing.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = pathology_raw_messages)]
pub struct NewRawMessage<'a> {
    pub received_at: chrono::NaiveDateTime,
    pub source: &'a str,
    pub received_by_user_id: Option<i64>,
    pub lab_token_id: Option<i64>,
    pub sender: &'a str,
    pub file_name: Option<&'a str>,
    pub sha256: &'a str,
    pub byte_length: i64,
    pub content: &'a [u8],
    /// Registry facility the messages belong to (None: the central registry only).
    pub facility_id: Option<i64>,
}

/// A stored raw message without its bytes (for listings).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pathology_raw_messages)]
pub struct RawMessageInfo {
    pub id: i64,
    pub received_at: chrono::NaiveDateTime,
    pub source: String,
    pub received_by_user_id: Option<i64>,
    pub lab_token_id: Option<i64>,
    pub sender: String,
    pub file_name: Option<String>,
    pub sha256: String,
    pub byte_length: i64,
    pub facility_id: Option<i64>,
}

pub fn insert_raw(conn: &mut DbConn, raw: &NewRawMessage<'_>) -> QueryResult<i64> {
    diesel::insert_into(pathology_raw_messages::table)
        .values(raw)
        .returning(pathology_raw_messages::id)
        .get_result(conn)
}

pub fn raw_info(conn: &mut DbConn, id: i64) -> QueryResult<Option<RawMessageInfo>> {
    pathology_raw_messages::table
        .find(id)
        .select(RawMessageInfo::as_select())
        .first(conn)
        .optional()
}

pub fn raw_content(conn: &mut DbConn, id: i64) -> QueryResult<Option<Vec<u8>>> {
    pathology_raw_messages::table
        .find(id)
        .select(pathology_raw_messages::content)
        .first(conn)
        .optional()
}

pub fn raw_count(conn: &mut DbConn) -> QueryResult<i64> {
    pathology_raw_messages::table.count().get_result(conn)
}

/// One message of a received file.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, AsChangeset, Insertable)]
#[diesel(table_name = pathology_reports, treat_none_as_null = true)]
pub struct Report {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub raw_message_id: i64,
    pub message_index: i32,
    pub start_line: i32,
    pub status: String,
    pub lab: String,
    pub lab_name: String,
    pub accession: String,
    pub duplicate_key: Option<String>,
    pub duplicate_of_id: Option<i64>,
    pub supersedes_id: Option<i64>,
    pub corrections: Option<String>,
    pub message_text: String,
    pub parse_error: Option<String>,
    pub error_line: Option<i32>,
    pub error_field: Option<String>,
    pub parsed: Option<String>,
    pub patient_name: String,
    pub ordering_facility: String,
    pub collection_date: Option<String>,
    pub reportability: Option<String>,
    pub screening: Option<String>,
    pub coding: Option<String>,
    pub match_candidates: Option<String>,
    pub matched_patient_id: Option<i64>,
    pub patient_id: Option<i64>,
    pub tumor_id: Option<i64>,
    pub decision: Option<String>,
    pub decision_reason: Option<String>,
    pub decided_by_user_id: Option<i64>,
    pub decided_at: Option<chrono::NaiveDateTime>,
    pub created_at: chrono::NaiveDateTime,
}

/// Worklist statuses, in the order the worklist shows them.
pub const STATUSES: [(&str, &str); 9] = [
    ("to-review", "To review"),
    ("possible-match", "Possible match"),
    ("error", "Errors"),
    ("test", "Test messages"),
    ("done", "Done"),
    ("not-reportable", "Not reportable"),
    ("duplicate", "Duplicates"),
    ("superseded", "Superseded by a correction"),
    ("all", "All"),
];

/// Statuses that wait for a registrar.
pub const OPEN_STATUSES: [&str; 2] = ["to-review", "possible-match"];

pub fn status_label(status: &str) -> &'static str {
    STATUSES
        .iter()
        .find(|(s, _)| *s == status)
        .map(|(_, l)| *l)
        .unwrap_or("Unknown")
}

pub fn insert_report(conn: &mut DbConn, report: &Report) -> QueryResult<i64> {
    diesel::insert_into(pathology_reports::table)
        .values(report)
        .returning(pathology_reports::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Report>> {
    pathology_reports::table
        .find(id)
        .select(Report::as_select())
        .first(conn)
        .optional()
}

/// Whether a user of `scope` may see a report of `facility_id` (reports without a facility are
/// the central registry's).
pub fn visible(scope: &crate::models::patient::Scope, facility_id: Option<i64>) -> bool {
    match (scope, facility_id) {
        (crate::models::patient::Scope::All, _) => true,
        (_, Some(f)) => scope.allows(f),
        (_, None) => false,
    }
}

/// The registry facility of a report: that of the message it came in.
pub fn facility_of(conn: &mut DbConn, report: &Report) -> QueryResult<Option<i64>> {
    pathology_raw_messages::table
        .find(report.raw_message_id)
        .select(pathology_raw_messages::facility_id)
        .first(conn)
}

/// A report the user's facilities may see (None otherwise, as if it did not exist).
pub fn find_scoped(
    conn: &mut DbConn,
    scope: &crate::models::patient::Scope,
    id: i64,
) -> QueryResult<Option<Report>> {
    let Some(report) = find(conn, id)? else {
        return Ok(None);
    };
    let facility = facility_of(conn, &report)?;
    Ok(visible(scope, facility).then_some(report))
}

pub fn save(conn: &mut DbConn, report: &mut Report) -> QueryResult<()> {
    diesel::update(pathology_reports::table.find(report.id))
        .set(&*report)
        .execute(conn)?;
    Ok(())
}

/// Reports already recorded from a raw message (none unless an upload is resumed), by index.
pub fn recorded_for_raw(conn: &mut DbConn, raw_id: i64) -> QueryResult<Vec<Report>> {
    pathology_reports::table
        .filter(pathology_reports::raw_message_id.eq(raw_id))
        .order(pathology_reports::message_index.asc())
        .select(Report::as_select())
        .load(conn)
}

/// The report already received with this duplicate key, if any (the first one).
pub fn find_by_duplicate_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<Report>> {
    pathology_reports::table
        .filter(pathology_reports::duplicate_key.eq(key))
        .filter(pathology_reports::status.ne("duplicate"))
        .order(pathology_reports::id.asc())
        .select(Report::as_select())
        .first(conn)
        .optional()
}

/// The latest report of the same lab and accession that a correction replaces.
pub fn latest_for_accession(
    conn: &mut DbConn,
    lab: &str,
    accession: &str,
) -> QueryResult<Option<Report>> {
    pathology_reports::table
        .filter(pathology_reports::lab.eq(lab))
        .filter(pathology_reports::accession.eq(accession))
        .filter(pathology_reports::status.ne_all(["duplicate", "error", "test"]))
        .filter(pathology_reports::status.ne("superseded"))
        .order(pathology_reports::id.desc())
        .select(Report::as_select())
        .first(conn)
        .optional()
}

/// Worklist filter.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct WorklistFilter {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub lab: String,
    #[serde(default)]
    pub facility: String,
    /// Received on or after (YYYY-MM-DD).
    #[serde(default)]
    pub from: String,
    /// Received on or before (YYYY-MM-DD).
    #[serde(default)]
    pub to: String,
    /// received, patient, lab, collected, status (prefix `-` for descending).
    #[serde(default)]
    pub sort: String,
    /// Registry facility id ("" = every facility the user sees; "none" = central registry).
    #[serde(default)]
    pub facility_id: String,
}

/// One worklist line.
#[derive(Debug, Clone, Queryable)]
pub struct WorklistLine {
    pub id: i64,
    pub status: String,
    pub lab: String,
    pub lab_name: String,
    pub accession: String,
    pub patient_name: String,
    pub ordering_facility: String,
    pub collection_date: Option<String>,
    pub reportability: Option<String>,
    pub parse_error: Option<String>,
    pub created_at: chrono::NaiveDateTime,
}

pub fn worklist(
    conn: &mut DbConn,
    scope: &crate::models::patient::Scope,
    filter: &WorklistFilter,
    limit: i64,
) -> QueryResult<Vec<WorklistLine>> {
    use pathology_reports as r;
    let mut query = r::table
        .select((
            r::id,
            r::status,
            r::lab,
            r::lab_name,
            r::accession,
            r::patient_name,
            r::ordering_facility,
            r::collection_date,
            r::reportability,
            r::parse_error,
            r::created_at,
        ))
        .into_boxed();
    use pathology_raw_messages as raw;
    if let crate::models::patient::Scope::Facilities(ids) = scope {
        query = query.filter(
            r::raw_message_id.eq_any(
                raw::table
                    .filter(raw::facility_id.eq_any(ids.clone()))
                    .select(raw::id),
            ),
        );
    }
    match filter.facility_id.trim() {
        "" => {}
        "none" => {
            query = query.filter(
                r::raw_message_id.eq_any(
                    raw::table
                        .filter(raw::facility_id.is_null())
                        .select(raw::id),
                ),
            )
        }
        id => match id.parse::<i64>() {
            Ok(id) => {
                query = query.filter(
                    r::raw_message_id
                        .eq_any(raw::table.filter(raw::facility_id.eq(id)).select(raw::id)),
                )
            }
            Err(_) => query = query.filter(r::id.lt(0)),
        },
    }
    match filter.status.as_str() {
        "" | "open" => query = query.filter(r::status.eq_any(OPEN_STATUSES)),
        "all" => {}
        s => query = query.filter(r::status.eq(s.to_string())),
    }
    let lab = filter.lab.trim();
    if !lab.is_empty() {
        let pattern = format!("%{}%", lab.replace(['%', '_'], ""));
        query = query.filter(r::lab.like(pattern.clone()).or(r::lab_name.like(pattern)));
    }
    let facility = filter.facility.trim();
    if !facility.is_empty() {
        query = query
            .filter(r::ordering_facility.like(format!("%{}%", facility.replace(['%', '_'], ""))));
    }
    if let Ok(from) = chrono::NaiveDate::parse_from_str(filter.from.trim(), "%Y-%m-%d") {
        query = query.filter(r::created_at.ge(from.and_time(chrono::NaiveTime::MIN)));
    }
    if let Ok(to) = chrono::NaiveDate::parse_from_str(filter.to.trim(), "%Y-%m-%d")
        && let Some(next) = to.succ_opt()
    {
        query = query.filter(r::created_at.lt(next.and_time(chrono::NaiveTime::MIN)));
    }
    query = match filter.sort.as_str() {
        "patient" => query.order((r::patient_name.asc(), r::id.asc())),
        "-patient" => query.order((r::patient_name.desc(), r::id.desc())),
        "lab" => query.order((r::lab_name.asc(), r::id.asc())),
        "-lab" => query.order((r::lab_name.desc(), r::id.desc())),
        "collected" => query.order((r::collection_date.asc(), r::id.asc())),
        "-collected" => query.order((r::collection_date.desc(), r::id.desc())),
        "status" => query.order((r::status.asc(), r::id.asc())),
        "-status" => query.order((r::status.desc(), r::id.desc())),
        "received" => query.order(r::id.asc()),
        _ => query.order(r::id.desc()),
    };
    query.limit(limit).load(conn)
}

/// Reports per status (of the user's facilities).
pub fn status_counts(
    conn: &mut DbConn,
    scope: &crate::models::patient::Scope,
) -> QueryResult<Vec<(String, i64)>> {
    use diesel::dsl::count_star;
    let mut q = pathology_reports::table
        .group_by(pathology_reports::status)
        .select((pathology_reports::status, count_star()))
        .into_boxed();
    if let crate::models::patient::Scope::Facilities(ids) = scope {
        q = q.filter(
            pathology_reports::raw_message_id.eq_any(
                pathology_raw_messages::table
                    .filter(pathology_raw_messages::facility_id.eq_any(ids.clone()))
                    .select(pathology_raw_messages::id),
            ),
        );
    }
    q.load(conn)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    pathology_reports::table.count().get_result(conn)
}

/// A lab system's API token (only its hash is stored).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pathology_lab_tokens)]
pub struct LabToken {
    pub id: i64,
    pub lab_name: String,
    pub clia: String,
    pub token_hash: String,
    pub token_prefix: String,
    pub created_at: chrono::NaiveDateTime,
    pub created_by_user_id: Option<i64>,
    pub revoked_at: Option<chrono::NaiveDateTime>,
    pub revoked_by_user_id: Option<i64>,
    pub facility_id: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = pathology_lab_tokens)]
pub struct NewLabToken<'a> {
    pub lab_name: &'a str,
    pub clia: &'a str,
    pub token_hash: &'a str,
    pub token_prefix: &'a str,
    pub created_at: chrono::NaiveDateTime,
    pub created_by_user_id: Option<i64>,
    pub facility_id: Option<i64>,
}

pub fn insert_token(conn: &mut DbConn, token: &NewLabToken<'_>) -> QueryResult<i64> {
    diesel::insert_into(pathology_lab_tokens::table)
        .values(token)
        .returning(pathology_lab_tokens::id)
        .get_result(conn)
}

pub fn tokens(conn: &mut DbConn) -> QueryResult<Vec<LabToken>> {
    pathology_lab_tokens::table
        .order(pathology_lab_tokens::id.desc())
        .select(LabToken::as_select())
        .load(conn)
}

pub fn token_by_hash(conn: &mut DbConn, hash: &str) -> QueryResult<Option<LabToken>> {
    pathology_lab_tokens::table
        .filter(pathology_lab_tokens::token_hash.eq(hash))
        .select(LabToken::as_select())
        .first(conn)
        .optional()
}

pub fn revoke_token(conn: &mut DbConn, id: i64, by: i64) -> QueryResult<usize> {
    diesel::update(
        pathology_lab_tokens::table
            .find(id)
            .filter(pathology_lab_tokens::revoked_at.is_null()),
    )
    .set((
        pathology_lab_tokens::revoked_at.eq(Some(super::now())),
        pathology_lab_tokens::revoked_by_user_id.eq(Some(by)),
    ))
    .execute(conn)
}

/// A stored version of the screening keyword lists and reportability rules.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = screening_versions)]
pub struct ScreeningVersion {
    pub id: i64,
    pub version: i32,
    /// Text form of the keyword lists (`ScreeningLists::to_text`).
    pub lists: String,
    /// Text form of the rules (`ReportabilityRules::to_text`).
    pub rules: String,
    pub rules_name: String,
    /// SHA-256 of lists and rules: the compiled pipeline cache key.
    pub checksum: String,
    pub comment: String,
    pub active: bool,
    pub created_at: chrono::NaiveDateTime,
    pub created_by_user_id: Option<i64>,
    pub activated_at: Option<chrono::NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = screening_versions)]
pub struct NewScreeningVersion<'a> {
    pub version: i32,
    pub lists: &'a str,
    pub rules: &'a str,
    pub rules_name: &'a str,
    pub checksum: &'a str,
    pub comment: &'a str,
    pub active: bool,
    pub created_at: chrono::NaiveDateTime,
    pub created_by_user_id: Option<i64>,
    pub activated_at: Option<chrono::NaiveDateTime>,
}

pub fn insert_screening_version(
    conn: &mut DbConn,
    v: &NewScreeningVersion<'_>,
) -> QueryResult<i64> {
    diesel::insert_into(screening_versions::table)
        .values(v)
        .returning(screening_versions::id)
        .get_result(conn)
}

/// Every version, newest first.
pub fn screening_versions(conn: &mut DbConn) -> QueryResult<Vec<ScreeningVersion>> {
    screening_versions::table
        .order(screening_versions::version.desc())
        .select(ScreeningVersion::as_select())
        .load(conn)
}

pub fn screening_version(conn: &mut DbConn, version: i32) -> QueryResult<Option<ScreeningVersion>> {
    screening_versions::table
        .filter(screening_versions::version.eq(version))
        .select(ScreeningVersion::as_select())
        .first(conn)
        .optional()
}

/// The active version's number and checksum (cheap: the pipeline cache key).
pub fn active_screening_key(conn: &mut DbConn) -> QueryResult<Option<(i32, String)>> {
    screening_versions::table
        .filter(screening_versions::active.eq(true))
        .order(screening_versions::version.desc())
        .select((screening_versions::version, screening_versions::checksum))
        .first(conn)
        .optional()
}

pub fn latest_screening_version(conn: &mut DbConn) -> QueryResult<Option<i32>> {
    screening_versions::table
        .select(diesel::dsl::max(screening_versions::version))
        .first(conn)
}

/// Makes `version` the only active version; returns how many rows became active (0: unknown).
pub fn activate_screening_version(conn: &mut DbConn, version: i32) -> QueryResult<usize> {
    diesel::update(screening_versions::table.filter(screening_versions::active.eq(true)))
        .set(screening_versions::active.eq(false))
        .execute(conn)?;
    diesel::update(screening_versions::table.filter(screening_versions::version.eq(version)))
        .set((
            screening_versions::active.eq(true),
            screening_versions::activated_at.eq(Some(super::now())),
        ))
        .execute(conn)
}

/// A browser upload read in the background.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, AsChangeset)]
#[diesel(table_name = pathology_uploads, treat_none_as_null = true)]
pub struct Upload {
    pub id: i64,
    /// queued, running, complete, failed, interrupted.
    pub status: String,
    pub created_by_user_id: Option<i64>,
    pub facility_id: Option<i64>,
    /// JSON list of the stored raw message ids, one per file.
    pub raw_message_ids: String,
    /// JSON list of the file names.
    pub file_names: String,
    pub messages_total: i32,
    pub messages_done: i32,
    /// JSON list of (file name, ingest summary) when complete.
    pub summary: Option<String>,
    pub message: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub started_at: Option<chrono::NaiveDateTime>,
    pub finished_at: Option<chrono::NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = pathology_uploads)]
pub struct NewUpload<'a> {
    pub status: &'a str,
    pub created_by_user_id: Option<i64>,
    pub facility_id: Option<i64>,
    pub raw_message_ids: &'a str,
    pub file_names: &'a str,
    pub messages_total: i32,
    pub messages_done: i32,
    pub created_at: chrono::NaiveDateTime,
}

pub fn insert_upload(conn: &mut DbConn, u: &NewUpload<'_>) -> QueryResult<i64> {
    diesel::insert_into(pathology_uploads::table)
        .values(u)
        .returning(pathology_uploads::id)
        .get_result(conn)
}

pub fn find_upload(conn: &mut DbConn, id: i64) -> QueryResult<Option<Upload>> {
    pathology_uploads::table
        .find(id)
        .select(Upload::as_select())
        .first(conn)
        .optional()
}

pub fn save_upload(conn: &mut DbConn, u: &Upload) -> QueryResult<()> {
    diesel::update(pathology_uploads::table.find(u.id))
        .set(u)
        .execute(conn)?;
    Ok(())
}

pub fn set_upload_progress(conn: &mut DbConn, id: i64, done: i32) -> QueryResult<()> {
    diesel::update(pathology_uploads::table.find(id))
        .set(pathology_uploads::messages_done.eq(done))
        .execute(conn)?;
    Ok(())
}

/// Uploads left queued or running by a stopped process (resumed at start-up).
pub fn unfinished_uploads(conn: &mut DbConn) -> QueryResult<Vec<Upload>> {
    pathology_uploads::table
        .filter(pathology_uploads::status.eq_any(["queued", "running"]))
        .order(pathology_uploads::id.asc())
        .select(Upload::as_select())
        .load(conn)
}
