//! Signed attestation results (protocol §5.3.2): an EAR
//! (draft-ietf-rats-ear) as a JWT, ES256, signed with the collector's own
//! key, bound to the device key by `cnf.jkt`; the key's public half is
//! published as a JWK set.
//!
//! The claims are written with serde: the `ear` crate needs OpenSSL and a
//! second crypto library (aws-lc-rs through jsonwebtoken), and this crate
//! keeps to ring.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use agent_core::keys::PublicJwk;
use agent_core::policy::{Compliance, Outcome, RuleId, Verdict};
use agent_core::protocol::{Assessment, AssuranceLevel, AttestedBootState, FactRecord, Provenance};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::attestation::Attested;
use crate::error::CollectorError;
use crate::files;

/// The EAR profile (draft-ietf-rats-ear §3).
pub const EAR_PROFILE: &str = "tag:github.com,2023:veraison/ear";
/// The one submodule this collector appraises.
pub const SUBMOD: &str = "posture";
/// Who built the verifier, in `ear.verifier-id`.
pub const DEVELOPER: &str = "https://github.com/posture-agent";
/// Largest signing-key file read, in bytes.
const MAX_KEY_FILE_BYTES: u64 = 16 * 1024;
const PEM_LABEL: &str = "PRIVATE KEY";

/// An appraisal's tier (draft-ietf-rats-ar4si §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nothing appraised.
    None,
    /// Compliant.
    Affirming,
    /// Needs attention.
    Warning,
    /// Non-compliant.
    Contraindicated,
}

/// `ear.verifier-id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifierId {
    /// Who made the verifier.
    pub developer: String,
    /// Which build.
    pub build: String,
}

/// The AR4SI trustworthiness claims this collector makes; a claim it has
/// no basis for is left out (protocol §5.3.2 gives the mapping).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct TrustVector {
    /// The device key is the enrolled one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_identity: Option<i8>,
    /// The OS version, patch level and settings the policy checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<i8>,
    /// Integrity indicators and the attested boot state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executables: Option<i8>,
    /// The device key lives in attested hardware.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware: Option<i8>,
}

/// The `posture` submodule's appraisal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appraisal {
    /// The tier.
    #[serde(rename = "ear.status")]
    pub status: Status,
    /// The trustworthiness claims.
    #[serde(rename = "ear.trustworthiness-vector")]
    pub vector: TrustVector,
    /// The policy, by name and revision.
    #[serde(rename = "ear.appraisal-policy-id")]
    pub policy_id: String,
    /// Extension: the verdict's compliance.
    #[serde(rename = "posture-agent.compliance")]
    pub compliance: Compliance,
    /// Extension: the verdict's assurance level.
    #[serde(rename = "posture-agent.assurance")]
    pub assurance: AssuranceLevel,
    /// Extension: each finding's fact and provenance.
    #[serde(rename = "posture-agent.facts")]
    pub facts: Vec<FactRecord>,
}

/// `cnf` (RFC 7800): the device key the result is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The device key's RFC 7638 thumbprint.
    pub jkt: String,
}

/// The claims of an attestation result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarClaims {
    /// [`EAR_PROFILE`].
    pub eat_profile: String,
    /// Issued at.
    pub iat: i64,
    /// Expires at: when the device's next check-in is due.
    pub exp: i64,
    /// The device id.
    pub sub: String,
    /// Who appraised.
    #[serde(rename = "ear.verifier-id")]
    pub verifier_id: VerifierId,
    /// The device key.
    pub cnf: Confirmation,
    /// One appraisal, [`SUBMOD`].
    pub submods: BTreeMap<String, Appraisal>,
}

/// What an attestation result is issued about.
pub(crate) struct Subject<'a> {
    pub device_id: &'a str,
    /// The device key's thumbprint.
    pub jkt: &'a str,
    pub verdict: &'a Verdict,
    pub assessment: &'a Assessment,
    pub attested: Option<&'a Attested>,
    pub iat: i64,
    pub lifetime_secs: i64,
}

/// When the result expires: after its lifetime, or when the first grace
/// deadline among the verdict's warnings turns it into a block, if that
/// is sooner, so a gateway never holds a "warning" past the block's
/// start.
fn expiry(s: &Subject<'_>) -> i64 {
    let lifetime = s.iat.saturating_add(s.lifetime_secs);
    s.verdict
        .findings
        .iter()
        .filter(|f| f.outcome == Outcome::Warn)
        .filter_map(|f| f.deadline)
        .map(|d| crate::events::deadlines::block_starts(d).unix_timestamp())
        .min()
        .map_or(lifetime, |block| {
            lifetime.min(block.max(s.iat.saturating_add(1)))
        })
}

