//! The webhook delivery queue (`webhook_deliveries`) on PostgreSQL, shared
//! by every collector process on the database.
//!
//! Each process's delivery thread claims one due row in a transaction with
//! `SELECT ... FOR UPDATE SKIP LOCKED`, sends it while holding the row
//! lock, records the outcome and commits. Another process skips the locked
//! row, and once the outcome is committed the row is no longer due (READ
//! COMMITTED re-checks the condition on the row's newest version), so each
//! delivery is made once while the processes live; a process that dies
//! mid-send releases the lock and the row is sent again by another.
//!
//! The thread has a runtime and one connection of its own: a send may hold
//! its transaction open for the HTTP timeout, and must not take a
//! connection from the requests' pool meanwhile.

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use super::{PgError, PgInner, PgStore};
use crate::error::CollectorError;
use crate::events::WebhookStatus;
use crate::events::webhook::Attempt;
use crate::events::webhook_store::Due;

/// The queue as the delivery thread of one process uses it.
pub(crate) struct PgWebhookQueue {
    runtime: tokio::runtime::Runtime,
    pool: Pool,
    /// The endpoints this process sends to: it claims only their rows, so
    /// a process started with fewer `--webhook`s (during a rolling change)
    /// leaves the others' rows to the processes that have them.
    endpoints: Vec<String>,
    /// The connection whose open transaction holds the claimed row.
    held: Option<Object>,
}

fn text(e: impl Into<PgError>) -> String {
    e.into().to_string()
}

