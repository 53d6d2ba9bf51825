//! The attestation policy at `POST /v1/enrol`: each broken rule is a 403
//! key-attestation-rejected that names the rule.

use agent_core::keys::{DeviceSigner, SoftwareSigner};
use agent_core::protocol::{content_types, paths};
use posture_collector::{BootKey, MinSecurityLevel, RunningCollector};

use crate::chains::*;
use crate::common::*;

/// Enrols a fresh key whose chain attests `facts` (challenge set here).
fn enrol_response(
    c: &RunningCollector,
    root: &TestRoot,
    facts: impl FnOnce(&mut Facts),
) -> agent_core::transport::HttpResponse {
    let signer = SoftwareSigner::ephemeral().unwrap();
    let code = issue_code(c);
    let mut f = Facts::new(TEE, &code_challenge(&code));
    facts(&mut f);
    let chain = root.chain(&point_of(&signer), f.der());
    let body = serde_json::to_vec(&serde_json::json!({
        "code": code, "jwk": signer.public_jwk().unwrap(), "key_attestation": chain,
        "platform": "android", "agent_version": "0.1.0"
    }))
    .unwrap();
    post(c.url(), paths::ENROL, content_types::JSON, body)
}

fn enrol_with(c: &RunningCollector, root: &TestRoot, facts: impl FnOnce(&mut Facts)) -> u16 {
    enrol_response(c, root, facts).status
}

fn refused_by(c: &RunningCollector, root: &TestRoot, rule: &str, facts: impl FnOnce(&mut Facts)) {
    let r = enrol_response(c, root, facts);
    let p = assert_problem(&r, 403, "key-attestation-rejected");
    let detail = p.detail.unwrap_or_default();
    assert!(
        detail.contains(&format!("attestation policy rule {rule}")),
        "{detail}"
    );
}

#[test]
fn each_rule_refuses_with_its_name_and_passing_chains_enrol() {
    let root = TestRoot::new();
    let graphene_like = [0x44u8; 32];
    let c = start_with(&root, |a| {
        a.min_security_level = Some(MinSecurityLevel::Strongbox);
        a.require_locked_bootloader = true;
        a.allowed_apps = vec![posture_collector::AllowedApp {
            package: APP_PACKAGE.into(),
            signing_cert_sha256: vec!["33".repeat(32)],
        }];
        a.verified_boot_keys = vec![BootKey {
            sha256: "44".repeat(32),
            name: None,
        }];
    });
    assert_eq!(enrol_with(&c, &root, |f| f.level = STRONGBOX), 201);
    refused_by(&c, &root, "min_security_level", |_| {});
    refused_by(&c, &root, "require_locked_bootloader", |f| {
        f.level = STRONGBOX;
        f.locked = false;
    });
    refused_by(&c, &root, "require_locked_bootloader", |f| {
        f.level = STRONGBOX;
        f.boot_state = UNVERIFIED;
    });
    refused_by(&c, &root, "verified_boot_keys", |f| {
        f.level = STRONGBOX;
        f.boot_state = SELF_SIGNED;
    });
    assert_eq!(
        enrol_with(&c, &root, |f| {
            f.level = STRONGBOX;
            f.boot_state = SELF_SIGNED;
            f.boot_key = graphene_like.to_vec();
        }),
        201
    );
    refused_by(&c, &root, "allowed_apps", |f| {
        f.level = STRONGBOX;
        f.package = "org.example.other".into();
    });
    refused_by(&c, &root, "allowed_apps", |f| {
        f.level = STRONGBOX;
        f.signers = vec![vec![0x55; 32]];
    });
    assert_eq!(c.collector().device_count().unwrap(), 2);
}
