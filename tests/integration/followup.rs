//! Follow-up: letters through a real SMTP server in the test process (mailin-embedded), response
//! links, accepting a response, the CoC worksheet on a dataset worked out by hand.

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use diesel::prelude::*;
use mailin_embedded::{Handler, Response, Server, SslConfig};
use registrar::config::{Settings, SmtpTls};
use registrar::db::schema::{
    followup_contacts, followup_outbox, followup_requests, followup_responses,
};
use registrar::jobs::{followup as job, outbox};
use registrar::mail::Mailer;
use registrar::models::followup as rows;
use registrar::models::patient::{self, Patient};
use registrar::models::tumor::{self, Tumor};

use crate::common::{self, TestApp};

// ---------------------------------------------------------------------------------------------
// The SMTP sink
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Mailbox {
    messages: Vec<String>,
    /// Recipients answered 550.
    reject: HashSet<String>,
    /// Recipients answered 451 once, then accepted.
    fail_once: HashSet<String>,
    failed: HashSet<String>,
}

/// The server clones the handler for each connection, so the message being received is kept
/// per connection (the sender has several connections open at once) and the mailbox is shared.
#[derive(Clone)]
struct Sink(Arc<Mutex<Mailbox>>, Vec<u8>);

impl Handler for Sink {
    fn rcpt(&mut self, to: &str) -> Response {
        let mut b = self.0.lock().unwrap();
        let to = to.trim_matches(['<', '>']).to_string();
        if b.reject.contains(&to) {
            return mailin_embedded::response::NO_MAILBOX;
        }
        if b.fail_once.contains(&to) && b.failed.insert(to) {
            return mailin_embedded::response::INTERNAL_ERROR;
        }
        mailin_embedded::response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.1.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        let message = String::from_utf8_lossy(&std::mem::take(&mut self.1)).into_owned();
        self.0.lock().unwrap().messages.push(message);
        mailin_embedded::response::OK
    }
}

fn start_sink() -> (u16, Sink) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let sink = Sink(Arc::new(Mutex::new(Mailbox::default())), Vec::new());
    let mut server = Server::new(sink.clone());
    server
        .with_name("sink.test")
        .with_ssl(SslConfig::None)
        .unwrap()
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (port, sink)
}

impl Sink {
    fn messages(&self) -> Vec<String> {
        self.0.lock().unwrap().messages.clone()
    }
}

/// The message text with quoted-printable soft line breaks and `=3D` undone.
fn decoded(message: &str) -> String {
    message.replace("=\r\n", "").replace("=3D", "=")
}

fn link_in(message: &str) -> String {
    let text = decoded(message);
    let start = text.find("/followup/respond/").expect("a response link");
    let token: String = text[start + "/followup/respond/".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    format!("/followup/respond/{token}")
}

// ---------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------

async fn app_with_sink() -> (TestApp, Sink) {
    let (port, sink) = start_sink();
    let app = common::spawn_app_with(|s| {
        s.smtp_host = "127.0.0.1".into();
        s.smtp_port = Some(port);
        s.smtp_tls = SmtpTls::None;
        s.mail_from = "Registry <registry@hospital.test>".into();
        // Far from any test run: the tests drive the job themselves.
        s.followup_cron = "0 0 3 1 1 * 2099".into();
    })
    .await;
    (app, sink)
}

struct CaseSpec<'a> {
    last: &'a str,
    dlc: Option<&'a str>,
    vital: &'a str,
    dob: &'a str,
    tumors: Vec<TumorSpec<'a>>,
}

#[derive(Clone)]
struct TumorSpec<'a> {
    dx: &'a str,
    class: &'a str,
    site: &'a str,
    hist: &'a str,
    behavior: &'a str,
    stage: Option<&'a str>,
    state_at_dx: &'a str,
}

fn tumor_spec(dx: &str) -> TumorSpec<'_> {
    TumorSpec {
        dx,
        class: "10",
        site: "C504",
        hist: "8500",
        behavior: "3",
        stage: None,
        state_at_dx: "MA",
    }
}

fn insert_case(app: &TestApp, spec: &CaseSpec) -> i64 {
    insert_case_in(app, "0000000001", spec)
}

fn insert_case_in(app: &TestApp, facility_code: &str, spec: &CaseSpec) -> i64 {
    let facility = app.facility(facility_code);
    let mut conn = app.conn();
    let mut p = Patient::blank(facility);
    let number = patient::next_patient_id_number(&mut conn, facility).unwrap();
    p.set_items([
        ("patientIdNumber", Some(number)),
        ("nameLast", Some(spec.last.to_string())),
        ("nameFirst", Some("Pat".to_string())),
        ("dateOfBirth", Some(spec.dob.to_string())),
        ("vitalStatus", Some(spec.vital.to_string())),
        ("dateOfLastContact", spec.dlc.map(str::to_string)),
    ]);
    let p = patient::insert(&mut conn, &mut p).unwrap();
    for (i, t) in spec.tumors.iter().enumerate() {
        let mut row = Tumor::blank(p.id, format!("{:02}", i + 1));
        row.set_items([
            ("dateOfDiagnosis", Some(t.dx.to_string())),
            ("classOfCase", Some(t.class.to_string())),
            ("primarySite", Some(t.site.to_string())),
            ("histologicTypeIcdO3", Some(t.hist.to_string())),
            ("behaviorCodeIcdO3", Some(t.behavior.to_string())),
            ("summaryStage2018", t.stage.map(str::to_string)),
            ("addrAtDxState", Some(t.state_at_dx.to_string())),
        ]);
        tumor::insert(&mut conn, &row).unwrap();
    }
    p.id
}

