//! The registry's knowledge, pure: no I/O beyond readers/writers handed in, no database, no web.
//! Each module is unit-tested in place.

pub mod autocode;
pub mod codes;
pub mod date;
pub mod demo;
pub mod edits;
pub mod fields;
pub mod followup;
pub mod hl7;
pub mod icdo3;
pub mod naaccr;
pub mod names;
pub mod screening;
pub mod sequence;
pub mod staging;
