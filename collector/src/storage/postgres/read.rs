//! The read queries on PostgreSQL: the same SQL as SQLite's where the two
//! agree, and the same parsing (`crate::store`'s shared helpers).

use agent_core::protocol::{DEVICE_HISTORY_LEN, DeviceDetail, FleetSummary, Jti, PinBreak};
use bytes::Bytes;
use futures_util::StreamExt;
use time::OffsetDateTime;
use tokio::sync::mpsc;

use super::{PgError, PgInner, PgStore, raw_attestation};
use crate::error::CollectorError;
use crate::storage::EXPORT_CHUNK;
use crate::store::{
    ATTESTATION_COLUMNS, ExportRow, RawFleetRow, apply_app_attest, apply_pins, at, export_line,
    fleet_devices, history_entry, summarise,
};

impl PgInner {
    async fn fleet_rows(
        &self,
        client: &deadpool_postgres::Object,
        now: OffsetDateTime,
        stale_after_secs: u64,
        only: Option<&str>,
    ) -> Result<Vec<(agent_core::protocol::FleetDevice, Option<String>)>, PgError> {
        let filter = if only.is_some() {
            "AND d.device_id = $1"
        } else {
            ""
        };
        let sql = format!(
            "SELECT d.device_id, d.platform, d.enrolled_at, d.last_current_at, d.last_compliance,
                    {ATTESTATION_COLUMNS},
                    a.reported_os_patch_level, a.reported_at,
                    s.jti, s.assessment, s.attestation_result,
                CASE WHEN d.last_compliance = 'warning' THEN r.verdict END
             FROM devices d LEFT JOIN device_attestations a ON a.device_id = d.device_id
             LEFT JOIN device_assessments s ON s.device_id = d.device_id
         LEFT JOIN reports r ON r.jti = s.jti
             WHERE d.unenrolled_at IS NULL {filter} ORDER BY d.enrolled_at, d.device_id"
        );
        let rows = match only {
            Some(id) => client.query(&sql, &[&id]).await?,
            None => client.query(&sql, &[]).await?,
        };
        let mut raw = Vec::with_capacity(rows.len());
        for r in &rows {
            raw.push(RawFleetRow {
                device_id: r.try_get(0)?,
                platform: r.try_get(1)?,
                enrolled_at: r.try_get(2)?,
                last_current_at: r.try_get(3)?,
                compliance: r.try_get(4)?,
                attested: crate::store::parse_attestation(raw_attestation(r, 5)?),
                reported_patch: r.try_get(16)?,
                reported_at: r.try_get(17)?,
                jti: r.try_get(18)?,
                assessment: r.try_get(19)?,
                attestation_result: r.try_get(20)?,
                warning_verdict: r.try_get(21)?,
            });
        }
        Ok(fleet_devices(raw, now, stale_after_secs))
    }

    /// Adds the App Attest summaries and the pins, as SQLite's queries do.
    async fn add_details(
        &self,
        client: &deadpool_postgres::Object,
        devices: &mut [agent_core::protocol::FleetDevice],
    ) -> Result<(), PgError> {
        let rows = client
            .query(
                "SELECT a.device_id, a.environment, a.counter, a.attested_at
                 FROM device_app_attest a JOIN devices d ON d.device_id = a.device_id
                 WHERE d.unenrolled_at IS NULL",
                &[],
            )
            .await?;
        let mut found = Vec::with_capacity(rows.len());
        for r in &rows {
            let counter: i64 = r.try_get(2)?;
            found.push((
                r.try_get(0)?,
                r.try_get(1)?,
                u32::try_from(counter).unwrap_or(u32::MAX),
                r.try_get(3)?,
            ));
        }
        apply_app_attest(devices, found);
        let rows = client
            .query(
                "SELECT b.device_id, b.jti, b.field, b.pinned, b.seen, b.broken_at
                 FROM attestation_pin_breaks b JOIN devices d ON d.device_id = b.device_id
                 WHERE d.unenrolled_at IS NULL ORDER BY b.broken_at DESC, b.seq DESC",
                &[],
            )
            .await?;
        let mut breaks = Vec::with_capacity(rows.len());
        for r in &rows {
            let jti: String = r.try_get(1)?;
            let Ok(jti) = Jti::new(jti) else {
                tracing::warn!("fleet: skipped a pin break whose jti does not parse");
                continue;
            };
            breaks.push((
                r.try_get(0)?,
                PinBreak {
                    jti,
                    field: r.try_get(2)?,
                    pinned: r.try_get(3)?,
                    seen: r.try_get(4)?,
                    at: at(r.try_get(5)?),
                },
            ));
        }
        apply_pins(devices, breaks);
        Ok(())
    }

    async fn fleet_summary(
        &self,
        now: OffsetDateTime,
        stale_after_secs: u64,
    ) -> Result<FleetSummary, PgError> {
        let client = self.pool.get().await?;
        let rows = self
            .fleet_rows(&client, now, stale_after_secs, None)
            .await?;
        let mut summary = summarise(rows, now, stale_after_secs);
        self.add_details(&client, &mut summary.devices).await?;
        Ok(summary)
    }

