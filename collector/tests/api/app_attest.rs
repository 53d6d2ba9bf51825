//! Apple App Attest over HTTP: an iOS enrolment carrying an attestation
//! object made by a test CA that stands in for Apple's root, then reports
//! carrying assertions, each refused for its own reason when it is wrong.

use agent_core::keys::{DeviceSigner, SoftwareSigner};
use agent_core::protocol::app_attest::{enrol_client_data_hash, report_client_data_hash};
use agent_core::protocol::{
    AppAttestEnvironment, AssuranceLevel, EnrolResponse, EnrolmentCode, FactProvenance,
    FleetDevice, Nonce, Provenance, content_types, paths,
};
use agent_core::token::{Claims, sign};
use agent_core::transport::HttpResponse;
use agent_core::{Platform, Posture, evaluate};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use posture_attestation::app_attest::AAGUID_DEVELOPMENT;
use posture_attestation::app_attest::testing::{Spec, TestCa, TestDevice};
use posture_collector::{
    AppAttestConfig, AttestationConfig, CollectorConfig, RunningCollector,
    app_attest_roots_from_pem_file, spawn_local,
};
use time::OffsetDateTime;

use crate::common::*;

const APP_ID: &str = "ABCDE12345.org.example.posture";

/// A collector verifying App Attest for [`APP_ID`] under `ca`'s root, read
/// from a PEM file as `serve --app-attest-root` does.
fn start_app_attest(ca: &TestCa, tweak: impl FnOnce(&mut AttestationConfig)) -> RunningCollector {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("app-attest-root.pem");
    std::fs::write(&pem, ca.root_pem()).unwrap();
    let mut app_attest = AppAttestConfig::apple(APP_ID).unwrap();
    app_attest.roots = app_attest_roots_from_pem_file(&pem).unwrap();
    let mut attestation = AttestationConfig {
        app_attest: Some(app_attest),
        ..AttestationConfig::default()
    };
    tweak(&mut attestation);
    spawn_local(CollectorConfig {
        attestation,
        ..config()
    })
    .unwrap()
}

/// An iPhone: its device key (software here) and its App Attest key.
struct Phone {
    signer: SoftwareSigner,
    app_key: TestDevice,
}

impl Phone {
    fn new() -> Phone {
        Phone {
            signer: SoftwareSigner::ephemeral().unwrap(),
            app_key: TestDevice::new().unwrap(),
        }
    }

    /// The attestation object `ca` makes for this phone's App Attest key,
    /// bound to `code` and the device key as protocol §5.1 says.
    fn object(&self, ca: &TestCa, code: &str, spec: &Spec) -> Vec<u8> {
        let hash = enrol_client_data_hash(
            &EnrolmentCode::new(code),
            &self.signer.public_jwk().unwrap(),
        );
        ca.attest(&self.app_key, &hash, spec).unwrap()
    }

    fn body(&self, code: &str, object: Option<&[u8]>) -> Vec<u8> {
        let mut body = serde_json::json!({
            "code": code, "jwk": self.signer.public_jwk().unwrap(),
            "platform": "ios", "agent_version": "0.1.0"
        });
        if let Some(object) = object {
            body["app_attest"] = serde_json::json!({
                "key_id": STANDARD.encode(self.app_key.key_id()),
                "attestation": STANDARD.encode(object),
            });
        }
        serde_json::to_vec(&body).unwrap()
    }
}

fn enrol(c: &RunningCollector, body: Vec<u8>) -> HttpResponse {
    post(c.url(), paths::ENROL, content_types::JSON, body)
}

fn enrolled(r: &HttpResponse) -> EnrolResponse {
    assert_eq!(r.status, 201, "{r:?}");
    serde_json::from_slice(&r.body).unwrap()
}

fn assert_rejected(r: &HttpResponse, needle: &str) {
    let p = assert_problem(r, 403, "key-attestation-rejected");
    let detail = p.detail.unwrap_or_default();
    assert!(detail.contains(needle), "{detail:?} lacks {needle:?}");
}

fn fleet_row(c: &RunningCollector, device_id: &str) -> FleetDevice {
    c.collector()
        .fleet_summary(None)
        .unwrap()
        .devices
        .into_iter()
        .find(|d| d.device_id.as_str() == device_id)
        .unwrap()
}

