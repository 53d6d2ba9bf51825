//! The agent killed with SIGKILL at random points of `check-in` and
//! `flush`, again and again, against the real collector: afterwards no
//! acknowledged report is lost and none is stored twice, and the state
//! still opens. (Unix only: it needs SIGKILL.)
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use agent_core::protocol::ExportRecord;
use agent_core::transport::{HttpRequest, HttpTransport, Transport, TransportConfig};
use posture_collector::{CollectorConfig, spawn_local};

/// Iterations; CI uses the default (60), `POSTURE_CRASH_ITERATIONS` raises it.
fn iterations() -> usize {
    std::env::var("POSTURE_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60)
}

fn agent(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_posture-agent"));
    c.args(["--state-dir", dir.to_str().unwrap(), "--key-store", "file"])
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    agent(dir, args).output().unwrap()
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

#[test]
fn sigkill_during_check_in_and_flush_loses_and_duplicates_nothing() {
    let collector = spawn_local(CollectorConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let code = collector.collector().issue_codes(1, None).unwrap()[0]
        .code
        .expose()
        .to_owned();
    let out = run(
        &state,
        &["enrol", "--server", collector.url(), "--code", &code],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // How long an undisturbed check-in takes: kill points spread over it.
    let t = Instant::now();
    let first = run(&state, &["check-in", "--json"]);
    assert_ne!(
        first.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let span = t.elapsed().as_micros().max(1_000) as u64 * 5 / 4;

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("seed {seed}, kill window {span} µs");
    let started = Instant::now();
    let mut rng = Rng(seed);
    let mut completed_jtis: Vec<String> = Vec::new();
    let v: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    completed_jtis.push(v["jti"].as_str().unwrap().to_owned());
    let (mut killed, mut finished) = (0, 0);
    for i in 0..iterations() {
        let flush = rng.next().is_multiple_of(3);
        let args: &[&str] = if flush {
            &["flush", "--json"]
        } else {
            &["check-in", "--json"]
        };
        let mut child = agent(&state, args).spawn().unwrap();
        std::thread::sleep(Duration::from_micros(rng.next() % span));
        let was_running = child.try_wait().unwrap().is_none();
        if was_running {
            child.kill().unwrap(); // SIGKILL
        }
        let out = child.wait_with_output().unwrap();
        if out.status.code().is_none() {
            killed += 1;
            continue;
        }
        finished += 1;
        let stderr = String::from_utf8_lossy(&out.stderr);
        // check-in exits 0/1/3 by verdict; 2 would be an error (e.g. damaged state).
        assert_ne!(
            out.status.code(),
            Some(2),
            "iteration {i} ({args:?}) failed: {stderr}"
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let delivery = if flush { &v } else { &v["delivery"] };
        assert_eq!(
            delivery["rejected"],
            serde_json::json!([]),
            "a report was refused: {v}"
        );
        if !flush {
            completed_jtis.push(v["jti"].as_str().unwrap().to_owned());
        }
    }
    println!(
        "{} agent runs in {:.1?}: {killed} killed by SIGKILL, {finished} finished",
        iterations(),
        started.elapsed()
    );
    assert!(killed > 0, "no run was killed: the kill window is wrong");

    // Deliver whatever the kills left queued.
    let out = run(&state, &["flush", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status: serde_json::Value =
        serde_json::from_slice(&run(&state, &["status", "--json"]).stdout).unwrap();
    assert_eq!(status["queued_reports"], 0, "{status}");
    assert_eq!(status["evicted_reports"], 0, "{status}");

    // The collector's reports: each once, and every report a finished
    // check-in made is among them.
    let transport = HttpTransport::new(TransportConfig {
        max_response_bytes: 64 << 20,
        ..TransportConfig::default()
    })
    .unwrap();
    let export = transport
        .send(
            HttpRequest::get(format!("{}/v1/reports/export", collector.url())).with_header(
                "authorization",
                &format!("Bearer {}", collector.admin_token()),
            ),
        )
        .unwrap();
    assert_eq!(export.status, 200);
    let records: Vec<ExportRecord> = String::from_utf8(export.body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let stored: HashSet<String> = records.iter().map(|r| r.jti.as_str().to_owned()).collect();
    assert_eq!(stored.len(), records.len(), "a report was stored twice");
    assert_eq!(
        collector.collector().report_count().unwrap() as usize,
        records.len()
    );
    for jti in &completed_jtis {
        assert!(stored.contains(jti), "report {jti} was made and then lost");
    }
    assert!(records.len() >= completed_jtis.len());
    println!(
        "{} reports stored, 0 duplicates, none of the {} finished check-ins' reports lost, outbox empty",
        records.len(),
        completed_jtis.len()
    );
}
