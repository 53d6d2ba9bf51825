//! Maps an iOS simulator from `xcrun simctl list -j` to a [`Posture`].
//!
//! A simulator is a process on a Mac: it has an OS version and a device
//! type, but no passcode, data protection, patch level or jailbreak state of
//! its own, so those facts are Unknown with that reason.

use time::OffsetDateTime;

use super::parse::simctl::{SimDevice, SimRuntime, SimctlList};
use agent_core::posture::{Fact, IndicatorKind, IntegrityIndicator, OsFacts, Platform, Posture};

/// The command the listing came from, named in every observed fact.
pub const SIMCTL_COMMAND: &str = "xcrun simctl list -j devices runtimes";

/// Why no simulator could be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulatorError {
    /// No simulator has the UDID asked for.
    #[error("no simulator has UDID {0}; `xcrun simctl list devices` lists them")]
    NoSuchUdid(String),
    /// No UDID was given and no simulator is booted.
    #[error(
        "no simulator is booted: boot one (xcrun simctl boot UDID) or name one with --target simctl:UDID"
    )]
    NoneBooted,
    /// No UDID was given and several simulators are booted.
    #[error("several simulators are booted; choose one with --target simctl:UDID: {0}")]
    SeveralBooted(String),
    /// The simulator runs an OS the agent has no posture for.
    #[error("simulator {0} runs {1}, not iOS: only iOS simulators are supported")]
    NotIos(String, String),
    /// The simulator's runtime is not in the listing.
    #[error("the runtime {0} of the chosen simulator is not installed")]
    MissingRuntime(String),
}

/// Picks the simulator: the one with `udid`, else the only booted one.
pub fn select_simulator<'a>(
    list: &'a SimctlList,
    udid: Option<&str>,
) -> Result<(&'a SimRuntime, &'a SimDevice), SimulatorError> {
    let (runtime_id, device) = match udid {
        Some(u) => list
            .all_devices()
            .find(|(_, d)| d.udid.eq_ignore_ascii_case(u))
            .ok_or_else(|| SimulatorError::NoSuchUdid(u.to_owned()))?,
        None => {
            let booted: Vec<_> = list
                .all_devices()
                .filter(|(_, d)| d.state == "Booted")
                .collect();
            match booted.as_slice() {
                [] => return Err(SimulatorError::NoneBooted),
                [one] => *one,
                many => {
                    let names: Vec<String> = many
                        .iter()
                        .map(|(_, d)| format!("{} ({})", d.udid, d.name))
                        .collect();
                    return Err(SimulatorError::SeveralBooted(names.join(", ")));
                }
            }
        }
    };
    let runtime = list
        .runtime(runtime_id)
        .ok_or_else(|| SimulatorError::MissingRuntime(runtime_id.to_owned()))?;
    let is_ios = match &runtime.platform {
        Some(p) => p == "iOS",
        None => runtime.identifier.contains(".iOS-"),
    };
    if !is_ios {
        return Err(SimulatorError::NotIos(
            device.name.clone(),
            runtime.name.clone(),
        ));
    }
    Ok((runtime, device))
}

/// The posture of one iOS simulator.
pub fn simulator_posture(
    runtime: &SimRuntime,
    device: &SimDevice,
    collected_at: OffsetDateTime,
) -> Posture {
    const NOT_A_PHONE: &str = "an iOS simulator cannot report this: it runs as a process on a Mac";
    let mut p = Posture::unknown(Platform::Ios, NOT_A_PHONE, collected_at);
    let source = format!("{SIMCTL_COMMAND} ({}, {})", device.name, runtime.name);
    p.os = OsFacts {
        id: Fact::observed("ios".to_owned(), source.clone()),
        id_like: Vec::new(),
        name: Fact::observed("iOS".to_owned(), source.clone()),
        version: Fact::observed(runtime.version.clone(), source.clone()),
        build: match &runtime.buildversion {
            Some(b) => Fact::observed(b.clone(), source),
            None => Fact::unknown(format!("{SIMCTL_COMMAND} lists no build version")),
        },
        kernel: Fact::unknown("the simulator shares the Mac's kernel"),
    };
    p.security_patch = Fact::unknown("iOS has no Android-style security patch level");
    p.storage_encryption = Fact::unknown(
        "a simulator has no data protection of its own: its storage is a folder on the Mac",
    );
    p.screen_lock = Fact::unknown("a simulator has no passcode to report");
    p.auto_lock = Fact::unknown(agent_core::probe::IOS_AUTO_LOCK_NOT_READABLE);
    p.developer_mode = Fact::unknown("a simulator does not report Developer Mode");
    p.usb_debugging = Fact::unknown("iOS has no USB debugging setting");
    p.integrity = vec![IntegrityIndicator {
        name: "jailbreak".to_owned(),
        kind: IndicatorKind::Heuristic,
        tripped: Fact::unknown("jailbreak checks need the device itself, not a simulator"),
    }];
    p.hardware_key_store = Fact::unknown("a simulator has no Secure Enclave to report");
    p.secure_boot = Fact::unknown("UEFI Secure Boot is a desktop fact");
    p.tpm = Fact::unknown("phones have no TPM");
    p
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::targets::parse::simctl::parse_simctl_list;

    const LIST: &str = include_str!("parse/fixtures/simctl-list-devices-runtimes.json");

    #[test]
    fn booted_iphone() {
        let list = parse_simctl_list(LIST).unwrap();
        let (rt, dev) = select_simulator(&list, None).unwrap();
        let p = simulator_posture(rt, dev, datetime!(2026-01-10 12:00 UTC));
        assert_eq!(p.platform, Platform::Ios);
        assert_eq!(p.os.version.value().map(String::as_str), Some("15.4"));
        assert_eq!(p.os.build.value().map(String::as_str), Some("19E240"));
        assert!(p.os.version.provenance().starts_with(SIMCTL_COMMAND));
        assert!(p.os.version.provenance().contains("iPhone 13"));
        assert!(p.screen_lock.value().is_none());
        assert_eq!(
            p.auto_lock.provenance(),
            agent_core::probe::IOS_AUTO_LOCK_NOT_READABLE
        );
        assert!(p.storage_encryption.provenance().contains("simulator"));
        let json = p.to_json_pretty();
        assert!(!json.contains("PLACEHOLDER"));
        assert!(
            !json.contains("00000000-0000"),
            "the UDID stays out of the posture"
        );
    }

    #[test]
    fn selection() {
        let list = parse_simctl_list(LIST).unwrap();
        let (_, d) = select_simulator(&list, Some("00000000-0000-0000-0000-0000000000a2")).unwrap();
        assert_eq!(d.name, "iPad Air (5th generation)");
        assert!(matches!(
            select_simulator(&list, Some("nope")),
            Err(SimulatorError::NoSuchUdid(_))
        ));
        assert!(matches!(
            select_simulator(&list, Some("00000000-0000-0000-0000-0000000000B1")),
            Err(SimulatorError::NotIos(..))
        ));
        let none_booted = parse_simctl_list(&LIST.replace("Booted", "Shutdown")).unwrap();
        assert_eq!(
            select_simulator(&none_booted, None).unwrap_err(),
            SimulatorError::NoneBooted
        );
        let two = parse_simctl_list(&LIST.replace("Shutdown", "Booted")).unwrap();
        assert!(matches!(
            select_simulator(&two, None),
            Err(SimulatorError::SeveralBooted(s)) if s.contains("iPhone 13")
        ));
    }
}
