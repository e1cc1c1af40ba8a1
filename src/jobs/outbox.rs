//! The outbox sender: hands queued follow-up e-mails to the mailer, records each attempt, retries
//! temporary failures (4xx, connection problems) with exponential backoff, and on a permanent
//! failure (5xx) marks the address invalid, the letter bounced and the request bounced, which puts
//! the patient on the "needs another contact" list. Letters are never deleted.

use chrono::{NaiveDateTime, TimeDelta};
use serde::Serialize;

use crate::audit::{self, Action, Actor, AuditEvent, FieldChange};
use crate::config::Settings;
use crate::db::{DbPool, write_tx};
use crate::mail::{Mailer, OutgoingMail, SendError};
use crate::models::followup as rows;
use crate::models::patient::{self, Scope};

/// Attempts before a temporarily failing letter is given up ("failed").
pub const MAX_ATTEMPTS: i32 = 8;

/// Letters taken per batch.
const BATCH: i64 = 200;

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DeliverySummary {
    pub sent: u64,
    pub retry: u64,
    pub bounced: u64,
    pub failed: u64,
}

/// Wait before attempt `attempts + 1`: 1, 2, 4, 8 ... minutes, at most a day.
pub fn backoff(attempts: i32) -> TimeDelta {
    let exp = u32::try_from(attempts.clamp(1, 11) - 1).unwrap_or(0);
    TimeDelta::minutes((1i64 << exp).min(24 * 60))
}

async fn blocking<T: Send + 'static>(
    pool: &DbPool,
    work: impl FnOnce(&mut crate::db::DbConn) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await?
}

/// Letters handed to the SMTP server at the same time (each on its own pooled connection): one
/// at a time, a round trip per SMTP command made delivery latency-bound (about 20 mails/s).
const IN_FLIGHT: usize = 8;

/// What became of one letter.
enum Delivered {
    NotClaimed,
    Sent,
    Retry,
    Failed,
    Bounced,
}

/// Delivers every letter due at `now` (queued, or a retry whose time has come).
pub async fn deliver(
    pool: &DbPool,
    mailer: &Mailer,
    settings: &Settings,
    now: NaiveDateTime,
) -> anyhow::Result<DeliverySummary> {
    let mut summary = DeliverySummary::default();
    let mut done_ids = std::collections::HashSet::new();
    loop {
        let ids = blocking(pool, move |conn| Ok(rows::deliverable(conn, now, BATCH)?)).await?;
        let ids: Vec<i64> = ids.into_iter().filter(|id| done_ids.insert(*id)).collect();
        if ids.is_empty() {
            break;
        }
        let mut pending = ids.into_iter();
        let mut in_flight = tokio::task::JoinSet::new();
        loop {
            while in_flight.len() < IN_FLIGHT {
                let Some(id) = pending.next() else { break };
                let (pool, mailer, from) =
                    (pool.clone(), mailer.clone(), settings.mail_from.clone());
                in_flight.spawn(async move { deliver_one(&pool, &mailer, &from, id, now).await });
            }
            let Some(joined) = in_flight.join_next().await else {
                break;
            };
            match joined?? {
                Delivered::NotClaimed => {}
                Delivered::Sent => summary.sent += 1,
                Delivered::Retry => summary.retry += 1,
                Delivered::Failed => summary.failed += 1,
                Delivered::Bounced => summary.bounced += 1,
            }
        }
    }
    Ok(summary)
}

/// Claims one letter (so no other sender takes it), hands it to the mailer and records the outcome.
async fn deliver_one(
    pool: &DbPool,
    mailer: &Mailer,
    from: &str,
    id: i64,
    now: NaiveDateTime,
) -> anyhow::Result<Delivered> {
    let claimed = blocking(pool, move |conn| {
        if rows::claim_letter(conn, id, now)? {
            Ok(rows::find_letter(conn, id)?)
        } else {
            Ok(None)
        }
    })
    .await?;
    let Some(letter) = claimed else {
        return Ok(Delivered::NotClaimed);
    };
    let message_id = format!("<followup-{}-{}@registrar>", letter.id, letter.attempts + 1);
    let result = mailer
        .send(&OutgoingMail {
            from,
            to: &letter.to_address,
            subject: &letter.subject,
            text: &letter.body_text,
            html: &letter.body_html,
            message_id: &message_id,
        })
        .await;
    let attempts = letter.attempts + 1;
    match result {
        Ok(()) => {
            blocking(pool, move |conn| {
                rows::record_attempt(
                    conn,
                    id,
                    "sent",
                    attempts,
                    now,
                    None,
                    Some(message_id),
                    Some(crate::models::now()),
                )?;
                Ok(())
            })
            .await?;
            Ok(Delivered::Sent)
        }
        Err(SendError::Temporary(error)) => {
            let failed = attempts >= MAX_ATTEMPTS;
            let state = if failed { "failed" } else { "retry" };
            tracing::warn!(
                letter = id,
                attempts,
                state,
                "follow-up e-mail not delivered"
            );
            let request_id = letter.request_id;
            blocking(pool, move |conn| {
                write_tx(conn, |conn| -> anyhow::Result<()> {
                    rows::record_attempt(
                        conn,
                        id,
                        state,
                        attempts,
                        now + backoff(attempts),
                        Some(error),
                        None,
                        None,
                    )?;
                    if failed {
                        rows::set_request_state(conn, request_id, "undelivered")?;
                    }
                    Ok(())
                })
            })
            .await?;
            Ok(if failed {
                Delivered::Failed
            } else {
                Delivered::Retry
            })
        }
        Err(SendError::Permanent(error)) | Err(SendError::Invalid(error)) => {
            tracing::warn!(letter = id, "follow-up e-mail refused permanently");
            let request_id = letter.request_id;
            blocking(pool, move |conn| {
                bounce(conn, id, request_id, attempts, now, error)
            })
            .await?;
            Ok(Delivered::Bounced)
        }
    }
}

/// A permanent failure: the letter is bounced, the request too, the contact's address invalid.
fn bounce(
    conn: &mut crate::db::DbConn,
    letter_id: i64,
    request_id: i64,
    attempts: i32,
    now: NaiveDateTime,
    error: String,
) -> anyhow::Result<()> {
    write_tx(conn, |conn| -> anyhow::Result<()> {
        rows::record_attempt(
            conn,
            letter_id,
            "bounced",
            attempts,
            now,
            Some(error.clone()),
            None,
            None,
        )?;
        rows::set_request_state(conn, request_id, "bounced")?;
        let Some(request) = rows::find_request(conn, request_id)? else {
            return Ok(());
        };
        let facility = patient::find_scoped(conn, &Scope::All, request.patient_id)?
            .map(|p| p.facility_id)
            .unwrap_or_default();
        if let Some(contact_id) = request.contact_id
            && let Some(mut contact) = rows::find_contact(conn, contact_id)?
        {
            let change = FieldChange::between("invalid", Some("false"), Some("true"));
            contact.invalid = true;
            contact.invalid_reason = Some(format!("e-mail bounced: {error}"));
            rows::save_contact(conn, &mut contact)?;
            audit::record(
                conn,
                &Actor::system("outbox"),
                &AuditEvent::new(Action::Update, "followup_contact")
                    .id(contact.id)
                    .patient(request.patient_id, facility)
                    .changes(change.into_iter().collect())
                    .detail(format!("letter {letter_id} bounced")),
            )?;
        }
        Ok(())
    })
}
