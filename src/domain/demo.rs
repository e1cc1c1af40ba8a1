//! Deterministic synthetic registry data for demonstrations, benchmarks and tests
//! (`registrar demo --patients N --seed S`).
//!
//! Every value is invented: names come from small built-in lists, Social Security Numbers use area
//! numbers 900-998 (never issued as SSNs) with group numbers 01-49 (outside the ITIN group ranges), so
//! no real SSN or ITIN can be produced; telephone numbers use the fictional 555-01xx range.
//!
//! The generator has its own PRNG (SplitMix64) so the output for a seed never changes with a crate
//! upgrade, and each patient is drawn from its own stream (seed, patient index): patients are
//! generated lazily, one at a time, in constant memory.
//!
//! The mix looks like a US hospital registry: site mix with matching histologies, sex and ages, ~10 %
//! patients with 2+ primaries, diagnoses over the last 15 years, ~30 % dead, a follow-up rate near
//! 85-90 %, class of case mostly 10-22. Staging items (EOD 2018, Summary Stage 2018, schema ID,
//! grade clinical/pathological) are filled for diagnoses from 2018 with codes taken from the schema's
//! EOD 2018 tables; the older `grade` item before 2018. NAACCR has no date-of-death item: for a dead
//! patient the date of last contact is the date of death.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};

/// One synthetic patient: patient-level items and one map per tumor, keyed by NAACCR XML id (v26).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPatient {
    /// Patient-level items.
    pub items: BTreeMap<&'static str, String>,
    /// Tumor-level items, one map per tumor in sequence (diagnosis date) order.
    pub tumors: Vec<BTreeMap<&'static str, String>>,
}

impl DemoPatient {
    /// A patient-level item's value.
    pub fn item(&self, naaccr_id: &str) -> Option<&str> {
        self.items.get(naaccr_id).map(String::as_str)
    }
}

/// Most patients `generate` produces (Patient ID Number has 8 digits).
pub const MAX_PATIENTS: usize = 99_999_999;

/// Generates `patients` synthetic patients for `seed`, as of `today`, lazily.
pub fn generate(seed: u64, patients: usize, today: NaiveDate) -> impl Iterator<Item = DemoPatient> {
    (0..patients.min(MAX_PATIENTS)).map(move |index| generate_patient(seed, index, today))
}

// ---------------------------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------------------------

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and fixed forever, unlike a library's StdRng.
struct SplitMix64(u64);

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SplitMix64 {
    fn for_patient(seed: u64, index: usize) -> Self {
        SplitMix64(mix64(
            seed ^ mix64((index as u64).wrapping_add(1).wrapping_mul(GOLDEN)),
        ))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix64(self.0)
    }

    /// Uniform in `0..n` (`0` when `n` is 0), by multiply-shift (bias below 2^-32).
    fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() >> 32) * n) >> 32
    }

    /// Uniform in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high.saturating_sub(low) + 1)
    }

    /// True with probability `permille`/1000.
    fn chance(&mut self, permille: u64) -> bool {
        self.below(1000) < permille
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An element of a constant table (the default value for an empty table).
    fn pick<T: Copy + Default>(&mut self, items: &[T]) -> T {
        let index = self.below(items.len() as u64) as usize;
        items.get(index).copied().unwrap_or_default()
    }

    /// A weighted choice from `(value, weight)` pairs.
    fn weighted<T: Copy + Default>(&mut self, items: &[(T, u32)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut roll = self.below(total);
        for (value, weight) in items {
            let weight = u64::from(*weight);
            if roll < weight {
                return *value;
            }
            roll -= weight;
        }
        T::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Site profiles
// ---------------------------------------------------------------------------------------------

/// How a tumor's grade is coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum GradeKind {
    /// 1, 2, 3 (9 when unknown).
    #[default]
    Three,
    /// 1-4.
    Four,
    /// Prostate grade groups 1-5.
    Prostate,
    /// Low / high (bladder).
    LowHigh,
    /// Only 9 coded in practice (melanoma, thyroid).
    Unknown,
    /// Hematopoietic and lymphoid: 8 (not applicable).
    Heme,
    /// Benign CNS: WHO grade 1.
    Benign,
}

/// What a kind of cancer looks like in the registry.
struct SiteProfile {
    /// Short name (tests and the benchmark report the mix by it).
    name: &'static str,
    /// Share of tumors, per 1000.
    weight: u32,
    /// Primary sites with weights.
    sites: &'static [(&'static str, u32)],
    /// Invasive (or benign, see `behavior`) histologies with weights.
    histologies: &'static [(u16, u32)],
    /// Behavior of `histologies` (3 malignant, 0 benign).
    behavior: u8,
    /// Share of in situ tumors, per 1000, and their histologies.
    in_situ_permille: u64,
    in_situ_histologies: &'static [(u16, u32)],
    /// Share of women, per 1000.
    female_permille: u64,
    /// Age at diagnosis: mean and half-width of the bell.
    age_mean: i64,
    age_spread: i64,
    /// Laterality is coded 1/2 (paired organ) instead of 0.
    paired: bool,
    /// Summary Stage 2018 weights for codes 0,1,2,3,4,7,9 (invasive tumors).
    stage_weights: [u32; 7],
    /// EOD Primary Tumor for a localized and a regional tumor, EOD Regional Nodes when nodes are
    /// positive (from the schema's tables); `None` nodes/mets for heme (888/88).
    eod_local: &'static str,
    eod_regional: &'static str,
    eod_nodes: Option<&'static str>,
    grade: GradeKind,
    /// Yearly hazard of death (per 1000) at age 70 or younger.
    hazard_permille: u32,
    /// RX Summ--Surg Prim Site codes with weights ("00" none).
    surgery: &'static [(&'static str, u32)],
    radiation_permille: u64,
    chemo_permille: u64,
    hormone_permille: u64,
    /// Tumor size range in mm (`None`: 999, not applicable).
    size_mm: Option<(u64, u64)>,
}

const STAGE_CODES: [&str; 7] = ["0", "1", "2", "3", "4", "7", "9"];

