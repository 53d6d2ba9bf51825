//! Re-attestation on `POST /v1/reports` (protocol §5.3.3): a report's fresh
//! chain moves the device's attestation pin up or, as a downgrade, is
//! refused and breaks the pin, which the fleet and device views show.

use std::time::Duration;

use agent_core::keys::SoftwareSigner;
use agent_core::policy::{Compliance, Outcome, PolicyFormat, RuleId};
use agent_core::protocol::{
    AttestationPin, ChallengeResponse, FactProvenance, PinState, ReportAck, RequestPurpose,
    content_types, paths,
};
use agent_core::token::{Claims, sign};
use agent_core::transport::{HttpRequest, Transport};
use agent_core::{Policy, evaluate};
use posture_collector::{
    AttestationConfig, CollectorConfig, RunningCollector, roots_from_pem_file, spawn_local,
};
use time::OffsetDateTime;

use crate::chains::*;
use crate::common::*;

/// [`TEST_POLICY`] with a patch rule on a fixed day: the enrolment chain's
/// 2026-01 patch fails it, a 2026-02 one passes.
fn policy() -> Policy {
    let toml = format!(
        "{TEST_POLICY}[rules.security_patch]\nmax_age_days = 30\nunknown = \"warn\"\nreference = \"2026-03-01\"\n"
    );
    Policy::parse(&toml, PolicyFormat::Toml).unwrap()
}

/// A collector trusting `root` that asks for a fresh chain once a pin is
/// `reattest_after` old.
fn collector(root: &TestRoot, reattest_after: Duration) -> RunningCollector {
    collector_on(root, reattest_after, config())
}

/// [`collector`] with `base`'s database.
fn collector_on(
    root: &TestRoot,
    reattest_after: Duration,
    base: CollectorConfig,
) -> RunningCollector {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("roots.pem");
    root.write_pem(&pem);
    spawn_local(CollectorConfig {
        policy: policy(),
        attestation: AttestationConfig {
            roots: Some(roots_from_pem_file(&pem).unwrap()),
            ..AttestationConfig::default()
        },
        reattest_after,
        ..base
    })
    .unwrap()
}

/// A device enrolled with a chain of `facts` (their challenge the code's).
fn enrol_attested(c: &RunningCollector, root: &TestRoot, facts: Facts) -> Device {
    let signer = SoftwareSigner::ephemeral().unwrap();
    let code = issue_code(c);
    let facts = Facts {
        challenge: code_challenge(&code),
        ..facts
    };
    let chain = root.chain(&point_of(&signer), facts.der());
    Device::enrol_with_chain(c, signer, &code, &chain)
}

/// A compliant-looking report answering the device's nonce, carrying `chain`.
fn report(d: &Device, chain: Vec<String>) -> String {
    let now = OffsetDateTime::now_utc();
    let posture = posture(Shape::Compliant);
    let verdict = evaluate(&posture, &policy(), now);
    let mut claims = Claims::new(d.nonce.clone(), &d.device_id(), posture, verdict, now).unwrap();
    claims.key_attestation = chain;
    sign(&claims, &d.signer).unwrap()
}

/// `facts` as a fresh chain for the device's next report.
fn fresh(root: &TestRoot, d: &Device, facts: Facts) -> Vec<String> {
    root.fresh_chain(&Facts {
        challenge: report_challenge(d.nonce.as_str(), &d.signer),
        ..facts
    })
}

/// Sends a report carrying `chain`; it must be accepted.
fn deliver(c: &RunningCollector, d: &mut Device, chain: Vec<String>) -> ReportAck {
    let r = d.send(c, &report(d, chain));
    accepted(d, &r)
}

fn accepted(d: &mut Device, r: &agent_core::transport::HttpResponse) -> ReportAck {
    assert_eq!(r.status, 201, "{r:?}");
    let ack: ReportAck = serde_json::from_slice(&r.body).unwrap();
    d.nonce = ack.nonce.clone();
    ack
}

fn finding(ack: &ReportAck, rule: RuleId) -> &agent_core::policy::Finding {
    ack.verdict
        .findings
        .iter()
        .find(|f| f.rule == rule)
        .unwrap()
}

