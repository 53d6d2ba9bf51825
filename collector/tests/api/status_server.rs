//! The attestation status list over HTTPS: a rustls server on loopback,
//! under a test CA the collector is given (`--attestation-status-ca`),
//! serves Google's status-list JSON; refreshes are driven explicitly.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_core::keys::SoftwareSigner;
use agent_core::protocol::{content_types, paths};
use agent_core::transport::HttpResponse;
use posture_attestation::revocation::MAX_STATUS_LIST_BYTES;
use posture_collector::{RunningCollector, StatusUrl};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::chains::*;
use crate::common::*;

const PATH: &str = "/attestation/status";

/// What the status server answers next.
#[derive(Clone)]
struct Answer {
    status: u16,
    cache_control: Option<&'static str>,
    body: Vec<u8>,
}

impl Answer {
    fn list(entries: &str, cache_control: Option<&'static str>) -> Answer {
        Answer {
            status: 200,
            cache_control,
            body: format!(r#"{{"entries": {{{entries}}}}}"#).into_bytes(),
        }
    }
}

/// A one-connection-at-a-time HTTPS server on loopback.
struct StatusServer {
    url: String,
    ca_pem: String,
    answer: Arc<Mutex<Answer>>,
    served: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StatusServer {
    fn start(first: Answer) -> StatusServer {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "status list test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let leaf_key = KeyPair::generate().unwrap();
        let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = leaf.signed_by(&leaf_key, &issuer).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
        let config = Arc::new(config);

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let answer = Arc::new(Mutex::new(first));
        let served = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (answer, served, stop) = (answer.clone(), served.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let now = answer.lock().unwrap().clone();
                    // A client that gives up (an oversized answer) is fine.
                    if serve_one(&config, stream, &now).is_ok() {
                        served.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        };
        StatusServer {
            url: format!("https://127.0.0.1:{}{PATH}", addr.port()),
            ca_pem: ca_cert.pem(),
            answer,
            served,
            stop,
            addr,
            thread: Some(thread),
        }
    }

    fn answer(&self, a: Answer) {
        *self.answer.lock().unwrap() = a;
    }

    fn status_url(&self) -> StatusUrl {
        StatusUrl {
            url: self.url.clone(),
            extra_ca_pem: Some(self.ca_pem.clone().into_bytes()),
        }
    }
}

impl Drop for StatusServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        drop(TcpStream::connect(self.addr));
        if let Some(t) = self.thread.take() {
            drop(t.join());
        }
    }
}

fn serve_one(
    config: &Arc<rustls::ServerConfig>,
    tcp: TcpStream,
    answer: &Answer,
) -> std::io::Result<()> {
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let conn = rustls::ServerConnection::new(config.clone()).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || tls.read(&mut byte)? == 0 {
            return Err(std::io::Error::other("no complete request"));
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let (status, body) = if head.starts_with(&format!("GET {PATH} HTTP/1.1\r\n")) {
        (answer.status, answer.body.as_slice())
    } else {
        (404, &b"{}"[..])
    };
    let mut out = format!(
        "HTTP/1.1 {status} Answer\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    if let Some(cc) = answer.cache_control {
        out.push_str(&format!("cache-control: {cc}\r\n"));
    }
    out.push_str("\r\n");
    tls.write_all(out.as_bytes())?;
    tls.write_all(body)?;
    tls.conn.send_close_notify();
    tls.flush()
}

fn enrol_chain(c: &RunningCollector, root: &TestRoot, signer: &SoftwareSigner) -> HttpResponse {
    let code = issue_code(c);
    let chain = root.device_chain(signer, &code, TEE);
    let jwk = agent_core::keys::DeviceSigner::public_jwk(signer).unwrap();
    let body = serde_json::to_vec(&serde_json::json!({
        "code": code, "jwk": jwk, "key_attestation": chain,
        "platform": "android", "agent_version": "0.1.0"
    }))
    .unwrap();
    post(c.url(), paths::ENROL, content_types::JSON, body)
}

fn assert_revoked(r: &HttpResponse) {
    let p = assert_problem(r, 403, "key-attestation-rejected");
    let detail = p.detail.unwrap_or_default();
    assert!(detail.contains("REVOKED"), "{detail}");
}

fn revoked() -> String {
    format!(r#""{INTERMEDIATE_SERIAL_HEX}": {{"status": "REVOKED", "reason": "KEY_COMPROMISE"}}"#)
}

#[test]
fn a_revoked_serial_applies_after_a_refresh_and_failed_refreshes_keep_the_last_good_list() {
    let server = StatusServer::start(Answer::list("", Some("public, max-age=7200")));
    let root = TestRoot::new();
    let c = start_with(&root, |a| a.status_url = Some(server.status_url()));
    assert_eq!(server.served.load(Ordering::SeqCst), 1, "fetched at start");
    let admin = c.collector();
    let signer = SoftwareSigner::ephemeral().unwrap();
    assert_eq!(enrol_chain(&c, &root, &signer).status, 201);

    // Google's shape, with the test chain's intermediate revoked (and an
    // unrelated suspended serial).
    server.answer(Answer::list(
        &format!(
            r#"{}, "2c8cdddfd5e03bfc": {{"status": "SUSPENDED", "reason": "SOFTWARE_FLAW"}}"#,
            revoked()
        ),
        Some("public, max-age=600"),
    ));
    let refreshed = admin.refresh_attestation_status().unwrap();
    assert_eq!(refreshed.entries, 2);
    assert_eq!(refreshed.next_refresh, Duration::from_secs(600));
    let signer = SoftwareSigner::ephemeral().unwrap();
    assert_revoked(&enrol_chain(&c, &root, &signer));

    // A 500, a body that is not a status list, and one over the size limit:
    // each refresh fails and says why, and the revocation still applies.
    let oversized = {
        let mut body = br#"{"entries": {"#.to_vec();
        body.resize(MAX_STATUS_LIST_BYTES + 1, b' ');
        body
    };
    let failures = [
        (
            Answer {
                status: 500,
                cache_control: None,
                body: b"{}".to_vec(),
            },
            "HTTP 500",
        ),
        (
            Answer {
                status: 200,
                cache_control: Some("max-age=7200"),
                body: b"<html>maintenance</html>".to_vec(),
            },
            "not JSON",
        ),
        (
            Answer {
                status: 200,
                cache_control: Some("max-age=7200"),
                body: oversized,
            },
            "larger than",
        ),
    ];
    for (answer, why) in failures {
        let before = server.served.load(Ordering::SeqCst);
        server.answer(answer);
        let err = admin.refresh_attestation_status().unwrap_err().to_string();
        assert!(err.contains(why), "{why:?}: {err}");
        assert!(
            !err.contains("maintenance"),
            "the body is not echoed: {err}"
        );
        // The server was asked (the oversized answer is cut short, so its
        // connection may not count as served).
        if why != "larger than" {
            assert_eq!(server.served.load(Ordering::SeqCst), before + 1, "{why}");
        }
        let signer = SoftwareSigner::ephemeral().unwrap();
        assert_revoked(&enrol_chain(&c, &root, &signer));
    }

    // Cache-Control decides when the next refresh is due, within bounds.
    for (cache_control, secs) in [
        (Some("max-age=10"), 300),
        (Some("max-age=999999"), 86_400),
        (Some("no-cache"), 300),
        (None, 3600),
        (Some("private, max-age=5400"), 5400),
    ] {
        server.answer(Answer::list(&revoked(), cache_control));
        let refreshed = admin.refresh_attestation_status().unwrap();
        assert_eq!(refreshed.entries, 1);
        assert_eq!(
            refreshed.next_refresh,
            Duration::from_secs(secs),
            "{cache_control:?}"
        );
    }

    // A list without the serial replaces the last: the chain enrols again.
    server.answer(Answer::list("", Some("max-age=3600")));
    assert_eq!(admin.refresh_attestation_status().unwrap().entries, 0);
    let signer = SoftwareSigner::ephemeral().unwrap();
    assert_eq!(enrol_chain(&c, &root, &signer).status, 201);
}

#[test]
fn the_status_server_must_present_a_certificate_the_collector_trusts() {
    let server = StatusServer::start(Answer::list(&revoked(), None));
    let root = TestRoot::new();
    let untrusted = StatusUrl {
        extra_ca_pem: None,
        ..server.status_url()
    };
    // No fallback: a list that cannot be fetched at start stops the start.
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("roots.pem");
    root.write_pem(&pem);
    let started = posture_collector::spawn_local(posture_collector::CollectorConfig {
        attestation: posture_collector::AttestationConfig {
            roots: Some(posture_collector::roots_from_pem_file(&pem).unwrap()),
            status_url: Some(untrusted.clone()),
            ..posture_collector::AttestationConfig::default()
        },
        ..config()
    });
    let Err(err) = started else {
        panic!("an untrusted status server stops the start");
    };
    let err = err.to_string();
    assert!(err.contains(&server.url), "{err}");

    // With a fallback file the collector starts from it, and a refresh
    // still refuses the untrusted server, keeping the file's list.
    let fallback = dir.path().join("status.json");
    std::fs::write(&fallback, format!(r#"{{"entries": {{{}}}}}"#, revoked())).unwrap();
    let c = start_with(&root, |a| {
        a.status_url = Some(untrusted);
        a.status_file = Some(fallback);
    });
    assert!(c.collector().refresh_attestation_status().is_err());
    let signer = SoftwareSigner::ephemeral().unwrap();
    assert_revoked(&enrol_chain(&c, &root, &signer));
    assert_eq!(server.served.load(Ordering::SeqCst), 0);
}
