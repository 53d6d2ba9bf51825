//! EC P-256 public keys as JWKs (RFC 7517) and their thumbprints (RFC 7638).

use std::fmt;

use ring::digest::{SHA256, digest};
use serde::{Deserialize, Serialize};

use crate::b64;

/// An EC P-256 public key in JWK form.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PublicJwk {
    /// Key type: always "EC".
    pub kty: String,
    /// Curve: always "P-256".
    pub crv: String,
    /// X coordinate, base64url (32 bytes).
    pub x: String,
    /// Y coordinate, base64url (32 bytes).
    pub y: String,
}

/// Why a JWK was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwkError {
    /// Not valid JSON, or not a JSON object with string members.
    #[error("JWK is not valid JSON: {0}")]
    Json(String),
    /// Not an EC P-256 key.
    #[error("JWK must be kty \"EC\" with crv \"P-256\" (ES256); got kty {kty:?}, crv {crv:?}")]
    WrongKeyType {
        /// The kty found.
        kty: String,
        /// The crv found.
        crv: String,
    },
    /// A private key was supplied where a public key belongs.
    #[error("JWK contains a private key (\"d\"); give the public key only")]
    PrivateKey,
    /// A coordinate is not 32 bytes of canonical base64url.
    #[error("JWK coordinate {0} is not 32 bytes of canonical base64url")]
    BadCoordinate(&'static str),
    /// The point is not on the curve.
    #[error("JWK point is not on the P-256 curve")]
    NotOnCurve,
}

impl PublicJwk {
    /// Builds a JWK from an uncompressed SEC1 point (0x04 ‖ X ‖ Y).
    pub fn from_sec1(point: &[u8]) -> Result<PublicJwk, JwkError> {
        match point {
            [0x04, rest @ ..] if rest.len() == 64 => Ok(PublicJwk {
                kty: "EC".into(),
                crv: "P-256".into(),
                x: b64::encode(&rest[..32]),
                y: b64::encode(&rest[32..]),
            }),
            _ => Err(JwkError::NotOnCurve),
        }
    }

    /// The uncompressed SEC1 point (0x04 ‖ X ‖ Y), after checking the shape.
    pub fn to_sec1(&self) -> Result<Vec<u8>, JwkError> {
        if self.kty != "EC" || self.crv != "P-256" {
            return Err(JwkError::WrongKeyType {
                kty: self.kty.clone(),
                crv: self.crv.clone(),
            });
        }
        let x = b64::decode(&self.x).map_err(|_| JwkError::BadCoordinate("x"))?;
        let y = b64::decode(&self.y).map_err(|_| JwkError::BadCoordinate("y"))?;
        if x.len() != 32 {
            return Err(JwkError::BadCoordinate("x"));
        }
        if y.len() != 32 {
            return Err(JwkError::BadCoordinate("y"));
        }
        let mut point = Vec::with_capacity(65);
        point.push(0x04);
        point.extend_from_slice(&x);
        point.extend_from_slice(&y);
        Ok(point)
    }

    /// Parses a JWK JSON document, rejecting private keys and other curves.
    pub fn from_json(text: &str) -> Result<PublicJwk, JwkError> {
        let value: serde_json::Value =
            crate::json::from_str(text).map_err(|e| JwkError::Json(e.to_string()))?;
        let obj = value
            .as_object()
            .ok_or_else(|| JwkError::Json("not a JSON object".into()))?;
        if obj.contains_key("d") {
            return Err(JwkError::PrivateKey);
        }
        let member = |k: &str| obj.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
        let jwk = PublicJwk {
            kty: member("kty"),
            crv: member("crv"),
            x: member("x"),
            y: member("y"),
        };
        let point = jwk.to_sec1()?;
        if !on_curve(&point) {
            return Err(JwkError::NotOnCurve);
        }
        Ok(jwk)
    }

    /// The RFC 7638 thumbprint: SHA-256 over the required members in
    /// lexicographic order, base64url. Used as the `kid`.
    pub fn thumbprint(&self) -> String {
        let canonical = format!(
            r#"{{"crv":"{}","kty":"{}","x":"{}","y":"{}"}}"#,
            self.crv, self.kty, self.x, self.y
        );
        b64::encode(digest(&SHA256, canonical.as_bytes()).as_ref())
    }

    /// The JWK as compact JSON with its `kid`.
    pub fn to_json_with_kid(&self) -> String {
        serde_json::json!({
            "kty": self.kty, "crv": self.crv, "x": self.x, "y": self.y,
            "kid": self.thumbprint(), "alg": "ES256", "use": "sig",
        })
        .to_string()
    }
}

impl fmt::Debug for PublicJwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicJwk(P-256, kid {})", self.thumbprint())
    }
}

/// Whether an uncompressed point is a valid P-256 public key. ring validates
/// the peer key fully (on the curve, not the identity) before an ECDH
/// agreement, so an ephemeral agreement is the check.
pub(crate) fn on_curve(point: &[u8]) -> bool {
    use ring::agreement::{ECDH_P256, EphemeralPrivateKey, UnparsedPublicKey, agree_ephemeral};
    let rng = ring::rand::SystemRandom::new();
    let Ok(ephemeral) = EphemeralPrivateKey::generate(&ECDH_P256, &rng) else {
        return false;
    };
    agree_ephemeral(
        ephemeral,
        &UnparsedPublicKey::new(&ECDH_P256, point),
        |_| (),
    )
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7515 Appendix A.3 key.
    const A3: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;

    #[test]
    fn parses_and_round_trips() {
        let jwk = PublicJwk::from_json(A3).unwrap();
        let point = jwk.to_sec1().unwrap();
        assert_eq!(PublicJwk::from_sec1(&point).unwrap(), jwk);
    }

    #[test]
    fn rfc7638_thumbprint_of_the_a3_key_is_stable() {
        // The thumbprint is SHA-256 of the canonical JSON; recompute it by hand.
        let jwk = PublicJwk::from_json(A3).unwrap();
        let canonical = r#"{"crv":"P-256","kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
        let expected = b64::encode(digest(&SHA256, canonical.as_bytes()).as_ref());
        assert_eq!(jwk.thumbprint(), expected);
        assert_eq!(jwk.thumbprint().len(), 43);
    }

    #[test]
    fn rejects_bad_keys() {
        assert!(matches!(PublicJwk::from_json("{"), Err(JwkError::Json(_))));
        assert!(matches!(PublicJwk::from_json("[]"), Err(JwkError::Json(_))));
        let rsa = r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#;
        assert!(matches!(
            PublicJwk::from_json(rsa),
            Err(JwkError::WrongKeyType { .. })
        ));
        let p384 = A3.replace("P-256", "P-384");
        assert!(matches!(
            PublicJwk::from_json(&p384),
            Err(JwkError::WrongKeyType { .. })
        ));
        let private = A3.replace(
            "\"kty\"",
            "\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\",\"kty\"",
        );
        assert_eq!(PublicJwk::from_json(&private), Err(JwkError::PrivateKey));
        let short = A3.replace("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "f83OJ3D2");
        assert_eq!(
            PublicJwk::from_json(&short),
            Err(JwkError::BadCoordinate("x"))
        );
        let off_curve = A3.replace(
            "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
            "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1",
        );
        assert!(PublicJwk::from_json(&off_curve).is_err());
    }
}
