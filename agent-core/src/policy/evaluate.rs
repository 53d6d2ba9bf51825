//! `evaluate(&Posture, &Policy, now) -> Verdict`.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime, UtcOffset};

use super::remediation as fix;
use super::strategy::{FailureHistory, Strategy};
use super::{
    AutoLockRule, FlagRule, OsVersionRule, PatchRule, Policy, RuleSettings, UnknownOutcome,
};
use crate::l10n::{Locale, Msg};
use crate::posture::{AutoLock, Fact, Platform, Posture, ScreenLock, StorageEncryption};
use crate::version::Version;

/// The overall result of an evaluation.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compliance {
    /// Every rule passed.
    Compliant,
    /// No rule failed, but at least one warned.
    Warning,
    /// At least one rule failed.
    NonCompliant,
}

/// The outcome of one rule.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The rule does not apply to this platform.
    NotApplicable,
    /// Passed.
    Pass,
    /// Needs attention (unknown fact, or a failure inside its grace period).
    Warn,
    /// Failed.
    Fail,
}

/// Which rule a finding is about.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleId {
    /// Minimum OS version.
    OsVersion,
    /// Android security patch age.
    SecurityPatch,
    /// Storage encryption.
    StorageEncryption,
    /// Secure screen lock.
    ScreenLock,
    /// How soon the screen locks by itself.
    AutoLock,
    /// Developer mode.
    DeveloperMode,
    /// USB debugging.
    UsbDebugging,
    /// Integrity indicators.
    Integrity,
    /// Not a policy rule: the collector's verdict rests on weaker evidence
    /// than the collector's minimum assurance level.
    Assurance,
    /// Not a policy rule: a re-attestation showed a downgrade against the
    /// device's attestation pin (protocol §5.3.3), so the collector no longer
    /// trusts the device until it is enrolled again.
    AttestationPin,
}

/// The result of one rule, with what was seen and how to fix it.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// The rule.
    pub rule: RuleId,
    /// Its outcome.
    pub outcome: Outcome,
    /// What the device reported, in words.
    pub observed: String,
    /// What the policy requires, in words; absent when the rule does not
    /// apply to the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    /// What the person should do, when there is something to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// The day a warning inside its grace period becomes a failure: under
    /// `warn-then-block`, the day the block starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Date>,
    /// The strategy that applied to the rule; absent on the findings a
    /// collector adds that are no policy rule (`assurance`, `attestation_pin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// When the fact is known to break the rule: the first day it did, as
    /// far as the evaluation knows (the posture, the failure history, or
    /// else the evaluation day itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<Date>,
}

/// Names the policy a verdict was reached under.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRef {
    /// Policy name.
    pub name: String,
    /// Policy revision.
    pub revision: u32,
}

impl PolicyRef {
    /// Names `policy`.
    pub fn of(policy: &Policy) -> PolicyRef {
        PolicyRef {
            name: policy.name.clone(),
            revision: policy.revision,
        }
    }
}

/// The verdict: overall compliance and one finding per rule.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// Overall result.
    pub compliance: Compliance,
    /// One finding per rule in the policy.
    pub findings: Vec<Finding>,
    /// The policy evaluated.
    pub policy: PolicyRef,
    /// When the evaluation ran.
    #[serde(with = "time::serde::rfc3339")]
    pub evaluated_at: OffsetDateTime,
}

impl Finding {
    /// Whether the person holding the device sees this finding: every one
    /// but those of `report-only` rules.
    pub fn shown_to_user(&self) -> bool {
        self.strategy.is_none_or(Strategy::shown_to_user)
    }
}

impl Verdict {
    /// Findings that need the person's attention (warn or fail) and are
    /// theirs to see (not `report-only`).
    pub fn actionable(&self) -> impl Iterator<Item = &Finding> {
        self.shown()
            .filter(|f| matches!(f.outcome, Outcome::Warn | Outcome::Fail))
    }

