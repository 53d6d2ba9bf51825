//! Android key attestation on reports (protocol §5.3.3): a report may carry a
//! fresh chain for a throwaway key whose attestation challenge binds the
//! report's nonce and the device key, so the collector can re-read the
//! device's verified-boot key, security level and patch levels.

use ring::digest::{Context, SHA256};

/// The prefix of a report's key-attestation challenge.
pub const REPORT_CHALLENGE_PREFIX: &[u8] = b"posture-agent/key-attestation/report/v1\0";

/// The attestation challenge of a report's fresh chain: SHA-256 of
/// [`REPORT_CHALLENGE_PREFIX`] ‖ `eat_nonce` (its ASCII text) ‖ 0x00 ‖ the
/// device key's RFC 7638 thumbprint (`kid`, its base64url text).
pub fn report_attestation_challenge(eat_nonce: &str, kid: &str) -> [u8; 32] {
    let mut ctx = Context::new(&SHA256);
    ctx.update(REPORT_CHALLENGE_PREFIX);
    ctx.update(eat_nonce.as_bytes());
    ctx.update(&[0]);
    ctx.update(kid.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn the_report_challenge_matches_its_documented_vector() {
        // The vector in docs/protocol.md §5.3.3, computed independently.
        let challenge = report_attestation_challenge(
            "nonce-AAAAAAAAAAAAAAAAAAAAAA",
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
        );
        assert_eq!(
            hex(&challenge),
            "84bdcc546fd3a63715397e5b68f6ac470ec4694fc65e07d16cfe9ca9cb93efb6"
        );
        // The separator keeps the two parts apart.
        assert_ne!(
            report_attestation_challenge("nonce-AAAAAAAAAAAAAAAAAAAAAAN", "zbLs"),
            report_attestation_challenge("nonce-AAAAAAAAAAAAAAAAAAAAAA", "Nzbls")
        );
        assert_ne!(
            report_attestation_challenge("n1n1n1n1", "kid"),
            report_attestation_challenge("n2n2n2n2", "kid")
        );
    }
}
