//! macOS command outputs: `sw_vers`, `fdesetup status`,
//! `sysadminctl -screenLock status`, and the idle times of the screen saver
//! (`defaults -currentHost read com.apple.screensaver idleTime`) and the
//! display (`pmset -g`).
//!
//! The probe in `probe/macos.rs` only compiles on a Mac; these parsers
//! compile everywhere so they are tested everywhere, on captured outputs.

use super::MAX_INPUT_BYTES;

/// Why a macOS command output could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MacParseError {
    /// Larger than any real output of these commands.
    #[error("{}", crate::probe::why(
        "reason-parse-too-large",
        &[("tool", tool), ("bytes", &len.to_string()), ("limit", &MAX_INPUT_BYTES.to_string())],
    ))]
    TooLarge {
        /// The command.
        tool: &'static str,
        /// Bytes received.
        len: usize,
    },
    /// The command printed nothing (it may have been killed, or run without
    /// the rights it needs).
    #[error("{}", crate::probe::why("reason-parse-printed-nothing", &[("tool", .0)]))]
    Empty(&'static str),
    /// A field every version of the command prints is missing.
    #[error("{}", crate::probe::why("reason-parse-output-has-no", &[("tool", tool), ("field", field)]))]
    Missing {
        /// The command.
        tool: &'static str,
        /// The missing field.
        field: &'static str,
    },
    /// A line this parser does not know; the state is not guessed.
    #[error("{}", crate::probe::why(
        "reason-parse-macos-unrecognised",
        &[("tool", tool), ("text", &format!("{text:?}"))],
    ))]
    Unrecognised {
        /// The command.
        tool: &'static str,
        /// The line, shortened.
        text: String,
    },
}

const SW_VERS: &str = "sw_vers";
const FDESETUP: &str = "fdesetup status";
const SYSADMINCTL: &str = "sysadminctl -screenLock status";
const IDLE_TIME: &str = "defaults -currentHost read com.apple.screensaver idleTime";
const PMSET: &str = "pmset -g";

fn unrecognised(tool: &'static str, line: &str) -> MacParseError {
    MacParseError::Unrecognised {
        tool,
        text: line.chars().take(80).collect(),
    }
}

fn check_size(tool: &'static str, text: &str) -> Result<(), MacParseError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(MacParseError::TooLarge {
            tool,
            len: text.len(),
        });
    }
    if text.trim().is_empty() {
        return Err(MacParseError::Empty(tool));
    }
    Ok(())
}

/// What `sw_vers` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwVers {
    /// `ProductName` ("macOS"; "Mac OS X" before 10.12).
    pub product_name: String,
    /// `ProductVersion` ("14.4.1").
    pub product_version: String,
    /// `ProductVersionExtra`, printed only with a Rapid Security Response
    /// installed ("(a)").
    pub product_version_extra: Option<String>,
    /// `BuildVersion` ("23E224").
    pub build_version: String,
}

/// Parses the output of `sw_vers` with no arguments (`Key:<tabs>value` lines).
pub fn parse_sw_vers(text: &str) -> Result<SwVers, MacParseError> {
    check_size(SW_VERS, text)?;
    let (mut name, mut version, mut extra, mut build) = (None, None, None, None);
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(unrecognised(SW_VERS, line));
        };
        let value = value.trim();
        let slot = match key.trim() {
            "ProductName" => &mut name,
            "ProductVersion" => &mut version,
            "ProductVersionExtra" => &mut extra,
            "BuildVersion" => &mut build,
            // Newer sw_vers may add keys (ReleaseType on betas); they are
            // not needed and must not break the parse.
            _ => continue,
        };
        if !value.is_empty() {
            *slot = Some(value.to_owned());
        }
    }
    let missing = |field| MacParseError::Missing {
        tool: SW_VERS,
        field,
    };
    let product_version = version.ok_or(missing("ProductVersion"))?;
    // A version is digits and dots; anything else means the output was cut
    // or is not sw_vers.
    let well_formed = product_version.starts_with(|c: char| c.is_ascii_digit())
        && product_version
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.');
    if !well_formed {
        return Err(unrecognised(SW_VERS, &product_version));
    }
    Ok(SwVers {
        product_name: name.ok_or(missing("ProductName"))?,
        product_version,
        product_version_extra: extra,
        build_version: build.ok_or(missing("BuildVersion"))?,
    })
}

