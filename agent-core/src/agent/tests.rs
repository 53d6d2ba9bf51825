//! The agent against an in-process fake collector (a `Transport` that
//! answers like protocol v1, with the real verifier). The real collector
//! over real HTTP is exercised in `tests/e2e`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

use super::*;
use crate::keys::store::MemoryStore;
use crate::posture::{Platform, Posture};
use crate::protocol::Freshness;
use crate::protocol::{
    ChallengeResponse, EnrolRequest, EnrolResponse, Problem, ProblemKind, ReportAck,
    RequestPurpose, UnenrolResponse,
};
use crate::token::{MemoryReplayCache, Nonce, NonceCheck, Verifier, VerifyingKey};
use crate::transport::{HttpRequest, HttpResponse, TransportError};

struct FixedProbe;
impl PostureProbe for FixedProbe {
    fn collect(&self) -> Posture {
        Posture::unknown(Platform::Linux, "test probe", OffsetDateTime::now_utc())
    }
}

#[derive(Default)]
struct Fake {
    codes: Vec<String>,
    keys: HashMap<String, VerifyingKey>,
    devices: HashMap<String, String>, // kid -> device id
    latest_nonce: HashMap<String, String>,
    reports: HashMap<String, ReportAck>,
    down: bool,
    refuse_reports: bool,
    /// Stores a report, then answers with this instead of its ack.
    report_fault: Option<ReportFault>,
    /// Answers challenges with 503 and Retry-After: 60.
    challenge_unavailable: bool,
    /// Asks for a fresh key attestation in every ack and challenge answer.
    ask_key_attestation: bool,
    /// Each report's (eat_nonce, kid, key_attestation claim), in order.
    chains: Vec<(String, String, Vec<String>)>,
    /// Puts an attestation result in the ack of a current report.
    ear: Option<FakeEar>,
}

/// The attestation result the fake issues: `iat` and `exp` relative to
/// now, and the key thumbprint it names in place of the device's.
#[derive(Clone, Default)]
struct FakeEar {
    iat: i64,
    exp: i64,
    other_jkt: Option<String>,
    status: &'static str,
}

fn fake_ear(ear: &FakeEar, device: &str, kid: &str, now: OffsetDateTime) -> String {
    let claims = serde_json::json!({
        "eat_profile": crate::token::EAR_RESULT_PROFILE,
        "iat": now.unix_timestamp() + ear.iat,
        "exp": now.unix_timestamp() + ear.exp,
        "sub": device,
        "cnf": {"jkt": ear.other_jkt.as_deref().unwrap_or(kid)},
        "submods": {"posture": {"ear.status": ear.status, "posture-agent.assurance": "self-reported"}},
    });
    format!(
        "{}.{}.{}",
        crate::b64::encode(br#"{"alg":"ES256","typ":"JWT","kid":"collector"}"#),
        crate::b64::encode(claims.to_string().as_bytes()),
        crate::b64::encode(&[1u8; 64])
    )
}

/// How a broken network or server answers a report it (maybe) stored.
#[derive(Clone, Copy, Debug)]
enum ReportFault {
    /// 200 text/html, as a captive portal sends.
    Html,
    /// 201 application/json that is not an ack.
    MalformedAck,
    /// A well-formed ack for another jti, saying "compliant".
    WrongJti,
    /// 503 with Retry-After: 120.
    Unavailable,
    /// 401 unknown-device.
    UnknownDevice,
    /// 429 asking for ten years of silence.
    RateLimitedForADecade,
    /// A good ack carrying a policy of a newer schema, with a member this agent does not know.
    NewerPolicy,
    /// 403 text/html from a proxy: not a problem document of the protocol.
    ProxyForbidden,
}

#[derive(Default)]
struct FakeCollector {
    inner: Mutex<Fake>,
    replay: MemoryReplayCache,
    report_posts: AtomicUsize,
    challenge_posts: AtomicUsize,
}

fn json<T: serde::Serialize>(status: u16, body: &T) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: serde_json::to_vec(body).unwrap(),
    }
}

fn problem(kind: ProblemKind) -> HttpResponse {
    HttpResponse {
        status: kind.status(),
        headers: vec![("content-type".into(), "application/problem+json".into())],
        body: serde_json::to_vec(&Problem::new(kind, "fake")).unwrap(),
    }
}

impl FakeCollector {
    fn nonce(f: &mut Fake, device: &str) -> Nonce {
        let n = Nonce::random().unwrap();
        f.latest_nonce
            .insert(device.to_owned(), n.as_str().to_owned());
        n
    }

