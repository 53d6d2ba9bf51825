//! The collector's web console in a real browser: Debian's headless
//! Chromium driven over WebDriver (chromedriver) against a collector on
//! loopback with a fleet made by `posture-agent fleet simulate`.
//!
//! Log in with the admin token, read the fleet, open a non-compliant
//! device and read its failing rule and fix, issue a code and enrol this
//! CLI with it, preview the policy, find the evidence report's downloads,
//! log out; and, over plain HTTP, form
//! posts without the CSRF token or the cookie are refused. A screenshot of
//! each page goes to `<target dir>/console-screenshots/`.
//!
//! Without chromium and chromedriver the test says so and passes, except
//! in CI (`CI` set), where it fails: CI must run it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use agent_core::transport::{HttpRequest, HttpTransport, Transport, TransportConfig};
use fantoccini::{Client, ClientBuilder, Locator};
use posture_collector::{CollectorConfig, spawn_local};

const ADMIN_TOKEN: &str = "browser-test-admin-token";
const DEVICES: usize = 12;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_posture-agent"))
}

/// chromedriver and chromium, if both are installed.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let find = |names: &[&str]| {
        names.iter().find_map(|n| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join(n))
                    .find(|p| p.is_file())
            })
        })
    };
    Some((
        find(&["chromedriver"])?,
        find(&["chromium", "chromium-browser"])?,
    ))
}

/// chromedriver on a free loopback port, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver(path: &Path) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(path)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // It says when it listens: read until then rather than guess a delay.
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("started successfully") => break,
            Some(Ok(_)) => continue,
            other => panic!("chromedriver did not start: {other:?}"),
        }
    }
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

async fn connect(driver: &Driver, chromium: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,1400"],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap()
}

