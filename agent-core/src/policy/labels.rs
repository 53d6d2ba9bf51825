//! The names people read for rule ids, outcomes and compliance, in their
//! language (the wire keeps the ids).

use super::{Compliance, Finding, Outcome, RuleId, Strategy};
use crate::l10n::{Locale, Msg, text};

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

impl Strategy {
    /// The strategy's name in `locale` ("warn-then-block", "rhybuddio yna
    /// rhwystro"); [`Strategy::name`] is the one policies and verdicts use.
    pub fn label(self, locale: Locale) -> String {
        text(
            locale,
            match self {
                Strategy::ReportOnly => "strategy-report-only",
                Strategy::NotifyOnly => "strategy-notify-only",
                Strategy::WarnThenBlock => "strategy-warn-then-block",
                Strategy::Block => "strategy-block",
            },
        )
    }
}

impl Finding {
    /// What the finding's strategy means for the person, in `locale`, when
    /// it says more than the outcome does: a `warn-then-block` warning
    /// names the day the block starts, a `notify-only` one says it is only
    /// a reminder.
    pub fn strategy_note(&self, locale: Locale) -> Option<String> {
        match (self.strategy, self.outcome, self.deadline) {
            (Some(Strategy::WarnThenBlock), Outcome::Warn, Some(deadline)) => Some(
                Msg::new("strategy-note-warn-then-block")
                    .text("date", deadline.to_string())
                    .in_locale(locale),
            ),
            (Some(Strategy::NotifyOnly), Outcome::Warn | Outcome::Fail, _) => {
                Some(text(locale, "strategy-note-notify-only"))
            }
            _ => None,
        }
    }
}
