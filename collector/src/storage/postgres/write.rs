//! The writing commands on PostgreSQL, each one transaction that locks the
//! rows its decision rests on. The answer to a refused command is given
//! after the transaction commits when something of it must last (a failed
//! attempt on a code, a pin break, a used request token).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use agent_core::policy::{Outcome, RuleId};
use agent_core::protocol::{
    ChallengeResponse, DeviceId, EnrolResponse, FactProvenance, Freshness, IssuedCode, Nonce,
    ProblemKind, ReportAck, UnenrolResponse,
};
use agent_core::token::random_id;
use deadpool_postgres::{GenericClient, Object};
use futures_util::FutureExt;
use tokio_postgres::error::SqlState;

use super::{PgError, PgInner, PgStore, retrying};
use crate::attestation::Attested;
use crate::attestation::app_attest::AppAttestCheck;
use crate::attestation::pin::{self, PinStatus};
use crate::codes;
use crate::events::Pending;
use crate::events::queries::{DeviceFacts, from_name};
use crate::keys::KeyEntry;
use crate::problem::ApiError;
use crate::store::{ATTESTATION_COLUMNS, at, attested, name_of, parse_attestation};
use crate::writer::{
    Answer, EnrolCmd, EnrolOutcome, IssueCmd, ReportCmd, ReportOutcome, RequestCmd,
};

/// A change to the key cache, made after its transaction committed.
enum CacheChange {
    Add(KeyEntry),
    Remove(String),
    RemoveDevice(String),
    PinBroken(String),
    Raised(String, Attested),
}

/// What a transaction answers, and what the cache learns from it.
type Outcome2<T> = (Answer<T>, Vec<CacheChange>);

fn invalid_code() -> ApiError {
    ApiError::new(
        ProblemKind::InvalidEnrolmentCode,
        "the enrolment code is unknown, used or expired",
    )
}

fn gone() -> ApiError {
    ApiError::new(ProblemKind::UnknownDevice, "the device is not enrolled")
}

fn json(e: serde_json::Error) -> ApiError {
    ApiError::internal(format!("serialise: {e}"))
}

fn new_nonce() -> Result<Nonce, ApiError> {
    Nonce::random().map_err(ApiError::internal)
}

/// An enrolled device's row, locked for the transaction.
struct Dev {
    kid: String,
    nonce: String,
    nonce_expires_at: i64,
    pin: Option<PinStatus>,
    /// What the events need of the device before the change (`None` when
    /// its platform is not one this build knows).
    facts: Option<DeviceFacts>,
}

/// Locks the enrolled device `device_id` (`None`: not enrolled).
async fn lock_device(tx: &impl GenericClient, device_id: &str) -> Result<Option<Dev>, PgError> {
    let st = tx
        .prepare_cached(
            "SELECT d.kid, d.nonce, d.nonce_expires_at, a.attested_at, a.wants_fresh_facts,
                    EXISTS (SELECT 1 FROM attestation_pin_breaks b
                            WHERE b.device_id = d.device_id),
                    d.platform, d.last_compliance
             FROM devices d LEFT JOIN device_attestations a ON a.device_id = d.device_id
             WHERE d.device_id = $1 AND d.unenrolled_at IS NULL FOR UPDATE OF d",
        )
        .await?;
    let Some(row) = tx.query_opt(&st, &[&device_id]).await? else {
        return Ok(None);
    };
    let pinned_at: Option<i64> = row.try_get(3)?;
    let wants: Option<bool> = row.try_get(4)?;
    let broken: bool = row.try_get(5)?;
    let platform: String = row.try_get(6)?;
    let last_compliance: Option<String> = row.try_get(7)?;
    let facts = from_name(&platform).map(|platform| DeviceFacts {
        platform,
        last_compliance: last_compliance.as_deref().and_then(from_name),
    });
    Ok(Some(Dev {
        facts,
        kid: row.try_get(0)?,
        nonce: row.try_get(1)?,
        nonce_expires_at: row.try_get(2)?,
        pin: pinned_at.map(|pinned_at| PinStatus {
            pinned_at,
            broken,
            wants_fresh_facts: wants.unwrap_or(false),
        }),
    }))
}

