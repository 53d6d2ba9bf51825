//! Webhooks: every event, signed with the Standard Webhooks scheme, from
//! the durable queue in the collector's database, retried until a 2xx.

use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use posture_collector::{
    Collector, CollectorConfig, EventsConfig, WebhookEndpoint, WebhookSecret, spawn_local,
};
use serde_json::Value;

use crate::common::*;
use crate::events::{HecRequest, read_request};
use crate::ocsf::assert_valid;

pub(crate) const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A receiver answering `statuses` in turn (then 204) until it has taken
/// `count` deliveries with a 2xx.
fn receiver(count: usize, statuses: Vec<u16>) -> (String, JoinHandle<Vec<(u16, HecRequest)>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/posture", listener.local_addr().unwrap());
    let t = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut ok = 0;
        let mut statuses = statuses.into_iter();
        while ok < count {
            let (s, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(s.try_clone().unwrap());
            let mut w = s;
            while ok < count {
                let Some(req) = read_request(&mut reader) else {
                    break;
                };
                let status = statuses.next().unwrap_or(204);
                write!(w, "HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n").unwrap();
                w.flush().unwrap();
                if (200..300).contains(&status) {
                    ok += 1;
                }
                got.push((status, req));
            }
        }
        got
    });
    (url, t)
}

pub(crate) fn header<'a>(r: &'a HecRequest, name: &str) -> &'a str {
    &r.headers.iter().find(|(k, _)| k == name).unwrap().1
}

/// Checks the signature as a receiver would, with the secret's key.
pub(crate) fn verify(r: &HecRequest) {
    let key = STANDARD
        .decode(SECRET.strip_prefix("whsec_").unwrap())
        .unwrap();
    let signed = format!(
        "{}.{}.{}",
        header(r, "webhook-id"),
        header(r, "webhook-timestamp"),
        std::str::from_utf8(&r.body).unwrap()
    );
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key),
        signed.as_bytes(),
    );
    assert_eq!(
        header(r, "webhook-signature"),
        format!("v1,{}", STANDARD.encode(tag.as_ref()))
    );
}

#[test]
fn events_arrive_signed_and_a_failed_delivery_is_retried_with_the_same_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite3");
    // The first delivery fails; each event then arrives once with a 2xx.
    let (url, hook) = receiver(3, vec![500]);
    let endpoint = WebhookEndpoint {
        url: url.clone(),
        secret: WebhookSecret::parse(SECRET).unwrap(),
        name: None,
    };
    let c = spawn_local(CollectorConfig {
        db_path: Some(db.clone()),
        events: EventsConfig {
            webhooks: vec![endpoint.clone()],
            webhook_first_backoff: Duration::from_millis(50),
            ..EventsConfig::default()
        },
        ..sqlite_config()
    })
    .unwrap();
    let mut d = Device::enrol(&c);
    d.check_in(&c, Shape::NonCompliant);
    let got = hook.join().unwrap();
    drop(c);

    assert_eq!(got.len(), 4, "{got:#?}");
    for (_, r) in &got {
        assert_eq!(r.line, "POST /hooks/posture HTTP/1.1");
        verify(r);
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_valid(&body);
        // The id is the OCSF event's: a receiver deduplicates by it.
        assert_eq!(header(r, "webhook-id"), body["metadata"]["uid"]);
        assert_eq!(body["device"]["uid"], d.id.as_str());
    }
    assert_eq!(got[0].0, 500);
    // The failed event comes again, byte for byte (order is not kept: a
    // retry waits its backoff while later events go ahead).
    let failed_id = header(&got[0].1, "webhook-id");
    let again: Vec<&HecRequest> = got[1..]
        .iter()
        .map(|(_, r)| r)
        .filter(|r| header(r, "webhook-id") == failed_id)
        .collect();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].body, got[0].1.body);
    let mut classes: Vec<u64> = got[1..]
        .iter()
        .map(|(_, r)| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["class_uid"]
                .as_u64()
                .unwrap()
        })
        .collect();
    classes.sort();
    assert_eq!(classes, [2003, 5001, 5002]);

    // The queue is in the database: a collector opened on it later shows
    // what was delivered and the failure on the way.
    let again = Collector::open(CollectorConfig {
        db_path: Some(db),
        ..sqlite_config()
    })
    .unwrap();
    let status = again.webhook_status().unwrap();
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].endpoint_id, endpoint.id());
    assert_eq!(
        (status[0].delivered, status[0].pending, status[0].failed),
        (3, 0, 0)
    );
    assert_eq!(status[0].last_error.as_deref(), Some("answered 500"));
}

