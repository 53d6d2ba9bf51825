//! A fleet under faults: 100 agents × 20 check-ins through the fault proxy
//! at a 30 % fault rate, then fault-free flushes; and a smaller fleet over
//! HTTPS whose TLS handshakes fail at random. Every report made must be
//! stored exactly once and every outbox must end empty. The seed is
//! printed; `POSTURE_FAULT_SEED` replays a run's fault mix (the order in
//! which threads draw from it still varies).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use agent_core::agent::Agent;
use posture_collector::{CollectorConfig, RunningCollector, spawn_local, spawn_local_tls};

use crate::fault_proxy::{Fault, FaultProxy};
use crate::faults::{Snapshot, agent, codes, stored, transport};
use crate::proxy::{Mode, Proxy};

const AGENTS: usize = 100;
const CHECK_INS: usize = 20;
/// Per mille of protocol requests (reports and challenges) that meet a fault.
const FAULT_RATE: u64 = 300;
/// The agents' timeout: a stall costs this much of a worker's time.
const TIMEOUT: Duration = Duration::from_millis(1500);
/// Threads driving the agents; each owns a disjoint set of agents. Many,
/// because a stalled request holds its thread until the agent's timeout.
const WORKERS: usize = 25;

fn seed() -> u64 {
    std::env::var("POSTURE_FAULT_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_f00d_2026)
}

#[test]
fn a_fleet_under_faults_stores_every_report_exactly_once() {
    fleet_under(&Fault::ALL);
}

fn fleet_under(kinds: &[Fault]) {
    let collector = spawn_local(CollectorConfig::default()).unwrap();
    let proxy = FaultProxy::start(collector.url());
    let root = tempfile::tempdir().unwrap();
    let probe = Snapshot::local();
    let transport = transport(None, TIMEOUT);
    let codes = codes(&collector, AGENTS);
    let agents: Vec<Agent> = (0..AGENTS)
        .map(|i| {
            let a = agent(
                &root.path().join(format!("agent-{i:03}")),
                probe.clone(),
                transport.clone(),
            );
            a.enrol(&proxy.url, &codes[i]).unwrap();
            a
        })
        .collect();

    let seed = seed();
    println!("fault seed {seed} (POSTURE_FAULT_SEED), {FAULT_RATE}‰ of requests, kinds {kinds:?}");
    proxy.random(seed, FAULT_RATE, kinds);
    let made = std::sync::Mutex::new(Vec::with_capacity(AGENTS * CHECK_INS));
    let delivered_in_loop = AtomicU64::new(0);
    std::thread::scope(|s| {
        for w in 0..WORKERS {
            let (agents, made, delivered) = (&agents, &made, &delivered_in_loop);
            s.spawn(move || {
                for round in 0..CHECK_INS {
                    for (i, a) in agents.iter().enumerate().skip(w).step_by(WORKERS) {
                        let out = a
                            .check_in()
                            .unwrap_or_else(|e| panic!("agent {i} round {round}: {e}"));
                        assert_eq!(
                            out.delivery.rejected,
                            vec![],
                            "agent {i} round {round}: a report was dropped"
                        );
                        delivered.fetch_add(u64::from(out.delivery.delivered), Ordering::Relaxed);
                        made.lock().unwrap().push(out.jti);
                    }
                }
            });
        }
    });
    let made = made.into_inner().unwrap();
    let queued_after_faults: u64 = agents
        .iter()
        .map(|a| a.status().unwrap().queued_reports)
        .sum();

    // Fault-free: every agent flushes until its outbox is empty. An agent
    // told Retry-After sends nothing before it, flush included: wait for the
    // last such time the agents report (seconds at most, as the proxy asks
    // for 1 s), rather than reach into the agent's clock.
    proxy.calm();
    let last_wait = agents
        .iter()
        .filter_map(|a| a.status().unwrap().server_wait_until)
        .max();
    if let Some(until) = last_wait {
        let left = until - time::OffsetDateTime::now_utc();
        if let Ok(left) = Duration::try_from(left) {
            assert!(left.as_secs() < 5, "an agent waits until {until}");
            std::thread::sleep(left);
        }
    }
    let mut flush_rounds = 0;
    for (i, a) in agents.iter().enumerate() {
        // A round stops at a failure (a request slower than the short
        // timeout on a busy machine): the next round resends.
        for _ in 0..10 {
            let out = a.flush().unwrap();
            flush_rounds += 1;
            assert_eq!(out.rejected, vec![], "agent {i}: a report was dropped");
            if out.still_queued == 0 {
                break;
            }
        }
        let status = a.status().unwrap();
        assert_eq!(status.queued_reports, 0, "agent {i}: outbox not empty");
        assert_eq!(status.evicted_reports, 0, "agent {i}: reports evicted");
    }

    let protocol_errors: u64 = agents
        .iter()
        .map(|a| a.status().unwrap().protocol_errors)
        .sum();
    let records = stored(&collector);
    let stored_jtis: HashSet<&str> = records.iter().map(|r| r.jti.as_str()).collect();
    let made_jtis: HashSet<&str> = made.iter().map(String::as_str).collect();
    let duplicates = records.len() - stored_jtis.len();
    let stats = proxy.stats();
    let resent: u32 = stats.forwarded.values().map(|n| n - 1).sum();
    let posts = stats.report_posts();

    println!(
        "{} agents x {} check-ins = {} reports made",
        AGENTS,
        CHECK_INS,
        made.len()
    );
    println!("faults (report posts / challenges):");
    for (kind, reports, challenges) in stats.faults() {
        println!("  {:<22} {reports:>5} / {challenges}", kind.name());
    }
    let faulted: u64 = stats.faults().iter().map(|(_, r, _)| r).sum();
    println!(
        "report posts {posts} ({faulted} faulted), retries {}, queued after the faults {queued_after_faults}, \
         delivered in the loop {}",
        posts - made.len() as u64,
        delivered_in_loop.load(Ordering::Relaxed),
    );
    println!(
        "stored {} reports, {} duplicates; {resent} reports reached the collector again after it had stored them",
        records.len(),
        duplicates
    );
    println!(
        "sent before a Retry-After ended {}; protocol errors counted by the agents {protocol_errors}; final flushes {flush_rounds}; every outbox empty",
        stats.early
    );

    assert_eq!(
        stats.early, 0,
        "reports were sent before their Retry-After ended"
    );
    assert_eq!(made_jtis.len(), AGENTS * CHECK_INS, "a jti was made twice");
    assert_eq!(duplicates, 0, "a report was stored twice");
    let lost: Vec<&&str> = made_jtis.difference(&stored_jtis).collect();
    assert!(
        lost.is_empty(),
        "{} reports lost, e.g. {:?}",
        lost.len(),
        lost.first()
    );
    assert_eq!(
        stored_jtis, made_jtis,
        "the collector holds reports nobody made"
    );
    assert_eq!(
        collector.collector().report_count().unwrap() as usize,
        made.len()
    );
    // The run is a fault run only if the faults happened.
    let by_kind: HashMap<Fault, u64> = stats
        .faults()
        .into_iter()
        .map(|(k, r, c)| (k, r + c))
        .collect();
    for kind in kinds {
        assert!(
            by_kind.get(kind).copied().unwrap_or(0) > 0,
            "no request met {kind:?}"
        );
    }
    assert!(
        faulted * 100 >= posts * 15,
        "far fewer faults than asked for"
    );
}

/// HTTPS through the raw proxy: before each round of check-ins the network
/// is, at random, fine (70 %), or answers the TLS handshake with garbage,
/// or hands the agents to an impostor whose certificate they do not trust,
/// or refuses connections. Each switch cuts the connections in use, so
/// every round's requests make new TLS handshakes.
#[test]
fn agents_over_https_survive_tls_failures_and_store_every_report_once() {
    const AGENTS: usize = 10;
    const ROUNDS: usize = 12;
    let c = spawn_local_tls(CollectorConfig::default()).unwrap();
    let impostor = spawn_local_tls(CollectorConfig::default()).unwrap();
    let host = |r: &RunningCollector| r.url().trim_start_matches("https://").to_owned();
    let proxy = Proxy::start(&host(&c));
    let url = proxy.url.replace("http://", "https://");
    let root = tempfile::tempdir().unwrap();
    let ca = c.ca_pem().unwrap().as_bytes().to_vec();
    let transport = transport(Some(ca), crate::faults::TIMEOUT);
    let probe = Snapshot::local();
    let codes = codes(&c, AGENTS);
    let agents: Vec<Agent> = (0..AGENTS)
        .map(|i| {
            let a = agent(
                &root.path().join(format!("agent-{i:02}")),
                probe.clone(),
                transport.clone(),
            );
            a.enrol(&url, &codes[i]).unwrap();
            a
        })
        .collect();

    let mut rng = seed() | 1;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut rounds: HashMap<&str, usize> = HashMap::new();
    let mut made = Vec::new();
    let mut tls_errors = 0;
    for round in 0..ROUNDS {
        // Each failure at least once, whatever the seed.
        let roll = match round {
            1 => 75,
            2 => 85,
            _ => next() % 100,
        };
        let network = match roll {
            0..70 => {
                proxy.divert(&host(&c));
                "fine"
            }
            70..80 => {
                proxy.set(Mode::Garbage);
                "garbage handshake"
            }
            80..90 => {
                proxy.divert(&host(&impostor));
                "untrusted certificate"
            }
            _ => {
                proxy.set(Mode::Refuse);
                "refused"
            }
        };
        *rounds.entry(network).or_default() += 1;
        for a in &agents {
            let out = a.check_in().unwrap();
            assert_eq!(
                out.delivery.rejected,
                vec![],
                "{network}: a report was dropped"
            );
            if out
                .delivery
                .error
                .as_deref()
                .is_some_and(|e| e.contains("TLS"))
            {
                tls_errors += 1;
            }
            made.push(out.jti);
        }
    }
    proxy.divert(&host(&c));
    for a in &agents {
        for _ in 0..10 {
            if a.flush().unwrap().still_queued == 0 {
                break;
            }
        }
        assert_eq!(a.status().unwrap().queued_reports, 0);
    }
    let records = stored(&c);
    let stored: HashSet<&str> = records.iter().map(|r| r.jti.as_str()).collect();
    let made: HashSet<&str> = made.iter().map(String::as_str).collect();
    println!(
        "{AGENTS} agents x {ROUNDS} rounds over HTTPS: rounds by network {rounds:?}; \
         {tls_errors} check-ins met a TLS failure; {} reports stored, {} duplicates",
        records.len(),
        records.len() - stored.len()
    );
    assert!(
        tls_errors >= 2 * AGENTS,
        "too few TLS failures: {tls_errors}"
    );
    assert_eq!(records.len(), stored.len(), "a report was stored twice");
    assert_eq!(stored, made, "reports lost");
    assert_eq!(impostor.collector().report_count().unwrap(), 0);
}
