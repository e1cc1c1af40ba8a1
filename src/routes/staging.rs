//! The stage page of a tumor (schema, EOD/SS2018/grade/SSDI inputs as pick lists from the
//! schema's own tables, derived values, AJCC TNM fields), its JSON preview, and the staging
//! administration page (installed algorithms, reload, re-derivation progress and changes).

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Layout, db, see_other, shown};
use crate::audit::{self, Action, AuditEvent};
use crate::auth::{Administer, Authorized, EditPatients, ReadPatients};
use crate::db::write_tx;
use crate::domain::staging::{Algorithm, SchemaInput, StagingInputs, StagingResult};
use crate::error::AppError;
use crate::models::patient::Patient;
use crate::models::staging as model;
use crate::models::tumor::Tumor;
use crate::services::staging::{self as service, CASE_ITEMS, DERIVED_ITEMS};
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tumors/{id}/stage", web::get().to(show))
        .route("/tumors/{id}/stage", web::post().to(submit))
        .route("/tumors/{id}/stage/preview", web::post().to(preview))
        .route("/admin/staging", web::get().to(admin_page))
        .route("/admin/staging/reload", web::post().to(reload))
        .route(
            "/admin/staging/rederivations/{id}",
            web::get().to(rederivation_page),
        );
}

/// Staging items entered as plain coded fields when no algorithm is installed.
const PLAIN_ITEMS: &[(&str, &str)] = &[
    ("schemaDiscriminator1", "Schema Discriminator 1"),
    ("schemaDiscriminator2", "Schema Discriminator 2"),
    ("eodPrimaryTumor", "EOD Primary Tumor"),
    ("eodRegionalNodes", "EOD Regional Nodes"),
    ("eodMets", "EOD Mets"),
    ("tumorSizeSummary", "Tumor Size Summary"),
    ("regionalNodesPositive", "Regional Nodes Positive"),
    ("regionalNodesExamined", "Regional Nodes Examined"),
    ("gradeClinical", "Grade Clinical"),
    ("gradePathological", "Grade Pathological"),
    ("gradePostTherapyClin", "Grade Post Therapy Clin (yc)"),
    ("gradePostTherapy", "Grade Post Therapy Path (yp)"),
    ("summaryStage2018", "Summary Stage 2018"),
];

/// How an AJCC TNM item is checked (AJCC's own value tables are licensed and not shipped).
#[derive(Clone, Copy)]
enum TnmFormat {
    /// T, N or M category with the staging basis prefixes allowed for the group.
    Category(char, &'static [&'static str]),
    TSuffix,
    NSuffix,
    StageGroup,
    AjccId,
    Edition,
}

const CLIN: &[&str] = &["c", "p"];
const PATH: &[&str] = &["p", "c"];
const YC: &[&str] = &["yc"];
const YP: &[&str] = &["yp"];