/// Queues the webhook deliveries of the transaction's events in it, so
/// they commit with the change or not at all.
pub(super) async fn queue_webhooks(
    tx: &impl GenericClient,
    events: &Pending,
) -> Result<(), PgError> {
    let deliveries = events.deliveries();
    if deliveries.is_empty() {
        return Ok(());
    }
    let st = tx
        .prepare_cached(
            "INSERT INTO webhook_deliveries
             (event_id, endpoint_id, body, created_at_ms, next_attempt_ms)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .await?;
    for d in &deliveries {
        tx.execute(
            &st,
            &[
                &d.event_id,
                &d.endpoint_id,
                &d.body,
                &d.created_at_ms,
                &d.due_at_ms,
            ],
        )
        .await?;
    }
    Ok(())
}

/// A current report's writes, one statement: the report and its
/// assessment, the device's latest assessment, what its attested pin was
/// last told, and the device's row with the next nonce. $1 jti, $2 token
/// hash, $3 device, $4 iat, $5 now, $6 compliance, $7 verdict, $8 ack,
/// $9 token, $10 assurance, $11 assessment, $12 attestation result,
/// $13 reported patch level, $14 wants fresh facts, $15 nonce, $16 its
/// expiry.
const STORE_CURRENT: &str = "WITH report AS (
        INSERT INTO reports (jti, token_sha256, device_id, iat, accepted_at, freshness,
        compliance, verdict, ack, token)
        VALUES ($1, $2, $3, $4, $5, 'current', $6, $7, $8, $9)
    ), assessment AS (
        INSERT INTO report_assessments (jti, assurance, assessment, attestation_result)
        VALUES ($1, $10, $11, $12) ON CONFLICT (jti) DO NOTHING
    ), latest AS (
        INSERT INTO device_assessments (device_id, jti, assessment, attestation_result)
        VALUES ($3, $1, $11, $12)
        ON CONFLICT (device_id) DO UPDATE SET jti = excluded.jti,
        assessment = excluded.assessment, attestation_result = excluded.attestation_result
    ), pin AS (
        -- No row (no verified attestation): nothing to compare with.
        UPDATE device_attestations SET reported_os_patch_level = $13, reported_at = $4,
        wants_fresh_facts = $14 WHERE device_id = $3
    )
    UPDATE devices SET last_report_at = $5, last_current_at = $5, last_compliance = $6,
    nonce = $15, nonce_expires_at = $16 WHERE device_id = $3";

/// A historical report's writes, one statement; the parameters are
/// [`STORE_CURRENT`]'s first eleven.
const STORE_HISTORICAL: &str = "WITH report AS (
        INSERT INTO reports (jti, token_sha256, device_id, iat, accepted_at, freshness,
        compliance, verdict, ack, token)
        VALUES ($1, $2, $3, $4, $5, 'historical', $6, $7, $8, $9)
    ), assessment AS (
        INSERT INTO report_assessments (jti, assurance, assessment, attestation_result)
        VALUES ($1, $10, $11, NULL) ON CONFLICT (jti) DO NOTHING
    )
    UPDATE devices SET last_report_at = $5 WHERE device_id = $3";

/// A transaction whose BEGIN and COMMIT go out pipelined with its other
/// statements (`Client::transaction` waits for BEGIN's answer alone, and
/// `Transaction::commit` for COMMIT's): prepared once per connection,
/// sent as the first and the last of a batch. Dropped while it may be
/// open (an error, a refusal answered without committing, a cancelled
/// task), it sends ROLLBACK before the connection goes back to the pool.
struct Pipelined<'a> {
    client: &'a Object,
    begin: tokio_postgres::Statement,
    commit: tokio_postgres::Statement,
    open: bool,
}

impl<'a> Pipelined<'a> {
    /// The statements prepared (cached after the first time); not begun.
    async fn new(client: &'a Object) -> Result<Pipelined<'a>, PgError> {
        let (begin, commit) = futures_util::future::try_join(
            client.prepare_cached("BEGIN"),
            client.prepare_cached("COMMIT"),
        )
        .await?;
        Ok(Pipelined {
            client,
            begin,
            commit,
            open: true,
        })
    }

    fn client(&self) -> &'a Object {
        self.client
    }

    /// Sends BEGIN (the statements sent after it are in the transaction).
    async fn begin(&self) -> Result<u64, PgError> {
        Ok(self.client.execute(&self.begin, &[]).await?)
    }

    /// Sends COMMIT; after its answer (whatever it was) call
    /// [`Pipelined::ended`]. On a transaction a statement failed in, it
    /// rolls back instead.
    async fn commit(&self) -> Result<u64, tokio_postgres::Error> {
        self.client.execute(&self.commit, &[]).await
    }

    /// Sends `stored` (a statement of the transaction), then COMMIT, in
    /// one round trip; their answers. `stored`'s first poll encodes its
    /// parameters and queues it: a parameter that does not encode fails
    /// there, before anything is sent, and then COMMIT is not sent either
    /// (it would commit the statements before it): the error comes back
    /// with the transaction open, and dropping it rolls back. A server's
    /// error is answered with COMMIT sent as usual: the transaction is
    /// aborted, so it rolls back.
    async fn with_commit<F>(
        &self,
        stored: F,
    ) -> Result<[Result<u64, tokio_postgres::Error>; 2], tokio_postgres::Error>
    where
        F: std::future::Future<Output = Result<u64, tokio_postgres::Error>>,
    {
        use std::task::Poll;
        let mut stored = std::pin::pin!(stored);
        let first = std::future::poll_fn(|cx| Poll::Ready(stored.as_mut().poll(cx))).await;
        match first {
            // The server's answer, already there: the statement was sent
            // and failed, so the transaction is aborted and COMMIT rolls it
            // back (the caller reads the error, e.g. a jti taken meanwhile).
            Poll::Ready(Err(e)) if e.as_db_error().is_some() => Ok([Err(e), self.commit().await]),
            // Not sent (a parameter that does not encode, a closed
            // connection): no COMMIT.
            Poll::Ready(Err(e)) => Err(e),
            // Answered at once (not seen from tokio-postgres): COMMIT next.
            Poll::Ready(Ok(n)) => Ok([Ok(n), self.commit().await]),
            Poll::Pending => {
                let (stored, commit) = futures_util::future::join(stored, self.commit()).await;
                Ok([stored, commit])
            }
        }
    }

