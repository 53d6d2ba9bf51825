//! Events as OCSF 1.x JSON: verdicts, grace deadlines that passed and
//! attestation pin breaks are Compliance Findings (class 2003), enrolment and unenrolment Device
//! Inventory Info (5001), posture snapshots Device Config State (5002).
//! The device is named only by its random id.

use agent_core::Platform;
use agent_core::policy::{Compliance, Outcome};
use serde_json::{Value, json};

use super::{Event, EventKind};
use crate::store::name_of;

/// The OCSF schema version the events follow.
pub const OCSF_VERSION: &str = "1.4.0";

/// OCSF class ids, also the syslog MSGID and HEC sourcetype suffix.
pub(crate) const COMPLIANCE_FINDING: u32 = 2003;
pub(crate) const INVENTORY_INFO: u32 = 5001;
pub(crate) const CONFIG_STATE: u32 = 5002;

/// OCSF severity ids (`severity_id`) and their captions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Severity {
    Informational = 1,
    Medium = 3,
    High = 4,
}

impl Severity {
    fn caption(self) -> &'static str {
        match self {
            Severity::Informational => "Informational",
            Severity::Medium => "Medium",
            Severity::High => "High",
        }
    }
}

/// The class and severity of an event, without rendering it.
pub(crate) fn class_of(event: &Event) -> (u32, Severity) {
    match &event.kind {
        EventKind::VerdictChanged { verdict, .. } => {
            (COMPLIANCE_FINDING, severity_of(verdict.compliance))
        }
        EventKind::PinBroken { .. } | EventKind::GraceDeadlinePassed { .. } => {
            (COMPLIANCE_FINDING, Severity::High)
        }
        EventKind::Enrolled | EventKind::Unenrolled => (INVENTORY_INFO, Severity::Informational),
        EventKind::Snapshot { verdict, .. } => (CONFIG_STATE, severity_of(verdict.compliance)),
    }
}

fn severity_of(compliance: Compliance) -> Severity {
    match compliance {
        Compliance::Compliant => Severity::Informational,
        Compliance::Warning => Severity::Medium,
        Compliance::NonCompliant => Severity::High,
    }
}

