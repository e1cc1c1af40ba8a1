//! The pages in a real browser, keyboard only.

use std::time::Duration;

use fantoccini::Locator;
use fantoccini::key::Key;

use crate::common::{browser, patient_fields, spawn_app};

async fn wait_for_text(c: &fantoccini::Client, css: &str, text: &str) -> bool {
    for _ in 0..50 {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && e.text().await.map(|t| t.contains(text)).unwrap_or(false)
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

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
        c.goto(&app.url("/login")).await?;
        c.find(Locator::Id("email"))
            .await?
            .send_keys(&email)
            .await?;
        let pw = c.find(Locator::Id("password")).await?;
        pw.send_keys(&password).await?;
        pw.send_keys(&(Key::Enter).to_string()).await?;
        assert!(
            wait_for_text(c, "h1", "Worklist").await,
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
    if result.is_err() {
        b.screenshot("browser-keyboard-edit").await;
    }
    result.expect("browser steps");
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
