//! The SQLite store: the writer thread (group commits) for every change,
//! read-only connections for the fleet, device and export queries. One
//! collector process per file (the lock file), so the writer's in-memory
//! state is the truth and the key cache is complete.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use agent_core::protocol::{
    ChallengeResponse, DeviceDetail, FleetSummary, IssuedCode, UnenrolResponse,
};
use bytes::Bytes;
use tempfile::TempDir;
use time::OffsetDateTime;
use tokio::sync::mpsc;

use super::EXPORT_CHUNK;
use crate::ear::Signer;
use crate::error::CollectorError;
use crate::files::{self, DbLock};
use crate::keys::KeyCache;
use crate::store::{self, ExportCursor};
use crate::writer::{
    Answer, Command, EnrolCmd, EnrolOutcome, GraceDeadlinesCmd, IssueCmd, ReportCmd, ReportOutcome,
    RequestCmd, Settings, WriterHandle,
};

/// The open SQLite database. Field order matters on drop: the writer stops
/// (and closes the database) before the lock is released and a temporary
/// database directory is deleted.
#[derive(Debug)]
pub(crate) struct SqliteStore {
    writer: WriterHandle,
    _checkpointer: store::Checkpointer,
    path: PathBuf,
    _lock: DbLock,
    _temp_dir: Option<TempDir>,
}

impl SqliteStore {
    /// Opens (or creates) the file, migrates it, loads the signing key and
    /// starts the writer; `None` uses a temporary directory deleted on drop.
    pub fn open(
        path: Option<PathBuf>,
        signing_key: Option<&Path>,
        settings: Arc<Settings>,
        keys: Arc<KeyCache>,
        failures: Arc<crate::failures::FailureCache>,
        events: crate::events::EventSetup<'_>,
    ) -> Result<(SqliteStore, Signer, Option<crate::events::WebhookQueue>), CollectorError> {
        let (path, temp_dir) = match path {
            Some(path) => (path, None),
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("posture-collector-")
                    .tempdir()
                    .map_err(|e| CollectorError::io("create a temporary database folder", e))?;
                (dir.path().join("collector.sqlite3"), Some(dir))
            }
        };
        if let Some(parent) = path.parent() {
            files::create_private_dirs(parent)?;
        }
        // Before the database is touched: a second collector must not
        // even migrate it while the first one serves.
        let lock = DbLock::acquire(&path)?;
        let conn = store::open_writer(&path)?;
        let signer = Signer::load(&conn, signing_key)?;
        crate::console::store::record_policy(
            &conn,
            &settings.policy,
            crate::collector::now().unix_timestamp(),
        )?;
        let webhooks = crate::events::WebhookQueue::start(
            events.config,
            crate::events::webhook::QueueDb::Sqlite(path.clone()),
            events.counters,
        )
        .map_err(|e| CollectorError::Config(e.to_string()))?;
        let wal = store::WalLength::default();
        let writer = WriterHandle::start(
            conn,
            settings,
            keys,
            failures,
            events.outputs,
            webhooks.clone(),
            wal.clone(),
        )?;
        let checkpointer = store::Checkpointer::spawn(&path, wal)
            .map_err(|e| CollectorError::io("start the WAL checkpointer", e))?;
        Ok((
            SqliteStore {
                writer,
                _checkpointer: checkpointer,
                path,
                _lock: lock,
                _temp_dir: temp_dir,
            },
            signer,
            webhooks,
        ))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn enrol(&self, cmd: EnrolCmd) -> Answer<EnrolOutcome> {
        self.writer.ask(|r| Command::Enrol(cmd, r)).await
    }

    pub async fn report(&self, cmd: ReportCmd) -> Answer<ReportOutcome> {
        self.writer.ask(|r| Command::Report(cmd, r)).await
    }

    pub async fn challenge(&self, cmd: RequestCmd) -> Answer<ChallengeResponse> {
        self.writer.ask(|r| Command::Challenge(cmd, r)).await
    }

