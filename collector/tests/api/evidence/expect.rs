//! The expected evidence, computed from what the test sent with the test's
//! own reading of the policy (docs/policy.md) and of docs/evidence.md, not
//! with the collector's code.

use std::collections::BTreeMap;

use posture_collector::evidence::{ExceptionState, FigureKind, Summary};
use time::{Date, Duration, OffsetDateTime};

use super::fleet::{Spec, Virtual};

pub(crate) const MAX_AGE: i64 = 30;
pub(crate) const GRACE: i64 = 14;

/// The test's own reading of the policy (docs/policy.md), per figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    Pass,
    Fail,
    Grace(Date),
    Unknown,
    NotApplicable,
}

pub(crate) fn expect(spec: &Spec, kind: FigureKind, at: OffsetDateTime) -> Expect {
    let known = |v: Option<bool>| match v {
        None => Expect::Unknown,
        Some(true) => Expect::Pass,
        Some(false) => Expect::Fail,
    };
    match kind {
        FigureKind::SupportedOs => {
            let minimum = if spec.linux { 12 } else { 14 };
            known(spec.os_major.map(|v| v >= minimum))
        }
        FigureKind::Patched if spec.linux => Expect::NotApplicable,
        FigureKind::Patched => match spec.patch {
            None => Expect::Unknown,
            Some(p) => {
                let age = (at.date() - p).whole_days();
                let deadline = p + Duration::days(MAX_AGE + 1 + GRACE);
                if age <= MAX_AGE {
                    Expect::Pass
                } else if at.date() < deadline {
                    Expect::Grace(deadline)
                } else {
                    Expect::Fail
                }
            }
        },
        FigureKind::Encrypted => known(spec.encrypted),
        FigureKind::Locked => known(spec.lock),
    }
}

/// The numbers of one figure, as the test expects them.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) devices: u64,
    pub(crate) pass: u64,
    pub(crate) fail: u64,
    pub(crate) in_grace: u64,
    pub(crate) unknown: u64,
    pub(crate) not_applicable: u64,
    pub(crate) hardware_attested: u64,
}

/// Each device's last report with a day in `from..=to`, counted.
pub(crate) fn expected_summary(
    fleet: &[Virtual],
    from: Date,
    to: Date,
) -> (u64, u64, u64, BTreeMap<&'static str, Counts>) {
    let (mut devices, mut hardware, mut historical) = (0, 0, 0);
    let mut figures: BTreeMap<&'static str, Counts> = BTreeMap::new();
    for v in fleet {
        let Some(last) = v
            .sent
            .iter()
            .filter(|s| s.iat.date() >= from && s.iat.date() <= to)
            .max_by_key(|s| s.iat)
        else {
            continue;
        };
        devices += 1;
        hardware += u64::from(v.hardware);
        historical += u64::from(!last.current);
        for kind in FigureKind::ALL {
            let counts = figures.entry(kind.name()).or_default();
            let e = expect(&last.spec, kind, last.iat);
            match e {
                Expect::Pass => counts.pass += 1,
                Expect::Fail => counts.fail += 1,
                Expect::Grace(_) => {
                    counts.fail += 1;
                    counts.in_grace += 1;
                }
                Expect::Unknown => counts.unknown += 1,
                Expect::NotApplicable => counts.not_applicable += 1,
            }
            if e != Expect::NotApplicable {
                counts.devices += 1;
                counts.hardware_attested += u64::from(v.hardware);
            }
        }
    }
    for kind in FigureKind::ALL {
        figures.entry(kind.name()).or_default();
    }
    (devices, hardware, historical, figures)
}

pub(crate) fn assert_summary(what: &str, got: &Summary, fleet: &[Virtual], from: Date, to: Date) {
    let (devices, hardware, historical, figures) = expected_summary(fleet, from, to);
    assert_eq!(
        (got.devices, got.hardware_attested, got.historical),
        (devices, hardware, historical),
        "{what}"
    );
    assert_eq!(
        got.compliant + got.warning + got.non_compliant,
        devices,
        "{what}"
    );
    for f in &got.figures {
        let want = &figures[f.figure.name()];
        let have = Counts {
            devices: f.devices,
            pass: f.pass,
            fail: f.fail,
            in_grace: f.in_grace,
            unknown: f.unknown,
            not_applicable: f.not_applicable,
            hardware_attested: f.hardware_attested,
        };
        assert_eq!(&have, want, "{what}: {}", f.figure.name());
        let share = (want.pass + want.fail > 0).then(|| {
            let r = want.pass as f64 / (want.pass + want.fail) as f64;
            (r * 10_000.0).round() / 10_000.0
        });
        assert_eq!(f.pass_share, share, "{what}: {}", f.figure.name());
    }
}

/// An exception as the test expects it.
pub(crate) type ExceptionKey = (
    String,
    &'static str,
    ExceptionState,
    OffsetDateTime,
    OffsetDateTime,
    Option<OffsetDateTime>,
    Option<Date>,
);

/// Runs of consecutive reports (all of them, before the period too) in
/// which a device did not meet a rule, listed when shown in the period or
/// resolved inside it.
pub(crate) fn expected_exceptions(
    fleet: &[Virtual],
    start: OffsetDateTime,
    end: OffsetDateTime,
) -> Vec<ExceptionKey> {
    let mut out = Vec::new();
    for v in fleet {
        for kind in FigureKind::ALL {
            let mut open: Option<(OffsetDateTime, OffsetDateTime, Expect)> = None;
            let mut close = |run: (OffsetDateTime, OffsetDateTime, Expect),
                             resolved: Option<OffsetDateTime>| {
                let (since, last, e) = run;
                let shown = last >= start;
                let resolved_inside = resolved.is_some_and(|r| r >= start && r < end);
                if !(shown || resolved_inside) {
                    return;
                }
                let (state, deadline) = match e {
                    Expect::Fail => (ExceptionState::Fail, None),
                    Expect::Grace(d) => (ExceptionState::Grace, Some(d)),
                    Expect::Unknown => (ExceptionState::Unknown, None),
                    Expect::Pass | Expect::NotApplicable => unreachable!(),
                };
                out.push((
                    v.id.clone(),
                    kind.rule_name(),
                    state,
                    since,
                    last,
                    resolved,
                    deadline,
                ));
            };
            for s in v.sent.iter().filter(|s| s.iat < end) {
                match expect(&s.spec, kind, s.iat) {
                    Expect::Pass | Expect::NotApplicable => {
                        if let Some(run) = open.take() {
                            close(run, Some(s.iat));
                        }
                    }
                    e => {
                        open = Some(match open {
                            Some((since, _, _)) => (since, s.iat, e),
                            None => (s.iat, s.iat, e),
                        });
                    }
                }
            }
            if let Some(run) = open {
                close(run, None);
            }
        }
    }
    out.sort();
    out
}

pub(crate) trait RuleName {
    fn rule_name(self) -> &'static str;
}

impl RuleName for FigureKind {
    fn rule_name(self) -> &'static str {
        match self {
            FigureKind::SupportedOs => "os_version",
            FigureKind::Patched => "security_patch",
            FigureKind::Encrypted => "storage_encryption",
            FigureKind::Locked => "screen_lock",
        }
    }
}

pub(crate) fn rule_text(rule: agent_core::policy::RuleId) -> String {
    serde_json::to_value(rule)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}
