//! Remediation strategies: what a rule's failure does to the person holding
//! the device and to its compliance, and the history that a grace period
//! is counted from.

use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, UtcOffset};

use super::evaluate::{Outcome, RuleId, Verdict};

/// What a failing rule does, named as Kolide names its strategies.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Collected and evaluated for the organisation; never shown to the
    /// person and never changes the compliance.
    ReportOnly,
    /// Shown to the person as a warning; never makes the device
    /// non-compliant.
    NotifyOnly,
    /// A warning for a number of grace days from the day the failure began,
    /// then non-compliant.
    WarnThenBlock,
    /// Non-compliant as soon as the rule fails.
    Block,
}

impl Strategy {
    /// The name used in policy documents and verdicts (`warn-then-block`).
    pub fn name(self) -> &'static str {
        match self {
            Strategy::ReportOnly => "report-only",
            Strategy::NotifyOnly => "notify-only",
            Strategy::WarnThenBlock => "warn-then-block",
            Strategy::Block => "block",
        }
    }

    /// Whether the person holding the device sees findings of this strategy.
    pub fn shown_to_user(self) -> bool {
        self != Strategy::ReportOnly
    }

    /// Whether findings of this strategy count towards the compliance.
    pub fn counts_for_compliance(self) -> bool {
        self != Strategy::ReportOnly
    }
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Since when each rule has been failing without a pass in between, as the
/// caller of the evaluation knows it: the device from its own state, a
/// collector from the reports it stored (never from the device's word).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailureHistory {
    entries: Vec<(RuleId, OffsetDateTime)>,
}

impl FailureHistory {
    /// A history that knows nothing: every failure is a fresh one.
    pub fn new() -> FailureHistory {
        FailureHistory::default()
    }

    /// Records that `rule` has been failing since `since` (replacing what
    /// was known of it).
    pub fn insert(&mut self, rule: RuleId, since: OffsetDateTime) {
        let since = since.to_offset(UtcOffset::UTC);
        match self.entries.iter_mut().find(|(r, _)| *r == rule) {
            Some(entry) => entry.1 = since,
            None => self.entries.push((rule, since)),
        }
    }

    /// Since when `rule` has been failing, when it is known to be.
    pub fn since(&self, rule: RuleId) -> Option<OffsetDateTime> {
        self.entries
            .iter()
            .find(|(r, _)| *r == rule)
            .map(|(_, since)| *since)
    }

    /// Every rule known to be failing, with its start.
    pub fn entries(&self) -> impl Iterator<Item = (RuleId, OffsetDateTime)> + '_ {
        self.entries.iter().copied()
    }

    /// The history once `verdict`, reached at `at`, is taken in: a rule
    /// that fails keeps its start, or starts failing at `at`; a rule that
    /// passes, or no longer applies, is cleared; a rule whose fact is
    /// unknown is left as it was (an unknown is neither a pass nor a
    /// failure); a rule the verdict does not name is cleared (the policy
    /// dropped it).
    pub fn after(&self, verdict: &Verdict, at: OffsetDateTime) -> FailureHistory {
        let mut next = FailureHistory::new();
        for finding in &verdict.findings {
            let known = self.since(finding.rule);
            if finding.failing_since.is_some() {
                next.insert(finding.rule, known.unwrap_or(at));
            } else if !matches!(finding.outcome, Outcome::Pass | Outcome::NotApplicable)
                && let Some(since) = known
            {
                next.insert(finding.rule, since);
            }
        }
        next
    }
}
