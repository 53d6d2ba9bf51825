//! `--target profile:FILE`: a virtual device described in TOML.
//!
//! ```toml
//! name = "Android 14, patched five days ago, PIN set"
//! platform = "android"
//! os_version = "14"
//! security_patch = "-5d"          # days before now, "today" or YYYY-MM-DD
//! storage_encryption = "file-based (FBE)"   # or "none"
//! screen_lock = true
//! auto_lock = 35                  # seconds without input before it locks, or "never"
//! developer_mode = false
//! usb_debugging = false
//! integrity = [{ name = "su_binary", tripped = false }]
//! hardware_key_store = "tee"
//! expected = "compliant"          # under the default policy
//! ```
//!
//! A relative patch date keeps a profile's verdict the same whenever it is
//! evaluated; a fixed old date stays too old forever. A field left out is an
//! Unknown fact, as a probe that could not read it would report.

use std::path::{Path, PathBuf};

use agent_core::policy::Compliance;
use agent_core::posture::{
    AutoLock, Fact, HardwareKeyStore, IndicatorKind, IntegrityIndicator, OsFacts, Platform,
    Posture, ScreenLock, SecurityPatch, StorageEncryption, Tpm,
};
use agent_core::probe::PostureProbe;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::files::{FileError, MAX_PROFILE_BYTES};

/// Declares the shipped profiles by file name, embedding each file.
macro_rules! shipped {
    ($($file:literal),* $(,)?) => {
        /// The shipped profiles: file name and TOML text (embedded, so an
        /// installed binary needs no data folder).
        pub const SHIPPED: &[(&str, &str)] = &[
            $(($file, include_str!(concat!("../../profiles/", $file))),)*
        ];
    };
}

shipped![
    "android-auto-lock-late.toml",
    "android-compliant.toml",
    "android-developer-mode.toml",
    "android-lock-unknown.toml",
    "android-no-lock.toml",
    "android-old-patch.toml",
    "android-outdated-os.toml",
    "android-patch-grace.toml",
    "android-rooted.toml",
    "android-unencrypted.toml",
    "ios-compliant.toml",
    "ios-jailbroken.toml",
    "ios-no-passcode.toml",
    "ios-outdated.toml",
    "linux-compliant.toml",
    "linux-unencrypted.toml",
    "macos-outdated.toml",
    "windows-compliant.toml",
];

/// The shipped profile called `name`, with or without `.toml`.
pub fn shipped_named(name: &str) -> Option<(&'static str, &'static str)> {
    SHIPPED
        .iter()
        .find(|(file, _)| *file == name || file.strip_suffix(".toml") == Some(name))
        .copied()
}

/// The shipped profiles' names, for a message.
fn shipped_names() -> String {
    SHIPPED
        .iter()
        .map(|(file, _)| file.trim_end_matches(".toml"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A virtual device.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// What the device is, in words.
    pub name: String,
    /// Its platform.
    pub platform: Platform,
    /// OS id; defaults to the platform's ("android", "ios", "macos", "windows").
    #[serde(default)]
    pub os_id: Option<String>,
    /// OS name; defaults to the platform's display name.
    #[serde(default)]
    pub os_name: Option<String>,
    /// OS version.
    #[serde(default)]
    pub os_version: Option<String>,
    /// Security patch level: "YYYY-MM-DD", "today" or "-Nd" (N days before now).
    #[serde(default)]
    pub security_patch: Option<String>,
    /// Encryption method, or "none".
    #[serde(default)]
    pub storage_encryption: Option<String>,
    /// Whether a secure screen lock is set.
    #[serde(default)]
    pub screen_lock: Option<bool>,
    /// Seconds without input before the screen locks, or "never".
    #[serde(default)]
    pub auto_lock: Option<ProfileAutoLock>,
    /// Whether developer mode is on.
    #[serde(default)]
    pub developer_mode: Option<bool>,
    /// Whether USB debugging is on.
    #[serde(default)]
    pub usb_debugging: Option<bool>,
    /// Integrity heuristics checked.
    #[serde(default)]
    pub integrity: Vec<ProfileIndicator>,
    /// The hardware key store.
    #[serde(default)]
    pub hardware_key_store: Option<HardwareKeyStore>,
    /// Whether UEFI Secure Boot is on (desktops).
    #[serde(default)]
    pub secure_boot: Option<bool>,
    /// TPM version ("2.0"), or "absent" (desktops).
    #[serde(default)]
    pub tpm: Option<String>,
    /// The verdict the default policy gives this device.
    pub expected: Compliance,
}

/// A profile's auto-lock: seconds, or the word "never".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ProfileAutoLock {
    /// Locks after this many seconds without input.
    Seconds(u32),
    /// `"never"`.
    Word(Never),
}

/// The one word a profile's `auto_lock` may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Never {
    /// Never locks by itself.
    Never,
}

