//! Why a state operation failed, phrased for the person who has to fix it.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

/// Why reading or writing the agent's local state failed.
///
/// Never carries a report token or any other payload: only paths, ids,
/// sizes and SQLite's own diagnostics.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A file or directory could not be created, opened or removed.
    #[error("could not {action} {path}: {source}; check that the directory exists and is writable")]
    Io {
        /// What the agent was doing.
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Another agent (in this process or another) holds the state directory.
    #[error(
        "the agent state in {dir} is in use by another agent process; stop that process \
         (or wait for it to finish) and try again"
    )]
    Locked {
        /// The state directory.
        dir: PathBuf,
    },
    /// The database file is not a database, is damaged, or cannot be read.
    #[error(
        "the agent state database {path} is corrupt or unreadable ({detail}); \
         reset the agent (delete its key and {}) and enrol again",
        parent_of(path)
    )]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What SQLite (or the row decoder) reported.
        detail: String,
    },
    /// The database was written by a newer agent with a schema this one does not know.
    #[error(
        "the agent state database {path} has schema version {found}, but this agent only \
         knows versions up to {supported}; upgrade the agent, or remove {} to reset",
        parent_of(path)
    )]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// The version found in the file.
        found: i64,
        /// The newest version this build understands.
        supported: i64,
    },
    /// SQLite failed in a way that does not mean corruption (disk full, I/O error, ...).
    #[error("the agent state database {path} failed: {source}")]
    Database {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// A report is larger than the whole outbox may hold.
    #[error(
        "report {jti} is {bytes} bytes, more than the outbox byte limit of {limit}; \
         raise OutboxLimits::max_bytes or make the report smaller"
    )]
    ReportTooLarge {
        /// The report's id.
        jti: String,
        /// The report's size.
        bytes: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A report or value handed in is not storable as it is.
    #[error("invalid {what}: {detail}")]
    Invalid {
        /// Which input was rejected.
        what: &'static str,
        /// Why.
        detail: String,
    },
    /// A time outside the range the database stores (years 1678 to 2261).
    #[error("the time {0} is outside the range the agent state can store (years 1678 to 2261)")]
    TimeOutOfRange(OffsetDateTime),
    /// A write through a read-only view of the state.
    #[error(
        "the agent state in {dir} is open read-only because another agent process holds it; \
         stop that process to change it"
    )]
    ReadOnly {
        /// The state directory.
        dir: PathBuf,
    },
    /// An operation that needs an enrolment ran before enrolment.
    #[error("this device is not enrolled; enrol it first")]
    NotEnrolled,
}

fn parent_of(path: &Path) -> String {
    path.parent()
        .map_or_else(|| path.display().to_string(), |p| p.display().to_string())
}

/// An error from inside a database operation, before the database path is
/// known; [`DbError::at`] turns it into a [`StateError`] at the boundary.
#[derive(Debug)]
pub(crate) enum DbError {
    /// SQLite failed.
    Sql(rusqlite::Error),
    /// A page or stored row is damaged: a value this agent never writes.
    Damaged(String),
    /// Any other state error, already complete.
    State(StateError),
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError::Sql(e)
    }
}

impl From<StateError> for DbError {
    fn from(e: StateError) -> Self {
        DbError::State(e)
    }
}

impl DbError {
    /// Names the database file, and sorts corruption from other failures so
    /// the message can give the recovery.
    pub(crate) fn at(self, path: &Path) -> StateError {
        use rusqlite::ErrorCode::{CannotOpen, DatabaseCorrupt, NotADatabase};
        match self {
            DbError::Sql(source) => match source.sqlite_error_code() {
                Some(NotADatabase | DatabaseCorrupt | CannotOpen) => StateError::Corrupt {
                    path: path.to_owned(),
                    detail: source.to_string(),
                },
                _ => StateError::Database {
                    path: path.to_owned(),
                    source,
                },
            },
            DbError::Damaged(detail) => StateError::Corrupt {
                path: path.to_owned(),
                detail,
            },
            DbError::State(e) => e,
        }
    }
}
