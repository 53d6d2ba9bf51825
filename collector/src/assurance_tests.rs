#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use agent_core::policy::{Compliance, Outcome, PolicyFormat, RuleId};
use agent_core::posture::{IndicatorKind, IntegrityIndicator, ScreenLock, SecurityPatch};
use agent_core::protocol::{
    AssuranceLevel, AttestedBootState, AttestedSecurityLevel, FactProvenance,
    KeyAttestationSummary, Provenance,
};
use agent_core::{Fact, Platform, Policy, Posture};
use time::OffsetDateTime;
use time::macros::datetime;

use super::{Evidence, appraise};
use crate::attestation::Attested;

const NOW: OffsetDateTime = datetime!(2026-06-20 10:00 UTC);

/// Android 13 or newer, patches within 30 days of 2026-06-20, a screen
/// lock, no integrity indicator tripped.
fn policy() -> Policy {
    Policy::parse(
        r#"{"schema_version":1,"name":"test","revision":3,"rules":{
            "os_version":{"unknown":"warn","minimum":[{"platform":"android","versions":["13"]}]},
            "security_patch":{"max_age_days":30,"unknown":"warn","reference":"2026-06-20"},
            "screen_lock":{"unknown":"warn"},
            "integrity":{"unknown":"warn"}}}"#,
        PolicyFormat::Json,
    )
    .unwrap()
}

fn phone(patch: &str, version: &str) -> Posture {
    let mut p = Posture::unknown(Platform::Android, "test", NOW);
    p.security_patch = Fact::observed(SecurityPatch::parse(patch).unwrap(), "getprop");
    p.os.version = Fact::observed(version.to_owned(), "getprop");
    p.screen_lock = Fact::observed(ScreenLock::Set, "KeyguardManager");
    p.integrity = vec![
        indicator("su_binary", false),
        indicator("bootloader_unlocked", false),
        indicator("verified_boot_not_green", false),
    ];
    p
}

fn indicator(name: &str, tripped: bool) -> IntegrityIndicator {
    IntegrityIndicator {
        name: name.into(),
        kind: IndicatorKind::Heuristic,
        tripped: Fact::observed(tripped, "getprop"),
    }
}

fn attested(provenance: Provenance, patch: i64, os_version: i64, locked: bool) -> Attested {
    Attested {
        provenance,
        app_identity: None,
        summary: KeyAttestationSummary {
            security_level: AttestedSecurityLevel::Tee,
            attestation_version: 300,
            verified_boot_state: Some(AttestedBootState::Verified),
            device_locked: Some(locked),
            os_version: Some(os_version),
            os_patch_level: Some(patch),
            vendor_patch_level: None,
            boot_patch_level: None,
            verified_boot_key_sha256: None,
            attested_at: NOW,
        },
    }
}

fn run(posture: &Posture, a: Option<&Attested>, min: AssuranceLevel) -> super::Appraisal {
    appraise(
        &Evidence {
            history: &agent_core::policy::FailureHistory::new(),
            posture,
            attested: a,
            reported_at: NOW,
            pin_broken: false,
            app_asserted: false,
        },
        &policy(),
        NOW,
        min,
    )
}

fn record(a: &super::Appraisal, rule: RuleId) -> &agent_core::protocol::FactRecord {
    a.assessment.facts.iter().find(|f| f.rule == rule).unwrap()
}

fn outcome(a: &super::Appraisal, rule: RuleId) -> Outcome {
    a.verdict
        .findings
        .iter()
        .find(|f| f.rule == rule)
        .unwrap()
        .outcome
}

