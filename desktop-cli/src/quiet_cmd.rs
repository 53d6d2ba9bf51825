//! `quiet-hours set|show|clear`: the person's working hours, outside which
//! the agent does not prompt (check-ins still run).

use clap::{Args, Subcommand};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use agent_core::quiet_hours::WorkingHours;

use crate::agent_cmd::{Globals, open_agent, open_agent_to_read, print_json};
use crate::cli::DeviceArgs;
use crate::commands::CliError;
use crate::{EXIT_OK, render};

/// `quiet-hours`.
#[derive(Debug, Subcommand)]
pub enum QuietHoursCommand {
    /// Set your working hours (every day, in your time zone): the agent
    /// prompts you only within them. An end before the start crosses
    /// midnight (a night shift: --start 19:00 --end 07:30).
    Set(SetArgs),
    /// Show your working hours and whether the agent may prompt you now.
    Show(ShowArgs),
    /// Clear your working hours: no quiet hours.
    Clear(DeviceArgs),
}

/// Arguments of `quiet-hours set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// When your working day starts, HH:MM.
    #[arg(long)]
    pub start: String,
    /// When it ends, HH:MM.
    #[arg(long)]
    pub end: String,
    /// Your time zone, an IANA name such as Europe/London.
    #[arg(long)]
    pub time_zone: String,
    /// The device.
    #[command(flatten)]
    pub device: DeviceArgs,
}

/// Arguments of `quiet-hours show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Decide at this moment (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// The device.
    #[command(flatten)]
    pub device: DeviceArgs,
}

/// `quiet-hours set`.
pub fn set(args: &SetArgs, g: &Globals) -> Result<u8, CliError> {
    let hours = WorkingHours::new(&args.start, &args.end, &args.time_zone)
        .map_err(|e| CliError::Usage(e.message(g.locale)))?;
    let agent = open_agent(g)?;
    agent
        .set_working_hours(Some(&hours))
        .map_err(CliError::Agent)?;
    println!("{}", render::working_hours_set(&hours, g.locale));
    Ok(EXIT_OK)
}

/// `quiet-hours clear`.
pub fn clear(g: &Globals) -> Result<u8, CliError> {
    open_agent(g)?
        .set_working_hours(None)
        .map_err(CliError::Agent)?;
    println!("{}", render::working_hours_cleared(g.locale));
    Ok(EXIT_OK)
}

/// `quiet-hours show`.
pub fn show(args: &ShowArgs, g: &Globals) -> Result<u8, CliError> {
    let at = match &args.at {
        Some(text) => OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|e| CliError::Usage(format!("--at {text:?} is not an RFC 3339 time: {e}")))?,
        None => OffsetDateTime::now_utc(),
    };
    let agent = open_agent_to_read(g)?;
    let hours = agent.working_hours().map_err(CliError::Agent)?;
    let decision = agent.should_notify_at(at).map_err(CliError::Agent)?;
    if args.json {
        print_json(&serde_json::json!({
            "working_hours": hours,
            "at": at.format(&Rfc3339).unwrap_or_default(),
            "decision": decision,
        }));
    } else {
        print!(
            "{}",
            render::quiet_hours_text(hours.as_ref(), &decision, g.locale)
        );
    }
    Ok(EXIT_OK)
}
