//! `--target adb[:SERIAL]`: an Android emulator or device over adb.
//!
//! Runs `adb` from `$ADB` or PATH, always with `-s SERIAL` once a device is
//! chosen. The serial only addresses the device: it never enters the posture.

use std::time::Duration;

use agent_core::Posture;
use agent_core::probe::PostureProbe;
use agent_core::probe::android::android_posture;
use time::OffsetDateTime;

use super::parse::adb_devices::{AdbDevice, AdbState, parse_adb_devices};
use super::parse::getprop::parse_getprop;
use super::{RunError, run_bounded};
use readings::{AndroidSettings, adb_readings};

pub mod readings;

/// Time allowed for one adb command: a device over USB answers in well
/// under a second, an emulator that is still booting may not.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Why the adb target could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AdbError {
    /// No adb executable.
    #[error(
        "adb not found: install Android SDK platform-tools and put adb on PATH, or set ADB to its path"
    )]
    NotFound,
    /// adb ran but failed.
    #[error("adb failed: {0}")]
    Run(RunError),
    /// `adb devices -l` printed something else.
    #[error("adb devices: {0}")]
    Listing(String),
    /// No device attached.
    #[error(
        "no Android device or emulator is attached (adb devices lists none): start an emulator or plug in a device with USB debugging on"
    )]
    NoDevice,
    /// The serial asked for is not attached.
    #[error("no device with serial {0} is attached; attached: {1}")]
    NoSuchSerial(String, String),
    /// Several devices and no serial.
    #[error("several devices are attached; choose one with --target adb:SERIAL: {0}")]
    Several(String),
    /// The device has not authorised this computer.
    #[error(
        "device {0} is unauthorized: accept the USB debugging prompt on the device, then try again"
    )]
    Unauthorized(String),
    /// The device is offline.
    #[error("device {0} is offline: reconnect it (or restart the emulator) and try again")]
    Offline(String),
    /// The host may not open the USB device.
    #[error("no permission to open device {0}: check the udev rules for Android devices")]
    NoPermissions(String),
    /// Another state (recovery, bootloader...).
    #[error("device {0} is in state {1:?}, not ready for adb shell")]
    NotReady(String, String),
    /// getprop gave nothing usable.
    #[error("adb shell getprop on {0}: {1}")]
    Getprop(String, String),
}

fn adb_program() -> String {
    std::env::var("ADB")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "adb".to_owned())
}

fn run(args: &[&str]) -> Result<String, AdbError> {
    run_bounded(&adb_program(), args, TIMEOUT).map_err(|e| match e {
        RunError::NotFound(_) => AdbError::NotFound,
        other => AdbError::Run(other),
    })
}

fn describe(devices: &[AdbDevice]) -> String {
    let list: Vec<String> = devices
        .iter()
        .map(|d| match &d.model {
            Some(m) => format!("{} ({m})", d.serial),
            None => d.serial.clone(),
        })
        .collect();
    list.join(", ")
}

/// Chooses the device to read: the serial asked for, or the only one.
pub fn choose_device(devices: &[AdbDevice], serial: Option<&str>) -> Result<String, AdbError> {
    let device = match serial {
        Some(s) => devices
            .iter()
            .find(|d| d.serial == s)
            .ok_or_else(|| AdbError::NoSuchSerial(s.to_owned(), describe(devices)))?,
        None => match devices {
            [] => return Err(AdbError::NoDevice),
            [one] => one,
            many => return Err(AdbError::Several(describe(many))),
        },
    };
    let serial = device.serial.clone();
    match &device.state {
        AdbState::Device => Ok(serial),
        AdbState::Unauthorized => Err(AdbError::Unauthorized(serial)),
        AdbState::Offline => Err(AdbError::Offline(serial)),
        AdbState::NoPermissions => Err(AdbError::NoPermissions(serial)),
        AdbState::Other(state) => Err(AdbError::NotReady(serial, state.clone())),
    }
}

/// Reads an Android device's posture over adb.
#[derive(Debug)]
pub struct AdbProbe {
    serial: String,
}

impl AdbProbe {
    /// Finds the device and checks that getprop answers.
    pub fn connect(serial: Option<&str>) -> Result<AdbProbe, AdbError> {
        let listing = run(&["devices", "-l"])?;
        let devices = parse_adb_devices(&listing).map_err(|e| AdbError::Listing(e.to_string()))?;
        let serial = choose_device(&devices, serial)?;
        Ok(AdbProbe { serial })
    }

    fn shell(&self, command: &[&str]) -> Result<String, String> {
        let mut args = vec!["-s", self.serial.as_str(), "shell"];
        args.extend_from_slice(command);
        run(&args).map_err(|e| e.to_string())
    }

    fn try_collect(&self) -> Result<Posture, AdbError> {
        let dump = self
            .shell(&["getprop"])
            .map_err(|e| AdbError::Getprop(self.serial.clone(), e))?;
        let props = parse_getprop(&dump)
            .map_err(|e| AdbError::Getprop(self.serial.clone(), e.to_string()))?;
        let settings = AndroidSettings {
            adb_enabled: self.shell(&["settings", "get", "global", "adb_enabled"]),
            development_settings_enabled: self.shell(&[
                "settings",
                "get",
                "global",
                "development_settings_enabled",
            ]),
            lock_disabled: self.shell(&["locksettings", "get-disabled"]),
            screen_off_timeout: self.shell(&["settings", "get", "system", "screen_off_timeout"]),
            lock_after_timeout: self.shell(&[
                "settings",
                "get",
                "secure",
                "lock_screen_lock_after_timeout",
            ]),
        };
        Ok(android_posture(
            &adb_readings(&props, &settings),
            Vec::new(),
            OffsetDateTime::now_utc(),
        ))
    }
}

impl PostureProbe for AdbProbe {
    fn collect(&self) -> Posture {
        match self.try_collect() {
            Ok(p) => p,
            // collect never fails: a device that stopped answering after the
            // connection check gives a posture of Unknowns with the reason.
            Err(e) => Posture::unknown(
                agent_core::Platform::Android,
                &e.to_string(),
                OffsetDateTime::now_utc(),
            ),
        }
    }
}
