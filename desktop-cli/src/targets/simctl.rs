//! `--target simctl[:UDID]`: an iOS simulator on this Mac.

use std::time::Duration;

use agent_core::Posture;
use agent_core::probe::PostureProbe;
use time::OffsetDateTime;

use super::parse::simctl::{SimDevice, SimRuntime, parse_simctl_list};
use super::simulator::{SimulatorError, select_simulator, simulator_posture};
use super::{RunError, run_bounded};

/// simctl answers quickly unless CoreSimulator is starting up.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Why the simctl target could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SimctlTargetError {
    /// No xcrun: not a Mac with Xcode.
    #[error("xcrun not found: the simctl target needs macOS with Xcode")]
    NotFound,
    /// xcrun simctl failed.
    #[error("xcrun simctl failed: {0}")]
    Run(RunError),
    /// Its output was not the expected JSON.
    #[error("{0}")]
    Parse(String),
    /// No simulator could be chosen.
    #[error("{0}")]
    Select(#[from] SimulatorError),
}

/// Reads an iOS simulator's posture from `xcrun simctl list -j`.
#[derive(Debug)]
pub struct SimctlProbe {
    runtime: SimRuntime,
    device: SimDevice,
}

impl SimctlProbe {
    /// Lists the simulators and chooses one.
    pub fn connect(udid: Option<&str>) -> Result<SimctlProbe, SimctlTargetError> {
        let args = ["simctl", "list", "-j", "devices", "runtimes"];
        let text = run_bounded("xcrun", &args, TIMEOUT).map_err(|e| match e {
            RunError::NotFound(_) => SimctlTargetError::NotFound,
            other => SimctlTargetError::Run(other),
        })?;
        let list = parse_simctl_list(&text).map_err(|e| SimctlTargetError::Parse(e.to_string()))?;
        let (runtime, device) = select_simulator(&list, udid)?;
        Ok(SimctlProbe {
            runtime: runtime.clone(),
            device: device.clone(),
        })
    }
}

impl PostureProbe for SimctlProbe {
    fn collect(&self) -> Posture {
        simulator_posture(&self.runtime, &self.device, OffsetDateTime::now_utc())
    }
}
