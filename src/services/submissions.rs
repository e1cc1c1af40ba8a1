//! Submission profiles and the command-line export and import.

use std::path::{Path, PathBuf};

use crate::audit::{self, Action, Actor, AuditEvent};
use crate::config::Settings;
use crate::db::{self, DatabaseUrl, DbConn, write_tx};
use crate::domain::naaccr::{NaaccrVersion, RecordType, UserDictionary};
use crate::domain::submission::default_profiles;
use crate::error::AppError;
use crate::models::facility;
use crate::models::patient::Scope;
use crate::models::submission::{self as store, NewProfile, SubmissionProfile};
use crate::services::export::{self, CaseSelection, ExportRequest, parse_date_bound};
use crate::services::import;

/// Creates the shipped profiles when there is none yet.
pub fn ensure_default_profiles(conn: &mut DbConn) -> Result<(), AppError> {
    write_tx(conn, |conn| -> Result<(), AppError> {
        if !store::list_profiles(conn)?.is_empty() {
            return Ok(());
        }
        let now = crate::models::now();
        for d in default_profiles() {
            let created = store::insert_profile(
                conn,
                &NewProfile {
                    name: d.name.to_string(),
                    kind: d.kind.as_str().to_string(),
                    registry_id: String::new(),
                    record_type: d.record_type.as_str().to_string(),
                    naaccr_version: d.version.as_str().to_string(),
                    user_dictionary: None,
                    required_items: d.required_items.join(","),
                    edit_set: d.edit_set.to_string(),
                    deadline_months: d.deadline_months,
                    schedule: d.schedule.to_string(),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            audit::record(
                conn,
                &Actor::system("defaults"),
                &AuditEvent::new(Action::Create, "submission-profile")
                    .id(created.id)
                    .detail(format!("shipped profile {}", created.name)),
            )?;
        }
        Ok(())
    })
}

/// The record type of a profile (or an override).
pub fn parse_record_type(text: &str) -> Result<RecordType, AppError> {
    RecordType::parse(text.trim())
        .ok_or_else(|| AppError::BadRequest(format!("record type '{text}': use I, C, A or M")))
}

/// The NAACCR version of a profile (or an override): 250 or 260.
pub fn parse_version(text: &str) -> Result<NaaccrVersion, AppError> {
    match NaaccrVersion::from_version_str(text.trim()) {
        Some(v @ (NaaccrVersion::V250 | NaaccrVersion::V260)) => Ok(v),
        _ => Err(AppError::BadRequest(format!(
            "NAACCR version '{text}': use 250 or 260"
        ))),
    }
}

/// The user dictionaries of a profile.
pub fn user_dictionaries(profile: &SubmissionProfile) -> Result<Vec<UserDictionary>, AppError> {
    match profile
        .user_dictionary
        .as_deref()
        .filter(|x| !x.trim().is_empty())
    {
        None => Ok(Vec::new()),
        Some(xml) => Ok(vec![UserDictionary::parse(xml).map_err(|e| {
            AppError::BadRequest(format!("the profile's user dictionary: {e}"))
        })?]),
    }
}

/// What the profile writes, with the command line's overrides.
pub fn export_request(
    profile: &SubmissionProfile,
    record_type: Option<&str>,
    version: Option<&str>,
    selection: CaseSelection,
) -> Result<ExportRequest, AppError> {
    Ok(ExportRequest {
        record_type: parse_record_type(record_type.unwrap_or(&profile.record_type))?,
        version: parse_version(version.unwrap_or(&profile.naaccr_version))?,
        registry_id: profile.registry_id.clone(),
        user_dictionaries: user_dictionaries(profile)?,
        left_zero_padding: false,
        selection,
    })
}

/// `registrar export` arguments.
pub struct CliExport {
    pub profile: String,
    pub record_type: Option<String>,
    pub naaccr_version: Option<String>,
    pub diagnosed_from: Option<String>,
    pub diagnosed_to: Option<String>,
    pub out: PathBuf,
}

/// One connection with the per-connection settings (WAL, foreign keys) applied by the pool.
fn open(settings: &Settings) -> anyhow::Result<db::PooledConn> {
    let url = DatabaseUrl::parse(&settings.database_url)?;
    db::migrate(&url)?;
    Ok(db::build_pool(&url, 1)?.get()?)
}

pub fn cli_export(settings: &Settings, args: &CliExport) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    let mut run = || -> Result<export::ExportSummary, AppError> {
        ensure_default_profiles(&mut conn)?;
        let profile = store::find_profile_by_name(&mut conn, &args.profile)?.ok_or_else(|| {
            AppError::BadRequest(format!("no submission profile named '{}'", args.profile))
        })?;
        let selection = CaseSelection {
            diagnosed_from: args
                .diagnosed_from
                .as_deref()
                .map(parse_date_bound)
                .transpose()?,
            diagnosed_to: args
                .diagnosed_to
                .as_deref()
                .map(parse_date_bound)
                .transpose()?,
            ..CaseSelection::default()
        };
        let request = export_request(
            &profile,
            args.record_type.as_deref(),
            args.naaccr_version.as_deref(),
            selection,
        )?;
        let started = std::time::Instant::now();
        let summary = export::export_to_file(
            &mut conn,
            &Actor::system("cli"),
            &Scope::All,
            &request,
            &args.out,
            |_, tumors| {
                if tumors > 0 && tumors % 100_000 < 600 {
                    eprintln!("  {tumors} tumors written");
                }
                Ok(())
            },
        )?;
        let seconds = started.elapsed().as_secs_f64().max(1e-9);
        println!(
            "export: {} patients, {} tumors, {} bytes to {} in {:.2} s ({:.0} tumors/s), sha256 {}",
            summary.patients,
            summary.tumors,
            summary.bytes,
            args.out.display(),
            seconds,
            summary.tumors as f64 / seconds,
            summary.checksum
        );
        for skipped in &summary.skipped {
            println!(
                "skipped patient record {}: {}",
                skipped.patient_id,
                skipped.reasons.join("; ")
            );
        }
        if !summary.items_not_in_dictionary.is_empty() {
            println!(
                "items stored but not in the NAACCR {} dictionary (not written): {}",
                request.version,
                summary
                    .items_not_in_dictionary
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Ok(summary)
    };
    run().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

pub fn cli_import(
    settings: &Settings,
    file: &Path,
    facility_code: Option<&str>,
    problems: Option<&Path>,
    user_dictionary_files: &[PathBuf],
) -> anyhow::Result<()> {
    let mut dictionaries = Vec::new();
    for path in user_dictionary_files {
        let xml = crate::domain::naaccr::io::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        dictionaries.push(
            UserDictionary::parse(&xml).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        );
    }
    let mut conn = open(settings)?;
    let code = facility_code.unwrap_or(&settings.default_facility_code);
    let facility = match facility::find_by_code(&mut conn, code)? {
        Some(f) => f,
        None => facility::create(&mut conn, code, code)?,
    };
    let problems_path = problems.map(Path::to_path_buf).unwrap_or_else(|| {
        let mut name = file.as_os_str().to_owned();
        name.push(".problems.csv");
        PathBuf::from(name)
    });
    let mut csv = csv::Writer::from_path(&problems_path)?;
    let started = std::time::Instant::now();
    let mut last = 0usize;
    let report = import::import_file(
        &mut conn,
        &Actor::system("cli"),
        facility.id,
        file,
        dictionaries,
        Some(&mut csv),
        |r| {
            if r.patients_read >= last + 100_000 {
                last = r.patients_read;
                eprintln!("  {} patients read", r.patients_read);
            }
            Ok(())
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    let tumors = report.tumors_created + report.tumors_updated;
    println!("import: {}", report.format);
    println!(
        "  patients: {} read, {} created, {} updated, {} unchanged, {} rejected",
        report.patients_read,
        report.patients_created,
        report.patients_updated,
        report.patients_unchanged,
        report.patients_rejected
    );
    println!(
        "  tumors: {} created, {} updated in {:.2} s ({:.0} tumors/s)",
        report.tumors_created,
        report.tumors_updated,
        seconds,
        tumors as f64 / seconds
    );
    println!(
        "  problems: {} (list: {})",
        report.problem_count,
        problems_path.display()
    );
    if let Some(stopped) = &report.stopped {
        println!("  the file stopped early: {stopped}; the patients before it were stored");
        anyhow::bail!("the import did not read the whole file");
    }
    Ok(())
}
