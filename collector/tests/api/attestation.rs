//! `POST /v1/enrol` with an Android key attestation chain: verified against
//! the configured roots, the code's hash, the enrolled key and the status
//! list; what it vouches for shown in the fleet view.

use std::fs::File;
use std::path::Path;
use std::time::{Duration, SystemTime};

use agent_core::Platform;
use agent_core::keys::{DeviceSigner, SoftwareSigner};
use agent_core::protocol::{
    AttestedBootState, AttestedSecurityLevel, EnrolResponse, FleetDevice, Provenance,
    content_types, paths,
};
use agent_core::transport::{HttpRequest, Transport};
use posture_collector::{
    AttestationConfig, CollectorConfig, RunningCollector, roots_from_pem_file,
};

use crate::chains::*;
use crate::common::*;

fn body(code: &str, signer: &SoftwareSigner, platform: &str, chain: &[String]) -> Vec<u8> {
    let jwk = signer.public_jwk().unwrap();
    serde_json::to_vec(&serde_json::json!({
        "code": code, "jwk": jwk, "key_attestation": chain,
        "platform": platform, "agent_version": "0.1.0"
    }))
    .unwrap()
}

fn enrol(c: &RunningCollector, body: Vec<u8>) -> agent_core::transport::HttpResponse {
    post(c.url(), paths::ENROL, content_types::JSON, body)
}

fn fleet_row(c: &RunningCollector, device_id: &str) -> FleetDevice {
    let summary = c.collector().fleet_summary(None).unwrap();
    summary
        .devices
        .into_iter()
        .find(|d| d.device_id.as_str() == device_id)
        .unwrap()
}

fn created(r: &agent_core::transport::HttpResponse) -> String {
    assert_eq!(r.status, 201, "{r:?}");
    let e: EnrolResponse = serde_json::from_slice(&r.body).unwrap();
    e.device_id.as_str().to_owned()
}

fn assert_rejected(r: &agent_core::transport::HttpResponse, needle: &str) {
    let p = assert_problem(r, 403, "key-attestation-rejected");
    let detail = p.detail.unwrap_or_default();
    assert!(detail.contains(needle), "{detail:?} lacks {needle:?}");
}

#[test]
fn a_valid_hardware_chain_enrols_and_the_fleet_shows_what_it_vouched_for() {
    let root = TestRoot::new();
    let c = start_with(&root, |_| {});
    let signer = SoftwareSigner::ephemeral().unwrap();
    let code = issue_code(&c);
    let chain = root.device_chain(&signer, &code, TEE);
    let id = created(&enrol(&c, body(&code, &signer, "android", &chain)));
    // A device enrolled without a chain is self-reported.
    let plain = Device::enrol(&c);

    let row = fleet_row(&c, &id);
    assert_eq!(row.provenance, Some(Provenance::Hardware));
    let a = row.key_attestation.unwrap();
    assert_eq!(a.security_level, AttestedSecurityLevel::Tee);
    assert_eq!(a.attestation_version, 300);
    assert_eq!(a.verified_boot_state, Some(AttestedBootState::Verified));
    assert_eq!(a.device_locked, Some(true));
    assert_eq!(a.os_version, Some(150000));
    assert_eq!(a.os_patch_level, Some(202601));
    assert_eq!(a.vendor_patch_level, Some(20260105));
    assert_eq!(a.boot_patch_level, Some(20260105));
    assert_eq!(
        a.verified_boot_key_sha256.as_deref(),
        Some(&*"11".repeat(32))
    );
    assert!(a.attested_at <= time::OffsetDateTime::now_utc());
    let plain = fleet_row(&c, &plain.id);
    assert_eq!(plain.provenance, Some(Provenance::SelfReported));
    assert_eq!(plain.key_attestation, None);

    // The wire names, as an admin client reads them.
    let r = http()
        .send(
            HttpRequest::get(format!("{}{}", c.url(), paths::FLEET))
                .with_header("authorization", &format!("Bearer {}", c.admin_token())),
        )
        .unwrap();
    let fleet: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let device = fleet["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device_id"] == id.as_str())
        .unwrap();
    assert_eq!(device["provenance"], "hardware");
    assert_eq!(device["key_attestation"]["security_level"], "tee");
    assert_eq!(device["key_attestation"]["verified_boot_state"], "verified");
}

#[test]
fn a_chain_made_for_another_code_is_rejected_without_burning_the_code() {
    let root = TestRoot::new();
    let c = start_with(&root, |_| {});
    let signer = SoftwareSigner::ephemeral().unwrap();
    let code = issue_code(&c);
    let chain = root.device_chain(&signer, "AAAA-BBBB-CCCC", TEE);
    assert_rejected(
        &enrol(&c, body(&code, &signer, "android", &chain)),
        "challenge",
    );
    // The code is still good: the right chain enrols with it, typed loosely.
    let chain = root.device_chain(&signer, &code, TEE);
    let typed = code.to_lowercase().replace('-', " ");
    created(&enrol(&c, body(&typed, &signer, "android", &chain)));
}

