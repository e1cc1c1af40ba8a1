//! MLLP framing (0x0B message 0x1C 0x0D) and HL7 acknowledgments, without any I/O.
//!
//! The network side (a TCP listener) feeds received bytes to [`MllpDecoder`] and writes back
//! [`mllp_frame`]d [`build_ack`] replies.

use chrono::NaiveDateTime;
use serde::Serialize;

use super::batch::RawMessage;
use super::encoding::{Delimiters, escape, unescape};
use super::report::PathologyReport;

/// Start of an MLLP block (vertical tab).
pub const START_BLOCK: u8 = 0x0B;
/// End of an MLLP block (file separator), followed by a carriage return.
pub const END_BLOCK: u8 = 0x1C;
/// Carriage return ending a block and each segment.
pub const CARRIAGE_RETURN: u8 = 0x0D;
/// Default largest frame the decoder accepts (16 MiB: a report with embedded images is far below).
pub const DEFAULT_MAX_FRAME: usize = 16 * 1024 * 1024;

/// Wraps one message in an MLLP block.
pub fn mllp_frame(msg: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(msg.len() + 3);
    framed.push(START_BLOCK);
    framed.extend_from_slice(msg);
    framed.push(END_BLOCK);
    framed.push(CARRIAGE_RETURN);
    framed
}

/// What the decoder found in the byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MllpEvent {
    /// A complete message (without the framing bytes).
    Frame(Vec<u8>),
    /// Bytes outside any frame were skipped (runs of only whitespace are skipped silently).
    Garbage {
        /// How many bytes were skipped.
        bytes: usize,
    },
    /// A frame larger than the limit was dropped.
    Oversized {
        /// How many bytes the dropped frame had.
        bytes: usize,
    },
    /// A frame was cut off by a new start block or by the end of the stream, and dropped.
    Truncated {
        /// How many bytes the incomplete frame had.
        bytes: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Between,
    InFrame,
    AfterEndBlock,
    SkippingOversized,
}

/// Incremental MLLP decoder: feed bytes as they arrive, get complete frames back.
#[derive(Debug)]
pub struct MllpDecoder {
    state: State,
    frame: Vec<u8>,
    max_frame: usize,
    garbage: usize,
    garbage_is_blank: bool,
    dropped: usize,
}

impl Default for MllpDecoder {
    fn default() -> Self {
        MllpDecoder::new(DEFAULT_MAX_FRAME)
    }
}

impl MllpDecoder {
    /// A decoder that drops frames longer than `max_frame` bytes (memory stays bounded).
    pub fn new(max_frame: usize) -> Self {
        MllpDecoder {
            state: State::Between,
            frame: Vec::new(),
            max_frame,
            garbage: 0,
            garbage_is_blank: true,
            dropped: 0,
        }
    }

