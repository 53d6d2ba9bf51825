//! Apple App Attest, verified as Apple's "Validating apps that connect to
//! your server" lays out: the attestation object a device makes for a new
//! App Attest key at enrolment, and the assertions it signs afterwards.
//!
//! Pure: no I/O, no clock. The caller passes the object, the key id the
//! device gave, the client data hash, the verification time and (for an
//! assertion) the stored key and counter.

mod auth_data;
mod cbor;
pub mod error;
pub mod testing;

use ring::digest::{SHA256, digest};
use ring::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_parser::certificate::X509Certificate;

use crate::chain::{self, OID_EC_PUBLIC_KEY, OID_P256};
use crate::error::VerifyError;
pub use error::AppAttestError;

/// Largest attestation object accepted (Apple's are about 5 KiB with the
/// receipt).
pub const MAX_ATTESTATION_BYTES: usize = 32 * 1024;
/// Largest assertion accepted (Apple's are about 110 bytes).
pub const MAX_ASSERTION_BYTES: usize = 2 * 1024;

/// The extension that carries the nonce: 1.2.840.113635.100.8.2.
const OID_NONCE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x08, 0x02];

/// Apple's App Attestation Root CA, as Apple publishes it
/// (SHA-256 of the DER: 1cb9823b…6242c932).
const APPLE_ROOT_PEM: &str = include_str!("../../roots/apple-app-attestation-root-ca.pem");

/// The aaguid of keys attested in Apple's production environment.
pub const AAGUID_PRODUCTION: [u8; 16] = *b"appattest\0\0\0\0\0\0\0";
/// The aaguid of keys attested in Apple's development environment.
pub const AAGUID_DEVELOPMENT: [u8; 16] = *b"appattestdevelop";

/// Which App Attest environment attested a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Production (App Store, TestFlight).
    Production,
    /// Development (builds signed with a development profile).
    Development,
}

impl Environment {
    /// `production` or `development`.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Development => "development",
        }
    }
}

/// An App ID: team ID, a dot, bundle ID (`ABCDE12345.org.example.app`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppId(String);

impl AppId {
    /// Checks the form: a 10-character alphanumeric team ID, a dot, a
    /// non-empty bundle ID of letters, digits, `.` and `-`.
    pub fn new(text: &str) -> Result<AppId, AppAttestError> {
        let bad = || AppAttestError::AppId(text.chars().take(200).collect());
        let (team, bundle) = text.split_once('.').ok_or_else(bad)?;
        let team_ok = team.len() == 10 && team.bytes().all(|b| b.is_ascii_alphanumeric());
        let bundle_ok = !bundle.is_empty()
            && bundle.len() <= 155
            && bundle
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if team_ok && bundle_ok {
            Ok(AppId(text.to_owned()))
        } else {
            Err(bad())
        }
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// SHA-256 of the App ID: the rpIdHash App Attest writes.
    pub fn rp_id_hash(&self) -> [u8; 32] {
        sha256(self.0.as_bytes())
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}

/// SHA-256 of `parts` concatenated.
fn sha256_of(parts: &[&[u8]]) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&SHA256);
    for p in parts {
        ctx.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// The certificates an intermediate must chain to (by name and signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppAttestRoots {
    anchors: Vec<Vec<u8>>,
}

impl AppAttestRoots {
    /// Apple's App Attestation Root CA.
    pub fn apple() -> Result<AppAttestRoots, AppAttestError> {
        AppAttestRoots::from_pem(APPLE_ROOT_PEM)
    }

    /// Anchors from PEM text (a test root, or a root Apple publishes later).
    pub fn from_pem(text: &str) -> Result<AppAttestRoots, AppAttestError> {
        let certs =
            chain::pem_certificates(text).map_err(|e| AppAttestError::Anchor(e.to_string()))?;
        AppAttestRoots::from_certificates(certs)
    }

    /// Anchors from DER certificates; each must parse.
    pub fn from_certificates(certs: Vec<Vec<u8>>) -> Result<AppAttestRoots, AppAttestError> {
        for (i, c) in certs.iter().enumerate() {
            if c.len() > chain::MAX_CERT_BYTES {
                return Err(AppAttestError::Anchor(format!(
                    "certificate {i} is over {} bytes",
                    chain::MAX_CERT_BYTES
                )));
            }
            chain::parse(c, i).map_err(|e| AppAttestError::Anchor(e.to_string()))?;
        }
        Ok(AppAttestRoots { anchors: certs })
    }

