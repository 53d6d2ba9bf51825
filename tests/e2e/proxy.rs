//! A loopback TCP proxy in front of the collector that a test can switch
//! between forwarding, refusing connections, hanging (accepting and never
//! answering) and answering garbage, to play a network that goes away and
//! comes back; it can also be pointed at another server (for TLS: one whose
//! certificate the agent does not trust). It sees bytes, not HTTP: the
//! HTTP-aware faults are in `fault_proxy`.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// What the proxy does with a new connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Pass bytes both ways to the collector.
    Forward = 0,
    /// Close the connection at once (the collector is down).
    Refuse = 1,
    /// Accept and never answer (a black hole).
    Hang = 2,
    /// Read what the client sends first (a TLS ClientHello) and answer
    /// bytes that are no protocol at all, then close.
    Garbage = 3,
}

/// A running proxy; it stops accepting when dropped.
pub struct Proxy {
    pub url: String,
    mode: Arc<AtomicU8>,
    upstream: Arc<Mutex<String>>,
    held: Arc<Mutex<Vec<TcpStream>>>,
    live: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    /// Starts a proxy on 127.0.0.1 in front of `upstream` (host:port).
    pub fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mode = Arc::new(AtomicU8::new(Mode::Forward as u8));
        let held = Arc::new(Mutex::new(Vec::new()));
        let live = Arc::new(Mutex::new(Vec::new()));
        let upstream = Arc::new(Mutex::new(upstream.to_owned()));
        let (m, h, l, up) = (mode.clone(), held.clone(), live.clone(), upstream.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(client) = conn else { continue };
                match m.load(Ordering::SeqCst) {
                    0 => {
                        let to = up.lock().unwrap().clone();
                        forward(client, &to, &l);
                    }
                    1 => {
                        let _ = client.shutdown(Shutdown::Both);
                    }
                    3 => {
                        thread::spawn(move || garbage(client));
                    }
                    _ => h.lock().unwrap().push(client),
                }
            }
        });
        Proxy {
            url,
            mode,
            upstream,
            held,
            live,
        }
    }

    /// Switches what happens to connections, cutting the ones in use, as
    /// a network that goes away would (a kept-alive connection must not
    /// outlive the switch).
    pub fn set(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
        for s in self.live.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
        if mode != Mode::Hang {
            self.held.lock().unwrap().clear();
        }
    }

    /// Sends new connections to `upstream` (host:port) from now on, cutting
    /// the ones in use.
    pub fn divert(&self, upstream: &str) {
        *self.upstream.lock().unwrap() = upstream.to_owned();
        self.set(Mode::Forward);
    }
}

fn garbage(mut client: TcpStream) {
    let mut buf = [0u8; 4096];
    let _ = client.read(&mut buf);
    let _ = client.write_all(b"HTTP/1.0 200 OK\r\n\r\nthis is not TLS\0\xff\x01");
    let _ = client.shutdown(Shutdown::Both);
}

fn forward(client: TcpStream, upstream: &str, live: &Mutex<Vec<TcpStream>>) {
    let Ok(server) = TcpStream::connect(upstream) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    live.lock().unwrap().push(client.try_clone().unwrap());
    let pipe = |mut from: TcpStream, mut to: TcpStream| {
        thread::spawn(move || {
            let mut buf = [0u8; 16 * 1024];
            loop {
                match from.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                }
            }
            let _ = to.shutdown(Shutdown::Write);
        });
    };
    pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
    pipe(server, client);
}
