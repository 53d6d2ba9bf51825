//! The agent against the real reference collector over real HTTP on
//! loopback, with real SQLite on both sides.

use std::sync::Arc;
use std::time::Duration;

use agent_core::agent::{Agent, AgentConfig, AgentState, KeySource};
use agent_core::keys::store::MemoryStore;
use agent_core::protocol::Freshness;
use agent_core::state::OutboxLimits;
use agent_core::transport::{HttpTransport, TransportConfig};
use posture_collector::{CollectorConfig, RunningCollector, spawn_local, spawn_local_tls};

use crate::proxy::{Mode, Proxy};

fn collector() -> RunningCollector {
    spawn_local(CollectorConfig::default()).unwrap()
}

fn code(c: &RunningCollector) -> String {
    c.collector().issue_codes(1, None).unwrap()[0]
        .code
        .expose()
        .to_owned()
}

/// An agent with this machine's probe, an in-memory key and a transport
/// whose total timeout is `timeout`.
fn agent(dir: &std::path::Path, timeout: Duration, ca: Option<Vec<u8>>) -> Agent {
    let transport = HttpTransport::new(TransportConfig {
        connect_timeout: timeout,
        timeout,
        extra_ca_pem: ca,
        ..TransportConfig::default()
    })
    .unwrap();
    Agent::open(AgentConfig {
        state_dir: dir.to_owned(),
        probe: Arc::from(agent_core::probe::local_probe().unwrap()),
        keys: KeySource::Software(Arc::new(MemoryStore::default())),
        transport: Some(Arc::new(transport)),
        extra_ca_pem: None,
        outbox_limits: OutboxLimits::default(),
    })
    .unwrap()
}

