//! Posture reports as Entity Attestation Tokens (RFC 9711): JWS compact
//! serialization, ES256 only, so any stock JOSE library can check them.
//!
//! [`sign`] makes a token with a [`DeviceSigner`]; [`Verifier`] checks one
//! strictly, each defect with its own [`VerifyError`]. The claim set (the
//! "profile") is written down in `docs/eat-profile.md`.

mod claims;
mod header;
mod request;
mod result;
mod verify;

/// The nonce types live with the protocol's other ids; re-exported here,
/// where reports use them.
pub use crate::protocol::{Nonce, NonceError};
pub use claims::Claims;
#[cfg(test)]
pub(crate) use claims::parse_claims;
pub use request::{
    MAX_REQUEST_LIFETIME_SECS, REQUEST_TYP, VerifiedRequest, request_claims, sign_request,
};
pub use result::{
    AttestationResult, AttestationSummary, EAR_PROFILE as EAR_RESULT_PROFILE, EarStatus,
    MAX_RESULT_BYTES, ResultError, parse_attestation_result,
};
pub use verify::{
    KeyResolver, MemoryReplayCache, NonceCheck, ReplayCache, ReplayError, VerifiedToken, Verifier,
    VerifyError, VerifyingKey, verify_signature,
};

use crate::b64;
use crate::keys::{DeviceSigner, KeyError};
use crate::policy::Verdict;
use crate::posture::Posture;

/// The only signature algorithm accepted or produced.
pub const ALG: &str = "ES256";
/// The protected header's `typ`: an EAT carried as a JWT.
pub const TYP: &str = crate::protocol::names::EAT_TYP;
/// The `eat_profile` claim: names this project's EAT profile (v1).
pub const EAT_PROFILE: &str = crate::protocol::names::EAT_PROFILE;
/// The `swname` claim.
pub const SW_NAME: &str = "posture-agent";
/// Largest token accepted by the verifier, in bytes.
pub const MAX_TOKEN_BYTES: usize = 64 * 1024;
/// Default token lifetime: long enough for one delivery attempt, short
/// enough that a captured token is soon worthless as current evidence.
pub const DEFAULT_LIFETIME_SECS: i64 = 300;

/// Why a token could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The device key failed to sign or to give its public key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The claims could not be serialised.
    #[error("the report claims could not be serialised: {0}")]
    Serialize(String),
}

/// Signs `claims` with the device key: `header.payload.signature`, the
/// header `{"alg":"ES256","typ":"eat+jwt","kid":<RFC 7638 thumbprint>}`.
pub fn sign(claims: &Claims, signer: &dyn DeviceSigner) -> Result<String, SignError> {
    sign_jws(TYP, claims, signer)
}

/// Builds the claims of a report answering `nonce` for `device_id` (a
/// random `jti`, `iat` now) and signs them: a report made outside a
/// check-in, for testers and backends, neither queued nor sent.
pub fn sign_report(
    nonce: Nonce,
    device_id: &crate::protocol::DeviceId,
    posture: Posture,
    verdict: Verdict,
    signer: &dyn DeviceSigner,
    now: time::OffsetDateTime,
) -> Result<String, SignError> {
    let claims = Claims::new(nonce, device_id, posture, verdict, now)?;
    sign(&claims, signer)
}

/// Signs `claims` as a compact JWS with the header
/// `{"alg":"ES256","typ":<typ>,"kid":<thumbprint>}`.
pub(crate) fn sign_jws<T: serde::Serialize>(
    typ: &str,
    claims: &T,
    signer: &dyn DeviceSigner,
) -> Result<String, SignError> {
    let kid = signer.kid()?;
    let header = format!(r#"{{"alg":"{ALG}","typ":"{typ}","kid":"{kid}"}}"#);
    let payload = serde_json::to_vec(claims).map_err(|e| SignError::Serialize(e.to_string()))?;
    let mut token = b64::encode(header.as_bytes());
    token.push('.');
    token.push_str(&b64::encode(&payload));
    let signature = signer.sign(token.as_bytes())?;
    if signature.len() != 64 {
        return Err(KeyError::SignatureLength(signature.len()).into());
    }
    token.push('.');
    token.push_str(&b64::encode(&signature));
    Ok(token)
}

/// A random identifier (moved to [`crate::keys`], which owns the RNG).
pub use crate::keys::random_id;

#[cfg(test)]
mod tests;
