//! `GET /v1/evidence` over real HTTP: a fleet of 240 devices whose
//! postures change over four weeks (backdated reports, signed at their own
//! `iat` and accepted as historical, as a device's outbox would deliver
//! them) gives exactly the figures, weeks and exceptions computed here,
//! independently, from what the test sent.

use std::collections::BTreeMap;

use agent_core::keys::SoftwareSigner;
use agent_core::policy::PolicyFormat;
use agent_core::protocol::{Nonce, ReportAck, paths};
use agent_core::token::{Claims, sign};
use agent_core::transport::{HttpRequest, HttpResponse};
use agent_core::{Policy, Posture, evaluate};
use posture_collector::evidence::{
    EvidenceReport, ExceptionState, FigureKind, Summary, render_csv, render_html,
};
use posture_collector::{
    AttestationConfig, CollectorConfig, RunningCollector, roots_from_pem_file, spawn_local,
};
use time::{Date, Duration, OffsetDateTime, Time};

use crate::chains::{TEE, TestRoot, code_challenge, description_with_patch, point_of};
use crate::common::{Device, assert_problem, issue_code, send};

/// A policy with the four rules the evidence reads and a grace period.
const POLICY: &str = r#"
schema_version = 1
name = "evidence-test"
revision = 3
[grace]
days = 14
[rules.os_version]
unknown = "warn"
minimum = [
  { platform = "android", versions = ["14"] },
  { platform = "linux", os_id = "debian", versions = ["12"] },
]
[rules.security_patch]
max_age_days = 30
unknown = "warn"
platforms = ["android"]
[rules.storage_encryption]
unknown = "warn"
[rules.screen_lock]
unknown = "fail"
"#;

const MAX_AGE: i64 = 30;
const GRACE: i64 = 14;

fn policy() -> Policy {
    Policy::parse(POLICY, PolicyFormat::Toml).unwrap()
}

/// What one report says; `None` is an unknown fact.
#[derive(Debug, Clone, Copy)]
struct Spec {
    linux: bool,
    os_major: Option<u32>,
    patch: Option<Date>,
    encrypted: Option<bool>,
    lock: Option<bool>,
}

const GOOD: Spec = Spec {
    linux: false,
    os_major: Some(15),
    patch: None,
    encrypted: Some(true),
    lock: Some(true),
};

fn posture(spec: &Spec, at: OffsetDateTime) -> Posture {
    let observed = |v: String| format!(r#"{{"status": "observed", "value": {v}, "source": "t"}}"#);
    let unknown = r#"{"status": "unknown", "reason": "not readable"}"#.to_owned();
    let (platform, id, name) = if spec.linux {
        ("linux", "debian", "Debian GNU/Linux")
    } else {
        ("android", "android", "Android")
    };
    let version = spec
        .os_major
        .map_or(unknown.clone(), |v| observed(format!("\"{v}\"")));
    let patch = spec
        .patch
        .map_or(unknown.clone(), |p| observed(format!("\"{p}\"")));
    let encryption = match spec.encrypted {
        Some(true) => observed(r#"{"state": "encrypted", "method": "file-based"}"#.into()),
        Some(false) => observed(r#"{"state": "not_encrypted"}"#.into()),
        None => unknown.clone(),
    };
    let lock = match spec.lock {
        Some(true) => observed("\"set\"".into()),
        Some(false) => observed("\"not_set\"".into()),
        None => unknown.clone(),
    };
    let collected = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let json = format!(
        r#"{{
        "schema_version": 1, "platform": "{platform}",
        "os": {{
            "id": {{"status": "observed", "value": "{id}", "source": "t"}},
            "name": {{"status": "observed", "value": "{name}", "source": "t"}},
            "version": {version},
            "build": {{"status": "unknown", "reason": "t"}},
            "kernel": {{"status": "unknown", "reason": "t"}}
        }},
        "security_patch": {patch},
        "storage_encryption": {encryption},
        "screen_lock": {lock},
        "developer_mode": {{"status": "observed", "value": false, "source": "t"}},
        "usb_debugging": {{"status": "observed", "value": false, "source": "t"}},
        "integrity": [],
        "hardware_key_store": {{"status": "unknown", "reason": "t"}},
        "secure_boot": {{"status": "unknown", "reason": "t"}},
        "tpm": {{"status": "unknown", "reason": "t"}},
        "agent_version": "0.1.0",
        "collected_at": "{collected}"
    }}"#
    );
    Posture::from_json(&json).unwrap()
}

/// A signed report of `spec` made at `at`, answering `nonce`.
fn report_token(device: &Device, spec: &Spec, nonce: &Nonce, at: OffsetDateTime) -> String {
    let posture = posture(spec, at);
    let verdict = evaluate(&posture, &policy(), at);
    let claims = Claims::new(nonce.clone(), &device.device_id(), posture, verdict, at).unwrap();
    sign(&claims, &device.signer).unwrap()
}

/// The test's own reading of the policy (docs/policy.md), per figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Pass,
    Fail,
    Grace(Date),
    Unknown,
    NotApplicable,
}

