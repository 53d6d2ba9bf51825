//! Android: the readings a reader takes, and the one mapping that gives
//! them meaning.
//!
//! Two readers fill [`AndroidReadings`]: the app on the phone (the Kotlin
//! shim, from framework APIs) and the desktop harness (the CLI's adb
//! target, from `getprop`, `settings` and `locksettings`; those parsers are
//! the CLI's, not shipped to phones). Neither interprets anything:
//! [`android_posture`] is the only place that decides what a value means,
//! so both readers share every fact name, rule and Unknown reason; only the
//! sources differ, and they name what was read.

use time::OffsetDateTime;

pub use super::reading::Reading;
use super::why;

use crate::posture::{
    AutoLock, Fact, HardwareKeyStore, IndicatorKind, IntegrityIndicator, OsFacts, Platform,
    Posture, ScreenLock, SecurityPatch, StorageEncryption,
};

/// Who took the readings: names each fact's source.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AndroidReader {
    /// The app on the phone, through framework APIs.
    App,
    /// The desktop harness, over adb.
    Adb,
}

/// The raw values an Android reader takes. A field its reader cannot take
/// is [`Reading::NotRead`].
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AndroidReadings {
    /// Who took them.
    pub reader: AndroidReader,
    /// `ro.build.version.release` (`Build.VERSION.RELEASE`), e.g. "14".
    pub release: Reading,
    /// `ro.build.version.sdk` (`Build.VERSION.SDK_INT`), e.g. "34".
    pub sdk: Reading,
    /// `ro.build.id` (`Build.ID`): the build, shared by every device running it.
    pub build_id: Reading,
    /// `ro.build.type` (`Build.TYPE`): "user", "userdebug" or "eng".
    pub build_type: Reading,
    /// `ro.build.tags` (`Build.TAGS`), e.g. "release-keys".
    pub build_tags: Reading,
    /// `ro.build.version.security_patch` (`Build.VERSION.SECURITY_PATCH`).
    pub security_patch: Reading,
    /// `ro.debuggable`.
    pub debuggable: Reading,
    /// `ro.crypto.state`: "encrypted", "unencrypted" or "unsupported".
    pub crypto_state: Reading,
    /// `ro.crypto.type` (Android 7+): "file" or "block".
    pub crypto_type: Reading,
    /// `ro.boot.verifiedbootstate`: green, yellow, orange or red.
    pub verified_boot_state: Reading,
    /// `ro.boot.flash.locked`: "1" locked, "0" unlocked.
    pub flash_locked: Reading,
    /// `DevicePolicyManager.getStorageEncryptionStatus()`, an
    /// `ENCRYPTION_STATUS_*` number.
    pub encryption_status: Reading,
    /// `KeyguardManager.isDeviceSecure()`: "true" or "false".
    pub device_secure: Reading,
    /// `locksettings get-disabled`: "true" or "false".
    pub lock_screen_disabled: Reading,
    /// `Settings.System.SCREEN_OFF_TIMEOUT`: milliseconds without input
    /// before the screen turns off. Public API, readable by every app.
    pub screen_off_timeout: Reading,
    /// `Settings.Secure` `lock_screen_lock_after_timeout`: milliseconds the
    /// screen is off before the keyguard locks. A hidden setting, read by
    /// its name: readable by every app up to Android 11, and from Android
    /// 12 (API 31) too because the framework marks it `@Readable`.
    pub lock_after_timeout: Reading,
    /// `Settings.Global.ADB_ENABLED`: "0" or "1".
    pub adb_enabled: Reading,
    /// `Settings.Global.DEVELOPMENT_SETTINGS_ENABLED`: "0" or "1".
    pub development_settings_enabled: Reading,
    /// Which of [`SU_PATHS`] exist, one a line ("" when none).
    pub su_paths_found: Reading,
    /// `PackageManager.FEATURE_STRONGBOX_KEYSTORE`: "true" or "false";
    /// not set before Android 9.
    pub strong_box: Reading,
    /// `PackageManager.FEATURE_HARDWARE_KEYSTORE`: "true" or "false"; not
    /// set before Android 12.
    pub hardware_keystore: Reading,
}

