//! The edit engine: what a rule is, the facts of one tumor the checks read, and how a rule is run.
//!
//! A rule is data ([`EditRule`]); its check is either a Rust function over [`Tumor`] or one of the
//! small declarative conditions of [`Check`]. The rule table itself is in `rules.rs`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use chrono::NaiveDate;

use super::{EditFailure, RecordView};
use crate::domain::codes::CodeList;
use crate::domain::date::PartialDate;
use crate::domain::naaccr::RecordType;

/// How serious a failed edit is: an error blocks a submission, a warning asks for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Must be corrected (or overridden, where the edit has an override item) before submission.
    Error,
    /// Unusual; the registrar reviews it.
    Warning,
}

impl Severity {
    /// "error" or "warning", as shown in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// The standard setter whose rule an edit implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Agency {
    /// NAACCR data standards (Volume II) and the NAACCR edits metafile.
    Naaccr,
    /// SEER coding rules and SEER edits.
    Seer,
    /// Commission on Cancer (STORE), hospital registries.
    Coc,
    /// CDC's National Program of Cancer Registries.
    Npcr,
    /// A rule of this application (a consistency check no standard edit names).
    Registrar,
}

impl Agency {
    /// The agency's usual short name.
    pub fn as_str(self) -> &'static str {
        match self {
            Agency::Naaccr => "NAACCR",
            Agency::Seer => "SEER",
            Agency::Coc => "CoC",
            Agency::Npcr => "NPCR",
            Agency::Registrar => "Registrar",
        }
    }
}

/// The edit sets a rule belongs to (a bit set over [`EditSet::Incidence`] and [`EditSet::Hospital`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EditSets(u8);

impl EditSets {
    /// Central registry incidence submissions (NAACCR call for data, NPCR, SEER).
    pub const INCIDENCE: EditSets = EditSets(1);
    /// Hospital registry abstracts (CoC / NCDB).
    pub const HOSPITAL: EditSets = EditSets(2);
    /// Both sets.
    pub const BOTH: EditSets = EditSets(3);

    /// Whether a run with `set` includes rules of these sets.
    pub fn includes(self, set: EditSet) -> bool {
        match set {
            EditSet::All => true,
            EditSet::Incidence => self.0 & Self::INCIDENCE.0 != 0,
            EditSet::Hospital => self.0 & Self::HOSPITAL.0 != 0,
        }
    }
}

/// The edit set a run selects, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EditSet {
    /// "incidence": what a central registry runs before a NAACCR incidence submission.
    Incidence,
    /// "hospital": what a hospital registry runs on its abstracts (CoC items included).
    Hospital,
    /// "all": every rule.
    All,
}

impl EditSet {
    /// Parses "incidence", "hospital" or "all" (case-insensitive).
    pub fn parse(name: &str) -> Option<EditSet> {
        match name.trim().to_ascii_lowercase().as_str() {
            "incidence" | "central" => Some(EditSet::Incidence),
            "hospital" => Some(EditSet::Hospital),
            "all" => Some(EditSet::All),
            _ => None,
        }
    }

    /// The set's name as [`EditSet::parse`] accepts it.
    pub fn as_str(self) -> &'static str {
        match self {
            EditSet::Incidence => "incidence",
            EditSet::Hospital => "hospital",
            EditSet::All => "all",
        }
    }
}

/// All record types.
pub const ALL_TYPES: &[RecordType] = &[RecordType::A, RecordType::M, RecordType::C, RecordType::I];
/// Record types that carry the text items (Text--*).
pub const TEXT_TYPES: &[RecordType] = &[RecordType::A, RecordType::M];
/// Record types that carry confidential items (names, addresses).
pub const CONFIDENTIAL_TYPES: &[RecordType] = &[RecordType::A, RecordType::M, RecordType::C];

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The record passes (or the edit does not apply to it).
    Pass,
    /// The record fails; the rule's message says why.
    Fail,
    /// The record fails; the text (e.g. the offending values) is appended to the rule's message.
    FailWith(String),
}

impl Verdict {
    /// Fails when `failed` is true.
    pub fn fail_if(failed: bool) -> Verdict {
        if failed { Verdict::Fail } else { Verdict::Pass }
    }
}

