//! Android key attestation chains made under a test root with rcgen: a
//! minimal KeyDescription (the shape Android's schema gives it) on a leaf
//! that carries the device's own public key.

use std::path::Path;

use agent_core::keys::{DeviceSigner, SoftwareSigner};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use posture_attestation::der_writer::{ctx, enumerated, int, octets, seq, set, tlv};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, IsCa, Issuer, KeyPair,
    PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PublicKeyData, SerialNumber,
    SignatureAlgorithm,
};
use time::OffsetDateTime;

const ATTESTATION_OID: &[u64] = &[1, 3, 6, 1, 4, 1, 11129, 2, 1, 17];

/// The intermediate's serial, as the status list writes it.
pub const INTERMEDIATE_SERIAL_HEX: &str = "5eed1e55c0ffee";

/// The verified-boot key the test chains attest.
pub const BOOT_KEY: [u8; 32] = [0x11; 32];

/// Security levels as KeyMint encodes them.
pub const SOFTWARE: u8 = 0;
pub const TEE: u8 = 1;
pub const STRONGBOX: u8 = 2;

/// A KeyDescription at `level` (attestation and KeyMint) for `challenge`:
/// an EC P-256 signing key, locked and verified boot, Android 15,
/// patch levels 2026-01 / 2026-01-05.
pub fn description(level: u8, challenge: &[u8]) -> Vec<u8> {
    Facts::new(level, challenge).der()
}

/// [`description`] with another OS patch level (YYYYMM).
pub fn description_with_patch(level: u8, challenge: &[u8], os_patch_level: u64) -> Vec<u8> {
    Facts {
        os_patch_level,
        ..Facts::new(level, challenge)
    }
    .der()
}

/// Verified-boot states as KeyMint encodes them.
pub const VERIFIED: u8 = 0;
pub const SELF_SIGNED: u8 = 1;
pub const UNVERIFIED: u8 = 2;

/// The signing certificate digest of the test app.
pub const APP_SIGNER: [u8; 32] = [0x33; 32];
/// The test app's package.
pub const APP_PACKAGE: &str = "org.example.posture";

/// What a test chain attests, field by field.
#[derive(Debug, Clone)]
pub struct Facts {
    pub level: u8,
    pub challenge: Vec<u8>,
    pub boot_key: Vec<u8>,
    pub locked: bool,
    pub boot_state: u8,
    pub os_version: u64,
    pub os_patch_level: u64,
    pub vendor_patch_level: u64,
    pub boot_patch_level: u64,
    pub package: String,
    pub signers: Vec<Vec<u8>>,
    /// An ID-attestation IMEI (tag 714), hardware-enforced; none by default.
    pub imei: Option<String>,
}

impl Facts {
    /// The facts of [`description`].
    pub fn new(level: u8, challenge: &[u8]) -> Facts {
        Facts {
            level,
            challenge: challenge.to_vec(),
            boot_key: BOOT_KEY.to_vec(),
            locked: true,
            boot_state: VERIFIED,
            os_version: 150000,
            os_patch_level: 202601,
            vendor_patch_level: 20260105,
            boot_patch_level: 20260105,
            package: APP_PACKAGE.into(),
            signers: vec![APP_SIGNER.to_vec()],
            imei: None,
        }
    }

    /// The KeyDescription's DER.
    pub fn der(&self) -> Vec<u8> {
        let root_of_trust = seq(&[
            octets(&self.boot_key),
            tlv(&[0x01], &[if self.locked { 0xff } else { 0x00 }]),
            enumerated(self.boot_state),
            octets(&[0x22; 32]),
        ]);
        let signers: Vec<Vec<u8>> = self.signers.iter().map(|d| octets(d)).collect();
        let app_id = octets(&seq(&[
            set(&[seq(&[octets(self.package.as_bytes()), int(7)])]),
            set(&signers),
        ]));
        let facts = vec![
            ctx(1, &set(&[int(2)])),
            ctx(2, &int(3)),
            ctx(3, &int(256)),
            ctx(10, &int(1)),
            ctx(503, &tlv(&[0x05], &[])),
            ctx(702, &int(0)),
            ctx(704, &root_of_trust),
            ctx(705, &int(self.os_version)),
            ctx(706, &int(self.os_patch_level)),
        ];
        let patch_levels = vec![
            ctx(718, &int(self.vendor_patch_level)),
            ctx(719, &int(self.boot_patch_level)),
        ];
        let app = vec![ctx(709, &app_id)];
        let ids: Vec<Vec<u8>> = self
            .imei
            .iter()
            .map(|imei| ctx(714, &octets(imei.as_bytes())))
            .collect();
        // A hardware KeyMint enforces the facts itself; Android's software
        // keystore lists them as software-enforced.
        let (software, hardware) = if self.level == SOFTWARE {
            (seq(&[facts, app, ids, patch_levels].concat()), seq(&[]))
        } else {
            (seq(&app), seq(&[facts, ids, patch_levels].concat()))
        };
        seq(&[
            int(300),
            enumerated(self.level),
            int(300),
            enumerated(self.level),
            octets(&self.challenge),
            octets(b""),
            software,
            hardware,
        ])
    }
}

