//! Request and response bodies of the device endpoints.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::ids::{DeviceId, EnrolmentCode, Jti, Nonce};
use crate::keys::PublicJwk;
use crate::policy::{Policy, Verdict};
use crate::posture::Platform;

/// `POST /v1/enrol` request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    /// The one-time enrolment code.
    pub code: EnrolmentCode,
    /// The device's public key (EC P-256).
    pub jwk: PublicJwk,
    /// Platform key attestation chain, leaf first, each a base64 (standard
    /// alphabet, padded) DER certificate; empty when the platform has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_attestation: Vec<String>,
    /// Apple App Attest evidence (iOS), when the device has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_attest: Option<super::app_attest::AppAttestEvidence>,
    /// The device's platform.
    pub platform: Platform,
    /// The agent's version.
    pub agent_version: String,
}

/// `POST /v1/enrol` response body (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    /// The new device id; it goes in `sub` of every token.
    pub device_id: DeviceId,
    /// The policy to evaluate.
    pub policy: Policy,
    /// How often the agent should check in, in seconds.
    pub checkin_interval_secs: u64,
    /// The nonce for the first report.
    pub nonce: Nonce,
    /// When that nonce stops making a report `current`.
    #[serde(with = "time::serde::rfc3339")]
    pub nonce_expires_at: OffsetDateTime,
}

/// `POST /v1/challenge` response body (200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeResponse {
    /// A fresh nonce; it replaces every nonce issued to this device before.
    pub nonce: Nonce,
    /// When it stops making a report `current`.
    #[serde(with = "time::serde::rfc3339")]
    pub nonce_expires_at: OffsetDateTime,
    /// The collector asks for a fresh key attestation in the next report
    /// (protocol §5.3.3); absent means false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub key_attestation_requested: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Whether a report proves the device's state now or only in the past
/// (RFC 9334 §10 freshness).
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    /// The report carries the latest nonce issued to the device, unexpired:
    /// it counts as the device's current compliance.
    Current,
    /// Valid evidence of the device's state at `iat`, but not fresh (an
    /// older or expired nonce, e.g. collected offline): stored, not counted
    /// as current compliance.
    Historical,
}

/// `POST /v1/reports` response body (201 first time, 200 for a resend of
/// the same token, with an identical body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportAck {
    /// The report's `jti`.
    pub jti: Jti,
    /// When the server first stored it.
    #[serde(with = "time::serde::rfc3339")]
    pub accepted_at: OffsetDateTime,
    /// The server's own verdict, re-evaluated from the posture claim.
    pub verdict: Verdict,
    /// Whether the report counts as current compliance.
    pub freshness: Freshness,
    /// The device's policy, present only when it differs from the one the
    /// report's verdict names (`verdict.policy` name and revision).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "usable_policy"
    )]
    pub policy: Option<Policy>,
    /// The nonce for the next report.
    pub nonce: Nonce,
    /// When that nonce stops making a report `current`.
    #[serde(with = "time::serde::rfc3339")]
    pub nonce_expires_at: OffsetDateTime,
    /// When the server expects the next check-in.
    #[serde(with = "time::serde::rfc3339")]
    pub next_checkin_at: OffsetDateTime,
    /// The collector's signed attestation result (EAR, a JWT) for a
    /// current report, when the collector issues them (protocol §5.3.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_result: Option<String>,
    /// The collector asks for a fresh key attestation in the next report
    /// (protocol §5.3.3); absent means false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub key_attestation_requested: bool,
}

/// `POST /v1/unenrol` response body (200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnenrolResponse {
    /// The device that was removed.
    pub device_id: DeviceId,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub unenrolled_at: OffsetDateTime,
}

/// What a device request token asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestPurpose {
    /// A fresh nonce (`POST /v1/challenge`).
    Challenge,
    /// Removal of the device (`POST /v1/unenrol`).
    Unenrol,
}

/// Claims of a device request token: a compact JWS (ES256, `typ`
/// `posture-request+jwt`, `kid` the key's RFC 7638 thumbprint) that
/// authenticates a challenge or unenrol request with the device key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRequestClaims {
    /// The device id.
    pub sub: DeviceId,
    /// What the request is for; a token for one purpose is refused by the
    /// other endpoint.
    pub purpose: RequestPurpose,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch), at most five minutes after `iat`.
    pub exp: i64,
    /// Unique id; the server refuses a second use while the token is valid.
    pub jti: Jti,
    /// Required for `unenrol`: the latest nonce the server issued to the
    /// device, so a captured unenrol request cannot be replayed later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eat_nonce: Option<Nonce>,
}

/// Reads an ack's policy, or none when this agent cannot use it (a newer
/// `schema_version`, a member it does not know, a rule it refuses): the ack
/// itself stays valid and the agent keeps the policy in force (protocol
/// section 7), rather than refusing the ack and never delivering a report.
fn usable_policy<'de, D>(deserializer: D) -> Result<Option<Policy>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let Some(value) = Option::<serde_json::Value>::deserialize(deserializer)? else {
        return Ok(None);
    };
    match Policy::parse(&value.to_string(), crate::policy::PolicyFormat::Json) {
        Ok(policy) => Ok(Some(policy)),
        Err(e) => {
            tracing::warn!(error = %e, "the collector sent a policy this agent cannot use; keeping the policy in force");
            Ok(None)
        }
    }
}
