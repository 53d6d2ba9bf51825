//! `posture-agent run`: checks in at once, keeps running, and stops
//! cleanly on SIGTERM with what is still queued. (Unix: it sends SIGTERM.)
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use posture_collector::{CollectorConfig, spawn_local};

#[test]
fn run_checks_in_then_stops_cleanly_on_sigterm() {
    let collector = spawn_local(CollectorConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let base = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_posture-agent"));
        c.args([
            "--state-dir",
            state.to_str().unwrap(),
            "--key-store",
            "file",
        ])
        .args(args)
        .env_remove("RUST_LOG");
        c
    };
    let code = collector.collector().issue_codes(1, None).unwrap()[0]
        .code
        .expose()
        .to_owned();
    let out = base(&["enrol", "--server", collector.url(), "--code", &code])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut child = base(&["run", "--interval", "3600"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (by reading, not sleeping) for the first check-in's delivery line.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let delivered = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.starts_with("Delivered "));
    assert_eq!(
        delivered.as_deref(),
        Some("Delivered 1 report; 0 still queued.")
    );
    assert_eq!(collector.collector().report_count().unwrap(), 1);

    // Beside the running loop: reading commands work, writing ones are refused.
    let status = base(&["status", "--json"]).output().unwrap();
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["state"], "enrolled");
    assert_eq!(status["queued_reports"], 0);
    let preview = base(&["preview"]).output().unwrap();
    assert_eq!(
        preview.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&preview.stderr)
    );
    assert!(String::from_utf8_lossy(&preview.stdout).contains("\"eat_nonce\""));
    let check_in = base(&["check-in"]).output().unwrap();
    assert_ne!(check_in.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&check_in.stderr).contains("in use by another agent process"),
        "{}",
        String::from_utf8_lossy(&check_in.stderr)
    );

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "run did not exit cleanly: {status:?}"
    );
    assert!(
        rest.iter()
            .any(|l| l == "Stopping: 0 reports still queued."),
        "{rest:?}"
    );
}
