//! `POST /v1/reports`: verification, server verdict, freshness, idempotency.

use agent_core::keys::{DeviceSigner, SoftwareSigner};
use agent_core::policy::Compliance;
use agent_core::protocol::{Freshness, Nonce, ReportAck};
use agent_core::token::{Claims, sign};
use agent_core::{evaluate, policy::PolicyRef};
use time::{Duration, OffsetDateTime};

use crate::common::*;

fn ack(r: &agent_core::transport::HttpResponse) -> ReportAck {
    serde_json::from_slice(&r.body).unwrap()
}

#[test]
fn a_current_report_gets_the_servers_verdict_and_the_next_nonce() {
    let c = start();
    let mut d = Device::enrol(&c);
    let first_nonce = d.nonce.clone();
    let a = d.check_in(&c, Shape::Warning);
    assert_eq!(a.freshness, Freshness::Current);
    assert_eq!(a.verdict.compliance, Compliance::Warning);
    assert_eq!(a.verdict.policy.name, "test");
    assert_ne!(a.nonce, first_nonce, "a current report consumes its nonce");
    assert!(a.policy.is_none(), "the device already has this policy");
    assert_eq!(a.next_checkin_at - a.accepted_at, Duration::hours(6));
    assert_eq!(c.collector().report_count().unwrap(), 1);
}

#[test]
fn the_server_never_trusts_the_devices_verdict() {
    let c = start();
    let d = Device::enrol(&c);
    let now = OffsetDateTime::now_utc();
    let mut lie = evaluate(&posture(Shape::Compliant), &test_policy(), now);
    lie.compliance = Compliance::Compliant;
    let bad = posture(Shape::NonCompliant);
    let claims = Claims::new(d.nonce.clone(), &d.device_id(), bad, lie, now).unwrap();
    let r = d.send(&c, &sign(&claims, &d.signer).unwrap());
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(ack(&r).verdict.compliance, Compliance::NonCompliant);
}

#[test]
fn a_resent_report_gets_the_same_ack_and_is_stored_once() {
    let c = start();
    let d = Device::enrol(&c);
    let token = d.token(Shape::Compliant);
    let first = d.send(&c, &token);
    assert_eq!(first.status, 201);
    let again = d.send(&c, &token);
    assert_eq!(again.status, 200);
    assert_eq!(
        again.body, first.body,
        "byte for byte the same acknowledgement"
    );
    assert_eq!(c.collector().report_count().unwrap(), 1);

    // The same jti with other content is a replay.
    let now = OffsetDateTime::now_utc();
    let p = posture(Shape::Warning);
    let v = evaluate(&p, &test_policy(), now);
    let mut claims = Claims::new(d.nonce.clone(), &d.device_id(), p, v, now).unwrap();
    claims.jti = ack(&first).jti;
    let r = d.send(&c, &sign(&claims, &d.signer).unwrap());
    assert_problem(&r, 409, "replayed-token");
    assert_eq!(c.collector().report_count().unwrap(), 1);
}

