//! What each command does, over agent-core's public API.

use std::fmt;
use std::path::{Path, PathBuf};

use agent_core::policy::{Compliance, Policy, PolicyFormat, evaluate_in};
use agent_core::probe::PostureProbe;
use time::OffsetDateTime;

use crate::cli::{CheckArgs, CollectArgs, PolicyArgs};
use crate::render;
use crate::{EXIT_NON_COMPLIANT, EXIT_OK, EXIT_WARNING};

/// A command failure, shown to the user as one clear line.
#[derive(Debug)]
pub enum CliError {
    /// No probe exists for this OS.
    NoProbe,
    /// A file given on the command line was refused or unreadable.
    File(crate::files::FileError),
    /// A policy file is invalid.
    Policy(PathBuf, agent_core::policy::PolicyError),
    /// No state directory was given and none could be derived.
    NoStateDir,
    /// The device key could not be loaded, created or used.
    Key(agent_core::keys::KeyError),
    /// A JWK file is not a P-256 public key.
    Jwk(PathBuf, agent_core::keys::JwkError),
    /// A command-line value is invalid.
    Usage(String),
    /// An agent operation failed.
    Agent(agent_core::agent::AgentError),
    /// The --target could not be reached.
    Target(crate::targets::TargetError),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::NoProbe => write!(
                f,
                "this operating system has no built-in probe; use a phone app or a device profile"
            ),
            CliError::File(e) => write!(f, "{e}"),
            CliError::Policy(p, e) => write!(f, "policy file {}: {e}", p.display()),
            CliError::NoStateDir => write!(
                f,
                "no state directory: pass --state-dir DIR or set POSTURE_AGENT_STATE_DIR (or HOME)"
            ),
            CliError::Key(e) => write!(f, "device key: {e}"),
            CliError::Jwk(p, e) => write!(f, "key file {}: {e}", p.display()),
            CliError::Usage(m) => f.write_str(m),
            CliError::Agent(e) => {
                write!(f, "{e}")?;
                if needs_reset(e) {
                    write!(
                        f,
                        "\nTo start afresh: `posture-agent reset` (deletes this device's local state and key), then enrol again."
                    )?;
                }
                Ok(())
            }
            CliError::Target(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for CliError {}

impl CliError {
    /// The message in `locale`: an agent error a person can act on in
    /// their language (see `AgentError::message`), the rest as `Display`.
    pub fn in_locale(&self, locale: agent_core::l10n::Locale) -> String {
        match self {
            CliError::Agent(e) if !needs_reset(e) => e.message(locale),
            other => other.to_string(),
        }
    }
}

/// Whether the documented recovery for `e` is `posture-agent reset`.
fn needs_reset(e: &agent_core::agent::AgentError) -> bool {
    use agent_core::agent::AgentError;
    use agent_core::state::StateError;
    matches!(
        e,
        AgentError::CorruptState(_)
            | AgentError::KeyMissing { .. }
            | AgentError::KeyMismatch { .. }
            | AgentError::State(StateError::Corrupt { .. })
    )
}

/// The probe for `--target` (this machine by default).
pub fn probe(target: &crate::targets::TargetArgs) -> Result<Box<dyn PostureProbe>, CliError> {
    crate::targets::probe_for(&target.target).map_err(|e| match e {
        crate::targets::TargetError::NoLocalProbe => CliError::NoProbe,
        other => CliError::Target(other),
    })
}

/// `collect`.
pub fn collect(args: &CollectArgs) -> Result<u8, CliError> {
    let posture = probe(&args.target)?.collect();
    tracing::info!(platform = %posture.platform, "collected posture");
    if args.json {
        println!("{}", posture.to_json_pretty());
    } else {
        print!("{}", render::posture_table(&posture, args.lang.locale()));
    }
    Ok(EXIT_OK)
}

/// `check`.
pub fn check(args: &CheckArgs) -> Result<u8, CliError> {
    let policy = match &args.policy {
        Some(path) => load_policy(path)?,
        None => Policy::default_policy(),
    };
    let posture = probe(&args.target)?.collect();
    let locale = args.lang.locale();
    let verdict = evaluate_in(&posture, &policy, OffsetDateTime::now_utc(), locale);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&verdict).unwrap_or_default()
        );
    } else {
        print!("{}", render::verdict_text(&verdict, locale));
    }
    Ok(exit_code(verdict.compliance))
}

/// `policy`.
pub fn policy(args: &PolicyArgs) -> Result<u8, CliError> {
    if args.json {
        let policy = Policy::default_policy();
        println!(
            "{}",
            serde_json::to_string_pretty(&policy).unwrap_or_default()
        );
    } else {
        print!("{}", Policy::default_toml());
    }
    Ok(EXIT_OK)
}

/// The exit code for a verdict.
pub fn exit_code(c: Compliance) -> u8 {
    match c {
        Compliance::Compliant => EXIT_OK,
        Compliance::Warning => EXIT_WARNING,
        Compliance::NonCompliant => EXIT_NON_COMPLIANT,
    }
}

/// Reads a policy file; JSON when it ends in `.json`, TOML otherwise.
pub fn load_policy(path: &Path) -> Result<Policy, CliError> {
    let text = crate::files::read_text(path, crate::files::MAX_POLICY_BYTES, "a policy")
        .map_err(CliError::File)?;
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some(ext) if ext.eq_ignore_ascii_case("json") => PolicyFormat::Json,
        _ => PolicyFormat::Toml,
    };
    Policy::parse(&text, format).map_err(|e| CliError::Policy(path.to_owned(), e))
}
