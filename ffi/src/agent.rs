//! `PostureAgent`: the object an app holds, wrapping agent-core's `Agent`.
//!
//! Built from a storage directory and the host's optional foreign parts;
//! each method converts its arguments, calls agent-core and converts the
//! result back. The protocol operations (enrol, check-in, flush, status,
//! preview, unenrol) are `async` (Kotlin `suspend`, Swift `async`, Python
//! `asyncio`): the core's API blocks on the network, so each runs on
//! tokio's blocking pool through `spawn_blocking` and the caller's thread
//! (an Android main thread, an asyncio loop) is never blocked. The core
//! serialises its operations, so concurrent calls queue behind each other.

use std::path::PathBuf;
use std::sync::Arc;

use agent_core::agent::{Agent, AgentConfig, FlushOutcome, KeySource, UnenrolOutcome};
use agent_core::keys::store::{StoreChoice, open_store};
use agent_core::l10n::Locale;
use agent_core::policy::{Compliance, Finding, Outcome, Policy, RuleId, Strategy, Verdict};
use agent_core::privacy::PrivacyInventory;
use agent_core::quiet_hours::{NotifyDecision, NotifyReason, WorkingHours};
use agent_core::state::OutboxLimits;
use agent_core::token::{self, Nonce};
use agent_core::uniffi_types::Timestamp;
use time::OffsetDateTime;

use crate::adapters::{ProbeAdapter, SecretStoreAdapter, SignerAdapter, TransportAdapter};
use crate::compliance::ComplianceToken;
use crate::error::PostureAgentError;
use crate::foreign::{DeviceSigner, PlatformProbe, SecretStore, StatusListener, Transport};
use crate::listener::{ListenerAdapter, ListenerHandle};
use crate::posture::Posture;
use crate::status::{CheckInOutcome, ReportPreview, Status};

/// The file the software device key is kept in when the host gives neither
/// a signer nor a secret store and no OS keychain is reachable.
use agent_core::keys::store::SECRETS_FILE;

/// The posture agent, as Kotlin, Swift and Python see it.
#[derive(uniffi::Object)]
pub struct PostureAgent {
    storage_dir: PathBuf,
    agent: Arc<Agent>,
    /// The host's platform key, for `sign_report`; the agent holds it too.
    signer: Option<Arc<SignerAdapter>>,
    /// The language of what people read (from the platform locale).
    locale: Locale,
}

