//! Several collectors on one PostgreSQL database, each with its own pool,
//! key cache and delivery thread, as separate processes would have: the
//! failure history a warn-then-block rule counts from, the security events
//! and the webhook deliveries are decided in the database, not in one
//! process's memory. Run with `POSTURE_TEST_POSTGRES_URL` (for example
//! under `scripts/with-postgres`); without it each test says so and passes.

use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_core::policy::{Compliance, Outcome, Policy, PolicyFormat, RuleId};
use agent_core::protocol::ReportAck;
use posture_collector::{
    CollectorConfig, EventOutput, EventsConfig, PostgresUrl, RunningCollector, WebhookEndpoint,
    WebhookSecret, spawn_local,
};
use serde_json::Value;
use time::{Duration as Days, OffsetDateTime};

use crate::common::*;
use crate::events::{HecRequest, read_request};
use crate::ocsf::assert_valid;
use crate::webhooks::{SECRET, header, verify};

fn database() -> Option<PostgresUrl> {
    let url = fresh_postgres_database();
    if url.is_none() {
        eprintln!("no POSTURE_TEST_POSTGRES_URL: nothing to run several collectors against");
    }
    url
}

/// A collector on `url` with `tweak` applied to the suite's settings.
fn on(url: &PostgresUrl, tweak: impl FnOnce(&mut CollectorConfig)) -> RunningCollector {
    let mut config = CollectorConfig {
        postgres: Some(url.clone()),
        ..config()
    };
    tweak(&mut config);
    spawn_local(config).unwrap()
}

const GRACE: &str = r#"
schema_version = 1
name = "grace"
revision = 1
[rules.screen_lock]
unknown = "fail"
strategy = "warn-then-block"
grace_days = 3
[rules.storage_encryption]
unknown = "warn"
"#;

fn lock(ack: &ReportAck) -> &agent_core::policy::Finding {
    ack.verdict
        .findings
        .iter()
        .find(|f| f.rule == RuleId::ScreenLock)
        .unwrap()
}

#[test]
fn warn_then_block_counts_from_a_failure_recorded_through_another_collector() {
    let Some(url) = database() else { return };
    let grace = |c: &mut CollectorConfig| {
        c.policy = Policy::parse(GRACE, PolicyFormat::Toml).unwrap();
    };
    let (a, b) = (on(&url, grace), on(&url, grace));
    let today = OffsetDateTime::now_utc().date();
    let mut d = Device::enrol(&a);

    // The first failing current report, through A: a warning, the block
    // in three days, and the start stored in the database.
    let first = d.check_in(&a, Shape::NonCompliant);
    assert_eq!(lock(&first).outcome, Outcome::Warn, "{first:#?}");
    assert_eq!(lock(&first).deadline, Some(today + Days::days(3)));
    let since = pg_query(
        &url,
        &format!(
            "SELECT since FROM rule_failures WHERE device_id = '{}' AND rule = 'screen_lock'",
            d.id
        ),
    );
    assert_eq!(since.len(), 1);
    assert!((OffsetDateTime::now_utc().unix_timestamp() - since[0]).abs() < 600);

    // Moved back five days in the table (as if A had stored that failure
    // then): B, which never saw this device fail, counts from it and blocks.
    pg_query(
        &url,
        "UPDATE rule_failures SET since = since - 5 * 86400 RETURNING 0",
    );
    let blocked = d.check_in(&b, Shape::NonCompliant);
    assert_eq!(lock(&blocked).outcome, Outcome::Fail, "{blocked:#?}");
    assert_eq!(lock(&blocked).deadline, None);
    assert_eq!(blocked.verdict.compliance, Compliance::NonCompliant);

    // A pass through B clears the row; A, which stored the failure, sees
    // the next one as fresh again (its memory is no authority).
    d.check_in(&b, Shape::Compliant);
    assert_eq!(pg_query(&url, "SELECT count(*) FROM rule_failures"), [0]);
    let again = d.check_in(&a, Shape::NonCompliant);
    assert_eq!(lock(&again).outcome, Outcome::Warn, "{again:#?}");
    assert_eq!(lock(&again).deadline, Some(today + Days::days(3)));
}

