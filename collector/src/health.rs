//! Readiness: whether this collector can serve devices now (its database
//! reachable, its schema the one it knows), for `GET /readyz`.

use crate::collector::Collector;
use crate::error::CollectorError;

/// The tables of the schema this collector creates: a database without one
/// of them was not set up by this version (or was damaged since).
fn schema_tables() -> impl Iterator<Item = &'static str> {
    crate::store::SCHEMA.lines().filter_map(|line| {
        line.trim()
            .strip_prefix("CREATE TABLE IF NOT EXISTS ")?
            .split_whitespace()
            .next()
    })
}

impl Collector {
    /// Checks that the database answers a query and has every table this
    /// collector uses. Blocking: from async code, call it inside
    /// `spawn_blocking`.
    pub fn check_ready(&self) -> Result<(), CollectorError> {
        let conn = self.reader()?;
        let mut missing = Vec::new();
        for table in schema_tables() {
            let found: i64 = conn.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |row| row.get(0),
            )?;
            if found == 0 {
                missing.push(table);
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(CollectorError::Config(format!(
                "the database lacks the tables {}; it is not this collector's schema",
                missing.join(", ")
            )))
        }
    }

    /// The operations routes (`/healthz`, `/readyz`, `/metrics`) without
    /// the admin token, for a listener of their own that only monitoring
    /// reaches (`posture-agent serve --metrics-listen`).
    pub fn ops_router(&self) -> axum::Router {
        crate::handlers::ops::router(self.clone())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_schema_names_every_table() {
        let tables: Vec<_> = super::schema_tables().collect();
        for t in [
            "codes",
            "devices",
            "reports",
            "request_jtis",
            "signing_keys",
        ] {
            assert!(tables.contains(&t), "{tables:?}");
        }
    }
}
