//! The storage interface: everything the collector asks of its database,
//! whichever it is. SQLite (the embedded default: one process, the
//! single-writer thread with group commits in `crate::writer`) or
//! PostgreSQL (several collector processes on one database; every
//! decision is made by constraints and row locks in the database, the key
//! cache is only a hint).
//!
//! Each operation takes the command the handlers built after verifying a
//! token and answers as the protocol does; both stores keep the same rules:
//! an enrolment code is used once, of two reports with the same nonce only
//! one is `current`, a `jti` is stored once (the same report again gets the
//! stored acknowledgement), a request token's `jti` is used once.

pub(crate) mod migrate;
mod postgres;
mod sqlite;
mod url;
mod views;

pub use url::{Database, PostgresUrl};

pub(crate) use postgres::{PgStore, PgWebhookQueue};
pub(crate) use sqlite::SqliteStore;

use agent_core::protocol::{
    ChallengeResponse, DeviceDetail, FleetSummary, IssuedCode, UnenrolResponse,
};
use bytes::Bytes;
use time::OffsetDateTime;
use tokio::sync::mpsc;

use crate::error::CollectorError;
use crate::keys::KeyEntry;
use crate::writer::{
    Answer, EnrolCmd, EnrolOutcome, IssueCmd, ReportCmd, ReportOutcome, RequestCmd,
};

/// The collector's database.
#[derive(Debug)]
pub(crate) enum Store {
    /// The embedded SQLite file and its writer thread.
    Sqlite(SqliteStore),
    /// A PostgreSQL database, possibly shared with other collectors.
    Postgres(PgStore),
}

impl Store {
    /// `POST /v1/enrol`: uses the code once and creates the device.
    pub async fn enrol(&self, cmd: EnrolCmd) -> Answer<EnrolOutcome> {
        match self {
            Store::Sqlite(s) => s.enrol(cmd).await,
            Store::Postgres(p) => p.enrol(cmd).await,
        }
    }

    /// `POST /v1/reports`: stores the report once by `jti` and decides its
    /// freshness (its nonce is consumed once).
    pub async fn report(&self, cmd: ReportCmd) -> Answer<ReportOutcome> {
        match self {
            Store::Sqlite(s) => s.report(cmd).await,
            Store::Postgres(p) => p.report(cmd).await,
        }
    }

    /// `POST /v1/challenge`: a new nonce, the request token used once.
    pub async fn challenge(&self, cmd: RequestCmd) -> Answer<ChallengeResponse> {
        match self {
            Store::Sqlite(s) => s.challenge(cmd).await,
            Store::Postgres(p) => p.challenge(cmd).await,
        }
    }

    /// `POST /v1/unenrol`.
    pub async fn unenrol(&self, cmd: RequestCmd) -> Answer<UnenrolResponse> {
        match self {
            Store::Sqlite(s) => s.unenrol(cmd).await,
            Store::Postgres(p) => p.unenrol(cmd).await,
        }
    }

    /// New one-time enrolment codes.
    pub async fn issue_codes(&self, cmd: IssueCmd) -> Answer<Vec<IssuedCode>> {
        match self {
            Store::Sqlite(s) => s.issue_codes(cmd).await,
            Store::Postgres(p) => p.issue_codes(cmd).await,
        }
    }

    /// Whether other collector processes may share the database (so the
    /// key cache can miss).
    pub fn is_shared(&self) -> bool {
        matches!(self, Store::Postgres(_))
    }

    /// The enrolled device with key `kid`, read from the database, for a
    /// key cache miss (another process may have enrolled it). SQLite has
    /// one process, whose cache is complete: `None` without asking.
    pub async fn lookup_key(&self, kid: &str) -> Result<Option<KeyEntry>, CollectorError> {
        match self {
            Store::Sqlite(_) => Ok(None),
            Store::Postgres(p) => p.lookup_key(kid).await,
        }
    }

    /// The device's failure history, to appraise its next report with: the
    /// writer's cache on SQLite (one process, so complete), the database's
    /// rows on PostgreSQL (another process may have recorded a failure).
    pub async fn failure_history(
        &self,
        device_id: &str,
        cache: &crate::failures::FailureCache,
    ) -> Result<agent_core::policy::FailureHistory, CollectorError> {
        match self {
            Store::Sqlite(_) => Ok(cache.get(device_id)),
            Store::Postgres(p) => p.failure_history(device_id).await,
        }
    }

    /// The fleet summary at `now`.
    pub async fn fleet_summary(
        &self,
        now: OffsetDateTime,
        stale_after_secs: u64,
    ) -> Result<FleetSummary, CollectorError> {
        match self {
            Store::Sqlite(s) => s.fleet_summary(now, stale_after_secs).await,
            Store::Postgres(p) => p.fleet_summary(now, stale_after_secs).await,
        }
    }

    /// One enrolled device's detail and history.
    pub async fn device_detail(
        &self,
        device_id: String,
        now: OffsetDateTime,
        stale_after_secs: u64,
    ) -> Result<Option<DeviceDetail>, CollectorError> {
        match self {
            Store::Sqlite(s) => s.device_detail(device_id, now, stale_after_secs).await,
            Store::Postgres(p) => p.device_detail(device_id, now, stale_after_secs).await,
        }
    }

    /// Streams the export (JSON lines, in chunks) of the reports accepted
    /// at or after `since`, oldest first.
    pub fn export(
        &self,
        since: Option<OffsetDateTime>,
    ) -> Result<mpsc::Receiver<Bytes>, CollectorError> {
        match self {
            Store::Sqlite(s) => s.export(since),
            Store::Postgres(p) => Ok(p.export(since)),
        }
    }
}

/// Export lines are sent in chunks of about this many bytes.
pub(crate) const EXPORT_CHUNK: usize = 64 * 1024;
