//! The single writer: one thread owns the write connection and applies
//! every change in group commits.
//!
//! Request threads verify tokens (the costly part) and send the writer a
//! command. The writer drains whatever commands are waiting, applies them
//! in one transaction, commits (one fsync for the whole batch), updates the
//! in-memory key cache, and only then answers each request: an
//! acknowledgement is never sent for a report that is not on disk. Being
//! the only writer also makes the freshness decision race-free: two reports
//! carrying the same nonce are applied one after the other, so only the
//! first is current.

mod app_attest;
mod apply;
mod reattest;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;
use std::time::Instant;

use agent_core::Policy;
use agent_core::policy::FailureHistory;
use agent_core::protocol::{
    Assessment, AssuranceLevel, ChallengeResponse, DeviceId, EnrolResponse, IssuedCode, Jti, Nonce,
    UnenrolResponse,
};
use agent_core::token::VerifyingKey;
use agent_core::{Platform, Verdict};
use rusqlite::Connection;
use time::OffsetDateTime;
use tokio::sync::oneshot;

use crate::attestation::Attested;
use crate::attestation::pin::PinStatus;
use crate::error::CollectorError;
use crate::failures::FailureCache;
use crate::keys::{KeyCache, KeyEntry};
use crate::problem::ApiError;
use crate::store;

/// Most commands applied in one transaction; bounds a batch's latency.
const MAX_BATCH: usize = 1024;

/// Where a command's answer goes: an async handler or a blocking caller.
pub(crate) enum Reply<T> {
    Async(oneshot::Sender<T>),
    Blocking(SyncSender<T>),
}

impl<T> Reply<T> {
    fn send(self, value: T) {
        // The requester may have gone (client disconnected): nothing to do.
        match self {
            Reply::Async(tx) => drop(tx.send(value)),
            Reply::Blocking(tx) => drop(tx.send(value)),
        }
    }
}

/// What the writer's settings are, fixed at start.
#[derive(Debug)]
pub(crate) struct Settings {
    pub policy: Policy,
    pub checkin_interval_secs: i64,
    pub nonce_lifetime_secs: i64,
    pub failures_per_code: i64,
    /// Checks report assertions of App Attest devices, when configured.
    pub app_attest: Option<posture_attestation::app_attest::AppAttestVerifier>,
    pub min_assurance: AssuranceLevel,
    /// How old a device's attestation pin may get before the collector asks
    /// for a fresh key attestation (protocol §5.3.3).
    pub reattest_after_secs: i64,
}

/// `POST /v1/enrol`, after the JWK was checked.
pub(crate) struct EnrolCmd {
    pub code_hash: Vec<u8>,
    pub key: VerifyingKey,
    pub jwk_json: String,
    pub platform: Platform,
    pub agent_version: String,
    /// The verified key attestation, if the request carried one.
    pub attested: Option<Attested>,
    /// The verified App Attest key, if the request carried one.
    pub app_attested: Option<crate::attestation::app_attest::AppAttested>,
    pub now: OffsetDateTime,
}

/// A new device, or the same device again for a repeated request.
pub(crate) enum EnrolOutcome {
    Created(Box<EnrolResponse>),
    Repeated(Box<EnrolResponse>),
}

/// A verified report, with the server's verdict.
pub(crate) struct ReportCmd {
    pub jti: Jti,
    pub token_sha256: Vec<u8>,
    pub device_id: DeviceId,
    pub exp: i64,
    pub iat: i64,
    pub eat_nonce: String,
    pub verdict: Verdict,
    /// What the verdict rests on (protocol §5.3.1).
    pub assessment: Assessment,
    /// The signed attestation result, sent only if the report is current.
    pub attestation_result: String,
    pub send_policy: bool,
    /// The reported Android security patch as YYYYMM, to compare with the
    /// attested one.
    pub reported_os_patch_level: Option<i64>,
    /// The report's App Attest assertion (base64url), if it has one.
    pub app_attest: Option<String>,
    /// The report's fresh key attestation, verified (protocol §5.3.3).
    pub fresh: Option<Attested>,
    pub token: String,
    /// The posture as reported, for the event outputs.
    pub posture: Box<agent_core::Posture>,
    pub now: OffsetDateTime,
}

