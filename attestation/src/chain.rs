//! Certificates of a chain: PEM and DER input, bounds, and each
//! certificate's signature checked under its issuer's key with ring.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use crate::error::VerifyError;

/// Fewest certificates in an attestation chain (leaf, intermediate, root).
pub const MIN_CHAIN_LEN: usize = 3;
/// Most certificates accepted in a chain.
pub const MAX_CHAIN_LEN: usize = 8;
/// Largest certificate accepted, in bytes of DER.
pub const MAX_CERT_BYTES: usize = 16 * 1024;
/// Largest PEM text accepted.
pub const MAX_PEM_BYTES: usize = 256 * 1024;

// Object identifiers, as the contents octets of their DER encoding.
pub(crate) const OID_ATTESTATION: &[u8] =
    &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x01, 0x11];
pub(crate) const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
pub(crate) const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const OID_ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_RSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const OID_RSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
const OID_RSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];

/// The DER certificates of a chain, leaf first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    certs: Vec<Vec<u8>>,
}

impl Chain {
    /// A chain from DER certificates, leaf first; checks the bounds.
    pub fn from_der(certs: Vec<Vec<u8>>) -> Result<Chain, VerifyError> {
        if !(MIN_CHAIN_LEN..=MAX_CHAIN_LEN).contains(&certs.len()) {
            return Err(VerifyError::ChainLength {
                count: certs.len(),
                min: MIN_CHAIN_LEN,
                max: MAX_CHAIN_LEN,
            });
        }
        if let Some((index, c)) = certs
            .iter()
            .enumerate()
            .find(|(_, c)| c.len() > MAX_CERT_BYTES)
        {
            return Err(VerifyError::CertificateTooLarge {
                index,
                bytes: c.len(),
                max: MAX_CERT_BYTES,
            });
        }
        Ok(Chain { certs })
    }

    /// A chain from PEM text (`CERTIFICATE` blocks, leaf first).
    pub fn from_pem(text: &str) -> Result<Chain, VerifyError> {
        Chain::from_der(pem_certificates(text)?)
    }

    /// The DER certificates, leaf first.
    pub fn certificates(&self) -> &[Vec<u8>] {
        &self.certs
    }
}

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

/// The DER of every `CERTIFICATE` block in `text`, bounded.
pub fn pem_certificates(text: &str) -> Result<Vec<Vec<u8>>, VerifyError> {
    if text.len() > MAX_PEM_BYTES {
        return Err(VerifyError::InputTooLarge {
            bytes: text.len(),
            max: MAX_PEM_BYTES,
        });
    }
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let body_start = &rest[start + BEGIN.len()..];
        let index = out.len();
        let Some(end) = body_start.find(END) else {
            return Err(VerifyError::Pem {
                index,
                problem: "no END CERTIFICATE line".into(),
            });
        };
        if index == MAX_CHAIN_LEN {
            return Err(VerifyError::ChainLength {
                count: index + 1,
                min: MIN_CHAIN_LEN,
                max: MAX_CHAIN_LEN,
            });
        }
        let b64: String = body_start[..end]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let der = STANDARD
            .decode(b64.as_bytes())
            .map_err(|e| VerifyError::Pem {
                index,
                problem: e.to_string(),
            })?;
        out.push(der);
        rest = &body_start[end + END.len()..];
    }
    if out.is_empty() {
        return Err(VerifyError::NoCertificates);
    }
    Ok(out)
}

/// Parses certificate `index`, refusing trailing bytes.
pub(crate) fn parse(der: &[u8], index: usize) -> Result<X509Certificate<'_>, VerifyError> {
    let (rest, cert) = X509Certificate::from_der(der).map_err(|e| VerifyError::Certificate {
        index,
        problem: e.to_string(),
    })?;
    if !rest.is_empty() {
        return Err(VerifyError::Certificate {
            index,
            problem: format!("{} bytes after the certificate", rest.len()),
        });
    }
    if cert.signature_value.unused_bits != 0
        || cert.public_key().subject_public_key.unused_bits != 0
    {
        return Err(VerifyError::Certificate {
            index,
            problem: "a signature or public key BIT STRING with unused bits".into(),
        });
    }
    if cert.signature_algorithm != cert.tbs_certificate.signature {
        return Err(VerifyError::Certificate {
            index,
            problem: "the signature algorithm differs inside and outside the signed part".into(),
        });
    }
    Ok(cert)
}

