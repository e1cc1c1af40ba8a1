//! Creating, reading and changing patients and tumors. Every read of a patient page and every
//! change writes its audit event in the same transaction; changes list each field's old → new value.

use std::collections::{BTreeMap, HashMap};

use crate::audit::{self, Action, Actor, AuditEvent, FieldChange};
use crate::db::{DbConn, write_tx};
use crate::domain::fields::{FieldSpec, normalize};
use crate::error::AppError;
use crate::models::audit_log::{self, AuditFilter, AuditRow};
use crate::models::patient::{self, Patient, Scope};
use crate::models::tumor::{self, Tumor};

/// Validated values of a form, by NAACCR item.
pub type ItemValues = Vec<(&'static str, Option<String>)>;

/// A NAACCR item and its new value (`None` clears it).
pub type ItemChange = (String, Option<String>);

/// Messages of a form that did not validate, by NAACCR item.
pub type FieldErrors = BTreeMap<&'static str, String>;

/// Validates every field of a form; all messages at once, so the user fixes them in one go.
pub fn validate_form(
    specs: &[FieldSpec],
    input: &HashMap<String, String>,
) -> Result<ItemValues, FieldErrors> {
    let mut values = Vec::with_capacity(specs.len());
    let mut errors = FieldErrors::new();
    for spec in specs {
        let raw = input.get(spec.naaccr_id).map(String::as_str).unwrap_or("");
        match normalize(spec, raw) {
            Ok(value) => values.push((spec.naaccr_id, value)),
            Err(message) => {
                errors.insert(spec.naaccr_id, message);
            }
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

/// What the audit trail keeps of a value: Social Security numbers only as their last 4 digits.
fn audited_value(naaccr_id: &str, value: Option<String>) -> Option<String> {
    match (naaccr_id, value) {
        ("socialSecurityNumber", Some(v)) => Some(format!(
            "***-**-{}",
            v.get(v.len().saturating_sub(4)..).unwrap_or("")
        )),
        (_, v) => v,
    }
}

/// A patient's items as the audit trail compares them (with the Medical Record Number column).
pub(crate) fn patient_audit_items(patient: &Patient) -> BTreeMap<String, String> {
    let mut items = patient.all_items();
    if let Some(mrn) = &patient.medical_record_number {
        items.insert("medicalRecordNumber".into(), mrn.clone());
    }
    items
}

pub(crate) fn changes_of(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<FieldChange> {
    let mut ids: Vec<&String> = before.keys().chain(after.keys()).collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| {
            FieldChange::between(
                id,
                before.get(id).map(String::as_str),
                after.get(id).map(String::as_str),
            )
        })
        .map(|c| FieldChange {
            old: audited_value(&c.field, c.old),
            new: audited_value(&c.field, c.new),
            field: c.field,
        })
        .collect()
}

/// Applies item values to a patient and, when anything changed, saves it with its audit event.
pub(crate) fn change_patient<'a>(
    conn: &mut DbConn,
    actor: &Actor,
    patient: &mut Patient,
    values: impl IntoIterator<Item = (&'a str, Option<String>)>,
) -> Result<(), AppError> {
    let before = patient_audit_items(patient);
    patient.set_items(values);
    let changes = changes_of(&before, &patient_audit_items(patient));
    if !changes.is_empty() {
        patient::save(conn, patient)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Update, "patient")
                .id(patient.id)
                .patient(patient.id, patient.facility_id)
                .changes(changes),
        )?;
    }
    Ok(())
}

/// Applies item values to a tumor of `patient` and, when anything changed, saves it with its audit
/// event. Returns whether anything changed.
pub(crate) fn change_tumor<'a>(
    conn: &mut DbConn,
    actor: &Actor,
    patient: &Patient,
    row: &mut Tumor,
    values: impl IntoIterator<Item = (&'a str, Option<String>)>,
) -> Result<bool, AppError> {
    let before = row.all_items(patient);
    row.set_items(values);
    let changes = changes_of(&before, &row.all_items(patient));
    let changed = !changes.is_empty();
    if changed {
        tumor::save(conn, row)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Update, "tumor")
                .id(row.id)
                .patient(patient.id, patient.facility_id)
                .changes(changes),
        )?;
    }
    Ok(changed)
}

/// A patient page: the patient, its tumors and the latest audit events about it.
pub struct PatientView {
    pub patient: Patient,
    pub tumors: Vec<Tumor>,
    pub history: Vec<AuditRow>,
}

/// Reads a patient for display and records the read.
pub fn view_patient(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    id: i64,
) -> Result<PatientView, AppError> {
    write_tx(conn, |conn| {
        let patient = patient::find_scoped(conn, scope, id)?.ok_or(AppError::NotFound)?;
        let tumors = tumor::for_patient(conn, patient.id)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Read, "patient")
                .id(patient.id)
                .patient(patient.id, patient.facility_id),
        )?;
        let filter = AuditFilter {
            patient: patient.id.to_string(),
            ..AuditFilter::default()
        };
        let history = audit_log::search(conn, &filter, None, 20)?;
        Ok(PatientView {
            patient,
            tumors,
            history,
        })
    })
}

/// Reads a patient for an edit form (audited as a read).
pub fn read_patient(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    id: i64,
) -> Result<Patient, AppError> {
    write_tx(conn, |conn| {
        let patient = patient::find_scoped(conn, scope, id)?.ok_or(AppError::NotFound)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Read, "patient")
                .id(patient.id)
                .patient(patient.id, patient.facility_id),
        )?;
        Ok(patient)
    })
}

