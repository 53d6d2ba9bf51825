//! Security events end to end: real reports over HTTP, then the OCSF events
//! as a JSON-lines file, syslog over TCP and TLS, and a Splunk HEC
//! stand-in received them, each on loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::JoinHandle;

use agent_core::protocol::{RequestPurpose, content_types, paths};
use posture_collector::{CollectorConfig, EventOutput, EventsConfig, spawn_local};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::Value;

use crate::common::*;
use crate::ocsf::assert_valid;

const HEC_TOKEN: &str = "hec-token-7a1f0c";

/// A syslog receiver: every byte of its first connection, until it closes.
fn syslog_tcp() -> (u16, JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let t = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        all
    });
    (port, t)
}

/// A test CA and a `localhost` certificate it signs.
struct TestPki {
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

fn pki() -> TestPki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let chain: Vec<CertificateDer<'static>> = vec![leaf.der().clone()];
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    TestPki {
        ca_pem: ca_cert.pem(),
        server: Arc::new(server),
    }
}

/// A syslog receiver over TLS: the plaintext of its first connection until
/// the client's close_notify.
fn syslog_tls(pki: &TestPki) -> (u16, JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = pki.server.clone();
    let t = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let conn = rustls::ServerConnection::new(config).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, s);
        let mut all = Vec::new();
        tls.read_to_end(&mut all).unwrap();
        all
    });
    (port, t)
}

/// One request a stand-in received.
#[derive(Debug)]
pub struct HecRequest {
    pub line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

pub fn read_request(r: &mut BufReader<TcpStream>) -> Option<HecRequest> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').unwrap();
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(HecRequest {
        line: line.trim_end().to_owned(),
        headers,
        body,
    })
}

/// A Splunk HEC stand-in answering `statuses` in turn (then 200) until it
/// has answered `count` requests with 200.
fn hec(count: usize, statuses: Vec<u16>) -> (u16, JoinHandle<Vec<HecRequest>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let t = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut ok = 0;
        let mut statuses = statuses.into_iter();
        while ok < count {
            let (s, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(s.try_clone().unwrap());
            let mut w = s;
            while ok < count {
                let Some(req) = read_request(&mut reader) else {
                    break;
                };
                let status = statuses.next().unwrap_or(200);
                let (reason, body) = if status == 200 {
                    ("OK", r#"{"text":"Success","code":0}"#)
                } else {
                    (
                        "Service Unavailable",
                        r#"{"text":"Server is busy","code":9}"#,
                    )
                };
                write!(
                    w,
                    "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                )
                .unwrap();
                w.flush().unwrap();
                if status == 200 {
                    ok += 1;
                }
                got.push(req);
            }
        }
        got
    });
    (port, t)
}

/// Splits octet-counted syslog frames, checking each count.
fn frames(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes).unwrap();
    let mut rest = text;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (len, after) = rest.split_once(' ').unwrap();
        let len: usize = len.parse().unwrap();
        out.push(after[..len].to_owned());
        rest = &after[len..];
    }
    out
}

/// The OCSF JSON of an RFC 5424 message, checking its header.
fn syslog_json(msg: &str) -> Value {
    // <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG
    let mut parts = msg.splitn(8, ' ');
    let pri = parts.next().unwrap();
    let ts = parts.next().unwrap();
    let host = parts.next().unwrap();
    let app = parts.next().unwrap();
    let procid = parts.next().unwrap();
    let msgid = parts.next().unwrap();
    let sd = parts.next().unwrap();
    let json: Value = serde_json::from_str(parts.next().unwrap()).unwrap();
    let class = json["class_uid"].as_u64().unwrap();
    let level = match json["severity_id"].as_u64().unwrap() {
        1 => 6,
        3 => 4,
        _ => 3,
    };
    assert_eq!(pri, format!("<{}>1", 16 * 8 + level));
    time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).unwrap();
    assert_eq!(
        (host, app, procid, msgid, sd),
        (
            "-",
            "posture-collector",
            std::process::id().to_string().as_str(),
            format!("ocsf-{class}").as_str(),
            "-"
        )
    );
    json
}

/// (class_uid, activity_id, compliance or lifecycle) of each event.
fn summary(events: &[Value]) -> Vec<(u64, u64, String)> {
    events
        .iter()
        .map(|e| {
            let what = e["unmapped"]["compliance"]
                .as_str()
                .or(e["unmapped"]["lifecycle"].as_str())
                .unwrap_or("")
                .to_owned();
            (
                e["class_uid"].as_u64().unwrap(),
                e["activity_id"].as_u64().unwrap(),
                what,
            )
        })
        .collect()
}

