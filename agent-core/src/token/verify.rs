//! The strict ES256 verifier: what a backend runs on every report.

use std::collections::HashMap;
use std::sync::Mutex;

use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use time::OffsetDateTime;

use super::claims::{ClaimProblem, Claims, parse_claims};
use super::header::{HeaderProblem, parse_header};
use super::{ALG, EAT_PROFILE, MAX_TOKEN_BYTES, TYP};
use crate::b64;
use crate::keys::{JwkError, PublicJwk};

/// The order of the P-256 group, big-endian: r and s must lie in [1, n-1].
const P256_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// Why a token was rejected. Each defect has its own variant so a backend
/// can log and count them; none carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The token is larger than the verifier accepts.
    #[error("token is {len} bytes; the limit is {max}")]
    TooLarge {
        /// Size of the token.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not three non-empty base64url parts separated by dots.
    #[error("token is not a JWS compact serialization: {0}")]
    Malformed(&'static str),
    /// A part is not canonical unpadded base64url.
    #[error(
        "the {0} is not canonical base64url (no padding, no other alphabet, zero trailing bits)"
    )]
    NonCanonicalBase64(&'static str),
    /// A JSON member name appears twice.
    #[error("the {part} names {member} twice; tokens with duplicate members are refused")]
    DuplicateMember {
        /// "header" or "claims".
        part: &'static str,
        /// The member named twice.
        member: String,
    },
    /// The header is not a JSON object of the expected shape.
    #[error("the protected header is not valid: {0}")]
    InvalidHeader(String),
    /// `alg` is `none`: an unsigned token.
    #[error("alg \"none\" (an unsigned token) is refused; only ES256 is accepted")]
    AlgNone,
    /// `alg` is anything but ES256 (HS*, RS*, PS*, ...), or missing.
    #[error("alg {0:?} is refused; only ES256 is accepted")]
    AlgNotAllowed(String),
    /// The header carries or points to a key (`jwk`, `jku`, `x5u`, `x5c`).
    #[error("header member {0:?} is refused: the key comes from enrolment, never from the token")]
    EmbeddedKey(String),
    /// The header has a `crit` member; no extension is understood.
    #[error("header member \"crit\" names extensions this verifier does not understand")]
    CriticalHeader,
    /// `typ` is missing or not exactly `eat+jwt`.
    #[error("typ must be exactly \"eat+jwt\"; got {0:?}")]
    WrongTyp(Option<String>),
    /// The header has no `kid`.
    #[error("the header has no kid, so no enrolled key can be chosen")]
    MissingKid,
    /// No enrolled key has this `kid`.
    #[error("no enrolled device key has kid {0:?}")]
    UnknownKid(String),
    /// The signature is not exactly 64 bytes (r ‖ s).
    #[error("the ES256 signature is {0} bytes; it must be exactly 64 (r ‖ s, not DER)")]
    SignatureLength(usize),
    /// r or s is zero or not below the group order.
    #[error("the signature's r or s is out of range for P-256")]
    SignatureOutOfRange,
    /// The signature does not verify with the key.
    #[error("the signature does not verify with the device key")]
    BadSignature,
    /// A required claim is missing.
    #[error("required claim {0:?} is missing")]
    MissingClaim(&'static str),
    /// A claim has the wrong type or value, or the payload is not a JSON object.
    #[error("claim {claim:?} is not valid: {reason}")]
    InvalidClaim {
        /// The claim (or "payload").
        claim: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// `eat_profile` names another profile.
    #[error("eat_profile {0:?} is not this verifier's profile")]
    WrongProfile(String),
    /// `exp` is not after `iat`, or the lifetime is longer than allowed.
    #[error("the token's lifetime (iat {iat}, exp {exp}) is not allowed")]
    BadLifetime {
        /// Issued at.
        iat: i64,
        /// Expiry.
        exp: i64,
    },
    /// The token has expired.
    #[error("the token expired at {exp} (now {now}, allowed skew {skew} s)")]
    Expired {
        /// Expiry.
        exp: i64,
        /// The verifier's clock.
        now: i64,
        /// Allowed clock skew.
        skew: i64,
    },
    /// `iat` is further in the future than the allowed skew.
    #[error(
        "the token claims to be issued at {iat}, in the future (now {now}, allowed skew {skew} s)"
    )]
    IssuedInFuture {
        /// Issued at.
        iat: i64,
        /// The verifier's clock.
        now: i64,
        /// Allowed clock skew.
        skew: i64,
    },
    /// `eat_nonce` is not the expected nonce.
    #[error("eat_nonce is not the nonce this report answers")]
    WrongNonce,
    /// A device request token made for another endpoint.
    #[error("this request token is for {found:?}, not {expected:?}")]
    WrongPurpose {
        /// What the endpoint needs.
        expected: String,
        /// What the token says.
        found: String,
    },
    /// This `jti` was seen before.
    #[error("report {0:?} was already received (replay)")]
    Replayed(String),
    /// The replay cache failed.
    #[error("the replay cache failed: {0}")]
    ReplayCache(String),
}

