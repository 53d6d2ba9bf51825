//! The PostgreSQL store, for several collector processes on one database.
//!
//! Nothing here trusts process memory for a decision: each command runs in
//! one transaction that locks the rows it decides on (`SELECT ... FOR
//! UPDATE` on the enrolment code or the device), so two processes applying
//! the same code, nonce or `jti` are put one after the other by the
//! database, and unique constraints (`INSERT ... ON CONFLICT DO NOTHING`)
//! catch what no lock covers (one key enrolled through two codes, one `jti`
//! from two devices). A serialization failure or deadlock is retried. The
//! key cache is a hint filled from the database on a miss.
//!
//! tokio-postgres (with deadpool-postgres for the pool): hand-written SQL,
//! pipelined queries, prepared statements cached per connection. A store
//! call from async code runs as a task on the caller's runtime, and the
//! connections it opens live there too, so a request costs no hop between
//! runtimes; the store's own small runtime serves the collector's blocking
//! API (and opening the store, before any server runtime exists).

mod deadlines;
mod history;
mod read;
mod views;
mod webhooks;
mod write;

pub(crate) use webhooks::PgWebhookQueue;

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent_core::policy::FailureHistory;
use agent_core::protocol::DeviceId;
use agent_core::token::VerifyingKey;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

use super::PostgresUrl;
use super::migrate::{self, POSTGRES, VERSION_TABLE};
use crate::ear::Signer;
use crate::error::CollectorError;
use crate::keys::{KeyCache, KeyEntry};
use crate::problem::ApiError;
use crate::store::{ATTESTATION_COLUMNS, RawAttestation, attested, parse_attestation};
use crate::writer::Settings;

/// Connections per collector process.
const POOL_SIZE: usize = 16;
/// How often a transaction that lost a serialization race is tried again.
const MAX_ATTEMPTS: usize = 5;
/// How long a failure history read with a device's key may stand in for
/// reading it again (see [`PgInner::lookup_key`]).
const HISTORY_HINT_LIFETIME: Duration = Duration::from_secs(1);
/// Above this many unclaimed history hints, the expired ones are dropped.
const HISTORY_HINTS_MAX: usize = 4096;
/// The advisory lock held while migrating or making the signing key, so
/// collectors starting together do it once (any fixed number: "posture").
const ADVISORY_LOCK: i64 = 0x0070_6f73_7475_7265;

/// The oldest server the schema runs on (`server_version_num`): column
/// compression (schema version 6) came with PostgreSQL 14.
const MIN_SERVER_VERSION_NUM: i32 = 140_000;

/// An error from the driver or the pool.
#[derive(Debug)]
pub(crate) enum PgError {
    Db(tokio_postgres::Error),
    Pool(String),
}

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> PgError {
        PgError::Db(e)
    }
}

impl From<deadpool_postgres::PoolError> for PgError {
    fn from(e: deadpool_postgres::PoolError) -> PgError {
        // With its causes: "error connecting to server" alone does not say
        // that the connection was refused or the password wrong.
        let mut text = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            let more = c.to_string();
            if !text.contains(&more) {
                text.push_str(": ");
                text.push_str(&more);
            }
            cause = c.source();
        }
        PgError::Pool(text)
    }
}

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The driver's text names the failing statement's error, never
            // the connection settings.
            PgError::Db(e) => match e.as_db_error() {
                Some(db) => write!(f, "{}: {}", db.code().code(), db.message()),
                None => write!(f, "{e}"),
            },
            PgError::Pool(e) => write!(f, "connection pool: {e}"),
        }
    }
}

impl PgError {
    /// Whether the transaction lost a race the database resolved by
    /// aborting it: trying it again is the documented answer.
    fn retryable(&self) -> bool {
        matches!(self, PgError::Db(e) if e.code().is_some_and(|c| {
            *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
        }))
    }
}

impl From<PgError> for CollectorError {
    fn from(e: PgError) -> CollectorError {
        CollectorError::Postgres(e.to_string())
    }
}

