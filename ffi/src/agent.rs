//! `PostureAgent`: the object an app holds.
//!
//! Built from a storage directory and the host's optional foreign parts;
//! each method converts its arguments, calls agent-core and converts the
//! result back. Methods that do I/O are also offered `async` (Kotlin
//! `suspend`, Swift `async`, Python `asyncio`): they run the blocking core
//! call on tokio's blocking pool through `spawn_blocking`, so the caller's
//! thread (an Android main thread, an asyncio loop) is never blocked. The
//! enrol / check-in / flush / status / preview / unenrol methods follow this
//! shape once the core `Agent` lands.

use std::path::PathBuf;
use std::sync::Arc;

use agent_core::policy::{Policy, Verdict};
use agent_core::token::{self, Claims, Nonce};
use time::OffsetDateTime;

use crate::adapters::{ProbeAdapter, SecretStoreAdapter, SignerAdapter, TransportAdapter};
use crate::error::PostureAgentError;
use crate::foreign::{DeviceSigner, PlatformProbe, SecretStore, StatusListener, Transport};
use crate::listener::{ListenerHandle, Listeners};
use crate::posture::Posture;

/// The posture agent, as Kotlin, Swift and Python see it.
#[derive(uniffi::Object)]
pub struct PostureAgent {
    storage_dir: PathBuf,
    probe: Option<Arc<dyn agent_core::PostureProbe>>,
    signer: Option<Arc<SignerAdapter>>,
    #[expect(
        dead_code,
        reason = "held for the core Agent, which keeps its key with it"
    )]
    secret_store: Option<Arc<SecretStoreAdapter>>,
    #[expect(
        dead_code,
        reason = "held for the core Agent, which enrols and checks in with it"
    )]
    transport: Option<Arc<TransportAdapter>>,
    listeners: Arc<Listeners>,
}

#[uniffi::export(async_runtime = "tokio")]
impl PostureAgent {
    /// An agent keeping its state in `storage_dir` (an absolute path the app
    /// owns, such as Android's `filesDir`). Without a `probe`, the desktop
    /// probe for this OS is used where there is one; without a `transport`,
    /// the built-in HTTPS client (when this library was built with it).
    #[uniffi::constructor(default(probe = None, signer = None, secret_store = None, transport = None))]
    pub fn new(
        storage_dir: String,
        probe: Option<Arc<dyn PlatformProbe>>,
        signer: Option<Arc<dyn DeviceSigner>>,
        secret_store: Option<Arc<dyn SecretStore>>,
        transport: Option<Arc<dyn Transport>>,
    ) -> Result<Arc<Self>, PostureAgentError> {
        let dir = PathBuf::from(&storage_dir);
        if storage_dir.trim().is_empty() || !dir.is_absolute() {
            return Err(PostureAgentError::invalid_input(format!(
                "storage_dir {storage_dir:?} is not an absolute path; pass a directory the app owns"
            )));
        }
        let probe: Option<Arc<dyn agent_core::PostureProbe>> = match probe {
            Some(foreign) => Some(Arc::new(ProbeAdapter(foreign))),
            None => agent_core::probe::local_probe().map(Arc::from),
        };
        Ok(Arc::new(PostureAgent {
            storage_dir: dir,
            probe,
            signer: signer.map(|s| Arc::new(SignerAdapter(s))),
            secret_store: secret_store.map(|s| Arc::new(SecretStoreAdapter(s))),
            transport: transport.map(|t| Arc::new(TransportAdapter(t))),
            listeners: Arc::default(),
        }))
    }

    /// The directory the agent keeps its state in.
    pub fn storage_dir(&self) -> String {
        self.storage_dir.display().to_string()
    }

    /// Collects the device's posture now, blocking the calling thread.
    pub fn collect(&self) -> Result<Posture, PostureAgentError> {
        Ok(self.probe()?.collect().into())
    }

    /// Collects the device's posture off the caller's thread.
    pub async fn collect_async(&self) -> Result<Posture, PostureAgentError> {
        let probe = self.probe()?;
        Ok(tokio::task::spawn_blocking(move || probe.collect())
            .await?
            .into())
    }

    /// Evaluates `posture` against `policy` now, on the device (advisory:
    /// the collector evaluates again).
    pub fn evaluate(&self, posture: Posture, policy: Policy) -> Verdict {
        agent_core::evaluate(&posture.into(), &policy, OffsetDateTime::now_utc())
    }

    /// Signs a posture report (an ES256 Entity Attestation Token) answering
    /// `nonce` for `device_id`, with the device signer.
    pub fn sign_report(
        &self,
        nonce: String,
        device_id: String,
        posture: Posture,
        verdict: Verdict,
    ) -> Result<String, PostureAgentError> {
        let signer = self.signer()?;
        let claims = Claims::new(
            Nonce::new(nonce)?,
            &device_id,
            posture.into(),
            verdict,
            OffsetDateTime::now_utc(),
        )?;
        Ok(token::sign(&claims, signer)?)
    }

    /// The device signer's public key, as the collector would enrol it.
    pub fn public_jwk(&self) -> Result<agent_core::keys::PublicJwk, PostureAgentError> {
        Ok(agent_core::keys::DeviceSigner::public_jwk(self.signer()?)?)
    }

    /// Registers a status listener; it stays registered until the returned
    /// handle is dropped (or `unregister`ed).
    pub fn register_listener(&self, listener: Arc<dyn StatusListener>) -> Arc<ListenerHandle> {
        Arc::new(self.listeners.register(listener))
    }
}

impl PostureAgent {
    fn signer(&self) -> Result<&SignerAdapter, PostureAgentError> {
        self.signer
            .as_deref()
            .ok_or_else(|| PostureAgentError::Key {
                reason: "this agent has no device signer; pass a DeviceSigner".into(),
            })
    }

    fn probe(&self) -> Result<Arc<dyn agent_core::PostureProbe>, PostureAgentError> {
        self.probe.clone().ok_or_else(|| {
            PostureAgentError::platform(
                "there is no built-in probe for this platform; pass a PlatformProbe",
            )
        })
    }
}
