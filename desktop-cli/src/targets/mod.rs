//! Tester targets: whose posture `collect`, `check` and `attest` read.
//!
//! `local` (this machine), `adb[:SERIAL]` (an Android emulator or device),
//! `simctl[:UDID]` (an iOS simulator) or `profile:FILE|NAME` (a virtual
//! device, from a file or shipped with the agent).

pub mod adb;
pub mod parse;
pub mod profile;
pub mod simctl;
pub mod simulator;

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use agent_core::probe::{PostureProbe, local_probe};

/// Largest output read from any target command: a getprop dump is ~100 KiB.
const MAX_OUTPUT_BYTES: u64 = 1024 * 1024;

/// Whose posture to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// This machine.
    Local,
    /// An Android device over adb, optionally by serial.
    Adb(Option<String>),
    /// An iOS simulator, optionally by UDID.
    Simctl(Option<String>),
    /// A virtual device described in a TOML profile.
    Profile(PathBuf),
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, arg) = match s.split_once(':') {
            Some((k, a)) => (k, Some(a)),
            None => (s, None),
        };
        let nonempty = |a: Option<&str>| a.filter(|a| !a.is_empty()).map(str::to_owned);
        match kind {
            "local" if arg.is_none() => Ok(Target::Local),
            "adb" => Ok(Target::Adb(nonempty(arg))),
            "simctl" => Ok(Target::Simctl(nonempty(arg))),
            "profile" => nonempty(arg)
                .map(|p| Target::Profile(PathBuf::from(p)))
                .ok_or_else(|| "profile needs a file or a shipped profile's name: --target profile:FILE or profile:NAME".to_owned()),
            _ => Err(format!(
                "unknown target {s:?}: use local, adb[:SERIAL], simctl[:UDID] or profile:FILE|NAME"
            )),
        }
    }
}

/// The `--target` option, flattened into the commands that read a posture.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// Whose posture: local (this machine), adb[:SERIAL], simctl[:UDID],
    /// profile:FILE, or profile:NAME for a shipped profile (android-rooted, ios-compliant, ...).
    #[arg(long, value_name = "TARGET", default_value = "local")]
    pub target: Target,
}

/// Why a target could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// This OS has no built-in probe.
    #[error(
        "this operating system has no built-in probe; use --target adb, simctl or profile:FILE"
    )]
    NoLocalProbe,
    /// The adb target failed.
    #[error("{0}")]
    Adb(#[from] adb::AdbError),
    /// The simctl target failed.
    #[error("{0}")]
    Simctl(#[from] simctl::SimctlTargetError),
    /// The profile could not be loaded.
    #[error("{0}")]
    Profile(#[from] profile::ProfileError),
}

/// The probe for a target, after checking it can be reached.
pub fn probe_for(target: &Target) -> Result<Box<dyn PostureProbe>, TargetError> {
    match target {
        Target::Local => local_probe().ok_or(TargetError::NoLocalProbe),
        Target::Adb(serial) => Ok(Box::new(adb::AdbProbe::connect(serial.as_deref())?)),
        Target::Simctl(udid) => Ok(Box::new(simctl::SimctlProbe::connect(udid.as_deref())?)),
        Target::Profile(path) => Ok(Box::new(profile::ProfileProbe::open(path)?)),
    }
}

/// How running a target's command failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The program is not installed (or not on PATH).
    #[error("{0} not found")]
    NotFound(String),
    /// It could not be started.
    #[error("could not run {0}: {1}")]
    Spawn(String, std::io::Error),
    /// It ran longer than allowed and was killed.
    #[error("{0} did not finish within {1} s")]
    Timeout(String, u64),
    /// It exited with a failure.
    #[error("{program} exited with {status}: {stderr}")]
    Failed {
        /// The program.
        program: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// The first line of its stderr.
        stderr: String,
    },
}

/// Runs a program with a timeout, reading at most [`MAX_OUTPUT_BYTES`] of
/// stdout; returns stdout when it exits successfully.
pub fn run_bounded(program: &str, args: &[&str], timeout: Duration) -> Result<String, RunError> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => RunError::NotFound(program.to_owned()),
            _ => RunError::Spawn(program.to_owned(), e),
        })?;
    // Read both pipes on threads so a chatty child cannot block on a full pipe.
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(p) = pipe {
                let _ = p.take(MAX_OUTPUT_BYTES).read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() < timeout => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RunError::Timeout(program.to_owned(), timeout.as_secs()));
            }
        }
    };
    let stdout = String::from_utf8_lossy(&out.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
    if !status.success() {
        return Err(RunError::Failed {
            program: program.to_owned(),
            status,
            stderr: stderr
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .chars()
                .take(200)
                .collect(),
        });
    }
    Ok(stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        assert_eq!("local".parse::<Target>(), Ok(Target::Local));
        assert_eq!("adb".parse::<Target>(), Ok(Target::Adb(None)));
        assert_eq!(
            "adb:emulator-5554".parse::<Target>(),
            Ok(Target::Adb(Some("emulator-5554".into())))
        );
        assert_eq!(
            "adb:localhost:5555".parse::<Target>(),
            Ok(Target::Adb(Some("localhost:5555".into())))
        );
        assert_eq!("simctl".parse::<Target>(), Ok(Target::Simctl(None)));
        assert_eq!(
            "profile:a.toml".parse::<Target>(),
            Ok(Target::Profile("a.toml".into()))
        );
        assert!("profile".parse::<Target>().is_err());
        assert!("phone".parse::<Target>().is_err());
    }

    #[test]
    fn run_errors() {
        assert!(matches!(
            run_bounded("posture-agent-no-such-program", &[], Duration::from_secs(1)),
            Err(RunError::NotFound(_))
        ));
        assert!(matches!(
            run_bounded("sh", &["-c", "echo oops >&2; exit 3"], Duration::from_secs(5)),
            Err(RunError::Failed { stderr, .. }) if stderr == "oops"
        ));
        assert!(matches!(
            run_bounded("sleep", &["5"], Duration::from_millis(200)),
            Err(RunError::Timeout(..))
        ));
        assert_eq!(
            run_bounded("echo", &["hi"], Duration::from_secs(5)).unwrap(),
            "hi\n"
        );
    }
}
