//! The agent: enrol, check in, deliver, unenrol — over a probe, a device
//! key, a transport and the durable state.
//!
//! An explicit two-state machine: [`AgentState::Unenrolled`] →
//! [`Agent::enrol`] → [`AgentState::Enrolled`] → [`Agent::unenrol`] →
//! unenrolled. A call in the wrong state is [`AgentError::NotEnrolled`] or
//! [`AgentError::AlreadyEnrolled`]. One mutex serialises every operation, so
//! two threads checking in at once queue behind each other; the state
//! directory's lock keeps a second process out.
//!
//! The API blocks (the transport does): call it from a worker thread.
//! Scheduling is the platform's: the core never wakes itself up.

mod client;
mod compliance;
mod deliver;
mod error;
mod flow;
mod listeners;
mod quiet;
mod verdicts;

pub use client::{Client, ClientError};
pub use compliance::ComplianceToken;
pub use deliver::{FlushOutcome, Rejected};
pub use error::AgentError;
pub use flow::{CheckInOutcome, ReportPreview, UnenrolOutcome};
pub use listeners::{StatusListener, Subscription};
pub use verdicts::{ServerVerdict, VerdictRecord};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::keys::store::SecretStore;
use crate::keys::{DeviceSigner, PublicJwk, SoftwareSigner};
use crate::policy::Policy;
use crate::probe::PostureProbe;
use crate::state::{OutboxLimits, State};
use crate::transport::Transport;

/// Where the device key comes from.
#[derive(Clone)]
pub enum KeySource {
    /// A software P-256 key kept in this secret store (desktops: the OS
    /// keychain), one per state directory, made at enrolment and deleted
    /// at unenrolment.
    Software(Arc<dyn SecretStore>),
    /// A platform key the host app manages (Android Keystore, Secure Enclave).
    Device(Arc<dyn DeviceSigner>),
}

/// What an [`Agent`] is built from.
#[derive(Clone)]
pub struct AgentConfig {
    /// The state directory (created 0700 when missing).
    pub state_dir: PathBuf,
    /// Reads the device's posture.
    pub probe: Arc<dyn PostureProbe>,
    /// The device key.
    pub keys: KeySource,
    /// The host's own HTTP stack; None uses the built-in HTTPS transport
    /// (feature `http`).
    pub transport: Option<Arc<dyn Transport>>,
    /// An extra CA certificate (PEM) the built-in transport trusts, e.g. a
    /// test collector's `--dev-self-signed` CA.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Bounds of the report outbox.
    pub outbox_limits: OutboxLimits,
}

/// Whether the agent is enrolled.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// No enrolment: `enrol` is the only protocol call allowed.
    Unenrolled,
    /// Enrolled with a collector.
    Enrolled,
}

/// Everything a person or an app needs to show the agent's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Enrolled or not.
    pub state: AgentState,
    /// The state directory.
    pub state_dir: PathBuf,
    /// The collector's URL, when enrolled.
    pub server_url: Option<String>,
    /// The device id the collector assigned, when enrolled.
    pub device_id: Option<crate::protocol::DeviceId>,
    /// The device key's thumbprint, when enrolled.
    pub kid: Option<String>,
    /// When the device enrolled.
    #[serde(with = "time::serde::rfc3339::option")]
    pub enrolled_at: Option<OffsetDateTime>,
    /// The check-in interval the collector asked for, seconds.
    pub checkin_interval_secs: Option<u32>,
    /// When the collector last acknowledged a report.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_checkin_at: Option<OffsetDateTime>,
    /// The policy in force (name and revision).
    pub policy: Option<crate::policy::PolicyRef>,
    /// The last verdicts.
    pub verdicts: VerdictRecord,
    /// Reports waiting in the outbox.
    pub queued_reports: u64,
    /// Reports evicted from a full outbox, ever (never silently).
    pub evicted_reports: u64,
    /// Answers from the collector that broke the protocol, ever (a 2xx that
    /// is not an ack, an ack for another report, ...); each left its report
    /// queued.
    #[serde(default)]
    pub protocol_errors: u64,
    /// Until when the collector asked not to be sent anything (Retry-After).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub server_wait_until: Option<OffsetDateTime>,
    /// When the oldest queued report was made.
    #[serde(with = "time::serde::rfc3339::option")]
    pub oldest_queued_at: Option<OffsetDateTime>,
    /// The collector's latest attestation result for this device, in
    /// summary (never the token: see [`Agent::compliance_token`]); shown
    /// after it expires too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<crate::token::AttestationSummary>,
}

