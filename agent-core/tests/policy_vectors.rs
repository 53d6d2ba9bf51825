//! The published policy test vectors (`docs/vectors/policy/*.json`): for each
//! one, the core's evaluation of its posture under its policy at its time must
//! equal its `expected` verdict exactly, text included. Another
//! implementation checks itself against the same files.
//!
//! Regenerating the expected verdicts is a deliberate act:
//! `UPDATE_POLICY_VECTORS=1 cargo test -p agent-core --test policy_vectors`
//! rewrites `expected` in every vector (and the copy of the default policy)
//! from the core; review the diff before committing it.

use std::fs;
use std::path::{Path, PathBuf};

use agent_core::policy::{Policy, PolicyFormat, Verdict, evaluate};
use agent_core::posture::Posture;
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const UPDATE: &str = "UPDATE_POLICY_VECTORS";
const DEFAULT_POLICY: &str = "policies/default.json";
const MEMBERS: [&str; 6] = [
    "description",
    "evaluated_at",
    "policy_file",
    "policy",
    "posture",
    "expected",
];

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/policy")
}

fn updating() -> bool {
    std::env::var_os(UPDATE).is_some_and(|v| v == "1")
}

fn how_to_update() -> String {
    format!(
        "if the change is intended, run {UPDATE}=1 cargo test -p agent-core --test policy_vectors and review the diff"
    )
}

/// A vector as written back: members in reading order, inputs normalised.
#[derive(Serialize)]
struct Written<'a> {
    description: &'a Value,
    evaluated_at: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_file: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'a Policy>,
    posture: &'a Posture,
    expected: &'a Verdict,
}

fn write_pretty(path: &Path, value: &impl Serialize) -> Result<(), String> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    text.push('\n');
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// In update mode, rewrites the published default policy, once, before any
/// vector reads it (the tests run in parallel).
fn update_default_policy() -> Result<(), String> {
    static DONE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        if updating() {
            write_pretty(
                &vectors_dir().join(DEFAULT_POLICY),
                &Policy::default_policy(),
            )
        } else {
            Ok(())
        }
    })
    .clone()
}

#[test]
fn the_published_default_policy_is_the_built_in_one() {
    update_default_policy().unwrap();
    let path = vectors_dir().join(DEFAULT_POLICY);
    let text = fs::read_to_string(&path).unwrap();
    let published = Policy::parse(&text, PolicyFormat::Json).unwrap();
    assert_eq!(
        published,
        Policy::default_policy(),
        "{} is not the built-in default policy; {}",
        path.display(),
        how_to_update()
    );
}

/// Reads one vector, evaluates it and either checks or rewrites `expected`.
/// Returns what disagrees.
fn run(path: &Path) -> Result<(), String> {
    let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
    let doc: Map<String, Value> = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    if let Some(extra) = doc.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
        return Err(format!("unknown member {extra:?}"));
    }
    let member = |name: &str| doc.get(name).ok_or(format!("no {name:?}"));
    let description = member("description")?;
    let at_value = member("evaluated_at")?;
    let at = at_value
        .as_str()
        .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
        .ok_or("evaluated_at is not an RFC 3339 time")?;
    let policy_text = match (doc.get("policy_file"), doc.get("policy")) {
        (Some(Value::String(file)), None) => {
            let policy_path = vectors_dir().join(file);
            fs::read_to_string(&policy_path)
                .map_err(|e| format!("{}: {e}", policy_path.display()))?
        }
        (None, Some(inline)) => inline.to_string(),
        _ => return Err("needs exactly one of policy_file (a string) and policy".into()),
    };
    let policy = Policy::parse(&policy_text, PolicyFormat::Json).map_err(|e| e.to_string())?;
    let posture = Posture::from_json(&member("posture")?.to_string()).map_err(|e| e.to_string())?;
    let verdict = evaluate(&posture, &policy, at);
    if updating() {
        return write_pretty(
            path,
            &Written {
                description,
                evaluated_at: at_value,
                policy_file: doc.get("policy_file"),
                policy: doc.get("policy").map(|_| &policy),
                posture: &posture,
                expected: &verdict,
            },
        );
    }
    let got = serde_json::to_value(&verdict).map_err(|e| e.to_string())?;
    match doc.get("expected") {
        Some(expected) if *expected == got => Ok(()),
        Some(expected) => Err(format!(
            "the core disagrees.\n  expected: {expected}\n  core:     {got}"
        )),
        None => Err("no \"expected\" verdict".into()),
    }
}

#[test]
fn every_vector_matches_the_core() {
    update_default_policy().unwrap();
    let mut paths: Vec<PathBuf> = fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 40,
        "only {} vectors in {}",
        paths.len(),
        vectors_dir().display()
    );
    let failures: Vec<String> = paths
        .iter()
        .filter_map(|p| {
            run(p).err().map(|e| {
                format!(
                    "{}: {e}",
                    p.file_name().unwrap_or_default().to_string_lossy()
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} vectors fail ({}):\n{}",
        failures.len(),
        paths.len(),
        how_to_update(),
        failures.join("\n")
    );
}

/// The vectors cover what the default policy decides: every rule failing,
/// warning and not applicable, grace inside and over, and each compliance.
#[test]
fn the_vectors_cover_every_rule_and_outcome() {
    if updating() {
        return;
    }
    let mut seen = std::collections::BTreeSet::new();
    for entry in fs::read_dir(vectors_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let doc: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        let expected = &doc["expected"];
        seen.insert(format!("compliance {}", expected["compliance"]));
        for f in expected["findings"].as_array().unwrap() {
            seen.insert(format!("{} {}", f["rule"], f["outcome"]));
            if f.get("deadline").is_some() {
                seen.insert("deadline".into());
            }
        }
    }
    let mut missing = Vec::new();
    for rule in [
        "os_version",
        "security_patch",
        "storage_encryption",
        "screen_lock",
        "auto_lock",
        "developer_mode",
        "usb_debugging",
        "integrity",
    ] {
        for outcome in ["pass", "fail"] {
            let key = format!("\"{rule}\" \"{outcome}\"");
            if !seen.contains(&key) {
                missing.push(key);
            }
        }
    }
    for key in [
        "\"os_version\" \"warn\"",
        "\"security_patch\" \"warn\"",
        "\"security_patch\" \"not_applicable\"",
        "\"developer_mode\" \"not_applicable\"",
        "\"usb_debugging\" \"not_applicable\"",
        "\"auto_lock\" \"warn\"",
        "\"auto_lock\" \"not_applicable\"",
        "compliance \"compliant\"",
        "compliance \"warning\"",
        "compliance \"non_compliant\"",
        "deadline",
    ] {
        if !seen.contains(key) {
            missing.push(key.to_owned());
        }
    }
    assert!(missing.is_empty(), "no vector shows {missing:?}");
}
