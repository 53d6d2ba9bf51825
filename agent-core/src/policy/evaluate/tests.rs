use time::macros::{date, datetime};

use super::*;
use crate::policy::{Grace, OsMinimum, Rules};
use crate::posture::{
    HardwareKeyStore, IndicatorKind, IntegrityIndicator, Posture, SecurityPatch, StorageEncryption,
};

const NOW: OffsetDateTime = datetime!(2026-11-22 12:00 UTC);

fn android() -> Posture {
    let mut p = Posture::unknown(Platform::Android, "not read", NOW);
    p.os.id = Fact::observed("android".into(), "Build");
    p.os.version = Fact::observed("14".into(), "Build.VERSION.RELEASE");
    p.security_patch = Fact::observed(
        SecurityPatch(date!(2026 - 11 - 10)),
        "Build.VERSION.SECURITY_PATCH",
    );
    p.storage_encryption = Fact::observed(
        StorageEncryption::Encrypted {
            method: "file-based".into(),
        },
        "DPM",
    );
    p.screen_lock = Fact::observed(ScreenLock::Set, "KeyguardManager");
    p.developer_mode = Fact::observed(false, "Settings.Global");
    p.usb_debugging = Fact::observed(false, "Settings.Global");
    p.integrity = vec![IntegrityIndicator {
        name: "su_binary".into(),
        kind: IndicatorKind::Heuristic,
        tripped: Fact::observed(false, "stat"),
    }];
    p.hardware_key_store = Fact::observed(HardwareKeyStore::Tee, "Keystore");
    p
}

fn finding(v: &Verdict, rule: RuleId) -> &Finding {
    v.findings.iter().find(|f| f.rule == rule).unwrap()
}

fn no_grace() -> Policy {
    let mut p = Policy::default_policy();
    p.grace = None;
    p
}

#[test]
fn compliant_android_passes_every_rule() {
    let v = evaluate(&android(), &Policy::default_policy(), NOW);
    assert_eq!(v.compliance, Compliance::Compliant, "{v:#?}");
    assert_eq!(v.findings.len(), 7);
    assert!(v.findings.iter().all(|f| f.outcome == Outcome::Pass));
    assert_eq!(v.actionable().count(), 0);
    assert_eq!(
        v.policy,
        PolicyRef {
            name: "default".into(),
            revision: 1
        }
    );
}

#[test]
fn os_version_lines() {
    // (platform, os id, version, outcome)
    let cases: &[(Platform, &str, &str, Outcome)] = &[
        (Platform::Android, "android", "14", Outcome::Pass),
        (Platform::Android, "android", "13", Outcome::Pass),
        (Platform::Android, "android", "12", Outcome::Fail),
        (Platform::Android, "android", "16", Outcome::Pass),
        (Platform::Ios, "ios", "18.7", Outcome::Pass),
        (Platform::Ios, "ios", "18.6.2", Outcome::Fail),
        (Platform::Ios, "ios", "26.0.1", Outcome::Fail),
        (Platform::Ios, "ios", "26.1", Outcome::Pass),
        (Platform::Ios, "ios", "27.0", Outcome::Pass),
        (Platform::Ios, "ios", "17.6.1", Outcome::Fail),
        (
            Platform::Windows,
            "windows",
            "10.0.26100.7171",
            Outcome::Pass,
        ),
        (
            Platform::Windows,
            "windows",
            "10.0.26100.4317",
            Outcome::Fail,
        ),
        (
            Platform::Windows,
            "windows",
            "10.0.22631.4317",
            Outcome::Fail,
        ),
        (
            Platform::Windows,
            "windows",
            "10.0.19045.6456",
            Outcome::Fail,
        ),
        (Platform::Macos, "macos", "15.7.1", Outcome::Pass),
        (Platform::Macos, "macos", "14.8", Outcome::Fail),
        (Platform::Linux, "debian", "12", Outcome::Pass),
        (Platform::Linux, "debian", "12 (bookworm)", Outcome::Pass),
        (Platform::Linux, "debian", "11", Outcome::Fail),
        (Platform::Linux, "ubuntu", "22.04", Outcome::Pass),
        (Platform::Linux, "ubuntu", "23.10", Outcome::Fail),
        (Platform::Linux, "ubuntu", "20.04", Outcome::Fail),
        (Platform::Linux, "ubuntu", "24.04", Outcome::Pass),
        // A distribution the policy does not list: "unknown" says warn.
        (Platform::Linux, "arch", "20261101", Outcome::Warn),
    ];
    for (platform, id, version, outcome) in cases {
        let mut p = android();
        p.platform = *platform;
        p.os.id = Fact::observed((*id).into(), "test");
        p.os.name = Fact::observed("Test OS".into(), "test");
        p.os.version = Fact::observed((*version).into(), "test");
        let v = evaluate(&p, &no_grace(), NOW);
        let f = finding(&v, RuleId::OsVersion);
        assert_eq!(f.outcome, *outcome, "{platform} {id} {version}: {f:#?}");
        if *outcome == Outcome::Fail {
            let fix = f.remediation.as_deref().unwrap();
            assert!(fix.contains(version), "{fix}");
            assert!(fix.contains("or newer"), "{fix}");
        }
    }
}

