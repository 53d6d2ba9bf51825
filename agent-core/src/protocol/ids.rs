//! Identifiers that travel in protocol messages, typed so they are not
//! mixed up with each other or with arbitrary strings.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value received from or destined for the wire.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// A device's id, chosen by the server at enrolment; random per
    /// enrolment, so it identifies no person or handset.
    DeviceId
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
string_id!(
    /// A token's unique id (`jti`); reports are idempotent by it.
    Jti
);

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
