//! NAACCR import: a NAACCR XML file (any spec 1.0–1.8, dictionaries 180–260, gzip or not) or a
//! NAACCR 18 flat file streams patient by patient into the database. Patients are matched within
//! the facility by Patient ID Number, then by Social Security Number with date of birth; tumors of
//! a matched patient by Tumor Record Number. Every item of the file is stored through the record
//! view (typed columns + JSON), so nothing the abstract form does not show is lost.
//!
//! Patients not found by number are matched with the pathology matching's scoring: same SSN and
//! date of birth links, and so does a strong agreement of name, date of birth and sex; the report
//! counts each rule and lists the patients it linked.
//!
//! Patients are stored in transactions of `BATCH` patients: the new ones with multi-row inserts
//! (patients, tumors, one audit event per patient). When a batch fails, it is rolled back and
//! stored again one patient at a time, each behind its own savepoint, so a patient is stored whole
//! or not at all and the report names the ones refused. A patient with item errors is rejected and
//! listed with the line, the patient, the tumor and the item. A file whose XML breaks keeps the
//! patients read before the break, and the report says so.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

use diesel::Connection;

use crate::audit::{self, Action, Actor, AuditEvent, FieldChange};
use crate::db::{DbConn, write_tx};
use crate::domain::naaccr::{
    FlatV18Reader, IssueKind, ItemIssue, NaaccrPatient, NaaccrXmlReader, UserDictionary,
    open_input_counted,
};
use crate::domain::names::search_key;
use crate::error::AppError;
use crate::models::patient::{self, Patient};
use crate::models::submission as store;
use crate::models::tumor::{self, Tumor};
use crate::services::pathology::{self, MatchRow, ReportSummary};
use crate::services::patients::changes_of;

/// Patients per transaction.
const BATCH: usize = 2000;
/// Values per `IN (...)` list of the matching queries.
const IN_LIST: usize = 500;
/// Pathology matching score from which a patient without SSN agreement is linked: same date of
/// birth (6), last name (4), first name (3) and sex (1).
pub const STRONG_MATCH_SCORE: i32 = 14;
/// Secondary indexes a large import sets aside and rebuilds at its end (`db::deferred`): the ones
/// on random keys that the import never reads. It keeps those its matching reads (Patient ID
/// Number with the facility, SSN, name with date of birth), the tumors' patient index (updates
/// read it) and the audit trail's indexes (rebuilding them would sort the whole trail, which
/// only grows).
const SET_ASIDE: &[&str] = &[
    "patients_dob",
    "patients_mrn",
    "patients_pid",
    "patients_ssn_last4",
    "tumors_dx",
];
/// Patients a file must bring (estimated from the first batch's share of the file) before the
/// import sets indexes aside; it must also bring at least as many as are stored already, or
/// rebuilding them would cost more than keeping them.
const SET_ASIDE_FROM: u64 = 50_000;
/// Linked patients listed in the report (the counts cover all).
const SHOWN_MATCHES: usize = 200;
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
    /// Existing patients found by Patient ID Number.
    pub matched_by_number: usize,
    /// Existing patients linked by the same SSN and date of birth.
    pub matched_by_ssn: usize,
    /// Existing patients linked by a strong name, date of birth and sex agreement.
    pub matched_by_name: usize,
    /// The first patients linked by SSN or name (not by number), with the rule.
    pub matches: Vec<ImportMatch>,
    /// Indexes set aside during the load and rebuilt at its end (a large file).
    pub indexes_rebuilt: Vec<String>,
}

/// Whether an import sets the secondary indexes of `SET_ASIDE` aside while it loads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IndexPolicy {
    /// When the file is large: `SET_ASIDE_FROM` patients or more, and no fewer than are stored.
    #[default]
    WhenLarge,
    /// Always (tests, and loads known to be large).
    SetAside,
    /// Never.
    Keep,
}

/// How to import a file.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// User dictionaries for the items of a file beyond the base dictionary.
    pub user_dictionaries: Vec<UserDictionary>,
    pub indexes: IndexPolicy,
}

