//! The privacy promise on a real chain with ID attestation (a Pixel 8a
//! attesting its IMEIs, brand, model...): verified and stored, and none of
//! those values in the database files or the logs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use agent_core::Platform;
use agent_core::keys::{DeviceSigner, SoftwareSigner};
use agent_core::protocol::{AttestedSecurityLevel, Provenance};
use agent_core::token::VerifyingKey;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use posture_attestation::Chain;
use serde_json::Value;
use time::OffsetDateTime;

use crate::codes::code_hash;
use crate::collector::{Collector, now};
use crate::config::CollectorConfig;
use crate::writer::EnrolCmd;

fn vector(ext: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../attestation/testdata/android-key-attestation")
        .join(format!("akita_sdk34_TEE_RSA_BASE+IMEI.{ext}"));
    std::fs::read_to_string(path).unwrap()
}

/// Google's decoding of the vector (`//` comment lines dropped).
fn expected() -> Value {
    let text: Vec<String> = vector("json")
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(str::to_owned)
        .collect();
    serde_json::from_str(&text.join("\n")).unwrap()
}

/// Every `attestationId*` value in the decoding, with its name.
fn id_values(v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match v.as_str() {
                    Some(s) if k.starts_with("attestationId") => {
                        out.push((k.clone(), s.to_owned()));
                    }
                    _ => id_values(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| id_values(i, out)),
        _ => {}
    }
}

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line of this test binary, from every thread (the writer's too).
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Capture(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        buf
    })
    .clone()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn id_attestation_values_reach_neither_the_database_nor_the_logs() {
    let logs = captured_logs();
    let expected = expected();
    let mut ids = Vec::new();
    id_values(&expected, &mut ids);
    let names: Vec<&str> = ids.iter().map(|(k, _)| k.as_str()).collect();
    assert!(names.contains(&"attestationIdImei"), "{names:?}");
    assert!(ids.len() >= 6, "{names:?}");
    let challenge = STANDARD
        .decode(expected["attestationChallenge"].as_str().unwrap())
        .unwrap();
    let created_ms: i128 = expected["softwareEnforced"]["creationDateTime"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let at = OffsetDateTime::from_unix_timestamp_nanos(created_ms * 1_000_000).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.sqlite3");
    let collector = Collector::open(CollectorConfig {
        db_path: Some(db.clone()),
        ..CollectorConfig::default()
    })
    .unwrap();
    let checker = &collector.inner.attestation;
    let pem = vector("pem");
    let chain = Chain::from_pem(&pem).unwrap();

    // Refused through the request path (its leaf is RSA, not a device's
    // JWK): the refusal is logged.
    let signer = SoftwareSigner::ephemeral().unwrap();
    let jwk = signer.public_jwk().unwrap();
    let b64: Vec<String> = chain
        .certificates()
        .iter()
        .map(|d| STANDARD.encode(d))
        .collect();
    let err = checker
        .check(Platform::Android, &b64, &challenge, &jwk, at)
        .unwrap_err();
    assert!(
        err.problem
            .detail
            .as_deref()
            .unwrap()
            .contains("enrolled key"),
        "{err:?}"
    );

    // Verified with its own challenge (no device key can match a capture),
    // then stored through the writer as an enrolment stores it.
    let attested = checker.verify(&chain, &challenge, None, at).unwrap();
    assert_eq!(attested.provenance, Provenance::Hardware);
    tracing::debug!("attested: {attested:?}");
    let issued = collector.issue_codes(1, None).unwrap();
    let cmd = EnrolCmd {
        code_hash: code_hash(issued[0].code.expose()),
        key: VerifyingKey::from_jwk(&jwk).unwrap(),
        jwk_json: serde_json::to_string(&jwk).unwrap(),
        platform: Platform::Android,
        agent_version: "0.1.0".into(),
        attested: Some(attested),
        app_attested: None,
        now: now(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert!(runtime.block_on(collector.inner.store.enrol(cmd)).is_ok());
    let fleet = collector.fleet_summary(None).unwrap();
    let row = &fleet.devices[0];
    assert_eq!(row.provenance, Some(Provenance::Hardware));
    let summary = row.key_attestation.as_ref().unwrap();
    assert_eq!(summary.security_level, AttestedSecurityLevel::Tee);
    assert!(summary.os_patch_level.is_some());

    let assert_clean = |bytes: &[u8], what: &str| {
        for (name, value) in &ids {
            assert!(
                !contains(bytes, value.as_bytes()),
                "{what} holds the value of {name}"
            );
        }
    };
    let files = |when: &str| {
        let mut seen = 0;
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let path = PathBuf::from(format!("{}{suffix}", db.display()));
            if let Ok(bytes) = std::fs::read(&path) {
                seen += 1;
                assert_clean(&bytes, &format!("{when}: the database file{suffix}"));
            }
        }
        seen
    };
    // While open (the WAL holds the new pages) and after closing.
    assert!(files("open") >= 2);
    drop(collector);
    assert!(files("closed") >= 1);

    let logs = logs.lock().unwrap().clone();
    let text = String::from_utf8_lossy(&logs);
    assert!(text.contains("enrolment refused"), "{text}");
    assert!(text.contains("key attestation verified"), "{text}");
    assert!(text.contains("attested: "), "{text}");
    assert_clean(&logs, "the logs");
}
