//! Which gateway device is which enrolled device. A gateway names devices
//! its own way (Cloudflare's WARP device UUID, Tailscale's node id); the
//! collector collects no serial number, MAC address, host name or e-mail
//! to match them by, so an administrator links the two ids explicitly.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{RelyingPartyError, read_bounded};

/// Longest gateway device id.
const MAX_EXTERNAL_ID_LEN: usize = 128;

/// Gateway device ids linked to enrolled device ids, per gateway.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayLinks {
    /// Cloudflare WARP device id → device id.
    #[serde(default)]
    pub cloudflare: BTreeMap<String, String>,
    /// Tailscale device (node) id → device id.
    #[serde(default)]
    pub tailscale: BTreeMap<String, String>,
}

impl GatewayLinks {
    /// Reads the links from a JSON file (docs/conditional-access.md).
    pub fn from_file(path: &Path) -> Result<GatewayLinks, RelyingPartyError> {
        let text = read_bounded(path)?;
        GatewayLinks::parse(&text, &path.display().to_string())
    }

    /// Parses the links document; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<GatewayLinks, RelyingPartyError> {
        let invalid = |reason: String| RelyingPartyError::Invalid {
            path: origin.to_owned(),
            reason,
        };
        let links: GatewayLinks = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        for (gateway, map) in [
            ("cloudflare", &links.cloudflare),
            ("tailscale", &links.tailscale),
        ] {
            for (external, device) in map {
                if external.is_empty()
                    || external.len() > MAX_EXTERNAL_ID_LEN
                    || !external.bytes().all(|b| b.is_ascii_graphic())
                {
                    return Err(invalid(format!(
                        "{gateway}: the gateway id {external:?} is not 1 to \
                         {MAX_EXTERNAL_ID_LEN} printable ASCII characters"
                    )));
                }
                if !is_device_id(device) {
                    return Err(invalid(format!(
                        "{gateway}.{external}: {device:?} is not a device id"
                    )));
                }
            }
        }
        Ok(links)
    }
}

/// Whether `id` has the shape of a device id (`dev_` and base64url).
pub(crate) fn is_device_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}