/// An existing patient a patient of the file was linked to, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportMatch {
    /// Patient ordinal in the file (1-based).
    pub patient: usize,
    pub patient_id_number: Option<String>,
    /// The registry's patient (record id).
    pub linked_to: i64,
    pub rule: String,
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
    Patient(Box<Arriving>),
    Skipped(String),
    Stop(String),
}

impl Source {
    /// Opens `path`, with the counter of the bytes read from it.
    fn open(
        path: &Path,
        user_dictionaries: Vec<UserDictionary>,
    ) -> Result<(Source, Arc<AtomicU64>), AppError> {
        let (mut input, position) = open_input_counted(path)
            .map_err(|e| AppError::BadRequest(format!("cannot open {}: {e}", path.display())))?;
        let first = input
            .fill_buf()
            .map_err(|e| AppError::BadRequest(format!("cannot read the file: {e}")))?
            .iter()
            .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF)
            .copied();
        let source = match first {
            Some(b'<') => Source::Xml(Box::new(
                NaaccrXmlReader::with_user_dictionaries(input, user_dictionaries)
                    .map_err(|e| AppError::BadRequest(e.to_string()))?,
            )),
            Some(_) => Source::Flat(Box::new(FlatV18Reader::new(input))),
            None => return Err(AppError::BadRequest("the file is empty".into())),
        };
        Ok((source, position))
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
                Ok(p) => Next::Patient(Box::new(Arriving::new(p))),
                Err(e) => Next::Stop(e.to_string()),
            }),
            Source::Flat(r) => r.next_patient().map(|p| match p {
                Ok(p) => Next::Patient(Box::new(Arriving::new(p))),
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

    /// Reads the whole source on this thread, handing what it reads to `sender` in batches of
    /// `READ_AHEAD` (each with the issues found while reading it and how far into the file it
    /// was, from `position`). Ends at the end of the source, or when the receiver is gone.
    ///
    /// Patients the database thread is done with come back through `done` to be dropped here:
    /// freeing their many small strings is work this thread has time for.
    fn read_into(
        mut self,
        sender: &mpsc::SyncSender<Vec<Read>>,
        position: &AtomicU64,
        done: &mpsc::Receiver<Batch>,
    ) {
        let mut batch = Vec::with_capacity(READ_AHEAD);
        loop {
            while let Ok(stored) = done.try_recv() {
                drop(stored);
            }
            let next = self.next();
            let issues = self.take_issues();
            let end = matches!(next, None | Some(Next::Stop(_)));
            batch.push(Read {
                next,
                issues,
                position: position.load(Ordering::Relaxed),
            });
            if (end || batch.len() >= READ_AHEAD)
                && sender
                    .send(std::mem::replace(
                        &mut batch,
                        Vec::with_capacity(READ_AHEAD),
                    ))
                    .is_err()
            {
                return;
            }
            if end {
                return;
            }
        }
    }
}

/// What the reading thread found: a patient, a skipped line or the end, and the issues found
/// while reading it.
struct Read {
    next: Option<Next>,
    issues: Vec<ItemIssue>,
    /// Bytes of the file read when it was read (a little ahead: the file is buffered).
    position: u64,
}

/// Patients of the file with their ordinal (1-based), stored together.
type Batch = Vec<(usize, Box<Arriving>)>;

/// A patient of the file with what matching it needs, worked out on the reading thread.
struct Arriving {
    record: NaaccrPatient,
    /// Its identity items, as the pathology matching scores them.
    identity: ReportSummary,
    /// The search key of its last name.
    last_key: String,
    /// Keys under which two patients of the file may be the same person.
    keys: Vec<String>,
}

impl Arriving {
    fn new(record: NaaccrPatient) -> Arriving {
        let identity = identity_of(&record);
        let last_key = search_key(&identity.name_last);
        let keys = identity_keys(&record, &identity, &last_key);
        Arriving {
            record,
            identity,
            last_key,
            keys,
        }
    }
}

/// Patients (or skipped lines) handed from the reading thread at a time.
const READ_AHEAD: usize = 256;
/// Batches the reading thread may be ahead of the database.
const READ_QUEUE: usize = 16;

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
    options: ImportOptions,
    problem_csv: Option<&mut csv::Writer<W>>,
    mut progress: impl FnMut(&ImportReport) -> Result<(), AppError>,
) -> Result<ImportReport, AppError> {
    let (source, position) = Source::open(path, options.user_dictionaries)?;
    let file_len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut report = ImportReport {
        format: source.format(),
        ..ImportReport::default()
    };
    let mut indexes = SetAside {
        policy: options.indexes,
        file_len,
        decided: false,
        dropped: Vec::new(),
    };
    // The file is read and checked on a second thread while this one stores what was read.
    let (sender, receiver) = mpsc::sync_channel::<Vec<Read>>(READ_QUEUE);
    let (done, stored_batches) = mpsc::channel::<Batch>();
    std::thread::scope(|threads| {
        threads.spawn(move || source.read_into(&sender, &position, &stored_batches));
        let mut reads = receiver.iter().flatten();
        let mut next_read = move || reads.next();
        crate::db::bulk_load(conn, |conn| {
            let stored = store_all(
                conn,
                actor,
                facility_id,
                path,
                &mut report,
                &mut indexes,
                problem_csv,
                &mut next_read,
                &done,
                &mut progress,
            );
            // Whatever ended the load, the indexes set aside are rebuilt now (or, if this fails
            // too, at the next start).
            if !indexes.dropped.is_empty() {
                report.indexes_rebuilt = crate::db::deferred::rebuild(conn)?;
            }
            stored
        })
        // Leaving the scope drops the receiver, so a reading thread still going stops at its next batch.
    })?;
    Ok(report)
}

