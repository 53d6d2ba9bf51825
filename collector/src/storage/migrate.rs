//! Schema migrations, versioned in the repository (`collector/migrations/`)
//! and applied at start in one transaction. A database whose schema is
//! newer than this build knows is refused: an older collector must not
//! write to tables it does not understand.

use crate::error::CollectorError;

/// One schema version: the SQL that takes the previous version to it.
/// Versions rise but need not be contiguous: a database records each
/// version it applied, and gets every known version it has not applied,
/// oldest first (so a version numbered below one already applied, as when
/// two lines of work each add one, is still applied).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// The SQLite migrations, oldest first.
pub(crate) const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "baseline",
        sql: include_str!("../../migrations/sqlite/0001_baseline.sql"),
    },
    Migration {
        version: 2,
        name: "report_history_index",
        sql: include_str!("../../migrations/sqlite/0002_report_history_index.sql"),
    },
    Migration {
        version: 3,
        name: "failures_and_webhooks",
        sql: include_str!("../../migrations/sqlite/0003_failures_and_webhooks.sql"),
    },
    Migration {
        version: 4,
        name: "console",
        sql: include_str!("../../migrations/sqlite/0004_console.sql"),
    },
    Migration {
        version: 5,
        name: "grace_deadline_events",
        sql: include_str!("../../migrations/sqlite/0005_grace_deadline_events.sql"),
    },
    Migration {
        version: 6,
        name: "report_compression",
        sql: include_str!("../../migrations/sqlite/0006_report_compression.sql"),
    },
];

/// The PostgreSQL migrations, oldest first; the same versions as SQLite's.
pub(crate) const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "baseline",
        sql: include_str!("../../migrations/postgres/0001_baseline.sql"),
    },
    Migration {
        version: 2,
        name: "report_history_index",
        sql: include_str!("../../migrations/postgres/0002_report_history_index.sql"),
    },
    Migration {
        version: 3,
        name: "failures_and_webhooks",
        sql: include_str!("../../migrations/postgres/0003_failures_and_webhooks.sql"),
    },
    Migration {
        version: 4,
        name: "console",
        sql: include_str!("../../migrations/postgres/0004_console.sql"),
    },
    Migration {
        version: 5,
        name: "grace_deadline_events",
        sql: include_str!("../../migrations/postgres/0005_grace_deadline_events.sql"),
    },
    Migration {
        version: 6,
        name: "report_compression",
        sql: include_str!("../../migrations/postgres/0006_report_compression.sql"),
    },
];

/// The newest schema version this build knows.
pub(crate) fn latest(list: &[Migration]) -> i64 {
    list.last().map_or(0, |m| m.version)
}

/// The migrations a database that applied `applied` still needs, oldest
/// first, or the refusal when it is newer than this build.
pub(crate) fn pending(
    list: &'static [Migration],
    applied: &[i64],
) -> Result<Vec<&'static Migration>, CollectorError> {
    let known = latest(list);
    let newest = applied.iter().copied().max().unwrap_or(0);
    if newest > known {
        return Err(CollectorError::SchemaTooNew {
            found: newest,
            known,
        });
    }
    Ok(list
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .collect())
}

/// The applied versions, as the version table lists them.
pub(crate) const APPLIED: &str = "SELECT version FROM schema_migrations ORDER BY version";

/// The table that records applied versions (the same on both stores).
pub(crate) const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

/// Applies the SQLite migrations in one `BEGIN IMMEDIATE` transaction
/// (which also keeps a second process from migrating at the same time).
/// A database without `schema_migrations` is at version 0: empty, or made
/// before versions were recorded, which the baseline's IF NOT EXISTS takes
/// in as version 1.
pub(crate) fn sqlite(conn: &mut rusqlite::Connection) -> Result<i64, CollectorError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(VERSION_TABLE)?;
    let applied = tx
        .prepare(APPLIED)?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for m in pending(SQLITE, &applied)? {
        tx.execute_batch(m.sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![m.version, m.name, now],
        )?;
        tracing::info!(
            "database schema: applied version {} ({})",
            m.version,
            m.name
        );
    }
    tx.commit()?;
    Ok(latest(SQLITE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_rise_and_match_across_stores() {
        for list in [SQLITE, POSTGRES] {
            assert_eq!(list[0].version, 1);
            for pair in list.windows(2) {
                assert!(pair[0].version < pair[1].version, "{}", pair[1].name);
            }
        }
        let names = |l: &[Migration]| l.iter().map(|m| (m.version, m.name)).collect::<Vec<_>>();
        assert_eq!(names(SQLITE), names(POSTGRES));
    }

    #[test]
    fn pending_is_every_known_version_not_applied() {
        let versions = |applied: &[i64]| {
            pending(SQLITE, applied)
                .unwrap()
                .iter()
                .map(|m| m.version)
                .collect::<Vec<_>>()
        };
        assert_eq!(versions(&[]), [1, 2, 3, 4, 5, 6]);
        assert_eq!(versions(&[1]), [2, 3, 4, 5, 6]);
        assert!(versions(&[1, 2, 3, 4, 5, 6]).is_empty());
        // A version missed below the newest applied one is still applied.
        assert_eq!(versions(&[1, 4]), [2, 3, 5, 6]);
        let err = pending(SQLITE, &[1, 2, 7]).unwrap_err().to_string();
        assert!(
            err.contains("version 7") && err.contains("version 6"),
            "{err}"
        );
    }
}
