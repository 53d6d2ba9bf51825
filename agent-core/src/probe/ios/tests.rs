// The mapping's rules on plain readings, value by value (they were the
// Swift shim's XCTest cases when it mapped in Swift).

use time::macros::datetime;

use super::*;
use crate::policy::{Outcome, Policy, RuleId, evaluate};
use crate::posture::POSTURE_SCHEMA_VERSION;

const AT: OffsetDateTime = datetime!(2026-11-26 09:30 UTC);

fn read(value: &str) -> Reading {
    Reading::Read {
        value: value.into(),
    }
}

/// A phone on iOS 17.6.1 with a passcode set, nothing jailbroken, and an
/// app that does not declare the cydia scheme.
fn phone() -> IosReadings {
    IosReadings {
        system_name: read("iOS"),
        system_version: read("17.6.1"),
        build: read("21G93"),
        kernel: read("23.6.0"),
        device_owner_auth: read("true"),
        device_owner_auth_error: Reading::NotSet,
        secure_enclave_available: read("true"),
        simulator: read("false"),
        jailbreak_paths_found: read(""),
        sandbox_write: read("false"),
        cydia_scheme_declared: read("false"),
        cydia_url_scheme: Reading::NotRead,
    }
}

fn no_passcode() -> IosReadings {
    IosReadings {
        device_owner_auth: read("false"),
        device_owner_auth_error: read("-5"),
        ..phone()
    }
}

fn map(r: IosReadings) -> Posture {
    ios_posture(&r, AT)
}

fn reason<T: std::fmt::Debug>(fact: &Fact<T>) -> &str {
    match fact {
        Fact::Unknown { reason } => reason,
        other => panic!("expected an Unknown fact, got {other:?}"),
    }
}

fn named<'a>(p: &'a Posture, name: &str) -> &'a IntegrityIndicator {
    p.integrity.iter().find(|i| i.name == name).unwrap()
}

#[test]
fn a_phone_with_a_passcode_is_locked_and_encrypted_by_data_protection() {
    let p = map(phone());
    assert_eq!(p.platform, Platform::Ios);
    assert_eq!(
        p.os.version,
        Fact::observed("17.6.1".to_owned(), "UIDevice.current.systemVersion")
    );
    assert_eq!(
        p.os.build,
        Fact::observed("21G93".to_owned(), "sysctl kern.osversion")
    );
    assert_eq!(
        p.os.name,
        Fact::observed("iOS".to_owned(), "UIDevice.current.systemName")
    );
    assert_eq!(p.os.kernel.value().map(String::as_str), Some("23.6.0"));
    assert_eq!(p.screen_lock.value(), Some(&ScreenLock::Set));
    assert_eq!(
        p.storage_encryption.value(),
        Some(&StorageEncryption::Encrypted {
            method: "Data Protection".into()
        })
    );
    // The source must say the encryption is inferred from the passcode.
    assert!(
        p.storage_encryption.provenance().contains("passcode"),
        "{}",
        p.storage_encryption.provenance()
    );
    assert_eq!(
        p.hardware_key_store,
        Fact::observed(
            HardwareKeyStore::SecureEnclave,
            "CryptoKit SecureEnclave.isAvailable"
        )
    );
    // No API gives an app the Auto-Lock setting: unknown, never guessed.
    assert!(reason(&p.auto_lock).starts_with("not readable by a third-party app"));
    assert_eq!(p.schema_version, POSTURE_SCHEMA_VERSION);
    assert_eq!(p.agent_version, crate::AGENT_VERSION);
    assert_eq!(p.collected_at, AT);
}

#[test]
fn no_passcode_means_no_lock_and_no_data_protection() {
    let p = map(no_passcode());
    assert_eq!(p.screen_lock.value(), Some(&ScreenLock::NotSet));
    assert!(p.screen_lock.provenance().contains("passcodeNotSet"));
    assert_eq!(
        p.storage_encryption.value(),
        Some(&StorageEncryption::NotEncrypted)
    );
}

