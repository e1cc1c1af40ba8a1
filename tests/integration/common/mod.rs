//! The test harness: `spawn_app()` starts Registrar on a free port with its own database.

#![allow(dead_code)]

pub mod browser;

use std::collections::HashMap;

use registrar::auth::Role;
use registrar::auth::password::hash_password;
use registrar::config::Settings;
use registrar::db::{self, DatabaseUrl, DbConn, DbPool};
use registrar::models::{facility, user};
use registrar::startup::Application;

/// The environment variable naming a PostgreSQL server (any database on it) for the PostgreSQL run.
pub const PG_ENV: &str = "REGISTRAR_TEST_DATABASE_URL";

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub admin_email: String,
    pub admin_password: String,
    pub pool: DbPool,
    pub database_url: String,
    pub settings: Settings,
    _dir: tempfile::TempDir,
    pg_database: Option<(String, String)>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.pg_database {
            drop_pg_database(admin_url, name);
        }
    }
}

#[cfg(feature = "postgres")]
fn create_pg_database(admin_url: &str) -> (String, String) {
    use diesel::{Connection, RunQueryDsl};
    let name = format!("registrar_test_{}", uuid_like());
    let mut conn =
        diesel::PgConnection::establish(admin_url).expect("connect to the PostgreSQL test server");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .expect("create test database");
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(admin_url);
    (format!("{base}/{name}"), name)
}

#[cfg(not(feature = "postgres"))]
fn create_pg_database(_admin_url: &str) -> (String, String) {
    panic!("{PG_ENV} is set but this test binary was built without `--features postgres`");
}

#[cfg(feature = "postgres")]
fn drop_pg_database(admin_url: &str, name: &str) {
    use diesel::{Connection, RunQueryDsl};
    let dropped = diesel::PgConnection::establish(admin_url)
        .map_err(|e| e.to_string())
        .and_then(|mut conn| {
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .map_err(|e| e.to_string())
        });
    if let Err(e) = dropped {
        eprintln!("could not drop test database {name}: {e}");
    }
}

#[cfg(not(feature = "postgres"))]
fn drop_pg_database(_admin_url: &str, _name: &str) {}

fn uuid_like() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn test_settings(dir: &std::path::Path) -> Settings {
    Settings {
        port: 0,
        data_dir: dir.join("data"),
        database_url: format!("sqlite://{}", dir.join("registrar.db").display()),
        log: std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into()),
        ..Settings::default()
    }
}

/// Starts the application with default test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the application after `adjust` changed the settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(dir.path());
    let mut pg_database = None;
    if let Ok(admin_url) = std::env::var(PG_ENV) {
        let (url, name) = create_pg_database(&admin_url);
        settings.database_url = url;
        pg_database = Some((admin_url, name));
    }
    adjust(&mut settings);
    registrar::telemetry::init(&settings.log);
    let app = Application::build(settings.clone()).expect("application builds");
    let first = app
        .first_admin
        .as_ref()
        .expect("first start creates an admin");
    let (admin_email, admin_password) = (first.email.clone(), first.password.clone());
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    let url = DatabaseUrl::parse(&settings.database_url).expect("url");
    let pool = db::build_pool(&url, 2).expect("pool");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        admin_email,
        admin_password,
        pool,
        database_url: settings.database_url.clone(),
        settings,
        _dir: dir,
        pg_database,
    }
}