    fn handle(&self, req: HttpRequest) -> HttpResponse {
        let now = OffsetDateTime::now_utc();
        let mut f = self.inner.lock().unwrap();
        let path = req
            .url
            .split("://")
            .nth(1)
            .and_then(|r| r.find('/').map(|i| r[i..].to_owned()))
            .unwrap();
        let body = String::from_utf8(req.body.clone()).unwrap();
        let exp = now + time::Duration::hours(1);
        match path.as_str() {
            "/v1/enrol" => {
                let r: EnrolRequest = serde_json::from_str(&body).unwrap();
                let Some(i) = f.codes.iter().position(|c| c == r.code.expose()) else {
                    return problem(ProblemKind::InvalidEnrolmentCode);
                };
                f.codes.remove(i);
                let key = VerifyingKey::from_jwk(&r.jwk).unwrap();
                let device = format!("dev-{}", f.devices.len() + 1);
                f.devices.insert(key.kid().to_owned(), device.clone());
                f.keys.insert(key.kid().to_owned(), key);
                let nonce = Self::nonce(&mut f, &device);
                json(
                    201,
                    &EnrolResponse {
                        device_id: crate::protocol::DeviceId::new(device).unwrap(),
                        policy: Policy::default_policy(),
                        checkin_interval_secs: 3600,
                        nonce,
                        nonce_expires_at: exp,
                    },
                )
            }
            "/v1/challenge" if f.challenge_unavailable => {
                self.challenge_posts.fetch_add(1, Ordering::SeqCst);
                let mut r = problem(ProblemKind::Unavailable);
                r.headers.push(("retry-after".into(), "60".into()));
                r
            }
            "/v1/challenge" | "/v1/unenrol" => {
                if path == "/v1/challenge" {
                    self.challenge_posts.fetch_add(1, Ordering::SeqCst);
                }
                let purpose = if path == "/v1/challenge" {
                    RequestPurpose::Challenge
                } else {
                    RequestPurpose::Unenrol
                };
                let v =
                    Verifier::default().verify_request(&body, &f.keys, purpose, &self.replay, now);
                let Ok(v) = v else {
                    return problem(ProblemKind::BadSignature);
                };
                let device = v.claims.sub.as_str().to_owned();
                if purpose == RequestPurpose::Unenrol {
                    f.keys.remove(&v.kid);
                    return json(
                        200,
                        &UnenrolResponse {
                            device_id: v.claims.sub,
                            unenrolled_at: now,
                        },
                    );
                }
                let nonce = Self::nonce(&mut f, &device);
                json(
                    200,
                    &ChallengeResponse {
                        nonce,
                        nonce_expires_at: exp,
                        key_attestation_requested: f.ask_key_attestation,
                    },
                )
            }
            "/v1/reports" => {
                self.report_posts.fetch_add(1, Ordering::SeqCst);
                if f.refuse_reports {
                    return problem(ProblemKind::InvalidPosture);
                }
                let fresh_cache = MemoryReplayCache::default();
                let v = match Verifier::default().verify(
                    &body,
                    &f.keys,
                    NonceCheck::ByCaller,
                    &fresh_cache,
                    now,
                ) {
                    Ok(v) => v,
                    Err(_) => return problem(ProblemKind::BadSignature),
                };
                if let Some(ack) = f.reports.get(v.claims.jti.as_str()) {
                    return json(200, ack);
                }
                let device = f.devices[&v.kid].clone();
                f.chains.push((
                    v.claims.eat_nonce.as_str().to_owned(),
                    v.kid.clone(),
                    v.claims.key_attestation.clone(),
                ));
                let current = f.latest_nonce.get(&device).map(String::as_str)
                    == Some(v.claims.eat_nonce.as_str());
                let nonce = Self::nonce(&mut f, &device);
                let ack = ReportAck {
                    jti: v.claims.jti.clone(),
                    accepted_at: now,
                    verdict: crate::evaluate(&v.claims.posture, &Policy::default_policy(), now),
                    freshness: if current {
                        Freshness::Current
                    } else {
                        Freshness::Historical
                    },
                    policy: None,
                    nonce,
                    nonce_expires_at: exp,
                    next_checkin_at: exp,
                    attestation_result: f
                        .ear
                        .as_ref()
                        .filter(|_| current)
                        .map(|ear| fake_ear(ear, &device, &v.kid, now)),
                    key_attestation_requested: f.ask_key_attestation,
                };
                f.reports.insert(v.claims.jti.into(), ack.clone());
                match f.report_fault {
                    None => json(201, &ack),
                    Some(fault) => fault_answer(fault, &ack),
                }
            }
            _ => problem(ProblemKind::NotFound),
        }
    }
}

