//! `posture-agent fleet simulate`: many virtual devices against a collector.
//!
//! Each virtual device is a real [`agent_core::agent::Agent`] with its own
//! state directory and in-memory key, reading its posture from a device
//! profile; all of them share one HTTP transport so connections are reused.
//! The run is bounded in devices and time and, unless told otherwise, goes
//! only to loopback: a load test belongs on your own test collector.

pub(crate) mod admin;
mod failover;
mod profiles;
mod progress;
mod sim;
mod stats;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::commands::CliError;

/// Most virtual devices in one run.
pub const MAX_DEVICES: u32 = 10_000;
/// Longest check-in phase.
pub const MAX_DURATION_SECS: u64 = 600;
/// Most worker threads.
pub const MAX_CONCURRENCY: u32 = 1_024;

/// `fleet` subcommands.
#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Enrol N virtual devices and check them in concurrently; report
    /// throughput, latency, errors and verdicts against the profiles.
    #[command(after_help = SIMULATE_HELP)]
    Simulate(SimulateArgs),
}

const SIMULATE_HELP: &str = "\
With several --server URLs (collectors on one database), device i starts on
server i mod n; a refused connection is retried on the next server, a
broken one moves the device on for its next request, and after the
check-ins every device's outbox is flushed, so each report is acknowledged
once. The summary shows each server's share.

Exit codes:
  0  every enrolment and check-in succeeded and every verdict was as expected
  1  errors, or verdicts that differ from the profiles' `expected`
  2  the run could not start (bad arguments, unreachable collector)

Only loopback collectors are targeted unless --allow-remote is given: a
load test should reach only a collector you run for testing.";

/// Arguments of `fleet simulate`.
#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// The collector's base URL (https://, or plain http to loopback).
    /// Several collectors on one database: repeat it or separate the URLs
    /// with commas; devices start on them in turn and move to the next
    /// when theirs refuses or breaks a connection.
    #[arg(long, value_name = "URL", value_delimiter = ',', required = true)]
    pub server: Vec<String>,
    /// How many virtual devices (1 to 10,000).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub devices: u32,
    /// A folder of device profiles (*.toml), used round-robin; default:
    /// the profiles shipped with posture-agent.
    #[arg(long, value_name = "DIR")]
    pub profiles: Option<PathBuf>,
    /// Worker threads, i.e. requests in flight at once; default: four per
    /// CPU core (more only queues for the cores and lengthens latency).
    #[arg(long, value_name = "C")]
    pub concurrency: Option<u32>,
    /// How long to keep checking in, in seconds (at most 600).
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 10,
        conflicts_with = "check_ins"
    )]
    pub duration: u64,
    /// Instead of --duration: exactly this many check-ins per device.
    #[arg(long, value_name = "K")]
    pub check_ins: Option<u32>,
    /// The collector's admin token, to issue enrolment codes and read the
    /// fleet summary.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "POSTURE_COLLECTOR_ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<crate::secret::Secret>,
    /// Enrolment codes, one per line, instead of issuing them with the admin token.
    #[arg(long, value_name = "FILE")]
    pub codes: Option<PathBuf>,
    /// Where to make the run's state directories (default: the system temp folder).
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
    /// Keep the devices' state directories after the run.
    #[arg(long)]
    pub keep_state: bool,
    /// Allow a collector that is not on loopback (only your own test collector).
    #[arg(long)]
    pub allow_remote: bool,
    /// Check in without the agents' outboxes, for throughput figures: each
    /// device signs its report from the posture and local verdict it had
    /// at enrolment and sends it straight, taking the next nonce from the
    /// acknowledgement. The collector does all its usual work, the load
    /// generator a fraction of an agent's (no durable state per check-in),
    /// so one core of load can keep a collector core busy. A failed
    /// check-in is an error, not redelivered; one --server only.
    #[arg(long)]
    pub no_outbox: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// The CA to trust for the collector.
    #[command(flatten)]
    pub ca: crate::cli::CaArg,
}

/// How long the check-in phase runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// Until this much time has passed.
    Duration(Duration),
    /// Exactly this many check-ins per device.
    CheckIns(u32),
}

/// Checks the bounds of a run; the message says which limit and why.
pub fn validate(args: &SimulateArgs) -> Result<Length, String> {
    if !(1..=MAX_DEVICES).contains(&args.devices) {
        return Err(format!(
            "--devices must be 1 to {MAX_DEVICES} (got {})",
            args.devices
        ));
    }
    if let Some(c) = args
        .concurrency
        .filter(|c| !(1..=MAX_CONCURRENCY).contains(c))
    {
        return Err(format!(
            "--concurrency must be 1 to {MAX_CONCURRENCY} (got {c})"
        ));
    }
    let length = match args.check_ins {
        Some(0) => return Err("--check-ins must be at least 1".into()),
        Some(k) if k > 10_000 => return Err("--check-ins must be at most 10000".into()),
        Some(k) => Length::CheckIns(k),
        None if !(1..=MAX_DURATION_SECS).contains(&args.duration) => {
            return Err(format!(
                "--duration must be 1 to {MAX_DURATION_SECS} seconds (got {})",
                args.duration
            ));
        }
        None => Length::Duration(Duration::from_secs(args.duration)),
    };
    if args.admin_token.is_none() && args.codes.is_none() {
        return Err(
            "give --admin-token (or POSTURE_COLLECTOR_ADMIN_TOKEN) to issue enrolment codes, or --codes FILE"
                .into(),
        );
    }
    if args.server.is_empty() {
        return Err("give at least one --server URL".into());
    }
    if args.no_outbox && args.server.len() > 1 {
        return Err(
            "--no-outbox takes one --server: failing over needs the outbox to redeliver".into(),
        );
    }
    for server in &args.server {
        let host = host_of(server)?;
        if !args.allow_remote && !is_loopback_host(&host) {
            return Err(format!(
                "{host} is not a loopback address: a fleet simulation is a load test and should reach \
                 only a collector you run for testing; pass --allow-remote if {host} is one"
            ));
        }
    }
    Ok(length)
}

/// The host of an http(s) URL, without brackets.
fn host_of(server: &str) -> Result<String, String> {
    let url = url_parts(server).ok_or_else(|| {
        format!("--server {server:?} is not an http:// or https:// URL with a host")
    })?;
    Ok(url)
}

fn url_parts(server: &str) -> Option<String> {
    let rest = server
        .strip_prefix("https://")
        .or_else(|| server.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Whether a host names this machine: 127.0.0.0/8, ::1 or localhost.
fn is_loopback_host(host: &str) -> bool {
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The worker count: `--concurrency`, or four per core. Measured on two
/// cores, 8 workers gave the most check-ins/s and the lowest p99; 64 or 256
/// gave no more throughput and several times the latency.
pub fn concurrency(args: &SimulateArgs) -> u32 {
    args.concurrency.unwrap_or_else(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        u32::try_from(cores * 4).map_or(MAX_CONCURRENCY, |c| c.min(MAX_CONCURRENCY))
    })
}

/// Runs `fleet simulate`; `ca` is the `--ca` in force (a PEM file to trust).
pub fn simulate(args: &SimulateArgs, ca: Option<&Path>) -> Result<u8, CliError> {
    let length = validate(args).map_err(CliError::Usage)?;
    let ca_pem = match ca {
        Some(path) => Some(
            crate::files::read_bytes(path, crate::files::MAX_PEM_BYTES, "a CA certificate")
                .map_err(CliError::File)?,
        ),
        None => None,
    };
    sim::simulate(args, length, ca_pem)
}

#[cfg(test)]
mod tests;
