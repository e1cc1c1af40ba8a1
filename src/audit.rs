//! The append-only audit trail: who did what to which record, when, and each field's old → new
//! value. Every read of a patient page and every change of patient data writes one event, in the
//! same transaction as the change. The database refuses UPDATE and DELETE on the table (triggers).

use chrono::Utc;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::DbConn;
use crate::db::schema::audit_events;

/// Who acted: a signed-in user, a lab system, or the application itself (jobs, CLI).
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub label: String,
}

impl Actor {
    pub fn user(id: i64, email: &str) -> Self {
        Actor {
            user_id: Some(id),
            label: email.to_string(),
        }
    }
    pub fn system(what: &str) -> Self {
        Actor {
            user_id: None,
            label: format!("system:{what}"),
        }
    }
}

/// What was done. Stored as text so reports read plainly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
    Search,
    Export,
    Import,
    SignIn,
    SignInFailed,
    SignOut,
    AccountLocked,
    Denied,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Search => "search",
            Action::Export => "export",
            Action::Import => "import",
            Action::SignIn => "sign-in",
            Action::SignInFailed => "sign-in-failed",
            Action::SignOut => "sign-out",
            Action::AccountLocked => "account-locked",
            Action::Denied => "denied",
        }
    }

    pub const ALL: [Action; 12] = [
        Action::Read,
        Action::Create,
        Action::Update,
        Action::Delete,
        Action::Search,
        Action::Export,
        Action::Import,
        Action::SignIn,
        Action::SignInFailed,
        Action::SignOut,
        Action::AccountLocked,
        Action::Denied,
    ];
}

/// One field's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl FieldChange {
    /// Returns a change only when the values differ (empty counts as absent).
    pub fn between(field: &str, old: Option<&str>, new: Option<&str>) -> Option<FieldChange> {
        let norm = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let (old, new) = (norm(old), norm(new));
        (old != new).then(|| FieldChange {
            field: field.to_string(),
            old,
            new,
        })
    }
}

/// An event about to be written.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub action: Action,
    pub entity: &'static str,
    pub entity_id: Option<String>,
    pub patient_id: Option<i64>,
    pub facility_id: Option<i64>,
    pub changes: Vec<FieldChange>,
    /// Free text without PHI (e.g. the route that was refused, a count).
    pub detail: Option<String>,
}

impl AuditEvent {
    pub fn new(action: Action, entity: &'static str) -> Self {
        AuditEvent {
            action,
            entity,
            entity_id: None,
            patient_id: None,
            facility_id: None,
            changes: Vec::new(),
            detail: None,
        }
    }
    pub fn id(mut self, id: impl ToString) -> Self {
        self.entity_id = Some(id.to_string());
        self
    }
    pub fn patient(mut self, patient_id: i64, facility_id: i64) -> Self {
        self.patient_id = Some(patient_id);
        self.facility_id = Some(facility_id);
        self
    }
    pub fn facility(mut self, facility_id: i64) -> Self {
        self.facility_id = Some(facility_id);
        self
    }
    pub fn changes(mut self, changes: Vec<FieldChange>) -> Self {
        self.changes = changes;
        self
    }
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

// None is NULL (no column has a default): one statement shape, prepared once per connection.
#[derive(Insertable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
struct NewAuditRow<'a> {
    occurred_at: chrono::NaiveDateTime,
    user_id: Option<i64>,
    user_email: Option<&'a str>,
    facility_id: Option<i64>,
    action: &'a str,
    entity: &'a str,
    entity_id: Option<&'a str>,
    patient_id: Option<i64>,
    changes: Option<String>,
    detail: Option<&'a str>,
}

/// Writes one event in a transaction of its own: for events that go with no change (reads,
/// searches, refusals, sign-outs, exports).
pub fn record_now(conn: &mut DbConn, actor: &Actor, event: &AuditEvent) -> QueryResult<()> {
    crate::db::write_tx(conn, |conn| record(conn, actor, event))
}

fn new_row<'a>(actor: &'a Actor, event: &'a AuditEvent) -> QueryResult<NewAuditRow<'a>> {
    let changes = if event.changes.is_empty() {
        None
    } else {
        Some(
            serde_json::to_string(&event.changes)
                .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?,
        )
    };
    Ok(NewAuditRow {
        occurred_at: Utc::now().naive_utc(),
        user_id: actor.user_id,
        user_email: Some(&actor.label),
        facility_id: event.facility_id,
        action: event.action.as_str(),
        entity: event.entity,
        entity_id: event.entity_id.as_deref(),
        patient_id: event.patient_id,
        changes,
        detail: event.detail.as_deref(),
    })
}

/// Writes one event. Call it inside the transaction of the change it records.
pub fn record(conn: &mut DbConn, actor: &Actor, event: &AuditEvent) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(new_row(actor, event)?)
        .execute(conn)?;
    Ok(())
}

/// Writes many events (bulk changes such as imports: one event per patient) with multi-row
/// inserts. Call it inside the transaction of the changes they record.
pub fn record_many(conn: &mut DbConn, actor: &Actor, events: &[AuditEvent]) -> QueryResult<()> {
    for chunk in events.chunks(400) {
        let rows = chunk
            .iter()
            .map(|e| new_row(actor, e))
            .collect::<QueryResult<Vec<_>>>()?;
        // One multi-row statement on PostgreSQL; row by row on SQLite (see `db::sqlite_rows`).
        match conn {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite(c) => crate::db::sqlite_rows(c, |c| {
                rows.iter().try_fold(0, |n, row| {
                    Ok(n + diesel::insert_into(audit_events::table)
                        .values(row)
                        .execute(c)?)
                })
            })?,
            #[cfg(feature = "postgres")]
            DbConn::Pg(c) => diesel::insert_into(audit_events::table)
                .values(&rows)
                .execute(c)?,
        };
    }
    Ok(())
}
