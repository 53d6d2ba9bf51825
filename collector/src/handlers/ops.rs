//! The operations endpoints (protocol §8.7): liveness, readiness and
//! metrics, for load balancers, orchestrators and Prometheus.

use agent_core::protocol::ProblemKind;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::admin::authorize;
use super::{json_response, respond};
use crate::collector::Collector;
use crate::metrics;
use crate::problem::ApiError;

/// `GET /healthz`: the process is up and answering (no database touch).
pub(crate) const HEALTHZ: &str = "/healthz";
/// `GET /readyz`: the database is reachable and its schema is current.
pub(crate) const READYZ: &str = "/readyz";
/// `GET /metrics`: Prometheus text exposition format.
pub(crate) const METRICS: &str = "/metrics";

/// How long a load balancer should wait before asking an unready collector
/// again.
const RETRY_AFTER_SECS: u64 = 5;

/// The routes of a separate, unauthenticated operations listener
/// (`--metrics-listen`): the same three, `/metrics` without the token.
pub(crate) fn router(collector: Collector) -> Router {
    Router::new()
        .route(HEALTHZ, get(healthz))
        .route(READYZ, get(readyz))
        .route(METRICS, get(metrics_open))
        .fallback(super::not_found)
        .method_not_allowed_fallback(super::method_not_allowed)
        .with_state(collector)
}

/// `GET /healthz`.
pub(crate) async fn healthz() -> Response {
    json_response(StatusCode::OK, &br#"{"status":"ok"}"#[..])
}

/// `GET /readyz`.
pub(crate) async fn readyz(State(c): State<Collector>) -> Response {
    match c.check_ready().await {
        Ok(()) => json_response(StatusCode::OK, &br#"{"status":"ready"}"#[..]),
        Err(e) => {
            c.inner.metrics.database_error();
            tracing::warn!("not ready: {e}");
            unavailable(format!("not ready: {e}"))
        }
    }
}

fn unavailable(detail: String) -> Response {
    let mut e = ApiError::new(ProblemKind::Unavailable, detail);
    e.retry_after = Some(RETRY_AFTER_SECS);
    e.into_response()
}

/// `GET /metrics` on the protocol listener: the admin token is required.
pub(crate) async fn metrics(State(c): State<Collector>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    respond(authorize(&c, &parts).and_then(|()| encode(&c)))
}

/// `GET /metrics` on the operations listener.
async fn metrics_open(State(c): State<Collector>) -> Response {
    respond(encode(&c))
}

fn encode(c: &Collector) -> Result<Response, ApiError> {
    let text = c
        .inner
        .metrics
        .encode()
        .map_err(|e| ApiError::internal(format!("encode the metrics: {e}")))?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        text,
    )
        .into_response())
}
