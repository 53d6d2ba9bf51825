//! Real agents (agent-core's API, as an app uses it) against the real
//! collector through the fault-injecting proxy: one fault at a time, each
//! report stored exactly once in the end and none lost on the way.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use agent_core::agent::{Agent, AgentConfig, KeySource};
use agent_core::keys::SoftwareSigner;
use agent_core::posture::Posture;
use agent_core::probe::PostureProbe;
use agent_core::protocol::ExportRecord;
use agent_core::state::OutboxLimits;
use agent_core::transport::{HttpRequest, HttpTransport, Transport, TransportConfig};
use posture_collector::{CollectorConfig, RunningCollector, spawn_local, spawn_local_tls};

use crate::fault_proxy::{Fault, FaultProxy};
use crate::proxy::{Mode, Proxy};

/// How long an agent waits for an answer here: far below the default 30 s,
/// so a stall costs little, and far above a loopback request, even on a
/// busy machine (a slower answer is only a retry, never a failure).
pub const TIMEOUT: Duration = Duration::from_secs(4);

/// This machine's posture, read once: every report carries it with a new time.
pub struct Snapshot(Posture);

impl Snapshot {
    pub fn local() -> Arc<Snapshot> {
        Arc::new(Snapshot(
            agent_core::probe::local_probe().unwrap().collect(),
        ))
    }
}

impl PostureProbe for Snapshot {
    fn collect(&self) -> Posture {
        let mut p = self.0.clone();
        p.collected_at = time::OffsetDateTime::now_utc();
        p
    }
}

/// The built-in transport with `timeout` for connecting and for the exchange.
pub fn transport(ca: Option<Vec<u8>>, timeout: Duration) -> Arc<dyn Transport> {
    Arc::new(
        HttpTransport::new(TransportConfig {
            connect_timeout: timeout,
            timeout,
            extra_ca_pem: ca,
            ..TransportConfig::default()
        })
        .unwrap(),
    )
}

/// An agent with an in-memory key over `transport`.
pub fn agent(dir: &Path, probe: Arc<Snapshot>, transport: Arc<dyn Transport>) -> Agent {
    Agent::open(AgentConfig {
        state_dir: dir.to_owned(),
        probe,
        keys: KeySource::Device(Arc::new(SoftwareSigner::ephemeral().unwrap())),
        transport: Some(transport),
        extra_ca_pem: None,
        outbox_limits: OutboxLimits::default(),
    })
    .unwrap()
}

pub fn codes(c: &RunningCollector, n: usize) -> Vec<String> {
    c.collector()
        .issue_codes(n as u32, None)
        .unwrap()
        .iter()
        .map(|c| c.code.expose().to_owned())
        .collect()
}

