//! A headless Chromium driven through the Debian chromedriver (fantoccini, plain HTTP).
//! Without chromedriver the browser tests are skipped with a message, except under CI
//! (`CI` or `REGISTRAR_REQUIRE_BROWSER` set), where a missing browser fails the run.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};

pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // chromedriver runs in its own process group with the Chromium it started: end them all,
        // or the browsers outlive the test run.
        let group = format!("-{}", self.driver.id());
        let killed = Command::new("kill").args(["-KILL", "--", &group]).status();
        if !killed.is_ok_and(|s| s.success()) {
            let _ = self.driver.kill();
        }
        let _ = self.driver.wait();
    }
}

fn find_program(names: &[&str]) -> Option<String> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate.display().to_string());
            }
        }
    }
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Starts chromedriver + headless Chromium, or returns None (skip) when they are not installed.
pub async fn start() -> Option<Browser> {
    let required =
        std::env::var_os("CI").is_some() || std::env::var_os("REGISTRAR_REQUIRE_BROWSER").is_some();
    let driver_path = find_program(&["chromedriver"]);
    let chrome = std::env::var("CHROME_BIN")
        .ok()
        .or_else(|| find_program(&["chromium", "chromium-browser", "google-chrome"]));
    let (Some(driver_path), Some(chrome)) = (driver_path, chrome) else {
        assert!(
            !required,
            "chromium and chromedriver are required here: apt-get install -y chromium chromium-driver"
        );
        eprintln!(
            "SKIPPED browser test: chromium/chromedriver not installed (apt-get install -y chromium chromium-driver)"
        );
        return None;
    };
    let port = free_port();
    let driver = Command::new(driver_path)
        .process_group(0)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let profile = std::env::temp_dir().join(format!("registrar-chrome-{port}"));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chrome,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--window-size=960,1000", format!("--user-data-dir={}", profile.display())]
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let mut last_error = String::new();
    for _ in 0..50 {
        match ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => return Some(Browser { client, driver }),
            Err(e) => {
                last_error = e.to_string();
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    panic!("could not start a browser session: {last_error}");
}

impl Browser {
    /// Saves a screenshot under target/ (for a failing test's report).
    pub async fn screenshot(&self, name: &str) {
        if let Ok(png) = self.client.screenshot().await {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target")
                .join(format!("{name}.png"));
            let _ = std::fs::write(path, png);
        }
    }
}

/// Waits (up to five seconds) until the element at `css` shows `text`.
pub async fn wait_for_text(c: &Client, css: &str, text: &str) -> bool {
    for _ in 0..50 {
        if let Ok(e) = c.find(fantoccini::Locator::Css(css)).await
            && e.text().await.map(|t| t.contains(text)).unwrap_or(false)
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

impl Browser {
    /// Fails the test when the browser steps failed, with a screenshot `target/<name>.png`.
    pub async fn expect_ok(&self, result: Result<(), fantoccini::error::CmdError>, name: &str) {
        if result.is_err() {
            self.screenshot(name).await;
        }
        result.expect("browser steps");
    }

    /// Signs in on the login page with the keyboard and waits for the worklist.
    pub async fn sign_in(
        &self,
        login_url: &str,
        email: &str,
        password: &str,
    ) -> Result<bool, fantoccini::error::CmdError> {
        let c = &self.client;
        c.goto(login_url).await?;
        c.find(fantoccini::Locator::Id("email"))
            .await?
            .send_keys(email)
            .await?;
        let pw = c.find(fantoccini::Locator::Id("password")).await?;
        pw.send_keys(password).await?;
        pw.send_keys(&fantoccini::key::Key::Enter.to_string())
            .await?;
        Ok(wait_for_text(c, "h1", "Worklist").await)
    }
}