#[test]
fn a_chain_for_another_key_is_rejected() {
    let root = TestRoot::new();
    let c = start_with(&root, |_| {});
    let signer = SoftwareSigner::ephemeral().unwrap();
    let other = SoftwareSigner::ephemeral().unwrap();
    let code = issue_code(&c);
    let chain = root.device_chain(&other, &code, TEE);
    assert_rejected(
        &enrol(&c, body(&code, &signer, "android", &chain)),
        "not the enrolled key",
    );
    assert_eq!(c.collector().device_count().unwrap(), 0);
}

#[test]
fn a_chain_to_an_untrusted_root_is_rejected() {
    // The default anchors are Google's: a test root is not among them.
    let root = TestRoot::new();
    let c = start();
    let signer = SoftwareSigner::ephemeral().unwrap();
    let code = issue_code(&c);
    let chain = root.device_chain(&signer, &code, TEE);
    assert_rejected(
        &enrol(&c, body(&code, &signer, "android", &chain)),
        "not a trusted attestation root",
    );
    // Another test root is not trusted by a collector given this one.
    let c = start_with(&TestRoot::new(), |_| {});
    let code = issue_code(&c);
    let chain = root.device_chain(&signer, &code, TEE);
    assert_rejected(
        &enrol(&c, body(&code, &signer, "android", &chain)),
        "not a trusted attestation root",
    );
}

#[test]
fn a_malformed_chain_is_rejected_with_its_reason() {
    let root = TestRoot::new();
    let c = start_with(&root, |_| {});
    let signer = SoftwareSigner::ephemeral().unwrap();
    let code = issue_code(&c);
    let not_b64 = vec!["!!!".to_owned(); 3];
    assert_rejected(
        &enrol(&c, body(&code, &signer, "android", &not_b64)),
        "not base64",
    );
    let short = vec!["AAAA".to_owned()];
    assert_rejected(
        &enrol(&c, body(&code, &signer, "android", &short)),
        "1 certificates",
    );
    let huge = vec!["A".repeat(30_000); 2];
    assert_rejected(
        &enrol(&c, body(&code, &signer, "android", &huge)),
        "over 16384 bytes",
    );
}

fn set_mtime(path: &Path, secs_after_epoch: u64) {
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs_after_epoch))
        .unwrap();
}

#[test]
fn a_revoked_serial_in_the_status_file_is_rejected_and_a_bad_rewrite_keeps_the_last_list() {
    let root = TestRoot::new();
    let dir = tempfile::tempdir().unwrap();
    let status = dir.path().join("status.json");
    std::fs::write(&status, r#"{"entries": {}}"#).unwrap();
    set_mtime(&status, 1_000_000);
    let c = start_with(&root, |a| a.status_file = Some(status.clone()));
    let signer = SoftwareSigner::ephemeral().unwrap();
    let code = issue_code(&c);
    created(&enrol(
        &c,
        body(
            &code,
            &signer,
            "android",
            &root.device_chain(&signer, &code, TEE),
        ),
    ));

    // The list now revokes the intermediate: re-read because the file changed.
    std::fs::write(
        &status,
        format!(
            r#"{{"entries": {{"{INTERMEDIATE_SERIAL_HEX}": {{"status": "REVOKED", "reason": "KEY_COMPROMISE"}}}}}}"#
        ),
    )
    .unwrap();
    set_mtime(&status, 2_000_000);
    let signer = SoftwareSigner::ephemeral().unwrap();
    let code = issue_code(&c);
    let chain = root.device_chain(&signer, &code, TEE);
    assert_rejected(
        &enrol(&c, body(&code, &signer, "android", &chain)),
        "REVOKED",
    );

    // A rewrite that does not parse: the last good list still applies.
    std::fs::write(&status, "{ not json").unwrap();
    set_mtime(&status, 3_000_000);
    assert_rejected(
        &enrol(&c, body(&code, &signer, "android", &chain)),
        "REVOKED",
    );
    // And a missing file too.
    std::fs::remove_file(&status).unwrap();
    assert_rejected(
        &enrol(&c, body(&code, &signer, "android", &chain)),
        "REVOKED",
    );
}

#[test]
fn a_status_file_or_roots_file_that_does_not_read_stops_the_collector_from_starting() {
    let dir = tempfile::tempdir().unwrap();
    let status = dir.path().join("status.json");
    std::fs::write(&status, "[]").unwrap();
    // Not the list's shape, and a directory (not a regular file).
    for (path, needle) in [
        (status, "not in Google's format"),
        (dir.path().to_owned(), "not a regular file"),
    ] {
        let err = posture_collector::Collector::open(CollectorConfig {
            attestation: AttestationConfig {
                status_file: Some(path),
                ..AttestationConfig::default()
            },
            ..config()
        })
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("status list") && text.contains(needle),
            "{text}"
        );
    }
    let err = roots_from_pem_file(dir.path()).unwrap_err().to_string();
    assert!(err.contains("not a regular file"), "{err}");
    let no_pem = dir.path().join("roots.pem");
    std::fs::write(&no_pem, "no certificates here").unwrap();
    let err = roots_from_pem_file(&no_pem).unwrap_err().to_string();
    assert!(err.contains("no certificate found"), "{err}");
}

