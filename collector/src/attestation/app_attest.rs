//! Apple App Attest at enrolment (protocol §5.1) and in reports (§4.1):
//! the attestation object an iOS enrolment carries is verified for the
//! configured App ID, bound to the code and the enrolled JWK through its
//! client data; what is kept is the key id, the public key, the counter, the
//! environment and the time (App Attest carries no device identifier).

use agent_core::Platform;
use agent_core::keys::PublicJwk;
use agent_core::protocol::app_attest::{enrol_client_data_hash, report_client_data_hash};
use agent_core::protocol::{AppAttestEvidence, EnrolmentCode, ProblemKind};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use posture_attestation::app_attest::{
    AppAttestRoots, AppAttestVerifier, AppId, Environment, MAX_ASSERTION_BYTES,
    MAX_ATTESTATION_BYTES,
};
use time::OffsetDateTime;

use crate::error::CollectorError;
use crate::problem::ApiError;

/// How App Attest evidence is checked; part of
/// [`crate::AttestationConfig`].
#[derive(Debug, Clone)]
pub struct AppAttestConfig {
    /// The App ID (`TEAMID.BUNDLEID`) attestations must be made for.
    pub app_id: AppId,
    /// Trust anchors: Apple's App Attestation Root CA by default.
    pub roots: AppAttestRoots,
    /// Accept keys from Apple's development environment.
    pub allow_development: bool,
}

impl AppAttestConfig {
    /// Apple's root, production only, for `app_id` (`TEAMID.BUNDLEID`).
    pub fn apple(app_id: &str) -> Result<AppAttestConfig, CollectorError> {
        Ok(AppAttestConfig {
            app_id: AppId::new(app_id).map_err(|e| CollectorError::Config(e.to_string()))?,
            roots: AppAttestRoots::apple()
                .map_err(|e| CollectorError::Config(format!("Apple's App Attest root: {e}")))?,
            allow_development: false,
        })
    }
}

/// Reads App Attest trust anchors from a PEM file of certificates (a test
/// root, or a root Apple publishes later), for [`AppAttestConfig::roots`].
pub fn app_attest_roots_from_pem_file(
    path: &std::path::Path,
) -> Result<AppAttestRoots, CollectorError> {
    let what = || format!("the App Attest roots file {}", path.display());
    let bytes = super::read_regular(path, super::MAX_ROOTS_FILE_BYTES)
        .map_err(|e| CollectorError::Config(format!("{}: {e}", what())))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CollectorError::Config(format!("{} is not PEM text", what())))?;
    AppAttestRoots::from_pem(&text).map_err(|e| CollectorError::Config(format!("{}: {e}", what())))
}

/// A verified App Attest key, stored with the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppAttested {
    pub key_id: [u8; 32],
    pub public_key: Vec<u8>,
    pub counter: u32,
    pub environment: Environment,
    pub attested_at: OffsetDateTime,
}

/// The enrolment-time and report-time checker.
#[derive(Debug)]
pub(crate) struct AppAttestCheck {
    verifier: Option<AppAttestVerifier>,
    required: bool,
}

fn rejected(detail: impl Into<String>) -> ApiError {
    ApiError::new(ProblemKind::KeyAttestationRejected, detail)
}

/// Base64 text of at most `max` decoded bytes.
fn decode_bounded(
    text: &str,
    max: usize,
    what: &str,
    engine: &impl Engine,
) -> Result<Vec<u8>, ApiError> {
    if text.len() > max.div_ceil(3) * 4 {
        return Err(rejected(format!("{what} is over {max} bytes")));
    }
    engine
        .decode(text)
        .map_err(|e| rejected(format!("{what} is not valid base64: {e}")))
}

impl AppAttestCheck {
    /// From the settings; `required` refuses iOS enrolments without evidence.
    pub fn new(
        config: Option<AppAttestConfig>,
        required: bool,
    ) -> Result<AppAttestCheck, CollectorError> {
        if required && config.is_none() {
            return Err(CollectorError::Config(
                "App Attest can be required for ios only when the App ID is set (--app-attest-app-id TEAMID.BUNDLEID)".into(),
            ));
        }
        Ok(AppAttestCheck {
            verifier: config
                .map(|c| AppAttestVerifier::new(c.roots, c.app_id, c.allow_development)),
            required,
        })
    }

    /// Whether report assertions can be checked.
    pub fn verifier(&self) -> Option<&AppAttestVerifier> {
        self.verifier.as_ref()
    }

    /// Checks an enrolment's `app_attest` at `now`. `Ok(None)`: nothing to
    /// check (not iOS, none sent and none required, or no App ID set).
    pub fn check(
        &self,
        platform: Platform,
        evidence: Option<&AppAttestEvidence>,
        code: &EnrolmentCode,
        jwk: &PublicJwk,
        now: OffsetDateTime,
    ) -> Result<Option<AppAttested>, ApiError> {
        if platform != Platform::Ios {
            return Ok(None);
        }
        let result = match (evidence, &self.verifier) {
            (None, _) if !self.required => return Ok(None),
            (None, _) => Err(rejected(
                "this collector requires Apple App Attest for ios enrolments, and the request has none (app_attest)",
            )),
            // Not configured: evidence cannot be checked, so it counts for nothing.
            (Some(_), None) => return Ok(None),
            (Some(e), Some(verifier)) => verify(verifier, e, code, jwk, now),
        };
        result.map(Some).inspect_err(|e| {
            tracing::info!(
                "enrolment refused: {}",
                e.problem.detail.as_deref().unwrap_or_default()
            );
        })
    }

    /// Checks a report's assertion (base64url) for `eat_nonce` and `jti`
    /// with the stored key and counter; the new counter to store.
    pub fn check_assertion(
        verifier: &AppAttestVerifier,
        assertion: &str,
        eat_nonce: &str,
        jti: &str,
        public_key: &[u8],
        counter: u32,
    ) -> Result<u32, ApiError> {
        let bytes = decode_bounded(
            assertion,
            MAX_ASSERTION_BYTES,
            "the app_attest assertion",
            &URL_SAFE_NO_PAD,
        )?;
        verifier
            .verify_assertion(
                &bytes,
                &report_client_data_hash(eat_nonce, jti),
                public_key,
                counter,
            )
            .map_err(|e| rejected(format!("the App Attest assertion was rejected: {e}")))
    }
}

fn verify(
    verifier: &AppAttestVerifier,
    evidence: &AppAttestEvidence,
    code: &EnrolmentCode,
    jwk: &PublicJwk,
    now: OffsetDateTime,
) -> Result<AppAttested, ApiError> {
    let key_id = decode_bounded(&evidence.key_id, 32, "app_attest.key_id", &STANDARD)?;
    let object = decode_bounded(
        &evidence.attestation,
        MAX_ATTESTATION_BYTES,
        "app_attest.attestation",
        &STANDARD,
    )?;
    let key = verifier
        .verify_attestation(&object, &key_id, &enrol_client_data_hash(code, jwk), now)
        .map_err(|e| rejected(format!("the App Attest attestation was rejected: {e}")))?;
    Ok(AppAttested {
        key_id: key.key_id,
        public_key: key.public_key,
        counter: key.counter,
        environment: key.environment,
        attested_at: now,
    })
}
