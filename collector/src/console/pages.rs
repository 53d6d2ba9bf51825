//! The console's pages: each reads through the collector's own queries
//! (fleet summary, device detail, issuing codes) where they exist, and
//! through [`super::store`] for what only the console needs.

use std::collections::{BTreeMap, HashMap};

use agent_core::policy::{Compliance, Outcome, RuleId};
use agent_core::protocol::{AssuranceLevel, DeviceStatus, FleetDevice};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qrcode::QrCode;
use qrcode::render::svg;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::auth::{Session, require_session, session_form};
use super::charts::{self, Mark, PALETTE, Series};
use super::views::{self, *};
use super::{CONSOLE_PATH, ConsoleError, blocking, field, redirect, store};
use crate::collector::{Collector, MAX_CODES, now};
use crate::writer::IssueCmd;

/// Days the fleet's trend chart covers.
const TREND_DAYS: i64 = 30;
/// Most devices the fleet page lists (the worst first); the counts above
/// the list always cover the whole fleet.
const MAX_DEVICES_LISTED: usize = 500;
/// Longest label a code may carry.
const MAX_LABEL_CHARS: usize = 64;
/// The scheme of the enrolment link a phone app scans (docs/console.md).
pub(crate) const ENROL_LINK: &str = "posture-agent://enrol";

/// The rules whose shares the fleet page shows, and their names there.
const SHARES: [(RuleId, &str); 4] = [
    (RuleId::SecurityPatch, "patched"),
    (RuleId::StorageEncryption, "encrypted"),
    (RuleId::ScreenLock, "screen locked"),
    (RuleId::OsVersion, "supported OS"),
];

fn when(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339)
        .map(|s| s.replace('T', " ").replace('Z', ""))
        .unwrap_or_default()
}

fn when_secs(secs: i64) -> String {
    when(crate::store::at(secs))
}

fn status_words(s: DeviceStatus) -> (String, String) {
    (
        views::words(&s).replace("non compliant", "non-compliant"),
        views::name(&s),
    )
}

fn compliance_words(c: Compliance) -> (String, String) {
    (
        views::words(&c).replace("non compliant", "non-compliant"),
        views::name(&c),
    )
}

/// `GET /console`: the fleet, or the log-in page.
pub(crate) async fn home() -> Response {
    redirect(&format!("{CONSOLE_PATH}/fleet"))
}

fn rank(s: DeviceStatus) -> u8 {
    match s {
        DeviceStatus::NonCompliant => 0,
        DeviceStatus::Warning => 1,
        DeviceStatus::Stale => 2,
        DeviceStatus::Compliant => 3,
    }
}

