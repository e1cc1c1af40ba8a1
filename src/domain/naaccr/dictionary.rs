//! NAACCR item dictionaries: which items exist, their number, length, level, data type,
//! record types and padding, per NAACCR version.
//!
//! The base dictionaries are the project's own compact tables (`tables/items-*.tsv`), produced by
//! [`generate_item_table`] from the NAACCR dictionary XML and checked in sync by a test. User
//! dictionaries (state- or registry-specific items) are NAACCR dictionary XML parsed at run time.
//!
//! `ItemDef` holds owned `String`s: base and user items share one type, user dictionaries are
//! parsed at run time, and the base tables are parsed only once per process (about 800 items each).

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use rustc_hash::FxHashMap;

/// Namespace of NAACCR data and dictionary files.
pub const NAACCR_NAMESPACE: &str = "http://naaccr.org/naaccrxml";

const BASE_URI_PREFIX: &str = "naaccr.org/naaccrxml/naaccr-dictionary-";
const USER_URI_PREFIX: &str = "naaccr.org/naaccrxml/user-defined-naaccr-dictionary-";

/// Versions recognised in a dictionary URI but for which the project keeps no table.
const KNOWN_UNSUPPORTED_VERSIONS: [&str; 9] = [
    "140", "150", "160", "190", "200", "210", "220", "230", "240",
];

/// A NAACCR base dictionary version the project holds an item table for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NaaccrVersion {
    /// NAACCR 18 (last version with a flat fixed-width layout).
    V180,
    /// NAACCR 25.
    V250,
    /// NAACCR 26 (current).
    V260,
}

impl NaaccrVersion {
    /// All versions, oldest first.
    pub const ALL: [NaaccrVersion; 3] = [Self::V180, Self::V250, Self::V260];

    /// The version as written in dictionaries and in item #50 (`"260"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V180 => "180",
            Self::V250 => "250",
            Self::V260 => "260",
        }
    }

    /// Parses `"180"`, `"250"` or `"260"`.
    pub fn from_version_str(version: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == version.trim())
    }

    /// URI of the base dictionary, as written in `baseDictionaryUri`.
    pub fn base_dictionary_uri(self) -> &'static str {
        match self {
            Self::V180 => "http://naaccr.org/naaccrxml/naaccr-dictionary-180.xml",
            Self::V250 => "http://naaccr.org/naaccrxml/naaccr-dictionary-250.xml",
            Self::V260 => "http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml",
        }
    }

    /// Specification version of the base dictionary (what a writer of this version emits by default).
    pub fn specification_version(self) -> &'static str {
        match self {
            Self::V180 => "1.5",
            Self::V250 | Self::V260 => "1.8",
        }
    }

    /// Version named by a base dictionary URI (`http(s)://naaccr.org/naaccrxml/naaccr-dictionary-260.xml`);
    /// `None` for any other URI, including versions without a project table (see [`Self::parse_dictionary_uri`]).
    pub fn from_dictionary_uri(uri: &str) -> Option<Self> {
        Self::parse_dictionary_uri(uri).ok()
    }

    /// Like [`Self::from_dictionary_uri`], with an error that says why a URI is not usable:
    /// versions 140–240 are recognised but rejected (their items differ from 180/250/260, so
    /// mapping them to a neighbouring table would misreport renamed and removed items).
    pub fn parse_dictionary_uri(uri: &str) -> Result<Self, DictionaryError> {
        let version =
            base_uri_version(uri).ok_or_else(|| DictionaryError::UnknownDictionaryUri {
                uri: uri.to_string(),
            })?;
        if let Some(v) = Self::from_version_str(version) {
            return Ok(v);
        }
        if KNOWN_UNSUPPORTED_VERSIONS.contains(&version) {
            return Err(DictionaryError::UnsupportedVersion {
                version: version.to_string(),
            });
        }
        Err(DictionaryError::UnknownDictionaryUri {
            uri: uri.to_string(),
        })
    }
}

impl fmt::Display for NaaccrVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The version part (`"260"`) of a base dictionary URI, if the URI has the NAACCR pattern.
fn base_uri_version(uri: &str) -> Option<&str> {
    let uri = uri.trim();
    let rest = uri
        .strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"))?;
    let version = rest.strip_prefix(BASE_URI_PREFIX)?.strip_suffix(".xml")?;
    (!version.is_empty() && version.bytes().all(|b| b.is_ascii_digit())).then_some(version)
}

/// True for a default user dictionary URI (`.../user-defined-naaccr-dictionary-210.xml`).
pub fn is_default_user_dictionary_uri(uri: &str) -> bool {
    let uri = uri.trim();
    uri.strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"))
        .and_then(|rest| rest.strip_prefix(USER_URI_PREFIX))
        .is_some()
}

/// The XML element an item belongs to (`parentXmlElement`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemLevel {
    /// Once per file (registry id, record type, version).
    NaaccrData,
    /// Once per patient (names, birth date, vital status...).
    Patient,
    /// Once per tumor (site, histology, stage, treatment...).
    Tumor,
}

impl ItemLevel {
    /// Name as in `parentXmlElement`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NaaccrData => "NaaccrData",
            Self::Patient => "Patient",
            Self::Tumor => "Tumor",
        }
    }

    /// Parses a `parentXmlElement` value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "NaaccrData" => Some(Self::NaaccrData),
            "Patient" => Some(Self::Patient),
            "Tumor" => Some(Self::Tumor),
            _ => None,
        }
    }
}

impl fmt::Display for ItemLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Data type of an item (`dataType`, default `text`). `DateTime` exists since specification 1.8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// Any characters.
    Text,
    /// Digits only, full length.
    Digits,
    /// Capital letters only, full length.
    Alpha,
    /// Capital letters and digits, full length.
    Mixed,
    /// Unsigned number, optional decimal part.
    Numeric,
    /// CCYY, CCYYMM or CCYYMMDD.
    Date,
    /// HL7 FHIR dateTime without second fractions (spec 1.8).
    DateTime,
}