fn expect(spec: &Spec, kind: FigureKind, at: OffsetDateTime) -> Expect {
    let known = |v: Option<bool>| match v {
        None => Expect::Unknown,
        Some(true) => Expect::Pass,
        Some(false) => Expect::Fail,
    };
    match kind {
        FigureKind::SupportedOs => {
            let minimum = if spec.linux { 12 } else { 14 };
            known(spec.os_major.map(|v| v >= minimum))
        }
        FigureKind::Patched if spec.linux => Expect::NotApplicable,
        FigureKind::Patched => match spec.patch {
            None => Expect::Unknown,
            Some(p) => {
                let age = (at.date() - p).whole_days();
                let deadline = p + Duration::days(MAX_AGE + 1 + GRACE);
                if age <= MAX_AGE {
                    Expect::Pass
                } else if at.date() < deadline {
                    Expect::Grace(deadline)
                } else {
                    Expect::Fail
                }
            }
        },
        FigureKind::Encrypted => known(spec.encrypted),
        FigureKind::Locked => known(spec.lock),
    }
}

/// One report the test sent.
#[derive(Debug, Clone)]
struct Sent {
    iat: OffsetDateTime,
    spec: Spec,
    current: bool,
}

/// One virtual device: its id, whether its key was hardware-attested,
/// and every report it sent.
#[derive(Debug, Clone)]
struct Virtual {
    id: String,
    hardware: bool,
    sent: Vec<Sent>,
}

const DEVICES: usize = 240;
const TRACKS: usize = 8;

/// The reports of device `i`, as (days before `t0`, spec); `None` days is
/// the current report, made at the moment of sending.
fn plan(i: usize, t0: OffsetDateTime) -> Vec<(Option<i64>, Spec)> {
    let day = |d: i64| t0.date() - Duration::days(d);
    let fresh = |d: i64| Spec {
        patch: Some(day(d + 5)),
        ..GOOD
    };
    let now_fresh = Spec {
        patch: Some(day(3)),
        ..GOOD
    };
    let checkpoints = [27, 20, 13, 6];
    match i % TRACKS {
        // Always compliant.
        0 => checkpoints
            .iter()
            .map(|d| (Some(*d), fresh(*d)))
            .chain([(None, now_fresh)])
            .collect(),
        // Falls out of compliance (the lock removed during week c2's day,
        // so the week's last report fails), stays out, recovers.
        1 => vec![
            (Some(27), fresh(27)),
            (Some(20), fresh(20)),
            (Some(13), fresh(13)),
            (
                Some(13),
                Spec {
                    lock: Some(false),
                    ..fresh(13)
                },
            ),
            (
                Some(6),
                Spec {
                    lock: Some(false),
                    ..fresh(6)
                },
            ),
            (None, now_fresh),
        ],
        // The patch ages through the grace period into failure, then updates.
        2 => {
            let old = Spec {
                patch: Some(day(60)),
                ..GOOD
            };
            vec![
                (Some(27), old),
                (Some(20), old),
                (Some(13), old),
                (Some(6), old),
                (None, now_fresh),
            ]
        }
        // Encryption never readable; the patch ages into grace and stays there.
        3 => {
            let s = Spec {
                patch: Some(day(40)),
                encrypted: None,
                ..GOOD
            };
            checkpoints
                .iter()
                .map(|d| (Some(*d), s))
                .chain([(None, s)])
                .collect()
        }
        // An unsupported release, upgraded in c3.
        4 => vec![
            (
                Some(27),
                Spec {
                    os_major: Some(13),
                    ..fresh(27)
                },
            ),
            (
                Some(20),
                Spec {
                    os_major: Some(13),
                    ..fresh(20)
                },
            ),
            (
                Some(13),
                Spec {
                    os_major: Some(13),
                    ..fresh(13)
                },
            ),
            (Some(6), fresh(6)),
            (None, now_fresh),
        ],
        // Reports twice, the second without a readable lock, then stops.
        5 => vec![
            (Some(27), fresh(27)),
            (
                Some(20),
                Spec {
                    lock: None,
                    ..fresh(20)
                },
            ),
        ],
        // A Linux machine that joins late, first unencrypted.
        6 => {
            let linux = Spec {
                linux: true,
                os_major: Some(12),
                patch: None,
                ..GOOD
            };
            vec![
                (
                    Some(6),
                    Spec {
                        encrypted: Some(false),
                        ..linux
                    },
                ),
                (None, linux),
            ]
        }
        // Hardware-attested Android phones: one patch, which ages into grace.
        _ => {
            let s = Spec {
                patch: Some(day(35)),
                ..GOOD
            };
            checkpoints
                .iter()
                .map(|d| (Some(*d), s))
                .chain([(None, s)])
                .collect()
        }
    }
}