/// One integrity heuristic of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileIndicator {
    /// Its name ("su_binary").
    pub name: String,
    /// Whether it is tripped.
    pub tripped: bool,
}

/// Why a profile could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file was refused or could not be read.
    #[error("profile: {0}")]
    File(#[from] FileError),
    /// Neither a file nor a shipped profile has this name.
    #[error(
        "profile {0:?}: no such file, and no shipped profile of that name; the shipped ones are {1}"
    )]
    NotFound(String, String),
    /// Not valid profile TOML (the message names the field).
    #[error("profile {0}: {1}")]
    Toml(PathBuf, toml::de::Error),
    /// A field parsed but its value is invalid.
    #[error("profile {0}: field `{1}`: {2}")]
    Invalid(PathBuf, &'static str, String),
}

/// Reads and checks a profile file.
pub fn load_profile(path: &Path) -> Result<Profile, ProfileError> {
    let text = crate::files::read_text(path, MAX_PROFILE_BYTES, "a device profile")?;
    parse_profile(&text, path)
}

/// Parses and checks a profile's text; `path` names it in errors.
fn parse_profile(text: &str, path: &Path) -> Result<Profile, ProfileError> {
    let profile: Profile =
        toml::from_str(text).map_err(|e| ProfileError::Toml(path.to_owned(), e))?;
    if let Some(p) = &profile.security_patch {
        patch_at(p, OffsetDateTime::now_utc())
            .map_err(|e| ProfileError::Invalid(path.to_owned(), "security_patch", e))?;
    }
    Ok(profile)
}

/// Resolves a patch level written as a date, "today" or "-Nd".
fn patch_at(text: &str, now: OffsetDateTime) -> Result<SecurityPatch, String> {
    let today = now.date();
    if text == "today" {
        return Ok(SecurityPatch(today));
    }
    if let Some(days) = text.strip_prefix('-').and_then(|t| t.strip_suffix('d')) {
        let n: i64 = days.parse().map_err(|_| format!("{text:?} is not -Nd"))?;
        return today
            .checked_sub(Duration::days(n))
            .map(SecurityPatch)
            .ok_or_else(|| format!("{text:?} is too far back"));
    }
    SecurityPatch::parse(text).map_err(|e| format!("{e}; or write \"today\" or \"-Nd\""))
}

