//! Real attestation chains from Pixel devices (Google's verifier's test
//! data), and chains made here under a test root for the negative cases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "android_vectors/generated.rs"]
mod generated;

use std::path::PathBuf;

use posture_attestation::json::Ids;
use posture_attestation::{
    Assurance, Chain, ExtensionError, Options, SecurityLevel, StatusList, Verified, Verifier,
    VerifyError,
};
use serde_json::Value;
use time::OffsetDateTime;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/android-key-attestation")
}

fn chain(name: &str) -> Chain {
    let text = std::fs::read_to_string(vectors_dir().join(format!("{name}.pem"))).unwrap();
    Chain::from_pem(&text).unwrap()
}

/// Google's decoded description, `//` comment lines stripped.
fn expected_json(name: &str) -> Value {
    let text = std::fs::read_to_string(vectors_dir().join(format!("{name}.json"))).unwrap();
    let json: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    serde_json::from_str(&json).unwrap()
}

/// The capture time: the key's creation time, which lies inside every
/// non-leaf certificate's validity for each vector.
fn capture_time(expected: &Value) -> OffsetDateTime {
    let ms: i128 = expected["softwareEnforced"]["creationDateTime"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    OffsetDateTime::from_unix_timestamp_nanos(ms * 1_000_000).unwrap()
}

fn challenge(expected: &Value) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(expected["attestationChallenge"].as_str().unwrap())
        .unwrap()
}

const HARDWARE_VECTORS: &[&str] = &[
    "akita_sdk34_SB_RSA_NONE",
    "akita_sdk34_TEE_EC_NONE",
    "akita_sdk34_TEE_RSA_BASE+IMEI",
    "blueline_sdk28_SB_RSA_NONE",
    "blueline_sdk28_TEE_EC_NONE",
    "caiman_sdk36_TEE_EC_RKP",
    "tegu_sdk36_TEE_EC_2026_ROOT",
];
const SOFTWARE_VECTOR: &str = "marlin_sdk29_TEE_EC_NONE";

/// A verifier on Google's embedded roots.
fn verifier() -> Verifier {
    Verifier::google().unwrap()
}

fn verify_vector(name: &str, allow_software: bool) -> Result<Verified, VerifyError> {
    let expected = expected_json(name);
    let challenge = challenge(&expected);
    let options = Options {
        allow_software,
        challenge: Some(&challenge),
        ..Options::at(capture_time(&expected))
    };
    verifier().verify(&chain(name), &options)
}

/// `areTagsOrdered` is in only some of Google's files: compared where present.
fn drop_absent_tags_ordered(actual: &mut Value, expected: &Value) {
    for list in ["softwareEnforced", "hardwareEnforced"] {
        if expected[list].get("areTagsOrdered").is_none()
            && let Some(o) = actual[list].as_object_mut()
        {
            o.remove("areTagsOrdered");
        }
    }
}

fn assert_same_description(name: &str, verified: &Verified) {
    let expected = expected_json(name);
    let mut actual = verified.description.to_google_json(Ids::Include);
    drop_absent_tags_ordered(&mut actual, &expected);
    let (a, e) = (actual.as_object().unwrap(), expected.as_object().unwrap());
    for (key, value) in e {
        if let (Some(av), Some(ev)) = (a[key].as_object(), value.as_object()) {
            for (k, v) in ev {
                assert_eq!(av.get(k), Some(v), "{name}: {key}.{k}");
            }
            let extra: Vec<_> = av.keys().filter(|k| !ev.contains_key(*k)).collect();
            assert!(extra.is_empty(), "{name}: {key} has extra fields {extra:?}");
        } else {
            assert_eq!(a.get(key), Some(value), "{name}: {key}");
        }
    }
    assert_eq!(actual, expected, "{name}: whole description");
}

#[test]
fn every_hardware_vector_verifies_and_decodes_as_google_does() {
    for name in HARDWARE_VECTORS {
        let verified = verify_vector(name, false).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(verified.assurance, Assurance::Hardware, "{name}");
        assert!(verified.security_level.is_hardware(), "{name}");
        assert_same_description(name, &verified);
    }
}

#[test]
fn strongbox_vectors_report_strongbox() {
    for name in ["akita_sdk34_SB_RSA_NONE", "blueline_sdk28_SB_RSA_NONE"] {
        let verified = verify_vector(name, false).unwrap();
        assert_eq!(verified.security_level, SecurityLevel::StrongBox, "{name}");
    }
}

