//! The collector's operational metrics, in the Prometheus text exposition
//! format (`GET /metrics`, protocol §8.7): reports accepted and rejected by
//! problem kind, how long verification and whole report requests take,
//! enrolments, what waits on the writer, storage failures, and webhook
//! deliveries that failed or were given up, by endpoint.
//!
//! Counters are kept by `prometheus-client`, the Prometheus project's Rust
//! client, which also writes the exposition format, so its escaping and
//! histogram layout are the ones Prometheus parses.

use std::time::Duration;

use agent_core::protocol::ProblemKind;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// The `Content-Type` of `GET /metrics`.
pub(crate) const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Histogram bounds in seconds: verification alone takes ~60-100 µs, a
/// report with its group commit a few milliseconds, an overloaded one tens.
const LATENCY_BUCKETS: [f64; 14] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0,
];

/// How a request ended, as a label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    /// `created` (201) or `resent` (200, the stored acknowledgement).
    outcome: &'static str,
}

/// Why a request was refused: the problem type's slug (protocol §9).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    reason: &'static str,
}

/// A webhook endpoint, as a label: its id (a digest of its URL), never the
/// URL, whose query may hold a credential.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Endpoint {
    endpoint: String,
}

/// The webhook counters, for the delivery thread (clones share them).
#[derive(Clone, Debug, Default)]
pub(crate) struct WebhookCounters {
    failed: Family<Endpoint, Counter>,
    given_up: Family<Endpoint, Counter>,
}

impl WebhookCounters {
    /// An attempt to deliver to the endpoint got no 2xx answer.
    pub fn attempt_failed(&self, endpoint_id: &str) {
        self.failed.get_or_create(&endpoint(endpoint_id)).inc();
    }

    /// A delivery to the endpoint was given up after its last attempt.
    pub fn given_up(&self, endpoint_id: &str) {
        self.given_up.get_or_create(&endpoint(endpoint_id)).inc();
    }
}

fn endpoint(id: &str) -> Endpoint {
    Endpoint {
        endpoint: id.to_owned(),
    }
}

/// Every metric the collector keeps, and the registry that writes them.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    reports: Family<Outcome, Counter>,
    reports_rejected: Family<Reason, Counter>,
    enrolments: Family<Outcome, Counter>,
    enrolments_rejected: Family<Reason, Counter>,
    verification: Histogram,
    report_duration: Histogram,
    writer_pending: Gauge,
    database_errors: Counter,
    webhooks: WebhookCounters,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("posture_collector");
        let reports = Family::<Outcome, Counter>::default();
        let reports_rejected = Family::<Reason, Counter>::default();
        let enrolments = Family::<Outcome, Counter>::default();
        let enrolments_rejected = Family::<Reason, Counter>::default();
        let verification = Histogram::new(LATENCY_BUCKETS);
        let report_duration = Histogram::new(LATENCY_BUCKETS);
        let writer_pending = Gauge::default();
        let database_errors = Counter::default();
        let webhooks = WebhookCounters::default();
        registry.register(
            "reports",
            "Reports stored (outcome=created) or answered again with their stored acknowledgement (outcome=resent)",
            reports.clone(),
        );
        registry.register(
            "reports_rejected",
            "Reports refused, by problem type (protocol section 9)",
            reports_rejected.clone(),
        );
        registry.register(
            "enrolments",
            "Devices enrolled (outcome=created) or repeated enrolments answered again (outcome=resent)",
            enrolments.clone(),
        );
        registry.register(
            "enrolments_rejected",
            "Enrolments refused, by problem type (protocol section 9)",
            enrolments_rejected.clone(),
        );
        registry.register_with_unit(
            "report_verification",
            "Time to verify a report token and reach the server's verdict, before storing",
            Unit::Seconds,
            verification.clone(),
        );
        registry.register_with_unit(
            "report_request",
            "Time to answer a report request, from its body read to its answer, storage included",
            Unit::Seconds,
            report_duration.clone(),
        );
        registry.register(
            "writer_pending",
            "Commands handed to the database and not yet answered: the SQLite writer's queue and batch, or PostgreSQL transactions waiting for or holding a connection",
            writer_pending.clone(),
        );
        registry.register(
            "database_errors",
            "Requests that failed in the database (answered 500 internal), and failed readiness checks",
            database_errors.clone(),
        );
        registry.register(
            "webhook_attempts_failed",
            "Webhook delivery attempts that got no 2xx answer (each is retried with backoff until its last), by endpoint id",
            webhooks.failed.clone(),
        );
        registry.register(
            "webhook_deliveries_given_up",
            "Webhook deliveries given up after their last attempt, by endpoint id",
            webhooks.given_up.clone(),
        );
        Metrics {
            webhooks,
            registry,
            reports,
            reports_rejected,
            enrolments,
            enrolments_rejected,
            verification,
            report_duration,
            writer_pending,
            database_errors,
        }
    }
}

