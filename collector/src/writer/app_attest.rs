//! The writer's App Attest rows: the key verified at enrolment, and the
//! counter each report's assertion must raise, checked and stored in the
//! report's transaction so two reports cannot both pass with one counter.

use rusqlite::{OptionalExtension, params};

use super::Writer;
use crate::attestation::app_attest::{AppAttestCheck, AppAttested};
use crate::problem::ApiError;

fn sql(e: rusqlite::Error) -> ApiError {
    ApiError::internal(format!("database: {e}"))
}

impl Writer {
    /// Stores the verified App Attest key in the enrolment's transaction.
    pub(super) fn store_app_attest(
        &self,
        device_id: &str,
        a: &AppAttested,
    ) -> Result<(), ApiError> {
        self.conn
            .prepare_cached(
                "INSERT INTO device_app_attest (device_id, key_id, public_key, counter,
                 environment, attested_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    device_id,
                    a.key_id.as_slice(),
                    a.public_key,
                    a.counter,
                    a.environment.as_str(),
                    a.attested_at.unix_timestamp(),
                ])
            })
            .map_err(sql)?;
        Ok(())
    }

    /// Verifies a report's assertion against the device's App Attest key
    /// and raises the stored counter. Without App Attest configured the
    /// claim cannot be checked and is ignored.
    pub(super) fn check_report_assertion(
        &self,
        device_id: &str,
        assertion: &str,
        eat_nonce: &str,
        jti: &str,
        now: i64,
    ) -> Result<(), ApiError> {
        let Some(verifier) = &self.settings.app_attest else {
            return Ok(());
        };
        let row = self
            .conn
            .prepare_cached(
                "SELECT public_key, counter FROM device_app_attest WHERE device_id = ?1",
            )
            .and_then(|mut s| {
                s.query_row(params![device_id], |r| {
                    Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, u32>(1)?))
                })
                .optional()
            })
            .map_err(sql)?;
        let Some((public_key, counter)) = row else {
            return Err(ApiError::new(
                agent_core::protocol::ProblemKind::KeyAttestationRejected,
                "the report carries an App Attest assertion, but the device enrolled without App Attest: re-enrol with App Attest or send reports without the app_attest claim",
            ));
        };
        let counter = AppAttestCheck::check_assertion(
            verifier,
            assertion,
            eat_nonce,
            jti,
            &public_key,
            counter,
        )?;
        self.conn
            .prepare_cached(
                "UPDATE device_app_attest SET counter = ?1, last_assertion_at = ?2
                 WHERE device_id = ?3",
            )
            .and_then(|mut s| s.execute(params![counter, now, device_id]))
            .map_err(sql)?;
        Ok(())
    }
}
