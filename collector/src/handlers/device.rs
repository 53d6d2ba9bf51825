//! The device endpoints: enrol, challenge, reports, unenrol.

use std::net::SocketAddr;
use std::time::Instant;

use agent_core::Platform;
use agent_core::protocol::{EnrolRequest, ProblemKind, RequestPurpose, content_types};
use agent_core::token::VerifyingKey;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use time::OffsetDateTime;

use super::{json_response, json_value, read_body, respond, verify};
use crate::attestation::Attested;
use crate::attestation::app_attest::AppAttested;
use crate::codes::code_hash;
use crate::collector::{Collector, now};
use crate::problem::ApiError;
use crate::writer::{EnrolCmd, EnrolOutcome, ReportOutcome};

/// `POST /v1/enrol`.
pub(crate) async fn enrol(State(c): State<Collector>, request: Request) -> Response {
    let result = enrol_inner(c.clone(), request).await;
    let metrics = &c.inner.metrics;
    match &result {
        Ok(r) => metrics.enrolment_accepted(r.status() == StatusCode::OK),
        Err(e) => metrics.enrolment_rejected(e.kind()),
    }
    respond(result)
}

async fn enrol_inner(c: Collector, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let client = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    if let Some(wait) = client.and_then(|ip| c.inner.limiter.blocked(ip)) {
        return Err(ApiError::rate_limited(
            wait,
            "too many failed enrolment attempts from this address",
        ));
    }
    let bytes = read_body(&parts.headers, body, content_types::JSON).await?;
    let req: EnrolRequest = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            ProblemKind::InvalidRequest,
            format!("not an enrolment request: {e}"),
        )
    })?;
    if has_private_part(&bytes) {
        return Err(ApiError::new(
            ProblemKind::InvalidKey,
            "the JWK holds a private key (\"d\"); send the public key only",
        ));
    }
    let key = VerifyingKey::from_jwk(&req.jwk)
        .map_err(|e| ApiError::new(ProblemKind::InvalidKey, e.to_string()))?;
    let hash = code_hash(req.code.expose());
    let now = now();
    let checked = match check_attestation(&c, &req, &hash, now).await {
        Ok(a) => a,
        Err(e) => {
            if let Some(ip) = client {
                c.inner.limiter.record_failure(ip);
            }
            return Err(e);
        }
    };
    let (attested, app_attested) = checked;
    let cmd = EnrolCmd {
        code_hash: hash,
        key,
        jwk_json: serde_json::to_string(&req.jwk)
            .map_err(|e| ApiError::internal(format!("serialise a JWK: {e}")))?,
        platform: req.platform,
        agent_version: req.agent_version,
        attested,
        app_attested,
        now,
    };
    let pending = c.inner.metrics.writer_command();
    let answer = c.inner.store.enrol(cmd).await;
    drop(pending);
    match answer {
        Ok(EnrolOutcome::Created(answer)) => Ok(json_value(StatusCode::CREATED, &*answer)),
        Ok(EnrolOutcome::Repeated(answer)) => Ok(json_value(StatusCode::OK, &*answer)),
        Err(e) => {
            if matches!(
                e.kind(),
                Some(ProblemKind::InvalidEnrolmentCode | ProblemKind::AlreadyEnrolled)
            ) && let Some(ip) = client
            {
                c.inner.limiter.record_failure(ip);
            }
            Err(e)
        }
    }
}

/// Verifies the request's key attestation chain or App Attest object off
/// the async workers (it may re-read the status list file, and RSA chains
/// cost a millisecond). The Android challenge is the code's stored hash:
/// SHA-256 of the normalised code, as protocol §5.1 says the agent sets it.
async fn check_attestation(
    c: &Collector,
    req: &EnrolRequest,
    code_hash: &[u8],
    now: OffsetDateTime,
) -> Result<(Option<Attested>, Option<AppAttested>), ApiError> {
    if req.platform == Platform::Ios {
        let (c, evidence, code, jwk) = (
            c.clone(),
            req.app_attest.clone(),
            req.code.clone(),
            req.jwk.clone(),
        );
        let checked = tokio::task::spawn_blocking(move || {
            c.inner
                .app_attest
                .check(Platform::Ios, evidence.as_ref(), &code, &jwk, now)
        })
        .await
        .map_err(|e| ApiError::internal(format!("App Attest check: {e}")))??;
        return Ok((None, checked));
    }
    if req.platform != Platform::Android {
        return Ok((None, None));
    }
    let (c, chain, hash, jwk, platform) = (
        c.clone(),
        req.key_attestation.clone(),
        code_hash.to_vec(),
        req.jwk.clone(),
        req.platform,
    );
    tokio::task::spawn_blocking(move || {
        c.inner
            .attestation
            .check(platform, &chain, &hash, &jwk, now)
    })
    .await
    .map_err(|e| ApiError::internal(format!("key attestation check: {e}")))?
    .map(|a| (a, None))
}