#[test]
fn software_vector_is_rejected_without_allow_software() {
    let err = verify_vector(SOFTWARE_VECTOR, false).unwrap_err();
    assert_eq!(err, VerifyError::SoftwareRoot);
    assert!(
        err.to_string().contains("software attestation root"),
        "{err}"
    );
}

#[test]
fn software_vector_verifies_with_allow_software_and_is_labelled() {
    let verified = verify_vector(SOFTWARE_VECTOR, true).unwrap();
    assert_eq!(verified.assurance, Assurance::Software);
    assert_eq!(verified.security_level, SecurityLevel::Software);
    assert_same_description(SOFTWARE_VECTOR, &verified);
}

#[test]
fn malformed_device_locked_is_rejected_with_its_reason() {
    let at = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
    let err = verifier()
        .verify(
            &chain("invalid_malformed_rot_device_locked"),
            &Options::at(at),
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::Extension(ExtensionError::NotDerBoolean {
                field: "deviceLocked",
                byte: 0x01
            })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("deviceLocked"), "{err}");
}

#[test]
fn blueline_root_expired_in_2026_is_rejected_after() {
    let at = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(); // 2027-01
    let err = verifier()
        .verify(&chain("blueline_sdk28_TEE_EC_NONE"), &Options::at(at))
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::Expired { index: 3, .. }),
        "{err:?}"
    );
}

#[test]
fn intermediate_not_yet_valid_is_rejected() {
    let at = OffsetDateTime::from_unix_timestamp(1_500_000_000).unwrap(); // 2017-07
    let err = verifier()
        .verify(&chain("blueline_sdk28_TEE_EC_NONE"), &Options::at(at))
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::NotYetValid { index: 1, .. }),
        "{err:?}"
    );
}

#[test]
fn wrong_challenge_is_rejected() {
    let expected = expected_json("caiman_sdk36_TEE_EC_RKP");
    let options = Options {
        challenge: Some(b"challenge"),
        ..Options::at(capture_time(&expected))
    };
    let err = verifier()
        .verify(&chain("caiman_sdk36_TEE_EC_RKP"), &options)
        .unwrap_err();
    assert_eq!(err, VerifyError::ChallengeMismatch);
}

fn status_list(serial: &str, status: &str) -> StatusList {
    StatusList::from_json(
        format!(
            r#"{{"entries": {{"{serial}": {{"status": "{status}", "reason": "KEY_COMPROMISE"}}}}}}"#
        )
        .as_bytes(),
    )
    .unwrap()
}

#[test]
fn revoked_and_suspended_serials_are_rejected_by_name() {
    let name = "akita_sdk34_TEE_EC_NONE";
    let expected = expected_json(name);
    let at = capture_time(&expected);
    // Droid CA2 of this chain, serial 0388266760658996860E.
    for (status, want) in [
        ("REVOKED", posture_attestation::Status::Revoked),
        ("SUSPENDED", posture_attestation::Status::Suspended),
    ] {
        let list = status_list("388266760658996860e", status);
        let options = Options {
            status: Some(&list),
            ..Options::at(at)
        };
        let err = verifier().verify(&chain(name), &options).unwrap_err();
        match &err {
            VerifyError::Revoked {
                index,
                serial,
                status,
                reason,
            } => {
                assert_eq!(*index, 3);
                assert_eq!(serial, "388266760658996860e");
                assert_eq!(*status, want);
                assert_eq!(reason, "KEY_COMPROMISE");
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains(status), "{err}");
    }
    // A list naming other serials lets the chain through.
    let list = status_list("2c8cdddfd5e03bfc", "REVOKED");
    let options = Options {
        status: Some(&list),
        ..Options::at(at)
    };
    assert!(verifier().verify(&chain(name), &options).is_ok());
}

#[test]
fn a_flipped_signature_byte_is_rejected() {
    let name = "akita_sdk34_TEE_EC_NONE";
    let at = capture_time(&expected_json(name));
    let mut certs = chain(name).certificates().to_vec();
    // The signature BIT STRING ends the certificate: flip its last byte.
    let last = certs[1].len() - 1;
    certs[1][last] ^= 0x01;
    let err = verifier()
        .verify(&Chain::from_der(certs).unwrap(), &Options::at(at))
        .unwrap_err();
    assert_eq!(err, VerifyError::BadSignature { index: 1 });
}

#[test]
fn a_signature_bit_string_with_unused_bits_is_rejected() {
    let name = "akita_sdk34_TEE_EC_NONE";
    let at = capture_time(&expected_json(name));
    let mut certs = chain(name).certificates().to_vec();
    let der = &mut certs[1];
    // The certificate ends with the signature: BIT STRING, short length, 0x00.
    let i = (0..der.len() - 2)
        .rev()
        .find(|&i| der[i] == 0x03 && usize::from(der[i + 1]) == der.len() - i - 2)
        .unwrap();
    assert_eq!(der[i + 2], 0x00);
    der[i + 2] = 0x01;
    let err = verifier()
        .verify(&Chain::from_der(certs).unwrap(), &Options::at(at))
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::Certificate { index: 1, .. }),
        "{err:?}"
    );
}