/// An iPhone enrolled with a valid App Attest object from `ca`.
fn enrol_attested_iphone(c: &RunningCollector, ca: &TestCa) -> (Phone, EnrolResponse) {
    let phone = Phone::new();
    let code = issue_code(c);
    let object = phone.object(ca, &code, &Spec::valid(APP_ID, OffsetDateTime::now_utc()));
    let e = enrolled(&enrol(c, phone.body(&code, Some(&object))));
    (phone, e)
}

fn ios_posture() -> Posture {
    let mut json = serde_json::to_value(posture(Shape::Compliant)).unwrap();
    json["platform"] = "ios".into();
    Posture::from_json(&json.to_string()).unwrap()
}

/// A report answering `nonce` whose `app_attest` claim is what `assertion`
/// makes of the report's client data hash.
fn report(
    phone: &Phone,
    device_id: &str,
    nonce: &Nonce,
    assertion: impl FnOnce(&[u8; 32]) -> Vec<u8>,
) -> String {
    let now = OffsetDateTime::now_utc();
    let posture = ios_posture();
    let verdict = evaluate(&posture, &test_policy(), now);
    let device_id = agent_core::protocol::DeviceId::new(device_id).unwrap();
    let mut claims = Claims::new(nonce.clone(), &device_id, posture, verdict, now).unwrap();
    let hash = report_client_data_hash(claims.eat_nonce.as_str(), claims.jti.as_str());
    claims.app_attest = Some(URL_SAFE_NO_PAD.encode(assertion(&hash)));
    sign(&claims, &phone.signer).unwrap()
}

fn send_report(c: &RunningCollector, token: &str) -> HttpResponse {
    post(
        c.url(),
        paths::REPORTS,
        content_types::EAT_JWT,
        token.as_bytes().to_vec(),
    )
}

/// The next nonce from an accepted report's answer.
fn accepted(r: &HttpResponse) -> Nonce {
    assert_eq!(r.status, 201, "{r:?}");
    let ack: agent_core::protocol::ReportAck = serde_json::from_slice(&r.body).unwrap();
    ack.nonce
}