/// The OCSF events of a JSON lines file.
fn events_in(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn each_event_is_emitted_once_by_the_collector_that_stored_the_change() {
    let Some(url) = database() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name);
    let with_file = |name: &str| {
        let path = file(name);
        move |c: &mut CollectorConfig| {
            c.events = EventsConfig {
                outputs: vec![EventOutput::JsonLines(path)],
                ..EventsConfig::default()
            };
        }
    };
    let (a, b) = (
        on(&url, with_file("a.jsonl")),
        on(&url, with_file("b.jsonl")),
    );
    let mut d = Device::enrol(&a);
    let stale = d.nonce.clone();
    d.check_in(&b, Shape::NonCompliant);
    // The same report through both: stored once (by A), answered again by B.
    let token = d.token(Shape::Compliant);
    let stored = d.send(&a, &token);
    assert_eq!(stored.status, 201, "{stored:?}");
    let resent = d.send(&b, &token);
    assert_eq!(resent.status, 200, "{resent:?}");
    // A historical report changes no verdict.
    let old = d.send(
        &b,
        &d.token_at(Shape::NonCompliant, &stale, OffsetDateTime::now_utc()),
    );
    assert_eq!(old.status, 201, "{old:?}");
    drop((a, b));

    let (from_a, from_b) = (events_in(&file("a.jsonl")), events_in(&file("b.jsonl")));
    for e in from_a.iter().chain(&from_b) {
        assert_valid(e);
        assert_eq!(e["device"]["uid"], d.id.as_str());
    }
    let kinds = |events: &[Value]| -> Vec<(u64, String)> {
        events
            .iter()
            .map(|e| {
                (
                    e["class_uid"].as_u64().unwrap(),
                    e["activity_name"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let ids: Vec<&str> = from_a
        .iter()
        .chain(&from_b)
        .map(|e| e["metadata"]["uid"].as_str().unwrap())
        .collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "an event came twice: {ids:?}");
    // A: the enrolment, and its report's verdict change and snapshot.
    // B: its report's verdict change (the first) and snapshot.
    assert_eq!(from_a.len(), 3, "{:?}", kinds(&from_a));
    assert_eq!(from_b.len(), 2, "{:?}", kinds(&from_b));
}

/// A webhook receiver serving every connection at once (each collector
/// keeps its own): the first request overall is answered 500, the rest
/// 204. It tells `done` when `want` distinct events got a 2xx, and stops
/// at a request for `/stop`.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<(u16, HecRequest)>>>,
    stop: String,
}

impl Receiver {
    fn start(want: usize, done: Sender<()>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let got: Arc<Mutex<Vec<(u16, HecRequest)>>> = Arc::default();
        let served = Arc::new(AtomicUsize::new(0));
        let shared = got.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let stream = stream.unwrap();
                let (got, served, done) = (shared.clone(), served.clone(), done.clone());
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let Some(first) = read_request(&mut reader) else {
                    continue;
                };
                if first.line.starts_with("POST /stop") {
                    return;
                }
                std::thread::spawn(move || {
                    let mut w = stream;
                    let mut next = Some(first);
                    while let Some(req) = next {
                        let status = if served.fetch_add(1, Ordering::SeqCst) == 0 {
                            500
                        } else {
                            204
                        };
                        let mut list = got.lock().unwrap();
                        list.push((status, req));
                        let ok: std::collections::BTreeSet<&str> = list
                            .iter()
                            .filter(|(s, _)| *s == 204)
                            .map(|(_, r)| header(r, "webhook-id"))
                            .collect();
                        if ok.len() == want {
                            let _ = done.send(());
                        }
                        drop(list);
                        write!(w, "HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n").unwrap();
                        w.flush().unwrap();
                        next = read_request(&mut reader);
                    }
                });
            }
        });
        Receiver {
            url: format!("http://{addr}/hooks/posture"),
            got,
            stop: format!("{addr}"),
        }
    }

    /// Stops accepting; what was received.
    fn stop(self) -> Vec<(u16, HecRequest)> {
        let mut s = TcpStream::connect(&self.stop).unwrap();
        write!(s, "POST /stop HTTP/1.1\r\ncontent-length: 0\r\n\r\n").unwrap();
        drop(s);
        std::mem::take(&mut *self.got.lock().unwrap())
    }
}

