//! The outbox: signed reports committed before they are sent and removed
//! only when the server acknowledged them, so delivery is at least once.
//!
//! Bounded by count and bytes. When a push would overflow a bound, the
//! OLDEST reports (by `created_at`) are evicted first: the newest posture
//! is what the backend needs to decide about the device now, and older
//! reports are only history. Evictions are counted persistently and
//! reported back to the caller, never silent.

use std::time::Duration;

use rusqlite::{Row, params};
use time::OffsetDateTime;

use super::backoff;
use super::error::{DbError, StateError};
use super::stamp::{from_db, from_db_opt, to_db};
use super::{Cached, State};
use crate::protocol::Jti;

/// How much the outbox may hold before it evicts the oldest reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxLimits {
    /// The most reports queued at once.
    pub max_reports: u32,
    /// The most token bytes queued at once; also the largest single report.
    pub max_bytes: u64,
}

impl OutboxLimits {
    /// The default count bound: weeks of hourly reports.
    pub const DEFAULT_MAX_REPORTS: u32 = 500;
    /// The default byte bound: 8 MiB, small next to any phone's storage.
    pub const DEFAULT_MAX_BYTES: u64 = 8 * 1024 * 1024;

    pub(crate) fn validate(self) -> Result<(), StateError> {
        let bad = |detail: &str| StateError::Invalid {
            what: "outbox limits",
            detail: detail.to_owned(),
        };
        if self.max_reports == 0 {
            return Err(bad("max_reports must be at least 1"));
        }
        if self.max_bytes == 0 || i64::try_from(self.max_bytes).is_err() {
            return Err(bad("max_bytes must be between 1 and 2^63 - 1"));
        }
        Ok(())
    }
}

impl Default for OutboxLimits {
    fn default() -> Self {
        OutboxLimits {
            max_reports: Self::DEFAULT_MAX_REPORTS,
            max_bytes: Self::DEFAULT_MAX_BYTES,
        }
    }
}

/// A signed report waiting for delivery.
#[derive(Clone, PartialEq, Eq)]
pub struct QueuedReport {
    /// The token's unique id; the outbox's key and the server's dedup key.
    pub jti: Jti,
    /// The compact JWS, sent as is.
    pub token: String,
    /// When the report was signed.
    pub created_at: OffsetDateTime,
    /// Failed delivery attempts so far.
    pub attempts: u32,
    /// The earliest time the next attempt may be made.
    pub next_attempt_at: OffsetDateTime,
    /// Why the last attempt failed, if one did.
    pub last_error: Option<String>,
}

impl QueuedReport {
    /// A new report, due at once.
    pub fn new(jti: Jti, token: impl Into<String>, created_at: OffsetDateTime) -> Self {
        QueuedReport {
            jti,
            token: token.into(),
            created_at,
            attempts: 0,
            next_attempt_at: created_at,
            last_error: None,
        }
    }
}

// Tokens carry the device's posture: keep them out of logs and panics.
impl std::fmt::Debug for QueuedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueuedReport")
            .field("jti", &self.jti)
            .field("token", &format_args!("<{} bytes>", self.token.len()))
            .field("created_at", &self.created_at)
            .field("attempts", &self.attempts)
            .field("next_attempt_at", &self.next_attempt_at)
            .field("last_error", &self.last_error)
            .finish()
    }
}

/// What a push did, for the caller to log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushOutcome {
    /// How many older reports were evicted to make room.
    pub evicted: u32,
    /// The jti was already queued; the outbox kept the earlier copy.
    pub already_queued: bool,
}

/// A summary of the outbox, for status output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxStats {
    /// Reports queued.
    pub queued: u64,
    /// Token bytes queued.
    pub bytes: u64,
    /// Reports evicted unsent since the state was created.
    pub evicted_total: u64,
    /// When the oldest queued report was signed.
    pub oldest_created_at: Option<OffsetDateTime>,
}

/// Longest failure text kept: enough for a status line, bounded in size.
const MAX_ERROR_LEN: usize = 512;

const SELECT_REPORT: &str =
    "SELECT jti, token, created_at, attempts, next_attempt_at, last_error FROM outbox";

/// The reports due at ?1, oldest first, at most ?2.
fn due_sql() -> String {
    format!("{SELECT_REPORT} WHERE next_attempt_at <= ?1 ORDER BY created_at, rowid LIMIT ?2")
}

