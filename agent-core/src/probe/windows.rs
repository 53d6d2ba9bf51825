//! The Windows probe: version and UBR from the registry (`reg query`),
//! BitLocker from `manage-bde -status`, the screen-saver lock policy and the
//! machine inactivity limit from the registry (readable without elevation). Each is a thin command call over a pure parser in
//! [`super::parse::windows`]; compiled only on Windows, the parsers are tested
//! everywhere on captured outputs.

use time::OffsetDateTime;

use super::parse::desktop_lock::windows_auto_lock;
use super::parse::windows::{
    ScreenSaver, os_volume_encrypted, parse_current_version, parse_inactivity_limit,
    parse_manage_bde_status, parse_screensaver_policy,
};
use super::{PostureProbe, run_command, source_error, why};
use crate::posture::{AutoLock, Fact, OsFacts, Platform, Posture, ScreenLock, StorageEncryption};

/// Reads posture from the running Windows PC.
#[derive(Debug, Clone, Copy)]
pub struct WindowsProbe;

impl PostureProbe for WindowsProbe {
    fn collect(&self) -> Posture {
        let not_read = why("reason-not-read", &[]);
        let mut p = Posture::unknown(Platform::Windows, &not_read, OffsetDateTime::now_utc());
        p.os = os();
        p.security_patch = Fact::unknown(why("reason-windows-no-patch-level", &[]));
        p.storage_encryption = bitlocker();
        let keys = screen_saver_keys();
        p.screen_lock = screen_lock(&keys);
        p.auto_lock = auto_lock(&keys);
        p.developer_mode = Fact::unknown(why("reason-windows-developer-mode-not-probed", &[]));
        p.usb_debugging = Fact::unknown(why("reason-windows-no-usb-debugging", &[]));
        p.hardware_key_store = Fact::unknown(why("reason-windows-tpm-not-probed", &[]));
        p.secure_boot = Fact::unknown(why("reason-windows-secure-boot-not-probed", &[]));
        p.tpm = Fact::unknown(why("reason-windows-tpm-not-probed", &[]));
        p
    }
}

fn os() -> OsFacts {
    const KEY: &str = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion";
    let src = format!("reg query \"{KEY}\"");
    match run_command("reg", &["query", KEY])
        .and_then(|(out, _)| parse_current_version(&out).map_err(|e| e.to_string()))
    {
        Ok(v) => OsFacts {
            id: Fact::observed("windows".into(), src.as_str()),
            id_like: Vec::new(),
            name: Fact::observed(v.marketing_name(), src.as_str()),
            version: Fact::observed(v.version_string(), src.as_str()),
            build: Fact::observed(format!("{}.{}", v.build, v.ubr), src.as_str()),
            kernel: Fact::observed(v.version_string(), src.as_str()),
        },
        Err(reason) => {
            let r = source_error(&src, &reason);
            OsFacts {
                id: Fact::observed(
                    "windows".into(),
                    why("reason-windows-observed-compiled-for", &[]),
                ),
                id_like: Vec::new(),
                name: Fact::unknown(r.clone()),
                version: Fact::unknown(r.clone()),
                build: Fact::unknown(r.clone()),
                kernel: Fact::unknown(r),
            }
        }
    }
}

fn bitlocker() -> Fact<StorageEncryption> {
    let drive = std::env::var("SystemDrive").unwrap_or_else(|_| "C:".into());
    let src = format!("manage-bde -status {drive}");
    let volumes = run_command("manage-bde", &["-status", &drive])
        .and_then(|(out, _)| parse_manage_bde_status(&out).map_err(|e| e.to_string()));
    match volumes.map(|v| os_volume_encrypted(&v, &drive)) {
        Ok(Some(true)) => Fact::observed(
            StorageEncryption::Encrypted {
                method: "BitLocker".into(),
            },
            src,
        ),
        Ok(Some(false)) => Fact::observed(StorageEncryption::NotEncrypted, src),
        Ok(None) => Fact::unknown(source_error(
            &src,
            &why("reason-windows-system-drive-not-listed", &[]),
        )),
        // manage-bde needs an elevated prompt; without it the state is unknown.
        Err(reason) => Fact::unknown(source_error(&src, &reason)),
    }
}

/// The screen-saver values of the Group Policy key, then the user's, each
/// with its source; a key that cannot be read is left out.
fn screen_saver_keys() -> Vec<(Result<ScreenSaver, String>, String)> {
    const POLICY: &str = r"HKCU\Software\Policies\Microsoft\Windows\Control Panel\Desktop";
    const USER: &str = r"HKCU\Control Panel\Desktop";
    [POLICY, USER]
        .into_iter()
        .filter_map(|key| {
            let (out, _) = run_command("reg", &["query", key]).ok()?;
            let parsed = parse_screensaver_policy(&out).map_err(|e| e.to_string());
            Some((parsed, format!("reg query \"{key}\"")))
        })
        .collect()
}

fn screen_lock(keys: &[(Result<ScreenSaver, String>, String)]) -> Fact<ScreenLock> {
    for (saver, src) in keys {
        match saver.as_ref().map(ScreenSaver::locks) {
            Ok(Some(true)) => return Fact::observed(ScreenLock::Set, src.as_str()),
            Ok(Some(false)) => return Fact::observed(ScreenLock::NotSet, src.as_str()),
            Ok(None) => continue,
            Err(e) => return Fact::unknown(source_error(src, e)),
        }
    }
    Fact::unknown(why("reason-windows-no-screen-saver-lock", &[]))
}

fn auto_lock(keys: &[(Result<ScreenSaver, String>, String)]) -> Fact<AutoLock> {
    let mut decided = None;
    for (saver, src) in keys {
        match saver.as_ref().map(ScreenSaver::auto_lock) {
            Ok(Some(lock)) => {
                decided = Some((lock, src.clone()));
                break;
            }
            Ok(None) => continue,
            Err(e) => return Fact::unknown(source_error(src, e)),
        }
    }
    const SYSTEM: &str = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System";
    let limit = run_command("reg", &["query", SYSTEM])
        .and_then(|(out, _)| parse_inactivity_limit(&out).map_err(|e| e.to_string()))
        .map_err(|e| source_error(&format!("reg query \"{SYSTEM}\""), &e));
    windows_auto_lock(decided, limit)
}
