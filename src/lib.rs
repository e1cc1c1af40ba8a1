//! Registrar: a cancer registry abstraction, staging, follow-up and NAACCR submission system.
//! See DESIGN.md (in the shared folder) for the architecture; README.md for setup and use.

pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod jobs;
pub mod mail;
pub mod mllp;
pub mod models;
pub mod routes;
pub mod services;
pub mod startup;
pub mod telemetry;
