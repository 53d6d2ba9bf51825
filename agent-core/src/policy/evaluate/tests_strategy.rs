//! The four strategies, the default for rules that name none, and grace
//! counted from the failure history.

use time::macros::{date, datetime};

use super::tests::android;
use super::*;
use crate::policy::{FailureHistory, PolicyError, PolicyFormat, Strategy};

const NOW: OffsetDateTime = datetime!(2026-11-22 12:00 UTC);

/// The default policy with every rule following `strategy`.
fn with_strategy(strategy: Strategy, grace_days: Option<u32>) -> Policy {
    let mut p = Policy::default_policy();
    let r = &mut p.rules;
    for rule in [
        r.storage_encryption.as_mut(),
        r.screen_lock.as_mut(),
        r.developer_mode.as_mut(),
        r.usb_debugging.as_mut(),
        r.integrity.as_mut(),
    ]
    .into_iter()
    .flatten()
    {
        rule.strategy = Some(strategy);
        rule.grace_days = grace_days;
    }
    if let Some(rule) = r.security_patch.as_mut() {
        rule.strategy = Some(strategy);
        rule.grace_days = grace_days;
    }
    p
}

fn unencrypted() -> Posture {
    let mut p = android();
    p.storage_encryption = Fact::observed(StorageEncryption::NotEncrypted, "DPM");
    p
}

fn encryption(v: &Verdict) -> &Finding {
    v.findings
        .iter()
        .find(|f| f.rule == RuleId::StorageEncryption)
        .unwrap()
}

#[test]
fn a_rule_without_a_strategy_keeps_the_verdict_it_had_before_strategies() {
    // With grace: warn-then-block, but a failure whose start the posture
    // does not show still fails at once, as before.
    let v = evaluate(&unencrypted(), &Policy::default_policy(), NOW);
    let f = encryption(&v);
    assert_eq!(f.strategy, Some(Strategy::WarnThenBlock));
    assert_eq!(f.outcome, Outcome::Fail);
    assert_eq!(f.deadline, None);
    assert_eq!(f.failing_since, Some(NOW.date()));
    assert_eq!(v.compliance, Compliance::NonCompliant);
    // Even with a history: only a rule that names warn-then-block uses it.
    let mut history = FailureHistory::new();
    history.insert(RuleId::StorageEncryption, NOW - Duration::days(2));
    let v = evaluate_with_history(&unencrypted(), &Policy::default_policy(), NOW, &history);
    assert_eq!(encryption(&v).outcome, Outcome::Fail);
    // Without grace: block.
    let mut no_grace = Policy::default_policy();
    no_grace.grace = None;
    let v = evaluate(&unencrypted(), &no_grace, NOW);
    assert_eq!(encryption(&v).strategy, Some(Strategy::Block));
    // A passing rule names its strategy too.
    let v = evaluate(&android(), &Policy::default_policy(), NOW);
    assert!(
        v.findings
            .iter()
            .all(|f| f.strategy == Some(Strategy::WarnThenBlock)),
        "{v:#?}"
    );
}

#[test]
fn report_only_is_evaluated_but_never_shown_and_never_counts() {
    let v = evaluate(
        &unencrypted(),
        &with_strategy(Strategy::ReportOnly, None),
        NOW,
    );
    let f = encryption(&v);
    assert_eq!(f.outcome, Outcome::Fail, "the organisation still sees it");
    assert_eq!(f.strategy, Some(Strategy::ReportOnly));
    assert!(!f.shown_to_user());
    assert_eq!(v.compliance, Compliance::Compliant, "{v:#?}");
    assert_eq!(v.actionable().count(), 0);
    assert!(v.shown().all(|f| f.rule != RuleId::StorageEncryption));
    // The rules that name no strategy still count and show.
    let mut p = unencrypted();
    p.os.version = Fact::observed("12".into(), "Build");
    let v = evaluate(&p, &with_strategy(Strategy::ReportOnly, None), NOW);
    assert_eq!(v.compliance, Compliance::NonCompliant);
    assert_eq!(
        v.actionable().map(|f| f.rule).collect::<Vec<_>>(),
        [RuleId::OsVersion]
    );
}

