//! Quiet hours: the agent prompts the person holding the device only within
//! the working hours they set, in their own time zone and within the bounds
//! the organisation's policy allows. Check-ins still run outside them (the
//! platform's scheduler keeps its cadence); they only stay silent.
//!
//! Everything here is a pure function of its inputs and the instant it is
//! asked about, so it is tested with an injected clock across time zones
//! and daylight-saving changes. Time-zone rules come from jiff's bundled
//! copy of the IANA tz database.

mod clock;

pub use clock::ClockTime;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use clock::Zone;

use crate::l10n::{Locale, Msg};

/// The working hours a person set: every day from `start` to `end` (an
/// `end` at or before `start` crosses midnight: "19:00" to "07:30" is a
/// night shift), in the IANA time zone `time_zone` ("Europe/London").
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    /// When the working day starts, "HH:MM" local time.
    pub start: String,
    /// When it ends, "HH:MM" local time.
    pub end: String,
    /// The person's time zone, an IANA name.
    pub time_zone: String,
}

/// The organisation's bounds on the working hours a person may set (the
/// policy's `working_hours`).
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingHoursBounds {
    /// Windows the person's working hours must lie within, each in the
    /// person's own local time; absent: any hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<AllowedWindow>>,
    /// The longest working day a person may set, in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_hours: Option<u32>,
}

/// A daily window of local time the policy allows working hours in.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowedWindow {
    /// "HH:MM".
    pub start: String,
    /// "HH:MM"; at or before `start`, the window crosses midnight.
    pub end: String,
}

/// Why the agent may or may not prompt the person now.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyReason {
    /// The person set no working hours: there are no quiet hours.
    NoWorkingHours,
    /// Now is within the person's working hours.
    WithinWorkingHours,
    /// Now is outside them: quiet hours.
    OutsideWorkingHours,
}

impl NotifyReason {
    /// The reason in words, for the person, in `locale`. Every user-facing
    /// string of quiet hours is here or in [`QuietHoursError::message`].
    pub fn describe(self, locale: Locale) -> String {
        crate::l10n::text(
            locale,
            match self {
                NotifyReason::NoWorkingHours => "notify-reason-no-working-hours",
                NotifyReason::WithinWorkingHours => "notify-reason-within",
                NotifyReason::OutsideWorkingHours => "notify-reason-outside",
            },
        )
    }
}

/// The answer to "should I notify the person now?".
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyDecision {
    /// Whether a prompt may be shown now.
    pub notify: bool,
    /// Why.
    pub reason: NotifyReason,
    /// When prompting is next allowed, when it is not now.
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_allowed: Option<OffsetDateTime>,
    /// When quiet hours next begin, when prompting is allowed now and the
    /// person has working hours.
    #[serde(with = "time::serde::rfc3339::option")]
    pub quiet_from: Option<OffsetDateTime>,
}

/// Why working hours or their bounds are not usable. `Display` is the
/// English [`QuietHoursError::message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuietHoursError {
    /// A time is not "HH:MM".
    Time {
        /// Which time: "start" or "end".
        field: &'static str,
        /// What was given.
        value: String,
    },
    /// Start and end are the same.
    Empty(String),
    /// The time zone is not an IANA name the bundled database knows.
    TimeZone(String),
    /// The hours lie outside every window the policy allows.
    OutsideBounds {
        /// The hours asked for.
        hours: String,
        /// The windows allowed; empty when there are none.
        allowed: Vec<String>,
    },
    /// The hours are longer than the policy allows.
    TooLong {
        /// The hours asked for.
        hours: String,
        /// The longest allowed, in hours.
        max: u32,
    },
}

impl QuietHoursError {
    /// What is wrong and what to do, in `locale`.
    pub fn message(&self, locale: Locale) -> String {
        let msg = match self {
            QuietHoursError::Time { field, value } => Msg::new("quiet-hours-error-time")
                .text("field", *field)
                .text("value", format!("{value:?}")),
            QuietHoursError::Empty(time) => {
                Msg::new("quiet-hours-error-empty").text("time", time.as_str())
            }
            QuietHoursError::TimeZone(zone) => {
                Msg::new("quiet-hours-error-time-zone").text("zone", format!("{zone:?}"))
            }
            QuietHoursError::OutsideBounds { hours, allowed } => {
                let allowed = if allowed.is_empty() {
                    crate::l10n::text(locale, "quiet-hours-no-hours")
                } else {
                    allowed.join(", ")
                };
                Msg::new("quiet-hours-error-outside-bounds")
                    .text("hours", hours.as_str())
                    .text("allowed", allowed)
            }
            QuietHoursError::TooLong { hours, max } => Msg::new("quiet-hours-error-too-long")
                .text("hours", hours.as_str())
                .number("max", *max),
        };
        msg.in_locale(locale)
    }
}

