//! Remediation strategies and quiet hours through the real binary against
//! the real collector on loopback: each strategy's exit code and words,
//! the grace deadline kept across check-ins, quiet hours set within the
//! policy's bounds, and a check-in outside them that stays silent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use agent_core::policy::{Policy, PolicyFormat};
use posture_collector::{CollectorConfig, RunningCollector, spawn_local};
use time::{Duration, OffsetDateTime};

/// A policy with one rule this machine fails for certain (Linux 999 does
/// not exist yet), following `strategy`.
fn policy(strategy: &str, extra: &str) -> Policy {
    let text = format!(
        r#"
schema_version = 1
name = "strategy-{strategy}"
revision = 1
{extra}
[rules.os_version]
unknown = "fail"
strategy = "{strategy}"
{grace}
minimum = [{{ platform = "linux", versions = ["999"] }}]
"#,
        grace = if strategy == "warn-then-block" {
            "grace_days = 5"
        } else {
            ""
        }
    );
    Policy::parse(&text, PolicyFormat::Toml).unwrap()
}

struct Device {
    _dir: tempfile::TempDir,
    state: PathBuf,
}

impl Device {
    fn enrolled(c: &RunningCollector) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let d = Device { _dir: dir, state };
        let code = c.collector().issue_codes(1, None).unwrap()[0]
            .code
            .expose()
            .to_owned();
        let out = d.run(&["enrol", "--server", c.url(), "--code", &code]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        d
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_posture-agent"))
            .args(["--state-dir", path(&self.state), "--key-store", "file"])
            .args(args)
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    }