impl Profile {
    /// The device's posture at `now`; every source says "profile FILE".
    pub fn posture(&self, file: &str, now: OffsetDateTime) -> Posture {
        let source = format!("profile {file}");
        let unset = |field: &str| format!("profile {file} does not set {field}");
        let opt = |value: Option<String>, field: &str| match value {
            Some(v) => Fact::observed(v, source.clone()),
            None => Fact::unknown(unset(field)),
        };
        let default_id = match self.platform {
            Platform::Linux => None,
            p => Some(format!("{p:?}").to_lowercase()),
        };
        let mut p = Posture::unknown(self.platform, &unset("this fact"), now);
        p.os = OsFacts {
            id: opt(self.os_id.clone().or(default_id), "os_id"),
            id_like: Vec::new(),
            name: opt(
                Some(
                    self.os_name
                        .clone()
                        .unwrap_or_else(|| self.platform.display_name().into()),
                ),
                "os_name",
            ),
            version: opt(self.os_version.clone(), "os_version"),
            build: Fact::unknown(unset("a build")),
            kernel: Fact::unknown(unset("a kernel")),
        };
        p.security_patch = match &self.security_patch {
            Some(t) => match patch_at(t, now) {
                Ok(patch) => Fact::observed(patch, format!("{source} ({t})")),
                Err(e) => Fact::unknown(e),
            },
            None => Fact::unknown(unset("security_patch")),
        };
        p.storage_encryption = match self.storage_encryption.as_deref() {
            Some("none") => Fact::observed(StorageEncryption::NotEncrypted, source.clone()),
            Some(m) => Fact::observed(
                StorageEncryption::Encrypted { method: m.into() },
                source.clone(),
            ),
            None => Fact::unknown(unset("storage_encryption")),
        };
        let flag = |v: Option<bool>, field: &str| match v {
            Some(b) => Fact::observed(b, source.clone()),
            None => Fact::unknown(unset(field)),
        };
        p.screen_lock = flag(self.screen_lock, "screen_lock").map(|set| {
            if set {
                ScreenLock::Set
            } else {
                ScreenLock::NotSet
            }
        });
        p.auto_lock = match self.auto_lock {
            Some(ProfileAutoLock::Seconds(seconds)) => {
                Fact::observed(AutoLock::After { seconds }, source.clone())
            }
            Some(ProfileAutoLock::Word(Never::Never)) => {
                Fact::observed(AutoLock::Never, source.clone())
            }
            None => Fact::unknown(unset("auto_lock")),
        };
        p.developer_mode = flag(self.developer_mode, "developer_mode");
        p.usb_debugging = flag(self.usb_debugging, "usb_debugging");
        p.integrity = self
            .integrity
            .iter()
            .map(|i| IntegrityIndicator {
                name: i.name.clone(),
                kind: IndicatorKind::Heuristic,
                tripped: Fact::observed(i.tripped, source.clone()),
            })
            .collect();
        p.hardware_key_store = match self.hardware_key_store {
            Some(k) => Fact::observed(k, source.clone()),
            None => Fact::unknown(unset("hardware_key_store")),
        };
        p.secure_boot = flag(self.secure_boot, "secure_boot");
        p.tpm = match self.tpm.as_deref() {
            Some("absent") => Fact::observed(Tpm::Absent, source.clone()),
            Some(v) => Fact::observed(
                Tpm::Present {
                    version: Some(v.into()),
                },
                source.clone(),
            ),
            None => Fact::unknown(unset("tpm")),
        };
        p
    }
}

/// The probe of a loaded profile.
#[derive(Debug)]
pub struct ProfileProbe {
    profile: Profile,
    file: String,
}

impl ProfileProbe {
    /// The profile `spec` names: a file, or else (a bare name with no such
    /// file) a shipped profile, "android-rooted" or "android-rooted.toml".
    pub fn open(spec: &Path) -> Result<ProfileProbe, ProfileError> {
        let bare = spec.components().count() == 1 && spec.parent() == Some(Path::new(""));
        // Anything that exists is a file to read (or to refuse: a FIFO, a folder).
        if !bare || std::fs::symlink_metadata(spec).is_ok() {
            return ProfileProbe::load(spec);
        }
        let name = spec.to_string_lossy();
        let (file, text) = shipped_named(&name)
            .ok_or_else(|| ProfileError::NotFound(name.clone().into_owned(), shipped_names()))?;
        Ok(ProfileProbe {
            profile: parse_profile(text, Path::new(file))?,
            file: file.to_owned(),
        })
    }

    /// Loads the profile at `path`.
    pub fn load(path: &Path) -> Result<ProfileProbe, ProfileError> {
        let profile = load_profile(path)?;
        // Only the file name goes into sources: the folder may hold a user name.
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(ProfileProbe { profile, file })
    }
}

impl PostureProbe for ProfileProbe {
    fn collect(&self) -> Posture {
        self.profile.posture(&self.file, OffsetDateTime::now_utc())
    }
}

#[cfg(test)]
mod tests;