fn add_contact(
    app: &TestApp,
    patient_id: i64,
    role: &str,
    email: Option<&str>,
    address: Option<&str>,
) -> i64 {
    let mut conn = app.conn();
    let now = registrar::models::now();
    rows::insert_contact(
        &mut conn,
        &rows::NewContact {
            patient_id,
            role: role.into(),
            name: "Dr. Alex Rivera".into(),
            email: email.map(str::to_string),
            postal_address: address.map(str::to_string),
            preferred_channel: if email.is_some() { "email" } else { "letter" }.into(),
            valid_from: None,
            valid_to: None,
            invalid: false,
            invalid_reason: None,
            created_at: now,
            updated_at: now,
        },
    )
    .unwrap()
}

/// A patient last seen 2023-10-01 (delinquent on 2025-03-01), one analytic tumor, a physician
/// contact with `email`.
fn due_patient(app: &TestApp, last: &str, email: &str) -> i64 {
    due_patient_in(app, "0000000001", last, Some(email), None)
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()
}

fn run_job(app: &TestApp, day: NaiveDate) -> job::RunSummary {
    let mut conn = app.conn();
    job::run(&mut conn, &app.settings, day, false).unwrap()
}

async fn deliver(app: &TestApp, now: chrono::NaiveDateTime) -> outbox::DeliverySummary {
    let mailer = Mailer::from_settings(&app.settings).unwrap();
    outbox::deliver(&app.pool, &mailer, &app.settings, now)
        .await
        .unwrap()
}