/// The site mix. Weights add up to 1000 (a test checks it).
static PROFILES: [SiteProfile; 18] = [
    SiteProfile {
        name: "breast",
        weight: 150,
        sites: &[
            ("C504", 45),
            ("C509", 20),
            ("C502", 10),
            ("C508", 10),
            ("C501", 7),
            ("C503", 4),
            ("C505", 4),
        ],
        histologies: &[(8500, 75), (8520, 12), (8522, 8), (8480, 5)],
        behavior: 3,
        in_situ_permille: 180,
        in_situ_histologies: &[(8500, 1)],
        female_permille: 990,
        age_mean: 62,
        age_spread: 24,
        paired: true,
        stage_weights: [0, 62, 3, 22, 3, 6, 4],
        eod_local: "100",
        eod_regional: "200",
        eod_nodes: Some("300"),
        grade: GradeKind::Three,
        hazard_permille: 25,
        surgery: &[("00", 6), ("22", 55), ("41", 27), ("51", 12)],
        radiation_permille: 550,
        chemo_permille: 300,
        hormone_permille: 650,
        size_mm: Some((4, 60)),
    },
    SiteProfile {
        name: "lung",
        weight: 125,
        sites: &[
            ("C341", 45),
            ("C343", 25),
            ("C342", 5),
            ("C340", 5),
            ("C349", 20),
        ],
        histologies: &[(8140, 50), (8070, 25), (8041, 13), (8046, 12)],
        behavior: 3,
        in_situ_permille: 0,
        in_situ_histologies: &[],
        female_permille: 500,
        age_mean: 70,
        age_spread: 20,
        paired: true,
        stage_weights: [0, 22, 6, 14, 6, 46, 6],
        eod_local: "300",
        eod_regional: "500",
        eod_nodes: Some("300"),
        grade: GradeKind::Four,
        hazard_permille: 300,
        surgery: &[("00", 70), ("30", 8), ("33", 22)],
        radiation_permille: 450,
        chemo_permille: 550,
        hormone_permille: 0,
        size_mm: Some((8, 90)),
    },
    SiteProfile {
        name: "prostate",
        weight: 100,
        sites: &[("C619", 1)],
        histologies: &[(8140, 97), (8500, 3)],
        behavior: 3,
        in_situ_permille: 0,
        in_situ_histologies: &[],
        female_permille: 0,
        age_mean: 67,
        age_spread: 16,
        paired: false,
        stage_weights: [0, 76, 8, 3, 1, 6, 6],
        eod_local: "200",
        eod_regional: "350",
        eod_nodes: Some("300"),
        grade: GradeKind::Prostate,
        hazard_permille: 20,
        surgery: &[("00", 65), ("50", 35)],
        radiation_permille: 300,
        chemo_permille: 30,
        hormone_permille: 250,
        size_mm: None,
    },
    SiteProfile {
        name: "colorectal",
        weight: 90,
        sites: &[
            ("C180", 12),
            ("C182", 10),
            ("C183", 5),
            ("C184", 5),
            ("C186", 5),
            ("C187", 22),
            ("C189", 6),
            ("C199", 8),
            ("C209", 27),
        ],
        histologies: &[(8140, 88), (8480, 8), (8490, 4)],
        behavior: 3,
        in_situ_permille: 30,
        in_situ_histologies: &[(8140, 1)],
        female_permille: 470,
        age_mean: 66,
        age_spread: 26,
        paired: false,
        stage_weights: [0, 36, 10, 18, 12, 20, 4],
        eod_local: "300",
        eod_regional: "400",
        eod_nodes: Some("300"),
        grade: GradeKind::Four,
        hazard_permille: 80,
        surgery: &[("00", 15), ("30", 60), ("40", 25)],
        radiation_permille: 150,
        chemo_permille: 450,
        hormone_permille: 0,
        size_mm: Some((5, 90)),
    },
    SiteProfile {
        name: "melanoma",
        weight: 60,
        sites: &[
            ("C445", 35),
            ("C446", 20),
            ("C447", 20),
            ("C443", 15),
            ("C444", 10),
        ],
        histologies: &[(8720, 45), (8743, 35), (8721, 12), (8742, 8)],
        behavior: 3,
        in_situ_permille: 350,
        in_situ_histologies: &[(8720, 6), (8742, 4)],
        female_permille: 420,
        age_mean: 63,
        age_spread: 28,
        paired: true,
        stage_weights: [0, 82, 1, 8, 1, 4, 4],
        eod_local: "200",
        eod_regional: "500",
        eod_nodes: Some("300"),
        grade: GradeKind::Unknown,
        hazard_permille: 20,
        surgery: &[("00", 3), ("27", 30), ("45", 67)],
        radiation_permille: 30,
        chemo_permille: 20,
        hormone_permille: 0,
        size_mm: None,
    },
    SiteProfile {
        name: "bladder",
        weight: 55,
        sites: &[("C679", 45), ("C674", 25), ("C672", 20), ("C670", 10)],
        histologies: &[(8120, 70), (8130, 30)],
        behavior: 3,
        in_situ_permille: 400,
        in_situ_histologies: &[(8130, 8), (8120, 2)],
        female_permille: 250,
        age_mean: 72,
        age_spread: 18,
        paired: false,
        stage_weights: [0, 70, 10, 3, 2, 6, 9],
        eod_local: "100",
        eod_regional: "250",
        eod_nodes: Some("300"),
        grade: GradeKind::LowHigh,
        hazard_permille: 60,
        surgery: &[("00", 5), ("27", 80), ("50", 15)],
        radiation_permille: 50,
        chemo_permille: 250,
        hormone_permille: 0,
        size_mm: Some((5, 60)),
    },
    SiteProfile {
        name: "kidney",
        weight: 55,
        sites: &[("C649", 1)],
        histologies: &[(8312, 55), (8310, 45)],
        behavior: 3,
        in_situ_permille: 0,
        in_situ_histologies: &[],
        female_permille: 370,
        age_mean: 64,
        age_spread: 22,
        paired: true,
        stage_weights: [0, 64, 10, 2, 2, 16, 6],
        eod_local: "100",
        eod_regional: "300",
        eod_nodes: Some("300"),
        grade: GradeKind::Four,
        hazard_permille: 50,
        surgery: &[("00", 20), ("30", 35), ("40", 45)],
        radiation_permille: 20,
        chemo_permille: 80,
        hormone_permille: 0,
        size_mm: Some((10, 120)),
    },
    SiteProfile {
        name: "thyroid",
        weight: 45,
        sites: &[("C739", 1)],
        histologies: &[(8260, 55), (8340, 35), (8330, 10)],
        behavior: 3,
        in_situ_permille: 0,
        in_situ_histologies: &[],
        female_permille: 750,
        age_mean: 51,
        age_spread: 26,
        paired: false,
        stage_weights: [0, 64, 8, 20, 4, 2, 2],
        eod_local: "100",
        eod_regional: "200",
        eod_nodes: Some("300"),
        grade: GradeKind::Unknown,
        hazard_permille: 5,
        surgery: &[("00", 3), ("20", 30), ("50", 67)],
        radiation_permille: 350,
        chemo_permille: 5,
        hormone_permille: 0,
        size_mm: Some((3, 50)),
    },
    SiteProfile {
        name: "lymphoma",
        weight: 55,
        sites: &[
            ("C779", 40),
            ("C772", 20),
            ("C773", 15),
            ("C770", 15),
            ("C774", 10),
        ],
        histologies: &[(9680, 45), (9690, 25), (9650, 10), (9663, 20)],
        behavior: 3,
        in_situ_permille: 0,
        in_situ_histologies: &[],
        female_permille: 450,
        age_mean: 64,
        age_spread: 30,
        paired: false,
        stage_weights: [0, 28, 22, 0, 0, 45, 5],
        eod_local: "100",
        eod_regional: "300",
        eod_nodes: None,
        grade: GradeKind::Heme,
        hazard_permille: 70,
        surgery: &[("00", 1)],
        radiation_permille: 200,
        chemo_permille: 800,
        hormone_permille: 0,
        size_mm: None,
    },
    SiteProfile {
        name: "leukemia",
        weight: 35,
        sites: &[("C421", 1)],
        histologies: &[(9823, 45), (9861, 35), (9875, 20)],
        behavior: 3,
        in_situ_permille: 0,
        in_situ_histologies: &[],
        female_permille: 420,
        age_mean: 68,
        age_spread: 24,
        paired: false,
        stage_weights: [0, 0, 0, 0, 0, 96, 4],
        eod_local: "100",
        eod_regional: "100",
        eod_nodes: None,
        grade: GradeKind::Heme,
        hazard_permille: 120,
        surgery: &[("98", 1)],
        radiation_permille: 10,
        chemo_permille: 600,
        hormone_permille: 0,
        size_mm: None,
    },
    SiteProfile {
        name: "pancreas",
        weight: 40,
        sites: &[("C250", 60), ("C251", 15), ("C252", 15), ("C259", 10)],
        histologies: &[(8500, 80), (8140, 20)],
        behavior: 3,
        in_situ_permille: 0,
        in_situ_histologies: &[],
        female_permille: 480,
        age_mean: 70,
        age_spread: 20,
        paired: false,
        stage_weights: [0, 12, 12, 14, 8, 50, 4],
        eod_local: "100",
        eod_regional: "500",
        eod_nodes: Some("300"),
        grade: GradeKind::Three,
        hazard_permille: 600,
        surgery: &[("00", 80), ("30", 8), ("35", 12)],
        radiation_permille: 150,
        chemo_permille: 600,
        hormone_permille: 0,
        size_mm: Some((10, 70)),
    },
    SiteProfile {
        name: "uterus",
        weight: 50,
        sites: &[("C541", 70), ("C549", 25), ("C540", 5)],
        histologies: &[(8380, 80), (8441, 12), (8310, 8)],
        behavior: 3,
        in_situ_permille: 0,
        in_situ_histologies: &[],
        female_permille: 1000,
        age_mean: 63,
        age_spread: 20,
        paired: false,
        stage_weights: [0, 68, 6, 8, 2, 9, 7],
        eod_local: "100",
        eod_regional: "400",
        eod_nodes: Some("300"),
        grade: GradeKind::Three,
        hazard_permille: 35,
        surgery: &[("00", 8), ("40", 30), ("50", 62)],
        radiation_permille: 300,
        chemo_permille: 200,
        hormone_permille: 30,
        size_mm: Some((5, 80)),
    },
    SiteProfile {
        name: "liver",
        weight: 35,
        sites: &[("C220", 1)],
        histologies: &[(8170, 90), (8160, 10)],
        behavior: 3,
        in_situ_permille: 0,
        in_situ_histologies: &[],
        female_permille: 280,
        age_mean: 65,
        age_spread: 20,
        paired: false,
        stage_weights: [0, 42, 10, 4, 4, 25, 15],
        eod_local: "100",
        eod_regional: "300",
        eod_nodes: Some("300"),
        grade: GradeKind::Four,
        hazard_permille: 350,
        surgery: &[("00", 75), ("20", 15), ("30", 10)],
        radiation_permille: 100,
        chemo_permille: 350,
        hormone_permille: 0,
        size_mm: Some((10, 120)),
    },
    SiteProfile {
        name: "stomach",
        weight: 25,
        sites: &[("C162", 20), ("C163", 25), ("C165", 20), ("C169", 35)],
        histologies: &[(8140, 60), (8490, 25), (8144, 15)],
        behavior: 3,
        in_situ_permille: 0,
        in_situ_histologies: &[],
        female_permille: 400,
        age_mean: 68,
        age_spread: 22,
        paired: false,
        stage_weights: [0, 26, 8, 14, 10, 34, 8],
        eod_local: "300",
        eod_regional: "600",
        eod_nodes: Some("300"),
        grade: GradeKind::Three,
        hazard_permille: 200,
        surgery: &[("00", 50), ("30", 35), ("40", 15)],
        radiation_permille: 150,
        chemo_permille: 500,
        hormone_permille: 0,
        size_mm: Some((10, 90)),
    },
    SiteProfile {
        name: "myeloma",
        weight: 25,
        sites: &[("C421", 1)],
        histologies: &[(9732, 1)],
        behavior: 3,
        in_situ_permille: 0,
        in_situ_histologies: &[],
        female_permille: 440,
        age_mean: 69,
        age_spread: 20,
        paired: false,
        stage_weights: [0, 0, 0, 0, 0, 96, 4],
        eod_local: "700",
        eod_regional: "700",
        eod_nodes: None,
        grade: GradeKind::Heme,
        hazard_permille: 130,
        surgery: &[("98", 1)],
        radiation_permille: 150,
        chemo_permille: 850,
        hormone_permille: 0,
        size_mm: None,
    },
    SiteProfile {
        name: "ovary",
        weight: 20,
        sites: &[("C569", 1)],
        histologies: &[(8441, 60), (8380, 20), (8310, 10), (8480, 10)],
        behavior: 3,
        in_situ_permille: 0,
        in_situ_histologies: &[],
        female_permille: 1000,
        age_mean: 62,
        age_spread: 24,
        paired: true,
        stage_weights: [0, 25, 10, 4, 4, 52, 5],
        eod_local: "100",
        eod_regional: "300",
        eod_nodes: Some("300"),
        grade: GradeKind::Three,
        hazard_permille: 150,
        surgery: &[("00", 15), ("50", 85)],
        radiation_permille: 20,
        chemo_permille: 750,
        hormone_permille: 20,
        size_mm: Some((20, 150)),
    },
    SiteProfile {
        name: "cervix",
        weight: 15,
        sites: &[("C539", 70), ("C530", 20), ("C531", 10)],
        histologies: &[(8070, 70), (8140, 25), (8560, 5)],
        behavior: 3,
        in_situ_permille: 0,
        in_situ_histologies: &[],
        female_permille: 1000,
        age_mean: 50,
        age_spread: 28,
        paired: false,
        stage_weights: [0, 44, 12, 20, 6, 14, 4],
        eod_local: "100",
        eod_regional: "400",
        eod_nodes: Some("300"),
        grade: GradeKind::Three,
        hazard_permille: 70,
        surgery: &[("00", 55), ("40", 45)],
        radiation_permille: 550,
        chemo_permille: 500,
        hormone_permille: 0,
        size_mm: Some((5, 70)),
    },
    SiteProfile {
        name: "meningioma",
        weight: 20,
        sites: &[("C700", 1)],
        histologies: &[(9530, 1)],
        behavior: 0,
        in_situ_permille: 0,
        in_situ_histologies: &[],
        female_permille: 700,
        age_mean: 62,
        age_spread: 26,
        paired: false,
        stage_weights: [0, 0, 0, 0, 0, 0, 1],
        eod_local: "050",
        eod_regional: "050",
        eod_nodes: None,
        grade: GradeKind::Benign,
        hazard_permille: 15,
        surgery: &[("00", 55), ("30", 45)],
        radiation_permille: 100,
        chemo_permille: 0,
        hormone_permille: 0,
        size_mm: Some((5, 60)),
    },
];

