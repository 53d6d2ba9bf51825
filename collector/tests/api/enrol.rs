//! `POST /v1/enrol`: one-time codes, lost responses, limits, bad input.

use agent_core::keys::{DeviceSigner, SoftwareSigner};
use agent_core::protocol::{EnrolResponse, content_types, limits, paths};
use posture_collector::{CollectorConfig, spawn_local};

use crate::common::*;

#[test]
fn a_code_enrols_once_and_a_lost_response_can_be_recovered() {
    let c = start();
    let signer = SoftwareSigner::ephemeral().unwrap();
    let code = issue_code(&c);
    let r = post(
        c.url(),
        paths::ENROL,
        content_types::JSON,
        enrol_body(&code, &signer),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let first: EnrolResponse = serde_json::from_slice(&r.body).unwrap();
    assert!(first.device_id.as_str().starts_with("dev_"));
    assert_eq!(first.policy, test_policy());
    assert_eq!(first.checkin_interval_secs, 6 * 3600);
    assert!(first.nonce_expires_at > time::OffsetDateTime::now_utc());

    // Same code, same key (the 201 was lost): the same device, 200.
    let code_typed = code.to_lowercase().replace('-', "");
    let again = post(
        c.url(),
        paths::ENROL,
        content_types::JSON,
        enrol_body(&code_typed, &signer),
    );
    assert_eq!(again.status, 200, "{again:?}");
    let second: EnrolResponse = serde_json::from_slice(&again.body).unwrap();
    assert_eq!(second.device_id, first.device_id);
    assert_eq!(second.nonce, first.nonce);

    // Same code, another key: used.
    let other = SoftwareSigner::ephemeral().unwrap();
    let r = post(
        c.url(),
        paths::ENROL,
        content_types::JSON,
        enrol_body(&code, &other),
    );
    assert_problem(&r, 403, "invalid-enrolment-code");
    // The first key under a new code: already enrolled.
    let r = post(
        c.url(),
        paths::ENROL,
        content_types::JSON,
        enrol_body(&issue_code(&c), &signer),
    );
    assert_problem(&r, 409, "already-enrolled");
    assert_eq!(c.collector().device_count().unwrap(), 1);
}

#[test]
fn unknown_and_expired_codes_get_the_same_403() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite3");
    // SQLite whatever the suite runs on: the test edits the file itself.
    let c = spawn_local(CollectorConfig {
        db_path: Some(db.clone()),
        postgres: None,
        ..config()
    })
    .unwrap();
    let signer = SoftwareSigner::ephemeral().unwrap();
    let r = post(
        c.url(),
        paths::ENROL,
        content_types::JSON,
        enrol_body("AAAA-BBBB-CCCC", &signer),
    );
    let unknown = assert_problem(&r, 403, "invalid-enrolment-code");

    let code = issue_code(&c);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    conn.execute("UPDATE codes SET expires_at = 0", []).unwrap();
    let r = post(
        c.url(),
        paths::ENROL,
        content_types::JSON,
        enrol_body(&code, &signer),
    );
    let expired = assert_problem(&r, 403, "invalid-enrolment-code");
    assert_eq!(
        unknown.detail, expired.detail,
        "the answer must not tell which"
    );
    assert!(!expired.detail.unwrap_or_default().contains(&code));
}

#[test]
fn failed_attempts_from_one_address_are_rate_limited() {
    let c = spawn_local(CollectorConfig {
        enrol_failures_per_address: 3,
        ..config()
    })
    .unwrap();
    let signer = SoftwareSigner::ephemeral().unwrap();
    for _ in 0..3 {
        let r = post(
            c.url(),
            paths::ENROL,
            content_types::JSON,
            enrol_body("WRONG-CODE", &signer),
        );
        assert_problem(&r, 403, "invalid-enrolment-code");
    }
    // Even a good code waits now: the limit is on the address.
    let code = issue_code(&c);
    let r = post(
        c.url(),
        paths::ENROL,
        content_types::JSON,
        enrol_body(&code, &signer),
    );
    assert_problem(&r, 429, "rate-limited");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=600).contains(&wait), "{wait}");
}

