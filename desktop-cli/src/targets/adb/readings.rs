//! The readings the adb target takes: `getprop` (parsed) and the
//! `settings` and `locksettings` commands, as the core's
//! [`AndroidReadings`]. Nothing here gives a value meaning: the core's
//! [`agent_core::probe::android::android_posture`] maps these readings
//! exactly as it maps the app's on the phone.

use agent_core::probe::android::{AndroidReader, AndroidReadings, Reading};

use crate::targets::parse::getprop::{self, Props};

/// The output (or the failure) of one adb shell command.
pub type CommandResult = Result<String, String>;

/// Outputs of the `settings` and `locksettings` commands the adb reader runs.
#[derive(Debug, Clone)]
pub struct AndroidSettings {
    /// `adb shell settings get global adb_enabled`.
    pub adb_enabled: CommandResult,
    /// `adb shell settings get global development_settings_enabled`.
    pub development_settings_enabled: CommandResult,
    /// `adb shell locksettings get-disabled`.
    pub lock_disabled: CommandResult,
    /// `adb shell settings get system screen_off_timeout`.
    pub screen_off_timeout: CommandResult,
    /// `adb shell settings get secure lock_screen_lock_after_timeout`.
    pub lock_after_timeout: CommandResult,
}

/// The readings adb takes: `getprop` (parsed) and the settings commands.
/// `settings get` prints `null` for a setting never written.
pub fn adb_readings(props: &Props, settings: &AndroidSettings) -> AndroidReadings {
    let prop = |key: &str| Reading::text(getprop::prop(props, key));
    let command = |out: &CommandResult| match out.as_deref().map(str::trim) {
        Ok("null") => Reading::NotSet,
        Ok(text) => Reading::Read {
            value: text.to_owned(),
        },
        Err(e) => Reading::Failed {
            error: e.to_owned(),
        },
    };
    AndroidReadings {
        release: prop("ro.build.version.release"),
        sdk: prop("ro.build.version.sdk"),
        build_id: prop("ro.build.id"),
        build_type: prop("ro.build.type"),
        build_tags: prop("ro.build.tags"),
        security_patch: prop("ro.build.version.security_patch"),
        debuggable: prop("ro.debuggable"),
        crypto_state: prop("ro.crypto.state"),
        crypto_type: prop("ro.crypto.type"),
        verified_boot_state: prop("ro.boot.verifiedbootstate"),
        flash_locked: prop("ro.boot.flash.locked"),
        lock_screen_disabled: command(&settings.lock_disabled),
        screen_off_timeout: command(&settings.screen_off_timeout),
        lock_after_timeout: command(&settings.lock_after_timeout),
        adb_enabled: command(&settings.adb_enabled),
        development_settings_enabled: command(&settings.development_settings_enabled),
        ..AndroidReadings::none(AndroidReader::Adb)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::targets::parse::getprop::parse_getprop;
    use agent_core::posture::{IndicatorKind, ScreenLock, StorageEncryption};
    use agent_core::probe::android::android_posture;
    use agent_core::{Fact, Platform, Posture};
    use time::OffsetDateTime;

    const EMULATOR_34: &str = include_str!("../parse/fixtures/getprop-emulator-api34");
    const LINEAGE: &str = include_str!("../parse/fixtures/getprop-device-lineage-pixel4xl");
    const EMULATOR_23: &str = include_str!("../parse/fixtures/getprop-emulator-api23-unencrypted");

    fn settings(adb: &str, dev: &str, lock: &str) -> AndroidSettings {
        AndroidSettings {
            adb_enabled: Ok(format!("{adb}\n")),
            development_settings_enabled: Ok(format!("{dev}\n")),
            lock_disabled: Ok(format!("{lock}\n")),
            screen_off_timeout: Ok("30000\n".into()),
            lock_after_timeout: Ok("null\n".into()),
        }
    }

    fn posture(fixture: &str, s: &AndroidSettings) -> Posture {
        android_posture(
            &adb_readings(&parse_getprop(fixture).unwrap(), s),
            Vec::new(),
            datetime!(2026-01-10 12:00 UTC),
        )
    }

    fn adb(props: &Props, s: &AndroidSettings, at: OffsetDateTime) -> Posture {
        android_posture(&adb_readings(props, s), Vec::new(), at)
    }

    fn indicator<'a>(p: &'a Posture, name: &str) -> &'a Fact<bool> {
        &p.integrity.iter().find(|i| i.name == name).unwrap().tripped
    }

    #[test]
    fn modern_emulator() {
        let p = posture(EMULATOR_34, &settings("1", "1", "true"));
        assert_eq!(p.platform, Platform::Android);
        assert_eq!(p.os.version.value().map(String::as_str), Some("14"));
        assert_eq!(
            p.os.version.provenance(),
            "adb shell getprop ro.build.version.release"
        );
        assert_eq!(
            p.os.build.value().map(String::as_str),
            Some("UE1A.230829.036.A1")
        );
        assert_eq!(p.security_patch.value().unwrap().to_string(), "2023-09-05");
        assert_eq!(
            p.storage_encryption.value(),
            Some(&StorageEncryption::Encrypted {
                method: "file-based (FBE)".into()
            })
        );
        assert!(
            p.storage_encryption
                .provenance()
                .contains("adb shell getprop ro.crypto.type")
        );
        assert_eq!(p.screen_lock.value(), Some(&ScreenLock::NotSet));
        assert_eq!(p.developer_mode.value(), Some(&true));
        assert_eq!(p.usb_debugging.value(), Some(&true));
        // Emulators have no verified boot or flash lock properties.
        assert!(indicator(&p, "verified_boot_not_green").value().is_none());
        assert!(indicator(&p, "bootloader_unlocked").value().is_none());
        assert_eq!(indicator(&p, "ro_debuggable").value(), Some(&true));
        assert_eq!(indicator(&p, "test_keys_build").value(), Some(&false));
        assert!(
            p.integrity
                .iter()
                .all(|i| i.kind == IndicatorKind::Heuristic)
        );
    }

    #[test]
    fn unlocked_real_device() {
        let p = posture(LINEAGE, &settings("1", "0", "false"));
        assert_eq!(p.os.version.value().map(String::as_str), Some("15"));
        assert_eq!(p.security_patch.value().unwrap().to_string(), "2025-09-01");
        assert_eq!(
            indicator(&p, "verified_boot_not_green").value(),
            Some(&true)
        );
        assert!(
            indicator(&p, "verified_boot_not_green")
                .provenance()
                .contains("orange")
        );
        assert_eq!(indicator(&p, "bootloader_unlocked").value(), Some(&true));
        assert_eq!(indicator(&p, "test_keys_build").value(), Some(&false));
        assert_eq!(p.developer_mode.value(), Some(&false));
        // "false" cannot tell a PIN from a swipe.
        assert!(p.screen_lock.value().is_none());
        assert!(p.screen_lock.provenance().contains("swipe"));
    }

    #[test]
    fn old_emulator_reports_unencrypted_and_test_keys() {
        let p = posture(
            EMULATOR_23,
            &settings("1", "null", "/system/bin/sh: locksettings: not found"),
        );
        assert_eq!(
            p.storage_encryption.value(),
            Some(&StorageEncryption::NotEncrypted)
        );
        assert_eq!(
            p.storage_encryption.provenance(),
            "adb shell getprop ro.crypto.state"
        );
        assert_eq!(p.security_patch.value().unwrap().to_string(), "2015-10-01");
        assert_eq!(indicator(&p, "test_keys_build").value(), Some(&true));
        // userdebug build, setting never written: off.
        assert_eq!(p.developer_mode.value(), Some(&false));
        assert!(p.screen_lock.value().is_none());
        assert!(p.screen_lock.provenance().contains("locksettings"));
    }

    #[test]
    fn never_leaks_serials_or_hosts() {
        for fixture in [EMULATOR_34, LINEAGE, EMULATOR_23] {
            let json = posture(fixture, &settings("1", "0", "true")).to_json_pretty();
            assert!(!json.contains("PLACEHOLDER"), "{json}");
            Posture::from_json(&json).unwrap();
        }
    }

    #[test]
    fn crypto_states_and_failures() {
        let props = |text: &str| parse_getprop(text).unwrap();
        let s = settings("0", "0", "true");
        let at = datetime!(2026-01-10 12:00 UTC);
        let p = adb(&props("[ro.crypto.state]: [unsupported]\n"), &s, at);
        assert_eq!(
            p.storage_encryption.value(),
            Some(&StorageEncryption::NotEncrypted)
        );
        let p = adb(
            &props("[ro.crypto.state]: [encrypted]\n[ro.crypto.type]: [block]\n"),
            &s,
            at,
        );
        assert_eq!(
            p.storage_encryption.value(),
            Some(&StorageEncryption::Encrypted {
                method: "full-disk (FDE)".into()
            })
        );
        let p = adb(&props("[ro.x]: [1]\n"), &s, at);
        assert!(p.storage_encryption.value().is_none());
        assert!(p.security_patch.value().is_none());
        assert_eq!(p.usb_debugging.value(), Some(&false));
        let failed = AndroidSettings {
            adb_enabled: Err("adb exited with 1".into()),
            development_settings_enabled: Ok("null".into()),
            lock_disabled: Err("timed out".into()),
            screen_off_timeout: Err("settings: not found".into()),
            lock_after_timeout: Ok("null".into()),
        };
        let p = adb(&props("[ro.build.type]: [eng]\n"), &failed, at);
        assert!(p.usb_debugging.provenance().contains("adb exited with 1"));
        assert!(p.developer_mode.value().is_none());
        assert!(p.screen_lock.provenance().contains("timed out"));
        assert!(p.auto_lock.provenance().contains("settings: not found"));
    }

    #[test]
    fn over_adb_the_same_rule_reads_the_settings_commands() {
        let mut s = settings("0", "0", "false");
        s.screen_off_timeout = Ok("600000\n".into());
        s.lock_after_timeout = Ok("30000\n".into());
        let p = posture(EMULATOR_34, &s);
        assert_eq!(
            p.auto_lock,
            Fact::observed(
                agent_core::posture::AutoLock::After { seconds: 630 },
                "adb shell settings get system screen_off_timeout (600000 ms) + adb shell settings get secure lock_screen_lock_after_timeout (30000 ms)"
            )
        );
        // A disabled lock screen never locks, whatever the timeout.
        let none = posture(EMULATOR_34, &settings("0", "0", "true"));
        assert_eq!(
            none.auto_lock.value(),
            Some(&agent_core::posture::AutoLock::Never)
        );
        let v = agent_core::policy::evaluate(
            &p,
            &agent_core::policy::Policy::default_policy(),
            datetime!(2026-01-10 12:00 UTC),
        );
        let finding = v
            .findings
            .iter()
            .find(|f| f.rule == agent_core::policy::RuleId::AutoLock)
            .unwrap();
        assert_eq!(finding.outcome, agent_core::policy::Outcome::Fail);
        assert_eq!(finding.observed, "locks after 10 min 30 s");
    }
}