#[uniffi::export(async_runtime = "tokio")]
impl PostureAgent {
    /// An agent keeping its state in `storage_dir` (an absolute path the app
    /// owns, such as Android's `filesDir`; one agent per directory).
    ///
    /// Without a `probe`, the desktop probe for this OS is used where there
    /// is one. The device key is the `signer` (a platform key); without
    /// one, a software key kept in `secret_store`; without that, in the OS
    /// keychain when this build has one, else in a mode-0600 file in
    /// `storage_dir` (desktops and tests). Without a `transport`, the
    /// built-in HTTPS client (when this library was built with it), which
    /// also trusts `extra_ca_pem` (a test collector's CA, PEM). `locale`
    /// is the platform's locale as a BCP 47 tag (`cy-GB`, `en-US`): the
    /// language of remediation steps, rule names and the privacy
    /// inventory; English when absent or not one the agent speaks.
    #[uniffi::constructor(default(
        probe = None,
        signer = None,
        secret_store = None,
        transport = None,
        extra_ca_pem = None,
        locale = None
    ))]
    pub fn new(
        storage_dir: String,
        probe: Option<Arc<dyn PlatformProbe>>,
        signer: Option<Arc<dyn DeviceSigner>>,
        secret_store: Option<Arc<dyn SecretStore>>,
        transport: Option<Arc<dyn Transport>>,
        extra_ca_pem: Option<String>,
        locale: Option<String>,
    ) -> Result<Arc<Self>, PostureAgentError> {
        let dir = PathBuf::from(&storage_dir);
        if storage_dir.trim().is_empty() || !dir.is_absolute() {
            return Err(PostureAgentError::invalid_input(format!(
                "storage_dir {storage_dir:?} is not an absolute path; pass a directory the app owns"
            )));
        }
        let probe: Arc<dyn agent_core::PostureProbe> = match probe {
            Some(foreign) => Arc::new(ProbeAdapter(foreign)),
            None => agent_core::probe::local_probe()
                .map(Arc::from)
                .ok_or_else(|| {
                    PostureAgentError::platform(
                        "there is no built-in probe for this platform; pass a PlatformProbe",
                    )
                })?,
        };
        let signer = signer.map(|s| Arc::new(SignerAdapter(s)));
        let keys = match (&signer, secret_store) {
            (Some(signer), _) => KeySource::Device(signer.clone()),
            (None, Some(store)) => KeySource::Software(Arc::new(SecretStoreAdapter(store))),
            (None, None) => KeySource::Software(Arc::from(open_store(StoreChoice::Auto {
                fallback: dir.join(SECRETS_FILE),
            })?)),
        };
        let agent = Agent::open(AgentConfig {
            state_dir: dir.clone(),
            probe,
            keys,
            transport: transport.map(|t| {
                Arc::new(TransportAdapter(t)) as Arc<dyn agent_core::transport::Transport>
            }),
            extra_ca_pem: extra_ca_pem.map(String::into_bytes),
            outbox_limits: OutboxLimits::default(),
        })?;
        Ok(Arc::new(PostureAgent {
            storage_dir: dir,
            agent: Arc::new(agent),
            signer,
            locale: Locale::negotiate(locale.as_deref()),
        }))
    }

    /// The directory the agent keeps its state in.
    pub fn storage_dir(&self) -> String {
        self.storage_dir.display().to_string()
    }

    /// Enrols with the collector at `server_url` using a one-time `code`
    /// from the organisation.
    pub async fn enrol(
        &self,
        server_url: String,
        code: String,
    ) -> Result<Status, PostureAgentError> {
        self.run(move |agent| agent.enrol(&server_url, &code).map(Into::into))
            .await
    }

    /// One check-in: collect, evaluate, sign, queue and deliver a report.
    /// The verdicts' findings are in the agent's locale (a collector's
    /// finding the core does not know keeps the collector's words).
    pub async fn check_in(&self) -> Result<CheckInOutcome, PostureAgentError> {
        let locale = self.locale;
        self.run(move |agent| agent.check_in_localised(locale).map(Into::into))
            .await
    }

    /// Sends every queued report now (e.g. the network just came back).
    pub async fn flush(&self) -> Result<FlushOutcome, PostureAgentError> {
        self.run(|agent| agent.flush()).await
    }

    /// The agent's status, its verdicts' findings in the agent's locale.
    pub async fn status(&self) -> Result<Status, PostureAgentError> {
        let locale = self.locale;
        self.run(move |agent| agent.status_localised(locale).map(Into::into))
            .await
    }

    /// The collector's latest attestation result for this device (an EAR
    /// JWT bound to the device key) while it is unexpired, for the app to
    /// hand its gateway; else why there is none.
    pub async fn compliance_token(&self) -> Result<ComplianceToken, PostureAgentError> {
        self.run(|agent| agent.compliance_token().map(Into::into))
            .await
    }

    /// The exact report a check-in would send now; nothing is signed,
    /// stored or sent.
    pub async fn preview_report(&self) -> Result<ReportPreview, PostureAgentError> {
        self.run(|agent| agent.preview_report().map(Into::into))
            .await
    }

    /// Unenrols: tells the collector when it can, then deletes the device
    /// key and all local state whatever the collector said.
    pub async fn unenrol(&self) -> Result<UnenrolOutcome, PostureAgentError> {
        self.run(|agent| agent.unenrol()).await
    }

    /// Whether the app may prompt the person now: within the working hours
    /// they set (or always, when they set none), with the reason and, in
    /// quiet hours, when it next may. Ask before posting a notification.
    pub async fn should_notify(&self) -> Result<NotifyDecision, PostureAgentError> {
        self.run(|agent| agent.should_notify()).await
    }

    /// [`PostureAgent::should_notify`] at the instant `at` (to plan ahead,
    /// or to test with a fixed clock).
    pub async fn should_notify_at(
        &self,
        at: Timestamp,
    ) -> Result<NotifyDecision, PostureAgentError> {
        self.run(move |agent| agent.should_notify_at(at)).await
    }

    /// The working hours the person set, if any.
    pub async fn working_hours(&self) -> Result<Option<WorkingHours>, PostureAgentError> {
        self.run(|agent| agent.working_hours()).await
    }

    /// Sets the person's working hours: every day from `start` to `end`
    /// ("HH:MM"; an end before the start crosses midnight) in the IANA
    /// `time_zone`, within the bounds of the policy in force.
    pub async fn set_working_hours(
        &self,
        start: String,
        end: String,
        time_zone: String,
    ) -> Result<(), PostureAgentError> {
        // The core checks the hours (times, zone, the policy's bounds).
        let hours = WorkingHours {
            start,
            end,
            time_zone,
        };
        self.run(move |agent| agent.set_working_hours(Some(&hours)))
            .await
    }

    /// Clears the working hours: no quiet hours.
    pub async fn clear_working_hours(&self) -> Result<(), PostureAgentError> {
        self.run(|agent| agent.set_working_hours(None)).await
    }

    /// Collects the device's posture now, blocking the calling thread.
    pub fn collect(&self) -> Posture {
        self.agent.collect().into()
    }

    /// Collects the device's posture off the caller's thread.
    pub async fn collect_async(&self) -> Result<Posture, PostureAgentError> {
        self.run(|agent| Ok(agent.collect().into())).await
    }

    /// Evaluates `posture` against `policy` now, on the device (advisory:
    /// the collector evaluates again), with the remediation in the agent's
    /// language.
    pub fn evaluate(&self, posture: Posture, policy: Policy) -> Verdict {
        agent_core::policy::evaluate_in(
            &posture.into(),
            &policy,
            OffsetDateTime::now_utc(),
            self.locale,
        )
    }

    /// The language the agent speaks to the person (negotiated from the
    /// locale it was built with).
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// Every field that can leave the device, what it is and why, and what
    /// is never collected, in the agent's language: for the app's privacy
    /// screen.
    pub fn privacy_inventory(&self) -> PrivacyInventory {
        agent_core::privacy::inventory(self.locale)
    }

    /// A rule's name in the agent's language.
    pub fn rule_name(&self, rule: RuleId) -> String {
        rule.name(self.locale)
    }

    /// An outcome's short label in the agent's language ("FAIL", "METHU").
    pub fn outcome_label(&self, outcome: Outcome) -> String {
        outcome.label(self.locale)
    }

    /// A verdict's headline in the agent's language.
    pub fn compliance_headline(&self, compliance: Compliance) -> String {
        compliance.headline(self.locale)
    }

    /// A remediation strategy's name in the agent's language.
    pub fn strategy_label(&self, strategy: Strategy) -> String {
        strategy.label(self.locale)
    }

    /// What a finding's strategy means for the person, in the agent's
    /// language, when it says more than the outcome (the day a
    /// `warn-then-block` warning becomes a block; that a `notify-only` one
    /// is a reminder).
    pub fn strategy_note(&self, finding: Finding) -> Option<String> {
        finding.strategy_note(self.locale)
    }

    /// Why the app may or may not prompt now (a [`NotifyDecision`]'s
    /// reason), in the agent's language.
    pub fn notify_reason_text(&self, reason: NotifyReason) -> String {
        reason.describe(self.locale)
    }

    /// Why a fact is unknown (the `reason` of a posture fact's `Unknown`),
    /// or where an observed one was read (its `source`), both of which stay
    /// in English, as the wire carries them, in the agent's language: the
    /// core's own words are translated, with the names and the platform's
    /// error text in them as they are; any other text (a source that is
    /// only a name, such as a path or an API) comes back as it is.
    pub fn reason_text(&self, reason: String) -> String {
        agent_core::l10n::reason(self.locale, &reason)
    }

    /// Signs a posture report (an ES256 Entity Attestation Token) answering
    /// `nonce` for `device_id`, with the host's device signer (not queued
    /// or sent: for testers and backends).
    pub fn sign_report(
        &self,
        nonce: String,
        device_id: String,
        posture: Posture,
        verdict: Verdict,
    ) -> Result<String, PostureAgentError> {
        let device_id = agent_core::protocol::DeviceId::new(device_id)
            .map_err(PostureAgentError::invalid_input)?;
        Ok(token::sign_report(
            Nonce::new(nonce)?,
            &device_id,
            posture.into(),
            verdict,
            self.signer()?,
            OffsetDateTime::now_utc(),
        )?)
    }

    /// The device key's public half, as the collector enrols it (a software
    /// key is made on first use).
    pub fn public_jwk(&self) -> Result<agent_core::keys::PublicJwk, PostureAgentError> {
        Ok(self.agent.public_jwk()?)
    }

    /// Registers a status listener, told after every enrol, check-in, flush
    /// and unenrol; it stays registered until the returned handle is closed
    /// (or dropped, or `unregister`ed).
    pub fn register_listener(&self, listener: Arc<dyn StatusListener>) -> Arc<ListenerHandle> {
        let subscription = self.agent.subscribe(Arc::new(ListenerAdapter(listener)));
        Arc::new(ListenerHandle::new(subscription))
    }
}

impl PostureAgent {
    /// Runs a blocking core call on tokio's blocking pool.
    async fn run<T, F>(&self, call: F) -> Result<T, PostureAgentError>
    where
        T: Send + 'static,
        F: FnOnce(&Agent) -> Result<T, agent_core::agent::AgentError> + Send + 'static,
    {
        let agent = self.agent.clone();
        let locale = self.locale;
        tokio::task::spawn_blocking(move || call(&agent))
            .await?
            .map_err(|e| PostureAgentError::from_agent(e, locale))
    }

    fn signer(&self) -> Result<&SignerAdapter, PostureAgentError> {
        self.signer
            .as_deref()
            .ok_or_else(|| PostureAgentError::Key {
                reason: "this agent has no device signer; pass a DeviceSigner".into(),
            })
    }
}

#[cfg(test)]
#[path = "agent_tests.rs"]
mod tests;
