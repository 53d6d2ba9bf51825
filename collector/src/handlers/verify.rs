//! Token verification on the request threads, before the writer is asked:
//! agent-core's verifier, then the checks only a server can make (the
//! device behind `kid`, the report's age, the posture schema), then the
//! server's own verdict.

use agent_core::Platform;
use agent_core::policy::FailureHistory;
use agent_core::posture::POSTURE_SCHEMA_VERSION;
use agent_core::protocol::{ProblemKind, RequestPurpose, limits};
use agent_core::token::{NonceCheck, ReplayCache, ReplayError, VerifyError};
use ring::digest::{SHA256, digest};
use time::OffsetDateTime;

use crate::assurance::{Appraisal, Evidence, appraise};
use crate::attestation::{Attested, pin};
use crate::collector::Inner;
use crate::ear::{self, Subject};
use crate::keys::KeyEntry;
use crate::problem::ApiError;
use crate::store::at;
use crate::writer::{ReportCmd, RequestCmd};

/// The verifier's replay step is deferred: the writer checks each `jti`
/// inside the transaction that acts on it (the reports table for reports,
/// `request_jtis` for request tokens), so the check and the effect are
/// atomic and a resent report can get its stored acknowledgement.
struct CheckedByWriter;

impl ReplayCache for CheckedByWriter {
    fn insert_if_new(&self, _jti: &str, _exp: i64) -> Result<bool, ReplayError> {
        Ok(true)
    }
}

/// On a shared database, reads the key a token names from the database
/// for every request, into the cache: another collector process may have
/// enrolled or unenrolled the device, broken its attestation pin or moved
/// the pin up, and the verdict is made from that entry. One indexed query
/// per request. SQLite's cache is complete and current (one process), so
/// nothing is done there.
pub(crate) async fn fetch_key(inner: &Inner, token: &str) {
    if !inner.store.is_shared() {
        return;
    }
    let Some(kid) = header_kid(token) else {
        return;
    };
    if let Err(e) = inner.store.lookup_key(&kid).await {
        // The verifier then answers unknown-device; the cause is logged.
        tracing::error!("looking up a device key: {e}");
    }
}

