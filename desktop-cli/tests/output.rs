//! What people read: aligned tables, RFC 3339 timestamps, durations in
//! words, plurals, and no requirement on a rule that does not apply.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use posture_collector::{CollectorConfig, spawn_local};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_posture-agent"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn profile(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("profiles")
        .join(name);
    format!("profile:{}", path.display())
}

/// Asserts `text` is an RFC 3339 timestamp to the second.
fn assert_rfc3339(text: &str) {
    let t = OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    assert_eq!(t.nanosecond(), 0, "{text}");
    assert!(text.ends_with('Z'), "{text}");
}

#[test]
fn collect_table_columns_line_up_with_long_heuristic_names() {
    let text = stdout(&run(&[
        "collect",
        "--target",
        &profile("android-rooted.toml"),
    ]));
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let collected = header
        .split("collected ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap();
    assert_rfc3339(collected);
    let rows: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    assert!(rows[0].trim_start().starts_with("FACT"), "{text}");
    // Every VALUE and SOURCE starts in the header's column, even after the
    // longest indicator name; and at least two spaces separate the columns.
    let value_col = rows[0].find("VALUE").unwrap();
    let source_col = rows[0].find("SOURCE").unwrap();
    let long = rows
        .iter()
        .find(|r| r.contains("verified_boot_not_green (heuristic)"))
        .unwrap();
    assert_eq!(&long[value_col..value_col + 7], "TRIPPED", "{text}");
    for row in &rows[1..] {
        assert_eq!(&row[value_col - 2..value_col], "  ", "{row:?}\n{text}");
        assert_ne!(&row[value_col..=value_col], " ", "{row:?}\n{text}");
        assert_eq!(&row[source_col - 2..source_col], "  ", "{row:?}\n{text}");
        assert!(row[source_col..].starts_with("profile "), "{row:?}\n{text}");
    }
}

/// This machine's posture table in Welsh: the headers, the facts' names
/// and values, and the core's reasons; the sources are names, as they are.
#[cfg(target_os = "linux")]
#[test]
fn the_posture_table_reads_in_welsh_with_lang_cy() {
    let text = stdout(&run(&["collect", "--lang", "cy"]));
    assert!(text.starts_with("Ystum y ddyfais hon ("), "{text}");
    let rows: Vec<&str> = text.lines().skip(1).filter(|l| !l.is_empty()).collect();
    assert!(rows[0].trim_start().starts_with("FFAITH"), "{text}");
    let value_col = rows[0].find("GWERTH").unwrap();
    let source_col = rows[0].find("FFYNHONNELL / RHESWM").unwrap();
    let patch = rows
        .iter()
        .find(|r| r.trim_start().starts_with("clwt diogelwch"))
        .unwrap();
    assert_eq!(&patch[value_col..value_col + 9], "anhysbys ", "{text}");
    assert_eq!(
        patch[source_col..].trim_end(),
        "nid oes gan Linux lefel clwt diogelwch fel Android",
        "{text}"
    );
    // The same table in English, word for word as before.
    let text = stdout(&run(&["collect", "--lang", "en"]));
    assert!(text.starts_with("Posture of this device ("), "{text}");
    let patch = text
        .lines()
        .find(|r| r.trim_start().starts_with("security patch"))
        .unwrap();
    assert!(patch.contains("unknown"), "{patch}");
    assert!(
        patch.ends_with("Linux has no Android-style security patch level"),
        "{patch}"
    );
}

#[test]
fn rules_that_do_not_apply_state_no_requirement() {
    let text = stdout(&run(&["check", "--target", &profile("ios-compliant.toml")]));
    let na: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("n/a"))
        .collect();
    assert!(!na.is_empty(), "{text}");
    for line in na {
        assert!(!line.contains("needs"), "{line}");
    }
    let ok = text
        .lines()
        .find(|l| l.trim_start().starts_with("ok"))
        .unwrap();
    assert!(ok.contains("(needs "), "{ok}");
}

