//! Maps what adb reads from an Android device to a [`Posture`].
//!
//! Pure: the desktop CLI runs the commands and hands their outputs here, so
//! the mapping is tested on captured outputs. Every fact's source names the
//! adb command it came from.

use time::OffsetDateTime;

use super::parse::getprop::{Props, prop};
use crate::posture::{
    Fact, IndicatorKind, IntegrityIndicator, OsFacts, Platform, Posture, ScreenLock, SecurityPatch,
    StorageEncryption,
};

/// The output (or the failure) of one adb shell command.
pub type CommandResult = Result<String, String>;

/// Outputs of the `settings` and `locksettings` commands.
#[derive(Debug, Clone)]
pub struct AndroidSettings {
    /// `adb shell settings get global adb_enabled`.
    pub adb_enabled: CommandResult,
    /// `adb shell settings get global development_settings_enabled`.
    pub development_settings_enabled: CommandResult,
    /// `adb shell locksettings get-disabled`.
    pub lock_disabled: CommandResult,
}

const ADB_ENABLED: &str = "adb shell settings get global adb_enabled";
const DEV_SETTINGS: &str = "adb shell settings get global development_settings_enabled";
const LOCK_DISABLED: &str = "adb shell locksettings get-disabled";

fn getprop_source(key: &str) -> String {
    format!("adb shell getprop {key}")
}

/// The posture of an Android device from its properties and settings.
pub fn android_posture(
    props: &Props,
    settings: &AndroidSettings,
    collected_at: OffsetDateTime,
) -> Posture {
    let mut p = Posture::unknown(Platform::Android, "not read over adb", collected_at);
    let release = "ro.build.version.release";
    p.os = OsFacts {
        id: Fact::observed(
            "android".to_owned(),
            "adb (the target is an Android device)",
        ),
        id_like: Vec::new(),
        name: Fact::observed(
            "Android".to_owned(),
            "adb (the target is an Android device)",
        ),
        version: text_prop(props, release),
        build: text_prop(props, "ro.build.id"),
        kernel: Fact::unknown("the adb target does not read the kernel release"),
    };
    p.security_patch = security_patch(props);
    p.storage_encryption = storage_encryption(props);
    p.screen_lock = screen_lock(&settings.lock_disabled);
    p.developer_mode = developer_mode(&settings.development_settings_enabled, props);
    p.usb_debugging = setting_flag(&settings.adb_enabled, ADB_ENABLED);
    p.integrity = integrity(props);
    p.hardware_key_store = Fact::unknown(
        "not readable over adb: the Keystore's security level is visible only to an app (KeyInfo) or through key attestation",
    );
    p.secure_boot =
        Fact::unknown("UEFI Secure Boot is a desktop fact; see verified boot under integrity");
    p.tpm = Fact::unknown("phones have no TPM; see hardware_key_store");
    p
}

fn text_prop(props: &Props, key: &str) -> Fact<String> {
    match prop(props, key) {
        Some(v) => Fact::observed(v.to_owned(), getprop_source(key)),
        None => Fact::unknown(format!("{key} is not set")),
    }
}

fn security_patch(props: &Props) -> Fact<SecurityPatch> {
    let key = "ro.build.version.security_patch";
    match prop(props, key) {
        Some(v) => Fact::from((SecurityPatch::parse(v), getprop_source(key).as_str())),
        None => Fact::unknown(format!(
            "{key} is not set (Android before 6.0 has no security patch level)"
        )),
    }
}

/// `ro.crypto.state` says whether /data is encrypted; `ro.crypto.type`
/// (Android 7+) says how: `file` (file-based) or `block` (full-disk).
fn storage_encryption(props: &Props) -> Fact<StorageEncryption> {
    let (state_key, type_key) = ("ro.crypto.state", "ro.crypto.type");
    let source = getprop_source(state_key);
    match prop(props, state_key) {
        Some("encrypted") => {
            let method = match prop(props, type_key) {
                Some("file") => "file-based (FBE)".to_owned(),
                Some("block") => "full-disk (FDE)".to_owned(),
                Some(other) => format!("ro.crypto.type {other}"),
                // Before Android 7 there was only full-disk encryption and no
                // type property; say what was read rather than infer.
                None => "encrypted (ro.crypto.type not set)".to_owned(),
            };
            let source = match prop(props, type_key) {
                Some(_) => format!("{source}, {}", getprop_source(type_key)),
                None => source,
            };
            Fact::observed(StorageEncryption::Encrypted { method }, source)
        }
        Some("unencrypted") => Fact::observed(StorageEncryption::NotEncrypted, source),
        Some("unsupported") => Fact::observed(
            StorageEncryption::NotEncrypted,
            format!("{source} (unsupported: the device cannot encrypt)"),
        ),
        Some(other) => Fact::unknown(format!("{state_key} is {other:?}, not a known state")),
        None => Fact::unknown(format!("{state_key} is not set")),
    }
}

