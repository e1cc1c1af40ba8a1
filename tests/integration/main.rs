//! Black-box tests of Registrar: one test binary with a module per area (fast to build).
//! The database is SQLite in a temporary folder, or a fresh PostgreSQL database when
//! `REGISTRAR_TEST_DATABASE_URL` names a PostgreSQL server (CI runs the suite both ways).

mod common;

mod abstracting;
mod browser;
mod cli;
mod followup;
mod http_admin;
mod http_auth;
mod http_patients;
mod pathology;
mod staging;
mod storage;
mod submissions;
