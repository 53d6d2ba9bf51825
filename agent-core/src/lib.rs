//! Posture Agent core.
//!
//! Collects a device's security posture (OS and patch level, storage
//! encryption, screen lock, developer settings, integrity indicators),
//! evaluates it against a policy on the device, signs it as an Entity
//! Attestation Token with the device key, and verifies such tokens. This
//! crate knows no binding and no front end: desktop probes sit behind
//! `cfg(target_os)`, and phones supply their facts and keys through the
//! [`probe::PostureProbe`] and [`keys::DeviceSigner`] traits.

pub mod agent;
pub mod b64;
mod json;
pub mod keys;
pub mod l10n;
pub mod policy;
pub mod posture;
pub mod privacy;
pub mod probe;
pub mod protocol;
pub mod quiet_hours;
pub mod state;
pub mod token;
pub mod transport;
#[cfg(feature = "uniffi")]
pub mod uniffi_types;
pub mod version;

pub use policy::{Policy, Verdict, evaluate};
pub use posture::{Fact, Platform, Posture};
pub use probe::PostureProbe;

/// This agent's version, as reported in every posture document.
pub const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");

// The core's uniffi types live in their own namespace; the ffi crate's
// bindings import them (Kotlin: the same package, see uniffi.toml).
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("posture_agent_core");