/// `<target dir>/console-screenshots`: the test binary is in
/// `<target dir>/debug/deps`, wherever CARGO_TARGET_DIR put it.
fn screenshot_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).unwrap().to_path_buf();
    let dir = target.join("console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shoot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

/// The text of the element `css` once the page shows it (a click that
/// submits a form returns before the next page has loaded).
async fn text(client: &Client, css: &str) -> String {
    match client.wait().for_element(Locator::Css(css)).await {
        Ok(element) => element.text().await.unwrap(),
        Err(e) => {
            let page = client.source().await.unwrap_or_default();
            panic!("{css}: {e}; the page:\n{page}")
        }
    }
}

async fn path(client: &Client) -> String {
    client.current_url().await.unwrap().path().to_owned()
}

fn simulate_fleet(url: &str) {
    let work = tempfile::tempdir().unwrap();
    let out = bin()
        .args([
            "fleet",
            "simulate",
            "--server",
            url,
            "--admin-token",
            ADMIN_TOKEN,
            "--devices",
            &DEVICES.to_string(),
            "--check-ins",
            "1",
            "--work-dir",
            work.path().to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "fleet simulate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A form post over plain HTTP, as a forging page or script would send it;
/// the answer's status. On a thread of its own: the blocking HTTP client
/// must not run (or be dropped) on the async test's threads.
fn form_post(url: &str, cookie: Option<&str>, body: &str) -> u16 {
    let mut request = HttpRequest::post(
        url.to_owned(),
        "application/x-www-form-urlencoded",
        body.as_bytes().to_vec(),
    );
    if let Some(cookie) = cookie {
        request = request.with_header("cookie", cookie);
    }
    std::thread::spawn(move || {
        let http = HttpTransport::new(TransportConfig::default()).unwrap();
        http.send(request).unwrap().status
    })
    .join()
    .unwrap()
}

/// With `POSTURE_TEST_POSTGRES_URL` (scripts/with-postgres), a new empty
/// database on that server, so the console runs on PostgreSQL; else `None`
/// (a temporary SQLite file).
async fn postgres_database() -> Option<posture_collector::PostgresUrl> {
    let server = std::env::var("POSTURE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let name = format!("posture_console_browser_{}", std::process::id());
    let (client, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    // One statement each: CREATE DATABASE refuses a transaction.
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        client.batch_execute(&sql).await.unwrap();
    }
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&name);
    Some(posture_collector::PostgresUrl::parse(url.as_str()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_runs_the_fleet_from_the_console_in_chromium() {
    let Some((driver_path, chromium)) = browser() else {
        let line = "console browser test: chromium and chromedriver are not installed \
                    (apt-get install -y chromium chromium-driver)";
        if std::env::var_os("CI").is_some() {
            panic!("{line}; CI must run this test");
        }
        eprintln!("{line}; not run");
        return;
    };
    let config = CollectorConfig {
        admin_token: Some(ADMIN_TOKEN.into()),
        postgres: postgres_database().await,
        ..CollectorConfig::default()
    };
    // Off the test's runtime: the PostgreSQL store waits for its own
    // runtime while opening.
    let collector = tokio::task::spawn_blocking(move || spawn_local(config))
        .await
        .unwrap()
        .unwrap();
    let base = collector.url().to_owned();
    simulate_fleet(&base);

    let driver = start_driver(&driver_path);
    let client = connect(&driver, &chromium).await;

    // No session: the console sends the browser to log in.
    client.goto(&format!("{base}/console/fleet")).await.unwrap();
    assert_eq!(path(&client).await, "/console/login");
    shoot(&client, "login").await;
    let token = client.find(Locator::Id("token")).await.unwrap();
    token.send_keys("not-the-token-at-all").await.unwrap();
    client
        .find(Locator::Id("login"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(
        text(&client, "#login-error")
            .await
            .contains("not this collector's")
    );
    let token = client.find(Locator::Id("token")).await.unwrap();
    token.send_keys(ADMIN_TOKEN).await.unwrap();
    client
        .find(Locator::Id("login"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // A Secure cookie over http://127.0.0.1: Chromium counts loopback as a
    // secure context, so it keeps the cookie and the session works.
    assert_eq!(text(&client, "#count-total").await, DEVICES.to_string());
    assert_eq!(path(&client).await, "/console/fleet");
    // The blocking API, with this worker handed over meanwhile.
    let fleet = tokio::task::block_in_place(|| collector.collector().fleet_summary(None)).unwrap();
    assert_eq!(
        text(&client, "#count-non-compliant").await,
        fleet.non_compliant.to_string()
    );
    assert!(
        fleet.non_compliant > 0,
        "the profiles include failing devices"
    );
    shoot(&client, "fleet").await;
    let session = client.get_named_cookie("pa_console").await.unwrap();
    assert!(session.http_only().unwrap_or(false));
    assert!(session.secure().unwrap_or(false));
    let cookie = format!("pa_console={}", session.value());

    // The first device listed is non-compliant (they come first).
    let first = client
        .find(Locator::Css("#device-table tbody tr"))
        .await
        .unwrap();
    let standing = first.find(Locator::Css(".badge")).await.unwrap();
    assert_eq!(standing.text().await.unwrap(), "non-compliant");
    first
        .find(Locator::Css("a.device"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(text(&client, "#standing").await, "non-compliant");
    assert!(path(&client).await.starts_with("/console/devices/"));
    let failing = client
        .find(Locator::Css("#findings tr.finding.fail"))
        .await
        .unwrap();
    let rule = failing
        .find(Locator::Css("th"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let fix = failing
        .find(Locator::Css(".fix"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!rule.is_empty());
    assert!(fix.len() > 10 && fix != "–", "{rule}: fix {fix:?}");
    shoot(&client, "device").await;

    // Issue a code for this server and enrol the CLI with it.
    client
        .goto(&format!("{base}/console/enrolment"))
        .await
        .unwrap();
    let label = client.find(Locator::Id("label")).await.unwrap();
    label.send_keys("browser test kiosk").await.unwrap();
    let server = client.find(Locator::Id("server")).await.unwrap();
    server.clear().await.unwrap();
    server.send_keys(&base).await.unwrap();
    client
        .find(Locator::Id("issue-codes"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(text(&client, "#message").await, "1 code issued.");
    let code = text(&client, "#code-1").await;
    let qr = client.find(Locator::Css(".issued svg")).await.unwrap();
    assert_eq!(qr.attr("role").await.unwrap().as_deref(), Some("img"));
    let caption = text(&client, ".issued figcaption").await;
    assert!(caption.contains(&code), "{caption}");
    shoot(&client, "enrolment").await;
    let state = tempfile::tempdir().unwrap();
    let out = bin()
        .args([
            "--state-dir",
            state.path().to_str().unwrap(),
            "--key-store",
            "file",
        ])
        .args(["enrol", "--server", &base, "--code", &code])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    client.refresh().await.unwrap();
    let newest = client
        .find(Locator::Css("#code-table tbody tr"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        newest.contains("used") && newest.contains("browser test kiosk"),
        "{newest}"
    );
    client.goto(&format!("{base}/console/fleet")).await.unwrap();
    assert_eq!(
        text(&client, "#count-total").await,
        (DEVICES + 1).to_string()
    );

    // The policy in force, previewed against itself, moves nobody.
    client
        .goto(&format!("{base}/console/policy"))
        .await
        .unwrap();
    shoot(&client, "policy").await;
    client
        .find(Locator::Id("run-preview"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(text(&client, "#changed-count").await, "0");

    // The audit evidence for the last 30 days, to download.
    client
        .goto(&format!("{base}/console/evidence"))
        .await
        .unwrap();
    let link = client
        .wait()
        .for_element(Locator::Id("download-html"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(
        link.contains("format=html") && link.contains("from="),
        "{link}"
    );
    shoot(&client, "evidence").await;

    // What the agent sends and never sends, as staff are told it: reached
    // from the navigation, then in Welsh.
    client
        .find(Locator::Css("nav a[href='/console/privacy']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Id("fields-report"))
        .await
        .unwrap();
    assert_eq!(path(&client).await, "/console/privacy");
    let inventory = agent_core::privacy::inventory(agent_core::l10n::Locale::En);
    assert_eq!(text(&client, "#privacy-summary").await, inventory.summary);
    let rows = client
        .find_all(Locator::Css("table.privacy-fields tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), inventory.fields.len());
    let report = text(&client, "#fields-report").await;
    assert!(report.contains("posture.os.version"), "{report}");
    let never = text(&client, "#never-collected").await;
    for item in &inventory.never_collected {
        assert!(never.contains(item.as_str()), "{item} missing: {never}");
    }
    shoot(&client, "privacy").await;
    client
        .find(Locator::Css("a[hreflang='cy']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let welsh = agent_core::privacy::inventory(agent_core::l10n::Locale::Cy);
    client
        .wait()
        .for_element(Locator::Css("#inventory[lang='cy']"))
        .await
        .unwrap();
    assert_eq!(text(&client, "#privacy-summary").await, welsh.summary);
    assert!(text(&client, "#never-collected").await.contains("lleoliad"));

    // On a phone-sized screen the fleet still reads in one column.
    client.set_window_size(390, 1600).await.unwrap();
    client.goto(&format!("{base}/console/fleet")).await.unwrap();
    shoot(&client, "fleet-phone").await;
    client.set_window_size(1280, 1400).await.unwrap();

    // Forms without the CSRF token, or without the cookie, are refused.
    let codes = format!("{base}/console/enrolment/codes");
    assert_eq!(
        form_post(&codes, Some(&cookie), "count=1&server=https%3A%2F%2Fx"),
        403
    );
    let csrf = client
        .find(Locator::Css("input[name=csrf]"))
        .await
        .unwrap()
        .attr("value")
        .await
        .unwrap()
        .unwrap();
    let with_csrf = format!("count=1&server=https%3A%2F%2Fx&csrf={csrf}");
    assert_eq!(form_post(&codes, None, &with_csrf), 403);
    assert_eq!(form_post(&codes, Some(&cookie), &with_csrf), 200);

    // Logging out ends the session: the old cookie no longer works either.
    client
        .find(Locator::Id("logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The log-in form's field, which the page before did not have.
    client
        .wait()
        .for_element(Locator::Id("token"))
        .await
        .unwrap();
    assert_eq!(path(&client).await, "/console/login");
    client.goto(&format!("{base}/console/fleet")).await.unwrap();
    assert_eq!(path(&client).await, "/console/login");
    assert_eq!(form_post(&codes, Some(&cookie), &with_csrf), 403);

    client.close().await.unwrap();
}
