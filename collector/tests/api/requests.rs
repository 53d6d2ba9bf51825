//! `POST /v1/challenge` and `POST /v1/unenrol` with device request tokens.

use agent_core::protocol::{
    ChallengeResponse, EnrolResponse, Freshness, ReportAck, RequestPurpose, UnenrolResponse,
    content_types, paths,
};

use crate::common::*;

fn send_request(
    c: &posture_collector::RunningCollector,
    path: &str,
    token: &str,
) -> agent_core::transport::HttpResponse {
    post(c.url(), path, content_types::JWT, token.as_bytes().to_vec())
}

#[test]
fn a_challenge_replaces_the_latest_nonce() {
    let c = start();
    let mut d = Device::enrol(&c);
    let token = d.request_token(RequestPurpose::Challenge, None);
    let r = send_request(&c, paths::CHALLENGE, &token);
    assert_eq!(r.status, 200, "{r:?}");
    let fresh: ChallengeResponse = serde_json::from_slice(&r.body).unwrap();
    assert_ne!(fresh.nonce, d.nonce);
    // The token cannot be used twice.
    assert_problem(
        &send_request(&c, paths::CHALLENGE, &token),
        409,
        "replayed-token",
    );
    // The replaced nonce now only makes historical reports.
    let r = d.send(&c, &d.token(Shape::Compliant));
    let ack: ReportAck = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(ack.freshness, Freshness::Historical);
    d.nonce = fresh.nonce;
    assert_eq!(
        d.check_in(&c, Shape::Compliant).freshness,
        Freshness::Current
    );
    // A token for the other endpoint is refused.
    let unenrol = d.request_token(RequestPurpose::Unenrol, Some(d.nonce.clone()));
    assert_problem(
        &send_request(&c, paths::CHALLENGE, &unenrol),
        400,
        "invalid-token",
    );
    // A report token is not a request token.
    let report = d.token(Shape::Compliant);
    assert_problem(
        &send_request(&c, paths::CHALLENGE, &report),
        400,
        "unsupported-algorithm",
    );
}

#[test]
fn unenrol_needs_the_latest_nonce_and_removes_the_device() {
    let c = start();
    let mut d = Device::enrol(&c);
    let other = Device::enrol(&c);
    d.check_in(&c, Shape::Compliant);
    let stale = d.request_token(RequestPurpose::Unenrol, None);
    assert_problem(
        &send_request(&c, paths::UNENROL, &stale),
        422,
        "invalid-nonce",
    );
    let token = d.request_token(RequestPurpose::Unenrol, Some(d.nonce.clone()));
    let r = send_request(&c, paths::UNENROL, &token);
    assert_eq!(r.status, 200, "{r:?}");
    let gone: UnenrolResponse = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(gone.device_id.as_str(), d.id);
    // The key is unknown from now on; the stored report is kept.
    assert_problem(
        &d.send(&c, &d.token(Shape::Compliant)),
        401,
        "unknown-device",
    );
    let again = d.request_token(RequestPurpose::Challenge, None);
    assert_problem(
        &send_request(&c, paths::CHALLENGE, &again),
        401,
        "unknown-device",
    );
    assert_eq!(c.collector().report_count().unwrap(), 1);
    let fleet = c.collector().fleet_summary(None).unwrap();
    assert_eq!(fleet.total, 1);
    assert_eq!(fleet.devices[0].device_id.as_str(), other.id);
}

#[test]
fn an_unenrolled_device_enrols_again_with_a_new_code_only() {
    let c = start();
    let first_code = issue_code(&c);
    let signer = agent_core::keys::SoftwareSigner::ephemeral().unwrap();
    let r = post(
        c.url(),
        paths::ENROL,
        content_types::JSON,
        enrol_body(&first_code, &signer),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let enrolled: EnrolResponse = serde_json::from_slice(&r.body).unwrap();
    let d = Device {
        signer,
        id: enrolled.device_id.as_str().to_owned(),
        nonce: enrolled.nonce,
    };
    let token = d.request_token(RequestPurpose::Unenrol, Some(d.nonce.clone()));
    assert_eq!(send_request(&c, paths::UNENROL, &token).status, 200);
    // The first code stays used, even with the same key.
    assert_problem(
        &post(
            c.url(),
            paths::ENROL,
            content_types::JSON,
            enrol_body(&first_code, &d.signer),
        ),
        403,
        "invalid-enrolment-code",
    );
    // A new code enrols the same key again, as a new device.
    let r = post(
        c.url(),
        paths::ENROL,
        content_types::JSON,
        enrol_body(&issue_code(&c), &d.signer),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let again: EnrolResponse = serde_json::from_slice(&r.body).unwrap();
    assert_ne!(again.device_id.as_str(), d.id);
    assert_eq!(c.collector().device_count().unwrap(), 1);
}

#[test]
fn a_challenge_token_with_a_nonce_is_still_a_challenge() {
    let c = start();
    let d = Device::enrol(&c);
    let token = d.request_token(RequestPurpose::Challenge, Some(d.nonce.clone()));
    let r = send_request(&c, paths::CHALLENGE, &token);
    assert_eq!(r.status, 200, "{r:?}");
    let answer: ChallengeResponse = serde_json::from_slice(&r.body).unwrap();
    assert_ne!(answer.nonce, d.nonce);
}
