//! Slow and many clients: deadlines on headers and bodies, and the limit
//! on connections served at once, with real sockets on loopback.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use agent_core::protocol::{Problem, ProblemKind, paths};
use agent_core::transport::HttpRequest;
use posture_collector::{RunningCollector, ServeOptions, spawn_local_with};

use crate::common::*;

/// Paces the drip: one byte per wait for an answer. Not a deadline: the
/// server's timeout decides when the connection ends.
const PACE: Duration = Duration::from_millis(20);
/// Most bytes dripped: 10 s at the pace, fifty times the servers' timeout
/// in these tests; a server still reading then has no deadline.
const MAX_DRIP: usize = 500;

fn connect(c: &RunningCollector) -> TcpStream {
    let addr = c.url().trim_start_matches("http://");
    TcpStream::connect(addr).unwrap()
}

/// Sends `head` at once, then `drip` one byte at a time until the server
/// closes the connection; returns how many drip bytes went out and what
/// the server said.
fn drip(c: &RunningCollector, head: &str, drip: &[u8]) -> (usize, Vec<u8>) {
    let mut s = connect(c);
    s.set_read_timeout(Some(PACE)).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    for (sent, byte) in drip.iter().take(MAX_DRIP).enumerate() {
        if s.write_all(std::slice::from_ref(byte)).is_err() {
            return (sent, answer);
        }
        let mut buf = [0u8; 1024];
        match s.read(&mut buf) {
            Ok(0) => return (sent + 1, answer),
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return (sent + 1, answer),
        }
    }
    panic!("the server kept reading {MAX_DRIP} dripped bytes");
}

fn options(max_connections: usize) -> ServeOptions {
    ServeOptions {
        header_read_timeout: Duration::from_millis(200),
        body_read_timeout: Duration::from_millis(200),
        max_connections,
    }
}

#[test]
fn headers_sent_one_byte_at_a_time_are_cut_off_and_free_their_slot() {
    let c = spawn_local_with(config(), options(1)).unwrap();
    let endless = vec![b'a'; 60_000];
    let (sent, answer) = drip(&c, "GET /v1/fleet HTTP/1.1\r\nx-drip: ", &endless);
    assert!(sent < endless.len());
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    // The one slot is free again once the client has seen the close.
    let r = send(
        HttpRequest::get(format!("{}{}", c.url(), paths::FLEET))
            .with_header("authorization", &format!("Bearer {}", c.admin_token())),
    );
    assert_eq!(r.status, 200, "{r:?}");
}

#[test]
fn a_body_sent_one_byte_at_a_time_is_cut_off_unanswered() {
    let c = spawn_local_with(config(), options(4)).unwrap();
    let body = vec![b'e'; 60_000];
    let head = format!(
        "POST {} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/eat+jwt\r\ncontent-length: {}\r\n\r\n",
        paths::REPORTS,
        body.len()
    );
    let (sent, answer) = drip(&c, &head, &body);
    assert!(sent < body.len());
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    assert_eq!(c.collector().report_count().unwrap(), 0);
    // A body that arrives in time is still read and answered.
    let mut device = Device::enrol(&c);
    device.check_in(&c, Shape::Compliant);
}

/// Reads a whole answer (the server closes after it).
fn read_all(s: &mut TcpStream) -> String {
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text
}

#[test]
fn connections_past_the_limit_get_503_and_the_served_ones_carry_on() {
    let c = spawn_local_with(
        config(),
        ServeOptions {
            max_connections: 2,
            ..ServeOptions::default()
        },
    )
    .unwrap();
    // Two slow clients hold both slots, half-way through their headers.
    let mut held: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = connect(&c);
            s.write_all(format!("GET {} HTTP/1.1\r\n", paths::FLEET).as_bytes())
                .unwrap();
            s
        })
        .collect();
    for _ in 0..70 {
        let mut s = connect(&c);
        let answer = read_all(&mut s);
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
        assert!(head.contains("\r\nretry-after: 1\r\n"), "{head}");
        let problem: Problem = serde_json::from_str(body).unwrap();
        assert_eq!(problem.kind(), Some(ProblemKind::Unavailable));
    }
    // Any path may get it, so every operation documents it.
    for (method, path) in ROUTES {
        assert_documented(method, path, 503);
    }
    for s in &mut held {
        s.write_all(
            format!(
                "host: 127.0.0.1\r\nauthorization: Bearer {}\r\nconnection: close\r\n\r\n",
                c.admin_token()
            )
            .as_bytes(),
        )
        .unwrap();
        let answer = read_all(s);
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    }
    // Both slots are free again: the next client is served.
    let mut device = Device::enrol(&c);
    device.check_in(&c, Shape::Compliant);
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let c = spawn_local_with(config(), options(4)).unwrap();
    let mut s = connect(&c);
    // A safety net so a broken server fails the test instead of hanging it.
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(
        format!(
            "GET {} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {}\r\n\r\n",
            paths::FLEET,
            c.admin_token()
        )
        .as_bytes(),
    )
    .unwrap();
    // The answer comes, then the connection stays idle until the server
    // closes it: read reaches the end instead of timing out.
    let mut answer = Vec::new();
    let end = s.read_to_end(&mut answer);
    assert!(end.is_ok(), "{end:?}");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200 "), "{text}");
}
