//! The collector's operational errors (opening, storage, TLS, serving).

/// Why the collector could not start or complete an operation.
#[derive(Debug, thiserror::Error)]
pub enum CollectorError {
    /// The database could not be opened, migrated, read or written.
    #[error("collector database: {0}")]
    Storage(#[from] rusqlite::Error),
    /// A file or socket operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The certificate or key could not be read or used.
    #[error("TLS: {0}")]
    Tls(String),
    /// A setting is invalid.
    #[error("invalid setting: {0}")]
    Config(String),
    /// The writer thread stopped, so nothing can be stored.
    #[error("the collector's database writer has stopped")]
    WriterGone,
    /// Another collector holds the database's lock.
    #[error(
        "another collector is already using {} (it holds {}); stop it first, or give this one another database file",
        db.display(), lock.display()
    )]
    InUse {
        /// The database.
        db: std::path::PathBuf,
        /// The lock file.
        lock: std::path::PathBuf,
    },
    /// The database's schema is newer than this build of the collector.
    #[error(
        "the database's schema is version {found}, newer than this collector knows (version {known}): run a collector at least as new as the one that migrated it"
    )]
    SchemaTooNew {
        /// The database's version.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// A PostgreSQL operation failed. The text never holds the password:
    /// the driver's errors do not repeat the connection settings.
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    /// Random bytes could not be drawn.
    #[error("the system random number generator failed")]
    Random,
}

impl CollectorError {
    /// An I/O error with what was being done.
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> CollectorError {
        CollectorError::Io {
            what: what.into(),
            source,
        }
    }
}
