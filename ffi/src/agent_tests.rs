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
