//! The compliance answer (protocol §11.1), built from the device view the
//! admin API shows, so both always say the same.

use agent_core::policy::Outcome;
use agent_core::protocol::{ComplianceAnswer, ComplianceFreshness, DeviceStatus};
use time::{Duration, OffsetDateTime};

use crate::collector::Collector;
use crate::error::CollectorError;

/// The answer for the enrolled device `device_id` at `now` (a warning
/// whose grace deadline day has begun answers non-compliant, with the
/// deadline that passed); `None` when no
/// enrolled device has it. Blocking.
pub(crate) fn answer_by_id(
    c: &Collector,
    device_id: &str,
    stale_after_secs: u64,
    now: OffsetDateTime,
) -> Result<Option<ComplianceAnswer>, CollectorError> {
    let Some(jkt) = c.inner.store.kid_of_device(device_id)? else {
        return Ok(None);
    };
    answer(c, device_id, jkt, stale_after_secs, now)
}

/// The answer for the enrolled device whose key has thumbprint `jkt`;
/// `None` when there is none. Blocking.
pub(crate) fn answer_by_jkt(
    c: &Collector,
    jkt: &str,
    stale_after_secs: u64,
    now: OffsetDateTime,
) -> Result<Option<ComplianceAnswer>, CollectorError> {
    let Some(device_id) = c.inner.store.device_of_kid(jkt)? else {
        return Ok(None);
    };
    answer(c, &device_id, jkt.to_owned(), stale_after_secs, now)
}

fn answer(
    c: &Collector,
    device_id: &str,
    jkt: String,
    stale_after_secs: u64,
    now: OffsetDateTime,
) -> Result<Option<ComplianceAnswer>, CollectorError> {
    // Unenrolled between the two reads: as unknown as never enrolled.
    let Some(detail) = c.device_detail_at(device_id, Some(stale_after_secs), now)? else {
        return Ok(None);
    };
    let device = detail.device;
    let last = device.last_report_at;
    let stale_at = last.and_then(|t| {
        i64::try_from(stale_after_secs)
            .ok()
            .and_then(|s| t.checked_add(Duration::seconds(s)))
    });
    let verdict = detail.verdict;
    let grace_deadline = verdict.as_ref().and_then(|v| {
        v.findings
            .iter()
            .filter(|f| f.outcome == Outcome::Warn)
            .filter_map(|f| f.deadline)
            .min()
    });
    Ok(Some(ComplianceAnswer {
        device_id: device.device_id,
        jkt,
        status: device.status,
        compliance: device.compliance,
        assurance: device.assurance,
        freshness: ComplianceFreshness {
            last_verified_at: last,
            stale: device.status == DeviceStatus::Stale,
            stale_after_secs,
            stale_at,
        },
        grace_deadline,
        policy: verdict.map(|v| v.policy),
        checked_at: now,
    }))
}
