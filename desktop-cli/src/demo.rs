//! `demo`: the whole system on this machine in one command — a reference
//! collector on loopback (HTTPS with a throwaway CA), a one-time code, this
//! machine enrolled, one check-in, the collector's verdict with the fixes,
//! and the report exactly as the collector stored it; then the web
//! console's address and a one-time log-in link.

use std::io::IsTerminal;
use std::path::PathBuf;

use agent_core::agent::AgentState;
use agent_core::protocol::{ExportRecord, paths};
use agent_core::token::{MemoryReplayCache, NonceCheck, Verifier, VerifyingKey};
use agent_core::transport::{HttpRequest, HttpTransport, Transport, TransportConfig};
use posture_collector::{CONSOLE_PATH, CollectorConfig, RunningCollector, spawn_local_tls};
use time::OffsetDateTime;

use crate::agent_cmd::{Globals, state_dir};
use crate::commands::CliError;
use crate::{EXIT_OK, render};

/// `demo`.
pub fn demo(g: &Globals) -> Result<u8, CliError> {
    println!("Posture Agent demo: a collector on loopback, this machine as the device.\n");
    let running = spawn_local_tls(CollectorConfig::default())
        .map_err(|e| CliError::Usage(format!("could not start the demo collector: {e}")))?;
    let collector = running.collector();
    println!(
        "1. Collector listening at {} (HTTPS, a throwaway CA trusted only by this demo)",
        running.url()
    );

    let code = collector
        .issue_codes(1, None)
        .map_err(|e| CliError::Usage(format!("could not issue an enrolment code: {e}")))?
        .into_iter()
        .next()
        .ok_or_else(|| CliError::Usage("the collector issued no code".into()))?;
    let expires = render::timestamp(code.expires_at);
    println!("2. One-time enrolment code issued (single use, expires {expires})");

    // The demo keeps its own state, apart from a real enrolment.
    let demo_dir: PathBuf = match &g.state_dir {
        Some(dir) => dir.clone(),
        None => state_dir(&None)?.join("demo"),
    };
    let globals = Globals {
        state_dir: Some(demo_dir.clone()),
        key_store: g.key_store,
        ca: None,
        locale: g.locale,
    };
    let ca = running.ca_pem().map(|pem| pem.as_bytes().to_vec());
    let agent = crate::agent_cmd::open_agent_ca(&globals, ca.clone())?;
    if agent.state().map_err(CliError::Agent)? == AgentState::Enrolled {
        // Left from an earlier demo whose collector is gone: start clean.
        agent.unenrol().map_err(CliError::Agent)?;
    }
    let status = agent
        .enrol(running.url(), code.code.expose())
        .map_err(CliError::Agent)?;
    println!(
        "3. This machine enrolled as device {} (key {})",
        status.device_id.as_ref().map(|d| d.as_str()).unwrap_or("?"),
        status.kid.as_deref().unwrap_or("?")
    );

    let outcome = agent.check_in().map_err(CliError::Agent)?;
    println!("4. Checked in: posture collected, evaluated, signed (ES256), queued, delivered.\n");
    print!("{}", render::check_in_text(&outcome, g.locale));

    let fleet = collector
        .fleet_summary(None)
        .map_err(|e| CliError::Usage(format!("could not read the fleet summary: {e}")))?;
    println!(
        "\nThe collector now holds {}: {} compliant, {} warning, {} non-compliant.",
        render::count(fleet.total, "device", "devices"),
        fleet.compliant,
        fleet.warning,
        fleet.non_compliant
    );
    let stored = stored_report(running.url(), collector.admin_token(), ca, &outcome.jti)?;
    let jwk = agent.public_jwk().map_err(CliError::Agent)?;
    let key = VerifyingKey::from_jwk(&jwk)
        .map_err(|e| CliError::Usage(format!("this device's public key: {e}")))?;
    let verified = Verifier::default()
        .verify(
            &stored.token,
            &key,
            NonceCheck::ByCaller,
            &MemoryReplayCache::default(),
            OffsetDateTime::now_utc(),
        )
        .map_err(|e| {
            CliError::Usage(format!(
                "the report the collector stored does not verify with this device's key: {e}"
            ))
        })?;
    println!(
        "\nExactly what was sent: report {}, as the collector stored it (its signature checked with this device's key):",
        stored.jti
    );
    println!(
        "{}",
        serde_json::to_string_pretty(&verified.claims).unwrap_or_default()
    );
    println!(
        "\nThe device's state (enrolment, outbox) lives in {}",
        demo_dir.display()
    );
    println!(
        "The report a check-in would send now (built afresh, nothing sent): posture-agent preview --state-dir {}",
        demo_dir.display()
    );
    console(&running)?;
    Ok(EXIT_OK)
}

/// Prints the web console's address and a one-time log-in link; on a
/// terminal, keeps the collector up until Enter so the link can be used.
fn console(running: &RunningCollector) -> Result<(), CliError> {
    let link = running
        .collector()
        .console_login_link(running.url())
        .map_err(|e| CliError::Usage(format!("could not make a console log-in link: {e}")))?;
    println!(
        "\nWeb console: {}{CONSOLE_PATH}/ — log in with this one-time link (works once, for 10 minutes):\n  {link}",
        running.url()
    );
    if !std::io::stdin().is_terminal() {
        return Ok(());
    }
    println!(
        "The demo's certificate comes from a throwaway CA your browser does not know: \
         accept it for 127.0.0.1 to look around. Press Enter to stop the collector."
    );
    let mut line = String::new();
    // Any answer, or the end of input, stops the demo.
    let _ = std::io::stdin().read_line(&mut line);
    Ok(())
}

/// The report `jti` as the collector stored it, from its export (over the
/// same HTTPS as the agent, with the admin token).
fn stored_report(
    url: &str,
    admin_token: &str,
    ca: Option<Vec<u8>>,
    jti: &str,
) -> Result<ExportRecord, CliError> {
    let fail = |what: String| CliError::Usage(format!("could not read the stored report: {what}"));
    let http = HttpTransport::new(TransportConfig {
        extra_ca_pem: ca,
        ..TransportConfig::default()
    })
    .map_err(|e| fail(e.to_string()))?;
    let response = http
        .send(
            HttpRequest::get(format!("{url}{}", paths::REPORTS_EXPORT))
                .with_header("authorization", &format!("Bearer {admin_token}")),
        )
        .map_err(|e| fail(e.to_string()))?;
    if response.status != 200 {
        return Err(fail(format!(
            "the export answered HTTP {}",
            response.status
        )));
    }
    String::from_utf8_lossy(&response.body)
        .lines()
        .filter_map(|line| serde_json::from_str::<ExportRecord>(line).ok())
        .find(|r| r.jti.as_str() == jti)
        .ok_or_else(|| fail(format!("report {jti} is not in the export")))
}
