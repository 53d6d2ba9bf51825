use time::macros::{date, datetime};

use super::*;
use crate::policy::{Grace, OsMinimum, Rules};
use crate::posture::{
    HardwareKeyStore, IndicatorKind, IntegrityIndicator, Posture, SecurityPatch, StorageEncryption,
};

const NOW: OffsetDateTime = datetime!(2026-11-22 12:00 UTC);

pub(super) fn android() -> Posture {
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
    p.auto_lock = Fact::observed(AutoLock::After { seconds: 35 }, "Settings.System");
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
    assert_eq!(v.findings.len(), 8);
    assert!(v.findings.iter().all(|f| f.outcome == Outcome::Pass));
    assert_eq!(v.actionable().count(), 0);
    assert_eq!(
        v.policy,
        PolicyRef {
            name: "default".into(),
            revision: 3
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
            .ends_with("Please do this before 2026-12-04.")
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

/// A Linux posture from a captured os-release file, as the probe builds it.
fn linux_from(os_release: &str) -> Posture {
    let r = crate::probe::parse::os_release::parse_os_release(os_release).unwrap();
    let mut p = android();
    p.platform = Platform::Linux;
    p.os.id = Fact::observed(r.id, "/etc/os-release");
    p.os.id_like = r.id_like;
    p.os.name = Fact::observed(r.name, "/etc/os-release");
    p.os.version = match r.version_id {
        Some(v) => Fact::observed(v, "/etc/os-release"),
        None => Fact::unknown("no VERSION_ID"),
    };
    p
}

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/src/probe/parse/fixtures/os-release-{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap()
}

#[test]
fn linux_families_under_the_default_policy() {
    // (fixture, VERSION_ID to substitute, outcome, text the requirement has)
    let cases: &[(&str, Option<&str>, Outcome, &str)] = &[
        (
            "debian-12",
            None,
            Outcome::Pass,
            "Debian GNU/Linux 12 or newer",
        ),
        ("debian-10", None, Outcome::Fail, "12 or newer"),
        ("ubuntu-22.04", None, Outcome::Pass, "22.04 / 24.04"),
        ("fedora-40", None, Outcome::Fail, "43 or newer"),
        (
            "raspbian-8",
            None,
            Outcome::Fail,
            "(the minimum for debian)",
        ),
        (
            "raspbian-8",
            Some("12"),
            Outcome::Pass,
            "(the minimum for debian)",
        ),
        (
            "linuxmint-22",
            None,
            Outcome::Pass,
            "6.0 / 7.0 / 21.0 / 22.0",
        ),
        ("linuxmint-22", Some("20.3"), Outcome::Fail, "21.0"),
        ("centos-7", None, Outcome::Fail, "CentOS Linux 9 or newer"),
        ("centos-stream-9", None, Outcome::Pass, "9 or newer"),
        ("rhel-7.9", None, Outcome::Fail, "8.10 / 9.6 / 10.0"),
        ("rhel-7.9", Some("8.10"), Outcome::Pass, "8.10"),
        ("rocky-9.4", None, Outcome::Fail, "(the minimum for rhel)"),
        (
            "rocky-9.4",
            Some("9.6"),
            Outcome::Pass,
            "(the minimum for rhel)",
        ),
        (
            "almalinux-9.4",
            Some("10.0"),
            Outcome::Pass,
            "(the minimum for rhel)",
        ),
        (
            "almalinux-9.4",
            Some("8.9"),
            Outcome::Fail,
            "(the minimum for rhel)",
        ),
        ("sles-15-sp5", None, Outcome::Fail, "15.6 / 16.0"),
        ("sles-15-sp5", Some("15.6"), Outcome::Pass, "15.6 / 16.0"),
        ("opensuse-leap-15.6", None, Outcome::Fail, "16.0 or newer"),
        ("alpine-3.20", None, Outcome::Fail, "3.22.0 or newer"),
        (
            "alpine-3.20",
            Some("3.23.1"),
            Outcome::Pass,
            "3.22.0 or newer",
        ),
        ("amzn-2", None, Outcome::Fail, "2023 or newer"),
        ("amzn-2023", None, Outcome::Pass, "2023 or newer"),
    ];
    for (file, version, outcome, needle) in cases {
        let mut text = fixture(file);
        if let Some(v) = version {
            let r = crate::probe::parse::os_release::parse_os_release(&text).unwrap();
            let old = r.version_id.unwrap();
            text = text.replace(
                &format!("VERSION_ID=\"{old}\""),
                &format!("VERSION_ID=\"{v}\""),
            );
            text = text.replace(&format!("VERSION_ID={old}\n"), &format!("VERSION_ID={v}\n"));
        }
        let p = linux_from(&text);
        assert_eq!(
            p.os.version.value().map(String::as_str),
            Some(version.unwrap_or_else(|| p.os.version.value().unwrap())),
            "{file}"
        );
        let v = evaluate(&p, &no_grace(), NOW);
        let f = finding(&v, RuleId::OsVersion);
        assert_eq!(f.outcome, *outcome, "{file} {version:?}: {f:#?}");
        let req = f.requirement.as_deref().unwrap();
        assert!(req.contains(needle), "{file}: {req:?} lacks {needle:?}");
    }
}

#[test]
fn id_like_is_followed_in_order_and_own_id_wins() {
    let mut policy = no_grace();
    policy.rules.os_version.as_mut().unwrap().minimum = vec![
        OsMinimum {
            platform: Platform::Linux,
            os_id: Some("b".into()),
            versions: vec!["5".into()],
        },
        OsMinimum {
            platform: Platform::Linux,
            os_id: Some("a".into()),
            versions: vec!["3".into()],
        },
        OsMinimum {
            platform: Platform::Linux,
            os_id: Some("own".into()),
            versions: vec!["1".into()],
        },
    ];
    let mut p = android();
    p.platform = Platform::Linux;
    p.os.id = Fact::observed("derived".into(), "t");
    p.os.id_like = vec!["a".into(), "b".into()];
    p.os.version = Fact::observed("4".into(), "t");
    // ID_LIKE order, not policy order: "a" (needs 3) before "b" (needs 5).
    let f = finding(&evaluate(&p, &policy, NOW), RuleId::OsVersion).clone();
    assert_eq!(f.outcome, Outcome::Pass, "{f:#?}");
    assert!(f.requirement.unwrap().ends_with("(the minimum for a)"));
    p.os.id_like = vec!["b".into(), "a".into()];
    let f = finding(&evaluate(&p, &policy, NOW), RuleId::OsVersion).clone();
    assert_eq!(f.outcome, Outcome::Fail, "{f:#?}");
    // The device's own ID comes before anything it is like.
    p.os.id = Fact::observed("own".into(), "t");
    let f = finding(&evaluate(&p, &policy, NOW), RuleId::OsVersion).clone();
    assert_eq!(f.outcome, Outcome::Pass, "{f:#?}");
    assert!(!f.requirement.unwrap().contains("minimum for"));
    // Nothing matches: the policy's `unknown`, and the reason names the ids.
    p.os.id = Fact::observed("gentoo".into(), "t");
    p.os.id_like = vec!["funtoo".into()];
    let f = finding(&evaluate(&p, &policy, NOW), RuleId::OsVersion).clone();
    assert_eq!(f.outcome, Outcome::Warn);
    assert_eq!(
        f.observed,
        "unknown: the policy sets no minimum version for gentoo or what it is like (funtoo)"
    );
    // An OS that could not be identified says so, not "no minimum".
    p.os.id = Fact::unknown("cannot read /etc/os-release: denied");
    let f = finding(&evaluate(&p, &policy, NOW), RuleId::OsVersion).clone();
    assert_eq!(
        f.observed,
        "unknown: the operating system could not be identified (cannot read /etc/os-release: denied)"
    );
}

#[test]
fn not_applicable_findings_carry_no_requirement_and_no_fix() {
    let mut p = android();
    p.platform = Platform::Linux;
    let v = evaluate(&p, &no_grace(), NOW);
    let na: Vec<&Finding> = v
        .findings
        .iter()
        .filter(|f| f.outcome == Outcome::NotApplicable)
        .collect();
    assert_eq!(na.len(), 3, "{v:#?}");
    for f in na {
        assert_eq!((&f.requirement, &f.remediation), (&None, &None), "{f:#?}");
        assert_eq!(f.observed, "not checked on Linux");
    }
    let json = serde_json::to_value(&v).unwrap();
    let patch = &json["findings"][1];
    assert_eq!(patch["rule"], "security_patch");
    assert!(patch.get("requirement").is_none(), "{patch}");
    // Every applicable finding says what it requires.
    assert!(
        v.findings
            .iter()
            .filter(|f| f.outcome != Outcome::NotApplicable)
            .all(|f| f.requirement.is_some())
    );
}

#[test]
fn unknown_fix_does_not_repeat_the_reason() {
    let mut p = android();
    let reason = "no graphical session (DISPLAY and WAYLAND_DISPLAY are unset)";
    p.screen_lock = Fact::unknown(reason);
    let f = finding(&evaluate(&p, &no_grace(), NOW), RuleId::ScreenLock).clone();
    assert_eq!(f.observed, format!("unknown: {reason}"));
    let fix = f.remediation.unwrap();
    assert!(!fix.contains("DISPLAY"), "{fix}");
    assert_eq!(
        fix,
        "The agent could not check whether a screen lock is set on this Android device. If you think this is wrong, contact IT and quote this finding."
    );
}

#[test]
fn integrity_with_no_indicator_is_unknown() {
    let mut p = android();
    p.integrity.clear();
    let mut policy = no_grace();
    let f = finding(&evaluate(&p, &policy, NOW), RuleId::Integrity).clone();
    assert_eq!(f.outcome, Outcome::Pass, "the default lets unknown pass");
    assert_eq!(f.observed, "unknown: no integrity indicators reported");
    policy.rules.integrity.as_mut().unwrap().unknown = UnknownOutcome::Fail;
    let f = finding(&evaluate(&p, &policy, NOW), RuleId::Integrity).clone();
    assert_eq!(f.outcome, Outcome::Fail);
    // One indicator is "1 indicator".
    let f = finding(&evaluate(&android(), &policy, NOW), RuleId::Integrity).clone();
    assert_eq!(f.observed, "1 indicator checked, not tripped");
}

#[test]
fn dates_are_utc_days_whatever_the_offset() {
    // 2026-11-23 01:00 at +14:00 is 2026-11-22 11:00 UTC.
    let utc = datetime!(2026-11-22 11:00 UTC);
    let kiribati = datetime!(2026-11-23 01:00 +14:00);
    let mut p = android();
    // Patch exactly 14 days before the UTC day: passes on the UTC date,
    // would fail on the local one.
    p.security_patch = Fact::observed(SecurityPatch(date!(2026 - 11 - 08)), "t");
    let a = evaluate(&p, &no_grace(), utc);
    let b = evaluate(&p, &no_grace(), kiribati);
    assert_eq!(a, b);
    assert_eq!(finding(&b, RuleId::SecurityPatch).outcome, Outcome::Pass);
    assert_eq!(b.evaluated_at.offset(), time::UtcOffset::UTC);
}
