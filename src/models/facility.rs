//! Facilities: the hospitals (or reporting sources) whose patients a user may see.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::facilities;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = facilities)]
pub struct Facility {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub created_at: chrono::NaiveDateTime,
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<Facility>> {
    facilities::table
        .order(facilities::code.asc())
        .select(Facility::as_select())
        .load(conn)
}

/// The facilities `scope` allows, as (id, "code – name") for a choice list, ordered by code.
pub fn choices(
    conn: &mut DbConn,
    scope: &crate::models::patient::Scope,
) -> QueryResult<Vec<(i64, String)>> {
    Ok(list(conn)?
        .into_iter()
        .filter(|f| scope.allows(f.id))
        .map(|f| (f.id, format!("{} – {}", f.code, f.name)))
        .collect())
}

pub fn find_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Facility>> {
    facilities::table
        .filter(facilities::code.eq(code))
        .select(Facility::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Facility>> {
    facilities::table
        .find(id)
        .select(Facility::as_select())
        .first(conn)
        .optional()
}

pub fn create(conn: &mut DbConn, code: &str, name: &str) -> QueryResult<Facility> {
    diesel::insert_into(facilities::table)
        .values((
            facilities::code.eq(code),
            facilities::name.eq(name),
            facilities::created_at.eq(super::now()),
        ))
        .execute(conn)?;
    find_by_code(conn, code)?.ok_or(diesel::result::Error::NotFound)
}
