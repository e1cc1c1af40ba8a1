//! Reading the audit trail (the admin page and its CSV download). Writing is `crate::audit`.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::audit_events;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub id: i64,
    pub occurred_at: chrono::NaiveDateTime,
    pub user_id: Option<i64>,
    pub user_email: Option<String>,
    pub facility_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub patient_id: Option<i64>,
    pub changes: Option<String>,
    pub detail: Option<String>,
}

impl AuditRow {
    pub fn field_changes(&self) -> Vec<crate::audit::FieldChange> {
        self.changes
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or_default()
    }
}

/// Filters of the audit page; empty ones are ignored.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub patient: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

fn day_start(text: &str) -> Option<chrono::NaiveDateTime> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// Events matching the filter, newest first. `after_id` pages backwards through them.
pub fn search(
    conn: &mut DbConn,
    filter: &AuditFilter,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut query = audit_events::table
        .select(AuditRow::as_select())
        .into_boxed();
    let user = filter.user.trim();
    if !user.is_empty() {
        query = query.filter(audit_events::user_email.eq(user.to_lowercase()));
    }
    if let Ok(patient) = filter.patient.trim().parse::<i64>() {
        query = query.filter(audit_events::patient_id.eq(patient));
    }
    let action = filter.action.trim();
    if !action.is_empty() {
        query = query.filter(audit_events::action.eq(action.to_string()));
    }
    if let Some(from) = day_start(&filter.from) {
        query = query.filter(audit_events::occurred_at.ge(from));
    }
    if let Some(to) = day_start(&filter.to) {
        query = query.filter(audit_events::occurred_at.lt(to + chrono::Duration::days(1)));
    }
    if let Some(before) = before_id {
        query = query.filter(audit_events::id.lt(before));
    }
    query.order(audit_events::id.desc()).limit(limit).load(conn)
}
