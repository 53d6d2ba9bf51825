//! Runs the real `posture-agent` against tester targets: a fake `adb` that
//! replays captured outputs, xcrun's absence, and the shipped profiles.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FAKE_ADB: &str = r#"#!/bin/bash
# Replays captured adb outputs; FAKE_ADB_DEVICES picks the `adb devices -l` capture.
dir="$FAKE_ADB_DIR"
if [ "$1" = "devices" ]; then cat "$dir/adb-devices-$FAKE_ADB_DEVICES"; exit 0; fi
if [ "$1" = "-s" ]; then echo "$2" >> "$dir/serials-used"; shift 2; fi
[ "$1" = "shell" ] || { echo "fake adb: unexpected $*" >&2; exit 1; }
shift
case "$*" in
  "getprop") cat "$dir/$FAKE_GETPROP" ;;
  "settings get global adb_enabled") echo 1 ;;
  "settings get global development_settings_enabled") echo "${FAKE_DEV:-0}" ;;
  "locksettings get-disabled") echo "${FAKE_LOCK:-true}" ;;
  "settings get system screen_off_timeout") echo "${FAKE_SCREEN_OFF:-30000}" ;;
  "settings get secure lock_screen_lock_after_timeout") echo "${FAKE_LOCK_AFTER:-null}" ;;
  *) echo "fake adb: unknown shell command $*" >&2; exit 1 ;;
esac
"#;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/targets/parse/fixtures")
}

/// A temp dir holding the fake adb and copies of the captures.
fn fake_adb_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let adb = dir.path().join("adb");
    std::fs::write(&adb, FAKE_ADB).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&adb, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

fn run(dir: &Path, devices: &str, getprop: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_posture-agent"))
        .args(args)
        .env_remove("RUST_LOG")
        .env("ADB", dir.join("adb"))
        .env("FAKE_ADB_DIR", dir)
        .env("FAKE_ADB_DEVICES", devices)
        .env("FAKE_GETPROP", getprop)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[cfg(unix)]
#[test]
fn collect_json_from_an_emulator() {
    let dir = fake_adb_dir();
    let out = run(
        dir.path(),
        "one-emulator",
        "getprop-emulator-api34",
        &["collect", "--json", "--target", "adb"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["platform"], "android");
    assert_eq!(v["os"]["version"]["value"], "14");
    assert_eq!(
        v["os"]["version"]["source"],
        "adb shell getprop ro.build.version.release"
    );
    assert_eq!(v["security_patch"]["value"], "2023-09-05");
    assert_eq!(
        v["storage_encryption"]["value"]["method"],
        "file-based (FBE)"
    );
    assert_eq!(v["screen_lock"]["value"], "not_set");
    assert_eq!(
        v["screen_lock"]["source"],
        "adb shell locksettings get-disabled (true: the lock screen is disabled)"
    );
    assert_eq!(
        v["usb_debugging"]["source"],
        "adb shell settings get global adb_enabled"
    );
    // The lock screen is disabled: it never locks, whatever the timeout.
    assert_eq!(v["auto_lock"]["value"]["state"], "never");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("emulator-5554") && !text.contains("PLACEHOLDER"));
    let used = std::fs::read_to_string(dir.path().join("serials-used")).unwrap();
    assert!(used.lines().all(|l| l == "emulator-5554"), "{used}");
}

#[cfg(unix)]
#[test]
fn auto_lock_over_adb_is_the_screen_timeout_plus_the_lock_delay() {
    let dir = fake_adb_dir();
    let check = |screen_off: &str, lock_after: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_posture-agent"))
            .args(["check", "--json", "--target", "adb"])
            .env_remove("RUST_LOG")
            .env("ADB", dir.path().join("adb"))
            .env("FAKE_ADB_DIR", dir.path())
            .env("FAKE_ADB_DEVICES", "one-emulator")
            .env("FAKE_GETPROP", "getprop-emulator-api34")
            .env("FAKE_LOCK", "false")
            .env("FAKE_SCREEN_OFF", screen_off)
            .env("FAKE_LOCK_AFTER", lock_after)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "auto_lock")
            .unwrap()
            .clone()
    };
    let late = check("600000", "30000");
    assert_eq!(late["outcome"], "fail", "{late}");
    assert_eq!(late["observed"], "locks after 10 min 30 s");
    // Never written: the keyguard's own 5 s default is added.
    let soon = check("30000", "null");
    assert_eq!(soon["outcome"], "pass", "{soon}");
    assert_eq!(soon["observed"], "locks after 35 s");
    let odd = check("whenever", "null");
    assert!(
        odd["observed"]
            .as_str()
            .unwrap()
            .contains("not a number of milliseconds"),
        "{odd}"
    );
}

