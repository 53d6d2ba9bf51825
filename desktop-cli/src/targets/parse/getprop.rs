//! `getprop`: Android's system property dump, one `[key]: [value]` per line.
//!
//! A value may span several lines (some `persist.*` histories hold
//! newlines): it then ends at the first line that ends with `]`. Lines that
//! are not properties (a shell warning, adb noise) are skipped, because adb
//! interleaves them and they carry nothing the posture needs.

use std::collections::BTreeMap;

/// Largest dump accepted: real dumps run to ~100 KiB, more than the other
/// parsers' limit, so getprop has its own bound.
pub const MAX_GETPROP_BYTES: usize = 512 * 1024;

/// Lines a single multi-line value may span before the parser gives up on it.
const MAX_VALUE_LINES: usize = 64;

/// System properties by name.
pub type Props = BTreeMap<String, String>;

/// Why a getprop dump could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GetpropError {
    /// Larger than any real dump.
    #[error("getprop output is {0} bytes; the limit is {MAX_GETPROP_BYTES}")]
    TooLarge(usize),
    /// Not one `[key]: [value]` line: not getprop output at all.
    #[error("getprop output has no `[key]: [value]` line (first line: {0:?})")]
    NoProperties(String),
}

/// Parses the output of `adb shell getprop`.
pub fn parse_getprop(text: &str) -> Result<Props, GetpropError> {
    if text.len() > MAX_GETPROP_BYTES {
        return Err(GetpropError::TooLarge(text.len()));
    }
    let mut props = Props::new();
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    while let Some(line) = lines.next() {
        let Some((key, rest)) = split_key(line) else {
            continue;
        };
        if let Some(value) = rest.strip_suffix(']') {
            props.insert(key.to_owned(), value.to_owned());
            continue;
        }
        // A value without its closing bracket continues on the next lines.
        let mut value = rest.to_owned();
        let mut closed = false;
        for _ in 0..MAX_VALUE_LINES {
            let Some(next) = lines.next() else { break };
            value.push('\n');
            if let Some(end) = next.strip_suffix(']') {
                value.push_str(end);
                closed = true;
                break;
            }
            value.push_str(next);
        }
        // An unclosed value is truncated output: keep nothing rather than
        // a value that may be cut short.
        if closed {
            props.insert(key.to_owned(), value);
        }
    }
    if props.is_empty() {
        let first: String = text.lines().next().unwrap_or("").chars().take(80).collect();
        return Err(GetpropError::NoProperties(first));
    }
    Ok(props)
}

/// Splits `[key]: [rest` into the key and what follows the value's `[`.
fn split_key(line: &str) -> Option<(&str, &str)> {
    let inner = line.trim_start().strip_prefix('[')?;
    let (key, rest) = inner.split_once("]: [")?;
    let valid = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '@'));
    valid.then_some((key, rest))
}

/// The value of a property, when set and not empty (getprop prints unset
/// properties as `[]`).
pub fn prop<'a>(props: &'a Props, key: &str) -> Option<&'a str> {
    props.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMULATOR_34: &str = include_str!("fixtures/getprop-emulator-api34");
    const LINEAGE: &str = include_str!("fixtures/getprop-device-lineage-pixel4xl");
    const EMULATOR_23: &str = include_str!("fixtures/getprop-emulator-api23-unencrypted");

    #[test]
    fn modern_emulator() {
        let p = parse_getprop(EMULATOR_34).unwrap();
        assert_eq!(prop(&p, "ro.build.version.release"), Some("14"));
        assert_eq!(prop(&p, "ro.crypto.state"), Some("encrypted"));
        assert_eq!(prop(&p, "ro.crypto.type"), Some("file"));
        assert_eq!(prop(&p, "ro.boot.verifiedbootstate"), None);
    }

    #[test]
    fn real_device_with_a_multi_line_value() {
        let p = parse_getprop(LINEAGE).unwrap();
        assert_eq!(
            p["persist.sys.boot.reason.history"],
            "bootloader,1758959534\nreboot,ota,1758509953\nreboot,,1758509925\nreboot,shell,1757764739"
        );
        // The line after the multi-line value is parsed as its own property.
        assert_eq!(prop(&p, "persist.sys.usb.config"), Some("adb"));
        assert_eq!(prop(&p, "ro.boot.verifiedbootstate"), Some("orange"));
        assert_eq!(
            prop(&p, "ro.build.version.security_patch"),
            Some("2025-09-01")
        );
    }

    #[test]
    fn old_emulator_and_empty_values() {
        let p = parse_getprop(EMULATOR_23).unwrap();
        assert_eq!(prop(&p, "ro.crypto.state"), Some("unencrypted"));
        assert_eq!(prop(&p, "ro.crypto.type"), None);
        assert_eq!(p.get("ro.serialno").map(String::as_str), Some(""));
        assert_eq!(prop(&p, "ro.serialno"), None);
    }

    #[test]
    fn crlf_and_garbage_lines() {
        let text = "WARNING: linker: something odd\r\n[ro.a]: [1]\r\nnot a property\r\n[bad key]: [x]\r\n[ro.b]: [two words]\r\n";
        let p = parse_getprop(text).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p["ro.b"], "two words");
    }

    #[test]
    fn value_with_brackets_inside() {
        let p = parse_getprop("[ro.x]: [a]: [b]\n").unwrap();
        assert_eq!(p["ro.x"], "a]: [b");
    }

    #[test]
    fn unclosed_value_is_dropped() {
        let p = parse_getprop("[ro.a]: [1]\n[ro.b]: [cut\nshort").unwrap();
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            parse_getprop("error: device offline\n"),
            Err(GetpropError::NoProperties(l)) if l == "error: device offline"
        ));
        assert!(matches!(
            parse_getprop(""),
            Err(GetpropError::NoProperties(_))
        ));
        let big = "x".repeat(MAX_GETPROP_BYTES + 1);
        assert!(matches!(
            parse_getprop(&big),
            Err(GetpropError::TooLarge(_))
        ));
    }
}
