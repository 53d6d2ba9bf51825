//! What a fleet run measured: latencies, errors by kind, verdict checks,
//! and the summary printed at the end (text or JSON).

use std::collections::BTreeMap;
use std::time::Duration;

use agent_core::agent::{AgentError, ClientError};
use agent_core::policy::Compliance;
use serde::Serialize;

use super::failover::ServerSummary;

/// How many examples of a kind of problem the summary lists.
pub const EXAMPLES: usize = 5;

/// The value at percentile `p` (0 to 100) of ascending `sorted` values,
/// by nearest rank: the smallest value with at least p% of values at or
/// below it. None for no values.
pub fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    // Nearest rank is ceil(p/100 * n), 1-based; p = 0 is the minimum.
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    sorted.get(rank.clamp(1, n) - 1).copied()
}

/// A short, stable label for an agent error, for "errors by kind".
pub fn error_kind(e: &AgentError) -> String {
    match e {
        AgentError::Collector { source, .. } => client_error_kind(source),
        AgentError::NotEnrolled => "not-enrolled".into(),
        AgentError::AlreadyEnrolled { .. } => "already-enrolled".into(),
        AgentError::InvalidInput(_) | AgentError::QuietHours(_) => "invalid-input".into(),
        AgentError::State(_) | AgentError::CorruptState(_) => "local-state".into(),
        AgentError::Key(_)
        | AgentError::Store(_)
        | AgentError::KeyMissing { .. }
        | AgentError::KeyMismatch { .. } => "device-key".into(),
        AgentError::Sign(_) => "signing".into(),
        AgentError::Transport(_) | AgentError::NoTransport => "transport-setup".into(),
        AgentError::Internal(_) => "internal".into(),
    }
}

/// The short name an error of the client is counted under.
pub fn client_error_kind(e: &ClientError) -> String {
    use agent_core::transport::TransportError as T;
    match e {
        ClientError::Transport(t) => match t {
            T::Connect { .. } => "connect",
            T::Timeout { .. } => "timeout",
            T::Io { .. } => "connection-io",
            T::Tls { .. } | T::PinMismatch { .. } => "tls",
            T::TooLarge { .. } => "response-too-large",
            T::Redirect { .. } => "redirect",
            T::InvalidUrl(_) | T::InsecureUrl { .. } | T::Config(_) => "transport-config",
            T::Other(_) => "transport",
        }
        .into(),
        ClientError::Problem { problem, .. } => match problem.kind() {
            Some(kind) => kind.slug().into(),
            None => format!("http-{}", problem.status),
        },
        ClientError::BadResponse { status, .. } => format!("bad-response-{status}"),
    }
}

/// What one worker thread saw; merged at the end of a phase.
#[derive(Debug, Default)]
pub struct Recorder {
    /// Microseconds per attempt.
    pub latencies_us: Vec<u32>,
    /// Attempts that succeeded.
    pub ok: u64,
    /// Reports the collectors acknowledged (each leaves its outbox once).
    pub acknowledged: u64,
    /// Failures by kind.
    pub errors: BTreeMap<String, ErrorCount>,
}

/// How often one kind of error happened, with its first message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErrorCount {
    /// How many times.
    pub count: u64,
    /// The first message seen.
    pub example: String,
}

impl Recorder {
    /// Records an attempt's latency.
    pub fn time(&mut self, took: Duration) {
        self.latencies_us
            .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
    }

    /// Records a failure of `kind`.
    pub fn error(&mut self, kind: String, message: impl FnOnce() -> String) {
        let entry = self.errors.entry(kind).or_default();
        if entry.count == 0 {
            entry.example = message();
        }
        entry.count += 1;
    }

    /// Adds another worker's records.
    pub fn merge(&mut self, other: Recorder) {
        self.latencies_us.extend(other.latencies_us);
        self.ok += other.ok;
        self.acknowledged += other.acknowledged;
        for (kind, e) in other.errors {
            let entry = self.errors.entry(kind).or_default();
            if entry.count == 0 {
                entry.example = e.example;
            }
            entry.count += e.count;
        }
    }

    /// The error count over all kinds.
    pub fn error_count(&self) -> u64 {
        self.errors.values().map(|e| e.count).sum()
    }

    /// The phase's figures, over `elapsed`.
    pub fn phase(&mut self, elapsed: Duration) -> Phase {
        self.latencies_us.sort_unstable();
        let ms = |p: f64| percentile(&self.latencies_us, p).map(|us| f64::from(us) / 1000.0);
        let secs = elapsed.as_secs_f64();
        Phase {
            attempts: self.latencies_us.len() as u64,
            ok: self.ok,
            errors: self.error_count(),
            seconds: secs,
            ok_per_second: if secs > 0.0 {
                self.ok as f64 / secs
            } else {
                0.0
            },
            latency_ms: Latency {
                p50: ms(50.0),
                p95: ms(95.0),
                p99: ms(99.0),
                max: ms(100.0),
            },
        }
    }
}

/// Figures of one phase (enrolment or check-ins).
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    /// Calls made.
    pub attempts: u64,
    /// Calls that succeeded.
    pub ok: u64,
    /// Calls that failed.
    pub errors: u64,
    /// Wall-clock length of the phase.
    pub seconds: f64,
    /// Successful calls per second of wall clock.
    pub ok_per_second: f64,
    /// End-to-end latency of one call, milliseconds.
    pub latency_ms: Latency,
}

/// Latency percentiles, milliseconds (None without calls).
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Slowest.
    pub max: Option<f64>,
}

/// Devices per compliance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Compliant.
    pub compliant: u64,
    /// Warning.
    pub warning: u64,
    /// Non-compliant.
    pub non_compliant: u64,
}

