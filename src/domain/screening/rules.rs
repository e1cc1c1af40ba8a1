//! Reportability rules applied after coding (site, histology, behavior), configurable per state.
//!
//! The defaults follow the SEER/NPCR reportability conventions; a state edits them as data.
//! Rules are tried in order and the first one that matches gives the outcome and its reason.

use serde::{Deserialize, Serialize};

use super::{ReportabilityStatus, ScreeningResult};

/// What a matching rule decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleOutcome {
    /// The tumour is reportable.
    Reportable,
    /// The tumour is not reportable.
    NotReportable,
}

/// One rule: all its non-empty conditions must hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportabilityRule {
    /// Short identifier ("skin-keratinocyte").
    pub id: String,
    /// Primary site ranges, inclusive ("C440-C449", "C619"); empty = any site.
    pub sites: Vec<String>,
    /// Histology ranges, inclusive ("8000-8110"); empty = any histology.
    pub histologies: Vec<String>,
    /// Behavior codes ('0'..'3'); empty = any behavior.
    pub behaviors: Vec<char>,
    /// Decision.
    pub outcome: RuleOutcome,
    /// Reason shown to the registrar.
    pub reason: String,
}

/// An ordered rule set (per state), versioned like the screening lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportabilityRules {
    /// Increases with every edit.
    pub version: u32,
    /// Whose rules ("SEER/NPCR default", "State of ...").
    pub name: String,
    /// Tried in order; the first match decides.
    pub rules: Vec<ReportabilityRule>,
}

/// The codes the rules look at (from auto-coding or from the registrar).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TumorCodes {
    /// ICD-O-3 topography without the dot ("C504").
    pub primary_site: Option<String>,
    /// ICD-O-3 histology, 4 digits ("8500").
    pub histology: Option<String>,
    /// ICD-O-3 behavior, 1 digit.
    pub behavior: Option<char>,
}

/// Final decision with the reasons behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportabilityDecision {
    /// Final status.
    pub status: ReportabilityStatus,
    /// Id of the rule that decided, if a rule did.
    pub rule_id: Option<String>,
    /// Screening reasons, then the rule's reason.
    pub reasons: Vec<String>,
}

fn rule(
    id: &str,
    sites: &[&str],
    histologies: &[&str],
    behaviors: &[char],
    outcome: RuleOutcome,
    reason: &str,
) -> ReportabilityRule {
    ReportabilityRule {
        id: id.to_string(),
        sites: sites.iter().map(|s| s.to_string()).collect(),
        histologies: histologies.iter().map(|s| s.to_string()).collect(),
        behaviors: behaviors.to_vec(),
        outcome,
        reason: reason.to_string(),
    }
}

impl Default for ReportabilityRules {
    /// SEER/NPCR conventions (to be confirmed by a CTR for each state).
    fn default() -> Self {
        use RuleOutcome::{NotReportable, Reportable};
        ReportabilityRules {
            version: 1,
            name: "SEER/NPCR default".to_string(),
            rules: vec![
                rule(
                    "cervix-in-situ",
                    &["C530-C539"],
                    &[],
                    &['2'],
                    NotReportable,
                    "carcinoma in situ and CIN III of the cervix (C53._ /2) are not reportable (SEER/NPCR since 1996)",
                ),
                rule(
                    "prostate-pin3",
                    &["C619"],
                    &["8148"],
                    &['2'],
                    NotReportable,
                    "prostatic intraepithelial neoplasia grade III (PIN III, C61.9 8148/2) is not reportable (since 2001)",
                ),
                rule(
                    "skin-keratinocyte",
                    &["C440-C449"],
                    &["8000-8110"],
                    &[],
                    NotReportable,
                    "basal and squamous cell carcinoma (and carcinoma NOS) of skin, C44._ with histology 8000-8110, are not reportable; genital skin (vulva C51._, vagina C52.9, penis C60._, scrotum C63.2) is coded to its own site and stays reportable",
                ),
                rule(
                    "cns-non-malignant",
                    &["C700-C729", "C751-C753"],
                    &[],
                    &['0', '1'],
                    Reportable,
                    "benign and borderline tumours of the brain, meninges, spinal cord, cranial nerves, pituitary, craniopharyngeal duct and pineal gland (C70.0-C72.9, C75.1-C75.3) are reportable (since 2004)",
                ),
                rule(
                    "malignant",
                    &[],
                    &[],
                    &['3'],
                    Reportable,
                    "malignant tumour (behavior 3)",
                ),
                rule(
                    "in-situ",
                    &[],
                    &[],
                    &['2'],
                    Reportable,
                    "in situ tumour (behavior 2)",
                ),
                rule(
                    "non-malignant-other",
                    &[],
                    &[],
                    &['0', '1'],
                    NotReportable,
                    "benign and borderline tumours outside the brain and CNS are not reportable",
                ),
            ],
        }
    }
}

