//! The collector's attestation result for this device: kept from the
//! latest ack that carried one, shown in the status, and handed to an app
//! (which gives it to its gateway) while it is unexpired.

use std::fmt;

use serde::Serialize;
use time::OffsetDateTime;

use super::{Agent, AgentError};
use crate::state::{Enrolment, State};
use crate::token::{AttestationResult, AttestationSummary, parse_attestation_result};

/// What [`Agent::compliance_token`] found.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ComplianceToken {
    /// An unexpired attestation result to present.
    Available {
        /// The EAR JWT, exactly as the collector signed it.
        token: String,
        /// What it says.
        summary: AttestationSummary,
    },
    /// None to present, and why.
    Unavailable {
        /// Why, in words, with what to do.
        reason: String,
    },
}

impl fmt::Debug for ComplianceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ComplianceToken::Available { summary, .. } => f
                .debug_struct("Available")
                .field("token", &"<redacted>")
                .field("summary", summary)
                .finish(),
            ComplianceToken::Unavailable { reason } => f
                .debug_struct("Unavailable")
                .field("reason", reason)
                .finish(),
        }
    }
}

impl Agent {
    /// The collector's latest attestation result for this device (an EAR
    /// JWT bound to the device key), while it is unexpired: what an app
    /// hands its gateway as proof of compliance. The agent checked its
    /// shape and that it names this device and key, not its signature:
    /// the gateway verifies that with the collector's JWK set.
    pub fn compliance_token(&self) -> Result<ComplianceToken, AgentError> {
        let inner = self.lock()?;
        let Some(enrolment) = inner.state.enrolment()? else {
            return Ok(ComplianceToken::Unavailable {
                reason: "this device is not enrolled; enrol it and check in first".into(),
            });
        };
        let now = OffsetDateTime::now_utc();
        Ok(match stored_result(&inner.state, &enrolment)? {
            Stored::None => ComplianceToken::Unavailable {
                reason: "the collector has not issued an attestation result for this device yet; \
                         check in (with the collector reachable) to get one"
                    .into(),
            },
            Stored::Unreadable(why) => ComplianceToken::Unavailable {
                reason: format!(
                    "the stored attestation result is unusable ({why}); check in again"
                ),
            },
            Stored::Result(r) if r.summary().is_expired(now) => ComplianceToken::Unavailable {
                reason: format!(
                    "the attestation result expired at {}; check in again to get a fresh one",
                    rfc3339(r.summary().expires_at)
                ),
            },
            Stored::Result(r) => ComplianceToken::Available {
                token: r.token().to_owned(),
                summary: r.summary().clone(),
            },
        })
    }
}

/// The stored attestation result, as read back.
pub(super) enum Stored {
    None,
    /// Stored, but no longer passes the checks (a damaged file, or an
    /// enrolment that changed under it).
    Unreadable(String),
    Result(AttestationResult),
}

pub(super) fn stored_result(state: &State, enrolment: &Enrolment) -> Result<Stored, AgentError> {
    Ok(match state.attestation_result()? {
        None => Stored::None,
        Some(token) => {
            match parse_attestation_result(&token, enrolment.device_id.as_str(), &enrolment.kid) {
                Ok(r) => Stored::Result(r),
                Err(e) => Stored::Unreadable(e.to_string()),
            }
        }
    })
}

/// The summary for the status: the stored result's, expired or not.
pub(super) fn summary(state: &State) -> Result<Option<AttestationSummary>, AgentError> {
    let Some(enrolment) = state.enrolment()? else {
        return Ok(None);
    };
    Ok(match stored_result(state, &enrolment)? {
        Stored::Result(r) => Some(r.summary().clone()),
        Stored::None | Stored::Unreadable(_) => None,
    })
}

/// Keeps the attestation result an ack carried, after checking it names
/// this device and its key. One that fails the checks is not kept, and the
/// older one is forgotten too: it describes an appraisal the collector has
/// since replaced, so presenting it would tell a gateway something stale.
/// The token itself is never logged.
pub(super) fn keep(
    state: &mut State,
    enrolment: &Enrolment,
    token: &str,
) -> Result<(), AgentError> {
    match parse_attestation_result(token, enrolment.device_id.as_str(), &enrolment.kid) {
        Ok(result) => {
            tracing::debug!(
                status = %result.summary().status,
                expires_at = %rfc3339(result.summary().expires_at),
                "kept the collector's attestation result"
            );
            state.set_attestation_result(Some(result.token()))?;
        }
        Err(e) => {
            tracing::warn!(error = %e, "the collector's attestation result is unusable; none is kept");
            state.set_attestation_result(None)?;
        }
    }
    Ok(())
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}