#[test]
fn deliveries_left_over_are_sent_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite3");
    // Nothing listens here yet: the first collector's attempt fails.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let endpoint = WebhookEndpoint {
        url: format!("http://{addr}/hooks/posture"),
        secret: WebhookSecret::parse(SECRET).unwrap(),
        name: None,
    };
    let open = |backoff: Duration| {
        spawn_local(CollectorConfig {
            db_path: Some(db.clone()),
            events: EventsConfig {
                webhooks: vec![endpoint.clone()],
                webhook_first_backoff: backoff,
                ..EventsConfig::default()
            },
            ..sqlite_config()
        })
        .unwrap()
    };
    let first = open(Duration::from_secs(3600));
    let d = Device::enrol(&first);
    drop(first);
    // Whatever the first collector managed (one attempt at most, the next
    // an hour away), the event is still owed: the next collector tries at
    // once, and a receiver is there now.
    let listener = TcpListener::bind(addr).unwrap();
    let t = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(s.try_clone().unwrap());
        let req = read_request(&mut reader).unwrap();
        let mut w = s;
        write!(w, "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").unwrap();
        req
    });
    let second = open(Duration::from_millis(1));
    let req = t.join().unwrap();
    verify(&req);
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["device"]["uid"], d.id.as_str());
    assert_eq!(body["class_uid"], 5001);
    drop(second);
}

/// On whichever store the suite runs on (PostgreSQL reads the status from
/// its own queue table).
#[test]
fn the_admin_api_shows_each_endpoint_and_its_failures() {
    use agent_core::protocol::paths;
    use agent_core::transport::{HttpRequest, Transport};

    let (url, hook) = receiver(1, vec![503]);
    let c = spawn_local(CollectorConfig {
        events: EventsConfig {
            webhooks: vec![WebhookEndpoint {
                url: format!("{url}?token=receiver-credential"),
                secret: WebhookSecret::parse(SECRET).unwrap(),
                name: None,
            }],
            webhook_first_backoff: Duration::from_millis(50),
            ..EventsConfig::default()
        },
        ..config()
    })
    .unwrap();
    let get = |token: Option<&str>| {
        let mut r = HttpRequest::get(format!("{}{}", c.url(), paths::WEBHOOKS));
        if let Some(t) = token {
            r = r.with_header("authorization", &format!("Bearer {t}"));
        }
        http().send(r).unwrap()
    };
    assert_problem(&get(None), 401, "unauthorized");
    let before: Value = serde_json::from_slice(&get(Some(c.admin_token())).body).unwrap();
    assert_eq!(before["webhooks"][0]["delivered"], 0);
    assert_eq!(before["webhooks"][0]["url"], url.as_str());
    Device::enrol(&c);
    let got = hook.join().unwrap();
    assert_eq!(got.len(), 2);
    // The 503 was recorded before the retry went out; whether the retry's
    // 2xx is recorded yet is not known here, so only the failure is checked.
    let r = get(Some(c.admin_token()));
    assert_eq!(r.status, 200, "{r:?}");
    assert_documented("get", paths::WEBHOOKS, 200);
    let shown: Value = serde_json::from_slice(&r.body).unwrap();
    let w = &shown["webhooks"][0];
    assert_eq!(w["url"], url.as_str(), "the query is not shown");
    assert!(!String::from_utf8_lossy(&r.body).contains("receiver-credential"));
    assert_eq!(w["last_error"], "answered 503");
    assert_eq!(w["failed"], 0);
}

#[test]
fn a_bad_ca_for_the_webhooks_stops_the_start() {
    let err = Collector::open(CollectorConfig {
        events: EventsConfig {
            webhooks: vec![WebhookEndpoint {
                url: "https://hooks.example/posture".into(),
                secret: WebhookSecret::parse(SECRET).unwrap(),
                name: None,
            }],
            ca_pem: Some(b"not a certificate".to_vec()),
            ..EventsConfig::default()
        },
        ..sqlite_config()
    })
    .unwrap_err();
    assert!(err.to_string().contains("event output CA"), "{err}");
}

/// A port nobody listens on.
fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/hooks/posture")
}

