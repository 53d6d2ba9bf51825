//! `posture-agent serve`: the reference collector (protocol v1) with its
//! database, optional TLS, and one-time enrolment codes printed at start.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use agent_core::{Platform, Policy};
use clap::Args;
use posture_collector::{
    AppAttestConfig, AttestationConfig, AttestationPolicy, Collector, CollectorConfig, Database,
    EventOutput, EventsConfig, GatewayLinks, RelyingParties, StatusUrl, TlsConfig, WebhookEndpoint,
    WebhookSecret, app_attest_roots_from_pem_file, roots_from_pem_file, serve,
};

use crate::agent_cmd::state_dir;
use crate::commands::{CliError, load_policy};
use crate::{EXIT_ERROR, EXIT_OK};

/// Arguments of `serve`.
#[derive(Debug, Args)]
#[command(after_help = "\
Plain HTTP is served only on loopback. To listen on another address, give
TLS (--tls-cert and --tls-key) and --allow-remote. --dev-self-signed makes a
throwaway CA for local testing; the agent must then be given DIR/ca.pem.
An Android enrolment's key attestation chain, when sent, is verified
against Google's roots (or --attestation-roots) and the status list given;
--require-key-attestation android refuses Android enrolments without one.
With --app-attest-app-id, an iOS enrolment's Apple App Attest object is
verified for that app against Apple's App Attestation root (or
--app-attest-root), and each report's assertion after it;
--require-key-attestation ios refuses iOS enrolments without a valid one.
--metrics-listen ADDR also serves /healthz, /readyz and /metrics without
the admin token, plain HTTP, on loopback unless --allow-remote is given.
One collector per SQLite file: a second one on it stops at once (it holds
DB.lock). On PostgreSQL (--db postgres://... or POSTURE_COLLECTOR_DB) any
number of collectors share one database; migrations run at start. Folders it creates are 0700, the database files 0600 and
DIR/ca.pem 0644, whatever the umask. Stops cleanly on Ctrl-C or SIGTERM
(exit 0).")]
pub struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// Allow a non-loopback --listen address (TLS is still required), and a
    /// non-loopback --metrics-listen address.
    #[arg(long)]
    pub allow_remote: bool,
    /// Also serve /healthz, /readyz and /metrics on this address, plain
    /// HTTP and without the admin token (which /metrics needs on --listen).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
    /// The database: sqlite:PATH, a file (SQLite), or postgres://USER:PASSWORD@HOST/DB
    /// (loopback, sslmode=disable); default: collector.sqlite3 in the state
    /// directory. Give a URL with a password in the environment, not here.
    #[arg(
        long,
        value_name = "URL|FILE",
        env = "POSTURE_COLLECTOR_DB",
        hide_env_values = true
    )]
    pub db: Option<String>,
    /// Policy file (.toml or .json) for every device; the built-in default when absent.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// TLS certificate chain, PEM, leaf first.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key, PEM.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a new local CA and a localhost certificate; writes DIR/ca.pem.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["tls_cert", "tls_key"])]
    pub dev_self_signed: Option<PathBuf>,
    /// Issue this many one-time enrolment codes at start and print them.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub issue_codes: u32,
    /// The admin bearer token (at least 16 characters); a random one is printed when absent.
    #[arg(long, value_name = "TOKEN", env = "POSTURE_COLLECTOR_ADMIN_TOKEN")]
    pub admin_token: Option<crate::secret::Secret>,
    /// Failed enrolments allowed from one client address in 10 minutes,
    /// before it gets 429 rate-limited. Behind a load balancer or NAT many
    /// devices share one address: raise it there.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub enrol_failures_per_address: u32,
    /// How often devices should check in, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 6 * 3600)]
    pub checkin_interval: u64,
    /// The folder of the default database (collector.sqlite3)
    /// [env: POSTURE_AGENT_STATE_DIR] [default: the XDG data folder].
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Trust these roots (PEM certificates) for key attestation instead of Google's.
    #[arg(long, value_name = "FILE")]
    pub attestation_roots: Option<PathBuf>,
    /// Google's attestation status list to refuse revoked chains: a JSON file (re-read when it
    /// changes) or an https:// URL (refreshed as its Cache-Control says).
    #[arg(long, value_name = "FILE|URL")]
    pub attestation_status: Option<String>,
    /// With an https:// --attestation-status: a status list file to start from when the first fetch fails.
    #[arg(long, value_name = "FILE")]
    pub attestation_status_fallback: Option<PathBuf>,
    /// With an https:// --attestation-status: an extra CA (PEM) to trust for it (a private mirror).
    #[arg(long, value_name = "FILE")]
    pub attestation_status_ca: Option<PathBuf>,
    /// The attestation policy (JSON, docs/attestation-policy.md): security level, locked
    /// bootloader, allowed apps and verified-boot keys.
    #[arg(long, value_name = "FILE")]
    pub attestation_policy: Option<PathBuf>,
    /// Refuse enrolments of PLATFORM without valid hardware evidence: an Android key attestation
    /// chain, or (ios, needs --app-attest-app-id) an Apple App Attest object. Repeatable.
    #[arg(long, value_name = "PLATFORM", value_enum)]
    pub require_key_attestation: Vec<AttestedPlatform>,
    /// Verify Apple App Attest for this app: TEAMID.BUNDLEID (10-character team ID, a dot, the
    /// bundle ID), as App Attest hashes it into every object and assertion.
    #[arg(long, value_name = "TEAMID.BUNDLEID")]
    pub app_attest_app_id: Option<String>,
    /// Trust these roots (PEM certificates) for App Attest instead of Apple's App Attestation root.
    #[arg(long, value_name = "FILE", requires = "app_attest_app_id")]
    pub app_attest_root: Option<PathBuf>,
    /// Accept App Attest keys from Apple's development environment (development-signed builds).
    #[arg(long, requires = "app_attest_app_id")]
    pub allow_app_attest_development: bool,
    /// Accept chains from Android's software keystore (emulators), labelled software-attestation.
    #[arg(long)]
    pub allow_software_attestation: bool,
    /// The weakest assurance level a compliant verdict may rest on:
    /// none, self-reported, os or hardware; below it the verdict is non-compliant.
    #[arg(long, value_name = "LEVEL", default_value = "none")]
    pub min_assurance: agent_core::protocol::AssuranceLevel,
    /// The key (PEM PKCS#8, 0600) that signs attestation results; made there
    /// if missing [default: a key kept in the database].
    #[arg(long, value_name = "FILE")]
    pub signing_key: Option<PathBuf>,
    /// Ask an Android device for a fresh key attestation once its attestation
    /// pin is this old, in seconds (0: in every answer) [default: 7 days].
    #[arg(long, value_name = "SECS", default_value_t = 7 * 24 * 3600)]
    pub reattest_after: u64,
    /// Send security events (OCSF JSON) to OUTPUT: stdout, jsonl:PATH, syslog+tcp://HOST:PORT,
    /// syslog+tls://HOST:PORT or splunk-hec://HOST:PORT (token from POSTURE_COLLECTOR_HEC_TOKEN).
    /// Repeatable.
    #[arg(long = "events", value_name = "OUTPUT")]
    pub events: Vec<String>,
    /// An extra CA (PEM) to trust for syslog+tls and splunk-hec outputs.
    #[arg(long, value_name = "FILE")]
    pub events_ca: Option<PathBuf>,
    /// Rotate a jsonl: events file when it would pass this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = posture_collector::EventsConfig::default().rotate_bytes)]
    pub events_rotate_bytes: u64,
    /// Rotated jsonl: events files to keep (PATH.1 newest .. PATH.N oldest).
    #[arg(long, value_name = "N", default_value_t = posture_collector::EventsConfig::default().keep_files)]
    pub events_keep: u32,
    /// POST every event, signed (Standard Webhooks), to URL from a durable queue; the secret
    /// (whsec_...) comes from POSTURE_COLLECTOR_WEBHOOK_SECRET. NAME=URL names the endpoint, so
    /// deliveries still queued follow it when its URL changes. Repeatable.
    #[arg(long = "webhook", value_name = "[NAME=]URL")]
    pub webhooks: Vec<String>,
    /// How long a webhook delivery is retried (once an hour at most, after doubling waits from
    /// 5 s) before it is given up, in hours.
    #[arg(long, value_name = "HOURS", default_value_t = posture_collector::DEFAULT_WEBHOOK_RETRY_FOR.as_secs() / 3600)]
    pub webhook_retry_hours: u64,
    /// How often to look for warn-then-block grace deadlines that passed without a report, in
    /// seconds; each is announced once, as an event and a webhook.
    #[arg(long, value_name = "SECS", default_value_t = posture_collector::GRACE_DEADLINE_SCAN_INTERVAL.as_secs())]
    pub deadline_scan_interval: u64,
    /// The relying parties (JSON: names, scopes, token SHA-256s) that may use
    /// the relying-party API; `gateway token` makes entries.
    #[arg(long, value_name = "FILE")]
    pub relying_parties: Option<PathBuf>,
    /// Gateway device ids linked to device ids (JSON), re-read on each use;
    /// Cloudflare Access's posture check reads its `cloudflare` section.
    #[arg(long, value_name = "FILE")]
    pub gateway_links: Option<PathBuf>,
}