fn pin_of(c: &RunningCollector, id: &str) -> AttestationPin {
    let row = c.collector().fleet_summary(None).unwrap();
    let row = row
        .devices
        .iter()
        .find(|d| d.device_id.as_str() == id)
        .unwrap();
    row.attestation_pin.clone().unwrap()
}

/// The device view as an admin client reads it, over HTTP.
fn device_view(c: &RunningCollector, id: &str) -> serde_json::Value {
    let r = http()
        .send(
            HttpRequest::get(format!("{}/v1/fleet/devices/{id}", c.url()))
                .with_header("authorization", &format!("Bearer {}", c.admin_token())),
        )
        .unwrap();
    assert_documented("get", paths::FLEET_DEVICE, r.status);
    assert_eq!(r.status, 200, "{r:?}");
    serde_json::from_slice(&r.body).unwrap()
}

fn challenge(c: &RunningCollector, d: &Device) -> ChallengeResponse {
    let r = post(
        c.url(),
        paths::CHALLENGE,
        content_types::JWT,
        d.request_token(RequestPurpose::Challenge, None)
            .into_bytes(),
    );
    assert_eq!(r.status, 200, "{r:?}");
    serde_json::from_slice(&r.body).unwrap()
}

#[test]
fn a_newer_fresh_chain_moves_the_pin_up_and_its_patch_level_wins() {
    let root = TestRoot::new();
    let c = collector(&root, Duration::ZERO);
    let mut d = enrol_attested(&c, &root, Facts::new(TEE, &[]));
    let enrolled = pin_of(&c, &d.id);
    assert_eq!(enrolled.state, PinState::Intact);
    assert!(enrolled.breaks.is_empty());

    // Judged on the pin: the attested 2026-01 patch fails, and the
    // collector asks for a fresh chain.
    let ack = deliver(&c, &mut d, Vec::new());
    assert!(ack.key_attestation_requested);
    let patch = finding(&ack, RuleId::SecurityPatch);
    assert_eq!(patch.outcome, Outcome::Fail);
    assert!(patch.observed.contains("2026-01-01"), "{}", patch.observed);

    let newer = Facts {
        os_patch_level: 202602,
        vendor_patch_level: 20260205,
        boot_patch_level: 20260201,
        level: STRONGBOX,
        ..Facts::new(TEE, &[])
    };
    let chain = fresh(&root, &d, newer);
    let ack = deliver(&c, &mut d, chain);
    let patch = finding(&ack, RuleId::SecurityPatch);
    assert_eq!(patch.outcome, Outcome::Pass, "{patch:?}");
    assert!(patch.observed.contains("2026-02-01"), "{}", patch.observed);
    let detail = c.collector().device_detail(&d.id, None).unwrap().unwrap();
    let fact = detail
        .device
        .facts
        .iter()
        .find(|f| f.rule == RuleId::SecurityPatch)
        .unwrap();
    assert_eq!(fact.provenance, FactProvenance::Hardware);
    assert_eq!(fact.outcome, Outcome::Pass);
    let pinned = detail.device.key_attestation.unwrap();
    assert_eq!(pinned.os_patch_level, Some(202602));
    assert_eq!(pinned.vendor_patch_level, Some(20260205));
    assert_eq!(pinned.boot_patch_level, Some(20260201));
    assert_eq!(
        pinned.security_level,
        agent_core::protocol::AttestedSecurityLevel::Strongbox
    );
    let pin = detail.device.attestation_pin.unwrap();
    assert_eq!(pin.state, PinState::Intact);
    assert!(pin.pinned_at >= enrolled.pinned_at);
    assert_eq!(pin.pinned_at, pinned.attested_at);

    // The raised pin is the new floor: the enrolment's values are now a downgrade.
    let chain = fresh(&root, &d, Facts::new(STRONGBOX, &[]));
    let r = d.send(&c, &report(&d, chain));
    let p = assert_problem(&r, 403, "attestation-downgrade");
    assert!(
        p.detail
            .unwrap()
            .contains("os_patch_level: pinned 202602, seen 202601"),
        "{r:?}"
    );
}

