//! Chain verification on one core: an EC chain under the 2026 P-384 root
//! (tegu, 5 certificates), an RKP chain under the RSA root (caiman, 5
//! certificates, EC below the root), an RSA factory chain (akita StrongBox
//! RSA, 5 certificates), decoding the KeyDescription alone, and one ES256
//! signature verification with ring (what a posture report's check costs)
//! for scale; and Apple App Attest: an attestation object (under a test CA
//! laid out as Apple's, P-384 root and intermediate) and an assertion.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use posture_attestation::{Chain, KeyDescription, Options, Verifier};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair};
use time::OffsetDateTime;

fn vector(name: &str) -> Option<Chain> {
    let path = format!(
        "{}/testdata/android-key-attestation/{name}.pem",
        env!("CARGO_MANIFEST_DIR")
    );
    Chain::from_pem(&std::fs::read_to_string(path).ok()?).ok()
}

/// The leaf's attestation extension value.
fn leaf_extension(chain: &Chain) -> Option<Vec<u8>> {
    use x509_parser::prelude::FromDer;
    let leaf = chain.certificates().first()?;
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(leaf).ok()?;
    let oid = x509_parser::oid_registry::asn1_rs::oid!(1.3.6.1.4.1.11129.2.1.17);
    let ext = cert.extensions().iter().find(|e| e.oid == oid)?;
    Some(ext.value.to_vec())
}

fn bench(c: &mut Criterion) {
    let Ok(verifier) = Verifier::google() else {
        eprintln!("the embedded roots did not parse");
        return;
    };
    // Inside every non-leaf validity of both chains' capture days.
    let cases = [
        ("tegu_sdk36_TEE_EC_2026_ROOT", 1_771_894_563),
        ("caiman_sdk36_TEE_EC_RKP", 1_758_900_680),
        ("akita_sdk34_SB_RSA_NONE", 1_727_389_887),
    ];
    for (name, at) in cases {
        let (Some(chain), Ok(at)) = (vector(name), OffsetDateTime::from_unix_timestamp(at)) else {
            eprintln!("{name}: vector missing");
            continue;
        };
        let options = Options::at(at);
        if let Err(e) = verifier.verify(&chain, &options) {
            eprintln!("{name} does not verify: {e}");
            continue;
        }
        c.bench_function(&format!("verify chain {name}"), |b| {
            b.iter(|| verifier.verify(black_box(&chain), &options))
        });
        if let Some(ext) = leaf_extension(&chain) {
            c.bench_function(&format!("decode KeyDescription {name}"), |b| {
                b.iter(|| KeyDescription::from_der(black_box(&ext)))
            });
        }
    }

    let rng = SystemRandom::new();
    let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
    let Ok(pkcs8) = EcdsaKeyPair::generate_pkcs8(alg, &rng) else {
        return;
    };
    let Ok(key) = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng) else {
        return;
    };
    let message = vec![0x5a; 4500];
    let Ok(sig) = key.sign(&rng, &message) else {
        return;
    };
    let public = signature::UnparsedPublicKey::new(
        &signature::ECDSA_P256_SHA256_FIXED,
        key.public_key().as_ref().to_vec(),
    );
    c.bench_function("ES256 verify (ring, 4.5 KB)", |b| {
        b.iter(|| public.verify(black_box(&message), sig.as_ref()))
    });
}

fn bench_app_attest(c: &mut Criterion) {
    use posture_attestation::app_attest::testing::{Spec, TestCa, TestDevice};
    use posture_attestation::app_attest::{AppAttestRoots, AppAttestVerifier, AppId};
    const APP_ID: &str = "ABCDE12345.org.example.posture";
    let at = OffsetDateTime::now_utc();
    let (Ok(ca), Ok(device), Ok(app_id)) = (TestCa::new(), TestDevice::new(), AppId::new(APP_ID))
    else {
        eprintln!("the App Attest test CA could not be made");
        return;
    };
    let Ok(roots) = AppAttestRoots::from_pem(&ca.root_pem()) else {
        return;
    };
    let verifier = AppAttestVerifier::new(roots, app_id, false);
    let hash = [7u8; 32];
    let Ok(object) = ca.attest(&device, &hash, &Spec::valid(APP_ID, at)) else {
        return;
    };
    let key_id = device.key_id();
    if let Err(e) = verifier.verify_attestation(&object, &key_id, &hash, at) {
        eprintln!("the App Attest object does not verify: {e}");
        return;
    }
    c.bench_function("App Attest attestation object", |b| {
        b.iter(|| verifier.verify_attestation(black_box(&object), &key_id, &hash, at))
    });
    let Ok(assertion) = device.assert(APP_ID, 1, &hash) else {
        return;
    };
    let public = device.public_key();
    if let Err(e) = verifier.verify_assertion(&assertion, &hash, &public, 0) {
        eprintln!("the App Attest assertion does not verify: {e}");
        return;
    }
    c.bench_function("App Attest assertion", |b| {
        b.iter(|| verifier.verify_assertion(black_box(&assertion), &hash, &public, 0))
    });
}

criterion_group!(benches, bench, bench_app_attest);
criterion_main!(benches);
