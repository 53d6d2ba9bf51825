//! The value types that posture facts carry.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::Date;
use time::macros::format_description;

use super::Fact;

/// A device platform.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Android phones and tablets.
    Android,
    /// iPhone and iPad.
    Ios,
    /// Linux desktops and laptops.
    Linux,
    /// Macs.
    Macos,
    /// Windows PCs.
    Windows,
}

impl Platform {
    /// The platform this binary was built for, if it is one the agent knows.
    pub fn current() -> Option<Platform> {
        if cfg!(target_os = "android") {
            Some(Platform::Android)
        } else if cfg!(target_os = "ios") {
            Some(Platform::Ios)
        } else if cfg!(target_os = "linux") {
            Some(Platform::Linux)
        } else if cfg!(target_os = "macos") {
            Some(Platform::Macos)
        } else if cfg!(target_os = "windows") {
            Some(Platform::Windows)
        } else {
            None
        }
    }

    /// The name people know the platform by.
    pub fn display_name(self) -> &'static str {
        match self {
            Platform::Android => "Android",
            Platform::Ios => "iOS",
            Platform::Linux => "Linux",
            Platform::Macos => "macOS",
            Platform::Windows => "Windows",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// Operating system facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsFacts {
    /// Machine-readable OS id ("debian", "android", "ios", "macos", "windows").
    pub id: Fact<String>,
    /// On Linux, os-release `ID_LIKE` in its order: the distributions this
    /// one derives from, closest first. Empty when there is none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    /// OS name as the vendor writes it.
    pub name: Fact<String>,
    /// OS version ("14", "17.6.1", "12", "10.0.22631.4317").
    pub version: Fact<String>,
    /// OS build identifier.
    pub build: Fact<String>,
    /// Kernel release.
    pub kernel: Fact<String>,
}

/// An Android security patch level: the date of the newest security bulletin
/// the device's software includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecurityPatch(pub Date);

/// Why a security patch level could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("security patch level {0:?} is not a YYYY-MM-DD date")]
pub struct PatchParseError(String);

impl SecurityPatch {
    /// Parses "YYYY-MM-DD", as Android's `ro.build.version.security_patch`.
    pub fn parse(text: &str) -> Result<SecurityPatch, PatchParseError> {
        let fmt = format_description!("[year]-[month]-[day]");
        let trimmed = text.trim();
        Date::parse(trimmed, fmt)
            .map(SecurityPatch)
            .map_err(|_| PatchParseError(trimmed.chars().take(32).collect()))
    }
}

impl fmt::Display for SecurityPatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = (self.0.year(), u8::from(self.0.month()), self.0.day());
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for SecurityPatch {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SecurityPatch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        SecurityPatch::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Storage encryption state of the data volume.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
pub enum StorageEncryption {
    /// Encrypted, with the method ("LUKS2 (dm-crypt)", "FileVault", "file-based").
    Encrypted {
        /// How the volume is encrypted.
        method: String,
    },
    /// Not encrypted.
    NotEncrypted,
}

/// Whether a secure screen lock (PIN, password, pattern, biometrics backed by
/// one) protects the device.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScreenLock {
    /// A secure lock is set.
    Set,
    /// No secure lock is set (none, swipe, or never locks).
    NotSet,
}

/// How long the device stays unlocked without input before its screen
/// locks by itself: the idle time plus any delay before the lock (GNOME's
/// `lock-delay`, KDE's `LockGrace`, Android's lock-after-timeout, macOS's
/// password delay), where the platform has one.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
pub enum AutoLock {
    /// The screen locks after this many seconds without input.
    After {
        /// Seconds of inactivity before the lock.
        seconds: u32,
    },
    /// The screen never locks by itself (automatic lock off, or the screen
    /// never blanks).
    Never,
}

impl AutoLock {
    /// The lock after `idle` seconds plus `delay` seconds, saturating: a sum
    /// past `u32::MAX` seconds (136 years) is as good as never for a policy.
    pub fn after(idle: u32, delay: u32) -> AutoLock {
        AutoLock::After {
            seconds: idle.saturating_add(delay),
        }
    }
}

impl fmt::Display for AutoLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AutoLock::Never => f.write_str("never locks by itself"),
            AutoLock::After { seconds } if seconds % 60 == 0 && *seconds > 0 => {
                write!(f, "locks after {} min", seconds / 60)
            }
            AutoLock::After { seconds } if *seconds >= 60 => {
                write!(f, "locks after {} min {} s", seconds / 60, seconds % 60)
            }
            AutoLock::After { seconds } => write!(f, "locks after {seconds} s"),
        }
    }
}

/// How an integrity indicator was obtained.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// A local heuristic (a file exists, a build flag is set): a strong hint,
    /// not proof, and a rooted device can hide it.
    Heuristic,
    /// A verdict from a platform attestation service (e.g. Play Integrity).
    PlatformAttestation,
}

/// One named integrity indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrityIndicator {
    /// Stable name, e.g. "su_binary", "test_keys_build", "ro_debuggable".
    pub name: String,
    /// Heuristic or attested.
    pub kind: IndicatorKind,
    /// Whether the indicator is tripped (true = sign of a modified device).
    pub tripped: Fact<bool>,
}

/// The strongest hardware-backed key store a device offers.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HardwareKeyStore {
    /// Android StrongBox (a separate secure element).
    StrongBox,
    /// A trusted execution environment (Android TEE-backed Keystore).
    Tee,
    /// Apple Secure Enclave.
    SecureEnclave,
    /// A Trusted Platform Module.
    Tpm,
    /// None: keys live in software.
    None,
}

/// The TPM the operating system can see.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
pub enum Tpm {
    /// A TPM is present.
    Present {
        /// TPM specification major version ("2", "1.2"), when the OS says.
        version: Option<String>,
    },
    /// No TPM is visible to the OS.
    Absent,
}
