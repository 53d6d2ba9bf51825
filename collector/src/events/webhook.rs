//! Webhooks: each event, as its OCSF JSON, POSTed to every configured
//! endpoint with the Standard Webhooks headers (`webhook-id`: the event id,
//! `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
//! id.timestamp.body>`).
//!
//! Durable and at least once: the writer stores one delivery row per event
//! and endpoint in the same transaction as the change itself, so a crash
//! loses nothing; a thread of its own sends due rows, marks them delivered
//! on a 2xx answer, and otherwise retries with doubling backoff (capped at
//! an hour) until the delivery is older than the retry horizon (72 hours by
//! default), keeping the last error for the admin to see. A receiver
//! deduplicates by `webhook-id`.
//!
//! On PostgreSQL every collector process runs this thread on the shared
//! queue: each claims a due row with `SELECT ... FOR UPDATE SKIP LOCKED`
//! and holds the row lock while it sends and records the outcome, so a row
//! is sent by one process at a time and, once recorded, by none again. A
//! process that dies mid-send releases the lock and another sends the row
//! (the receiver's deduplication covers that case).

use std::fmt;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use agent_core::transport::{HttpRequest, HttpTransport, Transport, TransportConfig};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::digest::{SHA256, digest};
use ring::hmac;
use rusqlite::Connection;

use super::EventsError;
use super::webhook_store::{self, Due};
use crate::metrics::WebhookCounters;
use crate::storage::PgWebhookQueue;

/// How long a delivery is retried, by default, before it is given up: 72
/// hours, so a receiver down for a weekend still gets every event.
pub const DEFAULT_RETRY_FOR: Duration = Duration::from_secs(72 * 3600);
/// The longest wait between two attempts: once the doubling waits reach
/// it, a receiver that is down is tried once an hour.
const MAX_BACKOFF_MS: i64 = 3_600_000;

/// A webhook endpoint, configured by the collector's admin.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    /// Where events are POSTed (HTTPS; plain HTTP only to loopback).
    pub url: String,
    /// The signing secret.
    pub secret: WebhookSecret,
    /// The admin's name for the endpoint, its id when given: deliveries
    /// queued for it follow it to a new URL. Without a name the id comes
    /// from the URL, and a new URL is a new endpoint.
    pub name: Option<String>,
}

impl fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("url", &self.shown_url())
            .finish_non_exhaustive()
    }
}

impl WebhookEndpoint {
    /// The URL without its user part, query and fragment, to log and show:
    /// a receiver's query or user part often carries a token.
    pub fn shown_url(&self) -> String {
        agent_core::transport::shown_url(&self.url)
    }

    /// A stable id for the endpoint (its queued deliveries survive a
    /// restart): its name, else the first 16 hex digits of SHA-256 of its
    /// URL.
    pub fn id(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        digest(&SHA256, self.url.as_bytes()).as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Checks an endpoint name: 1 to 64 of `a-z`, `0-9`, `-`, `_`, `.`
    /// (it is shown to the admin and kept in the database).
    pub fn check_name(name: &str) -> Result<(), EventsError> {
        let ok = (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
        if ok {
            Ok(())
        } else {
            Err(EventsError::Spec {
                spec: name.to_owned(),
                reason: "a webhook name is 1 to 64 of a-z, 0-9, -, _ and .".into(),
            })
        }
    }
}

/// A Standard Webhooks secret: `whsec_` and the base64 of the key bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(redacted)")
    }
}

impl WebhookSecret {
    /// Parses `whsec_BASE64` (at least 16 key bytes).
    pub fn parse(text: &str) -> Result<WebhookSecret, EventsError> {
        let bad = |reason: &str| EventsError::Spec {
            spec: "webhook secret".into(),
            reason: reason.into(),
        };
        let b64 = text
            .strip_prefix("whsec_")
            .ok_or_else(|| bad("it must start with whsec_"))?;
        let key = STANDARD
            .decode(b64)
            .map_err(|_| bad("after whsec_ comes base64"))?;
        if key.len() < 16 {
            return Err(bad("the key must be at least 16 bytes"));
        }
        Ok(WebhookSecret(key))
    }

    /// The `webhook-signature` value for a message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &str) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.0);
        let tag = hmac::sign(&key, format!("{id}.{timestamp}.{body}").as_bytes());
        format!("v1,{}", STANDARD.encode(tag.as_ref()))
    }
}