pub fn create_patient(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    facility_id: i64,
    values: ItemValues,
) -> Result<Patient, AppError> {
    if !scope.allows(facility_id) {
        return Err(AppError::Forbidden(
            "facility outside the user's scope".into(),
        ));
    }
    write_tx(conn, |conn| {
        let mut patient = Patient::blank(facility_id);
        patient.patient_id_number = patient::next_patient_id_number(conn, facility_id)?;
        patient.set_items(values);
        let saved = patient::insert(conn, &mut patient)?;
        let changes = changes_of(&BTreeMap::new(), &patient_audit_items(&saved));
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Create, "patient")
                .id(saved.id)
                .patient(saved.id, saved.facility_id)
                .changes(changes),
        )?;
        Ok(saved)
    })
}

pub fn update_patient(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    id: i64,
    values: ItemValues,
) -> Result<Patient, AppError> {
    write_tx(conn, |conn| {
        let mut patient = patient::find_scoped(conn, scope, id)?.ok_or(AppError::NotFound)?;
        change_patient(conn, actor, &mut patient, values)?;
        Ok(patient)
    })
}

/// A tumor with its patient, checked against the scope.
pub fn read_tumor(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    id: i64,
) -> Result<(Patient, Tumor), AppError> {
    write_tx(conn, |conn| {
        let tumor = tumor::find(conn, id)?.ok_or(AppError::NotFound)?;
        let patient =
            patient::find_scoped(conn, scope, tumor.patient_id)?.ok_or(AppError::NotFound)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Read, "tumor")
                .id(tumor.id)
                .patient(patient.id, patient.facility_id),
        )?;
        Ok((patient, tumor))
    })
}

pub fn create_tumor(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    patient_id: i64,
    values: ItemValues,
) -> Result<Tumor, AppError> {
    write_tx(conn, |conn| {
        let patient = patient::find_scoped(conn, scope, patient_id)?.ok_or(AppError::NotFound)?;
        let mut new_tumor = Tumor::blank(patient.id, tumor::next_record_number(conn, patient.id)?);
        new_tumor.set_items(values);
        let inserted = tumor::insert(conn, &new_tumor)?;
        crate::services::abstracting::renumber_sequences_except(
            conn,
            actor,
            &patient,
            Some(inserted.id),
        )?;
        let saved = tumor::find(conn, inserted.id)?.ok_or(AppError::NotFound)?;
        let changes = changes_of(&BTreeMap::new(), &saved.all_items(&patient));
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Create, "tumor")
                .id(saved.id)
                .patient(patient.id, patient.facility_id)
                .changes(changes),
        )?;
        Ok(saved)
    })
}

pub fn update_tumor(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    id: i64,
    values: ItemValues,
) -> Result<Tumor, AppError> {
    write_tx(conn, |conn| {
        let mut row = tumor::find(conn, id)?.ok_or(AppError::NotFound)?;
        let patient =
            patient::find_scoped(conn, scope, row.patient_id)?.ok_or(AppError::NotFound)?;
        if change_tumor(conn, actor, &patient, &mut row, values)? {
            crate::services::abstracting::renumber_sequences(conn, actor, &patient)?;
        }
        Ok(row)
    })
}

/// Sets any NAACCR items of a patient and of one of its tumors (the "all items" path; import).
/// Values are checked against the dictionary; the change is audited like a form save.
pub fn set_items(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    patient_id: i64,
    patient_items: &[ItemChange],
    tumor_items: Option<(i64, &[ItemChange])>,
) -> Result<(), AppError> {
    for (id, value) in patient_items
        .iter()
        .chain(tumor_items.map(|(_, t)| t).unwrap_or(&[]))
    {
        if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            crate::domain::fields::check_item_value(id, v)
                .map_err(|e| AppError::BadRequest(format!("{id}: {e}")))?;
        }
    }
    let patient_values: Vec<(&str, Option<String>)> = patient_items
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    write_tx(conn, |conn| {
        let mut patient =
            patient::find_scoped(conn, scope, patient_id)?.ok_or(AppError::NotFound)?;
        change_patient(conn, actor, &mut patient, patient_values)?;
        if let Some((tumor_id, items)) = tumor_items {
            let mut row = tumor::find(conn, tumor_id)?
                .filter(|t| t.patient_id == patient.id)
                .ok_or(AppError::NotFound)?;
            let values = items.iter().map(|(k, v)| (k.as_str(), v.clone()));
            // Sequence numbers given explicitly (an import) are the registry's decision.
            let explicit = items.iter().any(|(k, v)| {
                k.starts_with("sequenceNumber")
                    && v.as_deref().is_some_and(|v| !v.trim().is_empty())
            });
            if change_tumor(conn, actor, &patient, &mut row, values)? && !explicit {
                crate::services::abstracting::renumber_sequences(conn, actor, &patient)?;
            }
        }
        Ok(())
    })
}

/// Searches patients and records that a search was made (the criteria kinds, not their values).
pub fn search_patients(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    criteria: &patient::PatientSearch,
) -> Result<Vec<patient::PatientListing>, AppError> {
    let results = patient::search(conn, scope, criteria, 100)?;
    let kinds: Vec<&str> = [
        ("name", &criteria.name),
        ("dob", &criteria.dob),
        ("mrn", &criteria.mrn),
        ("pid", &criteria.pid),
        ("ssn4", &criteria.ssn4),
    ]
    .iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, _)| *k)
    .collect();
    audit::record_now(
        conn,
        actor,
        &AuditEvent::new(Action::Search, "patient").detail(format!(
            "by {}; {} found",
            kinds.join("+"),
            results.len()
        )),
    )?;
    Ok(results)
}
