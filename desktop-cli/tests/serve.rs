//! `posture-agent serve`: starts, prints what a tester needs, answers,
//! and stops cleanly on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use agent_core::protocol::{FleetSummary, paths};
use agent_core::transport::{HttpRequest, HttpTransport, Transport, TransportConfig};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_posture-agent"))
}

#[test]
fn serve_prints_url_token_and_codes_then_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--issue-codes",
            "2",
            "--db",
        ])
        .arg(dir.path().join("c.sqlite3"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut url = None;
    let mut token = None;
    let mut codes = 0;
    while codes < 2 {
        let line = lines.next().unwrap().unwrap();
        if let Some(u) = line.strip_prefix("collector listening on ") {
            url = Some(u.to_owned());
        } else if let Some(t) = line.strip_prefix("admin token: ") {
            token = Some(t.to_owned());
        } else if let Some(code) = line.strip_prefix("enrolment code: ") {
            // RFC 3339, to the second, in UTC.
            let expires = code
                .split_once(" (expires ")
                .and_then(|(_, e)| e.strip_suffix(')'))
                .unwrap_or_else(|| panic!("{line}"));
            let parsed = time::OffsetDateTime::parse(
                expires,
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(parsed.nanosecond(), 0, "{line}");
            assert!(expires.ends_with('Z'), "{line}");
            codes += 1;
        }
    }
    let (url, token) = (url.unwrap(), token.unwrap());
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let http = HttpTransport::new(TransportConfig::default()).unwrap();
    let r = http
        .send(
            HttpRequest::get(format!("{url}{}", paths::FLEET))
                .with_header("authorization", &format!("Bearer {token}")),
        )
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    let fleet: FleetSummary = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(fleet.total, 0);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn serve_refuses_plain_http_off_loopback() {
    let out = bin()
        .args([
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--allow-remote",
            "--db",
            "unused.sqlite3",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only on loopback"));
    let out = bin()
        .args(["serve", "--listen", "0.0.0.0:0", "--db", "unused.sqlite3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-remote"));
}

/// Under umask 000, every file and folder `serve` makes still has a mode
/// that keeps others out (and `ca.pem` readable but not writable by them);
/// a second `serve` on the same state directory stops at once.
#[cfg(unix)]
#[test]
fn serve_sets_modes_whatever_the_umask_and_locks_its_database() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let ca = dir.path().join("dev-ca");
    let serve_in = |state: &std::path::Path| {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg("umask 000 && exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_posture-agent"))
            .arg("--state-dir")
            .arg(state)
            .args(["serve", "--listen", "127.0.0.1:0", "--dev-self-signed"])
            .arg(&ca)
            .env_remove("RUST_LOG");
        c
    };
    let mut first = serve_in(&state)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(first.stdout.take().unwrap()).lines();
    let ready = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.starts_with("dev CA "));
    assert!(ready.is_some(), "serve did not start");

    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let db = state.join("collector.sqlite3");
    assert_eq!(mode(&state), 0o700, "state directory");
    for file in [
        db.clone(),
        state.join("collector.sqlite3-wal"),
        state.join("collector.sqlite3-shm"),
        state.join("collector.sqlite3.lock"),
    ] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    assert_eq!(mode(&ca), 0o700, "dev CA directory");
    assert_eq!(mode(&ca.join("ca.pem")), 0o644, "ca.pem");
    let in_ca: Vec<_> = std::fs::read_dir(&ca)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(in_ca, ["ca.pem"], "the CA's key is never written");

    let second = serve_in(&state).output().unwrap();
    assert_eq!(second.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("another collector is already using")
            && stderr.contains("collector.sqlite3"),
        "{stderr}"
    );

    let killed = Command::new("kill")
        .args(["-TERM", &first.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(first.wait().unwrap().code(), Some(0));
    // Once the first has stopped, the database can be served again.
    let mut again = serve_in(&state)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(again.stdout.take().unwrap()).lines();
    assert!(
        lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.starts_with("dev CA "))
    );
    again.kill().unwrap();
    again.wait().unwrap();
}

/// Starts `serve` with `extra` arguments; returns the child (the caller
/// waits for it), its URL and one code.
#[allow(clippy::zombie_processes)]
fn serve_with(dir: &std::path::Path, extra: &[&str]) -> (std::process::Child, String, String) {
    let mut child = bin()
        .args(["serve", "--listen", "127.0.0.1:0", "--issue-codes", "1"])
        .args(extra)
        .arg("--db")
        .arg(dir.join("c.sqlite3"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut url = None;
    loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(u) = line.strip_prefix("collector listening on ") {
            url = Some(u.to_owned());
        } else if let Some(rest) = line.strip_prefix("enrolment code: ") {
            let code = rest.split(' ').next().unwrap().to_owned();
            return (child, url.unwrap(), code);
        }
    }
}

fn attestation_root_pem() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../attestation/roots/android-software-root.pem")
}

#[test]
fn serve_takes_the_key_attestation_flags_and_requires_a_chain_for_android() {
    let dir = tempfile::tempdir().unwrap();
    let status = dir.path().join("status.json");
    std::fs::write(&status, r#"{"entries": {}}"#).unwrap();
    let roots = attestation_root_pem();
    let (mut child, url, code) = serve_with(
        dir.path(),
        &[
            "--attestation-roots",
            roots.to_str().unwrap(),
            "--attestation-status",
            status.to_str().unwrap(),
            "--require-key-attestation",
            "android",
            "--allow-software-attestation",
        ],
    );
    let jwk = serde_json::json!({
        "kty": "EC", "crv": "P-256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
    });
    let http = HttpTransport::new(TransportConfig::default()).unwrap();
    let enrol = |platform: &str| {
        let body = serde_json::json!({
            "code": code, "jwk": jwk, "platform": platform, "agent_version": "0.1.0"
        });
        http.send(HttpRequest::post(
            format!("{url}{}", paths::ENROL),
            "application/json",
            serde_json::to_vec(&body).unwrap(),
        ))
        .unwrap()
    };
    let r = enrol("android");
    assert_eq!(r.status, 403, "{r:?}");
    assert!(
        String::from_utf8_lossy(&r.body).contains("key-attestation-rejected"),
        "{r:?}"
    );
    // The refusal did not use the code up; Linux needs no chain.
    assert_eq!(enrol("linux").status, 201);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn serve_refuses_to_start_on_an_unreadable_status_list_or_roots_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "not json").unwrap();
    for (flag, needle) in [
        ("--attestation-status", "status list"),
        ("--attestation-roots", "attestation roots"),
    ] {
        let out = bin()
            .args(["serve", "--listen", "127.0.0.1:0", flag])
            .arg(&bad)
            .arg("--db")
            .arg(dir.path().join("c.sqlite3"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(needle), "{flag}: {stderr}");
    }
}

#[test]
fn serve_takes_the_app_attest_flags_and_requires_app_attest_for_ios() {
    use agent_core::keys::{DeviceSigner, SoftwareSigner};
    use agent_core::protocol::app_attest::enrol_client_data_hash;
    use agent_core::protocol::{AppAttestEvidence, EnrolmentCode};
    use posture_attestation::app_attest::AAGUID_DEVELOPMENT;
    use posture_attestation::app_attest::testing::{Spec, TestCa, TestDevice};

    const APP_ID: &str = "ABCDE12345.org.example.posture";
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new().unwrap();
    let root = dir.path().join("app-attest-root.pem");
    std::fs::write(&root, ca.root_pem()).unwrap();
    let (mut child, url, code) = serve_with(
        dir.path(),
        &[
            "--app-attest-app-id",
            APP_ID,
            "--app-attest-root",
            root.to_str().unwrap(),
            "--allow-app-attest-development",
            "--require-key-attestation",
            "ios",
        ],
    );
    let signer = SoftwareSigner::ephemeral().unwrap();
    let jwk = signer.public_jwk().unwrap();
    let http = HttpTransport::new(TransportConfig::default()).unwrap();
    let enrol = |app_attest: Option<AppAttestEvidence>| {
        let mut body = serde_json::json!({
            "code": code, "jwk": jwk, "platform": "ios", "agent_version": "0.1.0"
        });
        if let Some(a) = app_attest {
            body["app_attest"] = serde_json::to_value(a).unwrap();
        }
        http.send(HttpRequest::post(
            format!("{url}{}", paths::ENROL),
            "application/json",
            serde_json::to_vec(&body).unwrap(),
        ))
        .unwrap()
    };
    let r = enrol(None);
    assert_eq!(r.status, 403, "{r:?}");
    let body = String::from_utf8_lossy(&r.body);
    assert!(body.contains("key-attestation-rejected"), "{body}");
    assert!(body.contains("requires Apple App Attest"), "{body}");

    // A development object under the test root, for this app, this code
    // and this key: accepted only because every flag reached the collector.
    let device = TestDevice::new().unwrap();
    let spec = Spec {
        aaguid: AAGUID_DEVELOPMENT,
        ..Spec::valid(APP_ID, time::OffsetDateTime::now_utc())
    };
    let hash = enrol_client_data_hash(&EnrolmentCode::new(&code), &jwk);
    let object = ca.attest(&device, &hash, &spec).unwrap();
    let r = enrol(Some(AppAttestEvidence::new(device.key_id_text(), &object)));
    assert_eq!(r.status, 201, "{r:?}");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn serve_refuses_a_bad_app_id_and_ios_required_without_one() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (
            &["--app-attest-app-id", "org.example.posture"][..],
            "is not TEAMID.BUNDLEID",
        ),
        (
            &["--require-key-attestation", "ios"][..],
            "--app-attest-app-id",
        ),
    ] {
        let out = bin()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .arg("--db")
            .arg(dir.path().join("c.sqlite3"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}
