//! Abstracting use cases: reading and saving the full abstract of a tumor (patient and tumor items
//! through the record view, one transaction with its audit events), edits on saved or unsaved
//! values, the abstract status, sequence numbers per patient, a new primary copied from a tumor.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use crate::audit::{self, Action, Actor, AuditEvent, FieldChange};
use crate::db::{DbConn, write_tx};
use crate::domain::abstracting::{COMPUTED_ITEMS, IDENTIFIER_ITEMS, field_spec, is_patient_item};
use crate::domain::date::PartialDate;
use crate::domain::edits::{EditContext, EditFailure, EditSet, Severity, run_edits};
use crate::domain::fields::normalize;
use crate::domain::icdo3::{Histology, PrimarySite};
use crate::domain::naaccr::RecordType;
use crate::domain::sequence::{SequenceInput, SequenceItem, assign_sequence_numbers_for};
use crate::error::AppError;
use crate::models::abstracting as drafts;
use crate::models::audit_log::{self, AuditFilter, AuditRow};
use crate::models::patient::{self, Patient, Scope};
use crate::models::tumor::{self, Tumor};
use crate::services::patients::{FieldErrors, changes_of, patient_audit_items};

/// The abstract statuses, in workflow order.
pub const STATUSES: &[&str] = &["incomplete", "complete", "reviewed"];

