//! Chains made with rcgen under a test root: the cases no real device gives.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use posture_attestation::der_writer::{ctx, enumerated, int, octets, seq, set, tlv};
use posture_attestation::{
    Assurance, Chain, ExpectedKey, ExtensionError, KeyDescription, Options, TrustedRoots, Verifier,
    VerifyError,
};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, IsCa, Issuer, KeyPair,
    PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384,
};
use time::{Duration, OffsetDateTime};

const ATTESTATION_OID: &[u64] = &[1, 3, 6, 1, 4, 1, 11129, 2, 1, 17];

fn root_of_trust() -> Vec<u8> {
    seq(&[
        octets(&[0x11; 32]),
        tlv(&[0x01], &[0xff]),
        enumerated(0),
        octets(&[0x22; 32]),
    ])
}

fn app_id(packages: usize) -> Vec<u8> {
    let infos: Vec<Vec<u8>> = (0..packages)
        .map(|i| seq(&[octets(format!("org.example.app{i}").as_bytes()), int(7)]))
        .collect();
    octets(&seq(&[set(&infos), set(&[octets(&[0x33; 32])])]))
}

/// A KeyDescription with both security levels at `level` and `hardware` as
/// the hardware-enforced list's elements.
fn description(level: u8, challenge: &[u8], hardware: &[Vec<u8>]) -> Vec<u8> {
    seq(&[
        int(300),
        enumerated(level),
        int(300),
        enumerated(level),
        octets(challenge),
        octets(b""),
        seq(&[ctx(709, &app_id(1))]),
        seq(hardware),
    ])
}

fn typical_hardware() -> Vec<Vec<u8>> {
    vec![
        ctx(1, &set(&[int(2)])),
        ctx(2, &int(3)),
        ctx(3, &int(256)),
        ctx(10, &int(1)),
        ctx(503, &tlv(&[0x05], &[])),
        ctx(702, &int(0)),
        ctx(704, &root_of_trust()),
        ctx(705, &int(150000)),
        ctx(706, &int(202601)),
    ]
}

// --- chains -----------------------------------------------------------------

struct Made {
    root: Vec<u8>,
    chain: Chain,
    leaf_key: KeyPair,
}

struct Spec {
    leaf_ext: Option<Vec<u8>>,
    intermediate_ext: Option<Vec<u8>>,
    intermediate_not_after: OffsetDateTime,
    leaf_ext_twice: bool,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            leaf_ext: Some(description(1, b"challenge", &typical_hardware())),
            intermediate_ext: None,
            intermediate_not_after: OffsetDateTime::from_unix_timestamp(4_000_000_000).unwrap(),
            leaf_ext_twice: false,
        }
    }
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.not_before = OffsetDateTime::from_unix_timestamp(1_600_000_000).unwrap();
    p.not_after = OffsetDateTime::from_unix_timestamp(4_000_000_000).unwrap();
    p
}

fn make(spec: Spec) -> Made {
    let root_key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
    let root_params = ca_params("Test Attestation Root");
    let root = root_params.self_signed(&root_key).unwrap();
    let root_issuer = Issuer::from_params(&root_params, &root_key);

    let int_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut int_params = ca_params("Test Attestation Intermediate");
    int_params.not_after = spec.intermediate_not_after;
    if let Some(ext) = spec.intermediate_ext {
        int_params
            .custom_extensions
            .push(CustomExtension::from_oid_content(ATTESTATION_OID, ext));
    }
    let intermediate = int_params.signed_by(&int_key, &root_issuer).unwrap();
    let int_issuer = Issuer::from_params(&int_params, &int_key);

    let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut leaf_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "Android Keystore Key");
    if let Some(ext) = spec.leaf_ext {
        let copies = if spec.leaf_ext_twice { 2 } else { 1 };
        for _ in 0..copies {
            leaf_params
                .custom_extensions
                .push(CustomExtension::from_oid_content(
                    ATTESTATION_OID,
                    ext.clone(),
                ));
        }
    }
    let leaf = leaf_params.signed_by(&leaf_key, &int_issuer).unwrap();

    let chain = Chain::from_der(vec![
        leaf.der().to_vec(),
        intermediate.der().to_vec(),
        root.der().to_vec(),
    ])
    .unwrap();
    Made {
        root: root.der().to_vec(),
        chain,
        leaf_key,
    }
}