#[test]
fn each_downgrade_is_refused_with_its_own_detail_and_the_views_show_the_break() {
    let root = TestRoot::new();
    let c = collector(&root, Duration::from_secs(7 * 24 * 3600));
    let base = || Facts {
        os_patch_level: 202602,
        ..Facts::new(STRONGBOX, &[])
    };
    let cases: [(&str, Facts, &str, &str); 4] = [
        (
            "os_patch_level",
            Facts {
                os_patch_level: 202601,
                ..base()
            },
            "202602",
            "202601",
        ),
        (
            "verified_boot_key",
            Facts {
                boot_key: vec![0x44; 32],
                ..base()
            },
            &"11".repeat(32),
            &"44".repeat(32),
        ),
        (
            "security_level",
            Facts {
                level: TEE,
                ..base()
            },
            "strongbox",
            "tee",
        ),
        (
            "os_version",
            Facts {
                os_version: 140000,
                ..base()
            },
            "150000",
            "140000",
        ),
    ];
    for (field, facts, pinned, seen) in cases {
        let mut d = enrol_attested(&c, &root, base());
        let stored = c.collector().report_count().unwrap();
        let chain = fresh(&root, &d, facts);
        let r = d.send(&c, &report(&d, chain));
        let p = assert_problem(&r, 403, "attestation-downgrade");
        let detail = p.detail.unwrap();
        assert!(
            detail.contains(&format!("{field}: pinned {pinned}, seen {seen}")),
            "{field}: {detail}"
        );
        assert_eq!(detail.matches("pinned").count(), 1, "{detail}");
        assert_eq!(c.collector().report_count().unwrap(), stored, "not stored");

        let pin = pin_of(&c, &d.id);
        assert_eq!(pin.state, PinState::Broken, "{field}");
        let b = &pin.breaks[0];
        assert_eq!(
            (b.field.as_str(), b.pinned.as_str(), b.seen.as_str()),
            (field, pinned, seen)
        );
        let view = device_view(&c, &d.id);
        let shown = &view["device"]["attestation_pin"];
        assert_eq!(shown["state"], "broken", "{view}");
        assert_eq!(shown["breaks"][0]["field"], field);
        assert_eq!(shown["breaks"][0]["pinned"], pinned);
        assert_eq!(shown["breaks"][0]["seen"], seen);
        // The pin itself still holds what was pinned.
        assert_eq!(view["device"]["key_attestation"]["os_patch_level"], 202602);

        // Later reports are kept, non-compliant until the device enrols
        // again, and no more chains are asked for.
        let ack = deliver(&c, &mut d, Vec::new());
        assert_eq!(ack.verdict.compliance, Compliance::NonCompliant);
        assert_eq!(finding(&ack, RuleId::AttestationPin).outcome, Outcome::Fail);
        assert!(!ack.key_attestation_requested);
        assert!(!challenge(&c, &d).key_attestation_requested);
        let fleet = c.collector().fleet_summary(None).unwrap();
        let row = fleet
            .devices
            .iter()
            .find(|r| r.device_id.as_str() == d.id)
            .unwrap();
        assert_eq!(row.compliance, Some(Compliance::NonCompliant));
    }
    // A device never re-attested keeps an intact pin.
    let untouched = enrol_attested(&c, &root, base());
    assert_eq!(pin_of(&c, &untouched.id).state, PinState::Intact);
}