fn letter_states(app: &TestApp) -> Vec<String> {
    let mut conn = app.conn();
    followup_outbox::table
        .order(followup_outbox::id.asc())
        .select(followup_outbox::state)
        .load(&mut conn)
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_due_patient_gets_exactly_one_mail_with_a_link_and_no_diagnosis() {
    let (app, sink) = app_with_sink().await;
    due_patient(&app, "Duemann", "dr.rivera@clinic.test");
    // Someone current and someone dead get nothing.
    let current = insert_case(
        &app,
        &CaseSpec {
            last: "Current",
            dlc: Some("20250115"),
            vital: "1",
            dob: "19500101",
            tumors: vec![tumor_spec("20200301")],
        },
    );
    add_contact(
        &app,
        current,
        "following-physician",
        Some("other@clinic.test"),
        None,
    );

    let first = run_job(&app, today());
    assert_eq!(first.emails_queued, 1, "{first:?}");
    let delivered = deliver(&app, registrar::models::now()).await;
    assert_eq!(delivered.sent, 1);
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let mail = decoded(&messages[0]);
    assert!(mail.contains("dr.rivera@clinic.test"));
    assert!(mail.contains("/followup/respond/"));
    assert!(
        registrar::domain::followup::check_minimum_necessary(&mail).is_ok(),
        "{mail}"
    );
    assert!(!mail.contains("C504") && !mail.contains("8500"));

    // A second run the same day (or after a restart) writes and sends nothing.
    let second = run_job(&app, today());
    assert_eq!(second.emails_queued, 0);
    assert_eq!(second.already_requested + second.waiting, 1, "{second:?}");
    deliver(&app, registrar::models::now()).await;
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(letter_states(&app), vec!["sent"]);

    // The CLI's due list counts without writing.
    let mut conn = app.conn();
    let dry = job::run(&mut conn, &app.settings, today(), true).unwrap();
    assert_eq!(dry.due, 1);
}

#[tokio::test]
async fn a_permanent_failure_marks_the_address_invalid() {
    let (app, sink) = app_with_sink().await;
    sink.0
        .lock()
        .unwrap()
        .reject
        .insert("gone@clinic.test".into());
    let patient_id = due_patient(&app, "Bounce", "gone@clinic.test");
    run_job(&app, today());
    let delivered = deliver(&app, registrar::models::now()).await;
    assert_eq!(delivered.bounced, 1);
    assert_eq!(letter_states(&app), vec!["bounced"]);
    let mut conn = app.conn();
    let invalid: bool = followup_contacts::table
        .filter(followup_contacts::patient_id.eq(patient_id))
        .select(followup_contacts::invalid)
        .first(&mut conn)
        .unwrap();
    assert!(invalid);
    let state: String = followup_requests::table
        .select(followup_requests::state)
        .first(&mut conn)
        .unwrap();
    assert_eq!(state, "bounced");
    // The dashboard lists the patient as needing another contact.
    let admin = app.admin_client().await;
    let (status, page) = app.get(&admin, "/followup").await;
    assert_eq!(status, 200);
    let section = page.split("id=\"h-bounced\"").nth(1).unwrap_or_default();
    assert!(section.contains("Bounce, Pat"), "{section}");
    // With the only contact invalid, the next request finds no one.
    let again = run_job(&app, NaiveDate::from_ymd_opt(2025, 4, 15).unwrap());
    assert_eq!(again.needs_another_contact, 1, "{again:?}");
}

#[tokio::test]
async fn a_temporary_failure_is_retried_with_backoff() {
    let (app, sink) = app_with_sink().await;
    sink.0
        .lock()
        .unwrap()
        .fail_once
        .insert("busy@clinic.test".into());
    due_patient(&app, "Retry", "busy@clinic.test");
    run_job(&app, today());
    let now = registrar::models::now();
    let first = deliver(&app, now).await;
    assert_eq!(first.retry, 1);
    assert_eq!(letter_states(&app), vec!["retry"]);
    // Not before the backoff has passed.
    let early = deliver(&app, now).await;
    assert_eq!(early.sent, 0);
    let later = deliver(&app, now + chrono::TimeDelta::minutes(2)).await;
    assert_eq!(later.sent, 1);
    assert_eq!(letter_states(&app), vec!["sent"]);
    assert_eq!(sink.messages().len(), 1);
    let mut conn = app.conn();
    let attempts: i32 = followup_outbox::table
        .select(followup_outbox::attempts)
        .first(&mut conn)
        .unwrap();
    assert_eq!(attempts, 2);
}

#[tokio::test]
async fn the_link_works_once_the_registrar_accepts_and_the_rate_moves() {
    let (app, sink) = app_with_sink().await;
    let patient_id = due_patient(&app, "Answer", "dr.rivera@clinic.test");
    let before = {
        let mut conn = app.conn();
        registrar::services::followup::worksheet(
            &mut conn,
            &app.settings,
            &patient::Scope::All,
            today(),
        )
        .unwrap()
    };
    assert_eq!((before.all.a, before.all.d), (1, 0));
    run_job(&app, today());
    deliver(&app, registrar::models::now()).await;
    let link = link_in(&sink.messages()[0]);

    let physician = common::client();
    let (status, form) = app.get(&physician, &link).await;
    assert_eq!(status, 200);
    assert!(form.contains("Answer, Pat"));
    assert!(form.contains("Condition 1 (first recorded 06/2023)"));
    assert!(registrar::domain::followup::check_minimum_necessary(&form).is_ok());
    let tumor_id = {
        let mut conn = app.conn();
        tumor::for_patient(&mut conn, patient_id).unwrap()[0].id
    };
    let status_field = format!("status_{tumor_id}");
    let answer = [
        ("date_last_seen", "2025-02-20"),
        ("vital_status", "1"),
        (status_field.as_str(), "1"),
        ("disease_returned", "no"),
        ("new_treatment", "no"),
        ("note", "seen for a routine visit"),
    ];
    let response = app.post_form(&physician, &link, &answer).await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.text().await.unwrap().contains("Thank you"));
    // Used: the link refuses, for reading and for a second answer.
    let (status, _) = app.get(&physician, &link).await;
    assert_eq!(status, 410);
    let again = app.post_form(&physician, &link, &answer).await;
    assert_eq!(again.status().as_u16(), 410);

    // Nothing changes until the registrar accepts.
    let mut conn = app.conn();
    let p = patient::find_scoped(&mut conn, &patient::Scope::All, patient_id)
        .unwrap()
        .unwrap();
    assert_eq!(p.date_of_last_contact.as_deref(), Some("20231001"));
    let response_id: i64 = followup_responses::table
        .select(followup_responses::id)
        .first(&mut conn)
        .unwrap();
    drop(conn);

    let admin = app.admin_client().await;
    let (_, home) = app.get(&admin, "/").await;
    assert!(home.contains(&format!("/followup/responses/{response_id}")));
    let (status, review) = app
        .get(&admin, &format!("/followup/responses/{response_id}"))
        .await;
    assert_eq!(status, 200);
    assert!(review.contains("2025-02-20"));
    // One click: the form is posted as shown.
    let shown = [
        ("received_on", registrar::models::now().date().to_string()),
        ("date_last_seen", "2025-02-20".to_string()),
        ("vital_status", "1".to_string()),
        ("date_of_death", String::new()),
        ("cause_of_death", String::new()),
        (status_field.as_str(), "1".to_string()),
        ("disease_returned", "no".to_string()),
        ("new_treatment", "no".to_string()),
        ("note", "seen for a routine visit".to_string()),
    ];
    let fields: Vec<(&str, &str)> = shown.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let accepted = app
        .post_form(
            &admin,
            &format!("/followup/responses/{response_id}"),
            &fields,
        )
        .await;
    assert_eq!(
        accepted.status().as_u16(),
        303,
        "{}",
        accepted.text().await.unwrap_or_default()
    );

    let mut conn = app.conn();
    let p = patient::find_scoped(&mut conn, &patient::Scope::All, patient_id)
        .unwrap()
        .unwrap();
    assert_eq!(p.date_of_last_contact.as_deref(), Some("20250220"));
    let t = &tumor::for_patient(&mut conn, patient_id).unwrap()[0];
    assert_eq!(t.cancer_status.as_deref(), Some("1"));
    assert_eq!(t.item("followUpSource").as_deref(), Some("2"));
    let state: String = followup_responses::table
        .select(followup_responses::state)
        .first(&mut conn)
        .unwrap();
    assert_eq!(state, "accepted");
    let after = registrar::services::followup::worksheet(
        &mut conn,
        &app.settings,
        &patient::Scope::All,
        today(),
    )
    .unwrap();
    assert_eq!((after.all.a, after.all.d), (1, 1));
    assert_eq!(after.all.rate, Some(1.0));
    drop(conn);
    let audit = app.audit_rows();
    assert!(audit.iter().any(|r| {
        r.entity == "patient"
            && r.action == "update"
            && r.changes
                .as_deref()
                .unwrap_or("")
                .contains("dateOfLastContact")
    }));
    // The patient's follow-up history shows the letter and the answer.
    let (_, history) = app
        .get(&admin, &format!("/patients/{patient_id}/followup"))
        .await;
    assert!(history.contains("Response") && history.contains("accepted"));
    assert!(history.contains("sent to dr.rivera@clinic.test"));
}

