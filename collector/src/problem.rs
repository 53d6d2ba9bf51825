//! Errors as RFC 9457 problems, and the one mapping from the verifier's
//! errors to protocol problem types.

use agent_core::protocol::{Problem, ProblemKind, content_types};
use agent_core::token::VerifyError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A problem answer, with the headers some kinds need.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub problem: Problem,
    /// Seconds for `Retry-After` (429, 503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> ApiError {
        ApiError {
            problem: Problem::new(kind, detail),
            retry_after: None,
        }
    }

    pub fn kind(&self) -> Option<ProblemKind> {
        self.problem.kind()
    }

    pub fn rate_limited(retry_after: u64, detail: impl Into<String>) -> ApiError {
        ApiError {
            problem: Problem::new(ProblemKind::RateLimited, detail),
            retry_after: Some(retry_after.max(1)),
        }
    }

    /// A server-side failure: logged in full, answered without detail.
    pub fn internal(what: impl std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {what}");
        ApiError::new(ProblemKind::Internal, "the collector failed; retry later")
    }

    /// The detail names the defect but never repeats the token (the
    /// verifier's messages carry no key material and no token).
    pub fn from_verify(e: &VerifyError) -> ApiError {
        if let VerifyError::ReplayCache(why) = e {
            return ApiError::internal(why);
        }
        ApiError::new(verify_problem_kind(e), e.to_string())
    }
}

/// Which protocol problem each verifier error is (protocol.md §4.2, §5.3, §9).
pub(crate) fn verify_problem_kind(e: &VerifyError) -> ProblemKind {
    use VerifyError as V;
    match e {
        V::TooLarge { .. } => ProblemKind::PayloadTooLarge,
        V::Malformed(_)
        | V::NonCanonicalBase64(_)
        | V::DuplicateMember { .. }
        | V::InvalidHeader(_)
        | V::EmbeddedKey(_)
        | V::CriticalHeader
        | V::MissingKid
        | V::MissingClaim(_)
        | V::WrongProfile(_)
        | V::BadLifetime { .. }
        | V::WrongPurpose { .. } => ProblemKind::InvalidToken,
        V::InvalidClaim { claim, .. } if *claim == "posture" => ProblemKind::InvalidPosture,
        V::InvalidClaim { .. } => ProblemKind::InvalidToken,
        V::AlgNone | V::AlgNotAllowed(_) | V::WrongTyp(_) => ProblemKind::UnsupportedAlgorithm,
        V::UnknownKid(_) => ProblemKind::UnknownDevice,
        V::SignatureLength(_) | V::SignatureOutOfRange | V::BadSignature => {
            ProblemKind::BadSignature
        }
        V::Expired { .. } => ProblemKind::ExpiredToken,
        V::IssuedInFuture { .. } => ProblemKind::FutureToken,
        V::WrongNonce => ProblemKind::InvalidNonce,
        V::Replayed(_) => ProblemKind::ReplayedToken,
        V::ReplayCache(_) => ProblemKind::Internal,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_types::PROBLEM_JSON),
        );
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        match self.problem.kind() {
            Some(ProblemKind::Unauthorized) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            // RFC 6750 §3.1: the token is good, its scope is not enough.
            Some(ProblemKind::InsufficientScope) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer error="insufficient_scope""#),
                );
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_errors_map_to_documented_kinds() {
        let cases = [
            (VerifyError::BadSignature, "bad-signature", 401),
            (VerifyError::UnknownKid("k".into()), "unknown-device", 401),
            (VerifyError::AlgNone, "unsupported-algorithm", 400),
            (VerifyError::WrongTyp(None), "unsupported-algorithm", 400),
            (VerifyError::Malformed("x"), "invalid-token", 400),
            (
                VerifyError::InvalidClaim {
                    claim: "posture",
                    reason: "r".into(),
                },
                "invalid-posture",
                422,
            ),
            (
                VerifyError::IssuedInFuture {
                    iat: 2,
                    now: 1,
                    skew: 0,
                },
                "future-token",
                422,
            ),
            (VerifyError::Replayed("j".into()), "replayed-token", 409),
            (
                VerifyError::TooLarge { len: 2, max: 1 },
                "payload-too-large",
                413,
            ),
        ];
        for (e, slug, status) in cases {
            let kind = verify_problem_kind(&e);
            assert_eq!((kind.slug(), kind.status()), (slug, status), "{e:?}");
        }
    }
}
