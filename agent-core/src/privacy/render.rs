//! The documents rendered from the inventory: iOS's privacy manifest, the
//! Play Console Data-safety answers and the leaflet for staff. Each is
//! checked in and compared with a fresh rendering by a test, so none can
//! drift from [`super::FIELDS`].

use std::fmt::Write as _;

use super::{DataCategory, FIELDS, Field, NEVER_COLLECTED, Payload, inventory};
use crate::l10n::{Locale, Msg, text};

/// The command that regenerates each document (the drift tests quote it).
pub const REGENERATE: &str = "posture-agent privacy --format xcprivacy > ios-shim/Sources/PostureAgentIOS/PrivacyInfo.xcprivacy; \
posture-agent privacy --format data-safety > docs/android-data-safety.md; \
posture-agent privacy --format leaflet --lang en > docs/what-your-organisation-can-see.md; \
posture-agent privacy --format leaflet --lang cy > docs/what-your-organisation-can-see.cy.md";

/// Apple's collected-data type for a category; `None` for protocol
/// bookkeeping, which is not data about the person or the device.
fn apple_type(c: DataCategory) -> Option<&'static str> {
    match c {
        DataCategory::DeviceSecurity | DataCategory::Verdict | DataCategory::AppInfo => {
            Some("NSPrivacyCollectedDataTypeOtherDiagnosticData")
        }
        DataCategory::RandomIdentifier | DataCategory::PublicKey | DataCategory::Attestation => {
            Some("NSPrivacyCollectedDataTypeDeviceID")
        }
        DataCategory::Protocol => None,
    }
}

/// The Play Console data type (section › type) for a category.
fn play_type(c: DataCategory) -> Option<(&'static str, &'static str)> {
    match c {
        DataCategory::DeviceSecurity | DataCategory::Verdict | DataCategory::AppInfo => {
            Some(("App info and performance", "Diagnostics"))
        }
        DataCategory::RandomIdentifier | DataCategory::PublicKey | DataCategory::Attestation => {
            Some(("Device or other IDs", "Device or other IDs"))
        }
        DataCategory::Protocol => None,
    }
}

/// A required-reason API the library links, with Apple's reason code and
/// why; not inventory (nothing leaves the device), but it belongs in the
/// same manifest.
struct AccessedApi {
    category: &'static str,
    reason: &'static str,
    why: &'static str,
}

const ACCESSED_APIS: &[AccessedApi] = &[
    AccessedApi {
        category: "NSPrivacyAccessedAPICategoryFileTimestamp",
        reason: "C617.1",
        why: "stat/fstat: the core's SQLite state and the Rust standard library read the size and times of the agent's own files in the container.",
    },
    AccessedApi {
        category: "NSPrivacyAccessedAPICategoryDiskSpace",
        reason: "E174.1",
        why: "statfs/fstatfs: SQLite on Apple platforms asks the file system of its own database file how to lock it, before writing. No figure leaves the device.",
    },
    AccessedApi {
        category: "NSPrivacyAccessedAPICategorySystemBootTime",
        reason: "35F9.1",
        why: "mach_absolute_time: timeouts and retry backoff measure elapsed time inside the app; the value never leaves the device.",
    },
];

