//! Patients and tumors: search, forms with validation, facility scope, role checks and their audit.

use crate::common::{client, patient_fields, spawn_app};
use registrar::auth::Role;

fn result_names(body: &str) -> Vec<String> {
    body.split("<tr><td><a href=\"/patients/")
        .skip(1)
        .filter_map(|row| {
            row.split('>')
                .nth(1)
                .and_then(|s| s.split('<').next())
                .map(str::to_string)
        })
        .collect()
}

#[tokio::test]
async fn patients_are_found_by_name_prefix_ignoring_case_and_accents_and_by_identifiers() {
    let app = spawn_app().await;
    let c = app.admin_client().await;
    let facility = app.facility("0000000001");
    let mut mueller = patient_fields("Müller", "José");
    mueller.push(("medicalRecordNumber", "MR-77"));
    let muller_id = app.create_patient(&c, facility, &mueller).await;
    app.create_patient(
        &c,
        facility,
        &[
            ("nameLast", "Mullins"),
            ("nameFirst", "Ann"),
            ("dateOfBirth", "1970-01-02"),
            ("sexAssignedAtBirth", "2"),
            ("socialSecurityNumber", "900119876"),
        ],
    )
    .await;
    app.create_patient(
        &c,
        facility,
        &[
            ("nameLast", "Smith"),
            ("nameFirst", "Jose"),
            ("dateOfBirth", "1980"),
            ("sexAssignedAtBirth", "1"),
        ],
    )
    .await;

    let (_, body) = app.get(&c, "/patients?name=MUL").await;
    assert_eq!(result_names(&body), vec!["Müller, José", "Mullins, Ann"]);
    let (_, body) = app.get(&c, "/patients?name=muller").await;
    assert_eq!(result_names(&body), vec!["Müller, José"]);
    let (_, body) = app.get(&c, "/patients?name=mull%2C+jos").await;
    assert_eq!(result_names(&body), vec!["Müller, José"]);
    let (_, body) = app.get(&c, "/patients?name=mu+an").await;
    assert_eq!(result_names(&body), vec!["Mullins, Ann"]);
    let (_, body) = app.get(&c, "/patients?dob=1958-03-21").await;
    assert_eq!(result_names(&body), vec!["Müller, José"]);
    let (_, body) = app.get(&c, "/patients?mrn=MR-77").await;
    assert_eq!(result_names(&body), vec!["Müller, José"]);
    let (_, body) = app.get(&c, "/patients?ssn4=9876").await;
    assert_eq!(result_names(&body), vec!["Mullins, Ann"]);
    let pid = format!("/patients?pid={:08}", 1);
    let (_, body) = app.get(&c, &pid).await;
    assert_eq!(result_names(&body), vec!["Müller, José"]);
    assert!(body.contains(&format!("/patients/{muller_id}")));
    let (_, body) = app.get(&c, "/patients?name=zzz").await;
    assert!(body.contains("No patient matches"));
}