/// EOD 2018 schema ID for the site/histology/year (diagnoses 2018+), from the EOD 3.3 selection table.
fn schema_id(profile: &SiteProfile, histology: u16, year: i32) -> &'static str {
    match profile.name {
        "breast" => "00480",
        "lung" if year >= 2025 => "09360",
        "lung" => "00360",
        "prostate" => "00580",
        "colorectal" => "00200",
        "melanoma" => "00470",
        "bladder" => "00620",
        "kidney" => "00600",
        "thyroid" => "00730",
        "lymphoma" => "00790",
        "leukemia" if histology == 9823 => "00795",
        "leukemia" => "00830",
        "pancreas" => "00280",
        "uterus" => "00530",
        "liver" => "00220",
        "stomach" => "00170",
        "myeloma" => "00821",
        "ovary" => "00551",
        "cervix" if year >= 2021 => "09520",
        "cervix" => "00520",
        "meningioma" if year >= 2023 => "09721",
        _ => "00721",
    }
}

// ---------------------------------------------------------------------------------------------
// Names and places (synthetic)
// ---------------------------------------------------------------------------------------------

const LAST_NAMES: [&str; 40] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Jackson",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Nguyen",
    "Kim",
    "Chen",
    "Patel",
    "O'Brien",
    "Müller",
    "Kowalski",
    "Novák",
    "Søndergaard",
    "Dubois",
    "Rossi",
    "Schäfer",
    "MacDonald",
    "Østergaard",
    "Lefèvre",
];

const HISPANIC_LAST_NAMES: [&str; 14] = [
    "García",
    "Rodríguez",
    "Martínez",
    "Hernández",
    "López",
    "González",
    "Pérez",
    "Sánchez",
    "Ramírez",
    "Torres",
    "Flores",
    "Rivera",
    "Gómez",
    "Núñez",
];

const FEMALE_FIRST_NAMES: [&str; 30] = [
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Nancy",
    "Lisa",
    "Margaret",
    "Sandra",
    "Ashley",
    "Dorothy",
    "Helen",
    "Carol",
    "Ruth",
    "Sharon",
    "María",
    "Zoë",
    "Renée",
    "Chloé",
    "Inés",
    "Ana",
    "Lucía",
    "Mei",
    "Priya",
    "Ingrid",
];

const MALE_FIRST_NAMES: [&str; 30] = [
    "James",
    "Robert",
    "John",
    "Michael",
    "David",
    "William",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Christopher",
    "Daniel",
    "Matthew",
    "Anthony",
    "Mark",
    "Donald",
    "Steven",
    "Paul",
    "Andrew",
    "Kenneth",
    "José",
    "André",
    "Björn",
    "Jürgen",
    "François",
    "Ángel",
    "Luis",
    "Minh",
    "Raj",
    "Søren",
];

