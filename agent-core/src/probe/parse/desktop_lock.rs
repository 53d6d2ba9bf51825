//! Desktop screen-lock settings: GNOME (gsettings) and KDE (kscreenlockerrc),
//! and how soon each desktop platform locks by itself (GNOME, KDE, macOS,
//! Windows) from the settings its probe read.

use super::MAX_INPUT_BYTES;
use super::macos::ScreenLockSetting;
use super::windows::ScreenSaver;
use crate::posture::{AutoLock, Fact};
use crate::probe::{source_error, why};

/// Why a screen-lock setting could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockParseError {
    /// Larger than any real settings file.
    #[error("{}", crate::probe::why(
        "reason-parse-input-too-large",
        &[("bytes", &.0.to_string()), ("limit", &MAX_INPUT_BYTES.to_string())],
    ))]
    TooLarge(usize),
    /// gsettings printed something that is not the expected value.
    #[error("{}", crate::probe::why(
        "reason-parse-gsettings-printed",
        &[("text", &format!("{:?}", .0)), ("expected", .1)],
    ))]
    Gsettings(String, &'static str),
    /// A kscreenlockerrc value is not valid.
    #[error("{}", crate::probe::why(
        "reason-parse-kscreenlockerrc-line",
        &[("line", &line.to_string()), ("what", what)],
    ))]
    Kde {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        what: String,
    },
}

/// Parses `gsettings get ... lock-enabled` output ("true" / "false").
pub fn parse_gsettings_bool(text: &str) -> Result<bool, LockParseError> {
    match text.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(LockParseError::Gsettings(
            other.chars().take(40).collect(),
            "true or false",
        )),
    }
}

/// Parses `gsettings get org.gnome.desktop.session idle-delay` ("uint32 300").
pub fn parse_gsettings_uint(text: &str) -> Result<u32, LockParseError> {
    let t = text.trim();
    t.strip_prefix("uint32 ")
        .unwrap_or(t)
        .parse()
        .map_err(|_| LockParseError::Gsettings(t.chars().take(40).collect(), "an unsigned number"))
}

/// When GNOME locks the screen: `org.gnome.desktop.session idle-delay`
/// seconds without input blank the screen (0: never), and with
/// `org.gnome.desktop.screensaver lock-enabled` the lock follows
/// `lock-delay` seconds after the blank.
pub fn gnome_auto_lock(lock_enabled: bool, idle_delay: u32, lock_delay: u32) -> AutoLock {
    if !lock_enabled || idle_delay == 0 {
        AutoLock::Never
    } else {
        AutoLock::after(idle_delay, lock_delay)
    }
}

/// KDE's automatic screen lock settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdeLock {
    /// `[Daemon] Autolock` (default true).
    pub autolock: bool,
    /// `[Daemon] Timeout` in minutes (default 5).
    pub timeout_minutes: u32,
    /// `[Daemon] LockOnResume` (default true).
    pub lock_on_resume: bool,
    /// `[Daemon] LockGrace`: seconds after the screen saver starts during
    /// which input unlocks without a password (default 5).
    pub lock_grace_seconds: u32,
}

impl Default for KdeLock {
    /// Plasma's defaults when the file or a key is absent.
    fn default() -> Self {
        KdeLock {
            autolock: true,
            timeout_minutes: 5,
            lock_on_resume: true,
            lock_grace_seconds: 5,
        }
    }
}

/// Parses `kscreenlockerrc` (KConfig INI). Missing keys keep Plasma's defaults.
pub fn parse_kscreenlockerrc(text: &str) -> Result<KdeLock, LockParseError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(LockParseError::TooLarge(text.len()));
    }
    let mut lock = KdeLock::default();
    let mut in_daemon = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |what: String| LockParseError::Kde { line: i + 1, what };
        if line.starts_with('[') {
            if !line.ends_with(']') {
                return Err(err(why("reason-parse-kde-unterminated-group", &[])));
            }
            in_daemon = line == "[Daemon]";
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(err(why("reason-parse-kde-not-key-value", &[])));
        };
        if !in_daemon {
            continue;
        }
        // KConfig allows `Key[$i]=value` (immutable): the flag does not change the value.
        let key = key.trim().split('[').next().unwrap_or("");
        let value = value.trim();
        let boolean = || match value {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(err(why(
                "reason-is-not-true-or-false",
                &[("source", key), ("value", &format!("{value:?}"))],
            ))),
        };
        match key {
            "Autolock" => lock.autolock = boolean()?,
            "LockOnResume" => lock.lock_on_resume = boolean()?,
            "Timeout" => {
                lock.timeout_minutes = value.parse().map_err(|_| {
                    err(why(
                        "reason-parse-kde-timeout-not-minutes",
                        &[("value", &format!("{value:?}"))],
                    ))
                })?;
            }
            "LockGrace" => {
                lock.lock_grace_seconds = value.parse().map_err(|_| {
                    err(why(
                        "reason-parse-kde-lockgrace-not-seconds",
                        &[("value", &format!("{value:?}"))],
                    ))
                })?;
            }
            _ => {}
        }
    }
    Ok(lock)
}