    pub async fn unenrol(&self, cmd: RequestCmd) -> Answer<UnenrolResponse> {
        self.writer.ask(|r| Command::Unenrol(cmd, r)).await
    }

    pub async fn issue_codes(&self, cmd: IssueCmd) -> Answer<Vec<IssuedCode>> {
        self.writer.ask(|r| Command::IssueCodes(cmd, r)).await
    }

    /// Announces the grace deadlines passed at `now` (see
    /// `crate::events::deadlines`): found on a read connection, each
    /// checked again and recorded once by the writer. How many were new.
    /// Blocking.
    pub fn scan_grace_deadlines_blocking(&self, now: OffsetDateTime) -> Answer<usize> {
        let due = self
            .read_blocking(|c| crate::events::deadlines::due(c, now))
            .map_err(crate::problem::ApiError::internal)?;
        if due.is_empty() {
            return Ok(0);
        }
        self.writer
            .ask_blocking(|r| Command::GraceDeadlines(GraceDeadlinesCmd { due, now }, r))
    }

    /// [`SqliteStore::issue_codes`] from a blocking caller.
    pub fn issue_codes_blocking(&self, cmd: IssueCmd) -> Answer<Vec<IssuedCode>> {
        self.writer.ask_blocking(|r| Command::IssueCodes(cmd, r))
    }

    /// Runs a read on a connection of its own, off the async workers.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, CollectorError> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let conn = store::open_reader(&path)?;
            Ok(f(&conn)?)
        })
        .await
        .map_err(|e| CollectorError::Config(format!("a database read stopped: {e}")))?
    }

    /// Runs a read on this thread (the collector's blocking API).
    /// The latest applied migration (see [`super::Store::check_ready`]),
    /// on a read connection of its own.
    pub async fn schema_version(&self) -> Result<i64, CollectorError> {
        self.read(|c| {
            c.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                [],
                |row| row.get(0),
            )
        })
        .await
    }

    pub fn read_blocking<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<T, CollectorError> {
        let conn = store::open_reader(&self.path)?;
        Ok(f(&conn)?)
    }

    pub async fn fleet_summary(
        &self,
        now: OffsetDateTime,
        stale_after_secs: u64,
    ) -> Result<FleetSummary, CollectorError> {
        self.read(move |c| store::fleet_summary(c, now, stale_after_secs))
            .await
    }

    pub async fn device_detail(
        &self,
        device_id: String,
        now: OffsetDateTime,
        stale_after_secs: u64,
    ) -> Result<Option<DeviceDetail>, CollectorError> {
        self.read(move |c| store::device_detail(c, &device_id, now, stale_after_secs))
            .await
    }

    /// Streams the export from a reader thread; the connection is opened
    /// before returning, so a database that cannot be read is an error
    /// answer, not an empty body.
    pub fn export(
        &self,
        since: Option<OffsetDateTime>,
    ) -> Result<mpsc::Receiver<Bytes>, CollectorError> {
        let conn = store::open_reader(&self.path)?;
        let (tx, rx) = mpsc::channel::<Bytes>(4);
        tokio::task::spawn_blocking(move || {
            let mut chunk = Vec::with_capacity(EXPORT_CHUNK);
            let result = ExportCursor::run(&conn, since, |line| {
                chunk.extend_from_slice(&line);
                if chunk.len() >= EXPORT_CHUNK {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(EXPORT_CHUNK));
                    // The client went away: stop reading.
                    return tx.blocking_send(Bytes::from(full)).is_ok();
                }
                true
            });
            if let Err(e) = result {
                // The status line is already sent; the cut-short body shows it.
                tracing::error!("export failed part way: {e}");
                return;
            }
            if !chunk.is_empty() {
                let _ = tx.blocking_send(Bytes::from(chunk));
            }
        });
        Ok(rx)
    }
}
