//! The evidence computation, pure: report rows in (ordered by device, then
//! `iat`), figures, weeks and exceptions out. `docs/evidence.md` is its
//! specification.

use std::collections::HashMap;

use agent_core::Platform;
use agent_core::policy::{Compliance, Outcome, PolicyRef, RuleId};
use agent_core::protocol::DeviceId;
use time::{Date, Duration, OffsetDateTime};

use super::{
    EvidenceException, EvidenceReport, ExceptionState, Figure, FigureKind, MAX_EXCEPTIONS, Period,
    Summary, WeekSummary, iso_week_name, monday_of,
};
use crate::store::at;

/// What the evidence needs to know of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DeviceFacts {
    pub platform: Platform,
    /// Its key was hardware-attested at enrolment.
    pub hardware: bool,
    /// When a re-attestation first broke its pin: from then on it no
    /// longer counts as hardware-attested.
    pub pin_broken_at: Option<i64>,
}

impl DeviceFacts {
    fn attested_at(&self, iat: i64) -> bool {
        self.hardware && self.pin_broken_at.is_none_or(|b| iat < b)
    }
}

/// One stored report, as the evidence reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReportRow {
    pub device_id: String,
    /// When the report was made (Unix time): what dates it.
    pub iat: i64,
    /// Not current (protocol §6).
    pub historical: bool,
    /// The collector's verdict.
    pub compliance: Compliance,
    /// One entry per finding of the collector's verdict.
    pub rules: Vec<RuleState>,
}

/// One finding of a stored verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleState {
    pub rule: RuleId,
    pub outcome: Outcome,
    /// The fact the rule read was unknown.
    pub unknown: bool,
    pub deadline: Option<Date>,
    pub observed: String,
}

/// A device's standing on one figure in one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Pass,
    Fail { in_grace: bool },
    Unknown,
    NotApplicable,
}

fn standing(row: &ReportRow, rule: RuleId) -> Standing {
    let Some(state) = row.rules.iter().find(|s| s.rule == rule) else {
        return Standing::NotApplicable;
    };
    match state.outcome {
        Outcome::NotApplicable => Standing::NotApplicable,
        _ if state.unknown => Standing::Unknown,
        Outcome::Pass => Standing::Pass,
        Outcome::Warn | Outcome::Fail => Standing::Fail {
            in_grace: state.outcome == Outcome::Warn && state.deadline.is_some(),
        },
    }
}

/// Counts towards one [`Summary`].
#[derive(Debug, Default, Clone)]
struct Tally {
    devices: u64,
    hardware: u64,
    historical: u64,
    compliant: u64,
    warning: u64,
    non_compliant: u64,
    figures: [FigureTally; 4],
}

#[derive(Debug, Default, Clone, Copy)]
struct FigureTally {
    pass: u64,
    fail: u64,
    in_grace: u64,
    unknown: u64,
    not_applicable: u64,
    hardware: u64,
}

impl Tally {
    /// Counts a device whose state in these days is `row`.
    fn count(&mut self, row: &ReportRow, attested: bool) {
        self.devices += 1;
        self.hardware += u64::from(attested);
        self.historical += u64::from(row.historical);
        match row.compliance {
            Compliance::Compliant => self.compliant += 1,
            Compliance::Warning => self.warning += 1,
            Compliance::NonCompliant => self.non_compliant += 1,
        }
        for (tally, kind) in self.figures.iter_mut().zip(FigureKind::ALL) {
            let covered = match standing(row, kind.rule()) {
                Standing::Pass => {
                    tally.pass += 1;
                    true
                }
                Standing::Fail { in_grace } => {
                    tally.fail += 1;
                    tally.in_grace += u64::from(in_grace);
                    true
                }
                Standing::Unknown => {
                    tally.unknown += 1;
                    true
                }
                Standing::NotApplicable => {
                    tally.not_applicable += 1;
                    false
                }
            };
            tally.hardware += u64::from(covered && attested);
        }
    }

    fn summary(&self) -> Summary {
        Summary {
            devices: self.devices,
            hardware_attested: self.hardware,
            historical: self.historical,
            compliant: self.compliant,
            warning: self.warning,
            non_compliant: self.non_compliant,
            figures: self
                .figures
                .iter()
                .zip(FigureKind::ALL)
                .map(|(t, kind)| Figure {
                    figure: kind,
                    rule: kind.rule(),
                    devices: t.pass + t.fail + t.unknown,
                    pass: t.pass,
                    fail: t.fail,
                    in_grace: t.in_grace,
                    unknown: t.unknown,
                    not_applicable: t.not_applicable,
                    hardware_attested: t.hardware,
                    pass_share: share(t.pass, t.fail),
                })
                .collect(),
        }
    }
}

