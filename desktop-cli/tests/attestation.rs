//! `attestation inspect` through the real binary on real device chains.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn vector(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../attestation/testdata/android-key-attestation")
        .join(name)
}

fn inspect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_posture-agent"))
        .args(["attestation", "inspect"])
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn json_output_matches_googles_decoding() {
    let pem = vector("caiman_sdk36_TEE_EC_RKP.pem");
    let out = inspect(&[
        pem.to_str().unwrap(),
        "--at",
        "2025-09-26T15:31:20Z",
        "--challenge-text",
        "d688d763-6118-4ca6-94b2-e6cd9ed7e4e4",
        "--json",
        "--reveal-ids",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut actual: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(vector("caiman_sdk36_TEE_EC_RKP.json")).unwrap(),
    )
    .unwrap();
    // Google's file for this capture leaves `areTagsOrdered` out.
    for list in ["softwareEnforced", "hardwareEnforced"] {
        actual[list]
            .as_object_mut()
            .unwrap()
            .remove("areTagsOrdered");
    }
    assert_eq!(actual, expected);
}

#[test]
fn id_values_are_withheld_unless_asked_for() {
    let pem = vector("akita_sdk34_TEE_RSA_BASE+IMEI.pem");
    let at = "2024-09-26T22:11:25Z";
    for extra in [&["--json"][..], &[]] {
        let mut args = vec![pem.to_str().unwrap(), "--at", at];
        args.extend_from_slice(extra);
        let out = inspect(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(!all.contains("351163520096208"), "IMEI printed: {all}");
        assert!(all.contains("attestationIdImei"), "{all}");
    }
    let out = inspect(&[pem.to_str().unwrap(), "--at", at, "--json", "--reveal-ids"]);
    assert!(text(&out.stdout).contains("351163520096208"));
}

#[test]
fn a_rejected_chain_exits_1_with_the_reason() {
    let out = inspect(&[vector("invalid_malformed_rot_device_locked.pem")
        .to_str()
        .unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).is_empty());
    assert!(
        text(&out.stderr).contains("deviceLocked"),
        "{}",
        text(&out.stderr)
    );

    let marlin = vector("marlin_sdk29_TEE_EC_NONE.pem");
    let marlin = marlin.to_str().unwrap();
    let at = "2019-10-29T00:21:52Z";
    let out = inspect(&[marlin, "--at", at]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("software attestation root"));
    let out = inspect(&[marlin, "--at", at, "--allow-software"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("SOFTWARE attestation"));

    let out = inspect(&[
        marlin,
        "--at",
        at,
        "--allow-software",
        "--challenge",
        "00ff",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("challenge"));
}

#[test]
fn bad_input_exits_2() {
    let dir = vector("");
    for args in [
        vec![dir.to_str().unwrap()],
        vec!["/nonexistent/chain.pem"],
        vec![
            vector("caiman_sdk36_TEE_EC_RKP.pem").to_str().unwrap(),
            "--at",
            "soon",
        ],
        vec![
            vector("caiman_sdk36_TEE_EC_RKP.pem").to_str().unwrap(),
            "--challenge",
            "abc",
        ],
    ] {
        let out = inspect(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let big = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(big.path(), vec![b'A'; 256 * 1024 + 1]).unwrap();
    let out = inspect(&[big.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("larger than"));
}
