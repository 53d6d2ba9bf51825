//! One check-in end to end on loopback: collect, evaluate, sign, commit to
//! the outbox (fsync), POST over HTTP to the reference collector, which
//! verifies, re-evaluates and commits (fsync), then the ack applied.

use std::sync::Arc;

use agent_core::agent::{Agent, AgentConfig, KeySource};
use agent_core::keys::store::MemoryStore;
use agent_core::state::OutboxLimits;
use criterion::{Criterion, criterion_group, criterion_main};
use posture_collector::{CollectorConfig, spawn_local};

fn bench(c: &mut Criterion) {
    let Some(probe) = agent_core::probe::local_probe() else {
        eprintln!("no local probe for this OS; nothing to measure");
        return;
    };
    let Ok(collector) = spawn_local(CollectorConfig::default()) else {
        eprintln!("the collector did not start");
        return;
    };
    let Ok(dir) = tempfile::tempdir() else { return };
    let config = AgentConfig {
        state_dir: dir.path().join("state"),
        probe: Arc::from(probe),
        keys: KeySource::Software(Arc::new(MemoryStore::default())),
        transport: None,
        extra_ca_pem: None,
        outbox_limits: OutboxLimits::default(),
    };
    let Ok(agent) = Agent::open(config) else {
        return;
    };
    let Ok(codes) = collector.collector().issue_codes(1, None) else {
        return;
    };
    let Some(code) = codes.first() else { return };
    if let Err(e) = agent.enrol(collector.url(), code.code.expose()) {
        eprintln!("enrolment failed: {e}");
        return;
    }
    c.bench_function("check_in_end_to_end", |b| {
        b.iter(|| {
            let out = agent.check_in();
            assert!(
                matches!(&out, Ok(o) if o.delivery.delivered == 1),
                "{out:?}"
            );
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
