//! The queue's bounds and retries, the syslog framing, the rotation of a
//! JSON-lines file.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use agent_core::Platform;
use agent_core::protocol::DeviceId;
use time::OffsetDateTime;

use super::sink::{Deliver, Outputs};
use super::{Event, EventKind, EventsError, jsonl, new_id, ocsf, syslog};

fn event(kind: EventKind) -> Arc<Event> {
    Arc::new(Event {
        id: new_id().unwrap(),
        time: OffsetDateTime::from_unix_timestamp(1_764_763_200).unwrap(),
        device_id: DeviceId::new("dev_abc").unwrap(),
        platform: Platform::Android,
        kind,
    })
}

/// A sink that says when it got an event and waits to be let go.
struct Gate {
    started: Sender<()>,
    release: Arc<Mutex<Receiver<()>>>,
}

impl Deliver for Gate {
    fn deliver(&mut self, _: &Event, _: &str) -> Result<(), EventsError> {
        let _ = self.started.send(());
        let _ = self.release.lock().unwrap().recv();
        Ok(())
    }
}

#[test]
fn a_full_queue_drops_and_counts_without_waiting() {
    let (started_tx, started) = channel();
    let (release, release_rx) = channel();
    let gate = Gate {
        started: started_tx,
        release: Arc::new(Mutex::new(release_rx)),
    };
    let outputs = Outputs::with_sinks(vec![("gate".into(), Box::new(gate))], 2, 1).unwrap();
    outputs.publish(event(EventKind::Enrolled));
    // The output holds the first event: two more fit in its queue.
    started.recv().unwrap();
    for _ in 0..9 {
        outputs.publish(event(EventKind::Enrolled));
    }
    let stats = outputs.stats();
    assert_eq!(stats[0].dropped, 7, "{stats:?}");
    for _ in 0..3 {
        release.send(()).unwrap();
    }
    assert_eq!(stats[0].output, "gate");
    drop(outputs);
}

/// A sink that fails `fail` times (refusing for good when `refuse`), then
/// delivers, and keeps what it delivered.
struct Flaky {
    fail: u32,
    refuse: bool,
    tried: Sender<()>,
    tries: Arc<Mutex<u32>>,
    got: Arc<Mutex<Vec<String>>>,
}

impl Deliver for Flaky {
    fn deliver(&mut self, _: &Event, json: &str) -> Result<(), EventsError> {
        *self.tries.lock().unwrap() += 1;
        let _ = self.tried.send(());
        if self.fail > 0 {
            self.fail -= 1;
            return Err(if self.refuse {
                EventsError::Refused("no".into())
            } else {
                EventsError::Delivery("down".into())
            });
        }
        self.got.lock().unwrap().push(json.to_owned());
        Ok(())
    }
}

/// Runs one event through a [`Flaky`] sink, waiting for `expected` tries
/// before shutting down; returns the tries made and the events delivered.
fn run_flaky(fail: u32, refuse: bool, attempts: u32, expected: u32) -> (u32, usize) {
    let (tried, tried_rx) = channel();
    let tries = Arc::new(Mutex::new(0));
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = Flaky {
        fail,
        refuse,
        tried,
        tries: tries.clone(),
        got: got.clone(),
    };
    let outputs = Outputs::with_sinks(vec![("flaky".into(), Box::new(sink))], 8, attempts).unwrap();
    outputs.publish(event(EventKind::Enrolled));
    for _ in 0..expected {
        tried_rx.recv().unwrap();
    }
    // Shutting down waits for the event to be settled.
    drop(outputs);
    let tries = *tries.lock().unwrap();
    let delivered = got.lock().unwrap().len();
    (tries, delivered)
}

#[test]
fn a_failed_delivery_is_retried_then_given_up() {
    assert_eq!(run_flaky(1, false, 3, 2), (2, 1));
    assert_eq!(run_flaky(5, false, 2, 2), (2, 0));
    // A refusal is final: no second try.
    assert_eq!(run_flaky(1, true, 3, 1), (1, 0));
}

#[test]
fn syslog_frames_count_octets_and_carry_the_ocsf_json() {
    let e = event(EventKind::Enrolled);
    let json = ocsf::render(&e).to_string();
    let framed = syslog::frame(&e, &json);
    let (len, msg) = framed.split_once(' ').unwrap();
    assert_eq!(len.parse::<usize>().unwrap(), msg.len());
    // local0 (16) * 8 + informational (6) = 134.
    let expected = format!(
        "<134>1 2025-12-03T12:00:00Z - posture-collector {} ocsf-5001 - {json}",
        std::process::id()
    );
    assert_eq!(msg, expected);
}

#[test]
fn a_json_lines_file_rotates_by_size_and_keeps_n() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let e = event(EventKind::Enrolled);
    let line = "x".repeat(99);
    // 100 bytes a line, 250 a file: two lines a file.
    let mut f = jsonl::JsonLinesFile::open(path.clone(), 250, 2).unwrap();
    for _ in 0..9 {
        f.deliver(&e, &line).unwrap();
    }
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).ok();
    assert_eq!(size(&path), Some(100));
    assert_eq!(size(&dir.path().join("events.jsonl.1")), Some(200));
    assert_eq!(size(&dir.path().join("events.jsonl.2")), Some(200));
    assert_eq!(size(&dir.path().join("events.jsonl.3")), None);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