impl KdeLock {
    /// Whether the screen locks by itself: autolock on with a timeout.
    pub fn locks_automatically(&self) -> bool {
        self.autolock && self.timeout_minutes > 0
    }

    /// When the screen locks: `Timeout` minutes without input, then the
    /// `LockGrace` seconds; never without automatic lock.
    pub fn auto_lock(&self) -> AutoLock {
        if self.locks_automatically() {
            AutoLock::after(
                self.timeout_minutes.saturating_mul(60),
                self.lock_grace_seconds,
            )
        } else {
            AutoLock::Never
        }
    }
}

/// How soon a Mac locks: the screen saver starts after `idleTime` seconds
/// (from `defaults -currentHost read com.apple.screensaver idleTime`;
/// `Ok(None)` when this user never set it), the display sleeps after
/// `displaysleep` minutes (`pmset -g`), whichever comes first (0 is never
/// for each), and the password is asked for after the delay `sysadminctl
/// -screenLock status` reports. A screen lock that is off never locks.
pub fn macos_auto_lock(
    screen_saver_idle: Result<Option<u32>, String>,
    display_sleep_minutes: Result<u32, String>,
    lock: Result<ScreenLockSetting, String>,
) -> Fact<AutoLock> {
    const LOCK: &str = "sysadminctl -screenLock status";
    const IDLE: &str = "defaults -currentHost read com.apple.screensaver idleTime";
    const DISPLAY: &str = "pmset -g displaysleep";
    let delay = match lock {
        Ok(ScreenLockSetting::Off) => {
            return Fact::observed(
                AutoLock::Never,
                why("reason-macos-observed-screen-lock-off", &[("source", LOCK)]),
            );
        }
        Ok(ScreenLockSetting::Immediate) => 0,
        Ok(ScreenLockSetting::AfterSeconds(s)) => s,
        Err(reason) => return Fact::unknown(source_error(LOCK, &reason)),
    };
    let idle = match screen_saver_idle {
        Ok(Some(s)) => s,
        Ok(None) => {
            return Fact::unknown(why("reason-macos-idle-time-not-set", &[("source", IDLE)]));
        }
        Err(reason) => return Fact::unknown(source_error(IDLE, &reason)),
    };
    let display = match display_sleep_minutes {
        Ok(m) => m,
        Err(reason) => return Fact::unknown(source_error(DISPLAY, &reason)),
    };
    let source = format!("{IDLE} ({idle} s); {DISPLAY} ({display} min); {LOCK} (delay {delay} s)");
    let first = [idle, display.saturating_mul(60)]
        .into_iter()
        .filter(|s| *s > 0)
        .min();
    match first {
        Some(idle) => Fact::observed(AutoLock::after(idle, delay), source),
        None => Fact::observed(AutoLock::Never, source),
    }
}

impl ScreenSaver {
    /// How soon this key's screen saver locks, `None` when the key does not
    /// say (no values, or no timeout), so the next source decides.
    pub fn auto_lock(&self) -> Option<AutoLock> {
        match (self.locks(), self.timeout_seconds) {
            (Some(true), Some(seconds)) => Some(AutoLock::After { seconds }),
            (Some(false), _) => Some(AutoLock::Never),
            _ => None,
        }
    }
}

