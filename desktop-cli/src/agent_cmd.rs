//! The agent's commands: enrol, check-in, flush, status, preview, unenrol, run.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use agent_core::agent::{
    Agent, AgentConfig, AgentError, CheckInOutcome, ComplianceToken, KeySource, Status,
};
use agent_core::keys::store::{StoreChoice, open_store};
use agent_core::policy::Compliance;
use agent_core::probe::PostureProbe;
use agent_core::state::OutboxLimits;

use crate::cli::{EnrolArgs, KeyStore, RunArgs};
use crate::commands::{CliError, exit_code};
use crate::{EXIT_ERROR, EXIT_OK, render};

/// The options every agent command shares.
#[derive(Debug, Clone)]
pub struct Globals {
    /// `--state-dir`.
    pub state_dir: Option<PathBuf>,
    /// `--key-store`.
    pub key_store: KeyStore,
    /// `--ca`.
    pub ca: Option<PathBuf>,
    /// `--lang`, else the environment's locale.
    pub locale: agent_core::l10n::Locale,
}

/// The state directory: the flag or environment, else the XDG data folder.
pub fn state_dir(flag: &Option<PathBuf>) -> Result<PathBuf, CliError> {
    if let Some(dir) = flag {
        return Ok(dir.clone());
    }
    let xdg = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let home = std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(|h| PathBuf::from(h).join(".local/share"));
    xdg.or(home)
        .map(|d| d.join("posture-agent"))
        .ok_or(CliError::NoStateDir)
}

/// Opens the agent as the options say: this machine's probe, the device
/// key in the chosen store, the built-in HTTPS transport.
pub fn open_agent(g: &Globals) -> Result<Agent, CliError> {
    let local = crate::targets::probe_for(&crate::targets::Target::Local).map_err(|e| match e {
        crate::targets::TargetError::NoLocalProbe => CliError::NoProbe,
        other => CliError::Target(other),
    })?;
    open_agent_with(g, local)
}

/// Opens the agent trusting an extra CA given in memory (the demo's).
pub fn open_agent_ca(g: &Globals, ca_pem: Option<Vec<u8>>) -> Result<Agent, CliError> {
    let local = crate::targets::probe_for(&crate::targets::Target::Local).map_err(|e| match e {
        crate::targets::TargetError::NoLocalProbe => CliError::NoProbe,
        other => CliError::Target(other),
    })?;
    build_agent(g, local, ca_pem)
}

/// Opens the agent with another probe (a `--target`).
pub fn open_agent_with(g: &Globals, probe: Box<dyn PostureProbe>) -> Result<Agent, CliError> {
    let extra_ca_pem = match &g.ca {
        Some(path) => Some(
            crate::files::read_bytes(path, crate::files::MAX_PEM_BYTES, "a CA certificate")
                .map_err(CliError::File)?,
        ),
        None => None,
    };
    build_agent(g, probe, extra_ca_pem)
}

fn key_store(
    g: &Globals,
    dir: &std::path::Path,
) -> Result<Arc<dyn agent_core::keys::store::SecretStore>, CliError> {
    let file = dir.join(agent_core::keys::store::SECRETS_FILE);
    let choice = match g.key_store {
        KeyStore::Auto => StoreChoice::Auto { fallback: file },
        KeyStore::Keychain => StoreChoice::Keychain,
        KeyStore::File => StoreChoice::File(file),
    };
    Ok(Arc::from(
        open_store(choice).map_err(|e| CliError::Key(e.into()))?,
    ))
}

/// `reset`.
pub fn reset(g: &Globals) -> Result<u8, CliError> {
    let dir = state_dir(&g.state_dir)?;
    let keys = KeySource::Software(key_store(g, &dir)?);
    // A key kept in the state directory's own file goes with the files.
    let key_in_dir = matches!(g.key_store, KeyStore::File)
        || dir.join(agent_core::keys::store::SECRETS_FILE).exists();
    let outcome = agent_core::agent::reset_local(&dir, &keys).map_err(CliError::Agent)?;
    if let Some(note) = outcome.key_left_behind.as_deref().filter(|_| !key_in_dir) {
        println!("Note: {note}.");
    }
    match outcome.key_error {
        None => println!(
            "Reset: the device key and every file of the local state in {} are deleted. If the collector still lists this device, ask your organisation to remove it; then enrol again.",
            dir.display()
        ),
        Some(why) => println!(
            "Reset: every file of the local state in {} is deleted, but the device key could not be deleted from its store ({why}); it is no longer used. If the collector still lists this device, ask your organisation to remove it; then enrol again.",
            dir.display()
        ),
    }
    Ok(EXIT_OK)
}

