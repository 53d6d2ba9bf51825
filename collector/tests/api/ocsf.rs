//! Checks an event against the OCSF schema files vendored in
//! `collector/tests/ocsf/schema` (from ocsf/ocsf-schema, Apache-2.0).
//!
//! What is checked, exactly:
//! - the class, found by `class_uid`, and the classes it extends: every
//!   attribute they mark `required` is present, every top-level attribute
//!   is one they define or one of the base event's ([`BASE`]), none is
//!   `@deprecated`, and every value of an attribute with an `enum` is one
//!   of its keys (or 0 Unknown / 99 Other, which every OCSF enum has);
//! - `category_uid` is the uid of the class's category (`categories.json`),
//!   `class_uid` is category * 1000 + class uid, `type_uid` is
//!   class_uid * 100 + activity_id;
//! - the base event's required attributes of OCSF 1.x ([`BASE_REQUIRED`]):
//!   the vendored files do not include `base_event.json`, so they are
//!   listed here; ids are integers, `time` is milliseconds since the epoch;
//! - the objects `metadata`, `metadata.product`, `compliance`,
//!   `finding_info`, `device` and `device.os`, by the same rules (required,
//!   enums, known attributes; `product` is checked for required attributes
//!   only: OCSF 1.x adds `vendor_name`, which the vendored file predates).
//!   Objects not vendored (`remediation`, the `assessments` items,
//!   `unmapped`) are checked to be JSON objects or arrays of them only.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Map, Value};

/// Base event attributes of OCSF 1.x that any class may carry.
const BASE: &[&str] = &[
    "metadata",
    "category_uid",
    "category_name",
    "class_uid",
    "class_name",
    "activity_id",
    "activity_name",
    "type_uid",
    "type_name",
    "severity_id",
    "severity",
    "time",
    "message",
    "status",
    "status_id",
    "unmapped",
];

/// Required by the OCSF 1.x base event.
const BASE_REQUIRED: &[&str] = &[
    "metadata",
    "category_uid",
    "class_uid",
    "activity_id",
    "type_uid",
    "severity_id",
    "time",
];

fn schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/ocsf/schema")
}

fn load(rel: &str) -> Value {
    let path = schema_dir().join(rel);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn class_file(class_uid: u64) -> &'static str {
    match class_uid {
        2003 => "events/findings/compliance_finding.json",
        5001 => "events/discovery/inventory_info.json",
        5002 => "events/discovery/config_state.json",
        other => panic!("class {other} is not one the collector emits"),
    }
}

fn parent_file(name: &str) -> Option<&'static str> {
    match name {
        "finding" => Some("events/findings/finding.json"),
        "discovery" => Some("events/discovery/discovery.json"),
        "base_event" => None,
        other => panic!("class extends {other}, which is not vendored"),
    }
}

