//! Windows command outputs: `reg query` of the version and screen-saver keys,
//! and `manage-bde -status`.
//!
//! The probe in `probe/windows.rs` only compiles on Windows; these parsers
//! compile everywhere so they are tested everywhere, on captured outputs.
//! `manage-bde` is localised: only its English output is understood, and any
//! other language is a clear error, never a guess.

use super::MAX_INPUT_BYTES;

/// Why a Windows command output could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WinParseError {
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
    /// The command printed nothing.
    #[error("{}", crate::probe::why("reason-parse-printed-nothing", &[("tool", .0)]))]
    Empty(&'static str),
    /// The command reported an error instead of a result (e.g. manage-bde
    /// without an elevated prompt).
    #[error("{}", crate::probe::why("reason-parse-windows-reported", &[("tool", tool), ("text", text)]))]
    Reported {
        /// The command.
        tool: &'static str,
        /// Its error line, shortened.
        text: String,
    },
    /// A line that is not in the command's format.
    #[error("{}", crate::probe::why(
        "reason-parse-windows-malformed",
        &[("tool", tool), ("line", &line.to_string()), ("text", &format!("{text:?}"))],
    ))]
    Malformed {
        /// The command.
        tool: &'static str,
        /// 1-based line number.
        line: usize,
        /// The line, shortened.
        text: String,
    },
    /// A value or field the result needs is missing.
    #[error("{}", crate::probe::why("reason-parse-output-has-no", &[("tool", tool), ("field", field)]))]
    Missing {
        /// The command.
        tool: &'static str,
        /// What is missing.
        field: String,
    },
    /// A value is present but not what its type allows.
    #[error("{}", crate::probe::why(
        "reason-parse-windows-bad-value",
        &[("tool", tool), ("name", name), ("value", &format!("{value:?}")), ("expected", expected)],
    ))]
    BadValue {
        /// The command.
        tool: &'static str,
        /// The value's name.
        name: String,
        /// The value, shortened.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
}

const REG: &str = "reg query";
const MANAGE_BDE: &str = "manage-bde -status";

fn short(s: &str) -> String {
    s.chars().take(80).collect()
}

fn check_size(tool: &'static str, text: &str) -> Result<(), WinParseError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(WinParseError::TooLarge {
            tool,
            len: text.len(),
        });
    }
    if text.trim().is_empty() {
        return Err(WinParseError::Empty(tool));
    }
    Ok(())
}

/// One value line of `reg query`: `    Name    REG_TYPE    data`.
struct RegValue<'a> {
    name: &'a str,
    kind: &'a str,
    data: &'a str,
}

/// Splits `reg query <key>` output into its values. Subkey lines (`HKEY_…`)
/// are skipped: without `/s`, reg lists subkeys by name only.
fn parse_reg_values(text: &str) -> Result<Vec<RegValue<'_>>, WinParseError> {
    check_size(REG, text)?;
    let mut values = Vec::new();
    let mut saw_key = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with("HKEY_") {
            saw_key = true;
            continue;
        }
        if line.starts_with("ERROR:") {
            return Err(WinParseError::Reported {
                tool: REG,
                text: short(line),
            });
        }
        let malformed = || WinParseError::Malformed {
            tool: REG,
            line: i + 1,
            text: short(line),
        };
        // reg separates the three columns with four spaces; a name may hold
        // single spaces, so split at the type column, not at any whitespace.
        let body = line.strip_prefix("    ").ok_or_else(malformed)?;
        let at = body.find("    REG_").ok_or_else(malformed)?;
        let name = &body[..at];
        let rest = &body[at + 4..];
        let (kind, data) = rest.split_once("    ").unwrap_or((rest, ""));
        if name.trim().is_empty() || kind.contains(' ') {
            return Err(malformed());
        }
        values.push(RegValue { name, kind, data });
    }
    if !saw_key {
        return Err(WinParseError::Missing {
            tool: REG,
            field: "HKEY_… key line".into(),
        });
    }
    Ok(values)
}

fn find<'a>(values: &'a [RegValue<'a>], name: &str) -> Option<&'a RegValue<'a>> {
    // Registry value names are case-insensitive ("ScreenSaveTimeout" and
    // "ScreenSaveTimeOut" are both seen in the wild).
    values.iter().find(|v| v.name.eq_ignore_ascii_case(name))
}

