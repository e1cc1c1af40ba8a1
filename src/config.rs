//! Typed settings: defaults, then an optional TOML file, then `REGISTRAR_*` environment variables
//! (and `DATABASE_URL`). This is the only module that reads the environment.

use std::fmt;
use std::path::{Path, PathBuf};

use std::str::FromStr;

use serde::Deserialize;

/// Where the application runs. Production refuses unsafe defaults (plain-HTTP cookies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Production,
}

/// A secret value: never printed by `Debug` or `Display`.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Every setting of Registrar. The README lists each one with its file key and environment variable.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `development` or `production`.
    pub environment: Environment,
    /// Address the web server listens on.
    pub bind_address: String,
    /// Port of the web server; 0 picks a free port (tests).
    pub port: u16,
    /// `sqlite://registrar.db` (default) or `postgres://user@host/db`.
    pub database_url: String,
    /// Largest number of pooled database connections (SQLite is capped at 8).
    pub database_pool_size: u32,
    /// Folder for the session key and other files the application keeps.
    pub data_dir: PathBuf,
    /// Key that signs and encrypts session cookies (at least 64 bytes, hex or text). When empty a
    /// random key is generated once and kept in `data_dir/session.key`.
    pub session_key: Secret,
    /// A signed-in user who does nothing for this many seconds is signed out (default 1800 = 30 min).
    pub session_idle_seconds: u32,
    /// Send the session cookie only over HTTPS (defaults to true in production).
    pub cookie_secure: Option<bool>,
    /// Failed sign-ins in a row that lock an account.
    pub login_max_failures: u32,
    /// How long a locked account stays locked.
    pub login_lockout_minutes: u32,
    /// Shortest password a user may be given.
    pub password_min_length: usize,
    /// Code and name of the facility created on the first start.
    pub default_facility_code: String,
    pub default_facility_name: String,
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `registrar=debug`.
    pub log: String,
    /// A SEER staging algorithm zip to use instead of the installed one (empty: the algorithm
    /// installed with `registrar staging install`, or none).
    pub staging_algorithm: String,
    /// Folder of installed staging algorithms (empty: `data_dir/staging`).
    pub staging_dir: PathBuf,
    /// NAACCR user dictionary XML files loaded at start: their items are entered on the
    /// abstract's "all items" panel and exported/imported like any item.
    pub user_dictionaries: Vec<PathBuf>,
    /// Port of the MLLP listener for lab systems (HL7 over TCP); off when not set, 0 = any free port.
    pub mllp_port: Option<u16>,
    /// When the follow-up job runs: a 6-field cron expression, seconds first (`0 0 6 * * *` = 06:00 daily).
    pub followup_cron: String,
    /// The follow-up policy (file section `[follow_up]`).
    pub follow_up: crate::domain::followup::FollowUpRules,
    /// The registry's reference date (CoC worksheet), `YYYY-MM-DD`.
    pub reference_date: chrono::NaiveDate,
    /// SMTP server as one URL (`smtps://user:pass@host:465`, `smtp://host:587?tls=required`); wins over
    /// the host/port settings below.
    pub smtp_url: Secret,
    /// SMTP server host; empty (and no `smtp_url`) writes `.eml` files into `outbox_dir` instead.
    pub smtp_host: String,
    /// SMTP port; default 587 for STARTTLS, 465 for implicit TLS, 25 without TLS.
    pub smtp_port: Option<u16>,
    /// `starttls`, `implicit` or `none` (`none` only for a relay on the same machine).
    pub smtp_tls: SmtpTls,
    /// SMTP user (empty: no authentication).
    pub smtp_user: String,
    pub smtp_password: Secret,
    /// Sender of follow-up e-mails.
    pub mail_from: String,
    /// Development mail transport: one `.eml` file per message in this folder.
    pub outbox_dir: PathBuf,
    /// Public address of Registrar, for the response links in letters.
    pub public_base_url: String,
    /// Signature of follow-up letters.
    pub followup_registrar_name: String,
    pub followup_registrar_phone: String,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    Starttls,
    Implicit,
    None,
}

