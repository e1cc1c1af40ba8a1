//! Delimiters (MSH-1/MSH-2), byte decoding and HL7 escape sequences.
//!
//! Escapes are decoded per value *after* the message is split into fields, repetitions, components
//! and subcomponents, so an escaped `\F\` never splits a field. What each escape becomes:
//!
//! | escape | result |
//! |---|---|
//! | `\F\` `\S\` `\T\` `\R\` `\E\` | the field, component, subcomponent, repetition or escape character |
//! | `\.br\` | a line break |
//! | `\.sp n\` | `n` line breaks (1 when `n` is absent, at most 10) |
//! | `\Xhh…\` | the bytes `hh…`; consecutive hex escapes are joined, then read as UTF-8, or as Windows-1252 when not valid UTF-8 |
//! | `\H\` `\N\` (highlight on/off), `\.in n\` `\.ti n\` (indent), `\.ce\` `\.fi\` `\.nf\` (centre, fill), `\Cxxxx\` `\Mxxxx\` (character set switches), `\Z…\` (local) | dropped |
//!
//! Anything else between two escape characters (for example "and\or\" in free text) is not an
//! escape: the escape character is kept as written. CR/CRLF in decoded text become `\n`, and
//! control characters other than tab and line break are removed (a NUL would break storage).

use serde::Serialize;

/// The five HL7 delimiters a message declares in MSH-1 and MSH-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiters {
    /// MSH-1, normally `|`.
    pub field: char,
    /// MSH-2 first character, normally `^`.
    pub component: char,
    /// MSH-2 second character, normally `~`.
    pub repetition: char,
    /// MSH-2 third character, normally `\`.
    pub escape: char,
    /// MSH-2 fourth character, normally `&`.
    pub subcomponent: char,
}

impl Default for Delimiters {
    fn default() -> Self {
        Delimiters {
            field: '|',
            component: '^',
            repetition: '~',
            escape: '\\',
            subcomponent: '&',
        }
    }
}

impl Delimiters {
    /// Reads the delimiters from the field separator and the MSH-2 encoding characters.
    ///
    /// MSH-2 must hold four distinct ASCII punctuation characters (a fifth, the v2.7 truncation
    /// character, is accepted and ignored). The error text says what is wrong, for the registrar.
    pub fn from_msh(field: char, encoding: &str) -> Result<Self, String> {
        let chars: Vec<char> = encoding.chars().collect();
        if !(4..=5).contains(&chars.len()) {
            return Err(format!(
                "MSH-2 must hold the four encoding characters (normally ^~\\&) but holds '{encoding}'"
            ));
        }
        let (component, repetition, escape, subcomponent) = match chars.as_slice() {
            [c, r, e, s, ..] => (*c, *r, *e, *s),
            _ => return Err(format!("MSH-2 '{encoding}' is too short")),
        };
        let all = [field, component, repetition, escape, subcomponent];
        if let Some(bad) = all.iter().find(|c| !c.is_ascii_punctuation()) {
            return Err(format!(
                "MSH-1/MSH-2 delimiter '{}' is not a punctuation character",
                bad.escape_default()
            ));
        }
        for (i, a) in all.iter().enumerate() {
            if all.iter().skip(i + 1).any(|b| b == a) {
                return Err(format!(
                    "MSH-1/MSH-2 use '{a}' for two different delimiters (MSH-2 is '{encoding}')"
                ));
            }
        }
        Ok(Delimiters {
            field,
            component,
            repetition,
            escape,
            subcomponent,
        })
    }
}

/// How the bytes of a message were turned into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TextEncoding {
    /// The bytes were valid UTF-8 (plain ASCII included).
    Utf8,
    /// The bytes were not valid UTF-8 and were read as Windows-1252 (Latin-1 plus the printable
    /// characters at 0x80–0x9F), so no byte is lost; the report carries a warning.
    Windows1252,
}

/// Windows-1252 characters for bytes 0x80–0x9F; the five unassigned bytes keep their Latin-1 value.
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// Decodes bytes as UTF-8 when they are valid UTF-8, otherwise as Windows-1252 (never fails).
pub fn decode_bytes(bytes: &[u8]) -> (String, TextEncoding) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), TextEncoding::Utf8),
        Err(_) => (
            bytes.iter().map(|&b| cp1252_char(b)).collect(),
            TextEncoding::Windows1252,
        ),
    }
}

fn cp1252_char(byte: u8) -> char {
    match byte {
        0x80..=0x9F => CP1252_HIGH
            .get(usize::from(byte - 0x80))
            .copied()
            .unwrap_or(char::from(byte)),
        _ => char::from(byte),
    }
}

/// Longest run of line breaks a `\.sp n\` may produce (bounds the output on hostile input).
const MAX_SP_LINES: usize = 10;

