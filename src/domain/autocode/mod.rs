//! Auto-coding suggestions for a pathology report: primary site (ICD-O-3 topography),
//! histology and behavior, laterality and grade, each with confidence and evidence.
//!
//! Sources, in order of preference: CAP synoptic answers, the lab's ICD-10-CM codes (OBR-31),
//! then the report text (specimen headers such as "BREAST, LEFT, UPPER OUTER QUADRANT:" and
//! histology terms such as "invasive ductal carcinoma"). A lower source may refine a higher one
//! when it is more specific within the same site group or histology (C509 → C504, 8010 → 8500).
//! Terms in negated, history/rule-out or uncertain context (as screening found them) are not
//! used. The term tables are Registrar's own (`histology_terms.txt`, `site_terms.txt`).
//! Every suggestion is for the registrar to confirm.

mod grade;
mod icd10;

#[cfg(test)]
mod acceptance;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

pub use grade::GradeSystem;
pub use icd10::{Icd10TableError, generate_icd10_table};

use crate::domain::screening::text::{PhraseIndex, PhraseMatch, Tokenized, phrase_key};
use crate::domain::screening::{
    Assertion, ReportText, ScreeningResult, SectionKind, TextLocation, TumorCodes,
};
use icd10::Icd10Mapping;

/// Where a piece of evidence comes from (in order of preference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EvidenceSource {
    /// A CAP synoptic answer (or the checklist's name).
    Synoptic,
    /// The lab's ICD-10 code (OBR-31).
    Icd10,
    /// Report text.
    Text,
}

/// One piece of evidence for a suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Source kind.
    pub source: EvidenceSource,
    /// Section or checklist answer the phrase is in (`None` for ICD-10 codes and checklist names).
    pub location: Option<TextLocation>,
    /// Section kind, for display.
    pub section: Option<SectionKind>,
    /// Byte span of the phrase in that text.
    pub span: Option<Range<usize>>,
    /// The phrase (or code) as written.
    pub phrase: String,
}

/// One suggested code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The code ("C504", "8500", "3", "2").
    pub code: String,
    /// What the code means, in the report's words (the matched term or site phrase).
    pub label: String,
    /// 0-100.
    pub confidence: u8,
    /// Why.
    pub evidence: Vec<Evidence>,
}

/// A grade phrase with its NAACCR Grade 2018 code when the mapping is unambiguous.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradeSuggestion {
    /// The phrase as written ("Nottingham grade 2 (3+2+1=6/9)").
    pub phrase: String,
    /// Grading system.
    pub system: GradeSystem,
    /// Grade 2018 code (1-5, L/M/H), when unambiguous for the site.
    pub code: Option<String>,
    /// 0-100.
    pub confidence: u8,
    /// Where.
    pub evidence: Vec<Evidence>,
}

/// All suggestions for one report (each list best first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodingSuggestions {
    /// ICD-O-3 topography, no dot ("C504").
    pub primary_site: Vec<Suggestion>,
    /// ICD-O-3 histology, 4 digits.
    pub histology: Vec<Suggestion>,
    /// ICD-O-3 behavior, 1 digit.
    pub behavior: Vec<Suggestion>,
    /// NAACCR laterality: 0 not paired, 1 right, 2 left, 3 one side unknown which, 4 bilateral,
    /// 5 paired site midline, 9 paired site unknown.
    pub laterality: Vec<Suggestion>,
    /// Grade phrases, best first.
    pub grade: Vec<GradeSuggestion>,
}

impl CodingSuggestions {
    /// The best codes, for the reportability rules.
    pub fn tumor_codes(&self) -> TumorCodes {
        TumorCodes {
            primary_site: self.primary_site.first().map(|s| s.code.clone()),
            histology: self.histology.first().map(|s| s.code.clone()),
            behavior: self.behavior.first().and_then(|s| s.code.chars().next()),
        }
    }

    /// Best code of a list.
    pub fn best(list: &[Suggestion]) -> Option<&str> {
        list.first().map(|s| s.code.as_str())
    }
}

/// Errors in the term tables.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TermTableError {
    /// A histology line is malformed.
    #[error("histology terms line {line}: {message} (expected CODE/B[@SITES]|phrase;phrase)")]
    Histology { line: usize, message: String },
    /// A site line is malformed.
    #[error("site terms line {line}: {message}")]
    Site { line: usize, message: String },
}

/// One reading of a histology term.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HistologyReading {
    histology: String,
    behavior: char,
    /// Site prefixes this reading is limited to (empty = anywhere).
    sites: Vec<String>,
}

/// A histology phrase and its readings.
#[derive(Debug, Clone)]
struct HistologyTerm {
    label: String,
    readings: Vec<HistologyReading>,
}

impl HistologyTerm {
    /// The reading for a site: a site-limited one that fits, else the general one.
    fn reading(&self, site: Option<&str>) -> Option<&HistologyReading> {
        let site = site.unwrap_or("");
        self.readings
            .iter()
            .find(|r| {
                !r.sites.is_empty()
                    && !site.is_empty()
                    && r.sites.iter().any(|p| site.starts_with(p.as_str()))
            })
            .or_else(|| self.readings.iter().find(|r| r.sites.is_empty()))
    }
}

/// An organ (or body part) and the site it codes to.
#[derive(Debug, Clone)]
struct Organ {
    key: String,
    code: String,
    priority: u8,
}

/// The compiled term tables.
#[derive(Debug, Clone)]
pub struct Autocoder {
    histology_index: PhraseIndex<usize>,
    histology_terms: Vec<HistologyTerm>,
    organ_index: PhraseIndex<usize>,
    organs: Vec<Organ>,
    /// Subsite phrases: (organ key, code).
    subsite_index: PhraseIndex<(String, String)>,
    laterality_index: PhraseIndex<char>,
    icd10: BTreeMap<String, Icd10Mapping>,
}

const HISTOLOGY_TERMS: &str = include_str!("histology_terms.txt");
const SITE_TERMS: &str = include_str!("site_terms.txt");