impl Metrics {
    /// A report was stored (`resent` false) or answered again.
    pub fn report_accepted(&self, resent: bool) {
        self.reports.get_or_create(&outcome(resent)).inc();
    }

    /// A report was refused with `kind` (`None`: not a protocol problem).
    pub fn report_rejected(&self, kind: Option<ProblemKind>) {
        self.count_database_error(kind);
        self.reports_rejected.get_or_create(&reason(kind)).inc();
    }

    /// A device enrolled (`resent` false) or repeated its enrolment.
    pub fn enrolment_accepted(&self, resent: bool) {
        self.enrolments.get_or_create(&outcome(resent)).inc();
    }

    /// An enrolment was refused with `kind`.
    pub fn enrolment_rejected(&self, kind: Option<ProblemKind>) {
        self.count_database_error(kind);
        self.enrolments_rejected.get_or_create(&reason(kind)).inc();
    }

    /// How long one report's verification and appraisal took.
    pub fn observe_verification(&self, took: Duration) {
        self.verification.observe(took.as_secs_f64());
    }

    /// How long one report request took to answer.
    pub fn observe_report(&self, took: Duration) {
        self.report_duration.observe(took.as_secs_f64());
    }

    /// Counts a command handed to the writer until the guard is dropped
    /// (answered, or the request abandoned).
    pub fn writer_command(&self) -> PendingGuard<'_> {
        self.writer_pending.inc();
        PendingGuard(&self.writer_pending)
    }

    /// A database failure outside the counted requests (readiness, reads).
    pub fn database_error(&self) {
        self.database_errors.inc();
    }

    fn count_database_error(&self, kind: Option<ProblemKind>) {
        if kind == Some(ProblemKind::Internal) {
            self.database_errors.inc();
        }
    }

    /// The webhook counters, for the delivery thread.
    pub fn webhooks(&self) -> WebhookCounters {
        self.webhooks.clone()
    }

    /// The metrics in the Prometheus text exposition format (0.0.4).
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::with_capacity(4096);
        prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Decrements the writer's pending gauge when dropped.
pub(crate) struct PendingGuard<'a>(&'a Gauge);

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

fn outcome(resent: bool) -> Outcome {
    Outcome {
        outcome: if resent { "resent" } else { "created" },
    }
}

fn reason(kind: Option<ProblemKind>) -> Reason {
    Reason {
        reason: kind.map_or("other", ProblemKind::slug),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn counters_are_written_with_their_labels() {
        let m = Metrics::default();
        m.report_accepted(false);
        m.report_accepted(false);
        m.report_rejected(Some(ProblemKind::BadSignature));
        m.report_rejected(Some(ProblemKind::Internal));
        m.observe_verification(Duration::from_micros(70));
        let pending = m.writer_command();
        let hooks = m.webhooks();
        hooks.attempt_failed("0123456789abcdef");
        hooks.attempt_failed("0123456789abcdef");
        hooks.given_up("0123456789abcdef");
        let text = m.encode().unwrap();
        drop(pending);
        assert!(
            text.contains("posture_collector_reports_total{outcome=\"created\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("posture_collector_reports_rejected_total{reason=\"bad-signature\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("posture_collector_database_errors_total 1\n"),
            "{text}"
        );
        assert!(
            text.contains("posture_collector_writer_pending 1\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "posture_collector_webhook_attempts_failed_total{endpoint=\"0123456789abcdef\"} 2\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "posture_collector_webhook_deliveries_given_up_total{endpoint=\"0123456789abcdef\"} 1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "posture_collector_report_verification_seconds_bucket{le=\"0.0001\"} 1\n"
            ),
            "{text}"
        );
        assert!(
            m.encode()
                .unwrap()
                .contains("posture_collector_writer_pending 0\n")
        );
    }
}
