//! `posture-agent evidence` through the real binary: a fleet of virtual
//! devices checks in through `fleet simulate`, then the evidence comes back
//! as JSON, CSV and HTML, agreeing with the fleet's verdicts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

use posture_collector::evidence::{EvidenceReport, Period};
use posture_collector::{CollectorConfig, spawn_local};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

const DEVICES: u64 = 24;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_posture-agent"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

#[test]
fn evidence_in_three_formats_agrees_with_the_fleet() {
    let collector = spawn_local(CollectorConfig::default()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = run(bin().args([
        "fleet",
        "simulate",
        "--server",
        collector.url(),
        "--admin-token",
        collector.admin_token(),
        "--devices",
        &DEVICES.to_string(),
        "--check-ins",
        "1",
        "--work-dir",
        work.path().to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let fleet: Value = serde_json::from_slice(&out.stdout).unwrap();
    let seen = &fleet["verdicts"]["seen"];

    let today = OffsetDateTime::now_utc().date();
    let (from, to) = (
        (today - Duration::days(6)).to_string(),
        (today + Duration::days(1)).to_string(),
    );
    let evidence = |format: &str, extra: &[&str]| {
        // The admin token from the environment, as the other admin commands take it.
        run(bin()
            .env("POSTURE_COLLECTOR_ADMIN_TOKEN", collector.admin_token())
            .args([
                "evidence",
                "--server",
                collector.url(),
                "--from",
                &from,
                "--to",
                &to,
            ])
            .args(["--format", format])
            .args(extra))
    };

    let out = evidence("json", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: EvidenceReport = serde_json::from_slice(&out.stdout).unwrap();
    let p = &report.period;
    assert_eq!(p.devices, DEVICES);
    let n = |k: &str| seen[k].as_u64().unwrap();
    assert_eq!(
        (p.compliant, p.warning, p.non_compliant),
        (n("compliant"), n("warning"), n("non_compliant"))
    );
    // The same as the collector's own computation, field for field.
    let period = Period::parse(Some(&from), Some(&to)).unwrap();
    let direct = collector.collector().evidence(&period).unwrap();
    assert_eq!(report.period, direct.period);
    assert_eq!(report.weeks, direct.weeks);
    assert_eq!(report.exceptions, direct.exceptions);
    assert!(
        report.exceptions_total > 0,
        "the shipped profiles include failing devices"
    );

    let html = work.path().join("evidence.html");
    let out = evidence("html", &["--output", html.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains("http://") && !page.contains("https://"));
    assert!(page.contains(&format!(
        "{DEVICES} devices sent at least one verified report"
    )));

    let out = evidence("csv", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert!(csv.starts_with("section,key,value\r\n"));
    assert!(
        csv.contains(&format!("\r\nsummary,period,{from},{to},{DEVICES},")),
        "{csv}"
    );
}

#[test]
fn bad_dates_and_a_wrong_token_are_clear_errors() {
    let collector = spawn_local(CollectorConfig::default()).unwrap();
    let base = |token: &str, from: &str, to: &str| {
        run(bin().args([
            "evidence",
            "--server",
            collector.url(),
            "--admin-token",
            token,
            "--from",
            from,
            "--to",
            to,
        ]))
    };
    let token = collector.admin_token();
    let out = base(token, "2026-11-31", "2026-12-01");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("from must be a date, YYYY-MM-DD"),
        "{}",
        text(&out.stderr)
    );
    let out = base(token, "2026-12-01", "2026-11-01");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is before from"));
    let out = base("not-the-admin-token", "2026-11-01", "2026-11-30");
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("admin token"), "{stderr}");
    assert!(!stderr.contains("not-the-admin-token"), "{stderr}");
    // Plain HTTP goes to loopback only.
    let out = base(token, "2026-11-01", "2026-11-30");
    assert_eq!(out.status.code(), Some(0));
    let out = run(bin().args([
        "evidence",
        "--server",
        "http://example.org",
        "--admin-token",
        token,
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out.stderr).contains(token));
}