/// A public key the verifier can use, with its RFC 7638 thumbprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    kid: String,
    point: Vec<u8>,
}

impl VerifyingKey {
    /// Checks a public JWK (P-256, on the curve) and computes its `kid`.
    pub fn from_jwk(jwk: &PublicJwk) -> Result<VerifyingKey, JwkError> {
        let point = jwk.to_sec1()?;
        if !crate::keys::on_curve(&point) {
            return Err(JwkError::NotOnCurve);
        }
        Ok(VerifyingKey {
            kid: jwk.thumbprint(),
            point,
        })
    }

    /// The key's RFC 7638 thumbprint.
    pub fn kid(&self) -> &str {
        &self.kid
    }
}

/// Finds the enrolled key for a `kid`.
pub trait KeyResolver {
    /// The key with this thumbprint, if one is enrolled.
    fn resolve(&self, kid: &str) -> Option<VerifyingKey>;
}

impl KeyResolver for VerifyingKey {
    fn resolve(&self, kid: &str) -> Option<VerifyingKey> {
        (self.kid == kid).then(|| self.clone())
    }
}

impl KeyResolver for HashMap<String, VerifyingKey> {
    fn resolve(&self, kid: &str) -> Option<VerifyingKey> {
        self.get(kid).cloned()
    }
}

/// Remembers report ids until they expire, so a replay is caught.
pub trait ReplayCache {
    /// Records `jti` (valid until `exp`); `Ok(false)` when it was already
    /// recorded. Must be atomic: two calls with one `jti` cannot both see `true`.
    fn insert_if_new(&self, jti: &str, exp: i64) -> Result<bool, ReplayError>;
}

/// A replay cache failure (for example its database is unreachable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ReplayError(pub String);

/// An in-process replay cache that forgets ids once their token expired.
#[derive(Debug, Default)]
pub struct MemoryReplayCache {
    seen: Mutex<HashMap<String, i64>>,
}

impl ReplayCache for MemoryReplayCache {
    fn insert_if_new(&self, jti: &str, exp: i64) -> Result<bool, ReplayError> {
        let mut seen = self
            .seen
            .lock()
            .map_err(|_| ReplayError("replay cache lock poisoned".into()))?;
        if seen.contains_key(jti) {
            return Ok(false);
        }
        // Prune now and then: an expired token is refused on `exp` anyway.
        if seen.len() >= 4096 && seen.len().is_power_of_two() {
            let now = OffsetDateTime::now_utc().unix_timestamp();
            seen.retain(|_, e| *e + 3600 > now);
        }
        seen.insert(jti.to_owned(), exp);
        Ok(true)
    }
}

