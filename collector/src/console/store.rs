//! The console's tables and queries: one function per query, plain SQL
//! that ports to another database.
//!
//! SQLite's side of the storage interface's console operations
//! (`crate::storage::Store`); PostgreSQL's are the same queries in
//! `crate::storage::postgres`. Tables (schema version 4,
//! `collector/migrations/*/0004_console.sql`):
//! - `console_revoked_sessions`: session ids ended by logging out, kept
//!   until the session would have expired anyway.
//! - `console_used_links`: one-time log-in links already used, likewise.
//! - `console_code_revocations`: enrolment codes an admin revoked.
//! - `policy_revisions`: each distinct policy the collector has enforced,
//!   when it first and last came into force.
//!
//! The console writes rarely (a log-out, a revocation), so its writes use a
//! short-lived connection of their own rather than the report writer's queue.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use agent_core::Policy;
use rusqlite::{Connection, OptionalExtension, params};

/// Most codes the enrolment page lists.
pub(crate) const MAX_CODES_LISTED: i64 = 200;
/// Most revisions the policy page lists.
pub(crate) const MAX_REVISIONS: i64 = 50;

/// A connection for one of the console's rare writes.
pub(crate) fn open_write(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}

/// Records that `policy` is in force from `now`: a new revision row the
/// first time this exact document is seen, else its start time moves on.
pub(crate) fn record_policy(conn: &Connection, policy: &Policy, now: i64) -> rusqlite::Result<()> {
    let (sha, document) = policy_digest(policy);
    conn.execute(
        "INSERT INTO policy_revisions (sha256, name, revision, document, first_in_force_at, last_started_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (sha256) DO UPDATE SET last_started_at = excluded.last_started_at",
        params![sha, policy.name, policy.revision, document, now],
    )?;
    Ok(())
}

/// A policy's stored document and its SHA-256 (hex): the revision's key.
pub(crate) fn policy_digest(policy: &Policy) -> (String, String) {
    let document = policy.to_json();
    let sha = hex(ring::digest::digest(&ring::digest::SHA256, document.as_bytes()).as_ref());
    (sha, document)
}

/// One policy revision as the policy page lists it.
#[derive(Debug, Clone)]
pub(crate) struct RevisionRow {
    pub name: String,
    pub revision: u32,
    pub sha256: String,
    pub first_in_force_at: i64,
    pub last_started_at: i64,
}

