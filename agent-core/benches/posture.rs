//! Collect and evaluate on this machine: the goal is ≤ 1 ms warm for both.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

use agent_core::policy::{Policy, evaluate};
use agent_core::probe::local_probe;

fn bench(c: &mut Criterion) {
    let Some(probe) = local_probe() else {
        eprintln!("no local probe for this OS; nothing to measure");
        return;
    };
    let policy = Policy::default_policy();
    let posture = probe.collect();
    let now = time::OffsetDateTime::now_utc();
    c.bench_function("collect", |b| b.iter(|| black_box(probe.collect())));
    c.bench_function("evaluate", |b| {
        b.iter(|| black_box(evaluate(black_box(&posture), &policy, now)))
    });
    c.bench_function("collect+evaluate", |b| {
        b.iter(|| {
            let p = probe.collect();
            black_box(evaluate(&p, &policy, now))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
