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

/// A browser's multipart upload of files (field `files`), CSRF token in the query string.
async fn upload(app: &TestApp, client: &reqwest::Client, files: &[(&str, &[u8])]) -> (u16, String) {
    let token = app.csrf(client).await;
    let boundary = "----registrar-test-boundary-7MA4YWxk";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
        )
        .as_bytes(),
    );
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
    (status, response.text().await.expect("body"))
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
        let sender = Sender { actor: Actor::system("proptest"), lab_token_id: None, file_name: None };
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
        c.find(Locator::Css("a.path-open"))
            .await?
            .send_keys(&enter)
            .await?;
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
