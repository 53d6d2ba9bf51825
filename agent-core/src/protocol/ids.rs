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
/// A server-issued nonce: the same checked type the report's `eat_nonce` carries.
pub use crate::token::Nonce;
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
