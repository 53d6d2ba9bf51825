//! Which database a collector uses, from `--db` or `POSTURE_COLLECTOR_DB`:
//! `sqlite:PATH`, a bare PATH (SQLite), or a `postgres://` /
//! `postgresql://` URL. The URL's password never reaches Debug output, logs
//! or errors: [`PostgresUrl`] shows it as `***`.

use std::path::PathBuf;

use crate::error::CollectorError;

/// Where the collector's data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres(PostgresUrl),
}

impl Database {
    /// Parses `sqlite:PATH`, a `postgres://` or `postgresql://` URL, or a
    /// bare path (SQLite, as `--db FILE` always meant).
    pub fn parse(text: &str) -> Result<Database, CollectorError> {
        if text.is_empty() {
            return Err(CollectorError::Config(
                "the database is empty: give sqlite:PATH, a file or a postgres:// URL".into(),
            ));
        }
        if let Some(path) = text.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(CollectorError::Config(
                    "sqlite: needs a file, as in sqlite:/var/lib/posture/collector.sqlite3".into(),
                ));
            }
            return Ok(Database::Sqlite(PathBuf::from(path)));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return PostgresUrl::parse(text).map(Database::Postgres);
        }
        if let Some((scheme, _)) = text.split_once("://") {
            return Err(CollectorError::Config(format!(
                "database scheme {scheme:?} is not supported: use sqlite:PATH or postgres://"
            )));
        }
        Ok(Database::Sqlite(PathBuf::from(text)))
    }
}

impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Database::Postgres(url) => url.fmt(f),
        }
    }
}

/// A PostgreSQL connection URL. Debug and Display redact the password;
/// only the driver sees it.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl {
    url: String,
    redacted: String,
}

impl PostgresUrl {
    /// Checks the URL's shape: a host, and an `sslmode` this collector
    /// supports (see [`PostgresUrl::tls_mode`]).
    pub fn parse(text: &str) -> Result<PostgresUrl, CollectorError> {
        let parsed = url::Url::parse(text).map_err(|e| {
            // The URL is not repeated: it may hold a password.
            CollectorError::Config(format!("the PostgreSQL URL does not parse: {e}"))
        })?;
        let mut redacted = parsed.clone();
        if parsed.password().is_some() {
            // Setting a password on a URL with a user and host cannot fail.
            let _ = redacted.set_password(Some("***"));
        }
        let redacted = redacted.to_string();
        // The driver also takes hosts, addresses, ports and a password from
        // the query: they would get past the loopback check below and the
        // password's redaction, so only these harmless keys are accepted.
        if let Some((key, _)) = parsed.query_pairs().find(|(k, _)| {
            !matches!(
                k.as_ref(),
                "sslmode" | "application_name" | "connect_timeout" | "user" | "dbname"
            )
        }) {
            return Err(CollectorError::Config(format!(
                "the PostgreSQL URL's query may give sslmode, application_name, connect_timeout, user or dbname, not {key:?}: put the host, port and password in the URL itself"
            )));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(CollectorError::Config(format!(
                "the PostgreSQL URL {redacted} names no host"
            )));
        }
        let url = PostgresUrl {
            url: text.to_owned(),
            redacted,
        };
        url.tls_mode()?;
        Ok(url)
    }

    /// The URL for the driver, with the password.
    pub(crate) fn expose(&self) -> &str {
        &self.url
    }

    /// The host, to tell loopback from the network.
    fn host(&self) -> Option<String> {
        url::Url::parse(&self.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
    }

    /// The URL's `sslmode`. Only `disable` is supported, and only to a
    /// loopback host: the collector does not speak TLS to PostgreSQL yet,
    /// and a password or reports must not cross a network in the clear.
    pub(crate) fn tls_mode(&self) -> Result<(), CollectorError> {
        let parsed = url::Url::parse(&self.url)
            .map_err(|e| CollectorError::Config(format!("the PostgreSQL URL: {e}")))?;
        let mode = parsed
            .query_pairs()
            .find(|(k, _)| k == "sslmode")
            .map(|(_, v)| v.into_owned());
        let loopback = self.host().is_some_and(|h| {
            let h = h.trim_start_matches('[').trim_end_matches(']');
            h == "localhost"
                || h.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
        match mode.as_deref() {
            Some("disable") | None if loopback => Ok(()),
            Some("disable") | None => Err(CollectorError::Config(format!(
                "PostgreSQL at {} is not on loopback: this collector speaks to PostgreSQL without TLS, so it only connects to 127.0.0.1, ::1 or localhost (run it beside the database, or tunnel)",
                self.redacted
            ))),
            Some(other) => Err(CollectorError::Config(format!(
                "sslmode={other} is not supported: this collector speaks to PostgreSQL without TLS (sslmode=disable, loopback hosts only)"
            ))),
        }
    }
}

impl std::fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PostgresUrl({})", self.redacted)
    }
}

impl std::fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_ports_and_passwords_in_the_query_are_refused_without_echoing_them() {
        for query in [
            "hostaddr=203.0.113.5",
            "host=db.example.org",
            "port=5433",
            "password=hunter2hunter2",
            "passfile=/etc/pgpass",
        ] {
            let text = format!("postgres://u:secret@localhost/db?sslmode=disable&{query}");
            let err = PostgresUrl::parse(&text).unwrap_err().to_string();
            let key = query.split('=').next().unwrap();
            assert!(err.contains(key), "{err}");
            let value = query.split('=').nth(1).unwrap();
            assert!(!err.contains(value) && !err.contains("secret"), "{err}");
        }
        assert!(
            PostgresUrl::parse(
                "postgres://u:secret@127.0.0.1:5432/db?sslmode=disable&application_name=c1&connect_timeout=5"
            )
            .is_ok()
        );
    }

    #[test]
    fn bare_paths_and_sqlite_urls_are_sqlite() {
        for (text, path) in [
            ("collector.sqlite3", "collector.sqlite3"),
            ("/var/lib/c.db", "/var/lib/c.db"),
            ("sqlite:/var/lib/c.db", "/var/lib/c.db"),
            ("sqlite:///var/lib/c.db", "/var/lib/c.db"),
            ("sqlite:rel.db", "rel.db"),
        ] {
            assert_eq!(
                Database::parse(text).unwrap(),
                Database::Sqlite(PathBuf::from(path)),
                "{text}"
            );
        }
        assert!(Database::parse("sqlite:").is_err());
        assert!(Database::parse("").is_err());
        assert!(Database::parse("mysql://h/db").is_err());
    }

    #[test]
    fn the_password_never_shows() {
        let db = Database::parse("postgres://posture:s3cret-pw@127.0.0.1:5432/posture").unwrap();
        for shown in [format!("{db:?}"), db.to_string()] {
            assert!(!shown.contains("s3cret-pw"), "{shown}");
            assert!(shown.contains("posture:***@127.0.0.1"), "{shown}");
        }
        let Database::Postgres(url) = db else {
            panic!("not postgres")
        };
        assert!(url.expose().contains("s3cret-pw"));
        let err = Database::parse("postgres://u:s3cret-pw@db.example.net/p")
            .unwrap_err()
            .to_string();
        assert!(
            !err.contains("s3cret-pw") && err.contains("loopback"),
            "{err}"
        );
        let err = Database::parse("postgres://u:s3cret-pw@localhost/p?sslmode=require")
            .unwrap_err()
            .to_string();
        assert!(
            !err.contains("s3cret-pw") && err.contains("sslmode=require"),
            "{err}"
        );
        assert!(Database::parse("postgresql://u@[::1]:5/p?sslmode=disable").is_ok());
    }
}
