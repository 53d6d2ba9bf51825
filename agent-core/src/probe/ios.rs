//! iOS: the readings the Swift shim takes, and the one mapping that gives
//! them meaning.
//!
//! The shim reads what a third-party app may read (UIDevice, sysctl, uname,
//! LocalAuthentication, CryptoKit, a few files) into [`IosReadings`] and
//! interprets nothing; [`ios_posture`] decides what each value means. It
//! reads nothing that identifies the person or the phone: no name, no
//! identifierForVendor, no model identifier (no policy rule uses one), no
//! apps.

use time::OffsetDateTime;

use super::reading::Reading;
use super::why;
use crate::posture::{
    Fact, HardwareKeyStore, IndicatorKind, IntegrityIndicator, OsFacts, Platform, Posture,
    ScreenLock, StorageEncryption,
};

/// The raw values the iOS shim takes, each as the platform gave it
/// ("true"/"false" for a boolean API). A value not taken is
/// [`Reading::NotRead`].
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IosReadings {
    /// `UIDevice.current.systemName`: "iOS" or "iPadOS".
    pub system_name: Reading,
    /// `UIDevice.current.systemVersion`, e.g. "17.6.1".
    pub system_version: Reading,
    /// `sysctl kern.osversion`: the build, e.g. "21G93".
    pub build: Reading,
    /// `uname(3)` release: the Darwin kernel, e.g. "23.6.0".
    pub kernel: Reading,
    /// `LAContext.canEvaluatePolicy(.deviceOwnerAuthentication)`: "true" or
    /// "false".
    pub device_owner_auth: Reading,
    /// The error `canEvaluatePolicy` gave: its `LAError` code as a number
    /// ("-5"), [`Reading::NotSet`] when there was none, or
    /// [`Reading::Failed`] with the text of an error from another domain.
    pub device_owner_auth_error: Reading,
    /// CryptoKit `SecureEnclave.isAvailable`: "true" or "false".
    pub secure_enclave_available: Reading,
    /// Whether the library runs in the iOS simulator
    /// (`targetEnvironment(simulator)`): "true" or "false".
    pub simulator: Reading,
    /// Which of [`JAILBREAK_PATHS`] exist, one a line ("" when none).
    pub jailbreak_paths_found: Reading,
    /// Whether a write to [`SANDBOX_PROBE_PATH`] succeeded: "true" or "false".
    pub sandbox_write: Reading,
    /// Whether the app lists "cydia" in `LSApplicationQueriesSchemes`
    /// (without it iOS does not answer `canOpenURL`): "true" or "false".
    pub cydia_scheme_declared: Reading,
    /// `UIApplication.canOpenURL(cydia://)`: "true" or "false".
    pub cydia_url_scheme: Reading,
}

impl IosReadings {
    /// Readings with nothing read yet, for a reader to fill in.
    pub fn none() -> IosReadings {
        IosReadings {
            system_name: Reading::NotRead,
            system_version: Reading::NotRead,
            build: Reading::NotRead,
            kernel: Reading::NotRead,
            device_owner_auth: Reading::NotRead,
            device_owner_auth_error: Reading::NotRead,
            secure_enclave_available: Reading::NotRead,
            simulator: Reading::NotRead,
            jailbreak_paths_found: Reading::NotRead,
            sandbox_write: Reading::NotRead,
            cydia_scheme_declared: Reading::NotRead,
            cydia_url_scheme: Reading::NotRead,
        }
    }
}

/// Paths that exist only on jailbroken devices (stock iOS ships no bash,
/// sshd or apt), each with the indicator it names. Heuristics: a jailbreak
/// can hide every one of them.
pub const JAILBREAK_PATHS: &[(&str, &str)] = &[
    ("cydia_app", "/Applications/Cydia.app"),
    ("bash_binary", "/bin/bash"),
    ("sshd_binary", "/usr/sbin/sshd"),
    ("apt_directory", "/etc/apt"),
];

/// Where the shim tries to write (and then removes): the sandbox forbids
/// writing outside the app's container, so a write that succeeds means the
/// sandbox is broken.
pub const SANDBOX_PROBE_PATH: &str = "/private/posture-agent-sandbox-check";