/// The agent. See the module documentation.
pub struct Agent {
    inner: Mutex<Inner>,
    probe: Arc<dyn PostureProbe>,
    keys: KeySource,
    transport: Arc<dyn Transport>,
    listeners: listeners::Registry,
    // The software key, loaded once: every check-in signs at least twice,
    // and each load is a keychain round trip and a PKCS#8 parse.
    software_signer: Mutex<Option<Arc<dyn DeviceSigner>>>,
}

struct Inner {
    state: State,
}

impl Inner {
    fn status(&self) -> Result<Status, AgentError> {
        status_of(&self.state)
    }
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent").finish_non_exhaustive()
    }
}

/// The name a state directory's key had before names were recorded in the
/// state: derived from the directory's canonical path. Still read (and then
/// recorded) so an older state keeps its key; new keys get a random name.
pub fn software_key_name(state_dir: &Path) -> String {
    let canonical = state_dir
        .canonicalize()
        .unwrap_or_else(|_| state_dir.to_owned());
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        canonical.to_string_lossy().as_bytes(),
    );
    format!("device-key-{}", &crate::b64::encode(digest.as_ref())[..16])
}

/// A fresh random key name: unique per state directory in one keychain,
/// and independent of where the directory lives, so moving it keeps the key.
fn new_key_name() -> Result<String, AgentError> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 12];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| AgentError::Internal("no OS randomness for the key name".into()))?;
    Ok(format!("device-key-{}", crate::b64::encode(&bytes)))
}

impl Agent {
    /// Opens the agent on its state directory (taking its single-writer lock).
    pub fn open(config: AgentConfig) -> Result<Agent, AgentError> {
        let state = State::open_with_limits(&config.state_dir, config.outbox_limits)?;
        Agent::with_state(config, state)
    }

