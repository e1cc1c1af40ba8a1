//! The one application error. Handlers return `Result<_, AppError>`; the response is an HTML page
//! that says what the user can do. Causes of server errors are logged, never shown.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("sign-in required")]
    SignInRequired { next: String, expired: bool },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("background task failed: {0}")]
    Blocking(#[from] actix_web::error::BlockingError),
    #[error(transparent)]
    Template(#[from] askama::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
}

impl AppError {
    fn public_message(&self) -> (&'static str, String) {
        match self {
            AppError::NotFound => (
                "Not found",
                "There is no such page or record, or it is not in your facilities.".into(),
            ),
            AppError::Forbidden(_) => (
                "Not allowed",
                "Your role does not allow this. The attempt has been recorded.".into(),
            ),
            AppError::SignInRequired { .. } => ("Sign in", "Please sign in.".into()),
            AppError::BadRequest(m) => ("Cannot do that", m.clone()),
            AppError::Conflict(m) => ("Changed meanwhile", m.clone()),
            _ => (
                "Something went wrong",
                "The error has been logged. Nothing was saved by this request; please try again."
                    .into(),
            ),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::SignInRequired { next, expired } = self {
            let mut location = format!("/login?next={}", urlencode(next));
            if *expired {
                location.push_str("&expired=1");
            }
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .finish();
        }
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %self, cause = ?self, "request failed");
        }
        let (title, message) = self.public_message();
        let body = ErrorPage {
            status: status.as_u16(),
            title,
            message: &message,
        }
        .render()
        .unwrap_or_else(|_| format!("{} {}", status.as_u16(), title));
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}

/// Percent-encodes a value for a query string.
pub fn urlencode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
