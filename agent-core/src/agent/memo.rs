//! Parsed copies of the JSON the state keeps (the policy, the verdicts),
//! keyed by the exact stored text: a check-in reads both several times,
//! and parsing them again each time cost more than the reads themselves.
//! A copy is used only when the stored text is byte for byte the text it
//! was parsed from, so it can never be stale.

use std::cell::RefCell;

use time::OffsetDateTime;

use super::error::AgentError;
use super::verdicts::{VerdictRecord, verdict_from_json};
use crate::policy::{Policy, PolicyFormat};
use crate::state::State;

/// One parsed copy and the text it came from.
pub(super) struct Parsed<T> {
    cell: RefCell<Option<(String, T)>>,
}

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Parsed {
            cell: RefCell::new(None),
        }
    }
}

impl<T: Clone> Parsed<T> {
    /// The value of `json`: the copy when `json` is its text, else parsed
    /// now (and kept).
    fn get(
        &self,
        json: String,
        parse: impl FnOnce(&str) -> Result<T, AgentError>,
    ) -> Result<T, AgentError> {
        if let Some((text, value)) = &*self.cell.borrow()
            && *text == json
        {
            return Ok(value.clone());
        }
        let value = parse(&json)?;
        *self.cell.borrow_mut() = Some((json, value.clone()));
        Ok(value)
    }

    /// Keeps `value` as the parse of `json`, which was just stored.
    fn remember(&self, json: String, value: T) {
        *self.cell.borrow_mut() = Some((json, value));
    }
}

/// The agent's parsed copies.
#[derive(Default)]
pub(super) struct Memo {
    policy: Parsed<Policy>,
    verdicts: Parsed<VerdictRecord>,
}

impl Memo {
    /// The policy in force: the stored one once enrolled, else the default.
    pub(super) fn policy(&self, state: &State) -> Result<Policy, AgentError> {
        match state.policy_json()? {
            Some(stored) => self.policy.get(stored.json, |json| {
                Policy::parse(json, PolicyFormat::Json).map_err(|e| {
                    AgentError::CorruptState(format!("the stored policy is invalid: {e}"))
                })
            }),
            None => Ok(Policy::default_policy()),
        }
    }

    /// The stored verdicts, or none yet.
    pub(super) fn verdicts(&self, state: &State) -> Result<VerdictRecord, AgentError> {
        match state.last_verdict()? {
            Some(stored) => self.verdicts.get(stored.json, verdict_from_json),
            None => Ok(VerdictRecord::default()),
        }
    }

    /// Stores `verdicts` in the state and keeps them as the parse of the
    /// stored text.
    pub(super) fn store_verdicts(
        &self,
        state: &mut State,
        verdicts: VerdictRecord,
        at: OffsetDateTime,
    ) -> Result<(), AgentError> {
        let json = serde_json::to_string(&verdicts)
            .map_err(|e| AgentError::Internal(format!("cannot encode the verdicts: {e}")))?;
        state.set_last_verdict(&json, at)?;
        self.verdicts.remember(json, verdicts);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_is_used_only_for_the_same_text() {
        let parsed = Parsed::<u32>::default();
        let mut parses = 0;
        let mut get = |json: &str| {
            parsed.get(json.to_owned(), |j| {
                parses += 1;
                j.parse()
                    .map_err(|_| AgentError::Internal("not a number".into()))
            })
        };
        assert_eq!(get("7").unwrap(), 7);
        assert_eq!(get("7").unwrap(), 7);
        assert_eq!(get("8").unwrap(), 8);
        assert_eq!(get("7").unwrap(), 7);
        assert!(get("x").is_err());
        // A failed parse leaves the copy it found.
        assert_eq!(get("7").unwrap(), 7);
        assert_eq!(parses, 4);
    }

    #[test]
    fn a_remembered_value_answers_its_own_text_only() {
        let parsed = Parsed::<u32>::default();
        parsed.remember("1".into(), 1);
        let mut parses = 0;
        let value = parsed
            .get("1".into(), |_| {
                parses += 1;
                Ok(99)
            })
            .unwrap();
        assert_eq!((value, parses), (1, 0));
        let value = parsed
            .get("2".into(), |j| {
                parses += 1;
                Ok(j.parse().unwrap())
            })
            .unwrap();
        assert_eq!((value, parses), (2, 1));
    }
}