/// How the nonce is checked.
#[derive(Debug, Clone, Copy)]
pub enum NonceCheck<'a> {
    /// `eat_nonce` must equal this.
    Exact(&'a str),
    /// The caller judges freshness itself from `claims.eat_nonce` (a server
    /// that accepts offline reports as historical).
    ByCaller,
}

/// A token that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The key's thumbprint from the header.
    pub kid: String,
    /// The verified claims.
    pub claims: Claims,
}

/// The verifier's settings.
#[derive(Debug, Clone)]
pub struct Verifier {
    /// Allowed clock skew, seconds, for `exp` and `iat`.
    pub skew_secs: i64,
    /// Longest allowed `exp - iat`, seconds.
    pub max_lifetime_secs: i64,
    /// Largest token accepted, bytes.
    pub max_token_bytes: usize,
}

impl Default for Verifier {
    /// Protocol v1's settings: 300 s of clock skew
    /// ([`crate::protocol::limits::CLOCK_SKEW_SECS`]), a lifetime of at
    /// most 24 h, tokens of at most 64 KiB.
    fn default() -> Verifier {
        Verifier {
            skew_secs: crate::protocol::limits::CLOCK_SKEW_SECS as i64,
            max_lifetime_secs: 24 * 3600,
            max_token_bytes: MAX_TOKEN_BYTES,
        }
    }
}

struct Parts<'t> {
    header: &'t str,
    payload: &'t str,
    signature: &'t str,
}

fn split(token: &str, max: usize) -> Result<Parts<'_>, VerifyError> {
    if token.len() > max {
        return Err(VerifyError::TooLarge {
            len: token.len(),
            max,
        });
    }
    let mut it = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (it.next(), it.next(), it.next(), it.next())
    else {
        return Err(VerifyError::Malformed("it must have exactly three parts"));
    };
    if header.is_empty() || payload.is_empty() || signature.is_empty() {
        return Err(VerifyError::Malformed("a part is empty"));
    }
    Ok(Parts {
        header,
        payload,
        signature,
    })
}

fn decode(part: &str, name: &'static str) -> Result<Vec<u8>, VerifyError> {
    b64::decode(part).map_err(|_| VerifyError::NonCanonicalBase64(name))
}

/// Checks the header (ES256 only, no embedded keys, no `crit`) and returns
/// `typ` and `kid`.
fn check_header(part: &str) -> Result<(Option<String>, Option<String>), VerifyError> {
    let json = decode(part, "header")?;
    let header = parse_header(&json).map_err(|p| match p {
        HeaderProblem::Duplicate(member) => VerifyError::DuplicateMember {
            part: "header",
            member,
        },
        HeaderProblem::Invalid(why) => VerifyError::InvalidHeader(why),
    })?;
    match header.alg.as_deref() {
        Some(ALG) => {}
        Some(a) if a.eq_ignore_ascii_case("none") => return Err(VerifyError::AlgNone),
        other => return Err(VerifyError::AlgNotAllowed(other.unwrap_or("").to_owned())),
    }
    if let Some(member) = header.embedded_key {
        return Err(VerifyError::EmbeddedKey(member));
    }
    if header.crit {
        return Err(VerifyError::CriticalHeader);
    }
    Ok((header.typ, header.kid))
}

/// Checks only the ES256 signature of a JWS with a given key (header `alg`
/// ES256, no embedded key), returning the payload bytes. For test vectors
/// and non-EAT uses; reports go through [`Verifier::verify`].
pub fn verify_signature(token: &str, key: &VerifyingKey) -> Result<Vec<u8>, VerifyError> {
    let parts = split(token, MAX_TOKEN_BYTES)?;
    check_header(parts.header)?;
    check_signature(token, &parts, key)?;
    decode(parts.payload, "payload")
}

