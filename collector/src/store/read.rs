//! Read-side queries, on connections of their own so they never wait for
//! the writer (WAL gives each reader a consistent snapshot).

use agent_core::Platform;
use agent_core::policy::{Compliance, Verdict};
use agent_core::protocol::{
    AppAttestEnvironment, AppAttestSummary, Assessment, AssuranceLevel, AttestationMismatch,
    AttestationPin, AttestedBootState, AttestedSecurityLevel, DEVICE_HISTORY_LEN, DeviceDetail,
    DeviceId, DeviceReport, DeviceStatus, ExportRecord, FleetDevice, FleetSummary, Freshness, Jti,
    KeyAttestationSummary, PinBreak, PinState, Provenance,
};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, params};
use serde::de::DeserializeOwned;

use crate::attestation::Attested;
use time::OffsetDateTime;

/// An enrolled device as the writer and the key cache need it.
#[derive(Debug, Clone)]
pub(crate) struct DeviceRow {
    pub device_id: String,
    pub kid: String,
    pub jwk: String,
    pub nonce: String,
    pub nonce_expires_at: i64,
    pub attested: Option<Attested>,
    /// Whether a re-attestation broke the device's pin.
    pub pin_broken: bool,
}

/// The `device_attestations` columns [`attestation_columns`] reads, in order.
pub(crate) const ATTESTATION_COLUMNS: &str =
    "a.provenance, a.security_level, a.attestation_version,
    a.verified_boot_state, a.device_locked, a.os_version, a.os_patch_level,
    a.vendor_patch_level, a.boot_patch_level, a.verified_boot_key_sha256, a.attested_at";

/// Every enrolled (not unenrolled) device, with its verified attestation.
pub(crate) fn load_devices(conn: &Connection) -> rusqlite::Result<Vec<DeviceRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT d.device_id, d.kid, d.jwk, d.nonce, d.nonce_expires_at, {ATTESTATION_COLUMNS},
                EXISTS (SELECT 1 FROM attestation_pin_breaks b WHERE b.device_id = d.device_id)
         FROM devices d LEFT JOIN device_attestations a ON a.device_id = d.device_id
         WHERE d.unenrolled_at IS NULL"
    ))?;
    let rows = stmt.query_map([], |r| {
        Ok(DeviceRow {
            device_id: r.get(0)?,
            kid: r.get(1)?,
            jwk: r.get(2)?,
            nonce: r.get(3)?,
            nonce_expires_at: r.get(4)?,
            attested: attested(attestation_columns(r, 5)?),
            pin_broken: r.get(16)?,
        })
    })?;
    rows.collect()
}

pub(crate) fn attested(columns: AttestationColumns) -> Option<Attested> {
    columns.and_then(|(provenance, summary)| {
        summary.map(|summary| Attested {
            provenance,
            summary,
            // Not stored: only the enrolment-time policy check uses it.
            app_identity: None,
        })
    })
}

/// A device's pin (protocol §5.3.3): its stored key attestation, if any.
pub(crate) fn pinned(conn: &Connection, device_id: &str) -> rusqlite::Result<Option<Attested>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ATTESTATION_COLUMNS} FROM device_attestations a WHERE a.device_id = ?1"
    ))?;
    let found = stmt
        .query_row(params![device_id], |r| attestation_columns(r, 0))
        .optional()?;
    Ok(found.and_then(attested))
}

/// Most pin breaks a device view lists.
const MAX_PIN_BREAKS: usize = 20;

/// Fills in the attestation pin of the devices with a key attestation:
/// intact, or broken with the downgrades that broke it, newest first.
fn add_pins(conn: &Connection, devices: &mut [FleetDevice]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT b.device_id, b.jti, b.field, b.pinned, b.seen, b.broken_at
         FROM attestation_pin_breaks b JOIN devices d ON d.device_id = b.device_id
         WHERE d.unenrolled_at IS NULL ORDER BY b.broken_at DESC, b.rowid DESC",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            PinBreak {
                jti: Jti::new(r.get::<_, String>(1)?).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(1, Type::Text, Box::new(e))
                })?,
                field: r.get(2)?,
                pinned: r.get(3)?,
                seen: r.get(4)?,
                at: at(r.get(5)?),
            },
        ))
    })?;
    let rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    apply_pins(devices, rows);
    Ok(())
}