/// The distinct values of `key` over `fields`, in first-seen order.
fn distinct<T: PartialEq + Copy>(fields: &[Field], key: impl Fn(&Field) -> Option<T>) -> Vec<T> {
    let mut out = Vec::new();
    for v in fields.iter().filter_map(key) {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

fn paths_of(pred: impl Fn(&Field) -> bool) -> Vec<String> {
    FIELDS
        .iter()
        .filter(|f| pred(f))
        .map(|f| format!("{}:{}", payload_key(f.payload), f.path))
        .collect()
}

fn payload_key(p: Payload) -> &'static str {
    match p {
        Payload::Enrol => "enrol",
        Payload::TokenHeader => "header",
        Payload::Report => "report",
        Payload::Request => "request",
    }
}

/// Wraps `words` at 72 columns behind `indent`.
fn wrap(words: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for w in words.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + w.len() > 76 {
            let _ = writeln!(out, "{indent}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}{line}");
    }
    out
}

/// `PrivacyInfo.xcprivacy` for the iOS package.
pub fn xcprivacy() -> String {
    let mut out = String::new();
    out.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
<!-- What the Posture Agent library collects and which required-reason APIs\n\
\x20    it links. Generated from agent-core's privacy inventory by the\n\
\x20    posture-agent privacy command (format xcprivacy): do not edit by hand. -->\n\
<plist version=\"1.0\">\n<dict>\n\
\t<key>NSPrivacyTracking</key>\n\t<false/>\n\
\t<key>NSPrivacyTrackingDomains</key>\n\t<array/>\n\
\t<key>NSPrivacyCollectedDataTypes</key>\n\t<array>\n",
    );
    for ty in distinct(FIELDS, |f| apple_type(f.category)) {
        let fields = paths_of(|f| apple_type(f.category) == Some(ty));
        let why = match ty {
            "NSPrivacyCollectedDataTypeDeviceID" => {
                "Random identifiers made for this enrolment, the device key's public half and the platform's evidence for it: never a hardware, vendor or advertising identifier."
            }
            _ => {
                "The posture facts and the device's verdict sent to the organisation's collector. Linked to the enrolled person by their organisation; never used for tracking."
            }
        };
        let _ = write!(
            out,
            "\t\t<!-- {}",
            wrap(
                &format!("{why} Fields: {}.", fields.join(", ")),
                "\t\t     "
            )
            .trim_start()
            .trim_end()
        );
        out.push_str(" -->\n");
        let _ = writeln!(
            out,
            "\t\t<dict>\n\t\t\t<key>NSPrivacyCollectedDataType</key>\n\t\t\t<string>{ty}</string>\n\
\t\t\t<key>NSPrivacyCollectedDataTypeLinked</key>\n\t\t\t<true/>\n\
\t\t\t<key>NSPrivacyCollectedDataTypeTracking</key>\n\t\t\t<false/>\n\
\t\t\t<key>NSPrivacyCollectedDataTypePurposes</key>\n\t\t\t<array>\n\
\t\t\t\t<string>NSPrivacyCollectedDataTypePurposeAppFunctionality</string>\n\
\t\t\t</array>\n\t\t</dict>"
        );
    }
    out.push_str("\t</array>\n\t<key>NSPrivacyAccessedAPITypes</key>\n\t<array>\n");
    for api in ACCESSED_APIS {
        let _ = write!(
            out,
            "\t\t<!-- {}",
            wrap(api.why, "\t\t     ").trim_start().trim_end()
        );
        out.push_str(" -->\n");
        let _ = writeln!(
            out,
            "\t\t<dict>\n\t\t\t<key>NSPrivacyAccessedAPIType</key>\n\t\t\t<string>{}</string>\n\
\t\t\t<key>NSPrivacyAccessedAPITypeReasons</key>\n\t\t\t<array>\n\
\t\t\t\t<string>{}</string>\n\t\t\t</array>\n\t\t</dict>",
            api.category, api.reason
        );
    }
    out.push_str("\t</array>\n</dict>\n</plist>\n");
    out
}

