//! The admin API: bearer token, codes, fleet summary, export; and problems
//! for unknown paths and methods.

use agent_core::protocol::{
    DeviceStatus, ExportRecord, FleetSummary, IssueCodesResponse, content_types, paths,
};
use agent_core::transport::{HttpRequest, HttpResponse};
use posture_collector::RunningCollector;

use crate::common::*;

fn get(c: &RunningCollector, path: &str, token: Option<&str>) -> HttpResponse {
    let mut req = HttpRequest::get(format!("{}{path}", c.url()));
    if let Some(t) = token {
        req = req.with_header("authorization", &format!("Bearer {t}"));
    }
    send(req)
}

#[test]
fn admin_endpoints_need_the_bearer_token() {
    let c = start();
    for path in [paths::FLEET, paths::REPORTS_EXPORT] {
        let r = get(&c, path, None);
        assert_problem(&r, 401, "unauthorized");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        assert_problem(
            &get(&c, path, Some("not-the-token-at-all")),
            401,
            "unauthorized",
        );
    }
    let r = post(
        c.url(),
        paths::ENROLMENT_CODES,
        content_types::JSON,
        b"{\"count\":1}".to_vec(),
    );
    assert_problem(&r, 401, "unauthorized");
}

#[test]
fn the_authorization_scheme_is_case_insensitive() {
    let c = start();
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let req = HttpRequest::get(format!("{}{}", c.url(), paths::FLEET))
            .with_header("authorization", &format!("{scheme} {}", c.admin_token()));
        let r = send(req);
        assert_eq!(r.status, 200, "{scheme}: {r:?}");
    }
    let req = HttpRequest::get(format!("{}{}", c.url(), paths::FLEET))
        .with_header("authorization", &format!("Basic {}", c.admin_token()));
    assert_problem(&send(req), 401, "unauthorized");
}

