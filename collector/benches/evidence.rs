//! How long the audit evidence takes to compute (`GET /v1/evidence`'s
//! work) over a store of backdated reports.
//!
//! N devices enrol over loopback HTTP and each posts K reports spread over
//! the last 28 days (signed at their own `iat`, stored as historical, as an
//! outbox delivers them); then the evidence for those 28 days is computed
//! a few times through `Collector::evidence`, and the time per computation
//! and the reports read per second are printed.
//!
//! `cargo bench -p posture-collector --bench evidence`; set
//! `BENCH_DEVICES` (default 500) and `BENCH_REPORTS` (per device, default
//! 20). Run by `cargo test --all-targets`, it uses 20 devices × 4 reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use agent_core::keys::{DeviceSigner, SoftwareSigner};
use agent_core::protocol::{DeviceId, EnrolResponse, Nonce, content_types, paths};
use agent_core::token::{Claims, sign};
use agent_core::transport::{HttpRequest, HttpTransport, Transport, TransportConfig};
use agent_core::{Policy, Posture, evaluate};
use posture_collector::evidence::Period;
use posture_collector::{CollectorConfig, spawn_local};
use time::{Duration, OffsetDateTime};

const POSTURE: &str = r#"{
  "schema_version": 1, "platform": "android",
  "os": {
    "id": {"status": "observed", "value": "android", "source": "t"},
    "name": {"status": "observed", "value": "Android", "source": "t"},
    "version": {"status": "observed", "value": "15", "source": "t"},
    "build": {"status": "unknown", "reason": "t"},
    "kernel": {"status": "unknown", "reason": "t"}
  },
  "security_patch": {"status": "observed", "value": "PATCH", "source": "t"},
  "storage_encryption": {"status": "observed", "value": {"state": "encrypted", "method": "file-based"}, "source": "t"},
  "screen_lock": {"status": "observed", "value": "LOCK", "source": "t"},
  "developer_mode": {"status": "observed", "value": false, "source": "t"},
  "usb_debugging": {"status": "observed", "value": false, "source": "t"},
  "integrity": [],
  "hardware_key_store": {"status": "unknown", "reason": "t"},
  "secure_boot": {"status": "unknown", "reason": "t"},
  "tpm": {"status": "unknown", "reason": "t"},
  "agent_version": "0.1.0",
  "collected_at": "2026-11-20T09:29:58Z"
}"#;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` (CI) runs
    // this too, without it: then a small store, as a smoke test.
    let benching = std::env::args().any(|a| a == "--bench");
    let (devices, reports) = if benching { (500, 20) } else { (20, 4) };
    let devices = env_or("BENCH_DEVICES", devices) as usize;
    let reports = env_or("BENCH_REPORTS", reports) as i64;
    let dir = tempfile::tempdir().unwrap();
    let running = spawn_local(CollectorConfig {
        db_path: Some(dir.path().join("bench.sqlite3")),
        ..CollectorConfig::default()
    })
    .unwrap();
    let url = running.url().to_owned();
    let policy = Policy::default_policy();
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let t = Instant::now();
    let workers = 4;
    std::thread::scope(|s| {
        for w in 0..workers {
            let (url, policy, running) = (&url, &policy, &running);
            s.spawn(move || {
                let http = HttpTransport::new(TransportConfig::default()).unwrap();
                for i in (0..devices).filter(|i| i % workers == w) {
                    let code = running.collector().issue_codes(1, None).unwrap();
                    let signer = SoftwareSigner::ephemeral().unwrap();
                    let body = serde_json::json!({
                        "code": code[0].code.expose(), "jwk": signer.public_jwk().unwrap(),
                        "platform": "android", "agent_version": "0.1.0"
                    });
                    let r = http
                        .send(HttpRequest::post(
                            format!("{url}{}", paths::ENROL),
                            content_types::JSON,
                            serde_json::to_vec(&body).unwrap(),
                        ))
                        .unwrap();
                    assert_eq!(r.status, 201, "{r:?}");
                    let e: EnrolResponse = serde_json::from_slice(&r.body).unwrap();
                    let (id, nonce): (DeviceId, Nonce) = (e.device_id, e.nonce);
                    for k in 0..reports {
                        // Spread over 28 days, oldest first; every fifth
                        // device loses its lock for a while.
                        let at = now - Duration::minutes(28 * 24 * 60 * (reports - k) / reports);
                        let patch = (at - Duration::days(7)).date().to_string();
                        let lock = if i % 5 == 0 && k % 4 == 1 {
                            "not_set"
                        } else {
                            "set"
                        };
                        let json = POSTURE.replace("PATCH", &patch).replace("LOCK", lock);
                        let posture = Posture::from_json(&json).unwrap();
                        let verdict = evaluate(&posture, policy, at);
                        let claims = Claims::new(nonce.clone(), &id, posture, verdict, at).unwrap();
                        let token = sign(&claims, &signer).unwrap();
                        let r = http
                            .send(HttpRequest::post(
                                format!("{url}{}", paths::REPORTS),
                                content_types::EAT_JWT,
                                token.into_bytes(),
                            ))
                            .unwrap();
                        assert!(r.is_success(), "{r:?}");
                    }
                }
            });
        }
    });
    let stored = running.collector().report_count().unwrap();
    println!(
        "stored {stored} reports of {devices} devices in {:.1?} (not measured)",
        t.elapsed()
    );
    let period = Period::new(now.date() - Duration::days(28), now.date()).unwrap();
    let mut best = f64::MAX;
    for run in 0..3 {
        let t = Instant::now();
        let report = running.collector().evidence(&period).unwrap();
        let secs = t.elapsed().as_secs_f64();
        best = best.min(secs);
        println!(
            "run {run}: {:.1} ms, {} devices, {} weeks, {} exceptions",
            secs * 1000.0,
            report.period.devices,
            report.weeks.len(),
            report.exceptions_total
        );
    }
    println!(
        "evidence over {stored} reports: best {:.1} ms ({:.0} reports/s)",
        best * 1000.0,
        stored as f64 / best
    );
}