/// The decision to set indexes aside for a load, taken once a batch's worth of the file is read.
struct SetAside {
    policy: IndexPolicy,
    /// Size of the file (compressed if it is), to compare with the reader's position.
    file_len: u64,
    decided: bool,
    /// The indexes this import dropped.
    dropped: Vec<String>,
}

impl SetAside {
    /// Decides, from the patients read so far and how far into the file they go.
    fn decide(
        &mut self,
        conn: &mut DbConn,
        patients_read: usize,
        position: u64,
    ) -> Result<(), AppError> {
        self.decided = true;
        let large = match self.policy {
            IndexPolicy::Keep => false,
            IndexPolicy::SetAside => true,
            IndexPolicy::WhenLarge => {
                let estimate = u64::try_from(
                    u128::from(self.file_len) * patients_read as u128 / u128::from(position.max(1)),
                )
                .unwrap_or(u64::MAX);
                estimate >= SET_ASIDE_FROM
                    && estimate >= u64::try_from(patient::count(conn)?).unwrap_or(0)
            }
        };
        if large {
            self.dropped = crate::db::deferred::defer(conn, SET_ASIDE)?;
            tracing::info!(
                indexes = %self.dropped.join(", "),
                "import: a large file; indexes set aside until it is loaded"
            );
        }
        Ok(())
    }
}

