//! Enrol, check in, preview, unenrol.

use serde::Serialize;
use time::OffsetDateTime;

use super::client::Client;
use super::deliver::FlushOutcome;
use super::{Agent, AgentError, Inner, Status, policy_in_force};
use crate::keys::DeviceSigner;
use crate::l10n::Locale;
use crate::policy::{Verdict, evaluate, evaluate_with_history, localise};
use crate::protocol::app_attest::{enrol_client_data_hash, report_client_data_hash};
use crate::protocol::{
    DeviceId, EnrolRequest, EnrolmentCode, RequestPurpose, report_attestation_challenge,
};
use crate::quiet_hours::NotifyDecision;
use crate::state::{Enrolment, QueuedReport};
use crate::token::{self, Claims, Nonce};
use crate::transport::check_url;

/// The fresh key attestation the collector asked for (protocol §5.3.3), or
/// none: a signer that cannot make one, or fails, never costs the report.
fn fresh_key_attestation(signer: &dyn DeviceSigner, nonce: &Nonce) -> Vec<String> {
    let kid = match signer.kid() {
        Ok(kid) => kid,
        Err(e) => {
            tracing::warn!(error = %e, "no fresh key attestation: the key id is unreadable; the report goes without one");
            return Vec::new();
        }
    };
    let challenge = report_attestation_challenge(nonce.as_str(), &kid);
    match signer.fresh_key_attestation(&challenge) {
        Ok(chain) if chain.is_empty() => {
            tracing::info!(
                "the collector asked for a fresh key attestation; this device cannot make one"
            );
            chain
        }
        Ok(chain) => chain,
        Err(e) => {
            tracing::warn!(error = %e, "the fresh key attestation failed; the report goes without one");
            Vec::new()
        }
    }
}

/// What a check-in did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckInOutcome {
    /// The device's own verdict, immediately.
    pub local_verdict: Verdict,
    /// The new report's id.
    pub jti: String,
    /// Whether its nonce was one the collector issued and still valid (so
    /// the report can count as current compliance).
    pub fresh_nonce: bool,
    /// What delivery did (this report and any queued before it).
    pub delivery: FlushOutcome,
    /// The status afterwards.
    pub status: Status,
    /// Whether the app may prompt the person about the verdict now (quiet
    /// hours): the check-in ran either way.
    pub notify: NotifyDecision,
}

/// What unenrolling did.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnenrolOutcome {
    /// Whether the collector was told (and removed the device).
    pub server_notified: bool,
    /// Why the collector was not told, when it was not.
    pub server_error: Option<String>,
}

/// The exact report payload that a check-in would sign and send now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportPreview {
    /// The claims.
    pub claims: Claims,
    /// The payload exactly as it would be signed (compact JSON).
    pub payload: String,
}