/// Checks the signature over the first two parts exactly as they were sent.
fn check_signature(token: &str, parts: &Parts<'_>, key: &VerifyingKey) -> Result<(), VerifyError> {
    let signature = decode(parts.signature, "signature")?;
    if signature.len() != 64 {
        return Err(VerifyError::SignatureLength(signature.len()));
    }
    let (r, s) = signature.split_at(32);
    let in_range = |x: &[u8]| x.iter().any(|b| *b != 0) && x < P256_N.as_slice();
    if !in_range(r) || !in_range(s) {
        return Err(VerifyError::SignatureOutOfRange);
    }
    let input = &token.as_bytes()[..parts.header.len() + 1 + parts.payload.len()];
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &key.point)
        .verify(input, &signature)
        .map_err(|_| VerifyError::BadSignature)
}

impl Verifier {
    /// Verifies a posture report: structure, header, signature with the
    /// enrolled key named by `kid`, claims, time, nonce, and finally the
    /// replay cache (last, so a token failing any other check is not
    /// remembered).
    pub fn verify(
        &self,
        token: &str,
        keys: &dyn KeyResolver,
        nonce: NonceCheck<'_>,
        replay: &dyn ReplayCache,
        now: OffsetDateTime,
    ) -> Result<VerifiedToken, VerifyError> {
        let (kid, payload) = self.verify_jws(token, keys, TYP)?;
        let claims = parse_claims(&payload).map_err(|p| match p {
            ClaimProblem::Duplicate(member) => VerifyError::DuplicateMember {
                part: "claims",
                member,
            },
            ClaimProblem::Missing(claim) => VerifyError::MissingClaim(claim),
            ClaimProblem::Invalid(claim, reason) => VerifyError::InvalidClaim { claim, reason },
        })?;
        if claims.eat_profile != EAT_PROFILE {
            return Err(VerifyError::WrongProfile(claims.eat_profile));
        }
        self.check_time(&claims, now.unix_timestamp())?;
        if let NonceCheck::Exact(expected) = nonce
            && claims.eat_nonce.as_str() != expected
        {
            return Err(VerifyError::WrongNonce);
        }
        match replay.insert_if_new(claims.jti.as_str(), claims.exp) {
            Ok(true) => Ok(VerifiedToken { kid, claims }),
            Ok(false) => Err(VerifyError::Replayed(claims.jti.into())),
            Err(e) => Err(VerifyError::ReplayCache(e.0)),
        }
    }

    /// Checks structure, header (with `typ`), `kid` and signature; returns
    /// the `kid` and the payload bytes.
    pub(crate) fn verify_jws(
        &self,
        token: &str,
        keys: &dyn KeyResolver,
        typ: &str,
    ) -> Result<(String, Vec<u8>), VerifyError> {
        let parts = split(token, self.max_token_bytes)?;
        let (found_typ, kid) = check_header(parts.header)?;
        if found_typ.as_deref() != Some(typ) {
            return Err(VerifyError::WrongTyp(found_typ));
        }
        let kid = kid.ok_or(VerifyError::MissingKid)?;
        let key = keys
            .resolve(&kid)
            .ok_or_else(|| VerifyError::UnknownKid(kid.clone()))?;
        check_signature(token, &parts, &key)?;
        let payload = decode(parts.payload, "payload")?;
        Ok((kid, payload))
    }

    fn check_time(&self, claims: &Claims, now: i64) -> Result<(), VerifyError> {
        self.check_times(claims.iat, claims.exp, self.max_lifetime_secs, now)
    }

    /// Lifetime, expiry and issue-time checks shared by every token kind.
    pub(crate) fn check_times(
        &self,
        iat: i64,
        exp: i64,
        max_lifetime: i64,
        now: i64,
    ) -> Result<(), VerifyError> {
        let skew = self.skew_secs;
        if exp <= iat || exp.saturating_sub(iat) > max_lifetime {
            return Err(VerifyError::BadLifetime { iat, exp });
        }
        if exp.saturating_add(skew) <= now {
            return Err(VerifyError::Expired { exp, now, skew });
        }
        if iat > now.saturating_add(skew) {
            return Err(VerifyError::IssuedInFuture { iat, now, skew });
        }
        Ok(())
    }
}
