//! The run: make the devices, enrol them all, check them in until the
//! count or the time is up, then compare what the collector says with what
//! the profiles expect.
//!
//! The core agent's API blocks, so devices run on a fixed pool of OS
//! threads (`--concurrency`); each worker owns a disjoint set of devices,
//! so no two requests ever wait on the same agent's lock, and a latency is
//! one check-in's, not a queue's.
//!
//! With `--no-outbox` the devices enrol as agents but check in directly
//! (sign, send, take the next nonce from the acknowledgement): the
//! collector's work per check-in is the same, the simulator's is a
//! fraction of an agent's, which is what throughput figures need.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use agent_core::agent::{Agent, AgentConfig, Client, KeySource};
use agent_core::keys::{DeviceSigner, SoftwareSigner};
use agent_core::policy::Compliance;
use agent_core::protocol::{DeviceId, DeviceStatus, Freshness, Nonce};
use agent_core::state::OutboxLimits;
use agent_core::token::{self, Claims};
use agent_core::transport::{HttpTransport, Transport, TransportConfig};
use agent_core::{Posture, Verdict};

use super::admin::{self, Admin};
use super::failover::Servers;
use super::profiles::{self, FleetProbe, NamedProfile};
use super::progress::{self, Counters, Goal};
use super::stats::{
    EXAMPLES, FleetCheck, Mismatch, Recorder, Summary, Verdicts, client_error_kind, error_kind,
};
use super::{Length, SimulateArgs};
use crate::commands::CliError;
use crate::{EXIT_ERROR, EXIT_NON_COMPLIANT, EXIT_OK};

/// A fleet summary lists every device: allow far more than a device answer.
const ADMIN_MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// One enrolled virtual device.
struct Device {
    agent: Agent,
    profile: Arc<NamedProfile>,
    device_id: String,
    /// The collector's verdict on its last acknowledged report.
    last: Option<Compliance>,
    /// With `--no-outbox`: what the device checks in with directly.
    direct: Option<Direct>,
}

/// A device that checks in without its agent: the report's contents as
/// of enrolment, its key, and the nonce to answer next.
struct Direct {
    client: Client,
    signer: Arc<dyn DeviceSigner>,
    device_id: DeviceId,
    posture: Posture,
    verdict: Verdict,
    nonce: Nonce,
}

/// Runs `fleet simulate` and prints its summary; 0 only when it passed.
pub fn simulate(
    args: &SimulateArgs,
    length: Length,
    ca_pem: Option<Vec<u8>>,
) -> Result<u8, CliError> {
    let summary = match run(args, length, ca_pem) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(EXIT_ERROR);
        }
    };
    if args.json {
        let json = serde_json::to_string_pretty(&summary)
            .map_err(|e| CliError::Usage(format!("cannot encode the summary: {e}")))?;
        println!("{json}");
    } else {
        print!("{}", summary.to_text());
    }
    Ok(if summary.passed {
        EXIT_OK
    } else {
        EXIT_NON_COMPLIANT
    })
}

/// Deletes the run's folder on the way out unless asked to keep it.
struct RunDir {
    path: PathBuf,
    keep: bool,
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if self.keep {
            eprintln!("device state kept in {}", self.path.display());
        } else if let Err(e) = std::fs::remove_dir_all(&self.path) {
            eprintln!("warning: could not remove {}: {e}", self.path.display());
        }
    }
}