impl Agent {
    /// Enrols with the collector at `server_url` using a one-time `code`:
    /// makes the device key, sends its public half, stores the device id,
    /// policy and first nonce.
    pub fn enrol(&self, server_url: &str, code: &str) -> Result<Status, AgentError> {
        check_url(server_url)?;
        let code = code.trim();
        if code.is_empty() || code.len() > 256 {
            return Err(AgentError::InvalidInput(
                "the enrolment code is empty or too long; copy it again from your organisation"
                    .into(),
            ));
        }
        let mut inner = self.lock()?;
        if let Some(e) = inner.state.enrolment()? {
            return Err(AgentError::AlreadyEnrolled {
                server_url: e.server_url,
            });
        }
        let signer = self.signer(&mut inner.state)?;
        let jwk = signer.public_jwk()?;
        let code = EnrolmentCode::new(code);
        let app_attest = signer.app_attest(&enrol_client_data_hash(&code, &jwk))?;
        let request = EnrolRequest {
            code,
            jwk: jwk.clone(),
            key_attestation: signer.key_attestation()?,
            app_attest,
            platform: self.probe.collect().platform,
            agent_version: crate::AGENT_VERSION.to_owned(),
        };
        let client = Client::new(server_url, self.transport.clone());
        let response = client
            .enrol(&request)
            .map_err(|e| AgentError::collector("enrolment failed", e))?;
        let enrolment = Enrolment {
            server_url: client.base_url().to_owned(),
            device_id: response.device_id.clone(),
            kid: jwk.thumbprint(),
            enrolled_at: OffsetDateTime::now_utc(),
            checkin_interval_secs: u32::try_from(response.checkin_interval_secs)
                .unwrap_or(u32::MAX),
            next_nonce: Some(response.nonce.clone()),
            next_nonce_expires_at: Some(response.nonce_expires_at),
        };
        // Policy and enrolment land together or not at all.
        // A policy this agent cannot use is not stored: the default stays in
        // force until the collector sends one it can (protocol section 7).
        let policy = crate::policy::Policy::parse(
            &response.policy.to_json(),
            crate::policy::PolicyFormat::Json,
        )
        .inspect_err(|e| {
            tracing::warn!(error = %e, "the collector's policy is not usable by this agent; using the default policy")
        })
        .ok();
        inner.state.batch(|state| {
            if let Some(policy) = &policy {
                state.set_policy(policy)?;
            }
            state.set_enrolment(&enrolment)
        })?;
        tracing::info!(device_id = %response.device_id, "enrolled");
        self.notify(&inner);
        inner.status()
    }

    /// One check-in: nonce → collect → evaluate → sign → outbox → deliver.
    /// The report is durable in the outbox before any network call; when
    /// delivery fails it stays queued and the outcome says why.
    pub fn check_in(&self) -> Result<CheckInOutcome, AgentError> {
        let mut guard = self.lock()?;
        let inner = &mut *guard;
        let enrolment = inner.state.enrolment()?.ok_or(AgentError::NotEnrolled)?;
        let (nonce, fresh_nonce) = self.nonce_for_report(inner, &enrolment)?;
        let now = OffsetDateTime::now_utc();
        let mut claims = self.claims(inner, &enrolment.device_id, nonce, now)?;
        let signer = self.signer(&mut inner.state)?;
        // iOS: App Attest vouches that this app on this device made the
        // report, bound to its nonce and jti.
        claims.app_attest = signer
            .app_attest_assertion(&report_client_data_hash(
                claims.eat_nonce.as_str(),
                claims.jti.as_str(),
            ))?
            .map(|assertion| crate::b64::encode(&assertion));
        if inner.state.key_attestation_requested()? {
            claims.key_attestation = fresh_key_attestation(signer.as_ref(), &claims.eat_nonce);
        }
        let report = token::sign(&claims, signer.as_ref())?;
        let mut verdicts = inner.state.verdicts()?;
        verdicts.local = Some(claims.verdict.clone());
        let history = inner.state.failure_history()?.after(&claims.verdict, now);
        // One durable commit: the report queued, its nonce spent (the
        // collector accepts each nonce once as current), the verdict kept.
        let queued = QueuedReport::new(claims.jti.clone(), report, now);
        let pushed = inner.state.batch(|state| {
            let pushed = state.push(&queued)?;
            state.set_next_nonce(None, None)?;
            state.set_verdicts_from(&verdicts, &claims.posture, now)?;
            state.set_failure_history(&history)?;
            Ok(pushed)
        })?;
        if pushed.evicted > 0 {
            tracing::warn!(
                evicted = pushed.evicted,
                "the outbox was full; the oldest reports were evicted"
            );
        }
        let delivery = self.deliver(inner, false)?;
        self.notify(inner);
        let notify = super::quiet::decide(&inner.state, OffsetDateTime::now_utc())?;
        Ok(CheckInOutcome {
            local_verdict: claims.verdict,
            jti: claims.jti.into(),
            fresh_nonce,
            delivery,
            status: inner.status()?,
            notify,
        })
    }

