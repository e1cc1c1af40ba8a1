//! Compiled decision tables: cells parsed once at load time into ranges, rows matched
//! with the reference engine's rules (first matching row wins).

use std::cmp::Ordering;
use std::collections::HashMap;

/// Index of a context key in the algorithm's key space.
pub(crate) type KeyId = u32;
/// Index of a table in the algorithm.
pub(crate) type TableIdx = u32;

/// Read access to the values a table is matched against.
pub(crate) trait Values {
    /// The value of `key`, `None` when the key is not present at all.
    fn value(&self, key: KeyId) -> Option<&str>;
}

/// Working context of one staging run: one slot per key of the algorithm.
pub(crate) struct Context<'a> {
    slots: Vec<Option<&'a str>>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(key_count: usize) -> Self {
        Context {
            slots: vec![None; key_count],
        }
    }

    pub(crate) fn get(&self, key: KeyId) -> Option<&'a str> {
        self.slots.get(key as usize).copied().flatten()
    }

    pub(crate) fn set(&mut self, key: KeyId, value: &'a str) {
        if let Some(slot) = self.slots.get_mut(key as usize) {
            *slot = Some(value);
        }
    }

    pub(crate) fn remove(&mut self, key: KeyId) {
        if let Some(slot) = self.slots.get_mut(key as usize) {
            *slot = None;
        }
    }

    pub(crate) fn contains(&self, key: KeyId) -> bool {
        self.get(key).is_some()
    }

    /// Keys currently present, in key order.
    pub(crate) fn present_keys(&self) -> impl Iterator<Item = KeyId> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_some())
            .map(|(i, _)| i as KeyId)
    }
}

impl Values for Context<'_> {
    fn value(&self, key: KeyId) -> Option<&str> {
        self.get(key)
    }
}

/// A few key/value pairs (schema lookups, single-code validation).
pub(crate) struct PairValues<'a>(pub(crate) Vec<(KeyId, &'a str)>);

impl Values for PairValues<'_> {
    fn value(&self, key: KeyId) -> Option<&str> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

/// A literal string or a `{{key}}` reference resolved against the context.
#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Literal(Box<str>),
    Reference(KeyId),
}

impl Operand {
    /// Resolves the operand; a reference to an absent key is blank, as in the reference engine.
    pub(crate) fn resolve<'v, V: Values + ?Sized>(&'v self, values: &'v V) -> &'v str {
        match self {
            Operand::Literal(s) => s,
            Operand::Reference(k) => values.value(*k).unwrap_or(""),
        }
    }
}

/// One comma-separated part of an INPUT cell.
#[derive(Debug, Clone)]
pub(crate) enum Range {
    /// `*`: matches anything, including blank and absent.
    All,
    /// A single value (low == high) of at most 15 bytes, packed for a one-word comparison.
    Short(u128),
    /// A longer single value: exact string equality.
    Exact(Box<str>),
    /// Same-length ASCII bounds of at most 16 bytes, compared as big-endian words.
    ShortText { low: u128, high: u128, len: u8 },
    /// Same-length string bounds compared character by character.
    Text { low: Box<str>, high: Box<str> },
    /// Numeric bounds compared as 32-bit floats.
    Number { low: f32, high: f32, decimals: bool },
    /// Bounds that use `{{key}}` references, evaluated per run.
    Dynamic { low: Operand, high: Operand },
}

impl Range {
    fn contains<V: Values + ?Sized>(&self, probe: &mut Probe<'_>, values: &V) -> bool {
        let value = probe.text;
        match self {
            Range::All => true,
            Range::Short(packed) => probe.packed == Some(*packed),
            Range::Exact(s) => **s == *value,
            Range::ShortText { low, high, len } => match probe.big_endian(*len) {
                Some(v) => v >= *low && v <= *high,
                None => false,
            },
            Range::Text { low, high } => text_in_range(low, high, value),
            Range::Number {
                low,
                high,
                decimals,
            } => match probe.number() {
                Some((n, has_point)) => (*decimals || !has_point) && n >= *low && n <= *high,
                None => false,
            },
            Range::Dynamic { low, high } => {
                general_contains(low.resolve(values), high.resolve(values), value)
            }
        }
    }

    fn exact(&self) -> Option<String> {
        match self {
            Range::Exact(s) => Some(s.to_string()),
            Range::Short(p) => Some(unpack(*p)),
            _ => None,
        }
    }
}

