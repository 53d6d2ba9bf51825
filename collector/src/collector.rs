//! [`Collector`]: the open store, the key cache and the settings;
//! everything the HTTP handlers share.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use agent_core::Platform;
use agent_core::protocol::{ComplianceAnswer, DeviceDetail, FleetSummary, IssuedCode, limits};
use agent_core::token::{Verifier, random_id};
use ring::digest::{SHA256, digest};
use time::OffsetDateTime;

use crate::attestation::KeyAttestation;
use crate::attestation::app_attest::AppAttestCheck;
use crate::codes::AddressLimiter;
use crate::config::CollectorConfig;
use crate::ear::Signer;
use crate::error::CollectorError;
use crate::failures::FailureCache;
use crate::keys::KeyCache;
use crate::metrics::Metrics;
use crate::relying_party::RelyingParties;
use crate::storage::{PgStore, SqliteStore, Store};
use crate::store;
use crate::writer::{IssueCmd, Settings};

/// Most codes one request may issue (protocol §8.1).
pub(crate) const MAX_CODES: u32 = 100;
/// Longest code lifetime (protocol §8.1): 30 days.
pub(crate) const MAX_CODE_TTL_SECS: u64 = 30 * 24 * 3600;

/// A running collector's state. Cheap to clone; clones share everything.
#[derive(Debug, Clone)]
pub struct Collector {
    pub(crate) inner: Arc<Inner>,
}

/// Shared state.
#[derive(Debug)]
pub(crate) struct Inner {
    /// The database (SQLite or PostgreSQL).
    pub store: Store,
    /// The event outputs; after the store's writer, so they drain what it published.
    pub events: Option<Arc<crate::events::Outputs>>,
    /// The webhook delivery thread, when endpoints are configured.
    pub webhooks: Option<crate::events::WebhookQueue>,
    pub keys: Arc<KeyCache>,
    /// Since when each rule has failed each device, from stored reports.
    pub failures: Arc<FailureCache>,
    pub settings: Arc<Settings>,
    pub verifier: Verifier,
    pub limiter: AddressLimiter,
    /// Failed console log-ins, by peer address.
    pub login_limiter: AddressLimiter,
    pub attestation: KeyAttestation,
    pub app_attest: AppAttestCheck,
    /// Signs attestation results; its public key is the JWK set.
    pub signer: Arc<Signer>,
    pub code_ttl_secs: u64,
    /// What `GET /metrics` reports.
    pub metrics: Metrics,
    /// Who may use the relying-party API.
    pub relying_parties: RelyingParties,
    /// Gateway device ids linked to device ids, re-read on each use.
    pub gateway_links: Option<PathBuf>,
    /// How often the grace deadline timer scans.
    pub grace_deadline_scan_interval: Duration,
    admin_token: String,
    admin_token_generated: bool,
    admin_token_sha256: Vec<u8>,
}

