//! Administration: users, facilities, the audit page and its CSV.

use crate::common::{client, patient_fields, spawn_app};

#[tokio::test]
async fn an_admin_creates_changes_and_disables_users() {
    let app = spawn_app().await;
    let admin = app.admin_client().await;
    let f = app.facility("0000000001").to_string();
    let response = app
        .post_form(
            &admin,
            "/admin/users",
            &[
                ("email", "New.Registrar@Example.org"),
                ("name", "Nina Reg"),
                ("role", "registrar"),
                ("facility", &f),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let body = response.text().await.unwrap();
    let password = body
        .split("<code>")
        .nth(1)
        .and_then(|s| s.split("</code>").next())
        .expect("generated password shown")
        .to_string();
    let nina = client();
    app.login(&nina, "new.registrar@example.org", &password)
        .await;
    assert_eq!(app.get(&nina, "/patients/new").await.0, 200);

    let (_, users) = app.get(&admin, "/admin/users").await;
    assert!(users.contains("new.registrar@example.org") && users.contains("registrar"));
    let id: i64 = {
        let mut conn = app.conn();
        registrar::models::user::find_by_email(&mut conn, "new.registrar@example.org")
            .unwrap()
            .unwrap()
            .id
    };
    // Demote to reviewer and disable.
    let response = app
        .post_form(
            &admin,
            &format!("/admin/users/{id}"),
            &[
                ("name", "Nina Reg"),
                ("role", "reviewer"),
                ("facility", &f),
                ("disabled", "1"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    // A disabled account's session ends and it cannot sign in.
    assert_eq!(app.get(&nina, "/").await.0, 303);
    assert_eq!(
        app.try_login(&client(), "new.registrar@example.org", &password)
            .await
            .status()
            .as_u16(),
        401
    );
    let update = app
        .audit_rows()
        .into_iter()
        .find(|r| r.entity == "user" && r.action == "update")
        .unwrap();
    let changes = update.field_changes();
    assert!(changes.iter().any(|c| c.field == "role"
        && c.old.as_deref() == Some("registrar")
        && c.new.as_deref() == Some("reviewer")));
    assert!(
        changes
            .iter()
            .any(|c| c.field == "disabled" && c.new.as_deref() == Some("true"))
    );
    // Duplicate e-mails are refused.
    let dup = app
        .post_form(
            &admin,
            "/admin/users",
            &[
                ("email", "new.registrar@example.org"),
                ("name", "Other"),
                ("role", "reviewer"),
                ("facility", &f),
            ],
        )
        .await;
    assert_eq!(dup.status().as_u16(), 409);
}

#[tokio::test]
async fn the_audit_page_filters_and_downloads_csv() {
    let app = spawn_app().await;
    let admin = app.admin_client().await;
    let f = app.facility("0000000001");
    let id = app
        .create_patient(&admin, f, &patient_fields("Quispe", "Rosa"))
        .await;
    app.get(&admin, &format!("/patients/{id}")).await;
    let (status, page) = app
        .get(&admin, &format!("/admin/audit?patient={id}&action=read"))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("<td>read</td>"));
    assert!(!page.contains("<td>create</td>"), "filtered to reads");
    let today = chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let (_, page) = app
        .get(
            &admin,
            &format!(
                "/admin/audit?user=admin%40registrar.local&from={today}&to={today}&action=create"
            ),
        )
        .await;
    assert!(page.contains("<td>create</td>") && page.contains("nameLast: (empty) → Quispe"));
    let (_, page) = app
        .get(&admin, "/admin/audit?from=2000-01-01&to=2000-01-02")
        .await;
    assert!(!page.contains("<td>create</td>"));

    let response = admin
        .get(app.url(&format!("/admin/audit.csv?patient={id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let csv = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert!(rows.len() >= 2);
    assert!(
        rows.iter()
            .all(|r| r.get(7) == Some(id.to_string().as_str()))
    );
    assert!(
        rows.iter()
            .any(|r| r.get(4) == Some("create") && r.get(8).unwrap().contains("Quispe"))
    );
    // The download itself is audited.
    assert!(
        app.audit_rows()
            .iter()
            .any(|r| r.action == "export" && r.entity == "audit")
    );
}

#[tokio::test]
async fn facilities_are_added_by_admins() {
    let app = spawn_app().await;
    let admin = app.admin_client().await;
    assert_eq!(
        app.post_form(
            &admin,
            "/admin/facilities",
            &[("code", "6020009"), ("name", "Riverside General")]
        )
        .await
        .status()
        .as_u16(),
        303
    );
    let (_, page) = app.get(&admin, "/admin/facilities").await;
    assert!(page.contains("Riverside General"));
    let again = app
        .post_form(
            &admin,
            "/admin/facilities",
            &[("code", "6020009"), ("name", "Again")],
        )
        .await;
    assert_eq!(again.status().as_u16(), 422);
    assert!(again.text().await.unwrap().contains("exists already"));
}
