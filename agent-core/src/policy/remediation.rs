//! Remediation text: what a person should do, in words they can follow.

use time::Date;

use crate::posture::{Platform, SecurityPatch};
use crate::version::Version;

fn update_path(platform: Platform) -> &'static str {
    match platform {
        Platform::Android => {
            "Open Settings → System → Software update (on Samsung: Settings → Software update) and install every update offered."
        }
        Platform::Ios => "Open Settings → General → Software Update and install the latest update.",
        Platform::Macos => {
            "Open System Settings → General → Software Update and install the latest update."
        }
        Platform::Windows => {
            "Open Settings → Windows Update, select Check for updates and install everything offered, then restart."
        }
        Platform::Linux => {
            "Install your distribution's updates (for example `sudo apt update && sudo apt full-upgrade`), or upgrade to a supported release."
        }
    }
}

/// The OS is older than the policy allows.
pub(super) fn os_version(platform: Platform, observed: &str, needed: &Version) -> String {
    let end = match platform {
        Platform::Android | Platform::Ios => {
            " If no update is offered, this device no longer receives security updates: speak to IT about a replacement."
        }
        _ => "",
    };
    format!(
        "Your device runs {observed}; the trust needs {needed} or newer. {}{end}",
        update_path(platform)
    )
}

/// The Android security patch is too old.
pub(super) fn security_patch(platform: Platform, patch: SecurityPatch, oldest: Date) -> String {
    format!(
        "Your security patch is from {patch}; the trust needs {oldest} or newer. {}",
        update_path(platform)
    )
}

/// Storage is not encrypted.
pub(super) fn storage_encryption(platform: Platform) -> String {
    match platform {
        Platform::Android => "Your storage is not encrypted. Set a screen lock PIN, pattern or password (Settings → Security → Screen lock): Android encrypts your data with it. If that does not help, your phone is too old to encrypt its storage.".into(),
        Platform::Ios => "Your data is not protected. Set a passcode: Settings → Face ID & Passcode (or Touch ID & Passcode) → Turn Passcode On. iPhone encrypts your data with it.".into(),
        Platform::Macos => "Your disk is not encrypted. Turn on FileVault: System Settings → Privacy & Security → FileVault → Turn On, and keep the recovery key somewhere safe.".into(),
        Platform::Windows => "Your disk is not encrypted. Turn on encryption: Settings → Privacy & security → Device encryption (or BitLocker drive encryption in Control Panel), and save the recovery key to your account.".into(),
        Platform::Linux => "Your disk is not encrypted. On Linux this means reinstalling with full-disk encryption (LUKS) selected: back up your files first, or ask IT for help.".into(),
    }
}

/// No secure screen lock.
pub(super) fn screen_lock(platform: Platform) -> String {
    match platform {
        Platform::Android => "Set a screen lock: Settings → Security → Screen lock, and choose PIN, pattern or password (not Swipe or None).".into(),
        Platform::Ios => "Set a passcode: Settings → Face ID & Passcode (or Touch ID & Passcode) → Turn Passcode On.".into(),
        Platform::Macos => "Require your password when the screen locks: System Settings → Lock Screen → \"Require password after screen saver begins or display is turned off\" → Immediately.".into(),
        Platform::Windows => "Make Windows ask for sign-in after you are away: Settings → Accounts → Sign-in options → \"If you've been away, when should Windows require you to sign in again?\" → When PC wakes up from sleep, and set a screen saver with \"On resume, display logon screen\".".into(),
        Platform::Linux => "Turn on automatic screen lock: in GNOME, Settings → Privacy → Screen Lock → Automatic Screen Lock; in KDE, System Settings → Screen Locking → Lock screen automatically.".into(),
    }
}

/// A length of time in the words of a settings screen: "5 minutes",
/// "30 seconds", "1 minute 30 seconds".
pub(super) fn span(seconds: u32) -> String {
    let plural = |n: u32, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match (seconds / 60, seconds % 60) {
        (0, s) => plural(s, "second"),
        (m, 0) => plural(m, "minute"),
        (m, s) => format!("{} {}", plural(m, "minute"), plural(s, "second")),
    }
}

/// The screen locks too late, or never, by itself.
pub(super) fn auto_lock(platform: Platform, max: u32) -> String {
    let within = span(max);
    match platform {
        Platform::Android => format!(
            "Make your phone lock sooner: Settings → Display → Screen timeout → {within} or less, and in Settings → Security → Screen lock (the gear beside it) set \"Lock after screen timeout\" to Immediately (on Samsung: Settings → Lock screen → Secure lock settings → Auto lock when screen turns off → Immediately)."
        ),
        Platform::Ios => format!(
            "Make your iPhone lock sooner: Settings → Display & Brightness → Auto-Lock → {within} or less (not Never)."
        ),
        Platform::Macos => format!(
            "Make your Mac lock sooner: in System Settings → Lock Screen, set \"Start Screen Saver when inactive\" and \"Turn display off when inactive\" to {within} or less, and \"Require password after screen saver begins or display is turned off\" to Immediately."
        ),
        Platform::Windows => format!(
            "Make Windows lock sooner: Settings → Personalisation → Lock screen → Screen saver: choose a screen saver, set Wait to {within} or less and tick \"On resume, display logon screen\"."
        ),
        Platform::Linux => format!(
            "Make your screen lock sooner: in GNOME, Settings → Power → Screen Blank → {within} or less, and Settings → Privacy → Screen Lock → Automatic Screen Lock on with a short delay; in KDE, System Settings → Screen Locking → \"Lock screen automatically\" after {within} or less."
        ),
    }
}

/// Developer mode is on.
pub(super) fn developer_mode(platform: Platform) -> String {
    match platform {
        Platform::Ios => "Turn off Developer Mode: Settings → Privacy & Security → Developer Mode → off, then restart.".into(),
        _ => "Turn off developer options: Settings → System → Developer options → switch off \"Use developer options\".".into(),
    }
}

/// USB debugging is on.
pub(super) fn usb_debugging(_platform: Platform) -> String {
    "Turn off USB debugging: Settings → System → Developer options → USB debugging → off (or turn developer options off altogether).".into()
}

/// Integrity indicators tripped.
pub(super) fn integrity(tripped: &[&str]) -> String {
    format!(
        "This device shows signs of a modified system ({}). Work data cannot be protected on a rooted, jailbroken or modified device. Restore the manufacturer's software, or contact IT.",
        tripped.join(", ")
    )
}

/// A fact the policy needs could not be read; the finding's `observed`
/// already says why, so this does not repeat it.
pub(super) fn unknown(platform: Platform, what: &str) -> String {
    format!(
        "The agent could not check {what} on this {} device. If you think this is wrong, contact IT and quote this finding.",
        platform.display_name()
    )
}

/// The end of a warning's fix under `warn-then-block`: the day the block
/// starts.
pub(super) fn before(deadline: Date) -> String {
    format!("Please do this before {deadline}.")
}
