//! From verdict to action, fleet-wide: the evidence test's 240 devices,
//! then three rounds of current reports in which devices go through grace
//! into failure and recover, or lose their screen lock and get it back.
//! A collector with a webhook receiver on loopback and a JSON-lines event
//! file must deliver exactly the events, OCSF records, compliance answers
//! and evidence figures computed here from what the test sent; then the
//! grace deadlines of the devices left in grace pass without a report,
//! and the deadline scan, run at chosen times, must announce exactly
//! those, once, while the answers turn to a block from each deadline day.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use agent_core::keys::DeviceSigner;
use agent_core::policy::Compliance;
use agent_core::protocol::{ComplianceAnswer, DeviceStatus, Freshness, ReportAck, paths};
use posture_collector::evidence::FigureKind;
use posture_collector::{
    EventOutput, EventsConfig, RunningCollector, WebhookEndpoint, WebhookSecret, gateway_score,
    spawn_local,
};
use serde_json::Value;
use time::{Date, Duration, OffsetDateTime};

use crate::chains::TestRoot;
use crate::common::Device;
use crate::events::{HecRequest, read_request};
use crate::evidence::assert_evidence;
use crate::evidence::expect::{Expect, expect};
use crate::evidence::fleet::{
    DEVICES, Sent, Spec, TRACKS, Virtual, config, fleet_with_devices, plan, report_token,
};
use crate::ocsf::assert_valid;
use crate::relying_party::{READER, get, parties};
use crate::webhooks::{SECRET, header, verify};

/// Rounds of current reports after the fleet's own.
const ROUNDS: usize = 3;

/// How long the deliveries may take at most before the test fails.
const DELIVERY_DEADLINE: StdDuration = StdDuration::from_secs(90);

/// A webhook receiver that takes every delivery on every connection,
/// records it and then answers 204, so a delivery the collector counts as
/// done is always recorded.
fn receiver() -> (String, Arc<Mutex<Vec<HecRequest>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/posture", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(s) = s else { return };
            let sink = sink.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(s.try_clone().unwrap());
                let mut w = s;
                while let Some(req) = read_request(&mut reader) {
                    sink.lock().unwrap().push(req);
                    let answered =
                        write!(w, "HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                            .and_then(|()| w.flush());
                    if answered.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, got)
}

/// What device `i` (hardware-attested or not) reports in `round`, given
/// the spec of its current report from the fleet; `None` when it stopped
/// reporting (its plan has no current report).
fn round_spec(i: usize, hardware: bool, round: usize, t0: OffsetDateTime) -> Option<Spec> {
    let (_, base) = plan(i, t0).into_iter().find(|(d, _)| d.is_none())?;
    let day = |d: i64| t0.date() - Duration::days(d);
    let spec = match (i % 3, round) {
        // Back to what it reported at first: it recovered.
        (_, 2) | (2, _) => base,
        // The patch ages past its maximum (grace), then past the grace.
        // A hardware-attested phone's patch level is the attested one, so
        // those lose their lock instead.
        (0, 0) if !hardware => Spec {
            patch: Some(day(40)),
            ..base
        },
        (0, _) if !hardware => Spec {
            patch: Some(day(50)),
            ..base
        },
        // The screen lock removed for two rounds.
        _ => Spec {
            lock: Some(false),
            ..base
        },
    };
    Some(spec)
}

/// The test's own reading of the policy (docs/policy.md section 9): any
/// failure fails the verdict, else any warning warns it; an unknown screen
/// lock fails, any other unknown fact warns. Also the earliest grace
/// deadline.
fn verdict_of(spec: &Spec, at: OffsetDateTime) -> (Compliance, Option<Date>) {
    let mut verdict = Compliance::Compliant;
    let mut deadline: Option<Date> = None;
    for kind in FigureKind::ALL {
        let outcome = match expect(spec, kind, at) {
            Expect::Pass | Expect::NotApplicable => Compliance::Compliant,
            Expect::Grace(d) => {
                deadline = Some(deadline.map_or(d, |e| e.min(d)));
                Compliance::Warning
            }
            Expect::Fail => Compliance::NonCompliant,
            Expect::Unknown if kind == FigureKind::Locked => Compliance::NonCompliant,
            Expect::Unknown => Compliance::Warning,
        };
        verdict = verdict.max(outcome);
    }
    (verdict, deadline)
}

fn name(c: Option<Compliance>) -> &'static str {
    match c {
        None => "none",
        Some(Compliance::Compliant) => "compliant",
        Some(Compliance::Warning) => "warning",
        Some(Compliance::NonCompliant) => "non_compliant",
    }
}

fn severity(c: Compliance) -> u64 {
    match c {
        Compliance::Compliant => 1,
        Compliance::Warning => 3,
        Compliance::NonCompliant => 4,
    }
}

