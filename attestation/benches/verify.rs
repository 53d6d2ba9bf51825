//! Chain verification on one core: a 5-certificate EC chain (RKP, caiman),
//! an RSA factory chain (akita StrongBox RSA: RSA-4096 root), decoding the
//! KeyDescription alone, and one ES256 signature verification with ring
//! (what a posture report's check costs) for scale.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use posture_attestation::{Chain, Options, Verifier};
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

fn bench(c: &mut Criterion) {
    let Ok(verifier) = Verifier::google() else {
        eprintln!("the embedded roots did not parse");
        return;
    };
    // Inside every non-leaf validity of both chains' capture days.
    let cases = [
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

criterion_group!(benches, bench);
criterion_main!(benches);
