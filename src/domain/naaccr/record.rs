//! The patient/tumor view of NAACCR data: naaccrId → value maps, as exchanged in NAACCR files.

use std::collections::BTreeMap;

/// One patient with its tumors. Keys are naaccrIds; an absent or empty value means "not reported".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NaaccrPatient {
    /// Patient-level items (names, birth date, vital status...).
    pub items: BTreeMap<String, String>,
    /// The patient's tumors, in file order.
    pub tumors: Vec<NaaccrTumor>,
}

/// One tumor of a patient.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NaaccrTumor {
    /// Tumor-level items (site, histology, stage, treatment...).
    pub items: BTreeMap<String, String>,
}

/// A patient's items borrowed from wherever they are held (a [`NaaccrPatient`], or database rows
/// during an export): `(naaccrId, value)` pairs for the patient and for each tumor.
#[derive(Debug, Clone, Default)]
pub struct BorrowedPatient<'a> {
    pub items: Vec<(&'a str, &'a str)>,
    pub tumors: Vec<Vec<(&'a str, &'a str)>>,
}

impl NaaccrPatient {
    /// The items as borrowed pairs (what the writer formats).
    pub fn borrowed(&self) -> BorrowedPatient<'_> {
        fn pairs(items: &BTreeMap<String, String>) -> Vec<(&str, &str)> {
            items
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect()
        }
        BorrowedPatient {
            items: pairs(&self.items),
            tumors: self.tumors.iter().map(|t| pairs(&t.items)).collect(),
        }
    }

    /// Value of a patient-level item, if present and not empty.
    pub fn item(&self, naaccr_id: &str) -> Option<&str> {
        self.items
            .get(naaccr_id)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

impl NaaccrTumor {
    /// Value of a tumor-level item, if present and not empty.
    pub fn item(&self, naaccr_id: &str) -> Option<&str> {
        self.items
            .get(naaccr_id)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}