/// `GET /console/fleet`.
pub(crate) async fn fleet(State(c): State<Collector>, headers: HeaderMap) -> Response {
    match fleet_page(c, &headers).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn fleet_page(c: Collector, headers: &HeaderMap) -> Result<Response, ConsoleError> {
    let session = require_session(&c, headers).await?;
    let page = blocking(move || build_fleet(&c, session)).await?;
    Ok(views::page(&page))
}

fn build_fleet(c: &Collector, session: Session) -> Result<FleetPage, ConsoleError> {
    let summary = c.fleet_summary(None)?;
    let labels = c.inner.store.device_labels()?;
    let today = summary.generated_at.unix_timestamp() / 86_400;
    let daily = c
        .inner
        .store
        .daily_rule_passes((today - TREND_DAYS + 1) * 86_400)?;

    let mut platforms: BTreeMap<String, PlatformRow> = BTreeMap::new();
    let mut assurance: BTreeMap<AssuranceLevel, u64> = BTreeMap::new();
    let mut shares = [(0u64, 0u64); SHARES.len()];
    for d in &summary.devices {
        let p = views::name(&d.platform);
        let row = platforms.entry(p.clone()).or_insert_with(|| PlatformRow {
            platform: p,
            ..PlatformRow::default()
        });
        row.total += 1;
        match d.status {
            DeviceStatus::Compliant => row.compliant += 1,
            DeviceStatus::Warning => row.warning += 1,
            DeviceStatus::NonCompliant => row.non_compliant += 1,
            DeviceStatus::Stale => row.stale += 1,
        }
        if let Some(level) = d.assurance {
            *assurance.entry(level).or_default() += 1;
        }
        if d.status == DeviceStatus::Stale {
            continue;
        }
        for (i, (rule, _)) in SHARES.iter().enumerate() {
            if let Some(f) = d.facts.iter().find(|f| f.rule == *rule)
                && f.outcome != Outcome::NotApplicable
            {
                shares[i].1 += 1;
                if f.outcome == Outcome::Pass {
                    shares[i].0 += 1;
                }
            }
        }
    }

    // The trend: one series per rule, one point per day with reports.
    let mut by_day: BTreeMap<i64, HashMap<String, (u64, u64)>> = BTreeMap::new();
    for (day, rule, pass, count) in daily {
        by_day.entry(day).or_default().insert(rule, (pass, count));
    }
    let series: Vec<Series> = SHARES
        .iter()
        .enumerate()
        .map(|(i, (rule, label))| Series {
            name: (*label).to_owned(),
            colour: PALETTE.get(i).map_or("#1d4ed8", |p| p.0),
            points: by_day
                .iter()
                .filter_map(|(day, rules)| {
                    let (pass, count) = rules.get(&views::name(rule))?;
                    (*count > 0).then(|| (*day, *pass as f64 / *count as f64))
                })
                .collect(),
        })
        .collect();
    let trend_rows = by_day
        .iter()
        .map(|(day, rules)| TrendRow {
            day: charts::day_label(*day),
            cells: SHARES
                .iter()
                .map(|(rule, _)| match rules.get(&views::name(rule)) {
                    Some((pass, count)) if *count > 0 => {
                        format!("{}% ({pass} of {count})", pass * 100 / count)
                    }
                    _ => "–".to_owned(),
                })
                .collect(),
        })
        .collect();
    let first = today - TREND_DAYS + 1;
    let trend_svg = charts::trend(
        "Share of current reports passing each rule, by day, over the last 30 days",
        first,
        today,
        &series,
    );

    let mut devices: Vec<&FleetDevice> = summary.devices.iter().collect();
    devices.sort_by(|a, b| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then(b.last_report_at.cmp(&a.last_report_at))
            .then(a.device_id.as_str().cmp(b.device_id.as_str()))
    });
    let devices_listed = devices.len().min(MAX_DEVICES_LISTED);
    let devices = devices
        .into_iter()
        .take(MAX_DEVICES_LISTED)
        .map(|d| {
            let (status, status_class) = status_words(d.status);
            DeviceRow {
                id: d.device_id.as_str().to_owned(),
                label: labels
                    .get(d.device_id.as_str())
                    .cloned()
                    .unwrap_or_default(),
                platform: views::name(&d.platform),
                status,
                status_class,
                last_report: d.last_report_at.map(when).unwrap_or_else(|| "never".into()),
                assurance: d.assurance.map(|a| a.name().to_owned()).unwrap_or_default(),
            }
        })
        .collect();

    Ok(FleetPage {
        title: "Fleet",
        nav: "fleet",
        csrf: session.csrf,
        generated_at: when(summary.generated_at),
        total: summary.total,
        compliant: summary.compliant,
        warning: summary.warning,
        non_compliant: summary.non_compliant,
        stale: summary.stale,
        platforms: platforms.into_values().collect(),
        shares: SHARES
            .iter()
            .zip(shares)
            .map(|((_, label), (pass, applies))| ShareRow {
                label,
                pass,
                applies,
                percent: (pass * 100).checked_div(applies).unwrap_or(0),
            })
            .collect(),
        trend_svg,
        trend_names: SHARES.iter().map(|(_, l)| (*l).to_owned()).collect(),
        trend_rows,
        assurance: AssuranceLevel::ALL
            .iter()
            .rev()
            .map(|l| (l.name().to_owned(), assurance.get(l).copied().unwrap_or(0)))
            .collect(),
        devices,
        devices_listed,
    })
}