/// The delivery thread; dropping it stops the thread (queued rows stay in
/// the database for the next start).
#[derive(Debug)]
pub(crate) struct Webhooks {
    wake: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Where the delivery queue is.
pub(crate) enum QueueDb {
    /// The SQLite file.
    Sqlite(PathBuf),
    /// The PostgreSQL database, shared with other collector processes.
    Postgres(Box<tokio_postgres::Config>),
}

/// What one attempt came to.
pub(crate) enum Attempt {
    /// A 2xx answer at this time (ms).
    Delivered(i64),
    /// No 2xx: the next attempt at `next_ms`, none when `last`.
    Failed {
        next_ms: i64,
        status: Option<u16>,
        error: String,
        last: bool,
    },
}

/// The open queue, on the delivery thread.
enum Queue {
    Sqlite(Connection),
    Postgres(Box<PgWebhookQueue>),
}

impl Queue {
    fn all_due(&mut self, now_ms: i64) -> Result<(), String> {
        match self {
            Queue::Sqlite(c) => webhook_store::all_due(c, now_ms).map_err(|e| e.to_string()),
            Queue::Postgres(q) => q.all_due(now_ms),
        }
    }

    /// A due row, held until [`Queue::finish`] (on PostgreSQL: locked).
    fn claim(&mut self, now_ms: i64) -> Result<Option<Due>, String> {
        match self {
            Queue::Sqlite(c) => webhook_store::due(c, now_ms, 1)
                .map(|mut v| v.pop())
                .map_err(|e| e.to_string()),
            Queue::Postgres(q) => q.claim(now_ms),
        }
    }

    fn finish(&mut self, row: &Due, attempt: &Attempt) -> Result<(), String> {
        match self {
            Queue::Sqlite(c) => match attempt {
                Attempt::Delivered(at) => webhook_store::delivered(c, row, *at),
                Attempt::Failed {
                    next_ms,
                    status,
                    error,
                    last,
                } => webhook_store::failed(c, row, *next_ms, *status, error, *last),
            }
            .map_err(|e| e.to_string()),
            Queue::Postgres(q) => q.finish(row, attempt),
        }
    }

    /// When the next row not yet due falls due.
    fn next_due(&mut self, now_ms: i64) -> Result<Option<i64>, String> {
        match self {
            Queue::Sqlite(c) => webhook_store::next_due(c).map_err(|e| e.to_string()),
            Queue::Postgres(q) => q.next_due(now_ms),
        }
    }
}

impl Webhooks {
    /// Starts delivering the rows of the queue in `db` to `endpoints`.
    pub fn start(
        db: QueueDb,
        endpoints: Vec<WebhookEndpoint>,
        ca_pem: Option<Vec<u8>>,
        first_backoff: Duration,
        counters: WebhookCounters,
        retry_for: Duration,
    ) -> Result<Webhooks, EventsError> {
        // A bad CA file stops the start, rather than the first delivery.
        if let Some(pem) = ca_pem.as_deref() {
            super::syslog::client_config(Some(pem))?;
        }
        let (wake, woken) = sync_channel(1);
        let sender = Sender {
            db,
            counters,
            endpoints,
            ca_pem,
            first_backoff_ms: i64::try_from(first_backoff.as_millis())
                .unwrap_or(MAX_BACKOFF_MS)
                .max(1),
            retry_for_ms: i64::try_from(retry_for.as_millis()).unwrap_or(i64::MAX),
        };
        let thread = std::thread::Builder::new()
            .name("collector-webhooks".into())
            .spawn(move || sender.run(woken))
            .map_err(|e| EventsError::io("start the webhook thread", e))?;
        Ok(Webhooks {
            wake: Some(wake),
            thread: Some(thread),
        })
    }

    /// New rows were committed: look now rather than at the next due time.
    pub fn wake(&self) {
        if let Some(w) = &self.wake {
            match w.try_send(()) {
                // Full: a wake-up is already pending, which is enough.
                Ok(()) | Err(TrySendError::Full(())) => {}
                Err(TrySendError::Disconnected(())) => {
                    tracing::error!(
                        "the webhook thread has stopped; deliveries wait in the database"
                    );
                }
            }
        }
    }
}

impl Drop for Webhooks {
    fn drop(&mut self) {
        self.wake.take();
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("the webhook thread panicked");
        }
    }
}

struct Sender {
    db: QueueDb,
    counters: WebhookCounters,
    endpoints: Vec<WebhookEndpoint>,
    ca_pem: Option<Vec<u8>>,
    first_backoff_ms: i64,
    retry_for_ms: i64,
}

pub(crate) fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