impl State {
    /// Commits `report` to the outbox (durably, before returning), evicting
    /// the oldest reports if it would overflow a bound. Pushing a jti that is
    /// already queued changes nothing.
    pub fn push(&mut self, report: &QueuedReport) -> Result<PushOutcome, StateError> {
        let limits = self.limits();
        let bytes = u64::try_from(report.token.len()).unwrap_or(u64::MAX);
        if bytes > limits.max_bytes {
            return Err(StateError::ReportTooLarge {
                jti: report.jti.to_string(),
                bytes,
                limit: limits.max_bytes,
            });
        }
        let created_at = to_db(report.created_at)?;
        let next_attempt_at = to_db(report.next_attempt_at)?;
        let outcome = self.write(|tx| {
            let exists: bool = tx.row(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE jti = ?1)",
                [report.jti.as_str()],
                |r| r.get(0),
            )?;
            if exists {
                return Ok(PushOutcome {
                    evicted: 0,
                    already_queued: true,
                });
            }
            let evicted = evict_for(tx, limits, bytes)?;
            tx.exec(
                "INSERT INTO outbox
                    (jti, token, bytes, created_at, attempts, next_attempt_at, last_error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    report.jti.as_str(),
                    report.token,
                    // Fits: bytes <= max_bytes, which validate() keeps below 2^63.
                    i64::try_from(bytes).unwrap_or(i64::MAX),
                    created_at,
                    report.attempts,
                    next_attempt_at,
                    report.last_error,
                ],
            )?;
            Ok(PushOutcome {
                evicted,
                already_queued: false,
            })
        })?;
        if outcome.evicted > 0 {
            tracing::warn!(
                evicted = outcome.evicted,
                "outbox full: evicted the oldest reports"
            );
        }
        Ok(outcome)
    }

    /// Up to `limit` reports whose next attempt is due at `now`, oldest first.
    pub fn due(&self, now: OffsetDateTime, limit: usize) -> Result<Vec<QueuedReport>, StateError> {
        let now = to_db(now)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&due_sql())?;
            let rows = stmt.query_map(params![now, limit], RawReport::from_row)?;
            rows.map(|raw| raw?.decode()).collect()
        })
    }

    /// Every queued report, oldest first.
    pub fn all(&self) -> Result<Vec<QueuedReport>, StateError> {
        self.read(|conn| {
            let mut stmt =
                conn.prepare_cached(&format!("{SELECT_REPORT} ORDER BY created_at, rowid"))?;
            let rows = stmt.query_map([], RawReport::from_row)?;
            rows.map(|raw| raw?.decode()).collect()
        })
    }

    /// Removes an acknowledged report; false when it was not queued (already
    /// acknowledged, or evicted), which is not an error under at-least-once.
    pub fn ack(&mut self, jti: &Jti) -> Result<bool, StateError> {
        self.write(|tx| Ok(tx.exec("DELETE FROM outbox WHERE jti = ?1", [jti.as_str()])? > 0))
    }

    /// Records a failed delivery attempt and schedules the next one with
    /// backoff, never earlier than `retry_after` from `now`. Returns the next
    /// attempt time, or None when the report is no longer queued.
    pub fn record_failure(
        &mut self,
        jti: &Jti,
        now: OffsetDateTime,
        retry_after: Option<Duration>,
        error: &str,
    ) -> Result<Option<OffsetDateTime>, StateError> {
        let error = truncate(error, MAX_ERROR_LEN);
        let jti = jti.as_str();
        self.write(|tx| {
            let attempts: Option<u32> = rusqlite::OptionalExtension::optional(tx.row(
                "SELECT attempts FROM outbox WHERE jti = ?1",
                [jti],
                |r| r.get(0),
            ))?;
            let Some(attempts) = attempts else {
                return Ok(None);
            };
            let attempts = attempts.saturating_add(1);
            let delay = jittered_delay(attempts, retry_after);
            let next = time::Duration::try_from(delay)
                .ok()
                .and_then(|d| now.checked_add(d))
                .ok_or(StateError::TimeOutOfRange(now))?;
            tx.exec(
                "UPDATE outbox SET attempts = ?2, next_attempt_at = ?3, last_error = ?4
                 WHERE jti = ?1",
                params![jti, attempts, to_db(next)?, error],
            )?;
            Ok(Some(next))
        })
    }

    /// Counts, bytes, evictions and the oldest report's age.
    pub fn stats(&self) -> Result<OutboxStats, StateError> {
        self.read(|conn| {
            let (queued, bytes, oldest): (i64, i64, Option<i64>) = conn.row(
                "SELECT COUNT(*), COALESCE(SUM(bytes), 0), MIN(created_at) FROM outbox",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let evicted: i64 =
                conn.row("SELECT evicted_total FROM agent WHERE id = 1", [], |r| {
                    r.get(0)
                })?;
            Ok(OutboxStats {
                queued: non_negative("queued count", queued)?,
                bytes: non_negative("queued bytes", bytes)?,
                evicted_total: non_negative("evicted_total", evicted)?,
                oldest_created_at: from_db_opt(oldest)?,
            })
        })
    }
}