fn fault_answer(fault: ReportFault, ack: &ReportAck) -> HttpResponse {
    let raw = |status: u16, content_type: &str, body: &str| HttpResponse {
        status,
        headers: vec![("content-type".into(), content_type.into())],
        body: body.as_bytes().to_vec(),
    };
    match fault {
        ReportFault::Html => raw(
            200,
            "text/html",
            "<html><body>Sign in to the Wi-Fi</body></html>",
        ),
        ReportFault::MalformedAck => raw(201, "application/json", r#"{"jti": 7"#),
        ReportFault::WrongJti => {
            let mut fake = ack.clone();
            fake.jti = crate::protocol::Jti::new("someone-elses-report").unwrap();
            fake.verdict.compliance = crate::policy::Compliance::Compliant;
            fake.verdict.findings.clear();
            json(201, &fake)
        }
        ReportFault::Unavailable => {
            let mut r = problem(ProblemKind::Unavailable);
            r.headers.push(("retry-after".into(), "120".into()));
            r
        }
        ReportFault::UnknownDevice => problem(ProblemKind::UnknownDevice),
        ReportFault::NewerPolicy => {
            let mut v = serde_json::to_value(ack).unwrap();
            let mut policy = serde_json::to_value(Policy::default_policy()).unwrap();
            policy["schema_version"] = 99.into();
            policy["revision"] = 7.into();
            policy["quantum_rules"] = serde_json::json!({"entangled": true});
            v["policy"] = policy;
            raw(201, "application/json", &v.to_string())
        }
        ReportFault::RateLimitedForADecade => {
            let mut r = problem(ProblemKind::RateLimited);
            r.headers.push(("retry-after".into(), "315360000".into()));
            r
        }
        ReportFault::ProxyForbidden => raw(403, "text/html", "<html>Forbidden by proxy</html>"),
    }
}

struct FakeTransport(Arc<FakeCollector>);
impl Transport for FakeTransport {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        crate::transport::check_url(&request.url)?;
        if self.0.inner.lock().unwrap().down {
            return Err(TransportError::Connect {
                host: "127.0.0.1".into(),
                reason: "connection refused".into(),
            });
        }
        Ok(self.0.handle(request))
    }
}

const URL: &str = "http://127.0.0.1:9/";

struct Setup {
    agent: Agent,
    fake: Arc<FakeCollector>,
    store: Arc<MemoryStore>,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    setup_with(None)
}

/// A device key that makes fresh key attestations (a stand-in for the
/// Android shim's signer): it records each challenge, and answers with a
/// one-certificate "chain" naming it, or fails when told to.
struct AttestingSigner {
    key: crate::keys::SoftwareSigner,
    challenges: Mutex<Vec<[u8; 32]>>,
    fail: std::sync::atomic::AtomicBool,
}

impl crate::keys::DeviceSigner for AttestingSigner {
    fn public_jwk(&self) -> Result<crate::keys::PublicJwk, crate::keys::KeyError> {
        self.key.public_jwk()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, crate::keys::KeyError> {
        self.key.sign(message)
    }
    fn fresh_key_attestation(
        &self,
        challenge: &[u8; 32],
    ) -> Result<Vec<String>, crate::keys::KeyError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(crate::keys::KeyError::Signer("the keystore is busy".into()));
        }
        self.challenges.lock().unwrap().push(*challenge);
        Ok(vec![crate::b64::encode(challenge)])
    }
}

fn setup_with(signer: Option<Arc<AttestingSigner>>) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(FakeCollector::default());
    fake.inner.lock().unwrap().codes = vec!["CODE-1".into(), "CODE-2".into()];
    let store = Arc::new(MemoryStore::default());
    let agent = Agent::open(AgentConfig {
        state_dir: dir.path().join("state"),
        probe: Arc::new(FixedProbe),
        keys: match signer {
            Some(signer) => KeySource::Device(signer),
            None => KeySource::Software(store.clone()),
        },
        transport: Some(Arc::new(FakeTransport(fake.clone()))),
        extra_ca_pem: None,
        outbox_limits: OutboxLimits::default(),
    })
    .unwrap();
    Setup {
        agent,
        fake,
        store,
        _dir: dir,
    }
}

#[test]
fn enrol_check_in_verdict() {
    let s = setup();
    assert_eq!(s.agent.state().unwrap(), AgentState::Unenrolled);
    assert!(matches!(s.agent.check_in(), Err(AgentError::NotEnrolled)));
    let status = s.agent.enrol(URL, "CODE-1").unwrap();
    assert_eq!(status.state, AgentState::Enrolled);
    assert_eq!(status.device_id.as_ref().map(|d| d.as_str()), Some("dev-1"));
    assert!(matches!(
        s.agent.enrol(URL, "CODE-2"),
        Err(AgentError::AlreadyEnrolled { .. })
    ));

    let out = s.agent.check_in().unwrap();
    assert!(out.fresh_nonce);
    assert_eq!(out.delivery.delivered, 1);
    assert_eq!(out.status.queued_reports, 0);
    let server = out.status.verdicts.server.unwrap();
    assert_eq!(server.freshness, Freshness::Current);
    assert_eq!(server.verdict.compliance, out.local_verdict.compliance);
    // The next check-in uses the nonce the ack handed back: current again, one round trip.
    let again = s.agent.check_in().unwrap();
    assert_eq!(
        again.status.verdicts.server.unwrap().freshness,
        Freshness::Current
    );
    assert_eq!(s.fake.report_posts.load(Ordering::SeqCst), 2);
}

#[test]
fn a_reused_code_is_refused_and_nothing_is_stored() {
    let s = setup();
    let err = s.agent.enrol(URL, "NOPE").unwrap_err();
    assert!(err.to_string().contains("Invalid enrolment code"), "{err}");
    assert_eq!(s.agent.state().unwrap(), AgentState::Unenrolled);
    assert!(matches!(
        s.agent.enrol(URL, " "),
        Err(AgentError::InvalidInput(_))
    ));
    assert!(matches!(
        s.agent.enrol("http://collector.example.org", "CODE-1"),
        Err(AgentError::Transport(_))
    ));
}

