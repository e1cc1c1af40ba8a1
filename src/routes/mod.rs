//! The route table and what every page shares (the layout, the form field view, the DB runner).
//! Handlers are thin: extract → service → template or redirect.

pub mod abstracting;
pub mod admin;
pub mod auth;
pub mod followup;
pub mod pathology;
pub mod patients;
pub mod qc;
pub mod screening;
pub mod staging;
pub mod submissions;
pub mod worklist;

use actix_web::{HttpResponse, http::header, web};

use crate::auth::CurrentUser;
use crate::db::DbConn;
use crate::domain::fields::{FieldKind, FieldSpec, choices, describe};
use crate::error::AppError;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .configure(auth::configure)
        .configure(worklist::configure)
        .configure(patients::configure)
        .configure(pathology::configure)
        .configure(screening::configure)
        .configure(admin::configure)
        .configure(staging::configure)
        .configure(abstracting::configure)
        .configure(qc::configure)
        .configure(submissions::configure)
        .configure(followup::configure);
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Runs database work on the blocking pool with a pooled connection (never held across an await).
pub async fn db<T, F>(state: &web::Data<AppState>, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
{
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await?
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

/// What the base template needs.
pub struct Layout {
    pub signed_in: bool,
    pub user_name: String,
    pub role: &'static str,
    pub is_admin: bool,
    pub can_edit: bool,
    pub csrf: String,
    pub idle_seconds: u32,
    pub idle_minutes: u32,
    pub notice: Option<String>,
}

impl Layout {
    pub fn new(user: &CurrentUser, state: &AppState) -> Layout {
        Layout {
            signed_in: true,
            user_name: user.name.clone(),
            role: user.role.as_str(),
            is_admin: user.is_admin(),
            can_edit: user.can_edit(),
            csrf: user.csrf_token.clone(),
            idle_seconds: state.settings.session_idle_seconds,
            idle_minutes: state.settings.session_idle_seconds.div_ceil(60),
            notice: None,
        }
    }

    pub fn anonymous(csrf: String, state: &AppState) -> Layout {
        Layout {
            signed_in: false,
            user_name: String::new(),
            role: "",
            is_admin: false,
            can_edit: false,
            csrf,
            idle_seconds: state.settings.session_idle_seconds,
            idle_minutes: state.settings.session_idle_seconds.div_ceil(60),
            notice: None,
        }
    }

    pub fn notice(mut self, notice: Option<&str>) -> Layout {
        self.notice = notice.map(str::to_string);
        self
    }
}

/// A form field as the `_macros.html` `field` macro renders it.
pub struct FormField {
    pub id: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub value: String,
    pub description: String,
    pub error: Option<String>,
    pub required: bool,
    pub choices: Vec<(String, String)>,
}

impl FormField {
    /// Builds the view of a field from its spec, its current (or typed) value and its error.
    pub fn new(
        spec: &FieldSpec,
        value: Option<&str>,
        error: Option<&String>,
        shown_as_typed: bool,
    ) -> FormField {
        let stored = value.unwrap_or("");
        let value = match spec.kind {
            // Stored dates are CCYYMMDD; a person reads and types 2024-03-15.
            FieldKind::Date if !shown_as_typed => crate::domain::date::PartialDate::parse(stored)
                .map(|d| d.display_iso())
                .unwrap_or_else(|_| stored.to_string()),
            _ => stored.to_string(),
        };
        let description = match spec.kind {
            FieldKind::Code | FieldKind::PrimarySite | FieldKind::Histology => {
                describe(spec.naaccr_id, value.trim()).unwrap_or_default()
            }
            _ => String::new(),
        };
        FormField {
            id: spec.naaccr_id,
            label: spec.label,
            kind: match spec.kind {
                FieldKind::Code => "code",
                FieldKind::Date => "date",
                FieldKind::Text | FieldKind::PrimarySite | FieldKind::Histology => "text",
            },
            value,
            description,
            error: error.cloned(),
            required: spec.required,
            choices: if spec.kind == FieldKind::Code {
                choices(spec.naaccr_id)
            } else {
                Vec::new()
            },
        }
    }
}

/// A stored value for display: dates as YYYY-MM-DD, codes with their description.
pub fn shown(naaccr_id: &str, value: Option<&str>) -> String {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return String::new();
    };
    if naaccr_id == "socialSecurityNumber" {
        // Minimum necessary: pages show the last four digits; the edit form holds the full number.
        return format!(
            "***-**-{}",
            value.get(value.len().saturating_sub(4)..).unwrap_or("")
        );
    }
    if crate::domain::fields::is_date_item(naaccr_id)
        && let Ok(date) = crate::domain::date::PartialDate::parse(value)
    {
        return date.display_iso();
    }
    match describe(naaccr_id, value) {
        Some(d) => format!("{value} – {d}"),
        None => value.to_string(),
    }
}
