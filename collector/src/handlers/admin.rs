//! The reference collector's admin API (protocol §8): issue codes, fleet
//! summary, report export. Every request carries the admin bearer token.

use std::pin::Pin;
use std::task::{Context, Poll};

use agent_core::protocol::{IssueCodesRequest, IssueCodesResponse, ProblemKind, content_types};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::mpsc;

use super::{json_value, read_body, respond};
use crate::collector::{Collector, MAX_CODE_TTL_SECS, MAX_CODES, now};
use crate::problem::ApiError;
use crate::writer::IssueCmd;

/// The credentials of an `Authorization: Bearer <token>` header. The scheme
/// is case-insensitive (RFC 9110 §11.1), so `bearer` and `BEARER` count.
pub(crate) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

pub(crate) fn authorize(c: &Collector, parts: &Parts) -> Result<(), ApiError> {
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token);
    match token {
        Some(t) if c.is_admin(t) => Ok(()),
        _ => Err(ApiError::new(
            ProblemKind::Unauthorized,
            "send the collector's admin token as Authorization: Bearer <token>",
        )),
    }
}

/// The value of query parameter `name`, percent-decoded.
pub(super) fn query_param(parts: &Parts, name: &str) -> Option<String> {
    let query = parts.uri.query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub(super) fn bad_request(detail: impl Into<String>) -> ApiError {
    ApiError::new(ProblemKind::InvalidRequest, detail)
}

/// `POST /v1/admin/enrolment-codes`.
pub(crate) async fn issue_codes(State(c): State<Collector>, request: Request) -> Response {
    respond(issue_codes_inner(c, request).await)
}

async fn issue_codes_inner(c: Collector, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    authorize(&c, &parts)?;
    let bytes = read_body(&parts.headers, body, content_types::JSON).await?;
    let req: IssueCodesRequest = serde_json::from_slice(&bytes)
        .map_err(|e| bad_request(format!("not a code request: {e}")))?;
    let ttl_secs = req.ttl_secs.unwrap_or(c.inner.code_ttl_secs);
    if !(1..=MAX_CODES).contains(&req.count) {
        return Err(bad_request(format!("count must be 1 to {MAX_CODES}")));
    }
    if !(60..=MAX_CODE_TTL_SECS).contains(&ttl_secs) {
        return Err(bad_request(format!(
            "ttl_secs must be 60 to {MAX_CODE_TTL_SECS}"
        )));
    }
    let cmd = IssueCmd {
        count: req.count,
        ttl_secs,
        label: req.label,
        now: now(),
    };
    let codes = c.inner.store.issue_codes(cmd).await?;
    tracing::info!("issued {} enrolment codes", codes.len());
    Ok(json_value(
        StatusCode::CREATED,
        &IssueCodesResponse { codes },
    ))
}

/// `GET /v1/fleet`.
pub(crate) async fn fleet(State(c): State<Collector>, request: Request) -> Response {
    respond(fleet_inner(c, request).await)
}

async fn fleet_inner(c: Collector, request: Request) -> Result<Response, ApiError> {
    let (parts, _) = request.into_parts();
    authorize(&c, &parts)?;
    let stale_after = stale_after(&c, &parts)?;
    let summary = c
        .inner
        .store
        .fleet_summary(now(), stale_after)
        .await
        .map_err(ApiError::internal)?;
    Ok(json_value(StatusCode::OK, &summary))
}

/// The `stale_after_secs` query parameter, or the default.
pub(super) fn stale_after(c: &Collector, parts: &Parts) -> Result<u64, ApiError> {
    match query_param(parts, "stale_after_secs") {
        None => Ok(c.default_stale_after()),
        Some(v) => v.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            bad_request("stale_after_secs must be a whole number of seconds, at least 1")
        }),
    }
}

/// `GET /v1/fleet/devices/{device_id}`.
pub(crate) async fn device(
    State(c): State<Collector>,
    Path(device_id): Path<String>,
    request: Request,
) -> Response {
    respond(device_inner(c, device_id, request).await)
}

async fn device_inner(
    c: Collector,
    device_id: String,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, _) = request.into_parts();
    authorize(&c, &parts)?;
    let stale_after = stale_after(&c, &parts)?;
    let unknown = || ApiError::new(ProblemKind::NotFound, "no enrolled device has this id");
    // Device ids are short base64url ASCII (`dev_` and 16 random bytes);
    // anything else names no device.
    if device_id.len() > 64
        || !device_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(unknown());
    }
    let detail = c
        .inner
        .store
        .device_detail(device_id, now(), stale_after)
        .await
        .map_err(ApiError::internal)?;
    match detail {
        Some(d) => Ok(json_value(StatusCode::OK, &d)),
        None => Err(unknown()),
    }
}

/// `GET /.well-known/jwks.json`: the key that signs attestation results.
/// Public: a relying party needs no admin token to verify a result.
pub(crate) async fn jwks(State(c): State<Collector>) -> Response {
    json_value(StatusCode::OK, &c.jwks())
}

/// `GET /v1/reports/export`: JSON lines, streamed as they are read.
pub(crate) async fn export(State(c): State<Collector>, request: Request) -> Response {
    respond(export_inner(c, request))
}

fn export_inner(c: Collector, request: Request) -> Result<Response, ApiError> {
    let (parts, _) = request.into_parts();
    authorize(&c, &parts)?;
    let since = match query_param(&parts, "since") {
        None => None,
        Some(v) => Some(
            OffsetDateTime::parse(&v, &Rfc3339)
                .map_err(|_| bad_request("since must be an RFC 3339 time"))?,
        ),
    };
    let rx = c.inner.store.export(since).map_err(ApiError::internal)?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_types::JSON_LINES)],
        Body::new(ChannelBody { rx }),
    )
        .into_response())
}

/// A response body fed by the export thread.
struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|chunk| chunk.map(|b| Ok(Frame::data(b))))
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for value in ["Bearer abc", "bearer abc", "BEARER abc", "bEaReR  abc "] {
            assert_eq!(bearer_token(value), Some("abc"), "{value:?}");
        }
        for value in ["Basic abc", "Bearer", "Bearer ", "Bearerabc", "abc"] {
            assert_eq!(bearer_token(value), None, "{value:?}");
        }
    }
}
