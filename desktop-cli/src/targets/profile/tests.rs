use std::path::PathBuf;

use agent_core::policy::{Policy, evaluate};
use time::macros::datetime;

use super::*;

fn shipped() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_profile_gets_its_expected_verdict() {
    let files = shipped();
    assert!(files.len() >= 15, "{files:?}");
    let policy = Policy::default_policy();
    // Two moments years apart: relative patch dates keep verdicts stable.
    for now in [OffsetDateTime::now_utc(), datetime!(2031-06-15 09:00 UTC)] {
        for path in &files {
            let profile = load_profile(path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy();
            let verdict = evaluate(&profile.posture(&name, now), &policy, now);
            assert_eq!(
                verdict.compliance, profile.expected,
                "{name} at {now}: {:#?}",
                verdict.findings
            );
        }
    }
}

#[test]
fn sources_name_the_profile() {
    let path = shipped()
        .into_iter()
        .find(|p| p.ends_with("android-compliant.toml"))
        .unwrap();
    let probe = ProfileProbe::load(&path).unwrap();
    let p = probe.collect();
    assert_eq!(p.os.version.provenance(), "profile android-compliant.toml");
    assert!(
        p.security_patch
            .provenance()
            .starts_with("profile android-compliant.toml")
    );
}

#[test]
fn patch_forms() {
    let now = datetime!(2026-03-10 12:00 UTC);
    assert_eq!(patch_at("today", now).unwrap().to_string(), "2026-03-10");
    assert_eq!(patch_at("-10d", now).unwrap().to_string(), "2026-02-28");
    assert_eq!(
        patch_at("2024-01-05", now).unwrap().to_string(),
        "2024-01-05"
    );
    assert!(patch_at("-xd", now).is_err());
    assert!(patch_at("January", now).is_err());
}

#[test]
fn strict_parsing_names_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "name = \"x\"\nplatform = \"android\"\nexpected = \"compliant\"\nscreenlock = true\n",
    )
    .unwrap();
    let e = load_profile(&path).unwrap_err().to_string();
    assert!(e.contains("bad.toml") && e.contains("screenlock"), "{e}");
    std::fs::write(&path, "name = \"x\"\nplatform = \"android\"\nexpected = \"compliant\"\nsecurity_patch = \"soon\"\n").unwrap();
    let e = load_profile(&path).unwrap_err().to_string();
    assert!(e.contains("security_patch"), "{e}");
    std::fs::write(
        &path,
        "name = \"x\"\nplatform = \"symbian\"\nexpected = \"compliant\"\n",
    )
    .unwrap();
    assert!(
        load_profile(&path)
            .unwrap_err()
            .to_string()
            .contains("symbian")
    );
}

#[test]
fn unset_fields_are_unknown() {
    let profile: Profile =
        toml::from_str("name = \"bare\"\nplatform = \"linux\"\nexpected = \"warning\"\n").unwrap();
    let p = profile.posture("bare.toml", datetime!(2026-03-10 12:00 UTC));
    assert_eq!(p.os.id.provenance(), "profile bare.toml does not set os_id");
    assert!(p.screen_lock.value().is_none());
}

#[test]
fn auto_lock_is_seconds_or_never() {
    let base = "name = \"x\"\nplatform = \"android\"\nexpected = \"compliant\"\n";
    let at = datetime!(2026-03-10 12:00 UTC);
    let posture = |extra: &str| {
        let profile: Profile = toml::from_str(&format!("{base}{extra}")).unwrap();
        profile.posture("x.toml", at).auto_lock
    };
    assert_eq!(
        posture("auto_lock = 35\n").value(),
        Some(&AutoLock::After { seconds: 35 })
    );
    assert_eq!(
        posture("auto_lock = \"never\"\n").value(),
        Some(&AutoLock::Never)
    );
    assert_eq!(
        posture("").provenance(),
        "profile x.toml does not set auto_lock"
    );
    for bad in [
        "auto_lock = \"soon\"\n",
        "auto_lock = -1\n",
        "auto_lock = true\n",
    ] {
        assert!(
            toml::from_str::<Profile>(&format!("{base}{bad}")).is_err(),
            "{bad}"
        );
    }
}