    async fn device_detail(
        &self,
        device_id: &str,
        now: OffsetDateTime,
        stale_after_secs: u64,
    ) -> Result<Option<DeviceDetail>, PgError> {
        let client = self.pool.get().await?;
        let Some((mut device, jti)) = self
            .fleet_rows(&client, now, stale_after_secs, Some(device_id))
            .await?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        self.add_details(&client, std::slice::from_mut(&mut device))
            .await?;
        let verdict = match jti {
            Some(jti) => client
                .query_opt("SELECT verdict FROM reports WHERE jti = $1", &[&jti])
                .await?
                .map(|r| r.try_get::<_, String>(0))
                .transpose()?
                .and_then(|v| serde_json::from_str(&v).ok()),
            None => None,
        };
        let limit = i64::try_from(DEVICE_HISTORY_LEN).unwrap_or(20);
        let rows = client
            .query(
                "SELECT r.jti, r.iat, r.accepted_at, r.freshness, r.compliance, s.assurance
                 FROM reports r LEFT JOIN report_assessments s ON s.jti = r.jti
                 WHERE r.device_id = $1 ORDER BY r.iat DESC, r.seq DESC LIMIT $2",
                &[&device_id, &limit],
            )
            .await?;
        let mut history = Vec::with_capacity(rows.len());
        for r in &rows {
            let row = (
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
            );
            if let Some(entry) = history_entry(row) {
                history.push(entry);
            }
        }
        Ok(Some(DeviceDetail {
            device,
            verdict,
            history,
        }))
    }

    async fn count(&self, sql: &str) -> Result<u64, PgError> {
        let client = self.pool.get().await?;
        let n: i64 = client.query_one(sql, &[]).await?.try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Streams the export rows into `tx` in chunks, until the rows end or
    /// the client goes away.
    async fn export(&self, since: i64, tx: mpsc::Sender<Bytes>) -> Result<(), PgError> {
        let client = self.pool.get().await?;
        let rows = client
            .query_raw(
                "SELECT jti, device_id, accepted_at, freshness, verdict, token FROM reports
                 WHERE accepted_at >= $1 ORDER BY accepted_at, seq",
                [since],
            )
            .await?;
        let mut rows = std::pin::pin!(rows);
        let mut chunk = Vec::with_capacity(EXPORT_CHUNK);
        while let Some(r) = rows.next().await {
            let r = r?;
            let Some(line) = export_line(ExportRow {
                jti: r.try_get(0)?,
                device_id: r.try_get(1)?,
                accepted_at: r.try_get(2)?,
                freshness: r.try_get(3)?,
                verdict: r.try_get(4)?,
                token: r.try_get(5)?,
            }) else {
                continue;
            };
            chunk.extend_from_slice(&line);
            if chunk.len() >= EXPORT_CHUNK {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(EXPORT_CHUNK));
                if tx.send(Bytes::from(full)).await.is_err() {
                    return Ok(());
                }
            }
        }
        if !chunk.is_empty() {
            let _ = tx.send(Bytes::from(chunk)).await;
        }
        Ok(())
    }
}

impl PgStore {
    /// See [`crate::storage::Store::fleet_summary`].
    pub async fn fleet_summary(
        &self,
        now: OffsetDateTime,
        stale_after_secs: u64,
    ) -> Result<FleetSummary, CollectorError> {
        Ok(self
            .run(|i| async move { i.fleet_summary(now, stale_after_secs).await })
            .await??)
    }

    /// See [`crate::storage::Store::device_detail`].
    pub async fn device_detail(
        &self,
        device_id: String,
        now: OffsetDateTime,
        stale_after_secs: u64,
    ) -> Result<Option<DeviceDetail>, CollectorError> {
        Ok(self
            .run(|i| async move { i.device_detail(&device_id, now, stale_after_secs).await })
            .await??)
    }

    /// See [`crate::storage::Store::report_count`].
    pub async fn report_count(&self) -> Result<u64, CollectorError> {
        Ok(self
            .run(|i| async move { i.count("SELECT count(*) FROM reports").await })
            .await??)
    }

    /// See [`crate::storage::Store::device_count`].
    pub async fn device_count(&self) -> Result<u64, CollectorError> {
        Ok(self
            .run(|i| async move {
                i.count("SELECT count(*) FROM devices WHERE unenrolled_at IS NULL")
                    .await
            })
            .await??)
    }

    /// See [`crate::storage::Store::export`]: the rows stream from the
    /// store's runtime.
    pub fn export(&self, since: Option<OffsetDateTime>) -> mpsc::Receiver<Bytes> {
        let since = since.map_or(i64::MIN, |t| t.unix_timestamp());
        let (tx, rx) = mpsc::channel::<Bytes>(4);
        if let Some(rt) = self.runtime.as_ref() {
            let inner = self.inner.clone();
            rt.spawn(async move {
                if let Err(e) = inner.export(since, tx).await {
                    // The status line is already sent; the cut-short body shows it.
                    tracing::error!("export failed part way: {e}");
                }
            });
        }
        rx
    }
}
