use time::macros::{date, datetime};

use super::*;

pub(crate) fn android_sample() -> Posture {
    let mut p = Posture::unknown(
        Platform::Android,
        "not read",
        datetime!(2026-11-20 09:00 UTC),
    );
    p.os.id = Fact::observed("android".into(), "Build.VERSION");
    p.os.name = Fact::observed("Android".into(), "Build.VERSION");
    p.os.version = Fact::observed("14".into(), "Build.VERSION.RELEASE");
    p.security_patch = Fact::observed(
        SecurityPatch(date!(2026 - 11 - 05)),
        "Build.VERSION.SECURITY_PATCH",
    );
    p.storage_encryption = Fact::observed(
        StorageEncryption::Encrypted {
            method: "file-based (per user)".into(),
        },
        "DevicePolicyManager.getStorageEncryptionStatus",
    );
    p.screen_lock = Fact::observed(ScreenLock::Set, "KeyguardManager.isDeviceSecure");
    p.developer_mode = Fact::observed(false, "Settings.Global.DEVELOPMENT_SETTINGS_ENABLED");
    p.usb_debugging = Fact::observed(false, "Settings.Global.ADB_ENABLED");
    p.integrity = vec![IntegrityIndicator {
        name: "su_binary".into(),
        kind: IndicatorKind::Heuristic,
        tripped: Fact::observed(false, "stat /system/xbin/su"),
    }];
    p.hardware_key_store = Fact::observed(
        HardwareKeyStore::StrongBox,
        "PackageManager.FEATURE_STRONGBOX_KEYSTORE",
    );
    p
}

#[test]
fn json_round_trip() {
    let p = android_sample();
    let json = p.to_json_pretty();
    assert_eq!(Posture::from_json(&json).unwrap(), p);
}

#[test]
fn json_shape_is_stable() {
    let v: serde_json::Value = serde_json::to_value(android_sample()).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["platform"], "android");
    assert_eq!(v["security_patch"]["status"], "observed");
    assert_eq!(v["security_patch"]["value"], "2026-11-05");
    assert_eq!(v["storage_encryption"]["value"]["state"], "encrypted");
    assert_eq!(v["secure_boot"]["status"], "unknown");
    assert_eq!(v["secure_boot"]["reason"], "not read");
    assert_eq!(v["integrity"][0]["kind"], "heuristic");
    assert_eq!(v["collected_at"], "2026-11-20T09:00:00Z");
}

#[test]
fn rejects_unknown_schema_fields_and_oversize() {
    let mut v: serde_json::Value = serde_json::to_value(android_sample()).unwrap();
    v["schema_version"] = 2.into();
    assert!(matches!(
        Posture::from_json(&v.to_string()),
        Err(PostureError::UnsupportedSchema { found: 2 })
    ));
    let mut v: serde_json::Value = serde_json::to_value(android_sample()).unwrap();
    v["imei"] = "356938035643809".into();
    let err = Posture::from_json(&v.to_string()).unwrap_err().to_string();
    assert!(err.contains("unknown field `imei`"), "{err}");
    assert!(matches!(
        Posture::from_json(&" ".repeat(MAX_POSTURE_BYTES + 1)),
        Err(PostureError::TooLarge(_))
    ));
    assert!(matches!(
        Posture::from_json("{"),
        Err(PostureError::Invalid(_))
    ));
    assert!(matches!(
        Posture::from_json(""),
        Err(PostureError::Invalid(_))
    ));
}

#[test]
fn security_patch_parse() {
    assert_eq!(
        SecurityPatch::parse("2024-01-05").unwrap().to_string(),
        "2024-01-05"
    );
    assert!(SecurityPatch::parse("2024-13-05").is_err());
    assert!(SecurityPatch::parse("").is_err());
    assert!(SecurityPatch::parse("January").is_err());
}