const AJCC_ITEMS: &[(&str, &str, TnmFormat)] = &[
    ("ajccId", "AJCC ID [995]", TnmFormat::AjccId),
    (
        "tnmEditionNumber",
        "TNM Edition Number [1060]",
        TnmFormat::Edition,
    ),
    (
        "ajccTnmClinT",
        "Clin T [1001]",
        TnmFormat::Category('T', CLIN),
    ),
    (
        "ajccTnmClinTSuffix",
        "Clin T suffix [1031]",
        TnmFormat::TSuffix,
    ),
    (
        "ajccTnmClinN",
        "Clin N [1002]",
        TnmFormat::Category('N', CLIN),
    ),
    (
        "ajccTnmClinNSuffix",
        "Clin N suffix [1034]",
        TnmFormat::NSuffix,
    ),
    (
        "ajccTnmClinM",
        "Clin M [1003]",
        TnmFormat::Category('M', CLIN),
    ),
    (
        "ajccTnmClinStageGroup",
        "Clin stage group [1004]",
        TnmFormat::StageGroup,
    ),
    (
        "ajccTnmPathT",
        "Path T [1011]",
        TnmFormat::Category('T', PATH),
    ),
    (
        "ajccTnmPathTSuffix",
        "Path T suffix [1032]",
        TnmFormat::TSuffix,
    ),
    (
        "ajccTnmPathN",
        "Path N [1012]",
        TnmFormat::Category('N', PATH),
    ),
    (
        "ajccTnmPathNSuffix",
        "Path N suffix [1035]",
        TnmFormat::NSuffix,
    ),
    (
        "ajccTnmPathM",
        "Path M [1013]",
        TnmFormat::Category('M', PATH),
    ),
    (
        "ajccTnmPathStageGroup",
        "Path stage group [1014]",
        TnmFormat::StageGroup,
    ),
    (
        "ajccTnmPostTherapyClinT",
        "yc T [1062]",
        TnmFormat::Category('T', YC),
    ),
    (
        "ajccTnmPostTherapyClinTSuffix",
        "yc T suffix [1063]",
        TnmFormat::TSuffix,
    ),
    (
        "ajccTnmPostTherapyClinN",
        "yc N [1064]",
        TnmFormat::Category('N', YC),
    ),
    (
        "ajccTnmPostTherapyClinNSuffix",
        "yc N suffix [1065]",
        TnmFormat::NSuffix,
    ),
    (
        "ajccTnmPostTherapyClinM",
        "yc M [1066]",
        TnmFormat::Category('M', YC),
    ),
    (
        "ajccTnmPostTherapyClinStageGrp",
        "yc stage group [1067]",
        TnmFormat::StageGroup,
    ),
    (
        "ajccTnmPostTherapyT",
        "yp T [1021]",
        TnmFormat::Category('T', YP),
    ),
    (
        "ajccTnmPostTherapyTSuffix",
        "yp T suffix [1033]",
        TnmFormat::TSuffix,
    ),
    (
        "ajccTnmPostTherapyN",
        "yp N [1022]",
        TnmFormat::Category('N', YP),
    ),
    (
        "ajccTnmPostTherapyNSuffix",
        "yp N suffix [1036]",
        TnmFormat::NSuffix,
    ),
    (
        "ajccTnmPostTherapyM",
        "yp M [1023]",
        TnmFormat::Category('M', YP),
    ),
    (
        "ajccTnmPostTherapyStageGroup",
        "yp stage group [1024]",
        TnmFormat::StageGroup,
    ),
];

/// Format check of an AJCC TNM value (the NAACCR length/type check runs as well).
fn check_tnm(format: TnmFormat, value: &str) -> Result<(), String> {
    let ok_chars = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "()+-.:".contains(c))
    };
    let ok = match format {
        // 88 = not applicable; otherwise a prefix (c, p, yc, yp) and the category letter, e.g.
        // cT1c, pN1mi, cM0(i+), pTis(DCIS).
        TnmFormat::Category(letter, prefixes) => {
            value == "88"
                || prefixes.iter().any(|p| {
                    value
                        .strip_prefix(p)
                        .and_then(|rest| rest.strip_prefix(letter))
                        .is_some_and(ok_chars)
                })
        }
        TnmFormat::TSuffix => matches!(value, "(m)" | "(s)"),
        TnmFormat::NSuffix => matches!(value, "(sn)" | "(f)"),
        TnmFormat::StageGroup => ok_chars(value) && !value.contains(' '),
        TnmFormat::AjccId => {
            value == "XX"
                || (value.chars().all(|c| c.is_ascii_digit() || c == '.')
                    && value.chars().next().is_some_and(|c| c.is_ascii_digit()))
        }
        TnmFormat::Edition => value.len() == 2 && value.chars().all(|c| c.is_ascii_digit()),
    };
    if ok {
        Ok(())
    } else {
        Err(match format {
            TnmFormat::Category(letter, prefixes) => format!(
                "'{value}' is not a {letter} category: expected {}{letter}… (e.g. {}{letter}1) or 88",
                prefixes.join("/"),
                prefixes.first().copied().unwrap_or("")
            ),
            TnmFormat::TSuffix => format!("'{value}' is not a T suffix: (m) or (s)"),
            TnmFormat::NSuffix => format!("'{value}' is not an N suffix: (sn) or (f)"),
            TnmFormat::StageGroup => format!("'{value}' is not a stage group code"),
            TnmFormat::AjccId => format!("'{value}' is not an AJCC ID (e.g. 48.1, 9001, XX)"),
            TnmFormat::Edition => {
                format!("'{value}' is not a TNM edition number (2 digits, e.g. 08)")
            }
        })
    }
}