/// Fills in the pins from the pin breaks of enrolled devices (device id and
/// break), newest first: the part of the query both stores share.
pub(crate) fn apply_pins(devices: &mut [FleetDevice], rows: Vec<(String, PinBreak)>) {
    let mut found: std::collections::HashMap<String, Vec<PinBreak>> =
        std::collections::HashMap::new();
    for (device_id, b) in rows {
        let list = found.entry(device_id).or_default();
        if list.len() < MAX_PIN_BREAKS {
            list.push(b);
        }
    }
    for device in devices.iter_mut() {
        let Some(summary) = &device.key_attestation else {
            continue;
        };
        let breaks = found.remove(device.device_id.as_str()).unwrap_or_default();
        device.attestation_pin = Some(AttestationPin {
            state: if breaks.is_empty() {
                PinState::Intact
            } else {
                PinState::Broken
            },
            pinned_at: summary.attested_at,
            breaks,
        });
    }
}

/// A serde enum from its stored (snake_case) name.
pub(crate) fn from_name<T: DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// A timestamp column.
pub(crate) fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The fleet summary (protocol §8.2): stale when no current report within
/// `stale_after_secs`, else the compliance of the latest current report.
pub(crate) fn fleet_summary(
    conn: &Connection,
    now: OffsetDateTime,
    stale_after_secs: u64,
) -> rusqlite::Result<FleetSummary> {
    let mut summary = summarise(
        fleet_rows(conn, now, stale_after_secs, None)?,
        now,
        stale_after_secs,
    );
    add_app_attest(conn, &mut summary.devices)?;
    add_pins(conn, &mut summary.devices)?;
    Ok(summary)
}

/// The summary's counts over the fleet rows.
pub(crate) fn summarise(
    rows: Vec<(FleetDevice, Option<String>)>,
    now: OffsetDateTime,
    stale_after_secs: u64,
) -> FleetSummary {
    let mut summary = FleetSummary {
        generated_at: now,
        stale_after_secs,
        total: 0,
        compliant: 0,
        warning: 0,
        non_compliant: 0,
        stale: 0,
        devices: Vec::new(),
    };
    for (device, _) in rows {
        summary.total += 1;
        match device.status {
            DeviceStatus::Compliant => summary.compliant += 1,
            DeviceStatus::Warning => summary.warning += 1,
            DeviceStatus::NonCompliant => summary.non_compliant += 1,
            DeviceStatus::Stale => summary.stale += 1,
        }
        summary.devices.push(device);
    }
    summary
}