/// `LAError.passcodeNotSet`.
const LA_PASSCODE_NOT_SET: &str = "-5";
const PASSCODE: &str = "LAContext.canEvaluatePolicy(.deviceOwnerAuthentication)";
const SECURE_ENCLAVE: &str = "CryptoKit SecureEnclave.isAvailable";
const CYDIA_SCHEME: &str = "UIApplication.canOpenURL(cydia://)";

/// The posture the readings describe. Every fact is Observed with what it
/// was read from, or Unknown with the reason.
pub fn ios_posture(r: &IosReadings, collected_at: OffsetDateTime) -> Posture {
    let simulator = r.simulator.value() == Some("true");
    let passcode = passcode(r);
    let not_read_here = why("reason-ios-not-read", &[]);
    let mut p = Posture::unknown(Platform::Ios, &not_read_here, collected_at);
    p.os = OsFacts {
        id: Fact::observed("ios".to_owned(), why("reason-ios-observed-built-for", &[])),
        id_like: Vec::new(),
        name: text(&r.system_name, "UIDevice.current.systemName"),
        version: text(&r.system_version, "UIDevice.current.systemVersion"),
        build: text(&r.build, "sysctl kern.osversion"),
        kernel: text(&r.kernel, "uname release"),
    };
    p.security_patch = Fact::unknown(why("reason-ios-no-patch-level", &[]));
    p.storage_encryption = if simulator {
        Fact::unknown(why("reason-ios-simulator-no-data-protection", &[]))
    } else {
        storage_encryption(&passcode)
    };
    p.screen_lock = if simulator {
        Fact::unknown(why("reason-ios-simulator-no-passcode", &[]))
    } else {
        match &passcode {
            Ok(true) => Fact::observed(ScreenLock::Set, PASSCODE),
            Ok(false) => Fact::observed(
                ScreenLock::NotSet,
                format!("{PASSCODE}: LAError.passcodeNotSet"),
            ),
            Err(e) => Fact::unknown(e.clone()),
        }
    };
    p.auto_lock = Fact::unknown(why("reason-ios-no-auto-lock-api", &[]));
    p.developer_mode = Fact::unknown(why("reason-ios-no-developer-mode-api", &[]));
    p.usb_debugging = Fact::unknown(why("reason-ios-no-usb-debugging", &[]));
    p.integrity = if simulator {
        vec![heuristic(
            "jailbreak",
            Fact::unknown(why("reason-ios-simulator-no-jailbreak-checks", &[])),
        )]
    } else {
        integrity(r)
    };
    p.hardware_key_store = if simulator {
        Fact::unknown(why("reason-ios-simulator-no-secure-enclave", &[]))
    } else {
        match r.secure_enclave_available.value() {
            Some("true") => Fact::observed(HardwareKeyStore::SecureEnclave, SECURE_ENCLAVE),
            Some("false") => Fact::observed(HardwareKeyStore::None, SECURE_ENCLAVE),
            Some(other) => Fact::unknown(why(
                "reason-is-not-true-or-false",
                &[
                    ("source", SECURE_ENCLAVE),
                    ("value", &format!("{:?}", first_line(other))),
                ],
            )),
            None => Fact::unknown(not_read(&r.secure_enclave_available, SECURE_ENCLAVE)),
        }
    };
    p.secure_boot = Fact::unknown(why("reason-ios-secure-boot-desktop", &[]));
    p.tpm = Fact::unknown(why("reason-ios-no-tpm", &[]));
    p
}

/// Whether a passcode is set (`Ok`), or why that could not be read.
fn passcode(r: &IosReadings) -> Result<bool, String> {
    match r.device_owner_auth.value() {
        Some("true") => Ok(true),
        Some("false") => match &r.device_owner_auth_error {
            Reading::Read { value } if value.trim() == LA_PASSCODE_NOT_SET => Ok(false),
            Reading::Read { value } => Err(why(
                "reason-ios-la-error",
                &[("source", PASSCODE), ("code", &first_line(value))],
            )),
            Reading::Failed { error } => Err(why(
                "reason-failed",
                &[("source", PASSCODE), ("error", error)],
            )),
            _ => Err(why(
                "reason-ios-false-without-error",
                &[("source", PASSCODE)],
            )),
        },
        Some(other) => Err(why(
            "reason-returned-not-true-or-false",
            &[
                ("source", PASSCODE),
                ("value", &format!("{:?}", first_line(other))),
            ],
        )),
        None => Err(not_read(&r.device_owner_auth, PASSCODE)),
    }
}