impl PgWebhookQueue {
    /// A runtime and a pool of one connection (made on first use).
    pub fn open(
        config: tokio_postgres::Config,
        endpoints: Vec<String>,
    ) -> Result<PgWebhookQueue, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("start the webhook queue's runtime: {e}"))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(1)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| format!("connection pool: {e}"))?;
        Ok(PgWebhookQueue {
            runtime,
            pool,
            endpoints,
            held: None,
        })
    }

    /// Makes every pending delivery due now (as on SQLite: a start is a
    /// natural moment to try again).
    pub fn all_due(&mut self, now_ms: i64) -> Result<(), String> {
        let pool = &self.pool;
        self.runtime.block_on(async {
            let client = pool.get().await.map_err(text)?;
            client
                .execute(
                    "UPDATE webhook_deliveries SET next_attempt_ms = $1
                     WHERE delivered_at_ms IS NULL AND failed_at_ms IS NULL
                       AND next_attempt_ms > $1",
                    &[&now_ms],
                )
                .await
                .map_err(text)?;
            Ok(())
        })
    }

    /// Claims the oldest due row no other process holds: its transaction
    /// stays open (the row locked) until [`PgWebhookQueue::finish`].
    pub fn claim(&mut self, now_ms: i64) -> Result<Option<Due>, String> {
        self.release();
        let (pool, endpoints) = (&self.pool, &self.endpoints);
        let (client, due) = self.runtime.block_on(async {
            let client = pool.get().await.map_err(text)?;
            client.batch_execute("BEGIN").await.map_err(text)?;
            let row = client
                .query_opt(
                    "SELECT event_id, endpoint_id, body, attempts, created_at_ms FROM webhook_deliveries
                     WHERE delivered_at_ms IS NULL AND failed_at_ms IS NULL
                       AND next_attempt_ms <= $1 AND endpoint_id = ANY($2)
                     ORDER BY next_attempt_ms, created_at_ms LIMIT 1
                     FOR UPDATE SKIP LOCKED",
                    &[&now_ms, endpoints],
                )
                .await;
            let due = row.map_err(text).and_then(|row| {
                row.map(|r| {
                    let attempts: i32 = r.try_get(3)?;
                    Ok(Due {
                        event_id: r.try_get(0)?,
                        endpoint_id: r.try_get(1)?,
                        body: r.try_get(2)?,
                        attempts: u32::try_from(attempts).unwrap_or(0),
                        created_at_ms: r.try_get(4)?,
                    })
                })
                .transpose()
                .map_err(|e: tokio_postgres::Error| text(e))
            });
            match due {
                Ok(due) => Ok((client, due)),
                Err(e) => {
                    // Never back into the pool inside the transaction.
                    if client.batch_execute("ROLLBACK").await.is_err() {
                        drop(Object::take(client));
                    }
                    Err(e)
                }
            }
        })?;
        if due.is_some() {
            self.held = Some(client);
        } else {
            let _ = self
                .runtime
                .block_on(async { client.batch_execute("COMMIT").await });
        }
        Ok(due)
    }

    /// Records the claimed row's attempt and commits, releasing the row.
    pub fn finish(&mut self, row: &Due, attempt: &Attempt) -> Result<(), String> {
        let Some(client) = self.held.take() else {
            return Err("no claimed webhook delivery to record".into());
        };
        let result = self.runtime.block_on(async {
            match attempt {
                Attempt::Delivered(at) => {
                    client
                        .execute(
                            "UPDATE webhook_deliveries
                             SET delivered_at_ms = $1, attempts = attempts + 1
                             WHERE event_id = $2 AND endpoint_id = $3",
                            &[at, &row.event_id, &row.endpoint_id],
                        )
                        .await
                }
                Attempt::Failed {
                    next_ms,
                    status,
                    error,
                    last,
                } => {
                    let failed_at = last.then_some(*next_ms);
                    let status = status.map(i32::from);
                    client
                        .execute(
                            "UPDATE webhook_deliveries SET attempts = attempts + 1,
                             next_attempt_ms = $1, last_status = $2, last_error = $3,
                             failed_at_ms = $4
                             WHERE event_id = $5 AND endpoint_id = $6",
                            &[
                                next_ms,
                                &status,
                                error,
                                &failed_at,
                                &row.event_id,
                                &row.endpoint_id,
                            ],
                        )
                        .await
                }
            }?;
            client.batch_execute("COMMIT").await
        });
        match result {
            Ok(()) => Ok(()),
            Err(e) => {
                // The transaction may still be open: never hand the
                // connection back to the pool so.
                drop(Object::take(client));
                Err(text(e))
            }
        }
    }

    /// When the next row that is not due yet falls due. Due rows that
    /// another process holds are not counted: it is sending them, and a
    /// wait for them would spin.
    pub fn next_due(&mut self, now_ms: i64) -> Result<Option<i64>, String> {
        let (pool, endpoints) = (&self.pool, &self.endpoints);
        self.runtime.block_on(async {
            let client = pool.get().await.map_err(text)?;
            let row = client
                .query_one(
                    "SELECT MIN(next_attempt_ms) FROM webhook_deliveries
                     WHERE delivered_at_ms IS NULL AND failed_at_ms IS NULL
                       AND next_attempt_ms > $1 AND endpoint_id = ANY($2)",
                    &[&now_ms, endpoints],
                )
                .await
                .map_err(text)?;
            row.try_get(0).map_err(text)
        })
    }

    /// A claim never finished (an error between claim and finish): roll
    /// it back so the row is free again.
    fn release(&mut self) {
        if let Some(client) = self.held.take()
            && self
                .runtime
                .block_on(async { client.batch_execute("ROLLBACK").await })
                .is_err()
        {
            drop(Object::take(client));
        }
    }
}

impl Drop for PgWebhookQueue {
    fn drop(&mut self) {
        self.release();
    }
}