/// One enrolled device (protocol §8.4): its fleet row, the verdict of its
/// latest current report, and its latest reports; `None` when no enrolled
/// device has this id.
pub(crate) fn device_detail(
    conn: &Connection,
    device_id: &str,
    now: OffsetDateTime,
    stale_after_secs: u64,
) -> rusqlite::Result<Option<DeviceDetail>> {
    let Some((mut device, jti)) = fleet_rows(conn, now, stale_after_secs, Some(device_id))?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    add_app_attest(conn, std::slice::from_mut(&mut device))?;
    add_pins(conn, std::slice::from_mut(&mut device))?;
    let verdict = match jti {
        Some(jti) => conn
            .query_row(
                "SELECT verdict FROM reports WHERE jti = ?1",
                params![jti],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .and_then(|v| serde_json::from_str(&v).ok()),
        None => None,
    };
    let mut stmt = conn.prepare(
        "SELECT r.jti, r.iat, r.accepted_at, r.freshness, r.compliance, s.assurance
         FROM reports r LEFT JOIN report_assessments s ON s.jti = r.jti
         WHERE r.device_id = ?1 ORDER BY r.iat DESC, r.rowid DESC LIMIT ?2",
    )?;
    let limit = i64::try_from(DEVICE_HISTORY_LEN).unwrap_or(20);
    let rows = stmt.query_map(params![device_id, limit], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    let mut history = Vec::new();
    for row in rows {
        if let Some(entry) = history_entry(row?) {
            history.push(entry);
        }
    }
    Ok(Some(DeviceDetail {
        device,
        verdict,
        history,
    }))
}

/// A device history row: jti, iat, accepted_at, freshness, compliance,
/// assurance.
pub(crate) type HistoryRow = (String, i64, i64, String, String, Option<String>);

/// One history entry from its stored row; `None` (logged) when it does not
/// parse.
pub(crate) fn history_entry(row: HistoryRow) -> Option<DeviceReport> {
    let (jti, iat, accepted_at, freshness, compliance, assurance) = row;
    let (Some(freshness), Some(compliance), Ok(jti)) = (
        from_name::<Freshness>(&freshness),
        from_name::<Compliance>(&compliance),
        Jti::new(jti),
    ) else {
        tracing::warn!("device view: skipped a report row that does not parse");
        return None;
    };
    Some(DeviceReport {
        jti,
        iat: at(iat),
        accepted_at: at(accepted_at),
        freshness,
        compliance,
        assurance: assurance.as_deref().and_then(from_name::<AssuranceLevel>),
    })
}

/// A device's fleet-view columns as stored, before they are parsed.
pub(crate) struct RawFleetRow {
    pub device_id: String,
    pub platform: String,
    pub enrolled_at: i64,
    pub last_current_at: Option<i64>,
    pub compliance: Option<String>,
    pub attested: AttestationColumns,
    pub reported_patch: Option<i64>,
    pub reported_at: Option<i64>,
    pub jti: Option<String>,
    pub assessment: Option<String>,
    pub attestation_result: Option<String>,
    /// The latest current report's verdict when it was a warning: a
    /// warning whose grace has run out shows as non-compliant.
    pub warning_verdict: Option<String>,
}

/// The fleet rows of every enrolled device (or of `only` that one), each
/// with the `jti` of its latest current report.
fn fleet_rows(
    conn: &Connection,
    now: OffsetDateTime,
    stale_after_secs: u64,
    only: Option<&str>,
) -> rusqlite::Result<Vec<(FleetDevice, Option<String>)>> {
    let filter = if only.is_some() {
        "AND d.device_id = ?1"
    } else {
        ""
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT d.device_id, d.platform, d.enrolled_at, d.last_current_at, d.last_compliance,
                {ATTESTATION_COLUMNS},
                a.reported_os_patch_level, a.reported_at,
                s.jti, s.assessment, s.attestation_result,
                CASE WHEN d.last_compliance = 'warning' THEN r.verdict END
         FROM devices d LEFT JOIN device_attestations a ON a.device_id = d.device_id
         LEFT JOIN device_assessments s ON s.device_id = d.device_id
         LEFT JOIN reports r ON r.jti = s.jti
         WHERE d.unenrolled_at IS NULL {filter} ORDER BY d.enrolled_at, d.device_id"
    ))?;
    let map = |r: &rusqlite::Row<'_>| {
        Ok(RawFleetRow {
            device_id: r.get(0)?,
            platform: r.get(1)?,
            enrolled_at: r.get(2)?,
            last_current_at: r.get(3)?,
            compliance: r.get(4)?,
            attested: attestation_columns(r, 5)?,
            reported_patch: r.get(16)?,
            reported_at: r.get(17)?,
            jti: r.get(18)?,
            assessment: r.get(19)?,
            attestation_result: r.get(20)?,
            warning_verdict: r.get(21)?,
        })
    };
    let rows = match only {
        Some(id) => stmt
            .query_map(params![id], map)?
            .collect::<Result<Vec<_>, _>>()?,
        None => stmt.query_map([], map)?.collect::<Result<Vec<_>, _>>()?,
    };
    Ok(fleet_devices(rows, now, stale_after_secs))
}

/// Parses the stored fleet rows (rows that do not parse are skipped) and
/// decides each device's status: the part both stores share.
pub(crate) fn fleet_devices(
    rows: Vec<RawFleetRow>,
    now: OffsetDateTime,
    stale_after_secs: u64,
) -> Vec<(FleetDevice, Option<String>)> {
    let threshold = now.unix_timestamp() - i64::try_from(stale_after_secs).unwrap_or(i64::MAX);
    let mut devices = Vec::with_capacity(rows.len());
    for row in rows {
        let RawFleetRow {
            device_id,
            platform,
            enrolled_at,
            last_current_at,
            compliance,
            attested,
            reported_patch,
            reported_at,
            jti,
            assessment,
            attestation_result,
            warning_verdict,
        } = row;
        let (provenance, key_attestation) = match attested {
            Some((p, s)) => (p, s),
            None => (Provenance::SelfReported, None),
        };
        let (Some(platform), Ok(device_id)) =
            (from_name::<Platform>(&platform), DeviceId::new(device_id))
        else {
            continue;
        };
        let mut compliance = compliance.as_deref().and_then(from_name::<Compliance>);
        // A warning stored before its grace deadline is a block once the
        // deadline's day has begun, report or not (docs/policy.md §8.4).
        if compliance == Some(Compliance::Warning)
            && warning_verdict
                .as_deref()
                .and_then(|v| serde_json::from_str::<Verdict>(v).ok())
                .is_some_and(|v| crate::events::deadlines::verdict_blocks(&v, now))
        {
            compliance = Some(Compliance::NonCompliant);
        }
        let status = match (last_current_at, compliance) {
            (Some(t), Some(c)) if t >= threshold => match c {
                Compliance::Compliant => DeviceStatus::Compliant,
                Compliance::Warning => DeviceStatus::Warning,
                Compliance::NonCompliant => DeviceStatus::NonCompliant,
            },
            _ => DeviceStatus::Stale,
        };
        let assessment = assessment.and_then(|a| serde_json::from_str::<Assessment>(&a).ok());
        // Reports appraised before assessments were stored: the patch
        // level compared at the time.
        let attestation_mismatches = match &assessment {
            Some(a) => a.mismatches.clone(),
            None => mismatches(key_attestation.as_ref(), reported_patch, reported_at),
        };
        let (assurance, facts) = match assessment {
            Some(a) => (Some(a.assurance), a.facts),
            None => (None, Vec::new()),
        };
        devices.push((
            FleetDevice {
                device_id,
                platform,
                status,
                compliance,
                enrolled_at: at(enrolled_at),
                last_report_at: last_current_at.map(at),
                attestation_mismatches,
                provenance: Some(provenance),
                key_attestation,
                assurance,
                facts,
                attestation_result,
                app_attest: None,
                attestation_pin: None,
            },
            jti,
        ));
    }
    devices
}