/// `locksettings get-disabled` prints `LockPatternUtils.isLockScreenDisabled`,
/// which AOSP defines as false whenever a secure credential is set, and
/// otherwise as the "lockscreen.disabled" setting. So `true` proves there is
/// no lock at all, but `false` is printed both for a PIN/pattern/password and
/// for a plain swipe (no credential): it cannot prove a secure lock is set.
fn screen_lock(output: &CommandResult) -> Fact<ScreenLock> {
    match output.as_deref().map(str::trim) {
        Ok("true") => Fact::observed(
            ScreenLock::NotSet,
            format!("{LOCK_DISABLED} (true: the lock screen is disabled)"),
        ),
        Ok("false") => Fact::unknown(format!(
            "{LOCK_DISABLED} printed false, which AOSP prints both for a secure lock and for a swipe without a credential; adb cannot tell them apart without trying a credential"
        )),
        Ok(other) => Fact::unknown(format!(
            "{LOCK_DISABLED} printed {:?}, not true or false (Android before 8 has no locksettings command)",
            first_line(other)
        )),
        Err(e) => Fact::unknown(format!("{LOCK_DISABLED}: {e}")),
    }
}

/// Settings prints `null` for a setting never written; the Settings app then
/// treats developer options as off, except on `eng` builds where they
/// default to on.
fn developer_mode(output: &CommandResult, props: &Props) -> Fact<bool> {
    if let Ok("null") = output.as_deref().map(str::trim) {
        return match prop(props, "ro.build.type") {
            Some("eng") => Fact::unknown(format!(
                "{DEV_SETTINGS} is not set, and eng builds default developer options on"
            )),
            Some(_) => Fact::observed(
                false,
                format!("{DEV_SETTINGS} (not set: off by default on this build type)"),
            ),
            None => Fact::unknown(format!(
                "{DEV_SETTINGS} is not set and ro.build.type is unknown"
            )),
        };
    }
    setting_flag(output, DEV_SETTINGS)
}

fn setting_flag(output: &CommandResult, command: &str) -> Fact<bool> {
    match output.as_deref().map(str::trim) {
        Ok("1") => Fact::observed(true, command),
        Ok("0") => Fact::observed(false, command),
        Ok(other) => Fact::unknown(format!(
            "{command} printed {:?}, not 0 or 1",
            first_line(other)
        )),
        Err(e) => Fact::unknown(format!("{command}: {e}")),
    }
}

/// Build and boot properties that hint at a modified device. All are
/// heuristics: a rooted device can rewrite its properties.
fn integrity(props: &Props) -> Vec<IntegrityIndicator> {
    let heuristic = |name: &str, tripped: Fact<bool>| IntegrityIndicator {
        name: name.to_owned(),
        kind: IndicatorKind::Heuristic,
        tripped,
    };
    let boot_state = "ro.boot.verifiedbootstate";
    let verified_boot = match prop(props, boot_state) {
        // green: locked, verified with the OEM key. yellow: verified with a
        // user-installed key. orange: unlocked, not verified. red: failed.
        Some(s @ ("green" | "yellow" | "orange" | "red")) => Fact::observed(
            s != "green",
            format!("{} ({s})", getprop_source(boot_state)),
        ),
        Some(other) => Fact::unknown(format!("{boot_state} is {other:?}, not a known state")),
        None => Fact::unknown(format!(
            "{boot_state} is not set (emulators and devices without verified boot)"
        )),
    };
    let locked_key = "ro.boot.flash.locked";
    let unlocked = match prop(props, locked_key) {
        Some("1") => Fact::observed(false, getprop_source(locked_key)),
        Some("0") => Fact::observed(true, getprop_source(locked_key)),
        Some(other) => Fact::unknown(format!("{locked_key} is {other:?}, not 0 or 1")),
        None => Fact::unknown(format!(
            "{locked_key} is not set (emulators and some vendors)"
        )),
    };
    let debuggable_key = "ro.debuggable";
    let debuggable = match prop(props, debuggable_key) {
        Some(v) => Fact::observed(v == "1", getprop_source(debuggable_key)),
        // Android reads a missing ro.debuggable as 0.
        None => Fact::observed(
            false,
            format!("{} (not set: read as 0)", getprop_source(debuggable_key)),
        ),
    };
    let tags_key = "ro.build.tags";
    let test_keys = match prop(props, tags_key) {
        Some(tags) => Fact::observed(
            tags.split(',').any(|t| t.trim() == "test-keys"),
            format!("{} ({tags})", getprop_source(tags_key)),
        ),
        None => Fact::unknown(format!("{tags_key} is not set")),
    };
    vec![
        heuristic("verified_boot_not_green", verified_boot),
        heuristic("bootloader_unlocked", unlocked),
        heuristic("ro_debuggable", debuggable),
        heuristic("test_keys_build", test_keys),
    ]
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").chars().take(80).collect()
}

#[cfg(test)]
mod tests;