/// Packs a string of at most 15 bytes with its length into one word.
fn pack(s: &str) -> Option<u128> {
    let bytes = s.as_bytes();
    if bytes.len() > 15 {
        return None;
    }
    let mut buf = [0u8; 16];
    buf.get_mut(..bytes.len())?.copy_from_slice(bytes);
    buf[15] = bytes.len() as u8;
    Some(u128::from_le_bytes(buf))
}

fn unpack(packed: u128) -> String {
    let buf = packed.to_le_bytes();
    let len = (buf[15] as usize).min(15);
    String::from_utf8_lossy(buf.get(..len).unwrap_or(&[])).into_owned()
}

/// Big-endian word of an ASCII string of at most 16 bytes (same order as the bytes).
fn big_endian(s: &str) -> Option<u128> {
    let bytes = s.as_bytes();
    if bytes.len() > 16 || !s.is_ascii() {
        return None;
    }
    let mut buf = [0u8; 16];
    buf.get_mut(..bytes.len())?.copy_from_slice(bytes);
    Some(u128::from_be_bytes(buf))
}

/// A value being matched, with its packed form and number parsed at most once.
pub(crate) struct Probe<'v> {
    text: &'v str,
    packed: Option<u128>,
    number: Option<Option<(f32, bool)>>,
    big_endian: Option<Option<u128>>,
}

impl<'v> Probe<'v> {
    fn new(text: &'v str) -> Self {
        Probe {
            text,
            packed: pack(text),
            number: None,
            big_endian: None,
        }
    }

    /// The value as a big-endian word when it is ASCII and `len` bytes long.
    fn big_endian(&mut self, len: u8) -> Option<u128> {
        if self.text.len() != usize::from(len) {
            return None;
        }
        let text = self.text;
        *self.big_endian.get_or_insert_with(|| big_endian(text))
    }

    /// The value as a number (and whether it has a decimal point), if parsable.
    fn number(&mut self) -> Option<(f32, bool)> {
        *self.number.get_or_insert_with(|| {
            if is_parsable(self.text) {
                self.text
                    .parse::<f32>()
                    .ok()
                    .map(|n| (n, self.text.contains('.')))
            } else {
                None
            }
        })
    }
}

/// The reference engine's range test on resolved bounds.
fn general_contains(low: &str, high: &str, value: &str) -> bool {
    if low != high && is_parsable(low) && is_parsable(high) {
        let decimals = low.contains('.') || high.contains('.');
        return match (low.parse::<f32>(), high.parse::<f32>()) {
            (Ok(l), Ok(h)) => number_in_range(l, h, decimals, value),
            _ => false,
        };
    }
    text_in_range(low, high, value)
}

fn number_in_range(low: f32, high: f32, decimals: bool, value: &str) -> bool {
    if !is_parsable(value) || (!decimals && value.contains('.')) {
        return false;
    }
    match value.parse::<f32>() {
        Ok(v) => v >= low && v <= high,
        Err(_) => false,
    }
}

/// Bounds and value must have the same length; then lexical comparison (UTF-16 units, as Java does).
fn text_in_range(low: &str, high: &str, value: &str) -> bool {
    if low.is_ascii() && high.is_ascii() && value.is_ascii() {
        return low.len() == high.len()
            && low.len() == value.len()
            && low <= value
            && high >= value;
    }
    let (l, h, v): (Vec<u16>, Vec<u16>, Vec<u16>) = (
        low.encode_utf16().collect(),
        high.encode_utf16().collect(),
        value.encode_utf16().collect(),
    );
    l.len() == h.len() && l.len() == v.len() && l.cmp(&v) != Ordering::Greater && h >= v
}

/// Apache commons-lang `NumberUtils.isParsable`: optional leading '-', digits, at most one
/// '.', not ending with '.'.
pub(crate) fn is_parsable(s: &str) -> bool {
    if s.is_empty() || s.ends_with('.') {
        return false;
    }
    let body = s.strip_prefix('-').unwrap_or(s);
    if body.is_empty() {
        return false;
    }
    let mut points = 0;
    for c in body.chars() {
        if c == '.' {
            points += 1;
            if points > 1 {
                return false;
            }
        } else if !c.is_ascii_digit() {
            return false;
        }
    }
    true
}

