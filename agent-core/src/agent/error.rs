//! Why an agent operation failed.

use crate::agent::ClientError;
use crate::keys::KeyError;
use crate::keys::store::StoreError;
use crate::l10n::{Locale, Msg};
use crate::quiet_hours::QuietHoursError;
use crate::state::StateError;
use crate::token::SignError;
use crate::transport::TransportError;

impl AgentError {
    /// A collector failure while doing `action`.
    pub fn collector(action: &'static str, source: ClientError) -> AgentError {
        AgentError::Collector {
            action,
            source: Box::new(source),
        }
    }

    /// The message for the person, in `locale`: the errors a person causes
    /// and can act on are translated; the others (storage, keys, the
    /// collector's answers) keep their English detail, which is what IT
    /// needs quoted. In English, the `Display` text.
    pub fn message(&self, locale: Locale) -> String {
        match self {
            AgentError::NotEnrolled => crate::l10n::text(locale, "error-not-enrolled"),
            AgentError::AlreadyEnrolled { server_url } => Msg::new("error-already-enrolled")
                .text("server", server_url.as_str())
                .in_locale(locale),
            AgentError::QuietHours(e) => e.message(locale),
            other => other.to_string(),
        }
    }
}

/// Why an agent operation failed. Messages say what to do; none carries a
/// token, a code or key material.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The call needs an enrolment.
    #[error(
        "this device is not enrolled; enrol it first with a one-time code from your organisation"
    )]
    NotEnrolled,
    /// The device is already enrolled.
    #[error("this device is already enrolled with {server_url}; unenrol it first to enrol again")]
    AlreadyEnrolled {
        /// The collector it is enrolled with.
        server_url: String,
    },
    /// An argument is invalid.
    #[error("{0}")]
    InvalidInput(String),
    /// The working hours given are not usable.
    #[error(transparent)]
    QuietHours(#[from] QuietHoursError),
    /// The local state could not be read or written.
    #[error(transparent)]
    State(#[from] StateError),
    /// The local state holds something unreadable.
    #[error(
        "the agent's state is damaged ({0}); reset the agent (delete its key and state directory) and enrol again"
    )]
    CorruptState(String),
    /// The device is enrolled but its key is not in the key store (the
    /// store was cleared, or the state was copied without it): reports
    /// signed by a new key would only be refused.
    #[error(
        "this device is enrolled (device {device_id}) but its device key is missing from {store}; \
         the queued reports are kept. Restore the key store, or reset the agent and enrol again"
    )]
    KeyMissing {
        /// The enrolled device.
        device_id: String,
        /// Where the key was looked for.
        store: String,
    },
    /// The key in the store is not the one the device enrolled with.
    #[error(
        "the device key in {store} (kid {found}) is not the key this device enrolled with \
         (kid {enrolled}); the queued reports are kept. Restore the right key store, or reset \
         the agent and enrol again"
    )]
    KeyMismatch {
        /// Where the key was found.
        store: String,
        /// The enrolled key's id.
        enrolled: String,
        /// The stored key's id.
        found: String,
    },
    /// The device key failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The secret store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A report or request could not be signed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// The built-in transport could not be set up.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The collector refused, or could not be reached.
    #[error("{action}: {source}")]
    Collector {
        /// What was being done.
        action: &'static str,
        /// What went wrong.
        source: Box<ClientError>,
    },
    /// This build has no HTTP stack and the host supplied none.
    #[error("no transport: this build has no built-in HTTP; the host app must supply one")]
    NoTransport,
    /// A bug or a poisoned lock.
    #[error("internal error: {0}")]
    Internal(String),
}
