//! NAACCR XML export: the patients of a scope stream from the database in chunks, through the
//! record view, into the streaming writer. The file is written under a temporary name in the target
//! folder and renamed only when complete, so a crash, a kill or an error never leaves a file that
//! looks finished.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};

use chrono::{Local, NaiveDate};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::audit::{self, Action, Actor, AuditEvent};
use crate::db::DbConn;
use crate::db::schema::{patients, tumors};
use crate::domain::date::PartialDate;
use crate::domain::naaccr::{
    BorrowedPatient, CombinedDictionary, Dictionary, NaaccrVersion, NaaccrWriteError,
    NaaccrXmlWriter, PatientFormatter, RecordType, UserDictionary, WriterOptions,
};
use crate::error::AppError;
use crate::models::patient::{Patient, Scope};
use crate::models::record::JsonItems;
use crate::models::tumor::Tumor;

/// Patients loaded per query: memory stays flat whatever the number of patients.
const CHUNK: i64 = 1000;

/// Which tumors an export or a submission run takes.
#[derive(Debug, Clone, Default)]
pub struct CaseSelection {
    /// Earliest date of diagnosis (inclusive); a partial date of diagnosis overlapping it counts.
    pub diagnosed_from: Option<PartialDate>,
    /// Latest date of diagnosis (inclusive).
    pub diagnosed_to: Option<PartialDate>,
    /// Class of case codes; empty = all.
    pub classes_of_case: Vec<String>,
    /// Abstract statuses (complete, reviewed...); empty = all.
    pub abstract_statuses: Vec<String>,
    /// Only these facilities (within the user's scope); empty = the whole scope.
    pub facilities: Vec<i64>,
    /// Only these tumors (a submission run's choice), when set.
    pub only_tumors: Option<std::sync::Arc<std::collections::HashSet<i64>>>,
}

impl CaseSelection {
    /// Whether a tumor is selected by the diagnosis range, class of case and status.
    pub fn takes(&self, tumor: &Tumor) -> bool {
        if let Some(only) = &self.only_tumors
            && !only.contains(&tumor.id)
        {
            return false;
        }
        if !self.classes_of_case.is_empty()
            && !tumor
                .class_of_case
                .as_ref()
                .is_some_and(|c| self.classes_of_case.contains(c))
        {
            return false;
        }
        if !self.abstract_statuses.is_empty()
            && !self.abstract_statuses.contains(&tumor.abstract_status)
        {
            return false;
        }
        if self.diagnosed_from.is_none() && self.diagnosed_to.is_none() {
            return true;
        }
        let Some(dx) = tumor
            .date_of_diagnosis
            .as_deref()
            .and_then(|d| PartialDate::parse(d).ok())
        else {
            return false;
        };
        if let Some(from) = &self.diagnosed_from
            && dx.latest() < from.earliest()
        {
            return false;
        }
        if let Some(to) = &self.diagnosed_to
            && dx.earliest() > to.latest()
        {
            return false;
        }
        true
    }
}

/// What to write and how.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub record_type: RecordType,
    pub version: NaaccrVersion,
    /// `registryId` written once at the file level (the sender), when not empty.
    pub registry_id: String,
    pub user_dictionaries: Vec<UserDictionary>,
    pub left_zero_padding: bool,
    pub selection: CaseSelection,
}

/// One patient left out of the file because items could not be written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SkippedPatient {
    pub patient_id: i64,
    pub reasons: Vec<String>,
}

/// What an export wrote.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ExportSummary {
    pub patients: usize,
    pub tumors: usize,
    pub bytes: u64,
    /// SHA-256 of the file as written (compressed when gzip), hex.
    pub checksum: String,
    pub skipped: Vec<SkippedPatient>,
    /// Stored items the target dictionary does not define (kept in the database, not in the file).
    pub items_not_in_dictionary: BTreeSet<String>,
    /// Ids of the tumors written.
    #[serde(skip)]
    pub tumor_ids: Vec<(i64, chrono::NaiveDateTime)>,
}

