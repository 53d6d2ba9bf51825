//! Delivering the outbox: at least once, idempotent by `jti`.
//!
//! A report leaves the outbox only when the collector acknowledged it (a
//! 2xx whose body parses as an ack naming this report's `jti`), or refused
//! it for good with a problem type of protocol v1 that says resending the
//! same bytes can never succeed (a bad token, a replayed `jti`, ...); then
//! it is counted and named in the outcome, never dropped silently.
//! Everything else keeps the report and stops the round, with backoff and
//! jitter: network trouble, timeouts, 429 and 5xx (honouring Retry-After,
//! which also holds back a manual flush); 401 (the collector does not know
//! this key: the reports wait for the person to sort out the enrolment);
//! and any answer that breaks the protocol (a 2xx that is not an ack, an
//! ack for another `jti`, an error that is not a problem document), which
//! is also counted and logged as a protocol error, because a captive portal
//! or a misbehaving proxy says nothing about whether the report was stored.

use serde::Serialize;
use time::OffsetDateTime;

use super::client::{Client, ClientError};
use super::{Agent, AgentError, Inner, ServerVerdict};
use std::time::Duration;

use super::verdicts::agent_to_state;
use crate::protocol::{Jti, ProblemKind, ReportAck};
use crate::state::{Enrolment, State};

/// At most this many reports are sent in one round.
const MAX_PER_ROUND: usize = 100;

/// A report the collector refused for good.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// The report id.
    pub jti: String,
    /// Why.
    pub reason: String,
}

/// What a delivery round did.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FlushOutcome {
    /// Reports the collector acknowledged.
    pub delivered: u32,
    /// Reports the collector refused for good (removed from the outbox).
    pub rejected: Vec<Rejected>,
    /// Reports still queued afterwards.
    pub still_queued: u64,
    /// Why the round stopped early, when it did (the reports stay queued).
    pub error: Option<String>,
    /// Answers in this round that broke the protocol (the report stayed queued).
    pub protocol_errors: u32,
}

impl Agent {
    /// Sends every queued report now, oldest first, ignoring the agent's own
    /// backoff (an explicit request, e.g. the network just came back) but
    /// never the collector's Retry-After.
    pub fn flush(&self) -> Result<FlushOutcome, AgentError> {
        let mut inner = self.lock()?;
        if inner.state.enrolment()?.is_none() {
            return Err(AgentError::NotEnrolled);
        }
        let outcome = self.deliver(&mut inner, true)?;
        self.notify(&inner);
        Ok(outcome)
    }

    /// Sends the queued reports whose backoff has passed (the `run` loop).
    pub fn flush_due(&self) -> Result<FlushOutcome, AgentError> {
        let mut inner = self.lock()?;
        if inner.state.enrolment()?.is_none() {
            return Err(AgentError::NotEnrolled);
        }
        let outcome = self.deliver(&mut inner, false)?;
        if outcome.delivered > 0 || !outcome.rejected.is_empty() {
            self.notify(&inner);
        }
        Ok(outcome)
    }

    pub(super) fn deliver(&self, inner: &mut Inner, all: bool) -> Result<FlushOutcome, AgentError> {
        let enrolment = inner.state.enrolment()?.ok_or(AgentError::NotEnrolled)?;
        let mut outcome = FlushOutcome::default();
        let now = OffsetDateTime::now_utc();
        if let Some(until) = inner.state.server_wait_until()?
            && until > now
        {
            outcome.error = Some(format!(
                "the collector asked to be left alone until {} (Retry-After); the reports stay queued",
                until
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_else(|_| until.to_string())
            ));
            outcome.still_queued = inner.state.stats()?.queued;
            return Ok(outcome);
        }
        let client = Client::new(&enrolment.server_url, self.transport.clone());
        let queue = if all {
            let mut q = inner.state.all()?;
            q.truncate(MAX_PER_ROUND);
            q
        } else {
            inner.state.due(now, MAX_PER_ROUND)?
        };
        for report in queue {
            match attempt(&report.jti, client.report(&report.token)) {
                Attempt::Acked(ack) => {
                    // The ack and everything it carries, in one durable commit.
                    inner.state.batch(|state| {
                        apply_ack(state, &enrolment, &ack).map_err(agent_to_state)?;
                        state.ack(&report.jti)?;
                        Ok(())
                    })?;
                    outcome.delivered += 1;
                }
                Attempt::Final(reason) => {
                    tracing::error!(jti = %report.jti, error = %reason, "the collector refused the report for good; removed from the outbox");
                    inner.state.ack(&report.jti)?;
                    outcome.rejected.push(Rejected {
                        jti: report.jti.into(),
                        reason,
                    });
                }
                Attempt::Keep {
                    reason,
                    retry_after,
                    protocol_error,
                } => {
                    let failed_at = OffsetDateTime::now_utc();
                    let retry_after = retry_after.map(|wait| wait.min(MAX_RETRY_AFTER));
                    let next = inner.state.batch(|state| {
                        if protocol_error {
                            state.count_protocol_error()?;
                        }
                        if let Some(wait) = retry_after {
                            let until = time::Duration::try_from(wait)
                                .ok()
                                .and_then(|d| failed_at.checked_add(d));
                            state.set_server_wait_until(until)?;
                        }
                        state.record_failure(&report.jti, failed_at, retry_after, &reason)
                    })?;
                    if protocol_error {
                        outcome.protocol_errors += 1;
                        tracing::warn!(jti = %report.jti, error = %reason, next_attempt = ?next, "protocol error: the collector's answer is not protocol v1; the report stays queued");
                    } else {
                        tracing::warn!(jti = %report.jti, error = %reason, next_attempt = ?next, "report not delivered; it stays queued");
                    }
                    outcome.error = Some(reason);
                    break;
                }
            }
        }
        outcome.still_queued = inner.state.stats()?.queued;
        Ok(outcome)
    }
}

