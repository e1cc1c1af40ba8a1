//! Sign-in, sign-out, lockout, idle timeout, CSRF and security headers.

use crate::common::{client, csrf_of, spawn_app, spawn_app_with};
use registrar::auth::Role;
use registrar::startup::Application;

#[tokio::test]
async fn first_start_creates_one_admin_whose_password_signs_in() {
    let app = spawn_app().await;
    assert_eq!(app.admin_email, "admin@registrar.local");
    assert!(app.admin_password.len() >= 16);
    // A second start on the same database creates no second admin.
    let again = Application::build(app.settings.clone()).expect("second start");
    assert!(again.first_admin.is_none());

    let c = client();
    let (status, _) = app.get(&c, "/").await;
    assert_eq!(status, 303, "anonymous users are sent to sign in");
    app.login(&c, &app.admin_email, &app.admin_password).await;
    let (status, body) = app.get(&c, "/").await;
    assert_eq!(status, 200);
    assert!(body.contains("<h1>Worklist</h1>"));
    assert!(body.contains("Administrator · admin"));
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let app = spawn_app().await;
    let c = app.admin_client().await;
    let response = app.post_form(&c, "/logout", &[]).await;
    assert_eq!(response.status().as_u16(), 303);
    let (status, _) = app.get(&c, "/").await;
    assert_eq!(status, 303);
    let actions: Vec<String> = app.audit_rows().into_iter().map(|r| r.action).collect();
    assert!(
        actions.contains(&"sign-in".to_string()) && actions.contains(&"sign-out".to_string()),
        "{actions:?}"
    );
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_after_five_tries() {
    let app = spawn_app().await;
    let (email, password) = app.user("lena", Role::Registrar, &["0000000001"]);
    let c = client();
    for attempt in 1..=4 {
        let response = app.try_login(&c, &email, "not-the-password").await;
        assert_eq!(response.status().as_u16(), 401, "attempt {attempt}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("E-mail or password is wrong")
        );
    }
    let fifth = app.try_login(&c, &email, "still-wrong").await;
    assert!(
        fifth
            .text()
            .await
            .unwrap()
            .contains("locked for 15 minutes")
    );
    // Even the right password is refused while the account is locked.
    let right = app.try_login(&c, &email, &password).await;
    assert_eq!(right.status().as_u16(), 401);
    assert!(
        right
            .text()
            .await
            .unwrap()
            .contains("This account is locked")
    );
    let actions: Vec<String> = app.audit_rows().into_iter().map(|r| r.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "sign-in-failed").count(), 5);
    assert_eq!(actions.iter().filter(|a| *a == "account-locked").count(), 1);

    // An admin reset unlocks it.
    let admin = app.admin_client().await;
    let user_id = {
        let mut conn = app.conn();
        registrar::models::user::find_by_email(&mut conn, &email)
            .unwrap()
            .unwrap()
            .id
    };
    let reset = app
        .post_form(
            &admin,
            &format!("/admin/users/{user_id}/reset-password"),
            &[],
        )
        .await;
    let body = reset.text().await.unwrap();
    let new_password = body
        .split("<code>")
        .nth(1)
        .and_then(|s| s.split("</code>").next())
        .expect("the new password is shown once")
        .to_string();
    app.login(&client(), &email, &new_password).await;
}

#[tokio::test]
async fn an_idle_session_ends_and_says_so() {
    let app = spawn_app_with(|s| s.session_idle_seconds = 2).await;
    let c = app.admin_client().await;
    assert_eq!(app.get(&c, "/patients").await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let response = c.get(app.url("/patients?name=abc")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/login?next=/patients"), "{location}");
    assert!(location.ends_with("&expired=1"), "{location}");
    let (_, page) = app.get(&c, &location).await;
    assert!(
        page.contains("Your session ended"),
        "the sign-in page explains the timeout"
    );
    // Activity keeps a session alive.
    let c = app.admin_client().await;
    for _ in 0..3 {
        tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
        assert_eq!(app.get(&c, "/").await.0, 200);
    }
}

#[tokio::test]
async fn the_idle_probe_does_not_count_as_activity() {
    let app = spawn_app_with(|s| s.session_idle_seconds = 3).await;
    let c = app.admin_client().await;
    let status: serde_json::Value = c
        .get(app.url("/session/status"))
        .header("X-Registrar-Probe", "1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["signedIn"], true);
    assert!(status["remainingSeconds"].as_i64().unwrap() <= 3);
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    let status: serde_json::Value = c
        .get(app.url("/session/status"))
        .header("X-Registrar-Probe", "1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["signedIn"], false);
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    let app = spawn_app().await;
    let c = app.admin_client().await;
    let facility = app.facility("0000000001").to_string();
    let fields = [
        ("facility", facility.as_str()),
        ("nameLast", "Nobody"),
        ("dateOfBirth", "1950"),
        ("sexAssignedAtBirth", "1"),
    ];
    let missing = c
        .post(app.url("/patients"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 403);
    let mut wrong = vec![("csrf_token", "forged-token")];
    wrong.extend_from_slice(&fields);
    let forged = c
        .post(app.url("/patients"))
        .form(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    // A cross-site page posting with the right token is refused by its Origin.
    let token = app.csrf(&c).await;
    let mut good = vec![("csrf_token", token.as_str())];
    good.extend_from_slice(&fields);
    let cross = c
        .post(app.url("/patients"))
        .header("Origin", "https://evil.example")
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status().as_u16(), 403);
    // The sign-in form needs it too.
    let anonymous = client();
    let login = anonymous
        .post(app.url("/login"))
        .form(&[
            ("email", app.admin_email.as_str()),
            ("password", app.admin_password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 403);
    // Nothing was created by the refused requests; the proper one works.
    assert_eq!(
        registrar::models::patient::count(&mut app.conn()).unwrap(),
        0
    );
    let ok = c
        .post(app.url("/patients"))
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 303);
    assert_eq!(
        registrar::models::patient::count(&mut app.conn()).unwrap(),
        1
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_a_safe_cookie() {
    let app = spawn_app().await;
    let c = client();
    let response = c.get(app.url("/login")).send().await.unwrap();
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let body = response.text().await.unwrap();
    assert!(
        !body.contains("<script>") && !body.contains("onclick="),
        "no inline script"
    );
    assert!(csrf_of(&body).is_some());
    for path in ["/static/css/app.css", "/health", "/nowhere"] {
        let r = c.get(app.url(path)).send().await.unwrap();
        assert!(
            r.headers().contains_key("content-security-policy"),
            "{path}"
        );
    }
}