impl AndroidReadings {
    /// Readings with nothing read yet, for a reader to fill in.
    pub fn none(reader: AndroidReader) -> AndroidReadings {
        AndroidReadings {
            reader,
            release: Reading::NotRead,
            sdk: Reading::NotRead,
            build_id: Reading::NotRead,
            build_type: Reading::NotRead,
            build_tags: Reading::NotRead,
            security_patch: Reading::NotRead,
            debuggable: Reading::NotRead,
            crypto_state: Reading::NotRead,
            crypto_type: Reading::NotRead,
            verified_boot_state: Reading::NotRead,
            flash_locked: Reading::NotRead,
            encryption_status: Reading::NotRead,
            device_secure: Reading::NotRead,
            lock_screen_disabled: Reading::NotRead,
            screen_off_timeout: Reading::NotRead,
            lock_after_timeout: Reading::NotRead,
            adb_enabled: Reading::NotRead,
            development_settings_enabled: Reading::NotRead,
            su_paths_found: Reading::NotRead,
            strong_box: Reading::NotRead,
            hardware_keystore: Reading::NotRead,
        }
    }
}

/// Where a `su` binary lives on a rooted device (Magisk, SuperSU and older
/// tools). Their presence is a heuristic: root can hide them, and a stock
/// device never has them.
pub const SU_PATHS: &[&str] = &[
    "/system/bin/su",
    "/system/xbin/su",
    "/system/sbin/su",
    "/sbin/su",
    "/su/bin/su",
    "/vendor/bin/su",
    "/data/local/su",
    "/data/local/bin/su",
    "/data/local/xbin/su",
];

/// `DevicePolicyManager.ENCRYPTION_STATUS_*`.
pub mod encryption_status {
    /// The device cannot encrypt.
    pub const UNSUPPORTED: i64 = 0;
    /// Supported but not turned on.
    pub const INACTIVE: i64 = 1;
    /// Being turned on (full-disk encryption, Android 9 and older).
    pub const ACTIVATING: i64 = 2;
    /// Full-disk, key bound to the user's credential.
    pub const ACTIVE: i64 = 3;
    /// Full-disk, default key.
    pub const ACTIVE_DEFAULT_KEY: i64 = 4;
    /// File-based, keys per user.
    pub const ACTIVE_PER_USER: i64 = 5;
}

/// The name of one reading's source, as this reader takes it.
struct Names(AndroidReader);

impl Names {
    fn prop(&self, key: &str, api: &str) -> String {
        match self.0 {
            AndroidReader::App if !api.is_empty() => api.to_owned(),
            AndroidReader::App => format!("getprop {key}"),
            AndroidReader::Adb => format!("adb shell getprop {key}"),
        }
    }

    fn global(&self, setting: &str, api: &str) -> String {
        match self.0 {
            AndroidReader::App => format!("Settings.Global.{api}"),
            AndroidReader::Adb => format!("adb shell settings get global {setting}"),
        }
    }

    fn system(&self, setting: &str, api: &str) -> String {
        match self.0 {
            AndroidReader::App => format!("Settings.System.{api}"),
            AndroidReader::Adb => format!("adb shell settings get system {setting}"),
        }
    }

    /// A hidden `Settings.Secure` setting, which an app reads by its name.
    fn secure(&self, setting: &str) -> String {
        match self.0 {
            AndroidReader::App => format!("Settings.Secure {setting}"),
            AndroidReader::Adb => format!("adb shell settings get secure {setting}"),
        }
    }

    fn os_source(&self) -> &'static str {
        match self.0 {
            AndroidReader::App => "android.os.Build (the agent runs on Android)",
            AndroidReader::Adb => "adb (the target is an Android device)",
        }
    }
}

