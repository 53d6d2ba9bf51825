//! Policy documents and their evaluation.
//!
//! A policy says what a compliant device looks like. The device evaluates
//! it locally so the person holding it gets an immediate answer with a fix;
//! the backend evaluates again, because a device can lie.

mod evaluate;
mod labels;
mod remediation;
mod strategy;

pub use evaluate::{
    Compliance, Finding, Outcome, PolicyRef, RuleId, Verdict, compliance_of, evaluate, evaluate_in,
    evaluate_with_history, evaluate_with_history_in, localise,
};
pub use strategy::{FailureHistory, Strategy};

use serde::{Deserialize, Serialize};
use time::Date;

use crate::posture::Platform;
use crate::quiet_hours::WorkingHoursBounds;
use crate::version::Version;

/// The policy schema version this agent reads.
pub const POLICY_SCHEMA_VERSION: u32 = 1;

/// Largest policy document accepted, in bytes.
pub const MAX_POLICY_BYTES: usize = 64 * 1024;

/// Largest `grace.days` and `max_age_days` accepted: ten years.
const MAX_DAYS: u32 = 3650;

/// Largest `auto_lock` maximum accepted, in seconds: a day.
const MAX_AUTO_LOCK_SECONDS: u32 = 86_400;

/// The default policy, embedded at build time.
#[cfg(feature = "toml")]
const DEFAULT_POLICY_TOML: &str = include_str!("../../policies/default.toml");

/// The same policy as JSON, converted by `build.rs`: what
/// [`Policy::default_policy`] reads, with or without the `toml` feature.
const DEFAULT_POLICY_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/default_policy.json"));

/// A posture policy.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Schema version ([`POLICY_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Short name of the policy.
    pub name: String,
    /// Revision, raised by the backend whenever the policy changes.
    pub revision: u32,
    /// What the policy is for, in a sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Grace period for fresh failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace: Option<Grace>,
    /// Bounds on the working hours a person may set; the agent prompts
    /// only within them. Absent: any hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_hours: Option<WorkingHoursBounds>,
    /// The rules.
    pub rules: Rules,
}

/// Turns a fresh failure into a warning with a deadline.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grace {
    /// Days after a failure begins during which it is only a warning.
    pub days: u32,
}

/// What an Unknown fact counts as under a rule.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownOutcome {
    /// Unknown passes.
    Pass,
    /// Unknown is a warning.
    Warn,
    /// Unknown fails.
    Fail,
}

/// The rules of a policy; a rule left out is not checked.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Minimum OS versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<OsVersionRule>,
    /// Maximum Android security patch age.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_patch: Option<PatchRule>,
    /// Storage encryption required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_encryption: Option<FlagRule>,
    /// Secure screen lock required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_lock: Option<FlagRule>,
    /// The longest the screen may stay unlocked without input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_lock: Option<AutoLockRule>,
    /// Developer mode forbidden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_mode: Option<FlagRule>,
    /// USB debugging forbidden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usb_debugging: Option<FlagRule>,
    /// Integrity indicators forbidden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrity: Option<FlagRule>,
}

/// Minimum OS versions per platform.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsVersionRule {
    /// What an unknown OS version (or an OS the policy does not list) counts as.
    pub unknown: UnknownOutcome,
    /// Minimums, one entry per platform (and Linux distribution).
    pub minimum: Vec<OsMinimum>,
    /// When these minimums took effect: a failure begins no earlier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Date>,
    /// What a failure of this rule does; absent: `warn-then-block` when the
    /// policy has `grace`, else `block`, with the start of a failure taken
    /// only from the posture and `since`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// Grace days under `warn-then-block`; the policy's `grace.days` when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_days: Option<u32>,
}

