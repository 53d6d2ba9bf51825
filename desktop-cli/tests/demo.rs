//! `posture-agent demo`: the quick start's main job, run for real.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

#[test]
fn demo_enrols_this_machine_checks_in_and_can_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("demo");
    for round in 0..2 {
        let out = Command::new(env!("CARGO_BIN_EXE_posture-agent"))
            .args([
                "--state-dir",
                state.to_str().unwrap(),
                "--key-store",
                "file",
                "demo",
            ])
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "round {round}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("Collector listening at https://127.0.0.1:"),
            "{stdout}"
        );
        assert!(
            stdout.contains("The collector's verdict (current report)"),
            "{stdout}"
        );
        assert!(
            stdout.contains("Delivered 1 report; 0 still queued."),
            "{stdout}"
        );
        assert!(stdout.contains("holds 1 device:"), "{stdout}");
        // The report as the collector stored it, checked, not a new one.
        let jti = stdout
            .lines()
            .find_map(|l| l.strip_prefix("Exactly what was sent: report "))
            .and_then(|rest| rest.split(',').next())
            .unwrap_or_else(|| panic!("no stored report shown: {stdout}"));
        let start = stdout.find("\n{\n").unwrap() + 1;
        let end = start + stdout[start..].find("\n}\n").unwrap() + 2;
        let claims: serde_json::Value = serde_json::from_str(&stdout[start..end]).unwrap();
        assert_eq!(claims["jti"], jti, "{stdout}");
        assert_eq!(claims["posture"]["platform"], std::env::consts::OS);
        let device = stdout
            .lines()
            .find_map(|l| l.strip_prefix("3. This machine enrolled as device "))
            .and_then(|rest| rest.split(' ').next())
            .unwrap();
        assert_eq!(claims["sub"], device, "{stdout}");
        assert!(
            stdout.contains("(built afresh, nothing sent): posture-agent preview"),
            "{stdout}"
        );
        // Not a terminal: the link is printed and the demo ends.
        assert!(
            stdout.contains("Web console: https://127.0.0.1:"),
            "{stdout}"
        );
        assert!(stdout.contains("/console/login/link?ticket="), "{stdout}");
    }
    // The state stays for inspection: enrolled (with a collector now gone), nothing queued.
    let out = Command::new(env!("CARGO_BIN_EXE_posture-agent"))
        .args([
            "--state-dir",
            state.to_str().unwrap(),
            "--key-store",
            "file",
            "status",
            "--json",
        ])
        .output()
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["state"], "enrolled");
    assert_eq!(status["queued_reports"], 0);
}
