//! Times of day and where an instant falls against a daily window in a
//! time zone, across daylight-saving changes. The only place jiff is used.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use time::OffsetDateTime;

use super::QuietHoursError;

const MINUTES_PER_DAY: u16 = 24 * 60;

/// A time of day, to the minute: "HH:MM" from 00:00 to 23:59.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClockTime {
    minutes: u16,
}

impl ClockTime {
    /// Parses "HH:MM" (two digits each); `field` names it in the error.
    pub fn parse(field: &'static str, text: &str) -> Result<ClockTime, QuietHoursError> {
        let bad = || QuietHoursError::Time {
            field,
            value: text.chars().take(32).collect(),
        };
        let b = text.as_bytes();
        if b.len() != 5 || b[2] != b':' {
            return Err(bad());
        }
        let two = |i: usize| -> Option<u16> {
            let (h, l) = (b[i], b[i + 1]);
            (h.is_ascii_digit() && l.is_ascii_digit())
                .then(|| u16::from(h - b'0') * 10 + u16::from(l - b'0'))
        };
        match (two(0), two(3)) {
            (Some(h), Some(m)) if h < 24 && m < 60 => Ok(ClockTime {
                minutes: h * 60 + m,
            }),
            _ => Err(bad()),
        }
    }

    /// Minutes from `self` forward to `later`, round the clock (0 when equal).
    pub fn minutes_until(self, later: ClockTime) -> u16 {
        (later.minutes + MINUTES_PER_DAY - self.minutes) % MINUTES_PER_DAY
    }

    fn hour(self) -> i8 {
        // Below 24 by construction.
        i8::try_from(self.minutes / 60).unwrap_or(0)
    }

    fn minute(self) -> i8 {
        i8::try_from(self.minutes % 60).unwrap_or(0)
    }
}

impl std::fmt::Display for ClockTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.minutes / 60, self.minutes % 60)
    }
}

/// Where an instant falls against a daily window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Position {
    /// Inside; the window closes at `ends`.
    Within { ends: Option<OffsetDateTime> },
    /// Outside; the next window opens at `next_start`.
    Outside { next_start: Option<OffsetDateTime> },
}

/// A time zone from the bundled IANA database.
pub(super) struct Zone {
    tz: TimeZone,
}

impl Zone {
    /// The zone named `name` ("Europe/London").
    pub(super) fn get(name: &str) -> Result<Zone, QuietHoursError> {
        // Only real IANA names: not "UTC+1" or a POSIX TZ string, which a
        // person would not mean as their working time zone.
        let plausible = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c));
        match TimeZone::get(name) {
            Ok(tz) if plausible => Ok(Zone { tz }),
            _ => Err(QuietHoursError::TimeZone(name.chars().take(64).collect())),
        }
    }

    /// The first instant at which the local clock reads `time` on `date`
    /// or later: in a spring-forward gap that skips `time`, the moment the
    /// clocks go forward; in an autumn fold that repeats it, its first
    /// occurrence.
    fn first_instant(&self, date: Date, time: ClockTime) -> Option<Timestamp> {
        let dt: DateTime = date.at(time.hour(), time.minute(), 0, 0);
        let ambiguous = self.tz.to_ambiguous_timestamp(dt);
        match ambiguous.offset() {
            AmbiguousOffset::Gap { .. } => {
                let before_gap = ambiguous.earlier().ok()?;
                self.tz
                    .following(before_gap)
                    .next()
                    .map(|transition| transition.timestamp())
            }
            AmbiguousOffset::Unambiguous { .. } | AmbiguousOffset::Fold { .. } => {
                ambiguous.earlier().ok()
            }
        }
    }

    /// The window that opens on `date`: [start, end), the end on the next
    /// day when the window crosses midnight.
    fn window(
        &self,
        date: Date,
        start: ClockTime,
        end: ClockTime,
    ) -> Option<(Timestamp, Timestamp)> {
        let end_date = if end <= start {
            date.tomorrow().ok()?
        } else {
            date
        };
        Some((
            self.first_instant(date, start)?,
            self.first_instant(end_date, end)?,
        ))
    }

    /// Where `now` falls against the daily window from `start` to `end`.
    pub(super) fn window_at(
        &self,
        start: ClockTime,
        end: ClockTime,
        now: OffsetDateTime,
    ) -> Position {
        let Ok(now) = Timestamp::from_second(now.unix_timestamp()) else {
            return Position::Within { ends: None };
        };
        let today = self.tz.to_datetime(now).date();
        // A window that opened yesterday may still be open (a night shift).
        for date in [today.yesterday().ok(), Some(today)].into_iter().flatten() {
            if let Some((open, close)) = self.window(date, start, end)
                && open <= now
                && now < close
            {
                return Position::Within {
                    ends: to_time(close),
                };
            }
        }
        let next_start = [Some(today), today.tomorrow().ok()]
            .into_iter()
            .flatten()
            .filter_map(|date| self.first_instant(date, start))
            .find(|open| *open > now)
            .and_then(to_time);
        Position::Outside { next_start }
    }
}

fn to_time(t: Timestamp) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(t.as_second()).ok()
}
