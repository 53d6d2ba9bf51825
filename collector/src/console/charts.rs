//! Charts as inline SVG, drawn on the server: no script, nothing fetched.
//! Every chart has a text title for screen readers, and the page shows the
//! same figures as a table beside it.

use std::fmt::Write;

/// One line of a trend chart: its name, colour, and (day, share 0..=1).
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub name: String,
    pub colour: &'static str,
    pub points: Vec<(i64, f64)>,
}

/// Colours with at least 4.5:1 contrast on white, told apart by dash
/// pattern too, for readers who cannot tell them apart by hue.
pub(crate) const PALETTE: [(&str, &str); 4] = [
    ("#1d4ed8", ""),
    ("#047857", "6 3"),
    ("#b45309", "2 3"),
    ("#7c3aed", "8 3 2 3"),
];

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// Escapes text for an SVG text node or attribute.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The date of a day number (days since 1970-01-01), `YYYY-MM-DD`.
pub(crate) fn day_label(day: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(day.saturating_mul(86_400))
        .map(|t| t.date().to_string())
        .unwrap_or_default()
}

/// A line chart of shares (0 to 100 %) over days from `first` to `last`.
pub(crate) fn trend(title: &str, first: i64, last: i64, series: &[Series]) -> String {
    let span = (last - first).max(1) as f64;
    let x = |day: i64| LEFT + (day - first) as f64 / span * (W - LEFT - RIGHT);
    let y = |share: f64| TOP + (1.0 - share.clamp(0.0, 1.0)) * (H - TOP - BOTTOM);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="trend-title" xmlns="http://www.w3.org/2000/svg"><title id="trend-title">{}</title>"#,
        esc(title)
    );
    for pct in [0, 25, 50, 75, 100] {
        let py = y(f64::from(pct) / 100.0);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="#d1d5db" stroke-width="1"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" fill="#374151">{pct}%</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            py + 4.0
        );
    }
    for (day, anchor) in [(first, "start"), (last, "end")] {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="{anchor}" fill="#374151">{}</text>"##,
            x(day),
            H - 8.0,
            day_label(day)
        );
    }
    for (i, s) in series.iter().enumerate() {
        let dash = PALETTE.get(i).map_or("", |p| p.1);
        let points: Vec<String> = s
            .points
            .iter()
            .map(|(d, v)| format!("{:.1},{:.1}", x(*d), y(*v)))
            .collect();
        if points.len() > 1 {
            let _ = write!(
                svg,
                r#"<polyline fill="none" stroke="{}" stroke-width="2.5" stroke-dasharray="{dash}" points="{}"><title>{}</title></polyline>"#,
                s.colour,
                points.join(" "),
                esc(&s.name)
            );
        }
        for (d, v) in &s.points {
            let _ = write!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{}"><title>{}: {:.0}% on {}</title></circle>"#,
                x(*d),
                y(*v),
                s.colour,
                esc(&s.name),
                v * 100.0,
                day_label(*d)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// One mark on a device's timeline: when, and its verdict's colour class.
#[derive(Debug, Clone)]
pub(crate) struct Mark {
    pub at: i64,
    pub label: String,
    pub colour: &'static str,
}

/// A strip of reports along time, oldest left.
pub(crate) fn timeline(title: &str, marks: &[Mark]) -> String {
    const TH: f64 = 48.0;
    let first = marks.iter().map(|m| m.at).min().unwrap_or(0);
    let last = marks.iter().map(|m| m.at).max().unwrap_or(0);
    let span = (last - first).max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg class="timeline" viewBox="0 0 {W} {TH}" role="img" aria-labelledby="timeline-title" xmlns="http://www.w3.org/2000/svg"><title id="timeline-title">{}</title><line x1="16" y1="24" x2="{:.1}" y2="24" stroke="#9ca3af" stroke-width="2"/>"##,
        esc(title),
        W - 16.0
    );
    for m in marks {
        let cx = if last == first {
            W / 2.0
        } else {
            16.0 + (m.at - first) as f64 / span * (W - 32.0)
        };
        let _ = write!(
            svg,
            r##"<circle cx="{cx:.1}" cy="24" r="7" fill="{}" stroke="#111827" stroke-width="1"><title>{}</title></circle>"##,
            m.colour,
            esc(&m.label)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trend_has_a_title_a_line_and_a_point_per_day() {
        let series = [Series {
            name: "patched <&>".into(),
            colour: "#1d4ed8",
            points: vec![(20_000, 0.5), (20_001, 1.0)],
        }];
        let svg = trend("Share passing", 20_000, 20_001, &series);
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("<title id=\"trend-title\">Share passing</title>"));
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("patched &lt;&amp;&gt;"));
        assert!(!svg.contains("<script"));
        assert!(svg.contains(&day_label(20_000)));
    }

    #[test]
    fn a_single_report_sits_in_the_middle_of_its_timeline() {
        let svg = timeline(
            "History",
            &[Mark {
                at: 5,
                label: "compliant".into(),
                colour: "#047857",
            }],
        );
        assert!(svg.contains("cx=\"320.0\""));
    }

    #[test]
    fn day_labels_are_dates() {
        assert_eq!(day_label(0), "1970-01-01");
    }
}
