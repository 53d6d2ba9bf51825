//! The privacy inventory: every field that can leave the device, what it
//! is, why the policy needs it, and what is never collected.
//!
//! One table ([`FIELDS`]) is the source of truth; its words are Fluent
//! messages (`privacy-*` in `locales/*/posture-agent.ftl`), so the same
//! inventory reads in English and Welsh. The ffi returns it as records, the
//! CLI prints it (`posture-agent privacy`), and the documents an app store
//! or a member of staff reads are rendered from it ([`render`]): iOS's
//! `PrivacyInfo.xcprivacy`, the Play Console Data-safety answers and the
//! leaflet `docs/what-your-organisation-can-see.md`. A test walks the JSON
//! of every payload the agent sends and fails on a key this table lacks.

pub mod render;

use serde::Serialize;

use crate::l10n::{Locale, Msg};

/// A message the agent sends, or the part of one a field is in.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Payload {
    /// The enrolment request body (`POST /v1/enrol`), sent once.
    Enrol,
    /// The header of every signed token (reports and requests).
    TokenHeader,
    /// The claims of a posture report (`POST /v1/reports`), every check-in.
    Report,
    /// The claims of a device request token (`POST /v1/challenge`,
    /// `POST /v1/unenrol`).
    Request,
}

impl Payload {
    /// Every payload, in the order the agent first sends them.
    pub const ALL: [Payload; 4] = [
        Payload::Enrol,
        Payload::TokenHeader,
        Payload::Report,
        Payload::Request,
    ];

    fn message(self) -> &'static str {
        match self {
            Payload::Enrol => "privacy-payload-enrol",
            Payload::TokenHeader => "privacy-payload-token-header",
            Payload::Report => "privacy-payload-report",
            Payload::Request => "privacy-payload-request",
        }
    }
}

/// What kind of data a field is: what the app-store declarations map.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataCategory {
    /// A security setting or state of the device (OS, patch, encryption, lock).
    DeviceSecurity,
    /// The device's own verdict on those settings, with its advice.
    Verdict,
    /// A random identifier made for this enrolment or this message: never a
    /// hardware, vendor or advertising identifier.
    RandomIdentifier,
    /// The public half of the device key, or its thumbprint.
    PublicKey,
    /// Platform evidence that the key and the app are genuine (Android key
    /// attestation, Apple App Attest).
    Attestation,
    /// The agent's own name and version.
    AppInfo,
    /// Protocol bookkeeping: times, formats, the one-time code, the purpose.
    Protocol,
}

impl DataCategory {
    /// Every category.
    pub const ALL: [DataCategory; 7] = [
        DataCategory::DeviceSecurity,
        DataCategory::Verdict,
        DataCategory::RandomIdentifier,
        DataCategory::PublicKey,
        DataCategory::Attestation,
        DataCategory::AppInfo,
        DataCategory::Protocol,
    ];

    fn message(self) -> &'static str {
        match self {
            DataCategory::DeviceSecurity => "privacy-category-device-security",
            DataCategory::Verdict => "privacy-category-verdict",
            DataCategory::RandomIdentifier => "privacy-category-random-identifier",
            DataCategory::PublicKey => "privacy-category-public-key",
            DataCategory::Attestation => "privacy-category-attestation",
            DataCategory::AppInfo => "privacy-category-app-info",
            DataCategory::Protocol => "privacy-category-protocol",
        }
    }
}

/// One field (or a group of fields that go together) that leaves the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The message it is in.
    pub payload: Payload,
    /// Its JSON path in that message (`posture.os.version`; `[]` marks the
    /// elements of an array).
    pub path: &'static str,
    /// The members below `path` it accounts for (a posture fact's
    /// `status`, `value`, `source`, `reason`, ...).
    pub members: &'static [&'static str],
    /// What kind of data it is.
    pub category: DataCategory,
    /// The stem of its messages: `privacy-{stem}-what` and `-why`.
    pub stem: &'static str,
}

impl Field {
    /// Every JSON path this entry accounts for: its own and its members'.
    pub fn paths(&self) -> impl Iterator<Item = String> + '_ {
        std::iter::once(self.path.to_owned())
            .chain(self.members.iter().map(|m| format!("{}.{m}", self.path)))
    }
}

