//! The foreign-language facade over agent-core (uniffi bindings for Kotlin,
//! Swift and Python). Conversions and delegation only: no logic lives here.
//!
//! The exported API arrives with the FFI work; until then this crate only
//! re-exports the core version so the workspace layout is in place.

/// The agent version the bindings wrap.
pub fn agent_version() -> &'static str {
    agent_core::AGENT_VERSION
}
