//! The relying-party API (protocol §11): compliance by device id or key
//! thumbprint, and Cloudflare Access's device posture check. Each request
//! carries a relying-party token with the endpoint's scope; the admin
//! token is not one.

use std::collections::BTreeMap;

use agent_core::protocol::{
    ComplianceAnswer, FleetDevice, ProblemKind, SCOPE_CLOUDFLARE_POSTURE, SCOPE_COMPLIANCE_READ,
    content_types,
};
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::admin::{query_param, stale_after};
use super::{json_value, read_body_limited, respond};
use crate::collector::{Collector, now};
use crate::problem::ApiError;
use crate::relying_party::cloudflare::{self, DeviceScore, PostureRequest, PostureResponse};
use crate::relying_party::{GatewayLinks, answer_by_id, answer_by_jkt};

/// Length of an RFC 7638 SHA-256 thumbprint in base64url, unpadded.
const JKT_LEN: usize = 43;

/// `GET /v1/devices/{device_id}/compliance`.
pub(crate) async fn by_id(
    State(c): State<Collector>,
    Path(device_id): Path<String>,
    request: Request,
) -> Response {
    respond(by_id_inner(c, device_id, request).await)
}

async fn by_id_inner(
    c: Collector,
    device_id: String,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, _) = request.into_parts();
    let party = c
        .inner
        .relying_parties
        .authorize(&parts.headers, SCOPE_COMPLIANCE_READ)?;
    tracing::debug!("compliance of {device_id} for {:?}", party.name());
    let stale_after = stale_after(&c, &parts)?;
    let unknown = || ApiError::new(ProblemKind::NotFound, "no enrolled device has this id");
    if !crate::relying_party::is_device_id(&device_id) {
        return Err(unknown());
    }
    let answer = blocking(move || answer_by_id(&c, &device_id, stale_after, now())).await?;
    answer.map(no_store).ok_or_else(unknown)
}

/// `GET /v1/compliance?jkt=THUMBPRINT`.
pub(crate) async fn by_jkt(State(c): State<Collector>, request: Request) -> Response {
    respond(by_jkt_inner(c, request).await)
}

async fn by_jkt_inner(c: Collector, request: Request) -> Result<Response, ApiError> {
    let (parts, _) = request.into_parts();
    c.inner
        .relying_parties
        .authorize(&parts.headers, SCOPE_COMPLIANCE_READ)?;
    let stale_after = stale_after(&c, &parts)?;
    let jkt = jkt_param(&parts)?;
    let answer = blocking(move || answer_by_jkt(&c, &jkt, stale_after, now())).await?;
    answer.map(no_store).ok_or_else(|| {
        ApiError::new(
            ProblemKind::NotFound,
            "no enrolled device has a key with this thumbprint",
        )
    })
}

/// The `jkt` query parameter: a base64url SHA-256 thumbprint.
fn jkt_param(parts: &Parts) -> Result<String, ApiError> {
    let bad = || {
        ApiError::new(
            ProblemKind::InvalidRequest,
            "give jkt, the device key's RFC 7638 thumbprint (43 base64url characters)",
        )
    };
    let jkt = query_param(parts, "jkt").ok_or_else(bad)?;
    let shaped = jkt.len() == JKT_LEN
        && jkt
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if shaped { Ok(jkt) } else { Err(bad()) }
}

/// `POST /v1/gateways/cloudflare/device-posture`.
pub(crate) async fn cloudflare_posture(State(c): State<Collector>, request: Request) -> Response {
    respond(cloudflare_inner(c, request).await)
}

async fn cloudflare_inner(c: Collector, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let party = c
        .inner
        .relying_parties
        .authorize(&parts.headers, SCOPE_CLOUDFLARE_POSTURE)?
        .name()
        .to_owned();
    let bytes = read_body_limited(
        &parts.headers,
        body,
        content_types::JSON,
        cloudflare::MAX_BODY_BYTES,
    )
    .await?;
    let req: PostureRequest = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            ProblemKind::InvalidRequest,
            format!("not a device posture request: {e}"),
        )
    })?;
    req.check()
        .map_err(|e| ApiError::new(ProblemKind::InvalidRequest, e))?;
    let result = blocking(move || {
        // Read per request, so an edited file counts at once, in every
        // collector process that shares it.
        let links = match &c.inner.gateway_links {
            Some(path) => GatewayLinks::from_file(path)
                .map_err(|e| crate::CollectorError::Config(e.to_string()))?,
            None => GatewayLinks::default(),
        };
        let linked: Vec<Option<&String>> = req
            .devices
            .iter()
            .map(|d| links.cloudflare.get(&d.device_id))
            .collect();
        // One read of the fleet for the whole batch (up to 1,000 devices),
        // not one per device: the score needs only status and assurance.
        let fleet = if linked.iter().any(Option::is_some) {
            c.fleet_summary(None)?.devices
        } else {
            Vec::new()
        };
        let by_id: BTreeMap<&str, &FleetDevice> =
            fleet.iter().map(|d| (d.device_id.as_str(), d)).collect();
        let mut result = BTreeMap::new();
        let mut found = 0usize;
        for (device, ours) in req.devices.iter().zip(&linked) {
            let row = ours.and_then(|id| by_id.get(id.as_str()));
            if row.is_some() {
                found += 1;
            }
            result.insert(
                device.device_id.clone(),
                DeviceScore {
                    s2s_id: row
                        .map(|d| d.device_id.as_str().to_owned())
                        .unwrap_or_default(),
                    score: row.map_or(0, |d| cloudflare::score_of(d.status, d.assurance)),
                },
            );
        }
        Ok::<_, crate::CollectorError>((result, found))
    })
    .await?;
    let (result, linked) = result;
    tracing::info!(
        "device posture for {party:?}: {} devices, {linked} linked",
        result.len()
    );
    Ok(json_value(StatusCode::OK, &PostureResponse { result }))
}

/// Runs a blocking read off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::CollectorError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// A compliance answer, never cached: it is only true now.
fn no_store(answer: ComplianceAnswer) -> Response {
    let mut response = json_value(StatusCode::OK, &answer);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