/// Fills in the App Attest summary of the devices that have one: their
/// key is then vouched for by hardware.
fn add_app_attest(conn: &Connection, devices: &mut [FleetDevice]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.device_id, a.environment, a.counter, a.attested_at
         FROM device_app_attest a JOIN devices d ON d.device_id = a.device_id
         WHERE d.unenrolled_at IS NULL",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, u32>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    let rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    apply_app_attest(devices, rows);
    Ok(())
}

/// Fills in the App Attest summaries from (device id, environment,
/// counter, attested_at) rows of enrolled devices.
pub(crate) fn apply_app_attest(devices: &mut [FleetDevice], rows: Vec<(String, String, u32, i64)>) {
    let mut found = std::collections::HashMap::new();
    for (device_id, environment, counter, attested_at) in rows {
        if let Some(environment) = from_name::<AppAttestEnvironment>(&environment) {
            found.insert(
                device_id,
                AppAttestSummary {
                    environment,
                    counter,
                    attested_at: at(attested_at),
                },
            );
        }
    }
    for device in devices.iter_mut() {
        if let Some(s) = found.remove(device.device_id.as_str()) {
            device.provenance = Some(Provenance::Hardware);
            device.app_attest = Some(s);
        }
    }
}

/// The provenance and summary of a device's key attestation, from the
/// [`ATTESTATION_COLUMNS`] starting at column `at` (all NULL when it has none).
pub(crate) type AttestationColumns = Option<(Provenance, Option<KeyAttestationSummary>)>;

/// The [`ATTESTATION_COLUMNS`] as stored (all `None` for a device without
/// a key attestation).
pub(crate) struct RawAttestation {
    pub provenance: Option<String>,
    pub security_level: Option<String>,
    pub attestation_version: Option<i64>,
    pub verified_boot_state: Option<String>,
    pub device_locked: Option<bool>,
    pub os_version: Option<i64>,
    pub os_patch_level: Option<i64>,
    pub vendor_patch_level: Option<i64>,
    pub boot_patch_level: Option<i64>,
    pub verified_boot_key_sha256: Option<String>,
    pub attested_at: Option<i64>,
}

fn attestation_columns(r: &rusqlite::Row<'_>, at0: usize) -> rusqlite::Result<AttestationColumns> {
    let c = |i: usize| at0 + i;
    Ok(parse_attestation(RawAttestation {
        provenance: r.get(c(0))?,
        security_level: r.get(c(1))?,
        attestation_version: r.get(c(2))?,
        verified_boot_state: r.get(c(3))?,
        device_locked: r.get(c(4))?,
        os_version: r.get(c(5))?,
        os_patch_level: r.get(c(6))?,
        vendor_patch_level: r.get(c(7))?,
        boot_patch_level: r.get(c(8))?,
        verified_boot_key_sha256: r.get(c(9))?,
        attested_at: r.get(c(10))?,
    }))
}