#[test]
fn status_shows_timestamps_and_interval_for_people() {
    let collector = spawn_local(CollectorConfig::default()).unwrap();
    let code = collector.collector().issue_codes(1, None).unwrap()[0]
        .code
        .expose()
        .to_owned();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let base = [
        "--state-dir",
        state.to_str().unwrap(),
        "--key-store",
        "file",
    ];
    let with = |args: &[&str]| run(&[&base[..], args].concat());
    stdout(&with(&[
        "enrol",
        "--server",
        collector.url(),
        "--code",
        &code,
    ]));
    let checked = stdout(&with(&["check-in"]));
    assert!(
        checked.contains("Delivered 1 report; 0 still queued."),
        "{checked}"
    );
    // The delivery count in the person's language.
    let flushed = stdout(&with(&["flush", "--lang", "cy"]));
    assert_eq!(flushed, "Wedi cyflwyno 0 adroddiad; 0 yn dal yn y ciw.\n");
    let flushed = stdout(&with(&["flush", "--lang", "en"]));
    assert_eq!(flushed, "Delivered 0 reports; 0 still queued.\n");

    let text = stdout(&with(&["status"]));
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.trim_start().strip_prefix(name))
            .map(str::trim)
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
    };
    assert_rfc3339(field("enrolled at"));
    assert_rfc3339(field("last check-in"));
    // The collector's default interval, 21,600 s.
    assert_eq!(field("check-in every"), "6 h", "{text}");
    assert_eq!(field("queued reports"), "0", "{text}");
    let verdict_at = text
        .lines()
        .find_map(|l| l.strip_prefix("The collector's last verdict (at "))
        .and_then(|rest| rest.strip_suffix("):"))
        .unwrap();
    assert_rfc3339(verdict_at);
}

#[test]
fn compliance_token_prints_the_collectors_result_and_status_only_its_summary() {
    let collector = spawn_local(CollectorConfig::default()).unwrap();
    let code = collector.collector().issue_codes(1, None).unwrap()[0]
        .code
        .expose()
        .to_owned();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let base = [
        "--state-dir",
        state.to_str().unwrap(),
        "--key-store",
        "file",
    ];
    let with = |args: &[&str]| run(&[&base[..], args].concat());

    let none = with(&["compliance-token"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(none.stdout.is_empty());
    let why = String::from_utf8_lossy(&none.stderr);
    assert!(
        why.contains("no compliance token") && why.contains("not enrolled"),
        "{why}"
    );

    stdout(&with(&[
        "enrol",
        "--server",
        collector.url(),
        "--code",
        &code,
    ]));
    let none = with(&["compliance-token"]);
    assert_eq!(none.status.code(), Some(2));
    let why = String::from_utf8_lossy(&none.stderr);
    assert!(why.contains("not issued"), "{why}");

    stdout(&with(&["check-in"]));
    let out = with(&["compliance-token"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let token = printed.strip_suffix('\n').unwrap();
    let claims = posture_collector::verify_attestation_result(
        token,
        &collector.collector().jwks(),
        OffsetDateTime::now_utc().unix_timestamp(),
    )
    .unwrap();

    let text = stdout(&with(&["status"]));
    let line = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("attestation"))
        .unwrap_or_else(|| panic!("no attestation line:\n{text}"));
    let status = serde_json::to_value(claims.submods["posture"].status).unwrap();
    assert!(line.contains(status.as_str().unwrap()), "{line}");
    assert!(line.contains("assurance self-reported"), "{line}");
    let until = line
        .split("valid until ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap();
    assert_rfc3339(until);
    assert_eq!(
        OffsetDateTime::parse(until, &Rfc3339)
            .unwrap()
            .unix_timestamp(),
        claims.exp
    );
    assert!(!text.contains(token));
    let json = String::from_utf8(with(&["status", "--json"]).stdout).unwrap();
    assert!(!json.contains(token), "{json}");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["attestation"]["status"], status);
}