/// The minimum versions for one platform or distribution.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsMinimum {
    /// The platform.
    pub platform: Platform,
    /// The posture's `os.id` this entry is for: on Linux the os-release
    /// `ID` ("debian", "rhel"), also matched through `ID_LIKE`; absent for
    /// every OS of the platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_id: Option<String>,
    /// The oldest release allowed on each supported release line, e.g.
    /// `["17.6", "18.1"]`: 17.x needs 17.6, 18.x needs 18.1, 19 and later
    /// pass, 16 fails. A single-component entry ("13") is a plain floor.
    /// `docs/policy.md` gives the exact rule.
    pub versions: Vec<String>,
}

/// Maximum age of the Android security patch level.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchRule {
    /// Allowed age in days before the reference date.
    pub max_age_days: u32,
    /// Fixed reference date; the evaluation date when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Date>,
    /// What an unknown patch level counts as.
    pub unknown: UnknownOutcome,
    /// Platforms the rule applies to (all when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platforms: Option<Vec<Platform>>,
    /// When the rule took effect: a failure begins no earlier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Date>,
    /// What a failure of this rule does; absent: `warn-then-block` when the
    /// policy has `grace`, else `block`, with the start of a failure taken
    /// only from the posture and `since`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// Grace days under `warn-then-block`; the policy's `grace.days` when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_days: Option<u32>,
}

/// How soon the screen must lock by itself, per platform.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoLockRule {
    /// What an unknown auto-lock time counts as.
    pub unknown: UnknownOutcome,
    /// The longest allowed inactivity per platform; a platform no entry
    /// names is not checked.
    pub maximum: Vec<AutoLockMaximum>,
    /// When the rule took effect: a failure begins no earlier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Date>,
    /// What a failure of this rule does; absent: `warn-then-block` when the
    /// policy has `grace`, else `block`, with the start of a failure taken
    /// only from the posture and `since`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// Grace days under `warn-then-block`; the policy's `grace.days` when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_days: Option<u32>,
}

/// The longest inactivity before the screen locks, on some platforms.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoLockMaximum {
    /// The platforms this maximum is for.
    pub platforms: Vec<Platform>,
    /// Seconds without input after which the screen must be locked.
    pub seconds: u32,
}

/// A rule that requires a good state (encryption on, lock set) or forbids a
/// bad one (developer mode, USB debugging, integrity indicators).
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagRule {
    /// What an unknown fact counts as.
    pub unknown: UnknownOutcome,
    /// Platforms the rule applies to (all when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platforms: Option<Vec<Platform>>,
    /// When the rule took effect: a failure begins no earlier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Date>,
    /// What a failure of this rule does; absent: `warn-then-block` when the
    /// policy has `grace`, else `block`, with the start of a failure taken
    /// only from the posture and `since`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// Grace days under `warn-then-block`; the policy's `grace.days` when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_days: Option<u32>,
}

/// What every rule has besides its own check: when it took effect, its
/// strategy and its grace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RuleSettings {
    /// The rule's `since`.
    pub(crate) since: Option<Date>,
    /// The rule's `strategy`, when it names one.
    pub(crate) strategy: Option<Strategy>,
    /// The rule's `grace_days`.
    pub(crate) grace_days: Option<u32>,
}

macro_rules! rule_settings {
    ($($rule:ty),*) => {$(
        impl $rule {
            /// The rule's `since`, `strategy` and `grace_days`.
            pub(crate) fn settings(&self) -> RuleSettings {
                RuleSettings {
                    since: self.since,
                    strategy: self.strategy,
                    grace_days: self.grace_days,
                }
            }
        }
    )*};
}

rule_settings!(OsVersionRule, PatchRule, AutoLockRule, FlagRule);