/// The event as one OCSF JSON object.
pub fn render(event: &Event) -> Value {
    let (class_uid, severity) = class_of(event);
    let (activity_id, activity_name) = match &event.kind {
        EventKind::VerdictChanged { from: None, .. } => (1, "Create"),
        EventKind::VerdictChanged { .. } => (2, "Update"),
        EventKind::PinBroken { .. } => (1, "Create"),
        // The warning's finding went on to a block.
        EventKind::GraceDeadlinePassed { .. } => (2, "Update"),
        // Discovery classes: the collector logs what it learnt.
        _ => (1, "Log"),
    };
    let (category_uid, category_name, class_name) = match class_uid {
        COMPLIANCE_FINDING => (2, "Findings", "Compliance Finding"),
        INVENTORY_INFO => (5, "Discovery", "Device Inventory Info"),
        _ => (5, "Discovery", "Device Config State"),
    };
    let time_ms = event.time.unix_timestamp() * 1000;
    let mut out = json!({
        "metadata": {
            "version": OCSF_VERSION,
            "uid": event.id,
            "product": {
                "name": "Posture Agent collector",
                "vendor_name": "Posture Agent",
                "version": env!("CARGO_PKG_VERSION"),
            },
            "log_name": "posture-events",
        },
        "category_uid": category_uid,
        "category_name": category_name,
        "class_uid": class_uid,
        "class_name": class_name,
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": class_uid * 100 + activity_id,
        "type_name": format!("{class_name}: {activity_name}"),
        "severity_id": severity as u32,
        "severity": severity.caption(),
        "time": time_ms,
    });
    let body = match &event.kind {
        EventKind::VerdictChanged {
            from,
            verdict,
            assurance,
            jti,
        } => {
            let failing: Vec<String> = verdict
                .findings
                .iter()
                .filter(|f| matches!(f.outcome, Outcome::Warn | Outcome::Fail))
                .map(|f| name_of(&f.rule))
                .collect();
            let before = from.map_or_else(|| "none".to_owned(), |c| name_of(&c));
            let now = name_of(&verdict.compliance);
            let remediation: Vec<&str> = verdict
                .findings
                .iter()
                .filter_map(|f| f.remediation.as_deref())
                .collect();
            let mut b = json!({
                "message": format!("device {} verdict {before} -> {now}", event.device_id),
                "finding_info": {
                    "uid": event.id,
                    "title": format!("Device posture verdict: {now}"),
                    "desc": format!("The collector's verdict for the device moved from {before} to {now} (assurance {}).", assurance.name()),
                    "types": ["posture-verdict"],
                    "created_time": time_ms,
                },
                "compliance": compliance_object(verdict.compliance, &verdict.policy.name, verdict.policy.revision, &failing),
                "status_id": 1,
                "status": "New",
                "device": device(event, Some(verdict.compliance)),
                "unmapped": {
                    "previous_compliance": before,
                    "compliance": now,
                    "assurance": assurance.name(),
                    "report_jti": jti,
                },
            });
            if !remediation.is_empty() {
                b["remediation"] = json!({ "desc": remediation.join(" ") });
            }
            b
        }
        EventKind::PinBroken { jti, downgrades } => {
            let what: Vec<String> = downgrades
                .iter()
                .map(|(field, pinned, seen)| format!("{field}: pinned {pinned}, seen {seen}"))
                .collect();
            json!({
                "message": format!("device {} attestation pin broken", event.device_id),
                "finding_info": {
                    "uid": event.id,
                    "title": "Attestation pin broken",
                    "desc": format!("A fresh key attestation was a downgrade against the device's pin ({}); the device stays non-compliant until it enrols again.", what.join("; ")),
                    "types": ["attestation-pin"],
                    "created_time": time_ms,
                },
                "compliance": {
                    "standards": ["posture-agent attestation pin"],
                    "control": "attestation_pin",
                    "status_id": 3,
                    "status": "Fail",
                    "status_detail": what.join("; "),
                },
                "status_id": 1,
                "status": "New",
                "device": device(event, Some(Compliance::NonCompliant)),
                "unmapped": { "report_jti": jti },
            })
        }
        EventKind::GraceDeadlinePassed {
            rule,
            since,
            deadline,
            jti,
        } => {
            let rule = name_of(rule);
            let since = since.date();
            json!({
                "message": format!("device {} grace deadline {deadline} passed for {rule}", event.device_id),
                "finding_info": {
                    "uid": event.id,
                    "title": format!("Grace deadline passed: {rule}"),
                    "desc": format!("The rule {rule} has failed the device since {since}; its grace ended on {deadline} with no report fixing it, so the rule now blocks the device (non_compliant)."),
                    "types": ["grace-deadline"],
                    "created_time": time_ms,
                },
                "compliance": {
                    "standards": ["posture-agent policy"],
                    "control": rule,
                    "status_id": 3,
                    "status": "Fail",
                    "requirements": [rule],
                    "status_detail": format!("warn-then-block: failing since {since}, blocked from {deadline}"),
                },
                "status_id": 1,
                "status": "New",
                "device": device(event, Some(Compliance::NonCompliant)),
                "unmapped": {
                    "rule": rule,
                    "verdict": "block",
                    "compliance": name_of(&Compliance::NonCompliant),
                    "failing_since": since.to_string(),
                    "deadline": deadline.to_string(),
                    "report_jti": jti,
                },
            })
        }
        EventKind::Enrolled | EventKind::Unenrolled => {
            let what = if matches!(event.kind, EventKind::Enrolled) {
                "enrolled"
            } else {
                "unenrolled"
            };
            json!({
                "message": format!("device {} {what}", event.device_id),
                "device": device(event, None),
                "unmapped": { "lifecycle": what },
            })
        }
        EventKind::Snapshot {
            jti,
            posture,
            verdict,
        } => {
            let assessments: Vec<Value> = verdict
                .findings
                .iter()
                .map(|f| {
                    json!({
                        "name": name_of(&f.rule),
                        "desc": f.observed,
                        "category": "posture",
                        "meets_criteria": matches!(f.outcome, Outcome::Pass | Outcome::NotApplicable),
                    })
                })
                .collect();
            let mut d = device(event, Some(verdict.compliance));
            let os = &posture.os;
            if let Some(v) = os.version.value() {
                d["os"]["version"] = json!(v);
            }
            if let Some(b) = os.build.value() {
                d["os"]["build"] = json!(b);
            }
            json!({
                "message": format!("device {} posture snapshot: {}", event.device_id, name_of(&verdict.compliance)),
                "device": d,
                "assessments": assessments,
                "unmapped": {
                    "report_jti": jti,
                    "posture": posture,
                    "compliance": name_of(&verdict.compliance),
                },
            })
        }
    };
    if let (Value::Object(out), Value::Object(body)) = (&mut out, body) {
        out.extend(body);
    }
    out
}

fn compliance_object(c: Compliance, policy: &str, revision: u32, failing: &[String]) -> Value {
    let (status_id, status) = match c {
        Compliance::Compliant => (1, "Pass"),
        Compliance::Warning => (2, "Warning"),
        Compliance::NonCompliant => (3, "Fail"),
    };
    let mut v = json!({
        "standards": [format!("{policy} (revision {revision})")],
        "control": "posture policy",
        "status_id": status_id,
        "status": status,
    });
    if !failing.is_empty() {
        v["requirements"] = json!(failing);
    }
    v
}

/// The device object: its random id, its kind and OS family, nothing that
/// names a person or a piece of hardware.
fn device(event: &Event, compliance: Option<Compliance>) -> Value {
    let (type_id, kind, os_type, os_name) = match event.platform {
        Platform::Android => (5, "Mobile", 201, "Android"),
        Platform::Ios => (5, "Mobile", 301, "iOS"),
        Platform::Linux => (2, "Desktop", 200, "Linux"),
        Platform::Macos => (2, "Desktop", 300, "macOS"),
        Platform::Windows => (2, "Desktop", 100, "Windows"),
    };
    let mut d = json!({
        "uid": event.device_id.as_str(),
        "type_id": type_id,
        "type": kind,
        "os": { "name": os_name, "type_id": os_type },
    });
    if let Some(c) = compliance {
        d["is_compliant"] = json!(c == Compliance::Compliant);
    }
    d
}
