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
    /// Where the agent keeps its state (and, without a keychain, its key file).
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "POSTURE_AGENT_STATE_DIR"
    )]
    pub state_dir: Option<PathBuf>,
    /// Where the device key lives: the OS keychain, a 0600 file in the state
    /// directory, or the keychain when reachable and the file otherwise.
    #[arg(long, global = true, value_enum, default_value_t = KeyStore::Auto, env = "POSTURE_AGENT_KEY_STORE")]
    pub key_store: KeyStore,
    /// An extra CA certificate (PEM) to trust for the collector, e.g. the
    /// one `serve --dev-self-signed` writes.
    #[arg(long, global = true, value_name = "FILE", env = "POSTURE_AGENT_CA")]
    pub ca: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the device key is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyStore {
    /// The OS keychain when reachable, else a 0600 file (with a warning).
    Auto,
    /// The OS keychain only; an error when it is unreachable.
    Keychain,
    /// A 0600 file in the state directory.
    File,
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
    /// The device key: show its public half (the private key never leaves its store).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Sign this machine's current posture as an attestation token (printed on stdout).
    Attest(AttestArgs),
    /// Verify an attestation token with a public key.
    #[command(after_help = VERIFY_EXIT_CODES)]
    Verify(VerifyArgs),
    /// Enrol this device with a collector, using a one-time code.
    Enrol(EnrolArgs),
    /// Check in now: collect, evaluate, sign, queue and deliver a report.
    #[command(name = "check-in", after_help = EXIT_CODES)]
    CheckIn(JsonArg),
    /// Send the queued reports now.
    Flush(JsonArg),
    /// Show enrolment, last verdicts and the outbox.
    Status(JsonArg),
    /// Show the exact report a check-in would send (nothing is sent).
    Preview,
    /// Unenrol: tell the collector, then delete the device key and all local state.
    Unenrol(JsonArg),
    /// Delete the device key and all local state without contacting the
    /// collector: the recovery when the state is damaged.
    Reset,
    /// Stay running: check in on the collector's interval, retry queued
    /// reports, exit cleanly on SIGINT/SIGTERM.
    Run(RunArgs),
    /// The whole system on this machine: a collector on loopback, a one-time
    /// code, this machine enrolled and checked in, the verdict with its fixes.
    Demo,
    /// Run the reference collector (protocol v1): enrolment, reports, fleet summary, export.
    Serve(crate::serve::ServeArgs),
    /// Fleets of virtual devices against a collector (load and backend tests).
    #[command(subcommand)]
    Fleet(crate::fleet::FleetCommand),
    /// Android Key Attestation chains: verify and decode.
    #[command(subcommand)]
    Attestation(crate::attestation_cmd::AttestationCommand),
}

/// `--json` alone.
#[derive(Debug, Args)]
pub struct JsonArg {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `enrol`.
#[derive(Debug, Args)]
pub struct EnrolArgs {
    /// The collector's base URL (https://; plain http only to loopback).
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// The one-time enrolment code from your organisation.
    #[arg(
        long,
        value_name = "CODE",
        env = "POSTURE_AGENT_ENROLMENT_CODE",
        hide_env_values = true
    )]
    pub code: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Check-in interval in seconds (default: the collector's).
    #[arg(long, value_name = "SECS")]
    pub interval: Option<u64>,
    /// How often to retry queued reports while waiting, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub retry_every: u64,
    /// Stop after this many check-ins (for tests and scripts).
    #[arg(long, value_name = "N")]
    pub max_check_ins: Option<u64>,
}

const VERIFY_EXIT_CODES: &str = "\
Exit codes:
  0  the token is valid (its claims are printed)
  1  the token is invalid (the reason is printed)
  2  error (unreadable file, bad key)";

/// `keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print the public key as a JWK with its RFC 7638 thumbprint (kid);
    /// creates the key on first use.
    Show,
}

/// Arguments of `attest`.
#[derive(Debug, Args)]
pub struct AttestArgs {
    /// Whose posture to read.
    #[command(flatten)]
    pub target: crate::targets::TargetArgs,
    /// The nonce to answer (8-64 visible ASCII characters); a random one when absent.
    #[arg(long, value_name = "NONCE")]
    pub nonce: Option<String>,
    /// Policy file for the verdict carried in the token; the policy in force
    /// (the collector's once enrolled, else the default) when absent.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The signer's public key (a JWK file, as `keys show` prints).
    #[arg(long, value_name = "FILE")]
    pub jwk: PathBuf,
    /// The nonce the token must carry.
    #[arg(long, value_name = "NONCE")]
    pub nonce: Option<String>,
    /// The token, or `-` (the default) to read it from stdin.
    #[arg(value_name = "TOKEN", default_value = "-")]
    pub token: String,
}

/// Arguments of `collect`.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Whose posture to read.
    #[command(flatten)]
    pub target: crate::targets::TargetArgs,
    /// Print the exact posture document (JSON) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Whose posture to read.
    #[command(flatten)]
    pub target: crate::targets::TargetArgs,
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
