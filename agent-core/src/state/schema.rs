//! Connection settings and the schema, migrated by `PRAGMA user_version`.

use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, TransactionBehavior};

use super::error::DbError;

/// The schema version this build writes; a file with a higher one is refused.
pub(crate) const SCHEMA_VERSION: i64 = 5;

/// Migration `i` takes the schema from version `i` to `i + 1`. Append only:
/// a released migration never changes.
pub(crate) const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [
    // v1. Singleton tables (id = 1) keep one record each without a key to
    // invent. Times are integer nanoseconds since the epoch (see `stamp`).
    "CREATE TABLE enrolment (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        server_url TEXT NOT NULL,
        device_id TEXT NOT NULL,
        kid TEXT NOT NULL,
        enrolled_at INTEGER NOT NULL,
        checkin_interval_secs INTEGER NOT NULL,
        next_nonce TEXT,
        next_nonce_expires_at INTEGER
    );
    CREATE TABLE agent (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        policy_json TEXT,
        policy_updated_at INTEGER,
        verdict_json TEXT,
        verdict_at INTEGER,
        last_checkin_at INTEGER,
        evicted_total INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO agent (id) VALUES (1);
    CREATE TABLE outbox (
        jti TEXT PRIMARY KEY NOT NULL,
        token TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT
    );
    CREATE INDEX outbox_by_age ON outbox (created_at);",
    // v2. The device key's name in its store, recorded when the key is made
    // (it used to be derived from the directory's path, so a moved state
    // silently made a new key); when the collector's Retry-After lets the
    // next request go; answers that broke the protocol, counted.
    "ALTER TABLE agent ADD COLUMN key_name TEXT;
    ALTER TABLE agent ADD COLUMN server_wait_until INTEGER;
    ALTER TABLE agent ADD COLUMN protocol_errors_total INTEGER NOT NULL DEFAULT 0;",
    // v3. Whether the collector asked for a fresh key attestation in the
    // next report; kept with the enrolment, so it goes when that does.
    "ALTER TABLE enrolment ADD COLUMN key_attestation_requested INTEGER NOT NULL DEFAULT 0;",
    // v4. The collector's latest attestation result (an EAR JWT) for this
    // device, kept so the device can present it to a gateway.
    "ALTER TABLE agent ADD COLUMN attestation_result TEXT;",
    // v5. Since when each rule has failed this device without a pass
    // between (a warn-then-block rule's grace counts from there), and the
    // working hours the person set (the agent is quiet outside them).
    "CREATE TABLE rule_failures (
        rule TEXT PRIMARY KEY NOT NULL,
        since INTEGER NOT NULL
    );
    ALTER TABLE agent ADD COLUMN working_hours_json TEXT;",
];

/// How long a statement waits for a lock held by someone else (in practice
/// only a person inspecting the file with the sqlite3 shell) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Checkpoint the WAL into the database once it holds this many pages.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 64;

/// After a checkpoint, truncate a WAL larger than this.
const WAL_SIZE_LIMIT_BYTES: i64 = 512 * 1024;

/// Applies the connection settings. This is the first statement that reads
/// the file, so a file that is not a database fails here.
pub(crate) fn configure(conn: &Connection) -> Result<(), DbError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // NORMAL locking (not EXCLUSIVE, which would be a little cheaper): the
    // directory lock already keeps every other writer out, and NORMAL lets
    // a read-only view (`status` beside `run`) read through the WAL's
    // shared-memory index while this connection stays open.
    // One plan per statement, whatever the bound values: the statements are
    // cached and reused, and SQLite otherwise re-prepares a statement on
    // every run when a bound value (such as a LIMIT) fed its planner.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        // Some filesystems cannot hold the WAL's shared memory; the rollback
        // journal SQLite falls back to is just as durable, only slower.
        tracing::warn!(journal_mode = %mode, "state database could not use WAL");
    }
    // FULL: every commit waits for fsync of the WAL. With NORMAL, a commit
    // can be lost on power failure after it returned, which breaks the
    // outbox's promise: a report the caller was told is queued (and may
    // have deleted from memory) could vanish, and a consumed nonce could
    // come back. The agent writes a handful of small rows per check-in,
    // minutes apart, so the extra fsync costs nothing anyone can feel.
    conn.pragma_update(None, "synchronous", "FULL")?;
    // A check-in appends about ten pages to the WAL. SQLite's default
    // checkpoints at 1,000 pages, letting the WAL grow to 4 MiB on a phone
    // for a database of a few pages; checkpointing at 64 keeps it small
    // and rewrites the same file blocks instead of growing new ones, and
    // the size limit truncates it back after a burst (a long offline spell).
    conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT_BYTES)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Settings for a read-only view: it never writes, so only the waits and
/// the statement planning matter.
pub(crate) fn configure_read_only(conn: &Connection) -> Result<(), DbError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

/// Configures a database file just made and brings it from nothing to
/// [`SCHEMA_VERSION`].
pub(crate) fn migrate_new(conn: &mut Connection) -> Result<(), DbError> {
    configure(conn)?;
    run_migrations(conn, true).map(drop)
}

/// Fails with [`DbError::Damaged`] when the file holds no schema at all.
pub(crate) fn require_schema(conn: &Connection) -> Result<(), DbError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found == 0 {
        return Err(no_schema());
    }
    Ok(())
}

fn no_schema() -> DbError {
    DbError::Damaged("the file holds no agent state (it is empty or was truncated)".into())
}

/// What [`migrate`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Migration {
    /// The file is at (or was brought to) [`SCHEMA_VERSION`].
    Current,
    /// The file is from a newer agent.
    Newer(i64),
}

/// Brings the schema to [`SCHEMA_VERSION`] in one transaction, so a crash
/// mid-migration leaves the old version intact.
pub(crate) fn migrate(conn: &mut Connection) -> Result<Migration, DbError> {
    run_migrations(conn, false)
}

fn run_migrations(conn: &mut Connection, new: bool) -> Result<Migration, DbError> {
    // IMMEDIATE takes the write lock before reading the version, so two
    // openers could never both decide to run the same migration.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Ok(Migration::Newer(found));
    }
    if found == SCHEMA_VERSION {
        // Nothing to write: dropping the transaction rolls back, so a normal
        // open costs no fsync.
        return Ok(Migration::Current);
    }
    if found == 0 && !new {
        // A database is built under another name and renamed into place
        // only with its schema (see `State::open`), so one without any is
        // an emptied or truncated file, not a fresh state: say so rather
        // than start afresh and lose the queued reports without a word.
        return Err(no_schema());
    }
    let applied = usize::try_from(found)
        .map_err(|_| DbError::Damaged(format!("schema version {found} is negative")))?;
    for (version, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.execute_batch(sql)?;
        tracing::debug!(to = version + 1, "migrated state database");
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(Migration::Current)
}