/// The import loop: takes what the reading thread read, batches patients and stores them.
#[allow(clippy::too_many_arguments)]
fn store_all<W: Write>(
    conn: &mut DbConn,
    actor: &Actor,
    facility_id: i64,
    path: &Path,
    report: &mut ImportReport,
    indexes: &mut SetAside,
    problem_csv: Option<&mut csv::Writer<W>>,
    next_read: &mut dyn FnMut() -> Option<Read>,
    done: &mpsc::Sender<Batch>,
    progress: &mut dyn FnMut(&ImportReport) -> Result<(), AppError>,
) -> Result<(), AppError> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut csv = problem_csv;
    if let Some(csv) = csv.as_deref_mut() {
        csv.write_record(PROBLEM_CSV_HEADER)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("problem list: {e}")))?;
    }
    let mut batch: Batch = Vec::with_capacity(BATCH);
    // Identity keys of the patients of the batch.
    let mut keys: HashSet<String> = HashSet::new();
    loop {
        // The reading thread ends with `None` or a stop; nothing more means it failed.
        let Read {
            next,
            issues,
            position,
        } = next_read().unwrap_or_else(|| Read {
            next: Some(Next::Stop("the file could not be read to its end".into())),
            issues: Vec::new(),
            position: indexes.file_len,
        });
        let mut problems = Problems {
            report: &mut *report,
            csv: csv.as_deref_mut(),
        };
        let mut accepted = None;
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
                    problems.add(problem_of(issue, &p.record, outcome))?;
                }
                if rejected {
                    problems.report.patients_rejected += 1;
                } else {
                    accepted = Some((ordinal, p));
                }
                false
            }
        };
        // A patient that may be the same person as one of the batch waits for the batch to be
        // stored, so that it finds the stored one.
        let mut held = None;
        if let Some((ordinal, p)) = accepted {
            if p.keys.iter().any(|k| keys.contains(k)) {
                held = Some((ordinal, p));
            } else {
                keys.extend(p.keys.iter().cloned());
                batch.push((ordinal, p));
            }
        }
        if !finished && held.is_none() && batch.len() < BATCH {
            continue;
        }
        if finished && !issues.is_empty() {
            let mut problems = Problems {
                report: &mut *report,
                csv: csv.as_deref_mut(),
            };
            for issue in &issues {
                problems.add(problem_of(issue, &NaaccrPatient::default(), "warning"))?;
            }
        }
        // Decided on a full batch's worth of the file (an early store, for a patient held back,
        // would judge the size from a few patients and the read buffer).
        if !indexes.decided && (finished || report.patients_read >= BATCH) {
            indexes.decide(conn, report.patients_read, position)?;
        }
        store_batch(
            conn,
            actor,
            facility_id,
            &file_name,
            &batch,
            report,
            csv.as_deref_mut(),
        )?;
        // Back to the reading thread to be freed there (or here, when it has ended).
        if let Err(mpsc::SendError(stored)) =
            done.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
        {
            drop(stored);
        }
        keys.clear();
        progress(report)?;
        if let Some((ordinal, p)) = held {
            keys.extend(p.keys.iter().cloned());
            batch.push((ordinal, p));
        }
        if finished {
            break;
        }
    }
    if let Some(csv) = csv {
        csv.flush()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("problem list: {e}")))?;
    }
    Ok(())
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

/// Why a patient of the file was taken for a stored one.
#[derive(Debug, Clone)]
enum MatchRule {
    Number,
    SsnAndBirth,
    NameBirthSex { score: i32 },
}

impl MatchRule {
    fn describe(&self) -> String {
        match self {
            MatchRule::Number => "same Patient ID Number".into(),
            MatchRule::SsnAndBirth => "same SSN and date of birth".into(),
            MatchRule::NameBirthSex { score } => {
                format!("same name, date of birth and sex (match score {score})")
            }
        }
    }
}

/// One patient of a batch, stored.
struct Outcome {
    ordinal: usize,
    patient_id_number: Option<String>,
    stored: Stored,
    matched: Option<(i64, MatchRule)>,
}

/// Keys under which two patients of a file may be the same person.
fn identity_keys(record: &NaaccrPatient, identity: &ReportSummary, last_key: &str) -> Vec<String> {
    let mut keys = Vec::with_capacity(3);
    if let Some(n) = record.item("patientIdNumber") {
        keys.push(format!("n:{}", n.trim()));
    }
    if let Some(ssn) = &identity.ssn {
        keys.push(format!("s:{ssn}:{}", identity.birth_date));
    }
    // Only a named patient can be linked by name (an I file has no names): many share a birth date.
    if !identity.birth_date.is_empty() && !identity.name_last.is_empty() {
        keys.push(format!(
            "d:{}:{}:{}",
            identity.birth_date,
            last_key,
            search_key(&identity.name_first)
        ));
    }
    keys
}

/// The identity items of a patient of the file, in the form the pathology matching scores.
fn identity_of(record: &NaaccrPatient) -> ReportSummary {
    let text = |id: &str| record.item(id).map(str::trim).unwrap_or("").to_string();
    // 000000000 and 999999999 mean "unknown": they never link anyone.
    let ssn = record
        .item("socialSecurityNumber")
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.bytes().all(|b| b == b'9') && !s.bytes().all(|b| b == b'0'))
        .map(str::to_string);
    ReportSummary {
        name_last: text("nameLast"),
        name_first: text("nameFirst"),
        birth_date: text("dateOfBirth"),
        sex: record
            .item("sexAssignedAtBirth")
            .or_else(|| record.item("sex"))
            .map(str::to_string),
        ssn,
        mrn: record
            .tumors
            .iter()
            .find_map(|t| t.item("medicalRecordNumber"))
            .map(str::to_string),
        ..ReportSummary::default()
    }
}