const RELEASE: (&str, &str) = ("ro.build.version.release", "Build.VERSION.RELEASE");
const BUILD_ID: (&str, &str) = ("ro.build.id", "Build.ID");
const BUILD_TYPE: (&str, &str) = ("ro.build.type", "Build.TYPE");
const BUILD_TAGS: (&str, &str) = ("ro.build.tags", "Build.TAGS");
const PATCH: (&str, &str) = (
    "ro.build.version.security_patch",
    "Build.VERSION.SECURITY_PATCH",
);
const ADB_ENABLED: (&str, &str) = ("adb_enabled", "ADB_ENABLED");
const DEV_SETTINGS: (&str, &str) = (
    "development_settings_enabled",
    "DEVELOPMENT_SETTINGS_ENABLED",
);
const SCREEN_OFF: (&str, &str) = ("screen_off_timeout", "SCREEN_OFF_TIMEOUT");
const LOCK_AFTER: &str = "lock_screen_lock_after_timeout";
/// What AOSP's keyguard (`KeyguardViewMediator`) waits after the screen
/// turns off when `lock_screen_lock_after_timeout` was never written.
const AOSP_LOCK_AFTER_DEFAULT_MS: u64 = 5000;
const DPM: &str = "DevicePolicyManager.getStorageEncryptionStatus";
const KEYGUARD: &str = "KeyguardManager.isDeviceSecure";
const LOCK_DISABLED: &str = "adb shell locksettings get-disabled";

/// The posture the readings describe. Every fact is Observed with what it
/// was read from, or Unknown with the reason. `attested` are indicators
/// from a platform attestation service the host app ran itself (Play
/// Integrity, say), added as they are.
pub fn android_posture(
    r: &AndroidReadings,
    attested: Vec<IntegrityIndicator>,
    collected_at: OffsetDateTime,
) -> Posture {
    let n = Names(r.reader);
    let not_read_here = why("reason-android-not-read", &[]);
    let mut p = Posture::unknown(Platform::Android, &not_read_here, collected_at);
    let mut version = text(&r.release, &n.prop(RELEASE.0, RELEASE.1));
    if let (Fact::Observed { source, .. }, AndroidReader::App, Some(sdk)) =
        (&mut version, r.reader, r.sdk.value())
    {
        source.push_str(&format!(" (SDK_INT {sdk})"));
    }
    p.os = OsFacts {
        id: Fact::observed("android".to_owned(), n.os_source()),
        id_like: Vec::new(),
        name: Fact::observed("Android".to_owned(), n.os_source()),
        version,
        build: text(&r.build_id, &n.prop(BUILD_ID.0, BUILD_ID.1)),
        kernel: Fact::unknown(why("reason-android-kernel-not-collected", &[])),
    };
    p.security_patch = security_patch(&r.security_patch, &n.prop(PATCH.0, PATCH.1));
    p.storage_encryption = match r.encryption_status {
        Reading::NotRead => crypto_props(r, &n),
        _ => encryption_status(&r.encryption_status),
    };
    p.screen_lock = match r.device_secure {
        Reading::NotRead => lock_disabled(&r.lock_screen_disabled),
        _ => device_secure(&r.device_secure),
    };
    p.auto_lock = auto_lock(r, &n);
    p.developer_mode = developer_mode(r, &n);
    p.usb_debugging = flag(&r.adb_enabled, &n.global(ADB_ENABLED.0, ADB_ENABLED.1));
    p.integrity = integrity(r, &n);
    p.integrity.extend(attested);
    p.hardware_key_store = hardware_key_store(&r.strong_box, &r.hardware_keystore);
    p.secure_boot = Fact::unknown(why("reason-android-secure-boot-desktop", &[]));
    p.tpm = Fact::unknown(why("reason-android-no-tpm", &[]));
    p
}

fn text(reading: &Reading, source: &str) -> Fact<String> {
    match reading {
        Reading::Read { value } if !value.trim().is_empty() => {
            Fact::observed(value.trim().to_owned(), source)
        }
        other => Fact::unknown(not_read(other, source)),
    }
}

/// The reason for a reading that gave no value.
fn not_read(reading: &Reading, source: &str) -> String {
    match reading {
        Reading::Failed { error } => why(
            "reason-could-not-be-read",
            &[("source", source), ("error", error)],
        ),
        Reading::NotRead => why("reason-not-read-by-reader", &[("source", source)]),
        _ => why("reason-not-set", &[("source", source)]),
    }
}

