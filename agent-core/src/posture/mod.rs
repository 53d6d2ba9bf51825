//! The posture document: what the agent observes about a device.
//!
//! Privacy: nothing here identifies the person or the hardware. There is no
//! field for IMEI, serial number, MAC address, hostname, user name, phone
//! number, accounts, location or installed apps, and probes must not put such
//! values into sources or reasons either.

mod fact;
mod types;

pub use fact::Fact;
pub use types::{
    AutoLock, HardwareKeyStore, IndicatorKind, IntegrityIndicator, OsFacts, Platform, ScreenLock,
    SecurityPatch, StorageEncryption, Tpm,
};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The posture schema version this agent writes and reads.
pub const POSTURE_SCHEMA_VERSION: u32 = 1;

/// Largest posture document accepted for parsing, in bytes.
pub const MAX_POSTURE_BYTES: usize = 64 * 1024;

/// A device's security posture at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Posture {
    /// Schema version of this document ([`POSTURE_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The device's platform.
    pub platform: Platform,
    /// Operating system facts.
    pub os: OsFacts,
    /// Android security patch level (other platforms: Unknown).
    pub security_patch: Fact<SecurityPatch>,
    /// Storage encryption of the data volume.
    pub storage_encryption: Fact<StorageEncryption>,
    /// Whether a secure screen lock is set.
    pub screen_lock: Fact<ScreenLock>,
    /// How long the device stays unlocked without input before the screen
    /// locks by itself. A document from an agent older than this fact has
    /// none, and reads as Unknown saying so.
    #[serde(default = "auto_lock_not_reported")]
    pub auto_lock: Fact<AutoLock>,
    /// Whether developer mode / developer options are on.
    pub developer_mode: Fact<bool>,
    /// Whether USB debugging (adb) is on.
    pub usb_debugging: Fact<bool>,
    /// Integrity indicators (root, jailbreak, modified system), each named.
    pub integrity: Vec<IntegrityIndicator>,
    /// The strongest hardware-backed key store the device offers.
    pub hardware_key_store: Fact<HardwareKeyStore>,
    /// Whether UEFI Secure Boot is enabled (desktops).
    pub secure_boot: Fact<bool>,
    /// The TPM visible to the OS (desktops).
    pub tpm: Fact<Tpm>,
    /// Version of the agent that collected this posture.
    pub agent_version: String,
    /// When the posture was collected.
    #[serde(with = "time::serde::rfc3339")]
    pub collected_at: OffsetDateTime,
}

/// Why a posture document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PostureError {
    /// The document is larger than [`MAX_POSTURE_BYTES`].
    #[error("posture document is {0} bytes; the limit is {MAX_POSTURE_BYTES}")]
    TooLarge(usize),
    /// The document is not valid posture JSON.
    #[error("posture document is not valid: {0}")]
    Invalid(#[from] serde_json::Error),
    /// The document has a schema version this agent does not know.
    #[error(
        "posture schema version {found} is not supported (this agent reads version {POSTURE_SCHEMA_VERSION})"
    )]
    UnsupportedSchema {
        /// The version found in the document.
        found: u32,
    },
}

/// `auto_lock` of a posture document that has none.
fn auto_lock_not_reported() -> Fact<AutoLock> {
    Fact::unknown(crate::l10n::text(
        crate::l10n::Locale::En,
        "reason-auto-lock-not-reported",
    ))
}

impl Posture {
    /// Parses and checks a posture JSON document.
    pub fn from_json(text: &str) -> Result<Posture, PostureError> {
        if text.len() > MAX_POSTURE_BYTES {
            return Err(PostureError::TooLarge(text.len()));
        }
        #[derive(Deserialize)]
        struct Head {
            schema_version: u32,
        }
        let head: Head = crate::json::from_str(text)?;
        if head.schema_version != POSTURE_SCHEMA_VERSION {
            return Err(PostureError::UnsupportedSchema {
                found: head.schema_version,
            });
        }
        Ok(crate::json::from_str(text)?)
    }

    /// The posture as pretty JSON: the exact document that would be sent.
    pub fn to_json_pretty(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// A posture with every fact Unknown for the given reason: the starting
    /// point for a probe, which then fills in what it observes.
    pub fn unknown(platform: Platform, reason: &str, collected_at: OffsetDateTime) -> Posture {
        Posture {
            schema_version: POSTURE_SCHEMA_VERSION,
            platform,
            os: OsFacts {
                id: Fact::unknown(reason),
                id_like: Vec::new(),
                name: Fact::unknown(reason),
                version: Fact::unknown(reason),
                build: Fact::unknown(reason),
                kernel: Fact::unknown(reason),
            },
            security_patch: Fact::unknown(reason),
            storage_encryption: Fact::unknown(reason),
            screen_lock: Fact::unknown(reason),
            auto_lock: Fact::unknown(reason),
            developer_mode: Fact::unknown(reason),
            usb_debugging: Fact::unknown(reason),
            integrity: Vec::new(),
            hardware_key_store: Fact::unknown(reason),
            secure_boot: Fact::unknown(reason),
            tpm: Fact::unknown(reason),
            agent_version: crate::AGENT_VERSION.to_owned(),
            collected_at,
        }
    }
}

#[cfg(test)]
mod tests;