fn test_verifier(made: &Made) -> Verifier {
    Verifier::new(TrustedRoots::from_certificates(std::slice::from_ref(&made.root)).unwrap())
}

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap() // 2026-05
}

#[test]
fn a_generated_chain_verifies_under_its_test_root() {
    let made = make(Spec::default());
    let point = made.leaf_key.public_key_raw().to_vec();
    let jwk = ExpectedKey::Jwk {
        x: URL_SAFE_NO_PAD.encode(&point[1..33]),
        y: URL_SAFE_NO_PAD.encode(&point[33..]),
    };
    let sec1 = ExpectedKey::Sec1(point);
    for key in [&jwk, &sec1] {
        let options = Options {
            challenge: Some(b"challenge"),
            leaf_key: Some(key),
            ..Options::at(now())
        };
        let verified = test_verifier(&made).verify(&made.chain, &options).unwrap();
        assert_eq!(verified.assurance, Assurance::Hardware);
        let hw = &verified.description.hardware_enforced;
        assert_eq!(hw.os_patch_level.map(|p| p.0), Some(202601));
        assert!(hw.root_of_trust.as_ref().unwrap().device_locked);
    }
}

#[test]
fn a_chain_to_another_root_is_rejected() {
    let made = make(Spec::default());
    let err = super::verifier()
        .verify(&made.chain, &Options::at(now()))
        .unwrap_err();
    assert_eq!(err, VerifyError::UntrustedRoot);
}

#[test]
fn the_extension_on_a_non_leaf_is_rejected() {
    let made = make(Spec {
        intermediate_ext: Some(description(1, b"challenge", &typical_hardware())),
        ..Spec::default()
    });
    let err = test_verifier(&made)
        .verify(&made.chain, &Options::at(now()))
        .unwrap_err();
    assert_eq!(err, VerifyError::ExtensionOnNonLeaf { index: 1 });
}

#[test]
fn a_leaf_without_the_extension_is_rejected() {
    let made = make(Spec {
        leaf_ext: None,
        ..Spec::default()
    });
    let err = test_verifier(&made)
        .verify(&made.chain, &Options::at(now()))
        .unwrap_err();
    assert_eq!(err, VerifyError::NoExtension);
}

#[test]
fn the_extension_twice_on_the_leaf_is_rejected() {
    let made = make(Spec {
        leaf_ext_twice: true,
        ..Spec::default()
    });
    let err = test_verifier(&made)
        .verify(&made.chain, &Options::at(now()))
        .unwrap_err();
    assert_eq!(err, VerifyError::DuplicateExtension);
}

#[test]
fn software_security_level_is_rejected_unless_allowed_then_labelled() {
    let made = make(Spec {
        leaf_ext: Some(description(0, b"challenge", &typical_hardware())),
        ..Spec::default()
    });
    let err = test_verifier(&made)
        .verify(&made.chain, &Options::at(now()))
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::SoftwareSecurityLevel { .. }),
        "{err:?}"
    );
    let options = Options {
        allow_software: true,
        ..Options::at(now())
    };
    let verified = test_verifier(&made).verify(&made.chain, &options).unwrap();
    assert_eq!(verified.assurance, Assurance::Software);
}

#[test]
fn wrong_challenge_is_rejected() {
    let made = make(Spec::default());
    let options = Options {
        challenge: Some(b"another request"),
        ..Options::at(now())
    };
    let err = test_verifier(&made)
        .verify(&made.chain, &options)
        .unwrap_err();
    assert_eq!(err, VerifyError::ChallengeMismatch);
}

