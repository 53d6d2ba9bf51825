//! `posture-agent serve`: starts, prints what a tester needs, answers,
//! and stops cleanly on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use agent_core::protocol::{FleetSummary, paths};
use agent_core::transport::{HttpRequest, HttpTransport, Transport, TransportConfig};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_posture-agent"))
}

#[test]
fn serve_prints_url_token_and_codes_then_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--issue-codes",
            "2",
            "--db",
        ])
        .arg(dir.path().join("c.sqlite3"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut url = None;
    let mut token = None;
    let mut codes = 0;
    while codes < 2 {
        let line = lines.next().unwrap().unwrap();
        if let Some(u) = line.strip_prefix("collector listening on ") {
            url = Some(u.to_owned());
        } else if let Some(t) = line.strip_prefix("admin token: ") {
            token = Some(t.to_owned());
        } else if line.starts_with("enrolment code: ") {
            codes += 1;
        }
    }
    let (url, token) = (url.unwrap(), token.unwrap());
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let http = HttpTransport::new(TransportConfig::default()).unwrap();
    let r = http
        .send(
            HttpRequest::get(format!("{url}{}", paths::FLEET))
                .with_header("authorization", &format!("Bearer {token}")),
        )
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    let fleet: FleetSummary = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(fleet.total, 0);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn serve_refuses_plain_http_off_loopback() {
    let out = bin()
        .args([
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--allow-remote",
            "--db",
            "unused.sqlite3",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only on loopback"));
    let out = bin()
        .args(["serve", "--listen", "0.0.0.0:0", "--db", "unused.sqlite3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-remote"));
}