/// Validated values of an abstract form: (naaccrId, value or `None` to clear).
pub type AbstractValues = Vec<(&'static str, Option<String>)>;

/// Everything the abstract page shows.
pub struct AbstractView {
    pub patient: Patient,
    pub tumor: Tumor,
    /// All tumors of the patient (this one included), in diagnosis order.
    pub tumors: Vec<Tumor>,
    /// Update events of this patient, newest first (the per-field change history).
    pub history: Vec<AuditRow>,
    /// The next abstract in progress of the worklist, if any.
    pub next_case: Option<i64>,
    /// The reader's unsaved draft of this abstract kept on the server: (typed values, saved at).
    pub draft: Option<(HashMap<String, String>, chrono::NaiveDateTime)>,
}

/// The edit context of an abstract: a hospital abstract record, checked as of today.
pub fn abstract_context(today: NaiveDate) -> EditContext {
    EditContext::new(today, RecordType::A, EditSet::Hospital)
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Checks the typed values of the items present in a form. Unknown names (csrf_token, buttons)
/// are ignored; identifiers and computed items are never taken from a form.
pub fn validate_abstract(input: &HashMap<String, String>) -> Result<AbstractValues, FieldErrors> {
    let mut values = Vec::new();
    let mut errors = FieldErrors::new();
    let mut names: Vec<&String> = input.keys().collect();
    names.sort();
    for name in names {
        if IDENTIFIER_ITEMS.contains(&name.as_str()) || COMPUTED_ITEMS.contains(&name.as_str()) {
            continue;
        }
        let Some(spec) = field_spec(name) else {
            continue;
        };
        let raw = input.get(name).map(String::as_str).unwrap_or("");
        match normalize(&spec, raw) {
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

/// The tumor and its patient, if the patient is in the scope.
pub fn load_scoped(
    conn: &mut DbConn,
    scope: &Scope,
    tumor_id: i64,
) -> Result<(Patient, Tumor), AppError> {
    let tumor = tumor::find(conn, tumor_id)?.ok_or(AppError::NotFound)?;
    let patient = patient::find_scoped(conn, scope, tumor.patient_id)?.ok_or(AppError::NotFound)?;
    Ok((patient, tumor))
}

/// The record the edits read: the patient's items, then the tumor's.
pub fn record_of(patient: &Patient, tumor: &Tumor) -> BTreeMap<String, String> {
    let mut record = patient.all_items();
    record.extend(tumor.all_items(patient));
    if !record.contains_key("ageAtDiagnosis")
        && let Some(age) = age_at_diagnosis(
            record.get("dateOfBirth").map(String::as_str),
            record.get("dateOfDiagnosis").map(String::as_str),
        )
    {
        record.insert("ageAtDiagnosis".into(), age);
    }
    record
}

/// Age at Diagnosis [230] from the dates of birth and diagnosis: whole years, 999 when the partial
/// dates do not fix it; `None` while either date is missing.
pub fn age_at_diagnosis(birth: Option<&str>, diagnosis: Option<&str>) -> Option<String> {
    let birth = PartialDate::parse(birth?).ok()?;
    let diagnosis = PartialDate::parse(diagnosis?).ok()?;
    Some(match birth.whole_years_until(&diagnosis) {
        Some(age) if (0..=120).contains(&age) => format!("{age:03}"),
        _ => "999".to_string(),
    })
}

/// Reads an abstract for the page (audited as a read of the tumor).
pub fn read_abstract(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    tumor_id: i64,
) -> Result<AbstractView, AppError> {
    write_tx(conn, |conn| {
        let (patient, tumor) = load_scoped(conn, scope, tumor_id)?;
        let tumors = tumor::for_patient(conn, patient.id)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Read, "tumor")
                .id(tumor.id)
                .patient(patient.id, patient.facility_id)
                .detail("abstract"),
        )?;
        let filter = AuditFilter {
            patient: patient.id.to_string(),
            ..AuditFilter::default()
        };
        let history = audit_log::search(conn, &filter, None, 1000)?
            .into_iter()
            .filter(|r| r.changes.is_some())
            .filter(|r| {
                r.entity == "patient" || r.entity_id.as_deref() == Some(&*tumor.id.to_string())
            })
            .collect();
        let next_case = tumor::in_progress(conn, scope, 50)?
            .into_iter()
            .filter(|e| e.abstract_status == "incomplete")
            .map(|e| e.tumor_id)
            .find(|id| *id != tumor.id);
        let draft = match actor.user_id {
            Some(user) => drafts::draft(conn, user, tumor.id)?
                .and_then(|(data, at)| Some((serde_json::from_str(&data).ok()?, at))),
            None => None,
        };
        Ok(AbstractView {
            patient,
            tumor,
            tumors,
            history,
            next_case,
            draft,
        })
    })
}

/// What a save did besides storing the values.
#[derive(Debug, Default)]
pub struct SaveOutcome {
    /// Tumors whose sequence numbers changed ("01: 00 → 01").
    pub renumbered: Vec<String>,
    /// The abstract was complete, now has errors, and went back to incomplete.
    pub reopened: bool,
}

/// Saves abstract values: patient items on the patient, tumor items on the tumor, one transaction
/// with an audit event per changed row (each item old → new); then sequence numbers are recomputed
/// and a complete abstract that now fails an error edit goes back to incomplete.
pub fn save_abstract(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    tumor_id: i64,
    values: AbstractValues,
) -> Result<SaveOutcome, AppError> {
    let (patient_values, tumor_values): (AbstractValues, AbstractValues) =
        values.into_iter().partition(|(id, _)| is_patient_item(id));
    write_tx(conn, |conn| {
        let (mut patient, mut row) = load_scoped(conn, scope, tumor_id)?;
        let before = patient_audit_items(&patient);
        patient.set_items(patient_values);
        let changes = changes_of(&before, &patient_audit_items(&patient));
        if !changes.is_empty() {
            patient::save(conn, &mut patient)?;
            audit::record(
                conn,
                actor,
                &AuditEvent::new(Action::Update, "patient")
                    .id(patient.id)
                    .patient(patient.id, patient.facility_id)
                    .changes(changes)
                    .detail("abstract"),
            )?;
        }
        let before = row.all_items(&patient);
        row.set_items(tumor_values);
        let age = age_at_diagnosis(
            patient.date_of_birth.as_deref(),
            row.date_of_diagnosis.as_deref(),
        );
        row.set_items([("ageAtDiagnosis", age)]);
        let changes = changes_of(&before, &row.all_items(&patient));
        if !changes.is_empty() {
            tumor::save(conn, &mut row)?;
            audit::record(
                conn,
                actor,
                &AuditEvent::new(Action::Update, "tumor")
                    .id(row.id)
                    .patient(patient.id, patient.facility_id)
                    .changes(changes)
                    .detail("abstract"),
            )?;
        }
        let renumbered = renumber_sequences(conn, actor, &patient)?;
        let mut reopened = false;
        let row = tumor::find(conn, tumor_id)?.ok_or(AppError::NotFound)?;
        if row.abstract_status != "incomplete"
            && has_errors(&run_edits(
                &record_of(&patient, &row),
                &abstract_context(today()),
            ))
        {
            change_status(
                conn,
                actor,
                &patient,
                row,
                "incomplete",
                "reopened: an error edit fails",
            )?;
            reopened = true;
        }
        Ok(SaveOutcome {
            renumbered,
            reopened,
        })
    })
}

fn has_errors(failures: &[EditFailure]) -> bool {
    failures.iter().any(|f| f.severity == Severity::Error)
}

/// The result of the as-you-type edits call.
#[derive(Debug, serde::Serialize)]
pub struct EditsResult {
    pub errors: usize,
    pub warnings: usize,
    pub failures: Vec<EditFailure>,
}

/// Runs the edits on the stored abstract overlaid with unsaved form values. A value that cannot
/// be stored at all (bad date, not a code) is reported as a failure of its own field.
pub fn check_edits(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    tumor_id: i64,
    input: &HashMap<String, String>,
) -> Result<EditsResult, AppError> {
    let (patient, tumor, tumors) = write_tx(conn, |conn| {
        let (patient, tumor) = load_scoped(conn, scope, tumor_id)?;
        let tumors = tumor::for_patient(conn, patient.id)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Read, "tumor")
                .id(tumor.id)
                .patient(patient.id, patient.facility_id)
                .detail("edits"),
        )?;
        Ok::<_, AppError>((patient, tumor, tumors))
    })?;
    Ok(edits_with_overlay(
        &patient,
        &tumor,
        &tumors,
        input,
        today(),
    ))
}

/// The sequence numbers (hospital, central) the tumor `current` gets when saved with the values
/// of `record`, numbered among all the patient's `tumors` as the save renumbers them.
fn sequence_numbers_as_saved(
    tumors: &[Tumor],
    current: &Tumor,
    record: &BTreeMap<String, String>,
) -> Option<(String, String)> {
    let mut tumors: Vec<Tumor> = tumors.to_vec();
    let index = match tumors.iter().position(|t| t.id == current.id) {
        Some(index) => index,
        None => {
            tumors.push(current.clone());
            tumors.len() - 1
        }
    };
    let row = tumors.get_mut(index)?;
    row.set_items(
        [
            "dateOfDiagnosis",
            "behaviorCodeIcdO3",
            "histologicTypeIcdO3",
            "primarySite",
        ]
        .map(|id| (id, record.get(id).cloned())),
    );
    let number = |item| {
        assign_sequence_numbers_for(item, &sequence_inputs(&tumors, item))
            .into_iter()
            .find(|(key, _, _)| *key == index)
            .map(|(_, code, _)| code)
    };
    Some((
        number(SequenceItem::Hospital)?,
        number(SequenceItem::Central)?,
    ))
}

/// The edits of an abstract with typed values laid over the stored ones (pure: no database).
/// Computed items (age, sequence numbers) are computed from the typed values as the save does.
pub fn edits_with_overlay(
    patient: &Patient,
    tumor: &Tumor,
    tumors: &[Tumor],
    input: &HashMap<String, String>,
    today: NaiveDate,
) -> EditsResult {
    let mut record = record_of(patient, tumor);
    let mut failures = Vec::new();
    for (name, raw) in input {
        if IDENTIFIER_ITEMS.contains(&name.as_str()) || COMPUTED_ITEMS.contains(&name.as_str()) {
            continue;
        }
        let Some(spec) = field_spec(name) else {
            continue;
        };
        match normalize(&spec, raw) {
            Ok(Some(value)) => {
                record.insert(name.clone(), value);
            }
            Ok(None) => {
                record.remove(name);
            }
            Err(message) => {
                record.remove(name);
                failures.push(EditFailure {
                    edit_id: "FORMAT".into(),
                    severity: Severity::Error,
                    items: vec![name.clone()],
                    message,
                });
            }
        }
    }
    let age = age_at_diagnosis(
        record.get("dateOfBirth").map(String::as_str),
        record.get("dateOfDiagnosis").map(String::as_str),
    );
    match age {
        Some(age) => record.insert("ageAtDiagnosis".into(), age),
        None => record.remove("ageAtDiagnosis"),
    };
    if let Some((hospital, central)) = sequence_numbers_as_saved(tumors, tumor, &record) {
        record.insert("sequenceNumberHospital".into(), hospital);
        record.insert("sequenceNumberCentral".into(), central);
    }
    failures.sort_by(|a, b| a.items.cmp(&b.items));
    failures.extend(run_edits(&record, &abstract_context(today)));
    let errors = failures
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    EditsResult {
        errors,
        warnings: failures.len() - errors,
        failures,
    }
}

fn change_status(
    conn: &mut DbConn,
    actor: &Actor,
    patient: &Patient,
    mut row: Tumor,
    status: &str,
    why: &str,
) -> Result<(), AppError> {
    let change = FieldChange::between(
        "abstractStatus",
        Some(row.abstract_status.as_str()),
        Some(status),
    );
    row.abstract_status = status.to_string();
    tumor::save(conn, &mut row)?;
    audit::record(
        conn,
        actor,
        &AuditEvent::new(Action::Update, "tumor")
            .id(row.id)
            .patient(patient.id, patient.facility_id)
            .changes(change.into_iter().collect())
            .detail(why.to_string()),
    )?;
    Ok(())
}

/// Why a status change was refused.
#[derive(Debug)]
pub enum StatusRefusal {
    /// Error edits still fail (their messages).
    Errors(Vec<String>),
    /// The step is not allowed from the current status or for this role.
    NotAllowed(String),
}

/// Moves an abstract along incomplete → complete → reviewed (or back to incomplete).
/// Complete needs no failing error edit; reviewed needs a reviewer (or admin) and a complete abstract.
pub fn set_status(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    may_review: bool,
    tumor_id: i64,
    status: &str,
) -> Result<Result<(), StatusRefusal>, AppError> {
    if !STATUSES.contains(&status) {
        return Err(AppError::BadRequest(format!("unknown status '{status}'")));
    }
    write_tx(conn, |conn| {
        let (patient, row) = load_scoped(conn, scope, tumor_id)?;
        let current = row.abstract_status.clone();
        if current == status {
            return Ok(Ok(()));
        }
        match status {
            "complete" => {
                let failures = run_edits(&record_of(&patient, &row), &abstract_context(today()));
                let errors: Vec<String> = failures
                    .into_iter()
                    .filter(|f| f.severity == Severity::Error)
                    .map(|f| format!("{}: {}", f.edit_id, f.message))
                    .collect();
                if !errors.is_empty() {
                    return Ok(Err(StatusRefusal::Errors(errors)));
                }
            }
            "reviewed" => {
                if !may_review {
                    return Ok(Err(StatusRefusal::NotAllowed(
                        "Only a reviewer marks an abstract reviewed.".into(),
                    )));
                }
                if current != "complete" {
                    return Ok(Err(StatusRefusal::NotAllowed(
                        "Only a complete abstract can be marked reviewed.".into(),
                    )));
                }
            }
            _ => {}
        }
        change_status(conn, actor, &patient, row, status, "abstract status")?;
        Ok(Ok(()))
    })
}

fn sequence_inputs(tumors: &[Tumor], item: SequenceItem) -> Vec<SequenceInput<usize>> {
    tumors
        .iter()
        .enumerate()
        .map(|(index, t)| SequenceInput {
            key: index,
            date_of_diagnosis: t
                .date_of_diagnosis
                .as_deref()
                .and_then(|d| PartialDate::parse(d).ok()),
            behavior: t.behavior.as_deref().and_then(|b| b.trim().parse().ok()),
            histology: t
                .histology
                .as_deref()
                .and_then(|h| Histology::parse(h).ok()),
            primary_site: t
                .primary_site
                .as_deref()
                .and_then(|s| PrimarySite::parse(s).ok()),
            reportable_by_agreement: false,
            current: match item {
                SequenceItem::Hospital => t.sequence_number_hospital.clone(),
                SequenceItem::Central => t.sequence_number_central.clone(),
            },
        })
        .collect()
}

/// Recomputes Sequence Number--Hospital and --Central of every tumor of the patient; saves and
/// audits the tumors whose numbers changed. Returns what changed, for the notice.
pub fn renumber_sequences(
    conn: &mut DbConn,
    actor: &Actor,
    patient: &Patient,
) -> Result<Vec<String>, AppError> {
    renumber_sequences_except(conn, actor, patient, None)
}

/// As [`renumber_sequences`]; the tumor `created` (just inserted, its creation not yet audited)
/// is saved without an update event of its own: its creation event carries its numbers.
pub fn renumber_sequences_except(
    conn: &mut DbConn,
    actor: &Actor,
    patient: &Patient,
    created: Option<i64>,
) -> Result<Vec<String>, AppError> {
    let mut tumors = tumor::for_patient(conn, patient.id)?;
    let hospital = assign_sequence_numbers_for(
        SequenceItem::Hospital,
        &sequence_inputs(&tumors, SequenceItem::Hospital),
    );
    let central = assign_sequence_numbers_for(
        SequenceItem::Central,
        &sequence_inputs(&tumors, SequenceItem::Central),
    );
    let mut notices = Vec::new();
    for ((index, hospital_code, _), (_, central_code, _)) in hospital.into_iter().zip(central) {
        let Some(row) = tumors.get_mut(index) else {
            continue;
        };
        let before = row.all_items(patient);
        row.set_items([
            ("sequenceNumberHospital", Some(hospital_code)),
            ("sequenceNumberCentral", Some(central_code)),
        ]);
        let changes = changes_of(&before, &row.all_items(patient));
        if changes.is_empty() {
            continue;
        }
        notices.push(format!(
            "tumor {}: {}",
            row.tumor_record_number,
            changes
                .iter()
                .map(|c| format!(
                    "{} {} → {}",
                    if c.field == "sequenceNumberHospital" {
                        "hospital"
                    } else {
                        "central"
                    },
                    c.old.as_deref().unwrap_or("(none)"),
                    c.new.as_deref().unwrap_or("(none)")
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        tumor::save(conn, row)?;
        if created == Some(row.id) {
            continue;
        }
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Update, "tumor")
                .id(row.id)
                .patient(patient.id, patient.facility_id)
                .changes(changes)
                .detail("sequence numbers recomputed"),
        )?;
    }
    Ok(notices)
}

/// Starts a new primary of the same patient as a copy of one of its tumors: the chosen tumor items
/// are copied (identifiers, sequence numbers and text documentation never are), the status is
/// incomplete, sequence numbers are recomputed.
pub fn copy_tumor(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    tumor_id: i64,
    items: &[String],
) -> Result<(Tumor, Vec<String>), AppError> {
    write_tx(conn, |conn| {
        let (patient, source) = load_scoped(conn, scope, tumor_id)?;
        let mut copy = Tumor::blank(patient.id, tumor::next_record_number(conn, patient.id)?);
        let copied: Vec<(&str, Option<String>)> = items
            .iter()
            .filter(|id| {
                !IDENTIFIER_ITEMS.contains(&id.as_str())
                    && !COMPUTED_ITEMS.contains(&id.as_str())
                    && !is_patient_item(id)
                    && field_spec(id).is_some()
            })
            .map(|id| (id.as_str(), source.item(id)))
            .collect();
        copy.set_items(copied);
        let inserted = tumor::insert(conn, &copy)?;
        let renumbered = renumber_sequences_except(conn, actor, &patient, Some(inserted.id))?;
        let saved = tumor::find(conn, inserted.id)?.ok_or(AppError::NotFound)?;
        let changes = changes_of(&BTreeMap::new(), &saved.all_items(&patient));
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Create, "tumor")
                .id(saved.id)
                .patient(patient.id, patient.facility_id)
                .changes(changes)
                .detail(format!("copy of tumor {}", source.tumor_record_number)),
        )?;
        Ok((saved, renumbered))
    })
}

/// Deletes a tumor (audited with every item it had) and renumbers the patient's other tumors.
pub fn delete_tumor(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    tumor_id: i64,
) -> Result<(i64, Vec<String>), AppError> {
    write_tx(conn, |conn| {
        let (patient, row) = load_scoped(conn, scope, tumor_id)?;
        let changes = changes_of(&row.all_items(&patient), &BTreeMap::new());
        tumor::delete(conn, row.id)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Delete, "tumor")
                .id(row.id)
                .patient(patient.id, patient.facility_id)
                .changes(changes),
        )?;
        let renumbered = renumber_sequences(conn, actor, &patient)?;
        Ok((patient.id, renumbered))
    })
}

