//! `posture-agent serve --events`: security events leave the collector as
//! OCSF JSON lines; a bad output stops it before it serves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use agent_core::protocol::paths;
use agent_core::transport::{HttpRequest, HttpTransport, Transport, TransportConfig};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_posture-agent"))
}

#[cfg(unix)]
#[test]
fn serve_writes_an_enrolment_event_to_a_jsonl_file() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    let mut child = bin()
        .args(["serve", "--listen", "127.0.0.1:0", "--issue-codes", "1"])
        .arg("--events")
        .arg(format!("jsonl:{}", events.display()))
        .arg("--db")
        .arg(dir.path().join("c.sqlite3"))
        .env_remove("POSTURE_COLLECTOR_HEC_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut url = None;
    let code = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(u) = line.strip_prefix("collector listening on ") {
            url = Some(u.to_owned());
        } else if let Some(rest) = line.strip_prefix("enrolment code: ") {
            break rest.split(' ').next().unwrap().to_owned();
        }
    };
    let jwk = serde_json::json!({
        "kty": "EC", "crv": "P-256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
    });
    let body = serde_json::json!({
        "code": code, "jwk": jwk, "platform": "linux", "agent_version": "0.1.0"
    });
    let http = HttpTransport::new(TransportConfig::default()).unwrap();
    let r = http
        .send(HttpRequest::post(
            format!("{}{}", url.unwrap(), paths::ENROL),
            "application/json",
            serde_json::to_vec(&body).unwrap(),
        ))
        .unwrap();
    assert_eq!(r.status, 201, "{r:?}");
    let enrolled: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    // SIGTERM: the collector stops after its outputs drained.
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let text = std::fs::read_to_string(&events).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    let e = &lines[0];
    assert_eq!(e["class_uid"], 5001);
    assert_eq!(e["unmapped"]["lifecycle"], "enrolled");
    assert_eq!(e["device"]["uid"], enrolled["device_id"]);
    assert_eq!(e["device"]["os"]["name"], "Linux");
}

#[test]
fn serve_refuses_a_bad_events_output_before_serving() {
    for (spec, needle) in [
        ("syslog+udp://127.0.0.1:514", "unknown scheme"),
        ("syslog+tcp://127.0.0.1", "HOST:PORT"),
        (
            "syslog+tcp://siem.example:514",
            "use syslog+tls://HOST:PORT",
        ),
        ("splunk-hec://127.0.0.1:8088", "POSTURE_COLLECTOR_HEC_TOKEN"),
    ] {
        let out = bin()
            .args(["serve", "--listen", "127.0.0.1:0", "--events", spec])
            .args(["--db", "unused.sqlite3"])
            .env_remove("POSTURE_COLLECTOR_HEC_TOKEN")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{spec}: {stderr}");
        assert!(stderr.contains(needle), "{spec}: {stderr}");
    }
}

#[test]
fn serve_refuses_a_webhook_without_a_good_secret_or_over_plain_http() {
    for (secret, url, needle) in [
        (
            None,
            "https://hooks.example/p",
            "POSTURE_COLLECTOR_WEBHOOK_SECRET",
        ),
        (Some("not-a-secret"), "https://hooks.example/p", "whsec_"),
        (
            Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            "http://hooks.example/p",
            "--webhook http://hooks.example/p",
        ),
        (
            Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            "SIEM hooks=https://hooks.example/p",
            "a webhook name is 1 to 64",
        ),
        (
            Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            "siem=http://hooks.example/p?token=t",
            "--webhook http://hooks.example/p:",
        ),
    ] {
        let mut cmd = bin();
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--webhook", url])
            .args(["--db", "unused.sqlite3"])
            .env_remove("POSTURE_COLLECTOR_WEBHOOK_SECRET");
        if let Some(s) = secret {
            cmd.env("POSTURE_COLLECTOR_WEBHOOK_SECRET", s);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{url}: {stderr}");
        assert!(stderr.contains(needle), "{url}: {stderr}");
        // The secret is never echoed back.
        assert!(!stderr.contains("MfKQ9r8"), "{stderr}");
    }
}
