//! The collector's appraisal of a report (protocol §5.3.1): attested values
//! replace reported ones, every finding's fact gets a provenance, the
//! verdict gets an assurance level, and a verdict below the collector's
//! minimum level is non-compliant.

use agent_core::policy::{
    Compliance, FailureHistory, Finding, Outcome, RuleId, evaluate_with_history,
};
use agent_core::posture::{IndicatorKind, IntegrityIndicator, SecurityPatch};
use agent_core::protocol::{
    Assessment, AssuranceLevel, AttestationMismatch, AttestedBootState, FactProvenance, FactRecord,
    Provenance,
};
use agent_core::version::Version;
use agent_core::{Fact, Platform, Policy, Posture, Verdict};
use time::{Date, Month, OffsetDateTime};

use crate::attestation::Attested;

/// Where an attested value says it came from, as a fact's source.
const ATTESTED_SOURCE: &str = "key attestation (verified by the collector)";

/// The integrity indicators a key attestation's root of trust decides.
const VERIFIED_BOOT: &str = "verified_boot_not_green";
const BOOTLOADER: &str = "bootloader_unlocked";

/// The collector's verdict on a report and what it rests on.
#[derive(Debug, Clone)]
pub(crate) struct Appraisal {
    pub verdict: Verdict,
    pub assessment: Assessment,
}

/// What a report's facts are checked against.
pub(crate) struct Evidence<'a> {
    pub posture: &'a Posture,
    /// The device's verified key attestation, if it has one.
    pub attested: Option<&'a Attested>,
    /// The report's `iat`, when its facts were true.
    pub reported_at: OffsetDateTime,
    /// Whether a re-attestation broke the device's pin (protocol §5.3.3).
    pub pin_broken: bool,
    /// Whether the report carries an App Attest assertion that the writer
    /// checks against the device's attested App Attest key before storing
    /// anything (a refused assertion refuses the report).
    pub app_asserted: bool,
    /// Since when each rule has failed this device, from the reports the
    /// collector stored (docs/policy.md §8.4).
    pub history: &'a FailureHistory,
}

/// Appraises `evidence` under `policy` at `at`, requiring `minimum`.
pub(crate) fn appraise(
    evidence: &Evidence<'_>,
    policy: &Policy,
    at: OffsetDateTime,
    minimum: AssuranceLevel,
) -> Appraisal {
    // An asserted report comes from the app whose key Apple's App Attest
    // vouched for on genuine hardware: its OS facts rank as `os`. App
    // Attest attests no OS value, so nothing here becomes `hardware`.
    let key = match evidence.attested {
        Some(a) => a.provenance,
        None if evidence.app_asserted => Provenance::Hardware,
        None => Provenance::SelfReported,
    };
    let summary = evidence
        .attested
        .map(|a| &a.summary)
        .filter(|_| evidence.posture.platform == Platform::Android);
    let mut posture = evidence.posture.clone();
    let mut used = Attestations::default();
    let mut mismatches = Vec::new();
    if let Some(s) = summary {
        let mut record = |fact: &str, attested: String, reported: String| {
            mismatches.push(AttestationMismatch {
                fact: fact.to_owned(),
                attested,
                reported,
                reported_at: evidence.reported_at,
            });
        };
        // Only a hardware attestation outranks the report; a software
        // keystore's (an emulator's) proves nothing, so it is compared only.
        let wins = key == Provenance::Hardware;
        if let Some(attested) = s.os_patch_level.and_then(patch_month) {
            let reported = posture
                .security_patch
                .value()
                .map(|p| (p.0.year(), p.0.month()));
            if let Some((year, month)) = reported
                && (year, month) != attested
            {
                let note = format!(
                    "reported {}, attested {}",
                    month_text(year, month),
                    month_text(attested.0, attested.1)
                );
                record(
                    "os_patch_level",
                    month_text(attested.0, attested.1),
                    month_text(year, month),
                );
                used.patch_note = Some(note);
            }
            if wins {
                if used.patch_note.is_some() || reported.is_none() {
                    // The attestation gives the month only: its first day.
                    if let Ok(day) = Date::from_calendar_date(attested.0, attested.1, 1) {
                        posture.security_patch =
                            Fact::observed(SecurityPatch(day), ATTESTED_SOURCE);
                    }
                }
                used.patch = true;
            }
        }
        if let Some(attested) = s.os_version.and_then(os_version_text) {
            let reported = posture.os.version.value().cloned();
            if let Some(r) = &reported
                && !same_version(r, &attested)
            {
                used.version_note = Some(format!("reported {r}, attested {attested}"));
                record("os_version", attested.clone(), r.clone());
            }
            if wins {
                if used.version_note.is_some() || reported.is_none() {
                    posture.os.version = Fact::observed(attested, ATTESTED_SOURCE);
                }
                used.version = true;
            }
        }
        let boot = s
            .verified_boot_state
            .map(|b| b != AttestedBootState::Verified);
        let unlocked = s.device_locked.map(|l| !l);
        for (name, attested, fact) in [
            (VERIFIED_BOOT, boot, "verified_boot_state"),
            (BOOTLOADER, unlocked, "device_locked"),
        ] {
            let Some(attested) = attested else { continue };
            let reported = indicator(&posture, name);
            if let Some(r) = reported
                && r != attested
            {
                // Both as the attestation's own fact (locked / verified).
                record(fact, (!attested).to_string(), (!r).to_string());
                used.integrity_notes
                    .push(format!("{name}: reported {r}, attested {attested}"));
            }
            if wins {
                set_indicator(&mut posture, name, attested);
                used.integrity = true;
            }
        }
    }
    let mut verdict = evaluate_with_history(&posture, policy, at, evidence.history);
    let mut facts = Vec::with_capacity(verdict.findings.len());
    for finding in &mut verdict.findings {
        let record = fact_record(finding, &posture, key, &used);
        if let Some(note) = &record.note {
            finding.observed = format!(
                "{} ({note}: evaluated with the attested value)",
                finding.observed
            );
        }
        facts.push(record);
    }
    let assurance = level(&facts);
    if evidence.pin_broken {
        verdict.findings.push(pin_broken());
        verdict.compliance = Compliance::NonCompliant;
    }
    if assurance < minimum {
        verdict.findings.push(below_minimum(assurance, minimum));
        verdict.compliance = Compliance::NonCompliant;
    }
    Appraisal {
        verdict,
        assessment: Assessment {
            assurance,
            facts,
            mismatches,
        },
    }
}

