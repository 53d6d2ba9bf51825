//! Schema v5: the failure history and the working hours, migrated from v4,
//! kept across opens and cleared by a reset.

use rusqlite::Connection;
use time::macros::datetime;

use super::*;
use crate::policy::{FailureHistory, RuleId};
use crate::quiet_hours::WorkingHours;

#[test]
fn a_state_from_schema_4_gains_the_history_and_working_hours() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        for sql in &schema::MIGRATIONS[..4] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute(
            "UPDATE agent SET attestation_result = 'a.b.c' WHERE id = 1",
            [],
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 4).unwrap();
    }
    let mut state = State::open(dir.path()).unwrap();
    assert_eq!(
        state.attestation_result().unwrap().as_deref(),
        Some("a.b.c")
    );
    assert_eq!(state.failure_history().unwrap(), FailureHistory::new());
    assert_eq!(state.working_hours().unwrap(), None);

    let mut history = FailureHistory::new();
    history.insert(RuleId::ScreenLock, datetime!(2026-11-20 09:00 UTC));
    history.insert(RuleId::StorageEncryption, datetime!(2026-11-21 10:30 UTC));
    state.set_failure_history(&history).unwrap();
    let hours = WorkingHours::new("19:00", "07:30", "Europe/London").unwrap();
    state.set_working_hours(Some(&hours)).unwrap();
    drop(state);

    let mut state = State::open(dir.path()).unwrap();
    assert_eq!(state.failure_history().unwrap(), history);
    assert_eq!(state.working_hours().unwrap(), Some(hours));
    // Replaced whole: a rule that passed is gone.
    let mut fewer = FailureHistory::new();
    fewer.insert(RuleId::ScreenLock, datetime!(2026-11-20 09:00 UTC));
    state.set_failure_history(&fewer).unwrap();
    assert_eq!(state.failure_history().unwrap(), fewer);
    state.set_working_hours(None).unwrap();
    assert_eq!(state.working_hours().unwrap(), None);

    // Unenrolling (reset) deletes both.
    state.set_failure_history(&history).unwrap();
    state
        .set_working_hours(Some(
            &WorkingHours::new("09:00", "17:00", "Europe/London").unwrap(),
        ))
        .unwrap();
    state.reset().unwrap();
    assert_eq!(state.failure_history().unwrap(), FailureHistory::new());
    assert_eq!(state.working_hours().unwrap(), None);
}

#[test]
fn damaged_working_hours_are_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    drop(State::open(dir.path()).unwrap());
    let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.execute(
        "UPDATE agent SET working_hours_json = '{\"start\": 9}' WHERE id = 1",
        [],
    )
    .unwrap();
    drop(conn);
    let state = State::open(dir.path()).unwrap();
    let e = state.working_hours().unwrap_err().to_string();
    assert!(e.contains("working hours"), "{e}");
}
