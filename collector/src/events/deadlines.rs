//! Grace deadlines that pass without a report (docs/policy.md §8.4): a
//! `warn-then-block` rule's warning becomes a block on its deadline day
//! whether or not the device reports again, so the collector looks for
//! such deadlines itself and emits one event for each.
//!
//! A (device, rule) is due when the device is enrolled, the rule has failed
//! it since `since` (`rule_failures`), the device's latest current report
//! softened that failure to a warning with a deadline, and the deadline day
//! has begun (UTC). A report after the deadline re-evaluates the rule to a
//! block, so its verdict event says the same and the scan leaves it alone.
//! Each (device, rule, since) is announced once: the row in
//! `grace_deadline_events` goes in with `ON CONFLICT DO NOTHING` in the
//! transaction that queues the event, and the event is emitted only when
//! the row went in. Plain SQL, one function per query, so another store
//! can carry the same statements (`storage::postgres::deadlines`).

use agent_core::Platform;
use agent_core::policy::{Compliance, Finding, Outcome, RuleId, Verdict};
use rusqlite::{Connection, params};
use time::{Date, OffsetDateTime};

/// A (device, rule) whose grace deadline has passed with no event yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DueDeadline {
    /// The device's random id.
    pub device_id: String,
    /// Its platform.
    pub platform: Platform,
    /// The rule whose grace ran out.
    pub rule: RuleId,
    /// Since when the rule has failed the device (`rule_failures.since`).
    pub since: i64,
    /// The deadline its latest current verdict gave: the block's first day.
    pub deadline: Date,
    /// That report's `jti`.
    pub jti: String,
}

/// One candidate as the scan's query returns it, before its verdict is read.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub device_id: String,
    pub platform: String,
    pub rule: String,
    pub since: i64,
    pub jti: String,
    pub verdict: String,
}

/// The scan's query: every failing (device, rule) of an enrolled device,
/// with its latest current verdict, not yet announced.
pub(crate) const CANDIDATES: &str = "
SELECT f.device_id, d.platform, f.rule, f.since, s.jti, r.verdict
FROM rule_failures f
JOIN devices d ON d.device_id = f.device_id
JOIN device_assessments s ON s.device_id = f.device_id
JOIN reports r ON r.jti = s.jti
WHERE d.unenrolled_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM grace_deadline_events g
                  WHERE g.device_id = f.device_id AND g.rule = f.rule AND g.since = f.since)
ORDER BY f.device_id, f.rule";

/// The insert-once, guarded by what the scan saw: nothing goes in when a
/// report moved the failure or the latest verdict on since (or the device
/// unenrolled), or when the row is there already.
pub(crate) const RECORD_ONCE_SQLITE: &str = "
INSERT INTO grace_deadline_events (device_id, rule, since, deadline, jti, event_id, emitted_at)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
WHERE EXISTS (SELECT 1 FROM rule_failures f
              JOIN devices d ON d.device_id = f.device_id
              JOIN device_assessments s ON s.device_id = f.device_id
              WHERE f.device_id = ?1 AND f.rule = ?2 AND f.since = ?3 AND s.jti = ?5
                AND d.unenrolled_at IS NULL)
ON CONFLICT (device_id, rule, since) DO NOTHING";

/// When a deadline's block starts: the first instant of its day, UTC (the
/// evaluation warns while the day is before the deadline).
pub(crate) fn block_starts(deadline: Date) -> OffsetDateTime {
    deadline.midnight().assume_utc()
}

/// Whether `finding` is a warning whose grace has run out at `now`: a
/// warning with a deadline whose day has begun (UTC). The one rule for
/// the scan and for every view that shows compliance from a stored
/// verdict, so a gateway sees the block from the deadline's first second
/// whether or not the device reported again.
pub(crate) fn grace_over(finding: &Finding, now: OffsetDateTime) -> bool {
    finding.outcome == Outcome::Warn && finding.deadline.is_some_and(|d| block_starts(d) <= now)
}

/// Whether a stored verdict's warning has become a block at `now`: one of
/// its warnings' grace has run out ([`grace_over`]).
pub(crate) fn verdict_blocks(verdict: &Verdict, now: OffsetDateTime) -> bool {
    verdict.compliance == Compliance::Warning && verdict.findings.iter().any(|f| grace_over(f, now))
}

/// The candidate, when its deadline has passed at `now`: its verdict's
/// finding for the rule is a warning with a deadline whose day has begun.
/// A row that does not parse (a newer collector's rule, a damaged verdict)
/// is skipped and logged.
pub(crate) fn due_at(c: Candidate, now: OffsetDateTime) -> Option<DueDeadline> {
    let parsed = (
        super::queries::from_name::<Platform>(&c.platform),
        super::queries::from_name::<RuleId>(&c.rule),
        serde_json::from_str::<Verdict>(&c.verdict).ok(),
    );
    let (Some(platform), Some(rule), Some(verdict)) = parsed else {
        tracing::warn!(
            device_id = c.device_id,
            rule = c.rule,
            "grace deadline scan: skipped an unreadable row"
        );
        return None;
    };
    let finding = verdict
        .findings
        .iter()
        .find(|f| f.rule == rule && f.outcome == Outcome::Warn)?;
    let deadline = finding.deadline?;
    if !grace_over(finding, now) {
        return None;
    }
    Some(DueDeadline {
        device_id: c.device_id,
        platform,
        rule,
        since: c.since,
        deadline,
        jti: c.jti,
    })
}

/// Every deadline passed at `now` without an event, on SQLite.
pub(crate) fn due(conn: &Connection, now: OffsetDateTime) -> rusqlite::Result<Vec<DueDeadline>> {
    let mut stmt = conn.prepare_cached(CANDIDATES)?;
    let rows = stmt.query_map([], |r| {
        Ok(Candidate {
            device_id: r.get(0)?,
            platform: r.get(1)?,
            rule: r.get(2)?,
            since: r.get(3)?,
            jti: r.get(4)?,
            verdict: r.get(5)?,
        })
    })?;
    let mut out = Vec::new();
    for row in rows {
        if let Some(d) = due_at(row?, now) {
            out.push(d);
        }
    }
    Ok(out)
}

/// Records that `event_id` announces `due`, once, on SQLite; whether the
/// row went in (and so whether the event is to be emitted).
pub(crate) fn record_once(
    conn: &Connection,
    due: &DueDeadline,
    event_id: &str,
    now: i64,
) -> rusqlite::Result<bool> {
    let n = conn.prepare_cached(RECORD_ONCE_SQLITE)?.execute(params![
        due.device_id,
        crate::store::name_of(&due.rule),
        due.since,
        block_starts(due.deadline).unix_timestamp(),
        due.jti,
        event_id,
        now,
    ])?;
    Ok(n == 1)
}
