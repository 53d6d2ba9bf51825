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

/// A store's migrations from `(version, file number, name)`: the file is
/// `migrations/{store}/{number}_{name}.sql`.
macro_rules! migrations {
    ($store:literal: $(($version:literal, $number:literal, $name:literal)),+ $(,)?) => {
        &[$(Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!(
                "../../migrations/", $store, "/", $number, "_", $name, ".sql"
            )),
        }),+]
    };
}

/// Every schema version, oldest first; both stores have each one.
macro_rules! all_versions {
    ($store:literal) => {
        migrations!($store:
            (1, "0001", "baseline"),
            (2, "0002", "report_history_index"),
            (3, "0003", "failures_and_webhooks"),
            (4, "0004", "console"),
            (5, "0005", "grace_deadline_events"),
            (6, "0006", "report_compression"),
        )
    };
}

/// The SQLite migrations, oldest first.
pub(crate) const SQLITE: &[Migration] = all_versions!("sqlite");

/// The PostgreSQL migrations, oldest first; the same versions as SQLite's.
pub(crate) const POSTGRES: &[Migration] = all_versions!("postgres");

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
