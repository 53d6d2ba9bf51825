//! The relying-party, evidence and console queries on PostgreSQL (see
//! `crate::storage::views`): SQLite's SQL in PostgreSQL's placeholders,
//! the rows read by the same functions. Blocking wrappers, as the callers
//! build pages on blocking threads; the queries themselves are async on the
//! pool.

use std::collections::HashMap;

use agent_core::Policy;
use futures_util::{StreamExt, pin_mut};

use super::{PgError, PgInner, PgStore};
use crate::console::store::{
    CodeRow, MAX_CODES_LISTED, MAX_REVISIONS, MAX_TREND_REPORTS, RevisionRow, RuleTally, hex,
    policy_digest,
};
use crate::error::CollectorError;
use crate::evidence::figures::{DeviceFacts, ReportRow};
use crate::evidence::query::{DEVICES_SQL, device_facts, report_row};

impl PgInner {
    /// One optional text column of the first row of `sql`.
    async fn one_text(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Option<String>, PgError> {
        let client = self.pool.get().await?;
        let row = client.query_opt(sql, params).await?;
        Ok(match row {
            Some(r) => r.try_get(0)?,
            None => None,
        })
    }

    async fn evidence_devices(&self) -> Result<HashMap<String, DeviceFacts>, PgError> {
        let client = self.pool.get().await?;
        let rows = client.query(DEVICES_SQL, &[]).await?;
        let mut devices = HashMap::with_capacity(rows.len());
        for r in &rows {
            let device_id: String = r.try_get(0)?;
            let platform: String = r.try_get(1)?;
            if let Some(facts) = device_facts(&platform, r.try_get(2)?, r.try_get(3)?) {
                devices.insert(device_id, facts);
            }
        }
        Ok(devices)
    }

    /// Streams the rows (the fleet's whole history may be large).
    async fn evidence_reports_before(
        &self,
        end: i64,
        mut each: impl FnMut(ReportRow),
    ) -> Result<(), PgError> {
        let client = self.pool.get().await?;
        let rows = client
            .query_raw(
                "SELECT r.device_id, r.iat, r.freshness, r.compliance, r.verdict, s.assessment
                 FROM reports r LEFT JOIN report_assessments s ON s.jti = r.jti
                 WHERE r.iat < $1
                 ORDER BY r.device_id, r.iat, r.seq",
                [end],
            )
            .await?;
        pin_mut!(rows);
        while let Some(r) = rows.next().await {
            let r = r?;
            let row = report_row(
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
            );
            if let Some(row) = row {
                each(row);
            }
        }
        Ok(())
    }

    pub(super) async fn record_policy(&self, policy: &Policy, now: i64) -> Result<(), PgError> {
        let (sha, document) = policy_digest(policy);
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO policy_revisions
                     (sha256, name, revision, document, first_in_force_at, last_started_at)
                 VALUES ($1, $2, $3, $4, $5, $5)
                 ON CONFLICT (sha256) DO UPDATE
                     SET last_started_at = GREATEST(policy_revisions.last_started_at,
                                                    excluded.last_started_at)",
                &[
                    &sha,
                    &policy.name,
                    &i64::from(policy.revision),
                    &document,
                    &now,
                ],
            )
            .await?;
        Ok(())
    }

    async fn policy_revisions(&self) -> Result<Vec<RevisionRow>, PgError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT name, revision, sha256, first_in_force_at, last_started_at
                 FROM policy_revisions
                 ORDER BY last_started_at DESC, first_in_force_at DESC LIMIT $1",
                &[&MAX_REVISIONS],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let revision: i64 = r.try_get(1)?;
            out.push(RevisionRow {
                name: r.try_get(0)?,
                revision: u32::try_from(revision).unwrap_or(u32::MAX),
                sha256: r.try_get(2)?,
                first_in_force_at: r.try_get(3)?,
                last_started_at: r.try_get(4)?,
            });
        }
        Ok(out)
    }

    async fn revoke_session(
        &self,
        session_id: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), PgError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "DELETE FROM console_revoked_sessions WHERE expires_at <= $1",
                &[&now],
            )
            .await?;
        client
            .execute(
                "INSERT INTO console_revoked_sessions (session_id, expires_at) VALUES ($1, $2)
                 ON CONFLICT (session_id) DO NOTHING",
                &[&session_id, &expires_at],
            )
            .await?;
        Ok(())
    }

    async fn session_revoked(&self, session_id: &str) -> Result<bool, PgError> {
        let client = self.pool.get().await?;
        let row = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM console_revoked_sessions WHERE session_id = $1)",
                &[&session_id],
            )
            .await?;
        Ok(row.try_get(0)?)
    }

    /// The primary key decides which of two processes used the link.
    async fn use_link(&self, link_id: &str, expires_at: i64, now: i64) -> Result<bool, PgError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "DELETE FROM console_used_links WHERE expires_at <= $1",
                &[&now],
            )
            .await?;
        let inserted = client
            .execute(
                "INSERT INTO console_used_links (link_id, expires_at) VALUES ($1, $2)
                 ON CONFLICT (link_id) DO NOTHING",
                &[&link_id, &expires_at],
            )
            .await?;
        Ok(inserted == 1)
    }

    async fn list_codes(&self) -> Result<Vec<CodeRow>, PgError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT c.hash, c.created_at, c.expires_at, c.label, c.failed_attempts,
                        c.used_at, c.device_id, v.revoked_at
                 FROM codes c LEFT JOIN console_code_revocations v ON v.hash = c.hash
                 ORDER BY c.created_at DESC, c.hash DESC LIMIT $1",
                &[&MAX_CODES_LISTED],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let hash: Vec<u8> = r.try_get(0)?;
            out.push(CodeRow {
                hash_hex: hex(&hash),
                created_at: r.try_get(1)?,
                expires_at: r.try_get(2)?,
                label: r.try_get(3)?,
                failed_attempts: r.try_get(4)?,
                used_at: r.try_get(5)?,
                device_id: r.try_get(6)?,
                revoked_at: r.try_get(7)?,
            });
        }
        Ok(out)
    }

    /// In one transaction; the UPDATE locks the code's row, so an
    /// enrolment using it at the same time (which locks it `FOR UPDATE`)
    /// comes either before (the code is used: not revoked) or after (the
    /// code has expired: refused).
    async fn revoke_code(&self, hash: &[u8], now: i64) -> Result<bool, PgError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let changed = tx
            .execute(
                "UPDATE codes SET expires_at = $2
                 WHERE hash = $1 AND used_at IS NULL AND expires_at > $2
                   AND hash NOT IN (SELECT hash FROM console_code_revocations)",
                &[&hash, &now],
            )
            .await?;
        if changed == 1 {
            tx.execute(
                "INSERT INTO console_code_revocations (hash, revoked_at) VALUES ($1, $2)
                 ON CONFLICT (hash) DO NOTHING",
                &[&hash, &now],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(changed == 1)
    }

    async fn device_labels(&self) -> Result<HashMap<String, String>, PgError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT device_id, label FROM codes
                 WHERE device_id IS NOT NULL AND label IS NOT NULL",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    async fn latest_tokens(&self) -> Result<Vec<(String, String)>, PgError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT d.device_id, r.token
                 FROM devices d
                 JOIN device_assessments a ON a.device_id = d.device_id
                 JOIN reports r ON r.jti = a.jti
                 WHERE d.unenrolled_at IS NULL",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    async fn daily_rule_passes(&self, since: i64) -> Result<Vec<(i64, String, u64, u64)>, PgError> {
        let client = self.pool.get().await?;
        let rows = client
            .query_raw(
                "SELECT r.accepted_at / 86400, a.assessment
                 FROM reports r JOIN report_assessments a ON a.jti = r.jti
                 WHERE r.accepted_at >= $1 AND r.freshness = 'current'
                 ORDER BY r.accepted_at DESC LIMIT $2",
                [since, MAX_TREND_REPORTS],
            )
            .await?;
        pin_mut!(rows);
        let mut tally = RuleTally::default();
        while let Some(r) = rows.next().await {
            let r = r?;
            let assessment: String = r.try_get(1)?;
            tally.add(r.try_get(0)?, &assessment);
        }
        Ok(tally.finish())
    }
}

