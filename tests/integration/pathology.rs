//! Pathology intake, black-box: upload → worklist → review → accept; the lab API with its tokens;
//! duplicates, corrections, test messages and the error queue; arbitrary bytes through ingest.

use std::path::PathBuf;

use proptest::prelude::*;
use registrar::audit::Actor;
use registrar::models::patient::{self, Scope};
use registrar::models::{pathology as model, tumor};
use registrar::services::pathology::{Sender, Source, ingest};

use crate::common::{TestApp, spawn_app};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pathology")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A browser's multipart upload of files (field `files`, optional `facility`), CSRF token in the
/// query string: the raw answer (status, body, Location).
async fn post_upload(
    app: &TestApp,
    client: &reqwest::Client,
    files: &[(&str, &[u8])],
    facility: Option<&str>,
) -> (u16, String, Option<String>) {
    let token = app.csrf(client).await;
    let boundary = "----registrar-test-boundary-7MA4YWxk";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
        )
        .as_bytes(),
    );
    if let Some(f) = facility {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"facility\"\r\n\r\n{f}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let response = client
        .post(app.url(&format!("/pathology/upload?csrf_token={token}")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("upload");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_string);
    (status, response.text().await.expect("body"), location)
}

/// Uploads, then follows the progress page until the background reading is over: the progress
/// page as the user finally sees it.
async fn upload(app: &TestApp, client: &reqwest::Client, files: &[(&str, &[u8])]) -> (u16, String) {
    upload_as(app, client, files, None).await
}

async fn upload_as(
    app: &TestApp,
    client: &reqwest::Client,
    files: &[(&str, &[u8])],
    facility: Option<&str>,
) -> (u16, String) {
    let (status, body, location) = post_upload(app, client, files, facility).await;
    let Some(location) = location.filter(|_| status == 303) else {
        return (status, body);
    };
    assert!(location.starts_with("/pathology/uploads/"), "{location}");
    wait_for_upload(app, client, &location).await
}

/// Polls an upload's progress page until it is no longer queued or running (bounded).
async fn wait_for_upload(app: &TestApp, client: &reqwest::Client, location: &str) -> (u16, String) {
    for _ in 0..600 {
        let (status, page) = app.get(client, location).await;
        if status != 200
            || !(page.contains("<strong>queued</strong>")
                || page.contains("<strong>running</strong>"))
        {
            return (status, page);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("upload {location} did not finish");
}

fn report_ids(html: &str) -> Vec<i64> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("a.path-open").expect("selector");
    doc.select(&sel)
        .filter_map(|a| a.value().attr("href"))
        .filter_map(|h| h.trim_start_matches("/pathology/").parse().ok())
        .collect()
}

/// The values the review form is prefilled with, plus the chosen options of its selects.
fn form_values(html: &str, form_id: &str) -> Vec<(String, String)> {
    let doc = scraper::Html::parse_document(html);
    let inputs = scraper::Selector::parse(&format!("#{form_id} input")).expect("selector");
    let selects = scraper::Selector::parse(&format!("#{form_id} select")).expect("selector");
    let option = scraper::Selector::parse("option").expect("selector");
    let mut out: Vec<(String, String)> = doc
        .select(&inputs)
        .filter_map(|i| {
            Some((
                i.value().attr("name")?.to_string(),
                i.value().attr("value").unwrap_or("").to_string(),
            ))
        })
        .collect();
    for s in doc.select(&selects) {
        let name = s.value().attr("name").unwrap_or("").to_string();
        let chosen = s
            .select(&option)
            .find(|o| o.value().attr("selected").is_some())
            .or_else(|| s.select(&option).next());
        if let Some(o) = chosen {
            out.push((name, o.value().attr("value").unwrap_or("").to_string()));
        }
    }
    out
}

#[tokio::test]
async fn an_uploaded_report_is_reviewed_and_accepted_as_a_new_patient_and_tumor() {
    let app = spawn_app().await;
    let admin = app.admin_client().await;
    let raw_before = model::raw_count(&mut app.conn()).unwrap();
    let (status, page) = upload(
        &app,
        &admin,
        &[("breast.hl7", &fixture("01_breast_idc_uoq_left.hl7"))],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("upload-results"), "{page}");
    assert_eq!(model::raw_count(&mut app.conn()).unwrap(), raw_before + 1);

    // The home page and the pathology worklist list it.
    let (_, home) = app.get(&admin, "/").await;
    assert!(home.contains("1 report to review"), "{home}");
    assert!(home.contains("QUILLON, ALPHA"));
    let (_, list) = app.get(&admin, "/pathology?status=to-review").await;
    let ids = report_ids(&list);
    assert_eq!(ids.len(), 1, "{list}");
    let id = ids[0];

    // The review screen: decoded text with highlights beside the prefilled draft abstract.
    let (status, review) = app.get(&admin, &format!("/pathology/{id}")).await;
    assert_eq!(status, 200);
    assert!(review.contains("Screening: reportable"), "{review}");
    assert!(
        review.contains("<mark class=\"hl-"),
        "phrases are highlighted"
    );
    assert!(review.contains("INVASIVE DUCTAL CARCINOMA"));
    let mut fields = form_values(&review, "accept-form");
    let value = |fields: &[(String, String)], k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(value(&fields, "primarySite"), "C504");
    assert_eq!(value(&fields, "histologicTypeIcdO3"), "8500");
    assert_eq!(value(&fields, "behaviorCodeIcdO3"), "3");
    assert_eq!(value(&fields, "laterality"), "2");
    assert_eq!(value(&fields, "target"), "new");
    // The registrar overrides one code.
    for (k, v) in fields.iter_mut() {
        if k == "gradePathological" {
            *v = "3".into();
        }
    }
    let form: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, _)| k != "csrf_token")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let response = app
        .post_form(&admin, &format!("/pathology/{id}/accept"), &form)
        .await;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert_eq!(status, 303, "{}", response.text().await.unwrap_or_default());
    let patient_id: i64 = location
        .trim_start_matches("/patients/")
        .split('?')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("redirect to the patient");

    let mut conn = app.conn();
    let p = patient::find_scoped(&mut conn, &Scope::All, patient_id)
        .unwrap()
        .expect("patient created");
    assert_eq!(p.name_last, "QUILLON");
    assert_eq!(p.date_of_birth.as_deref(), Some("19400101"));
    let tumors = tumor::for_patient(&mut conn, patient_id).unwrap();
    assert_eq!(tumors.len(), 1);
    let t = &tumors[0];
    assert_eq!(t.primary_site.as_deref(), Some("C504"));
    assert_eq!(t.histology.as_deref(), Some("8500"));
    assert_eq!(t.behavior.as_deref(), Some("3"));
    assert_eq!(t.laterality.as_deref(), Some("2"));
    assert_eq!(t.grade_pathological.as_deref(), Some("3"));
    let report = model::find(&mut conn, id).unwrap().unwrap();
    assert_eq!(report.status, "done");
    assert_eq!(report.tumor_id, Some(t.id));
    drop(conn);

    // The decision is audited with each code as suggested and as accepted.
    let rows = app.audit_rows();
    let decision = rows
        .iter()
        .find(|r| r.entity == "pathology-report" && r.action == "update")
        .expect("decision audited");
    let changes = decision.field_changes();
    let grade = changes
        .iter()
        .find(|c| c.field == "gradePathological")
        .expect("grade in the decision");
    assert_eq!(grade.old.as_deref(), Some("2"));
    assert_eq!(grade.new.as_deref(), Some("3"));
    assert!(
        changes
            .iter()
            .any(|c| c.field == "primarySite" && c.new.as_deref() == Some("C504"))
    );
    assert!(
        rows.iter()
            .any(|r| r.entity == "tumor" && r.action == "create")
    );

    // Decided reports cannot be decided twice.
    let again = app
        .post_form(&admin, &format!("/pathology/{id}/accept"), &form)
        .await;
    assert_eq!(again.status().as_u16(), 409);
}

