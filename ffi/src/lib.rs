//! The foreign-language facade over agent-core: one uniffi API for Kotlin,
//! Swift and Python. Conversions and delegation only: no logic lives here.
//!
//! - [`agent`]: the `PostureAgent` object an app holds;
//! - [`report`]: signing and verifying posture reports;
//! - [`foreign`]: the traits the host app implements (probe, signer, secret
//!   store, transport, status listener) and [`adapters`] that present them
//!   to agent-core as its own traits;
//! - [`status`]: the agent's status and the outcomes of its operations;
//! - [`listener`]: status listeners and the handle that unregisters them;
//! - [`readings`]: what a platform probe reads (agent-core's readings
//!   records) and the core's mappings from readings to posture;
//! - [`posture`]: the posture records (agent-core's `Fact<T>` is generic,
//!   which uniffi cannot express) and their conversions;
//! - [`error`]: the one small error foreign code sees.
//!
//! Enums and records that map cleanly (platform, policy, verdict, JWK) are
//! agent-core's own types, derived behind its `uniffi` feature.

uniffi::setup_scaffolding!("posture_agent");

pub mod adapters;
pub mod agent;
pub mod compliance;
pub mod error;
pub mod foreign;
pub mod listener;
pub mod posture;
pub mod readings;
pub mod report;
pub mod status;

pub use agent::PostureAgent;
pub use error::PostureAgentError;

// agent-core's time type, lowered there to uniffi's timestamp; the posture
// records here use it too.
use agent_core::uniffi_types::Timestamp;
uniffi::use_remote_type!(agent_core::Timestamp);

/// The agent version the bindings wrap.
#[uniffi::export]
pub fn agent_version() -> String {
    agent_core::AGENT_VERSION.to_owned()
}
