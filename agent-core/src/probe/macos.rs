//! The macOS probe: `sw_vers`, `fdesetup status`, `sysadminctl -screenLock
//! status`, the screen saver's `idleTime` and `pmset -g`, each a thin command
//! call over a pure parser in [`super::parse::macos`]. Each runs as the
//! signed-in user, without root (only changing the screen lock needs an
//! administrator). Compiled only on macOS; the parsers are tested
//! everywhere on captured outputs.

use time::OffsetDateTime;

use super::parse::desktop_lock::macos_auto_lock;
use super::parse::macos::{
    FileVault, ScreenLockSetting, parse_fdesetup_status, parse_pmset_display_sleep,
    parse_screensaver_idle_time, parse_sw_vers, parse_sysadminctl_screenlock,
};
use super::{PostureProbe, run_command, source_error, why};
use crate::posture::{
    AutoLock, Fact, HardwareKeyStore, OsFacts, Platform, Posture, ScreenLock, StorageEncryption,
};

/// Reads posture from the running Mac.
#[derive(Debug, Clone, Copy)]
pub struct MacProbe;

impl PostureProbe for MacProbe {
    fn collect(&self) -> Posture {
        let not_read = why("reason-not-read", &[]);
        let mut p = Posture::unknown(Platform::Macos, &not_read, OffsetDateTime::now_utc());
        p.os = os();
        p.security_patch = Fact::unknown(why("reason-macos-no-patch-level", &[]));
        p.storage_encryption = filevault();
        let lock = screen_lock_setting();
        p.screen_lock = screen_lock(lock.clone());
        p.auto_lock = auto_lock(lock);
        p.developer_mode = Fact::unknown(why("reason-macos-no-developer-mode", &[]));
        p.usb_debugging = Fact::unknown(why("reason-macos-no-usb-debugging", &[]));
        p.hardware_key_store = Fact::unknown(why("reason-macos-secure-enclave-not-probed", &[]));
        p.secure_boot = Fact::unknown(why("reason-macos-secure-boot-not-probed", &[]));
        p.tpm = Fact::unknown(why("reason-macos-no-tpm", &[]));
        p
    }
}

fn os() -> OsFacts {
    const SRC: &str = "sw_vers";
    let kernel = Fact::from((
        run_command("uname", &["-r"]).map(|(out, _)| out.trim().to_owned()),
        "uname -r",
    ));
    match run_command("sw_vers", &[])
        .and_then(|(out, _)| parse_sw_vers(&out).map_err(|e| e.to_string()))
    {
        Ok(v) => {
            let version = match v.product_version_extra {
                Some(extra) => format!("{} {extra}", v.product_version),
                None => v.product_version,
            };
            OsFacts {
                id: Fact::observed("macos".into(), SRC),
                id_like: Vec::new(),
                name: Fact::observed(v.product_name, SRC),
                version: Fact::observed(version, SRC),
                build: Fact::observed(v.build_version, SRC),
                kernel,
            }
        }
        Err(reason) => OsFacts {
            id: Fact::observed(
                "macos".into(),
                why("reason-macos-observed-compiled-for", &[]),
            ),
            id_like: Vec::new(),
            name: Fact::unknown(source_error(SRC, &reason)),
            version: Fact::unknown(source_error(SRC, &reason)),
            build: Fact::unknown(source_error(SRC, &reason)),
            kernel,
        },
    }
}

fn filevault() -> Fact<StorageEncryption> {
    const SRC: &str = "fdesetup status";
    let status = run_command("fdesetup", &["status"])
        .and_then(|(out, _)| parse_fdesetup_status(&out).map_err(|e| e.to_string()));
    match status {
        Ok(FileVault::On) => Fact::observed(
            StorageEncryption::Encrypted {
                method: "FileVault".into(),
            },
            SRC,
        ),
        Ok(FileVault::Off) => Fact::observed(StorageEncryption::NotEncrypted, SRC),
        // Until conversion finishes the disk is not fully protected.
        Ok(FileVault::Encrypting { .. }) => Fact::observed(
            StorageEncryption::NotEncrypted,
            why("reason-macos-observed-encrypting", &[("source", SRC)]),
        ),
        Ok(FileVault::Decrypting { .. }) => Fact::observed(
            StorageEncryption::NotEncrypted,
            why("reason-macos-observed-decrypting", &[("source", SRC)]),
        ),
        Ok(FileVault::DeferredEnablement) => Fact::observed(
            StorageEncryption::NotEncrypted,
            why("reason-macos-observed-deferred", &[("source", SRC)]),
        ),
        Err(reason) => Fact::unknown(source_error(SRC, &reason)),
    }
}

const SYSADMINCTL: &str = "sysadminctl -screenLock status";

/// The password delay after the screen saver or display sleep, read once
/// for both lock facts.
fn screen_lock_setting() -> Result<ScreenLockSetting, String> {
    // sysadminctl reports on stderr.
    run_command("sysadminctl", &["-screenLock", "status"]).and_then(|(out, err)| {
        parse_sysadminctl_screenlock(&format!("{out}{err}")).map_err(|e| e.to_string())
    })
}

fn screen_lock(status: Result<ScreenLockSetting, String>) -> Fact<ScreenLock> {
    const SRC: &str = SYSADMINCTL;
    match status {
        Ok(ScreenLockSetting::Off) => Fact::observed(ScreenLock::NotSet, SRC),
        Ok(ScreenLockSetting::Immediate | ScreenLockSetting::AfterSeconds(_)) => {
            Fact::observed(ScreenLock::Set, SRC)
        }
        Err(reason) => Fact::unknown(source_error(SRC, &reason)),
    }
}

fn auto_lock(lock: Result<ScreenLockSetting, String>) -> Fact<AutoLock> {
    let idle = match run_command(
        "defaults",
        &["-currentHost", "read", "com.apple.screensaver", "idleTime"],
    ) {
        Ok((out, _)) => parse_screensaver_idle_time(&out)
            .map(Some)
            .map_err(|e| e.to_string()),
        // defaults exits 1 with "… does not exist" for a key never written.
        Err(e) if e.contains("does not exist") => Ok(None),
        Err(e) => Err(e),
    };
    let display = run_command("pmset", &["-g"])
        .and_then(|(out, _)| parse_pmset_display_sleep(&out).map_err(|e| e.to_string()));
    macos_auto_lock(idle, display, lock)
}

// HardwareKeyStore is listed for the Secure Enclave probe to come.
#[allow(dead_code)]
const _SECURE_ENCLAVE: HardwareKeyStore = HardwareKeyStore::SecureEnclave;
