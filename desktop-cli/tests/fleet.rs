//! `posture-agent fleet simulate` through the real binary against the
//! reference collector on loopback: 200 devices, two check-ins each, no
//! errors, and every verdict what the shipped profiles expect.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use posture_collector::{CollectorConfig, spawn_local};
use serde_json::Value;

const DEVICES: u64 = 200;
const CHECK_INS: u64 = 2;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_posture-agent"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// What the shipped profiles expect, per compliance, for `n` devices given
/// profiles round-robin in file-name order (as the simulator assigns them).
fn expected_counts(n: u64) -> (u64, u64, u64) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let expected: Vec<String> = files
        .iter()
        .map(|f| {
            let v: toml::Value = toml::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
            v["expected"].as_str().unwrap().to_owned()
        })
        .collect();
    let mut counts = (0, 0, 0);
    for i in 0..n as usize {
        match expected[i % expected.len()].as_str() {
            "compliant" => counts.0 += 1,
            "warning" => counts.1 += 1,
            "non_compliant" => counts.2 += 1,
            other => panic!("unexpected verdict {other}"),
        }
    }
    counts
}

fn counts(v: &Value) -> (u64, u64, u64) {
    let n = |k: &str| v[k].as_u64().unwrap();
    (n("compliant"), n("warning"), n("non_compliant"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

#[test]
fn two_hundred_devices_check_in_with_every_verdict_as_expected() {
    let collector = spawn_local(CollectorConfig::default()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = run(&[
        "fleet",
        "simulate",
        "--server",
        collector.url(),
        "--admin-token",
        collector.admin_token(),
        "--devices",
        &DEVICES.to_string(),
        "--check-ins",
        &CHECK_INS.to_string(),
        "--work-dir",
        work.path().to_str().unwrap(),
        "--json",
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["passed"], true, "{stdout}");
    assert_eq!(summary["enrolled"], DEVICES);
    assert_eq!(summary["errors"], serde_json::json!({}), "{stdout}");
    assert_eq!(summary["enrol"]["ok"], DEVICES);
    assert_eq!(summary["check_in"]["ok"], DEVICES * CHECK_INS);
    assert_eq!(summary["check_in"]["errors"], 0);
    assert!(summary["check_in"]["latency_ms"]["p99"].as_f64().unwrap() > 0.0);

    // Every device's last verdict is its profile's, and the counts are the
    // profiles' distribution.
    let expected = expected_counts(DEVICES);
    let verdicts = &summary["verdicts"];
    assert_eq!(verdicts["mismatches"], 0, "{stdout}");
    assert_eq!(counts(&verdicts["expected"]), expected);
    assert_eq!(counts(&verdicts["seen"]), expected);
    assert_eq!(summary["fleet"]["mismatches"], 0, "{stdout}");
    assert_eq!(counts(&summary["fleet"]["ours"]), expected);
    assert_eq!(summary["fleet"]["ours_stale"], 0);

    // The collector's own view, read directly rather than through the
    // simulator: every device, every report, the same distribution.
    let c = collector.collector();
    assert_eq!(c.device_count().unwrap(), DEVICES);
    assert_eq!(c.report_count().unwrap(), DEVICES * CHECK_INS);
    let fleet = c.fleet_summary(None).unwrap();
    assert_eq!(fleet.stale, 0);
    assert_eq!(
        (fleet.compliant, fleet.warning, fleet.non_compliant),
        expected
    );

    // Plain progress lines (stderr is not a terminal here), and the
    // devices' state was removed at the end.
    assert!(stderr.contains("check-ins: "), "{stderr}");
    assert_eq!(std::fs::read_dir(work.path()).unwrap().count(), 0);
}

#[test]
fn devices_without_outboxes_check_in_and_every_report_counts_as_current() {
    const N: u64 = 60;
    const K: u64 = 3;
    let collector = spawn_local(CollectorConfig::default()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = run(&[
        "fleet",
        "simulate",
        "--server",
        collector.url(),
        "--admin-token",
        collector.admin_token(),
        "--devices",
        &N.to_string(),
        "--check-ins",
        &K.to_string(),
        "--no-outbox",
        "--work-dir",
        work.path().to_str().unwrap(),
        "--json",
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["passed"], true, "{stdout}");
    assert_eq!(summary["errors"], serde_json::json!({}), "{stdout}");
    assert_eq!(summary["check_in"]["ok"], N * K);
    assert_eq!(summary["acknowledged"], N * K);
    assert_eq!(summary["still_queued"], 0);
    // Each report answered the nonce the previous acknowledgement gave:
    // stored, current, and the server's verdicts are the profiles'.
    let expected = expected_counts(N);
    assert_eq!(summary["verdicts"]["mismatches"], 0, "{stdout}");
    assert_eq!(counts(&summary["verdicts"]["seen"]), expected);
    assert_eq!(summary["fleet"]["mismatches"], 0, "{stdout}");
    let c = collector.collector();
    assert_eq!(c.report_count().unwrap(), N * K);
    let fleet = c.fleet_summary(None).unwrap();
    assert_eq!(fleet.stale, 0);
    assert_eq!(
        (fleet.compliant, fleet.warning, fleet.non_compliant),
        expected
    );

    // Failing over needs the outbox: refused before any traffic.
    let out = run(&[
        "fleet",
        "simulate",
        "--server",
        "http://127.0.0.1:9,http://127.0.0.1:10",
        "--admin-token",
        "0123456789abcdef",
        "--no-outbox",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--no-outbox takes one --server"),
        "{stderr}"
    );
}

#[test]
fn codes_from_a_file_and_kept_state() {
    let collector = spawn_local(CollectorConfig::default()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let codes: Vec<String> = collector
        .collector()
        .issue_codes(3, None)
        .unwrap()
        .into_iter()
        .map(|c| c.code.expose().to_owned())
        .collect();
    let file = work.path().join("codes.txt");
    std::fs::write(&file, format!("# three codes\n{}\n", codes.join("\n"))).unwrap();
    let out = run(&[
        "fleet",
        "simulate",
        "--server",
        collector.url(),
        "--codes",
        file.to_str().unwrap(),
        "--devices",
        "3",
        "--check-ins",
        "1",
        "--work-dir",
        work.path().to_str().unwrap(),
        "--keep-state",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("PASS"), "{stdout}");
    assert!(stdout.contains("not checked"), "{stdout}");
    assert_eq!(collector.collector().report_count().unwrap(), 3);
    // The codes file and the kept run folder.
    assert_eq!(std::fs::read_dir(work.path()).unwrap().count(), 2);

    // The codes are spent: a second run fails to enrol, and says so.
    let again = run(&[
        "fleet",
        "simulate",
        "--server",
        collector.url(),
        "--codes",
        file.to_str().unwrap(),
        "--devices",
        "3",
        "--check-ins",
        "1",
        "--work-dir",
        work.path().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(again.status.code(), Some(1));
    let summary: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(summary["errors"]["invalid-enrolment-code"]["count"], 3);
    assert_eq!(summary["passed"], false);
}

#[test]
fn remote_targets_and_oversized_runs_are_refused_before_any_traffic() {
    let out = run(&[
        "fleet",
        "simulate",
        "--server",
        "https://collector.example.org",
        "--admin-token",
        "0123456789abcdef",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("--allow-remote"), "{stderr}");
    assert!(stderr.contains("not a loopback address"), "{stderr}");

    let out = run(&[
        "fleet",
        "simulate",
        "--server",
        "http://127.0.0.1:9",
        "--admin-token",
        "0123456789abcdef",
        "--devices",
        "10001",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--devices must be 1 to 10000"));
}