#[test]
fn truncated_certificates_are_rejected_without_panic() {
    let name = "caiman_sdk36_TEE_EC_RKP";
    let at = capture_time(&expected_json(name));
    let full = chain(name).certificates().to_vec();
    for cut in [0, 1, 10, full[0].len() / 2, full[0].len() - 1] {
        let mut certs = full.clone();
        certs[0].truncate(cut);
        let err = verifier()
            .verify(&Chain::from_der(certs).unwrap(), &Options::at(at))
            .unwrap_err();
        assert!(
            matches!(err, VerifyError::Certificate { index: 0, .. }),
            "{cut}: {err:?}"
        );
    }
}

#[test]
fn oversized_certificates_and_chains_are_rejected() {
    let full = chain("caiman_sdk36_TEE_EC_RKP").certificates().to_vec();
    let mut big = full.clone();
    big[0].resize(posture_attestation::chain::MAX_CERT_BYTES + 1, 0);
    assert!(matches!(
        Chain::from_der(big),
        Err(VerifyError::CertificateTooLarge { index: 0, .. })
    ));
    let mut long = full.clone();
    long.extend(full.iter().cloned());
    assert!(matches!(
        Chain::from_der(long),
        Err(VerifyError::ChainLength { count: 10, .. })
    ));
}

#[test]
fn a_reordered_chain_is_rejected() {
    let name = "caiman_sdk36_TEE_EC_RKP";
    let at = capture_time(&expected_json(name));
    let mut certs = chain(name).certificates().to_vec();
    certs.swap(1, 2);
    let err = verifier()
        .verify(&Chain::from_der(certs).unwrap(), &Options::at(at))
        .unwrap_err();
    assert_eq!(err, VerifyError::NameChain { index: 0 });
}

#[test]
fn id_attestation_fields_never_appear_in_debug() {
    let name = "akita_sdk34_TEE_RSA_BASE+IMEI";
    let verified = verify_vector(name, false).unwrap();
    let ids = &verified.description.hardware_enforced.ids;
    assert_eq!(ids.imei.as_deref(), Some("351163520096208"));
    let debug = format!("{verified:?} {verified:#?}");
    for (field, value) in ids.fields() {
        if let Some(value) = value {
            assert!(!debug.contains(value), "{field} leaked in Debug");
        }
    }
    assert!(
        debug.contains("attestationIdImei"),
        "the field's presence is shown"
    );
    let redacted = verified.description.to_google_json(Ids::Redact).to_string();
    assert!(!redacted.contains("351163520096208"));
}

/// The leaf's extension value of a vector.
fn leaf_extension(name: &str) -> Vec<u8> {
    use x509_parser::prelude::FromDer;
    let certs = chain(name).certificates().to_vec();
    let (_, leaf) = x509_parser::certificate::X509Certificate::from_der(&certs[0]).unwrap();
    let oid = x509_parser::oid_registry::asn1_rs::oid!(1.3.6.1.4.1.11129.2.1.17);
    leaf.extensions()
        .iter()
        .find(|e| e.oid == oid)
        .unwrap()
        .value
        .to_vec()
}

#[test]
fn every_single_byte_change_of_a_real_extension_decodes_or_errs() {
    for name in ["caiman_sdk36_TEE_EC_RKP", "akita_sdk34_TEE_RSA_BASE+IMEI"] {
        let ext = leaf_extension(name);
        assert!(posture_attestation::KeyDescription::from_der(&ext).is_ok());
        let mut changed = 0;
        for i in 0..ext.len() {
            for v in [0x00, 0x01, 0x7f, 0x80, 0xff, ext[i] ^ 0x20] {
                let mut m = ext.clone();
                m[i] = v;
                if let Ok(d) = posture_attestation::KeyDescription::from_der(&m) {
                    let _ = d.to_google_json(Ids::Redact);
                } else {
                    changed += 1;
                }
            }
        }
        assert!(changed > ext.len(), "{name}: most changes must be refused");
    }
}
