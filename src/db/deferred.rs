//! Secondary indexes set aside during a bulk load.
//!
//! Keeping an index on a random key (date of birth, medical record number...) up to date costs a
//! B-tree search and a page write per inserted row, and for a large file that is most of an
//! import's time; building the index once at the end from the loaded table is a sort, many times
//! faster. So a large import drops the indexes it does not read itself and rebuilds them when it
//! ends. Each dropped index is listed, with the statement that rebuilds it as the database
//! reported it, in `deferred_indexes` in the same transaction as the drop: whatever ends the
//! import (an error, a kill, a power cut), the next start of the application or of any command
//! (`db::migrate`) rebuilds what is still listed.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::schema::deferred_indexes;
use super::{DbConn, write_tx};

#[derive(QueryableByName)]
struct Definition {
    #[diesel(sql_type = Text)]
    definition: String,
}

/// The statement that creates index `name`, as the database holds it; `None` when there is no
/// such index.
fn definition_of(conn: &mut DbConn, name: &str) -> QueryResult<Option<String>> {
    let rows: Vec<Definition> = match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT sql AS definition FROM sqlite_master \
             WHERE type = 'index' AND name = ? AND sql IS NOT NULL",
        )
        .bind::<Text, _>(name)
        .load(c)?,
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT indexdef AS definition FROM pg_indexes \
             WHERE schemaname = current_schema() AND indexname = $1",
        )
        .bind::<Text, _>(name)
        .load(c)?,
    };
    Ok(rows.into_iter().next().map(|r| r.definition))
}

/// Whether index `name` exists.
pub fn exists(conn: &mut DbConn, name: &str) -> QueryResult<bool> {
    Ok(definition_of(conn, name)?.is_some())
}

/// Whether `name` can be put in a statement as it is (index names are ours, but a statement is
/// never built from a name that could hold anything else).
fn plain_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Drops the indexes of `names` that exist and are not already set aside, listing each with its
/// definition first, all in one transaction. Returns the names dropped.
pub fn defer(conn: &mut DbConn, names: &[&str]) -> QueryResult<Vec<String>> {
    write_tx(conn, |conn| {
        let mut dropped = Vec::new();
        for &name in names {
            if !plain_identifier(name) {
                return Err(diesel::result::Error::QueryBuilderError(
                    format!("not an index name: {name:?}").into(),
                ));
            }
            let listed = deferred_indexes::table
                .find(name)
                .select(deferred_indexes::name)
                .first::<String>(conn)
                .optional()?
                .is_some();
            if listed {
                continue;
            }
            let Some(definition) = definition_of(conn, name)? else {
                continue;
            };
            diesel::insert_into(deferred_indexes::table)
                .values((
                    deferred_indexes::name.eq(name),
                    deferred_indexes::definition.eq(&definition),
                    deferred_indexes::deferred_at.eq(crate::models::now()),
                ))
                .execute(conn)?;
            conn.batch_execute(&format!("DROP INDEX {name}"))?;
            dropped.push(name.to_string());
        }
        Ok(dropped)
    })
}

/// Rebuilds every index listed as set aside, one transaction each, and takes it off the list.
/// Returns the names rebuilt (an index that exists again already is only taken off the list).
pub fn rebuild(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    let listed: Vec<(String, String)> = deferred_indexes::table
        .select((deferred_indexes::name, deferred_indexes::definition))
        .order(deferred_indexes::name.asc())
        .load(conn)?;
    let mut rebuilt = Vec::with_capacity(listed.len());
    for (name, definition) in listed {
        write_tx(conn, |conn| {
            if definition_of(conn, &name)?.is_none() {
                conn.batch_execute(&definition)?;
                rebuilt.push(name.clone());
            }
            diesel::delete(deferred_indexes::table.find(&name)).execute(conn)?;
            Ok::<_, diesel::result::Error>(())
        })?;
    }
    Ok(rebuilt)
}

/// The indexes listed as set aside.
pub fn listed(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    deferred_indexes::table
        .select(deferred_indexes::name)
        .order(deferred_indexes::name.asc())
        .load(conn)
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;
    use crate::db::DatabaseUrl;

    fn database() -> (tempfile::TempDir, DbConn) {
        let dir = tempfile::tempdir().unwrap();
        let url =
            DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("t.db").display())).unwrap();
        crate::db::migrate(&url).unwrap();
        let conn = url.connect().unwrap();
        (dir, conn)
    }

    #[test]
    fn a_deferred_index_is_listed_dropped_and_rebuilt_as_it_was() {
        let (_dir, mut conn) = database();
        let before = definition_of(&mut conn, "patients_dob").unwrap().unwrap();
        let dropped = defer(&mut conn, &["patients_dob", "no_such_index"]).unwrap();
        assert_eq!(dropped, vec!["patients_dob".to_string()]);
        assert_eq!(definition_of(&mut conn, "patients_dob").unwrap(), None);
        assert_eq!(listed(&mut conn).unwrap(), vec!["patients_dob".to_string()]);
        // Set aside already: a second import leaves the list as it is.
        assert!(defer(&mut conn, &["patients_dob"]).unwrap().is_empty());

        assert_eq!(
            rebuild(&mut conn).unwrap(),
            vec!["patients_dob".to_string()]
        );
        assert_eq!(
            definition_of(&mut conn, "patients_dob").unwrap(),
            Some(before)
        );
        assert!(listed(&mut conn).unwrap().is_empty());
    }

    #[test]
    fn an_index_names_nothing_but_a_plain_identifier() {
        let (_dir, mut conn) = database();
        assert!(defer(&mut conn, &["patients_dob; DROP TABLE patients"]).is_err());
        assert!(definition_of(&mut conn, "patients_dob").unwrap().is_some());
        assert!(listed(&mut conn).unwrap().is_empty());
    }
}
