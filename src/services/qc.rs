//! QC of abstracts: a reviewer re-abstracts a case blind, the values are compared item by item
//! with the abstract, each difference gets a discrepancy reason and a resolution (keep the
//! original or take the review value, which updates the abstract), and agreement rates are
//! computed per item and per registrar over every review.

use std::collections::{BTreeMap, HashMap};

use crate::audit::{self, Action, Actor, AuditEvent, FieldChange};
use crate::db::{DbConn, write_tx};
use crate::domain::abstracting::{
    Agreement, agreement_rates, discrepancy_reason, field_spec, qc_items,
};
use crate::domain::fields::normalize;
use crate::error::AppError;
use crate::models::abstracting::{self as rows, NewQcItem, QcItem, QcReview};
use crate::models::audit_log::{self, AuditFilter};
use crate::models::patient::{Patient, Scope};
use crate::models::tumor::Tumor;
use crate::services::abstracting::{load_scoped, record_of, save_abstract};
use crate::services::patients::FieldErrors;

/// Who completed an abstract: the user of the latest audited change of its status to complete.
pub fn completed_by(
    conn: &mut DbConn,
    patient: &Patient,
    tumor_id: i64,
) -> Result<Option<(Option<i64>, String)>, AppError> {
    // Only a status change (an update) completes an abstract: the patient's many reads are left out.
    let filter = AuditFilter {
        patient: patient.id.to_string(),
        action: "update".into(),
        ..AuditFilter::default()
    };
    let id = tumor_id.to_string();
    Ok(audit_log::search(conn, &filter, None, 5000)?
        .into_iter()
        .filter(|r| r.entity == "tumor" && r.entity_id.as_deref() == Some(id.as_str()))
        .find(|r| {
            r.field_changes()
                .iter()
                .any(|c| c.field == "abstractStatus" && c.new.as_deref() == Some("complete"))
        })
        .map(|r| (r.user_id, r.user_email.unwrap_or_default())))
}

/// What the blind form needs: the case and who completed it.
pub struct BlindCase {
    pub patient: Patient,
    pub tumor: Tumor,
}

/// Checks that the actor may review this abstract: it is complete (or reviewed) and the actor did
/// not complete it. Returns who completed it.
fn reviewable(
    conn: &mut DbConn,
    actor: &Actor,
    patient: &Patient,
    tumor: &Tumor,
) -> Result<(Option<i64>, String), AppError> {
    if tumor.abstract_status == "incomplete" {
        return Err(AppError::BadRequest(
            "Only a complete abstract can be reviewed.".into(),
        ));
    }
    let completer = completed_by(conn, patient, tumor.id)?.unwrap_or((None, "(unknown)".into()));
    if completer.0.is_some() && completer.0 == actor.user_id {
        return Err(AppError::Forbidden(
            "a reviewer cannot review an abstract they completed".into(),
        ));
    }
    Ok(completer)
}

/// Opens the blind QC form of a tumor (audited as a read; no original value leaves here).
pub fn blind_case(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    tumor_id: i64,
) -> Result<BlindCase, AppError> {
    write_tx(conn, |conn| {
        let (patient, tumor) = load_scoped(conn, scope, tumor_id)?;
        reviewable(conn, actor, &patient, &tumor)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Read, "tumor")
                .id(tumor.id)
                .patient(patient.id, patient.facility_id)
                .detail("qc blind form"),
        )?;
        Ok(BlindCase { patient, tumor })
    })
}

/// Stores a blind review: every QC item compared with the abstract. Typed values that cannot be
/// stored come back as field errors and nothing is stored.
pub fn submit_review(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    tumor_id: i64,
    input: &HashMap<String, String>,
) -> Result<Result<i64, FieldErrors>, AppError> {
    let mut typed = Vec::new();
    let mut errors = FieldErrors::new();
    for id in qc_items() {
        let Some(spec) = field_spec(id) else { continue };
        match normalize(&spec, input.get(id).map(String::as_str).unwrap_or("")) {
            Ok(value) => typed.push((id, value)),
            Err(message) => {
                errors.insert(spec.naaccr_id, message);
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    write_tx(conn, |conn| {
        let (patient, tumor) = load_scoped(conn, scope, tumor_id)?;
        let (registrar_id, registrar_email) = reviewable(conn, actor, &patient, &tumor)?;
        let record = record_of(&patient, &tumor);
        let items: Vec<NewQcItem> = typed
            .into_iter()
            .map(|(id, value)| NewQcItem {
                naaccr_id: id.to_string(),
                original_value: record.get(id).cloned().filter(|v| !v.trim().is_empty()),
                review_value: value,
            })
            .collect();
        let differences = items
            .iter()
            .filter(|i| i.original_value != i.review_value)
            .count();
        let review_id = rows::insert_review(
            conn,
            tumor.id,
            (actor.user_id.unwrap_or_default(), &actor.label),
            (registrar_id, &registrar_email),
            &items,
        )?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Create, "qc_review")
                .id(review_id)
                .patient(patient.id, patient.facility_id)
                .detail(format!(
                    "blind review of tumor {}: {} items compared, {differences} differ",
                    tumor.id,
                    items.len()
                )),
        )?;
        Ok(Ok(review_id))
    })
}

/// A review with its compared items and the case.
pub struct ReviewView {
    pub review: QcReview,
    pub items: Vec<QcItem>,
    pub patient: Patient,
    pub tumor: Tumor,
}

/// Reads a review (audited as a read of the tumor: it shows the abstract's values).
pub fn read_review(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    review_id: i64,
) -> Result<ReviewView, AppError> {
    write_tx(conn, |conn| {
        let review = rows::find_review(conn, review_id)?.ok_or(AppError::NotFound)?;
        let (patient, tumor) = load_scoped(conn, scope, review.tumor_id)?;
        let items = rows::items_of(conn, review.id)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Read, "qc_review")
                .id(review.id)
                .patient(patient.id, patient.facility_id),
        )?;
        Ok(ReviewView {
            review,
            items,
            patient,
            tumor,
        })
    })
}

