//! A test CA standing in for Apple's App Attest root, and a test device:
//! attestation objects and assertions laid out as App Attest makes them,
//! with every field settable so each check can be shown to fail. For tests
//! (this crate's, the collector's, end-to-end) and benches; a verifier
//! trusts this CA only when it is given as an anchor.

use ciborium::Value;
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, KeyPair,
};
use time::{Duration, OffsetDateTime};

use super::{AAGUID_PRODUCTION, sha256, sha256_of};
use crate::der_writer::{bits, boolean, ctx, int, octets, oid, seq, set, time as der_time, utf8};

const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const OID_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];

/// Something the builder could not do (ring refused a key or a signature).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("test App Attest builder: {0}")]
pub struct BuildError(&'static str);

fn p384_key(rng: &SystemRandom) -> Result<EcdsaKeyPair, BuildError> {
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, rng)
        .map_err(|_| BuildError("generate a P-384 key"))?;
    EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, pkcs8.as_ref(), rng)
        .map_err(|_| BuildError("load a P-384 key"))
}

fn name(cn: &str) -> Vec<u8> {
    seq(&[set(&[seq(&[oid(OID_CN), utf8(cn)])])])
}

fn spki(curve: &[u8], point: &[u8]) -> Vec<u8> {
    seq(&[seq(&[oid(OID_EC_PUBLIC_KEY), oid(curve)]), bits(point)])
}

/// What a certificate says, before the issuer signs it.
struct Tbs<'a> {
    serial: u64,
    issuer: &'a str,
    subject: &'a str,
    validity: (OffsetDateTime, OffsetDateTime),
    spki: Vec<u8>,
    extensions: Vec<Vec<u8>>,
}

fn certificate(
    tbs: &Tbs<'_>,
    issuer_key: &EcdsaKeyPair,
    rng: &SystemRandom,
) -> Result<Vec<u8>, BuildError> {
    let alg = seq(&[oid(OID_ECDSA_SHA384)]);
    let mut fields = vec![
        ctx(0, &int(2)),
        int(tbs.serial),
        alg.clone(),
        name(tbs.issuer),
        seq(&[der_time(tbs.validity.0), der_time(tbs.validity.1)]),
        name(tbs.subject),
        tbs.spki.clone(),
    ];
    if !tbs.extensions.is_empty() {
        fields.push(ctx(3, &seq(&tbs.extensions)));
    }
    let tbs = seq(&fields);
    let signature = issuer_key
        .sign(rng, &tbs)
        .map_err(|_| BuildError("sign a certificate"))?;
    Ok(seq(&[tbs, alg, bits(signature.as_ref())]))
}

fn ca_extension() -> Vec<u8> {
    seq(&[
        oid(OID_BASIC_CONSTRAINTS),
        boolean(true),
        octets(&seq(&[boolean(true)])),
    ])
}

/// A P-384 root and intermediate (as Apple's are), named like Apple's.
pub struct TestCa {
    rng: SystemRandom,
    root_key: EcdsaKeyPair,
    root_der: Vec<u8>,
    int_key: EcdsaKeyPair,
    root_name: String,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa")
            .field("root_name", &self.root_name)
            .finish_non_exhaustive()
    }
}

/// Valid from 2020 to 2045, like Apple's root.
fn long_validity() -> (OffsetDateTime, OffsetDateTime) {
    (
        OffsetDateTime::from_unix_timestamp(1_584_555_173).unwrap_or(OffsetDateTime::UNIX_EPOCH),
        OffsetDateTime::from_unix_timestamp(2_373_235_200).unwrap_or(OffsetDateTime::UNIX_EPOCH),
    )
}

impl TestCa {
    /// A new root (named "Apple App Attestation Root CA", so only its key
    /// tells it from Apple's) and intermediate key.
    pub fn new() -> Result<TestCa, BuildError> {
        TestCa::named("Apple App Attestation Root CA")
    }