    /// Findings the person holding the device may be shown: all but those
    /// of `report-only` rules, which are for the organisation only.
    pub fn shown(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.shown_to_user())
    }
}

/// Evaluates a posture against a policy at a moment in time, with the
/// remediation in English: the verdict a report carries.
///
/// Pure: the same inputs always give the same verdict, so the backend can
/// re-evaluate a report and reach the same answer as the device. Dates are
/// days of the UTC calendar, whatever offset `now` carries. No failure
/// history: a `warn-then-block` rule counts its grace from today.
pub fn evaluate(posture: &Posture, policy: &Policy, now: OffsetDateTime) -> Verdict {
    evaluate_with_history(posture, policy, now, &FailureHistory::new())
}

/// [`evaluate`] with the remediation in `locale`: the verdict to show the
/// person holding the device. Outcomes, rule ids and deadlines are the same
/// in every language.
pub fn evaluate_in(
    posture: &Posture,
    policy: &Policy,
    now: OffsetDateTime,
    locale: Locale,
) -> Verdict {
    evaluate_with_history_in(posture, policy, now, &FailureHistory::new(), locale)
}

/// [`evaluate`], with since when each rule has been failing: a rule that
/// names `warn-then-block` counts its grace from there.
pub fn evaluate_with_history(
    posture: &Posture,
    policy: &Policy,
    now: OffsetDateTime,
    history: &FailureHistory,
) -> Verdict {
    evaluate_with_history_in(posture, policy, now, history, Locale::En)
}

/// [`evaluate_with_history`] with the remediation in `locale`.
pub fn evaluate_with_history_in(
    posture: &Posture,
    policy: &Policy,
    now: OffsetDateTime,
    history: &FailureHistory,
    locale: Locale,
) -> Verdict {
    let now = now.to_offset(UtcOffset::UTC);
    let ctx = Ctx {
        posture,
        today: now.date(),
        grace_days: policy.grace.map(|g| g.days),
        locale,
        history,
    };
    let rules = &policy.rules;
    let mut findings = Vec::with_capacity(8);
    if let Some(rule) = &rules.os_version {
        findings.push(ctx.settle(ctx.os_version(rule), rule.settings()));
    }
    if let Some(rule) = &rules.security_patch {
        findings.push(ctx.settle(ctx.security_patch(rule), rule.settings()));
    }
    if let Some(rule) = &rules.storage_encryption {
        findings.push(ctx.settle(ctx.storage_encryption(rule), rule.settings()));
    }
    if let Some(rule) = &rules.screen_lock {
        findings.push(ctx.settle(ctx.screen_lock(rule), rule.settings()));
    }
    if let Some(rule) = &rules.auto_lock {
        findings.push(ctx.settle(ctx.auto_lock(rule), rule.settings()));
    }
    if let Some(rule) = &rules.developer_mode {
        let finding = ctx.forbidden_flag(
            RuleId::DeveloperMode,
            rule,
            &posture.developer_mode,
            ["finding-developer-mode-off", "finding-developer-mode-on"],
            "check-subject-developer-mode",
        );
        findings.push(ctx.settle(finding, rule.settings()));
    }
    if let Some(rule) = &rules.usb_debugging {
        let finding = ctx.forbidden_flag(
            RuleId::UsbDebugging,
            rule,
            &posture.usb_debugging,
            ["finding-usb-debugging-off", "finding-usb-debugging-on"],
            "check-subject-usb-debugging",
        );
        findings.push(ctx.settle(finding, rule.settings()));
    }
    if let Some(rule) = &rules.integrity {
        findings.push(ctx.settle(ctx.integrity(rule), rule.settings()));
    }
    let compliance = compliance_of(&findings);
    Verdict {
        compliance,
        findings,
        policy: PolicyRef {
            name: policy.name.clone(),
            revision: policy.revision,
        },
        evaluated_at: now,
    }
}

