//! Device request tokens: short-lived ES256 JWSs (`typ`
//! `posture-request+jwt`) that authenticate a challenge or unenrol request
//! with the device key (protocol §4.2).

use time::OffsetDateTime;

use super::SignError;
use super::verify::{KeyResolver, ReplayCache, Verifier, VerifyError};
use crate::keys::{DeviceSigner, KeyError};
use crate::protocol::{DeviceId, DeviceRequestClaims, Jti, Nonce, RequestPurpose};

/// The `typ` of a device request token.
pub const REQUEST_TYP: &str = crate::protocol::names::REQUEST_TYP;
/// Longest lifetime of a request token, seconds.
pub const MAX_REQUEST_LIFETIME_SECS: i64 = 300;

/// A request token that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRequest {
    /// The key's thumbprint.
    pub kid: String,
    /// The verified claims.
    pub claims: DeviceRequestClaims,
}

/// Claims for a request made now: random `jti`, lifetime 120 s.
pub fn request_claims(
    device_id: &DeviceId,
    purpose: RequestPurpose,
    nonce: Option<Nonce>,
    now: OffsetDateTime,
) -> Result<DeviceRequestClaims, KeyError> {
    let iat = now.unix_timestamp();
    Ok(DeviceRequestClaims {
        sub: device_id.clone(),
        purpose,
        iat,
        exp: iat + 120,
        jti: Jti::random()?,
        eat_nonce: nonce,
    })
}

/// Signs a device request token.
pub fn sign_request(
    claims: &DeviceRequestClaims,
    signer: &dyn DeviceSigner,
) -> Result<String, SignError> {
    super::sign_jws(REQUEST_TYP, claims, signer)
}

fn purpose_name(p: RequestPurpose) -> &'static str {
    match p {
        RequestPurpose::Challenge => "challenge",
        RequestPurpose::Unenrol => "unenrol",
    }
}

impl Verifier {
    /// Verifies a device request token for `purpose`: the same header and
    /// signature rules as a report, then purpose, lifetime (≤ 300 s), time
    /// and the replay cache. The nonce of an unenrol request is the
    /// caller's to check against the device's latest.
    pub fn verify_request(
        &self,
        token: &str,
        keys: &dyn KeyResolver,
        purpose: RequestPurpose,
        replay: &dyn ReplayCache,
        now: OffsetDateTime,
    ) -> Result<VerifiedRequest, VerifyError> {
        let (kid, payload) = self.verify_jws(token, keys, REQUEST_TYP)?;
        let claims: DeviceRequestClaims = serde_json::from_slice(&payload).map_err(|e| {
            let text = e.to_string();
            if text.starts_with("duplicate field") {
                VerifyError::DuplicateMember {
                    part: "claims",
                    member: text,
                }
            } else {
                VerifyError::InvalidClaim {
                    claim: "payload",
                    reason: text,
                }
            }
        })?;
        if claims.purpose != purpose {
            return Err(VerifyError::WrongPurpose {
                expected: purpose_name(purpose).into(),
                found: purpose_name(claims.purpose).into(),
            });
        }
        self.check_times(
            claims.iat,
            claims.exp,
            MAX_REQUEST_LIFETIME_SECS,
            now.unix_timestamp(),
        )?;
        match replay.insert_if_new(claims.jti.as_str(), claims.exp) {
            Ok(true) => Ok(VerifiedRequest { kid, claims }),
            Ok(false) => Err(VerifyError::Replayed(claims.jti.as_str().to_owned())),
            Err(e) => Err(VerifyError::ReplayCache(e.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SoftwareSigner;
    use crate::token::{MemoryReplayCache, VerifyingKey};

    #[test]
    fn request_tokens_round_trip_and_are_bound_to_their_purpose() {
        let signer = SoftwareSigner::ephemeral().unwrap();
        let key = VerifyingKey::from_jwk(&signer.public_jwk().unwrap()).unwrap();
        let now = OffsetDateTime::now_utc();
        let id = DeviceId::new("dev-1").unwrap();
        let claims = request_claims(&id, RequestPurpose::Challenge, None, now).unwrap();
        let token = sign_request(&claims, &signer).unwrap();
        let cache = MemoryReplayCache::default();
        let v = Verifier::default();
        assert!(matches!(
            v.verify_request(&token, &key, RequestPurpose::Unenrol, &cache, now),
            Err(VerifyError::WrongPurpose { .. })
        ));
        let ok = v
            .verify_request(&token, &key, RequestPurpose::Challenge, &cache, now)
            .unwrap();
        assert_eq!(ok.claims, claims);
        assert!(matches!(
            v.verify_request(&token, &key, RequestPurpose::Challenge, &cache, now),
            Err(VerifyError::Replayed(_))
        ));
        // A report verifier refuses a request token (typ), and vice versa.
        assert!(matches!(
            v.verify(&token, &key, crate::token::NonceCheck::ByCaller, &cache, now),
            Err(VerifyError::WrongTyp(Some(t))) if t == REQUEST_TYP
        ));
        let mut long = claims.clone();
        long.exp = long.iat + 301;
        long.jti = Jti::new("other-jti").unwrap();
        let token = sign_request(&long, &signer).unwrap();
        assert!(matches!(
            v.verify_request(&token, &key, RequestPurpose::Challenge, &cache, now),
            Err(VerifyError::BadLifetime { .. })
        ));
    }
}
