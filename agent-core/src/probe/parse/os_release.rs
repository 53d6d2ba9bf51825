//! `os-release(5)`: the OS identification file of systemd-era Linux.
//!
//! The file is read line by line, as os-release(5) asks: a line that is not
//! a valid `KEY=value` assignment is skipped (and its number remembered), not
//! fatal, so one bad line added by hand or by a tool does not hide the rest.

use super::MAX_INPUT_BYTES;

/// The fields of os-release the agent uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsRelease {
    /// `ID` ("debian"); os-release(5) says it defaults to "linux".
    pub id: String,
    /// `ID_LIKE` ("rhel centos fedora"), split on whitespace, in its order:
    /// the distributions this one derives from, closest first.
    pub id_like: Vec<String>,
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
    /// 1-based numbers of the lines skipped as malformed.
    pub skipped_lines: Vec<usize>,
}

/// Why os-release could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OsReleaseError {
    /// Not one valid `KEY=value` line.
    #[error("{}", crate::probe::why("reason-parse-os-release-empty", &[]))]
    Empty,
    /// Larger than any real os-release.
    #[error("{}", crate::probe::why(
        "reason-parse-os-release-too-large",
        &[("bytes", &.0.to_string()), ("limit", &MAX_INPUT_BYTES.to_string())],
    ))]
    TooLarge(usize),
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
        let Some((key, value)) = assignment(line) else {
            out.skipped_lines.push(i + 1);
            continue;
        };
        seen += 1;
        match key {
            "ID" => out.id = value,
            "ID_LIKE" => out.id_like = value.split_whitespace().map(str::to_owned).collect(),
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

/// One `KEY=value` line, or None when it is not one.
fn assignment(line: &str) -> Option<(&str, String)> {
    let (key, value) = line.split_once('=')?;
    let key_ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !key_ok {
        return None;
    }
    Some((key, unquote(value)?))
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

    fn fixture(name: &str) -> OsRelease {
        let path = format!(
            "{}/src/probe/parse/fixtures/os-release-{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        parse_os_release(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// (fixture, ID, ID_LIKE, VERSION_ID, NAME)
    type Expected<'a> = (&'a str, &'a str, &'a [&'a str], Option<&'a str>, &'a str);

    #[test]
    fn real_files() {
        let cases: &[Expected] = &[
            ("debian-12", "debian", &[], Some("12"), "Debian GNU/Linux"),
            ("debian-10", "debian", &[], Some("10"), "Debian GNU/Linux"),
            (
                "ubuntu-22.04",
                "ubuntu",
                &["debian"],
                Some("22.04"),
                "Ubuntu",
            ),
            ("fedora-40", "fedora", &[], Some("40"), "Fedora Linux"),
            (
                "raspbian-8",
                "raspbian",
                &["debian"],
                Some("8"),
                "Raspbian GNU/Linux",
            ),
            (
                "linuxmint-22",
                "linuxmint",
                &["ubuntu", "debian"],
                Some("22"),
                "Linux Mint",
            ),
            (
                "centos-7",
                "centos",
                &["rhel", "fedora"],
                Some("7"),
                "CentOS Linux",
            ),
            (
                "centos-stream-9",
                "centos",
                &["rhel", "fedora"],
                Some("9"),
                "CentOS Stream",
            ),
            (
                "rhel-7.9",
                "rhel",
                &["fedora"],
                Some("7.9"),
                "Red Hat Enterprise Linux Server",
            ),
            (
                "rocky-9.4",
                "rocky",
                &["rhel", "centos", "fedora"],
                Some("9.4"),
                "Rocky Linux",
            ),
            (
                "almalinux-9.4",
                "almalinux",
                &["rhel", "centos", "fedora"],
                Some("9.4"),
                "AlmaLinux",
            ),
            ("sles-15-sp5", "sles", &["suse"], Some("15.5"), "SLES"),
            (
                "opensuse-leap-15.6",
                "opensuse-leap",
                &["suse", "opensuse"],
                Some("15.6"),
                "openSUSE Leap",
            ),
            ("alpine-3.20", "alpine", &[], Some("3.20.3"), "Alpine Linux"),
            (
                "amzn-2",
                "amzn",
                &["centos", "rhel", "fedora"],
                Some("2"),
                "Amazon Linux",
            ),
            (
                "amzn-2023",
                "amzn",
                &["fedora"],
                Some("2023"),
                "Amazon Linux",
            ),
        ];
        for (file, id, like, version_id, name) in cases {
            let r = fixture(file);
            assert_eq!(r.id, *id, "{file}");
            assert_eq!(r.id_like, *like, "{file}");
            assert_eq!(r.version_id.as_deref(), *version_id, "{file}");
            assert_eq!(r.name, *name, "{file}");
            assert!(r.skipped_lines.is_empty(), "{file}: {:?}", r.skipped_lines);
        }
        let d = fixture("debian-12");
        assert_eq!(d.version.as_deref(), Some("12 (bookworm)"));
        assert_eq!(d.build_id, None);
        let u = fixture("ubuntu-22.04");
        assert_eq!(u.pretty_name.as_deref(), Some("Ubuntu 22.04.4 LTS"));
        let f = fixture("fedora-40");
        assert_eq!(f.version.as_deref(), Some("40 (Workstation Edition)"));
        let s = fixture("sles-15-sp5");
        assert_eq!(s.version.as_deref(), Some("15-SP5"));
    }

    #[test]
    fn quoting_and_defaults() {
        let r = parse_os_release("# comment\n\nVERSION_ID='1.0'\nPRETTY_NAME=\"A \\\"quoted\\\" \\$name\"\nBUILD_ID=rolling\n").unwrap();
        assert_eq!(r.id, "linux");
        assert_eq!(r.name, "Linux");
        assert!(r.id_like.is_empty());
        assert_eq!(r.version_id.as_deref(), Some("1.0"));
        assert_eq!(r.pretty_name.as_deref(), Some("A \"quoted\" $name"));
        assert_eq!(r.build_id.as_deref(), Some("rolling"));
        let r = parse_os_release("ID=x\nID_LIKE=\"  a\tb   c \"\n").unwrap();
        assert_eq!(r.id_like, ["a", "b", "c"]);
    }

    #[test]
    fn a_malformed_line_is_skipped_not_fatal() {
        let text = std::fs::read_to_string(format!(
            "{}/src/probe/parse/fixtures/os-release-centos-7",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        // A hand edit in the middle: no '=', a lowercase key, an open quote.
        let edited = text.replacen(
            "VERSION_ID=\"7\"\n",
            "VERSION_ID=\"7\"\nthis is not an assignment\nlower=case\nVARIANT=\"unterminated\n",
            1,
        );
        let r = parse_os_release(&edited).unwrap();
        assert_eq!(r.id, "centos");
        assert_eq!(r.id_like, ["rhel", "fedora"]);
        assert_eq!(r.version_id.as_deref(), Some("7"));
        assert_eq!(r.pretty_name.as_deref(), Some("CentOS Linux 7 (Core)"));
        assert_eq!(r.skipped_lines, [6, 7, 8]);
    }

    #[test]
    fn empty_truncated_and_garbage() {
        assert_eq!(parse_os_release(""), Err(OsReleaseError::Empty));
        assert_eq!(
            parse_os_release("# only a comment\n"),
            Err(OsReleaseError::Empty)
        );
        assert_eq!(
            parse_os_release("\u{0}\u{1}garbage\nlower=case\n"),
            Err(OsReleaseError::Empty)
        );
        // Truncated inside a quoted value: the lines before it still count.
        let debian = std::fs::read_to_string(format!(
            "{}/src/probe/parse/fixtures/os-release-debian-12",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let truncated = &debian[..debian.find("bookworm)\"\nVERSION_CODENAME").unwrap()];
        let r = parse_os_release(truncated).unwrap();
        assert_eq!(r.version_id.as_deref(), Some("12"));
        assert_eq!(r.version, None);
        assert_eq!(r.skipped_lines, [4]);
        assert_eq!(r.id, "linux", "ID comes after the cut");
        assert!(matches!(
            parse_os_release(&"A=b\n".repeat(20_000)),
            Err(OsReleaseError::TooLarge(_))
        ));
    }
}