const MIDDLE_NAMES: [&str; 16] = [
    "Ann", "Marie", "Lee", "Lynn", "Jean", "Rose", "Grace", "May", "James", "Paul", "Edward",
    "Allen", "Ray", "Joseph", "Élise", "Josué",
];

/// City, state, 3-digit ZIP prefix, telephone area code (all real places; no street addresses).
const PLACES: [(&str, &str, &str, &str); 20] = [
    ("Springfield", "IL", "627", "217"),
    ("Columbus", "OH", "432", "614"),
    ("Madison", "WI", "537", "608"),
    ("Albany", "NY", "122", "518"),
    ("Sacramento", "CA", "958", "916"),
    ("Austin", "TX", "787", "512"),
    ("San Antonio", "TX", "782", "210"),
    ("Denver", "CO", "802", "303"),
    ("Boise", "ID", "837", "208"),
    ("Raleigh", "NC", "276", "919"),
    ("Richmond", "VA", "232", "804"),
    ("Nashville", "TN", "372", "615"),
    ("Lansing", "MI", "489", "517"),
    ("Des Moines", "IA", "503", "515"),
    ("Hartford", "CT", "061", "860"),
    ("Santa Fe", "NM", "875", "505"),
    ("Tallahassee", "FL", "323", "850"),
    ("Salem", "OR", "973", "503"),
    ("Española", "NM", "875", "505"),
    ("Coeur d'Alene", "ID", "838", "208"),
];

/// Foreign residents: city, country (NAACCR state at diagnosis is then `XX`).
const FOREIGN_PLACES: [(&str, &str); 4] = [
    ("Monterrey", "MEX"),
    ("München", "DEU"),
    ("Toronto", "CAN"),
    ("London", "GBR"),
];

/// Race 1 codes with weights (per 1000).
const RACES: [(&str, u32); 11] = [
    ("01", 720),
    ("02", 140),
    ("03", 10),
    ("04", 15),
    ("05", 5),
    ("06", 10),
    ("08", 5),
    ("10", 5),
    ("96", 20),
    ("98", 10),
    ("99", 60),
];

/// Spanish/Hispanic Origin codes with weights (per 1000).
const HISPANIC_ORIGINS: [(&str, u32); 7] = [
    ("0", 830),
    ("1", 90),
    ("2", 20),
    ("3", 10),
    ("4", 20),
    ("6", 10),
    ("9", 20),
];

/// Class of Case with weights (per 1000): mostly analytic 10-22.
const CLASSES_OF_CASE: [(&str, u32); 17] = [
    ("00", 50),
    ("10", 40),
    ("11", 30),
    ("12", 50),
    ("13", 150),
    ("14", 350),
    ("20", 30),
    ("21", 80),
    ("22", 120),
    ("30", 30),
    ("31", 10),
    ("32", 20),
    ("33", 10),
    ("34", 5),
    ("35", 5),
    ("38", 10),
    ("43", 10),
];

// ---------------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------------

/// A tumor before it becomes items.
struct DraftTumor {
    profile: &'static SiteProfile,
    diagnosis: NaiveDate,
    site: &'static str,
    histology: u16,
    behavior: u8,
    age: i64,
}

/// Items of one patient or tumor, by NAACCR XML id. (Inserting item by item was measured faster than
/// sorting a buffer and bulk-building the map.)
type Items = BTreeMap<&'static str, String>;

/// Appends `value` in decimal, zero-padded to `width` digits (no `format!` on the hot path).
fn push_padded(out: &mut String, value: u64, width: usize) {
    let mut divisor = 1u64;
    let mut len = 1;
    while value / divisor >= 10 {
        divisor *= 10;
        len += 1;
    }
    for _ in len..width {
        out.push('0');
    }
    while divisor > 0 {
        out.push(char::from(b'0' + (value / divisor % 10) as u8));
        divisor /= 10;
    }
}

/// `value` zero-padded to `width` digits.
fn padded(value: u64, width: usize) -> String {
    let mut out = String::with_capacity(width.max(4));
    push_padded(&mut out, value, width);
    out
}

/// `prefix` followed by `value` zero-padded to `width` digits.
fn prefixed(prefix: &str, value: u64, width: usize) -> String {
    let mut out = String::with_capacity(prefix.len() + width);
    out.push_str(prefix);
    push_padded(&mut out, value, width);
    out
}

fn naaccr_date(date: NaiveDate) -> String {
    let mut out = String::with_capacity(8);
    push_padded(&mut out, u64::try_from(date.year()).unwrap_or(0), 4);
    push_padded(&mut out, u64::from(date.month()), 2);
    push_padded(&mut out, u64::from(date.day()), 2);
    out
}

fn add_days(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days)).unwrap_or(date)
}

fn sub_days(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(Days::new(days)).unwrap_or(date)
}

fn days_between(from: NaiveDate, to: NaiveDate) -> u64 {
    u64::try_from((to - from).num_days()).unwrap_or(0)
}

fn pick_profile(rng: &mut SplitMix64) -> &'static SiteProfile {
    let mut roll = rng.below(1000) as u32;
    for profile in &PROFILES {
        if roll < profile.weight {
            return profile;
        }
        roll -= profile.weight;
    }
    &PROFILES[0]
}

/// A profile drawn for a patient of known sex: rejection sampling on the profile's sex ratio, so a man's
/// second primary is rarely a breast tumor (colorectal after eight refusals).
fn pick_profile_for_sex(rng: &mut SplitMix64, female: bool) -> &'static SiteProfile {
    for _ in 0..8 {
        let profile = pick_profile(rng);
        let share = if female {
            profile.female_permille
        } else {
            1000 - profile.female_permille.min(1000)
        };
        if rng.chance(share) {
            return profile;
        }
    }
    &PROFILES[3]
}

/// Age at diagnosis: a bell around the profile's mean (sum of three uniforms), 18-97.
fn draw_age(rng: &mut SplitMix64, profile: &SiteProfile) -> i64 {
    let spread = profile.age_spread.max(1) as u64;
    let sum: i64 = (0..3).map(|_| rng.below(2 * spread + 1) as i64).sum();
    (profile.age_mean + sum / 3 - profile.age_spread).clamp(18, 97)
}

fn draw_tumor(
    rng: &mut SplitMix64,
    profile: &'static SiteProfile,
    diagnosis: NaiveDate,
    age: i64,
) -> DraftTumor {
    let in_situ = rng.chance(profile.in_situ_permille) && !profile.in_situ_histologies.is_empty();
    let (histology, behavior) = if in_situ {
        (rng.weighted(profile.in_situ_histologies), 2)
    } else {
        (rng.weighted(profile.histologies), profile.behavior)
    };
    DraftTumor {
        profile,
        diagnosis,
        site: rng.weighted(profile.sites),
        histology,
        behavior,
        age,
    }
}