/// Platforms whose key attestation the collector verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AttestedPlatform {
    /// Android Key Attestation.
    Android,
    /// Apple App Attest.
    Ios,
}

/// Runs the collector until Ctrl-C or SIGTERM.
pub fn serve_command(args: &ServeArgs, state: &Option<PathBuf>) -> Result<u8, CliError> {
    let remote = !args.listen.ip().is_loopback();
    let tls_given = args.tls_cert.is_some() || args.dev_self_signed.is_some();
    if remote && !args.allow_remote {
        return Err(CliError::Usage(format!(
            "{} is not a loopback address; pass --allow-remote (with TLS) to serve the network",
            args.listen
        )));
    }
    if remote && !tls_given {
        return Err(CliError::Usage(
            "plain HTTP is served only on loopback; give --tls-cert and --tls-key".into(),
        ));
    }
    if let Some(addr) = args.metrics_listen
        && !addr.ip().is_loopback()
        && !args.allow_remote
    {
        return Err(CliError::Usage(format!(
            "--metrics-listen {addr} is not a loopback address; it has no authentication, so pass \
             --allow-remote only if just your monitoring can reach it"
        )));
    }
    let policy = match &args.policy {
        Some(path) => load_policy(path)?,
        None => Policy::default_policy(),
    };
    let (db_path, postgres) = match args.db.as_deref().map(Database::parse).transpose() {
        Ok(Some(Database::Sqlite(path))) => (path, None),
        Ok(Some(Database::Postgres(url))) => (PathBuf::new(), Some(url)),
        Ok(None) => (state_dir(state)?.join("collector.sqlite3"), None),
        Err(e) => return Err(CliError::Usage(format!("--db: {e}"))),
    };
    // The collector creates missing folders itself, private (0700).
    // Read here, bounded, like every file named on the command line.
    let tls_pem = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let read = |path: &PathBuf, what| {
                crate::files::read_bytes(path, crate::files::MAX_PEM_BYTES, what)
                    .map_err(CliError::File)
            };
            Some((
                read(cert, "a certificate chain")?,
                read(key, "a private key")?,
            ))
        }
        _ => None,
    };
    let events = events_config(args)?;
    let relying_parties = match &args.relying_parties {
        Some(path) => {
            RelyingParties::from_file(path).map_err(|e| CliError::Usage(e.to_string()))?
        }
        None => RelyingParties::default(),
    };
    if let Some(path) = &args.gateway_links {
        // Checked now so a typo fails at start, not at the first request.
        GatewayLinks::from_file(path).map_err(|e| CliError::Usage(e.to_string()))?;
    }
    match attestation_config(args).and_then(|attestation| {
        let config = CollectorConfig {
            relying_parties,
            gateway_links: args.gateway_links.clone(),
            db_path: postgres.is_none().then_some(db_path),
            postgres,
            policy,
            checkin_interval_secs: args.checkin_interval,
            admin_token: args.admin_token.as_ref().map(|t| t.expose().to_owned()),
            attestation,
            min_assurance: args.min_assurance,
            signing_key: args.signing_key.clone(),
            reattest_after: std::time::Duration::from_secs(args.reattest_after),
            enrol_failures_per_address: args.enrol_failures_per_address,
            events,
            grace_deadline_scan_interval: std::time::Duration::from_secs(
                args.deadline_scan_interval,
            ),
            ..CollectorConfig::default()
        };
        run(args, config, tls_pem)
    }) {
        Ok(()) => Ok(EXIT_OK),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(EXIT_ERROR)
        }
    }
}