    /// COMMIT answered: nothing to roll back.
    fn ended(&mut self) {
        self.open = false;
    }
}

impl Drop for Pipelined<'_> {
    fn drop(&mut self) {
        if self.open {
            // Sent now (the first poll sends), its answer ignored, as
            // `tokio_postgres::Transaction` does when dropped; before the
            // connection's next user sends anything.
            let _ = self.client.batch_execute("ROLLBACK").now_or_never();
        }
    }
}

impl PgInner {
    /// The events of one command, published by [`PgInner::finish`].
    pub(super) fn pending(&self) -> Pending {
        Pending::new(self.events.clone(), self.webhooks.clone())
    }

    /// After a command's transaction: its events go out when it ended
    /// well (the transaction committed, or stored nothing and recorded no
    /// event), and are dropped when it failed.
    fn finish<T>(
        &self,
        done: Result<Outcome2<T>, PgError>,
        events: &mut Pending,
    ) -> Result<Outcome2<T>, PgError> {
        match &done {
            Ok(_) => events.committed(),
            Err(_) => events.discard(),
        }
        done
    }

    fn apply(&self, changes: Vec<CacheChange>) {
        for change in changes {
            match change {
                CacheChange::Add(entry) => self.keys.insert(entry),
                CacheChange::Remove(kid) => self.keys.remove(&kid),
                CacheChange::RemoveDevice(id) => self.keys.remove_device(&id),
                CacheChange::PinBroken(kid) => {
                    if let Some(mut e) = self.keys.get(&kid) {
                        e.pin_broken = true;
                        self.keys.insert(e);
                    }
                }
                CacheChange::Raised(kid, fresh) => {
                    if let Some(mut e) = self.keys.get(&kid) {
                        e.attested = Some(Arc::new(fresh));
                        self.keys.insert(e);
                    }
                }
            }
        }
    }

    fn wants_key_attestation(&self, pin: Option<PinStatus>, now: i64) -> bool {
        pin.is_some_and(|p| {
            p.asks_for_chain(
                now,
                self.settings.reattest_after_secs,
                self.settings.checkin_interval_secs,
            )
        })
    }

    fn enrol_response(&self, device_id: DeviceId, nonce: Nonce, expires: i64) -> EnrolResponse {
        EnrolResponse {
            device_id,
            policy: self.settings.policy.clone(),
            checkin_interval_secs: u64::try_from(self.settings.checkin_interval_secs).unwrap_or(0),
            nonce,
            nonce_expires_at: at(expires),
        }
    }

    /// Issues and stores a new latest nonce for the locked device.
    async fn replace_nonce(
        &self,
        tx: &impl GenericClient,
        device_id: &str,
        now: i64,
    ) -> Result<(Nonce, i64), PgError> {
        let nonce = new_nonce().map_err(|_| PgError::Pool("no random bytes".into()))?;
        let expires = now + self.settings.nonce_lifetime_secs;
        let st = tx
            .prepare_cached(
                "UPDATE devices SET nonce = $1, nonce_expires_at = $2 WHERE device_id = $3",
            )
            .await?;
        tx.execute(&st, &[&nonce.as_str(), &expires, &device_id])
            .await?;
        Ok((nonce, expires))
    }

    /// The locked device's latest nonce if unexpired, else a new one.
    async fn usable_nonce(
        &self,
        tx: &impl GenericClient,
        device_id: &str,
        dev: &Dev,
        now: i64,
    ) -> Result<(Nonce, i64), PgError> {
        if now <= dev.nonce_expires_at
            && let Ok(nonce) = Nonce::new(dev.nonce.clone())
        {
            return Ok((nonce, dev.nonce_expires_at));
        }
        self.replace_nonce(tx, device_id, now).await
    }

    async fn code_failed(&self, tx: &impl GenericClient, hash: &[u8]) -> Result<(), PgError> {
        tx.execute(
            "UPDATE codes SET failed_attempts = failed_attempts + 1 WHERE hash = $1",
            &[&hash],
        )
        .await?;
        Ok(())
    }

