//! The single-writer lock on a state directory.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use super::error::StateError;

/// The lock file's name inside the state directory.
pub(crate) const LOCK_FILE: &str = "agent.lock";

/// Retries of a busy lock, and the pause between them (see [`DirLock::acquire`]).
const LOCK_RETRIES: u32 = 10;
const LOCK_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(20);

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
    /// Takes the lock, or fails with [`StateError::Locked`] within a fifth of
    /// a second: an agent that waited for another holder would only run a
    /// stale check-in after the other finished.
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
        // A child process forked by another thread of this process holds a
        // copy of every descriptor until it execs, and with it a lock this
        // process has just released: a few short retries ride that out. A
        // real second holder still fails well within a second.
        let mut tries = 0;
        loop {
            match file.try_lock() {
                Err(TryLockError::WouldBlock) if tries < LOCK_RETRIES => {
                    tries += 1;
                    std::thread::sleep(LOCK_RETRY_PAUSE);
                }
                result => break result.map(|()| file),
            }
        }
        .map(|file| DirLock { _file: file })
        .map_err(|e| match e {
            TryLockError::WouldBlock => StateError::Locked {
                dir: dir.to_owned(),
            },
            TryLockError::Error(source) => StateError::Io {
                action: "lock",
                path,
                source,
            },
        })
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