#[test]
fn an_attested_patch_level_wins_over_a_newer_reported_one() {
    // The phone claims June's patch; its TEE attested January's.
    let posture = phone("2026-06-05", "15");
    let key = attested(Provenance::Hardware, 202601, 150000, true);
    let a = run(&posture, Some(&key), AssuranceLevel::None);
    assert_eq!(outcome(&a, RuleId::SecurityPatch), Outcome::Fail);
    let finding = a
        .verdict
        .findings
        .iter()
        .find(|f| f.rule == RuleId::SecurityPatch)
        .unwrap();
    assert!(
        finding.observed.contains("2026-01-01"),
        "{}",
        finding.observed
    );
    assert!(
        finding
            .observed
            .contains("reported 2026-06, attested 2026-01"),
        "{}",
        finding.observed
    );
    let r = record(&a, RuleId::SecurityPatch);
    assert_eq!(r.provenance, FactProvenance::Hardware);
    assert_eq!(
        r.note.as_deref(),
        Some("reported 2026-06, attested 2026-01")
    );
    assert_eq!(a.assessment.mismatches.len(), 1);
    let m = &a.assessment.mismatches[0];
    assert_eq!(
        (m.fact.as_str(), m.attested.as_str(), m.reported.as_str()),
        ("os_patch_level", "2026-01", "2026-06")
    );
    // Same month: the report's day stands, still vouched for.
    let same = run(&phone("2026-01-05", "15"), Some(&key), AssuranceLevel::None);
    assert!(same.assessment.mismatches.is_empty());
    assert_eq!(
        record(&same, RuleId::SecurityPatch).provenance,
        FactProvenance::Hardware
    );
    assert_eq!(record(&same, RuleId::SecurityPatch).note, None);
}

#[test]
fn provenance_per_fact_and_the_level_of_an_attested_phone() {
    let key = attested(Provenance::Hardware, 202606, 150000, true);
    let a = run(
        &phone("2026-06-05", "15"),
        Some(&key),
        AssuranceLevel::Hardware,
    );
    assert_eq!(
        a.verdict.compliance,
        Compliance::Compliant,
        "{:#?}",
        a.verdict
    );
    assert_eq!(
        record(&a, RuleId::OsVersion).provenance,
        FactProvenance::Hardware
    );
    assert_eq!(
        record(&a, RuleId::SecurityPatch).provenance,
        FactProvenance::Hardware
    );
    assert_eq!(
        record(&a, RuleId::ScreenLock).provenance,
        FactProvenance::Os
    );
    assert_eq!(
        record(&a, RuleId::Integrity).provenance,
        FactProvenance::Heuristic
    );
    assert_eq!(record(&a, RuleId::OsVersion).fact, "os.version");
    assert_eq!(a.assessment.assurance, AssuranceLevel::Hardware);
    assert!(a.assessment.mismatches.is_empty());
}

#[test]
fn a_reported_os_version_that_disagrees_is_replaced() {
    // Android 12 attested, 15 claimed: the policy wants 13.
    let key = attested(Provenance::Hardware, 202606, 120000, true);
    let a = run(&phone("2026-06-05", "15"), Some(&key), AssuranceLevel::None);
    assert_eq!(outcome(&a, RuleId::OsVersion), Outcome::Fail);
    assert_eq!(
        record(&a, RuleId::OsVersion).note.as_deref(),
        Some("reported 15, attested 12")
    );
    let m = &a.assessment.mismatches[0];
    assert_eq!(
        (m.fact.as_str(), m.attested.as_str(), m.reported.as_str()),
        ("os_version", "12", "15")
    );
    // 15 and 15.0.0 name one release.
    let b = run(
        &phone("2026-06-05", "15.0"),
        Some(&attested(Provenance::Hardware, 202606, 150000, true)),
        AssuranceLevel::None,
    );
    assert!(b.assessment.mismatches.is_empty());
}

#[test]
fn an_attested_unlocked_bootloader_fails_integrity_whatever_the_report_says() {
    let key = attested(Provenance::Hardware, 202606, 150000, false);
    let a = run(&phone("2026-06-05", "15"), Some(&key), AssuranceLevel::None);
    assert_eq!(outcome(&a, RuleId::Integrity), Outcome::Fail);
    let r = record(&a, RuleId::Integrity);
    assert_eq!(r.provenance, FactProvenance::Hardware);
    assert_eq!(
        r.note.as_deref(),
        Some("bootloader_unlocked: reported false, attested true")
    );
    let m = &a.assessment.mismatches[0];
    assert_eq!(
        (m.fact.as_str(), m.attested.as_str(), m.reported.as_str()),
        ("device_locked", "false", "true")
    );
}