/// Reads a number stored as REG_DWORD (`0x10dd`) or REG_SZ (`"22631"`).
fn reg_number(value: &RegValue<'_>) -> Result<u32, WinParseError> {
    let bad = || WinParseError::BadValue {
        tool: REG,
        name: value.name.to_owned(),
        value: short(value.data),
        expected: "a number",
    };
    let data = value.data.trim();
    match value.kind {
        "REG_DWORD" | "REG_QWORD" => data
            .strip_prefix("0x")
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .ok_or_else(bad),
        "REG_SZ" | "REG_EXPAND_SZ" => data.parse().map_err(|_| bad()),
        _ => Err(bad()),
    }
}

fn reg_string(values: &[RegValue<'_>], name: &str) -> Option<String> {
    find(values, name)
        .map(|v| v.data.trim())
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
}

fn missing(tool: &'static str, field: &str) -> WinParseError {
    WinParseError::Missing {
        tool,
        field: field.to_owned(),
    }
}

/// The version values of `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentVersion {
    /// `ProductName` ("Windows 10 Pro", even on Windows 11; see
    /// [`CurrentVersion::marketing_name`]).
    pub product_name: String,
    /// `DisplayVersion` ("23H2"), present since Windows 10 20H2.
    pub display_version: Option<String>,
    /// `CurrentMajorVersionNumber` (10 on Windows 10 and 11).
    pub major: u32,
    /// `CurrentMinorVersionNumber` (0).
    pub minor: u32,
    /// `CurrentBuild` ("22631").
    pub build: u32,
    /// `UBR`, the update build revision: it grows with each monthly update.
    pub ubr: u32,
}

/// The first build of Windows 11 (21H2).
const FIRST_WINDOWS_11_BUILD: u32 = 22000;

impl CurrentVersion {
    /// The name users know: "Windows 11 Pro 23H2".
    ///
    /// Microsoft left `ProductName` at "Windows 10 …" on Windows 11 so old
    /// version checks keep working; the build number is the only reliable
    /// tell, and every Windows 11 build is 22000 or later.
    pub fn marketing_name(&self) -> String {
        let name = match self.product_name.strip_prefix("Windows 10") {
            Some(edition) if self.build >= FIRST_WINDOWS_11_BUILD => {
                format!("Windows 11{edition}")
            }
            _ => self.product_name.clone(),
        };
        match &self.display_version {
            Some(d) => format!("{name} {d}"),
            None => name,
        }
    }

    /// The full version, as `winver` and `ver` print it: "10.0.22631.4317".
    pub fn version_string(&self) -> String {
        format!("{}.{}.{}.{}", self.major, self.minor, self.build, self.ubr)
    }
}

/// Parses `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion"`.
pub fn parse_current_version(text: &str) -> Result<CurrentVersion, WinParseError> {
    let values = parse_reg_values(text)?;
    let number = |name: &str| find(&values, name).map(reg_number).transpose();
    let build = match number("CurrentBuild")? {
        Some(b) => b,
        None => number("CurrentBuildNumber")?.ok_or_else(|| missing(REG, "CurrentBuild"))?,
    };
    let ubr = number("UBR")?.ok_or_else(|| missing(REG, "UBR"))?;
    // Windows 10 and later store the version as two DWORDs; `CurrentVersion`
    // is frozen at "6.3" there for compatibility, so it is only a fallback
    // for Windows 8.1 and older.
    let (major, minor) = match (
        number("CurrentMajorVersionNumber")?,
        number("CurrentMinorVersionNumber")?,
    ) {
        (Some(major), minor) => (major, minor.unwrap_or(0)),
        (None, _) => {
            let legacy = reg_string(&values, "CurrentVersion")
                .ok_or_else(|| missing(REG, "CurrentMajorVersionNumber"))?;
            let parsed = legacy
                .split_once('.')
                .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
            parsed.ok_or_else(|| WinParseError::BadValue {
                tool: REG,
                name: "CurrentVersion".into(),
                value: short(&legacy),
                expected: "major.minor",
            })?
        }
    };
    Ok(CurrentVersion {
        product_name: reg_string(&values, "ProductName")
            .ok_or_else(|| missing(REG, "ProductName"))?,
        display_version: reg_string(&values, "DisplayVersion"),
        major,
        minor,
        build,
        ubr,
    })
}