fn generate_patient(seed: u64, index: usize, today: NaiveDate) -> DemoPatient {
    let mut rng = SplitMix64::for_patient(seed, index);
    let first_profile = pick_profile(&mut rng);
    let female = rng.chance(first_profile.female_permille);

    // Diagnosis of the first tumor: the last 15 years, at least a week ago.
    let window_start = sub_days(today, 15 * 365);
    let latest_dx = sub_days(today, 7);
    let first_dx = add_days(
        window_start,
        rng.below(days_between(window_start, latest_dx) + 1),
    );
    let drawn_age = draw_age(&mut rng, first_profile) as u64;
    let birth = sub_days(first_dx, drawn_age * 365 + drawn_age / 4 + rng.below(365));
    let first_age = years_between(birth, first_dx);

    let mut drafts = vec![draw_tumor(&mut rng, first_profile, first_dx, first_age)];
    let extra = match rng.below(1000) {
        0..80 => 1,
        80..100 => 2,
        _ => 0,
    };
    for _ in 0..extra {
        let previous = drafts.last().map(|t| t.diagnosis).unwrap_or(first_dx);
        let room = days_between(previous, latest_dx);
        let diagnosis = add_days(previous, rng.below(room + 1));
        let profile = pick_profile_for_sex(&mut rng, female);
        let age = years_between(birth, diagnosis);
        drafts.push(draw_tumor(&mut rng, profile, diagnosis, age));
    }

    let foreign = rng.chance(5);
    let place = rng.pick(&PLACES);
    let foreign_place = rng.pick(&FOREIGN_PLACES);
    let hispanic = rng.weighted(&HISPANIC_ORIGINS);
    let mrn = prefixed("MR", index as u64 + 1, 8);

    let mut tumors = Vec::with_capacity(drafts.len());
    let mut latest_event = first_dx;
    let malignant_count = drafts.iter().filter(|t| t.behavior >= 2).count();
    let benign_count = drafts.len() - malignant_count;
    let (mut malignant_seen, mut benign_seen) = (0, 0);
    let accession_year = first_dx.year();
    for (number, draft) in drafts.iter().enumerate() {
        let sequence = if draft.behavior >= 2 {
            malignant_seen += 1;
            if malignant_count == 1 {
                0
            } else {
                malignant_seen
            }
        } else {
            benign_seen += 1;
            if benign_count == 1 {
                60
            } else {
                60 + benign_seen
            }
        };
        let mut tumor = Items::new();
        let (event, class) = tumor_items(
            &mut rng,
            &mut tumor,
            TumorContext {
                draft,
                number: number + 1,
                sequence,
                today,
                foreign,
                place,
                foreign_place,
                accession: {
                    let mut accession = padded(u64::try_from(accession_year).unwrap_or(0), 4);
                    push_padded(&mut accession, index as u64 % 100_000, 5);
                    accession
                },
                mrn: &mrn,
            },
        );
        latest_event = latest_event.max(event);
        tumors.push((tumor, class));
    }

    // Vital status and last contact, patient level.
    let worst_hazard = drafts.iter().map(hazard).fold(0.0_f64, f64::max);
    let years = days_between(first_dx, today) as f64 / 365.25;
    let p_dead = 1.0 - (-worst_hazard * years).exp();
    let span = days_between(latest_event, today);
    let dead = rng.unit() < p_dead;
    let last_contact = if dead {
        // Time to death: exponential with the tumor's hazard, truncated to the time available.
        let u = rng.unit();
        let t_years = -(1.0 - u * p_dead).ln() / worst_hazard.max(1e-6);
        let from_first = (t_years * 365.25) as u64;
        add_days(first_dx, from_first).max(latest_event).min(today)
    } else if span > 460 && rng.chance(200) {
        // Lost: last heard of between the last event and 15 months ago.
        add_days(latest_event, rng.below(span - 460 + 1))
    } else {
        // Current: seen in the last 13 months, never before the last event.
        let recent = sub_days(today, rng.below(396));
        recent.max(latest_event)
    };

    let mut items = Items::new();
    items.insert("patientIdNumber", padded(index as u64 + 1, 8));
    let last_name = if hispanic != "0" && hispanic != "9" && rng.chance(800) {
        rng.pick(&HISPANIC_LAST_NAMES)
    } else {
        rng.pick(&LAST_NAMES)
    };
    items.insert("nameLast", last_name.to_string());
    let first_names: &[&str] = if female {
        &FEMALE_FIRST_NAMES
    } else {
        &MALE_FIRST_NAMES
    };
    items.insert("nameFirst", rng.pick(first_names).to_string());
    if rng.chance(700) {
        items.insert("nameMiddle", rng.pick(&MIDDLE_NAMES).to_string());
    }
    items.insert("dateOfBirth", naaccr_date(birth));
    items.insert(
        "sexAssignedAtBirth",
        if female { "2" } else { "1" }.to_string(),
    );
    items.insert("race1", rng.weighted(&RACES).to_string());
    items.insert("spanishHispanicOrigin", hispanic.to_string());
    items.insert("socialSecurityNumber", {
        let mut ssn = padded(rng.between(900, 998), 3);
        push_padded(&mut ssn, rng.between(1, 49), 2);
        push_padded(&mut ssn, rng.between(1, 9999), 4);
        ssn
    });
    let (city, state, zip3, area) = if rng.chance(900) {
        place
    } else {
        rng.pick(&PLACES)
    };
    if foreign {
        items.insert("addrCurrentCity", foreign_place.0.to_string());
        items.insert("addrCurrentState", "XX".to_string());
        items.insert("addrCurrentCountry", foreign_place.1.to_string());
    } else {
        items.insert("addrCurrentCity", city.to_string());
        items.insert("addrCurrentState", state.to_string());
        items.insert("addrCurrentPostalCode", {
            let mut zip = String::with_capacity(5);
            zip.push_str(zip3);
            push_padded(&mut zip, rng.below(100), 2);
            zip
        });
        items.insert("addrCurrentCountry", "USA".to_string());
        let mut phone = String::with_capacity(10);
        phone.push_str(area);
        phone.push_str("55501");
        push_padded(&mut phone, rng.below(100), 2);
        items.insert("telephone", phone);
    }
    items.insert("vitalStatus", if dead { "0" } else { "1" }.to_string());
    items.insert("dateOfLastContact", naaccr_date(last_contact));

    // Follow-up items of each tumor follow the patient's last contact.
    let mut tumor_maps = Vec::with_capacity(tumors.len());
    for ((mut tumor, class), draft) in tumors.into_iter().zip(&drafts) {
        let status = if dead {
            rng.weighted(&[("2", 60), ("1", 25), ("9", 15)])
        } else if draft.behavior == 0 {
            rng.weighted(&[("1", 80), ("2", 15), ("9", 5)])
        } else {
            rng.weighted(&[("1", 75), ("2", 15), ("9", 10)])
        };
        tumor.insert("cancerStatus", status.to_string());
        tumor.insert("dateOfLastCancerStatus", naaccr_date(last_contact));
        let source = if dead {
            rng.weighted(&[("7", 70), ("2", 20), ("1", 10)])
        } else {
            rng.weighted(&[("0", 25), ("1", 25), ("2", 35), ("3", 15)])
        };
        tumor.insert("followUpSource", source.to_string());
        let analytic_followed =
            matches!(class, "10" | "11" | "12" | "13" | "14" | "20" | "21" | "22");
        let next = if foreign {
            "8"
        } else if !analytic_followed {
            "9"
        } else {
            rng.weighted(&[("0", 40), ("1", 45), ("2", 10), ("3", 5)])
        };
        tumor.insert("nextFollowUpSource", next.to_string());
        tumor_maps.push(tumor);
    }

    DemoPatient {
        items,
        tumors: tumor_maps,
    }
}

fn years_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut years = i64::from(to.year() - from.year());
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years
}

/// Yearly hazard of death for a tumor: the profile's, less for in situ, more after 70.
fn hazard(tumor: &DraftTumor) -> f64 {
    let base = f64::from(tumor.profile.hazard_permille) / 1000.0 * 0.55;
    let base = if tumor.behavior == 2 {
        base * 0.2
    } else {
        base
    };
    base * (1.0 + (tumor.age - 70).max(0) as f64 / 20.0)
}

/// What `tumor_items` needs besides the random stream.
struct TumorContext<'a> {
    draft: &'a DraftTumor,
    number: usize,
    sequence: usize,
    today: NaiveDate,
    foreign: bool,
    place: (&'static str, &'static str, &'static str, &'static str),
    foreign_place: (&'static str, &'static str),
    accession: String,
    mrn: &'a str,
}

