//! What the host app implements, in Kotlin, Swift or Python.
//!
//! Every method that can fail returns `PostureAgentError`, so a foreign
//! failure reaches Rust as a value, never a panic; anything else the foreign
//! code throws arrives through `From<UnexpectedUniFFICallbackError>`.
//! [`crate::adapters`] presents these traits to agent-core as its own.
//! All are blocking by design: the core calls them from a worker thread
//! (see `agent_core::transport`), never from an async executor.

use agent_core::keys::PublicJwk;
use agent_core::posture::Platform;
use agent_core::transport::Method;

use crate::error::PostureAgentError;
use crate::posture::Posture;
use crate::status::Status;

/// Reads the posture facts only the platform can see (a phone shim fills
/// them from Android or iOS APIs).
#[uniffi::export(foreign)]
pub trait PlatformProbe: Send + Sync {
    /// The platform this probe reads; names the posture when `collect` fails.
    fn platform(&self) -> Platform;
    /// Collects the device's posture now; a fact it cannot read is Unknown.
    fn collect(&self) -> Result<Posture, PostureAgentError>;
}

/// A device key that never leaves its hardware (Android Keystore, Secure
/// Enclave): ECDSA P-256.
#[uniffi::export(foreign)]
pub trait DeviceSigner: Send + Sync {
    /// The public key as a JWK (kty "EC", crv "P-256", base64url x and y).
    fn public_jwk(&self) -> Result<PublicJwk, PostureAgentError>;
    /// Signs `message` with ECDSA P-256 over SHA-256 and returns the 64-byte
    /// `r ‖ s` form (each 32 bytes, big-endian, zero-padded), not DER.
    fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, PostureAgentError>;
    /// The platform's key-attestation certificate chain for this key, leaf
    /// first, each base64 DER (Android Keystore's `getCertificateChain`);
    /// empty when the platform has none. Sent once, at enrolment.
    fn key_attestation(&self) -> Result<Vec<String>, PostureAgentError>;
    /// A key attestation chain for a fresh, throwaway key made with
    /// `challenge` (32 bytes) as its attestation challenge, leaf first, each
    /// base64 DER; the key is deleted before returning. Empty when the
    /// platform cannot (protocol §5.3.3). Called when the collector asks.
    fn fresh_key_attestation(&self, challenge: Vec<u8>) -> Result<Vec<String>, PostureAgentError>;
    /// iOS: a new App Attest key attested over `client_data_hash` (32
    /// bytes; `DCAppAttestService.generateKey`, then `attestKey`), its key
    /// id kept for later assertions. Null where App Attest is unsupported
    /// (other platforms, the simulator). Called once, at enrolment.
    fn app_attest(
        &self,
        client_data_hash: Vec<u8>,
    ) -> Result<Option<AppAttestation>, PostureAgentError>;
    /// iOS: an assertion over `client_data_hash` (32 bytes) with the App
    /// Attest key of the enrolment (`generateAssertion`), as its CBOR
    /// bytes. Null when there is no App Attest key. Called for each report.
    fn app_attest_assertion(
        &self,
        client_data_hash: Vec<u8>,
    ) -> Result<Option<Vec<u8>>, PostureAgentError>;
    /// Deletes the key from its keystore (at unenrolment); succeeds when
    /// there is none.
    fn delete(&self) -> Result<(), PostureAgentError>;
}

/// Where secrets are kept when the agent holds its own software key
/// (Android EncryptedSharedPreferences, the iOS Keychain).
#[uniffi::export(foreign)]
pub trait SecretStore: Send + Sync {
    /// The secret stored under `name`, or null when there is none.
    fn get(&self, name: String) -> Result<Option<Vec<u8>>, PostureAgentError>;
    /// Stores (or replaces) the secret under `name`.
    fn put(&self, name: String, secret: Vec<u8>) -> Result<(), PostureAgentError>;
    /// Deletes the secret under `name`; succeeds when there was none.
    fn delete(&self, name: String) -> Result<(), PostureAgentError>;
    /// What kind of store this is, for status output.
    fn describe(&self) -> String;
}

/// The host app's own HTTP stack (OkHttp, URLSession), so its proxies,
/// per-app VPN and pinning apply.
///
/// Return every HTTP status as a response (a 503 is an answer); throw only
/// when no answer arrived. Never follow redirects; refuse plain http except
/// to loopback; never log the body.
#[uniffi::export(foreign)]
pub trait Transport: Send + Sync {
    /// Sends `request` and returns the response, whatever its status.
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, PostureAgentError>;
}

/// Told when the agent's status changes (after enrol, check-in, flush,
/// unenrol). Called on the thread that made the change while the agent is
/// busy with it: return quickly, and hand any call back into the agent to
/// another thread (a direct call would wait for the change to finish).
#[uniffi::export(foreign)]
pub trait StatusListener: Send + Sync {
    /// The new status.
    fn on_status(&self, status: Status);
}

/// What App Attest gave for a new key at enrolment.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AppAttestation {
    /// The key id exactly as `generateKey` returned it (base64 text).
    pub key_id: String,
    /// The attestation object `attestKey` returned.
    pub attestation_object: Vec<u8>,
}

/// One HTTP header.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    /// Header name (responses: lower case).
    pub name: String,
    /// Header value.
    pub value: String,
}

/// One HTTP request, as the agent asks the host's transport to send it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Headers, in order.
    pub headers: Vec<HttpHeader>,
    /// Body bytes (empty for GET).
    pub body: Vec<u8>,
}

/// One HTTP response, as the host's transport returns it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers, in order.
    pub headers: Vec<HttpHeader>,
    /// Body bytes.
    pub body: Vec<u8>,
}