/// `verdict`'s findings in `locale`, rendered from their structured data
/// (rule, outcome, deadline, strategy and the fact in `posture`) with the
/// messages [`evaluate_in`] uses: the verdict a device stored or a collector
/// sent, shown in the language of the person holding the device.
///
/// A finding is re-rendered only when the core, evaluating `posture` under
/// `policy` on the verdict's day, reaches the same finding word for word in
/// English; any other (one a collector added, one reached under another
/// policy or from other facts) keeps the text it came with. Outcomes, rule
/// ids and dates never change.
pub fn localise(verdict: &Verdict, posture: &Posture, policy: &Policy, locale: Locale) -> Verdict {
    let mut out = verdict.clone();
    if locale == Locale::En {
        return out;
    }
    let mut history = FailureHistory::new();
    for f in &verdict.findings {
        if let Some(since) = f.failing_since {
            history.insert(f.rule, since.midnight().assume_utc());
        }
    }
    let at = verdict.evaluated_at;
    let english = evaluate_with_history_in(posture, policy, at, &history, Locale::En);
    let local = evaluate_with_history_in(posture, policy, at, &history, locale);
    for f in &mut out.findings {
        let same = english.findings.iter().position(|e| e == f);
        if let Some(i) = same {
            *f = local.findings[i].clone();
        }
    }
    out
}

/// The compliance of a set of findings: a `report-only` finding never
/// counts.
pub fn compliance_of(findings: &[Finding]) -> Compliance {
    let counted = || {
        findings
            .iter()
            .filter(|f| f.strategy.is_none_or(Strategy::counts_for_compliance))
    };
    if counted().any(|f| f.outcome == Outcome::Fail) {
        Compliance::NonCompliant
    } else if counted().any(|f| f.outcome == Outcome::Warn) {
        Compliance::Warning
    } else {
        Compliance::Compliant
    }
}

struct Ctx<'a> {
    posture: &'a Posture,
    today: Date,
    grace_days: Option<u32>,
    locale: Locale,
    history: &'a FailureHistory,
}