    /// Opens the agent to look at it: as [`Agent::open`] when the state is
    /// free, else (another process, such as a running check-in loop, holds
    /// it) a read-only view in which status, policy and report previews
    /// work and anything that would write fails with a `ReadOnly` error.
    pub fn open_to_read(config: AgentConfig) -> Result<Agent, AgentError> {
        match State::open_with_limits(&config.state_dir, config.outbox_limits) {
            Ok(state) => Agent::with_state(config, state),
            Err(crate::state::StateError::Locked { .. }) => {
                let state = State::open_read_only(&config.state_dir)?;
                Agent::with_state(config, state)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn with_state(config: AgentConfig, state: State) -> Result<Agent, AgentError> {
        let transport = match config.transport {
            Some(t) => t,
            None => default_transport(config.extra_ca_pem)?,
        };
        Ok(Agent {
            inner: Mutex::new(Inner { state }),
            probe: config.probe,
            keys: config.keys,
            transport,
            listeners: listeners::Registry::default(),
            software_signer: Mutex::new(None),
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, AgentError> {
        self.inner.lock().map_err(|_| {
            AgentError::Internal("a previous operation panicked; reopen the agent".into())
        })
    }

    /// Enrolled or not.
    pub fn state(&self) -> Result<AgentState, AgentError> {
        let inner = self.lock()?;
        Ok(match inner.state.enrolment()? {
            Some(_) => AgentState::Enrolled,
            None => AgentState::Unenrolled,
        })
    }

    /// The device's posture now (nothing is stored or sent).
    pub fn collect(&self) -> crate::posture::Posture {
        self.probe.collect()
    }

    /// The policy in force: the collector's once enrolled, else the default.
    pub fn policy(&self) -> Result<Policy, AgentError> {
        let inner = self.lock()?;
        policy_in_force(&inner.state)
    }

    /// The device key's public half (made on first use).
    pub fn public_jwk(&self) -> Result<PublicJwk, AgentError> {
        let mut inner = self.lock()?;
        Ok(self.signer(&mut inner.state)?.public_jwk()?)
    }

    /// The agent's status.
    pub fn status(&self) -> Result<Status, AgentError> {
        let inner = self.lock()?;
        inner.status()
    }

    /// [`Agent::status`] with the verdicts' findings in `locale`; see
    /// [`crate::policy::localise`].
    pub fn status_localised(&self, locale: crate::l10n::Locale) -> Result<Status, AgentError> {
        let inner = self.lock()?;
        let mut status = inner.status()?;
        if locale != crate::l10n::Locale::En {
            let policy = policy_in_force(&inner.state)?;
            let posture = inner.state.verdict_posture()?;
            status.verdicts = status.verdicts.localised(posture.as_ref(), &policy, locale);
        }
        Ok(status)
    }

    /// Registers a listener told of every status change; dropping the
    /// returned [`Subscription`] unregisters it.
    pub fn subscribe(&self, listener: Arc<dyn StatusListener>) -> Subscription {
        self.listeners.subscribe(listener)
    }

    fn notify(&self, inner: &Inner) {
        if self.listeners.is_empty() {
            return;
        }
        match inner.status() {
            Ok(status) => self.listeners.notify(&status),
            Err(e) => tracing::warn!(error = %e, "could not read the status to notify listeners"),
        }
    }

    /// The device signer: the platform key, or the software key of this
    /// state directory. Before enrolment a missing key is made (and its name
    /// recorded); once enrolled the key must be there and be the enrolled
    /// one, else [`AgentError::KeyMissing`] or [`AgentError::KeyMismatch`]:
    /// a silently made new key would get every report refused.
    fn signer(&self, state: &mut State) -> Result<Arc<dyn DeviceSigner>, AgentError> {
        let signer: Arc<dyn DeviceSigner> = match &self.keys {
            KeySource::Device(signer) => return Ok(signer.clone()),
            KeySource::Software(store) => {
                let mut cached = self.software_signer.lock().map_err(|_| {
                    AgentError::Internal("the key cache lock is poisoned; reopen the agent".into())
                })?;
                if let Some(signer) = cached.as_ref() {
                    return Ok(signer.clone());
                }
                let enrolment = state.enrolment()?;
                let recorded = state.key_name()?;
                let name = match &recorded {
                    Some(name) => name.clone(),
                    None if enrolment.is_some() => software_key_name(state.dir()),
                    None => new_key_name()?,
                };
                let signer = match (&enrolment, SoftwareSigner::load(store.as_ref(), &name)?) {
                    (_, Some(signer)) => signer,
                    (Some(e), None) => {
                        return Err(AgentError::KeyMissing {
                            device_id: e.device_id.to_string(),
                            store: store.describe(),
                        });
                    }
                    // A read-only view must not make a key it cannot record.
                    (None, None) if state.is_read_only() => {
                        return Err(crate::state::StateError::ReadOnly {
                            dir: state.dir().to_owned(),
                        }
                        .into());
                    }
                    (None, None) => SoftwareSigner::load_or_create(store.as_ref(), &name)?,
                };
                if let Some(e) = &enrolment {
                    let found = signer.public_jwk()?.thumbprint();
                    if found != e.kid {
                        return Err(AgentError::KeyMismatch {
                            store: store.describe(),
                            enrolled: e.kid.clone(),
                            found,
                        });
                    }
                }
                if recorded.as_deref() != Some(name.as_str()) && !state.is_read_only() {
                    state.set_key_name(Some(&name))?;
                }
                let signer: Arc<dyn DeviceSigner> = Arc::new(signer);
                *cached = Some(signer.clone());
                signer
            }
        };
        Ok(signer)
    }

    /// Deletes the device key (software store entry, or the platform key).
    fn delete_key(&self, state: &mut State) -> Result<(), AgentError> {
        match &self.keys {
            KeySource::Device(signer) => Ok(signer.delete()?),
            KeySource::Software(store) => {
                if let Ok(mut cached) = self.software_signer.lock() {
                    *cached = None;
                }
                for name in key_names(state.key_name()?, state.dir()) {
                    store.delete(&name)?;
                }
                state.set_key_name(None)?;
                Ok(())
            }
        }
    }
}

/// Every name this directory's software key may have: the recorded one and
/// the path-derived one older states used.
fn key_names(recorded: Option<String>, dir: &Path) -> Vec<String> {
    let legacy = software_key_name(dir);
    match recorded {
        Some(name) if name != legacy => vec![name, legacy],
        _ => vec![legacy],
    }
}

/// Deletes every file of the state directory and the device key without
/// contacting the collector, whatever state the files are in: the recovery
/// when the state is damaged (the collector keeps the device until an
/// administrator removes it). Fails with a `Locked` error while an agent
/// has it open. The files go first, so a key store that fails (a locked
/// keychain) never leaves a half-reset directory; its error is returned in
/// the outcome for the caller to show.
pub fn reset_local(state_dir: &Path, keys: &KeySource) -> Result<ResetOutcome, AgentError> {
    // Named before the files go: the legacy name needs the canonical path.
    let recorded = State::peek_key_name(state_dir);
    let unreadable = recorded.is_none() && state_dir.join(crate::state::DB_FILE).exists();
    let names = key_names(recorded, state_dir);
    State::destroy(state_dir)?;
    let key_error = match keys {
        KeySource::Device(signer) => signer.delete().err().map(|e| e.to_string()),
        KeySource::Software(store) => names
            .iter()
            .find_map(|name| store.delete(name).err())
            .map(|e| e.to_string()),
    };
    let key_left_behind = match keys {
        KeySource::Software(store) if unreadable => Some(format!(
            "the damaged state did not say which key in {} was this device's, so an unused \
             entry named device-key-... may be left there",
            store.describe()
        )),
        _ => None,
    };
    Ok(ResetOutcome {
        key_error,
        key_left_behind,
    })
}

/// What [`reset_local`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResetOutcome {
    /// Why the device key could not be deleted from its store, if it could
    /// not (the state files are gone regardless).
    pub key_error: Option<String>,
    /// When the state was too damaged to name its key: a software store
    /// may still hold it (unused; deleting it is safe).
    pub key_left_behind: Option<String>,
}

/// The policy in force: the stored one once enrolled, else the default.
fn policy_in_force(state: &State) -> Result<Policy, AgentError> {
    Ok(state.policy()?.unwrap_or_else(Policy::default_policy))
}

fn status_of(state: &State) -> Result<Status, AgentError> {
    let enrolment = state.enrolment()?;
    let stats = state.stats()?;
    let policy = policy_in_force(state)?;
    Ok(Status {
        state: if enrolment.is_some() {
            AgentState::Enrolled
        } else {
            AgentState::Unenrolled
        },
        state_dir: state.dir().to_owned(),
        server_url: enrolment.as_ref().map(|e| e.server_url.clone()),
        device_id: enrolment.as_ref().map(|e| e.device_id.clone()),
        kid: enrolment.as_ref().map(|e| e.kid.clone()),
        enrolled_at: enrolment.as_ref().map(|e| e.enrolled_at),
        checkin_interval_secs: enrolment.as_ref().map(|e| e.checkin_interval_secs),
        last_checkin_at: state.last_checkin()?,
        policy: enrolment
            .as_ref()
            .map(|_| crate::policy::PolicyRef::of(&policy)),
        verdicts: state.verdicts()?,
        queued_reports: stats.queued,
        evicted_reports: stats.evicted_total,
        protocol_errors: state.protocol_errors_total()?,
        server_wait_until: state
            .server_wait_until()?
            .filter(|until| *until > OffsetDateTime::now_utc()),
        oldest_queued_at: stats.oldest_created_at,
        attestation: compliance::summary(state)?,
    })
}

#[cfg(feature = "http")]
fn default_transport(extra_ca_pem: Option<Vec<u8>>) -> Result<Arc<dyn Transport>, AgentError> {
    let config = crate::transport::TransportConfig {
        extra_ca_pem,
        ..crate::transport::TransportConfig::default()
    };
    Ok(Arc::new(crate::transport::HttpTransport::new(config)?))
}

#[cfg(not(feature = "http"))]
fn default_transport(_extra_ca_pem: Option<Vec<u8>>) -> Result<Arc<dyn Transport>, AgentError> {
    Err(AgentError::NoTransport)
}

#[cfg(test)]
mod tests;
