//! Version strings as operating systems write them, compared numerically.
//!
//! Real version strings are not semver: "14", "17.6.1", "10.0.22631.4317",
//! "6.1.0-27-amd64", "12 (bookworm)". A [`Version`] keeps the leading run of
//! numeric components (split on `.`, `-`, `_`, `+` and spaces) and ignores the
//! rest, so "6.1.0-27-amd64" is 6.1.0.27 and "12 (bookworm)" is 12. Missing
//! components count as zero: 17.6 == 17.6.0.

use std::cmp::Ordering;
use std::fmt;

/// Longest version string accepted.
const MAX_VERSION_LEN: usize = 128;
/// Most numeric components kept.
const MAX_COMPONENTS: usize = 8;

/// A parsed version: numeric components plus the original text.
#[derive(Debug, Clone)]
pub struct Version {
    parts: Vec<u64>,
    text: String,
}

/// Why a version string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The string does not start with a number.
    #[error("version {0:?} does not start with a number")]
    NotNumeric(String),
    /// The string is longer than any real version.
    #[error("version string is {0} characters; the limit is {MAX_VERSION_LEN}")]
    TooLong(usize),
}

impl Version {
    /// Parses a version string.
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let text = text.trim();
        if text.len() > MAX_VERSION_LEN {
            return Err(VersionError::TooLong(text.len()));
        }
        let mut parts = Vec::new();
        for token in text.split(['.', '-', '_', '+', ' ']) {
            let digits: &str = token
                .find(|c: char| !c.is_ascii_digit())
                .map_or(token, |end| &token[..end]);
            if digits.is_empty() || parts.len() == MAX_COMPONENTS {
                break;
            }
            match digits.parse::<u64>() {
                Ok(n) => parts.push(n),
                Err(_) => break,
            }
            if digits.len() != token.len() {
                // "3rc1": keep the 3, stop at the suffix.
                break;
            }
        }
        if parts.is_empty() {
            return Err(VersionError::NotNumeric(text.chars().take(32).collect()));
        }
        Ok(Version {
            parts,
            text: text.to_owned(),
        })
    }

    /// The numeric components.
    pub fn parts(&self) -> &[u64] {
        &self.parts
    }

    /// The first component: the major release line.
    pub fn major(&self) -> u64 {
        self.parts.first().copied().unwrap_or(0)
    }

    /// The release line a minimum with several components names: all its
    /// components but the last ("17.6" → 17); None for a single component.
    pub fn line(&self) -> Option<&[u64]> {
        match self.parts.len() {
            0 | 1 => None,
            n => Some(&self.parts[..n - 1]),
        }
    }

    /// True when `prefix`'s components are this version's leading components.
    pub fn starts_with(&self, prefix: &[u64]) -> bool {
        prefix.len() <= self.parts.len() && self.parts[..prefix.len()] == *prefix
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.parts.len().max(other.parts.len());
        for i in 0..n {
            let a = self.parts.get(i).copied().unwrap_or(0);
            let b = other.parts.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                Ordering::Equal => continue,
                unequal => return unequal,
            }
        }
        Ordering::Equal
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn parses_real_version_strings() {
        let cases: &[(&str, &[u64])] = &[
            ("14", &[14]),
            ("17.6.1", &[17, 6, 1]),
            ("10.0.22631.4317", &[10, 0, 22631, 4317]),
            ("6.1.0-27-amd64", &[6, 1, 0, 27]),
            ("12 (bookworm)", &[12]),
            ("22.04.4 LTS (Jammy Jellyfish)", &[22, 4, 4]),
            ("5.15.0-91-generic", &[5, 15, 0, 91]),
            ("6.18.44-fc-v657", &[6, 18, 44]),
            ("1.2.3rc1", &[1, 2, 3]),
            ("  18.1  ", &[18, 1]),
        ];
        for (text, parts) in cases {
            assert_eq!(v(text).parts(), *parts, "{text}");
        }
    }

    #[test]
    fn compares_numerically_not_lexically() {
        let ordered = [
            ("9", "10"),
            ("17.6", "17.6.1"),
            ("17.10", "18"),
            ("10.0.19045.5000", "10.0.22631.4317"),
            ("10.0.22631.4317", "10.0.22631.4460"),
            ("6.1.0-26-amd64", "6.1.0-27-amd64"),
            ("12 (bookworm)", "13 (trixie)"),
        ];
        for (lo, hi) in ordered {
            assert!(v(lo) < v(hi), "{lo} < {hi}");
            assert!(v(hi) > v(lo), "{hi} > {lo}");
        }
    }

    #[test]
    fn missing_components_are_zero() {
        assert_eq!(v("17.6"), v("17.6.0"));
        assert_eq!(v("14"), v("14.0.0"));
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for bad in ["", "   ", "bookworm", "v", ".1", "-"] {
            assert!(
                matches!(Version::parse(bad), Err(VersionError::NotNumeric(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            Version::parse(&"1".repeat(500)),
            Err(VersionError::TooLong(500))
        ));
        // A component too large for u64 stops the parse rather than wrapping.
        assert_eq!(v("1.99999999999999999999999").parts(), &[1]);
    }

    #[test]
    fn prefix_and_major() {
        let x = v("10.0.22631.4317");
        assert!(x.starts_with(&[10, 0, 22631]));
        assert!(!x.starts_with(&[10, 0, 26100]));
        assert_eq!(x.major(), 10);
    }
}
