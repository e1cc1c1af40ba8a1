//! Pathology intake rows: raw messages as received (append-only), one report row per message
//! with its processing results and the registrar's decision, and the labs' API tokens.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{pathology_lab_tokens, pathology_raw_messages, pathology_reports};

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

pub fn save(conn: &mut DbConn, report: &mut Report) -> QueryResult<()> {
    diesel::update(pathology_reports::table.find(report.id))
        .set(&*report)
        .execute(conn)?;
    Ok(())
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

/// Reports per status.
pub fn status_counts(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    use diesel::dsl::count_star;
    pathology_reports::table
        .group_by(pathology_reports::status)
        .select((pathology_reports::status, count_star()))
        .load(conn)
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
