//! The crate's aggregate error.

/// Any error agent-core returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A policy could not be loaded.
    #[error(transparent)]
    Policy(#[from] crate::policy::PolicyError),
    /// A posture document could not be read.
    #[error(transparent)]
    Posture(#[from] crate::posture::PostureError),
    /// An HTTP request got no usable answer.
    #[error(transparent)]
    Transport(#[from] crate::transport::TransportError),
    /// The local state (enrolment, outbox) could not be read or written.
    #[error(transparent)]
    State(#[from] crate::state::StateError),
}
