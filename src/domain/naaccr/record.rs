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

impl NaaccrPatient {
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
