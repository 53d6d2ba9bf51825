//! The evidence's reads: one function per query, plain SQL over the
//! `reports`, `report_assessments`, `devices`, `device_attestations`,
//! `device_app_attest` and `attestation_pin_breaks` tables. These are
//! SQLite's; PostgreSQL runs the same two queries (`crate::storage`) and
//! reads their rows with the same [`device_facts`] and [`report_row`].

use std::collections::HashMap;

use agent_core::Platform;
use agent_core::policy::{Compliance, Outcome, RuleId};
use rusqlite::{Connection, params};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use time::Date;

use super::figures::{DeviceFacts, ReportRow, RuleState};

/// Every device ever enrolled (unenrolled ones too: their reports remain
/// evidence of their time): its platform, whether its key was
/// hardware-attested at enrolment (a verified TEE or StrongBox chain, or a
/// verified App Attest object) and when its attestation pin first broke.
pub(crate) fn devices(conn: &Connection) -> rusqlite::Result<HashMap<String, DeviceFacts>> {
    let mut stmt = conn.prepare(DEVICES_SQL)?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, bool>(2)?,
            r.get::<_, Option<i64>>(3)?,
        ))
    })?;
    let mut devices = HashMap::new();
    for row in rows {
        let (device_id, platform, hardware, broken_at) = row?;
        if let Some(facts) = device_facts(&platform, hardware, broken_at) {
            devices.insert(device_id, facts);
        }
    }
    Ok(devices)
}

/// [`devices`]' query (the same SQL on both stores): device id, platform,
/// whether hardware-attested, when its pin first broke.
pub(crate) const DEVICES_SQL: &str = "SELECT d.device_id, d.platform,
        COALESCE(a.provenance = 'hardware', FALSE) OR p.device_id IS NOT NULL,
        (SELECT MIN(b.broken_at) FROM attestation_pin_breaks b
         WHERE b.device_id = d.device_id)
 FROM devices d
 LEFT JOIN device_attestations a ON a.device_id = d.device_id
 LEFT JOIN device_app_attest p ON p.device_id = d.device_id";

/// One device's facts from a [`DEVICES_SQL`] row; `None` (logged) when its
/// platform does not parse.
pub(crate) fn device_facts(
    platform: &str,
    hardware: bool,
    pin_broken_at: Option<i64>,
) -> Option<DeviceFacts> {
    let Some(platform) = from_name::<Platform>(platform) else {
        tracing::warn!("evidence: skipped a device whose platform does not parse");
        return None;
    };
    Some(DeviceFacts {
        platform,
        hardware,
        pin_broken_at,
    })
}

/// The parts of a stored verdict the evidence reads. Unknown members and
/// rules are skipped, so a verdict from a newer collector still counts.
#[derive(Deserialize)]
struct StoredVerdict {
    findings: Vec<StoredFinding>,
}

#[derive(Deserialize)]
struct StoredFinding {
    rule: String,
    outcome: String,
    #[serde(default)]
    observed: String,
    #[serde(default)]
    deadline: Option<Date>,
}

/// The parts of a stored assessment the evidence reads.
#[derive(Deserialize)]
struct StoredAssessment {
    facts: Vec<StoredFact>,
}

#[derive(Deserialize)]
struct StoredFact {
    rule: String,
    provenance: String,
}

/// Calls `each` with every stored report whose `iat` is before `end`
/// (Unix time), ordered by device, then `iat`, then arrival.
pub(crate) fn reports_before(
    conn: &Connection,
    end: i64,
    mut each: impl FnMut(ReportRow),
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare(
        "SELECT r.device_id, r.iat, r.freshness, r.compliance, r.verdict, s.assessment
         FROM reports r LEFT JOIN report_assessments s ON s.jti = r.jti
         WHERE r.iat < ?1
         ORDER BY r.device_id, r.iat, r.rowid",
    )?;
    let mut rows = stmt.query(params![end])?;
    while let Some(r) = rows.next()? {
        let row = report_row(
            r.get(0)?,
            r.get(1)?,
            &r.get::<_, String>(2)?,
            &r.get::<_, String>(3)?,
            &r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?.as_deref(),
        );
        if let Some(row) = row {
            each(row);
        }
    }
    Ok(())
}

/// One report from its stored columns (device id, `iat`, freshness,
/// compliance, verdict, assessment); `None` (logged) when it does not parse.
pub(crate) fn report_row(
    device_id: String,
    iat: i64,
    freshness: &str,
    compliance: &str,
    verdict: &str,
    assessment: Option<&str>,
) -> Option<ReportRow> {
    let (Some(compliance), Ok(verdict)) = (
        from_name::<Compliance>(compliance),
        serde_json::from_str::<StoredVerdict>(verdict),
    ) else {
        tracing::warn!("evidence: skipped a report row that does not parse");
        return None;
    };
    Some(ReportRow {
        device_id,
        iat,
        historical: freshness != "current",
        compliance,
        rules: rule_states(verdict, assessment),
    })
}

/// Each finding's outcome, and whether its fact was unknown: from the
/// assessment's provenance, or, for reports stored before assessments
/// were, from the evaluator's `unknown: ` wording of `observed`.
fn rule_states(verdict: StoredVerdict, assessment: Option<&str>) -> Vec<RuleState> {
    let unknown_facts: Option<Vec<String>> = assessment
        .and_then(|a| serde_json::from_str::<StoredAssessment>(a).ok())
        .map(|a| {
            a.facts
                .into_iter()
                .filter(|f| f.provenance == "unknown")
                .map(|f| f.rule)
                .collect()
        });
    verdict
        .findings
        .into_iter()
        .filter_map(|f| {
            let rule = from_name::<RuleId>(&f.rule)?;
            let outcome = from_name::<Outcome>(&f.outcome)?;
            let unknown = match &unknown_facts {
                Some(rules) => rules.contains(&f.rule),
                None => f.observed.starts_with("unknown: "),
            };
            Some(RuleState {
                rule,
                outcome,
                unknown,
                deadline: f.deadline,
                observed: f.observed,
            })
        })
        .collect()
}

/// A serde enum from its stored (snake_case or kebab-case) name.
fn from_name<T: DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}
