//! Tokens and phrase matching shared by screening and auto-coding.
//!
//! Text is cut into word tokens (runs of letters and digits) with byte spans into the original
//! text, so a match can be highlighted exactly. Phrases are compiled once, at load time, into an
//! index keyed by their first word; matching is leftmost-longest over whole words, which makes
//! "ca" never match inside "turcica". Punctuation between tokens is kept as flags (clause break,
//! comma, new line) because negation scope and specimen headers depend on it.

use std::collections::HashMap;
use std::ops::Range;

/// Words dropped from both text and phrases, so "arising in a tubular adenoma" matches
/// "arising in tubular adenoma".
const STOPWORDS: [&str; 3] = ["a", "an", "the"];

/// One word of a text, with what separates it from the previous word.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    /// Byte span in the original text.
    pub start: usize,
    pub end: usize,
    /// A sentence or clause ends before this token ('.', ';', blank line, numbered item...).
    pub clause_break: bool,
    /// A comma (or slash-free list separator) precedes this token.
    pub comma: bool,
    /// A line break precedes this token.
    pub newline: bool,
    /// The token starts a numbered or lettered item ("1.", "B)").
    pub enumerator: bool,
    /// Line number (0-based) of the token.
    pub line: usize,
}

/// A text cut into tokens, with its ASCII-lowercased copy (same byte offsets).
#[derive(Debug, Clone)]
pub(crate) struct Tokenized<'a> {
    pub text: &'a str,
    pub lower: String,
    pub tokens: Vec<Token>,
    /// For each line, whether it holds a colon ("Margins: ..." checklist lines).
    pub line_has_colon: Vec<bool>,
}

