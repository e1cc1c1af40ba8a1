//! Patients: typed columns for the items the application queries, JSON for every other
//! patient-level NAACCR item. Every query that a user's request makes is scoped to the user's
//! facilities (`Scope`).

use std::collections::BTreeMap;

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{facilities, patients};
use crate::domain::names::search_key;

// None is NULL on insert as on update (no nullable column has a default): an insert has one
// statement shape, which diesel prepares once per connection instead of building its SQL per row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, AsChangeset, Insertable)]
#[diesel(
    table_name = patients,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct Patient {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub facility_id: i64,
    pub patient_id_number: String,
    pub medical_record_number: Option<String>,
    pub name_last: String,
    pub name_first: Option<String>,
    pub name_middle: Option<String>,
    pub name_last_key: String,
    pub name_first_key: String,
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
    pub social_security_number: Option<String>,
    pub ssn_last4: Option<String>,
    pub vital_status: Option<String>,
    pub date_of_last_contact: Option<String>,
    pub items: String,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

/// The facilities whose data a request may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// A central registry user: every facility.
    All,
    /// Only these facilities.
    Facilities(Vec<i64>),
}

impl Scope {
    pub fn allows(&self, facility_id: i64) -> bool {
        match self {
            Scope::All => true,
            Scope::Facilities(ids) => ids.contains(&facility_id),
        }
    }
}

/// Search criteria; empty fields are ignored, the rest must all match.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PatientSearch {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub dob: String,
    #[serde(default)]
    pub mrn: String,
    #[serde(default)]
    pub pid: String,
    #[serde(default)]
    pub ssn4: String,
}

impl PatientSearch {
    pub fn is_empty(&self) -> bool {
        [&self.name, &self.dob, &self.mrn, &self.pid, &self.ssn4]
            .iter()
            .all(|s| s.trim().is_empty())
    }
}

/// One line of a search result.
#[derive(Debug, Clone, Queryable)]
pub struct PatientListing {
    pub id: i64,
    pub patient_id_number: String,
    pub medical_record_number: Option<String>,
    pub name_last: String,
    pub name_first: Option<String>,
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
    pub facility_code: String,
}

/// The smallest string greater than every string that starts with `prefix` (for index range scans
/// that work the same on SQLite and on PostgreSQL with a "C" collation).
fn prefix_upper_bound(prefix: &str) -> String {
    let mut bound = prefix.to_string();
    bound.push(char::MAX);
    bound
}

pub fn search(
    conn: &mut DbConn,
    scope: &Scope,
    criteria: &PatientSearch,
    limit: i64,
) -> QueryResult<Vec<PatientListing>> {
    let mut query = patients::table
        .inner_join(facilities::table)
        .select((
            patients::id,
            patients::patient_id_number,
            patients::medical_record_number,
            patients::name_last,
            patients::name_first,
            patients::date_of_birth,
            patients::sex,
            facilities::code,
        ))
        .into_boxed();
    if let Scope::Facilities(ids) = scope {
        query = query.filter(patients::facility_id.eq_any(ids.clone()));
    }
    let name = criteria.name.trim();
    if !name.is_empty() {
        // "Last, First" or "Last First": prefix on the last name, and on the first when given.
        let (last, first) = match name.split_once(',') {
            Some((l, f)) => (l.trim(), f.trim()),
            None => match name.split_once(char::is_whitespace) {
                Some((l, f)) => (l.trim(), f.trim()),
                None => (name, ""),
            },
        };
        let last_key = search_key(last);
        if !last_key.is_empty() {
            query = query
                .filter(patients::name_last_key.ge(last_key.clone()))
                .filter(patients::name_last_key.lt(prefix_upper_bound(&last_key)));
        }
        let first_key = search_key(first);
        if !first_key.is_empty() {
            query = query
                .filter(patients::name_first_key.ge(first_key.clone()))
                .filter(patients::name_first_key.lt(prefix_upper_bound(&first_key)));
        }
    }
    let dob = criteria.dob.trim();
    if !dob.is_empty() {
        let value = crate::domain::date::PartialDate::parse(dob)
            .map(|d| d.to_naaccr())
            .unwrap_or_else(|_| dob.to_string());
        query = query.filter(patients::date_of_birth.eq(value));
    }
    let mrn = criteria.mrn.trim();
    if !mrn.is_empty() {
        query = query.filter(patients::medical_record_number.eq(mrn.to_string()));
    }
    let pid = criteria.pid.trim();
    if !pid.is_empty() {
        query = query.filter(patients::patient_id_number.eq(pid.to_string()));
    }
    let ssn4 = criteria.ssn4.trim();
    if !ssn4.is_empty() {
        query = query.filter(patients::ssn_last4.eq(ssn4.to_string()));
    }
    query
        .order((
            patients::name_last_key.asc(),
            patients::name_first_key.asc(),
            patients::id.asc(),
        ))
        .limit(limit)
        .load(conn)
}

