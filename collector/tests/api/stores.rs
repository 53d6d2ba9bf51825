//! The stores themselves: the single-use rules under races, and the
//! schema migrations. On PostgreSQL (`POSTURE_TEST_POSTGRES_URL`) the races
//! run across four collectors on one database, each with its own pool and
//! key cache, as separate processes would; on SQLite, one collector owns
//! its file, and the same races go through its single writer.

use std::sync::Barrier;

use agent_core::keys::SoftwareSigner;
use agent_core::protocol::{Freshness, ReportAck, content_types, paths};
use posture_collector::{Collector, CollectorConfig, RunningCollector, spawn_local};

use crate::common::*;

/// How many requests race in each test.
const RACERS: usize = 12;

/// One collector on SQLite; four on one PostgreSQL database.
fn collectors() -> Vec<RunningCollector> {
    // Every racer comes from 127.0.0.1: its losers must not trip the
    // per-address limit on failed enrolments (429) before the others land.
    let raced = || CollectorConfig {
        enrol_failures_per_address: 10_000,
        ..config()
    };
    let first = raced();
    match first.postgres.clone() {
        Some(url) => (0..4)
            .map(|_| {
                spawn_local(CollectorConfig {
                    postgres: Some(url.clone()),
                    ..raced()
                })
                .unwrap()
            })
            .collect(),
        None => vec![spawn_local(first).unwrap()],
    }
}

