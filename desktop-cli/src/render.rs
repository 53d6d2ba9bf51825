//! Text rendering for people: the posture table and the verdict.

use std::fmt::Write;

use agent_core::policy::{Compliance, Outcome, RuleId, Verdict};
use agent_core::posture::{Fact, HardwareKeyStore, Posture, ScreenLock, StorageEncryption, Tpm};

fn row<T>(out: &mut String, name: &str, fact: &Fact<T>, show: impl Fn(&T) -> String) {
    let _ = match fact {
        Fact::Observed { value, source } => {
            writeln!(out, "  {name:<26} {:<34} {source}", show(value))
        }
        Fact::Unknown { reason } => writeln!(out, "  {name:<26} {:<34} {reason}", "unknown"),
    };
}

fn yes_no(b: &bool) -> String {
    if *b { "on".into() } else { "off".into() }
}

/// The posture as a table: fact, value, source (or why unknown).
pub fn posture_table(p: &Posture) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Posture of this device ({}), collected {} by agent {}\n",
        p.platform,
        p.collected_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        p.agent_version
    );
    let _ = writeln!(out, "  {:<26} {:<34} SOURCE / REASON", "FACT", "VALUE");
    row(&mut out, "OS", &p.os.name, String::clone);
    row(&mut out, "OS id", &p.os.id, String::clone);
    row(&mut out, "OS version", &p.os.version, String::clone);
    row(&mut out, "OS build", &p.os.build, String::clone);
    row(&mut out, "kernel", &p.os.kernel, String::clone);
    row(&mut out, "security patch", &p.security_patch, |v| {
        v.to_string()
    });
    row(
        &mut out,
        "storage encryption",
        &p.storage_encryption,
        |v| match v {
            StorageEncryption::Encrypted { method } => format!("encrypted ({method})"),
            StorageEncryption::NotEncrypted => "not encrypted".into(),
        },
    );
    row(&mut out, "screen lock", &p.screen_lock, |v| match v {
        ScreenLock::Set => "set".into(),
        ScreenLock::NotSet => "not set".into(),
    });
    row(&mut out, "developer mode", &p.developer_mode, yes_no);
    row(&mut out, "USB debugging", &p.usb_debugging, yes_no);
    for i in &p.integrity {
        let label = format!("{} ({:?})", i.name, i.kind).to_lowercase();
        row(&mut out, &label, &i.tripped, |t| {
            if *t {
                "TRIPPED".into()
            } else {
                "not tripped".into()
            }
        });
    }
    row(
        &mut out,
        "hardware key store",
        &p.hardware_key_store,
        |v| match v {
            HardwareKeyStore::StrongBox => "StrongBox".into(),
            HardwareKeyStore::Tee => "TEE".into(),
            HardwareKeyStore::SecureEnclave => "Secure Enclave".into(),
            HardwareKeyStore::Tpm => "TPM".into(),
            HardwareKeyStore::None => "none".into(),
        },
    );
    row(&mut out, "Secure Boot", &p.secure_boot, yes_no);
    row(&mut out, "TPM", &p.tpm, |v| match v {
        Tpm::Present { version: Some(v) } => format!("present (TPM {v})"),
        Tpm::Present { version: None } => "present".into(),
        Tpm::Absent => "absent".into(),
    });
    out
}

fn rule_name(r: RuleId) -> &'static str {
    match r {
        RuleId::OsVersion => "OS version",
        RuleId::SecurityPatch => "security patch",
        RuleId::StorageEncryption => "storage encryption",
        RuleId::ScreenLock => "screen lock",
        RuleId::DeveloperMode => "developer mode",
        RuleId::UsbDebugging => "USB debugging",
        RuleId::Integrity => "integrity",
    }
}

/// The verdict: headline, then each finding, worst first, with its fix.
pub fn verdict_text(v: &Verdict) -> String {
    let mut out = String::new();
    let headline = match v.compliance {
        Compliance::Compliant => "COMPLIANT",
        Compliance::Warning => "WARNING: compliant for now, but something needs attention",
        Compliance::NonCompliant => "NON-COMPLIANT",
    };
    let _ = writeln!(
        out,
        "{headline}  (policy \"{}\", revision {})\n",
        v.policy.name, v.policy.revision
    );
    let mut findings: Vec<_> = v.findings.iter().collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.outcome));
    for f in findings {
        let mark = match f.outcome {
            Outcome::Fail => "FAIL",
            Outcome::Warn => "WARN",
            Outcome::Pass => "ok",
            Outcome::NotApplicable => "n/a",
        };
        let _ = writeln!(
            out,
            "  {mark:<5} {:<19} {}  (needs {})",
            rule_name(f.rule),
            f.observed,
            f.requirement
        );
        if let Some(fix) = &f.remediation {
            let _ = writeln!(out, "        → {fix}");
        }
    }
    out
}

