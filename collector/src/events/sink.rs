//! The outputs' queues and threads: a bounded queue per output, so a slow
//! or dead output delays nothing else, and bounded retries with backoff.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::output::{EventOutput, EventsConfig};
use super::{Event, EventsError, hec, jsonl, ocsf, syslog};

/// First wait before a retry; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// After shutdown starts, how long the outputs may go on draining.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// Sends one rendered event somewhere.
pub(crate) trait Deliver: Send {
    /// Delivers `json` (the OCSF rendering of `event`) once.
    fn deliver(&mut self, event: &Event, json: &str) -> Result<(), EventsError>;
}

/// What an output did so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputStats {
    /// The output, in words (never a token).
    pub output: String,
    /// Events delivered.
    pub delivered: u64,
    /// Events dropped because the output's queue was full.
    pub dropped: u64,
    /// Events given up after the last attempt, or refused by the output.
    pub failed: u64,
}

#[derive(Debug, Default)]
struct Counters {
    delivered: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

#[derive(Debug)]
struct Queue {
    name: String,
    tx: Option<SyncSender<Arc<Event>>>,
    counters: Arc<Counters>,
    thread: Option<JoinHandle<()>>,
}

/// The running outputs. Dropping them lets each drain its queue (for a
/// few seconds at most) and stops their threads.
#[derive(Debug)]
pub struct Outputs {
    queues: Vec<Queue>,
    stopping: Arc<AtomicBool>,
}

impl Outputs {
    /// Starts one thread per configured output; `None` when there is none.
    pub fn start(config: &EventsConfig) -> Result<Option<Outputs>, EventsError> {
        if config.outputs.is_empty() {
            return Ok(None);
        }
        // A bad CA file stops the start, rather than the first delivery.
        if let Some(pem) = config.ca_pem.as_deref() {
            syslog::client_config(Some(pem))?;
        }
        let mut sinks = Vec::with_capacity(config.outputs.len());
        for output in &config.outputs {
            sinks.push((output.describe(), open(output, config)?));
        }
        let outputs = Outputs::with_sinks(sinks, config.queue, config.attempts)?;
        for output in &config.outputs {
            tracing::info!("events go to {}", output.describe());
        }
        Ok(Some(outputs))
    }

    /// Starts a thread for each named sink, each with a queue of `queue`
    /// events and `attempts` tries per event.
    pub(crate) fn with_sinks(
        sinks: Vec<(String, Box<dyn Deliver>)>,
        queue: usize,
        attempts: u32,
    ) -> Result<Outputs, EventsError> {
        let stopping = Arc::new(AtomicBool::new(false));
        let mut queues = Vec::with_capacity(sinks.len());
        for (name, sink) in sinks {
            let (tx, rx) = sync_channel(queue.max(1));
            let counters = Arc::new(Counters::default());
            let worker = Worker {
                name: name.clone(),
                sink,
                counters: counters.clone(),
                stopping: stopping.clone(),
                attempts: attempts.max(1),
            };
            let thread = std::thread::Builder::new()
                .name("collector-events".into())
                .spawn(move || worker.run(rx))
                .map_err(|e| EventsError::io("start an event output thread", e))?;
            queues.push(Queue {
                name,
                tx: Some(tx),
                counters,
                thread: Some(thread),
            });
        }
        Ok(Outputs { queues, stopping })
    }

