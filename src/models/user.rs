//! User accounts, their role and their facilities.

use diesel::prelude::*;

use crate::auth::Role;
use crate::db::DbConn;
use crate::db::schema::{facilities, user_facilities, users};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub sees_all_facilities: bool,
    pub disabled: bool,
    pub failed_logins: i32,
    pub locked_until: Option<chrono::NaiveDateTime>,
    pub last_login_at: Option<chrono::NaiveDateTime>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

impl User {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Reviewer)
    }
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub sees_all_facilities: bool,
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email.trim().to_lowercase()))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<User>> {
    users::table
        .order(users::email.asc())
        .select(User::as_select())
        .load(conn)
}

pub fn create(conn: &mut DbConn, new: &NewUser) -> QueryResult<User> {
    let now = super::now();
    diesel::insert_into(users::table)
        .values((
            users::email.eq(new.email.trim().to_lowercase()),
            users::name.eq(new.name.trim()),
            users::password_hash.eq(new.password_hash),
            users::role.eq(new.role.as_str()),
            users::sees_all_facilities.eq(new.sees_all_facilities),
            users::disabled.eq(false),
            users::failed_logins.eq(0),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    find_by_email(conn, new.email)?.ok_or(diesel::result::Error::NotFound)
}

/// The facilities a user belongs to (ids).
pub fn facility_ids(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<i64>> {
    user_facilities::table
        .filter(user_facilities::user_id.eq(user_id))
        .select(user_facilities::facility_id)
        .order(user_facilities::facility_id.asc())
        .load(conn)
}

/// The codes of a user's facilities, for display.
pub fn facility_codes(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<String>> {
    user_facilities::table
        .inner_join(facilities::table)
        .filter(user_facilities::user_id.eq(user_id))
        .select(facilities::code)
        .order(facilities::code.asc())
        .load(conn)
}

pub fn set_facilities(conn: &mut DbConn, user_id: i64, facility_ids: &[i64]) -> QueryResult<()> {
    diesel::delete(user_facilities::table.filter(user_facilities::user_id.eq(user_id)))
        .execute(conn)?;
    for facility_id in facility_ids {
        diesel::insert_into(user_facilities::table)
            .values((
                user_facilities::user_id.eq(user_id),
                user_facilities::facility_id.eq(facility_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Records a failed sign-in; locks the account when `max_failures` is reached. Returns true when
/// this failure locked it.
pub fn record_failed_login(
    conn: &mut DbConn,
    user: &User,
    max_failures: u32,
    lockout: chrono::Duration,
) -> QueryResult<bool> {
    let failures = user.failed_logins.saturating_add(1);
    let locks = u32::try_from(failures).unwrap_or(u32::MAX) >= max_failures;
    let locked_until = locks.then(|| super::now() + lockout);
    diesel::update(users::table.find(user.id))
        .set((
            users::failed_logins.eq(if locks { 0 } else { failures }),
            users::locked_until.eq(locked_until.or(user.locked_until)),
        ))
        .execute(conn)?;
    Ok(locks)
}

pub fn record_successful_login(conn: &mut DbConn, user_id: i64) -> QueryResult<()> {
    let now = super::now();
    diesel::update(users::table.find(user_id))
        .set((
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<chrono::NaiveDateTime>),
            users::last_login_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

pub struct UserUpdate<'a> {
    pub name: &'a str,
    pub role: Role,
    pub sees_all_facilities: bool,
    pub disabled: bool,
}

pub fn update(conn: &mut DbConn, user_id: i64, change: &UserUpdate) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::name.eq(change.name.trim()),
            users::role.eq(change.role.as_str()),
            users::sees_all_facilities.eq(change.sees_all_facilities),
            users::disabled.eq(change.disabled),
            users::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sets a new password and lifts any lock.
pub fn set_password(conn: &mut DbConn, user_id: i64, password_hash: &str) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(password_hash),
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<chrono::NaiveDateTime>),
            users::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    Ok(())
}