impl Counts {
    /// Counts one more device of `c`.
    pub fn add(&mut self, c: Compliance) {
        match c {
            Compliance::Compliant => self.compliant += 1,
            Compliance::Warning => self.warning += 1,
            Compliance::NonCompliant => self.non_compliant += 1,
        }
    }
}

/// A device whose verdict was not its profile's `expected`.
#[derive(Debug, Clone, Serialize)]
pub struct Mismatch {
    /// The collector's device id (or the device's index before enrolment).
    pub device: String,
    /// Its profile's file name.
    pub profile: String,
    /// What the profile expects.
    pub expected: Compliance,
    /// What was seen ("none" when nothing was).
    pub got: String,
}

/// The last server verdict of every device against its profile.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verdicts {
    /// What the profiles expect, over the enrolled devices.
    pub expected: Counts,
    /// The collector's last verdict per device, as the devices saw it.
    pub seen: Counts,
    /// Devices whose last verdict differs from (or lacks) the expected one.
    pub mismatches: u64,
    /// The first few of them.
    pub examples: Vec<Mismatch>,
}

/// The collector's `GET /v1/fleet` against the profiles.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FleetCheck {
    /// Devices the collector knows (this run's and any others).
    pub total: u64,
    /// This run's devices by the collector's status.
    pub ours: Counts,
    /// This run's devices the collector calls stale.
    pub ours_stale: u64,
    /// This run's devices the collector lists differently from their profile.
    pub mismatches: u64,
    /// The first few of them.
    pub examples: Vec<Mismatch>,
}

/// Everything a run reports.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The collector.
    pub server: String,
    /// Virtual devices asked for.
    pub devices: u32,
    /// Devices that enrolled.
    pub enrolled: u64,
    /// Distinct profiles used.
    pub profiles: usize,
    /// Worker threads.
    pub concurrency: u32,
    /// Enrolment figures.
    pub enrol: Phase,
    /// Check-in figures.
    pub check_in: Phase,
    /// Failures by kind over both phases.
    pub errors: BTreeMap<String, ErrorCount>,
    /// Verdicts against the profiles.
    pub verdicts: Verdicts,
    /// The collector's fleet summary against the profiles (needs the admin token).
    pub fleet: Option<FleetCheck>,
    /// Why the fleet summary was not checked, when it was not.
    pub fleet_note: Option<String>,
    /// Each collector's share, when the run had several `--server` URLs.
    pub servers: Vec<ServerSummary>,
    /// Reports the collectors acknowledged over the run, the final flush
    /// included: what their databases should hold from this run.
    pub acknowledged: u64,
    /// Of those, reports acknowledged by the final flush of the outboxes
    /// (left queued by a failed check-in).
    pub redelivered: u64,
    /// Reports still in the devices' outboxes at the end.
    pub still_queued: u64,
    /// Whether the run passed: no errors, no mismatches.
    pub passed: bool,
}

fn fmt_ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |ms| format!("{ms:.1} ms"))
}

fn fmt_phase(name: &str, p: &Phase) -> String {
    let l = &p.latency_ms;
    format!(
        "{name:<10} {} ok, {} errors in {:.2} s: {:.0}/s; latency p50 {}, p95 {}, p99 {}, max {}\n",
        p.ok,
        p.errors,
        p.seconds,
        p.ok_per_second,
        fmt_ms(l.p50),
        fmt_ms(l.p95),
        fmt_ms(l.p99),
        fmt_ms(l.max)
    )
}

fn fmt_counts(c: &Counts) -> String {
    format!(
        "{} compliant, {} warning, {} non-compliant",
        c.compliant, c.warning, c.non_compliant
    )
}

impl Summary {
    /// The summary for people.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "fleet simulation against {}: {} devices ({} enrolled) over {} profiles, {} workers\n",
            self.server, self.devices, self.enrolled, self.profiles, self.concurrency
        );
        out += &fmt_phase("enrol", &self.enrol);
        out += &fmt_phase("check-ins", &self.check_in);
        if self.servers.len() > 1 {
            for s in &self.servers {
                out += &format!(
                    "server     {}: {} devices started here, {} answers, {} refused, {} broken, {} failovers away\n",
                    s.url, s.devices, s.answered, s.refused, s.broken, s.failed_over
                );
            }
        }
        out += &format!(
            "reports    {} acknowledged ({} by the final flush), {} still queued\n",
            self.acknowledged, self.redelivered, self.still_queued
        );
        if self.errors.is_empty() {
            out += "errors     none\n";
        }
        for (kind, e) in &self.errors {
            out += &format!("error      {kind}: {} (e.g. {})\n", e.count, e.example);
        }
        let v = &self.verdicts;
        out += &format!("expected   {}\n", fmt_counts(&v.expected));
        out += &format!(
            "verdicts   {} ({} mismatches)\n",
            fmt_counts(&v.seen),
            v.mismatches
        );
        let show = |out: &mut String, m: &Mismatch| {
            *out += &format!(
                "  mismatch {} ({}): expected {:?}, got {}\n",
                m.device, m.profile, m.expected, m.got
            );
        };
        v.examples.iter().for_each(|m| show(&mut out, m));
        match (&self.fleet, &self.fleet_note) {
            (Some(f), _) => {
                out += &format!(
                    "collector  {} devices; this run's: {}, {} stale ({} mismatches)\n",
                    f.total,
                    fmt_counts(&f.ours),
                    f.ours_stale,
                    f.mismatches
                );
                f.examples.iter().for_each(|m| show(&mut out, m));
            }
            (None, Some(note)) => out += &format!("collector  not checked: {note}\n"),
            (None, None) => {}
        }
        out += if self.passed {
            "result     PASS: no errors, every verdict as expected\n"
        } else {
            "result     FAIL\n"
        };
        out
    }
}