    /// A new root with another name.
    pub fn named(root_name: &str) -> Result<TestCa, BuildError> {
        let rng = SystemRandom::new();
        let root_key = p384_key(&rng)?;
        let int_key = p384_key(&rng)?;
        let root_der = certificate(
            &Tbs {
                serial: 1,
                issuer: root_name,
                subject: root_name,
                validity: long_validity(),
                spki: spki(OID_P384, root_key.public_key().as_ref()),
                extensions: vec![ca_extension()],
            },
            &root_key,
            &rng,
        )?;
        Ok(TestCa {
            rng,
            root_key,
            root_der,
            int_key,
            root_name: root_name.to_owned(),
        })
    }

    /// The root certificate, DER.
    pub fn root_der(&self) -> &[u8] {
        &self.root_der
    }

    /// The root certificate, PEM.
    pub fn root_pem(&self) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.root_der);
        let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
        out
    }

    /// An attestation object for `device` over `client_data_hash`, as
    /// `spec` lays it out.
    pub fn attest(
        &self,
        device: &TestDevice,
        client_data_hash: &[u8; 32],
        spec: &Spec,
    ) -> Result<Vec<u8>, BuildError> {
        let point = device.public_key();
        let key_id = sha256(&point);
        let credential_id = spec.credential_id.clone().unwrap_or(key_id.to_vec());
        let mut auth_data = Vec::new();
        auth_data.extend(sha256(spec.app_id.as_bytes()));
        auth_data.push(0x40);
        auth_data.extend(spec.counter.to_be_bytes());
        auth_data.extend(spec.aaguid);
        let id_len =
            u16::try_from(credential_id.len()).map_err(|_| BuildError("credentialId length"))?;
        auth_data.extend(id_len.to_be_bytes());
        auth_data.extend(&credential_id);
        auth_data.extend(cose_key(&point)?);
        let nonce = spec
            .nonce
            .unwrap_or_else(|| sha256_of(&[&auth_data, client_data_hash]));
        let int_name = "Apple App Attestation CA 1";
        let intermediate = certificate(
            &Tbs {
                serial: 2,
                issuer: &self.root_name,
                subject: int_name,
                validity: spec.intermediate_validity,
                spki: spki(OID_P384, self.int_key.public_key().as_ref()),
                extensions: vec![ca_extension()],
            },
            &self.root_key,
            &self.rng,
        )?;
        let nonce_ext = seq(&[
            oid(super::OID_NONCE),
            octets(&seq(&[ctx(1, &octets(&nonce))])),
        ]);
        let mut leaf = certificate(
            &Tbs {
                serial: 3,
                issuer: int_name,
                subject: "test credential",
                validity: spec.leaf_validity,
                spki: spki(OID_P256, &point),
                extensions: vec![nonce_ext],
            },
            &self.int_key,
            &self.rng,
        )?;
        if spec.break_leaf_signature
            && let Some(last) = leaf.last_mut()
        {
            *last ^= 0x01;
        }
        let object = Value::Map(vec![
            (Value::Text("fmt".into()), Value::Text(spec.fmt.clone())),
            (
                Value::Text("attStmt".into()),
                Value::Map(vec![
                    (
                        Value::Text("x5c".into()),
                        Value::Array(vec![Value::Bytes(leaf), Value::Bytes(intermediate)]),
                    ),
                    (
                        Value::Text("receipt".into()),
                        Value::Bytes(b"test receipt".to_vec()),
                    ),
                ]),
            ),
            (Value::Text("authData".into()), Value::Bytes(auth_data)),
        ]);
        to_cbor(&object)
    }
}

fn to_cbor(value: &Value) -> Result<Vec<u8>, BuildError> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).map_err(|_| BuildError("encode CBOR"))?;
    Ok(out)
}

