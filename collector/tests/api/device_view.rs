//! What an attested device's verdict and views say, over real HTTP: the
//! attested patch level wins over a newer reported one, and the device view
//! (`GET /v1/fleet/devices/{id}`) carries the fleet row, the verdict with
//! each fact's provenance, the latest reports and the attestation result.

use agent_core::keys::{DeviceSigner, SoftwareSigner};
use agent_core::policy::{Compliance, Outcome, PolicyFormat, RuleId};
use agent_core::protocol::{
    AssuranceLevel, DeviceDetail, DeviceStatus, FactProvenance, Freshness, ReportAck,
    content_types, paths,
};
use agent_core::transport::{HttpRequest, HttpResponse, Transport};
use agent_core::{Platform, Policy};
use posture_collector::{AttestationConfig, CollectorConfig, RunningCollector, spawn_local};
use time::OffsetDateTime;

use crate::chains::*;
use crate::common::*;

/// [`TEST_POLICY`] with a patch rule fixed to a reference day, so the
/// verdict does not depend on today: 2026-11-05 passes, 2026-01 fails.
const PATCH_POLICY: &str = r#"
schema_version = 1
name = "patched"
revision = 4
[rules.screen_lock]
unknown = "fail"
[rules.storage_encryption]
unknown = "warn"
[rules.security_patch]
unknown = "fail"
max_age_days = 60
reference = "2026-11-20"
"#;

fn patch_policy() -> Policy {
    Policy::parse(PATCH_POLICY, PolicyFormat::Toml).unwrap()
}

fn start_attesting(root: &TestRoot) -> RunningCollector {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("roots.pem");
    root.write_pem(&pem);
    spawn_local(CollectorConfig {
        policy: patch_policy(),
        attestation: AttestationConfig {
            roots: Some(posture_collector::roots_from_pem_file(&pem).unwrap()),
            ..AttestationConfig::default()
        },
        ..config()
    })
    .unwrap()
}

/// Enrols a TEE-attested device whose chain says OS patch level `patch`.
fn enrol_attested(c: &RunningCollector, root: &TestRoot, patch: u64) -> Device {
    let signer = SoftwareSigner::ephemeral().unwrap();
    let code = issue_code(c);
    let extension = description_with_patch(TEE, &code_challenge(&code), patch);
    let chain = root.chain(&point_of(&signer), extension);
    Device::enrol_with_chain(c, signer, &code, &chain)
}

/// A report made under [`PATCH_POLICY`] (the device's own verdict says
/// compliant: it believes its reported patch level).
fn report(c: &RunningCollector, d: &mut Device) -> (ReportAck, String) {
    let now = OffsetDateTime::now_utc();
    let posture = posture(Shape::Compliant);
    let verdict = agent_core::evaluate(&posture, &patch_policy(), now);
    assert_eq!(verdict.compliance, Compliance::Compliant, "{verdict:?}");
    let claims =
        agent_core::token::Claims::new(d.nonce.clone(), &d.device_id(), posture, verdict, now)
            .unwrap();
    let token = agent_core::token::sign(&claims, &d.signer).unwrap();
    let r = d.send(c, &token);
    assert_eq!(r.status, 201, "{r:?}");
    let ack: ReportAck = serde_json::from_slice(&r.body).unwrap();
    d.nonce = ack.nonce.clone();
    let jti = claims.jti.to_string();
    (ack, jti)
}

fn device_view(c: &RunningCollector, id: &str, token: Option<&str>) -> HttpResponse {
    let mut req = HttpRequest::get(format!("{}/v1/fleet/devices/{id}", c.url()));
    if let Some(t) = token {
        req = req.with_header("authorization", &format!("Bearer {t}"));
    }
    let r = http().send(req).unwrap();
    assert_documented("get", paths::FLEET_DEVICE, r.status);
    r
}

fn jwks_over_http(c: &RunningCollector) -> serde_json::Value {
    let r = send(HttpRequest::get(format!("{}{}", c.url(), paths::JWKS)));
    assert_eq!(r.status, 200, "{r:?}");
    serde_json::from_slice(&r.body).unwrap()
}

