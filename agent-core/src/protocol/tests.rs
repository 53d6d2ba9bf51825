use serde::Serialize;
use serde::de::DeserializeOwned;
use time::macros::datetime;

use super::*;
use crate::policy::Policy;
use crate::posture::{Platform, Posture};

const PROTOCOL_MD: &str = include_str!("../../../docs/protocol.md");
const OPENAPI_YAML: &str = include_str!("../../../docs/openapi.yaml");

/// Every `<!-- example: NAME -->` comment followed by a ```json block.
fn doc_examples() -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    let mut rest = PROTOCOL_MD;
    while let Some(start) = rest.find("<!-- example: ") {
        rest = &rest[start + "<!-- example: ".len()..];
        let end = rest.find(" -->").unwrap();
        let name = &rest[..end];
        let open = rest.find("```json\n").unwrap();
        let body = &rest[open + "```json\n".len()..];
        let close = body.find("\n```").unwrap();
        out.push((name, &body[..close]));
        rest = &body[close..];
    }
    out
}

/// Parses `json` as `T`, and checks that serialising it again keeps every
/// member the example had (so no field is silently dropped).
fn parses_as<T: DeserializeOwned + Serialize>(name: &str, json: &str) {
    let value: T = serde_json::from_str(json).unwrap_or_else(|e| panic!("{name}: {e}"));
    let again = serde_json::to_value(&value).unwrap();
    let original: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(
        strip_nulls(original),
        strip_nulls(again),
        "{name} does not round-trip"
    );
}

fn strip_nulls(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(strip_nulls).collect())
        }
        other => other,
    }
}

#[test]
fn every_doc_example_parses_into_its_type() {
    let examples = doc_examples();
    assert!(
        examples.len() >= 13,
        "only {} examples found",
        examples.len()
    );
    for (name, json) in examples {
        match name {
            "EnrolRequest" => parses_as::<EnrolRequest>(name, json),
            "EnrolResponse" => parses_as::<EnrolResponse>(name, json),
            "ChallengeResponse" => parses_as::<ChallengeResponse>(name, json),
            "ReportAck" => parses_as::<ReportAck>(name, json),
            "UnenrolResponse" => parses_as::<UnenrolResponse>(name, json),
            "DeviceRequestClaims" => parses_as::<DeviceRequestClaims>(name, json),
            "Problem" => parses_as::<Problem>(name, json),
            "IssueCodesRequest" => parses_as::<IssueCodesRequest>(name, json),
            "IssueCodesResponse" => parses_as::<IssueCodesResponse>(name, json),
            "FleetSummary" => parses_as::<FleetSummary>(name, json),
            "ExportRecord" => parses_as::<ExportRecord>(name, json),
            "jws-header" => {
                let header: serde_json::Value = serde_json::from_str(json).unwrap();
                assert_eq!(header["alg"], "ES256");
                assert_eq!(header["typ"], names::EAT_TYP);
            }
            "report-claims" => {
                let claims = crate::token::parse_claims(json.as_bytes()).unwrap();
                assert_eq!(claims.eat_profile, names::EAT_PROFILE);
            }
            other => panic!("example {other:?} has no type in this test"),
        }
    }
}

#[test]
fn doc_problem_table_matches_problem_kinds() {
    let table = PROTOCOL_MD.split("<!-- problem-table -->").nth(1).unwrap();
    let rows: Vec<Vec<&str>> = table
        .lines()
        .skip(3)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.split('|').map(str::trim).collect())
        .collect();
    assert_eq!(rows.len(), ProblemKind::ALL.len());
    for (row, kind) in rows.iter().zip(ProblemKind::ALL) {
        assert_eq!(row[1], format!("`{}`", kind.slug()));
        assert_eq!(row[2], kind.status().to_string());
        assert_eq!(row[3], kind.title());
    }
}

#[test]
fn openapi_names_every_path_and_problem() {
    for path in [
        paths::ENROL,
        paths::CHALLENGE,
        paths::REPORTS,
        paths::UNENROL,
        paths::FLEET,
        paths::REPORTS_EXPORT,
        paths::ENROLMENT_CODES,
    ] {
        assert!(OPENAPI_YAML.contains(&format!("  {path}:")), "{path}");
    }
    for kind in ProblemKind::ALL {
        assert!(OPENAPI_YAML.contains(kind.slug()), "{}", kind.slug());
    }
}