/// The policies enforced so far, the most recently started first.
pub(crate) fn policy_revisions(conn: &Connection) -> rusqlite::Result<Vec<RevisionRow>> {
    let mut stmt = conn.prepare(
        "SELECT name, revision, sha256, first_in_force_at, last_started_at
         FROM policy_revisions ORDER BY last_started_at DESC, first_in_force_at DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map(params![MAX_REVISIONS], |r| {
        Ok(RevisionRow {
            name: r.get(0)?,
            revision: r.get(1)?,
            sha256: r.get(2)?,
            first_in_force_at: r.get(3)?,
            last_started_at: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// Ends a session: its id is refused from now until it would have expired.
/// Forgets revocations of sessions that have expired meanwhile.
pub(crate) fn revoke_session(
    conn: &Connection,
    session_id: &str,
    expires_at: i64,
    now: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM console_revoked_sessions WHERE expires_at <= ?1",
        params![now],
    )?;
    conn.execute(
        "INSERT INTO console_revoked_sessions (session_id, expires_at) VALUES (?1, ?2)
         ON CONFLICT (session_id) DO NOTHING",
        params![session_id, expires_at],
    )?;
    Ok(())
}

/// Whether a session was ended by logging out.
pub(crate) fn session_revoked(conn: &Connection, session_id: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM console_revoked_sessions WHERE session_id = ?1)",
        params![session_id],
        |r| r.get(0),
    )
}

/// Marks a one-time log-in link used; `false` when it already was.
pub(crate) fn use_link(
    conn: &Connection,
    link_id: &str,
    expires_at: i64,
    now: i64,
) -> rusqlite::Result<bool> {
    conn.execute(
        "DELETE FROM console_used_links WHERE expires_at <= ?1",
        params![now],
    )?;
    let inserted = conn.execute(
        "INSERT INTO console_used_links (link_id, expires_at) VALUES (?1, ?2)
         ON CONFLICT (link_id) DO NOTHING",
        params![link_id, expires_at],
    )?;
    Ok(inserted == 1)
}

/// One enrolment code as the enrolment page lists it (never the code
/// itself: only its digest is stored).
#[derive(Debug, Clone)]
pub(crate) struct CodeRow {
    /// The code's digest, hex: what a revocation names.
    pub hash_hex: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub label: Option<String>,
    pub failed_attempts: i64,
    pub used_at: Option<i64>,
    pub device_id: Option<String>,
    pub revoked_at: Option<i64>,
}

/// The most recently issued codes, newest first.
pub(crate) fn list_codes(conn: &Connection) -> rusqlite::Result<Vec<CodeRow>> {
    let mut stmt = conn.prepare(
        "SELECT c.hash, c.created_at, c.expires_at, c.label, c.failed_attempts, c.used_at,
                c.device_id, v.revoked_at
         FROM codes c LEFT JOIN console_code_revocations v ON v.hash = c.hash
         ORDER BY c.created_at DESC, c.rowid DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map(params![MAX_CODES_LISTED], |r| {
        let hash: Vec<u8> = r.get(0)?;
        Ok(CodeRow {
            hash_hex: hex(&hash),
            created_at: r.get(1)?,
            expires_at: r.get(2)?,
            label: r.get(3)?,
            failed_attempts: r.get(4)?,
            used_at: r.get(5)?,
            device_id: r.get(6)?,
            revoked_at: r.get(7)?,
        })
    })?;
    rows.collect()
}

/// Revokes an unused, unexpired code: it expires now, so enrolment refuses
/// it, and the revocation is recorded. `false` when no such code has this
/// digest.
pub(crate) fn revoke_code(conn: &mut Connection, hash: &[u8], now: i64) -> rusqlite::Result<bool> {
    let tx = conn.transaction()?;
    let changed = tx.execute(
        "UPDATE codes SET expires_at = ?2
         WHERE hash = ?1 AND used_at IS NULL AND expires_at > ?2
           AND hash NOT IN (SELECT hash FROM console_code_revocations)",
        params![hash, now],
    )?;
    if changed == 1 {
        tx.execute(
            "INSERT INTO console_code_revocations (hash, revoked_at) VALUES (?1, ?2)
             ON CONFLICT (hash) DO NOTHING",
            params![hash, now],
        )?;
    }
    tx.commit()?;
    Ok(changed == 1)
}

/// The label given to each enrolled device's code, by device id.
pub(crate) fn device_labels(conn: &Connection) -> rusqlite::Result<HashMap<String, String>> {
    let mut stmt = conn.prepare(
        "SELECT device_id, label FROM codes WHERE device_id IS NOT NULL AND label IS NOT NULL",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// The label of one device's code, if it had one.
pub(crate) fn device_label(conn: &Connection, device_id: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT label FROM codes WHERE device_id = ?1 AND label IS NOT NULL",
        params![device_id],
        |r| r.get(0),
    )
    .optional()
}

/// The signed token of each enrolled device's latest current report (the
/// one its fleet row rests on), by device id.
pub(crate) fn latest_tokens(conn: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT d.device_id, r.token
         FROM devices d
         JOIN device_assessments a ON a.device_id = d.device_id
         JOIN reports r ON r.jti = a.jti
         WHERE d.unenrolled_at IS NULL",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// One device's latest current report's token, if it has one.
pub(crate) fn latest_token(conn: &Connection, device_id: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT r.token FROM device_assessments a JOIN reports r ON r.jti = a.jti
         WHERE a.device_id = ?1",
        params![device_id],
        |r| r.get(0),
    )
    .optional()
}

/// Most reports the trend reads: past it, the chart shows the latest ones.
pub(crate) const MAX_TREND_REPORTS: i64 = 50_000;

/// Per UTC day since `since` (Unix seconds) and per rule: how many of the
/// current reports (the latest [`MAX_TREND_REPORTS`]) had the rule apply,
/// and how many passed it. The appraisal is stored as JSON, read here in
/// Rust so the query needs no JSON support from the database.
pub(crate) fn daily_rule_passes(
    conn: &Connection,
    since: i64,
) -> rusqlite::Result<Vec<(i64, String, u64, u64)>> {
    let mut stmt = conn.prepare(
        "SELECT r.accepted_at / 86400, a.assessment
         FROM reports r JOIN report_assessments a ON a.jti = r.jti
         WHERE r.accepted_at >= ?1 AND r.freshness = 'current'
         ORDER BY r.accepted_at DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![since, MAX_TREND_REPORTS], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut tally = RuleTally::default();
    for row in rows {
        let (day, assessment) = row?;
        tally.add(day, &assessment);
    }
    Ok(tally.finish())
}

/// The counts [`daily_rule_passes`] answers, from (day, stored
/// assessment) rows: the same on every store.
#[derive(Debug, Default)]
pub(crate) struct RuleTally {
    counts: std::collections::BTreeMap<(i64, String), (u64, u64)>,
}

impl RuleTally {
    /// Counts one report's appraisal on `day`.
    pub fn add(&mut self, day: i64, assessment: &str) {
        #[derive(serde::Deserialize)]
        struct Fact {
            rule: String,
            outcome: String,
        }
        #[derive(serde::Deserialize)]
        struct Stored {
            facts: Vec<Fact>,
        }
        // An appraisal this version cannot read is left out of the trend.
        let Ok(stored) = serde_json::from_str::<Stored>(assessment) else {
            return;
        };
        for fact in stored.facts {
            if fact.outcome == "not_applicable" {
                continue;
            }
            let entry = self.counts.entry((day, fact.rule)).or_default();
            entry.1 += 1;
            if fact.outcome == "pass" {
                entry.0 += 1;
            }
        }
    }

    /// (day, rule, passed, applied), by day then rule.
    pub fn finish(self) -> Vec<(i64, String, u64, u64)> {
        self.counts
            .into_iter()
            .map(|((day, rule), (pass, count))| (day, rule, pass, count))
            .collect()
    }
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes from lower- or upper-case hex; `None` when it is not hex.
pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 128 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE codes (hash BLOB PRIMARY KEY, created_at INTEGER NOT NULL,
             expires_at INTEGER NOT NULL, label TEXT, failed_attempts INTEGER NOT NULL DEFAULT 0,
             used_at INTEGER, device_id TEXT, kid TEXT);",
        )
        .unwrap();
        conn.execute_batch(include_str!("../../migrations/sqlite/0004_console.sql"))
            .unwrap();
        conn
    }

    #[test]
    fn a_revoked_session_stays_revoked_until_it_expires() {
        let conn = db();
        revoke_session(&conn, "s1", 200, 100).unwrap();
        assert!(session_revoked(&conn, "s1").unwrap());
        assert!(!session_revoked(&conn, "s2").unwrap());
        revoke_session(&conn, "s2", 400, 300).unwrap();
        // s1 expired at 200: forgotten, and no longer needed.
        assert!(!session_revoked(&conn, "s1").unwrap());
    }

    #[test]
    fn a_link_works_once() {
        let conn = db();
        assert!(use_link(&conn, "l1", 200, 100).unwrap());
        assert!(!use_link(&conn, "l1", 200, 101).unwrap());
    }

    #[test]
    fn only_unused_codes_are_revoked() {
        let mut conn = db();
        conn.execute_batch(
            "INSERT INTO codes (hash, created_at, expires_at) VALUES (x'01', 1, 1000);
             INSERT INTO codes (hash, created_at, expires_at, used_at, device_id) VALUES (x'02', 2, 1000, 5, 'd');",
        )
        .unwrap();
        assert!(revoke_code(&mut conn, &[1], 50).unwrap());
        assert!(!revoke_code(&mut conn, &[2], 50).unwrap());
        assert!(!revoke_code(&mut conn, &[3], 50).unwrap());
        let codes = list_codes(&conn).unwrap();
        let one = codes.iter().find(|c| c.hash_hex == "01").unwrap();
        assert_eq!((one.expires_at, one.revoked_at), (50, Some(50)));
        let two = codes.iter().find(|c| c.hash_hex == "02").unwrap();
        assert_eq!((two.expires_at, two.revoked_at), (1000, None));
    }

    #[test]
    fn a_policy_seen_again_is_one_revision() {
        let conn = db();
        let policy = Policy::default_policy();
        record_policy(&conn, &policy, 10).unwrap();
        record_policy(&conn, &policy, 20).unwrap();
        let mut other = policy.clone();
        other.revision += 1;
        record_policy(&conn, &other, 30).unwrap();
        let revisions = policy_revisions(&conn).unwrap();
        assert_eq!(revisions.len(), 2);
        assert_eq!(revisions[0].revision, other.revision);
        assert_eq!(
            (revisions[1].first_in_force_at, revisions[1].last_started_at),
            (10, 20)
        );
    }

    #[test]
    fn hex_round_trips_and_refuses_junk() {
        assert_eq!(unhex(&hex(&[0, 255, 16])), Some(vec![0, 255, 16]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }
}
