//! Token sign and verify, next to raw ring sign and verify of the same bytes.

use agent_core::keys::store::MemoryStore;
use agent_core::keys::{DeviceSigner, SoftwareSigner};
use agent_core::protocol::DeviceId;
use agent_core::token::{
    self, Claims, MemoryReplayCache, Nonce, NonceCheck, Verifier, VerifyingKey,
};
use agent_core::{Policy, evaluate, probe};
use criterion::{Criterion, criterion_group, criterion_main};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    UnparsedPublicKey,
};
use std::hint::black_box;
use time::OffsetDateTime;

fn claims() -> Claims {
    let now = OffsetDateTime::now_utc();
    let posture = probe::local_probe()
        .map(|p| p.collect())
        .unwrap_or_else(|| agent_core::Posture::unknown(agent_core::Platform::Linux, "bench", now));
    let verdict = evaluate(&posture, &Policy::default_policy(), now);
    let nonce = Nonce::new("bench-nonce-0123456789").unwrap_or_else(|_| unreachable!());
    let device = DeviceId::new("bench-device").unwrap_or_else(|_| unreachable!());
    Claims::new(nonce, &device, posture, verdict, now).unwrap_or_else(|_| unreachable!())
}

fn bench(c: &mut Criterion) {
    let signer = SoftwareSigner::load_or_create(&MemoryStore::default(), "bench")
        .unwrap_or_else(|_| unreachable!());
    let key = VerifyingKey::from_jwk(&signer.public_jwk().unwrap_or_else(|_| unreachable!()))
        .unwrap_or_else(|_| unreachable!());
    let claims = claims();
    let token = token::sign(&claims, &signer).unwrap_or_else(|_| unreachable!());
    let (input, _) = token.rsplit_once('.').unwrap_or_else(|| unreachable!());
    println!("token: {} bytes", token.len());

    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .unwrap_or_else(|_| unreachable!());
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .unwrap_or_else(|_| unreachable!());
    let raw_sig = pair
        .sign(&rng, input.as_bytes())
        .unwrap_or_else(|_| unreachable!());
    let public = pair.public_key().as_ref().to_vec();

    let mut g = c.benchmark_group("token");
    g.bench_function("ring_sign", |b| {
        b.iter(|| pair.sign(&rng, black_box(input.as_bytes())))
    });
    g.bench_function("token_sign", |b| {
        b.iter(|| token::sign(black_box(&claims), &signer))
    });
    g.bench_function("ring_verify", |b| {
        b.iter(|| {
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &public)
                .verify(black_box(input.as_bytes()), raw_sig.as_ref())
        })
    });
    let verifier = Verifier::default();
    let now = OffsetDateTime::now_utc();
    g.bench_function("token_verify", |b| {
        b.iter(|| {
            // A fresh cache each time: the replay check is part of the cost,
            // a replay rejection is not what is measured.
            let cache = MemoryReplayCache::default();
            verifier.verify(black_box(&token), &key, NonceCheck::ByCaller, &cache, now)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
