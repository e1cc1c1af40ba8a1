//! Use cases: each combines domain rules and model queries in one transaction, with its audit event.

pub mod bootstrap;
pub mod demo;
pub mod followup;
pub mod patients;
