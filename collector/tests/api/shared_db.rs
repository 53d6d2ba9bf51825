//! Two collectors on one database answer as one: a console session ended
//! through one is refused by the other, a one-time console link is used
//! once across them, and the relying-party answer reflects a report taken
//! by the other. On PostgreSQL (`POSTURE_TEST_POSTGRES_URL`) the two each
//! have their own pool, caches and limits, as separate processes would; on
//! SQLite one collector owns its file, and both roles are that collector.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Barrier;

use agent_core::keys::DeviceSigner;
use agent_core::policy::Compliance;
use agent_core::protocol::DeviceStatus;
use posture_collector::{CollectorConfig, RunningCollector, spawn_local};

use crate::common::{Device, Shape, config};
use crate::relying_party::{READER, compliance, parties};

const ADMIN: &str = "shared-admin-token-5b0e2f4c9d";

/// Two collectors on one PostgreSQL database; one on SQLite.
fn collectors() -> Vec<RunningCollector> {
    let shared = || CollectorConfig {
        admin_token: Some(ADMIN.into()),
        relying_parties: parties(),
        ..config()
    };
    let first = shared();
    match first.postgres.clone() {
        Some(url) => (0..2)
            .map(|_| {
                spawn_local(CollectorConfig {
                    postgres: Some(url.clone()),
                    ..shared()
                })
                .unwrap()
            })
            .collect(),
        None => vec![spawn_local(first).unwrap()],
    }
}

/// An answer read off the wire.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `name=value` pair of a cookie this answer sets.
    fn cookie(&self, name: &str) -> String {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| v.split(';').next())
            .find(|pair| pair.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} cookie in {:?}", self.headers))
            .to_owned()
    }

    /// The first hidden `csrf` field of the page.
    fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let at = self.body.find(marker).expect("a csrf field") + marker.len();
        self.body[at..].split('"').next().unwrap().to_owned()
    }
}