/// `{{key}}` detection exactly as the reference engine's template pattern.
pub(crate) fn reference_name(s: &str) -> Option<&str> {
    if s.len() >= 4 && s.starts_with("{{") && s.ends_with("}}") {
        let inner = &s[2..s.len() - 2];
        if !inner.contains('\n') && !inner.contains('\r') {
            return Some(inner);
        }
    }
    None
}

/// One INPUT cell of a row: the value matches if any range contains it.
#[derive(Debug, Clone)]
pub(crate) struct Cell(pub(crate) Vec<Range>);

impl Cell {
    fn matches<V: Values + ?Sized>(&self, value: Option<&str>, values: &V) -> bool {
        // An absent key matches like a blank value.
        let mut probe = Probe::new(value.unwrap_or(""));
        self.matches_probe(&mut probe, values)
    }

    fn matches_probe<V: Values + ?Sized>(&self, probe: &mut Probe<'_>, values: &V) -> bool {
        self.0.is_empty() || self.0.iter().any(|r| r.contains(probe, values))
    }
}

/// Parses one INPUT cell the way the reference engine splits values, interning `{{key}}`
/// references with `intern`.
pub(crate) fn parse_cell(text: &str, intern: &mut dyn FnMut(&str) -> KeyId) -> Cell {
    if text == "*" {
        return Cell(vec![Range::All]);
    }
    let mut ranges = Vec::new();
    for part in text.split(',') {
        let pieces: Vec<&str> = split_java(part, '-');
        if pieces.len() == 2 {
            let (low, high) = (pieces[0].trim(), pieces[1].trim());
            let numeric = is_parsable(low) && is_parsable(high);
            let low_ref = reference_name(low).is_some();
            let high_ref = reference_name(high).is_some();
            if low.len() == high.len() || numeric || low_ref || high_ref {
                ranges.push(compile_range(low, high, intern));
                continue;
            }
        }
        let whole = part.trim();
        ranges.push(compile_range(whole, whole, intern));
    }
    Cell(ranges)
}

/// Java `String.split(regex)` for a single character: trailing empty strings are dropped.
fn split_java(s: &str, sep: char) -> Vec<&str> {
    let mut parts: Vec<&str> = s.split(sep).collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    if parts.len() == 1 && parts.first().is_some_and(|p| p.is_empty()) && !s.is_empty() {
        // "-" alone: Java yields an empty array, which is not a range.
        parts.clear();
    }
    parts
}

fn operand(s: &str, intern: &mut dyn FnMut(&str) -> KeyId) -> Operand {
    match reference_name(s) {
        Some(name) => Operand::Reference(intern(name)),
        None => Operand::Literal(s.into()),
    }
}

fn compile_range(low: &str, high: &str, intern: &mut dyn FnMut(&str) -> KeyId) -> Range {
    if reference_name(low).is_some() || reference_name(high).is_some() {
        return Range::Dynamic {
            low: operand(low, intern),
            high: operand(high, intern),
        };
    }
    if low == high {
        return match pack(low) {
            Some(p) => Range::Short(p),
            None => Range::Exact(low.into()),
        };
    }
    if is_parsable(low)
        && is_parsable(high)
        && let (Ok(l), Ok(h)) = (low.parse::<f32>(), high.parse::<f32>())
    {
        return Range::Number {
            low: l,
            high: h,
            decimals: low.contains('.') || high.contains('.'),
        };
    }
    match (big_endian(low), big_endian(high)) {
        (Some(l), Some(h)) if low.len() == high.len() => Range::ShortText {
            low: l,
            high: h,
            len: low.len() as u8,
        },
        _ => Range::Text {
            low: low.into(),
            high: high.into(),
        },
    }
}

/// What a matched row does for one ENDPOINT column.
#[derive(Debug, Clone)]
pub(crate) enum EndpointKind {
    Value,
    Match,
    Jump(TableIdx),
    Error,
    Stop,
}

/// One ENDPOINT cell of a row.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) kind: EndpointKind,
    /// The ENDPOINT column's key (the result key).
    pub(crate) key: KeyId,
    /// `None` when the cell had no ':' part (a VALUE without value removes the key).
    pub(crate) value: Option<Operand>,
}

/// A parsed row: one cell per INPUT column, then the endpoints in column order.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) cells: Vec<Cell>,
    pub(crate) endpoints: Vec<Endpoint>,
}

