//! The pages in a real browser, keyboard only.

use std::time::Duration;

use fantoccini::Locator;
use fantoccini::key::Key;

use crate::common::browser::{self, wait_for_text};
use crate::common::{patient_fields, spawn_app};

#[tokio::test]
async fn a_registrar_finds_a_patient_and_edits_a_field_with_the_keyboard_alone() {
    let app = spawn_app().await;
    let admin = app.admin_client().await;
    let f = app.facility("0000000001");
    let id = app
        .create_patient(&admin, f, &patient_fields("Keyboard", "Kim"))
        .await;
    let (email, password) = app.user("kbd", registrar::auth::Role::Registrar, &["0000000001"]);
    let Some(b) = browser::start().await else {
        return;
    };
    let c = &b.client;
    let result = async {
        assert!(
            b.sign_in(&app.url("/login"), &email, &password).await?,
            "signed in to the worklist"
        );

        // "/" jumps to the patient search; Enter searches.
        c.find(Locator::Css("body")).await?.send_keys("/").await?;
        let active = c.active_element().await?;
        assert_eq!(active.attr("id").await?.as_deref(), Some("q-name"));
        active.send_keys("keyb").await?;
        active.send_keys(&Key::Enter.to_string()).await?;
        assert!(
            wait_for_text(c, "#results", "Keyboard, Kim").await,
            "search finds the patient"
        );
        c.find(Locator::LinkText("Keyboard, Kim"))
            .await?
            .send_keys(&Key::Enter.to_string())
            .await?;
        assert!(wait_for_text(c, "h1", "Keyboard, Kim").await);

        c.find(Locator::Id("edit-patient"))
            .await?
            .send_keys(&Key::Enter.to_string())
            .await?;
        assert!(wait_for_text(c, "h1", "Edit patient").await);
        let first = c.find(Locator::Id("f-nameFirst")).await?;
        first.send_keys(&Key::End.to_string()).await?;
        first.send_keys("berly").await?;
        // Enter moves to the next field instead of submitting half a form.
        first.send_keys(&Key::Enter.to_string()).await?;
        let active = c.active_element().await?;
        assert_eq!(active.attr("id").await?.as_deref(), Some("f-nameMiddle"));
        c.find(Locator::Css("button[accesskey=s]"))
            .await?
            .send_keys(&Key::Enter.to_string())
            .await?;
        assert!(
            wait_for_text(c, "h1", "Keyboard, Kimberly").await,
            "the change is shown"
        );
        assert!(
            wait_for_text(c, "#history", "nameFirst: Kim → Kimberly").await,
            "and its audit event"
        );
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    b.expect_ok(result, "browser-keyboard-edit").await;
    let stored = registrar::models::patient::find_scoped(
        &mut app.conn(),
        &registrar::models::patient::Scope::All,
        id,
    )
    .unwrap()
    .unwrap();
    assert_eq!(stored.name_first.as_deref(), Some("Kimberly"));
}

#[tokio::test]
async fn an_idle_sign_out_warns_first_and_keeps_what_was_typed() {
    let app = crate::common::spawn_app_with(|s| s.session_idle_seconds = 8).await;
    let admin = app.admin_client().await;
    let f = app.facility("0000000001");
    let id = app
        .create_patient(&admin, f, &patient_fields("Idle", "Ivy"))
        .await;
    let Some(b) = browser::start().await else {
        return;
    };
    let c = &b.client;
    let result = async {
        c.goto(&app.url("/login")).await?;
        c.find(Locator::Id("email"))
            .await?
            .send_keys(&app.admin_email)
            .await?;
        let pw = c.find(Locator::Id("password")).await?;
        pw.send_keys(&app.admin_password).await?;
        pw.send_keys(&Key::Enter.to_string()).await?;
        assert!(wait_for_text(c, "h1", "Worklist").await);
        c.goto(&app.url(&format!("/patients/{id}/edit"))).await?;
        let city = c.find(Locator::Id("f-addrCurrentCity")).await?;
        city.send_keys("Typed Before Timeout").await?;
        // The warning appears before the sign-out...
        let mut warned = false;
        for _ in 0..60 {
            if c.find(Locator::Id("idle-warning"))
                .await?
                .is_displayed()
                .await?
            {
                warned = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(warned, "the idle warning is shown");
        // ...then the session ends and the sign-in page says why.
        assert!(
            wait_for_text(c, "main", "Your session ended").await || {
                tokio::time::sleep(Duration::from_secs(5)).await;
                wait_for_text(c, "main", "Your session ended").await
            }
        );
        c.find(Locator::Id("email"))
            .await?
            .send_keys(&app.admin_email)
            .await?;
        let pw = c.find(Locator::Id("password")).await?;
        pw.send_keys(&app.admin_password).await?;
        pw.send_keys(&Key::Enter.to_string()).await?;
        // Back on the form, with the typed value restored from the browser's draft.
        assert!(
            wait_for_text(c, "main", "Restored 1 unsaved entry").await,
            "draft restored"
        );
        let value = c
            .find(Locator::Id("f-addrCurrentCity"))
            .await?
            .prop("value")
            .await?;
        assert_eq!(value.as_deref(), Some("Typed Before Timeout"));
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    if result.is_err() {
        b.screenshot("browser-idle-draft").await;
    }
    result.expect("browser steps");
}

#[tokio::test]
async fn a_submission_run_finishes_on_its_progress_page_and_its_file_downloads() {
    let app = spawn_app().await;
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_registrar"))
        .env("DATABASE_URL", &app.database_url)
        .env("REGISTRAR_DATA_DIR", app.settings.data_dir.as_os_str())
        .env("REGISTRAR_LOG", "warn")
        .args(["demo", "--patients", "30", "--seed", "11"])
        .status()
        .unwrap();
    assert!(status.success());
    let npcr = {
        let mut conn = app.conn();
        registrar::services::submissions::ensure_default_profiles(&mut conn).unwrap();
        registrar::models::submission::find_profile_by_name(&mut conn, "NPCR")
            .unwrap()
            .unwrap()
            .id
    };
    let Some(b) = browser::start().await else {
        return;
    };
    let c = &b.client;
    let result = async {
        assert!(
            b.sign_in(&app.url("/login"), &app.admin_email, &app.admin_password)
                .await?,
            "signed in"
        );
        c.goto(&app.url(&format!("/submissions/profiles/{npcr}")))
            .await?;
        // Every demo abstract, not only the finished ones.
        c.find(Locator::Css("input[name=finished_only]"))
            .await?
            .click()
            .await?;
        c.find(Locator::Id("start-run")).await?.click().await?;
        assert!(wait_for_text(c, "h1", "Submission run").await);
        // The demo lacks items NPCR requires: the run stops for a decision; an admin sends anyway.
        let mut blocked = false;
        for _ in 0..100 {
            if wait_for_text(c, "#run-status", "blocked").await {
                blocked = true;
                break;
            }
        }
        assert!(blocked, "the pre-submission check blocks the run");
        c.find(Locator::Id("ov-reason"))
            .await?
            .send_keys("Registry asked for the file today")
            .await?;
        c.find(Locator::Css("#override-form button"))
            .await?
            .click()
            .await?;
        let mut finished = false;
        for _ in 0..100 {
            if wait_for_text(c, "#run-status", "complete").await {
                finished = true;
                break;
            }
        }
        assert!(finished, "the progress page reaches complete by itself");
        let href = c
            .find(Locator::Id("download"))
            .await?
            .attr("href")
            .await?
            .unwrap_or_default();
        let run_url = c.current_url().await?;
        let cookies = c.get_all_cookies().await?;
        Ok::<_, fantoccini::error::CmdError>((href, run_url, cookies))
    }
    .await;
    if result.is_err() {
        b.screenshot("browser-submission-run").await;
    }
    let (href, run_url, cookies) = result.expect("browser steps");
    // The download with the browser's session cookie.
    let cookie = cookies
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ");
    let response = reqwest::Client::new()
        .get(app.url(&href))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let bytes = response.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("npcr.xml.gz");
    std::fs::write(&file, &bytes).unwrap();
    let mut reader = registrar::domain::naaccr::NaaccrXmlReader::new(
        registrar::domain::naaccr::open_input(&file).unwrap(),
    )
    .unwrap();
    assert_eq!(
        reader.header().record_type,
        registrar::domain::naaccr::RecordType::I
    );
    let mut patients = 0;
    while let Some(p) = reader.next_patient() {
        p.unwrap();
        patients += 1;
    }
    // As many patients as the run sent tumors of.
    let run_id: i64 = run_url
        .path()
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap();
    let expected = {
        use diesel::prelude::*;
        use registrar::db::schema::{submitted_tumors, tumors};
        let mut conn = app.conn();
        let mut ids: Vec<i64> = submitted_tumors::table
            .inner_join(tumors::table)
            .filter(submitted_tumors::run_id.eq(run_id))
            .select(tumors::patient_id)
            .load(&mut *conn)
            .unwrap();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    };
    assert!(expected > 0);
    assert_eq!(patients, expected);
}
