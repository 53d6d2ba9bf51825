//! Remediation text: what a person should do, in words they can follow, in
//! their language (the messages are in `locales/*/posture-agent.ftl`).

use time::Date;

use crate::l10n::{Locale, Msg};
use crate::posture::{Platform, SecurityPatch};
use crate::version::Version;

/// The platform as a Fluent selector (`android`, `ios`, ...).
fn key(platform: Platform) -> &'static str {
    match platform {
        Platform::Android => "android",
        Platform::Ios => "ios",
        Platform::Linux => "linux",
        Platform::Macos => "macos",
        Platform::Windows => "windows",
    }
}

fn on(platform: Platform, id: &'static str) -> Msg {
    Msg::new(id).text("platform", key(platform))
}

fn update_path(l: Locale, platform: Platform) -> String {
    on(platform, "remediation-update-path").in_locale(l)
}

/// The OS is older than the policy allows.
pub(super) fn os_version(
    l: Locale,
    platform: Platform,
    observed: &str,
    needed: &Version,
) -> String {
    let text = Msg::new("remediation-os-version")
        .text("observed", observed)
        .text("needed", needed.to_string())
        .text("update", update_path(l, platform))
        .in_locale(l);
    match platform {
        // Phones stop getting updates: say what that means.
        Platform::Android | Platform::Ios => {
            format!(
                "{text} {}",
                crate::l10n::text(l, "remediation-os-no-updates")
            )
        }
        _ => text,
    }
}

/// The Android security patch is too old.
pub(super) fn security_patch(
    l: Locale,
    platform: Platform,
    patch: SecurityPatch,
    oldest: Date,
) -> String {
    Msg::new("remediation-security-patch")
        .text("patch", patch.to_string())
        .text("oldest", oldest.to_string())
        .text("update", update_path(l, platform))
        .in_locale(l)
}

/// Storage is not encrypted.
pub(super) fn storage_encryption(l: Locale, platform: Platform) -> String {
    on(platform, "remediation-storage-encryption").in_locale(l)
}

/// No secure screen lock.
pub(super) fn screen_lock(l: Locale, platform: Platform) -> String {
    on(platform, "remediation-screen-lock").in_locale(l)
}

/// A length of time in the words of a settings screen: "5 minutes",
/// "30 seconds", "1 minute 30 seconds".
pub(super) fn span(l: Locale, seconds: u32) -> String {
    let minutes = |n| Msg::new("span-minutes").number("n", n).in_locale(l);
    let secs = |n| Msg::new("span-seconds").number("n", n).in_locale(l);
    match (seconds / 60, seconds % 60) {
        (0, s) => secs(s),
        (m, 0) => minutes(m),
        (m, s) => Msg::new("span-minutes-seconds")
            .text("minutes", minutes(m))
            .text("seconds", secs(s))
            .in_locale(l),
    }
}

/// The screen locks too late, or never, by itself.
pub(super) fn auto_lock(l: Locale, platform: Platform, max: u32) -> String {
    on(platform, "remediation-auto-lock")
        .text("within", span(l, max))
        .in_locale(l)
}

/// Developer mode is on.
pub(super) fn developer_mode(l: Locale, platform: Platform) -> String {
    on(platform, "remediation-developer-mode").in_locale(l)
}

/// USB debugging is on.
pub(super) fn usb_debugging(l: Locale, _platform: Platform) -> String {
    crate::l10n::text(l, "remediation-usb-debugging")
}

/// Integrity indicators tripped.
pub(super) fn integrity(l: Locale, tripped: &[&str]) -> String {
    Msg::new("remediation-integrity")
        .text("indicators", tripped.join(", "))
        .in_locale(l)
}

/// A fact the policy needs could not be read; the finding's `observed`
/// already says why, so this does not repeat it. `what` is the message id
/// of what could not be checked (`check-subject-*`).
pub(super) fn unknown(l: Locale, platform: Platform, what: &'static str) -> String {
    Msg::new("remediation-unknown")
        .text("what", crate::l10n::text(l, what))
        .text("device", platform.display_name())
        .in_locale(l)
}

/// A failure inside its grace period: the fix, and the day it is due by.
pub(super) fn before_deadline(l: Locale, remediation: &str, deadline: Date) -> String {
    Msg::new("remediation-before-deadline")
        .text("remediation", remediation)
        .text("date", deadline.to_string())
        .in_locale(l)
}
