//! A fault-injecting HTTP/1.1 proxy on loopback, between real agents and the
//! real collector. Each request to `POST /v1/reports` or `/v1/challenge` gets
//! a [`Fault`]: the next one from a script, else one drawn by a seeded RNG
//! at the configured rate, else none. Other requests (enrolment, admin) pass
//! untouched.
//!
//! One request per connection (`connection: close` both ways), so a fault
//! never leaks into the next request, and the framing stays small: a request
//! is a head of at most 16 KiB and a `content-length` body of at most 1 MiB.

use std::collections::{HashMap, VecDeque};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use self::http::{Answer, forward, http_date, read_request, synth};

mod http;

/// A stalled connection is let go after this even if the client never
/// gives up, so a broken test cannot leave threads behind forever.
const STALL_LIMIT: Duration = Duration::from_secs(300);

/// What the proxy does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// Forwarded; the collector's answer passed back untouched.
    None,
    /// `500` without forwarding: nothing stored.
    ServerError,
    /// Forwarded (the collector stored it), then `502` instead of its answer.
    ServerErrorAfterStore,
    /// `429` with `Retry-After` in seconds, not forwarded.
    RetryAfterSeconds,
    /// `503` with `Retry-After` as an HTTP-date, not forwarded.
    RetryAfterDate,
    /// The connection closed once the request is read, not forwarded.
    CutBeforeForward,
    /// Forwarded (stored), then the connection closed before any byte of
    /// the answer reached the client.
    CutAfterStore,
    /// The request read and never answered, until the client gives up.
    Stall,
    /// `200 application/json` whose body is not JSON, not forwarded.
    MalformedJson,
    /// `200 text/html`, a captive portal's sign-in page, not forwarded.
    CaptivePortal,
    /// The device's previous ack replayed (so the wrong `jti`), not
    /// forwarded, as a caching middlebox would. Reports only; with no
    /// earlier ack to replay the request is forwarded untouched.
    WrongJti,
    /// Forwarded (stored); the answer cut off halfway through its body.
    Truncated,
}

impl Fault {
    /// Every fault the proxy injects.
    pub const ALL: [Fault; 11] = [
        Fault::ServerError,
        Fault::ServerErrorAfterStore,
        Fault::RetryAfterSeconds,
        Fault::RetryAfterDate,
        Fault::CutBeforeForward,
        Fault::CutAfterStore,
        Fault::Stall,
        Fault::Truncated,
        Fault::MalformedJson,
        Fault::CaptivePortal,
        Fault::WrongJti,
    ];
    /// 2xx answers that are not the report's ack, sent for a report the
    /// collector never saw: the agent must keep the report queued and count
    /// a protocol error.
    pub const BAD_ACKS: [Fault; 3] = [Fault::MalformedJson, Fault::CaptivePortal, Fault::WrongJti];

    /// A short name for the printed counts.
    pub fn name(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::ServerError => "500 not stored",
            Fault::ServerErrorAfterStore => "502 after store",
            Fault::RetryAfterSeconds => "429 Retry-After secs",
            Fault::RetryAfterDate => "503 Retry-After date",
            Fault::CutBeforeForward => "cut before forward",
            Fault::CutAfterStore => "cut after store",
            Fault::Stall => "stall",
            Fault::MalformedJson => "200 malformed JSON",
            Fault::CaptivePortal => "200 text/html",
            Fault::WrongJti => "200 wrong jti",
            Fault::Truncated => "truncated body",
        }
    }

    fn forwards(self) -> bool {
        matches!(
            self,
            Fault::None | Fault::ServerErrorAfterStore | Fault::CutAfterStore | Fault::Truncated
        )
    }
}

/// Counts of what the proxy did.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Faults applied to report posts, by kind (`None` included).
    pub reports: HashMap<Fault, u64>,
    /// Faults applied to challenge requests, by kind.
    pub challenges: HashMap<Fault, u64>,
    /// How often each report (by `jti`) reached the collector.
    pub forwarded: HashMap<String, u32>,
    /// Report posts that came before the end of a Retry-After their device
    /// had been given (the agent must send nothing before it).
    pub early: u64,
}

