//! The webhook delivery queue in the collector's SQLite database: the
//! table `webhook_deliveries` (made by schema version 3) and one function
//! per query; the PostgreSQL store's are in `storage/postgres/webhooks.rs`.

use rusqlite::{Connection, OptionalExtension, params};

/// Queues an event for an endpoint (again: nothing, the first row stays).
pub(crate) fn enqueue(
    conn: &Connection,
    event_id: &str,
    endpoint_id: &str,
    body: &str,
    queued_ms: i64,
    due_ms: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO webhook_deliveries
         (event_id, endpoint_id, body, created_at_ms, next_attempt_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![event_id, endpoint_id, body, queued_ms, due_ms])
    .map(drop)
}

/// A delivery that is due.
#[derive(Debug, Clone)]
pub(crate) struct Due {
    pub event_id: String,
    pub endpoint_id: String,
    pub body: String,
    pub attempts: u32,
    /// When the event was queued: the retry horizon counts from it.
    pub created_at_ms: i64,
}

/// Up to `limit` deliveries due at `now_ms`, oldest first.
pub(crate) fn due(conn: &Connection, now_ms: i64, limit: u32) -> rusqlite::Result<Vec<Due>> {
    conn.prepare_cached(
        "SELECT event_id, endpoint_id, body, attempts, created_at_ms FROM webhook_deliveries
         WHERE delivered_at_ms IS NULL AND failed_at_ms IS NULL AND next_attempt_ms <= ?1
         ORDER BY next_attempt_ms, created_at_ms LIMIT ?2",
    )?
    .query_map(params![now_ms, limit], |r| {
        Ok(Due {
            event_id: r.get(0)?,
            endpoint_id: r.get(1)?,
            body: r.get(2)?,
            attempts: r.get(3)?,
            created_at_ms: r.get(4)?,
        })
    })?
    .collect()
}

/// Makes every pending delivery due now: a start is a natural moment to
/// try again (the receiver may have been fixed meanwhile).
pub(crate) fn all_due(conn: &Connection, now_ms: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE webhook_deliveries SET next_attempt_ms = ?1
         WHERE delivered_at_ms IS NULL AND failed_at_ms IS NULL AND next_attempt_ms > ?1",
    )?
    .execute(params![now_ms])
    .map(drop)
}

/// When the next pending delivery falls due, if there is one.
pub(crate) fn next_due(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT MIN(next_attempt_ms) FROM webhook_deliveries
         WHERE delivered_at_ms IS NULL AND failed_at_ms IS NULL",
    )?
    .query_row([], |r| r.get(0))
    .optional()
    .map(Option::flatten)
}

/// Marks a delivery done.
pub(crate) fn delivered(conn: &Connection, row: &Due, now_ms: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE webhook_deliveries SET delivered_at_ms = ?1, attempts = attempts + 1
         WHERE event_id = ?2 AND endpoint_id = ?3",
    )?
    .execute(params![now_ms, row.event_id, row.endpoint_id])
    .map(drop)
}

/// Records a failed attempt; the next is at `next_ms`, or none when `last`.
pub(crate) fn failed(
    conn: &Connection,
    row: &Due,
    next_ms: i64,
    status: Option<u16>,
    error: &str,
    last: bool,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_ms = ?1,
         last_status = ?2, last_error = ?3,
         failed_at_ms = CASE WHEN ?4 THEN ?1 ELSE NULL END
         WHERE event_id = ?5 AND endpoint_id = ?6",
    )?
    .execute(params![
        next_ms,
        status,
        error,
        last,
        row.event_id,
        row.endpoint_id
    ])
    .map(drop)
}

/// One endpoint's queue, for the admin.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WebhookStatus {
    /// The endpoint's id.
    pub endpoint_id: String,
    /// Its URL without the query; absent for an endpoint no longer configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Deliveries made.
    pub delivered: u64,
    /// Deliveries waiting (new or being retried).
    pub pending: u64,
    /// Deliveries given up after the last attempt.
    pub failed: u64,
    /// The latest failed attempt's error, when there was one.
    pub last_error: Option<String>,
}

/// Each endpoint's counts and latest error.
pub(crate) fn status(conn: &Connection) -> rusqlite::Result<Vec<WebhookStatus>> {
    conn.prepare_cached(
        "SELECT endpoint_id,
                SUM(delivered_at_ms IS NOT NULL),
                SUM(delivered_at_ms IS NULL AND failed_at_ms IS NULL),
                SUM(failed_at_ms IS NOT NULL),
                (SELECT last_error FROM webhook_deliveries w2
                 WHERE w2.endpoint_id = w.endpoint_id AND last_error IS NOT NULL
                 ORDER BY next_attempt_ms DESC LIMIT 1)
         FROM webhook_deliveries w GROUP BY endpoint_id ORDER BY endpoint_id",
    )?
    .query_map([], |r| {
        Ok(WebhookStatus {
            endpoint_id: r.get(0)?,
            url: None,
            delivered: count(r.get(1)?),
            pending: count(r.get(2)?),
            failed: count(r.get(3)?),
            last_error: r.get(4)?,
        })
    })?
    .collect()
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
