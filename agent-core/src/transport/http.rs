//! The built-in transport: reqwest's blocking client over rustls on ring.

use std::error::Error as StdError;
use std::io::{self, Read};
use std::time::Duration;

use reqwest::blocking::{Client, Response};
use reqwest::redirect;

use super::tls::{SpkiPin, client_config, is_pin_mismatch};
use super::{
    DEFAULT_MAX_RESPONSE_BYTES, HttpRequest, HttpResponse, Method, Transport, TransportError,
    check_url,
};

/// Settings of the built-in [`HttpTransport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportConfig {
    /// Limit on establishing the TCP and TLS connection.
    pub connect_timeout: Duration,
    /// Limit on the whole exchange, connection to last body byte.
    pub timeout: Duration,
    /// Largest response body read; a larger one is [`TransportError::TooLarge`].
    pub max_response_bytes: usize,
    /// Extra trusted CA certificate(s), PEM, added to the Mozilla roots
    /// (a trust's private CA, or a test CA).
    pub extra_ca_pem: Option<Vec<u8>>,
    /// SPKI pins: base64 SHA-256 of the server certificate's
    /// SubjectPublicKeyInfo (optionally prefixed `sha256/`). When any are
    /// given, a certificate must pass normal validation *and* match one.
    pub spki_pins: Vec<String>,
    /// The User-Agent header sent with every request.
    pub user_agent: String,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            extra_ca_pem: None,
            spki_pins: Vec::new(),
            user_agent: format!("posture-agent/{}", crate::AGENT_VERSION),
        }
    }
}

/// HTTPS with reqwest (blocking) and rustls on ring: loopback-only plain
/// HTTP, no redirects, capped responses, optional private CA and pins.
///
/// Create and use it from a blocking context: reqwest's blocking client
/// runs its own small runtime thread and must not be dropped on an async
/// executor thread.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: Client,
    config: TransportConfig,
}

impl HttpTransport {
    /// Builds a transport; fails on a bad CA PEM or pin.
    pub fn new(config: TransportConfig) -> Result<HttpTransport, TransportError> {
        let pins = config
            .spki_pins
            .iter()
            .map(|p| SpkiPin::parse(p))
            .collect::<Result<Vec<_>, _>>()?;
        let tls = client_config(config.extra_ca_pem.as_deref(), &pins)?;
        let client = Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| TransportError::Config(format!("HTTP client: {}", chain(&e))))?;
        Ok(HttpTransport { client, config })
    }

    /// The settings in force.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    fn read_capped(&self, response: Response, host: &str) -> Result<Vec<u8>, TransportError> {
        let limit = self.config.max_response_bytes;
        let too_large = || TransportError::TooLarge {
            host: host.to_owned(),
            limit,
        };
        // Refuse early when the server says up front it is too big.
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        // Read at most one byte past the cap, so a huge or endless body
        // costs no more than the cap in memory or time.
        let mut body = Vec::new();
        response
            .take(limit as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|e| self.map_io(&e, host))?;
        if body.len() > limit {
            return Err(too_large());
        }
        Ok(body)
    }

    fn map_io(&self, error: &io::Error, host: &str) -> TransportError {
        let timed_out = error.kind() == io::ErrorKind::TimedOut
            || error
                .get_ref()
                .and_then(|e| e.downcast_ref::<reqwest::Error>())
                .is_some_and(reqwest::Error::is_timeout);
        if timed_out {
            TransportError::Timeout {
                host: host.to_owned(),
                limit: self.config.timeout,
            }
        } else {
            TransportError::Io {
                host: host.to_owned(),
                reason: chain(error),
            }
        }
    }

    fn map_error(&self, error: &reqwest::Error, host: &str) -> TransportError {
        let host = host.to_owned();
        if let Some(tls) = find_rustls_error(error) {
            return if is_pin_mismatch(tls) {
                TransportError::PinMismatch { host }
            } else {
                TransportError::Tls {
                    host,
                    reason: tls.to_string(),
                }
            };
        }
        if error.is_timeout() {
            let limit = if error.is_connect() {
                self.config.connect_timeout
            } else {
                self.config.timeout
            };
            return TransportError::Timeout { host, limit };
        }
        let reason = error.source().map(chain).unwrap_or_else(|| chain(error));
        if error.is_connect() {
            TransportError::Connect { host, reason }
        } else {
            TransportError::Io { host, reason }
        }
    }
}

/// The host and, when it is not the scheme's default, the port: errors
/// name the server as the URL did ("127.0.0.1:8443"), so a wrong port shows.
fn authority(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

impl Transport for HttpTransport {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        // Checked before the client sees the URL: no DNS, no connection.
        let url = check_url(&request.url)?;
        let host = authority(&url);
        let mut builder = match request.method {
            Method::Get => self.client.get(url),
            Method::Post => self.client.post(url),
        };
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let response = builder
            .body(request.body)
            .send()
            .map_err(|e| self.map_error(&e, &host))?;
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        if (300..400).contains(&status) {
            let location = headers
                .iter()
                .find(|(n, _)| n == "location")
                .map(|(_, v)| v.clone());
            return Err(TransportError::Redirect {
                host,
                status,
                location,
            });
        }
        let body = self.read_capped(response, &host)?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// Finds a rustls error anywhere in a chain. An `io::Error`'s `source()`
/// skips the error it wraps (and hyper nests them), so step into
/// `get_ref()` instead.
fn find_rustls_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        current = match e.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        };
    }
    None
}

/// An error and its sources as one line. Request bodies never reach here:
/// reqwest's errors carry the URL at most.
fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut current = error.source();
    while let Some(e) = current {
        let next = e.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        current = e.source();
    }
    text
}
