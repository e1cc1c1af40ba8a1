//! NAACCR import: a NAACCR XML file (any spec 1.0–1.8, dictionaries 180–260, gzip or not) or a
//! NAACCR 18 flat file streams patient by patient into the database. Patients are matched within
//! the facility by Patient ID Number, then by Social Security Number with date of birth; tumors of
//! a matched patient by Tumor Record Number. Every item of the file is stored through the record
//! view (typed columns + JSON), so nothing the abstract form does not show is lost.
//!
//! Each patient is stored whole or not at all (a savepoint per patient inside transactions of a
//! few hundred patients); a patient with item errors is rejected and listed with the line, the
//! patient, the tumor and the item. A file whose XML breaks keeps the patients read before the
//! break, and the report says so.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;

use diesel::Connection;

use crate::audit::{self, Action, Actor, AuditEvent, FieldChange};
use crate::db::{DbConn, write_tx};
use crate::domain::naaccr::{
    FlatV18Reader, IssueKind, ItemIssue, NaaccrPatient, NaaccrXmlReader, UserDictionary, open_input,
};
use crate::error::AppError;
use crate::models::patient::{self, Patient};
use crate::models::submission as store;
use crate::models::tumor::{self, Tumor};
use crate::services::patients::changes_of;

/// Patients per transaction (each one behind its own savepoint).
const BATCH: usize = 250;
/// Problems kept in the report shown on screen; the CSV has them all.
const SHOWN_PROBLEMS: usize = 200;

/// One problem found in the file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportProblem {
    pub line: Option<u64>,
    /// Patient ordinal in the file (1-based).
    pub patient: Option<usize>,
    pub tumor: Option<usize>,
    pub patient_id_number: Option<String>,
    pub item: Option<String>,
    pub message: String,
    /// "patient rejected", "line skipped", "warning" or "file stopped".
    pub outcome: &'static str,
}

/// What an import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    pub format: String,
    pub patients_read: usize,
    pub patients_created: usize,
    pub patients_updated: usize,
    pub patients_unchanged: usize,
    pub patients_rejected: usize,
    pub tumors_created: usize,
    pub tumors_updated: usize,
    pub problem_count: usize,
    /// The first problems (all of them are in the CSV).
    pub problems: Vec<ImportProblem>,
    /// The file could not be read to its end (broken XML...); patients before it were stored.
    pub stopped: Option<String>,
}

/// The header line of the problem list (CSV).
pub const PROBLEM_CSV_HEADER: [&str; 7] = [
    "line",
    "patient",
    "tumor",
    "patientIdNumber",
    "item",
    "problem",
    "outcome",
];

enum Source {
    Xml(Box<NaaccrXmlReader<Box<dyn BufRead + Send>>>),
    Flat(Box<FlatV18Reader<Box<dyn BufRead + Send>>>),
}

/// A patient read, a bad flat line (skipped), or the end of what can be read.
enum Next {
    Patient(NaaccrPatient),
    Skipped(String),
    Stop(String),
}

impl Source {
    fn open(path: &Path, user_dictionaries: Vec<UserDictionary>) -> Result<Source, AppError> {
        let mut input = open_input(path)
            .map_err(|e| AppError::BadRequest(format!("cannot open {}: {e}", path.display())))?;
        let first = input
            .fill_buf()
            .map_err(|e| AppError::BadRequest(format!("cannot read the file: {e}")))?
            .iter()
            .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF)
            .copied();
        Ok(match first {
            Some(b'<') => Source::Xml(Box::new(
                NaaccrXmlReader::with_user_dictionaries(input, user_dictionaries)
                    .map_err(|e| AppError::BadRequest(e.to_string()))?,
            )),
            Some(_) => Source::Flat(Box::new(FlatV18Reader::new(input))),
            None => return Err(AppError::BadRequest("the file is empty".into())),
        })
    }

    fn format(&self) -> String {
        match self {
            Source::Xml(r) => {
                let h = r.header();
                format!(
                    "NAACCR XML {} (specification {}), record type {}",
                    h.version, h.specification_version, h.record_type
                )
            }
            Source::Flat(_) => "NAACCR 18 flat file".into(),
        }
    }

    fn next(&mut self) -> Option<Next> {
        match self {
            Source::Xml(r) => r.next_patient().map(|p| match p {
                Ok(p) => Next::Patient(p),
                Err(e) => Next::Stop(e.to_string()),
            }),
            Source::Flat(r) => r.next_patient().map(|p| match p {
                Ok(p) => Next::Patient(p),
                Err(e @ crate::domain::naaccr::FlatReadError::Io { .. }) => {
                    Next::Stop(e.to_string())
                }
                Err(e) => Next::Skipped(e.to_string()),
            }),
        }
    }

    fn take_issues(&mut self) -> Vec<ItemIssue> {
        match self {
            Source::Xml(r) => r.take_issues(),
            Source::Flat(r) => r.take_issues(),
        }
    }
}

