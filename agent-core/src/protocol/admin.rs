//! The reference collector's admin API. Other backends need not offer it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::assurance::{AssuranceLevel, AttestationMismatch, FactRecord};
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
    /// Who vouches for the device's key (absent from collectors that do
    /// not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    /// What the verified key attestation said at enrolment, if one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_attestation: Option<KeyAttestationSummary>,
    /// The Apple App Attest key verified at enrolment (iOS), if one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_attest: Option<AppAttestSummary>,
    /// Facts the latest current report states otherwise than the key
    /// attestation; the collector's verdict used the attested values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attestation_mismatches: Vec<AttestationMismatch>,
    /// The assurance level of the latest current report's verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assurance: Option<AssuranceLevel>,
    /// Each finding's fact and provenance in that verdict.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<FactRecord>,
    /// The attestation result (EAR, a signed JWT) issued for that report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_result: Option<String>,
    /// The device's attestation pin (protocol §5.3.3), when it has a
    /// verified Android key attestation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_pin: Option<AttestationPin>,
}

/// Whether every re-attestation so far kept to the device's pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PinState {
    /// No re-attestation has shown a downgrade.
    Intact,
    /// A re-attestation showed a downgrade: the device stays non-compliant
    /// until it is enrolled again.
    Broken,
}

/// The values the collector pinned for a device (`key_attestation` holds
/// them) and what broke the pin, if anything did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationPin {
    /// Intact or broken.
    pub state: PinState,
    /// When a verified chain last set the pin (enrolment or re-attestation).
    #[serde(with = "time::serde::rfc3339")]
    pub pinned_at: OffsetDateTime,
    /// The downgrades seen, newest first (at most 20).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<PinBreak>,
}

/// One pinned value a re-attestation showed lower (or another boot key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinBreak {
    /// When the collector saw it.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Which value: `verified_boot_key`, `security_level`, `os_version`,
    /// `os_patch_level`, `vendor_patch_level` or `boot_patch_level`.
    pub field: String,
    /// The pinned value, as `key_attestation` shows it.
    pub pinned: String,
    /// The value the re-attestation showed (`absent` when it had none).
    pub seen: String,
    /// The refused report's `jti`.
    pub jti: Jti,
}

/// Which Apple App Attest environment attested a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppAttestEnvironment {
    /// Production (App Store, TestFlight builds).
    Production,
    /// Development (development-signed builds), accepted only when the
    /// collector allows it.
    Development,
}

/// What a verified App Attest attestation vouched for: a key in the
/// Secure Enclave of a genuine Apple device, held by the configured app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppAttestSummary {
    /// The environment that attested the key.
    pub environment: AppAttestEnvironment,
    /// The last accepted assertion counter (0 until a report carries one).
    pub counter: u32,
    /// When the collector verified the attestation.
    #[serde(with = "time::serde::rfc3339")]
    pub attested_at: OffsetDateTime,
}

/// Who vouches for a device's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provenance {
    /// A verified key attestation chain from a TEE or StrongBox, or a
    /// verified Apple App Attest attestation.
    Hardware,
    /// A verified chain from Android's software keystore (an emulator),
    /// accepted because the collector allows it: proves nothing about hardware.
    SoftwareAttestation,
    /// No attestation: only the device says where its key lives.
    SelfReported,
}

/// Who enforces an attested key's properties, weakest first (so `<` is
/// "weaker than").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttestedSecurityLevel {
    /// Android's software keystore.
    Software,
    /// A trusted execution environment.
    Tee,
    /// A discrete secure element.
    Strongbox,
}

/// The verified-boot state the bootloader attested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttestedBootState {
    /// Locked, booted an OS signed by the device maker's key.
    Verified,
    /// Locked, booted an OS signed by a key the owner set (e.g. GrapheneOS).
    SelfSigned,
    /// Unlocked: any OS may have booted.
    Unverified,
    /// Verification failed.
    Failed,
}

/// The facts a verified Android key attestation vouched for: at enrolment,
/// then as moved up by re-attestations (the device's pin, protocol §5.3.3).
/// Device identifiers (ID attestation) are never part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttestationSummary {
    /// The lower of the attestation and KeyMint security levels.
    pub security_level: AttestedSecurityLevel,
    /// The attestation format version (e.g. 3, 4, 100, 200, 300, 400).
    pub attestation_version: i64,
    /// The verified-boot state, when attested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_boot_state: Option<AttestedBootState>,
    /// Whether the bootloader is locked, when attested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_locked: Option<bool>,
    /// The OS version as attested: major·10000 + minor·100 + patch
    /// (150000 is Android 15.0.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<i64>,
    /// The OS patch level as attested, YYYYMM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_patch_level: Option<i64>,
    /// The vendor patch level as attested, YYYYMMDD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_patch_level: Option<i64>,
    /// The boot patch level as attested, YYYYMMDD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_patch_level: Option<i64>,
    /// The attested verified-boot key, lowercase hex: Android defines it as
    /// the SHA-256 of the key that signed the boot image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_boot_key_sha256: Option<String>,
    /// When the collector verified the chain these values come from.
    #[serde(with = "time::serde::rfc3339")]
    pub attested_at: OffsetDateTime,
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

/// One report in a device's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceReport {
    /// The report's `jti`.
    pub jti: Jti,
    /// When the device made it.
    #[serde(with = "time::serde::rfc3339")]
    pub iat: OffsetDateTime,
    /// When the collector accepted it.
    #[serde(with = "time::serde::rfc3339")]
    pub accepted_at: OffsetDateTime,
    /// Current or historical.
    pub freshness: Freshness,
    /// The collector's verdict.
    pub compliance: Compliance,
    /// Its assurance level (absent for reports stored before levels existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assurance: Option<AssuranceLevel>,
}

/// `GET /v1/fleet/devices/{device_id}` response body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceDetail {
    /// The device as the fleet summary shows it.
    pub device: FleetDevice,
    /// The collector's verdict on its latest current report, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// Its latest reports, newest first (at most [`DEVICE_HISTORY_LEN`]).
    pub history: Vec<DeviceReport>,
}

/// How many reports the device view lists.
pub const DEVICE_HISTORY_LEN: usize = 20;
