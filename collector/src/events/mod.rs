//! Security events for a SIEM: what changed in the fleet, as OCSF 1.x JSON,
//! delivered to the configured outputs.
//!
//! The writer records an event while it applies a command ([`Pending`]) and
//! hands the batch's events over only after its commit succeeded, so an
//! output never sees a change that is not on disk. Handing over never waits:
//! every output has its own bounded queue and thread; when a queue is full
//! the event is dropped for that output, counted and logged. An output that
//! fails is retried with backoff a bounded number of times.

pub(crate) mod deadlines;
mod hec;
mod jsonl;
pub(crate) mod ocsf;
mod output;
pub(crate) mod queries;
mod sink;
mod syslog;
pub(crate) mod webhook;
pub(crate) mod webhook_store;

use std::sync::Arc;

use agent_core::policy::{Compliance, RuleId};
use agent_core::protocol::{AssuranceLevel, DeviceId};
use agent_core::{Platform, Posture, Verdict};
use rusqlite::Connection;
use time::{Date, OffsetDateTime};

use crate::attestation::pin::Downgrade;
use queries::DeviceFacts;

pub use output::{EventOutput, EventsConfig, HecToken};
pub use sink::{OutputStats, Outputs};
pub(crate) use webhook::Webhooks;
pub use webhook::{DEFAULT_RETRY_FOR as DEFAULT_WEBHOOK_RETRY_FOR, WebhookEndpoint, WebhookSecret};
pub use webhook_store::WebhookStatus;

/// Why the event outputs could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    /// An `--events` value is not one the collector knows.
    #[error("event output {spec:?}: {reason}")]
    Spec {
        /// The value as given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A CA file for the outputs is not usable PEM.
    #[error("event output CA: {0}")]
    Ca(String),
    /// A file or socket could not be used.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Delivering to an output failed (retried while attempts remain).
    #[error("{0}")]
    Delivery(String),
    /// The output refused the event for good (no retry helps).
    #[error("refused: {0}")]
    Refused(String),
}

impl EventsError {
    fn io(what: impl Into<String>, source: std::io::Error) -> EventsError {
        EventsError::Io {
            what: what.into(),
            source,
        }
    }
}

/// One event: what happened to which device, and when.
#[derive(Debug, Clone)]
pub struct Event {
    /// A random UUID (v4): the same event delivered twice has the same id.
    pub id: String,
    /// When the change was applied.
    pub time: OffsetDateTime,
    /// The device's random id (never a personal identifier).
    pub device_id: DeviceId,
    /// The device's platform.
    pub platform: Platform,
    /// What happened.
    pub kind: EventKind,
}

/// The kinds of event.
#[derive(Debug, Clone)]
pub enum EventKind {
    /// A current report moved the device's verdict (or gave its first).
    VerdictChanged {
        /// The verdict before; `None` for the device's first.
        from: Option<Compliance>,
        /// The collector's verdict now.
        verdict: Box<Verdict>,
        /// What the verdict rests on.
        assurance: AssuranceLevel,
        /// The report that changed it.
        jti: String,
    },
    /// The device enrolled.
    Enrolled,
    /// The device unenrolled.
    Unenrolled,
    /// A fresh key attestation was a downgrade against the device's pin.
    PinBroken {
        /// The report that carried the chain.
        jti: String,
        /// What went down: field, pinned value, value seen.
        downgrades: Vec<(String, String, String)>,
    },
    /// A `warn-then-block` rule's grace deadline passed with no report
    /// since the warning: the rule now blocks the device.
    GraceDeadlinePassed {
        /// The rule whose grace ran out.
        rule: RuleId,
        /// Since when the rule has failed the device.
        since: OffsetDateTime,
        /// The deadline: the first day of the block.
        deadline: Date,
        /// The latest current report, the one that gave the deadline.
        jti: String,
    },
    /// The posture of a stored current report.
    Snapshot {
        /// The report.
        jti: String,
        /// The posture as reported.
        posture: Box<Posture>,
        /// The collector's verdict on it.
        verdict: Box<Verdict>,
    },
}

/// The events of the writer's open transaction, published on commit.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    events: Vec<Event>,
    outputs: Option<Arc<Outputs>>,
    webhooks: Option<WebhookQueue>,
}

/// The webhook endpoints' ids and their delivery thread.
#[derive(Debug, Clone)]
pub(crate) struct WebhookQueue {
    pub endpoint_ids: Vec<String>,
    /// Each endpoint's id and URL without its query (which may hold a
    /// credential), for the admin.
    pub shown: Vec<(String, String)>,
    pub worker: Arc<Webhooks>,
}

/// What a store needs to publish events: the outputs, the settings (for
/// the webhook endpoints) and the webhook counters.
pub(crate) struct EventSetup<'a> {
    pub outputs: Option<Arc<Outputs>>,
    pub config: &'a EventsConfig,
    pub counters: crate::metrics::WebhookCounters,
}