/// A volume's `Conversion Status` in `manage-bde -status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conversion {
    /// "Fully Encrypted".
    FullyEncrypted,
    /// "Used Space Only Encrypted": every written block is encrypted; the
    /// default of Windows 8+ device encryption.
    UsedSpaceOnlyEncrypted,
    /// "Fully Decrypted".
    FullyDecrypted,
    /// Anything else ("Encryption in Progress", "Decryption Paused", …).
    Other(String),
}

/// A volume's `Protection Status` in `manage-bde -status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protection {
    /// "Protection On".
    On,
    /// "Protection Off" (also shown while protection is suspended).
    Off,
    /// Anything else ("Protection Unknown" on a locked volume, …).
    Other(String),
}

/// One volume in `manage-bde -status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// The drive ("C:"), or the volume's name when it has no letter.
    pub drive: String,
    /// `Conversion Status`.
    pub conversion: Conversion,
    /// `Protection Status`.
    pub protection: Protection,
}

/// Parses the English output of `manage-bde -status [drive]`.
pub fn parse_manage_bde_status(text: &str) -> Result<Vec<Volume>, WinParseError> {
    check_size(MANAGE_BDE, text)?;
    // (drive, conversion, protection) of the volume being read.
    let mut current: Option<(String, Option<Conversion>, Option<Protection>)> = None;
    let mut volumes = Vec::new();
    let finish = |v: (String, Option<Conversion>, Option<Protection>)| {
        let (drive, conversion, protection) = v;
        let field = |f: &str| WinParseError::Missing {
            tool: MANAGE_BDE,
            field: format!("{f} for volume {drive} (only English output is understood)"),
        };
        Ok::<_, WinParseError>(Volume {
            conversion: conversion.ok_or_else(|| field("Conversion Status"))?,
            protection: protection.ok_or_else(|| field("Protection Status"))?,
            drive,
        })
    };
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with("ERROR:") {
            return Err(WinParseError::Reported {
                tool: MANAGE_BDE,
                text: short(line),
            });
        }
        if let Some(rest) = line.strip_prefix("Volume ") {
            // "Volume C: [OS]": the drive, then the label in brackets.
            // Some translations quote the drive ("Volume \"C:\" []").
            let drive = rest
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_matches('"');
            let is_drive = drive.len() == 2
                && drive.ends_with(':')
                && drive.starts_with(|c: char| c.is_ascii_alphabetic());
            if !is_drive && !drive.starts_with("\\\\?\\") {
                return Err(WinParseError::Malformed {
                    tool: MANAGE_BDE,
                    line: i + 1,
                    text: short(line),
                });
            }
            if let Some(done) = current.take() {
                volumes.push(finish(done)?);
            }
            current = Some((drive.to_owned(), None, None));
            continue;
        }
        let Some((_, conversion, protection)) = current.as_mut() else {
            // The banner before the first volume.
            continue;
        };
        // Key protectors are listed one per line without a colon.
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "Conversion Status" => {
                *conversion = Some(match value {
                    "Fully Encrypted" => Conversion::FullyEncrypted,
                    "Used Space Only Encrypted" => Conversion::UsedSpaceOnlyEncrypted,
                    "Fully Decrypted" => Conversion::FullyDecrypted,
                    other => Conversion::Other(short(other)),
                });
            }
            "Protection Status" => {
                *protection = Some(match value {
                    "Protection On" => Protection::On,
                    "Protection Off" => Protection::Off,
                    other => Protection::Other(short(other)),
                });
            }
            _ => {}
        }
    }
    if let Some(done) = current.take() {
        volumes.push(finish(done)?);
    }
    if volumes.is_empty() {
        return Err(missing(
            MANAGE_BDE,
            "\"Volume X:\" section (only English output is understood)",
        ));
    }
    Ok(volumes)
}

/// Whether `drive` ("C:") is BitLocker-encrypted, or `None` when it is not
/// listed.
///
/// Encrypted means the conversion is complete and protection is on. A
/// suspended volume ("Protection Off" on an encrypted disk) stores its key in
/// the clear on that disk, so anyone holding the disk can read it: it does
/// not count. Used-space-only encryption counts: blocks never written hold no
/// data, and new writes are encrypted.
pub fn os_volume_encrypted(volumes: &[Volume], drive: &str) -> Option<bool> {
    let volume = volumes
        .iter()
        .find(|v| v.drive.eq_ignore_ascii_case(drive.trim()))?;
    let converted = matches!(
        volume.conversion,
        Conversion::FullyEncrypted | Conversion::UsedSpaceOnlyEncrypted
    );
    Some(converted && volume.protection == Protection::On)
}

