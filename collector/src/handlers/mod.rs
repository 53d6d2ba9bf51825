//! The HTTP surface: routes, body limits, content types, and problems for
//! everything that is not a protocol answer.

mod admin;
mod device;
mod evidence;
pub(crate) mod ops;
mod relying_party;
mod verify;
mod webhooks;

pub(crate) use admin::bearer_token;

use agent_core::protocol::{ProblemKind, content_types, limits, paths};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::collector::Collector;
use crate::problem::ApiError;

/// Every v1 route, with problem+json for unknown paths and methods.
pub(crate) fn router(collector: Collector) -> Router {
    Router::new()
        .route(paths::ENROL, post(device::enrol))
        .route(paths::CHALLENGE, post(device::challenge))
        .route(paths::REPORTS, post(device::report))
        .route(paths::UNENROL, post(device::unenrol))
        .route(paths::ENROLMENT_CODES, post(admin::issue_codes))
        .route(paths::FLEET, get(admin::fleet))
        .route(paths::FLEET_DEVICE, get(admin::device))
        .route(paths::JWKS, get(admin::jwks))
        .route(paths::EVIDENCE, get(evidence::evidence))
        .route(paths::REPORTS_EXPORT, get(admin::export))
        .route(ops::HEALTHZ, get(ops::healthz))
        .route(ops::READYZ, get(ops::readyz))
        .route(ops::METRICS, get(ops::metrics))
        .route(paths::WEBHOOKS, get(webhooks::status))
        .route(paths::DEVICE_COMPLIANCE, get(relying_party::by_id))
        .route(paths::COMPLIANCE, get(relying_party::by_jkt))
        .route(
            paths::CLOUDFLARE_DEVICE_POSTURE,
            post(relying_party::cloudflare_posture),
        )
        .merge(crate::console::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(collector)
}

pub(crate) async fn not_found() -> Response {
    ApiError::new(ProblemKind::NotFound, "no such endpoint").into_response()
}

/// axum adds the `Allow` header to this answer itself.
pub(crate) async fn method_not_allowed() -> Response {
    ApiError::new(
        ProblemKind::MethodNotAllowed,
        "the endpoint does not take this method",
    )
    .into_response()
}

/// 415 unless the `Content-Type` (parameters ignored) is `expected`.
fn check_content_type(headers: &HeaderMap, expected: &str) -> Result<(), ApiError> {
    let found = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    match found {
        Some(t) if t.eq_ignore_ascii_case(expected) => Ok(()),
        Some(t) => Err(ApiError::new(
            ProblemKind::UnsupportedMediaType,
            format!("this endpoint takes {expected}, not {t}"),
        )),
        None => Err(ApiError::new(
            ProblemKind::UnsupportedMediaType,
            format!("this endpoint takes {expected}; the request has no Content-Type"),
        )),
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        ProblemKind::PayloadTooLarge,
        format!("request bodies are at most {limit} bytes"),
    )
}

/// Checks the content type, then reads the body, stopping at the limit
/// (a declared `Content-Length` over it is refused before reading).
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    expected: &str,
) -> Result<Bytes, ApiError> {
    read_body_limited(headers, body, expected, limits::MAX_BODY_BYTES).await
}

/// [`read_body`] with another limit than the protocol's 64 KiB, for an
/// endpoint whose caller documents larger bodies.
pub(crate) async fn read_body_limited(
    headers: &HeaderMap,
    body: Body,
    expected: &str,
    limit: usize,
) -> Result<Bytes, ApiError> {
    check_content_type(headers, expected)?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large(limit)),
        Err(e) => Err(ApiError::new(
            ProblemKind::InvalidRequest,
            format!("the request body could not be read: {e}"),
        )),
    }
}

/// A JSON answer.
pub(crate) fn json_response(status: StatusCode, body: impl Into<Body>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, content_types::JSON)],
        body.into(),
    )
        .into_response()
}

/// Serialises `value` as a JSON answer.
pub(crate) fn json_value<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => json_response(status, bytes),
        Err(e) => ApiError::internal(format!("serialise an answer: {e}")).into_response(),
    }
}

/// Turns a handler's result into the answer.
pub(crate) fn respond(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}
