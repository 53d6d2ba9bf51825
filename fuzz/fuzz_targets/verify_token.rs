//! Feeds arbitrary bytes to the token parser and verifier: any input must
//! give Ok or an error, never a panic, and nothing forged may verify.
#![no_main]

use agent_core::keys::PublicJwk;
use agent_core::token::{MemoryReplayCache, NonceCheck, Verifier, VerifyingKey, verify_signature};
use libfuzzer_sys::fuzz_target;

// The RFC 7515 Appendix A.3 public key: the fuzzer cannot know its private key,
// so no input can carry a valid signature.
const A3: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(jwk) = PublicJwk::from_json(A3) else { return };
    let Ok(key) = VerifyingKey::from_jwk(&jwk) else { return };
    let now = time::OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(1_800_000_000);
    let verified = Verifier::default().verify(text, &key, NonceCheck::ByCaller, &MemoryReplayCache::default(), now);
    assert!(verified.is_err(), "a token with no valid signature verified");
    let _ = verify_signature(text, &key);
    let _ = PublicJwk::from_json(text);
});