#[tokio::test]
async fn forms_say_what_is_wrong_and_keep_what_was_typed() {
    let app = spawn_app().await;
    let c = app.admin_client().await;
    let facility = app.facility("0000000001").to_string();
    let response = app
        .post_form(
            &c,
            "/patients",
            &[
                ("facility", &facility),
                ("nameLast", ""),
                ("nameFirst", "Keep Me"),
                ("dateOfBirth", "1960-02-30"),
                ("sexAssignedAtBirth", "7"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let body = response.text().await.unwrap();
    assert!(body.contains("Last name is required."), "{body}");
    assert!(
        body.contains("Date of birth: &#39;1960-02-30&#39; is not a real calendar date")
            || body.contains("Date of birth: '1960-02-30' is not a real calendar date"),
        "{body}"
    );
    assert!(body.contains("is not a code of"), "{body}");
    assert!(
        body.contains("value=\"Keep Me\""),
        "typed values stay in the form"
    );
    assert_eq!(
        registrar::models::patient::count(&mut app.conn()).unwrap(),
        0
    );
}

#[tokio::test]
async fn editing_a_patient_and_a_tumor_records_old_and_new_values() {
    let app = spawn_app().await;
    let c = app.admin_client().await;
    let facility = app.facility("0000000001");
    let id = app
        .create_patient(&c, facility, &patient_fields("Okafor", "Ada"))
        .await;

    let mut edited = patient_fields("Okafor", "Adaeze");
    edited.push(("addrCurrentCity", "Springfield"));
    let response = app.post_form(&c, &format!("/patients/{id}"), &edited).await;
    assert_eq!(response.status().as_u16(), 303);
    let (status, page) = app.get(&c, &format!("/patients/{id}?saved=1")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Okafor, Adaeze"));
    assert!(page.contains("Saved."));
    assert!(
        page.contains("nameFirst: Ada → Adaeze"),
        "the page shows the change"
    );
    assert!(
        page.contains("***-**-1234") && !page.contains("900551234"),
        "SSN shown as last four only"
    );

    let tumor = [
        ("dateOfDiagnosis", "2024-03-15"),
        ("primarySite", "C50.4"),
        ("laterality", "2"),
        ("histologicTypeIcdO3", "8500"),
        ("behaviorCodeIcdO3", "3"),
        ("classOfCase", "10"),
    ];
    let response = app
        .post_form(&c, &format!("/patients/{id}/tumors"), &tumor)
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, page) = app.get(&c, &format!("/patients/{id}")).await;
    assert!(
        page.contains("C504 – "),
        "site shown with its title: {page}"
    );
    assert!(page.contains("2 – "), "laterality with its description");
    let tumor_id: i64 = page
        .split("href=\"/tumors/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    let mut changed = tumor.to_vec();
    changed[2] = ("laterality", "1");
    app.post_form(&c, &format!("/tumors/{tumor_id}"), &changed)
        .await;

    let rows = app.audit_rows();
    let patient_update = rows
        .iter()
        .find(|r| r.action == "update" && r.entity == "patient")
        .expect("patient update audited");
    let changes = patient_update.field_changes();
    assert!(changes.iter().any(|c| c.field == "nameFirst"
        && c.old.as_deref() == Some("Ada")
        && c.new.as_deref() == Some("Adaeze")));
    assert!(changes.iter().any(|c| c.field == "addrCurrentCity"
        && c.old.is_none()
        && c.new.as_deref() == Some("Springfield")));
    assert_eq!(patient_update.patient_id, Some(id));
    let tumor_update = rows
        .iter()
        .find(|r| r.action == "update" && r.entity == "tumor")
        .expect("tumor update audited");
    assert_eq!(tumor_update.field_changes().len(), 1);
    assert_eq!(tumor_update.field_changes()[0].field, "laterality");
    assert_eq!(tumor_update.field_changes()[0].old.as_deref(), Some("2"));
    assert_eq!(tumor_update.field_changes()[0].new.as_deref(), Some("1"));
    let reads = rows
        .iter()
        .filter(|r| r.action == "read" && r.patient_id == Some(id))
        .count();
    assert_eq!(
        reads, 2,
        "each of the two views of the patient page is one read event"
    );
}

#[tokio::test]
async fn a_user_sees_only_the_patients_of_their_facilities() {
    let app = spawn_app().await;
    let north = app.facility("NORTH");
    app.facility("SOUTH");
    let north_registrar = app.client_for("nora", Role::Registrar, &["NORTH"]).await;
    let south_registrar = app.client_for("sam", Role::Registrar, &["SOUTH"]).await;
    let id = app
        .create_patient(&north_registrar, north, &patient_fields("Nakamura", "Kei"))
        .await;

    assert_eq!(
        app.get(&north_registrar, &format!("/patients/{id}"))
            .await
            .0,
        200
    );
    // Not even by id, and not by editing or adding a tumor.
    let (status, body) = app.get(&south_registrar, &format!("/patients/{id}")).await;
    assert_eq!(status, 404);
    assert!(!body.contains("Nakamura"));
    assert_eq!(
        app.get(&south_registrar, &format!("/patients/{id}/edit"))
            .await
            .0,
        404
    );
    let post = app
        .post_form(
            &south_registrar,
            &format!("/patients/{id}"),
            &patient_fields("Changed", "By South"),
        )
        .await;
    assert_eq!(post.status().as_u16(), 404);
    let (_, body) = app.get(&south_registrar, "/patients?name=nak").await;
    assert!(body.contains("No patient matches"));
    // Creating a patient in a facility one does not belong to is refused.
    let post = app
        .post_form(
            &south_registrar,
            "/patients",
            &[
                ("facility", &north.to_string()),
                ("nameLast", "X"),
                ("dateOfBirth", "1950"),
                ("sexAssignedAtBirth", "1"),
            ],
        )
        .await;
    assert_eq!(post.status().as_u16(), 403);
    // The central-registry admin sees every facility.
    let admin = app.admin_client().await;
    assert_eq!(app.get(&admin, &format!("/patients/{id}")).await.0, 200);
    let unchanged = registrar::models::patient::find_scoped(
        &mut app.conn(),
        &registrar::models::patient::Scope::All,
        id,
    )
    .unwrap()
    .unwrap();
    assert_eq!(unchanged.name_last, "Nakamura");
}

#[tokio::test]
async fn each_role_is_refused_what_it_may_not_do_and_the_refusal_is_audited() {
    let app = spawn_app().await;
    let f = app.facility("0000000001");
    let reviewer = app
        .client_for("rita", Role::Reviewer, &["0000000001"])
        .await;
    let registrar_user = app
        .client_for("reg", Role::Registrar, &["0000000001"])
        .await;
    let id = app
        .create_patient(&registrar_user, f, &patient_fields("Lindqvist", "Eva"))
        .await;

    // Reviewers read but do not change.
    assert_eq!(app.get(&reviewer, &format!("/patients/{id}")).await.0, 200);
    assert_eq!(app.get(&reviewer, "/patients/new").await.0, 403);
    assert_eq!(
        app.get(&reviewer, &format!("/patients/{id}/edit")).await.0,
        403
    );
    assert_eq!(
        app.post_form(
            &reviewer,
            &format!("/patients/{id}"),
            &patient_fields("X", "Y")
        )
        .await
        .status()
        .as_u16(),
        403
    );
    assert_eq!(
        app.post_form(&reviewer, "/patients", &patient_fields("X", "Y"))
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        app.get(&reviewer, &format!("/patients/{id}/tumors/new"))
            .await
            .0,
        403
    );
    // Neither reviewers nor registrars administer.
    for c in [&reviewer, &registrar_user] {
        for path in [
            "/admin/users",
            "/admin/users/new",
            "/admin/facilities",
            "/admin/audit",
            "/admin/audit.csv",
            "/admin/users/1",
        ] {
            assert_eq!(app.get(c, path).await.0, 403, "{path}");
        }
        assert_eq!(
            app.post_form(c, "/admin/facilities", &[("code", "X1"), ("name", "X")])
                .await
                .status()
                .as_u16(),
            403
        );
        assert_eq!(
            app.post_form(c, "/admin/users/1/reset-password", &[])
                .await
                .status()
                .as_u16(),
            403
        );
    }
    let denials: Vec<String> = app
        .audit_rows()
        .into_iter()
        .filter(|r| r.action == "denied")
        .map(|r| r.detail.unwrap_or_default())
        .collect();
    assert_eq!(denials.len(), 5 + 2 * 8, "{denials:#?}");
    assert!(denials.iter().any(|d| d.starts_with("GET /patients/new")));
    assert!(
        denials
            .iter()
            .any(|d| d.starts_with("POST /admin/facilities"))
    );
    // The name survived.
    let (_, page) = app.get(&registrar_user, &format!("/patients/{id}")).await;
    assert!(page.contains("Lindqvist, Eva"));
    // Anonymous users are sent to sign in, never served patient data.
    let (status, _) = app.get(&client(), &format!("/patients/{id}")).await;
    assert_eq!(status, 303);
}