/// Deletes the oldest reports until one more of `incoming` bytes fits, adds
/// them to `evicted_total`, and returns how many went.
fn evict_for(
    tx: &rusqlite::Connection,
    limits: OutboxLimits,
    incoming: u64,
) -> Result<u32, DbError> {
    let (count, bytes): (i64, i64) = tx.row(
        "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM outbox",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut count = non_negative("queued count", count)?;
    let mut bytes = non_negative("queued bytes", bytes)?;
    let fits = |count: u64, bytes: u64| {
        count < u64::from(limits.max_reports) && bytes.saturating_add(incoming) <= limits.max_bytes
    };
    let mut victims = Vec::new();
    {
        let mut stmt =
            tx.prepare_cached("SELECT jti, bytes FROM outbox ORDER BY created_at, rowid")?;
        let mut rows = stmt.query([])?;
        while !fits(count, bytes) {
            let Some(row) = rows.next()? else { break };
            victims.push(row.get::<_, String>(0)?);
            count = count.saturating_sub(1);
            bytes = bytes.saturating_sub(non_negative("report bytes", row.get(1)?)?);
        }
    }
    for jti in &victims {
        tx.exec("DELETE FROM outbox WHERE jti = ?1", [jti])?;
    }
    let evicted = u32::try_from(victims.len()).unwrap_or(u32::MAX);
    if evicted > 0 {
        tx.exec(
            "UPDATE agent SET evicted_total = evicted_total + ?1 WHERE id = 1",
            [evicted],
        )?;
    }
    Ok(evicted)
}

/// The backoff delay with fresh randomness from the OS.
fn jittered_delay(attempts: u32, retry_after: Option<Duration>) -> Duration {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut buf = [0u8; 8];
    match SystemRandom::new().fill(&mut buf) {
        Ok(()) => backoff::retry_delay(attempts, u64::from_le_bytes(buf), retry_after),
        Err(_) => {
            // Without randomness, wait the longest the backoff allows: late
            // is safe, a synchronised retry storm is not.
            tracing::warn!("no OS randomness for retry jitter; using the full backoff");
            let top = backoff::ceiling(attempts);
            retry_after.map_or(top, |floor| top.max(floor))
        }
    }
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn non_negative(what: &str, value: i64) -> Result<u64, DbError> {
    u64::try_from(value).map_err(|_| DbError::Damaged(format!("{what} {value} is negative")))
}

struct RawReport {
    jti: String,
    token: String,
    created_at: i64,
    attempts: i64,
    next_attempt_at: i64,
    last_error: Option<String>,
}

impl RawReport {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<RawReport> {
        Ok(RawReport {
            jti: r.get(0)?,
            token: r.get(1)?,
            created_at: r.get(2)?,
            attempts: r.get(3)?,
            next_attempt_at: r.get(4)?,
            last_error: r.get(5)?,
        })
    }

    fn decode(self) -> Result<QueuedReport, DbError> {
        let attempts = u32::try_from(self.attempts)
            .map_err(|_| DbError::Damaged(format!("attempts {} is invalid", self.attempts)))?;
        let jti = Jti::new(self.jti)
            .map_err(|e| DbError::Damaged(format!("a queued report's jti is invalid: {e}")))?;
        Ok(QueuedReport {
            jti,
            token: self.token,
            created_at: from_db(self.created_at)?,
            attempts,
            next_attempt_at: from_db(self.next_attempt_at)?,
            last_error: self.last_error,
        })
    }
}

#[cfg(test)]
mod tests;