#[test]
fn a_fresh_chain_for_another_challenge_is_refused_with_its_reason() {
    let root = TestRoot::new();
    let c = collector(&root, Duration::ZERO);
    let mut d = enrol_attested(&c, &root, Facts::new(TEE, &[]));
    let stored = c.collector().report_count().unwrap();
    // Made for another nonce: a replayed chain.
    let stale = root.fresh_chain(&Facts {
        os_patch_level: 202602,
        ..Facts::new(TEE, &report_challenge("another-nonce-0001", &d.signer))
    });
    let r = d.send(&c, &report(&d, stale));
    let p = assert_problem(&r, 403, "key-attestation-rejected");
    let detail = p.detail.unwrap();
    assert!(
        detail.contains("fresh key attestation") && detail.contains("challenge"),
        "{detail}"
    );
    // A chain of the device key itself, not a throwaway one, with the
    // enrolment's challenge: refused as well.
    let enrolment = root.chain(&point_of(&d.signer), description(TEE, &[0; 32]));
    let r = d.send(&c, &report(&d, enrolment));
    assert_problem(&r, 403, "key-attestation-rejected");
    // A fresh chain with ID attestation: refused, so no device identifier
    // reaches the stored token; the detail names the field, not its value.
    let imei = fresh(
        &root,
        &d,
        Facts {
            imei: Some("358240051111110".into()),
            ..Facts::new(TEE, &[])
        },
    );
    let r = d.send(&c, &report(&d, imei));
    let detail = assert_problem(&r, 403, "key-attestation-rejected")
        .detail
        .unwrap();
    assert!(detail.contains("attestationIdImei"), "{detail}");
    assert!(!detail.contains("358240051111110"), "{detail}");
    // Nothing stored, the pin untouched; the report without a chain goes.
    assert_eq!(c.collector().report_count().unwrap(), stored);
    assert_eq!(pin_of(&c, &d.id).state, PinState::Intact);
    deliver(&c, &mut d, Vec::new());
}

#[test]
fn the_collector_asks_for_a_fresh_chain_only_once_the_pin_is_older_than_its_interval() {
    let root = TestRoot::new();
    // A week: a pin set at enrolment just now is not due.
    let week = collector(&root, Duration::from_secs(7 * 24 * 3600));
    let mut d = enrol_attested(&week, &root, Facts::new(TEE, &[]));
    let ack = deliver(&week, &mut d, Vec::new());
    assert!(!ack.key_attestation_requested);
    assert!(!challenge(&week, &d).key_attestation_requested);
    // No interval: every pin is due at once, in acks and challenge answers.
    let always = collector(&root, Duration::ZERO);
    let mut d = enrol_attested(&always, &root, Facts::new(TEE, &[]));
    assert!(challenge(&always, &d).key_attestation_requested);
    d.nonce = challenge(&always, &d).nonce;
    let ack = deliver(&always, &mut d, Vec::new());
    assert!(ack.key_attestation_requested);
    // The flag is left out when false, and a device without a pin is never asked.
    let mut plain = Device::enrol(&always);
    let r = plain.send(&always, &report(&plain, Vec::new()));
    assert!(!String::from_utf8_lossy(&r.body).contains("key_attestation_requested"));
    let ack = accepted(&mut plain, &r);
    assert!(!ack.key_attestation_requested);
    // Its reports' chains are ignored: there is no pin to hold them against.
    let chain = fresh(&root, &plain, Facts::new(TEE, &[]));
    deliver(&always, &mut plain, chain);
}

#[test]
fn a_pin_broken_through_one_collector_holds_on_the_others() {
    // Several collector processes share a PostgreSQL database; on SQLite
    // there is one, and the test above covers it.
    let base = config();
    let Some(url) = base.postgres.clone() else {
        eprintln!("no POSTURE_TEST_POSTGRES_URL: one collector per SQLite file, nothing to share");
        return;
    };
    let root = TestRoot::new();
    let week = Duration::from_secs(7 * 24 * 3600);
    let a = collector_on(&root, week, base);
    let b = collector_on(
        &root,
        week,
        CollectorConfig {
            postgres: Some(url),
            ..config()
        },
    );
    let facts = || Facts {
        os_patch_level: 202602,
        ..Facts::new(STRONGBOX, &[])
    };
    let mut d = enrol_attested(&a, &root, facts());
    // B has now seen (and cached) the device with its pin intact.
    let ack = deliver(&b, &mut d, Vec::new());
    assert_eq!(ack.verdict.compliance, Compliance::Compliant, "{ack:?}");
    let chain = fresh(
        &root,
        &d,
        Facts {
            os_patch_level: 202601,
            ..facts()
        },
    );
    let r = d.send(&a, &report(&d, chain));
    assert_problem(&r, 403, "attestation-downgrade");
    // The break reached B through the database, not through A's memory.
    let ack = deliver(&b, &mut d, Vec::new());
    assert_eq!(ack.verdict.compliance, Compliance::NonCompliant, "{ack:?}");
    assert_eq!(finding(&ack, RuleId::AttestationPin).outcome, Outcome::Fail);
}
