//! A `warn-then-block` rule's grace deadline that passes without a report:
//! the collector's scan announces it once per (device, rule, failure
//! start), to the outputs and the webhook queue, and never again, not
//! after a restart either (docs/events.md). The scan is driven with the
//! `now` each step wants: no waiting on a clock.

use std::path::Path;
use std::time::Duration;

use agent_core::policy::{Compliance, Outcome, Policy, PolicyFormat, RuleId};
use agent_core::protocol::{DeviceStatus, ReportAck};
use posture_collector::{
    CollectorConfig, EventOutput, EventsConfig, RunningCollector, WebhookEndpoint, WebhookSecret,
    gateway_score, spawn_local,
};
use serde_json::Value;
use time::{Date, OffsetDateTime};

use crate::common::*;
use crate::ocsf::assert_valid;
use crate::webhooks::SECRET;

const POLICY: &str = r#"
schema_version = 1
name = "grace"
revision = 1
[rules.screen_lock]
unknown = "warn"
strategy = "warn-then-block"
grace_days = 3
[rules.storage_encryption]
unknown = "warn"
strategy = "notify-only"
"#;

/// A collector on `db` with a JSON-lines output in `dir` and a webhook
/// endpoint nobody answers (its rows wait an hour between attempts, so
/// the queue can be counted).
fn start(dir: &Path, db: &Path) -> RunningCollector {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = dead.local_addr().unwrap();
    drop(dead);
    spawn_local(CollectorConfig {
        db_path: Some(db.to_owned()),
        policy: Policy::parse(POLICY, PolicyFormat::Toml).unwrap(),
        events: EventsConfig {
            outputs: vec![EventOutput::JsonLines(dir.join("events.jsonl"))],
            webhooks: vec![WebhookEndpoint {
                url: format!("http://{addr}/hooks"),
                secret: WebhookSecret::parse(SECRET).unwrap(),
                name: None,
            }],
            webhook_first_backoff: Duration::from_secs(3600),
            ..EventsConfig::default()
        },
        ..CollectorConfig::default()
    })
    .unwrap()
}

fn lock_deadline(ack: &ReportAck) -> Date {
    let f = ack
        .verdict
        .findings
        .iter()
        .find(|f| f.rule == RuleId::ScreenLock)
        .unwrap();
    assert_eq!(f.outcome, Outcome::Warn, "{f:?}");
    f.deadline.unwrap()
}

fn midnight(d: Date) -> OffsetDateTime {
    d.midnight().assume_utc()
}

/// The grace deadline events written to the JSON-lines file.
fn deadline_events(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("events.jsonl")).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["finding_info"]["types"][0] == "grace-deadline")
        .collect()
}

