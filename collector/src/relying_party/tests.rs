use axum::http::{HeaderMap, HeaderValue};

use super::*;

/// The lowercase hex SHA-256 of a token, as the file gives it.
fn digest_hex(token: &str) -> String {
    digest(&SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn parties() -> RelyingParties {
    let doc = serde_json::json!({"relying_parties": [
        {"name": "ztna", "scopes": ["compliance:read"], "token_sha256": digest_hex("reader-token")},
        {"name": "other", "scopes": ["cloudflare:posture"], "token_sha256": digest_hex("other-token")},
        {"name": "cf", "scopes": ["cloudflare:posture"], "token_sha256": digest_hex("cf-secret"),
         "access_client_id": "abc.access"}
    ]});
    RelyingParties::parse(&doc.to_string(), "test").unwrap()
}

fn bearer(token: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    h
}

#[test]
fn a_token_is_found_by_its_digest_and_its_scopes_are_checked() {
    let p = parties();
    let party = p
        .authorize(&bearer("reader-token"), "compliance:read")
        .unwrap();
    assert_eq!(party.name(), "ztna");
    let e = p
        .authorize(&bearer("other-token"), "compliance:read")
        .unwrap_err();
    assert_eq!(e.kind(), Some(ProblemKind::InsufficientScope));
    for headers in [bearer("wrong"), bearer("reader-tokeN"), HeaderMap::new()] {
        let e = p.authorize(&headers, "compliance:read").unwrap_err();
        assert_eq!(e.kind(), Some(ProblemKind::Unauthorized));
    }
}

#[test]
fn a_service_token_needs_its_client_id_too() {
    let p = parties();
    let mut h = HeaderMap::new();
    h.insert(
        "cf-access-client-secret",
        HeaderValue::from_static("cf-secret"),
    );
    let e = p.authorize(&h, "cloudflare:posture").unwrap_err();
    assert_eq!(e.kind(), Some(ProblemKind::Unauthorized));
    h.insert(
        "cf-access-client-id",
        HeaderValue::from_static("xyz.access"),
    );
    assert!(p.authorize(&h, "cloudflare:posture").is_err());
    h.insert(
        "cf-access-client-id",
        HeaderValue::from_static("abc.access"),
    );
    assert_eq!(p.authorize(&h, "cloudflare:posture").unwrap().name(), "cf");
}

#[test]
fn bad_files_are_refused_naming_the_field() {
    let cases = [
        (
            r#"{"relying_parties": [{"name": "a", "scopes": ["admin"], "token_sha256": "00"}]}"#,
            "unknown scope",
        ),
        (
            r#"{"relying_parties": [{"name": "a", "scopes": [], "token_sha256": "00"}]}"#,
            "at least one scope",
        ),
        (
            r#"{"relying_parties": [{"name": "a", "scopes": ["compliance:read"], "token_sha256": "zz"}]}"#,
            "token_sha256",
        ),
        (
            r#"{"relying_parties": [{"name": "a", "scopes": ["compliance:read"], "token": "x"}]}"#,
            "unknown field",
        ),
        (r#"{"parties": []}"#, "unknown field"),
    ];
    for (doc, want) in cases {
        let e = RelyingParties::parse(doc, "f.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains(want) && e.starts_with("f.json"), "{doc}: {e}");
    }
    let twice = serde_json::json!({"relying_parties": [
        {"name": "a", "scopes": ["compliance:read"], "token_sha256": digest_hex("t")},
        {"name": "b", "scopes": ["compliance:read"], "token_sha256": digest_hex("t")}
    ]});
    let e = RelyingParties::parse(&twice.to_string(), "f").unwrap_err();
    assert!(e.to_string().contains("two relying parties"), "{e}");
}

#[test]
fn debug_output_shows_no_digest() {
    let shown = format!("{:?}", parties());
    assert!(shown.contains("ztna"));
    assert!(!shown.contains(&digest_hex("reader-token")[..16]));
    assert!(!shown.contains("token_sha256"));
}

#[test]
fn links_are_checked() {
    let ok = GatewayLinks::parse(
        r#"{"cloudflare": {"9ece5fab-7398-488a-a575-e25a9a3dec07": "dev_abc"}}"#,
        "l",
    )
    .unwrap();
    assert_eq!(ok.cloudflare.len(), 1);
    assert!(ok.tailscale.is_empty());
    for bad in [
        r#"{"cloudflare": {"x": "not a device"}}"#,
        r#"{"cloudflare": {"": "dev_abc"}}"#,
        r#"{"zscaler": {}}"#,
    ] {
        assert!(GatewayLinks::parse(bad, "l").is_err(), "{bad}");
    }
}