/// A small declarative condition over one item's value (blank values are the code "").
#[derive(Debug, Clone, Copy)]
pub enum Cond {
    /// The value is one of the codes ("" stands for blank).
    Is(&'static str, &'static [&'static str]),
    /// The value is not blank.
    Present(&'static str),
    /// The value is blank.
    Blank(&'static str),
    /// The value is a whole number within the range (inclusive); blank or non-numeric is false.
    Between(&'static str, u32, u32),
    /// Every item is blank.
    AllBlank(&'static [&'static str]),
}

impl Cond {
    fn holds(&self, tumor: &Tumor<'_>) -> bool {
        match *self {
            Cond::Is(item, codes) => {
                let value = tumor.get(item).unwrap_or("");
                codes.contains(&value)
            }
            Cond::Present(item) => tumor.get(item).is_some(),
            Cond::Blank(item) => tumor.get(item).is_none(),
            Cond::Between(item, low, high) => tumor
                .number(item)
                .is_some_and(|n| (low..=high).contains(&n)),
            Cond::AllBlank(items) => items.iter().all(|i| tumor.get(i).is_none()),
        }
    }
}

/// What a rule checks.
#[derive(Clone, Copy)]
pub enum Check {
    /// A Rust function over the tumor's facts.
    Fn(fn(&Tumor<'_>) -> Verdict),
    /// The item's value, when not blank, is a code of the list (blanks are the required edits' job).
    CodeValid(&'static CodeList),
    /// The item, when not blank, is a valid CCYY, CCYYMM or CCYYMMDD date.
    DateFormat(&'static str),
    /// The first date is not certainly after the second (blank or invalid dates pass; partial
    /// dates fail only when every day they could stand for is out of order).
    DateOrder(&'static str, &'static str),
    /// The date is not certainly after the run's `today`.
    NotFuture(&'static str),
    /// The item (first of the rule's items) or one of these alternatives (other NAACCR versions'
    /// names) is not blank; only for diagnoses in or after `from_year` when one is given.
    Required {
        /// Other naaccrIds that carry the same fact (e.g. v25 `sex` for v26 `sexAssignedAtBirth`).
        alternatives: &'static [&'static str],
        /// First diagnosis year the item is required for.
        from_year: Option<u16>,
    },
    /// When the first condition holds, the second must hold.
    IfThen(Cond, Cond),
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Check::Fn(_) => f.write_str("Fn"),
            Check::CodeValid(list) => write!(f, "CodeValid({})", list.naaccr_id),
            Check::DateFormat(item) => write!(f, "DateFormat({item})"),
            Check::DateOrder(a, b) => write!(f, "DateOrder({a}, {b})"),
            Check::NotFuture(item) => write!(f, "NotFuture({item})"),
            Check::Required {
                alternatives,
                from_year,
            } => {
                write!(f, "Required({alternatives:?}, {from_year:?})")
            }
            Check::IfThen(a, b) => write!(f, "IfThen({a:?}, {b:?})"),
        }
    }
}

/// One edit: who defines it, what it checks, which items it names, and when it runs.
#[derive(Debug, Clone)]
pub struct EditRule {
    /// Stable identifier shown in reports (e.g. "RG-X01", "VAL-laterality").
    pub id: Cow<'static, str>,
    /// Short title, in the NAACCR style "Item, Item (what)".
    pub name: Cow<'static, str>,
    /// The standard setter whose rule this implements.
    pub agency: Agency,
    /// Error or warning.
    pub severity: Severity,
    /// What the registrar reads when the edit fails; names the items and their numbers.
    pub message: Cow<'static, str>,
    /// The naaccrIds the edit reads (shown next to the failure so the form can highlight them).
    pub items: Vec<&'static str>,
    /// The NAACCR record types the edit applies to.
    pub record_types: &'static [RecordType],
    /// The edit sets the rule belongs to.
    pub sets: EditSets,
    /// The NAACCR over-ride item that, when set (any value but blank and 0), silences the edit.
    pub override_item: Option<&'static str>,
    /// The check.
    pub check: Check,
}

impl EditRule {
    /// A rule with its identity; the builder methods below fill in the rest.
    pub fn new(
        id: impl Into<Cow<'static, str>>,
        agency: Agency,
        severity: Severity,
        name: impl Into<Cow<'static, str>>,
    ) -> EditRule {
        EditRule {
            id: id.into(),
            name: name.into(),
            agency,
            severity,
            message: Cow::Borrowed(""),
            items: Vec::new(),
            record_types: ALL_TYPES,
            sets: EditSets::BOTH,
            override_item: None,
            check: Check::Fn(|_| Verdict::Pass),
        }
    }

    /// Sets the items the edit reads.
    pub fn items(mut self, items: &[&'static str]) -> EditRule {
        self.items = items.to_vec();
        self
    }

    /// Sets the message.
    pub fn message(mut self, message: impl Into<Cow<'static, str>>) -> EditRule {
        self.message = message.into();
        self
    }

    /// Restricts the rule to these record types.
    pub fn record_types(mut self, record_types: &'static [RecordType]) -> EditRule {
        self.record_types = record_types;
        self
    }

    /// Restricts the rule to these edit sets.
    pub fn sets(mut self, sets: EditSets) -> EditRule {
        self.sets = sets;
        self
    }

    /// Names the over-ride item.
    pub fn override_item(mut self, item: &'static str) -> EditRule {
        self.override_item = Some(item);
        self
    }

    /// Sets the check.
    pub fn check(mut self, check: Check) -> EditRule {
        self.check = check;
        self
    }

    /// Whether the rule runs for this record type and edit set.
    pub fn applies_to(&self, record_type: RecordType, set: EditSet) -> bool {
        self.sets.includes(set) && self.record_types.contains(&record_type)
    }

    /// Runs the rule on one tumor; `None` when it passes or is overridden.
    pub fn run(&self, tumor: &Tumor<'_>) -> Option<EditFailure> {
        if let Some(item) = self.override_item
            && tumor.get(item).is_some_and(|v| v != "0")
        {
            return None;
        }
        let detail = match self.evaluate(tumor) {
            Verdict::Pass => return None,
            Verdict::Fail => None,
            Verdict::FailWith(detail) => Some(detail),
        };
        let message = match detail {
            Some(detail) => format!("{} ({detail})", self.message),
            None => self.message.to_string(),
        };
        Some(EditFailure {
            edit_id: self.id.to_string(),
            severity: self.severity,
            items: self.items.iter().map(|i| (*i).to_string()).collect(),
            message,
        })
    }

    fn evaluate(&self, tumor: &Tumor<'_>) -> Verdict {
        match self.check {
            Check::Fn(f) => f(tumor),
            Check::CodeValid(list) => match tumor.get(list.naaccr_id) {
                Some(value) if !list.is_valid(value) => {
                    Verdict::FailWith(format!("value '{value}'"))
                }
                _ => Verdict::Pass,
            },
            Check::DateFormat(item) => match tumor.get(item) {
                Some(value) if tumor.date(item).is_none() => {
                    Verdict::FailWith(format!("value '{value}'"))
                }
                _ => Verdict::Pass,
            },
            Check::DateOrder(first, then) => match (tumor.date(first), tumor.date(then)) {
                (Some(a), Some(b)) if a.is_certainly_after(&b) => {
                    Verdict::FailWith(format!("{} is after {}", a.display_iso(), b.display_iso()))
                }
                _ => Verdict::Pass,
            },
            Check::NotFuture(item) => match tumor.date(item) {
                Some(d) if d.earliest() > tumor.today => Verdict::FailWith(format!(
                    "{} is after today, {}",
                    d.display_iso(),
                    tumor.today
                )),
                _ => Verdict::Pass,
            },
            Check::Required {
                alternatives,
                from_year,
            } => {
                if let Some(year) = from_year
                    && tumor.dx.is_none_or(|dx| dx.year() < year)
                {
                    return Verdict::Pass;
                }
                let present = self
                    .items
                    .iter()
                    .chain(alternatives)
                    .any(|i| tumor.get(i).is_some());
                Verdict::fail_if(!present)
            }
            Check::IfThen(when, then) => Verdict::fail_if(when.holds(tumor) && !then.holds(tumor)),
        }
    }
}

/// The date items the engine parses once per tumor (every date the rules read).
pub const DATE_ITEMS: &[&str] = &[
    "dateOfBirth",
    "dateOfDiagnosis",
    "dateOf1stContact",
    "dateOfLastContact",
    "dateConclusiveDx",
    "dateOfMultTumors",
    "dateOfInptAdm",
    "dateOfInptDisch",
    "rxDateSurgery",
    "rxDateMostDefinSurg",
    "rxDateSurgicalDisch",
    "rxDateRadiation",
    "rxDateRadiationEnded",
    "rxDateChemo",
    "rxDateHormone",
    "rxDateBrm",
    "rxDateOther",
    "rxDateSystemic",
    "rxDateDxStgProc",
    "dateInitialRxSeer",
    "date1stCrsRxCoc",
    "dateRegionalLNDissection",
    "dateSentinelLymphNodeBiopsy",
    "dateOfLastCancerStatus",
    "dateCaseCompleted",
];

/// Hashes a naaccrId by its length and its first and last 8 bytes: O(1) per lookup. naaccrIds
/// differ within those bytes almost always; a collision only costs one more comparison.
#[derive(Default)]
struct NaaccrIdHasher(u64);

impl Hasher for NaaccrIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let word = |chunk: &[u8]| {
            let mut buf = [0u8; 8];
            for (b, c) in buf.iter_mut().zip(chunk) {
                *b = *c;
            }
            u64::from_le_bytes(buf)
        };
        let head = word(bytes);
        let tail = word(bytes.get(bytes.len().saturating_sub(8)..).unwrap_or(&[]));
        let mixed = (head ^ tail.rotate_left(29) ^ (bytes.len() as u64).rotate_left(53) ^ self.0)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = mixed ^ (mixed >> 31);
    }
}

/// Every item a rule may read, with its slot in [`Tumor`]'s value table (dates first, in
/// [`DATE_ITEMS`] order). Items outside it are still read, straight from the view.
struct SlotIndex {
    slots: HashMap<&'static str, usize, BuildHasherDefault<NaaccrIdHasher>>,
    names: Vec<&'static str>,
}

fn slot_index() -> &'static SlotIndex {
    static INDEX: OnceLock<SlotIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index = SlotIndex {
            slots: HashMap::default(),
            names: Vec::new(),
        };
        let core = [
            "sexAssignedAtBirth",
            "sex",
            "primarySite",
            "histologicTypeIcdO3",
            "behaviorCodeIcdO3",
        ];
        let rule_items = super::all_rules()
            .iter()
            .flat_map(|r| r.items.iter().copied().chain(r.override_item));
        for name in DATE_ITEMS.iter().copied().chain(core).chain(rule_items) {
            if !index.slots.contains_key(name) {
                index.slots.insert(name, index.names.len());
                index.names.push(name);
            }
        }
        index
    })
}

/// A value as the edits see it: trimmed, blank = absent.
fn clean(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// One tumor with its patient items, as the checks see it: raw values by naaccrId (read from the
/// view once), plus the facts most rules need, parsed once.
pub struct Tumor<'a> {
    view: &'a dyn RecordView,
    index: &'static SlotIndex,
    values: Vec<Option<&'a str>>,
    /// The day the edits run (future-date edits compare with it).
    pub today: NaiveDate,
    dates: [Option<PartialDate>; DATE_ITEMS.len()],
    /// Date of Diagnosis [390], when valid.
    pub dx: Option<PartialDate>,
    /// Primary Site [400] as its number (C504 → 504), when well formed.
    pub site: Option<u16>,
    /// Histologic Type ICD-O-3 [522], when 4 digits.
    pub histology: Option<u16>,
    /// Behavior Code ICD-O-3 [523], when 1 digit.
    pub behavior: Option<u8>,
    /// Sex Assigned at Birth [225] (v26), or Sex [220] (v25 and earlier).
    pub sex: Option<&'a str>,
}

impl<'a> Tumor<'a> {
    /// Reads the facts of one record.
    pub fn new(view: &'a dyn RecordView, today: NaiveDate) -> Tumor<'a> {
        let index = slot_index();
        let mut values: Vec<Option<&'a str>> = vec![None; index.names.len()];
        // One pass over the record's own values when the view can list them (a record holds a few
        // dozen items; the rules ask about a few hundred, most of them absent).
        let listed = view.for_each_value(&mut |id, value| {
            if let Some(slot) = index.slots.get(id).and_then(|&s| values.get_mut(s)) {
                *slot = clean(Some(value));
            }
        });
        if !listed {
            for (slot, name) in values.iter_mut().zip(&index.names) {
                *slot = clean(view.value(name));
            }
        }
        let mut tumor = Tumor {
            view,
            index,
            values,
            today,
            dates: [None; DATE_ITEMS.len()],
            dx: None,
            site: None,
            histology: None,
            behavior: None,
            sex: None,
        };
        for (i, item) in DATE_ITEMS.iter().enumerate() {
            let date = tumor.get(item).and_then(parse_naaccr_date);
            if let Some(slot) = tumor.dates.get_mut(i) {
                *slot = date;
            }
        }
        tumor.dx = tumor.date("dateOfDiagnosis");
        tumor.site = tumor.get("primarySite").and_then(site_number);
        tumor.histology = tumor
            .get("histologicTypeIcdO3")
            .and_then(|v| fixed_digits(v, 4))
            .and_then(|n| u16::try_from(n).ok());
        tumor.behavior = tumor
            .get("behaviorCodeIcdO3")
            .and_then(|v| fixed_digits(v, 1))
            .and_then(|n| u8::try_from(n).ok());
        tumor.sex = tumor.get("sexAssignedAtBirth").or_else(|| tumor.get("sex"));
        tumor
    }

    /// The item's value, trimmed; `None` when absent or blank.
    pub fn get(&self, item: &str) -> Option<&'a str> {
        match self.index.slots.get(item) {
            Some(&slot) => self.values.get(slot).copied().flatten(),
            None => clean(self.view.value(item)),
        }
    }

    /// Whether the item's value is one of the codes.
    pub fn is(&self, item: &str, codes: &[&str]) -> bool {
        self.get(item).is_some_and(|v| codes.contains(&v))
    }

    /// The item's value as a whole number (all digits), if it is one.
    pub fn number(&self, item: &str) -> Option<u32> {
        let value = self.get(item)?;
        fixed_digits(value, value.len())
    }

    /// A date item, when present and valid (only the items of [`DATE_ITEMS`] are known).
    pub fn date(&self, item: &str) -> Option<PartialDate> {
        // Date items hold the first slots, in DATE_ITEMS order.
        let slot = *self.index.slots.get(item)?;
        self.dates.get(slot).copied().flatten()
    }

    /// Primary site within C`low`..C`high` (numbers, e.g. 600..=639 for C60-C63).
    pub fn site_in(&self, low: u16, high: u16) -> bool {
        self.site.is_some_and(|s| (low..=high).contains(&s))
    }

    /// Histology within the range (inclusive).
    pub fn histology_in(&self, low: u16, high: u16) -> bool {
        self.histology.is_some_and(|h| (low..=high).contains(&h))
    }

    /// Age at Diagnosis [230] in years, when a known age (000-120).
    pub fn age(&self) -> Option<u32> {
        self.number("ageAtDiagnosis").filter(|a| *a <= 120)
    }

    /// The raw primary site code (e.g. "C504").
    pub fn primary_site(&self) -> Option<&'a str> {
        self.get("primarySite")
    }
}

/// Parses a date as NAACCR transmits it (digits only: CCYY, CCYYMM, CCYYMMDD); anything else is `None`.
fn parse_naaccr_date(value: &str) -> Option<PartialDate> {
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    PartialDate::parse(value).ok()
}

/// The number of a primary site code "Cnnn".
pub fn site_number(code: &str) -> Option<u16> {
    let digits = code.strip_prefix('C').or_else(|| code.strip_prefix('c'))?;
    fixed_digits(digits, 3).and_then(|n| u16::try_from(n).ok())
}

/// A value of exactly `width` ASCII digits as a number.
fn fixed_digits(value: &str, width: usize) -> Option<u32> {
    if value.len() != width || width == 0 || width > 9 || !value.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    value.parse().ok()
}