/// One field of the stage page.
pub struct StageField {
    pub id: String,
    pub label: String,
    pub item: String,
    /// `select` (pick list of single codes) or `text` (typed, with the code list as suggestions).
    pub kind: &'static str,
    pub value: String,
    pub description: String,
    pub options: Vec<(String, String)>,
    pub error: Option<String>,
    pub used_for_staging: bool,
}

pub struct DerivedLine {
    pub id: String,
    pub label: String,
    pub value: String,
}

pub struct CaseLine {
    pub label: &'static str,
    pub id: &'static str,
    pub value: String,
}

/// What the page shows about the schema.
pub struct SchemaView {
    pub key: String,
    pub name: String,
    pub naaccr_id: String,
}

/// Everything computed from the values (stored or typed).
struct Evaluation {
    schema: Option<SchemaView>,
    selection_message: Option<String>,
    discriminator: Option<StageField>,
    discriminator_note: Option<String>,
    fields: Vec<StageField>,
    derived: Vec<DerivedLine>,
    result: Option<StagingResult>,
    messages: Vec<String>,
}

fn derived_label(id: &str) -> String {
    match id {
        "schemaId" => "Schema ID [3800]".into(),
        "derivedSummaryStage2018" => "Derived Summary Stage 2018 [762]".into(),
        "derivedSummaryGrade2018" => "Derived Summary Grade 2018 [1975]".into(),
        "derivedEod2018T" => "Derived EOD 2018 T [785]".into(),
        "derivedEod2018N" => "Derived EOD 2018 N [815]".into(),
        "derivedEod2018M" => "Derived EOD 2018 M [795]".into(),
        "derivedEod2018StageGroup" => "Derived EOD 2018 Stage Group [818]".into(),
        other => match crate::domain::staging::naaccr_item_number(other) {
            Some(n) => format!("{other} [{n}]"),
            None => other.to_string(),
        },
    }
}

/// True when a pick-list code is one code (not a range, list or context reference).
fn single_code(code: &str) -> bool {
    let range = code.contains('-') && code.len() > 1;
    !(code.contains(',') || code.contains("{{") || range)
}

/// The description of a value from a pick list: its own row, or the row whose range holds it.
fn code_description(codes: &[(String, String)], value: &str) -> String {
    if value.is_empty() {
        return String::new();
    }
    if let Some((_, d)) = codes.iter().find(|(c, _)| c == value) {
        return d.clone();
    }
    let in_range = |range: &str| {
        range
            .split(',')
            .any(|part| match part.trim().split_once('-') {
                Some((lo, hi)) if lo.len() == value.len() && hi.len() == value.len() => {
                    lo <= value && value <= hi
                }
                Some((lo, hi)) => {
                    match (lo.parse::<f64>(), hi.parse::<f64>(), value.parse::<f64>()) {
                        (Ok(lo), Ok(hi), Ok(v)) => lo <= v && v <= hi,
                        _ => false,
                    }
                }
                None => part.trim() == value,
            })
    };
    codes
        .iter()
        .find(|(c, _)| in_range(c))
        .map(|(_, d)| d.clone())
        .unwrap_or_default()
}

