//! Check-in throughput of the reference collector over loopback HTTP.
//!
//! N devices enrol once; then each keeps one keep-alive connection and
//! loops: sign a report with its key and the nonce from its last ack, POST
//! it, read the ack. Prints verified check-ins per second, p50/p99 latency,
//! and the CPU time the server's threads spent per check-in (client
//! signing runs on the same cores and counts against the total).
//!
//! `cargo bench -p posture-collector --bench throughput`; set
//! `BENCH_DEVICES` (default 1000) and `BENCH_SECS` (default 10), and
//! `BENCH_POSTGRES_URL` to measure the PostgreSQL store (an empty database,
//! e.g. the one `scripts/with-postgres` names) instead of SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use agent_core::keys::{DeviceSigner, SoftwareSigner};
use agent_core::protocol::{EnrolResponse, Nonce, ReportAck, content_types, paths};
use agent_core::token::{Claims, sign};
use agent_core::transport::{HttpRequest, HttpTransport, Transport, TransportConfig};
use agent_core::{Policy, Posture, evaluate};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use posture_collector::{CollectorConfig, spawn_local};
use time::OffsetDateTime;

const POSTURE: &str = r#"{
  "schema_version": 1, "platform": "android",
  "os": {
    "id": {"status": "observed", "value": "android", "source": "Build.VERSION"},
    "name": {"status": "observed", "value": "Android", "source": "Build.VERSION"},
    "version": {"status": "observed", "value": "15", "source": "Build.VERSION.RELEASE"},
    "build": {"status": "observed", "value": "AP4A.250205.002", "source": "Build.ID"},
    "kernel": {"status": "unknown", "reason": "not read on Android"}
  },
  "security_patch": {"status": "observed", "value": "2026-11-05", "source": "Build.VERSION.SECURITY_PATCH"},
  "storage_encryption": {"status": "observed", "value": {"state": "encrypted", "method": "file-based"}, "source": "DevicePolicyManager"},
  "screen_lock": {"status": "observed", "value": "set", "source": "KeyguardManager.isDeviceSecure"},
  "developer_mode": {"status": "observed", "value": false, "source": "Settings.Global.DEVELOPMENT_SETTINGS_ENABLED"},
  "usb_debugging": {"status": "observed", "value": false, "source": "Settings.Global.ADB_ENABLED"},
  "integrity": [{"name": "su binary on PATH", "kind": "heuristic", "tripped": {"status": "observed", "value": false, "source": "filesystem"}}],
  "hardware_key_store": {"status": "observed", "value": "strong_box", "source": "KeyInfo.getSecurityLevel"},
  "secure_boot": {"status": "unknown", "reason": "not exposed to apps"},
  "tpm": {"status": "unknown", "reason": "not applicable on Android"},
  "agent_version": "0.1.0",
  "collected_at": "2026-11-20T09:29:58Z"
}"#;

struct Device {
    signer: SoftwareSigner,
    id: agent_core::protocol::DeviceId,
    nonce: Nonce,
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time (user + system) of this process's threads whose name starts
/// with `prefix`, from /proc (Linux); `None` elsewhere.
fn thread_cpu(prefix: &str) -> Option<Duration> {
    let ticks_per_sec = 100.0; // USER_HZ on Linux
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path();
        let comm = std::fs::read_to_string(path.join("comm")).ok()?;
        if !comm.trim_end().starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).ok()?;
        let after = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = after.split(' ').collect();
        // Fields 14 and 15 of stat; after "pid (comm) " they are 11 and 12.
        total += fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    }
    Some(Duration::from_secs_f64(total as f64 / ticks_per_sec))
}

