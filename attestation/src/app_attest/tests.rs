//! Every check of an attestation object and an assertion, each shown to
//! pass on a valid input and to fail on an input with one field changed.

use ciborium::Value;
use time::{Duration, OffsetDateTime};

use super::testing::{Spec, TestCa, TestDevice};
use super::*;

const APP: &str = "ABCDE12345.org.example.posture";

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap()
}

const CDH: [u8; 32] = [0x5a; 32];

struct Case {
    ca: TestCa,
    device: TestDevice,
}

impl Case {
    fn new() -> Case {
        Case {
            ca: TestCa::new().unwrap(),
            device: TestDevice::new().unwrap(),
        }
    }

    fn verifier(&self, allow_development: bool) -> AppAttestVerifier {
        let roots = AppAttestRoots::from_certificates(vec![self.ca.root_der().to_vec()]).unwrap();
        AppAttestVerifier::new(roots, AppId::new(APP).unwrap(), allow_development)
    }

    fn object(&self, edit: impl FnOnce(&mut Spec)) -> Vec<u8> {
        let mut spec = Spec::valid(APP, now());
        edit(&mut spec);
        self.ca.attest(&self.device, &CDH, &spec).unwrap()
    }

    fn verify(&self, object: &[u8]) -> Result<AttestedKey, AppAttestError> {
        self.verifier(false)
            .verify_attestation(object, &self.device.key_id(), &CDH, now())
    }
}

#[test]
fn a_valid_production_object_verifies() {
    let case = Case::new();
    let key = case.verify(&case.object(|_| {})).unwrap();
    assert_eq!(key.environment, Environment::Production);
    assert_eq!(key.counter, 0);
    assert_eq!(key.key_id, case.device.key_id());
    assert_eq!(key.public_key, case.device.public_key());
    assert_eq!(key.receipt, b"test receipt");
}

#[test]
fn development_keys_pass_only_when_allowed() {
    let case = Case::new();
    let object = case.object(|s| s.aaguid = AAGUID_DEVELOPMENT);
    assert_eq!(
        case.verify(&object),
        Err(AppAttestError::DevelopmentNotAllowed)
    );
    let key = case
        .verifier(true)
        .verify_attestation(&object, &case.device.key_id(), &CDH, now())
        .unwrap();
    assert_eq!(key.environment, Environment::Development);
}

#[test]
fn a_chain_to_another_root_is_untrusted() {
    let case = Case::new();
    let other = Case {
        ca: TestCa::new().unwrap(),
        device: TestDevice::new().unwrap(),
    };
    // Same root name, another key: only the signature tells them apart.
    let object = other
        .ca
        .attest(&case.device, &CDH, &Spec::valid(APP, now()))
        .unwrap();
    assert_eq!(case.verify(&object), Err(AppAttestError::UntrustedRoot));
    let renamed = Case {
        ca: TestCa::named("Some Other Root").unwrap(),
        device: TestDevice::new().unwrap(),
    };
    let object = renamed
        .ca
        .attest(&case.device, &CDH, &Spec::valid(APP, now()))
        .unwrap();
    assert_eq!(case.verify(&object), Err(AppAttestError::UntrustedRoot));
}

#[test]
fn without_anchors_everything_is_refused() {
    let case = Case::new();
    let verifier = AppAttestVerifier::new(AppAttestRoots::none(), AppId::new(APP).unwrap(), true);
    assert_eq!(
        verifier.verify_attestation(&case.object(|_| {}), &case.device.key_id(), &CDH, now()),
        Err(AppAttestError::NoAnchors)
    );
}

#[test]
fn a_bad_leaf_signature_is_refused() {
    let case = Case::new();
    let object = case.object(|s| s.break_leaf_signature = true);
    assert_eq!(case.verify(&object), Err(AppAttestError::BadSignature));
}

#[test]
fn a_nonce_for_other_client_data_is_refused() {
    let case = Case::new();
    let object = case.object(|_| {});
    assert_eq!(
        case.verifier(false)
            .verify_attestation(&object, &case.device.key_id(), &[0u8; 32], now()),
        Err(AppAttestError::NonceMismatch)
    );
    let object = case.object(|s| s.nonce = Some([1; 32]));
    assert_eq!(case.verify(&object), Err(AppAttestError::NonceMismatch));
}

