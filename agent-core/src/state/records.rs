//! The enrolment, the current policy, the last verdict and the last
//! check-in: single records, replaced whole.
//!
//! Policy and verdict are kept as JSON text so this layer never has to
//! change when those types grow fields.

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::error::{DbError, StateError};
use super::stamp::{from_db, from_db_opt, to_db};
use super::{Cached, State};

/// What the backend said when this device enrolled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// The backend's base URL.
    pub server_url: String,
    /// The random id the backend gave this device.
    pub device_id: String,
    /// The id of the device key the backend registered.
    pub kid: String,
    /// When the enrolment happened.
    pub enrolled_at: OffsetDateTime,
    /// How often the backend wants a check-in, in seconds.
    pub checkin_interval_secs: u32,
    /// The nonce the backend handed back for the next report, if any.
    pub next_nonce: Option<String>,
    /// When that nonce stops making a report current.
    pub next_nonce_expires_at: Option<OffsetDateTime>,
}

/// A JSON document and when it was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredJson {
    /// The JSON text, exactly as stored.
    pub json: String,
    /// When it was stored (or, for a verdict, when it was reached).
    pub at: OffsetDateTime,
}

impl State {
    /// The enrolment, or None before the device enrolled.
    pub fn enrolment(&self) -> Result<Option<Enrolment>, StateError> {
        self.read(|conn| {
            let row = conn
                .row(
                    "SELECT server_url, device_id, kid, enrolled_at, checkin_interval_secs,
                            next_nonce, next_nonce_expires_at
                     FROM enrolment WHERE id = 1",
                    [],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, i64>(3)?,
                            r.get::<_, i64>(4)?,
                            r.get::<_, Option<String>>(5)?,
                            r.get::<_, Option<i64>>(6)?,
                        ))
                    },
                )
                .optional()?;
            let Some((server_url, device_id, kid, enrolled_at, interval, next_nonce, nonce_exp)) =
                row
            else {
                return Ok(None);
            };
            let checkin_interval_secs = u32::try_from(interval).map_err(|_| {
                DbError::Damaged(format!("check-in interval {interval} is invalid"))
            })?;
            Ok(Some(Enrolment {
                server_url,
                device_id,
                kid,
                enrolled_at: from_db(enrolled_at)?,
                checkin_interval_secs,
                next_nonce,
                next_nonce_expires_at: from_db_opt(nonce_exp)?,
            }))
        })
    }

    /// Stores the enrolment, replacing any earlier one.
    pub fn set_enrolment(&mut self, enrolment: &Enrolment) -> Result<(), StateError> {
        let enrolled_at = to_db(enrolment.enrolled_at)?;
        let nonce_exp = enrolment.next_nonce_expires_at.map(to_db).transpose()?;
        self.write(|tx| {
            tx.exec(
                "INSERT OR REPLACE INTO enrolment
                    (id, server_url, device_id, kid, enrolled_at, checkin_interval_secs,
                     next_nonce, next_nonce_expires_at)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    enrolment.server_url,
                    enrolment.device_id,
                    enrolment.kid,
                    enrolled_at,
                    enrolment.checkin_interval_secs,
                    enrolment.next_nonce,
                    nonce_exp,
                ],
            )?;
            Ok(())
        })
    }

    /// Replaces the nonce for the next report and its expiry (None once it
    /// has been used).
    pub fn set_next_nonce(
        &mut self,
        nonce: Option<&str>,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<(), StateError> {
        let exp = expires_at.map(to_db).transpose()?;
        self.write(|tx| {
            let changed = tx.exec(
                "UPDATE enrolment SET next_nonce = ?1, next_nonce_expires_at = ?2 WHERE id = 1",
                params![nonce, exp],
            )?;
            if changed == 0 {
                return Err(StateError::NotEnrolled.into());
            }
            Ok(())
        })
    }

    /// Whether the collector's last answer asked for a fresh key
    /// attestation in the next report (protocol §5.3.3).
    pub fn key_attestation_requested(&self) -> Result<bool, StateError> {
        self.read(|conn| {
            let asked: Option<bool> = conn
                .row(
                    "SELECT key_attestation_requested FROM enrolment WHERE id = 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(asked.unwrap_or(false))
        })
    }

    /// Records whether the collector asks for a fresh key attestation.
    pub fn set_key_attestation_requested(&mut self, asked: bool) -> Result<(), StateError> {
        self.write(|tx| {
            let changed = tx.exec(
                "UPDATE enrolment SET key_attestation_requested = ?1 WHERE id = 1",
                [asked],
            )?;
            if changed == 0 {
                return Err(StateError::NotEnrolled.into());
            }
            Ok(())
        })
    }

    /// The current policy as JSON and when it was stored, or None before the first.
    pub fn policy_json(&self) -> Result<Option<StoredJson>, StateError> {
        self.stored_json("policy_json", "policy_updated_at")
    }

    /// Stores the current policy's JSON, stamped with the time now.
    pub fn set_policy_json(&mut self, json: &str) -> Result<(), StateError> {
        check_json("policy", json)?;
        let now = to_db(OffsetDateTime::now_utc())?;
        self.write(|tx| {
            tx.exec(
                "UPDATE agent SET policy_json = ?1, policy_updated_at = ?2 WHERE id = 1",
                params![json, now],
            )?;
            Ok(())
        })
    }

    /// The last verdict as JSON and when it was reached, or None before the first.
    pub fn last_verdict(&self) -> Result<Option<StoredJson>, StateError> {
        self.stored_json("verdict_json", "verdict_at")
    }

    /// Stores the last verdict's JSON and when it was reached.
    pub fn set_last_verdict(&mut self, json: &str, at: OffsetDateTime) -> Result<(), StateError> {
        check_json("verdict", json)?;
        let at = to_db(at)?;
        self.write(|tx| {
            tx.exec(
                "UPDATE agent SET verdict_json = ?1, verdict_at = ?2 WHERE id = 1",
                params![json, at],
            )?;
            Ok(())
        })
    }

    /// When the last check-in succeeded, or None if none has.
    pub fn last_checkin(&self) -> Result<Option<OffsetDateTime>, StateError> {
        self.read(|conn| {
            let nanos: Option<i64> =
                conn.row("SELECT last_checkin_at FROM agent WHERE id = 1", [], |r| {
                    r.get(0)
                })?;
            from_db_opt(nanos)
        })
    }

    /// Records a successful check-in.
    pub fn set_last_checkin(&mut self, at: OffsetDateTime) -> Result<(), StateError> {
        let at = to_db(at)?;
        self.write(|tx| {
            tx.exec("UPDATE agent SET last_checkin_at = ?1 WHERE id = 1", [at])?;
            Ok(())
        })
    }

    /// The device key's name in its secret store, once one was made.
    pub fn key_name(&self) -> Result<Option<String>, StateError> {
        self.read(|conn| Ok(conn.row("SELECT key_name FROM agent WHERE id = 1", [], |r| r.get(0))?))
    }

    /// Records the device key's name (None when the key is deleted).
    pub fn set_key_name(&mut self, name: Option<&str>) -> Result<(), StateError> {
        self.write(|tx| {
            tx.exec("UPDATE agent SET key_name = ?1 WHERE id = 1", [name])?;
            Ok(())
        })
    }

    /// Until when the collector asked (by Retry-After) not to be sent
    /// anything, or None.
    pub fn server_wait_until(&self) -> Result<Option<OffsetDateTime>, StateError> {
        self.read(|conn| {
            let nanos: Option<i64> = conn.row(
                "SELECT server_wait_until FROM agent WHERE id = 1",
                [],
                |r| r.get(0),
            )?;
            from_db_opt(nanos)
        })
    }

    /// Records the collector's Retry-After as an absolute time (None clears it).
    pub fn set_server_wait_until(&mut self, at: Option<OffsetDateTime>) -> Result<(), StateError> {
        let at = at.map(to_db).transpose()?;
        self.write(|tx| {
            tx.exec("UPDATE agent SET server_wait_until = ?1 WHERE id = 1", [at])?;
            Ok(())
        })
    }

    /// Answers from the collector that broke the protocol, ever.
    pub fn protocol_errors_total(&self) -> Result<u64, StateError> {
        self.read(|conn| {
            let n: i64 = conn.row(
                "SELECT protocol_errors_total FROM agent WHERE id = 1",
                [],
                |r| r.get(0),
            )?;
            u64::try_from(n)
                .map_err(|_| DbError::Damaged("protocol_errors_total is negative".into()))
        })
    }

    /// Counts one answer that broke the protocol.
    pub fn count_protocol_error(&mut self) -> Result<(), StateError> {
        self.write(|tx| {
            tx.exec(
                "UPDATE agent SET protocol_errors_total = protocol_errors_total + 1 WHERE id = 1",
                [],
            )?;
            Ok(())
        })
    }

    /// The collector's latest attestation result for this device (a JWT,
    /// stored as received; the caller checks it before storing), or None.
    pub fn attestation_result(&self) -> Result<Option<String>, StateError> {
        self.read(|conn| {
            Ok(conn.row(
                "SELECT attestation_result FROM agent WHERE id = 1",
                [],
                |r| r.get(0),
            )?)
        })
    }

    /// Replaces the attestation result (None forgets it).
    pub fn set_attestation_result(&mut self, token: Option<&str>) -> Result<(), StateError> {
        self.write(|tx| {
            tx.exec(
                "UPDATE agent SET attestation_result = ?1 WHERE id = 1",
                [token],
            )?;
            Ok(())
        })
    }

    // Column names come from the two callers above, never from input.
    fn stored_json(&self, json_col: &str, at_col: &str) -> Result<Option<StoredJson>, StateError> {
        let sql = format!("SELECT {json_col}, {at_col} FROM agent WHERE id = 1");
        self.read(|conn| {
            let (json, at): (Option<String>, Option<i64>) =
                conn.row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?)))?;
            match (json, at) {
                (Some(json), Some(at)) => Ok(Some(StoredJson {
                    json,
                    at: from_db(at)?,
                })),
                (None, None) => Ok(None),
                _ => Err(DbError::Damaged(format!(
                    "{json_col} and {at_col} disagree"
                ))),
            }
        })
    }
}

