//! NAACCR Volume V pathology reports (HL7 v2.5.1 ORU^R01): intake parsing, pure (no I/O).
//!
//! The intake path is: file bytes → [`split_messages`] → [`parse_message`] for each
//! [`RawMessage`] → [`PathologyReport`] (or a [`ParseError`] naming the line and field, for the
//! error queue). Over MLLP, [`MllpDecoder`] yields the messages and [`build_ack`] the replies.
//!
//! Decisions worth knowing:
//! - Bytes that are not valid UTF-8 are read as Windows-1252 (Latin-1 plus curly quotes and
//!   dashes at 0x80–0x9F): no byte is lost, and the report carries a warning. The choice is made
//!   per message, so one Latin-1 message does not affect its neighbours.
//! - A line that is not a segment refuses the whole message (never a silent truncation).
//! - Where each value is read from is the one table in [`field_map`]; escapes are decoded as
//!   documented in [`encoding`].
//! - Text sections are grouped per OBR by OBX-3 code and joined in set-ID / sub-ID order; NTE
//!   notes become a `Comment` section with an empty LOINC.

mod batch;
pub mod encoding;
pub mod field_map;
mod mllp;
mod observations;
mod parse;
mod report;
mod ssn;

#[cfg(test)]
mod tests;

pub use batch::{RawMessage, split_messages};
pub use encoding::TextEncoding;
pub use mllp::{
    AckCode, AckHeader, DEFAULT_MAX_FRAME, MllpDecoder, MllpEvent, build_ack, mllp_frame,
};
pub use parse::{ParseError, ParseErrorKind, item_values, naaccr_sex, parse_message};
pub use report::{
    Address, Facility, Name, OrderingFacility, PathologyReport, Patient, PatientIdentifier,
    ProcessingId, Provider, ReportSection, SectionKind, SynopticAnswer,
};
pub use ssn::{Ssn, SsnIssue};

/// Splits a file and parses every message, keeping each result with its message.
pub fn parse_file(input: &[u8]) -> Vec<(RawMessage, Result<PathologyReport, ParseError>)> {
    split_messages(input)
        .into_iter()
        .map(|raw| {
            let parsed = parse_message(&raw);
            (raw, parsed)
        })
        .collect()
}