#[test]
fn offline_reports_queue_and_are_delivered_once_when_the_collector_returns() {
    let s = setup();
    s.agent.enrol(URL, "CODE-1").unwrap();
    s.agent.check_in().unwrap();
    s.fake.inner.lock().unwrap().down = true;
    for _ in 0..3 {
        let out = s.agent.check_in().unwrap();
        assert!(out.delivery.error.is_some());
    }
    let status = s.agent.status().unwrap();
    assert_eq!(status.queued_reports, 3);
    s.fake.inner.lock().unwrap().down = false;
    let flushed = s.agent.flush().unwrap();
    assert_eq!(flushed.delivered, 3);
    assert_eq!(flushed.still_queued, 0);
    assert_eq!(s.fake.inner.lock().unwrap().reports.len(), 4);
    // Collected offline without a fresh nonce: historical, not current.
    assert_eq!(
        s.agent.status().unwrap().verdicts.server.unwrap().freshness,
        Freshness::Historical
    );
    // Nothing left to send: another flush sends nothing.
    assert_eq!(s.agent.flush().unwrap().delivered, 0);
}

#[test]
fn a_report_refused_for_good_leaves_the_outbox_and_is_named() {
    let s = setup();
    s.agent.enrol(URL, "CODE-1").unwrap();
    s.fake.inner.lock().unwrap().refuse_reports = true;
    let out = s.agent.check_in().unwrap();
    assert_eq!(out.delivery.rejected.len(), 1);
    assert_eq!(out.delivery.rejected[0].jti, out.jti);
    assert_eq!(out.status.queued_reports, 0);
}

#[test]
fn unenrol_deletes_the_key_and_state_even_when_the_collector_is_down() {
    for down in [false, true] {
        let s = setup();
        s.agent.enrol(URL, "CODE-1").unwrap();
        s.fake.inner.lock().unwrap().down = true;
        s.agent.check_in().unwrap();
        s.fake.inner.lock().unwrap().down = down;
        let name = s.agent.lock().unwrap().state.key_name().unwrap().unwrap();
        assert!(s.store.get(&name).unwrap().is_some());
        let out = s.agent.unenrol().unwrap();
        assert_eq!(out.server_notified, !down, "{out:?}");
        assert!(
            s.store.get(&name).unwrap().is_none(),
            "the key survived unenrol"
        );
        let status = s.agent.status().unwrap();
        assert_eq!(status.state, AgentState::Unenrolled);
        assert_eq!(status.queued_reports, 0);
        assert!(status.verdicts.local.is_none());
        assert!(matches!(s.agent.unenrol(), Err(AgentError::NotEnrolled)));
        // And it can enrol again, with a new key.
        s.fake.inner.lock().unwrap().down = false;
        s.agent.enrol(URL, "CODE-2").unwrap();
    }
}

#[test]
fn listeners_hear_changes_until_their_subscription_is_dropped() {
    struct Count(AtomicUsize);
    impl StatusListener for Count {
        fn on_status(&self, _: &Status) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let s = setup();
    let count = Arc::new(Count(AtomicUsize::new(0)));
    let sub = s.agent.subscribe(count.clone());
    s.agent.enrol(URL, "CODE-1").unwrap();
    s.agent.check_in().unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 2);
    drop(sub);
    s.agent.check_in().unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 2);
}

#[test]
fn concurrent_check_ins_are_serialised() {
    let s = setup();
    s.agent.enrol(URL, "CODE-1").unwrap();
    let agent = Arc::new(s.agent);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let a = agent.clone();
            std::thread::spawn(move || a.check_in().unwrap())
        })
        .collect();
    let jtis: std::collections::HashSet<String> =
        threads.into_iter().map(|t| t.join().unwrap().jti).collect();
    assert_eq!(jtis.len(), 4);
    assert_eq!(s.fake.inner.lock().unwrap().reports.len(), 4);
    // Serialised: each check-in used the nonce the previous ack returned.
    assert_eq!(
        agent.status().unwrap().verdicts.server.unwrap().freshness,
        Freshness::Current
    );
}

#[test]
fn preview_shows_the_payload_and_changes_nothing() {
    let s = setup();
    s.agent.enrol(URL, "CODE-1").unwrap();
    let preview = s.agent.preview_report().unwrap();
    let v: serde_json::Value = serde_json::from_str(&preview.payload).unwrap();
    assert_eq!(v["sub"], "dev-1");
    assert_eq!(v["posture"]["platform"], "linux");
    assert_eq!(s.agent.status().unwrap().queued_reports, 0);
    assert_eq!(s.fake.report_posts.load(Ordering::SeqCst), 0);
}

