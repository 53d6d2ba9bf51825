//! Logging in (the admin token, or a one-time link), checking the session
//! and the CSRF token of every form, and logging out.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::session::{Keys, LINK_SECS, LOGIN_FORM_SECS, Purpose, SESSION_SECS, Signed};
use super::{
    CONSOLE_PATH, ConsoleError, LOGIN_COOKIE, SESSION_COOKIE, blocking, cookie, field, read_form,
    redirect, set_cookie, views,
};
use crate::codes::AddressLimiter;
use crate::collector::{Collector, now};
use crate::error::CollectorError;

/// A checked, unrevoked session.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// Its id and expiry.
    pub signed: Signed,
    /// The CSRF token its forms carry.
    pub csrf: String,
}

/// Failed log-ins allowed per client address in one window.
const LOGIN_FAILURES: u32 = 10;
/// The window of [`LOGIN_FAILURES`].
const LOGIN_WINDOW: Duration = Duration::from_secs(600);

/// The collector's count of failed console log-ins by peer address:
/// guessing the admin token through the form is slowed to ten tries per
/// ten minutes from each address, and one address's failures never lock
/// out another's log-ins.
pub(crate) fn login_limiter() -> AddressLimiter {
    AddressLimiter::new(LOGIN_FAILURES, LOGIN_WINDOW)
}

/// Whom a log-in's failures count against: its peer address, or, for a
/// router served without one (embedded behind another server), one shared
/// unknown address, so guessing is slowed there too.
fn peer(parts: &axum::http::request::Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |info| info.0.ip())
}

fn keys(c: &Collector) -> Keys {
    Keys::derive(c.admin_token())
}

fn unix_now() -> i64 {
    now().unix_timestamp()
}

impl Collector {
    /// A one-time link that logs a browser into the console at `base_url`
    /// (this collector's address, as the browser reaches it) for the next
    /// ten minutes. Anyone holding it can log in once: show it only to the
    /// admin, as the admin token itself.
    pub fn console_login_link(&self, base_url: &str) -> Result<String, CollectorError> {
        let ticket = keys(self)
            .issue(Purpose::Link, unix_now(), LINK_SECS)
            .map_err(|_| CollectorError::Random)?;
        Ok(format!(
            "{}{CONSOLE_PATH}/login/link?ticket={ticket}",
            base_url.trim_end_matches('/')
        ))
    }
}

/// The session of a request, or [`ConsoleError::LoggedOut`]: no cookie, a
/// forged, expired or revoked one.
pub(crate) async fn require_session(
    c: &Collector,
    headers: &HeaderMap,
) -> Result<Session, ConsoleError> {
    let token = cookie(headers, SESSION_COOKIE).ok_or(ConsoleError::LoggedOut)?;
    let k = keys(c);
    let signed = k
        .check(Purpose::Session, token, unix_now())
        .map_err(|_| ConsoleError::LoggedOut)?;
    let id = signed.id.clone();
    let c2 = c.clone();
    let revoked = blocking(move || Ok(c2.inner.store.session_revoked(&id)?)).await?;
    if revoked {
        return Err(ConsoleError::LoggedOut);
    }
    let csrf = k.csrf(Purpose::Session, &signed.id);
    Ok(Session { signed, csrf })
}

/// The session and the submitted form, refused unless the form carries
/// this session's CSRF token. A missing session is refused as forbidden
/// here, not redirected: a form post without a cookie is not a person
/// who needs the log-in page.
pub(crate) async fn session_form(
    c: &Collector,
    request: Request,
) -> Result<(Session, Vec<(String, String)>), ConsoleError> {
    let (parts, body) = request.into_parts();
    let session = require_session(c, &parts.headers)
        .await
        .map_err(|e| match e {
            ConsoleError::LoggedOut => ConsoleError::Csrf,
            other => other,
        })?;
    let form = read_form(&parts.headers, body).await?;
    let given = field(&form, "csrf").unwrap_or("");
    if !keys(c).csrf_ok(Purpose::Session, &session.signed.id, given) {
        return Err(ConsoleError::Csrf);
    }
    Ok((session, form))
}