/// Shortens long table descriptions for a pick list (the full text shows beside the field).
fn option_text(description: &str) -> String {
    let first = description.lines().next().unwrap_or("").trim();
    if first.chars().count() > 110 {
        let cut: String = first.chars().take(107).collect();
        format!("{cut}…")
    } else {
        first.to_string()
    }
}

fn input_field(
    algorithm: &Algorithm,
    schema_key: &str,
    input: &SchemaInput,
    id: &str,
    value: String,
) -> StageField {
    let simple = !input.codes.is_empty() && input.codes.iter().all(|(c, _)| single_code(c));
    let error = if value.is_empty() {
        None
    } else {
        algorithm.validate_input(schema_key, id, &value).err()
    };
    let description = code_description(&input.codes, &value);
    StageField {
        id: id.to_string(),
        label: input.name.clone(),
        item: input.naaccr_item.map(|n| n.to_string()).unwrap_or_default(),
        kind: if simple { "select" } else { "text" },
        description,
        options: input
            .codes
            .iter()
            .map(|(c, d)| (c.clone(), option_text(d)))
            .collect(),
        value,
        error,
        used_for_staging: input.used_for_staging,
    }
}

/// Stages `inputs` and builds the page's fields from the selected schema's tables.
fn evaluate(algorithm: &Algorithm, inputs: &StagingInputs) -> Evaluation {
    let result = algorithm.stage(inputs);
    let mut evaluation = Evaluation {
        schema: None,
        selection_message: None,
        discriminator: None,
        discriminator_note: None,
        fields: Vec::new(),
        derived: Vec::new(),
        result: None,
        messages: result.errors.iter().map(|e| e.message.clone()).collect(),
    };
    if let Some(schema) = &result.schema {
        evaluation.schema = Some(SchemaView {
            key: schema.id.clone(),
            name: schema.name.clone(),
            naaccr_id: schema.naaccr_schema_id.clone().unwrap_or_default(),
        });
        if let Ok(schema_inputs) = algorithm.schema_inputs(&schema.id) {
            for input in &schema_inputs {
                let Some(id) = input.naaccr_xml_id.as_deref() else {
                    continue;
                };
                if CASE_ITEMS.contains(&id) {
                    continue;
                }
                let value = inputs.get(id).unwrap_or("").to_string();
                evaluation
                    .fields
                    .push(input_field(algorithm, &schema.id, input, id, value));
            }
        }
    } else if let Some(needed) = &result.needed_discriminator {
        evaluation.selection_message = Some(format!(
            "Several schemas match this site and histology: {} decides.",
            needed.name
        ));
        match needed.naaccr_xml_id.as_deref() {
            Some(id) if id.starts_with("schemaDiscriminator") => {
                let value = inputs.get(id).unwrap_or("").to_string();
                let options: Vec<(String, String)> = needed
                    .options
                    .iter()
                    .map(|o| {
                        let target = o
                            .schema
                            .as_ref()
                            .map(|s| format!(" → {}", s.name))
                            .unwrap_or_default();
                        (
                            o.code.clone(),
                            format!("{}{target}", option_text(&o.description)),
                        )
                    })
                    .collect();
                evaluation.discriminator = Some(StageField {
                    id: id.to_string(),
                    label: needed.name.clone(),
                    item: crate::domain::staging::naaccr_item_number(id)
                        .map(|n| n.to_string())
                        .unwrap_or_default(),
                    kind: "select",
                    description: code_description(&options, &value),
                    options,
                    value,
                    error: None,
                    used_for_staging: true,
                });
            }
            other => {
                evaluation.discriminator_note = Some(format!(
                    "Enter {} on the tumor's abstract ({}) to select the schema.",
                    needed.name,
                    other.unwrap_or(&needed.key)
                ));
            }
        }
    } else {
        evaluation.selection_message = Some(
            result
                .errors
                .first()
                .map(|e| e.message.clone())
                .unwrap_or_else(|| "No schema matches this case.".into()),
        );
    }
    evaluation.derived = service::derived_values(&result)
        .into_iter()
        .filter(|(id, value)| value.is_some() || DERIVED_ITEMS[..3].contains(&id.as_str()))
        .map(|(id, value)| DerivedLine {
            label: derived_label(&id),
            value: shown(&id, value.as_deref()),
            id,
        })
        .collect();
    evaluation.result = Some(result);
    evaluation
}