/// `pass / (pass + fail)` to 4 decimals; `None` when nothing was decided.
pub(crate) fn share(pass: u64, fail: u64) -> Option<f64> {
    let decided = pass + fail;
    // Device counts stay far below 2^52, so the conversions are exact.
    #[allow(clippy::cast_precision_loss)]
    let ratio = (decided > 0).then(|| pass as f64 / decided as f64)?;
    Some((ratio * 10_000.0).round() / 10_000.0)
}

/// A run of consecutive reports in which a device did not meet a rule.
#[derive(Debug, Clone)]
struct Run {
    since: i64,
    last_seen: i64,
    state: ExceptionState,
    deadline: Option<Date>,
    observed: String,
}

/// One ISO week of the period, clipped to it.
#[derive(Debug, Clone)]
struct Week {
    from: Date,
    to: Date,
    tally: Tally,
}

/// Builds the report from rows fed in device order.
pub(crate) struct Builder {
    period: Period,
    devices: HashMap<String, DeviceFacts>,
    first_monday: Date,
    weeks: Vec<Week>,
    whole: Tally,
    exceptions: Vec<EvidenceException>,
    exceptions_total: u64,
    /// The device whose rows are being read, and its state so far.
    current: Option<DeviceRun>,
}

/// The state of the device whose rows are being read.
struct DeviceRun {
    device_id: String,
    facts: DeviceFacts,
    /// Its last report in the period.
    last_in_period: Option<ReportRow>,
    /// Its last report in each week of the period, by week index.
    last_in_week: HashMap<usize, ReportRow>,
    /// Its open runs, by rule.
    runs: Vec<(RuleId, Run)>,
    /// Its runs that ended, with the `iat` that ended them.
    ended: Vec<(RuleId, Run, i64)>,
}

impl Builder {
    pub fn new(period: Period, devices: HashMap<String, DeviceFacts>) -> Builder {
        let first_monday = monday_of(period.from());
        let mut weeks = Vec::new();
        let mut monday = first_monday;
        while monday <= period.to() {
            let sunday = monday.checked_add(Duration::days(6)).unwrap_or(monday);
            weeks.push(Week {
                from: monday.max(period.from()),
                to: sunday.min(period.to()),
                tally: Tally::default(),
            });
            match monday.checked_add(Duration::days(7)) {
                Some(next) => monday = next,
                None => break,
            }
        }
        Builder {
            period,
            devices,
            first_monday,
            weeks,
            whole: Tally::default(),
            exceptions: Vec::new(),
            exceptions_total: 0,
            current: None,
        }
    }

    /// Adds the next row (rows come ordered by device, then `iat`).
    pub fn add(&mut self, row: ReportRow) {
        if row.iat >= self.period.end() {
            // After the period: it neither counts nor resolves anything.
            return;
        }
        if self.current.as_ref().map(|c| c.device_id.as_str()) != Some(row.device_id.as_str()) {
            self.close_device();
            let Some(facts) = self.devices.get(&row.device_id).copied() else {
                // A report of a device with no row: nothing says its platform.
                return;
            };
            self.current = Some(DeviceRun {
                device_id: row.device_id.clone(),
                facts,
                last_in_period: None,
                last_in_week: HashMap::new(),
                runs: Vec::new(),
                ended: Vec::new(),
            });
        }
        let in_period = row.iat >= self.period.start() && row.iat < self.period.end();
        let week = in_period.then(|| self.week_of(row.iat)).flatten();
        let Some(device) = self.current.as_mut() else {
            return;
        };
        device.follow_runs(&row);
        // A run resolved before the period is never listed: drop it now, so
        // a long history costs no memory.
        let start = self.period.start();
        device
            .ended
            .retain(|(_, run, resolved)| run.last_seen >= start || *resolved >= start);
        if let Some(index) = week {
            device.last_in_week.insert(index, row.clone());
        }
        if in_period {
            device.last_in_period = Some(row);
        }
    }

    fn week_of(&self, iat: i64) -> Option<usize> {
        let day = at(iat).date();
        let index = (monday_of(day) - self.first_monday).whole_days() / 7;
        usize::try_from(index)
            .ok()
            .filter(|i| *i < self.weeks.len())
    }