fn security_patch(reading: &Reading, source: &str) -> Fact<SecurityPatch> {
    match reading.value().filter(|v| !v.is_empty()) {
        Some(v) => match SecurityPatch::parse(v) {
            Ok(patch) => Fact::observed(patch, source),
            Err(_) => Fact::unknown(why(
                "reason-android-patch-not-a-date",
                &[
                    ("source", source),
                    ("value", &v.chars().take(32).collect::<String>()),
                ],
            )),
        },
        None => Fact::unknown(why(
            "reason-android-patch-empty",
            &[("reason", &not_read(reading, source))],
        )),
    }
}

/// `ro.crypto.state` says whether /data is encrypted; `ro.crypto.type`
/// (Android 7+) says how: `file` (file-based) or `block` (full-disk).
fn crypto_props(r: &AndroidReadings, n: &Names) -> Fact<StorageEncryption> {
    let (state_key, type_key) = ("ro.crypto.state", "ro.crypto.type");
    let source = n.prop(state_key, "");
    match r.crypto_state.value() {
        Some("encrypted") => {
            let method = match r.crypto_type.value() {
                Some("file") => "file-based (FBE)".to_owned(),
                Some("block") => "full-disk (FDE)".to_owned(),
                Some(other) => format!("ro.crypto.type {other}"),
                // Before Android 7 there was only full-disk encryption and no
                // type property; say what was read rather than infer.
                None => "encrypted (ro.crypto.type not set)".to_owned(),
            };
            let source = match r.crypto_type.value() {
                Some(_) => format!("{source}, {}", n.prop(type_key, "")),
                None => source,
            };
            Fact::observed(StorageEncryption::Encrypted { method }, source)
        }
        Some("unencrypted") => Fact::observed(StorageEncryption::NotEncrypted, source),
        Some("unsupported") => Fact::observed(
            StorageEncryption::NotEncrypted,
            why(
                "reason-android-observed-cannot-encrypt",
                &[("source", &source)],
            ),
        ),
        Some(other) => Fact::unknown(why(
            "reason-not-a-known-state",
            &[("source", state_key), ("value", &format!("{other:?}"))],
        )),
        None => Fact::unknown(not_read(&r.crypto_state, state_key)),
    }
}

/// Each `ENCRYPTION_STATUS_*` as the policy sees it. Any Encrypted passes
/// the storage encryption rule; the method says how strong it is, so a
/// backend can tell file-based from a default-key full-disk device.
fn encryption_status(reading: &Reading) -> Fact<StorageEncryption> {
    use encryption_status as s;
    let Some(text) = reading.value() else {
        return Fact::unknown(match reading {
            Reading::Failed { error } => failed(DPM, error),
            other => not_read(other, DPM),
        });
    };
    let encrypted = |method: &str, value: i64| {
        Fact::observed(
            StorageEncryption::Encrypted {
                method: method.to_owned(),
            },
            format!("{DPM} ({value})"),
        )
    };
    let not_encrypted = |meaning: &str, value: i64| {
        Fact::observed(
            StorageEncryption::NotEncrypted,
            format!("{DPM} ({value}: {meaning})"),
        )
    };
    match text.parse::<i64>() {
        // File-based encryption: each user's files are encrypted with keys
        // bound to that user's lock screen credential.
        Ok(v @ s::ACTIVE_PER_USER) => encrypted("file-based (FBE), keys per user", v),
        // Full-disk encryption with the key bound to the user's credential
        // (also what apps targeting API < 24 see on file-based devices).
        Ok(v @ s::ACTIVE) => encrypted("full-disk (FDE), key bound to the user's credential", v),
        // Full-disk encryption with the default key: encrypted at rest, but
        // whoever holds the device can boot and read it.
        Ok(v @ s::ACTIVE_DEFAULT_KEY) => {
            encrypted("full-disk (FDE), default key not bound to a credential", v)
        }
        Ok(v @ s::INACTIVE) => not_encrypted("inactive: supported but not turned on", v),
        Ok(v @ s::UNSUPPORTED) => not_encrypted("unsupported: the device cannot encrypt", v),
        // Being switched on (Android 9 and older): neither state holds yet.
        Ok(v @ s::ACTIVATING) => Fact::unknown(why(
            "reason-android-encryption-activating",
            &[("source", DPM), ("value", &v.to_string())],
        )),
        _ => Fact::unknown(why(
            "reason-android-encryption-status-unknown",
            &[("source", DPM), ("value", &first_line(text))],
        )),
    }
}

