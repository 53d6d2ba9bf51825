//! Where events go, as `serve --events` names it.

use std::fmt;
use std::path::PathBuf;

use super::EventsError;

/// Largest JSON-lines file before it is rotated, by default: 64 MiB.
pub const DEFAULT_ROTATE_BYTES: u64 = 64 * 1024 * 1024;
/// Rotated JSON-lines files kept, by default.
pub const DEFAULT_KEEP_FILES: u32 = 5;
/// Events waiting per output before new ones are dropped (and counted).
pub const DEFAULT_QUEUE: usize = 4096;

/// One event output.
#[derive(Clone, PartialEq, Eq)]
pub enum EventOutput {
    /// One OCSF JSON object per line on standard output (`stdout`).
    Stdout,
    /// One OCSF JSON object per line in a file, rotated by size
    /// (`jsonl:PATH`).
    JsonLines(PathBuf),
    /// Syslog (RFC 5424) over plain TCP, octet-counted (RFC 6587)
    /// (`syslog+tcp://HOST:PORT`), to a loopback host only (a local relay).
    SyslogTcp {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
    },
    /// Syslog (RFC 5424) over TLS, octet-counted (RFC 5425)
    /// (`syslog+tls://HOST:PORT`).
    SyslogTls {
        /// Host name or address, also the name the certificate must carry.
        host: String,
        /// Port.
        port: u16,
    },
    /// Splunk's HTTP Event Collector (`splunk-hec://HOST:PORT` over HTTPS,
    /// or `splunk-hec+http://127.0.0.1:PORT` on loopback for tests).
    SplunkHec {
        /// The collector's base URL (`https://HOST:PORT`).
        base_url: String,
        /// The HEC token (`Authorization: Splunk <token>`).
        token: HecToken,
    },
}

/// A Splunk HEC token: a secret, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct HecToken(pub(crate) String);

impl HecToken {
    /// Wraps a token (from an environment variable, never the command line).
    pub fn new(token: String) -> HecToken {
        HecToken(token)
    }
}

impl fmt::Debug for HecToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HecToken(redacted)")
    }
}

impl fmt::Debug for EventOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl EventOutput {
    /// Parses an `--events` value. A Splunk HEC output takes its token from
    /// `hec_token` (the caller reads it from the environment).
    pub fn parse(spec: &str, hec_token: Option<&str>) -> Result<EventOutput, EventsError> {
        let bad = |reason: &str| EventsError::Spec {
            spec: spec.to_owned(),
            reason: reason.to_owned(),
        };
        if spec == "stdout" {
            return Ok(EventOutput::Stdout);
        }
        if let Some(path) = spec.strip_prefix("jsonl:") {
            if path.is_empty() {
                return Err(bad("give a file: jsonl:PATH"));
            }
            return Ok(EventOutput::JsonLines(PathBuf::from(path)));
        }
        let Some((scheme, rest)) = spec.split_once("://") else {
            return Err(bad(
                "expected stdout, jsonl:PATH, syslog+tcp://HOST:PORT, syslog+tls://HOST:PORT or splunk-hec://HOST:PORT",
            ));
        };
        let (host, port) = host_port(rest).ok_or_else(|| bad("expected HOST:PORT"))?;
        // Plaintext only where nobody else can read it, as the other
        // outputs and the agent's transport do; TLS anywhere.
        if matches!(scheme, "syslog+tcp" | "splunk-hec+http") && !is_loopback(&host, port) {
            let tls = if scheme == "syslog+tcp" {
                "syslog+tls://HOST:PORT"
            } else {
                "splunk-hec://HOST:PORT (HTTPS)"
            };
            return Err(bad(&format!(
                "{host} is not a loopback address: plaintext goes only to 127.0.0.1, ::1 or localhost; use {tls} for another host"
            )));
        }
        match scheme {
            "syslog+tcp" => Ok(EventOutput::SyslogTcp { host, port }),
            "syslog+tls" => Ok(EventOutput::SyslogTls { host, port }),
            "splunk-hec" | "splunk-hec+http" => {
                let token = hec_token.filter(|t| !t.is_empty()).ok_or_else(|| {
                    bad("the HEC token is missing: set POSTURE_COLLECTOR_HEC_TOKEN")
                })?;
                let http = if scheme == "splunk-hec" {
                    "https"
                } else {
                    "http"
                };
                let shown = if host.contains(':') {
                    format!("[{host}]")
                } else {
                    host
                };
                Ok(EventOutput::SplunkHec {
                    base_url: format!("{http}://{shown}:{port}"),
                    token: HecToken(token.to_owned()),
                })
            }
            _ => Err(bad("unknown scheme")),
        }
    }

    /// The output in words, for logs (never the HEC token).
    pub fn describe(&self) -> String {
        match self {
            EventOutput::Stdout => "stdout".into(),
            EventOutput::JsonLines(p) => format!("jsonl:{}", p.display()),
            EventOutput::SyslogTcp { host, port } => format!("syslog+tcp://{host}:{port}"),
            EventOutput::SyslogTls { host, port } => format!("syslog+tls://{host}:{port}"),
            EventOutput::SplunkHec { base_url, .. } => format!("splunk-hec {base_url}"),
        }
    }
}

