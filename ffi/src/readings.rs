//! What a phone shim reads, and the core's mappings that give it meaning.
//!
//! The readings records are agent-core's own (`AndroidReadings`,
//! `IosReadings`, `Reading`), derived behind its `uniffi` feature; this
//! module adds the enum a `PlatformProbe` returns and exports the mappings
//! and the path lists the shims check.

use agent_core::posture as core;
use agent_core::probe::{AndroidReadings, IosReadings, android, ios};
use time::OffsetDateTime;

use crate::posture::{IntegrityIndicator, Posture};

/// What a `PlatformProbe` read. One `collect` returning this enum rather
/// than one method per platform: a probe reads one platform, and the agent
/// maps whichever arrives.
// Made once per collect and moved straight into a mapping: boxing the
// larger variant would buy nothing, and uniffi lifts records by value.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PlatformReadings {
    /// An Android app's readings.
    Android {
        /// The framework values and system properties read.
        readings: AndroidReadings,
        /// Indicators from a platform attestation the host app ran itself
        /// (Play Integrity, checked by its own server), added as they are.
        attested: Vec<IntegrityIndicator>,
    },
    /// An iOS app's readings.
    Ios {
        /// The values read.
        readings: IosReadings,
    },
}

impl PlatformReadings {
    /// The posture these readings describe, collected at `at`.
    pub fn posture(self, at: OffsetDateTime) -> core::Posture {
        match self {
            PlatformReadings::Android { readings, attested } => android::android_posture(
                &readings,
                attested.into_iter().map(Into::into).collect(),
                at,
            ),
            PlatformReadings::Ios { readings } => ios::ios_posture(&readings, at),
        }
    }
}

/// The posture an Android app's readings describe, collected now: the
/// core's one Android mapping (the same the adb harness uses). `attested`
/// are indicators from a platform attestation the host app ran itself.
#[uniffi::export]
pub fn android_posture(readings: AndroidReadings, attested: Vec<IntegrityIndicator>) -> Posture {
    PlatformReadings::Android { readings, attested }
        .posture(OffsetDateTime::now_utc())
        .into()
}

/// The paths where a `su` binary lives on a rooted Android device: the
/// shim checks which exist and passes them back as a reading.
#[uniffi::export]
pub fn android_su_paths() -> Vec<String> {
    android::SU_PATHS.iter().map(|p| (*p).to_owned()).collect()
}

/// The paths that exist only on a jailbroken iOS device: the shim checks
/// which exist and passes them back as a reading.
#[uniffi::export]
pub fn ios_jailbreak_paths() -> Vec<String> {
    ios::JAILBREAK_PATHS
        .iter()
        .map(|(_, path)| (*path).to_owned())
        .collect()
}

/// Where the iOS shim tries to write outside its sandbox (and removes the
/// file if the write succeeded).
#[uniffi::export]
pub fn ios_sandbox_probe_path() -> String {
    ios::SANDBOX_PROBE_PATH.to_owned()
}

#[cfg(test)]
mod tests {
    use agent_core::posture::{Fact, IndicatorKind, Platform};
    use agent_core::probe::{AndroidReadings, IosReadings, android::AndroidReader};

    use super::*;
    use crate::posture::FactBool;

    const AT: OffsetDateTime = time::macros::datetime!(2026-11-26 10:00 UTC);

    #[test]
    fn each_platforms_readings_go_to_its_own_mapping() {
        let play = IntegrityIndicator {
            name: "play_integrity_device".into(),
            kind: IndicatorKind::PlatformAttestation,
            tripped: FactBool::Observed {
                value: false,
                source: "Play Integrity".into(),
            },
        };
        let android = PlatformReadings::Android {
            readings: AndroidReadings::none(AndroidReader::App),
            attested: vec![play.clone()],
        }
        .posture(AT);
        assert_eq!(android.platform, Platform::Android);
        assert_eq!(android.collected_at, AT);
        assert_eq!(android.integrity.last(), Some(&play.into()));
        let ios = PlatformReadings::Ios {
            readings: IosReadings::none(),
        }
        .posture(AT);
        assert_eq!(ios.platform, Platform::Ios);
        assert!(matches!(ios.screen_lock, Fact::Unknown { .. }));
    }

    #[test]
    fn the_path_lists_are_the_cores() {
        assert_eq!(android_su_paths().len(), android::SU_PATHS.len());
        assert!(ios_jailbreak_paths().contains(&"/bin/bash".to_owned()));
        assert_eq!(ios_sandbox_probe_path(), ios::SANDBOX_PROBE_PATH);
    }
}