/// The reviewer's decision on one difference.
#[derive(Debug, Clone, Default)]
pub struct Decision {
    pub reason: String,
    pub reason_text: String,
    /// "original" or "review".
    pub resolution: String,
}

/// Resolves every difference of a review: each needs a reason (with an explanation for "other")
/// and a resolution. Taking a review value saves it on the abstract (audited like any save).
/// Returns the refusals per item (naaccrId → message) when a decision is missing.
pub fn resolve_review(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    review_id: i64,
    decisions: &HashMap<String, Decision>,
) -> Result<Result<(), BTreeMap<String, String>>, AppError> {
    write_tx(conn, |conn| {
        let review = rows::find_review(conn, review_id)?.ok_or(AppError::NotFound)?;
        if review.state == "resolved" {
            return Err(AppError::BadRequest(
                "This review is already resolved.".into(),
            ));
        }
        if review.reviewer_id != actor.user_id.unwrap_or_default() {
            return Err(AppError::Forbidden(
                "only the reviewer who re-abstracted the case resolves its differences".into(),
            ));
        }
        let (patient, _) = load_scoped(conn, scope, review.tumor_id)?;
        let differences: Vec<QcItem> = rows::items_of(conn, review.id)?
            .into_iter()
            .filter(|i| !i.agreed)
            .collect();
        let mut refusals = BTreeMap::new();
        for item in &differences {
            let decision = decisions.get(&item.naaccr_id).cloned().unwrap_or_default();
            let message = if discrepancy_reason(&decision.reason).is_none() {
                Some("Choose a discrepancy reason.")
            } else if decision.reason == "other" && decision.reason_text.trim().is_empty() {
                Some("Explain the reason \"other\".")
            } else if !matches!(decision.resolution.as_str(), "original" | "review") {
                Some("Choose: keep the original or take the review value.")
            } else {
                None
            };
            if let Some(m) = message {
                refusals.insert(item.naaccr_id.clone(), m.to_string());
            }
        }
        if !refusals.is_empty() {
            return Ok(Err(refusals));
        }
        let mut taken = Vec::new();
        let mut changes = Vec::new();
        for item in &differences {
            let Some(decision) = decisions.get(&item.naaccr_id) else {
                continue;
            };
            let text = decision.reason_text.trim();
            rows::resolve_item(
                conn,
                item.id,
                &decision.reason,
                (!text.is_empty()).then_some(text),
                &decision.resolution,
            )?;
            changes.extend(FieldChange::between(
                &format!("qc:{}", item.naaccr_id),
                None,
                Some(&format!("{} ({})", decision.resolution, decision.reason)),
            ));
            if decision.resolution == "review"
                && let Some(spec) = field_spec(&item.naaccr_id)
            {
                taken.push((spec.naaccr_id, item.review_value.clone()));
            }
        }
        rows::mark_resolved(conn, review.id)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Update, "qc_review")
                .id(review.id)
                .patient(patient.id, patient.facility_id)
                .changes(changes)
                .detail(format!(
                    "resolved: {} review value{} taken",
                    taken.len(),
                    if taken.len() == 1 { "" } else { "s" }
                )),
        )?;
        if !taken.is_empty() {
            save_abstract(conn, actor, scope, review.tumor_id, taken)?;
        }
        Ok(Ok(()))
    })
}

/// The QC page: agreement per item and per registrar over every review, and the latest reviews.
pub struct QcSummary {
    pub per_item: Vec<Agreement>,
    pub per_registrar: Vec<Agreement>,
    pub reviews: Vec<QcReview>,
}

pub fn summary(conn: &mut DbConn) -> Result<QcSummary, AppError> {
    let compared = rows::all_compared(conn)?;
    let (per_item, per_registrar) = agreement_rates(&compared);
    Ok(QcSummary {
        per_item,
        per_registrar,
        reviews: rows::recent_reviews(conn, 50)?,
    })
}