    async fn enrol_once(
        &self,
        client: &mut Object,
        c: &EnrolCmd,
        events: &mut Pending,
    ) -> Result<Outcome2<EnrolOutcome>, PgError> {
        events.discard();
        let tx = client.transaction().await?;
        let now = c.now.unix_timestamp();
        // The code's row lock puts every attempt with this code in line.
        let row = tx
            .query_opt(
                "SELECT expires_at, failed_attempts, kid, device_id FROM codes
                 WHERE hash = $1 FOR UPDATE",
                &[&c.code_hash],
            )
            .await?;
        let Some(row) = row else {
            return Ok((Err(invalid_code()), Vec::new()));
        };
        let expires_at: i64 = row.try_get(0)?;
        let failed: i64 = row.try_get(1)?;
        let used_kid: Option<String> = row.try_get(2)?;
        let used_device: Option<String> = row.try_get(3)?;
        if failed >= self.settings.failures_per_code || now >= expires_at {
            return Ok((Err(invalid_code()), Vec::new()));
        }
        let kid = c.key.kid().to_owned();
        if let Some(used_by) = used_kid {
            // A lost response: the same code and key again get the same device.
            if used_by == kid
                && let Some(device_id) = used_device
                && let Some(dev) = lock_device(&tx, &device_id).await?
            {
                let (nonce, expires) = self.usable_nonce(&tx, &device_id, &dev, now).await?;
                tx.commit().await?;
                let answer = DeviceId::new(device_id)
                    .map_err(ApiError::internal)
                    .map(|id| {
                        EnrolOutcome::Repeated(Box::new(self.enrol_response(id, nonce, expires)))
                    });
                return Ok((answer, Vec::new()));
            }
            self.code_failed(&tx, &c.code_hash).await?;
            tx.commit().await?;
            return Ok((Err(invalid_code()), Vec::new()));
        }
        let already = || {
            ApiError::new(
                ProblemKind::AlreadyEnrolled,
                "this key is already enrolled as another device",
            )
        };
        let device_id = match random_id(16) {
            Ok(r) => format!("dev_{r}"),
            Err(e) => return Ok((Err(ApiError::internal(e)), Vec::new())),
        };
        let (id, nonce) = match (DeviceId::new(device_id.as_str()), new_nonce()) {
            (Ok(id), Ok(nonce)) => (id, nonce),
            _ => return Ok((Err(ApiError::internal("a new device id")), Vec::new())),
        };
        let expires = now + self.settings.nonce_lifetime_secs;
        // The partial unique index on enrolled kids decides between two
        // enrolments of one key through two codes at once.
        let inserted = tx
            .execute(
                "INSERT INTO devices (device_id, kid, jwk, platform, agent_version, enrolled_at,
                 nonce, nonce_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT DO NOTHING",
                &[
                    &device_id,
                    &kid,
                    &c.jwk_json,
                    &name_of(&c.platform),
                    &c.agent_version,
                    &now,
                    &nonce.as_str(),
                    &expires,
                ],
            )
            .await?;
        if inserted == 0 {
            self.code_failed(&tx, &c.code_hash).await?;
            tx.commit().await?;
            return Ok((Err(already()), Vec::new()));
        }
        if let Some(a) = &c.attested {
            store_attestation(&tx, &device_id, a, a.summary.attested_at.unix_timestamp()).await?;
            tracing::info!(
                "device {device_id}: key attestation verified ({}, security level {})",
                name_of(&a.provenance),
                name_of(&a.summary.security_level)
            );
        }
        if let Some(a) = &c.app_attested {
            tx.execute(
                "INSERT INTO device_app_attest (device_id, key_id, public_key, counter,
                 environment, attested_at) VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &device_id,
                    &a.key_id.as_slice(),
                    &a.public_key,
                    &i64::from(a.counter),
                    &a.environment.as_str(),
                    &a.attested_at.unix_timestamp(),
                ],
            )
            .await?;
        }
        tx.execute(
            "UPDATE codes SET used_at = $1, device_id = $2, kid = $3 WHERE hash = $4",
            &[&now, &device_id, &kid, &c.code_hash],
        )
        .await?;
        events.enrolled(&device_id, c.platform, now);
        queue_webhooks(&tx, events).await?;
        tx.commit().await?;
        let entry = KeyEntry {
            key: c.key.clone(),
            device_id: id.clone(),
            attested: c.attested.clone().map(Arc::new),
            pin_broken: false,
        };
        Ok((
            Ok(EnrolOutcome::Created(Box::new(
                self.enrol_response(id, nonce, expires),
            ))),
            vec![CacheChange::Add(entry)],
        ))
    }

    async fn report_once(
        &self,
        client: &mut Object,
        c: &ReportCmd,
        events: &mut Pending,
    ) -> Result<Outcome2<ReportOutcome>, PgError> {
        events.discard();
        let now = c.now.unix_timestamp();
        let device_id = c.device_id.as_str();
        let mut tx = Pipelined::new(client).await?;
        // The device's row lock puts this device's reports in line: the
        // nonce and the jti are decided one report at a time.
        // Pipelined with BEGIN, one round trip: the server runs the jti
        // lookup and the history read after the lock is granted, each a
        // statement of its own, so they see any report committed before.
        let (_, dev, known, history) = futures_util::future::try_join4(
            tx.begin(),
            lock_device(tx.client(), device_id),
            stored_ack(tx.client(), c),
            super::history::read(tx.client(), device_id),
        )
        .await?;
        if let Some(known) = known {
            return Ok((known, Vec::new()));
        }
        let Some(mut dev) = dev else {
            return Ok((
                Err(gone()),
                vec![CacheChange::RemoveDevice(device_id.into())],
            ));
        };
        if let Some(assertion) = &c.app_attest
            && let Err(e) = self
                .check_assertion(
                    tx.client(),
                    device_id,
                    assertion,
                    &c.eat_nonce,
                    c.jti.as_str(),
                    now,
                )
                .await?
        {
            return Ok((Err(e), Vec::new()));
        }
        let mut changes = Vec::new();
        let current = c.eat_nonce == dev.nonce && now <= dev.nonce_expires_at && now <= c.exp;
        if current && let Some(fresh) = &c.fresh {
            match self
                .reattested(tx.client(), device_id, c.jti.as_str(), &dev, fresh, now)
                .await?
            {
                Reattest::Downgrade(e, found) => {
                    // The break is kept: the device stays non-compliant.
                    if let Some(f) = dev.facts {
                        events.pin_broken_as(f.platform, device_id, c.jti.as_str(), &found, now);
                    }
                    queue_webhooks(tx.client(), events).await?;
                    tx.commit().await?;
                    tx.ended();
                    return Ok((Err(e), vec![CacheChange::PinBroken(dev.kid)]));
                }
                Reattest::Raised => {
                    if let Some(p) = dev.pin.as_mut() {
                        p.pinned_at = now;
                    }
                    changes.push(CacheChange::Raised(dev.kid.clone(), fresh.clone()));
                }
                Reattest::Unchanged => {}
            }
        }
        // docs/policy.md §8.4: only current reports move the history (a
        // refused downgrade above does not).
        if current {
            super::history::record(tx.client(), device_id, &history, &c.verdict, at(c.iat)).await?;
        }
        if current && let Some(p) = dev.pin.as_mut() {
            p.wants_fresh_facts = c.assessment.facts.iter().any(|f| {
                matches!(f.rule, RuleId::SecurityPatch | RuleId::OsVersion)
                    && f.provenance == FactProvenance::Hardware
                    && matches!(f.outcome, Outcome::Fail | Outcome::Warn)
            });
        }
        // A current report's next nonce is stored with the device's other
        // columns below, in the same statement.
        let (nonce, nonce_expires) = if current {
            let nonce = new_nonce().map_err(|_| PgError::Pool("no random bytes".into()))?;
            (nonce, now + self.settings.nonce_lifetime_secs)
        } else {
            self.usable_nonce(tx.client(), device_id, &dev, now).await?
        };
        let ack = ReportAck {
            jti: c.jti.clone(),
            accepted_at: c.now,
            verdict: c.verdict.clone(),
            freshness: if current {
                Freshness::Current
            } else {
                Freshness::Historical
            },
            policy: c.send_policy.then(|| self.settings.policy.clone()),
            nonce,
            nonce_expires_at: at(nonce_expires),
            next_checkin_at: at(now + self.settings.checkin_interval_secs),
            attestation_result: current.then(|| c.attestation_result.clone()),
            key_attestation_requested: self.wants_key_attestation(dev.pin, now),
        };
        let (ack_json, verdict_json, assessment_json) = match (
            serde_json::to_string(&ack),
            serde_json::to_string(&ack.verdict),
            serde_json::to_string(&c.assessment),
        ) {
            (Ok(a), Ok(v), Ok(s)) => (a, v, s),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                return Ok((Err(json(e)), Vec::new()));
            }
        };
        let compliance = name_of(&c.verdict.compliance);
        let next_nonce = ack.nonce.as_str();
        if current {
            let report = crate::events::CurrentReport {
                device_id,
                jti: c.jti.as_str(),
                verdict: &ack.verdict,
                assurance: c.assessment.assurance,
                posture: &c.posture,
            };
            let before = dev.facts.filter(|_| events.enabled());
            events.current_report(before, report, now);
            queue_webhooks(tx.client(), events).await?;
        }
        // The writes are one statement (data-modifying CTEs), sent with
        // COMMIT: one round trip, two statements for the server. The
        // report goes in without ON CONFLICT: when another device's report
        // took this jti meanwhile, its unique violation fails the whole
        // statement, and COMMIT rolls the transaction back.
        let client = tx.client();
        let assurance = c.assessment.assurance.name();
        let jti = c.jti.as_str();
        let wants = dev.pin.is_some_and(|p| p.wants_fresh_facts);
        // The historical statement takes the first eleven parameters; the
        // current one also the device's latest state.
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 16] = [
            &jti,
            &c.token_sha256,
            &device_id,
            &c.iat,
            &now,
            &compliance,
            &verdict_json,
            &ack_json,
            &c.token,
            &assurance,
            &assessment_json,
            &ack.attestation_result,
            &c.reported_os_patch_level,
            &wants,
            &next_nonce,
            &nonce_expires,
        ];
        let (sql, params) = if current {
            (STORE_CURRENT, &params[..])
        } else {
            (STORE_HISTORICAL, &params[..11])
        };
        let st = client.prepare_cached(sql).await?;
        let results = tx.with_commit(client.execute(&st, params)).await?;
        // COMMIT answered: the transaction is over, committed only if no
        // statement before it failed.
        tx.ended();
        let [report, ..] = &results;
        if let Err(e) = report
            && e.as_db_error().is_some_and(|db| {
                *db.code() == SqlState::UNIQUE_VIOLATION && db.constraint() == Some("reports_pkey")
            })
        {
            // Another device's report took this jti: nothing of this one
            // was stored; answer as for any known jti.
            events.discard();
            let known = stored_ack(tx.client(), c).await?;
            return Ok((
                known.unwrap_or_else(|| Err(ApiError::internal("a jti vanished"))),
                Vec::new(),
            ));
        }
        for r in results {
            r?;
        }
        Ok((Ok(ReportOutcome::New(ack_json)), changes))
    }

    /// Verifies a report's App Attest assertion and raises the counter, on
    /// the locked device. Without App Attest configured it is ignored.
    async fn check_assertion(
        &self,
        tx: &impl GenericClient,
        device_id: &str,
        assertion: &str,
        eat_nonce: &str,
        jti: &str,
        now: i64,
    ) -> Result<Answer<()>, PgError> {
        let Some(verifier) = &self.settings.app_attest else {
            return Ok(Ok(()));
        };
        let row = tx
            .query_opt(
                "SELECT public_key, counter FROM device_app_attest WHERE device_id = $1",
                &[&device_id],
            )
            .await?;
        let Some(row) = row else {
            return Ok(Err(ApiError::new(
                ProblemKind::KeyAttestationRejected,
                "the report carries an App Attest assertion, but the device enrolled without App Attest: re-enrol with App Attest or send reports without the app_attest claim",
            )));
        };
        let public_key: Vec<u8> = row.try_get(0)?;
        let counter: i64 = row.try_get(1)?;
        let counter = u32::try_from(counter).unwrap_or(u32::MAX);
        let counter = match AppAttestCheck::check_assertion(
            verifier,
            assertion,
            eat_nonce,
            jti,
            &public_key,
            counter,
        ) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        tx.execute(
            "UPDATE device_app_attest SET counter = $1, last_assertion_at = $2
             WHERE device_id = $3",
            &[&i64::from(counter), &now, &device_id],
        )
        .await?;
        Ok(Ok(()))
    }

    /// Holds a current report's verified fresh chain against the locked
    /// device's pin (protocol §5.3.3), as the SQLite writer does.
    async fn reattested(
        &self,
        tx: &impl GenericClient,
        device_id: &str,
        jti: &str,
        dev: &Dev,
        fresh: &Attested,
        now: i64,
    ) -> Result<Reattest, PgError> {
        let row = tx
            .query_opt(
                &format!(
                    "SELECT {ATTESTATION_COLUMNS} FROM device_attestations a
                     WHERE a.device_id = $1"
                ),
                &[&device_id],
            )
            .await?;
        let pinned = match row {
            Some(r) => attested(parse_attestation(super::raw_attestation(&r, 0)?)),
            None => None,
        };
        let Some(pinned) = pinned else {
            return Ok(Reattest::Unchanged);
        };
        let found = pin::downgrades(&pinned.summary, &fresh.summary);
        if !found.is_empty() {
            for d in &found {
                tx.execute(
                    "INSERT INTO attestation_pin_breaks
                     (device_id, jti, field, pinned, seen, broken_at)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                    &[&device_id, &jti, &d.field, &d.pinned, &d.seen, &now],
                )
                .await?;
            }
            let described = found
                .iter()
                .map(|d| format!("{}: pinned {}, seen {}", d.field, d.pinned, d.seen))
                .collect::<Vec<_>>()
                .join("; ");
            tracing::warn!(
                "device {device_id}: attestation pin broken by report {jti}: {described}"
            );
            return Ok(Reattest::Downgrade(
                ApiError::new(
                    ProblemKind::AttestationDowngrade,
                    format!(
                        "the report's fresh key attestation is a downgrade against this device's pin ({described}); the device stays non-compliant until it is enrolled again"
                    ),
                ),
                found,
            ));
        }
        if dev.pin.is_some_and(|p| p.broken) {
            return Ok(Reattest::Unchanged);
        }
        store_attestation(tx, device_id, fresh, now).await?;
        Ok(Reattest::Raised)
    }

    async fn request_once(
        &self,
        client: &mut Object,
        c: &RequestCmd,
        unenrol: bool,
        events: &mut Pending,
    ) -> Result<Outcome2<RequestAnswer>, PgError> {
        events.discard();
        let tx = client.transaction().await?;
        let now = c.now.unix_timestamp();
        let device_id = c.device_id.as_str();
        let Some(dev) = lock_device(&tx, device_id).await? else {
            return Ok((
                Err(gone()),
                vec![CacheChange::RemoveDevice(device_id.into())],
            ));
        };
        let inserted = tx
            .execute(
                "INSERT INTO request_jtis (jti, exp) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&c.jti.as_str(), &c.exp],
            )
            .await?;
        if inserted == 0 {
            return Ok((
                Err(ApiError::new(
                    ProblemKind::ReplayedToken,
                    format!("request token {} was already used", c.jti),
                )),
                Vec::new(),
            ));
        }
        if !unenrol {
            let (nonce, expires) = self.replace_nonce(&tx, device_id, now).await?;
            tx.commit().await?;
            return Ok((
                Ok(RequestAnswer::Challenge(ChallengeResponse {
                    nonce,
                    nonce_expires_at: at(expires),
                    key_attestation_requested: self.wants_key_attestation(dev.pin, now),
                })),
                Vec::new(),
            ));
        }
        let latest = c.eat_nonce.as_ref().map(Nonce::as_str) == Some(dev.nonce.as_str())
            && now <= dev.nonce_expires_at;
        if !latest {
            // The token is used up all the same.
            tx.commit().await?;
            return Ok((
                Err(ApiError::new(
                    ProblemKind::InvalidNonce,
                    "unenrol needs the device's latest unexpired nonce in eat_nonce",
                )),
                Vec::new(),
            ));
        }
        tx.execute(
            "UPDATE devices SET unenrolled_at = $1 WHERE device_id = $2",
            &[&now, &device_id],
        )
        .await?;
        if let Some(f) = dev.facts {
            events.unenrolled_as(f.platform, device_id, now);
        }
        queue_webhooks(&tx, events).await?;
        tx.commit().await?;
        Ok((
            Ok(RequestAnswer::Unenrol(UnenrolResponse {
                device_id: c.device_id.clone(),
                unenrolled_at: c.now,
            })),
            vec![CacheChange::Remove(dev.kid)],
        ))
    }

    async fn issue_once(
        &self,
        client: &mut Object,
        c: &IssueCmd,
    ) -> Result<Outcome2<Vec<IssuedCode>>, PgError> {
        let tx = client.transaction().await?;
        let now = c.now.unix_timestamp();
        let expires = now + i64::try_from(c.ttl_secs).unwrap_or(i64::MAX / 2);
        let st = tx
            .prepare_cached(
                "INSERT INTO codes (hash, created_at, expires_at, label) VALUES ($1, $2, $3, $4)",
            )
            .await?;
        let mut issued = Vec::with_capacity(c.count as usize);
        for _ in 0..c.count {
            let code = match codes::new_code() {
                Ok(code) => code,
                Err(e) => return Ok((Err(ApiError::internal(e)), Vec::new())),
            };
            tx.execute(
                &st,
                &[&codes::code_hash(code.expose()), &now, &expires, &c.label],
            )
            .await?;
            issued.push(IssuedCode {
                code,
                expires_at: at(expires),
            });
        }
        tx.commit().await?;
        Ok((Ok(issued), Vec::new()))
    }

    /// Forgets used request-token ids whose tokens cannot verify any more,
    /// at most once a minute per process.
    async fn prune_request_jtis(&self, now: i64) {
        let last = self.last_prune.load(Ordering::Relaxed);
        if now - last < 60
            || self
                .last_prune
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let horizon =
            now - i64::try_from(agent_core::protocol::limits::CLOCK_SKEW_SECS).unwrap_or(300) - 60;
        if let Ok(client) = self.pool.get().await
            && let Err(e) = client
                .execute("DELETE FROM request_jtis WHERE exp < $1", &[&horizon])
                .await
        {
            tracing::warn!("pruning used request-token ids: {}", PgError::from(e));
        }
    }
}