fn when(t: Option<time::OffsetDateTime>) -> String {
    t.and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
    .unwrap_or_else(|| "never".into())
}

/// What a check-in did: the verdict with remediation, then delivery.
pub fn check_in_text(o: &agent_core::agent::CheckInOutcome) -> String {
    let mut out = String::new();
    match (&o.status.verdicts.server, o.delivery.delivered > 0) {
        (Some(server), true) => {
            let _ = writeln!(
                out,
                "The collector's verdict ({} report):",
                match server.freshness {
                    agent_core::protocol::Freshness::Current => "current",
                    agent_core::protocol::Freshness::Historical => "historical",
                }
            );
            out.push_str(&verdict_text(&server.verdict));
        }
        _ => {
            let _ = writeln!(
                out,
                "This device's own verdict (not yet confirmed by the collector):"
            );
            out.push_str(&verdict_text(&o.local_verdict));
        }
    }
    out.push('\n');
    out.push_str(&flush_text(&o.delivery));
    if !o.fresh_nonce {
        let _ = writeln!(
            out,
            "No fresh nonce from the collector: this report will count as historical evidence, not current compliance."
        );
    }
    out
}

/// What a delivery round did.
pub fn flush_text(f: &agent_core::agent::FlushOutcome) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Delivered {} report(s); {} still queued.",
        f.delivered, f.still_queued
    );
    for r in &f.rejected {
        let _ = writeln!(
            out,
            "Refused by the collector and removed: report {}: {}",
            r.jti, r.reason
        );
    }
    if f.protocol_errors > 0 {
        let _ = writeln!(
            out,
            "The collector's answer broke the protocol {} time(s) (not an acknowledgement of the report); the report is kept.",
            f.protocol_errors
        );
    }
    if let Some(e) = &f.error {
        let _ = writeln!(out, "Not delivered now (kept for retry): {e}");
    }
    out
}

/// The agent's status for a person.
pub fn status_text(s: &agent_core::agent::Status) -> String {
    let mut out = String::new();
    match s.state {
        agent_core::agent::AgentState::Unenrolled => {
            let _ = writeln!(
                out,
                "Not enrolled. Enrol with `posture-agent enrol --server URL --code CODE`."
            );
        }
        agent_core::agent::AgentState::Enrolled => {
            let _ = writeln!(
                out,
                "Enrolled with {}",
                s.server_url.as_deref().unwrap_or("?")
            );
            let _ = writeln!(
                out,
                "  device id        {}",
                s.device_id.as_deref().unwrap_or("?")
            );
            let _ = writeln!(
                out,
                "  device key (kid) {}",
                s.kid.as_deref().unwrap_or("?")
            );
            let _ = writeln!(out, "  enrolled at      {}", when(s.enrolled_at));
            if let Some(p) = &s.policy {
                let _ = writeln!(
                    out,
                    "  policy           {} (revision {})",
                    p.name, p.revision
                );
            }
            let _ = writeln!(
                out,
                "  check-in every   {} s",
                s.checkin_interval_secs.unwrap_or(0)
            );
            let _ = writeln!(out, "  last check-in    {}", when(s.last_checkin_at));
        }
    }
    let _ = writeln!(
        out,
        "  queued reports   {} (oldest {})",
        s.queued_reports,
        when(s.oldest_queued_at)
    );
    if s.evicted_reports > 0 {
        let _ = writeln!(
            out,
            "  evicted reports  {} (the outbox was full)",
            s.evicted_reports
        );
    }
    if s.server_wait_until.is_some() {
        let _ = writeln!(
            out,
            "  collector asked  to wait until {} (Retry-After)",
            when(s.server_wait_until)
        );
    }
    if s.protocol_errors > 0 {
        let _ = writeln!(
            out,
            "  protocol errors  {} (answers that were not an acknowledgement; the reports were kept)",
            s.protocol_errors
        );
    }
    let _ = writeln!(out, "  state directory  {}", s.state_dir.display());
    if let Some(server) = &s.verdicts.server {
        let _ = writeln!(
            out,
            "\nThe collector's last verdict (at {}):",
            when(Some(server.accepted_at))
        );
        out.push_str(&verdict_text(&server.verdict));
    } else if let Some(local) = &s.verdicts.local {
        let _ = writeln!(out, "\nThis device's last own verdict:");
        out.push_str(&verdict_text(local));
    }
    out
}
