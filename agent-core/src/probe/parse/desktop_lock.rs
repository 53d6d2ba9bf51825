//! Desktop screen-lock settings: GNOME (gsettings) and KDE (kscreenlockerrc).

use super::MAX_INPUT_BYTES;

/// Why a screen-lock setting could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockParseError {
    /// Larger than any real settings file.
    #[error("input is {0} bytes; the limit is {MAX_INPUT_BYTES}")]
    TooLarge(usize),
    /// gsettings printed something that is not the expected value.
    #[error("gsettings printed {0:?}; expected {1}")]
    Gsettings(String, &'static str),
    /// A kscreenlockerrc value is not valid.
    #[error("kscreenlockerrc line {line}: {what}")]
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

/// KDE's automatic screen lock settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdeLock {
    /// `[Daemon] Autolock` (default true).
    pub autolock: bool,
    /// `[Daemon] Timeout` in minutes (default 5).
    pub timeout_minutes: u32,
    /// `[Daemon] LockOnResume` (default true).
    pub lock_on_resume: bool,
}

impl Default for KdeLock {
    /// Plasma's defaults when the file or a key is absent.
    fn default() -> Self {
        KdeLock {
            autolock: true,
            timeout_minutes: 5,
            lock_on_resume: true,
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
                return Err(err("unterminated [group] header".into()));
            }
            in_daemon = line == "[Daemon]";
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(err("not key=value".into()));
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
            _ => Err(err(format!("{key} is {value:?}, not true or false"))),
        };
        match key {
            "Autolock" => lock.autolock = boolean()?,
            "LockOnResume" => lock.lock_on_resume = boolean()?,
            "Timeout" => {
                lock.timeout_minutes = value
                    .parse()
                    .map_err(|_| err(format!("Timeout is {value:?}, not minutes")))?;
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
