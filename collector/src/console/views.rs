//! The pages' templates (askama, checked at compile time; HTML-escaped by
//! default) and the rows they show.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use super::html;

/// A serde enum's wire name (`non_compliant`, `security_patch`, ...).
pub(crate) fn name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The same, in words: `non compliant`.
pub(crate) fn words<T: Serialize>(value: &T) -> String {
    name(value).replace(['_', '-'], " ")
}

/// Renders a page, or a plain error page when the template fails.
fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!("console template: {e}");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><title>Error</title><p>The page could not be rendered.</p>".into(),
            )
        }
    }
}

/// A page's answer.
pub(crate) fn page(page: &impl Template) -> Response {
    render(StatusCode::OK, page)
}

/// A page's answer with another status (a form shown again with its error).
pub(crate) fn page_with(status: StatusCode, page: &impl Template) -> Response {
    render(status, page)
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    status: u16,
    message: &'a str,
}

/// An error page (no navigation: the viewer may not be logged in).
pub(crate) fn error_page(status: StatusCode, message: &str) -> Response {
    render(
        status,
        &ErrorPage {
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            message,
        },
    )
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage<'a> {
    title: &'a str,
    csrf: &'a str,
    error: Option<&'a str>,
}

/// The log-in page.
pub(crate) fn login_page(status: StatusCode, csrf: &str, error: Option<&str>) -> Response {
    render(
        status,
        &LoginPage {
            title: "Log in",
            csrf,
            error,
        },
    )
}

/// The fleet page.
#[derive(Template)]
#[template(path = "console/fleet.html")]
pub(crate) struct FleetPage {
    pub title: &'static str,
    pub nav: &'static str,
    pub csrf: String,
    pub generated_at: String,
    pub total: u64,
    pub compliant: u64,
    pub warning: u64,
    pub non_compliant: u64,
    pub stale: u64,
    pub platforms: Vec<PlatformRow>,
    pub shares: Vec<ShareRow>,
    pub trend_svg: String,
    pub trend_names: Vec<String>,
    pub trend_rows: Vec<TrendRow>,
    pub assurance: Vec<(String, u64)>,
    pub devices: Vec<DeviceRow>,
    /// How many of the fleet's devices the list shows.
    pub devices_listed: usize,
}

/// Counts of one platform by standing.
#[derive(Debug, Clone, Default)]
pub(crate) struct PlatformRow {
    pub platform: String,
    pub total: u64,
    pub compliant: u64,
    pub warning: u64,
    pub non_compliant: u64,
    pub stale: u64,
}

/// The share of devices passing one rule, of those it applies to.
#[derive(Debug, Clone)]
pub(crate) struct ShareRow {
    pub label: &'static str,
    pub pass: u64,
    pub applies: u64,
    pub percent: u64,
}

/// One day of the trend, as a table row beside the chart.
#[derive(Debug, Clone)]
pub(crate) struct TrendRow {
    pub day: String,
    pub cells: Vec<String>,
}

/// A device in the fleet table.
#[derive(Debug, Clone)]
pub(crate) struct DeviceRow {
    pub id: String,
    pub label: String,
    pub platform: String,
    pub status: String,
    pub status_class: String,
    pub last_report: String,
    pub assurance: String,
}

/// The device page.
#[derive(Template)]
#[template(path = "console/device.html")]
pub(crate) struct DevicePage {
    pub title: &'static str,
    pub nav: &'static str,
    pub csrf: String,
    pub id: String,
    pub label: String,
    pub platform: String,
    pub status: String,
    pub status_class: String,
    pub enrolled_at: String,
    pub last_report_at: String,
    pub assurance: String,
    pub provenance: String,
    pub policy: String,
    pub findings: Vec<FindingRow>,
    pub mismatches: Vec<String>,
    pub pin: String,
    pub timeline_svg: String,
    pub history: Vec<HistoryRow>,
}

/// One rule of a device's verdict.
#[derive(Debug, Clone)]
pub(crate) struct FindingRow {
    pub rule: String,
    pub outcome: String,
    pub outcome_class: String,
    pub observed: String,
    pub requirement: String,
    pub remediation: String,
    pub deadline: String,
    pub fact: String,
    pub provenance: String,
    pub source: String,
}

