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
        assert_eq!(sqlite_versions(&db), [1, 2, 5]);
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
        // What the collector made before schema versions: its tables, no
        // version table, no history index.
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "DROP TABLE schema_migrations; DROP INDEX reports_device_iat; DROP TABLE grace_deadline_events",
        )
            .unwrap();
        drop(conn);
        let c = sqlite(&db).unwrap();
        assert_eq!(sqlite_versions(&db), [1, 2, 5]);
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
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "DROP INDEX reports_device_iat; DROP TABLE grace_deadline_events; DELETE FROM schema_migrations WHERE version > 1",
        )
        .unwrap();
        drop(conn);
        let c = sqlite(&db).unwrap();
        assert_eq!(sqlite_versions(&db), [1, 2, 5]);
        assert_eq!(
            (c.device_count().unwrap(), c.report_count().unwrap()),
            (1, 1)
        );
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
            err.contains(&format!("version {NEWER}")) && err.contains("version 5"),
            "{err}"
        );
    }

    /// Runs `sql` on a PostgreSQL database and returns the first column
    /// of the rows as i64.
    fn pg(url: &posture_collector::PostgresUrl, sql: &str) -> Vec<i64> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // The test's own URL: Display hides the password, so read it back
        // from the server URL with this database's name.
        let mut server = url::Url::parse(&postgres_server().unwrap()).unwrap();
        let name = url.to_string();
        let db = name.rsplit('/').next().unwrap().split('?').next().unwrap();
        server.set_path(db);
        runtime.block_on(async {
            let (client, conn) = tokio_postgres::connect(server.as_str(), tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            let mut out = Vec::new();
            for m in client.simple_query(sql).await.unwrap() {
                if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
                    out.push(r.get(0).unwrap().parse().unwrap());
                }
            }
            out
        })
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
        assert_eq!(pg(&url, versions), [1, 2, 5]);
        with_data(CollectorConfig {
            postgres: Some(url.clone()),
            ..config()
        });
        pg(
            &url,
            "DROP INDEX reports_device_iat; DROP TABLE grace_deadline_events; DELETE FROM schema_migrations WHERE version > 1",
        );
        assert_eq!(pg(&url, versions), [1]);
        let c = postgres(&url).unwrap();
        assert_eq!(pg(&url, versions), [1, 2, 5]);
        assert_eq!(
            (c.device_count().unwrap(), c.report_count().unwrap()),
            (1, 1)
        );
        assert_eq!(
            pg(
                &url,
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'reports_device_iat'"
            ),
            [1]
        );
    }

    #[test]
    fn postgres_collectors_starting_together_migrate_once() {
        let Some(url) = on_postgres() else { return };
        let opened = race(|_| postgres(&url).map(drop).map_err(|e| e.to_string()));
        assert!(opened.iter().all(Result::is_ok), "{opened:?}");
        assert_eq!(pg(&url, "SELECT count(*) FROM schema_migrations"), [3]);
        assert_eq!(pg(&url, "SELECT count(*) FROM signing_keys"), [1]);
    }

    #[test]
    fn postgres_newer_than_this_build_is_refused_naming_both_versions() {
        let Some(url) = on_postgres() else { return };
        drop(postgres(&url).unwrap());
        pg(
            &url,
            &format!(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ({NEWER}, 'future', 0)"
            ),
        );
        let err = postgres(&url).unwrap_err().to_string();
        assert!(
            err.contains(&format!("version {NEWER}")) && err.contains("version 5"),
            "{err}"
        );
    }

    #[test]
    fn postgres_refuses_what_it_does_not_carry_yet_at_start() {
        let Some(url) = on_postgres() else { return };
        let events = posture_collector::EventsConfig {
            outputs: vec![posture_collector::EventOutput::Stdout],
            ..posture_collector::EventsConfig::default()
        };
        let err = Collector::open(CollectorConfig {
            postgres: Some(url.clone()),
            events,
            ..config()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("SQLite store"), "{err}");
        let mut policy = test_policy();
        let mut doc = serde_json::to_value(&policy).unwrap();
        doc["rules"]["screen_lock"]["strategy"] = "warn-then-block".into();
        policy = serde_json::from_value(doc).unwrap();
        let err = Collector::open(CollectorConfig {
            postgres: Some(url.clone()),
            policy,
            ..config()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("warn-then-block"), "{err}");
        // Nothing else in the way: the same database opens without them.
        assert!(postgres(&url).is_ok());
    }
}
