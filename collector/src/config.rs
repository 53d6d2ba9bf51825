//! The collector's settings.

use std::path::PathBuf;
use std::time::Duration;

use agent_core::protocol::AssuranceLevel;
use agent_core::{Platform, Policy};
use posture_attestation::TrustedRoots;

use crate::attestation::{AllowedApp, BootKey, MinSecurityLevel, StatusUrl};
use crate::relying_party::RelyingParties;

/// How a collector runs; [`CollectorConfig::default`] suits a local test.
#[derive(Debug, Clone)]
pub struct CollectorConfig {
    /// The SQLite database file; `None` keeps it in a temporary directory
    /// that is deleted when the collector is dropped.
    pub db_path: Option<PathBuf>,
    /// A PostgreSQL database to use instead of SQLite (`db_path` is then
    /// ignored); several collectors may share one.
    pub postgres: Option<crate::storage::PostgresUrl>,
    /// The policy every device is evaluated against.
    pub policy: Policy,
    /// How often devices should check in (sent at enrolment; also the base
    /// of `next_checkin_at` and of the stale threshold).
    pub checkin_interval_secs: u64,
    /// How long an issued nonce keeps a report `current` (at most 24 h).
    pub nonce_lifetime: Duration,
    /// The admin bearer token; a random one is generated when `None`.
    pub admin_token: Option<String>,
    /// Default lifetime of an enrolment code.
    pub code_ttl: Duration,
    /// Failed enrolment attempts allowed per client address in one window.
    pub enrol_failures_per_address: u32,
    /// The window of [`CollectorConfig::enrol_failures_per_address`].
    pub enrol_failure_window: Duration,
    /// Failed attempts after which an enrolment code is void.
    pub enrol_failures_per_code: u32,
    /// How key attestation chains sent at enrolment are checked.
    pub attestation: AttestationConfig,
    /// The weakest assurance level a compliant verdict may rest on
    /// (protocol §5.3.1); below it the verdict is non-compliant.
    pub min_assurance: AssuranceLevel,
    /// A PEM PKCS#8 file with the key that signs attestation results,
    /// made (0600) when it does not exist; `None` keeps the key in the
    /// database, made at first start.
    pub signing_key: Option<PathBuf>,
    /// How old a device's attestation pin may get before the collector
    /// asks for a fresh key attestation in the next report (protocol §5.3.3).
    pub reattest_after: Duration,
    /// Where security events (OCSF) go; by default nowhere.
    pub events: crate::events::EventsConfig,
    /// The relying parties that may ask about devices (protocol §11).
    pub relying_parties: RelyingParties,
    /// A JSON file linking gateway device ids to device ids
    /// (docs/conditional-access.md), read on every request that needs it.
    pub gateway_links: Option<PathBuf>,
    /// How often the collector looks for `warn-then-block` grace deadlines
    /// that passed without a report, to announce each once (at least 1 s).
    pub grace_deadline_scan_interval: Duration,
}

/// Default [`CollectorConfig::grace_deadline_scan_interval`]: a block is
/// announced within a minute of its day starting.
pub const GRACE_DEADLINE_SCAN_INTERVAL: Duration = Duration::from_secs(60);

/// How the collector checks the key attestation chain of an enrolment
/// (protocol §5.1). A chain that is sent is always verified; these say
/// against what, and whether one is required.
#[derive(Debug, Clone, Default)]
pub struct AttestationConfig {
    /// Trust anchors; `None` trusts Google's attestation roots.
    pub roots: Option<TrustedRoots>,
    /// Google's attestation status list (JSON), re-read when the file
    /// changes; `None` checks no revocation.
    pub status_file: Option<PathBuf>,
    /// Platforms whose enrolments must carry valid hardware evidence: an
    /// Android key attestation chain, or (ios) Apple App Attest, which needs
    /// [`AttestationConfig::app_attest`].
    pub required_for: Vec<Platform>,
    /// Accept chains from Android's software keystore (emulators); such
    /// devices are labelled `software-attestation`, never `hardware`.
    pub allow_software: bool,
    /// How Apple App Attest evidence is checked; `None`: not checked.
    pub app_attest: Option<crate::attestation::AppAttestConfig>,
    /// The status list over HTTPS, refreshed in the background; with
    /// `status_file` too, the file is used when the first fetch fails.
    pub status_url: Option<StatusUrl>,
    /// The lowest security level accepted (docs/attestation-policy.md).
    pub min_security_level: Option<MinSecurityLevel>,
    /// Require a locked bootloader with verified boot state `verified`, or
    /// `self-signed` with a key in `verified_boot_keys`.
    pub require_locked_bootloader: bool,
    /// When not empty, only keys of these apps are accepted.
    pub allowed_apps: Vec<AllowedApp>,
    /// Verified-boot keys accepted for a self-signed OS (e.g. GrapheneOS).
    pub verified_boot_keys: Vec<BootKey>,
}

impl Default for CollectorConfig {
    fn default() -> Self {
        CollectorConfig {
            db_path: None,
            postgres: None,
            policy: Policy::default_policy(),
            checkin_interval_secs: 6 * 3600,
            nonce_lifetime: Duration::from_secs(24 * 3600),
            admin_token: None,
            code_ttl: Duration::from_secs(24 * 3600),
            enrol_failures_per_address: 10,
            enrol_failure_window: Duration::from_secs(600),
            enrol_failures_per_code: 5,
            attestation: AttestationConfig::default(),
            min_assurance: AssuranceLevel::None,
            signing_key: None,
            reattest_after: Duration::from_secs(7 * 24 * 3600),
            events: crate::events::EventsConfig::default(),
            relying_parties: RelyingParties::default(),
            gateway_links: None,
            grace_deadline_scan_interval: GRACE_DEADLINE_SCAN_INTERVAL,
        }
    }
}
