//! Token verification on the request threads, before the writer is asked:
//! agent-core's verifier, then the checks only a server can make (the
//! device behind `kid`, the report's age, the posture schema), then the
//! server's own verdict.

use agent_core::Platform;
use agent_core::posture::POSTURE_SCHEMA_VERSION;
use agent_core::protocol::{ProblemKind, RequestPurpose, limits};
use agent_core::token::{NonceCheck, ReplayCache, ReplayError, VerifyError};
use ring::digest::{SHA256, digest};
use time::OffsetDateTime;

use crate::assurance::{Appraisal, Evidence, appraise};
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

/// Verifies a report token and evaluates its posture (protocol §5.3).
pub(crate) fn report(
    inner: &Inner,
    token: &str,
    now: OffsetDateTime,
) -> Result<ReportCmd, ApiError> {
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
    let policy = &inner.settings.policy;
    // Evaluated at `iat`, so the server reaches the verdict the device
    // should have; attested values replace reported ones (protocol §5.3.1).
    let attested = entry.attested.as_deref();
    let Appraisal {
        verdict,
        assessment,
    } = appraise(
        &Evidence {
            posture: &claims.posture,
            attested,
            reported_at: at(claims.iat),
        },
        policy,
        at(claims.iat),
        inner.settings.min_assurance,
    );
    let attestation_result = inner
        .signer
        .sign(&ear::claims(&Subject {
            device_id: entry.device_id.as_str(),
            jkt: &verified.kid,
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
        jti: claims.jti,
        token: token.to_owned(),
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