/// What a re-attestation did to the pin.
enum Reattest {
    Unchanged,
    Raised,
    /// Refused, with what went down.
    Downgrade(ApiError, Vec<pin::Downgrade>),
}

/// A challenge's or an unenrolment's answer.
enum RequestAnswer {
    Challenge(ChallengeResponse),
    Unenrol(UnenrolResponse),
}

/// The stored acknowledgement of report `c.jti`, or the refusal when that
/// jti was accepted with other content; `None` for a new jti.
async fn stored_ack(
    tx: &impl GenericClient,
    c: &ReportCmd,
) -> Result<Option<Answer<ReportOutcome>>, PgError> {
    let st = tx
        .prepare_cached("SELECT token_sha256, ack FROM reports WHERE jti = $1")
        .await?;
    let Some(row) = tx.query_opt(&st, &[&c.jti.as_str()]).await? else {
        return Ok(None);
    };
    let hash: Vec<u8> = row.try_get(0)?;
    let ack: String = row.try_get(1)?;
    Ok(Some(if hash == c.token_sha256 {
        Ok(ReportOutcome::Resent(ack))
    } else {
        Err(ApiError::new(
            ProblemKind::ReplayedToken,
            format!("jti {} was already accepted with different content", c.jti),
        ))
    }))
}

