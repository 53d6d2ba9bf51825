//! The built-in transport against real HTTP servers on 127.0.0.1.
#![cfg(feature = "http")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use time::OffsetDateTime;

use super::*;

/// Reads one request (head and a Content-Length body) and returns it.
pub(super) fn read_request(stream: &mut impl Read) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => return buf,
        }
    }
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    let _ = stream.read_exact(&mut body);
    buf.extend_from_slice(&body);
    buf
}

/// Serves `response` (raw bytes) to one connection; the thread returns the
/// request it got.
fn serve_once(response: Vec<u8>) -> (String, thread::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let request = read_request(&mut stream);
        // The client may hang up early (e.g. TooLarge): ignore write errors.
        let _ = stream.write_all(&response);
        let _ = stream.flush();
        request
    });
    (url, handle)
}

fn transport() -> HttpTransport {
    HttpTransport::new(TransportConfig {
        connect_timeout: Duration::from_millis(300),
        timeout: Duration::from_millis(300),
        ..TransportConfig::default()
    })
    .unwrap()
}

#[test]
fn posts_and_reads_the_answer() {
    let (url, server) = serve_once(
        b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}"
            .to_vec(),
    );
    let request = HttpRequest::post(
        format!("{url}/v1/reports"),
        "application/eat+jwt",
        b"aaa.bbb.ccc".to_vec(),
    )
    .with_header("accept", "application/json");
    let response = transport().send(request).unwrap();
    assert_eq!(response.status, 201);
    assert!(response.is_success());
    assert_eq!(response.body, b"{\"ok\":true}");
    assert_eq!(response.media_type().as_deref(), Some("application/json"));
    let seen = String::from_utf8(server.join().unwrap()).unwrap();
    assert!(seen.starts_with("POST /v1/reports HTTP/1.1\r\n"), "{seen}");
    assert!(seen.contains("content-type: application/eat+jwt"));
    assert!(seen.contains("user-agent: posture-agent/"));
    assert!(seen.ends_with("\r\n\r\naaa.bbb.ccc"));
}

#[test]
fn a_server_that_never_answers_times_out() {
    // Bound but never accepting: the kernel completes the handshake, then
    // nothing is ever sent back.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/challenge", listener.local_addr().unwrap());
    let error = transport().send(HttpRequest::get(url)).unwrap_err();
    assert!(matches!(error, TransportError::Timeout { .. }), "{error:?}");
    assert!(error.is_retryable());
    drop(listener);
}

#[test]
fn an_oversized_declared_body_is_refused() {
    let (url, _server) = serve_once(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n".to_vec(),
    );
    let error = transport().send(HttpRequest::get(url)).unwrap_err();
    assert!(
        matches!(error, TransportError::TooLarge { limit: 65536, .. }),
        "{error:?}"
    );
}

#[test]
fn an_oversized_undeclared_body_is_cut_off_while_reading() {
    let mut response = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
    response.extend(std::iter::repeat_n(b'x', 200 * 1024));
    let (url, _server) = serve_once(response);
    let error = transport().send(HttpRequest::get(url)).unwrap_err();
    assert!(
        matches!(error, TransportError::TooLarge { .. }),
        "{error:?}"
    );
}

#[test]
fn a_body_at_the_cap_is_fine() {
    let mut response =
        b"HTTP/1.1 200 OK\r\nContent-Length: 65536\r\nConnection: close\r\n\r\n".to_vec();
    response.extend(std::iter::repeat_n(b'x', 65536));
    let (url, _server) = serve_once(response);
    let response = transport().send(HttpRequest::get(url)).unwrap();
    assert_eq!(response.body.len(), 65536);
}

#[test]
fn redirects_are_refused_and_name_the_location() {
    let (url, _server) = serve_once(
        b"HTTP/1.1 302 Found\r\nLocation: https://elsewhere.example/v1/reports\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
    );
    let error = transport().send(HttpRequest::get(url)).unwrap_err();
    match &error {
        TransportError::Redirect {
            status, location, ..
        } => {
            assert_eq!(*status, 302);
            assert_eq!(
                location.as_deref(),
                Some("https://elsewhere.example/v1/reports")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("https://elsewhere.example"));
}

#[test]
fn retry_after_is_surfaced() {
    let (url, _server) = serve_once(
        b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Type: application/problem+json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
            .to_vec(),
    );
    let response = transport().send(HttpRequest::get(url)).unwrap();
    assert_eq!(response.status, 503);
    assert_eq!(
        response.retry_after(OffsetDateTime::now_utc()),
        Some(Duration::from_secs(7))
    );
}

#[test]
fn plain_http_elsewhere_is_refused_before_any_traffic() {
    // example.com would need DNS and a connection; the error must come
    // from the URL check alone, so it is immediate and names the host.
    let error = transport()
        .send(HttpRequest::get("http://example.com/v1/enrol"))
        .unwrap_err();
    assert_eq!(
        error,
        TransportError::InsecureUrl {
            host: "example.com".to_owned()
        }
    );
    assert!(!error.is_retryable());
}

#[test]
fn a_closed_port_is_a_connect_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = transport()
        .send(HttpRequest::get(format!("http://127.0.0.1:{port}/")))
        .unwrap_err();
    // The message keeps the port: the usual mistake is the wrong one.
    let want = format!("127.0.0.1:{port}");
    assert!(
        matches!(error, TransportError::Connect { ref host, .. } if *host == want),
        "{error:?}"
    );
    assert!(error.to_string().contains(&want), "{error}");
}

#[test]
fn request_debug_never_shows_the_body() {
    let request = HttpRequest::post("https://x.example/", "application/jwt", b"secret".to_vec());
    let text = format!("{request:?}");
    assert!(!text.contains("secret"));
    assert!(text.contains("<6 bytes>"));
}

#[test]
fn request_debug_never_shows_a_header_value_or_a_urls_secrets() {
    let request = HttpRequest::get("https://user:hunter2@x.example:8443/v1/a?token=t0k3n#frag")
        .with_header("authorization", "Bearer admin-s3cret");
    let text = format!("{request:?}");
    for secret in ["hunter2", "user", "t0k3n", "frag", "admin-s3cret"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(text.contains("https://x.example:8443/v1/a"), "{text}");
    assert!(text.contains("authorization"), "{text}");
}

#[test]
fn a_shown_url_keeps_scheme_host_port_and_path_only() {
    use super::shown_url;
    assert_eq!(
        shown_url("https://u:p@hooks.example.org:9443/in/abc?sig=1#x"),
        "https://hooks.example.org:9443/in/abc"
    );
    assert_eq!(
        shown_url("http://127.0.0.1:8080/"),
        "http://127.0.0.1:8080/"
    );
    assert_eq!(shown_url("s3cret-token-pasted-here"), "(not a URL)");
    assert_eq!(shown_url("mailto:a@b.example"), "(not a URL)");
}

#[test]
fn the_test_server_reads_a_bare_request() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut client = TcpStream::connect(addr).unwrap();
    client.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let (mut server, _) = listener.accept().unwrap();
    assert_eq!(read_request(&mut server), b"GET / HTTP/1.1\r\n\r\n");
}
