//! The fields of the patient and tumor forms, and how a typed value becomes a stored NAACCR value:
//! dates as partial dates, codes against their code lists, every value against its dictionary
//! definition (type and length). One table per form, so the page, the validation and the audit
//! trail agree on labels and items.

use crate::domain::codes;
use crate::domain::date::PartialDate;
use crate::domain::icdo3;
use crate::domain::naaccr::{
    CombinedDictionary, DataType, Dictionary, DictionaryError, ItemDef, NaaccrVersion,
    UserDictionary, check_value,
};

/// How a field is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    /// A NAACCR partial date (CCYY, CCYYMM, CCYYMMDD); the page shows YYYY-MM-DD.
    Date,
    /// A code with its description (from the item's code list).
    Code,
    /// An ICD-O-3 topography code (C000–C809).
    PrimarySite,
    /// An ICD-O-3 histology code (4 digits, 8000–9993).
    Histology,
}

/// One field of a form.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub naaccr_id: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub required: bool,
}

const fn field(
    naaccr_id: &'static str,
    label: &'static str,
    kind: FieldKind,
    required: bool,
) -> FieldSpec {
    FieldSpec {
        naaccr_id,
        label,
        kind,
        required,
    }
}

/// Patient demographics.
pub const PATIENT_FIELDS: &[FieldSpec] = &[
    field("nameLast", "Last name", FieldKind::Text, true),
    field("nameFirst", "First name", FieldKind::Text, false),
    field("nameMiddle", "Middle name", FieldKind::Text, false),
    field("dateOfBirth", "Date of birth", FieldKind::Date, true),
    field(
        "sexAssignedAtBirth",
        "Sex assigned at birth",
        FieldKind::Code,
        true,
    ),
    field(
        "medicalRecordNumber",
        "Medical record number",
        FieldKind::Text,
        false,
    ),
    field(
        "socialSecurityNumber",
        "Social Security number",
        FieldKind::Text,
        false,
    ),
    field("race1", "Race 1", FieldKind::Code, false),
    field(
        "spanishHispanicOrigin",
        "Spanish/Hispanic origin",
        FieldKind::Code,
        false,
    ),
    field(
        "addrCurrentNoStreet",
        "Current address",
        FieldKind::Text,
        false,
    ),
    field("addrCurrentCity", "City", FieldKind::Text, false),
    field("addrCurrentState", "State", FieldKind::Text, false),
    field(
        "addrCurrentPostalCode",
        "Postal code",
        FieldKind::Text,
        false,
    ),
    field("telephone", "Telephone", FieldKind::Text, false),
    field("vitalStatus", "Vital status", FieldKind::Code, false),
    field(
        "dateOfLastContact",
        "Date of last contact",
        FieldKind::Date,
        false,
    ),
];

/// Cancer identification of a tumor.
pub const TUMOR_FIELDS: &[FieldSpec] = &[
    field(
        "dateOfDiagnosis",
        "Date of diagnosis",
        FieldKind::Date,
        true,
    ),
    field("primarySite", "Primary site", FieldKind::PrimarySite, true),
    field("laterality", "Laterality", FieldKind::Code, true),
    field(
        "histologicTypeIcdO3",
        "Histology (ICD-O-3)",
        FieldKind::Histology,
        true,
    ),
    field("behaviorCodeIcdO3", "Behavior", FieldKind::Code, true),
    field("gradeClinical", "Grade clinical", FieldKind::Code, false),
    field(
        "gradePathological",
        "Grade pathological",
        FieldKind::Code,
        false,
    ),
    field(
        "diagnosticConfirmation",
        "Diagnostic confirmation",
        FieldKind::Code,
        false,
    ),
    field("classOfCase", "Class of case", FieldKind::Code, false),
    field(
        "dateOf1stContact",
        "Date of first contact",
        FieldKind::Date,
        false,
    ),
    field(
        "accessionNumberHosp",
        "Accession number",
        FieldKind::Text,
        false,
    ),
];

/// The dictionary the forms validate against.
fn dictionary() -> &'static Dictionary {
    Dictionary::base(NaaccrVersion::V260)
}