#[test]
fn a_second_agent_on_the_same_directory_is_refused() {
    let s = setup();
    let dir = s.agent.status().unwrap().state_dir;
    let second = Agent::open(AgentConfig {
        state_dir: dir,
        probe: Arc::new(FixedProbe),
        keys: KeySource::Software(Arc::new(MemoryStore::default())),
        transport: Some(Arc::new(FakeTransport(s.fake.clone()))),
        extra_ca_pem: None,
        outbox_limits: OutboxLimits::default(),
    });
    assert!(matches!(
        second,
        Err(AgentError::State(crate::state::StateError::Locked { .. }))
    ));
}

/// A posture the default policy fails (for a "compliant" ack to contradict).
struct BadProbe;
impl PostureProbe for BadProbe {
    fn collect(&self) -> Posture {
        let mut p = Posture::unknown(Platform::Linux, "test probe", OffsetDateTime::now_utc());
        p.storage_encryption =
            crate::posture::Fact::observed(crate::posture::StorageEncryption::NotEncrypted, "test");
        p
    }
}

#[test]
fn an_answer_that_is_not_an_ack_keeps_the_report_and_counts_a_protocol_error() {
    for fault in [
        ReportFault::Html,
        ReportFault::MalformedAck,
        ReportFault::WrongJti,
        ReportFault::ProxyForbidden,
    ] {
        let s = setup();
        s.agent.enrol(URL, "CODE-1").unwrap();
        s.fake.inner.lock().unwrap().report_fault = Some(fault);
        let out = s.agent.check_in().unwrap();
        assert_eq!(out.delivery.delivered, 0, "{fault:?}");
        assert!(out.delivery.rejected.is_empty(), "{fault:?}");
        assert_eq!(out.delivery.protocol_errors, 1, "{fault:?}");
        assert_eq!(out.status.queued_reports, 1, "{fault:?}");
        assert_eq!(out.status.protocol_errors, 1, "{fault:?}");
        // Nothing in the answer was applied: no server verdict.
        assert_eq!(out.status.verdicts.server, None, "{fault:?}");
        assert!(out.delivery.error.is_some(), "{fault:?}");
        // The answer was the network's, not the server's: a later flush
        // gets the stored ack (idempotent by jti) and the report is done.
        s.fake.inner.lock().unwrap().report_fault = None;
        let flushed = s.agent.flush().unwrap();
        assert_eq!(flushed.delivered, 1, "{fault:?}");
        assert_eq!(flushed.still_queued, 0, "{fault:?}");
        assert_eq!(s.fake.inner.lock().unwrap().reports.len(), 1, "{fault:?}");
        assert!(s.agent.status().unwrap().verdicts.server.is_some());
    }
}

#[test]
fn a_forged_compliant_ack_for_another_report_never_shows_as_compliant() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(FakeCollector::default());
    fake.inner.lock().unwrap().codes = vec!["CODE-1".into()];
    let agent = Agent::open(AgentConfig {
        state_dir: dir.path().join("state"),
        probe: Arc::new(BadProbe),
        keys: KeySource::Software(Arc::new(MemoryStore::default())),
        transport: Some(Arc::new(FakeTransport(fake.clone()))),
        extra_ca_pem: None,
        outbox_limits: OutboxLimits::default(),
    })
    .unwrap();
    agent.enrol(URL, "CODE-1").unwrap();
    fake.inner.lock().unwrap().report_fault = Some(ReportFault::WrongJti);
    let out = agent.check_in().unwrap();
    assert_ne!(
        out.local_verdict.compliance,
        crate::policy::Compliance::Compliant
    );
    let status = agent.status().unwrap();
    assert_eq!(status.verdicts.server, None);
    assert_eq!(status.queued_reports, 1);
}

#[test]
fn retry_after_holds_back_even_a_manual_flush() {
    let s = setup();
    s.agent.enrol(URL, "CODE-1").unwrap();
    s.fake.inner.lock().unwrap().report_fault = Some(ReportFault::Unavailable);
    let out = s.agent.check_in().unwrap();
    assert_eq!(out.status.queued_reports, 1);
    let until = out.status.server_wait_until.expect("Retry-After recorded");
    let wait = until - OffsetDateTime::now_utc();
    assert!(
        wait > time::Duration::seconds(100) && wait <= time::Duration::seconds(120),
        "{wait}"
    );
    s.fake.inner.lock().unwrap().report_fault = None;
    let posts = s.fake.report_posts.load(Ordering::SeqCst);
    let flushed = s.agent.flush().unwrap();
    assert_eq!(flushed.delivered, 0);
    assert!(flushed.error.unwrap().contains("Retry-After"));
    // A check-in in the meantime queues its report without sending.
    let again = s.agent.check_in().unwrap();
    assert_eq!(again.delivery.delivered, 0);
    assert_eq!(again.status.queued_reports, 2);
    assert_eq!(s.fake.report_posts.load(Ordering::SeqCst), posts);
    // Once the time has passed (moved here instead of waiting), flush sends both.
    s.agent
        .lock()
        .unwrap()
        .state
        .set_server_wait_until(Some(OffsetDateTime::now_utc() - time::Duration::seconds(1)))
        .unwrap();
    let flushed = s.agent.flush().unwrap();
    assert_eq!(flushed.delivered, 2);
    assert_eq!(s.agent.status().unwrap().server_wait_until, None);
}

