//! The claims of a posture report, and their strict one-pass parser.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::policy::Verdict;
use crate::posture::Posture;
use crate::protocol::{DeviceId, Jti, Nonce};

/// The claims of one posture report (profile `tag:posture-agent.dev,2026:eat/v1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claims {
    /// The server's freshness nonce.
    pub eat_nonce: Nonce,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// The report's random id: the key for idempotent delivery.
    pub jti: Jti,
    /// The EAT profile this token follows.
    pub eat_profile: String,
    /// The random per-enrolment device id. Not `ueid`: a UEID is meant to
    /// identify the hardware for life, which a personal phone must not give.
    pub sub: DeviceId,
    /// The agent's name.
    pub swname: String,
    /// The agent's version, as RFC 9711's `[version]` array.
    #[serde(serialize_with = "swversion_array")]
    pub swversion: String,
    /// The device's posture.
    pub posture: Posture,
    /// The device's own (advisory) verdict on that posture.
    pub verdict: Verdict,
    /// An Apple App Attest assertion (iOS), base64url without padding, over
    /// the client data that binds `eat_nonce` and `jti` (protocol §4.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_attest: Option<String>,
    /// A fresh Android key attestation chain (protocol §5.3.3), leaf first,
    /// each base64 (standard, padded) DER, for a throwaway key whose
    /// challenge is [`crate::protocol::report_attestation_challenge`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub key_attestation: Vec<String>,
}

impl Claims {
    /// Claims for a report made now: a random `jti`, `iat` now and `exp`
    /// [`super::DEFAULT_LIFETIME_SECS`] later, this agent's name and version.
    pub fn new(
        nonce: Nonce,
        device_id: &DeviceId,
        posture: Posture,
        verdict: Verdict,
        now: time::OffsetDateTime,
    ) -> Result<Claims, crate::keys::KeyError> {
        let iat = now.unix_timestamp();
        Ok(Claims {
            eat_nonce: nonce,
            iat,
            exp: iat + super::DEFAULT_LIFETIME_SECS,
            jti: Jti::random()?,
            eat_profile: super::EAT_PROFILE.to_owned(),
            sub: device_id.clone(),
            swname: super::SW_NAME.to_owned(),
            swversion: crate::AGENT_VERSION.to_owned(),
            posture,
            verdict,
            app_attest: None,
            key_attestation: Vec::new(),
        })
    }
}

fn swversion_array<S: Serializer>(version: &str, s: S) -> Result<S::Ok, S::Error> {
    [version].serialize(s)
}

/// What went wrong in the claims, in terms the verifier reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClaimProblem {
    /// A member name appears twice (at any depth).
    Duplicate(String),
    /// A required claim is missing.
    Missing(&'static str),
    /// A claim has the wrong type or value.
    Invalid(&'static str, String),
}

/// Parses the payload JSON into [`Claims`] in one pass, recording the
/// first problem in `problem` so the verifier can name it precisely.
pub(crate) fn parse_claims(payload: &[u8]) -> Result<Claims, ClaimProblem> {
    let problem = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(payload);
    let result = ClaimsSeed { problem: &problem }
        .deserialize(&mut de)
        .and_then(|c| de.end().map(|()| c));
    match (result, problem.into_inner()) {
        (_, Some(p)) => Err(p),
        (Ok(claims), None) => Ok(claims),
        (Err(e), None) => Err(ClaimProblem::Invalid("payload", e.to_string())),
    }
}

struct ClaimsSeed<'p> {
    problem: &'p RefCell<Option<ClaimProblem>>,
}

impl<'de> DeserializeSeed<'de> for ClaimsSeed<'_> {
    type Value = Claims;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Claims, D::Error> {
        d.deserialize_map(self)
    }
}

/// The swversion claim: `["1.2.3"]` or `["1.2.3", scheme]`.
#[derive(Deserialize)]
#[allow(dead_code)] // the version scheme is accepted but not used
struct SwVersion(String, #[serde(default)] Option<IgnoredAny>);

impl<'de> Visitor<'de> for ClaimsSeed<'_> {
    type Value = Claims;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Claims, A::Error> {
        let mut seen: Vec<String> = Vec::with_capacity(12);
        let mut eat_nonce = None;
        let mut iat = None;
        let mut exp = None;
        let mut jti = None;
        let mut eat_profile = None;
        let mut sub = None;
        let mut swname = None;
        let mut swversion = None;
        let mut posture = None;
        let mut verdict = None;
        let mut app_attest = None;
        let mut key_attestation = None;
        let fail = |p: ClaimProblem| {
            let msg = format!("{p:?}");
            *self.problem.borrow_mut() = Some(p);
            de::Error::custom(msg)
        };
        // Each claim's value is parsed as its own type; a nested duplicate
        // member surfaces as serde's "duplicate field" error.
        macro_rules! value {
            ($name:literal, $slot:ident, $ty:ty) => {{
                let v = map.next_value::<$ty>().map_err(|e| {
                    let text = e.to_string();
                    if text.starts_with("duplicate field") {
                        fail(ClaimProblem::Duplicate(format!("{} in {}", text, $name)))
                    } else {
                        fail(ClaimProblem::Invalid($name, text))
                    }
                })?;
                $slot = Some(v);
            }};
        }
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                return Err(fail(ClaimProblem::Duplicate(key)));
            }
            match key.as_str() {
                "eat_nonce" => value!("eat_nonce", eat_nonce, Nonce),
                "iat" => value!("iat", iat, i64),
                "exp" => value!("exp", exp, i64),
                "jti" => value!("jti", jti, String),
                "eat_profile" => value!("eat_profile", eat_profile, String),
                "sub" => value!("sub", sub, String),
                "swname" => value!("swname", swname, String),
                "swversion" => value!("swversion", swversion, SwVersion),
                "posture" => value!("posture", posture, Posture),
                "verdict" => value!("verdict", verdict, Verdict),
                "app_attest" => value!("app_attest", app_attest, String),
                "key_attestation" => value!("key_attestation", key_attestation, Vec<String>),
                // Claims outside the profile are ignored (RFC 7519 §4), but
                // still checked for duplicates above.
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            seen.push(key);
        }
        macro_rules! required {
            ($slot:ident) => {
                $slot.ok_or_else(|| fail(ClaimProblem::Missing(stringify!($slot))))?
            };
        }
        let (eat_nonce, iat, exp, jti, eat_profile, sub, swname, swversion, posture, verdict) = (
            required!(eat_nonce),
            required!(iat),
            required!(exp),
            required!(jti),
            required!(eat_profile),
            required!(sub),
            required!(swname),
            required!(swversion).0,
            required!(posture),
            required!(verdict),
        );
        // `jti` and `sub` are read as text and checked once every required
        // claim is there, so a bad id is named as the claim it is in (serde
        // would name a position in the payload instead).
        let bounded = |claim: &'static str| {
            fail(ClaimProblem::Invalid(
                claim,
                format!("must be 1 to {} characters", crate::protocol::MAX_ID_LEN),
            ))
        };
        let jti = Jti::new(jti).map_err(|_| bounded("jti"))?;
        let sub = DeviceId::new(sub).map_err(|_| bounded("sub"))?;
        Ok(Claims {
            eat_nonce,
            iat,
            exp,
            jti,
            eat_profile,
            sub,
            swname,
            swversion,
            posture,
            verdict,
            app_attest,
            key_attestation: key_attestation.unwrap_or_default(),
        })
    }
}
