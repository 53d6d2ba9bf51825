//! Serving the router over plain HTTP (loopback) or TLS, with graceful
//! shutdown; and [`spawn_local`], a collector on 127.0.0.1 in a background
//! thread for demos and tests.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};
use tokio_rustls::TlsAcceptor;
use tower_service::Service;

use crate::collector::Collector;
use crate::config::CollectorConfig;
use crate::connection::{BodyTimedOut, Counted, TimedBody, default_max_connections, refuse};
use crate::error::CollectorError;
use crate::tls::TlsConfig;

/// Over-limit plain-HTTP connections being answered at once; past it
/// they are closed unanswered.
const REFUSALS_AT_ONCE: usize = 64;
/// How long open connections get to finish after shutdown is asked for.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a client gets to complete the TLS handshake.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`ServeOptions::header_read_timeout`].
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default [`ServeOptions::body_read_timeout`].
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a client may take and how many are served at once, so slow or
/// many clients cannot hold the server's sockets and file descriptors.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// How long a client gets to send a request's line and headers, from
    /// when the server starts waiting for them; an idle keep-alive
    /// connection is closed after it too. The connection is closed
    /// without an answer when it passes.
    pub header_read_timeout: Duration,
    /// How long a client gets to send a request's body, from the end of
    /// its headers. The connection is closed without an answer when it
    /// passes (the agent retries, as after any broken connection).
    pub body_read_timeout: Duration,
    /// Most connections served at once. A plain-HTTP connection over it
    /// gets 503 `unavailable` with `Retry-After` and is closed (just
    /// closed while 64 such answers are under way); a TLS one is closed at
    /// once (a handshake would cost what the limit saves).
    pub max_connections: usize,
}

impl Default for ServeOptions {
    /// 30 s for headers, 30 s for a body; half the open-files limit.
    fn default() -> ServeOptions {
        ServeOptions {
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_read_timeout: BODY_READ_TIMEOUT,
            max_connections: default_max_connections(),
        }
    }
}

/// Serves `router` on `listener` (TLS when `tls` is given) until
/// `shutdown` completes, then lets open requests finish; with
/// [`ServeOptions::default`].
///
/// Each request carries `ConnectInfo<SocketAddr>`, which the enrolment
/// rate limit uses. Binding (and refusing plain HTTP off loopback) is the
/// caller's decision: this function serves what it is given.
pub async fn serve(
    router: axum::Router,
    listener: TcpListener,
    tls: Option<TlsConfig>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), CollectorError> {
    serve_with(router, listener, tls, ServeOptions::default(), shutdown).await
}

/// [`serve`] with the given timeouts and connection limit.
pub async fn serve_with(
    router: axum::Router,
    listener: TcpListener,
    tls: Option<TlsConfig>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), CollectorError> {
    if options.max_connections == 0 {
        return Err(CollectorError::Config(
            "the connection limit must be at least 1".into(),
        ));
    }
    let acceptor = tls.map(|t| TlsAcceptor::from(t.server));
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(options.max_connections));
    // Refusals are bounded too, or they would be the next way to hold sockets.
    let refusals = Arc::new(Semaphore::new(REFUSALS_AT_ONCE));
    let body_timeout = options.body_read_timeout;
    let mut shutdown = std::pin::pin!(shutdown);
    let mut saturated = false;
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: pause, go on.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            // Once per spell at the limit, not once per connection.
            if !saturated {
                saturated = true;
                tracing::warn!(
                    "{} connections open, the limit: refusing new ones until some close",
                    options.max_connections
                );
            }
            if acceptor.is_none()
                && let Ok(turn) = refusals.clone().try_acquire_owned()
            {
                tokio::spawn(async move {
                    refuse(stream).await;
                    drop(turn);
                });
            }
            continue;
        };
        saturated = false;
        // Small request/response pairs: do not wait to fill a segment.
        let _ = stream.set_nodelay(true);
        let stream = Counted::new(stream, slot);
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let expired = Arc::new(AtomicBool::new(false));
            let mut request =
                request.map(|body| TimedBody::new(body, body_timeout, expired.clone()));
            request.extensions_mut().insert(ConnectInfo(addr));
            let answer = router.clone().call(request);
            async move {
                let response = match answer.await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                // The body was cut off: close the connection, answer nothing.
                if expired.load(Ordering::Relaxed) {
                    return Err(BodyTimedOut);
                }
                Ok(response)
            }
        });
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(options.header_read_timeout);
        let watcher = graceful.watcher();
        match &acceptor {
            None => {
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                tokio::spawn(async move {
                    if let Err(e) = watcher.watch(conn).await {
                        tracing::debug!("connection from {addr}: {e}");
                    }
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => {
                            tracing::debug!("TLS handshake with {addr} failed: {e}");
                            return;
                        }
                        Err(_) => return,
                    };
                    let conn = builder.serve_connection(TokioIo::new(tls), service);
                    if let Err(e) = watcher.watch(conn).await {
                        tracing::debug!("connection from {addr}: {e}");
                    }
                });
            }
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN_TIMEOUT) => {
            tracing::warn!("connections still open after {DRAIN_TIMEOUT:?}; closing anyway");
        }
    }
    Ok(())
}

