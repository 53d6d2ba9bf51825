//! The collector's attestation result (an EAR, draft-ietf-rats-ear, as a
//! JWT; protocol §5.3.2) as the agent keeps it: checked for shape and for
//! naming this device, never for the collector's signature.
//!
//! The agent has no trusted copy of the collector's key (the JWK set at
//! `/.well-known/jwks.json` comes over the same channel as the result), so
//! verifying the signature here would prove nothing; the relying party the
//! device hands the result to verifies it. What the agent does check is
//! that it would not hand over something useless or someone else's: a
//! well-formed ES256 JWS whose claims are an EAR about this device id and
//! bound (`cnf.jkt`) to this device's key.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::b64;
use crate::protocol::AssuranceLevel;

/// The EAR profile (draft-ietf-rats-ear §3).
pub const EAR_PROFILE: &str = "tag:github.com,2023:veraison/ear";
/// The submodule the collector appraises.
pub const EAR_SUBMOD: &str = "posture";
/// Largest attestation result kept, in bytes.
pub const MAX_RESULT_BYTES: usize = 16 * 1024;

/// An appraisal's tier (`ear.status`, draft-ietf-rats-ar4si §2.3.1).
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EarStatus {
    /// Nothing was appraised.
    None,
    /// Compliant.
    Affirming,
    /// Needs attention.
    Warning,
    /// Non-compliant.
    Contraindicated,
}

impl EarStatus {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            EarStatus::None => "none",
            EarStatus::Affirming => "affirming",
            EarStatus::Warning => "warning",
            EarStatus::Contraindicated => "contraindicated",
        }
    }
}

impl fmt::Display for EarStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an attestation result says, without the token itself.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationSummary {
    /// `submods.posture["ear.status"]`.
    pub status: EarStatus,
    /// The collector's assurance level for the verdict, when it names one.
    pub assurance: Option<AssuranceLevel>,
    /// `ear.appraisal-policy-id`, when present.
    pub policy_id: Option<String>,
    /// When the collector issued it (`iat`).
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// When it stops being valid (`exp`).
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl AttestationSummary {
    /// Whether it has expired at `now`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        now >= self.expires_at
    }
}

/// A checked attestation result. The token is a bearer-style credential a
/// gateway may accept, so Debug never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct AttestationResult {
    token: String,
    summary: AttestationSummary,
}

impl fmt::Debug for AttestationResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttestationResult")
            .field("token", &"<redacted>")
            .field("summary", &self.summary)
            .finish()
    }
}

impl AttestationResult {
    /// The compact JWS, as the collector sent it.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// What it says.
    pub fn summary(&self) -> &AttestationSummary {
        &self.summary
    }
}

/// Why an attestation result was not kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResultError {
    /// Not a compact JWS of the expected shape.
    #[error("the attestation result is not a compact ES256 JWS: {0}")]
    Malformed(String),
    /// The claims are not an EAR this agent understands.
    #[error("the attestation result's claims are not an EAR: {0}")]
    Claims(String),
    /// It is about another device id.
    #[error("the attestation result is about device {found:?}, not this device {expected:?}")]
    WrongDevice {
        /// This device's id.
        expected: String,
        /// The `sub` it names.
        found: String,
    },
    /// It is bound to another key.
    #[error("the attestation result is bound to key {found:?}, not this device's key {expected:?}")]
    WrongKey {
        /// This device key's thumbprint.
        expected: String,
        /// The `cnf.jkt` it names.
        found: String,
    },
}

#[derive(Deserialize)]
struct RawHeader {
    alg: String,
}

#[derive(Deserialize)]
struct RawClaims {
    eat_profile: String,
    iat: i64,
    exp: i64,
    sub: String,
    cnf: RawCnf,
    submods: std::collections::BTreeMap<String, RawAppraisal>,
}

#[derive(Deserialize)]
struct RawCnf {
    jkt: String,
}

#[derive(Deserialize)]
struct RawAppraisal {
    #[serde(rename = "ear.status")]
    status: EarStatus,
    #[serde(rename = "ear.appraisal-policy-id", default)]
    policy_id: Option<String>,
    // Read loosely: a collector may not name a level, or a newer one may
    // name one this agent does not know; neither makes the result unusable.
    #[serde(rename = "posture-agent.assurance", default)]
    assurance: Option<serde_json::Value>,
}