#[test]
fn two_collectors_deliver_each_webhook_once_and_count_the_failed_attempt() {
    let Some(url) = database() else { return };
    const DEVICES: usize = 6;
    // Per device: its enrolment, its first verdict and its snapshot.
    let want = DEVICES * 3;
    let (done, finished) = channel();
    let receiver = Receiver::start(want, done);
    let endpoint = WebhookEndpoint {
        url: receiver.url.clone(),
        secret: WebhookSecret::parse(SECRET).unwrap(),
        name: None,
    };
    let hooked = |c: &mut CollectorConfig| {
        c.events = EventsConfig {
            webhooks: vec![endpoint.clone()],
            webhook_first_backoff: Duration::from_millis(20),
            ..EventsConfig::default()
        };
    };
    let cs = [on(&url, hooked), on(&url, hooked)];
    for i in 0..DEVICES {
        let mut d = Device::enrol(&cs[i % 2]);
        d.check_in(&cs[(i + 1) % 2], Shape::Warning);
    }
    finished
        .recv_timeout(Duration::from_secs(120))
        .expect("every event delivered");
    let failed: f64 = cs
        .iter()
        .map(|c| {
            crate::ops::scrape(c).value(&format!(
                "posture_collector_webhook_attempts_failed_total{{endpoint=\"{}\"}}",
                endpoint.id()
            ))
        })
        .sum();
    // Dropped, the collectors finish any send under way and record it.
    drop(cs);
    let got = receiver.stop();
    // The status as any collector on the database reads it, even one
    // without webhooks configured (the endpoint is then shown by id only).
    let status = posture_collector::Collector::open(CollectorConfig {
        postgres: Some(url.clone()),
        ..config()
    })
    .unwrap()
    .webhook_status()
    .unwrap();

    let mut by_id: BTreeMap<String, Vec<u16>> = BTreeMap::new();
    for (status, r) in &got {
        verify(r);
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_valid(&body);
        assert_eq!(header(r, "webhook-id"), body["metadata"]["uid"]);
        by_id
            .entry(header(r, "webhook-id").to_owned())
            .or_default()
            .push(*status);
    }
    assert_eq!(by_id.len(), want, "{by_id:?}");
    let retried: Vec<_> = by_id.values().filter(|s| s.len() > 1).collect();
    assert_eq!(retried, [&vec![500, 204]], "{by_id:?}");
    assert!(
        by_id
            .values()
            .all(|s| s.iter().filter(|&&x| x == 204).count() == 1),
        "a delivery was made twice: {by_id:?}"
    );
    assert_eq!(failed, 1.0);
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].endpoint_id, endpoint.id());
    assert_eq!(status[0].url, None);
    assert_eq!(
        (status[0].delivered, status[0].pending, status[0].failed),
        (want as u64, 0, 0)
    );
    assert_eq!(status[0].last_error.as_deref(), Some("answered 500"));
    assert_eq!(
        pg_query(
            &url,
            "SELECT count(*) FROM webhook_deliveries WHERE delivered_at_ms IS NOT NULL"
        ),
        [want as i64]
    );
}

/// Each request's connection number and `webhook-id`, in arrival order.
type Log = Arc<Mutex<Vec<(usize, String)>>>;

