use time::OffsetDateTime;

use super::*;
use crate::keys::store::{MemoryStore, SecretStore};
use crate::keys::{DeviceSigner, SoftwareSigner};
use crate::posture::{Platform, Posture};
use crate::{Policy, evaluate};

const NONCE: &str = "nonce-0123456789";

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn claims_at(t: OffsetDateTime) -> Claims {
    let posture = Posture::unknown(Platform::Linux, "test posture", t);
    let verdict = evaluate(&posture, &Policy::default_policy(), t);
    let device = crate::protocol::DeviceId::new("device-1").unwrap();
    Claims::new(Nonce::new(NONCE).unwrap(), &device, posture, verdict, t).unwrap()
}

fn signer() -> SoftwareSigner {
    SoftwareSigner::load_or_create(&MemoryStore::default(), "device").unwrap()
}

fn key_of(signer: &SoftwareSigner) -> VerifyingKey {
    VerifyingKey::from_jwk(&signer.public_jwk().unwrap()).unwrap()
}

fn verify(token: &str, key: &VerifyingKey) -> Result<VerifiedToken, VerifyError> {
    Verifier::default().verify(
        token,
        key,
        NonceCheck::Exact(NONCE),
        &MemoryReplayCache::default(),
        now(),
    )
}

/// Signs any header and payload text with `signer`, as a forger would.
fn forge(signer: &SoftwareSigner, header: &str, payload: &str) -> String {
    let input = format!(
        "{}.{}",
        b64::encode(header.as_bytes()),
        b64::encode(payload.as_bytes())
    );
    let sig = signer.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64::encode(&sig))
}

fn good_header(signer: &SoftwareSigner) -> String {
    format!(
        r#"{{"alg":"ES256","typ":"eat+jwt","kid":"{}"}}"#,
        key_of(signer).kid()
    )
}

fn payload_json(c: &Claims) -> String {
    serde_json::to_string(c).unwrap()
}

#[test]
fn sign_report_builds_the_claims_a_verifier_accepts() {
    let s = signer();
    let t = now();
    let posture = Posture::unknown(Platform::Android, "test posture", t);
    let verdict = evaluate(&posture, &Policy::default_policy(), t);
    let token = sign_report(
        Nonce::new(NONCE).unwrap(),
        &crate::protocol::DeviceId::new("device-7").unwrap(),
        posture.clone(),
        verdict.clone(),
        &s,
        t,
    )
    .unwrap();
    let claims = verify(&token, &key_of(&s)).unwrap().claims;
    assert_eq!(claims.sub, "device-7");
    assert_eq!(claims.iat, t.unix_timestamp());
    assert_eq!(claims.exp, t.unix_timestamp() + DEFAULT_LIFETIME_SECS);
    assert_eq!(claims.posture, posture);
    assert_eq!(claims.verdict, verdict);
    assert_eq!(claims.swversion, crate::AGENT_VERSION);
    let again = sign_report(
        Nonce::new(NONCE).unwrap(),
        &crate::protocol::DeviceId::new("device-7").unwrap(),
        posture,
        verdict,
        &s,
        t,
    )
    .unwrap();
    let second = verify(&again, &key_of(&s)).unwrap().claims;
    assert_ne!(claims.jti, second.jti, "each report has its own jti");
}