/// The Play Console Data-safety answers for an app that embeds the
/// Android library, in the order the form asks them.
pub fn data_safety() -> String {
    let mut out = String::from(
        "# Play Console Data safety: answers for an app embedding Posture Agent\n\n\
<!-- Generated from agent-core's privacy inventory by\n\
     `posture-agent privacy --format data-safety`: do not edit by hand. -->\n\n\
These are the answers for what the Posture Agent library sends. An app that\n\
embeds it adds what the app itself collects. The data goes to the\n\
organisation's own collector (the app's backend), so for Play it is\n\
*collected*, not *shared*.\n\n\
## Data collection and security\n\n\
| question | answer | why |\n| --- | --- | --- |\n\
| Does your app collect or share any of the required user data types? | Yes | the posture facts and random identifiers below |\n\
| Is all of the user data collected by your app encrypted in transit? | Yes | HTTPS only; plain HTTP is refused except to loopback (tests) |\n\
| Do you provide a way for users to request that their data is deleted? | Yes | unenrolling deletes the key and all local state and asks the collector to remove the device |\n\n\
## Data types\n\n\
| section | data type | collected | shared | processed ephemerally | required or optional | purposes |\n\
| --- | --- | --- | --- | --- | --- | --- |\n",
    );
    let types = distinct(FIELDS, |f| play_type(f.category));
    for (section, ty) in &types {
        let _ = writeln!(
            out,
            "| {section} | {ty} | Yes | No | No | Required | App functionality; Fraud prevention, security, and compliance |"
        );
    }
    for (section, ty) in [
        ("Location", "Approximate location; Precise location"),
        ("Personal info", "every type"),
        ("Financial info", "every type"),
        ("Health and fitness", "every type"),
        ("Messages", "every type"),
        ("Photos and videos", "every type"),
        ("Audio files", "every type"),
        ("Files and docs", "Files and docs"),
        ("Calendar", "Calendar events"),
        ("Contacts", "Contacts"),
        ("App activity", "every type (including Installed apps)"),
        ("Web browsing", "Web browsing history"),
        (
            "App info and performance",
            "Crash logs; Other app performance data",
        ),
    ] {
        let _ = writeln!(out, "| {section} | {ty} | No | No | | | |");
    }
    out.push_str("\n## The fields behind each answer\n");
    for (section, ty) in &types {
        let _ = writeln!(out, "\n### {section} › {ty}\n");
        out.push_str(
            "| message | field | what it is | why it is needed |\n| --- | --- | --- | --- |\n",
        );
        let inv = inventory(Locale::En);
        for f in inv
            .fields
            .iter()
            .filter(|f| play_type(f.category) == Some((section, ty)))
        {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} |",
                f.payload_name, f.path, f.what, f.why
            );
        }
    }
    out.push_str(
        "\nProtocol bookkeeping (times, formats, the one-time enrolment code, a\n\
request's purpose) describes the messages, not the person or the device,\n\
and is not a Play data type: `posture-agent privacy` lists it too.\n",
    );
    out
}

/// The leaflet for staff, in `locale`.
pub fn leaflet(locale: Locale) -> String {
    let t = |id| text(locale, id);
    let inv = inventory(locale);
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", t("privacy-leaflet-title"));
    let _ = writeln!(
        out,
        "<!-- {} -->\n",
        Msg::new("privacy-leaflet-generated")
            .text(
                "command",
                format!("posture-agent privacy --format leaflet --lang {locale}")
            )
            .in_locale(locale)
    );
    if locale != Locale::En {
        // Its words are not yet checked by a speaker of the language: say
        // so in that language and in English.
        let _ = writeln!(
            out,
            "> **{}:** {}\n>\n> **English:** {}\n",
            locale.own_name(),
            t("privacy-leaflet-review"),
            text(Locale::En, "privacy-leaflet-review")
        );
    }
    let _ = writeln!(out, "{}\n", inv.summary);
    let _ = writeln!(out, "## {}\n", t("privacy-leaflet-sent"));
    for category in DataCategory::ALL {
        let mut seen: Vec<&str> = Vec::new();
        let fields: Vec<_> = FIELDS
            .iter()
            .zip(&inv.fields)
            .filter(|(f, _)| f.category == category)
            .filter(|(f, _)| {
                let fresh = !seen.contains(&f.stem);
                seen.push(f.stem);
                fresh
            })
            .collect();
        if fields.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {}\n", text(locale, category.message()));
        for (_, f) in fields {
            let _ = writeln!(out, "- **{}** {}", f.what, f.why);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## {}\n", t("privacy-leaflet-never"));
    for id in NEVER_COLLECTED {
        let _ = writeln!(out, "- {}", t(id));
    }
    let _ = writeln!(out, "\n## {}\n", t("privacy-leaflet-rights"));
    let _ = writeln!(out, "- {}", t("privacy-leaflet-rights-preview"));
    let _ = writeln!(out, "- {}", t("privacy-leaflet-rights-unenrol"));
    let _ = writeln!(out, "- {}", t("privacy-leaflet-rights-organisation"));
    out
}