/// Whether the request's `jwk` has a `d` member (serde drops it silently).
fn has_private_part(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Outer {
        jwk: serde_json::Map<String, serde_json::Value>,
    }
    serde_json::from_slice::<Outer>(body).is_ok_and(|o| o.jwk.contains_key("d"))
}

/// The token in a body: ASCII, surrounding whitespace ignored.
fn token_text(bytes: &Bytes) -> Result<&str, ApiError> {
    std::str::from_utf8(bytes)
        .map(str::trim)
        .ok()
        .filter(|t| t.is_ascii())
        .ok_or_else(|| ApiError::new(ProblemKind::InvalidToken, "the token is not ASCII"))
}

/// `POST /v1/reports`.
pub(crate) async fn report(State(c): State<Collector>, request: Request) -> Response {
    let started = Instant::now();
    let result = report_inner(c.clone(), request).await;
    let metrics = &c.inner.metrics;
    match &result {
        Ok(r) => metrics.report_accepted(r.status() == StatusCode::OK),
        Err(e) => metrics.report_rejected(e.kind()),
    }
    metrics.observe_report(started.elapsed());
    respond(result)
}

async fn report_inner(c: Collector, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let bytes = read_body(&parts.headers, body, content_types::EAT_JWT).await?;
    // ECDSA verification (~60-80 µs) runs right here on the request's
    // worker: shorter than a spawn_blocking round trip is worth.
    let token = token_text(&bytes)?;
    verify::fetch_key(&c.inner, token).await;
    let now = now();
    let verifying = Instant::now();
    let signed = verify::report_token(&c.inner, token, now)?;
    let fresh = if signed.has_fresh_chain_to_check() {
        // Off the async workers, as at enrolment (status list file, RSA).
        let (c, chain, nonce, kid) = (
            c.clone(),
            signed.claims.key_attestation.clone(),
            signed.claims.eat_nonce.as_str().to_owned(),
            signed.kid.clone(),
        );
        let checked = tokio::task::spawn_blocking(move || {
            c.inner.attestation.check_report(&chain, &nonce, &kid, now)
        })
        .await
        .map_err(|e| ApiError::internal(format!("key attestation check: {e}")))??;
        Some(checked)
    } else {
        None
    };
    let history = c
        .inner
        .store
        .failure_history(signed.entry.device_id.as_str(), &c.inner.failures)
        .await
        .map_err(ApiError::internal)?;
    let cmd = verify::report(&c.inner, signed, token, fresh, &history, now)?;
    // Refused reports are not timed: most fail fast, and would hide the
    // cost of the ones that are stored.
    c.inner.metrics.observe_verification(verifying.elapsed());
    let pending = c.inner.metrics.writer_command();
    let answer = c.inner.store.report(cmd).await;
    drop(pending);
    match answer? {
        ReportOutcome::New(ack) => Ok(json_response(StatusCode::CREATED, ack)),
        ReportOutcome::Resent(ack) => Ok(json_response(StatusCode::OK, ack)),
    }
}

/// `POST /v1/challenge`.
pub(crate) async fn challenge(State(c): State<Collector>, request: Request) -> Response {
    respond(request_inner(c, request, RequestPurpose::Challenge).await)
}

/// `POST /v1/unenrol`.
pub(crate) async fn unenrol(State(c): State<Collector>, request: Request) -> Response {
    respond(request_inner(c, request, RequestPurpose::Unenrol).await)
}

async fn request_inner(
    c: Collector,
    request: Request,
    purpose: RequestPurpose,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let bytes = read_body(&parts.headers, body, content_types::JWT).await?;
    let token = token_text(&bytes)?;
    verify::fetch_key(&c.inner, token).await;
    let cmd = verify::request(&c.inner, token, purpose, now())?;
    match purpose {
        RequestPurpose::Challenge => {
            let _pending = c.inner.metrics.writer_command();
            let answer = c.inner.store.challenge(cmd).await?;
            Ok(json_value(StatusCode::OK, &answer))
        }
        RequestPurpose::Unenrol => {
            let _pending = c.inner.metrics.writer_command();
            let answer = c.inner.store.unenrol(cmd).await?;
            tracing::info!("device {} unenrolled", answer.device_id);
            Ok(json_value(StatusCode::OK, &answer))
        }
    }
}
