use super::*;

fn args(server: &str) -> SimulateArgs {
    SimulateArgs {
        server: vec![server.into()],
        devices: 10,
        profiles: None,
        concurrency: Some(4),
        duration: 10,
        check_ins: None,
        admin_token: Some(crate::secret::Secret::from("t".repeat(20))),
        codes: None,
        work_dir: None,
        keep_state: false,
        allow_remote: false,
        no_outbox: false,
        json: false,
        ca: crate::cli::CaArg::default(),
    }
}

#[test]
fn loopback_targets_are_allowed() {
    for server in [
        "http://127.0.0.1:8443",
        "http://127.1.2.3",
        "https://localhost:8443/",
        "http://[::1]:9000",
        "https://user@LOCALHOST",
    ] {
        assert!(validate(&args(server)).is_ok(), "{server}");
    }
}

#[test]
fn non_loopback_targets_are_refused_without_the_flag() {
    for server in [
        "https://collector.example.org",
        "http://10.0.0.5:8443",
        "https://[2001:db8::1]:443",
        "https://127.0.0.1.example.org",
    ] {
        let err = validate(&args(server)).unwrap_err();
        assert!(err.contains("--allow-remote"), "{server}: {err}");
        let mut remote = args(server);
        remote.allow_remote = true;
        assert!(validate(&remote).is_ok(), "{server}");
    }
}

#[test]
fn urls_without_a_host_are_refused() {
    for server in ["127.0.0.1:8443", "ftp://127.0.0.1", "http://", "http://:80"] {
        assert!(validate(&args(server)).is_err(), "{server}");
    }
}

#[test]
fn counts_and_times_are_bounded() {
    let mut a = args("http://127.0.0.1:1");
    a.devices = MAX_DEVICES;
    assert!(validate(&a).is_ok());
    a.devices = MAX_DEVICES + 1;
    assert!(validate(&a).unwrap_err().contains("--devices"));
    a.devices = 0;
    assert!(validate(&a).is_err());

    let mut a = args("http://127.0.0.1:1");
    a.duration = MAX_DURATION_SECS;
    assert_eq!(
        validate(&a),
        Ok(Length::Duration(Duration::from_secs(MAX_DURATION_SECS)))
    );
    a.duration = MAX_DURATION_SECS + 1;
    assert!(validate(&a).unwrap_err().contains("--duration"));
    a.duration = 0;
    assert!(validate(&a).is_err());

    let mut a = args("http://127.0.0.1:1");
    a.check_ins = Some(3);
    a.duration = MAX_DURATION_SECS + 1; // ignored: the count bounds the run
    assert_eq!(validate(&a), Ok(Length::CheckIns(3)));
    a.check_ins = Some(0);
    assert!(validate(&a).is_err());

    let mut a = args("http://127.0.0.1:1");
    a.concurrency = Some(0);
    assert!(validate(&a).unwrap_err().contains("--concurrency"));
}

#[test]
fn codes_come_from_the_admin_token_or_a_file() {
    let mut a = args("http://127.0.0.1:1");
    a.admin_token = None;
    assert!(validate(&a).unwrap_err().contains("--codes"));
    a.codes = Some(PathBuf::from("codes.txt"));
    assert!(validate(&a).is_ok());
}

#[test]
fn codes_files_skip_blanks_and_comments() {
    let codes = admin::parse_codes("# issued today\nK7PM-3QXD-9WTR\n\n  H2VC-8NBL-4ZJF  \r\n");
    assert_eq!(codes, ["K7PM-3QXD-9WTR", "H2VC-8NBL-4ZJF"]);
}

#[test]
fn percentiles_use_the_nearest_rank() {
    use stats::percentile;
    assert_eq!(percentile(&[], 50.0), None);
    assert_eq!(percentile(&[7], 0.0), Some(7));
    assert_eq!(percentile(&[7], 99.0), Some(7));
    let v: Vec<u32> = (1..=100).collect();
    assert_eq!(percentile(&v, 50.0), Some(50));
    assert_eq!(percentile(&v, 95.0), Some(95));
    assert_eq!(percentile(&v, 99.0), Some(99));
    assert_eq!(percentile(&v, 100.0), Some(100));
    assert_eq!(percentile(&v, 0.0), Some(1));
    // With 10 values, p99 is the largest and p50 the fifth.
    let v: Vec<u32> = (1..=10).map(|x| x * 10).collect();
    assert_eq!(percentile(&v, 50.0), Some(50));
    assert_eq!(percentile(&v, 99.0), Some(100));
    assert_eq!(percentile(&v, 90.0), Some(90));
    assert_eq!(percentile(&v, 91.0), Some(100));
}

#[test]
fn recorders_merge_counts_and_keep_the_first_example() {
    let mut a = stats::Recorder::default();
    a.error("timeout".into(), || "first".into());
    a.time(Duration::from_millis(3));
    let mut b = stats::Recorder::default();
    b.error("timeout".into(), || "second".into());
    b.error("connect".into(), || "refused".into());
    b.ok = 2;
    b.time(Duration::from_millis(1));
    a.merge(b);
    assert_eq!(a.error_count(), 3);
    assert_eq!(a.errors["timeout"].count, 2);
    assert_eq!(a.errors["timeout"].example, "first");
    let phase = a.phase(Duration::from_secs(1));
    assert_eq!(phase.ok, 2);
    assert_eq!(phase.attempts, 2);
    assert_eq!(phase.latency_ms.p50, Some(1.0));
    assert_eq!(phase.latency_ms.max, Some(3.0));
}

#[test]
fn every_shipped_profile_is_embedded_and_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".toml"))
        .collect();
    on_disk.sort();
    let embedded: Vec<&str> = profiles::SHIPPED.iter().map(|(f, _)| *f).collect();
    assert_eq!(on_disk, embedded, "add new profiles to fleet/profiles.rs");
    let shipped = profiles::shipped().unwrap();
    let from_dir = profiles::from_dir(&dir).unwrap();
    assert_eq!(shipped.len(), from_dir.len());
    for (a, b) in shipped.iter().zip(&from_dir) {
        assert_eq!((&a.file, &a.profile), (&b.file, &b.profile));
    }
}

#[test]
fn the_default_concurrency_follows_the_cores() {
    let mut a = args("http://127.0.0.1:1");
    a.concurrency = None;
    assert!(validate(&a).is_ok());
    let c = concurrency(&a);
    assert!((4..=MAX_CONCURRENCY).contains(&c), "{c}");
    assert_eq!(c % 4, 0);
}
