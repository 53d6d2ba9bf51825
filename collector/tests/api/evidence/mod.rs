//! `GET /v1/evidence` over real HTTP: a fleet of 240 devices whose
//! postures change over four weeks (backdated reports, signed at their own
//! `iat` and accepted as historical, as a device's outbox would deliver
//! them) gives exactly the figures, weeks and exceptions computed here,
//! independently, from what the test sent.

pub(crate) mod expect;
mod files;
pub(crate) mod fleet;

use agent_core::protocol::paths;
use agent_core::transport::{HttpRequest, HttpResponse, HttpTransport, Transport, TransportConfig};
use posture_collector::RunningCollector;
use posture_collector::evidence::{EvidenceReport, ExceptionState, FigureKind, render_html};
use time::{Date, Duration, OffsetDateTime, Time};

use self::expect::{ExceptionKey, assert_summary, expected_exceptions, rule_text};
use self::files::{csv_round_trips, html_is_self_contained_and_well_formed};
use self::fleet::{DEVICES, TRACKS, Virtual, fleet, start};
use crate::chains::TestRoot;
use crate::common::{assert_documented, assert_problem, request_path};

fn get_evidence(c: &RunningCollector, query: &str, token: Option<&str>) -> HttpResponse {
    let mut req = HttpRequest::get(format!("{}{}{query}", c.url(), paths::EVIDENCE));
    if let Some(t) = token {
        req = req.with_header("authorization", &format!("Bearer {t}"));
    }
    // A report for a fleet outgrows what a device accepts from the
    // collector (64 KiB); an operator's client reads more.
    let http = HttpTransport::new(TransportConfig {
        max_response_bytes: 4 << 20,
        ..TransportConfig::default()
    })
    .unwrap();
    let path = request_path(&req.url);
    let r = http.send(req).unwrap();
    assert_documented("get", &path, r.status);
    r
}

#[test]
fn a_fleet_over_four_weeks_gives_exactly_the_expected_figures_weeks_and_exceptions() {
    let root = TestRoot::new();
    let c = start(&root);
    let t0 = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let fleet = fleet(&c, &root, t0);
    assert_eq!(fleet.len(), DEVICES);
    assert_evidence(&c, &fleet, t0);
}