/// Parses stored attestation columns: `None` without an attestation, a
/// provenance without a summary when the security level does not parse.
pub(crate) fn parse_attestation(raw: RawAttestation) -> AttestationColumns {
    let provenance = raw.provenance?;
    let Some(provenance) = from_name::<Provenance>(&provenance) else {
        tracing::warn!(
            "fleet: a device's attestation provenance does not parse; shown as self-reported"
        );
        return None;
    };
    let summary = raw
        .security_level
        .as_deref()
        .and_then(from_name::<AttestedSecurityLevel>)
        .map(|security_level| KeyAttestationSummary {
            security_level,
            attestation_version: raw.attestation_version.unwrap_or(0),
            verified_boot_state: raw
                .verified_boot_state
                .as_deref()
                .and_then(from_name::<AttestedBootState>),
            device_locked: raw.device_locked,
            os_version: raw.os_version,
            os_patch_level: raw.os_patch_level,
            vendor_patch_level: raw.vendor_patch_level,
            boot_patch_level: raw.boot_patch_level,
            verified_boot_key_sha256: raw.verified_boot_key_sha256,
            attested_at: at(raw.attested_at.unwrap_or(0)),
        });
    Some((provenance, summary))
}

/// Where the latest current report disagrees with the attestation.
fn mismatches(
    attested: Option<&KeyAttestationSummary>,
    reported_patch: Option<i64>,
    reported_at: Option<i64>,
) -> Vec<AttestationMismatch> {
    // Some devices attest the OS patch level as YYYYMMDD: compare months.
    let ym = |v: i64| if v >= 10_000_000 { v / 100 } else { v };
    let month = |v: i64| format!("{:04}-{:02}", v / 100, v % 100);
    let attested = attested.and_then(|a| a.os_patch_level).map(ym);
    match (attested, reported_patch, reported_at) {
        (Some(a), Some(r), Some(t)) if a != r => vec![AttestationMismatch {
            fact: "os_patch_level".into(),
            attested: month(a),
            reported: month(r),
            reported_at: at(t),
        }],
        _ => Vec::new(),
    }
}

/// How many reports are stored.
pub(crate) fn report_count(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row("SELECT count(*) FROM reports", [], |r| r.get::<_, i64>(0))
        .map(|n| u64::try_from(n).unwrap_or(0))
}

/// How many devices are enrolled now.
pub(crate) fn device_count(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row(
        "SELECT count(*) FROM devices WHERE unenrolled_at IS NULL",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| u64::try_from(n).unwrap_or(0))
}

/// Walks the stored reports oldest first, as export lines.
pub(crate) struct ExportCursor;

impl ExportCursor {
    /// Calls `line` with each report accepted at or after `since` (one JSON
    /// object and a newline); stops early when it returns false.
    pub fn run(
        conn: &Connection,
        since: Option<OffsetDateTime>,
        mut line: impl FnMut(Vec<u8>) -> bool,
    ) -> rusqlite::Result<()> {
        let since = since.map_or(i64::MIN, |t| t.unix_timestamp());
        let mut stmt = conn.prepare(
            "SELECT jti, device_id, accepted_at, freshness, verdict, token FROM reports
             WHERE accepted_at >= ?1 ORDER BY accepted_at, rowid",
        )?;
        let mut rows = stmt.query(params![since])?;
        while let Some(r) = rows.next()? {
            let Some(bytes) = export_line(ExportRow {
                jti: r.get(0)?,
                device_id: r.get(1)?,
                accepted_at: r.get(2)?,
                freshness: r.get(3)?,
                verdict: r.get(4)?,
                token: r.get(5)?,
            }) else {
                continue;
            };
            if !line(bytes) {
                break;
            }
        }
        Ok(())
    }
}

/// A stored report as the export reads it.
pub(crate) struct ExportRow {
    pub jti: String,
    pub device_id: String,
    pub accepted_at: i64,
    pub freshness: String,
    pub verdict: String,
    pub token: String,
}

/// One export line (a JSON object and a newline); `None` (logged) when the
/// row does not parse.
pub(crate) fn export_line(row: ExportRow) -> Option<Vec<u8>> {
    let (Some(freshness), Ok(verdict), Ok(jti), Ok(device_id)) = (
        from_name::<Freshness>(&row.freshness),
        serde_json::from_str(&row.verdict),
        Jti::new(row.jti),
        DeviceId::new(row.device_id),
    ) else {
        tracing::warn!("export: skipped a report row that does not parse");
        return None;
    };
    let record = ExportRecord {
        jti,
        device_id,
        accepted_at: at(row.accepted_at),
        freshness,
        verdict,
        token: row.token,
    };
    let mut bytes = serde_json::to_vec(&record).ok()?;
    bytes.push(b'\n');
    Some(bytes)
}

/// The stored (snake_case) name of a serde enum value.
pub(crate) fn name_of<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