/// Which attested values the evaluation used, and the disagreements.
#[derive(Debug, Default)]
struct Attestations {
    patch: bool,
    patch_note: Option<String>,
    version: bool,
    version_note: Option<String>,
    integrity: bool,
    integrity_notes: Vec<String>,
}

/// The assurance level (protocol §5.3.1): the strongest provenance among
/// the findings that apply and whose fact is known; a heuristic counts as
/// self-reported; `none` when no such finding is left.
pub(crate) fn level(facts: &[FactRecord]) -> AssuranceLevel {
    facts
        .iter()
        .filter(|f| f.outcome != Outcome::NotApplicable)
        .filter_map(|f| match f.provenance {
            FactProvenance::Hardware => Some(AssuranceLevel::Hardware),
            FactProvenance::Os => Some(AssuranceLevel::Os),
            FactProvenance::SelfReported | FactProvenance::Heuristic => {
                Some(AssuranceLevel::SelfReported)
            }
            FactProvenance::Unknown => None,
        })
        .max()
        .unwrap_or(AssuranceLevel::None)
}

fn fact_record(
    finding: &Finding,
    posture: &Posture,
    key: Provenance,
    used: &Attestations,
) -> FactRecord {
    // Read through the OS of a device whose key the hardware vouches for,
    // or only the device's word.
    let by_key = |known: bool| match (known, key) {
        (false, _) => FactProvenance::Unknown,
        (true, Provenance::Hardware) => FactProvenance::Os,
        (true, _) => FactProvenance::SelfReported,
    };
    let plain = |fact: &str, known: bool| (fact.to_owned(), by_key(known), None);
    let (fact, provenance, note) = match finding.rule {
        RuleId::OsVersion => (
            "os.version".to_owned(),
            if used.version {
                FactProvenance::Hardware
            } else {
                by_key(posture.os.version.value().is_some())
            },
            used.version_note.clone(),
        ),
        RuleId::SecurityPatch => (
            "security_patch".to_owned(),
            if used.patch {
                FactProvenance::Hardware
            } else {
                by_key(posture.security_patch.value().is_some())
            },
            used.patch_note.clone(),
        ),
        RuleId::StorageEncryption => plain(
            "storage_encryption",
            posture.storage_encryption.value().is_some(),
        ),
        RuleId::ScreenLock => plain("screen_lock", posture.screen_lock.value().is_some()),
        RuleId::AutoLock => plain("auto_lock", posture.auto_lock.value().is_some()),
        RuleId::DeveloperMode => plain("developer_mode", posture.developer_mode.value().is_some()),
        RuleId::UsbDebugging => plain("usb_debugging", posture.usb_debugging.value().is_some()),
        RuleId::Integrity => {
            let attested_tripped = posture.integrity.iter().any(|i| {
                i.kind == IndicatorKind::PlatformAttestation && i.tripped.value() == Some(&true)
            });
            let any_known = posture
                .integrity
                .iter()
                .any(|i| i.tripped.value().is_some());
            let provenance = if used.integrity && attested_tripped {
                // The attestation itself shows the modified boot.
                FactProvenance::Hardware
            } else if any_known {
                FactProvenance::Heuristic
            } else {
                FactProvenance::Unknown
            };
            let note = (!used.integrity_notes.is_empty()).then(|| used.integrity_notes.join("; "));
            ("integrity".to_owned(), provenance, note)
        }
        RuleId::Assurance => ("assurance".to_owned(), FactProvenance::Unknown, None),
        RuleId::AttestationPin => ("attestation_pin".to_owned(), FactProvenance::Hardware, None),
    };
    FactRecord {
        rule: finding.rule,
        fact,
        provenance,
        outcome: finding.outcome,
        note,
    }
}