/// A first acceptance (201) or the stored acknowledgement again (200).
pub(crate) enum ReportOutcome {
    New(String),
    Resent(String),
}

/// A verified device request token (challenge or unenrol).
pub(crate) struct RequestCmd {
    pub device_id: DeviceId,
    pub jti: Jti,
    pub exp: i64,
    pub eat_nonce: Option<Nonce>,
    pub now: OffsetDateTime,
}

/// New enrolment codes.
pub(crate) struct IssueCmd {
    pub count: u32,
    pub ttl_secs: u64,
    pub label: Option<String>,
    pub now: OffsetDateTime,
}

pub(crate) type Answer<T> = Result<T, ApiError>;

pub(crate) enum Command {
    Enrol(EnrolCmd, Reply<Answer<EnrolOutcome>>),
    Report(ReportCmd, Reply<Answer<ReportOutcome>>),
    Challenge(RequestCmd, Reply<Answer<ChallengeResponse>>),
    Unenrol(RequestCmd, Reply<Answer<UnenrolResponse>>),
    IssueCodes(IssueCmd, Reply<Answer<Vec<IssuedCode>>>),
    /// Grace deadlines a scan found passed: each announced once.
    GraceDeadlines(GraceDeadlinesCmd, Reply<Answer<usize>>),
}

/// Grace deadlines found passed at `now` by a scan on a read connection;
/// the writer checks each again before announcing it.
pub(crate) struct GraceDeadlinesCmd {
    pub due: Vec<crate::events::deadlines::DueDeadline>,
    pub now: OffsetDateTime,
}

/// A command applied but not yet committed: its answer and reply channel.
enum Done {
    Enrol(Reply<Answer<EnrolOutcome>>, Answer<EnrolOutcome>),
    Report(Reply<Answer<ReportOutcome>>, Answer<ReportOutcome>),
    Challenge(Reply<Answer<ChallengeResponse>>, Answer<ChallengeResponse>),
    Unenrol(Reply<Answer<UnenrolResponse>>, Answer<UnenrolResponse>),
    IssueCodes(Reply<Answer<Vec<IssuedCode>>>, Answer<Vec<IssuedCode>>),
    GraceDeadlines(Reply<Answer<usize>>, Answer<usize>),
}

impl Done {
    /// Answers; after a failed commit every answer becomes `internal`.
    fn finish(self, committed: bool) {
        fn pick<T>(a: Answer<T>, ok: bool) -> Answer<T> {
            if ok {
                a
            } else {
                Err(ApiError::internal("the batch's commit failed"))
            }
        }
        match self {
            Done::Enrol(r, a) => r.send(pick(a, committed)),
            Done::Report(r, a) => r.send(pick(a, committed)),
            Done::Challenge(r, a) => r.send(pick(a, committed)),
            Done::Unenrol(r, a) => r.send(pick(a, committed)),
            Done::IssueCodes(r, a) => r.send(pick(a, committed)),
            Done::GraceDeadlines(r, a) => r.send(pick(a, committed)),
        }
    }
}

/// A change to the key cache, made visible only after its commit.
enum Effect {
    AddKey(KeyEntry),
    RemoveKey(String),
    /// A device's failure history after a current report.
    SetFailures(String, FailureHistory),
}

/// An enrolled device as the writer tracks it.
struct DevState {
    kid: String,
    nonce: String,
    nonce_expires_at: i64,
    /// The device's attestation pin, when it has a verified Android key
    /// attestation.
    pin: Option<PinStatus>,
}

struct Writer {
    conn: Connection,
    settings: Arc<Settings>,
    keys: Arc<KeyCache>,
    failures: Arc<FailureCache>,
    devices: HashMap<String, DevState>,
    /// `kid` → device id, for "already enrolled" within a batch too.
    kids: HashMap<String, String>,
    effects: Vec<Effect>,
    /// Events of the open transaction, published after its commit.
    events: crate::events::Pending,
    last_prune: Instant,
    /// The WAL's length, from the checkpointer.
    wal: store::WalLength,
}

