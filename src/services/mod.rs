//! Use cases: each combines domain rules and model queries in one transaction, with its audit event.

pub mod abstracting;
pub mod bootstrap;
pub mod demo;
pub mod edits_file;
pub mod export;
pub mod followup;
pub mod import;
pub mod pathology;
pub mod patients;
pub mod staging;
pub mod submissions;