/// The event outputs; the HEC token comes from the environment only, so it
/// never shows in a process list or a shell history.
fn events_config(args: &ServeArgs) -> Result<EventsConfig, CliError> {
    let token = std::env::var("POSTURE_COLLECTOR_HEC_TOKEN").ok();
    let outputs = args
        .events
        .iter()
        .map(|spec| EventOutput::parse(spec, token.as_deref()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let ca_pem = args
        .events_ca
        .as_ref()
        .map(|p| {
            crate::files::read_bytes(p, crate::files::MAX_PEM_BYTES, "a CA certificate")
                .map_err(CliError::File)
        })
        .transpose()?;
    let webhooks = if args.webhooks.is_empty() {
        Vec::new()
    } else {
        let secret = std::env::var("POSTURE_COLLECTOR_WEBHOOK_SECRET").map_err(|_| {
            CliError::Usage(
                "--webhook needs its signing secret (whsec_...) in POSTURE_COLLECTOR_WEBHOOK_SECRET"
                    .into(),
            )
        })?;
        let secret = WebhookSecret::parse(&secret).map_err(|e| CliError::Usage(e.to_string()))?;
        let endpoints = args
            .webhooks
            .iter()
            .map(|spec| {
                let (name, url) = split_webhook(spec);
                let shown = url.split('?').next().unwrap_or_default();
                if let Some(name) = name {
                    WebhookEndpoint::check_name(name)
                        .map_err(|e| CliError::Usage(format!("--webhook: {e}")))?;
                }
                agent_core::transport::check_url(url)
                    .map_err(|e| CliError::Usage(format!("--webhook {shown}: {e}")))?;
                Ok(WebhookEndpoint {
                    url: url.to_owned(),
                    secret: secret.clone(),
                    name: name.map(str::to_owned),
                })
            })
            .collect::<Result<Vec<_>, CliError>>()?;
        let mut ids: Vec<String> = endpoints.iter().map(WebhookEndpoint::id).collect();
        ids.sort();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return Err(CliError::Usage(
                "--webhook: two endpoints have the same name or URL".into(),
            ));
        }
        endpoints
    };
    if args.webhook_retry_hours == 0 {
        return Err(CliError::Usage(
            "--webhook-retry-hours must be at least 1".into(),
        ));
    }
    Ok(EventsConfig {
        outputs,
        webhooks,
        webhook_retry_for: std::time::Duration::from_secs(
            args.webhook_retry_hours.saturating_mul(3600),
        ),
        ca_pem,
        rotate_bytes: args.events_rotate_bytes,
        keep_files: args.events_keep,
        ..EventsConfig::default()
    })
}

/// `NAME=URL` or `URL`: a name is what comes before the first `=` when
/// that holds no `:` or `/` (a URL's `=` is in its query, after both).
fn split_webhook(spec: &str) -> (Option<&str>, &str) {
    match spec.split_once('=') {
        Some((name, url)) if !name.contains([':', '/']) => (Some(name), url),
        _ => (None, spec),
    }
}

fn attestation_config(
    args: &ServeArgs,
) -> Result<AttestationConfig, posture_collector::CollectorError> {
    let status = args.attestation_status.as_deref();
    let is_url = status.is_some_and(|s| s.contains("://"));
    let status_url = match status {
        Some(url) if is_url => Some(StatusUrl {
            url: url.to_owned(),
            extra_ca_pem: args
                .attestation_status_ca
                .as_deref()
                .map(|p| {
                    std::fs::read(p).map_err(|e| posture_collector::CollectorError::Io {
                        what: format!("read the status list CA {}", p.display()),
                        source: e,
                    })
                })
                .transpose()?,
        }),
        _ => None,
    };
    let status_file = if is_url {
        args.attestation_status_fallback.clone()
    } else {
        status.map(PathBuf::from)
    };
    let mut config = AttestationConfig {
        roots: args
            .attestation_roots
            .as_deref()
            .map(roots_from_pem_file)
            .transpose()?,
        status_file,
        status_url,
        required_for: args
            .require_key_attestation
            .iter()
            .map(|p| match p {
                AttestedPlatform::Android => Platform::Android,
                AttestedPlatform::Ios => Platform::Ios,
            })
            .collect(),
        allow_software: args.allow_software_attestation,
        app_attest: app_attest_config(args)?,
        ..AttestationConfig::default()
    };
    if let Some(path) = &args.attestation_policy {
        AttestationPolicy::from_file(path)?.apply_to(&mut config);
    }
    Ok(config)
}

/// The App Attest settings, when an App ID is given.
fn app_attest_config(
    args: &ServeArgs,
) -> Result<Option<AppAttestConfig>, posture_collector::CollectorError> {
    let Some(app_id) = &args.app_attest_app_id else {
        return Ok(None);
    };
    let mut config = AppAttestConfig::apple(app_id)?;
    if let Some(path) = &args.app_attest_root {
        config.roots = app_attest_roots_from_pem_file(path)?;
    }
    config.allow_development = args.allow_app_attest_development;
    Ok(Some(config))
}

fn run(
    args: &ServeArgs,
    config: CollectorConfig,
    tls_pem: Option<(Vec<u8>, Vec<u8>)>,
) -> Result<(), posture_collector::CollectorError> {
    let parties = config.relying_parties.len();
    let collector = Collector::open(config)?;
    let tls = match (tls_pem, &args.dev_self_signed) {
        (Some((cert, key)), _) => Some((TlsConfig::from_pem(&cert, &key)?, None)),
        (None, Some(dir)) => {
            let (tls, dev) = TlsConfig::dev_self_signed(Some(dir))?;
            Some((tls, dev.ca_path))
        }
        _ => None,
    };
    let codes = if args.issue_codes > 0 {
        collector.issue_codes(args.issue_codes, None)?
    } else {
        Vec::new()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| posture_collector::CollectorError::Config(format!("runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| {
                posture_collector::CollectorError::Config(format!("listen on {}: {e}", args.listen))
            })?;
        let addr = listener.local_addr().unwrap_or(args.listen);
        let ops_listener = match args.metrics_listen {
            Some(at) => Some(tokio::net::TcpListener::bind(at).await.map_err(|e| {
                posture_collector::CollectorError::Config(format!("listen on {at}: {e}"))
            })?),
            None => None,
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "collector listening on {scheme}://{addr}");
        if let Some(ops) = &ops_listener {
            let at = ops.local_addr().unwrap_or(addr);
            let _ = writeln!(out, "metrics and health on http://{at} (no token)");
        }
        let _ = writeln!(out, "database: {}", collector.database());
        if parties > 0 {
            let _ = writeln!(out, "relying parties: {parties}");
        }
        let _ = writeln!(
            out,
            "web console: {scheme}://{addr}{}/ (log in with the admin token)",
            posture_collector::CONSOLE_PATH
        );
        if collector.admin_token_generated() {
            let _ = writeln!(out, "admin token: {}", collector.admin_token());
        }
        if let Some((_, Some(ca))) = &tls {
            let _ = writeln!(
                out,
                "dev CA (local testing only; give it to the agent): {}",
                ca.display()
            );
        }
        for code in &codes {
            let _ = writeln!(
                out,
                "enrolment code: {} (expires {})",
                code.code.expose(),
                crate::render::timestamp(code.expires_at)
            );
        }
        let _ = out.flush();
        drop(out);
        // One signal stops both listeners.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        });
        let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let ops = ops_listener.map(|ops| {
            tokio::spawn(serve(
                collector.ops_router(),
                ops,
                None,
                until_stopped(stopped.clone()),
            ))
        });
        let scans = collector.start_grace_deadline_scans();
        let served = serve(
            collector.router(),
            listener,
            tls.map(|(t, _)| t),
            until_stopped(stopped),
        )
        .await;
        if let Some(scans) = scans {
            scans.abort();
        }
        if let Some(ops) = ops {
            match ops.await {
                Ok(Err(e)) => tracing::warn!("metrics listener: {e}"),
                Err(e) => tracing::warn!("metrics listener: {e}"),
                Ok(Ok(())) => {}
            }
        }
        served
    })?;
    // Dropping the runtime drops the last handles on the collector, whose
    // writer thread then finishes its batch and is joined.
    drop(runtime);
    Ok(())
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    eprintln!("stopping: finishing open requests");
}
