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

    fn fresh_key_attestation(&self, challenge: &[u8; 32]) -> Result<Vec<String>, KeyError> {
        self.0
            .fresh_key_attestation(challenge.to_vec())
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use agent_core::keys::DeviceSigner as _;

    use super::*;
    use crate::error::PostureAgentError;

    /// A foreign signer as the host app would write one, recording calls.
    #[derive(Default)]
    struct Recording {
        challenges: Mutex<Vec<Vec<u8>>>,
        fail: bool,
    }

    impl foreign::DeviceSigner for Recording {
        fn public_jwk(&self) -> Result<PublicJwk, PostureAgentError> {
            Err(PostureAgentError::Key {
                reason: "not used".into(),
            })
        }
        fn sign(&self, _message: Vec<u8>) -> Result<Vec<u8>, PostureAgentError> {
            Ok(vec![0; 64])
        }
        fn key_attestation(&self) -> Result<Vec<String>, PostureAgentError> {
            Ok(Vec::new())
        }
        fn fresh_key_attestation(
            &self,
            challenge: Vec<u8>,
        ) -> Result<Vec<String>, PostureAgentError> {
            if self.fail {
                return Err(PostureAgentError::Key {
                    reason: "StrongBox is busy".into(),
                });
            }
            self.challenges.lock().unwrap().push(challenge);
            Ok(vec!["MIIB".into(), "MIIC".into()])
        }
        fn app_attest(
            &self,
            _client_data_hash: Vec<u8>,
        ) -> Result<Option<foreign::AppAttestation>, PostureAgentError> {
            Ok(None)
        }
        fn app_attest_assertion(
            &self,
            _client_data_hash: Vec<u8>,
        ) -> Result<Option<Vec<u8>>, PostureAgentError> {
            Ok(None)
        }
        fn delete(&self) -> Result<(), PostureAgentError> {
            Ok(())
        }
    }

    #[test]
    fn a_fresh_key_attestation_passes_the_challenge_and_the_chain_through() {
        let foreign = Arc::new(Recording::default());
        let adapter = SignerAdapter(foreign.clone());
        let challenge = [7u8; 32];
        assert_eq!(
            adapter.fresh_key_attestation(&challenge).unwrap(),
            ["MIIB", "MIIC"]
        );
        assert_eq!(*foreign.challenges.lock().unwrap(), [challenge.to_vec()]);
        let failing = SignerAdapter(Arc::new(Recording {
            fail: true,
            ..Recording::default()
        }));
        let e = failing.fresh_key_attestation(&challenge).unwrap_err();
        assert!(
            matches!(e, KeyError::Signer(ref m) if m.contains("busy")),
            "{e}"
        );
    }
}
