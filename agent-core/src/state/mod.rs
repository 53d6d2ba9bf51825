//! Durable agent state: the enrolment, the current policy, the last verdict
//! and the outbox of signed reports waiting for delivery, in one SQLite file.
//!
//! One directory holds one agent's state and one agent process uses it at a
//! time ([`State::open`] takes an exclusive lock). Nothing secret is stored
//! here: the device key lives in its own store. Report tokens are stored
//! but never logged.

pub mod backoff;
mod documents;
mod error;
mod failures;
mod lock;
mod outbox;
mod records;
mod schema;
mod stamp;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_v5;
mod working_hours;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, Params, Row, TransactionBehavior};

pub use documents::{ServerVerdict, VerdictRecord};
pub use error::StateError;
pub use outbox::{OutboxLimits, OutboxStats, PushOutcome, QueuedReport};
pub use records::Enrolment;

use documents::{Documents, Parsed};
use error::DbError;
use lock::DirLock;
use schema::Migration;

/// The database file's name inside the state directory.
pub const DB_FILE: &str = "state.sqlite3";

/// Files SQLite may keep beside the database; all are state and all go on wipe.
const DB_SIDE_FILES: [&str; 3] = [
    "state.sqlite3-wal",
    "state.sqlite3-shm",
    "state.sqlite3-journal",
];

/// Where a new database is built before it is renamed to [`DB_FILE`], so a
/// `state.sqlite3` that exists always holds the schema: one without it
/// (empty, truncated) is damaged, never mistaken for a fresh state.
const DB_NEW_FILE: &str = ".state.sqlite3.new";

/// An open state directory, locked for this agent until dropped.
#[derive(Debug)]
pub struct State {
    // Field order is drop order: close the database before letting go of
    // the lock, so the next owner never sees a half-closed WAL.
    conn: Connection,
    limits: OutboxLimits,
    in_batch: bool,
    // The policy and verdicts as parsed at open and as written since.
    documents: Documents,
    // What the batch in progress wrote, kept only if it commits.
    pending: Option<Documents>,
    db_path: PathBuf,
    dir: PathBuf,
    // None for a read-only view beside the process that holds the lock.
    _lock: Option<DirLock>,
}

impl State {
    /// Opens (creating if needed) the state in `dir` with the default outbox limits.
    pub fn open(dir: &Path) -> Result<State, StateError> {
        State::open_with_limits(dir, OutboxLimits::default())
    }

    /// Opens (creating if needed) the state in `dir` with the given outbox limits.
    pub fn open_with_limits(dir: &Path, limits: OutboxLimits) -> Result<State, StateError> {
        limits.validate()?;
        lock::create_dir(dir)?;
        let lock = DirLock::acquire(dir)?;
        let db_path = dir.join(DB_FILE);
        if !exists(&db_path)? {
            create_db(dir).map_err(|e| e.at(&db_path))?;
        }
        private_file(&db_path)?;
        let conn = open_db(&db_path).map_err(|e| e.at(&db_path))?;
        Ok(State {
            documents: Documents::load(&conn),
            pending: None,
            conn,
            limits,
            in_batch: false,
            db_path,
            dir: dir.to_owned(),
            _lock: Some(lock),
        })
    }