/// A patient the scope allows, or `None` (a patient of another facility is "not found").
pub fn find_scoped(conn: &mut DbConn, scope: &Scope, id: i64) -> QueryResult<Option<Patient>> {
    let patient: Option<Patient> = patients::table
        .find(id)
        .select(Patient::as_select())
        .first(conn)
        .optional()?;
    Ok(patient.filter(|p| scope.allows(p.facility_id)))
}

pub fn find_by_patient_id_number(
    conn: &mut DbConn,
    facility_id: i64,
    patient_id_number: &str,
) -> QueryResult<Option<Patient>> {
    patients::table
        .filter(patients::facility_id.eq(facility_id))
        .filter(patients::patient_id_number.eq(patient_id_number))
        .select(Patient::as_select())
        .first(conn)
        .optional()
}

/// The next free Patient ID Number of a facility (8 digits, NAACCR item 20).
pub fn next_patient_id_number(conn: &mut DbConn, facility_id: i64) -> QueryResult<String> {
    let numbers: Vec<String> = patients::table
        .filter(patients::facility_id.eq(facility_id))
        .select(patients::patient_id_number)
        .order(patients::patient_id_number.desc())
        .limit(1)
        .load(conn)?;
    let last = numbers
        .first()
        .and_then(|n| n.trim().parse::<u64>().ok())
        .unwrap_or(0);
    Ok(format!("{:08}", last + 1))
}

impl Patient {
    /// An empty patient of a facility, not yet saved (id 0).
    pub fn blank(facility_id: i64) -> Patient {
        let now = super::now();
        Patient {
            id: 0,
            facility_id,
            patient_id_number: String::new(),
            medical_record_number: None,
            name_last: String::new(),
            name_first: None,
            name_middle: None,
            name_last_key: String::new(),
            name_first_key: String::new(),
            date_of_birth: None,
            sex: None,
            social_security_number: None,
            ssn_last4: None,
            vital_status: None,
            date_of_last_contact: None,
            items: "{}".into(),
            created_at: now,
            updated_at: now,
        }
    }

    pub fn display_name(&self) -> String {
        match &self.name_first {
            Some(first) if !first.is_empty() => format!("{}, {}", self.name_last, first),
            _ => self.name_last.clone(),
        }
    }

    pub fn extra_items(&self) -> BTreeMap<String, String> {
        serde_json::from_str(&self.items).unwrap_or_default()
    }

    fn refresh_keys(&mut self) {
        self.name_last_key = search_key(&self.name_last);
        self.name_first_key = search_key(self.name_first.as_deref().unwrap_or(""));
        self.ssn_last4 = self
            .social_security_number
            .as_deref()
            .filter(|s| s.len() >= 4)
            .and_then(|s| s.get(s.len() - 4..))
            .map(str::to_string);
    }
}

/// Inserts a patient built with the record view; returns the saved row.
pub fn insert(conn: &mut DbConn, patient: &mut Patient) -> QueryResult<Patient> {
    patient.refresh_keys();
    let id = insert_many(conn, std::slice::from_mut(patient))?
        .first()
        .copied()
        .ok_or(diesel::result::Error::NotFound)?;
    find_scoped(conn, &Scope::All, id)?.ok_or(diesel::result::Error::NotFound)
}

#[cfg(feature = "sqlite")]
diesel::define_sql_function! {
    /// SQLite's id of the row the connection inserted last.
    fn last_insert_rowid() -> diesel::sql_types::BigInt;
}

/// Inserts many patients (bulk loads: demo data, imports): one statement per chunk on
/// PostgreSQL, one per row inside the transaction on SQLite (see `db::sqlite_rows`).
pub fn insert_many(conn: &mut DbConn, rows: &mut [Patient]) -> QueryResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks_mut(500) {
        for p in chunk.iter_mut() {
            p.refresh_keys();
        }
        let values: &[Patient] = chunk;
        // One multi-row statement on PostgreSQL; row by row on SQLite (see `db::sqlite_rows`).
        let mut chunk_ids: Vec<i64> = match conn {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite(c) => crate::db::sqlite_rows(c, |c| {
                values
                    .iter()
                    .map(|row| {
                        // Not RETURNING: SQLite runs it as a trigger, which journals the statement.
                        diesel::insert_into(patients::table)
                            .values(row)
                            .execute(c)?;
                        diesel::select(last_insert_rowid()).get_result(c)
                    })
                    .collect::<QueryResult<Vec<i64>>>()
            })?,
            #[cfg(feature = "postgres")]
            DbConn::Pg(c) => diesel::insert_into(patients::table)
                .values(values)
                .returning(patients::id)
                .get_results(c)?,
        };
        ids.append(&mut chunk_ids);
    }
    Ok(ids)
}

/// Saves every column of a patient.
pub fn save(conn: &mut DbConn, patient: &mut Patient) -> QueryResult<()> {
    patient.refresh_keys();
    patient.updated_at = super::now();
    diesel::update(patients::table.find(patient.id))
        .set(&*patient)
        .execute(conn)?;
    Ok(())
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    patients::table.count().get_result(conn)
}
