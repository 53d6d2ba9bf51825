//! Times as stored: integer nanoseconds since the Unix epoch, UTC.
//!
//! Integers sort and compare in SQL (`next_attempt_at <= ?`) without parsing,
//! and nanoseconds make a stored time round-trip exactly.

use time::OffsetDateTime;

use super::error::{DbError, StateError};

/// A time as the database stores it.
pub(crate) fn to_db(t: OffsetDateTime) -> Result<i64, StateError> {
    i64::try_from(t.unix_timestamp_nanos()).map_err(|_| StateError::TimeOutOfRange(t))
}

/// A stored time; a value this agent cannot have written means a damaged row.
pub(crate) fn from_db(nanos: i64) -> Result<OffsetDateTime, DbError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
        .map_err(|e| DbError::Damaged(format!("stored time {nanos} is invalid: {e}")))
}

/// A stored optional time.
pub(crate) fn from_db_opt(nanos: Option<i64>) -> Result<Option<OffsetDateTime>, DbError> {
    nanos.map(from_db).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn round_trips_with_nanoseconds_and_offsets() {
        let t = datetime!(2026-11-23 03:05:53.123456789 +01:00);
        let back = from_db(to_db(t).unwrap()).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn rejects_times_beyond_i64_nanoseconds() {
        let t = datetime!(2300-01-01 00:00 UTC);
        assert!(matches!(to_db(t), Err(StateError::TimeOutOfRange(_))));
    }
}
