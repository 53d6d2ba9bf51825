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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    // Once the WAL restarts from its beginning, a file that a burst made
    // longer is cut back to this.
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT_BYTES)?;
    crate::storage::migrate::sqlite(&mut conn)?;
    for companion in files::sqlite_companions(path) {
        if companion.exists() {
            files::restrict(&companion)?;
        }
    }
    Ok(conn)
}

/// The WAL file's size once a restart cut it back (`journal_size_limit`).
const WAL_SIZE_LIMIT_BYTES: i64 = 64 * 1024 * 1024;

/// WAL frames (pages) past which the writer catches the checkpoint up
/// itself, so that the WAL restarts: 16 MiB of 4 KiB pages.
pub(crate) const WAL_CATCH_UP_FRAMES: u64 = 4096;

/// The WAL's length in frames as the checkpointer last saw it, for the
/// writer (see [`catch_up`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct WalLength(Arc<AtomicU64>);

impl WalLength {
    fn set(&self, frames: u64) {
        self.0.store(frames, Ordering::Relaxed);
    }

    /// Whether the WAL has grown past [`WAL_CATCH_UP_FRAMES`].
    pub fn is_long(&self) -> bool {
        self.0.load(Ordering::Relaxed) >= WAL_CATCH_UP_FRAMES
    }
}

/// One PASSIVE checkpoint on `conn`; the WAL's length in frames.
fn checkpoint(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))
        .map(|frames| u64::try_from(frames).unwrap_or(0))
}

/// Run by the writer between two transactions when the WAL is long: the
/// checkpointer's copy never catches up with a writer that commits all
/// the time, and SQLite restarts the WAL from its beginning only when a
/// checkpoint has copied every frame before the next write. With no write
/// in between, this PASSIVE checkpoint copies what the checkpointer has
/// not yet (at most its last quarter second) and the next commit restarts
/// the WAL. Without it, the WAL grows for as long as the load lasts.
pub(crate) fn catch_up(conn: &Connection, length: &WalLength) {
    match checkpoint(conn) {
        Ok(_) => length.set(0),
        // Another checkpoint is running: the next batch tries again.
        Err(e) => tracing::debug!("WAL catch-up checkpoint: {e}"),
    }
}

/// Copies the WAL back into the database four times a second on a
/// connection of its own (PASSIVE: it never blocks the writer or readers),
/// and tells the writer how long the WAL is: SQLite restarts the WAL from
/// its beginning once a checkpoint has caught up, which under steady load
/// only the writer can make happen ([`catch_up`]), and that keeps the
/// file bounded. Stops (and truncates the WAL) on drop.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    running: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    pub fn spawn(path: &Path, length: WalLength) -> std::io::Result<Checkpointer> {
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
                    if ticks.is_multiple_of(5) {
                        match checkpoint(&conn) {
                            Ok(frames) => length.set(frames),
                            Err(e) => tracing::warn!("WAL checkpoint: {e}"),
                        }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A transaction that dirties about `pages` pages.
    fn write(conn: &Connection, pages: usize) {
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        for _ in 0..pages {
            conn.execute("INSERT INTO t (v) VALUES (zeroblob(4000))", [])
                .unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
    }

    fn wal_bytes(path: &Path) -> u64 {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        std::fs::metadata(wal).unwrap().len()
    }

    #[test]
    fn the_writer_catching_up_restarts_a_wal_the_checkpointer_never_finishes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.sqlite3");
        let writer = open_writer(&path).unwrap();
        writer
            .execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
            .unwrap();
        let other = Connection::open(&path).unwrap();
        let reader = Connection::open(&path).unwrap();
        // Steady load: the writer commits while the checkpointer copies,
        // so each pass ends behind the writer (here a reader's snapshot
        // holds the pass back as far), SQLite never restarts the WAL and
        // it only grows.
        for _ in 0..5 {
            reader.execute_batch("BEGIN").unwrap();
            let _: i64 = reader
                .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                .unwrap();
            write(&writer, 50);
            checkpoint(&other).unwrap();
            reader.execute_batch("COMMIT").unwrap();
        }
        let grown = wal_bytes(&path);
        assert!(grown >= 250 * 4096, "the WAL has {grown} bytes");
        // Caught up between two transactions: the next commit writes from
        // the WAL's beginning.
        let length = WalLength::default();
        length.set(WAL_CATCH_UP_FRAMES);
        assert!(length.is_long());
        catch_up(&writer, &length);
        assert!(!length.is_long());
        // Written over the WAL's first frames: the file did not grow.
        write(&writer, 5);
        assert_eq!(wal_bytes(&path), grown);
        let count: i64 = other
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 255);
    }
}