impl<'a> Tokenized<'a> {
    /// Cuts `text` into tokens.
    pub fn new(text: &'a str) -> Tokenized<'a> {
        let lower = text.to_ascii_lowercase();
        let bytes = text.as_bytes();
        let mut tokens: Vec<Token> = Vec::with_capacity(text.len() / 5);
        let mut gap_start = 0usize;
        let mut line = 0usize;
        let mut iter = text.char_indices().peekable();
        while let Some((i, c)) = iter.next() {
            if !c.is_alphanumeric() {
                continue;
            }
            let start = i;
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = iter.peek() {
                if d.is_alphanumeric() {
                    end = j + d.len_utf8();
                    iter.next();
                } else {
                    break;
                }
            }
            let word = lower.get(start..end).unwrap_or("");
            if STOPWORDS.contains(&word) {
                // The stopword's gap stays with the next real word.
                continue;
            }
            let gap_from = gap_start;
            let gap = bytes.get(gap_from..start).unwrap_or(&[]);
            gap_start = end;
            let newline = gap.contains(&b'\n');
            line += gap.iter().filter(|&&b| b == b'\n').count();
            let blank_line = gap.iter().filter(|&&b| b == b'\n').count() >= 2;
            let mut clause_break = tokens.is_empty() || blank_line;
            for (k, &b) in gap.iter().enumerate() {
                // Look at the text, not the gap: in "1.2" the '.' is followed by a digit.
                let followed_by_space = bytes
                    .get(gap_from + k + 1)
                    .is_none_or(|n| n.is_ascii_whitespace() || *n == b')' || *n == b'"');
                match b {
                    b';' | b'!' | b'?' => clause_break = true,
                    b'.' if followed_by_space => clause_break = true,
                    b':' if gap.get(k + 1..).is_some_and(|r| r.contains(&b'\n')) => {
                        clause_break = true
                    }
                    _ => {}
                }
            }
            let enumerator = is_enumerator(
                word,
                bytes.get(end..).unwrap_or(&[]),
                newline || clause_break,
            );
            if enumerator {
                clause_break = true;
            }
            // A line that starts with a number or bullet starts a new item.
            if newline && (word.as_bytes().first().is_some_and(u8::is_ascii_digit)) {
                clause_break = true;
            }
            if newline && gap.iter().any(|&b| b == b'-' || b == b'*') {
                clause_break = true;
            }
            tokens.push(Token {
                start,
                end,
                clause_break,
                comma: gap.contains(&b','),
                newline,
                enumerator,
                line,
            });
        }
        let line_has_colon = text.split('\n').map(|l| l.contains(':')).collect();
        Tokenized {
            text,
            lower,
            tokens,
            line_has_colon,
        }
    }

    /// The lowercase word of token `i` ("" when out of range).
    pub fn word(&self, i: usize) -> &str {
        self.tokens
            .get(i)
            .and_then(|t| self.lower.get(t.start..t.end))
            .unwrap_or("")
    }

    /// Byte span covering tokens `from..to` (exclusive end); empty range when none.
    pub fn span(&self, from: usize, to: usize) -> Range<usize> {
        match (
            self.tokens.get(from),
            to.checked_sub(1).and_then(|l| self.tokens.get(l)),
        ) {
            (Some(a), Some(b)) if to > from => a.start..b.end,
            _ => 0..0,
        }
    }

    /// Index of the first token of the line holding token `i`.
    pub fn line_start(&self, i: usize) -> usize {
        let mut k = i.min(self.tokens.len().saturating_sub(1));
        while k > 0 {
            if self.tokens.get(k).is_some_and(|t| t.newline) {
                return k;
            }
            k -= 1;
        }
        0
    }

    /// Index one past the last token of the line holding token `i`.
    pub fn line_end(&self, i: usize) -> usize {
        let mut k = i + 1;
        while k < self.tokens.len() {
            if self.tokens.get(k).is_some_and(|t| t.newline) {
                return k;
            }
            k += 1;
        }
        self.tokens.len()
    }

    /// Token range of the numbered part ("1.", "2." ...) holding token `i`; the whole text
    /// when it has no numbered parts.
    pub fn part(&self, i: usize) -> Range<usize> {
        let mut start = i.min(self.tokens.len());
        while start > 0 && !self.tokens.get(start).is_some_and(|t| t.enumerator) {
            start -= 1;
        }
        let mut end = i + 1;
        while end < self.tokens.len() && !self.tokens.get(end).is_some_and(|t| t.enumerator) {
            end += 1;
        }
        start..end.min(self.tokens.len())
    }
}

/// "1." / "12)" / "B." / "b)" at the start of a line or clause.
fn is_enumerator(word: &str, after: &[u8], at_line_start: bool) -> bool {
    if !at_line_start {
        return false;
    }
    let short_number = word.len() <= 2 && word.bytes().all(|b| b.is_ascii_digit());
    let letter = word.len() == 1 && word.bytes().all(|b| b.is_ascii_alphabetic());
    (short_number || letter)
        && matches!(after.first(), Some(b'.') | Some(b')'))
        && after.get(1).is_none_or(|b| !b.is_ascii_digit())
}

/// How one word of a phrase matches a token.
#[derive(Debug, Clone, PartialEq, Eq)]
enum WordPattern {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
}

impl WordPattern {
    fn parse(w: &str) -> WordPattern {
        let lead = w.starts_with('*');
        let trail = w.ends_with('*') && w.len() > 1;
        let core = w.trim_matches('*').to_string();
        match (lead, trail) {
            (true, true) => WordPattern::Contains(core),
            (true, false) => WordPattern::Suffix(core),
            (false, true) => WordPattern::Prefix(core),
            (false, false) => WordPattern::Exact(core),
        }
    }

    fn matches(&self, word: &str) -> bool {
        match self {
            WordPattern::Exact(s) => word == s,
            WordPattern::Prefix(s) => word.starts_with(s.as_str()),
            WordPattern::Suffix(s) => word.ends_with(s.as_str()),
            WordPattern::Contains(s) => word.contains(s.as_str()),
        }
    }
}

/// A phrase compiled to word patterns.
#[derive(Debug, Clone)]
struct CompiledPhrase<T> {
    words: Vec<WordPattern>,
    /// The phrase must match the original text with this exact case (short abbreviations).
    case_sensitive: Option<String>,
    value: T,
}

/// One match of a phrase in a tokenized text.
#[derive(Debug, Clone)]
pub(crate) struct PhraseMatch<'p, T> {
    /// First token and one past the last token.
    pub tokens: Range<usize>,
    /// Byte span in the text.
    pub span: Range<usize>,
    pub value: &'p T,
}