    /// Opens a read-only view of the state in `dir` without taking its lock,
    /// for reading beside the agent process that holds it (a `status` while
    /// `run` works). Every write fails with [`StateError::ReadOnly`]. Fails
    /// with [`StateError::Locked`] when the database is missing or not at
    /// this build's schema: only the lock holder may create or migrate it.
    pub fn open_read_only(dir: &Path) -> Result<State, StateError> {
        let db_path = dir.join(DB_FILE);
        if !exists(&db_path)? {
            return Err(StateError::Locked {
                dir: dir.to_owned(),
            });
        }
        let conn = open_db_read_only(&db_path).map_err(|e| e.at(&db_path))?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|e| DbError::Sql(e).at(&db_path))?;
        if version != schema::SCHEMA_VERSION {
            return Err(StateError::Locked {
                dir: dir.to_owned(),
            });
        }
        Ok(State {
            conn,
            limits: OutboxLimits::default(),
            in_batch: false,
            // Unused: a view parses what is stored at each read.
            documents: Documents::default(),
            pending: None,
            db_path,
            dir: dir.to_owned(),
            _lock: None,
        })
    }

    /// Whether this is a read-only view ([`State::open_read_only`]).
    pub fn is_read_only(&self) -> bool {
        self._lock.is_none()
    }

    /// The device key's recorded name in the state in `dir`, read without
    /// the lock and without creating anything; None when there is no
    /// readable state. For recovery, which must work on a damaged state.
    pub fn peek_key_name(dir: &Path) -> Option<String> {
        let db_path = dir.join(DB_FILE);
        if !matches!(exists(&db_path), Ok(true)) {
            return None;
        }
        let conn = open_db_read_only(&db_path).ok()?;
        conn.query_row("SELECT key_name FROM agent WHERE id = 1", [], |r| r.get(0))
            .ok()
            .flatten()
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The outbox limits in force.
    pub fn limits(&self) -> OutboxLimits {
        self.limits
    }

    /// Reads every page of the database (`PRAGMA quick_check`) and fails
    /// with [`StateError::Corrupt`] if any is damaged; meant for a rare
    /// maintenance or `status` run, as its cost grows with the outbox.
    //
    // Why `open` does not run this: SQLite already fails with NOTADB or
    // CORRUPT (mapped to `Corrupt`, with the recovery text) on any damaged
    // page an operation touches, and a garbage file fails at the first
    // pragma in `open`. quick_check reads the whole file, so its cost grows
    // with the outbox, which is largest exactly when a phone has been
    // offline for days and wakes often to retry. Measured on the dev
    // machine: open alone ~0.3-0.5 ms; quick_check ~0.05 ms at 100 KiB, but
    // ~4 ms at the 8 MiB outbox bound with a warm cache and 115-210 ms with
    // a cold one. Paying that on every wake buys only earlier detection of
    // damage the next read would report anyway.
    pub fn check_integrity(&self) -> Result<(), StateError> {
        self.read(|conn| {
            let mut stmt = conn.prepare("PRAGMA quick_check(5)")?;
            let found = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            if found == ["ok"] {
                Ok(())
            } else {
                Err(DbError::Damaged(found.join("; ")))
            }
        })
    }

    /// Deletes all local state in this directory (used by unenrol).
    pub fn wipe(self) -> Result<(), StateError> {
        let State {
            conn,
            dir,
            db_path,
            _lock: lock,
            ..
        } = self;
        let Some(lock) = lock else {
            return Err(StateError::ReadOnly { dir });
        };
        // Closing checkpoints the WAL; the files go regardless, but a clean
        // close means no other handle still writes to them.
        conn.close()
            .map_err(|(_, e)| DbError::Sql(e).at(&db_path))?;
        remove_state_files(&dir, lock)
    }

    /// Deletes every record (enrolment, policy, verdicts, outbox, counters)
    /// while keeping the directory locked, then rewrites the file so no
    /// deleted page survives in it or in the WAL (used by unenrol).
    pub fn reset(&mut self) -> Result<(), StateError> {
        self.write(|tx| {
            tx.execute_batch(
                "DELETE FROM enrolment;
                 DELETE FROM outbox;
                 UPDATE agent SET policy_json = NULL, policy_updated_at = NULL,
                     verdict_json = NULL, verdict_at = NULL, last_checkin_at = NULL,
                     evicted_total = 0, key_name = NULL, server_wait_until = NULL,
                     protocol_errors_total = 0, attestation_result = NULL,
                     working_hours_json = NULL;
                 DELETE FROM rule_failures;",
            )?;
            Ok(())
        })?;
        self.written(|d| *d = Documents::default());
        // VACUUM rebuilds the file without the freed pages; the checkpoint
        // then truncates the WAL that still held the old ones.
        self.read(|conn| {
            conn.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?;
            Ok(())
        })
    }

    /// Deletes all local state in `dir` without opening the database, so it
    /// also clears a corrupt one, whatever is where a state file should be
    /// (garbage, an empty file, a directory). Fails with
    /// [`StateError::Locked`] while an agent has the directory open; a
    /// missing directory is already clean.
    pub fn destroy(dir: &Path) -> Result<(), StateError> {
        if !exists(dir)? {
            return Ok(());
        }
        // A lock "file" that is not a file cannot be locked: clear it first.
        let lock_path = dir.join(lock::LOCK_FILE);
        if std::fs::symlink_metadata(&lock_path).is_ok_and(|m| !m.is_file()) {
            remove_any(&lock_path)?;
        }
        let lock = DirLock::acquire(dir)?;
        remove_state_files(dir, lock)
    }

    /// Runs `f` in one IMMEDIATE transaction and commits it durably; inside
    /// [`State::batch`] it joins the batch's transaction instead.
    fn write<T>(
        &mut self,
        f: impl FnOnce(&Connection) -> Result<T, DbError>,
    ) -> Result<T, StateError> {
        if self.is_read_only() {
            return Err(StateError::ReadOnly {
                dir: self.dir.clone(),
            });
        }
        if self.in_batch {
            return f(&self.conn).map_err(|e| e.at(&self.db_path));
        }
        let run = |conn: &mut Connection| {
            // IMMEDIATE: take the write lock up front, so a read-then-write
            // (eviction, attempts + 1) never races another writer.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        };
        run(&mut self.conn).map_err(|e: DbError| e.at(&self.db_path))
    }

    /// Runs several writes as one transaction: all of them are committed
    /// (with one fsync) or none. A check-in's bookkeeping goes through here,
    /// so it costs one durable commit instead of one per record.
    pub fn batch<T>(
        &mut self,
        f: impl FnOnce(&mut State) -> Result<T, StateError>,
    ) -> Result<T, StateError> {
        if self.in_batch {
            return f(self);
        }
        if self.is_read_only() {
            return Err(StateError::ReadOnly {
                dir: self.dir.clone(),
            });
        }
        self.conn
            .exec("BEGIN IMMEDIATE", [])
            .map_err(|e| DbError::Sql(e).at(&self.db_path))?;
        self.in_batch = true;
        self.pending = Some(self.documents.clone());
        let out = f(self);
        self.in_batch = false;
        let pending = self.pending.take();
        let end = if out.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = self.conn.exec(end, []).map(drop);
        match (out, ended) {
            (Ok(v), Ok(())) => {
                if let Some(written) = pending {
                    self.documents = written;
                }
                Ok(v)
            }
            (Ok(_), Err(e)) => Err(DbError::Sql(e).at(&self.db_path)),
            (Err(e), _) => Err(e),
        }
    }

    /// A parsed document: this batch's own write if it made one, else the
    /// copy parsed at open; a read-only view parses what is stored now.
    fn documents<T>(&self, f: impl FnOnce(&Documents) -> Parsed<T>) -> Result<T, StateError> {
        let parsed = if self.is_read_only() {
            f(&Documents::load(&self.conn))
        } else {
            f(self.pending.as_ref().unwrap_or(&self.documents))
        };
        parsed.map_err(|detail| StateError::Corrupt {
            path: self.db_path.clone(),
            detail,
        })
    }

    /// Records a write that just succeeded in the parsed copies: at once,
    /// or, inside a batch, when the batch commits.
    fn written(&mut self, f: impl FnOnce(&mut Documents)) {
        f(self.pending.as_mut().unwrap_or(&mut self.documents));
    }

    /// Runs the read `f` on the connection.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, DbError>) -> Result<T, StateError> {
        f(&self.conn).map_err(|e| e.at(&self.db_path))
    }
}

