//! The storage interface's part for the features beside the protocol: the
//! relying-party API's key lookups, audit evidence's two reads and the web
//! console's tables and queries.
//!
//! Blocking, like the collector's public reads ([`crate::Collector::fleet_summary`]):
//! their callers build a page or a report on a blocking thread. SQLite
//! answers on a short-lived connection of its own (a read-only one for
//! reads; the console's rare writes are not worth the report writer's
//! queue); PostgreSQL runs the same queries on the pool, on its runtime.
//! Every decision across processes (a session ended, a link used, a code
//! revoked) is a row in the shared database, never process memory.

use std::collections::HashMap;

use super::Store;
use crate::console::store::{self as console, CodeRow, RevisionRow};
use crate::error::CollectorError;
use crate::evidence::figures::{DeviceFacts, ReportRow};
use crate::evidence::query as evidence;
use crate::relying_party::queries as rp;

impl Store {
    /// The `kid` (RFC 7638 thumbprint) of the enrolled device `device_id`.
    pub fn kid_of_device(&self, device_id: &str) -> Result<Option<String>, CollectorError> {
        match self {
            Store::Sqlite(s) => s.read_blocking(|c| rp::kid_of_device(c, device_id)),
            Store::Postgres(p) => p.kid_of_device(device_id),
        }
    }

    /// The enrolled device whose key has thumbprint `kid`.
    pub fn device_of_kid(&self, kid: &str) -> Result<Option<String>, CollectorError> {
        match self {
            Store::Sqlite(s) => s.read_blocking(|c| rp::device_of_kid(c, kid)),
            Store::Postgres(p) => p.device_of_kid(kid),
        }
    }

    /// Every device ever enrolled, with the facts the evidence needs.
    pub fn evidence_devices(&self) -> Result<HashMap<String, DeviceFacts>, CollectorError> {
        match self {
            Store::Sqlite(s) => s.read_blocking(evidence::devices),
            Store::Postgres(p) => p.evidence_devices(),
        }
    }

    /// Calls `each` with every stored report whose `iat` is before `end`,
    /// ordered by device, then `iat`, then arrival.
    pub fn evidence_reports_before(
        &self,
        end: i64,
        each: impl FnMut(ReportRow),
    ) -> Result<(), CollectorError> {
        match self {
            Store::Sqlite(s) => s.read_blocking(|c| evidence::reports_before(c, end, each)),
            Store::Postgres(p) => p.evidence_reports_before(end, each),
        }
    }

    /// The policies enforced so far, the most recently started first.
    pub fn policy_revisions(&self) -> Result<Vec<RevisionRow>, CollectorError> {
        match self {
            Store::Sqlite(s) => s.read_blocking(console::policy_revisions),
            Store::Postgres(p) => p.policy_revisions(),
        }
    }

    /// Ends a console session for every collector on this database.
    pub fn revoke_session(
        &self,
        session_id: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), CollectorError> {
        match self {
            Store::Sqlite(s) => {
                let conn = console::open_write(s.path())?;
                Ok(console::revoke_session(&conn, session_id, expires_at, now)?)
            }
            Store::Postgres(p) => p.revoke_session(session_id, expires_at, now),
        }
    }

    /// Whether a console session was ended by logging out.
    pub fn session_revoked(&self, session_id: &str) -> Result<bool, CollectorError> {
        match self {
            Store::Sqlite(s) => s.read_blocking(|c| console::session_revoked(c, session_id)),
            Store::Postgres(p) => p.session_revoked(session_id),
        }
    }

    /// Marks a one-time log-in link used; `false` when it already was,
    /// through any collector on this database.
    pub fn use_link(
        &self,
        link_id: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, CollectorError> {
        match self {
            Store::Sqlite(s) => {
                let conn = console::open_write(s.path())?;
                Ok(console::use_link(&conn, link_id, expires_at, now)?)
            }
            Store::Postgres(p) => p.use_link(link_id, expires_at, now),
        }
    }

    /// The most recently issued enrolment codes, newest first.
    pub fn list_codes(&self) -> Result<Vec<CodeRow>, CollectorError> {
        match self {
            Store::Sqlite(s) => s.read_blocking(console::list_codes),
            Store::Postgres(p) => p.list_codes(),
        }
    }

    /// Revokes an unused, unexpired code; `false` when no such code has
    /// this digest.
    pub fn revoke_code(&self, hash: &[u8], now: i64) -> Result<bool, CollectorError> {
        match self {
            Store::Sqlite(s) => {
                let mut conn = console::open_write(s.path())?;
                Ok(console::revoke_code(&mut conn, hash, now)?)
            }
            Store::Postgres(p) => p.revoke_code(hash, now),
        }
    }

    /// The label given to each enrolled device's code, by device id.
    pub fn device_labels(&self) -> Result<HashMap<String, String>, CollectorError> {
        match self {
            Store::Sqlite(s) => s.read_blocking(console::device_labels),
            Store::Postgres(p) => p.device_labels(),
        }
    }

    /// The label of one device's code, if it had one.
    pub fn device_label(&self, device_id: &str) -> Result<Option<String>, CollectorError> {
        match self {
            Store::Sqlite(s) => s.read_blocking(|c| console::device_label(c, device_id)),
            Store::Postgres(p) => p.device_label(device_id),
        }
    }

    /// The signed token of each enrolled device's latest current report.
    pub fn latest_tokens(&self) -> Result<Vec<(String, String)>, CollectorError> {
        match self {
            Store::Sqlite(s) => s.read_blocking(console::latest_tokens),
            Store::Postgres(p) => p.latest_tokens(),
        }
    }

    /// One device's latest current report's token, if it has one.
    pub fn latest_token(&self, device_id: &str) -> Result<Option<String>, CollectorError> {
        match self {
            Store::Sqlite(s) => s.read_blocking(|c| console::latest_token(c, device_id)),
            Store::Postgres(p) => p.latest_token(device_id),
        }
    }

    /// Per UTC day since `since` and per rule: (day, rule, passed, applied)
    /// over the latest current reports.
    pub fn daily_rule_passes(
        &self,
        since: i64,
    ) -> Result<Vec<(i64, String, u64, u64)>, CollectorError> {
        match self {
            Store::Sqlite(s) => s.read_blocking(|c| console::daily_rule_passes(c, since)),
            Store::Postgres(p) => p.daily_rule_passes(since),
        }
    }
}