impl std::str::FromStr for SmtpTls {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "starttls" => Ok(SmtpTls::Starttls),
            "implicit" => Ok(SmtpTls::Implicit),
            "none" => Ok(SmtpTls::None),
            _ => Err("use starttls, implicit or none".into()),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            environment: Environment::Development,
            bind_address: "127.0.0.1".into(),
            port: 8080,
            database_url: "sqlite://registrar.db".into(),
            database_pool_size: 8,
            data_dir: PathBuf::from("data"),
            session_key: Secret::default(),
            session_idle_seconds: 1800,
            cookie_secure: None,
            login_max_failures: 5,
            login_lockout_minutes: 15,
            password_min_length: 12,
            default_facility_code: "0000000001".into(),
            default_facility_name: "Main facility".into(),
            log: "info".into(),
            staging_algorithm: String::new(),
            staging_dir: PathBuf::new(),
            user_dictionaries: Vec::new(),
            mllp_port: None,
            followup_cron: "0 0 6 * * *".into(),
            follow_up: crate::domain::followup::FollowUpRules::default(),
            reference_date: chrono::NaiveDate::from_ymd_opt(2010, 1, 1).unwrap_or_default(),
            smtp_url: Secret::default(),
            smtp_host: String::new(),
            smtp_port: None,
            smtp_tls: SmtpTls::Starttls,
            smtp_user: String::new(),
            smtp_password: Secret::default(),
            mail_from: "Registry <registry@registrar.local>".into(),
            outbox_dir: PathBuf::from("outbox"),
            public_base_url: "http://127.0.0.1:8080".into(),
            followup_registrar_name: "Registry office".into(),
            followup_registrar_phone: String::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the settings file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the settings file {path} is not valid: {message}")]
    File { path: PathBuf, message: String },
    #[error("environment variable {name}={value:?} is not valid: {message}")]
    Env {
        name: String,
        value: String,
        message: String,
    },
    #[error("setting {0}")]
    Invalid(String),
}

/// Names of the environment variables, in the order the README lists them.
pub const ENV_VARS: &[&str] = &[
    "REGISTRAR_CONFIG",
    "REGISTRAR_ENVIRONMENT",
    "REGISTRAR_BIND_ADDRESS",
    "REGISTRAR_PORT",
    "DATABASE_URL",
    "REGISTRAR_DATABASE_URL",
    "REGISTRAR_DATABASE_POOL_SIZE",
    "REGISTRAR_DATA_DIR",
    "REGISTRAR_SESSION_KEY",
    "REGISTRAR_SESSION_IDLE_SECONDS",
    "REGISTRAR_COOKIE_SECURE",
    "REGISTRAR_LOGIN_MAX_FAILURES",
    "REGISTRAR_LOGIN_LOCKOUT_MINUTES",
    "REGISTRAR_PASSWORD_MIN_LENGTH",
    "REGISTRAR_DEFAULT_FACILITY_CODE",
    "REGISTRAR_DEFAULT_FACILITY_NAME",
    "REGISTRAR_LOG",
    "REGISTRAR_STAGING_ALGORITHM",
    "REGISTRAR_STAGING_DIR",
    "REGISTRAR_MLLP_PORT",
    "REGISTRAR_FOLLOWUP_CRON",
    "REGISTRAR_REFERENCE_DATE",
    "REGISTRAR_SMTP_URL",
    "REGISTRAR_SMTP_HOST",
    "REGISTRAR_SMTP_PORT",
    "REGISTRAR_SMTP_TLS",
    "REGISTRAR_SMTP_USER",
    "REGISTRAR_SMTP_PASSWORD",
    "REGISTRAR_MAIL_FROM",
    "REGISTRAR_OUTBOX_DIR",
    "REGISTRAR_PUBLIC_BASE_URL",
    "REGISTRAR_FOLLOWUP_REGISTRAR_NAME",
    "REGISTRAR_FOLLOWUP_REGISTRAR_PHONE",
];

