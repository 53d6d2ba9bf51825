//! The built-in transport against a TLS server on 127.0.0.1 whose
//! certificate comes from a CA made in the test.
#![cfg(feature = "http")]

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, PublicKeyData, SanType};
use ring::digest::{SHA256, digest};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::tests::read_request;
use super::*;

struct TestPki {
    ca_pem: String,
    leaf_der: CertificateDer<'static>,
    leaf_key: KeyPair,
}

fn make_pki() -> TestPki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf_params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    TestPki {
        ca_pem: ca_cert.pem(),
        leaf_der: leaf.der().clone(),
        leaf_key,
    }
}

/// The pin of the leaf key, computed independently of the transport.
fn pin_of(key: &KeyPair) -> String {
    STANDARD.encode(digest(&SHA256, &key.subject_public_key_info()))
}

/// A TLS server answering every connection with 200 and a small body.
fn serve_tls(pki: &TestPki) -> String {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.leaf_key.serialize_der()));
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![pki.leaf_der.clone()], key)
            .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "https://127.0.0.1:{}/v1/fleet",
        listener.local_addr().unwrap().port()
    );
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let config = config.clone();
            thread::spawn(move || {
                let conn = ServerConnection::new(config).unwrap();
                let mut tls = StreamOwned::new(conn, stream);
                // A client that rejects the certificate aborts the
                // handshake here; that is the expected outcome.
                let request = read_request(&mut tls);
                if request.is_empty() {
                    return;
                }
                let _ = tls.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
                );
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    url
}

fn transport(ca_pem: Option<&str>, pins: Vec<String>) -> HttpTransport {
    HttpTransport::new(TransportConfig {
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(5),
        extra_ca_pem: ca_pem.map(|p| p.as_bytes().to_vec()),
        spki_pins: pins,
        ..TransportConfig::default()
    })
    .unwrap()
}

#[test]
fn an_unknown_ca_is_rejected() {
    let pki = make_pki();
    let url = serve_tls(&pki);
    let error = transport(None, Vec::new())
        .send(HttpRequest::get(url))
        .unwrap_err();
    assert!(matches!(error, TransportError::Tls { .. }), "{error:?}");
    assert!(!error.is_retryable());
}

#[test]
fn the_test_ca_passed_explicitly_is_trusted() {
    let pki = make_pki();
    let url = serve_tls(&pki);
    let response = transport(Some(&pki.ca_pem), Vec::new())
        .send(HttpRequest::get(url))
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"hello");
}

#[test]
fn a_wrong_pin_is_rejected_even_with_a_trusted_ca() {
    let pki = make_pki();
    let url = serve_tls(&pki);
    let other = KeyPair::generate().unwrap();
    let error = transport(Some(&pki.ca_pem), vec![pin_of(&other)])
        .send(HttpRequest::get(url))
        .unwrap_err();
    assert!(
        matches!(error, TransportError::PinMismatch { ref host } if host.starts_with("127.0.0.1:")),
        "{error:?}"
    );
}

#[test]
fn the_right_pin_is_accepted() {
    let pki = make_pki();
    let url = serve_tls(&pki);
    let other = KeyPair::generate().unwrap();
    let pins = vec![pin_of(&other), format!("sha256/{}", pin_of(&pki.leaf_key))];
    let response = transport(Some(&pki.ca_pem), pins)
        .send(HttpRequest::get(url))
        .unwrap();
    assert_eq!(response.body, b"hello");
}

#[test]
fn the_right_pin_does_not_replace_chain_validation() {
    let pki = make_pki();
    let url = serve_tls(&pki);
    let error = transport(None, vec![pin_of(&pki.leaf_key)])
        .send(HttpRequest::get(url))
        .unwrap_err();
    assert!(matches!(error, TransportError::Tls { .. }), "{error:?}");
}

#[test]
fn a_malformed_pin_is_a_config_error() {
    let error = HttpTransport::new(TransportConfig {
        spki_pins: vec!["nope".to_owned()],
        ..TransportConfig::default()
    })
    .unwrap_err();
    assert!(matches!(error, TransportError::Config(_)), "{error:?}");
}