    /// Queues an event on every output, never waiting: a full queue drops
    /// it for that output, counted and logged.
    pub(crate) fn publish(&self, event: Arc<Event>) {
        for q in &self.queues {
            let Some(tx) = &q.tx else { continue };
            match tx.try_send(event.clone()) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    let n = q.counters.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                    // The first drop and then every 1000th: a flood of
                    // warnings would hide the cause.
                    if n == 1 || n % 1000 == 0 {
                        tracing::warn!(
                            "event output {} is behind: its queue is full, {n} event(s) dropped so far",
                            q.name
                        );
                    }
                }
                Err(TrySendError::Disconnected(_)) => {
                    q.counters.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::error!("event output {} has stopped; event dropped", q.name);
                }
            }
        }
    }

    /// Each output's counts.
    pub fn stats(&self) -> Vec<OutputStats> {
        self.queues
            .iter()
            .map(|q| OutputStats {
                output: q.name.clone(),
                delivered: q.counters.delivered.load(Ordering::Relaxed),
                dropped: q.counters.dropped.load(Ordering::Relaxed),
                failed: q.counters.failed.load(Ordering::Relaxed),
            })
            .collect()
    }
}

impl Drop for Outputs {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::Relaxed);
        for q in &mut self.queues {
            q.tx.take();
        }
        for q in &mut self.queues {
            if let Some(t) = q.thread.take()
                && t.join().is_err()
            {
                tracing::error!("event output {} panicked", q.name);
            }
        }
    }
}

fn open(output: &EventOutput, config: &EventsConfig) -> Result<Box<dyn Deliver>, EventsError> {
    Ok(match output {
        EventOutput::Stdout => Box::new(jsonl::Stdout),
        EventOutput::JsonLines(path) => Box::new(jsonl::JsonLinesFile::open(
            path.clone(),
            config.rotate_bytes,
            config.keep_files,
        )?),
        EventOutput::SyslogTcp { host, port } => Box::new(syslog::Syslog::tcp(host, *port)),
        EventOutput::SyslogTls { host, port } => {
            Box::new(syslog::Syslog::tls(host, *port, config.ca_pem.as_deref())?)
        }
        EventOutput::SplunkHec { base_url, token } => Box::new(hec::Hec::new(
            base_url,
            token.clone(),
            config.ca_pem.clone(),
        )),
    })
}

struct Worker {
    name: String,
    sink: Box<dyn Deliver>,
    counters: Arc<Counters>,
    stopping: Arc<AtomicBool>,
    attempts: u32,
}

impl Worker {
    fn run(mut self, rx: Receiver<Arc<Event>>) {
        let mut drain_started: Option<Instant> = None;
        while let Ok(event) = rx.recv() {
            if self.stopping.load(Ordering::Relaxed) {
                let started = *drain_started.get_or_insert_with(Instant::now);
                if started.elapsed() > DRAIN_LIMIT {
                    self.counters.failed.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            }
            self.deliver(&event);
        }
        let failed = self.counters.failed.load(Ordering::Relaxed);
        if drain_started.is_some() && failed > 0 {
            tracing::warn!(
                "event output {} stopped; {failed} event(s) were not delivered",
                self.name
            );
        }
    }

    fn deliver(&mut self, event: &Event) {
        let json = ocsf::render(event).to_string();
        let mut wait = FIRST_BACKOFF;
        for attempt in 1..=self.attempts {
            match self.sink.deliver(event, &json) {
                Ok(()) => {
                    self.counters.delivered.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Err(e @ EventsError::Refused(_)) => {
                    self.give_up(event, &e);
                    return;
                }
                Err(e) if attempt == self.attempts || self.stopping.load(Ordering::Relaxed) => {
                    self.give_up(event, &e);
                    return;
                }
                Err(e) => {
                    tracing::warn!(
                        "event output {}: attempt {attempt} of {} failed, retrying in {} ms: {e}",
                        self.name,
                        self.attempts,
                        wait.as_millis()
                    );
                    self.pause(wait);
                    wait = (wait * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    fn give_up(&self, event: &Event, e: &EventsError) {
        self.counters.failed.fetch_add(1, Ordering::Relaxed);
        tracing::error!(
            "event output {}: event {} not delivered: {e}",
            self.name,
            event.id
        );
    }

    /// Waits before a retry, cut short when shutdown starts.
    fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        while Instant::now() < until && !self.stopping.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50).min(wait));
        }
    }
}