fn plain_fields(value: impl Fn(&str) -> Option<String>) -> Vec<StageField> {
    PLAIN_ITEMS
        .iter()
        .map(|(id, label)| {
            let v = value(id).unwrap_or_default();
            let error = if v.is_empty() {
                None
            } else {
                crate::domain::fields::check_item_value(id, &v).err()
            };
            StageField {
                id: (*id).to_string(),
                label: (*label).to_string(),
                item: crate::domain::staging::naaccr_item_number(id)
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                kind: "text",
                description: crate::domain::fields::describe(id, &v).unwrap_or_default(),
                value: v,
                options: Vec::new(),
                error,
                used_for_staging: true,
            }
        })
        .collect()
}

fn ajcc_fields(value: impl Fn(&str) -> Option<String>) -> Vec<StageField> {
    AJCC_ITEMS
        .iter()
        .map(|(id, label, format)| {
            let v = value(id).unwrap_or_default();
            let error = if v.is_empty() {
                None
            } else {
                crate::domain::fields::check_item_value(id, &v)
                    .and_then(|()| check_tnm(*format, &v))
                    .err()
            };
            StageField {
                id: (*id).to_string(),
                label: (*label).to_string(),
                item: String::new(),
                kind: "text",
                description: String::new(),
                value: v,
                options: Vec::new(),
                error,
                used_for_staging: false,
            }
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "staging/stage.html")]
struct StagePage {
    layout: Layout,
    tumor_id: i64,
    patient_id: i64,
    patient_name: String,
    tumor_number: String,
    case_items: Vec<CaseLine>,
    algorithm: Option<String>,
    saved_with: Option<String>,
    schema: Option<SchemaView>,
    selection_message: Option<String>,
    discriminator: Option<StageField>,
    discriminator_note: Option<String>,
    fields: Vec<StageField>,
    derived: Vec<DerivedLine>,
    status: String,
    messages: Vec<String>,
    ajcc: Vec<StageField>,
    errors: Vec<String>,
}

impl StagePage {
    fn schema_key(&self) -> &str {
        self.schema.as_ref().map(|s| s.key.as_str()).unwrap_or("")
    }
}

/// The values of a case that select its schema (from the stored abstract), as hidden fields
/// of the form so the preview can stage without reading the database.
fn case_lines(patient: &Patient, tumor: &Tumor) -> Vec<CaseLine> {
    [
        ("Primary site", "primarySite"),
        ("Histology", "histologicTypeIcdO3"),
        ("Behavior", "behaviorCodeIcdO3"),
        ("Date of diagnosis", "dateOfDiagnosis"),
    ]
    .into_iter()
    .map(|(label, id)| CaseLine {
        label,
        id,
        value: tumor.item(id).unwrap_or_default(),
    })
    .chain(std::iter::once(CaseLine {
        label: "Sex assigned at birth",
        id: "sexAssignedAtBirth",
        value: patient.item("sexAssignedAtBirth").unwrap_or_default(),
    }))
    .collect()
}

/// Typed values override the stored ones for every field the form posts.
fn overlay(inputs: &mut StagingInputs, algorithm: &Algorithm, typed: &HashMap<String, String>) {
    for (id, value) in typed {
        if !CASE_ITEMS.contains(&id.as_str()) && algorithm.known_input_ids.contains(id) {
            inputs.set(id, value);
        }
    }
}

fn page(
    layout: Layout,
    algorithm: Option<&Algorithm>,
    patient: &Patient,
    tumor: &Tumor,
    saved_with: Option<String>,
    typed: Option<&HashMap<String, String>>,
) -> StagePage {
    let value = |id: &str| -> Option<String> {
        match typed.and_then(|t| t.get(id)) {
            Some(v) => Some(v.trim().to_string()),
            None => tumor.item(id),
        }
    };
    let ajcc = ajcc_fields(value);
    let mut page = StagePage {
        layout,
        tumor_id: tumor.id,
        patient_id: patient.id,
        patient_name: patient.display_name(),
        tumor_number: tumor.tumor_record_number.clone(),
        case_items: case_lines(patient, tumor)
            .into_iter()
            .map(|mut c| {
                c.value = if c.value.is_empty() {
                    String::new()
                } else {
                    c.value
                };
                c
            })
            .collect(),
        algorithm: algorithm.map(|a| format!("{} {}", a.algorithm_name(), a.version())),
        saved_with,
        schema: None,
        selection_message: None,
        discriminator: None,
        discriminator_note: None,
        fields: Vec::new(),
        derived: Vec::new(),
        status: String::new(),
        messages: Vec::new(),
        ajcc,
        errors: Vec::new(),
    };
    match algorithm {
        Some(algorithm) => {
            let mut inputs = service::tumor_inputs(algorithm, patient, tumor);
            if let Some(typed) = typed {
                overlay(&mut inputs, algorithm, typed);
            }
            let evaluation = evaluate(algorithm, &inputs);
            page.status = evaluation
                .result
                .as_ref()
                .map(|r| r.status.as_str().to_string())
                .unwrap_or_default();
            page.schema = evaluation.schema;
            page.selection_message = evaluation.selection_message;
            page.discriminator = evaluation.discriminator;
            page.discriminator_note = evaluation.discriminator_note;
            page.fields = evaluation.fields;
            page.derived = evaluation.derived;
            page.messages = evaluation.messages;
        }
        None => page.fields = plain_fields(value),
    }
    page
}

#[derive(Deserialize)]
struct SavedNotice {
    saved: Option<String>,
}

async fn show(
    state: web::Data<AppState>,
    user: Authorized<ReadPatients>,
    path: web::Path<i64>,
    notice: web::Query<SavedNotice>,
) -> Result<StagePage, AppError> {
    let (actor, scope, id) = (user.actor(), user.scope.clone(), path.into_inner());
    let (patient, tumor, staging) = db(&state, move |conn| {
        service::read_case(conn, &actor, &scope, id)
    })
    .await?;
    let algorithm = state.staging.current();
    let layout = Layout::new(&user, &state).notice(notice.saved.as_ref().map(|_| "Stage saved."));
    Ok(page(
        layout,
        algorithm.as_deref(),
        &patient,
        &tumor,
        staging.map(|s| s.algorithm_version),
        None,
    ))
}

fn all_errors(page: &StagePage) -> Vec<String> {
    page.discriminator
        .iter()
        .chain(page.fields.iter())
        .chain(page.ajcc.iter())
        .filter_map(|f| f.error.as_ref().map(|e| format!("{}: {e}", f.label)))
        .collect()
}

async fn submit(
    state: web::Data<AppState>,
    user: Authorized<EditPatients>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let typed: HashMap<String, String> = form.into_inner().into_iter().collect();
    let (actor, scope, id) = (user.actor(), user.scope.clone(), path.into_inner());
    let (patient, tumor, staging) = {
        let (actor, scope) = (actor.clone(), scope.clone());
        db(&state, move |conn| {
            service::read_case(conn, &actor, &scope, id)
        })
        .await?
    };
    let algorithm = state.staging.current();
    let mut view = page(
        Layout::new(&user, &state),
        algorithm.as_deref(),
        &patient,
        &tumor,
        staging.map(|s| s.algorithm_version),
        Some(&typed),
    );
    let saving = typed.get("action").map(String::as_str) == Some("save");
    if !saving {
        return Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(view.render()?));
    }
    let errors = all_errors(&view);
    if !errors.is_empty() {
        view.errors = errors;
        return Ok(HttpResponse::UnprocessableEntity()
            .content_type("text/html; charset=utf-8")
            .body(view.render()?));
    }
    let entered: Vec<(String, Option<String>)> = view
        .discriminator
        .iter()
        .chain(view.fields.iter())
        .chain(view.ajcc.iter())
        .map(|f| {
            (
                f.id.clone(),
                Some(f.value.clone()).filter(|v| !v.is_empty()),
            )
        })
        .collect();
    let derived = match &algorithm {
        Some(algorithm) => {
            let mut inputs = service::tumor_inputs(algorithm, &patient, &tumor);
            overlay(&mut inputs, algorithm, &typed);
            Some(algorithm.stage(&inputs))
        }
        None => None,
    };
    db(&state, move |conn| {
        let derived = derived.as_ref().map(|r| (r, service::derived_values(r)));
        service::save_stage(conn, &actor, &scope, id, entered, derived)
    })
    .await?;
    Ok(see_other(&format!("/tumors/{id}/stage?saved=1")))
}