/// A posture fact: observed (`value` and the `source` it was read from) or
/// unknown (the `reason`), under `status`.
const FACT: &[&str] = &["status", "value", "source", "reason"];
const NONE: &[&str] = &[];

macro_rules! field {
    ($payload:ident, $path:literal, $members:expr, $category:ident, $stem:literal) => {
        Field {
            payload: Payload::$payload,
            path: $path,
            members: $members,
            category: DataCategory::$category,
            stem: $stem,
        }
    };
}

/// Every field that can leave the device, by payload.
pub const FIELDS: &[Field] = &[
    // Enrolment, once.
    field!(Enrol, "code", NONE, Protocol, "enrol-code"),
    field!(
        Enrol,
        "jwk",
        &["kty", "crv", "x", "y"],
        PublicKey,
        "public-key"
    ),
    field!(
        Enrol,
        "key_attestation",
        NONE,
        Attestation,
        "key-attestation"
    ),
    field!(
        Enrol,
        "app_attest",
        &["key_id", "attestation"],
        Attestation,
        "app-attest"
    ),
    field!(Enrol, "platform", NONE, DeviceSecurity, "platform"),
    field!(Enrol, "agent_version", NONE, AppInfo, "agent-version"),
    // Every signed token's header.
    field!(TokenHeader, "alg", NONE, Protocol, "token-format"),
    field!(TokenHeader, "typ", NONE, Protocol, "token-format"),
    field!(TokenHeader, "kid", NONE, PublicKey, "key-thumbprint"),
    // Every report.
    field!(Report, "eat_nonce", NONE, Protocol, "nonce"),
    field!(Report, "iat", NONE, Protocol, "token-times"),
    field!(Report, "exp", NONE, Protocol, "token-times"),
    field!(Report, "jti", NONE, RandomIdentifier, "token-id"),
    field!(Report, "eat_profile", NONE, Protocol, "token-format"),
    field!(Report, "sub", NONE, RandomIdentifier, "device-id"),
    field!(Report, "swname", NONE, AppInfo, "agent-version"),
    field!(Report, "swversion", NONE, AppInfo, "agent-version"),
    field!(
        Report,
        "app_attest",
        NONE,
        Attestation,
        "app-attest-assertion"
    ),
    field!(
        Report,
        "key_attestation",
        NONE,
        Attestation,
        "key-attestation-fresh"
    ),
    field!(
        Report,
        "posture.schema_version",
        NONE,
        Protocol,
        "token-format"
    ),
    field!(Report, "posture.platform", NONE, DeviceSecurity, "platform"),
    field!(Report, "posture.os.id", FACT, DeviceSecurity, "os"),
    field!(Report, "posture.os.id_like", NONE, DeviceSecurity, "os"),
    field!(Report, "posture.os.name", FACT, DeviceSecurity, "os"),
    field!(Report, "posture.os.version", FACT, DeviceSecurity, "os"),
    field!(Report, "posture.os.build", FACT, DeviceSecurity, "os"),
    field!(
        Report,
        "posture.os.kernel",
        FACT,
        DeviceSecurity,
        "os-kernel"
    ),
    field!(
        Report,
        "posture.security_patch",
        FACT,
        DeviceSecurity,
        "security-patch"
    ),
    field!(
        Report,
        "posture.storage_encryption",
        &[
            "status",
            "value",
            "value.state",
            "value.method",
            "source",
            "reason"
        ],
        DeviceSecurity,
        "storage-encryption"
    ),
    field!(
        Report,
        "posture.screen_lock",
        FACT,
        DeviceSecurity,
        "screen-lock"
    ),
    field!(
        Report,
        "posture.auto_lock",
        &[
            "status",
            "value",
            "value.state",
            "value.seconds",
            "source",
            "reason"
        ],
        DeviceSecurity,
        "auto-lock"
    ),
    field!(
        Report,
        "posture.developer_mode",
        FACT,
        DeviceSecurity,
        "developer-settings"
    ),
    field!(
        Report,
        "posture.usb_debugging",
        FACT,
        DeviceSecurity,
        "developer-settings"
    ),
    field!(
        Report,
        "posture.integrity[]",
        &[
            "name",
            "kind",
            "tripped",
            "tripped.status",
            "tripped.value",
            "tripped.source",
            "tripped.reason"
        ],
        DeviceSecurity,
        "integrity"
    ),
    field!(
        Report,
        "posture.hardware_key_store",
        FACT,
        DeviceSecurity,
        "hardware-key-store"
    ),
    field!(
        Report,
        "posture.secure_boot",
        FACT,
        DeviceSecurity,
        "secure-boot"
    ),
    field!(
        Report,
        "posture.tpm",
        &[
            "status",
            "value",
            "value.state",
            "value.version",
            "source",
            "reason"
        ],
        DeviceSecurity,
        "tpm"
    ),
    field!(
        Report,
        "posture.agent_version",
        NONE,
        AppInfo,
        "agent-version"
    ),
    field!(
        Report,
        "posture.collected_at",
        NONE,
        Protocol,
        "token-times"
    ),
    field!(Report, "verdict.compliance", NONE, Verdict, "verdict"),
    field!(
        Report,
        "verdict.findings[]",
        &[
            "rule",
            "outcome",
            "observed",
            "requirement",
            "remediation",
            "deadline",
            "strategy",
            "failing_since"
        ],
        Verdict,
        "verdict"
    ),
    field!(
        Report,
        "verdict.policy",
        &["name", "revision"],
        Verdict,
        "verdict"
    ),
    field!(Report, "verdict.evaluated_at", NONE, Verdict, "verdict"),
    // Challenge and unenrol requests.
    field!(Request, "sub", NONE, RandomIdentifier, "device-id"),
    field!(Request, "purpose", NONE, Protocol, "request-purpose"),
    field!(Request, "iat", NONE, Protocol, "token-times"),
    field!(Request, "exp", NONE, Protocol, "token-times"),
    field!(Request, "jti", NONE, RandomIdentifier, "token-id"),
    field!(Request, "eat_nonce", NONE, Protocol, "nonce"),
];