/// Column kinds of the published format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnKind {
    Input,
    Endpoint,
    Description,
}

/// A column definition.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub(crate) key: String,
    pub(crate) kind: ColumnKind,
}

/// FNV-1a: the index keys are short codes, for which SipHash costs more than a scan.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvBuild = std::hash::BuildHasherDefault<Fnv>;

/// Row candidates by the exact values of one INPUT column (the most selective), for long tables.
#[derive(Debug, Clone, Default)]
struct FirstColumnIndex {
    /// Position of the indexed column among the INPUT columns.
    column: usize,
    exact: HashMap<Box<str>, Vec<u32>, FnvBuild>,
    /// Rows whose first cell is not a list of exact values (ranges, `*`, references).
    others: Vec<u32>,
}

/// Columns whose probe is cached while scanning a table.
const PROBES: usize = 8;

/// Tables shorter than this are scanned row by row.
const INDEX_MIN_ROWS: usize = 12;

/// A compiled table.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub(crate) id: String,
    pub(crate) columns: Vec<Column>,
    /// Keys of the INPUT columns, in column order (parallel to `Row::cells`).
    pub(crate) input_keys: Vec<KeyId>,
    pub(crate) rows: Vec<Row>,
    /// The published cells, kept for pick lists and descriptions.
    pub(crate) raw_rows: Vec<Vec<String>>,
    index: Option<FirstColumnIndex>,
}

impl Table {
    pub(crate) fn new(
        id: String,
        columns: Vec<Column>,
        input_keys: Vec<KeyId>,
        rows: Vec<Row>,
        raw_rows: Vec<Vec<String>>,
    ) -> Self {
        let mut table = Table {
            id,
            columns,
            input_keys,
            rows,
            raw_rows,
            index: None,
        };
        table.index = table.build_index();
        table
    }

    fn build_index(&self) -> Option<FirstColumnIndex> {
        if self.rows.len() < INDEX_MIN_ROWS || self.input_keys.is_empty() {
            return None;
        }
        let exact_only = |cell: Option<&Cell>| -> Option<Vec<String>> {
            let cell = cell?;
            let values: Option<Vec<String>> = cell.0.iter().map(Range::exact).collect();
            values.filter(|v| !v.is_empty())
        };
        // Index the column where most rows list exact values.
        let column = (0..self.input_keys.len())
            .max_by_key(|c| {
                let count = self
                    .rows
                    .iter()
                    .filter(|r| exact_only(r.cells.get(*c)).is_some())
                    .count();
                (count, usize::MAX - c)
            })
            .unwrap_or(0);
        let mut index = FirstColumnIndex {
            column,
            ..FirstColumnIndex::default()
        };
        for (i, row) in self.rows.iter().enumerate() {
            match exact_only(row.cells.get(column)) {
                Some(values) => {
                    for v in values {
                        let list = index.exact.entry(v.into_boxed_str()).or_default();
                        if list.last() != Some(&(i as u32)) {
                            list.push(i as u32);
                        }
                    }
                }
                None => index.others.push(i as u32),
            }
        }
        Some(index)
    }

    fn row_matches<'v, V: Values + ?Sized>(
        &self,
        row: &Row,
        values: &'v V,
        keys_to_match: Option<&[KeyId]>,
        probes: &mut [Option<Probe<'v>>; PROBES],
    ) -> bool {
        for (i, (key, cell)) in self.input_keys.iter().zip(row.cells.iter()).enumerate() {
            if keys_to_match.is_some_and(|keys| !keys.contains(key)) {
                continue;
            }
            let ok = match probes.get_mut(i) {
                // The value's packed form and number are computed once per column.
                Some(slot) => {
                    let probe =
                        slot.get_or_insert_with(|| Probe::new(values.value(*key).unwrap_or("")));
                    cell.matches_probe(probe, values)
                }
                None => cell.matches(values.value(*key), values),
            };
            if !ok {
                return false;
            }
        }
        true
    }