/// The claims for `s`.
pub(crate) fn claims(s: &Subject<'_>) -> EarClaims {
    let applicable = || {
        s.verdict
            .findings
            .iter()
            .filter(|f| f.outcome != Outcome::NotApplicable)
    };
    let status = match (applicable().next(), s.verdict.compliance) {
        (None, _) => Status::None,
        (Some(_), Compliance::Compliant) => Status::Affirming,
        (Some(_), Compliance::Warning) => Status::Warning,
        (Some(_), Compliance::NonCompliant) => Status::Contraindicated,
    };
    let tier = |o: Outcome| match o {
        Outcome::Fail => 96,
        Outcome::Warn => 32,
        Outcome::Pass | Outcome::NotApplicable => 2,
    };
    let configuration = applicable()
        .filter(|f| {
            !matches!(
                f.rule,
                RuleId::Integrity | RuleId::Assurance | RuleId::AttestationPin
            )
        })
        .map(|f| tier(f.outcome))
        .max();
    let hardware_key = s.attested.filter(|a| a.provenance == Provenance::Hardware);
    let boot_verified = hardware_key.is_some_and(|a| {
        a.summary.verified_boot_state == Some(AttestedBootState::Verified)
            && a.summary.device_locked == Some(true)
    });
    let executables = applicable()
        .find(|f| f.rule == RuleId::Integrity)
        .and_then(|f| match f.outcome {
            Outcome::Fail => Some(96),
            Outcome::Warn => Some(32),
            // Heuristics alone are no basis for an "approved" claim.
            Outcome::Pass if boot_verified => Some(3),
            Outcome::Pass | Outcome::NotApplicable => None,
        });
    let appraisal = Appraisal {
        status,
        vector: TrustVector {
            instance_identity: Some(2),
            configuration,
            executables,
            hardware: hardware_key.map(|_| 2),
        },
        policy_id: format!(
            "tag:posture-agent.dev,2026:policy/{}/{}",
            s.verdict.policy.name, s.verdict.policy.revision
        ),
        compliance: s.verdict.compliance,
        assurance: s.assessment.assurance,
        facts: s.assessment.facts.clone(),
    };
    EarClaims {
        eat_profile: EAR_PROFILE.to_owned(),
        iat: s.iat,
        exp: expiry(s),
        sub: s.device_id.to_owned(),
        verifier_id: VerifierId {
            developer: DEVELOPER.to_owned(),
            build: format!("posture-collector {}", env!("CARGO_PKG_VERSION")),
        },
        cnf: Confirmation {
            jkt: s.jkt.to_owned(),
        },
        submods: BTreeMap::from([(SUBMOD.to_owned(), appraisal)]),
    }
}

/// The collector's signing key. Debug shows only its `kid`.
pub(crate) struct Signer {
    pair: EcdsaKeyPair,
    jwk: PublicJwk,
    kid: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer(ES256, kid {})", self.kid)
    }
}

impl Signer {
    /// The key from `file` (made there, 0600, when the file does not
    /// exist), else the one kept in the database (made at first start).
    pub fn load(conn: &Connection, file: Option<&Path>) -> Result<Signer, CollectorError> {
        if let Some(path) = file {
            return Signer::from_file(path);
        }
        let stored = conn
            .query_row(
                "SELECT pkcs8 FROM signing_keys ORDER BY created_at DESC LIMIT 1",
                [],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .optional()?;
        if let Some(pkcs8) = stored {
            return Signer::from_stored(&pkcs8);
        }
        let pkcs8 = Signer::generate_pkcs8()?;
        let signer = Signer::from_stored(&pkcs8)?;
        conn.execute(
            "INSERT INTO signing_keys (kid, pkcs8, created_at) VALUES (?1, ?2, ?3)",
            params![
                signer.kid,
                pkcs8,
                time::OffsetDateTime::now_utc().unix_timestamp()
            ],
        )?;
        Ok(signer)
    }

    /// The key from `file`, made there (0600) when it does not exist.
    pub fn from_file(path: &Path) -> Result<Signer, CollectorError> {
        let rng = SystemRandom::new();
        let pkcs8 = if path.exists() {
            read_key_file(path)?
        } else {
            let pkcs8 = generate(&rng)?;
            write_key_file(path, &pkcs8)?;
            pkcs8
        };
        Signer::from_pkcs8(&pkcs8, rng)
    }

    /// A key kept in a database (PKCS#8).
    pub fn from_stored(pkcs8: &[u8]) -> Result<Signer, CollectorError> {
        Signer::from_pkcs8(pkcs8, SystemRandom::new())
    }

    /// A new key, PKCS#8, for a database to keep.
    pub fn generate_pkcs8() -> Result<Vec<u8>, CollectorError> {
        generate(&SystemRandom::new())
    }

    /// The key's RFC 7638 thumbprint, its `kid`, as stored beside it.
    pub fn key_id(&self) -> &str {
        &self.kid
    }

    fn from_pkcs8(pkcs8: &[u8], rng: SystemRandom) -> Result<Signer, CollectorError> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
            .map_err(|_| {
                CollectorError::Config(
                    "the attestation-result signing key is not an EC P-256 PKCS#8 key".into(),
                )
            })?;
        let jwk = PublicJwk::from_sec1(pair.public_key().as_ref())
            .map_err(|e| CollectorError::Config(format!("the signing key's public half: {e}")))?;
        let kid = jwk.thumbprint();
        Ok(Signer {
            pair,
            jwk,
            kid,
            rng,
        })
    }