/// A receiver that holds the first request it gets (unanswered) until
/// `release` is sent, and answers every other at once with 204. It reports
/// each request's connection number and `webhook-id` on `seen`.
fn holding_receiver(seen: Sender<(usize, String)>) -> (String, Sender<()>, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/posture", listener.local_addr().unwrap());
    let (release, released) = channel::<()>();
    let released = Arc::new(Mutex::new(released));
    let got: Log = Arc::default();
    let log = got.clone();
    std::thread::spawn(move || {
        let first = Arc::new(AtomicUsize::new(0));
        for (conn, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { return };
            let (seen, released, log, first) =
                (seen.clone(), released.clone(), log.clone(), first.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut w = stream;
                while let Some(req) = read_request(&mut reader) {
                    let id = header(&req, "webhook-id").to_owned();
                    log.lock().unwrap().push((conn, id.clone()));
                    let _ = seen.send((conn, id));
                    if first.fetch_add(1, Ordering::SeqCst) == 0 {
                        let _ = released.lock().unwrap().recv();
                    }
                    if write!(w, "HTTP/1.1 204 X\r\ncontent-length: 0\r\n\r\n").is_err() {
                        return;
                    }
                    let _ = w.flush();
                }
            });
        }
    });
    (url, release, got)
}

#[test]
fn a_delivery_one_collector_is_sending_is_skipped_by_another_which_sends_the_rest() {
    let Some(url) = database() else { return };
    let (seen_tx, seen) = channel();
    let (hook, release, got) = holding_receiver(seen_tx);
    let endpoint = WebhookEndpoint {
        url: hook,
        secret: WebhookSecret::parse(SECRET).unwrap(),
        name: None,
    };
    let hooked = |c: &mut CollectorConfig| {
        c.events = EventsConfig {
            webhooks: vec![endpoint.clone()],
            ..EventsConfig::default()
        };
    };
    let wait = || seen.recv_timeout(Duration::from_secs(60)).unwrap();
    let a = on(&url, hooked);
    // The enrolment's event: A claims it and is left waiting on the
    // receiver, holding the row.
    let mut d = Device::enrol(&a);
    let (held_conn, held) = wait();
    // Two more events queued while A's thread is busy.
    d.check_in(&a, Shape::Warning);
    // B starts and sends what is due: the two later rows, not the held one
    // (older, so B would have taken it first had it not been locked).
    let b = on(&url, hooked);
    let later = [wait(), wait()];
    for (conn, id) in &later {
        assert_ne!(*conn, held_conn, "B sent on A's connection?");
        assert_ne!(*id, held, "the held delivery was sent twice");
    }
    // A gets its answer and records it; nobody sends that row again.
    release.send(()).unwrap();
    drop((a, b));
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(
        got.iter().filter(|(_, id)| *id == held).count(),
        1,
        "{got:?}"
    );
    assert_eq!(
        pg_query(
            &url,
            "SELECT count(*) FROM webhook_deliveries WHERE delivered_at_ms IS NOT NULL AND attempts = 1"
        ),
        [3]
    );
}

