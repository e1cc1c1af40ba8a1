//! Use cases: each combines domain rules and model queries in one transaction, with its audit event.

pub mod abstracting;
pub mod bootstrap;
pub mod demo;
pub mod edits_file;
pub mod export;
pub mod followup;
pub mod import;
pub mod pathology;
pub mod pathology_uploads;
pub mod patients;
pub mod qc;
pub mod screening_versions;
pub mod staging;
pub mod submissions;
