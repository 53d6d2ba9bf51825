//! The reference collector's admin API (protocol §8), as far as the CLI
//! needs it: issue enrolment codes, read the fleet summary and the audit
//! evidence.

use std::path::Path;
use std::sync::Arc;

use agent_core::protocol::{
    FleetSummary, IssueCodesRequest, IssueCodesResponse, Problem, content_types, paths,
};
use agent_core::transport::{HttpRequest, HttpResponse, Transport};
use posture_collector::evidence::EvidenceReport;
use serde::de::DeserializeOwned;
use time::Date;

/// The most codes one request may ask for (protocol §8.1).
const CODES_PER_REQUEST: u32 = 100;
/// Codes live long enough for the longest run, and no longer than needed.
const CODE_TTL_SECS: u64 = 3600;

/// An admin client for one collector.
pub struct Admin {
    base_url: String,
    token: String,
    transport: Arc<dyn Transport>,
}

impl Admin {
    /// A client for `base_url` with the admin bearer `token`. The transport
    /// must accept large answers: a fleet summary lists every device.
    pub fn new(base_url: &str, token: &str, transport: Arc<dyn Transport>) -> Admin {
        Admin {
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            transport,
        }
    }

    /// Issues `count` one-time codes, in batches the API allows.
    pub fn issue_codes(&self, count: u32) -> Result<Vec<String>, String> {
        let mut codes = Vec::with_capacity(count as usize);
        let mut left = count;
        while left > 0 {
            let n = left.min(CODES_PER_REQUEST);
            let body = serde_json::to_vec(&IssueCodesRequest {
                count: n,
                ttl_secs: Some(CODE_TTL_SECS),
                label: Some("fleet simulate".into()),
            })
            .map_err(|e| format!("cannot encode the code request: {e}"))?;
            let request = HttpRequest::post(
                format!("{}{}", self.base_url, paths::ENROLMENT_CODES),
                content_types::JSON,
                body,
            );
            let issued: IssueCodesResponse = self.call(request, "issue enrolment codes")?;
            codes.extend(issued.codes.into_iter().map(|c| c.code.expose().to_owned()));
            left -= n;
        }
        Ok(codes)
    }

    /// The collector's fleet summary.
    pub fn fleet(&self) -> Result<FleetSummary, String> {
        let request = HttpRequest::get(format!("{}{}", self.base_url, paths::FLEET));
        self.call(request, "read the fleet summary")
    }

    /// The collector's audit evidence for the days `from` to `to`.
    pub fn evidence(&self, from: Date, to: Date) -> Result<EvidenceReport, String> {
        // Dates print as YYYY-MM-DD: nothing in them needs escaping.
        let request = HttpRequest::get(format!(
            "{}{}?from={from}&to={to}",
            self.base_url,
            paths::EVIDENCE
        ));
        self.call(request, "read the evidence")
    }

    fn call<T: DeserializeOwned>(&self, request: HttpRequest, what: &str) -> Result<T, String> {
        let request = request
            .with_header("authorization", &format!("Bearer {}", self.token))
            .with_header("accept", "application/json, application/problem+json");
        let response = self
            .transport
            .send(request)
            .map_err(|e| format!("{what}: {e}"))?;
        decode(&response).map_err(|e| format!("{what}: {e}"))
    }
}

/// A 2xx JSON answer as `T`; otherwise the problem, in words.
fn decode<T: DeserializeOwned>(response: &HttpResponse) -> Result<T, String> {
    if response.is_success() {
        return serde_json::from_slice(&response.body)
            .map_err(|e| format!("the answer is not protocol v1 JSON: {e}"));
    }
    match serde_json::from_slice::<Problem>(&response.body) {
        Ok(problem) => Err(format!("the collector refused: {problem}")),
        Err(_) => Err(format!("the collector answered HTTP {}", response.status)),
    }
}

/// Reads enrolment codes, one per line (blank lines and `#` comments skipped).
pub fn read_codes(path: &Path) -> Result<Vec<String>, String> {
    let text = crate::files::read_text(path, crate::files::MAX_INPUT_BYTES, "a codes file")
        .map_err(|e| format!("codes file: {e}"))?;
    Ok(parse_codes(&text))
}

/// The codes in a codes file's text.
pub fn parse_codes(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}
