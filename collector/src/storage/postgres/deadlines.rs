//! The grace deadline scan's query and insert-once on PostgreSQL: the same
//! statements as SQLite's (`crate::events::deadlines`), so several
//! collector processes scanning one database announce each deadline once:
//! the primary key of `grace_deadline_events` lets one insert in, the
//! others' `ON CONFLICT DO NOTHING` insert nothing, and only the process
//! whose row went in emits the event.
//!
//! The scan reads what is due on any connection, then gives each deadline
//! a transaction of its own: `record_once`, and when its row went in, the
//! event's webhook rows; the event goes to the outputs after the commit.

use time::OffsetDateTime;
use tokio_postgres::GenericClient;

use super::write::queue_webhooks;
use super::{PgError, PgInner, PgStore};
use crate::error::CollectorError;
use crate::events::deadlines::{self, Candidate, DueDeadline};

impl PgStore {
    /// Announces each grace deadline passed at `now` once across every
    /// collector on the database (see `Collector::scan_grace_deadlines`);
    /// how many this call announced.
    pub fn scan_grace_deadlines_blocking(
        &self,
        now: OffsetDateTime,
    ) -> Result<usize, CollectorError> {
        let inner = self.inner.clone();
        Ok(self.block_on(async move { inner.scan_grace_deadlines(now).await })??)
    }
}

impl PgInner {
    async fn scan_grace_deadlines(&self, now: OffsetDateTime) -> Result<usize, PgError> {
        let mut client = self.pool.get().await?;
        let found = due(&**client, now).await?;
        let mut emitted = 0;
        for d in &found {
            let mut events = self.pending();
            if !events.enabled() {
                return Ok(0);
            }
            let Some(id) = events.grace_deadline_id(d) else {
                continue;
            };
            let tx = client.transaction().await?;
            if !record_once(&*tx, d, &id, now.unix_timestamp()).await? {
                // Announced already, by this process or another.
                continue;
            }
            if events.grace_deadline_recorded(d, id) {
                queue_webhooks(&tx, &events).await?;
            }
            match tx.commit().await {
                Ok(()) => {
                    events.committed();
                    emitted += 1;
                }
                Err(e) => {
                    events.discard();
                    return Err(e.into());
                }
            }
        }
        Ok(emitted)
    }
}

/// The insert-once, as on SQLite, with PostgreSQL's parameters.
const RECORD_ONCE: &str = "
INSERT INTO grace_deadline_events (device_id, rule, since, deadline, jti, event_id, emitted_at)
SELECT $1, $2, $3, $4, $5, $6, $7
WHERE EXISTS (SELECT 1 FROM rule_failures f
              JOIN devices d ON d.device_id = f.device_id
              JOIN device_assessments s ON s.device_id = f.device_id
              WHERE f.device_id = $1 AND f.rule = $2 AND f.since = $3 AND s.jti = $5
                AND d.unenrolled_at IS NULL)
ON CONFLICT (device_id, rule, since) DO NOTHING";

/// Every deadline passed at `now` without an event.
pub(crate) async fn due(
    client: &impl GenericClient,
    now: OffsetDateTime,
) -> Result<Vec<DueDeadline>, PgError> {
    let rows = client.query(deadlines::CANDIDATES, &[]).await?;
    let mut out = Vec::new();
    for r in rows {
        let candidate = Candidate {
            device_id: r.try_get(0)?,
            platform: r.try_get(1)?,
            rule: r.try_get(2)?,
            since: r.try_get(3)?,
            jti: r.try_get(4)?,
            verdict: r.try_get(5)?,
        };
        if let Some(d) = deadlines::due_at(candidate, now) {
            out.push(d);
        }
    }
    Ok(out)
}

