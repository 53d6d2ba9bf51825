use time::macros::datetime;

use super::*;
use crate::posture::Posture;
use crate::probe::parse::getprop::parse_getprop;

const EMULATOR_34: &str = include_str!("../parse/fixtures/getprop-emulator-api34");
const LINEAGE: &str = include_str!("../parse/fixtures/getprop-device-lineage-pixel4xl");
const EMULATOR_23: &str = include_str!("../parse/fixtures/getprop-emulator-api23-unencrypted");

fn settings(adb: &str, dev: &str, lock: &str) -> AndroidSettings {
    AndroidSettings {
        adb_enabled: Ok(format!("{adb}\n")),
        development_settings_enabled: Ok(format!("{dev}\n")),
        lock_disabled: Ok(format!("{lock}\n")),
    }
}

fn posture(fixture: &str, s: &AndroidSettings) -> Posture {
    android_posture(
        &parse_getprop(fixture).unwrap(),
        s,
        datetime!(2026-01-10 12:00 UTC),
    )
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
    let p = android_posture(&props("[ro.crypto.state]: [unsupported]\n"), &s, at);
    assert_eq!(
        p.storage_encryption.value(),
        Some(&StorageEncryption::NotEncrypted)
    );
    let p = android_posture(
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
    let p = android_posture(&props("[ro.x]: [1]\n"), &s, at);
    assert!(p.storage_encryption.value().is_none());
    assert!(p.security_patch.value().is_none());
    assert_eq!(p.usb_debugging.value(), Some(&false));
    let failed = AndroidSettings {
        adb_enabled: Err("adb exited with 1".into()),
        development_settings_enabled: Ok("null".into()),
        lock_disabled: Err("timed out".into()),
    };
    let p = android_posture(&props("[ro.build.type]: [eng]\n"), &failed, at);
    assert!(p.usb_debugging.provenance().contains("adb exited with 1"));
    assert!(p.developer_mode.value().is_none());
    assert!(p.screen_lock.provenance().contains("timed out"));
}