fn start(root: &TestRoot) -> RunningCollector {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("roots.pem");
    root.write_pem(&pem);
    spawn_local(CollectorConfig {
        policy: policy(),
        attestation: AttestationConfig {
            roots: Some(roots_from_pem_file(&pem).unwrap()),
            ..AttestationConfig::default()
        },
        ..CollectorConfig::default()
    })
    .unwrap()
}

/// Enrols device `i` and sends its plan: the current report first (it
/// takes the latest nonce), then the backdated ones, oldest first.
fn run_device(c: &RunningCollector, root: &TestRoot, i: usize, t0: OffsetDateTime) -> Virtual {
    let hardware = i % TRACKS == 7;
    let plan = plan(i, t0);
    let device = if hardware {
        let signer = SoftwareSigner::ephemeral().unwrap();
        let code = issue_code(c);
        // The attested patch month is the one the phone reports, so the
        // collector evaluates the reported day.
        let patch = plan[0].1.patch.unwrap();
        let month = u64::try_from(patch.year()).unwrap() * 100 + u64::from(u8::from(patch.month()));
        let chain = root.chain(
            &point_of(&signer),
            description_with_patch(TEE, &code_challenge(&code), month),
        );
        Device::enrol_with_chain(c, signer, &code, &chain)
    } else {
        Device::enrol(c)
    };
    let mut sent = Vec::new();
    let mut ordered: Vec<&(Option<i64>, Spec)> = plan.iter().filter(|(d, _)| d.is_none()).collect();
    ordered.extend(plan.iter().filter(|(d, _)| d.is_some()));
    for (n, (days, spec)) in ordered.into_iter().enumerate() {
        let iat = match days {
            None => OffsetDateTime::now_utc().replace_nanosecond(0).unwrap(),
            // Spread over the day so two reports of a day keep their order.
            Some(d) => {
                t0.date()
                    .with_time(Time::from_hms(8, 0, 0).unwrap())
                    .assume_utc()
                    - Duration::days(*d)
                    + Duration::minutes(
                        i64::try_from(n).unwrap() * 10 + i64::try_from(i % 50).unwrap(),
                    )
            }
        };
        let r = device.send(c, &report_token(&device, spec, &device.nonce, iat));
        assert_eq!(r.status, 201, "device {i}: {r:?}");
        let ack: ReportAck = serde_json::from_slice(&r.body).unwrap();
        let current = days.is_none();
        assert_eq!(
            ack.freshness == agent_core::protocol::Freshness::Current,
            current,
            "device {i}"
        );
        sent.push(Sent {
            iat,
            spec: *spec,
            current,
        });
    }
    sent.sort_by_key(|s| s.iat);
    Virtual {
        id: device.id.clone(),
        hardware,
        sent,
    }
}