/// The events each device should have caused, in order: its enrolment,
/// then for each current report a verdict finding when the verdict moved
/// and always a snapshot. Historical reports cause none.
fn expected_events(fleet: &[Virtual]) -> BTreeMap<String, Vec<String>> {
    fleet
        .iter()
        .map(|v| {
            let mut events = vec!["5001 enrolled sev 1".to_owned()];
            let mut before = None;
            for s in v.sent.iter().filter(|s| s.current) {
                let (now, _) = verdict_of(&s.spec, s.iat);
                if before != Some(now) {
                    events.push(format!(
                        "2003 {} -> {} sev {}",
                        name(before),
                        name(Some(now)),
                        severity(now)
                    ));
                }
                events.push(format!("5002 {} sev {}", name(Some(now)), severity(now)));
                before = Some(now);
            }
            (v.id.clone(), events)
        })
        .collect()
}

/// The grace deadline of device `v`'s patch rule, as its latest current
/// report left it: (the first day of the block, the event that announces
/// it once that day has begun). Only the patch rule has a deadline here.
fn patch_deadline(v: &Virtual) -> Option<(Date, String)> {
    let current: Vec<&Sent> = v.sent.iter().filter(|s| s.current).collect();
    let last = current.last()?;
    let Expect::Grace(deadline) = expect(&last.spec, FigureKind::Patched, last.iat) else {
        return None;
    };
    // Failing since the first current report of the trailing run that
    // did not pass the rule.
    let failing = |s: &Sent| {
        matches!(
            expect(&s.spec, FigureKind::Patched, s.iat),
            Expect::Grace(_) | Expect::Fail
        )
    };
    let since = current
        .iter()
        .rev()
        .take_while(|s| failing(s))
        .last()
        .map(|s| s.iat.date())?;
    Some((
        deadline,
        format!(
            "2003 grace-deadline security_patch since {since} blocked from {deadline} -> non_compliant sev 4"
        ),
    ))
}

/// An OCSF record as (device, what it says), checking it on the way.
fn event_key(e: &Value) -> (String, String) {
    assert_valid(e);
    let device = e["device"]["uid"].as_str().unwrap().to_owned();
    let u = &e["unmapped"];
    let s = |v: &Value| v.as_str().unwrap().to_owned();
    let what = match e["class_uid"].as_u64().unwrap() {
        5001 => format!("5001 {}", s(&u["lifecycle"])),
        2003 if e["finding_info"]["types"][0] == "grace-deadline" => format!(
            "2003 grace-deadline {} since {} blocked from {} -> {}",
            s(&u["rule"]),
            s(&u["failing_since"]),
            s(&u["deadline"]),
            s(&u["compliance"])
        ),
        2003 => format!(
            "2003 {} -> {}",
            s(&u["previous_compliance"]),
            s(&u["compliance"])
        ),
        5002 => format!("5002 {}", s(&u["compliance"])),
        other => panic!("unexpected class {other}: {e}"),
    };
    (device, format!("{what} sev {}", e["severity_id"]))
}

/// The collector's answer for a device, by id and by thumbprint (which
/// must agree but for when each was checked).
fn answers(c: &RunningCollector, device: &Device) -> ComplianceAnswer {
    let by_id = get(
        c,
        &format!("/v1/devices/{}/compliance", device.id),
        Some(READER),
    );
    assert_eq!(by_id.status, 200, "{by_id:?}");
    let by_id: ComplianceAnswer = serde_json::from_slice(&by_id.body).unwrap();
    let jkt = device.signer.kid().unwrap();
    let by_jkt = get(c, &format!("{}?jkt={jkt}", paths::COMPLIANCE), Some(READER));
    assert_eq!(by_jkt.status, 200, "{by_jkt:?}");
    let by_jkt: ComplianceAnswer = serde_json::from_slice(&by_jkt.body).unwrap();
    assert_eq!(by_id.jkt, jkt);
    assert_eq!(
        ComplianceAnswer {
            checked_at: by_id.checked_at,
            ..by_jkt
        },
        by_id
    );
    by_id
}

