//! Several collectors behind one fleet: each virtual device starts on one
//! of the `--server` URLs (round-robin) and moves to the next when its
//! server stops answering, as a load balancer would move it.
//!
//! Every device is enrolled with the first URL, the fleet's one name; its
//! [`FailoverTransport`] sends each request to the device's current server
//! instead. A connection refused is retried at once on the next server
//! (nothing reached the first). A connection broken mid-request or timed
//! out is returned as the error it is, since the request may have been
//! applied; the device moves on for its next request and its outbox
//! redelivers the report, which the collectors deduplicate by `jti`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use agent_core::transport::{HttpRequest, HttpResponse, Transport, TransportError};
use serde::Serialize;

/// The collectors of a run, and what each of them saw.
#[derive(Debug)]
pub struct Servers {
    urls: Vec<String>,
    counters: Vec<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    devices: AtomicU64,
    answered: AtomicU64,
    refused: AtomicU64,
    broken: AtomicU64,
    moved_away: AtomicU64,
}

/// One server's line in the summary.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ServerSummary {
    /// The server's URL.
    pub url: String,
    /// Devices that started on it.
    pub devices: u64,
    /// Requests it answered (any status).
    pub answered: u64,
    /// Connections it refused (each retried on the next server).
    pub refused: u64,
    /// Requests whose connection broke or timed out (redelivered later).
    pub broken: u64,
    /// Times a device left it for the next server.
    pub failed_over: u64,
}

impl Servers {
    /// The servers, in the order given; at least one.
    pub fn new(urls: &[String]) -> Arc<Servers> {
        let urls: Vec<String> = urls
            .iter()
            .map(|u| u.trim_end_matches('/').to_owned())
            .collect();
        let counters = urls.iter().map(|_| Counters::default()).collect();
        Arc::new(Servers { urls, counters })
    }

    /// The URL devices enrol with: the first one.
    pub fn base(&self) -> &str {
        self.urls.first().map_or("", String::as_str)
    }

    /// A transport for device `index`, starting on server `index mod n`.
    pub fn transport_for(
        self: &Arc<Servers>,
        index: usize,
        inner: Arc<dyn Transport>,
    ) -> FailoverTransport {
        let start = index % self.urls.len().max(1);
        if let Some(c) = self.counters.get(start) {
            c.devices.fetch_add(1, Ordering::Relaxed);
        }
        FailoverTransport {
            inner,
            servers: self.clone(),
            current: AtomicUsize::new(start),
        }
    }

    /// A transport for the admin client: starts on the first server and
    /// fails over like a device's, counted as no device.
    pub fn admin_transport(self: &Arc<Servers>, inner: Arc<dyn Transport>) -> FailoverTransport {
        FailoverTransport {
            inner,
            servers: self.clone(),
            current: AtomicUsize::new(0),
        }
    }