/// The `kid` of a JWS's protected header, unverified (the verifier checks
/// everything else); `None` when the header does not parse.
fn header_kid(token: &str) -> Option<String> {
    use base64::Engine;
    #[derive(serde::Deserialize)]
    struct Header {
        kid: Option<String>,
    }
    let header = token.split('.').next()?;
    // A header is a few hundred bytes; a longer one is not looked up.
    if header.len() > 4096 {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()?;
    serde_json::from_slice::<Header>(&bytes).ok()?.kid
}

fn device_for(inner: &Inner, kid: &str, sub: &str) -> Result<KeyEntry, ApiError> {
    let entry = inner.keys.get(kid).ok_or_else(|| {
        ApiError::new(
            ProblemKind::UnknownDevice,
            "no enrolled device has this key",
        )
    })?;
    if entry.device_id.as_str() != sub {
        return Err(ApiError::new(
            ProblemKind::UnknownDevice,
            "sub names another device than the signing key's",
        ));
    }
    Ok(entry)
}

/// A report token whose signature, device, age and schema checked out.
pub(crate) struct SignedReport {
    pub claims: agent_core::token::Claims,
    /// The device key's `kid` (RFC 7638 thumbprint).
    pub kid: String,
    pub entry: KeyEntry,
}

impl SignedReport {
    /// Whether the report's fresh key attestation is to be checked: the
    /// device has a pinned Android key attestation (protocol §5.3.3; the
    /// claim is ignored otherwise).
    pub fn has_fresh_chain_to_check(&self) -> bool {
        !self.claims.key_attestation.is_empty()
            && self.claims.posture.platform == Platform::Android
            && self.entry.attested.is_some()
    }
}

/// Verifies a report token (protocol §5.3): agent-core's verifier, the
/// device behind `kid`, the report's age and the posture schema.
pub(crate) fn report_token(
    inner: &Inner,
    token: &str,
    now: OffsetDateTime,
) -> Result<SignedReport, ApiError> {
    let verifier = &inner.verifier;
    let keys = &*inner.keys;
    let verified = match verifier.verify(token, keys, NonceCheck::ByCaller, &CheckedByWriter, now) {
        Ok(v) => v,
        // A report collected offline and delivered after its `exp` is still
        // evidence of its time (protocol §6): verify it as of its expiry,
        // accept it as historical; the 30-day limit on `iat` applies below.
        Err(VerifyError::Expired { exp, .. }) => verifier
            .verify(
                token,
                keys,
                NonceCheck::ByCaller,
                &CheckedByWriter,
                at(exp - 1),
            )
            .map_err(|e| ApiError::from_verify(&e))?,
        Err(e) => return Err(ApiError::from_verify(&e)),
    };
    let claims = verified.claims;
    let entry = device_for(inner, &verified.kid, claims.sub.as_str())?;
    let oldest = now.unix_timestamp()
        - i64::try_from(limits::MAX_HISTORICAL_AGE_SECS).unwrap_or(i64::MAX / 2);
    if claims.iat < oldest {
        return Err(ApiError::new(
            ProblemKind::ExpiredToken,
            "the report is more than 30 days old",
        ));
    }
    if claims.posture.schema_version != POSTURE_SCHEMA_VERSION {
        return Err(ApiError::new(
            ProblemKind::InvalidPosture,
            format!(
                "posture schema version {} is not supported (this collector reads {POSTURE_SCHEMA_VERSION})",
                claims.posture.schema_version
            ),
        ));
    }
    Ok(SignedReport {
        claims,
        kid: verified.kid,
        entry,
    })
}

/// Evaluates a verified report's posture (protocol §5.3.1) with `fresh`,
/// the values of its verified fresh key attestation, if it had one.
pub(crate) fn report(
    inner: &Inner,
    signed: SignedReport,
    token: &str,
    fresh: Option<Attested>,
    history: &FailureHistory,
    now: OffsetDateTime,
) -> Result<ReportCmd, ApiError> {
    let SignedReport { claims, kid, entry } = signed;
    let policy = &inner.settings.policy;
    // A fresh chain that keeps to the pin vouches for this report; one
    // that does not is refused by the writer, which holds the pin.
    let pinned = entry.attested.as_deref();
    let fresh_kept = fresh.as_ref().filter(|f| {
        !entry.pin_broken
            && pinned.is_none_or(|p| pin::downgrades(&p.summary, &f.summary).is_empty())
    });
    let attested = fresh_kept.or(pinned);
    // Evaluated at `iat`, so the server reaches the verdict the device
    // should have; attested values replace reported ones (protocol §5.3.1).
    let Appraisal {
        verdict,
        assessment,
    } = appraise(
        &Evidence {
            posture: &claims.posture,
            attested,
            reported_at: at(claims.iat),
            pin_broken: entry.pin_broken,
            history,
            app_asserted: claims.posture.platform == Platform::Ios
                && claims.app_attest.is_some()
                && inner.app_attest.verifier().is_some(),
        },
        policy,
        at(claims.iat),
        inner.settings.min_assurance,
    );
    let attestation_result = inner
        .signer
        .sign(&ear::claims(&Subject {
            device_id: entry.device_id.as_str(),
            jkt: &kid,
            verdict: &verdict,
            assessment: &assessment,
            attested,
            iat: now.unix_timestamp(),
            lifetime_secs: inner.settings.checkin_interval_secs,
        }))
        .map_err(ApiError::internal)?;
    let used = &claims.verdict.policy;
    Ok(ReportCmd {
        token_sha256: digest(&SHA256, token.as_bytes()).as_ref().to_vec(),
        device_id: entry.device_id,
        exp: claims.exp,
        iat: claims.iat,
        eat_nonce: claims.eat_nonce.as_str().to_owned(),
        verdict,
        assessment,
        attestation_result,
        send_policy: used.name != policy.name || used.revision != policy.revision,
        reported_os_patch_level: (claims.posture.platform == Platform::Android)
            .then(|| claims.posture.security_patch.value())
            .flatten()
            .map(|p| i64::from(p.0.year()) * 100 + i64::from(u8::from(p.0.month()))),
        app_attest: claims.app_attest,
        fresh,
        jti: claims.jti,
        token: token.to_owned(),
        posture: Box::new(claims.posture),
        now,
    })
}

/// Verifies a device request token for `purpose` (protocol §4.2); the
/// writer then checks its `jti` and, for unenrol, its nonce.
pub(crate) fn request(
    inner: &Inner,
    token: &str,
    purpose: RequestPurpose,
    now: OffsetDateTime,
) -> Result<RequestCmd, ApiError> {
    let verified = inner
        .verifier
        .verify_request(token, &*inner.keys, purpose, &CheckedByWriter, now)
        .map_err(|e| ApiError::from_verify(&e))?;
    let claims = verified.claims;
    // The verifier allows clock skew past `exp`; the protocol does not.
    if now.unix_timestamp() > claims.exp {
        return Err(ApiError::new(
            ProblemKind::ExpiredToken,
            "the request token has expired",
        ));
    }
    let entry = device_for(inner, &verified.kid, claims.sub.as_str())?;
    Ok(RequestCmd {
        device_id: entry.device_id,
        jti: claims.jti,
        exp: claims.exp,
        eat_nonce: claims.eat_nonce,
        now,
    })
}
