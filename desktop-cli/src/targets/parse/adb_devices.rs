//! `adb devices -l`: the devices the adb server knows and their states.
//!
//! ```text
//! List of devices attached
//! emulator-5554   device product:sdk_gphone64_x86_64 model:sdk_gphone64_x86_64 device:emu64xa transport_id:1
//! 0123456789ABC   unauthorized usb:1-1 transport_id:2
//! ```
//!
//! The serial only addresses a device; it never goes into a posture.

use super::MAX_INPUT_BYTES;

/// The connection state adb reports for a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdbState {
    /// Connected and authorised: commands work.
    Device,
    /// Connected, but the device has not accepted this computer's key.
    Unauthorized,
    /// Known to adb but not responding.
    Offline,
    /// The host user may not open the USB device (Linux udev rules).
    NoPermissions,
    /// Any other state adb prints (`recovery`, `sideload`, `bootloader`...).
    Other(String),
}

/// One line of `adb devices -l`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdbDevice {
    /// The serial adb addresses the device by (`-s SERIAL`).
    pub serial: String,
    /// Its state.
    pub state: AdbState,
    /// The `model:` field, when adb prints one (underscores for spaces).
    pub model: Option<String>,
}

/// Why `adb devices -l` output could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdbDevicesError {
    /// Larger than any real listing.
    #[error("adb devices output is {0} bytes; the limit is {MAX_INPUT_BYTES}")]
    TooLarge(usize),
    /// The header line is missing: not adb devices output.
    #[error("adb devices output has no \"List of devices attached\" line")]
    NoHeader,
}

/// Parses the output of `adb devices -l` (or plain `adb devices`).
pub fn parse_adb_devices(text: &str) -> Result<Vec<AdbDevice>, AdbDevicesError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(AdbDevicesError::TooLarge(text.len()));
    }
    let mut lines = text.lines().map(str::trim);
    // Lines before the header are the server's start-up chatter ("* daemon
    // started successfully").
    if !lines.any(|l| l == "List of devices attached") {
        return Err(AdbDevicesError::NoHeader);
    }
    let mut devices = Vec::new();
    for line in lines {
        if line.is_empty() || line.starts_with('*') {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(serial), Some(state)) = (words.next(), words.next()) else {
            continue;
        };
        let state = match state {
            "device" => AdbState::Device,
            "unauthorized" => AdbState::Unauthorized,
            "offline" => AdbState::Offline,
            // "no permissions (user in plugdev group; are your udev rules wrong?)"
            "no" if line.contains("no permissions") => AdbState::NoPermissions,
            other => AdbState::Other(other.to_owned()),
        };
        let model = words
            .find_map(|w| w.strip_prefix("model:"))
            .map(str::to_owned);
        devices.push(AdbDevice {
            serial: serial.to_owned(),
            state,
            model,
        });
    }
    Ok(devices)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str) -> Vec<AdbDevice> {
        let text = match name {
            "one" => include_str!("fixtures/adb-devices-one-emulator"),
            "several" => include_str!("fixtures/adb-devices-several"),
            "unauthorized" => include_str!("fixtures/adb-devices-unauthorized"),
            "offline" => include_str!("fixtures/adb-devices-offline"),
            _ => include_str!("fixtures/adb-devices-none"),
        };
        parse_adb_devices(text).unwrap()
    }

    #[test]
    fn one_emulator() {
        let d = parse("one");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].serial, "emulator-5554");
        assert_eq!(d[0].state, AdbState::Device);
        assert_eq!(d[0].model.as_deref(), Some("sdk_gphone64_x86_64"));
    }

    #[test]
    fn several_including_a_short_line() {
        let d = parse("several");
        assert_eq!(d.len(), 3);
        assert!(d.iter().all(|x| x.state == AdbState::Device));
        assert_eq!(d[1].serial, "localhost:36790");
        assert_eq!(d[1].model, None);
    }

    #[test]
    fn unauthorized_offline_and_none() {
        assert_eq!(parse("unauthorized")[0].state, AdbState::Unauthorized);
        assert_eq!(parse("offline")[0].state, AdbState::Offline);
        assert!(parse("none").is_empty());
    }

    #[test]
    fn other_states() {
        let text = "List of devices attached\nABC\tno permissions (user in plugdev group; are your udev rules wrong?); see [http://developer.android.com/tools/device.html]\nDEF\trecovery\n";
        let d = parse_adb_devices(text).unwrap();
        assert_eq!(d[0].state, AdbState::NoPermissions);
        assert_eq!(d[1].state, AdbState::Other("recovery".into()));
    }

    #[test]
    fn not_adb_output() {
        assert_eq!(
            parse_adb_devices("adb: command not found"),
            Err(AdbDevicesError::NoHeader)
        );
    }
}