#[test]
fn os_version_unknown_and_unparsable() {
    let mut p = android();
    p.os.version = Fact::unknown("Build.VERSION.RELEASE unreadable");
    let f = finding(&evaluate(&p, &no_grace(), NOW), RuleId::OsVersion).clone();
    assert_eq!(f.outcome, Outcome::Warn);
    assert!(f.observed.contains("unreadable"));
    assert!(f.remediation.unwrap().contains("could not check"));
    p.os.version = Fact::observed("Tiramisu".into(), "test");
    assert_eq!(
        finding(&evaluate(&p, &no_grace(), NOW), RuleId::OsVersion).outcome,
        Outcome::Warn
    );
}

#[test]
fn security_patch_age() {
    let cases = [
        (date!(2026 - 11 - 08), Outcome::Pass), // exactly 14 days before NOW
        (date!(2026 - 11 - 05), Outcome::Fail), // 17 days
        (date!(2026 - 03 - 05), Outcome::Fail),
        (date!(2026 - 11 - 22), Outcome::Pass),
    ];
    for (patch, outcome) in cases {
        let mut p = android();
        p.security_patch = Fact::observed(SecurityPatch(patch), "test");
        let mut policy = no_grace();
        policy.rules.security_patch.as_mut().unwrap().reference = None;
        let f = finding(&evaluate(&p, &policy, NOW), RuleId::SecurityPatch).clone();
        assert_eq!(f.outcome, outcome, "{patch}");
        if outcome == Outcome::Fail {
            assert_eq!(
                f.remediation.unwrap(),
                format!(
                    "Your security patch is from {patch}; the trust needs 2026-11-08 or newer. Open Settings → System → Software update (on Samsung: Settings → Software update) and install every update offered."
                )
            );
        }
    }
}

#[test]
fn security_patch_not_applicable_off_android() {
    let mut p = android();
    p.platform = Platform::Linux;
    p.security_patch = Fact::unknown("Linux has no patch level");
    let f = finding(&evaluate(&p, &no_grace(), NOW), RuleId::SecurityPatch).clone();
    assert_eq!(f.outcome, Outcome::NotApplicable);
}

#[test]
fn grace_turns_fresh_failure_into_warning_with_deadline() {
    let mut p = android();
    // 2026-11-05 + 14 days max age: failing since 2026-11-20; 14 days grace → 2026-12-04.
    p.security_patch = Fact::observed(SecurityPatch(date!(2026 - 11 - 05)), "test");
    let mut policy = Policy::default_policy();
    policy.grace = Some(Grace { days: 14 });
    let f = finding(&evaluate(&p, &policy, NOW), RuleId::SecurityPatch).clone();
    assert_eq!(f.outcome, Outcome::Warn);
    assert_eq!(f.deadline, Some(date!(2026 - 12 - 04)));
    assert!(
        f.remediation
            .unwrap()
            .ends_with("Please do this by 2026-12-04.")
    );
    // After the deadline it fails.
    let later = datetime!(2026-12-04 00:00 UTC);
    let f = finding(&evaluate(&p, &policy, later), RuleId::SecurityPatch).clone();
    assert_eq!(f.outcome, Outcome::Fail);
    assert_eq!(f.deadline, None);
    // A failure with no known start gets no grace.
    p.screen_lock = Fact::observed(ScreenLock::NotSet, "test");
    assert_eq!(
        finding(&evaluate(&p, &policy, NOW), RuleId::ScreenLock).outcome,
        Outcome::Fail
    );
    // ... unless the rule says when it took effect.
    policy.rules.screen_lock.as_mut().unwrap().since = Some(date!(2026 - 11 - 20));
    let f = finding(&evaluate(&p, &policy, NOW), RuleId::ScreenLock).clone();
    assert_eq!(
        (f.outcome, f.deadline),
        (Outcome::Warn, Some(date!(2026 - 12 - 04)))
    );
}

