//! Splitting an intake file into messages.
//!
//! Segment ends may be CR, LF, CRLF or the literal text `<CR>` (as in the NAACCR samples, where
//! `<CR>` is usually followed by a real line break, which then counts as the same line end).
//! Messages may follow each other directly or be separated by blank lines; `FHS`/`BHS`/`BTS`/`FTS`
//! batch envelope segments are recognised and left out of the messages. A leading UTF-8 byte order
//! mark and MLLP framing bytes (0x0B, 0x1C) at line edges are ignored.
//!
//! Nothing is dropped silently: lines before the first `MSH` (other than blank lines and envelope
//! segments) become a message of their own, which [`super::parse_message`] rejects with the line.
//! Line numbers count line ends as above, starting at 1.

use serde::Serialize;

use super::encoding::{TextEncoding, decode_bytes};

/// One message cut from an intake file, as text, before parsing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawMessage {
    /// Position of the message in its file, starting at 0.
    pub index: usize,
    /// Line of the file (1-based) where the message starts.
    pub start_line: usize,
    /// The message, segments separated by CR; line `k` (0-based) of this text is file line
    /// `start_line + k`, blank lines inside the message included.
    pub text: String,
    /// How the message's bytes were decoded.
    pub encoding: TextEncoding,
}

impl RawMessage {
    /// A message from text already in memory (pasted text, tests); segment ends are normalised.
    pub fn from_text(text: &str) -> RawMessage {
        let mut messages = split_messages(text.as_bytes());
        if messages.len() == 1
            && let Some(message) = messages.pop()
        {
            return message;
        }
        // Several or no messages: keep every line, so the parser reports what is wrong.
        let lines = split_lines(text.as_bytes());
        let joined = join_lines(text.as_bytes(), &lines);
        let (text, encoding) = decode_bytes(&joined);
        RawMessage {
            index: 0,
            start_line: 1,
            text,
            encoding,
        }
    }

    /// The message's lines (split at CR, LF or CRLF) with their file line numbers.
    pub fn lines(&self) -> impl Iterator<Item = (usize, &str)> {
        let text = self.text.as_str();
        let mut rest = Some(text);
        std::iter::from_fn(move || {
            let current = rest?;
            match current.find(['\r', '\n']) {
                Some(at) => {
                    let line = current.get(..at).unwrap_or("");
                    let skip = if current.get(at..at + 2) == Some("\r\n") {
                        2
                    } else {
                        1
                    };
                    rest = current.get(at + skip..);
                    Some(line)
                }
                None => {
                    rest = None;
                    Some(current)
                }
            }
        })
        .enumerate()
        .map(|(k, line)| (self.start_line + k, line))
    }
}

/// Byte range of one line (without its line end).
#[derive(Debug, Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
}

const LITERAL_CR: &[u8] = b"<CR>";

/// Cuts the input into lines at CR, LF, CRLF and literal `<CR>` (with an optional real line end after it).
fn split_lines(input: &[u8]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let n = input.len();
    while i < n {
        let byte = input.get(i).copied().unwrap_or(0);
        let terminator_len = match byte {
            b'\r' if input.get(i + 1) == Some(&b'\n') => 2,
            b'\r' | b'\n' => 1,
            b'<' if input.get(i..i + LITERAL_CR.len()) == Some(LITERAL_CR) => {
                let after = i + LITERAL_CR.len();
                match (input.get(after), input.get(after + 1)) {
                    (Some(b'\r'), Some(b'\n')) => LITERAL_CR.len() + 2,
                    (Some(b'\r' | b'\n'), _) => LITERAL_CR.len() + 1,
                    _ => LITERAL_CR.len(),
                }
            }
            _ => 0,
        };
        if terminator_len > 0 {
            lines.push(Line { start, end: i });
            i += terminator_len;
            start = i;
        } else {
            i += 1;
        }
    }
    if start < n {
        lines.push(Line { start, end: n });
    }
    lines
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|b| b.is_ascii_whitespace() || *b == 0x0B || *b == 0x1C)
}

/// The line without MLLP framing bytes at its edges.
fn line_bytes<'a>(input: &'a [u8], line: &Line) -> &'a [u8] {
    let bytes = input.get(line.start..line.end).unwrap_or(&[]);
    let bytes = match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] if line.start == 0 => rest,
        _ => bytes,
    };
    let start = bytes.iter().position(|b| *b != 0x0B).unwrap_or(bytes.len());
    let bytes = bytes.get(start..).unwrap_or(&[]);
    let end = bytes.iter().rposition(|b| *b != 0x1C).map_or(0, |p| p + 1);
    bytes.get(..end).unwrap_or(&[])
}

/// Whether the line starts a segment named `name` (`name` + a punctuation field separator).
fn starts_segment(bytes: &[u8], name: &[u8; 3]) -> bool {
    bytes.get(..3) == Some(name.as_slice())
        && bytes.get(3).is_some_and(|b| b.is_ascii_punctuation())
}

fn is_envelope(bytes: &[u8]) -> bool {
    [b"FHS", b"BHS", b"BTS", b"FTS"]
        .iter()
        .any(|name| starts_segment(bytes, name))
}

fn join_lines(input: &[u8], lines: &[Line]) -> Vec<u8> {
    let mut joined = Vec::new();
    for (k, line) in lines.iter().enumerate() {
        if k > 0 {
            joined.push(b'\r');
        }
        let bytes = line_bytes(input, line);
        if !is_blank(bytes) {
            joined.extend_from_slice(bytes);
        }
    }
    joined
}

