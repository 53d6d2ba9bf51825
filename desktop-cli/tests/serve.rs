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
        } else if let Some(code) = line.strip_prefix("enrolment code: ") {
            // RFC 3339, to the second, in UTC.
            let expires = code
                .split_once(" (expires ")
                .and_then(|(_, e)| e.strip_suffix(')'))
                .unwrap_or_else(|| panic!("{line}"));
            let parsed = time::OffsetDateTime::parse(
                expires,
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(parsed.nanosecond(), 0, "{line}");
            assert!(expires.ends_with('Z'), "{line}");
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

/// Under umask 000, every file and folder `serve` makes still has a mode
/// that keeps others out (and `ca.pem` readable but not writable by them);
/// a second `serve` on the same state directory stops at once.
#[cfg(unix)]
#[test]
fn serve_sets_modes_whatever_the_umask_and_locks_its_database() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let ca = dir.path().join("dev-ca");
    let serve_in = |state: &std::path::Path| {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg("umask 000 && exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_posture-agent"))
            .arg("--state-dir")
            .arg(state)
            .args(["serve", "--listen", "127.0.0.1:0", "--dev-self-signed"])
            .arg(&ca)
            .env_remove("RUST_LOG");
        c
    };
    let mut first = serve_in(&state)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(first.stdout.take().unwrap()).lines();
    let ready = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.starts_with("dev CA "));
    assert!(ready.is_some(), "serve did not start");

    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let db = state.join("collector.sqlite3");
    assert_eq!(mode(&state), 0o700, "state directory");
    for file in [
        db.clone(),
        state.join("collector.sqlite3-wal"),
        state.join("collector.sqlite3-shm"),
        state.join("collector.sqlite3.lock"),
    ] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    assert_eq!(mode(&ca), 0o700, "dev CA directory");
    assert_eq!(mode(&ca.join("ca.pem")), 0o644, "ca.pem");
    let in_ca: Vec<_> = std::fs::read_dir(&ca)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(in_ca, ["ca.pem"], "the CA's key is never written");

    let second = serve_in(&state).output().unwrap();
    assert_eq!(second.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("another collector is already using")
            && stderr.contains("collector.sqlite3"),
        "{stderr}"
    );

    let killed = Command::new("kill")
        .args(["-TERM", &first.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(first.wait().unwrap().code(), Some(0));
    // Once the first has stopped, the database can be served again.
    let mut again = serve_in(&state)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(again.stdout.take().unwrap()).lines();
    assert!(
        lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.starts_with("dev CA "))
    );
    again.kill().unwrap();
    again.wait().unwrap();
}