#[test]
fn a_bad_key_is_refused_without_burning_the_code() {
    let c = start();
    let code = issue_code(&c);
    let signer = SoftwareSigner::ephemeral().unwrap();
    let mut jwk = serde_json::to_value(signer.public_jwk().unwrap()).unwrap();
    jwk["y"] = jwk["x"].clone(); // almost surely off the curve
    let body = serde_json::json!({"code": code, "jwk": jwk, "platform": "android", "agent_version": "0.1.0"});
    let r = post(
        c.url(),
        paths::ENROL,
        content_types::JSON,
        serde_json::to_vec(&body).unwrap(),
    );
    assert_problem(&r, 400, "invalid-key");
    let mut with_d = serde_json::to_value(signer.public_jwk().unwrap()).unwrap();
    with_d["d"] = "c2VjcmV0".into();
    let body = serde_json::json!({"code": code, "jwk": with_d, "platform": "android", "agent_version": "0.1.0"});
    let r = post(
        c.url(),
        paths::ENROL,
        content_types::JSON,
        serde_json::to_vec(&body).unwrap(),
    );
    assert_problem(&r, 400, "invalid-key");
    let r = post(
        c.url(),
        paths::ENROL,
        content_types::JSON,
        enrol_body(&code, &signer),
    );
    assert_eq!(r.status, 201, "{r:?}");
}

#[test]
fn malformed_json_wrong_type_and_oversized_bodies_are_problems() {
    let c = start();
    let r = post(
        c.url(),
        paths::ENROL,
        content_types::JSON,
        b"{\"code\": ".to_vec(),
    );
    assert_problem(&r, 400, "invalid-request");
    let r = post(
        c.url(),
        paths::ENROL,
        content_types::JSON,
        b"{\"code\": \"x\"}".to_vec(),
    );
    assert_problem(&r, 400, "invalid-request");
    let r = post(c.url(), paths::ENROL, "text/plain", b"{}".to_vec());
    assert_problem(&r, 415, "unsupported-media-type");
    let r = post(
        c.url(),
        paths::REPORTS,
        content_types::JSON,
        b"x.y.z".to_vec(),
    );
    assert_problem(&r, 415, "unsupported-media-type");
    let big = vec![b' '; limits::MAX_BODY_BYTES + 1];
    let r = post(c.url(), paths::ENROL, content_types::JSON, big);
    assert_problem(&r, 413, "payload-too-large");
    let big = vec![b'a'; limits::MAX_BODY_BYTES + 1];
    let r = post(
        c.url(),
        paths::REPORTS,
        "application/eat+jwt; charset=utf-8",
        big,
    );
    assert_problem(&r, 413, "payload-too-large");
    // Exactly at the limit is read (and then refused for what it is).
    let r = post(
        c.url(),
        paths::REPORTS,
        content_types::EAT_JWT,
        vec![b'a'; limits::MAX_BODY_BYTES],
    );
    assert_problem(&r, 400, "invalid-token");
}

#[test]
fn jwk_coordinates_are_32_bytes_and_other_members_are_ignored() {
    let c = start();
    let code = issue_code(&c);
    let signer = SoftwareSigner::ephemeral().unwrap();
    let jwk = serde_json::to_value(signer.public_jwk().unwrap()).unwrap();
    let enrol = |jwk: &serde_json::Value| {
        let body = serde_json::json!({"code": code, "jwk": jwk, "platform": "android", "agent_version": "0.1.0"});
        post(
            c.url(),
            paths::ENROL,
            content_types::JSON,
            serde_json::to_vec(&body).unwrap(),
        )
    };
    let x = agent_core::b64::decode(jwk["x"].as_str().unwrap()).unwrap();
    // 31 bytes, 33 bytes (a leading zero added), padded base64url.
    for bad_x in [
        agent_core::b64::encode(&x[1..]),
        agent_core::b64::encode(&[&[0u8][..], &x].concat()),
        format!("{}=", jwk["x"].as_str().unwrap()),
    ] {
        let mut bad = jwk.clone();
        bad["x"] = bad_x.into();
        assert_problem(&enrol(&bad), 400, "invalid-key");
    }
    let mut other_curve = jwk.clone();
    other_curve["crv"] = "P-384".into();
    assert_problem(&enrol(&other_curve), 400, "invalid-key");
    // A member named twice makes the body invalid.
    let body = format!(
        r#"{{"code": "{code}", "jwk": {{"kty": "EC", "crv": "P-256", "x": {x}, "x": {x}, "y": {y}}}, "platform": "android", "agent_version": "0.1.0"}}"#,
        x = jwk["x"],
        y = jwk["y"]
    );
    let r = post(
        c.url(),
        paths::ENROL,
        content_types::JSON,
        body.into_bytes(),
    );
    assert_problem(&r, 400, "invalid-request");
    // kid (even a wrong one), alg, use and key_ops are ignored.
    let mut extra = jwk.clone();
    extra["kid"] = "not-the-thumbprint".into();
    extra["alg"] = "ES256".into();
    extra["use"] = "sig".into();
    extra["key_ops"] = serde_json::json!(["verify"]);
    let r = enrol(&extra);
    assert_eq!(r.status, 201, "{r:?}");
}