/// One HTTP/1.0 exchange on loopback: a browser's GET or form POST, with
/// its cookie, redirects not followed (the console answers with them).
fn exchange(base: &str, method: &str, path: &str, cookie: Option<&str>, form: &str) -> Raw {
    let host = base.trim_start_matches("http://");
    let mut request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Length: {}\r\n",
        form.len()
    );
    if method == "POST" {
        request.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
    }
    if let Some(cookie) = cookie {
        request.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(form);
    let mut stream = TcpStream::connect(host).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete answer");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Raw {
        status,
        headers,
        body: body.to_owned(),
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Logs in on `c` with the admin token; the session cookie pair.
fn log_in(c: &RunningCollector) -> String {
    let page = exchange(c.url(), "GET", "/console/login", None, "");
    assert_eq!(page.status, 200);
    let pre = page.cookie("pa_console_login");
    let body = form(&[("csrf", &page.csrf()), ("token", ADMIN)]);
    let r = exchange(c.url(), "POST", "/console/login", Some(&pre), &body);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/console/fleet"));
    r.cookie("pa_console")
}

#[test]
fn a_console_session_ended_through_one_collector_is_refused_by_the_other() {
    let cs = collectors();
    let (a, b) = (&cs[0], &cs[cs.len() - 1]);
    let session = log_in(a);
    let fleet = exchange(b.url(), "GET", "/console/fleet", Some(&session), "");
    assert_eq!(fleet.status, 200, "{}", fleet.body);
    // Another session, which logging out the first must leave alone.
    let other = log_in(b);

    let out = exchange(
        a.url(),
        "POST",
        "/console/logout",
        Some(&session),
        &form(&[("csrf", &fleet.csrf())]),
    );
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(out.header("location"), Some("/console/login"));
    for c in &cs {
        let r = exchange(c.url(), "GET", "/console/fleet", Some(&session), "");
        assert_eq!(
            r.status,
            303,
            "the ended session still works on {}",
            c.url()
        );
        assert_eq!(r.header("location"), Some("/console/login"));
        let r = exchange(c.url(), "GET", "/console/fleet", Some(&other), "");
        assert_eq!(r.status, 200);
    }
}

#[test]
fn a_one_time_console_link_raced_to_every_collector_logs_in_once() {
    const RACERS: usize = 8;
    let cs = collectors();
    let link = cs[0].collector().console_login_link(cs[0].url()).unwrap();
    let path = &link[cs[0].url().len()..];
    let barrier = Barrier::new(RACERS);
    let answers: Vec<Raw> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..RACERS)
            .map(|i| {
                let (c, barrier) = (&cs[i % cs.len()], &barrier);
                s.spawn(move || {
                    barrier.wait();
                    exchange(c.url(), "GET", path, None, "")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 403).count(),
        RACERS - 1,
        "{statuses:?}"
    );
    let winner = answers.iter().find(|r| r.status == 303).unwrap();
    let session = winner.cookie("pa_console");
    for c in &cs {
        let r = exchange(c.url(), "GET", "/console/fleet", Some(&session), "");
        assert_eq!(r.status, 200);
    }
    let loser = answers.iter().find(|r| r.status == 403).unwrap();
    assert!(loser.body.contains("already used"), "{}", loser.body);
}

#[test]
fn the_relying_party_answer_reflects_a_report_taken_by_the_other_collector() {
    let cs = collectors();
    let (a, b) = (&cs[0], &cs[cs.len() - 1]);
    let mut device = Device::enrol(a);
    // Enrolled, never reported: stale, no compliance yet.
    let before = compliance(b, &device);
    assert_eq!(before.freshness.last_verified_at, None);
    assert_eq!(before.compliance, None);

    let ack = device.check_in(b, Shape::NonCompliant);
    let after = compliance(a, &device);
    assert_eq!(after.device_id.as_str(), device.id);
    assert_eq!(after.status, DeviceStatus::NonCompliant);
    assert_eq!(after.compliance, Some(Compliance::NonCompliant));
    assert_eq!(after.freshness.last_verified_at, Some(ack.accepted_at));

    device.check_in(a, Shape::Compliant);
    assert_eq!(
        compliance(b, &device).compliance,
        Some(Compliance::Compliant)
    );
    let jkt = device.signer.kid().unwrap();
    let by_key = crate::relying_party::get(
        b,
        &format!("{}?jkt={jkt}", agent_core::protocol::paths::COMPLIANCE),
        Some(READER),
    );
    assert_eq!(by_key.status, 200, "{by_key:?}");
    let by_key: agent_core::protocol::ComplianceAnswer =
        serde_json::from_slice(&by_key.body).unwrap();
    assert_eq!(by_key.device_id.as_str(), device.id);
    assert_eq!(by_key.compliance, Some(Compliance::Compliant));
}

#[test]
fn a_code_revoked_in_the_console_of_one_collector_enrols_through_none() {
    let cs = collectors();
    let (a, b) = (&cs[0], &cs[cs.len() - 1]);
    let code = crate::common::issue_code(a);
    let session = log_in(a);
    // Listed by the other collector's console, and revoked there.
    let page = exchange(b.url(), "GET", "/console/enrolment", Some(&session), "");
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body.matches("state-unused").count(), 1);
    let marker = "name=\"code\" value=\"";
    let at = page.body.find(marker).expect("a revoke form") + marker.len();
    let hash = page.body[at..].split('"').next().unwrap().to_owned();
    let revoked = exchange(
        b.url(),
        "POST",
        "/console/enrolment/revoke",
        Some(&session),
        &form(&[("csrf", &page.csrf()), ("code", &hash)]),
    );
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert!(revoked.body.contains("state-revoked"));
    for c in &cs {
        let signer = agent_core::keys::SoftwareSigner::ephemeral().unwrap();
        let r = crate::common::post(
            c.url(),
            agent_core::protocol::paths::ENROL,
            agent_core::protocol::content_types::JSON,
            crate::common::enrol_body(&code, &signer),
        );
        assert_eq!(r.status, 403, "{r:?}");
    }
    assert_eq!(a.collector().device_count().unwrap(), 0);
    // Revoking it again, through the first, is refused: already revoked.
    let again = exchange(
        a.url(),
        "POST",
        "/console/enrolment/revoke",
        Some(&session),
        &form(&[("csrf", &page.csrf()), ("code", &hash)]),
    );
    assert_eq!(again.status, 409, "{}", again.body);
}