fn ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["metadata"]["uid"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_output_gets_every_event_as_valid_ocsf() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("events.jsonl");
    let pki = pki();
    let (tcp_port, tcp) = syslog_tcp();
    let (tls_port, tls) = syslog_tls(&pki);
    let (hec_port, hec) = hec(11, Vec::new());
    let outputs = [
        format!("jsonl:{}", jsonl.display()),
        format!("syslog+tcp://127.0.0.1:{tcp_port}"),
        format!("syslog+tls://localhost:{tls_port}"),
        format!("splunk-hec+http://127.0.0.1:{hec_port}"),
    ]
    .iter()
    .map(|s| EventOutput::parse(s, Some(HEC_TOKEN)).unwrap())
    .collect();
    let c = spawn_local(CollectorConfig {
        events: EventsConfig {
            outputs,
            ca_pem: Some(pki.ca_pem.as_bytes().to_vec()),
            ..EventsConfig::default()
        },
        ..sqlite_config()
    })
    .unwrap();

    let mut d = Device::enrol(&c);
    // Compliant, warning, non-compliant (twice), and back.
    for shape in [
        Shape::Compliant,
        Shape::Warning,
        Shape::NonCompliant,
        Shape::NonCompliant,
        Shape::Compliant,
    ] {
        d.check_in(&c, shape);
    }
    let token = d.request_token(RequestPurpose::Unenrol, Some(d.nonce.clone()));
    let r = post(
        c.url(),
        paths::UNENROL,
        content_types::JWT,
        token.into_bytes(),
    );
    assert_eq!(r.status, 200, "{r:?}");
    // Stopping the collector drains every output and closes its connections.
    drop(c);

    let from_file: Vec<Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let from_tcp: Vec<Value> = frames(&tcp.join().unwrap())
        .iter()
        .map(|m| syslog_json(m))
        .collect();
    let from_tls: Vec<Value> = frames(&tls.join().unwrap())
        .iter()
        .map(|m| syslog_json(m))
        .collect();
    let requests = hec.join().unwrap();
    let mut from_hec = Vec::new();
    for r in &requests {
        assert_eq!(r.line, "POST /services/collector/event HTTP/1.1");
        let auth = r
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .unwrap();
        assert_eq!(auth.1, format!("Splunk {HEC_TOKEN}"));
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["event", "host", "source", "sourcetype", "time"]);
        assert_eq!(body["sourcetype"], "ocsf");
        assert_eq!(
            body["time"].as_i64().unwrap() * 1000,
            body["event"]["time"].as_i64().unwrap()
        );
        from_hec.push(body["event"].clone());
    }

    let expected = vec![
        (5001, 1, "enrolled".to_owned()),
        (2003, 1, "compliant".to_owned()),
        (5002, 1, "compliant".to_owned()),
        (2003, 2, "warning".to_owned()),
        (5002, 1, "warning".to_owned()),
        (2003, 2, "non_compliant".to_owned()),
        (5002, 1, "non_compliant".to_owned()),
        // The same verdict again: a snapshot, no verdict event.
        (5002, 1, "non_compliant".to_owned()),
        (2003, 2, "compliant".to_owned()),
        (5002, 1, "compliant".to_owned()),
        (5001, 1, "unenrolled".to_owned()),
    ];
    assert_eq!(summary(&from_file), expected);
    for other in [&from_tcp, &from_tls, &from_hec] {
        // The same events, byte for byte the same JSON, in the same order.
        assert_eq!(other, &from_file);
    }
    let all = ids(&from_file);
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "event ids repeat: {all:?}");

    for e in &from_file {
        assert_valid(e);
        // The device is its random id and its kind, nothing personal.
        assert_eq!(e["device"]["uid"], d.id.as_str());
        for key in ["hostname", "ip", "mac", "imei", "name", "owner"] {
            assert!(e["device"].get(key).is_none(), "device.{key} in {e}");
        }
    }
    let warned = &from_file[3];
    assert_eq!(warned["severity_id"], 3);
    assert_eq!(warned["compliance"]["status_id"], 2);
    assert_eq!(
        warned["compliance"]["requirements"],
        serde_json::json!(["storage_encryption"])
    );
    let changed = &from_file[5];
    assert_eq!(changed["severity_id"], 4);
    assert_eq!(changed["compliance"]["status_id"], 3);
    assert_eq!(
        changed["compliance"]["requirements"],
        serde_json::json!(["screen_lock"])
    );
    assert_eq!(changed["unmapped"]["previous_compliance"], "warning");
    assert_eq!(changed["device"]["is_compliant"], false);
    let back = &from_file[8];
    assert_eq!(back["severity_id"], 1);
    assert_eq!(back["compliance"]["status_id"], 1);
    assert_eq!(back["unmapped"]["previous_compliance"], "non_compliant");
    assert_eq!(back["device"]["is_compliant"], true);
    let snapshot = &from_file[2];
    assert_eq!(snapshot["unmapped"]["posture"]["platform"], "android");
    assert_eq!(snapshot["device"]["os"]["version"], "15");
}

