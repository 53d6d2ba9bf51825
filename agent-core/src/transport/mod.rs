//! Moving protocol messages over HTTP.
//!
//! [`Transport`] is deliberately a *blocking* trait over plain data
//! ([`HttpRequest`] in, [`HttpResponse`] out):
//!
//! - a host app can implement it in Kotlin or Swift over OkHttp or
//!   URLSession (through a uniffi foreign trait), so per-app VPN, proxies and
//!   the platform's own pinning apply; plain structs cross that boundary
//!   without any async runtime on the foreign side;
//! - the core never runs a runtime of its own: the platform scheduler calls
//!   the agent from a background thread (or uniffi's tokio runtime through
//!   `spawn_blocking`), where blocking is the simplest correct shape;
//! - the outbox needs one request at a time, so async buys nothing here.
//!
//! Implementations return every HTTP status as a response (a 503 is an
//! answer, not a transport failure), except redirects, which are refused:
//! [`TransportError`] covers only the cases where no usable answer arrived.
//! The built-in [`HttpTransport`] (feature `http`) is reqwest over rustls
//! with ring.

#[cfg(feature = "http")]
mod http;
mod retry_after;
#[cfg(feature = "http")]
mod tls;
mod url_policy;

use std::fmt;
use std::time::Duration;

use time::OffsetDateTime;

#[cfg(feature = "http")]
pub use http::{HttpTransport, TransportConfig};
pub use retry_after::parse_retry_after;
pub use url_policy::{check_url, shown_url};

/// Default cap on a response body, in bytes.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = crate::protocol::limits::MAX_BODY_BYTES;

/// Sends one HTTP request and returns the answer, blocking until it arrives.
///
/// Call it from a blocking context (a worker thread, or `spawn_blocking`
/// inside an async runtime), never directly on an async executor thread.
/// Implementations must refuse insecure URLs ([`check_url`]), must not
/// follow redirects, and must not put the request body in errors or logs.
pub trait Transport: Send + Sync {
    /// Sends `request` and returns the response, whatever its status.
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// The HTTP methods the protocol uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
}

impl Method {
    /// The method as it appears on the request line.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One HTTP request as plain data.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes (empty for GET).
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A POST of `body` with the given content type.
    pub fn post(url: impl Into<String>, content_type: &str, body: Vec<u8>) -> HttpRequest {
        HttpRequest {
            method: Method::Post,
            url: url.into(),
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body,
        }
    }

    /// A GET without a body.
    pub fn get(url: impl Into<String>) -> HttpRequest {
        HttpRequest {
            method: Method::Get,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> HttpRequest {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

// The body is a signed token or an enrolment code, a header may be an
// admin's bearer token or a webhook's signature, and a URL's query or user
// part may hold a token: Debug shows none of them.
impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &shown_url(&self.url))
            .field("headers", &header_names)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

/// One HTTP response as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header names (lower case) and values, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes, at most the transport's cap.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// How long to wait before retrying, from `Retry-After`, relative to `now`.
    pub fn retry_after(&self, now: OffsetDateTime) -> Option<Duration> {
        parse_retry_after(self.header("retry-after")?, now)
    }

    /// The media type of the body, without parameters, lower case.
    pub fn media_type(&self) -> Option<String> {
        let value = self.header("content-type")?;
        let essence = value.split(';').next().unwrap_or(value).trim();
        Some(essence.to_ascii_lowercase())
    }
}

/// Why a request got no usable answer. Messages name the URL's host at most,
/// never a body, and say what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The URL is not absolute or not http(s).
    #[error("invalid collector URL: {0}; give an absolute https:// URL")]
    InvalidUrl(String),
    /// Plain HTTP to a host that is not loopback.
    #[error(
        "refusing plain http:// to {host}: use https:// (plain http is allowed only to 127.0.0.0/8, ::1 and localhost, for tests)"
    )]
    InsecureUrl {
        /// The host that was refused.
        host: String,
    },
    /// No connection could be made.
    #[error(
        "could not connect to {host}: {reason}; check the URL, the network and that the server is running"
    )]
    Connect {
        /// The host (and port, when not the default).
        host: String,
        /// What failed.
        reason: String,
    },
    /// No complete answer within the time limit.
    #[error(
        "no answer from {host} within {limit:?}; the server or network is slow or down, try again later"
    )]
    Timeout {
        /// The host (and port, when not the default).
        host: String,
        /// The limit that ran out.
        limit: Duration,
    },
    /// The response body is larger than the cap.
    #[error(
        "the response from {host} is larger than {limit} bytes; the server is not a Posture Agent collector or is misconfigured"
    )]
    TooLarge {
        /// The host (and port, when not the default).
        host: String,
        /// The cap in bytes.
        limit: usize,
    },
    /// The server answered with a redirect, which is never followed.
    #[error("{host} answered {status} redirecting to {}; configure the final URL instead (redirects are not followed)", location.as_deref().unwrap_or("nowhere"))]
    Redirect {
        /// The host (and port, when not the default).
        host: String,
        /// The 3xx status.
        status: u16,
        /// The Location header, if any.
        location: Option<String>,
    },
    /// The TLS handshake failed (untrusted or invalid certificate, protocol).
    #[error(
        "TLS with {host} failed: {reason}; if the server uses a private CA, configure its certificate"
    )]
    Tls {
        /// The host (and port, when not the default).
        host: String,
        /// What failed.
        reason: String,
    },
    /// The certificate is valid but its key matches none of the pins.
    #[error(
        "the certificate of {host} does not match any configured SPKI pin; the server key changed or the connection is intercepted"
    )]
    PinMismatch {
        /// The host (and port, when not the default).
        host: String,
    },
    /// The transport was configured wrongly (bad CA PEM, bad pin).
    #[error("transport configuration is invalid: {0}")]
    Config(String),
    /// Reading or writing failed after the connection was made.
    #[error("connection to {host} failed mid-request: {reason}; try again later")]
    Io {
        /// The host (and port, when not the default).
        host: String,
        /// What failed.
        reason: String,
    },
    /// A host-supplied transport failed in a way not listed here.
    #[error("the HTTP stack failed: {0}")]
    Other(String),
}

impl TransportError {
    /// Whether the same request may succeed later unchanged (network
    /// trouble), as opposed to a configuration problem that needs a person.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            TransportError::Connect { .. }
                | TransportError::Timeout { .. }
                | TransportError::Io { .. }
                | TransportError::Other(_)
        )
    }
}

// `cfg(test)` alone on the module, so clippy treats it as test code; the
// files carry their own `cfg(feature = "http")`.
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_tls;
