//! The relying-party API's own reads on SQLite: a device's key thumbprint
//! and back. One query per function; PostgreSQL's are the same SQL
//! (`crate::storage`).

use rusqlite::{Connection, OptionalExtension, params};

/// The `kid` (RFC 7638 thumbprint) of an enrolled device.
pub(crate) fn kid_of_device(
    conn: &Connection,
    device_id: &str,
) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT kid FROM devices WHERE device_id = ?1 AND unenrolled_at IS NULL",
        params![device_id],
        |r| r.get(0),
    )
    .optional()
}

/// The enrolled device whose key has this thumbprint (at most one: the
/// `devices_enrolled_kid` index is unique among enrolled devices).
pub(crate) fn device_of_kid(conn: &Connection, kid: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT device_id FROM devices WHERE kid = ?1 AND unenrolled_at IS NULL",
        params![kid],
        |r| r.get(0),
    )
    .optional()
}
