//! Trust anchors: public keys a chain's root must carry.
//!
//! A root is matched by its SubjectPublicKeyInfo, not by the certificate:
//! Google has re-issued its RSA root with new dates and the same key, and
//! chains made before the re-issue end at the old certificate.

use serde_json::Value;

use crate::chain::{self, pem_certificates};
use crate::error::VerifyError;

/// Google's hardware attestation roots as github.com/android/keyattestation
/// ships them: the RSA root of factory-provisioned keys and the ECDSA P-384
/// root of Remote Key Provisioning chains from 2026.
const GOOGLE_ROOTS_JSON: &str = include_str!("../roots/google-roots.json");

/// The root of Android's software keystore attestation (emulators, devices
/// without a TEE): a chain to it proves nothing about hardware.
const SOFTWARE_ROOT_PEM: &str = include_str!("../roots/android-software-root.pem");

/// What a chain's root was matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// One of the trusted (hardware) roots.
    Trusted,
    /// Android's software attestation root.
    Software,
}

/// The public keys a chain's root may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedRoots {
    trusted: Vec<Vec<u8>>,
    software: Vec<Vec<u8>>,
}

fn spki_of(der: &[u8], index: usize) -> Result<Vec<u8>, VerifyError> {
    let cert = chain::parse(der, index)?;
    Ok(cert.public_key().raw.to_vec())
}

impl TrustedRoots {
    /// Google's roots (and Android's software root, recognised so it can be
    /// refused by name or accepted when software attestation is allowed).
    pub fn google() -> Result<TrustedRoots, VerifyError> {
        let mut roots = TrustedRoots::from_google_json(GOOGLE_ROOTS_JSON.as_bytes())?;
        for (i, der) in pem_certificates(SOFTWARE_ROOT_PEM)?.iter().enumerate() {
            roots.software.push(spki_of(der, i)?);
        }
        Ok(roots)
    }

    /// Roots from a JSON array of PEM certificates (google-roots.json's form).
    pub fn from_google_json(bytes: &[u8]) -> Result<TrustedRoots, VerifyError> {
        let doc: Value = serde_json::from_slice(bytes)
            .map_err(|e| VerifyError::Roots(format!("the roots file is not JSON: {e}")))?;
        let pems = doc.as_array().ok_or_else(|| {
            VerifyError::Roots("the roots file is not a JSON array of PEM strings".into())
        })?;
        let mut trusted = Vec::new();
        for (i, p) in pems.iter().enumerate() {
            let text = p.as_str().ok_or_else(|| {
                VerifyError::Roots(format!("entry {i} of the roots file is not a PEM string"))
            })?;
            for der in pem_certificates(text)? {
                trusted.push(spki_of(&der, i)?);
            }
        }
        Ok(TrustedRoots {
            trusted,
            software: Vec::new(),
        })
    }

    /// Roots from DER certificates (for a private CA, or tests).
    pub fn from_certificates(certs: &[Vec<u8>]) -> Result<TrustedRoots, VerifyError> {
        let trusted = certs
            .iter()
            .enumerate()
            .map(|(i, c)| spki_of(c, i))
            .collect::<Result<_, _>>()?;
        Ok(TrustedRoots {
            trusted,
            software: Vec::new(),
        })
    }

    /// Adds a certificate whose key is treated as a software root.
    pub fn with_software_root(mut self, cert_der: &[u8]) -> Result<TrustedRoots, VerifyError> {
        self.software.push(spki_of(cert_der, 0)?);
        Ok(self)
    }

    /// Which anchor, if any, carries this SubjectPublicKeyInfo.
    pub fn anchor(&self, spki_der: &[u8]) -> Option<Anchor> {
        if self.trusted.iter().any(|k| k == spki_der) {
            Some(Anchor::Trusted)
        } else if self.software.iter().any(|k| k == spki_der) {
            Some(Anchor::Software)
        } else {
            None
        }
    }

    /// Number of trusted (hardware) roots.
    pub fn trusted_len(&self) -> usize {
        self.trusted.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_roots_parse() {
        let roots = TrustedRoots::google().unwrap();
        assert_eq!(roots.trusted_len(), 2);
        assert_eq!(roots.software.len(), 1);
    }

    #[test]
    fn a_roots_file_of_another_shape_is_refused() {
        for bad in [&b"{}"[..], b"[1]", b"not json"] {
            assert!(matches!(
                TrustedRoots::from_google_json(bad),
                Err(VerifyError::Roots(_))
            ));
        }
    }
}