#[test]
fn retry_after_is_capped_at_a_day() {
    let s = setup();
    s.agent.enrol(URL, "CODE-1").unwrap();
    s.fake.inner.lock().unwrap().report_fault = Some(ReportFault::RateLimitedForADecade);
    let out = s.agent.check_in().unwrap();
    let until = out.status.server_wait_until.unwrap();
    let wait = until - OffsetDateTime::now_utc();
    assert!(wait <= time::Duration::hours(24), "{wait}");
    assert!(wait > time::Duration::hours(23), "{wait}");
    let queued = s.agent.lock().unwrap().state.all().unwrap();
    let next = queued[0].next_attempt_at - OffsetDateTime::now_utc();
    assert!(next <= time::Duration::hours(24), "{next}");
}

#[test]
fn unknown_device_keeps_the_reports_and_says_why() {
    let s = setup();
    s.agent.enrol(URL, "CODE-1").unwrap();
    s.fake.inner.lock().unwrap().report_fault = Some(ReportFault::UnknownDevice);
    let out = s.agent.check_in().unwrap();
    assert!(out.delivery.rejected.is_empty());
    assert_eq!(out.status.queued_reports, 1);
    let why = out.delivery.error.unwrap();
    assert!(why.contains("does not recognise this device"), "{why}");
    assert!(why.contains("stay"), "{why}");
}

fn agent_at(dir: &std::path::Path, fake: &Arc<FakeCollector>, store: &Arc<MemoryStore>) -> Agent {
    Agent::open(AgentConfig {
        state_dir: dir.to_owned(),
        probe: Arc::new(FixedProbe),
        keys: KeySource::Software(store.clone()),
        transport: Some(Arc::new(FakeTransport(fake.clone()))),
        extra_ca_pem: None,
        outbox_limits: OutboxLimits::default(),
    })
    .unwrap()
}

#[test]
fn a_moved_state_directory_keeps_its_key() {
    let s = setup();
    s.agent.enrol(URL, "CODE-1").unwrap();
    let dir = s.agent.status().unwrap().state_dir;
    let kid = s.agent.status().unwrap().kid.unwrap();
    drop(s.agent);
    let moved = dir.with_file_name("moved");
    std::fs::rename(&dir, &moved).unwrap();
    let agent = agent_at(&moved, &s.fake, &s.store);
    let out = agent.check_in().unwrap();
    assert_eq!(out.delivery.delivered, 1);
    assert_eq!(agent.public_jwk().unwrap().thumbprint(), kid);
}

#[test]
fn an_enrolled_agent_without_its_key_says_so_and_keeps_its_reports() {
    let s = setup();
    s.agent.enrol(URL, "CODE-1").unwrap();
    s.fake.inner.lock().unwrap().down = true;
    s.agent.check_in().unwrap();
    let dir = s.agent.status().unwrap().state_dir;
    let name = s.agent.lock().unwrap().state.key_name().unwrap().unwrap();
    drop(s.agent);
    // The key store was cleared (a deleted secrets file, a new keychain).
    s.store.delete(&name).unwrap();
    let agent = agent_at(&dir, &s.fake, &s.store);
    let err = agent.check_in().unwrap_err();
    assert!(matches!(err, AgentError::KeyMissing { .. }), "{err:?}");
    assert!(err.to_string().contains("reset the agent"), "{err}");
    assert!(s.store.get(&name).unwrap().is_none(), "no new key was made");
    assert_eq!(agent.status().unwrap().queued_reports, 1);
    // A different key under the recorded name is refused too.
    let other = MemoryStore::default();
    SoftwareSigner::load_or_create(&other, "k").unwrap();
    s.store
        .put(&name, &other.get("k").unwrap().unwrap())
        .unwrap();
    drop(agent);
    let agent = agent_at(&dir, &s.fake, &s.store);
    let err = agent.check_in().unwrap_err();
    assert!(matches!(err, AgentError::KeyMismatch { .. }), "{err:?}");
    assert_eq!(agent.status().unwrap().queued_reports, 1);
}

#[test]
fn an_older_state_keeps_its_path_derived_key_and_records_the_name() {
    let s = setup();
    s.agent.enrol(URL, "CODE-1").unwrap();
    let dir = s.agent.status().unwrap().state_dir;
    let name = s.agent.lock().unwrap().state.key_name().unwrap().unwrap();
    let secret = s.store.get(&name).unwrap().unwrap();
    // As an older agent left it: the key under the path-derived name, no name recorded.
    s.store.delete(&name).unwrap();
    s.store.put(&software_key_name(&dir), &secret).unwrap();
    s.agent.lock().unwrap().state.set_key_name(None).unwrap();
    drop(s.agent);
    let agent = agent_at(&dir, &s.fake, &s.store);
    assert_eq!(agent.check_in().unwrap().delivery.delivered, 1);
    assert_eq!(
        agent.lock().unwrap().state.key_name().unwrap(),
        Some(software_key_name(&dir))
    );
}