/// `GET /console/devices/{id}`.
pub(crate) async fn device(
    State(c): State<Collector>,
    Path(device_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let session = require_session(&c, &headers).await?;
        let page = blocking(move || build_device(&c, session, &device_id)).await?;
        Ok::<_, ConsoleError>(views::page(&page))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// Where the fact at `path` (`os.version`) in a stored posture came from:
/// its source, or why it is unknown.
fn source_of(posture: &serde_json::Value, path: &str) -> String {
    let mut v = posture;
    for part in path.split('.') {
        match v.get(part) {
            Some(next) => v = next,
            None => return String::new(),
        }
    }
    if let Some(source) = v.get("source").and_then(|s| s.as_str()) {
        return format!("from {source}");
    }
    if let Some(reason) = v.get("reason").and_then(|s| s.as_str()) {
        return format!("unknown: {reason}");
    }
    String::new()
}

fn build_device(c: &Collector, session: Session, id: &str) -> Result<DevicePage, ConsoleError> {
    let detail = c
        .device_detail(id, None)?
        .ok_or_else(|| ConsoleError::NotFound("No enrolled device has this id.".into()))?;
    let label = c.inner.store.device_label(id)?.unwrap_or_default();
    let posture = c
        .inner
        .store
        .latest_token(id)?
        .and_then(|t| super::preview::stored_posture(&t))
        .and_then(|p| serde_json::to_value(p).ok())
        .unwrap_or(serde_json::Value::Null);
    let d = &detail.device;
    let (status, status_class) = status_words(d.status);
    let mut findings = detail
        .verdict
        .as_ref()
        .map(|v| {
            v.findings
                .iter()
                .map(|f| {
                    let record = d.facts.iter().find(|r| r.rule == f.rule);
                    let fact = record.map(|r| r.fact.clone()).unwrap_or_default();
                    FindingRow {
                        rule: views::words(&f.rule),
                        outcome: views::words(&f.outcome),
                        outcome_class: views::name(&f.outcome),
                        observed: f.observed.clone(),
                        requirement: f.requirement.clone().unwrap_or_default(),
                        remediation: f.remediation.clone().unwrap_or_else(|| "–".into()),
                        deadline: f.deadline.map(|d| d.to_string()).unwrap_or_default(),
                        source: source_of(&posture, &fact),
                        provenance: record
                            .map(|r| format!("provenance: {}", views::words(&r.provenance)))
                            .unwrap_or_default(),
                        fact,
                    }
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    // What needs doing first: failures, then warnings, then the rest.
    findings.sort_by_key(|f| match f.outcome_class.as_str() {
        "fail" => 0,
        "warn" => 1,
        _ => 2,
    });
    let mut history: Vec<HistoryRow> = Vec::with_capacity(detail.history.len());
    let mut marks = Vec::with_capacity(detail.history.len());
    for h in &detail.history {
        let (compliance, class) = compliance_words(h.compliance);
        marks.push(Mark {
            at: h.accepted_at.unix_timestamp(),
            label: format!("{compliance} at {}", when(h.accepted_at)),
            colour: match h.compliance {
                Compliance::Compliant => "#047857",
                Compliance::Warning => "#b45309",
                Compliance::NonCompliant => "#b91c1c",
            },
        });
        history.push(HistoryRow {
            accepted_at: when(h.accepted_at),
            made_at: when(h.iat),
            freshness: views::words(&h.freshness),
            compliance,
            class,
            assurance: h
                .assurance
                .map(|a| a.name().to_owned())
                .unwrap_or_else(|| "–".into()),
        });
    }
    Ok(DevicePage {
        title: "Device",
        nav: "fleet",
        csrf: session.csrf,
        id: d.device_id.as_str().to_owned(),
        label,
        platform: views::name(&d.platform),
        status,
        status_class,
        enrolled_at: when(d.enrolled_at),
        last_report_at: d.last_report_at.map(when).unwrap_or_else(|| "never".into()),
        assurance: d
            .assurance
            .map(|a| a.name().to_owned())
            .unwrap_or_else(|| "–".into()),
        provenance: d
            .provenance
            .map(|p| views::words(&p))
            .unwrap_or_else(|| "not attested".into()),
        policy: detail
            .verdict
            .as_ref()
            .map(|v| format!("{} revision {}", v.policy.name, v.policy.revision))
            .unwrap_or_default(),
        findings,
        mismatches: d
            .attestation_mismatches
            .iter()
            .map(|m| {
                format!(
                    "{}: attested {}, reported {}",
                    m.fact, m.attested, m.reported
                )
            })
            .collect(),
        pin: d
            .attestation_pin
            .as_ref()
            .map(|p| views::words(&p.state))
            .unwrap_or_default(),
        timeline_svg: charts::timeline(
            "The device's reports over time, oldest left, coloured by verdict",
            &marks,
        ),
        history,
    })
}

/// The address phones most likely use: this request's host over HTTPS.
fn guess_server(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.bytes().all(|b| b.is_ascii_graphic()))
        .map(|h| format!("https://{h}"))
        .unwrap_or_default()
}

fn build_enrolment(
    c: &Collector,
    session: Session,
    server_url: String,
) -> Result<EnrolmentPage, ConsoleError> {
    let now = now().unix_timestamp();
    let limit = c.inner.settings.failures_per_code;
    let codes = c
        .inner
        .store
        .list_codes()?
        .into_iter()
        .map(|row| {
            let state = if row.used_at.is_some() {
                "used"
            } else if row.revoked_at.is_some() {
                "revoked"
            } else if row.failed_attempts >= limit {
                "void"
            } else if row.expires_at <= now {
                "expired"
            } else {
                "unused"
            };
            CodeListRow {
                short: row.hash_hex.chars().take(12).collect(),
                hash: row.hash_hex,
                label: row.label.unwrap_or_default(),
                created: when_secs(row.created_at),
                expires: when_secs(row.expires_at),
                state,
                device_id: row.device_id.unwrap_or_default(),
                revocable: state == "unused",
            }
        })
        .collect();
    Ok(EnrolmentPage {
        title: "Enrolment",
        nav: "enrolment",
        csrf: session.csrf,
        server_url,
        issued: Vec::new(),
        codes,
        message: String::new(),
        error: String::new(),
    })
}

/// `GET /console/enrolment`.
pub(crate) async fn enrolment(State(c): State<Collector>, headers: HeaderMap) -> Response {
    let result = async {
        let session = require_session(&c, &headers).await?;
        let server = guess_server(&headers);
        let page = blocking(move || build_enrolment(&c, session, server)).await?;
        Ok::<_, ConsoleError>(views::page(&page))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// What a phone app scans: the server's address and the code.
pub(crate) fn enrol_link(server: &str, code: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("server", server)
        .append_pair("code", code)
        .finish();
    format!("{ENROL_LINK}?{query}")
}

/// A QR code of `text` as inline SVG, labelled for screen readers.
pub(crate) fn qr_svg(text: &str, label: &str) -> Result<String, ConsoleError> {
    let code = QrCode::new(text.as_bytes())
        .map_err(|e| ConsoleError::BadRequest(format!("no QR code for this link: {e}")))?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    let start = image.find("<svg").unwrap_or(0);
    let label = label.replace(['"', '<', '>', '&'], "");
    Ok(image[start..].replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{label}\" "),
        1,
    ))
}

/// Checks the server address a code's QR code will carry.
fn server_field(text: &str) -> Result<String, String> {
    let parsed = url::Url::parse(text.trim()).map_err(|_| {
        "The server address must be a URL such as https://collector.example.org".to_owned()
    })?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
        return Err("The server address must be an https:// URL".into());
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// `POST /console/enrolment/codes`: issue codes and show them once.
pub(crate) async fn issue_codes(State(c): State<Collector>, request: Request) -> Response {
    let headers = request.headers().clone();
    let result = async {
        let (session, form) = session_form(&c, request).await?;
        let mut problems = Vec::new();
        let count = field(&form, "count")
            .and_then(|v| v.trim().parse::<u32>().ok())
            .filter(|n| (1..=MAX_CODES).contains(n));
        if count.is_none() {
            problems.push(format!("Issue 1 to {MAX_CODES} codes at a time."));
        }
        let label = field(&form, "label")
            .map(str::trim)
            .unwrap_or("")
            .to_owned();
        if label.chars().count() > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
            problems.push(format!(
                "A label is at most {MAX_LABEL_CHARS} characters, on one line."
            ));
        }
        let server = match server_field(field(&form, "server").unwrap_or("")) {
            Ok(s) => s,
            Err(e) => {
                problems.push(e);
                guess_server(&headers)
            }
        };
        let issued = match (count, problems.is_empty()) {
            (Some(count), true) => {
                let cmd = IssueCmd {
                    count,
                    ttl_secs: c.inner.code_ttl_secs,
                    label: (!label.is_empty()).then(|| label.clone()),
                    now: now(),
                };
                let codes = c
                    .inner
                    .store
                    .issue_codes(cmd)
                    .await
                    .map_err(|e| ConsoleError::Internal(e.problem.to_string()))?;
                tracing::info!("console: issued {} enrolment codes", codes.len());
                let mut rows = Vec::with_capacity(codes.len());
                for code in codes {
                    let payload = enrol_link(&server, code.code.expose());
                    rows.push(IssuedRow {
                        qr_svg: qr_svg(&payload, "QR code of the enrolment link")?,
                        code: code.code.expose().to_owned(),
                        label: label.clone(),
                        expires: when(code.expires_at),
                        payload,
                    });
                }
                rows
            }
            _ => Vec::new(),
        };
        let status = if problems.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        };
        let server2 = server.clone();
        let mut page = blocking(move || build_enrolment(&c, session, server2)).await?;
        page.message = match issued.len() {
            0 => String::new(),
            1 => "1 code issued.".into(),
            n => format!("{n} codes issued."),
        };
        page.issued = issued;
        page.error = problems.join(" ");
        Ok::<_, ConsoleError>(views::page_with(status, &page))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /console/enrolment/revoke`: an unused code stops working.
pub(crate) async fn revoke_code(State(c): State<Collector>, request: Request) -> Response {
    let headers = request.headers().clone();
    let result = async {
        let (session, form) = session_form(&c, request).await?;
        let hash = field(&form, "code")
            .and_then(store::unhex)
            .ok_or_else(|| ConsoleError::BadRequest("No such code.".into()))?;
        let c2 = c.clone();
        let revoked =
            blocking(move || Ok(c2.inner.store.revoke_code(&hash, now().unix_timestamp())?))
                .await?;
        let server = guess_server(&headers);
        let mut page = blocking(move || build_enrolment(&c, session, server)).await?;
        if revoked {
            tracing::info!("console: an enrolment code was revoked");
            page.message = "The code was revoked: it can no longer enrol a device.".into();
            Ok(views::page(&page))
        } else {
            page.error = "That code is already used, revoked or unknown.".into();
            Ok::<_, ConsoleError>(views::page_with(StatusCode::CONFLICT, &page))
        }
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

fn build_policy(c: &Collector, session: Session) -> Result<PolicyPage, ConsoleError> {
    let policy = &c.inner.settings.policy;
    let document = serde_json::to_string_pretty(policy).unwrap_or_default();
    let current = policy.to_json();
    let current_sha =
        store::hex(ring::digest::digest(&ring::digest::SHA256, current.as_bytes()).as_ref());
    let revisions = c
        .inner
        .store
        .policy_revisions()?
        .into_iter()
        .map(|r| RevisionView {
            in_force: r.sha256 == current_sha,
            name: r.name,
            revision: r.revision,
            digest: r.sha256.chars().take(12).collect(),
            first: when_secs(r.first_in_force_at),
            last: when_secs(r.last_started_at),
        })
        .collect();
    Ok(PolicyPage {
        title: "Policy",
        nav: "policy",
        csrf: session.csrf,
        name: policy.name.clone(),
        revision: policy.revision,
        description: policy.description.clone().unwrap_or_default(),
        draft: document.clone(),
        document,
        revisions,
        error: String::new(),
        preview: None,
    })
}

/// `GET /console/policy`.
pub(crate) async fn policy(State(c): State<Collector>, headers: HeaderMap) -> Response {
    let result = async {
        let session = require_session(&c, &headers).await?;
        let page = blocking(move || build_policy(&c, session)).await?;
        Ok::<_, ConsoleError>(views::page(&page))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /console/policy/preview`: which devices a draft would move.
pub(crate) async fn policy_preview(State(c): State<Collector>, request: Request) -> Response {
    let result = async {
        let (session, form) = session_form(&c, request).await?;
        let draft_text = field(&form, "draft").unwrap_or("").to_owned();
        blocking(move || {
            let mut page = build_policy(&c, session)?;
            page.draft = draft_text.clone();
            let draft = match super::preview::parse_draft(&draft_text) {
                Ok(d) => d,
                Err(e) => {
                    page.error = e.to_string();
                    return Ok(views::page_with(StatusCode::BAD_REQUEST, &page));
                }
            };
            let tokens = c.inner.store.latest_tokens()?;
            let labels = c.inner.store.device_labels()?;
            let out = super::preview::preview(&tokens, &c.inner.settings.policy, &draft, now());
            page.preview = Some(PreviewView {
                draft_name: draft.name.clone(),
                draft_revision: draft.revision,
                evaluated: out.evaluated,
                unreadable: out.unreadable,
                changes: out
                    .changes
                    .into_iter()
                    .map(|ch| {
                        let (now, now_class) = compliance_words(ch.now);
                        let (draft, draft_class) = compliance_words(ch.draft);
                        ChangeRow {
                            label: labels.get(&ch.device_id).cloned().unwrap_or_default(),
                            id: ch.device_id,
                            now,
                            now_class,
                            draft,
                            draft_class,
                            rules: ch.rules.join(", "),
                        }
                    })
                    .collect(),
            });
            Ok(views::page(&page))
        })
        .await
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_facts_source_or_reason_is_read_from_the_stored_posture() {
        let posture = serde_json::json!({
            "os": {"version": {"status": "observed", "value": "15", "source": "getprop"}},
            "screen_lock": {"status": "unknown", "reason": "no keyguard service"},
        });
        assert_eq!(source_of(&posture, "os.version"), "from getprop");
        assert_eq!(
            source_of(&posture, "screen_lock"),
            "unknown: no keyguard service"
        );
        assert_eq!(source_of(&posture, "no.such.fact"), "");
    }

    #[test]
    fn the_enrolment_link_carries_the_server_and_code_percent_encoded() {
        assert_eq!(
            enrol_link("https://c.example:8443/base", "AB12-CD34"),
            "posture-agent://enrol?server=https%3A%2F%2Fc.example%3A8443%2Fbase&code=AB12-CD34"
        );
        let svg = qr_svg(&enrol_link("https://c.example", "AB12"), "a \"label\"").unwrap();
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"a label\" "));
        assert!(!svg.contains("<?xml"));
    }

    #[test]
    fn only_web_addresses_are_accepted_for_the_server() {
        assert_eq!(
            server_field(" https://c.example/ ").unwrap(),
            "https://c.example"
        );
        assert!(server_field("ftp://c.example").is_err());
        assert!(server_field("not a url").is_err());
        assert!(server_field("mailto:a@b").is_err());
    }
}