/// Issues that keep a patient out of the database: its data would be wrong or incomplete.
fn rejects(kind: &IssueKind) -> bool {
    !matches!(
        kind,
        IssueKind::DuplicateItem
            | IssueKind::UnexpectedElement { .. }
            | IssueKind::MissingUserDictionary { .. }
    )
}

/// Collects problems: counts them, keeps the first for the page, writes all to the CSV.
struct Problems<'a, W: Write> {
    report: &'a mut ImportReport,
    csv: Option<&'a mut csv::Writer<W>>,
}

impl<W: Write> Problems<'_, W> {
    fn add(&mut self, problem: ImportProblem) -> Result<(), AppError> {
        self.report.problem_count += 1;
        if let Some(csv) = self.csv.as_deref_mut() {
            let line = problem.line.map(|l| l.to_string()).unwrap_or_default();
            let patient = problem.patient.map(|l| l.to_string()).unwrap_or_default();
            let tumor = problem.tumor.map(|l| l.to_string()).unwrap_or_default();
            csv.write_record([
                line.as_str(),
                patient.as_str(),
                tumor.as_str(),
                problem.patient_id_number.as_deref().unwrap_or(""),
                problem.item.as_deref().unwrap_or(""),
                problem.message.as_str(),
                problem.outcome,
            ])
            .map_err(|e| AppError::Internal(anyhow::anyhow!("problem list: {e}")))?;
        }
        if self.report.problems.len() < SHOWN_PROBLEMS {
            self.report.problems.push(problem);
        }
        Ok(())
    }
}

/// Imports `path` into `facility_id`. Problems go to `problem_csv` (with a header line) when given.
/// `progress` is called after each batch with the report so far; an error from it stops the import
/// after the patients already committed.
pub fn import_file<W: Write>(
    conn: &mut DbConn,
    actor: &Actor,
    facility_id: i64,
    path: &Path,
    user_dictionaries: Vec<UserDictionary>,
    problem_csv: Option<&mut csv::Writer<W>>,
    mut progress: impl FnMut(&ImportReport) -> Result<(), AppError>,
) -> Result<ImportReport, AppError> {
    let mut source = Source::open(path, user_dictionaries)?;
    let mut report = ImportReport {
        format: source.format(),
        ..ImportReport::default()
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut csv = problem_csv;
    if let Some(csv) = csv.as_deref_mut() {
        csv.write_record(PROBLEM_CSV_HEADER)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("problem list: {e}")))?;
    }
    let mut batch: Vec<(usize, NaaccrPatient)> = Vec::with_capacity(BATCH);
    loop {
        let next = source.next();
        let issues = source.take_issues();
        let mut problems = Problems {
            report: &mut report,
            csv: csv.as_deref_mut(),
        };
        let finished = match next {
            None => true,
            Some(Next::Stop(message)) => {
                problems.add(ImportProblem {
                    line: None,
                    patient: None,
                    tumor: None,
                    patient_id_number: None,
                    item: None,
                    message: message.clone(),
                    outcome: "file stopped",
                })?;
                problems.report.stopped = Some(message);
                true
            }
            Some(Next::Skipped(message)) => {
                problems.add(ImportProblem {
                    line: None,
                    patient: None,
                    tumor: None,
                    patient_id_number: None,
                    item: None,
                    message,
                    outcome: "line skipped",
                })?;
                false
            }
            Some(Next::Patient(p)) => {
                problems.report.patients_read += 1;
                let ordinal = problems.report.patients_read;
                let rejected = issues
                    .iter()
                    .any(|i| i.patient.is_some() && rejects(&i.kind));
                for issue in &issues {
                    let outcome = if issue.patient.is_some() && rejects(&issue.kind) {
                        "patient rejected"
                    } else {
                        "warning"
                    };
                    problems.add(problem_of(issue, &p, outcome))?;
                }
                if rejected {
                    problems.report.patients_rejected += 1;
                } else {
                    batch.push((ordinal, p));
                }
                false
            }
        };
        if !finished {
            if batch.len() < BATCH {
                continue;
            }
        } else if !issues.is_empty() {
            let mut problems = Problems {
                report: &mut report,
                csv: csv.as_deref_mut(),
            };
            for issue in &issues {
                problems.add(problem_of(issue, &NaaccrPatient::default(), "warning"))?;
            }
        }
        store_batch(
            conn,
            actor,
            facility_id,
            &file_name,
            &mut batch,
            &mut report,
            csv.as_deref_mut(),
        )?;
        progress(&report)?;
        if finished {
            break;
        }
    }
    if let Some(csv) = csv {
        csv.flush()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("problem list: {e}")))?;
    }
    Ok(report)
}

