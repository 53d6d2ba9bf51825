//! Several `posture-agent serve` processes on one database under
//! `posture-agent fleet simulate`, all real processes: every report stored
//! once, every nonce counted current once, every enrolment code used once
//! when raced from all processes at once, and nothing acknowledged lost
//! when one process is killed with SIGKILL mid-run.
//!
//! One SQLite collector runs everywhere; the tests of two and four
//! processes need PostgreSQL (`scripts/with-postgres`, which sets
//! POSTURE_TEST_POSTGRES_URL) and are run with `--ignored --test-threads 1`:
//! they share that database and count what each run added.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use agent_core::keys::{DeviceSigner, SoftwareSigner};
use agent_core::protocol::{ExportRecord, Freshness, content_types, paths};
use agent_core::transport::{HttpRequest, HttpResponse, HttpTransport, Transport, TransportConfig};
use base64::Engine as _;
use serde_json::Value;

const TOKEN: &str = "test-admin-token-0123456789";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_posture-agent"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn http() -> HttpTransport {
    HttpTransport::new(TransportConfig {
        max_response_bytes: 256 * 1024 * 1024,
        ..TransportConfig::default()
    })
    .unwrap()
}

/// Where the collectors keep their data.
enum Db {
    /// One SQLite file: one process at most.
    Sqlite(tempfile::TempDir),
    /// A PostgreSQL database, shared by every process.
    Postgres(String),
}

impl Db {
    fn sqlite() -> Db {
        Db::Sqlite(tempfile::tempdir().unwrap())
    }

    fn postgres() -> Db {
        let url = std::env::var("POSTURE_TEST_POSTGRES_URL").expect(
            "POSTURE_TEST_POSTGRES_URL is not set: run these tests under scripts/with-postgres",
        );
        Db::Postgres(url)
    }

    /// The `serve` arguments for this database.
    fn args(&self, cmd: &mut Command) {
        match self {
            Db::Sqlite(dir) => cmd.arg("--db").arg(dir.path().join("c.sqlite3")),
            // In the environment: the URL holds the password.
            Db::Postgres(url) => cmd.env("POSTURE_COLLECTOR_DB", url),
        };
    }
}

/// A collector process; killed (SIGKILL) if still running when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    /// SIGKILL: no chance to finish anything.
    fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reports stored by the processes at `urls`, by their own metrics.
fn reports_created(urls: &[String]) -> f64 {
    urls.iter()
        .map(|url| {
            text(&admin_get(url, "/metrics").body)
                .lines()
                .find_map(|l| {
                    l.strip_prefix("posture_collector_reports_total{outcome=\"created\"} ")
                })
                .map_or(0.0, |v| v.parse().unwrap())
        })
        .sum()
}

fn serve(db: &Db) -> Server {
    let mut cmd = bin();
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--admin-token", TOKEN])
        .args(["--checkin-interval", "60"])
        // Every racer comes from 127.0.0.1, as from behind one proxy.
        .args(["--enrol-failures-per-address", "10000"]);
    db.args(&mut cmd);
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("serve exited before listening")
            .unwrap();
        if let Some(u) = line.strip_prefix("collector listening on ") {
            break u.to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, url }
}

fn admin_get(url: &str, path: &str) -> HttpResponse {
    let r = http()
        .send(
            HttpRequest::get(format!("{url}{path}"))
                .with_header("authorization", &format!("Bearer {TOKEN}")),
        )
        .unwrap();
    assert_eq!(r.status, 200, "{path}: {r:?}");
    r
}

/// `fleet simulate` over `servers`; its JSON summary.
fn simulate(servers: &[&Server], devices: u32, check_ins: u32) -> (Value, String) {
    let work = tempfile::tempdir().unwrap();
    let urls: Vec<&str> = servers.iter().map(|s| s.url.as_str()).collect();
    let out = bin()
        .args(["fleet", "simulate", "--server", &urls.join(",")])
        .args(["--admin-token", TOKEN, "--json"])
        .args(["--devices", &devices.to_string()])
        .args(["--check-ins", &check_ins.to_string(), "--work-dir"])
        .arg(work.path())
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    let summary = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", text(&out.stderr)));
    (summary, stdout)
}