#[test]
fn codes_issued_over_http_enrol_devices() {
    let c = start();
    let issue = |body: &str| {
        let req = HttpRequest::post(
            format!("{}{}", c.url(), paths::ENROLMENT_CODES),
            content_types::JSON,
            body.as_bytes().to_vec(),
        )
        .with_header("authorization", &format!("Bearer {}", c.admin_token()));
        send(req)
    };
    let r = issue(r#"{"count": 2, "ttl_secs": 3600, "label": "ward 7"}"#);
    assert_eq!(r.status, 201, "{r:?}");
    let issued: IssueCodesResponse = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(issued.codes.len(), 2);
    let signer = agent_core::keys::SoftwareSigner::ephemeral().unwrap();
    let r = post(
        c.url(),
        paths::ENROL,
        content_types::JSON,
        enrol_body(issued.codes[1].code.expose(), &signer),
    );
    assert_eq!(r.status, 201);
    assert_problem(&issue(r#"{"count": 0}"#), 400, "invalid-request");
    assert_problem(
        &issue(r#"{"count": 1, "ttl_secs": 9999999}"#),
        400,
        "invalid-request",
    );
    // openapi.yaml: count is a JSON integer; ttl_secs and label may be null.
    for body in [
        r#"{"count": 1.0}"#,
        r#"{"count": "1"}"#,
        r#"{"count": null}"#,
        r#"{"count": 1, "count": 2}"#,
        r#"{"count": 1, "label": 7}"#,
    ] {
        assert_problem(&issue(body), 400, "invalid-request");
    }
    let r = issue(r#"{"count": 1, "ttl_secs": null, "label": null}"#);
    assert_eq!(r.status, 201, "{r:?}");
    // The token is checked first; then the body's size.
    let r = issue(&" ".repeat(70_000));
    assert_problem(&r, 413, "payload-too-large");
}

#[test]
fn the_fleet_summary_counts_each_standing() {
    let c = start();
    Device::enrol(&c).check_in(&c, Shape::Compliant);
    Device::enrol(&c).check_in(&c, Shape::Warning);
    Device::enrol(&c).check_in(&c, Shape::NonCompliant);
    Device::enrol(&c).check_in(&c, Shape::NonCompliant);
    let silent = Device::enrol(&c);
    let r = get(&c, paths::FLEET, Some(c.admin_token()));
    assert_eq!(r.status, 200, "{r:?}");
    let f: FleetSummary = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(f.stale_after_secs, 3 * 6 * 3600);
    assert_eq!(
        (f.total, f.compliant, f.warning, f.non_compliant, f.stale),
        (5, 1, 1, 2, 1)
    );
    let row = f
        .devices
        .iter()
        .find(|d| d.device_id.as_str() == silent.id)
        .unwrap();
    assert_eq!(row.status, DeviceStatus::Stale);
    assert_eq!(row.last_report_at, None);
    // openapi.yaml: a whole number of seconds, 1 to 2^64 - 1.
    for bad in ["0", "-1", "1.5", "x", "18446744073709551616"] {
        let r = get(
            &c,
            &format!("{}?stale_after_secs={bad}", paths::FLEET),
            Some(c.admin_token()),
        );
        assert_problem(&r, 400, "invalid-request");
    }
    for good in ["1", "18446744073709551615"] {
        let r = get(
            &c,
            &format!("{}?stale_after_secs={good}", paths::FLEET),
            Some(c.admin_token()),
        );
        assert_eq!(r.status, 200, "{good}: {r:?}");
    }
}

#[test]
fn the_export_is_json_lines_with_the_tokens_as_received() {
    let c = start();
    let mut d = Device::enrol(&c);
    let token = d.token(Shape::Compliant);
    assert_eq!(d.send(&c, &token).status, 201);
    d.nonce = {
        let f = d.token(Shape::Compliant);
        let r = d.send(&c, &f);
        serde_json::from_slice::<agent_core::protocol::ReportAck>(&r.body)
            .unwrap()
            .nonce
    };
    d.check_in(&c, Shape::Warning);
    let r = get(&c, paths::REPORTS_EXPORT, Some(c.admin_token()));
    assert_eq!(r.status, 200);
    assert_eq!(r.media_type().as_deref(), Some(content_types::JSON_LINES));
    let text = String::from_utf8(r.body).unwrap();
    let records: Vec<ExportRecord> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0].token, token);
    assert!(records.iter().all(|r| r.device_id.as_str() == d.id));
    let later = "2999-01-01T00:00:00Z";
    let r = get(
        &c,
        &format!("{}?since={later}", paths::REPORTS_EXPORT),
        Some(c.admin_token()),
    );
    assert!(r.body.is_empty());
    let r = get(
        &c,
        &format!("{}?since=yesterday", paths::REPORTS_EXPORT),
        Some(c.admin_token()),
    );
    assert_problem(&r, 400, "invalid-request");
}

#[test]
fn unknown_paths_and_methods_are_problems() {
    let c = start();
    assert_problem(&get(&c, "/v1/nothing-here", None), 404, "not-found");
    let r = get(&c, paths::REPORTS, None);
    assert_problem(&r, 405, "method-not-allowed");
    assert_eq!(r.header("allow"), Some("POST"));
}

#[test]
fn openapi_yaml_has_exactly_the_routes_the_collector_serves() {
    let c = start();
    for (method, path) in ROUTES {
        assert!(
            documented_statuses(method, path).is_some(),
            "{method} {path} is not in openapi.yaml"
        );
        let url = format!("{}{path}", c.url());
        let request = match method {
            "get" => HttpRequest::get(url),
            _ => HttpRequest::post(url, content_types::JSON, b"{}".to_vec()),
        };
        // Served (whatever the answer to an empty request), not unknown.
        let r = send(request);
        assert!(!matches!(r.status, 404 | 405), "{method} {path}: {r:?}");
    }
    let mut documented = documented_operations();
    documented.sort();
    let mut served: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    served.sort();
    assert_eq!(documented, served);
}

#[test]
fn the_device_view_finds_ids_with_every_base64url_character() {
    let c = start();
    // Ids are base64url: about one in four has a '-'. Enrol until one does.
    let device = (0..64)
        .map(|_| Device::enrol(&c))
        .find(|d| d.id.contains('-'))
        .unwrap();
    let path = format!("/v1/fleet/devices/{}", device.id);
    let mut req = HttpRequest::get(format!("{}{path}", c.url()));
    req = req.with_header("authorization", &format!("Bearer {}", c.admin_token()));
    let r = agent_core::transport::Transport::send(&http(), req).unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    let view: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(view["device"]["device_id"], device.id.as_str());
}