/// The changes of one item in a patient's history, newest first: (when, who, old, new).
pub fn field_history(
    history: &[AuditRow],
    naaccr_id: &str,
) -> Vec<(String, String, String, String)> {
    history
        .iter()
        .flat_map(|row| {
            row.field_changes()
                .into_iter()
                .filter(|c| c.field == naaccr_id)
                .map(|c| {
                    (
                        row.occurred_at.format("%Y-%m-%d %H:%M").to_string(),
                        row.user_email.clone().unwrap_or_default(),
                        c.old.unwrap_or_else(|| "(empty)".into()),
                        c.new.unwrap_or_else(|| "(empty)".into()),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Keeps the unsaved abstract form of the actor on the server (one draft per user and tumor,
/// replaced by each autosave; audited as a draft save without the values). Only abstract items
/// are kept, as typed.
pub fn save_draft(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    tumor_id: i64,
    input: &HashMap<String, String>,
) -> Result<(), AppError> {
    let user = actor
        .user_id
        .ok_or_else(|| AppError::Forbidden("drafts belong to a signed-in user".into()))?;
    let kept: BTreeMap<&String, &String> = input
        .iter()
        .filter(|(name, _)| {
            field_spec(name).is_some()
                && !IDENTIFIER_ITEMS.contains(&name.as_str())
                && !COMPUTED_ITEMS.contains(&name.as_str())
        })
        .collect();
    let data = serde_json::to_string(&kept)
        .map_err(|e| AppError::BadRequest(format!("draft not stored: {e}")))?;
    write_tx(conn, |conn| {
        let (patient, tumor) = load_scoped(conn, scope, tumor_id)?;
        drafts::put_draft(conn, user, tumor.id, &data)?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Update, "abstract_draft")
                .id(tumor.id)
                .patient(patient.id, patient.facility_id)
                .detail(format!("draft save ({} fields)", kept.len())),
        )?;
        Ok(())
    })
}

/// Removes the actor's draft of an abstract (after a save, or when discarded); audited when there
/// was one.
pub fn clear_draft(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    tumor_id: i64,
) -> Result<(), AppError> {
    let Some(user) = actor.user_id else {
        return Ok(());
    };
    write_tx(conn, |conn| {
        let (patient, tumor) = load_scoped(conn, scope, tumor_id)?;
        if drafts::clear_draft(conn, user, tumor.id)? {
            audit::record(
                conn,
                actor,
                &AuditEvent::new(Action::Delete, "abstract_draft")
                    .id(tumor.id)
                    .patient(patient.id, patient.facility_id)
                    .detail("draft cleared"),
            )?;
        }
        Ok(())
    })
}

/// Loads the user dictionaries of the `user_dictionaries` setting (NAACCR dictionary XML files)
/// so their items can be abstracted, exported and imported. Returns how many items they define.
pub fn load_user_dictionaries(paths: &[std::path::PathBuf]) -> anyhow::Result<usize> {
    let mut items = 0;
    for path in paths {
        let xml = crate::domain::naaccr::io::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("user dictionary {}: {e}", path.display()))?;
        let user = crate::domain::naaccr::UserDictionary::parse(&xml)
            .map_err(|e| anyhow::anyhow!("user dictionary {}: {e}", path.display()))?;
        items += user.items().count();
        crate::domain::fields::install_user_dictionary(user)
            .map_err(|e| anyhow::anyhow!("user dictionary {}: {e}", path.display()))?;
    }
    Ok(items)
}
