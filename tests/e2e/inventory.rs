//! The privacy inventory is complete: every key of every payload the agent
//! sends (enrolment, report claims with the posture, token headers,
//! challenge and unenrol requests), recorded from real agents talking to
//! the real collector over HTTP on loopback, is listed in
//! `agent_core::privacy::FIELDS`. A new field without an entry fails here.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_core::Platform;
use agent_core::agent::{Agent, AgentConfig, KeySource};
use agent_core::keys::store::MemoryStore;
use agent_core::keys::{DeviceSigner, KeyError, PublicJwk, SoftwareSigner};
use agent_core::posture::{
    AutoLock, Fact, HardwareKeyStore, IndicatorKind, IntegrityIndicator, Posture, ScreenLock,
    StorageEncryption, Tpm,
};
use agent_core::privacy::{FIELDS, Payload};
use agent_core::probe::PostureProbe;
use agent_core::protocol::AppAttestEvidence;
use agent_core::state::OutboxLimits;
use agent_core::transport::{
    HttpRequest, HttpResponse, HttpTransport, Transport, TransportConfig, TransportError,
};
use base64::Engine;
use posture_collector::{CollectorConfig, spawn_local};

/// Sends through the built-in HTTP transport and keeps a copy of each
/// request: the exact bytes that left the device.
struct Recording {
    inner: HttpTransport,
    sent: Mutex<Vec<HttpRequest>>,
}

impl Transport for Recording {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.lock().unwrap().push(request.clone());
        self.inner.send(request)
    }
}

/// A posture with every kind of value the schema has: observed and
/// unknown facts, an encryption method, an auto-lock time, a TPM version,
/// integrity indicators tripped, clean and unknown.
struct RichProbe;

impl PostureProbe for RichProbe {
    fn collect(&self) -> Posture {
        let mut p = Posture::unknown(Platform::Linux, "e2e", time::OffsetDateTime::now_utc());
        p.os.id = Fact::observed("debian".to_owned(), "/etc/os-release ID");
        p.os.id_like = vec!["debian".into()];
        p.os.version = Fact::observed("12".to_owned(), "/etc/os-release VERSION_ID");
        p.storage_encryption = Fact::observed(
            StorageEncryption::Encrypted {
                method: "LUKS2 (dm-crypt)".into(),
            },
            "lsblk",
        );
        p.screen_lock = Fact::observed(ScreenLock::Set, "gsettings");
        p.auto_lock = Fact::observed(AutoLock::After { seconds: 300 }, "gsettings");
        p.developer_mode = Fact::observed(false, "e2e");
        p.hardware_key_store = Fact::observed(HardwareKeyStore::Tpm, "/sys/class/tpm");
        p.secure_boot = Fact::observed(true, "efivars");
        p.tpm = Fact::observed(
            Tpm::Present {
                version: Some("2".into()),
            },
            "/sys/class/tpm/tpm0",
        );
        p.integrity = vec![
            IntegrityIndicator {
                name: "tainted_kernel".into(),
                kind: IndicatorKind::Heuristic,
                tripped: Fact::observed(true, "/proc/sys/kernel/tainted"),
            },
            IntegrityIndicator {
                name: "other".into(),
                kind: IndicatorKind::Heuristic,
                tripped: Fact::unknown("e2e"),
            },
        ];
        p
    }
}

/// A phone key with platform evidence: a key attestation chain and App
/// Attest evidence at enrolment, an App Attest assertion on each report.
/// The evidence is not genuine, so the collector may refuse the
/// enrolment; what matters here is what the agent sends.
struct EvidenceSigner(SoftwareSigner);

impl DeviceSigner for EvidenceSigner {
    fn public_jwk(&self) -> Result<PublicJwk, KeyError> {
        self.0.public_jwk()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.0.sign(message)
    }
    fn key_attestation(&self) -> Result<Vec<String>, KeyError> {
        Ok(vec!["MIIB".into()])
    }
    fn fresh_key_attestation(&self, _challenge: &[u8; 32]) -> Result<Vec<String>, KeyError> {
        Ok(vec!["MIIB".into()])
    }
    fn app_attest(&self, _hash: &[u8; 32]) -> Result<Option<AppAttestEvidence>, KeyError> {
        Ok(Some(AppAttestEvidence::new("a2V5", b"object")))
    }
    fn app_attest_assertion(&self, _hash: &[u8; 32]) -> Result<Option<Vec<u8>>, KeyError> {
        Ok(Some(b"assertion".to_vec()))
    }
}

fn agent(dir: &std::path::Path, keys: KeySource, transport: Arc<Recording>) -> Agent {
    Agent::open(AgentConfig {
        state_dir: dir.to_owned(),
        probe: Arc::new(RichProbe),
        keys,
        transport: Some(transport),
        extra_ca_pem: None,
        outbox_limits: OutboxLimits::default(),
    })
    .unwrap()
}