/// Phrases compiled for leftmost-longest whole-word matching.
///
/// Phrase syntax: words separated by spaces or punctuation (tokenized like the text);
/// `word*` prefix, `*word` suffix, `*word*` contains; a leading `=` makes the phrase
/// case-sensitive (for abbreviations such as `=CLL`).
#[derive(Debug, Clone)]
pub(crate) struct PhraseIndex<T> {
    by_first_word: HashMap<String, Vec<usize>>,
    wildcard_first: Vec<usize>,
    phrases: Vec<CompiledPhrase<T>>,
}

impl<T> Default for PhraseIndex<T> {
    fn default() -> Self {
        PhraseIndex {
            by_first_word: HashMap::new(),
            wildcard_first: Vec::new(),
            phrases: Vec::new(),
        }
    }
}

impl<T> PhraseIndex<T> {
    /// Adds a phrase; returns false when it has no word.
    pub fn insert(&mut self, phrase: &str, value: T) -> bool {
        let (case_sensitive, body) = match phrase.strip_prefix('=') {
            Some(rest) => (Some(rest.trim().to_string()), rest),
            None => (None, phrase),
        };
        let words = phrase_words(body);
        let Some(first) = words.first() else {
            return false;
        };
        let idx = self.phrases.len();
        match first {
            WordPattern::Exact(w) => self.by_first_word.entry(w.clone()).or_default().push(idx),
            _ => self.wildcard_first.push(idx),
        }
        self.phrases.push(CompiledPhrase {
            words,
            case_sensitive,
            value,
        });
        true
    }

    /// Number of phrases.
    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    /// Longest phrase starting at token `i`, as (token count, phrase index).
    fn longest_at(&self, t: &Tokenized<'_>, i: usize) -> Option<(usize, usize)> {
        let word = t.word(i);
        let exact = self
            .by_first_word
            .get(word)
            .map(|v| v.as_slice())
            .unwrap_or(&[]);
        let mut best: Option<(usize, usize)> = None;
        for &p in exact.iter().chain(self.wildcard_first.iter()) {
            let Some(phrase) = self.phrases.get(p) else {
                continue;
            };
            let n = phrase.words.len();
            if best.is_some_and(|(len, _)| len >= n) {
                continue;
            }
            let all = phrase
                .words
                .iter()
                .enumerate()
                .all(|(k, pat)| i + k < t.tokens.len() && pat.matches(t.word(i + k)));
            if !all {
                continue;
            }
            if let Some(cs) = &phrase.case_sensitive {
                let span = t.span(i, i + n);
                if t.text.get(span).is_none_or(|s| !same_letters(s, cs)) {
                    continue;
                }
            }
            best = Some((n, p));
        }
        best
    }

    /// All leftmost-longest, non-overlapping matches.
    pub fn find_all<'p>(&'p self, t: &Tokenized<'_>) -> Vec<PhraseMatch<'p, T>> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < t.tokens.len() {
            match self.longest_at(t, i) {
                Some((n, p)) => {
                    if let Some(phrase) = self.phrases.get(p) {
                        out.push(PhraseMatch {
                            tokens: i..i + n,
                            span: t.span(i, i + n),
                            value: &phrase.value,
                        });
                    }
                    i += n;
                }
                None => i += 1,
            }
        }
        out
    }

    /// The longest phrase at every position, overlaps allowed, except a match lying wholly
    /// inside a longer one ("neuroendocrine tumor" inside "pituitary neuroendocrine tumor").
    pub fn find_overlapping<'p>(&'p self, t: &Tokenized<'_>) -> Vec<PhraseMatch<'p, T>> {
        let mut out: Vec<PhraseMatch<'p, T>> = Vec::new();
        let mut covered_to = 0usize;
        for i in 0..t.tokens.len() {
            if let Some((n, p)) = self.longest_at(t, i)
                && let Some(phrase) = self.phrases.get(p)
            {
                if i + n <= covered_to {
                    continue;
                }
                covered_to = i + n;
                out.push(PhraseMatch {
                    tokens: i..i + n,
                    span: t.span(i, i + n),
                    value: &phrase.value,
                });
            }
        }
        out
    }
}