/// The finding of a device whose pin a re-attestation broke.
fn pin_broken() -> Finding {
    Finding {
        rule: RuleId::AttestationPin,
        outcome: Outcome::Fail,
        observed: "a key attestation of this device showed a downgrade against the values pinned for it (another verified-boot key, or a lower security level, OS version or patch level)".to_owned(),
        requirement: Some("no downgrade against the attestation pin".to_owned()),
        remediation: Some("Ask your organisation's administrator: the device must be checked and enrolled again before it counts as compliant.".to_owned()),
        deadline: None,
        strategy: None,
        failing_since: None,
    }
}

fn below_minimum(found: AssuranceLevel, minimum: AssuranceLevel) -> Finding {
    Finding {
        rule: RuleId::Assurance,
        outcome: Outcome::Fail,
        observed: format!("the verdict's assurance level is {found}"),
        requirement: Some(format!("assurance level {minimum} or stronger")),
        remediation: Some(match minimum {
            AssuranceLevel::Hardware | AssuranceLevel::Os => "Enrol again from an app whose device key is attested by the phone's hardware (Android key attestation from a TEE or StrongBox): this collector does not accept software keys.".to_owned(),
            AssuranceLevel::SelfReported | AssuranceLevel::None => "Update the agent so that it can read the facts the policy checks, then check in again.".to_owned(),
        }),
        deadline: None,
        strategy: None,
        failing_since: None,
    }
}

/// An attested patch level (YYYYMM, or YYYYMMDD on some devices) as a
/// calendar month.
fn patch_month(value: i64) -> Option<(i32, Month)> {
    let ym = if value >= 10_000_000 {
        value / 100
    } else {
        value
    };
    let year = i32::try_from(ym / 100).ok()?;
    let month = Month::try_from(u8::try_from(ym % 100).ok()?).ok()?;
    Some((year, month))
}

fn month_text(year: i32, month: Month) -> String {
    format!("{year:04}-{:02}", u8::from(month))
}

/// An attested OS version (major·10000 + minor·100 + patch) as Android
/// writes it: `15`, `15.1`, `15.1.2`.
fn os_version_text(value: i64) -> Option<String> {
    if value <= 0 {
        return None;
    }
    let (major, minor, patch) = (value / 10_000, (value / 100) % 100, value % 100);
    Some(match (minor, patch) {
        (0, 0) => major.to_string(),
        (_, 0) => format!("{major}.{minor}"),
        _ => format!("{major}.{minor}.{patch}"),
    })
}

/// Whether two versions name the same release (`15` = `15.0` = `15.0.0`).
fn same_version(a: &str, b: &str) -> bool {
    let trimmed = |v: &str| {
        Version::parse(v).ok().map(|v| {
            let mut parts = v.parts().to_vec();
            while parts.last() == Some(&0) {
                parts.pop();
            }
            parts
        })
    };
    match (trimmed(a), trimmed(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a.trim() == b.trim(),
    }
}

fn indicator(posture: &Posture, name: &str) -> Option<bool> {
    posture
        .integrity
        .iter()
        .find(|i| i.name == name)
        .and_then(|i| i.tripped.value().copied())
}

fn set_indicator(posture: &mut Posture, name: &str, tripped: bool) {
    let value = IntegrityIndicator {
        name: name.to_owned(),
        kind: IndicatorKind::PlatformAttestation,
        tripped: Fact::observed(tripped, ATTESTED_SOURCE),
    };
    match posture.integrity.iter_mut().find(|i| i.name == name) {
        Some(slot) => *slot = value,
        None => posture.integrity.push(value),
    }
}

#[cfg(test)]
#[path = "assurance_tests.rs"]
mod tests;