#[tokio::test]
async fn duplicates_corrections_test_messages_and_errors_have_their_queues() {
    let app = spawn_app().await;
    let admin = app.admin_client().await;
    let corrected = fixture("06_breast_corrected_loq.hl7");
    let text = String::from_utf8(corrected.clone()).unwrap();
    // The final report the correction replaces: same lab and accession, status F, other grade.
    let original = text
        .replacen("|||C|", "|||F|", 1)
        .replace("GRADE 3", "GRADE 2");
    let file = [
        fixture("64_test_message_colon.hl7"),
        b"\r\n".to_vec(),
        fixture("65_malformed_junk_line.hl7"),
        b"\r\n".to_vec(),
        original.clone().into_bytes(),
    ]
    .concat();
    let (status, page) = upload(&app, &admin, &[("batch.hl7", &file)]).await;
    assert_eq!(status, 200, "{page}");
    // The same final report again is a duplicate; then the correction comes.
    let (_, page2) = upload(
        &app,
        &admin,
        &[
            ("again.hl7", original.as_bytes()),
            ("corrected.hl7", &corrected),
        ],
    )
    .await;
    assert!(page2.contains("again.hl7"));

    let (_, tests) = app.get(&admin, "/pathology?status=test").await;
    assert_eq!(report_ids(&tests).len(), 1, "one test message: {tests}");
    let (_, errors) = app.get(&admin, "/pathology?status=error").await;
    let error_ids = report_ids(&errors);
    assert_eq!(error_ids.len(), 1, "{errors}");
    assert!(
        errors.contains("line "),
        "the error names the line: {errors}"
    );
    let (_, err_page) = app
        .get(&admin, &format!("/pathology/{}", error_ids[0]))
        .await;
    assert!(err_page.contains("parse-error"));
    let (_, dups) = app.get(&admin, "/pathology?status=duplicate").await;
    assert_eq!(report_ids(&dups).len(), 1, "{dups}");
    let (_, superseded) = app.get(&admin, "/pathology?status=superseded").await;
    assert_eq!(report_ids(&superseded).len(), 1, "{superseded}");

    let (_, open) = app.get(&admin, "/pathology?status=to-review").await;
    let open_ids = report_ids(&open);
    assert_eq!(open_ids.len(), 1, "only the correction waits: {open}");
    let (_, review) = app
        .get(&admin, &format!("/pathology/{}", open_ids[0]))
        .await;
    assert!(review.contains("Corrected report: replaces"), "{review}");
    assert!(review.contains("GRADE 2") && review.contains("GRADE 3"));

    // Test messages create no registry records.
    assert_eq!(patient::count(&mut app.conn()).unwrap(), 0);

    // Marking not reportable needs a reason and is audited.
    let refused = app
        .post_form(
            &admin,
            &format!("/pathology/{}/close", open_ids[0]),
            &[("action", "not-reportable"), ("reason", "")],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 400);
    let done = app
        .post_form(
            &admin,
            &format!("/pathology/{}/close", open_ids[0]),
            &[
                ("action", "not-reportable"),
                ("reason", "out of state resident"),
            ],
        )
        .await;
    assert_eq!(done.status().as_u16(), 303);
    assert!(app.audit_rows().iter().any(|r| {
        r.entity == "pathology-report"
            && r.detail
                .as_deref()
                .unwrap_or("")
                .contains("out of state resident")
    }));
}