#[test]
fn an_attested_iphone_enrols_as_hardware_and_its_assertions_must_count_up() {
    let ca = TestCa::new().unwrap();
    let c = start_app_attest(&ca, |_| {});
    let (phone, e) = enrol_attested_iphone(&c, &ca);
    let id = e.device_id.as_str().to_owned();

    let row = fleet_row(&c, &id);
    assert_eq!(row.platform, Platform::Ios);
    assert_eq!(row.provenance, Some(Provenance::Hardware));
    let summary = row.app_attest.unwrap();
    assert_eq!(summary.environment, AppAttestEnvironment::Production);
    assert_eq!(summary.counter, 0);

    // Counters that rise, not necessarily by one, are accepted and kept.
    let app = &phone.app_key;
    let nonce = accepted(&send_report(
        &c,
        &report(&phone, &id, &e.nonce, |h| app.assert(APP_ID, 1, h).unwrap()),
    ));
    let row = fleet_row(&c, &id);
    assert_eq!(row.app_attest.unwrap().counter, 1);
    // The asserted report's OS facts rank as `os`: App Attest vouches for
    // the app on genuine hardware, not for any OS value.
    assert_eq!(row.assurance, Some(AssuranceLevel::Os), "{:?}", row.facts);
    let lock = row.facts.iter().find(|f| f.fact == "screen_lock");
    let lock = lock.unwrap_or_else(|| panic!("{:?}", row.facts));
    assert_eq!(lock.provenance, FactProvenance::Os);
    let nonce = accepted(&send_report(
        &c,
        &report(&phone, &id, &nonce, |h| app.assert(APP_ID, 5, h).unwrap()),
    ));
    assert_eq!(fleet_row(&c, &id).app_attest.unwrap().counter, 5);

    // A replayed counter, a lower one, another key, a broken signature and
    // another app's assertion: each refused with its reason, none stored.
    let replayed = report(&phone, &id, &nonce, |h| app.assert(APP_ID, 5, h).unwrap());
    assert_rejected(
        &send_report(&c, &replayed),
        "counter 5 is not greater than the last one accepted (5)",
    );
    let lower = report(&phone, &id, &nonce, |h| app.assert(APP_ID, 3, h).unwrap());
    assert_rejected(
        &send_report(&c, &lower),
        "counter 3 is not greater than the last one accepted (5)",
    );
    let stranger = TestDevice::new().unwrap();
    let wrong_key = report(&phone, &id, &nonce, |h| {
        stranger.assert(APP_ID, 6, h).unwrap()
    });
    assert_rejected(
        &send_report(&c, &wrong_key),
        "signature does not verify under the attested key",
    );
    let tampered = report(&phone, &id, &nonce, |h| {
        let mut bytes = app.assert(APP_ID, 7, h).unwrap();
        // The byte before the authenticatorData key ends the DER signature.
        let key = b"\x71authenticatorData";
        let at = bytes.windows(key.len()).position(|w| w == key).unwrap();
        bytes[at - 1] ^= 0x01;
        bytes
    });
    assert_rejected(
        &send_report(&c, &tampered),
        "signature does not verify under the attested key",
    );
    let other_app = report(&phone, &id, &nonce, |h| {
        app.assert("ABCDE12345.org.example.other", 8, h).unwrap()
    });
    assert_rejected(&send_report(&c, &other_app), "another app");
    // Made over other client data (another jti): the signature fails.
    let other_data = report(&phone, &id, &nonce, |_| {
        app.assert(APP_ID, 9, &report_client_data_hash(nonce.as_str(), "other"))
            .unwrap()
    });
    assert_rejected(
        &send_report(&c, &other_data),
        "signature does not verify under the attested key",
    );
    assert_eq!(fleet_row(&c, &id).app_attest.unwrap().counter, 5);

    // The nonce was not spent by the refusals: a good assertion still counts.
    accepted(&send_report(
        &c,
        &report(&phone, &id, &nonce, |h| app.assert(APP_ID, 6, h).unwrap()),
    ));
    assert_eq!(fleet_row(&c, &id).app_attest.unwrap().counter, 6);

    // The wire names, as an admin client reads them.
    let r = send(
        agent_core::transport::HttpRequest::get(format!("{}{}", c.url(), paths::FLEET))
            .with_header("authorization", &format!("Bearer {}", c.admin_token())),
    );
    let fleet: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let device = fleet["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device_id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(device["provenance"], "hardware");
    assert_eq!(device["app_attest"]["environment"], "production");
    assert_eq!(device["app_attest"]["counter"], 6);
}

#[test]
fn an_object_for_other_client_data_another_app_or_an_untrusted_root_is_refused() {
    let ca = TestCa::new().unwrap();
    let c = start_app_attest(&ca, |_| {});
    let now = OffsetDateTime::now_utc();
    let phone = Phone::new();

    // Made for another code: the nonce does not match this enrolment.
    let code = issue_code(&c);
    let other_code = issue_code(&c);
    let object = phone.object(&ca, &other_code, &Spec::valid(APP_ID, now));
    assert_rejected(&enrol(&c, phone.body(&code, Some(&object))), "nonce");

    let other_app = Spec::valid("ABCDE12345.org.example.other", now);
    let object = phone.object(&ca, &code, &other_app);
    assert_rejected(&enrol(&c, phone.body(&code, Some(&object))), "another app");

    let stranger = TestCa::new().unwrap();
    let object = phone.object(&stranger, &code, &Spec::valid(APP_ID, now));
    assert_rejected(
        &enrol(&c, phone.body(&code, Some(&object))),
        "not issued by a trusted App Attest root",
    );

    let development = Spec {
        aaguid: AAGUID_DEVELOPMENT,
        ..Spec::valid(APP_ID, now)
    };
    let object = phone.object(&ca, &code, &development);
    assert_rejected(
        &enrol(&c, phone.body(&code, Some(&object))),
        "development environment",
    );

    // The code was not burnt by the refusals; a development key is
    // accepted where allowed, and labelled.
    let allowing = start_app_attest(&ca, |a| {
        if let Some(app_attest) = &mut a.app_attest {
            app_attest.allow_development = true;
        }
    });
    let code = issue_code(&allowing);
    let object = phone.object(&ca, &code, &development);
    let e = enrolled(&enrol(&allowing, phone.body(&code, Some(&object))));
    let row = fleet_row(&allowing, e.device_id.as_str());
    assert_eq!(
        row.app_attest.unwrap().environment,
        AppAttestEnvironment::Development
    );

    let code = issue_code(&c);
    let object = phone.object(&ca, &code, &Spec::valid(APP_ID, now));
    enrolled(&enrol(&c, phone.body(&code, Some(&object))));
}

#[test]
fn required_app_attest_refuses_an_iphone_without_it_and_only_iphones() {
    let ca = TestCa::new().unwrap();
    let c = start_app_attest(&ca, |a| a.required_for = vec![Platform::Ios]);
    let phone = Phone::new();
    let code = issue_code(&c);
    assert_rejected(
        &enrol(&c, phone.body(&code, None)),
        "requires Apple App Attest for ios enrolments",
    );
    // The same code, now with the object.
    let object = phone.object(&ca, &code, &Spec::valid(APP_ID, OffsetDateTime::now_utc()));
    let e = enrolled(&enrol(&c, phone.body(&code, Some(&object))));
    assert_eq!(
        fleet_row(&c, e.device_id.as_str()).provenance,
        Some(Provenance::Hardware)
    );
    // An Android enrolment is not asked for App Attest.
    Device::enrol(&c);

    // Required without an App ID: the collector does not start.
    let err = spawn_local(CollectorConfig {
        attestation: AttestationConfig {
            required_for: vec![Platform::Ios],
            ..AttestationConfig::default()
        },
        ..config()
    })
    .err()
    .unwrap();
    assert!(err.to_string().contains("--app-attest-app-id"), "{err}");
}

#[test]
fn an_assertion_from_an_iphone_enrolled_without_app_attest_is_refused() {
    let ca = TestCa::new().unwrap();
    let c = start_app_attest(&ca, |_| {});
    let phone = Phone::new();
    let code = issue_code(&c);
    let e = enrolled(&enrol(&c, phone.body(&code, None)));
    let id = e.device_id.as_str().to_owned();
    assert_eq!(fleet_row(&c, &id).app_attest, None);
    let app = &phone.app_key;
    let token = report(&phone, &id, &e.nonce, |h| app.assert(APP_ID, 1, h).unwrap());
    assert_rejected(
        &send_report(&c, &token),
        "the device enrolled without App Attest",
    );
}

#[test]
fn an_attested_iphones_report_without_an_assertion_is_only_self_reported() {
    let ca = TestCa::new().unwrap();
    let c = start_app_attest(&ca, |_| {});
    let (phone, e) = enrol_attested_iphone(&c, &ca);
    let id = e.device_id.as_str().to_owned();

    // Nothing is lost: the report is stored, but with nothing to vouch for
    // it, its facts are the device's word alone.
    let now = OffsetDateTime::now_utc();
    let posture = ios_posture();
    let verdict = evaluate(&posture, &test_policy(), now);
    let sub = agent_core::protocol::DeviceId::new(id.as_str()).unwrap();
    let claims = Claims::new(e.nonce.clone(), &sub, posture, verdict, now).unwrap();
    accepted(&send_report(&c, &sign(&claims, &phone.signer).unwrap()));
    let row = fleet_row(&c, &id);
    assert_eq!(row.provenance, Some(Provenance::Hardware));
    assert_eq!(
        row.assurance,
        Some(AssuranceLevel::SelfReported),
        "{:?}",
        row.facts
    );
    assert!(
        row.facts
            .iter()
            .all(|f| f.provenance != FactProvenance::Os && f.provenance != FactProvenance::Hardware),
        "{:?}",
        row.facts
    );
}

#[test]
fn the_evidence_counts_an_app_attested_iphone_as_hardware_attested() {
    let ca = TestCa::new().unwrap();
    let c = start_app_attest(&ca, |_| {});
    let (phone, e) = enrol_attested_iphone(&c, &ca);
    let nonce = accepted(&send_report(
        &c,
        &report(&phone, e.device_id.as_str(), &e.nonce, |h| {
            phone.app_key.assert(APP_ID, 1, h).unwrap()
        }),
    ));
    assert!(!nonce.as_str().is_empty());
    // An Android device without attestation beside it.
    let mut plain = Device::enrol(&c);
    plain.check_in(&c, Shape::Compliant);

    let today = OffsetDateTime::now_utc().date();
    let period = posture_collector::evidence::Period::new(today, today).unwrap();
    let report = c.collector().evidence(&period).unwrap();
    assert_eq!(
        (report.period.devices, report.period.hardware_attested),
        (2, 1)
    );
    let locked = report
        .period
        .figure(posture_collector::evidence::FigureKind::Locked)
        .unwrap();
    assert_eq!(
        (locked.devices, locked.pass, locked.hardware_attested),
        (2, 2, 1)
    );
}
