//! Command-line definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit codes:
  0  compliant (or the command succeeded)
  1  non-compliant
  2  error (bad input, unreadable file, failed command)
  3  compliant apart from warnings";

const TOP_HELP: &str = "\
Options such as --state-dir, --key-store and --ca belong to the commands
that use them: see `posture-agent COMMAND --help`. They are also accepted
before the command, and read from POSTURE_AGENT_STATE_DIR,
POSTURE_AGENT_KEY_STORE and POSTURE_AGENT_CA.

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
#[command(name = "posture-agent", version, after_help = TOP_HELP)]
pub struct Cli {
    /// More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// `--state-dir` given before the command (or its environment variable).
    #[arg(long, hide = true, value_name = "DIR", env = "POSTURE_AGENT_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// `--key-store` given before the command (or its environment variable).
    #[arg(long, hide = true, value_enum, env = "POSTURE_AGENT_KEY_STORE")]
    pub key_store: Option<KeyStore>,
    /// `--ca` given before the command (or its environment variable).
    #[arg(long, hide = true, value_name = "FILE", env = "POSTURE_AGENT_CA")]
    pub ca: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

// The options below are read from the environment at the top level only
// (`Cli`), so a flag given after the command beats one given before it,
// and either beats the environment.

/// The device's state and key: for the commands that use the device key.
#[derive(Debug, Clone, Default, Args)]
pub struct DeviceArgs {
    /// Where the agent keeps its state (and, without a keychain, its key
    /// file) [env: POSTURE_AGENT_STATE_DIR] [default: the XDG data folder].
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Where the device key lives: the OS keychain, a 0600 file in the state
    /// directory, or the keychain when reachable and the file otherwise
    /// [env: POSTURE_AGENT_KEY_STORE] [default: auto].
    #[arg(long, value_enum, value_name = "STORE")]
    pub key_store: Option<KeyStore>,
    /// The language of what the command prints for people.
    #[command(flatten)]
    pub lang: LangArg,
}

/// An extra CA: for the commands that reach a collector.
#[derive(Debug, Clone, Default, Args)]
pub struct CaArg {
    /// An extra CA certificate (PEM) to trust for the collector, e.g. the
    /// one `serve --dev-self-signed` writes [env: POSTURE_AGENT_CA].
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
}

/// The device's state and key, and the CA: for the commands that reach a collector.
#[derive(Debug, Clone, Default, Args)]
pub struct ConnectArgs {
    /// The device.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// The CA.
    #[command(flatten)]
    pub ca: CaArg,
}

impl Cli {
    /// The options a command that uses the device key runs with: its own
    /// flags, else those given before it (or the environment).
    pub fn device(&self, own: &DeviceArgs) -> crate::agent_cmd::Globals {
        crate::agent_cmd::Globals {
            state_dir: own.state_dir.clone().or_else(|| self.state_dir.clone()),
            key_store: own.key_store.or(self.key_store).unwrap_or(KeyStore::Auto),
            ca: None,
            locale: own.lang.locale(),
        }
    }

    /// [`Cli::device`] with the CA, for a command that reaches a collector.
    pub fn connect(&self, own: &ConnectArgs) -> crate::agent_cmd::Globals {
        crate::agent_cmd::Globals {
            ca: self.ca_file(&own.ca),
            ..self.device(&own.device)
        }
    }

    /// The language of what the command prints for people, its errors
    /// included: its `--lang`, else the environment's locale.
    pub fn locale(&self) -> agent_core::l10n::Locale {
        use crate::quiet_cmd::QuietHoursCommand as Q;
        let lang = match &self.command {
            Command::Check(a) => Some(&a.lang),
            Command::Privacy(a) => Some(&a.lang),
            Command::Keys(KeysCommand::Show(a)) => Some(&a.device.lang),
            Command::Attest(a) => Some(&a.device.lang),
            Command::Enrol(a) => Some(&a.connect.device.lang),
            Command::CheckIn(a) => Some(&a.connect.device.lang),
            Command::Flush(a) => Some(&a.connect.device.lang),
            Command::Unenrol(a) => Some(&a.connect.device.lang),
            Command::Run(a) => Some(&a.connect.device.lang),
            Command::QuietHours(Q::Set(a)) => Some(&a.device.lang),
            Command::QuietHours(Q::Show(a)) => Some(&a.device.lang),
            Command::QuietHours(Q::Clear(a)) => Some(&a.lang),
            Command::Status(a) => Some(&a.device.lang),
            Command::ComplianceToken(a) => Some(&a.device.lang),
            Command::Preview(a) | Command::Demo(a) | Command::Reset(a) => Some(&a.lang),
            _ => None,
        };
        lang.cloned().unwrap_or_default().locale()
    }

