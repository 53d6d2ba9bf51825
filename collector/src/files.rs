//! The collector's files on disk: private modes set explicitly (never left
//! to the umask) and the lock that keeps a second collector off a database.
//!
//! Modes, on Unix: a directory the collector creates is 0700; the database
//! and its `-wal` and `-shm` files, and the lock file, are 0600. Elsewhere
//! the platform's defaults apply.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

use crate::error::CollectorError;

/// Mode of a directory the collector creates.
#[cfg(unix)]
const DIR_MODE: u32 = 0o700;
/// Mode of the database, its WAL and shared-memory files, and the lock.
#[cfg(unix)]
const PRIVATE_FILE_MODE: u32 = 0o600;
/// Mode of a file others must be able to read (the dev CA certificate).
#[cfg(unix)]
const PUBLIC_FILE_MODE: u32 = 0o644;

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Creates `dir` and any missing parents, each 0700 whatever the umask.
/// Directories that already exist keep their mode: they may be shared.
pub(crate) fn create_private_dirs(dir: &Path) -> Result<(), CollectorError> {
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(p) = at.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
        missing.push(p);
        at = p.parent();
    }
    for p in missing.into_iter().rev() {
        match std::fs::create_dir(p) {
            Ok(()) => {}
            // Made by someone else in the meantime: not ours to change.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(CollectorError::io(format!("create {}", p.display()), e)),
        }
        #[cfg(unix)]
        set_mode(p, DIR_MODE)
            .map_err(|e| CollectorError::io(format!("make {} private (0700)", p.display()), e))?;
    }
    Ok(())
}

/// Creates `path` if missing and makes it 0600 (an existing file too).
pub(crate) fn make_private_file(path: &Path) -> Result<(), CollectorError> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(PRIVATE_FILE_MODE);
    }
    options
        .open(path)
        .map_err(|e| CollectorError::io(format!("create {}", path.display()), e))?;
    restrict(path)
}

/// Makes an existing file 0600.
pub(crate) fn restrict(path: &Path) -> Result<(), CollectorError> {
    #[cfg(unix)]
    set_mode(path, PRIVATE_FILE_MODE)
        .map_err(|e| CollectorError::io(format!("make {} private (0600)", path.display()), e))?;
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Writes `contents` to `path`, readable by everyone, writable only by the
/// owner (0644) whatever the umask.
pub(crate) fn write_public_file(path: &Path, contents: &[u8]) -> Result<(), CollectorError> {
    std::fs::write(path, contents)
        .map_err(|e| CollectorError::io(format!("write {}", path.display()), e))?;
    #[cfg(unix)]
    set_mode(path, PUBLIC_FILE_MODE)
        .map_err(|e| CollectorError::io(format!("set the mode of {}", path.display()), e))?;
    Ok(())
}

/// The SQLite files beside the database that hold its recent changes.
pub(crate) fn sqlite_companions(db: &Path) -> [PathBuf; 2] {
    let with = |suffix: &str| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [with("-wal"), with("-shm")]
}

/// An exclusive lock on `<database>.lock`, held while the collector runs,
/// so a second collector on the same database stops at once instead of
/// serving answers the first one's memory contradicts (keys, nonces).
#[derive(Debug)]
pub(crate) struct DbLock {
    _file: File,
}

impl DbLock {
    /// The lock file's path for a database.
    pub fn path_for(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock without waiting; fails if another process holds it.
    pub fn acquire(db: &Path) -> Result<DbLock, CollectorError> {
        let path = DbLock::path_for(db);
        make_private_file(&path)?;
        let file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| CollectorError::io(format!("open {}", path.display()), e))?;
        match file.try_lock() {
            Ok(()) => Ok(DbLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(CollectorError::InUse {
                db: db.to_owned(),
                lock: path,
            }),
            Err(TryLockError::Error(e)) => {
                Err(CollectorError::io(format!("lock {}", path.display()), e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_database_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("c.sqlite3");
        let first = DbLock::acquire(&db).unwrap();
        match DbLock::acquire(&db) {
            Err(CollectorError::InUse { db: d, lock }) => {
                assert_eq!(d, db);
                assert_eq!(lock, dir.path().join("c.sqlite3.lock"));
            }
            other => panic!("expected InUse, got {other:?}"),
        }
        drop(first);
        DbLock::acquire(&db).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn created_directories_and_files_get_their_modes() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_private_dirs(&nested).unwrap();
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&nested), 0o700);
        let file = nested.join("f");
        std::fs::write(&file, b"x").unwrap();
        set_mode(&file, 0o666).unwrap();
        make_private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read(&file).unwrap(), b"x", "kept its contents");
        let public = nested.join("p");
        write_public_file(&public, b"y").unwrap();
        assert_eq!(mode(&public), 0o644);
    }
}
