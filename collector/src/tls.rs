//! TLS: a supplied certificate and key (PEM), or a throwaway CA and
//! localhost certificate for local testing. rustls on ring only.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::CollectorError;
use crate::files;

/// A server TLS configuration (HTTP/1.1 over TLS 1.2 or 1.3).
#[derive(Debug, Clone)]
pub struct TlsConfig {
    pub(crate) server: Arc<ServerConfig>,
}

/// The CA made by [`TlsConfig::dev_self_signed`]: the agent must be given
/// it explicitly (it is in no trust store).
#[derive(Debug, Clone)]
pub struct DevCertificates {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// Where `ca.pem` was written, when a folder was given.
    pub ca_path: Option<PathBuf>,
}

fn tls_err(what: &str) -> impl Fn(String) -> CollectorError + '_ {
    move |e| CollectorError::Tls(format!("{what}: {e}"))
}

impl TlsConfig {
    /// From a PEM certificate chain (leaf first) and a PEM private key.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<TlsConfig, CollectorError> {
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| tls_err("read the certificate PEM")(e.to_string()))?;
        if chain.is_empty() {
            return Err(CollectorError::Tls(
                "the certificate file holds no CERTIFICATE block".into(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| tls_err("read the private key PEM")(e.to_string()))?;
        TlsConfig::from_der(chain, key)
    }

    /// From PEM files.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<TlsConfig, CollectorError> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|e| CollectorError::io(format!("read {}", p.display()), e))
        };
        TlsConfig::from_pem(&read(cert)?, &read(key)?)
    }

    fn from_der(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<TlsConfig, CollectorError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_err("protocol versions")(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| tls_err("certificate and key")(e.to_string()))?;
        server.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsConfig {
            server: Arc::new(server),
        })
    }

    /// A new CA and a certificate it signs for `localhost` and 127.0.0.1,
    /// for local testing only. With `dir`, the CA is written to
    /// `dir/ca.pem` (0644; a missing folder is created 0700) so an agent
    /// can be given it. The CA's private key is never written anywhere.
    pub fn dev_self_signed(
        dir: Option<&Path>,
    ) -> Result<(TlsConfig, DevCertificates), CollectorError> {
        let rc = |e: rcgen::Error| CollectorError::Tls(format!("make a dev certificate: {e}"));
        let ca_key = KeyPair::generate().map_err(rc)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(rc)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(
            DnType::CommonName,
            "posture-agent dev CA (local testing only)",
        );
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca_params.self_signed(&ca_key).map_err(rc)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let leaf_key = KeyPair::generate().map_err(rc)?;
        // rcgen turns "127.0.0.1" and "::1" into IP address SANs.
        let names = ["localhost", "127.0.0.1", "::1"]
            .map(str::to_owned)
            .to_vec();
        let mut leaf_params = CertificateParams::new(names).map_err(rc)?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).map_err(rc)?;

        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let tls = TlsConfig::from_der(vec![leaf.der().clone()], key)?;
        let ca_pem = ca_cert.pem();
        let ca_path = match dir {
            Some(dir) => {
                // The folder is made 0700 and the certificate 0644 (never
                // writable by others, whatever the umask): an agent trusts
                // whatever CA this file holds. The CA's key stays in memory.
                files::create_private_dirs(dir)?;
                let path = dir.join("ca.pem");
                files::write_public_file(&path, ca_pem.as_bytes())?;
                Some(path)
            }
            None => None,
        };
        Ok((tls, DevCertificates { ca_pem, ca_path }))
    }
}