/// Every stored report, through the export of any one collector.
fn export(url: &str) -> Vec<ExportRecord> {
    let r = admin_get(url, paths::REPORTS_EXPORT);
    text(&r.body)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A token's `eat_nonce` (its signature was checked when it was stored).
fn nonce_of(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: Value = serde_json::from_slice(&json).unwrap();
    claims["eat_nonce"].as_str().unwrap().to_owned()
}

/// The stored reports: each `jti` once, each nonce behind at most one
/// current report. Returns how many there are.
fn check_stored_once(url: &str) -> usize {
    let records = export(url);
    let mut jtis = HashSet::new();
    let mut current: HashMap<String, usize> = HashMap::new();
    for r in &records {
        assert!(
            jtis.insert(r.jti.as_str().to_owned()),
            "jti {} stored twice",
            r.jti.as_str()
        );
        if r.freshness == Freshness::Current {
            *current.entry(nonce_of(&r.token)).or_default() += 1;
        }
    }
    let reused: Vec<_> = current.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        reused.is_empty(),
        "nonces accepted twice as current: {reused:?}"
    );
    records.len()
}

/// Checks a clean run: passed, no errors, every report acknowledged once.
fn assert_clean(summary: &Value, stdout: &str, devices: u64, check_ins: u64) {
    assert_eq!(summary["passed"], true, "{stdout}");
    assert_eq!(summary["errors"], serde_json::json!({}), "{stdout}");
    assert_eq!(summary["enrolled"], devices, "{stdout}");
    assert_eq!(summary["check_in"]["ok"], devices * check_ins, "{stdout}");
    assert_eq!(summary["verdicts"]["mismatches"], 0, "{stdout}");
    assert_eq!(summary["fleet"]["mismatches"], 0, "{stdout}");
    assert_eq!(summary["acknowledged"], devices * check_ins, "{stdout}");
}