/// Splits an intake file into messages (each starting at an `MSH` line).
pub fn split_messages(input: &[u8]) -> Vec<RawMessage> {
    let lines = split_lines(input);
    let mut messages = Vec::new();
    // (index of first line, index one past the last non-blank line)
    let mut current: Option<(usize, usize)> = None;
    let flush = |current: &mut Option<(usize, usize)>, messages: &mut Vec<RawMessage>| {
        if let Some((first, end)) = current.take() {
            let (text, encoding) =
                decode_bytes(&join_lines(input, lines.get(first..end).unwrap_or(&[])));
            messages.push(RawMessage {
                index: messages.len(),
                start_line: first + 1,
                text,
                encoding,
            });
        }
    };
    for (k, line) in lines.iter().enumerate() {
        let bytes = line_bytes(input, line);
        if is_blank(bytes) {
            continue;
        }
        if is_envelope(bytes) {
            flush(&mut current, &mut messages);
        } else if starts_segment(bytes, b"MSH") {
            flush(&mut current, &mut messages);
            current = Some((k, k + 1));
        } else if let Some((_, end)) = current.as_mut() {
            *end = k + 1;
        } else {
            current = Some((k, k + 1));
        }
    }
    flush(&mut current, &mut messages);
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(input: &[u8]) -> Vec<(usize, usize, String)> {
        split_messages(input)
            .into_iter()
            .map(|m| (m.index, m.start_line, m.text))
            .collect()
    }

    #[test]
    fn every_line_end_style_gives_the_same_segments() {
        let expected = vec![(0, 1, "MSH|^~\\&|A\rPID|1\rOBR|1".to_string())];
        assert_eq!(summary(b"MSH|^~\\&|A\rPID|1\rOBR|1\r"), expected);
        assert_eq!(summary(b"MSH|^~\\&|A\nPID|1\nOBR|1\n"), expected);
        assert_eq!(summary(b"MSH|^~\\&|A\r\nPID|1\r\nOBR|1\r\n"), expected);
        assert_eq!(summary(b"MSH|^~\\&|A<CR>PID|1<CR>OBR|1<CR>"), expected);
        assert_eq!(
            summary(b"MSH|^~\\&|A<CR>\nPID|1<CR>\r\nOBR|1<CR>\n"),
            expected
        );
        assert_eq!(summary(b"MSH|^~\\&|A\rPID|1\nOBR|1"), expected);
    }

    #[test]
    fn messages_split_back_to_back_or_on_blank_lines_with_their_start_lines() {
        let input = b"MSH|^~\\&|A\nPID|1\nMSH|^~\\&|B\nPID|2\n\n\nMSH|^~\\&|C\nPID|3\n\n";
        assert_eq!(
            summary(input),
            vec![
                (0, 1, "MSH|^~\\&|A\rPID|1".to_string()),
                (1, 3, "MSH|^~\\&|B\rPID|2".to_string()),
                (2, 7, "MSH|^~\\&|C\rPID|3".to_string()),
            ]
        );
    }

    #[test]
    fn batch_envelopes_are_left_out() {
        let input = b"FHS|^~\\&|LAB\nBHS|^~\\&|LAB\nMSH|^~\\&|A\nPID|1\nBTS|1\nFTS|1\n";
        assert_eq!(
            summary(input),
            vec![(0, 3, "MSH|^~\\&|A\rPID|1".to_string())]
        );
    }

    #[test]
    fn a_blank_line_inside_a_message_keeps_line_numbers_aligned() {
        let messages = split_messages(b"MSH|^~\\&|A\n\nPID|1\n");
        assert_eq!(messages.len(), 1);
        let lines: Vec<(usize, &str)> = messages.iter().flat_map(|m| m.lines()).collect();
        assert_eq!(lines, vec![(1, "MSH|^~\\&|A"), (2, ""), (3, "PID|1")]);
    }

    #[test]
    fn text_before_the_first_msh_is_kept_as_its_own_message() {
        let messages = split_messages(b"Report export 2025\nMSH|^~\\&|A\nPID|1\n");
        assert_eq!(messages.len(), 2);
        assert_eq!(
            messages.first().map(|m| m.text.as_str()),
            Some("Report export 2025")
        );
        assert_eq!(messages.get(1).map(|m| m.start_line), Some(2));
    }

    #[test]
    fn bom_and_mllp_bytes_are_ignored() {
        let input = b"\xEF\xBB\xBF\x0BMSH|^~\\&|A\rPID|1\r\x1C\r";
        assert_eq!(
            summary(input),
            vec![(0, 1, "MSH|^~\\&|A\rPID|1".to_string())]
        );
    }

    #[test]
    fn invalid_utf8_is_read_as_windows_1252_per_message() {
        let messages = split_messages(b"MSH|^~\\&|A\nPID|1||||REN\xc9E\nMSH|^~\\&|B\n");
        assert_eq!(
            messages.iter().map(|m| m.encoding).collect::<Vec<_>>(),
            vec![TextEncoding::Windows1252, TextEncoding::Utf8]
        );
        assert_eq!(
            messages.first().map(|m| m.text.as_str()),
            Some("MSH|^~\\&|A\rPID|1||||RENÉE")
        );
    }

    #[test]
    fn empty_input_has_no_message() {
        assert!(split_messages(b"").is_empty());
        assert!(split_messages(b"\n\r\n  \n").is_empty());
    }
}