#[tokio::test]
async fn an_expired_link_refuses() {
    let (app, sink) = app_with_sink().await;
    due_patient(&app, "Late", "dr.rivera@clinic.test");
    run_job(&app, today());
    deliver(&app, registrar::models::now()).await;
    let link = link_in(&sink.messages()[0]);
    let mut conn = app.conn();
    diesel::update(followup_requests::table)
        .set(
            followup_requests::expires_at.eq(registrar::models::now() - chrono::TimeDelta::days(1)),
        )
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    let c = common::client();
    let (status, page) = app.get(&c, &link).await;
    assert_eq!(status, 410);
    assert!(page.contains("expired"));
    let (status, _) = app.get(&c, "/followup/respond/not-a-real-token").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn contacts_without_email_get_a_printed_letter() {
    let (app, sink) = app_with_sink().await;
    let id = insert_case(
        &app,
        &CaseSpec {
            last: "Paper",
            dlc: Some("20231001"),
            vital: "1",
            dob: "19600510",
            tumors: vec![tumor_spec("20230601")],
        },
    );
    add_contact(
        &app,
        id,
        "patient",
        None,
        Some("1 Main Street\nSpringfield"),
    );
    let summary = run_job(&app, today());
    assert_eq!(summary.letters_to_print, 1);
    deliver(&app, registrar::models::now()).await;
    assert!(sink.messages().is_empty());
    let admin = app.admin_client().await;
    let (status, page) = app.get(&admin, "/followup/print").await;
    assert_eq!(status, 200);
    assert_eq!(page.matches("class=\"letter\"").count(), 1);
    assert!(page.contains("1 Main Street"));
    assert_eq!(letter_states(&app), vec!["printed"]);
}

#[tokio::test]
async fn templates_refuse_diagnosis_words() {
    let app = common::spawn_app().await;
    let admin = app.admin_client().await;
    let response = app
        .post_form(
            &admin,
            "/followup/templates",
            &[
                ("kind", "physician"),
                ("subject", "Follow-up of your cancer patient"),
                ("text", "Dear {{contact_name}}, {{response_link}}"),
                ("html", "<p>{{response_link}}</p>"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("discloses a diagnosis")
    );
    let ok = app
        .post_form(
            &admin,
            "/followup/templates",
            &[
                ("kind", "physician"),
                ("subject", "Yearly update from {{facility_name}}"),
                (
                    "text",
                    "Dear {{contact_name}}, please answer: {{response_link}}",
                ),
                ("html", "<p><a href=\"{{response_link}}\">Answer</a></p>"),
            ],
        )
        .await;
    assert_eq!(ok.status().as_u16(), 303);
    let (_, page) = app.get(&admin, "/followup/templates").await;
    assert!(page.contains("Yearly update from"));
}

/// The worksheet on a constructed dataset, worked out by hand. Reference date 2010-01-01, today
/// 2025-03-01, so the five-year window starts 2020-01-01 and "current" means a contact on or
/// after 2023-12-02 (today − 15 months, exclusive).
#[tokio::test]
async fn the_worksheet_matches_a_hand_count() {
    let app = common::spawn_app().await;
    let alive = |last, dlc, dx| CaseSpec {
        last,
        dlc: Some(dlc),
        vital: "1",
        dob: "19600101",
        tumors: vec![tumor_spec(dx)],
    };
    // 1. current, diagnosed 2021 (both windows): A, C, D.
    insert_case(&app, &alive("One", "20250101", "20210301"));
    // 2. not current (last contact 2023-06), diagnosed 2015 (all only): A, C, E.
    insert_case(&app, &alive("Two", "20230601", "20150301"));
    // 3. dead, diagnosed 2022: A, B in both windows.
    insert_case(
        &app,
        &CaseSpec {
            last: "Three",
            dlc: Some("20240101"),
            vital: "0",
            dob: "19400101",
            tumors: vec![tumor_spec("20220301")],
        },
    );
    // 4. benign (behavior 0): excluded.
    let mut benign = tumor_spec("20210301");
    benign.behavior = "0";
    benign.site = "C710";
    benign.hist = "9530";
    insert_case(
        &app,
        &CaseSpec {
            last: "Four",
            dlc: Some("20250101"),
            vital: "1",
            dob: "19600101",
            tumors: vec![benign],
        },
    );
    // 5. non-analytic (class 32): excluded.
    let mut nonanalytic = tumor_spec("20210301");
    nonanalytic.class = "32";
    insert_case(
        &app,
        &CaseSpec {
            last: "Five",
            dlc: Some("20250101"),
            vital: "1",
            dob: "19600101",
            tumors: vec![nonanalytic],
        },
    );
    // 6. before the reference date (2008): not counted.
    insert_case(&app, &alive("Six", "20250101", "20080301"));
    // 7. current, two analytic primaries (2016 and 2023): two cases, both D; one in the window.
    insert_case(
        &app,
        &CaseSpec {
            last: "Seven",
            dlc: Some("20241201"),
            vital: "1",
            dob: "19600101",
            tumors: vec![tumor_spec("20160301"), tumor_spec("20230301")],
        },
    );
    // 8. foreign resident: excluded.
    let mut foreign = tumor_spec("20210301");
    foreign.state_at_dx = "XX";
    insert_case(
        &app,
        &CaseSpec {
            last: "Eight",
            dlc: Some("20250101"),
            vital: "1",
            dob: "19600101",
            tumors: vec![foreign],
        },
    );
    // By hand, all years: A = 1 + 1 + 1 + 2 = 5; B = 1; C = 4; D = 1 + 2 = 3; E = 1;
    // rate = (1 + 3) / 5 = 0.8.
    // Last five years (dx 2020+): cases 1, 3, 7b: A = 3; B = 1; C = 2; D = 2; E = 0; rate = 1.0.
    let mut conn = app.conn();
    let mut settings: Settings = app.settings.clone();
    settings.reference_date = NaiveDate::from_ymd_opt(2010, 1, 1).unwrap();
    let w = registrar::services::followup::worksheet(
        &mut conn,
        &settings,
        &patient::Scope::All,
        today(),
    )
    .unwrap();
    let json = registrar::services::followup::rates_json(
        &w,
        registrar::services::followup::worksheet_reference(&settings),
    );
    assert_eq!(json["A"], 5);
    assert_eq!(json["B"], 1);
    assert_eq!(json["C"], 4);
    assert_eq!(json["D"], 3);
    assert_eq!(json["E"], 1);
    assert_eq!(json["rateAll"], 0.8);
    assert_eq!(json["rateLast5Years"], 1.0);
    assert_eq!(json["referenceDate"], "2010-01-01");
    assert_eq!((w.last5.a, w.last5.b, w.last5.d, w.last5.e), (3, 1, 2, 0));
}

/// A patient of `facility_code` last seen 2023-10-01 (due), with one contact.
fn due_patient_in(
    app: &TestApp,
    facility_code: &str,
    last: &str,
    email: Option<&str>,
    address: Option<&str>,
) -> i64 {
    let id = insert_case_in(
        app,
        facility_code,
        &CaseSpec {
            last,
            dlc: Some("20231001"),
            vital: "1",
            dob: "19600510",
            tumors: vec![tumor_spec("20230601")],
        },
    );
    add_contact(app, id, "following-physician", email, address);
    id
}

#[tokio::test]
async fn follow_up_lists_show_only_the_users_facilities() {
    let (app, sink) = app_with_sink().await;
    let alpha = due_patient_in(
        &app,
        "0000000001",
        "Alpha",
        Some("dr.alpha@clinic.test"),
        None,
    );
    due_patient_in(&app, "0000000001", "Apaper", None, Some("1 Alpha Road"));
    let bravo = due_patient_in(
        &app,
        "0000000002",
        "Bravo",
        Some("dr.bravo@clinic.test"),
        None,
    );
    due_patient_in(&app, "0000000002", "Bpaper", None, Some("2 Bravo Road"));
    // A third patient of the second facility whose address bounces: "needs another contact".
    due_patient_in(&app, "0000000002", "Bounce", Some("gone@clinic.test"), None);
    sink.0
        .lock()
        .unwrap()
        .reject
        .insert("gone@clinic.test".into());
    let summary = run_job(&app, today());
    assert_eq!((summary.emails_queued, summary.letters_to_print), (3, 2));
    deliver(&app, registrar::models::now()).await;
    // Bravo answers.
    let bravo_link = sink
        .messages()
        .iter()
        .find(|m| m.contains("dr.bravo@clinic.test"))
        .map(|m| link_in(m))
        .expect("Bravo's mail");
    let answered = app
        .post_form(
            &common::client(),
            &bravo_link,
            &[("date_last_seen", "2025-02-01"), ("vital_status", "1")],
        )
        .await;
    assert_eq!(answered.status().as_u16(), 200);
    let (bravo_response, bravo_letter): (i64, i64) = {
        let mut conn = app.conn();
        let response = followup_responses::table
            .filter(followup_responses::patient_id.eq(bravo))
            .select(followup_responses::id)
            .first(&mut conn)
            .unwrap();
        let letter = followup_outbox::table
            .filter(followup_outbox::to_address.eq("2 Bravo Road"))
            .select(followup_outbox::id)
            .first(&mut conn)
            .unwrap();
        (response, letter)
    };

    let first = app
        .client_for(
            "fu-first",
            registrar::auth::Role::Registrar,
            &["0000000001"],
        )
        .await;
    let (status, outbox) = app.get(&first, "/followup/outbox").await;
    assert_eq!(status, 200);
    assert!(outbox.contains("dr.alpha@clinic.test") && outbox.contains("1 Alpha Road"));
    assert!(!outbox.contains("dr.bravo@clinic.test") && !outbox.contains("Bravo Road"));
    assert!(!outbox.contains("gone@clinic.test"));
    let (_, dashboard) = app.get(&first, "/followup").await;
    assert!(dashboard.contains("Alpha, Pat"));
    for other in ["Bravo, Pat", "Bpaper", "Bounce"] {
        assert!(
            !dashboard.contains(other),
            "{other} is not on the first facility's dashboard"
        );
    }
    let (_, csv) = app.get(&first, "/followup/control-list.csv").await;
    assert!(csv.contains("Alpha") && !csv.contains("Bravo"));
    let (_, worklist) = app.get(&first, "/").await;
    assert!(!worklist.contains(&format!("/followup/responses/{bravo_response}")));
    for (path, expected) in [
        (format!("/followup/responses/{bravo_response}"), 404),
        (format!("/followup/letters/{bravo_letter}/print"), 404),
        (format!("/patients/{alpha}/followup"), 200),
        (format!("/patients/{bravo}/followup"), 404),
    ] {
        let (status, _) = app.get(&first, &path).await;
        assert_eq!(status, expected, "{path}");
    }
    // Printing the batch prints only the first facility's letter; the other stays queued.
    let (_, print) = app.get(&first, "/followup/print").await;
    assert_eq!(print.matches("class=\"letter\"").count(), 1);
    assert!(print.contains("1 Alpha Road") && !print.contains("Bravo Road"));

    // A central-registry user sees all.
    let admin = app.admin_client().await;
    let (_, dashboard) = app.get(&admin, "/followup").await;
    assert!(dashboard.contains("Alpha, Pat") && dashboard.contains("Bravo, Pat"));
    let bounced = dashboard
        .split("<ul id=\"list-bounced\">")
        .nth(1)
        .and_then(|rest| rest.split("</ul>").next())
        .unwrap_or_default();
    assert!(
        bounced.contains("Bounce, Pat"),
        "the bounce is on the needs-another-contact list: {dashboard}"
    );
    let (_, print) = app.get(&admin, "/followup/print").await;
    assert!(print.contains("2 Bravo Road") && !print.contains("1 Alpha Road"));
    let (status, _) = app
        .get(&admin, &format!("/followup/responses/{bravo_response}"))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_patient_marked_not_followed_with_a_reason_leaves_the_due_list() {
    let (app, _sink) = app_with_sink().await;
    let id = due_patient(&app, "Stopped", "dr.rivera@clinic.test");
    let admin = app.admin_client().await;
    let path = format!("/patients/{id}/followup/next-source");
    // Not followed needs a reason.
    let refused = app
        .post_form(&admin, &path, &[("next_source", "9"), ("reason", " ")])
        .await;
    assert_eq!(refused.status().as_u16(), 400);
    let saved = app
        .post_form(
            &admin,
            &path,
            &[("next_source", "9"), ("reason", "moved abroad, no address")],
        )
        .await;
    assert_eq!(saved.status().as_u16(), 303);
    let (_, page) = app.get(&admin, &format!("/patients/{id}/followup")).await;
    assert!(page.contains("id=\"not-followed\""), "{page}");
    assert!(page.contains("moved abroad, no address"));
    assert!(page.contains("not followed: "), "the status says why");
    let t = &tumor::for_patient(&mut app.conn(), id).unwrap()[0];
    assert_eq!(t.item("nextFollowUpSource").as_deref(), Some("9"));
    let summary = {
        let mut conn = app.conn();
        job::run(&mut conn, &app.settings, today(), true).unwrap()
    };
    assert_eq!(summary.due, 0);
    assert!(app.audit_rows().iter().any(|r| {
        r.entity == "followup_next_source"
            && r.changes.as_deref().unwrap_or("").contains("moved abroad")
    }));
    assert!(app.audit_rows().iter().any(|r| {
        r.entity == "tumor"
            && r.changes
                .as_deref()
                .unwrap_or("")
                .contains("nextFollowUpSource")
    }));
    // Following again (physician letter) clears the reason and puts the patient back on the list.
    app.post_form(&admin, &path, &[("next_source", "1"), ("reason", "")])
        .await;
    let (_, page) = app.get(&admin, &format!("/patients/{id}/followup")).await;
    assert!(!page.contains("moved abroad"));
    let summary = {
        let mut conn = app.conn();
        job::run(&mut conn, &app.settings, today(), true).unwrap()
    };
    assert_eq!(summary.due, 1);
}

#[tokio::test]
async fn unanswered_and_bounced_patients_are_phone_tasks_and_a_call_is_recorded() {
    let (app, sink) = app_with_sink().await;
    let silent = due_patient(&app, "Silent", "dr.silent@clinic.test");
    due_patient(&app, "Bounced", "gone@clinic.test");
    due_patient_in(
        &app,
        "0000000002",
        "Elsewhere",
        Some("dr.else@clinic.test"),
        None,
    );
    sink.0
        .lock()
        .unwrap()
        .reject
        .insert("gone@clinic.test".into());
    // Three letters a month apart, none answered.
    let mut day = today();
    for _ in 0..app.settings.follow_up.max_requests {
        run_job(&app, day);
        deliver(&app, registrar::models::now()).await;
        day += chrono::TimeDelta::days(i64::from(app.settings.follow_up.second_request_after_days));
    }
    let summary = run_job(&app, day);
    assert_eq!(summary.phone_tasks, 2, "Silent and Elsewhere: {summary:?}");

    let first = app
        .client_for(
            "fu-phone",
            registrar::auth::Role::Registrar,
            &["0000000001"],
        )
        .await;
    // The task list is computed for today: the three letters of Silent are in the current cycle.
    let (status, page) = app.get(&first, "/followup/phone").await;
    assert_eq!(status, 200);
    assert!(page.contains("Silent, Pat") && page.contains("3 letters without an answer"));
    assert!(page.contains("Bounced, Pat") && page.contains("needs another contact"));
    assert!(!page.contains("Elsewhere"), "another facility's patient");

    let recorded = app
        .post_form(
            &first,
            &format!("/patients/{silent}/followup/phone"),
            &[
                ("date_of_contact", "2025-04-02"),
                ("vital_status", "1"),
                ("who", "patient"),
            ],
        )
        .await;
    assert_eq!(recorded.status().as_u16(), 303);
    let p = patient::find_scoped(&mut app.conn(), &patient::Scope::All, silent)
        .unwrap()
        .unwrap();
    assert_eq!(p.date_of_last_contact.as_deref(), Some("20250402"));
    assert_eq!(p.vital_status.as_deref(), Some("1"));
    let t = &tumor::for_patient(&mut app.conn(), silent).unwrap()[0];
    assert_eq!(t.item("followUpSource").as_deref(), Some("3"));
    let (_, page) = app.get(&first, "/followup/phone").await;
    assert!(!page.contains("Silent, Pat"), "called: off the list");
    assert!(page.contains("Bounced, Pat"));
    let audit = app.audit_rows();
    assert!(audit.iter().any(|r| r.entity == "followup_phone_contact"));
    assert!(audit.iter().any(|r| {
        r.entity == "patient"
            && r.changes
                .as_deref()
                .unwrap_or("")
                .contains("dateOfLastContact")
    }));
}

#[tokio::test]
async fn an_accepted_answer_records_cause_of_death_and_recurrence_only_when_given() {
    let (app, sink) = app_with_sink().await;
    let died = due_patient(&app, "Died", "dr.one@clinic.test");
    let plain = due_patient(&app, "Plain", "dr.two@clinic.test");
    run_job(&app, today());
    deliver(&app, registrar::models::now()).await;
    let link_for = |address: &str| {
        sink.messages()
            .iter()
            .find(|m| m.contains(address))
            .map(|m| link_in(m))
            .expect("a mail")
    };
    let received = registrar::models::now().date().to_string();
    let died_answer = [
        ("date_last_seen", "2025-01-10"),
        ("vital_status", "0"),
        ("date_of_death", "2025-02-03"),
        ("cause_of_death", "C50.9"),
        ("disease_returned", "yes"),
        ("returned_on", "2024-11"),
        ("received_on", received.as_str()),
    ];
    let plain_answer = [
        ("date_last_seen", "2025-01-10"),
        ("vital_status", "1"),
        ("disease_returned", "no"),
        ("received_on", received.as_str()),
    ];
    let physician = common::client();
    let admin = app.admin_client().await;
    for (address, answer) in [
        ("dr.one@clinic.test", &died_answer[..]),
        ("dr.two@clinic.test", &plain_answer[..]),
    ] {
        let answered = app.post_form(&physician, &link_for(address), answer).await;
        assert_eq!(answered.status().as_u16(), 200);
        let id: i64 = followup_responses::table
            .order(followup_responses::id.desc())
            .select(followup_responses::id)
            .first(&mut app.conn())
            .unwrap();
        // Accepted as sent.
        let accepted = app
            .post_form(&admin, &format!("/followup/responses/{id}"), answer)
            .await;
        assert_eq!(accepted.status().as_u16(), 303);
    }
    let mut conn = app.conn();
    let p = patient::find_scoped(&mut conn, &patient::Scope::All, died)
        .unwrap()
        .unwrap();
    assert_eq!(p.vital_status.as_deref(), Some("0"));
    assert_eq!(p.item("causeOfDeath").as_deref(), Some("C509"));
    assert_eq!(p.item("icdRevisionNumber").as_deref(), Some("1"));
    let t = &tumor::for_patient(&mut conn, died).unwrap()[0];
    assert_eq!(t.item("recurrenceDate1st").as_deref(), Some("202411"));
    assert_eq!(t.item("recurrenceType1st").as_deref(), Some("88"));
    let p = patient::find_scoped(&mut conn, &patient::Scope::All, plain)
        .unwrap()
        .unwrap();
    assert_eq!(p.item("causeOfDeath"), None);
    let t = &tumor::for_patient(&mut conn, plain).unwrap()[0];
    assert_eq!(t.item("recurrenceDate1st"), None);
    assert_eq!(t.item("recurrenceType1st"), None);
}

// ---------------------------------------------------------------------------------------------
// In a real browser
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn browser_a_physician_answers_by_the_mailed_link_and_the_registrar_accepts_in_one_click() {
    use fantoccini::Locator;
    use fantoccini::key::Key;
    let (app, sink) = app_with_sink().await;
    let patient_id = due_patient(&app, "Browsing", "dr.rivera@clinic.test");
    run_job(&app, today());
    deliver(&app, registrar::models::now()).await;
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let link = link_in(&messages[0]);
    let (email, password) = app.user(
        "fu-browser",
        registrar::auth::Role::Registrar,
        &["0000000001"],
    );
    let Some(b) = common::browser::start().await else {
        return;
    };
    let c = &b.client;
    let wait_for_text = common::browser::wait_for_text;
    let result = async {
        // The physician: no login, only the link from the mail.
        c.goto(&app.url(&link)).await?;
        assert!(wait_for_text(c, "h1", "Yearly follow-up").await);
        // The date field has the focus; type, then Tab through the alive/died choice.
        let active = c.active_element().await?;
        assert_eq!(active.attr("id").await?.as_deref(), Some("date_last_seen"));
        active.send_keys("2025-02-20").await?;
        c.find(Locator::Css("input[name=vital_status][value='1']"))
            .await?
            .click()
            .await?;
        let status = c.find(Locator::Css("select[id^=status_]")).await?;
        status.select_by_value("1").await?;
        c.find(Locator::Id("disease_returned"))
            .await?
            .select_by_value("no")
            .await?;
        c.find(Locator::Id("note"))
            .await?
            .send_keys("seen in February, doing well")
            .await?;
        c.find(Locator::Id("send-answer"))
            .await?
            .send_keys(&Key::Enter.to_string())
            .await?;
        assert!(wait_for_text(c, "h1", "Thank you").await, "answer received");
        // The link works once.
        c.goto(&app.url(&link)).await?;
        assert!(wait_for_text(c, "h1", "This link has been used").await);

        // The registrar signs in; the worklist shows the answer; one click accepts it.
        assert!(
            b.sign_in(&app.url("/login"), &email, &password).await?,
            "signed in"
        );
        c.find(Locator::Css("#followup-responses a"))
            .await?
            .click()
            .await?;
        assert!(wait_for_text(c, "h1", "Follow-up response for Browsing, Pat").await);
        let date = c.find(Locator::Id("date_last_seen")).await?;
        assert_eq!(date.prop("value").await?.as_deref(), Some("2025-02-20"));
        c.find(Locator::Id("accept")).await?.click().await?;
        assert!(wait_for_text(c, "h1", "Follow-up").await);

        // The patient's page shows the new date of last contact and vital status.
        c.goto(&app.url(&format!("/patients/{patient_id}"))).await?;
        assert!(
            wait_for_text(c, "dd[data-naaccr=dateOfLastContact]", "2025-02-20").await,
            "date of last contact shown"
        );
        assert!(
            wait_for_text(c, "dd[data-naaccr=vitalStatus]", "1").await,
            "vital status shown"
        );
        let vital = c
            .find(Locator::Css("dd[data-naaccr=vitalStatus]"))
            .await?
            .text()
            .await?;
        assert!(
            vital.contains("Alive"),
            "vital status with its description: {vital}"
        );
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    b.expect_ok(result, "browser-followup-answer").await;
    let mut conn = app.conn();
    let state: String = followup_responses::table
        .select(followup_responses::state)
        .first(&mut conn)
        .unwrap();
    assert_eq!(state, "accepted");
}
