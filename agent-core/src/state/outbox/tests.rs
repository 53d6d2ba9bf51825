use std::time::Duration;

use time::macros::datetime;

use super::*;
use crate::state::backoff::{CAP, ceiling};

const T0: OffsetDateTime = datetime!(2026-11-23 09:00 UTC);

fn j(jti: &str) -> Jti {
    Jti::new(jti).unwrap()
}

fn at(secs: i64) -> OffsetDateTime {
    T0 + time::Duration::seconds(secs)
}

fn report(n: i64, token_len: usize) -> QueuedReport {
    QueuedReport::new(j(&format!("jti-{n}")), "t".repeat(token_len), at(n))
}

fn jtis(reports: &[QueuedReport]) -> Vec<&str> {
    reports.iter().map(|r| r.jti.as_str()).collect()
}

fn open_with(dir: &std::path::Path, max_reports: u32, max_bytes: u64) -> State {
    State::open_with_limits(
        dir,
        OutboxLimits {
            max_reports,
            max_bytes,
        },
    )
    .unwrap()
}

#[test]
fn push_round_trips_and_persists() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = State::open(dir.path()).unwrap();
    let r = report(1, 40);
    assert_eq!(state.push(&r).unwrap(), PushOutcome::default());
    drop(state);
    let state = State::open(dir.path()).unwrap();
    assert_eq!(state.all().unwrap(), vec![r]);
}

#[test]
fn pushing_the_same_jti_twice_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = State::open(dir.path()).unwrap();
    let first = report(1, 10);
    state.push(&first).unwrap();
    let mut again = first.clone();
    again.token = "different".into();
    let outcome = state.push(&again).unwrap();
    assert_eq!(
        outcome,
        PushOutcome {
            evicted: 0,
            already_queued: true
        }
    );
    assert_eq!(state.all().unwrap(), vec![first]);
}

#[test]
fn evicts_oldest_by_count_and_counts_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = open_with(dir.path(), 3, 1 << 20);
    // Pushed out of created_at order: eviction follows age, not arrival.
    for n in [2, 1, 3] {
        assert_eq!(state.push(&report(n, 10)).unwrap().evicted, 0);
    }
    assert_eq!(state.push(&report(4, 10)).unwrap().evicted, 1);
    assert_eq!(jtis(&state.all().unwrap()), ["jti-2", "jti-3", "jti-4"]);
    drop(state);

    let mut state = open_with(dir.path(), 3, 1 << 20);
    assert_eq!(state.stats().unwrap().evicted_total, 1);
    assert_eq!(state.push(&report(5, 10)).unwrap().evicted, 1);
    drop(state);
    let state = State::open(dir.path()).unwrap();
    let stats = state.stats().unwrap();
    assert_eq!(stats.evicted_total, 2);
    assert_eq!(stats.queued, 3);
    assert_eq!(stats.oldest_created_at, Some(at(3)));
}

#[test]
fn evicts_as_many_oldest_as_the_byte_bound_needs() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = open_with(dir.path(), 100, 100);
    for n in 1..=4 {
        state.push(&report(n, 25)).unwrap();
    }
    assert_eq!(state.stats().unwrap().bytes, 100);
    // 60 more bytes: the three oldest (75 bytes) go, leaving 25 + 60.
    let outcome = state.push(&report(5, 60)).unwrap();
    assert_eq!(outcome.evicted, 3);
    assert_eq!(jtis(&state.all().unwrap()), ["jti-4", "jti-5"]);
    let stats = state.stats().unwrap();
    assert_eq!((stats.bytes, stats.evicted_total), (85, 3));
    drop(state);
    assert_eq!(
        State::open(dir.path())
            .unwrap()
            .stats()
            .unwrap()
            .evicted_total,
        3
    );
}

