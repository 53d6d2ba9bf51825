//! The software signer: a ring P-256 key whose PKCS#8 lives in a secret store.

use std::fmt;

use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use zeroize::Zeroizing;

use super::store::SecretStore;
use super::{DeviceSigner, KeyError, PublicJwk};

/// A P-256 signing key held in memory by ring, persisted as PKCS#8 in a
/// [`SecretStore`]. Debug output shows only the key id.
pub struct SoftwareSigner {
    pair: EcdsaKeyPair,
    jwk: PublicJwk,
    kid: String,
    rng: SystemRandom,
}

impl SoftwareSigner {
    /// Loads the key stored under `name`, or generates and stores a new one.
    pub fn load_or_create(store: &dyn SecretStore, name: &str) -> Result<SoftwareSigner, KeyError> {
        if let Some(pkcs8) = store.get(name)? {
            return SoftwareSigner::from_pkcs8(&pkcs8);
        }
        let pkcs8 = SoftwareSigner::generate_pkcs8()?;
        let signer = SoftwareSigner::from_pkcs8(&pkcs8)?;
        store.put(name, &pkcs8)?;
        tracing::info!(store = %store.describe(), kid = %signer.jwk.thumbprint(), "generated a new device key");
        Ok(signer)
    }

    /// Loads the key stored under `name`, if there is one.
    pub fn load(store: &dyn SecretStore, name: &str) -> Result<Option<SoftwareSigner>, KeyError> {
        match store.get(name)? {
            Some(pkcs8) => SoftwareSigner::from_pkcs8(&pkcs8).map(Some),
            None => Ok(None),
        }
    }

    /// A fresh key that is never stored (tests, virtual devices).
    pub fn ephemeral() -> Result<SoftwareSigner, KeyError> {
        SoftwareSigner::from_pkcs8(&SoftwareSigner::generate_pkcs8()?)
    }

    fn generate_pkcs8() -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| KeyError::Crypto("generate a P-256 key"))?;
        Ok(Zeroizing::new(doc.as_ref().to_vec()))
    }

    fn from_pkcs8(pkcs8: &[u8]) -> Result<SoftwareSigner, KeyError> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
            .map_err(|_| KeyError::InvalidStoredKey)?;
        let jwk = PublicJwk::from_sec1(pair.public_key().as_ref())
            .map_err(|_| KeyError::InvalidStoredKey)?;
        let kid = jwk.thumbprint();
        Ok(SoftwareSigner {
            pair,
            jwk,
            kid,
            rng,
        })
    }
}

impl DeviceSigner for SoftwareSigner {
    fn public_jwk(&self) -> Result<PublicJwk, KeyError> {
        Ok(self.jwk.clone())
    }

    fn kid(&self) -> Result<String, KeyError> {
        Ok(self.kid.clone())
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.pair
            .sign(&self.rng, message)
            .map(|sig| sig.as_ref().to_vec())
            .map_err(|_| KeyError::Crypto("sign"))
    }
}

impl fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareSigner")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::store::MemoryStore;

    #[test]
    fn creates_once_then_loads_the_same_key() {
        let store = MemoryStore::default();
        let a = SoftwareSigner::load_or_create(&store, "device").unwrap();
        let b = SoftwareSigner::load_or_create(&store, "device").unwrap();
        assert_eq!(a.public_jwk().unwrap(), b.public_jwk().unwrap());
        let sig = a.sign(b"hello").unwrap();
        assert_eq!(sig.len(), 64);
        let point = b.public_jwk().unwrap().to_sec1().unwrap();
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
            .verify(b"hello", &sig)
            .unwrap();
    }

    #[test]
    fn corrupt_stored_key_is_a_clear_error() {
        let store = MemoryStore::default();
        store.put("device", b"not pkcs8").unwrap();
        let err = SoftwareSigner::load_or_create(&store, "device").unwrap_err();
        assert!(matches!(err, KeyError::InvalidStoredKey));
        assert!(err.to_string().contains("enrol again"));
    }

    #[test]
    fn debug_shows_no_key_material() {
        let store = MemoryStore::default();
        let signer = SoftwareSigner::load_or_create(&store, "device").unwrap();
        let pkcs8 = store.get("device").unwrap().unwrap();
        let debug = format!("{signer:?}");
        assert!(debug.contains("kid"));
        // Neither the PKCS#8 nor the 32-byte private scalar inside it, in any common encoding.
        for window in pkcs8.windows(8) {
            let hex: String = window.iter().map(|b| format!("{b:02x}")).collect();
            assert!(!debug.contains(&hex));
        }
        assert!(!debug.contains(&crate::b64::encode(&pkcs8)));
    }
}