    /// The key's RFC 7638 thumbprint, its `kid`.
    #[cfg(test)]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// `GET /.well-known/jwks.json`: the public key as a JWK set.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": [{
            "kty": "EC", "crv": "P-256", "x": self.jwk.x, "y": self.jwk.y,
            "kid": self.kid, "alg": "ES256", "use": "sig",
        }]})
    }

    /// Signs `claims` as a compact JWS.
    pub fn sign(&self, claims: &EarClaims) -> Result<String, String> {
        let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": self.kid});
        let header = serde_json::to_vec(&header).map_err(|e| e.to_string())?;
        let payload = serde_json::to_vec(claims).map_err(|e| e.to_string())?;
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let signature = self
            .pair
            .sign(&self.rng, input.as_bytes())
            .map_err(|_| "signing the attestation result failed".to_owned())?;
        Ok(format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        ))
    }
}

/// Why an attestation result was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResultError {
    /// The JWK set has no usable key with the token's `kid`.
    #[error("no key in the JWK set has the result's kid")]
    UnknownKey,
    /// The signature, header or encoding is wrong.
    #[error("the attestation result does not verify: {0}")]
    Invalid(String),
    /// Past its `exp`.
    #[error("the attestation result expired at {exp} (now {now})")]
    Expired {
        /// Its `exp`.
        exp: i64,
        /// The time it was checked at.
        now: i64,
    },
    /// Not an EAR of this profile.
    #[error("the attestation result's eat_profile is {0:?}, not {EAR_PROFILE}")]
    Profile(String),
}

/// Verifies an attestation result as a relying party would: ES256 with
/// the key of `jwks` its `kid` names, unexpired at `now` (seconds), the EAR
/// profile. Returns its claims.
pub fn verify_attestation_result(
    token: &str,
    jwks: &serde_json::Value,
    now: i64,
) -> Result<EarClaims, ResultError> {
    use agent_core::token::{VerifyingKey, verify_signature};
    let header = token.split('.').next().unwrap_or_default();
    let header: serde_json::Value = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or_else(|| ResultError::Invalid("the header is not base64url JSON".into()))?;
    let kid = header["kid"].as_str().ok_or(ResultError::UnknownKey)?;
    let key = jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|k| k["kid"].as_str() == Some(kid))
        .find_map(|k| PublicJwk::from_json(&k.to_string()).ok())
        .and_then(|jwk| VerifyingKey::from_jwk(&jwk).ok())
        .filter(|k| k.kid() == kid)
        .ok_or(ResultError::UnknownKey)?;
    let payload = verify_signature(token, &key).map_err(|e| ResultError::Invalid(e.to_string()))?;
    let claims: EarClaims =
        serde_json::from_slice(&payload).map_err(|e| ResultError::Invalid(e.to_string()))?;
    if claims.eat_profile != EAR_PROFILE {
        return Err(ResultError::Profile(claims.eat_profile));
    }
    if now >= claims.exp {
        return Err(ResultError::Expired {
            exp: claims.exp,
            now,
        });
    }
    Ok(claims)
}

fn generate(rng: &SystemRandom) -> Result<Vec<u8>, CollectorError> {
    EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, rng)
        .map(|d| d.as_ref().to_vec())
        .map_err(|_| CollectorError::Random)
}

fn key_file_error(path: &Path, why: impl std::fmt::Display) -> CollectorError {
    CollectorError::Config(format!("the signing key file {}: {why}", path.display()))
}

/// Reads a PEM `PRIVATE KEY` (PKCS#8) file, bounded, refusing one that
/// others can read.
fn read_key_file(path: &Path) -> Result<Vec<u8>, CollectorError> {
    let meta = std::fs::metadata(path).map_err(|e| key_file_error(path, e))?;
    if !meta.is_file() {
        return Err(key_file_error(path, "not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(key_file_error(
                path,
                "group or others may read it; make it private with chmod 600",
            ));
        }
    }
    if meta.len() > MAX_KEY_FILE_BYTES {
        return Err(key_file_error(
            path,
            format!("larger than the {MAX_KEY_FILE_BYTES} bytes accepted"),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| key_file_error(path, e))?;
    let begin = format!("-----BEGIN {PEM_LABEL}-----");
    let end = format!("-----END {PEM_LABEL}-----");
    let body = text
        .split_once(&begin)
        .and_then(|(_, rest)| rest.split_once(&end))
        .map(|(body, _)| body)
        .ok_or_else(|| key_file_error(path, format!("no {begin} block (PKCS#8 PEM)")))?;
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD
        .decode(b64)
        .map_err(|_| key_file_error(path, "the PEM block is not base64"))
}

fn write_key_file(path: &Path, pkcs8: &[u8]) -> Result<(), CollectorError> {
    files::make_private_file(path)?;
    let b64 = STANDARD.encode(pkcs8);
    let mut pem = format!("-----BEGIN {PEM_LABEL}-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {PEM_LABEL}-----\n"));
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .and_then(|mut f| f.write_all(pem.as_bytes()))
        .map_err(|e| key_file_error(path, e))
}

#[cfg(test)]
#[path = "ear_tests.rs"]
mod tests;