/// Stores a verified key attestation as the device's pin (see the SQLite
/// writer's `store_attestation`); what the latest report said is kept.
async fn store_attestation(
    tx: &impl GenericClient,
    device_id: &str,
    a: &Attested,
    attested_at: i64,
) -> Result<(), PgError> {
    let s = &a.summary;
    tx.execute(
        "INSERT INTO device_attestations (device_id, provenance, security_level,
         attestation_version, verified_boot_state, device_locked, os_version,
         os_patch_level, vendor_patch_level, boot_patch_level,
         verified_boot_key_sha256, attested_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (device_id) DO UPDATE SET provenance = excluded.provenance,
         security_level = excluded.security_level,
         attestation_version = excluded.attestation_version,
         verified_boot_state = excluded.verified_boot_state,
         device_locked = excluded.device_locked, os_version = excluded.os_version,
         os_patch_level = excluded.os_patch_level,
         vendor_patch_level = excluded.vendor_patch_level,
         boot_patch_level = excluded.boot_patch_level,
         verified_boot_key_sha256 = excluded.verified_boot_key_sha256,
         attested_at = excluded.attested_at",
        &[
            &device_id,
            &name_of(&a.provenance),
            &name_of(&s.security_level),
            &s.attestation_version,
            &s.verified_boot_state.as_ref().map(name_of),
            &s.device_locked,
            &s.os_version,
            &s.os_patch_level,
            &s.vendor_patch_level,
            &s.boot_patch_level,
            &s.verified_boot_key_sha256,
            &attested_at,
        ],
    )
    .await?;
    Ok(())
}

