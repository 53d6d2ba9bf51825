//! Verifies a chain the way Google's verifier does: signatures up the chain,
//! names chained, the root matched by key, non-leaf validity at a set time,
//! the extension only on the leaf, then the KeyDescription's checks.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_parser::certificate::X509Certificate;

use crate::chain::{self, Chain, OID_ATTESTATION, OID_EC_PUBLIC_KEY};
use crate::description::{KeyDescription, SecurityLevel};
use crate::error::VerifyError;
use crate::revocation::{StatusList, serial_hex};
use crate::roots::{Anchor, TrustedRoots};

/// The public key the leaf must carry (the key enrolled for the device).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedKey {
    /// An uncompressed SEC1 point (0x04 || x || y).
    Sec1(Vec<u8>),
    /// A JWK's `x` and `y`, base64url without padding.
    Jwk {
        /// `x`.
        x: String,
        /// `y`.
        y: String,
    },
}

impl ExpectedKey {
    fn sec1(&self) -> Result<Vec<u8>, VerifyError> {
        match self {
            ExpectedKey::Sec1(p) => Ok(p.clone()),
            ExpectedKey::Jwk { x, y } => {
                let d = |s: &str, n: &str| {
                    URL_SAFE_NO_PAD.decode(s).map_err(|e| {
                        VerifyError::ExpectedKey(format!("JWK {n} is not base64url: {e}"))
                    })
                };
                let (x, y) = (d(x, "x")?, d(y, "y")?);
                if x.len() != y.len() || !matches!(x.len(), 32 | 48) {
                    return Err(VerifyError::ExpectedKey(
                        "JWK x and y must be 32 (P-256) or 48 (P-384) bytes each".into(),
                    ));
                }
                let mut p = Vec::with_capacity(1 + 2 * x.len());
                p.push(0x04);
                p.extend_from_slice(&x);
                p.extend_from_slice(&y);
                Ok(p)
            }
        }
    }
}

/// What a verification checks beyond the chain itself.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// The time non-leaf certificates must be valid at.
    pub at: OffsetDateTime,
    /// Accept software attestation (emulators); the result is then labelled.
    pub allow_software: bool,
    /// The attestation challenge the key must carry, when checked.
    pub challenge: Option<&'a [u8]>,
    /// The public key the leaf must carry, when checked.
    pub leaf_key: Option<&'a ExpectedKey>,
    /// The attestation status list to check serials against, when given.
    pub status: Option<&'a StatusList>,
}

impl Options<'_> {
    /// Verification at `at`, hardware only, no challenge, key or status check.
    pub fn at(at: OffsetDateTime) -> Options<'static> {
        Options {
            at,
            allow_software: false,
            challenge: None,
            leaf_key: None,
            status: None,
        }
    }
}

/// Who vouches for the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assurance {
    /// A TEE or StrongBox, under a trusted root.
    Hardware,
    /// Android's software keystore (accepted only with `allow_software`).
    Software,
}

/// A chain that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The leaf's decoded KeyDescription (ID fields redacted in `Debug`).
    pub description: KeyDescription,
    /// The lower of the attestation and KeyMint security levels.
    pub security_level: SecurityLevel,
    /// Hardware, or software when that was allowed.
    pub assurance: Assurance,
    /// The leaf's SubjectPublicKeyInfo (DER): the attested key.
    pub leaf_public_key: Vec<u8>,
    /// Serials of the chain's certificates, leaf first, in the status list's form.
    pub serials: Vec<String>,
}

/// A verifier with its trust anchors.
#[derive(Debug, Clone)]
pub struct Verifier {
    roots: TrustedRoots,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

fn attestation_extension_count(cert: &X509Certificate<'_>) -> usize {
    cert.extensions()
        .iter()
        .filter(|e| e.oid.as_bytes() == OID_ATTESTATION)
        .count()
}

impl Verifier {
    /// A verifier trusting `roots`.
    pub fn new(roots: TrustedRoots) -> Verifier {
        Verifier { roots }
    }

    /// A verifier trusting Google's attestation roots.
    pub fn google() -> Result<Verifier, VerifyError> {
        Ok(Verifier::new(TrustedRoots::google()?))
    }

