//! How far a collector's verdict can be trusted: where each fact it used
//! came from, the assurance level that follows, and where the report
//! disagreed with the attestation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::policy::{Outcome, RuleId};

/// Where the value a finding was decided on came from (protocol §5.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FactProvenance {
    /// Vouched for by a verified hardware attestation (the attested OS
    /// version, patch level, verified boot state, bootloader lock).
    Hardware,
    /// Read through an OS API on a device whose key is hardware-attested.
    Os,
    /// Stated by a device whose key is not hardware-attested.
    SelfReported,
    /// A local root or jailbreak indicator: a hint a modified device can hide.
    Heuristic,
    /// The fact was unknown.
    Unknown,
}

/// How well a verdict's facts are vouched for, weakest first
/// (protocol §5.3.1 gives the rule).
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssuranceLevel {
    /// No applicable fact was known.
    None,
    /// Only the device's word (or heuristics).
    SelfReported,
    /// Read through the OS of a device with a hardware-attested key.
    Os,
    /// At least one decisive fact vouched for by a hardware attestation.
    Hardware,
}

impl AssuranceLevel {
    /// Every level, weakest first.
    pub const ALL: [AssuranceLevel; 4] = [
        AssuranceLevel::None,
        AssuranceLevel::SelfReported,
        AssuranceLevel::Os,
        AssuranceLevel::Hardware,
    ];

    /// The level's wire name.
    pub fn name(self) -> &'static str {
        match self {
            AssuranceLevel::None => "none",
            AssuranceLevel::SelfReported => "self-reported",
            AssuranceLevel::Os => "os",
            AssuranceLevel::Hardware => "hardware",
        }
    }
}

impl fmt::Display for AssuranceLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An assurance level name that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown assurance level {0:?}: use none, self-reported, os or hardware")]
pub struct AssuranceLevelError(String);

impl FromStr for AssuranceLevel {
    type Err = AssuranceLevelError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        AssuranceLevel::ALL
            .into_iter()
            .find(|l| l.name() == text.trim())
            .ok_or_else(|| AssuranceLevelError(text.chars().take(32).collect()))
    }
}

/// One finding's fact and where its value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactRecord {
    /// The rule of the finding.
    pub rule: RuleId,
    /// The posture member the rule read (`security_patch`, `os.version`, ...).
    pub fact: String,
    /// Where its value came from.
    pub provenance: FactProvenance,
    /// The finding's outcome.
    pub outcome: Outcome,
    /// Set when the collector evaluated another value than the report's
    /// (an attested one): both values, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What the collector adds to its verdict on a report: the provenance of
/// each fact, the assurance level, and where the report and the device's
/// attestation disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// The verdict's assurance level.
    pub assurance: AssuranceLevel,
    /// One record per finding of the verdict.
    pub facts: Vec<FactRecord>,
    /// Facts the report states otherwise than the attestation; the verdict
    /// used the attested value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mismatches: Vec<AttestationMismatch>,
}

/// A fact the device reports otherwise than its key attestation says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationMismatch {
    /// Which fact (`os_patch_level`, `os_version`, `verified_boot_state`,
    /// `device_locked`).
    pub fact: String,
    /// The attested value (`YYYY-MM` for a patch level, `15` or `15.1`
    /// for an OS version, `true`/`false` for a flag).
    pub attested: String,
    /// The reported value, in the same form.
    pub reported: String,
    /// The `iat` of the report that said so.
    #[serde(with = "time::serde::rfc3339")]
    pub reported_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_and_named_as_on_the_wire() {
        assert!(AssuranceLevel::Hardware > AssuranceLevel::Os);
        assert!(AssuranceLevel::Os > AssuranceLevel::SelfReported);
        assert!(AssuranceLevel::SelfReported > AssuranceLevel::None);
        for level in AssuranceLevel::ALL {
            let wire = serde_json::to_value(level).unwrap();
            assert_eq!(wire.as_str(), Some(level.name()));
            assert_eq!(level.name().parse::<AssuranceLevel>().unwrap(), level);
        }
        let err = "tee".parse::<AssuranceLevel>().unwrap_err().to_string();
        assert!(err.contains("self-reported"), "{err}");
    }

    #[test]
    fn provenances_are_kebab_case() {
        let names: Vec<_> = [
            FactProvenance::Hardware,
            FactProvenance::Os,
            FactProvenance::SelfReported,
            FactProvenance::Heuristic,
            FactProvenance::Unknown,
        ]
        .iter()
        .map(|p| serde_json::to_value(p).unwrap())
        .collect();
        assert_eq!(
            serde_json::Value::Array(names),
            serde_json::json!(["hardware", "os", "self-reported", "heuristic", "unknown"])
        );
    }
}
