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
