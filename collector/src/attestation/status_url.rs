//! Google's attestation status list over HTTPS: fetched at start, then
//! refreshed in the background as the server's `Cache-Control: max-age`
//! says (clamped), keeping the last good copy when a refresh fails.
//!
//! The HTTP client lives on the refresher's own thread: agent-core's
//! blocking reqwest transport must not be made or dropped on an async
//! executor thread, and the collector may be opened from one.

use std::fmt;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use agent_core::transport::{HttpRequest, HttpTransport, Transport, TransportConfig};
use posture_attestation::StatusList;
use posture_attestation::revocation::MAX_STATUS_LIST_BYTES;

use super::{StatusSource, read_status};
use crate::error::CollectorError;

/// Shortest time between refreshes, whatever the server says.
pub const MIN_REFRESH: Duration = Duration::from_secs(5 * 60);
/// Longest time between refreshes, whatever the server says.
pub const MAX_REFRESH: Duration = Duration::from_secs(24 * 3600);
/// The refresh interval when the server sends no `max-age`.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(3600);
/// Limit on connecting to the status server.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Limit on one whole fetch.
const FETCH_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the status list is fetched from.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusUrl {
    /// An `https://` URL (Google's is
    /// `https://android.googleapis.com/attestation/status`).
    pub url: String,
    /// Extra trusted CA certificate(s), PEM, for a private mirror or a test.
    pub extra_ca_pem: Option<Vec<u8>>,
}

impl fmt::Debug for StatusUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusUrl")
            .field("url", &self.url)
            .field("extra_ca_pem", &self.extra_ca_pem.as_ref().map(Vec::len))
            .finish()
    }
}

/// The refresh interval a `Cache-Control` value asks for, clamped to
/// [`MIN_REFRESH`]..[`MAX_REFRESH`]; [`DEFAULT_REFRESH`] without `max-age`.
/// `no-cache` and `no-store` ask for the shortest.
pub fn refresh_interval(cache_control: Option<&str>) -> Duration {
    let Some(value) = cache_control else {
        return DEFAULT_REFRESH;
    };
    let mut asked = None;
    for directive in value.split(',') {
        let directive = directive.trim();
        let lower = directive.to_ascii_lowercase();
        if lower == "no-cache" || lower == "no-store" {
            return MIN_REFRESH;
        }
        if let Some(v) = lower.strip_prefix("max-age=") {
            asked = v
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs);
        }
    }
    asked.map_or(DEFAULT_REFRESH, |d| d.clamp(MIN_REFRESH, MAX_REFRESH))
}

/// One fetch: the list and how long it may be kept. Errors name the URL's
/// problem, never the body.
fn fetch(transport: &HttpTransport, url: &str) -> Result<(StatusList, Duration), String> {
    let response = transport
        .send(HttpRequest::get(url).with_header("accept", "application/json"))
        .map_err(|e| match e {
            agent_core::transport::TransportError::TooLarge { limit, .. } => {
                format!("the answer is larger than the {limit} bytes accepted")
            }
            other => other.to_string(),
        })?;
    if response.status != 200 {
        return Err(format!("the server answered HTTP {}", response.status));
    }
    let list = StatusList::from_json(&response.body).map_err(|e| e.to_string())?;
    Ok((list, refresh_interval(response.header("cache-control"))))
}

/// What a refresh asked for now did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusRefresh {
    /// Entries in the list fetched.
    pub entries: usize,
    /// When the refresher fetches again on its own: the answer's
    /// `Cache-Control` as [`refresh_interval`] reads it.
    pub next_refresh: Duration,
}

/// A request to the refresher thread.
enum Ask {
    /// Fetch now and say how it went (or the error).
    Refresh(SyncSender<Result<StatusRefresh, String>>),
}

/// The list fetched from a URL, kept fresh by a background thread that
/// ends when this is dropped.
pub(super) struct UrlSource {
    url: String,
    list: Arc<Mutex<Arc<StatusList>>>,
    asks: Mutex<Sender<Ask>>,
}

impl fmt::Debug for UrlSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UrlSource")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// What the refresher thread keeps between fetches.
struct Refresher {
    transport: HttpTransport,
    url: String,
    list: Arc<Mutex<Arc<StatusList>>>,
    /// Whether the last fetch failed: one warning per failure streak.
    failing: bool,
}

impl Refresher {
    /// Fetches; on success replaces the list. Returns when to fetch next.
    fn refresh(&mut self) -> (Duration, Result<StatusRefresh, String>) {
        match fetch(&self.transport, &self.url) {
            Ok((list, next)) => {
                let n = list.len();
                *self.list.lock().unwrap_or_else(PoisonError::into_inner) = Arc::new(list);
                if self.failing {
                    tracing::info!(
                        "attestation status list {} fetched again: {n} entries",
                        self.url
                    );
                } else {
                    tracing::debug!(
                        "attestation status list {} refreshed: {n} entries",
                        self.url
                    );
                }
                self.failing = false;
                (
                    next,
                    Ok(StatusRefresh {
                        entries: n,
                        next_refresh: next,
                    }),
                )
            }
            Err(e) => {
                if !self.failing {
                    let kept = self
                        .list
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .len();
                    tracing::warn!(
                        "attestation status list {} could not be refreshed ({e}); keeping the last good copy ({kept} entries) and retrying every {} s",
                        self.url,
                        MIN_REFRESH.as_secs()
                    );
                }
                self.failing = true;
                (MIN_REFRESH, Err(e))
            }
        }
    }