/// A browser-like HTTP client: keeps cookies, does not follow redirects (tests look at them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The value of the first `name="csrf_token"` field of a page.
pub fn csrf_of(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn conn(&self) -> db::PooledConn {
        self.pool.get().expect("connection")
    }

    /// GETs a page and returns (status, body).
    pub async fn get(&self, client: &reqwest::Client, path: &str) -> (u16, String) {
        let response = client.get(self.url(path)).send().await.expect("GET");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    /// The CSRF token of the client's session (read from a page that carries one).
    pub async fn csrf(&self, client: &reqwest::Client) -> String {
        let (_, body) = self.get(client, "/login").await;
        if let Some(token) = csrf_of(&body) {
            return token;
        }
        let (_, body) = self.get(client, "/").await;
        csrf_of(&body).expect("a page with a CSRF token")
    }

    /// POSTs a form with the session's CSRF token added; returns the response.
    pub async fn post_form(
        &self,
        client: &reqwest::Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf(client).await;
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(fields);
        client
            .post(self.url(path))
            .form(&form)
            .send()
            .await
            .expect("POST")
    }

    /// Signs `client` in; panics unless the sign-in succeeded.
    pub async fn login(&self, client: &reqwest::Client, email: &str, password: &str) {
        let response = self.try_login(client, email, password).await;
        assert_eq!(response.status().as_u16(), 303, "sign-in of {email} failed");
    }

    pub async fn try_login(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        self.post_form(
            client,
            "/login",
            &[("email", email), ("password", password), ("next", "/")],
        )
        .await
    }

    /// A signed-in client for the first admin.
    pub async fn admin_client(&self) -> reqwest::Client {
        let c = client();
        self.login(&c, &self.admin_email.clone(), &self.admin_password.clone())
            .await;
        c
    }

    /// Creates a facility (if needed) and returns its id.
    pub fn facility(&self, code: &str) -> i64 {
        let mut conn = self.conn();
        match facility::find_by_code(&mut conn, code).expect("query") {
            Some(f) => f.id,
            None => {
                facility::create(&mut conn, code, &format!("Facility {code}"))
                    .expect("facility")
                    .id
            }
        }
    }

    /// Creates a user with a role and facilities (by code); returns (email, password).
    pub fn user(&self, name: &str, role: Role, facilities: &[&str]) -> (String, String) {
        let email = format!("{name}@test.example");
        let password = format!("{name}-password-123");
        let ids: Vec<i64> = facilities.iter().map(|c| self.facility(c)).collect();
        let mut conn = self.conn();
        let created = user::create(
            &mut conn,
            &user::NewUser {
                email: &email,
                name,
                password_hash: &hash_password(&password).expect("hash"),
                role,
                sees_all_facilities: false,
            },
        )
        .expect("user");
        user::set_facilities(&mut conn, created.id, &ids).expect("facilities");
        (email, password)
    }

    /// A signed-in client for a new user.
    pub async fn client_for(&self, name: &str, role: Role, facilities: &[&str]) -> reqwest::Client {
        let (email, password) = self.user(name, role, facilities);
        let c = client();
        self.login(&c, &email, &password).await;
        c
    }

    /// Creates a patient through the page, as a registrar would; returns its id.
    pub async fn create_patient(
        &self,
        client: &reqwest::Client,
        facility_id: i64,
        fields: &[(&str, &str)],
    ) -> i64 {
        let facility = facility_id.to_string();
        let mut form: Vec<(&str, &str)> = vec![("facility", facility.as_str())];
        form.extend_from_slice(fields);
        let response = self.post_form(client, "/patients", &form).await;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_string)
            .unwrap_or_default();
        assert_eq!(
            status,
            303,
            "patient not created: {}",
            response.text().await.unwrap_or_default()
        );
        location
            .trim_start_matches("/patients/")
            .split('?')
            .next()
            .and_then(|id| id.parse().ok())
            .expect("redirect to the new patient")
    }

    /// Audit rows as (action, entity, patient_id, changes, detail), oldest first.
    pub fn audit_rows(&self) -> Vec<registrar::models::audit_log::AuditRow> {
        let mut conn = self.conn();
        let mut rows = registrar::models::audit_log::search(
            &mut conn,
            &registrar::models::audit_log::AuditFilter::default(),
            None,
            100_000,
        )
        .expect("audit");
        rows.reverse();
        rows
    }
}

/// A standard synthetic patient.
pub fn patient_fields<'a>(last: &'a str, first: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("nameLast", last),
        ("nameFirst", first),
        ("dateOfBirth", "1958-03-21"),
        ("sexAssignedAtBirth", "2"),
        ("medicalRecordNumber", "MRN-0001"),
        ("socialSecurityNumber", "900551234"),
    ]
}

pub fn form_map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Which backend this run uses.
pub fn backend(conn: &DbConn) -> &'static str {
    db::backend_of(conn)
}