/// FileVault's state, from `fdesetup status`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FileVault {
    /// "FileVault is On." with no conversion under way.
    On,
    /// "FileVault is Off." with nothing pending.
    Off,
    /// "Encryption in progress: Percent completed = 42.5".
    Encrypting {
        /// Percent done; `None` while "Pending" (e.g. on battery).
        percent: Option<f32>,
    },
    /// "Decryption in progress: Percent completed = 10".
    Decrypting {
        /// Percent done; `None` when not printed.
        percent: Option<f32>,
    },
    /// Enabled for the next login or restart, not yet encrypting: "Deferred
    /// enablement appears to be active for user '…'." or "FileVault is Off,
    /// but will be enabled after the next restart.".
    DeferredEnablement,
}

/// Parses "Percent completed = 42.5" (or "Pending") after the colon.
fn conversion_percent(rest: &str, line: &str) -> Result<Option<f32>, MacParseError> {
    let rest = rest.trim();
    if rest.eq_ignore_ascii_case("pending") || rest.is_empty() {
        return Ok(None);
    }
    let number = rest
        .split_once('=')
        .map(|(_, n)| n.trim().trim_end_matches('%').trim())
        .ok_or_else(|| unrecognised(FDESETUP, line))?;
    match number.parse::<f32>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(Some(p)),
        _ => Err(unrecognised(FDESETUP, line)),
    }
}

/// Parses the output of `fdesetup status`.
///
/// A conversion line wins over the "FileVault is On." headline that precedes
/// it: during encryption the headline already says On while plaintext blocks
/// remain on disk.
pub fn parse_fdesetup_status(text: &str) -> Result<FileVault, MacParseError> {
    check_size(FDESETUP, text)?;
    let mut headline = None;
    let mut conversion = None;
    let mut deferred = false;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if line == "FileVault is On." {
            headline = Some(FileVault::On);
        } else if line == "FileVault is Off." {
            headline = Some(FileVault::Off);
        } else if line.starts_with("FileVault is Off, but will be enabled")
            || line.starts_with("Deferred enablement appears to be active")
        {
            deferred = true;
        } else if let Some(rest) = line.strip_prefix("Encryption in progress:") {
            conversion = Some(FileVault::Encrypting {
                percent: conversion_percent(rest, line)?,
            });
        } else if let Some(rest) = line.strip_prefix("Decryption in progress:") {
            conversion = Some(FileVault::Decrypting {
                percent: conversion_percent(rest, line)?,
            });
        } else if line.starts_with("FileVault master keychain appears to be installed") {
            // Says an institutional key exists, not whether the disk is encrypted.
        } else {
            return Err(unrecognised(FDESETUP, line));
        }
    }
    if let Some(c) = conversion {
        return Ok(c);
    }
    if deferred {
        return Ok(FileVault::DeferredEnablement);
    }
    headline.ok_or(MacParseError::Missing {
        tool: FDESETUP,
        field: "the \"FileVault is On/Off.\" line",
    })
}

/// The screen-lock delay, from `sysadminctl -screenLock status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenLockSetting {
    /// "screenLock is off": no password after sleep or the screen saver.
    Off,
    /// "screenLock delay is immediate".
    Immediate,
    /// "screenLock delay is 300 seconds".
    AfterSeconds(u32),
}

/// Parses `sysadminctl -screenLock status` (stderr, or stdout and stderr
/// joined). sysadminctl logs through NSLog, so each line may carry a
/// `2024-01-01 12:00:00.000 sysadminctl[123:456] ` prefix; other log lines
/// are ignored, and exactly one status line is expected.
pub fn parse_sysadminctl_screenlock(text: &str) -> Result<ScreenLockSetting, MacParseError> {
    check_size(SYSADMINCTL, text)?;
    let mut found = None;
    for raw in text.lines() {
        let line = raw.trim();
        let body = match line.find("sysadminctl[") {
            Some(at) => line[at..].split_once("] ").map_or("", |(_, b)| b.trim()),
            None => line,
        };
        let setting = if body.eq_ignore_ascii_case("screenLock is off") {
            ScreenLockSetting::Off
        } else if let Some(delay) = body.strip_prefix("screenLock delay is ") {
            screenlock_delay(delay.trim(), line)?
        } else {
            continue;
        };
        if found.replace(setting).is_some() {
            return Err(unrecognised(SYSADMINCTL, line));
        }
    }
    found.ok_or(MacParseError::Missing {
        tool: SYSADMINCTL,
        field: "a \"screenLock …\" status line",
    })
}

