//! HTTPS with a dev CA: trusted when the agent is given the CA, refused
//! otherwise.

use agent_core::protocol::paths;
use agent_core::transport::{HttpRequest, HttpTransport, Transport, TransportConfig};
use posture_collector::spawn_local_tls;

use crate::common::*;

#[test]
fn https_works_with_the_dev_ca_and_fails_without_it() {
    let c = spawn_local_tls(config()).unwrap();
    assert!(c.url().starts_with("https://127.0.0.1:"));
    let request = || {
        HttpRequest::get(format!("{}{}", c.url(), paths::FLEET))
            .with_header("authorization", &format!("Bearer {}", c.admin_token()))
    };
    let trusting = HttpTransport::new(TransportConfig {
        extra_ca_pem: Some(c.ca_pem().unwrap().as_bytes().to_vec()),
        ..TransportConfig::default()
    })
    .unwrap();
    let r = trusting.send(request()).unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    let err = http().send(request()).unwrap_err();
    assert!(
        !err.is_retryable() || err.to_string().to_lowercase().contains("cert"),
        "{err}"
    );
}
