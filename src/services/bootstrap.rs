//! First start: the default facility and the first admin account.

use crate::audit::{self, Action, Actor, AuditEvent};
use crate::auth::Role;
use crate::auth::password::{generate_password, hash_password};
use crate::config::Settings;
use crate::db::{DbConn, write_tx};
use crate::error::AppError;
use crate::models::{facility, user};

/// The admin account made on the first start; its password is shown once.
pub struct FirstAdmin {
    pub email: String,
    pub password: String,
}

/// Creates the default facility and an admin account when there are no users yet.
pub fn ensure_first_admin(
    conn: &mut DbConn,
    settings: &Settings,
) -> Result<Option<FirstAdmin>, AppError> {
    write_tx(conn, |conn| {
        if user::count(conn)? > 0 {
            return Ok(None);
        }
        let facility = match facility::find_by_code(conn, &settings.default_facility_code)? {
            Some(f) => f,
            None => facility::create(
                conn,
                &settings.default_facility_code,
                &settings.default_facility_name,
            )?,
        };
        let password = generate_password();
        let hash = hash_password(&password)?;
        let email = "admin@registrar.local".to_string();
        let admin = user::create(
            conn,
            &user::NewUser {
                email: &email,
                name: "Administrator",
                password_hash: &hash,
                role: Role::Admin,
                sees_all_facilities: true,
            },
        )?;
        user::set_facilities(conn, admin.id, &[facility.id])?;
        audit::record(
            conn,
            &Actor::system("first-start"),
            &AuditEvent::new(Action::Create, "user")
                .id(admin.id)
                .detail("first admin account"),
        )?;
        Ok(Some(FirstAdmin { email, password }))
    })
}