/// User dictionaries loaded at run time (the `user_dictionaries` setting): their items are
/// entered on the abstract's "all items" panel, stored in the item column, exported and imported
/// like any item. Installed once per dictionary URI; kept for the life of the process.
static USER_DICTIONARIES: std::sync::RwLock<Vec<&'static UserDictionary>> =
    std::sync::RwLock::new(Vec::new());

fn installed() -> Vec<&'static UserDictionary> {
    match USER_DICTIONARIES.read() {
        Ok(list) => list.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

/// Installs a user dictionary. Refused when an item clashes with a v26 item or with an item of
/// another installed dictionary; installing a dictionary with an already installed URI and the
/// same items again changes nothing.
pub fn install_user_dictionary(user: UserDictionary) -> Result<(), DictionaryError> {
    let mut list = match USER_DICTIONARIES.write() {
        Ok(list) => list,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(same) = list.iter().find(|u| u.uri() == user.uri())
        && same.items().eq(user.items())
    {
        return Ok(());
    }
    let mut combined = CombinedDictionary::new(dictionary());
    for other in list.iter() {
        combined.add_user((*other).clone())?;
    }
    combined.add_user(user.clone())?;
    list.push(Box::leak(Box::new(user)));
    Ok(())
}

/// The installed user dictionaries (for NAACCR XML export and import).
pub fn user_dictionaries() -> Vec<UserDictionary> {
    installed().into_iter().cloned().collect()
}

/// An item of the v26 dictionary or of an installed user dictionary.
pub fn item_def(naaccr_id: &str) -> Option<&'static ItemDef> {
    dictionary()
        .item(naaccr_id)
        .or_else(|| installed().into_iter().find_map(|u| u.item(naaccr_id)))
}

/// Every item: the v26 dictionary's, then the installed user dictionaries'.
pub fn all_item_defs() -> Vec<&'static ItemDef> {
    dictionary()
        .items()
        .chain(installed().into_iter().flat_map(|u| u.items()))
        .collect()
}

/// Turns what a user typed into the value to store (`None` = empty), or a message that names the
/// field and says what is expected.
pub fn normalize(spec: &FieldSpec, raw: &str) -> Result<Option<String>, String> {
    let typed = raw.trim();
    if typed.is_empty() {
        return if spec.required {
            Err(format!("{} is required.", spec.label))
        } else {
            Ok(None)
        };
    }
    let value = match spec.kind {
        FieldKind::Date => PartialDate::parse(typed)
            .map(|d| d.to_naaccr())
            .map_err(|e| format!("{}: {e}", spec.label))?,
        FieldKind::PrimarySite => normalize_primary_site(typed).ok_or_else(|| {
            format!(
                "{}: '{typed}' is not an ICD-O-3 topography code (C00.0–C80.9, e.g. C50.4).",
                spec.label
            )
        })?,
        FieldKind::Histology => icdo3::Histology::parse(typed)
            .ok()
            .filter(|h| h.is_valid_icdo3())
            .map(|h| h.code().to_string())
            .ok_or_else(|| {
                format!(
                    "{}: '{typed}' is not an ICD-O-3 histology code (e.g. 8500).",
                    spec.label
                )
            })?,
        FieldKind::Code | FieldKind::Text => typed.to_string(),
    };
    if let Some(list) = codes::code_list(spec.naaccr_id)
        && !list.is_valid(&value)
    {
        return Err(format!(
            "{}: '{value}' is not a code of {}.",
            spec.label, list.name
        ));
    }
    check_item_value(spec.naaccr_id, &value).map_err(|e| format!("{}: {e}", spec.label))?;
    Ok(Some(value))
}

/// Checks a value against the item's definition in the NAACCR 260 dictionary or an installed
/// user dictionary (type, length).
pub fn check_item_value(naaccr_id: &str, value: &str) -> Result<(), String> {
    match item_def(naaccr_id) {
        Some(def) => {
            if def.data_type == DataType::Date && PartialDate::parse(value).is_err() {
                return Err(format!(
                    "'{value}' is not a date (CCYY, CCYYMM or CCYYMMDD)"
                ));
            }
            check_value(def, value).map_err(|e| e.to_string())
        }
        None => Err(format!(
            "{naaccr_id} is not an item of the NAACCR dictionary"
        )),
    }
}

