//! The relying-party API over real HTTP: tokens and scopes, compliance by
//! id and by key thumbprint, freshness, the grace deadline, and
//! Cloudflare Access's device posture check with enrolled devices.

use std::path::Path;

use agent_core::Policy;
use agent_core::keys::DeviceSigner;
use agent_core::policy::Compliance;
use agent_core::policy::{Outcome, PolicyFormat};
use agent_core::protocol::{ComplianceAnswer, DeviceStatus, RequestPurpose, content_types, paths};
use agent_core::transport::{HttpRequest, HttpResponse};
use posture_collector::{CollectorConfig, RelyingParties, RunningCollector, spawn_local};
use ring::digest::{SHA256, digest};

use agent_core::transport::Transport;

use crate::common::{Device, Shape, assert_documented, assert_problem, config, http, post, send};

pub(crate) const READER: &str = "reader-token-1f0c9a7e55d2";
const SCORER: &str = "scorer-token-77b1c2d3e4f5";
const CF_CLIENT_ID: &str = "4f1c2b7e.access";
const CF_SECRET: &str = "cf-service-secret-0a1b2c3d4e5f";

fn sha256_hex(token: &str) -> String {
    digest(&SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The relying-party file as an operator writes it.
pub(crate) fn parties() -> RelyingParties {
    let doc = serde_json::json!({"relying_parties": [
        {"name": "ztna-gateway", "scopes": ["compliance:read"], "token_sha256": sha256_hex(READER)},
        {"name": "scorer", "scopes": ["cloudflare:posture"], "token_sha256": sha256_hex(SCORER)},
        {"name": "cloudflare-access", "scopes": ["cloudflare:posture"],
         "access_client_id": CF_CLIENT_ID, "token_sha256": sha256_hex(CF_SECRET)}
    ]});
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relying-parties.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    RelyingParties::from_file(&path).unwrap()
}

fn start_with(tweak: impl FnOnce(&mut CollectorConfig)) -> RunningCollector {
    let mut config = CollectorConfig {
        relying_parties: parties(),
        ..config()
    };
    tweak(&mut config);
    spawn_local(config).unwrap()
}

/// A GET whose answer openapi.yaml must document, under the route's
/// template for a device's path.
pub(crate) fn get(c: &RunningCollector, path_and_query: &str, token: Option<&str>) -> HttpResponse {
    let mut request = HttpRequest::get(format!("{}{path_and_query}", c.url()));
    if let Some(token) = token {
        request = request.with_header("authorization", &format!("Bearer {token}"));
    }
    if !path_and_query.starts_with("/v1/devices/") {
        return send(request);
    }
    let r = http().send(request).unwrap();
    assert_documented("get", paths::DEVICE_COMPLIANCE, r.status);
    r
}

pub(crate) fn compliance(c: &RunningCollector, device: &Device) -> ComplianceAnswer {
    let r = get(
        c,
        &format!("/v1/devices/{}/compliance", device.id),
        Some(READER),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    serde_json::from_slice(&r.body).unwrap()
}

#[test]
fn only_a_relying_party_token_with_the_scope_reads_compliance() {
    let c = start_with(|_| {});
    let device = Device::enrol(&c);
    let path = format!("/v1/devices/{}/compliance", device.id);
    let jkt_path = format!("{}?jkt={}", paths::COMPLIANCE, device.signer.kid().unwrap());
    for p in [&path, &jkt_path] {
        let r = get(&c, p, None);
        assert_problem(&r, 401, "unauthorized");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        assert_problem(&get(&c, p, Some("not-a-token-at-all")), 401, "unauthorized");
        // The admin token is not a relying-party token.
        assert_problem(&get(&c, p, Some(c.admin_token())), 401, "unauthorized");
        // A relying party without compliance:read.
        let r = get(&c, p, Some(SCORER));
        let p403 = assert_problem(&r, 403, "insufficient-scope");
        assert!(p403.detail.unwrap().contains("compliance:read"));
        assert_eq!(
            r.header("www-authenticate"),
            Some(r#"Bearer error="insufficient_scope""#)
        );
        assert_eq!(get(&c, p, Some(READER)).status, 200);
    }
    // The admin API, in turn, takes no relying-party token.
    assert_problem(&get(&c, paths::FLEET, Some(READER)), 401, "unauthorized");
}

#[test]
fn a_collector_without_relying_parties_refuses_everyone() {
    let c = crate::common::start();
    let device = Device::enrol(&c);
    let path = format!("/v1/devices/{}/compliance", device.id);
    assert_problem(&get(&c, &path, Some(READER)), 401, "unauthorized");
    assert_problem(&get(&c, &path, Some(c.admin_token())), 401, "unauthorized");
}

#[test]
fn the_answer_gives_verdict_assurance_freshness_and_no_person() {
    let c = start_with(|_| {});
    let mut device = Device::enrol(&c);
    let ack = device.check_in(&c, Shape::Compliant);
    let a = compliance(&c, &device);
    assert_eq!(a.device_id.as_str(), device.id);
    assert_eq!(a.jkt, device.signer.kid().unwrap());
    assert_eq!(a.status, DeviceStatus::Compliant);
    assert_eq!(a.compliance, Some(Compliance::Compliant));
    assert_eq!(
        a.assurance.map(|l| l.name()),
        Some("self-reported"),
        "a software key is self-reported"
    );
    assert!(!a.freshness.stale);
    assert_eq!(a.freshness.last_verified_at, Some(ack.accepted_at));
    assert_eq!(a.freshness.stale_after_secs, 3 * 6 * 3600);
    assert_eq!(
        a.freshness.stale_at,
        Some(ack.accepted_at + time::Duration::seconds(3 * 6 * 3600))
    );
    assert_eq!(a.grace_deadline, None);
    assert_eq!(a.policy.as_ref().map(|p| p.name.as_str()), Some("test"));
    // Exactly these members: nothing else about the device or its user.
    let raw: serde_json::Value = serde_json::from_slice(
        &get(
            &c,
            &format!("/v1/devices/{}/compliance", device.id),
            Some(READER),
        )
        .body,
    )
    .unwrap();
    let mut keys: Vec<_> = raw.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "assurance",
            "checked_at",
            "compliance",
            "device_id",
            "freshness",
            "grace_deadline",
            "jkt",
            "policy",
            "status"
        ]
    );
    assert!(raw["grace_deadline"].is_null(), "{raw}");
}

#[test]
fn the_thumbprint_finds_the_same_answer() {
    let c = start_with(|_| {});
    let mut device = Device::enrol(&c);
    device.check_in(&c, Shape::NonCompliant);
    let _other = Device::enrol(&c);
    let jkt = device.signer.kid().unwrap();
    let r = get(
        &c,
        &format!("{}?jkt={jkt}", paths::COMPLIANCE),
        Some(READER),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let mut by_jkt: ComplianceAnswer = serde_json::from_slice(&r.body).unwrap();
    let by_id = compliance(&c, &device);
    by_jkt.checked_at = by_id.checked_at;
    assert_eq!(by_jkt, by_id);
    assert_eq!(by_id.status, DeviceStatus::NonCompliant);

    // A well-formed thumbprint no enrolled key has; then malformed ones.
    let unknown = "A".repeat(43);
    let r = get(
        &c,
        &format!("{}?jkt={unknown}", paths::COMPLIANCE),
        Some(READER),
    );
    assert_problem(&r, 404, "not-found");
    for bad in [
        "",
        "?jkt=short",
        "?jkt=%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F%2F",
    ] {
        let r = get(&c, &format!("{}{bad}", paths::COMPLIANCE), Some(READER));
        assert_problem(&r, 400, "invalid-request");
    }
}

#[test]
fn an_unknown_or_unenrolled_device_is_not_found() {
    let c = start_with(|_| {});
    for id in [
        "dev_AAAAAAAAAAAAAAAAAAAAAA",
        "not%20an%20id",
        &"x".repeat(65),
    ] {
        let r = get(&c, &format!("/v1/devices/{id}/compliance"), Some(READER));
        assert_problem(&r, 404, "not-found");
    }
    // Once unenrolled, neither its id nor its key's thumbprint is known.
    let mut gone = Device::enrol(&c);
    gone.check_in(&c, Shape::Compliant);
    assert_eq!(compliance(&c, &gone).status, DeviceStatus::Compliant);
    let token = gone.request_token(RequestPurpose::Unenrol, Some(gone.nonce.clone()));
    let r = post(
        c.url(),
        paths::UNENROL,
        content_types::JWT,
        token.into_bytes(),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let r = get(
        &c,
        &format!("/v1/devices/{}/compliance", gone.id),
        Some(READER),
    );
    assert_problem(&r, 404, "not-found");
    let jkt = gone.signer.kid().unwrap();
    let r = get(
        &c,
        &format!("{}?jkt={jkt}", paths::COMPLIANCE),
        Some(READER),
    );
    assert_problem(&r, 404, "not-found");
}

#[test]
fn a_device_without_current_evidence_is_stale() {
    let c = start_with(|_| {});
    // Enrolled, never reported.
    let quiet = Device::enrol(&c);
    let a = compliance(&c, &quiet);
    assert_eq!(a.status, DeviceStatus::Stale);
    assert!(a.freshness.stale);
    assert_eq!(a.freshness.last_verified_at, None);
    assert_eq!(a.freshness.stale_at, None);
    assert_eq!((a.compliance, a.assurance, a.policy), (None, None, None));

    // Reported only with a spent nonce: historical evidence, not current.
    let mut late = Device::enrol(&c);
    let spent = late.nonce.clone();
    late.check_in(&c, Shape::Compliant);
    let before = compliance(&c, &late);
    assert!(!before.freshness.stale);
    let old = late.token_at(Shape::NonCompliant, &spent, time::OffsetDateTime::now_utc());
    assert_eq!(late.send(&c, &old).status, 201);
    let after = compliance(&c, &late);
    assert_eq!(
        after.status,
        DeviceStatus::Compliant,
        "historical reports never change it"
    );
    assert_eq!(
        after.freshness.last_verified_at,
        before.freshness.last_verified_at
    );

    // A tighter threshold than the evidence's age makes it stale; the
    // threshold must be a whole number of seconds.
    let r = get(
        &c,
        &format!("/v1/devices/{}/compliance?stale_after_secs=0", late.id),
        Some(READER),
    );
    assert_problem(&r, 400, "invalid-request");
}

/// A policy whose only rule fails the test posture's patch level, in a
/// grace period of ten years (the longest a policy may give; the test
/// posture's patch is from 2026-11): a warning with a deadline.
const GRACE_POLICY: &str = r#"
schema_version = 1
name = "grace"
revision = 3
[grace]
days = 3650
[rules.security_patch]
max_age_days = 1
unknown = "fail"
"#;

#[test]
fn a_warning_in_its_grace_period_carries_the_deadline() {
    let c = start_with(|config| {
        config.policy = Policy::parse(GRACE_POLICY, PolicyFormat::Toml).unwrap();
    });
    let mut device = Device::enrol(&c);
    let ack = device.check_in(&c, Shape::Compliant);
    let deadline = ack
        .verdict
        .findings
        .iter()
        .find(|f| f.outcome == Outcome::Warn)
        .and_then(|f| f.deadline)
        .expect("the policy gives the patch rule a deadline");
    let a = compliance(&c, &device);
    assert_eq!(a.status, DeviceStatus::Warning);
    assert_eq!(a.grace_deadline, Some(deadline));
    assert_eq!(
        a.policy.map(|p| (p.name, p.revision)),
        Some(("grace".into(), 3))
    );
}

fn cloudflare_post(
    c: &RunningCollector,
    body: &serde_json::Value,
    auth: &[(&str, &str)],
) -> HttpResponse {
    let mut request = HttpRequest::post(
        format!("{}{}", c.url(), paths::CLOUDFLARE_DEVICE_POSTURE),
        content_types::JSON,
        body.to_string().into_bytes(),
    );
    for (name, value) in auth {
        request = request.with_header(name, value);
    }
    send(request)
}

fn write_links(dir: &Path, links: &serde_json::Value) -> std::path::PathBuf {
    let path = dir.join("gateway-links.json");
    std::fs::write(&path, links.to_string()).unwrap();
    path
}

/// Access as its documentation shows it: a service token, then the
/// devices with every identifying field it sends.
#[test]
fn cloudflare_access_gets_a_score_per_linked_device() {
    let dir = tempfile::tempdir().unwrap();
    let links_path = dir.path().join("gateway-links.json");
    let links = links_path.clone();
    let c = start_with(move |config| config.gateway_links = Some(links));
    let mut good = Device::enrol(&c);
    good.check_in(&c, Shape::Compliant);
    let mut warned = Device::enrol(&c);
    warned.check_in(&c, Shape::Warning);
    let mut bad = Device::enrol(&c);
    bad.check_in(&c, Shape::NonCompliant);
    let quiet = Device::enrol(&c);
    let cf = |n: u8| format!("9ece5fab-7398-488a-a575-e25a9a3dec0{n}");
    write_links(
        dir.path(),
        &serde_json::json!({"cloudflare": {
            cf(1): good.id, cf(2): warned.id, cf(3): bad.id, cf(4): quiet.id,
            cf(5): "dev_AAAAAAAAAAAAAAAAAAAAAA"
        }}),
    );
    let device = |n: u8| {
        serde_json::json!({
            "device_id": cf(n), "email": format!("person{n}@trust.example"),
            "serial_number": format!("SERIAL{n}"), "mac_address": "74:1d:3e:23:e0:fe",
            "virtual_ipv4": "100.96.0.10", "hostname": format!("laptop-{n}")
        })
    };
    let body = serde_json::json!({"devices": (1..=6).map(device).collect::<Vec<_>>()});
    let service_token = [
        ("cf-access-client-id", CF_CLIENT_ID),
        ("cf-access-client-secret", CF_SECRET),
    ];
    let r = cloudflare_post(&c, &body, &service_token);
    assert_eq!(r.status, 200, "{r:?}");
    let text = String::from_utf8(r.body.clone()).unwrap();
    for private in ["person", "SERIAL", "74:1d", "100.96", "laptop"] {
        assert!(
            !text.contains(private),
            "the answer repeats {private}: {text}"
        );
    }
    let answer: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let result = answer["result"].as_object().unwrap();
    assert_eq!(result.len(), 6);
    let expect = [
        (1, good.id.as_str(), 70),
        (2, warned.id.as_str(), 40),
        (3, bad.id.as_str(), 0),
        (4, quiet.id.as_str(), 0),
        (5, "", 0),
        (6, "", 0),
    ];
    for (n, s2s_id, score) in expect {
        assert_eq!(
            result[&cf(n)],
            serde_json::json!({"s2s_id": s2s_id, "score": score}),
            "device {n}"
        );
    }

    // A relying-party bearer token with the scope works too; one without
    // it, the admin token, a wrong secret or none do not.
    let r = cloudflare_post(&c, &body, &[("authorization", &format!("Bearer {SCORER}"))]);
    assert_eq!(r.status, 200, "{r:?}");
    let r = cloudflare_post(&c, &body, &[("authorization", &format!("Bearer {READER}"))]);
    assert_problem(&r, 403, "insufficient-scope");
    let admin = format!("Bearer {}", c.admin_token());
    for auth in [
        vec![("authorization", admin.as_str())],
        vec![
            ("cf-access-client-id", CF_CLIENT_ID),
            ("cf-access-client-secret", "wrong"),
        ],
        vec![("cf-access-client-secret", CF_SECRET)],
        vec![],
    ] {
        assert_problem(&cloudflare_post(&c, &body, &auth), 401, "unauthorized");
    }

    // Bad requests are refused whole.
    for bad_body in [
        serde_json::json!({"devices": [{"email": "x@y"}]}),
        serde_json::json!({"devices": [{"device_id": ""}]}),
        serde_json::json!({"devices": (0..1001).map(|i| serde_json::json!({"device_id": format!("d{i}")})).collect::<Vec<_>>()}),
        serde_json::json!([]),
    ] {
        let r = cloudflare_post(&c, &bad_body, &service_token);
        assert_problem(&r, 400, "invalid-request");
    }
    // Access's largest request (1,000 devices, every field) fits.
    let full = serde_json::json!({"devices": (0..1000).map(|i| serde_json::json!({
        "device_id": format!("9ece5fab-7398-488a-a575-{i:012}"), "email": "someone.long.name@trust.example.nhs.uk",
        "serial_number": "C02XK0ABCDEF", "mac_address": "74:1d:3e:23:e0:fe",
        "virtual_ipv4": "100.96.0.10", "hostname": "a-rather-long-host-name.trust.example"
    })).collect::<Vec<_>>()});
    assert!(full.to_string().len() > 64 * 1024);
    let r = cloudflare_post(&c, &full, &service_token);
    assert_eq!(r.status, 200, "{}", r.status);
}

#[test]
fn a_broken_links_file_is_an_error_not_a_score() {
    let dir = tempfile::tempdir().unwrap();
    let links = write_links(
        dir.path(),
        &serde_json::json!({"cloudflare": {"x": "not a device id"}}),
    );
    let c = start_with(move |config| config.gateway_links = Some(links));
    let body = serde_json::json!({"devices": [{"device_id": "x"}]});
    let r = cloudflare_post(&c, &body, &[("authorization", &format!("Bearer {SCORER}"))]);
    assert_problem(&r, 500, "internal");
}
