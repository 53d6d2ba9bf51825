//! Command-line definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit codes:
  0  compliant (or the command succeeded)
  1  non-compliant
  2  error (bad input, unreadable file, failed command)
  3  compliant apart from warnings";

/// Posture Agent: device posture for staff on their own devices.
///
/// Collects this device's security posture (OS and patch level, storage
/// encryption, screen lock, developer settings, integrity indicators),
/// checks it against a policy, and shows what would be reported.
#[derive(Debug, Parser)]
#[command(name = "posture-agent", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show this machine's posture: each fact with where it was read, or why it is unknown.
    Collect(CollectArgs),
    /// Check this machine's posture against a policy and explain how to fix what fails.
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Print the default policy (TOML), to copy and adapt.
    Policy(PolicyArgs),
}

/// Arguments of `collect`.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Print the exact posture document (JSON) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Policy file (.toml or .json); the built-in default policy when absent.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Print the verdict as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `policy`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Print as JSON (the form a collector serves) instead of TOML.
    #[arg(long)]
    pub json: bool,
}