/// Records that `event_id` announces `due`, once across every process;
/// whether this call's row went in.
pub(crate) async fn record_once(
    client: &impl GenericClient,
    due: &DueDeadline,
    event_id: &str,
    now: i64,
) -> Result<bool, PgError> {
    let n = client
        .execute(
            RECORD_ONCE,
            &[
                &due.device_id,
                &crate::store::name_of(&due.rule),
                &due.since,
                &deadlines::block_starts(due.deadline).unix_timestamp(),
                &due.jti,
                &event_id,
                &now,
            ],
        )
        .await?;
    Ok(n == 1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::storage::migrate::POSTGRES;

    const SINCE: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
    const BLOCK: i64 = 1_767_484_800; // 2026-01-04T00:00:00Z

    fn verdict() -> String {
        let v = serde_json::json!({
            "compliance": "warning",
            "findings": [{
                "rule": "screen_lock", "outcome": "warn", "observed": "not set",
                "requirement": "screen lock set", "remediation": "Set a screen lock.",
                "deadline": "2026-01-04", "strategy": "warn-then-block",
                "failing_since": "2026-01-01"
            }],
            "policy": {"name": "grace", "revision": 1},
            "evaluated_at": "2026-01-01T00:00:00Z"
        });
        // The shape the collector stores: it must read back as a verdict.
        serde_json::from_value::<agent_core::Verdict>(v.clone()).unwrap();
        v.to_string()
    }

    async fn connect(url: &str) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
    }

    /// A fresh database at the latest schema, with one device whose
    /// screen lock has warned since 2026-01-01, blocking on 2026-01-04.
    async fn database(server: &str) -> String {
        let name = format!("posture_deadlines_{}", std::process::id());
        let admin = connect(server).await;
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .await
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let mut url = url::Url::parse(server).unwrap();
        url.set_path(&name);
        let c = connect(url.as_str()).await;
        for m in POSTGRES {
            c.batch_execute(m.sql).await.unwrap();
        }
        c.execute(
            "INSERT INTO devices (device_id, kid, jwk, platform, agent_version, enrolled_at,
             nonce, nonce_expires_at) VALUES ('dev_a', 'kid_a', '{}', 'android', '0.1.0', $1, 'n', $1)",
            &[&SINCE],
        )
        .await
        .unwrap();
        c.execute(
            "INSERT INTO reports (jti, token_sha256, device_id, iat, accepted_at, freshness,
             compliance, verdict, ack, token)
             VALUES ('jti_a', '\\x00', 'dev_a', $1, $1, 'current', 'warning', $2, '{}', 't')",
            &[&SINCE, &verdict()],
        )
        .await
        .unwrap();
        c.batch_execute(
            "INSERT INTO device_assessments (device_id, jti, assessment)
             VALUES ('dev_a', 'jti_a', '{}')",
        )
        .await
        .unwrap();
        c.execute(
            "INSERT INTO rule_failures (device_id, rule, since) VALUES ('dev_a', 'screen_lock', $1)",
            &[&SINCE],
        )
        .await
        .unwrap();
        url.to_string()
    }

    fn at(t: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(t).unwrap()
    }

    #[test]
    fn processes_racing_on_one_deadline_announce_it_once() {
        let Ok(server) = std::env::var("POSTURE_TEST_POSTGRES_URL") else {
            eprintln!("no POSTURE_TEST_POSTGRES_URL: the PostgreSQL deadline scan is not tried");
            return;
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let url = database(&server).await;
            let c = connect(&url).await;
            assert!(due(&c, at(BLOCK - 1)).await.unwrap().is_empty());
            let found = due(&c, at(BLOCK)).await.unwrap();
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].device_id, "dev_a");
            assert_eq!(found[0].since, SINCE);

            // Four processes found it; each inserts in a transaction of its
            // own, as each would when queueing its event.
            let mut tasks = Vec::new();
            for i in 0..4 {
                let (url, due) = (url.clone(), found[0].clone());
                tasks.push(tokio::spawn(async move {
                    let mut c = connect(&url).await;
                    let tx = c.transaction().await.unwrap();
                    let won = record_once(&tx, &due, &format!("event-{i}"), BLOCK)
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                    won
                }));
            }
            let mut won = 0;
            for t in tasks {
                won += usize::from(t.await.unwrap());
            }
            assert_eq!(won, 1);
            assert!(due(&c, at(BLOCK + 86_400)).await.unwrap().is_empty());

            // The failure started again (fixed, failing again): a report
            // other than the latest is not what the scan may announce; the
            // new start, from the latest, gets its own row.
            c.batch_execute("UPDATE rule_failures SET since = since + 60")
                .await
                .unwrap();
            let other = DueDeadline {
                since: SINCE + 60,
                jti: "jti_other".into(),
                ..found[0].clone()
            };
            assert!(!record_once(&c, &other, "event-x", BLOCK).await.unwrap());
            let again = DueDeadline {
                since: SINCE + 60,
                ..found[0].clone()
            };
            assert!(record_once(&c, &again, "event-y", BLOCK).await.unwrap());
            let rows = c
                .query_one("SELECT count(*) FROM grace_deadline_events", &[])
                .await
                .unwrap();
            assert_eq!(rows.get::<_, i64>(0), 2);
        });
    }
}