#[test]
fn stale_nonces_and_late_tokens_are_historical() {
    let c = start();
    let mut d = Device::enrol(&c);
    let old = d.nonce.clone();
    d.check_in(&c, Shape::Compliant);
    // The consumed nonce again: stored, historical, latest nonce handed back.
    let r = d.send(
        &c,
        &d.token_at(Shape::NonCompliant, &old, OffsetDateTime::now_utc()),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let a = ack(&r);
    assert_eq!(a.freshness, Freshness::Historical);
    assert_eq!(a.nonce, d.nonce, "the unexpired latest nonce comes back");
    // A nonce the server never issued.
    let never = Nonce::new("never-issued-nonce").unwrap();
    let r = d.send(
        &c,
        &d.token_at(Shape::Compliant, &never, OffsetDateTime::now_utc()),
    );
    assert_eq!(ack(&r).freshness, Freshness::Historical);
    // Collected offline two hours ago with the latest nonce: the token has
    // expired, so it is evidence of then, not of now.
    let then = OffsetDateTime::now_utc() - Duration::hours(2);
    let r = d.send(&c, &d.token_at(Shape::Compliant, &d.nonce, then));
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(ack(&r).freshness, Freshness::Historical);
    assert_eq!(c.collector().report_count().unwrap(), 4);
    // Historical reports did not change the device's current standing.
    let fleet = c.collector().fleet_summary(None).unwrap();
    assert_eq!((fleet.compliant, fleet.non_compliant), (1, 0));
    // Over 30 days old: refused.
    let ancient = OffsetDateTime::now_utc() - Duration::days(31);
    let r = d.send(&c, &d.token_at(Shape::Compliant, &d.nonce, ancient));
    assert_problem(&r, 422, "expired-token");
    // From the future, beyond the skew.
    let future = OffsetDateTime::now_utc() + Duration::minutes(10);
    let r = d.send(&c, &d.token_at(Shape::Compliant, &d.nonce, future));
    assert_problem(&r, 422, "future-token");
    assert_eq!(c.collector().report_count().unwrap(), 4);
}

#[test]
fn tampered_and_foreign_tokens_are_refused_and_not_stored() {
    let c = start();
    let a = Device::enrol(&c);
    let b = Device::enrol(&c);
    let token = a.token(Shape::Compliant);
    // Flip one character of the payload.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut payload = parts[1].clone().into_bytes();
    payload[10] = if payload[10] == b'A' { b'B' } else { b'A' };
    parts[1] = String::from_utf8(payload).unwrap();
    let r = a.send(&c, &parts.join("."));
    assert_problem(&r, 401, "bad-signature");
    // Signed by device B's key but claiming to be device A.
    let now = OffsetDateTime::now_utc();
    let p = posture(Shape::Compliant);
    let v = evaluate(&p, &test_policy(), now);
    let forged = Claims::new(a.nonce.clone(), &a.device_id(), p.clone(), v.clone(), now).unwrap();
    let r = a.send(&c, &sign(&forged, &b.signer).unwrap());
    assert_problem(&r, 401, "unknown-device");
    // A key that never enrolled.
    let stranger = SoftwareSigner::ephemeral().unwrap();
    let claims = Claims::new(a.nonce.clone(), &a.device_id(), p, v, now).unwrap();
    let r = a.send(&c, &sign(&claims, &stranger).unwrap());
    assert_problem(&r, 401, "unknown-device");
    // Not a JWS at all.
    let r = a.send(&c, "not-a-token");
    assert_problem(&r, 400, "invalid-token");
    assert_eq!(c.collector().report_count().unwrap(), 0);
}

#[test]
fn a_device_on_an_old_policy_gets_the_new_one() {
    let c = start();
    let d = Device::enrol(&c);
    let now = OffsetDateTime::now_utc();
    let p = posture(Shape::Compliant);
    let mut v = evaluate(&p, &test_policy(), now);
    v.policy = PolicyRef {
        name: "test".into(),
        revision: 0,
    };
    let claims = Claims::new(d.nonce.clone(), &d.device_id(), p, v, now).unwrap();
    let r = d.send(&c, &sign(&claims, &d.signer).unwrap());
    assert_eq!(ack(&r).policy, Some(test_policy()));
}

/// A report signed by `d` with `header` (JSON) as its protected header.
fn with_header(d: &Device, header: &str) -> String {
    let token = d.token(Shape::Compliant);
    let payload = token.split('.').nth(1).unwrap();
    let mut signed = format!("{}.{payload}", agent_core::b64::encode(header.as_bytes()));
    let signature = d.signer.sign(signed.as_bytes()).unwrap();
    signed.push('.');
    signed.push_str(&agent_core::b64::encode(&signature));
    signed
}

#[test]
fn header_members_are_required_refused_or_ignored_as_documented() {
    let c = start();
    let d = Device::enrol(&c);
    let kid = d.signer.kid().unwrap();
    // protocol.md §4: these are refused as invalid-token...
    for extra in [
        r#""jwk":{"kty":"EC"}"#,
        r#""jku":"https://example.org/keys""#,
        r#""x5u":"https://example.org/cert""#,
        r#""x5c":["MIIB"]"#,
        r#""crit":["exp"]"#,
        r#""alg":"ES256""#,
    ] {
        let header = format!(r#"{{"alg":"ES256","typ":"eat+jwt","kid":"{kid}",{extra}}}"#);
        assert_problem(&d.send(&c, &with_header(&d, &header)), 400, "invalid-token");
    }
    let header = r#"{"alg":"ES256","typ":"eat+jwt"}"#;
    assert_problem(&d.send(&c, &with_header(&d, header)), 400, "invalid-token");
    // ...a missing or other alg or typ is unsupported-algorithm...
    for header in [
        format!(r#"{{"typ":"eat+jwt","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"ES384","typ":"eat+jwt","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"ES256","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"ES256","typ":"EAT+JWT","kid":"{kid}"}}"#),
    ] {
        assert_problem(
            &d.send(&c, &with_header(&d, &header)),
            400,
            "unsupported-algorithm",
        );
    }
    assert_eq!(c.collector().report_count().unwrap(), 0);
    // ...and other members are ignored.
    let header = format!(r#"{{"alg":"ES256","typ":"eat+jwt","kid":"{kid}","x-note":{{"a":1}}}}"#);
    let r = d.send(&c, &with_header(&d, &header));
    assert_eq!(r.status, 201, "{r:?}");
}

#[test]
fn a_claim_named_twice_is_an_invalid_token() {
    let c = start();
    let d = Device::enrol(&c);
    let token = d.token(Shape::Compliant);
    let mut parts = token.split('.');
    let (header, payload) = (parts.next().unwrap(), parts.next().unwrap());
    let json = String::from_utf8(agent_core::b64::decode(payload).unwrap()).unwrap();
    let doubled = json.replacen('{', &format!(r#"{{"jti":"other-{}","#, d.id), 1);
    let mut signed = format!("{header}.{}", agent_core::b64::encode(doubled.as_bytes()));
    let signature = d.signer.sign(signed.as_bytes()).unwrap();
    signed.push('.');
    signed.push_str(&agent_core::b64::encode(&signature));
    assert_problem(&d.send(&c, &signed), 400, "invalid-token");
}

#[test]
fn the_server_judges_auto_lock_and_reads_postures_from_agents_before_it() {
    let c = posture_collector::spawn_local(posture_collector::CollectorConfig {
        policy: agent_core::Policy::default_policy(),
        ..config()
    })
    .unwrap();
    let auto_lock = |a: &ReportAck| {
        a.verdict
            .findings
            .iter()
            .find(|f| f.rule == agent_core::policy::RuleId::AutoLock)
            .cloned()
            .unwrap()
    };
    // The test posture has no auto_lock member, as an older agent sends it.
    let mut d = Device::enrol(&c);
    let old = posture(Shape::Compliant);
    assert!(
        old.auto_lock
            .provenance()
            .contains("predates the auto_lock fact")
    );
    let now = OffsetDateTime::now_utc();
    let send = |d: &Device, p: agent_core::Posture| {
        let verdict = evaluate(&p, &agent_core::Policy::default_policy(), now);
        let claims = Claims::new(d.nonce.clone(), &d.device_id(), p, verdict, now).unwrap();
        let r = d.send(&c, &sign(&claims, &d.signer).unwrap());
        assert_eq!(r.status, 201, "{r:?}");
        ack(&r)
    };
    let a = send(&d, old.clone());
    let f = auto_lock(&a);
    // Unknown, so the default policy warns (as on an unknown screen lock).
    assert_eq!(f.outcome, agent_core::policy::Outcome::Warn);
    assert!(f.observed.starts_with("unknown: not reported"), "{f:?}");
    d.nonce = a.nonce;
    // A phone that never locks by itself fails, whatever the device said.
    let mut never = old;
    never.auto_lock = agent_core::Fact::observed(agent_core::posture::AutoLock::Never, "test");
    let a = send(&d, never);
    let f = auto_lock(&a);
    assert_eq!(f.outcome, agent_core::policy::Outcome::Fail);
    assert_eq!(f.observed, "never locks by itself");
    assert!(f.remediation.unwrap().contains("Screen timeout"));
}