fn device_secure(reading: &Reading) -> Fact<ScreenLock> {
    match reading.value() {
        Some("true") => Fact::observed(ScreenLock::Set, KEYGUARD),
        Some("false") => Fact::observed(ScreenLock::NotSet, KEYGUARD),
        Some(other) => Fact::unknown(why(
            "reason-returned-not-true-or-false",
            &[
                ("source", KEYGUARD),
                ("value", &format!("{:?}", first_line(other))),
            ],
        )),
        None => Fact::unknown(match reading {
            Reading::Failed { error } => failed(KEYGUARD, error),
            other => not_read(other, KEYGUARD),
        }),
    }
}

/// `locksettings get-disabled` prints `LockPatternUtils.isLockScreenDisabled`,
/// which AOSP defines as false whenever a secure credential is set, and
/// otherwise as the "lockscreen.disabled" setting. So `true` proves there is
/// no lock at all, but `false` is printed both for a PIN/pattern/password and
/// for a plain swipe (no credential): it cannot prove a secure lock is set.
fn lock_disabled(reading: &Reading) -> Fact<ScreenLock> {
    match reading {
        Reading::Read { value } => match value.trim() {
            "true" => Fact::observed(
                ScreenLock::NotSet,
                why(
                    "reason-android-observed-lock-screen-disabled",
                    &[("source", LOCK_DISABLED)],
                ),
            ),
            "false" => Fact::unknown(why(
                "reason-android-lock-disabled-false",
                &[("source", LOCK_DISABLED)],
            )),
            other => Fact::unknown(why(
                "reason-android-lock-disabled-other",
                &[
                    ("source", LOCK_DISABLED),
                    ("value", &format!("{:?}", first_line(other))),
                ],
            )),
        },
        Reading::Failed { error } => Fact::unknown(why(
            "reason-source-error",
            &[("source", LOCK_DISABLED), ("error", error)],
        )),
        other => Fact::unknown(not_read(other, &why("reason-subject-screen-lock", &[]))),
    }
}

/// The keyguard locks `lock_screen_lock_after_timeout` after the screen
/// turned off, and it turns off after `SCREEN_OFF_TIMEOUT` without input:
/// the lock comes after their sum, rounded up to the second. A disabled
/// lock screen never locks at all.
fn auto_lock(r: &AndroidReadings, n: &Names) -> Fact<AutoLock> {
    if r.lock_screen_disabled.value() == Some("true") {
        return Fact::observed(
            AutoLock::Never,
            why(
                "reason-android-observed-lock-screen-disabled",
                &[("source", LOCK_DISABLED)],
            ),
        );
    }
    let off_name = n.system(SCREEN_OFF.0, SCREEN_OFF.1);
    let off_ms = match millis(&r.screen_off_timeout, &off_name) {
        Ok(Some(ms)) => ms,
        Ok(None) => return Fact::unknown(not_read(&r.screen_off_timeout, &off_name)),
        Err(reason) => return Fact::unknown(reason),
    };
    let after_name = n.secure(LOCK_AFTER);
    let (after_ms, after_source) = match millis(&r.lock_after_timeout, &after_name) {
        Ok(Some(ms)) => (ms, format!("{after_name} ({ms} ms)")),
        Ok(None) if r.lock_after_timeout == Reading::NotSet => (
            AOSP_LOCK_AFTER_DEFAULT_MS,
            format!(
                "{after_name} (not set: the keyguard's default of {AOSP_LOCK_AFTER_DEFAULT_MS} ms)"
            ),
        ),
        Ok(None) => {
            return Fact::unknown(why(
                "reason-android-lock-after-unknown",
                &[
                    ("reason", &not_read(&r.lock_after_timeout, &after_name)),
                    ("ms", &off_ms.to_string()),
                ],
            ));
        }
        Err(reason) => return Fact::unknown(reason),
    };
    let seconds = (off_ms.saturating_add(after_ms)).div_ceil(1000);
    Fact::observed(
        AutoLock::After {
            seconds: u32::try_from(seconds).unwrap_or(u32::MAX),
        },
        format!("{off_name} ({off_ms} ms) + {after_source}"),
    )
}