#[test]
fn a_busy_hec_is_retried_and_the_event_arrives_once() {
    let (port, hec) = hec(1, vec![503]);
    let c = spawn_local(CollectorConfig {
        events: EventsConfig {
            outputs: vec![
                EventOutput::parse(
                    &format!("splunk-hec+http://127.0.0.1:{port}"),
                    Some(HEC_TOKEN),
                )
                .unwrap(),
            ],
            ..EventsConfig::default()
        },
        ..sqlite_config()
    })
    .unwrap();
    let d = Device::enrol(&c);
    let requests = hec.join().unwrap();
    assert_eq!(requests.len(), 2);
    // The retry is the same event: a receiver can deduplicate by its id.
    let body = |i: usize| -> Value { serde_json::from_slice(&requests[i].body).unwrap() };
    assert_eq!(body(0), body(1));
    assert_eq!(body(0)["event"]["device"]["uid"], d.id.as_str());
    let stats = c.collector().event_stats();
    assert_eq!(stats[0].dropped, 0);
}

#[test]
fn syslog_over_tls_refuses_an_untrusted_receiver() {
    let pki = pki();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = pki.server.clone();
    // The receiver sees the handshake fail: the client does not trust it.
    let t = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let mut tls = rustls::StreamOwned::new(rustls::ServerConnection::new(server).unwrap(), s);
        let mut buf = Vec::new();
        tls.read_to_end(&mut buf).unwrap_err().to_string()
    });
    let c = spawn_local(CollectorConfig {
        events: EventsConfig {
            outputs: vec![
                EventOutput::parse(&format!("syslog+tls://localhost:{port}"), None).unwrap(),
            ],
            attempts: 1,
            ..EventsConfig::default()
        },
        ..sqlite_config()
    })
    .unwrap();
    Device::enrol(&c);
    let err = t.join().unwrap();
    assert!(err.to_lowercase().contains("alert"), "{err}");
}

#[test]
fn a_broken_attestation_pin_is_a_high_severity_compliance_finding() {
    use agent_core::keys::SoftwareSigner;
    use agent_core::token::{Claims, sign};
    use agent_core::{Posture, evaluate};
    use posture_collector::{AttestationConfig, roots_from_pem_file};

    use crate::chains::*;

    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("events.jsonl");
    let root = TestRoot::new();
    let pem = dir.path().join("roots.pem");
    root.write_pem(&pem);
    let c = spawn_local(CollectorConfig {
        attestation: AttestationConfig {
            roots: Some(roots_from_pem_file(&pem).unwrap()),
            ..AttestationConfig::default()
        },
        events: EventsConfig {
            outputs: vec![EventOutput::JsonLines(jsonl.clone())],
            ..EventsConfig::default()
        },
        ..sqlite_config()
    })
    .unwrap();
    let signer = SoftwareSigner::ephemeral().unwrap();
    let code = issue_code(&c);
    let facts = Facts {
        challenge: code_challenge(&code),
        ..Facts::new(STRONGBOX, &[])
    };
    let chain = root.chain(&point_of(&signer), facts.der());
    let d = Device::enrol_with_chain(&c, signer, &code, &chain);
    // A fresh chain from the TEE where StrongBox was pinned: a downgrade.
    let fresh = root.fresh_chain(&Facts {
        challenge: report_challenge(d.nonce.as_str(), &d.signer),
        ..Facts::new(TEE, &[])
    });
    let now = time::OffsetDateTime::now_utc();
    let posture: Posture = posture(Shape::Compliant);
    let verdict = evaluate(&posture, &test_policy(), now);
    let mut claims = Claims::new(d.nonce.clone(), &d.device_id(), posture, verdict, now).unwrap();
    claims.key_attestation = fresh;
    let r = d.send(&c, &sign(&claims, &d.signer).unwrap());
    assert_problem(&r, 403, "attestation-downgrade");
    drop(c);

    let events: Vec<Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The enrolment, then the break: the refused report is no snapshot.
    assert_eq!(events.len(), 2, "{events:#?}");
    let broken = &events[1];
    assert_valid(broken);
    assert_eq!(broken["class_uid"], 2003);
    assert_eq!(broken["severity_id"], 4);
    assert_eq!(
        broken["finding_info"]["types"],
        serde_json::json!(["attestation-pin"])
    );
    assert_eq!(broken["compliance"]["status_id"], 3);
    assert!(
        broken["compliance"]["status_detail"]
            .as_str()
            .unwrap()
            .contains("security_level: pinned strongbox, seen tee"),
        "{broken:#}"
    );
    assert_eq!(broken["device"]["uid"], d.id.as_str());
}