#[test]
fn an_object_for_another_app_is_refused() {
    let case = Case::new();
    let object = case.object(|s| s.app_id = "ZZZZZ99999.org.example.other".into());
    assert_eq!(
        case.verify(&object),
        Err(AppAttestError::RpIdMismatch(APP.into()))
    );
}

#[test]
fn a_non_zero_counter_is_refused() {
    let case = Case::new();
    let object = case.object(|s| s.counter = 5);
    assert_eq!(case.verify(&object), Err(AppAttestError::CounterNotZero(5)));
}

#[test]
fn an_unknown_aaguid_is_refused() {
    let case = Case::new();
    let object = case.object(|s| s.aaguid = *b"appattest\0\0\0\0\0\0\x01");
    assert_eq!(case.verify(&object), Err(AppAttestError::UnknownAaguid));
}

#[test]
fn a_credential_id_other_than_the_key_hash_is_refused() {
    let case = Case::new();
    let object = case.object(|s| s.credential_id = Some(vec![7; 32]));
    assert_eq!(
        case.verify(&object),
        Err(AppAttestError::CredentialIdMismatch)
    );
}

#[test]
fn a_key_id_other_than_the_key_hash_is_refused() {
    let case = Case::new();
    let object = case.object(|_| {});
    assert_eq!(
        case.verifier(false)
            .verify_attestation(&object, &[9u8; 32], &CDH, now()),
        Err(AppAttestError::KeyIdMismatch)
    );
}

#[test]
fn expired_certificates_are_refused() {
    let case = Case::new();
    let past = now() - Duration::days(400);
    let object = case.object(|s| s.intermediate_validity = (past, now() - Duration::days(1)));
    assert!(matches!(
        case.verify(&object),
        Err(AppAttestError::Expired {
            which: "the intermediate certificate",
            ..
        })
    ));
    let object = case.object(|s| s.leaf_validity = (past, now() - Duration::seconds(1)));
    assert!(matches!(
        case.verify(&object),
        Err(AppAttestError::Expired {
            which: "the credential certificate",
            ..
        })
    ));
    let object =
        case.object(|s| s.leaf_validity = (now() + Duration::hours(1), now() + Duration::days(3)));
    assert!(matches!(
        case.verify(&object),
        Err(AppAttestError::NotYetValid { .. })
    ));
}

#[test]
fn truncated_and_oversized_objects_are_refused() {
    let case = Case::new();
    let object = case.object(|_| {});
    for cut in (0..object.len()).step_by(7) {
        assert!(case.verify(&object[..cut]).is_err(), "cut at {cut}");
    }
    assert!(matches!(
        case.verify(&object[..object.len() / 2]),
        Err(AppAttestError::Cbor { .. })
    ));
    let mut big = object.clone();
    big.resize(MAX_ATTESTATION_BYTES + 1, 0);
    assert!(matches!(
        case.verify(&big),
        Err(AppAttestError::TooLarge { .. })
    ));
    let mut trailing = object;
    trailing.push(0);
    assert!(matches!(
        case.verify(&trailing),
        Err(AppAttestError::Trailing { bytes: 1, .. })
    ));
}

#[test]
fn another_format_is_refused() {
    let case = Case::new();
    let object = case.object(|s| s.fmt = "packed".into());
    assert_eq!(
        case.verify(&object),
        Err(AppAttestError::WrongFormat("packed".into()))
    );
}

#[test]
fn a_duplicate_member_is_refused() {
    let case = Case::new();
    let object = case.object(|_| {});
    let Value::Map(mut members) = ciborium::de::from_reader::<Value, _>(&object[..]).unwrap()
    else {
        panic!("not a map");
    };
    members.push((
        Value::Text("fmt".into()),
        Value::Text("apple-appattest".into()),
    ));
    let mut bytes = Vec::new();
    ciborium::ser::into_writer(&Value::Map(members), &mut bytes).unwrap();
    assert!(matches!(
        case.verify(&bytes),
        Err(AppAttestError::DuplicateKey { key, .. }) if key == "fmt"
    ));
}

