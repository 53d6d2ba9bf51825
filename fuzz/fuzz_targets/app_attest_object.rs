//! Feeds arbitrary bytes to the App Attest verifier, as an attestation
//! object and as an assertion: any input must give a result or an error,
//! never a panic, and nothing over the size bounds may verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use posture_attestation::app_attest::{
    AppAttestRoots, AppAttestVerifier, AppId, MAX_ASSERTION_BYTES, MAX_ATTESTATION_BYTES,
};

fuzz_target!(|data: &[u8]| {
    let (Ok(roots), Ok(app_id)) = (
        AppAttestRoots::apple(),
        AppId::new("ABCDE12345.org.example.posture"),
    ) else {
        return;
    };
    let verifier = AppAttestVerifier::new(roots, app_id, true);
    let at = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
    if verifier
        .verify_attestation(data, &[0u8; 32], &[0u8; 32], at)
        .is_ok()
    {
        assert!(data.len() <= MAX_ATTESTATION_BYTES);
    }
    let mut point = [0u8; 65];
    point[0] = 0x04;
    if verifier.verify_assertion(data, &[0u8; 32], &point, 0).is_ok() {
        assert!(data.len() <= MAX_ASSERTION_BYTES);
    }
});
