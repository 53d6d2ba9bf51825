//! Android Key Attestation at enrolment (protocol §5.1): the chain a device
//! sends is verified against the trust anchors, with the enrolment code's
//! hash as challenge, the enrolled JWK as leaf key and the status list; what
//! it vouches for is kept as a summary, never the device identifiers (ID
//! attestation) it may carry.

pub(crate) mod app_attest;

pub use app_attest::{AppAttestConfig, app_attest_roots_from_pem_file};

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use agent_core::Platform;
use agent_core::keys::PublicJwk;
use agent_core::protocol::{
    AttestedBootState, AttestedSecurityLevel, KeyAttestationSummary, ProblemKind, Provenance,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use posture_attestation::chain::{MAX_CERT_BYTES, MAX_CHAIN_LEN, pem_certificates};
use posture_attestation::description::{AuthorizationList, VerifiedBootState};
use posture_attestation::revocation::MAX_STATUS_LIST_BYTES;
use posture_attestation::{
    Assurance, Chain, ExpectedKey, Options, SecurityLevel, StatusList, TrustedRoots, Verified,
    Verifier,
};
use time::OffsetDateTime;

use crate::config::AttestationConfig;
use crate::error::CollectorError;
use crate::problem::ApiError;

pub(crate) mod pin;
mod policy;
mod status_url;

pub(crate) use policy::Rules;
pub use policy::{AllowedApp, AttestationPolicy, BootKey, MinSecurityLevel};
use status_url::{StatusFeed, UrlSource};
pub use status_url::{StatusRefresh, StatusUrl};

/// Largest roots file read, in bytes.
const MAX_ROOTS_FILE_BYTES: u64 = 1024 * 1024;

/// Reads trust anchors from a PEM file of certificates (a private CA, or a
/// test root), to put in [`AttestationConfig::roots`].
pub fn roots_from_pem_file(path: &Path) -> Result<TrustedRoots, CollectorError> {
    let bytes = read_regular(path, MAX_ROOTS_FILE_BYTES).map_err(|e| {
        CollectorError::Config(format!(
            "the attestation roots file {}: {e}",
            path.display()
        ))
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        CollectorError::Config(format!(
            "the attestation roots file {} is not PEM text",
            path.display()
        ))
    })?;
    let bad = |e: posture_attestation::VerifyError| {
        CollectorError::Config(format!(
            "the attestation roots file {}: {e}",
            path.display()
        ))
    };
    let certs = pem_certificates(&text).map_err(bad)?;
    TrustedRoots::from_certificates(&certs).map_err(bad)
}

/// A chain that verified: who vouches for the key, and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attested {
    pub provenance: Provenance,
    pub summary: KeyAttestationSummary,
    /// A digest of the attested app (package names and signers), to
    /// check that a later chain comes from the same app.
    pub app_identity: Option<String>,
}

/// The enrolment-time checker, built once from [`AttestationConfig`].
#[derive(Debug)]
pub(crate) struct KeyAttestation {
    verifier: Verifier,
    status: Option<StatusFeed>,
    required_for: Vec<Platform>,
    allow_software: bool,
    rules: Rules,
}

fn rejected(detail: impl Into<String>) -> ApiError {
    ApiError::new(ProblemKind::KeyAttestationRejected, detail)
}

impl KeyAttestation {
    /// Loads the trust anchors and the status list; fails on a setting that
    /// cannot work (a status file that does not read, an unsupported platform).
    pub fn new(config: AttestationConfig) -> Result<KeyAttestation, CollectorError> {
        if let Some(p) = config
            .required_for
            .iter()
            .find(|p| !matches!(p, Platform::Android | Platform::Ios))
        {
            return Err(CollectorError::Config(format!(
                "key attestation can be required only for android and ios; {} attestation is not verified yet",
                crate::store::name_of(p)
            )));
        }
        let rules = Rules::from_config(&config)?;
        let roots = match config.roots {
            Some(roots) => roots,
            None => TrustedRoots::google()
                .map_err(|e| CollectorError::Config(format!("Google's attestation roots: {e}")))?,
        };
        let status = match (config.status_url, config.status_file) {
            (Some(url), fallback) => Some(StatusFeed::Url(UrlSource::open(url, fallback)?)),
            (None, Some(path)) => Some(StatusFeed::File(StatusSource::open(path)?)),
            (None, None) => None,
        };
        Ok(KeyAttestation {
            verifier: Verifier::new(roots),
            status,
            required_for: config.required_for,
            allow_software: config.allow_software,
            rules,
        })
    }

    /// Fetches the status list now (URL sources only).
    pub fn refresh_status(&self) -> Result<StatusRefresh, String> {
        match &self.status {
            Some(StatusFeed::Url(u)) => u.refresh_now(),
            _ => Err("the attestation status list does not come from a URL".into()),
        }
    }

