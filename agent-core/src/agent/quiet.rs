//! Quiet hours on the agent: the person's working hours, kept in the
//! state and checked against the policy in force, and "should I notify
//! now?" for the app (or the CLI) to ask before it prompts.

use time::OffsetDateTime;

use super::{Agent, AgentError, policy_in_force};
use crate::quiet_hours::{self, NotifyDecision, WorkingHours};
use crate::state::State;

/// The decision at `now` from what `state` holds.
pub(super) fn decide(state: &State, now: OffsetDateTime) -> Result<NotifyDecision, AgentError> {
    let hours = state.working_hours()?;
    quiet_hours::should_notify(hours.as_ref(), now)
        .map_err(|e| AgentError::CorruptState(format!("the stored working hours: {e}")))
}

impl Agent {
    /// The working hours the person set, if any.
    pub fn working_hours(&self) -> Result<Option<WorkingHours>, AgentError> {
        Ok(self.lock()?.state.working_hours()?)
    }

    /// Sets the person's working hours, after checking them against the
    /// bounds of the policy in force; None clears them (no quiet hours).
    pub fn set_working_hours(&self, hours: Option<&WorkingHours>) -> Result<(), AgentError> {
        let mut inner = self.lock()?;
        if let Some(hours) = hours {
            let checked = WorkingHours::new(&hours.start, &hours.end, &hours.time_zone)?;
            if let Some(bounds) = &policy_in_force(&inner.state)?.working_hours {
                checked.check_within(bounds)?;
            }
            inner.state.set_working_hours(Some(&checked))?;
        } else {
            inner.state.set_working_hours(None)?;
        }
        self.notify(&inner);
        Ok(())
    }

    /// Whether the app may prompt the person now, with the reason and,
    /// outside working hours, when it next may.
    pub fn should_notify(&self) -> Result<NotifyDecision, AgentError> {
        self.should_notify_at(OffsetDateTime::now_utc())
    }

    /// [`Agent::should_notify`] at `now`: the clock injected, for tests
    /// and for an app that plans its notifications ahead.
    pub fn should_notify_at(&self, now: OffsetDateTime) -> Result<NotifyDecision, AgentError> {
        decide(&self.lock()?.state, now)
    }
}
