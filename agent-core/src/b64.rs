//! Strict base64url without padding, as JOSE requires (RFC 7515 §2).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes bytes as base64url without padding.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes canonical base64url without padding: padding, other alphabets
/// and non-zero trailing bits are all rejected, so every byte string has
/// exactly one accepted encoding.
pub fn decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    URL_SAFE_NO_PAD.decode(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_only() {
        assert_eq!(decode("AQAB").unwrap(), vec![1, 0, 1]);
        assert_eq!(encode(&[1, 0, 1]), "AQAB");
        // "AR" and "AQ" both carry the byte 0x01; only "AQ" has zero trailing bits.
        assert_eq!(decode("AQ").unwrap(), vec![1]);
        assert!(decode("AR").is_err());
        assert!(decode("AQ==").is_err());
        assert!(decode("A+/=").is_err());
        assert!(decode("A").is_err());
        assert!(decode("AQ AB").is_err());
    }
}
