//! The web console: server-rendered pages for the people who run a
//! collector (fleet, device, enrolment, policy, evidence), behind a log-in with the
//! admin token.
//!
//! Pages are HTML from askama templates with charts drawn as inline SVG;
//! there is no script at all, and the Content-Security-Policy forbids one.
//! Every form carries a CSRF token bound to the session and checked on the
//! server; the session is a signed cookie (see [`session`]) so any collector
//! process sharing the admin token and database accepts it.

mod auth;
pub(crate) use auth::login_limiter;
mod charts;
mod evidence;
mod pages;
mod preview;
mod privacy;
pub(crate) mod session;
pub(crate) mod store;
mod views;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::collector::Collector;

/// Where the console lives.
pub const CONSOLE_PATH: &str = "/console";
/// The session cookie's name.
const SESSION_COOKIE: &str = "pa_console";
/// The log-in form's cookie (its CSRF token is bound to it).
const LOGIN_COOKIE: &str = "pa_console_login";
/// Largest form accepted: a policy document (64 KiB) and the rest.
const MAX_FORM_BYTES: usize = 80 * 1024;

/// The style sheet, served from the console itself.
const STYLE: &str = include_str!("console.css");

/// Why a console request failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConsoleError {
    /// No valid session: the browser is sent to the log-in page.
    #[error("log in first")]
    LoggedOut,
    /// A form without its CSRF token, or with another session's.
    #[error("the form's CSRF token is missing or wrong; reload the page and try again")]
    Csrf,
    /// The request cannot be served as sent.
    #[error("{0}")]
    BadRequest(String),
    /// Nothing is at this address.
    #[error("{0}")]
    NotFound(String),
    /// The database failed.
    #[error("the collector's database: {0}")]
    Storage(#[from] rusqlite::Error),
    /// The collector failed otherwise.
    #[error("{0}")]
    Collector(#[from] crate::error::CollectorError),
    /// A background task failed.
    #[error("the page could not be built: {0}")]
    Internal(String),
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let status = match &self {
            ConsoleError::LoggedOut => return redirect(&format!("{CONSOLE_PATH}/login")),
            ConsoleError::Csrf => StatusCode::FORBIDDEN,
            ConsoleError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ConsoleError::NotFound(_) => StatusCode::NOT_FOUND,
            ConsoleError::Storage(_) | ConsoleError::Collector(_) | ConsoleError::Internal(_) => {
                tracing::error!("console: {self}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let message = match status {
            StatusCode::INTERNAL_SERVER_ERROR => {
                "Something went wrong on the collector; its log says what.".to_owned()
            }
            _ => self.to_string(),
        };
        views::error_page(status, &message)
    }
}

/// The console's routes, merged into the collector's router.
pub(crate) fn router() -> Router<Collector> {
    Router::new()
        .route(CONSOLE_PATH, get(pages::home))
        .route("/console/", get(pages::home))
        .route("/console/console.css", get(style))
        .route("/console/login", get(auth::login_form).post(auth::login))
        .route("/console/login/link", get(auth::login_link))
        .route("/console/logout", post(auth::logout))
        .route("/console/fleet", get(pages::fleet))
        .route("/console/devices/{device_id}", get(pages::device))
        .route("/console/enrolment", get(pages::enrolment))
        .route("/console/enrolment/codes", post(pages::issue_codes))
        .route("/console/enrolment/revoke", post(pages::revoke_code))
        .route("/console/policy", get(pages::policy))
        .route("/console/policy/preview", post(pages::policy_preview))
        .route("/console/evidence", get(evidence::page))
        .route("/console/privacy", get(privacy::page))
        .route("/console/evidence/download", get(evidence::download))
}

/// Headers every console answer carries: no script, no framing, no
/// sniffing, no caching of pages that show the fleet, no referrer leaking
/// a device id to another site.
fn harden(mut response: Response) -> Response {
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::CACHE_CONTROL, "no-store");
    response
}

/// An HTML page.
fn html(status: StatusCode, body: String) -> Response {
    harden(
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response(),
    )
}

/// A 303 to `location` (after a form, the browser then GETs it).
fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    harden(response)
}

async fn style() -> Response {
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        STYLE,
    )
        .into_response();
    response = harden(response);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=3600"),
    );
    response
}

/// The value of cookie `name`, if the request sent it.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, Secure, SameSite=Strict, scoped to the
/// console; `max_age` 0 deletes it.
fn set_cookie(name: &str, value: &str, max_age: i64) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={CONSOLE_PATH}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict"
    ))
    .ok()
}

/// A submitted form's fields: `application/x-www-form-urlencoded`, at most
/// [`MAX_FORM_BYTES`].
async fn read_form(headers: &HeaderMap, body: Body) -> Result<Vec<(String, String)>, ConsoleError> {
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .unwrap_or("");
    if !kind.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(ConsoleError::BadRequest(
            "the console takes forms (application/x-www-form-urlencoded)".into(),
        ));
    }
    let bytes = match Limited::new(body, MAX_FORM_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(ConsoleError::BadRequest(format!(
                "the form is larger than {MAX_FORM_BYTES} bytes"
            )));
        }
        Err(e) => {
            return Err(ConsoleError::BadRequest(format!(
                "the form could not be read: {e}"
            )));
        }
    };
    Ok(url::form_urlencoded::parse(&bytes).into_owned().collect())
}

/// A field of a form.
fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Runs blocking page work (database reads) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ConsoleError> + Send + 'static,
) -> Result<T, ConsoleError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ConsoleError::Internal(e.to_string()))?
}

#[cfg(test)]
mod tests;