/// The request side of the writer: cheap to share between threads.
#[derive(Debug)]
pub(crate) struct WriterHandle {
    tx: Option<Sender<Command>>,
    thread: Option<JoinHandle<()>>,
}

impl WriterHandle {
    /// Loads the enrolled devices and starts the writer thread.
    pub fn start(
        conn: Connection,
        settings: Arc<Settings>,
        keys: Arc<KeyCache>,
        failures: Arc<FailureCache>,
        events: Option<Arc<crate::events::Outputs>>,
        webhooks: Option<crate::events::WebhookQueue>,
        wal: store::WalLength,
    ) -> Result<WriterHandle, CollectorError> {
        let mut writer = Writer {
            conn,
            settings,
            keys,
            failures,
            devices: HashMap::new(),
            kids: HashMap::new(),
            effects: Vec::new(),
            events: crate::events::Pending::new(events, webhooks),
            last_prune: Instant::now(),
            wal,
        };
        writer.reload()?;
        let (tx, rx) = channel();
        let thread = std::thread::Builder::new()
            .name("collector-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| CollectorError::io("start the database writer thread", e))?;
        Ok(WriterHandle {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Queues a command; the answer comes on its reply channel.
    pub fn send(&self, command: Command) -> Result<(), CollectorError> {
        self.tx
            .as_ref()
            .ok_or(CollectorError::WriterGone)?
            .send(command)
            .map_err(|_| CollectorError::WriterGone)
    }

    /// Sends a command built around an async reply and awaits the answer.
    pub async fn ask<T>(&self, make: impl FnOnce(Reply<Answer<T>>) -> Command) -> Answer<T> {
        let (tx, rx) = oneshot::channel();
        self.send(make(Reply::Async(tx)))
            .map_err(ApiError::internal)?;
        rx.await
            .map_err(|_| ApiError::internal(CollectorError::WriterGone))?
    }

    /// The same from a blocking caller (not on an async executor thread).
    pub fn ask_blocking<T>(&self, make: impl FnOnce(Reply<Answer<T>>) -> Command) -> Answer<T> {
        let (tx, rx) = sync_channel(1);
        self.send(make(Reply::Blocking(tx)))
            .map_err(ApiError::internal)?;
        rx.recv()
            .map_err(|_| ApiError::internal(CollectorError::WriterGone))?
    }
}

impl Drop for WriterHandle {
    fn drop(&mut self) {
        // Closing the channel ends the writer's loop after its last batch.
        self.tx.take();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the database writer thread panicked");
        }
    }
}

impl Writer {
    fn run(mut self, rx: Receiver<Command>) {
        while let Ok(first) = rx.recv() {
            let mut batch = Vec::with_capacity(64);
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(c) => batch.push(c),
                    Err(_) => break,
                }
            }
            self.process(batch);
        }
    }

    fn process(&mut self, batch: Vec<Command>) {
        if let Err(e) = self.conn.execute_batch("BEGIN IMMEDIATE") {
            let error = ApiError::internal(format!("begin a transaction: {e}"));
            for command in batch {
                fail(command, &error);
            }
            return;
        }
        let mut done = Vec::with_capacity(batch.len());
        for command in batch {
            done.push(match command {
                Command::Enrol(c, r) => Done::Enrol(r, self.enrol(c)),
                Command::Report(c, r) => Done::Report(r, self.report(c)),
                Command::Challenge(c, r) => Done::Challenge(r, self.challenge(c)),
                Command::Unenrol(c, r) => Done::Unenrol(r, self.unenrol(c)),
                Command::IssueCodes(c, r) => Done::IssueCodes(r, self.issue_codes(c)),
                Command::GraceDeadlines(c, r) => Done::GraceDeadlines(r, self.grace_deadlines(c)),
            });
        }
        self.prune_request_jtis();
        self.events.store(&self.conn);
        let committed = match self.conn.execute_batch("COMMIT") {
            Ok(()) => {
                for effect in self.effects.drain(..) {
                    match effect {
                        Effect::AddKey(entry) => self.keys.insert(entry),
                        Effect::RemoveKey(kid) => self.keys.remove(&kid),
                        Effect::SetFailures(device, history) => self.failures.set(device, history),
                    }
                }
                self.events.committed();
                true
            }
            Err(e) => {
                tracing::error!("commit failed, the batch is lost: {e}");
                let _ = self.conn.execute_batch("ROLLBACK");
                self.effects.clear();
                self.events.discard();
                // The in-memory state ran ahead of the database: reread it.
                if let Err(e) = self.reload() {
                    tracing::error!("reloading devices after a failed commit: {e}");
                }
                false
            }
        };
        for d in done {
            d.finish(committed);
        }
        // After the answers, so no request waits for it.
        if self.wal.is_long() {
            store::catch_up(&self.conn, &self.wal);
        }
    }

    /// Rereads the enrolled devices into memory and the key cache.
    fn reload(&mut self) -> Result<(), CollectorError> {
        let rows = store::load_devices(&self.conn)?;
        let mut entries = Vec::with_capacity(rows.len());
        self.devices.clear();
        self.kids.clear();
        for row in rows {
            let Ok(jwk) = serde_json::from_str(&row.jwk) else {
                tracing::warn!("device {} has an unreadable key; skipped", row.device_id);
                continue;
            };
            let Ok(key) = VerifyingKey::from_jwk(&jwk) else {
                continue;
            };
            let Ok(device_id) = DeviceId::new(row.device_id.as_str()) else {
                tracing::warn!("device {} has an invalid id; skipped", row.device_id);
                continue;
            };
            let pin = row.attested.as_ref().map(|a| PinStatus {
                pinned_at: a.summary.attested_at.unix_timestamp(),
                broken: row.pin_broken,
                wants_fresh_facts: false,
            });
            entries.push(KeyEntry {
                key,
                device_id,
                attested: row.attested.map(Arc::new),
                pin_broken: row.pin_broken,
            });
            self.kids.insert(row.kid.clone(), row.device_id.clone());
            self.devices.insert(
                row.device_id,
                DevState {
                    kid: row.kid,
                    nonce: row.nonce,
                    nonce_expires_at: row.nonce_expires_at,
                    pin,
                },
            );
        }
        self.keys.replace_all(entries);
        self.failures
            .replace_all(crate::failures::load_all(&self.conn)?);
        Ok(())
    }

    /// Announces each passed grace deadline once (the insert-once row and
    /// the event's webhook rows commit together); how many were new.
    fn grace_deadlines(&mut self, c: GraceDeadlinesCmd) -> Answer<usize> {
        let now = c.now.unix_timestamp();
        let mut emitted = 0;
        for due in &c.due {
            if self
                .events
                .grace_deadline_passed(&self.conn, due, now)
                .map_err(apply::sql)?
            {
                emitted += 1;
            }
        }
        Ok(emitted)
    }

    /// Forgets used request-token ids once their tokens cannot verify any
    /// more (expired beyond the clock skew), at most once a minute.
    fn prune_request_jtis(&mut self) {
        if self.last_prune.elapsed().as_secs() < 60 {
            return;
        }
        self.last_prune = Instant::now();
        let horizon = OffsetDateTime::now_utc().unix_timestamp()
            - i64::try_from(agent_core::protocol::limits::CLOCK_SKEW_SECS).unwrap_or(300)
            - 60;
        if let Err(e) = self
            .conn
            .execute("DELETE FROM request_jtis WHERE exp < ?1", [horizon])
        {
            tracing::warn!("pruning used request-token ids: {e}");
        }
    }
}

/// Answers a command that could not be applied at all.
fn fail(command: Command, error: &ApiError) {
    match command {
        Command::Enrol(_, r) => r.send(Err(error.clone())),
        Command::Report(_, r) => r.send(Err(error.clone())),
        Command::Challenge(_, r) => r.send(Err(error.clone())),
        Command::Unenrol(_, r) => r.send(Err(error.clone())),
        Command::IssueCodes(_, r) => r.send(Err(error.clone())),
        Command::GraceDeadlines(_, r) => r.send(Err(error.clone())),
    }
}