#[cfg(unix)]
#[test]
fn check_an_old_unencrypted_emulator_by_serial() {
    let dir = fake_adb_dir();
    let args = ["check", "--json", "--target", "adb:emulator-5554"];
    let out = run(
        dir.path(),
        "one-emulator",
        "getprop-emulator-api23-unencrypted",
        &args,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["compliance"], "non_compliant");
    let enc = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "storage_encryption")
        .unwrap();
    assert_eq!(enc["outcome"], "fail");
}

#[cfg(unix)]
#[test]
fn several_devices_pick_one_by_serial() {
    let dir = fake_adb_dir();
    let out = run(
        dir.path(),
        "several",
        "getprop-device-lineage-pixel4xl",
        &["collect", "--target", "adb"],
    );
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(
        e.contains("several devices")
            && e.contains("--target adb:SERIAL")
            && e.contains("emulator-5554"),
        "{e}"
    );
    let args = ["collect", "--json", "--target", "adb:SERIAL-PLACEHOLDER-1"];
    let out = run(
        dir.path(),
        "several",
        "getprop-device-lineage-pixel4xl",
        &args,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tripped: Vec<&str> = v["integrity"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["tripped"]["value"] == true)
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tripped,
        [
            "verified_boot_not_green",
            "bootloader_unlocked",
            "ro_debuggable"
        ]
    );
    let out = run(
        dir.path(),
        "several",
        "x",
        &["collect", "--target", "adb:nope"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no device with serial nope"));
}

#[cfg(unix)]
#[test]
fn adb_error_cases() {
    let dir = fake_adb_dir();
    for (devices, needle) in [
        ("none", "no Android device or emulator is attached"),
        (
            "unauthorized",
            "accept the USB debugging prompt on the device",
        ),
        ("offline", "is offline"),
    ] {
        let out = run(dir.path(), devices, "x", &["check", "--target", "adb"]);
        assert_eq!(out.status.code(), Some(2), "{devices}");
        assert!(stderr(&out).contains(needle), "{devices}: {}", stderr(&out));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_posture-agent"))
        .args(["collect", "--target", "adb"])
        .env("ADB", dir.path().join("no-such-adb"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("adb not found"), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn fake_adb_found_on_path() {
    let dir = fake_adb_dir();
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(env!("CARGO_BIN_EXE_posture-agent"))
        .args(["collect", "--json", "--target", "adb"])
        .env_remove("ADB")
        .env("PATH", path)
        .env("FAKE_ADB_DIR", dir.path())
        .env("FAKE_ADB_DEVICES", "one-emulator")
        .env("FAKE_GETPROP", "getprop-emulator-api34")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[cfg(target_os = "linux")]
#[test]
fn simctl_needs_macos() {
    let out = Command::new(env!("CARGO_BIN_EXE_posture-agent"))
        .args(["collect", "--target", "simctl"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("xcrun not found: the simctl target needs macOS with Xcode"));
}

#[test]
fn check_shipped_profiles_exit_codes() {
    let profiles = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    for (file, code) in [
        ("android-compliant.toml", 0),
        ("android-patch-grace.toml", 3),
        ("ios-jailbroken.toml", 1),
    ] {
        let target = format!("profile:{}", profiles.join(file).display());
        let out = Command::new(env!("CARGO_BIN_EXE_posture-agent"))
            .args(["check", "--target", &target])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{file}: {}", stderr(&out));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_posture-agent"))
        .args(["collect", "--target", "profile:/nonexistent/x.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("profile: cannot read /nonexistent/x.toml"),
        "{err}"
    );
}