/// One report in a device's history.
#[derive(Debug, Clone)]
pub(crate) struct HistoryRow {
    pub accepted_at: String,
    pub made_at: String,
    pub freshness: String,
    pub compliance: String,
    pub class: String,
    pub assurance: String,
}

/// The enrolment page.
#[derive(Template)]
#[template(path = "console/enrolment.html")]
pub(crate) struct EnrolmentPage {
    pub title: &'static str,
    pub nav: &'static str,
    pub csrf: String,
    pub server_url: String,
    pub issued: Vec<IssuedRow>,
    pub codes: Vec<CodeListRow>,
    pub message: String,
    pub error: String,
}

/// A code just issued: shown once, with its QR code.
#[derive(Debug, Clone)]
pub(crate) struct IssuedRow {
    pub code: String,
    pub label: String,
    pub expires: String,
    pub payload: String,
    pub qr_svg: String,
}

/// A code in the list (never the code: only its digest is stored).
#[derive(Debug, Clone)]
pub(crate) struct CodeListRow {
    pub hash: String,
    pub short: String,
    pub label: String,
    pub created: String,
    pub expires: String,
    pub state: &'static str,
    pub device_id: String,
    pub revocable: bool,
}

/// The policy page.
#[derive(Template)]
#[template(path = "console/policy.html")]
pub(crate) struct PolicyPage {
    pub title: &'static str,
    pub nav: &'static str,
    pub csrf: String,
    pub name: String,
    pub revision: u32,
    pub description: String,
    pub document: String,
    pub revisions: Vec<RevisionView>,
    pub draft: String,
    pub error: String,
    pub preview: Option<PreviewView>,
}

/// One policy revision enforced so far.
#[derive(Debug, Clone)]
pub(crate) struct RevisionView {
    pub name: String,
    pub revision: u32,
    pub digest: String,
    pub first: String,
    pub last: String,
    pub in_force: bool,
}

/// What the preview found.
#[derive(Debug, Clone)]
pub(crate) struct PreviewView {
    pub draft_name: String,
    pub draft_revision: u32,
    pub evaluated: usize,
    pub unreadable: usize,
    pub changes: Vec<ChangeRow>,
}

/// A device the draft would move.
#[derive(Debug, Clone)]
pub(crate) struct ChangeRow {
    pub id: String,
    pub label: String,
    pub now: String,
    pub now_class: String,
    pub draft: String,
    pub draft_class: String,
    pub rules: String,
}

/// The evidence page.
#[derive(Template)]
#[template(path = "console/evidence.html")]
pub(crate) struct EvidencePage {
    pub title: &'static str,
    pub nav: &'static str,
    pub csrf: String,
    pub from: String,
    pub to: String,
    /// `from=...&to=...`, for the download links.
    pub query: String,
    pub error: String,
}

/// The Privacy page: the agent's privacy inventory in one language.
#[derive(Template)]
#[template(path = "console/privacy.html")]
pub(crate) struct PrivacyPage {
    pub title: &'static str,
    pub nav: &'static str,
    pub csrf: String,
    /// The BCP 47 tag of the inventory's language (the section's `lang`).
    pub lang: &'static str,
    /// Each language: tag, its own name, whether it is the one shown.
    pub languages: Vec<(&'static str, &'static str, bool)>,
    pub summary: String,
    /// "What is sent", in the inventory's language.
    pub sent_heading: String,
    /// "What is never collected", in it too.
    pub never_heading: String,
    pub payloads: Vec<PrivacyPayload>,
    pub never_collected: Vec<String>,
    pub error: String,
}

/// One payload the agent sends, and its fields.
pub(crate) struct PrivacyPayload {
    /// The payload's wire name (`enrol`, `report`): the table's id.
    pub id: String,
    pub name: String,
    pub rows: Vec<PrivacyRow>,
}

/// One field that can leave the device.
pub(crate) struct PrivacyRow {
    pub path: String,
    pub members: String,
    pub category: String,
    pub what: String,
    pub why: String,
}