/// The stored patient each record of `records` is (Patient ID Number first, then the pathology
/// matching's scoring), found with a few queries for the whole batch.
fn find_existing(
    conn: &mut DbConn,
    facility_id: i64,
    records: &[(usize, Box<Arriving>)],
) -> Result<Vec<Option<(i64, MatchRule)>>, AppError> {
    use crate::db::schema::patients;
    use diesel::prelude::*;
    let numbers: Vec<&str> = records
        .iter()
        .filter_map(|(_, r)| r.record.item("patientIdNumber"))
        .collect();
    let mut by_number: HashMap<String, i64> = HashMap::new();
    for chunk in numbers.chunks(IN_LIST) {
        let rows: Vec<(i64, String)> = patients::table
            .filter(patients::facility_id.eq(facility_id))
            .filter(patients::patient_id_number.eq_any(chunk.to_vec()))
            .select((patients::id, patients::patient_id_number))
            .order(patients::id.asc())
            .load(conn)?;
        for (id, number) in rows {
            by_number.entry(number).or_insert(id);
        }
    }
    let mut found: Vec<Option<(i64, MatchRule)>> = records
        .iter()
        .map(|(_, r)| {
            r.record
                .item("patientIdNumber")
                .and_then(|n| by_number.get(n))
                .map(|id| (*id, MatchRule::Number))
        })
        .collect();
    // The patients not found by number, to be matched by their identity.
    let unmatched: Vec<Option<&Arriving>> = records
        .iter()
        .zip(&found)
        .map(|((_, r), f)| f.is_none().then_some(&**r))
        .collect();
    let ssns: Vec<&str> = unmatched
        .iter()
        .flatten()
        .filter_map(|i| i.identity.ssn.as_deref())
        .collect();
    // Patients with a date of birth and a last name, whose pair a stored patient may share.
    let named: Vec<(&str, &str)> = unmatched
        .iter()
        .flatten()
        .map(|i| (i.identity.birth_date.as_str(), i.last_key.as_str()))
        .filter(|(birth, last)| birth.len() == 8 && !last.is_empty())
        .collect();
    let mut rows: HashMap<i64, MatchRow> = HashMap::new();
    for chunk in ssns.chunks(IN_LIST) {
        let found: Vec<MatchRow> = patients::table
            .filter(patients::facility_id.eq(facility_id))
            .filter(patients::social_security_number.eq_any(chunk.to_vec()))
            .select(MatchRow::as_select())
            .load(conn)?;
        rows.extend(found.into_iter().map(|r| (r.id, r)));
    }
    // Each chunk's dates of birth with the same patients' last names: the rows of every pair
    // (and a few more, which the scoring below leaves out).
    for chunk in named.chunks(IN_LIST) {
        let births: Vec<&str> = chunk.iter().map(|(birth, _)| *birth).collect();
        let lasts: Vec<&str> = chunk.iter().map(|(_, last)| *last).collect();
        let found: Vec<MatchRow> = patients::table
            .filter(patients::facility_id.eq(facility_id))
            .filter(patients::date_of_birth.eq_any(births))
            .filter(patients::name_last_key.eq_any(lasts))
            .select(MatchRow::as_select())
            .load(conn)?;
        rows.extend(found.into_iter().map(|r| (r.id, r)));
    }
    if rows.is_empty() {
        return Ok(found);
    }
    let mut by_ssn: HashMap<&str, Vec<&MatchRow>> = HashMap::new();
    let mut by_birth: HashMap<(&str, &str), Vec<&MatchRow>> = HashMap::new();
    for row in rows.values() {
        if let Some(ssn) = row.social_security_number.as_deref() {
            by_ssn.entry(ssn).or_default().push(row);
        }
        if let Some(dob) = row.date_of_birth.as_deref() {
            by_birth
                .entry((dob, row.name_last_key.as_str()))
                .or_default()
                .push(row);
        }
    }
    for (slot, arriving) in found.iter_mut().zip(&unmatched) {
        let Some(Arriving {
            identity, last_key, ..
        }) = arriving
        else {
            continue;
        };
        let candidates = identity
            .ssn
            .as_deref()
            .and_then(|s| by_ssn.get(s))
            .into_iter()
            .chain(by_birth.get(&(identity.birth_date.as_str(), last_key.as_str())))
            .flatten();
        let best = candidates
            .filter_map(|row| pathology::score(identity, row))
            .filter_map(|c| {
                if c.auto_link {
                    Some((c.patient_id, MatchRule::SsnAndBirth, i32::MAX))
                } else if c.score >= STRONG_MATCH_SCORE
                    && !c.reasons.iter().any(|r| r.starts_with("different"))
                {
                    Some((
                        c.patient_id,
                        MatchRule::NameBirthSex { score: c.score },
                        c.score,
                    ))
                } else {
                    None
                }
            })
            .max_by(|a, b| a.2.cmp(&b.2).then(b.0.cmp(&a.0)));
        *slot = best.map(|(id, rule, _)| (id, rule));
    }
    Ok(found)
}

