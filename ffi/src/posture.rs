//! The posture as uniffi records.
//!
//! agent-core's `Fact<T>` is generic and uniffi has no generics, so each
//! `Fact<T>` the posture uses has a concrete mirror here (`FactText`,
//! `FactBool`, ...) with the same two cases, `Observed { value, source }`
//! and `Unknown { reason }`: Kotlin sees a sealed class, Swift an enum with
//! associated values, Python a tagged class. The records that contain facts
//! (`Posture`, `OsFacts`, `IntegrityIndicator`) are mirrored too; their
//! value types (`StorageEncryption`, `Tpm`, ...) are agent-core's own. Every
//! conversion is a field-by-field move, both ways.

use agent_core::posture::{
    self as core, AutoLock, Fact, HardwareKeyStore, IndicatorKind, Platform, ScreenLock,
    SecurityPatch, StorageEncryption, Tpm,
};
use agent_core::uniffi_types::Timestamp;

/// Declares the concrete mirror of `Fact<$value>` and its conversions.
macro_rules! fact_mirror {
    ($(#[$doc:meta])* $name:ident, $value:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
        pub enum $name {
            /// The fact was read from the named source.
            Observed {
                /// The value read.
                value: $value,
                /// The API, file or command the value came from.
                source: String,
            },
            /// The fact could not be read.
            Unknown {
                /// Why the probe could not read it.
                reason: String,
            },
        }

        impl From<Fact<$value>> for $name {
            fn from(fact: Fact<$value>) -> Self {
                match fact {
                    Fact::Observed { value, source } => $name::Observed { value, source },
                    Fact::Unknown { reason } => $name::Unknown { reason },
                }
            }
        }

        impl From<$name> for Fact<$value> {
            fn from(fact: $name) -> Self {
                match fact {
                    $name::Observed { value, source } => Fact::Observed { value, source },
                    $name::Unknown { reason } => Fact::Unknown { reason },
                }
            }
        }
    };
}

fact_mirror!(
    /// A text fact (OS id, name, version, build, kernel).
    FactText,
    String
);
fact_mirror!(
    /// A yes/no fact (developer mode, USB debugging, secure boot, an indicator).
    FactBool,
    bool
);
fact_mirror!(
    /// The security patch level fact; the value is `YYYY-MM-DD`.
    FactSecurityPatch,
    SecurityPatch
);
fact_mirror!(
    /// The storage encryption fact.
    FactStorageEncryption,
    StorageEncryption
);
fact_mirror!(
    /// The screen lock fact.
    FactScreenLock,
    ScreenLock
);
fact_mirror!(
    /// The auto-lock fact: how soon the screen locks by itself.
    FactAutoLock,
    AutoLock
);
fact_mirror!(
    /// The hardware key store fact.
    FactHardwareKeyStore,
    HardwareKeyStore
);
fact_mirror!(
    /// The TPM fact.
    FactTpm,
    Tpm
);

/// Operating system facts.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OsFacts {
    /// Machine-readable OS id ("debian", "android", "ios", "macos", "windows").
    pub id: FactText,
    /// OS name as the vendor writes it.
    pub name: FactText,
    /// OS version ("14", "17.6.1").
    pub version: FactText,
    /// OS build identifier.
    pub build: FactText,
    /// Kernel release.
    pub kernel: FactText,
    /// On Linux, os-release `ID_LIKE` in its order (empty elsewhere).
    #[uniffi(default)]
    pub id_like: Vec<String>,
}

/// One named integrity indicator.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IntegrityIndicator {
    /// Stable name, e.g. "su_binary", "test_keys_build".
    pub name: String,
    /// Heuristic or attested.
    pub kind: IndicatorKind,
    /// Whether the indicator is tripped (true = sign of a modified device).
    pub tripped: FactBool,
}

/// A device's security posture at one moment.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Posture {
    /// Schema version of this document.
    pub schema_version: u32,
    /// The device's platform.
    pub platform: Platform,
    /// Operating system facts.
    pub os: OsFacts,
    /// Android security patch level (other platforms: Unknown).
    pub security_patch: FactSecurityPatch,
    /// Storage encryption of the data volume.
    pub storage_encryption: FactStorageEncryption,
    /// Whether a secure screen lock is set.
    pub screen_lock: FactScreenLock,
    /// How soon the screen locks by itself.
    pub auto_lock: FactAutoLock,
    /// Whether developer mode / developer options are on.
    pub developer_mode: FactBool,
    /// Whether USB debugging (adb) is on.
    pub usb_debugging: FactBool,
    /// Integrity indicators (root, jailbreak, modified system), each named.
    pub integrity: Vec<IntegrityIndicator>,
    /// The strongest hardware-backed key store the device offers.
    pub hardware_key_store: FactHardwareKeyStore,
    /// Whether UEFI Secure Boot is enabled (desktops).
    pub secure_boot: FactBool,
    /// The TPM visible to the OS (desktops).
    pub tpm: FactTpm,
    /// Version of the agent that collected this posture.
    pub agent_version: String,
    /// When the posture was collected.
    pub collected_at: Timestamp,
}