fn screenlock_delay(delay: &str, line: &str) -> Result<ScreenLockSetting, MacParseError> {
    if delay == "immediate" {
        return Ok(ScreenLockSetting::Immediate);
    }
    let seconds = delay
        .strip_suffix(" seconds")
        .or_else(|| delay.strip_suffix(" second"))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .filter(|n| n.is_finite())
        .ok_or_else(|| unrecognised(SYSADMINCTL, line))?;
    // Some macOS versions report a disabled lock as "delay is -1.000000
    // seconds" rather than "screenLock is off".
    if seconds < 0.0 {
        return Ok(ScreenLockSetting::Off);
    }
    if seconds == 0.0 {
        return Ok(ScreenLockSetting::Immediate);
    }
    if seconds > f64::from(u32::MAX) {
        return Err(unrecognised(SYSADMINCTL, line));
    }
    // In range and finite, checked above; the delay is whole seconds in the UI.
    Ok(ScreenLockSetting::AfterSeconds(seconds.round() as u32))
}

/// Parses `defaults -currentHost read com.apple.screensaver idleTime`:
/// seconds without input before the screen saver starts (0: never).
pub fn parse_screensaver_idle_time(text: &str) -> Result<u32, MacParseError> {
    check_size(IDLE_TIME, text)?;
    let value = text.trim();
    value.parse().map_err(|_| unrecognised(IDLE_TIME, value))
}