/// Stores a batch in the current transaction: matched patients are updated one by one, new ones
/// are inserted with multi-row inserts (patients, tumors, one audit event each).
fn store_together(
    conn: &mut DbConn,
    actor: &Actor,
    facility_id: i64,
    file_name: &str,
    batch: &[(usize, Box<Arriving>)],
) -> Result<Vec<Outcome>, AppError> {
    let found = find_existing(conn, facility_id, batch)?;
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut new_rows: Vec<Patient> = Vec::new();
    let mut new_records: Vec<(usize, &NaaccrPatient)> = Vec::new();
    let mut generated: Option<u64> = None;
    for ((ordinal, arriving), matched) in batch.iter().zip(found) {
        let record = &arriving.record;
        match matched {
            Some((id, rule)) => {
                let patient = patient::find_scoped(conn, &patient::Scope::All, id)?
                    .ok_or(diesel::result::Error::NotFound)?;
                let stored = update_patient(conn, actor, file_name, patient, record, &rule)?;
                outcomes.push(Outcome {
                    ordinal: *ordinal,
                    patient_id_number: record.item("patientIdNumber").map(str::to_string),
                    stored,
                    matched: Some((id, rule)),
                });
            }
            None => {
                let mut row = Patient::blank(facility_id);
                row.set_new_items(record.items.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                if row.patient_id_number.is_empty() {
                    let next = match generated {
                        Some(n) => n + 1,
                        None => patient::next_patient_id_number(conn, facility_id)?
                            .parse::<u64>()
                            .unwrap_or(1),
                    };
                    generated = Some(next);
                    row.patient_id_number = format!("{next:08}");
                }
                new_rows.push(row);
                new_records.push((*ordinal, record));
            }
        }
    }
    if new_rows.is_empty() {
        return Ok(outcomes);
    }
    let ids = patient::insert_many(conn, &mut new_rows)?;
    if ids.len() != new_rows.len() {
        return Err(AppError::Internal(anyhow::anyhow!(
            "import: {} patients inserted, {} ids returned",
            new_rows.len(),
            ids.len()
        )));
    }
    let mut tumors: Vec<Tumor> = Vec::new();
    let mut events = Vec::with_capacity(ids.len());
    for ((id, (ordinal, record)), row) in ids.iter().zip(new_records).zip(&new_rows) {
        let mut numbers: Vec<String> = Vec::with_capacity(record.tumors.len());
        for t in &record.tumors {
            let number = t
                .item("tumorRecordNumber")
                .map(str::to_string)
                .unwrap_or_else(|| next_number(&numbers));
            numbers.push(number.clone());
            let mut tumor = Tumor::blank(*id, number);
            tumor.set_new_items(t.items.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            // An abstract that arrives in a NAACCR file is a finished abstract.
            tumor.abstract_status = "complete".into();
            tumors.push(tumor);
        }
        events.push(
            AuditEvent::new(Action::Import, "patient")
                .id(id)
                .patient(*id, facility_id)
                .detail(format!(
                    "created with {} tumor(s) from NAACCR file {file_name}",
                    record.tumors.len()
                )),
        );
        outcomes.push(Outcome {
            ordinal,
            patient_id_number: Some(row.patient_id_number.clone()),
            stored: Stored::Created {
                tumors: record.tumors.len(),
            },
            matched: None,
        });
    }
    tumor::insert_many(conn, &tumors)?;
    audit::record_many(conn, actor, &events)?;
    Ok(outcomes)
}

fn store_batch<W: Write>(
    conn: &mut DbConn,
    actor: &Actor,
    facility_id: i64,
    file_name: &str,
    batch: &[(usize, Box<Arriving>)],
    report: &mut ImportReport,
    csv: Option<&mut csv::Writer<W>>,
) -> Result<(), AppError> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut failures: Vec<ImportProblem> = Vec::new();
    let together = write_tx(conn, |conn| {
        store_together(conn, actor, facility_id, file_name, batch)
    });
    let outcomes = match together {
        Ok(outcomes) => outcomes,
        Err(e) => {
            // Something in the batch was refused: store it again one patient at a time, each
            // behind its own savepoint, and name the patients refused.
            tracing::warn!(error = %e, "import: batch refused, storing its patients one by one");
            write_tx(conn, |conn| -> Result<Vec<Outcome>, AppError> {
                let mut outcomes = Vec::with_capacity(batch.len());
                for entry in batch.iter() {
                    let stored = conn.transaction(|conn| {
                        store_together(
                            conn,
                            actor,
                            facility_id,
                            file_name,
                            std::slice::from_ref(entry),
                        )
                    });
                    match stored {
                        Ok(mut s) => outcomes.append(&mut s),
                        Err(e) => {
                            let (ordinal, record) = entry;
                            tracing::warn!(error = %e, patient = ordinal, "import: patient not stored");
                            failures.push(ImportProblem {
                                line: None,
                                patient: Some(*ordinal),
                                tumor: None,
                                patient_id_number: record
                                    .record
                                    .item("patientIdNumber")
                                    .map(str::to_string),
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
            })?
        }
    };
    for outcome in outcomes {
        match outcome.stored {
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
        match outcome.matched {
            None => {}
            Some((_, MatchRule::Number)) => report.matched_by_number += 1,
            Some((linked_to, rule)) => {
                if matches!(rule, MatchRule::SsnAndBirth) {
                    report.matched_by_ssn += 1;
                } else {
                    report.matched_by_name += 1;
                }
                if report.matches.len() < SHOWN_MATCHES {
                    report.matches.push(ImportMatch {
                        patient: outcome.ordinal,
                        patient_id_number: outcome.patient_id_number,
                        linked_to,
                        rule: rule.describe(),
                    });
                }
            }
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
    rule: &MatchRule,
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
            .detail(format!(
                "updated from NAACCR file {file_name} (matched by {})",
                rule.describe()
            )),
    )?;
    Ok(Stored::Updated {
        tumors_created: created,
        tumors_updated: updated,
    })
}

// ---------------------------------------------------------------------------------------------
// Imports from the upload page: in the background, with progress
// ---------------------------------------------------------------------------------------------

/// Folder of uploaded files and their problem lists.
pub fn imports_dir(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("imports")
}

/// The problem list (CSV) of an import.
pub fn problems_path(data_dir: &Path, import_id: i64) -> std::path::PathBuf {
    imports_dir(data_dir).join(format!("import-{import_id:06}.problems.csv"))
}

/// An uploaded file, on disk, to import into a facility.
pub struct Upload<'a> {
    pub facility_id: i64,
    pub file_name: &'a str,
    pub stored: &'a Path,
    pub checksum: &'a str,
}

/// Records an uploaded file (already on disk) as an import and starts it on its own thread;
/// returns the import's id at once.
pub fn start_import(
    pool: &crate::db::DbPool,
    data_dir: &Path,
    actor: &Actor,
    user_id: i64,
    upload: &Upload<'_>,
) -> Result<i64, AppError> {
    let Upload {
        facility_id,
        file_name,
        stored,
        checksum,
    } = *upload;
    let mut conn = pool.get()?;
    let run = write_tx(&mut conn, |conn| -> Result<store::ImportRun, AppError> {
        let run = store::insert_import(
            conn,
            &store::NewImportRun {
                file_name: file_name.to_string(),
                stored_path: stored.to_string_lossy().into_owned(),
                checksum: checksum.to_string(),
                facility_id,
                status: "queued".into(),
                created_by: user_id,
                created_at: crate::models::now(),
            },
        )?;
        audit::record(
            conn,
            actor,
            &AuditEvent::new(Action::Create, "naaccr-import")
                .id(run.id)
                .facility(facility_id)
                .detail(format!("upload sha256 {checksum}")),
        )?;
        Ok(run)
    })?;
    let (pool, data_dir, actor) = (pool.clone(), data_dir.to_path_buf(), actor.clone());
    let id = run.id;
    std::thread::spawn(move || {
        if let Err(e) = execute_import(&pool, &data_dir, &actor, id) {
            tracing::error!(import = id, error = %e, "import failed");
            let message = match e {
                AppError::BadRequest(m) => m,
                _ => "the import failed; the error is in the server log".into(),
            };
            let marked = pool
                .get()
                .map_err(AppError::from)
                .and_then(|mut conn| Ok(store::fail_import(&mut conn, id, &message)?));
            if let Err(e) = marked {
                tracing::error!(import = id, error = %e, "could not mark the import failed");
            }
        }
    });
    Ok(id)
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn execute_import(
    pool: &crate::db::DbPool,
    data_dir: &Path,
    actor: &Actor,
    id: i64,
) -> Result<(), AppError> {
    let mut conn = pool.get()?;
    // Progress goes through a second connection: the first one is inside the import's batches.
    let mut progress_conn = pool.get()?;
    let mut run = store::find_import(&mut conn, id)?.ok_or(AppError::NotFound)?;
    run.status = "running".into();
    store::save_import(&mut conn, &run)?;
    let mut csv = csv::Writer::from_path(problems_path(data_dir, id))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("problem list: {e}")))?;
    let stored = std::path::PathBuf::from(&run.stored_path);
    let report = import_file(
        &mut conn,
        actor,
        run.facility_id,
        &stored,
        ImportOptions::default(),
        Some(&mut csv),
        |r| {
            set_counts(&mut run, r);
            Ok(store::save_import(&mut progress_conn, &run)?)
        },
    )?;
    set_counts(&mut run, &report);
    run.status = if report.stopped.is_some() {
        "stopped".into()
    } else {
        "complete".into()
    };
    run.message = Some(report_message(&report));
    run.finished_at = Some(crate::models::now());
    store::save_import(&mut conn, &run)?;
    Ok(())
}

fn set_counts(run: &mut store::ImportRun, r: &ImportReport) {
    run.patients_read = count(r.patients_read);
    run.patients_created = count(r.patients_created);
    run.patients_updated = count(r.patients_updated);
    run.patients_rejected = count(r.patients_rejected);
    run.tumors_created = count(r.tumors_created);
    run.tumors_updated = count(r.tumors_updated);
    run.problems = count(r.problem_count);
}

/// What the result page says beside the counts: the format, unchanged patients, the matching
/// rules used and why the file stopped.
pub fn report_message(r: &ImportReport) -> String {
    let mut parts = vec![
        r.format.clone(),
        format!("{} patient(s) unchanged", r.patients_unchanged),
        format!(
            "existing patients found: {} by Patient ID Number, {} by same SSN and date of birth, \
             {} by same name, date of birth and sex",
            r.matched_by_number, r.matched_by_ssn, r.matched_by_name
        ),
    ];
    for m in r.matches.iter().take(20) {
        parts.push(format!(
            "patient {} of the file{} linked to registry patient {} ({})",
            m.patient,
            m.patient_id_number
                .as_deref()
                .map(|n| format!(" (Patient ID Number {n})"))
                .unwrap_or_default(),
            m.linked_to,
            m.rule
        ));
    }
    if let Some(stopped) = &r.stopped {
        parts.push(format!(
            "the file stopped early: {stopped}; the patients before it were stored"
        ));
    }
    if !r.indexes_rebuilt.is_empty() {
        parts.push(format!(
            "a large file: {} search index(es) were set aside while it loaded and rebuilt after",
            r.indexes_rebuilt.len()
        ));
    }
    parts.join(". ")
}