#[test]
fn enrol_check_in_verdict_over_https() {
    let c = spawn_local_tls(CollectorConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = c.ca_pem().unwrap().as_bytes().to_vec();
    let a = agent(dir.path(), Duration::from_secs(10), Some(ca));
    let status = a.enrol(c.url(), &code(&c)).unwrap();
    assert_eq!(status.state, AgentState::Enrolled);
    let out = a.check_in().unwrap();
    assert_eq!(out.delivery.delivered, 1);
    let server = out.status.verdicts.server.clone().unwrap();
    assert_eq!(server.freshness, Freshness::Current);
    // The collector re-evaluated the posture itself and reached the same answer.
    assert_eq!(server.verdict.compliance, out.local_verdict.compliance);
    assert_eq!(c.collector().report_count().unwrap(), 1);
    let fleet = c.collector().fleet_summary(None).unwrap();
    assert_eq!(fleet.total, 1);

    // Without the CA the same collector is refused: HTTPS is checked, not assumed.
    let other = tempfile::tempdir().unwrap();
    let b = agent(other.path(), Duration::from_secs(10), None);
    assert!(b.enrol(c.url(), &code(&c)).is_err());
}

#[test]
fn collector_down_then_back_delivers_each_report_exactly_once() {
    let c = collector();
    let upstream = c.url().trim_start_matches("http://").to_owned();
    let proxy = Proxy::start(&upstream);
    let dir = tempfile::tempdir().unwrap();
    let a = agent(dir.path(), Duration::from_secs(5), None);
    a.enrol(&proxy.url, &code(&c)).unwrap();
    a.check_in().unwrap();
    assert_eq!(c.collector().report_count().unwrap(), 1);

    proxy.set(Mode::Refuse);
    let mut jtis = Vec::new();
    for _ in 0..5 {
        let out = a.check_in().unwrap();
        assert_eq!(out.delivery.delivered, 0);
        assert!(out.delivery.error.is_some());
        jtis.push(out.jti);
    }
    assert_eq!(a.status().unwrap().queued_reports, 5);
    assert_eq!(
        c.collector().report_count().unwrap(),
        1,
        "nothing got through while down"
    );

    proxy.set(Mode::Forward);
    let flushed = a.flush().unwrap();
    assert_eq!(flushed.delivered, 5);
    assert_eq!(flushed.still_queued, 0);
    assert_eq!(
        c.collector().report_count().unwrap(),
        6,
        "each report stored exactly once"
    );
    // Flushing again sends nothing and stores nothing.
    assert_eq!(a.flush().unwrap().delivered, 0);
    assert_eq!(c.collector().report_count().unwrap(), 6);
    // The next check-in is current again: the acks handed back a fresh nonce.
    let out = a.check_in().unwrap();
    assert_eq!(
        out.status.verdicts.server.unwrap().freshness,
        Freshness::Current
    );
}

#[test]
fn a_collector_that_never_answers_times_out_and_the_report_stays_queued() {
    let c = collector();
    let proxy = Proxy::start(c.url().trim_start_matches("http://"));
    let dir = tempfile::tempdir().unwrap();
    let a = agent(dir.path(), Duration::from_millis(700), None);
    a.enrol(&proxy.url, &code(&c)).unwrap();
    proxy.set(Mode::Hang);
    let out = a.check_in().unwrap();
    let error = out.delivery.error.clone().unwrap();
    assert!(error.contains("no answer"), "{error}");
    assert_eq!(out.status.queued_reports, 1);
    assert_eq!(c.collector().report_count().unwrap(), 0);
    proxy.set(Mode::Forward);
    assert_eq!(a.flush().unwrap().delivered, 1);
    assert_eq!(c.collector().report_count().unwrap(), 1);
}

#[test]
fn unenrol_tells_the_collector_and_leaves_nothing_behind() {
    let c = collector();
    let dir = tempfile::tempdir().unwrap();
    let a = agent(dir.path(), Duration::from_secs(5), None);
    a.enrol(c.url(), &code(&c)).unwrap();
    a.check_in().unwrap();
    let out = a.unenrol().unwrap();
    assert!(out.server_notified, "{out:?}");
    let status = a.status().unwrap();
    assert_eq!(status.state, AgentState::Unenrolled);
    assert_eq!(status.queued_reports, 0);
    let fleet = c.collector().fleet_summary(None).unwrap();
    assert_eq!(fleet.total, 0, "the collector still lists the device");
}

#[test]
fn the_agent_keeps_the_collectors_attestation_result_and_it_verifies_with_the_published_key() {
    use agent_core::agent::ComplianceToken;
    use agent_core::transport::{HttpRequest, Transport};
    let c = collector();
    let dir = tempfile::tempdir().unwrap();
    let a = agent(dir.path(), Duration::from_secs(10), None);
    let enrolled = a.enrol(c.url(), &code(&c)).unwrap();
    assert!(matches!(
        a.compliance_token().unwrap(),
        ComplianceToken::Unavailable { .. }
    ));
    let out = a.check_in().unwrap();
    let summary = out.status.attestation.clone().unwrap();
    let ComplianceToken::Available { token, summary: s } = a.compliance_token().unwrap() else {
        panic!("a current report's ack carried an attestation result");
    };
    assert_eq!(s, summary);

    // A relying party fetches the key over HTTP and verifies the token.
    let jwks = HttpTransport::new(TransportConfig::default())
        .unwrap()
        .send(HttpRequest::get(format!(
            "{}/.well-known/jwks.json",
            c.url().trim_end_matches('/')
        )))
        .unwrap();
    assert_eq!(jwks.status, 200);
    let jwks: serde_json::Value = serde_json::from_slice(&jwks.body).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = posture_collector::verify_attestation_result(&token, &jwks, now).unwrap();
    assert_eq!(
        Some(claims.sub.as_str()),
        enrolled.device_id.as_ref().map(|d| d.as_str())
    );
    assert_eq!(Some(claims.cnf.jkt.as_str()), enrolled.kid.as_deref());
    assert_eq!(claims.exp, summary.expires_at.unix_timestamp());
    let posture = &claims.submods["posture"];
    assert_eq!(Some(posture.assurance), summary.assurance);
    assert_eq!(
        serde_json::to_value(posture.status).unwrap(),
        serde_json::to_value(summary.status).unwrap()
    );
    // It is the collector's latest for the device, as the fleet view shows.
    let fleet = c.collector().fleet_summary(None).unwrap();
    assert_eq!(
        fleet.devices[0].attestation_result.as_deref(),
        Some(token.as_str())
    );
    // The status carries the summary, never the token.
    let shown = serde_json::to_string(&a.status().unwrap()).unwrap();
    assert!(!shown.contains(&token));
    assert!(!shown.contains(token.split('.').nth(2).unwrap()));
}
