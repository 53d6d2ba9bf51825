//! Each rule on real Pixel chains (verified under Google's roots at their
//! creation time), and on those chains' facts changed one at a time.

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use posture_attestation::description::VerifiedBootState;
use posture_attestation::{Chain, Options, Verified, Verifier};
use serde_json::Value;
use time::OffsetDateTime;

use super::*;

fn vector(name: &str) -> (Verified, Value) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../attestation/testdata/android-key-attestation");
    let pem = std::fs::read_to_string(dir.join(format!("{name}.pem"))).unwrap();
    let json: String = std::fs::read_to_string(dir.join(format!("{name}.json")))
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let json: Value = serde_json::from_str(&json).unwrap();
    let ms: i128 = json["softwareEnforced"]["creationDateTime"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let at = OffsetDateTime::from_unix_timestamp_nanos(ms * 1_000_000).unwrap();
    let chain = Chain::from_pem(&pem).unwrap();
    let v = Verifier::google()
        .unwrap()
        .verify(&chain, &Options::at(at))
        .unwrap();
    (v, json)
}

/// A locked, verified Pixel 9 Pro (TEE, Android 16).
fn caiman() -> (Verified, Value) {
    vector("caiman_sdk36_TEE_EC_RKP")
}

fn rules(p: AttestationPolicy) -> Rules {
    let mut config = AttestationConfig::default();
    p.apply_to(&mut config);
    Rules::from_config(&config).unwrap()
}

fn signer_hex(json: &Value) -> String {
    let b64 = json["softwareEnforced"]["attestationApplicationId"]["signatures"][0]
        .as_str()
        .unwrap();
    hex(&STANDARD.decode(b64).unwrap())
}

#[test]
fn no_rules_accept_every_verified_chain() {
    let (v, _) = vector("akita_sdk34_TEE_EC_NONE");
    assert_eq!(rules(AttestationPolicy::default()).check(&v), Ok(()));
}

#[test]
fn min_security_level_compares_tee_and_strongbox() {
    let (tee, _) = caiman();
    let (strongbox, _) = vector("akita_sdk34_SB_RSA_NONE");
    let need = |min| {
        rules(AttestationPolicy {
            min_security_level: Some(min),
            ..AttestationPolicy::default()
        })
    };
    assert_eq!(need(MinSecurityLevel::Tee).check(&tee), Ok(()));
    assert_eq!(need(MinSecurityLevel::Strongbox).check(&strongbox), Ok(()));
    let v = need(MinSecurityLevel::Strongbox).check(&tee).unwrap_err();
    assert_eq!(v.rule, "min_security_level");
    assert!(v.detail.contains("TRUSTED_ENVIRONMENT"), "{v}");
    assert!(v.detail.contains("strongbox"), "{v}");
}

#[test]
fn require_locked_bootloader_refuses_the_unlocked_pixel_and_accepts_the_locked_one() {
    let r = rules(AttestationPolicy {
        require_locked_bootloader: true,
        ..AttestationPolicy::default()
    });
    let (unlocked, json) = vector("akita_sdk34_TEE_EC_NONE");
    assert_eq!(
        json["hardwareEnforced"]["rootOfTrust"]["deviceLocked"],
        false
    );
    let v = r.check(&unlocked).unwrap_err();
    assert_eq!(v.rule, "require_locked_bootloader");
    assert!(v.detail.contains("unlocked"), "{v}");
    assert_eq!(r.check(&caiman().0), Ok(()));
}

fn with_boot(mut v: Verified, state: VerifiedBootState, key: [u8; 32]) -> Verified {
    let root = v
        .description
        .hardware_enforced
        .root_of_trust
        .as_mut()
        .unwrap();
    root.verified_boot_state = state;
    root.verified_boot_key = key.to_vec();
    v
}

#[test]
fn a_self_signed_os_needs_its_boot_key_in_the_allowlist() {
    let (v, _) = caiman();
    let self_signed = with_boot(v.clone(), VerifiedBootState::SelfSigned, [0xab; 32]);
    let allowing = |key: &str| {
        rules(AttestationPolicy {
            require_locked_bootloader: true,
            verified_boot_keys: vec![BootKey {
                sha256: key.into(),
                name: Some("test OS".into()),
            }],
            ..AttestationPolicy::default()
        })
    };
    // Upper-case hex in the file matches too.
    assert_eq!(allowing(&"AB".repeat(32)).check(&self_signed), Ok(()));
    let refused = allowing(&"cd".repeat(32)).check(&self_signed).unwrap_err();
    assert_eq!(refused.rule, "verified_boot_keys");
    assert!(refused.detail.contains(&"ab".repeat(32)), "{refused}");
    // Locked but failed or unverified: refused whatever the keys.
    let failed = with_boot(v, VerifiedBootState::Failed, [0xab; 32]);
    let e = allowing(&"ab".repeat(32)).check(&failed).unwrap_err();
    assert_eq!(e.rule, "require_locked_bootloader");
    assert!(e.detail.contains("FAILED"), "{e}");
}