impl Collector {
    /// Opens (or creates) the database and starts the writer thread.
    pub fn open(config: CollectorConfig) -> Result<Collector, CollectorError> {
        let nonce_lifetime = config.nonce_lifetime.as_secs();
        if nonce_lifetime == 0 || nonce_lifetime > limits::MAX_NONCE_LIFETIME_SECS {
            return Err(CollectorError::Config(format!(
                "the nonce lifetime must be 1 s to {} s",
                limits::MAX_NONCE_LIFETIME_SECS
            )));
        }
        if config.checkin_interval_secs < 60 {
            return Err(CollectorError::Config(
                "the check-in interval must be at least 60 s".into(),
            ));
        }
        if config.grace_deadline_scan_interval < Duration::from_secs(1) {
            return Err(CollectorError::Config(
                "the grace deadline scan interval must be at least 1 s".into(),
            ));
        }
        let code_ttl_secs = config.code_ttl.as_secs();
        if !(60..=MAX_CODE_TTL_SECS).contains(&code_ttl_secs) {
            return Err(CollectorError::Config(format!(
                "an enrolment code lives 60 s to {MAX_CODE_TTL_SECS} s"
            )));
        }
        let app_attest = AppAttestCheck::new(
            config.attestation.app_attest.clone(),
            config.attestation.required_for.contains(&Platform::Ios),
        )?;
        let attestation = KeyAttestation::new(config.attestation)?;
        let (admin_token, admin_token_generated) = match config.admin_token {
            Some(token) if token.len() >= 16 => (token, false),
            Some(_) => {
                return Err(CollectorError::Config(
                    "the admin token must be at least 16 characters".into(),
                ));
            }
            None => (random_id(24).map_err(|_| CollectorError::Random)?, true),
        };
        let settings = Arc::new(Settings {
            policy: config.policy,
            checkin_interval_secs: i64::try_from(config.checkin_interval_secs)
                .map_err(|_| CollectorError::Config("check-in interval too large".into()))?,
            nonce_lifetime_secs: i64::try_from(nonce_lifetime).unwrap_or(86_400),
            failures_per_code: i64::from(config.enrol_failures_per_code),
            app_attest: app_attest.verifier().cloned(),
            min_assurance: config.min_assurance,
            reattest_after_secs: i64::try_from(config.reattest_after.as_secs())
                .map_err(|_| CollectorError::Config("re-attestation interval too large".into()))?,
        });
        let keys = Arc::new(KeyCache::default());
        let signing_key = config.signing_key.as_deref();
        let failures = Arc::new(FailureCache::default());
        let events = crate::events::Outputs::start(&config.events)
            .map_err(|e| CollectorError::Config(e.to_string()))?
            .map(Arc::new);
        let metrics = Metrics::default();
        let (store, signer, webhooks) = match &config.postgres {
            Some(url) => {
                let (s, signer, webhooks) = PgStore::open(
                    url,
                    signing_key,
                    settings.clone(),
                    keys.clone(),
                    crate::events::EventSetup {
                        outputs: events.clone(),
                        config: &config.events,
                        counters: metrics.webhooks(),
                    },
                )?;
                (Store::Postgres(s), signer, webhooks)
            }
            None => {
                let (s, signer, webhooks) = SqliteStore::open(
                    config.db_path,
                    signing_key,
                    settings.clone(),
                    keys.clone(),
                    failures.clone(),
                    crate::events::EventSetup {
                        outputs: events.clone(),
                        config: &config.events,
                        counters: metrics.webhooks(),
                    },
                )?;
                (Store::Sqlite(s), signer, webhooks)
            }
        };
        let signer = Arc::new(signer);
        Ok(Collector {
            inner: Arc::new(Inner {
                store,
                events,
                webhooks,
                keys,
                failures,
                settings,
                verifier: Verifier::default(),
                limiter: AddressLimiter::new(
                    config.enrol_failures_per_address,
                    config.enrol_failure_window,
                ),
                login_limiter: crate::console::login_limiter(),
                attestation,
                app_attest,
                signer,
                code_ttl_secs,
                metrics,
                relying_parties: config.relying_parties,
                gateway_links: config.gateway_links,
                grace_deadline_scan_interval: config.grace_deadline_scan_interval,
                admin_token_sha256: digest(&SHA256, admin_token.as_bytes()).as_ref().to_vec(),
                admin_token,
                admin_token_generated,
            }),
        })
    }

    /// Issues `count` one-time enrolment codes (1 to 100), each valid for
    /// `ttl` (the configured default when `None`). Blocking: from async
    /// code, call it inside `spawn_blocking`.
    pub fn issue_codes(
        &self,
        count: u32,
        ttl: Option<Duration>,
    ) -> Result<Vec<IssuedCode>, CollectorError> {
        let ttl_secs = ttl.map_or(self.inner.code_ttl_secs, |t| t.as_secs());
        if !(1..=MAX_CODES).contains(&count) || !(60..=MAX_CODE_TTL_SECS).contains(&ttl_secs) {
            return Err(CollectorError::Config(format!(
                "issue 1 to {MAX_CODES} codes living 60 s to {MAX_CODE_TTL_SECS} s"
            )));
        }
        let cmd = IssueCmd {
            count,
            ttl_secs,
            label: None,
            now: now(),
        };
        match &self.inner.store {
            Store::Sqlite(s) => s.issue_codes_blocking(cmd),
            Store::Postgres(p) => p.issue_codes_blocking(cmd),
        }
        .map_err(|e| CollectorError::Config(e.problem.to_string()))
    }

    /// The fleet summary; `stale_after_secs` defaults to three check-in
    /// intervals (protocol §8.2).
    pub fn fleet_summary(
        &self,
        stale_after_secs: Option<u64>,
    ) -> Result<FleetSummary, CollectorError> {
        self.fleet_summary_at(stale_after_secs, now())
    }

