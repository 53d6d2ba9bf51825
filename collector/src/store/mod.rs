//! SQLite storage: the schema, connections, and the read-side queries.
//! All writes go through the writer thread (`crate::writer`).

mod read;

pub(crate) use read::{
    ExportCursor, at, device_count, fleet_summary, load_devices, name_of, report_count,
};

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS codes (
    hash            BLOB PRIMARY KEY,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    label           TEXT,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    used_at         INTEGER,
    device_id       TEXT,
    kid             TEXT
);
CREATE TABLE IF NOT EXISTS devices (
    device_id        TEXT PRIMARY KEY,
    kid              TEXT NOT NULL,
    jwk              TEXT NOT NULL,
    platform         TEXT NOT NULL,
    agent_version    TEXT NOT NULL,
    enrolled_at      INTEGER NOT NULL,
    nonce            TEXT NOT NULL,
    nonce_expires_at INTEGER NOT NULL,
    last_report_at   INTEGER,
    last_current_at  INTEGER,
    last_compliance  TEXT,
    unenrolled_at    INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS devices_enrolled_kid ON devices (kid)
    WHERE unenrolled_at IS NULL;
CREATE TABLE IF NOT EXISTS reports (
    jti          TEXT PRIMARY KEY,
    token_sha256 BLOB NOT NULL,
    device_id    TEXT NOT NULL,
    iat          INTEGER NOT NULL,
    accepted_at  INTEGER NOT NULL,
    freshness    TEXT NOT NULL,
    compliance   TEXT NOT NULL,
    verdict      TEXT NOT NULL,
    ack          TEXT NOT NULL,
    token        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_accepted_at ON reports (accepted_at);
CREATE TABLE IF NOT EXISTS request_jtis (
    jti TEXT PRIMARY KEY,
    exp INTEGER NOT NULL
);
";

/// Opens the writer's connection and creates the schema.
///
/// WAL lets the fleet and export readers run beside the writer.
/// `synchronous = FULL`: an acknowledgement promises the report is stored,
/// so each commit must reach the disk before anyone is answered; NORMAL
/// could lose the last commits on power loss. The cost is one fsync per
/// group commit, not per report, because the writer batches.
pub(crate) fn open_writer(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// Opens a read connection (fleet, export, counts).
pub(crate) fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}
