//! `GET /v1/evidence` (protocol §8.5): the audit evidence for a period,
//! as JSON; the CLI and a console render it as CSV or HTML.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::admin::{authorize, bad_request, query_param};
use super::{json_value, respond};
use crate::collector::Collector;
use crate::evidence::Period;
use crate::problem::ApiError;

/// `GET /v1/evidence?from=YYYY-MM-DD&to=YYYY-MM-DD`.
pub(crate) async fn evidence(State(c): State<Collector>, request: Request) -> Response {
    respond(evidence_inner(c, request).await)
}

async fn evidence_inner(c: Collector, request: Request) -> Result<Response, ApiError> {
    let (parts, _) = request.into_parts();
    authorize(&c, &parts)?;
    let from = query_param(&parts, "from");
    let to = query_param(&parts, "to");
    let period =
        Period::parse(from.as_deref(), to.as_deref()).map_err(|e| bad_request(e.to_string()))?;
    let report = tokio::task::spawn_blocking(move || c.evidence(&period))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(json_value(StatusCode::OK, &report))
}