#[test]
fn a_software_attestation_is_compared_but_does_not_win() {
    let posture = phone("2026-06-05", "15");
    let key = attested(Provenance::SoftwareAttestation, 202601, 150000, true);
    let a = run(&posture, Some(&key), AssuranceLevel::None);
    assert_eq!(outcome(&a, RuleId::SecurityPatch), Outcome::Pass);
    assert_eq!(
        record(&a, RuleId::SecurityPatch).provenance,
        FactProvenance::SelfReported
    );
    assert_eq!(a.assessment.mismatches.len(), 1);
    assert_eq!(a.assessment.assurance, AssuranceLevel::SelfReported);
}

#[test]
fn below_the_minimum_the_verdict_is_non_compliant_and_says_how_to_fix_it() {
    let mut desktop = Posture::unknown(Platform::Linux, "test", NOW);
    desktop.screen_lock = Fact::observed(ScreenLock::Set, "logind");
    let a = run(&desktop, None, AssuranceLevel::Hardware);
    assert_eq!(
        record(&a, RuleId::ScreenLock).provenance,
        FactProvenance::SelfReported
    );
    assert_eq!(
        record(&a, RuleId::OsVersion).provenance,
        FactProvenance::Unknown
    );
    assert_eq!(a.assessment.assurance, AssuranceLevel::SelfReported);
    assert_eq!(a.verdict.compliance, Compliance::NonCompliant);
    let f = a.verdict.findings.last().unwrap();
    assert_eq!((f.rule, f.outcome), (RuleId::Assurance, Outcome::Fail));
    assert!(f.observed.contains("self-reported"), "{}", f.observed);
    assert!(f.requirement.as_deref().unwrap().contains("hardware"));
    assert!(f.remediation.as_deref().unwrap().contains("attested"));
    // At or above the minimum nothing is added.
    let b = run(&desktop, None, AssuranceLevel::SelfReported);
    assert!(
        b.verdict
            .findings
            .iter()
            .all(|f| f.rule != RuleId::Assurance)
    );
}

#[test]
fn nothing_known_is_level_none() {
    let blank = Posture::unknown(Platform::Linux, "test", NOW);
    let a = run(&blank, None, AssuranceLevel::None);
    assert_eq!(a.assessment.assurance, AssuranceLevel::None);
    assert!(
        a.assessment
            .facts
            .iter()
            .all(|f| f.provenance == FactProvenance::Unknown)
    );
}

#[test]
fn a_broken_pin_makes_the_verdict_non_compliant_with_its_own_finding() {
    let a = attested(Provenance::Hardware, 202606, 150000, true);
    let posture = phone("2026-06-05", "15");
    let good = run(&posture, Some(&a), AssuranceLevel::None);
    assert_eq!(good.verdict.compliance, Compliance::Compliant);
    assert!(
        good.verdict
            .findings
            .iter()
            .all(|f| f.rule != RuleId::AttestationPin)
    );
    let broken = appraise(
        &Evidence {
            history: &agent_core::policy::FailureHistory::new(),
            posture: &posture,
            attested: Some(&a),
            reported_at: NOW,
            pin_broken: true,
            app_asserted: false,
        },
        &policy(),
        NOW,
        AssuranceLevel::None,
    );
    assert_eq!(broken.verdict.compliance, Compliance::NonCompliant);
    let f = broken
        .verdict
        .findings
        .iter()
        .find(|f| f.rule == RuleId::AttestationPin)
        .unwrap();
    assert_eq!(f.outcome, Outcome::Fail);
    assert!(f.remediation.as_deref().unwrap().contains("enrolled again"));
    // The facts themselves are appraised as before.
    assert_eq!(broken.assessment, good.assessment);
}