    /// [`Agent::check_in`] with the verdicts' findings in `locale`, for the
    /// person holding the device (the report itself stays in English); see
    /// [`crate::policy::localise`].
    pub fn check_in_localised(&self, locale: Locale) -> Result<CheckInOutcome, AgentError> {
        let mut outcome = self.check_in()?;
        if locale == Locale::En {
            return Ok(outcome);
        }
        let (policy, posture) = {
            let inner = self.lock()?;
            (
                policy_in_force(&inner.state)?,
                inner.state.verdict_posture()?,
            )
        };
        if let Some(posture) = &posture {
            outcome.local_verdict = localise(&outcome.local_verdict, posture, &policy, locale);
        }
        outcome.status.verdicts =
            outcome
                .status
                .verdicts
                .localised(posture.as_ref(), &policy, locale);
        Ok(outcome)
    }

    /// The exact payload a check-in would sign now (nothing is signed,
    /// stored or sent), so a person can see what leaves the device. An iOS
    /// App Attest assertion is made only when a report is signed, so it is
    /// not in the preview.
    pub fn preview_report(&self) -> Result<ReportPreview, AgentError> {
        let mut inner = self.lock()?;
        let (device_id, nonce) = match inner.state.enrolment()? {
            Some(e) => (e.device_id, e.next_nonce),
            None => (
                thumbprint_id(&self.signer(&mut inner.state)?.public_jwk()?)?,
                None,
            ),
        };
        let nonce = match nonce {
            Some(n) => n,
            None => Nonce::random()?,
        };
        let claims = self.claims(&inner, &device_id, nonce, OffsetDateTime::now_utc())?;
        let payload = serde_json::to_string(&claims)
            .map_err(|e| AgentError::Internal(format!("cannot encode the claims: {e}")))?;
        Ok(ReportPreview { claims, payload })
    }

    /// A signed report of the posture now, answering `nonce`, not queued or
    /// sent (for testers and `posture-agent attest`); the verdict under
    /// `policy`, or the policy in force.
    pub fn attest(
        &self,
        nonce: Nonce,
        policy: Option<&crate::policy::Policy>,
    ) -> Result<String, AgentError> {
        let mut inner = self.lock()?;
        let signer = self.signer(&mut inner.state)?;
        let device_id = match inner.state.enrolment()? {
            Some(e) => e.device_id,
            // Not enrolled: the key's thumbprint stands in for the device id.
            None => thumbprint_id(&signer.public_jwk()?)?,
        };
        let now = OffsetDateTime::now_utc();
        let claims = match policy {
            Some(policy) => {
                let posture = self.probe.collect();
                let verdict = evaluate(&posture, policy, now);
                Claims::new(nonce, &device_id, posture, verdict, now)?
            }
            None => self.claims(&inner, &device_id, nonce, now)?,
        };
        Ok(token::sign(&claims, signer.as_ref())?)
    }

    /// Unenrols: tells the collector (signed with the device key) when it
    /// can, then deletes the device key and all local state whatever the
    /// collector said — leaving is the person's right, not the server's.
    pub fn unenrol(&self) -> Result<UnenrolOutcome, AgentError> {
        let mut inner = self.lock()?;
        let enrolment = inner.state.enrolment()?.ok_or(AgentError::NotEnrolled)?;
        let outcome = match self.tell_collector_unenrol(&mut inner, &enrolment) {
            Ok(()) => UnenrolOutcome {
                server_notified: true,
                server_error: None,
            },
            Err(e) => {
                tracing::warn!(error = %e, "the collector was not told of the unenrolment");
                UnenrolOutcome {
                    server_notified: false,
                    server_error: Some(e.to_string()),
                }
            }
        };
        self.delete_key(&mut inner.state)?;
        inner.state.reset()?;
        tracing::info!("unenrolled; the device key and local state are deleted");
        self.notify(&inner);
        Ok(outcome)
    }

