//! Runs the real `posture-agent` binary on this machine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_posture-agent"));
    c.env_remove("RUST_LOG");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run posture-agent")
}

fn temp_file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("posture-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[cfg(target_os = "linux")]
#[test]
fn collect_json_has_every_linux_fact_observed_or_explained() {
    let out = run(&["collect", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["platform"], "linux");
    let facts = [
        &v["os"]["id"],
        &v["os"]["name"],
        &v["os"]["version"],
        &v["os"]["build"],
        &v["os"]["kernel"],
        &v["security_patch"],
        &v["storage_encryption"],
        &v["screen_lock"],
        &v["auto_lock"],
        &v["developer_mode"],
        &v["usb_debugging"],
        &v["hardware_key_store"],
        &v["secure_boot"],
        &v["tpm"],
    ];
    for fact in facts {
        match fact["status"].as_str() {
            Some("observed") => {
                assert!(!fact["source"].as_str().unwrap().is_empty(), "{fact}");
                assert!(!fact["value"].is_null(), "{fact}");
            }
            Some("unknown") => assert!(fact["reason"].as_str().unwrap().len() > 5, "{fact}"),
            _ => panic!("not a fact: {fact}"),
        }
    }
    // These always exist on Linux and need no privileges.
    for observed in [&v["os"]["id"], &v["os"]["kernel"]] {
        assert_eq!(observed["status"], "observed", "{observed}");
    }
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    assert_eq!(v["os"]["kernel"]["value"], kernel.trim());
    assert_eq!(v["agent_version"], env!("CARGO_PKG_VERSION"));
}

#[cfg(target_os = "linux")]
#[test]
fn collect_table_lists_facts() {
    let out = run(&["collect"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for label in [
        "OS version",
        "kernel",
        "storage encryption",
        "screen lock",
        "auto-lock",
        "Secure Boot",
        "TPM",
    ] {
        assert!(text.contains(label), "{label} missing:\n{text}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn check_exit_code_matches_verdict() {
    let out = run(&["check", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected = match v["compliance"].as_str().unwrap() {
        "compliant" => 0,
        "non_compliant" => 1,
        "warning" => 3,
        other => panic!("{other}"),
    };
    assert_eq!(out.status.code(), Some(expected));
    assert_eq!(v["policy"]["name"], "default");
    assert_eq!(v["findings"].as_array().unwrap().len(), 8);
}

#[cfg(target_os = "linux")]
#[test]
fn check_with_policy_files() {
    // An empty rule set is always compliant: exit 0.
    let lenient = temp_file(
        "lenient.toml",
        "schema_version = 1\nname = \"lenient\"\nrevision = 2\nrules = {}\n",
    );
    let out = run(&["check", "--policy", lenient.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("COMPLIANT"));

    // A rule whose fact is unknown on a headless Linux machine, set to warn: exit 3.
    let warn = temp_file(
        "warn.json",
        r#"{"schema_version":1,"name":"w","revision":1,"rules":{"developer_mode":{"unknown":"warn"}}}"#,
    );
    let out = run(&["check", "--policy", warn.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));

    // The same as fail: exit 1.
    let fail = temp_file(
        "fail.json",
        r#"{"schema_version":1,"name":"f","revision":1,"rules":{"developer_mode":{"unknown":"fail"}}}"#,
    );
    let out = run(&["check", "--policy", fail.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn bad_policies_exit_2_naming_file_and_field() {
    let cases = [
        (
            "unknown-field.toml",
            "schema_version = 1\nname = \"x\"\nrevision = 1\nrules = {}\ncolour = \"red\"\n",
            "colour",
        ),
        (
            "future.toml",
            "schema_version = 9\nname = \"x\"\nrevision = 1\nrules = {}\n",
            "schema_version 9",
        ),
        (
            "broken.json",
            "{\"schema_version\": 1, \"name\": ",
            "broken.json",
        ),
        (
            "bad-version.json",
            r#"{"schema_version":1,"name":"x","revision":1,"rules":{"os_version":{"unknown":"warn","minimum":[{"platform":"ios","versions":["new"]}]}}}"#,
            "rules.os_version.minimum[0].versions",
        ),
    ];
    for (name, content, needle) in cases {
        let path = temp_file(name, content);
        let out = run(&["check", "--policy", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(name), "{name}: {err}");
        assert!(err.contains(needle), "{name}: {needle} not in {err}");
        assert!(out.stdout.is_empty(), "{name}: nothing on stdout on error");
    }
    let out = run(&["check", "--policy", "/nonexistent/policy.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/policy.toml"));
}

#[test]
fn help_documents_exit_codes() {
    let out = run(&["check", "--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for line in [
        "0  compliant",
        "1  non-compliant",
        "2  error",
        "3  compliant apart from warnings",
    ] {
        assert!(text.contains(line), "{line} missing from help:\n{text}");
    }
}

#[test]
fn default_policy_prints_and_reparses() {
    let out = run(&["policy"]);
    assert_eq!(out.status.code(), Some(0));
    let path = temp_file("default-copy.toml", &String::from_utf8(out.stdout).unwrap());
    let out = run(&["check", "--policy", path.to_str().unwrap(), "--json"]);
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs posture-agent with the arguments and checks it refused `needle`
/// with exit 2 and nothing on stdout.
fn assert_refused(args: &[&str], needle: &str) {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: {needle:?} not in {err}");
    assert!(
        out.stdout.is_empty(),
        "{args:?}: nothing on stdout on error"
    );
}

#[cfg(unix)]
#[test]
fn user_files_are_read_bounded_and_only_when_regular() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let state = state.to_str().unwrap();
    // A device would be read for ever; a FIFO without a writer blocks on open.
    let fifo = dir.path().join("policy.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let fifo = fifo.to_str().unwrap();
    let folder = dir.path().to_str().unwrap();
    for path in ["/dev/zero", fifo, folder] {
        assert_refused(&["check", "--policy", path], "is not a regular file");
        assert_refused(
            &["check-in", "--state-dir", state, "--ca", path],
            "is not a regular file",
        );
        let target = format!("profile:{path}");
        assert_refused(&["collect", "--target", &target], "is not a regular file");
        assert_refused(&["verify", "--jwk", path, "x.y.z"], "is not a regular file");
        let db = dir.path().join("c.sqlite3");
        let db = db.to_str().unwrap();
        assert_refused(
            &["serve", "--db", db, "--tls-cert", path, "--tls-key", path],
            "is not a regular file",
        );
        let token = "t".repeat(20);
        assert_refused(
            &[
                "fleet",
                "simulate",
                "--server",
                "http://127.0.0.1:9",
                "--admin-token",
                &token,
                "--ca",
                path,
            ],
            "is not a regular file",
        );
    }
    // One byte over the core's 64 KiB policy limit.
    let big = dir.path().join("big.toml");
    std::fs::write(&big, "#".repeat(64 * 1024 + 1)).unwrap();
    assert_refused(
        &["check", "--policy", big.to_str().unwrap()],
        "larger than 65536 bytes",
    );
}
