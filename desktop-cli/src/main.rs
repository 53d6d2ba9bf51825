//! `posture-agent`: the desktop front end of Posture Agent.
//!
//! Uses agent-core's public API exactly as an app would. Exit codes are part
//! of the interface: 0 compliant, 1 non-compliant, 3 warning, 2 error.

mod agent_cmd;
mod attest;
mod attestation_cmd;
mod cli;
mod commands;
mod demo;
mod evidence_cmd;
mod files;
mod fleet;
mod gateway;
mod privacy_cmd;
mod quiet_cmd;
mod render;
mod secret;
mod serve;
mod targets;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// Exit code: the device is compliant (or the command succeeded).
pub const EXIT_OK: u8 = 0;
/// Exit code: the device is non-compliant.
pub const EXIT_NON_COMPLIANT: u8 = 1;
/// Exit code: something went wrong (bad input, unreadable file).
pub const EXIT_ERROR: u8 = 2;
/// Exit code: compliant apart from warnings.
pub const EXIT_WARNING: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let result = match &cli.command {
        Command::Collect(args) => commands::collect(args),
        Command::Check(args) => commands::check(args),
        Command::Policy(args) => commands::policy(args),
        Command::Keys(cli::KeysCommand::Show(args)) => {
            attest::keys_show(args, &cli.device(&args.device))
        }
        Command::Attest(args) => attest::attest(args, &cli.device(&args.device)),
        Command::Verify(args) => attest::verify(args),
        Command::Enrol(args) => agent_cmd::enrol(args, &cli.connect(&args.connect)),
        Command::CheckIn(args) => agent_cmd::check_in(args.json, &cli.connect(&args.connect)),
        Command::Flush(args) => agent_cmd::flush(args.json, &cli.connect(&args.connect)),
        Command::QuietHours(crate::quiet_cmd::QuietHoursCommand::Set(args)) => {
            quiet_cmd::set(args, &cli.device(&args.device))
        }
        Command::QuietHours(crate::quiet_cmd::QuietHoursCommand::Show(args)) => {
            quiet_cmd::show(args, &cli.device(&args.device))
        }
        Command::QuietHours(crate::quiet_cmd::QuietHoursCommand::Clear(args)) => {
            quiet_cmd::clear(&cli.device(args))
        }
        Command::Status(args) => agent_cmd::status(args.json, &cli.device(&args.device)),
        Command::ComplianceToken(args) => {
            agent_cmd::compliance_token(args.json, &cli.device(&args.device))
        }
        Command::Preview(args) => agent_cmd::preview(&cli.device(args)),
        Command::Unenrol(args) => agent_cmd::unenrol(args.json, &cli.connect(&args.connect)),
        Command::Run(args) => agent_cmd::run(args, &cli.connect(&args.connect)),
        Command::Demo(args) => demo::demo(&cli.device(args)),
        Command::Reset(args) => agent_cmd::reset(&cli.device(args)),
        Command::Serve(args) => {
            serve::serve_command(args, &args.state_dir.clone().or(cli.state_dir.clone()))
        }
        Command::Fleet(fleet::FleetCommand::Simulate(args)) => {
            fleet::simulate(args, cli.ca_file(&args.ca).as_deref())
        }
        Command::Evidence(args) => evidence_cmd::evidence(args, cli.ca_file(&args.ca).as_deref()),
        Command::Completions(args) => {
            clap_complete::generate(
                args.shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "posture-agent",
                &mut std::io::stdout(),
            );
            Ok(EXIT_OK)
        }
        Command::Attestation(cmd) => attestation_cmd::command(cmd),
        Command::Gateway(gateway::GatewayCommand::Token(args)) => gateway::token(args),
        Command::Gateway(gateway::GatewayCommand::TailscaleSync(args)) => {
            gateway::tailscale_sync(args, cli.ca_file(&args.ca).as_deref())
        }
        Command::Privacy(args) => privacy_cmd::privacy(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {}", e.in_locale(cli.locale()));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Logs go to stderr so stdout stays clean for JSON and tokens.
fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
