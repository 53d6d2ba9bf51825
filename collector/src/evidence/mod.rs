//! Audit evidence (DSPT, Cyber Essentials): over a period of days, the
//! fleet's share of devices on a supported OS, patched within the policy's
//! window, encrypted and locked, the trend by ISO week, and the list of
//! exceptions, computed from the stored verified reports only.
//!
//! `docs/evidence.md` defines exactly what counts; this module follows it.
//! The figures are plain data ([`EvidenceReport`], JSON on the wire) and
//! render as CSV ([`render_csv`]) or as one self-contained HTML file
//! ([`render_html`]), so the admin API, the CLI and a console can all
//! offer the same report.

mod csv;
pub(crate) mod figures;
mod html;
pub(crate) mod query;

#[cfg(test)]
mod tests;

pub use self::csv::{EXCEPTION_HEADER, FIGURE_HEADER, SUMMARY_HEADER, render_csv};
pub use self::html::render_html;

use agent_core::Platform;
use agent_core::policy::{PolicyRef, RuleId};
use agent_core::protocol::DeviceId;
use serde::{Deserialize, Serialize};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, Time};

use crate::collector::{Collector, now};
use crate::error::CollectorError;

/// The longest period one report covers, in days (a leap year): the
/// computation reads every report before the period's end, so it is bounded.
pub const MAX_PERIOD_DAYS: i64 = 366;

/// Most exceptions one report lists; `exceptions_total` counts them all.
pub const MAX_EXCEPTIONS: usize = 10_000;

/// A period's dates as the API takes them: `YYYY-MM-DD`, nothing else.
const DATE_FORMAT: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// Why a period is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    /// A date is missing.
    #[error("give {0} as a date, YYYY-MM-DD")]
    Missing(&'static str),
    /// A date does not parse.
    #[error("{which} must be a date, YYYY-MM-DD (got {value:?})")]
    BadDate {
        /// `from` or `to`.
        which: &'static str,
        /// The start of what was given.
        value: String,
    },
    /// `to` is before `from`.
    #[error("to ({to}) is before from ({from})")]
    Reversed {
        /// The first day.
        from: Date,
        /// The last day.
        to: Date,
    },
    /// The period is longer than [`MAX_PERIOD_DAYS`].
    #[error("the period is {days} days long; ask for at most {MAX_PERIOD_DAYS} days at a time")]
    TooLong {
        /// Its length in days.
        days: i64,
    },
}

/// The days a report covers, both included, as UTC calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    from: Date,
    to: Date,
}

impl Period {
    /// The days `from` to `to`, both included.
    pub fn new(from: Date, to: Date) -> Result<Period, EvidenceError> {
        if to < from {
            return Err(EvidenceError::Reversed { from, to });
        }
        let days = (to - from).whole_days() + 1;
        if days > MAX_PERIOD_DAYS {
            return Err(EvidenceError::TooLong { days });
        }
        Ok(Period { from, to })
    }

    /// Parses the two dates (`YYYY-MM-DD`) of a request.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Period, EvidenceError> {
        let from = parse_date("from", from)?;
        let to = parse_date("to", to)?;
        Period::new(from, to)
    }

    /// The first day.
    pub fn from(&self) -> Date {
        self.from
    }

    /// The last day (included).
    pub fn to(&self) -> Date {
        self.to
    }

    /// The first second of the period (Unix time).
    pub(crate) fn start(&self) -> i64 {
        self.from
            .with_time(Time::MIDNIGHT)
            .assume_utc()
            .unix_timestamp()
    }

    /// The first second after the period (Unix time).
    pub(crate) fn end(&self) -> i64 {
        self.to
            .with_time(Time::MIDNIGHT)
            .assume_utc()
            .unix_timestamp()
            + 86_400
    }
}

fn parse_date(which: &'static str, value: Option<&str>) -> Result<Date, EvidenceError> {
    let value = value.ok_or(EvidenceError::Missing(which))?;
    Date::parse(value.trim(), DATE_FORMAT).map_err(|_| EvidenceError::BadDate {
        which,
        value: value.chars().take(32).collect(),
    })
}

/// The four figures, in the order reports show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FigureKind {
    /// On a supported OS release (the `os_version` rule).
    SupportedOs,
    /// Patched within the policy's window (the `security_patch` rule).
    Patched,
    /// Storage encrypted (the `storage_encryption` rule).
    Encrypted,
    /// A secure screen lock set (the `screen_lock` rule).
    Locked,
}

impl FigureKind {
    /// Every figure, in report order.
    pub const ALL: [FigureKind; 4] = [
        FigureKind::SupportedOs,
        FigureKind::Patched,
        FigureKind::Encrypted,
        FigureKind::Locked,
    ];

    /// The policy rule the figure reads.
    pub fn rule(self) -> RuleId {
        match self {
            FigureKind::SupportedOs => RuleId::OsVersion,
            FigureKind::Patched => RuleId::SecurityPatch,
            FigureKind::Encrypted => RuleId::StorageEncryption,
            FigureKind::Locked => RuleId::ScreenLock,
        }
    }

    /// The figure's wire name.
    pub fn name(self) -> &'static str {
        match self {
            FigureKind::SupportedOs => "supported_os",
            FigureKind::Patched => "patched",
            FigureKind::Encrypted => "encrypted",
            FigureKind::Locked => "locked",
        }
    }

    /// What the figure measures, for people.
    pub fn label(self) -> &'static str {
        match self {
            FigureKind::SupportedOs => "On a supported OS release",
            FigureKind::Patched => "Patched within the policy's window",
            FigureKind::Encrypted => "Storage encrypted",
            FigureKind::Locked => "Secure screen lock set",
        }
    }
}