/// Checks `token` as an attestation result about `device_id` bound to the
/// key whose RFC 7638 thumbprint is `device_jkt`: three canonical
/// base64url parts, header `alg` ES256, a 64-byte signature, the EAR
/// profile, integer `iat` < `exp`, the `posture` submodule's `ear.status`.
/// The signature is not verified (see the module documentation).
pub fn parse_attestation_result(
    token: &str,
    device_id: &str,
    device_jkt: &str,
) -> Result<AttestationResult, ResultError> {
    if token.len() > MAX_RESULT_BYTES {
        return Err(ResultError::Malformed(format!(
            "{} bytes, more than the {MAX_RESULT_BYTES} accepted",
            token.len()
        )));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ResultError::Malformed(
            "it does not have three parts".into(),
        ));
    };
    let part = |name: &str, text: &str| {
        b64::decode(text)
            .map_err(|_| ResultError::Malformed(format!("the {name} is not base64url")))
    };
    let header: RawHeader = serde_json::from_slice(&part("header", header)?)
        .map_err(|e| ResultError::Malformed(format!("the header: {e}")))?;
    if header.alg != super::ALG {
        return Err(ResultError::Malformed(format!(
            "alg {:?}, not {}",
            header.alg.chars().take(16).collect::<String>(),
            super::ALG
        )));
    }
    if part("signature", signature)?.len() != 64 {
        return Err(ResultError::Malformed(
            "the signature is not 64 bytes (ES256 r||s)".into(),
        ));
    }
    let claims: RawClaims = serde_json::from_slice(&part("payload", payload)?)
        .map_err(|e| ResultError::Claims(e.to_string()))?;
    if claims.eat_profile != EAR_PROFILE {
        return Err(ResultError::Claims(format!(
            "eat_profile {:?}, not {EAR_PROFILE}",
            claims.eat_profile.chars().take(64).collect::<String>()
        )));
    }
    if claims.sub != device_id {
        return Err(ResultError::WrongDevice {
            expected: device_id.to_owned(),
            found: claims.sub.chars().take(64).collect(),
        });
    }
    if claims.cnf.jkt != device_jkt {
        return Err(ResultError::WrongKey {
            expected: device_jkt.to_owned(),
            found: claims.cnf.jkt.chars().take(64).collect(),
        });
    }
    let time = |name: &str, secs: i64| {
        OffsetDateTime::from_unix_timestamp(secs)
            .map_err(|_| ResultError::Claims(format!("{name} {secs} is out of range")))
    };
    let issued_at = time("iat", claims.iat)?;
    let expires_at = time("exp", claims.exp)?;
    if expires_at <= issued_at {
        return Err(ResultError::Claims(format!(
            "exp {} is not after iat {}",
            claims.exp, claims.iat
        )));
    }
    let appraisal = claims
        .submods
        .get(EAR_SUBMOD)
        .ok_or_else(|| ResultError::Claims(format!("no {EAR_SUBMOD:?} submodule")))?;
    let assurance = appraisal
        .assurance
        .as_ref()
        .and_then(|v| serde_json::from_value::<AssuranceLevel>(v.clone()).ok());
    Ok(AttestationResult {
        token: token.to_owned(),
        summary: AttestationSummary {
            status: appraisal.status,
            assurance,
            policy_id: appraisal.policy_id.clone(),
            issued_at,
            expires_at,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DEVICE: &str = "dev-1";
    const JKT: &str = "jkt-of-the-device-key";

    fn claims() -> serde_json::Value {
        json!({
            "eat_profile": EAR_PROFILE,
            "iat": 1_800_000_000,
            "exp": 1_800_003_600,
            "sub": DEVICE,
            "ear.verifier-id": {"developer": "x", "build": "y"},
            "cnf": {"jkt": JKT},
            "submods": {"posture": {
                "ear.status": "affirming",
                "ear.trustworthiness-vector": {"instance-identity": 2},
                "ear.appraisal-policy-id": "tag:posture-agent.dev,2026:policy/nhs/3",
                "posture-agent.assurance": "hardware",
            }},
        })
    }

    fn token_with(header: serde_json::Value, claims: &serde_json::Value, sig_len: usize) -> String {
        format!(
            "{}.{}.{}",
            b64::encode(header.to_string().as_bytes()),
            b64::encode(claims.to_string().as_bytes()),
            b64::encode(&vec![7u8; sig_len])
        )
    }

    fn token(claims: &serde_json::Value) -> String {
        token_with(
            json!({"alg": "ES256", "typ": "JWT", "kid": "k"}),
            claims,
            64,
        )
    }

    #[test]
    fn a_well_formed_result_for_this_device_is_summarised() {
        let t = token(&claims());
        let r = parse_attestation_result(&t, DEVICE, JKT).unwrap();
        assert_eq!(r.token(), t);
        let s = r.summary();
        assert_eq!(s.status, EarStatus::Affirming);
        assert_eq!(s.assurance, Some(AssuranceLevel::Hardware));
        assert_eq!(
            s.policy_id.as_deref(),
            Some("tag:posture-agent.dev,2026:policy/nhs/3")
        );
        assert_eq!(s.issued_at.unix_timestamp(), 1_800_000_000);
        assert_eq!(s.expires_at.unix_timestamp(), 1_800_003_600);
        assert!(!s.is_expired(s.issued_at));
        assert!(s.is_expired(s.expires_at));
        // Debug never shows the token.
        let debug = format!("{r:?}");
        assert!(!debug.contains(&t), "{debug}");
        assert!(!debug.contains(t.split('.').nth(1).unwrap()), "{debug}");
        assert!(debug.contains("redacted"), "{debug}");
    }

    #[test]
    fn an_unknown_assurance_name_leaves_the_level_unknown() {
        let mut c = claims();
        c["submods"]["posture"]["posture-agent.assurance"] = json!("quantum");
        let r = parse_attestation_result(&token(&c), DEVICE, JKT).unwrap();
        assert_eq!(r.summary().assurance, None);
    }

    #[test]
    fn another_devices_or_keys_result_is_refused() {
        let t = token(&claims());
        assert!(matches!(
            parse_attestation_result(&t, "dev-2", JKT),
            Err(ResultError::WrongDevice { .. })
        ));
        let err = parse_attestation_result(&t, DEVICE, "other-jkt").unwrap_err();
        assert!(matches!(err, ResultError::WrongKey { .. }), "{err}");
        assert!(err.to_string().contains("other-jkt"), "{err}");
    }

    #[test]
    fn malformed_results_are_refused_each_with_its_reason() {
        let header = json!({"alg": "ES256", "typ": "JWT"});
        let cases: Vec<(String, &str)> = vec![
            ("a.b".into(), "three parts"),
            (format!("{}.x", token(&claims())), "three parts"),
            ("!!.e30.AA".into(), "header is not base64url"),
            (
                token_with(json!({"alg": "HS256"}), &claims(), 64),
                "alg \"HS256\"",
            ),
            (
                token_with(json!({"alg": "none"}), &claims(), 0),
                "alg \"none\"",
            ),
            (token_with(header.clone(), &claims(), 32), "64 bytes"),
            ("x".repeat(MAX_RESULT_BYTES + 1), "more than"),
        ];
        for (t, want) in cases {
            let err = parse_attestation_result(&t, DEVICE, JKT).unwrap_err();
            assert!(matches!(err, ResultError::Malformed(_)), "{want}: {err}");
            assert!(err.to_string().contains(want), "{want}: {err}");
        }
        let claim_cases: Vec<(serde_json::Value, &str)> = vec![
            (
                {
                    let mut c = claims();
                    c["eat_profile"] = json!("tag:posture-agent.dev,2026:eat/v1");
                    c
                },
                "eat_profile",
            ),
            (
                {
                    let mut c = claims();
                    c["exp"] = c["iat"].clone();
                    c
                },
                "not after iat",
            ),
            (
                {
                    let mut c = claims();
                    c["iat"] = json!("1800000000");
                    c
                },
                "expected i64",
            ),
            (
                {
                    let mut c = claims();
                    c["submods"] = json!({"other": {"ear.status": "affirming"}});
                    c
                },
                "no \"posture\" submodule",
            ),
            (
                {
                    let mut c = claims();
                    c["submods"]["posture"]["ear.status"] = json!("fine");
                    c
                },
                "unknown variant",
            ),
            (
                {
                    let mut c = claims();
                    c.as_object_mut().unwrap().remove("cnf");
                    c
                },
                "cnf",
            ),
        ];
        for (c, want) in claim_cases {
            let err = parse_attestation_result(&token(&c), DEVICE, JKT).unwrap_err();
            assert!(matches!(err, ResultError::Claims(_)), "{want}: {err}");
            assert!(err.to_string().contains(want), "{want}: {err}");
        }
    }
}
