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
    current: Vec<u8>,
    /// Recipients answered 550.
    reject: HashSet<String>,
    /// Recipients answered 451 once, then accepted.
    fail_once: HashSet<String>,
    failed: HashSet<String>,
}

#[derive(Clone)]
struct Sink(Arc<Mutex<Mailbox>>);

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
        self.0.lock().unwrap().current.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        let mut b = self.0.lock().unwrap();
        let message = String::from_utf8_lossy(&std::mem::take(&mut b.current)).into_owned();
        b.messages.push(message);
        mailin_embedded::response::OK
    }
}

fn start_sink() -> (u16, Sink) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let sink = Sink(Arc::new(Mutex::new(Mailbox::default())));
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
    let mut conn = app.conn();
    let facility = app.facility("0000000001");
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
    let id = insert_case(
        app,
        &CaseSpec {
            last,
            dlc: Some("20231001"),
            vital: "1",
            dob: "19600510",
            tumors: vec![tumor_spec("20230601")],
        },
    );
    add_contact(app, id, "following-physician", Some(email), None);
    id
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
        registrar::services::followup::worksheet(&mut conn, &app.settings, today()).unwrap()
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
    let after =
        registrar::services::followup::worksheet(&mut conn, &app.settings, today()).unwrap();
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
    let w = registrar::services::followup::worksheet(&mut conn, &settings, today()).unwrap();
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