    fn tell_collector_unenrol(
        &self,
        inner: &mut Inner,
        enrolment: &Enrolment,
    ) -> Result<(), AgentError> {
        let client = Client::new(&enrolment.server_url, self.transport.clone());
        let (nonce, fresh) = self.nonce_for_report(inner, enrolment)?;
        if !fresh {
            return Err(AgentError::InvalidInput(
                "no fresh nonce from the collector (it could not be reached)".into(),
            ));
        }
        let signer = self.signer(&mut inner.state)?;
        let claims = token::request_claims(
            &enrolment.device_id,
            RequestPurpose::Unenrol,
            Some(nonce),
            OffsetDateTime::now_utc(),
        )?;
        let request = token::sign_request(&claims, signer.as_ref())?;
        client
            .unenrol(&request)
            .map_err(|e| AgentError::collector("unenrolment failed", e))?;
        Ok(())
    }

    /// The nonce for the next report and whether it is fresh: the stored
    /// one while it is valid, else a new challenge; offline, the stale one
    /// (or a local random one), so the report still counts as historical.
    fn nonce_for_report(
        &self,
        inner: &mut Inner,
        enrolment: &Enrolment,
    ) -> Result<(Nonce, bool), AgentError> {
        let now = OffsetDateTime::now_utc();
        let stored = enrolment.next_nonce.clone();
        let valid = enrolment
            .next_nonce_expires_at
            .is_some_and(|exp| exp > now + time::Duration::seconds(30));
        if let Some(n) = &stored
            && valid
        {
            return Ok((n.clone(), true));
        }
        let fallback = |stored: Option<Nonce>| -> Result<(Nonce, bool), AgentError> {
            let nonce = match stored {
                Some(n) => n,
                None => Nonce::random()?,
            };
            Ok((nonce, false))
        };
        // Retry-After covers every request to the collector, not only reports.
        if let Some(until) = inner.state.server_wait_until()?
            && until > now
        {
            tracing::info!(
                "the collector asked to wait (Retry-After); this report will count as historical"
            );
            return fallback(stored);
        }
        let signer = self.signer(&mut inner.state)?;
        let claims =
            token::request_claims(&enrolment.device_id, RequestPurpose::Challenge, None, now)?;
        let request = token::sign_request(&claims, signer.as_ref())?;
        match Client::new(&enrolment.server_url, self.transport.clone()).challenge(&request) {
            Ok(answer) => {
                inner.state.batch(|state| {
                    state.set_next_nonce(Some(&answer.nonce), Some(answer.nonce_expires_at))?;
                    state.set_key_attestation_requested(answer.key_attestation_requested)
                })?;
                Ok((answer.nonce, true))
            }
            Err(e) => {
                tracing::warn!(error = %e, "no fresh nonce; this report will count as historical");
                if let Some(wait) = e.retry_after() {
                    let until = time::Duration::try_from(wait.min(super::deliver::MAX_RETRY_AFTER))
                        .ok()
                        .and_then(|d| now.checked_add(d));
                    inner.state.set_server_wait_until(until)?;
                }
                fallback(stored)
            }
        }
    }

    fn claims(
        &self,
        inner: &Inner,
        device_id: &DeviceId,
        nonce: Nonce,
        now: OffsetDateTime,
    ) -> Result<Claims, AgentError> {
        let posture = self.probe.collect();
        // The device's own history of failures: a warn-then-block rule's
        // grace counts from the first failing check-in.
        let history = inner.state.failure_history()?;
        let verdict =
            evaluate_with_history(&posture, &policy_in_force(&inner.state)?, now, &history);
        Ok(Claims::new(nonce, device_id, posture, verdict, now)?)
    }
}

/// The key's thumbprint, standing in for the device id before enrolment.
fn thumbprint_id(jwk: &crate::keys::PublicJwk) -> Result<DeviceId, AgentError> {
    DeviceId::new(jwk.thumbprint())
        .map_err(|e| AgentError::Internal(format!("the key thumbprint is no device id: {e}")))
}
