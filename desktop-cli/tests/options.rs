//! The command line itself: each command's help shows only the options it
//! uses, where options may go, shell completions, `keys show --json`,
//! shipped profiles by name, and errors that keep the collector's port.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_posture-agent"));
    c.env_remove("RUST_LOG")
        .env_remove("POSTURE_AGENT_STATE_DIR")
        .env_remove("POSTURE_AGENT_KEY_STORE")
        .env_remove("POSTURE_AGENT_CA");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn help(command: &[&str]) -> String {
    ok(&run(&[command, &["--help"]].concat()))
}

#[test]
fn each_command_shows_only_the_options_it_uses() {
    let options = ["--state-dir", "--key-store", "--ca"];
    let cases: &[(&[&str], &[&str])] = &[
        (&["collect"], &[]),
        (&["check"], &[]),
        (&["policy"], &[]),
        (&["verify"], &[]),
        (&["completions"], &[]),
        (&["attestation", "inspect"], &[]),
        (&["serve"], &["--state-dir"]),
        (&["fleet", "simulate"], &["--ca"]),
        (&["gateway", "token"], &[]),
        (&["gateway", "tailscale-sync"], &["--ca"]),
        (&["status"], &["--state-dir", "--key-store"]),
        (&["preview"], &["--state-dir", "--key-store"]),
        (&["reset"], &["--state-dir", "--key-store"]),
        (&["demo"], &["--state-dir", "--key-store"]),
        (&["attest"], &["--state-dir", "--key-store"]),
        (&["keys", "show"], &["--state-dir", "--key-store"]),
        (&["enrol"], &["--state-dir", "--key-store", "--ca"]),
        (&["check-in"], &["--state-dir", "--key-store", "--ca"]),
        (&["flush"], &["--state-dir", "--key-store", "--ca"]),
        (&["unenrol"], &["--state-dir", "--key-store", "--ca"]),
        (&["run"], &["--state-dir", "--key-store", "--ca"]),
    ];
    for (command, uses) in cases {
        let text = help(command);
        for option in options {
            assert_eq!(
                text.contains(&format!("{option} <")),
                uses.contains(&option),
                "{command:?} --help and {option}:\n{text}"
            );
        }
    }
    // The top level lists none of them, but says where they are.
    let top = help(&[]);
    for option in options {
        assert!(!top.contains(&format!("{option} <")), "{top}");
    }
    assert!(top.contains("posture-agent COMMAND --help"), "{top}");
}

/// The state directory `status --json` reports.
fn state_dir_of(cmd: &mut Command) -> String {
    let status: serde_json::Value = serde_json::from_str(&ok(&cmd.output().unwrap())).unwrap();
    status["state_dir"].as_str().unwrap().to_owned()
}

#[test]
fn options_go_after_or_before_the_command_and_beat_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let [env, before, after] = ["env", "before", "after"].map(|d| {
        let path = dir.path().join(d);
        path.to_str().unwrap().to_owned()
    });
    let status = |args: &[&str]| {
        let mut c = bin();
        c.env("POSTURE_AGENT_STATE_DIR", &env)
            .env("POSTURE_AGENT_KEY_STORE", "file")
            .args(args);
        c
    };
    assert_eq!(state_dir_of(&mut status(&["status", "--json"])), env);
    assert_eq!(
        state_dir_of(&mut status(&["--state-dir", &before, "status", "--json"])),
        before
    );
    assert_eq!(
        state_dir_of(&mut status(&["status", "--json", "--state-dir", &after])),
        after
    );
    assert_eq!(
        state_dir_of(&mut status(&[
            "--state-dir",
            &before,
            "status",
            "--state-dir",
            &after,
            "--json"
        ])),
        after
    );
}

#[test]
fn keys_show_takes_json_and_prints_the_jwk_either_way() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().to_str().unwrap();
    let show = |json: bool| {
        let mut args = vec!["keys", "show", "--state-dir", state, "--key-store", "file"];
        if json {
            args.push("--json");
        }
        ok(&run(&args))
    };
    let (plain, json) = (show(false), show(true));
    assert_eq!(plain, json);
    let jwk: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(jwk["kty"], "EC");
    assert_eq!(jwk["crv"], "P-256");
    assert!(jwk["kid"].as_str().is_some_and(|k| !k.is_empty()), "{jwk}");
    assert!(jwk.get("d").is_none(), "a private key was printed");
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    let zsh = ok(&run(&["completions", "zsh"]));
    assert!(zsh.starts_with("#compdef posture-agent"), "{zsh}");
    assert!(zsh.contains("check-in"), "{zsh}");
    let fish = ok(&run(&["completions", "fish"]));
    assert!(fish.contains("complete -c posture-agent"), "{fish}");
    let bash = ok(&run(&["completions", "bash"]));
    assert!(bash.contains("check-in"));
    // The bash script loads and registers the completion.
    let mut shell = Command::new("bash")
        .args([
            "--norc",
            "-c",
            "source /dev/stdin && complete -p posture-agent",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        shell
            .stdin
            .take()
            .unwrap()
            .write_all(bash.as_bytes())
            .unwrap();
    }
    let out = shell.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("posture-agent"),
        "{out:?}"
    );
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn shipped_profiles_by_name_and_files_by_path() {
    let platform = |cwd: &Path, target: &str| {
        let out = bin()
            .current_dir(cwd)
            .args(["collect", "--json", "--target", target])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
        (
            v["platform"].as_str().unwrap().to_owned(),
            v["os"]["version"]["source"].as_str().unwrap().to_owned(),
        )
    };
    let dir = tempfile::tempdir().unwrap();
    for name in ["profile:ios-jailbroken", "profile:ios-jailbroken.toml"] {
        let (platform, source) = platform(dir.path(), name);
        assert_eq!(platform, "ios", "{name}");
        assert_eq!(source, "profile ios-jailbroken.toml", "{name}");
    }
    // A file of the same name is read, not the shipped profile.
    std::fs::write(
        dir.path().join("ios-jailbroken.toml"),
        "name = \"mine\"\nplatform = \"windows\"\nos_version = \"11\"\nexpected = \"warning\"\n",
    )
    .unwrap();
    assert_eq!(
        platform(dir.path(), "profile:ios-jailbroken.toml").0,
        "windows"
    );
    let out = bin()
        .current_dir(dir.path())
        .args(["collect", "--target", "profile:no-such-device"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-device"), "{err}");
    assert!(err.contains("android-rooted"), "the shipped names: {err}");
}

#[test]
fn a_refused_connection_names_the_port() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let server = format!("http://127.0.0.1:{port}");
    let out = run(&[
        "enrol",
        "--state-dir",
        dir.path().to_str().unwrap(),
        "--key-store",
        "file",
        "--server",
        &server,
        "--code",
        "ABCD-EFGH-IJKL",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
}