#[test]
fn a_newer_reported_patch_level_loses_to_the_attested_one_and_the_verdict_says_so() {
    let root = TestRoot::new();
    let c = start_attesting(&root);
    // The chain attests 2026-01; the report claims 2026-11-05.
    let mut behind = enrol_attested(&c, &root, 202601);
    let (ack, _) = report(&c, &mut behind);

    // The attested value was evaluated: too old for the policy.
    assert_eq!(ack.verdict.compliance, Compliance::NonCompliant);
    let patch = ack
        .verdict
        .findings
        .iter()
        .find(|f| f.rule == RuleId::SecurityPatch)
        .unwrap();
    assert_eq!(patch.outcome, Outcome::Fail, "{patch:?}");
    assert!(patch.observed.contains("2026-01"), "{}", patch.observed);
    assert!(patch.observed.contains("2026-11"), "{}", patch.observed);
    assert!(patch.observed.contains("attested"), "{}", patch.observed);
    // Every other finding passed: the patch level alone decided.
    assert!(
        ack.verdict
            .findings
            .iter()
            .filter(|f| f.rule != RuleId::SecurityPatch)
            .all(|f| f.outcome == Outcome::Pass),
        "{:?}",
        ack.verdict.findings
    );

    // The mismatch is recorded, and the fact is the hardware's.
    let detail: DeviceDetail =
        serde_json::from_slice(&device_view(&c, &behind.id, Some(c.admin_token())).body).unwrap();
    let m = &detail.device.attestation_mismatches;
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(
        (
            m[0].fact.as_str(),
            m[0].attested.as_str(),
            m[0].reported.as_str()
        ),
        ("os_patch_level", "2026-01", "2026-11")
    );
    let fact = detail
        .device
        .facts
        .iter()
        .find(|f| f.rule == RuleId::SecurityPatch)
        .unwrap();
    assert_eq!(fact.provenance, FactProvenance::Hardware);
    assert_eq!(fact.outcome, Outcome::Fail);
    let note = fact.note.as_deref().unwrap();
    assert!(
        note.contains("2026-01") && note.contains("2026-11"),
        "{note}"
    );
    assert_eq!(detail.verdict.as_ref(), Some(&ack.verdict));

    // The signed result says the same.
    let claims = posture_collector::verify_attestation_result(
        ack.attestation_result.as_deref().unwrap(),
        &jwks_over_http(&c),
        OffsetDateTime::now_utc().unix_timestamp(),
    )
    .unwrap();
    let appraisal = &claims.submods["posture"];
    assert_eq!(appraisal.compliance, Compliance::NonCompliant);
    assert_eq!(
        serde_json::to_value(appraisal.status).unwrap(),
        "contraindicated"
    );
    assert_eq!(appraisal.vector.configuration, Some(96));

    // A chain that attests the reported month: no mismatch, and it passes.
    let mut current = enrol_attested(&c, &root, 202611);
    let (ack, _) = report(&c, &mut current);
    assert_eq!(ack.verdict.compliance, Compliance::Compliant);
    let detail: DeviceDetail =
        serde_json::from_slice(&device_view(&c, &current.id, Some(c.admin_token())).body).unwrap();
    assert_eq!(detail.device.attestation_mismatches, vec![]);
}