#[test]
fn signs_and_verifies() {
    let s = signer();
    let claims = claims_at(now());
    let token = sign(&claims, &s).unwrap();
    let header = b64::decode(token.split('.').next().unwrap()).unwrap();
    assert_eq!(
        String::from_utf8(header).unwrap(),
        format!(
            r#"{{"alg":"ES256","typ":"eat+jwt","kid":"{}"}}"#,
            key_of(&s).kid()
        )
    );
    let verified = verify(&token, &key_of(&s)).unwrap();
    assert_eq!(verified.claims, claims);
    assert_eq!(verified.kid, key_of(&s).kid());
    // swversion is RFC 9711's array form.
    let payload: serde_json::Value =
        serde_json::from_slice(&b64::decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!(
        payload["swversion"],
        serde_json::json!([crate::AGENT_VERSION])
    );
}

#[test]
fn forged_token_with_the_right_shape_verifies() {
    // Guards the forge helper: the rejections below differ from this in one thing only.
    let s = signer();
    let token = forge(&s, &good_header(&s), &payload_json(&claims_at(now())));
    verify(&token, &key_of(&s)).unwrap();
}

#[test]
fn header_defects_each_have_their_own_error() {
    let s = signer();
    let kid = key_of(&s).kid().to_owned();
    let payload = payload_json(&claims_at(now()));
    let cases: Vec<(String, VerifyError)> = vec![
        (
            r#"{"alg":"none","typ":"eat+jwt"}"#.into(),
            VerifyError::AlgNone,
        ),
        (
            format!(r#"{{"alg":"HS256","typ":"eat+jwt","kid":"{kid}"}}"#),
            VerifyError::AlgNotAllowed("HS256".into()),
        ),
        (
            format!(r#"{{"alg":"RS256","typ":"eat+jwt","kid":"{kid}"}}"#),
            VerifyError::AlgNotAllowed("RS256".into()),
        ),
        (
            format!(r#"{{"alg":"PS256","typ":"eat+jwt","kid":"{kid}"}}"#),
            VerifyError::AlgNotAllowed("PS256".into()),
        ),
        (
            format!(r#"{{"alg":"ES384","typ":"eat+jwt","kid":"{kid}"}}"#),
            VerifyError::AlgNotAllowed("ES384".into()),
        ),
        (
            format!(r#"{{"typ":"eat+jwt","kid":"{kid}"}}"#),
            VerifyError::AlgNotAllowed(String::new()),
        ),
        (
            format!(r#"{{"alg":"ES256","typ":"eat+jwt","kid":"{kid}","jwk":{{}}}}"#),
            VerifyError::EmbeddedKey("jwk".into()),
        ),
        (
            format!(r#"{{"alg":"ES256","typ":"eat+jwt","kid":"{kid}","jku":"https://x"}}"#),
            VerifyError::EmbeddedKey("jku".into()),
        ),
        (
            format!(r#"{{"alg":"ES256","typ":"eat+jwt","kid":"{kid}","x5u":"https://x"}}"#),
            VerifyError::EmbeddedKey("x5u".into()),
        ),
        (
            format!(r#"{{"alg":"ES256","typ":"eat+jwt","kid":"{kid}","x5c":["AA"]}}"#),
            VerifyError::EmbeddedKey("x5c".into()),
        ),
        (
            format!(r#"{{"alg":"ES256","typ":"eat+jwt","kid":"{kid}","crit":["exp"]}}"#),
            VerifyError::CriticalHeader,
        ),
        (
            format!(r#"{{"alg":"ES256","typ":"JWT","kid":"{kid}"}}"#),
            VerifyError::WrongTyp(Some("JWT".into())),
        ),
        (
            format!(r#"{{"alg":"ES256","typ":"EAT+JWT","kid":"{kid}"}}"#),
            VerifyError::WrongTyp(Some("EAT+JWT".into())),
        ),
        (
            format!(r#"{{"alg":"ES256","kid":"{kid}"}}"#),
            VerifyError::WrongTyp(None),
        ),
        (
            r#"{"alg":"ES256","typ":"eat+jwt"}"#.into(),
            VerifyError::MissingKid,
        ),
        (
            r#"{"alg":"ES256","typ":"eat+jwt","kid":"someone-else"}"#.into(),
            VerifyError::UnknownKid("someone-else".into()),
        ),
        (
            format!(r#"{{"alg":"ES256","alg":"none","typ":"eat+jwt","kid":"{kid}"}}"#),
            VerifyError::DuplicateMember {
                part: "header",
                member: "alg".into(),
            },
        ),
        (
            format!(r#"{{"alg":"ES256","typ":"eat+jwt","kid":"{kid}","kid":"{kid}"}}"#),
            VerifyError::DuplicateMember {
                part: "header",
                member: "kid".into(),
            },
        ),
    ];
    for (header, want) in cases {
        let token = forge(&s, &header, &payload);
        assert_eq!(
            verify(&token, &key_of(&s)).unwrap_err(),
            want,
            "header {header}"
        );
    }
    for header in [r#"[]"#, r#"{"alg":5}"#, "not json", r#"{"alg":"ES256"} x"#] {
        let token = forge(&s, header, &payload);
        assert!(
            matches!(
                verify(&token, &key_of(&s)),
                Err(VerifyError::InvalidHeader(_))
            ),
            "{header}"
        );
    }
}

#[test]
fn signature_defects() {
    let s = signer();
    let token = sign(&claims_at(now()), &s).unwrap();
    let key = key_of(&s);
    let (input, sig) = token.rsplit_once('.').unwrap();
    let sig = b64::decode(sig).unwrap();
    let with_sig = |bytes: &[u8]| format!("{input}.{}", b64::encode(bytes));

    assert_eq!(
        verify(&with_sig(&sig[..63]), &key).unwrap_err(),
        VerifyError::SignatureLength(63)
    );
    let mut long = sig.clone();
    long.push(0);
    assert_eq!(
        verify(&with_sig(&long), &key).unwrap_err(),
        VerifyError::SignatureLength(65)
    );
    let mut zero_r = sig.clone();
    zero_r[..32].fill(0);
    assert_eq!(
        verify(&with_sig(&zero_r), &key).unwrap_err(),
        VerifyError::SignatureOutOfRange
    );
    let mut big_s = sig.clone();
    big_s[32..].copy_from_slice(&verify_n());
    assert_eq!(
        verify(&with_sig(&big_s), &key).unwrap_err(),
        VerifyError::SignatureOutOfRange
    );
    let mut flipped = sig.clone();
    flipped[10] ^= 1;
    assert_eq!(
        verify(&with_sig(&flipped), &key).unwrap_err(),
        VerifyError::BadSignature
    );

    // A DER-encoded signature of the same input is refused for its length.
    let der = der_of(&sig);
    assert!(
        matches!(verify(&with_sig(&der), &key), Err(VerifyError::SignatureLength(n)) if n != 64)
    );

    // A payload changed after signing.
    let (h, rest) = token.split_once('.').unwrap();
    let (p, sg) = rest.split_once('.').unwrap();
    let mut payload = b64::decode(p).unwrap();
    let i = payload.len() / 2;
    payload[i] ^= 0x01;
    let tampered = format!("{h}.{}.{sg}", b64::encode(&payload));
    assert_eq!(
        verify(&tampered, &key).unwrap_err(),
        VerifyError::BadSignature
    );

    // Another device's key.
    assert_eq!(
        verify(&token, &key_of(&signer())).unwrap_err(),
        VerifyError::UnknownKid(key.kid().to_owned())
    );
}

fn verify_n() -> [u8; 32] {
    let n = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&n[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

fn der_of(sig: &[u8]) -> Vec<u8> {
    fn int(x: &[u8]) -> Vec<u8> {
        let mut x: Vec<u8> = x.iter().copied().skip_while(|b| *b == 0).collect();
        if x.first().is_some_and(|b| b & 0x80 != 0) {
            x.insert(0, 0);
        }
        let mut out = vec![0x02, x.len() as u8];
        out.extend(x);
        out
    }
    let body = [int(&sig[..32]), int(&sig[32..])].concat();
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

#[test]
fn high_s_signature_is_still_valid_ecdsa() {
    // (r, n - s) is the same signature; JOSE libraries accept it, so do we.
    let s = signer();
    let token = sign(&claims_at(now()), &s).unwrap();
    let (input, sig) = token.rsplit_once('.').unwrap();
    let mut sig = b64::decode(sig).unwrap();
    let n = verify_n();
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = n[i] as i16 - sig[32 + i] as i16 - borrow;
        borrow = i16::from(d < 0);
        sig[32 + i] = d.rem_euclid(256) as u8;
    }
    verify(&format!("{input}.{}", b64::encode(&sig)), &key_of(&s)).unwrap();
}

#[test]
fn structure_and_encoding_defects() {
    let s = signer();
    let token = sign(&claims_at(now()), &s).unwrap();
    let key = key_of(&s);
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(
        verify("a.b", &key).unwrap_err(),
        VerifyError::Malformed("it must have exactly three parts")
    );
    assert_eq!(
        verify(&format!("{token}.x"), &key).unwrap_err(),
        VerifyError::Malformed("it must have exactly three parts")
    );
    assert_eq!(
        verify(&format!("{}..{}", parts[0], parts[2]), &key).unwrap_err(),
        VerifyError::Malformed("a part is empty")
    );
    assert_eq!(
        verify(&format!("{}=.{}.{}", parts[0], parts[1], parts[2]), &key).unwrap_err(),
        VerifyError::NonCanonicalBase64("header")
    );
    assert_eq!(
        verify(&format!("{}.{}.{}==", parts[0], parts[1], parts[2]), &key).unwrap_err(),
        VerifyError::NonCanonicalBase64("signature")
    );
    // Standard-alphabet characters in place of base64url ones.
    let std_payload = parts[1].replace('-', "+").replace('_', "/");
    if std_payload != parts[1] {
        assert!(verify(&format!("{}.{}.{}", parts[0], std_payload, parts[2]), &key).is_err());
    }
    // Non-zero trailing bits: the last character of a 64-byte signature
    // (86 characters) carries 4 spare bits.
    let sig = parts[2];
    let last = sig.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let idx = alphabet.find(last).unwrap();
    let sibling = alphabet.chars().nth(idx ^ 1).unwrap();
    let bad = format!(
        "{}.{}.{}{}",
        parts[0],
        parts[1],
        &sig[..sig.len() - 1],
        sibling
    );
    assert_eq!(
        verify(&bad, &key).unwrap_err(),
        VerifyError::NonCanonicalBase64("signature")
    );

    let huge = "a".repeat(MAX_TOKEN_BYTES + 1);
    assert_eq!(
        verify(&huge, &key).unwrap_err(),
        VerifyError::TooLarge {
            len: MAX_TOKEN_BYTES + 1,
            max: MAX_TOKEN_BYTES
        }
    );
}

#[test]
fn claim_defects() {
    let s = signer();
    let key = key_of(&s);
    let header = good_header(&s);
    let base: serde_json::Value = serde_json::from_str(&payload_json(&claims_at(now()))).unwrap();
    for claim in [
        "eat_nonce",
        "iat",
        "exp",
        "jti",
        "eat_profile",
        "sub",
        "swname",
        "swversion",
        "posture",
        "verdict",
    ] {
        let mut v = base.clone();
        v.as_object_mut().unwrap().remove(claim);
        let token = forge(&s, &header, &v.to_string());
        assert_eq!(
            verify(&token, &key).unwrap_err(),
            VerifyError::MissingClaim(claim),
            "{claim}"
        );
    }
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = base.clone();
        f(&mut v);
        verify(&forge(&s, &header, &v.to_string()), &key)
    };
    assert_eq!(
        edit(&|v| v["eat_profile"] = "tag:other".into()).unwrap_err(),
        VerifyError::WrongProfile("tag:other".into())
    );
    assert!(matches!(
        edit(&|v| v["iat"] = "123".into()),
        Err(VerifyError::InvalidClaim { claim: "iat", .. })
    ));
    assert!(matches!(
        edit(&|v| v["eat_nonce"] = "short".into()),
        Err(VerifyError::InvalidClaim {
            claim: "eat_nonce",
            ..
        })
    ));
    assert!(matches!(
        edit(&|v| v["posture"]["surprise"] = 1.into()),
        Err(VerifyError::InvalidClaim {
            claim: "posture",
            ..
        })
    ));
    assert!(matches!(
        edit(&|v| v["jti"] = "".into()),
        Err(VerifyError::InvalidClaim { claim: "jti", .. })
    ));
    // Claims outside the profile are ignored.
    edit(&|v| v["extra"] = serde_json::json!({"a": [1, 2]})).unwrap();

    // Duplicate members: at the top level, and nested in the posture.
    let text = payload_json(&claims_at(now()));
    let dup_top = text.replacen("{", r#"{"sub":"other-device","#, 1);
    assert_eq!(
        verify(&forge(&s, &header, &dup_top), &key).unwrap_err(),
        VerifyError::DuplicateMember {
            part: "claims",
            member: "sub".into()
        }
    );
    let dup_nested = text.replacen(r#""platform":"#, r#""platform":"android","platform":"#, 1);
    assert!(matches!(
        verify(&forge(&s, &header, &dup_nested), &key),
        Err(VerifyError::DuplicateMember { part: "claims", member }) if member.contains("platform")
    ));
    for payload in ["[]".to_owned(), "not json".to_owned(), format!("{text} x")] {
        assert!(
            matches!(
                verify(&forge(&s, &header, &payload), &key),
                Err(VerifyError::InvalidClaim {
                    claim: "payload",
                    ..
                })
            ),
            "{payload}"
        );
    }
}

#[test]
fn time_nonce_and_replay() {
    let s = signer();
    let key = key_of(&s);
    let verifier = Verifier::default();
    let cache = MemoryReplayCache::default();
    let t = now();
    let check = |c: &Claims, nonce: NonceCheck<'_>, cache: &MemoryReplayCache| {
        verifier.verify(&sign(c, &s).unwrap(), &key, nonce, cache, t)
    };
    let mut old = claims_at(t - time::Duration::seconds(1000));
    assert!(matches!(
        check(&old, NonceCheck::ByCaller, &cache),
        Err(VerifyError::Expired { .. })
    ));
    // Inside the skew: expired 30 s ago is still accepted.
    old.exp = t.unix_timestamp() - 30;
    check(&old, NonceCheck::ByCaller, &cache).unwrap();
    let future = claims_at(t + time::Duration::seconds(600));
    assert!(matches!(
        check(&future, NonceCheck::ByCaller, &cache),
        Err(VerifyError::IssuedInFuture { .. })
    ));
    let mut long = claims_at(t);
    long.exp = long.iat + 2 * 24 * 3600;
    assert!(matches!(
        check(&long, NonceCheck::ByCaller, &cache),
        Err(VerifyError::BadLifetime { .. })
    ));
    long.exp = long.iat;
    assert!(matches!(
        check(&long, NonceCheck::ByCaller, &cache),
        Err(VerifyError::BadLifetime { .. })
    ));

    let c = claims_at(t);
    assert_eq!(
        check(&c, NonceCheck::Exact("another-nonce-123"), &cache).unwrap_err(),
        VerifyError::WrongNonce
    );
    // A rejected token is not remembered, so the same jti still verifies once...
    check(&c, NonceCheck::Exact(NONCE), &cache).unwrap();
    // ...and only once.
    assert_eq!(
        check(&c, NonceCheck::Exact(NONCE), &cache).unwrap_err(),
        VerifyError::Replayed(c.jti.to_string())
    );
}

#[test]
fn rfc7515_a3_example_verifies() {
    let jwk = crate::keys::PublicJwk::from_json(
        r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#,
    )
    .unwrap();
    let key = VerifyingKey::from_jwk(&jwk).unwrap();
    let jws = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
    let payload = verify_signature(jws, &key).unwrap();
    assert_eq!(
        payload,
        b"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}"
    );
    let mut bad = jws.to_owned();
    bad.replace_range(bad.len() - 2.., "Ua");
    assert!(verify_signature(&bad, &key).is_err());
    // As a posture report it fails: no typ (and it expired in 2011).
    assert_eq!(verify(jws, &key).unwrap_err(), VerifyError::WrongTyp(None));
}

#[test]
fn nonce_bounds() {
    assert!(Nonce::new("1234567").is_err());
    assert!(Nonce::new("12345678").is_ok());
    assert!(Nonce::new("x".repeat(64)).is_ok());
    assert!(Nonce::new("x".repeat(65)).is_err());
    assert!(Nonce::new("with space").is_err());
    assert_eq!(Nonce::random().unwrap().as_str().len(), 43);
}

#[test]
fn errors_and_debug_never_show_the_private_key() {
    let store = MemoryStore::default();
    let s = SoftwareSigner::load_or_create(&store, "device").unwrap();
    let pkcs8 = store.get("device").unwrap().unwrap();
    let token = sign(&claims_at(now()), &s).unwrap();
    let text = format!("{token} {:?} {:?}", s, verify(&token, &key_of(&signer())));
    assert!(!text.contains(&b64::encode(&pkcs8)));
    // The 32-byte private scalar sits at a fixed offset in ring's PKCS#8 (36..68).
    assert!(!text.contains(&b64::encode(&pkcs8[36..68])));
}

#[test]
fn mutated_tokens_never_panic_and_never_verify() {
    // A stable-toolchain companion to the cargo-fuzz target in fuzz/:
    // deterministic mutations of a valid token (byte flips, cuts, splices).
    let s = signer();
    let key = key_of(&s);
    let token = sign(&claims_at(now()), &s).unwrap();
    let bytes = token.as_bytes();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let cache = MemoryReplayCache::default();
    let verifier = Verifier::default();
    for _ in 0..3000 {
        let mut m = bytes.to_vec();
        match next() % 4 {
            0 => {
                let i = (next() as usize) % m.len();
                m[i] ^= 1 << (next() % 8);
            }
            1 => m.truncate((next() as usize) % m.len()),
            2 => {
                let i = (next() as usize) % m.len();
                m.insert(i, b".-_A=/+{\"\\\x00\xff"[(next() % 12) as usize]);
            }
            _ => {
                let i = (next() as usize) % m.len();
                let j = (next() as usize) % m.len();
                m.swap(i, j);
            }
        }
        if m == bytes {
            continue;
        }
        let Ok(text) = std::str::from_utf8(&m) else {
            continue;
        };
        let r = verifier.verify(text, &key, NonceCheck::ByCaller, &cache, now());
        assert!(r.is_err(), "a mutated token verified: {text}");
    }
}

#[test]
fn the_default_skew_is_the_protocols_300_seconds() {
    let s = signer();
    let key = key_of(&s);
    let verifier = Verifier::default();
    assert_eq!(
        verifier.skew_secs,
        crate::protocol::limits::CLOCK_SKEW_SECS as i64
    );
    let t = now();
    let check = |c: &Claims| {
        verifier.verify(
            &sign(c, &s).unwrap(),
            &key,
            NonceCheck::ByCaller,
            &MemoryReplayCache::default(),
            t,
        )
    };
    let mut c = claims_at(t + time::Duration::seconds(300));
    check(&c).unwrap();
    c = claims_at(t + time::Duration::seconds(301));
    assert!(matches!(check(&c), Err(VerifyError::IssuedInFuture { .. })));
    c = claims_at(t - time::Duration::seconds(900));
    c.exp = t.unix_timestamp() - 299;
    check(&c).unwrap();
    c.exp = t.unix_timestamp() - 300;
    assert!(matches!(check(&c), Err(VerifyError::Expired { .. })));
}