/// True for items whose dictionary type is a date.
pub fn is_date_item(naaccr_id: &str) -> bool {
    item_def(naaccr_id).is_some_and(|d| d.data_type == DataType::Date)
}

fn normalize_primary_site(typed: &str) -> Option<String> {
    icdo3::PrimarySite::parse(typed)
        .ok()
        .map(|s| s.code().to_string())
}

/// The description of a coded value, for display beside the code.
pub fn describe(naaccr_id: &str, value: &str) -> Option<String> {
    match naaccr_id {
        "primarySite" => return icdo3::topography(value).map(|t| t.title.to_string()),
        "histologicTypeIcdO3" => {
            return ["3", "2", "1", "0"]
                .iter()
                .find_map(|b| icdo3::morphology(value, b))
                .map(|m| m.term.to_string());
        }
        _ => {}
    }
    codes::code_list(naaccr_id)
        .and_then(|list| list.describe(value))
        .map(|d| d.into_owned())
}

/// The codes a coded field offers (code, description), for the pick list.
pub fn choices(naaccr_id: &str) -> Vec<(String, String)> {
    codes::code_list(naaccr_id)
        .map(|list| {
            list.codes
                .iter()
                .filter(|c| !c.code.is_empty())
                .map(|c| (c.code.to_string(), c.description.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_user_dictionary_reusing_a_v26_item_is_refused_and_installs_nothing() {
        let xml = r#"<NaaccrDictionary dictionaryUri="http://test.example/clash.xml" naaccrVersion="260"
            specificationVersion="1.7" xmlns="http://naaccr.org/naaccrxml"><ItemDefs>
            <ItemDef naaccrId="primarySite" naaccrNum="9600" naaccrName="Clash" parentXmlElement="Tumor"
              length="4" recordTypes="A"/></ItemDefs></NaaccrDictionary>"#;
        let user = UserDictionary::parse(xml).expect("parses");
        assert!(install_user_dictionary(user).is_err());
        assert!(item_def("primarySite").is_some_and(|d| d.number == 400));
        assert!(
            user_dictionaries()
                .iter()
                .all(|u| u.uri() != "http://test.example/clash.xml")
        );
    }
    use super::*;

    fn spec(id: &str) -> &'static FieldSpec {
        PATIENT_FIELDS
            .iter()
            .chain(TUMOR_FIELDS)
            .find(|f| f.naaccr_id == id)
            .unwrap()
    }

    #[test]
    fn values_are_normalized_or_refused_with_the_field_named() {
        assert_eq!(
            normalize(spec("dateOfBirth"), "1960-05-10")
                .unwrap()
                .as_deref(),
            Some("19600510")
        );
        assert!(
            normalize(spec("dateOfBirth"), "1960-13-10")
                .unwrap_err()
                .starts_with("Date of birth")
        );
        assert_eq!(
            normalize(spec("primarySite"), "c50.4").unwrap().as_deref(),
            Some("C504")
        );
        assert!(normalize(spec("primarySite"), "C99.9").is_err());
        assert_eq!(
            normalize(spec("laterality"), "2").unwrap().as_deref(),
            Some("2")
        );
        assert!(
            normalize(spec("laterality"), "7")
                .unwrap_err()
                .contains("Laterality")
        );
        assert!(
            normalize(spec("nameLast"), "  ")
                .unwrap_err()
                .contains("required")
        );
        assert_eq!(normalize(spec("nameFirst"), " ").unwrap(), None);
        let too_long = "x".repeat(41);
        assert!(normalize(spec("nameFirst"), &too_long).is_err());
        assert!(describe("laterality", "2").is_some_and(|d| d.to_lowercase().contains("left")));
    }

    #[test]
    fn every_form_field_is_an_item_of_the_dictionary() {
        for f in PATIENT_FIELDS.iter().chain(TUMOR_FIELDS) {
            assert!(dictionary().item(f.naaccr_id).is_some(), "{}", f.naaccr_id);
            if f.kind == FieldKind::Code {
                assert!(
                    codes::code_list(f.naaccr_id).is_some(),
                    "no code list for {}",
                    f.naaccr_id
                );
            }
        }
    }
}
