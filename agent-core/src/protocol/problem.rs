//! RFC 9457 problem details: every error a v1 server returns.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Prefix of every problem `type` URI this protocol defines.
pub const PROBLEM_BASE_URI: &str = "https://posture-agent.dev/problems/";

/// An `application/problem+json` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The problem type URI (`about:blank` when absent, per RFC 9457).
    #[serde(rename = "type", default = "about_blank")]
    pub type_uri: String,
    /// Short, fixed summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, for a person. Never contains a token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A URI for this occurrence, if the server keeps one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

fn about_blank() -> String {
    "about:blank".to_owned()
}

impl Problem {
    /// A problem of a known kind with its standard title and status.
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Problem {
        Problem {
            type_uri: kind.type_uri(),
            title: kind.title().to_owned(),
            status: kind.status(),
            detail: Some(detail.into()),
            instance: None,
        }
    }

    /// The kind, when the type URI is one this protocol defines.
    pub fn kind(&self) -> Option<ProblemKind> {
        ProblemKind::from_type_uri(&self.type_uri)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.title, self.status)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

macro_rules! problem_kinds {
    ($($(#[$doc:meta])* $variant:ident = ($slug:literal, $status:literal, $title:literal),)*) => {
        /// Every problem type of protocol v1.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ProblemKind {
            $($(#[$doc])* $variant,)*
        }

        impl ProblemKind {
            /// Every kind, in documentation order.
            pub const ALL: &'static [ProblemKind] = &[$(ProblemKind::$variant,)*];

            /// The last segment of the type URI.
            pub fn slug(self) -> &'static str {
                match self { $(ProblemKind::$variant => $slug,)* }
            }

            /// The HTTP status this kind is sent with.
            pub fn status(self) -> u16 {
                match self { $(ProblemKind::$variant => $status,)* }
            }

            /// The fixed title.
            pub fn title(self) -> &'static str {
                match self { $(ProblemKind::$variant => $title,)* }
            }
        }
    };
}

problem_kinds! {
    /// The body is not valid JSON for the endpoint, or a field is missing or invalid.
    InvalidRequest = ("invalid-request", 400, "Invalid request"),
    /// The token is not a well-formed compact JWS with the required header and claims.
    InvalidToken = ("invalid-token", 400, "Invalid token"),
    /// The JWS `alg` is not ES256 (or the `typ` is wrong for the endpoint).
    UnsupportedAlgorithm = ("unsupported-algorithm", 400, "Unsupported algorithm"),
    /// The JWK is not an EC P-256 public key.
    InvalidKey = ("invalid-key", 400, "Invalid key"),
    /// The bearer token (admin or relying-party) is missing or wrong.
    Unauthorized = ("unauthorized", 401, "Unauthorized"),
    /// No enrolled device has the token's `kid`, or `sub` names another device.
    UnknownDevice = ("unknown-device", 401, "Unknown device"),
    /// The ES256 signature does not verify with the device's key.
    BadSignature = ("bad-signature", 401, "Bad signature"),
    /// The enrolment code is unknown, used or expired.
    InvalidEnrolmentCode = ("invalid-enrolment-code", 403, "Invalid enrolment code"),
    /// The platform key attestation does not meet the server's requirements.
    KeyAttestationRejected = ("key-attestation-rejected", 403, "Key attestation rejected"),
    /// A report's fresh key attestation shows a lower security level, OS
    /// version or patch level, or another verified-boot key, than the
    /// device's pin.
    AttestationDowngrade = ("attestation-downgrade", 403, "Attestation downgrade"),
    /// The relying-party token is valid but lacks the scope the endpoint needs.
    InsufficientScope = ("insufficient-scope", 403, "Insufficient scope"),
    /// No such endpoint.
    NotFound = ("not-found", 404, "Not found"),
    /// The endpoint does not accept this method.
    MethodNotAllowed = ("method-not-allowed", 405, "Method not allowed"),
    /// The `jti` was already used with different content.
    ReplayedToken = ("replayed-token", 409, "Replayed token"),
    /// The key is already enrolled as another device.
    AlreadyEnrolled = ("already-enrolled", 409, "Key already enrolled"),
    /// The body is larger than 64 KiB.
    PayloadTooLarge = ("payload-too-large", 413, "Payload too large"),
    /// The Content-Type is not the one the endpoint takes.
    UnsupportedMediaType = ("unsupported-media-type", 415, "Unsupported media type"),
    /// `iat` is further in the future than the allowed clock skew.
    FutureToken = ("future-token", 422, "Token from the future"),
    /// A request token has expired, or a report is older than the historical limit.
    ExpiredToken = ("expired-token", 422, "Expired token"),
    /// The nonce is missing, or (for unenrol) not the latest one issued and unexpired.
    InvalidNonce = ("invalid-nonce", 422, "Invalid nonce"),
    /// The posture claim is not a valid posture document of a supported schema.
    InvalidPosture = ("invalid-posture", 422, "Invalid posture"),
    /// Too many attempts; wait for Retry-After.
    RateLimited = ("rate-limited", 429, "Too many requests"),
    /// The server failed.
    Internal = ("internal", 500, "Internal server error"),
    /// The server is temporarily unavailable; retry after Retry-After.
    Unavailable = ("unavailable", 503, "Service unavailable"),
}

impl ProblemKind {
    /// The full type URI.
    pub fn type_uri(self) -> String {
        format!("{PROBLEM_BASE_URI}{}", self.slug())
    }

    /// The kind with this type URI, if any.
    pub fn from_type_uri(uri: &str) -> Option<ProblemKind> {
        let slug = uri.strip_prefix(PROBLEM_BASE_URI)?;
        ProblemKind::ALL.iter().copied().find(|k| k.slug() == slug)
    }

    /// Whether sending the same request later may succeed, so the outbox
    /// keeps the report; otherwise it can never be accepted as it is.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ProblemKind::RateLimited | ProblemKind::Internal | ProblemKind::Unavailable
        )
    }
}