fn fleet(c: &RunningCollector, root: &TestRoot, t0: OffsetDateTime) -> Vec<Virtual> {
    let workers = 4;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn(move || {
                    (0..DEVICES)
                        .filter(|i| i % workers == w)
                        .map(|i| run_device(c, root, i, t0))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

fn get_evidence(c: &RunningCollector, query: &str, token: Option<&str>) -> HttpResponse {
    let mut req = HttpRequest::get(format!("{}{}{query}", c.url(), paths::EVIDENCE));
    if let Some(t) = token {
        req = req.with_header("authorization", &format!("Bearer {t}"));
    }
    send(req)
}

/// The numbers of one figure, as the test expects them.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    devices: u64,
    pass: u64,
    fail: u64,
    in_grace: u64,
    unknown: u64,
    not_applicable: u64,
    hardware_attested: u64,
}

/// Each device's last report with a day in `from..=to`, counted.
fn expected_summary(
    fleet: &[Virtual],
    from: Date,
    to: Date,
) -> (u64, u64, u64, BTreeMap<&'static str, Counts>) {
    let (mut devices, mut hardware, mut historical) = (0, 0, 0);
    let mut figures: BTreeMap<&'static str, Counts> = BTreeMap::new();
    for v in fleet {
        let Some(last) = v
            .sent
            .iter()
            .filter(|s| s.iat.date() >= from && s.iat.date() <= to)
            .max_by_key(|s| s.iat)
        else {
            continue;
        };
        devices += 1;
        hardware += u64::from(v.hardware);
        historical += u64::from(!last.current);
        for kind in FigureKind::ALL {
            let counts = figures.entry(kind.name()).or_default();
            let e = expect(&last.spec, kind, last.iat);
            match e {
                Expect::Pass => counts.pass += 1,
                Expect::Fail => counts.fail += 1,
                Expect::Grace(_) => {
                    counts.fail += 1;
                    counts.in_grace += 1;
                }
                Expect::Unknown => counts.unknown += 1,
                Expect::NotApplicable => counts.not_applicable += 1,
            }
            if e != Expect::NotApplicable {
                counts.devices += 1;
                counts.hardware_attested += u64::from(v.hardware);
            }
        }
    }
    for kind in FigureKind::ALL {
        figures.entry(kind.name()).or_default();
    }
    (devices, hardware, historical, figures)
}

fn assert_summary(what: &str, got: &Summary, fleet: &[Virtual], from: Date, to: Date) {
    let (devices, hardware, historical, figures) = expected_summary(fleet, from, to);
    assert_eq!(
        (got.devices, got.hardware_attested, got.historical),
        (devices, hardware, historical),
        "{what}"
    );
    assert_eq!(
        got.compliant + got.warning + got.non_compliant,
        devices,
        "{what}"
    );
    for f in &got.figures {
        let want = &figures[f.figure.name()];
        let have = Counts {
            devices: f.devices,
            pass: f.pass,
            fail: f.fail,
            in_grace: f.in_grace,
            unknown: f.unknown,
            not_applicable: f.not_applicable,
            hardware_attested: f.hardware_attested,
        };
        assert_eq!(&have, want, "{what}: {}", f.figure.name());
        let share = (want.pass + want.fail > 0).then(|| {
            let r = want.pass as f64 / (want.pass + want.fail) as f64;
            (r * 10_000.0).round() / 10_000.0
        });
        assert_eq!(f.pass_share, share, "{what}: {}", f.figure.name());
    }
}

/// An exception as the test expects it.
type ExceptionKey = (
    String,
    &'static str,
    ExceptionState,
    OffsetDateTime,
    OffsetDateTime,
    Option<OffsetDateTime>,
    Option<Date>,
);

/// Runs of consecutive reports (all of them, before the period too) in
/// which a device did not meet a rule, listed when shown in the period or
/// resolved inside it.
fn expected_exceptions(
    fleet: &[Virtual],
    start: OffsetDateTime,
    end: OffsetDateTime,
) -> Vec<ExceptionKey> {
    let mut out = Vec::new();
    for v in fleet {
        for kind in FigureKind::ALL {
            let mut open: Option<(OffsetDateTime, OffsetDateTime, Expect)> = None;
            let mut close = |run: (OffsetDateTime, OffsetDateTime, Expect),
                             resolved: Option<OffsetDateTime>| {
                let (since, last, e) = run;
                let shown = last >= start;
                let resolved_inside = resolved.is_some_and(|r| r >= start && r < end);
                if !(shown || resolved_inside) {
                    return;
                }
                let (state, deadline) = match e {
                    Expect::Fail => (ExceptionState::Fail, None),
                    Expect::Grace(d) => (ExceptionState::Grace, Some(d)),
                    Expect::Unknown => (ExceptionState::Unknown, None),
                    Expect::Pass | Expect::NotApplicable => unreachable!(),
                };
                out.push((
                    v.id.clone(),
                    kind.rule_name(),
                    state,
                    since,
                    last,
                    resolved,
                    deadline,
                ));
            };
            for s in v.sent.iter().filter(|s| s.iat < end) {
                match expect(&s.spec, kind, s.iat) {
                    Expect::Pass | Expect::NotApplicable => {
                        if let Some(run) = open.take() {
                            close(run, Some(s.iat));
                        }
                    }
                    e => {
                        open = Some(match open {
                            Some((since, _, _)) => (since, s.iat, e),
                            None => (s.iat, s.iat, e),
                        });
                    }
                }
            }
            if let Some(run) = open {
                close(run, None);
            }
        }
    }
    out.sort();
    out
}

trait RuleName {
    fn rule_name(self) -> &'static str;
}

impl RuleName for FigureKind {
    fn rule_name(self) -> &'static str {
        match self {
            FigureKind::SupportedOs => "os_version",
            FigureKind::Patched => "security_patch",
            FigureKind::Encrypted => "storage_encryption",
            FigureKind::Locked => "screen_lock",
        }
    }
}

fn rule_text(rule: agent_core::policy::RuleId) -> String {
    serde_json::to_value(rule)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_fleet_over_four_weeks_gives_exactly_the_expected_figures_weeks_and_exceptions() {
    let root = TestRoot::new();
    let c = start(&root);
    let t0 = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let fleet = fleet(&c, &root, t0);
    assert_eq!(fleet.len(), DEVICES);
    // From the day of checkpoint c1: c0's reports are before the period, so
    // they count nowhere but can open an exception that continues into it.
    // Tomorrow is included, in case the run crossed midnight.
    let from = t0.date() - Duration::days(20);
    let to = t0.date() + Duration::days(1);
    let query = format!("?from={from}&to={to}");
    let r = get_evidence(&c, &query, Some(c.collector().admin_token()));
    assert_eq!(r.status, 200, "{r:?}");
    let report: EvidenceReport = serde_json::from_slice(&r.body).unwrap();
    assert_eq!((report.from, report.to), (from, to));
    assert_eq!(report.grace_days, Some(14));
    assert_eq!(
        (report.policy.name.as_str(), report.policy.revision),
        ("evidence-test", 3)
    );

    assert_summary("period", &report.period, &fleet, from, to);
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
        assert_summary(&w.week, &w.summary, &fleet, w.from, w.to);
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
    let want = expected_exceptions(&fleet, start, end);
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

fn html_is_self_contained_and_well_formed(report: &EvidenceReport) {
    let html = render_html(report);
    let lower = html.to_ascii_lowercase();
    assert!(
        !lower.contains("http://") && !lower.contains("https://"),
        "a URL in the HTML"
    );
    for forbidden in [
        "<script", "<link", "<img", "<iframe", "src=", "href=", "@import", "url(",
    ] {
        assert!(!lower.contains(forbidden), "{forbidden} in the HTML");
    }
    assert!(lower.starts_with("<!doctype html>"));
    assert!(lower.contains("<html lang=\"en\">"));
    assert!(lower.contains("@media print"));
    assert!(lower.contains("<h1>") && lower.contains("<h2 id=\"trend\">"));
    assert!(lower.contains("<th scope=\"col\">"));
    // Five charts (the period and one per figure), each an image with a title and a description.
    assert_eq!(
        lower.matches("<svg role=\"img\" aria-labelledby=").count(),
        5
    );
    assert_eq!(lower.matches("<title id=").count(), 5);
    assert_eq!(lower.matches("<desc id=").count(), 5);
    check_well_formed(&html);
    for e in report.exceptions.iter().take(20) {
        assert!(html.contains(e.device_id.as_str()));
    }
}

/// Every element closed in order (the renderer writes XML-style markup),
/// every entity one of the five it uses.
fn check_well_formed(html: &str) {
    let body = html.strip_prefix("<!DOCTYPE html>\n").unwrap();
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        check_text(text);
        let close = rest[open..].find('>').unwrap() + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(top, name, "</{name}> closes <{top}>");
        } else if tag.ends_with('/') {
            continue;
        } else {
            let name = tag.split_whitespace().next().unwrap().to_owned();
            assert!(!name.is_empty());
            if name == "style" {
                let end = rest.find("</style>").unwrap();
                rest = &rest[end + "</style>".len()..];
                continue;
            }
            stack.push(name);
        }
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

fn check_text(text: &str) {
    assert!(!text.contains('>'), "a raw > in {text:?}");
    let mut parts = text.split('&');
    parts.next();
    for p in parts {
        assert!(
            ["amp;", "lt;", "gt;", "quot;", "#39;"]
                .iter()
                .any(|e| p.starts_with(e)),
            "a raw & in {text:?}"
        );
    }
}

/// Parses RFC 4180 CSV into records (quoted fields may hold commas,
/// quotes and line breaks); an empty line is an empty record.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                if !(record.is_empty() && field.is_empty()) {
                    record.push(std::mem::take(&mut field));
                }
                records.push(std::mem::take(&mut record));
            }
            _ => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && record.is_empty(),
        "CSV ends mid-record"
    );
    records
}