#[test]
fn a_software_chain_is_refused_unless_allowed_and_then_labelled() {
    let root = TestRoot::new();
    let c = start_with(&root, |_| {});
    let signer = SoftwareSigner::ephemeral().unwrap();
    let code = issue_code(&c);
    let chain = root.device_chain(&signer, &code, SOFTWARE);
    assert_rejected(
        &enrol(&c, body(&code, &signer, "android", &chain)),
        "security level SOFTWARE",
    );

    let c = start_with(&root, |a| a.allow_software = true);
    let code = issue_code(&c);
    let chain = root.device_chain(&signer, &code, SOFTWARE);
    let id = created(&enrol(&c, body(&code, &signer, "android", &chain)));
    let row = fleet_row(&c, &id);
    assert_eq!(row.provenance, Some(Provenance::SoftwareAttestation));
    let a = row.key_attestation.unwrap();
    assert_eq!(a.security_level, AttestedSecurityLevel::Software);
    // Software-enforced facts are shown, labelled by the provenance.
    assert_eq!(a.os_patch_level, Some(202601));
}

#[test]
fn a_required_chain_that_is_absent_is_rejected_for_android_only() {
    let root = TestRoot::new();
    let c = start_with(&root, |a| a.required_for = vec![Platform::Android]);
    let signer = SoftwareSigner::ephemeral().unwrap();
    let code = issue_code(&c);
    assert_rejected(
        &enrol(&c, body(&code, &signer, "android", &[])),
        "requires a hardware key attestation",
    );
    // Other platforms enrol as before, self-reported.
    let id = created(&enrol(&c, body(&code, &signer, "linux", &[])));
    assert_eq!(
        fleet_row(&c, &id).provenance,
        Some(Provenance::SelfReported)
    );
    // A valid chain passes the requirement.
    let signer = SoftwareSigner::ephemeral().unwrap();
    let code = issue_code(&c);
    let chain = root.device_chain(&signer, &code, TEE);
    created(&enrol(&c, body(&code, &signer, "android", &chain)));
}

#[test]
fn requiring_attestation_for_a_platform_not_verified_is_a_config_error() {
    let err = posture_collector::Collector::open(CollectorConfig {
        attestation: AttestationConfig {
            required_for: vec![Platform::Linux],
            ..AttestationConfig::default()
        },
        ..config()
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("only for android and ios"),
        "{err}"
    );
    // iOS can be required only with an App ID to check App Attest for.
    let err = posture_collector::Collector::open(CollectorConfig {
        attestation: AttestationConfig {
            required_for: vec![Platform::Ios],
            ..AttestationConfig::default()
        },
        ..config()
    })
    .unwrap_err();
    assert!(err.to_string().contains("--app-attest-app-id"), "{err}");
}

#[test]
fn a_report_whose_patch_level_differs_from_the_attested_one_is_recorded_not_judged() {
    let root = TestRoot::new();
    let c = start_with(&root, |_| {});
    // The common test posture reports security patch 2026-11-05.
    let enrol_with = |patch: u64| {
        let signer = SoftwareSigner::ephemeral().unwrap();
        let code = issue_code(&c);
        let extension = description_with_patch(TEE, &code_challenge(&code), patch);
        let chain = root.chain(&point_of(&signer), extension);
        Device::enrol_with_chain(&c, signer, &code, &chain)
    };
    let mut behind = enrol_with(202601);
    let mut same = enrol_with(202611);
    let mut plain = Device::enrol(&c);
    let verdicts: Vec<_> = [&mut behind, &mut same, &mut plain]
        .into_iter()
        .map(|d| d.check_in(&c, Shape::Compliant).verdict.compliance)
        .collect();
    // Verdicts are not changed by the disagreement.
    assert!(verdicts.iter().all(|v| *v == verdicts[0]), "{verdicts:?}");

    let row = fleet_row(&c, &behind.id);
    assert_eq!(row.attestation_mismatches.len(), 1, "{row:?}");
    let m = &row.attestation_mismatches[0];
    assert_eq!(
        (m.fact.as_str(), m.attested.as_str(), m.reported.as_str()),
        ("os_patch_level", "2026-01", "2026-11")
    );
    assert_eq!(fleet_row(&c, &same.id).attestation_mismatches, vec![]);
    assert_eq!(fleet_row(&c, &plain.id).attestation_mismatches, vec![]);
}