impl PgStore {
    /// See [`crate::storage::Store::enrol`].
    pub async fn enrol(&self, cmd: EnrolCmd) -> Answer<EnrolOutcome> {
        self.answer(|inner| async move {
            let mut events = inner.pending();
            let done = retrying!(inner, |client| inner
                .enrol_once(&mut client, &cmd, &mut events)
                .await);
            let (answer, changes) = inner.finish(done, &mut events)?;
            inner.apply(changes);
            answer
        })
        .await
    }

    /// See [`crate::storage::Store::report`].
    pub async fn report(&self, cmd: ReportCmd) -> Answer<ReportOutcome> {
        self.answer(|inner| async move {
            let mut events = inner.pending();
            let done = retrying!(inner, |client| inner
                .report_once(&mut client, &cmd, &mut events)
                .await);
            let (answer, changes) = inner.finish(done, &mut events)?;
            inner.apply(changes);
            answer
        })
        .await
    }

    async fn request(&self, cmd: RequestCmd, unenrol: bool) -> Answer<RequestAnswer> {
        self.answer(move |inner| async move {
            let mut events = inner.pending();
            let done = retrying!(inner, |client| inner
                .request_once(&mut client, &cmd, unenrol, &mut events)
                .await);
            let (answer, changes) = inner.finish(done, &mut events)?;
            inner.apply(changes);
            inner.prune_request_jtis(cmd.now.unix_timestamp()).await;
            answer
        })
        .await
    }