#[test]
fn a_leaf_key_other_than_the_enrolled_one_is_rejected() {
    let made = make(Spec::default());
    let other = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let key = ExpectedKey::Sec1(other.public_key_raw().to_vec());
    let options = Options {
        leaf_key: Some(&key),
        ..Options::at(now())
    };
    let err = test_verifier(&made)
        .verify(&made.chain, &options)
        .unwrap_err();
    assert_eq!(err, VerifyError::LeafKeyMismatch);
    let bad = ExpectedKey::Jwk {
        x: "not base64!".into(),
        y: "AAAA".into(),
    };
    let options = Options {
        leaf_key: Some(&bad),
        ..Options::at(now())
    };
    let err = test_verifier(&made)
        .verify(&made.chain, &options)
        .unwrap_err();
    assert!(matches!(err, VerifyError::ExpectedKey(_)), "{err:?}");
}

#[test]
fn an_intermediate_expired_at_the_verification_time_is_rejected() {
    let made = make(Spec {
        intermediate_not_after: now() - Duration::days(1),
        ..Spec::default()
    });
    let err = test_verifier(&made)
        .verify(&made.chain, &Options::at(now()))
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::Expired { index: 1, .. }),
        "{err:?}"
    );
    // The same chain verifies at a time inside the intermediate's validity.
    assert!(
        test_verifier(&made)
            .verify(&made.chain, &Options::at(now() - Duration::days(2)))
            .is_ok()
    );
}

// --- the extension parser on its own ----------------------------------------

#[test]
fn every_truncation_of_a_description_is_an_error() {
    let der = description(1, b"challenge", &typical_hardware());
    assert!(KeyDescription::from_der(&der).is_ok());
    for cut in 0..der.len() {
        assert!(
            KeyDescription::from_der(&der[..cut]).is_err(),
            "cut at {cut}"
        );
    }
}

#[test]
fn an_oversized_description_is_rejected() {
    let big = vec![0x30; posture_attestation::MAX_EXTENSION_BYTES + 1];
    assert!(matches!(
        KeyDescription::from_der(&big),
        Err(ExtensionError::TooLarge { .. })
    ));
}

#[test]
fn a_duplicate_tag_is_rejected() {
    let mut hw = typical_hardware();
    hw.push(ctx(706, &int(202602)));
    let err = KeyDescription::from_der(&description(1, b"c", &hw)).unwrap_err();
    assert_eq!(
        err,
        ExtensionError::DuplicateTag {
            list: "hardwareEnforced",
            tag: 706
        }
    );
}

#[test]
fn too_many_packages_are_rejected() {
    let der = seq(&[
        int(300),
        enumerated(1),
        int(300),
        enumerated(1),
        octets(b"c"),
        octets(b""),
        seq(&[ctx(709, &app_id(posture_attestation::MAX_PACKAGES + 1))]),
        seq(&typical_hardware()),
    ]);
    assert!(matches!(
        KeyDescription::from_der(&der),
        Err(ExtensionError::TooMany {
            field: "packageInfos",
            ..
        })
    ));
}

#[test]
fn unknown_tags_are_kept_by_number_and_order_is_noted() {
    let mut hw = typical_hardware();
    hw.push(ctx(9999, &int(1)));
    hw.push(ctx(705, &int(1))); // a repeat: rejected
    assert!(KeyDescription::from_der(&description(1, b"c", &hw)).is_err());
    let mut hw = typical_hardware();
    hw.push(ctx(9999, &int(1)));
    hw.push(ctx(5, &set(&[int(4)]))); // out of order
    let d = KeyDescription::from_der(&description(1, b"c", &hw)).unwrap();
    let list = &d.hardware_enforced;
    assert_eq!(list.unknown.len(), 1);
    assert_eq!(list.unknown[0].tag, 9999);
    assert_eq!(list.digests, Some(vec![4]));
    assert!(!list.tags_ordered);
    assert!(d.software_enforced.tags_ordered);
}

#[test]
fn a_ber_boolean_in_the_root_of_trust_is_rejected() {
    let mut hw = typical_hardware();
    hw[6] = ctx(
        704,
        &seq(&[
            octets(&[0; 32]),
            tlv(&[0x01], &[0x01]),
            enumerated(0),
            octets(&[0; 32]),
        ]),
    );
    let err = KeyDescription::from_der(&description(1, b"c", &hw)).unwrap_err();
    assert!(matches!(
        err,
        ExtensionError::NotDerBoolean {
            field: "deviceLocked",
            byte: 1
        }
    ));
}