impl Ctx<'_> {
    fn platform(&self) -> Platform {
        self.posture.platform
    }

    /// A message without variables, in the evaluation's language.
    fn t(&self, id: &'static str) -> String {
        crate::l10n::text(self.locale, id)
    }

    /// A message, in the evaluation's language.
    fn say(&self, msg: Msg) -> String {
        msg.in_locale(self.locale)
    }

    fn applies(&self, platforms: Option<&Vec<Platform>>) -> bool {
        platforms.is_none_or(|p| p.contains(&self.platform()))
    }

    fn not_applicable(&self, rule: RuleId) -> Finding {
        Finding {
            rule,
            outcome: Outcome::NotApplicable,
            observed: self.say(
                Msg::new("finding-not-applicable").text("device", self.platform().to_string()),
            ),
            requirement: None,
            remediation: None,
            deadline: None,
            strategy: None,
            failing_since: None,
        }
    }

    fn unknown(
        &self,
        rule: RuleId,
        what: &'static str,
        reason: &str,
        requirement: String,
        unknown: UnknownOutcome,
    ) -> Finding {
        let outcome = match unknown {
            UnknownOutcome::Pass => Outcome::Pass,
            UnknownOutcome::Warn => Outcome::Warn,
            UnknownOutcome::Fail => Outcome::Fail,
        };
        // The reason is in `observed`; the fix does not repeat it.
        let remediation =
            (outcome != Outcome::Pass).then(|| fix::unknown(self.locale, self.platform(), what));
        Finding {
            rule,
            outcome,
            observed: self.say(
                Msg::new("finding-unknown")
                    .text("reason", crate::l10n::reason(self.locale, reason)),
            ),
            requirement: Some(requirement),
            remediation,
            deadline: None,
            strategy: None,
            failing_since: None,
        }
    }

    /// The strategy a rule follows: the one it names, else `warn-then-block`
    /// when the policy has a grace period and `block` when it has none (what
    /// every rule did before strategies, so older policies keep their
    /// verdicts).
    fn strategy(&self, settings: RuleSettings) -> Strategy {
        match (settings.strategy, self.grace_days) {
            (Some(strategy), _) => strategy,
            (None, Some(_)) => Strategy::WarnThenBlock,
            (None, None) => Strategy::Block,
        }
    }

    /// Names the strategy in a rule's finding and applies what it does
    /// beyond grace: `notify-only` never fails.
    fn settle(&self, mut finding: Finding, settings: RuleSettings) -> Finding {
        let strategy = self.strategy(settings);
        finding.strategy = Some(strategy);
        if strategy == Strategy::NotifyOnly && finding.outcome == Outcome::Fail {
            finding.outcome = Outcome::Warn;
        }
        finding
    }

    /// A failure, softened to a warning while it is inside the grace period
    /// of a `warn-then-block` rule. `began` is the start the posture itself
    /// shows (a patch level that aged out), when it shows one.
    fn failure(
        &self,
        rule: RuleId,
        observed: String,
        requirement: String,
        remediation: String,
        settings: RuleSettings,
        began: Option<Date>,
    ) -> Finding {
        let tracked = self.history.since(rule).map(|t| t.date());
        let failing_since = began.or(tracked).unwrap_or(self.today);
        let start = match settings.strategy {
            // A rule without a strategy of its own counts only the start the
            // posture or `since` shows, as every rule did before the history.
            None => match (began, settings.since) {
                (Some(b), Some(s)) => Some(b.max(s)),
                (b, s) => b.or(s),
            },
            Some(_) => Some(
                settings
                    .since
                    .map_or(failing_since, |s| s.max(failing_since)),
            ),
        };
        let grace = match self.strategy(settings) {
            Strategy::WarnThenBlock => settings.grace_days.or(self.grace_days),
            Strategy::ReportOnly | Strategy::NotifyOnly | Strategy::Block => None,
        };
        let deadline = match (grace, start) {
            (Some(days), Some(since)) => since.checked_add(Duration::days(i64::from(days))),
            _ => None,
        };
        let (outcome, deadline) = match deadline {
            Some(d) if self.today < d => (Outcome::Warn, Some(d)),
            _ => (Outcome::Fail, None),
        };
        // The deadline is the first day of failure: the fix is due before it.
        let remediation = match deadline {
            Some(d) => fix::before_deadline(self.locale, &remediation, d),
            None => remediation,
        };
        Finding {
            rule,
            outcome,
            observed,
            requirement: Some(requirement),
            remediation: Some(remediation),
            deadline,
            strategy: None,
            failing_since: Some(failing_since),
        }
    }

    fn pass(rule: RuleId, observed: String, requirement: String) -> Finding {
        Finding {
            rule,
            outcome: Outcome::Pass,
            observed,
            requirement: Some(requirement),
            remediation: None,
            deadline: None,
            strategy: None,
            failing_since: None,
        }
    }

    fn os_version(&self, rule: &OsVersionRule) -> Finding {
        let id = RuleId::OsVersion;
        let os = &self.posture.os;
        // The device's own ID first, then each ID_LIKE in order; an OS that
        // could not be identified matches no os_id entry.
        let ids: Vec<&str> = match os.id.value() {
            Some(own) => std::iter::once(own.as_str())
                .chain(os.id_like.iter().map(String::as_str))
                .collect(),
            None => Vec::new(),
        };
        let for_platform = || {
            rule.minimum
                .iter()
                .filter(|m| m.platform == self.platform())
        };
        let by_id = ids.iter().enumerate().find_map(|(i, want)| {
            for_platform()
                .find(|m| m.os_id.as_deref() == Some(*want))
                .map(|m| (m, (i > 0).then_some(*want)))
        });
        let entry = by_id.or_else(|| {
            for_platform()
                .find(|m| m.os_id.is_none())
                .map(|m| (m, None))
        });
        let Some((entry, like)) = entry else {
            let reason = match (&os.id, ids.as_slice()) {
                (Fact::Unknown { reason }, _) => {
                    self.say(Msg::new("finding-os-unidentified").text("reason", reason))
                }
                (_, [own, like @ ..]) if !like.is_empty() => self.say(
                    Msg::new("finding-os-no-minimum-like")
                        .text("os", *own)
                        .text("like", like.join(", ")),
                ),
                (_, [own, ..]) => self.say(Msg::new("finding-os-no-minimum").text("os", *own)),
                _ => self.say(
                    Msg::new("finding-os-no-minimum").text("os", self.platform().display_name()),
                ),
            };
            return self.unknown(
                id,
                "check-subject-os",
                &reason,
                self.t("finding-os-supported-release"),
                rule.unknown,
            );
        };
        let minimums: Vec<Version> = entry
            .versions
            .iter()
            .filter_map(|v| Version::parse(v).ok())
            .collect();
        let minimums_text = self.describe_minimums(&minimums);
        let requirement = match like {
            None => self.say(
                Msg::new("finding-os-requirement")
                    .text("os", self.os_label())
                    .text("minimums", minimums_text),
            ),
            Some(like) => self.say(
                Msg::new("finding-os-requirement-like")
                    .text("os", self.os_label())
                    .text("minimums", minimums_text)
                    .text("like", like),
            ),
        };
        let version = match &self.posture.os.version {
            Fact::Observed { value, .. } => value,
            Fact::Unknown { reason } => {
                return self.unknown(
                    id,
                    "check-subject-os-version",
                    reason,
                    requirement,
                    rule.unknown,
                );
            }
        };
        let Ok(current) = Version::parse(version) else {
            return self.unknown(
                id,
                "check-subject-os-version",
                &self.say(
                    Msg::new("finding-os-version-not-number")
                        .text("version", format!("{version:?}")),
                ),
                requirement,
                rule.unknown,
            );
        };
        let observed = self.say(
            Msg::new("finding-os-observed")
                .text("os", self.os_label())
                .text("version", current.to_string()),
        );
        match required_for(&current, &minimums) {
            None => Ctx::pass(id, observed, requirement),
            Some(needed) => {
                let remediation = fix::os_version(self.locale, self.platform(), &observed, &needed);
                self.failure(
                    id,
                    observed,
                    requirement,
                    remediation,
                    rule.settings(),
                    None,
                )
            }
        }
    }

    fn os_label(&self) -> String {
        match (self.platform(), self.posture.os.name.value()) {
            (Platform::Linux, Some(name)) => name.clone(),
            (p, _) => p.display_name().to_owned(),
        }
    }

    fn security_patch(&self, rule: &PatchRule) -> Finding {
        let id = RuleId::SecurityPatch;
        let reference = rule.reference.unwrap_or(self.today);
        let oldest = reference
            .checked_sub(Duration::days(i64::from(rule.max_age_days)))
            .unwrap_or(reference);
        let requirement =
            self.say(Msg::new("finding-patch-requirement").text("oldest", oldest.to_string()));
        if !self.applies(rule.platforms.as_ref()) {
            return self.not_applicable(id);
        }
        let patch = match &self.posture.security_patch {
            Fact::Observed { value, .. } => *value,
            Fact::Unknown { reason } => {
                return self.unknown(
                    id,
                    "check-subject-security-patch",
                    reason,
                    requirement,
                    rule.unknown,
                );
            }
        };
        let observed =
            self.say(Msg::new("finding-patch-observed").text("patch", patch.to_string()));
        if patch.0 >= oldest {
            return Ctx::pass(id, observed, requirement);
        }
        // With a rolling reference the failure began the day the patch grew
        // too old; a fixed reference (or `since`) sets its own start.
        let aged_out = match rule.reference {
            None => patch
                .0
                .checked_add(Duration::days(i64::from(rule.max_age_days) + 1)),
            Some(_) => None,
        };
        let remediation = fix::security_patch(self.locale, self.platform(), patch, oldest);
        self.failure(
            id,
            observed,
            requirement,
            remediation,
            rule.settings(),
            aged_out,
        )
    }

    fn storage_encryption(&self, rule: &FlagRule) -> Finding {
        let id = RuleId::StorageEncryption;
        let requirement = self.t("finding-storage-requirement");
        if !self.applies(rule.platforms.as_ref()) {
            return self.not_applicable(id);
        }
        match &self.posture.storage_encryption {
            Fact::Observed {
                value: StorageEncryption::Encrypted { method },
                ..
            } => Ctx::pass(
                id,
                self.say(Msg::new("finding-storage-encrypted").text("method", method.as_str())),
                requirement,
            ),
            Fact::Observed {
                value: StorageEncryption::NotEncrypted,
                ..
            } => self.failure(
                id,
                self.t("finding-storage-not-encrypted"),
                requirement,
                fix::storage_encryption(self.locale, self.platform()),
                rule.settings(),
                None,
            ),
            Fact::Unknown { reason } => self.unknown(
                id,
                "check-subject-storage-encryption",
                reason,
                requirement,
                rule.unknown,
            ),
        }
    }

    fn screen_lock(&self, rule: &FlagRule) -> Finding {
        let id = RuleId::ScreenLock;
        let requirement = self.t("finding-screen-lock-requirement");
        if !self.applies(rule.platforms.as_ref()) {
            return self.not_applicable(id);
        }
        match &self.posture.screen_lock {
            Fact::Observed {
                value: ScreenLock::Set,
                ..
            } => Ctx::pass(id, self.t("finding-screen-lock-set"), requirement),
            Fact::Observed {
                value: ScreenLock::NotSet,
                ..
            } => self.failure(
                id,
                self.t("finding-screen-lock-not-set"),
                requirement,
                fix::screen_lock(self.locale, self.platform()),
                rule.settings(),
                None,
            ),
            Fact::Unknown { reason } => self.unknown(
                id,
                "check-subject-screen-lock",
                reason,
                requirement,
                rule.unknown,
            ),
        }
    }

    fn auto_lock(&self, rule: &AutoLockRule) -> Finding {
        let id = RuleId::AutoLock;
        let Some(max) = rule
            .maximum
            .iter()
            .find(|m| m.platforms.contains(&self.platform()))
            .map(|m| m.seconds)
        else {
            return self.not_applicable(id);
        };
        let requirement = self.say(
            Msg::new("finding-auto-lock-requirement").text("within", fix::span(self.locale, max)),
        );
        match &self.posture.auto_lock {
            Fact::Observed {
                value: value @ AutoLock::After { seconds },
                ..
            } if *seconds <= max => Ctx::pass(id, self.auto_lock_text(value), requirement),
            Fact::Observed { value, .. } => self.failure(
                id,
                self.auto_lock_text(value),
                requirement,
                fix::auto_lock(self.locale, self.platform(), max),
                rule.settings(),
                None,
            ),
            Fact::Unknown { reason } => self.unknown(
                id,
                "check-subject-auto-lock",
                reason,
                requirement,
                rule.unknown,
            ),
        }
    }

    fn forbidden_flag(
        &self,
        id: RuleId,
        rule: &FlagRule,
        fact: &Fact<bool>,
        [off, on]: [&'static str; 2],
        subject: &'static str,
    ) -> Finding {
        let requirement = self.t(off);
        if !self.applies(rule.platforms.as_ref()) {
            return self.not_applicable(id);
        }
        match fact {
            Fact::Observed { value: false, .. } => Ctx::pass(id, self.t(off), requirement),
            Fact::Observed { value: true, .. } => {
                let remediation = match id {
                    RuleId::UsbDebugging => fix::usb_debugging(self.locale, self.platform()),
                    _ => fix::developer_mode(self.locale, self.platform()),
                };
                self.failure(
                    id,
                    self.t(on),
                    requirement,
                    remediation,
                    rule.settings(),
                    None,
                )
            }
            Fact::Unknown { reason } => {
                self.unknown(id, subject, reason, requirement, rule.unknown)
            }
        }
    }

    fn integrity(&self, rule: &FlagRule) -> Finding {
        let id = RuleId::Integrity;
        let requirement = self.t("finding-integrity-requirement");
        if !self.applies(rule.platforms.as_ref()) {
            return self.not_applicable(id);
        }
        let indicators = &self.posture.integrity;
        if indicators.is_empty() {
            // Nothing checked is nothing known, not a clean bill of health.
            return self.unknown(
                id,
                "check-subject-integrity",
                &self.t("finding-integrity-none-reported"),
                requirement,
                rule.unknown,
            );
        }
        let tripped: Vec<&str> = indicators
            .iter()
            .filter(|i| i.tripped.value() == Some(&true))
            .map(|i| i.name.as_str())
            .collect();
        if !tripped.is_empty() {
            let observed = self
                .say(Msg::new("finding-integrity-tripped").text("indicators", tripped.join(", ")));
            return self.failure(
                id,
                observed,
                requirement,
                fix::integrity(self.locale, &tripped),
                rule.settings(),
                None,
            );
        }
        let unknown: Vec<&str> = indicators
            .iter()
            .filter(|i| i.tripped.value().is_none())
            .map(|i| i.name.as_str())
            .collect();
        if !unknown.is_empty() {
            let reason = self.say(
                Msg::new("finding-integrity-could-not-check")
                    .text("indicators", unknown.join(", ")),
            );
            return self.unknown(
                id,
                "check-subject-integrity",
                &reason,
                requirement,
                rule.unknown,
            );
        }
        let checked = u32::try_from(indicators.len()).unwrap_or(u32::MAX);
        let observed = self.say(Msg::new("finding-integrity-checked").number("n", checked));
        Ctx::pass(id, observed, requirement)
    }
}