/// Refuses text that is not JSON, so a reader never finds garbage later.
fn check_json(what: &'static str, json: &str) -> Result<(), StateError> {
    crate::json::from_str::<serde::de::IgnoredAny>(json)
        .map(|_| ())
        .map_err(|e| StateError::Invalid {
            what,
            detail: format!("not JSON: {e}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn enrolment() -> Enrolment {
        Enrolment {
            server_url: "https://posture.example.nhs.uk".into(),
            device_id: "dev-7f3a".into(),
            kid: "kid-1".into(),
            enrolled_at: datetime!(2026-11-01 09:30:00.5 UTC),
            checkin_interval_secs: 3600,
            next_nonce: Some("n-1".into()),
            next_nonce_expires_at: None,
        }
    }

    #[test]
    fn enrolment_round_trips_and_persists() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::open(dir.path()).unwrap();
        assert_eq!(state.enrolment().unwrap(), None);
        state.set_enrolment(&enrolment()).unwrap();
        assert_eq!(state.enrolment().unwrap(), Some(enrolment()));
        state.set_next_nonce(None, None).unwrap();
        drop(state);

        let state = State::open(dir.path()).unwrap();
        let got = state.enrolment().unwrap().unwrap();
        assert_eq!(got.next_nonce, None);
        assert_eq!(got.device_id, "dev-7f3a");
    }

    #[test]
    fn next_nonce_needs_an_enrolment() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::open(dir.path()).unwrap();
        let err = state.set_next_nonce(Some("n"), None).unwrap_err();
        assert!(matches!(err, StateError::NotEnrolled), "{err}");
    }

    #[test]
    fn policy_and_verdict_round_trip_as_text() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::open(dir.path()).unwrap();
        assert_eq!(state.policy_json().unwrap(), None);
        assert_eq!(state.last_verdict().unwrap(), None);

        let before = OffsetDateTime::now_utc();
        state
            .set_policy_json(r#"{"name":"nhs","rules":[]}"#)
            .unwrap();
        let policy = state.policy_json().unwrap().unwrap();
        assert_eq!(policy.json, r#"{"name":"nhs","rules":[]}"#);
        assert!(policy.at >= before);

        let at = datetime!(2026-11-02 10:00 UTC);
        state.set_last_verdict(r#"{"overall":"pass"}"#, at).unwrap();
        drop(state);
        let state = State::open(dir.path()).unwrap();
        let verdict = state.last_verdict().unwrap().unwrap();
        assert_eq!(
            verdict,
            StoredJson {
                json: r#"{"overall":"pass"}"#.into(),
                at
            }
        );
    }

    #[test]
    fn non_json_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::open(dir.path()).unwrap();
        let err = state.set_policy_json("{not json").unwrap_err();
        assert!(
            matches!(err, StateError::Invalid { what: "policy", .. }),
            "{err}"
        );
    }

    #[test]
    fn the_attestation_result_round_trips_and_goes_on_reset() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::open(dir.path()).unwrap();
        assert_eq!(state.attestation_result().unwrap(), None);
        state.set_attestation_result(Some("h.p.s")).unwrap();
        drop(state);
        let mut state = State::open(dir.path()).unwrap();
        assert_eq!(
            state.attestation_result().unwrap().as_deref(),
            Some("h.p.s")
        );
        state.reset().unwrap();
        assert_eq!(state.attestation_result().unwrap(), None);
    }

    #[test]
    fn last_checkin_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::open(dir.path()).unwrap();
        assert_eq!(state.last_checkin().unwrap(), None);
        let at = datetime!(2026-11-03 08:15:00.000000001 UTC);
        state.set_last_checkin(at).unwrap();
        assert_eq!(state.last_checkin().unwrap(), Some(at));
    }
}