    /// Counts the device being read and keeps its exceptions.
    fn close_device(&mut self) {
        let Some(device) = self.current.take() else {
            return;
        };
        let facts = device.facts;
        if let Some(row) = &device.last_in_period {
            self.whole.count(row, facts.attested_at(row.iat));
        }
        for (index, row) in &device.last_in_week {
            if let Some(week) = self.weeks.get_mut(*index) {
                week.tally.count(row, facts.attested_at(row.iat));
            }
        }
        let Ok(device_id) = DeviceId::new(device.device_id.as_str()) else {
            return;
        };
        let (start, end) = (self.period.start(), self.period.end());
        let ended = device
            .ended
            .into_iter()
            .map(|(rule, run, resolved)| (rule, run, Some(resolved)));
        let open = device.runs.into_iter().map(|(rule, run)| (rule, run, None));
        for (rule, run, resolved) in ended.chain(open) {
            // Listed when shown in the period, or open at its start and
            // resolved inside it.
            let shown = run.last_seen >= start;
            let resolved_inside = resolved.is_some_and(|r| r >= start && r < end);
            if !(shown || resolved_inside) {
                continue;
            }
            self.exceptions_total += 1;
            if self.exceptions.len() < MAX_EXCEPTIONS {
                self.exceptions.push(EvidenceException {
                    device_id: device_id.clone(),
                    platform: facts.platform,
                    rule,
                    state: run.state,
                    since: at(run.since),
                    last_seen: at(run.last_seen),
                    resolved_at: resolved.map(at),
                    deadline: run.deadline,
                    observed: run.observed,
                });
            }
        }
    }

    /// The report, once every row is in.
    pub fn finish(
        mut self,
        generated_at: OffsetDateTime,
        policy: PolicyRef,
        grace_days: Option<u32>,
    ) -> EvidenceReport {
        self.close_device();
        let mut exceptions = self.exceptions;
        // An exception whose grace deadline day began before it was
        // resolved (an open one: by the period's end, or by now for a period
        // still running) was a block from that day, as the compliance views
        // showed it: it is listed as failing, not as in grace.
        let end = at(self.period.end());
        for e in &mut exceptions {
            let blocked = e.deadline.is_some_and(|d| {
                let starts = crate::events::deadlines::block_starts(d);
                starts < end
                    && starts <= generated_at
                    && e.resolved_at.is_none_or(|resolved| starts <= resolved)
            });
            if e.state == ExceptionState::Grace && blocked {
                e.state = ExceptionState::Fail;
            }
        }
        exceptions.sort_by(|a, b| {
            (a.device_id.as_str(), rule_order(a.rule), a.since).cmp(&(
                b.device_id.as_str(),
                rule_order(b.rule),
                b.since,
            ))
        });
        EvidenceReport {
            generated_at,
            from: self.period.from(),
            to: self.period.to(),
            policy,
            grace_days,
            period: self.whole.summary(),
            weeks: self
                .weeks
                .iter()
                .map(|w| WeekSummary {
                    week: iso_week_name(w.from),
                    from: w.from,
                    to: w.to,
                    summary: w.tally.summary(),
                })
                .collect(),
            exceptions,
            exceptions_total: self.exceptions_total,
        }
    }
}

impl DeviceRun {
    /// Extends, starts or ends the device's runs with its next report.
    fn follow_runs(&mut self, row: &ReportRow) {
        for state in &row.rules {
            let open = self.runs.iter().position(|(rule, _)| *rule == state.rule);
            match state.outcome {
                Outcome::Warn | Outcome::Fail => {
                    let standing = if state.unknown {
                        ExceptionState::Unknown
                    } else if state.outcome == Outcome::Warn && state.deadline.is_some() {
                        ExceptionState::Grace
                    } else {
                        ExceptionState::Fail
                    };
                    match open.and_then(|i| self.runs.get_mut(i)) {
                        Some((_, run)) => {
                            run.last_seen = row.iat;
                            run.state = standing;
                            run.deadline = state.deadline;
                            run.observed.clone_from(&state.observed);
                        }
                        None => self.runs.push((
                            state.rule,
                            Run {
                                since: row.iat,
                                last_seen: row.iat,
                                state: standing,
                                deadline: state.deadline,
                                observed: state.observed.clone(),
                            },
                        )),
                    }
                }
                Outcome::Pass | Outcome::NotApplicable => {
                    if let Some(i) = open {
                        let (rule, run) = self.runs.swap_remove(i);
                        self.ended.push((rule, run, row.iat));
                    }
                }
            }
        }
    }
}

/// Rules in the order policies list them, for a stable exception list
/// (a rule added later sorts last).
const RULE_ORDER: [RuleId; 10] = [
    RuleId::OsVersion,
    RuleId::SecurityPatch,
    RuleId::StorageEncryption,
    RuleId::ScreenLock,
    RuleId::AutoLock,
    RuleId::DeveloperMode,
    RuleId::UsbDebugging,
    RuleId::Integrity,
    RuleId::Assurance,
    RuleId::AttestationPin,
];

fn rule_order(rule: RuleId) -> usize {
    RULE_ORDER
        .iter()
        .position(|r| *r == rule)
        .unwrap_or(RULE_ORDER.len())
}