/// The minimum `current` must reach, or None when it passes.
///
/// A minimum with several components names its release line by all but the
/// last ("17.6" → line 17, "10.0.22631.4317" → line 10.0.22631); a version on
/// that line must reach it. A version on no listed line passes only when it is
/// at least every minimum, i.e. it is on a newer line than all of them.
fn required_for(current: &Version, minimums: &[Version]) -> Option<Version> {
    // The longest line wins ("17.6.1" over "17.6" for 17.6.x); policy
    // validation rejects two minimums on the same line.
    let on_line = minimums
        .iter()
        .filter(|m| m.line().is_some_and(|line| current.starts_with(line)))
        .max_by_key(|m| m.parts().len());
    if let Some(min) = on_line {
        return (current < min).then(|| min.clone());
    }
    // Not on a listed line: the lowest minimum above it is what it needs.
    minimums.iter().filter(|m| current < *m).min().cloned()
}

impl Ctx<'_> {
    fn describe_minimums(&self, minimums: &[Version]) -> String {
        let mut sorted: Vec<&Version> = minimums.iter().collect();
        sorted.sort();
        match sorted.as_slice() {
            [] => self.t("finding-os-minimum-none"),
            [one] => self.say(Msg::new("finding-os-minimum").text("version", one.to_string())),
            many => {
                let list: Vec<String> = many.iter().map(|v| v.to_string()).collect();
                self.say(Msg::new("finding-os-minimums").text("versions", list.join(" / ")))
            }
        }
    }

    /// What the auto-lock is, in words ("locks after 5 min"): in English,
    /// the fact's own `Display`.
    fn auto_lock_text(&self, value: &AutoLock) -> String {
        match value {
            AutoLock::Never => self.t("finding-auto-lock-never"),
            AutoLock::After { seconds } => match self.locale {
                Locale::En => value.to_string(),
                _ => self.say(
                    Msg::new("finding-auto-lock-after")
                        .text("span", fix::span(self.locale, *seconds)),
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_auto_lock;
#[cfg(test)]
mod tests_strategy;
