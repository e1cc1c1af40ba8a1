//! Command-line interface: `serve` (default), `migrate`, `create-user`, `demo`, `edits`, `staging`,
//! `stage`, `export`, `import`, `pathology`, `followup`.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::audit::{self, Action, Actor, AuditEvent};
use crate::auth::Role;
use crate::auth::password::hash_password;
use crate::config::Settings;
use crate::db::{self, DatabaseUrl, write_tx};
use crate::models::{facility, user};
use crate::startup::Application;

#[derive(Parser)]
#[command(
    name = "registrar",
    version,
    about = "Cancer registry: abstracting, staging, follow-up and NAACCR submissions"
)]
struct Cli {
    /// Settings file (TOML); default: REGISTRAR_CONFIG, or ./registrar.toml when it exists.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web application (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create a user; the password is read from standard input (one line).
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, registrar or reviewer
        #[arg(long)]
        role: String,
        /// Facility code (created when it does not exist yet); repeat for several.
        #[arg(long)]
        facility: Vec<String>,
        /// The user sees every facility (central registry).
        #[arg(long)]
        all_facilities: bool,
    },
    /// Run the edits on a NAACCR XML file: one JSON line per failure, then a summary line;
    /// exit status 1 when any error edit fails.
    Edits {
        /// NAACCR XML file (plain or gzipped).
        file: PathBuf,
        /// Edit set: incidence, hospital or all.
        #[arg(long, default_value = "incidence")]
        set: String,
    },
    /// Fill the database with synthetic patients and tumors (deterministic per seed).
    Demo {
        #[arg(long, default_value_t = 1000)]
        patients: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Facility code the patients belong to (default: the first-start facility).
        #[arg(long)]
        facility: Option<String>,
    },
    /// Manage the SEER staging algorithm (EOD 2018 / Summary Stage 2018).
    Staging {
        #[command(subcommand)]
        action: StagingCommand,
    },
    /// Stage one case and print the result as one JSON object.
    Stage {
        /// An input keyed by NAACCR XML id, e.g. --item primarySite=C504 (repeat).
        #[arg(long = "item", value_name = "NAACCRID=VALUE")]
        items: Vec<String>,
        /// Algorithm zip to use (default: the `staging_algorithm` setting, else the installed one).
        #[arg(long)]
        algorithm: Option<PathBuf>,
    },
    /// Write the cases of a submission profile as a NAACCR XML file (gzip when FILE ends in .gz).
    Export {
        /// Submission profile name (see the Submissions page; shipped: "State central registry",
        /// "NPCR", "SEER", "NCDB").
        #[arg(long)]
        profile: String,
        /// Record type: I, C, A or M (default: the profile's).
        #[arg(long)]
        record_type: Option<String>,
        /// NAACCR version: 250 or 260 (default: the profile's).
        #[arg(long)]
        naaccr_version: Option<String>,
        /// Earliest date of diagnosis (YYYY, YYYY-MM or YYYY-MM-DD).
        #[arg(long)]
        diagnosed_from: Option<String>,
        /// Latest date of diagnosis.
        #[arg(long)]
        diagnosed_to: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Import a NAACCR XML (any version, gzip or not) or NAACCR 18 flat file.
    Import {
        file: PathBuf,
        /// Facility the patients belong to (default: the first-start facility).
        #[arg(long)]
        facility: Option<String>,
        /// Where to write the list of problems (CSV); default: FILE.problems.csv.
        #[arg(long)]
        problems: Option<PathBuf>,
        /// A user dictionary the file refers to (NAACCR dictionary XML); repeat for several.
        #[arg(long)]
        user_dictionary: Vec<PathBuf>,
    },
    /// Pathology reports (HL7 v2.5.1 NAACCR Volume V).
    #[command(subcommand)]
    Pathology(PathologyCommand),
    /// Follow-up: run the letter job, compute the due list, print the CoC rates.
    Followup {
        #[command(subcommand)]
        command: FollowupCommand,
    },
}