/// Fills the tumor's items; returns the latest event date (first contact or treatment) and the class of case.
fn tumor_items(
    rng: &mut SplitMix64,
    tumor: &mut Items,
    context: TumorContext<'_>,
) -> (NaiveDate, &'static str) {
    let TumorContext {
        draft,
        number,
        sequence,
        today,
        foreign,
        place,
        foreign_place,
        accession,
        mrn,
    } = context;
    let profile = draft.profile;
    let year = draft.diagnosis.year();
    let dx = draft.diagnosis;

    tumor.insert("tumorRecordNumber", padded(number as u64, 2));
    tumor.insert("primarySite", draft.site.to_string());
    tumor.insert("histologicTypeIcdO3", draft.histology.to_string());
    tumor.insert("behaviorCodeIcdO3", draft.behavior.to_string());
    let laterality = if profile.paired {
        rng.weighted(&[("1", 49), ("2", 49), ("9", 2)])
    } else {
        "0"
    };
    tumor.insert("laterality", laterality.to_string());
    tumor.insert("dateOfDiagnosis", naaccr_date(dx));
    tumor.insert(
        "ageAtDiagnosis",
        padded(u64::try_from(draft.age).unwrap_or(0), 3),
    );
    let sequence = padded(sequence as u64, 2);
    tumor.insert("sequenceNumberHospital", sequence.clone());
    tumor.insert("sequenceNumberCentral", sequence);
    let class = rng.weighted(&CLASSES_OF_CASE);
    tumor.insert("classOfCase", class.to_string());
    let heme = profile.grade == GradeKind::Heme;
    let confirmation = if heme {
        rng.weighted(&[("1", 60), ("3", 40)])
    } else if profile.name == "pancreas" || profile.name == "lung" || profile.name == "liver" {
        rng.weighted(&[("1", 82), ("2", 10), ("7", 6), ("8", 2)])
    } else {
        rng.weighted(&[("1", 97), ("2", 2), ("8", 1)])
    };
    tumor.insert("diagnosticConfirmation", confirmation.to_string());
    let diagnosed_elsewhere =
        matches!(class, "20" | "21" | "22" | "30" | "31" | "32" | "33" | "34");
    let first_contact = if diagnosed_elsewhere {
        add_days(dx, rng.between(3, 60))
    } else {
        add_days(dx, rng.below(8))
    }
    .min(today);
    tumor.insert("dateOf1stContact", naaccr_date(first_contact));
    tumor.insert("accessionNumberHosp", accession);
    tumor.insert("medicalRecordNumber", mrn.to_string());
    if foreign {
        tumor.insert("addrAtDxCity", foreign_place.0.to_string());
        tumor.insert("addrAtDxState", "XX".to_string());
        tumor.insert("addrAtDxCountry", foreign_place.1.to_string());
    } else {
        tumor.insert("addrAtDxCity", place.0.to_string());
        tumor.insert("addrAtDxState", place.1.to_string());
        tumor.insert("addrAtDxPostalCode", {
            let mut zip = String::with_capacity(5);
            zip.push_str(place.2);
            push_padded(&mut zip, rng.below(100), 2);
            zip
        });
        tumor.insert("addrAtDxCountry", "USA".to_string());
    }

    // Stage: in situ is stage 0; benign CNS is 8; else the profile's weights.
    let stage = match draft.behavior {
        2 => "0",
        0 | 1 => "8",
        _ => {
            let mut weights = [("9", 0); 7];
            for (slot, (code, weight)) in weights
                .iter_mut()
                .zip(STAGE_CODES.iter().zip(profile.stage_weights))
            {
                *slot = (*code, weight);
            }
            rng.weighted(&weights)
        }
    };
    // Surgery and treatment
    let surgery = if draft.behavior == 2 && rng.chance(900) {
        // In situ disease is almost always excised.
        profile
            .surgery
            .iter()
            .map(|(code, _)| *code)
            .find(|c| *c != "00")
            .unwrap_or("00")
    } else {
        rng.weighted(profile.surgery)
    };
    let operated = surgery != "00" && surgery != "98";
    let advanced = stage == "7";
    let radiation = rng.chance(profile.radiation_permille);
    let chemo = draft.behavior == 3
        && rng.chance(if advanced {
            (profile.chemo_permille + 250).min(1000)
        } else {
            profile.chemo_permille
        });
    let hormone = draft.behavior >= 2 && rng.chance(profile.hormone_permille);

    if year >= 2018 {
        tumor.insert(
            "schemaId",
            schema_id(profile, draft.histology, year).to_string(),
        );
        tumor.insert("summaryStage2018", stage.to_string());
        let (t, n, m) = eod_codes(profile, stage);
        tumor.insert("eodPrimaryTumor", t.to_string());
        tumor.insert("eodRegionalNodes", n.to_string());
        tumor.insert("eodMets", m.to_string());
        let clinical = grade_2018(rng, profile.grade);
        tumor.insert("gradeClinical", clinical.to_string());
        let pathological = if operated { clinical } else { "9" };
        tumor.insert("gradePathological", pathological.to_string());
    } else {
        tumor.insert(
            "grade",
            grade_before_2018(rng, profile.grade, draft.histology).to_string(),
        );
    }
    if year >= 2016 {
        let size = match profile.size_mm {
            Some((low, high)) if draft.behavior == 3 || draft.behavior == 0 => {
                padded(rng.between(low, high), 3)
            }
            Some((low, _)) => padded(rng.between(1, low.max(2) * 3), 3),
            None => "999".to_string(),
        };
        tumor.insert("tumorSizeSummary", size);
    }

    let mut latest = first_contact;
    let mut treatment_date = |rng: &mut SplitMix64, from: NaiveDate, days: (u64, u64)| {
        let date = add_days(from, rng.between(days.0, days.1)).min(today);
        latest = latest.max(date);
        naaccr_date(date)
    };
    if year < 2023 {
        tumor.insert("rxSummSurgPrimSite", surgery.to_string());
    }
    if operated {
        let date = treatment_date(rng, first_contact, (0, 45));
        tumor.insert("rxDateSurgery", date.clone());
        tumor.insert("rxDateMostDefinSurg", date);
    }
    tumor.insert(
        "rxSummRadiation",
        if radiation { "1" } else { "0" }.to_string(),
    );
    if radiation {
        tumor.insert(
            "rxDateRadiation",
            treatment_date(rng, first_contact, (20, 120)),
        );
    }
    tumor.insert(
        "rxSummChemo",
        if chemo { rng.pick(&["02", "03"]) } else { "00" }.to_string(),
    );
    if chemo {
        tumor.insert("rxDateChemo", treatment_date(rng, first_contact, (10, 90)));
    }
    tumor.insert(
        "rxSummHormone",
        if hormone { "01" } else { "00" }.to_string(),
    );
    if hormone {
        tumor.insert(
            "rxDateHormone",
            treatment_date(rng, first_contact, (20, 150)),
        );
    }
    let treated = operated || radiation || chemo || hormone;
    let status = if treated {
        "1"
    } else if profile.name == "prostate" || profile.name == "leukemia" {
        "2"
    } else {
        "0"
    };
    tumor.insert("rxSummTreatmentStatus", status.to_string());
    (latest, class)
}

/// EOD Primary Tumor, Regional Nodes and Mets that derive the Summary Stage 2018 `stage`.
fn eod_codes(profile: &SiteProfile, stage: &str) -> (&'static str, &'static str, &'static str) {
    let Some(nodes) = profile.eod_nodes else {
        // Heme and benign CNS: nodes 888, mets 88 (00 for CNS).
        let mets = if profile.grade == GradeKind::Benign {
            "00"
        } else {
            "88"
        };
        let t = match (profile.name, stage) {
            (_, "9") => "999",
            ("lymphoma", "2") => profile.eod_regional,
            ("lymphoma", "7") => "700",
            ("leukemia", "7") => "750",
            _ => profile.eod_local,
        };
        return (t, "888", mets);
    };
    match stage {
        "0" => ("000", "000", "00"),
        "1" => (profile.eod_local, "000", "00"),
        "2" => (profile.eod_regional, "000", "00"),
        "3" => (profile.eod_local, nodes, "00"),
        "4" => (profile.eod_regional, nodes, "00"),
        "7" => (profile.eod_local, nodes, "70"),
        _ => ("999", "999", "99"),
    }
}

