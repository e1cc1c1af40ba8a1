//! Tumors (one abstract each): typed columns for the items the application queries or computes,
//! JSON for every other tumor-level NAACCR item.

use std::collections::BTreeMap;

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::tumors;

// None is NULL on insert as on update (no nullable column has a default): an insert has one
// statement shape, which diesel prepares once per connection instead of building its SQL per row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, AsChangeset, Insertable)]
#[diesel(
    table_name = tumors,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct Tumor {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub patient_id: i64,
    pub tumor_record_number: String,
    pub primary_site: Option<String>,
    pub histology: Option<String>,
    pub behavior: Option<String>,
    pub laterality: Option<String>,
    pub grade_clinical: Option<String>,
    pub grade_pathological: Option<String>,
    pub date_of_diagnosis: Option<String>,
    pub sequence_number_hospital: Option<String>,
    pub sequence_number_central: Option<String>,
    pub class_of_case: Option<String>,
    pub diagnostic_confirmation: Option<String>,
    pub date_of_first_contact: Option<String>,
    pub accession_number: Option<String>,
    pub schema_id: Option<String>,
    pub summary_stage_2018: Option<String>,
    pub derived_summary_stage_2018: Option<String>,
    pub cancer_status: Option<String>,
    pub abstract_status: String,
    pub items: String,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

impl Tumor {
    /// An empty tumor of a patient, not yet saved (id 0).
    pub fn blank(patient_id: i64, tumor_record_number: String) -> Tumor {
        let now = super::now();
        Tumor {
            id: 0,
            patient_id,
            tumor_record_number,
            primary_site: None,
            histology: None,
            behavior: None,
            laterality: None,
            grade_clinical: None,
            grade_pathological: None,
            date_of_diagnosis: None,
            sequence_number_hospital: None,
            sequence_number_central: None,
            class_of_case: None,
            diagnostic_confirmation: None,
            date_of_first_contact: None,
            accession_number: None,
            schema_id: None,
            summary_stage_2018: None,
            derived_summary_stage_2018: None,
            cancer_status: None,
            abstract_status: "incomplete".into(),
            items: "{}".into(),
            created_at: now,
            updated_at: now,
        }
    }

    pub fn extra_items(&self) -> BTreeMap<String, String> {
        serde_json::from_str(&self.items).unwrap_or_default()
    }
}

pub fn for_patient(conn: &mut DbConn, patient_id: i64) -> QueryResult<Vec<Tumor>> {
    tumors::table
        .filter(tumors::patient_id.eq(patient_id))
        .order((tumors::date_of_diagnosis.asc(), tumors::id.asc()))
        .select(Tumor::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Tumor>> {
    tumors::table
        .find(id)
        .select(Tumor::as_select())
        .first(conn)
        .optional()
}

/// The next Tumor Record Number of a patient (NAACCR item 60, 2 digits).
pub fn next_record_number(conn: &mut DbConn, patient_id: i64) -> QueryResult<String> {
    let numbers: Vec<String> = tumors::table
        .filter(tumors::patient_id.eq(patient_id))
        .select(tumors::tumor_record_number)
        .load(conn)?;
    let last = numbers
        .iter()
        .filter_map(|n| n.trim().parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    Ok(format!("{:02}", last + 1))
}

pub fn insert(conn: &mut DbConn, tumor: &Tumor) -> QueryResult<Tumor> {
    let id: i64 = diesel::insert_into(tumors::table)
        .values(tumor)
        .returning(tumors::id)
        .get_result(conn)?;
    find(conn, id)?.ok_or(diesel::result::Error::NotFound)
}

pub fn insert_many(conn: &mut DbConn, rows: &[Tumor]) -> QueryResult<()> {
    for chunk in rows.chunks(300) {
        match conn {
            #[cfg(feature = "sqlite")]
            // Row by row on SQLite (see `db::sqlite_rows`).
            DbConn::Sqlite(c) => crate::db::sqlite_rows(c, |c| {
                chunk.iter().try_fold(0, |n, row| {
                    Ok(n + diesel::insert_into(tumors::table).values(row).execute(c)?)
                })
            })?,
            #[cfg(feature = "postgres")]
            DbConn::Pg(c) => diesel::insert_into(tumors::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(())
}

pub fn save(conn: &mut DbConn, tumor: &mut Tumor) -> QueryResult<()> {
    tumor.updated_at = super::now();
    diesel::update(tumors::table.find(tumor.id))
        .set(&*tumor)
        .execute(conn)?;
    Ok(())
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    tumors::table.count().get_result(conn)
}

/// A line of the worklist: an abstract not yet reviewed.
#[derive(Debug, Clone, Queryable)]
pub struct WorklistEntry {
    pub tumor_id: i64,
    pub patient_id: i64,
    pub name_last: String,
    pub name_first: Option<String>,
    pub primary_site: Option<String>,
    pub histology: Option<String>,
    pub behavior: Option<String>,
    pub date_of_diagnosis: Option<String>,
    pub abstract_status: String,
}

/// Abstracts in progress in the user's facilities, most recently changed first.
pub fn in_progress(
    conn: &mut DbConn,
    scope: &crate::models::patient::Scope,
    limit: i64,
) -> QueryResult<Vec<WorklistEntry>> {
    use crate::db::schema::patients;
    let mut query = tumors::table
        .inner_join(patients::table)
        .filter(tumors::abstract_status.ne("reviewed"))
        .select((
            tumors::id,
            patients::id,
            patients::name_last,
            patients::name_first,
            tumors::primary_site,
            tumors::histology,
            tumors::behavior,
            tumors::date_of_diagnosis,
            tumors::abstract_status,
        ))
        .into_boxed();
    if let crate::models::patient::Scope::Facilities(ids) = scope {
        query = query.filter(patients::facility_id.eq_any(ids.clone()));
    }
    query
        .order(tumors::updated_at.desc())
        .limit(limit)
        .load(conn)
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(tumors::table.find(id)).execute(conn)
}