impl From<PgError> for ApiError {
    fn from(e: PgError) -> ApiError {
        ApiError::internal(format!("PostgreSQL: {e}"))
    }
}

/// The shared part of the store, moved into the tasks on its runtime.
pub(crate) struct PgInner {
    pool: Pool,
    settings: Arc<Settings>,
    keys: Arc<KeyCache>,
    /// When used request-token ids were last pruned (seconds).
    last_prune: AtomicI64,
    /// The event outputs, handed the events of each committed transaction.
    events: Option<Arc<crate::events::Outputs>>,
    /// The webhook endpoints (deliveries are queued in each transaction)
    /// and this process's delivery thread.
    webhooks: Option<crate::events::WebhookQueue>,
    /// Failure histories read with a device's key for the request that
    /// appraises its report next, by device id, with when they were read.
    history_hints: Mutex<HashMap<String, (Instant, FailureHistory)>>,
}

/// The open PostgreSQL store.
pub(crate) struct PgStore {
    inner: Arc<PgInner>,
    url: PostgresUrl,
    /// `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgStore({:?})", self.url)
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // May run on an async worker (a server shutting down): never block.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl PgStore {
    /// Connects, migrates (under an advisory lock), loads or makes the
    /// signing key, fills the key cache with the enrolled devices, and
    /// starts this process's webhook delivery thread when endpoints are
    /// configured.
    pub fn open(
        url: &PostgresUrl,
        signing_key: Option<&Path>,
        settings: Arc<Settings>,
        keys: Arc<KeyCache>,
        events: crate::events::EventSetup<'_>,
    ) -> Result<(PgStore, Signer, Option<crate::events::WebhookQueue>), CollectorError> {
        url.tls_mode()?;
        let config: tokio_postgres::Config = url
            .expose()
            .parse()
            .map_err(|e| CollectorError::Config(format!("the PostgreSQL URL {url}: {e}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("collector-pg")
            .build()
            .map_err(|e| CollectorError::io("start the PostgreSQL runtime", e))?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| CollectorError::Postgres(format!("connection pool: {e}")))?;
        let inner = Arc::new(PgInner {
            pool,
            settings,
            keys,
            last_prune: AtomicI64::new(0),
            events: events.outputs.clone(),
            webhooks: None,
            history_hints: Mutex::new(HashMap::new()),
        });
        let store = PgStore {
            inner,
            url: url.clone(),
            runtime: Some(runtime),
        };
        let inner = store.inner.clone();
        let key_file = signing_key.map(Path::to_owned);
        let signer = store
            .block_on(async move {
                inner.migrate().await?;
                let now = crate::collector::now().unix_timestamp();
                inner
                    .record_policy(&inner.settings.policy, now)
                    .await
                    .map_err(CollectorError::from)?;
                let signer = inner.signer(key_file.as_deref()).await?;
                inner.load_keys().await?;
                Ok::<_, CollectorError>(signer)
            })?
            .map_err(|e| match e {
                CollectorError::Postgres(why) => CollectorError::Postgres(format!("{url}: {why}")),
                other => other,
            })?;
        // After the migration: the thread's first pass reads the queue.
        let webhooks = crate::events::WebhookQueue::start(
            events.config,
            crate::events::webhook::QueueDb::Postgres(Box::new(config)),
            events.counters,
        )
        .map_err(|e| CollectorError::Config(e.to_string()))?;
        // The connections opened so far belong to the store's runtime: let
        // the server's runtime open its own (see `run`).
        store.inner.pool.retain(|_, _| false);
        let mut store = store;
        match Arc::get_mut(&mut store.inner) {
            Some(inner) => inner.webhooks = webhooks.clone(),
            None => {
                return Err(CollectorError::Postgres(
                    "the store's state is shared before it opened".into(),
                ));
            }
        }
        Ok((store, signer, webhooks))
    }

    /// The database, password hidden.
    pub fn url(&self) -> &PostgresUrl {
        &self.url
    }

    /// Runs `future` on the store's runtime and waits for it from a
    /// blocking caller (never from an async worker: that would panic).
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output, CollectorError> {
        let rt = self.runtime.as_ref().ok_or(CollectorError::WriterGone)?;
        Ok(rt.block_on(future))
    }

    /// Runs `f` with the shared state as a task of the caller's runtime
    /// (the store's own outside one) and awaits it. A task, not inline:
    /// a request whose client goes away still finishes its transaction and
    /// publishes what it committed. On the caller's runtime the task, the
    /// connection it uses and the request share the runtime's threads: a
    /// task on the store's runtime cost two wake-ups of another thread per
    /// call, more than the call's own work.
    async fn run<T, Fut>(&self, f: impl FnOnce(Arc<PgInner>) -> Fut) -> Result<T, CollectorError>
    where
        Fut: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let rt = self.runtime.as_ref().ok_or(CollectorError::WriterGone)?;
        let task = f(self.inner.clone());
        let handle = match tokio::runtime::Handle::try_current() {
            Ok(current) => current.spawn(task),
            Err(_) => rt.spawn(task),
        };
        handle
            .await
            .map_err(|e| CollectorError::Postgres(format!("a database task stopped: {e}")))
    }

    /// [`PgStore::run`] for an operation that answers the protocol.
    async fn answer<T, Fut>(&self, f: impl FnOnce(Arc<PgInner>) -> Fut) -> Result<T, ApiError>
    where
        Fut: Future<Output = Result<T, ApiError>> + Send + 'static,
        T: Send + 'static,
    {
        self.run(f).await.map_err(ApiError::internal)?
    }
}

impl PgInner {
    /// Applies the pending migrations in one transaction under the advisory
    /// lock; refuses a schema newer than this build knows.
    async fn migrate(&self) -> Result<(), CollectorError> {
        let mut client = self.pool.get().await.map_err(PgError::from)?;
        // The schema uses column compression (version 6), new in 14.
        let row = client
            .query_one(
                "SELECT current_setting('server_version_num')::int, current_setting('server_version')",
                &[],
            )
            .await
            .map_err(PgError::from)?;
        let (number, shown): (i32, String) = (
            row.try_get(0).map_err(PgError::from)?,
            row.try_get(1).map_err(PgError::from)?,
        );
        if number < MIN_SERVER_VERSION_NUM {
            return Err(CollectorError::Postgres(format!(
                "the server is PostgreSQL {shown}; the collector needs 14 or newer"
            )));
        }
        let tx = client.transaction().await.map_err(PgError::from)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&ADVISORY_LOCK])
            .await
            .map_err(PgError::from)?;
        tx.batch_execute(VERSION_TABLE)
            .await
            .map_err(PgError::from)?;
        let applied = tx
            .query(migrate::APPLIED, &[])
            .await
            .map_err(PgError::from)?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<Vec<i64>, _>>()
            .map_err(PgError::from)?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        for m in migrate::pending(POSTGRES, &applied)? {
            tx.batch_execute(m.sql).await.map_err(PgError::from)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &[&m.version, &m.name, &now],
            )
            .await
            .map_err(PgError::from)?;
            tracing::info!(
                "database schema: applied version {} ({})",
                m.version,
                m.name
            );
        }
        tx.commit().await.map_err(PgError::from)?;
        Ok(())
    }

    /// The signing key from `file`, else the database's newest, made once
    /// (under the advisory lock) when there is none.
    async fn signer(&self, file: Option<&Path>) -> Result<Signer, CollectorError> {
        if let Some(path) = file {
            return Signer::from_file(path);
        }
        let mut client = self.pool.get().await.map_err(PgError::from)?;
        let tx = client.transaction().await.map_err(PgError::from)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&ADVISORY_LOCK])
            .await
            .map_err(PgError::from)?;
        let stored = tx
            .query_opt(
                "SELECT pkcs8 FROM signing_keys ORDER BY created_at DESC LIMIT 1",
                &[],
            )
            .await
            .map_err(PgError::from)?;
        if let Some(row) = stored {
            let pkcs8: Vec<u8> = row.try_get(0).map_err(PgError::from)?;
            return Signer::from_stored(&pkcs8);
        }
        let pkcs8 = Signer::generate_pkcs8()?;
        let signer = Signer::from_stored(&pkcs8)?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        tx.execute(
            "INSERT INTO signing_keys (kid, pkcs8, created_at) VALUES ($1, $2, $3)",
            &[&signer.key_id(), &pkcs8, &now],
        )
        .await
        .map_err(PgError::from)?;
        tx.commit().await.map_err(PgError::from)?;
        Ok(signer)
    }

    /// Fills the key cache with every enrolled device.
    async fn load_keys(&self) -> Result<(), CollectorError> {
        let client = self.pool.get().await.map_err(PgError::from)?;
        let rows = client
            .query(&key_query("d.unenrolled_at IS NULL"), &[])
            .await
            .map_err(PgError::from)?;
        let entries = rows.iter().filter_map(key_entry).collect();
        self.keys.replace_all(entries);
        Ok(())
    }

    /// The enrolled device with key `kid`, from the database, cached.
    /// The device's failure history comes with it, in the same statement,
    /// kept for [`PgInner::take_history_hint`]: a report's request looks
    /// up its key and then reads the history to appraise it with, and one
    /// query serves both.
    async fn lookup_key(&self, kid: &str) -> Result<Option<KeyEntry>, CollectorError> {
        let client = self.pool.get().await.map_err(PgError::from)?;
        let st = client
            .prepare_cached(&format!(
                "{}, COALESCE(h.rules, '{{}}'), COALESCE(h.since, '{{}}')
                 FROM devices d LEFT JOIN device_attestations a ON a.device_id = d.device_id
                 CROSS JOIN LATERAL (SELECT array_agg(f.rule ORDER BY f.rule) AS rules,
                                            array_agg(f.since ORDER BY f.rule) AS since
                                     FROM rule_failures f WHERE f.device_id = d.device_id) h
                 WHERE d.kid = $1 AND d.unenrolled_at IS NULL",
                key_columns()
            ))
            .await
            .map_err(PgError::from)?;
        let read = Instant::now();
        let row = client
            .query_opt(&st, &[&kid])
            .await
            .map_err(PgError::from)?;
        let entry = row.as_ref().and_then(key_entry);
        match (&entry, &row) {
            (Some(e), Some(row)) => {
                self.keys.insert(e.clone());
                let rules: Vec<String> = row.try_get(KEY_COLUMNS).map_err(PgError::from)?;
                let since: Vec<i64> = row.try_get(KEY_COLUMNS + 1).map_err(PgError::from)?;
                let history = history::from_pairs(e.device_id.as_str(), rules.iter().zip(since));
                self.put_history_hint(e.device_id.as_str(), read, history);
            }
            // Unenrolled (or never enrolled) as far as the database knows.
            _ => self.keys.remove(kid),
        }
        Ok(entry)
    }

    fn put_history_hint(&self, device_id: &str, read: Instant, history: FailureHistory) {
        let Ok(mut hints) = self.history_hints.lock() else {
            return;
        };
        if hints.len() >= HISTORY_HINTS_MAX {
            hints.retain(|_, (at, _)| at.elapsed() < HISTORY_HINT_LIFETIME);
        }
        hints.insert(device_id.to_owned(), (read, history));
    }

    /// The failure history [`PgInner::lookup_key`] read with the device's
    /// key, if that was under [`HISTORY_HINT_LIFETIME`] ago, used once: no
    /// older than a read of its own would be by the time the report is
    /// stored (the history is read unlocked before the appraisal either
    /// way; the report's transaction reads it again under the device's row
    /// lock to record the verdict).
    pub(super) fn take_history_hint(&self, device_id: &str) -> Option<FailureHistory> {
        let (read, history) = self.history_hints.lock().ok()?.remove(device_id)?;
        (read.elapsed() < HISTORY_HINT_LIFETIME).then_some(history)
    }
}