fn grade_2018(rng: &mut SplitMix64, kind: GradeKind) -> &'static str {
    match kind {
        GradeKind::Three => rng.weighted(&[("1", 20), ("2", 40), ("3", 30), ("9", 10)]),
        GradeKind::Four => rng.weighted(&[("1", 15), ("2", 40), ("3", 30), ("4", 5), ("9", 10)]),
        GradeKind::Prostate => rng.weighted(&[
            ("1", 30),
            ("2", 30),
            ("3", 15),
            ("4", 10),
            ("5", 10),
            ("9", 5),
        ]),
        GradeKind::LowHigh => rng.weighted(&[("L", 50), ("H", 45), ("9", 5)]),
        GradeKind::Unknown => "9",
        GradeKind::Heme => "8",
        GradeKind::Benign => "1",
    }
}

fn grade_before_2018(rng: &mut SplitMix64, kind: GradeKind, histology: u16) -> &'static str {
    match kind {
        GradeKind::Heme if matches!(histology, 9680 | 9690 | 9823) => "6",
        GradeKind::Heme | GradeKind::Unknown | GradeKind::Benign => "9",
        _ => rng.weighted(&[("1", 20), ("2", 40), ("3", 25), ("4", 5), ("9", 10)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashMap};
    use std::path::PathBuf;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 15).unwrap()
    }

    fn shared(path: &str) -> PathBuf {
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared")
            .join(path);
        assert!(
            file.exists(),
            "reference file {} is missing: the demo data tests need /work/shared",
            file.display()
        );
        file
    }

    /// naaccrId → parent element (Patient/Tumor) from the v26 item list.
    fn dictionary_levels() -> HashMap<String, String> {
        let mut reader = csv::Reader::from_path(shared("naaccr/naaccr-xml-items-260.csv")).unwrap();
        reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[0].to_string(), r[6].to_string())
            })
            .collect()
    }

    #[test]
    fn profile_weights_add_up_to_1000_and_tables_are_not_empty() {
        assert_eq!(PROFILES.iter().map(|p| p.weight).sum::<u32>(), 1000);
        for p in &PROFILES {
            assert!(
                !p.sites.is_empty() && !p.histologies.is_empty() && !p.surgery.is_empty(),
                "{}",
                p.name
            );
            assert!(
                p.in_situ_permille == 0 || !p.in_situ_histologies.is_empty(),
                "{}",
                p.name
            );
        }
    }

    #[test]
    fn same_seed_same_patients_other_seed_other_patients() {
        let a: Vec<_> = generate(42, 200, today()).collect();
        let b: Vec<_> = generate(42, 200, today()).collect();
        let c: Vec<_> = generate(43, 200, today()).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 200);
        // Patient streams are independent of the count asked for.
        let first10: Vec<_> = generate(42, 10, today()).collect();
        assert_eq!(first10[..], a[..10]);
    }

    #[test]
    fn output_is_pinned_for_a_seed() {
        // Pins the generator: a change to the PRNG or to the order of draws changes these values,
        // which would silently change every demo database built from a seed.
        let p = generate(7, 1, today()).next().unwrap();
        assert_eq!(p.item("patientIdNumber"), Some("00000001"));
        let fingerprint = format!(
            "{}|{}|{}|{}",
            p.item("nameLast").unwrap(),
            p.item("dateOfBirth").unwrap(),
            p.tumors[0]["primarySite"],
            p.tumors[0]["dateOfDiagnosis"]
        );
        assert_eq!(fingerprint, PINNED_SEED_7);
    }

    const PINNED_SEED_7: &str = "Moore|19660204|C446|20191102";

    #[test]
    fn numbers_and_dates_are_zero_padded() {
        assert_eq!(padded(0, 2), "00");
        assert_eq!(padded(5, 3), "005");
        assert_eq!(padded(12_345, 2), "12345");
        assert_eq!(padded(u64::MAX, 1), u64::MAX.to_string());
        assert_eq!(prefixed("MR", 42, 8), "MR00000042");
        assert_eq!(
            naaccr_date(NaiveDate::from_ymd_opt(2024, 2, 9).unwrap()),
            "20240209"
        );
    }

    #[test]
    fn ids_are_sequential_eight_digits() {
        let ids: Vec<String> = generate(1, 12, today())
            .map(|p| p.item("patientIdNumber").unwrap().to_string())
            .collect();
        assert_eq!(ids[0], "00000001");
        assert_eq!(ids[11], "00000012");
        assert!(
            ids.iter()
                .all(|id| id.len() == 8 && id.chars().all(|c| c.is_ascii_digit()))
        );
    }

    #[test]
    fn every_item_is_a_v26_item_at_the_right_level() {
        let levels = dictionary_levels();
        for p in generate(3, 3000, today()) {
            for id in p.items.keys() {
                assert_eq!(
                    levels.get(*id).map(String::as_str),
                    Some("Patient"),
                    "patient item {id}"
                );
            }
            for t in &p.tumors {
                for id in t.keys() {
                    assert_eq!(
                        levels.get(*id).map(String::as_str),
                        Some("Tumor"),
                        "tumor item {id}"
                    );
                }
            }
        }
    }

    fn topography() -> BTreeSet<String> {
        let mut reader =
            csv::Reader::from_path(shared("icdo3/icdo3_topography_from_eod_public_3.3.csv"))
                .unwrap();
        reader
            .records()
            .map(|r| r.unwrap()[0].to_string())
            .collect()
    }

    fn histology_ranges() -> Vec<(u16, u16)> {
        let mut reader = csv::Reader::from_path(shared(
            "icdo3/icdo3_valid_histology_ranges_from_eod_public_3.3.csv",
        ))
        .unwrap();
        reader
            .records()
            .map(|r| {
                let text = r.unwrap()[0].to_string();
                let (low, high) = text.split_once('-').unwrap_or((&text, &text));
                (low.trim().parse().unwrap(), high.trim().parse().unwrap())
            })
            .collect()
    }

    fn in_list(value: Option<&String>, list: &[&str]) -> bool {
        value.is_some_and(|v| list.contains(&v.as_str()))
    }

    #[test]
    fn coded_values_are_in_their_code_lists() {
        let sites = topography();
        let histologies = histology_ranges();
        for p in generate(11, 5000, today()) {
            let i = &p.items;
            assert!(in_list(i.get("sexAssignedAtBirth"), &["1", "2"]));
            assert!(in_list(
                i.get("race1"),
                &[
                    "01", "02", "03", "04", "05", "06", "08", "10", "96", "98", "99"
                ]
            ));
            assert!(in_list(
                i.get("spanishHispanicOrigin"),
                &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
            ));
            assert!(in_list(i.get("vitalStatus"), &["0", "1"]));
            let ssn = &i["socialSecurityNumber"];
            assert_eq!(ssn.len(), 9);
            let area: u32 = ssn[..3].parse().unwrap();
            let group: u32 = ssn[3..5].parse().unwrap();
            assert!(
                (900..=998).contains(&area) && (1..=49).contains(&group),
                "{ssn}"
            );
            if let Some(phone) = i.get("telephone") {
                assert_eq!(&phone[3..8], "55501", "{phone}");
            }
            for t in &p.tumors {
                assert!(sites.contains(&t["primarySite"]), "{}", t["primarySite"]);
                let h: u16 = t["histologicTypeIcdO3"].parse().unwrap();
                assert!(
                    histologies.iter().any(|(lo, hi)| (*lo..=*hi).contains(&h)),
                    "{h}"
                );
                assert!(in_list(t.get("behaviorCodeIcdO3"), &["0", "2", "3"]));
                assert!(in_list(t.get("laterality"), &["0", "1", "2", "9"]));
                assert!(in_list(
                    t.get("classOfCase"),
                    &[
                        "00", "10", "11", "12", "13", "14", "20", "21", "22", "30", "31", "32",
                        "33", "34", "35", "38", "43"
                    ]
                ));
                assert!(in_list(
                    t.get("diagnosticConfirmation"),
                    &["1", "2", "3", "7", "8"]
                ));
                assert!(in_list(t.get("cancerStatus"), &["1", "2", "9"]));
                assert!(in_list(t.get("followUpSource"), &["0", "1", "2", "3", "7"]));
                assert!(in_list(
                    t.get("nextFollowUpSource"),
                    &["0", "1", "2", "3", "8", "9"]
                ));
                assert!(in_list(t.get("rxSummRadiation"), &["0", "1"]));
                assert!(in_list(t.get("rxSummChemo"), &["00", "02", "03"]));
                assert!(in_list(t.get("rxSummHormone"), &["00", "01"]));
                assert!(in_list(t.get("rxSummTreatmentStatus"), &["0", "1", "2"]));
                if let Some(stage) = t.get("summaryStage2018") {
                    assert!(in_list(
                        Some(stage),
                        &["0", "1", "2", "3", "4", "7", "8", "9"]
                    ));
                    assert!(t.contains_key("eodPrimaryTumor") && t.contains_key("schemaId"));
                }
                let seq: u32 = t["sequenceNumberHospital"].parse().unwrap();
                assert!(seq <= 59 || (60..=87).contains(&seq), "{seq}");
                assert_eq!(t["accessionNumberHosp"].len(), 9);
            }
        }
    }

    #[test]
    fn dates_are_in_order() {
        let date = |s: &str| NaiveDate::parse_from_str(s, "%Y%m%d").unwrap();
        for p in generate(5, 5000, today()) {
            let birth = date(p.item("dateOfBirth").unwrap());
            let contact = date(p.item("dateOfLastContact").unwrap());
            assert!(contact <= today());
            for t in &p.tumors {
                let dx = date(&t["dateOfDiagnosis"]);
                assert!(birth <= dx && dx <= contact, "{p:?}");
                let first = date(&t["dateOf1stContact"]);
                assert!(dx <= first && first <= contact, "{p:?}");
                for id in [
                    "rxDateSurgery",
                    "rxDateRadiation",
                    "rxDateChemo",
                    "rxDateHormone",
                ] {
                    if let Some(d) = t.get(id) {
                        let d = date(d);
                        assert!(dx <= d && d <= contact, "{id} {p:?}");
                    }
                }
                assert_eq!(t["dateOfLastCancerStatus"], p.items["dateOfLastContact"]);
                let age: i64 = t["ageAtDiagnosis"].parse().unwrap();
                assert_eq!(age, years_between(birth, dx));
            }
        }
    }

    #[test]
    fn sequence_numbers_follow_diagnosis_order() {
        let mut multiple = 0;
        for p in generate(9, 5000, today()) {
            let malignant: Vec<&str> = p
                .tumors
                .iter()
                .filter(|t| t["behaviorCodeIcdO3"] != "0")
                .map(|t| t["sequenceNumberHospital"].as_str())
                .collect();
            let expected: Vec<String> = if malignant.len() == 1 {
                vec!["00".into()]
            } else {
                (1..=malignant.len()).map(|n| format!("{n:02}")).collect()
            };
            assert_eq!(malignant, expected);
            let dx: Vec<&str> = p
                .tumors
                .iter()
                .map(|t| t["dateOfDiagnosis"].as_str())
                .collect();
            assert!(dx.windows(2).all(|w| w[0] <= w[1]));
            if p.tumors.len() > 1 {
                multiple += 1;
            }
        }
        // ~10 % of patients have two or more primaries.
        assert!((400..=600).contains(&multiple), "{multiple}");
    }

    #[test]
    fn follow_up_rate_is_realistic_and_every_case_has_a_status() {
        use crate::domain::followup::{
            FollowUpCase, FollowUpRules, FollowUpStatus, NotFollowedReason, WorksheetCase,
            coc_worksheet, follow_up_status,
        };
        let patients: Vec<DemoPatient> = generate(77, 20_000, today()).collect();
        let cases = patients.iter().flat_map(|p| {
            p.tumors.iter().map(move |t| {
                WorksheetCase::from_items(|id| p.item(id), |id| t.get(id).map(String::as_str))
            })
        });
        let reference = NaiveDate::from_ymd_opt(2011, 1, 1).unwrap();
        let sheet = coc_worksheet(cases, reference, today());
        let all = sheet.all.rate.unwrap();
        let last5 = sheet.last5.rate.unwrap();
        assert!((0.85..=0.92).contains(&all), "{:?}", sheet.all);
        assert!((0.85..=0.95).contains(&last5), "{:?}", sheet.last5);
        assert!(sheet.all.less_foreign > 0 && sheet.all.less_benign_borderline > 0);
        assert_eq!(sheet.no_diagnosis_date, 0);

        let rules = FollowUpRules::default();
        let (mut due, mut delinquent, mut foreign) = (0, 0, 0);
        for p in &patients {
            for t in &p.tumors {
                let case =
                    FollowUpCase::from_items(|id| p.item(id), |id| t.get(id).map(String::as_str));
                match follow_up_status(&case, &rules, today()) {
                    FollowUpStatus::Due { .. } => due += 1,
                    FollowUpStatus::Delinquent { .. } => delinquent += 1,
                    FollowUpStatus::NotFollowed(NotFollowedReason::ForeignResident) => foreign += 1,
                    _ => {}
                }
            }
        }
        assert!(
            due > 0 && delinquent > 0 && foreign > 0,
            "{due} {delinquent} {foreign}"
        );
    }

    #[test]
    fn distributions_look_like_a_hospital_registry() {
        let n = 20_000;
        let mut sites: HashMap<&str, usize> = HashMap::new();
        let (mut tumors, mut dead, mut female_breast, mut breast, mut analytic) = (0, 0, 0, 0, 0);
        let mut years = BTreeSet::new();
        for p in generate(2024, n, today()) {
            if p.item("vitalStatus") == Some("0") {
                dead += 1;
            }
            for t in &p.tumors {
                tumors += 1;
                let site = &t["primarySite"];
                let group = match &site[..3] {
                    "C50" => "breast",
                    "C34" => "lung",
                    "C61" => "prostate",
                    "C18" | "C19" | "C20" => "colorectal",
                    _ => "other",
                };
                *sites.entry(group).or_default() += 1;
                if group == "breast" {
                    breast += 1;
                    if p.item("sexAssignedAtBirth") == Some("2") {
                        female_breast += 1;
                    }
                }
                if group == "prostate" {
                    assert_eq!(p.item("sexAssignedAtBirth"), Some("1"));
                }
                let class: u8 = t["classOfCase"].parse().unwrap();
                if (10..=22).contains(&class) {
                    analytic += 1;
                }
                years.insert(t["dateOfDiagnosis"][..4].to_string());
            }
        }
        let share = |k: &str| sites[k] as f64 / tumors as f64;
        assert!(
            (0.13..0.17).contains(&share("breast")),
            "{}",
            share("breast")
        );
        assert!((0.10..0.14).contains(&share("lung")), "{}", share("lung"));
        assert!(
            (0.08..0.12).contains(&share("prostate")),
            "{}",
            share("prostate")
        );
        assert!(
            (0.07..0.11).contains(&share("colorectal")),
            "{}",
            share("colorectal")
        );
        assert!(female_breast as f64 / breast as f64 > 0.97);
        let dead_share = dead as f64 / n as f64;
        assert!((0.25..0.35).contains(&dead_share), "dead {dead_share}");
        let analytic_share = analytic as f64 / tumors as f64;
        assert!(
            (0.80..0.90).contains(&analytic_share),
            "analytic {analytic_share}"
        );
        assert_eq!(years.len(), 16, "{years:?}"); // 2011..=2026
    }
}