fn run(args: &SimulateArgs, length: Length, ca_pem: Option<Vec<u8>>) -> Result<Summary, String> {
    let profiles = match &args.profiles {
        Some(dir) => profiles::from_dir(dir)?,
        None => profiles::shipped()?,
    };
    let transport = |max_response_bytes| -> Result<Arc<dyn Transport>, String> {
        let config = TransportConfig {
            extra_ca_pem: ca_pem.clone(),
            max_response_bytes,
            ..TransportConfig::default()
        };
        Ok(Arc::new(
            HttpTransport::new(config).map_err(|e| e.to_string())?,
        ))
    };
    // One transport for every device: its pool reuses connections, which
    // is what a collector sees from a real fleet behind few proxies and what
    // keeps the simulator from spending its time on handshakes.
    let shared = transport(TransportConfig::default().max_response_bytes)?;
    let servers = Servers::new(&args.server);
    let admin = match &args.admin_token {
        Some(token) => Some(Admin::new(
            servers.base(),
            token.expose(),
            Arc::new(servers.admin_transport(transport(ADMIN_MAX_RESPONSE_BYTES)?)),
        )),
        None => None,
    };
    let codes = match (&args.codes, &admin) {
        (Some(file), _) => admin::read_codes(file)?,
        (None, Some(admin)) => admin.issue_codes(args.devices)?,
        (None, None) => return Err("no way to get enrolment codes".into()),
    };
    if codes.len() < args.devices as usize {
        return Err(format!(
            "{} enrolment codes for {} devices; give one code per device",
            codes.len(),
            args.devices
        ));
    }
    let parent = args.work_dir.clone().unwrap_or_else(std::env::temp_dir);
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let run_dir = RunDir {
        path: parent.join(format!("posture-fleet-{}-{stamp}", std::process::id())),
        keep: args.keep_state,
    };
    std::fs::create_dir_all(&run_dir.path)
        .map_err(|e| format!("cannot create {}: {e}", run_dir.path.display()))?;

    let stop = Arc::new(AtomicBool::new(false));
    let on_signal = stop.clone();
    // Another handler may already be installed (tests); then Ctrl-C just
    // ends the process, and the bounded run is still safe.
    let _ = ctrlc::set_handler(move || on_signal.store(true, Ordering::Release));

    let workers = super::concurrency(args).min(args.devices) as usize;
    let plan = EnrolPlan {
        servers: &servers,
        run_dir: &run_dir.path,
        profiles: &profiles,
        codes: &codes,
        transport: &shared,
        devices: args.devices as usize,
        no_outbox: args.no_outbox,
    };
    let (devices, mut enrol) = enrol_all(&plan, workers, &stop);
    let enrol_phase = enrol.0.phase(enrol.1);
    let (devices, mut checks) = check_in_all(devices, workers, length, &stop);
    let check_phase = checks.0.phase(checks.1);
    // What a failed check-in left queued goes now, as an agent's next
    // round would send it; not timed (these are not check-ins).
    let (redelivered, still_queued) = flush_all(&devices, &mut checks.0);
    let acknowledged = checks.0.acknowledged;
    let verdicts = compare_verdicts(&devices);
    let (fleet, fleet_note) = match &admin {
        Some(admin) => match admin.fleet() {
            Ok(summary) => (Some(compare_fleet(&devices, &summary)), None),
            Err(e) => {
                enrol.0.error("fleet-summary".into(), || e.clone());
                (None, Some(e))
            }
        },
        None => (
            None,
            Some("no --admin-token, so the fleet summary was not read".into()),
        ),
    };
    let mut errors = enrol.0;
    errors.merge(std::mem::take(&mut checks.0));
    let passed = errors.error_count() == 0
        && still_queued == 0
        && verdicts.mismatches == 0
        && fleet.as_ref().is_none_or(|f| f.mismatches == 0)
        && !stop.load(Ordering::Acquire);
    // Close every agent (and its database) before the folder goes.
    let enrolled = devices.len() as u64;
    drop(devices);
    drop(run_dir);
    Ok(Summary {
        server: servers.base().to_owned(),
        devices: args.devices,
        enrolled,
        profiles: profiles.len(),
        concurrency: workers as u32,
        enrol: enrol_phase,
        check_in: check_phase,
        errors: errors.errors,
        verdicts,
        fleet,
        fleet_note,
        servers: if args.server.len() > 1 {
            servers.summary()
        } else {
            Vec::new()
        },
        acknowledged,
        redelivered,
        still_queued,
        passed,
    })
}

struct EnrolPlan<'a> {
    servers: &'a Arc<Servers>,
    run_dir: &'a std::path::Path,
    profiles: &'a [Arc<NamedProfile>],
    codes: &'a [String],
    transport: &'a Arc<dyn Transport>,
    devices: usize,
    no_outbox: bool,
}

