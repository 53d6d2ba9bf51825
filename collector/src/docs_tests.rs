//! The specification and this collector must not drift apart: every
//! problem type the collector can send is documented in protocol.md and
//! openapi.yaml, and the numbers the documents give are the code's.
//! (Which status each route sends is checked by the API tests, on every
//! answer they provoke.)

use std::path::Path;

use agent_core::protocol::{DeviceId, ProblemKind, RequestPurpose, limits};
use agent_core::token::{
    DEFAULT_LIFETIME_SECS, MAX_REQUEST_LIFETIME_SECS, Nonce, Verifier, request_claims,
};

use crate::collector::{MAX_CODE_TTL_SECS, MAX_CODES};
use crate::config::CollectorConfig;
use crate::connection::{FALLBACK_MAX_CONNECTIONS, REFUSAL_RETRY_AFTER_SECS};
use crate::server::{BODY_READ_TIMEOUT, HANDSHAKE_TIMEOUT, HEADER_READ_TIMEOUT};

const PROTOCOL_MD: &str = include_str!("../../docs/protocol.md");
const EAT_PROFILE_MD: &str = include_str!("../../docs/eat-profile.md");
const OPENAPI_YAML: &str = include_str!("../../docs/openapi.yaml");

/// The text with every run of whitespace made one space, so a phrase can
/// be found across a line break.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `n` with its thousands grouped by spaces, as the documents write them.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn assert_says(doc: &str, name: &str, phrase: &str) {
    assert!(
        flat(doc).contains(&flat(phrase)),
        "{name} should say {phrase:?}"
    );
}

/// Every `ProblemKind::X` named in the collector's source.
fn kinds_in_source() -> Vec<ProblemKind> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut sources = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut sources,
    );
    let mut kinds = Vec::new();
    for source in &sources {
        for (i, prefix) in source.match_indices("ProblemKind::") {
            let rest = &source[i + prefix.len()..];
            let name: String = rest
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            if let Some(kind) = ProblemKind::ALL.iter().find(|k| format!("{k:?}") == name)
                && !kinds.contains(kind)
            {
                kinds.push(*kind);
            }
        }
    }
    kinds
}

#[test]
fn every_problem_the_collector_sends_is_documented() {
    let kinds = kinds_in_source();
    // The scan found the collector's problems, not nothing.
    for expected in [
        ProblemKind::InvalidToken,
        ProblemKind::Unauthorized,
        ProblemKind::Unavailable,
        ProblemKind::RateLimited,
        ProblemKind::InvalidNonce,
    ] {
        assert!(
            kinds.contains(&expected),
            "{expected:?} not found in the source"
        );
    }
    for kind in kinds {
        let (slug, status) = (kind.slug(), kind.status());
        assert!(
            PROTOCOL_MD.contains(&format!("| `{slug}` | {status} |")),
            "protocol.md section 9 has no row for {slug} ({status})"
        );
        assert!(
            OPENAPI_YAML.contains(&format!("- {}", kind.type_uri())),
            "openapi.yaml's ProblemType does not list {slug}"
        );
        // Unknown paths and methods have no operation: the description
        // gives them.
        let documented = if matches!(kind, ProblemKind::NotFound | ProblemKind::MethodNotAllowed) {
            flat(OPENAPI_YAML).contains(&format!("{status} {slug}"))
        } else {
            OPENAPI_YAML.contains(&format!("\"{status}\": {{ $ref:"))
        };
        assert!(
            documented,
            "openapi.yaml gives status {status} ({slug}) nowhere"
        );
    }
}

