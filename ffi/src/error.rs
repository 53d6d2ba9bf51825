//! The one error foreign code sees, mapped from the core's errors here and
//! nowhere else.
//!
//! Small and stable on purpose: an app branches on the variant (ask the user
//! to fix input, retry later, re-enrol) and shows the message; the core's
//! detailed errors stay inside, their text carried in `reason`.

use agent_core::keys::store::StoreError;
use agent_core::keys::{JwkError, KeyError};
use agent_core::policy::PolicyError;
use agent_core::posture::PostureError;
use agent_core::state::StateError;
use agent_core::token::{NonceError, SignError, VerifyError};
use agent_core::transport::TransportError;

/// Why a call failed. Each variant carries a message that says what went
/// wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum PostureAgentError {
    /// An argument, document or token was not valid.
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// What was wrong.
        reason: String,
    },
    /// The call needs an enrolled agent.
    #[error("not enrolled: {reason}")]
    NotEnrolled {
        /// What was missing.
        reason: String,
    },
    /// The collector could not be reached; trying again later may work.
    #[error("network: {reason}")]
    Network {
        /// What failed.
        reason: String,
    },
    /// The collector answered with an error.
    #[error("server: {reason}")]
    Server {
        /// What the server said.
        reason: String,
    },
    /// The local state or secret store failed.
    #[error("storage: {reason}")]
    Storage {
        /// What failed.
        reason: String,
    },
    /// The device key could not sign or give its public key.
    #[error("key: {reason}")]
    Key {
        /// What failed.
        reason: String,
    },
    /// The platform (a probe, or a host-app callback) failed or is missing.
    #[error("platform: {reason}")]
    Platform {
        /// What failed.
        reason: String,
    },
    /// A bug in the agent; please report it.
    #[error("internal: {reason}")]
    Internal {
        /// What failed.
        reason: String,
    },
}

impl PostureAgentError {
    /// An [`PostureAgentError::InvalidInput`] with this reason.
    pub fn invalid_input(reason: impl ToString) -> Self {
        PostureAgentError::InvalidInput {
            reason: reason.to_string(),
        }
    }

    /// A [`PostureAgentError::Platform`] with this reason.
    pub fn platform(reason: impl ToString) -> Self {
        PostureAgentError::Platform {
            reason: reason.to_string(),
        }
    }

    /// A [`PostureAgentError::Internal`] with this reason.
    pub fn internal(reason: impl ToString) -> Self {
        PostureAgentError::Internal {
            reason: reason.to_string(),
        }
    }
}

/// A foreign callback threw something other than a `PostureAgentError`
/// (or returned a value that could not be read).
impl From<uniffi::UnexpectedUniFFICallbackError> for PostureAgentError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        PostureAgentError::platform(format!("a host-app callback failed: {}", e.reason))
    }
}

impl From<agent_core::Error> for PostureAgentError {
    fn from(e: agent_core::Error) -> Self {
        match e {
            agent_core::Error::Policy(e) => e.into(),
            agent_core::Error::Posture(e) => e.into(),
            agent_core::Error::Transport(e) => e.into(),
            agent_core::Error::State(e) => e.into(),
        }
    }
}

impl From<PolicyError> for PostureAgentError {
    fn from(e: PolicyError) -> Self {
        PostureAgentError::invalid_input(e)
    }
}

impl From<PostureError> for PostureAgentError {
    fn from(e: PostureError) -> Self {
        PostureAgentError::invalid_input(e)
    }
}

impl From<NonceError> for PostureAgentError {
    fn from(e: NonceError) -> Self {
        PostureAgentError::invalid_input(e)
    }
}

impl From<JwkError> for PostureAgentError {
    fn from(e: JwkError) -> Self {
        PostureAgentError::invalid_input(e)
    }
}

impl From<VerifyError> for PostureAgentError {
    fn from(e: VerifyError) -> Self {
        PostureAgentError::invalid_input(format!("the report was rejected: {e}"))
    }
}

impl From<TransportError> for PostureAgentError {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::InvalidUrl(_)
            | TransportError::InsecureUrl { .. }
            | TransportError::Config(_) => PostureAgentError::invalid_input(e),
            _ => PostureAgentError::Network {
                reason: e.to_string(),
            },
        }
    }
}

impl From<StateError> for PostureAgentError {
    fn from(e: StateError) -> Self {
        PostureAgentError::Storage {
            reason: e.to_string(),
        }
    }
}

impl From<StoreError> for PostureAgentError {
    fn from(e: StoreError) -> Self {
        PostureAgentError::Storage {
            reason: e.to_string(),
        }
    }
}

impl From<KeyError> for PostureAgentError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Store(e) => e.into(),
            other => PostureAgentError::Key {
                reason: other.to_string(),
            },
        }
    }
}

impl From<SignError> for PostureAgentError {
    fn from(e: SignError) -> Self {
        match e {
            SignError::Key(e) => e.into(),
            SignError::Serialize(_) => PostureAgentError::internal(e),
        }
    }
}

impl From<tokio::task::JoinError> for PostureAgentError {
    fn from(e: tokio::task::JoinError) -> Self {
        PostureAgentError::internal(format!("a background task failed: {e}"))
    }
}
