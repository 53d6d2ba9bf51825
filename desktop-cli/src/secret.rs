//! A secret given on the command line or in the environment (a token, an
//! enrolment code): its `Debug` shows only that it is there, so no
//! `{:?}` of the parsed arguments, in a log line or a panic, can print it.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

/// A secret argument's value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value, for the one place that must send or compare it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl FromStr for Secret {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::Cli;

    /// Every secret argument, parsed as clap parses it, then printed with
    /// `{:?}`: the values never show.
    #[test]
    fn parsed_arguments_debug_without_their_secrets() {
        let runs: &[&[&str]] = &[
            &[
                "posture-agent",
                "enrol",
                "--server",
                "https://c.example",
                "--code",
                "CODE-SEKRIT-1",
            ],
            &[
                "posture-agent",
                "serve",
                "--admin-token",
                "admin-SEKRIT-0123456789",
            ],
            &[
                "posture-agent",
                "evidence",
                "--server",
                "https://c.example",
                "--admin-token",
                "admin-SEKRIT-0123456789",
                "--from",
                "2026-01-01",
                "--to",
                "2026-01-31",
            ],
            &[
                "posture-agent",
                "fleet",
                "simulate",
                "--server",
                "https://c.example",
                "--admin-token",
                "admin-SEKRIT-0123456789",
            ],
            &[
                "posture-agent",
                "gateway",
                "tailscale-sync",
                "--server",
                "https://c.example",
                "--rp-token",
                "rpt_SEKRIT",
                "--tailscale-token",
                "tskey-SEKRIT",
                "--links",
                "links.json",
            ],
        ];
        for args in runs {
            let cli = match Cli::try_parse_from(*args) {
                Ok(cli) => cli,
                Err(e) => panic!("{args:?} did not parse: {e}"),
            };
            let shown = format!("{cli:?}");
            assert!(shown.contains("Secret(<redacted>)"), "{shown}");
            assert!(!shown.contains("SEKRIT"), "a secret shows in {shown}");
        }
    }
}