/// Every key path in `value`: `a.b` for members, `a[]` for array elements.
fn walk(value: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(path.clone());
                walk(v, &path, out);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                walk(v, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

fn jws_part(token: &str, i: usize) -> serde_json::Value {
    let part = token.split('.').nth(i).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The (payload, path) pairs of every recorded request.
fn sent_keys(requests: &[HttpRequest]) -> BTreeSet<(Payload, String)> {
    let mut out = BTreeSet::new();
    let mut add = |payload: Payload, v: &serde_json::Value| {
        let mut paths = BTreeSet::new();
        walk(v, "", &mut paths);
        out.extend(paths.into_iter().map(|p| (payload, p)));
    };
    for r in requests {
        let path = r
            .url
            .rsplit_once("/v1/")
            .map(|(_, p)| p)
            .unwrap_or_default();
        let body = std::str::from_utf8(&r.body).unwrap();
        match path {
            "enrol" => add(Payload::Enrol, &serde_json::from_str(body).unwrap()),
            "reports" => {
                add(Payload::TokenHeader, &jws_part(body, 0));
                add(Payload::Report, &jws_part(body, 1));
            }
            "challenge" | "unenrol" => {
                add(Payload::TokenHeader, &jws_part(body, 0));
                add(Payload::Request, &jws_part(body, 1));
            }
            other => panic!("the agent sent a request this test does not know: {other}"),
        }
    }
    out
}

/// Every path the inventory accounts for, with the objects above each.
fn listed() -> BTreeSet<(Payload, String)> {
    let mut out = BTreeSet::new();
    for f in FIELDS {
        for p in f.paths() {
            // "posture.os.version" also accounts for "posture" and
            // "posture.os", the objects it sits in.
            let mut prefix = String::new();
            for part in p.split('.') {
                if !prefix.is_empty() {
                    prefix.push('.');
                }
                prefix.push_str(part);
                out.insert((f.payload, prefix.trim_end_matches("[]").to_owned()));
                out.insert((f.payload, prefix.clone()));
            }
        }
    }
    out
}

#[test]
fn every_key_the_agent_sends_is_in_the_privacy_inventory() {
    // A nonce that outlives no check-in: every report asks for a fresh
    // one, so challenge requests are recorded too.
    let c = spawn_local(CollectorConfig {
        nonce_lifetime: Duration::from_secs(5),
        ..CollectorConfig::default()
    })
    .unwrap();
    let code = || {
        c.collector().issue_codes(1, None).unwrap()[0]
            .code
            .expose()
            .to_owned()
    };
    let dir = tempfile::tempdir().unwrap();
    let transport = Arc::new(Recording {
        inner: HttpTransport::new(TransportConfig::default()).unwrap(),
        sent: Mutex::new(Vec::new()),
    });

    // A desktop: enrol, two check-ins (each with a challenge), unenrol.
    let desktop = agent(
        &dir.path().join("desktop"),
        KeySource::Software(Arc::new(MemoryStore::default())),
        transport.clone(),
    );
    desktop.enrol(c.url(), &code()).unwrap();
    desktop.check_in().unwrap();
    desktop.check_in().unwrap();
    desktop.unenrol().unwrap();

    // A phone with platform evidence: its enrolment (and, if the collector
    // takes it, its reports) carry the attestation fields.
    let phone = agent(
        &dir.path().join("phone"),
        KeySource::Device(Arc::new(EvidenceSigner(
            SoftwareSigner::ephemeral().unwrap(),
        ))),
        transport.clone(),
    );
    if phone.enrol(c.url(), &code()).is_ok() {
        let _ = phone.check_in();
    }

    let requests = transport.sent.lock().unwrap().clone();
    let paths: Vec<&str> = requests.iter().map(|r| r.url.as_str()).collect();
    for endpoint in ["/v1/enrol", "/v1/challenge", "/v1/reports", "/v1/unenrol"] {
        assert!(
            paths.iter().any(|p| p.ends_with(endpoint)),
            "no {endpoint} request was recorded: {paths:?}"
        );
    }
    let sent = sent_keys(&requests);
    let listed = listed();
    let missing: Vec<_> = sent.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "the agent sends fields the privacy inventory does not list \
         (add them to agent_core::privacy::FIELDS with their messages): {missing:?}"
    );

    // And the other way: every entry's field was seen (a fact is either
    // observed or unknown, so not every member shows in one run), apart
    // from what only a genuine phone's evidence produces.
    let only_on_genuine_phones = [
        (Payload::Report, "app_attest"),
        (Payload::Report, "key_attestation"),
    ];
    let sent_paths: BTreeSet<(Payload, String)> = sent
        .iter()
        .map(|(p, path)| (*p, path.trim_end_matches("[]").to_owned()))
        .collect();
    for f in FIELDS {
        let path = f.path.trim_end_matches("[]");
        let optional = only_on_genuine_phones.contains(&(f.payload, path));
        assert!(
            sent_paths.contains(&(f.payload, path.to_owned())) || optional,
            "the inventory lists {:?} {path}, which no recorded payload has",
            f.payload
        );
    }
}

#[test]
fn the_walk_sees_nested_members_and_array_elements() {
    let v = serde_json::json!({"a": {"b": [ {"c": 1} ]}, "d": [1, 2]});
    let mut out = BTreeSet::new();
    walk(&v, "", &mut out);
    let want: BTreeSet<String> = ["a", "a.b", "a.b[].c", "d"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(out, want);
}