    /// The CA file: the command's own flag, else the one before it.
    pub fn ca_file(&self, own: &CaArg) -> Option<PathBuf> {
        own.ca.clone().or_else(|| self.ca.clone())
    }
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
    CheckIn(ConnectJson),
    /// Send the queued reports now.
    Flush(ConnectJson),
    /// Show enrolment, last verdicts and the outbox.
    Status(DeviceJson),
    /// Your working hours: the agent prompts you only within them
    /// (check-ins still run outside them, silently).
    #[command(name = "quiet-hours", subcommand)]
    QuietHours(crate::quiet_cmd::QuietHoursCommand),
    /// Print the collector's attestation result for this device (an EAR
    /// JWT bound to the device key) while it is unexpired, for a gateway;
    /// exit 2 with the reason when there is none.
    #[command(name = "compliance-token")]
    ComplianceToken(DeviceJson),
    /// Build and show the report a check-in would send now, signed claims
    /// and all (nothing is sent or stored).
    Preview(DeviceArgs),
    /// Unenrol: tell the collector, then delete the device key and all local state.
    Unenrol(ConnectJson),
    /// Delete the device key and all local state without contacting the
    /// collector: the recovery when the state is damaged.
    Reset(DeviceArgs),
    /// Stay running: check in on the collector's interval, retry queued
    /// reports, exit cleanly on SIGINT/SIGTERM.
    Run(RunArgs),
    /// The whole system on this machine: a collector on loopback, a one-time
    /// code, this machine enrolled and checked in, the verdict with its fixes.
    Demo(DeviceArgs),
    /// Run the reference collector (protocol v1): enrolment, reports, fleet summary, export.
    Serve(Box<crate::serve::ServeArgs>),
    /// Fleets of virtual devices against a collector (load and backend tests).
    #[command(subcommand)]
    Fleet(crate::fleet::FleetCommand),
    /// The collector's audit evidence for a period (DSPT, Cyber Essentials):
    /// the share of devices on a supported OS, patched, encrypted and
    /// locked, by ISO week, and the exceptions; as JSON, CSV or HTML.
    Evidence(crate::evidence_cmd::EvidenceArgs),
    /// Print a shell completion script: `posture-agent completions bash >
    /// ~/.local/share/bash-completion/completions/posture-agent`.
    Completions(CompletionsArgs),
    /// Android Key Attestation chains: verify and decode.
    #[command(subcommand)]
    Attestation(crate::attestation_cmd::AttestationCommand),
    /// Conditional access: relying-party tokens, and compliance pushed to
    /// Tailscale as device posture attributes.
    #[command(subcommand)]
    Gateway(crate::gateway::GatewayCommand),
    /// What leaves this device and why, and what is never collected; or the
    /// documents made from that (iOS privacy manifest, Play Data safety,
    /// leaflet for staff).
    Privacy(crate::privacy_cmd::PrivacyArgs),
}

/// `--lang`: the language of what people read.
#[derive(Debug, Clone, Default, Args)]
pub struct LangArg {
    /// The language of the text: en or cy (a BCP 47 tag such as cy-GB
    /// works too) [default: from LC_ALL, LC_MESSAGES or LANG, else en].
    #[arg(long, value_name = "LANG", value_parser = parse_lang)]
    pub lang: Option<agent_core::l10n::Locale>,
}

fn parse_lang(tag: &str) -> Result<agent_core::l10n::Locale, String> {
    agent_core::l10n::Locale::parse(tag).map_err(|e| e.to_string())
}

impl LangArg {
    /// The language: `--lang`, else the environment's locale, else English.
    pub fn locale(&self) -> agent_core::l10n::Locale {
        self.lang.unwrap_or_else(|| {
            // POSIX order: LC_ALL overrides LC_MESSAGES overrides LANG.
            let env = ["LC_ALL", "LC_MESSAGES", "LANG"]
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()));
            agent_core::l10n::Locale::negotiate(env.as_deref())
        })
    }
}

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `--json` and the device's options.
#[derive(Debug, Args)]
pub struct DeviceJson {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// The device.
    #[command(flatten)]
    pub device: DeviceArgs,
}

/// `--json` and the options of a command that reaches a collector.
#[derive(Debug, Args)]
pub struct ConnectJson {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// The device and the CA.
    #[command(flatten)]
    pub connect: ConnectArgs,
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
    pub code: crate::secret::Secret,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// The device and the CA.
    #[command(flatten)]
    pub connect: ConnectArgs,
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
    /// The device and the CA.
    #[command(flatten)]
    pub connect: ConnectArgs,
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
    Show(KeysShowArgs),
}

/// Arguments of `keys show`.
#[derive(Debug, Args)]
pub struct KeysShowArgs {
    /// Print JSON: the JWK, which is also what is printed without it (a
    /// file `verify --jwk` reads).
    #[arg(long)]
    pub json: bool,
    /// The device.
    #[command(flatten)]
    pub device: DeviceArgs,
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
    /// The device.
    #[command(flatten)]
    pub device: DeviceArgs,
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
    #[command(flatten)]
    pub lang: LangArg,
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
    /// The language of the verdict's words (rule ids and outcomes stay ids).
    #[command(flatten)]
    pub lang: LangArg,
}

/// Arguments of `policy`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Print as JSON (the form a collector serves) instead of TOML.
    #[arg(long)]
    pub json: bool,
}
