//! The foreign traits presented to agent-core as its own traits: each
//! method converts its arguments, calls the foreign object and maps the
//! foreign error into the core's error for that trait.

use std::sync::Arc;

use agent_core::keys::store::StoreError;
use agent_core::keys::{KeyError, PublicJwk};
use agent_core::posture::Posture;
use agent_core::protocol::AppAttestEvidence;
use agent_core::transport::{self, TransportError};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::foreign::{self, HttpHeader};

/// A foreign [`foreign::PlatformProbe`] as an [`agent_core::PostureProbe`].
pub struct ProbeAdapter(pub Arc<dyn foreign::PlatformProbe>);

impl agent_core::PostureProbe for ProbeAdapter {
    /// The core's probes never fail: a probe that throws gives a posture
    /// with every fact Unknown and the failure as the reason.
    fn collect(&self) -> Posture {
        match self.0.collect() {
            Ok(posture) => posture.into(),
            Err(e) => Posture::unknown(
                self.0.platform(),
                &format!("the platform probe failed: {e}"),
                OffsetDateTime::now_utc(),
            ),
        }
    }
}

/// A foreign [`foreign::DeviceSigner`] as an [`agent_core::keys::DeviceSigner`].
pub struct SignerAdapter(pub Arc<dyn foreign::DeviceSigner>);

impl agent_core::keys::DeviceSigner for SignerAdapter {
    fn public_jwk(&self) -> Result<PublicJwk, KeyError> {
        self.0
            .public_jwk()
            .map_err(|e| KeyError::Signer(e.to_string()))
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.0
            .sign(message.to_vec())
            .map_err(|e| KeyError::Signer(e.to_string()))
    }

    fn key_attestation(&self) -> Result<Vec<String>, KeyError> {
        self.0
            .key_attestation()
            .map_err(|e| KeyError::Signer(e.to_string()))
    }

    fn app_attest(
        &self,
        client_data_hash: &[u8; 32],
    ) -> Result<Option<AppAttestEvidence>, KeyError> {
        self.0
            .app_attest(client_data_hash.to_vec())
            .map(|a| a.map(|a| AppAttestEvidence::new(a.key_id, &a.attestation_object)))
            .map_err(|e| KeyError::Signer(e.to_string()))
    }

    fn app_attest_assertion(
        &self,
        client_data_hash: &[u8; 32],
    ) -> Result<Option<Vec<u8>>, KeyError> {
        self.0
            .app_attest_assertion(client_data_hash.to_vec())
            .map_err(|e| KeyError::Signer(e.to_string()))
    }

    fn delete(&self) -> Result<(), KeyError> {
        self.0.delete().map_err(|e| KeyError::Signer(e.to_string()))
    }
}

/// A foreign [`foreign::SecretStore`] as an [`agent_core::keys::store::SecretStore`].
pub struct SecretStoreAdapter(pub Arc<dyn foreign::SecretStore>);

impl agent_core::keys::store::SecretStore for SecretStoreAdapter {
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        self.0
            .get(name.to_owned())
            .map(|secret| secret.map(Zeroizing::new))
            .map_err(|e| StoreError::Backend(e.to_string()))
    }

    fn put(&self, name: &str, secret: &[u8]) -> Result<(), StoreError> {
        self.0
            .put(name.to_owned(), secret.to_vec())
            .map_err(|e| StoreError::Backend(e.to_string()))
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        self.0
            .delete(name.to_owned())
            .map_err(|e| StoreError::Backend(e.to_string()))
    }

    fn describe(&self) -> String {
        self.0.describe()
    }
}

/// A foreign [`foreign::Transport`] as an [`agent_core::transport::Transport`].
pub struct TransportAdapter(pub Arc<dyn foreign::Transport>);

impl transport::Transport for TransportAdapter {
    fn send(
        &self,
        request: transport::HttpRequest,
    ) -> Result<transport::HttpResponse, TransportError> {
        self.0
            .send(request.into())
            .map(Into::into)
            .map_err(|e| TransportError::Other(e.to_string()))
    }
}

impl From<transport::HttpRequest> for foreign::HttpRequest {
    fn from(r: transport::HttpRequest) -> Self {
        foreign::HttpRequest {
            method: r.method,
            url: r.url,
            headers: r.headers.into_iter().map(header).collect(),
            body: r.body,
        }
    }
}

impl From<foreign::HttpResponse> for transport::HttpResponse {
    fn from(r: foreign::HttpResponse) -> Self {
        transport::HttpResponse {
            status: r.status,
            headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
            body: r.body,
        }
    }
}

fn header((name, value): (String, String)) -> HttpHeader {
    HttpHeader { name, value }
}
