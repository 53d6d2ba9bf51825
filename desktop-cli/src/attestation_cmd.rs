//! `attestation inspect`: verify an Android Key Attestation chain as the
//! collector would and print its decoded KeyDescription.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use posture_attestation::description::{AuthorizationList, KeyDescription};
use posture_attestation::json::Ids;
use posture_attestation::{Assurance, Chain, Options, Verified, Verifier};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::commands::CliError;
use crate::{EXIT_NON_COMPLIANT, EXIT_OK};

/// Largest chain file read, in bytes.
const MAX_CHAIN_FILE_BYTES: u64 = 256 * 1024;

const INSPECT_EXIT_CODES: &str = "\
Exit codes:
  0  the chain is a valid attestation (the description is printed)
  1  the chain is rejected (the reason is printed on stderr)
  2  error (unreadable file, bad arguments)";

/// `attestation` subcommands.
#[derive(Debug, Subcommand)]
pub enum AttestationCommand {
    /// Verify an Android Key Attestation chain (PEM, leaf first) against
    /// Google's roots and print the decoded KeyDescription.
    #[command(after_help = INSPECT_EXIT_CODES)]
    Inspect(InspectArgs),
}

/// Arguments of `attestation inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The chain: PEM certificates, leaf first, as the device returned them.
    #[arg(value_name = "FILE.pem")]
    pub file: PathBuf,
    /// Verification time for the non-leaf certificates (RFC 3339); now when absent.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// The attestation challenge the key must carry, in hex.
    #[arg(long, value_name = "HEX", conflicts_with = "challenge_text")]
    pub challenge: Option<String>,
    /// The attestation challenge the key must carry, as text.
    #[arg(long, value_name = "S")]
    pub challenge_text: Option<String>,
    /// Accept software attestation (emulators); the result says so.
    #[arg(long)]
    pub allow_software: bool,
    /// Print the description as JSON with the field names of Google's verifier.
    #[arg(long)]
    pub json: bool,
    /// Print ID-attestation values (IMEI, serial, ...) instead of `<redacted>`.
    #[arg(long)]
    pub reveal_ids: bool,
}

/// Runs an `attestation` subcommand.
pub fn command(cmd: &AttestationCommand) -> Result<u8, CliError> {
    match cmd {
        AttestationCommand::Inspect(args) => inspect(args),
    }
}

fn read_chain_file(path: &Path) -> Result<String, CliError> {
    crate::files::read_text(path, MAX_CHAIN_FILE_BYTES, "an attestation chain")
        .map_err(CliError::File)
}

fn parse_hex(s: &str) -> Result<Vec<u8>, CliError> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(CliError::Usage(
            "--challenge: expected an even number of hex digits".into(),
        ));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&s[i..i + 2], 16)
                .map_err(|e| CliError::Usage(format!("--challenge: {e}")))
        })
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `attestation inspect`.
pub fn inspect(args: &InspectArgs) -> Result<u8, CliError> {
    let at = match &args.at {
        Some(s) => OffsetDateTime::parse(s, &Rfc3339)
            .map_err(|e| CliError::Usage(format!("--at {s}: not an RFC 3339 time ({e})")))?,
        None => OffsetDateTime::now_utc(),
    };
    let challenge = match (&args.challenge, &args.challenge_text) {
        (Some(h), _) => Some(parse_hex(h)?),
        (None, Some(t)) => Some(t.as_bytes().to_vec()),
        (None, None) => None,
    };
    let text = read_chain_file(&args.file)?;
    let verifier = Verifier::google()
        .map_err(|e| CliError::Usage(format!("the built-in attestation roots: {e}")))?;
    let options = Options {
        allow_software: args.allow_software,
        challenge: challenge.as_deref(),
        ..Options::at(at)
    };
    let result = Chain::from_pem(&text).and_then(|chain| verifier.verify(&chain, &options));
    let verified = match result {
        Ok(v) => v,
        Err(e) => {
            eprintln!("rejected: {e}");
            return Ok(EXIT_NON_COMPLIANT);
        }
    };
    let ids = if args.reveal_ids {
        Ids::Include
    } else {
        Ids::Redact
    };
    if args.json {
        let doc = verified.description.to_google_json(ids);
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_else(|_| doc.to_string())
        );
    } else {
        print_summary(&verified, ids);
    }
    Ok(EXIT_OK)
}

fn print_summary(v: &Verified, ids: Ids) {
    let d: &KeyDescription = &v.description;
    let assurance = match v.assurance {
        Assurance::Hardware => "hardware-backed",
        Assurance::Software => "SOFTWARE attestation (accepted by --allow-software)",
    };
    println!(
        "valid: {assurance}, security level {}, chain of {} certificates",
        v.security_level,
        v.serials.len()
    );
    println!(
        "attestation: version {} ({}), KeyMint {} ({})",
        d.attestation_version,
        d.attestation_security_level,
        d.key_mint_version,
        d.key_mint_security_level
    );
    match std::str::from_utf8(&d.attestation_challenge) {
        Ok(s) if s.chars().all(|c| !c.is_control()) => println!("challenge: {s:?}"),
        _ => println!("challenge: hex {}", hex(&d.attestation_challenge)),
    }
    let hw = &d.hardware_enforced;
    match &hw.root_of_trust {
        Some(r) => println!(
            "boot: {}, bootloader {}, verified boot key {}",
            r.verified_boot_state.as_str(),
            if r.device_locked {
                "locked"
            } else {
                "UNLOCKED"
            },
            hex(&r.verified_boot_key)
        ),
        None => println!("boot: no root of trust attested"),
    }
    let opt = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), |n| n.to_string());
    println!(
        "os: version {}, patch level {}, vendor {}, boot {}",
        opt(hw.os_version),
        opt(hw.os_patch_level.map(|p| p.0)),
        opt(hw.vendor_patch_level.map(|p| p.0)),
        opt(hw.boot_patch_level.map(|p| p.0)),
    );
    if let Some(app) = &d.software_enforced.attestation_application_id {
        for p in &app.packages {
            println!("app: {} (version {})", p.name, p.version);
        }
        for s in &app.signature_digests {
            println!("app signer: sha256 {}", hex(s));
        }
    }
    print_key(hw);
    for (list, name) in [(hw, "hardware"), (&d.software_enforced, "software")] {
        if !list.ids.is_empty() {
            let shown: Vec<String> = list
                .ids
                .fields()
                .into_iter()
                .filter_map(|(k, v)| {
                    v.map(|v| match ids {
                        Ids::Include => format!("{k}={v}"),
                        Ids::Redact => k.to_owned(),
                    })
                })
                .collect();
            let note = if ids == Ids::Redact {
                " (values withheld; --reveal-ids prints them)"
            } else {
                ""
            };
            println!("device IDs ({name}): {}{note}", shown.join(", "));
        }
    }
}

fn print_key(hw: &AuthorizationList) {
    let algorithm = match hw.algorithm {
        Some(1) => "RSA".to_owned(),
        Some(3) => "EC".to_owned(),
        Some(n) => format!("algorithm {n}"),
        None => "unknown algorithm".to_owned(),
    };
    let size = hw
        .key_size
        .map_or_else(String::new, |s| format!(" {s}-bit"));
    let purposes = hw
        .purposes
        .as_ref()
        .map_or_else(String::new, |p| format!(", purposes {p:?}"));
    let origin = hw
        .origin
        .map_or_else(String::new, |o| format!(", origin {}", o.name()));
    println!("key: {algorithm}{size}{purposes}{origin}");
}
