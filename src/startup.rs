//! Builds the application: database pool and migrations, first-start admin, HTTP server with its
//! middleware and the route table. `Application::build` binds the port (0 = any free port, for tests).

use std::net::TcpListener;
use std::path::Path;

use actix_files::Files;
use actix_session::SessionMiddleware;
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use rand::RngCore;

use crate::auth::csrf;
use crate::config::Settings;
use crate::db::{self, DatabaseUrl, DbPool};
use crate::routes;
use crate::services::bootstrap::{FirstAdmin, ensure_first_admin};

/// What every handler can reach.
pub struct AppState {
    pub pool: DbPool,
    pub settings: Settings,
    /// The SEER staging algorithm in use (swapped whole on install).
    pub staging: std::sync::Arc<crate::services::staging::StagingState>,
}

pub struct Application {
    port: u16,
    server: Server,
    mllp_port: Option<u16>,
    /// Set on the very first start: the admin account and its one-time password.
    pub first_admin: Option<FirstAdmin>,
    /// The follow-up scheduler; stops with the application.
    scheduler: crate::jobs::scheduler::Scheduler,
}

/// Content-Security-Policy: no inline script or style, nothing from elsewhere, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

impl Application {
    pub fn build(settings: Settings) -> anyhow::Result<Application> {
        let url = DatabaseUrl::parse(&settings.database_url)?;
        let user_items =
            crate::services::abstracting::load_user_dictionaries(&settings.user_dictionaries)?;
        if user_items > 0 {
            tracing::info!(items = user_items, "user dictionary items loaded");
        }
        let applied = db::migrate(&url)?;
        if !applied.is_empty() {
            tracing::info!(
                count = applied.len(),
                backend = url.backend_name(),
                "migrations applied"
            );
        }
        let pool = db::build_pool(&url, settings.database_pool_size)?;
        let first_admin = {
            let mut conn = pool.get()?;
            // A run left queued or running by a stopped process never completed: say so.
            crate::models::submission::fail_interrupted_runs(&mut conn)?;
            crate::models::submission::fail_interrupted_imports(&mut conn)?;
            ensure_first_admin(&mut conn, &settings)
                .map_err(|e| anyhow::anyhow!("first start: {e}"))?
        };
        let key = session_key(&settings)?;
        let listener = TcpListener::bind((settings.bind_address.as_str(), settings.port))?;
        let port = listener.local_addr()?.port();
        let staging = std::sync::Arc::new(crate::services::staging::StagingState::default());
        crate::services::staging::activate(&pool, &settings, &staging)?;
        // Pathology uploads a stopped process left unread are read to the end.
        crate::services::pathology_uploads::resume_unfinished(&pool)?;
        let mllp_port = match settings.mllp_port {
            Some(p) => Some(crate::mllp::start(&settings.bind_address, p, pool.clone())?),
            None => None,
        };
        let mailer = crate::mail::Mailer::from_settings(&settings)?;
        let scheduler = crate::jobs::scheduler::start(pool.clone(), settings.clone(), mailer)?;
        let state = web::Data::new(AppState {
            pool,
            settings,
            staging,
        });
        let server = run(listener, state, key)?;
        Ok(Application {
            port,
            server,
            mllp_port,
            first_admin,
            scheduler,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The bound port of the MLLP listener, when it is on.
    pub fn mllp_port(&self) -> Option<u16> {
        self.mllp_port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.scheduler.stop();
        result
    }
}

/// The session key: from the settings, or generated once and kept in `data_dir/session.key`.
fn session_key(settings: &Settings) -> anyhow::Result<Key> {
    if !settings.session_key.is_empty() {
        let secret = settings.session_key.expose().as_bytes();
        anyhow::ensure!(
            secret.len() >= 32,
            "session_key must be at least 32 characters"
        );
        return Ok(Key::derive_from(secret));
    }
    let path = settings.data_dir.join("session.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let bytes = hex::decode(text.trim())?;
        anyhow::ensure!(
            bytes.len() >= 64,
            "{} is too short; delete it to make a new one",
            path.display()
        );
        return Ok(Key::from(&bytes));
    }
    let mut bytes = [0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    write_private(&path, &hex::encode(bytes))?;
    Ok(Key::from(&bytes))
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    options.open(path)?.write_all(text.as_bytes())?;
    Ok(())
}

fn run(listener: TcpListener, state: web::Data<AppState>, key: Key) -> anyhow::Result<Server> {
    let secure = state.settings.cookie_secure();
    let static_dir = static_dir();
    let server = HttpServer::new(move || {
        let session = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
            .cookie_name("registrar_session".into())
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .cookie_secure(secure)
            .build();
        App::new()
            .app_data(state.clone())
            .app_data(web::FormConfig::default().limit(1 << 20))
            .service(Files::new("/static", &static_dir).prefer_utf8(true))
            .configure(routes::configure)
            .wrap(from_fn(csrf::check))
            .wrap(session)
            .wrap(
                DefaultHeaders::new()
                    .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "same-origin"))
                    .add(("X-Frame-Options", "DENY"))
                    .add(("Cache-Control", "no-store")),
            )
    })
    .listen(listener)?
    .run();
    Ok(server)
}

/// `static/` beside the crate (development, tests) or beside the working directory.
fn static_dir() -> std::path::PathBuf {
    let local = std::path::PathBuf::from("static");
    if local.is_dir() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("static")
    }
}