    fn check_in(&self, exit: i32) -> (String, serde_json::Value) {
        let out = self.run(&["check-in"]);
        assert_eq!(out.status.code(), Some(exit), "{}", text(&out.stderr));
        let status = self.run(&["status", "--json"]);
        assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
        (
            text(&out.stdout),
            serde_json::from_slice(&status.stdout).unwrap(),
        )
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn start(policy: Policy) -> RunningCollector {
    spawn_local(CollectorConfig {
        policy,
        ..CollectorConfig::default()
    })
    .unwrap()
}

/// The os_version finding of the collector's last verdict, from `status --json`.
fn server_finding(status: &serde_json::Value) -> serde_json::Value {
    status["verdicts"]["server"]["verdict"]["findings"][0].clone()
}

#[test]
fn warn_then_block_warns_with_the_day_the_block_starts_and_keeps_it() {
    let c = start(policy("warn-then-block", ""));
    let d = Device::enrolled(&c);
    let deadline = (OffsetDateTime::now_utc().date() + Duration::days(5)).to_string();
    let (out, status) = d.check_in(3);
    assert!(
        out.contains(&format!(
            "warn-then-block: from {deadline} this device counts as non-compliant"
        )),
        "{out}"
    );
    let f = server_finding(&status);
    assert_eq!(f["strategy"], "warn-then-block");
    assert_eq!(f["outcome"], "warn");
    assert_eq!(f["deadline"], deadline.as_str());
    let local = &status["verdicts"]["local"]["findings"][0];
    assert_eq!(local["deadline"], deadline.as_str());
    // Still failing: both sides keep the first failure's day.
    let (_, status) = d.check_in(3);
    assert_eq!(server_finding(&status)["deadline"], deadline.as_str());
    assert_eq!(
        status["verdicts"]["local"]["findings"][0]["failing_since"],
        OffsetDateTime::now_utc().date().to_string().as_str()
    );
}

#[test]
fn notify_only_report_only_and_block() {
    let c = start(policy("notify-only", ""));
    let (out, status) = Device::enrolled(&c).check_in(3);
    assert!(out.contains("notify-only: a reminder"), "{out}");
    assert_eq!(server_finding(&status)["outcome"], "warn");

    let c = start(policy("report-only", ""));
    let (out, status) = Device::enrolled(&c).check_in(0);
    assert!(out.contains("COMPLIANT"), "{out}");
    assert!(
        !out.contains("operating system") && !out.contains("999"),
        "a report-only finding is never shown: {out}"
    );
    let f = server_finding(&status);
    assert_eq!(
        (f["strategy"].as_str(), f["outcome"].as_str()),
        (Some("report-only"), Some("fail"))
    );

    let c = start(policy("block", "[grace]\ndays = 14"));
    let (out, status) = Device::enrolled(&c).check_in(1);
    assert!(out.contains("NON-COMPLIANT"), "{out}");
    assert_eq!(server_finding(&status)["deadline"], serde_json::Value::Null);
}

#[test]
fn a_check_in_outside_working_hours_runs_but_stays_silent() {
    let c = start(policy("block", ""));
    let d = Device::enrolled(&c);
    // A one-hour working day starting two hours from now, in UTC.
    let now = OffsetDateTime::now_utc();
    let hhmm = |t: OffsetDateTime| format!("{:02}:{:02}", t.hour(), t.minute());
    let (start, end) = (
        hhmm(now + Duration::hours(2)),
        hhmm(now + Duration::hours(3)),
    );
    let out = d.run(&[
        "quiet-hours",
        "set",
        "--start",
        &start,
        "--end",
        &end,
        "--time-zone",
        "UTC",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("{start} to {end}")));

    let (out, _) = d.check_in(1);
    assert!(
        out.starts_with("Stayed silent: outside your working hours"),
        "{out}"
    );
    assert!(out.contains("this device is non-compliant"), "{out}");
    assert!(!out.contains("→"), "no remediation prompt: {out}");
    assert!(
        out.contains("Delivered 1 report"),
        "the report still went: {out}"
    );
    assert_eq!(c.collector().report_count().unwrap(), 1);
    let json = d.run(&["check-in", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["notify"]["notify"], false);
    assert_eq!(json["notify"]["reason"], "outside_working_hours");
    assert!(json["notify"]["next_allowed"].is_string());

    // Within working hours the check-in prompts as usual.
    let (start, end) = (
        hhmm(now - Duration::hours(1)),
        hhmm(now + Duration::hours(3)),
    );
    let out = d.run(&[
        "quiet-hours",
        "set",
        "--start",
        &start,
        "--end",
        &end,
        "--time-zone",
        "UTC",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (out, _) = d.check_in(1);
    assert!(!out.contains("Stayed silent"), "{out}");
    assert!(out.contains("→"), "{out}");
    // Cleared: no quiet hours.
    assert_eq!(d.run(&["quiet-hours", "clear"]).status.code(), Some(0));
    let show = d.run(&["quiet-hours", "show"]);
    assert!(text(&show.stdout).contains("Working hours: not set"));
}

#[test]
fn quiet_hours_follow_london_across_the_clock_changes() {
    let c = start(policy("block", ""));
    let d = Device::enrolled(&c);
    let out = d.run(&[
        "quiet-hours",
        "set",
        "--start",
        "01:30",
        "--end",
        "06:00",
        "--time-zone",
        "Europe/London",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let show = |at: &str| -> serde_json::Value {
        let out = d.run(&["quiet-hours", "show", "--json", "--at", at]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["decision"].clone()
    };
    // 29 March 2026: 01:30 never happens; the window opens as the clocks
    // go forward (01:00 UTC).
    let d1 = show("2026-03-29T00:59:00Z");
    assert_eq!(d1["notify"], false);
    assert_eq!(d1["next_allowed"], "2026-03-29T01:00:00Z");
    assert_eq!(show("2026-03-29T01:00:00Z")["notify"], true);
    // 25 October 2026: 01:30 happens twice; the window opens at the first.
    assert_eq!(
        show("2026-10-25T00:15:00Z")["next_allowed"],
        "2026-10-25T00:30:00Z"
    );
    assert_eq!(
        show("2026-10-25T05:30:00Z")["quiet_from"],
        "2026-10-25T06:00:00Z"
    );
    // Text, with a bad --at refused.
    let out = d.run(&["quiet-hours", "show", "--at", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("RFC 3339"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn working_hours_must_fit_the_policy_and_be_valid() {
    let bounds =
        "[working_hours]\nallowed = [{ start = \"07:00\", end = \"20:00\" }]\nmax_hours = 12";
    let c = start(policy("block", bounds));
    let d = Device::enrolled(&c);
    let refused = |args: &[&str], needle: &str| {
        let mut all = vec!["quiet-hours", "set"];
        all.extend_from_slice(args);
        let out = d.run(&all);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stdout)
        );
        assert!(
            text(&out.stderr).contains(needle),
            "{args:?}: {}",
            text(&out.stderr)
        );
    };
    // The night shift is outside this organisation's bounds.
    refused(
        &[
            "--start",
            "19:00",
            "--end",
            "07:00",
            "--time-zone",
            "Europe/London",
        ],
        "outside what your organisation allows (07:00-20:00)",
    );
    refused(
        &[
            "--start",
            "07:00",
            "--end",
            "20:00",
            "--time-zone",
            "Europe/London",
        ],
        "longer than the 12 hours",
    );
    refused(
        &[
            "--start",
            "9",
            "--end",
            "17:00",
            "--time-zone",
            "Europe/London",
        ],
        "HH:MM",
    );
    refused(
        &[
            "--start",
            "09:00",
            "--end",
            "17:00",
            "--time-zone",
            "Europe/Lndon",
        ],
        "not a known time zone",
    );
    let out = d.run(&[
        "quiet-hours",
        "set",
        "--start",
        "08:00",
        "--end",
        "17:00",
        "--time-zone",
        "Europe/London",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn check_ins_quiet_hours_and_errors_speak_welsh_with_lang_cy() {
    let c = start(policy("notify-only", "[working_hours]\nmax_hours = 12"));
    let d = Device::enrolled(&c);
    let out = d.run(&["check-in", "--lang", "cy"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let words = text(&out.stdout);
    assert!(words.contains("Dyfarniad y casglwr"), "{words}");
    assert!(words.contains("RHYBUDD"), "{words}");
    assert!(
        words.contains("(hysbysu yn unig: nodyn atgoffa;"),
        "the strategy's note in Welsh: {words}"
    );
    // The collector's findings that the core knows, rendered in Welsh from
    // the facts; the report and the collector's verdict stay in English.
    let welsh_fix = "→ Mae eich dyfais yn rhedeg Debian GNU/Linux 12; mae ar yr ymddiriedolaeth angen 999 neu fersiwn mwy diweddar.";
    assert!(words.contains(welsh_fix), "{words}");
    assert!(!words.contains("Your device runs"), "{words}");
    let status = text(&d.run(&["status", "--lang", "cy"]).stdout);
    assert!(status.contains(welsh_fix), "{status}");
    // The table of the agent's state has its labels in Welsh too.
    assert!(status.starts_with("Wedi'i chofrestru gyda "), "{status}");
    for label in [
        "dynodwr y ddyfais",
        "gwiriad diwethaf",
        "adroddiadau yn y ciw",
    ] {
        assert!(
            status
                .lines()
                .any(|l| l.starts_with(&format!("  {label} "))),
            "{label}: {status}"
        );
    }
    let json = text(&d.run(&["status", "--json", "--lang", "cy"]).stdout);
    assert!(
        json.contains("Your device runs Debian GNU/Linux 12"),
        "{json}"
    );
    // The same check-in in English, word for word as before.
    let out = d.run(&["check-in", "--lang", "en"]);
    let words = text(&out.stdout);
    assert!(
        words.contains("→ Your device runs Debian GNU/Linux 12; the trust needs 999 or newer."),
        "{words}"
    );
    assert!(
        words.contains("(notify-only: a reminder; it never makes this device non-compliant)"),
        "{words}"
    );

    let set = |args: &[&str]| {
        let mut all = vec!["quiet-hours", "set", "--lang", "cy"];
        all.extend_from_slice(args);
        d.run(&all)
    };
    let out = set(&["--start", "9", "--end", "17:00", "--time-zone", "UTC"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("amser dechrau \"9\": nid yw'n amser o'r dydd"),
        "{}",
        text(&out.stderr)
    );
    let out = set(&["--start", "06:00", "--end", "22:00", "--time-zone", "UTC"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("na'r 12 awr y mae eich sefydliad"),
        "{}",
        text(&out.stderr)
    );
    let out = set(&["--start", "08:00", "--end", "17:00", "--time-zone", "UTC"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("Oriau gwaith wedi'u gosod: 08:00 i 17:00 bob dydd"),
        "{}",
        text(&out.stdout)
    );
    let out = d.run(&[
        "quiet-hours",
        "show",
        "--lang",
        "cy",
        "--at",
        "2026-12-04T20:00:00Z",
    ]);
    let words = text(&out.stdout);
    assert!(
        words.contains("Annog nawr: nac ydy (y tu allan i'ch oriau gwaith"),
        "{words}"
    );
    assert!(
        words.contains("Caniateir yr anogaeth nesaf: 2026-12-05T08:00:00Z"),
        "{words}"
    );

    // An error a person can act on, in Welsh.
    let fresh = Device {
        _dir: tempfile::tempdir().unwrap(),
        state: d.state.with_file_name("never-enrolled"),
    };
    let out = fresh.run(&["check-in", "--lang", "cy"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("nid yw'r ddyfais hon wedi'i chofrestru"),
        "{}",
        text(&out.stderr)
    );
}
