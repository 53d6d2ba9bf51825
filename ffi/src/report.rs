//! Posture reports: the default policy and the verifier, as free functions.

use agent_core::keys::PublicJwk;
use agent_core::policy::{Policy, Verdict};
use agent_core::token::{MemoryReplayCache, NonceCheck, Verifier, VerifyingKey};
use time::OffsetDateTime;

use crate::error::PostureAgentError;
use crate::posture::Posture;

/// A report that passed every check of the verifier.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VerifiedReport {
    /// The signing key's RFC 7638 thumbprint.
    pub kid: String,
    /// The report's id.
    pub jti: String,
    /// The device id (`sub`).
    pub device_id: String,
    /// The nonce the report answers.
    pub nonce: String,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// The reported posture.
    pub posture: Posture,
    /// The device's own verdict.
    pub verdict: Verdict,
}

/// The default policy shipped with the agent.
#[uniffi::export]
pub fn default_policy() -> Policy {
    Policy::default_policy()
}

/// Verifies a posture report strictly (ES256 only, signature with `jwk`,
/// claims, time, and `nonce` when given), as a collector does. Each call
/// has its own replay cache: a backend keeps one across reports.
#[uniffi::export]
pub fn verify_report(
    token: String,
    jwk: PublicJwk,
    nonce: Option<String>,
) -> Result<VerifiedReport, PostureAgentError> {
    let key = VerifyingKey::from_jwk(&jwk)?;
    let check = match &nonce {
        Some(n) => NonceCheck::Exact(n),
        None => NonceCheck::ByCaller,
    };
    let verified = Verifier::default().verify(
        &token,
        &key,
        check,
        &MemoryReplayCache::default(),
        OffsetDateTime::now_utc(),
    )?;
    let claims = verified.claims;
    Ok(VerifiedReport {
        kid: verified.kid,
        jti: claims.jti.into(),
        device_id: claims.sub.into(),
        nonce: claims.eat_nonce.into(),
        iat: claims.iat,
        exp: claims.exp,
        posture: claims.posture.into(),
        verdict: claims.verdict,
    })
}
