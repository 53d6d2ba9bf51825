//! Protocol v1: the HTTP messages between an agent and its collector.
//!
//! `docs/protocol.md` is the specification and `docs/openapi.yaml` its
//! machine-readable form; these types are what the agent (and the reference
//! collector) serialise. Receivers ignore JSON members they do not know, so
//! a server can add fields without breaking deployed agents; the policy is
//! the exception, because it is strict by its own schema version.

mod admin;
pub mod app_attest;
mod assurance;
mod ids;
pub mod key_attestation;
mod messages;
mod problem;
mod relying_party;

pub use admin::{
    AppAttestEnvironment, AppAttestSummary, AttestationPin, AttestedBootState,
    AttestedSecurityLevel, DEVICE_HISTORY_LEN, DeviceDetail, DeviceReport, DeviceStatus,
    ExportRecord, FleetDevice, FleetSummary, IssueCodesRequest, IssueCodesResponse, IssuedCode,
    KeyAttestationSummary, PinBreak, PinState, Provenance,
};
pub use app_attest::AppAttestEvidence;
pub use assurance::{
    Assessment, AssuranceLevel, AssuranceLevelError, AttestationMismatch, FactProvenance,
    FactRecord,
};
pub use ids::{DeviceId, EnrolmentCode, IdError, Jti, MAX_ID_LEN, Nonce, NonceError};
pub use key_attestation::report_attestation_challenge;
pub use messages::{
    ChallengeResponse, DeviceRequestClaims, EnrolRequest, EnrolResponse, Freshness, ReportAck,
    RequestPurpose, UnenrolResponse,
};
pub use problem::{PROBLEM_BASE_URI, Problem, ProblemKind};
pub use relying_party::{
    ComplianceAnswer, ComplianceFreshness, SCOPE_CLOUDFLARE_POSTURE, SCOPE_COMPLIANCE_READ, SCOPES,
};

/// The protocol version this agent speaks; it is also the path prefix.
pub const PROTOCOL_VERSION: u32 = 1;

/// Every endpoint's path, relative to the collector's base URL.
pub mod paths {
    /// Enrol a device with a one-time code.
    pub const ENROL: &str = "/v1/enrol";
    /// Get a fresh nonce (authenticated by a device request token).
    pub const CHALLENGE: &str = "/v1/challenge";
    /// Deliver an attestation token.
    pub const REPORTS: &str = "/v1/reports";
    /// Unenrol (authenticated by a device request token).
    pub const UNENROL: &str = "/v1/unenrol";
    /// Reference collector admin: fleet summary.
    pub const FLEET: &str = "/v1/fleet";
    /// Reference collector admin: every stored report as JSON lines.
    pub const REPORTS_EXPORT: &str = "/v1/reports/export";
    /// Reference collector admin: issue one-time enrolment codes.
    pub const ENROLMENT_CODES: &str = "/v1/admin/enrolment-codes";
    /// Reference collector admin: one device, its verdict and its history.
    pub const FLEET_DEVICE: &str = "/v1/fleet/devices/{device_id}";
    /// Reference collector admin: each webhook endpoint's deliveries.
    pub const WEBHOOKS: &str = "/v1/admin/webhooks";
    /// Reference collector admin: audit evidence for a period of days.
    pub const EVIDENCE: &str = "/v1/evidence";
    /// The collector's public keys for its attestation results (RFC 7517).
    pub const JWKS: &str = "/.well-known/jwks.json";
    /// Relying-party API: one device's compliance, by device id.
    pub const DEVICE_COMPLIANCE: &str = "/v1/devices/{device_id}/compliance";
    /// Relying-party API: one device's compliance, by its key's thumbprint
    /// (query `jkt`).
    pub const COMPLIANCE: &str = "/v1/compliance";
    /// Relying-party API: Cloudflare Access's custom device posture check.
    pub const CLOUDFLARE_DEVICE_POSTURE: &str = "/v1/gateways/cloudflare/device-posture";
}

/// Media types used on the wire.
pub mod content_types {
    /// JSON request and response bodies.
    pub const JSON: &str = "application/json";
    /// An Entity Attestation Token in compact JWS form (a report).
    pub const EAT_JWT: &str = "application/eat+jwt";
    /// A device request token (challenge, unenrol), RFC 7519's media type.
    pub const JWT: &str = "application/jwt";
    /// RFC 9457 problem details.
    pub const PROBLEM_JSON: &str = "application/problem+json";
    /// JSON lines, one JSON object per line (the report export).
    pub const JSON_LINES: &str = "application/jsonl";
}

/// Header and `typ` values used on the wire.
pub mod names {
    /// JWS `typ` of a posture report.
    pub const EAT_TYP: &str = "eat+jwt";
    /// JWS `typ` of a device request token.
    pub const REQUEST_TYP: &str = "posture-request+jwt";
    /// The `eat_profile` claim value of a v1 report.
    pub const EAT_PROFILE: &str = "tag:posture-agent.dev,2026:eat/v1";
}

/// Size and time limits every v1 server enforces.
pub mod limits {
    /// Largest request body a server accepts (413 above it), and the
    /// default cap on a response body the agent reads.
    pub const MAX_BODY_BYTES: usize = 64 * 1024;
    /// How long a nonce stays valid for a `current` report, at most.
    pub const MAX_NONCE_LIFETIME_SECS: u64 = 24 * 60 * 60;
    /// Clock skew tolerated between a device and a server: on `iat` in the
    /// future, and by the verifier past `exp` (the default of
    /// `token::Verifier`).
    pub const CLOCK_SKEW_SECS: u64 = 5 * 60;
    /// Longest lifetime (`exp - iat`) of a device request token.
    pub const MAX_REQUEST_TOKEN_SECS: u64 = 5 * 60;
    /// Oldest report (by `iat`) accepted as historical evidence.
    pub const MAX_HISTORICAL_AGE_SECS: u64 = 30 * 24 * 60 * 60;
}

#[cfg(test)]
mod tests;