    fn run(mut self, mut next: Duration, asks: Receiver<Ask>) {
        loop {
            match asks.recv_timeout(next) {
                Ok(Ask::Refresh(reply)) => {
                    let (n, result) = self.refresh();
                    next = n;
                    drop(reply.send(result));
                }
                Err(RecvTimeoutError::Timeout) => next = self.refresh().0,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

impl UrlSource {
    /// Fetches the list once and starts the refresher. When the first
    /// fetch fails, `fallback` (a status list file) is read instead, and
    /// without one the collector does not start.
    pub fn open(config: StatusUrl, fallback: Option<PathBuf>) -> Result<UrlSource, CollectorError> {
        let url = config.url.clone();
        let bad =
            |e: String| CollectorError::Config(format!("the attestation status list {url}: {e}"));
        let parsed = url::Url::parse(&url).map_err(|e| bad(format!("not a URL: {e}")))?;
        if parsed.scheme() != "https" {
            return Err(bad(
                "only https:// is accepted for a status list URL (plain http could be altered on the way); give an https:// URL or a file path"
                    .into(),
            ));
        }
        let list = Arc::new(Mutex::new(Arc::new(StatusList::empty())));
        let (asks, rx) = mpsc::channel();
        let (first_tx, first_rx) = mpsc::sync_channel(1);
        let shared = list.clone();
        let thread_url = url.clone();
        std::thread::Builder::new()
            .name("attestation-status".into())
            .spawn(move || {
                let transport = HttpTransport::new(TransportConfig {
                    connect_timeout: CONNECT_TIMEOUT,
                    timeout: FETCH_TIMEOUT,
                    max_response_bytes: MAX_STATUS_LIST_BYTES,
                    extra_ca_pem: config.extra_ca_pem,
                    ..TransportConfig::default()
                });
                let transport = match transport {
                    Ok(t) => t,
                    Err(e) => {
                        drop(first_tx.send(Err(e.to_string())));
                        return;
                    }
                };
                let mut refresher = Refresher {
                    transport,
                    url: thread_url,
                    list: shared,
                    failing: false,
                };
                let first = fetch(&refresher.transport, &refresher.url);
                let next = match first {
                    Ok((l, next)) => {
                        *refresher
                            .list
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner) = Arc::new(l);
                        drop(first_tx.send(Ok(next)));
                        next
                    }
                    Err(e) => {
                        refresher.failing = true;
                        drop(first_tx.send(Err(e)));
                        MIN_REFRESH
                    }
                };
                refresher.run(next, rx);
            })
            .map_err(|e| CollectorError::io("start the attestation status refresher", e))?;
        let first = first_rx
            .recv()
            .unwrap_or_else(|_| Err("the refresher thread stopped".into()));
        match first {
            Ok(next) => {
                tracing::info!(
                    "attestation status list {url}: {} entries; next refresh in {} s",
                    list.lock().unwrap_or_else(PoisonError::into_inner).len(),
                    next.as_secs()
                );
            }
            Err(e) => {
                let Some(path) = fallback else {
                    return Err(bad(format!(
                        "{e}; check the URL and the network, or give a status list file to start from"
                    )));
                };
                let (_, from_file) = read_status(&path).map_err(|fe| {
                    bad(format!(
                        "{e}; and the fallback file {}: {fe}",
                        path.display()
                    ))
                })?;
                tracing::warn!(
                    "attestation status list {url} could not be fetched ({e}); starting from {} ({} entries) and retrying every {} s",
                    path.display(),
                    from_file.len(),
                    MIN_REFRESH.as_secs()
                );
                *list.lock().unwrap_or_else(PoisonError::into_inner) = Arc::new(from_file);
            }
        }
        Ok(UrlSource {
            url,
            list,
            asks: Mutex::new(asks),
        })
    }

    /// The last good list.
    pub fn current(&self) -> Arc<StatusList> {
        self.list
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Fetches now, waiting for the result (or why it failed; the last
    /// good copy stays on failure, and the next try is [`MIN_REFRESH`] on).
    pub fn refresh_now(&self) -> Result<StatusRefresh, String> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.asks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(Ask::Refresh(tx))
            .map_err(|_| "the refresher thread stopped".to_owned())?;
        rx.recv()
            .unwrap_or_else(|_| Err("the refresher thread stopped".into()))
    }
}

/// The status list a collector checks against: none, a file, or a URL.
#[derive(Debug)]
pub(super) enum StatusFeed {
    File(StatusSource),
    Url(UrlSource),
}

impl StatusFeed {
    pub fn current(&self) -> Arc<StatusList> {
        match self {
            StatusFeed::File(f) => f.current(),
            StatusFeed::Url(u) => u.current(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_followed_within_bounds() {
        let secs = |v: Option<&str>| refresh_interval(v).as_secs();
        assert_eq!(secs(None), 3600);
        assert_eq!(secs(Some("public, max-age=7200")), 7200);
        assert_eq!(secs(Some("max-age=10")), 300);
        assert_eq!(secs(Some("max-age=999999")), 86400);
        assert_eq!(secs(Some("Max-Age=\"600\", must-revalidate")), 600);
        assert_eq!(secs(Some("no-store")), 300);
        assert_eq!(secs(Some("max-age=soon")), 3600);
        assert_eq!(secs(Some("private")), 3600);
    }

    #[test]
    fn plain_http_is_refused_with_a_clear_error() {
        let err = UrlSource::open(
            StatusUrl {
                url: "http://127.0.0.1:1/status".into(),
                extra_ca_pem: None,
            },
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("only https://"), "{err}");
    }
}
