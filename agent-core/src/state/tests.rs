//! Opening, locking, corruption, schema versions and wiping.

use std::path::Path;
use std::process::Command;

use time::macros::datetime;

use super::*;
use crate::protocol::Jti;

fn jti(jti: &str) -> Jti {
    Jti::new(jti).unwrap()
}

fn some_state(dir: &Path) -> State {
    let mut state = State::open(dir).unwrap();
    state
        .push(&QueuedReport::new(
            jti("jti-1"),
            "a.b.c",
            datetime!(2026-11-23 09:00 UTC),
        ))
        .unwrap();
    state
}

#[test]
fn open_creates_a_private_directory_and_wal_database() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("nested").join("state");
    let state = State::open(&dir).unwrap();
    assert!(dir.join(DB_FILE).is_file());
    let mode: String = state
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = state
        .conn
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2, "synchronous=FULL");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let perms = std::fs::metadata(&dir).unwrap().permissions();
        assert_eq!(perms.mode() & 0o777, 0o700);
    }
}

#[test]
fn a_second_open_is_locked_until_the_first_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let first = State::open(dir.path()).unwrap();
    let err = State::open(dir.path()).unwrap_err();
    assert!(
        matches!(&err, StateError::Locked { dir: d } if d == dir.path()),
        "{err}"
    );
    assert!(err.to_string().contains("another agent process"), "{err}");
    // destroy respects the lock too: it must not pull state from under an agent.
    assert!(matches!(
        State::destroy(dir.path()),
        Err(StateError::Locked { .. })
    ));
    drop(first);
    State::open(dir.path()).unwrap();
}

const CHILD_ENV: &str = "POSTURE_AGENT_STATE_LOCK_CHILD";

/// Run as a child process by the test below; does nothing otherwise.
#[test]
fn lock_child_helper() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    match State::open(Path::new(&dir)) {
        Ok(_) => println!("CHILD-OPENED"),
        Err(StateError::Locked { .. }) => println!("CHILD-LOCKED"),
        Err(e) => println!("CHILD-ERROR {e}"),
    }
}

fn open_in_child(dir: &Path) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "state::tests::lock_child_helper",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn another_process_is_locked_out_while_the_state_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let state = State::open(dir.path()).unwrap();
    let stdout = open_in_child(dir.path());
    assert!(stdout.contains("CHILD-LOCKED"), "{stdout}");
    drop(state);
    let stdout = open_in_child(dir.path());
    assert!(stdout.contains("CHILD-OPENED"), "{stdout}");
}

#[test]
fn garbage_in_the_database_file_is_corrupt_with_recovery_text() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(DB_FILE), vec![0x5a; 8192]).unwrap();
    let err = State::open(dir.path()).unwrap_err();
    let StateError::Corrupt { path, .. } = &err else {
        panic!("expected Corrupt, got {err:?}");
    };
    assert_eq!(path, &dir.path().join(DB_FILE));
    let msg = err.to_string();
    assert!(msg.contains("reset the agent"), "{msg}");
    assert!(
        msg.contains(&format!("delete its key and {}", dir.path().display())),
        "{msg}"
    );
    // The documented recovery works: destroy does not need a readable database.
    State::destroy(dir.path()).unwrap();
    State::open(dir.path()).unwrap();
}

#[test]
fn a_database_from_a_newer_agent_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    drop(some_state(dir.path()));
    let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.pragma_update(None, "user_version", schema::SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    let err = State::open(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            StateError::NewerSchema {
                found: 6,
                supported: 5,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade the agent"), "{err}");
}

#[test]
fn reopening_keeps_the_schema_and_data() {
    let dir = tempfile::tempdir().unwrap();
    drop(some_state(dir.path()));
    let state = State::open(dir.path()).unwrap();
    let version: i64 = state
        .conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::SCHEMA_VERSION);
    assert_eq!(state.stats().unwrap().queued, 1);
}

#[test]
fn wipe_removes_every_file_and_the_directory() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("state");
    let state = some_state(&dir);
    assert!(
        dir.join("state.sqlite3-wal").exists(),
        "WAL expected while open"
    );
    state.wipe().unwrap();
    assert!(!dir.exists());
    let fresh = State::open(&dir).unwrap();
    assert_eq!(fresh.stats().unwrap(), OutboxStats::default());
}

#[test]
fn destroy_leaves_foreign_files_and_tolerates_a_missing_directory() {
    let dir = tempfile::tempdir().unwrap();
    drop(some_state(dir.path()));
    std::fs::write(dir.path().join("host-app.txt"), "keep").unwrap();
    State::destroy(dir.path()).unwrap();
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["host-app.txt"]);
    State::destroy(&dir.path().join("never-created")).unwrap();
}

