//! The agent's files as a person finds them: private modes whatever the
//! umask, nothing left after unenrol or reset, a damaged state reported as
//! damaged with the recovery named, and a reset that always works.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use posture_collector::{CollectorConfig, RunningCollector, spawn_local};

/// Runs the agent under umask 000, so only explicit modes keep files private.
fn agent(state: &Path, args: &[&str]) -> Output {
    let mut line = format!(
        "umask 000; exec \"$0\" --state-dir '{}' --key-store file",
        state.display()
    );
    for a in args {
        line.push_str(&format!(" '{a}'"));
    }
    Command::new("sh")
        .arg("-c")
        .arg(line)
        .arg(env!("CARGO_BIN_EXE_posture-agent"))
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn enrolled(collector: &RunningCollector, state: &Path) {
    let code = collector.collector().issue_codes(1, None).unwrap()[0]
        .code
        .expose()
        .to_owned();
    ok(&agent(
        state,
        &["enrol", "--server", collector.url(), "--code", &code],
    ));
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn every_state_file_is_private_under_umask_000() {
    let collector = spawn_local(CollectorConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    enrolled(&collector, &state);
    // Its exit code is the verdict's; the report must have gone.
    let out = agent(&state, &["check-in"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("0 still queued"),
        "{out:?}"
    );
    assert_eq!(mode(&state), 0o700);
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&state).unwrap() {
        let entry = entry.unwrap();
        seen.push(entry.file_name().to_string_lossy().into_owned());
        assert_eq!(mode(&entry.path()), 0o600, "{:?}", entry.file_name());
    }
    for name in ["state.sqlite3", "secrets.json", "agent.lock"] {
        assert!(
            seen.iter().any(|s| s == name),
            "{name} missing from {seen:?}"
        );
    }
}

#[test]
fn unenrol_and_reset_leave_no_file_behind() {
    let collector = spawn_local(CollectorConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    enrolled(&collector, &state);
    ok(&agent(&state, &["unenrol"]));
    assert!(
        !state.exists(),
        "unenrol left {:?}",
        std::fs::read_dir(&state).map(|d| d.count())
    );
    enrolled(&collector, &state);
    ok(&agent(&state, &["reset"]));
    assert!(!state.exists(), "reset left files");
}

#[test]
fn reset_succeeds_on_anything_inside_its_state_directory() {
    let collector = spawn_local(CollectorConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    type Damage = fn(&Path);
    let damages: [(&str, Damage); 5] = [
        ("garbage secrets.json", |s| {
            std::fs::write(s.join("secrets.json"), b"\xff\x00{").unwrap()
        }),
        ("empty secrets.json", |s| {
            std::fs::write(s.join("secrets.json"), b"").unwrap()
        }),
        ("state.sqlite3 is a directory", |s| {
            std::fs::remove_file(s.join("state.sqlite3")).unwrap();
            std::fs::create_dir(s.join("state.sqlite3")).unwrap();
        }),
        ("agent.lock is a directory", |s| {
            std::fs::remove_file(s.join("agent.lock")).unwrap();
            std::fs::create_dir_all(s.join("agent.lock").join("x")).unwrap();
        }),
        ("garbage state.sqlite3", |s| {
            std::fs::write(s.join("state.sqlite3"), vec![7u8; 5000]).unwrap()
        }),
    ];
    for (what, damage) in damages {
        enrolled(&collector, &state);
        damage(&state);
        let out = agent(&state, &["reset"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!state.exists(), "{what}: files left");
    }
}

#[test]
fn an_emptied_state_is_damaged_and_names_the_recovery() {
    let collector = spawn_local(CollectorConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    enrolled(&collector, &state);
    std::fs::write(state.join("state.sqlite3"), b"").unwrap();
    for command in ["status", "check-in"] {
        let out = agent(&state, &[command]);
        assert_ne!(out.status.code(), Some(0), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("empty or was truncated"),
            "{command}: {stderr}"
        );
        assert!(
            stderr.contains("posture-agent reset"),
            "{command}: {stderr}"
        );
        assert!(!stderr.contains("Not enrolled"), "{command}: {stderr}");
    }
}

#[test]
fn a_lost_key_is_an_error_that_keeps_the_queued_reports() {
    let collector = spawn_local(CollectorConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    enrolled(&collector, &state);
    std::fs::remove_file(state.join("secrets.json")).unwrap();
    let out = agent(&state, &["check-in"]);
    assert_ne!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("device key is missing"), "{stderr}");
    assert!(stderr.contains("posture-agent reset"), "{stderr}");
    assert!(!state.join("secrets.json").exists(), "a new key was made");
    // The state still reads as enrolled.
    let status = agent(&state, &["status", "--json"]);
    ok(&status);
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["state"], "enrolled");
}
