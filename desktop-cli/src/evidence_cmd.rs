//! `posture-agent evidence`: the collector's audit evidence for a period
//! (protocol §8.5), as JSON, CSV or one self-contained HTML file.
//!
//! The collector answers JSON only; the CSV and HTML are rendered here by
//! the collector crate's own functions, the ones a web console uses, so
//! every route to the report gives the same file.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use agent_core::transport::{HttpTransport, TransportConfig};
use clap::{Args, ValueEnum};
use posture_collector::evidence::{Period, render_csv, render_html};

use crate::EXIT_OK;
use crate::commands::CliError;
use crate::fleet::admin::Admin;

/// The evidence lists at most 10,000 exceptions: a few megabytes of JSON.
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// The file format of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The collector's JSON answer, pretty-printed.
    Json,
    /// Four CSV tables (report, summary, figure, exception), as docs/evidence.md gives them.
    Csv,
    /// One self-contained HTML file with charts, readable offline and printable.
    Html,
}

/// Arguments of `evidence`.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// The collector's base URL (https://; plain http only to loopback).
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// The collector's admin token.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "POSTURE_COLLECTOR_ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub admin_token: crate::secret::Secret,
    /// The first day of the period (UTC), YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// The last day of the period (UTC, included), YYYY-MM-DD; at most 366 days in all.
    #[arg(long, value_name = "DATE")]
    pub to: String,
    /// The file format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The CA to trust for the collector.
    #[command(flatten)]
    pub ca: crate::cli::CaArg,
}

/// Runs `evidence`; `ca` is the `--ca` in force.
pub fn evidence(args: &EvidenceArgs, ca: Option<&Path>) -> Result<u8, CliError> {
    // Checked here first, so a typo gets the answer without a round trip.
    let period = Period::parse(Some(&args.from), Some(&args.to))
        .map_err(|e| CliError::Usage(format!("the period: {e}")))?;
    let extra_ca_pem = match ca {
        Some(path) => Some(
            crate::files::read_bytes(path, crate::files::MAX_PEM_BYTES, "a CA certificate")
                .map_err(CliError::File)?,
        ),
        None => None,
    };
    let transport = HttpTransport::new(TransportConfig {
        extra_ca_pem,
        max_response_bytes: MAX_RESPONSE_BYTES,
        ..TransportConfig::default()
    })
    .map_err(|e| CliError::Usage(format!("cannot reach the collector: {e}")))?;
    let admin = Admin::new(&args.server, args.admin_token.expose(), Arc::new(transport));
    let report = admin
        .evidence(period.from(), period.to())
        .map_err(CliError::Usage)?;
    let text = match args.format {
        Format::Json => {
            let mut json = serde_json::to_string_pretty(&report)
                .map_err(|e| CliError::Usage(format!("cannot encode the report: {e}")))?;
            json.push('\n');
            json
        }
        Format::Csv => render_csv(&report),
        Format::Html => render_html(&report),
    };
    match &args.output {
        Some(path) => write_file(path, text.as_bytes())?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| CliError::Usage(format!("cannot write the report: {e}")))?;
        }
    }
    Ok(EXIT_OK)
}

/// Writes `bytes` to `path` through a temporary file in the same folder,
/// renamed into place, so a failed write never leaves half a report.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let fail = |e: std::io::Error| CliError::Usage(format!("cannot write {}: {e}", path.display()));
    let name = path
        .file_name()
        .ok_or_else(|| CliError::Usage(format!("--output {} names no file", path.display())))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(fail(e));
    }
    Ok(())
}
