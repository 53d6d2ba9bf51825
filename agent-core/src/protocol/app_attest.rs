//! Apple App Attest on the wire (protocol §5.1 and §4.1): the evidence an
//! iOS enrolment carries, and the client data each App Attest call signs,
//! so the attestation is bound to the enrolment code and the enrolled key,
//! and a report's assertion to that report's nonce and `jti`.

use ring::digest::{Context, SHA256};
use serde::{Deserialize, Serialize};

use super::ids::EnrolmentCode;
use crate::keys::PublicJwk;

/// The prefix of an enrolment's App Attest client data.
pub const ENROL_CLIENT_DATA_PREFIX: &[u8] = b"posture-agent/app-attest/enrol/v1\0";
/// The prefix of a report's App Attest client data.
pub const REPORT_CLIENT_DATA_PREFIX: &[u8] = b"posture-agent/app-attest/report/v1\0";

/// The `app_attest` member of an iOS enrolment request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppAttestEvidence {
    /// The App Attest key id as `DCAppAttestService.generateKey` returns
    /// it: base64 (standard alphabet, padded) of the key's SHA-256.
    pub key_id: String,
    /// The attestation object from `attestKey`, base64 (standard, padded).
    pub attestation: String,
}

impl AppAttestEvidence {
    /// The evidence from what `DCAppAttestService` returns: the key id text
    /// as `generateKey` gave it, and the attestation object's bytes.
    pub fn new(key_id: impl Into<String>, attestation_object: &[u8]) -> AppAttestEvidence {
        use base64::Engine;
        AppAttestEvidence {
            key_id: key_id.into(),
            attestation: base64::engine::general_purpose::STANDARD.encode(attestation_object),
        }
    }
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut ctx = Context::new(&SHA256);
    for p in parts {
        ctx.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// The clientDataHash of an enrolment's attestation: SHA-256 of
/// [`ENROL_CLIENT_DATA_PREFIX`] ‖ the code's digest (32 bytes,
/// [`EnrolmentCode::digest`]) ‖ the JWK's RFC 7638 thumbprint as its
/// base64url text (43 ASCII characters).
pub fn enrol_client_data_hash(code: &EnrolmentCode, jwk: &PublicJwk) -> [u8; 32] {
    sha256(&[
        ENROL_CLIENT_DATA_PREFIX,
        &code.digest(),
        jwk.thumbprint().as_bytes(),
    ])
}

/// The clientDataHash of a report's assertion: SHA-256 of
/// [`REPORT_CLIENT_DATA_PREFIX`] ‖ `eat_nonce` (its ASCII text) ‖ 0x00 ‖
/// `jti` (its ASCII text).
pub fn report_client_data_hash(eat_nonce: &str, jti: &str) -> [u8; 32] {
    sha256(&[
        REPORT_CLIENT_DATA_PREFIX,
        eat_nonce.as_bytes(),
        &[0],
        jti.as_bytes(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_data_hashes_are_the_documented_byte_strings() {
        let jwk = PublicJwk::from_json(
            r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#,
        )
        .unwrap();
        let code = EnrolmentCode::new("k7pm-3qxd-9wtr");
        let mut data = b"posture-agent/app-attest/enrol/v1\0".to_vec();
        data.extend(EnrolmentCode::new("K7PM3QXD9WTR").digest());
        data.extend(jwk.thumbprint().as_bytes());
        assert_eq!(jwk.thumbprint().len(), 43);
        assert_eq!(enrol_client_data_hash(&code, &jwk), sha256(&[&data]));
        let other = EnrolmentCode::new("K7PM-3QXD-9WTX");
        assert_ne!(enrol_client_data_hash(&other, &jwk), sha256(&[&data]));
        assert_eq!(
            report_client_data_hash("n1", "j1"),
            sha256(&[b"posture-agent/app-attest/report/v1\0n1\0j1"])
        );
        assert_ne!(
            report_client_data_hash("n1", "j1"),
            report_client_data_hash("n1j", "1")
        );
    }
}
