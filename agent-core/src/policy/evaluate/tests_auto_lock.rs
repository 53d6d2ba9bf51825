//! The `auto_lock` rule under the default policy and under small policies.

use time::macros::{date, datetime};

use super::tests::android;
use super::*;
use crate::policy::{AutoLockMaximum, Grace, Rules};

const NOW: OffsetDateTime = datetime!(2026-11-22 12:00 UTC);

fn on(platform: Platform, auto_lock: Fact<AutoLock>) -> Finding {
    let mut p = android();
    p.platform = platform;
    p.auto_lock = auto_lock;
    let v = evaluate(&p, &Policy::default_policy(), NOW);
    v.findings
        .into_iter()
        .find(|f| f.rule == RuleId::AutoLock)
        .unwrap()
}

fn after(seconds: u32) -> Fact<AutoLock> {
    Fact::observed(AutoLock::After { seconds }, "test")
}

#[test]
fn phones_lock_within_five_minutes_and_computers_within_fifteen() {
    // iOS lets no app read Auto-Lock: the default policy leaves it out.
    assert_eq!(
        on(Platform::Ios, after(3600)).outcome,
        Outcome::NotApplicable
    );
    {
        let phone = Platform::Android;
        assert_eq!(on(phone, after(300)).outcome, Outcome::Pass);
        let late = on(phone, after(301));
        // A fresh policy rule has no start: it fails at once, no grace.
        assert_eq!(late.outcome, Outcome::Fail);
        assert_eq!(
            late.requirement.as_deref(),
            Some("an automatic screen lock within 5 minutes")
        );
        assert_eq!(late.observed, "locks after 5 min 1 s");
        assert!(late.remediation.unwrap().contains("5 minutes or less"));
    }
    for computer in [Platform::Linux, Platform::Macos, Platform::Windows] {
        assert_eq!(on(computer, after(900)).outcome, Outcome::Pass);
        assert_eq!(on(computer, after(305)).outcome, Outcome::Pass);
        let late = on(computer, after(1200));
        assert_eq!(late.outcome, Outcome::Fail);
        assert_eq!(late.observed, "locks after 20 min");
        assert!(late.remediation.unwrap().contains("15 minutes or less"));
    }
}

#[test]
fn never_locking_fails_and_unknown_follows_the_rule() {
    let never = on(
        Platform::Linux,
        Fact::observed(AutoLock::Never, "gsettings"),
    );
    assert_eq!(never.outcome, Outcome::Fail);
    assert_eq!(never.observed, "never locks by itself");
    assert!(never.remediation.unwrap().contains("GNOME"));
    // The default policy does not judge iOS, which never reports it.
    let unknown = on(
        Platform::Ios,
        Fact::unknown(crate::probe::IOS_AUTO_LOCK_NOT_READABLE),
    );
    assert_eq!(unknown.outcome, Outcome::NotApplicable);
    assert!(unknown.remediation.is_none());
    // A policy that passes an unknown auto-lock says it could not check.
    let mut policy = Policy::default_policy();
    if let Some(rule) = policy.rules.auto_lock.as_mut() {
        rule.unknown = UnknownOutcome::Pass;
    }
    let mut p = android();
    p.auto_lock = Fact::unknown("SCREEN_OFF_TIMEOUT could not be read");
    let v = evaluate(&p, &policy, NOW);
    let passed = v
        .findings
        .iter()
        .find(|f| f.rule == RuleId::AutoLock)
        .unwrap();
    assert_eq!(passed.outcome, Outcome::Pass);
    assert!(
        passed.observed.starts_with("unknown: SCREEN_OFF_TIMEOUT"),
        "{}",
        passed.observed
    );
    // The default warns on unknown and says what it could not check.
    let policy = Policy::default_policy();
    let mut p = android();
    p.auto_lock = Fact::unknown("SCREEN_OFF_TIMEOUT could not be read");
    let v = evaluate(&p, &policy, NOW);
    let f = v
        .findings
        .iter()
        .find(|f| f.rule == RuleId::AutoLock)
        .unwrap();
    assert_eq!(f.outcome, Outcome::Warn);
    assert_eq!(v.compliance, Compliance::Warning);
    let fix = f.remediation.as_deref().unwrap();
    assert!(
        fix.contains("how soon your screen locks by itself"),
        "{fix}"
    );
    assert!(!fix.contains("SCREEN_OFF_TIMEOUT"), "{fix}");
}

#[test]
fn platforms_without_a_maximum_are_not_checked_and_since_allows_grace() {
    let policy = Policy {
        grace: Some(Grace { days: 14 }),
        rules: Rules {
            auto_lock: Some(AutoLockRule {
                unknown: UnknownOutcome::Fail,
                maximum: vec![AutoLockMaximum {
                    platforms: vec![Platform::Android],
                    seconds: 60,
                }],
                since: Some(date!(2026 - 11 - 20)),
                strategy: None,
                grace_days: None,
            }),
            ..Rules::default()
        },
        ..Policy::default_policy()
    };
    let mut p = android();
    p.auto_lock = after(120);
    let v = evaluate(&p, &policy, NOW);
    assert_eq!(v.findings.len(), 1);
    let f = &v.findings[0];
    assert_eq!(f.outcome, Outcome::Warn);
    assert_eq!(f.deadline, Some(date!(2026 - 12 - 04)));
    assert_eq!(
        f.requirement.as_deref(),
        Some("an automatic screen lock within 1 minute")
    );
    p.platform = Platform::Windows;
    p.auto_lock = Fact::unknown("not read");
    let v = evaluate(&p, &policy, NOW);
    assert_eq!(v.findings[0].outcome, Outcome::NotApplicable);
    assert!(v.findings[0].requirement.is_none());
    assert_eq!(v.compliance, Compliance::Compliant);
}

#[test]
fn the_findings_keep_their_documented_order() {
    let v = evaluate(&android(), &Policy::default_policy(), NOW);
    let rules: Vec<RuleId> = v.findings.iter().map(|f| f.rule).collect();
    assert_eq!(
        rules,
        [
            RuleId::OsVersion,
            RuleId::SecurityPatch,
            RuleId::StorageEncryption,
            RuleId::ScreenLock,
            RuleId::AutoLock,
            RuleId::DeveloperMode,
            RuleId::UsbDebugging,
            RuleId::Integrity,
        ]
    );
}