impl EnrolPlan<'_> {
    /// Opens device `i` (its state, key and probe); not timed.
    fn open(&self, i: usize) -> Result<Opened, String> {
        let profile = self.profiles[i % self.profiles.len()].clone();
        let signer: Arc<dyn DeviceSigner> =
            Arc::new(SoftwareSigner::ephemeral().map_err(|e| e.to_string())?);
        let transport: Arc<dyn Transport> =
            Arc::new(self.servers.transport_for(i, self.transport.clone()));
        let agent = Agent::open(AgentConfig {
            state_dir: self.run_dir.join(format!("device-{i:05}")),
            probe: Arc::new(FleetProbe(profile.clone())),
            keys: KeySource::Device(signer.clone()),
            transport: Some(transport.clone()),
            extra_ca_pem: None,
            outbox_limits: OutboxLimits::default(),
        })
        .map_err(|e| e.to_string())?;
        Ok(Opened {
            agent,
            profile,
            signer,
            transport,
        })
    }
}

/// A device opened, not yet enrolled.
struct Opened {
    agent: Agent,
    profile: Arc<NamedProfile>,
    signer: Arc<dyn DeviceSigner>,
    transport: Arc<dyn Transport>,
}

/// Enrols every device; returns those that enrolled, in index order.
fn enrol_all(
    plan: &EnrolPlan<'_>,
    workers: usize,
    stop: &AtomicBool,
) -> (Vec<Device>, (Recorder, Duration)) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let counters = Counters::default();
    let finished = AtomicBool::new(false);
    let started = Instant::now();
    let (mut devices, recorder) = std::thread::scope(|s| {
        let reporter = s.spawn(|| {
            progress::report(
                "enrol",
                Goal::Calls(plan.devices as u64),
                &counters,
                &finished,
            );
        });
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut rec = Recorder::default();
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= plan.devices || stop.load(Ordering::Relaxed) {
                            break;
                        }
                        match enrol_one(plan, i, &mut rec) {
                            Some(d) => {
                                rec.ok += 1;
                                mine.push((i, d));
                            }
                            None => {
                                counters.errors.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        counters.done.fetch_add(1, Ordering::Relaxed);
                    }
                    (mine, rec)
                })
            })
            .collect();
        let mut all = Vec::with_capacity(plan.devices);
        let mut recorder = Recorder::default();
        for h in handles {
            match h.join() {
                Ok((mine, rec)) => {
                    all.extend(mine);
                    recorder.merge(rec);
                }
                Err(_) => recorder.error("worker-panicked".into(), || "an enrol worker".into()),
            }
        }
        finished.store(true, Ordering::Release);
        let _ = reporter.join();
        (all, recorder)
    });
    let elapsed = started.elapsed();
    devices.sort_by_key(|(i, _)| *i);
    (
        devices.into_iter().map(|(_, d)| d).collect(),
        (recorder, elapsed),
    )
}

fn enrol_one(plan: &EnrolPlan<'_>, i: usize, rec: &mut Recorder) -> Option<Device> {
    let Opened {
        agent,
        profile,
        signer,
        transport,
    } = match plan.open(i) {
        Ok(opened) => opened,
        Err(e) => {
            rec.error("open-device".into(), || e);
            return None;
        }
    };
    let started = Instant::now();
    let result = agent.enrol(plan.servers.base(), &plan.codes[i]);
    rec.time(started.elapsed());
    let status = match result {
        Ok(status) => status,
        Err(e) => {
            rec.error(error_kind(&e), || e.to_string());
            return None;
        }
    };
    let direct = if plan.no_outbox {
        // The report the agent would send now: its posture, its verdict
        // under the enrolment's policy, the enrolment's nonce.
        match agent.preview_report() {
            Ok(preview) => Some(Direct {
                client: Client::new(plan.servers.base(), transport),
                signer,
                device_id: preview.claims.sub,
                posture: preview.claims.posture,
                verdict: preview.claims.verdict,
                nonce: preview.claims.eat_nonce,
            }),
            Err(e) => {
                rec.error(error_kind(&e), || e.to_string());
                return None;
            }
        }
    } else {
        None
    };
    Some(Device {
        agent,
        profile,
        device_id: status.device_id.map(String::from).unwrap_or_default(),
        last: None,
        direct,
    })
}

