//! What each command does inside the writer's transaction. SQL first, then
//! the in-memory state, so a failed statement leaves memory untouched.

use agent_core::protocol::{
    ChallengeResponse, DeviceId, EnrolResponse, Freshness, IssuedCode, Nonce, ProblemKind,
    ReportAck, UnenrolResponse,
};
use agent_core::token::random_id;
use rusqlite::{OptionalExtension, params};

use super::{
    Answer, DevState, Effect, EnrolCmd, EnrolOutcome, IssueCmd, ReportCmd, ReportOutcome,
    RequestCmd, Writer,
};
use crate::attestation::Attested;
use crate::attestation::pin::PinStatus;
use crate::codes;
use crate::keys::KeyEntry;
use crate::problem::ApiError;
use crate::store::{at, name_of};

pub(super) fn sql(e: rusqlite::Error) -> ApiError {
    ApiError::internal(format!("database: {e}"))
}

fn json(e: serde_json::Error) -> ApiError {
    ApiError::internal(format!("serialise: {e}"))
}

fn new_nonce() -> Result<Nonce, ApiError> {
    Nonce::random().map_err(ApiError::internal)
}

fn invalid_code() -> ApiError {
    ApiError::new(
        ProblemKind::InvalidEnrolmentCode,
        "the enrolment code is unknown, used or expired",
    )
}

fn gone() -> ApiError {
    ApiError::new(ProblemKind::UnknownDevice, "the device is not enrolled")
}

/// The stored row of an enrolment code.
struct CodeRow {
    expires_at: i64,
    failed_attempts: i64,
    kid: Option<String>,
    device_id: Option<String>,
}