/// `POST /tumors/{id}/stage/preview`: stages the posted values (the case items travel as
/// hidden fields of the page) and answers the CLI's JSON plus what the page shows. Nothing
/// is read from or written to the database.
async fn preview(
    state: web::Data<AppState>,
    _user: Authorized<EditPatients>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let Some(algorithm) = state.staging.current() else {
        return Ok(HttpResponse::Ok().json(json!({
            "status": "no algorithm",
            "errors": [{"type": "NO_ALGORITHM", "message": "no staging algorithm is installed"}],
        })));
    };
    let mut inputs = StagingInputs::new();
    for (id, value) in form.into_inner() {
        if algorithm.known_input_ids.contains(&id) {
            inputs.set(&id, &value);
        }
    }
    let evaluation = evaluate(&algorithm, &inputs);
    let mut object = match evaluation.result.as_ref().map(StagingResult::to_json) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let shown_derived: Map<String, Value> = evaluation
        .derived
        .iter()
        .map(|d| (d.id.clone(), json!(d.value)))
        .collect();
    let field_errors: Map<String, Value> = evaluation
        .fields
        .iter()
        .map(|f| (f.id.clone(), json!(f.error)))
        .collect();
    let descriptions: Map<String, Value> = evaluation
        .fields
        .iter()
        .map(|f| (f.id.clone(), json!(option_text(&f.description))))
        .collect();
    object.insert(
        "schemaKey".into(),
        json!(evaluation.schema.as_ref().map(|s| s.key.clone())),
    );
    object.insert("shown".into(), Value::Object(shown_derived));
    object.insert("fieldErrors".into(), Value::Object(field_errors));
    object.insert("descriptions".into(), Value::Object(descriptions));
    Ok(HttpResponse::Ok().json(Value::Object(object)))
}