/// The grace deadline events queued for the webhook endpoint.
fn queued_deadline_events(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut st = conn
        .prepare("SELECT event_id FROM webhook_deliveries WHERE body LIKE '%grace-deadline%'")
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_deadline_passing_without_a_report_is_announced_once_even_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite3");
    let c = start(dir.path(), &db);
    let mut d = Device::enrol(&c);
    let deadline = lock_deadline(&d.check_in(&c, Shape::NonCompliant));
    let scan =
        |c: &RunningCollector, at: OffsetDateTime| c.collector().scan_grace_deadlines(at).unwrap();

    // The last second of grace: nothing yet.
    assert_eq!(scan(&c, midnight(deadline) - time::Duration::seconds(1)), 0);
    // The block's first second: one event; the next scans find it made.
    assert_eq!(scan(&c, midnight(deadline)), 1);
    assert_eq!(scan(&c, midnight(deadline) + time::Duration::minutes(1)), 0);
    drop(c);

    // A restart does not repeat it, however late the scan.
    let c = start(dir.path(), &db);
    assert_eq!(scan(&c, midnight(deadline) + time::Duration::days(30)), 0);
    drop(c);

    let events = deadline_events(dir.path());
    assert_eq!(events.len(), 1, "{events:#?}");
    let e = &events[0];
    assert_valid(e);
    assert_eq!(e["class_uid"], 2003);
    assert_eq!(e["activity_id"], 2);
    assert_eq!(e["severity"], "High");
    assert_eq!(e["time"], midnight(deadline).unix_timestamp() * 1000);
    assert_eq!(e["device"]["uid"], d.id.as_str());
    assert_eq!(e["device"]["is_compliant"], false);
    assert_eq!(e["compliance"]["status"], "Fail");
    assert_eq!(e["compliance"]["control"], "screen_lock");
    assert_eq!(e["unmapped"]["rule"], "screen_lock");
    assert_eq!(e["unmapped"]["verdict"], "block");
    assert_eq!(e["unmapped"]["deadline"], deadline.to_string());
    let since = deadline - time::Duration::days(3);
    assert_eq!(e["unmapped"]["failing_since"], since.to_string());
    // The same event, by id, waits in the webhook queue: once.
    assert_eq!(
        queued_deadline_events(&db),
        [e["metadata"]["uid"].as_str().unwrap()]
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    // Its retry horizon counts from when it was queued, not from the
    // block's start (the event's time): a deadline found days late still
    // gets the whole horizon.
    let queued: i64 = conn
        .query_row(
            "SELECT created_at_ms FROM webhook_deliveries WHERE event_id = ?1",
            [e["metadata"]["uid"].as_str().unwrap()],
            |r| r.get(0),
        )
        .unwrap();
    let now_ms = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    assert!(
        queued <= now_ms && now_ms - queued < 600_000,
        "queued at {queued}, now {now_ms}"
    );
    let (rows, stored_deadline): (i64, i64) = conn
        .query_row(
            "SELECT count(*), max(deadline) FROM grace_deadline_events WHERE device_id = ?1",
            [&d.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (rows, stored_deadline),
        (1, midnight(deadline).unix_timestamp())
    );
    drop(conn);

    // Fixed, then failing again: a new failure start, a new grace, and
    // its own announcement when that grace runs out.
    let c = start(dir.path(), &db);
    d.check_in(&c, Shape::Compliant);
    // Two seconds on, so the new start cannot fall in the old one's second.
    let later = OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let r = d.send(&c, &d.token_at(Shape::NonCompliant, &d.nonce, later));
    assert_eq!(r.status, 201, "{r:?}");
    let again = lock_deadline(&serde_json::from_slice(&r.body).unwrap());
    assert_eq!(scan(&c, midnight(again)), 1);
    assert_eq!(scan(&c, midnight(again)), 0);
    drop(c);
    assert_eq!(deadline_events(dir.path()).len(), 2);
    assert_eq!(queued_deadline_events(&db).len(), 2);
}

#[test]
fn no_announcement_when_a_report_came_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite3");
    let c = start(dir.path(), &db);

    // Fixed before the deadline: nothing is failing any more.
    let mut fixed = Device::enrol(&c);
    let deadline = lock_deadline(&fixed.check_in(&c, Shape::NonCompliant));
    fixed.check_in(&c, Shape::Compliant);
    // Unenrolled before the deadline: no device to announce.
    let mut gone = Device::enrol(&c);
    gone.check_in(&c, Shape::NonCompliant);
    let r = post(
        c.url(),
        agent_core::protocol::paths::UNENROL,
        agent_core::protocol::content_types::JWT,
        gone.request_token(
            agent_core::protocol::RequestPurpose::Unenrol,
            Some(gone.nonce.clone()),
        )
        .into_bytes(),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        c.collector()
            .scan_grace_deadlines(midnight(deadline) + time::Duration::days(1))
            .unwrap(),
        0
    );
    drop(c);

    // Reported after the deadline: the report's verdict blocks, and its
    // own verdict event says so; the scan adds nothing.
    let c = start(dir.path(), &db);
    let mut late = Device::enrol(&c);
    late.check_in(&c, Shape::NonCompliant);
    drop(c);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE rule_failures SET since = since - 5 * 86400 WHERE device_id = ?1",
        [&late.id],
    )
    .unwrap();
    drop(conn);
    let c = start(dir.path(), &db);
    let a = late.check_in(&c, Shape::NonCompliant);
    let lock = a
        .verdict
        .findings
        .iter()
        .find(|f| f.rule == RuleId::ScreenLock)
        .unwrap();
    assert_eq!(lock.outcome, Outcome::Fail);
    assert_eq!(
        c.collector()
            .scan_grace_deadlines(OffsetDateTime::now_utc() + time::Duration::days(30))
            .unwrap(),
        0
    );
    drop(c);
    assert!(deadline_events(dir.path()).is_empty());
    assert!(queued_deadline_events(&db).is_empty());
}

