//! Identifiers that travel in protocol messages, typed so they are not
//! mixed up with each other or with arbitrary strings.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest device id or `jti` (protocol section 3; `sub` in a report).
pub const MAX_ID_LEN: usize = 128;

/// Why a device id or a `jti` was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} must be 1 to {MAX_ID_LEN} characters; got {len} bytes")]
pub struct IdError {
    what: &'static str,
    len: usize,
}

// An id of 1 to MAX_ID_LEN bytes, checked whenever one is made or parsed.
// Not secret (ids appear in exports and logs), so Debug shows the value.
macro_rules! bounded_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks and wraps a value received from or destined for the wire.
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                if value.is_empty() || value.len() > MAX_ID_LEN {
                    return Err(IdError {
                        what: $what,
                        len: value.len(),
                    });
                }
                Ok(Self(value))
            }

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

bounded_id!(
    /// A device's id, chosen by the server at enrolment; random per
    /// enrolment, so it identifies no person or handset.
    DeviceId,
    "a device id"
);
/// A freshness nonce (`eat_nonce`): 8 to 64 bytes of visible ASCII, as
/// RFC 9711 §4.1 bounds it. Servers issue 32 random bytes, base64url.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nonce(String);

/// Why a nonce was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a nonce is 8 to 64 visible ASCII characters; got {len} bytes{detail}")]
pub struct NonceError {
    len: usize,
    detail: &'static str,
}

impl Nonce {
    /// Checks and wraps a nonce.
    pub fn new(text: impl Into<String>) -> Result<Nonce, NonceError> {
        let text = text.into();
        let len = text.len();
        if !(8..=64).contains(&len) {
            return Err(NonceError { len, detail: "" });
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(NonceError {
                len,
                detail: " with characters other than visible ASCII",
            });
        }
        Ok(Nonce(text))
    }

    /// A fresh random nonce: 32 bytes from the system RNG, base64url.
    pub fn random() -> Result<Nonce, crate::keys::KeyError> {
        Ok(Nonce(crate::keys::random_id(32)?))
    }

    /// The nonce text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Nonce {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl TryFrom<String> for Nonce {
    type Error = NonceError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Nonce::new(value)
    }
}

impl From<Nonce> for String {
    fn from(n: Nonce) -> String {
        n.0
    }
}

impl fmt::Display for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
bounded_id!(
    /// A token's unique id (`jti`); reports are idempotent by it.
    Jti,
    "a jti"
);

impl Jti {
    /// A fresh random `jti`: 16 bytes from the system RNG, base64url.
    pub fn random() -> Result<Jti, crate::keys::KeyError> {
        Ok(Jti(crate::keys::random_id(16)?))
    }
}

/// A one-time enrolment code. It is a bearer secret until used, so Debug
/// redacts it; the value is only reachable through [`EnrolmentCode::expose`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EnrolmentCode(String);

impl EnrolmentCode {
    /// Wraps a code typed or scanned by the user.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The code itself, for sending it once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// SHA-256 of the code with case, `-` and spaces ignored and Crockford's
    /// look-alikes (O → 0, I and L → 1) folded (protocol §5.1): what a
    /// collector stores instead of the code, and the key attestation
    /// challenge an Android agent sets.
    pub fn digest(&self) -> [u8; 32] {
        let normal: String = self
            .0
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .map(|c| match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            })
            .collect();
        let mut out = [0u8; 32];
        out.copy_from_slice(
            ring::digest::digest(&ring::digest::SHA256, normal.as_bytes()).as_ref(),
        );
        out
    }
}

impl fmt::Debug for EnrolmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnrolmentCode(<redacted>)")
    }
}

#[cfg(test)]
mod id_tests {
    use super::*;

    #[test]
    fn ids_are_1_to_128_bytes_on_parse_and_on_the_wire() {
        assert_eq!(
            DeviceId::new("dev_7QhZ3m1cY2kq9tC4").unwrap(),
            "dev_7QhZ3m1cY2kq9tC4"
        );
        assert_eq!(
            DeviceId::new("").unwrap_err().to_string(),
            "a device id must be 1 to 128 characters; got 0 bytes"
        );
        assert!(Jti::new("j".repeat(128)).is_ok());
        assert_eq!(
            Jti::new("j".repeat(129)).unwrap_err().to_string(),
            "a jti must be 1 to 128 characters; got 129 bytes"
        );
        let jti: Jti = serde_json::from_str("\"9GZr2mS3RrW6mV0u7bQm4A\"").unwrap();
        assert_eq!(
            serde_json::to_string(&jti).unwrap(),
            "\"9GZr2mS3RrW6mV0u7bQm4A\""
        );
        assert!(serde_json::from_str::<Jti>("\"\"").is_err());
        assert!(serde_json::from_str::<DeviceId>(&format!("\"{}\"", "d".repeat(129))).is_err());
        let random = Jti::random().unwrap();
        assert_eq!(random.as_str().len(), 22);
        assert_ne!(random, Jti::random().unwrap());
    }
}

#[cfg(test)]
mod digest_tests {
    use super::EnrolmentCode;

    #[test]
    fn the_code_digest_ignores_case_separators_and_look_alikes() {
        let canonical = EnrolmentCode::new("K7PM-3QXD-9WTR").digest();
        assert_eq!(EnrolmentCode::new("k7pm 3qxd9wtr").digest(), canonical);
        assert_eq!(
            EnrolmentCode::new("OIL").digest(),
            EnrolmentCode::new("011").digest()
        );
        assert_ne!(EnrolmentCode::new("K7PM-3QXD-9WTX").digest(), canonical);
    }
}