    /// Consumes received bytes; returns the frames and problems they complete, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<MllpEvent> {
        let mut events = Vec::new();
        for &byte in bytes {
            self.step(byte, &mut events);
        }
        events
    }

    /// Ends the stream: reports skipped bytes and a frame left incomplete.
    pub fn finish(&mut self) -> Vec<MllpEvent> {
        let mut events = Vec::new();
        self.report_garbage(&mut events);
        match self.state {
            State::InFrame => events.push(MllpEvent::Truncated {
                bytes: self.frame.len(),
            }),
            // End block without the final CR: the message itself is complete.
            State::AfterEndBlock => events.push(MllpEvent::Frame(std::mem::take(&mut self.frame))),
            State::SkippingOversized => events.push(MllpEvent::Oversized {
                bytes: self.dropped,
            }),
            State::Between => {}
        }
        self.frame = Vec::new();
        self.state = State::Between;
        events
    }

    fn report_garbage(&mut self, events: &mut Vec<MllpEvent>) {
        if self.garbage > 0 && !self.garbage_is_blank {
            events.push(MllpEvent::Garbage {
                bytes: self.garbage,
            });
        }
        self.garbage = 0;
        self.garbage_is_blank = true;
    }

    fn start_frame(&mut self, events: &mut Vec<MllpEvent>) {
        self.report_garbage(events);
        self.frame.clear();
        self.state = State::InFrame;
    }

    fn step(&mut self, byte: u8, events: &mut Vec<MllpEvent>) {
        match self.state {
            State::Between => {
                if byte == START_BLOCK {
                    self.start_frame(events);
                } else {
                    self.garbage += 1;
                    self.garbage_is_blank &= byte.is_ascii_whitespace();
                }
            }
            State::InFrame => match byte {
                END_BLOCK => self.state = State::AfterEndBlock,
                START_BLOCK => {
                    events.push(MllpEvent::Truncated {
                        bytes: self.frame.len(),
                    });
                    self.frame.clear();
                }
                _ if self.frame.len() >= self.max_frame => {
                    self.dropped = self.frame.len() + 1;
                    self.frame = Vec::new();
                    self.state = State::SkippingOversized;
                }
                _ => self.frame.push(byte),
            },
            State::AfterEndBlock => {
                events.push(MllpEvent::Frame(std::mem::take(&mut self.frame)));
                self.state = State::Between;
                // Senders that omit the CR after 0x1C are accepted; the byte is read afresh.
                if byte != CARRIAGE_RETURN {
                    self.step(byte, events);
                }
            }
            State::SkippingOversized => match byte {
                END_BLOCK => {
                    events.push(MllpEvent::Oversized {
                        bytes: self.dropped,
                    });
                    self.state = State::Between;
                }
                START_BLOCK => {
                    events.push(MllpEvent::Oversized {
                        bytes: self.dropped,
                    });
                    self.start_frame(events);
                }
                _ => self.dropped += 1,
            },
        }
    }
}

/// MSA-1 acknowledgment code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum AckCode {
    /// Application accept: the message was stored.
    AA,
    /// Application error: the message was read but refused (e.g. a required field is missing).
    AE,
    /// Application reject: the message could not be processed at all (not ORU^R01, no MSH).
    AR,
}

/// The MSH fields of a received message that an acknowledgment echoes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AckHeader {
    /// MSH-3 components.
    pub sending_application: Vec<String>,
    /// MSH-4 components.
    pub sending_facility: Vec<String>,
    /// MSH-5 components.
    pub receiving_application: Vec<String>,
    /// MSH-6 components.
    pub receiving_facility: Vec<String>,
    /// MSH-10.
    pub control_id: String,
    /// MSH-11 (P, T, D).
    pub processing_id: String,
    /// MSH-12.
    pub version: String,
}

impl AckHeader {
    /// Reads the MSH of a message that may not parse as a report (for AE/AR replies).
    pub fn from_raw(raw: &RawMessage) -> Option<AckHeader> {
        let (_, msh) = raw.lines().find(|(_, line)| !line.trim().is_empty())?;
        let rest = msh.strip_prefix("MSH")?;
        let separator = rest.chars().next().filter(char::is_ascii_punctuation)?;
        let mut fields = rest.get(1..).unwrap_or("").split(separator);
        let encoding = fields.next().unwrap_or("");
        let d = Delimiters::from_msh(separator, encoding).unwrap_or_default();
        // fields now starts at MSH-3.
        let fields: Vec<&str> = fields.collect();
        let field = |n: usize| fields.get(n.saturating_sub(3)).copied().unwrap_or("");
        let components = |n: usize| -> Vec<String> {
            let rep = field(n).split(d.repetition).next().unwrap_or("");
            trim_components(
                rep.split(d.component)
                    .map(|c| unescape(c.trim(), &d))
                    .collect(),
            )
        };
        let first = |n: usize| components(n).into_iter().next().unwrap_or_default();
        Some(AckHeader {
            sending_application: components(3),
            sending_facility: components(4),
            receiving_application: components(5),
            receiving_facility: components(6),
            control_id: first(10),
            processing_id: first(11),
            version: first(12),
        })
    }
}

fn trim_components(mut components: Vec<String>) -> Vec<String> {
    while components.last().is_some_and(String::is_empty) {
        components.pop();
    }
    components
}

