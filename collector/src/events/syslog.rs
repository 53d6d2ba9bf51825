//! Syslog (RFC 5424) over TCP or TLS with octet-counting framing (RFC 6587
//! §3.4.1, RFC 5425 §4.3): `LEN SP <PRI>1 TIMESTAMP - APP PROCID MSGID - MSG`,
//! the OCSF JSON as MSG.

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use time::format_description::well_known::Rfc3339;

use super::ocsf::{self, Severity};
use super::sink::Deliver;
use super::{Event, EventsError};

/// Facility local0 (RFC 5424 §6.2.1): the one left for applications.
const FACILITY_LOCAL0: u8 = 16;
/// The APP-NAME field.
const APP_NAME: &str = "posture-collector";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// One syslog message, framed with its octet count.
pub(crate) fn frame(event: &Event, json: &str) -> String {
    let (class, severity) = ocsf::class_of(event);
    // Severity per RFC 5424 §6.2.1: 6 informational, 4 warning, 3 error.
    let level = match severity {
        Severity::Informational => 6,
        Severity::Medium => 4,
        Severity::High => 3,
    };
    let pri = FACILITY_LOCAL0 * 8 + level;
    let ts = event
        .time
        .format(&Rfc3339)
        .unwrap_or_else(|_| "-".to_owned());
    // HOSTNAME is the NILVALUE: the device is named in the JSON by its
    // random id, and the collector's host name adds nothing a receiver
    // does not see from the connection.
    let msg = format!(
        "<{pri}>1 {ts} - {APP_NAME} {} ocsf-{class} - {json}",
        std::process::id()
    );
    format!("{} {msg}", msg.len())
}

enum Conn {
    Tcp(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Conn {
    fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Tcp(s) => s,
            Conn::Tls(s) => &s.sock,
        }
    }

    /// Whether the receiver closed the connection: a write into it would
    /// seem to succeed and lose the event.
    fn closed(&self) -> bool {
        let s = self.tcp();
        if s.set_nonblocking(true).is_err() {
            return true;
        }
        let mut b = [0u8; 1];
        let closed = match s.peek(&mut b) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
        };
        s.set_nonblocking(false).is_err() || closed
    }

    fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Conn::Tcp(s) => s.write_all(bytes).and_then(|()| s.flush()),
            Conn::Tls(s) => s.write_all(bytes).and_then(|()| s.flush()),
        }
    }
}

/// A syslog receiver, connected on first use and again after a failure.
pub(crate) struct Syslog {
    host: String,
    port: u16,
    tls: Option<Arc<ClientConfig>>,
    conn: Option<Conn>,
}

impl Syslog {
    /// Over plain TCP.
    pub fn tcp(host: &str, port: u16) -> Syslog {
        Syslog {
            host: host.to_owned(),
            port,
            tls: None,
            conn: None,
        }
    }

    /// Over TLS, trusting the Mozilla roots and `extra_ca_pem`.
    pub fn tls(host: &str, port: u16, extra_ca_pem: Option<&[u8]>) -> Result<Syslog, EventsError> {
        Ok(Syslog {
            host: host.to_owned(),
            port,
            tls: Some(client_config(extra_ca_pem)?),
            conn: None,
        })
    }

    fn connect(&self) -> Result<Conn, EventsError> {
        let where_ = format!("{}:{}", self.host, self.port);
        let addrs = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| EventsError::Delivery(format!("resolve {where_}: {e}")))?;
        let mut last = None;
        let mut stream = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let stream = stream.ok_or_else(|| {
            EventsError::Delivery(format!(
                "connect to {where_}: {}",
                last.map_or_else(|| "no address".to_owned(), |e| e.to_string())
            ))
        })?;
        stream
            .set_write_timeout(Some(WRITE_TIMEOUT))
            .map_err(|e| EventsError::io("set a syslog write timeout", e))?;
        let Some(config) = &self.tls else {
            return Ok(Conn::Tcp(stream));
        };
        let name = ServerName::try_from(self.host.clone())
            .map_err(|e| EventsError::Delivery(format!("{}: {e}", self.host)))?;
        let mut tls = ClientConnection::new(config.clone(), name)
            .map_err(|e| EventsError::Delivery(format!("TLS to {where_}: {e}")))?;
        let mut stream = stream;
        // The handshake now, so a bad certificate is reported as such.
        while tls.is_handshaking() {
            tls.complete_io(&mut stream)
                .map_err(|e| EventsError::Delivery(format!("TLS handshake with {where_}: {e}")))?;
        }
        Ok(Conn::Tls(Box::new(StreamOwned::new(tls, stream))))
    }
}

impl Deliver for Syslog {
    fn deliver(&mut self, event: &Event, json: &str) -> Result<(), EventsError> {
        if self.conn.as_ref().is_some_and(Conn::closed) {
            self.conn = None;
        }
        let mut conn = match self.conn.take() {
            Some(c) => c,
            None => self.connect()?,
        };
        let framed = frame(event, json);
        conn.send(framed.as_bytes()).map_err(|e| {
            EventsError::Delivery(format!("send to {}:{}: {e}", self.host, self.port))
        })?;
        self.conn = Some(conn);
        Ok(())
    }
}

impl Drop for Syslog {
    fn drop(&mut self) {
        // A clean TLS close, so the receiver knows nothing was cut off.
        // What the receiver sent meanwhile (TLS 1.3 session tickets) is
        // read and dropped first: closing a socket with unread input makes
        // the kernel reset the connection, and a reset can cost the
        // receiver the last messages still in its buffer.
        if let Some(Conn::Tls(s)) = &mut self.conn {
            s.conn.send_close_notify();
            let _ = s.flush();
            let _ = s.sock.shutdown(std::net::Shutdown::Write);
            let _ = s.sock.set_read_timeout(Some(Duration::from_secs(2)));
            let mut sink = [0u8; 4096];
            while matches!(std::io::Read::read(&mut s.sock, &mut sink), Ok(n) if n > 0) {}
        }
    }
}

/// A TLS client on ring trusting the Mozilla roots plus `extra_ca_pem`.
pub(super) fn client_config(extra_ca_pem: Option<&[u8]>) -> Result<Arc<ClientConfig>, EventsError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_ca_pem {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| EventsError::Ca(e.to_string()))?;
            roots
                .add(cert)
                .map_err(|e| EventsError::Ca(e.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(EventsError::Ca("no certificate in the PEM".into()));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| EventsError::Ca(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