fn problem_of(issue: &ItemIssue, patient: &NaaccrPatient, outcome: &'static str) -> ImportProblem {
    ImportProblem {
        line: issue.line,
        patient: issue.patient,
        tumor: issue.tumor,
        patient_id_number: issue
            .patient
            .and_then(|_| patient.item("patientIdNumber"))
            .map(str::to_string),
        item: issue.naaccr_id.clone(),
        message: issue.kind.to_string(),
        outcome,
    }
}

/// What storing one patient did.
enum Stored {
    Created {
        tumors: usize,
    },
    Updated {
        tumors_created: usize,
        tumors_updated: usize,
    },
    Unchanged,
}

fn store_batch<W: Write>(
    conn: &mut DbConn,
    actor: &Actor,
    facility_id: i64,
    file_name: &str,
    batch: &mut Vec<(usize, NaaccrPatient)>,
    report: &mut ImportReport,
    csv: Option<&mut csv::Writer<W>>,
) -> Result<(), AppError> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut failures: Vec<ImportProblem> = Vec::new();
    let outcomes = write_tx(conn, |conn| -> Result<Vec<Stored>, AppError> {
        let mut outcomes = Vec::with_capacity(batch.len());
        for (ordinal, record) in batch.iter() {
            // A savepoint per patient: a failing patient leaves the others of the batch intact.
            let stored =
                conn.transaction(|conn| store_patient(conn, actor, facility_id, file_name, record));
            match stored {
                Ok(s) => outcomes.push(s),
                Err(e) => {
                    tracing::warn!(error = %e, patient = ordinal, "import: patient not stored");
                    failures.push(ImportProblem {
                        line: None,
                        patient: Some(*ordinal),
                        tumor: None,
                        patient_id_number: record.item("patientIdNumber").map(str::to_string),
                        item: None,
                        message: match e {
                            AppError::BadRequest(m) | AppError::Conflict(m) => m,
                            _ => "the database refused the patient".into(),
                        },
                        outcome: "patient rejected",
                    });
                }
            }
        }
        Ok(outcomes)
    })?;
    batch.clear();
    for outcome in outcomes {
        match outcome {
            Stored::Created { tumors } => {
                report.patients_created += 1;
                report.tumors_created += tumors;
            }
            Stored::Updated {
                tumors_created,
                tumors_updated,
            } => {
                report.patients_updated += 1;
                report.tumors_created += tumors_created;
                report.tumors_updated += tumors_updated;
            }
            Stored::Unchanged => report.patients_unchanged += 1,
        }
    }
    let mut problems = Problems { report, csv };
    for failure in failures {
        problems.report.patients_rejected += 1;
        problems.add(failure)?;
    }
    Ok(())
}

fn values(items: &BTreeMap<String, String>) -> impl Iterator<Item = (&str, Option<String>)> {
    items.iter().map(|(k, v)| (k.as_str(), Some(v.clone())))
}

fn store_patient(
    conn: &mut DbConn,
    actor: &Actor,
    facility_id: i64,
    file_name: &str,
    record: &NaaccrPatient,
) -> Result<Stored, AppError> {
    let existing = match record.item("patientIdNumber") {
        Some(number) => store::patient_by_id_number(conn, facility_id, number)?,
        None => None,
    };
    let existing = match (
        existing,
        record.item("socialSecurityNumber"),
        record.item("dateOfBirth"),
    ) {
        (Some(p), _, _) => Some(p),
        (None, Some(ssn), Some(dob)) => {
            store::patient_by_ssn_and_birth(conn, facility_id, ssn, dob)?
        }
        _ => None,
    };
    match existing {
        None => create_patient(conn, actor, facility_id, file_name, record),
        Some(patient) => update_patient(conn, actor, file_name, patient, record),
    }
}