/// A patient and its selected tumors, as stored.
pub struct CaseRecord {
    pub patient: Patient,
    pub tumors: Vec<Tumor>,
}

/// Calls `each` for every patient of `scope` with at least one selected tumor, in id order,
/// loading `CHUNK` patients at a time and their tumors by patient id range (one index range scan).
/// `each` returns `false` to stop.
pub fn for_each_case(
    conn: &mut DbConn,
    scope: &Scope,
    selection: &CaseSelection,
    mut each: impl FnMut(CaseRecord) -> Result<bool, AppError>,
) -> Result<(), AppError> {
    for_each_chunk(conn, scope, selection, |cases| {
        for case in cases {
            if !each(case)? {
                return Ok(false);
            }
        }
        Ok(true)
    })
}

/// [`for_each_case`] a chunk at a time: `each` gets the selected cases of up to `CHUNK` patients.
pub fn for_each_chunk(
    conn: &mut DbConn,
    scope: &Scope,
    selection: &CaseSelection,
    mut each: impl FnMut(Vec<CaseRecord>) -> Result<bool, AppError>,
) -> Result<(), AppError> {
    let mut last_id = 0i64;
    loop {
        let mut query = patients::table
            .filter(patients::id.gt(last_id))
            .select(Patient::as_select())
            .order(patients::id.asc())
            .limit(CHUNK)
            .into_boxed();
        if let Scope::Facilities(ids) = scope {
            query = query.filter(patients::facility_id.eq_any(ids.clone()));
        }
        if !selection.facilities.is_empty() {
            query = query.filter(patients::facility_id.eq_any(selection.facilities.clone()));
        }
        let chunk: Vec<Patient> = query.load(conn)?;
        let Some(last) = chunk.last() else {
            return Ok(());
        };
        last_id = last.id;
        let first_id = chunk.first().map_or(last_id, |p| p.id);
        // Tumors of patients outside the scope in this id range are skipped by the merge below.
        let mut chunk_tumors: Vec<Tumor> = tumors::table
            .filter(tumors::patient_id.between(first_id, last_id))
            .select(Tumor::as_select())
            .order((tumors::patient_id.asc(), tumors::id.asc()))
            .load(conn)?;
        chunk_tumors.retain(|t| selection.takes(t));
        let mut tumors = chunk_tumors.into_iter().peekable();
        let mut cases = Vec::with_capacity(chunk.len());
        for patient in chunk {
            // Tumors of patients between the previous one and this one are outside the scope.
            while tumors.next_if(|t| t.patient_id < patient.id).is_some() {}
            let mut own = Vec::new();
            while let Some(t) = tumors.next_if(|t| t.patient_id == patient.id) {
                own.push(t);
            }
            if !own.is_empty() {
                cases.push(CaseRecord {
                    patient,
                    tumors: own,
                });
            }
        }
        if !cases.is_empty() && !each(cases)? {
            return Ok(());
        }
    }
}

/// The id sex is written under: the application stores `sexAssignedAtBirth` (v26); a v25 file
/// calls it `sex`.
fn sex_item_id(dictionary: &CombinedDictionary) -> &'static str {
    if dictionary.item("sexAssignedAtBirth").is_none() && dictionary.item("sex").is_some() {
        "sex"
    } else {
        "sexAssignedAtBirth"
    }
}

/// A temporary name beside `target` that keeps its ending (so `.gz` still means gzip).
fn temporary_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export.xml".into());
    let nonce: u64 = rand::random();
    target.with_file_name(format!(".partial-{nonce:016x}-{name}"))
}