/// A device key as rcgen's subject key: the leaf then carries it.
struct DeviceKey(Vec<u8>);

impl PublicKeyData for DeviceKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ECDSA_P256_SHA256
    }
}

/// The uncompressed SEC1 point of a signer's key.
pub fn point_of(signer: &SoftwareSigner) -> Vec<u8> {
    let jwk = signer.public_jwk().unwrap();
    let mut point = vec![0x04];
    point.extend(URL_SAFE_NO_PAD.decode(&jwk.x).unwrap());
    point.extend(URL_SAFE_NO_PAD.decode(&jwk.y).unwrap());
    point
}

/// SHA-256 of a code normalised as protocol §5.1 says.
pub fn code_challenge(code: &str) -> Vec<u8> {
    agent_core::protocol::EnrolmentCode::new(code)
        .digest()
        .to_vec()
}

/// The attestation challenge of a report's fresh chain (protocol §5.3.3).
pub fn report_challenge(eat_nonce: &str, signer: &SoftwareSigner) -> Vec<u8> {
    agent_core::protocol::report_attestation_challenge(eat_nonce, &signer.kid().unwrap()).to_vec()
}

fn ca_params(cn: &str, serial: u64) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.serial_number = Some(SerialNumber::from(serial));
    p.not_before = OffsetDateTime::from_unix_timestamp(1_600_000_000).unwrap();
    p.not_after = OffsetDateTime::from_unix_timestamp(4_000_000_000).unwrap();
    p
}

/// A test root and intermediate that sign leaves.
pub struct TestRoot {
    root_pem: String,
    root_der: Vec<u8>,
    int_params: CertificateParams,
    int_key: KeyPair,
    int_der: Vec<u8>,
}

impl TestRoot {
    pub fn new() -> TestRoot {
        let root_key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
        let root_params = ca_params("Test Attestation Root", 1);
        let root = root_params.self_signed(&root_key).unwrap();
        let root_issuer = Issuer::from_params(&root_params, &root_key);
        let int_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let int_params = ca_params(
            "Test Attestation Intermediate",
            u64::from_str_radix(INTERMEDIATE_SERIAL_HEX, 16).unwrap(),
        );
        let intermediate = int_params.signed_by(&int_key, &root_issuer).unwrap();
        TestRoot {
            root_pem: root.pem(),
            root_der: root.der().to_vec(),
            int_der: intermediate.der().to_vec(),
            int_params,
            int_key,
        }
    }

    /// Writes the root as a PEM file (what `--attestation-roots` takes).
    pub fn write_pem(&self, path: &Path) {
        std::fs::write(path, &self.root_pem).unwrap();
    }

    /// The chain, leaf first, as `key_attestation` sends it: a leaf for
    /// `point` whose extension is `extension`.
    pub fn chain(&self, point: &[u8], extension: Vec<u8>) -> Vec<String> {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "Android Keystore Key");
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(
                ATTESTATION_OID,
                extension,
            ));
        let issuer = Issuer::from_params(&self.int_params, &self.int_key);
        let leaf = params
            .signed_by(&DeviceKey(point.to_vec()), &issuer)
            .unwrap();
        [leaf.der(), &self.int_der[..], &self.root_der[..]]
            .iter()
            .map(|d| STANDARD.encode(d))
            .collect()
    }

    /// A report's fresh chain (protocol §5.3.3): `facts` (their challenge
    /// the report's) attested for a new throwaway key, not the device key.
    pub fn fresh_chain(&self, facts: &Facts) -> Vec<String> {
        let throwaway = SoftwareSigner::ephemeral().unwrap();
        self.chain(&point_of(&throwaway), facts.der())
    }

    /// The chain a real device would send when enrolling `signer` with `code`.
    pub fn device_chain(&self, signer: &SoftwareSigner, code: &str, level: u8) -> Vec<String> {
        self.chain(&point_of(signer), description(level, &code_challenge(code)))
    }
}