    /// [`Collector::fleet_summary`] as it stands at `now`.
    pub fn fleet_summary_at(
        &self,
        stale_after_secs: Option<u64>,
        now: OffsetDateTime,
    ) -> Result<FleetSummary, CollectorError> {
        let stale = stale_after_secs.unwrap_or_else(|| self.default_stale_after());
        match &self.inner.store {
            Store::Sqlite(s) => s.read_blocking(|c| store::fleet_summary(c, now, stale)),
            Store::Postgres(p) => p.block_on(p.fleet_summary(now, stale))?,
        }
    }

    /// One enrolled device: its fleet row, latest verdict and history
    /// (protocol §8.4); `None` when no enrolled device has this id.
    pub fn device_detail(
        &self,
        device_id: &str,
        stale_after_secs: Option<u64>,
    ) -> Result<Option<DeviceDetail>, CollectorError> {
        self.device_detail_at(device_id, stale_after_secs, now())
    }

    /// [`Collector::device_detail`] as it stands at `now`: stale, and a
    /// warning whose grace deadline day has begun non-compliant, by then.
    pub fn device_detail_at(
        &self,
        device_id: &str,
        stale_after_secs: Option<u64>,
        now: OffsetDateTime,
    ) -> Result<Option<DeviceDetail>, CollectorError> {
        let stale = stale_after_secs.unwrap_or_else(|| self.default_stale_after());
        match &self.inner.store {
            Store::Sqlite(s) => s.read_blocking(|c| store::device_detail(c, device_id, now, stale)),
            Store::Postgres(p) => p.block_on(p.device_detail(device_id.to_owned(), now, stale))?,
        }
    }

    /// The relying-party answer for the enrolled device `device_id` as it
    /// stands at `now` (protocol §11.1); `None` when no enrolled device
    /// has it. Blocking.
    pub fn compliance_answer_at(
        &self,
        device_id: &str,
        stale_after_secs: Option<u64>,
        now: OffsetDateTime,
    ) -> Result<Option<ComplianceAnswer>, CollectorError> {
        let stale = stale_after_secs.unwrap_or_else(|| self.default_stale_after());
        crate::relying_party::answer_by_id(self, device_id, stale, now)
    }

    /// The JWK set of the key that signs attestation results (protocol §5.3.2).
    pub fn jwks(&self) -> serde_json::Value {
        self.inner.signer.jwks()
    }

    /// How many reports are stored (each accepted `jti` once).
    pub fn report_count(&self) -> Result<u64, CollectorError> {
        match &self.inner.store {
            Store::Sqlite(s) => s.read_blocking(store::report_count),
            Store::Postgres(p) => p.block_on(p.report_count())?,
        }
    }

    /// How many devices are enrolled.
    pub fn device_count(&self) -> Result<u64, CollectorError> {
        match &self.inner.store {
            Store::Sqlite(s) => s.read_blocking(store::device_count),
            Store::Postgres(p) => p.block_on(p.device_count())?,
        }
    }

    /// Fetches the attestation status list now, when it comes from a URL,
    /// and returns its number of entries and when the next refresh is due.
    /// Blocking. On failure the last good copy stays in use. Refreshes
    /// also happen on their own.
    pub fn refresh_attestation_status(
        &self,
    ) -> Result<crate::attestation::StatusRefresh, CollectorError> {
        self.inner
            .attestation
            .refresh_status()
            .map_err(CollectorError::Config)
    }

    /// Looks for `warn-then-block` grace deadlines passed at `now` with no
    /// report since the warning, and emits one event (OCSF 2003, to the
    /// outputs and webhooks) for each (device, rule, failure start) not
    /// announced before; returns how many it emitted. Without outputs or
    /// webhooks nothing is looked at. The timer of
    /// [`Collector::start_grace_deadline_scans`] calls it; tests drive it
    /// with the `now` they want. Blocking.
    pub fn scan_grace_deadlines(&self, now: OffsetDateTime) -> Result<usize, CollectorError> {
        if !self.publishes_events() {
            return Ok(0);
        }
        match &self.inner.store {
            Store::Sqlite(s) => s
                .scan_grace_deadlines_blocking(now)
                .map_err(|e| CollectorError::Config(e.problem.to_string())),
            Store::Postgres(p) => p.scan_grace_deadlines_blocking(now),
        }
    }

