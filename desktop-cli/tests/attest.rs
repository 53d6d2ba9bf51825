//! `keys show`, `attest` and `verify` through the real binary, and a check
//! that no run ever writes the private key to its logs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn state(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("posture-attest-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn agent(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_posture-agent"))
        .args([
            "--state-dir",
            dir.to_str().unwrap(),
            "--key-store",
            "file",
            "-vvv",
        ])
        .args(args)
        .env("RUST_LOG", "trace")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The private key as the file store holds it: the PKCS#8, and the
/// 32-byte scalar inside it, in the encodings a log might use.
fn secret_forms(dir: &Path) -> Vec<String> {
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("secrets.json")).unwrap()).unwrap();
    let (_, encoded) = file.as_object().unwrap().iter().next().unwrap();
    let pkcs8 = agent_core::b64::decode(encoded.as_str().unwrap()).unwrap();
    let scalar = &pkcs8[36..68];
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    vec![
        agent_core::b64::encode(&pkcs8),
        agent_core::b64::encode(scalar),
        hex(scalar),
        format!("{scalar:?}"),
    ]
}

#[test]
fn attest_then_verify_and_no_secret_in_any_output() {
    let dir = state("roundtrip");
    let show = agent(&dir, &["keys", "show"], None);
    assert_eq!(show.status.code(), Some(0), "{}", text(&show.stderr));
    let jwk: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert!(jwk.get("d").is_none(), "keys show printed a private key");
    assert_eq!(jwk["kid"].as_str().unwrap().len(), 43);
    // The same key the second time.
    let again: serde_json::Value =
        serde_json::from_slice(&agent(&dir, &["keys", "show"], None).stdout).unwrap();
    assert_eq!(again["kid"], jwk["kid"]);
    let jwk_path = dir.join("device.jwk");
    std::fs::write(&jwk_path, &show.stdout).unwrap();
    let jwk_arg = jwk_path.to_str().unwrap();

    let attest = agent(&dir, &["attest", "--nonce", "nonce-for-test-1"], None);
    assert_eq!(attest.status.code(), Some(0), "{}", text(&attest.stderr));
    let token = text(&attest.stdout);
    assert_eq!(token.trim().split('.').count(), 3);

    let ok = agent(
        &dir,
        &["verify", "--jwk", jwk_arg, "--nonce", "nonce-for-test-1"],
        Some(&token),
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let claims: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(claims["eat_nonce"], "nonce-for-test-1");
    assert_eq!(claims["sub"], jwk["kid"]);
    assert_eq!(claims["posture"]["schema_version"], 1);

    let wrong = agent(
        &dir,
        &[
            "verify",
            "--jwk",
            jwk_arg,
            "--nonce",
            "another-nonce-2",
            token.trim(),
        ],
        None,
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        text(&wrong.stderr).contains("invalid: eat_nonce"),
        "{}",
        text(&wrong.stderr)
    );

    let mut tampered = token.trim().to_owned();
    let mid = tampered.len() / 2;
    let c = if &tampered[mid..=mid] == "A" {
        "B"
    } else {
        "A"
    };
    tampered.replace_range(mid..=mid, c);
    let bad = agent(&dir, &["verify", "--jwk", jwk_arg, &tampered], None);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stderr));
    assert!(
        text(&bad.stderr).starts_with("invalid: ") || text(&bad.stderr).contains("\ninvalid: ")
    );

    let secrets = secret_forms(&dir);
    for out in [&show, &attest, &ok, &wrong, &bad] {
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        for s in &secrets {
            assert!(!all.contains(s.as_str()), "a run printed the private key");
        }
    }
    // The trace log was really on (so the check above saw the logs).
    assert!(
        text(&attest.stderr).contains("signed a posture report"),
        "{}",
        text(&attest.stderr)
    );
}

#[test]
fn verify_errors_exit_2() {
    let dir = state("errors");
    let missing = agent(
        &dir,
        &["verify", "--jwk", "/nonexistent/key.jwk", "a.b.c"],
        None,
    );
    assert_eq!(missing.status.code(), Some(2));
    let not_jwk = dir.join("not.jwk");
    std::fs::write(&not_jwk, r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#).unwrap();
    let rsa = agent(
        &dir,
        &["verify", "--jwk", not_jwk.to_str().unwrap(), "a.b.c"],
        None,
    );
    assert_eq!(rsa.status.code(), Some(2));
    assert!(text(&rsa.stderr).contains("P-256"), "{}", text(&rsa.stderr));
    let short = agent(&dir, &["attest", "--nonce", "short"], None);
    assert_eq!(short.status.code(), Some(2));
    assert!(
        text(&short.stderr).contains("--nonce"),
        "{}",
        text(&short.stderr)
    );
}

#[test]
#[ignore = "needs a Secret Service; run via scripts/with-keychain"]
fn keychain_keys_show_is_stable_and_leaves_no_file() {
    let dir = state("keychain");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_posture-agent"))
            .args([
                "--state-dir",
                dir.to_str().unwrap(),
                "--key-store",
                "keychain",
                "keys",
                "show",
            ])
            .output()
            .unwrap()
    };
    let (a, b) = (run(), run());
    assert_eq!(a.status.code(), Some(0), "{}", text(&a.stderr));
    assert_eq!(
        a.stdout, b.stdout,
        "the keychain gave another key the second time"
    );
    assert!(
        !dir.join("secrets.json").exists(),
        "the key went to a file, not the keychain"
    );
}

#[test]
fn damaged_state_is_a_clear_error_and_reset_recovers() {
    let dir = state("damaged");
    let show = agent(&dir, &["keys", "show"], None);
    assert_eq!(show.status.code(), Some(0));
    std::fs::write(dir.join("state.sqlite3"), b"this is not a database").unwrap();
    let status = agent(&dir, &["status"], None);
    assert_eq!(status.status.code(), Some(2));
    let err = text(&status.stderr);
    assert!(
        err.contains("corrupt or unreadable") && err.contains("reset the agent"),
        "{err}"
    );
    let reset = agent(&dir, &["reset"], None);
    assert_eq!(reset.status.code(), Some(0), "{}", text(&reset.stderr));
    assert!(!dir.join("state.sqlite3").exists());
    let secrets: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("secrets.json")).unwrap_or_else(|_| "{}".into()),
    )
    .unwrap();
    assert_eq!(secrets, serde_json::json!({}), "the key survived the reset");
    let status = agent(&dir, &["status", "--json"], None);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(v["state"], "unenrolled");
}