impl PgInner {
    /// The latest applied migration, for readiness: also proves the
    /// database answers.
    async fn schema_version(&self) -> Result<i64, CollectorError> {
        let client = self.pool.get().await.map_err(PgError::from)?;
        let row = client
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await
            .map_err(PgError::from)?;
        Ok(row.try_get(0).map_err(PgError::from)?)
    }
}

impl PgStore {
    /// The latest applied migration (see [`super::Store::check_ready`]).
    pub async fn schema_version(&self) -> Result<i64, CollectorError> {
        self.run(|inner| async move { inner.schema_version().await })
            .await?
    }

    /// See [`super::Store::lookup_key`].
    pub async fn lookup_key(&self, kid: &str) -> Result<Option<KeyEntry>, CollectorError> {
        let kid = kid.to_owned();
        self.run(|inner| async move { inner.lookup_key(&kid).await })
            .await?
    }
}

/// How many columns [`key_columns`] selects.
const KEY_COLUMNS: usize = 14;

/// The select list of a [`key_entry`] row, from `devices d` and
/// `device_attestations a`.
fn key_columns() -> String {
    format!(
        "SELECT d.device_id, d.jwk, {ATTESTATION_COLUMNS},
                EXISTS (SELECT 1 FROM attestation_pin_breaks b WHERE b.device_id = d.device_id)"
    )
}

