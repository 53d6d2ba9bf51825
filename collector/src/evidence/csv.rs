//! The evidence as CSV (RFC 4180): four tables one after another, separated
//! by an empty line, each with its header row; every row's first column
//! names its table (`report`, `summary`, `figure`, `exception`), so a
//! spreadsheet or a script can split them. `docs/evidence.md` gives the
//! columns.

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use super::{EvidenceReport, Summary};
use crate::store::name_of;

/// The header of the `summary` table.
pub const SUMMARY_HEADER: &str =
    "section,scope,from,to,devices,hardware_attested,historical,compliant,warning,non_compliant";
/// The header of the `figure` table.
pub const FIGURE_HEADER: &str = "section,scope,figure,rule,devices,pass,fail,in_grace,unknown,not_applicable,hardware_attested,pass_share";
/// The header of the `exception` table.
pub const EXCEPTION_HEADER: &str =
    "section,device_id,platform,rule,state,since,last_seen,resolved_at,deadline,observed";

/// Renders `report` as CSV, CRLF line ends (RFC 4180).
pub fn render_csv(report: &EvidenceReport) -> String {
    let mut out = String::new();
    let mut row = |cells: &[&str]| {
        let line: Vec<String> = cells.iter().map(|c| field(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    };
    row(&["section", "key", "value"]);
    let grace = report.grace_days.map(|d| d.to_string()).unwrap_or_default();
    let revision = report.policy.revision.to_string();
    let total = report.exceptions_total.to_string();
    let listed = report.exceptions.len().to_string();
    for (key, value) in [
        ("generated_at", time_text(report.generated_at)),
        ("from", report.from.to_string()),
        ("to", report.to.to_string()),
        ("policy", report.policy.name.clone()),
        ("policy_revision", revision),
        ("grace_days", grace),
        ("exceptions_total", total),
        ("exceptions_listed", listed),
    ] {
        row(&["report", key, &value]);
    }
    row(&[]);
    let scopes: Vec<(String, Date, Date, &Summary)> =
        std::iter::once(("period".to_owned(), report.from, report.to, &report.period))
            .chain(
                report
                    .weeks
                    .iter()
                    .map(|w| (w.week.clone(), w.from, w.to, &w.summary)),
            )
            .collect();
    row(&SUMMARY_HEADER.split(',').collect::<Vec<_>>());
    for (scope, from, to, s) in &scopes {
        let numbers = [
            s.devices,
            s.hardware_attested,
            s.historical,
            s.compliant,
            s.warning,
            s.non_compliant,
        ]
        .map(|n| n.to_string());
        let mut cells = vec![
            "summary".to_owned(),
            scope.clone(),
            from.to_string(),
            to.to_string(),
        ];
        cells.extend(numbers);
        row(&cells.iter().map(String::as_str).collect::<Vec<_>>());
    }
    row(&[]);
    row(&FIGURE_HEADER.split(',').collect::<Vec<_>>());
    for (scope, _, _, s) in &scopes {
        for f in &s.figures {
            let numbers = [
                f.devices,
                f.pass,
                f.fail,
                f.in_grace,
                f.unknown,
                f.not_applicable,
                f.hardware_attested,
            ]
            .map(|n| n.to_string());
            let mut cells = vec![
                "figure".to_owned(),
                scope.clone(),
                f.figure.name().to_owned(),
                name_of(&f.rule),
            ];
            cells.extend(numbers);
            cells.push(f.pass_share.map(share_text).unwrap_or_default());
            row(&cells.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }
    row(&[]);
    row(&EXCEPTION_HEADER.split(',').collect::<Vec<_>>());
    for e in &report.exceptions {
        let cells = [
            "exception".to_owned(),
            e.device_id.as_str().to_owned(),
            name_of(&e.platform),
            name_of(&e.rule),
            e.state.name().to_owned(),
            time_text(e.since),
            time_text(e.last_seen),
            e.resolved_at.map(time_text).unwrap_or_default(),
            e.deadline.map(|d| d.to_string()).unwrap_or_default(),
            e.observed.clone(),
        ];
        row(&cells.iter().map(String::as_str).collect::<Vec<_>>());
    }
    out
}

/// A share as CSV text: the fraction with up to 4 decimals.
fn share_text(share: f64) -> String {
    let text = format!("{share:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn time_text(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// One field: quoted when it holds a comma, a quote or a line break, and
/// when it starts with a character a spreadsheet would read as a formula
/// (then quoted with a leading `'`, so the cell shows text and runs nothing;
/// no figure, date or id starts so, only free text could).
fn field(text: &str) -> String {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if !formula && !text.contains([',', '"', '\n', '\r']) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 3);
    out.push('"');
    if formula {
        // A leading quote makes spreadsheets show the text, not run it.
        out.push('\'');
    }
    for c in text.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}