impl PgStore {
    /// Runs one of the queries above from a blocking caller.
    fn wait<T>(
        &self,
        query: impl std::future::Future<Output = Result<T, PgError>>,
    ) -> Result<T, CollectorError> {
        Ok(self.block_on(query)??)
    }

    pub fn kid_of_device(&self, device_id: &str) -> Result<Option<String>, CollectorError> {
        self.wait(self.inner.one_text(
            "SELECT kid FROM devices WHERE device_id = $1 AND unenrolled_at IS NULL",
            &[&device_id],
        ))
    }

    pub fn device_of_kid(&self, kid: &str) -> Result<Option<String>, CollectorError> {
        self.wait(self.inner.one_text(
            "SELECT device_id FROM devices WHERE kid = $1 AND unenrolled_at IS NULL",
            &[&kid],
        ))
    }

    pub fn evidence_devices(&self) -> Result<HashMap<String, DeviceFacts>, CollectorError> {
        self.wait(self.inner.evidence_devices())
    }

    pub fn evidence_reports_before(
        &self,
        end: i64,
        each: impl FnMut(ReportRow),
    ) -> Result<(), CollectorError> {
        self.wait(self.inner.evidence_reports_before(end, each))
    }

    pub fn policy_revisions(&self) -> Result<Vec<RevisionRow>, CollectorError> {
        self.wait(self.inner.policy_revisions())
    }

    pub fn revoke_session(
        &self,
        session_id: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), CollectorError> {
        self.wait(self.inner.revoke_session(session_id, expires_at, now))
    }

    pub fn session_revoked(&self, session_id: &str) -> Result<bool, CollectorError> {
        self.wait(self.inner.session_revoked(session_id))
    }

    pub fn use_link(
        &self,
        link_id: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, CollectorError> {
        self.wait(self.inner.use_link(link_id, expires_at, now))
    }

    pub fn list_codes(&self) -> Result<Vec<CodeRow>, CollectorError> {
        self.wait(self.inner.list_codes())
    }

    pub fn revoke_code(&self, hash: &[u8], now: i64) -> Result<bool, CollectorError> {
        self.wait(self.inner.revoke_code(hash, now))
    }

    pub fn device_labels(&self) -> Result<HashMap<String, String>, CollectorError> {
        self.wait(self.inner.device_labels())
    }

    pub fn device_label(&self, device_id: &str) -> Result<Option<String>, CollectorError> {
        self.wait(self.inner.one_text(
            "SELECT label FROM codes WHERE device_id = $1 AND label IS NOT NULL",
            &[&device_id],
        ))
    }

    pub fn latest_tokens(&self) -> Result<Vec<(String, String)>, CollectorError> {
        self.wait(self.inner.latest_tokens())
    }

    pub fn latest_token(&self, device_id: &str) -> Result<Option<String>, CollectorError> {
        self.wait(self.inner.one_text(
            "SELECT r.token FROM device_assessments a JOIN reports r ON r.jti = a.jti
             WHERE a.device_id = $1",
            &[&device_id],
        ))
    }

    pub fn daily_rule_passes(
        &self,
        since: i64,
    ) -> Result<Vec<(i64, String, u64, u64)>, CollectorError> {
        self.wait(self.inner.daily_rule_passes(since))
    }
}
