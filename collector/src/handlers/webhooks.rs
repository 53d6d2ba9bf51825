//! `GET /v1/admin/webhooks`: what each webhook endpoint delivered, has
//! pending and gave up, with its latest error (protocol §8.6).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::admin::authorize;
use super::{json_value, respond};
use crate::collector::Collector;
use crate::problem::ApiError;

pub(crate) async fn status(State(c): State<Collector>, request: Request) -> Response {
    respond(status_inner(c, request).await)
}

async fn status_inner(c: Collector, request: Request) -> Result<Response, ApiError> {
    let (parts, _) = request.into_parts();
    authorize(&c, &parts)?;
    let webhooks = tokio::task::spawn_blocking(move || c.webhook_status())
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(json_value(
        StatusCode::OK,
        &serde_json::json!({ "webhooks": webhooks }),
    ))
}