    /// Each server's figures, in the order given.
    pub fn summary(&self) -> Vec<ServerSummary> {
        self.urls
            .iter()
            .zip(&self.counters)
            .map(|(url, c)| ServerSummary {
                url: url.clone(),
                devices: c.devices.load(Ordering::Relaxed),
                answered: c.answered.load(Ordering::Relaxed),
                refused: c.refused.load(Ordering::Relaxed),
                broken: c.broken.load(Ordering::Relaxed),
                failed_over: c.moved_away.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// `url` with the base URL replaced by server `index`'s.
    fn rewrite(&self, url: &str, index: usize) -> String {
        match (url.strip_prefix(self.base()), self.urls.get(index)) {
            (Some(rest), Some(server)) => format!("{server}{rest}"),
            _ => url.to_owned(),
        }
    }
}

/// One device's way to the collectors: its current server, and the next
/// ones when that fails.
pub struct FailoverTransport {
    inner: Arc<dyn Transport>,
    servers: Arc<Servers>,
    current: AtomicUsize,
}

impl FailoverTransport {
    fn move_on(&self, from: usize) -> usize {
        let n = self.servers.urls.len().max(1);
        let next = (from + 1) % n;
        if n > 1 {
            self.servers.counters[from]
                .moved_away
                .fetch_add(1, Ordering::Relaxed);
        }
        self.current.store(next, Ordering::Relaxed);
        next
    }
}

impl Transport for FailoverTransport {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let n = self.servers.urls.len().max(1);
        let mut index = self.current.load(Ordering::Relaxed) % n;
        let mut last = None;
        for _ in 0..n {
            let mut attempt = request.clone();
            attempt.url = self.servers.rewrite(&request.url, index);
            let counters = &self.servers.counters[index];
            match self.inner.send(attempt) {
                Ok(response) => {
                    counters.answered.fetch_add(1, Ordering::Relaxed);
                    return Ok(response);
                }
                Err(e @ TransportError::Connect { .. }) => {
                    counters.refused.fetch_add(1, Ordering::Relaxed);
                    index = self.move_on(index);
                    last = Some(e);
                }
                Err(e @ (TransportError::Io { .. } | TransportError::Timeout { .. })) => {
                    counters.broken.fetch_add(1, Ordering::Relaxed);
                    self.move_on(index);
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| TransportError::Other("no collector to send to".into())))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Mutex;

    use super::*;

    /// Answers 200 for the ports in `up`, refuses or breaks the others.
    struct Fake {
        up: Vec<&'static str>,
        broken: Vec<&'static str>,
        seen: Mutex<Vec<String>>,
    }

    impl Transport for Fake {
        fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
            self.seen.lock().unwrap().push(request.url.clone());
            let host = request.url.split('/').nth(2).unwrap_or_default().to_owned();
            if self.up.iter().any(|u| request.url.starts_with(u)) {
                Ok(HttpResponse {
                    status: 200,
                    headers: Vec::new(),
                    body: Vec::new(),
                })
            } else if self.broken.iter().any(|u| request.url.starts_with(u)) {
                Err(TransportError::Io {
                    host,
                    reason: "reset".into(),
                })
            } else {
                Err(TransportError::Connect {
                    host,
                    reason: "refused".into(),
                })
            }
        }
    }

    const A: &str = "http://127.0.0.1:1";
    const B: &str = "http://127.0.0.1:2";
    const C: &str = "http://127.0.0.1:3";

    fn servers() -> Arc<Servers> {
        Servers::new(&[format!("{A}/"), B.to_owned(), C.to_owned()])
    }

    #[test]
    fn devices_spread_round_robin_and_requests_are_rewritten() {
        let fake = Arc::new(Fake {
            up: vec![A, B, C],
            broken: vec![],
            seen: Mutex::new(Vec::new()),
        });
        let s = servers();
        for i in 0..4 {
            let t = s.transport_for(i, fake.clone());
            t.send(HttpRequest::get(format!("{A}/v1/fleet"))).unwrap();
        }
        assert_eq!(
            *fake.seen.lock().unwrap(),
            [
                format!("{A}/v1/fleet"),
                format!("{B}/v1/fleet"),
                format!("{C}/v1/fleet"),
                format!("{A}/v1/fleet"),
            ]
        );
        let devices: Vec<u64> = s.summary().iter().map(|x| x.devices).collect();
        assert_eq!(devices, [2, 1, 1]);
    }

    #[test]
    fn a_refused_connection_is_retried_on_the_next_server_and_the_device_stays_there() {
        let fake = Arc::new(Fake {
            up: vec![C],
            broken: vec![],
            seen: Mutex::new(Vec::new()),
        });
        let s = servers();
        let t = s.transport_for(0, fake.clone());
        assert_eq!(
            t.send(HttpRequest::get(format!("{A}/x"))).unwrap().status,
            200
        );
        assert_eq!(
            t.send(HttpRequest::get(format!("{A}/y"))).unwrap().status,
            200
        );
        assert_eq!(
            *fake.seen.lock().unwrap(),
            [
                format!("{A}/x"),
                format!("{B}/x"),
                format!("{C}/x"),
                format!("{C}/y")
            ]
        );
        let sum = s.summary();
        assert_eq!((sum[0].refused, sum[0].failed_over), (1, 1));
        assert_eq!((sum[1].refused, sum[1].failed_over), (1, 1));
        assert_eq!(sum[2].answered, 2);
    }

    #[test]
    fn a_broken_connection_is_not_resent_but_the_next_request_moves_on() {
        let fake = Arc::new(Fake {
            up: vec![B],
            broken: vec![A],
            seen: Mutex::new(Vec::new()),
        });
        let s = servers();
        let t = s.transport_for(0, fake.clone());
        let e = t.send(HttpRequest::get(format!("{A}/x"))).unwrap_err();
        assert!(matches!(e, TransportError::Io { .. }), "{e:?}");
        assert_eq!(
            t.send(HttpRequest::get(format!("{A}/x"))).unwrap().status,
            200
        );
        assert_eq!(
            *fake.seen.lock().unwrap(),
            [format!("{A}/x"), format!("{B}/x")]
        );
        assert_eq!(s.summary()[0].broken, 1);
    }

    #[test]
    fn every_server_refusing_gives_the_last_error() {
        let fake = Arc::new(Fake {
            up: vec![],
            broken: vec![],
            seen: Mutex::new(Vec::new()),
        });
        let s = servers();
        let t = s.transport_for(1, fake.clone());
        let e = t.send(HttpRequest::get(format!("{A}/x"))).unwrap_err();
        assert!(matches!(e, TransportError::Connect { .. }), "{e:?}");
        assert_eq!(fake.seen.lock().unwrap().len(), 3);
    }
}