/// Sends round `round` of current reports, four devices at a time.
fn send_round(
    c: &RunningCollector,
    fleet: &mut [(Virtual, Device)],
    round: usize,
    t0: OffsetDateTime,
) {
    let workers = 4;
    std::thread::scope(|s| {
        for (w, chunk) in fleet.chunks_mut(DEVICES.div_ceil(workers)).enumerate() {
            s.spawn(move || {
                for (n, (v, device)) in chunk.iter_mut().enumerate() {
                    let i = w * DEVICES.div_ceil(workers) + n;
                    let Some(spec) = round_spec(i, v.hardware, round, t0) else {
                        continue;
                    };
                    // A second later than the device's last report at the
                    // least, so its reports keep their order.
                    let last = v.sent.iter().map(|s| s.iat).max().unwrap();
                    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
                    let iat = now.max(last + Duration::seconds(1));
                    let token = report_token(device, &spec, &device.nonce, iat);
                    let r = device.send(c, &token);
                    assert_eq!(r.status, 201, "device {i} round {round}: {r:?}");
                    let ack: ReportAck = serde_json::from_slice(&r.body).unwrap();
                    assert_eq!(ack.freshness, Freshness::Current, "device {i}");
                    device.nonce = ack.nonce;
                    v.sent.push(Sent {
                        iat,
                        spec,
                        current: true,
                    });
                }
            });
        }
    });
}