    /// No anchors: every attestation is refused with [`AppAttestError::NoAnchors`].
    pub fn none() -> AppAttestRoots {
        AppAttestRoots {
            anchors: Vec::new(),
        }
    }

    /// How many anchors there are.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }
}

/// A key that App Attest vouched for: what to keep for its assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedKey {
    /// SHA-256 of the public key: the key id the device uses.
    pub key_id: [u8; 32],
    /// The uncompressed P-256 point (65 bytes).
    pub public_key: Vec<u8>,
    /// The sign counter (0 in an attestation).
    pub counter: u32,
    /// Production or development.
    pub environment: Environment,
    /// The receipt, for Apple's fraud-metric service (not verified here).
    pub receipt: Vec<u8>,
}

/// Verifies attestation objects and assertions for one app.
#[derive(Debug, Clone)]
pub struct AppAttestVerifier {
    roots: AppAttestRoots,
    app_id: AppId,
    allow_development: bool,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// Checks `cert`'s validity period at `at`.
fn check_validity(
    cert: &X509Certificate<'_>,
    which: &'static str,
    at: OffsetDateTime,
) -> Result<(), AppAttestError> {
    let v = cert.validity();
    let not_before = v.not_before.to_datetime();
    let not_after = v.not_after.to_datetime();
    if at < not_before {
        return Err(AppAttestError::NotYetValid {
            which,
            not_before: rfc3339(not_before),
            at: rfc3339(at),
        });
    }
    if at > not_after {
        return Err(AppAttestError::Expired {
            which,
            not_after: rfc3339(not_after),
            at: rfc3339(at),
        });
    }
    Ok(())
}

fn from_chain_error(e: VerifyError) -> AppAttestError {
    match e {
        VerifyError::Certificate { index, problem } => {
            AppAttestError::Certificate { index, problem }
        }
        VerifyError::Unsupported { index, problem } => {
            AppAttestError::Unsupported { index, problem }
        }
        VerifyError::BadSignature { .. } => AppAttestError::BadSignature,
        other => AppAttestError::Certificate {
            index: 0,
            problem: other.to_string(),
        },
    }
}

/// The nonce in the extension: `SEQUENCE { [1] EXPLICIT OCTET STRING }`.
fn nonce_of(leaf: &X509Certificate<'_>) -> Result<Vec<u8>, AppAttestError> {
    let mut found = leaf
        .extensions()
        .iter()
        .filter(|e| e.oid.as_bytes() == OID_NONCE);
    let (Some(ext), None) = (found.next(), found.next()) else {
        return Err(AppAttestError::NonceExtensionMissing);
    };
    let bad = |e: crate::ExtensionError| AppAttestError::NonceExtension(e.to_string());
    let outer = crate::der::single(ext.value, "nonce extension").map_err(bad)?;
    let mut seq = crate::der::sequence(&outer, "nonce extension").map_err(bad)?;
    let tagged = seq.next("the [1] nonce").map_err(bad)?;
    seq.finish().map_err(bad)?;
    if tagged.context_tag() != Some(1) {
        return Err(AppAttestError::NonceExtension(
            "the element is not the [1] nonce".into(),
        ));
    }
    let inner = crate::der::explicit_inner(&tagged, "the [1] nonce").map_err(bad)?;
    let nonce = crate::der::octets(&inner, "the nonce").map_err(bad)?;
    Ok(nonce.to_vec())
}

/// The leaf's public key, when it is an uncompressed P-256 point.
fn leaf_point(leaf: &X509Certificate<'_>) -> Result<Vec<u8>, AppAttestError> {
    let spki = leaf.public_key();
    let curve = spki.algorithm.parameters.as_ref().map(|p| p.data);
    let point = spki.subject_public_key.data.as_ref();
    if spki.algorithm.algorithm.as_bytes() != OID_EC_PUBLIC_KEY
        || curve != Some(OID_P256)
        || point.len() != 65
        || point.first() != Some(&0x04)
    {
        return Err(AppAttestError::LeafKey);
    }
    Ok(point.to_vec())
}

impl AppAttestVerifier {
    /// A verifier for `app_id` under `roots`; development-environment keys
    /// are refused unless `allow_development`.
    pub fn new(roots: AppAttestRoots, app_id: AppId, allow_development: bool) -> Self {
        AppAttestVerifier {
            roots,
            app_id,
            allow_development,
        }
    }

