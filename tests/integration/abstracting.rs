//! Abstracting: the abstract screen's save (audited old → new), edits as you type, the abstract
//! status workflow, sequence numbers per patient, a new primary as a copy, the code lookups.

use crate::common::{TestApp, client, patient_fields, spawn_app};
use registrar::auth::Role;
use registrar::models::tumor;

/// A patient with one tumor created through the short forms; returns (patient id, tumor id).
async fn patient_with_tumor(app: &TestApp, c: &reqwest::Client, diagnosed: &str) -> (i64, i64) {
    let facility = app.facility("0000000001");
    let patient = app
        .create_patient(c, facility, &patient_fields("Abstract", "Ada"))
        .await;
    let tumor = add_tumor(app, c, patient, diagnosed, ["C504", "8500", "3", "2"]).await;
    (patient, tumor)
}

async fn add_tumor(
    app: &TestApp,
    c: &reqwest::Client,
    patient: i64,
    diagnosed: &str,
    [site, histology, behavior, laterality]: [&str; 4],
) -> i64 {
    let before: Vec<i64> = tumor::for_patient(&mut app.conn(), patient)
        .expect("tumors")
        .iter()
        .map(|t| t.id)
        .collect();
    let response = app
        .post_form(
            c,
            &format!("/patients/{patient}/tumors"),
            &[
                ("dateOfDiagnosis", diagnosed),
                ("primarySite", site),
                ("laterality", laterality),
                ("histologicTypeIcdO3", histology),
                ("behaviorCodeIcdO3", behavior),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303, "tumor not created");
    tumor::for_patient(&mut app.conn(), patient)
        .expect("tumors")
        .into_iter()
        .map(|t| t.id)
        .find(|id| !before.contains(id))
        .expect("the new tumor")
}

/// An empty abstract: a new patient's tumor with nothing but its record number.
async fn blank_tumor(app: &TestApp, c: &reqwest::Client, last: &str) -> i64 {
    let facility = app.facility("0000000001");
    let patient = app
        .create_patient(c, facility, &patient_fields(last, "Kay"))
        .await;
    tumor::insert(&mut app.conn(), &tumor::Tumor::blank(patient, "01".into()))
        .expect("tumor")
        .id
}

/// The values that make the test abstract pass every error edit.
const COMPLETE: &[(&str, &str)] = &[
    ("dateOfDiagnosis", "2024-03-15"),
    ("primarySite", "C50.4"),
    ("laterality", "2"),
    ("histologicTypeIcdO3", "8500"),
    ("behaviorCodeIcdO3", "3"),
    ("gradeClinical", "2"),
    ("gradePathological", "2"),
    ("diagnosticConfirmation", "1"),
    ("classOfCase", "10"),
    ("dateOf1stContact", "2024-03-20"),
    ("dateOfLastContact", "2025-01-10"),
    ("vitalStatus", "1"),
    ("race1", "01"),
    ("spanishHispanicOrigin", "0"),
    ("addrAtDxState", "MA"),
    ("accessionNumberHosp", "202400001"),
    ("primaryPayerAtDx", "02"),
    ("schemaId", "00480"),
];

async fn edits_json(
    app: &TestApp,
    c: &reqwest::Client,
    tumor: i64,
    fields: &[(&str, &str)],
) -> serde_json::Value {
    let response = app
        .post_form(c, &format!("/tumors/{tumor}/edits"), fields)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("JSON")
}

fn failures_of(json: &serde_json::Value) -> Vec<(String, String, Vec<String>)> {
    json["failures"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["edit_id"].as_str().unwrap_or("").to_string(),
                        f["severity"].as_str().unwrap_or("").to_string(),
                        f["items"]
                            .as_array()
                            .map(|i| {
                                i.iter()
                                    .filter_map(|x| x.as_str().map(str::to_string))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn errors_on(json: &serde_json::Value, item: &str) -> usize {
    failures_of(json)
        .iter()
        .filter(|(_, severity, items)| severity == "error" && items.iter().any(|i| i == item))
        .count()
}

#[tokio::test]
async fn the_abstract_shows_its_sections_in_order_and_saving_audits_each_item_old_to_new() {
    let app = spawn_app().await;
    let c = app.admin_client().await;
    let (patient, tumor) = patient_with_tumor(&app, &c, "2024-03-15").await;

    let (status, page) = app.get(&c, &format!("/tumors/{tumor}/abstract")).await;
    assert_eq!(status, 200);
    let order: Vec<usize> = [
        "1. Patient",
        "2. Cancer identification",
        "3. Stage",
        "4. First course of treatment",
        "5. Follow-up",
        "6. Text documentation",
        "7. Administration",
    ]
    .iter()
    .map(|h| {
        page.find(h)
            .unwrap_or_else(|| panic!("section {h} missing"))
    })
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "sections out of order"
    );
    assert!(page.contains("Stage with the SEER algorithm"));
    assert!(page.contains(&format!("href=\"/tumors/{tumor}/stage\"")));
    // Every coded field shows its description: laterality 2 is the left side.
    assert!(page.contains("Left"), "laterality description missing");
    assert!(
        page.contains("Alt+N next section"),
        "hotkeys are documented"
    );

    let response = app
        .post_form(
            &c,
            &format!("/tumors/{tumor}/abstract"),
            &[
                ("laterality", "1"),
                ("rxSummChemo", "01"),
                ("rxDateChemo", "2024-04-02"),
                ("race1", "01"),
                ("textDxProcPath", "Invasive ductal carcinoma, left breast."),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);

    let stored = tumor::find(&mut app.conn(), tumor)
        .expect("query")
        .expect("tumor");
    assert_eq!(stored.laterality.as_deref(), Some("1"));
    assert_eq!(stored.item("rxSummChemo").as_deref(), Some("01"));
    assert_eq!(stored.item("rxDateChemo").as_deref(), Some("20240402"));
    let stored_patient = registrar::models::patient::find_scoped(
        &mut app.conn(),
        &registrar::models::patient::Scope::All,
        patient,
    )
    .expect("query")
    .expect("patient");
    assert_eq!(stored_patient.item("race1").as_deref(), Some("01"));

    let rows = app.audit_rows();
    let tumor_update = rows
        .iter()
        .rev()
        .find(|r| {
            r.action == "update" && r.entity == "tumor" && r.detail.as_deref() == Some("abstract")
        })
        .expect("tumor update audited");
    let changes = tumor_update.field_changes();
    let laterality = changes
        .iter()
        .find(|c| c.field == "laterality")
        .expect("laterality change");
    assert_eq!(laterality.old.as_deref(), Some("2"));
    assert_eq!(laterality.new.as_deref(), Some("1"));
    assert!(
        changes
            .iter()
            .any(|c| c.field == "rxSummChemo" && c.old.is_none() && c.new.as_deref() == Some("01"))
    );
    let patient_update = rows
        .iter()
        .rev()
        .find(|r| {
            r.action == "update" && r.entity == "patient" && r.detail.as_deref() == Some("abstract")
        })
        .expect("patient update audited");
    assert!(
        patient_update
            .field_changes()
            .iter()
            .any(|c| c.field == "race1")
    );

    // The source text is shown beside the form and the field's change history on the page.
    let (_, page) = app
        .get(&c, &format!("/tumors/{tumor}/abstract?history=laterality"))
        .await;
    assert!(page.contains("Invasive ductal carcinoma, left breast."));
    assert!(page.contains("Change history of Laterality [410]"));

    // A value that is not a code is refused with the field named, and nothing is saved.
    let response = app
        .post_form(
            &c,
            &format!("/tumors/{tumor}/abstract"),
            &[("laterality", "7"), ("rxSummChemo", "00")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let body = response.text().await.expect("body");
    assert!(body.contains("Laterality"));
    let stored = tumor::find(&mut app.conn(), tumor)
        .expect("query")
        .expect("tumor");
    assert_eq!(stored.item("rxSummChemo").as_deref(), Some("01"));

    // Any item of the dictionary is reachable in the all-items panel by number or name.
    let (_, page) = app
        .get(&c, &format!("/tumors/{tumor}/abstract?find=1290"))
        .await;
    assert!(
        page.contains("name=\"rxSummSurgPrimSite\""),
        "item 1290 offered"
    );
    let response = app
        .post_form(
            &c,
            &format!("/tumors/{tumor}/abstract"),
            &[("rxSummSurgPrimSite", "41")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let stored = tumor::find(&mut app.conn(), tumor)
        .expect("query")
        .expect("tumor");
    assert_eq!(stored.item("rxSummSurgPrimSite").as_deref(), Some("41"));
    let response = app
        .post_form(
            &c,
            &format!("/tumors/{tumor}/abstract"),
            &[("rxSummSurgPrimSite", "4100")],
        )
        .await;
    assert_eq!(
        response.status().as_u16(),
        422,
        "longer than the item is refused"
    );
}

#[tokio::test]
async fn edits_run_on_unsaved_values_and_name_the_failing_fields() {
    let app = spawn_app().await;
    let c = app.admin_client().await;
    let (_, tumor) = patient_with_tumor(&app, &c, "2024-03-15").await;

    // Breast is a paired organ: laterality 0 (not paired) fails, 2 (left) passes.
    let json = edits_json(
        &app,
        &c,
        tumor,
        &[("primarySite", "C50.4"), ("laterality", "0")],
    )
    .await;
    assert!(errors_on(&json, "laterality") > 0, "{json}");
    let json = edits_json(
        &app,
        &c,
        tumor,
        &[("primarySite", "C50.4"), ("laterality", "2")],
    )
    .await;
    assert_eq!(errors_on(&json, "laterality"), 0, "{json}");
    assert!(json["fields"].is_object());

    // A date that cannot be a date fails its own field; a diagnosis before birth fails an order edit.
    let json = edits_json(&app, &c, tumor, &[("dateOfDiagnosis", "2024-13-40")]).await;
    assert!(
        failures_of(&json)
            .iter()
            .any(|(id, _, items)| id == "FORMAT" && items == &vec!["dateOfDiagnosis".to_string()])
    );
    let json = edits_json(&app, &c, tumor, &[("dateOfDiagnosis", "1950-01-01")]).await;
    assert!(errors_on(&json, "dateOfDiagnosis") > 0, "{json}");

    // Nothing of that was saved.
    let stored = tumor::find(&mut app.conn(), tumor)
        .expect("query")
        .expect("tumor");
    assert_eq!(stored.date_of_diagnosis.as_deref(), Some("20240315"));

    // The complete abstract passes every error edit.
    let json = edits_json(&app, &c, tumor, COMPLETE).await;
    assert_eq!(json["errors"], 0, "{json}");
}

#[tokio::test]
async fn complete_is_refused_while_an_error_edit_fails_and_a_reviewer_marks_reviewed() {
    let app = spawn_app().await;
    let c = app.admin_client().await;
    let (_, tumor) = patient_with_tumor(&app, &c, "2024-03-15").await;
    let status_of = |app: &TestApp| {
        tumor::find(&mut app.conn(), tumor)
            .expect("query")
            .expect("tumor")
            .abstract_status
    };

    let response = app
        .post_form(
            &c,
            &format!("/tumors/{tumor}/status"),
            &[("status", "complete")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let body = response.text().await.expect("body");
    assert!(body.contains("Not complete"), "the refusal says why");
    assert_eq!(status_of(&app), "incomplete");

    let response = app
        .post_form(&c, &format!("/tumors/{tumor}/abstract"), COMPLETE)
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let response = app
        .post_form(
            &c,
            &format!("/tumors/{tumor}/status"),
            &[("status", "complete")],
        )
        .await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "{}",
        response.text().await.unwrap_or_default()
    );
    assert_eq!(status_of(&app), "complete");
    // The worklist shows the status.
    let (_, worklist) = app.get(&c, "/").await;
    assert!(worklist.contains(&format!("/tumors/{tumor}/abstract\">complete</a>")));

    // A registrar cannot mark it reviewed; a reviewer can.
    let registrar = app
        .client_for("reg", Role::Registrar, &["0000000001"])
        .await;
    let response = app
        .post_form(
            &registrar,
            &format!("/tumors/{tumor}/status"),
            &[("status", "reviewed")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 403);
    let reviewer = app.client_for("rev", Role::Reviewer, &["0000000001"]).await;
    let response = app
        .post_form(
            &reviewer,
            &format!("/tumors/{tumor}/status"),
            &[("status", "reviewed")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(status_of(&app), "reviewed");
    // The reviewer may not change the abstract itself.
    let response = app
        .post_form(
            &reviewer,
            &format!("/tumors/{tumor}/abstract"),
            &[("laterality", "1")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 403);

    // A save that breaks an error edit reopens the abstract.
    let response = app
        .post_form(
            &c,
            &format!("/tumors/{tumor}/abstract"),
            &[("laterality", "0")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(status_of(&app), "incomplete");
    let changes: Vec<_> = app
        .audit_rows()
        .iter()
        .flat_map(|r| r.field_changes())
        .filter(|c| c.field == "abstractStatus")
        .map(|c| (c.old.unwrap_or_default(), c.new.unwrap_or_default()))
        .collect();
    assert_eq!(
        changes,
        vec![
            ("incomplete".to_string(), "complete".to_string()),
            ("complete".into(), "reviewed".into()),
            ("reviewed".into(), "incomplete".into())
        ]
    );
}

/// A tumor abstracted with [`COMPLETE`] and marked complete by `registrar`.
async fn completed_tumor(
    app: &TestApp,
    admin: &reqwest::Client,
    registrar: &reqwest::Client,
    last: &str,
) -> i64 {
    let facility = app.facility("0000000001");
    let patient = app
        .create_patient(admin, facility, &patient_fields(last, "Quinn"))
        .await;
    let tumor = add_tumor(
        app,
        admin,
        patient,
        "2024-03-15",
        ["C504", "8500", "3", "2"],
    )
    .await;
    let response = app
        .post_form(registrar, &format!("/tumors/{tumor}/abstract"), COMPLETE)
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let response = app
        .post_form(
            registrar,
            &format!("/tumors/{tumor}/status"),
            &[("status", "complete")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303, "marked complete");
    tumor
}

/// The blind review values: the complete abstract's with some items changed.
fn review_values<'a>(changed: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    COMPLETE
        .iter()
        .map(|(k, v)| {
            changed
                .iter()
                .find(|(c, _)| c == k)
                .copied()
                .unwrap_or((*k, *v))
        })
        .collect()
}

/// Submits a blind review and returns the review page's path.
async fn submit_review(
    app: &TestApp,
    c: &reqwest::Client,
    tumor: i64,
    values: &[(&str, &str)],
) -> String {
    let response = app
        .post_form(c, &format!("/tumors/{tumor}/qc"), values)
        .await;
    assert_eq!(response.status().as_u16(), 303, "review stored");
    response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("location")
        .to_string()
}

/// Resolves the two differences of the QC test: laterality takes the review value (coding
/// error), grade keeps the original ("other" with the given explanation).
async fn resolve_differences(
    app: &TestApp,
    reviewer: &reqwest::Client,
    page: &str,
    explanation: &str,
) -> reqwest::Response {
    app.post_form(
        reviewer,
        page,
        &[
            ("reason-laterality", "coding"),
            ("resolution-laterality", "review"),
            ("reason-gradeClinical", "other"),
            ("text-gradeClinical", explanation),
            ("resolution-gradeClinical", "original"),
        ],
    )
    .await
}

#[tokio::test]
async fn a_reviewer_re_abstracts_blind_and_resolves_each_difference_with_a_reason() {
    let app = spawn_app().await;
    let admin = app.admin_client().await;
    let registrar = app
        .client_for("reg", Role::Registrar, &["0000000001"])
        .await;
    let tumor = completed_tumor(&app, &admin, &registrar, "Blind").await;
    let reviewer = app.client_for("rev", Role::Reviewer, &["0000000001"]).await;

    // Registrars do not do QC.
    let (status, _) = app.get(&registrar, &format!("/tumors/{tumor}/qc")).await;
    assert_eq!(status, 403);
    // The blind form: the coded items, all empty; no original value on the page.
    let (status, body) = app.get(&reviewer, &format!("/tumors/{tumor}/qc")).await;
    assert_eq!(status, 200);
    assert!(body.contains("id=\"q-primarySite\" name=\"primarySite\" value=\"\""));
    assert!(body.contains("id=\"q-laterality\" name=\"laterality\" value=\"\""));
    assert!(body.contains("id=\"q-dateOfDiagnosis\" name=\"dateOfDiagnosis\" value=\"\""));
    for original in [
        "C50.4",
        "C504",
        "8500",
        "2024-03-15",
        "20240315",
        "202400001",
        "Lower-outer",
    ] {
        assert!(!body.contains(original), "the blind form shows {original}");
    }
    let inputs: Vec<&str> = body.split("<input id=\"q-").skip(1).collect();
    assert_eq!(
        inputs.len(),
        registrar::domain::abstracting::qc_items().len()
    );
    for input in inputs {
        let tag = input.split('>').next().unwrap_or_default();
        assert!(
            tag.contains("value=\"\""),
            "a blind field is filled in: {tag}"
        );
    }

    // Submitted: the differences are listed with both values.
    let page = submit_review(
        &app,
        &reviewer,
        tumor,
        &review_values(&[("laterality", "1"), ("gradeClinical", "3")]),
    )
    .await;
    let (status, body) = app.get(&reviewer, &page).await;
    assert_eq!(status, 200);
    assert_eq!(body.matches("<tr data-item=").count(), 2, "{body}");
    assert!(body.contains("<tr data-item=\"laterality\""));
    assert!(body.contains("<tr data-item=\"gradeClinical\""));
    assert!(body.contains("<td class=\"original\">2 – "));
    assert!(body.contains("<td class=\"review\">1 – "));
    let total = registrar::domain::abstracting::qc_items().len();
    assert!(body.contains(&format!("{} of {total} items agree", total - 2)));

    // A reason and a resolution are required for every difference; "other" needs words.
    let response = app
        .post_form(
            &reviewer,
            &page,
            &[
                ("reason-laterality", "coding"),
                ("resolution-laterality", "review"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("Choose a discrepancy reason.")
    );
    let response = resolve_differences(&app, &reviewer, &page, "").await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("Explain the reason")
    );
    let stored = tumor::find(&mut app.conn(), tumor)
        .expect("query")
        .expect("tumor");
    assert_eq!(
        stored.laterality.as_deref(),
        Some("2"),
        "nothing changed yet"
    );

    let response = resolve_differences(&app, &reviewer, &page, "grade from the second slide").await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, body) = app.get(&reviewer, &format!("{page}?resolved=1")).await;
    assert!(body.contains("review value taken"));
    assert!(body.contains("Other (explain): grade from the second slide"));
    // Taking the review value updated the abstract, audited as the reviewer's change.
    let stored = tumor::find(&mut app.conn(), tumor)
        .expect("query")
        .expect("tumor");
    assert_eq!(stored.laterality.as_deref(), Some("1"));
    assert_eq!(stored.grade_clinical.as_deref(), Some("2"));
    let rows = app.audit_rows();
    assert!(rows.iter().any(|r| r.entity == "tumor"
        && r.user_email.as_deref() == Some("rev@test.example")
        && r.field_changes().iter().any(|c| c.field == "laterality"
            && c.old.as_deref() == Some("2")
            && c.new.as_deref() == Some("1"))));
    assert!(
        rows.iter()
            .any(|r| r.entity == "qc_review" && r.action == "create")
    );
    assert!(
        rows.iter()
            .any(|r| r.entity == "qc_review" && r.action == "update")
    );

    // An admin who completed an abstract cannot review it.
    let own = completed_tumor(&app, &admin, &admin, "Own").await;
    let (status, _) = app.get(&admin, &format!("/tumors/{own}/qc")).await;
    assert_eq!(status, 403);
    let response = app
        .post_form(&admin, &format!("/tumors/{own}/qc"), COMPLETE)
        .await;
    assert_eq!(response.status().as_u16(), 403);
}

#[tokio::test]
async fn the_qc_page_shows_agreement_per_item_and_per_registrar() {
    let app = spawn_app().await;
    let admin = app.admin_client().await;
    let ann = app
        .client_for("ann", Role::Registrar, &["0000000001"])
        .await;
    let bob = app
        .client_for("bob", Role::Registrar, &["0000000001"])
        .await;
    let reviewer = app.client_for("rev", Role::Reviewer, &["0000000001"]).await;
    let first = completed_tumor(&app, &admin, &ann, "Alpha").await;
    let second = completed_tumor(&app, &admin, &ann, "Beta").await;
    let third = completed_tumor(&app, &admin, &bob, "Gamma").await;
    // Hand-worked: n items compared per review. Ann: first review differs on laterality and
    // grade, second on laterality → 2n compared, 2n − 3 agreed. Bob: all agree → n of n.
    // Laterality: 3 compared, 1 agreed (33.3 %); Grade Clinical: 3 compared, 2 agreed (66.7 %);
    // Primary Site: 3 of 3 (100.0 %).
    submit_review(
        &app,
        &reviewer,
        first,
        &review_values(&[("laterality", "1"), ("gradeClinical", "3")]),
    )
    .await;
    submit_review(
        &app,
        &reviewer,
        second,
        &review_values(&[("laterality", "1")]),
    )
    .await;
    let page = submit_review(&app, &reviewer, third, COMPLETE).await;
    let (_, body) = app.get(&reviewer, &page).await;
    assert!(body.contains("The review agrees with the abstract on every item."));

    let n = registrar::domain::abstracting::qc_items().len();
    let (status, body) = app.get(&reviewer, "/qc").await;
    assert_eq!(status, 200);
    let pct =
        |agreed: usize, compared: usize| format!("{:.1}", agreed as f64 * 100.0 / compared as f64);
    assert!(
        body.contains(&format!(
            "<tr><td>ann@test.example</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            2 * n,
            2 * n - 3,
            pct(2 * n - 3, 2 * n)
        )),
        "{body}"
    );
    assert!(body.contains(&format!(
        "<tr><td>bob@test.example</td><td>{n}</td><td>{n}</td><td>100.0</td></tr>"
    )));
    assert!(body.contains("<tr><td>Laterality [410]</td><td>3</td><td>1</td><td>33.3</td></tr>"));
    assert!(
        body.contains("<tr><td>Primary Site [400]</td><td>3</td><td>3</td><td>100.0</td></tr>")
    );
    assert!(body.contains("<td>3</td><td>2</td><td>66.7</td></tr>"));
    // Registrars do not see the QC page.
    let (status, _) = app.get(&ann, "/qc").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn an_autosaved_draft_survives_a_new_session_and_saving_clears_it() {
    let app = spawn_app().await;
    let admin = app.admin_client().await;
    let (_, tumor) = patient_with_tumor(&app, &admin, "2024-03-15").await;
    let (email, password) = app.user("drafter", Role::Registrar, &["0000000001"]);
    let c = client();
    app.login(&c, &email, &password).await;

    // What the page's script posts: the unsaved form, with the CSRF token.
    let response = app
        .post_form(
            &c,
            &format!("/tumors/{tumor}/draft"),
            &[
                ("laterality", "1"),
                ("gradeClinical", "3"),
                ("section", "identification"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 204);
    let response = c
        .post(app.url(&format!("/tumors/{tumor}/draft")))
        .form(&[("laterality", "9")])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status().as_u16(), 403, "no CSRF token, no draft");
    let reviewer = app.client_for("rev", Role::Reviewer, &["0000000001"]).await;
    let response = app
        .post_form(
            &reviewer,
            &format!("/tumors/{tumor}/draft"),
            &[("laterality", "9")],
        )
        .await;
    assert_eq!(
        response.status().as_u16(),
        403,
        "reviewers do not edit abstracts"
    );
    assert!(app.audit_rows().iter().any(|r| {
        r.entity == "abstract_draft"
            && r.user_email.as_deref() == Some(email.as_str())
            && r.detail
                .as_deref()
                .is_some_and(|d| d.starts_with("draft save"))
    }));

    // Log out, log in again: the abstract opens with the draft restored.
    let response = app.post_form(&c, "/logout", &[]).await;
    assert_eq!(response.status().as_u16(), 303);
    let (status, _) = app.get(&c, &format!("/tumors/{tumor}/abstract")).await;
    assert_ne!(status, 200, "signed out");
    app.login(&c, &email, &password).await;
    let (status, body) = app.get(&c, &format!("/tumors/{tumor}/abstract")).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("Your unsaved draft of"),
        "the draft is offered"
    );
    assert!(
        body.contains("id=\"f-laterality\" name=\"laterality\" form=\"abstract-form\" value=\"1\"")
    );
    assert!(body.contains(
        "id=\"f-gradeClinical\" name=\"gradeClinical\" form=\"abstract-form\" value=\"3\""
    ));
    assert!(body.contains("Discard the draft"));
    // Nothing was stored on the abstract, and other users do not see the draft.
    let stored = tumor::find(&mut app.conn(), tumor)
        .expect("query")
        .expect("tumor");
    assert_eq!(stored.laterality.as_deref(), Some("2"));
    let (_, body) = app.get(&admin, &format!("/tumors/{tumor}/abstract")).await;
    assert!(!body.contains("Your unsaved draft of"));

    // Saving clears it.
    let response = app
        .post_form(
            &c,
            &format!("/tumors/{tumor}/abstract"),
            &[("laterality", "1")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, body) = app.get(&c, &format!("/tumors/{tumor}/abstract")).await;
    assert!(!body.contains("Your unsaved draft of"));
    assert!(
        body.contains("id=\"f-laterality\" name=\"laterality\" form=\"abstract-form\" value=\"1\"")
    );
}

#[tokio::test]
async fn edits_as_you_type_compute_the_sequence_number_the_save_will_give() {
    let app = spawn_app().await;
    let c = app.admin_client().await;
    // A never-saved abstract has no sequence number stored yet; the edits of the typed values
    // must not ask for it (the save computes it).
    let blank = blank_tumor(&app, &c, "Blank").await;
    let json = edits_json(&app, &c, blank, COMPLETE).await;
    assert_eq!(errors_on(&json, "sequenceNumberHospital"), 0, "{json}");
    assert_eq!(json["errors"], 0, "{json}");
    let json = edits_json(&app, &c, blank, &[("behaviorCodeIcdO3", "2")]).await;
    assert_eq!(errors_on(&json, "sequenceNumberHospital"), 0, "{json}");
}

/// A state's user dictionary with two items (a tumor code and a patient text).
const STATE_DICTIONARY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<NaaccrDictionary dictionaryUri="http://state.example/naaccr/state-items-1.xml"
    naaccrVersion="260" specificationVersion="1.7" xmlns="http://naaccr.org/naaccrxml">
  <ItemDefs>
    <ItemDef naaccrId="stateCancerProgram" naaccrNum="9501" naaccrName="State Cancer Program Flag"
        parentXmlElement="Tumor" length="2" recordTypes="A,M,C,I" dataType="digits"/>
    <ItemDef naaccrId="stateTribalAffiliation" naaccrNum="9502" naaccrName="State Tribal Affiliation"
        parentXmlElement="Patient" length="20" recordTypes="A,M,C,I"/>
  </ItemDefs>
</NaaccrDictionary>
"#;

/// User dictionaries are installed for the whole process (as the setting is in production), so
/// this test runs in a process of its own: other tests' exports must not name its dictionary.
#[test]
fn items_of_a_user_dictionary_loaded_at_run_time_are_abstracted_exported_and_imported() {
    let exe = std::env::current_exe().expect("test binary");
    let output = std::process::Command::new(exe)
        .args([
            "abstracting::user_dictionary_items_in_a_process_of_their_own",
            "--exact",
            "--ignored",
            "--test-threads=1",
        ])
        .output()
        .expect("child test runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
#[ignore = "run in a child process by items_of_a_user_dictionary_loaded_at_run_time_are_abstracted_exported_and_imported"]
async fn user_dictionary_items_in_a_process_of_their_own() {
    let dir = tempfile::tempdir().expect("dir");
    let dictionary = dir.path().join("state-items.xml");
    std::fs::write(&dictionary, STATE_DICTIONARY).expect("write");
    let path = dictionary.clone();
    let app = crate::common::spawn_app_with(move |s| s.user_dictionaries = vec![path]).await;
    let c = app.admin_client().await;
    let (patient, tumor_id) = patient_with_tumor(&app, &c, "2024-03-15").await;

    // The all-items panel finds the state items by name or number.
    let (_, body) = app
        .get(
            &c,
            &format!("/tumors/{tumor_id}/abstract?find=state+cancer+program"),
        )
        .await;
    assert!(
        body.contains("State Cancer Program Flag <span class=\"item-number\">[9501]</span>"),
        "{body}"
    );
    let (_, body) = app
        .get(&c, &format!("/tumors/{tumor_id}/abstract?find=9502"))
        .await;
    assert!(body.contains("State Tribal Affiliation"));
    // They are checked against their definition, then saved into the item column, audited.
    let response = app
        .post_form(
            &c,
            &format!("/tumors/{tumor_id}/abstract"),
            &[("stateCancerProgram", "7")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422, "digits of length 2");
    let response = app
        .post_form(
            &c,
            &format!("/tumors/{tumor_id}/abstract"),
            &[
                ("stateCancerProgram", "07"),
                ("stateTribalAffiliation", "Nation A"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let stored = tumor::find(&mut app.conn(), tumor_id)
        .expect("query")
        .expect("tumor");
    assert!(
        stored.items.contains("\"stateCancerProgram\":\"07\""),
        "{}",
        stored.items
    );
    assert!(app.audit_rows().iter().any(|r| {
        r.field_changes()
            .iter()
            .any(|ch| ch.field == "stateCancerProgram" && ch.new.as_deref() == Some("07"))
    }));
    let (_, body) = app
        .get(&c, &format!("/tumors/{tumor_id}/abstract?find=9501"))
        .await;
    assert!(body.contains("name=\"stateCancerProgram\" form=\"abstract-form\" value=\"07\""));

    // Exported like any item (the file names the user dictionary), and imported back.
    let registrar_cmd = || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_registrar"));
        cmd.env("DATABASE_URL", &app.database_url)
            .env("REGISTRAR_DATA_DIR", app.settings.data_dir.as_os_str())
            .env("REGISTRAR_USER_DICTIONARIES", dictionary.as_os_str())
            .env("REGISTRAR_LOG", "warn");
        cmd
    };
    let out = dir.path().join("out.xml");
    let output = registrar_cmd()
        .args(["export", "--profile", "NCDB", "--out"])
        .arg(&out)
        .output()
        .expect("export runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let xml = std::fs::read_to_string(&out).expect("export file");
    assert!(
        xml.contains("http://state.example/naaccr/state-items-1.xml"),
        "user dictionary named"
    );
    assert!(
        xml.contains("<Item naaccrId=\"stateCancerProgram\">07</Item>"),
        "{xml}"
    );
    assert!(xml.contains("<Item naaccrId=\"stateTribalAffiliation\">Nation A</Item>"));
    let output = registrar_cmd()
        .args(["import", "--facility", "0000000002"])
        .arg(&out)
        .output()
        .expect("import runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let copies: Vec<_> = app
        .audit_rows()
        .into_iter()
        .filter(|r| r.action == "import" && r.entity == "patient")
        .collect();
    assert_eq!(copies.len(), 1, "one patient imported");
    assert_ne!(copies[0].patient_id, Some(patient));
    let copy = copies[0].patient_id.expect("patient id");
    let tumors = tumor::for_patient(&mut app.conn(), copy).expect("tumors");
    assert!(
        tumors[0].items.contains("\"stateCancerProgram\":\"07\""),
        "{}",
        tumors[0].items
    );
}

#[tokio::test]
async fn sequence_numbers_follow_the_dates_of_diagnosis_and_changes_are_shown() {
    let app = spawn_app().await;
    let c = app.admin_client().await;
    let (patient, first) = patient_with_tumor(&app, &c, "2020-05-01").await;
    let seq = |app: &TestApp, id: i64| {
        let t = tumor::find(&mut app.conn(), id)
            .expect("query")
            .expect("tumor");
        (
            t.sequence_number_hospital.unwrap_or_default(),
            t.sequence_number_central.unwrap_or_default(),
        )
    };
    assert_eq!(seq(&app, first), ("00".to_string(), "00".to_string()));

    let second = add_tumor(&app, &c, patient, "2023-02-01", ["C18.7", "8140", "3", "0"]).await;
    assert_eq!(seq(&app, first).0, "01");
    assert_eq!(seq(&app, second).0, "02");
    // A benign tumor is numbered in its own series.
    let benign = add_tumor(&app, &c, patient, "2022-01-01", ["C71.0", "9530", "0", "1"]).await;
    assert_eq!(seq(&app, benign).0, "60");

    // Moving the first diagnosis after the second swaps their numbers; the page says so.
    let response = app
        .post_form(
            &c,
            &format!("/tumors/{first}/abstract"),
            &[("dateOfDiagnosis", "2024-01-01")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(location.contains("renumbered="), "{location}");
    assert_eq!(seq(&app, first).0, "02");
    assert_eq!(seq(&app, second).0, "01");
    let (_, page) = app.get(&c, &location).await;
    assert!(page.contains("Sequence numbers changed"));
    assert!(
        app.audit_rows().iter().any(
            |r| r.detail.as_deref() == Some("sequence numbers recomputed")
                && r.entity_id.as_deref() == Some(&*second.to_string())
        ),
        "renumbering is audited"
    );

    // Deleting a tumor renumbers the rest.
    let response = app
        .post_form(&c, &format!("/tumors/{second}/delete"), &[])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(seq(&app, first).0, "00");
    assert!(
        tumor::find(&mut app.conn(), second)
            .expect("query")
            .is_none()
    );
}

#[tokio::test]
async fn a_new_primary_starts_as_a_copy_of_the_chosen_tumor_items() {
    let app = spawn_app().await;
    let c = app.admin_client().await;
    let (patient, source) = patient_with_tumor(&app, &c, "2024-03-15").await;
    let response = app
        .post_form(&c, &format!("/tumors/{source}/abstract"), COMPLETE)
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, page) = app.get(&c, &format!("/tumors/{source}/abstract")).await;
    assert!(page.contains("New primary from this tumor"));

    let response = app
        .post_form(
            &c,
            &format!("/tumors/{source}/copy"),
            &[
                ("item", "primarySite"),
                ("item", "histologicTypeIcdO3"),
                ("item", "behaviorCodeIcdO3"),
                ("item", "classOfCase"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let tumors = tumor::for_patient(&mut app.conn(), patient).expect("tumors");
    assert_eq!(tumors.len(), 2);
    let copy = tumors.iter().find(|t| t.id != source).expect("copy");
    assert_eq!(copy.primary_site.as_deref(), Some("C504"));
    assert_eq!(copy.histology.as_deref(), Some("8500"));
    assert_eq!(copy.class_of_case.as_deref(), Some("10"));
    assert_eq!(copy.laterality, None, "items not chosen are not copied");
    assert_eq!(copy.abstract_status, "incomplete");
    assert_eq!(copy.tumor_record_number, "02");
    let patient_row = registrar::models::patient::find_scoped(
        &mut app.conn(),
        &registrar::models::patient::Scope::All,
        patient,
    )
    .expect("query")
    .expect("patient");
    assert_eq!(
        patient_row.item("race1").as_deref(),
        Some("01"),
        "patient items kept"
    );
    assert!(
        app.audit_rows()
            .iter()
            .any(|r| r.action == "create" && r.detail.as_deref() == Some("copy of tumor 01"))
    );
}

#[tokio::test]
async fn code_lookups_answer_json_for_topography_histology_and_code_lists() {
    let app = spawn_app().await;
    let c = app.admin_client().await;
    let get_json = |path: String| {
        let c = c.clone();
        let url = app.url(&path);
        async move {
            let r = c.get(url).send().await.expect("GET");
            assert_eq!(r.status().as_u16(), 200);
            r.json::<serde_json::Value>().await.expect("JSON")
        }
    };
    let sites = get_json("/lookup/topography?q=breast".into()).await;
    assert!(
        sites
            .as_array()
            .expect("list")
            .iter()
            .any(|h| h["code"] == "C504")
    );
    let sites = get_json("/lookup/topography?q=C50.4".into()).await;
    assert_eq!(sites[0]["code"], "C504");
    let histology = get_json("/lookup/histology?q=8500".into()).await;
    assert!(
        histology
            .as_array()
            .expect("list")
            .iter()
            .any(|h| h["code"] == "8500/3")
    );
    let laterality = get_json("/lookup/codes/laterality?q=left".into()).await;
    assert!(
        laterality
            .as_array()
            .expect("list")
            .iter()
            .any(|h| h["code"] == "2")
    );
    let anonymous = client();
    let r = anonymous
        .get(app.url("/lookup/topography?q=lung"))
        .send()
        .await
        .expect("GET");
    assert_ne!(r.status().as_u16(), 200, "lookups need a signed-in user");
}

fn registrar_edits(file: &std::path::Path, set: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_registrar"))
        .args(["edits", "--set", set])
        .arg(file)
        .env("REGISTRAR_LOG", "warn")
        .output()
        .expect("registrar edits")
}

#[test]
fn registrar_edits_prints_one_json_line_per_failure_and_a_summary_and_fails_on_errors() {
    let dir = tempfile::tempdir().expect("dir");
    let today = chrono::Utc::now().date_naive();
    // Demo data is plausible: some tumors still fail edits (e.g. items a demo does not fill).
    let file = dir.path().join("demo.xml");
    let (_, tumors) =
        registrar::services::edits_file::write_demo_file(&file, 20, 7, today).expect("file");
    let output = registrar_edits(&file, "incidence");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let summary = lines.last().expect("summary line");
    assert_eq!(summary["summary"], true);
    assert_eq!(summary["tumors_checked"], tumors as u64);
    let failures = &lines[..lines.len() - 1];
    for f in failures {
        for key in [
            "edit",
            "patientIdNumber",
            "tumorRecordNumber",
            "items",
            "message",
        ] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
    }
    let errors = summary["errors"].as_u64().expect("errors");
    assert_eq!(output.status.success(), errors == 0);

    // A file with a breast tumor coded laterality 0 (not paired) fails with exit status 1.
    let bad = dir.path().join("bad.xml");
    std::fs::write(
        &bad,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<NaaccrData baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="I" specificationVersion="1.8" xmlns="http://naaccr.org/naaccrxml">
<Patient><Item naaccrId="patientIdNumber">00000042</Item><Item naaccrId="dateOfBirth">19600101</Item><Item naaccrId="sexAssignedAtBirth">2</Item>
<Tumor><Item naaccrId="tumorRecordNumber">01</Item><Item naaccrId="primarySite">C504</Item><Item naaccrId="laterality">0</Item><Item naaccrId="histologicTypeIcdO3">8500</Item><Item naaccrId="behaviorCodeIcdO3">3</Item><Item naaccrId="dateOfDiagnosis">20240315</Item></Tumor>
</Patient></NaaccrData>"#,
    )
    .expect("write");
    let output = registrar_edits(&bad, "incidence");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let laterality: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| {
            l["items"]
                .as_array()
                .is_some_and(|i| i.iter().any(|x| x == "laterality"))
                && l["severity"] == "error"
        })
        .collect();
    assert!(!laterality.is_empty(), "{stdout}");
    assert_eq!(laterality[0]["patientIdNumber"], "00000042");
    assert_eq!(laterality[0]["tumorRecordNumber"], "01");

    // A file that is not NAACCR XML is a usage error (2), not "errors found".
    let junk = dir.path().join("junk.xml");
    std::fs::write(&junk, "<html></html>").expect("write");
    assert_eq!(registrar_edits(&junk, "incidence").status.code(), Some(2));
}

/// Figure: `registrar edits` throughput on 100,000 generated tumors. Run in release:
/// `cargo test --release --test integration abstracting::figure_edits_throughput -- --ignored --nocapture`
#[test]
#[ignore]
fn figure_edits_throughput() {
    let dir = tempfile::tempdir().expect("dir");
    // REGISTRAR_EDITS_FIGURE_FILE keeps the generated file (e.g. to profile `registrar edits`).
    let file = std::env::var_os("REGISTRAR_EDITS_FIGURE_FILE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("demo.xml"));
    let today = chrono::Utc::now().date_naive();
    // ~10 % of demo patients have 2+ primaries: 92,000 patients give about 100,000 tumors.
    let mut patients = 92_000;
    let tumors = loop {
        let (_, tumors) =
            registrar::services::edits_file::write_demo_file(&file, patients, 1, today)
                .expect("file");
        if tumors >= 100_000 {
            break tumors;
        }
        patients += 2_000;
    };
    let started = std::time::Instant::now();
    let output = registrar_edits(&file, "incidence");
    let seconds = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!(
        "registrar edits: {tumors} tumors ({} bytes of XML) in {seconds:.2} s = {:.0} tumors/s (whole process, report written to a pipe); {} failure lines; {}",
        std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0),
        tumors as f64 / seconds,
        stdout.lines().count().saturating_sub(1),
        String::from_utf8_lossy(&output.stderr).trim()
    );
}

/// Figure: p99 latency of the as-you-type edits call with 100,000 demo patients on SQLite.
/// `cargo test --release --test integration abstracting::figure_edits_latency -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn figure_edits_latency() {
    let app = spawn_app().await;
    let c = app.admin_client().await;
    let facility = app.facility("0000000001");
    let today = chrono::Utc::now().date_naive();
    {
        let mut conn = app.conn();
        registrar::services::demo::load(&mut conn, facility, 100_000, 1, today, |_| {})
            .expect("demo load");
    }
    let tumor_ids: Vec<i64> = {
        use diesel::prelude::*;
        use registrar::db::schema::tumors;
        tumors::table
            .select(tumors::id)
            .order(tumors::id)
            .limit(500)
            .load(&mut app.conn())
            .expect("ids")
    };
    let token = app.csrf(&c).await;
    let url = app.url("");
    // The load loop runs on its own thread and runtime: the client is not the server's scheduler.
    let latencies = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let mut latencies = Vec::new();
            for round in 0..2_000usize {
                let id = tumor_ids[round % tumor_ids.len()];
                let laterality = if round % 2 == 0 { "1" } else { "0" };
                let form = [
                    ("csrf_token", token.as_str()),
                    ("primarySite", "C50.4"),
                    ("laterality", laterality),
                    ("dateOfDiagnosis", "2024-03-15"),
                    ("histologicTypeIcdO3", "8500"),
                    ("behaviorCodeIcdO3", "3"),
                ];
                let started = std::time::Instant::now();
                let response = c
                    .post(format!("{url}/tumors/{id}/edits"))
                    .form(&form)
                    .send()
                    .await
                    .expect("POST");
                let status = response.status().as_u16();
                response.bytes().await.expect("body");
                assert_eq!(status, 200);
                if round >= 100 {
                    latencies.push(started.elapsed());
                }
            }
            latencies
        })
    })
    .join()
    .expect("load loop");
    let mut sorted = latencies.clone();
    sorted.sort();
    let at = |q: f64| sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)];
    println!(
        "edits call, 100,000 demo patients on SQLite, {} sequential calls after 100 warm-up: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        sorted.len(),
        at(0.50).as_secs_f64() * 1000.0,
        at(0.99).as_secs_f64() * 1000.0,
        sorted[sorted.len() - 1].as_secs_f64() * 1000.0
    );
}

async fn active_id(c: &fantoccini::Client) -> Result<String, fantoccini::error::CmdError> {
    Ok(c.active_element()
        .await?
        .attr("id")
        .await?
        .unwrap_or_default())
}

/// Presses Tab until the field `naaccr_id` has the focus, then types `value` (keyboard only).
async fn type_into(
    c: &fantoccini::Client,
    naaccr_id: &str,
    value: &str,
) -> Result<(), fantoccini::error::CmdError> {
    use fantoccini::key::Key;
    let target = format!("f-{naaccr_id}");
    for _ in 0..120 {
        if active_id(c).await? == target {
            c.active_element().await?.send_keys(value).await?;
            return Ok(());
        }
        c.active_element()
            .await?
            .send_keys(&Key::Tab.to_string())
            .await?;
    }
    panic!("Tab never reached {naaccr_id}");
}

async fn wait_for(c: &fantoccini::Client, css: &str, text: &str) -> bool {
    for _ in 0..60 {
        if let Ok(e) = c.find(fantoccini::Locator::Css(css)).await
            && e.text().await.map(|t| t.contains(text)).unwrap_or(false)
        {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn a_registrar_abstracts_a_case_from_an_empty_form_to_complete_with_the_keyboard_alone() {
    use fantoccini::key::Key;
    let app = spawn_app().await;
    let admin = app.admin_client().await;
    let tumor_id = blank_tumor(&app, &admin, "Keyes").await;
    let (email, password) = app.user("abs", Role::Registrar, &["0000000001"]);
    let Some(b) = crate::common::browser::start().await else {
        return;
    };
    let c = &b.client;
    let result = async {
        c.goto(&app.url("/login")).await?;
        c.find(fantoccini::Locator::Id("email"))
            .await?
            .send_keys(&email)
            .await?;
        let pw = c.find(fantoccini::Locator::Id("password")).await?;
        pw.send_keys(&password).await?;
        pw.send_keys(&Key::Enter.to_string()).await?;
        assert!(wait_for(c, "h1", "Worklist").await);
        c.goto(&app.url(&format!("/tumors/{tumor_id}/abstract")))
            .await?;
        assert!(wait_for(c, "h1", "Abstract: tumor 01").await);

        // Tab from the top of the page reaches the first field of the first section.
        for _ in 0..60 {
            if active_id(c).await? == "f-nameLast" {
                break;
            }
            c.active_element()
                .await?
                .send_keys(&Key::Tab.to_string())
                .await?;
        }
        assert_eq!(active_id(c).await?, "f-nameLast");
        type_into(c, "race1", "01").await?;
        type_into(c, "spanishHispanicOrigin", "0").await?;
        type_into(c, "addrAtDxState", "MA").await?;
        type_into(c, "dateOfDiagnosis", "2024-03-15").await?;
        type_into(c, "primarySite", "C50.4").await?;
        // A breast tumor coded "not paired": the edit shows next to the field as it is typed.
        type_into(c, "laterality", "0").await?;
        c.active_element()
            .await?
            .send_keys(&Key::Enter.to_string())
            .await?;
        assert!(
            wait_for(c, "#x-laterality", "(error)").await,
            "laterality edit shown as you type"
        );
        // Back to laterality (Shift+Tab), correct it.
        c.active_element()
            .await?
            .send_keys(&format!("{}{}", Key::Shift, Key::Tab))
            .await?;
        while active_id(c).await? != "f-laterality" {
            c.active_element()
                .await?
                .send_keys(&format!("{}{}", Key::Shift, Key::Tab))
                .await?;
        }
        c.active_element()
            .await?
            .send_keys(&format!("{}2", Key::Backspace))
            .await?;
        c.active_element()
            .await?
            .send_keys(&Key::Enter.to_string())
            .await?;
        type_into(c, "histologicTypeIcdO3", "8500").await?;
        type_into(c, "behaviorCodeIcdO3", "3").await?;
        type_into(c, "gradeClinical", "2").await?;
        type_into(c, "gradePathological", "2").await?;
        type_into(c, "diagnosticConfirmation", "1").await?;
        type_into(c, "classOfCase", "10").await?;
        type_into(c, "primaryPayerAtDx", "02").await?;
        type_into(c, "dateOf1stContact", "2024-03-20").await?;
        type_into(c, "accessionNumberHosp", "202400001").await?;
        type_into(c, "schemaId", "00480").await?;
        type_into(c, "dateOfLastContact", "2025-01-10").await?;
        type_into(c, "vitalStatus", "1").await?;
        // Leave the last field so its change runs the edits, then wait for them.
        c.active_element()
            .await?
            .send_keys(&Key::Tab.to_string())
            .await?;
        let mut summary = String::new();
        for _ in 0..60 {
            summary = c
                .find(fantoccini::Locator::Id("edits-count"))
                .await?
                .text()
                .await?;
            if summary.contains("(0 errors)") || summary.contains("No edit fails") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let laterality = c
            .find(fantoccini::Locator::Id("f-laterality"))
            .await?
            .prop("value")
            .await?;
        assert!(
            summary.contains("(0 errors)") || summary.contains("No edit fails"),
            "no error edit left: {summary} (laterality {laterality:?}): {}",
            c.find(fantoccini::Locator::Id("edits-list"))
                .await?
                .text()
                .await?
        );
        // Tab to Save, Enter.
        for _ in 0..400 {
            if active_id(c).await? == "save" {
                break;
            }
            c.active_element()
                .await?
                .send_keys(&Key::Tab.to_string())
                .await?;
        }
        assert_eq!(active_id(c).await?, "save");
        c.active_element()
            .await?
            .send_keys(&Key::Enter.to_string())
            .await?;
        assert!(wait_for(c, "main .notice", "Saved.").await, "saved");
        // Tab to "Mark complete", Enter.
        for _ in 0..60 {
            if active_id(c).await? == "mark-complete" {
                break;
            }
            c.active_element()
                .await?
                .send_keys(&Key::Tab.to_string())
                .await?;
        }
        assert_eq!(active_id(c).await?, "mark-complete");
        c.active_element()
            .await?
            .send_keys(&Key::Enter.to_string())
            .await?;
        assert!(wait_for(c, "#abstract-status", "complete").await);
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    if result.is_err() {
        b.screenshot("browser-abstract").await;
    }
    result.expect("browser steps");
    let stored = tumor::find(&mut app.conn(), tumor_id)
        .expect("query")
        .expect("tumor");
    assert_eq!(stored.abstract_status, "complete");
    assert_eq!(stored.laterality.as_deref(), Some("2"));
    assert_eq!(stored.sequence_number_hospital.as_deref(), Some("00"));
}