fn build_agent(
    g: &Globals,
    probe: Box<dyn PostureProbe>,
    extra_ca_pem: Option<Vec<u8>>,
) -> Result<Agent, CliError> {
    Agent::open(agent_config(g, probe, extra_ca_pem)?).map_err(CliError::Agent)
}

fn agent_config(
    g: &Globals,
    probe: Box<dyn PostureProbe>,
    extra_ca_pem: Option<Vec<u8>>,
) -> Result<AgentConfig, CliError> {
    let dir = state_dir(&g.state_dir)?;
    let store = key_store(g, &dir)?;
    Ok(AgentConfig {
        state_dir: dir,
        probe: Arc::from(probe),
        keys: KeySource::Software(store),
        transport: None,
        extra_ca_pem,
        outbox_limits: OutboxLimits::default(),
    })
}

/// Opens the agent to look at it: read-only beside a running `run`.
pub(crate) fn open_agent_to_read(g: &Globals) -> Result<Agent, CliError> {
    let local = crate::targets::probe_for(&crate::targets::Target::Local).map_err(|e| match e {
        crate::targets::TargetError::NoLocalProbe => CliError::NoProbe,
        other => CliError::Target(other),
    })?;
    Agent::open_to_read(agent_config(g, local, None)?).map_err(CliError::Agent)
}

pub(crate) fn print_json<T: serde::Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// `enrol`.
pub fn enrol(args: &EnrolArgs, g: &Globals) -> Result<u8, CliError> {
    let agent = open_agent(g)?;
    let status = agent
        .enrol(&args.server, args.code.expose())
        .map_err(CliError::Agent)?;
    if args.json {
        print_json(&status);
    } else {
        println!(
            "Enrolled with {} as device {}.",
            args.server,
            status.device_id.as_ref().map(|d| d.as_str()).unwrap_or("?")
        );
        println!("State: {}", status.state_dir.display());
        println!("Next: `posture-agent check-in` (or `posture-agent run`).");
    }
    Ok(EXIT_OK)
}

/// The verdict that decides the exit code: the server's for this report
/// when it answered, else the device's own.
fn effective(outcome: &CheckInOutcome) -> Compliance {
    match &outcome.status.verdicts.server {
        Some(s) if outcome.delivery.delivered > 0 => s.verdict.compliance,
        _ => outcome.local_verdict.compliance,
    }
}

/// `check-in`.
pub fn check_in(json: bool, g: &Globals) -> Result<u8, CliError> {
    let agent = open_agent(g)?;
    // The text is for the person, in their language; the JSON as stored.
    let outcome = if json {
        agent.check_in()
    } else {
        agent.check_in_localised(g.locale)
    }
    .map_err(CliError::Agent)?;
    if json {
        print_json(&outcome);
    } else {
        print!("{}", render::check_in_text(&outcome, g.locale));
    }
    Ok(exit_code(effective(&outcome)))
}

/// `flush`.
pub fn flush(json: bool, g: &Globals) -> Result<u8, CliError> {
    let agent = open_agent(g)?;
    let outcome = agent.flush().map_err(CliError::Agent)?;
    if json {
        print_json(&outcome);
    } else {
        print!("{}", render::flush_text(&outcome, g.locale));
    }
    Ok(if outcome.error.is_some() {
        EXIT_ERROR
    } else {
        EXIT_OK
    })
}

/// `status`.
pub fn status(json: bool, g: &Globals) -> Result<u8, CliError> {
    let agent = open_agent_to_read(g)?;
    let status = if json {
        agent.status()
    } else {
        agent.status_localised(g.locale)
    }
    .map_err(CliError::Agent)?;
    if json {
        print_json(&status);
    } else {
        print!("{}", render::status_text(&status, g.locale));
    }
    Ok(EXIT_OK)
}