struct InstalledLine {
    version: String,
    algorithm: String,
    sha256: String,
    installed: String,
    by: String,
    current: bool,
}

struct JobLine {
    id: i64,
    from: String,
    to: String,
    status: String,
    done: i32,
    total: i32,
    changed: i32,
    started: String,
}

fn job_line(job: &model::Rederivation) -> JobLine {
    JobLine {
        id: job.id,
        from: job.from_version.clone().unwrap_or_else(|| "—".into()),
        to: job.to_version.clone(),
        status: job.status.clone(),
        done: job.done,
        total: job.total,
        changed: job.changed,
        started: job.started_at.format("%Y-%m-%d %H:%M:%S").to_string(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staging/admin.html")]
struct AdminPage {
    layout: Layout,
    loaded: Option<String>,
    load_ms: u128,
    source: String,
    installed: Vec<InstalledLine>,
    jobs: Vec<JobLine>,
}

async fn admin_page(
    state: web::Data<AppState>,
    user: Authorized<Administer>,
    notice: web::Query<SavedNotice>,
) -> Result<AdminPage, AppError> {
    let (installed, jobs) = db(&state, |conn| {
        Ok((model::installed(conn)?, model::rederivations(conn, 20)?))
    })
    .await?;
    let loaded = state.staging.current();
    Ok(AdminPage {
        layout: Layout::new(&user, &state)
            .notice(notice.saved.as_ref().map(|_| "Staging algorithm reloaded.")),
        loaded: loaded
            .as_ref()
            .map(|a| format!("{} {}", a.algorithm_name(), a.version())),
        load_ms: loaded
            .as_ref()
            .map(|a| a.load_time().as_millis())
            .unwrap_or(0),
        source: if state.settings.staging_algorithm.trim().is_empty() {
            format!(
                "installed algorithms in {}",
                state.settings.staging_dir().display()
            )
        } else {
            format!(
                "the staging_algorithm setting: {}",
                state.settings.staging_algorithm
            )
        },
        installed: installed
            .into_iter()
            .map(|r| InstalledLine {
                version: r.version,
                algorithm: r.algorithm,
                sha256: r.sha256,
                installed: r.installed_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                by: r.installed_by,
                current: r.is_current,
            })
            .collect(),
        jobs: jobs.iter().map(job_line).collect(),
    })
}

/// Loads the current installation again (after `registrar staging install` on this server)
/// and starts the re-derivation when its version changed.
async fn reload(
    state: web::Data<AppState>,
    user: Authorized<Administer>,
) -> Result<HttpResponse, AppError> {
    let st = state.clone();
    let actor = user.actor();
    web::block(move || -> Result<(), AppError> {
        service::activate(&st.pool, &st.settings, &st.staging).map_err(|e| {
            AppError::BadRequest(format!("The staging algorithm cannot be loaded: {e:#}"))
        })?;
        let mut conn = st.pool.get()?;
        write_tx(&mut conn, |conn| {
            audit::record(
                conn,
                &actor,
                &AuditEvent::new(Action::Update, "staging_algorithm").detail("reloaded"),
            )
        })?;
        Ok(())
    })
    .await??;
    Ok(see_other("/admin/staging?saved=1"))
}

struct ChangedCase {
    tumor_id: i64,
    patient_id: i64,
    schema_id: String,
    changes: Vec<(String, String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staging/rederivation.html")]
struct RederivationPage {
    layout: Layout,
    job: JobLine,
    running: bool,
    error: Option<String>,
    changed: Vec<ChangedCase>,
}

async fn rederivation_page(
    state: web::Data<AppState>,
    user: Authorized<Administer>,
    path: web::Path<i64>,
) -> Result<RederivationPage, AppError> {
    let id = path.into_inner();
    let actor = user.actor();
    let (job, changes) = db(&state, move |conn| {
        write_tx(conn, |conn| {
            let job = model::find_rederivation(conn, id)?.ok_or(AppError::NotFound)?;
            let changes = model::changes_of(conn, id, 1000)?;
            audit::record(
                conn,
                &actor,
                &AuditEvent::new(Action::Read, "staging_rederivation")
                    .id(id)
                    .detail(format!("{} changed cases listed", changes.len())),
            )?;
            Ok((job, changes))
        })
    })
    .await?;
    Ok(RederivationPage {
        layout: Layout::new(&user, &state),
        running: job.is_running(),
        error: job.error.clone(),
        job: job_line(&job),
        changed: changes
            .into_iter()
            .map(|c| {
                let list: Vec<crate::audit::FieldChange> =
                    serde_json::from_str(&c.changes).unwrap_or_default();
                ChangedCase {
                    tumor_id: c.tumor_id,
                    patient_id: c.patient_id,
                    schema_id: c.schema_id.unwrap_or_default(),
                    changes: list
                        .into_iter()
                        .map(|f| {
                            (
                                derived_label(&f.field),
                                f.old.unwrap_or_else(|| "(empty)".into()),
                                f.new.unwrap_or_else(|| "(empty)".into()),
                            )
                        })
                        .collect(),
                }
            })
            .collect(),
    })
}