impl Writer {
    pub(super) fn enrol(&mut self, c: EnrolCmd) -> Answer<EnrolOutcome> {
        let now = c.now.unix_timestamp();
        let row = self
            .conn
            .prepare_cached(
                "SELECT expires_at, failed_attempts, kid, device_id FROM codes WHERE hash = ?1",
            )
            .and_then(|mut s| {
                s.query_row(params![c.code_hash], |r| {
                    Ok(CodeRow {
                        expires_at: r.get(0)?,
                        failed_attempts: r.get(1)?,
                        kid: r.get(2)?,
                        device_id: r.get(3)?,
                    })
                })
                .optional()
            })
            .map_err(sql)?;
        let Some(row) = row else {
            return Err(invalid_code());
        };
        // A void code (too many failures) answers like any used code.
        if row.failed_attempts >= self.settings.failures_per_code || now >= row.expires_at {
            return Err(invalid_code());
        }
        let kid = c.key.kid().to_owned();
        if let Some(used_by) = &row.kid {
            // A lost response: the same code and key again get the same device.
            if *used_by == kid
                && let Some(device_id) = row.device_id
                && self.devices.contains_key(&device_id)
            {
                let (nonce, expires) = self.usable_nonce(&device_id, now)?;
                let id = DeviceId::new(device_id).map_err(ApiError::internal)?;
                return Ok(EnrolOutcome::Repeated(
                    self.enrol_response(id, nonce, expires),
                ));
            }
            self.code_failed(&c.code_hash)?;
            return Err(invalid_code());
        }
        if self.kids.contains_key(&kid) {
            self.code_failed(&c.code_hash)?;
            return Err(ApiError::new(
                ProblemKind::AlreadyEnrolled,
                "this key is already enrolled as another device",
            ));
        }
        let device_id = format!("dev_{}", random_id(16).map_err(ApiError::internal)?);
        let id = DeviceId::new(device_id.as_str()).map_err(ApiError::internal)?;
        let nonce = new_nonce()?;
        let expires = now + self.settings.nonce_lifetime_secs;
        let platform = crate::store::name_of(&c.platform);
        self.conn
            .prepare_cached(
                "INSERT INTO devices (device_id, kid, jwk, platform, agent_version, enrolled_at,
                 nonce, nonce_expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    device_id,
                    kid,
                    c.jwk_json,
                    platform,
                    c.agent_version,
                    now,
                    nonce.as_str(),
                    expires
                ])
            })
            .map_err(sql)?;
        if let Some(a) = &c.attested {
            self.store_attestation(&device_id, a, a.summary.attested_at.unix_timestamp())?;
            tracing::info!(
                "device {device_id}: key attestation verified ({}, security level {})",
                name_of(&a.provenance),
                name_of(&a.summary.security_level)
            );
        }
        if let Some(a) = &c.app_attested {
            self.store_app_attest(&device_id, a)?;
            tracing::info!(
                "device {device_id}: App Attest verified ({})",
                a.environment.as_str()
            );
        }
        self.conn
            .prepare_cached(
                "UPDATE codes SET used_at = ?1, device_id = ?2, kid = ?3 WHERE hash = ?4",
            )
            .and_then(|mut s| s.execute(params![now, device_id, kid, c.code_hash]))
            .map_err(sql)?;
        self.kids.insert(kid.clone(), device_id.clone());
        self.devices.insert(
            device_id.clone(),
            DevState {
                kid,
                nonce: nonce.as_str().to_owned(),
                nonce_expires_at: expires,
                pin: c.attested.as_ref().map(|_| PinStatus {
                    pinned_at: now,
                    broken: false,
                    wants_fresh_facts: false,
                }),
            },
        );
        self.effects.push(Effect::AddKey(KeyEntry {
            key: c.key,
            device_id: id.clone(),
            attested: c.attested.map(std::sync::Arc::new),
            pin_broken: false,
        }));
        self.events.enrolled(&device_id, c.platform, now);
        Ok(EnrolOutcome::Created(
            self.enrol_response(id, nonce, expires),
        ))
    }

    /// Stores what a verified key attestation vouched for as the device's
    /// pin, attested at `attested_at`: at enrolment, in its transaction,
    /// and when a fresh chain moves the pin up (protocol 5.3.3). What the
    /// latest report said (`reported_*`) is kept.
    pub(super) fn store_attestation(
        &self,
        device_id: &str,
        a: &Attested,
        attested_at: i64,
    ) -> Result<(), ApiError> {
        let s = &a.summary;
        self.conn
            .prepare_cached(
                "INSERT INTO device_attestations (device_id, provenance, security_level,
                 attestation_version, verified_boot_state, device_locked, os_version,
                 os_patch_level, vendor_patch_level, boot_patch_level,
                 verified_boot_key_sha256, attested_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (device_id) DO UPDATE SET provenance = excluded.provenance,
                 security_level = excluded.security_level,
                 attestation_version = excluded.attestation_version,
                 verified_boot_state = excluded.verified_boot_state,
                 device_locked = excluded.device_locked, os_version = excluded.os_version,
                 os_patch_level = excluded.os_patch_level,
                 vendor_patch_level = excluded.vendor_patch_level,
                 boot_patch_level = excluded.boot_patch_level,
                 verified_boot_key_sha256 = excluded.verified_boot_key_sha256,
                 attested_at = excluded.attested_at",
            )
            .and_then(|mut st| {
                st.execute(params![
                    device_id,
                    name_of(&a.provenance),
                    name_of(&s.security_level),
                    s.attestation_version,
                    s.verified_boot_state.as_ref().map(name_of),
                    s.device_locked,
                    s.os_version,
                    s.os_patch_level,
                    s.vendor_patch_level,
                    s.boot_patch_level,
                    s.verified_boot_key_sha256,
                    attested_at,
                ])
            })
            .map(drop)
            .map_err(sql)
    }

    fn enrol_response(
        &self,
        device_id: DeviceId,
        nonce: Nonce,
        expires: i64,
    ) -> Box<EnrolResponse> {
        Box::new(EnrolResponse {
            device_id,
            policy: self.settings.policy.clone(),
            checkin_interval_secs: u64::try_from(self.settings.checkin_interval_secs).unwrap_or(0),
            nonce,
            nonce_expires_at: at(expires),
        })
    }

    fn code_failed(&self, hash: &[u8]) -> Result<(), ApiError> {
        self.conn
            .prepare_cached(
                "UPDATE codes SET failed_attempts = failed_attempts + 1 WHERE hash = ?1",
            )
            .and_then(|mut s| s.execute(params![hash]))
            .map(drop)
            .map_err(sql)
    }

    /// The device's latest nonce if unexpired, else a new one (stored).
    fn usable_nonce(&mut self, device_id: &str, now: i64) -> Result<(Nonce, i64), ApiError> {
        let dev = self.devices.get(device_id).ok_or_else(gone)?;
        if now <= dev.nonce_expires_at
            && let Ok(nonce) = Nonce::new(dev.nonce.clone())
        {
            return Ok((nonce, dev.nonce_expires_at));
        }
        self.replace_nonce(device_id, now)
    }

    /// Issues a new latest nonce for a device (stored, then remembered).
    fn replace_nonce(&mut self, device_id: &str, now: i64) -> Result<(Nonce, i64), ApiError> {
        let nonce = new_nonce()?;
        let expires = now + self.settings.nonce_lifetime_secs;
        self.conn
            .prepare_cached(
                "UPDATE devices SET nonce = ?1, nonce_expires_at = ?2 WHERE device_id = ?3",
            )
            .and_then(|mut s| s.execute(params![nonce.as_str(), expires, device_id]))
            .map_err(sql)?;
        if let Some(dev) = self.devices.get_mut(device_id) {
            dev.nonce = nonce.as_str().to_owned();
            dev.nonce_expires_at = expires;
        }
        Ok((nonce, expires))
    }

    pub(super) fn report(&mut self, c: ReportCmd) -> Answer<ReportOutcome> {
        let known = self
            .conn
            .prepare_cached("SELECT token_sha256, ack FROM reports WHERE jti = ?1")
            .and_then(|mut s| {
                s.query_row(params![c.jti.as_str()], |r| {
                    Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
                })
                .optional()
            })
            .map_err(sql)?;
        if let Some((hash, ack)) = known {
            return if hash == c.token_sha256 {
                Ok(ReportOutcome::Resent(ack))
            } else {
                Err(ApiError::new(
                    ProblemKind::ReplayedToken,
                    format!("jti {} was already accepted with different content", c.jti),
                ))
            };
        }
        let now = c.now.unix_timestamp();
        let device_id = c.device_id.as_str();
        if !self.devices.contains_key(device_id) {
            return Err(gone());
        }
        // Before anything is written: a refused assertion stores nothing.
        if let Some(assertion) = &c.app_attest {
            self.check_report_assertion(device_id, assertion, &c.eat_nonce, c.jti.as_str(), now)?;
        }
        let dev = self.devices.get(device_id).ok_or_else(gone)?;
        // protocol.md §6: the latest nonce, unexpired, in an unexpired token.
        let current = c.eat_nonce == dev.nonce && now <= dev.nonce_expires_at && now <= c.exp;
        // protocol §5.3.3: only a current report's fresh chain is held against
        // the pin (an older one may predate the pin's latest rise).
        if current && let Some(fresh) = &c.fresh {
            self.reattested(device_id, c.jti.as_str(), fresh, now)?;
        }
        self.note_verdict(device_id, &c.assessment, current);
        // docs/policy.md §8.4: only current reports move the history.
        if current {
            let before = self.failures.get(device_id);
            let after =
                crate::failures::record(&self.conn, device_id, &before, &c.verdict, at(c.iat))
                    .map_err(sql)?;
            if after != before {
                self.effects
                    .push(Effect::SetFailures(device_id.to_owned(), after));
            }
        }
        let freshness = if current {
            Freshness::Current
        } else {
            Freshness::Historical
        };
        let (nonce, nonce_expires) = if current {
            self.replace_nonce(device_id, now)?
        } else {
            self.usable_nonce(device_id, now)?
        };
        let compliance = c.verdict.compliance;
        let ack = ReportAck {
            jti: c.jti.clone(),
            accepted_at: c.now,
            verdict: c.verdict,
            freshness,
            policy: c.send_policy.then(|| self.settings.policy.clone()),
            nonce,
            nonce_expires_at: at(nonce_expires),
            next_checkin_at: at(now + self.settings.checkin_interval_secs),
            // A result vouches for the device now: only for current reports.
            attestation_result: current.then(|| c.attestation_result.clone()),
            key_attestation_requested: self.wants_key_attestation(device_id, now),
        };
        let ack_json = serde_json::to_string(&ack).map_err(json)?;
        let verdict_json = serde_json::to_string(&ack.verdict).map_err(json)?;
        let freshness_name = if current { "current" } else { "historical" };
        let compliance_name = crate::store::name_of(&compliance);
        let before = current
            .then(|| self.events.before(&self.conn, device_id))
            .flatten();
        self.conn
            .prepare_cached(
                "INSERT INTO reports (jti, token_sha256, device_id, iat, accepted_at, freshness,
                 compliance, verdict, ack, token) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    c.jti.as_str(),
                    c.token_sha256,
                    device_id,
                    c.iat,
                    now,
                    freshness_name,
                    compliance_name,
                    verdict_json,
                    ack_json,
                    c.token
                ])
            })
            .map_err(sql)?;
        let updated = if current {
            self.conn
                .prepare_cached(
                    "UPDATE devices SET last_report_at = ?1, last_current_at = ?1,
                     last_compliance = ?2 WHERE device_id = ?3",
                )
                .and_then(|mut s| s.execute(params![now, compliance_name, device_id]))
        } else {
            self.conn
                .prepare_cached("UPDATE devices SET last_report_at = ?1 WHERE device_id = ?2")
                .and_then(|mut s| s.execute(params![now, device_id]))
        };
        updated.map_err(sql)?;
        let assessment_json = serde_json::to_string(&c.assessment).map_err(json)?;
        self.conn
            .prepare_cached(
                "INSERT INTO report_assessments (jti, assurance, assessment, attestation_result)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    c.jti.as_str(),
                    c.assessment.assurance.name(),
                    assessment_json,
                    ack.attestation_result
                ])
            })
            .map_err(sql)?;
        if current {
            self.conn
                .prepare_cached(
                    "INSERT INTO device_assessments (device_id, jti, assessment, attestation_result)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (device_id) DO UPDATE SET jti = excluded.jti,
                     assessment = excluded.assessment,
                     attestation_result = excluded.attestation_result",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        device_id,
                        c.jti.as_str(),
                        assessment_json,
                        ack.attestation_result
                    ])
                })
                .map_err(sql)?;
        }
        if current {
            // No row (no verified attestation): nothing to compare with.
            self.conn
                .prepare_cached(
                    "UPDATE device_attestations SET reported_os_patch_level = ?1,
                     reported_at = ?2 WHERE device_id = ?3",
                )
                .and_then(|mut s| s.execute(params![c.reported_os_patch_level, c.iat, device_id]))
                .map_err(sql)?;
        }
        let report = crate::events::CurrentReport {
            device_id,
            jti: c.jti.as_str(),
            verdict: &ack.verdict,
            assurance: c.assessment.assurance,
            posture: &c.posture,
        };
        self.events.current_report(before, report, now);
        Ok(ReportOutcome::New(ack_json))
    }

    /// Records a request token's `jti`; a second use is `replayed-token`.
    fn use_request_jti(&self, c: &RequestCmd) -> Result<(), ApiError> {
        let inserted = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO request_jtis (jti, exp) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![c.jti.as_str(), c.exp]))
            .map_err(sql)?;
        if inserted == 0 {
            return Err(ApiError::new(
                ProblemKind::ReplayedToken,
                format!("request token {} was already used", c.jti),
            ));
        }
        Ok(())
    }

    pub(super) fn challenge(&mut self, c: RequestCmd) -> Answer<ChallengeResponse> {
        if !self.devices.contains_key(c.device_id.as_str()) {
            return Err(gone());
        }
        self.use_request_jti(&c)?;
        let now = c.now.unix_timestamp();
        let (nonce, expires) = self.replace_nonce(c.device_id.as_str(), now)?;
        Ok(ChallengeResponse {
            nonce,
            nonce_expires_at: at(expires),
            key_attestation_requested: self.wants_key_attestation(c.device_id.as_str(), now),
        })
    }

    pub(super) fn unenrol(&mut self, c: RequestCmd) -> Answer<UnenrolResponse> {
        let now = c.now.unix_timestamp();
        let dev = self.devices.get(c.device_id.as_str()).ok_or_else(gone)?;
        let latest = c.eat_nonce.as_ref().map(Nonce::as_str) == Some(dev.nonce.as_str())
            && now <= dev.nonce_expires_at;
        let kid = dev.kid.clone();
        self.use_request_jti(&c)?;
        if !latest {
            return Err(ApiError::new(
                ProblemKind::InvalidNonce,
                "unenrol needs the device's latest unexpired nonce in eat_nonce",
            ));
        }
        self.conn
            .prepare_cached("UPDATE devices SET unenrolled_at = ?1 WHERE device_id = ?2")
            .and_then(|mut s| s.execute(params![now, c.device_id.as_str()]))
            .map_err(sql)?;
        self.events
            .unenrolled(&self.conn, c.device_id.as_str(), now);
        self.devices.remove(c.device_id.as_str());
        self.kids.remove(&kid);
        self.effects.push(Effect::RemoveKey(kid));
        Ok(UnenrolResponse {
            device_id: c.device_id,
            unenrolled_at: c.now,
        })
    }

    pub(super) fn issue_codes(&mut self, c: IssueCmd) -> Answer<Vec<IssuedCode>> {
        let now = c.now.unix_timestamp();
        let expires = now + i64::try_from(c.ttl_secs).unwrap_or(i64::MAX / 2);
        let mut issued = Vec::with_capacity(c.count as usize);
        for _ in 0..c.count {
            let code = codes::new_code().map_err(ApiError::internal)?;
            self.conn
                .prepare_cached(
                    "INSERT INTO codes (hash, created_at, expires_at, label) VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut s| {
                    s.execute(params![codes::code_hash(code.expose()), now, expires, c.label])
                })
                .map_err(sql)?;
            issued.push(IssuedCode {
                code,
                expires_at: at(expires),
            });
        }
        Ok(issued)
    }
}
