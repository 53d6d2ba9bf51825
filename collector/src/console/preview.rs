//! The policy preview: which devices would change verdict if a draft
//! policy were in force, found by evaluating each device's latest stored
//! posture under the policy in force and under the draft with agent-core's
//! own evaluation.

use agent_core::policy::{Compliance, PolicyFormat};
use agent_core::{Policy, Posture, b64, evaluate};
use serde::Deserialize;
use time::OffsetDateTime;

use super::ConsoleError;

/// One device whose verdict the draft would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    /// The device id.
    pub device_id: String,
    /// Its verdict under the policy in force.
    pub now: Compliance,
    /// Its verdict under the draft.
    pub draft: Compliance,
    /// The draft's rules it would fail or warn on, by name.
    pub rules: Vec<String>,
}

/// What the preview found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    /// Devices evaluated (those with a stored current report).
    pub evaluated: usize,
    /// Reports whose posture could not be read (left out, counted).
    pub unreadable: usize,
    /// The devices that would change verdict.
    pub changes: Vec<Change>,
}

/// Parses a draft: JSON when it starts with `{`, else TOML; the policy's
/// own parser, with its size limit and field checks.
pub(crate) fn parse_draft(text: &str) -> Result<Policy, ConsoleError> {
    let format = if text.trim_start().starts_with('{') {
        PolicyFormat::Json
    } else {
        PolicyFormat::Toml
    };
    Policy::parse(text, format)
        .map_err(|e| ConsoleError::BadRequest(format!("the draft policy is not valid: {e}")))
}

/// The posture in a stored report (its signature was checked when it was
/// accepted, so only the payload is read here).
fn posture_of(token: &str) -> Option<Posture> {
    #[derive(Deserialize)]
    struct Payload {
        posture: Posture,
    }
    let payload = token.split('.').nth(1)?;
    let bytes = b64::decode(payload).ok()?;
    serde_json::from_slice::<Payload>(&bytes)
        .ok()
        .map(|p| p.posture)
}

/// The stored posture of one report, for the device page.
pub(crate) fn stored_posture(token: &str) -> Option<Posture> {
    posture_of(token)
}

/// Evaluates every `(device id, token)` under `in_force` and `draft`.
pub(crate) fn preview(
    tokens: &[(String, String)],
    in_force: &Policy,
    draft: &Policy,
    at: OffsetDateTime,
) -> Outcome {
    let mut outcome = Outcome::default();
    for (device_id, token) in tokens {
        let Some(posture) = posture_of(token) else {
            outcome.unreadable += 1;
            continue;
        };
        outcome.evaluated += 1;
        let before = evaluate(&posture, in_force, at);
        let after = evaluate(&posture, draft, at);
        if before.compliance != after.compliance {
            let rules = after
                .findings
                .iter()
                .filter(|f| {
                    matches!(
                        f.outcome,
                        agent_core::policy::Outcome::Fail | agent_core::policy::Outcome::Warn
                    )
                })
                .map(|f| super::views::name(&f.rule))
                .collect();
            outcome.changes.push(Change {
                device_id: device_id.clone(),
                now: before.compliance,
                draft: after.compliance,
                rules,
            });
        }
    }
    outcome
        .changes
        .sort_by(|a, b| a.device_id.cmp(&b.device_id));
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stricter_draft_names_the_devices_it_would_fail() {
        let in_force = Policy::default_policy();
        let mut draft = in_force.clone();
        draft.revision += 1;
        // Nothing is required at all: every failing device would pass.
        draft.rules = Default::default();
        let at = OffsetDateTime::now_utc();
        // Every fact unknown: the default policy does not pass that.
        let posture = Posture::unknown(agent_core::Platform::Android, "not read", at);
        let payload = serde_json::json!({ "posture": posture });
        let token = format!(
            "e30.{}.sig",
            b64::encode(serde_json::to_string(&payload).unwrap().as_bytes())
        );
        let tokens = vec![
            ("dev-1".to_owned(), token),
            ("dev-2".to_owned(), "junk".to_owned()),
        ];
        let before = evaluate(&posture, &in_force, at).compliance;
        assert_ne!(before, Compliance::Compliant);
        let out = preview(&tokens, &in_force, &draft, at);
        assert_eq!((out.evaluated, out.unreadable), (1, 1));
        assert_eq!(out.changes.len(), 1);
        assert_eq!(out.changes[0].device_id, "dev-1");
        assert_eq!(out.changes[0].now, before);
        assert_eq!(out.changes[0].draft, Compliance::Compliant);
        assert!(out.changes[0].rules.is_empty());
        // The policy in force against itself changes nothing.
        assert!(
            preview(&tokens, &in_force, &in_force, at)
                .changes
                .is_empty()
        );
    }

    #[test]
    fn drafts_are_read_as_json_or_toml_and_bad_ones_say_why() {
        let json = Policy::default_policy().to_json();
        assert!(parse_draft(&json).is_ok());
        let err = parse_draft("{\"schema_version\": 1}").unwrap_err();
        assert!(err.to_string().contains("not valid"), "{err}");
        assert!(parse_draft("name = ").is_err());
    }
}