#[test]
fn notify_only_warns_and_never_blocks() {
    let policy = with_strategy(Strategy::NotifyOnly, None);
    let v = evaluate(&unencrypted(), &policy, NOW);
    let f = encryption(&v);
    assert_eq!(f.outcome, Outcome::Warn);
    assert_eq!(f.deadline, None, "no block ever starts");
    assert!(f.remediation.as_deref().unwrap().contains("not encrypted"));
    assert_eq!(v.compliance, Compliance::Warning);
    // An unknown the rule would fail on warns too.
    let mut policy = policy;
    if let Some(rule) = policy.rules.storage_encryption.as_mut() {
        rule.unknown = UnknownOutcome::Fail;
    }
    let mut p = android();
    p.storage_encryption = Fact::unknown("DPM unreadable");
    let v = evaluate(&p, &policy, NOW);
    assert_eq!(encryption(&v).outcome, Outcome::Warn);
    assert_eq!(v.compliance, Compliance::Warning);
}

#[test]
fn block_fails_at_once_even_inside_the_policys_grace() {
    // A patch level that aged out two days ago would warn under grace.
    let mut p = android();
    p.security_patch = Fact::observed(
        crate::posture::SecurityPatch(date!(2026 - 11 - 06)),
        "Build",
    );
    let v = evaluate(&p, &Policy::default_policy(), NOW);
    let patch = |v: &Verdict| {
        v.findings
            .iter()
            .find(|f| f.rule == RuleId::SecurityPatch)
            .cloned()
            .unwrap()
    };
    assert_eq!(patch(&v).outcome, Outcome::Warn);
    let v = evaluate(&p, &with_strategy(Strategy::Block, None), NOW);
    let f = patch(&v);
    assert_eq!(f.outcome, Outcome::Fail);
    assert_eq!(f.deadline, None);
    assert_eq!(f.strategy, Some(Strategy::Block));
    assert_eq!(f.failing_since, Some(date!(2026 - 11 - 21)));
    assert_eq!(v.compliance, Compliance::NonCompliant);
}

#[test]
fn warn_then_block_counts_grace_from_the_first_failure() {
    let policy = with_strategy(Strategy::WarnThenBlock, Some(7));
    // No history: this evaluation is the first failure.
    let v = evaluate(&unencrypted(), &policy, NOW);
    let f = encryption(&v);
    assert_eq!(f.outcome, Outcome::Warn);
    assert_eq!(f.deadline, Some(date!(2026 - 11 - 29)));
    assert_eq!(f.failing_since, Some(NOW.date()));
    assert!(
        f.remediation
            .as_deref()
            .unwrap()
            .ends_with("Please do this before 2026-11-29."),
        "{f:#?}"
    );
    assert_eq!(v.compliance, Compliance::Warning);
    // Failing for five days: two days left.
    let mut history = FailureHistory::new();
    history.insert(RuleId::StorageEncryption, NOW - Duration::days(5));
    let v = evaluate_with_history(&unencrypted(), &policy, NOW, &history);
    assert_eq!(encryption(&v).deadline, Some(date!(2026 - 11 - 24)));
    assert_eq!(encryption(&v).failing_since, Some(date!(2026 - 11 - 17)));
    // On the deadline day the block starts.
    history.insert(RuleId::StorageEncryption, NOW - Duration::days(7));
    let v = evaluate_with_history(&unencrypted(), &policy, NOW, &history);
    assert_eq!(encryption(&v).outcome, Outcome::Fail);
    assert_eq!(encryption(&v).deadline, None);
    assert_eq!(v.compliance, Compliance::NonCompliant);
    // Without grace_days of its own, the policy's 14 days.
    let policy = with_strategy(Strategy::WarnThenBlock, None);
    let v = evaluate_with_history(&unencrypted(), &policy, NOW, &history);
    assert_eq!(encryption(&v).deadline, Some(date!(2026 - 11 - 29)));
    // `since` still holds a failure back to the day the rule took effect.
    let mut policy = policy;
    if let Some(rule) = policy.rules.storage_encryption.as_mut() {
        rule.since = Some(date!(2026 - 11 - 20));
    }
    let v = evaluate_with_history(&unencrypted(), &policy, NOW, &history);
    assert_eq!(encryption(&v).deadline, Some(date!(2026 - 12 - 04)));
}

#[test]
fn the_history_keeps_a_failures_start_until_a_pass() {
    let policy = with_strategy(Strategy::WarnThenBlock, Some(7));
    let first = NOW - Duration::days(3);
    let v = evaluate(&unencrypted(), &policy, first);
    let history = FailureHistory::new().after(&v, first);
    assert_eq!(history.since(RuleId::StorageEncryption), Some(first));
    // Still failing: the start stays.
    let v = evaluate_with_history(&unencrypted(), &policy, NOW, &history);
    let history = history.after(&v, NOW);
    assert_eq!(history.since(RuleId::StorageEncryption), Some(first));
    // Unknown: neither a pass nor a failure, the start stays.
    let mut p = android();
    p.storage_encryption = Fact::unknown("DPM unreadable");
    let v = evaluate_with_history(&p, &policy, NOW, &history);
    let history = history.after(&v, NOW);
    assert_eq!(history.since(RuleId::StorageEncryption), Some(first));
    // A pass clears it: the next failure is a fresh one.
    let v = evaluate_with_history(&android(), &policy, NOW, &history);
    let history = history.after(&v, NOW);
    assert_eq!(history.since(RuleId::StorageEncryption), None);
    assert_eq!(history.entries().count(), 0);
}