    /// Checks an enrolment's chain (`key_attestation`, base64 DER, leaf
    /// first) at `now`: `challenge` is the normalised code's SHA-256 and
    /// `jwk` the key being enrolled. `Ok(None)`: no chain to check (not
    /// Android, or none sent and none required).
    pub fn check(
        &self,
        platform: Platform,
        chain: &[String],
        challenge: &[u8],
        jwk: &PublicJwk,
        now: OffsetDateTime,
    ) -> Result<Option<Attested>, ApiError> {
        if platform != Platform::Android {
            return Ok(None);
        }
        let result = if chain.is_empty() {
            if !self.required_for.contains(&platform) {
                return Ok(None);
            }
            Err(rejected(
                "this collector requires a hardware key attestation chain for android enrolments, and the request has none (key_attestation)",
            ))
        } else {
            let key = ExpectedKey::Jwk {
                x: jwk.x.clone(),
                y: jwk.y.clone(),
            };
            decode_chain(chain).and_then(|chain| self.verify(&chain, challenge, Some(&key), now))
        };
        match result {
            Ok(attested) => Ok(Some(attested)),
            Err(e) => {
                // The detail names the check that failed, never an ID field.
                tracing::info!(
                    "enrolment refused: {}",
                    e.problem.detail.as_deref().unwrap_or_default()
                );
                Err(e)
            }
        }
    }

    /// Checks a report's fresh chain (protocol §5.3.3) at `now`, exactly as an
    /// enrolment's but with the report's challenge (over `eat_nonce` and
    /// the device key's `kid`) and no expected leaf key: the leaf is a
    /// throwaway key, not the device key.
    pub fn check_report(
        &self,
        chain: &[String],
        eat_nonce: &str,
        kid: &str,
        now: OffsetDateTime,
    ) -> Result<Attested, ApiError> {
        let challenge = agent_core::protocol::report_attestation_challenge(eat_nonce, kid);
        decode_chain(chain)
            .and_then(|chain| self.verify_with(&chain, &challenge, None, now, true))
            .map_err(|e| {
                let detail = e.problem.detail.as_deref().unwrap_or_default();
                tracing::info!("report refused: its fresh {detail}");
                ApiError::new(
                    ProblemKind::KeyAttestationRejected,
                    format!("the report's fresh key attestation: {detail}"),
                )
            })
    }

    /// Verifies a decoded chain for `challenge` and, when given, `key`.
    pub fn verify(
        &self,
        chain: &Chain,
        challenge: &[u8],
        key: Option<&ExpectedKey>,
        now: OffsetDateTime,
    ) -> Result<Attested, ApiError> {
        self.verify_with(chain, challenge, key, now, false)
    }

    /// [`KeyAttestation::verify`]; with `refuse_ids`, a chain whose key
    /// carries ID attestation is refused too. A report's token is stored
    /// as received, so its fresh chain must not hold device identifiers.
    fn verify_with(
        &self,
        chain: &Chain,
        challenge: &[u8],
        key: Option<&ExpectedKey>,
        now: OffsetDateTime,
        refuse_ids: bool,
    ) -> Result<Attested, ApiError> {
        let status = self.status.as_ref().map(StatusFeed::current);
        let options = Options {
            at: now,
            allow_software: self.allow_software,
            challenge: Some(challenge),
            leaf_key: key,
            status: status.as_deref(),
        };
        let verified = self
            .verifier
            .verify(chain, &options)
            .map_err(|e| rejected(format!("the key attestation chain was rejected: {e}")))?;
        self.rules
            .check(&verified)
            .map_err(|v| rejected(format!("the key attestation chain was rejected: {v}")))?;
        if refuse_ids {
            let d = &verified.description;
            // Which fields only, never their values.
            let present: Vec<&str> = [&d.hardware_enforced.ids, &d.software_enforced.ids]
                .iter()
                .flat_map(|ids| ids.fields())
                .filter_map(|(name, value)| value.map(|_| name))
                .collect();
            if !present.is_empty() {
                return Err(rejected(format!(
                    "the key attestation chain was rejected: it carries ID attestation ({}); make the throwaway key without device identifiers",
                    present.join(", ")
                )));
            }
        }
        Ok(summarise(&verified, now))
    }
}

/// Base64 DER certificates to a chain, bounded before decoding.
fn decode_chain(items: &[String]) -> Result<Chain, ApiError> {
    if items.len() > MAX_CHAIN_LEN {
        return Err(rejected(format!(
            "key_attestation has {} certificates; a chain has at most {MAX_CHAIN_LEN}",
            items.len()
        )));
    }
    let max_text = MAX_CERT_BYTES.div_ceil(3) * 4;
    let mut ders = Vec::with_capacity(items.len());
    for (i, text) in items.iter().enumerate() {
        if text.len() > max_text {
            return Err(rejected(format!(
                "certificate {i} of key_attestation is over {MAX_CERT_BYTES} bytes"
            )));
        }
        let der = STANDARD.decode(text).map_err(|e| {
            rejected(format!(
                "certificate {i} of key_attestation is not base64 (standard alphabet, padded): {e}"
            ))
        })?;
        ders.push(der);
    }
    Chain::from_der(ders).map_err(|e| rejected(format!("the key attestation chain: {e}")))
}

