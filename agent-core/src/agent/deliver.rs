//! Delivering the outbox: at least once, idempotent by `jti`.
//!
//! A report leaves the outbox only when the collector acknowledged it, or
//! refused it for good (a final problem such as a bad signature: resending
//! the same bytes can never succeed), and then it is counted and named in
//! the outcome, never dropped silently. A retryable failure (network,
//! timeout, 429, 5xx) stops the round — the network is down or the server
//! busy, so hammering it helps nobody — and backs the report off with
//! jitter, honouring Retry-After.

use serde::Serialize;
use time::OffsetDateTime;

use super::client::{Client, ClientError};
use super::flow::{agent_to_state, store_verdicts};
use super::memo::Memo;
use super::{Agent, AgentError, Inner, ServerVerdict};
use crate::protocol::ReportAck;
use crate::state::State;

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
}

impl Agent {
    /// Sends every queued report now, oldest first, ignoring backoff (an
    /// explicit request, e.g. the network just came back).
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
        let client = Client::new(&enrolment.server_url, self.transport.clone());
        let now = OffsetDateTime::now_utc();
        let queue = if all {
            let mut q = inner.state.all()?;
            q.truncate(MAX_PER_ROUND);
            q
        } else {
            inner.state.due(now, MAX_PER_ROUND)?
        };
        let mut outcome = FlushOutcome::default();
        for report in queue {
            match client.report(&report.token) {
                Ok(ack) => {
                    // The ack and everything it carries, in one durable commit.
                    inner.state.batch(|state| {
                        apply_ack(state, &inner.memo, &ack).map_err(agent_to_state)?;
                        state.ack(&report.jti)?;
                        Ok(())
                    })?;
                    outcome.delivered += 1;
                }
                Err(e) if e.is_retryable() => {
                    let reason = e.to_string();
                    let next = inner.state.record_failure(
                        &report.jti,
                        OffsetDateTime::now_utc(),
                        e.retry_after(),
                        &reason,
                    )?;
                    tracing::warn!(jti = %report.jti, error = %reason, next_attempt = ?next, "report not delivered; it stays queued");
                    outcome.error = Some(reason);
                    break;
                }
                Err(e) => {
                    let reason = describe_final(&e);
                    tracing::error!(jti = %report.jti, error = %reason, "the collector refused the report for good; removed from the outbox");
                    inner.state.ack(&report.jti)?;
                    outcome.rejected.push(Rejected {
                        jti: report.jti,
                        reason,
                    });
                }
            }
        }
        outcome.still_queued = inner.state.stats()?.queued;
        Ok(outcome)
    }
}

fn describe_final(e: &ClientError) -> String {
    e.to_string()
}

/// Applies an acknowledgement: the server's verdict, the next nonce, a
/// changed policy, the check-in time. Acks arrive oldest report first, so
/// the last one applied carries the newest nonce.
fn apply_ack(state: &mut State, memo: &Memo, ack: &ReportAck) -> Result<(), AgentError> {
    let now = OffsetDateTime::now_utc();
    if let Some(policy) = &ack.policy {
        tracing::info!(policy = %policy.name, revision = policy.revision, "the collector sent a new policy");
        state.set_policy_json(&policy.to_json())?;
    }
    state.set_next_nonce(Some(ack.nonce.as_str()), Some(ack.nonce_expires_at))?;
    let mut verdicts = memo.verdicts(state)?;
    verdicts.server = Some(ServerVerdict {
        verdict: ack.verdict.clone(),
        freshness: ack.freshness,
        accepted_at: ack.accepted_at,
        next_checkin_at: ack.next_checkin_at,
    });
    store_verdicts(state, memo, verdicts, now)?;
    state.set_last_checkin(now)?;
    Ok(())
}
