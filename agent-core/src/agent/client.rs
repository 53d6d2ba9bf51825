//! Protocol v1 over any [`Transport`]: requests out, typed answers or
//! problems back.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::protocol::{
    ChallengeResponse, EnrolRequest, EnrolResponse, Problem, ProblemKind, ReportAck,
    UnenrolResponse, content_types, paths,
};
use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError};

/// Why a request to the collector did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// No usable answer (connection, timeout, TLS, size, redirect).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The server answered with a problem.
    #[error("the collector refused the request: {problem}")]
    Problem {
        /// The problem as the server sent it.
        problem: Problem,
        /// How long the server asked us to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// The server's answer is not what protocol v1 says it must be.
    #[error("the collector's answer is not protocol v1 (HTTP {status}): {detail}")]
    BadResponse {
        /// HTTP status.
        status: u16,
        /// What is wrong with it.
        detail: String,
    },
}

impl ClientError {
    /// Whether the same request may succeed later (network trouble, 429,
    /// 5xx); otherwise it can never succeed as it is.
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::Transport(e) => e.is_retryable(),
            ClientError::Problem { problem, .. } => match problem.kind() {
                Some(kind) => kind.is_retryable(),
                None => problem.status == 429 || problem.status >= 500,
            },
            ClientError::BadResponse { status, .. } => *status >= 500,
        }
    }

    /// The server's wait request, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ClientError::Problem { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The problem kind, when the server named one this protocol defines.
    pub fn problem_kind(&self) -> Option<ProblemKind> {
        match self {
            ClientError::Problem { problem, .. } => problem.kind(),
            _ => None,
        }
    }
}

/// A client for one collector.
#[derive(Clone)]
pub struct Client {
    base_url: String,
    transport: Arc<dyn Transport>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the collector at `base_url` (its scheme and host are
    /// checked by the transport on every request).
    pub fn new(base_url: &str, transport: Arc<dyn Transport>) -> Client {
        Client {
            base_url: base_url.trim_end_matches('/').to_owned(),
            transport,
        }
    }

    /// The collector's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(u16, T), ClientError> {
        let request = HttpRequest::post(format!("{}{path}", self.base_url), content_type, body)
            .with_header("accept", "application/json, application/problem+json")
            .with_header(
                "user-agent",
                &format!("posture-agent/{}", crate::AGENT_VERSION),
            );
        let response = self.transport.send(request)?;
        decode(response)
    }

    /// `POST /v1/enrol`.
    pub fn enrol(&self, request: &EnrolRequest) -> Result<EnrolResponse, ClientError> {
        let body = serde_json::to_vec(request).map_err(|e| ClientError::BadResponse {
            status: 0,
            detail: format!("cannot encode the enrolment request: {e}"),
        })?;
        Ok(self.post(paths::ENROL, content_types::JSON, body)?.1)
    }

    /// `POST /v1/challenge` with a device request token.
    pub fn challenge(&self, request_token: &str) -> Result<ChallengeResponse, ClientError> {
        Ok(self
            .post(
                paths::CHALLENGE,
                content_types::JWT,
                request_token.as_bytes().to_vec(),
            )?
            .1)
    }

    /// `POST /v1/reports` with a signed report.
    pub fn report(&self, token: &str) -> Result<ReportAck, ClientError> {
        Ok(self
            .post(
                paths::REPORTS,
                content_types::EAT_JWT,
                token.as_bytes().to_vec(),
            )?
            .1)
    }

    /// `POST /v1/unenrol` with a device request token.
    pub fn unenrol(&self, request_token: &str) -> Result<UnenrolResponse, ClientError> {
        Ok(self
            .post(
                paths::UNENROL,
                content_types::JWT,
                request_token.as_bytes().to_vec(),
            )?
            .1)
    }
}

/// A 2xx JSON answer decodes as `T`; anything else becomes a problem.
fn decode<T: DeserializeOwned>(response: HttpResponse) -> Result<(u16, T), ClientError> {
    let status = response.status;
    if response.is_success() {
        let value =
            serde_json::from_slice(&response.body).map_err(|e| ClientError::BadResponse {
                status,
                detail: format!("the body is not the expected JSON: {e}"),
            })?;
        return Ok((status, value));
    }
    let retry_after = response.retry_after(OffsetDateTime::now_utc());
    let problem = match response.media_type().as_deref() {
        Some(content_types::PROBLEM_JSON) | Some(content_types::JSON) => {
            serde_json::from_slice::<Problem>(&response.body).ok()
        }
        _ => None,
    }
    .unwrap_or_else(|| Problem {
        type_uri: "about:blank".into(),
        title: format!("HTTP {status}"),
        status,
        detail: None,
        instance: None,
    });
    Err(ClientError::Problem {
        problem,
        retry_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, content_type: &str, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![
                ("content-type".into(), content_type.into()),
                ("retry-after".into(), "7".into()),
            ],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn problems_are_typed_and_retryability_follows_the_kind() {
        let p = Problem::new(ProblemKind::BadSignature, "no");
        let body = serde_json::to_string(&p).unwrap();
        let err =
            decode::<ReportAck>(response(401, "application/problem+json", &body)).unwrap_err();
        assert_eq!(err.problem_kind(), Some(ProblemKind::BadSignature));
        assert!(!err.is_retryable());
        let p = Problem::new(ProblemKind::Unavailable, "later");
        let body = serde_json::to_string(&p).unwrap();
        let err =
            decode::<ReportAck>(response(503, "application/problem+json", &body)).unwrap_err();
        assert!(err.is_retryable());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
        // Not a problem document: still an error with the status, retryable by status.
        let err = decode::<ReportAck>(response(502, "text/html", "<html>")).unwrap_err();
        assert!(err.is_retryable());
        let err = decode::<ReportAck>(response(200, "application/json", "{}")).unwrap_err();
        assert!(matches!(err, ClientError::BadResponse { status: 200, .. }));
    }
}
