//! Collector processes (`posture-agent serve`) under a fleet
//! (`posture-agent fleet simulate`), both real processes: several server
//! URLs with failover, and a graceful stop while reports are in flight.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use agent_core::transport::{HttpRequest, HttpTransport, Transport, TransportConfig};
use posture_collector::{Collector, CollectorConfig, spawn_local};
use serde_json::Value;

const TOKEN: &str = "test-admin-token-0123456789";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_posture-agent"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A port nothing listens on: bound, then released.
fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// `posture-agent serve` on a free loopback port; returns it and its URL.
fn serve(db: &Path) -> (Child, String) {
    let mut child = bin()
        .args(["serve", "--listen", "127.0.0.1:0", "--admin-token", TOKEN])
        .args(["--checkin-interval", "60", "--db"])
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(u) = line.strip_prefix("collector listening on ") {
            break u.to_owned();
        }
    };
    // Keep reading stdout so the collector never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}

/// The collector's `posture_collector_reports_total{outcome="created"}`.
fn reports_created(http: &HttpTransport, url: &str) -> f64 {
    let r = http
        .send(
            HttpRequest::get(format!("{url}/metrics"))
                .with_header("authorization", &format!("Bearer {TOKEN}")),
        )
        .unwrap();
    assert_eq!(r.status, 200);
    text(&r.body)
        .lines()
        .find_map(|l| l.strip_prefix("posture_collector_reports_total{outcome=\"created\"} "))
        .map_or(0.0, |v| v.parse().unwrap())
}

#[test]
fn devices_spread_over_several_servers_and_fail_over_from_a_dead_one() {
    let collector = spawn_local(CollectorConfig::default()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let dead = dead_url();
    // The dead one first: enrolment codes and the fleet summary fail over too.
    let servers = format!("{dead},{}", collector.url());
    let out = bin()
        .args(["fleet", "simulate", "--server", &servers])
        .args(["--admin-token", collector.admin_token()])
        .args([
            "--devices",
            "40",
            "--check-ins",
            "2",
            "--json",
            "--work-dir",
        ])
        .arg(work.path())
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let s: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(s["passed"], true, "{stdout}");
    assert_eq!(s["errors"], serde_json::json!({}), "{stdout}");
    let servers = s["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 2, "{stdout}");
    assert_eq!(servers[0]["url"], dead.as_str());
    // Half the devices started on the dead server and left it at once.
    assert_eq!(servers[0]["devices"], 20);
    assert_eq!(servers[1]["devices"], 20);
    assert_eq!(servers[0]["answered"], 0);
    assert!(servers[0]["refused"].as_u64().unwrap() >= 20, "{stdout}");
    assert!(
        servers[0]["failed_over"].as_u64().unwrap() >= 20,
        "{stdout}"
    );
    assert_eq!(servers[1]["refused"], 0);
    assert_eq!(s["acknowledged"], 80);
    assert_eq!(s["still_queued"], 0);
    assert_eq!(collector.collector().report_count().unwrap(), 80);
    assert_eq!(collector.collector().device_count().unwrap(), 40);
}

#[test]
fn sigterm_while_reports_are_in_flight_loses_no_acknowledged_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite3");
    let (mut collector, url) = serve(&db);
    let sim = bin()
        .args([
            "fleet",
            "simulate",
            "--server",
            &url,
            "--admin-token",
            TOKEN,
        ])
        .args([
            "--devices",
            "50",
            "--check-ins",
            "10",
            "--concurrency",
            "16",
        ])
        .args(["--json", "--work-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Stop the collector once the fleet is well under way.
    let http = HttpTransport::new(TransportConfig::default()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while reports_created(&http, &url) < 100.0 {
        assert!(Instant::now() < deadline, "the fleet never got going");
        std::thread::sleep(Duration::from_millis(10));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &collector.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(collector.wait().unwrap().code(), Some(0));

    let out = sim.wait_with_output().unwrap();
    let stdout = text(&out.stdout);
    let s: Value = serde_json::from_str(&stdout).unwrap();
    // The run was cut short: connections refused after the stop.
    assert_eq!(s["passed"], false, "{stdout}");
    let acknowledged = s["acknowledged"].as_u64().unwrap();
    assert!(acknowledged >= 100, "{stdout}");
    assert!(acknowledged < 500, "{stdout}");

    // Every report an agent was told is stored is in the database, and
    // nothing else: the in-flight ones were answered before the stop.
    let c = Collector::open(CollectorConfig {
        db_path: Some(db),
        ..CollectorConfig::default()
    })
    .unwrap();
    assert_eq!(c.report_count().unwrap(), acknowledged, "{stdout}");
    assert_eq!(c.device_count().unwrap(), 50);
}