/// Why a policy could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The document is larger than [`MAX_POLICY_BYTES`].
    #[error("policy is {0} bytes; the limit is {MAX_POLICY_BYTES}")]
    TooLarge(usize),
    /// The TOML is malformed or has an unknown or missing field.
    #[cfg(feature = "toml")]
    #[error("policy is not valid TOML for schema {POLICY_SCHEMA_VERSION}: {0}")]
    Toml(#[from] toml::de::Error),
    /// The JSON is malformed or has an unknown or missing field.
    #[error("policy is not valid JSON for schema {POLICY_SCHEMA_VERSION}: {0}")]
    Json(#[from] serde_json::Error),
    /// The schema version is not one this agent reads.
    #[error(
        "policy schema_version {found} is not supported; this agent reads version {POLICY_SCHEMA_VERSION}"
    )]
    UnsupportedSchema {
        /// The version found.
        found: u32,
    },
    /// A field parsed but its value makes no sense.
    #[error("policy field `{field}` is invalid: {reason}")]
    Invalid {
        /// Dotted path of the field.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The format of a policy document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyFormat {
    /// TOML (feature `toml`).
    #[cfg(feature = "toml")]
    Toml,
    /// JSON.
    Json,
}

impl Policy {
    /// The default policy shipped with the agent.
    pub fn default_policy() -> Policy {
        match Policy::parse(DEFAULT_POLICY_JSON, PolicyFormat::Json) {
            Ok(policy) => policy,
            // The embedded file is checked by a unit test; this cannot happen
            // in a tested build, and an empty policy is the safe fallback.
            Err(_) => Policy {
                schema_version: POLICY_SCHEMA_VERSION,
                name: "empty".into(),
                revision: 0,
                description: None,
                grace: None,
                working_hours: None,
                rules: Rules::default(),
            },
        }
    }