    /// Verifies `chain` (leaf first) under `options`.
    pub fn verify(&self, chain: &Chain, options: &Options<'_>) -> Result<Verified, VerifyError> {
        let ders = chain.certificates();
        let certs = ders
            .iter()
            .enumerate()
            .map(|(i, d)| chain::parse(d, i))
            .collect::<Result<Vec<_>, _>>()?;
        let (leaf, root) = match (certs.first(), certs.last()) {
            (Some(l), Some(r)) => (l, r),
            _ => return Err(VerifyError::NoCertificates),
        };
        for (i, pair) in certs.windows(2).enumerate() {
            if pair[0].issuer().as_raw() != pair[1].subject().as_raw() {
                return Err(VerifyError::NameChain { index: i });
            }
            chain::check_signature(&pair[0], &pair[1], i)?;
        }
        if root.issuer().as_raw() != root.subject().as_raw() {
            return Err(VerifyError::RootNotSelfIssued);
        }
        let anchor = match self.roots.anchor(root.public_key().raw) {
            Some(Anchor::Trusted) => Anchor::Trusted,
            Some(Anchor::Software) if options.allow_software => Anchor::Software,
            Some(Anchor::Software) => return Err(VerifyError::SoftwareRoot),
            None => return Err(VerifyError::UntrustedRoot),
        };
        let at = options.at.unix_timestamp();
        for (index, cert) in certs.iter().enumerate().skip(1) {
            let v = cert.validity();
            if at < v.not_before.timestamp() {
                return Err(VerifyError::NotYetValid {
                    index,
                    not_before: rfc3339(v.not_before.to_datetime()),
                    at: rfc3339(options.at),
                });
            }
            if at > v.not_after.timestamp() {
                return Err(VerifyError::Expired {
                    index,
                    not_after: rfc3339(v.not_after.to_datetime()),
                    at: rfc3339(options.at),
                });
            }
        }
        let serials: Vec<String> = certs.iter().map(|c| serial_hex(c.raw_serial())).collect();
        if let Some(list) = options.status {
            for (index, serial) in serials.iter().enumerate() {
                if let Some(entry) = list.get(serial) {
                    return Err(VerifyError::Revoked {
                        index,
                        serial: serial.clone(),
                        status: entry.status,
                        reason: entry.reason.clone(),
                    });
                }
            }
        }
        if let Some(index) = certs
            .iter()
            .enumerate()
            .skip(1)
            .find_map(|(i, c)| (attestation_extension_count(c) > 0).then_some(i))
        {
            return Err(VerifyError::ExtensionOnNonLeaf { index });
        }
        let ext = match attestation_extension_count(leaf) {
            0 => return Err(VerifyError::NoExtension),
            1 => leaf
                .extensions()
                .iter()
                .find(|e| e.oid.as_bytes() == OID_ATTESTATION)
                .ok_or(VerifyError::NoExtension)?,
            _ => return Err(VerifyError::DuplicateExtension),
        };
        let description = KeyDescription::from_der(ext.value)?;
        let security_level = description.security_level();
        let assurance = if anchor == Anchor::Software || !security_level.is_hardware() {
            if !options.allow_software {
                return Err(VerifyError::SoftwareSecurityLevel {
                    level: security_level,
                });
            }
            Assurance::Software
        } else {
            Assurance::Hardware
        };
        if let Some(expected) = options.challenge {
            // Not secret: a constant-time comparison is not needed.
            if description.attestation_challenge != expected {
                return Err(VerifyError::ChallengeMismatch);
            }
        }
        if let Some(expected) = options.leaf_key {
            let point = expected.sec1()?;
            let spki = leaf.public_key();
            let alg_is_ec = spki.algorithm.algorithm.as_bytes() == OID_EC_PUBLIC_KEY;
            if !alg_is_ec || spki.subject_public_key.data.as_ref() != point.as_slice() {
                return Err(VerifyError::LeafKeyMismatch);
            }
        }
        Ok(Verified {
            description,
            security_level,
            assurance,
            leaf_public_key: leaf.public_key().raw.to_vec(),
            serials,
        })
    }
}