/// Writes the export to `out` (gzip when it ends in `.gz`). `progress` gets (patients, tumors)
/// written so far after each chunk of patients. Records one export audit event.
pub fn export_to_file(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &Scope,
    request: &ExportRequest,
    out: &Path,
    mut progress: impl FnMut(usize, usize) -> Result<(), AppError>,
) -> Result<ExportSummary, AppError> {
    let temp = temporary_path(out);
    let result = write_file(conn, scope, request, &temp, &mut progress);
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            if let Err(remove) = std::fs::remove_file(&temp)
                && remove.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(error = %remove, "could not remove a partial export file");
            }
            return Err(e);
        }
    };
    std::fs::rename(&temp, out)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("could not complete the file: {e}")))?;
    audit::record(
        conn,
        actor,
        &AuditEvent::new(Action::Export, "naaccr-file").detail(format!(
            "NAACCR XML {} record type {}: {} patients, {} tumors, sha256 {}",
            request.version,
            request.record_type,
            summary.patients,
            summary.tumors,
            summary.checksum
        )),
    )?;
    Ok(summary)
}

fn write_file(
    conn: &mut DbConn,
    scope: &Scope,
    request: &ExportRequest,
    path: &Path,
    progress: &mut impl FnMut(usize, usize) -> Result<(), AppError>,
) -> Result<ExportSummary, AppError> {
    let io_error = |e: std::io::Error| AppError::Internal(anyhow::anyhow!("export file: {e}"));
    let output = Sink::create(path).map_err(io_error)?;
    let mut options = WriterOptions::new(request.version, request.record_type);
    options.leave_out_undefined = true;
    options.user_dictionaries = request.user_dictionaries.clone();
    options.left_zero_padding = request.left_zero_padding;
    options.time_generated = Some(Local::now().fixed_offset());
    let mut root: Vec<(&str, &str)> = vec![("naaccrRecordVersion", request.version.as_str())];
    if !request.registry_id.trim().is_empty() {
        root.push(("registryId", request.registry_id.trim()));
    }
    let mut writer = NaaccrXmlWriter::new(output, options, &root)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let mut dictionary = CombinedDictionary::new(Dictionary::base(request.version));
    for user in &request.user_dictionaries {
        dictionary
            .add_user(user.clone())
            .map_err(|e| AppError::BadRequest(e.to_string()))?;
    }
    let sex_id = sex_item_id(&dictionary);
    let formatter = writer.formatter();
    let format = |cases: Vec<CaseRecord>, first_ordinal: usize| {
        format_chunk(&formatter, sex_id, cases, first_ordinal)
    };
    // This thread reads the database; `WORKERS` threads format chunks of patients; the writing
    // thread takes their bytes in file order (and hands them to the file thread, which hashes).
    let patients_done = AtomicUsize::new(0);
    let tumors_done = AtomicUsize::new(0);
    let (jobs, job_queue) = mpsc::sync_channel::<Job>(WORKERS);
    let job_queue = Mutex::new(job_queue);
    let (in_order, results) = mpsc::sync_channel::<mpsc::Receiver<Formatted>>(WORKERS + 1);
    let (read, written) = std::thread::scope(|threads| {
        let (patients_done, tumors_done) = (&patients_done, &tumors_done);
        for _ in 0..WORKERS {
            let (job_queue, format) = (&job_queue, &format);
            threads.spawn(move || {
                loop {
                    let job = match job_queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    let Ok(Job {
                        cases,
                        first_ordinal,
                        reply,
                    }) = job
                    else {
                        return;
                    };
                    // The writing thread gone (an error) ends the work at the next chunk.
                    if reply.send(format(cases, first_ordinal)).is_err() {
                        return;
                    }
                }
            });
        }
        let writing = threads.spawn(move || -> Result<_, NaaccrWriteError> {
            let mut done = Formatted::default();
            for result in results {
                let Ok(chunk) = result.recv() else {
                    return Err(NaaccrWriteError::Io(std::io::Error::other(
                        "a formatting thread failed",
                    )));
                };
                writer.write_formatted(&chunk.xml, chunk.patients, chunk.tumors)?;
                done.skipped.extend(chunk.skipped);
                done.tumor_ids.extend(chunk.tumor_ids);
                done.not_defined.extend(chunk.not_defined);
                patients_done.store(writer.patient_count(), Ordering::Relaxed);
                tumors_done.store(writer.tumor_count(), Ordering::Relaxed);
            }
            Ok((writer, done))
        });
        let mut next_ordinal = 1;
        let read = for_each_chunk(conn, scope, &request.selection, |cases| {
            let first_ordinal = next_ordinal;
            next_ordinal += cases.len();
            let (reply, result) = mpsc::sync_channel(1);
            // Either send fails only when the writing thread stopped on an error, reported below.
            if in_order.send(result).is_err() {
                return Ok(false);
            }
            let job = Job {
                cases,
                first_ordinal,
                reply,
            };
            if jobs.send(job).is_err() {
                return Ok(false);
            }
            progress(
                patients_done.load(Ordering::Relaxed),
                tumors_done.load(Ordering::Relaxed),
            )?;
            Ok(true)
        });
        drop((jobs, in_order));
        (read, writing.join())
    });
    let written = written
        .map_err(|_| AppError::Internal(anyhow::anyhow!("export: the writer thread failed")))?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("export: {e}")))?;
    read?;
    let (writer, done) = written;
    let mut summary = ExportSummary {
        skipped: done.skipped,
        tumor_ids: done.tumor_ids,
        items_not_in_dictionary: done.not_defined,
        patients: writer.patient_count(),
        tumors: writer.tumor_count(),
        ..ExportSummary::default()
    };
    (summary.checksum, summary.bytes) = writer
        .finish()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("export: {e}")))?
        .finish()
        .map_err(io_error)?;
    progress(summary.patients, summary.tumors)?;
    Ok(summary)
}

