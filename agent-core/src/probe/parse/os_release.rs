//! `os-release(5)`: the OS identification file of systemd-era Linux.

use super::MAX_INPUT_BYTES;

/// The fields of os-release the agent uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsRelease {
    /// `ID` ("debian"); os-release(5) says it defaults to "linux".
    pub id: String,
    /// `NAME` ("Debian GNU/Linux"); defaults to "Linux".
    pub name: String,
    /// `VERSION_ID` ("12").
    pub version_id: Option<String>,
    /// `VERSION` ("12 (bookworm)").
    pub version: Option<String>,
    /// `PRETTY_NAME`.
    pub pretty_name: Option<String>,
    /// `BUILD_ID`, set by rolling or image-based distributions.
    pub build_id: Option<String>,
}

/// Why os-release could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OsReleaseError {
    /// Nothing to parse.
    #[error("os-release is empty")]
    Empty,
    /// Larger than any real os-release.
    #[error("os-release is {0} bytes; the limit is {MAX_INPUT_BYTES}")]
    TooLarge(usize),
    /// A line is not `KEY=value`.
    #[error("os-release line {line} is not KEY=value")]
    BadLine {
        /// 1-based line number.
        line: usize,
    },
    /// A quoted value is not closed.
    #[error("os-release line {line} has an unterminated quote")]
    Unterminated {
        /// 1-based line number.
        line: usize,
    },
}

/// Parses the text of `/etc/os-release` (or `/usr/lib/os-release`).
pub fn parse_os_release(text: &str) -> Result<OsRelease, OsReleaseError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(OsReleaseError::TooLarge(text.len()));
    }
    let mut out = OsRelease::default();
    let mut seen = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line_no = i + 1;
        let (key, value) = line
            .split_once('=')
            .ok_or(OsReleaseError::BadLine { line: line_no })?;
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(OsReleaseError::BadLine { line: line_no });
        }
        let value = unquote(value).ok_or(OsReleaseError::Unterminated { line: line_no })?;
        seen += 1;
        match key {
            "ID" => out.id = value,
            "NAME" => out.name = value,
            "VERSION_ID" => out.version_id = Some(value),
            "VERSION" => out.version = Some(value),
            "PRETTY_NAME" => out.pretty_name = Some(value),
            "BUILD_ID" => out.build_id = Some(value),
            _ => {}
        }
    }
    if seen == 0 {
        return Err(OsReleaseError::Empty);
    }
    if out.id.is_empty() {
        out.id = "linux".into();
    }
    if out.name.is_empty() {
        out.name = "Linux".into();
    }
    Ok(out)
}

/// Undoes shell-style quoting as os-release(5) allows it.
fn unquote(value: &str) -> Option<String> {
    let value = value.trim();
    let Some(quote) = value.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        return Some(value.to_owned());
    };
    let inner = value.strip_prefix(quote)?.strip_suffix(quote)?;
    if quote == '\'' {
        return Some(inner.to_owned());
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(chars.next()?);
        } else {
            out.push(c);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured from Debian 12 (bookworm): /etc/os-release.
    const DEBIAN_12: &str = include_str!("fixtures/os-release-debian-12");
    // Ubuntu 22.04 as published in os-release(5) examples and shipped images.
    const UBUNTU_2204: &str = include_str!("fixtures/os-release-ubuntu-22.04");
    // Fedora 40 Workstation.
    const FEDORA_40: &str = include_str!("fixtures/os-release-fedora-40");

    #[test]
    fn real_files() {
        let d = parse_os_release(DEBIAN_12).unwrap();
        assert_eq!(d.id, "debian");
        assert_eq!(d.name, "Debian GNU/Linux");
        assert_eq!(d.version_id.as_deref(), Some("12"));
        assert_eq!(d.version.as_deref(), Some("12 (bookworm)"));
        assert_eq!(d.build_id, None);

        let u = parse_os_release(UBUNTU_2204).unwrap();
        assert_eq!(u.id, "ubuntu");
        assert_eq!(u.version_id.as_deref(), Some("22.04"));
        assert_eq!(u.pretty_name.as_deref(), Some("Ubuntu 22.04.4 LTS"));

        let f = parse_os_release(FEDORA_40).unwrap();
        assert_eq!(f.id, "fedora");
        assert_eq!(f.version_id.as_deref(), Some("40"));
        assert_eq!(f.version.as_deref(), Some("40 (Workstation Edition)"));
    }

    #[test]
    fn quoting_and_defaults() {
        let r = parse_os_release("# comment\n\nVERSION_ID='1.0'\nPRETTY_NAME=\"A \\\"quoted\\\" \\$name\"\nBUILD_ID=rolling\n").unwrap();
        assert_eq!(r.id, "linux");
        assert_eq!(r.name, "Linux");
        assert_eq!(r.version_id.as_deref(), Some("1.0"));
        assert_eq!(r.pretty_name.as_deref(), Some("A \"quoted\" $name"));
        assert_eq!(r.build_id.as_deref(), Some("rolling"));
    }

    #[test]
    fn empty_truncated_and_garbage() {
        assert_eq!(parse_os_release(""), Err(OsReleaseError::Empty));
        assert_eq!(
            parse_os_release("# only a comment\n"),
            Err(OsReleaseError::Empty)
        );
        let truncated = &DEBIAN_12[..DEBIAN_12.find("bookworm").unwrap()];
        assert!(matches!(
            parse_os_release(truncated),
            Err(OsReleaseError::Unterminated { .. })
        ));
        assert_eq!(
            parse_os_release("\u{0}\u{1}garbage"),
            Err(OsReleaseError::BadLine { line: 1 })
        );
        assert_eq!(
            parse_os_release("lower=case"),
            Err(OsReleaseError::BadLine { line: 1 })
        );
        assert!(matches!(
            parse_os_release(&"A=b\n".repeat(20_000)),
            Err(OsReleaseError::TooLarge(_))
        ));
    }
}
