//! The computation on hand-made rows; the API tests check it end to end.

use std::collections::HashMap;

use agent_core::Platform;
use agent_core::policy::{Compliance, Outcome, PolicyRef, RuleId};
use time::macros::{date, datetime};

use super::figures::{Builder, DeviceFacts, ReportRow, RuleState, share};
use super::*;

fn rule(rule: RuleId, outcome: Outcome) -> RuleState {
    RuleState {
        rule,
        outcome,
        unknown: false,
        deadline: None,
        observed: format!("{rule:?} {outcome:?}"),
    }
}

fn row(device: &str, iat: OffsetDateTime, rules: Vec<RuleState>) -> ReportRow {
    let compliance = if rules.iter().any(|r| r.outcome == Outcome::Fail) {
        Compliance::NonCompliant
    } else if rules.iter().any(|r| r.outcome == Outcome::Warn) {
        Compliance::Warning
    } else {
        Compliance::Compliant
    };
    ReportRow {
        device_id: device.to_owned(),
        iat: iat.unix_timestamp(),
        historical: false,
        compliance,
        rules,
    }
}

fn facts(hardware: bool) -> DeviceFacts {
    DeviceFacts {
        platform: Platform::Android,
        hardware,
        pin_broken_at: None,
    }
}

fn report(period: Period, devices: &[(&str, bool)], rows: Vec<ReportRow>) -> EvidenceReport {
    let devices: HashMap<String, DeviceFacts> = devices
        .iter()
        .map(|(id, hw)| ((*id).to_owned(), facts(*hw)))
        .collect();
    let mut b = Builder::new(period, devices);
    for r in rows {
        b.add(r);
    }
    b.finish(
        datetime!(2026-12-03 12:00 UTC),
        PolicyRef {
            name: "t".into(),
            revision: 1,
        },
        Some(14),
    )
}