    /// Index of the first row whose INPUT cells all match; `keys_to_match` limits the columns tested.
    pub(crate) fn find_row<V: Values + ?Sized>(
        &self,
        values: &V,
        keys_to_match: Option<&[KeyId]>,
    ) -> Option<usize> {
        let indexed_key = self
            .index
            .as_ref()
            .and_then(|i| self.input_keys.get(i.column).copied());
        let indexed = match (&self.index, indexed_key) {
            (Some(index), Some(key)) if keys_to_match.is_none_or(|keys| keys.contains(&key)) => {
                Some((index, key))
            }
            _ => None,
        };
        let Some((index, key)) = indexed else {
            let mut probes = [const { None }; PROBES];
            return self
                .rows
                .iter()
                .position(|row| self.row_matches(row, values, keys_to_match, &mut probes));
        };
        let value = values.value(key).unwrap_or("");
        let mut probes = [const { None }; PROBES];
        let exact: &[u32] = index.exact.get(value).map(Vec::as_slice).unwrap_or(&[]);
        // Merge the two ascending candidate lists so the first matching row still wins.
        let (mut a, mut b) = (0, 0);
        loop {
            let next = match (exact.get(a), index.others.get(b)) {
                (Some(&x), Some(&y)) if x < y => {
                    a += 1;
                    x
                }
                (Some(_), Some(&y)) => {
                    b += 1;
                    y
                }
                (Some(&x), None) => {
                    a += 1;
                    x
                }
                (None, Some(&y)) => {
                    b += 1;
                    y
                }
                (None, None) => return None,
            };
            let row = self.rows.get(next as usize)?;
            if self.row_matches(row, values, keys_to_match, &mut probes) {
                return Some(next as usize);
            }
        }
    }

    /// Comma-separated input values of the table, for error messages (blank shown as `<blank>`).
    pub(crate) fn inputs_as_text<V: Values + ?Sized>(&self, values: &V) -> String {
        self.input_keys
            .iter()
            .map(|k| match values.value(*k).map(str::trim) {
                Some(v) if !v.is_empty() => v.to_string(),
                _ => "<blank>".to_string(),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Position of the first column of `kind` whose key is `key`.
    pub(crate) fn column_position(&self, key: &str, kind: ColumnKind) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.kind == kind && c.key == key)
    }

    /// Position of the first DESCRIPTION column.
    pub(crate) fn description_position(&self) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.kind == ColumnKind::Description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(text: &str) -> Cell {
        let mut names: Vec<String> = Vec::new();
        parse_cell(text, &mut |n: &str| {
            names.push(n.to_string());
            (names.len() - 1) as KeyId
        })
    }

    fn matches(text: &str, value: &str) -> bool {
        cell(text).matches(Some(value), &PairValues(vec![]))
    }

    #[test]
    fn numeric_ranges_compare_as_numbers_without_decimals() {
        assert!(matches("001-988", "5"));
        assert!(matches("001-988", "988"));
        assert!(!matches("001-988", "989"));
        assert!(!matches("001-988", "5.0"));
        assert!(matches("0.1-99.9", "5.5"));
        assert!(!matches("001-988", "XX8"));
    }

    #[test]
    fn text_ranges_need_equal_length() {
        assert!(matches("C150-C155", "C153"));
        assert!(!matches("C150-C155", "C15"));
        assert!(!matches("C150-C155", "C156"));
        assert!(matches("C700, C710-C719", "C700"));
        assert!(matches("C700, C710-C719", "C715"));
    }

    #[test]
    fn single_values_blank_and_wildcard() {
        assert!(matches("", ""));
        assert!(!matches("", "1"));
        assert!(matches("*", ""));
        assert!(matches("0,3,9", "3"));
        assert!(!matches("0,3,9", "03"));
        // A dash that is not a same-length range is a literal value.
        assert!(matches("N0(mol-)", "N0(mol-)"));
        assert!(matches("1,", ""));
    }

    #[test]
    fn context_references_resolve_at_match_time() {
        let c = cell("2018-{{ctx_year_current}},9999");
        let values = PairValues(vec![(0, "2025")]);
        assert!(c.matches(Some("2024"), &values));
        assert!(c.matches(Some("9999"), &values));
        assert!(!c.matches(Some("2026"), &values));
        assert!(!c.matches(Some("2017"), &values));
    }

    #[test]
    fn parsable_follows_commons_lang() {
        assert!(is_parsable("12"));
        assert!(is_parsable("-1.5"));
        assert!(is_parsable(".5"));
        assert!(!is_parsable("5."));
        assert!(!is_parsable("-"));
        assert!(!is_parsable("1e5"));
        assert!(!is_parsable(""));
    }
}