#[tokio::test]
async fn the_lab_api_needs_a_valid_token_and_answers_with_acks() {
    let app = spawn_app().await;
    let admin = app.admin_client().await;
    let response = app
        .post_form(
            &admin,
            "/admin/lab-tokens",
            &[("lab_name", "Riverbend Pathology"), ("clia", "99D8888801")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    let doc = scraper::Html::parse_document(&page);
    let token = doc
        .select(&scraper::Selector::parse("#new-token").unwrap())
        .next()
        .map(|e| e.text().collect::<String>())
        .expect("token shown once");
    let (_, again) = app.get(&admin, "/admin/lab-tokens").await;
    assert!(!again.contains(&token), "the token is never shown again");

    let client = reqwest::Client::new();
    let body = fixture("01_breast_idc_uoq_left.hl7");
    let missing = client
        .post(app.url("/api/v1/pathology"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 401);
    let wrong = client
        .post(app.url("/api/v1/pathology"))
        .bearer_auth("rlab_not-a-token")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);

    let ok = client
        .post(app.url("/api/v1/pathology"))
        .bearer_auth(&token)
        .body([body.clone(), b"\r\nGARBAGE LINE\r\n".to_vec()].concat())
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let json: serde_json::Value = ok.json().await.unwrap();
    let results = json["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{json}");
    // The junk line belongs to the message: the whole message is refused, never truncated.
    assert_eq!(results[0]["status"], "error", "{json}");
    assert_eq!(results[0]["ack"], "AE");
    assert!(results[0]["hl7Ack"].as_str().unwrap().contains("MSA|AE|"));

    let hl7 = client
        .post(app.url("/api/v1/pathology"))
        .bearer_auth(&token)
        .header("accept", "x-application/hl7-v2+er7")
        .body(fixture("02_breast_dcis_left_clock.hl7"))
        .send()
        .await
        .unwrap();
    assert_eq!(hl7.status().as_u16(), 200);
    let ack = hl7.text().await.unwrap();
    assert!(ack.starts_with("MSH|"), "{ack}");
    assert!(ack.contains("MSA|AA|"), "{ack}");

    // Revoked: refused.
    let tokens = model::tokens(&mut app.conn()).unwrap();
    let response = app
        .post_form(
            &admin,
            &format!("/admin/lab-tokens/{}/revoke", tokens[0].id),
            &[],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let revoked = client
        .post(app.url("/api/v1/pathology"))
        .bearer_auth(&token)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status().as_u16(), 401);
    // Every accepted body was stored raw, with the lab as sender.
    assert_eq!(model::raw_count(&mut app.conn()).unwrap(), 2);
}

#[tokio::test]
async fn a_pasted_report_is_screened_and_matched_to_a_known_patient() {
    let app = spawn_app().await;
    let admin = app.admin_client().await;
    let f = app.facility("0000000001");
    // A made-up SSN outside the never-issued ranges (the parser refuses 9xx placeholders).
    let mut fields = crate::common::patient_fields("Paste", "Pat");
    for (k, v) in fields.iter_mut() {
        if *k == "socialSecurityNumber" {
            *v = "512119876";
        }
    }
    let patient_id = app.create_patient(&admin, f, &fields).await;
    let response = app
        .post_form(
            &admin,
            "/pathology/paste",
            &[
                ("nameLast", "Paste"),
                ("nameFirst", "Pat"),
                ("dateOfBirth", "1958-03-21"),
                ("sexAssignedAtBirth", "2"),
                ("socialSecurityNumber", "512119876"),
                ("collectionDate", "2025-02-03"),
                (
                    "text",
                    "FINAL DIAGNOSIS:\nLUNG, RIGHT UPPER LOBE, BIOPSY:\nADENOCARCINOMA, MODERATELY DIFFERENTIATED.",
                ),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let (_, review) = app.get(&admin, &location).await;
    assert!(review.contains("Screening: reportable"), "{review}");
    assert!(
        review.contains(&format!("/patients/{patient_id}")),
        "linked: {review}"
    );
    assert!(
        review.contains("id=\"linked\""),
        "SSN and DOB agree: {review}"
    );
}

#[tokio::test]
async fn a_reviewer_may_read_the_worklist_but_not_decide_or_upload() {
    let app = spawn_app().await;
    let reviewer = app
        .client_for("rev", registrar::auth::Role::Reviewer, &["0000000001"])
        .await;
    let (status, _) = app.get(&reviewer, "/pathology").await;
    assert_eq!(status, 200);
    let (status, _) = app.get(&reviewer, "/pathology/upload").await;
    assert_eq!(status, 403);
    let (status, _) = app.get(&reviewer, "/admin/lab-tokens").await;
    assert_eq!(status, 403);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Whatever arrives is stored as received, and ingest neither panics nor fails.
    #[test]
    fn any_bytes_are_stored_raw_and_never_crash_ingest(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        prefix in prop::sample::select(vec![&b""[..], &b"MSH|^~\\&|"[..], &b"MSH|^~\\&|A|B^99D1^CLIA|||20250101||ORU^R01|X|P|2.5.1\rPID|1||M^^^A^MR||X^Y||1950|F\rOBR|1||A1|||20250101\rOBX|1|TX|22637-3^FD^LN|1|"[..]]),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let app = runtime.block_on(prop_app());
        let input = [prefix.to_vec(), bytes].concat();
        let mut conn = app.conn();
        let before = model::raw_count(&mut conn).unwrap();
        let sender = Sender { actor: Actor::system("proptest"), lab_token_id: None, file_name: None, facility_id: None };
        let summary = ingest(&mut conn, Source::Upload, &input, &sender).expect("ingest never fails on input");
        prop_assert_eq!(model::raw_count(&mut conn).unwrap(), before + 1);
        let stored = model::raw_content(&mut conn, summary.raw_message_id).unwrap().unwrap();
        prop_assert_eq!(stored, input);
        prop_assert!(summary.messages >= 1);
        prop_assert_eq!(summary.outcomes.len(), summary.messages);
    }
}

/// One application for all property cases (starting one per case would be slow).
async fn prop_app() -> &'static TestApp {
    static APP: tokio::sync::OnceCell<TestApp> = tokio::sync::OnceCell::const_new();
    APP.get_or_init(|| async {
        // The app's server runs on its own runtime thread so it outlives each case's runtime.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let app = spawn_app().await;
                tx.send(app).ok();
                std::future::pending::<()>().await;
            });
        });
        rx.recv().unwrap()
    })
    .await
}

