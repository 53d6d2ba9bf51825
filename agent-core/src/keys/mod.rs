//! Device keys: ECDSA P-256, so every backend can verify ES256.
//!
//! A [`DeviceSigner`] holds the device's private key and never lets it out:
//! the [`SoftwareSigner`] keeps its PKCS#8 in a [`store::SecretStore`] (the
//! OS keychain on desktops); phones implement the trait over Android
//! Keystore or the Secure Enclave.

mod jwk;
mod software;
pub mod store;

pub(crate) use jwk::on_curve;
pub use jwk::{JwkError, PublicJwk};
pub use software::SoftwareSigner;

/// Why a key operation failed. Never carries key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The secret store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The stored key is not a valid P-256 PKCS#8 key.
    #[error(
        "the stored device key is not a valid P-256 key; reset the agent and enrol again to make a new one"
    )]
    InvalidStoredKey,
    /// Key generation or signing failed in the crypto library.
    #[error("the crypto library failed to {0}")]
    Crypto(&'static str),
    /// A signer returned a signature that is not 64 bytes (r ‖ s).
    #[error("the signer returned a {0}-byte signature; ES256 needs exactly 64 bytes (r ‖ s)")]
    SignatureLength(usize),
    /// A signer (possibly a foreign one) failed.
    #[error("the device signer failed: {0}")]
    Signer(String),
}

/// A device key that signs: what a hardware key (Android Keystore, Secure
/// Enclave) implements from Kotlin or Swift, and what the software signer
/// implements on desktops.
pub trait DeviceSigner: Send + Sync {
    /// The public key as a JWK.
    fn public_jwk(&self) -> Result<PublicJwk, KeyError>;
    /// The key's RFC 7638 thumbprint (the `kid`); signers that know it
    /// cache it, since every token's header carries it.
    fn kid(&self) -> Result<String, KeyError> {
        Ok(self.public_jwk()?.thumbprint())
    }
    /// Signs `message` with ECDSA P-256 SHA-256 and returns the 64-byte
    /// `r ‖ s` form JOSE uses (not DER).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
    /// The platform's key-attestation certificate chain for this key, leaf
    /// first, each base64 DER; empty when the platform has none.
    fn key_attestation(&self) -> Result<Vec<String>, KeyError> {
        Ok(Vec::new())
    }
    /// A key attestation chain for a fresh, throwaway key whose attestation
    /// challenge is `challenge` (protocol §5.3.3), leaf first, each base64
    /// DER; the throwaway key is deleted before this returns. Empty when
    /// the platform cannot make one (the default).
    fn fresh_key_attestation(&self, challenge: &[u8; 32]) -> Result<Vec<String>, KeyError> {
        let _ = challenge;
        Ok(Vec::new())
    }
    /// Apple App Attest evidence for an enrolment: a fresh App Attest key
    /// attested over `client_data_hash` (protocol §5.1); `None` when the
    /// platform has no App Attest.
    fn app_attest(
        &self,
        client_data_hash: &[u8; 32],
    ) -> Result<Option<crate::protocol::AppAttestEvidence>, KeyError> {
        let _ = client_data_hash;
        Ok(None)
    }
    /// An Apple App Attest assertion over `client_data_hash` (protocol
    /// §4.1), made with the App Attest key attested at enrolment: the CBOR
    /// bytes `generateAssertion` returns. `None` when there is no such key.
    fn app_attest_assertion(
        &self,
        client_data_hash: &[u8; 32],
    ) -> Result<Option<Vec<u8>>, KeyError> {
        let _ = client_data_hash;
        Ok(None)
    }
    /// Deletes the key (at unenrolment). A platform signer removes its key
    /// from the keystore; the default does nothing.
    fn delete(&self) -> Result<(), KeyError> {
        Ok(())
    }
}

/// A random identifier: `bytes` random bytes, base64url.
pub fn random_id(bytes: usize) -> Result<String, KeyError> {
    let mut buf = vec![0u8; bytes];
    use ring::rand::SecureRandom;
    ring::rand::SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| KeyError::Crypto("draw random bytes"))?;
    Ok(crate::b64::encode(&buf))
}