#[test]
fn reset_local_always_clears_the_directory() {
    let s = setup();
    s.agent.enrol(URL, "CODE-1").unwrap();
    let dir = s.agent.status().unwrap().state_dir;
    let name = s.agent.lock().unwrap().state.key_name().unwrap().unwrap();
    // Locked while an agent has it open.
    let keys = KeySource::Software(s.store.clone());
    assert!(matches!(
        reset_local(&dir, &keys),
        Err(AgentError::State(crate::state::StateError::Locked { .. }))
    ));
    drop(s.agent);
    std::fs::write(
        dir.join(crate::state::DB_FILE),
        b"garbage that is not sqlite",
    )
    .unwrap();
    let out = reset_local(&dir, &keys).unwrap();
    assert!(!dir.exists());
    // The garbage did not say which key was this device's: the outcome
    // says an unused key may be left in the store.
    assert!(out.key_left_behind.is_some(), "{out:?}");
    assert!(s.store.get(&name).unwrap().is_some());
    // A readable state names its key, and the reset deletes it.
    let s = setup();
    s.agent.enrol(URL, "CODE-1").unwrap();
    let dir = s.agent.status().unwrap().state_dir;
    let name = s.agent.lock().unwrap().state.key_name().unwrap().unwrap();
    drop(s.agent);
    let out = reset_local(&dir, &KeySource::Software(s.store.clone())).unwrap();
    assert_eq!(out.key_error, None);
    assert_eq!(out.key_left_behind, None);
    assert!(s.store.get(&name).unwrap().is_none());
    assert!(!dir.exists());
}

#[test]
fn a_policy_this_agent_cannot_use_leaves_the_ack_good_and_the_old_policy_in_force() {
    let s = setup();
    s.agent.enrol(URL, "CODE-1").unwrap();
    let before = s.agent.policy().unwrap();
    s.fake.inner.lock().unwrap().report_fault = Some(ReportFault::NewerPolicy);
    let out = s.agent.check_in().unwrap();
    assert_eq!(out.delivery.delivered, 1);
    assert_eq!(out.delivery.protocol_errors, 0);
    assert_eq!(s.agent.policy().unwrap(), before);
    // And the agent keeps working: no damaged state.
    s.fake.inner.lock().unwrap().report_fault = None;
    assert_eq!(s.agent.check_in().unwrap().delivery.delivered, 1);
}

fn expire_the_stored_nonce(agent: &Agent) {
    let mut inner = agent.lock().unwrap();
    let e = inner.state.enrolment().unwrap().unwrap();
    inner
        .state
        .set_next_nonce(
            e.next_nonce.as_ref(),
            Some(OffsetDateTime::now_utc() - time::Duration::minutes(1)),
        )
        .unwrap();
}

#[test]
fn retry_after_holds_back_challenges_too() {
    let s = setup();
    s.agent.enrol(URL, "CODE-1").unwrap();
    // A challenge answered 503 + Retry-After sets the wait...
    expire_the_stored_nonce(&s.agent);
    s.fake.inner.lock().unwrap().challenge_unavailable = true;
    let out = s.agent.check_in().unwrap();
    assert!(!out.fresh_nonce);
    assert_eq!(s.fake.challenge_posts.load(Ordering::SeqCst), 1);
    assert!(out.status.server_wait_until.is_some());
    assert_eq!(s.fake.report_posts.load(Ordering::SeqCst), 0);
    // ...and while it lasts nothing is asked, not even a nonce.
    s.fake.inner.lock().unwrap().challenge_unavailable = false;
    let out = s.agent.check_in().unwrap();
    assert!(!out.fresh_nonce);
    assert_eq!(s.fake.challenge_posts.load(Ordering::SeqCst), 1);
    assert_eq!(s.fake.report_posts.load(Ordering::SeqCst), 0);
    assert_eq!(out.status.queued_reports, 2);
}