/// How soon Windows locks: the first screen-saver key that decides (the
/// Group Policy key before the user's, as `source` names it), and the
/// machine inactivity limit (`InactivityTimeoutSecs`), whichever comes
/// first.
pub fn windows_auto_lock(
    screen_saver: Option<(AutoLock, String)>,
    inactivity_limit: Result<Option<u32>, String>,
) -> Fact<AutoLock> {
    const LIMIT: &str = "InactivityTimeoutSecs";
    let limit = match inactivity_limit {
        Ok(limit) => limit,
        Err(reason) => return Fact::unknown(source_error(LIMIT, &reason)),
    };
    match (screen_saver, limit) {
        (Some((AutoLock::After { seconds }, source)), Some(limit)) => Fact::observed(
            AutoLock::After {
                seconds: seconds.min(limit),
            },
            why(
                "reason-windows-observed-screen-saver-and-limit",
                &[
                    ("source", &source),
                    ("seconds", &seconds.to_string()),
                    ("setting", LIMIT),
                    ("limit", &limit.to_string()),
                ],
            ),
        ),
        (Some((AutoLock::After { seconds }, source)), None) => Fact::observed(
            AutoLock::After { seconds },
            why(
                "reason-windows-observed-screen-saver-no-limit",
                &[
                    ("source", &source),
                    ("seconds", &seconds.to_string()),
                    ("setting", LIMIT),
                ],
            ),
        ),
        (_, Some(limit)) => Fact::observed(
            AutoLock::After { seconds: limit },
            why(
                "reason-windows-observed-limit-no-screen-saver",
                &[("setting", LIMIT), ("limit", &limit.to_string())],
            ),
        ),
        (Some((AutoLock::Never, source)), None) => Fact::observed(
            AutoLock::Never,
            why(
                "reason-windows-observed-screen-saver-does-not-lock",
                &[("source", &source), ("setting", LIMIT)],
            ),
        ),
        (None, None) => Fact::unknown(why(
            "reason-windows-no-screen-saver-timeout",
            &[("setting", LIMIT)],
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KDE_DISABLED: &str = include_str!("fixtures/kscreenlockerrc-autolock-off");
    const KDE_CUSTOM: &str = include_str!("fixtures/kscreenlockerrc-timeout-10");

    #[test]
    fn gsettings_outputs() {
        assert_eq!(parse_gsettings_bool("true\n"), Ok(true));
        assert_eq!(parse_gsettings_bool("false\n"), Ok(false));
        assert!(parse_gsettings_bool("").is_err());
        assert!(parse_gsettings_bool("No such schema “org.gnome.desktop.screensaver”").is_err());
        assert_eq!(parse_gsettings_uint("uint32 300\n"), Ok(300));
        assert_eq!(parse_gsettings_uint("uint32 0"), Ok(0));
        assert!(parse_gsettings_uint("uint32").is_err());
        assert!(parse_gsettings_uint("").is_err());
    }

    #[test]
    fn kde_files() {
        assert_eq!(parse_kscreenlockerrc("").unwrap(), KdeLock::default());
        let off = parse_kscreenlockerrc(KDE_DISABLED).unwrap();
        assert!(!off.autolock);
        assert!(!off.locks_automatically());
        let custom = parse_kscreenlockerrc(KDE_CUSTOM).unwrap();
        assert_eq!(custom.timeout_minutes, 10);
        assert!(custom.locks_automatically());
        // Keys outside [Daemon] are ignored.
        let other = parse_kscreenlockerrc("[Greeter]\nAutolock=false\n").unwrap();
        assert!(other.autolock);
    }

    #[test]
    fn auto_lock_is_idle_time_plus_lock_delay() {
        assert_eq!(
            gnome_auto_lock(true, 300, 0),
            AutoLock::After { seconds: 300 }
        );
        assert_eq!(
            gnome_auto_lock(true, 300, 30),
            AutoLock::After { seconds: 330 }
        );
        assert_eq!(gnome_auto_lock(false, 300, 0), AutoLock::Never);
        // The screen never blanks, so it never locks.
        assert_eq!(gnome_auto_lock(true, 0, 0), AutoLock::Never);
        assert_eq!(
            gnome_auto_lock(true, u32::MAX, 10),
            AutoLock::After { seconds: u32::MAX }
        );
        // Plasma's defaults: 5 minutes, then 5 s of grace.
        let defaults = parse_kscreenlockerrc("").unwrap();
        assert_eq!(defaults.auto_lock(), AutoLock::After { seconds: 305 });
        let custom = parse_kscreenlockerrc(KDE_CUSTOM).unwrap();
        assert_eq!(custom.lock_grace_seconds, 10);
        assert_eq!(custom.auto_lock(), AutoLock::After { seconds: 610 });
        let off = parse_kscreenlockerrc(KDE_DISABLED).unwrap();
        assert_eq!(off.auto_lock(), AutoLock::Never);
        let zero = parse_kscreenlockerrc("[Daemon]\nTimeout=0\n").unwrap();
        assert_eq!(zero.auto_lock(), AutoLock::Never);
        assert!(matches!(
            parse_kscreenlockerrc("[Daemon]\nLockGrace=-1"),
            Err(LockParseError::Kde { line: 2, .. })
        ));
    }

    #[test]
    fn macos_locks_at_the_first_idle_timer_plus_the_password_delay() {
        let fact = macos_auto_lock(
            Ok(Some(1200)),
            Ok(10),
            Ok(ScreenLockSetting::AfterSeconds(5)),
        );
        assert_eq!(fact.value(), Some(&AutoLock::After { seconds: 605 }));
        assert!(fact.provenance().contains("pmset -g displaysleep (10 min)"));
        let fact = macos_auto_lock(Ok(Some(300)), Ok(0), Ok(ScreenLockSetting::Immediate));
        assert_eq!(fact.value(), Some(&AutoLock::After { seconds: 300 }));
        let never = macos_auto_lock(Ok(Some(0)), Ok(0), Ok(ScreenLockSetting::Immediate));
        assert_eq!(never.value(), Some(&AutoLock::Never));
        let off = macos_auto_lock(Ok(Some(60)), Ok(1), Ok(ScreenLockSetting::Off));
        assert_eq!(off.value(), Some(&AutoLock::Never));
        let unset = macos_auto_lock(Ok(None), Ok(10), Ok(ScreenLockSetting::Immediate));
        assert!(
            unset.provenance().contains("not set for this user"),
            "{unset:?}"
        );
        assert!(unset.value().is_none());
        let failed = macos_auto_lock(
            Ok(Some(60)),
            Err("pmset: not found".into()),
            Ok(ScreenLockSetting::Immediate),
        );
        assert!(failed.provenance().contains("pmset: not found"));
        let failed = macos_auto_lock(Ok(Some(60)), Ok(1), Err("not permitted".into()));
        assert!(
            failed
                .provenance()
                .starts_with("sysadminctl -screenLock status: not permitted")
        );
    }

    #[test]
    fn windows_locks_at_the_screen_saver_or_the_inactivity_limit() {
        use super::super::windows::parse_screensaver_policy;
        let policy =
            parse_screensaver_policy(include_str!("fixtures/reg-desktop-screensaver-policy"))
                .unwrap();
        assert_eq!(policy.auto_lock(), Some(AutoLock::After { seconds: 600 }));
        let user = parse_screensaver_policy(include_str!("fixtures/reg-desktop-user")).unwrap();
        assert_eq!(user.auto_lock(), Some(AutoLock::Never));
        assert_eq!(ScreenSaver::default().auto_lock(), None);
        let key = || "reg query \"HKCU\\Control Panel\\Desktop\"".to_owned();
        let ten = Some((AutoLock::After { seconds: 600 }, key()));
        let fact = windows_auto_lock(ten.clone(), Ok(Some(900)));
        assert_eq!(fact.value(), Some(&AutoLock::After { seconds: 600 }));
        assert!(fact.provenance().contains("InactivityTimeoutSecs (900 s)"));
        let fact = windows_auto_lock(ten.clone(), Ok(Some(300)));
        assert_eq!(fact.value(), Some(&AutoLock::After { seconds: 300 }));
        assert_eq!(
            windows_auto_lock(ten, Ok(None)).value(),
            Some(&AutoLock::After { seconds: 600 })
        );
        let never = Some((AutoLock::Never, key()));
        assert_eq!(
            windows_auto_lock(never.clone(), Ok(None)).value(),
            Some(&AutoLock::Never)
        );
        assert_eq!(
            windows_auto_lock(never, Ok(Some(120))).value(),
            Some(&AutoLock::After { seconds: 120 })
        );
        assert!(windows_auto_lock(None, Ok(None)).value().is_none());
        assert!(
            windows_auto_lock(None, Err("access denied".into()))
                .provenance()
                .contains("access denied")
        );
    }

    #[test]
    fn kde_garbage_and_truncated() {
        assert!(matches!(
            parse_kscreenlockerrc("[Daemon"),
            Err(LockParseError::Kde { line: 1, .. })
        ));
        assert!(matches!(
            parse_kscreenlockerrc("[Daemon]\nAutolock=maybe"),
            Err(LockParseError::Kde { line: 2, .. })
        ));
        assert!(matches!(
            parse_kscreenlockerrc("[Daemon]\nTimeout=five"),
            Err(LockParseError::Kde { .. })
        ));
        assert!(matches!(
            parse_kscreenlockerrc("\u{0}\u{1}\u{2}"),
            Err(LockParseError::Kde { .. })
        ));
        let truncated = &KDE_CUSTOM[..KDE_CUSTOM.find("Timeout=").unwrap() + 8];
        assert!(matches!(
            parse_kscreenlockerrc(truncated),
            Err(LockParseError::Kde { .. })
        ));
        assert!(matches!(
            parse_kscreenlockerrc(&"#".repeat(MAX_INPUT_BYTES + 1)),
            Err(LockParseError::TooLarge(_))
        ));
    }
}