#[test]
fn without_outputs_nothing_is_scanned_or_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite3");
    let c = spawn_local(CollectorConfig {
        db_path: Some(db.clone()),
        policy: Policy::parse(POLICY, PolicyFormat::Toml).unwrap(),
        ..CollectorConfig::default()
    })
    .unwrap();
    let mut d = Device::enrol(&c);
    let deadline = lock_deadline(&d.check_in(&c, Shape::NonCompliant));
    assert_eq!(
        c.collector()
            .scan_grace_deadlines(midnight(deadline))
            .unwrap(),
        0
    );
    drop(c);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM grace_deadline_events", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(rows, 0);
}

#[test]
fn the_scan_interval_must_be_at_least_a_second() {
    let err = posture_collector::Collector::open(CollectorConfig {
        grace_deadline_scan_interval: Duration::from_millis(10),
        ..sqlite_config()
    })
    .unwrap_err();
    assert!(err.to_string().contains("at least 1 s"), "{err}");
}

/// A gateway sees the block from the deadline's first second, report or
/// not: the compliance answer, the device view, the fleet summary and the
/// Cloudflare score all read the stored warning as non-compliant once its
/// grace deadline day has begun (on the suite's store, SQLite or
/// PostgreSQL).
#[test]
fn a_passed_deadline_answers_non_compliant_without_a_new_report() {
    let c = spawn_local(CollectorConfig {
        policy: Policy::parse(POLICY, PolicyFormat::Toml).unwrap(),
        ..config()
    })
    .unwrap();
    let mut d = Device::enrol(&c);
    let deadline = lock_deadline(&d.check_in(&c, Shape::NonCompliant));
    let mut ok = Device::enrol(&c);
    ok.check_in(&c, Shape::Compliant);
    let collector = c.collector();
    // Long enough for no report to go stale by the deadline.
    const STALE: Option<u64> = Some(30 * 86_400);
    let last_grace = midnight(deadline) - time::Duration::seconds(1);
    let blocked = midnight(deadline);

    let before = collector
        .compliance_answer_at(&d.id, STALE, last_grace)
        .unwrap()
        .unwrap();
    assert_eq!(before.status, DeviceStatus::Warning);
    assert_eq!(before.compliance, Some(Compliance::Warning));
    assert_eq!(before.grace_deadline, Some(deadline));
    assert_eq!(before.checked_at, last_grace);
    assert!(gateway_score(Some(&before)) > 0);

    for at in [blocked, blocked + time::Duration::hours(1)] {
        let after = collector
            .compliance_answer_at(&d.id, STALE, at)
            .unwrap()
            .unwrap();
        assert_eq!(after.status, DeviceStatus::NonCompliant, "{after:?}");
        assert_eq!(after.compliance, Some(Compliance::NonCompliant));
        // The deadline that passed stays in the answer: when the block began.
        assert_eq!(after.grace_deadline, Some(deadline));
        assert_eq!(gateway_score(Some(&after)), 0);
        let detail = collector
            .device_detail_at(&d.id, STALE, at)
            .unwrap()
            .unwrap();
        assert_eq!(detail.device.status, DeviceStatus::NonCompliant);
        // The stored verdict is the report's own: still the warning.
        assert_eq!(detail.verdict.unwrap().compliance, Compliance::Warning);
        let fleet = collector.fleet_summary_at(STALE, at).unwrap();
        assert_eq!(
            (fleet.compliant, fleet.warning, fleet.non_compliant),
            (1, 0, 1)
        );
    }
    let fleet = collector.fleet_summary_at(STALE, last_grace).unwrap();
    assert_eq!(
        (fleet.compliant, fleet.warning, fleet.non_compliant),
        (1, 1, 0)
    );
    // A compliant device has no deadline to pass.
    let fine = collector
        .compliance_answer_at(&ok.id, STALE, blocked + time::Duration::days(1))
        .unwrap()
        .unwrap();
    assert_eq!(fine.status, DeviceStatus::Compliant);

    // A report fixing the rule ends the block, whatever the date.
    d.check_in(&c, Shape::Compliant);
    let fixed = collector
        .compliance_answer_at(&d.id, STALE, blocked)
        .unwrap()
        .unwrap();
    assert_eq!(fixed.status, DeviceStatus::Compliant);
    assert_eq!(fixed.grace_deadline, None);
}
