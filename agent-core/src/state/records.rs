//! The enrolment, the current policy, the last verdict and the last
//! check-in: single records, replaced whole.
//!
//! Policy and verdicts are kept as JSON text so the schema never has to
//! change when those types grow fields, and parsed once (see `documents`).

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::documents::{StoredVerdicts, VerdictRecord};
use super::error::{DbError, StateError};
use super::stamp::{from_db, from_db_opt, to_db};
use super::{Cached, State};
use crate::policy::Policy;
use crate::posture::Posture;
use crate::protocol::{DeviceId, Nonce};

/// What the backend said when this device enrolled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// The backend's base URL.
    pub server_url: String,
    /// The random id the backend gave this device.
    pub device_id: DeviceId,
    /// The id of the device key the backend registered.
    pub kid: String,
    /// When the enrolment happened.
    pub enrolled_at: OffsetDateTime,
    /// How often the backend wants a check-in, in seconds.
    pub checkin_interval_secs: u32,
    /// The nonce the backend handed back for the next report, if any.
    pub next_nonce: Option<Nonce>,
    /// When that nonce stops making a report current.
    pub next_nonce_expires_at: Option<OffsetDateTime>,
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
            let device_id = DeviceId::new(device_id)
                .map_err(|e| DbError::Damaged(format!("the stored device id is invalid: {e}")))?;
            let next_nonce = next_nonce
                .map(Nonce::new)
                .transpose()
                .map_err(|e| DbError::Damaged(format!("the stored nonce is invalid: {e}")))?;
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
                    enrolment.device_id.as_str(),
                    enrolment.kid,
                    enrolled_at,
                    enrolment.checkin_interval_secs,
                    enrolment.next_nonce.as_ref().map(Nonce::as_str),
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
        nonce: Option<&Nonce>,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<(), StateError> {
        let exp = expires_at.map(to_db).transpose()?;
        let nonce = nonce.map(Nonce::as_str);
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

    /// The policy the collector sent, or None before the first. Parsed
    /// when the state was opened, not at each read.
    pub fn policy(&self) -> Result<Option<Policy>, StateError> {
        self.documents(|d| d.policy.clone())
    }

    /// Stores the policy in force, stamped with the time now.
    pub fn set_policy(&mut self, policy: &Policy) -> Result<(), StateError> {
        let json = policy.to_json();
        let now = to_db(OffsetDateTime::now_utc())?;
        self.write(|tx| {
            tx.exec(
                "UPDATE agent SET policy_json = ?1, policy_updated_at = ?2 WHERE id = 1",
                params![json, now],
            )?;
            Ok(())
        })?;
        self.written(|d| d.policy = Ok(Some(policy.clone())));
        Ok(())
    }

    /// The verdicts last seen (empty before the first check-in). Parsed
    /// when the state was opened, not at each read.
    pub fn verdicts(&self) -> Result<VerdictRecord, StateError> {
        self.documents(|d| {
            d.verdicts
                .as_ref()
                .map(|v| v.record.clone())
                .map_err(Clone::clone)
        })
    }

    /// The posture of the last report, which the device's own verdict was
    /// reached from (None before the first check-in).
    pub fn verdict_posture(&self) -> Result<Option<Posture>, StateError> {
        self.documents(|d| {
            d.verdicts
                .as_ref()
                .map(|v| v.posture.clone())
                .map_err(Clone::clone)
        })
    }

    /// Stores the verdicts and when the newest was reached, keeping the
    /// posture stored with them.
    pub fn set_verdicts(
        &mut self,
        verdicts: &VerdictRecord,
        at: OffsetDateTime,
    ) -> Result<(), StateError> {
        let posture = self.verdict_posture().ok().flatten();
        self.store_verdicts(verdicts, posture.as_ref(), at)
    }

    /// Stores the verdicts with the posture of the report the device's own
    /// verdict was reached from.
    pub fn set_verdicts_from(
        &mut self,
        verdicts: &VerdictRecord,
        posture: &Posture,
        at: OffsetDateTime,
    ) -> Result<(), StateError> {
        self.store_verdicts(verdicts, Some(posture), at)
    }

    fn store_verdicts(
        &mut self,
        verdicts: &VerdictRecord,
        posture: Option<&Posture>,
        at: OffsetDateTime,
    ) -> Result<(), StateError> {
        let stored = StoredVerdicts {
            record: verdicts.clone(),
            posture: posture.cloned(),
        };
        let json = serde_json::to_string(&stored).map_err(|e| StateError::Invalid {
            what: "verdicts",
            detail: format!("cannot be encoded: {e}"),
        })?;
        let at = to_db(at)?;
        self.write(|tx| {
            tx.exec(
                "UPDATE agent SET verdict_json = ?1, verdict_at = ?2 WHERE id = 1",
                params![json, at],
            )?;
            Ok(())
        })?;
        self.written(|d| d.verdicts = Ok(stored));
        Ok(())
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn enrolment() -> Enrolment {
        Enrolment {
            server_url: "https://posture.example.nhs.uk".into(),
            device_id: DeviceId::new("dev-7f3a").unwrap(),
            kid: "kid-1".into(),
            enrolled_at: datetime!(2026-11-01 09:30:00.5 UTC),
            checkin_interval_secs: 3600,
            next_nonce: Some(Nonce::new("nonce-n-1").unwrap()),
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
        let nonce = Nonce::new("nonce-n-1").unwrap();
        let err = state.set_next_nonce(Some(&nonce), None).unwrap_err();
        assert!(matches!(err, StateError::NotEnrolled), "{err}");
    }

    fn policy(name: &str) -> Policy {
        let mut p = Policy::default_policy();
        p.name = name.into();
        p
    }

    fn verdicts(at: OffsetDateTime) -> VerdictRecord {
        let posture = crate::posture::Posture::unknown(crate::Platform::Linux, "test", at);
        VerdictRecord {
            local: Some(crate::policy::evaluate(&posture, &policy("nhs"), at)),
            server: None,
        }
    }

    #[test]
    fn policy_and_verdicts_round_trip_and_are_parsed_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::open(dir.path()).unwrap();
        assert_eq!(state.policy().unwrap(), None);
        assert_eq!(state.verdicts().unwrap(), VerdictRecord::default());

        let before = to_db(OffsetDateTime::now_utc()).unwrap();
        state.set_policy(&policy("nhs")).unwrap();
        assert_eq!(state.policy().unwrap(), Some(policy("nhs")));
        let at = datetime!(2026-11-02 10:00 UTC);
        state.set_verdicts(&verdicts(at), at).unwrap();
        assert_eq!(state.verdicts().unwrap(), verdicts(at));
        assert_eq!(state.verdict_posture().unwrap(), None);
        // The posture stored with the verdicts stays when only the verdicts
        // change (the collector's answer arrives later).
        let posture = crate::posture::Posture::unknown(crate::Platform::Linux, "test", at);
        state
            .set_verdicts_from(&verdicts(at), &posture, at)
            .unwrap();
        state.set_verdicts(&verdicts(at), at).unwrap();
        assert_eq!(state.verdict_posture().unwrap(), Some(posture.clone()));
        drop(state);

        let state = State::open(dir.path()).unwrap();
        assert_eq!(state.documents.policy, Ok(Some(policy("nhs"))));
        assert_eq!(
            state.documents.verdicts,
            Ok(StoredVerdicts {
                record: verdicts(at),
                posture: Some(posture),
            })
        );
        assert_eq!(state.policy().unwrap(), Some(policy("nhs")));
        assert_eq!(state.verdicts().unwrap(), verdicts(at));
        let (policy_at, verdict_at): (i64, i64) = state
            .conn
            .query_row(
                "SELECT policy_updated_at, verdict_at FROM agent WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert!(policy_at >= before);
        assert_eq!(verdict_at, to_db(at).unwrap());
    }

    #[test]
    fn a_batch_that_fails_leaves_the_parsed_copies_as_stored() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::open(dir.path()).unwrap();
        state.set_policy(&policy("first")).unwrap();
        let failed = state.batch(|s| {
            s.set_policy(&policy("second"))?;
            assert_eq!(s.policy().unwrap(), Some(policy("second")));
            Err::<(), _>(StateError::NotEnrolled)
        });
        assert!(failed.is_err());
        assert_eq!(state.policy().unwrap(), Some(policy("first")));
        state.batch(|s| s.set_policy(&policy("third"))).unwrap();
        assert_eq!(state.policy().unwrap(), Some(policy("third")));
        drop(state);
        let state = State::open(dir.path()).unwrap();
        assert_eq!(state.policy().unwrap(), Some(policy("third")));
    }

    #[test]
    fn damaged_stored_documents_are_reported_and_the_state_still_opens() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::open(dir.path()).unwrap();
        state.set_policy(&policy("nhs")).unwrap();
        state
            .conn
            .execute(
                "UPDATE agent SET policy_json = '{not json' WHERE id = 1",
                [],
            )
            .unwrap();
        drop(state);
        let mut state = State::open(dir.path()).unwrap();
        let err = state.policy().unwrap_err();
        assert!(
            matches!(&err, StateError::Corrupt { detail, .. } if detail.starts_with("the stored policy is invalid")),
            "{err}"
        );
        assert_eq!(state.verdicts().unwrap(), VerdictRecord::default());
        state.reset().unwrap();
        assert_eq!(state.policy().unwrap(), None);
    }

    #[test]
    fn a_read_only_view_reads_what_the_writer_stored_since() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = State::open(dir.path()).unwrap();
        writer.set_policy(&policy("first")).unwrap();
        let view = State::open_read_only(dir.path()).unwrap();
        assert_eq!(view.policy().unwrap(), Some(policy("first")));
        writer.set_policy(&policy("second")).unwrap();
        let at = datetime!(2026-11-02 10:00 UTC);
        writer.set_verdicts(&verdicts(at), at).unwrap();
        assert_eq!(view.policy().unwrap(), Some(policy("second")));
        assert_eq!(view.verdicts().unwrap(), verdicts(at));
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