/// `compliance-token`: the collector's unexpired attestation result on
/// stdout (nothing else, so it can be piped to a gateway), or why there is
/// none on stderr with exit code 2.
pub fn compliance_token(json: bool, g: &Globals) -> Result<u8, CliError> {
    let agent = open_agent_to_read(g)?;
    let token = agent.compliance_token().map_err(CliError::Agent)?;
    if json {
        print_json(&token);
    }
    match token {
        ComplianceToken::Available { token, .. } => {
            if !json {
                println!("{token}");
            }
            Ok(EXIT_OK)
        }
        ComplianceToken::Unavailable { reason } => {
            eprintln!("no compliance token: {reason}");
            Ok(EXIT_ERROR)
        }
    }
}

/// `preview`: the exact claims a check-in would sign, pretty-printed.
pub fn preview(g: &Globals) -> Result<u8, CliError> {
    let agent = open_agent_to_read(g)?;
    let preview = agent.preview_report().map_err(CliError::Agent)?;
    print_json(&preview.claims);
    Ok(EXIT_OK)
}

/// `unenrol`.
pub fn unenrol(json: bool, g: &Globals) -> Result<u8, CliError> {
    let agent = open_agent(g)?;
    let outcome = agent.unenrol().map_err(CliError::Agent)?;
    // The core keeps an emptied state for an app that enrols again in the
    // same run; the command is done with it, so every file goes.
    let dir = state_dir(&g.state_dir)?;
    drop(agent);
    agent_core::state::State::destroy(&dir).map_err(|e| CliError::Agent(AgentError::State(e)))?;
    if json {
        print_json(&outcome);
    } else if outcome.server_notified {
        println!(
            "Unenrolled: the collector removed this device; the device key and local state are deleted."
        );
    } else {
        println!(
            "Unenrolled locally: the device key and local state are deleted. The collector was not told ({}); ask your organisation to remove the device.",
            outcome.server_error.as_deref().unwrap_or("unknown reason")
        );
    }
    Ok(EXIT_OK)
}

/// `run`: check in on the interval, retry queued reports in between,
/// stop cleanly on SIGINT or SIGTERM.
pub fn run(args: &RunArgs, g: &Globals) -> Result<u8, CliError> {
    let agent = open_agent(g)?;
    let (tx, stop) = std::sync::mpsc::channel::<()>();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .map_err(|e| CliError::Usage(format!("cannot install the signal handler: {e}")))?;
    let mut done = 0u64;
    loop {
        match agent.check_in() {
            Ok(outcome) => {
                done += 1;
                tracing::info!(jti = %outcome.jti, delivered = outcome.delivery.delivered, queued = outcome.status.queued_reports, "checked in");
                print!("{}", render::check_in_text(&outcome, g.locale));
            }
            Err(AgentError::NotEnrolled) => return Err(CliError::Agent(AgentError::NotEnrolled)),
            Err(e) => {
                tracing::error!(error = %e, "check-in failed; trying again at the next interval")
            }
        }
        if args.max_check_ins.is_some_and(|max| done >= max) {
            return Ok(EXIT_OK);
        }
        let interval = args
            .interval
            .or_else(|| {
                agent
                    .status()
                    .ok()
                    .and_then(|s| s.checkin_interval_secs)
                    .map(u64::from)
            })
            .unwrap_or(3600)
            .max(1);
        let next = std::time::Instant::now() + Duration::from_secs(interval);
        // Wait for the next check-in, retrying queued reports meanwhile;
        // a signal ends the wait at once.
        loop {
            let now = std::time::Instant::now();
            if now >= next {
                break;
            }
            let wait = (next - now).min(Duration::from_secs(args.retry_every.max(1)));
            match stop.recv_timeout(wait) {
                Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    println!(
                        "Stopping: {} still queued.",
                        render::count(queued(&agent), "report", "reports")
                    );
                    return Ok(EXIT_OK);
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if queued(&agent) > 0
                        && let Err(e) = agent.flush_due()
                    {
                        tracing::warn!(error = %e, "retrying queued reports failed");
                    }
                }
            }
        }
    }
}

fn queued(agent: &Agent) -> u64 {
    agent
        .status()
        .map(|s: Status| s.queued_reports)
        .unwrap_or(0)
}