/// The evidence report of the period from checkpoint c1 to tomorrow has
/// exactly the figures, weeks and exceptions of what `fleet` sent (`t0`
/// being when the fleet began).
pub(crate) fn assert_evidence(c: &RunningCollector, fleet: &[Virtual], t0: OffsetDateTime) {
    // From the day of checkpoint c1: c0's reports are before the period, so
    // they count nowhere but can open an exception that continues into it.
    // Tomorrow is included, in case the run crossed midnight.
    let from = t0.date() - Duration::days(20);
    let to = t0.date() + Duration::days(1);
    let query = format!("?from={from}&to={to}");
    let r = get_evidence(c, &query, Some(c.collector().admin_token()));
    assert_eq!(r.status, 200, "{r:?}");
    let report: EvidenceReport = serde_json::from_slice(&r.body).unwrap();
    assert_eq!((report.from, report.to), (from, to));
    assert_eq!(report.grace_days, Some(14));
    assert_eq!(
        (report.policy.name.as_str(), report.policy.revision),
        ("evidence-test", 3)
    );

    assert_summary("period", &report.period, fleet, from, to);
    assert_eq!(report.period.devices, DEVICES as u64);
    assert_eq!(report.period.hardware_attested, (DEVICES / TRACKS) as u64);

    // The ISO weeks that meet the period, clipped to it.
    let mut weeks = Vec::new();
    let mut monday = from - Duration::days(i64::from(from.weekday().number_days_from_monday()));
    while monday <= to {
        let (year, week, _) = monday.to_iso_week_date();
        weeks.push((
            format!("{year}-W{week:02}"),
            monday.max(from),
            (monday + Duration::days(6)).min(to),
        ));
        monday += Duration::days(7);
    }
    let got: Vec<(String, Date, Date)> = report
        .weeks
        .iter()
        .map(|w| (w.week.clone(), w.from, w.to))
        .collect();
    assert_eq!(got, weeks);
    assert!(weeks.len() >= 3, "{weeks:?}");
    for w in &report.weeks {
        assert_summary(&w.week, &w.summary, fleet, w.from, w.to);
    }
    // Some weeks differ: the fleet really changes over time.
    let locked: Vec<Option<f64>> = report
        .weeks
        .iter()
        .map(|w| w.summary.figure(FigureKind::Locked).unwrap().pass_share)
        .collect();
    assert!(locked.windows(2).any(|p| p[0] != p[1]), "{locked:?}");

    let start = from.with_time(Time::MIDNIGHT).assume_utc();
    let end = (to + Duration::days(1))
        .with_time(Time::MIDNIGHT)
        .assume_utc();
    let want = expected_exceptions(fleet, start, end);
    let mut have: Vec<ExceptionKey> = report
        .exceptions
        .iter()
        .map(|e| {
            let rule: &'static str = match rule_text(e.rule).as_str() {
                "os_version" => "os_version",
                "security_patch" => "security_patch",
                "storage_encryption" => "storage_encryption",
                "screen_lock" => "screen_lock",
                other => panic!("unexpected rule {other}"),
            };
            (
                e.device_id.as_str().to_owned(),
                rule,
                e.state,
                e.since,
                e.last_seen,
                e.resolved_at,
                e.deadline,
            )
        })
        .collect();
    have.sort();
    assert_eq!(have.len(), want.len());
    assert_eq!(have, want);
    assert_eq!(report.exceptions_total, want.len() as u64);
    // Each kind of story is among them: resolved, in grace, unknown, and
    // one that began before the period.
    assert!(want.iter().any(|e| e.5.is_some()));
    assert!(
        want.iter()
            .any(|e| e.2 == ExceptionState::Grace && e.6.is_some())
    );
    assert!(want.iter().any(|e| e.2 == ExceptionState::Unknown));
    assert!(want.iter().any(|e| e.3 < start));
    assert!(report.exceptions.iter().all(|e| !e.observed.is_empty()));

    html_is_self_contained_and_well_formed(&report);
    csv_round_trips(&report);
}

#[test]
fn bad_or_missing_dates_are_400_problems_and_the_token_is_required() {
    let root = TestRoot::new();
    let c = start(&root);
    let token = c.collector().admin_token().to_owned();
    let r = get_evidence(&c, "?from=2026-11-01&to=2026-11-30", None);
    assert_problem(&r, 401, "unauthorized");
    for (query, says) in [
        ("", "give from"),
        ("?from=2026-11-01", "give to"),
        ("?from=2026-11-31&to=2026-12-01", "from must be a date"),
        ("?from=1%2F11%2F2026&to=2026-12-01", "from must be a date"),
        ("?from=2026-11-01&to=tomorrow", "to must be a date"),
        ("?from=2026-12-01&to=2026-11-01", "is before from"),
        ("?from=2025-01-01&to=2026-06-30", "at most 366 days"),
    ] {
        let r = get_evidence(&c, query, Some(&token));
        let p = assert_problem(&r, 400, "invalid-request");
        assert!(
            p.detail.as_deref().unwrap_or("").contains(says),
            "{query}: {p:?}"
        );
    }
    // An empty period is an answer, not an error.
    let r = get_evidence(&c, "?from=2026-11-02&to=2026-11-08", Some(&token));
    assert_eq!(r.status, 200);
    let report: EvidenceReport = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(report.period.devices, 0);
    assert_eq!(report.weeks.len(), 1);
    assert!(report.exceptions.is_empty());
    assert!(render_html(&report).contains("No device failed a rule"));
}
