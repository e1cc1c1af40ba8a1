//! Patient search, the patient page, and the patient and tumor forms.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{FormField, Layout, db, see_other, shown};
use crate::auth::{Authorized, CurrentUser, EditPatients, ReadPatients};
use crate::domain::fields::{FieldSpec, PATIENT_FIELDS, TUMOR_FIELDS};
use crate::error::AppError;
use crate::models::patient::{PatientSearch, Scope};
use crate::models::{audit_log::AuditRow, facility};
use crate::services::patients::{self as service, FieldErrors};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/patients", web::get().to(search))
        .route("/patients", web::post().to(create))
        .route("/patients/new", web::get().to(new_form))
        .route("/patients/{id}", web::get().to(show))
        .route("/patients/{id}", web::post().to(update))
        .route("/patients/{id}/edit", web::get().to(edit_form))
        .route("/patients/{id}/tumors", web::post().to(create_tumor))
        .route("/patients/{id}/tumors/new", web::get().to(new_tumor_form))
        .route("/tumors/{id}/edit", web::get().to(edit_tumor_form))
        .route("/tumors/{id}", web::post().to(update_tumor));
}

#[derive(Deserialize)]
struct Notice {
    saved: Option<String>,
}

impl Notice {
    fn text(&self) -> Option<&'static str> {
        self.saved.as_ref().map(|_| "Saved.")
    }
}

struct SearchLine {
    id: i64,
    name: String,
    born: String,
    sex: String,
    mrn: String,
    pid: String,
    facility: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "patients/search.html")]
struct SearchPage {
    layout: Layout,
    criteria: PatientSearch,
    searched: bool,
    results: Vec<SearchLine>,
}

async fn search(
    state: web::Data<AppState>,
    user: Authorized<ReadPatients>,
    criteria: web::Query<PatientSearch>,
) -> Result<SearchPage, AppError> {
    let criteria = criteria.into_inner();
    let searched = !criteria.is_empty();
    let results = if searched {
        let (actor, scope, c) = (user.actor(), user.scope.clone(), criteria.clone());
        db(&state, move |conn| {
            service::search_patients(conn, &actor, &scope, &c)
        })
        .await?
    } else {
        Vec::new()
    };
    Ok(SearchPage {
        layout: Layout::new(&user, &state),
        criteria,
        searched,
        results: results
            .into_iter()
            .map(|p| SearchLine {
                id: p.id,
                name: match &p.name_first {
                    Some(f) => format!("{}, {}", p.name_last, f),
                    None => p.name_last.clone(),
                },
                born: shown("dateOfBirth", p.date_of_birth.as_deref()),
                sex: shown("sexAssignedAtBirth", p.sex.as_deref()),
                mrn: p.medical_record_number.unwrap_or_default(),
                pid: p.patient_id_number,
                facility: p.facility_code,
            })
            .collect(),
    })
}

struct ShownItem {
    id: &'static str,
    label: &'static str,
    value: String,
    description: String,
}

struct TumorLine {
    id: i64,
    record_number: String,
    sequence: String,
    diagnosed: String,
    site: String,
    histology: String,
    laterality: String,
    class_of_case: String,
    status: String,
}

struct HistoryLine {
    when: String,
    who: String,
    action: String,
    entity: String,
    changes: Vec<ChangeLine>,
}

pub struct ChangeLine {
    pub field: String,
    pub old: String,
    pub new: String,
}