/// The log-in page with a fresh form cookie.
fn login_page(c: &Collector, status: StatusCode, error: Option<&str>) -> Response {
    let k = keys(c);
    let Ok(token) = k.issue(Purpose::LoginForm, unix_now(), LOGIN_FORM_SECS) else {
        return ConsoleError::Internal("no random bytes".into()).into_response();
    };
    let id = token.split('.').next().unwrap_or_default();
    let mut response = views::login_page(status, &k.csrf(Purpose::LoginForm, id), error);
    if let Some(v) = set_cookie(LOGIN_COOKIE, &token, LOGIN_FORM_SECS) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// `GET /console/login`.
pub(crate) async fn login_form(State(c): State<Collector>) -> Response {
    login_page(&c, StatusCode::OK, None)
}

/// `POST /console/login`: the admin token for a session cookie.
pub(crate) async fn login(State(c): State<Collector>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let addr = peer(&parts);
    let failed_logins = &c.inner.login_limiter;
    if let Some(wait) = failed_logins.blocked(addr) {
        let message = format!(
            "Too many failed log-ins from this address. Try again in {} minutes.",
            wait.div_ceil(60)
        );
        return login_page(&c, StatusCode::TOO_MANY_REQUESTS, Some(&message));
    }
    let k = keys(&c);
    let form_id = cookie(&parts.headers, LOGIN_COOKIE)
        .and_then(|t| k.check(Purpose::LoginForm, t, unix_now()).ok())
        .map(|s| s.id);
    let form = match read_form(&parts.headers, body).await {
        Ok(form) => form,
        Err(e) => return e.into_response(),
    };
    let csrf_ok = form_id
        .is_some_and(|id| k.csrf_ok(Purpose::LoginForm, &id, field(&form, "csrf").unwrap_or("")));
    if !csrf_ok {
        return login_page(
            &c,
            StatusCode::FORBIDDEN,
            Some("The log-in form had expired or was not sent from this console. Try again."),
        );
    }
    let token = field(&form, "token").unwrap_or("").trim();
    if !c.is_admin(token) {
        failed_logins.record_failure(addr);
        tracing::warn!("console: a log-in with a wrong admin token was refused");
        return login_page(
            &c,
            StatusCode::UNAUTHORIZED,
            Some("That is not this collector's admin token."),
        );
    }
    start_session(&c)
}

/// A new session: its cookie set, the form cookie cleared, on to the fleet.
fn start_session(c: &Collector) -> Response {
    let Ok(token) = keys(c).issue(Purpose::Session, unix_now(), SESSION_SECS) else {
        return ConsoleError::Internal("no random bytes".into()).into_response();
    };
    let mut response = redirect(&format!("{CONSOLE_PATH}/fleet"));
    let headers = response.headers_mut();
    if let Some(v) = set_cookie(SESSION_COOKIE, &token, SESSION_SECS) {
        headers.append(header::SET_COOKIE, v);
    }
    if let Some(v) = set_cookie(LOGIN_COOKIE, "", 0) {
        headers.append(header::SET_COOKIE, v);
    }
    tracing::info!("console: an admin logged in");
    response
}

/// `GET /console/login/link?ticket=...`: a one-time link for a session.
pub(crate) async fn login_link(State(c): State<Collector>, request: Request) -> Response {
    let ticket = request.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "ticket")
            .map(|(_, v)| v.into_owned())
    });
    let now = unix_now();
    let Some(signed) = ticket.and_then(|t| keys(&c).check(Purpose::Link, &t, now).ok()) else {
        return login_page(
            &c,
            StatusCode::FORBIDDEN,
            Some("That log-in link is not valid or has expired. Log in with the admin token."),
        );
    };
    let c2 = c.clone();
    let first = blocking(move || {
        Ok(c2
            .inner
            .store
            .use_link(&signed.id, signed.expires_at, now)?)
    })
    .await;
    match first {
        Ok(true) => start_session(&c),
        Ok(false) => login_page(
            &c,
            StatusCode::FORBIDDEN,
            Some("That log-in link was already used. Log in with the admin token."),
        ),
        Err(e) => e.into_response(),
    }
}

/// `POST /console/logout`: the session is revoked for every collector
/// process (they share the database), and its cookie deleted.
pub(crate) async fn logout(State(c): State<Collector>, request: Request) -> Response {
    let session = match session_form(&c, request).await {
        Ok((session, _)) => session,
        Err(e) => return e.into_response(),
    };
    let c2 = c.clone();
    let done = blocking(move || {
        c2.inner
            .store
            .revoke_session(&session.signed.id, session.signed.expires_at, unix_now())?;
        Ok(())
    })
    .await;
    if let Err(e) = done {
        return e.into_response();
    }
    tracing::info!("console: an admin logged out");
    let mut response = redirect(&format!("{CONSOLE_PATH}/login"));
    if let Some(v) = set_cookie(SESSION_COOKIE, "", 0) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}