impl DataType {
    /// Name as in `dataType`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Digits => "digits",
            Self::Alpha => "alpha",
            Self::Mixed => "mixed",
            Self::Numeric => "numeric",
            Self::Date => "date",
            Self::DateTime => "dateTime",
        }
    }

    /// Parses a `dataType` value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "text" => Some(Self::Text),
            "digits" => Some(Self::Digits),
            "alpha" => Some(Self::Alpha),
            "mixed" => Some(Self::Mixed),
            "numeric" => Some(Self::Numeric),
            "date" => Some(Self::Date),
            "dateTime" => Some(Self::DateTime),
            _ => None,
        }
    }

    /// Whether a value must fill the whole item length.
    pub fn requires_full_length(self) -> bool {
        matches!(self, Self::Digits | Self::Alpha | Self::Mixed)
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Padding rule (`padding`). Specification ≤1.6 has all five (default `rightBlank`);
/// 1.7+ only `none` (default) and `leftZero`. Blank padding only matters for flat files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Padding {
    /// No padding (1.7+ default).
    None,
    /// Right-justified, zero-filled ("Right justified, zero filled" in Vol II).
    LeftZero,
    /// Right-justified, blank-filled.
    LeftBlank,
    /// Left-justified, blank-filled (≤1.6 default).
    RightBlank,
    /// Left-justified, zero-filled.
    RightZero,
}

impl Padding {
    /// Name as in `padding`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::LeftZero => "leftZero",
            Self::LeftBlank => "leftBlank",
            Self::RightBlank => "rightBlank",
            Self::RightZero => "rightZero",
        }
    }

    /// Parses a `padding` value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(Self::None),
            "leftZero" => Some(Self::LeftZero),
            "leftBlank" => Some(Self::LeftBlank),
            "rightBlank" => Some(Self::RightBlank),
            "rightZero" => Some(Self::RightZero),
            _ => None,
        }
    }
}

/// NAACCR record type: A = full abstract, M = modified, C = confidential, I = incidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordType {
    /// Full case abstract (with text).
    A,
    /// Modified/correction record (same items as A).
    M,
    /// Confidential (identifiers, no text).
    C,
    /// Incidence (no confidential identifiers, no text).
    I,
}

impl RecordType {
    /// All record types.
    pub const ALL: [RecordType; 4] = [Self::A, Self::M, Self::C, Self::I];