/// The issuer key's type and curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyType {
    P256,
    P384,
    Rsa,
}

fn key_type(cert: &X509Certificate<'_>, index: usize) -> Result<KeyType, VerifyError> {
    let spki = cert.public_key();
    let alg = spki.algorithm.algorithm.as_bytes();
    if alg == OID_RSA {
        return Ok(KeyType::Rsa);
    }
    if alg == OID_EC_PUBLIC_KEY {
        let curve = spki.algorithm.parameters.as_ref().map(|p| p.data);
        return match curve {
            Some(c) if c == OID_P256 => Ok(KeyType::P256),
            Some(c) if c == OID_P384 => Ok(KeyType::P384),
            _ => Err(VerifyError::Unsupported {
                index,
                problem: "an EC key on a curve other than P-256 or P-384".into(),
            }),
        };
    }
    Err(VerifyError::Unsupported {
        index,
        problem: format!("a public key of type {}", spki.algorithm.algorithm),
    })
}

/// Checks that `child` (certificate `index`) is signed by `issuer`'s key.
pub(crate) fn check_signature(
    child: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    index: usize,
) -> Result<(), VerifyError> {
    let key = key_type(issuer, index + 1)?;
    let sig_alg = child.signature_algorithm.algorithm.as_bytes();
    let alg: &'static dyn VerificationAlgorithm = match (key, sig_alg) {
        (KeyType::P256, a) if a == OID_ECDSA_SHA256 => &signature::ECDSA_P256_SHA256_ASN1,
        (KeyType::P256, a) if a == OID_ECDSA_SHA384 => &signature::ECDSA_P256_SHA384_ASN1,
        (KeyType::P384, a) if a == OID_ECDSA_SHA256 => &signature::ECDSA_P384_SHA256_ASN1,
        (KeyType::P384, a) if a == OID_ECDSA_SHA384 => &signature::ECDSA_P384_SHA384_ASN1,
        (KeyType::Rsa, a) if a == OID_RSA_SHA256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        (KeyType::Rsa, a) if a == OID_RSA_SHA384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        (KeyType::Rsa, a) if a == OID_RSA_SHA512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        _ => {
            return Err(VerifyError::Unsupported {
                index,
                problem: format!(
                    "signature algorithm {} with an issuer key of type {key:?} is not accepted (ECDSA with SHA-256/384 on P-256/P-384, RSA PKCS#1 with SHA-256/384/512 of 2048 to 8192 bits)",
                    child.signature_algorithm.algorithm
                ),
            });
        }
    };
    let public_key = &issuer.public_key().subject_public_key.data;
    let signature = &child.signature_value.data;
    UnparsedPublicKey::new(alg, public_key.as_ref())
        .verify(child.tbs_certificate.as_ref(), signature.as_ref())
        .map_err(|_| VerifyError::BadSignature { index })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_without_certificates_is_refused() {
        assert_eq!(
            pem_certificates("hello").err(),
            Some(VerifyError::NoCertificates)
        );
    }

    #[test]
    fn pem_with_bad_base64_names_the_block() {
        let text = format!("{BEGIN}\n!!!!\n{END}\n");
        assert!(matches!(
            pem_certificates(&text),
            Err(VerifyError::Pem { index: 0, .. })
        ));
    }

    #[test]
    fn pem_without_end_is_refused() {
        let text = format!("{BEGIN}\nAAAA\n");
        assert!(matches!(
            pem_certificates(&text),
            Err(VerifyError::Pem { index: 0, .. })
        ));
    }

    #[test]
    fn oversized_pem_is_refused() {
        let text = "A".repeat(MAX_PEM_BYTES + 1);
        assert!(matches!(
            pem_certificates(&text),
            Err(VerifyError::InputTooLarge { .. })
        ));
    }

    #[test]
    fn chain_bounds_are_checked() {
        assert!(matches!(
            Chain::from_der(vec![vec![0; 4]; 2]),
            Err(VerifyError::ChainLength { count: 2, .. })
        ));
        assert!(matches!(
            Chain::from_der(vec![vec![0; 4]; 9]),
            Err(VerifyError::ChainLength { count: 9, .. })
        ));
        assert!(matches!(
            Chain::from_der(vec![vec![0; 4], vec![0; MAX_CERT_BYTES + 1], vec![0; 4]]),
            Err(VerifyError::CertificateTooLarge { index: 1, .. })
        ));
    }
}