/// Whether `host` is a loopback address or name, by the rule the agent's
/// transport applies to plain HTTP (no lookup is made).
fn is_loopback(host: &str, port: u16) -> bool {
    let shown = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    agent_core::transport::check_url(&format!("http://{shown}:{port}/")).is_ok()
}

/// `HOST:PORT` or `[V6]:PORT`, nothing after it.
fn host_port(rest: &str) -> Option<(String, u16)> {
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (h, p) = v6.split_once("]:")?;
        (h, p)
    } else {
        rest.rsplit_once(':')?
    };
    let port: u16 = port.parse().ok().filter(|p| *p != 0)?;
    let valid = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    valid.then(|| (host.to_owned(), port))
}

/// The event outputs of a collector.
#[derive(Debug, Clone)]
pub struct EventsConfig {
    /// Where events go; none: no events are built at all.
    pub outputs: Vec<EventOutput>,
    /// Extra CA certificate(s), PEM, for syslog over TLS and HEC over HTTPS.
    pub ca_pem: Option<Vec<u8>>,
    /// Size at which a JSON-lines file is rotated.
    pub rotate_bytes: u64,
    /// Rotated JSON-lines files kept (PATH.1 newest .. PATH.N oldest).
    pub keep_files: u32,
    /// Events waiting per output before new ones are dropped.
    pub queue: usize,
    /// Delivery attempts per event and output before it is given up.
    pub attempts: u32,
    /// Webhook endpoints: every event, signed, from a durable queue.
    pub webhooks: Vec<super::WebhookEndpoint>,
    /// The wait before a webhook's second attempt; it doubles each time,
    /// up to an hour.
    pub webhook_first_backoff: std::time::Duration,
    /// How long a webhook delivery is retried, from when its event was
    /// queued, before it is given up.
    pub webhook_retry_for: std::time::Duration,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            outputs: Vec::new(),
            ca_pem: None,
            rotate_bytes: DEFAULT_ROTATE_BYTES,
            keep_files: DEFAULT_KEEP_FILES,
            queue: DEFAULT_QUEUE,
            attempts: 5,
            webhooks: Vec::new(),
            webhook_first_backoff: std::time::Duration::from_secs(5),
            webhook_retry_for: super::webhook::DEFAULT_RETRY_FOR,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(
            EventOutput::parse("stdout", None).unwrap(),
            EventOutput::Stdout
        );
        assert_eq!(
            EventOutput::parse("jsonl:/var/log/e.jsonl", None).unwrap(),
            EventOutput::JsonLines("/var/log/e.jsonl".into())
        );
        assert_eq!(
            EventOutput::parse("syslog+tcp://127.0.0.1:6514", None).unwrap(),
            EventOutput::SyslogTcp {
                host: "127.0.0.1".into(),
                port: 6514
            }
        );
        for local in ["syslog+tcp://[::1]:514", "syslog+tcp://localhost:514"] {
            assert!(EventOutput::parse(local, None).is_ok(), "{local}");
        }
        assert_eq!(
            EventOutput::parse("syslog+tls://siem.example:6514", None).unwrap(),
            EventOutput::SyslogTls {
                host: "siem.example".into(),
                port: 6514
            }
        );
        assert_eq!(
            EventOutput::parse("syslog+tls://[::1]:6514", None).unwrap(),
            EventOutput::SyslogTls {
                host: "::1".into(),
                port: 6514
            }
        );
        let hec = EventOutput::parse("splunk-hec://splunk.example:8088", Some("t0k")).unwrap();
        assert_eq!(
            hec,
            EventOutput::SplunkHec {
                base_url: "https://splunk.example:8088".into(),
                token: HecToken("t0k".into())
            }
        );
        assert!(!format!("{hec:?}").contains("t0k"));
    }

    #[test]
    fn refuses_bad_values_with_the_reason() {
        for (spec, why) in [
            ("jsonl:", "give a file"),
            ("syslog+udp://h:1", "unknown scheme"),
            ("syslog+tcp://h", "HOST:PORT"),
            (
                "syslog+tcp://siem.example:514",
                "use syslog+tls://HOST:PORT",
            ),
            ("syslog+tcp://10.0.0.5:514", "not a loopback address"),
            ("syslog+tcp://[2001:db8::1]:514", "not a loopback address"),
            ("splunk-hec+http://splunk.example:8088", "use splunk-hec://"),
            ("syslog+tcp://h:0", "HOST:PORT"),
            ("syslog+tcp://h:1/x", "HOST:PORT"),
            ("splunk-hec://h:8088", "POSTURE_COLLECTOR_HEC_TOKEN"),
            ("file", "expected stdout"),
        ] {
            let e = EventOutput::parse(spec, None).unwrap_err().to_string();
            assert!(e.contains(why), "{spec}: {e}");
        }
    }
}
