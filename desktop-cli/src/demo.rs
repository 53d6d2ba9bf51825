//! `demo`: the whole system on this machine in one command — a reference
//! collector on loopback (HTTPS with a throwaway CA), a one-time code, this
//! machine enrolled, one check-in, the collector's verdict with the fixes.

use std::path::PathBuf;

use agent_core::agent::AgentState;
use posture_collector::{CollectorConfig, spawn_local_tls};

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
    };
    let ca = running.ca_pem().map(|pem| pem.as_bytes().to_vec());
    let agent = crate::agent_cmd::open_agent_ca(&globals, ca)?;
    if agent.state().map_err(CliError::Agent)? == AgentState::Enrolled {
        // Left from an earlier demo whose collector is gone: start clean.
        agent.unenrol().map_err(CliError::Agent)?;
    }
    let status = agent
        .enrol(running.url(), code.code.expose())
        .map_err(CliError::Agent)?;
    println!(
        "3. This machine enrolled as device {} (key {})",
        status.device_id.as_deref().unwrap_or("?"),
        status.kid.as_deref().unwrap_or("?")
    );

    let outcome = agent.check_in().map_err(CliError::Agent)?;
    println!("4. Checked in: posture collected, evaluated, signed (ES256), queued, delivered.\n");
    print!("{}", render::check_in_text(&outcome));

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
    println!(
        "The device's state (enrolment, outbox) lives in {}",
        demo_dir.display()
    );
    println!(
        "See exactly what was sent: posture-agent --state-dir {} preview",
        demo_dir.display()
    );
    Ok(EXIT_OK)
}