pub fn change_lines(row: &AuditRow) -> Vec<ChangeLine> {
    row.field_changes()
        .into_iter()
        .map(|c| ChangeLine {
            field: c.field,
            old: c.old.unwrap_or_else(|| "(empty)".into()),
            new: c.new.unwrap_or_else(|| "(empty)".into()),
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "patients/show.html")]
struct PatientPage {
    layout: Layout,
    id: i64,
    name: String,
    demographics: Vec<ShownItem>,
    tumors: Vec<TumorLine>,
    history: Vec<HistoryLine>,
}

async fn show(
    state: web::Data<AppState>,
    user: Authorized<ReadPatients>,
    path: web::Path<i64>,
    notice: web::Query<Notice>,
) -> Result<PatientPage, AppError> {
    let (actor, scope, id) = (user.actor(), user.scope.clone(), path.into_inner());
    let view = db(&state, move |conn| {
        service::view_patient(conn, &actor, &scope, id)
    })
    .await?;
    let patient = &view.patient;
    let mut demographics: Vec<ShownItem> = vec![ShownItem {
        id: "patientIdNumber",
        label: "Patient ID number",
        value: patient.patient_id_number.clone(),
        description: String::new(),
    }];
    demographics.extend(PATIENT_FIELDS.iter().map(|f| {
        let value = patient.item(f.naaccr_id);
        let text = shown(f.naaccr_id, value.as_deref());
        let (value, description) = match text.split_once(" – ") {
            Some((v, d)) => (v.to_string(), d.to_string()),
            None => (text, String::new()),
        };
        ShownItem {
            id: f.naaccr_id,
            label: f.label,
            value,
            description,
        }
    }));
    Ok(PatientPage {
        layout: Layout::new(&user, &state).notice(notice.text()),
        id: patient.id,
        name: patient.display_name(),
        demographics,
        tumors: view
            .tumors
            .iter()
            .map(|t| TumorLine {
                id: t.id,
                record_number: t.tumor_record_number.clone(),
                sequence: t.sequence_number_hospital.clone().unwrap_or_default(),
                diagnosed: shown("dateOfDiagnosis", t.date_of_diagnosis.as_deref()),
                site: shown("primarySite", t.primary_site.as_deref()),
                histology: match (&t.histology, &t.behavior) {
                    (Some(h), Some(b)) => format!("{h}/{b}"),
                    (Some(h), None) => h.clone(),
                    _ => String::new(),
                },
                laterality: shown("laterality", t.laterality.as_deref()),
                class_of_case: shown("classOfCase", t.class_of_case.as_deref()),
                status: t.abstract_status.clone(),
            })
            .collect(),
        history: view
            .history
            .iter()
            .map(|h| HistoryLine {
                when: h.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                who: h.user_email.clone().unwrap_or_default(),
                action: h.action.clone(),
                entity: h.entity.clone(),
                changes: change_lines(h),
            })
            .collect(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "patients/form.html")]
struct RecordForm {
    layout: Layout,
    heading: String,
    action: String,
    cancel: String,
    facilities: Vec<(i64, String)>,
    facility: i64,
    fields: Vec<FormField>,
    errors: Vec<(&'static str, String)>,
}

fn form_fields(
    specs: &[FieldSpec],
    value: impl Fn(&str) -> Option<String>,
    errors: &FieldErrors,
    typed: bool,
) -> Vec<FormField> {
    specs
        .iter()
        .map(|s| {
            FormField::new(
                s,
                value(s.naaccr_id).as_deref(),
                errors.get(s.naaccr_id),
                typed,
            )
        })
        .collect()
}

/// The form again with what was typed and its messages, for a submission that did not validate.
fn retyped(
    user: &CurrentUser,
    state: &AppState,
    (heading, action, cancel): (&str, String, String),
    specs: &[FieldSpec],
    input: &HashMap<String, String>,
    errors: FieldErrors,
) -> RecordForm {
    RecordForm {
        layout: Layout::new(user, state),
        heading: heading.into(),
        action,
        cancel,
        facilities: Vec::new(),
        facility: 0,
        fields: form_fields(specs, |id| input.get(id).cloned(), &errors, true),
        errors: errors.into_iter().collect(),
    }
}

fn rejected(page: RecordForm) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::UnprocessableEntity()
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

/// The facilities a user may put a new patient in.
async fn facility_choices(
    state: &web::Data<AppState>,
    scope: &Scope,
) -> Result<Vec<(i64, String)>, AppError> {
    let scope = scope.clone();
    db(state, move |conn| Ok(facility::choices(conn, &scope)?)).await
}

async fn new_form(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
) -> Result<RecordForm, AppError> {
    let facilities = facility_choices(&state, &user.scope).await?;
    Ok(RecordForm {
        layout: Layout::new(&user, &state),
        heading: "New patient".into(),
        action: "/patients".into(),
        cancel: "/".into(),
        facility: facilities.first().map(|f| f.0).unwrap_or(0),
        facilities,
        fields: form_fields(PATIENT_FIELDS, |_| None, &FieldErrors::new(), false),
        errors: Vec::new(),
    })
}

fn input_map(form: web::Form<Vec<(String, String)>>) -> HashMap<String, String> {
    form.into_inner().into_iter().collect()
}

async fn create(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let input = input_map(form);
    let facilities = facility_choices(&state, &user.scope).await?;
    let facility_id = input
        .get("facility")
        .and_then(|f| f.parse::<i64>().ok())
        .or_else(|| facilities.first().map(|f| f.0))
        .ok_or_else(|| {
            AppError::BadRequest("You belong to no facility; ask an administrator.".into())
        })?;
    match service::validate_form(PATIENT_FIELDS, &input) {
        Ok(values) => {
            let (actor, scope) = (user.actor(), user.scope.clone());
            let saved = db(&state, move |conn| {
                service::create_patient(conn, &actor, &scope, facility_id, values)
            })
            .await?;
            Ok(see_other(&format!("/patients/{}?saved=1", saved.id)))
        }
        Err(errors) => {
            let place = ("New patient", "/patients".to_string(), "/".to_string());
            let mut page = retyped(&user, &state, place, PATIENT_FIELDS, &input, errors);
            page.facilities = facilities;
            page.facility = facility_id;
            rejected(page)
        }
    }
}

async fn edit_form(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
) -> Result<RecordForm, AppError> {
    let (actor, scope, id) = (user.actor(), user.scope.clone(), path.into_inner());
    let patient = db(&state, move |conn| {
        service::read_patient(conn, &actor, &scope, id)
    })
    .await?;
    Ok(RecordForm {
        layout: Layout::new(&user, &state),
        heading: format!("Edit patient {}", patient.display_name()),
        action: format!("/patients/{id}"),
        cancel: format!("/patients/{id}"),
        facilities: Vec::new(),
        facility: patient.facility_id,
        fields: form_fields(
            PATIENT_FIELDS,
            |item| patient.item(item),
            &FieldErrors::new(),
            false,
        ),
        errors: Vec::new(),
    })
}

async fn update(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let input = input_map(form);
    match service::validate_form(PATIENT_FIELDS, &input) {
        Ok(values) => {
            let (actor, scope) = (user.actor(), user.scope.clone());
            db(&state, move |conn| {
                service::update_patient(conn, &actor, &scope, id, values)
            })
            .await?;
            Ok(see_other(&format!("/patients/{id}?saved=1")))
        }
        Err(errors) => {
            let place = (
                "Edit patient",
                format!("/patients/{id}"),
                format!("/patients/{id}"),
            );
            rejected(retyped(
                &user,
                &state,
                place,
                PATIENT_FIELDS,
                &input,
                errors,
            ))
        }
    }
}

async fn new_tumor_form(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
) -> Result<RecordForm, AppError> {
    let (actor, scope, id) = (user.actor(), user.scope.clone(), path.into_inner());
    let patient = db(&state, move |conn| {
        service::read_patient(conn, &actor, &scope, id)
    })
    .await?;
    Ok(RecordForm {
        layout: Layout::new(&user, &state),
        heading: format!("New tumor for {}", patient.display_name()),
        action: format!("/patients/{id}/tumors"),
        cancel: format!("/patients/{id}"),
        facilities: Vec::new(),
        facility: patient.facility_id,
        fields: form_fields(TUMOR_FIELDS, |_| None, &FieldErrors::new(), false),
        errors: Vec::new(),
    })
}

async fn create_tumor(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let patient_id = path.into_inner();
    let input = input_map(form);
    match service::validate_form(TUMOR_FIELDS, &input) {
        Ok(values) => {
            let (actor, scope) = (user.actor(), user.scope.clone());
            db(&state, move |conn| {
                service::create_tumor(conn, &actor, &scope, patient_id, values)
            })
            .await?;
            Ok(see_other(&format!("/patients/{patient_id}?saved=1")))
        }
        Err(errors) => {
            let place = (
                "New tumor",
                format!("/patients/{patient_id}/tumors"),
                format!("/patients/{patient_id}"),
            );
            rejected(retyped(&user, &state, place, TUMOR_FIELDS, &input, errors))
        }
    }
}

async fn edit_tumor_form(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
) -> Result<RecordForm, AppError> {
    let (actor, scope, id) = (user.actor(), user.scope.clone(), path.into_inner());
    let (patient, tumor) = db(&state, move |conn| {
        service::read_tumor(conn, &actor, &scope, id)
    })
    .await?;
    Ok(RecordForm {
        layout: Layout::new(&user, &state),
        heading: format!(
            "Tumor {} of {}",
            tumor.tumor_record_number,
            patient.display_name()
        ),
        action: format!("/tumors/{id}"),
        cancel: format!("/patients/{}", patient.id),
        facilities: Vec::new(),
        facility: patient.facility_id,
        fields: form_fields(
            TUMOR_FIELDS,
            |item| tumor.item(item),
            &FieldErrors::new(),
            false,
        ),
        errors: Vec::new(),
    })
}

async fn update_tumor(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let input = input_map(form);
    match service::validate_form(TUMOR_FIELDS, &input) {
        Ok(values) => {
            let (actor, scope) = (user.actor(), user.scope.clone());
            let saved = db(&state, move |conn| {
                service::update_tumor(conn, &actor, &scope, id, values)
            })
            .await?;
            Ok(see_other(&format!(
                "/patients/{}?saved=1",
                saved.patient_id
            )))
        }
        Err(errors) => {
            let place = ("Edit tumor", format!("/tumors/{id}"), "/".to_string());
            rejected(retyped(&user, &state, place, TUMOR_FIELDS, &input, errors))
        }
    }
}