impl Stats {
    /// Report posts the proxy received.
    pub fn report_posts(&self) -> u64 {
        self.reports.values().sum()
    }

    /// Faults applied to reports and challenges, by kind, without `None`.
    pub fn faults(&self) -> Vec<(Fault, u64, u64)> {
        let mut kinds: Vec<Fault> = self
            .reports
            .keys()
            .chain(self.challenges.keys())
            .copied()
            .filter(|f| *f != Fault::None)
            .collect();
        kinds.sort();
        kinds.dedup();
        kinds
            .into_iter()
            .map(|k| {
                let r = self.reports.get(&k).copied().unwrap_or(0);
                let c = self.challenges.get(&k).copied().unwrap_or(0);
                (k, r, c)
            })
            .collect()
    }
}

struct Random {
    state: u64,
    per_mille: u64,
    kinds: Vec<Fault>,
}

impl Random {
    fn next(&mut self) -> u64 {
        // splitmix64: small, seeded, and successive draws independent enough
        // that the kinds come out evenly.
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn draw(&mut self) -> Fault {
        if self.kinds.is_empty() || self.next() % 1000 >= self.per_mille {
            return Fault::None;
        }
        let i = (self.next() % self.kinds.len() as u64) as usize;
        self.kinds[i]
    }
}

struct Shared {
    retry_after: Duration,
    script: VecDeque<Fault>,
    random: Option<Random>,
    stats: Stats,
    /// When each device's last Retry-After ends at the earliest (`sub`).
    quiet_until: HashMap<String, Instant>,
    /// The last genuine report ack per device (`sub`), for `WrongJti`.
    last_ack: HashMap<String, Vec<u8>>,
}

/// A running proxy; it stops accepting and lets stalled clients go when dropped.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    shared: Arc<Mutex<Shared>>,
    stalled: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

impl FaultProxy {
    /// A proxy on 127.0.0.1 in front of the collector at `upstream` (`http://host:port`).
    pub fn start(upstream: &str) -> FaultProxy {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Mutex::new(Shared {
            retry_after: Duration::from_secs(1),
            script: VecDeque::new(),
            random: None,
            stats: Stats::default(),
            quiet_until: HashMap::new(),
            last_ack: HashMap::new(),
        }));
        let stalled = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (sh, st, sp) = (shared.clone(), stalled.clone(), stop.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                let (sh, st, up) = (sh.clone(), st.clone(), upstream.clone());
                thread::spawn(move || handle(client, &up, &sh, &st));
            }
        });
        FaultProxy {
            url: format!("http://{addr}"),
            shared,
            stalled,
            stop,
            addr,
        }
    }

    /// The next report posts get these faults, in order (before any random one).
    pub fn script(&self, faults: impl IntoIterator<Item = Fault>) {
        self.shared.lock().unwrap().script.extend(faults);
    }

    /// From now on `per_mille` of the requests get one of `kinds`, drawn
    /// from an RNG seeded with `seed`; a rate of 0 stops faults.
    pub fn random(&self, seed: u64, per_mille: u64, kinds: &[Fault]) {
        self.shared.lock().unwrap().random = Some(Random {
            state: seed,
            per_mille,
            kinds: kinds.to_vec(),
        });
    }

    /// The wait `429`/`503` answers ask for (1 s unless set).
    pub fn set_retry_after(&self, wait: Duration) {
        self.shared.lock().unwrap().retry_after = wait;
    }

    /// No more faults: every request is forwarded untouched.
    pub fn calm(&self) {
        let mut s = self.shared.lock().unwrap();
        s.random = None;
        s.script.clear();
    }

    /// What the proxy did so far.
    pub fn stats(&self) -> Stats {
        self.shared.lock().unwrap().stats.clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        for s in self.stalled.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

fn handle(
    client: TcpStream,
    upstream: &str,
    shared: &Mutex<Shared>,
    stalled: &Mutex<Vec<TcpStream>>,
) {
    let _ = client.set_read_timeout(Some(STALL_LIMIT));
    let Some(request) = read_request(&client) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    let is_report = request.is("POST", agent_core::protocol::paths::REPORTS);
    let is_challenge = request.is("POST", agent_core::protocol::paths::CHALLENGE);
    let jti = if is_report {
        request.claim("jti")
    } else {
        None
    };
    let sub = if is_report {
        request.claim("sub")
    } else {
        None
    };
    let (fault, replay, wait) = {
        let mut s = shared.lock().unwrap();
        let mut fault = Fault::None;
        if is_report || is_challenge {
            fault = match s.script.pop_front().filter(|_| is_report) {
                Some(f) => f,
                None => s.random.as_mut().map_or(Fault::None, Random::draw),
            };
        }
        if let Some(d) = &sub {
            if s.quiet_until.get(d).is_some_and(|t| Instant::now() < *t) {
                s.stats.early += 1;
            }
            // Set before the answer leaves: the agent's wait starts later.
            if matches!(fault, Fault::RetryAfterSeconds | Fault::RetryAfterDate) {
                let until = Instant::now() + s.retry_after;
                s.quiet_until.insert(d.clone(), until);
            }
        }
        let mut replay = None;
        if fault == Fault::WrongJti {
            replay = sub.as_ref().and_then(|d| s.last_ack.get(d).cloned());
            if replay.is_none() {
                fault = Fault::None;
            }
        }
        let counts = if is_report {
            &mut s.stats.reports
        } else {
            &mut s.stats.challenges
        };
        if is_report || is_challenge {
            *counts.entry(fault).or_default() += 1;
        }
        if fault.forwards()
            && let Some(jti) = &jti
        {
            *s.stats.forwarded.entry(jti.clone()).or_default() += 1;
        }
        (fault, replay, s.retry_after)
    };

    let answer = if fault.forwards() {
        match forward(&request, upstream) {
            Some(a) => a,
            None => {
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
        }
    } else {
        Answer::default()
    };
    if fault == Fault::None
        && is_report
        && (200..300).contains(&answer.status)
        && let Some(sub) = sub
    {
        shared
            .lock()
            .unwrap()
            .last_ack
            .insert(sub, answer.body.clone());
    }

    let mut out = &client;
    let _ = match fault {
        Fault::None => out.write_all(&answer.encode()),
        Fault::ServerError => out.write_all(&synth(
            500,
            "application/problem+json",
            &[],
            br#"{"type":"about:blank","title":"Internal Server Error","status":500}"#,
        )),
        Fault::ServerErrorAfterStore => out.write_all(&synth(
            502,
            "text/html",
            &[],
            b"<html><body>502 Bad Gateway</body></html>",
        )),
        Fault::RetryAfterSeconds => out.write_all(&synth(
            429,
            "application/problem+json",
            &[("retry-after", wait.as_secs().to_string())],
            br#"{"type":"about:blank","title":"Too Many Requests","status":429}"#,
        )),
        Fault::RetryAfterDate => out.write_all(&synth(
            503,
            "text/plain",
            // One more second: the date has whole seconds and is rounded down.
            &[(
                "retry-after",
                http_date(OffsetDateTime::now_utc() + wait + Duration::from_secs(1)),
            )],
            b"down for maintenance",
        )),
        Fault::CutBeforeForward | Fault::CutAfterStore => Ok(()),
        Fault::Stall => {
            // Hold the connection until the client gives up (its timeout).
            if let Ok(clone) = client.try_clone() {
                stalled.lock().unwrap().push(clone);
            }
            let mut buf = [0u8; 512];
            while matches!((&client).read(&mut buf), Ok(n) if n > 0) {}
            Ok(())
        }
        Fault::MalformedJson => out.write_all(&synth(
            200,
            "application/json",
            &[],
            br#"{"jti": "unterminated"#,
        )),
        Fault::CaptivePortal => out.write_all(&synth(
            200,
            "text/html; charset=utf-8",
            &[],
            b"<!doctype html><title>Sign in to Guest Wi-Fi</title><form>...</form>",
        )),
        Fault::WrongJti => out.write_all(&synth(
            200,
            "application/json",
            &[],
            &replay.unwrap_or_default(),
        )),
        Fault::Truncated => {
            let mut bytes = answer.encode();
            let cut = bytes.len() - answer.body.len() / 2;
            bytes.truncate(cut);
            out.write_all(&bytes)
        }
    };
    let _ = out.flush();
    let _ = client.shutdown(Shutdown::Both);
}
