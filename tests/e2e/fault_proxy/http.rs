//! The proxy's HTTP/1.1: one request read from the client (a bounded head
//! and a `content-length` body), forwarded on a connection of its own, and
//! answers written back with `connection: close`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use time::OffsetDateTime;
use time::macros::format_description;

const MAX_HEAD: usize = 16 * 1024;
const MAX_BODY: usize = 1 << 20;
/// How long the proxy waits on the collector (it never should this long).
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);

/// One parsed request.
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// Whether this is `method path`.
    pub fn is(&self, method: &str, path: &str) -> bool {
        self.method == method && self.path == path
    }

    /// The compact JWS body's payload claim `name`, when the body is one.
    pub fn claim(&self, name: &str) -> Option<String> {
        let text = std::str::from_utf8(&self.body).ok()?;
        let payload = text.split('.').nth(1)?;
        let json: serde_json::Value =
            serde_json::from_slice(&agent_core::b64::decode(payload).ok()?).ok()?;
        json.get(name)?.as_str().map(str::to_owned)
    }
}

/// Reads one request; None when the client sent no well-formed one in bounds.
pub fn read_request(client: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(client);
    let mut head_len = 0;
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        line.clear();
        head_len += reader.read_line(&mut line).ok()?;
        if head_len > MAX_HEAD || line.is_empty() {
            return None;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (name, value) = l.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let header = |n: &str| {
        headers
            .iter()
            .find(|(h, _)| h == n)
            .map(|(_, v)| v.as_str())
    };
    // The agent's client always sends a content-length; chunked is not spoken here.
    assert!(header("transfer-encoding").is_none(), "chunked request");
    let len: usize = header("content-length").map_or(Some(0), |v| v.parse().ok())?;
    if len > MAX_BODY {
        return None;
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

/// A response as the proxy passes it on.
#[derive(Default)]
pub struct Answer {
    pub status: u16,
    pub head: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The response's bytes, with its length and `connection: close`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} X\r\n", self.status).into_bytes();
        for (n, v) in &self.head {
            out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "content-length: {}\r\nconnection: close\r\n\r\n",
                self.body.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&self.body);
        out
    }
}

/// A response the proxy makes up itself.
pub fn synth(status: u16, content_type: &str, extra: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut head = vec![("content-type".to_owned(), content_type.to_owned())];
    head.extend(extra.iter().map(|(n, v)| ((*n).to_owned(), v.clone())));
    Answer {
        status,
        head,
        body: body.to_vec(),
    }
    .encode()
}

/// Sends `request` to the collector on a connection of its own and reads
/// the whole answer; None when the collector could not be reached.
pub fn forward(request: &Request, upstream: &str) -> Option<Answer> {
    let mut server = TcpStream::connect(upstream).ok()?;
    server.set_read_timeout(Some(UPSTREAM_TIMEOUT)).ok()?;
    let mut out = format!("{} {} HTTP/1.1\r\n", request.method, request.path).into_bytes();
    for (n, v) in &request.headers {
        if n != "connection" && n != "keep-alive" {
            out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
    }
    out.extend_from_slice(b"connection: close\r\n\r\n");
    out.extend_from_slice(&request.body);
    server.write_all(&out).ok()?;
    let mut raw = Vec::new();
    server
        .take(MAX_BODY as u64 * 4)
        .read_to_end(&mut raw)
        .ok()?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Option<Answer> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let mut headers = Vec::new();
    for l in lines {
        let (n, v) = l.split_once(':')?;
        let n = n.trim().to_ascii_lowercase();
        assert_ne!(n, "transfer-encoding", "the collector answered chunked");
        if n != "connection" && n != "content-length" && n != "keep-alive" {
            headers.push((n, v.trim().to_owned()));
        }
    }
    Some(Answer {
        status,
        head: headers,
        body: raw[split + 4..].to_vec(),
    })
}

/// An IMF-fixdate (RFC 9110 §5.6.7), as `Retry-After` carries it.
pub fn http_date(at: OffsetDateTime) -> String {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    at.to_offset(time::UtcOffset::UTC).format(format).unwrap()
}