enum Escape {
    Text(char),
    Lines(usize),
    Hex(Vec<u8>),
    Drop,
    Literal,
}

fn classify(body: &str, d: &Delimiters) -> Escape {
    match body {
        "F" => return Escape::Text(d.field),
        "S" => return Escape::Text(d.component),
        "T" => return Escape::Text(d.subcomponent),
        "R" => return Escape::Text(d.repetition),
        "E" => return Escape::Text(d.escape),
        "H" | "N" => return Escape::Drop,
        _ => {}
    }
    if let Some(command) = body.strip_prefix('.') {
        let name = command.get(..2).unwrap_or("");
        let argument = command.get(2..).unwrap_or("").trim();
        return match name {
            "br" if argument.is_empty() => Escape::Lines(1),
            "sp" => {
                let n = if argument.is_empty() {
                    Some(1)
                } else {
                    argument.trim_start_matches('+').parse::<usize>().ok()
                };
                match n {
                    Some(n) => Escape::Lines(n.clamp(1, MAX_SP_LINES)),
                    None => Escape::Literal,
                }
            }
            "in" | "ti" | "sk" => {
                let numeric = argument
                    .trim_start_matches(['+', '-'])
                    .chars()
                    .all(|c| c.is_ascii_digit());
                if numeric {
                    Escape::Drop
                } else {
                    Escape::Literal
                }
            }
            "ce" | "fi" | "nf" if argument.is_empty() => Escape::Drop,
            _ => Escape::Literal,
        };
    }
    let is_hex = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit());
    if let Some(hex) = body.strip_prefix('X') {
        if is_hex(hex) && hex.len() % 2 == 0 {
            let bytes = hex
                .as_bytes()
                .chunks(2)
                .filter_map(|pair| {
                    std::str::from_utf8(pair)
                        .ok()
                        .and_then(|p| u8::from_str_radix(p, 16).ok())
                })
                .collect();
            return Escape::Hex(bytes);
        }
        return Escape::Literal;
    }
    if let Some(rest) = body.strip_prefix('C').or_else(|| body.strip_prefix('M'))
        && is_hex(rest)
        && (rest.len() == 4 || rest.len() == 6)
    {
        return Escape::Drop;
    }
    if let Some(rest) = body.strip_prefix('Z')
        && !rest.is_empty()
        && rest.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Escape::Drop;
    }
    Escape::Literal
}