/// A class and its parents, merged child over parent: (attributes,
/// category name, class uid within the category).
fn resolve(class_uid: u64) -> (BTreeMap<String, Value>, String, u64) {
    let class = load(class_file(class_uid));
    let uid = class["uid"].as_u64().unwrap();
    let mut chain = vec![class.clone()];
    let mut extends = class["extends"].as_str().map(str::to_owned);
    while let Some(parent) = extends.as_deref().and_then(parent_file) {
        let p = load(parent);
        extends = p["extends"].as_str().map(str::to_owned);
        chain.push(p);
    }
    let category = chain
        .iter()
        .find_map(|c| c["category"].as_str())
        .unwrap()
        .to_owned();
    let mut attrs = BTreeMap::new();
    for c in chain.iter().rev() {
        for (k, v) in c["attributes"].as_object().unwrap() {
            if k.starts_with('$') {
                continue;
            }
            let merged = attrs
                .entry(k.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            for (field, value) in v.as_object().unwrap() {
                merged[field] = value.clone();
            }
        }
    }
    (attrs, category, uid)
}

fn check_attrs(
    path: &str,
    value: &Map<String, Value>,
    attrs: &BTreeMap<String, Value>,
    known_only: bool,
    errors: &mut Vec<String>,
) {
    for (name, def) in attrs {
        if def["requirement"] == "required" && !value.contains_key(name) {
            errors.push(format!("{path}.{name} is required"));
        }
    }
    for (name, v) in value {
        let Some(def) = attrs.get(name) else {
            if known_only {
                errors.push(format!("{path}.{name} is not an attribute here"));
            }
            continue;
        };
        if def.get("@deprecated").is_some() {
            errors.push(format!("{path}.{name} is deprecated"));
        }
        if let Some(e) = def["enum"].as_object() {
            let n = v.as_u64().map(|n| n.to_string()).unwrap_or_default();
            if !(e.contains_key(&n) || n == "0" || n == "99") {
                errors.push(format!("{path}.{name} = {v} is not in its enum"));
            }
        }
    }
}

fn object_attrs(file: &str) -> BTreeMap<String, Value> {
    load(&format!("objects/{file}.json"))["attributes"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn check_object(
    path: &str,
    value: Option<&Value>,
    file: &str,
    known_only: bool,
    errors: &mut Vec<String>,
) {
    let Some(value) = value else { return };
    match value.as_object() {
        Some(o) => check_attrs(path, o, &object_attrs(file), known_only, errors),
        None => errors.push(format!("{path} is not an object")),
    }
}

/// Every way `event` breaks the vendored schema; empty when it keeps to it.
pub fn violations(event: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(obj) = event.as_object() else {
        return vec!["not a JSON object".into()];
    };
    for name in BASE_REQUIRED {
        if !obj.contains_key(*name) {
            errors.push(format!("{name} is required"));
        }
    }
    for name in [
        "category_uid",
        "class_uid",
        "activity_id",
        "type_uid",
        "severity_id",
        "time",
    ] {
        if obj.get(name).is_some_and(|v| !v.is_u64()) {
            errors.push(format!("{name} is not an integer"));
        }
    }
    let class_uid = event["class_uid"].as_u64().unwrap_or(0);
    let (attrs, category, uid) = resolve(class_uid);
    let categories = load("categories.json");
    let category_uid = categories["attributes"][&category]["uid"].as_u64().unwrap();
    if event["category_uid"].as_u64() != Some(category_uid) {
        errors.push(format!("category_uid is not {category_uid} ({category})"));
    }
    if class_uid != category_uid * 1000 + uid {
        errors.push("class_uid is not category * 1000 + class".into());
    }
    let activity = event["activity_id"].as_u64().unwrap_or(0);
    if event["type_uid"].as_u64() != Some(class_uid * 100 + activity) {
        errors.push("type_uid is not class_uid * 100 + activity_id".into());
    }
    // Base attributes the class does not redefine are known too.
    let mut all = attrs.clone();
    for b in BASE {
        all.entry((*b).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    check_attrs("", obj, &all, true, &mut errors);
    check_object(
        "metadata",
        obj.get("metadata"),
        "metadata",
        true,
        &mut errors,
    );
    check_object(
        "metadata.product",
        event["metadata"].get("product"),
        "product",
        false,
        &mut errors,
    );
    check_object(
        "compliance",
        obj.get("compliance"),
        "compliance",
        true,
        &mut errors,
    );
    check_object(
        "finding_info",
        obj.get("finding_info"),
        "finding_info",
        true,
        &mut errors,
    );
    check_object("device", obj.get("device"), "device", true, &mut errors);
    check_object(
        "device.os",
        event["device"].get("os"),
        "os",
        true,
        &mut errors,
    );
    for name in ["remediation", "unmapped"] {
        if obj.get(name).is_some_and(|v| !v.is_object()) {
            errors.push(format!("{name} is not an object"));
        }
    }
    if let Some(a) = obj.get("assessments")
        && !a.as_array().is_some_and(|a| a.iter().all(Value::is_object))
    {
        errors.push("assessments is not an array of objects".into());
    }
    errors
}

/// Panics with every violation.
pub fn assert_valid(event: &Value) {
    let v = violations(event);
    assert!(v.is_empty(), "{v:#?}\nin {event:#}");
}

#[test]
fn the_checker_finds_what_is_wrong() {
    let event = serde_json::json!({
        "metadata": {"version": "1.4.0", "product": {"name": "p"}},
        "category_uid": 2, "class_uid": 2003, "activity_id": 7, "type_uid": 200301,
        "severity_id": 1, "time": 1,
        "resource": {}, "made_up": 1,
        "compliance": {"status_id": 9},
        "finding_info": {"uid": "x"},
        "device": {"type_id": 5, "os": {"name": "Android"}},
    });
    let v = violations(&event);
    for expected in [
        "type_uid is not class_uid * 100 + activity_id",
        ".activity_id = 7 is not in its enum",
        ".resource is deprecated",
        ".made_up is not an attribute here",
        "compliance.standards is required",
        "compliance.status_id = 9 is not in its enum",
        "device.os.type_id is required",
    ] {
        assert!(
            v.iter().any(|e| e == expected),
            "{expected} missing from {v:#?}"
        );
    }
}