impl WebhookQueue {
    /// Starts the delivery thread on the queue in `db` when `config` names
    /// webhook endpoints (`None` without any).
    pub fn start(
        config: &EventsConfig,
        db: webhook::QueueDb,
        counters: crate::metrics::WebhookCounters,
    ) -> Result<Option<WebhookQueue>, EventsError> {
        if config.webhooks.is_empty() {
            return Ok(None);
        }
        let worker = Webhooks::start(
            db,
            config.webhooks.clone(),
            config.ca_pem.clone(),
            config.webhook_first_backoff,
            counters,
            config.webhook_retry_for,
        )?;
        Ok(Some(WebhookQueue {
            endpoint_ids: config.webhooks.iter().map(|w| w.id()).collect(),
            shown: config
                .webhooks
                .iter()
                .map(|w| (w.id(), w.shown_url()))
                .collect(),
            worker: Arc::new(worker),
        }))
    }
}

impl Pending {
    /// Events go to `outputs` and `webhooks`; with neither, nothing is
    /// recorded at all.
    pub fn new(outputs: Option<Arc<Outputs>>, webhooks: Option<WebhookQueue>) -> Pending {
        Pending {
            events: Vec::new(),
            outputs,
            webhooks,
        }
    }

    /// Whether any output or webhook wants events.
    pub fn enabled(&self) -> bool {
        self.outputs.is_some() || self.webhooks.is_some()
    }

    fn push(&mut self, device_id: &str, platform: Platform, now: i64, kind: EventKind) {
        let (Some(id), Ok(device)) = (new_id(), DeviceId::new(device_id)) else {
            // Without an id the event could not be deduplicated: say so.
            tracing::error!("event for device {device_id} dropped: no id could be made for it");
            return;
        };
        self.events.push(Event {
            id,
            time: OffsetDateTime::from_unix_timestamp(now).unwrap_or(OffsetDateTime::UNIX_EPOCH),
            device_id: device,
            platform,
            kind,
        });
    }

    /// The device as it is before a change, read inside the transaction;
    /// `None` when no output wants events (nothing is read then).
    pub fn before(&self, conn: &Connection, device_id: &str) -> Option<DeviceFacts> {
        if !self.enabled() {
            return None;
        }
        match queries::device_facts(conn, device_id) {
            Ok(facts) => facts,
            Err(e) => {
                tracing::error!("event for device {device_id} dropped: reading it: {e}");
                None
            }
        }
    }

    /// A device enrolled.
    pub fn enrolled(&mut self, device_id: &str, platform: Platform, now: i64) {
        if self.enabled() {
            self.push(device_id, platform, now, EventKind::Enrolled);
        }
    }

    /// A device unenrolled.
    pub fn unenrolled(&mut self, conn: &Connection, device_id: &str, now: i64) {
        if let Some(device) = self.before(conn, device_id) {
            self.unenrolled_as(device.platform, device_id, now);
        }
    }

    /// A device of `platform` unenrolled (the platform read by the caller).
    pub fn unenrolled_as(&mut self, platform: Platform, device_id: &str, now: i64) {
        if self.enabled() {
            self.push(device_id, platform, now, EventKind::Unenrolled);
        }
    }

    /// A current report was stored: its snapshot, and a verdict event when
    /// the compliance differs from `before` (read before the report's
    /// update).
    pub fn current_report(
        &mut self,
        before: Option<DeviceFacts>,
        report: CurrentReport<'_>,
        now: i64,
    ) {
        let Some(device) = before else { return };
        let CurrentReport {
            device_id,
            jti,
            verdict,
            assurance,
            posture,
        } = report;
        if device.last_compliance != Some(verdict.compliance) {
            self.push(
                device_id,
                device.platform,
                now,
                EventKind::VerdictChanged {
                    from: device.last_compliance,
                    verdict: Box::new(verdict.clone()),
                    assurance,
                    jti: jti.to_owned(),
                },
            );
        }
        self.push(
            device_id,
            device.platform,
            now,
            EventKind::Snapshot {
                jti: jti.to_owned(),
                posture: Box::new(posture.clone()),
                verdict: Box::new(verdict.clone()),
            },
        );
    }

    /// A device's attestation pin broke.
    pub fn pin_broken(
        &mut self,
        conn: &Connection,
        device_id: &str,
        jti: &str,
        found: &[Downgrade],
        now: i64,
    ) {
        if let Some(device) = self.before(conn, device_id) {
            self.pin_broken_as(device.platform, device_id, jti, found, now);
        }
    }

    /// A device's attestation pin broke; its platform read by the caller.
    pub fn pin_broken_as(
        &mut self,
        platform: Platform,
        device_id: &str,
        jti: &str,
        found: &[Downgrade],
        now: i64,
    ) {
        if !self.enabled() {
            return;
        }
        let downgrades = found
            .iter()
            .map(|d| (d.field.to_owned(), d.pinned.clone(), d.seen.clone()))
            .collect();
        self.push(
            device_id,
            platform,
            now,
            EventKind::PinBroken {
                jti: jti.to_owned(),
                downgrades,
            },
        );
    }

