//! Readiness: whether this collector can serve devices now (its database
//! answers, and its schema is the one this build knows), for `GET /readyz`.

use crate::collector::Collector;
use crate::error::CollectorError;
use crate::storage::{Store, migrate};

impl Store {
    /// Asks the database for its schema version and compares it with this
    /// build's latest migration: a failed query means unreachable, another
    /// version means a collector of another release migrated it (or it
    /// was changed by hand).
    pub async fn check_ready(&self) -> Result<(), CollectorError> {
        // `/readyz` answers without a token: a database error (which may
        // name its user, host or port) goes to the log, not to the answer.
        let unreachable = |e: CollectorError| {
            tracing::warn!("readiness: the database does not answer: {e}");
            CollectorError::Config("the database does not answer".into())
        };
        let (found, known) = match self {
            Store::Sqlite(s) => (
                s.schema_version().await.map_err(unreachable)?,
                migrate::latest(migrate::SQLITE),
            ),
            Store::Postgres(p) => (
                p.schema_version().await.map_err(unreachable)?,
                migrate::latest(migrate::POSTGRES),
            ),
        };
        if found == known {
            Ok(())
        } else {
            Err(CollectorError::Config(format!(
                "the database's schema is at version {found}, this collector's at {known}"
            )))
        }
    }
}

impl Collector {
    /// Whether the database answers and has this collector's schema
    /// version (`GET /readyz`).
    pub async fn check_ready(&self) -> Result<(), CollectorError> {
        self.inner.store.check_ready().await
    }

    /// The operations routes (`/healthz`, `/readyz`, `/metrics`) without
    /// the admin token, for a listener of their own that only monitoring
    /// reaches (`posture-agent serve --metrics-listen`).
    pub fn ops_router(&self) -> axum::Router {
        crate::handlers::ops::router(self.clone())
    }
}