    /// The one-letter code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::M => "M",
            Self::C => "C",
            Self::I => "I",
        }
    }

    /// Parses `"A"`, `"M"`, `"C"` or `"I"`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "A" => Some(Self::A),
            "M" => Some(Self::M),
            "C" => Some(Self::C),
            "I" => Some(Self::I),
            _ => None,
        }
    }

    /// Length of a NAACCR 18 flat line of this record type.
    pub fn flat_v18_line_length(self) -> usize {
        match self {
            Self::A | Self::M => 24194,
            Self::C => 6154,
            Self::I => 4048,
        }
    }

    fn bit(self) -> u8 {
        match self {
            Self::A => 1,
            Self::M => 2,
            Self::C => 4,
            Self::I => 8,
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of record types (`recordTypes="A,M,C,I"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RecordTypes(u8);

impl RecordTypes {
    /// The empty set.
    pub const NONE: RecordTypes = RecordTypes(0);

    /// Whether the set contains `record_type`.
    pub fn contains(self, record_type: RecordType) -> bool {
        self.0 & record_type.bit() != 0
    }

    /// The set plus `record_type`.
    pub fn with(self, record_type: RecordType) -> Self {
        RecordTypes(self.0 | record_type.bit())
    }

    /// Members in A, M, C, I order.
    pub fn iter(self) -> impl Iterator<Item = RecordType> {
        RecordType::ALL
            .into_iter()
            .filter(move |r| self.contains(*r))
    }

    /// Parses `"A,M,C,I"` (commas and spaces between codes are optional).
    pub fn parse(s: &str) -> Option<Self> {
        let mut set = RecordTypes::NONE;
        for c in s.chars().filter(|c| *c != ',' && !c.is_whitespace()) {
            set = set.with(RecordType::parse(c.encode_utf8(&mut [0; 4]))?);
        }
        Some(set)
    }
}

impl fmt::Display for RecordTypes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for r in self.iter() {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            f.write_str(r.as_str())?;
        }
        Ok(())
    }
}

/// Definition of one NAACCR data item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemDef {
    /// XML id, e.g. `primarySite`.
    pub naaccr_id: String,
    /// NAACCR item number, e.g. 400.
    pub number: u32,
    /// Name in Vol II, e.g. `Primary Site`.
    pub name: String,
    /// Maximum length in characters (exact length for digits/alpha/mixed).
    pub length: u32,
    /// Element the item belongs to.
    pub level: ItemLevel,
    /// Data type.
    pub data_type: DataType,
    /// Record types that carry the item.
    pub record_types: RecordTypes,
    /// Padding rule.
    pub padding: Padding,
    /// Whether flat values are trimmed when read (`trim="all"`, the default).
    pub trim: bool,
    /// Whether a text value may exceed `length` (specification ≤1.5 only).
    pub allow_unlimited_text: bool,
    /// First column (1-based) in the flat layout; only dictionaries ≤ 180 have it.
    pub start_column: Option<u32>,
}

/// Errors reading a dictionary or resolving a dictionary URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DictionaryError {
    /// The XML is not well-formed.
    #[error("dictionary XML is malformed at line {line}: {message}")]
    Xml {
        /// 1-based line.
        line: u64,
        /// Parser message.
        message: String,
    },
    /// The root element is not `NaaccrDictionary`.
    #[error("not a NAACCR dictionary: the root element is <{found}>, expected <NaaccrDictionary>")]
    NotADictionary {
        /// Root element found.
        found: String,
    },
    /// A required attribute is missing.
    #[error("dictionary attribute '{attribute}' is missing on {element}")]
    MissingAttribute {
        /// Element (e.g. `ItemDef 'myItem'`).
        element: String,
        /// Attribute name.
        attribute: &'static str,
    },
    /// An attribute has a value the specification does not allow.
    #[error("dictionary attribute '{attribute}' of {element} has invalid value '{value}'")]
    InvalidAttribute {
        /// Element (e.g. `ItemDef 'myItem'`).
        element: String,
        /// Attribute name.
        attribute: &'static str,
        /// Offending value.
        value: String,
    },
    /// Two item definitions share an id.
    #[error("item '{naaccr_id}' is defined twice in dictionary {uri}")]
    DuplicateId {
        /// Dictionary URI.
        uri: String,
        /// Repeated id.
        naaccr_id: String,
    },
    /// Two item definitions share a number.
    #[error("item number {number} is used by both '{first}' and '{second}' in dictionary {uri}")]
    DuplicateNumber {
        /// Dictionary URI.
        uri: String,
        /// Repeated number.
        number: u32,
        /// First item with the number.
        first: String,
        /// Second item with the number.
        second: String,
    },
    /// A user dictionary redefines an item of the base dictionary (id or number).
    #[error(
        "user dictionary {uri} defines '{naaccr_id}' (#{number}), which clashes with base dictionary {base} item '{base_id}'"
    )]
    ClashesWithBase {
        /// User dictionary URI.
        uri: String,
        /// User item id.
        naaccr_id: String,
        /// User item number.
        number: u32,
        /// Base version.
        base: NaaccrVersion,
        /// Base item it clashes with.
        base_id: String,
    },
    /// Two user dictionaries define the same id or number differently.
    #[error("user dictionaries {first_uri} and {second_uri} define item '{naaccr_id}' differently")]
    ClashesWithUser {
        /// Dictionary registered first.
        first_uri: String,
        /// Dictionary being added.
        second_uri: String,
        /// Item id (or the id using the clashing number).
        naaccr_id: String,
    },
    /// A base dictionary URI names a version without a project table.
    #[error(
        "NAACCR version {version} is recognised but not supported: this application holds dictionaries 180, 250 and 260; re-export the file as NAACCR 25 or 26"
    )]
    UnsupportedVersion {
        /// Version found in the URI.
        version: String,
    },
    /// The URI is not a NAACCR base dictionary URI.
    #[error(
        "'{uri}' is not a NAACCR base dictionary URI (expected http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml or similar)"
    )]
    UnknownDictionaryUri {
        /// URI found.
        uri: String,
    },
    /// A row of a committed item table could not be read (the table is corrupt).
    #[error("item table row {line} is invalid: {message}")]
    Table {
        /// 1-based row.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Items with lookups by id and by number; shared by base and user dictionaries.
#[derive(Debug, Clone, Default)]
struct ItemIndex {
    items: Vec<ItemDef>,
    /// Fx hashing: the keys are the dictionary's own ids, and exports and imports look up
    /// millions of items.
    by_id: FxHashMap<String, usize>,
    by_number: FxHashMap<u32, usize>,
}

impl ItemIndex {
    fn build(uri: &str, items: Vec<ItemDef>) -> Result<Self, DictionaryError> {
        let mut index = ItemIndex {
            by_id: FxHashMap::with_capacity_and_hasher(items.len(), Default::default()),
            by_number: FxHashMap::with_capacity_and_hasher(items.len(), Default::default()),
            items: Vec::with_capacity(items.len()),
        };
        for item in items {
            if index.by_id.contains_key(&item.naaccr_id) {
                return Err(DictionaryError::DuplicateId {
                    uri: uri.to_string(),
                    naaccr_id: item.naaccr_id,
                });
            }
            if let Some(first) = index
                .by_number
                .get(&item.number)
                .and_then(|&i| index.items.get(i))
            {
                return Err(DictionaryError::DuplicateNumber {
                    uri: uri.to_string(),
                    number: item.number,
                    first: first.naaccr_id.clone(),
                    second: item.naaccr_id,
                });
            }
            let position = index.items.len();
            index.by_id.insert(item.naaccr_id.clone(), position);
            index.by_number.insert(item.number, position);
            index.items.push(item);
        }
        Ok(index)
    }

    fn item(&self, naaccr_id: &str) -> Option<&ItemDef> {
        self.by_id.get(naaccr_id).and_then(|&i| self.items.get(i))
    }

    fn item_by_number(&self, number: u32) -> Option<&ItemDef> {
        self.by_number.get(&number).and_then(|&i| self.items.get(i))
    }
}

/// A NAACCR base dictionary (items of one NAACCR version).
#[derive(Debug, Clone)]
pub struct Dictionary {
    version: NaaccrVersion,
    index: ItemIndex,
}

const TABLE_180: &str = include_str!("tables/items-180.tsv");
const TABLE_250: &str = include_str!("tables/items-250.tsv");
const TABLE_260: &str = include_str!("tables/items-260.tsv");
const TABLE_USER_180: &str = include_str!("tables/items-user-180.tsv");

static BASE_180: LazyLock<Dictionary> =
    LazyLock::new(|| Dictionary::from_table(NaaccrVersion::V180));
static BASE_250: LazyLock<Dictionary> =
    LazyLock::new(|| Dictionary::from_table(NaaccrVersion::V250));
static BASE_260: LazyLock<Dictionary> =
    LazyLock::new(|| Dictionary::from_table(NaaccrVersion::V260));
static USER_180: LazyLock<UserDictionary> = LazyLock::new(|| {
    let (items, _) = parse_item_table(TABLE_USER_180);
    let uri = "http://naaccr.org/naaccrxml/user-defined-naaccr-dictionary-180.xml";
    UserDictionary {
        uri: uri.to_string(),
        naaccr_version: Some("180".to_string()),
        specification_version: "1.5".to_string(),
        index: ItemIndex::build(uri, items).unwrap_or_default(),
    }
});

/// Items whose surrounding spaces are part of the value (`trim="none"` in a shipped dictionary).
static KEEPS_SPACES: LazyLock<std::collections::HashSet<String>> = LazyLock::new(|| {
    NaaccrVersion::ALL
        .into_iter()
        .flat_map(|v| Dictionary::base(v).items())
        .chain(UserDictionary::default_flat_v18().items())
        .filter(|item| !item.trim)
        .map(|item| item.naaccr_id.clone())
        .collect()
});

/// Whether an item keeps its leading and trailing spaces (`trim="none"`, such as
/// `npcrSpecificField` and `stateRequestorItems`): storage must not trim it.
pub fn keeps_spaces(naaccr_id: &str) -> bool {
    KEEPS_SPACES.contains(naaccr_id)
}

impl Dictionary {
    /// The base dictionary of `version` (parsed once from the committed table).
    pub fn base(version: NaaccrVersion) -> &'static Dictionary {
        match version {
            NaaccrVersion::V180 => &BASE_180,
            NaaccrVersion::V250 => &BASE_250,
            NaaccrVersion::V260 => &BASE_260,
        }
    }

    fn table(version: NaaccrVersion) -> &'static str {
        match version {
            NaaccrVersion::V180 => TABLE_180,
            NaaccrVersion::V250 => TABLE_250,
            NaaccrVersion::V260 => TABLE_260,
        }
    }

    // The committed tables are generated and checked by tests (`base_tables_parse_without_error`),
    // so a bad row cannot ship; should one ever appear it is skipped rather than panicking.
    fn from_table(version: NaaccrVersion) -> Dictionary {
        let (items, _) = parse_item_table(Self::table(version));
        Dictionary {
            version,
            index: ItemIndex::build(version.base_dictionary_uri(), items).unwrap_or_default(),
        }
    }

    /// NAACCR version of this dictionary.
    pub fn version(&self) -> NaaccrVersion {
        self.version
    }

    /// URI of this dictionary.
    pub fn uri(&self) -> &'static str {
        self.version.base_dictionary_uri()
    }

    /// Item by XML id (`primarySite`).
    pub fn item(&self, naaccr_id: &str) -> Option<&ItemDef> {
        self.index.item(naaccr_id)
    }

    /// Item by NAACCR number (400).
    pub fn item_by_number(&self, number: u32) -> Option<&ItemDef> {
        self.index.item_by_number(number)
    }

    /// All items, in table order (by start column for 180, by id for 250/260).
    pub fn items(&self) -> impl Iterator<Item = &ItemDef> {
        self.index.items.iter()
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.index.items.len()
    }

    /// Whether the dictionary has no items.
    pub fn is_empty(&self) -> bool {
        self.index.items.is_empty()
    }
}

/// A user-defined dictionary (non-standard items referenced by `userDictionaryUri`).
#[derive(Debug, Clone)]
pub struct UserDictionary {
    uri: String,
    naaccr_version: Option<String>,
    specification_version: String,
    index: ItemIndex,
}

impl UserDictionary {
    /// Parses a NAACCR dictionary XML document (specification 1.0–1.8).
    pub fn parse(xml: &str) -> Result<UserDictionary, DictionaryError> {
        let parsed = parse_dictionary_xml(xml)?;
        let index = ItemIndex::build(&parsed.uri, parsed.items)?;
        Ok(UserDictionary {
            uri: parsed.uri,
            naaccr_version: parsed.naaccr_version,
            specification_version: parsed.specification_version,
            index,
        })
    }

    /// The NAACCR 18 default user dictionary (reserved columns, NPCR and state/requestor fields of
    /// the v18 flat layout), from the committed table.
    pub fn default_flat_v18() -> &'static UserDictionary {
        &USER_180
    }

    /// `dictionaryUri` of the dictionary.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// `naaccrVersion`, if the dictionary declares one.
    pub fn naaccr_version(&self) -> Option<&str> {
        self.naaccr_version.as_deref()
    }

    /// `specificationVersion` of the dictionary.
    pub fn specification_version(&self) -> &str {
        &self.specification_version
    }

    /// Item by XML id.
    pub fn item(&self, naaccr_id: &str) -> Option<&ItemDef> {
        self.index.item(naaccr_id)
    }

    /// Item by NAACCR number.
    pub fn item_by_number(&self, number: u32) -> Option<&ItemDef> {
        self.index.item_by_number(number)
    }

    /// All items, in document order.
    pub fn items(&self) -> impl Iterator<Item = &ItemDef> {
        self.index.items.iter()
    }
}

/// A base dictionary plus the user dictionaries of a file: the lookup readers and writers use.
#[derive(Debug, Clone)]
pub struct CombinedDictionary {
    base: &'static Dictionary,
    users: Vec<UserDictionary>,
}

impl CombinedDictionary {
    /// The base dictionary alone.
    pub fn new(base: &'static Dictionary) -> Self {
        CombinedDictionary {
            base,
            users: Vec::new(),
        }
    }

    /// Adds a user dictionary. Its items may not reuse a base id or number; an item already defined
    /// identically by another user dictionary is accepted (re-declaration), a different one is not.
    pub fn add_user(&mut self, user: UserDictionary) -> Result<(), DictionaryError> {
        for item in user.items() {
            let base_clash = self
                .base
                .item(&item.naaccr_id)
                .or_else(|| self.base.item_by_number(item.number));
            if let Some(base_item) = base_clash {
                return Err(DictionaryError::ClashesWithBase {
                    uri: user.uri.clone(),
                    naaccr_id: item.naaccr_id.clone(),
                    number: item.number,
                    base: self.base.version(),
                    base_id: base_item.naaccr_id.clone(),
                });
            }
            for other in &self.users {
                let clash = other
                    .item(&item.naaccr_id)
                    .or_else(|| other.item_by_number(item.number));
                if let Some(existing) = clash
                    && existing != item
                {
                    return Err(DictionaryError::ClashesWithUser {
                        first_uri: other.uri.clone(),
                        second_uri: user.uri.clone(),
                        naaccr_id: item.naaccr_id.clone(),
                    });
                }
            }
        }
        self.users.push(user);
        Ok(())
    }

    /// The base dictionary.
    pub fn base(&self) -> &'static Dictionary {
        self.base
    }

    /// The user dictionaries, in the order added.
    pub fn user_dictionaries(&self) -> &[UserDictionary] {
        &self.users
    }

    /// Item by XML id, base first, then user dictionaries.
    pub fn item(&self, naaccr_id: &str) -> Option<&ItemDef> {
        self.base
            .item(naaccr_id)
            .or_else(|| self.users.iter().find_map(|u| u.item(naaccr_id)))
    }

    /// Item by NAACCR number, base first, then user dictionaries.
    pub fn item_by_number(&self, number: u32) -> Option<&ItemDef> {
        self.base
            .item_by_number(number)
            .or_else(|| self.users.iter().find_map(|u| u.item_by_number(number)))
    }

    /// All items: base items, then each user dictionary's (a re-declared item appears once per dictionary).
    pub fn items(&self) -> impl Iterator<Item = &ItemDef> {
        self.base
            .items()
            .chain(self.users.iter().flat_map(|u| u.items()))
    }
}

/// A dictionary document as read from XML.
struct ParsedDictionary {
    uri: String,
    naaccr_version: Option<String>,
    specification_version: String,
    items: Vec<ItemDef>,
}

fn xml_error(xml: &str, position: u64, message: impl fmt::Display) -> DictionaryError {
    let end = usize::try_from(position)
        .unwrap_or(usize::MAX)
        .min(xml.len());
    let line = xml
        .as_bytes()
        .get(..end)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
    DictionaryError::Xml {
        line: line as u64 + 1,
        message: message.to_string(),
    }
}

/// Attribute values of an element, unescaped, by local name (namespaced attributes are ignored).
fn attributes_of(
    xml: &str,
    position: u64,
    e: &BytesStart<'_>,
) -> Result<HashMap<String, String>, DictionaryError> {
    let mut map = HashMap::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|err| xml_error(xml, position, err))?;
        if attr.key.prefix().is_some() {
            continue;
        }
        let key = attr.key.local_name().as_ref().to_string();
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|err| xml_error(xml, position, err))?;
        map.insert(key, value.into_owned());
    }
    Ok(map)
}

fn parse_dictionary_xml(xml: &str) -> Result<ParsedDictionary, DictionaryError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut root: Option<ParsedDictionary> = None;
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|err| xml_error(xml, reader.error_position(), err))?;
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let local = e.local_name();
                let name = local.as_ref().to_string();
                match (&mut root, name.as_str()) {
                    (None, "NaaccrDictionary") => {
                        let mut attrs = attributes_of(xml, position, &e)?;
                        let element = "NaaccrDictionary".to_string();
                        let uri = attrs.remove("dictionaryUri").ok_or(
                            DictionaryError::MissingAttribute {
                                element: element.clone(),
                                attribute: "dictionaryUri",
                            },
                        )?;
                        let specification_version = attrs.remove("specificationVersion").ok_or(
                            DictionaryError::MissingAttribute {
                                element,
                                attribute: "specificationVersion",
                            },
                        )?;
                        root = Some(ParsedDictionary {
                            uri,
                            naaccr_version: attrs.remove("naaccrVersion"),
                            specification_version,
                            items: Vec::new(),
                        });
                    }
                    (None, _) => return Err(DictionaryError::NotADictionary { found: name }),
                    (Some(dict), "ItemDef") => {
                        let attrs = attributes_of(xml, position, &e)?;
                        let item = item_def_from_attributes(&attrs, &dict.specification_version)?;
                        dict.items.push(item);
                    }
                    // ItemDefs wrapper; GroupedItemDefs (≤1.5) are flat-layout views over
                    // other items and carry no data of their own, so they are not kept.
                    (Some(_), _) => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    root.ok_or(DictionaryError::NotADictionary {
        found: "(nothing)".to_string(),
    })
}

/// Whether an id follows the library rule `^[a-z][a-zA-Z0-9]+$`, at most 32 characters.
pub fn is_valid_naaccr_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    bytes.len() >= 2
        && bytes.len() <= 32
        && bytes.first().is_some_and(u8::is_ascii_lowercase)
        && bytes.iter().all(u8::is_ascii_alphanumeric)
}

/// Whether padding defaults to `rightBlank` (specification ≤1.6) rather than `none`.
fn spec_defaults_to_right_blank(specification_version: &str) -> bool {
    let mut parts = specification_version.trim().split('.');
    let major = parts
        .next()
        .and_then(|p| p.parse::<u32>().ok())
        .unwrap_or(1);
    let minor = parts
        .next()
        .and_then(|p| p.parse::<u32>().ok())
        .unwrap_or(0);
    (major, minor) <= (1, 6)
}

fn item_def_from_attributes(
    attrs: &HashMap<String, String>,
    specification_version: &str,
) -> Result<ItemDef, DictionaryError> {
    let naaccr_id = attrs
        .get("naaccrId")
        .cloned()
        .ok_or(DictionaryError::MissingAttribute {
            element: "ItemDef".to_string(),
            attribute: "naaccrId",
        })?;
    let element = format!("ItemDef '{naaccr_id}'");
    if !is_valid_naaccr_id(&naaccr_id) {
        return Err(DictionaryError::InvalidAttribute {
            element,
            attribute: "naaccrId",
            value: naaccr_id,
        });
    }
    let required = |attribute: &'static str| {
        attrs
            .get(attribute)
            .map(|s| s.trim())
            .ok_or_else(|| DictionaryError::MissingAttribute {
                element: element.clone(),
                attribute,
            })
    };
    let invalid = |attribute: &'static str, value: &str| DictionaryError::InvalidAttribute {
        element: element.clone(),
        attribute,
        value: value.to_string(),
    };
    let number_text = required("naaccrNum")?;
    let number = number_text
        .parse::<u32>()
        .map_err(|_| invalid("naaccrNum", number_text))?;
    let length_text = required("length")?;
    let length = length_text
        .parse::<u32>()
        .ok()
        .filter(|l| *l > 0)
        .ok_or_else(|| invalid("length", length_text))?;
    let level_text = required("parentXmlElement")?;
    let level =
        ItemLevel::parse(level_text).ok_or_else(|| invalid("parentXmlElement", level_text))?;
    let data_type = match attrs.get("dataType") {
        Some(t) => DataType::parse(t.trim()).ok_or_else(|| invalid("dataType", t))?,
        None => DataType::Text,
    };
    let record_types = match attrs.get("recordTypes") {
        Some(t) => RecordTypes::parse(t).ok_or_else(|| invalid("recordTypes", t))?,
        None => RecordTypes::NONE,
    };
    let padding = match attrs.get("padding") {
        Some(p) => Padding::parse(p.trim()).ok_or_else(|| invalid("padding", p))?,
        None if spec_defaults_to_right_blank(specification_version) => Padding::RightBlank,
        None => Padding::None,
    };
    let trim = match attrs.get("trim").map(|t| t.trim()) {
        None | Some("all") => true,
        Some("none") => false,
        Some(other) => return Err(invalid("trim", other)),
    };
    let allow_unlimited_text = match attrs.get("allowUnlimitedText").map(|t| t.trim()) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(invalid("allowUnlimitedText", other)),
    };
    let start_column = match attrs.get("startColumn") {
        Some(c) => Some(
            c.trim()
                .parse::<u32>()
                .ok()
                .filter(|c| *c > 0)
                .ok_or_else(|| invalid("startColumn", c))?,
        ),
        None => None,
    };
    Ok(ItemDef {
        name: attrs.get("naaccrName").cloned().unwrap_or_default(),
        naaccr_id,
        number,
        length,
        level,
        data_type,
        record_types,
        padding,
        trim,
        allow_unlimited_text,
        start_column,
    })
}

const TABLE_HEADER: &str = "naaccrId\tnumber\tname\tlength\tlevel\tdataType\trecordTypes\tpadding\ttrim\tallowUnlimitedText\tstartColumn";

/// Generates the project's compact item table (TSV) from a NAACCR dictionary XML document.
///
/// One row per `ItemDef`, in document order; tabs and newlines in names become spaces.
pub fn generate_item_table(dictionary_xml: &str) -> Result<String, DictionaryError> {
    let parsed = parse_dictionary_xml(dictionary_xml)?;
    // Validates ids and numbers before anything is emitted.
    let index = ItemIndex::build(&parsed.uri, parsed.items)?;
    let mut out = String::with_capacity(index.items.len() * 80);
    out.push_str("# Generated by domain::naaccr::dictionary::generate_item_table from ");
    out.push_str(&parsed.uri);
    out.push_str(" (specification ");
    out.push_str(&parsed.specification_version);
    out.push_str("). Do not edit.\n");
    out.push_str(TABLE_HEADER);
    out.push('\n');
    for item in &index.items {
        let name: String = item
            .name
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let fields = [
            item.naaccr_id.clone(),
            item.number.to_string(),
            name,
            item.length.to_string(),
            item.level.as_str().to_string(),
            item.data_type.as_str().to_string(),
            item.record_types.to_string(),
            item.padding.as_str().to_string(),
            if item.trim { "all" } else { "none" }.to_string(),
            if item.allow_unlimited_text {
                "true"
            } else {
                "false"
            }
            .to_string(),
            item.start_column.map(|c| c.to_string()).unwrap_or_default(),
        ];
        out.push_str(&fields.join("\t"));
        out.push('\n');
    }
    Ok(out)
}

/// Parses a committed item table; returns the items and the errors of rows that could not be read.
fn parse_item_table(table: &str) -> (Vec<ItemDef>, Vec<DictionaryError>) {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for (i, row) in table.lines().enumerate() {
        if row.starts_with('#') || row == TABLE_HEADER || row.is_empty() {
            continue;
        }
        match parse_table_row(row) {
            Ok(item) => items.push(item),
            Err(message) => errors.push(DictionaryError::Table {
                line: i + 1,
                message,
            }),
        }
    }
    (items, errors)
}

fn parse_table_row(row: &str) -> Result<ItemDef, String> {
    let fields: Vec<&str> = row.split('\t').collect();
    let [
        id,
        number,
        name,
        length,
        level,
        data_type,
        record_types,
        padding,
        trim,
        unlimited,
        start,
    ] = fields.as_slice()
    else {
        return Err(format!(
            "expected 11 tab-separated fields, found {}",
            fields.len()
        ));
    };
    let bad = |what: &str, value: &str| format!("invalid {what} '{value}'");
    Ok(ItemDef {
        naaccr_id: (*id).to_string(),
        number: number.parse().map_err(|_| bad("number", number))?,
        name: (*name).to_string(),
        length: length.parse().map_err(|_| bad("length", length))?,
        level: ItemLevel::parse(level).ok_or_else(|| bad("level", level))?,
        data_type: DataType::parse(data_type).ok_or_else(|| bad("data type", data_type))?,
        record_types: RecordTypes::parse(record_types)
            .ok_or_else(|| bad("record types", record_types))?,
        padding: Padding::parse(padding).ok_or_else(|| bad("padding", padding))?,
        trim: match *trim {
            "all" => true,
            "none" => false,
            other => return Err(bad("trim", other)),
        },
        allow_unlimited_text: match *unlimited {
            "true" => true,
            "false" => false,
            other => return Err(bad("allowUnlimitedText", other)),
        },
        start_column: if start.is_empty() {
            None
        } else {
            Some(start.parse().map_err(|_| bad("start column", start))?)
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn shared(name: &str) -> String {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/naaccr")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "reference file {} is required by this test and could not be read: {e}",
                path.display()
            )
        })
    }

    /// The committed tables are exactly what the generator makes of the shared dictionaries.
    #[test]
    fn committed_tables_are_in_sync_with_shared_dictionaries() {
        let cases = [
            ("naaccr-dictionary-180.xml", TABLE_180, "items-180.tsv"),
            ("naaccr-dictionary-250.xml", TABLE_250, "items-250.tsv"),
            ("naaccr-dictionary-260.xml", TABLE_260, "items-260.tsv"),
            (
                "user-defined-naaccr-dictionary-180.xml",
                TABLE_USER_180,
                "items-user-180.tsv",
            ),
        ];
        let mut out_of_sync = Vec::new();
        for (source, committed, table) in cases {
            let generated = generate_item_table(&shared(source)).unwrap();
            if generated == committed {
                continue;
            }
            out_of_sync.push(format!(
                "src/domain/naaccr/tables/{table} (from ../shared/naaccr/{source})"
            ));
            // Maintainer aid: REGISTRAR_REGENERATE_NAACCR_TABLES=1 cargo test rewrites the tables;
            // file!() is absolute in the scratch crate, relative to the manifest in the project.
            if std::env::var_os("REGISTRAR_REGENERATE_NAACCR_TABLES").is_some() {
                let this_file = PathBuf::from(file!());
                let source_file = if this_file.is_absolute() {
                    this_file
                } else {
                    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(this_file)
                };
                if let Some(dir) = source_file.parent() {
                    std::fs::write(dir.join("tables").join(table), &generated).unwrap();
                }
            }
        }
        assert!(
            out_of_sync.is_empty(),
            "item tables out of sync with the shared dictionaries; regenerate with generate_item_table: {out_of_sync:?}"
        );
    }

    #[test]
    fn base_tables_parse_without_error() {
        for (table, expected) in [
            (TABLE_180, 772),
            (TABLE_250, 780),
            (TABLE_260, 771),
            (TABLE_USER_180, 19),
        ] {
            let (items, errors) = parse_item_table(table);
            assert!(errors.is_empty(), "{errors:?}");
            assert_eq!(items.len(), expected);
        }
        assert_eq!(Dictionary::base(NaaccrVersion::V180).len(), 772);
        assert_eq!(Dictionary::base(NaaccrVersion::V250).len(), 780);
        assert_eq!(Dictionary::base(NaaccrVersion::V260).len(), 771);
        assert_eq!(UserDictionary::default_flat_v18().items().count(), 19);
    }

    #[test]
    fn dictionary_260_counts_match_the_reference() {
        let d = Dictionary::base(NaaccrVersion::V260);
        assert_eq!(d.version(), NaaccrVersion::V260);
        let level = |l| d.items().filter(|i| i.level == l).count();
        assert_eq!(level(ItemLevel::NaaccrData), 5);
        assert_eq!(level(ItemLevel::Patient), 49);
        assert_eq!(level(ItemLevel::Tumor), 717);
        let dtype = |t| d.items().filter(|i| i.data_type == t).count();
        assert_eq!(dtype(DataType::Text), 254);
        assert_eq!(dtype(DataType::Digits), 425);
        assert_eq!(dtype(DataType::Numeric), 22);
        assert_eq!(dtype(DataType::Date), 42);
        assert_eq!(dtype(DataType::Mixed), 12);
        assert_eq!(dtype(DataType::Alpha), 11);
        assert_eq!(dtype(DataType::DateTime), 5);
        let in_type = |r| d.items().filter(|i| i.record_types.contains(r)).count();
        assert_eq!(in_type(RecordType::I), 684);
        assert_eq!(in_type(RecordType::C), 723);
        assert_eq!(in_type(RecordType::A), 771);
        assert!(d.items().all(|i| i.start_column.is_none()));
    }

    #[test]
    fn items_260_have_hand_checked_attributes() {
        let d = Dictionary::base(NaaccrVersion::V260);
        let site = d.item("primarySite").unwrap();
        assert_eq!(site.number, 400);
        assert_eq!(site.name, "Primary Site");
        assert_eq!(site.length, 4);
        assert_eq!(site.level, ItemLevel::Tumor);
        assert_eq!(site.data_type, DataType::Text);
        assert_eq!(site.padding, Padding::None);
        assert_eq!(d.item_by_number(400).unwrap().naaccr_id, "primarySite");

        let addr = d.item("addrAtDxNoStreet").unwrap();
        assert_eq!(addr.name, "Addr at DX--No & Street");
        assert_eq!(addr.record_types.to_string(), "A,M,C");
        assert!(!addr.record_types.contains(RecordType::I));

        let dob = d.item("dateOfBirth").unwrap();
        assert_eq!(
            (dob.number, dob.length, dob.level),
            (240, 8, ItemLevel::Patient)
        );
        assert_eq!(dob.data_type, DataType::Date);

        let registry = d.item("registryId").unwrap();
        assert_eq!(registry.level, ItemLevel::NaaccrData);
        assert_eq!(registry.length, 10);

        assert_eq!(d.item("sexAssignedAtBirth").unwrap().number, 225);
        assert!(d.item("sex").is_none(), "sex #220 was removed in N26");
        assert!(Dictionary::base(NaaccrVersion::V250).item("sex").is_some());

        let stas = d.item("pathDateSpecCollect1").unwrap();
        assert_eq!((stas.data_type, stas.length), (DataType::DateTime, 25));
        let accession = d.item("accessionNumberHosp").unwrap();
        assert_eq!(accession.data_type, DataType::Digits);
    }

    #[test]
    fn dictionary_180_keeps_the_flat_layout() {
        let d = Dictionary::base(NaaccrVersion::V180);
        let col = |id: &str| {
            let i = d.item(id).unwrap();
            (i.start_column, i.length)
        };
        assert_eq!(col("recordType"), (Some(1), 1));
        assert_eq!(col("registryType"), (Some(2), 1));
        assert_eq!(col("naaccrRecordVersion"), (Some(17), 3));
        assert_eq!(col("npiRegistryId"), (Some(20), 10));
        assert_eq!(col("registryId"), (Some(30), 10));
        assert_eq!(col("tumorRecordNumber"), (Some(40), 2));
        assert_eq!(col("patientIdNumber"), (Some(42), 8));
        assert!(d.items().all(|i| i.start_column.is_some()));
        // Spec 1.5: padding defaults to rightBlank; some text items allowed unlimited text.
        assert_eq!(d.item("primarySite").unwrap().padding, Padding::RightBlank);
        assert_eq!(d.items().filter(|i| i.allow_unlimited_text).count(), 15);
        assert!(
            d.item("geolocationid2010").is_none(),
            "grouped items are not data items"
        );
        let user = UserDictionary::default_flat_v18();
        let state = user.item("stateRequestorItems").unwrap();
        assert_eq!(
            (state.start_column, state.length, state.trim),
            (Some(3049), 1000, false)
        );
    }

    #[test]
    fn version_uris() {
        assert_eq!(NaaccrVersion::V260.as_str(), "260");
        assert_eq!(
            NaaccrVersion::from_dictionary_uri(
                "http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml"
            ),
            Some(NaaccrVersion::V260)
        );
        assert_eq!(
            NaaccrVersion::from_dictionary_uri(
                "https://naaccr.org/naaccrxml/naaccr-dictionary-180.xml"
            ),
            Some(NaaccrVersion::V180)
        );
        for v in NaaccrVersion::ALL {
            assert_eq!(
                NaaccrVersion::from_dictionary_uri(v.base_dictionary_uri()),
                Some(v)
            );
        }
        assert!(matches!(
            NaaccrVersion::parse_dictionary_uri("http://naaccr.org/naaccrxml/naaccr-dictionary-240.xml"),
            Err(DictionaryError::UnsupportedVersion { version }) if version == "240"
        ));
        assert!(matches!(
            NaaccrVersion::parse_dictionary_uri(
                "http://naaccr.org/naaccrxml/naaccr-dictionary-999.xml"
            ),
            Err(DictionaryError::UnknownDictionaryUri { .. })
        ));
        assert_eq!(
            NaaccrVersion::from_dictionary_uri("naaccr-dictionary-260.xml"),
            None
        );
        assert_eq!(
            NaaccrVersion::from_dictionary_uri(
                "http://naaccr.org/naaccrxml/user-defined-naaccr-dictionary-210.xml"
            ),
            None
        );
        assert!(is_default_user_dictionary_uri(
            "http://naaccr.org/naaccrxml/user-defined-naaccr-dictionary-210.xml"
        ));
    }

    #[test]
    fn user_dictionary_210_parses_and_combines_with_260() {
        let user =
            UserDictionary::parse(&shared("user-defined-naaccr-dictionary-210.xml")).unwrap();
        assert_eq!(
            user.uri(),
            "http://naaccr.org/naaccrxml/user-defined-naaccr-dictionary-210.xml"
        );
        assert_eq!(user.naaccr_version(), Some("210"));
        assert_eq!(user.specification_version(), "1.5");
        let npcr = user.item("npcrSpecificField").unwrap();
        assert_eq!((npcr.number, npcr.length, npcr.trim), (3720, 75, false));
        assert_eq!(npcr.padding, Padding::RightBlank);
        assert_eq!(
            user.item_by_number(2220).unwrap().naaccr_id,
            "stateRequestorItems"
        );

        let mut combined = CombinedDictionary::new(Dictionary::base(NaaccrVersion::V260));
        combined.add_user(user.clone()).unwrap();
        assert_eq!(combined.item("primarySite").unwrap().number, 400);
        assert_eq!(combined.item("stateRequestorItems").unwrap().length, 1000);
        assert_eq!(
            combined.item_by_number(3720).unwrap().naaccr_id,
            "npcrSpecificField"
        );
        assert_eq!(combined.items().count(), 773);
        // Re-declaring the same items in a second dictionary is allowed.
        combined.add_user(user).unwrap();
        assert!(combined.item("noSuchItem").is_none());
    }

    const USER_XML: &str = r#"<?xml version="1.0"?>
<NaaccrDictionary dictionaryUri="http://example.org/state-dictionary.xml" specificationVersion="1.8"
    xmlns="http://naaccr.org/naaccrxml">
  <ItemDefs>
    <ItemDef naaccrId="stateCaseFlag" naaccrNum="9501" length="2" recordTypes="A,M,C,I"
        parentXmlElement="Tumor" dataType="digits" padding="leftZero"/>
  </ItemDefs>
</NaaccrDictionary>"#;

    #[test]
    fn user_dictionary_errors_are_specific() {
        let ok = UserDictionary::parse(USER_XML).unwrap();
        let flag = ok.item("stateCaseFlag").unwrap();
        assert_eq!(
            (flag.padding, flag.data_type),
            (Padding::LeftZero, DataType::Digits)
        );

        let clash = USER_XML.replace("stateCaseFlag", "primarySite");
        let user = UserDictionary::parse(&clash).unwrap();
        let mut combined = CombinedDictionary::new(Dictionary::base(NaaccrVersion::V260));
        let err = combined.add_user(user).unwrap_err();
        assert!(
            matches!(err, DictionaryError::ClashesWithBase { ref base_id, .. } if base_id == "primarySite")
        );

        let number_clash = UserDictionary::parse(&USER_XML.replace("9501", "400")).unwrap();
        assert!(matches!(
            combined.add_user(number_clash),
            Err(DictionaryError::ClashesWithBase { number: 400, .. })
        ));

        let err = UserDictionary::parse(
            &USER_XML.replace("naaccrId=\"stateCaseFlag\"", "naaccrId=\"State_flag\""),
        )
        .unwrap_err();
        assert!(err.to_string().contains("'naaccrId'"), "{err}");

        let err =
            UserDictionary::parse(&USER_XML.replace("length=\"2\"", "length=\"x\"")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "dictionary attribute 'length' of ItemDef 'stateCaseFlag' has invalid value 'x'"
        );
        let err = UserDictionary::parse(&USER_XML.replace(" parentXmlElement=\"Tumor\"", ""))
            .unwrap_err();
        assert!(matches!(
            err,
            DictionaryError::MissingAttribute {
                attribute: "parentXmlElement",
                ..
            }
        ));

        let err = UserDictionary::parse("<NaaccrData/>").unwrap_err();
        assert!(matches!(err, DictionaryError::NotADictionary { .. }));
        let err = UserDictionary::parse(
            "<NaaccrDictionary dictionaryUri='x' specificationVersion='1.8'>\n<ItemDefs>\n</Oops>",
        )
        .unwrap_err();
        assert!(
            matches!(err, DictionaryError::Xml { line: 3, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn record_types_set() {
        let set = RecordTypes::parse("A,M,C").unwrap();
        assert!(set.contains(RecordType::C) && !set.contains(RecordType::I));
        assert_eq!(set.to_string(), "A,M,C");
        assert_eq!(RecordTypes::parse("A,X"), None);
        assert_eq!(RecordType::I.flat_v18_line_length(), 4048);
    }
}
