//! `privacy`: the core's privacy inventory for people, as JSON, or as the
//! documents rendered from it.

use std::fmt::Write as _;

use agent_core::privacy::{self, render};
use clap::{Args, ValueEnum};

use crate::EXIT_OK;
use crate::cli::LangArg;
use crate::commands::CliError;

/// Arguments of `privacy`.
#[derive(Debug, Args)]
pub struct PrivacyArgs {
    /// Print the inventory as JSON (the same as `--format json`).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// What to print: the inventory as a table or JSON, or a document
    /// rendered from it.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<PrivacyFormat>,
    /// The language.
    #[command(flatten)]
    pub lang: LangArg,
}

/// What `privacy` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrivacyFormat {
    /// Every field that leaves the device, what it is and why (the default).
    Text,
    /// The inventory as JSON.
    Json,
    /// iOS's privacy manifest (`PrivacyInfo.xcprivacy`); English only.
    Xcprivacy,
    /// The Play Console Data-safety answers (Markdown); English only.
    DataSafety,
    /// The leaflet for staff, "What your organisation can see" (Markdown).
    Leaflet,
}

/// `privacy`.
pub fn privacy(args: &PrivacyArgs) -> Result<u8, CliError> {
    let locale = args.lang.locale();
    let format = match (args.json, args.format) {
        (true, _) => PrivacyFormat::Json,
        (false, f) => f.unwrap_or(PrivacyFormat::Text),
    };
    match format {
        PrivacyFormat::Text => print!("{}", text(&privacy::inventory(locale))),
        PrivacyFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&privacy::inventory(locale)).unwrap_or_default()
        ),
        PrivacyFormat::Xcprivacy => print!("{}", render::xcprivacy()),
        PrivacyFormat::DataSafety => print!("{}", render::data_safety()),
        PrivacyFormat::Leaflet => print!("{}", render::leaflet(locale)),
    }
    Ok(EXIT_OK)
}

/// The inventory for a terminal: the summary, each message's fields, and
/// what is never collected.
fn text(inv: &privacy::PrivacyInventory) -> String {
    let mut out = format!("{}\n", inv.summary);
    let mut payload = None;
    for f in &inv.fields {
        if payload != Some(f.payload) {
            payload = Some(f.payload);
            let _ = writeln!(out, "\n{}:", f.payload_name);
        }
        let _ = writeln!(out, "  {:<28} {}", f.path, f.what);
        let _ = writeln!(out, "  {:<28} {}", "", f.why);
    }
    let never = agent_core::l10n::text(inv.locale, "privacy-leaflet-never");
    let _ = writeln!(out, "\n{never}:");
    for item in &inv.never_collected {
        let _ = writeln!(out, "  - {item}");
    }
    out
}
