//! The evidence as one self-contained HTML file: no script, no external
//! resource (styles inline, charts inline SVG drawn here), readable offline
//! and printable, with headings, table headers and a text alternative for
//! every chart. Well-formed as XML too (every element closed), so it is
//! easy to check and to convert.

use std::fmt::Write as _;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{EvidenceReport, ExceptionState, Figure, FigureKind, Summary};
use crate::store::name_of;

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1a1a1a;
  margin: 2rem auto; max-width: 60rem; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #bbb; }
h3 { font-size: 1.05rem; }
table { border-collapse: collapse; width: 100%; margin: 0.8rem 0; font-size: 0.9rem; }
caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
th, td { border: 1px solid #999; padding: 0.25rem 0.45rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
thead th { background: #eee; }
figure { margin: 1rem 0; }
figcaption { font-size: 0.85rem; color: #333; }
svg { max-width: 100%; height: auto; }
svg text { font-size: 12px; fill: #1a1a1a; }
.pass { fill: #1b7f3b; } .fail { fill: #b3261e; } .unknown { fill: #8a8a8a; } .grid { stroke: #ccc; }
.key span { display: inline-block; width: 0.8rem; height: 0.8rem; margin: 0 0.3rem 0 0.8rem; vertical-align: middle; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 0 1.5rem; }
table.exceptions { font-size: 0.8rem; }
table.exceptions tbody th { overflow-wrap: anywhere; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; }
  figure, tr { break-inside: avoid; }
  thead { display: table-header-group; }
  .pass, .fail, .unknown { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
";

/// Renders `report` as a complete HTML document.
pub fn render_html(report: &EvidenceReport) -> String {
    let mut h = String::with_capacity(32 * 1024);
    let title = format!("Device posture evidence, {} to {}", report.from, report.to);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n");
    let _ = writeln!(h, "<title>{}</title>", esc(&title));
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(h, "<header>\n<h1>{}</h1>", esc(&title));
    let grace = match report.grace_days {
        Some(d) => format!("; a fresh failure has a grace period of {d} days"),
        None => "; no grace period".to_owned(),
    };
    let _ = writeln!(
        h,
        "<p>Days {} to {} (UTC), both included. Generated {}. Policy {} revision {}{}.</p>\n</header>\n<main>",
        report.from,
        report.to,
        esc(&time_text(report.generated_at)),
        esc(&report.policy.name),
        report.policy.revision,
        esc(&grace)
    );
    period_section(&mut h, &report.period);
    trend_section(&mut h, report);
    exceptions_section(&mut h, report);
    definitions(&mut h);
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

fn period_section(h: &mut String, s: &Summary) {
    h.push_str("<section aria-labelledby=\"period\">\n<h2 id=\"period\">The period</h2>\n");
    let _ = writeln!(
        h,
        "<p>{} devices sent at least one verified report; {} of them hardware-attested. \
         By each device's last report: {} compliant, {} with warnings, {} non-compliant \
         ({} of these last reports were delivered late, as historical).</p>",
        s.devices, s.hardware_attested, s.compliant, s.warning, s.non_compliant, s.historical
    );
    stacked_chart(h, s);
    figure_table(h, s, "The four figures over the period");
    h.push_str("</section>\n");
}

/// One horizontal bar per figure: pass, fail and unknown devices.
fn stacked_chart(h: &mut String, s: &Summary) {
    const LABEL: u32 = 230;
    const BAR: u32 = 330;
    const ROW: u32 = 34;
    let height = ROW * 4 + 30;
    let width = LABEL + BAR + 90;
    let desc: Vec<String> = s
        .figures
        .iter()
        .map(|f| {
            format!(
                "{}: {} pass, {} fail, {} unknown of {} devices",
                f.figure.label(),
                f.pass,
                f.fail,
                f.unknown,
                f.devices
            )
        })
        .collect();
    h.push_str("<figure>\n");
    let _ = writeln!(
        h,
        "<svg role=\"img\" aria-labelledby=\"period-chart-title period-chart-desc\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\">"
    );
    h.push_str(
        "<title id=\"period-chart-title\">Devices meeting each rule over the period</title>\n",
    );
    let _ = writeln!(
        h,
        "<desc id=\"period-chart-desc\">{}.</desc>",
        esc(&desc.join("; "))
    );
    for (i, f) in (0u32..).zip(&s.figures) {
        let y = i * ROW + 4;
        let _ = writeln!(
            h,
            "<text x=\"0\" y=\"{}\">{}</text>",
            y + 17,
            esc(f.figure.label())
        );
        let mut x = LABEL;
        for (count, class) in [(f.pass, "pass"), (f.fail, "fail"), (f.unknown, "unknown")] {
            let w = scale(count, f.devices, BAR);
            if w > 0 {
                let _ = writeln!(
                    h,
                    "<rect class=\"{class}\" x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"22\" />"
                );
            }
            x += w;
        }
        let _ = writeln!(
            h,
            "<text x=\"{}\" y=\"{}\">{}</text>",
            LABEL + BAR + 8,
            y + 17,
            esc(&percent(f.pass_share))
        );
    }
    let _ = writeln!(
        h,
        "<text x=\"{LABEL}\" y=\"{}\">Bars: devices covered; green pass, red fail, grey unknown.</text>",
        ROW * 4 + 20
    );
    h.push_str("</svg>\n<figcaption class=\"key\">Key:<span style=\"background:#1b7f3b\"></span>pass<span style=\"background:#b3261e\"></span>fail<span style=\"background:#8a8a8a\"></span>unknown. The share is pass / (pass + fail); the table below gives every number.</figcaption>\n</figure>\n");
}

fn figure_table(h: &mut String, s: &Summary, caption: &str) {
    let _ = writeln!(h, "<table>\n<caption>{}</caption>", esc(caption));
    h.push_str("<thead><tr><th scope=\"col\">Figure</th><th scope=\"col\">Share</th><th scope=\"col\">Devices covered</th><th scope=\"col\">Pass</th><th scope=\"col\">Fail</th><th scope=\"col\">In grace</th><th scope=\"col\">Unknown</th><th scope=\"col\">Not applicable</th><th scope=\"col\">Hardware-attested</th></tr></thead>\n<tbody>\n");
    for f in &s.figures {
        let _ = writeln!(
            h,
            "<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(f.figure.label()),
            esc(&percent(f.pass_share)),
            f.devices,
            f.pass,
            f.fail,
            f.in_grace,
            f.unknown,
            f.not_applicable,
            f.hardware_attested
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

fn trend_section(h: &mut String, report: &EvidenceReport) {
    h.push_str("<section aria-labelledby=\"trend\">\n<h2 id=\"trend\">Trend by ISO week</h2>\n");
    h.push_str("<p>Each week counts each device's last verified report made that week. The first and last weeks may be partial: the table gives the days each covers.</p>\n");
    h.push_str("<div class=\"charts\">\n");
    for kind in FigureKind::ALL {
        trend_chart(h, report, kind);
    }
    h.push_str("</div>\n");
    h.push_str("<table>\n<caption>Share meeting each rule, by week (devices covered in brackets)</caption>\n<thead><tr><th scope=\"col\">Week</th><th scope=\"col\">Days</th><th scope=\"col\">Devices</th><th scope=\"col\">Hardware-attested</th>");
    for kind in FigureKind::ALL {
        let _ = write!(h, "<th scope=\"col\">{}</th>", esc(kind.label()));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for w in &report.weeks {
        let _ = write!(
            h,
            "<tr><th scope=\"row\">{}</th><td>{} to {}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
            esc(&w.week),
            w.from,
            w.to,
            w.summary.devices,
            w.summary.hardware_attested
        );
        for kind in FigureKind::ALL {
            let cell = w
                .summary
                .figure(kind)
                .map(|f| format!("{} ({})", percent(f.pass_share), f.devices))
                .unwrap_or_default();
            let _ = write!(h, "<td class=\"n\">{}</td>", esc(&cell));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

/// A column chart of one figure's pass share, week by week.
fn trend_chart(h: &mut String, report: &EvidenceReport, kind: FigureKind) {
    const LEFT: u32 = 40;
    const TOP: u32 = 20;
    const PLOT: u32 = 150;
    const COLUMN: u32 = 56;
    let weeks: Vec<(&str, Option<&Figure>)> = report
        .weeks
        .iter()
        .map(|w| (w.week.as_str(), w.summary.figure(kind)))
        .collect();
    let count = u32::try_from(weeks.len()).unwrap_or(u32::MAX).max(1);
    let width = LEFT + COLUMN.saturating_mul(count) + 10;
    let height = TOP + PLOT + 40;
    let id = kind.name();
    let desc: Vec<String> = weeks
        .iter()
        .map(|(week, f)| match f {
            Some(f) => format!("{week}: {} of {} devices", percent(f.pass_share), f.devices),
            None => format!("{week}: no devices"),
        })
        .collect();
    h.push_str("<figure>\n");
    let _ = writeln!(
        h,
        "<svg role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\">"
    );
    let _ = writeln!(
        h,
        "<title id=\"{id}-title\">{}: share of devices by ISO week</title>",
        esc(kind.label())
    );
    let _ = writeln!(
        h,
        "<desc id=\"{id}-desc\">{}.</desc>",
        esc(&desc.join("; "))
    );
    for pct in [0u32, 50, 100] {
        let y = TOP + PLOT - PLOT * pct / 100;
        let _ = writeln!(
            h,
            "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" />",
            width - 10
        );
        let _ = writeln!(h, "<text x=\"0\" y=\"{}\">{pct}%</text>", y + 4);
    }
    for (i, (week, f)) in (0u32..).zip(&weeks) {
        let x = LEFT + i * COLUMN + 8;
        let share = f.and_then(|f| f.pass_share);
        let bar = share.map_or(0, |s| bar_height(s, PLOT));
        if share.is_some() {
            let _ = writeln!(
                h,
                "<rect class=\"pass\" x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{bar}\" />",
                TOP + PLOT - bar,
                COLUMN - 16
            );
        }
        let _ = writeln!(
            h,
            "<text x=\"{x}\" y=\"{}\">{}</text>",
            TOP + PLOT - 4 - bar,
            esc(&percent(share))
        );
        let short = week.split_once('-').map_or(*week, |(_, w)| w);
        let _ = writeln!(
            h,
            "<text x=\"{x}\" y=\"{}\">{}</text>",
            TOP + PLOT + 18,
            esc(short)
        );
    }
    h.push_str("</svg>\n");
    let _ = writeln!(
        h,
        "<figcaption><strong>{}</strong>: pass / (pass + fail) each week; a week with no decided device has no bar (n/a).</figcaption>\n</figure>",
        esc(kind.label())
    );
}

fn exceptions_section(h: &mut String, report: &EvidenceReport) {
    h.push_str("<section aria-labelledby=\"exceptions\">\n<h2 id=\"exceptions\">Exceptions</h2>\n");
    if report.exceptions.is_empty() {
        h.push_str("<p>No device failed a rule, or had an unknown fact the policy counts against it, during the period.</p>\n</section>\n");
        return;
    }
    let _ = writeln!(
        h,
        "<p>{} exceptions: a device that did not meet a rule for a run of consecutive reports, open at some time during the period.{}</p>",
        report.exceptions_total,
        if report.exceptions_truncated() {
            format!(
                " Only the first {} are listed here; the JSON and CSV exports have the same limit.",
                report.exceptions.len()
            )
        } else {
            String::new()
        }
    );
    h.push_str("<table class=\"exceptions\">\n<caption>Exceptions by device and rule</caption>\n<thead><tr><th scope=\"col\">Device</th><th scope=\"col\">Platform</th><th scope=\"col\">Rule</th><th scope=\"col\">State</th><th scope=\"col\">Since</th><th scope=\"col\">Last seen</th><th scope=\"col\">Resolved</th><th scope=\"col\">Grace deadline</th><th scope=\"col\">Observed</th></tr></thead>\n<tbody>\n");
    for e in &report.exceptions {
        let state = match e.state {
            ExceptionState::Fail => "fails",
            ExceptionState::Grace => "fails, in grace",
            ExceptionState::Unknown => "unknown",
        };
        let _ = writeln!(
            h,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(e.device_id.as_str()),
            esc(e.platform.display_name()),
            esc(&name_of(&e.rule)),
            state,
            esc(&cell_time(e.since)),
            esc(&cell_time(e.last_seen)),
            esc(&e.resolved_at.map_or_else(|| "open".to_owned(), cell_time)),
            esc(&e.deadline.map(|d| d.to_string()).unwrap_or_default()),
            esc(&e.observed)
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn definitions(h: &mut String) {
    h.push_str("<section aria-labelledby=\"counts\">\n<h2 id=\"counts\">What counts</h2>\n<ul>\n\
<li>Only reports the collector verified and stored count: signed by an enrolled device's key, judged by the collector's own policy evaluation at the report's time (<code>iat</code>).</li>\n\
<li>A device counts for the period (or a week) when it made at least one such report in it; its state is its last report in it. Reports delivered late (historical) count for the time they were made.</li>\n\
<li>A fact the device could not read is <em>unknown</em>: counted neither as pass nor as fail, and shown separately. The share is pass / (pass + fail).</li>\n\
<li>A device is hardware-attested when its key was vouched for at enrolment by a verified hardware key attestation (Android TEE or StrongBox) or Apple App Attest, and no later re-attestation broke that pin before the report.</li>\n\
<li>Dates are UTC days; weeks are ISO 8601 weeks, Monday to Sunday.</li>\n\
</ul>\n</section>\n");
}

/// A share in [0, 1] as a column of at most `full` pixels.
fn bar_height(share: f64, full: u32) -> u32 {
    // Clamped to [0, full] before the conversion, so it cannot truncate.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let bar = (share.clamp(0.0, 1.0) * f64::from(full)).round() as u32;
    bar.min(full)
}

/// `count` of `total` as a length of at most `full` pixels.
fn scale(count: u64, total: u64, full: u32) -> u32 {
    if total == 0 {
        return 0;
    }
    u32::try_from(count.saturating_mul(u64::from(full)) / total).unwrap_or(full)
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "n/a".to_owned(), |s| format!("{:.1}%", s * 100.0))
}

fn time_text(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// A time in a table cell: RFC 3339 with a space for the `T` (which RFC
/// 3339 allows for readability), so the cell can wrap between date and time.
fn cell_time(t: OffsetDateTime) -> String {
    time_text(t).replacen('T', " ", 1)
}

/// Escapes text for element content and quoted attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