/// What a verified chain vouches for. With hardware assurance only the
/// hardware-enforced list counts: Android enforces the other one itself.
fn summarise(v: &Verified, now: OffsetDateTime) -> Attested {
    let d = &v.description;
    let hardware = v.assurance == Assurance::Hardware;
    let pick = |f: &dyn Fn(&AuthorizationList) -> Option<i64>| {
        f(&d.hardware_enforced).or_else(|| {
            if hardware {
                None
            } else {
                f(&d.software_enforced)
            }
        })
    };
    let root = policy::root_of_trust(v);
    let summary = KeyAttestationSummary {
        security_level: match v.security_level {
            SecurityLevel::Software => AttestedSecurityLevel::Software,
            SecurityLevel::TrustedEnvironment => AttestedSecurityLevel::Tee,
            SecurityLevel::StrongBox => AttestedSecurityLevel::Strongbox,
        },
        attestation_version: d.attestation_version,
        verified_boot_state: root.map(|r| match r.verified_boot_state {
            VerifiedBootState::Verified => AttestedBootState::Verified,
            VerifiedBootState::SelfSigned => AttestedBootState::SelfSigned,
            VerifiedBootState::Unverified => AttestedBootState::Unverified,
            VerifiedBootState::Failed => AttestedBootState::Failed,
        }),
        device_locked: root.map(|r| r.device_locked),
        os_version: pick(&|l| l.os_version),
        os_patch_level: pick(&|l| l.os_patch_level.map(|p| p.0)),
        vendor_patch_level: pick(&|l| l.vendor_patch_level.map(|p| p.0)),
        boot_patch_level: pick(&|l| l.boot_patch_level.map(|p| p.0)),
        verified_boot_key_sha256: root
            .filter(|r| !r.verified_boot_key.is_empty())
            .map(|r| hex(&r.verified_boot_key)),
        attested_at: now,
    };
    Attested {
        provenance: if hardware {
            Provenance::Hardware
        } else {
            Provenance::SoftwareAttestation
        },
        summary,
        app_identity: policy::app_identity(v),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The status list file and the last copy of it that parsed.
struct StatusSource {
    path: PathBuf,
    state: Mutex<StatusState>,
}

struct StatusState {
    /// Modification time and length of the file last read (good or not).
    stamp: Option<(SystemTime, u64)>,
    list: Arc<StatusList>,
}

impl fmt::Debug for StatusSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusSource")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn stamp_of(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Reads at most `limit` bytes of a regular file (a FIFO or a device
/// named by mistake would block the collector or never end).
fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file; give the path of a file".into());
    }
    if meta.len() > limit {
        return Err(format!("larger than the {limit} bytes accepted"));
    }
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|f| f.take(limit.saturating_add(1)).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("larger than the {limit} bytes accepted"));
    }
    Ok(bytes)
}

/// Reads and parses the status list, bounded; the stamp is taken first, so
/// a change during the read is seen at the next look.
fn read_status(path: &Path) -> Result<(Option<(SystemTime, u64)>, StatusList), String> {
    let stamp = stamp_of(path);
    let max = u64::try_from(MAX_STATUS_LIST_BYTES).unwrap_or(u64::MAX);
    let bytes = read_regular(path, max)?;
    let list = StatusList::from_json(&bytes).map_err(|e| e.to_string())?;
    Ok((stamp, list))
}

impl StatusSource {
    fn open(path: PathBuf) -> Result<StatusSource, CollectorError> {
        let (stamp, list) = read_status(&path).map_err(|e| {
            CollectorError::Config(format!(
                "the attestation status list {}: {e}",
                path.display()
            ))
        })?;
        tracing::info!(
            "attestation status list {}: {} entries",
            path.display(),
            list.len()
        );
        Ok(StatusSource {
            path,
            state: Mutex::new(StatusState {
                stamp,
                list: Arc::new(list),
            }),
        })
    }

    /// The list, re-read first when the file changed since the last read;
    /// when the re-read fails, the last good copy (and one warning).
    fn current(&self) -> Arc<StatusList> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let stamp = stamp_of(&self.path);
        if stamp == state.stamp {
            return state.list.clone();
        }
        match read_status(&self.path) {
            Ok((stamp, list)) => {
                tracing::info!(
                    "attestation status list {} re-read: {} entries",
                    self.path.display(),
                    list.len()
                );
                state.stamp = stamp;
                state.list = Arc::new(list);
            }
            Err(e) => {
                tracing::warn!(
                    "attestation status list {} could not be re-read ({e}); keeping the last good copy ({} entries) until the file changes again",
                    self.path.display(),
                    state.list.len()
                );
                state.stamp = stamp;
            }
        }
        state.list.clone()
    }
}

#[cfg(test)]
mod tests;
