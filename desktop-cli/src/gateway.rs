//! `posture-agent gateway`: relying-party tokens for `serve
//! --relying-parties`, and pushing compliance to Tailscale as custom
//! device posture attributes. The sync reads the collector only through
//! its relying-party API, as any gateway connector would.

use std::path::{Path, PathBuf};

use agent_core::protocol::{ComplianceAnswer, DeviceStatus, SCOPES, paths};
use agent_core::token::random_id;
use agent_core::transport::{
    HttpRequest, HttpResponse, HttpTransport, Transport, TransportConfig, check_url,
};
use clap::{Args, Subcommand};
use posture_collector::{GatewayLinks, RelyingParties, gateway_score};
use serde_json::json;
use time::format_description::well_known::Rfc3339;

use crate::commands::CliError;
use crate::{EXIT_NON_COMPLIANT, EXIT_OK};

/// The attribute keys the sync sets on each Tailscale device.
pub const ATTR_STATUS: &str = "custom:postureStatus";
/// The assurance level attribute.
pub const ATTR_ASSURANCE: &str = "custom:postureAssurance";
/// The 0-100 score attribute (the Cloudflare table).
pub const ATTR_SCORE: &str = "custom:postureScore";

/// `gateway` subcommands.
#[derive(Debug, Subcommand)]
pub enum GatewayCommand {
    /// Make a relying-party token: print it once, with the entry (its
    /// SHA-256, never the token) to add to the `serve --relying-parties` file.
    Token(TokenArgs),
    /// Set each linked Tailscale device's custom posture attributes from
    /// the collector's compliance answers (exit 0 all set, 1 some failed).
    #[command(name = "tailscale-sync")]
    TailscaleSync(TailscaleSyncArgs),
}

/// Arguments of `gateway token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The relying party's name, as logs will show it.
    #[arg(long)]
    pub name: String,
    /// A scope to grant (compliance:read, cloudflare:posture); repeatable.
    #[arg(long = "scope", value_name = "SCOPE", required = true)]
    pub scopes: Vec<String>,
}

/// Arguments of `gateway tailscale-sync`.
#[derive(Debug, Args)]
pub struct TailscaleSyncArgs {
    /// The collector's base URL (HTTPS; plain HTTP only to loopback).
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// A relying-party token with compliance:read.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "POSTURE_RP_TOKEN",
        hide_env_values = true
    )]
    pub rp_token: crate::secret::Secret,
    /// The gateway-links file; its `tailscale` section maps Tailscale device ids to device ids.
    #[arg(long, value_name = "FILE")]
    pub links: PathBuf,
    /// Tailscale's API (HTTPS; plain HTTP only to loopback, for tests).
    #[arg(long, value_name = "URL", default_value = "https://api.tailscale.com")]
    pub tailscale_api: String,
    /// A Tailscale API access token allowed to write device posture attributes.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "TAILSCALE_API_KEY",
        hide_env_values = true
    )]
    pub tailscale_token: crate::secret::Secret,
    /// The CA to trust for the collector (and Tailscale's API).
    #[command(flatten)]
    pub ca: crate::cli::CaArg,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `gateway token`.
pub fn token(args: &TokenArgs) -> Result<u8, CliError> {
    if let Some(s) = args.scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(CliError::Usage(format!(
            "unknown scope {s:?}; known: {}",
            SCOPES.join(", ")
        )));
    }
    let token = random_id(32).map_err(|e| CliError::Usage(format!("no random token: {e}")))?;
    let token = format!("rpt_{token}");
    let entry = json!({
        "name": args.name,
        "scopes": args.scopes,
        "token_sha256": RelyingParties::token_digest(&token),
    });
    // The file must accept the entry as written.
    RelyingParties::parse(
        &json!({"relying_parties": [&entry]}).to_string(),
        "the entry",
    )
    .map_err(|e| CliError::Usage(e.to_string()))?;
    println!("{token}");
    eprintln!(
        "give the token above to {:?} (it is shown only now); add this entry to the \
         relying_parties list of the serve --relying-parties file:",
        args.name
    );
    eprintln!("{entry}");
    Ok(EXIT_OK)
}