#[test]
fn a_passed_grace_deadline_is_announced_once_by_collectors_scanning_together() {
    let Some(url) = database() else { return };
    let dir = tempfile::tempdir().unwrap();
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let nobody = format!("http://{}/hooks", dead.local_addr().unwrap());
    drop(dead);
    let setup = |name: &str| {
        let path = dir.path().join(name);
        let nobody = nobody.clone();
        move |c: &mut CollectorConfig| {
            c.policy = Policy::parse(GRACE, PolicyFormat::Toml).unwrap();
            c.events = EventsConfig {
                outputs: vec![EventOutput::JsonLines(path)],
                webhooks: vec![WebhookEndpoint {
                    url: nobody,
                    secret: WebhookSecret::parse(SECRET).unwrap(),
                    name: None,
                }],
                // The queue is counted, not delivered.
                webhook_first_backoff: Duration::from_secs(3600),
                ..EventsConfig::default()
            };
        }
    };
    let (a, b) = (on(&url, setup("a.jsonl")), on(&url, setup("b.jsonl")));
    let mut d = Device::enrol(&a);
    let deadline = lock(&d.check_in(&a, Shape::NonCompliant)).deadline.unwrap();
    let blocked_from = deadline.midnight().assume_utc();

    // Both scan at once, each several times, from the block's first second.
    let scans: usize = std::thread::scope(|s| {
        let handles: Vec<_> = [&a, &b, &a, &b]
            .into_iter()
            .map(|c| s.spawn(move || c.collector().scan_grace_deadlines(blocked_from).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(
        scans, 1,
        "one scan announces the deadline, the others find it made"
    );
    assert_eq!(
        pg_query(&url, "SELECT count(*) FROM grace_deadline_events"),
        [1]
    );
    drop((a, b));

    let announced: Vec<Value> = events_in(&dir.path().join("a.jsonl"))
        .into_iter()
        .chain(events_in(&dir.path().join("b.jsonl")))
        .filter(|e| e["unmapped"]["verdict"] == "block")
        .collect();
    assert_eq!(announced.len(), 1, "{announced:#?}");
    let e = &announced[0];
    assert_valid(e);
    assert_eq!(e["class_uid"], 2003);
    assert_eq!(e["device"]["uid"], d.id.as_str());
    assert_eq!(e["unmapped"]["deadline"], deadline.to_string());
    let id = e["metadata"]["uid"].as_str().unwrap();
    assert_eq!(
        pg_query(
            &url,
            &format!("SELECT count(*) FROM webhook_deliveries WHERE event_id = '{id}'")
        ),
        [1]
    );
}

/// Two devices' reports carrying one `jti`, raced through two collectors
/// round after round: one of each pair is stored, the other is refused as
/// a replay and changes nothing (not even its device's nonce, whether it
/// lost on the stored report or on the unique key while both were in
/// flight).
#[test]
fn one_jti_raced_from_two_devices_is_stored_once_and_the_loser_changes_nothing() {
    use agent_core::token::{Claims, sign};
    let Some(url) = database() else { return };
    let collectors = [on(&url, |_| {}), on(&url, |_| {})];
    let mut devices = [Device::enrol(&collectors[0]), Device::enrol(&collectors[1])];
    const ROUNDS: usize = 20;
    for round in 0..ROUNDS {
        let now = OffsetDateTime::now_utc();
        let claims = devices.each_ref().map(|d| {
            let p = posture(Shape::Compliant);
            let v = agent_core::evaluate(&p, &test_policy(), now);
            Claims::new(d.nonce.clone(), &d.device_id(), p, v, now).unwrap()
        });
        let jti = claims[0].jti.clone();
        let tokens = [0, 1].map(|i| {
            let mut c = claims[i].clone();
            c.jti = jti.clone();
            sign(&c, &devices[i].signer).unwrap()
        });
        // Each device through the collector the other enrolled.
        let answers = std::thread::scope(|s| {
            let sent = [0, 1].map(|i| {
                let (d, c, t) = (&devices[i], &collectors[1 - i], &tokens[i]);
                s.spawn(move || d.send(c, t))
            });
            sent.map(|h| h.join().unwrap())
        });
        let stored: Vec<usize> = (0..2).filter(|&i| answers[i].status == 201).collect();
        assert_eq!(stored.len(), 1, "round {round}: {answers:?}");
        let (won, lost) = (stored[0], 1 - stored[0]);
        assert_problem(&answers[lost], 409, "replayed-token");
        let ack: ReportAck = serde_json::from_slice(&answers[won].body).unwrap();
        assert_eq!(ack.jti, jti);
        devices[won].nonce = ack.nonce;
        // The loser's nonce is still its latest: its next report is current.
        let ack = devices[lost].check_in(&collectors[won], Shape::Compliant);
        assert_eq!(
            ack.freshness,
            agent_core::protocol::Freshness::Current,
            "round {round}"
        );
    }
    assert_eq!(
        collectors[0].collector().report_count().unwrap(),
        2 * ROUNDS as u64
    );
    assert_eq!(
        pg_query(&url, "SELECT count(*) FROM report_assessments"),
        [2 * ROUNDS as i64]
    );
}
