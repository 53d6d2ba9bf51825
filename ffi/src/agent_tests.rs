//! The locale a host passes reaches what the person reads, and the privacy
//! inventory comes across as records.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use agent_core::policy::Outcome;
use agent_core::privacy::Payload;

fn agent(dir: &std::path::Path, locale: Option<&str>) -> Arc<PostureAgent> {
    PostureAgent::new(
        dir.display().to_string(),
        None,
        None,
        None,
        None,
        None,
        locale.map(str::to_owned),
    )
    .unwrap()
}

#[test]
fn a_welsh_locale_gives_welsh_words_and_anything_else_english() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        agent(&dir.path().join("a"), Some("cy-GB")).locale(),
        Locale::Cy
    );
    assert_eq!(
        agent(&dir.path().join("b"), Some("fr-FR")).locale(),
        Locale::En
    );
    assert_eq!(agent(&dir.path().join("c"), None).locale(), Locale::En);

    let welsh = agent(&dir.path().join("d"), Some("cy"));
    assert_eq!(welsh.rule_name(RuleId::ScreenLock), "clo sgrin");
    let mut posture: agent_core::Posture = welsh.collect().into();
    posture.screen_lock =
        agent_core::Fact::observed(agent_core::posture::ScreenLock::NotSet, "test");
    let verdict = welsh.evaluate(posture.into(), Policy::default_policy());
    let lock = verdict
        .findings
        .iter()
        .find(|f| f.rule == RuleId::ScreenLock)
        .unwrap();
    assert_eq!(lock.outcome, Outcome::Fail);
    let fix = lock.remediation.as_deref().unwrap();
    assert!(
        fix.contains("clo sgrin") || fix.contains("glo sgrin"),
        "{fix}"
    );
}

#[test]
fn the_privacy_inventory_is_the_cores_in_the_agents_language() {
    let dir = tempfile::tempdir().unwrap();
    let inv = agent(&dir.path().join("a"), Some("cy-GB")).privacy_inventory();
    assert_eq!(inv, agent_core::privacy::inventory(Locale::Cy));
    assert!(
        inv.fields
            .iter()
            .any(|f| f.payload == Payload::Enrol && f.path == "jwk")
    );
    assert!(inv.never_collected.contains(&"lleoliad".to_owned()));
}

/// Runs an agent's async call to its end on a current-thread runtime.
fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn findings_strategies_quiet_hours_and_errors_come_across_in_welsh() {
    let dir = tempfile::tempdir().unwrap();
    let welsh = agent(&dir.path().join("cy"), Some("cy-GB"));
    let english = agent(&dir.path().join("en"), Some("en-GB"));
    let mut posture: agent_core::Posture = welsh.collect().into();
    posture.screen_lock =
        agent_core::Fact::observed(agent_core::posture::ScreenLock::NotSet, "test");
    let lock = |a: &PostureAgent| {
        let v = a.evaluate(posture.clone().into(), Policy::default_policy());
        v.findings
            .into_iter()
            .find(|f| f.rule == RuleId::ScreenLock)
            .unwrap()
    };
    let (cy, en) = (lock(&welsh), lock(&english));
    assert_eq!(cy.observed, "dim clo sgrin diogel");
    assert_eq!(cy.requirement.as_deref(), Some("clo sgrin diogel"));
    assert_eq!(en.observed, "no secure screen lock");
    assert_eq!(welsh.outcome_label(cy.outcome), "METHU");
    assert_eq!(
        welsh.compliance_headline(Compliance::NonCompliant),
        "DDIM YN CYDYMFFURFIO"
    );
    assert_eq!(welsh.strategy_label(Strategy::Block), "rhwystro");
    let mut notify_only = cy.clone();
    notify_only.strategy = Some(Strategy::NotifyOnly);
    notify_only.outcome = Outcome::Warn;
    assert!(
        welsh
            .strategy_note(notify_only)
            .unwrap()
            .starts_with("hysbysu yn unig:")
    );
    assert_eq!(
        welsh.notify_reason_text(NotifyReason::OutsideWorkingHours),
        "y tu allan i'ch oriau gwaith: mae'r asiant yn aros yn dawel nes iddyn nhw ddechrau"
    );
    // A posture fact's reason for Unknown: English in the posture, the
    // agent's language on screen.
    assert_eq!(
        welsh.reason_text("Settings.Global.ADB_ENABLED is not set".into()),
        "Settings.Global.ADB_ENABLED: heb ei osod"
    );
    assert_eq!(
        english.reason_text("Settings.Global.ADB_ENABLED is not set".into()),
        "Settings.Global.ADB_ENABLED is not set"
    );
    assert_eq!(welsh.reason_text("no keyguard".into()), "no keyguard");

    // Errors a person can act on carry their reason in the agent's language.
    let refused = |a: &PostureAgent| {
        block_on(a.set_working_hours("9".into(), "17:00".into(), "UTC".into())).unwrap_err()
    };
    match refused(&welsh) {
        PostureAgentError::InvalidInput { reason } => {
            assert!(reason.contains("nid yw'n amser o'r dydd"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    match refused(&english) {
        PostureAgentError::InvalidInput { reason } => assert_eq!(
            reason,
            "start \"9\" is not a time of day: write it as HH:MM, 00:00 to 23:59"
        ),
        other => panic!("{other:?}"),
    }
    match block_on(welsh.check_in()).unwrap_err() {
        PostureAgentError::NotEnrolled { reason } => {
            assert!(
                reason.starts_with("nid yw'r ddyfais hon wedi'i chofrestru"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
}