/// The credential's key as a COSE EC2 key (kty 2, alg ES256, crv P-256).
fn cose_key(point: &[u8]) -> Result<Vec<u8>, BuildError> {
    let (Some(x), Some(y)) = (point.get(1..33), point.get(33..65)) else {
        return Err(BuildError("a P-256 point"));
    };
    to_cbor(&Value::Map(vec![
        (Value::Integer(1.into()), Value::Integer(2.into())),
        (Value::Integer(3.into()), Value::Integer((-7).into())),
        (Value::Integer((-1).into()), Value::Integer(1.into())),
        (Value::Integer((-2).into()), Value::Bytes(x.to_vec())),
        (Value::Integer((-3).into()), Value::Bytes(y.to_vec())),
    ]))
}

/// How an attestation object is laid out; [`Spec::valid`] is what Apple's
/// production environment makes.
#[derive(Debug, Clone)]
pub struct Spec {
    /// `fmt`.
    pub fmt: String,
    /// The App ID whose hash is the rpIdHash.
    pub app_id: String,
    /// The sign counter.
    pub counter: u32,
    /// The aaguid.
    pub aaguid: [u8; 16],
    /// credentialId; by default the key id.
    pub credential_id: Option<Vec<u8>>,
    /// The nonce in the leaf; by default SHA-256(authData ‖ clientDataHash).
    pub nonce: Option<[u8; 32]>,
    /// The intermediate's validity.
    pub intermediate_validity: (OffsetDateTime, OffsetDateTime),
    /// The leaf's validity.
    pub leaf_validity: (OffsetDateTime, OffsetDateTime),
    /// Flip a bit of the leaf's signature.
    pub break_leaf_signature: bool,
}

impl Spec {
    /// A valid production object for `app_id`, its leaf valid for three
    /// days around `at` and its intermediate until 2045.
    pub fn valid(app_id: &str, at: OffsetDateTime) -> Spec {
        Spec {
            fmt: "apple-appattest".into(),
            app_id: app_id.into(),
            counter: 0,
            aaguid: AAGUID_PRODUCTION,
            credential_id: None,
            nonce: None,
            intermediate_validity: long_validity(),
            leaf_validity: (at - Duration::days(1), at + Duration::days(2)),
            break_leaf_signature: false,
        }
    }
}

/// A device's App Attest key (P-256, as the Secure Enclave makes it).
pub struct TestDevice {
    rng: SystemRandom,
    key: EcdsaKeyPair,
}

impl std::fmt::Debug for TestDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDevice").finish_non_exhaustive()
    }
}

impl TestDevice {
    /// A new key.
    pub fn new() -> Result<TestDevice, BuildError> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .map_err(|_| BuildError("generate a P-256 key"))?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| BuildError("load a P-256 key"))?;
        Ok(TestDevice { rng, key })
    }

    /// The uncompressed public point.
    pub fn public_key(&self) -> Vec<u8> {
        self.key.public_key().as_ref().to_vec()
    }

    /// SHA-256 of the public point: the key id generateKey returns.
    pub fn key_id(&self) -> [u8; 32] {
        sha256(&self.public_key())
    }

    /// The key id as `generateKey` returns it: base64 (standard, padded)
    /// of [`TestDevice::key_id`].
    pub fn key_id_text(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(self.key_id())
    }

    /// An assertion `{signature, authenticatorData}` for `app_id` with
    /// `counter`, over `client_data_hash`.
    pub fn assert(
        &self,
        app_id: &str,
        counter: u32,
        client_data_hash: &[u8; 32],
    ) -> Result<Vec<u8>, BuildError> {
        let mut authenticator_data = sha256(app_id.as_bytes()).to_vec();
        authenticator_data.push(0x00);
        authenticator_data.extend(counter.to_be_bytes());
        let nonce = sha256_of(&[&authenticator_data, client_data_hash]);
        let signature = self
            .key
            .sign(&self.rng, &nonce)
            .map_err(|_| BuildError("sign an assertion"))?;
        to_cbor(&Value::Map(vec![
            (
                Value::Text("signature".into()),
                Value::Bytes(signature.as_ref().to_vec()),
            ),
            (
                Value::Text("authenticatorData".into()),
                Value::Bytes(authenticator_data),
            ),
        ]))
    }
}