fn main() {
    let devices = env_or("BENCH_DEVICES", 1000) as usize;
    let secs = env_or("BENCH_SECS", 10);
    let dir = tempfile::tempdir().unwrap();
    let postgres = std::env::var("BENCH_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .map(|u| posture_collector::PostgresUrl::parse(&u).unwrap());
    println!(
        "store: {}",
        postgres
            .as_ref()
            .map_or_else(|| "SQLite".to_owned(), |u| u.to_string())
    );
    let config = CollectorConfig {
        db_path: Some(dir.path().join("bench.sqlite3")),
        postgres,
        ..CollectorConfig::default()
    };
    let running = spawn_local(config).unwrap();
    let url = running.url().to_owned();
    let addr = url.trim_start_matches("http://").to_owned();

    // Enrol every device once (not measured).
    let t = Instant::now();
    let http = HttpTransport::new(TransportConfig::default()).unwrap();
    let mut fleet = Vec::with_capacity(devices);
    while fleet.len() < devices {
        let n = (devices - fleet.len()).min(100) as u32;
        for code in running.collector().issue_codes(n, None).unwrap() {
            let signer = SoftwareSigner::ephemeral().unwrap();
            let body = serde_json::json!({
                "code": code.code.expose(), "jwk": signer.public_jwk().unwrap(),
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
            fleet.push(Device {
                signer,
                id: e.device_id.clone(),
                nonce: e.nonce,
            });
        }
    }
    drop(http);
    println!("enrolled {devices} devices in {:.1?}", t.elapsed());

    let posture = Posture::from_json(POSTURE).unwrap();
    let policy = Policy::default_policy();
    let before = running.collector().report_count().unwrap();
    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bench-client")
        .enable_all()
        .build()
        .unwrap();
    let server_cpu_before = thread_cpu("collector");
    let writer_cpu_before = thread_cpu("collector-write");
    let client_cpu_before = thread_cpu("bench-client");
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let latencies: Vec<u32> = client.block_on(async {
        let mut tasks = Vec::with_capacity(devices);
        for mut device in fleet {
            let (addr, posture, policy, stop) =
                (addr.clone(), posture.clone(), policy.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let (mut sender, conn) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream))
                        .await
                        .unwrap();
                tokio::spawn(conn);
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let now = OffsetDateTime::now_utc();
                    let verdict = evaluate(&posture, &policy, now);
                    let claims = Claims::new(
                        device.nonce.clone(),
                        &device.id,
                        posture.clone(),
                        verdict,
                        now,
                    )
                    .unwrap();
                    let token = sign(&claims, &device.signer).unwrap();
                    let request = hyper::Request::post(paths::REPORTS)
                        .header("host", addr.as_str())
                        .header("content-type", content_types::EAT_JWT)
                        .body(Full::new(Bytes::from(token)))
                        .unwrap();
                    let response = sender.send_request(request).await.unwrap();
                    assert_eq!(response.status(), 201);
                    let body = response.into_body().collect().await.unwrap().to_bytes();
                    let ack: ReportAck = serde_json::from_slice(&body).unwrap();
                    device.nonce = ack.nonce;
                    latencies.push(t.elapsed().as_micros() as u32);
                }
                latencies
            }));
        }
        tokio::time::sleep(Duration::from_secs(secs)).await;
        stop.store(true, Ordering::Relaxed);
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        all
    });
    let elapsed = started.elapsed();
    let server_cpu = thread_cpu("collector")
        .zip(server_cpu_before)
        .map(|(a, b)| a - b);
    let writer_cpu = thread_cpu("collector-write")
        .zip(writer_cpu_before)
        .map(|(a, b)| a - b);
    let client_cpu = thread_cpu("bench-client")
        .zip(client_cpu_before)
        .map(|(a, b)| a - b);
    drop(client);

    let mut sorted = latencies;
    sorted.sort_unstable();
    let n = sorted.len();
    let pct = |p: f64| sorted[((n as f64 * p) as usize).min(n - 1)] as f64 / 1000.0;
    let stored = running.collector().report_count().unwrap() - before;
    println!(
        "{n} check-ins by {devices} devices in {elapsed:.1?}: {:.0} verified check-ins/s",
        n as f64 / elapsed.as_secs_f64()
    );
    println!("latency p50 {:.2} ms, p99 {:.2} ms", pct(0.50), pct(0.99));
    println!("stored {stored} reports (each acknowledged only after its commit)");
    if let (Some(s), Some(w), Some(c)) = (server_cpu, writer_cpu, client_cpu) {
        let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
        println!(
            "CPU per check-in: server {:.0} µs, of which the SQLite writer thread {:.0} µs; client {:.0} µs (sign, HTTP, parse)",
            per(s),
            per(w),
            per(c)
        );
    }
}