/// A setting in milliseconds: `None` when there is no value.
fn millis(reading: &Reading, name: &str) -> Result<Option<u64>, String> {
    match reading.value() {
        Some(text) => text.parse::<u64>().map(Some).map_err(|_| {
            why(
                "reason-android-not-milliseconds",
                &[
                    ("source", name),
                    ("value", &format!("{:?}", first_line(text))),
                ],
            )
        }),
        None => Ok(None),
    }
}

/// A setting never written reads as off in the Settings app, except on `eng`
/// builds, where developer options default to on.
fn developer_mode(r: &AndroidReadings, n: &Names) -> Fact<bool> {
    let name = n.global(DEV_SETTINGS.0, DEV_SETTINGS.1);
    if r.development_settings_enabled == Reading::NotSet {
        return match r.build_type.value() {
            Some("eng") => Fact::unknown(why(
                "reason-android-developer-eng-build",
                &[("source", &name)],
            )),
            Some(build_type) => Fact::observed(
                false,
                why(
                    "reason-android-observed-developer-off-by-default",
                    &[("source", &name), ("build_type", build_type)],
                ),
            ),
            None => Fact::unknown(why(
                "reason-android-developer-build-type-unknown",
                &[
                    ("source", &name),
                    ("build_type", &n.prop(BUILD_TYPE.0, BUILD_TYPE.1)),
                ],
            )),
        };
    }
    flag(&r.development_settings_enabled, &name)
}

fn flag(reading: &Reading, name: &str) -> Fact<bool> {
    match reading.value() {
        Some("1") => Fact::observed(true, name),
        Some("0") => Fact::observed(false, name),
        Some(other) => Fact::unknown(why(
            "reason-not-zero-or-one",
            &[
                ("source", name),
                ("value", &format!("{:?}", first_line(other))),
            ],
        )),
        None => Fact::unknown(not_read(reading, name)),
    }
}

