//! Re-attestation inside the writer's transaction (protocol §5.3.3): a
//! current report's verified fresh chain is held against the device's pin,
//! which it moves up or, on a downgrade, breaks for good.

use agent_core::policy::{Outcome, RuleId};
use agent_core::protocol::{Assessment, FactProvenance, ProblemKind};
use rusqlite::params;

use super::Writer;
use super::apply::sql;
use crate::attestation::Attested;
use crate::attestation::pin::{self, Downgrade};
use crate::problem::ApiError;
use crate::store::{self, name_of};

impl Writer {
    /// Holds `fresh`, the verified fresh chain of current report `jti`,
    /// against the device's pin. A downgrade is recorded (it survives the
    /// refusal: the batch commits) and refuses the report; otherwise the
    /// pin takes the fresh values. A device without a pin ignores the
    /// chain; a broken pin stays as it is.
    pub(super) fn reattested(
        &mut self,
        device_id: &str,
        jti: &str,
        fresh: &Attested,
        now: i64,
    ) -> Result<(), ApiError> {
        let Some(pinned) = store::pinned(&self.conn, device_id).map_err(sql)? else {
            return Ok(());
        };
        let Some(dev) = self.devices.get(device_id) else {
            return Ok(());
        };
        let (kid, status) = (dev.kid.clone(), dev.pin);
        let found = pin::downgrades(&pinned.summary, &fresh.summary);
        if !found.is_empty() {
            self.record_breaks(device_id, jti, &found, now)?;
            if let Some(p) = self.devices.get_mut(device_id).and_then(|d| d.pin.as_mut()) {
                p.broken = true;
            }
            self.update_cached(&kid, |entry| entry.pin_broken = true);
            return Err(ApiError::new(
                ProblemKind::AttestationDowngrade,
                format!(
                    "the report's fresh key attestation is a downgrade against this device's pin ({}); the device stays non-compliant until it is enrolled again",
                    describe(&found)
                ),
            ));
        }
        if status.is_some_and(|p| p.broken) {
            return Ok(());
        }
        self.store_attestation(device_id, fresh, now)?;
        if let Some(p) = self.devices.get_mut(device_id).and_then(|d| d.pin.as_mut()) {
            p.pinned_at = now;
        }
        let raised = std::sync::Arc::new(fresh.clone());
        self.update_cached(&kid, |entry| entry.attested = Some(raised));
        tracing::info!(
            "device {device_id}: re-attested (security level {}, OS patch level {})",
            name_of(&fresh.summary.security_level),
            fresh
                .summary
                .os_patch_level
                .map_or_else(|| "absent".to_owned(), |v| v.to_string())
        );
        Ok(())
    }

    /// Remembers, for the next ask, whether a current report's verdict
    /// failed or warned on a patch level or OS version the hardware attested.
    pub(super) fn note_verdict(&mut self, device_id: &str, assessment: &Assessment, current: bool) {
        if !current {
            return;
        }
        let wants = assessment.facts.iter().any(|f| {
            matches!(f.rule, RuleId::SecurityPatch | RuleId::OsVersion)
                && f.provenance == FactProvenance::Hardware
                && matches!(f.outcome, Outcome::Fail | Outcome::Warn)
        });
        if let Some(p) = self.devices.get_mut(device_id).and_then(|d| d.pin.as_mut()) {
            p.wants_fresh_facts = wants;
        }
    }

    /// Whether the device's next report should carry a fresh chain.
    pub(super) fn wants_key_attestation(&self, device_id: &str, now: i64) -> bool {
        self.devices
            .get(device_id)
            .and_then(|d| d.pin)
            .is_some_and(|p| {
                p.asks_for_chain(
                    now,
                    self.settings.reattest_after_secs,
                    self.settings.checkin_interval_secs,
                )
            })
    }

    fn record_breaks(
        &mut self,
        device_id: &str,
        jti: &str,
        found: &[Downgrade],
        now: i64,
    ) -> Result<(), ApiError> {
        for d in found {
            self.conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO attestation_pin_breaks
                     (device_id, jti, field, pinned, seen, broken_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .and_then(|mut s| {
                    s.execute(params![device_id, jti, d.field, d.pinned, d.seen, now])
                })
                .map_err(sql)?;
        }
        self.events
            .pin_broken(&self.conn, device_id, jti, found, now);
        // Which values, never an ID-attestation field (a summary has none).
        tracing::warn!(
            "device {device_id}: attestation pin broken by report {jti}: {}",
            describe(found)
        );
        Ok(())
    }

    /// Changes the cached key entry after the commit (the request threads
    /// appraise the next reports with it).
    fn update_cached(&mut self, kid: &str, change: impl FnOnce(&mut crate::keys::KeyEntry)) {
        if let Some(mut entry) = self.pending_entry(kid) {
            change(&mut entry);
            self.effects.push(super::Effect::AddKey(entry));
        }
    }

    /// The key entry as this batch leaves it: its latest pending change, or
    /// the cached one.
    fn pending_entry(&self, kid: &str) -> Option<crate::keys::KeyEntry> {
        self.effects
            .iter()
            .rev()
            .find_map(|e| match e {
                super::Effect::AddKey(entry) if entry.key.kid() == kid => Some(entry.clone()),
                _ => None,
            })
            .or_else(|| self.keys.get(kid))
    }
}

fn describe(found: &[Downgrade]) -> String {
    found
        .iter()
        .map(|d| format!("{}: pinned {}, seen {}", d.field, d.pinned, d.seen))
        .collect::<Vec<_>>()
        .join("; ")
}
