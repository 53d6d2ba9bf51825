//! The Evidence page: the audit evidence report for a period (the
//! collector's `evidence` module computes and renders it), to download as
//! HTML, CSV or JSON.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use time::Duration;

use super::auth::require_session;
use super::views::{self, EvidencePage};
use super::{ConsoleError, blocking, harden};
use crate::collector::{Collector, now};
use crate::evidence::{Period, render_csv, render_html};

fn query(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `GET /console/evidence`: the period form and the download links.
pub(crate) async fn page(State(c): State<Collector>, uri: Uri, headers: HeaderMap) -> Response {
    let result = async {
        let session = require_session(&c, &headers).await?;
        let q = query(&uri);
        let today = now().date();
        let from = param(&q, "from")
            .map(str::to_owned)
            .unwrap_or_else(|| (today - Duration::days(29)).to_string());
        let to = param(&q, "to")
            .map(str::to_owned)
            .unwrap_or_else(|| today.to_string());
        let (status, error) = match Period::parse(Some(&from), Some(&to)) {
            Ok(_) => (StatusCode::OK, String::new()),
            Err(e) => (StatusCode::BAD_REQUEST, e.to_string()),
        };
        let page = EvidencePage {
            title: "Evidence",
            nav: "evidence",
            csrf: session.csrf,
            query: url::form_urlencoded::Serializer::new(String::new())
                .append_pair("from", &from)
                .append_pair("to", &to)
                .finish(),
            from,
            to,
            error,
        };
        Ok::<_, ConsoleError>(views::page_with(status, &page))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `GET /console/evidence/download?from=&to=&format=html|csv|json`.
pub(crate) async fn download(State(c): State<Collector>, uri: Uri, headers: HeaderMap) -> Response {
    let result = async {
        require_session(&c, &headers).await?;
        let q = query(&uri);
        let period = Period::parse(param(&q, "from"), param(&q, "to"))
            .map_err(|e| ConsoleError::BadRequest(e.to_string()))?;
        let format = param(&q, "format").unwrap_or("html").to_owned();
        let (kind, ext) = match format.as_str() {
            "html" => ("text/html; charset=utf-8", "html"),
            "csv" => ("text/csv; charset=utf-8", "csv"),
            "json" => ("application/json", "json"),
            _ => {
                return Err(ConsoleError::BadRequest(
                    "the format is html, csv or json".into(),
                ));
            }
        };
        let body = blocking(move || {
            let report = c.evidence(&period)?;
            Ok(match format.as_str() {
                "csv" => render_csv(&report),
                "json" => serde_json::to_string_pretty(&report)
                    .map_err(|e| ConsoleError::Internal(e.to_string()))?,
                _ => render_html(&report),
            })
        })
        .await?;
        let name = format!("posture-evidence-{}-{}.{ext}", period.from(), period.to());
        let mut response = harden((StatusCode::OK, body).into_response());
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
        // Saved, never shown inside the console's origin.
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        Ok::<_, ConsoleError>(response)
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}