#[test]
fn app_ids_are_checked() {
    assert!(AppId::new(APP).is_ok());
    for bad in [
        "",
        "ABCDE12345",
        "ABCDE1234.org.x",
        "ABCDE12345.",
        "ABCDE12345.a b",
    ] {
        assert!(AppId::new(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn apples_root_is_the_published_certificate() {
    let roots = AppAttestRoots::apple().unwrap();
    assert_eq!(roots.len(), 1);
    let hex: String = sha256(&roots.anchors[0])
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        hex,
        "1cb9823ba28ba6ad2d33a006941de2ae4f513ef1d4e831b9f7e0fa7b6242c932"
    );
    // A test CA's chain does not verify under it.
    let case = Case::new();
    let verifier = AppAttestVerifier::new(roots, AppId::new(APP).unwrap(), false);
    assert_eq!(
        verifier.verify_attestation(&case.object(|_| {}), &case.device.key_id(), &CDH, now()),
        Err(AppAttestError::UntrustedRoot)
    );
}

// Assertions.

#[test]
fn a_valid_assertion_verifies_and_returns_its_counter() {
    let case = Case::new();
    let assertion = case.device.assert(APP, 1, &CDH).unwrap();
    let counter = case
        .verifier(false)
        .verify_assertion(&assertion, &CDH, &case.device.public_key(), 0)
        .unwrap();
    assert_eq!(counter, 1);
}

#[test]
fn a_counter_that_does_not_increase_is_refused() {
    let case = Case::new();
    let assertion = case.device.assert(APP, 3, &CDH).unwrap();
    for stored in [3, 4] {
        assert_eq!(
            case.verifier(false).verify_assertion(
                &assertion,
                &CDH,
                &case.device.public_key(),
                stored
            ),
            Err(AppAttestError::CounterNotIncreasing { counter: 3, stored })
        );
    }
}

#[test]
fn an_assertion_under_another_key_is_refused() {
    let case = Case::new();
    let other = TestDevice::new().unwrap();
    let assertion = other.assert(APP, 1, &CDH).unwrap();
    assert_eq!(
        case.verifier(false)
            .verify_assertion(&assertion, &CDH, &case.device.public_key(), 0),
        Err(AppAttestError::AssertionSignature)
    );
}

#[test]
fn tampered_authenticator_data_or_client_data_is_refused() {
    let case = Case::new();
    let assertion = case.device.assert(APP, 1, &CDH).unwrap();
    let Value::Map(mut members) = ciborium::de::from_reader::<Value, _>(&assertion[..]).unwrap()
    else {
        panic!("not a map");
    };
    for (k, v) in &mut members {
        if let (Value::Text(k), Value::Bytes(b)) = (k, v)
            && k == "authenticatorData"
        {
            b[36] = 9; // the counter's low byte
        }
    }
    let mut tampered = Vec::new();
    ciborium::ser::into_writer(&Value::Map(members), &mut tampered).unwrap();
    let v = case.verifier(false);
    let key = case.device.public_key();
    assert_eq!(
        v.verify_assertion(&tampered, &CDH, &key, 0),
        Err(AppAttestError::AssertionSignature)
    );
    assert_eq!(
        v.verify_assertion(&assertion, &[1; 32], &key, 0),
        Err(AppAttestError::AssertionSignature)
    );
}

#[test]
fn an_assertion_for_another_app_is_refused() {
    let case = Case::new();
    let assertion = case.device.assert("ZZZZZ99999.org.other", 1, &CDH).unwrap();
    assert_eq!(
        case.verifier(false)
            .verify_assertion(&assertion, &CDH, &case.device.public_key(), 0),
        Err(AppAttestError::RpIdMismatch(APP.into()))
    );
}

#[test]
fn malformed_assertions_are_refused() {
    let case = Case::new();
    let v = case.verifier(false);
    let key = case.device.public_key();
    let assertion = case.device.assert(APP, 1, &CDH).unwrap();
    for cut in 0..assertion.len() {
        assert!(
            v.verify_assertion(&assertion[..cut], &CDH, &key, 0)
                .is_err()
        );
    }
    assert!(matches!(
        v.verify_assertion(&vec![0u8; MAX_ASSERTION_BYTES + 1], &CDH, &key, 0),
        Err(AppAttestError::TooLarge { .. })
    ));
    assert_eq!(
        v.verify_assertion(&assertion, &CDH, &key[..64], 0),
        Err(AppAttestError::StoredKey)
    );
}
