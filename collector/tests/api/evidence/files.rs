//! The HTML and CSV renderings of a real report: the HTML self-contained
//! and well-formed, the CSV the same numbers as the JSON.

use posture_collector::evidence::{EvidenceReport, Summary, render_csv, render_html};
use time::OffsetDateTime;

use super::expect::rule_text;

pub(super) fn html_is_self_contained_and_well_formed(report: &EvidenceReport) {
    let html = render_html(report);
    let lower = html.to_ascii_lowercase();
    assert!(
        !lower.contains("http://") && !lower.contains("https://"),
        "a URL in the HTML"
    );
    for forbidden in [
        "<script", "<link", "<img", "<iframe", "src=", "href=", "@import", "url(",
    ] {
        assert!(!lower.contains(forbidden), "{forbidden} in the HTML");
    }
    assert!(lower.starts_with("<!doctype html>"));
    assert!(lower.contains("<html lang=\"en\">"));
    assert!(lower.contains("@media print"));
    assert!(lower.contains("<h1>") && lower.contains("<h2 id=\"trend\">"));
    assert!(lower.contains("<th scope=\"col\">"));
    // Five charts (the period and one per figure), each an image with a title and a description.
    assert_eq!(
        lower.matches("<svg role=\"img\" aria-labelledby=").count(),
        5
    );
    assert_eq!(lower.matches("<title id=").count(), 5);
    assert_eq!(lower.matches("<desc id=").count(), 5);
    check_well_formed(&html);
    for e in report.exceptions.iter().take(20) {
        assert!(html.contains(e.device_id.as_str()));
    }
}

/// Every element closed in order (the renderer writes XML-style markup),
/// every entity one of the five it uses.
pub(super) fn check_well_formed(html: &str) {
    let body = html.strip_prefix("<!DOCTYPE html>\n").unwrap();
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        check_text(text);
        let close = rest[open..].find('>').unwrap() + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(top, name, "</{name}> closes <{top}>");
        } else if tag.ends_with('/') {
            continue;
        } else {
            let name = tag.split_whitespace().next().unwrap().to_owned();
            assert!(!name.is_empty());
            if name == "style" {
                let end = rest.find("</style>").unwrap();
                rest = &rest[end + "</style>".len()..];
                continue;
            }
            stack.push(name);
        }
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

pub(super) fn check_text(text: &str) {
    assert!(!text.contains('>'), "a raw > in {text:?}");
    let mut parts = text.split('&');
    parts.next();
    for p in parts {
        assert!(
            ["amp;", "lt;", "gt;", "quot;", "#39;"]
                .iter()
                .any(|e| p.starts_with(e)),
            "a raw & in {text:?}"
        );
    }
}

/// Parses RFC 4180 CSV into records (quoted fields may hold commas,
/// quotes and line breaks); an empty line is an empty record.
pub(super) fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                if !(record.is_empty() && field.is_empty()) {
                    record.push(std::mem::take(&mut field));
                }
                records.push(std::mem::take(&mut record));
            }
            _ => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && record.is_empty(),
        "CSV ends mid-record"
    );
    records
}

pub(super) fn csv_round_trips(report: &EvidenceReport) {
    let csv = render_csv(report);
    let records = parse_csv(&csv);
    let tables: Vec<&[Vec<String>]> = records.split(|r| r.is_empty()).collect();
    assert_eq!(tables.len(), 4);
    for (table, (section, header)) in tables.iter().zip([
        ("report", "section,key,value"),
        ("summary", posture_collector::evidence::SUMMARY_HEADER),
        ("figure", posture_collector::evidence::FIGURE_HEADER),
        ("exception", posture_collector::evidence::EXCEPTION_HEADER),
    ]) {
        assert_eq!(table[0].join(","), header);
        let width = table[0].len();
        for row in &table[1..] {
            assert_eq!(row[0], section);
            assert_eq!(row.len(), width, "{row:?}");
        }
    }
    let value = |key: &str| {
        tables[0][1..]
            .iter()
            .find(|r| r[1] == key)
            .map(|r| r[2].clone())
            .unwrap()
    };
    assert_eq!(value("from"), report.from.to_string());
    assert_eq!(value("to"), report.to.to_string());
    assert_eq!(value("policy"), report.policy.name);
    assert_eq!(value("grace_days"), "14");
    assert_eq!(
        value("exceptions_total"),
        report.exceptions_total.to_string()
    );
    let scopes: Vec<(String, &Summary)> = std::iter::once(("period".to_owned(), &report.period))
        .chain(report.weeks.iter().map(|w| (w.week.clone(), &w.summary)))
        .collect();
    assert_eq!(tables[1].len() - 1, scopes.len());
    for (row, (scope, s)) in tables[1][1..].iter().zip(&scopes) {
        assert_eq!(&row[1], scope);
        let numbers: Vec<u64> = row[4..].iter().map(|n| n.parse().unwrap()).collect();
        assert_eq!(
            numbers,
            [
                s.devices,
                s.hardware_attested,
                s.historical,
                s.compliant,
                s.warning,
                s.non_compliant
            ]
        );
    }
    let figure_rows = &tables[2][1..];
    assert_eq!(figure_rows.len(), scopes.len() * 4);
    for (row, (scope, f)) in figure_rows.iter().zip(
        scopes
            .iter()
            .flat_map(|(scope, s)| s.figures.iter().map(move |f| (scope, f))),
    ) {
        assert_eq!((&row[1], row[2].as_str()), (scope, f.figure.name()));
        assert_eq!(row[3], rule_text(f.rule));
        let numbers: Vec<u64> = row[4..11].iter().map(|n| n.parse().unwrap()).collect();
        assert_eq!(
            numbers,
            [
                f.devices,
                f.pass,
                f.fail,
                f.in_grace,
                f.unknown,
                f.not_applicable,
                f.hardware_attested
            ]
        );
        let share = (!row[11].is_empty()).then(|| row[11].parse::<f64>().unwrap());
        assert_eq!(share, f.pass_share);
    }
    let exception_rows = &tables[3][1..];
    assert_eq!(exception_rows.len(), report.exceptions.len());
    let rfc3339 = time::format_description::well_known::Rfc3339;
    for (row, e) in exception_rows.iter().zip(&report.exceptions) {
        assert_eq!(row[1], e.device_id.as_str());
        assert_eq!(row[3], rule_text(e.rule));
        assert_eq!(row[4], e.state.name());
        assert_eq!(OffsetDateTime::parse(&row[5], &rfc3339).unwrap(), e.since);
        assert_eq!(
            OffsetDateTime::parse(&row[6], &rfc3339).unwrap(),
            e.last_seen
        );
        let resolved =
            (!row[7].is_empty()).then(|| OffsetDateTime::parse(&row[7], &rfc3339).unwrap());
        assert_eq!(resolved, e.resolved_at);
        assert_eq!(
            row[8],
            e.deadline.map(|d| d.to_string()).unwrap_or_default()
        );
        assert_eq!(row[9], e.observed);
    }
}