/// A histology term found somewhere.
#[derive(Debug, Clone)]
struct HistologyHit {
    term: usize,
    source: EvidenceSource,
    location: Option<TextLocation>,
    section: Option<SectionKind>,
    span: Range<usize>,
    tokens: Range<usize>,
    phrase: String,
    /// "in situ" / "invasive" next to the term.
    behavior_override: Option<char>,
    words: usize,
}

/// A text with its tokens, kept while coding one report.
struct Doc<'r> {
    location: TextLocation,
    kind: SectionKind,
    t: Tokenized<'r>,
}

/// An organ mention with the subsite and laterality words near it.
#[derive(Debug, Clone)]
struct SiteFinding {
    code: String,
    organ: usize,
    priority: u8,
    has_subsite: bool,
    evidence: Vec<Evidence>,
    laterality: Option<(char, Evidence)>,
    order: usize,
}

/// Section kinds that describe the diagnosis, best first (for ranking histology).
fn section_rank(kind: Option<SectionKind>) -> u8 {
    match kind {
        Some(SectionKind::FinalDiagnosis) => 4,
        Some(SectionKind::Synoptic) => 3,
        Some(SectionKind::Comment) | Some(SectionKind::Other) => 2,
        Some(SectionKind::Microscopic) => 1,
        _ => 0,
    }
}

fn histology_number(code: &str) -> Option<u32> {
    code.parse().ok()
}

/// Histology codes that say little ("carcinoma", "malignant neoplasm", "lymphoma").
fn is_nos(code: &str) -> bool {
    matches!(code, "8000" | "8001" | "8010" | "9590" | "9800" | "8800")
}

/// Paired organ sites (NAACCR laterality must be 1-5 or 9 for these; 0 for all others).
fn is_paired_site(site: &str) -> bool {
    const PAIRED: [&str; 52] = [
        "C079", "C080", "C081", "C090", "C091", "C098", "C099", "C300", "C301", "C310", "C312",
        "C340", "C341", "C342", "C343", "C348", "C349", "C384", "C400", "C401", "C402", "C403",
        "C413", "C414", "C441", "C442", "C443", "C445", "C446", "C447", "C471", "C472", "C491",
        "C492", "C569", "C570", "C620", "C621", "C629", "C630", "C631", "C649", "C659", "C669",
        "C740", "C741", "C749", "C754", "C700", "C710", "C711", "C712",
    ];
    const PAIRED_MORE: [&str; 13] = [
        "C713", "C714", "C722", "C723", "C724", "C725", "C690", "C691", "C692", "C693", "C694",
        "C695", "C696",
    ];
    PAIRED.contains(&site)
        || PAIRED_MORE.contains(&site)
        || ("C500"..="C509").contains(&site) && site.len() == 4
        || site == "C698"
        || site == "C699"
}

fn parse_histology_terms(
    text: &str,
) -> Result<(PhraseIndex<usize>, Vec<HistologyTerm>), TermTableError> {
    let mut index = PhraseIndex::default();
    let mut terms: Vec<HistologyTerm> = Vec::new();
    let mut by_key: BTreeMap<String, usize> = BTreeMap::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |message: &str| TermTableError::Histology {
            line: n + 1,
            message: message.to_string(),
        };
        let (code, phrases) = line.split_once('|').ok_or_else(|| err("no '|'"))?;
        let (code, sites) = match code.split_once('@') {
            Some((c, s)) => (
                c,
                s.split(',')
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect(),
            ),
            None => (code, Vec::new()),
        };
        let (hist, beh) = code
            .trim()
            .split_once('/')
            .ok_or_else(|| err("no '/' in the code"))?;
        let behavior = beh
            .trim()
            .chars()
            .next()
            .filter(|c| ('0'..='3').contains(c));
        let (Some(behavior), true) = (
            behavior,
            hist.len() == 4 && hist.bytes().all(|b| b.is_ascii_digit()),
        ) else {
            return Err(err("histology must be 4 digits and behavior 0-3"));
        };
        let reading = HistologyReading {
            histology: hist.to_string(),
            behavior,
            sites,
        };
        for phrase in phrases.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let key = phrase_key(phrase);
            if key.trim_start_matches('=').is_empty() {
                return Err(err(&format!("phrase \"{phrase}\" has no words")));
            }
            match by_key.get(&key) {
                Some(&t) => {
                    if let Some(term) = terms.get_mut(t)
                        && !term.readings.contains(&reading)
                    {
                        term.readings.push(reading.clone());
                    }
                }
                None => {
                    let t = terms.len();
                    terms.push(HistologyTerm {
                        label: phrase.trim_start_matches('=').to_string(),
                        readings: vec![reading.clone()],
                    });
                    by_key.insert(key, t);
                    index.insert(phrase, t);
                }
            }
        }
    }
    Ok((index, terms))
}

type SiteTables = (
    PhraseIndex<usize>,
    Vec<Organ>,
    PhraseIndex<(String, String)>,
);

fn parse_site_terms(text: &str) -> Result<SiteTables, TermTableError> {
    let mut organ_index = PhraseIndex::default();
    let mut organs: Vec<Organ> = Vec::new();
    let mut subsites = PhraseIndex::default();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |message: &str| TermTableError::Site {
            line: n + 1,
            message: message.to_string(),
        };
        let valid_code = |c: &str| {
            c.len() == 4 && c.starts_with('C') && c.bytes().skip(1).all(|b| b.is_ascii_digit())
        };
        if let Some(rest) = line.strip_prefix('@') {
            let f: Vec<&str> = rest.split('|').collect();
            let [key, code, priority, phrases] = f.as_slice() else {
                return Err(err("organ line needs @key|code|priority|phrases"));
            };
            if !valid_code(code) {
                return Err(err(&format!(
                    "\"{code}\" is not a topography code like C504"
                )));
            }
            let priority: u8 = priority
                .parse()
                .map_err(|_| err("priority must be a number 0-4"))?;
            let idx = organs.len();
            organs.push(Organ {
                key: key.to_string(),
                code: code.to_string(),
                priority,
            });
            for p in phrases.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                organ_index.insert(p, idx);
            }
        } else {
            let f: Vec<&str> = line.split('|').collect();
            let [key, code, phrases] = f.as_slice() else {
                return Err(err("subsite line needs key|code|phrases"));
            };
            if !valid_code(code) {
                return Err(err(&format!(
                    "\"{code}\" is not a topography code like C504"
                )));
            }
            if !organs.iter().any(|o| o.key == *key) {
                return Err(err(&format!(
                    "subsite of unknown organ \"{key}\" (declare @{key} first)"
                )));
            }
            for p in phrases.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                subsites.insert(p, (key.to_string(), code.to_string()));
            }
        }
    }
    Ok((organ_index, organs, subsites))
}