    /// A grace deadline the scan found passed: records it once and, when
    /// this is the first time, adds its event. Nothing at all when no
    /// output wants events.
    pub fn grace_deadline_passed(
        &mut self,
        conn: &Connection,
        due: &deadlines::DueDeadline,
        now: i64,
    ) -> rusqlite::Result<bool> {
        if !self.enabled() {
            return Ok(false);
        }
        let Some(id) = self.grace_deadline_id(due) else {
            return Ok(false);
        };
        if !deadlines::record_once(conn, due, &id, now)? {
            return Ok(false);
        }
        Ok(self.grace_deadline_recorded(due, id))
    }

    /// The event id for a grace deadline's event, made before its
    /// insert-once row (which keeps it); `None`, logged, when no random
    /// id could be made.
    pub fn grace_deadline_id(&self, due: &deadlines::DueDeadline) -> Option<String> {
        let id = new_id();
        if id.is_none() {
            tracing::error!(
                "grace deadline event for device {} not made: no id could be made for it",
                due.device_id
            );
        }
        id
    }

    /// Adds the event of a grace deadline whose insert-once row this
    /// transaction put in, with the id the row keeps; whether it was added.
    pub fn grace_deadline_recorded(&mut self, due: &deadlines::DueDeadline, id: String) -> bool {
        let (Ok(device), Ok(since)) = (
            DeviceId::new(due.device_id.as_str()),
            OffsetDateTime::from_unix_timestamp(due.since),
        ) else {
            return false;
        };
        self.events.push(Event {
            id,
            // The block began at the start of the deadline day, whenever
            // the scan noticed: every process would give the same time.
            time: deadlines::block_starts(due.deadline),
            device_id: device,
            platform: due.platform,
            kind: EventKind::GraceDeadlinePassed {
                rule: due.rule,
                since,
                deadline: due.deadline,
                jti: due.jti.clone(),
            },
        });
        true
    }

    /// Inside the transaction, just before its commit: queue every event
    /// for every webhook endpoint, so the queue commits with the change.
    pub fn store(&self, conn: &Connection) {
        for d in self.deliveries() {
            if let Err(e) = webhook_store::enqueue(
                conn,
                d.event_id,
                d.endpoint_id,
                &d.body,
                d.created_at_ms,
                d.due_at_ms,
            ) {
                tracing::error!(
                    "webhook event {} not queued for {}: {e}",
                    d.event_id,
                    d.endpoint_id
                );
            }
        }
    }

    /// The webhook deliveries the open transaction's events make: one per
    /// event and endpoint, to queue before the commit.
    pub fn deliveries(&self) -> Vec<Delivery<'_>> {
        let Some(w) = &self.webhooks else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(self.events.len() * w.endpoint_ids.len());
        // The retry horizon counts from now, when the delivery is queued,
        // even for an event dated earlier (a grace deadline's block start,
        // found late); the first attempt waits for the event's time.
        let queued = webhook::now_ms();
        for event in &self.events {
            let body = ocsf::render(event).to_string();
            let at = event.time.unix_timestamp() * 1000;
            for endpoint in &w.endpoint_ids {
                out.push(Delivery {
                    event_id: &event.id,
                    endpoint_id: endpoint,
                    body: body.clone(),
                    created_at_ms: queued,
                    due_at_ms: at,
                });
            }
        }
        out
    }

    /// The transaction committed: hand every event to the outputs and
    /// wake the webhook thread.
    pub fn committed(&mut self) {
        if let Some(w) = &self.webhooks
            && !self.events.is_empty()
        {
            w.worker.wake();
        }
        match &self.outputs {
            Some(outputs) => {
                for event in self.events.drain(..) {
                    outputs.publish(Arc::new(event));
                }
            }
            None => self.events.clear(),
        }
    }

    /// The transaction rolled back: nothing happened.
    pub fn discard(&mut self) {
        self.events.clear();
    }
}

/// One row of the webhook queue, to insert in the change's transaction.
pub(crate) struct Delivery<'a> {
    pub event_id: &'a str,
    pub endpoint_id: &'a str,
    /// The event's OCSF JSON.
    pub body: String,
    /// When it was queued: the retry horizon counts from it.
    pub created_at_ms: i64,
    /// Its first attempt: the event's time.
    pub due_at_ms: i64,
}

/// What [`Pending::current_report`] needs of a stored current report.
pub(crate) struct CurrentReport<'a> {
    pub device_id: &'a str,
    pub jti: &'a str,
    pub verdict: &'a Verdict,
    pub assurance: AssuranceLevel,
    pub posture: &'a Posture,
}

/// A random UUID v4 (RFC 9562), the form SIEMs and webhook receivers
/// expect of an event id.
fn new_id() -> Option<String> {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut b).ok()?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

#[cfg(test)]
mod tests;