#[test]
fn a_damaged_page_is_found_by_check_integrity() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = State::open(dir.path()).unwrap();
    for n in 0..50 {
        let r = QueuedReport::new(
            jti(&format!("jti-{n}")),
            "x".repeat(4000),
            datetime!(2026-11-23 09:00 UTC),
        );
        state.push(&r).unwrap();
    }
    state.check_integrity().unwrap();
    // Closing the last connection checkpoints the WAL into the main file.
    drop(state);
    let path = dir.path().join(DB_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 64 * 1024);
    // Leave the header and schema page alone; smash b-tree pages after them.
    bytes[8192..40960].fill(0xa5);
    std::fs::write(&path, bytes).unwrap();

    let state = State::open(dir.path()).unwrap();
    let err = state.check_integrity().unwrap_err();
    assert!(matches!(err, StateError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("reset the agent"), "{err}");
}

#[test]
fn a_batch_commits_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = State::open(dir.path()).unwrap();
    let at = datetime!(2026-11-20 09:30 UTC);
    // A failing batch leaves nothing behind.
    let failed = state.batch(|s| {
        s.push(&QueuedReport::new(jti("j1"), "t1", at))?;
        s.set_last_checkin(at)?;
        Err::<(), _>(StateError::NotEnrolled)
    });
    assert!(matches!(failed, Err(StateError::NotEnrolled)));
    assert_eq!(state.stats().unwrap().queued, 0);
    assert_eq!(state.last_checkin().unwrap(), None);
    // A succeeding one keeps everything, also across a reopen.
    state
        .batch(|s| {
            s.push(&QueuedReport::new(jti("j2"), "t2", at))?;
            s.set_last_checkin(at)
        })
        .unwrap();
    drop(state);
    let state = State::open(dir.path()).unwrap();
    assert_eq!(state.stats().unwrap().queued, 1);
    assert_eq!(state.last_checkin().unwrap(), Some(at));
}

#[test]
fn an_empty_or_truncated_database_is_damaged_not_a_fresh_state() {
    let dir = tempfile::tempdir().unwrap();
    drop(some_state(dir.path()));
    std::fs::write(dir.path().join(DB_FILE), b"").unwrap();
    for name in DB_SIDE_FILES {
        let _ = std::fs::remove_file(dir.path().join(name));
    }
    let err = State::open(dir.path()).unwrap_err();
    assert!(matches!(err, StateError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("empty or was truncated"), "{err}");
    // Nothing was rewritten: the evidence stays for whoever looks.
    assert_eq!(
        std::fs::metadata(dir.path().join(DB_FILE)).unwrap().len(),
        0
    );
    State::destroy(dir.path()).unwrap();
    assert_eq!(State::open(dir.path()).unwrap().stats().unwrap().queued, 0);
}

fn old_verdicts() -> VerdictRecord {
    let at = datetime!(2026-11-02 10:00 UTC);
    let posture = crate::posture::Posture::unknown(crate::Platform::Android, "old", at);
    let verdict = crate::policy::evaluate(&posture, &crate::policy::Policy::default_policy(), at);
    VerdictRecord {
        local: Some(verdict.clone()),
        server: Some(ServerVerdict {
            verdict,
            freshness: crate::protocol::Freshness::Current,
            accepted_at: at,
            next_checkin_at: at + time::Duration::hours(1),
        }),
    }
}

#[test]
fn a_state_from_schema_1_is_upgraded_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
        conn.execute(
            "INSERT INTO outbox (jti, token, bytes, created_at, next_attempt_at)
             VALUES ('old-1', 'a.b.c', 5, 0, 0)",
            [],
        )
        .unwrap();
        // Policy and verdicts as an older agent stored them: JSON text.
        conn.execute(
            "UPDATE agent SET policy_json = ?1, policy_updated_at = 0,
                 verdict_json = ?2, verdict_at = 0 WHERE id = 1",
            [
                crate::policy::Policy::default_policy().to_json(),
                serde_json::to_string(&old_verdicts()).unwrap(),
            ],
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    }
    let mut state = State::open(dir.path()).unwrap();
    assert_eq!(
        state.policy().unwrap(),
        Some(crate::policy::Policy::default_policy())
    );
    assert_eq!(state.verdicts().unwrap(), old_verdicts());
    assert_eq!(state.stats().unwrap().queued, 1);
    assert_eq!(state.key_name().unwrap(), None);
    assert_eq!(state.protocol_errors_total().unwrap(), 0);
    state.set_key_name(Some("device-key-x")).unwrap();
    state.count_protocol_error().unwrap();
    drop(state);
    let state = State::open(dir.path()).unwrap();
    assert_eq!(state.key_name().unwrap().as_deref(), Some("device-key-x"));
    assert_eq!(state.protocol_errors_total().unwrap(), 1);
    assert!(!state.key_attestation_requested().unwrap());
}