    /// See [`crate::storage::Store::challenge`].
    pub async fn challenge(&self, cmd: RequestCmd) -> Answer<ChallengeResponse> {
        match self.request(cmd, false).await? {
            RequestAnswer::Challenge(c) => Ok(c),
            RequestAnswer::Unenrol(_) => Err(ApiError::internal("a challenge unenrolled")),
        }
    }

    /// See [`crate::storage::Store::unenrol`].
    pub async fn unenrol(&self, cmd: RequestCmd) -> Answer<UnenrolResponse> {
        match self.request(cmd, true).await? {
            RequestAnswer::Unenrol(u) => Ok(u),
            RequestAnswer::Challenge(_) => Err(ApiError::internal("an unenrolment challenged")),
        }
    }

    /// See [`crate::storage::Store::issue_codes`].
    pub async fn issue_codes(&self, cmd: IssueCmd) -> Answer<Vec<IssuedCode>> {
        self.answer(|inner| async move {
            let (answer, _) = retrying!(inner, |client| inner.issue_once(&mut client, &cmd).await)?;
            answer
        })
        .await
    }

    /// [`PgStore::issue_codes`] from a blocking caller.
    pub fn issue_codes_blocking(&self, cmd: IssueCmd) -> Answer<Vec<IssuedCode>> {
        let inner = self.inner.clone();
        self.block_on(async move {
            let (answer, _) = retrying!(inner, |client| inner.issue_once(&mut client, &cmd).await)?;
            answer
        })
        .map_err(ApiError::internal)?
    }
}

#[cfg(test)]
mod tests {
    use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
    use tokio_postgres::NoTls;

    use super::Pipelined;

    /// A statement whose parameter does not encode fails before it is
    /// sent; COMMIT must not follow it, or the transaction's earlier
    /// statements (a failure history, queued webhooks) would be committed
    /// without the report.
    #[test]
    fn a_write_that_cannot_be_sent_commits_nothing_before_it() {
        let Ok(server) = std::env::var("POSTURE_TEST_POSTGRES_URL") else {
            eprintln!("no POSTURE_TEST_POSTGRES_URL: the pipelined commit is not tried");
            return;
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let config: tokio_postgres::Config = server.parse().unwrap();
            let manager = Manager::from_config(
                config,
                NoTls,
                ManagerConfig {
                    recycling_method: RecyclingMethod::Fast,
                },
            );
            let pool = Pool::builder(manager).max_size(1).build().unwrap();
            let client = pool.get().await.unwrap();
            client
                .batch_execute("CREATE TEMP TABLE pipelined_probe (n int4 NOT NULL)")
                .await
                .unwrap();
            let insert = client
                .prepare("INSERT INTO pipelined_probe (n) VALUES ($1)")
                .await
                .unwrap();
            {
                let tx = Pipelined::new(&client).await.unwrap();
                tx.begin().await.unwrap();
                client.execute(&insert, &[&1_i32]).await.unwrap();
                // An i64 for an int4: refused while encoding.
                let got = tx.with_commit(client.execute(&insert, &[&2_i64])).await;
                assert!(got.is_err(), "{got:?}");
                // Dropped open: rolled back.
            }
            let rows: i64 = client
                .query_one("SELECT count(*) FROM pipelined_probe", &[])
                .await
                .unwrap()
                .get(0);
            assert_eq!(rows, 0, "the statement before the failed one was committed");
        });
    }
}
