//! The reference collector's admin API. Other backends need not offer it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::ids::{DeviceId, EnrolmentCode, Jti};
use super::messages::Freshness;
use crate::policy::{Compliance, Verdict};
use crate::posture::Platform;

/// A device's standing in the fleet summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// Latest current report compliant.
    Compliant,
    /// Latest current report a warning.
    Warning,
    /// Latest current report non-compliant.
    NonCompliant,
    /// No current report within the stale threshold (or none ever).
    Stale,
}

/// One device in the fleet summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetDevice {
    /// The device id.
    pub device_id: DeviceId,
    /// Its platform, as given at enrolment.
    pub platform: Platform,
    /// Its standing.
    pub status: DeviceStatus,
    /// Server verdict of its latest current report, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance: Option<Compliance>,
    /// When it enrolled.
    #[serde(with = "time::serde::rfc3339")]
    pub enrolled_at: OffsetDateTime,
    /// When its latest current report was accepted, if ever.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_report_at: Option<OffsetDateTime>,
}

/// `GET /v1/fleet` response body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetSummary {
    /// When the summary was computed.
    #[serde(with = "time::serde::rfc3339")]
    pub generated_at: OffsetDateTime,
    /// A device without a current report for this long is stale.
    pub stale_after_secs: u64,
    /// Enrolled devices.
    pub total: u64,
    /// Devices whose status is compliant.
    pub compliant: u64,
    /// Devices whose status is warning.
    pub warning: u64,
    /// Devices whose status is non-compliant.
    pub non_compliant: u64,
    /// Devices whose status is stale.
    pub stale: u64,
    /// Each device.
    pub devices: Vec<FleetDevice>,
}

/// One line of `GET /v1/reports/export`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRecord {
    /// The report's `jti`.
    pub jti: Jti,
    /// The device.
    pub device_id: DeviceId,
    /// When the server accepted it.
    #[serde(with = "time::serde::rfc3339")]
    pub accepted_at: OffsetDateTime,
    /// Current or historical.
    pub freshness: Freshness,
    /// The server's verdict.
    pub verdict: Verdict,
    /// The token exactly as received, so an auditor can verify it again.
    pub token: String,
}

/// `POST /v1/admin/enrolment-codes` request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueCodesRequest {
    /// How many codes (1 to 100).
    pub count: u32,
    /// Lifetime of each code in seconds (default one day, at most 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
    /// A free-text label kept with the codes (e.g. a ward or a ticket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// One issued code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedCode {
    /// The code; shown once, stored by the server only as a hash.
    pub code: EnrolmentCode,
    /// When it expires if unused.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// `POST /v1/admin/enrolment-codes` response body (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueCodesResponse {
    /// The codes.
    pub codes: Vec<IssuedCode>,
}