#[test]
fn the_documents_give_the_codes_time_limits() {
    let skew = limits::CLOCK_SKEW_SECS;
    assert_eq!(Verifier::default().skew_secs, skew as i64);
    assert_says(
        PROTOCOL_MD,
        "protocol.md",
        &format!("Servers tolerate {skew} s of clock difference"),
    );
    assert_says(
        PROTOCOL_MD,
        "protocol.md",
        &format!("`iat <= now + {skew}` (`future-token`)"),
    );
    assert_says(
        PROTOCOL_MD,
        "protocol.md",
        &format!("agent-core's verifier uses the same {skew} s by default"),
    );
    assert_says(
        EAT_PROFILE_MD,
        "eat-profile.md",
        &format!("the skew is protocol v1's {skew} s by default"),
    );
    assert!(
        !flat(EAT_PROFILE_MD).contains("skew 60"),
        "eat-profile.md still gives 60 s"
    );

    let request = limits::MAX_REQUEST_TOKEN_SECS;
    assert_eq!(MAX_REQUEST_LIFETIME_SECS, request as i64);
    assert_says(
        PROTOCOL_MD,
        "protocol.md",
        &format!("`iat < exp` and `exp - iat <= {request}`"),
    );
    assert_says(
        OPENAPI_YAML,
        "openapi.yaml",
        &format!("After iat and at most {request} seconds after it."),
    );
    let claims = request_claims(
        &DeviceId::new("dev_x").unwrap(),
        RequestPurpose::Challenge,
        None,
        time::OffsetDateTime::now_utc(),
    )
    .unwrap();
    assert_says(
        PROTOCOL_MD,
        "protocol.md",
        &format!("the agent uses {} s", claims.exp - claims.iat),
    );
    assert_says(
        EAT_PROFILE_MD,
        "eat-profile.md",
        &format!("the agent uses `iat` + {DEFAULT_LIFETIME_SECS} s"),
    );

    let nonce_hours = limits::MAX_NONCE_LIFETIME_SECS / 3600;
    assert_says(
        PROTOCOL_MD,
        "protocol.md",
        &format!("A nonce lives at most {nonce_hours} hours"),
    );
    assert_eq!(
        CollectorConfig::default().nonce_lifetime.as_secs(),
        limits::MAX_NONCE_LIFETIME_SECS
    );
    assert_says(
        PROTOCOL_MD,
        "protocol.md",
        &format!("the reference collector's default is exactly {nonce_hours} hours"),
    );
    let issued = Nonce::random().unwrap().as_str().len();
    assert_says(
        PROTOCOL_MD,
        "protocol.md",
        &format!("the reference collector issues 32 random bytes ({issued} base64url characters)"),
    );

    let days = limits::MAX_HISTORICAL_AGE_SECS / 86_400;
    assert_says(
        PROTOCOL_MD,
        "protocol.md",
        &format!("`iat` no older than {days} days (`expired-token`)"),
    );
    assert_says(
        EAT_PROFILE_MD,
        "eat-profile.md",
        &format!("as long as `iat` is at most {days} days old"),
    );
}

#[test]
fn the_documents_give_the_codes_sizes_and_ranges() {
    let body = limits::MAX_BODY_BYTES as u64;
    assert_says(
        PROTOCOL_MD,
        "protocol.md",
        &format!("at most **{} bytes**", grouped(body)),
    );
    assert_says(
        OPENAPI_YAML,
        "openapi.yaml",
        &format!("limited to {body} bytes"),
    );
    assert_says(OPENAPI_YAML, "openapi.yaml", &format!("maxLength: {body}"));

    assert_says(
        PROTOCOL_MD,
        "protocol.md",
        &format!("`count` is 1 to {MAX_CODES}"),
    );
    let ttl_default = CollectorConfig::default().code_ttl.as_secs();
    assert_says(
        PROTOCOL_MD,
        "protocol.md",
        &format!(
            "`ttl_secs` defaults to {} and is 60 to {} ({} days)",
            grouped(ttl_default),
            grouped(MAX_CODE_TTL_SECS),
            MAX_CODE_TTL_SECS / 86_400
        ),
    );
    assert_says(
        OPENAPI_YAML,
        "openapi.yaml",
        &format!("count: {{ type: integer, minimum: 1, maximum: {MAX_CODES},"),
    );
    assert_says(
        OPENAPI_YAML,
        "openapi.yaml",
        &format!("minimum: 60, maximum: {MAX_CODE_TTL_SECS}, default: {ttl_default},"),
    );
    assert_says(
        OPENAPI_YAML,
        "openapi.yaml",
        &format!(
            "schema: {{ type: integer, minimum: 1, maximum: {} }}",
            u64::MAX
        ),
    );
}

#[test]
fn the_documents_give_the_servers_timeouts_and_limits() {
    let secs = |d: std::time::Duration| d.as_secs();
    assert_says(
        PROTOCOL_MD,
        "protocol.md",
        &format!(
            "gives a client {} s for the request line and headers",
            secs(HEADER_READ_TIMEOUT)
        ),
    );
    assert_says(
        PROTOCOL_MD,
        "protocol.md",
        &format!("and {} s for the body after them", secs(BODY_READ_TIMEOUT)),
    );
    assert_says(
        PROTOCOL_MD,
        "protocol.md",
        &format!(
            "A TLS handshake must finish within {} s",
            secs(HANDSHAKE_TIMEOUT)
        ),
    );
    assert_says(
        PROTOCOL_MD,
        "protocol.md",
        &format!("({FALLBACK_MAX_CONNECTIONS} when the limit is unknown)"),
    );
    assert_says(
        PROTOCOL_MD,
        "protocol.md",
        &format!("`Retry-After: {REFUSAL_RETRY_AFTER_SECS}`"),
    );
    assert_says(
        OPENAPI_YAML,
        "openapi.yaml",
        &format!(
            "request line and headers take over {} s, or the body over {} s more",
            secs(HEADER_READ_TIMEOUT),
            secs(BODY_READ_TIMEOUT)
        ),
    );
}

#[test]
fn grouping_matches_the_documents() {
    assert_eq!(grouped(65_536), "65 536");
    assert_eq!(grouped(2_592_000), "2 592 000");
    assert_eq!(grouped(100), "100");
}