/// Whether `code` lies in one of `ranges` ("C440-C449", "8000-8110", "C619").
fn in_ranges(code: &str, ranges: &[String]) -> bool {
    let code = code.trim().to_ascii_uppercase().replace('.', "");
    ranges.iter().any(|r| {
        let r = r.trim().to_ascii_uppercase().replace('.', "");
        match r.split_once('-') {
            // Same-width codes compare correctly as strings ("C504" within "C500"-"C509").
            Some((lo, hi)) => {
                code.len() == lo.trim().len()
                    && code.as_str() >= lo.trim()
                    && code.as_str() <= hi.trim()
            }
            None => code == r,
        }
    })
}

impl ReportabilityRule {
    /// Whether the rule applies to these codes (a condition on a missing code never holds).
    pub fn matches(&self, codes: &TumorCodes) -> bool {
        let site_ok = self.sites.is_empty()
            || codes
                .primary_site
                .as_deref()
                .is_some_and(|s| in_ranges(s, &self.sites));
        let hist_ok = self.histologies.is_empty()
            || codes
                .histology
                .as_deref()
                .is_some_and(|h| in_ranges(h, &self.histologies));
        let beh_ok = self.behaviors.is_empty()
            || codes.behavior.is_some_and(|b| self.behaviors.contains(&b));
        site_ok && hist_ok && beh_ok
    }
}

impl ReportabilityRules {
    /// The first rule matching the codes.
    pub fn first_match(&self, codes: &TumorCodes) -> Option<&ReportabilityRule> {
        // A site- or histology-specific rule needs that code; behaviour-only rules need only
        // the behavior.
        self.rules.iter().find(|r| r.matches(codes))
    }
}

/// Combines keyword screening with the rules on the coded tumour.
///
/// - Screening "needs review" stays so (the rule, if any, is added as information).
/// - Otherwise, when histology and behavior are coded, the first matching rule decides: it can
///   turn a screened-reportable skin BCC into not reportable, or a meningioma into reportable.
/// - A benign/borderline tumour whose site is unknown needs review (the CNS rule may apply).
/// - Without coded behavior the screening outcome stands.
pub fn decide(
    screening: &ScreeningResult,
    codes: &TumorCodes,
    rules: &ReportabilityRules,
) -> ReportabilityDecision {
    let mut reasons = screening.reasons.clone();
    if screening.status == ReportabilityStatus::NeedsReview {
        if let Some(r) = rules.first_match(codes) {
            reasons.push(format!("rule {}: {}", r.id, r.reason));
        }
        return ReportabilityDecision {
            status: ReportabilityStatus::NeedsReview,
            rule_id: None,
            reasons,
        };
    }
    let coded = codes.histology.is_some() && codes.behavior.is_some();
    if !coded {
        return ReportabilityDecision {
            status: screening.status,
            rule_id: None,
            reasons,
        };
    }
    let non_malignant = matches!(codes.behavior, Some('0' | '1'));
    if non_malignant && codes.primary_site.is_none() {
        reasons.push(
            "benign/borderline histology without a coded primary site: reportable only for brain and CNS sites"
                .to_string(),
        );
        return ReportabilityDecision {
            status: ReportabilityStatus::NeedsReview,
            rule_id: None,
            reasons,
        };
    }
    match rules.first_match(codes) {
        Some(r) => {
            reasons.push(format!("rule {}: {}", r.id, r.reason));
            ReportabilityDecision {
                status: match r.outcome {
                    RuleOutcome::Reportable => ReportabilityStatus::Reportable,
                    RuleOutcome::NotReportable => ReportabilityStatus::NotReportable,
                },
                rule_id: Some(r.id.clone()),
                reasons,
            }
        }
        None => ReportabilityDecision {
            status: screening.status,
            rule_id: None,
            reasons,
        },
    }
}

/// Errors in reportability rules an admin edited (text form, one rule a line).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RuleError {
    /// Not six `|`-separated fields.
    #[error(
        "rules line {line}: expected 6 fields separated by | (id | sites | histologies | behaviors | outcome | reason), found {found}"
    )]
    FieldCount { line: usize, found: usize },
    /// Bad id (empty or repeated).
    #[error("rules line {line}: {problem}")]
    Id { line: usize, problem: String },
    /// A site range that is not Cnnn or Cnnn-Cnnn.
    #[error("rules line {line}: site \"{text}\" is not a topography code or range like C440-C449")]
    Site { line: usize, text: String },
    /// A histology range that is not nnnn or nnnn-nnnn.
    #[error(
        "rules line {line}: histology \"{text}\" is not a 4-digit code or range like 8000-8110"
    )]
    Histology { line: usize, text: String },
    /// A behavior that is not 0-3.
    #[error("rules line {line}: behavior \"{text}\" must be 0, 1, 2 or 3")]
    Behavior { line: usize, text: String },
    /// Outcome not reportable / not reportable.
    #[error("rules line {line}: outcome \"{text}\" must be \"reportable\" or \"not reportable\"")]
    Outcome { line: usize, text: String },
    /// No reason.
    #[error("rules line {line}: the reason shown to the registrar is empty")]
    NoReason { line: usize },
    /// Bad name line.
    #[error("rules line {line}: the name (state) is empty")]
    NoName { line: usize },
}