#[test]
fn allowed_apps_match_package_and_every_signer() {
    let (v, json) = caiman();
    let signer = signer_hex(&json);
    let allowing = |package: &str, digest: &str| {
        rules(AttestationPolicy {
            allowed_apps: vec![AllowedApp {
                package: package.into(),
                signing_cert_sha256: vec![digest.into()],
            }],
            ..AttestationPolicy::default()
        })
    };
    assert_eq!(
        allowing("com.google.android.attestation", &signer).check(&v),
        Ok(())
    );
    let e = allowing("org.example.other", &signer)
        .check(&v)
        .unwrap_err();
    assert_eq!(e.rule, "allowed_apps");
    assert!(e.detail.contains("com.google.android.attestation"), "{e}");
    let e = allowing("com.google.android.attestation", &"00".repeat(32))
        .check(&v)
        .unwrap_err();
    assert_eq!(e.rule, "allowed_apps");
    assert!(e.detail.contains(&signer), "{e}");
}

#[test]
fn the_app_identity_ignores_the_version_but_not_the_signer() {
    let (v, _) = caiman();
    let id = app_identity(&v).unwrap();
    let mut updated = v.clone();
    let app = |u: &mut Verified| {
        u.description
            .software_enforced
            .attestation_application_id
            .as_mut()
            .unwrap()
            .clone()
    };
    let mut changed = app(&mut updated);
    changed.packages[0].version += 1;
    updated
        .description
        .software_enforced
        .attestation_application_id = Some(changed.clone());
    assert_eq!(app_identity(&updated).unwrap(), id);
    changed.signature_digests[0][0] ^= 1;
    updated
        .description
        .software_enforced
        .attestation_application_id = Some(changed);
    assert_ne!(app_identity(&updated).unwrap(), id);
}

#[test]
fn the_policy_file_is_strict() {
    let ok = AttestationPolicy::from_json(
        br#"{"required_for": ["android"], "min_security_level": "tee",
             "require_locked_bootloader": true,
             "allowed_apps": [{"package": "org.example.posture",
                               "signing_cert_sha256": ["3333333333333333333333333333333333333333333333333333333333333333"]}],
             "verified_boot_keys": [{"sha256": "0000000000000000000000000000000000000000000000000000000000000000", "name": "x"}]}"#,
    )
    .unwrap();
    assert_eq!(ok.required_for, vec![Platform::Android]);
    let err = |text: &str| AttestationPolicy::from_json(text.as_bytes()).unwrap_err();
    assert!(err(r#"{"min_security_lvl": "tee"}"#).contains("unknown field"));
    assert!(err(r#"{"min_security_level": "software"}"#).contains("unknown variant"));
    assert!(
        err(r#"{"allowed_apps": [{"package": "a", "signing_cert_sha256": []}]}"#)
            .contains("lists no signing_cert_sha256")
    );
    assert!(
        err(r#"{"allowed_apps": [{"package": "a", "signing_cert_sha256": ["abc"]}]}"#)
            .contains("not a SHA-256")
    );
    assert!(
        err(r#"{"verified_boot_keys": [{"sha256": "00"}], "require_locked_bootloader": true}"#)
            .contains("not a SHA-256")
    );
    assert!(
        err(&format!(
            r#"{{"verified_boot_keys": [{{"sha256": "{}"}}]}}"#,
            "0".repeat(64)
        ))
        .contains("only by require_locked_bootloader")
    );
}

#[test]
fn the_shipped_grapheneos_keys_parse_as_a_policy() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/attestation-policy/grapheneos-verified-boot-keys.json");
    let p = AttestationPolicy::from_file(&path).unwrap();
    assert!(p.require_locked_bootloader);
    assert!(
        p.verified_boot_keys.len() >= 20,
        "{}",
        p.verified_boot_keys.len()
    );
    assert!(p.verified_boot_keys.iter().all(|k| k.name.is_some()));
}