fn create_patient(
    conn: &mut DbConn,
    actor: &Actor,
    facility_id: i64,
    file_name: &str,
    record: &NaaccrPatient,
) -> Result<Stored, AppError> {
    let mut row = Patient::blank(facility_id);
    row.set_items(values(&record.items));
    if row.patient_id_number.is_empty() {
        row.patient_id_number = patient::next_patient_id_number(conn, facility_id)?;
    }
    let id = patient::insert_many(conn, std::slice::from_mut(&mut row))?
        .first()
        .copied()
        .ok_or(diesel::result::Error::NotFound)?;
    let mut numbers = Vec::new();
    let tumors: Vec<Tumor> = record
        .tumors
        .iter()
        .map(|t| {
            let number = t
                .item("tumorRecordNumber")
                .map(str::to_string)
                .unwrap_or_else(|| next_number(&numbers));
            numbers.push(number.clone());
            let mut row = Tumor::blank(id, number);
            row.set_items(values(&t.items));
            // An abstract that arrives in a NAACCR file is a finished abstract.
            row.abstract_status = "complete".into();
            row
        })
        .collect();
    tumor::insert_many(conn, &tumors)?;
    audit::record(
        conn,
        actor,
        &AuditEvent::new(Action::Import, "patient")
            .id(id)
            .patient(id, facility_id)
            .detail(format!(
                "created with {} tumor(s) from NAACCR file {file_name}",
                tumors.len()
            )),
    )?;
    Ok(Stored::Created {
        tumors: tumors.len(),
    })
}

fn next_number(taken: &[String]) -> String {
    let last = taken
        .iter()
        .filter_map(|n| n.trim().parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    format!("{:02}", last + 1)
}

fn update_patient(
    conn: &mut DbConn,
    actor: &Actor,
    file_name: &str,
    mut patient: Patient,
    record: &NaaccrPatient,
) -> Result<Stored, AppError> {
    let before = patient.all_items();
    patient.set_items(values(&record.items));
    let mut changes: Vec<FieldChange> = changes_of(&before, &patient.all_items());
    if !changes.is_empty() {
        patient::save(conn, &mut patient)?;
    }
    let mut existing = tumor::for_patient(conn, patient.id)?;
    let mut numbers: Vec<String> = existing
        .iter()
        .map(|t| t.tumor_record_number.clone())
        .collect();
    let (mut created, mut updated) = (0, 0);
    for t in &record.tumors {
        let found = t
            .item("tumorRecordNumber")
            .and_then(|n| existing.iter_mut().find(|e| e.tumor_record_number == n));
        match found {
            Some(row) => {
                let before = row.all_items(&patient);
                row.set_items(values(&t.items));
                let tumor_changes = changes_of(&before, &row.all_items(&patient));
                if !tumor_changes.is_empty() {
                    tumor::save(conn, row)?;
                    updated += 1;
                    let prefix = format!("tumor {}: ", row.tumor_record_number);
                    changes.extend(tumor_changes.into_iter().map(|c| FieldChange {
                        field: format!("{prefix}{}", c.field),
                        ..c
                    }));
                }
            }
            None => {
                let number = t
                    .item("tumorRecordNumber")
                    .map(str::to_string)
                    .unwrap_or_else(|| next_number(&numbers));
                numbers.push(number.clone());
                let mut row = Tumor::blank(patient.id, number);
                row.set_items(values(&t.items));
                row.abstract_status = "complete".into();
                tumor::insert_many(conn, std::slice::from_ref(&row))?;
                created += 1;
                changes.push(FieldChange {
                    field: format!("tumor {}", row.tumor_record_number),
                    old: None,
                    new: Some("created".into()),
                });
            }
        }
    }
    if changes.is_empty() {
        return Ok(Stored::Unchanged);
    }
    audit::record(
        conn,
        actor,
        &AuditEvent::new(Action::Import, "patient")
            .id(patient.id)
            .patient(patient.id, patient.facility_id)
            .changes(changes)
            .detail(format!("updated from NAACCR file {file_name}")),
    )?;
    Ok(Stored::Updated {
        tumors_created: created,
        tumors_updated: updated,
    })
}
