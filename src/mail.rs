//! Outgoing mail: SMTP through lettre (STARTTLS, implicit TLS or plain for a local relay, with
//! authentication), or `.eml` files in an outbox folder for development. Production refuses to start
//! without SMTP (`Settings::validate`).

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{Environment, Settings, SmtpTls};

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Development: one `.eml` file per message in the folder (created on the first message).
    File(AsyncFileTransport<Tokio1Executor>, std::path::PathBuf),
}

/// Why a message was not handed over.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The server refused for good (5xx): the address or the message is wrong.
    #[error("permanent failure: {0}")]
    Permanent(String),
    /// Try again later (4xx, connection refused, timeout).
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// The message could not be built (bad address): no retry helps.
    #[error("invalid message: {0}")]
    Invalid(String),
}

/// A letter ready to send.
pub struct OutgoingMail<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    pub message_id: &'a str,
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Mailer> {
        if !settings.smtp_configured() {
            anyhow::ensure!(
                settings.environment != Environment::Production,
                "production needs an SMTP server: set smtp_url or smtp_host"
            );
            return Ok(Mailer::File(
                AsyncFileTransport::new(&settings.outbox_dir),
                settings.outbox_dir.clone(),
            ));
        }
        let mut builder = if !settings.smtp_url.is_empty() {
            AsyncSmtpTransport::<Tokio1Executor>::from_url(settings.smtp_url.expose())?
        } else {
            let host = settings.smtp_host.trim();
            let (tls, default_port) = match settings.smtp_tls {
                SmtpTls::Starttls => (Tls::Required(TlsParameters::new(host.to_string())?), 587),
                SmtpTls::Implicit => (Tls::Wrapper(TlsParameters::new(host.to_string())?), 465),
                SmtpTls::None => (Tls::None, 25),
            };
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                .port(settings.smtp_port.unwrap_or(default_port))
                .tls(tls)
        };
        if !settings.smtp_user.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.smtp_user.clone(),
                settings.smtp_password.expose().to_string(),
            ));
        }
        Ok(Mailer::Smtp(
            builder.timeout(Some(Duration::from_secs(30))).build(),
        ))
    }

    pub async fn send(&self, mail: &OutgoingMail<'_>) -> Result<(), SendError> {
        let parse = |a: &str| {
            a.parse::<Mailbox>()
                .map_err(|e| SendError::Invalid(format!("address: {e}")))
        };
        let message = Message::builder()
            .from(parse(mail.from)?)
            .to(parse(mail.to)?)
            .subject(mail.subject)
            .message_id(Some(mail.message_id.to_string()))
            .multipart(MultiPart::alternative_plain_html(
                mail.text.to_string(),
                mail.html.to_string(),
            ))
            .map_err(|e| SendError::Invalid(e.to_string()))?;
        match self {
            Mailer::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    SendError::Permanent(e.to_string())
                } else {
                    SendError::Temporary(e.to_string())
                }
            }),
            Mailer::File(t, dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| SendError::Temporary(format!("outbox folder: {e}")))?;
                t.send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| SendError::Temporary(e.to_string()))
            }
        }
    }
}
