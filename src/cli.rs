//! Command-line interface: `serve` (default), `migrate`, `create-user`, `demo`, `followup`.

use std::io::BufRead;
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
    /// Follow-up: run the letter job, compute the due list, print the CoC rates.
    Followup {
        #[command(subcommand)]
        command: FollowupCommand,
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
    let result = match cli.command.unwrap_or(Command::Serve) {
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
        Command::Followup { command } => followup(settings, command),
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
            let mailer = crate::mail::Mailer::from_settings(&settings)?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
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
            let worksheet = crate::services::followup::worksheet(&mut conn, &settings, today)?;
            let reference = crate::services::followup::worksheet_reference(&settings);
            println!(
                "{}",
                crate::services::followup::rates_json(&worksheet, reference)
            );
        }
    }
    Ok(())
}