#[derive(Subcommand)]
enum PathologyCommand {
    /// Parse, screen and code without writing anything: one JSON object per message (JSON Lines).
    Screen {
        /// Screen with the database's active screening version (default: the project's lists).
        #[arg(long)]
        active_lists: bool,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Ingest files as a browser upload would, and print the counts.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Ingest throughput: N generated reports (matched against the patients in the database).
    Bench {
        #[arg(long, default_value_t = 100_000)]
        reports: usize,
        /// Messages per uploaded file.
        #[arg(long, default_value_t = 500)]
        per_file: usize,
    },
}

#[derive(Subcommand)]
enum FollowupCommand {
    /// One run of the scheduled job: write due letters into the outbox, then deliver the outbox.
    Run {
        /// The day to run for (default: today, UTC).
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
    /// Compute the due list without writing anything; prints the counts as JSON.
    Due {
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
    /// Print the CoC follow-up worksheet as one JSON object.
    Rates {
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
}

#[derive(Subcommand)]
enum StagingCommand {
    /// Validate a SEER staging algorithm zip, copy it into the staging folder and make it current.
    Install { file: PathBuf },
}

/// A command whose output goes to a pipe that closes early (`registrar pathology screen F | head`)
/// ends quietly, as Unix tools do, instead of panicking in `println!`. Not for the server, which
/// must survive clients that hang up.
fn quiet_on_closed_output() {
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any thread is spawned; restores the default action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("registrar: {e}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(&settings.log);
    let command = cli.command.unwrap_or(Command::Serve);
    // The server loads the user dictionaries as it starts (`Application::build`); commands here.
    if !matches!(command, Command::Serve) {
        quiet_on_closed_output();
        if let Err(e) =
            crate::services::abstracting::load_user_dictionaries(&settings.user_dictionaries)
        {
            eprintln!("registrar: {e:#}");
            return ExitCode::from(2);
        }
    }
    let result = match command {
        Command::Serve => serve(settings),
        Command::Migrate => migrate(&settings),
        Command::CreateUser {
            email,
            name,
            role,
            facility,
            all_facilities,
        } => create_user(&settings, &email, &name, &role, &facility, all_facilities),
        Command::Demo {
            patients,
            seed,
            facility,
        } => demo(&settings, patients, seed, facility.as_deref()),
        Command::Staging {
            action: StagingCommand::Install { file },
        } => staging_install(&settings, &file),
        Command::Stage { items, algorithm } => {
            return stage(&settings, &items, algorithm.as_deref());
        }
        Command::Edits { file, set } => return edits(&file, &set),
        Command::Followup { command } => followup(settings, command),
        Command::Pathology(PathologyCommand::Screen {
            active_lists,
            files,
        }) => pathology_screen(&settings, active_lists, &files),
        Command::Pathology(PathologyCommand::Import { files }) => {
            pathology_import(&settings, &files)
        }
        Command::Pathology(PathologyCommand::Bench { reports, per_file }) => {
            pathology_bench(&settings, reports, per_file)
        }
        Command::Export {
            profile,
            record_type,
            naaccr_version,
            diagnosed_from,
            diagnosed_to,
            out,
        } => crate::services::submissions::cli_export(
            &settings,
            &crate::services::submissions::CliExport {
                profile,
                record_type,
                naaccr_version,
                diagnosed_from,
                diagnosed_to,
                out,
            },
        ),
        Command::Import {
            file,
            facility,
            problems,
            user_dictionary,
        } => crate::services::submissions::cli_import(
            &settings,
            &file,
            facility.as_deref(),
            problems.as_deref(),
            &user_dictionary,
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("registrar: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let address = settings.bind_address.clone();
        let app = Application::build(settings)?;
        if let Some(admin) = &app.first_admin {
            // Printed once, on the terminal only (never logged).
            println!("First start: an admin account was created.");
            println!("  e-mail:   {}", admin.email);
            println!("  password: {}", admin.password);
            println!("Sign in and change it, or create named accounts under Users.");
        }
        println!("Registrar is running on http://{address}:{}", app.port());
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let url = DatabaseUrl::parse(&settings.database_url)?;
    let applied = db::migrate(&url)?;
    if applied.is_empty() {
        println!("The {} database is up to date.", url.backend_name());
    }
    for name in applied {
        println!("applied {name}");
    }
    Ok(())
}

fn create_user(
    settings: &Settings,
    email: &str,
    name: &str,
    role: &str,
    facilities: &[String],
    all_facilities: bool,
) -> anyhow::Result<()> {
    let role = Role::parse(role)
        .ok_or_else(|| anyhow::anyhow!("--role must be admin, registrar or reviewer"))?;
    anyhow::ensure!(email.contains('@'), "--email must be an e-mail address");
    anyhow::ensure!(!name.trim().is_empty(), "--name must not be empty");
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    anyhow::ensure!(
        password.chars().count() >= settings.password_min_length,
        "the password (standard input) must have at least {} characters",
        settings.password_min_length
    );
    let hash = hash_password(password)?;
    let url = DatabaseUrl::parse(&settings.database_url)?;
    db::migrate(&url)?;
    let mut conn = url.connect()?;
    let created = write_tx(&mut conn, |conn| -> anyhow::Result<user::User> {
        anyhow::ensure!(
            user::find_by_email(conn, email)?.is_none(),
            "a user with e-mail {email} exists already"
        );
        let created = user::create(
            conn,
            &user::NewUser {
                email,
                name,
                password_hash: &hash,
                role,
                sees_all_facilities: all_facilities,
            },
        )?;
        let mut ids = Vec::new();
        for code in facilities {
            let f = match facility::find_by_code(conn, code)? {
                Some(f) => f,
                None => facility::create(conn, code, code)?,
            };
            ids.push(f.id);
        }
        user::set_facilities(conn, created.id, &ids)?;
        audit::record(
            conn,
            &Actor::system("cli"),
            &AuditEvent::new(Action::Create, "user")
                .id(created.id)
                .detail(format!("role {}", role.as_str())),
        )?;
        Ok(created)
    })?;
    println!(
        "created {} ({}) with role {}",
        created.email,
        created.name,
        role.as_str()
    );
    Ok(())
}

fn demo(
    settings: &Settings,
    patients: usize,
    seed: u64,
    facility_code: Option<&str>,
) -> anyhow::Result<()> {
    let url = DatabaseUrl::parse(&settings.database_url)?;
    db::migrate(&url)?;
    let pool = db::build_pool(&url, 1)?;
    let mut conn = pool.get()?;
    let code = facility_code.unwrap_or(&settings.default_facility_code);
    let facility = match facility::find_by_code(&mut conn, code)? {
        Some(f) => f,
        None => facility::create(&mut conn, code, &settings.default_facility_name)?,
    };
    let started = std::time::Instant::now();
    let today = chrono::Utc::now().date_naive();
    let mut last_report = 0;
    let load = crate::services::demo::load(&mut conn, facility.id, patients, seed, today, |done| {
        if done - last_report >= 50_000 || done == patients {
            eprintln!("  {done} / {patients} patients");
            last_report = done;
        }
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "demo: {} patients and {} tumors in facility {} (seed {seed}) in {:.1} s",
        load.patients,
        load.tumors,
        facility.code,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn staging_install(settings: &Settings, file: &std::path::Path) -> anyhow::Result<()> {
    let url = DatabaseUrl::parse(&settings.database_url)?;
    db::migrate(&url)?;
    let mut conn = url.connect()?;
    let installed = crate::services::staging::install(
        &mut conn,
        settings,
        file,
        &Actor::system("cli staging install"),
    )?;
    println!(
        "installed {} {} ({} schemas, {} tables, loaded in {} ms)",
        installed.algorithm,
        installed.version,
        installed.schemas,
        installed.tables,
        installed.load_time.as_millis()
    );
    println!("  file:   {}", installed.path.display());
    println!("  sha256: {}", installed.sha256);
    println!(
        "A running server picks it up under Admin > Staging (Reload) or at its next start; stored cases are then re-derived."
    );
    Ok(())
}

/// `registrar stage`: the JSON result on standard output; exit 0 whenever a result was printed
/// (also "no schema"), 2 for usage errors and algorithms that cannot be loaded.
fn stage(settings: &Settings, items: &[String], algorithm: Option<&std::path::Path>) -> ExitCode {
    let mut inputs = crate::domain::staging::StagingInputs::new();
    for item in items {
        match item.split_once('=') {
            Some((id, value)) if !id.trim().is_empty() => {
                inputs.set(id.trim(), value);
            }
            _ => {
                eprintln!("registrar stage: --item must be NAACCRID=VALUE, got '{item}'");
                return ExitCode::from(2);
            }
        }
    }
    let loaded = match algorithm {
        Some(path) => crate::domain::staging::load_algorithm(path)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display())),
        None => configured_algorithm(settings),
    };
    let algorithm = match loaded {
        Ok(Some(a)) => a,
        Ok(None) => {
            eprintln!(
                "registrar stage: no staging algorithm: pass --algorithm FILE.zip or install one with `registrar staging install FILE.zip`"
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("registrar stage: {e:#}");
            return ExitCode::from(2);
        }
    };
    let result = algorithm.stage(&inputs);
    println!("{}", result.to_json());
    ExitCode::SUCCESS
}

fn configured_algorithm(
    settings: &Settings,
) -> anyhow::Result<Option<crate::domain::staging::Algorithm>> {
    if !settings.staging_algorithm.trim().is_empty() {
        let path = std::path::Path::new(settings.staging_algorithm.trim());
        return Ok(Some(
            crate::domain::staging::load_algorithm(path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        ));
    }
    let url = DatabaseUrl::parse(&settings.database_url)?;
    db::migrate(&url)?;
    let mut conn = url.connect()?;
    crate::services::staging::load_configured(settings, &mut conn)
}

fn edits(file: &std::path::Path, set: &str) -> ExitCode {
    let Some(set) = crate::domain::edits::EditSet::parse(set) else {
        eprintln!("registrar: --set must be incidence, hospital or all");
        return ExitCode::from(2);
    };
    let started = std::time::Instant::now();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let today = chrono::Utc::now().date_naive();
    let summary = match crate::services::edits_file::run(file, set, today, &mut out) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("registrar: {e:#}");
            return ExitCode::from(2);
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let mut line = summary.to_json();
    if let Some(map) = line.as_object_mut() {
        map.insert("summary".into(), serde_json::Value::Bool(true));
        map.insert("editSet".into(), set.as_str().into());
        map.insert(
            "seconds".into(),
            serde_json::json!((seconds * 1000.0).round() / 1000.0),
        );
    }
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        return ExitCode::from(2);
    }
    eprintln!(
        "edits: {} tumors, {} errors, {} warnings in {seconds:.2} s ({:.0} tumors/s)",
        summary.tumors_checked,
        summary.errors,
        summary.warnings,
        summary.tumors_checked as f64 / seconds.max(1e-9)
    );
    if summary.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn pathology_screen(
    settings: &Settings,
    active_lists: bool,
    files: &[PathBuf],
) -> anyhow::Result<()> {
    use std::io::Write;
    let active;
    let pipeline: &crate::services::pathology::Pipeline = if active_lists {
        let url = DatabaseUrl::parse(&settings.database_url)?;
        db::migrate(&url)?;
        let pool = db::build_pool(&url, 1)?;
        let mut conn = pool.get()?;
        active = crate::services::screening_versions::active_pipeline(&mut conn)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        &active
    } else {
        crate::services::pathology::Pipeline::shared().map_err(|e| anyhow::anyhow!("{e}"))?
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for file in files {
        let bytes = std::fs::read(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        for raw in crate::domain::hl7::split_messages(&bytes) {
            let line = crate::services::pathology::screen_line(pipeline, &raw);
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

fn pathology_import(settings: &Settings, files: &[PathBuf]) -> anyhow::Result<()> {
    use crate::services::pathology::{Sender, Source, ingest};
    let url = DatabaseUrl::parse(&settings.database_url)?;
    db::migrate(&url)?;
    let pool = db::build_pool(&url, 1)?;
    let mut conn = pool.get()?;
    for file in files {
        let bytes = std::fs::read(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        let sender = Sender {
            actor: Actor::system("cli"),
            lab_token_id: None,
            file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
            facility_id: None,
        };
        let summary = ingest(&mut conn, Source::Upload, &bytes, &sender)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        println!("{}: {}", file.display(), summary.describe());
    }
    Ok(())
}

fn pathology_bench(settings: &Settings, reports: usize, per_file: usize) -> anyhow::Result<()> {
    use crate::services::pathology::{Sender, Source, ingest};
    let url = DatabaseUrl::parse(&settings.database_url)?;
    db::migrate(&url)?;
    let pool = db::build_pool(&url, 1)?;
    let mut conn = pool.get()?;
    let patients = crate::models::patient::count(&mut conn)?;
    let files = crate::services::pathology::bench_files(reports, per_file.max(1));
    let bytes: usize = files.iter().map(Vec::len).sum();
    let sender = Sender {
        actor: Actor::system("bench"),
        lab_token_id: None,
        file_name: None,
        facility_id: None,
    };
    let started = std::time::Instant::now();
    let mut total = crate::services::pathology::IngestSummary::default();
    for file in &files {
        let s =
            ingest(&mut conn, Source::Upload, file, &sender).map_err(|e| anyhow::anyhow!("{e}"))?;
        total.messages += s.messages;
        total.to_review += s.to_review;
        total.linked += s.linked;
        total.possible_match += s.possible_match;
        total.not_reportable += s.not_reportable;
        total.errors += s.errors;
        total.test += s.test;
        total.duplicates += s.duplicates;
        total.corrections += s.corrections;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "pathology ingest: {} reports ({} MB) against {patients} patients on {} in {secs:.1} s = {:.0} reports/s",
        total.messages,
        bytes / 1_000_000,
        url.backend_name(),
        total.messages as f64 / secs.max(1e-9)
    );
    println!("  {}", total.describe());
    Ok(())
}

fn followup(settings: Settings, command: FollowupCommand) -> anyhow::Result<()> {
    let url = DatabaseUrl::parse(&settings.database_url)?;
    db::migrate(&url)?;
    let pool = db::build_pool(&url, 2)?;
    let utc_today = chrono::Utc::now().date_naive();
    match command {
        FollowupCommand::Run { today } => {
            let today = today.unwrap_or(utc_today);
            let summary = {
                let mut conn = pool.get()?;
                crate::jobs::followup::run(&mut conn, &settings, today, false)?
            };
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            // The SMTP transport's connection pool starts a task: build it inside the runtime.
            let _runtime_context = runtime.enter();
            let mailer = crate::mail::Mailer::from_settings(&settings)?;
            let delivery = runtime.block_on(crate::jobs::outbox::deliver(
                &pool,
                &mailer,
                &settings,
                crate::models::now(),
            ))?;
            println!(
                "{}",
                serde_json::json!({ "job": summary, "delivery": delivery })
            );
        }
        FollowupCommand::Due { today } => {
            let mut conn = pool.get()?;
            let summary =
                crate::jobs::followup::run(&mut conn, &settings, today.unwrap_or(utc_today), true)?;
            println!("{}", serde_json::to_string(&summary)?);
        }
        FollowupCommand::Rates { today } => {
            let mut conn = pool.get()?;
            let today = today.unwrap_or(utc_today);
            let worksheet = crate::services::followup::worksheet(
                &mut conn,
                &settings,
                &crate::models::patient::Scope::All,
                today,
            )?;
            let reference = crate::services::followup::worksheet_reference(&settings);
            println!(
                "{}",
                crate::services::followup::rates_json(&worksheet, reference)
            );
        }
    }
    Ok(())
}