/// Decodes the escape sequences of one value (a component, subcomponent or text repetition).
pub fn unescape(raw: &str, d: &Delimiters) -> String {
    // Most values hold no escape and no control character.
    if !raw.contains(|c: char| c == d.escape || c.is_control()) {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut hex: Vec<u8> = Vec::new();
    let mut rest = raw;
    let esc_len = d.escape.len_utf8();
    loop {
        let Some(start) = rest.find(d.escape) else {
            flush_hex(&mut hex, &mut out);
            out.push_str(rest);
            break;
        };
        let before = rest.get(..start).unwrap_or("");
        let after = rest.get(start + esc_len..).unwrap_or("");
        if !before.is_empty() {
            flush_hex(&mut hex, &mut out);
            out.push_str(before);
        }
        let Some(end) = after.find(d.escape) else {
            // A lone escape character starts no escape: keep it as written.
            flush_hex(&mut hex, &mut out);
            out.push(d.escape);
            out.push_str(after);
            break;
        };
        let body = after.get(..end).unwrap_or("");
        let next = after.get(end + esc_len..).unwrap_or("");
        match classify(body, d) {
            Escape::Text(c) => {
                flush_hex(&mut hex, &mut out);
                out.push(c);
                rest = next;
            }
            Escape::Lines(n) => {
                flush_hex(&mut hex, &mut out);
                out.extend(std::iter::repeat_n('\n', n));
                rest = next;
            }
            Escape::Hex(bytes) => {
                hex.extend(bytes);
                rest = next;
            }
            Escape::Drop => rest = next,
            Escape::Literal => {
                flush_hex(&mut hex, &mut out);
                out.push(d.escape);
                rest = after;
            }
        }
    }
    clean_text(&out)
}

fn flush_hex(hex: &mut Vec<u8>, out: &mut String) {
    if !hex.is_empty() {
        out.push_str(&decode_bytes(hex).0);
        hex.clear();
    }
}

/// CR and CRLF become `\n`; control characters other than tab and line break are removed.
fn clean_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for an HL7 value written with `d` (used when building ACKs).
pub fn escape(text: &str, d: &Delimiters) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == d.escape {
            out.push(d.escape);
            out.push('E');
            out.push(d.escape);
        } else if c == d.field || c == d.component || c == d.repetition || c == d.subcomponent {
            let code = if c == d.field {
                'F'
            } else if c == d.component {
                'S'
            } else if c == d.repetition {
                'R'
            } else {
                'T'
            };
            out.push(d.escape);
            out.push(code);
            out.push(d.escape);
        } else if c == '\n' {
            out.push(d.escape);
            out.push_str(".br");
            out.push(d.escape);
        } else if !c.is_control() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(raw: &str) -> String {
        unescape(raw, &Delimiters::default())
    }

    #[test]
    fn delimiter_escapes_decode_to_their_characters() {
        assert_eq!(u(r"a\F\b"), "a|b");
        assert_eq!(u(r"a\S\b"), "a^b");
        assert_eq!(u(r"a\T\b"), "a&b");
        assert_eq!(u(r"a\R\b"), "a~b");
        assert_eq!(u(r"a\E\b"), r"a\b");
        assert_eq!(u(r"\E\F\E\"), r"\F\");
    }

    #[test]
    fn formatting_escapes_become_line_breaks_or_vanish() {
        assert_eq!(u(r"one\.br\two"), "one\ntwo");
        assert_eq!(u(r"one\.sp\two"), "one\ntwo");
        assert_eq!(u(r"one\.sp 2\two"), "one\n\ntwo");
        assert_eq!(
            u(r"one\.sp 99999999\two"),
            format!("one{}two", "\n".repeat(10))
        );
        assert_eq!(u(r"\H\BOLD\N\ plain"), "BOLD plain");
        assert_eq!(u(r"\.in +4\indented\.ti -2\x"), "indentedx");
        assert_eq!(u(r"\.ce\TITLE\.fi\\.nf\"), "TITLE");
        assert_eq!(u(r"\C2842\kanji\M2442\"), "kanji");
        assert_eq!(u(r"\Zlocal\x"), "x");
    }

    #[test]
    fn hex_escapes_decode_bytes_as_utf8_or_windows_1252() {
        assert_eq!(u(r"line\X0D\\X0A\next"), "line\nnext");
        assert_eq!(u(r"line\X0D0A\next"), "line\nnext");
        assert_eq!(u(r"caf\XC3A9\"), "café");
        // One UTF-8 character split over two hex escapes is joined before decoding.
        assert_eq!(u(r"caf\XC3\\XA9\"), "café");
        // 0xE9 alone is not UTF-8: Windows-1252 é; 0x93/0x94 are curly quotes.
        assert_eq!(u(r"caf\XE9\"), "café");
        assert_eq!(u(r"\X93\ok\X94\"), "\u{201C}ok\u{201D}");
        // A NUL from a hex escape is removed.
        assert_eq!(u(r"a\X00\b"), "ab");
        // Odd or non-hex digits are not an escape: kept as written.
        assert_eq!(u(r"\X0\"), r"\X0\");
        assert_eq!(u(r"\XZZ\"), r"\XZZ\");
    }

    #[test]
    fn a_backslash_that_starts_no_escape_is_kept() {
        assert_eq!(u(r"and\or"), r"and\or");
        assert_eq!(u(r"trailing\"), r"trailing\");
        assert_eq!(u(r"C:\path\to\F\x"), r"C:\path\to|x");
        assert_eq!(u(r"\\"), r"\\");
    }

    #[test]
    fn other_escape_characters_are_honoured() {
        let d = Delimiters::from_msh('#', "$%!*").expect("valid delimiters");
        assert_eq!(unescape("a!F!b!.br!c", &d), "a#b\nc");
        assert_eq!(unescape(r"back\slash", &d), r"back\slash");
    }

    #[test]
    fn escape_round_trips_through_unescape() {
        let d = Delimiters::default();
        let text = "A|B^C~D&E\\F\nline";
        assert_eq!(escape(text, &d), r"A\F\B\S\C\R\D\T\E\E\F\.br\line");
        assert_eq!(unescape(&escape(text, &d), &d), text);
    }

    #[test]
    fn delimiters_must_be_four_distinct_punctuation_characters() {
        assert!(Delimiters::from_msh('|', "^~\\&").is_ok());
        assert!(Delimiters::from_msh('|', "^~\\&#").is_ok());
        assert!(Delimiters::from_msh('|', "^~\\").is_err());
        assert!(Delimiters::from_msh('|', "^~^&").is_err());
        assert!(Delimiters::from_msh('|', "^~|&").is_err());
        assert!(Delimiters::from_msh('|', "AB\\&").is_err());
    }

    #[test]
    fn undecodable_bytes_are_read_as_windows_1252() {
        assert_eq!(
            decode_bytes(b"Ren\xe9e \x93x\x94"),
            (
                "Renée \u{201C}x\u{201D}".to_string(),
                TextEncoding::Windows1252
            )
        );
        assert_eq!(
            decode_bytes("Renée".as_bytes()),
            ("Renée".to_string(), TextEncoding::Utf8)
        );
    }
}