/// A collector serving on 127.0.0.1 from a background thread with its own
/// runtime; stops (and deletes a temporary database) when dropped.
#[derive(Debug)]
pub struct RunningCollector {
    url: String,
    ca_pem: Option<String>,
    collector: Collector,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RunningCollector {
    /// The base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The admin bearer token.
    pub fn admin_token(&self) -> &str {
        self.collector.admin_token()
    }

    /// The CA to trust, PEM, when serving HTTPS with a dev certificate.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The collector itself (issue codes, counts, fleet summary).
    pub fn collector(&self) -> &Collector {
        &self.collector
    }
}

impl Drop for RunningCollector {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the collector's server thread panicked");
        }
    }
}

/// Starts a collector on plain HTTP at 127.0.0.1 on a free port.
pub fn spawn_local(config: CollectorConfig) -> Result<RunningCollector, CollectorError> {
    spawn(config, ServeOptions::default(), false)
}

/// [`spawn_local`] with the given timeouts and connection limit.
pub fn spawn_local_with(
    config: CollectorConfig,
    options: ServeOptions,
) -> Result<RunningCollector, CollectorError> {
    spawn(config, options, false)
}

/// Starts a collector on HTTPS at 127.0.0.1 with a fresh dev CA; the agent
/// needs [`RunningCollector::ca_pem`] to trust it.
pub fn spawn_local_tls(config: CollectorConfig) -> Result<RunningCollector, CollectorError> {
    spawn(config, ServeOptions::default(), true)
}

fn spawn(
    config: CollectorConfig,
    options: ServeOptions,
    tls: bool,
) -> Result<RunningCollector, CollectorError> {
    let collector = Collector::open(config)?;
    let (tls, ca_pem) = if tls {
        let (tls, dev) = TlsConfig::dev_self_signed(None)?;
        (Some(tls), Some(dev.ca_pem))
    } else {
        (None, None)
    };
    let listener = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| CollectorError::io("bind 127.0.0.1", e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| CollectorError::io("configure the listener", e))?;
    let addr: SocketAddr = listener
        .local_addr()
        .map_err(|e| CollectorError::io("read the listener's address", e))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://127.0.0.1:{}", addr.port());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("collector")
        .build()
        .map_err(|e| CollectorError::io("start the collector's runtime", e))?;
    let (tx, rx) = oneshot::channel::<()>();
    let router = collector.router();
    let scanner = collector.clone();
    let thread = std::thread::Builder::new()
        .name("collector-server".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = match TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!("collector listener: {e}");
                        return;
                    }
                };
                let stop = async {
                    let _ = rx.await;
                };
                let scans = scanner.start_grace_deadline_scans();
                if let Err(e) = serve_with(router, listener, tls, options, stop).await {
                    tracing::error!("collector stopped: {e}");
                }
                // Its clone of the collector goes with it.
                if let Some(scans) = scans {
                    scans.abort();
                }
            });
        })
        .map_err(|e| CollectorError::io("start the collector's thread", e))?;
    Ok(RunningCollector {
        url,
        ca_pem,
        collector,
        shutdown: Some(tx),
        thread: Some(thread),
    })
}