/// Skin-type histologies, for which bare body parts ("left forearm") name a skin site.
fn is_skin_type(histology: Option<u32>) -> bool {
    histology.is_some_and(|h| {
        (8720..=8790).contains(&h)
            || (8090..=8098).contains(&h)
            || h == 8247
            || h == 8081
            || h == 8832
    })
}

/// Histologies coded to bone marrow whatever the specimen (leukemias, myeloma, MDS, MPN).
fn is_marrow_histology(h: u32) -> bool {
    (h == 9732 || h == 9733 || (9800..=9989).contains(&h)) && h != 9930
}

fn is_lymphoma(h: u32) -> bool {
    (9590..=9729).contains(&h) || h == 9823
}

impl Autocoder {
    /// Compiles Registrar's default term tables.
    pub fn with_defaults() -> Result<Autocoder, TermTableError> {
        Autocoder::new(HISTOLOGY_TERMS, SITE_TERMS)
    }

    /// Compiles term tables given as text (same format as the shipped files).
    pub fn new(histology_terms: &str, site_terms: &str) -> Result<Autocoder, TermTableError> {
        let (histology_index, histology_terms) = parse_histology_terms(histology_terms)?;
        let (organ_index, organs, subsite_index) = parse_site_terms(site_terms)?;
        let mut laterality_index = PhraseIndex::default();
        for (p, c) in [
            ("left", '2'),
            ("lt", '2'),
            ("=L", '2'),
            ("right", '1'),
            ("rt", '1'),
            ("=R", '1'),
            ("bilateral", '4'),
            ("bilaterally", '4'),
            ("both", '4'),
            ("midline", '5'),
        ] {
            laterality_index.insert(p, c);
        }
        Ok(Autocoder {
            histology_index,
            histology_terms,
            organ_index,
            organs,
            subsite_index,
            laterality_index,
            icd10: icd10::load_table(),
        })
    }

    /// Number of histology phrases (for the admin page).
    pub fn histology_phrase_count(&self) -> usize {
        self.histology_index.len()
    }

    /// Suggests codes for a report. `screening` tells which spans are negated or history.
    pub fn suggest(&self, report: &ReportText, screening: &ScreeningResult) -> CodingSuggestions {
        let docs: Vec<Doc<'_>> = report
            .locations()
            .filter(|l| !report.text_at(*l).trim().is_empty())
            .map(|l| Doc {
                location: l,
                kind: report.kind_at(l),
                t: Tokenized::new(report.text_at(l)),
            })
            .collect();
        let icd10: Vec<&Icd10Mapping> = report
            .icd10_codes
            .iter()
            .filter(|c| {
                let c = c.trim().to_ascii_uppercase();
                !(c.starts_with("C77") || c.starts_with("C78") || c.starts_with("C79"))
            })
            .filter_map(|c| icd10::lookup(&self.icd10, c))
            .collect();

        let hist_hits = self.histology_hits(report, &docs, screening);
        let best_hist = self.best_histology(&hist_hits, None);
        let hist_num = best_hist
            .and_then(|h| self.reading_of(h, None))
            .and_then(|r| histology_number(&r.histology));

        // Primary site.
        let (mut site, side_hints) =
            self.site_suggestions(report, &docs, &icd10, best_hist, hist_num);
        let site_code = site.first().map(|s| s.code.clone());

        // Histology with the site known (site-specific readings, e.g. papillary carcinoma of thyroid).
        let best_hist = self.best_histology(&hist_hits, site_code.as_deref());
        let (histology, behavior) =
            self.histology_suggestions(best_hist, &hist_hits, &icd10, site_code.as_deref());

        // Heme and CNS overrides can change the site once histology is known.
        if let Some(h) = histology.first().and_then(|s| histology_number(&s.code))
            && is_marrow_histology(h)
            && site.first().is_none_or(|s| s.code != "C421")
        {
            let phrase = histology
                .first()
                .map(|s| s.label.clone())
                .unwrap_or_default();
            site.insert(
                0,
                Suggestion {
                    code: "C421".to_string(),
                    label: "bone marrow".to_string(),
                    confidence: 85,
                    evidence: histology
                        .first()
                        .map(|s| s.evidence.clone())
                        .unwrap_or_else(|| {
                            vec![Evidence {
                                source: EvidenceSource::Text,
                                location: None,
                                section: None,
                                span: None,
                                phrase,
                            }]
                        }),
                },
            );
        }
        let site_code = site.first().map(|s| s.code.clone());
        let behavior_code = behavior.first().and_then(|b| b.code.chars().next());

        let laterality =
            self.laterality_suggestion(report, &docs, &icd10, site_code.as_deref(), &side_hints);
        let grade = self.grade_suggestions(
            report,
            &docs,
            screening,
            site_code.as_deref(),
            histology.first().and_then(|s| histology_number(&s.code)),
            behavior_code,
        );
        CodingSuggestions {
            primary_site: site,
            histology,
            behavior,
            laterality,
            grade,
        }
    }

    fn reading_of(&self, hit: &HistologyHit, site: Option<&str>) -> Option<&HistologyReading> {
        self.histology_terms.get(hit.term)?.reading(site)
    }