#[test]
fn the_device_view_carries_the_row_the_verdict_the_reports_and_the_attestation_result() {
    let root = TestRoot::new();
    let c = start_attesting(&root);
    let mut d = enrol_attested(&c, &root, 202611);
    let kid = d.signer.public_jwk().unwrap().thumbprint();
    let (first, first_jti) = report(&c, &mut d);
    let (second, second_jti) = report(&c, &mut d);

    let r = device_view(&c, &d.id, Some(c.admin_token()));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.media_type().as_deref(), Some(content_types::JSON));
    let raw: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let detail: DeviceDetail = serde_json::from_value(raw.clone()).unwrap();

    // The fleet row, as the fleet summary shows it.
    let fleet = c.collector().fleet_summary(None).unwrap();
    let row = fleet
        .devices
        .iter()
        .find(|x| x.device_id.as_str() == d.id)
        .unwrap();
    assert_eq!(&detail.device, row);
    let dev = &detail.device;
    assert_eq!(dev.device_id.as_str(), d.id);
    assert_eq!(dev.platform, Platform::Android);
    assert_eq!(dev.status, DeviceStatus::Compliant);
    assert_eq!(dev.compliance, Some(Compliance::Compliant));
    assert_eq!(dev.last_report_at, Some(second.accepted_at));
    assert_eq!(
        dev.provenance,
        Some(agent_core::protocol::Provenance::Hardware)
    );
    let a = dev.key_attestation.as_ref().unwrap();
    assert_eq!(a.os_patch_level, Some(202611));
    assert_eq!(dev.attestation_mismatches, vec![]);
    assert_eq!(dev.assurance, Some(AssuranceLevel::Hardware));

    // The latest verdict, with each finding's fact and provenance.
    let verdict = detail.verdict.as_ref().unwrap();
    assert_eq!(verdict, &second.verdict);
    assert_eq!(verdict.policy.name, "patched");
    assert_eq!(verdict.policy.revision, 4);
    let rules: Vec<RuleId> = verdict.findings.iter().map(|f| f.rule).collect();
    assert_eq!(
        dev.facts.iter().map(|f| f.rule).collect::<Vec<_>>(),
        rules,
        "one fact record per finding, in order"
    );
    for (fact, finding) in dev.facts.iter().zip(&verdict.findings) {
        assert_eq!(fact.outcome, finding.outcome, "{fact:?}");
    }
    let provenance = |rule: RuleId| {
        dev.facts
            .iter()
            .find(|f| f.rule == rule)
            .map(|f| (f.fact.as_str(), f.provenance))
    };
    assert_eq!(
        provenance(RuleId::SecurityPatch),
        Some(("security_patch", FactProvenance::Hardware))
    );
    // Read through the OS of a hardware-attested device.
    assert_eq!(
        provenance(RuleId::ScreenLock),
        Some(("screen_lock", FactProvenance::Os))
    );

    // The latest reports, newest first.
    let jtis: Vec<&str> = detail.history.iter().map(|h| h.jti.as_str()).collect();
    assert_eq!(jtis, [second_jti.as_str(), first_jti.as_str()]);
    for (h, ack) in detail.history.iter().zip([&second, &first]) {
        assert_eq!(h.accepted_at, ack.accepted_at);
        assert_eq!(h.freshness, Freshness::Current);
        assert_eq!(h.compliance, Compliance::Compliant);
        assert_eq!(h.assurance, Some(AssuranceLevel::Hardware));
    }

    // The attestation result: the latest ack's, an EAR for this device and key.
    let ear = dev.attestation_result.as_deref().unwrap();
    assert_eq!(Some(ear), second.attestation_result.as_deref());
    assert_ne!(first.attestation_result, second.attestation_result);
    assert_eq!(raw["device"]["attestation_result"], ear);
    let claims = posture_collector::verify_attestation_result(
        ear,
        &jwks_over_http(&c),
        OffsetDateTime::now_utc().unix_timestamp(),
    )
    .unwrap();
    assert_eq!(claims.eat_profile, "tag:github.com,2023:veraison/ear");
    assert_eq!(claims.sub, d.id);
    assert_eq!(claims.cnf.jkt, kid);
    let appraisal = &claims.submods["posture"];
    assert_eq!(serde_json::to_value(appraisal.status).unwrap(), "affirming");
    assert_eq!(
        appraisal.policy_id,
        "tag:posture-agent.dev,2026:policy/patched/4"
    );
    assert_eq!(appraisal.assurance, AssuranceLevel::Hardware);
    assert_eq!(appraisal.facts, dev.facts);
    assert_eq!(appraisal.vector.hardware, Some(2));
    assert_eq!(appraisal.vector.instance_identity, Some(2));

    // The fleet summary over HTTP carries the same result.
    let r = send(
        HttpRequest::get(format!("{}{}", c.url(), paths::FLEET))
            .with_header("authorization", &format!("Bearer {}", c.admin_token())),
    );
    let summary: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let row = summary["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["device_id"] == d.id.as_str())
        .unwrap();
    assert_eq!(row["attestation_result"], ear);
}

#[test]
fn the_device_view_of_an_unknown_or_malformed_id_is_a_404_problem_and_needs_the_token() {
    let c = start();
    let d = Device::enrol(&c);
    for id in [
        "dev_doesnotexist",
        "dev_not-an-id",
        "not.an.id",
        &"x".repeat(65),
    ] {
        let r = device_view(&c, id, Some(c.admin_token()));
        let p = assert_problem(&r, 404, "not-found");
        assert!(
            p.detail
                .as_deref()
                .unwrap_or_default()
                .contains("no enrolled device"),
            "{p:?}"
        );
    }
    // Enrolled but silent: a row, no verdict, no reports, no result.
    let r = device_view(&c, &d.id, Some(c.admin_token()));
    assert_eq!(r.status, 200, "{r:?}");
    let detail: DeviceDetail = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(detail.device.status, DeviceStatus::Stale);
    assert_eq!(detail.verdict, None);
    assert_eq!(detail.history, vec![]);
    assert_eq!(detail.device.attestation_result, None);
    // Ids are base64url: one with a '-' (about 3 in 10 are) has a view too.
    let dashed = (0..64)
        .map(|_| Device::enrol(&c))
        .find(|d| d.id.contains('-'))
        .expect("one of 64 random ids has a '-'");
    let r = device_view(&c, &dashed.id, Some(c.admin_token()));
    assert_eq!(r.status, 200, "{} {r:?}", dashed.id);
    // Without the admin token, nothing is said about whether the id exists.
    assert_problem(&device_view(&c, &d.id, None), 401, "unauthorized");
    assert_problem(
        &device_view(&c, "dev_doesnotexist", None),
        401,
        "unauthorized",
    );
}