fn range_ok(text: &str, one: fn(&str) -> bool) -> bool {
    match text.split_once('-') {
        Some((lo, hi)) => one(lo.trim()) && one(hi.trim()) && lo.trim() <= hi.trim(),
        None => one(text),
    }
}

fn is_site(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 4 && b[0] == b'C' && b[1..].iter().all(u8::is_ascii_digit)
}

fn is_histology(code: &str) -> bool {
    code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit())
}

fn split_list(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl ReportabilityRules {
    /// Reads the text form written by [`ReportabilityRules::to_text`]: `name = ...`, then one
    /// rule a line `id | sites | histologies | behaviors | outcome | reason` (lists separated by
    /// commas; an empty field = any); `#` starts a comment line. The version is kept by the
    /// caller (it is the stored version number).
    pub fn from_text(text: &str, version: u32) -> Result<ReportabilityRules, RuleError> {
        let mut rules = ReportabilityRules {
            version,
            name: "SEER/NPCR default".to_string(),
            rules: Vec::new(),
        };
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if !trimmed.contains('|')
                && let Some(name) = trimmed.strip_prefix("name")
            {
                let name = name.trim_start().trim_start_matches('=').trim();
                if name.is_empty() {
                    return Err(RuleError::NoName { line });
                }
                rules.name = name.to_string();
                continue;
            }
            let fields: Vec<&str> = trimmed.split('|').map(str::trim).collect();
            if fields.len() != 6 {
                return Err(RuleError::FieldCount {
                    line,
                    found: fields.len(),
                });
            }
            let id = fields[0];
            if id.is_empty() || id.contains(char::is_whitespace) {
                return Err(RuleError::Id {
                    line,
                    problem: format!("the id \"{id}\" must be one word"),
                });
            }
            if rules.rules.iter().any(|r| r.id == id) {
                return Err(RuleError::Id {
                    line,
                    problem: format!("the id \"{id}\" is used twice"),
                });
            }
            let sites: Vec<String> = split_list(&fields[1].to_ascii_uppercase().replace('.', ""));
            if let Some(bad) = sites.iter().find(|s| !range_ok(s, is_site)) {
                return Err(RuleError::Site {
                    line,
                    text: bad.clone(),
                });
            }
            let histologies = split_list(fields[2]);
            if let Some(bad) = histologies.iter().find(|s| !range_ok(s, is_histology)) {
                return Err(RuleError::Histology {
                    line,
                    text: bad.clone(),
                });
            }
            let mut behaviors = Vec::new();
            for b in split_list(fields[3]) {
                match b.as_str() {
                    "0" | "1" | "2" | "3" => behaviors.extend(b.chars()),
                    _ => return Err(RuleError::Behavior { line, text: b }),
                }
            }
            let outcome = match fields[4].to_ascii_lowercase().as_str() {
                "reportable" => RuleOutcome::Reportable,
                "not reportable" | "not-reportable" => RuleOutcome::NotReportable,
                other => {
                    return Err(RuleError::Outcome {
                        line,
                        text: other.to_string(),
                    });
                }
            };
            if fields[5].is_empty() {
                return Err(RuleError::NoReason { line });
            }
            rules.rules.push(ReportabilityRule {
                id: id.to_string(),
                sites,
                histologies,
                behaviors,
                outcome,
                reason: fields[5].to_string(),
            });
        }
        Ok(rules)
    }

    /// The text form read by [`ReportabilityRules::from_text`].
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "name = {}\n# id | sites | histologies | behaviors | outcome | reason  (first matching rule decides; empty = any)\n",
            self.name
        );
        for r in &self.rules {
            let behaviors: Vec<String> = r.behaviors.iter().map(|b| b.to_string()).collect();
            out.push_str(&format!(
                "{} | {} | {} | {} | {} | {}\n",
                r.id,
                r.sites.join(", "),
                r.histologies.join(", "),
                behaviors.join(", "),
                match r.outcome {
                    RuleOutcome::Reportable => "reportable",
                    RuleOutcome::NotReportable => "not reportable",
                },
                r.reason
            ));
        }
        out
    }
}
