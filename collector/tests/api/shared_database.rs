//! Several collectors on one PostgreSQL database, each with its own pool
//! and key cache, as separate processes would have: the failure history a
//! warn-then-block rule counts from is the database's, not one process's
//! memory. Run with `POSTURE_TEST_POSTGRES_URL` (for example
//! under `scripts/with-postgres`); without it each test says so and passes.

use agent_core::policy::{Compliance, Outcome, Policy, PolicyFormat, RuleId};
use agent_core::protocol::ReportAck;
use posture_collector::{CollectorConfig, PostgresUrl, RunningCollector, spawn_local};
use time::{Duration as Days, OffsetDateTime};

use crate::common::*;

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
