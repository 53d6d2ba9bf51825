//! Store selection without a D-Bus session: `Auto` falls back to the file
//! store with a warning, and an explicit `Keychain` is an `Unavailable`
//! error. The checks run in a child process whose D-Bus address points at a
//! socket that does not exist, so no other test's environment changes.
#![cfg(all(target_os = "linux", feature = "keychain"))]

use std::path::{Path, PathBuf};
use std::process::Command;

use agent_core::keys::store::{StoreChoice, StoreError, open_store};

/// Set in the child: the directory it may write to.
const CHILD_DIR: &str = "POSTURE_AGENT_FALLBACK_TEST_DIR";
const TEST_NAME: &str = "auto_falls_back_to_the_file_store_without_a_dbus_session";
const DONE: &str = "fallback checks passed";

#[test]
fn auto_falls_back_to_the_file_store_without_a_dbus_session() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        child::child_checks(Path::new(&dir));
        return;
    }
    let dir = std::env::temp_dir().join(format!("posture-fallback-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, &dir)
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", dir.join("no-such-bus").display()),
        )
        // No X11 autolaunch of a bus either.
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains(DONE),
        "child failed:\n{stdout}\n{stderr}"
    );
    // One short warning, when the file is first chosen, naming it and the fix;
    // the second open (the file exists) says nothing.
    let fallback = dir.join("secrets.json").display().to_string();
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("no OS keychain is reachable"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    let warning = warnings[0];
    assert!(warning.contains(&fallback), "{warning}");
    assert!(warning.contains("--key-store keychain"), "{warning}");
    assert!(warning.len() < 300, "{} chars: {warning}", warning.len());
    let _ = std::fs::remove_dir_all(&dir);
}

/// What the child process checks; in a test module so clippy treats it as test code.
#[cfg(test)]
mod child {
    use super::*;

    pub(super) fn child_checks(dir: &Path) {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .init();
        let fallback: PathBuf = dir.join("secrets.json");

        let store = open_store(StoreChoice::Auto {
            fallback: fallback.clone(),
        })
        .unwrap();
        assert!(
            store.describe().starts_with("file "),
            "{}",
            store.describe()
        );
        store.put("device", b"key bytes").unwrap();
        assert!(fallback.exists());
        let again = open_store(StoreChoice::Auto {
            fallback: fallback.clone(),
        })
        .unwrap();
        assert!(again.describe().starts_with("file "));
        assert_eq!(
            store.get("device").unwrap().unwrap().as_slice(),
            b"key bytes"
        );

        match open_store(StoreChoice::Keychain) {
            Err(StoreError::Unavailable(msg)) => {
                assert!(msg.contains("D-Bus"), "{msg}");
                assert!(msg.contains("file store"), "{msg}");
            }
            Err(other) => panic!("expected Unavailable, got {other:?}"),
            Ok(store) => panic!("expected Unavailable, got {}", store.describe()),
        }
        println!("{DONE}");
    }
}