    /// The App ID objects must be made for.
    pub fn app_id(&self) -> &AppId {
        &self.app_id
    }

    /// Verifies an attestation object for the key `key_id` (the 32 bytes
    /// the device's generateKey gave, base64-decoded) made over
    /// `client_data_hash`, with certificates valid at `at`.
    pub fn verify_attestation(
        &self,
        object: &[u8],
        key_id: &[u8],
        client_data_hash: &[u8; 32],
        at: OffsetDateTime,
    ) -> Result<AttestedKey, AppAttestError> {
        const WHAT: &str = "attestation object";
        if object.len() > MAX_ATTESTATION_BYTES {
            return Err(AppAttestError::TooLarge {
                what: WHAT,
                bytes: object.len(),
                max: MAX_ATTESTATION_BYTES,
            });
        }
        let mut top = cbor::text_map(cbor::decode(object, WHAT)?, WHAT)?;
        match cbor::take(&mut top, "fmt") {
            Some(ciborium::Value::Text(f)) if f == "apple-appattest" => {}
            Some(ciborium::Value::Text(f)) => {
                return Err(AppAttestError::WrongFormat(f.chars().take(64).collect()));
            }
            _ => {
                return Err(AppAttestError::Field {
                    what: WHAT,
                    field: "fmt",
                    expected: "text",
                });
            }
        }
        let auth_data = cbor::take_bytes(&mut top, WHAT, "authData")?;
        let statement = cbor::take(&mut top, "attStmt").ok_or(AppAttestError::Field {
            what: WHAT,
            field: "attStmt",
            expected: "a map",
        })?;
        let mut statement = cbor::text_map(statement, "attStmt")?;
        let receipt = cbor::take_bytes(&mut statement, "attStmt", "receipt")?;
        let x5c = match cbor::take(&mut statement, "x5c") {
            Some(ciborium::Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    ciborium::Value::Bytes(b) => Ok(b),
                    _ => Err(AppAttestError::Field {
                        what: "attStmt",
                        field: "x5c",
                        expected: "an array of byte strings",
                    }),
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => {
                return Err(AppAttestError::Field {
                    what: "attStmt",
                    field: "x5c",
                    expected: "an array of byte strings",
                });
            }
        };

        // 1. The chain: leaf ← intermediate ← a trust anchor.
        let [leaf_der, int_der] = x5c.as_slice() else {
            return Err(AppAttestError::ChainLength(x5c.len()));
        };
        let leaf = chain::parse(leaf_der, 0).map_err(from_chain_error)?;
        let intermediate = chain::parse(int_der, 1).map_err(from_chain_error)?;
        if leaf.issuer().as_raw() != intermediate.subject().as_raw() {
            return Err(AppAttestError::NameChain);
        }
        chain::check_signature(&leaf, &intermediate, 0).map_err(from_chain_error)?;
        let is_ca = intermediate
            .basic_constraints()
            .ok()
            .flatten()
            .is_some_and(|b| b.value.ca);
        if !is_ca {
            return Err(AppAttestError::IntermediateNotCa);
        }
        self.check_anchor(&intermediate, at)?;
        check_validity(&intermediate, "the intermediate certificate", at)?;
        check_validity(&leaf, "the credential certificate", at)?;

        // 2-4. nonce = SHA-256(authData ‖ clientDataHash), in the leaf.
        let nonce = sha256_of(&[&auth_data, client_data_hash]);
        if nonce_of(&leaf)? != nonce {
            return Err(AppAttestError::NonceMismatch);
        }
        // 5. The key id is SHA-256 of the leaf's key.
        let public_key = leaf_point(&leaf)?;
        let key_hash = sha256(&public_key);
        if key_id != key_hash {
            return Err(AppAttestError::KeyIdMismatch);
        }
        // 6. rpIdHash = SHA-256(App ID).
        let parsed = auth_data::parse(&auth_data, true)?;
        if parsed.rp_id_hash != self.app_id.rp_id_hash() {
            return Err(AppAttestError::RpIdMismatch(self.app_id.0.clone()));
        }
        // 7. A fresh key's counter is 0.
        if parsed.counter != 0 {
            return Err(AppAttestError::CounterNotZero(parsed.counter));
        }
        // 8. The environment.
        let Some((aaguid, credential_id)) = parsed.credential else {
            return Err(AppAttestError::AuthData(
                "no attested credential data".into(),
            ));
        };
        let environment = if aaguid == AAGUID_PRODUCTION {
            Environment::Production
        } else if aaguid == AAGUID_DEVELOPMENT {
            Environment::Development
        } else {
            return Err(AppAttestError::UnknownAaguid);
        };
        if environment == Environment::Development && !self.allow_development {
            return Err(AppAttestError::DevelopmentNotAllowed);
        }
        // 9. credentialId is the key id.
        if credential_id != key_hash {
            return Err(AppAttestError::CredentialIdMismatch);
        }
        Ok(AttestedKey {
            key_id: key_hash,
            public_key,
            counter: parsed.counter,
            environment,
            receipt,
        })
    }

    /// The intermediate must be signed by an anchor whose subject is its
    /// issuer, and that anchor valid at `at`.
    fn check_anchor(
        &self,
        intermediate: &X509Certificate<'_>,
        at: OffsetDateTime,
    ) -> Result<(), AppAttestError> {
        if self.roots.is_empty() {
            return Err(AppAttestError::NoAnchors);
        }
        for (i, der) in self.roots.anchors.iter().enumerate() {
            let Ok(anchor) = chain::parse(der, i) else {
                continue;
            };
            if anchor.subject().as_raw() != intermediate.issuer().as_raw() {
                continue;
            }
            if chain::check_signature(intermediate, &anchor, 1).is_ok() {
                return check_validity(&anchor, "the App Attest root", at);
            }
        }
        Err(AppAttestError::UntrustedRoot)
    }

    /// Verifies an assertion over `client_data_hash` with the attested
    /// `public_key` (uncompressed P-256); `stored_counter` is the last
    /// counter accepted. Returns the assertion's counter, to store.
    pub fn verify_assertion(
        &self,
        assertion: &[u8],
        client_data_hash: &[u8; 32],
        public_key: &[u8],
        stored_counter: u32,
    ) -> Result<u32, AppAttestError> {
        const WHAT: &str = "assertion";
        if assertion.len() > MAX_ASSERTION_BYTES {
            return Err(AppAttestError::TooLarge {
                what: WHAT,
                bytes: assertion.len(),
                max: MAX_ASSERTION_BYTES,
            });
        }
        if public_key.len() != 65 || public_key.first() != Some(&0x04) {
            return Err(AppAttestError::StoredKey);
        }
        let mut members = cbor::text_map(cbor::decode(assertion, WHAT)?, WHAT)?;
        let signature = cbor::take_bytes(&mut members, WHAT, "signature")?;
        let authenticator_data = cbor::take_bytes(&mut members, WHAT, "authenticatorData")?;
        // nonce = SHA-256(authenticatorData ‖ clientDataHash), signed with
        // ECDSA P-256 over SHA-256 (so the signed digest is SHA-256(nonce)).
        let nonce = sha256_of(&[&authenticator_data, client_data_hash]);
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, public_key)
            .verify(&nonce, &signature)
            .map_err(|_| AppAttestError::AssertionSignature)?;
        let parsed = auth_data::parse(&authenticator_data, false)?;
        if parsed.rp_id_hash != self.app_id.rp_id_hash() {
            return Err(AppAttestError::RpIdMismatch(self.app_id.0.clone()));
        }
        if parsed.counter <= stored_counter {
            return Err(AppAttestError::CounterNotIncreasing {
                counter: parsed.counter,
                stored: stored_counter,
            });
        }
        Ok(parsed.counter)
    }
}

#[cfg(test)]
mod tests;