/// Every report the collector stored, from its SIEM export.
pub fn stored(c: &RunningCollector) -> Vec<ExportRecord> {
    let t = HttpTransport::new(TransportConfig {
        max_response_bytes: 256 << 20,
        extra_ca_pem: c.ca_pem().map(|p| p.as_bytes().to_vec()),
        ..TransportConfig::default()
    })
    .unwrap();
    let r = t
        .send(
            HttpRequest::get(format!("{}/v1/reports/export", c.url()))
                .with_header("authorization", &format!("Bearer {}", c.admin_token())),
        )
        .unwrap();
    assert_eq!(r.status, 200);
    String::from_utf8(r.body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

struct Scene {
    collector: RunningCollector,
    proxy: FaultProxy,
    agent: Agent,
    _dir: tempfile::TempDir,
}

fn scene() -> Scene {
    let collector = spawn_local(CollectorConfig::default()).unwrap();
    let proxy = FaultProxy::start(collector.url());
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(dir.path(), Snapshot::local(), transport(None, TIMEOUT));
    agent.enrol(&proxy.url, &codes(&collector, 1)[0]).unwrap();
    Scene {
        collector,
        proxy,
        agent,
        _dir: dir,
    }
}

/// One check-in meets `fault`: the report stays queued, nothing is
/// refused; the next flush delivers it and the collector holds it once.
fn survives(fault: Fault) {
    let s = scene();
    s.proxy.script([fault]);
    let out = s.agent.check_in().unwrap();
    let stats = s.proxy.stats();
    assert_eq!(stats.reports.get(&fault), Some(&1), "{stats:?}");
    assert_eq!(out.delivery.delivered, 0, "{fault:?}: {out:?}");
    assert_eq!(
        out.delivery.rejected,
        vec![],
        "{fault:?}: the report was dropped"
    );
    assert!(out.delivery.error.is_some(), "{fault:?}: {out:?}");
    assert_eq!(out.status.queued_reports, 1, "{fault:?}: {out:?}");
    // A 2xx that is not this report's ack breaks the protocol, and says so.
    let bad_ack = u32::from(Fault::BAD_ACKS.contains(&fault));
    assert_eq!(out.delivery.protocol_errors, bad_ack, "{fault:?}: {out:?}");
    let stored_now = s.collector.collector().report_count().unwrap();
    assert_eq!(
        stored_now,
        u64::from(stats.forwarded.contains_key(&out.jti))
    );

    let flushed = s.agent.flush().unwrap();
    assert_eq!(flushed.delivered, 1, "{fault:?}: {flushed:?}");
    assert_eq!(flushed.still_queued, 0);
    let records = stored(&s.collector);
    assert_eq!(records.len(), 1, "{fault:?}: stored {records:?}");
    assert_eq!(records[0].jti.as_str(), out.jti);
    // The ack the flush got is applied: the next report is current again.
    let next = s.agent.check_in().unwrap();
    assert_eq!(next.delivery.delivered, 1, "{next:?}");
    assert!(next.fresh_nonce);
}

#[test]
fn a_500_that_stored_nothing_keeps_the_report_queued() {
    survives(Fault::ServerError);
}

#[test]
fn a_502_after_the_collector_stored_it_is_retried_and_stored_once() {
    survives(Fault::ServerErrorAfterStore);
}

#[test]
fn a_cut_before_forwarding_keeps_the_report_queued() {
    survives(Fault::CutBeforeForward);
}

#[test]
fn a_cut_after_the_collector_answered_is_retried_and_stored_once() {
    survives(Fault::CutAfterStore);
}

#[test]
fn a_truncated_ack_is_retried_and_stored_once() {
    survives(Fault::Truncated);
}

#[test]
fn a_stall_ends_with_the_agents_own_timeout() {
    // The proxy holds the request until the agent gives up: no sleep here.
    let s = scene();
    s.proxy.script([Fault::Stall]);
    let out = s.agent.check_in().unwrap();
    let error = out.delivery.error.clone().unwrap();
    assert!(error.contains("no answer"), "{error}");
    assert_eq!(out.status.queued_reports, 1);
    assert_eq!(s.agent.flush().unwrap().delivered, 1);
    assert_eq!(stored(&s.collector).len(), 1);
}

/// A `Retry-After` answer: the agent sends nothing before it, neither in a
/// due round nor in a manual flush, and says until when it waits.
fn honours_retry_after(fault: Fault) {
    let s = scene();
    let wait = Duration::from_secs(600);
    s.proxy.set_retry_after(wait);
    s.proxy.script([fault]);
    let before = time::OffsetDateTime::now_utc();
    let out = s.agent.check_in().unwrap();
    assert_eq!(out.status.queued_reports, 1, "{out:?}");
    assert_eq!(out.delivery.rejected, vec![]);
    let until = out.status.server_wait_until.expect("the wait is shown");
    assert!(
        until >= before + wait,
        "{fault:?}: waits only until {until}"
    );
    let posts = s.proxy.stats().report_posts();
    assert_eq!(s.agent.flush_due().unwrap().delivered, 0);
    let flushed = s.agent.flush().unwrap();
    assert_eq!(flushed.delivered, 0, "{flushed:?}");
    assert!(flushed.error.unwrap().contains("Retry-After"));
    let next = s.agent.check_in().unwrap();
    assert_eq!(next.status.queued_reports, 2, "{next:?}");
    assert_eq!(
        s.proxy.stats().report_posts(),
        posts,
        "{fault:?}: a report was sent before its Retry-After"
    );
    assert_eq!(s.collector.collector().report_count().unwrap(), 0);
}

#[test]
fn a_429_with_retry_after_seconds_is_honoured() {
    honours_retry_after(Fault::RetryAfterSeconds);
}

#[test]
fn a_503_with_retry_after_as_an_http_date_is_honoured() {
    honours_retry_after(Fault::RetryAfterDate);
}

#[test]
fn a_2xx_that_is_not_json_keeps_the_report_queued() {
    survives(Fault::MalformedJson);
}

#[test]
fn a_captive_portal_page_keeps_the_report_queued() {
    survives(Fault::CaptivePortal);
}

#[test]
fn an_ack_for_another_report_keeps_the_report_queued() {
    let s = scene();
    // A genuine ack first, which the proxy then replays for the next report.
    assert_eq!(s.agent.check_in().unwrap().delivery.delivered, 1);
    s.proxy.script([Fault::WrongJti]);
    let out = s.agent.check_in().unwrap();
    assert_eq!(s.proxy.stats().reports.get(&Fault::WrongJti), Some(&1));
    assert_eq!(out.delivery.delivered, 0, "{out:?}");
    assert_eq!(out.status.queued_reports, 1, "{out:?}");
    assert_eq!(s.agent.flush().unwrap().delivered, 1);
    let jtis: HashSet<String> = stored(&s.collector)
        .iter()
        .map(|r| r.jti.as_str().to_owned())
        .collect();
    assert!(jtis.contains(&out.jti), "the report was lost");
    assert_eq!(jtis.len(), 2);
}

/// TLS that fails: garbage instead of a ServerHello, then a server whose
/// certificate the agent does not trust (a captive portal intercepting
/// HTTPS). The report must stay queued and reach the real collector after.
#[test]
fn tls_handshake_failures_keep_the_report_queued() {
    let c = spawn_local_tls(CollectorConfig::default()).unwrap();
    let impostor = spawn_local_tls(CollectorConfig::default()).unwrap();
    let host = |r: &RunningCollector| r.url().trim_start_matches("https://").to_owned();
    let proxy = Proxy::start(&host(&c));
    let dir = tempfile::tempdir().unwrap();
    let ca = c.ca_pem().unwrap().as_bytes().to_vec();
    let a = agent(dir.path(), Snapshot::local(), transport(Some(ca), TIMEOUT));
    let url = proxy.url.replace("http://", "https://");
    a.enrol(&url, &codes(&c, 1)[0]).unwrap();

    proxy.set(Mode::Garbage);
    let garbled = a.check_in().unwrap();
    assert!(garbled.delivery.error.is_some(), "{garbled:?}");
    assert_eq!(garbled.delivery.rejected, vec![], "dropped on garbage");

    proxy.divert(&host(&impostor));
    let intercepted = a.check_in().unwrap();
    let error = intercepted.delivery.error.clone().unwrap_or_default();
    assert!(error.contains("TLS"), "{intercepted:?}");
    assert_eq!(
        intercepted.delivery.rejected,
        vec![],
        "dropped on a wrong certificate"
    );
    assert_eq!(intercepted.status.queued_reports, 2);
    assert_eq!(impostor.collector().report_count().unwrap(), 0);

    proxy.divert(&host(&c));
    assert_eq!(a.flush().unwrap().delivered, 2);
    let jtis: HashSet<String> = stored(&c)
        .iter()
        .map(|r| r.jti.as_str().to_owned())
        .collect();
    assert!(jtis.contains(&garbled.jti) && jtis.contains(&intercepted.jti));
}