    /// Starts the grace deadline timer on the current tokio runtime: a
    /// scan ([`Collector::scan_grace_deadlines`]) every
    /// `grace_deadline_scan_interval`. `None` when the collector publishes
    /// no events (nothing to announce). Abort the task to stop it.
    pub fn start_grace_deadline_scans(&self) -> Option<tokio::task::JoinHandle<()>> {
        if !self.publishes_events() {
            return None;
        }
        let every = self.inner.grace_deadline_scan_interval;
        let collector = self.clone();
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let c = collector.clone();
                match tokio::task::spawn_blocking(move || c.scan_grace_deadlines(now())).await {
                    Ok(Ok(0)) => {}
                    Ok(Ok(n)) => tracing::info!("grace deadlines passed: {n} event(s) emitted"),
                    Ok(Err(e)) => tracing::error!("grace deadline scan: {e}"),
                    Err(e) => tracing::error!("grace deadline scan stopped: {e}"),
                }
            }
        }))
    }

    fn publishes_events(&self) -> bool {
        self.inner.events.is_some() || self.inner.webhooks.is_some()
    }

    /// What each event output delivered, dropped and gave up so far
    /// (empty without outputs).
    pub fn event_stats(&self) -> Vec<crate::events::OutputStats> {
        self.inner
            .events
            .as_ref()
            .map(|o| o.stats())
            .unwrap_or_default()
    }

    /// Each webhook endpoint's deliveries: made, waiting, given up, and the
    /// latest error.
    /// Every configured endpoint is listed (with zeros before its first
    /// event), then any endpoint no longer configured whose rows remain.
    pub fn webhook_status(&self) -> Result<Vec<crate::events::WebhookStatus>, CollectorError> {
        let mut rows = match &self.inner.store {
            Store::Sqlite(s) => {
                crate::events::webhook_store::status(&store::open_reader(s.path())?)?
            }
            Store::Postgres(p) => p.webhook_status_blocking()?,
        };
        let shown = self
            .inner
            .webhooks
            .as_ref()
            .map(|w| w.shown.clone())
            .unwrap_or_default();
        let mut out = Vec::with_capacity(shown.len() + rows.len());
        for (id, url) in shown {
            let mut s = match rows.iter().position(|r| r.endpoint_id == id) {
                Some(i) => rows.remove(i),
                None => crate::events::WebhookStatus {
                    endpoint_id: id,
                    url: None,
                    delivered: 0,
                    pending: 0,
                    failed: 0,
                    last_error: None,
                },
            };
            s.url = Some(url);
            out.push(s);
        }
        out.extend(rows);
        Ok(out)
    }

    /// The admin bearer token.
    pub fn admin_token(&self) -> &str {
        &self.inner.admin_token
    }

    /// Whether the admin token was generated (so it should be shown once).
    pub fn admin_token_generated(&self) -> bool {
        self.inner.admin_token_generated
    }

    /// The SQLite database file; `None` on PostgreSQL.
    pub fn db_path(&self) -> Option<&Path> {
        match &self.inner.store {
            Store::Sqlite(s) => Some(s.path()),
            Store::Postgres(_) => None,
        }
    }

    /// The database, to show: `sqlite:PATH` or the PostgreSQL URL with
    /// its password hidden.
    pub fn database(&self) -> String {
        match &self.inner.store {
            Store::Sqlite(s) => format!("sqlite:{}", s.path().display()),
            Store::Postgres(p) => p.url().to_string(),
        }
    }

    /// The protocol v1 routes, to serve with [`crate::serve`] or embed.
    pub fn router(&self) -> axum::Router {
        crate::handlers::router(self.clone())
    }

    pub(crate) fn default_stale_after(&self) -> u64 {
        u64::try_from(self.inner.settings.checkin_interval_secs)
            .unwrap_or(0)
            .saturating_mul(3)
    }

    /// Whether `token` is the admin token, compared in constant time (on
    /// SHA-256 digests, so the length does not leak either).
    pub(crate) fn is_admin(&self, token: &str) -> bool {
        let given = digest(&SHA256, token.as_bytes());
        let diff = given
            .as_ref()
            .iter()
            .zip(&self.inner.admin_token_sha256)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        diff == 0
    }
}

/// Now, to the second: the protocol's timestamps have no fractions, and an
/// acknowledgement must match what the export later shows.
pub(crate) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}