#[test]
fn strategies_parse_by_their_kolide_names_and_bad_ones_are_refused() {
    let text = r#"
schema_version = 1
name = "strategies"
revision = 1
[rules.storage_encryption]
unknown = "warn"
strategy = "warn-then-block"
grace_days = 7
[rules.screen_lock]
unknown = "warn"
strategy = "notify-only"
[rules.developer_mode]
unknown = "pass"
strategy = "report-only"
[rules.integrity]
unknown = "pass"
strategy = "block"
"#;
    let p = Policy::parse(text, PolicyFormat::Toml).unwrap();
    let enc = p.rules.storage_encryption.as_ref().unwrap();
    assert_eq!(enc.strategy, Some(Strategy::WarnThenBlock));
    assert_eq!(enc.grace_days, Some(7));
    assert!(p.to_json().contains(r#""strategy":"notify-only""#));
    assert_eq!(Policy::parse(&p.to_json(), PolicyFormat::Json).unwrap(), p);

    let refused = |text: &str| match Policy::parse(text, PolicyFormat::Toml) {
        Err(PolicyError::Invalid { field, reason }) => format!("{field}: {reason}"),
        other => panic!("expected a refusal, got {other:?}"),
    };
    let head = "schema_version = 1\nname = \"x\"\nrevision = 1\n";
    let e = refused(&format!(
        "{head}[rules.screen_lock]\nunknown = \"warn\"\nstrategy = \"warn-then-block\"\n"
    ));
    assert!(e.starts_with("rules.screen_lock.strategy: "), "{e}");
    assert!(e.contains("grace_days"), "{e}");
    let e = refused(&format!(
        "{head}[rules.screen_lock]\nunknown = \"warn\"\nstrategy = \"block\"\ngrace_days = 3\n"
    ));
    assert!(e.starts_with("rules.screen_lock.grace_days: "), "{e}");
    let e = refused(&format!(
        "{head}[rules.screen_lock]\nunknown = \"warn\"\nstrategy = \"warn-then-block\"\ngrace_days = 4000\n"
    ));
    assert!(e.contains("ten years"), "{e}");
    let e = Policy::parse(
        &format!("{head}[rules.screen_lock]\nunknown = \"warn\"\nstrategy = \"nag\"\n"),
        PolicyFormat::Toml,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("report-only"), "{e}");
}

#[test]
fn a_stored_verdict_is_shown_in_welsh_as_evaluate_in_gives_it() {
    let policy = with_strategy(Strategy::WarnThenBlock, Some(7));
    let posture = unencrypted();
    let mut history = FailureHistory::new();
    history.insert(RuleId::StorageEncryption, NOW - Duration::days(3));
    let stored = evaluate_with_history(&posture, &policy, NOW, &history);
    let welsh = evaluate_with_history_in(&posture, &policy, NOW, &history, Locale::Cy);
    assert_ne!(stored, welsh, "the Welsh verdict has Welsh words");
    assert_eq!(localise(&stored, &posture, &policy, Locale::Cy), welsh);
    assert_eq!(localise(&stored, &posture, &policy, Locale::En), stored);

    // A finding the core does not reach from these facts keeps its words:
    // one with other text, and one a collector added.
    let mut other = stored.clone();
    other.findings[0].remediation = Some("Ask the service desk.".into());
    let added = Finding {
        rule: RuleId::Assurance,
        outcome: Outcome::Fail,
        observed: "assurance basic".into(),
        requirement: Some("assurance strong".into()),
        remediation: Some("Update the app.".into()),
        deadline: None,
        strategy: None,
        failing_since: None,
    };
    other.findings.push(added.clone());
    let shown = localise(&other, &posture, &policy, Locale::Cy);
    assert_eq!(shown.findings[0], other.findings[0]);
    assert_eq!(shown.findings.last(), Some(&added));
    let n = welsh.findings.len();
    assert_eq!(shown.findings[1..n], welsh.findings[1..]);
    assert_eq!(shown.compliance, other.compliance);
}