/// The screen-saver values of a `Control Panel\Desktop` key (the user's, or
/// the Group Policy one under `Software\Policies`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScreenSaver {
    /// `ScreenSaveActive`: a screen saver starts when idle.
    pub active: Option<bool>,
    /// `ScreenSaverIsSecure`: resuming from it needs the password.
    pub secure: Option<bool>,
    /// `ScreenSaveTimeOut`, in seconds.
    pub timeout_seconds: Option<u32>,
}

impl ScreenSaver {
    /// Whether the screen locks by itself when idle; `None` when the key
    /// does not say (the values are absent), so the next source decides.
    pub fn locks(&self) -> Option<bool> {
        match (self.active, self.secure) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            // A zero timeout never starts the screen saver.
            (Some(true), Some(true)) => Some(self.timeout_seconds != Some(0)),
            _ => None,
        }
    }
}

/// Parses `reg query "HKCU\…\Control Panel\Desktop"` for its screen-saver
/// values. Values the key does not hold stay `None`.
pub fn parse_screensaver_policy(text: &str) -> Result<ScreenSaver, WinParseError> {
    let values = parse_reg_values(text)?;
    let flag = |name: &str| -> Result<Option<bool>, WinParseError> {
        let Some(v) = find(&values, name) else {
            return Ok(None);
        };
        match reg_number(v) {
            Ok(0) => Ok(Some(false)),
            Ok(1) => Ok(Some(true)),
            _ => Err(WinParseError::BadValue {
                tool: REG,
                name: name.to_owned(),
                value: short(v.data),
                expected: "0 or 1",
            }),
        }
    };
    Ok(ScreenSaver {
        active: flag("ScreenSaveActive")?,
        secure: flag("ScreenSaverIsSecure")?,
        timeout_seconds: find(&values, "ScreenSaveTimeOut")
            .map(reg_number)
            .transpose()?,
    })
}

