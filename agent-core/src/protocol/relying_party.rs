//! The reference collector's relying-party API: what a gateway (a ZTNA
//! client, an mTLS proxy, an identity provider) asks about one device.
//! Other backends need not offer it.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::admin::DeviceStatus;
use super::assurance::AssuranceLevel;
use super::ids::DeviceId;
use crate::policy::{Compliance, PolicyRef};

/// The scope a relying-party token needs to read compliance answers.
pub const SCOPE_COMPLIANCE_READ: &str = "compliance:read";
/// The scope Cloudflare Access's custom device posture check needs.
pub const SCOPE_CLOUDFLARE_POSTURE: &str = "cloudflare:posture";
/// Every scope a relying-party token may carry.
pub const SCOPES: [&str; 2] = [SCOPE_COMPLIANCE_READ, SCOPE_CLOUDFLARE_POSTURE];

/// One device's compliance as a gateway should act on it. It names the
/// device only by its random id and its key's thumbprint: never a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceAnswer {
    /// The device id.
    pub device_id: DeviceId,
    /// The RFC 7638 thumbprint of the device's key (what an mTLS gateway
    /// or the attestation result's `cnf.jkt` shows).
    pub jkt: String,
    /// What to act on: the latest current verdict, or `stale` when there
    /// is none within the stale threshold.
    pub status: DeviceStatus,
    /// The server verdict of the latest current report, if any (even
    /// when stale: `status` says whether it still counts).
    pub compliance: Option<Compliance>,
    /// The assurance level of that verdict.
    pub assurance: Option<AssuranceLevel>,
    /// How recent the evidence is.
    pub freshness: ComplianceFreshness,
    /// The earliest day by which a warning in its grace period becomes a
    /// failure; `null` when the verdict has none.
    pub grace_deadline: Option<Date>,
    /// The policy of that verdict.
    pub policy: Option<PolicyRef>,
    /// When the collector answered.
    #[serde(with = "time::serde::rfc3339")]
    pub checked_at: OffsetDateTime,
}

/// How recent a device's verified evidence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceFreshness {
    /// When the latest current report was verified and accepted; `null`
    /// when there never was one.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_verified_at: Option<OffsetDateTime>,
    /// Whether that is older than the stale threshold (or absent).
    pub stale: bool,
    /// The stale threshold used, in seconds.
    pub stale_after_secs: u64,
    /// When the device turns stale unless it reports again; `null` when
    /// it has no current report.
    #[serde(with = "time::serde::rfc3339::option")]
    pub stale_at: Option<OffsetDateTime>,
}