async fn mllp_exchange(port: u16, frame: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect to the MLLP listener");
    stream.write_all(frame).await.expect("send");
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    while !reply.ends_with(&[0x1C, 0x0D]) {
        let n = tokio::time::timeout(std::time::Duration::from_secs(30), stream.read(&mut buf))
            .await
            .expect("an answer")
            .expect("read");
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&reply).into_owned()
}

#[tokio::test]
async fn the_mllp_listener_stores_messages_and_acknowledges_them() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let app = crate::common::spawn_app_with(|s| s.mllp_port = Some(port)).await;
    let message = fixture("02_breast_dcis_left_clock.hl7");
    let ack = mllp_exchange(port, &registrar::domain::hl7::mllp_frame(&message)).await;
    assert!(ack.starts_with('\u{0B}'), "framed reply");
    assert!(ack.contains("MSA|AA|"), "{ack}");
    let junk = mllp_exchange(port, &registrar::domain::hl7::mllp_frame(b"hello, not HL7")).await;
    assert!(junk.contains("MSA|AR|"), "{junk}");
    let bad = fixture("65_malformed_junk_line.hl7");
    let ae = mllp_exchange(port, &registrar::domain::hl7::mllp_frame(&bad)).await;
    assert!(ae.contains("MSA|AE|"), "{ae}");
    // All three were stored as received.
    assert_eq!(model::raw_count(&mut app.conn()).unwrap(), 3);
}