/// Statements through the connection's statement cache: the agent runs the
/// same few dozen statements on every check-in, and parsing them again each
/// time cost more than running them.
pub(crate) trait Cached {
    /// `execute` with a cached statement.
    fn exec(&self, sql: &str, params: impl Params) -> rusqlite::Result<usize>;
    /// `query_row` with a cached statement.
    fn row<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn exec(&self, sql: &str, params: impl Params) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn row<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// More than the distinct statements the agent runs, so none is evicted.
const STATEMENT_CACHE: usize = 48;

fn open_db(path: &Path) -> Result<Connection, DbError> {
    let mut conn = Connection::open(path)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Before anything writes (configuring WAL would give an empty file a
    // header): a file without the schema is damaged, see `migrate`.
    schema::require_schema(&conn)?;
    schema::configure(&conn)?;
    match schema::migrate(&mut conn)? {
        Migration::Current => Ok(conn),
        Migration::Newer(found) => Err(DbError::State(StateError::NewerSchema {
            path: path.to_owned(),
            found,
            supported: schema::SCHEMA_VERSION,
        })),
    }
}

fn open_db_read_only(path: &Path) -> Result<Connection, DbError> {
    use rusqlite::OpenFlags;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    schema::configure_read_only(&conn)?;
    Ok(conn)
}

/// Builds a new database under [`DB_NEW_FILE`] (mode 0600), brings it to
/// the schema, closes it and renames it to [`DB_FILE`] durably.
fn create_db(dir: &Path) -> Result<(), DbError> {
    let new_path = dir.join(DB_NEW_FILE);
    for name in std::iter::once(DB_NEW_FILE).chain(new_side_files().iter().map(String::as_str)) {
        remove_any(&dir.join(name)).map_err(DbError::State)?;
    }
    let io = |action: &'static str, path: &Path| {
        let path = path.to_owned();
        move |source| {
            DbError::State(StateError::Io {
                action,
                path,
                source,
            })
        }
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    // SQLite gives its WAL and journal the database file's mode.
    options.open(&new_path).map_err(io("create", &new_path))?;
    let mut conn = Connection::open(&new_path)?;
    schema::migrate_new(&mut conn)?;
    conn.close().map_err(|(_, e)| DbError::Sql(e))?;
    let db_path = dir.join(DB_FILE);
    std::fs::rename(&new_path, &db_path).map_err(io("rename into place", &db_path))?;
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("sync", dir))?;
    Ok(())
}

fn new_side_files() -> [String; 3] {
    ["-wal", "-shm", "-journal"].map(|suffix| format!("{DB_NEW_FILE}{suffix}"))
}

/// Whether something is at `path` (a dangling link counts).
fn exists(path: &Path) -> Result<bool, StateError> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(StateError::Io {
            action: "look at",
            path: path.to_owned(),
            source,
        }),
    }
}

