//! The policy in force and the verdicts last seen: stored as JSON text (so
//! the schema need not change when those types grow fields) and parsed
//! once, when the state is opened. The lock holder is the only writer, so
//! from then on its parsed copies change only through its own setters, and
//! only when what they wrote is committed; a read-only view, whose file
//! another process writes, parses what is stored at each read instead.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Cached;
use super::stamp::from_db;
use crate::policy::{Policy, PolicyFormat, Verdict};
use crate::posture::Posture;
use crate::protocol::Freshness;

/// The verdicts the agent last saw: its own (immediate) and the server's
/// (authoritative), as stored in the state.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictRecord {
    /// The device's own evaluation at its last check-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<Verdict>,
    /// The server's evaluation of the last report it acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerVerdict>,
}

impl VerdictRecord {
    /// The verdicts with their findings in `locale`, rendered from
    /// `posture` (the last report's) under `policy` (see
    /// [`crate::policy::localise`]); as stored without a posture.
    pub fn localised(
        &self,
        posture: Option<&Posture>,
        policy: &Policy,
        locale: crate::l10n::Locale,
    ) -> VerdictRecord {
        let mut out = self.clone();
        let Some(posture) = posture else {
            return out;
        };
        let localise = |v: &Verdict| crate::policy::localise(v, posture, policy, locale);
        if let Some(local) = &mut out.local {
            *local = localise(local);
        }
        if let Some(server) = &mut out.server {
            server.verdict = localise(&server.verdict);
        }
        out
    }
}

/// The server's answer to a report.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerVerdict {
    /// The server's verdict.
    pub verdict: Verdict,
    /// Whether the report counted as current compliance.
    pub freshness: Freshness,
    /// When the server accepted the report.
    #[serde(with = "time::serde::rfc3339")]
    pub accepted_at: OffsetDateTime,
    /// When the server expects the next check-in.
    #[serde(with = "time::serde::rfc3339")]
    pub next_checkin_at: OffsetDateTime,
}

/// The verdicts as stored, with the posture of the last report (the one
/// the device's own verdict was reached from), so that its findings can be
/// shown in the language of the person reading them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredVerdicts {
    #[serde(flatten)]
    pub(crate) record: VerdictRecord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) posture: Option<Posture>,
}

/// A parsed document, or why its stored text does not parse (reported on
/// every read, so a damaged record does not stop the state from opening:
/// unenrolling and resetting still work).
pub(crate) type Parsed<T> = Result<T, String>;

/// The policy and verdict columns: each text and its time.
type Row = (Option<String>, Option<i64>, Option<String>, Option<i64>);

/// The parsed policy and verdicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Documents {
    /// The policy the collector sent, or None before the first.
    pub(crate) policy: Parsed<Option<Policy>>,
    /// The verdicts, empty before the first.
    pub(crate) verdicts: Parsed<StoredVerdicts>,
}

impl Default for Documents {
    fn default() -> Self {
        Documents {
            policy: Ok(None),
            verdicts: Ok(StoredVerdicts::default()),
        }
    }
}

impl Documents {
    /// Reads and parses what the database holds. A failure is kept in the
    /// documents it concerns rather than returned, so the state still opens.
    pub(crate) fn load(conn: &Connection) -> Documents {
        let row: rusqlite::Result<Row> = conn.row(
            "SELECT policy_json, policy_updated_at, verdict_json, verdict_at
                 FROM agent WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        );
        let (policy, policy_at, verdicts, verdicts_at) = match row {
            Ok(row) => row,
            Err(e) => {
                let why = format!("the stored policy and verdicts cannot be read: {e}");
                return Documents {
                    policy: Err(why.clone()),
                    verdicts: Err(why),
                };
            }
        };
        let policy = stored("policy", policy, policy_at).and_then(|json| match json {
            None => Ok(None),
            Some(json) => Policy::parse(&json, PolicyFormat::Json)
                .map(Some)
                .map_err(|e| format!("the stored policy is invalid: {e}")),
        });
        let verdicts = stored("verdict", verdicts, verdicts_at).and_then(|json| match json {
            None => Ok(StoredVerdicts::default()),
            Some(json) => crate::json::from_str(&json)
                .map_err(|e| format!("the stored verdict is invalid: {e}")),
        });
        Documents { policy, verdicts }
    }
}

/// A document's text, checking that it and its time are set together.
fn stored(what: &str, json: Option<String>, at: Option<i64>) -> Parsed<Option<String>> {
    match (json, at) {
        (Some(json), Some(at)) => match from_db(at) {
            Ok(_) => Ok(Some(json)),
            Err(_) => Err(format!("the stored {what}'s time {at} is invalid")),
        },
        (None, None) => Ok(None),
        _ => Err(format!("the stored {what} and its time disagree")),
    }
}
