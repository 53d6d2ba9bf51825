//! Probes: what reads a device's posture.
//!
//! A platform implements [`PostureProbe`]. Desktop probes live here behind
//! `cfg(target_os)`. Phones only read: their shims fill [`AndroidReadings`]
//! or [`IosReadings`] with raw [`Reading`]s, and [`android::android_posture`]
//! and [`ios::ios_posture`] give them meaning. The pure parsers in [`parse`]
//! are compiled everywhere so they are tested everywhere.

pub mod android;
pub mod ios;
pub mod parse;
mod reading;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "windows")]
mod windows;

pub use android::AndroidReadings;
pub use ios::IosReadings;
pub use reading::Reading;

use crate::posture::Posture;

/// Why an iOS posture's `auto_lock` is Unknown: the iOS app and the
/// simulator harness say the same.
pub const IOS_AUTO_LOCK_NOT_READABLE: &str =
    "not readable by a third-party app: iOS gives apps no API to read the Auto-Lock setting";

/// Reads the posture of one device.
///
/// `collect` never fails: a fact it cannot read is `Unknown` with a reason.
pub trait PostureProbe: Send + Sync {
    /// Collects the device's posture now.
    fn collect(&self) -> Posture;
}

/// The probe for the machine this binary runs on, when the agent has one for
/// its OS (Linux, macOS, Windows). Phones supply their own probe.
pub fn local_probe() -> Option<Box<dyn PostureProbe>> {
    #[cfg(target_os = "linux")]
    return Some(Box::new(linux::LinuxProbe::new()));
    #[cfg(target_os = "macos")]
    return Some(Box::new(macos::MacProbe));
    #[cfg(target_os = "windows")]
    return Some(Box::new(windows::WindowsProbe));
    #[allow(unreachable_code)]
    None
}

/// One of the core's reasons for an unknown fact, in English as the posture
/// carries it: the `reason-...` message `id` with its variables (names,
/// values, a platform's error text), shown to a person in their language by
/// [`crate::l10n::reason`].
pub(crate) fn why(id: &'static str, vars: &[(&'static str, &str)]) -> String {
    let mut msg = crate::l10n::Msg::new(id);
    for &(name, value) in vars {
        msg = msg.text(name, value);
    }
    crate::l10n::english_reason(msg)
}

/// `{source}: {error}`: what was read, and why that failed (a platform's
/// error text, or one of the core's reasons).
pub(crate) fn source_error(source: &str, error: &str) -> String {
    why(
        "reason-source-error",
        &[("source", source), ("error", error)],
    )
}

/// Bytes read from any single file or command output by a probe: posture
/// sources are small, and a bound keeps a strange system from costing memory.
#[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
pub(crate) const MAX_SOURCE_BYTES: u64 = 256 * 1024;

/// Runs a command and returns its stdout and stderr, bounded.
#[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
pub(crate) fn run_command(program: &str, args: &[&str]) -> Result<(String, String), String> {
    let output = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            let error = e.to_string();
            why(
                "reason-could-not-run",
                &[("program", program), ("error", &error)],
            )
        })?;
    let cap = |bytes: &[u8]| {
        let end = bytes.len().min(MAX_SOURCE_BYTES as usize);
        String::from_utf8_lossy(&bytes[..end]).into_owned()
    };
    let (stdout, stderr) = (cap(&output.stdout), cap(&output.stderr));
    if !output.status.success() {
        let first = stderr.lines().next().unwrap_or("").trim();
        let status = output.status.to_string();
        return Err(why(
            "reason-exited",
            &[("program", program), ("status", &status), ("error", first)],
        ));
    }
    Ok((stdout, stderr))
}