/// What the agent never collects (DESIGN.md, "Privacy for personal
/// devices"): each is a message id.
pub const NEVER_COLLECTED: &[&str] = &[
    "privacy-never-imei",
    "privacy-never-serial",
    "privacy-never-mac",
    "privacy-never-names",
    "privacy-never-phone",
    "privacy-never-accounts",
    "privacy-never-location",
    "privacy-never-contacts",
    "privacy-never-apps",
    "privacy-never-browsing",
    "privacy-never-files",
];

/// One inventory entry in words, for an app's privacy screen.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrivacyField {
    /// The message it is in.
    pub payload: Payload,
    /// That message's name, in words.
    pub payload_name: String,
    /// Its JSON path in the message.
    pub path: String,
    /// The JSON members below it that it accounts for.
    pub members: Vec<String>,
    /// What kind of data it is.
    pub category: DataCategory,
    /// That kind, in words.
    pub category_name: String,
    /// What it is.
    pub what: String,
    /// Why the policy (or the protocol) needs it.
    pub why: String,
}

/// The whole inventory in one language.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrivacyInventory {
    /// The language of the words (`en`, `cy`).
    pub locale: Locale,
    /// A sentence on what the agent is for and what it collects.
    pub summary: String,
    /// Every field that can leave the device.
    pub fields: Vec<PrivacyField>,
    /// What is never collected, in words.
    pub never_collected: Vec<String>,
}

fn stem_message(stem: &str, part: &str) -> String {
    format!("privacy-{stem}-{part}")
}

/// The inventory in `locale`.
pub fn inventory(locale: Locale) -> PrivacyInventory {
    let text = |id| crate::l10n::text(locale, id);
    PrivacyInventory {
        locale,
        summary: text("privacy-summary"),
        fields: FIELDS
            .iter()
            .map(|f| PrivacyField {
                payload: f.payload,
                payload_name: text(f.payload.message()),
                path: f.path.to_owned(),
                members: f.members.iter().map(|m| (*m).to_owned()).collect(),
                category: f.category,
                category_name: text(f.category.message()),
                what: Msg::named(stem_message(f.stem, "what")).in_locale(locale),
                why: Msg::named(stem_message(f.stem, "why")).in_locale(locale),
            })
            .collect(),
        never_collected: NEVER_COLLECTED.iter().map(|id| text(id)).collect(),
    }
}

#[cfg(test)]
mod tests;