/// The longest Retry-After the agent honours: a collector (or something
/// pretending to be one) cannot silence a device for longer than a day.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// What one delivery attempt came to.
#[derive(Debug)]
enum Attempt {
    /// Acknowledged: apply the ack, drop the report.
    Acked(Box<ReportAck>),
    /// Refused for good by a problem the protocol defines: drop and record.
    Final(String),
    /// Not delivered, may be later: keep the report, back off, stop the round.
    Keep {
        reason: String,
        retry_after: Option<Duration>,
        /// The answer broke the protocol (counted).
        protocol_error: bool,
    },
}

impl Attempt {
    fn keep(reason: String, retry_after: Option<Duration>) -> Attempt {
        Attempt::Keep {
            reason,
            retry_after,
            protocol_error: false,
        }
    }

    fn protocol_error(reason: String) -> Attempt {
        Attempt::Keep {
            reason,
            retry_after: None,
            protocol_error: true,
        }
    }
}

/// Sorts one answer to `POST /v1/reports` for the report `jti`.
fn attempt(jti: &Jti, result: Result<ReportAck, ClientError>) -> Attempt {
    let e = match result {
        Ok(ack) if ack.jti == *jti => return Attempt::Acked(Box::new(ack)),
        Ok(ack) => {
            return Attempt::protocol_error(format!(
                "the collector acknowledged jti {} instead of this report's {jti}; not applied",
                ack.jti.as_str()
            ));
        }
        Err(e) => e,
    };
    if e.is_retryable() {
        let retry_after = e.retry_after();
        return Attempt::keep(e.to_string(), retry_after);
    }
    match &e {
        // Never the report's fault: a TLS failure, a redirect, an oversized
        // answer. Resending may work once the network or server is fixed.
        ClientError::Transport(_) => Attempt::keep(e.to_string(), None),
        ClientError::BadResponse { .. } => Attempt::protocol_error(e.to_string()),
        ClientError::Problem { problem, .. } => match problem.kind() {
            // Not a problem document of this protocol: a proxy or portal.
            None => Attempt::protocol_error(e.to_string()),
            Some(ProblemKind::UnknownDevice | ProblemKind::BadSignature) => Attempt::keep(
                format!(
                    "{e}; the collector does not recognise this device's key, so the reports stay \
                     queued until the enrolment is sorted out (enrol again, or ask the administrator)"
                ),
                None,
            ),
            // A wrong URL or a server without the endpoint: not the report.
            Some(ProblemKind::NotFound | ProblemKind::MethodNotAllowed) => {
                Attempt::keep(e.to_string(), None)
            }
            Some(_) => Attempt::Final(e.to_string()),
        },
    }
}

/// Applies an acknowledgement: the server's verdict, the next nonce, a
/// changed policy, the attestation result, the check-in time. Acks arrive oldest report first, so
/// the last one applied carries the newest nonce.
fn apply_ack(state: &mut State, enrolment: &Enrolment, ack: &ReportAck) -> Result<(), AgentError> {
    let now = OffsetDateTime::now_utc();
    // Only current reports carry one; a historical report's ack leaves the
    // kept result alone.
    if let Some(token) = &ack.attestation_result {
        super::compliance::keep(state, enrolment, token)?;
    }
    if let Some(policy) = &ack.policy {
        tracing::info!(policy = %policy.name, revision = policy.revision, "the collector sent a new policy");
        state.set_policy(policy)?;
    }
    state.set_next_nonce(Some(&ack.nonce), Some(ack.nonce_expires_at))?;
    state.set_key_attestation_requested(ack.key_attestation_requested)?;
    let mut verdicts = state.verdicts()?;
    verdicts.server = Some(ServerVerdict {
        verdict: ack.verdict.clone(),
        freshness: ack.freshness,
        accepted_at: ack.accepted_at,
        next_checkin_at: ack.next_checkin_at,
    });
    state.set_verdicts(&verdicts, now)?;
    state.set_last_checkin(now)?;
    Ok(())
}
