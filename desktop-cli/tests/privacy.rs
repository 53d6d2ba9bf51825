//! `posture-agent privacy` and `--lang`: the inventory in both languages,
//! and the checked-in documents generated from it, which must not drift.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_posture-agent"))
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C.UTF-8")
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn repo(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

#[test]
fn the_checked_in_documents_are_what_the_inventory_renders() {
    for (args, path) in [
        (
            &["privacy", "--format", "xcprivacy"][..],
            "ios-shim/Sources/PostureAgentIOS/PrivacyInfo.xcprivacy",
        ),
        (
            &["privacy", "--format", "data-safety"][..],
            "docs/android-data-safety.md",
        ),
        (
            &["privacy", "--format", "leaflet", "--lang", "en"][..],
            "docs/what-your-organisation-can-see.md",
        ),
        (
            &["privacy", "--format", "leaflet", "--lang", "cy"][..],
            "docs/what-your-organisation-can-see.cy.md",
        ),
    ] {
        assert!(
            ok(args) == repo(path),
            "{path} has drifted from the privacy inventory; regenerate it with\n  {}",
            agent_core::privacy::render::REGENERATE
        );
    }
}

#[test]
fn the_inventory_as_json_lists_every_field_and_what_is_never_collected() {
    let v: serde_json::Value = serde_json::from_str(&ok(&["privacy", "--json"])).unwrap();
    assert_eq!(v["locale"], "en");
    let fields = v["fields"].as_array().unwrap();
    assert_eq!(fields.len(), agent_core::privacy::FIELDS.len());
    let version = fields
        .iter()
        .find(|f| f["payload"] == "report" && f["path"] == "posture.os.version")
        .unwrap();
    assert_eq!(version["category"], "device_security");
    assert!(
        version["why"]
            .as_str()
            .unwrap()
            .contains("security updates")
    );
    let never = v["never_collected"].as_array().unwrap();
    assert!(never.iter().any(|n| n == "location"));

    let cy: serde_json::Value =
        serde_json::from_str(&ok(&["privacy", "--json", "--lang", "cy-GB"])).unwrap();
    assert_eq!(cy["locale"], "cy");
    assert!(
        cy["never_collected"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "lleoliad")
    );
}

#[test]
fn the_text_inventory_follows_the_environment_locale_unless_told() {
    let welsh = Command::new(env!("CARGO_BIN_EXE_posture-agent"))
        .args(["privacy"])
        .env("LANG", "cy_GB.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .unwrap();
    let text = String::from_utf8(welsh.stdout).unwrap();
    assert!(text.contains("cais cofrestru:"), "{text}");
    assert!(ok(&["privacy", "--lang", "en"]).contains("enrolment request:"));
}

#[test]
fn check_reads_in_welsh_and_an_unknown_language_is_refused() {
    let profile = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/android-no-lock.toml");
    let target = format!("profile:{}", profile.display());
    let out = run(&["check", "--lang", "cy", "--target", &target]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("DDIM YN CYDYMFFURFIO"), "{text}");
    assert!(text.contains("Gosodwch glo sgrin"), "{text}");
    // The JSON keeps its ids whatever the language; only the words change.
    let out = run(&["check", "--json", "--lang", "cy", "--target", &target]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["compliance"], "non_compliant");
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "screen_lock")
    );

    let bad = run(&["check", "--lang", "fr", "--target", &target]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8(bad.stderr).unwrap();
    assert!(err.contains("use en or cy"), "{err}");
}

#[test]
fn the_welsh_leaflet_says_in_welsh_and_english_that_its_welsh_awaits_review() {
    let cy = repo("docs/what-your-organisation-can-see.cy.md");
    assert!(
        cy.contains("yn aros i siaradwr Cymraeg ei hadolygu"),
        "the Welsh note is missing"
    );
    assert!(
        cy.contains("The Welsh in this leaflet awaits review by a Welsh speaker"),
        "the English note is missing"
    );
    let en = repo("docs/what-your-organisation-can-see.md");
    assert!(!en.contains("awaits review"));
}
