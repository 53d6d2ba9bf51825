//! The failure history (`rule_failures`, docs/policy.md §8.4) on
//! PostgreSQL: the same rows as SQLite's (`crate::failures`), read from
//! the database for every report, since another collector process may
//! have recorded a device's failure, and written in the transaction of the
//! current report that changes it, under that device's row lock.

use agent_core::policy::{FailureHistory, Verdict};
use deadpool_postgres::GenericClient;
use time::OffsetDateTime;

use super::{PgError, PgInner, PgStore};
use crate::error::CollectorError;
use crate::failures::{rule_name, rule_of};

const SELECT: &str = "SELECT rule, since FROM rule_failures WHERE device_id = $1";

/// The history from its rows; a row naming a rule this build does not know
/// (a newer collector's) is skipped.
fn history(device_id: &str, rows: &[tokio_postgres::Row]) -> Result<FailureHistory, PgError> {
    let mut pairs = Vec::with_capacity(rows.len());
    for row in rows {
        let rule: String = row.try_get(0)?;
        let since: i64 = row.try_get(1)?;
        pairs.push((rule, since));
    }
    Ok(from_pairs(device_id, pairs.iter().map(|(r, s)| (r, *s))))
}

/// The history from (rule, since) pairs, as [`history`] reads rows.
pub(super) fn from_pairs<'a>(
    device_id: &str,
    pairs: impl Iterator<Item = (&'a String, i64)>,
) -> FailureHistory {
    let mut out = FailureHistory::new();
    for (rule, since) in pairs {
        let (Some(r), Ok(at)) = (rule_of(rule), OffsetDateTime::from_unix_timestamp(since)) else {
            tracing::warn!(device_id, rule, since, "skipped an unreadable rule failure");
            continue;
        };
        out.insert(r, at);
    }
    out
}

/// The history of the device the transaction has locked, read after the
/// lock was granted (a statement of its own, after the one that locks):
/// the rows the last committed report left, whichever process stored it.
pub(super) async fn read(
    tx: &impl GenericClient,
    device_id: &str,
) -> Result<FailureHistory, PgError> {
    let st = tx.prepare_cached(SELECT).await?;
    history(device_id, &tx.query(&st, &[&device_id]).await?)
}

/// Takes a current report's verdict, reached at `iat`, into the history
/// `before` that [`read`] read under the device's row lock in this
/// transaction: writes only the rows that change.
pub(super) async fn record(
    tx: &impl GenericClient,
    device_id: &str,
    before: &FailureHistory,
    verdict: &Verdict,
    iat: OffsetDateTime,
) -> Result<(), PgError> {
    let after = before.after(verdict, iat);
    for (rule, since) in after.entries() {
        if before.since(rule) != Some(since) {
            let st = tx
                .prepare_cached(
                    "INSERT INTO rule_failures (device_id, rule, since) VALUES ($1, $2, $3)
                     ON CONFLICT (device_id, rule) DO UPDATE SET since = excluded.since",
                )
                .await?;
            tx.execute(
                &st,
                &[&device_id, &rule_name(rule), &since.unix_timestamp()],
            )
            .await?;
        }
    }
    for (rule, _) in before.entries() {
        if after.since(rule).is_none() {
            let st = tx
                .prepare_cached("DELETE FROM rule_failures WHERE device_id = $1 AND rule = $2")
                .await?;
            tx.execute(&st, &[&device_id, &rule_name(rule)]).await?;
        }
    }
    Ok(())
}

impl PgInner {
    async fn failure_history(&self, device_id: &str) -> Result<FailureHistory, PgError> {
        let client = self.pool.get().await?;
        read(&client, device_id).await
    }
}

impl PgStore {
    /// The device's failure history as the database has it now.
    pub async fn failure_history(&self, device_id: &str) -> Result<FailureHistory, CollectorError> {
        // Most often read already, with the key (no task, no round trip).
        if let Some(history) = self.inner.take_history_hint(device_id) {
            return Ok(history);
        }
        let device_id = device_id.to_owned();
        self.run(|inner| async move { inner.failure_history(&device_id).await })
            .await?
            .map_err(CollectorError::from)
    }
}