/// Runs `f(i)` on `RACERS` threads released at once; the answers in order.
fn race<T: Send>(f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(RACERS);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..RACERS)
            .map(|i| {
                let (f, barrier) = (&f, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn one_code_raced_from_every_collector_enrols_exactly_one_device() {
    let cs = collectors();
    let code = issue_code(&cs[0]);
    let signers: Vec<_> = (0..RACERS)
        .map(|_| SoftwareSigner::ephemeral().unwrap())
        .collect();
    let statuses = race(|i| {
        let c = &cs[i % cs.len()];
        post(
            c.url(),
            paths::ENROL,
            content_types::JSON,
            enrol_body(&code, &signers[i]),
        )
        .status
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [201, 403].contains(s)),
        "{statuses:?}"
    );
    for c in &cs {
        assert_eq!(c.collector().device_count().unwrap(), 1);
    }
}

#[test]
fn one_key_raced_through_many_codes_enrols_once() {
    let cs = collectors();
    let codes: Vec<_> = (0..RACERS).map(|_| issue_code(&cs[0])).collect();
    let signer = SoftwareSigner::ephemeral().unwrap();
    let statuses = race(|i| {
        let c = &cs[i % cs.len()];
        post(
            c.url(),
            paths::ENROL,
            content_types::JSON,
            enrol_body(&codes[i], &signer),
        )
        .status
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [201, 409].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(cs[0].collector().device_count().unwrap(), 1);
}

#[test]
fn reports_raced_with_one_nonce_leave_exactly_one_current() {
    let cs = collectors();
    // Enrolled through one collector, reported to all: the others learn
    // the key from the database.
    let device = Device::enrol(&cs[0]);
    let tokens: Vec<_> = (0..RACERS)
        .map(|_| device.token(Shape::Compliant))
        .collect();
    let acks = race(|i| {
        let r = device.send(&cs[i % cs.len()], &tokens[i]);
        assert_eq!(r.status, 201, "{r:?}");
        serde_json::from_slice::<ReportAck>(&r.body).unwrap()
    });
    let current = acks
        .iter()
        .filter(|a| a.freshness == Freshness::Current)
        .count();
    assert_eq!(current, 1, "one nonce makes one current report");
    assert_eq!(cs[0].collector().report_count().unwrap(), RACERS as u64);
    // Only the current report's ack carries an attestation result.
    assert_eq!(
        acks.iter()
            .filter(|a| a.attestation_result.is_some())
            .count(),
        1
    );
}

#[test]
fn one_report_raced_from_every_collector_is_stored_once_with_one_ack() {
    let cs = collectors();
    let device = Device::enrol(&cs[0]);
    let token = device.token(Shape::Compliant);
    let answers = race(|i| {
        let r = device.send(&cs[i % cs.len()], &token);
        (r.status, String::from_utf8(r.body).unwrap())
    });
    assert_eq!(
        answers.iter().filter(|(s, _)| *s == 201).count(),
        1,
        "{answers:?}"
    );
    assert!(answers.iter().all(|(s, _)| [200, 201].contains(s)));
    let first = &answers[0].1;
    assert!(
        answers.iter().all(|(_, ack)| ack == first),
        "every answer is the stored acknowledgement"
    );
    assert_eq!(cs[0].collector().report_count().unwrap(), 1);
}

#[test]
fn a_device_unenrolled_through_one_collector_is_gone_for_the_others() {
    let cs = collectors();
    let mut device = Device::enrol(&cs[0]);
    // Every collector has now seen (and cached) the device's key.
    for c in &cs {
        device.check_in(c, Shape::Compliant);
    }
    let token = device.request_token(
        agent_core::protocol::RequestPurpose::Unenrol,
        Some(device.nonce.clone()),
    );
    let r = post(
        cs[cs.len() - 1].url(),
        paths::UNENROL,
        content_types::JWT,
        token.into_bytes(),
    );
    assert_eq!(r.status, 200, "{r:?}");
    for c in &cs {
        let r = device.send(c, &device.token(Shape::Compliant));
        assert_problem(&r, 401, "unknown-device");
    }
}

mod migrations {
    use super::*;

    const NEWER: i64 = 1000;
    /// Every schema version this build applies, in order.
    const VERSIONS: [i64; 6] = [1, 2, 3, 4, 5, 6];
    /// A console session ended before an upgrade, which must stay ended.
    const ENDED: &str = "INSERT INTO console_revoked_sessions (session_id, expires_at)
                         VALUES ('ended-before-the-upgrade', 4102444800)";
    const ENDED_COUNT: &str = "SELECT count(*) FROM console_revoked_sessions WHERE session_id = 'ended-before-the-upgrade'";

    fn sqlite_count(db: &std::path::Path, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// A collector on SQLite file `db`.
    fn sqlite(db: &std::path::Path) -> Result<Collector, posture_collector::CollectorError> {
        Collector::open(CollectorConfig {
            db_path: Some(db.to_owned()),
            postgres: None,
            ..config()
        })
    }

    fn sqlite_versions(db: &std::path::Path) -> Vec<i64> {
        let conn = rusqlite::Connection::open(db).unwrap();
        let mut st = conn
            .prepare("SELECT version FROM schema_migrations ORDER BY version")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// Enrols a device and stores a report through a collector on `config`.
    fn with_data(config: CollectorConfig) {
        let c = spawn_local(config).unwrap();
        let mut device = Device::enrol(&c);
        device.check_in(&c, Shape::Compliant);
    }

    #[test]
    fn sqlite_from_empty_reaches_the_latest_version() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("c.sqlite3");
        drop(sqlite(&db).unwrap());
        assert_eq!(sqlite_versions(&db), VERSIONS);
        let console_tables = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN
            ('console_revoked_sessions', 'console_used_links', 'console_code_revocations', 'policy_revisions')";
        assert_eq!(sqlite_count(&db, console_tables), 4);
        // The policy in force is recorded at start.
        assert_eq!(
            sqlite_count(&db, "SELECT count(*) FROM policy_revisions"),
            1
        );
    }

    #[test]
    fn sqlite_made_before_versions_were_recorded_is_the_baseline_and_keeps_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("c.sqlite3");
        with_data(CollectorConfig {
            db_path: Some(db.clone()),
            postgres: None,
            ..config()
        });
        // What the collector made before schema versions: its tables and
        // the console's (made at start then), no version table, no history
        // index.
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "DROP TABLE schema_migrations; DROP INDEX reports_device_iat; DROP TABLE grace_deadline_events",
        )
            .unwrap();
        conn.execute_batch(ENDED).unwrap();
        drop(conn);
        let c = sqlite(&db).unwrap();
        assert_eq!(sqlite_versions(&db), VERSIONS);
        assert_eq!(sqlite_count(&db, ENDED_COUNT), 1);
        assert_eq!(
            (c.device_count().unwrap(), c.report_count().unwrap()),
            (1, 1)
        );
        let fleet = c.fleet_summary(None).unwrap();
        assert_eq!(fleet.compliant, 1);
        let conn = rusqlite::Connection::open(&db).unwrap();
        let index: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'reports_device_iat'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(index, 1);
    }

    #[test]
    fn sqlite_from_the_previous_version_with_data_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("c.sqlite3");
        with_data(CollectorConfig {
            db_path: Some(db.clone()),
            postgres: None,
            ..config()
        });
        // Version 1, with the console's tables as collectors then made
        // them at start, holding a row.
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "DROP INDEX reports_device_iat; DROP TABLE grace_deadline_events; DELETE FROM schema_migrations WHERE version > 1",
        )
        .unwrap();
        conn.execute_batch(ENDED).unwrap();
        drop(conn);
        let c = sqlite(&db).unwrap();
        assert_eq!(sqlite_versions(&db), VERSIONS);
        assert_eq!(
            (c.device_count().unwrap(), c.report_count().unwrap()),
            (1, 1)
        );
        assert_eq!(sqlite_count(&db, ENDED_COUNT), 1);
    }

    /// Version 2 as collectors left it: they made `rule_failures` and
    /// `webhook_deliveries` at start, outside the versions. Version 3
    /// takes them in with their rows.
    #[test]
    fn sqlite_at_version_2_with_the_tables_made_at_start_keeps_their_rows() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("c.sqlite3");
        let device = {
            let c = spawn_local(CollectorConfig {
                db_path: Some(db.clone()),
                postgres: None,
                ..config()
            })
            .unwrap();
            let mut device = Device::enrol(&c);
            device.check_in(&c, Shape::Compliant);
            device.id.to_string()
        };
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute(
            "INSERT INTO rule_failures (device_id, rule, since) VALUES (?1, 'screen_lock', 42)",
            [&device],
        )
        .unwrap();
        conn.execute_batch(
            "INSERT INTO webhook_deliveries (event_id, endpoint_id, body, created_at_ms,
                 next_attempt_ms, delivered_at_ms) VALUES ('e1', 'w1', '{}', 1, 1, 2);
             DELETE FROM schema_migrations WHERE version = 3",
        )
        .unwrap();
        drop(conn);
        drop(sqlite(&db).unwrap());
        assert_eq!(sqlite_versions(&db), VERSIONS);
        let conn = rusqlite::Connection::open(&db).unwrap();
        let kept: (i64, i64) = conn
            .query_row(
                "SELECT (SELECT since FROM rule_failures WHERE device_id = ?1),
                        (SELECT delivered_at_ms FROM webhook_deliveries WHERE event_id = 'e1')",
                [&device],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(kept, (42, 2));
    }

    #[test]
    fn sqlite_newer_than_this_build_is_refused_naming_both_versions() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("c.sqlite3");
        drop(sqlite(&db).unwrap());
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, 'future', 0)",
            [NEWER],
        )
        .unwrap();
        drop(conn);
        let err = sqlite(&db).unwrap_err().to_string();
        assert!(
            err.contains(&format!("version {NEWER}")) && err.contains("version 6"),
            "{err}"
        );
    }

    fn on_postgres() -> Option<posture_collector::PostgresUrl> {
        let url = fresh_postgres_database();
        if url.is_none() {
            eprintln!(
                "no POSTURE_TEST_POSTGRES_URL: the PostgreSQL migration test has nothing to run against"
            );
        }
        url
    }

    fn postgres(
        url: &posture_collector::PostgresUrl,
    ) -> Result<Collector, posture_collector::CollectorError> {
        Collector::open(CollectorConfig {
            postgres: Some(url.clone()),
            ..config()
        })
    }

    #[test]
    fn postgres_from_empty_and_from_the_previous_version_with_data() {
        let Some(url) = on_postgres() else { return };
        drop(postgres(&url).unwrap());
        let versions = "SELECT version FROM schema_migrations ORDER BY version";
        assert_eq!(pg_query(&url, versions), VERSIONS);
        let console_tables = "SELECT count(*) FROM information_schema.tables WHERE table_name IN
            ('console_revoked_sessions', 'console_used_links', 'console_code_revocations', 'policy_revisions')";
        assert_eq!(pg_query(&url, console_tables), [4]);
        // Version 6: a report's large columns are compressed with lz4 when
        // the server has it (the list of settings names lz4 only then),
        // and keep pglz when it has not.
        let has_lz4 = pg_query(
            &url,
            "SELECT count(*) FROM pg_settings
             WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)",
        );
        let lz4_columns = "SELECT count(*) FROM pg_attribute WHERE attcompression = 'l' AND
            (attrelid = 'reports'::regclass AND attname IN ('token', 'ack', 'verdict')
             OR attrelid IN ('report_assessments'::regclass, 'device_assessments'::regclass)
                AND attname IN ('assessment', 'attestation_result'))";
        assert_eq!(pg_query(&url, lz4_columns), [7 * has_lz4[0]]);
        with_data(CollectorConfig {
            postgres: Some(url.clone()),
            ..config()
        });
        // Back to before version 4: no console tables.
        pg_query(
            &url,
            "DROP TABLE console_revoked_sessions, console_used_links, console_code_revocations,
                        policy_revisions;
             DELETE FROM schema_migrations WHERE version = 4",
        );
        let without_4: Vec<i64> = VERSIONS.into_iter().filter(|v| *v != 4).collect();
        assert_eq!(pg_query(&url, versions), without_4);
        drop(postgres(&url).unwrap());
        assert_eq!(pg_query(&url, versions), VERSIONS);
        assert_eq!(pg_query(&url, console_tables), [4]);
        assert_eq!(pg_query(&url, "SELECT count(*) FROM policy_revisions"), [1]);
        pg_query(&url, ENDED);
        // Back to version 1, with data in the later versions' tables.
        pg_query(
            &url,
            "DROP INDEX reports_device_iat; DROP TABLE rule_failures; DROP TABLE webhook_deliveries;
             DROP TABLE grace_deadline_events;
             DELETE FROM schema_migrations WHERE version IN (2, 3, 5, 6)",
        );
        assert_eq!(pg_query(&url, versions), [1, 4]);
        let c = postgres(&url).unwrap();
        assert_eq!(pg_query(&url, versions), VERSIONS);
        assert_eq!(pg_query(&url, ENDED_COUNT), [1]);
        assert_eq!(
            (c.device_count().unwrap(), c.report_count().unwrap()),
            (1, 1)
        );
        assert_eq!(
            pg_query(
                &url,
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'reports_device_iat'"
            ),
            [1]
        );
        assert_eq!(
            pg_query(
                &url,
                "SELECT count(*) FROM pg_tables
                 WHERE tablename IN ('rule_failures', 'webhook_deliveries')"
            ),
            [2]
        );
    }

    #[test]
    fn postgres_collectors_starting_together_migrate_once() {
        let Some(url) = on_postgres() else { return };
        let opened = race(|_| postgres(&url).map(drop).map_err(|e| e.to_string()));
        assert!(opened.iter().all(Result::is_ok), "{opened:?}");
        assert_eq!(
            pg_query(&url, "SELECT count(*) FROM schema_migrations"),
            [6]
        );
        assert_eq!(pg_query(&url, "SELECT count(*) FROM policy_revisions"), [1]);
        assert_eq!(pg_query(&url, "SELECT count(*) FROM signing_keys"), [1]);
    }

    #[test]
    fn postgres_newer_than_this_build_is_refused_naming_both_versions() {
        let Some(url) = on_postgres() else { return };
        drop(postgres(&url).unwrap());
        pg_query(
            &url,
            &format!(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ({NEWER}, 'future', 0)"
            ),
        );
        let err = postgres(&url).unwrap_err().to_string();
        assert!(
            err.contains(&format!("version {NEWER}")) && err.contains("version 6"),
            "{err}"
        );
    }

    #[test]
    fn postgres_starts_with_event_outputs_webhooks_and_warn_then_block_rules() {
        let Some(url) = on_postgres() else { return };
        let mut doc = serde_json::to_value(test_policy()).unwrap();
        doc["rules"]["screen_lock"]["strategy"] = "warn-then-block".into();
        let c = Collector::open(CollectorConfig {
            postgres: Some(url.clone()),
            policy: serde_json::from_value(doc).unwrap(),
            events: posture_collector::EventsConfig {
                outputs: vec![posture_collector::EventOutput::Stdout],
                webhooks: vec![posture_collector::WebhookEndpoint {
                    url: "http://127.0.0.1:9/hooks".into(),
                    secret: posture_collector::WebhookSecret::parse(crate::webhooks::SECRET)
                        .unwrap(),
                    name: None,
                }],
                ..posture_collector::EventsConfig::default()
            },
            ..config()
        })
        .unwrap();
        let status = c.webhook_status().unwrap();
        assert_eq!(status.len(), 1);
        assert_eq!((status[0].delivered, status[0].pending), (0, 0));
    }
}