impl From<&PathologyReport> for AckHeader {
    fn from(report: &PathologyReport) -> Self {
        let facility = &report.sending_facility;
        AckHeader {
            sending_application: trim_components(vec![report.sending_application.clone()]),
            sending_facility: trim_components(vec![
                facility.name.clone(),
                facility.id.clone().unwrap_or_default(),
                facility.id_type.clone().unwrap_or_default(),
            ]),
            receiving_application: trim_components(vec![report.receiving_application.clone()]),
            receiving_facility: trim_components(vec![report.receiving_facility.clone()]),
            control_id: report.message_control_id.clone(),
            processing_id: report.processing_id.code().to_string(),
            version: report.hl7_version.clone(),
        }
    }
}

/// Longest MSA-3 text (HL7 2.5.1 gives it 80 characters).
const MAX_ACK_TEXT: usize = 80;

/// Builds the ACK for a received message: MSH (sender and receiver swapped) and MSA.
///
/// `now` is the receiver's clock; the ACK's own control ID is `ACK` + `now` to the millisecond.
/// Segments end with CR, as HL7 requires; frame the result with [`mllp_frame`] to send it.
pub fn build_ack(original: &AckHeader, code: AckCode, text: &str, now: NaiveDateTime) -> String {
    let d = Delimiters::default();
    let hd = |components: &[String]| -> String {
        components
            .iter()
            .map(|c| escape(c, &d))
            .collect::<Vec<_>>()
            .join("^")
    };
    let processing = match original.processing_id.as_str() {
        "P" | "T" | "D" => original.processing_id.as_str(),
        _ => "P",
    };
    let version = if original.version.starts_with("2.") {
        escape(&original.version, &d)
    } else {
        "2.5.1".to_string()
    };
    let code_text = match code {
        AckCode::AA => "AA",
        AckCode::AE => "AE",
        AckCode::AR => "AR",
    };
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_ACK_TEXT)
        .collect();
    format!(
        "MSH|^~\\&|{}|{}|{}|{}|{}||ACK^R01^ACK|ACK{}|{}|{}\rMSA|{}|{}|{}\r",
        hd(&original.receiving_application),
        hd(&original.receiving_facility),
        hd(&original.sending_application),
        hd(&original.sending_facility),
        now.format("%Y%m%d%H%M%S"),
        now.format("%Y%m%d%H%M%S%3f"),
        processing,
        version,
        code_text,
        escape(&original.control_id, &d),
        escape(one_line.trim(), &d),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_framed_message_decodes_back_whole() {
        let message = b"MSH|^~\\&|A\rPID|1\r";
        let framed = mllp_frame(message);
        assert_eq!(framed.first(), Some(&0x0B));
        assert_eq!(framed.get(framed.len() - 2..), Some(&[0x1C, 0x0D][..]));
        let mut decoder = MllpDecoder::default();
        assert_eq!(
            decoder.feed(&framed),
            vec![MllpEvent::Frame(message.to_vec())]
        );
        assert!(decoder.finish().is_empty());
    }

    #[test]
    fn frames_split_across_chunks_at_every_position_are_reassembled() {
        let mut stream = mllp_frame(b"MSH|one");
        stream.extend(mllp_frame(b"MSH|two"));
        for cut in 0..=stream.len() {
            let (a, b) = stream.split_at(cut);
            let mut decoder = MllpDecoder::default();
            let mut events = decoder.feed(a);
            events.extend(decoder.feed(b));
            events.extend(decoder.finish());
            assert_eq!(
                events,
                vec![
                    MllpEvent::Frame(b"MSH|one".to_vec()),
                    MllpEvent::Frame(b"MSH|two".to_vec())
                ],
                "cut at {cut}"
            );
        }
        // One byte at a time.
        let mut decoder = MllpDecoder::default();
        let events: Vec<MllpEvent> = stream.iter().flat_map(|b| decoder.feed(&[*b])).collect();
        assert_eq!(events.len(), 2);
    }

    #[test]
    fn garbage_between_frames_is_skipped_and_reported() {
        let mut stream = b"hello".to_vec();
        stream.extend(mllp_frame(b"MSH|one"));
        stream.extend(b"\r\n");
        stream.extend(mllp_frame(b"MSH|two"));
        stream.extend(b"xy");
        let mut decoder = MllpDecoder::default();
        let mut events = decoder.feed(&stream);
        events.extend(decoder.finish());
        assert_eq!(
            events,
            vec![
                MllpEvent::Garbage { bytes: 5 },
                MllpEvent::Frame(b"MSH|one".to_vec()),
                MllpEvent::Frame(b"MSH|two".to_vec()),
                MllpEvent::Garbage { bytes: 2 },
            ]
        );
    }

    #[test]
    fn oversized_and_truncated_frames_are_dropped_and_reported() {
        let mut decoder = MllpDecoder::new(4);
        let mut stream = mllp_frame(b"MSH|far too long");
        stream.extend(mllp_frame(b"ok"));
        stream.extend(b"\x0Bpart");
        stream.extend(mllp_frame(b"next"));
        stream.extend(b"\x0Bcut off");
        let mut events = decoder.feed(&stream);
        events.extend(decoder.finish());
        assert_eq!(
            events,
            vec![
                MllpEvent::Oversized { bytes: 16 },
                MllpEvent::Frame(b"ok".to_vec()),
                MllpEvent::Truncated { bytes: 4 },
                MllpEvent::Frame(b"next".to_vec()),
                MllpEvent::Oversized { bytes: 7 },
            ]
        );
    }

    #[test]
    fn an_end_block_without_carriage_return_still_ends_the_frame() {
        let mut decoder = MllpDecoder::default();
        let events = decoder.feed(b"\x0BMSH|a\x1C\x0BMSH|b\x1C");
        assert_eq!(events, vec![MllpEvent::Frame(b"MSH|a".to_vec())]);
        assert_eq!(decoder.finish(), vec![MllpEvent::Frame(b"MSH|b".to_vec())]);
    }

    #[test]
    fn ack_swaps_sender_and_receiver_and_echoes_the_control_id() {
        let raw = RawMessage::from_text(
            "MSH|^~\\&|COPATH|RIVERBEND PATHOLOGY^99D8888801^CLIA|REGISTRY|STATECR|20250402101500||ORU^R01^ORU_R01|RBP001|T|2.5.1\rPID|1",
        );
        let header = AckHeader::from_raw(&raw).expect("MSH present");
        let now = chrono::NaiveDate::from_ymd_opt(2025, 4, 2)
            .and_then(|d| d.and_hms_milli_opt(10, 16, 0, 250))
            .expect("valid time");
        let ack = build_ack(
            &header,
            AckCode::AE,
            "PID-5: the patient's last name | is empty",
            now,
        );
        assert_eq!(
            ack,
            "MSH|^~\\&|REGISTRY|STATECR|COPATH|RIVERBEND PATHOLOGY^99D8888801^CLIA|20250402101600||ACK^R01^ACK|ACK20250402101600250|T|2.5.1\r\
             MSA|AE|RBP001|PID-5: the patient's last name \\F\\ is empty\r"
        );
        // The ACK itself is an HL7 message whose MSA-2 is the original control ID.
        let reparsed = AckHeader::from_raw(&RawMessage::from_text(&ack)).expect("ACK has an MSH");
        assert_eq!(reparsed.sending_application, vec!["REGISTRY".to_string()]);
        assert_eq!(
            reparsed.receiving_facility,
            vec![
                "RIVERBEND PATHOLOGY".to_string(),
                "99D8888801".into(),
                "CLIA".into()
            ]
        );
    }

    #[test]
    fn ack_header_survives_other_delimiters_and_missing_fields() {
        let raw = RawMessage::from_text("MSH#$%!*#LAB$X!F!Y#REG");
        let header = AckHeader::from_raw(&raw).expect("MSH present");
        assert_eq!(
            header.sending_application,
            vec!["LAB".to_string(), "X#Y".to_string()]
        );
        assert_eq!(header.control_id, "");
        let now = chrono::NaiveDate::from_ymd_opt(2025, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("valid time");
        let ack = build_ack(&header, AckCode::AR, "not ORU^R01", now);
        assert_eq!(
            ack,
            "MSH|^~\\&|||LAB^X#Y|REG|20250101000000||ACK^R01^ACK|ACK20250101000000000|P|2.5.1\r\
             MSA|AR||not ORU\\S\\R01\r"
        );
    }
}