#[test]
fn doc_jws_header_kid_is_the_example_keys_thumbprint() {
    let examples = doc_examples();
    let find = |n: &str| examples.iter().find(|(name, _)| *name == n).unwrap().1;
    let header: serde_json::Value = serde_json::from_str(find("jws-header")).unwrap();
    let enrol: EnrolRequest = serde_json::from_str(find("EnrolRequest")).unwrap();
    enrol.jwk.to_sec1().unwrap();
    assert_eq!(header["kid"], enrol.jwk.thumbprint());
}

#[test]
fn problem_kinds_round_trip_through_type_uris() {
    for kind in ProblemKind::ALL {
        let problem = Problem::new(*kind, "detail");
        assert_eq!(problem.kind(), Some(*kind));
        assert!(problem.type_uri.starts_with(PROBLEM_BASE_URI));
        let json = serde_json::to_string(&problem).unwrap();
        assert!(json.contains("\"type\":"));
        assert_eq!(serde_json::from_str::<Problem>(&json).unwrap(), problem);
    }
    assert_eq!(ProblemKind::from_type_uri("about:blank"), None);
    assert!(ProblemKind::RateLimited.is_retryable());
    assert!(!ProblemKind::BadSignature.is_retryable());
}

#[test]
fn problem_without_type_is_about_blank() {
    let p: Problem = serde_json::from_str(r#"{"title":"Teapot","status":418}"#).unwrap();
    assert_eq!(p.type_uri, "about:blank");
    assert_eq!(p.kind(), None);
    assert_eq!(p.to_string(), "Teapot (418)");
}

#[test]
fn enrolment_code_is_redacted_in_debug() {
    let req = EnrolRequest {
        code: EnrolmentCode::new("K7PM-3QXD-9WTR"),
        jwk: crate::keys::PublicJwk::from_json(
            r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#,
        )
        .unwrap(),
        key_attestation: Vec::new(),
        app_attest: None,
        platform: Platform::Linux,
        agent_version: crate::AGENT_VERSION.to_owned(),
    };
    assert!(!format!("{req:?}").contains("K7PM"));
    let json = serde_json::to_string(&req).unwrap();
    assert!(json.contains("K7PM-3QXD-9WTR"));
    assert!(!json.contains("key_attestation"), "empty chain is left out");
    assert!(!json.contains("app_attest"), "no App Attest is left out");
    assert_eq!(serde_json::from_str::<EnrolRequest>(&json).unwrap(), req);
}

#[test]
fn report_ack_round_trips_with_and_without_policy() {
    let now = datetime!(2026-11-20 09:30:00 UTC);
    let policy = Policy::default_policy();
    let posture = Posture::unknown(Platform::Android, "test", now);
    let mut ack = ReportAck {
        jti: Jti::new("j1").unwrap(),
        accepted_at: now,
        verdict: crate::evaluate(&posture, &policy, now),
        freshness: Freshness::Historical,
        policy: None,
        nonce: Nonce::new("nonce-0001").unwrap(),
        nonce_expires_at: now,
        next_checkin_at: now,
        attestation_result: None,
        key_attestation_requested: false,
    };
    let json = serde_json::to_string(&ack).unwrap();
    assert!(!json.contains("\"policy\":{\"schema_version\""));
    assert!(
        !json.contains("key_attestation_requested"),
        "false is left out"
    );
    assert!(json.contains("\"freshness\":\"historical\""));
    assert_eq!(serde_json::from_str::<ReportAck>(&json).unwrap(), ack);
    ack.policy = Some(policy);
    ack.key_attestation_requested = true;
    let json = serde_json::to_string(&ack).unwrap();
    assert!(json.contains("\"key_attestation_requested\":true"));
    assert_eq!(serde_json::from_str::<ReportAck>(&json).unwrap(), ack);
}

#[test]
fn unknown_members_are_ignored() {
    let r: ChallengeResponse = serde_json::from_str(
        r#"{"nonce":"nonce-0001","nonce_expires_at":"2026-11-20T09:30:00Z","added_in_v1_1":true}"#,
    )
    .unwrap();
    assert_eq!(r.nonce.as_str(), "nonce-0001");
}

#[test]
fn request_purpose_and_optional_nonce() {
    let claims = DeviceRequestClaims {
        sub: DeviceId::new("d").unwrap(),
        purpose: RequestPurpose::Challenge,
        iat: 1,
        exp: 2,
        jti: Jti::new("j").unwrap(),
        eat_nonce: None,
    };
    let json = serde_json::to_string(&claims).unwrap();
    assert_eq!(
        json,
        r#"{"sub":"d","purpose":"challenge","iat":1,"exp":2,"jti":"j"}"#
    );
}
