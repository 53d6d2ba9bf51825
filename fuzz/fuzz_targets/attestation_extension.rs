//! Feeds arbitrary bytes to the Android Key Attestation extension decoder:
//! any input must give a description or an error, never a panic, and a
//! decoded description must survive its JSON rendering.
#![no_main]

use libfuzzer_sys::fuzz_target;
use posture_attestation::KeyDescription;
use posture_attestation::json::Ids;

fuzz_target!(|data: &[u8]| {
    if let Ok(description) = KeyDescription::from_der(data) {
        let _ = description.to_google_json(Ids::Redact);
        let _ = description.security_level();
        assert!(data.len() <= posture_attestation::MAX_EXTENSION_BYTES);
    }
});
