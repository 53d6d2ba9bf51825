//! SQLite storage: connections, the checkpointer and the read-side
//! queries (the schema is in `collector/migrations/sqlite`).
//! All writes go through the writer thread (`crate::writer`).

mod read;

pub(crate) use read::{
    ATTESTATION_COLUMNS, ExportCursor, ExportRow, RawAttestation, RawFleetRow, apply_app_attest,
    apply_pins, at, attested, device_count, device_detail, export_line, fleet_devices,
    fleet_summary, history_entry, load_devices, name_of, parse_attestation, pinned, report_count,
    summarise,
};

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use crate::error::CollectorError;
use crate::files;

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
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Checkpoints run on their own thread (`Checkpointer`), so a
    // commit waits only for its WAL fsync, never for copying pages back.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    crate::storage::migrate::sqlite(&mut conn)?;
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