fn csv_round_trips(report: &EvidenceReport) {
    let csv = render_csv(report);
    let records = parse_csv(&csv);
    let tables: Vec<&[Vec<String>]> = records.split(|r| r.is_empty()).collect();
    assert_eq!(tables.len(), 4);
    for (table, (section, header)) in tables.iter().zip([
        ("report", "section,key,value"),
        ("summary", posture_collector::evidence::SUMMARY_HEADER),
        ("figure", posture_collector::evidence::FIGURE_HEADER),
        ("exception", posture_collector::evidence::EXCEPTION_HEADER),
    ]) {
        assert_eq!(table[0].join(","), header);
        let width = table[0].len();
        for row in &table[1..] {
            assert_eq!(row[0], section);
            assert_eq!(row.len(), width, "{row:?}");
        }
    }
    let value = |key: &str| {
        tables[0][1..]
            .iter()
            .find(|r| r[1] == key)
            .map(|r| r[2].clone())
            .unwrap()
    };
    assert_eq!(value("from"), report.from.to_string());
    assert_eq!(value("to"), report.to.to_string());
    assert_eq!(value("policy"), report.policy.name);
    assert_eq!(value("grace_days"), "14");
    assert_eq!(
        value("exceptions_total"),
        report.exceptions_total.to_string()
    );
    let scopes: Vec<(String, &Summary)> = std::iter::once(("period".to_owned(), &report.period))
        .chain(report.weeks.iter().map(|w| (w.week.clone(), &w.summary)))
        .collect();
    assert_eq!(tables[1].len() - 1, scopes.len());
    for (row, (scope, s)) in tables[1][1..].iter().zip(&scopes) {
        assert_eq!(&row[1], scope);
        let numbers: Vec<u64> = row[4..].iter().map(|n| n.parse().unwrap()).collect();
        assert_eq!(
            numbers,
            [
                s.devices,
                s.hardware_attested,
                s.historical,
                s.compliant,
                s.warning,
                s.non_compliant
            ]
        );
    }
    let figure_rows = &tables[2][1..];
    assert_eq!(figure_rows.len(), scopes.len() * 4);
    for (row, (scope, f)) in figure_rows.iter().zip(
        scopes
            .iter()
            .flat_map(|(scope, s)| s.figures.iter().map(move |f| (scope, f))),
    ) {
        assert_eq!((&row[1], row[2].as_str()), (scope, f.figure.name()));
        assert_eq!(row[3], rule_text(f.rule));
        let numbers: Vec<u64> = row[4..11].iter().map(|n| n.parse().unwrap()).collect();
        assert_eq!(
            numbers,
            [
                f.devices,
                f.pass,
                f.fail,
                f.in_grace,
                f.unknown,
                f.not_applicable,
                f.hardware_attested
            ]
        );
        let share = (!row[11].is_empty()).then(|| row[11].parse::<f64>().unwrap());
        assert_eq!(share, f.pass_share);
    }
    let exception_rows = &tables[3][1..];
    assert_eq!(exception_rows.len(), report.exceptions.len());
    let rfc3339 = time::format_description::well_known::Rfc3339;
    for (row, e) in exception_rows.iter().zip(&report.exceptions) {
        assert_eq!(row[1], e.device_id.as_str());
        assert_eq!(row[3], rule_text(e.rule));
        assert_eq!(row[4], e.state.name());
        assert_eq!(OffsetDateTime::parse(&row[5], &rfc3339).unwrap(), e.since);
        assert_eq!(
            OffsetDateTime::parse(&row[6], &rfc3339).unwrap(),
            e.last_seen
        );
        let resolved =
            (!row[7].is_empty()).then(|| OffsetDateTime::parse(&row[7], &rfc3339).unwrap());
        assert_eq!(resolved, e.resolved_at);
        assert_eq!(
            row[8],
            e.deadline.map(|d| d.to_string()).unwrap_or_default()
        );
        assert_eq!(row[9], e.observed);
    }
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
