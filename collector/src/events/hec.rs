//! Splunk's HTTP Event Collector: `POST /services/collector/event` with
//! `Authorization: Splunk <token>` and the body
//! `{"time", "host", "source", "sourcetype", "event"}`, the event being the
//! OCSF object.

use std::time::Duration;

use agent_core::transport::{HttpRequest, HttpTransport, Transport, TransportConfig};
use serde_json::json;

use super::output::HecToken;
use super::sink::Deliver;
use super::{Event, EventsError};

/// The HEC event endpoint, under the collector's base URL.
pub(crate) const HEC_PATH: &str = "/services/collector/event";

/// One HEC endpoint. The HTTP client is made on the output's own thread
/// (a blocking client must not be made on an async executor thread).
pub(crate) struct Hec {
    url: String,
    token: HecToken,
    ca_pem: Option<Vec<u8>>,
    transport: Option<HttpTransport>,
}

impl Hec {
    /// An endpoint at `base_url` (`https://HOST:PORT`).
    pub fn new(base_url: &str, token: HecToken, ca_pem: Option<Vec<u8>>) -> Hec {
        Hec {
            url: format!("{base_url}{HEC_PATH}"),
            token,
            ca_pem,
            transport: None,
        }
    }
}

/// The HEC body for an event.
pub(crate) fn body(event: &Event, json: &str) -> Result<Vec<u8>, EventsError> {
    let ocsf: serde_json::Value =
        serde_json::from_str(json).map_err(|e| EventsError::Delivery(e.to_string()))?;
    serde_json::to_vec(&json!({
        "time": event.time.unix_timestamp(),
        "host": "posture-collector",
        "source": "posture-agent",
        "sourcetype": "ocsf",
        "event": ocsf,
    }))
    .map_err(|e| EventsError::Delivery(e.to_string()))
}

impl Deliver for Hec {
    fn deliver(&mut self, event: &Event, json: &str) -> Result<(), EventsError> {
        if self.transport.is_none() {
            let config = TransportConfig {
                connect_timeout: Duration::from_secs(10),
                timeout: Duration::from_secs(30),
                extra_ca_pem: self.ca_pem.clone(),
                ..TransportConfig::default()
            };
            self.transport = Some(
                HttpTransport::new(config)
                    .map_err(|e| EventsError::Refused(format!("HEC client: {e}")))?,
            );
        }
        let Some(transport) = &self.transport else {
            return Err(EventsError::Delivery("no HEC client".into()));
        };
        let request = HttpRequest::post(&self.url, "application/json", body(event, json)?)
            .with_header("Authorization", &format!("Splunk {}", self.token.0));
        let response = transport
            .send(request)
            .map_err(|e| EventsError::Delivery(format!("HEC {}: {e}", self.url)))?;
        // HEC answers {"text": ..., "code": N}; the text says why, never
        // echoing the token.
        let why = || {
            let text = String::from_utf8_lossy(&response.body);
            format!(
                "HEC {} answered {}: {}",
                self.url,
                response.status,
                text.chars().take(200).collect::<String>()
            )
        };
        match response.status {
            200..=299 => Ok(()),
            408 | 429 | 500..=599 => Err(EventsError::Delivery(why())),
            _ => Err(EventsError::Refused(why())),
        }
    }
}
