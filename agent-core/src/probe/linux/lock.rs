//! The screen locker of the graphical session the agent runs in (GNOME or
//! KDE Plasma): whether it locks, and how soon. Thin reads of `gsettings`
//! and `kscreenlockerrc`; the meaning is in [`crate::probe::parse::desktop_lock`].

use std::path::PathBuf;

use super::read_bounded;
use crate::posture::{AutoLock, Fact, ScreenLock};
use crate::probe::parse::desktop_lock::{
    KdeLock, gnome_auto_lock, parse_gsettings_bool, parse_gsettings_uint, parse_kscreenlockerrc,
};
use crate::probe::{run_command, why};

/// GNOME or KDE screen lock of the graphical session this process runs in:
/// whether it locks, and how soon.
pub(super) fn screen_lock() -> (Fact<ScreenLock>, Fact<AutoLock>) {
    let both = |reason: String| (Fact::unknown(reason.clone()), Fact::unknown(reason));
    let graphical = ["WAYLAND_DISPLAY", "DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
    if !graphical {
        return both(why("reason-linux-no-graphical-session", &[]));
    }
    let desktop = std::env::var("XDG_CURRENT_DESKTOP").unwrap_or_default();
    let desktops: Vec<&str> = desktop.split(':').collect();
    if desktops.iter().any(|d| {
        matches!(
            *d,
            "GNOME" | "Unity" | "ubuntu" | "GNOME-Classic" | "Budgie"
        )
    }) {
        gnome_lock(&GnomeReads::read())
    } else if desktops.contains(&"KDE") {
        match kde_settings() {
            Ok((lock, shown)) => kde_lock(&lock, shown),
            Err(reason) => both(reason),
        }
    } else if desktop.is_empty() {
        both(why("reason-linux-no-current-desktop", &[]))
    } else {
        both(why(
            "reason-linux-desktop-not-read",
            &[("desktop", &desktop)],
        ))
    }
}

const GNOME_LOCK: &str = "gsettings get org.gnome.desktop.screensaver lock-enabled";
const GNOME_IDLE: &str = "gsettings get org.gnome.desktop.session idle-delay";
const GNOME_DELAY: &str = "gsettings get org.gnome.desktop.screensaver lock-delay";

/// The three GNOME settings, each read once, or why it could not be.
struct GnomeReads {
    enabled: Result<bool, String>,
    idle_delay: Result<u32, String>,
    lock_delay: Result<u32, String>,
}

impl GnomeReads {
    fn read() -> GnomeReads {
        let get = |schema: &str, key: &str| {
            run_command("gsettings", &["get", schema, key]).map(|(out, _)| out)
        };
        GnomeReads {
            enabled: get("org.gnome.desktop.screensaver", "lock-enabled")
                .and_then(|out| parse_gsettings_bool(&out).map_err(|e| e.to_string())),
            idle_delay: get("org.gnome.desktop.session", "idle-delay")
                .and_then(|out| parse_gsettings_uint(&out).map_err(|e| e.to_string())),
            lock_delay: get("org.gnome.desktop.screensaver", "lock-delay")
                .and_then(|out| parse_gsettings_uint(&out).map_err(|e| e.to_string())),
        }
    }
}

fn gnome_lock(g: &GnomeReads) -> (Fact<ScreenLock>, Fact<AutoLock>) {
    let enabled = match &g.enabled {
        Ok(v) => *v,
        Err(reason) => {
            let r = why(
                "reason-source-error",
                &[("source", GNOME_LOCK), ("error", reason)],
            );
            return (Fact::unknown(r.clone()), Fact::unknown(r));
        }
    };
    if !enabled {
        return (
            Fact::observed(ScreenLock::NotSet, GNOME_LOCK),
            Fact::observed(
                AutoLock::Never,
                why(
                    "reason-linux-observed-gnome-lock-off",
                    &[("source", GNOME_LOCK)],
                ),
            ),
        );
    }
    // An idle delay of 0 means the screen never blanks, so it never locks.
    let idle = match &g.idle_delay {
        Ok(v) => *v,
        Err(reason) => {
            let r = why(
                "reason-source-error",
                &[("source", GNOME_IDLE), ("error", reason)],
            );
            return (Fact::unknown(r.clone()), Fact::unknown(r));
        }
    };
    if idle == 0 {
        let source = why(
            "reason-linux-observed-gnome-never-blanks",
            &[("lock", GNOME_LOCK), ("idle", GNOME_IDLE)],
        );
        return (
            Fact::observed(ScreenLock::NotSet, source.clone()),
            Fact::observed(AutoLock::Never, source),
        );
    }
    let screen_lock = Fact::observed(ScreenLock::Set, format!("{GNOME_LOCK}; {GNOME_IDLE}"));
    let auto_lock = match &g.lock_delay {
        Ok(delay) => Fact::observed(
            gnome_auto_lock(enabled, idle, *delay),
            format!("{GNOME_IDLE} ({idle} s) + {GNOME_DELAY} ({delay} s)"),
        ),
        Err(reason) => Fact::unknown(why(
            "reason-linux-gnome-lock-delay",
            &[
                ("source", GNOME_DELAY),
                ("error", reason),
                ("seconds", &idle.to_string()),
            ],
        )),
    };
    (screen_lock, auto_lock)
}

/// `kscreenlockerrc` (a missing file is Plasma's defaults) and how to name it.
fn kde_settings() -> Result<(KdeLock, &'static str), String> {
    let (path, shown) = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => (
            PathBuf::from(dir).join("kscreenlockerrc"),
            "$XDG_CONFIG_HOME/kscreenlockerrc",
        ),
        None => match std::env::var_os("HOME") {
            Some(home) => (
                PathBuf::from(home).join(".config/kscreenlockerrc"),
                "~/.config/kscreenlockerrc",
            ),
            None => return Err(why("reason-linux-no-home", &[])),
        },
    };
    let text = match read_bounded(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(why(
                "reason-cannot-read",
                &[("path", shown), ("error", &e.to_string())],
            ));
        }
    };
    parse_kscreenlockerrc(&text)
        .map(|lock| (lock, shown))
        .map_err(|e| {
            why(
                "reason-source-error",
                &[("source", shown), ("error", &e.to_string())],
            )
        })
}