impl PgInner {
    async fn webhook_status(&self) -> Result<Vec<WebhookStatus>, PgError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT endpoint_id,
                        COUNT(*) FILTER (WHERE delivered_at_ms IS NOT NULL),
                        COUNT(*) FILTER (WHERE delivered_at_ms IS NULL AND failed_at_ms IS NULL),
                        COUNT(*) FILTER (WHERE failed_at_ms IS NOT NULL),
                        (SELECT last_error FROM webhook_deliveries w2
                         WHERE w2.endpoint_id = w.endpoint_id AND last_error IS NOT NULL
                         ORDER BY next_attempt_ms DESC LIMIT 1)
                 FROM webhook_deliveries w GROUP BY endpoint_id ORDER BY endpoint_id",
                &[],
            )
            .await?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        rows.iter()
            .map(|r| {
                Ok(WebhookStatus {
                    endpoint_id: r.try_get(0)?,
                    url: None,
                    delivered: count(r.try_get(1)?),
                    pending: count(r.try_get(2)?),
                    failed: count(r.try_get(3)?),
                    last_error: r.try_get(4)?,
                })
            })
            .collect::<Result<_, tokio_postgres::Error>>()
            .map_err(PgError::from)
    }
}

impl PgStore {
    /// Each endpoint's queued deliveries (see `Collector::webhook_status`).
    pub fn webhook_status_blocking(&self) -> Result<Vec<WebhookStatus>, CollectorError> {
        let inner = self.inner.clone();
        Ok(self.block_on(async move { inner.webhook_status().await })??)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::storage::migrate::POSTGRES;

    /// A fresh database at the latest schema with one due delivery for
    /// endpoint `x` and one for `y`; its URL.
    fn database(server: &str) -> String {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let connect = |url: String| async move {
                let (client, conn) = tokio_postgres::connect(&url, NoTls).await.unwrap();
                tokio::spawn(conn);
                client
            };
            let name = format!("posture_webhook_claims_{}", std::process::id());
            let admin = connect(server.to_owned()).await;
            for sql in [
                format!("DROP DATABASE IF EXISTS {name}"),
                format!("CREATE DATABASE {name}"),
            ] {
                admin.batch_execute(&sql).await.unwrap();
            }
            let mut url = url::Url::parse(server).unwrap();
            url.set_path(&name);
            let c = connect(url.to_string()).await;
            for m in POSTGRES {
                c.batch_execute(m.sql).await.unwrap();
            }
            c.batch_execute(
                "INSERT INTO webhook_deliveries (event_id, endpoint_id, body, created_at_ms, next_attempt_ms)
                 VALUES ('e1', 'x', '{}', 1, 1), ('e2', 'y', '{}', 2, 2)",
            )
            .await
            .unwrap();
            url.to_string()
        })
    }

    /// A process claims only the rows of the endpoints it sends to: one
    /// started without `x` (during a rolling change of `--webhook`) leaves
    /// `x`'s rows pending for the processes that have it, rather than
    /// giving them up as "endpoint no longer configured".
    #[test]
    fn a_process_claims_only_its_own_endpoints_rows() {
        let Ok(server) = std::env::var("POSTURE_TEST_POSTGRES_URL") else {
            eprintln!("no POSTURE_TEST_POSTGRES_URL: the PostgreSQL webhook claim is not tried");
            return;
        };
        let url: tokio_postgres::Config = database(&server).parse().unwrap();
        let mut only_y = PgWebhookQueue::open(url.clone(), vec!["y".into()]).unwrap();
        let claimed = only_y.claim(10).unwrap().unwrap();
        assert_eq!(
            (claimed.event_id.as_str(), claimed.endpoint_id.as_str()),
            ("e2", "y")
        );
        only_y.finish(&claimed, &Attempt::Delivered(10)).unwrap();
        assert!(
            only_y.claim(10).unwrap().is_none(),
            "x's row is not y's to send"
        );
        assert_eq!(only_y.next_due(0).unwrap(), None);

        let mut with_x = PgWebhookQueue::open(url, vec!["x".into(), "y".into()]).unwrap();
        let claimed = with_x.claim(10).unwrap().unwrap();
        assert_eq!(
            (claimed.event_id.as_str(), claimed.endpoint_id.as_str()),
            ("e1", "x")
        );
    }
}
