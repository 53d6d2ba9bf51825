//! The names people read for rule ids, outcomes and compliance, in their
//! language (the wire keeps the ids).

use super::{Compliance, Outcome, RuleId};
use crate::l10n::{Locale, text};

impl RuleId {
    /// The rule's name in `locale` ("screen lock", "clo sgrin").
    pub fn name(self, locale: Locale) -> String {
        text(
            locale,
            match self {
                RuleId::OsVersion => "rule-os-version",
                RuleId::SecurityPatch => "rule-security-patch",
                RuleId::StorageEncryption => "rule-storage-encryption",
                RuleId::ScreenLock => "rule-screen-lock",
                RuleId::AutoLock => "rule-auto-lock",
                RuleId::DeveloperMode => "rule-developer-mode",
                RuleId::UsbDebugging => "rule-usb-debugging",
                RuleId::Integrity => "rule-integrity",
                RuleId::Assurance => "rule-assurance",
                RuleId::AttestationPin => "rule-attestation-pin",
            },
        )
    }
}

impl Outcome {
    /// A short label for the outcome in `locale` ("FAIL", "ok").
    pub fn label(self, locale: Locale) -> String {
        text(
            locale,
            match self {
                Outcome::Fail => "outcome-fail",
                Outcome::Warn => "outcome-warn",
                Outcome::Pass => "outcome-pass",
                Outcome::NotApplicable => "outcome-not-applicable",
            },
        )
    }
}

impl Compliance {
    /// The verdict's headline in `locale` ("NON-COMPLIANT").
    pub fn headline(self, locale: Locale) -> String {
        text(
            locale,
            match self {
                Compliance::Compliant => "compliance-compliant",
                Compliance::Warning => "compliance-warning",
                Compliance::NonCompliant => "compliance-non-compliant",
            },
        )
    }
}
