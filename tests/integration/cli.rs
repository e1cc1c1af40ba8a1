//! The command line, run as a user would: the real binary.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::{client, spawn_app};

fn registrar(app: &crate::common::TestApp) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_registrar"));
    cmd.env("DATABASE_URL", &app.database_url)
        .env("REGISTRAR_DATA_DIR", app.settings.data_dir.as_os_str())
        .env("REGISTRAR_LOG", "warn");
    cmd
}

#[tokio::test]
async fn create_user_reads_the_password_from_standard_input() {
    let app = spawn_app().await;
    let mut child = registrar(&app)
        .args([
            "create-user",
            "--email",
            "cli.user@example.org",
            "--name",
            "Cli User",
            "--role",
            "reviewer",
            "--facility",
            "0000000001",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a-long-enough-password\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("created cli.user@example.org"));
    let c = client();
    app.login(&c, "cli.user@example.org", "a-long-enough-password")
        .await;
    assert_eq!(app.get(&c, "/admin/users").await.0, 403, "a reviewer");

    // Too short a password, an unknown role: clear errors, nothing created.
    let mut child = registrar(&app)
        .args([
            "create-user",
            "--email",
            "x@example.org",
            "--name",
            "X",
            "--role",
            "registrar",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("at least 12 characters"));
    let output = registrar(&app)
        .args([
            "create-user",
            "--email",
            "y@example.org",
            "--name",
            "Y",
            "--role",
            "boss",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("--role must be admin, registrar or reviewer")
    );
    assert!(
        registrar::models::user::find_by_email(&mut app.conn(), "x@example.org")
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn migrate_reports_an_up_to_date_database_and_demo_loads_patients() {
    let app = spawn_app().await;
    let output = registrar(&app).arg("migrate").output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("up to date"));
    let output = registrar(&app)
        .args(["demo", "--patients", "50", "--seed", "3"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("demo: 50 patients"));
    assert_eq!(
        registrar::models::patient::count(&mut app.conn()).unwrap(),
        50
    );
}