/// Compares two strings on their letters and digits only (punctuation and spacing ignored).
fn same_letters(a: &str, b: &str) -> bool {
    a.chars()
        .filter(|c| c.is_alphanumeric())
        .eq(b.chars().filter(|c| c.is_alphanumeric()))
}

/// Canonical form of a phrase (lowercase words joined by one space), to spot duplicates.
pub(crate) fn phrase_key(phrase: &str) -> String {
    let cs = phrase.starts_with('=');
    let words: Vec<String> = phrase_words(phrase.trim_start_matches('='))
        .iter()
        .map(|w| match w {
            WordPattern::Exact(s) => s.clone(),
            WordPattern::Prefix(s) => format!("{s}*"),
            WordPattern::Suffix(s) => format!("*{s}"),
            WordPattern::Contains(s) => format!("*{s}*"),
        })
        .collect();
    format!("{}{}", if cs { "=" } else { "" }, words.join(" "))
}

/// Words of a phrase, tokenized like text but keeping `*` wildcards.
fn phrase_words(phrase: &str) -> Vec<WordPattern> {
    let lower = phrase.to_ascii_lowercase();
    lower
        .split(|c: char| !(c.is_alphanumeric() || c == '*'))
        .filter(|w| !w.is_empty() && *w != "*" && !STOPWORDS.contains(w))
        .map(WordPattern::parse)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_byte_spans_and_breaks() {
        let t = Tokenized::new("BREAST, LEFT: carcinoma. 1.2 cm\n\n2. Node");
        let words: Vec<&str> = (0..t.tokens.len()).map(|i| t.word(i)).collect();
        assert_eq!(
            words,
            ["breast", "left", "carcinoma", "1", "2", "cm", "2", "node"]
        );
        assert_eq!(&t.text[t.span(2, 3)], "carcinoma");
        assert!(t.tokens[1].comma);
        assert!(t.tokens[3].clause_break, "'. ' ends a sentence");
        assert!(!t.tokens[4].clause_break, "a decimal point does not");
        assert!(
            t.tokens[6].enumerator,
            "'2.' after a blank line starts a part"
        );
        assert_eq!(t.part(7), 6..8);
        assert_eq!(t.part(0), 0..6);
    }

    #[test]
    fn longest_whole_word_match_wins() {
        let mut idx = PhraseIndex::default();
        idx.insert("carcinoma", 1);
        idx.insert("ductal carcinoma in situ", 2);
        idx.insert("ca", 3);
        idx.insert("*sarcoma*", 4);
        idx.insert("=CLL", 5);
        let t = Tokenized::new("Ductal carcinoma in-situ; sella turcica; liposarcomas; cll; CLL");
        let found: Vec<(i32, &str)> = idx
            .find_all(&t)
            .iter()
            .map(|m| (*m.value, &t.text[m.span.clone()]))
            .collect();
        assert_eq!(
            found,
            [
                (2, "Ductal carcinoma in-situ"),
                (4, "liposarcomas"),
                (5, "CLL")
            ]
        );
    }

    #[test]
    fn stopwords_are_skipped() {
        let mut idx = PhraseIndex::default();
        idx.insert("adenocarcinoma arising in tubular adenoma", 8210);
        let t = Tokenized::new("adenocarcinoma arising in a tubular adenoma");
        assert_eq!(idx.find_all(&t).len(), 1);
    }
}
