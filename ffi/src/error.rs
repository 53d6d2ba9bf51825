//! The one error foreign code sees, mapped from the core's errors here and
//! nowhere else.
//!
//! Small and stable on purpose: an app branches on the variant (ask the user
//! to fix input, retry later, re-enrol) and shows the message; the core's
//! detailed errors stay inside, their text carried in `reason`.

use agent_core::agent::{AgentError, ClientError};
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
    /// The call needs an enrolled agent (or, for `enrol`, the agent is
    /// already enrolled: see `InvalidInput`).
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

impl PostureAgentError {
    /// The agent's error narrowed as `From` does, its reason in `locale`
    /// where the core has the words for it (errors the person can act on:
    /// not enrolled, already enrolled, unusable working hours).
    pub fn from_agent(e: AgentError, locale: agent_core::l10n::Locale) -> Self {
        let translated = matches!(
            e,
            AgentError::NotEnrolled
                | AgentError::AlreadyEnrolled { .. }
                | AgentError::QuietHours(_)
        )
        .then(|| e.message(locale));
        let mut out = PostureAgentError::from(e);
        if let Some(text) = translated {
            match &mut out {
                PostureAgentError::InvalidInput { reason }
                | PostureAgentError::NotEnrolled { reason }
                | PostureAgentError::Network { reason }
                | PostureAgentError::Server { reason }
                | PostureAgentError::Storage { reason }
                | PostureAgentError::Key { reason }
                | PostureAgentError::Platform { reason }
                | PostureAgentError::Internal { reason } => *reason = text,
            }
        }
        out
    }
}

/// The agent's errors, narrowed: an app branches on what it can do about
/// each (enrol first, fix the input, retry later, tell the user what the
/// collector said); the core's full message is the `reason`.
impl From<AgentError> for PostureAgentError {
    fn from(e: AgentError) -> Self {
        match e {
            AgentError::NotEnrolled => PostureAgentError::NotEnrolled {
                reason: e.to_string(),
            },
            // A call in the wrong state, like any other bad argument: the
            // app can read `status()` first.
            AgentError::AlreadyEnrolled { .. }
            | AgentError::InvalidInput(_)
            | AgentError::QuietHours(_) => PostureAgentError::invalid_input(e),
            AgentError::State(e) => e.into(),
            AgentError::CorruptState(_) | AgentError::Store(_) => PostureAgentError::Storage {
                reason: e.to_string(),
            },
            AgentError::KeyMissing { .. } | AgentError::KeyMismatch { .. } => {
                PostureAgentError::Key {
                    reason: e.to_string(),
                }
            }
            AgentError::Key(e) => e.into(),
            AgentError::Sign(e) => e.into(),
            AgentError::Transport(e) => e.into(),
            AgentError::Collector { action, source } => {
                // The core's message: what was being done, then why.
                let reason = format!("{action}: {source}");
                match *source {
                    ClientError::Transport(t) if is_input_error(&t) => {
                        PostureAgentError::InvalidInput { reason }
                    }
                    ClientError::Transport(_) => PostureAgentError::Network { reason },
                    // A problem document or a non-protocol answer.
                    ClientError::Problem { .. } | ClientError::BadResponse { .. } => {
                        PostureAgentError::Server { reason }
                    }
                }
            }
            AgentError::NoTransport => PostureAgentError::platform(e),
            AgentError::Internal(_) => PostureAgentError::internal(e),
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
        if is_input_error(&e) {
            PostureAgentError::invalid_input(e)
        } else {
            PostureAgentError::Network {
                reason: e.to_string(),
            }
        }
    }
}

/// A transport error the caller caused (a bad URL or configuration), not
/// the network.
fn is_input_error(e: &TransportError) -> bool {
    matches!(
        e,
        TransportError::InvalidUrl(_)
            | TransportError::InsecureUrl { .. }
            | TransportError::Config(_)
    )
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

#[cfg(test)]
mod tests {
    use agent_core::protocol::{Problem, ProblemKind};

    use super::*;

    #[test]
    fn agent_errors_narrow_to_what_an_app_can_act_on() {
        assert!(matches!(
            PostureAgentError::from(AgentError::NotEnrolled),
            PostureAgentError::NotEnrolled { .. }
        ));
        let already = AgentError::AlreadyEnrolled {
            server_url: "http://127.0.0.1:1".into(),
        };
        assert!(matches!(
            PostureAgentError::from(already),
            PostureAgentError::InvalidInput { .. }
        ));
        let refused = AgentError::collector(
            "enrolment failed",
            ClientError::Problem {
                problem: Problem::new(ProblemKind::InvalidEnrolmentCode, "the code is used"),
                retry_after: None,
            },
        );
        match PostureAgentError::from(refused) {
            PostureAgentError::Server { reason } => {
                assert!(reason.starts_with("enrolment failed: "), "{reason}");
                assert!(reason.contains("the code is used"), "{reason}");
            }
            other => panic!("not a server error: {other:?}"),
        }
        let offline = AgentError::collector(
            "enrolment failed",
            ClientError::Transport(TransportError::Connect {
                host: "127.0.0.1".into(),
                reason: "refused".into(),
            }),
        );
        assert!(matches!(
            PostureAgentError::from(offline),
            PostureAgentError::Network { .. }
        ));
        let bad_url = AgentError::collector(
            "enrolment failed",
            ClientError::Transport(TransportError::InvalidUrl("no scheme".into())),
        );
        assert!(matches!(
            PostureAgentError::from(bad_url),
            PostureAgentError::InvalidInput { .. }
        ));
        assert!(matches!(
            PostureAgentError::from(AgentError::CorruptState("x".into())),
            PostureAgentError::Storage { .. }
        ));
        assert!(matches!(
            PostureAgentError::from(AgentError::NoTransport),
            PostureAgentError::Platform { .. }
        ));
    }
}