    /// Histology terms from checklist answers and diagnostic text, in affirmed context only.
    fn histology_hits(
        &self,
        report: &ReportText,
        docs: &[Doc<'_>],
        screening: &ScreeningResult,
    ) -> Vec<HistologyHit> {
        let mut hits = Vec::new();
        for doc in docs {
            let source = match doc.location {
                TextLocation::Synoptic(i) => {
                    let q = report
                        .synoptic
                        .get(i)
                        .map(|s| s.question.to_ascii_lowercase())
                        .unwrap_or_default();
                    let histology_question = q.is_empty()
                        || [
                            "histolog",
                            "tumor type",
                            "tumour type",
                            "diagnosis",
                            "subtype",
                            "type of",
                            "morpholog",
                            "classification",
                        ]
                        .iter()
                        .any(|k| q.contains(k));
                    if !histology_question {
                        continue;
                    }
                    EvidenceSource::Synoptic
                }
                TextLocation::Section(_) => {
                    if !doc.kind.is_diagnostic() {
                        continue;
                    }
                    EvidenceSource::Text
                }
            };
            // Overlapping matches: "invasive melanoma" must not hide "melanoma, nodular type".
            for m in self.histology_index.find_overlapping(&doc.t) {
                if screening.assertion_at(doc.location, &m.span) != Assertion::Affirmed {
                    continue;
                }
                let behavior_override = in_situ_modifier(&doc.t, &m.tokens);
                hits.push(HistologyHit {
                    term: *m.value,
                    source,
                    location: Some(doc.location),
                    section: Some(doc.kind),
                    span: m.span.clone(),
                    tokens: m.tokens.clone(),
                    phrase: doc.t.text.get(m.span.clone()).unwrap_or("").to_string(),
                    behavior_override,
                    words: m.tokens.len(),
                });
            }
        }
        hits
    }

    fn hit_codes(&self, hit: &HistologyHit, site: Option<&str>) -> Option<(String, char)> {
        let r = self.reading_of(hit, site)?;
        let behavior = match hit.behavior_override {
            Some('2') if r.behavior == '3' => '2',
            Some('3') if r.behavior == '2' => '3',
            _ => r.behavior,
        };
        Some((r.histology.clone(), behavior))
    }

    /// The best histology hit: synoptic first, then text; within a source the worst behavior,
    /// then the most specific term, the best section and the earliest position.
    fn best_histology<'h>(
        &self,
        hits: &'h [HistologyHit],
        site: Option<&str>,
    ) -> Option<&'h HistologyHit> {
        let score = |h: &HistologyHit| {
            let (hist, beh) = self.hit_codes(h, site).unwrap_or_default();
            let behavior_rank = match beh {
                '3' => 3u8,
                '2' => 2,
                '1' => 1,
                _ => 0,
            };
            (
                std::cmp::Reverse(h.source),
                behavior_rank,
                !is_nos(&hist),
                h.words,
                section_rank(h.section),
            )
        };
        let mut best: Option<&HistologyHit> = None;
        for h in hits.iter().filter(|h| self.hit_codes(h, site).is_some()) {
            // Earliest wins ties: only a strictly better score replaces.
            if best.is_none_or(|b| score(h) > score(b)) {
                best = Some(h);
            }
        }
        // A NOS synoptic answer gives way to a specific text term.
        if let Some(b) = best
            && b.source == EvidenceSource::Synoptic
            && self.hit_codes(b, site).is_some_and(|(h, _)| is_nos(&h))
        {
            let text_best = hits
                .iter()
                .filter(|h| h.source == EvidenceSource::Text)
                .filter(|h| self.hit_codes(h, site).is_some_and(|(c, _)| !is_nos(&c)))
                .max_by_key(|h| score(h));
            if text_best.is_some() {
                return text_best;
            }
        }
        best
    }

    fn histology_suggestions(
        &self,
        best: Option<&HistologyHit>,
        hits: &[HistologyHit],
        icd10: &[&Icd10Mapping],
        site: Option<&str>,
    ) -> (Vec<Suggestion>, Vec<Suggestion>) {
        let icd_hist = icd10
            .iter()
            .find(|m| m.histology != "8000" && m.histology.len() == 4);
        let mut histology = Vec::new();
        let mut behavior = Vec::new();
        if let Some(b) = best
            && let Some((hist, beh)) = self.hit_codes(b, site)
        {
            let label = self
                .histology_terms
                .get(b.term)
                .map(|t| t.label.clone())
                .unwrap_or_default();
            let mut evidence = vec![hit_evidence(b)];
            // Other mentions of the same code support it.
            let same: Vec<&HistologyHit> = hits
                .iter()
                .filter(|h| !std::ptr::eq(*h, b))
                .filter(|h| self.hit_codes(h, site).is_some_and(|(c, _)| c == hist))
                .take(3)
                .collect();
            evidence.extend(same.iter().map(|h| hit_evidence(h)));
            let mut confidence: u8 = match b.source {
                EvidenceSource::Synoptic => 95,
                _ if b.section == Some(SectionKind::FinalDiagnosis) => 85,
                _ => 70,
            };
            if is_nos(&hist) {
                confidence = confidence.saturating_sub(25);
            }
            if icd_hist.is_some_and(|m| m.histology == hist) {
                confidence = confidence.saturating_add(5).min(99);
            }
            behavior.push(Suggestion {
                code: beh.to_string(),
                label: match beh {
                    '3' => "malignant",
                    '2' => "in situ",
                    '1' => "uncertain / borderline",
                    _ => "benign",
                }
                .to_string(),
                confidence,
                evidence: vec![hit_evidence(b)],
            });
            histology.push(Suggestion {
                code: hist,
                label,
                confidence,
                evidence,
            });
        }
        if let Some(m) = icd_hist {
            let better = histology
                .first()
                .is_none_or(|h| is_nos(&h.code) && h.code != m.histology);
            let s = Suggestion {
                code: m.histology.clone(),
                label: format!("from ICD-10 {}", m.icd10),
                confidence: 60,
                evidence: vec![icd_evidence(m)],
            };
            let b = Suggestion {
                code: m.behavior.to_string(),
                label: format!("from ICD-10 {}", m.icd10),
                confidence: 60,
                evidence: vec![icd_evidence(m)],
            };
            if better {
                histology.insert(0, s);
                behavior.insert(0, b);
            } else if histology.iter().all(|h| h.code != m.histology) {
                histology.push(s);
                behavior.push(b);
            }
        }
        (histology, behavior)
    }

    /// Organ mentions in token range `range` of a text, with subsite and laterality near them.
    fn organs_in(
        &self,
        doc_t: &Tokenized<'_>,
        range: Range<usize>,
        location: Option<TextLocation>,
        section: Option<SectionKind>,
        source: EvidenceSource,
        order_base: usize,
    ) -> Vec<SiteFinding> {
        let organ_hits = self.organ_index.find_all(doc_t);
        let sub_hits = self.subsite_index.find_overlapping(doc_t);
        let lat_hits = self.laterality_index.find_all(doc_t);
        let ev = |span: &Range<usize>| Evidence {
            source,
            location,
            section,
            span: Some(span.clone()),
            phrase: doc_t.text.get(span.clone()).unwrap_or("").to_string(),
        };
        let mut out = Vec::new();
        for (n, m) in organ_hits.iter().enumerate() {
            if !range.contains(&m.tokens.start) {
                continue;
            }
            let Some(organ) = self.organs.get(*m.value) else {
                continue;
            };
            // Subsite and laterality words count on the same line (a specimen header) or,
            // for one-line texts, within 8 words.
            let line_lo = doc_t.line_start(m.tokens.start).max(range.start);
            let line_hi = doc_t.line_end(m.tokens.start).min(range.end);
            let near = |tokens: &Range<usize>| {
                tokens.start >= line_lo
                    && tokens.start < line_hi
                    && tokens.start.abs_diff(m.tokens.start) <= 8
            };
            let mut finding = SiteFinding {
                code: organ.code.clone(),
                organ: *m.value,
                priority: organ.priority,
                has_subsite: false,
                evidence: vec![ev(&m.span)],
                laterality: None,
                order: order_base + n,
            };
            // A subsite on the header line wins; else one said elsewhere in the same part
            // ("... 2.3 CM, UPPER OUTER QUADRANT").
            let of_organ = |s: &&PhraseMatch<'_, (String, String)>| {
                s.value.0 == organ.key && range.contains(&s.tokens.start)
            };
            let subsite = sub_hits
                .iter()
                .filter(of_organ)
                .filter(|s| near(&s.tokens))
                .max_by_key(|s| {
                    (
                        s.tokens.len(),
                        std::cmp::Reverse(s.tokens.start.abs_diff(m.tokens.start)),
                    )
                })
                .or_else(|| {
                    sub_hits
                        .iter()
                        .filter(of_organ)
                        .filter(|s| s.tokens.start.abs_diff(m.tokens.start) <= 40)
                        .min_by_key(|s| s.tokens.start.abs_diff(m.tokens.start))
                });
            if let Some(s) = subsite {
                finding.code = s.value.1.clone();
                finding.has_subsite = true;
                if s.span != m.span {
                    finding.evidence.push(ev(&s.span));
                }
            }
            if organ.key == "breast"
                && !finding.has_subsite
                && let Some((code, span)) =
                    breast_clock_quadrant(doc_t, line_lo, line_hi, &lat_hits)
            {
                finding.code = code;
                finding.has_subsite = true;
                finding.evidence.push(ev(&span));
            }
            // Skin: a body part near it names the skin site.
            if organ.key == "skin" {
                let part = organ_hits
                    .iter()
                    .filter(|o| near(&o.tokens))
                    .filter_map(|o| self.organs.get(*o.value).map(|org| (o, org)))
                    .find(|(_, org)| org.priority == 0);
                if let Some((o, org)) = part {
                    finding.code = org.code.clone();
                    finding.has_subsite = true;
                    finding.evidence.push(ev(&o.span));
                }
            }
            let lat = lat_hits
                .iter()
                .filter(|l| near(&l.tokens))
                .min_by_key(|l| l.tokens.start.abs_diff(m.tokens.start));
            if let Some(l) = lat {
                finding.laterality = Some((*l.value, ev(&l.span)));
            }
            out.push(finding);
        }
        out
    }

    /// Picks the best organ finding for a histology.
    fn pick_site(&self, findings: Vec<SiteFinding>, hist: Option<u32>) -> Option<SiteFinding> {
        let skin_type = is_skin_type(hist);
        let lymphoma = hist.is_some_and(is_lymphoma);
        findings
            .into_iter()
            .filter(|f| f.priority > 0 || skin_type)
            .map(|mut f| {
                let key = self
                    .organs
                    .get(f.organ)
                    .map(|o| o.key.as_str())
                    .unwrap_or("");
                if lymphoma && key == "lymph_node" {
                    f.priority = 3;
                }
                if skin_type && (key == "skin" || f.priority == 0) {
                    // A named skin site beats the organ words of a skin specimen ("skin of breast").
                    f.priority = if f.has_subsite || f.priority == 0 {
                        3
                    } else {
                        2
                    };
                    if key == "skin" && f.has_subsite {
                        f.priority = 4;
                    }
                }
                f
            })
            .max_by_key(|f| (f.priority, f.has_subsite, std::cmp::Reverse(f.order)))
    }

    fn site_suggestions(
        &self,
        report: &ReportText,
        docs: &[Doc<'_>],
        icd10: &[&Icd10Mapping],
        best_hist: Option<&HistologyHit>,
        hist: Option<u32>,
    ) -> (Vec<Suggestion>, Vec<(String, char, Evidence)>) {
        let mut out: Vec<(Suggestion, EvidenceSource)> = Vec::new();
        // Laterality said next to the organ of each finding: (site, code, evidence).
        let mut side_hints: Vec<(String, char, Evidence)> = Vec::new();

        // 1. Synoptic: checklist name (first: it names the organ) and site-like answers.
        let mut syn_findings = Vec::new();
        let mut order = 1_000;
        for (i, item) in report.synoptic.iter().enumerate() {
            let q = item.question.to_ascii_lowercase();
            let site_question = q.is_empty()
                || [
                    "site",
                    "location",
                    "laterality",
                    "procedure",
                    "specimen",
                    "quadrant",
                    "lobe",
                    "histolog",
                    "tumor type",
                ]
                .iter()
                .any(|k| q.contains(k));
            if !site_question {
                continue;
            }
            let t = Tokenized::new(&item.answer);
            let n = t.tokens.len();
            syn_findings.extend(self.organs_in(
                &t,
                0..n,
                Some(TextLocation::Synoptic(i)),
                Some(SectionKind::Synoptic),
                EvidenceSource::Synoptic,
                order,
            ));
            order += 100;
        }
        // Subsite answers ("Tumor Site: Upper outer quadrant") refine the organ named elsewhere.
        let templates: Vec<&str> = {
            let mut v: Vec<&str> = report
                .synoptic
                .iter()
                .map(|s| s.template.as_str())
                .filter(|t| !t.is_empty())
                .collect();
            v.dedup();
            v
        };
        for tpl in &templates {
            let t = Tokenized::new(tpl);
            let n = t.tokens.len();
            let mut f = self.organs_in(&t, 0..n, None, None, EvidenceSource::Synoptic, 0);
            for x in &mut f {
                if let Some(e) = x.evidence.first_mut() {
                    e.phrase = format!("checklist {tpl}");
                    e.span = None;
                }
            }
            syn_findings.extend(f);
        }
        if let Some(mut best) = self.pick_site(syn_findings, hist) {
            if !best.has_subsite
                && let Some(organ) = self.organs.get(best.organ)
            {
                // Look for a subsite answer of this organ anywhere in the checklist.
                for (i, item) in report.synoptic.iter().enumerate() {
                    let t = Tokenized::new(&item.answer);
                    let subs = self.subsite_index.find_all(&t);
                    let m = subs.iter().find(|s| s.value.0 == organ.key);
                    let clock = if organ.key == "breast" && m.is_none() {
                        let lat = self.laterality_index.find_all(&t);
                        breast_clock_quadrant(&t, 0, t.tokens.len(), &lat)
                    } else {
                        None
                    };
                    let (code, span) = match (m, clock) {
                        (Some(s), _) => (s.value.1.clone(), s.span.clone()),
                        (None, Some(c)) => c,
                        (None, None) => continue,
                    };
                    best.code = code;
                    best.has_subsite = true;
                    best.evidence.push(Evidence {
                        source: EvidenceSource::Synoptic,
                        location: Some(TextLocation::Synoptic(i)),
                        section: Some(SectionKind::Synoptic),
                        span: Some(span.clone()),
                        phrase: item.answer.get(span).unwrap_or("").to_string(),
                    });
                    break;
                }
            }
            if let Some((c, e)) = best.laterality.clone() {
                side_hints.push((best.code.clone(), c, e));
            }
            out.push((
                self.finding_suggestion(best, hist, 95),
                EvidenceSource::Synoptic,
            ));
        }

        // 2. ICD-10 from the lab.
        if let Some(m) = icd10.first() {
            out.push((
                Suggestion {
                    code: m.site.clone(),
                    label: format!("from ICD-10 {}", m.icd10),
                    confidence: 80,
                    evidence: vec![icd_evidence(m)],
                },
                EvidenceSource::Icd10,
            ));
        }

        // 3. Text: the part holding the histology, then whole sections by usefulness.
        let mut text_site: Option<SiteFinding> = None;
        if let Some(h) = best_hist
            && h.source == EvidenceSource::Text
            && let Some(doc) = docs.iter().find(|d| Some(d.location) == h.location)
        {
            let part = doc.t.part(h.tokens.start);
            let f = self.organs_in(
                &doc.t,
                part,
                Some(doc.location),
                Some(doc.kind),
                EvidenceSource::Text,
                0,
            );
            text_site = self.pick_site(f, hist);
        }
        if text_site.is_none() {
            let levels: [&[SectionKind]; 4] = [
                &[SectionKind::FinalDiagnosis],
                &[SectionKind::Specimen],
                &[
                    SectionKind::Synoptic,
                    SectionKind::Comment,
                    SectionKind::Other,
                    SectionKind::Microscopic,
                ],
                &[SectionKind::Gross, SectionKind::History],
            ];
            for kinds in levels {
                let mut f = Vec::new();
                for (n, doc) in docs.iter().enumerate().filter(|(_, d)| {
                    kinds.contains(&d.kind) && matches!(d.location, TextLocation::Section(_))
                }) {
                    let len = doc.t.tokens.len();
                    f.extend(self.organs_in(
                        &doc.t,
                        0..len,
                        Some(doc.location),
                        Some(doc.kind),
                        EvidenceSource::Text,
                        n * 10_000,
                    ));
                }
                text_site = self.pick_site(f, hist);
                if text_site.is_some() {
                    break;
                }
            }
        }
        if let Some(f) = text_site {
            let conf = match f.evidence.first().and_then(|e| e.section) {
                Some(SectionKind::FinalDiagnosis) | Some(SectionKind::Specimen) => 85,
                Some(SectionKind::Gross) | Some(SectionKind::History) => 50,
                _ => 70,
            };
            if let Some((c, e)) = f.laterality.clone() {
                side_hints.push((f.code.clone(), c, e));
            }
            out.push((self.finding_suggestion(f, hist, conf), EvidenceSource::Text));
        }

        // Precedence, with refinement inside the same site group.
        let mut ranked: Vec<Suggestion> = Vec::new();
        for (s, _) in out {
            match ranked.first_mut() {
                Some(top) if top.code.get(..3) == s.code.get(..3) => {
                    let top_vague = top.code.ends_with('9') || top.code.ends_with('8');
                    let s_specific = !(s.code.ends_with('9') || s.code.ends_with('8'));
                    if top.code == s.code {
                        top.confidence = top.confidence.saturating_add(4).min(99);
                        top.evidence.extend(s.evidence);
                    } else if top_vague && s_specific {
                        let mut evidence = s.evidence.clone();
                        evidence.append(&mut top.evidence);
                        *top = Suggestion {
                            code: s.code,
                            label: s.label,
                            confidence: top.confidence.max(s.confidence),
                            evidence,
                        };
                    } else {
                        ranked.push(s);
                    }
                }
                _ => ranked.push(s),
            }
        }
        // Histology-implied sites (meningioma → meninges, pituitary adenoma → pituitary).
        if let Some(h) = hist
            && let Some(top) = ranked.first_mut()
        {
            let spinal = docs.iter().any(|d| d.t.lower.contains("spinal"));
            let implied = match h {
                9530..=9539 if !top.code.starts_with("C70") => {
                    Some(if spinal { "C701" } else { "C700" })
                }
                8272 if top.code != "C751" => Some("C751"),
                _ => None,
            };
            if let Some(code) = implied {
                top.label = format!("{} (coded to {code} for this histology)", top.label);
                // The side said next to the organ still holds for the recoded site.
                for h in side_hints.iter_mut().filter(|h| h.0 == top.code) {
                    h.0 = code.to_string();
                }
                top.code = code.to_string();
            }
        }
        (ranked, side_hints)
    }

    fn finding_suggestion(&self, f: SiteFinding, hist: Option<u32>, confidence: u8) -> Suggestion {
        let key = self
            .organs
            .get(f.organ)
            .map(|o| o.key.clone())
            .unwrap_or_default();
        let label = f
            .evidence
            .iter()
            .map(|e| e.phrase.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        // A carcinoma seen only in a lymph node is a metastasis: primary site unknown.
        if key == "lymph_node" && hist.is_some_and(|h| !is_lymphoma(h) && !is_marrow_histology(h)) {
            return Suggestion {
                code: "C809".to_string(),
                label: format!("unknown primary (tumour seen in {label})"),
                confidence: confidence.saturating_sub(40),
                evidence: f.evidence,
            };
        }
        Suggestion {
            code: f.code,
            label,
            confidence: if f.has_subsite {
                confidence
            } else {
                confidence.saturating_sub(5)
            },
            evidence: f.evidence,
        }
    }

    fn laterality_suggestion(
        &self,
        report: &ReportText,
        docs: &[Doc<'_>],
        icd10: &[&Icd10Mapping],
        site: Option<&str>,
        side_hints: &[(String, char, Evidence)],
    ) -> Vec<Suggestion> {
        let Some(site) = site else {
            return Vec::new();
        };
        if !is_paired_site(site) {
            return vec![Suggestion {
                code: "0".to_string(),
                label: "not a paired site".to_string(),
                confidence: 95,
                evidence: Vec::new(),
            }];
        }
        let label = |c: char| match c {
            '1' => "right",
            '2' => "left",
            '4' => "bilateral",
            '5' => "midline",
            _ => "unknown",
        };
        let mk = |c: char, confidence: u8, evidence: Vec<Evidence>| Suggestion {
            code: c.to_string(),
            label: label(c).to_string(),
            confidence,
            evidence,
        };
        // 1. Checklist laterality answers.
        for (i, item) in report.synoptic.iter().enumerate() {
            if !item.question.to_ascii_lowercase().contains("laterality") {
                continue;
            }
            let t = Tokenized::new(&item.answer);
            if let Some(l) = self.laterality_index.find_all(&t).first() {
                return vec![mk(
                    *l.value,
                    95,
                    vec![Evidence {
                        source: EvidenceSource::Synoptic,
                        location: Some(TextLocation::Synoptic(i)),
                        section: Some(SectionKind::Synoptic),
                        span: Some(l.span.clone()),
                        phrase: item.answer.get(l.span.clone()).unwrap_or("").to_string(),
                    }],
                )];
            }
        }
        let prefix = site.get(..3).unwrap_or("");
        // 2. The side said next to the organ mention the site was coded from.
        if let Some((_, c, e)) = side_hints.iter().find(|h| h.0.get(..3) == Some(prefix)) {
            let conf = if e.source == EvidenceSource::Synoptic {
                95
            } else {
                90
            };
            return vec![mk(*c, conf, vec![e.clone()])];
        }
        // 3. Laterality next to any mention of the site's organ (checklist answers, then text).
        let organ_matches = |f: &SiteFinding| {
            self.organs
                .get(f.organ)
                .is_some_and(|o| o.code.get(..3) == Some(prefix) || f.code.get(..3) == Some(prefix))
        };
        let mut votes: Vec<(char, Evidence, u8)> = Vec::new();
        for doc in docs {
            let weight = match doc.kind {
                SectionKind::Synoptic => 4,
                SectionKind::FinalDiagnosis => 3,
                SectionKind::Specimen => 2,
                SectionKind::History => 0,
                _ => 1,
            };
            if weight == 0 {
                continue;
            }
            let source = match doc.location {
                TextLocation::Synoptic(_) => EvidenceSource::Synoptic,
                TextLocation::Section(_) => EvidenceSource::Text,
            };
            let len = doc.t.tokens.len();
            for f in self.organs_in(
                &doc.t,
                0..len,
                Some(doc.location),
                Some(doc.kind),
                source,
                0,
            ) {
                if organ_matches(&f)
                    && let Some((c, e)) = f.laterality
                {
                    votes.push((c, e, weight));
                }
            }
        }
        if let Some(top_weight) = votes.iter().map(|v| v.2).max() {
            let top: Vec<&(char, Evidence, u8)> =
                votes.iter().filter(|v| v.2 == top_weight).collect();
            let first = top.first().map(|v| v.0).unwrap_or('9');
            let agree = top.iter().all(|v| v.0 == first);
            let evidence: Vec<Evidence> = top.iter().take(3).map(|v| v.1.clone()).collect();
            if agree {
                let conf = if top_weight >= 3 { 90 } else { 75 };
                return vec![mk(first, conf, evidence)];
            }
            let both = top.iter().any(|v| v.0 == '1') && top.iter().any(|v| v.0 == '2');
            if !both && let Some(b) = top.iter().find(|v| v.0 == '4') {
                return vec![mk('4', 70, vec![b.1.clone()])];
            }
            return vec![mk('9', 40, evidence)];
        }
        // 4. The lab's ICD-10-CM code.
        if let Some(m) = icd10
            .iter()
            .find(|m| m.site.get(..3) == Some(prefix) && m.laterality.is_some())
            && let Some(c) = m.laterality
        {
            return vec![mk(c, 80, vec![icd_evidence(m)])];
        }
        vec![mk('9', 50, Vec::new())]
    }

    fn grade_suggestions(
        &self,
        report: &ReportText,
        docs: &[Doc<'_>],
        screening: &ScreeningResult,
        site: Option<&str>,
        histology: Option<u32>,
        behavior: Option<char>,
    ) -> Vec<GradeSuggestion> {
        let systems = grade::systems_for(site, histology, behavior);
        if systems.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<(grade::GradeFinding, Evidence, u8)> = Vec::new();
        for doc in docs {
            let weight = match (doc.location, doc.kind) {
                (TextLocation::Synoptic(i), _) => {
                    let q = report
                        .synoptic
                        .get(i)
                        .map(|s| s.question.to_ascii_lowercase())
                        .unwrap_or_default();
                    if q.contains("grade") || q.contains("gleason") || q.contains("differentiation")
                    {
                        4
                    } else {
                        continue;
                    }
                }
                (_, SectionKind::FinalDiagnosis) => 3,
                (_, SectionKind::Synoptic)
                | (_, SectionKind::Comment)
                | (_, SectionKind::Other) => 2,
                (_, SectionKind::Microscopic) => 1,
                _ => continue,
            };
            let mut findings = grade::find_grades(doc.t.text);
            if let TextLocation::Synoptic(i) = doc.location
                && findings.is_empty()
                && let Some(item) = report.synoptic.get(i)
                && let Some(f) = grade::checklist_grade(&item.question, &item.answer)
            {
                findings.push(f);
            }
            for f in findings {
                if screening.assertion_at(doc.location, &f.span) != Assertion::Affirmed {
                    continue;
                }
                let e = Evidence {
                    source: if matches!(doc.location, TextLocation::Synoptic(_)) {
                        EvidenceSource::Synoptic
                    } else {
                        EvidenceSource::Text
                    },
                    location: Some(doc.location),
                    section: Some(doc.kind),
                    span: Some(f.span.clone()),
                    phrase: doc.t.text.get(f.span.clone()).unwrap_or("").to_string(),
                };
                found.push((f, e, weight));
            }
        }
        let mut out = Vec::new();
        for system in systems {
            let of_system: Vec<&(grade::GradeFinding, Evidence, u8)> =
                found.iter().filter(|f| f.0.system == system).collect();
            let Some(top_weight) = of_system.iter().map(|f| f.2).max() else {
                continue;
            };
            // Worst grade among the best-placed statements.
            let best = of_system
                .iter()
                .filter(|f| f.2 == top_weight)
                .max_by_key(|f| grade::severity(&f.0.value));
            if let Some((f, e, w)) = best {
                out.push(GradeSuggestion {
                    phrase: e.phrase.clone(),
                    system,
                    code: grade::code_for(f, site),
                    confidence: if *w >= 3 { 85 } else { 65 },
                    evidence: vec![e.clone()],
                });
            }
        }
        out
    }
}

/// "in situ" right after the term (or before it) makes it /2; "invasive" before it /3.
fn in_situ_modifier(t: &Tokenized<'_>, tokens: &Range<usize>) -> Option<char> {
    let after = (t.word(tokens.end), t.word(tokens.end + 1));
    let after2 = (t.word(tokens.end + 1), t.word(tokens.end + 2));
    if after == ("in", "situ")
        || after2 == ("in", "situ") && !t.tokens.get(tokens.end).is_some_and(|x| x.clause_break)
    {
        return Some('2');
    }
    let b1 = tokens.start.checked_sub(1).map(|i| t.word(i)).unwrap_or("");
    let b2 = tokens.start.checked_sub(2).map(|i| t.word(i)).unwrap_or("");
    if (b2, b1) == ("in", "situ") || b1 == "noninvasive" || (b2, b1) == ("non", "invasive") {
        return Some('2');
    }
    if matches!(
        b1,
        "invasive" | "infiltrating" | "microinvasive" | "metastatic"
    ) {
        return Some('3');
    }
    None
}

/// Breast quadrant from a clock position ("2 o'clock") and the side on the same line.
fn breast_clock_quadrant(
    t: &Tokenized<'_>,
    lo: usize,
    hi: usize,
    lat_hits: &[PhraseMatch<'_, char>],
) -> Option<(String, Range<usize>)> {
    for i in lo..hi.min(t.tokens.len()) {
        let w = t.word(i);
        let clock = (w == "o" && t.word(i + 1) == "clock") || w == "oclock";
        if !clock {
            continue;
        }
        let Some(h) = i.checked_sub(1) else { continue };
        let Ok(hour) = t.word(h).parse::<u32>() else {
            continue;
        };
        if !(1..=12).contains(&hour) {
            return None;
        }
        let side = lat_hits
            .iter()
            .find(|l| l.tokens.start >= lo && l.tokens.start < hi)
            .map(|l| *l.value)?;
        // Quadrants are mirror images: the outer half is toward the arm.
        let code = match (hour, side) {
            (12 | 3 | 6 | 9, _) => "C508",
            (1 | 2, '2') | (10 | 11, '1') => "C504",
            (4 | 5, '2') | (7 | 8, '1') => "C505",
            (7 | 8, '2') | (4 | 5, '1') => "C503",
            (10 | 11, '2') | (1 | 2, '1') => "C502",
            _ => return None,
        };
        let end = if w == "oclock" { i + 1 } else { i + 2 };
        return Some((code.to_string(), t.span(h, end)));
    }
    None
}

fn hit_evidence(h: &HistologyHit) -> Evidence {
    Evidence {
        source: h.source,
        location: h.location,
        section: h.section,
        span: Some(h.span.clone()),
        phrase: h.phrase.clone(),
    }
}

fn icd_evidence(m: &Icd10Mapping) -> Evidence {
    Evidence {
        source: EvidenceSource::Icd10,
        location: None,
        section: None,
        span: None,
        phrase: m.icd10.clone(),
    }
}