#[test]
fn an_unreadable_passcode_is_unknown_not_guessed() {
    let p = map(IosReadings {
        device_owner_auth: read("false"),
        device_owner_auth_error: read("-1000"),
        ..phone()
    });
    assert!(reason(&p.screen_lock).contains("LAError -1000"));
    assert!(reason(&p.storage_encryption).contains("LAError -1000"));
    let other_domain = map(IosReadings {
        device_owner_auth: read("false"),
        device_owner_auth_error: Reading::Failed {
            error: "NSOSStatusErrorDomain -34018".into(),
        },
        ..phone()
    });
    assert!(reason(&other_domain.screen_lock).contains("-34018"));
    let silent = map(IosReadings {
        device_owner_auth: read("false"),
        device_owner_auth_error: Reading::NotSet,
        ..phone()
    });
    assert!(reason(&silent.screen_lock).contains("without an error"));
    let not_taken = map(IosReadings {
        device_owner_auth: Reading::NotRead,
        ..phone()
    });
    assert!(reason(&not_taken.screen_lock).contains("not read"));
}

#[test]
fn every_jailbreak_indicator_is_a_heuristic_and_an_unchecked_one_is_unknown() {
    let p = map(phone());
    let names: Vec<&str> = p.integrity.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "cydia_app",
            "bash_binary",
            "sshd_binary",
            "apt_directory",
            "write_outside_sandbox",
            "cydia_url_scheme"
        ]
    );
    assert!(
        p.integrity
            .iter()
            .all(|i| i.kind == IndicatorKind::Heuristic)
    );
    assert_eq!(
        named(&p, "cydia_app").tripped,
        Fact::observed(false, "/Applications/Cydia.app exists")
    );
    assert!(reason(&named(&p, "cydia_url_scheme").tripped).contains("LSApplicationQueriesSchemes"));

    let jailbroken = map(IosReadings {
        jailbreak_paths_found: read("/bin/bash\n/etc/apt"),
        sandbox_write: read("true"),
        cydia_scheme_declared: read("true"),
        cydia_url_scheme: read("true"),
        ..phone()
    });
    for name in [
        "bash_binary",
        "apt_directory",
        "write_outside_sandbox",
        "cydia_url_scheme",
    ] {
        assert_eq!(
            named(&jailbroken, name).tripped.value(),
            Some(&true),
            "{name}"
        );
    }
    assert_eq!(
        named(&jailbroken, "cydia_app").tripped.value(),
        Some(&false)
    );
    assert_eq!(
        named(&jailbroken, "write_outside_sandbox")
            .tripped
            .provenance(),
        "write to /private/posture-agent-sandbox-check"
    );

    let failed = map(IosReadings {
        jailbreak_paths_found: Reading::Failed {
            error: "denied".into(),
        },
        sandbox_write: Reading::NotRead,
        cydia_scheme_declared: Reading::NotRead,
        ..phone()
    });
    assert_eq!(failed.integrity.len(), JAILBREAK_PATHS.len());
    assert!(reason(&named(&failed, "sshd_binary").tripped).contains("denied"));
}

#[test]
fn a_simulator_reports_no_phone_facts() {
    let p = map(IosReadings {
        simulator: read("true"),
        ..phone()
    });
    assert!(reason(&p.screen_lock).contains("simulator"));
    assert!(reason(&p.storage_encryption).contains("simulator"));
    assert!(reason(&p.hardware_key_store).contains("simulator"));
    assert_eq!(p.integrity.len(), 1);
    assert!(p.integrity[0].tripped.value().is_none());
}

#[test]
fn without_a_secure_enclave_keys_live_in_software() {
    let p = map(IosReadings {
        secure_enclave_available: read("false"),
        ..phone()
    });
    assert_eq!(p.hardware_key_store.value(), Some(&HardwareKeyStore::None));
    let p = map(IosReadings {
        build: Reading::Failed {
            error: "sysctl: ENOENT".into(),
        },
        ..phone()
    });
    assert!(reason(&p.os.build).contains("ENOENT"));
}

#[test]
fn the_mapped_posture_is_judged_by_the_default_policy() {
    let outcomes = |p: &Posture| {
        let v = evaluate(p, &Policy::default_policy(), AT);
        assert_eq!(v.policy.name, Policy::default_policy().name);
        move |rule: RuleId| {
            v.findings
                .iter()
                .find(|f| f.rule == rule)
                .map(|f| f.outcome)
        }
    };
    let locked = outcomes(&map(phone()));
    assert_eq!(locked(RuleId::ScreenLock), Some(Outcome::Pass));
    assert_eq!(locked(RuleId::StorageEncryption), Some(Outcome::Pass));
    let open = outcomes(&map(no_passcode()));
    assert_eq!(open(RuleId::ScreenLock), Some(Outcome::Fail));
    assert_eq!(open(RuleId::StorageEncryption), Some(Outcome::Fail));
}