/// Makes `path` readable by its owner only (older agents left the
/// database at the umask's mode).
fn private_file(path: &Path) -> Result<(), StateError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::symlink_metadata(path).map_err(|source| StateError::Io {
            action: "look at",
            path: path.to_owned(),
            source,
        })?;
        if meta.is_file() && meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
                |source| StateError::Io {
                    action: "make private",
                    path: path.to_owned(),
                    source,
                },
            )?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Removes the database, its side files, the file store's secrets and the
/// lock file, then the directory if nothing else is in it.
fn remove_state_files(dir: &Path, lock: DirLock) -> Result<(), StateError> {
    let fixed = [DB_FILE, DB_NEW_FILE, crate::keys::store::SECRETS_FILE]
        .into_iter()
        .chain(DB_SIDE_FILES)
        .map(str::to_owned)
        .chain(new_side_files());
    for name in fixed {
        remove_any(&dir.join(name))?;
    }
    // Temporary files the file store leaves if it dies mid-write.
    let temp_prefix = format!(".{}.tmp-", crate::keys::store::SECRETS_FILE);
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with(&temp_prefix)
            {
                remove_any(&entry.path())?;
            }
        }
    }
    // The lock file goes last, while still held: anyone who opens the
    // directory from here on starts from empty state anyway.
    remove_any(&dir.join(lock::LOCK_FILE))?;
    drop(lock);
    match std::fs::remove_dir(dir) {
        Ok(()) => Ok(()),
        // Not ours to delete: the host app may keep other files here.
        Err(e) if e.kind() == std::io::ErrorKind::DirectoryNotEmpty => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(StateError::Io {
            action: "remove the state directory",
            path: dir.to_owned(),
            source,
        }),
    }
}

/// Removes whatever is at `path`: a file, a link (not its target) or a
/// directory with its contents; nothing there is fine.
fn remove_any(path: &Path) -> Result<(), StateError> {
    let removed = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) => Err(e),
    };
    match removed {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(StateError::Io {
            action: "remove",
            path: path.to_owned(),
            source,
        }),
    }
}