    /// The default policy as TOML text, for people to copy and edit.
    #[cfg(feature = "toml")]
    pub fn default_toml() -> &'static str {
        DEFAULT_POLICY_TOML
    }

    /// Parses a policy document and checks it.
    pub fn parse(text: &str, format: PolicyFormat) -> Result<Policy, PolicyError> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(PolicyError::TooLarge(text.len()));
        }
        // Read the schema version first, so a future document gets a clear
        // "unsupported version" rather than an unknown-field error.
        #[derive(Deserialize)]
        struct Head {
            schema_version: Option<u32>,
        }
        let head: Head = match format {
            #[cfg(feature = "toml")]
            PolicyFormat::Toml => toml::from_str(text)?,
            PolicyFormat::Json => crate::json::from_str(text)?,
        };
        if let Some(found) = head.schema_version
            && found != POLICY_SCHEMA_VERSION
        {
            return Err(PolicyError::UnsupportedSchema { found });
        }
        let policy: Policy = match format {
            #[cfg(feature = "toml")]
            PolicyFormat::Toml => toml::from_str(text)?,
            PolicyFormat::Json => crate::json::from_str(text)?,
        };
        policy.validate()?;
        Ok(policy)
    }

    /// Checks values that parse but make no sense, or that would make the
    /// evaluation depend on the order of entries.
    fn validate(&self) -> Result<(), PolicyError> {
        let invalid = |field: String, reason: String| PolicyError::Invalid { field, reason };
        if let Some(grace) = &self.grace
            && grace.days > MAX_DAYS
        {
            return Err(invalid(
                "grace.days".into(),
                format!("{} days is more than ten years", grace.days),
            ));
        }
        if let Some(bounds) = &self.working_hours {
            bounds
                .validate()
                .map_err(|(field, reason)| invalid(field, reason))?;
        }
        for (name, settings) in self.rule_settings() {
            let field = format!("rules.{name}.grace_days");
            match (settings.strategy, settings.grace_days) {
                (Some(Strategy::WarnThenBlock), Some(days)) if days > MAX_DAYS => {
                    return Err(invalid(
                        field,
                        format!("{days} days is more than ten years"),
                    ));
                }
                (Some(Strategy::WarnThenBlock), None) if self.grace.is_none() => {
                    return Err(invalid(
                        format!("rules.{name}.strategy"),
                        "warn-then-block needs grace days: set `grace_days` here or `grace.days` for the policy".into(),
                    ));
                }
                (Some(Strategy::WarnThenBlock), _) | (_, None) => {}
                (strategy, Some(_)) => {
                    let named = strategy.map_or("no strategy", Strategy::name);
                    return Err(invalid(
                        field,
                        format!(
                            "grace days apply only to `strategy = \"warn-then-block\"`, and this rule has {named}"
                        ),
                    ));
                }
            }
        }
        if let Some(rule) = &self.rules.os_version {
            for (i, min) in rule.minimum.iter().enumerate() {
                let at = format!("rules.os_version.minimum[{i}]");
                if let Some(id) = &min.os_id
                    && (id.is_empty()
                        || !id.chars().all(|c| {
                            c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c)
                        }))
                {
                    return Err(invalid(
                        format!("{at}.os_id"),
                        format!(
                            "{id:?} is not an os-release ID (lower-case a-z, 0-9, '.', '_', '-')"
                        ),
                    ));
                }
                if let Some(j) = rule.minimum[..i]
                    .iter()
                    .position(|m| m.platform == min.platform && m.os_id == min.os_id)
                {
                    return Err(invalid(
                        at,
                        format!("repeats minimum[{j}] (same platform and os_id): merge them"),
                    ));
                }
                let field = format!("{at}.versions");
                if min.versions.is_empty() {
                    return Err(invalid(field, "lists no version".into()));
                }
                let mut parsed: Vec<Version> = Vec::with_capacity(min.versions.len());
                for v in &min.versions {
                    let v = Version::parse(v).map_err(|e| invalid(field.clone(), e.to_string()))?;
                    let line = v.line();
                    if let Some(other) = parsed.iter().find(|o| line.is_some() && o.line() == line)
                    {
                        return Err(invalid(
                            field,
                            format!("{other} and {v} name the same release line: keep one"),
                        ));
                    }
                    parsed.push(v);
                }
            }
        }
        if let Some(rule) = &self.rules.auto_lock {
            let mut seen: Vec<(Platform, String)> = Vec::new();
            for (i, max) in rule.maximum.iter().enumerate() {
                let at = format!("rules.auto_lock.maximum[{i}]");
                if max.platforms.is_empty() {
                    return Err(invalid(
                        format!("{at}.platforms"),
                        "lists no platform".into(),
                    ));
                }
                if max.seconds > MAX_AUTO_LOCK_SECONDS {
                    return Err(invalid(
                        format!("{at}.seconds"),
                        format!("{} seconds is more than a day", max.seconds),
                    ));
                }
                for platform in &max.platforms {
                    if let Some((_, first)) = seen.iter().find(|(p, _)| p == platform) {
                        return Err(invalid(
                            format!("{at}.platforms"),
                            format!(
                                "{platform} already has a maximum in {first}: give each platform one"
                            ),
                        ));
                    }
                    seen.push((*platform, at.clone()));
                }
            }
        }
        if let Some(rule) = &self.rules.security_patch
            && rule.max_age_days > MAX_DAYS
        {
            return Err(invalid(
                "rules.security_patch.max_age_days".into(),
                format!("{} days is more than ten years", rule.max_age_days),
            ));
        }
        Ok(())
    }

    /// Each rule present, by its name in `rules`, with its settings.
    fn rule_settings(&self) -> Vec<(&'static str, RuleSettings)> {
        let r = &self.rules;
        [
            (
                "os_version",
                r.os_version.as_ref().map(OsVersionRule::settings),
            ),
            (
                "security_patch",
                r.security_patch.as_ref().map(PatchRule::settings),
            ),
            (
                "storage_encryption",
                r.storage_encryption.as_ref().map(FlagRule::settings),
            ),
            (
                "screen_lock",
                r.screen_lock.as_ref().map(FlagRule::settings),
            ),
            (
                "auto_lock",
                r.auto_lock.as_ref().map(AutoLockRule::settings),
            ),
            (
                "developer_mode",
                r.developer_mode.as_ref().map(FlagRule::settings),
            ),
            (
                "usb_debugging",
                r.usb_debugging.as_ref().map(FlagRule::settings),
            ),
            ("integrity", r.integrity.as_ref().map(FlagRule::settings)),
        ]
        .into_iter()
        .filter_map(|(name, settings)| settings.map(|s| (name, s)))
        .collect()
    }

    /// Serialises the policy as JSON (the form the backend sends).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