impl Sender {
    fn run(self, woken: Receiver<()>) {
        let (mut queue, transport) = match self.open() {
            Ok(x) => x,
            Err(e) => {
                tracing::error!("webhooks disabled: {e}");
                return;
            }
        };
        if let Err(e) = queue.all_due(now_ms()) {
            tracing::warn!("webhook deliveries: {e}");
        }
        loop {
            let next = match self.pass(&mut queue, &transport) {
                Ok(next) => next,
                Err(e) => {
                    tracing::error!("webhook deliveries: {e}");
                    Some(now_ms() + 5_000)
                }
            };
            let wait = next.map_or(Duration::from_secs(60), |at| {
                Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0))
            });
            match woken.recv_timeout(wait.min(Duration::from_secs(60))) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn open(&self) -> Result<(Queue, HttpTransport), EventsError> {
        let queue = match &self.db {
            QueueDb::Sqlite(path) => Queue::Sqlite(
                Connection::open(path)
                    .and_then(|c| c.busy_timeout(Duration::from_secs(5)).map(|()| c))
                    .map_err(|e| EventsError::Delivery(format!("open the database: {e}")))?,
            ),
            QueueDb::Postgres(config) => Queue::Postgres(Box::new(
                PgWebhookQueue::open(
                    (**config).clone(),
                    self.endpoints.iter().map(WebhookEndpoint::id).collect(),
                )
                .map_err(EventsError::Delivery)?,
            )),
        };
        let transport = HttpTransport::new(TransportConfig {
            extra_ca_pem: self.ca_pem.clone(),
            ..TransportConfig::default()
        })
        .map_err(|e| EventsError::Ca(e.to_string()))?;
        Ok((queue, transport))
    }

    /// Sends what is due, one claimed row at a time; returns when the next
    /// row falls due.
    fn pass(&self, queue: &mut Queue, transport: &HttpTransport) -> Result<Option<i64>, String> {
        loop {
            // One instant for both: a row due by then is claimed here or
            // held by another process; the rest are counted for the wait.
            let now = now_ms();
            let Some(row) = queue.claim(now)? else {
                return queue.next_due(now);
            };
            let attempt = self.send_one(transport, &row);
            if let Attempt::Failed { last, .. } = &attempt {
                self.counters.attempt_failed(&row.endpoint_id);
                if *last {
                    self.counters.given_up(&row.endpoint_id);
                }
            }
            queue.finish(&row, &attempt)?;
        }
    }

    fn send_one(&self, transport: &HttpTransport, row: &Due) -> Attempt {
        let Some(endpoint) = self.endpoints.iter().find(|e| e.id() == row.endpoint_id) else {
            // Its endpoint is no longer configured: nothing to send it to.
            return Attempt::Failed {
                next_ms: now_ms(),
                status: None,
                error: "endpoint no longer configured".into(),
                last: true,
            };
        };
        let timestamp = now_ms() / 1000;
        let request = HttpRequest::post(
            &endpoint.url,
            "application/json",
            row.body.as_bytes().to_vec(),
        )
        .with_header("webhook-id", &row.event_id)
        .with_header("webhook-timestamp", &timestamp.to_string())
        .with_header(
            "webhook-signature",
            &endpoint.secret.sign(&row.event_id, timestamp, &row.body),
        );
        let (status, error) = match transport.send(request) {
            Ok(r) if (200..300).contains(&r.status) => {
                return Attempt::Delivered(now_ms());
            }
            Ok(r) => (Some(r.status), format!("answered {}", r.status)),
            Err(e) => (None, e.to_string()),
        };
        let attempts = row.attempts + 1;
        let now = now_ms();
        let last = now.saturating_sub(row.created_at_ms) >= self.retry_for_ms;
        if last {
            tracing::error!(
                "webhook {}: event {} given up after {attempts} attempts over {} s: {error}",
                endpoint.shown_url(),
                row.event_id,
                now.saturating_sub(row.created_at_ms) / 1000
            );
        } else {
            tracing::warn!(
                "webhook {}: event {} attempt {attempts} failed: {error}",
                endpoint.shown_url(),
                row.event_id
            );
        }
        let shift = attempts.saturating_sub(1).min(20);
        let backoff = self
            .first_backoff_ms
            .saturating_mul(1 << shift)
            .min(MAX_BACKOFF_MS);
        Attempt::Failed {
            next_ms: now + backoff,
            status,
            error,
            last,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_standard_webhooks_example() {
        // The Standard Webhooks specification's example.
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = secret.sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(!format!("{secret:?}").contains("MfKQ"));
    }

    #[test]
    fn refuses_a_malformed_secret() {
        for s in ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_!!", "whsec_AAAA"] {
            assert!(WebhookSecret::parse(s).is_err(), "{s}");
        }
    }
}