fn kde_lock(lock: &KdeLock, shown: &str) -> (Fact<ScreenLock>, Fact<AutoLock>) {
    let auto_lock = lock.auto_lock();
    if lock.locks_automatically() {
        (
            Fact::observed(ScreenLock::Set, shown),
            Fact::observed(
                auto_lock,
                format!(
                    "{shown}: Timeout ({} min) + LockGrace ({} s)",
                    lock.timeout_minutes, lock.lock_grace_seconds
                ),
            ),
        )
    } else {
        let source = why(
            "reason-linux-observed-kde-autolock-off",
            &[("source", shown)],
        );
        (
            Fact::observed(ScreenLock::NotSet, source.clone()),
            Fact::observed(auto_lock, source),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gnome_settings_give_both_lock_facts() {
        let reads = |enabled: Result<bool, String>, idle: Result<u32, String>, delay| GnomeReads {
            enabled,
            idle_delay: idle,
            lock_delay: delay,
        };
        let (lock, auto) = gnome_lock(&reads(Ok(true), Ok(300), Ok(30)));
        assert_eq!(lock.value(), Some(&ScreenLock::Set));
        assert_eq!(
            auto,
            Fact::observed(
                AutoLock::After { seconds: 330 },
                format!("{GNOME_IDLE} (300 s) + {GNOME_DELAY} (30 s)")
            )
        );
        let (lock, auto) = gnome_lock(&reads(Ok(false), Ok(300), Ok(0)));
        assert_eq!(lock.value(), Some(&ScreenLock::NotSet));
        assert_eq!(auto.value(), Some(&AutoLock::Never));
        let (lock, auto) = gnome_lock(&reads(Ok(true), Ok(0), Ok(0)));
        assert_eq!(lock.value(), Some(&ScreenLock::NotSet));
        assert_eq!(auto.value(), Some(&AutoLock::Never));
        // The lock delay alone missing leaves only the timing unknown.
        let (lock, auto) = gnome_lock(&reads(Ok(true), Ok(600), Err("No such key".into())));
        assert_eq!(lock.value(), Some(&ScreenLock::Set));
        assert!(auto.provenance().contains("No such key"), "{auto:?}");
        assert!(auto.value().is_none());
        let (lock, auto) = gnome_lock(&reads(
            Err("could not run gsettings: No such file or directory".into()),
            Ok(1),
            Ok(1),
        ));
        assert!(lock.value().is_none() && auto.value().is_none());
        assert!(auto.provenance().contains("could not run gsettings"));
    }

    #[test]
    fn kde_settings_give_both_lock_facts() {
        let custom = include_str!("../parse/fixtures/kscreenlockerrc-timeout-10");
        let lock = parse_kscreenlockerrc(custom).unwrap();
        let (screen, auto) = kde_lock(&lock, "~/.config/kscreenlockerrc");
        assert_eq!(screen.value(), Some(&ScreenLock::Set));
        assert_eq!(auto.value(), Some(&AutoLock::After { seconds: 610 }));
        assert_eq!(
            auto.provenance(),
            "~/.config/kscreenlockerrc: Timeout (10 min) + LockGrace (10 s)"
        );
        let off = parse_kscreenlockerrc(include_str!(
            "../parse/fixtures/kscreenlockerrc-autolock-off"
        ))
        .unwrap();
        let (screen, auto) = kde_lock(&off, "~/.config/kscreenlockerrc");
        assert_eq!(screen.value(), Some(&ScreenLock::NotSet));
        assert_eq!(auto.value(), Some(&AutoLock::Never));
    }
}