/// The posture schema version this library writes: a foreign probe puts it
/// in the `Posture` it returns, so the number lives in one place (the core).
#[uniffi::export]
pub fn posture_schema_version() -> u32 {
    core::POSTURE_SCHEMA_VERSION
}

/// The posture an Android app's readings describe, collected now: the
/// core's one Android mapping (the same the adb harness uses). `attested`
/// are indicators from a platform attestation the host app ran itself.
#[uniffi::export]
pub fn android_posture(
    readings: agent_core::probe::android::AndroidReadings,
    attested: Vec<IntegrityIndicator>,
) -> Posture {
    agent_core::probe::android::android_posture(
        &readings,
        attested.into_iter().map(Into::into).collect(),
        time::OffsetDateTime::now_utc(),
    )
    .into()
}

/// The paths where a `su` binary lives on a rooted Android device: the
/// shim checks which exist and passes them back as a reading.
#[uniffi::export]
pub fn android_su_paths() -> Vec<String> {
    agent_core::probe::android::SU_PATHS
        .iter()
        .map(|p| (*p).to_owned())
        .collect()
}

impl From<core::OsFacts> for OsFacts {
    fn from(os: core::OsFacts) -> Self {
        OsFacts {
            id: os.id.into(),
            name: os.name.into(),
            version: os.version.into(),
            build: os.build.into(),
            kernel: os.kernel.into(),
            id_like: os.id_like,
        }
    }
}

impl From<OsFacts> for core::OsFacts {
    fn from(os: OsFacts) -> Self {
        core::OsFacts {
            id: os.id.into(),
            id_like: os.id_like,
            name: os.name.into(),
            version: os.version.into(),
            build: os.build.into(),
            kernel: os.kernel.into(),
        }
    }
}

impl From<core::IntegrityIndicator> for IntegrityIndicator {
    fn from(i: core::IntegrityIndicator) -> Self {
        IntegrityIndicator {
            name: i.name,
            kind: i.kind,
            tripped: i.tripped.into(),
        }
    }
}

impl From<IntegrityIndicator> for core::IntegrityIndicator {
    fn from(i: IntegrityIndicator) -> Self {
        core::IntegrityIndicator {
            name: i.name,
            kind: i.kind,
            tripped: i.tripped.into(),
        }
    }
}

impl From<core::Posture> for Posture {
    fn from(p: core::Posture) -> Self {
        Posture {
            schema_version: p.schema_version,
            platform: p.platform,
            os: p.os.into(),
            security_patch: p.security_patch.into(),
            storage_encryption: p.storage_encryption.into(),
            screen_lock: p.screen_lock.into(),
            auto_lock: p.auto_lock.into(),
            developer_mode: p.developer_mode.into(),
            usb_debugging: p.usb_debugging.into(),
            integrity: p.integrity.into_iter().map(Into::into).collect(),
            hardware_key_store: p.hardware_key_store.into(),
            secure_boot: p.secure_boot.into(),
            tpm: p.tpm.into(),
            agent_version: p.agent_version,
            collected_at: p.collected_at,
        }
    }
}

impl From<Posture> for core::Posture {
    fn from(p: Posture) -> Self {
        core::Posture {
            schema_version: p.schema_version,
            platform: p.platform,
            os: p.os.into(),
            security_patch: p.security_patch.into(),
            storage_encryption: p.storage_encryption.into(),
            screen_lock: p.screen_lock.into(),
            auto_lock: p.auto_lock.into(),
            developer_mode: p.developer_mode.into(),
            usb_debugging: p.usb_debugging.into(),
            integrity: p.integrity.into_iter().map(Into::into).collect(),
            hardware_key_store: p.hardware_key_store.into(),
            secure_boot: p.secure_boot.into(),
            tpm: p.tpm.into(),
            agent_version: p.agent_version,
            collected_at: p.collected_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exported_schema_version_is_the_cores() {
        let p = core::Posture::unknown(
            Platform::Ios,
            "not read in this test",
            time::macros::datetime!(2026-11-02 10:00 UTC),
        );
        assert_eq!(posture_schema_version(), p.schema_version);
    }

    #[test]
    fn a_posture_round_trips_through_the_mirror_unchanged() {
        let mut p = core::Posture::unknown(
            Platform::Android,
            "not read in this test",
            time::macros::datetime!(2026-11-02 10:00 UTC),
        );
        p.security_patch = Fact::observed(
            SecurityPatch::parse("2026-10-05").unwrap(),
            "Build.VERSION.SECURITY_PATCH",
        );
        p.storage_encryption = Fact::observed(
            StorageEncryption::Encrypted {
                method: "file-based".into(),
            },
            "DevicePolicyManager",
        );
        p.developer_mode = Fact::observed(false, "Settings.Global");
        p.auto_lock = Fact::observed(AutoLock::After { seconds: 35 }, "Settings.System");
        p.tpm = Fact::observed(Tpm::Present { version: None }, "test");
        p.integrity.push(core::IntegrityIndicator {
            name: "su_binary".into(),
            kind: IndicatorKind::Heuristic,
            tripped: Fact::observed(true, "/system/xbin/su"),
        });
        let mirrored = Posture::from(p.clone());
        assert_eq!(core::Posture::from(mirrored), p);
    }
}