/// One figure over a set of devices: how many meet the rule, fail it or are
/// unknown, and how many of them were hardware-attested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// Which figure.
    pub figure: FigureKind,
    /// The rule it reads.
    pub rule: RuleId,
    /// Devices the figure covers: `pass + fail + unknown`.
    pub devices: u64,
    /// Devices whose state meets the rule.
    pub pass: u64,
    /// Devices whose state does not meet it (`in_grace` among them).
    pub fail: u64,
    /// Of `fail`, devices inside the policy's grace period.
    pub in_grace: u64,
    /// Devices whose fact was unknown: neither pass nor fail.
    pub unknown: u64,
    /// Devices the rule does not apply to (or the policy has no such rule):
    /// not covered.
    pub not_applicable: u64,
    /// Of `devices`, those hardware-attested when their state was reported.
    pub hardware_attested: u64,
    /// `pass / (pass + fail)`, rounded to 4 decimals; absent when both are 0.
    pub pass_share: Option<f64>,
}

/// The devices counted over some days, and the four figures for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Devices with at least one stored report in these days.
    pub devices: u64,
    /// Of them, those hardware-attested when their state was reported.
    pub hardware_attested: u64,
    /// Of them, those whose state comes from a historical report
    /// (protocol §6: evidence of the state at `iat`, delivered late).
    pub historical: u64,
    /// Of them, those whose state report was compliant.
    pub compliant: u64,
    /// ... a warning.
    pub warning: u64,
    /// ... non-compliant.
    pub non_compliant: u64,
    /// The four figures, in [`FigureKind::ALL`] order.
    pub figures: Vec<Figure>,
}

impl Summary {
    /// The figure of `kind`.
    pub fn figure(&self, kind: FigureKind) -> Option<&Figure> {
        self.figures.iter().find(|f| f.figure == kind)
    }
}

/// One ISO week of the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekSummary {
    /// The ISO week, `2026-W49`.
    pub week: String,
    /// Its first day inside the period (a Monday, except at the start).
    pub from: Date,
    /// Its last day inside the period (a Sunday, except at the end).
    pub to: Date,
    /// The devices and figures of the week.
    #[serde(flatten)]
    pub summary: Summary,
}

/// How an exception stands in the latest report that showed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionState {
    /// The rule fails, past any grace period.
    Fail,
    /// The rule fails, inside the policy's grace period (see `deadline`).
    Grace,
    /// The fact was unknown and the policy counts that as a warning or a
    /// failure.
    Unknown,
}

impl ExceptionState {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            ExceptionState::Fail => "fail",
            ExceptionState::Grace => "grace",
            ExceptionState::Unknown => "unknown",
        }
    }
}

/// A device that did not meet a rule for a run of consecutive reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceException {
    /// The device.
    pub device_id: DeviceId,
    /// Its platform.
    pub platform: Platform,
    /// The rule it did not meet.
    pub rule: RuleId,
    /// How it stood in the latest report of the run (up to the period's end).
    pub state: ExceptionState,
    /// The `iat` of the first report of the run (may be before the period).
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    /// The `iat` of the latest report of the run, up to the period's end.
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
    /// The `iat` of the first report after the run that met the rule, when
    /// it came before the period's end; absent while the exception is open.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub resolved_at: Option<OffsetDateTime>,
    /// The grace deadline of the latest report of the run, when the policy
    /// set one (a failure inside a grace period).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Date>,
    /// What the latest report of the run showed, in words.
    pub observed: String,
}

/// The evidence for a period (`GET /v1/evidence`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceReport {
    /// When the report was computed.
    #[serde(with = "time::serde::rfc3339")]
    pub generated_at: OffsetDateTime,
    /// The first day of the period (UTC).
    pub from: Date,
    /// The last day of the period (UTC, included).
    pub to: Date,
    /// The policy the collector holds now (each report was judged by the
    /// policy the collector held when it stored it).
    pub policy: PolicyRef,
    /// The grace period of that policy in days, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_days: Option<u32>,
    /// The whole period: each device's last report in it.
    pub period: Summary,
    /// Each ISO week of the period: each device's last report in that week.
    pub weeks: Vec<WeekSummary>,
    /// Exceptions open at some time during the period, by device and rule
    /// (at most [`MAX_EXCEPTIONS`]).
    pub exceptions: Vec<EvidenceException>,
    /// How many exceptions there are in all.
    pub exceptions_total: u64,
}

impl EvidenceReport {
    /// Whether the exception list was cut at [`MAX_EXCEPTIONS`].
    pub fn exceptions_truncated(&self) -> bool {
        self.exceptions_total > self.exceptions.len() as u64
    }
}

/// The ISO week name of `date`: `2026-W49`.
pub(crate) fn iso_week_name(date: Date) -> String {
    let (year, week, _) = date.to_iso_week_date();
    format!("{year}-W{week:02}")
}

/// The Monday of `date`'s ISO week.
pub(crate) fn monday_of(date: Date) -> Date {
    let back = i64::from(date.weekday().number_days_from_monday());
    date.checked_sub(Duration::days(back)).unwrap_or(date)
}

impl Collector {
    /// The audit evidence for `period`, from the stored verified reports.
    /// Blocking: from async code, call it inside `spawn_blocking`.
    pub fn evidence(&self, period: &Period) -> Result<EvidenceReport, CollectorError> {
        let store = &self.inner.store;
        let policy = &self.inner.settings.policy;
        let devices = store.evidence_devices()?;
        let mut builder = figures::Builder::new(*period, devices);
        store.evidence_reports_before(period.end(), |row| builder.add(row))?;
        Ok(builder.finish(now(), PolicyRef::of(policy), policy.grace.map(|g| g.days)))
    }
}