/// Parses `pmset -g` for the active power source's `displaysleep`: minutes
/// without input before the display sleeps (0: never). `pmset` may follow
/// the number with why sleep is held off, which changes nothing set.
pub fn parse_pmset_display_sleep(text: &str) -> Result<u32, MacParseError> {
    check_size(PMSET, text)?;
    let mut found = None;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some("displaysleep") {
            continue;
        }
        let minutes = words
            .next()
            .and_then(|n| n.parse::<u32>().ok())
            .ok_or_else(|| unrecognised(PMSET, line.trim()))?;
        if found.replace(minutes).is_some() {
            return Err(unrecognised(PMSET, line.trim()));
        }
    }
    found.ok_or(MacParseError::Missing {
        tool: PMSET,
        field: "a displaysleep line",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SW_VERS_14: &str = include_str!("fixtures/sw_vers-macos-14");
    const SW_VERS_RSR: &str = include_str!("fixtures/sw_vers-macos-13-rsr");
    const FDE_ON: &str = include_str!("fixtures/fdesetup-on");
    const FDE_OFF: &str = include_str!("fixtures/fdesetup-off");
    const FDE_ENCRYPTING: &str = include_str!("fixtures/fdesetup-encrypting");
    const FDE_DEFERRED: &str = include_str!("fixtures/fdesetup-deferred");
    const LOCK_IMMEDIATE: &str = include_str!("fixtures/sysadminctl-screenlock-immediate");
    const LOCK_OFF: &str = include_str!("fixtures/sysadminctl-screenlock-off");
    const PMSET_G: &str = include_str!("fixtures/pmset-g-laptop");

    #[test]
    fn idle_times() {
        assert_eq!(parse_screensaver_idle_time("1200\n"), Ok(1200));
        assert_eq!(parse_screensaver_idle_time("0"), Ok(0));
        assert!(matches!(
            parse_screensaver_idle_time("-1"),
            Err(MacParseError::Unrecognised { .. })
        ));
        assert_eq!(
            parse_screensaver_idle_time(""),
            Err(MacParseError::Empty(IDLE_TIME))
        );
        assert_eq!(parse_pmset_display_sleep(PMSET_G), Ok(10));
        let held = PMSET_G.replace(
            " displaysleep         10",
            " displaysleep         10 (display sleep prevented by coreaudiod)",
        );
        assert_eq!(parse_pmset_display_sleep(&held), Ok(10));
        assert!(matches!(
            parse_pmset_display_sleep("System-wide power settings:\n"),
            Err(MacParseError::Missing { .. })
        ));
        assert!(matches!(
            parse_pmset_display_sleep(" displaysleep   ten\n"),
            Err(MacParseError::Unrecognised { .. })
        ));
        let twice = format!("{PMSET_G} displaysleep         3\n");
        assert!(parse_pmset_display_sleep(&twice).is_err());
        assert!(matches!(
            parse_pmset_display_sleep(&"x".repeat(MAX_INPUT_BYTES + 1)),
            Err(MacParseError::TooLarge { .. })
        ));
    }

    #[test]
    fn sw_vers_sonoma() {
        let v = parse_sw_vers(SW_VERS_14).unwrap();
        assert_eq!(v.product_name, "macOS");
        assert_eq!(v.product_version, "14.4.1");
        assert_eq!(v.product_version_extra, None);
        assert_eq!(v.build_version, "23E224");
    }

    #[test]
    fn sw_vers_rapid_security_response() {
        let v = parse_sw_vers(SW_VERS_RSR).unwrap();
        assert_eq!(v.product_version, "13.4.1");
        assert_eq!(v.product_version_extra.as_deref(), Some("(c)"));
        assert_eq!(v.build_version, "22F770820d");
    }

    #[test]
    fn sw_vers_old_spaces_and_extra_keys() {
        // Mac OS X used spaces, not tabs; betas add ReleaseType.
        let v = parse_sw_vers(
            "ProductName:    Mac OS X\nProductVersion: 10.10.5\nBuildVersion:   14F27\nReleaseType:\tBeta\n",
        )
        .unwrap();
        assert_eq!(v.product_name, "Mac OS X");
        assert_eq!(v.build_version, "14F27");
    }

    #[test]
    fn sw_vers_bad_input() {
        assert_eq!(parse_sw_vers(""), Err(MacParseError::Empty(SW_VERS)));
        assert_eq!(parse_sw_vers(" \n\t\n"), Err(MacParseError::Empty(SW_VERS)));
        let truncated = &SW_VERS_14[..SW_VERS_14.find("BuildVersion").unwrap() + 5];
        assert!(matches!(
            parse_sw_vers(truncated),
            Err(MacParseError::Unrecognised { .. })
        ));
        let cut_before_build = &SW_VERS_14[..SW_VERS_14.find("BuildVersion").unwrap()];
        assert!(matches!(
            parse_sw_vers(cut_before_build),
            Err(MacParseError::Missing {
                field: "BuildVersion",
                ..
            })
        ));
        assert!(parse_sw_vers("\u{0}\u{1}garbage\u{7f}").is_err());
        assert!(
            parse_sw_vers("ProductName: macOS\nProductVersion: fourteen\nBuildVersion: x\n")
                .is_err()
        );
        assert!(matches!(
            parse_sw_vers(&"a".repeat(MAX_INPUT_BYTES + 1)),
            Err(MacParseError::TooLarge { .. })
        ));
    }

    #[test]
    fn fdesetup_states() {
        assert_eq!(parse_fdesetup_status(FDE_ON), Ok(FileVault::On));
        assert_eq!(parse_fdesetup_status(FDE_OFF), Ok(FileVault::Off));
        assert_eq!(
            parse_fdesetup_status(FDE_ENCRYPTING),
            Ok(FileVault::Encrypting {
                percent: Some(37.4)
            })
        );
        assert_eq!(
            parse_fdesetup_status(FDE_DEFERRED),
            Ok(FileVault::DeferredEnablement)
        );
        assert_eq!(
            parse_fdesetup_status(
                "FileVault is On.\nDecryption in progress: Percent completed = 10\n"
            ),
            Ok(FileVault::Decrypting {
                percent: Some(10.0)
            })
        );
        assert_eq!(
            parse_fdesetup_status("FileVault is On.\nEncryption in progress: Pending\n"),
            Ok(FileVault::Encrypting { percent: None })
        );
        assert_eq!(
            parse_fdesetup_status(
                "FileVault is Off, but will be enabled after the next restart.\n"
            ),
            Ok(FileVault::DeferredEnablement)
        );
        assert_eq!(
            parse_fdesetup_status(
                "FileVault is On.\nFileVault master keychain appears to be installed.\n"
            ),
            Ok(FileVault::On)
        );
    }

    #[test]
    fn fdesetup_bad_input() {
        assert_eq!(
            parse_fdesetup_status(""),
            Err(MacParseError::Empty(FDESETUP))
        );
        // Cut inside the headline.
        assert!(matches!(
            parse_fdesetup_status(&FDE_ON[..10]),
            Err(MacParseError::Unrecognised { .. })
        ));
        // Cut inside the percentage line.
        let cut = &FDE_ENCRYPTING[..FDE_ENCRYPTING.find("= ").unwrap() + 1];
        assert!(matches!(
            parse_fdesetup_status(cut),
            Err(MacParseError::Unrecognised { .. })
        ));
        assert!(parse_fdesetup_status("Error: Unable to get status\n").is_err());
        assert!(parse_fdesetup_status("\u{0}\u{fffd}\u{fffd}").is_err());
        assert!(
            parse_fdesetup_status("Encryption in progress: Percent completed = 420\n").is_err()
        );
        assert!(
            parse_fdesetup_status("Encryption in progress: Percent completed = NaN\n").is_err()
        );
        assert!(matches!(
            parse_fdesetup_status(&"\n".repeat(MAX_INPUT_BYTES + 1)),
            Err(MacParseError::TooLarge { .. })
        ));
    }

    #[test]
    fn sysadminctl_states() {
        assert_eq!(
            parse_sysadminctl_screenlock(LOCK_IMMEDIATE),
            Ok(ScreenLockSetting::Immediate)
        );
        assert_eq!(
            parse_sysadminctl_screenlock(LOCK_OFF),
            Ok(ScreenLockSetting::Off)
        );
        assert_eq!(
            parse_sysadminctl_screenlock(
                "2024-01-01 12:00:00.000 sysadminctl[123:456] screenLock delay is 300 seconds\n"
            ),
            Ok(ScreenLockSetting::AfterSeconds(300))
        );
        assert_eq!(
            parse_sysadminctl_screenlock("screenLock delay is 5 seconds"),
            Ok(ScreenLockSetting::AfterSeconds(5))
        );
        assert_eq!(
            parse_sysadminctl_screenlock(
                "2024-01-01 12:00:00.000 sysadminctl[1:2] screenLock delay is -1.000000 seconds\n"
            ),
            Ok(ScreenLockSetting::Off)
        );
    }

    #[test]
    fn sysadminctl_bad_input() {
        assert_eq!(
            parse_sysadminctl_screenlock(""),
            Err(MacParseError::Empty(SYSADMINCTL))
        );
        let cut = &LOCK_IMMEDIATE[..LOCK_IMMEDIATE.find("immediate").unwrap() + 3];
        assert!(parse_sysadminctl_screenlock(cut).is_err());
        let cut_prefix = &LOCK_IMMEDIATE[..LOCK_IMMEDIATE.find(']').unwrap()];
        assert!(matches!(
            parse_sysadminctl_screenlock(cut_prefix),
            Err(MacParseError::Missing { .. })
        ));
        assert!(parse_sysadminctl_screenlock("screenLock delay is soon").is_err());
        assert!(parse_sysadminctl_screenlock("screenLock delay is 1e40 seconds").is_err());
        assert!(parse_sysadminctl_screenlock("\u{0}\u{1}\u{2}sysadminctl[").is_err());
        // Two answers are a contradiction, not a choice.
        assert!(
            parse_sysadminctl_screenlock("screenLock is off\nscreenLock delay is immediate\n")
                .is_err()
        );
        assert!(matches!(
            parse_sysadminctl_screenlock(&"x".repeat(MAX_INPUT_BYTES + 1)),
            Err(MacParseError::TooLarge { .. })
        ));
    }
}
