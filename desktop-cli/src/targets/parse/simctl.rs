//! `xcrun simctl list -j devices runtimes`: the iOS simulators a Mac has.
//!
//! Only the fields the agent uses are read; unknown fields are ignored
//! because Apple adds fields with each Xcode. Data and log paths (which hold
//! the Mac user's home folder) are never read.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Largest listing accepted: a Mac with many runtimes lists a lot of device
/// types, so simctl has its own bound.
pub const MAX_SIMCTL_BYTES: usize = 4 * 1024 * 1024;

/// The parts of `simctl list -j` the agent reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SimctlList {
    /// Devices, keyed by runtime identifier.
    #[serde(default)]
    pub devices: BTreeMap<String, Vec<SimDevice>>,
    /// Installed runtimes.
    #[serde(default)]
    pub runtimes: Vec<SimRuntime>,
}

/// A simulator runtime (an OS version).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimRuntime {
    /// `com.apple.CoreSimulator.SimRuntime.iOS-17-4`.
    pub identifier: String,
    /// `17.4`.
    pub version: String,
    /// `21E213`.
    #[serde(default)]
    pub buildversion: Option<String>,
    /// `iOS`, `watchOS`, `tvOS`, `xrOS` (absent before Xcode 13).
    #[serde(default)]
    pub platform: Option<String>,
    /// `iOS 17.4`.
    pub name: String,
}

/// A simulated device.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimDevice {
    /// The simulator's UDID (random per simulator, not a hardware id).
    pub udid: String,
    /// `iPhone 15`.
    pub name: String,
    /// `Booted`, `Shutdown`...
    pub state: String,
    /// `com.apple.CoreSimulator.SimDeviceType.iPhone-15`.
    #[serde(default)]
    pub device_type_identifier: Option<String>,
    /// Whether the runtime for it is installed.
    #[serde(default)]
    pub is_available: Option<bool>,
}

/// Why a simctl listing could not be parsed.
#[derive(Debug, thiserror::Error)]
pub enum SimctlError {
    /// Larger than any real listing.
    #[error("simctl output is {0} bytes; the limit is {MAX_SIMCTL_BYTES}")]
    TooLarge(usize),
    /// Not the JSON simctl writes.
    #[error("simctl output is not the JSON `simctl list -j` writes: {0}")]
    Json(#[from] serde_json::Error),
}

/// Parses the output of `xcrun simctl list -j devices runtimes`.
pub fn parse_simctl_list(text: &str) -> Result<SimctlList, SimctlError> {
    if text.len() > MAX_SIMCTL_BYTES {
        return Err(SimctlError::TooLarge(text.len()));
    }
    Ok(serde_json::from_str(text)?)
}

impl SimctlList {
    /// Every device with the identifier of the runtime it runs.
    pub fn all_devices(&self) -> impl Iterator<Item = (&str, &SimDevice)> {
        self.devices
            .iter()
            .flat_map(|(rt, list)| list.iter().map(move |d| (rt.as_str(), d)))
    }

    /// The runtime with this identifier.
    pub fn runtime(&self, identifier: &str) -> Option<&SimRuntime> {
        self.runtimes.iter().find(|r| r.identifier == identifier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = include_str!("fixtures/simctl-list-devices-runtimes.json");

    #[test]
    fn parses_the_fixture() {
        let l = parse_simctl_list(LIST).unwrap();
        assert_eq!(l.runtimes.len(), 2);
        let ios = l
            .runtime("com.apple.CoreSimulator.SimRuntime.iOS-15-4")
            .unwrap();
        assert_eq!(ios.version, "15.4");
        assert_eq!(ios.buildversion.as_deref(), Some("19E240"));
        assert_eq!(ios.platform.as_deref(), Some("iOS"));
        let booted: Vec<_> = l
            .all_devices()
            .filter(|(_, d)| d.state == "Booted")
            .collect();
        assert_eq!(booted.len(), 1);
        assert_eq!(booted[0].1.name, "iPhone 13");
        assert_eq!(l.all_devices().count(), 3);
    }

    #[test]
    fn rejects_other_text() {
        assert!(matches!(
            parse_simctl_list("xcrun: error: unable to find utility \"simctl\""),
            Err(SimctlError::Json(_))
        ));
        assert!(parse_simctl_list("{}").unwrap().devices.is_empty());
    }
}
