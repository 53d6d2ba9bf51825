//! The collector (`posture-agent serve`) killed with SIGKILL at random
//! points while agents post reports, again and again, on one database:
//! after each restart the database opens, every report an agent saw
//! acknowledged is stored exactly once, and re-posting the reports that were
//! not acknowledged succeeds (the collector is idempotent on `jti`).
//! (Unix only: it needs SIGKILL.)
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent_core::agent::{Agent, AgentConfig, KeySource};
use agent_core::keys::SoftwareSigner;
use agent_core::protocol::{ExportRecord, ReportAck, paths};
use agent_core::state::OutboxLimits;
use agent_core::transport::{
    HttpRequest, HttpResponse, HttpTransport, Transport, TransportConfig, TransportError,
};

const AGENTS: usize = 4;
const ADMIN_TOKEN: &str = "crash-soak-admin-token-0123456789";

/// Kills; CI uses the default (12), `POSTURE_COLLECTOR_KILLS` raises it.
fn kills() -> usize {
    std::env::var("POSTURE_COLLECTOR_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The built-in transport, noting the `jti` of every ack an agent received.
struct Recording {
    inner: HttpTransport,
    acked: Mutex<Vec<String>>,
}

impl Transport for Recording {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let is_report = request.url.ends_with(paths::REPORTS);
        let response = self.inner.send(request)?;
        if is_report
            && response.is_success()
            && let Ok(ack) = serde_json::from_slice::<ReportAck>(&response.body)
        {
            self.acked.lock().unwrap().push(ack.jti.as_str().to_owned());
        }
        Ok(response)
    }
}

/// `posture-agent serve` on `port` over `db`, once it listens and printed
/// the `codes` enrolment codes it was asked for.
fn serve(db: &Path, port: u16, codes: u32) -> (Child, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_posture-agent"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--issue-codes", &codes.to_string(), "--db"])
        .arg(db)
        .env("POSTURE_COLLECTOR_ADMIN_TOKEN", ADMIN_TOKEN)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(
        first.starts_with("collector listening on "),
        "the collector did not start on its database: {first}"
    );
    let mut issued = Vec::new();
    while issued.len() < codes as usize {
        let line = lines.next().unwrap().unwrap();
        if let Some(c) = line.strip_prefix("enrolment code: ") {
            issued.push(c.split_whitespace().next().unwrap().to_owned());
        }
    }
    // Keep reading so the collector never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, issued)
}

fn export(url: &str) -> Vec<ExportRecord> {
    let t = HttpTransport::new(TransportConfig {
        max_response_bytes: 64 << 20,
        ..TransportConfig::default()
    })
    .unwrap();
    let r = t
        .send(
            HttpRequest::get(format!("{url}/v1/reports/export"))
                .with_header("authorization", &format!("Bearer {ADMIN_TOKEN}")),
        )
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    String::from_utf8(r.body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn sigkill(mut child: Child) {
    child.kill().unwrap();
    assert_eq!(child.wait().unwrap().code(), None, "not killed");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn sigkill_of_the_collector_mid_commit_loses_and_duplicates_no_acknowledged_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.sqlite3");
    // One port for every restart (the collector binds with SO_REUSEADDR),
    // so the agents keep their enrolment's URL.
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");

    let (first, codes) = serve(&db, port, AGENTS as u32);
    let probe: Arc<dyn agent_core::PostureProbe> =
        Arc::from(agent_core::probe::local_probe().unwrap());
    let transport = Arc::new(Recording {
        inner: HttpTransport::new(TransportConfig {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            ..TransportConfig::default()
        })
        .unwrap(),
        acked: Mutex::new(Vec::new()),
    });
    let agents: Vec<Agent> = codes
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let a = Agent::open(AgentConfig {
                state_dir: dir.path().join(format!("agent-{i}")),
                probe: probe.clone(),
                keys: KeySource::Device(Arc::new(SoftwareSigner::ephemeral().unwrap())),
                transport: Some(transport.clone()),
                extra_ca_pem: None,
                outbox_limits: OutboxLimits::default(),
            })
            .unwrap();
            a.enrol(&url, code).unwrap();
            a
        })
        .collect();
    sigkill(first);

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = Rng(seed);
    let window = Duration::from_millis(300);
    println!("seed {seed}, kill window {window:?} after the collector is up");

    let stop = AtomicBool::new(false);
    let made = Mutex::new(Vec::new());
    let check_ins = AtomicU64::new(0);
    let started = Instant::now();
    let n = kills();
    let mut before_final = Vec::new();
    std::thread::scope(|s| {
        for a in &agents {
            let (stop, made, check_ins) = (&stop, &made, &check_ins);
            s.spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let out = a.check_in().unwrap();
                    assert_eq!(out.delivery.rejected, vec![], "a report was refused");
                    made.lock().unwrap().push(out.jti);
                    check_ins.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        for _ in 0..n {
            let (child, _) = serve(&db, port, 0);
            std::thread::sleep(Duration::from_micros(
                rng.next() % window.as_micros() as u64,
            ));
            sigkill(child);
        }
        // Up for good.
        before_final.push(serve(&db, port, 0).0);
        stop.store(true, Ordering::SeqCst);
    });
    let collector = before_final.pop().unwrap();

    // Every acknowledged report is stored, each once, before any re-post.
    let acked: Vec<String> = transport.acked.lock().unwrap().clone();
    let acked_set: HashSet<&str> = acked.iter().map(String::as_str).collect();
    let records = export(&url);
    let stored_before = records.len();
    let stored: HashSet<&str> = records.iter().map(|r| r.jti.as_str()).collect();
    assert_eq!(stored.len(), records.len(), "a report was stored twice");
    let lost: Vec<&&str> = acked_set.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged and then lost: {lost:?}");

    // Re-posting what was not acknowledged succeeds; then all is stored once.
    let queued: u64 = agents
        .iter()
        .map(|a| a.status().unwrap().queued_reports)
        .sum();
    for a in &agents {
        // A flush sends at most 100 reports, and stops at a failure (a
        // request slower than the timeout on a busy machine): repeat.
        for round in 0.. {
            let out = a.flush().unwrap();
            assert_eq!(out.rejected, vec![], "a re-posted report was refused");
            if out.still_queued == 0 {
                break;
            }
            assert!(round < 100, "the outbox does not drain: {out:?}");
        }
    }
    let made = made.into_inner().unwrap();
    let records = export(&url);
    let stored: HashSet<&str> = records.iter().map(|r| r.jti.as_str()).collect();
    let made_set: HashSet<&str> = made.iter().map(String::as_str).collect();
    assert_eq!(stored.len(), records.len(), "a report was stored twice");
    assert_eq!(stored, made_set, "reports lost or invented");
    sigkill(collector);

    println!(
        "{n} collector kills in {:.1?}: {} check-ins, {} reports acknowledged, {stored_before} \
         stored before the re-post ({} of them stored but never acknowledged), {queued} re-posted, \
         {} stored in the end, 0 duplicates",
        started.elapsed(),
        check_ins.load(Ordering::Relaxed),
        acked_set.len(),
        stored_before - acked_set.len(),
        records.len(),
    );
}