impl Settings {
    /// Loads the settings the way the binary does: `config_file` (or `REGISTRAR_CONFIG`, or
    /// `registrar.toml` when it exists), then the environment.
    pub fn load(config_file: Option<&Path>) -> Result<Settings, ConfigError> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let file = config_file
            .map(Path::to_path_buf)
            .or_else(|| env("REGISTRAR_CONFIG").map(PathBuf::from))
            .or_else(|| Some(PathBuf::from("registrar.toml")).filter(|p| p.exists()));
        let mut settings = match file {
            Some(path) => Settings::from_file(&path)?,
            None => Settings::default(),
        };
        settings.apply_env(env)?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn from_file(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Overrides settings from environment variables, read through `get` (tests pass a map).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parsed<T: std::str::FromStr>(name: &str, value: String) -> Result<T, ConfigError>
        where
            T::Err: fmt::Display,
        {
            value.trim().parse().map_err(|e: T::Err| ConfigError::Env {
                name: name.into(),
                value: value.clone(),
                message: e.to_string(),
            })
        }
        if let Some(v) = get("REGISTRAR_ENVIRONMENT") {
            self.environment = match v.trim().to_ascii_lowercase().as_str() {
                "development" => Environment::Development,
                "production" => Environment::Production,
                _ => {
                    return Err(ConfigError::Env {
                        name: "REGISTRAR_ENVIRONMENT".into(),
                        value: v,
                        message: "use development or production".into(),
                    });
                }
            };
        }
        if let Some(v) = get("REGISTRAR_BIND_ADDRESS") {
            self.bind_address = v;
        }
        if let Some(v) = get("REGISTRAR_PORT") {
            self.port = parsed("REGISTRAR_PORT", v)?;
        }
        if let Some(v) = get("DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = get("REGISTRAR_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = get("REGISTRAR_DATABASE_POOL_SIZE") {
            self.database_pool_size = parsed("REGISTRAR_DATABASE_POOL_SIZE", v)?;
        }
        if let Some(v) = get("REGISTRAR_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get("REGISTRAR_STAGING_ALGORITHM") {
            self.staging_algorithm = v;
        }
        if let Some(v) = get("REGISTRAR_STAGING_DIR") {
            self.staging_dir = PathBuf::from(v);
        }
        if let Some(v) = get("REGISTRAR_USER_DICTIONARIES") {
            self.user_dictionaries = v
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
                .collect();
        }
        if let Some(v) = get("REGISTRAR_SESSION_KEY") {
            self.session_key = Secret::new(v);
        }
        if let Some(v) = get("REGISTRAR_SESSION_IDLE_SECONDS") {
            self.session_idle_seconds = parsed("REGISTRAR_SESSION_IDLE_SECONDS", v)?;
        }
        if let Some(v) = get("REGISTRAR_COOKIE_SECURE") {
            self.cookie_secure = Some(parsed("REGISTRAR_COOKIE_SECURE", v)?);
        }
        if let Some(v) = get("REGISTRAR_LOGIN_MAX_FAILURES") {
            self.login_max_failures = parsed("REGISTRAR_LOGIN_MAX_FAILURES", v)?;
        }
        if let Some(v) = get("REGISTRAR_LOGIN_LOCKOUT_MINUTES") {
            self.login_lockout_minutes = parsed("REGISTRAR_LOGIN_LOCKOUT_MINUTES", v)?;
        }
        if let Some(v) = get("REGISTRAR_PASSWORD_MIN_LENGTH") {
            self.password_min_length = parsed("REGISTRAR_PASSWORD_MIN_LENGTH", v)?;
        }
        if let Some(v) = get("REGISTRAR_DEFAULT_FACILITY_CODE") {
            self.default_facility_code = v;
        }
        if let Some(v) = get("REGISTRAR_DEFAULT_FACILITY_NAME") {
            self.default_facility_name = v;
        }
        if let Some(v) = get("REGISTRAR_LOG") {
            self.log = v;
        }
        if let Some(v) = get("REGISTRAR_MLLP_PORT") {
            self.mllp_port = if v.trim().is_empty() {
                None
            } else {
                Some(parsed("REGISTRAR_MLLP_PORT", v)?)
            };
        }
        if let Some(v) = get("REGISTRAR_FOLLOWUP_CRON") {
            self.followup_cron = v;
        }
        if let Some(v) = get("REGISTRAR_REFERENCE_DATE") {
            self.reference_date = parsed("REGISTRAR_REFERENCE_DATE", v)?;
        }
        if let Some(v) = get("REGISTRAR_SMTP_URL") {
            self.smtp_url = Secret::new(v);
        }
        if let Some(v) = get("REGISTRAR_SMTP_HOST") {
            self.smtp_host = v;
        }
        if let Some(v) = get("REGISTRAR_SMTP_PORT") {
            self.smtp_port = Some(parsed("REGISTRAR_SMTP_PORT", v)?);
        }
        if let Some(v) = get("REGISTRAR_SMTP_TLS") {
            self.smtp_tls = parsed("REGISTRAR_SMTP_TLS", v)?;
        }
        if let Some(v) = get("REGISTRAR_SMTP_USER") {
            self.smtp_user = v;
        }
        if let Some(v) = get("REGISTRAR_SMTP_PASSWORD") {
            self.smtp_password = Secret::new(v);
        }
        if let Some(v) = get("REGISTRAR_MAIL_FROM") {
            self.mail_from = v;
        }
        if let Some(v) = get("REGISTRAR_OUTBOX_DIR") {
            self.outbox_dir = PathBuf::from(v);
        }
        if let Some(v) = get("REGISTRAR_PUBLIC_BASE_URL") {
            self.public_base_url = v;
        }
        if let Some(v) = get("REGISTRAR_FOLLOWUP_REGISTRAR_NAME") {
            self.followup_registrar_name = v;
        }
        if let Some(v) = get("REGISTRAR_FOLLOWUP_REGISTRAR_PHONE") {
            self.followup_registrar_phone = v;
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.session_idle_seconds == 0 {
            return Err(ConfigError::Invalid(
                "session_idle_seconds must be at least 1".into(),
            ));
        }
        if self.session_idle_seconds < 60 && self.environment == Environment::Production {
            return Err(ConfigError::Invalid(
                "session_idle_seconds must be at least 60".into(),
            ));
        }
        if self.login_max_failures == 0 {
            return Err(ConfigError::Invalid(
                "login_max_failures must be at least 1".into(),
            ));
        }
        if self.password_min_length < 8 {
            return Err(ConfigError::Invalid(
                "password_min_length must be at least 8".into(),
            ));
        }
        if self.environment == Environment::Production && self.cookie_secure == Some(false) {
            return Err(ConfigError::Invalid(
                "cookie_secure = false is refused in production: serve Registrar over HTTPS".into(),
            ));
        }
        if let Err(e) = cron::Schedule::from_str(&self.followup_cron) {
            return Err(ConfigError::Invalid(format!(
                "followup_cron {:?} is not a 6-field cron expression (seconds first, e.g. \"0 0 6 * * *\"): {e}",
                self.followup_cron
            )));
        }
        if self.environment == Environment::Production && !self.smtp_configured() {
            return Err(ConfigError::Invalid(
                "production needs an SMTP server for follow-up mail: set smtp_url or smtp_host"
                    .into(),
            ));
        }
        if self.follow_up.max_requests == 0 {
            return Err(ConfigError::Invalid(
                "follow_up.max_requests must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// Where installed staging algorithms are kept.
    pub fn staging_dir(&self) -> PathBuf {
        if self.staging_dir.as_os_str().is_empty() {
            self.data_dir.join("staging")
        } else {
            self.staging_dir.clone()
        }
    }

    /// True when mail goes to an SMTP server (otherwise `.eml` files in `outbox_dir`).
    pub fn smtp_configured(&self) -> bool {
        !self.smtp_url.is_empty() || !self.smtp_host.trim().is_empty()
    }

    pub fn cookie_secure(&self) -> bool {
        self.cookie_secure
            .unwrap_or(self.environment == Environment::Production)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn environment_overrides_file_values_and_bad_values_are_named() {
        let mut s: Settings = toml::from_str("port = 9000\nsession_idle_seconds = 600").unwrap();
        assert_eq!(s.port, 9000);
        let env: HashMap<&str, &str> = [
            ("DATABASE_URL", "postgres://localhost/reg"),
            ("REGISTRAR_SESSION_IDLE_SECONDS", "2700"),
        ]
        .into();
        s.apply_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(s.database_url, "postgres://localhost/reg");
        assert_eq!(s.session_idle_seconds, 2700);
        assert_eq!(s.port, 9000);

        let err = s
            .apply_env(|k| (k == "REGISTRAR_PORT").then(|| "eighty".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("REGISTRAR_PORT"), "{err}");
    }

    #[test]
    fn unknown_file_keys_are_refused_and_secrets_are_not_printed() {
        assert!(toml::from_str::<Settings>("prot = 1").is_err());
        let s: Settings = toml::from_str("session_key = \"very-secret\"").unwrap();
        assert!(!format!("{s:?}").contains("very-secret"));
    }
}