/// The devices' keys, attestations and pin state, filtered by `filter`.
fn key_query(filter: &str) -> String {
    format!(
        "{}
         FROM devices d LEFT JOIN device_attestations a ON a.device_id = d.device_id
         WHERE {filter}",
        key_columns()
    )
}

/// A key cache entry from a [`key_query`] row; `None` (logged) when the
/// stored key does not parse.
fn key_entry(row: &tokio_postgres::Row) -> Option<KeyEntry> {
    let device_id: String = row.try_get(0).ok()?;
    let jwk: String = row.try_get(1).ok()?;
    let parsed = serde_json::from_str(&jwk)
        .ok()
        .and_then(|jwk| VerifyingKey::from_jwk(&jwk).ok());
    let (Some(key), Ok(id)) = (parsed, DeviceId::new(device_id.as_str())) else {
        tracing::warn!("device {device_id} has an unreadable key or id; skipped");
        return None;
    };
    let raw = raw_attestation(row, 2).ok()?;
    Some(KeyEntry {
        key,
        device_id: id,
        attested: attested(parse_attestation(raw)).map(Arc::new),
        pin_broken: row.try_get(13).ok()?,
    })
}

/// The [`ATTESTATION_COLUMNS`] of a row, from column `at0`.
pub(crate) fn raw_attestation(
    row: &tokio_postgres::Row,
    at0: usize,
) -> Result<RawAttestation, tokio_postgres::Error> {
    let c = |i: usize| at0 + i;
    Ok(RawAttestation {
        provenance: row.try_get(c(0))?,
        security_level: row.try_get(c(1))?,
        attestation_version: row.try_get(c(2))?,
        verified_boot_state: row.try_get(c(3))?,
        device_locked: row.try_get(c(4))?,
        os_version: row.try_get(c(5))?,
        os_patch_level: row.try_get(c(6))?,
        vendor_patch_level: row.try_get(c(7))?,
        boot_patch_level: row.try_get(c(8))?,
        verified_boot_key_sha256: row.try_get(c(9))?,
        attested_at: row.try_get(c(10))?,
    })
}

/// Runs a transaction body until it commits or fails for good, retrying
/// serialization failures and deadlocks; `$body` is an expression of type
/// `Result<T, PgError>` using the client `$client`.
macro_rules! retrying {
    ($inner:expr, |$client:ident| $body:expr) => {{
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut $client = match $inner.pool.get().await {
                Ok(c) => c,
                Err(e) => break Err(crate::storage::postgres::PgError::from(e)),
            };
            match $body {
                Err(e) if e.retryable() && attempt < crate::storage::postgres::MAX_ATTEMPTS => {
                    tracing::debug!("transaction retried after: {e}");
                    continue;
                }
                other => break other,
            }
        }
    }};
}
pub(crate) use retrying;
