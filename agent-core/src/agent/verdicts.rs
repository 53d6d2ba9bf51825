//! The verdicts the agent keeps: their record, and how they are stored and
//! read back. Its own module so that check-in and delivery, which both
//! store verdicts, depend on it and not on each other.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::error::AgentError;
use crate::policy::Verdict;
use crate::protocol::Freshness;

/// The verdicts the agent last saw: its own (immediate) and the server's
/// (authoritative), as stored in the state.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictRecord {
    /// The device's own evaluation at its last check-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<Verdict>,
    /// The server's evaluation of the last report it acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerVerdict>,
}

/// The server's answer to a report.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerVerdict {
    /// The server's verdict.
    pub verdict: Verdict,
    /// Whether the report counted as current compliance.
    pub freshness: Freshness,
    /// When the server accepted the report.
    #[serde(with = "time::serde::rfc3339")]
    pub accepted_at: OffsetDateTime,
    /// When the server expects the next check-in.
    #[serde(with = "time::serde::rfc3339")]
    pub next_checkin_at: OffsetDateTime,
}

pub(super) fn verdict_from_json(json: &str) -> Result<VerdictRecord, AgentError> {
    crate::json::from_str(json)
        .map_err(|e| AgentError::CorruptState(format!("the stored verdict is invalid: {e}")))
}

/// Carries an agent error out of a state batch (only encoding can fail).
pub(super) fn agent_to_state(e: AgentError) -> crate::state::StateError {
    match e {
        AgentError::State(e) => e,
        other => crate::state::StateError::Invalid {
            what: "verdicts",
            detail: other.to_string(),
        },
    }
}