#[test]
fn a_requested_key_attestation_binds_the_report_and_a_failure_never_costs_it() {
    let signer = Arc::new(AttestingSigner {
        key: crate::keys::SoftwareSigner::ephemeral().unwrap(),
        challenges: Mutex::new(Vec::new()),
        fail: std::sync::atomic::AtomicBool::new(false),
    });
    let s = setup_with(Some(signer.clone()));
    s.agent.enrol(URL, "CODE-1").unwrap();
    // Not asked: no chain, and the signer is not bothered.
    assert_eq!(s.agent.check_in().unwrap().delivery.delivered, 1);
    assert!(signer.challenges.lock().unwrap().is_empty());
    s.fake.inner.lock().unwrap().ask_key_attestation = true;
    // The ack of this report asks; the next report answers.
    assert_eq!(s.agent.check_in().unwrap().delivery.delivered, 1);
    assert_eq!(s.agent.check_in().unwrap().delivery.delivered, 1);
    let chains = s.fake.inner.lock().unwrap().chains.clone();
    assert_eq!(chains.len(), 3);
    assert!(chains[0].2.is_empty() && chains[1].2.is_empty());
    let (nonce, kid, chain) = &chains[2];
    let challenge = crate::protocol::report_attestation_challenge(nonce, kid);
    assert_eq!(signer.challenges.lock().unwrap().as_slice(), &[challenge]);
    assert_eq!(chain, &vec![crate::b64::encode(&challenge)]);
    // A signer that fails: the report still goes, without a chain.
    signer.fail.store(true, Ordering::SeqCst);
    let out = s.agent.check_in().unwrap();
    assert_eq!(out.delivery.delivered, 1);
    assert_eq!(out.status.queued_reports, 0);
    assert!(s.fake.inner.lock().unwrap().chains[3].2.is_empty());
    // Asked no more: no chain.
    signer.fail.store(false, Ordering::SeqCst);
    s.fake.inner.lock().unwrap().ask_key_attestation = false;
    s.agent.check_in().unwrap();
    s.agent.check_in().unwrap();
    let chains = s.fake.inner.lock().unwrap().chains.clone();
    // The fifth report answered the fourth ack, which still asked.
    assert_eq!(chains[4].2.len(), 1);
    assert!(chains[5].2.is_empty());
}

#[test]
fn the_attestation_result_is_kept_shown_and_handed_out_while_unexpired() {
    let s = setup();
    assert!(matches!(
        s.agent.compliance_token().unwrap(),
        ComplianceToken::Unavailable { reason } if reason.contains("not enrolled")
    ));
    s.agent.enrol(URL, "CODE-1").unwrap();
    s.agent.check_in().unwrap();
    let ComplianceToken::Unavailable { reason } = s.agent.compliance_token().unwrap() else {
        panic!("no result was issued yet");
    };
    assert!(reason.contains("not issued"), "{reason}");
    assert_eq!(s.agent.status().unwrap().attestation, None);

    s.fake.inner.lock().unwrap().ear = Some(FakeEar {
        iat: 0,
        exp: 3600,
        status: "warning",
        ..FakeEar::default()
    });
    let out = s.agent.check_in().unwrap();
    let summary = out
        .status
        .attestation
        .clone()
        .expect("a summary in the status");
    assert_eq!(summary.status, crate::token::EarStatus::Warning);
    assert_eq!(
        summary.assurance,
        Some(crate::protocol::AssuranceLevel::SelfReported)
    );
    let ComplianceToken::Available { token, summary: s2 } = s.agent.compliance_token().unwrap()
    else {
        panic!("an unexpired result is available");
    };
    assert_eq!(s2, summary);
    let claims: serde_json::Value =
        serde_json::from_slice(&crate::b64::decode(token.split('.').nth(1).unwrap()).unwrap())
            .unwrap();
    assert_eq!(claims["sub"], "dev-1");
    assert_eq!(
        claims["cnf"]["jkt"].as_str(),
        s.agent.status().unwrap().kid.as_deref()
    );
    // Neither the status nor the outcome's Debug or JSON carries the token.
    let shown = format!(
        "{:?}{:?}{}",
        out,
        s.agent.compliance_token().unwrap(),
        serde_json::to_string(&s.agent.status().unwrap()).unwrap()
    );
    assert!(!shown.contains(&token), "{shown}");
    assert!(!shown.contains(token.split('.').nth(1).unwrap()));

    // A historical report's ack carries none and leaves the kept one alone.
    s.fake.inner.lock().unwrap().latest_nonce.clear();
    let out = s.agent.check_in().unwrap();
    assert_eq!(
        out.status.verdicts.server.unwrap().freshness,
        Freshness::Historical
    );
    assert_eq!(out.status.attestation, Some(summary));

    // One for another key is refused, and the older one forgotten.
    s.fake.inner.lock().unwrap().ear = Some(FakeEar {
        iat: 0,
        exp: 3600,
        status: "affirming",
        other_jkt: Some("someone-elses-key".into()),
    });
    let out = s.agent.check_in().unwrap();
    assert_eq!(out.delivery.delivered, 1);
    assert_eq!(out.status.attestation, None);
    assert!(matches!(
        s.agent.compliance_token().unwrap(),
        ComplianceToken::Unavailable { .. }
    ));

    // An expired one is shown in the status but not handed out.
    s.fake.inner.lock().unwrap().ear = Some(FakeEar {
        iat: -7200,
        exp: -3600,
        status: "affirming",
        other_jkt: None,
    });
    let out = s.agent.check_in().unwrap();
    let summary = out
        .status
        .attestation
        .expect("an expired result is still summarised");
    assert!(summary.is_expired(OffsetDateTime::now_utc()));
    let ComplianceToken::Unavailable { reason } = s.agent.compliance_token().unwrap() else {
        panic!("an expired result is not handed out");
    };
    assert!(reason.contains("expired at"), "{reason}");

    // Unenrolling forgets it with the rest of the state.
    s.agent.unenrol().unwrap();
    assert_eq!(s.agent.status().unwrap().attestation, None);
}
