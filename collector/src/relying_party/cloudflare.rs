//! Cloudflare Access's custom device posture integration: Access posts
//! the devices it knows (WARP device id, e-mail, serial number, MAC
//! address, virtual IP, host name) and expects a 0–100 score for each.
//! Only `device_id` is read; the rest is dropped unread, never stored or
//! logged, and a device is matched only through an explicit link.

use std::collections::BTreeMap;

use agent_core::protocol::{AssuranceLevel, ComplianceAnswer, DeviceStatus};
use serde::{Deserialize, Serialize};

/// Most devices Access sends in one request (its documented maximum).
pub(crate) const MAX_DEVICES: usize = 1000;
/// Largest request body taken: 1,000 devices with every field filled.
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Longest WARP device id read (they are UUIDs).
const MAX_DEVICE_ID_LEN: usize = 128;

/// The request body: `{"devices": [{"device_id": ..., ...}, ...]}`.
#[derive(Debug, Deserialize)]
pub(crate) struct PostureRequest {
    pub devices: Vec<RequestDevice>,
}

/// One device of the request; every other member is ignored unread.
#[derive(Debug, Deserialize)]
pub(crate) struct RequestDevice {
    pub device_id: String,
}

/// The answer: `{"result": {"<WARP device id>": {"s2s_id", "score"}}}`.
#[derive(Debug, Serialize)]
pub(crate) struct PostureResponse {
    pub result: BTreeMap<String, DeviceScore>,
}

/// One device's score; `s2s_id` is our device id, or empty when the WARP
/// device is linked to none.
#[derive(Debug, Serialize)]
pub(crate) struct DeviceScore {
    pub s2s_id: String,
    pub score: u8,
}

impl PostureRequest {
    /// Checks the bounds: at most [`MAX_DEVICES`], each id short ASCII.
    pub fn check(&self) -> Result<(), String> {
        if self.devices.len() > MAX_DEVICES {
            return Err(format!("at most {MAX_DEVICES} devices per request"));
        }
        if let Some(i) = self.devices.iter().position(|d| {
            d.device_id.is_empty()
                || d.device_id.len() > MAX_DEVICE_ID_LEN
                || !d.device_id.bytes().all(|b| b.is_ascii_graphic())
        }) {
            return Err(format!(
                "devices[{i}].device_id must be 1 to {MAX_DEVICE_ID_LEN} printable ASCII characters"
            ));
        }
        Ok(())
    }
}

/// The score for a device (docs/conditional-access.md has the table):
/// 0 for anything a gate should refuse (non-compliant, stale, unknown,
/// unlinked); a compliant verdict scores by how well its facts are
/// vouched for, a warning in its grace period below every compliant one.
pub fn score(answer: Option<&ComplianceAnswer>) -> u8 {
    answer.map_or(0, |a| score_of(a.status, a.assurance))
}

/// [`score`] from a device's status and assurance level.
pub(crate) fn score_of(status: DeviceStatus, assurance: Option<AssuranceLevel>) -> u8 {
    let assurance = assurance.unwrap_or(AssuranceLevel::None);
    match status {
        DeviceStatus::Compliant => match assurance {
            AssuranceLevel::Hardware => 100,
            AssuranceLevel::Os => 90,
            AssuranceLevel::SelfReported => 70,
            AssuranceLevel::None => 60,
        },
        DeviceStatus::Warning => match assurance {
            AssuranceLevel::Hardware => 50,
            AssuranceLevel::Os => 45,
            AssuranceLevel::SelfReported => 40,
            AssuranceLevel::None => 30,
        },
        DeviceStatus::NonCompliant | DeviceStatus::Stale => 0,
    }
}
