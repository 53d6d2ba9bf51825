//! The reference collector for Posture Agent protocol v1.
//!
//! Devices enrol with one-time codes and send signed posture reports; the
//! collector verifies every token with agent-core's verifier, re-evaluates
//! the posture with its own policy, stores every report in SQLite (or in
//! PostgreSQL, shared by several collector processes), and offers a fleet
//! summary, a JSON-lines export and OCSF security events for a SIEM
//! (`docs/events.md`). The specification is `docs/protocol.md`; this crate
//! is its server side, used by `posture-agent serve`, the CLI demo and the
//! integration tests.

mod assurance;
mod attestation;
mod codes;
mod collector;
mod config;
mod connection;
mod console;
mod ear;
mod error;
mod events;
pub mod evidence;
mod failures;
mod files;
mod handlers;
mod health;
mod keys;
mod metrics;
mod problem;
mod relying_party;
mod server;
mod storage;
mod store;
mod tls;
mod writer;

#[cfg(test)]
mod docs_tests;

pub use attestation::{
    AllowedApp, AppAttestConfig, AttestationPolicy, BootKey, MinSecurityLevel, StatusRefresh,
    StatusUrl, app_attest_roots_from_pem_file, roots_from_pem_file,
};
pub use collector::Collector;
pub use config::{AttestationConfig, CollectorConfig, GRACE_DEADLINE_SCAN_INTERVAL};
pub use console::CONSOLE_PATH;
pub use ear::{
    Appraisal as EarAppraisal, EAR_PROFILE, EarClaims, ResultError, Status as EarStatus,
    TrustVector, verify_attestation_result,
};
pub use error::CollectorError;
pub use events::{
    DEFAULT_WEBHOOK_RETRY_FOR, EventOutput, EventsConfig, EventsError, HecToken, OutputStats,
    WebhookEndpoint, WebhookSecret, WebhookStatus,
};
pub use relying_party::{GatewayLinks, RelyingParties, RelyingPartyError, gateway_score};
pub use server::{
    BODY_READ_TIMEOUT, HEADER_READ_TIMEOUT, RunningCollector, ServeOptions, serve, serve_with,
    spawn_local, spawn_local_tls, spawn_local_with,
};
pub use storage::{Database, PostgresUrl};
pub use tls::{DevCertificates, TlsConfig};