/// Threads formatting patients during an export (the database reader and the writer are two more).
const WORKERS: usize = 2;

/// A chunk of cases on its way to a formatting thread, and where its result goes.
struct Job {
    cases: Vec<CaseRecord>,
    /// Position in the file of the chunk's first patient (named in item problems).
    first_ordinal: usize,
    reply: mpsc::SyncSender<Formatted>,
}

/// A chunk formatted: its XML and what it holds.
#[derive(Default)]
struct Formatted {
    xml: Vec<u8>,
    patients: usize,
    tumors: usize,
    skipped: Vec<SkippedPatient>,
    tumor_ids: Vec<(i64, chrono::NaiveDateTime)>,
    not_defined: BTreeSet<String>,
}

/// Formats the cases of a chunk: each patient's items borrowed from its rows (no copy of the
/// values), checked and written by the formatter; a patient with invalid items is skipped whole.
fn format_chunk(
    formatter: &PatientFormatter,
    sex_id: &str,
    cases: Vec<CaseRecord>,
    first_ordinal: usize,
) -> Formatted {
    let mut out = Formatted {
        xml: Vec::with_capacity(cases.len() * 2600),
        ..Formatted::default()
    };
    for (n, case) in cases.iter().enumerate() {
        let patient_json = JsonItems::parse(&case.patient.items);
        let tumor_json: Vec<JsonItems<'_>> = case
            .tumors
            .iter()
            .map(|t| JsonItems::parse(&t.items))
            .collect();
        let mut items = case.patient.borrowed_items(&patient_json);
        if sex_id != "sexAssignedAtBirth" {
            for item in items
                .iter_mut()
                .filter(|(id, _)| *id == "sexAssignedAtBirth")
            {
                item.0 = sex_id;
            }
        }
        let record = BorrowedPatient {
            items,
            tumors: case
                .tumors
                .iter()
                .zip(&tumor_json)
                .map(|(t, json)| t.borrowed_items(json, &case.patient))
                .collect(),
        };
        let not_defined = &mut out.not_defined;
        let mut left_out = |id: &str| {
            if !not_defined.contains(id) {
                not_defined.insert(id.to_string());
            }
        };
        match formatter.format(&record, first_ordinal + n, &mut out.xml, &mut left_out) {
            Ok(()) => {
                out.patients += 1;
                out.tumors += case.tumors.len();
                out.tumor_ids
                    .extend(case.tumors.iter().map(|t| (t.id, t.updated_at)));
            }
            Err(issues) => out.skipped.push(SkippedPatient {
                patient_id: case.patient.id,
                reasons: issues.iter().map(ToString::to_string).collect(),
            }),
        }
    }
    out
}

