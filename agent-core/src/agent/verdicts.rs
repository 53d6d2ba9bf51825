//! The verdicts the agent keeps. Their record is the state's (it stores
//! and parses them); the agent's API names it here.

pub use crate::state::{ServerVerdict, VerdictRecord};

use super::error::AgentError;

/// Carries an agent error out of a state batch.
pub(super) fn agent_to_state(e: AgentError) -> crate::state::StateError {
    match e {
        AgentError::State(e) => e,
        other => crate::state::StateError::Invalid {
            what: "acknowledgement",
            detail: other.to_string(),
        },
    }
}
