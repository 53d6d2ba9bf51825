//! Text rendering for people: the posture table and the verdict.

use std::fmt::Write;

use agent_core::l10n::{Locale, Msg, text};
use agent_core::policy::{Compliance, Verdict};
use agent_core::posture::{
    AutoLock, Fact, HardwareKeyStore, IndicatorKind, Posture, ScreenLock, StorageEncryption, Tpm,
};

/// A point in time for people: RFC 3339 in UTC, to the second.
pub fn timestamp(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// A length of time for people: its largest unit and the next one when
/// not zero ("45 s", "6 h", "3 d 4 h", "1 min 30 s").
pub fn duration(secs: u64) -> String {
    const UNITS: [(u64, &str); 4] = [(86_400, "d"), (3_600, "h"), (60, "min"), (1, "s")];
    for (i, (size, name)) in UNITS.iter().enumerate() {
        if secs >= *size {
            let mut text = format!("{} {name}", secs / size);
            let rest = secs % size;
            if let Some((next, next_name)) = UNITS.get(i + 1)
                && rest / next > 0
            {
                text += &format!(" {} {next_name}", rest / next);
            }
            return text;
        }
    }
    "0 s".into()
}

/// `n` and the noun, singular or plural ("1 report", "2 reports").
pub fn count(n: u64, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// A table's rows, kept to align the columns on the widest cell.
#[derive(Default)]
struct Table {
    rows: Vec<[String; 3]>,
}

impl Table {
    fn row<T>(&mut self, name: &str, fact: &Fact<T>, show: impl Fn(&T) -> String, l: Locale) {
        let row = match fact {
            Fact::Observed { value, source } => [
                name.to_owned(),
                show(value),
                agent_core::l10n::reason(l, source),
            ],
            Fact::Unknown { reason } => [
                name.to_owned(),
                text(l, "table-value-unknown"),
                agent_core::l10n::reason(l, reason),
            ],
        };
        self.rows.push(row);
    }

    fn render(&self, out: &mut String, header: [&str; 3]) {
        let width = |i: usize| {
            self.rows
                .iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        };
        let (a, b) = (width(0), width(1));
        for [name, value, source] in
            std::iter::once(header.map(str::to_owned)).chain(self.rows.iter().cloned())
        {
            let _ = writeln!(out, "  {name:<a$}  {value:<b$}  {source}");
        }
    }
}

/// The posture as a table: fact, value, source (or why unknown), in
/// `locale`; the sources are the names of what was read, as they are.
pub fn posture_table(p: &Posture, l: Locale) -> String {
    let mut out = String::new();
    let title = Msg::new("table-posture-title")
        .text("platform", p.platform.to_string())
        .text("at", timestamp(p.collected_at))
        .text("version", p.agent_version.as_str());
    let _ = writeln!(out, "{}\n", title.in_locale(l));
    let t_ = |id: &'static str| text(l, id);
    let on_off = |b: &bool| {
        t_(if *b {
            "table-value-on"
        } else {
            "table-value-off"
        })
    };
    let mut t = Table::default();
    t.row(&t_("table-fact-os"), &p.os.name, String::clone, l);
    t.row(&t_("table-fact-os-id"), &p.os.id, String::clone, l);
    t.row(
        &t_("table-fact-os-version"),
        &p.os.version,
        String::clone,
        l,
    );
    t.row(&t_("table-fact-os-build"), &p.os.build, String::clone, l);
    t.row(&t_("table-fact-kernel"), &p.os.kernel, String::clone, l);
    t.row(
        &t_("table-fact-security-patch"),
        &p.security_patch,
        |v| v.to_string(),
        l,
    );
    t.row(
        &t_("table-fact-storage-encryption"),
        &p.storage_encryption,
        |v| match v {
            StorageEncryption::Encrypted { method } => Msg::new("table-value-encrypted")
                .text("method", method.as_str())
                .in_locale(l),
            StorageEncryption::NotEncrypted => t_("table-value-not-encrypted"),
        },
        l,
    );
    t.row(
        &t_("table-fact-screen-lock"),
        &p.screen_lock,
        |v| match v {
            ScreenLock::Set => t_("table-value-set"),
            ScreenLock::NotSet => t_("table-value-not-set"),
        },
        l,
    );
    t.row(
        &t_("table-fact-auto-lock"),
        &p.auto_lock,
        |v| match v {
            AutoLock::After { seconds } => Msg::new("table-value-after")
                .text("duration", duration(u64::from(*seconds)))
                .in_locale(l),
            AutoLock::Never => t_("table-value-never"),
        },
        l,
    );
    t.row(
        &t_("table-fact-developer-mode"),
        &p.developer_mode,
        on_off,
        l,
    );
    t.row(&t_("table-fact-usb-debugging"), &p.usb_debugging, on_off, l);
    for i in &p.integrity {
        let kind = match i.kind {
            IndicatorKind::Heuristic => "table-kind-heuristic",
            IndicatorKind::PlatformAttestation => "table-kind-platform-attestation",
        };
        let label = Msg::new("table-fact-indicator")
            .text("name", i.name.to_lowercase())
            .text("kind", t_(kind))
            .in_locale(l);
        t.row(
            &label,
            &i.tripped,
            |t| {
                t_(if *t {
                    "table-value-tripped"
                } else {
                    "table-value-not-tripped"
                })
            },
            l,
        );
    }
    t.row(
        &t_("table-fact-hardware-key-store"),
        &p.hardware_key_store,
        |v| match v {
            HardwareKeyStore::StrongBox => "StrongBox".into(),
            HardwareKeyStore::Tee => "TEE".into(),
            HardwareKeyStore::SecureEnclave => "Secure Enclave".into(),
            HardwareKeyStore::Tpm => "TPM".into(),
            HardwareKeyStore::None => t_("table-value-none"),
        },
        l,
    );
    t.row(&t_("table-fact-secure-boot"), &p.secure_boot, on_off, l);
    t.row(
        &t_("table-fact-tpm"),
        &p.tpm,
        |v| match v {
            Tpm::Present { version: Some(v) } => Msg::new("table-value-present-version")
                .text("version", v.as_str())
                .in_locale(l),
            Tpm::Present { version: None } => t_("table-value-present"),
            Tpm::Absent => t_("table-value-absent"),
        },
        l,
    );
    let header = [
        t_("table-header-fact"),
        t_("table-header-value"),
        t_("table-header-source"),
    ];
    t.render(&mut out, [&header[0], &header[1], &header[2]]);
    out
}

/// The verdict: headline, then each finding, worst first, with its fix.
///
/// The labels are in `locale`; the findings' words are as the verdict has
/// them: the agent renders those it knows in `locale` first
/// (`Agent::status_localised`), a collector's own keep its words.
pub fn verdict_text(v: &Verdict, locale: Locale) -> String {
    let mut out = String::new();
    let headline = v.compliance.headline(locale);
    let policy = Msg::new("verdict-policy")
        .text("name", v.policy.name.as_str())
        .text("revision", v.policy.revision.to_string())
        .in_locale(locale);
    let _ = writeln!(out, "{headline}  {policy}\n");
    // report-only findings are the organisation's, never the person's.
    let mut findings: Vec<_> = v.shown().collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.outcome));
    for f in findings {
        let mark = f.outcome.label(locale);
        let needs = f
            .requirement
            .as_ref()
            .map(|r| {
                let needs = Msg::new("verdict-needs").text("requirement", r.as_str());
                format!("  {}", needs.in_locale(locale))
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {mark:<5} {:<19} {}{needs}",
            f.rule.name(locale),
            f.observed
        );
        if let Some(fix) = &f.remediation {
            let _ = writeln!(out, "        → {fix}");
        }
        if let Some(note) = f.strategy_note(locale) {
            let _ = writeln!(out, "        ({note})");
        }
    }
    out
}

/// `quiet-hours set`'s confirmation.
pub fn working_hours_set(h: &agent_core::quiet_hours::WorkingHours, locale: Locale) -> String {
    Msg::new("quiet-hours-set")
        .text("start", h.start.as_str())
        .text("end", h.end.as_str())
        .text("zone", h.time_zone.as_str())
        .in_locale(locale)
}

/// `quiet-hours clear`'s confirmation.
pub fn working_hours_cleared(locale: Locale) -> String {
    text(locale, "quiet-hours-cleared")
}

/// `quiet-hours show`.
pub fn quiet_hours_text(
    hours: Option<&agent_core::quiet_hours::WorkingHours>,
    d: &agent_core::quiet_hours::NotifyDecision,
    locale: Locale,
) -> String {
    let mut out = String::new();
    let hours = match hours {
        Some(h) => Msg::new("quiet-hours-show")
            .text("start", h.start.as_str())
            .text("end", h.end.as_str())
            .text("zone", h.time_zone.as_str())
            .in_locale(locale),
        None => text(locale, "quiet-hours-show-none"),
    };
    let _ = writeln!(out, "{hours}");
    let prompts = if d.notify {
        "quiet-hours-prompts-yes"
    } else {
        "quiet-hours-prompts-no"
    };
    let prompts = Msg::new(prompts).text("reason", d.reason.describe(locale));
    let _ = writeln!(out, "{}", prompts.in_locale(locale));
    if let Some(next) = d.next_allowed {
        let next = Msg::new("quiet-hours-next-allowed").text("at", timestamp(next));
        let _ = writeln!(out, "{}", next.in_locale(locale));
    }
    if let Some(quiet) = d.quiet_from {
        let quiet = Msg::new("quiet-hours-quiet-from").text("at", timestamp(quiet));
        let _ = writeln!(out, "{}", quiet.in_locale(locale));
    }
    out
}

/// A check-in outside working hours: it ran, but says nothing to prompt.
fn stayed_silent(
    compliance: Compliance,
    d: &agent_core::quiet_hours::NotifyDecision,
    locale: Locale,
) -> String {
    let next = d
        .next_allowed
        .map(|t| {
            Msg::new("checkin-silent-next")
                .text("at", timestamp(t))
                .in_locale(locale)
        })
        .unwrap_or_default();
    let state = text(
        locale,
        match compliance {
            Compliance::Compliant => "checkin-state-compliant",
            Compliance::Warning => "checkin-state-warning",
            Compliance::NonCompliant => "checkin-state-non-compliant",
        },
    );
    let silent = Msg::new("checkin-silent")
        .text("reason", d.reason.describe(locale))
        .text("next", next)
        .text("state", state);
    format!("{}\n", silent.in_locale(locale))
}

/// What a check-in did: the verdict with remediation, then delivery.
///
/// The labels and messages are in `locale`; the findings' words are as the
/// verdict has them (`Agent::check_in_localised` renders in `locale` those
/// the core knows; a collector's own keep the collector's English).
pub fn check_in_text(o: &agent_core::agent::CheckInOutcome, locale: Locale) -> String {
    let mut out = String::new();
    if !o.notify.notify {
        let compliance = match (&o.status.verdicts.server, o.delivery.delivered > 0) {
            (Some(server), true) => server.verdict.compliance,
            _ => o.local_verdict.compliance,
        };
        out.push_str(&stayed_silent(compliance, &o.notify, locale));
    }
    match (&o.status.verdicts.server, o.delivery.delivered > 0) {
        _ if !o.notify.notify => {}
        (Some(server), true) => {
            let heading = match server.freshness {
                agent_core::protocol::Freshness::Current => "checkin-collector-verdict-current",
                agent_core::protocol::Freshness::Historical => {
                    "checkin-collector-verdict-historical"
                }
            };
            let _ = writeln!(out, "{}", text(locale, heading));
            out.push_str(&verdict_text(&server.verdict, locale));
        }
        _ => {
            let _ = writeln!(out, "{}", text(locale, "checkin-own-verdict"));
            out.push_str(&verdict_text(&o.local_verdict, locale));
        }
    }
    out.push('\n');
    out.push_str(&flush_text(&o.delivery, locale));
    if !o.fresh_nonce {
        let _ = writeln!(out, "{}", text(locale, "checkin-no-fresh-nonce"));
    }
    out
}

/// What a delivery round did, in `locale`; the collector's reasons and
/// the transport's errors are quoted as they came.
pub fn flush_text(f: &agent_core::agent::FlushOutcome, l: Locale) -> String {
    let mut out = String::new();
    let delivered = Msg::new("flush-delivered")
        .number("n", f.delivered)
        .text("queued", f.still_queued.to_string());
    let _ = writeln!(out, "{}", delivered.in_locale(l));
    for r in &f.rejected {
        let rejected = Msg::new("flush-rejected")
            .text("jti", r.jti.as_str())
            .text("reason", r.reason.as_str());
        let _ = writeln!(out, "{}", rejected.in_locale(l));
    }
    if f.protocol_errors > 0 {
        let broke = Msg::new("flush-protocol-errors").number("n", f.protocol_errors);
        let _ = writeln!(out, "{}", broke.in_locale(l));
    }
    if let Some(e) = &f.error {
        let kept = Msg::new("flush-not-delivered").text("error", e.as_str());
        let _ = writeln!(out, "{}", kept.in_locale(l));
    }
    out
}

/// The agent's status for a person, in `locale`: the table of the
/// agent's state, then the last verdict. Identifiers, addresses, paths and
/// times are shown as they are.
pub fn status_text(s: &agent_core::agent::Status, locale: Locale) -> String {
    let l = locale;
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut row = |label: &'static str, value: String| rows.push((text(l, label), value));
    let when =
        |t: Option<time::OffsetDateTime>| t.map_or_else(|| text(l, "status-never"), timestamp);
    let mut out = String::new();
    match s.state {
        agent_core::agent::AgentState::Unenrolled => {
            let _ = writeln!(out, "{}", text(l, "status-not-enrolled"));
        }
        agent_core::agent::AgentState::Enrolled => {
            let with = Msg::new("status-enrolled-with")
                .text("server", s.server_url.as_deref().unwrap_or("?"));
            let _ = writeln!(out, "{}", with.in_locale(l));
            row(
                "status-device-id",
                s.device_id.as_ref().map_or("?", |d| d.as_str()).to_owned(),
            );
            row(
                "status-device-key",
                s.kid.as_deref().unwrap_or("?").to_owned(),
            );
            row("status-enrolled-at", when(s.enrolled_at));
            if let Some(p) = &s.policy {
                let policy = Msg::new("status-policy-value")
                    .text("name", p.name.as_str())
                    .text("revision", p.revision.to_string());
                row("status-policy", policy.in_locale(l));
            }
            if let Some(every) = s.checkin_interval_secs {
                row("status-checkin-every", duration(u64::from(every)));
            }
            row("status-last-checkin", when(s.last_checkin_at));
        }
    }
    let queued = match s.oldest_queued_at.filter(|_| s.queued_reports > 0) {
        Some(oldest) => Msg::new("status-queued-oldest")
            .text("n", s.queued_reports.to_string())
            .text("at", timestamp(oldest))
            .in_locale(l),
        None => s.queued_reports.to_string(),
    };
    row("status-queued", queued);
    if s.evicted_reports > 0 {
        let evicted = Msg::new("status-evicted-value").text("n", s.evicted_reports.to_string());
        row("status-evicted", evicted.in_locale(l));
    }
    if s.server_wait_until.is_some() {
        let wait = Msg::new("status-wait-value").text("at", when(s.server_wait_until));
        row("status-wait", wait.in_locale(l));
    }
    if s.protocol_errors > 0 {
        let broke =
            Msg::new("status-protocol-errors-value").text("n", s.protocol_errors.to_string());
        row("status-protocol-errors", broke.in_locale(l));
    }
    if let Some(a) = &s.attestation {
        let expired = if a.is_expired(time::OffsetDateTime::now_utc()) {
            text(l, "status-attestation-expired")
        } else {
            String::new()
        };
        let assurance = a.assurance.map_or_else(
            || text(l, "status-attestation-no-assurance"),
            |v| v.to_string(),
        );
        let attestation = Msg::new("status-attestation-value")
            .text("status", a.status.to_string())
            .text("assurance", assurance)
            .text("until", timestamp(a.expires_at))
            .text("expired", expired);
        row("status-attestation", attestation.in_locale(l));
    }
    row("status-state-dir", s.state_dir.display().to_string());
    // The labels in one column, at least as wide as the English layout's.
    let width = rows
        .iter()
        .map(|(label, _)| label.chars().count() + 1)
        .chain([17])
        .max()
        .unwrap_or(17);
    for (label, value) in &rows {
        let _ = writeln!(out, "  {label:<width$}{value}");
    }
    if let Some(server) = &s.verdicts.server {
        let heading =
            Msg::new("status-collector-verdict").text("at", when(Some(server.accepted_at)));
        let _ = writeln!(out, "\n{}", heading.in_locale(locale));
        out.push_str(&verdict_text(&server.verdict, locale));
    } else if let Some(local) = &s.verdicts.local {
        let _ = writeln!(out, "\n{}", text(locale, "status-own-verdict"));
        out.push_str(&verdict_text(local, locale));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_core::policy::{Policy, evaluate};
    use agent_core::posture::{Fact, Platform, Posture};
    use time::macros::datetime;

    #[test]
    fn durations_in_words() {
        assert_eq!(duration(0), "0 s");
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(60), "1 min");
        assert_eq!(duration(90), "1 min 30 s");
        assert_eq!(duration(6 * 3600), "6 h");
        assert_eq!(duration(6 * 3600 + 59), "6 h");
        assert_eq!(duration(3600 + 30 * 60), "1 h 30 min");
        assert_eq!(duration(3 * 86_400 + 4 * 3600 + 5), "3 d 4 h");
        assert_eq!(duration(86_400), "1 d");
    }

    #[test]
    fn timestamps_are_rfc3339_utc_to_the_second() {
        let t = time::macros::datetime!(2026-12-03 4:42:45.123 +01:00);
        assert_eq!(timestamp(t), "2026-12-03T03:42:45Z");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(0, "report", "reports"), "0 reports");
        assert_eq!(count(1, "report", "reports"), "1 report");
        assert_eq!(count(2, "report", "reports"), "2 reports");
    }

    #[test]
    fn not_applicable_rows_print_no_requirement() {
        let now = datetime!(2026-11-22 12:00 UTC);
        let mut p = Posture::unknown(Platform::Linux, "not read", now);
        p.os.id = Fact::observed("debian".into(), "t");
        p.os.version = Fact::observed("12".into(), "t");
        let text = super::verdict_text(&evaluate(&p, &Policy::default_policy(), now), Locale::En);
        let na: Vec<&str> = text.lines().filter(|l| l.contains("n/a")).collect();
        assert_eq!(na.len(), 3, "{text}");
        for line in na {
            assert!(line.ends_with("not checked on Linux"), "{line:?}");
        }
        assert!(text.contains("(needs a secure screen lock)"), "{text}");
    }
}
