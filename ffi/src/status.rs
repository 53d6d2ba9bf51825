//! The agent's status and the outcomes of its operations, as uniffi records.
//!
//! The outcomes that map cleanly (`FlushOutcome`, `Rejected`,
//! `UnenrolOutcome`, `VerdictRecord`, `ServerVerdict`, `AgentState`,
//! `AttestationSummary`) are
//! agent-core's own types, derived behind its `uniffi` feature. Mirrored
//! here: [`Status`] (the core's holds a `PathBuf`, a string here),
//! [`CheckInOutcome`] (it holds a `Status`) and [`ReportPreview`] (the
//! core's holds the token claims, whose posture is the mirrored one).

use agent_core::agent::{self as core, AgentState, FlushOutcome, VerdictRecord};
use agent_core::policy::{PolicyRef, Verdict};
use agent_core::token::AttestationSummary;
use agent_core::uniffi_types::Timestamp;

use crate::posture::Posture;

/// Everything an app needs to show the agent's state.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Status {
    /// Enrolled or not.
    pub state: AgentState,
    /// The storage directory.
    pub storage_dir: String,
    /// The collector's URL, when enrolled.
    pub server_url: Option<String>,
    /// The device id the collector assigned, when enrolled.
    pub device_id: Option<String>,
    /// The device key's thumbprint, when enrolled.
    pub kid: Option<String>,
    /// When the device enrolled.
    pub enrolled_at: Option<Timestamp>,
    /// The check-in interval the collector asked for, seconds.
    pub checkin_interval_secs: Option<u32>,
    /// When the collector last acknowledged a report.
    pub last_checkin_at: Option<Timestamp>,
    /// The policy in force (name and revision), when enrolled.
    pub policy: Option<PolicyRef>,
    /// The last verdicts: the device's own and the server's.
    pub verdicts: VerdictRecord,
    /// Reports waiting in the outbox.
    pub queued_reports: u64,
    /// Reports evicted from a full outbox, ever.
    pub evicted_reports: u64,
    /// Collector answers that broke the protocol, ever (their reports stayed queued).
    pub protocol_errors: u64,
    /// Until when the collector asked not to be sent anything (Retry-After).
    pub server_wait_until: Option<Timestamp>,
    /// When the oldest queued report was made.
    pub oldest_queued_at: Option<Timestamp>,
    /// The collector's latest attestation result, in summary (never the
    /// token: see `compliance_token`).
    pub attestation: Option<AttestationSummary>,
}

impl From<core::Status> for Status {
    fn from(s: core::Status) -> Self {
        Status {
            state: s.state,
            storage_dir: s.state_dir.display().to_string(),
            server_url: s.server_url,
            device_id: s.device_id.map(String::from),
            kid: s.kid,
            enrolled_at: s.enrolled_at,
            checkin_interval_secs: s.checkin_interval_secs,
            last_checkin_at: s.last_checkin_at,
            policy: s.policy,
            verdicts: s.verdicts,
            queued_reports: s.queued_reports,
            evicted_reports: s.evicted_reports,
            protocol_errors: s.protocol_errors,
            server_wait_until: s.server_wait_until,
            oldest_queued_at: s.oldest_queued_at,
            attestation: s.attestation,
        }
    }
}

/// What a check-in did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CheckInOutcome {
    /// The device's own verdict, immediately.
    pub local_verdict: Verdict,
    /// The new report's id.
    pub jti: String,
    /// Whether its nonce was fresh from the collector (so the report can
    /// count as current compliance).
    pub fresh_nonce: bool,
    /// What delivery did (this report and any queued before it).
    pub delivery: FlushOutcome,
    /// The status afterwards.
    pub status: Status,
    /// Whether the app may prompt the person about the verdict now (quiet
    /// hours); the check-in ran either way.
    pub notify: agent_core::quiet_hours::NotifyDecision,
}

impl From<core::CheckInOutcome> for CheckInOutcome {
    fn from(o: core::CheckInOutcome) -> Self {
        CheckInOutcome {
            local_verdict: o.local_verdict,
            jti: o.jti,
            fresh_nonce: o.fresh_nonce,
            delivery: o.delivery,
            status: o.status.into(),
            notify: o.notify,
        }
    }
}

/// The exact report a check-in would sign and send now (nothing is signed,
/// stored or sent), so a person can see what leaves the device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReportPreview {
    /// The payload exactly as it would be signed (compact JSON).
    pub payload: String,
    /// The device id the report names (`sub`).
    pub device_id: String,
    /// The nonce it would answer.
    pub nonce: String,
    /// The posture it carries.
    pub posture: Posture,
    /// The device's own verdict on that posture.
    pub verdict: Verdict,
}

impl From<core::ReportPreview> for ReportPreview {
    fn from(p: core::ReportPreview) -> Self {
        let claims = p.claims;
        ReportPreview {
            payload: p.payload,
            device_id: claims.sub.into(),
            nonce: claims.eat_nonce.into(),
            posture: claims.posture.into(),
            verdict: claims.verdict,
        }
    }
}