#[test]
fn periods_are_checked() {
    assert!(Period::parse(Some("2026-11-01"), Some("2026-11-30")).is_ok());
    assert!(matches!(
        Period::parse(None, Some("2026-11-30")),
        Err(EvidenceError::Missing("from"))
    ));
    for bad in [
        "2026-13-01",
        "01/11/2026",
        "2026-11-1",
        "",
        "2026-11-01T00:00:00Z",
    ] {
        assert!(
            matches!(
                Period::parse(Some(bad), Some("2026-11-30")),
                Err(EvidenceError::BadDate { which: "from", .. })
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        Period::parse(Some("2026-11-30"), Some("2026-11-01")),
        Err(EvidenceError::Reversed { .. })
    ));
    assert!(matches!(
        Period::parse(Some("2025-01-01"), Some("2026-01-02")),
        Err(EvidenceError::TooLong { days: 367 })
    ));
    let long = "9".repeat(10_000);
    let e = Period::parse(Some(&long), Some("2026-11-30")).unwrap_err();
    assert!(e.to_string().len() < 120, "{e}");
}

#[test]
fn the_last_report_of_each_week_counts_and_unknown_is_neither() {
    // Mon 2026-11-02 .. Sun 2026-11-15: two whole ISO weeks, 45 and 46.
    let period = Period::new(date!(2026 - 11 - 02), date!(2026 - 11 - 15)).unwrap();
    let unknown = RuleState {
        unknown: true,
        ..rule(RuleId::StorageEncryption, Outcome::Warn)
    };
    let rows = vec![
        // a: fails the lock on Monday, fixed on Friday (same week), then fine.
        row(
            "a",
            datetime!(2026-11-02 09:00 UTC),
            vec![rule(RuleId::ScreenLock, Outcome::Fail)],
        ),
        row(
            "a",
            datetime!(2026-11-06 09:00 UTC),
            vec![rule(RuleId::ScreenLock, Outcome::Pass)],
        ),
        row(
            "a",
            datetime!(2026-11-10 09:00 UTC),
            vec![rule(RuleId::ScreenLock, Outcome::Pass)],
        ),
        // b: encryption unknown, only in week 46; hardware-attested.
        row(
            "b",
            datetime!(2026-11-12 09:00 UTC),
            vec![unknown, rule(RuleId::ScreenLock, Outcome::Pass)],
        ),
        // c: a report after the period does not count.
        row(
            "c",
            datetime!(2026-11-16 00:00 UTC),
            vec![rule(RuleId::ScreenLock, Outcome::Fail)],
        ),
    ];
    let r = report(period, &[("a", false), ("b", true), ("c", false)], rows);
    assert_eq!(r.weeks.len(), 2);
    assert_eq!(r.weeks[0].week, "2026-W45");
    assert_eq!(r.weeks[1].week, "2026-W46");
    let lock = |s: &Summary| s.figure(FigureKind::Locked).unwrap().clone();
    let w45 = lock(&r.weeks[0].summary);
    assert_eq!((w45.devices, w45.pass, w45.fail), (1, 1, 0));
    let w46 = lock(&r.weeks[1].summary);
    assert_eq!((w46.devices, w46.pass, w46.hardware_attested), (2, 2, 1));
    let enc = r.period.figure(FigureKind::Encrypted).unwrap();
    assert_eq!(
        (enc.devices, enc.unknown, enc.pass, enc.not_applicable),
        (1, 1, 0, 1)
    );
    assert_eq!(enc.pass_share, None);
    assert_eq!(r.period.devices, 2);
    // a's lock exception: since Monday, resolved Friday; b's unknown: open.
    assert_eq!(r.exceptions.len(), 2, "{:?}", r.exceptions);
    let a = &r.exceptions[0];
    assert_eq!(
        (a.rule, a.state),
        (RuleId::ScreenLock, ExceptionState::Fail)
    );
    assert_eq!(a.since, datetime!(2026-11-02 09:00 UTC));
    assert_eq!(a.resolved_at, Some(datetime!(2026-11-06 09:00 UTC)));
    let b = &r.exceptions[1];
    assert_eq!(
        (b.rule, b.state, b.resolved_at),
        (RuleId::StorageEncryption, ExceptionState::Unknown, None)
    );
}

#[test]
fn an_exception_open_before_the_period_keeps_its_start_and_grace_counts_as_failing() {
    let period = Period::new(date!(2026 - 11 - 09), date!(2026 - 11 - 15)).unwrap();
    let grace = RuleState {
        deadline: Some(date!(2026 - 11 - 20)),
        ..rule(RuleId::SecurityPatch, Outcome::Warn)
    };
    let rows = vec![
        row("a", datetime!(2026-11-01 09:00 UTC), vec![grace.clone()]),
        row("a", datetime!(2026-11-11 09:00 UTC), vec![grace]),
        // An exception that ended before the period is not listed.
        row(
            "b",
            datetime!(2026-10-20 09:00 UTC),
            vec![rule(RuleId::ScreenLock, Outcome::Fail)],
        ),
        row(
            "b",
            datetime!(2026-10-21 09:00 UTC),
            vec![rule(RuleId::ScreenLock, Outcome::Pass)],
        ),
        row(
            "b",
            datetime!(2026-11-10 09:00 UTC),
            vec![rule(RuleId::ScreenLock, Outcome::Pass)],
        ),
    ];
    let r = report(period, &[("a", false), ("b", false)], rows);
    let patched = r.period.figure(FigureKind::Patched).unwrap();
    assert_eq!(
        (patched.fail, patched.in_grace, patched.not_applicable),
        (1, 1, 1)
    );
    assert_eq!(r.exceptions.len(), 1);
    let e = &r.exceptions[0];
    assert_eq!(e.state, ExceptionState::Grace);
    assert_eq!(e.since, datetime!(2026-11-01 09:00 UTC));
    assert_eq!(e.deadline, Some(date!(2026 - 11 - 20)));
}

#[test]
fn an_open_exception_past_its_grace_deadline_is_listed_as_failing() {
    let grace = RuleState {
        deadline: Some(date!(2026 - 11 - 20)),
        ..rule(RuleId::SecurityPatch, Outcome::Warn)
    };
    let rows = || {
        vec![row(
            "a",
            datetime!(2026-11-11 09:00 UTC),
            vec![grace.clone()],
        )]
    };
    let state = |from, to| {
        let r = report(Period::new(from, to).unwrap(), &[("a", false)], rows());
        assert_eq!(r.exceptions.len(), 1);
        r.exceptions[0].state
    };
    // The period ends the day before the deadline: still in grace.
    assert_eq!(
        state(date!(2026 - 11 - 09), date!(2026 - 11 - 19)),
        ExceptionState::Grace
    );
    // It takes in the deadline day: blocked from its start.
    assert_eq!(
        state(date!(2026 - 11 - 09), date!(2026 - 11 - 20)),
        ExceptionState::Fail
    );
    // A period still running (generated on 2026-12-03) past a deadline
    // that has not come yet keeps the grace.
    let later = RuleState {
        deadline: Some(date!(2026 - 12 - 10)),
        ..grace.clone()
    };
    let r = report(
        Period::new(date!(2026 - 11 - 30), date!(2026 - 12 - 13)).unwrap(),
        &[("a", false)],
        vec![row("a", datetime!(2026-12-01 09:00 UTC), vec![later])],
    );
    assert_eq!(r.exceptions[0].state, ExceptionState::Grace);
}

#[test]
fn an_exception_resolved_after_its_grace_deadline_is_listed_as_failing() {
    let grace = RuleState {
        deadline: Some(date!(2026 - 11 - 20)),
        ..rule(RuleId::SecurityPatch, Outcome::Warn)
    };
    let fixed = rule(RuleId::SecurityPatch, Outcome::Pass);
    let resolved_on = |day: OffsetDateTime| {
        let r = report(
            Period::new(date!(2026 - 11 - 09), date!(2026 - 11 - 29)).unwrap(),
            &[("a", false)],
            vec![
                row("a", datetime!(2026-11-11 09:00 UTC), vec![grace.clone()]),
                row("a", day, vec![fixed.clone()]),
            ],
        );
        assert_eq!(r.exceptions.len(), 1);
        assert_eq!(r.exceptions[0].resolved_at, Some(day));
        r.exceptions[0].state
    };
    // Fixed the day before the deadline: it stayed in grace.
    assert_eq!(
        resolved_on(datetime!(2026-11-19 23:59 UTC)),
        ExceptionState::Grace
    );
    // Fixed days after the block began: it was a block until then.
    assert_eq!(
        resolved_on(datetime!(2026-11-23 09:00 UTC)),
        ExceptionState::Fail
    );
}

#[test]
fn shares_round_to_four_decimals() {
    assert_eq!(share(0, 0), None);
    assert_eq!(share(1, 2), Some(0.3333));
    assert_eq!(share(2, 1), Some(0.6667));
    assert_eq!(share(5, 0), Some(1.0));
}

#[test]
fn a_partial_first_week_is_clipped_to_the_period() {
    // Thu 2026-11-05 .. Tue 2026-11-10.
    let period = Period::new(date!(2026 - 11 - 05), date!(2026 - 11 - 10)).unwrap();
    let r = report(period, &[], Vec::new());
    let days: Vec<(Date, Date)> = r.weeks.iter().map(|w| (w.from, w.to)).collect();
    assert_eq!(
        days,
        [
            (date!(2026 - 11 - 05), date!(2026 - 11 - 08)),
            (date!(2026 - 11 - 09), date!(2026 - 11 - 10))
        ]
    );
    assert_eq!(r.weeks[0].week, "2026-W45");
}

#[test]
fn csv_quotes_and_html_escapes() {
    let period = Period::new(date!(2026 - 11 - 02), date!(2026 - 11 - 08)).unwrap();
    let mut fail = rule(RuleId::ScreenLock, Outcome::Fail);
    fail.observed = "no lock, \"none\" <script>".into();
    let r = report(
        period,
        &[("dev_a", false)],
        vec![row("dev_a", datetime!(2026-11-03 09:00 UTC), vec![fail])],
    );
    let csv = render_csv(&r);
    assert!(csv.contains("\"no lock, \"\"none\"\" <script>\""), "{csv}");
    let html = render_html(&r);
    assert!(html.contains("no lock, &quot;none&quot; &lt;script&gt;"));
    assert!(!html.contains("<script"));
}

#[test]
fn the_protocol_example_is_an_evidence_report() {
    const PROTOCOL_MD: &str = include_str!("../../../docs/protocol.md");
    let block = PROTOCOL_MD
        .split("<!-- evidence-example -->\n```json\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .unwrap();
    let report: EvidenceReport = serde_json::from_str(block).unwrap();
    assert_eq!(report.period.figures.len(), 4);
    assert_eq!(report.exceptions[0].state, ExceptionState::Grace);
    assert_eq!(report.exceptions[0].resolved_at, None);
    let again: EvidenceReport =
        serde_json::from_str(&serde_json::to_string(&report).unwrap()).unwrap();
    assert_eq!(again, report);
}

#[test]
fn a_broken_pin_ends_hardware_attestation_from_its_time() {
    // Mon 2026-11-02 .. Sun 2026-11-15; the pin broke on 2026-11-11.
    let period = Period::new(date!(2026 - 11 - 02), date!(2026 - 11 - 15)).unwrap();
    let broken = datetime!(2026-11-11 00:00 UTC).unix_timestamp();
    let devices = HashMap::from([(
        "a".to_owned(),
        DeviceFacts {
            platform: Platform::Android,
            hardware: true,
            pin_broken_at: Some(broken),
        },
    )]);
    let mut b = Builder::new(period, devices);
    for day in [3, 12] {
        let at = datetime!(2026-11-01 09:00 UTC) + time::Duration::days(day - 1);
        b.add(row("a", at, vec![rule(RuleId::ScreenLock, Outcome::Pass)]));
    }
    let r = b.finish(
        datetime!(2026-12-03 12:00 UTC),
        PolicyRef {
            name: "t".into(),
            revision: 1,
        },
        None,
    );
    let attested: Vec<u64> = r
        .weeks
        .iter()
        .map(|w| w.summary.hardware_attested)
        .collect();
    assert_eq!(attested, [1, 0]);
    assert_eq!(r.period.hardware_attested, 0);
}