#[test]
fn a_key_attestation_request_is_kept_with_the_enrolment() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = State::open(dir.path()).unwrap();
    assert!(!state.key_attestation_requested().unwrap());
    assert!(matches!(
        state.set_key_attestation_requested(true),
        Err(StateError::NotEnrolled)
    ));
    state
        .set_enrolment(&Enrolment {
            server_url: "https://collector.example".into(),
            device_id: crate::protocol::DeviceId::new("dev_1").unwrap(),
            kid: "kid-1".into(),
            enrolled_at: datetime!(2026-11-23 09:00 UTC),
            checkin_interval_secs: 3600,
            next_nonce: None,
            next_nonce_expires_at: None,
        })
        .unwrap();
    assert!(!state.key_attestation_requested().unwrap());
    state.set_key_attestation_requested(true).unwrap();
    drop(state);
    let mut state = State::open(dir.path()).unwrap();
    assert!(state.key_attestation_requested().unwrap());
    state.reset().unwrap();
    assert!(!state.key_attestation_requested().unwrap());
}

#[test]
fn a_state_from_schema_2_is_upgraded_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
        conn.execute_batch(schema::MIGRATIONS[1]).unwrap();
        conn.execute(
            "UPDATE agent SET key_name = 'device-key-y' WHERE id = 1",
            [],
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
    }
    let mut state = State::open(dir.path()).unwrap();
    assert_eq!(state.key_name().unwrap().as_deref(), Some("device-key-y"));
    assert_eq!(state.attestation_result().unwrap(), None);
    state.set_attestation_result(Some("a.b.c")).unwrap();
    drop(state);
    let state = State::open(dir.path()).unwrap();
    assert_eq!(
        state.attestation_result().unwrap().as_deref(),
        Some("a.b.c")
    );
}

#[cfg(unix)]
#[test]
fn every_database_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let state = some_state(dir.path());
    for name in std::iter::once(DB_FILE).chain(DB_SIDE_FILES) {
        let path = dir.path().join(name);
        if let Ok(meta) = std::fs::metadata(&path) {
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
        }
    }
    drop(state);
    // A database an older agent left at 0644 is made private on open.
    let db = dir.path().join(DB_FILE);
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(State::open(dir.path()).unwrap());
    assert_eq!(
        std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn a_read_only_view_reads_beside_the_lock_holder_and_never_writes() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = some_state(dir.path());
    let mut view = State::open_read_only(dir.path()).unwrap();
    assert!(view.is_read_only());
    assert_eq!(view.stats().unwrap().queued, 1);
    // The writer goes on; the view sees its commits.
    writer
        .push(&QueuedReport::new(
            jti("jti-2"),
            "d.e.f",
            datetime!(2026-11-23 10:00 UTC),
        ))
        .unwrap();
    assert_eq!(view.stats().unwrap().queued, 2);
    let err = view.set_key_name(Some("x")).unwrap_err();
    assert!(matches!(err, StateError::ReadOnly { .. }), "{err:?}");
    assert!(matches!(
        view.batch(|s| s.count_protocol_error()),
        Err(StateError::ReadOnly { .. })
    ));
    // No state yet: nothing to view, and nothing is created.
    let empty = tempfile::tempdir().unwrap();
    assert!(State::open_read_only(empty.path()).is_err());
    assert!(!empty.path().join(DB_FILE).exists());
}

#[test]
fn destroy_clears_whatever_sits_where_state_files_belong() {
    let dir = tempfile::tempdir().unwrap();
    drop(some_state(dir.path()));
    // A directory where the database and the lock file should be, and a
    // garbage secrets file and a leftover temporary file.
    std::fs::remove_file(dir.path().join(DB_FILE)).unwrap();
    std::fs::create_dir_all(dir.path().join(DB_FILE).join("inner")).unwrap();
    std::fs::remove_file(dir.path().join(lock::LOCK_FILE)).unwrap();
    std::fs::create_dir(dir.path().join(lock::LOCK_FILE)).unwrap();
    std::fs::write(dir.path().join("secrets.json"), b"\x00garbage").unwrap();
    std::fs::write(dir.path().join(".secrets.json.tmp-123"), b"{").unwrap();
    State::destroy(dir.path()).unwrap();
    assert!(
        !dir.path().exists(),
        "every state file and the directory go"
    );
}
