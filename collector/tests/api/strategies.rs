//! Remediation strategies on the collector: a `warn-then-block` rule's grace
//! counts from the first failing current report the collector stored,
//! whatever the device says (docs/policy.md §8.4).

use agent_core::policy::{Compliance, Outcome, Policy, PolicyFormat, RuleId, Strategy};
use agent_core::protocol::{Freshness, ReportAck};
use posture_collector::{CollectorConfig, RunningCollector, spawn_local};
use time::{Date, Duration, OffsetDateTime};

use crate::common::*;

const POLICY: &str = r#"
schema_version = 1
name = "strategies"
revision = 1
[rules.screen_lock]
unknown = "warn"
strategy = "warn-then-block"
grace_days = 3
[rules.storage_encryption]
unknown = "warn"
strategy = "report-only"
"#;

fn start_at(db: &std::path::Path) -> RunningCollector {
    spawn_local(CollectorConfig {
        db_path: Some(db.to_owned()),
        policy: Policy::parse(POLICY, PolicyFormat::Toml).unwrap(),
        ..CollectorConfig::default()
    })
    .unwrap()
}

fn lock(ack: &ReportAck) -> &agent_core::policy::Finding {
    ack.verdict
        .findings
        .iter()
        .find(|f| f.rule == RuleId::ScreenLock)
        .unwrap()
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

#[test]
fn grace_counts_from_the_first_failing_current_report_the_collector_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.sqlite3");
    let c = start_at(&db);
    let mut d = Device::enrol(&c);

    // A historical failing report does not start the clock.
    let first_nonce = d.nonce.clone();
    d.check_in(&c, Shape::Compliant);
    let r = d.send(
        &c,
        &d.token_at(Shape::NonCompliant, &first_nonce, OffsetDateTime::now_utc()),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let historical: ReportAck = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(historical.freshness, Freshness::Historical);

    // The first failing current report: a warning, the block in 3 days.
    let a = d.check_in(&c, Shape::NonCompliant);
    let f = lock(&a);
    assert_eq!(f.strategy, Some(Strategy::WarnThenBlock));
    assert_eq!(f.outcome, Outcome::Warn);
    assert_eq!(f.deadline, Some(today() + Duration::days(3)));
    assert_eq!(a.verdict.compliance, Compliance::Warning);
    drop(c);

    // The start is stored: a reopened collector keeps it. Moved back five
    // days in the table (as if that report were older), the grace is over.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let since: i64 = conn
        .query_row(
            "SELECT since FROM rule_failures WHERE device_id = ?1 AND rule = 'screen_lock'",
            [&d.id],
            |r| r.get(0),
        )
        .unwrap();
    assert!((OffsetDateTime::now_utc().unix_timestamp() - since).abs() < 600);
    conn.execute(
        "UPDATE rule_failures SET since = since - 5 * 86400 WHERE device_id = ?1",
        [&d.id],
    )
    .unwrap();
    drop(conn);
    let c = start_at(&db);
    let a = d.check_in(&c, Shape::NonCompliant);
    assert_eq!(lock(&a).outcome, Outcome::Fail, "{a:#?}");
    assert_eq!(lock(&a).deadline, None);
    assert_eq!(a.verdict.compliance, Compliance::NonCompliant);

    // A pass clears it; the next failure is fresh again.
    d.check_in(&c, Shape::Compliant);
    let a = d.check_in(&c, Shape::NonCompliant);
    assert_eq!(lock(&a).outcome, Outcome::Warn);
    assert_eq!(lock(&a).deadline, Some(today() + Duration::days(3)));
}

#[test]
fn report_only_findings_are_stored_but_do_not_count() {
    let dir = tempfile::tempdir().unwrap();
    let c = start_at(&dir.path().join("collector.sqlite3"));
    let mut d = Device::enrol(&c);
    // Shape::Warning: the screen lock is set, encryption unknown (warns).
    let a = d.check_in(&c, Shape::Warning);
    let enc = a
        .verdict
        .findings
        .iter()
        .find(|f| f.rule == RuleId::StorageEncryption)
        .unwrap();
    assert_eq!(enc.strategy, Some(Strategy::ReportOnly));
    assert_eq!(enc.outcome, Outcome::Warn);
    assert_eq!(a.verdict.compliance, Compliance::Compliant);
}
