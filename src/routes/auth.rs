//! Sign in, sign out, and the idle-session probe.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono::Utc;
use serde::Deserialize;

use super::{Layout, db, see_other};
use crate::audit::{self, Action, Actor, AuditEvent};
use crate::auth::password::verify_password;
use crate::auth::{
    CurrentUser, SESSION_CSRF, SESSION_SEEN, SESSION_USER, csrf, session_csrf_token,
};
use crate::db::write_tx;
use crate::error::AppError;
use crate::models::user;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/session/status", web::get().to(session_status))
        .route("/session/keepalive", web::post().to(keepalive));
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
struct LoginPage {
    layout: Layout,
    next: String,
    email: String,
    error: Option<String>,
    expired: bool,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
}

/// Only local paths are followed after sign-in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".into(),
    }
}

async fn login_form(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<LoginQuery>,
) -> LoginPage {
    LoginPage {
        layout: Layout::anonymous(session_csrf_token(&session), &state),
        next: safe_next(query.next.as_deref()),
        email: String::new(),
        error: None,
        expired: query.expired.is_some(),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

enum Outcome {
    SignedIn(i64),
    Refused(String),
}

async fn login(
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let LoginForm {
        email,
        password,
        next,
    } = form.into_inner();
    let settings = state.settings.clone();
    let typed_email = email.clone();
    let lookup = email.clone();
    let account = db(&state, move |conn| Ok(user::find_by_email(conn, &lookup)?)).await?;
    // The password is checked outside any transaction: argon2 takes tens of milliseconds.
    let password_ok = match &account {
        Some(a) if !a.disabled => {
            let hash = a.password_hash.clone();
            web::block(move || verify_password(&password, &hash)).await?
        }
        _ => false,
    };
    let outcome = db(&state, move |conn| {
        write_tx(conn, |conn| {
            let wrong = || Outcome::Refused("E-mail or password is wrong.".into());
            let Some(account) = account else {
                audit::record(
                    conn,
                    &Actor::system("sign-in"),
                    &AuditEvent::new(Action::SignInFailed, "user").detail("unknown e-mail"),
                )?;
                return Ok(wrong());
            };
            let actor = Actor::user(account.id, &account.email);
            let now = crate::models::now();
            if let Some(until) = account.locked_until.filter(|u| *u > now) {
                audit::record(
                    conn,
                    &actor,
                    &AuditEvent::new(Action::SignInFailed, "user")
                        .id(account.id)
                        .detail("account locked"),
                )?;
                return Ok(Outcome::Refused(format!(
                    "This account is locked after {} failed sign-ins until {} UTC. Wait, or ask an \
                     administrator to reset the password.",
                    settings.login_max_failures,
                    until.format("%H:%M")
                )));
            }
            if account.disabled {
                audit::record(
                    conn,
                    &actor,
                    &AuditEvent::new(Action::SignInFailed, "user")
                        .id(account.id)
                        .detail("account disabled"),
                )?;
                return Ok(wrong());
            }
            if !password_ok {
                // Count from the stored row: concurrent failures must all count.
                let current = user::find(conn, account.id)?.unwrap_or(account);
                let lockout = chrono::Duration::minutes(i64::from(settings.login_lockout_minutes));
                let locked = user::record_failed_login(
                    conn,
                    &current,
                    settings.login_max_failures,
                    lockout,
                )?;
                let event = if locked {
                    AuditEvent::new(Action::AccountLocked, "user")
                        .id(current.id)
                        .detail("too many failed sign-ins")
                } else {
                    AuditEvent::new(Action::SignInFailed, "user")
                        .id(current.id)
                        .detail("wrong password")
                };
                audit::record(conn, &actor, &event)?;
                return Ok(if locked {
                    Outcome::Refused(format!(
                        "Too many failed sign-ins: the account is locked for {} minutes.",
                        settings.login_lockout_minutes
                    ))
                } else {
                    wrong()
                });
            }
            user::record_successful_login(conn, account.id)?;
            audit::record(
                conn,
                &actor,
                &AuditEvent::new(Action::SignIn, "user").id(account.id),
            )?;
            Ok::<_, AppError>(Outcome::SignedIn(account.id))
        })
    })
    .await?;
    match outcome {
        Outcome::SignedIn(user_id) => {
            session.renew();
            let stored = session
                .insert(SESSION_USER, user_id)
                .and_then(|_| session.insert(SESSION_SEEN, Utc::now().timestamp()))
                .and_then(|_| session.insert(SESSION_CSRF, csrf::new_token()));
            stored.map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))?;
            Ok(see_other(&safe_next(next.as_deref())))
        }
        Outcome::Refused(message) => {
            let page = LoginPage {
                layout: Layout::anonymous(session_csrf_token(&session), &state),
                next: safe_next(next.as_deref()),
                email: typed_email,
                error: Some(message),
                expired: false,
            };
            Ok(HttpResponse::Unauthorized()
                .content_type("text/html; charset=utf-8")
                .body(page.render()?))
        }
    }
}

async fn logout(
    state: web::Data<AppState>,
    session: Session,
    user: Option<CurrentUser>,
) -> Result<HttpResponse, AppError> {
    if let Some(user) = user {
        let actor = user.actor();
        db(&state, move |conn| {
            audit::record_now(
                conn,
                &actor,
                &AuditEvent::new(Action::SignOut, "user").id(actor.user_id.unwrap_or(0)),
            )?;
            Ok(())
        })
        .await?;
    }
    session.purge();
    Ok(see_other("/login"))
}

/// Seconds left before the idle sign-out; the page's script asks without counting as activity.
async fn session_status(state: web::Data<AppState>, session: Session) -> HttpResponse {
    let signed_in = session.get::<i64>(SESSION_USER).ok().flatten().is_some();
    let seen = session.get::<i64>(SESSION_SEEN).ok().flatten().unwrap_or(0);
    let limit = i64::from(state.settings.session_idle_seconds);
    let remaining = if signed_in {
        (seen + limit - Utc::now().timestamp()).max(0)
    } else {
        0
    };
    HttpResponse::Ok().json(serde_json::json!({ "signedIn": signed_in && remaining > 0, "remainingSeconds": remaining }))
}

async fn keepalive(_user: CurrentUser) -> HttpResponse {
    HttpResponse::NoContent().finish()
}