/// Checks every device in until `length` is reached.
fn check_in_all(
    devices: Vec<Device>,
    workers: usize,
    length: Length,
    stop: &AtomicBool,
) -> (Vec<Device>, (Recorder, Duration)) {
    let workers = workers.min(devices.len()).max(1);
    let mut shares: Vec<Vec<Device>> = (0..workers).map(|_| Vec::new()).collect();
    for (i, d) in devices.into_iter().enumerate() {
        shares[i % workers].push(d);
    }
    let total: usize = shares.iter().map(Vec::len).sum();
    let goal = match length {
        Length::CheckIns(k) => Goal::Calls(total as u64 * u64::from(k)),
        Length::Duration(d) => Goal::Time(d),
    };
    let counters = Counters::default();
    let finished = AtomicBool::new(false);
    let started = Instant::now();
    let deadline = match length {
        Length::Duration(d) => Some(started + d),
        Length::CheckIns(_) => None,
    };
    let rounds = match length {
        Length::CheckIns(k) => k,
        Length::Duration(_) => u32::MAX,
    };
    let (devices, recorder) = std::thread::scope(|s| {
        let reporter = s.spawn(|| progress::report("check-ins", goal, &counters, &finished));
        let handles: Vec<_> = shares
            .into_iter()
            .map(|mut share| {
                let counters = &counters;
                s.spawn(move || {
                    let mut rec = Recorder::default();
                    'rounds: for _ in 0..rounds {
                        for device in &mut share {
                            if stop.load(Ordering::Relaxed)
                                || deadline.is_some_and(|d| Instant::now() >= d)
                            {
                                break 'rounds;
                            }
                            if !check_in_one(device, &mut rec) {
                                counters.errors.fetch_add(1, Ordering::Relaxed);
                            }
                            counters.done.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    (share, rec)
                })
            })
            .collect();
        let mut all = Vec::with_capacity(total);
        let mut recorder = Recorder::default();
        for h in handles {
            match h.join() {
                Ok((share, rec)) => {
                    all.extend(share);
                    recorder.merge(rec);
                }
                Err(_) => recorder.error("worker-panicked".into(), || "a check-in worker".into()),
            }
        }
        finished.store(true, Ordering::Release);
        let _ = reporter.join();
        (all, recorder)
    });
    (devices, (recorder, started.elapsed()))
}

/// One check-in, timed end to end; true when it was acknowledged as current.
fn check_in_one(device: &mut Device, rec: &mut Recorder) -> bool {
    if let Some(direct) = &mut device.direct {
        return check_in_direct(direct, &mut device.last, rec);
    }
    let started = Instant::now();
    let result = device.agent.check_in();
    rec.time(started.elapsed());
    let outcome = match result {
        Ok(o) => o,
        Err(e) => {
            rec.error(error_kind(&e), || e.to_string());
            return false;
        }
    };
    let delivery = &outcome.delivery;
    rec.acknowledged += u64::from(delivery.delivered);
    if let Some(reason) = &delivery.error {
        rec.error("delivery".into(), || reason.clone());
        return false;
    }
    if let Some(r) = delivery.rejected.first() {
        rec.error("rejected".into(), || r.reason.clone());
        return false;
    }
    let Some(server) = &outcome.status.verdicts.server else {
        rec.error("no-server-verdict".into(), || {
            "the collector acknowledged nothing".into()
        });
        return false;
    };
    device.last = Some(server.verdict.compliance);
    if server.freshness != Freshness::Current || !outcome.fresh_nonce {
        // A historical report would leave the device stale in the fleet.
        rec.error("not-current".into(), || {
            "the report did not count as current compliance".into()
        });
        return false;
    }
    rec.ok += 1;
    true
}

/// One check-in without the agent: sign a report answering the nonce the
/// last acknowledgement gave, send it, check the acknowledgement as the
/// agent would (this report, counted as current), keep the next nonce.
fn check_in_direct(d: &mut Direct, last: &mut Option<Compliance>, rec: &mut Recorder) -> bool {
    let started = Instant::now();
    let result = direct_report(d);
    rec.time(started.elapsed());
    let ack = match result {
        Ok(ack) => ack,
        Err((kind, detail)) => {
            rec.error(kind, || detail);
            return false;
        }
    };
    rec.acknowledged += 1;
    *last = Some(ack.verdict.compliance);
    d.nonce = ack.nonce;
    if ack.freshness != Freshness::Current {
        rec.error("not-current".into(), || {
            "the report did not count as current compliance".into()
        });
        return false;
    }
    rec.ok += 1;
    true
}

/// Signs and sends one report; the acknowledgement, or an error's kind
/// and text.
fn direct_report(d: &Direct) -> Result<agent_core::protocol::ReportAck, (String, String)> {
    let now = time::OffsetDateTime::now_utc();
    let claims = Claims::new(
        d.nonce.clone(),
        &d.device_id,
        d.posture.clone(),
        d.verdict.clone(),
        now,
    )
    .map_err(|e| ("device-key".to_owned(), e.to_string()))?;
    let report = token::sign(&claims, d.signer.as_ref())
        .map_err(|e| ("signing".to_owned(), e.to_string()))?;
    let ack = d
        .client
        .report(&report)
        .map_err(|e| (client_error_kind(&e), e.to_string()))?;
    if ack.jti != claims.jti {
        return Err((
            "delivery".into(),
            format!(
                "the acknowledgement names report {}, not {}",
                ack.jti, claims.jti
            ),
        ));
    }
    Ok(ack)
}

/// Flushes every device's outbox once; returns the reports acknowledged
/// and those still queued. Errors are recorded like a check-in's.
fn flush_all(devices: &[Device], rec: &mut Recorder) -> (u64, u64) {
    let (mut delivered, mut queued) = (0u64, 0u64);
    for d in devices {
        match d.agent.status() {
            Ok(s) if s.queued_reports == 0 => continue,
            Ok(_) => {}
            Err(e) => {
                rec.error(error_kind(&e), || e.to_string());
                continue;
            }
        }
        match d.agent.flush() {
            Ok(outcome) => {
                delivered += u64::from(outcome.delivered);
                queued += outcome.still_queued;
                if let Some(reason) = outcome.error {
                    rec.error("final-flush".into(), || reason);
                }
            }
            Err(e) => rec.error(error_kind(&e), || e.to_string()),
        }
    }
    rec.acknowledged += delivered;
    (delivered, queued)
}

fn compare_verdicts(devices: &[Device]) -> Verdicts {
    let mut v = Verdicts::default();
    for d in devices {
        let expected = d.profile.expected();
        v.expected.add(expected);
        if let Some(got) = d.last {
            v.seen.add(got);
        }
        if d.last != Some(expected) {
            v.mismatches += 1;
            if v.examples.len() < EXAMPLES {
                v.examples.push(mismatch(d, d.last.map(compliance_name)));
            }
        }
    }
    v
}

fn compare_fleet(devices: &[Device], summary: &agent_core::protocol::FleetSummary) -> FleetCheck {
    let listed: HashMap<&str, DeviceStatus> = summary
        .devices
        .iter()
        .map(|d| (d.device_id.as_str(), d.status))
        .collect();
    let mut check = FleetCheck {
        total: summary.total,
        ..FleetCheck::default()
    };
    for d in devices {
        let status = listed.get(d.device_id.as_str()).copied();
        match status {
            Some(DeviceStatus::Compliant) => check.ours.add(Compliance::Compliant),
            Some(DeviceStatus::Warning) => check.ours.add(Compliance::Warning),
            Some(DeviceStatus::NonCompliant) => check.ours.add(Compliance::NonCompliant),
            Some(DeviceStatus::Stale) => check.ours_stale += 1,
            None => {}
        }
        let expected = d.profile.expected();
        if status != Some(device_status(expected)) {
            check.mismatches += 1;
            if check.examples.len() < EXAMPLES {
                let got = status.map(|s| format!("{s:?} in the fleet summary"));
                check.examples.push(mismatch(d, got));
            }
        }
    }
    check
}

fn device_status(c: Compliance) -> DeviceStatus {
    match c {
        Compliance::Compliant => DeviceStatus::Compliant,
        Compliance::Warning => DeviceStatus::Warning,
        Compliance::NonCompliant => DeviceStatus::NonCompliant,
    }
}

fn compliance_name(c: Compliance) -> String {
    format!("{c:?}")
}

fn mismatch(d: &Device, got: Option<String>) -> Mismatch {
    Mismatch {
        device: d.device_id.clone(),
        profile: d.profile.file.clone(),
        expected: d.profile.expected(),
        got: got.unwrap_or_else(|| "none".into()),
    }
}
