//! A loopback TCP proxy in front of the collector that a test can switch
//! between forwarding, refusing connections and hanging (accepting and
//! never answering), to play a network that goes away and comes back.

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
}

/// A running proxy; it stops accepting when dropped.
pub struct Proxy {
    pub url: String,
    mode: Arc<AtomicU8>,
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
        let (m, h, l, up) = (
            mode.clone(),
            held.clone(),
            live.clone(),
            upstream.to_owned(),
        );
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(client) = conn else { continue };
                match m.load(Ordering::SeqCst) {
                    0 => forward(client, &up, &l),
                    1 => {
                        let _ = client.shutdown(Shutdown::Both);
                    }
                    _ => h.lock().unwrap().push(client),
                }
            }
        });
        Proxy {
            url,
            mode,
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
