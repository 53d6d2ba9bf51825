//! The single-writer lock on a state directory.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use super::error::StateError;

/// The lock file's name inside the state directory.
pub(crate) const LOCK_FILE: &str = "agent.lock";

/// An exclusive advisory lock on `dir/agent.lock`, held until drop.
///
/// The lock belongs to the open file, not the process, so a second open in
/// the same process is refused just like one from another process; the OS
/// drops it when the process dies, so a crash never leaves a stale lock.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock, or fails with [`StateError::Locked`] at once: an agent
    /// that waited would only run a stale check-in after the other finished.
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock, StateError> {
        let path = dir.join(LOCK_FILE);
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path).map_err(|source| StateError::Io {
            action: "open the lock file",
            path: path.clone(),
            source,
        })?;
        match file.try_lock() {
            Ok(()) => Ok(DirLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(StateError::Locked {
                dir: dir.to_owned(),
            }),
            Err(TryLockError::Error(source)) => Err(StateError::Io {
                action: "lock",
                path,
                source,
            }),
        }
    }
}

/// Creates the state directory, private to this user on unix.
pub(crate) fn create_dir(dir: &Path) -> Result<(), StateError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        // Posture facts are personal; nobody else on the machine needs them.
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| StateError::Io {
        action: "create the state directory",
        path: dir.to_owned(),
        source,
    })
}