/// Issues `count` codes, then for each one sends an enrolment with its
/// own key to every server at once (`per_server` each): exactly one
/// succeeds, the others get 403 invalid-enrolment-code.
fn race_codes(servers: &[&Server], count: u32, per_server: usize) {
    let body = serde_json::to_vec(&serde_json::json!({"count": count, "ttl_secs": 3600})).unwrap();
    let r = http()
        .send(
            HttpRequest::post(
                format!("{}{}", servers[0].url, paths::ENROLMENT_CODES),
                content_types::JSON,
                body,
            )
            .with_header("authorization", &format!("Bearer {TOKEN}")),
        )
        .unwrap();
    assert_eq!(r.status, 201, "{r:?}");
    let issued: Value = serde_json::from_slice(&r.body).unwrap();
    let codes: Vec<String> = issued["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect();
    let transport = Arc::new(http());
    for code in codes {
        let racers = servers.len() * per_server;
        let barrier = Arc::new(Barrier::new(racers));
        let handles: Vec<_> = (0..racers)
            .map(|i| {
                let url = servers[i % servers.len()].url.clone();
                let (barrier, transport, code) = (barrier.clone(), transport.clone(), code.clone());
                std::thread::spawn(move || {
                    let signer = SoftwareSigner::ephemeral().unwrap();
                    let body = serde_json::to_vec(&serde_json::json!({
                        "code": code, "jwk": signer.public_jwk().unwrap(),
                        "platform": "linux", "agent_version": "0.1.0"
                    }))
                    .unwrap();
                    let request = HttpRequest::post(
                        format!("{url}{}", paths::ENROL),
                        content_types::JSON,
                        body,
                    );
                    barrier.wait();
                    transport.send(request).unwrap()
                })
            })
            .collect();
        let answers: Vec<HttpResponse> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let won = answers.iter().filter(|r| r.status == 201).count();
        assert_eq!(won, 1, "code used {won} times: {answers:?}");
        for r in answers.iter().filter(|r| r.status != 201) {
            assert_eq!(r.status, 403, "{r:?}");
            assert!(text(&r.body).contains("invalid-enrolment-code"), "{r:?}");
        }
    }
}

#[test]
fn one_sqlite_collector_stores_each_report_and_nonce_once_and_each_code_once() {
    let db = Db::sqlite();
    let server = serve(&db);
    let (summary, stdout) = simulate(&[&server], 60, 3);
    assert_clean(&summary, &stdout, 60, 3);
    assert_eq!(check_stored_once(&server.url), 180);
    race_codes(&[&server], 10, 4);
}

fn n_collectors_on_postgres(n: usize) {
    let db = Db::postgres();
    let servers: Vec<Server> = (0..n).map(|_| serve(&db)).collect();
    let all: Vec<&Server> = servers.iter().collect();
    let before = export(&servers[0].url).len();
    let (devices, check_ins) = (200u64, 3u64);
    let (summary, stdout) = simulate(&all, devices as u32, check_ins as u32);
    assert_clean(&summary, &stdout, devices, check_ins);
    // Spread evenly over the processes, each of which answered.
    for s in summary["servers"].as_array().unwrap() {
        assert_eq!(s["devices"], devices / n as u64, "{stdout}");
        assert!(s["answered"].as_u64().unwrap() > 0, "{stdout}");
    }
    // Any process sees what all of them stored.
    for s in &servers {
        assert_eq!(
            check_stored_once(&s.url) - before,
            (devices * check_ins) as usize
        );
    }
    race_codes(&all, 20, 2);
}

#[test]
#[ignore = "needs PostgreSQL: scripts/with-postgres cargo test ... -- --ignored"]
fn postgres_two_collectors_share_one_database() {
    n_collectors_on_postgres(2);
}

#[test]
#[ignore = "needs PostgreSQL: scripts/with-postgres cargo test ... -- --ignored"]
fn postgres_four_collectors_share_one_database() {
    n_collectors_on_postgres(4);
}

#[test]
#[ignore = "needs PostgreSQL: scripts/with-postgres cargo test ... -- --ignored"]
fn postgres_sigkill_of_one_collector_loses_no_acknowledged_report() {
    let db = Db::postgres();
    let mut servers: Vec<Server> = (0..3).map(|_| serve(&db)).collect();
    let before = export(&servers[0].url).len();
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    let work = tempfile::tempdir().unwrap();
    let sim = bin()
        .args(["fleet", "simulate", "--server", &urls.join(",")])
        .args(["--admin-token", TOKEN, "--json", "--devices", "150"])
        .args(["--check-ins", "10", "--concurrency", "12", "--work-dir"])
        .arg(work.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill the second process once reports flow, without any warning.
    let deadline = Instant::now() + Duration::from_secs(120);
    while reports_created(&urls) < 300.0 {
        assert!(Instant::now() < deadline, "the fleet never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
    servers[1].kill9();

    let out = sim.wait_with_output().unwrap();
    let stdout = text(&out.stdout);
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    // The outboxes delivered everything, through the survivors.
    assert_eq!(summary["still_queued"], 0, "{stdout}");
    assert_eq!(summary["enrolled"], 150, "{stdout}");
    let victim_line = &summary["servers"][1];
    assert!(victim_line["failed_over"].as_u64().unwrap() > 0, "{stdout}");
    for kind in summary["errors"].as_object().unwrap().keys() {
        assert!(
            ["connection-io", "delivery", "not-current", "timeout"].contains(&kind.as_str()),
            "unexpected error kind {kind}: {stdout}"
        );
    }
    // Report count in the database = reports acknowledged to the agents.
    let stored = check_stored_once(&servers[0].url) - before;
    assert_eq!(
        stored as u64,
        summary["acknowledged"].as_u64().unwrap(),
        "{stdout}"
    );
    assert!(stored > 300, "{stdout}");
}
