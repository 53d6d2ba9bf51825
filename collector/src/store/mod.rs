//! SQLite storage: the schema, connections, and the read-side queries.
//! All writes go through the writer thread (`crate::writer`).

mod read;

pub(crate) use read::{
    ExportCursor, at, device_count, device_detail, fleet_summary, load_devices, name_of, pinned,
    report_count,
};

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use crate::error::CollectorError;
use crate::files;

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
-- Added after the first release: created in place on older databases.
-- What a verified key attestation vouched for at enrolment; never the
-- ID-attestation fields (IMEI, serial, model, ...).
CREATE TABLE IF NOT EXISTS device_attestations (
    device_id                TEXT PRIMARY KEY REFERENCES devices (device_id),
    provenance               TEXT NOT NULL,
    security_level           TEXT NOT NULL,
    attestation_version      INTEGER NOT NULL,
    verified_boot_state      TEXT,
    device_locked            INTEGER,
    os_version               INTEGER,
    os_patch_level           INTEGER,
    vendor_patch_level       INTEGER,
    boot_patch_level         INTEGER,
    verified_boot_key_sha256 TEXT,
    attested_at              INTEGER NOT NULL,
    -- From the latest current report, to show where it disagrees.
    reported_os_patch_level  INTEGER,
    reported_at              INTEGER
);
-- An Apple App Attest key verified at enrolment (iOS), and the counter of
-- the last accepted assertion. App Attest carries no device identifier.
CREATE TABLE IF NOT EXISTS device_app_attest (
    device_id         TEXT PRIMARY KEY REFERENCES devices (device_id),
    key_id            BLOB NOT NULL,
    public_key        BLOB NOT NULL,
    counter           INTEGER NOT NULL,
    environment       TEXT NOT NULL,
    attested_at       INTEGER NOT NULL,
    last_assertion_at INTEGER
);
-- Added with assurance levels. The collector's appraisal of each report
-- (fact provenance, assurance level, mismatches: protocol 5.3.1) and the
-- attestation result it issued, if any.
CREATE TABLE IF NOT EXISTS report_assessments (
    jti                TEXT PRIMARY KEY REFERENCES reports (jti),
    assurance          TEXT NOT NULL,
    assessment         TEXT NOT NULL,
    attestation_result TEXT
);
-- The same for each device's latest current report (the fleet view's).
CREATE TABLE IF NOT EXISTS device_assessments (
    device_id          TEXT PRIMARY KEY REFERENCES devices (device_id),
    jti                TEXT NOT NULL,
    assessment         TEXT NOT NULL,
    attestation_result TEXT
);
-- Added with re-attestation (protocol 5.3.3). device_attestations holds
-- each device's pin, moved up by fresh chains; this holds every downgrade
-- a fresh chain showed against it (which value, pinned and seen). A device
-- with a row here has a broken pin. Never ID-attestation fields.
CREATE TABLE IF NOT EXISTS attestation_pin_breaks (
    device_id TEXT NOT NULL REFERENCES devices (device_id),
    jti       TEXT NOT NULL,
    field     TEXT NOT NULL,
    pinned    TEXT NOT NULL,
    seen      TEXT NOT NULL,
    broken_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, jti, field)
);
-- The collector's attestation-result signing key (PKCS#8), made at first
-- start unless a key file is given. The database file is 0600.
CREATE TABLE IF NOT EXISTS signing_keys (
    kid        TEXT PRIMARY KEY,
    pkcs8      BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
";

/// Opens the writer's connection and creates the schema; the database and
/// its `-wal` and `-shm` files are 0600 (SQLite gives the latter two the
/// database's mode, and they are set again in case they predate it).
///
/// WAL lets the fleet and export readers run beside the writer.
/// `synchronous = FULL`: an acknowledgement promises the report is stored,
/// so each commit must reach the disk before anyone is answered; NORMAL
/// could lose the last commits on power loss. The cost is one fsync per
/// group commit, not per report, because the writer batches.
pub(crate) fn open_writer(path: &Path) -> Result<Connection, CollectorError> {
    files::make_private_file(path)?;
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Checkpoints run on their own thread (`Checkpointer`), so a
    // commit waits only for its WAL fsync, never for copying pages back.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch(crate::failures::SCHEMA)?;
    for companion in files::sqlite_companions(path) {
        if companion.exists() {
            files::restrict(&companion)?;
        }
    }
    Ok(conn)
}

/// Copies the WAL back into the database four times a second on a
/// connection of its own (PASSIVE: it never blocks the writer or readers).
/// SQLite restarts the WAL from its beginning once a checkpoint has caught
/// up, which keeps the file bounded. Stops (and truncates the WAL) on drop.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    running: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    pub fn spawn(path: &Path) -> std::io::Result<Checkpointer> {
        let running = Arc::new(AtomicBool::new(true));
        let flag = running.clone();
        let path = path.to_owned();
        let thread = std::thread::Builder::new()
            .name("collector-ckpt".into())
            .spawn(move || {
                let conn = match Connection::open(&path) {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!("checkpointer: {e}");
                        return;
                    }
                };
                let _ = conn.busy_timeout(Duration::from_secs(1));
                let mut ticks = 0u32;
                while flag.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(50));
                    ticks += 1;
                    if ticks.is_multiple_of(5)
                        && let Err(e) =
                            conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::warn!("WAL checkpoint: {e}");
                    }
                }
                let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            })?;
        Ok(Checkpointer {
            running,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.running.store(false, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
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