#[test]
fn a_report_larger_than_the_byte_bound_is_rejected_and_nothing_evicted() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = open_with(dir.path(), 10, 100);
    state.push(&report(1, 100)).unwrap();
    let err = state.push(&report(2, 101)).unwrap_err();
    assert!(
        matches!(
            err,
            StateError::ReportTooLarge {
                bytes: 101,
                limit: 100,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("max_bytes"), "{err}");
    assert_eq!(state.stats().unwrap().queued, 1);
}

#[test]
fn zero_limits_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let limits = OutboxLimits {
        max_reports: 0,
        max_bytes: 1,
    };
    let err = State::open_with_limits(dir.path(), limits).unwrap_err();
    assert!(
        matches!(
            err,
            StateError::Invalid {
                what: "outbox limits",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn due_is_oldest_first_and_respects_next_attempt_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = State::open(dir.path()).unwrap();
    for n in [3, 1, 2, 10] {
        state.push(&report(n, 10)).unwrap();
    }
    assert_eq!(
        jtis(&state.due(at(5), 10).unwrap()),
        ["jti-1", "jti-2", "jti-3"]
    );
    assert_eq!(jtis(&state.due(at(5), 2).unwrap()), ["jti-1", "jti-2"]);
    assert_eq!(state.due(at(0), 10).unwrap(), vec![]);
}

#[test]
fn ack_removes_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = State::open(dir.path()).unwrap();
    state.push(&report(1, 10)).unwrap();
    assert!(state.ack(&j("jti-1")).unwrap());
    assert!(!state.ack(&j("jti-1")).unwrap());
    assert_eq!(state.stats().unwrap().queued, 0);
}

#[test]
fn record_failure_backs_off_within_bounds_and_delays_due() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = State::open(dir.path()).unwrap();
    state.push(&report(1, 10)).unwrap();
    state.push(&report(2, 10)).unwrap();
    let now = at(100);
    for attempt in 1..=12 {
        let next = state
            .record_failure(&j("jti-1"), now, None, "503 from server")
            .unwrap()
            .unwrap();
        assert!(next >= now, "attempt {attempt}: {next}");
        assert!(
            next - now <= ceiling(attempt),
            "attempt {attempt}: {}",
            next - now
        );
    }
    let stored = &state.all().unwrap()[0];
    assert_eq!(stored.attempts, 12);
    assert_eq!(stored.last_error.as_deref(), Some("503 from server"));
    // After the last failure jti-1 is due no later than CAP from now.
    assert_eq!(jtis(&state.due(now + CAP, 10).unwrap()), ["jti-1", "jti-2"]);
}

#[test]
fn record_failure_never_retries_before_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = State::open(dir.path()).unwrap();
    state.push(&report(1, 10)).unwrap();
    let now = at(100);
    let retry_after = Duration::from_secs(120);
    let next = state
        .record_failure(&j("jti-1"), now, Some(retry_after), "429")
        .unwrap()
        .unwrap();
    // The first backoff is at most 5 s, so Retry-After decides.
    assert_eq!(next, now + retry_after);
    assert_eq!(
        state.due(now + Duration::from_secs(119), 10).unwrap(),
        vec![]
    );
    assert_eq!(state.due(now + retry_after, 10).unwrap().len(), 1);
}

#[test]
fn record_failure_on_a_gone_report_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = State::open(dir.path()).unwrap();
    assert_eq!(
        state.record_failure(&j("nope"), T0, None, "x").unwrap(),
        None
    );
}

#[test]
fn long_errors_are_truncated_on_a_char_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = State::open(dir.path()).unwrap();
    state.push(&report(1, 10)).unwrap();
    let long = "é".repeat(MAX_ERROR_LEN);
    state.record_failure(&j("jti-1"), T0, None, &long).unwrap();
    let stored = state.all().unwrap().remove(0).last_error.unwrap();
    assert!(stored.len() <= MAX_ERROR_LEN && stored.len() >= MAX_ERROR_LEN - 1);
}

#[test]
fn debug_output_hides_the_token() {
    let r = QueuedReport::new(j("jti-1"), "eyJhbGciOiJFUzI1NiJ9.secret-posture.sig", T0);
    let debug = format!("{r:?}");
    assert!(!debug.contains("secret-posture"), "{debug}");
    assert!(debug.contains("jti-1"));
}

#[test]
fn the_due_query_is_prepared_once_whatever_its_bound_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = open_with(dir.path(), 10, 1 << 20);
    state.push(&report(1, 100)).unwrap();
    for (now, limit) in [(at(0), 1), (at(5), 7), (at(60), 100), (at(3600), 2)] {
        state.due(now, limit).unwrap();
    }
    let stmt = state.conn.prepare_cached(&due_sql()).unwrap();
    assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
}
