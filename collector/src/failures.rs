//! Since when each rule has failed each device (docs/policy.md §8.4): the
//! history a `warn-then-block` rule counts its grace from. The collector
//! keeps it from the reports it stored, never from the device's word: a
//! rule's start is the `iat` of the first current report that failed it
//! since the last current report that passed it.
//!
//! The table (`rule_failures`, made by schema version 3), the cache the
//! request threads read on SQLite, and one function per query; the
//! PostgreSQL store has the same statements in its own dialect.

use std::collections::HashMap;
use std::sync::RwLock;

use agent_core::policy::{FailureHistory, RuleId, Verdict};
use rusqlite::{Connection, params};
use time::OffsetDateTime;

/// Every device's failure history, for the request threads on SQLite; the
/// writer thread is the only one that changes it, after each commit. The
/// PostgreSQL store does not use it: another process may have changed a
/// history, so each report reads its device's rows.
#[derive(Debug, Default)]
pub(crate) struct FailureCache {
    by_device: RwLock<HashMap<String, FailureHistory>>,
}

impl FailureCache {
    /// The device's history (empty when no rule is failing).
    pub fn get(&self, device_id: &str) -> FailureHistory {
        self.by_device
            .read()
            .ok()
            .and_then(|m| m.get(device_id).cloned())
            .unwrap_or_default()
    }

    /// Replaces one device's history.
    pub fn set(&self, device_id: String, history: FailureHistory) {
        if let Ok(mut map) = self.by_device.write() {
            if history.entries().next().is_none() {
                map.remove(&device_id);
            } else {
                map.insert(device_id, history);
            }
        }
    }

    /// Replaces every device's history (after reading the table).
    pub fn replace_all(&self, all: HashMap<String, FailureHistory>) {
        if let Ok(mut map) = self.by_device.write() {
            *map = all;
        }
    }
}

pub(crate) fn rule_name(rule: RuleId) -> String {
    crate::store::name_of(&rule)
}

pub(crate) fn rule_of(name: &str) -> Option<RuleId> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// `SELECT` every row, grouped by device. A row naming a rule this build
/// does not know is skipped (a newer collector's).
pub(crate) fn load_all(
    conn: &Connection,
) -> Result<HashMap<String, FailureHistory>, rusqlite::Error> {
    let mut stmt = conn.prepare("SELECT device_id, rule, since FROM rule_failures")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut all: HashMap<String, FailureHistory> = HashMap::new();
    for row in rows {
        let (device_id, rule, since) = row?;
        let (Some(rule), Ok(since)) = (rule_of(&rule), OffsetDateTime::from_unix_timestamp(since))
        else {
            tracing::warn!(device_id, rule, since, "skipped an unreadable rule failure");
            continue;
        };
        all.entry(device_id).or_default().insert(rule, since);
    }
    Ok(all)
}

/// `INSERT` that `rule` has failed the device since `since`.
pub(crate) fn insert_failure(
    conn: &Connection,
    device_id: &str,
    rule: RuleId,
    since: i64,
) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(
        "INSERT INTO rule_failures (device_id, rule, since) VALUES (?1, ?2, ?3)
         ON CONFLICT (device_id, rule) DO UPDATE SET since = excluded.since",
    )?
    .execute(params![device_id, rule_name(rule), since])?;
    Ok(())
}

/// `DELETE` the failure of `rule` on the device: it passed.
pub(crate) fn clear_failure(
    conn: &Connection,
    device_id: &str,
    rule: RuleId,
) -> Result<(), rusqlite::Error> {
    conn.prepare_cached("DELETE FROM rule_failures WHERE device_id = ?1 AND rule = ?2")?
        .execute(params![device_id, rule_name(rule)])?;
    Ok(())
}

/// Takes a current report's verdict, reached at `iat`, into the device's
/// history `before`: writes the rows that change and returns the history
/// to put in the cache once the transaction commits.
pub(crate) fn record(
    conn: &Connection,
    device_id: &str,
    before: &FailureHistory,
    verdict: &Verdict,
    iat: OffsetDateTime,
) -> Result<FailureHistory, rusqlite::Error> {
    let after = before.after(verdict, iat);
    for (rule, since) in after.entries() {
        if before.since(rule) != Some(since) {
            insert_failure(conn, device_id, rule, since.unix_timestamp())?;
        }
    }
    for (rule, _) in before.entries() {
        if after.since(rule).is_none() {
            clear_failure(conn, device_id, rule)?;
        }
    }
    Ok(after)
}
