//! Administration: users and their roles and facilities, facilities, and the audit trail.

use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::patients::{ChangeLine, change_lines};
use super::{Layout, db, see_other};
use crate::audit::{self, Action, AuditEvent, FieldChange};
use crate::auth::password::{generate_password, hash_password};
use crate::auth::{Administer, Authorized, Role};
use crate::db::write_tx;
use crate::error::AppError;
use crate::models::audit_log::{self, AuditFilter};
use crate::models::{facility, user};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/users", web::get().to(users))
        .route("/admin/users", web::post().to(create_user))
        .route("/admin/users/new", web::get().to(new_user))
        .route("/admin/users/{id}", web::get().to(edit_user))
        .route("/admin/users/{id}", web::post().to(update_user))
        .route(
            "/admin/users/{id}/reset-password",
            web::post().to(reset_password),
        )
        .route("/admin/facilities", web::get().to(facilities))
        .route("/admin/facilities", web::post().to(create_facility))
        .route("/admin/audit", web::get().to(audit_page))
        .route("/admin/audit.csv", web::get().to(audit_csv));
}

struct UserLine {
    id: i64,
    name: String,
    email: String,
    role: String,
    facilities: String,
    state: String,
    last_login: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserLine>,
}

async fn users(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
) -> Result<UsersPage, AppError> {
    let lines = db(&state, |conn| {
        let now = crate::models::now();
        user::list(conn)?
            .into_iter()
            .map(|u| {
                let codes = user::facility_codes(conn, u.id)?;
                Ok(UserLine {
                    id: u.id,
                    facilities: if u.sees_all_facilities {
                        format!("all ({})", codes.join(", "))
                    } else {
                        codes.join(", ")
                    },
                    state: if u.disabled {
                        "disabled".into()
                    } else if u.locked_until.is_some_and(|l| l > now) {
                        "locked".into()
                    } else {
                        "active".into()
                    },
                    last_login: u
                        .last_login_at
                        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_default(),
                    name: u.name,
                    email: u.email,
                    role: u.role,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()
    })
    .await?;
    Ok(UsersPage {
        layout: Layout::new(&admin, &state),
        users: lines,
    })
}

struct FacilityChoice {
    id: i64,
    label: String,
    checked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/user_form.html")]
struct UserForm {
    layout: Layout,
    heading: String,
    action: String,
    is_new: bool,
    email: String,
    name: String,
    role: String,
    roles: Vec<String>,
    facilities: Vec<FacilityChoice>,
    sees_all: bool,
    disabled: bool,
    min_password: usize,
    new_password: Option<String>,
    error: Option<String>,
}

async fn facility_choices(
    state: &web::Data<AppState>,
    checked: Vec<i64>,
) -> Result<Vec<FacilityChoice>, AppError> {
    let all = db(state, |conn| Ok(facility::list(conn)?)).await?;
    Ok(all
        .into_iter()
        .map(|f| FacilityChoice {
            id: f.id,
            label: format!("{} – {}", f.code, f.name),
            checked: checked.contains(&f.id),
        })
        .collect())
}

fn blank_form(state: &AppState, admin: &Authorized<Administer>) -> UserForm {
    UserForm {
        layout: Layout::new(admin, state),
        heading: "New user".into(),
        action: "/admin/users".into(),
        is_new: true,
        email: String::new(),
        name: String::new(),
        role: "registrar".into(),
        roles: Role::ALL.iter().map(|r| r.as_str().to_string()).collect(),
        facilities: Vec::new(),
        sees_all: false,
        disabled: false,
        min_password: state.settings.password_min_length,
        new_password: None,
        error: None,
    }
}

async fn new_user(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
) -> Result<UserForm, AppError> {
    let mut form = blank_form(&state, &admin);
    form.facilities = facility_choices(&state, Vec::new()).await?;
    Ok(form)
}

/// A user form as posted (facilities repeat).
struct PostedUser {
    email: String,
    name: String,
    role: Option<Role>,
    facilities: Vec<i64>,
    sees_all: bool,
    disabled: bool,
    password: String,
}

impl PostedUser {
    fn from(pairs: Vec<(String, String)>) -> PostedUser {
        let mut posted = PostedUser {
            email: String::new(),
            name: String::new(),
            role: None,
            facilities: Vec::new(),
            sees_all: false,
            disabled: false,
            password: String::new(),
        };
        for (key, value) in pairs {
            match key.as_str() {
                "email" => posted.email = value.trim().to_lowercase(),
                "name" => posted.name = value.trim().to_string(),
                "role" => posted.role = Role::parse(&value),
                "facility" => posted.facilities.extend(value.parse::<i64>().ok()),
                "sees_all" => posted.sees_all = true,
                "disabled" => posted.disabled = true,
                "password" => posted.password = value,
                _ => {}
            }
        }
        posted
    }
}

async fn create_user(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let posted = PostedUser::from(form.into_inner());
    let min = state.settings.password_min_length;
    let problem = if !posted.email.contains('@') {
        Some("Enter the user's e-mail address.".to_string())
    } else if posted.name.is_empty() {
        Some("Enter the user's name.".to_string())
    } else if posted.role.is_none() {
        Some("Choose a role.".to_string())
    } else if !posted.password.is_empty() && posted.password.chars().count() < min {
        Some(format!("The password must have at least {min} characters."))
    } else if posted.facilities.is_empty() && !posted.sees_all {
        Some("Give the user at least one facility.".to_string())
    } else {
        None
    };
    let mut page = blank_form(&state, &admin);
    page.facilities = facility_choices(&state, posted.facilities.clone()).await?;
    page.email = posted.email.clone();
    page.name = posted.name.clone();
    page.sees_all = posted.sees_all;
    if let Some(role) = posted.role {
        page.role = role.as_str().into();
    }
    if let Some(message) = problem {
        page.error = Some(message);
        return Ok(HttpResponse::UnprocessableEntity()
            .content_type("text/html; charset=utf-8")
            .body(page.render()?));
    }
    let generated = posted.password.is_empty();
    let password = if generated {
        generate_password()
    } else {
        posted.password.clone()
    };
    let hash = web::block(move || hash_password(&password).map(|h| (h, password))).await??;
    let actor = admin.actor();
    let role = posted.role.unwrap_or(Role::Reviewer);
    let (email, name, facilities, sees_all) = (
        posted.email.clone(),
        posted.name.clone(),
        posted.facilities.clone(),
        posted.sees_all,
    );
    let created = db(&state, move |conn| {
        write_tx(conn, |conn| {
            if user::find_by_email(conn, &email)?.is_some() {
                return Ok(None);
            }
            let created = user::create(
                conn,
                &user::NewUser {
                    email: &email,
                    name: &name,
                    password_hash: &hash.0,
                    role,
                    sees_all_facilities: sees_all,
                },
            )?;
            user::set_facilities(conn, created.id, &facilities)?;
            let changes = vec![
                FieldChange::between("email", None, Some(&email)),
                FieldChange::between("role", None, Some(role.as_str())),
                FieldChange::between("facilities", None, Some(&format!("{facilities:?}"))),
            ];
            audit::record(
                conn,
                &actor,
                &AuditEvent::new(Action::Create, "user")
                    .id(created.id)
                    .changes(changes.into_iter().flatten().collect()),
            )?;
            Ok::<_, AppError>(Some(created.id))
        })
    })
    .await?;
    match created {
        Some(_) => {
            page.heading = "User created".into();
            page.new_password = generated.then_some(hash.1);
            page.layout = page.layout.notice(Some("The user was created."));
            Ok(HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(page.render()?))
        }
        None => {
            page.error = Some("A user with this e-mail exists already.".into());
            Ok(HttpResponse::Conflict()
                .content_type("text/html; charset=utf-8")
                .body(page.render()?))
        }
    }
}

async fn edit_user(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
    path: web::Path<i64>,
) -> Result<UserForm, AppError> {
    let id = path.into_inner();
    let (account, checked) = db(&state, move |conn| {
        let account = user::find(conn, id)?.ok_or(AppError::NotFound)?;
        Ok((account, user::facility_ids(conn, id)?))
    })
    .await?;
    account_form(&state, &admin, account, checked).await
}

/// The form of an existing account.
async fn account_form(
    state: &web::Data<AppState>,
    admin: &Authorized<Administer>,
    account: user::User,
    facilities: Vec<i64>,
) -> Result<UserForm, AppError> {
    let mut page = blank_form(state, admin);
    page.heading = format!("User {}", account.name);
    page.action = format!("/admin/users/{}", account.id);
    page.is_new = false;
    page.email = account.email;
    page.name = account.name;
    page.role = account.role;
    page.sees_all = account.sees_all_facilities;
    page.disabled = account.disabled;
    page.facilities = facility_choices(state, facilities).await?;
    Ok(page)
}

async fn update_user(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let posted = PostedUser::from(form.into_inner());
    let Some(role) = posted.role else {
        return Err(AppError::BadRequest("Choose a role.".into()));
    };
    if posted.name.is_empty() {
        return Err(AppError::BadRequest("The name may not be empty.".into()));
    }
    if id == admin.id && (posted.disabled || role != Role::Admin) {
        return Err(AppError::BadRequest(
            "You cannot disable your own account or take away your own admin role.".into(),
        ));
    }
    let actor = admin.actor();
    db(&state, move |conn| {
        write_tx(conn, |conn| {
            let before = user::find(conn, id)?.ok_or(AppError::NotFound)?;
            let old_facilities = user::facility_ids(conn, id)?;
            user::update(
                conn,
                id,
                &user::UserUpdate {
                    name: &posted.name,
                    role,
                    sees_all_facilities: posted.sees_all,
                    disabled: posted.disabled,
                },
            )?;
            let mut new_facilities = posted.facilities.clone();
            new_facilities.sort_unstable();
            new_facilities.dedup();
            user::set_facilities(conn, id, &new_facilities)?;
            let changes: Vec<FieldChange> = [
                FieldChange::between("name", Some(&before.name), Some(&posted.name)),
                FieldChange::between("role", Some(&before.role), Some(role.as_str())),
                FieldChange::between(
                    "sees_all_facilities",
                    Some(&before.sees_all_facilities.to_string()),
                    Some(&posted.sees_all.to_string()),
                ),
                FieldChange::between(
                    "disabled",
                    Some(&before.disabled.to_string()),
                    Some(&posted.disabled.to_string()),
                ),
                FieldChange::between(
                    "facilities",
                    Some(&format!("{old_facilities:?}")),
                    Some(&format!("{new_facilities:?}")),
                ),
            ]
            .into_iter()
            .flatten()
            .collect();
            audit::record(
                conn,
                &actor,
                &AuditEvent::new(Action::Update, "user")
                    .id(id)
                    .changes(changes),
            )?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(see_other("/admin/users"))
}

async fn reset_password(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let password = generate_password();
    let hash = {
        let p = password.clone();
        web::block(move || hash_password(&p)).await??
    };
    let actor = admin.actor();
    let account = db(&state, move |conn| {
        write_tx(conn, |conn| {
            let account = user::find(conn, id)?.ok_or(AppError::NotFound)?;
            user::set_password(conn, id, &hash)?;
            audit::record(
                conn,
                &actor,
                &AuditEvent::new(Action::Update, "user")
                    .id(id)
                    .detail("password reset and account unlocked"),
            )?;
            Ok::<_, AppError>(account)
        })
    })
    .await?;
    let checked = db(&state, move |conn| Ok(user::facility_ids(conn, id)?)).await?;
    let mut page = account_form(&state, &admin, account, checked).await?;
    page.new_password = Some(password);
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/facilities.html")]
struct FacilitiesPage {
    layout: Layout,
    facilities: Vec<facility::Facility>,
    error: Option<String>,
}

async fn facilities(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
) -> Result<FacilitiesPage, AppError> {
    let list = db(&state, |conn| Ok(facility::list(conn)?)).await?;
    Ok(FacilitiesPage {
        layout: Layout::new(&admin, &state),
        facilities: list,
        error: None,
    })
}

#[derive(serde::Deserialize)]
struct FacilityForm {
    code: String,
    name: String,
}

async fn create_facility(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
    form: web::Form<FacilityForm>,
) -> Result<HttpResponse, AppError> {
    let FacilityForm { code, name } = form.into_inner();
    let (code, name) = (code.trim().to_string(), name.trim().to_string());
    let actor = admin.actor();
    let valid = !code.is_empty()
        && code.len() <= 10
        && code.chars().all(|c| c.is_ascii_alphanumeric())
        && !name.is_empty();
    let outcome = if valid {
        db(&state, move |conn| {
            write_tx(conn, |conn| {
                if facility::find_by_code(conn, &code)?.is_some() {
                    return Ok(Some(format!("Facility {code} exists already.")));
                }
                let created = facility::create(conn, &code, &name)?;
                audit::record(
                    conn,
                    &actor,
                    &AuditEvent::new(Action::Create, "facility")
                        .id(created.id)
                        .facility(created.id)
                        .detail(code),
                )?;
                Ok::<_, AppError>(None)
            })
        })
        .await?
    } else {
        Some("A facility needs a code of 1–10 letters or digits and a name.".into())
    };
    match outcome {
        None => Ok(see_other("/admin/facilities")),
        Some(error) => {
            let list = db(&state, |conn| Ok(facility::list(conn)?)).await?;
            let page = FacilitiesPage {
                layout: Layout::new(&admin, &state),
                facilities: list,
                error: Some(error),
            };
            Ok(HttpResponse::UnprocessableEntity()
                .content_type("text/html; charset=utf-8")
                .body(page.render()?))
        }
    }
}

struct AuditLine {
    id: i64,
    when: String,
    who: String,
    action: String,
    entity: String,
    patient: Option<i64>,
    detail: String,
    changes: Vec<ChangeLine>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: Layout,
    filter: AuditFilter,
    actions: Vec<&'static str>,
    rows: Vec<AuditLine>,
    query: String,
    older: Option<i64>,
}

#[derive(serde::Deserialize)]
struct AuditQuery {
    #[serde(flatten)]
    filter: AuditFilter,
    before: Option<i64>,
}

fn filter_query(f: &AuditFilter) -> String {
    use crate::error::urlencode;
    format!(
        "user={}&patient={}&action={}&from={}&to={}",
        urlencode(&f.user),
        urlencode(&f.patient),
        urlencode(&f.action),
        urlencode(&f.from),
        urlencode(&f.to)
    )
}

const AUDIT_PAGE_SIZE: i64 = 100;

async fn audit_page(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
    query: web::Query<AuditQuery>,
) -> Result<AuditPage, AppError> {
    let AuditQuery { filter, before } = query.into_inner();
    let f = filter.clone();
    let rows = db(&state, move |conn| {
        Ok(audit_log::search(conn, &f, before, AUDIT_PAGE_SIZE)?)
    })
    .await?;
    let older = (rows.len() as i64 == AUDIT_PAGE_SIZE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    Ok(AuditPage {
        layout: Layout::new(&admin, &state),
        query: filter_query(&filter),
        filter,
        actions: Action::ALL.iter().map(|a| a.as_str()).collect(),
        rows: rows
            .iter()
            .map(|r| AuditLine {
                id: r.id,
                when: r.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                who: r.user_email.clone().unwrap_or_default(),
                action: r.action.clone(),
                entity: match &r.entity_id {
                    Some(id) => format!("{} {id}", r.entity),
                    None => r.entity.clone(),
                },
                patient: r.patient_id,
                detail: r.detail.clone().unwrap_or_default(),
                changes: change_lines(r),
            })
            .collect(),
        older,
    })
}

/// The filtered audit trail as CSV, streamed page by page (the trail can be millions of rows).
async fn audit_csv(
    state: web::Data<AppState>,
    admin: Authorized<Administer>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = query.into_inner().filter;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<web::Bytes, AppError>>(4);
    let pool = state.pool.clone();
    let actor = admin.actor();
    tokio::task::spawn_blocking(move || {
        let result = (|| -> Result<(), AppError> {
            let mut conn = pool.get()?;
            audit::record_now(
                &mut conn,
                &actor,
                &AuditEvent::new(Action::Export, "audit").detail(filter_query(&filter)),
            )?;
            let mut before = None;
            let mut header = true;
            loop {
                let rows = audit_log::search(&mut conn, &filter, before, 5_000)?;
                let mut writer = csv::Writer::from_writer(Vec::new());
                if header {
                    writer
                        .write_record([
                            "id",
                            "occurred_at_utc",
                            "user",
                            "facility_id",
                            "action",
                            "entity",
                            "entity_id",
                            "patient_id",
                            "changes",
                            "detail",
                        ])
                        .map_err(|e| AppError::Internal(e.into()))?;
                    header = false;
                }
                for r in &rows {
                    writer
                        .write_record([
                            r.id.to_string(),
                            r.occurred_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
                            r.user_email.clone().unwrap_or_default(),
                            r.facility_id.map(|f| f.to_string()).unwrap_or_default(),
                            r.action.clone(),
                            r.entity.clone(),
                            r.entity_id.clone().unwrap_or_default(),
                            r.patient_id.map(|p| p.to_string()).unwrap_or_default(),
                            r.changes.clone().unwrap_or_default(),
                            r.detail.clone().unwrap_or_default(),
                        ])
                        .map_err(|e| AppError::Internal(e.into()))?;
                }
                let chunk = writer
                    .into_inner()
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))?;
                if sender.blocking_send(Ok(web::Bytes::from(chunk))).is_err() {
                    return Ok(()); // the browser went away
                }
                match rows.last() {
                    Some(last) if rows.len() == 5_000 => before = Some(last.id),
                    _ => return Ok(()),
                }
            }
        })();
        if let Err(e) = result {
            tracing::error!(error = %e, "audit CSV export failed");
            let _ = sender.blocking_send(Err(e));
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"audit.csv\""))
        .streaming(stream))
}