#[test]
fn flags_and_unknown_outcomes() {
    type Edit = fn(&mut Posture);
    let cases: &[(&str, Edit, RuleId, Outcome)] = &[
        (
            "no encryption",
            |p| p.storage_encryption = Fact::observed(StorageEncryption::NotEncrypted, "t"),
            RuleId::StorageEncryption,
            Outcome::Fail,
        ),
        (
            "encryption unknown",
            |p| p.storage_encryption = Fact::unknown("r"),
            RuleId::StorageEncryption,
            Outcome::Warn,
        ),
        (
            "no lock",
            |p| p.screen_lock = Fact::observed(ScreenLock::NotSet, "t"),
            RuleId::ScreenLock,
            Outcome::Fail,
        ),
        (
            "lock unknown",
            |p| p.screen_lock = Fact::unknown("r"),
            RuleId::ScreenLock,
            Outcome::Warn,
        ),
        (
            "dev mode on",
            |p| p.developer_mode = Fact::observed(true, "t"),
            RuleId::DeveloperMode,
            Outcome::Fail,
        ),
        (
            "dev mode unknown",
            |p| p.developer_mode = Fact::unknown("r"),
            RuleId::DeveloperMode,
            Outcome::Pass,
        ),
        (
            "adb on",
            |p| p.usb_debugging = Fact::observed(true, "t"),
            RuleId::UsbDebugging,
            Outcome::Fail,
        ),
        (
            "adb unknown",
            |p| p.usb_debugging = Fact::unknown("r"),
            RuleId::UsbDebugging,
            Outcome::Pass,
        ),
        (
            "su found",
            |p| p.integrity[0].tripped = Fact::observed(true, "t"),
            RuleId::Integrity,
            Outcome::Fail,
        ),
        (
            "su unknown",
            |p| p.integrity[0].tripped = Fact::unknown("r"),
            RuleId::Integrity,
            Outcome::Pass,
        ),
        (
            "linux dev mode",
            |p| {
                p.platform = Platform::Linux;
                p.developer_mode = Fact::unknown("n/a");
            },
            RuleId::DeveloperMode,
            Outcome::NotApplicable,
        ),
    ];
    for (name, edit, rule, outcome) in cases {
        let mut p = android();
        edit(&mut p);
        let v = evaluate(&p, &no_grace(), NOW);
        let f = finding(&v, *rule);
        assert_eq!(f.outcome, *outcome, "{name}: {f:#?}");
        let expected = match outcome {
            Outcome::Fail => Compliance::NonCompliant,
            Outcome::Warn => Compliance::Warning,
            _ => v.compliance,
        };
        assert_eq!(v.compliance, expected, "{name}");
        if matches!(outcome, Outcome::Fail | Outcome::Warn) {
            assert!(
                f.remediation.as_deref().is_some_and(|r| r.len() > 20),
                "{name}"
            );
        } else {
            assert!(f.remediation.is_none(), "{name}");
        }
    }
}

#[cfg(feature = "toml")]
#[test]
fn unknown_can_fail_when_policy_says() {
    let text = r#"
        schema_version = 1
        name = "strict"
        revision = 3
        [rules.screen_lock]
        unknown = "fail"
    "#;
    let policy = Policy::parse(text, crate::policy::PolicyFormat::Toml).unwrap();
    let mut p = android();
    p.screen_lock = Fact::unknown("locksettings unavailable");
    let v = evaluate(&p, &policy, NOW);
    assert_eq!(v.compliance, Compliance::NonCompliant);
    assert_eq!(v.findings.len(), 1);
    assert_eq!(
        v.policy,
        PolicyRef {
            name: "strict".into(),
            revision: 3
        }
    );
}

#[test]
fn empty_policy_is_compliant() {
    let policy = Policy {
        rules: Rules::default(),
        ..Policy::default_policy()
    };
    let v = evaluate(&android(), &policy, NOW);
    assert_eq!(v.compliance, Compliance::Compliant);
    assert!(v.findings.is_empty());
}

#[test]
fn os_minimum_prefers_matching_os_id() {
    let mut policy = no_grace();
    policy.rules.os_version.as_mut().unwrap().minimum = vec![
        OsMinimum {
            platform: Platform::Linux,
            os_id: None,
            versions: vec!["100".into()],
        },
        OsMinimum {
            platform: Platform::Linux,
            os_id: Some("debian".into()),
            versions: vec!["12".into()],
        },
    ];
    let mut p = android();
    p.platform = Platform::Linux;
    p.os.id = Fact::observed("debian".into(), "t");
    p.os.version = Fact::observed("12".into(), "t");
    assert_eq!(
        finding(&evaluate(&p, &policy, NOW), RuleId::OsVersion).outcome,
        Outcome::Pass
    );
    p.os.id = Fact::observed("gentoo".into(), "t");
    assert_eq!(
        finding(&evaluate(&p, &policy, NOW), RuleId::OsVersion).outcome,
        Outcome::Fail
    );
}

#[test]
fn verdict_json_round_trips() {
    let mut p = android();
    p.screen_lock = Fact::observed(ScreenLock::NotSet, "t");
    let v = evaluate(&p, &Policy::default_policy(), NOW);
    let json = serde_json::to_string(&v).unwrap();
    let back: Verdict = serde_json::from_str(&json).unwrap();
    assert_eq!(back, v);
    assert!(json.contains("\"compliance\":\"non_compliant\""), "{json}");
}