#[test]
fn a_fleet_through_grace_failure_and_recovery_gives_exactly_the_expected_actions() {
    let root = TestRoot::new();
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("events.jsonl");
    let (url, hooks) = receiver();
    let mut cfg = config(&root);
    cfg.relying_parties = parties();
    cfg.events = EventsConfig {
        outputs: vec![EventOutput::JsonLines(jsonl.clone())],
        webhooks: vec![WebhookEndpoint {
            url,
            secret: WebhookSecret::parse(SECRET).unwrap(),
            name: None,
        }],
        ..EventsConfig::default()
    };
    let c = spawn_local(cfg).unwrap();
    let t0 = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let mut fleet = fleet_with_devices(&c, &root, t0);
    assert_eq!(fleet.len(), DEVICES);
    for round in 0..ROUNDS {
        send_round(&c, &mut fleet, round, t0);
    }
    let virtuals: Vec<Virtual> = fleet.iter().map(|(v, _)| v.clone()).collect();
    let mut want = expected_events(&virtuals);
    let total: usize = want.values().map(Vec::len).sum();

    // Every device's stories are among them.
    let all: Vec<&String> = want.values().flatten().collect();
    for story in [
        "2003 compliant -> warning",
        "2003 warning -> non_compliant",
        "2003 non_compliant -> compliant",
        "2003 compliant -> non_compliant",
    ] {
        assert!(all.iter().any(|e| e.starts_with(story)), "{story}");
    }

    // The deliveries, waited for with a bounded deadline.
    let started = Instant::now();
    let unique = || {
        hooks
            .lock()
            .unwrap()
            .iter()
            .map(|r| header(r, "webhook-id").to_owned())
            .collect::<BTreeSet<_>>()
            .len()
    };
    // The receiver keeps a request before it answers: wait for the
    // collector to record the last answer too.
    let recorded = || c.collector().webhook_status().unwrap()[0].delivered;
    while unique() < total || recorded() < total as u64 {
        assert!(
            started.elapsed() < DELIVERY_DEADLINE,
            "{} of {total} webhook deliveries, {} recorded",
            unique(),
            recorded()
        );
        std::thread::sleep(StdDuration::from_millis(20));
    }
    let status = c.collector().webhook_status().unwrap();
    assert_eq!(
        (status[0].delivered, status[0].pending, status[0].failed),
        (total as u64, 0, 0)
    );

    // Answers and evidence, read before the collector stops.
    for (i, (v, device)) in fleet.iter().enumerate() {
        let a = answers(&c, device);
        assert_eq!(a.device_id.as_str(), v.id);
        let last = v.sent.iter().rfind(|s| s.current);
        match last {
            None => {
                assert_eq!(i % TRACKS, 5, "only track 5 stopped");
                assert_eq!(a.status, DeviceStatus::Stale, "{}", v.id);
                assert_eq!((a.compliance, a.grace_deadline), (None, None));
            }
            Some(s) => {
                let (verdict, deadline) = verdict_of(&s.spec, s.iat);
                let status = match verdict {
                    Compliance::Compliant => DeviceStatus::Compliant,
                    Compliance::Warning => DeviceStatus::Warning,
                    Compliance::NonCompliant => DeviceStatus::NonCompliant,
                };
                assert_eq!(
                    (a.status, a.compliance, a.grace_deadline),
                    (status, Some(verdict), deadline),
                    "{}",
                    v.id
                );
                assert_eq!(
                    a.assurance.map(|l| l.name() == "self-reported"),
                    Some(!v.hardware),
                    "{}",
                    v.id
                );
            }
        }
    }
    assert_evidence(&c, &virtuals, t0);

    // Grace deadlines passing with no report since: the devices left in
    // their patch grace. Scanned first at the earliest deadline's day, so
    // the later ones are not due yet, then at the latest's.
    let deadlines: BTreeMap<&str, (Date, String)> = virtuals
        .iter()
        .filter_map(|v| Some((v.id.as_str(), patch_deadline(v)?)))
        .collect();
    let days: BTreeSet<Date> = deadlines.values().map(|(d, _)| *d).collect();
    assert!(days.len() >= 2, "deadlines on more than one day: {days:?}");
    let (first, latest) = (*days.first().unwrap(), *days.last().unwrap());
    let midnight = |d: Date| d.midnight().assume_utc();
    // Long enough for no report to go stale by the latest deadline.
    let stale = Some(u64::try_from((midnight(latest) - t0).whole_seconds()).unwrap() + 86_400);
    let mut announced = 0;
    let mut blocked_answers = 0;
    for at in [
        midnight(first) - Duration::seconds(1),
        midnight(first),
        midnight(latest),
    ] {
        let due: Vec<&str> = deadlines
            .iter()
            .filter(|(_, (d, _))| midnight(*d) <= at)
            .map(|(id, _)| *id)
            .collect();
        let scanned = c.collector().scan_grace_deadlines(at).unwrap();
        assert_eq!(scanned, due.len() - announced, "scan at {at}");
        announced = due.len();
        // The answers at that time: a warning whose deadline passed
        // blocks; every other device answers as before.
        for v in &virtuals {
            let a = c
                .collector()
                .compliance_answer_at(&v.id, stale, at)
                .unwrap()
                .unwrap();
            let Some(s) = v.sent.iter().rfind(|s| s.current) else {
                assert_eq!(a.status, DeviceStatus::Stale, "{}", v.id);
                continue;
            };
            let (verdict, deadline) = verdict_of(&s.spec, s.iat);
            let blocked =
                verdict == Compliance::Warning && deadline.is_some_and(|d| midnight(d) <= at);
            blocked_answers += usize::from(blocked);
            let want_status = match verdict {
                _ if blocked => DeviceStatus::NonCompliant,
                Compliance::Compliant => DeviceStatus::Compliant,
                Compliance::Warning => DeviceStatus::Warning,
                Compliance::NonCompliant => DeviceStatus::NonCompliant,
            };
            assert_eq!(
                (a.status, a.grace_deadline, a.checked_at),
                (want_status, deadline, at),
                "{} at {at}",
                v.id
            );
            assert_eq!(
                gateway_score(Some(&a)) == 0,
                blocked || verdict == Compliance::NonCompliant
            );
        }
    }
    assert!(blocked_answers > 0, "some warnings turned to blocks");
    // Their webhook rows wait in the queue until the block's start (the
    // event's time), days ahead of this run's clock: queued, not sent.
    let status = c.collector().webhook_status().unwrap();
    assert_eq!(
        (status[0].delivered, status[0].pending, status[0].failed),
        (total as u64, deadlines.len() as u64, 0)
    );
    let hooked_want = want.clone();
    for (id, (_, event)) in &deadlines {
        want.get_mut(*id).unwrap().push(event.clone());
    }
    // Stopping flushes the JSON-lines file.
    drop(c);

    // Webhooks: signed, the id the OCSF event's, each id once after
    // deduplication (a repeat is byte for byte the same).
    let got = std::mem::take(&mut *hooks.lock().unwrap());
    let mut by_id: BTreeMap<String, &HecRequest> = BTreeMap::new();
    for r in &got {
        assert_eq!(r.line, "POST /hooks/posture HTTP/1.1");
        verify(r);
        let id = header(r, "webhook-id").to_owned();
        if let Some(first) = by_id.insert(id, r) {
            assert_eq!(first.body, r.body);
        }
    }
    let mut hooked: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, r) in &by_id {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["metadata"]["uid"], id.as_str());
        let (device, what) = event_key(&body);
        hooked.entry(device).or_default().push(what);
    }
    let sorted = |m: &BTreeMap<String, Vec<String>>| -> BTreeMap<String, Vec<String>> {
        m.iter()
            .map(|(k, v)| {
                let mut v = v.clone();
                v.sort();
                (k.clone(), v)
            })
            .collect()
    };
    assert_eq!(sorted(&hooked), sorted(&hooked_want));

    // The file: the same events, each device's in the order they happened.
    let lines: Vec<Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), total + deadlines.len());
    let mut filed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in &lines {
        let (device, what) = event_key(e);
        filed.entry(device).or_default().push(what);
    }
    assert_eq!(filed, want);
    let file_ids: BTreeSet<&str> = lines
        .iter()
        .map(|e| e["metadata"]["uid"].as_str().unwrap())
        .collect();
    let hook_ids: BTreeSet<&str> = by_id.keys().map(String::as_str).collect();
    assert!(
        file_ids.is_superset(&hook_ids),
        "both outputs carry the same events"
    );
    assert_eq!(file_ids.len(), hook_ids.len() + deadlines.len());
}
