//! Row structs and their queries, one file per aggregate. Functions are sync and take `&mut DbConn`;
//! callers run them inside `web::block` (routes) or directly (CLI, jobs).

pub mod abstracting;
pub mod audit_log;
pub mod facility;
pub mod followup;
pub mod pathology;
pub mod patient;
pub mod record;
pub mod staging;
pub mod tumor;
pub mod user;

/// Current UTC time as stored in the database.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
pub mod submission;