/// Local heuristics: each a strong hint, none proof, and root can hide (or
/// rewrite) every one. Readings this reader does not take add no indicator.
fn integrity(r: &AndroidReadings, n: &Names) -> Vec<IntegrityIndicator> {
    let mut out = Vec::new();
    let mut heuristic = |name: &str, reading: &Reading, tripped: Fact<bool>| {
        if *reading != Reading::NotRead {
            out.push(IntegrityIndicator {
                name: name.to_owned(),
                kind: IndicatorKind::Heuristic,
                tripped,
            });
        }
    };
    let boot_key = "ro.boot.verifiedbootstate";
    let boot = match r.verified_boot_state.value() {
        // green: locked, verified with the OEM key. yellow: verified with a
        // user-installed key. orange: unlocked, not verified. red: failed.
        Some(s @ ("green" | "yellow" | "orange" | "red")) => {
            Fact::observed(s != "green", format!("{} ({s})", n.prop(boot_key, "")))
        }
        Some(other) => Fact::unknown(why(
            "reason-not-a-known-state",
            &[("source", boot_key), ("value", &format!("{other:?}"))],
        )),
        None => Fact::unknown(why(
            "reason-android-verified-boot-not-read",
            &[("reason", &not_read(&r.verified_boot_state, boot_key))],
        )),
    };
    heuristic("verified_boot_not_green", &r.verified_boot_state, boot);
    let locked_key = "ro.boot.flash.locked";
    let unlocked = match r.flash_locked.value() {
        Some("1") => Fact::observed(false, n.prop(locked_key, "")),
        Some("0") => Fact::observed(true, n.prop(locked_key, "")),
        Some(other) => Fact::unknown(why(
            "reason-not-zero-or-one",
            &[("source", locked_key), ("value", &format!("{other:?}"))],
        )),
        None => Fact::unknown(why(
            "reason-android-flash-locked-not-read",
            &[("reason", &not_read(&r.flash_locked, locked_key))],
        )),
    };
    heuristic("bootloader_unlocked", &r.flash_locked, unlocked);
    let tags_source = n.prop(BUILD_TAGS.0, BUILD_TAGS.1);
    let test_keys = match r.build_tags.value().filter(|t| !t.is_empty()) {
        Some(tags) => Fact::observed(
            tags.split(',').any(|t| t.trim() == "test-keys"),
            format!("{tags_source} ({tags})"),
        ),
        None => Fact::unknown(not_read(&r.build_tags, &tags_source)),
    };
    heuristic("test_keys_build", &r.build_tags, test_keys);
    let su = match &r.su_paths_found {
        Reading::Read { value } => {
            let found: Vec<&str> = value
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            if found.is_empty() {
                Fact::observed(
                    false,
                    why(
                        "reason-android-observed-no-su",
                        &[("count", &SU_PATHS.len().to_string())],
                    ),
                )
            } else {
                Fact::observed(
                    true,
                    why(
                        "reason-android-observed-su-found",
                        &[("paths", &found.join(", "))],
                    ),
                )
            }
        }
        Reading::Failed { error } => {
            Fact::unknown(why("reason-android-su-paths-failed", &[("error", error)]))
        }
        other => Fact::unknown(not_read(other, &why("reason-subject-su-paths", &[]))),
    };
    heuristic("su_binary", &r.su_paths_found, su);
    let debuggable_source = n.prop("ro.debuggable", "");
    let debuggable = match &r.debuggable {
        Reading::Read { value } if !value.trim().is_empty() => {
            Fact::observed(value.trim() == "1", debuggable_source)
        }
        // Android reads a missing ro.debuggable as 0.
        Reading::Read { .. } | Reading::NotSet => Fact::observed(
            false,
            why(
                "reason-android-observed-debuggable-not-set",
                &[("source", &debuggable_source)],
            ),
        ),
        Reading::Failed { error } => Fact::unknown(failed(&debuggable_source, error)),
        Reading::NotRead => Fact::unknown(not_read(&r.debuggable, &debuggable_source)),
    };
    heuristic("ro_debuggable", &r.debuggable, debuggable);
    out
}

/// The strongest key store the device offers. Without StrongBox, Android 12+
/// says whether the Keystore is hardware-backed (a TEE); older versions do
/// not say it as a feature, so the fact stays Unknown rather than guessed.
fn hardware_key_store(strong_box: &Reading, hardware: &Reading) -> Fact<HardwareKeyStore> {
    let strong = "PackageManager.FEATURE_STRONGBOX_KEYSTORE";
    let hw = "PackageManager.FEATURE_HARDWARE_KEYSTORE";
    match (strong_box, hardware) {
        (Reading::NotRead, Reading::NotRead) => {
            return Fact::unknown(why("reason-android-keystore-over-adb", &[]));
        }
        (Reading::Failed { error }, _) => {
            return Fact::unknown(why(
                "reason-could-not-be-read",
                &[("source", strong), ("error", error)],
            ));
        }
        _ => {}
    }
    if strong_box.value() == Some("true") {
        return Fact::observed(HardwareKeyStore::StrongBox, strong);
    }
    match hardware {
        Reading::Read { value } if value.trim() == "true" => {
            Fact::observed(HardwareKeyStore::Tee, format!("{hw} (no StrongBox)"))
        }
        // Declared by every device launched with Android 12+ that has a
        // hardware Keystore; absence on an upgraded device proves nothing.
        Reading::Read { .. } => Fact::unknown(why(
            "reason-android-hardware-keystore-not-declared",
            &[("source", hw)],
        )),
        Reading::NotSet => Fact::unknown(why("reason-android-no-strongbox", &[])),
        Reading::Failed { error } => Fact::unknown(why(
            "reason-could-not-be-read",
            &[("source", hw), ("error", error)],
        )),
        Reading::NotRead => Fact::unknown(not_read(hardware, hw)),
    }
}

/// A reading that failed: its source and the platform's error.
fn failed(source: &str, error: &str) -> String {
    why("reason-failed", &[("source", source), ("error", error)])
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").chars().take(80).collect()
}

#[cfg(test)]
mod tests;