/// iOS turns Data Protection on whenever a passcode is set and offers no
/// API to read it directly, so the passcode answer is the evidence, and the
/// source says so.
fn storage_encryption(passcode: &Result<bool, String>) -> Fact<StorageEncryption> {
    let source = why(
        "reason-ios-observed-data-protection",
        &[("source", PASSCODE)],
    );
    match passcode {
        Ok(true) => Fact::observed(
            StorageEncryption::Encrypted {
                method: "Data Protection".to_owned(),
            },
            source,
        ),
        Ok(false) => Fact::observed(
            StorageEncryption::NotEncrypted,
            why("reason-ios-observed-no-passcode", &[("source", &source)]),
        ),
        Err(e) => Fact::unknown(why("reason-ios-data-protection-passcode", &[("reason", e)])),
    }
}

/// Heuristics only: a jailbreak can hide every one of them, so a clean
/// result proves nothing; a tripped one is a strong hint, not proof.
/// Readings the shim did not take add no indicator.
fn integrity(r: &IosReadings) -> Vec<IntegrityIndicator> {
    let mut out = Vec::new();
    if r.jailbreak_paths_found != Reading::NotRead {
        let found: Vec<&str> = match &r.jailbreak_paths_found {
            Reading::Read { value } => value.lines().map(str::trim).collect(),
            _ => Vec::new(),
        };
        for (name, path) in JAILBREAK_PATHS {
            let source = format!("{path} exists");
            let tripped = match &r.jailbreak_paths_found {
                Reading::Read { .. } => Fact::observed(found.contains(path), source),
                Reading::Failed { error } => Fact::unknown(why(
                    "reason-could-not-be-checked",
                    &[("source", path), ("error", error)],
                )),
                other => {
                    Fact::unknown(not_read(other, &why("reason-subject-jailbreak-paths", &[])))
                }
            };
            out.push(heuristic(name, tripped));
        }
    }
    if r.sandbox_write != Reading::NotRead {
        let source = format!("write to {SANDBOX_PROBE_PATH}");
        out.push(heuristic(
            "write_outside_sandbox",
            flag(&r.sandbox_write, &source),
        ));
    }
    if r.cydia_url_scheme != Reading::NotRead || r.cydia_scheme_declared != Reading::NotRead {
        let tripped = match r.cydia_scheme_declared.value() {
            Some("true") => flag(&r.cydia_url_scheme, CYDIA_SCHEME),
            _ => Fact::unknown(why("reason-ios-cydia-not-declared", &[])),
        };
        out.push(heuristic("cydia_url_scheme", tripped));
    }
    out
}

fn heuristic(name: &str, tripped: Fact<bool>) -> IntegrityIndicator {
    IntegrityIndicator {
        name: name.to_owned(),
        kind: IndicatorKind::Heuristic,
        tripped,
    }
}

fn flag(reading: &Reading, source: &str) -> Fact<bool> {
    match reading.value() {
        Some("true") => Fact::observed(true, source),
        Some("false") => Fact::observed(false, source),
        Some(other) => Fact::unknown(why(
            "reason-ios-flag-not-true-or-false",
            &[
                ("source", source),
                ("value", &format!("{:?}", first_line(other))),
            ],
        )),
        None => Fact::unknown(not_read(reading, source)),
    }
}

fn text(reading: &Reading, source: &str) -> Fact<String> {
    match reading.value().filter(|v| !v.is_empty()) {
        Some(value) => Fact::observed(value.to_owned(), source),
        None => Fact::unknown(not_read(reading, source)),
    }
}

/// The reason for a reading that gave no value.
fn not_read(reading: &Reading, source: &str) -> String {
    match reading {
        Reading::Failed { error } => why(
            "reason-could-not-be-read",
            &[("source", source), ("error", error)],
        ),
        Reading::NotRead => why("reason-not-read-by-reader", &[("source", source)]),
        _ => why("reason-not-set", &[("source", source)]),
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").chars().take(80).collect()
}

#[cfg(test)]
mod tests;