/// What happened to one linked device.
#[derive(Debug, serde::Serialize)]
struct Synced {
    tailscale_id: String,
    device_id: String,
    status: String,
    score: u8,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// `gateway tailscale-sync`.
pub fn tailscale_sync(args: &TailscaleSyncArgs, ca: Option<&Path>) -> Result<u8, CliError> {
    // Both URLs before any request: a token is never sent in clear.
    for (what, url) in [
        ("--server", &args.server),
        ("--tailscale-api", &args.tailscale_api),
    ] {
        check_url(url).map_err(|e| CliError::Usage(format!("{what} {url}: {e}")))?;
    }
    let links = GatewayLinks::from_file(&args.links).map_err(|e| CliError::Usage(e.to_string()))?;
    let extra_ca_pem = match ca {
        Some(path) => Some(
            crate::files::read_bytes(path, crate::files::MAX_PEM_BYTES, "a CA certificate")
                .map_err(CliError::File)?,
        ),
        None => None,
    };
    let http = HttpTransport::new(TransportConfig {
        extra_ca_pem,
        ..TransportConfig::default()
    })
    .map_err(|e| CliError::Usage(e.to_string()))?;
    let server = args.server.trim_end_matches('/');
    let api = args.tailscale_api.trim_end_matches('/');
    let mut results = Vec::new();
    for (tailscale_id, device_id) in &links.tailscale {
        let outcome = sync_one(&http, args, server, api, tailscale_id, device_id);
        results.push(match outcome {
            Ok((status, score)) => Synced {
                tailscale_id: tailscale_id.clone(),
                device_id: device_id.clone(),
                status,
                score,
                ok: true,
                error: None,
            },
            Err(e) => Synced {
                tailscale_id: tailscale_id.clone(),
                device_id: device_id.clone(),
                status: "unknown".into(),
                score: 0,
                ok: false,
                error: Some(e),
            },
        });
    }
    let failed = results.iter().filter(|r| !r.ok).count();
    if args.json {
        let summary =
            json!({"devices": results, "synced": results.len() - failed, "failed": failed});
        println!("{summary}");
    } else {
        for r in &results {
            match &r.error {
                None => println!(
                    "{} ({}): {} score {}",
                    r.tailscale_id, r.device_id, r.status, r.score
                ),
                Some(e) => println!("{} ({}): not set: {e}", r.tailscale_id, r.device_id),
            }
        }
        println!("{} synced, {failed} failed", results.len() - failed);
    }
    Ok(if failed == 0 {
        EXIT_OK
    } else {
        EXIT_NON_COMPLIANT
    })
}

/// Reads one device's compliance and sets its three attributes. A device
/// the collector does not know (unenrolled) is set to `unknown`, score 0.
fn sync_one(
    http: &HttpTransport,
    args: &TailscaleSyncArgs,
    server: &str,
    api: &str,
    tailscale_id: &str,
    device_id: &str,
) -> Result<(String, u8), String> {
    let path = paths::DEVICE_COMPLIANCE.replace("{device_id}", &encode_segment(device_id));
    let request = HttpRequest::get(format!("{server}{path}"))
        .with_header(
            "authorization",
            &format!("Bearer {}", args.rp_token.expose()),
        )
        .with_header("accept", "application/json, application/problem+json");
    let response = http
        .send(request)
        .map_err(|e| format!("the collector: {e}"))?;
    let (status, assurance, score, expiry) = match response.status {
        200 => {
            let answer: ComplianceAnswer = serde_json::from_slice(&response.body)
                .map_err(|e| format!("the collector's answer: {e}"))?;
            let status = serde_json::to_value(answer.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "unknown".into());
            // Fresh evidence expires when it turns stale, so Tailscale drops
            // the attributes of a device that stops reporting.
            let expiry = match answer.status {
                DeviceStatus::Stale => None,
                _ => answer
                    .freshness
                    .stale_at
                    .and_then(|t| t.format(&Rfc3339).ok()),
            };
            let assurance = answer.assurance.map_or("none", |a| a.name()).to_owned();
            (status, assurance, gateway_score(Some(&answer)), expiry)
        }
        404 => ("unknown".to_owned(), "none".to_owned(), 0, None),
        _ => return Err(format!("the collector: {}", problem_text(&response))),
    };
    let device = encode_segment(tailscale_id);
    for (key, value) in [
        (ATTR_STATUS, json!(status)),
        (ATTR_ASSURANCE, json!(assurance)),
        (ATTR_SCORE, json!(score)),
    ] {
        let mut body = json!({"value": value});
        if let Some(expiry) = &expiry {
            body["expiry"] = json!(expiry);
        }
        let request = HttpRequest::post(
            format!("{api}/api/v2/device/{device}/attributes/{key}"),
            "application/json",
            body.to_string().into_bytes(),
        )
        .with_header(
            "authorization",
            &format!("Bearer {}", args.tailscale_token.expose()),
        );
        let response = http.send(request).map_err(|e| format!("Tailscale: {e}"))?;
        if !response.is_success() {
            return Err(format!(
                "Tailscale answered {} setting {key}",
                response.status
            ));
        }
    }
    Ok((status, score))
}

/// A problem answer in words, without echoing anything secret.
fn problem_text(response: &HttpResponse) -> String {
    serde_json::from_slice::<agent_core::protocol::Problem>(&response.body)
        .map(|p| p.to_string())
        .unwrap_or_else(|_| format!("HTTP {}", response.status))
}

/// Percent-encodes a path segment: everything but RFC 3986's unreserved
/// characters (and `:`, which attribute keys carry and paths allow).
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode_segment;

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(encode_segment("n1234CNTRL"), "n1234CNTRL");
        assert_eq!(encode_segment("a/b?c d"), "a%2Fb%3Fc%20d");
    }
}