/// Bytes handed to the file thread at a time.
const FILE_CHUNK: usize = 1 << 20;

/// The file end of an export: bytes go in 1 MiB chunks to a thread that hashes them (SHA-256)
/// and writes them, so hashing overlaps formatting. Dropped unfinished, it ends its thread.
struct HashedFile {
    chunk: Vec<u8>,
    sender: Option<mpsc::SyncSender<Vec<u8>>>,
    worker: Option<std::thread::JoinHandle<std::io::Result<(String, u64)>>>,
}

impl HashedFile {
    fn create(path: &Path) -> std::io::Result<HashedFile> {
        let mut file = std::fs::File::create(path)?;
        let (sender, receiver) = mpsc::sync_channel::<Vec<u8>>(4);
        let worker = std::thread::spawn(move || {
            let mut hasher = Sha256::new();
            let mut bytes = 0u64;
            for chunk in receiver {
                hasher.update(&chunk);
                file.write_all(&chunk)?;
                bytes += chunk.len() as u64;
            }
            file.sync_all()?;
            Ok((hex::encode(hasher.finalize()), bytes))
        });
        Ok(HashedFile {
            chunk: Vec::with_capacity(FILE_CHUNK),
            sender: Some(sender),
            worker: Some(worker),
        })
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(FILE_CHUNK));
        self.sender
            .as_ref()
            .and_then(|s| s.send(chunk).ok())
            .ok_or_else(|| std::io::Error::other("the file writer stopped"))
    }

    /// Writes the last bytes, syncs the file and returns its SHA-256 (hex) and size.
    fn finish(mut self) -> std::io::Result<(String, u64)> {
        self.send()?;
        self.sender = None;
        match self.worker.take().map(|w| w.join()) {
            Some(Ok(result)) => result,
            _ => Err(std::io::Error::other("the file writer failed")),
        }
    }
}

impl Write for HashedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.chunk.extend_from_slice(buf);
        if self.chunk.len() >= FILE_CHUNK {
            self.send()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // The bytes reach the file in chunks; `finish` writes the rest.
        Ok(())
    }
}

impl Drop for HashedFile {
    fn drop(&mut self) {
        self.sender = None;
        if let Some(worker) = self.worker.take()
            && worker.join().is_err()
        {
            tracing::warn!("the export file writer failed");
        }
    }
}

/// The export's output: plain, or gzip when the name ends in `.gz`.
enum Sink {
    Plain(HashedFile),
    Gzip(Box<GzEncoder<HashedFile>>),
}

impl Sink {
    fn create(path: &Path) -> std::io::Result<Sink> {
        let file = HashedFile::create(path)?;
        let gzip = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.to_ascii_lowercase().ends_with(".gz"));
        Ok(if gzip {
            Sink::Gzip(Box::new(GzEncoder::new(file, Compression::default())))
        } else {
            Sink::Plain(file)
        })
    }

    fn finish(self) -> std::io::Result<(String, u64)> {
        match self {
            Sink::Plain(file) => file.finish(),
            Sink::Gzip(gz) => gz.finish()?.finish(),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Gzip(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
        }
    }
}

/// Parses a `--diagnosed-from`/`--diagnosed-to` date (YYYY, YYYY-MM, YYYY-MM-DD or CCYYMMDD).
pub fn parse_date_bound(text: &str) -> Result<PartialDate, AppError> {
    PartialDate::parse(text).map_err(|e| AppError::BadRequest(format!("date '{text}': {e}")))
}

/// Today in the server's time zone (deadline computations).
pub fn today() -> NaiveDate {
    Local::now().date_naive()
}