impl std::fmt::Display for QuietHoursError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Locale::En))
    }
}

impl std::error::Error for QuietHoursError {}

/// Checked working hours: the times parsed and the zone found.
struct Checked {
    start: ClockTime,
    end: ClockTime,
    zone: Zone,
}

impl WorkingHours {
    /// Working hours from `start` to `end` in `time_zone`, checked.
    pub fn new(start: &str, end: &str, time_zone: &str) -> Result<WorkingHours, QuietHoursError> {
        let hours = WorkingHours {
            start: start.trim().to_owned(),
            end: end.trim().to_owned(),
            time_zone: time_zone.trim().to_owned(),
        };
        hours.checked()?;
        Ok(hours)
    }

    fn checked(&self) -> Result<Checked, QuietHoursError> {
        let start = ClockTime::parse("start", &self.start)?;
        let end = ClockTime::parse("end", &self.end)?;
        if start == end {
            return Err(QuietHoursError::Empty(self.start.clone()));
        }
        let zone = Zone::get(&self.time_zone)?;
        Ok(Checked { start, end, zone })
    }

    /// Checks the hours against the policy's bounds.
    pub fn check_within(&self, bounds: &WorkingHoursBounds) -> Result<(), QuietHoursError> {
        let c = self.checked()?;
        let length = c.start.minutes_until(c.end);
        if let Some(max) = bounds.max_hours
            && u32::from(length) > max.saturating_mul(60)
        {
            return Err(QuietHoursError::TooLong {
                hours: self.to_string(),
                max,
            });
        }
        let Some(allowed) = &bounds.allowed else {
            return Ok(());
        };
        let fits = allowed.iter().any(|w| {
            match (
                ClockTime::parse("start", &w.start),
                ClockTime::parse("end", &w.end),
            ) {
                // Measured from the window's start, round the clock: the
                // hours fit when they start and end before it closes.
                (Ok(a), Ok(b)) => a.minutes_until(c.start) + length <= a.minutes_until(b),
                _ => false,
            }
        });
        if fits {
            return Ok(());
        }
        let list: Vec<String> = allowed
            .iter()
            .map(|w| format!("{}-{}", w.start, w.end))
            .collect();
        Err(QuietHoursError::OutsideBounds {
            hours: self.to_string(),
            allowed: list,
        })
    }
}

impl std::fmt::Display for WorkingHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{} {}", self.start, self.end, self.time_zone)
    }
}

impl WorkingHoursBounds {
    /// Checks the bounds themselves, naming the member that is wrong.
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        if let Some(max) = self.max_hours
            && !(1..=24).contains(&max)
        {
            return Err((
                "working_hours.max_hours".into(),
                format!("{max} is not 1 to 24 hours"),
            ));
        }
        for (i, w) in self.allowed.iter().flatten().enumerate() {
            let at = format!("working_hours.allowed[{i}]");
            let start = ClockTime::parse("start", &w.start)
                .map_err(|e| (format!("{at}.start"), e.to_string()))?;
            let end = ClockTime::parse("end", &w.end)
                .map_err(|e| (format!("{at}.end"), e.to_string()))?;
            if start == end {
                return Err((
                    at,
                    "start and end are the same: leave `allowed` out to allow any hours".into(),
                ));
            }
        }
        Ok(())
    }
}

/// Should the person be prompted at `now`, given the working hours they
/// set (none: always)?
pub fn should_notify(
    hours: Option<&WorkingHours>,
    now: OffsetDateTime,
) -> Result<NotifyDecision, QuietHoursError> {
    let Some(hours) = hours else {
        return Ok(NotifyDecision {
            notify: true,
            reason: NotifyReason::NoWorkingHours,
            next_allowed: None,
            quiet_from: None,
        });
    };
    let c = hours.checked()?;
    let window = c.zone.window_at(c.start, c.end, now);
    Ok(match window {
        clock::Position::Within { ends } => NotifyDecision {
            notify: true,
            reason: NotifyReason::WithinWorkingHours,
            next_allowed: None,
            quiet_from: ends,
        },
        clock::Position::Outside { next_start } => NotifyDecision {
            notify: false,
            reason: NotifyReason::OutsideWorkingHours,
            next_allowed: next_start,
            quiet_from: None,
        },
    })
}

#[cfg(test)]
mod tests;
