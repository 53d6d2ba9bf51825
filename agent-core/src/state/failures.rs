//! Since when each rule has failed this device without a pass between: the
//! history a `warn-then-block` rule counts its grace from, kept by the
//! device itself (docs/policy.md §8.4).

use rusqlite::params;

use super::error::DbError;
use super::stamp::{from_db, to_db};
use super::{Cached, State, StateError};
use crate::policy::{FailureHistory, RuleId};

fn rule_name(rule: RuleId) -> String {
    serde_json::to_value(rule)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl State {
    /// The failure history; a rule this build does not know (a newer
    /// agent's) is left out.
    pub fn failure_history(&self) -> Result<FailureHistory, StateError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT rule, since FROM rule_failures")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            let mut history = FailureHistory::new();
            for row in rows {
                let (rule, since) = row?;
                let Ok(rule) = serde_json::from_value::<RuleId>(serde_json::Value::String(rule))
                else {
                    continue;
                };
                history.insert(rule, from_db(since)?);
            }
            Ok::<_, DbError>(history)
        })
    }

    /// Replaces the failure history.
    pub fn set_failure_history(&mut self, history: &FailureHistory) -> Result<(), StateError> {
        let rows: Vec<(String, i64)> = history
            .entries()
            .map(|(rule, since)| Ok((rule_name(rule), to_db(since)?)))
            .collect::<Result<_, StateError>>()?;
        self.write(|tx| {
            tx.exec("DELETE FROM rule_failures", [])?;
            for (rule, since) in &rows {
                tx.exec(
                    "INSERT INTO rule_failures (rule, since) VALUES (?1, ?2)",
                    params![rule, since],
                )?;
            }
            Ok(())
        })
    }
}
