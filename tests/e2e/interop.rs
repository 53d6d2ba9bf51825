//! Interop with stock JOSE libraries in three other languages (PyJWT,
//! go-jose, Nimbus JOSE+JWT): the agent's tokens verify with theirs, and
//! tokens they sign verify with ours. The peers are built by
//! `tests/interop/setup.sh` (scripts/test runs it), so these tests are
//! ignored in a plain `cargo test` and run with `--ignored`.

use std::path::{Path, PathBuf};
use std::process::Command;

use agent_core::b64;
use agent_core::keys::{DeviceSigner, PublicJwk, SoftwareSigner};
use agent_core::posture::{Platform, Posture};
use agent_core::token::{
    self, Claims, MemoryReplayCache, Nonce, NonceCheck, Verifier, VerifyError, VerifyingKey,
};
use agent_core::{Policy, evaluate};
use time::OffsetDateTime;

const PEERS: [&str; 3] = ["python", "go", "java"];
const NONCE: &str = "interop-nonce-42";

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("interop")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("posture-interop-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a peer; returns (exit code, stdout, stderr).
fn peer(lang: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(interop_dir().join(lang).join("peer"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the {lang} peer: {e}"));
    let code = out.status.code().unwrap_or(-1);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_ne!(
        code, 2,
        "{lang} peer failed to run (run tests/interop/setup.sh?): {stderr}"
    );
    (code, stdout, stderr)
}

fn claims() -> Claims {
    // Real posture of this machine (non-ASCII-free or not), default verdict.
    let now = OffsetDateTime::now_utc();
    let posture = agent_core::probe::local_probe()
        .map(|p| p.collect())
        .unwrap_or_else(|| Posture::unknown(Platform::Linux, "no probe", now));
    let verdict = evaluate(&posture, &Policy::default_policy(), now);
    Claims::new(
        Nonce::new(NONCE).unwrap(),
        &agent_core::protocol::DeviceId::new("interop-device").unwrap(),
        posture,
        verdict,
        now,
    )
    .unwrap()
}

fn tamper_payload(token: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut payload = b64::decode(&parts[1]).unwrap();
    let i = payload.len() / 3;
    payload[i] ^= 0x02;
    parts[1] = b64::encode(&payload);
    parts.join(".")
}

#[test]
#[ignore = "needs the interop peers: tests/interop/setup.sh"]
fn agent_tokens_verify_with_pyjwt_go_jose_and_nimbus() {
    let dir = scratch("agent-signs");
    let signer = SoftwareSigner::ephemeral().unwrap();
    let jwk = signer.public_jwk().unwrap();
    let token = token::sign(&claims(), &signer).unwrap();
    let payload = b64::decode(token.split('.').nth(1).unwrap()).unwrap();
    let (jwk_path, token_path, bad_path) = (
        dir.join("agent.jwk"),
        dir.join("agent.jwt"),
        dir.join("bad.jwt"),
    );
    std::fs::write(&jwk_path, jwk.to_json_with_kid()).unwrap();
    std::fs::write(&token_path, &token).unwrap();
    std::fs::write(&bad_path, tamper_payload(&token)).unwrap();
    let (j, t, b) = (
        jwk_path.to_str().unwrap(),
        token_path.to_str().unwrap(),
        bad_path.to_str().unwrap(),
    );
    for lang in PEERS {
        let (code, stdout, stderr) = peer(
            lang,
            &[
                "verify",
                "--jwk",
                j,
                "--token",
                t,
                "--nonce",
                NONCE,
                "--check-kid",
            ],
        );
        assert_eq!(code, 0, "{lang} rejected the agent's token: {stderr}");
        assert_eq!(
            stdout.trim_end().as_bytes(),
            payload.as_slice(),
            "{lang} printed other claims"
        );
        let (code, _, stderr) = peer(lang, &["verify", "--jwk", j, "--token", b]);
        assert_eq!(code, 1, "{lang} accepted a tampered token");
        assert!(stderr.starts_with("invalid: "), "{lang}: {stderr}");
        let (code, _, _) = peer(
            lang,
            &[
                "verify",
                "--jwk",
                j,
                "--token",
                t,
                "--nonce",
                "another-nonce-1",
            ],
        );
        assert_eq!(code, 1, "{lang} accepted a wrong nonce");
    }
}

#[test]
#[ignore = "needs the interop peers: tests/interop/setup.sh"]
fn tokens_from_pyjwt_go_jose_and_nimbus_verify_with_ours() {
    let dir = scratch("peers-sign");
    let claims_path = dir.join("claims.json");
    let claims = claims();
    std::fs::write(&claims_path, serde_json::to_vec(&claims).unwrap()).unwrap();
    for lang in PEERS {
        let (token_path, jwk_path) = (
            dir.join(format!("{lang}.jwt")),
            dir.join(format!("{lang}.jwk")),
        );
        let (code, _, stderr) = peer(
            lang,
            &[
                "sign",
                "--claims",
                claims_path.to_str().unwrap(),
                "--out-token",
                token_path.to_str().unwrap(),
                "--out-jwk",
                jwk_path.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 0, "{lang} could not sign: {stderr}");
        let token = std::fs::read_to_string(&token_path).unwrap();
        let jwk = PublicJwk::from_json(&std::fs::read_to_string(&jwk_path).unwrap()).unwrap();
        let key = VerifyingKey::from_jwk(&jwk).unwrap();
        let verify = |t: &str| {
            Verifier::default().verify(
                t,
                &key,
                NonceCheck::Exact(NONCE),
                &MemoryReplayCache::default(),
                OffsetDateTime::now_utc(),
            )
        };
        let verified =
            verify(&token).unwrap_or_else(|e| panic!("our verifier rejected {lang}'s token: {e}"));
        assert_eq!(verified.claims, claims, "{lang}");
        assert_eq!(
            verified.kid,
            jwk.thumbprint(),
            "{lang}'s kid is not the RFC 7638 thumbprint"
        );
        assert_eq!(
            verify(&tamper_payload(&token)).unwrap_err(),
            VerifyError::BadSignature,
            "{lang}"
        );
        // Another device's key: the kid no longer resolves.
        let other =
            VerifyingKey::from_jwk(&SoftwareSigner::ephemeral().unwrap().public_jwk().unwrap())
                .unwrap();
        let r = Verifier::default().verify(
            &token,
            &other,
            NonceCheck::ByCaller,
            &MemoryReplayCache::default(),
            OffsetDateTime::now_utc(),
        );
        assert!(matches!(r, Err(VerifyError::UnknownKid(_))), "{lang}");
    }
}

/// Signs `claims` as the collector does, with the PKCS#8 key in the PEM
/// file the collector wrote (`--signing-key`).
fn sign_as_collector(key_file: &Path, kid: &str, claims: &serde_json::Value) -> String {
    use base64::Engine;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    let pem = std::fs::read_to_string(key_file).unwrap();
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>();
    let pkcs8 = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let rng = ring::rand::SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng).unwrap();
    let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": kid});
    let input = format!(
        "{}.{}",
        b64::encode(header.to_string().as_bytes()),
        b64::encode(claims.to_string().as_bytes())
    );
    let sig = pair.sign(&rng, input.as_bytes()).unwrap();
    format!("{input}.{}", b64::encode(sig.as_ref()))
}

#[test]
#[ignore = "needs the interop peers: tests/interop/setup.sh"]
fn the_collectors_attestation_result_verifies_with_pyjwt_go_jose_and_nimbus() {
    use agent_core::agent::{Agent, AgentConfig, ComplianceToken, KeySource};
    use agent_core::transport::{HttpRequest, HttpTransport, Transport, TransportConfig};
    use std::sync::Arc;

    let dir = scratch("ear");
    let key_file = dir.join("collector-signing.pem");
    let c = posture_collector::spawn_local(posture_collector::CollectorConfig {
        signing_key: Some(key_file.clone()),
        ..posture_collector::CollectorConfig::default()
    })
    .unwrap();
    let code = c.collector().issue_codes(1, None).unwrap()[0]
        .code
        .expose()
        .to_owned();
    let agent = Agent::open(AgentConfig {
        state_dir: dir.join("state"),
        probe: Arc::from(agent_core::probe::local_probe().unwrap()),
        keys: KeySource::Software(Arc::new(agent_core::keys::store::MemoryStore::default())),
        transport: None,
        extra_ca_pem: None,
        outbox_limits: agent_core::state::OutboxLimits::default(),
    })
    .unwrap();
    let enrolled = agent.enrol(c.url(), &code).unwrap();
    let (device, kid) = (
        String::from(enrolled.device_id.unwrap()),
        enrolled.kid.unwrap(),
    );
    agent.check_in().unwrap();
    let ComplianceToken::Available { token, .. } = agent.compliance_token().unwrap() else {
        panic!("the ack of a current report carries an attestation result");
    };

    // The relying party's view: the key set fetched over HTTP.
    let jwks = HttpTransport::new(TransportConfig::default())
        .unwrap()
        .send(HttpRequest::get(format!(
            "{}/.well-known/jwks.json",
            c.url()
        )))
        .unwrap();
    assert_eq!(jwks.status, 200);
    let jwks_path = dir.join("jwks.json");
    std::fs::write(&jwks_path, &jwks.body).unwrap();
    let jwks: serde_json::Value = serde_json::from_slice(&jwks.body).unwrap();
    let collector_kid = jwks["keys"][0]["kid"].as_str().unwrap().to_owned();

    let payload = b64::decode(token.split('.').nth(1).unwrap()).unwrap();
    let mut claims: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    // Made by the same collector key but expired well past any leeway.
    claims["iat"] = (OffsetDateTime::now_utc().unix_timestamp() - 7200).into();
    claims["exp"] = (OffsetDateTime::now_utc().unix_timestamp() - 3600).into();
    let expired = sign_as_collector(&key_file, &collector_kid, &claims);
    // The same key and claims, fresh: proves the expired one fails only on time.
    claims["iat"] = OffsetDateTime::now_utc().unix_timestamp().into();
    claims["exp"] = (OffsetDateTime::now_utc().unix_timestamp() + 3600).into();
    let resigned = sign_as_collector(&key_file, &collector_kid, &claims);
    // Another collector's key set does not hold the kid.
    let other = posture_collector::spawn_local(posture_collector::CollectorConfig::default())
        .unwrap()
        .collector()
        .jwks();
    let other_path = dir.join("other-jwks.json");
    std::fs::write(&other_path, other.to_string()).unwrap();

    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let good = write("ear.jwt", &token);
    let tampered = write("tampered.jwt", &tamper_payload(&token));
    let expired = write("expired.jwt", &expired);
    let resigned = write("resigned.jwt", &resigned);
    let jwks_arg = jwks_path.to_str().unwrap();
    for lang in PEERS {
        let verify = |jwks: &str, token: &str, jkt: &str, sub: &str| {
            peer(
                lang,
                &[
                    "verify-ear",
                    "--jwks",
                    jwks,
                    "--token",
                    token,
                    "--jkt",
                    jkt,
                    "--sub",
                    sub,
                ],
            )
        };
        let (code, stdout, stderr) = verify(jwks_arg, &good, &kid, &device);
        assert_eq!(code, 0, "{lang} rejected the collector's result: {stderr}");
        assert_eq!(stdout.trim_end().as_bytes(), payload.as_slice(), "{lang}");
        let (code, _, _) = verify(jwks_arg, &resigned, &kid, &device);
        assert_eq!(
            code, 0,
            "{lang} rejected a result signed again by the same key"
        );

        for (what, jwks, token, jkt, sub) in [
            (
                "a tampered result",
                jwks_arg,
                tampered.as_str(),
                kid.as_str(),
                device.as_str(),
            ),
            ("an expired result", jwks_arg, &expired, &kid, &device),
            (
                "another device key's result",
                jwks_arg,
                &good,
                &collector_kid,
                &device,
            ),
            (
                "another device's result",
                jwks_arg,
                &good,
                &kid,
                "dev_someone_else",
            ),
            (
                "another collector's key set",
                other_path.to_str().unwrap(),
                &good,
                &kid,
                &device,
            ),
        ] {
            let (code, _, stderr) = verify(jwks, token, jkt, sub);
            assert_eq!(code, 1, "{lang} accepted {what}: {stderr}");
            assert!(stderr.starts_with("invalid: "), "{lang}, {what}: {stderr}");
        }
    }
}
