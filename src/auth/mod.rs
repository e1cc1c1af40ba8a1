//! Who is asking, and what their role allows. Role checks are extractors: a handler that takes
//! `Authorized<EditPatients>` cannot run for a reviewer, and the refusal is audited.

pub mod csrf;
pub mod password;

use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use chrono::Utc;

use crate::audit::{self, Action, Actor, AuditEvent};
use crate::error::AppError;
use crate::models::patient::Scope;
use crate::models::user;
use crate::startup::AppState;

/// The three roles of Registrar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Users, settings, audit; may also abstract.
    Admin,
    /// Abstracting, follow-up, submissions.
    Registrar,
    /// Read and quality control.
    Reviewer,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "admin" => Some(Role::Admin),
            "registrar" => Some(Role::Registrar),
            "reviewer" => Some(Role::Reviewer),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Registrar => "registrar",
            Role::Reviewer => "reviewer",
        }
    }
    pub const ALL: [Role; 3] = [Role::Admin, Role::Registrar, Role::Reviewer];
}

/// Session keys.
pub(crate) const SESSION_USER: &str = "uid";
pub(crate) const SESSION_SEEN: &str = "seen";
pub(crate) const SESSION_CSRF: &str = "csrf";

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub scope: Scope,
    pub csrf_token: String,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor::user(self.id, &self.email)
    }
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
    pub fn can_edit(&self) -> bool {
        EditPatients::allows(self.role)
    }
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))
}

fn sign_in_required(req: &HttpRequest, expired: bool) -> AppError {
    let next = if req.method() == actix_web::http::Method::GET {
        req.uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into())
    } else {
        // After a POST the form page is the place to go back to; the browser kept its draft.
        req.headers()
            .get(actix_web::http::header::REFERER)
            .and_then(|r| r.to_str().ok())
            .and_then(|r| {
                r.find("//")
                    .and_then(|i| r[i + 2..].find('/').map(|j| r[i + 2 + j..].to_string()))
            })
            .unwrap_or_else(|| "/".into())
    };
    AppError::SignInRequired { next, expired }
}

/// The CSRF token of this browser session, created when missing.
pub fn session_csrf_token(session: &Session) -> String {
    match session.get::<String>(SESSION_CSRF) {
        Ok(Some(token)) => token,
        _ => {
            let token = csrf::new_token();
            if let Err(e) = session.insert(SESSION_CSRF, &token) {
                tracing::error!(error = %e, "cannot store the CSRF token in the session");
            }
            token
        }
    }
}

async fn load_current_user(req: HttpRequest) -> Result<CurrentUser, AppError> {
    let state = app_state(&req)?;
    let session = req.get_session();
    let Some(user_id) = session.get::<i64>(SESSION_USER).ok().flatten() else {
        return Err(sign_in_required(&req, false));
    };
    let now = Utc::now().timestamp();
    let idle_limit = i64::from(state.settings.session_idle_seconds);
    let seen = session.get::<i64>(SESSION_SEEN).ok().flatten().unwrap_or(0);
    if now - seen > idle_limit {
        session.purge();
        return Err(sign_in_required(&req, true));
    }
    let pool = state.pool.clone();
    let loaded = web::block(move || -> Result<_, AppError> {
        let mut conn = pool.get()?;
        let Some(user) = user::find(&mut conn, user_id)? else {
            return Ok(None);
        };
        let facilities = user::facility_ids(&mut conn, user_id)?;
        Ok(Some((user, facilities)))
    })
    .await??;
    let Some((user, facilities)) = loaded.filter(|(u, _)| !u.disabled) else {
        session.purge();
        return Err(sign_in_required(&req, false));
    };
    // Requests from the idle-warning script ask only whether the session lives; they are not activity.
    if req.headers().get("X-Registrar-Probe").is_none() {
        session
            .insert(SESSION_SEEN, now)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))?;
    }
    let scope = if user.sees_all_facilities {
        Scope::All
    } else {
        Scope::Facilities(facilities)
    };
    Ok(CurrentUser {
        id: user.id,
        role: user.role(),
        email: user.email,
        name: user.name,
        scope,
        csrf_token: session_csrf_token(&session),
    })
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(user) = req.extensions().get::<CurrentUser>().cloned() {
                return Ok(user);
            }
            let user = load_current_user(req.clone()).await?;
            req.extensions_mut().insert(user.clone());
            Ok(user)
        })
    }
}

/// What a role may do. Each route names the permission it needs through `Authorized<P>`.
pub trait Permission {
    /// Shown in the audit event of a refusal.
    const NAME: &'static str;
    fn allows(role: Role) -> bool;
}

/// Read patient data (every role).
pub struct ReadPatients;
/// Create and change patients, tumors, abstracts, follow-up, submissions.
pub struct EditPatients;
/// Users, facilities, audit trail.
pub struct Administer;
/// QC of abstracts: blind re-abstraction, discrepancy resolution, agreement rates.
pub struct ReviewAbstracts;

impl Permission for ReadPatients {
    const NAME: &'static str = "read patients";
    fn allows(_: Role) -> bool {
        true
    }
}
impl Permission for EditPatients {
    const NAME: &'static str = "edit patients";
    fn allows(role: Role) -> bool {
        matches!(role, Role::Admin | Role::Registrar)
    }
}
impl Permission for ReviewAbstracts {
    const NAME: &'static str = "review abstracts";
    fn allows(role: Role) -> bool {
        matches!(role, Role::Admin | Role::Reviewer)
    }
}
impl Permission for Administer {
    const NAME: &'static str = "administer";
    fn allows(role: Role) -> bool {
        role == Role::Admin
    }
}

/// A signed-in user whose role has permission `P`; otherwise 403, audited.
pub struct Authorized<P: Permission> {
    pub user: CurrentUser,
    _permission: PhantomData<P>,
}

impl<P: Permission> Deref for Authorized<P> {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.user
    }
}

impl<P: Permission + 'static> FromRequest for Authorized<P> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let user_future = CurrentUser::from_request(&req, payload);
        Box::pin(async move {
            let user = user_future.await?;
            if P::allows(user.role) {
                return Ok(Authorized {
                    user,
                    _permission: PhantomData,
                });
            }
            record_denial(&req, &user, P::NAME).await?;
            Err(AppError::Forbidden(format!(
                "{} may not {}",
                user.role.as_str(),
                P::NAME
            )))
        })
    }
}

/// Writes the audit event of a refused request.
pub async fn record_denial(
    req: &HttpRequest,
    user: &CurrentUser,
    what: &str,
) -> Result<(), AppError> {
    let state = app_state(req)?;
    let actor = user.actor();
    let detail = format!("{} {} ({what})", req.method(), req.path());
    web::block(move || -> Result<(), AppError> {
        let mut conn = state.pool.get()?;
        audit::record_now(
            &mut conn,
            &actor,
            &AuditEvent::new(Action::Denied, "route").detail(detail),
        )?;
        Ok(())
    })
    .await?
}