/// Parses `reg query "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System"`
/// for `InactivityTimeoutSecs` ("Interactive logon: Machine inactivity
/// limit"): seconds without input before Windows locks, `None` when the key
/// does not hold the value or holds 0 (no limit).
pub fn parse_inactivity_limit(text: &str) -> Result<Option<u32>, WinParseError> {
    let values = parse_reg_values(text)?;
    let limit = find(&values, "InactivityTimeoutSecs")
        .map(reg_number)
        .transpose()?;
    Ok(limit.filter(|secs| *secs > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIN11: &str = include_str!("fixtures/reg-currentversion-win11");
    const WIN10: &str = include_str!("fixtures/reg-currentversion-win10");
    const BDE_ON: &str = include_str!("fixtures/manage-bde-status-encrypted");
    const BDE_OFF: &str = include_str!("fixtures/manage-bde-status-off");
    const BDE_DE: &str = include_str!("fixtures/manage-bde-status-off-german");
    const DESKTOP_POLICY: &str = include_str!("fixtures/reg-desktop-screensaver-policy");
    const DESKTOP_USER: &str = include_str!("fixtures/reg-desktop-user");

    #[test]
    fn current_version_windows_11() {
        let v = parse_current_version(WIN11).unwrap();
        assert_eq!(v.product_name, "Windows 10 Pro");
        assert_eq!((v.major, v.minor, v.build, v.ubr), (10, 0, 22631, 4317));
        assert_eq!(v.marketing_name(), "Windows 11 Pro 23H2");
        assert_eq!(v.version_string(), "10.0.22631.4317");
        // reg.exe prints CRLF.
        let crlf = WIN11.replace('\n', "\r\n");
        assert_eq!(parse_current_version(&crlf).unwrap(), v);
    }

    #[test]
    fn current_version_windows_10() {
        let v = parse_current_version(WIN10).unwrap();
        assert_eq!(v.marketing_name(), "Windows 10 Enterprise 22H2");
        assert_eq!(v.version_string(), "10.0.19045.6216");
    }

    #[test]
    fn current_version_legacy_and_number_forms() {
        let text = "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\n    CurrentVersion    REG_SZ    6.3\n    CurrentBuildNumber    REG_SZ    9600\n    ProductName    REG_SZ    Windows 8.1 Pro\n    UBR    REG_DWORD    0x4e5a\n";
        let v = parse_current_version(text).unwrap();
        assert_eq!(v.version_string(), "6.3.9600.20058");
        assert_eq!(v.marketing_name(), "Windows 8.1 Pro");
    }

    #[test]
    fn current_version_bad_input() {
        assert_eq!(parse_current_version(""), Err(WinParseError::Empty(REG)));
        let cut = &WIN11[..WIN11.find("    UBR").unwrap()];
        assert!(matches!(
            parse_current_version(cut),
            Err(WinParseError::Missing { .. })
        ));
        let cut_in_line = &WIN11[..WIN11.find("REG_SZ").unwrap() + 3];
        assert!(matches!(
            parse_current_version(cut_in_line),
            Err(WinParseError::Malformed { .. })
        ));
        assert!(matches!(
            parse_current_version(
                "ERROR: The system was unable to find the specified registry key or value.\n"
            ),
            Err(WinParseError::Reported { .. })
        ));
        assert!(parse_current_version("\u{0}\u{1}garbage\n").is_err());
        let bad_ubr = WIN11.replace("UBR    REG_DWORD    0x10dd", "UBR    REG_DWORD    0xzz");
        assert!(matches!(
            parse_current_version(&bad_ubr),
            Err(WinParseError::BadValue { .. })
        ));
        assert!(matches!(
            parse_current_version(&" ".repeat(MAX_INPUT_BYTES + 1)),
            Err(WinParseError::TooLarge { .. })
        ));
    }

    #[test]
    fn manage_bde_encrypted_and_off() {
        let on = parse_manage_bde_status(BDE_ON).unwrap();
        assert_eq!(
            on,
            vec![Volume {
                drive: "C:".into(),
                conversion: Conversion::FullyEncrypted,
                protection: Protection::On,
            }]
        );
        assert_eq!(os_volume_encrypted(&on, "C:"), Some(true));
        assert_eq!(os_volume_encrypted(&on, "c:"), Some(true));
        assert_eq!(os_volume_encrypted(&on, "D:"), None);
        let off = parse_manage_bde_status(BDE_OFF).unwrap();
        assert_eq!(off[0].conversion, Conversion::FullyDecrypted);
        assert_eq!(os_volume_encrypted(&off, "C:"), Some(false));
    }

    #[test]
    fn manage_bde_suspended_and_in_progress_do_not_count() {
        let suspended = BDE_ON.replace("Protection On", "Protection Off");
        let v = parse_manage_bde_status(&suspended).unwrap();
        assert_eq!(os_volume_encrypted(&v, "C:"), Some(false));
        let converting = BDE_ON.replace("Fully Encrypted", "Encryption in Progress");
        let v = parse_manage_bde_status(&converting).unwrap();
        assert_eq!(
            v[0].conversion,
            Conversion::Other("Encryption in Progress".into())
        );
        assert_eq!(os_volume_encrypted(&v, "C:"), Some(false));
        let used_space = BDE_ON.replace("Fully Encrypted", "Used Space Only Encrypted");
        let v = parse_manage_bde_status(&used_space).unwrap();
        assert_eq!(os_volume_encrypted(&v, "C:"), Some(true));
    }

    #[test]
    fn manage_bde_two_volumes() {
        let data = BDE_OFF.replace("Volume C: [OS]", "Volume D: [Data]");
        let body = data
            .split_once("Volume D:")
            .map(|(_, b)| format!("Volume D:{b}"))
            .unwrap();
        let both = format!("{BDE_ON}\n{body}");
        let v = parse_manage_bde_status(&both).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(os_volume_encrypted(&v, "C:"), Some(true));
        assert_eq!(os_volume_encrypted(&v, "D:"), Some(false));
    }

    #[test]
    fn manage_bde_bad_input() {
        assert_eq!(
            parse_manage_bde_status(""),
            Err(WinParseError::Empty(MANAGE_BDE))
        );
        // German output: a clear error, not "not encrypted".
        let de = parse_manage_bde_status(BDE_DE).unwrap_err();
        assert!(de.to_string().contains("English"), "{de}");
        let cut = &BDE_ON[..BDE_ON.find("Protection Status").unwrap()];
        assert!(matches!(
            parse_manage_bde_status(cut),
            Err(WinParseError::Missing { .. })
        ));
        let banner_only = &BDE_ON[..BDE_ON.find("Volume C:").unwrap()];
        assert!(matches!(
            parse_manage_bde_status(banner_only),
            Err(WinParseError::Missing { .. })
        ));
        assert!(matches!(
            parse_manage_bde_status(
                "BitLocker Drive Encryption: Configuration Tool version 10.0.22621\nERROR: An attempt to access a required resource was denied.\n"
            ),
            Err(WinParseError::Reported { .. })
        ));
        assert!(matches!(
            parse_manage_bde_status("Volume ???\n"),
            Err(WinParseError::Malformed { .. })
        ));
        assert!(parse_manage_bde_status("\u{0}\u{1}\u{2}").is_err());
        assert!(matches!(
            parse_manage_bde_status(&"x".repeat(MAX_INPUT_BYTES + 1)),
            Err(WinParseError::TooLarge { .. })
        ));
    }

    #[test]
    fn screensaver_policy_and_user_keys() {
        let policy = parse_screensaver_policy(DESKTOP_POLICY).unwrap();
        assert_eq!(
            policy,
            ScreenSaver {
                active: Some(true),
                secure: Some(true),
                timeout_seconds: Some(600),
            }
        );
        assert_eq!(policy.locks(), Some(true));
        let user = parse_screensaver_policy(DESKTOP_USER).unwrap();
        assert_eq!(user.active, Some(true));
        assert_eq!(user.secure, Some(false));
        assert_eq!(user.locks(), Some(false));
        // A key without the values says nothing.
        let empty = parse_screensaver_policy(
            "\nHKEY_CURRENT_USER\\Software\\Policies\\Microsoft\\Windows\\Control Panel\\Desktop\n",
        )
        .unwrap();
        assert_eq!(empty.locks(), None);
        let never = ScreenSaver {
            timeout_seconds: Some(0),
            ..policy
        };
        assert_eq!(never.locks(), Some(false));
        // Policies may store the flags as DWORDs.
        let dword = DESKTOP_POLICY.replace(
            "ScreenSaverIsSecure    REG_SZ    1",
            "ScreenSaverIsSecure    REG_DWORD    0x1",
        );
        assert_eq!(parse_screensaver_policy(&dword).unwrap(), policy);
    }

    #[test]
    fn machine_inactivity_limit() {
        let key = "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\n";
        let with = |line: &str| format!("{key}    {line}\n");
        let set = with("InactivityTimeoutSecs    REG_DWORD    0x384");
        assert_eq!(parse_inactivity_limit(&set), Ok(Some(900)));
        assert_eq!(
            parse_inactivity_limit(&with("InactivityTimeoutSecs    REG_DWORD    0x0")),
            Ok(None)
        );
        assert_eq!(
            parse_inactivity_limit(&with("EnableLUA    REG_DWORD    0x1")),
            Ok(None)
        );
        assert!(matches!(
            parse_inactivity_limit(&with("InactivityTimeoutSecs    REG_DWORD    soon")),
            Err(WinParseError::BadValue { .. })
        ));
        assert!(parse_inactivity_limit("").is_err());
    }

    #[test]
    fn screensaver_bad_input() {
        assert_eq!(parse_screensaver_policy(""), Err(WinParseError::Empty(REG)));
        let cut = &DESKTOP_POLICY[..DESKTOP_POLICY.find("ScreenSaverIsSecure").unwrap() + 8];
        assert!(matches!(
            parse_screensaver_policy(cut),
            Err(WinParseError::Malformed { .. })
        ));
        let bad = DESKTOP_POLICY.replace(
            "ScreenSaveActive    REG_SZ    1",
            "ScreenSaveActive    REG_SZ    yes",
        );
        assert!(matches!(
            parse_screensaver_policy(&bad),
            Err(WinParseError::BadValue { .. })
        ));
        assert!(parse_screensaver_policy("\u{0}\u{1}\u{2}").is_err());
        assert!(matches!(
            parse_screensaver_policy(&"x".repeat(MAX_INPUT_BYTES + 1)),
            Err(WinParseError::TooLarge { .. })
        ));
    }
}