async fn wait_for_text(c: &fantoccini::Client, css: &str, text: &str) -> bool {
    for _ in 0..80 {
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
async fn in_a_browser_a_registrar_uploads_reviews_and_accepts_with_the_keyboard() {
    use fantoccini::Locator;
    use fantoccini::key::Key;
    let app = spawn_app().await;
    let (email, password) = (app.admin_email.clone(), app.admin_password.clone());
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pathology/09_lung_adenoca_rul.hl7");
    let Some(b) = crate::common::browser::start().await else {
        return;
    };
    let c = &b.client;
    let enter = Key::Enter.to_string();
    let result = async {
        c.goto(&app.url("/login")).await?;
        c.find(Locator::Id("email"))
            .await?
            .send_keys(&email)
            .await?;
        let pw = c.find(Locator::Id("password")).await?;
        pw.send_keys(&password).await?;
        pw.send_keys(&enter).await?;
        assert!(wait_for_text(c, "h1", "Worklist").await);
        c.goto(&app.url("/pathology/upload")).await?;
        // The file input has the focus; choosing a file is typing its path.
        c.active_element()
            .await?
            .send_keys(&file.display().to_string())
            .await?;
        c.find(Locator::Css("button[accesskey=s]"))
            .await?
            .send_keys(&enter)
            .await?;
        assert!(
            wait_for_text(c, "#upload-results", "09_lung_adenoca_rul.hl7").await,
            "upload results shown"
        );
        c.find(Locator::LinkText("Go to the reports to review"))
            .await?
            .send_keys(&enter)
            .await?;
        assert!(wait_for_text(c, "h1", "Pathology reports").await);
        // j selects the first report (its link gets the focus), Enter opens it.
        c.active_element().await?.send_keys("j").await?;
        let focused = c.active_element().await?;
        assert_eq!(focused.attr("class").await?.as_deref(), Some("path-open"));
        focused.send_keys(&enter).await?;
        assert!(wait_for_text(c, "h1", "Pathology report").await);
        assert!(wait_for_text(c, "#reportability", "reportable").await);
        let site = c.find(Locator::Id("f-primarySite")).await?;
        assert_eq!(
            site.prop("value").await?.as_deref().map(|v| &v[..3]),
            Some("C34")
        );
        c.find(Locator::Id("accept"))
            .await?
            .send_keys(&enter)
            .await?;
        assert!(
            wait_for_text(c, "main", "Saved.").await,
            "the new patient's page is shown"
        );
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    if result.is_err() {
        b.screenshot("browser-pathology-accept").await;
    }
    result.expect("browser steps");
    assert_eq!(patient::count(&mut app.conn()).unwrap(), 1);
    assert_eq!(tumor::count(&mut app.conn()).unwrap(), 1);
}

/// Pastes a plain-text report (no accession: never a duplicate); returns the review page.
async fn paste_report(app: &TestApp, client: &reqwest::Client, text: &str) -> String {
    let response = app
        .post_form(
            client,
            "/pathology/paste",
            &[
                ("nameLast", "VERSIONA"),
                ("nameFirst", "TEST"),
                ("text", text),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303, "paste accepted");
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("location")
        .to_string();
    app.get(client, &location).await.1
}

/// The textareas of a form: (name, text).
fn textareas(html: &str, form_id: &str) -> Vec<(String, String)> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(&format!("#{form_id} textarea")).expect("selector");
    doc.select(&sel)
        .map(|t| {
            (
                t.value().attr("name").unwrap_or("").to_string(),
                t.text().collect::<String>(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_admin_adds_a_term_as_a_new_screening_version_and_the_next_report_is_screened_with_it() {
    let app = spawn_app().await;
    let admin = app.admin_client().await;
    let text = "FINAL DIAGNOSIS:\nSOFT TISSUE, LEFT THIGH, EXCISION: XYZZYOMA.";

    // Version 1, the project's defaults, does not know the term.
    let before = paste_report(&app, &admin, text).await;
    assert!(
        !before.contains("Screening: reportable</strong>"),
        "{before}"
    );
    assert!(
        before.contains("Screened with keyword lists and rules version 1"),
        "{before}"
    );
    let (status, index) = app.get(&admin, "/admin/screening").await;
    assert_eq!(status, 200);
    assert!(
        index.contains("Active: <strong>version 1</strong>"),
        "{index}"
    );

    // Edit: every list in its own text box; a bad edit is refused with a clear message.
    let (_, form) = app.get(&admin, "/admin/screening/edit").await;
    let boxes = textareas(&form, "screening-form");
    assert_eq!(boxes.len(), 12, "11 lists and the rules: {boxes:?}");
    let post = |boxes: Vec<(String, String)>, comment: &'static str| {
        let app = &app;
        let admin = &admin;
        async move {
            let mut fields: Vec<(&str, &str)> = boxes
                .iter()
                .map(|(n, t)| (n.as_str(), t.as_str()))
                .collect();
            fields.push(("comment", comment));
            fields.push(("activate", "1"));
            app.post_form(admin, "/admin/screening", &fields).await
        }
    };
    let mut empty_positive = boxes.clone();
    for (n, t) in empty_positive.iter_mut() {
        if n == "list_positive" {
            t.clear();
        }
    }
    let refused = post(empty_positive, "oops").await;
    assert_eq!(refused.status().as_u16(), 400);
    let page = refused.text().await.expect("body");
    assert!(page.contains("the positive list is empty"), "{page}");
    let mut bad_rules = boxes.clone();
    for (n, t) in bad_rules.iter_mut() {
        if n == "rules" {
            t.push_str("\nskin-all | C44 | | | reportable | all skin\n");
        }
    }
    let refused = post(bad_rules, "bad rule").await;
    assert_eq!(refused.status().as_u16(), 400);
    let page = refused.text().await.expect("body");
    assert!(page.contains("rules line"), "{page}");
    assert!(page.contains("C44"), "{page}");

    let mut added = boxes.clone();
    for (n, t) in added.iter_mut() {
        if n == "list_positive" {
            t.push_str("\nxyzzyoma\n");
        }
    }
    let saved = post(added, "Add xyzzyoma").await;
    assert_eq!(saved.status().as_u16(), 303);
    assert_eq!(
        saved
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok()),
        Some("/admin/screening/2")
    );

    // The next report is screened with version 2.
    let after = paste_report(&app, &admin, text).await;
    assert!(after.contains("Screening: reportable</strong>"), "{after}");
    assert!(
        after.contains("Screened with keyword lists and rules version 2"),
        "{after}"
    );
    // The old version stays viewable, unchanged.
    let (status, v1) = app.get(&admin, "/admin/screening/1").await;
    assert_eq!(status, 200);
    assert!(
        !v1.to_lowercase().contains("xyzzyoma"),
        "version 1 unchanged"
    );
    let (_, v2) = app.get(&admin, "/admin/screening/2").await;
    assert!(
        v2.contains("xyzzyoma") && v2.contains("Add xyzzyoma"),
        "{v2}"
    );

    // Activating version 1 again: the term no longer makes a report reportable.
    let back = app
        .post_form(&admin, "/admin/screening/1/activate", &[])
        .await;
    assert_eq!(back.status().as_u16(), 303);
    let again = paste_report(&app, &admin, text).await;
    assert!(!again.contains("Screening: reportable</strong>"), "{again}");
    assert!(again.contains("rules version 1"), "{again}");

    // Audited: the new version and both activations.
    let audit: Vec<_> = app
        .audit_rows()
        .into_iter()
        .filter(|r| r.entity == "screening-version")
        .collect();
    assert!(
        audit
            .iter()
            .any(|r| r.action == "create"
                && r.detail.as_deref().unwrap_or("").contains("Add xyzzyoma")),
        "{audit:?}"
    );
    assert_eq!(
        audit.iter().filter(|r| r.action == "update").count(),
        2,
        "{audit:?}"
    );

    // Only administrators edit the lists.
    let registrar = app
        .client_for("reg", registrar::auth::Role::Registrar, &["0000000001"])
        .await;
    let (status, _) = app.get(&registrar, "/admin/screening").await;
    assert_eq!(status, 403);
    for path in ["/admin/screening", "/admin/screening/1/activate"] {
        let refused = app
            .post_form(&registrar, path, &[("positive", "carcinoma")])
            .await;
        assert_eq!(refused.status().as_u16(), 403, "{path}");
    }
}

#[tokio::test]
async fn reports_belong_to_a_facility_and_other_facilities_do_not_see_them() {
    let app = spawn_app().await;
    let north = app
        .client_for("north", registrar::auth::Role::Registrar, &["0000000001"])
        .await;
    let south = app
        .client_for("south", registrar::auth::Role::Registrar, &["0000000002"])
        .await;
    let north_id = app.facility("0000000001");
    let south_id = app.facility("0000000002");

    // A registrar of the north facility uploads: the reports are the north facility's.
    let (status, page) = upload_as(
        &app,
        &north,
        &[("breast.hl7", &fixture("01_breast_idc_uoq_left.hl7"))],
        Some(&north_id.to_string()),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("upload-results"), "{page}");
    // Another facility cannot be chosen.
    let (status, _, _) = post_upload(
        &app,
        &north,
        &[("x.hl7", &fixture("01_breast_idc_uoq_left.hl7"))],
        Some(&south_id.to_string()),
    )
    .await;
    assert_eq!(status, 400);

    let (_, list) = app.get(&north, "/pathology?status=to-review").await;
    let ids = report_ids(&list);
    assert_eq!(ids.len(), 1, "{list}");
    let id = ids[0];
    let (status, _) = app.get(&north, &format!("/pathology/{id}")).await;
    assert_eq!(status, 200);

    // The south facility sees nothing, and the report is not found by its id.
    let (_, list) = app.get(&south, "/pathology?status=to-review").await;
    assert!(report_ids(&list).is_empty(), "{list}");
    assert!(list.contains("To review (0)"), "{list}");
    let (status, _) = app.get(&south, &format!("/pathology/{id}")).await;
    assert_eq!(status, 404);
    let closed = app
        .post_form(
            &south,
            &format!("/pathology/{id}/close"),
            &[("action", "not-reportable"), ("reason", "not ours at all")],
        )
        .await;
    assert_eq!(closed.status().as_u16(), 404);

    // A lab token issued for the south facility files its reports there.
    let admin = app.admin_client().await;
    let issued = app
        .post_form(
            &admin,
            "/admin/lab-tokens",
            &[
                ("lab_name", "South Lab"),
                ("clia", "99D0000002"),
                ("facility", &south_id.to_string()),
            ],
        )
        .await;
    let page = issued.text().await.expect("body");
    let doc = scraper::Html::parse_document(&page);
    let sel = scraper::Selector::parse("#new-token").expect("selector");
    let token: String = doc
        .select(&sel)
        .next()
        .map(|e| e.text().collect())
        .expect("token shown");
    let api = reqwest::Client::new()
        .post(app.url("/api/v1/pathology"))
        .header("authorization", format!("Bearer {token}"))
        .body(fixture("09_lung_adenoca_rul.hl7"))
        .send()
        .await
        .expect("api");
    assert_eq!(api.status().as_u16(), 200);
    let (_, south_list) = app.get(&south, "/pathology?status=all").await;
    assert_eq!(report_ids(&south_list).len(), 1, "{south_list}");
    let (_, north_list) = app.get(&north, "/pathology?status=all").await;
    assert_eq!(report_ids(&north_list).len(), 1, "{north_list}");

    // The central registry sees both and filters by facility.
    let (_, all) = app.get(&admin, "/pathology?status=all").await;
    assert_eq!(report_ids(&all).len(), 2, "{all}");
    let (_, only_south) = app
        .get(
            &admin,
            &format!("/pathology?status=all&facility_id={south_id}"),
        )
        .await;
    assert_eq!(report_ids(&only_south).len(), 1, "{only_south}");
    let (_, central) = app
        .get(&admin, "/pathology?status=all&facility_id=none")
        .await;
    assert!(report_ids(&central).is_empty(), "{central}");
}

#[tokio::test]
async fn an_upload_is_read_in_the_background_and_its_page_shows_the_progress() {
    let app = spawn_app().await;
    let admin = app.admin_client().await;
    let files = registrar::services::pathology::bench_files(600, 300);
    let named: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .enumerate()
        .map(|(i, f)| (format!("part{i}.hl7"), f))
        .collect();
    let refs: Vec<(&str, &[u8])> = named
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let (status, _, location) = post_upload(&app, &admin, &refs, None).await;
    assert_eq!(status, 303, "the request only stores the files");
    let location = location.expect("progress page");
    // The files are stored before the answer.
    assert_eq!(model::raw_count(&mut app.conn()).unwrap(), 2);
    let (status, first) = app.get(&admin, &location).await;
    assert_eq!(status, 200);
    assert!(first.contains("/ 600 messages read"), "{first}");
    // Another registrar cannot look at somebody else's upload.
    let other = app
        .client_for("other", registrar::auth::Role::Registrar, &["0000000001"])
        .await;
    let (status, _) = app.get(&other, &location).await;
    assert_eq!(status, 404);
    let (status, done) = wait_for_upload(&app, &admin, &location).await;
    assert_eq!(status, 200);
    assert!(done.contains("<strong>complete</strong>"), "{done}");
    assert!(done.contains("600 / 600 messages read"), "{done}");
    assert!(
        done.contains("part0.hl7") && done.contains("part1.hl7"),
        "{done}"
    );
    assert_eq!(model::count(&mut app.conn()).unwrap(), 600);
}

#[tokio::test]
async fn an_upload_left_unfinished_by_a_restart_is_resumed_without_reading_a_message_twice() {
    use registrar::models::pathology::NewUpload;
    let app = spawn_app().await;
    let mut conn = app.conn();
    let bytes = registrar::services::pathology::bench_files(40, 40).remove(0);
    let sender = Sender {
        actor: Actor::system("test"),
        lab_token_id: None,
        file_name: Some("resume.hl7".into()),
        facility_id: None,
    };
    // A process stored the file, read the first 10 messages and stopped.
    let raw_id =
        registrar::services::pathology::store_raw(&mut conn, Source::Upload, &bytes, &sender)
            .expect("stored");
    let first_ten: Vec<u8> = {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let cut = text
            .match_indices("MSH|")
            .nth(10)
            .map(|(i, _)| i)
            .expect("40 messages");
        text.as_bytes()[..cut].to_vec()
    };
    registrar::services::pathology::ingest_stored(
        &mut conn,
        raw_id,
        &first_ten,
        &sender,
        &mut |_, _| {},
    )
    .expect("first part");
    assert_eq!(model::count(&mut conn).unwrap(), 10);
    let id = model::insert_upload(
        &mut conn,
        &NewUpload {
            status: "running",
            created_by_user_id: None,
            facility_id: None,
            raw_message_ids: &format!("[{raw_id}]"),
            file_names: "[\"resume.hl7\"]",
            messages_total: 40,
            messages_done: 10,
            created_at: registrar::models::now(),
        },
    )
    .expect("upload row");
    // Start-up resumes it: every message is recorded once, and only then is it complete.
    drop(conn);
    registrar::services::pathology_uploads::resume_unfinished(&app.pool).expect("resume");
    let mut upload = None;
    for _ in 0..600 {
        let u = model::find_upload(&mut app.conn(), id)
            .unwrap()
            .expect("upload");
        if u.status != "running" && u.status != "queued" {
            upload = Some(u);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let upload = upload.expect("finished");
    assert_eq!(upload.status, "complete", "{:?}", upload.message);
    assert_eq!(upload.messages_done, 40);
    let mut conn = app.conn();
    assert_eq!(model::count(&mut conn).unwrap(), 40);
    let duplicates = model::status_counts(&mut conn, &Scope::All)
        .unwrap()
        .into_iter()
        .find(|(s, _)| s == "duplicate")
        .map(|(_, n)| n)
        .unwrap_or(0);
    assert_eq!(duplicates, 0);
}