/// Waits until the collector's queue for its one endpoint is as `done`
/// says (a condition, not a time: bounded only so a bug fails the test).
fn wait_for(c: &Collector, done: impl Fn(&posture_collector::WebhookStatus) -> bool) {
    let until = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let status = c.webhook_status().unwrap();
        if status.iter().any(&done) {
            return;
        }
        assert!(std::time::Instant::now() < until, "{status:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_named_endpoint_keeps_its_pending_deliveries_when_its_url_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite3");
    let open = |url: String| {
        spawn_local(CollectorConfig {
            db_path: Some(db.clone()),
            events: EventsConfig {
                webhooks: vec![WebhookEndpoint {
                    url,
                    secret: WebhookSecret::parse(SECRET).unwrap(),
                    name: Some("siem".into()),
                }],
                webhook_first_backoff: Duration::from_secs(3600),
                ..EventsConfig::default()
            },
            ..sqlite_config()
        })
        .unwrap()
    };
    // The old URL is gone: the enrolment's event waits in the queue.
    let first = open(dead_url());
    let d = Device::enrol(&first);
    drop(first);
    // The trust moved its receiver; the same endpoint, by name, gets it.
    let (url, hook) = receiver(1, vec![]);
    let second = open(url);
    let got = hook.join().unwrap();
    assert_eq!(got.len(), 1);
    verify(&got[0].1);
    let body: Value = serde_json::from_slice(&got[0].1.body).unwrap();
    assert_eq!(body["class_uid"], 5001);
    assert_eq!(body["device"]["uid"], d.id.as_str());
    wait_for(second.collector(), |s| s.delivered == 1);
    let status = second.collector().webhook_status().unwrap();
    assert_eq!(status.len(), 1, "{status:?}");
    assert_eq!(status[0].endpoint_id, "siem");
    assert_eq!((status[0].pending, status[0].failed), (0, 0));
}

#[test]
fn an_unnamed_endpoint_whose_url_changed_is_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite3");
    let open = |url: String| {
        spawn_local(CollectorConfig {
            db_path: Some(db.clone()),
            events: EventsConfig {
                webhooks: vec![WebhookEndpoint {
                    url,
                    secret: WebhookSecret::parse(SECRET).unwrap(),
                    name: None,
                }],
                webhook_first_backoff: Duration::from_secs(3600),
                ..EventsConfig::default()
            },
            ..sqlite_config()
        })
        .unwrap()
    };
    let old = dead_url();
    let first = open(old.clone());
    Device::enrol(&first);
    drop(first);
    let second = open(dead_url());
    // The old URL's row has nowhere to go: given up, and said why.
    wait_for(second.collector(), |s| s.failed == 1);
    let status = second.collector().webhook_status().unwrap();
    let gone = status.iter().find(|s| s.failed == 1).unwrap();
    assert_eq!(gone.url, None, "{status:?}");
    assert_eq!(
        gone.last_error.as_deref(),
        Some("endpoint no longer configured")
    );
}

#[test]
fn a_delivery_is_retried_until_the_horizon_then_given_up() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite3");
    let url = dead_url();
    let open = || {
        spawn_local(CollectorConfig {
            db_path: Some(db.clone()),
            events: EventsConfig {
                webhooks: vec![WebhookEndpoint {
                    url: url.clone(),
                    secret: WebhookSecret::parse(SECRET).unwrap(),
                    name: Some("siem".into()),
                }],
                webhook_first_backoff: Duration::from_secs(3600),
                webhook_retry_for: Duration::from_secs(2 * 3600),
                ..EventsConfig::default()
            },
            ..sqlite_config()
        })
        .unwrap()
    };
    let first = open();
    Device::enrol(&first);
    Device::enrol(&first);
    wait_for(first.collector(), |s| s.pending == 2);
    drop(first);
    // One event was queued three hours ago, past the two-hour horizon;
    // the other is new and still inside it.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE webhook_deliveries SET created_at_ms = created_at_ms - 3 * 3600 * 1000
         WHERE rowid = (SELECT min(rowid) FROM webhook_deliveries)",
        [],
    )
    .unwrap();
    drop(conn);
    // The restart tries both at once: the old one's failure is its last.
    let second = open();
    wait_for(second.collector(), |s| s.failed == 1);
    let status = second.collector().webhook_status().unwrap();
    assert_eq!((status[0].pending, status[0].failed), (1, 1), "{status:?}");
    assert_eq!(status[0].delivered, 0);
}
