//! rustls configuration on ring: Mozilla roots plus an optional private CA,
//! and optional SPKI pinning layered on top of normal WebPKI verification.

use std::sync::{Arc, Once};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::digest::{SHA256, digest};
use rustls::SignatureScheme;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{
    CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::SigningKey;
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, OtherError, RootCertStore};
use webpki::ring as alg;

use super::TransportError;

/// Installs [`crypto_provider`] as the process-wide rustls provider, once.
/// Our own config names its provider explicitly; this is for any other
/// rustls user in the process (reqwest falls back to the default), so
/// aws-lc-rs is never needed. A provider installed earlier by the host app
/// is left alone.
pub(crate) fn install_ring_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _already_installed = crypto_provider().install_default();
    });
}

/// rustls on ring with what TLS servers are required to offer, and not the
/// alternatives the agent never needs: AES-GCM suites (TLS 1.3 and 1.2;
/// every TLS 1.3 server must offer AES-128-GCM), key exchange on P-256
/// (which every TLS 1.3 server must support) and P-384, and the web PKI's
/// signatures (ECDSA P-256/P-384, RSA PKCS#1 and PSS). Without ChaCha20,
/// X25519 and Ed25519, LTO drops their code from the ffi library (about
/// 0.25 MB). ECDH on P-256 takes microseconds more than on X25519: nothing
/// next to a handshake's round trips.
pub(crate) fn crypto_provider() -> CryptoProvider {
    use rustls::crypto::ring::{cipher_suite as suite, kx_group};
    CryptoProvider {
        cipher_suites: vec![
            suite::TLS13_AES_256_GCM_SHA384,
            suite::TLS13_AES_128_GCM_SHA256,
            suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ],
        kx_groups: vec![kx_group::SECP256R1, kx_group::SECP384R1],
        signature_verification_algorithms: SIGNATURE_ALGORITHMS,
        secure_random: &RingRandom,
        key_provider: &NoClientKeys,
    }
}

/// rustls' ring provider's list without Ed25519, which the web PKI does
/// not use.
static SIGNATURE_ALGORITHMS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[
        alg::ECDSA_P256_SHA256,
        alg::ECDSA_P256_SHA384,
        alg::ECDSA_P384_SHA256,
        alg::ECDSA_P384_SHA384,
        alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        alg::RSA_PKCS1_2048_8192_SHA256,
        alg::RSA_PKCS1_2048_8192_SHA384,
        alg::RSA_PKCS1_2048_8192_SHA512,
        alg::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
        alg::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
        alg::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    ],
    mapping: &[
        // TLS 1.2 does not tie the curve to the scheme; TLS 1.3 does.
        (
            SignatureScheme::ECDSA_NISTP384_SHA384,
            &[alg::ECDSA_P384_SHA384, alg::ECDSA_P256_SHA384],
        ),
        (
            SignatureScheme::ECDSA_NISTP256_SHA256,
            &[alg::ECDSA_P256_SHA256, alg::ECDSA_P384_SHA256],
        ),
        (
            SignatureScheme::RSA_PSS_SHA512,
            &[alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA384,
            &[alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA256,
            &[alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA512,
            &[alg::RSA_PKCS1_2048_8192_SHA512],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA384,
            &[alg::RSA_PKCS1_2048_8192_SHA384],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA256,
            &[alg::RSA_PKCS1_2048_8192_SHA256],
        ),
    ],
};

/// ring's system random generator, as rustls' own ring provider uses.
#[derive(Debug)]
struct RingRandom;

impl SecureRandom for RingRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), buf)
            .map_err(|_| GetRandomFailed)
    }
}

/// The agent authenticates with signed tokens, never a TLS client
/// certificate, so it loads no TLS private key.
#[derive(Debug)]
struct NoClientKeys;

impl KeyProvider for NoClientKeys {
    fn load_private_key(
        &self,
        _key_der: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, rustls::Error> {
        Err(rustls::Error::General(
            "the agent uses no TLS client key".to_owned(),
        ))
    }
}

/// A SHA-256 hash of a certificate's SubjectPublicKeyInfo (an HPKP-style
/// pin), parsed from standard base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SpkiPin([u8; 32]);

impl SpkiPin {
    pub(crate) fn parse(text: &str) -> Result<SpkiPin, TransportError> {
        let text = text.trim();
        let text = text.strip_prefix("sha256/").unwrap_or(text);
        let bytes = STANDARD
            .decode(text)
            .map_err(|_| TransportError::Config(format!("SPKI pin {text:?} is not base64")))?;
        let hash: [u8; 32] = bytes.try_into().map_err(|_| {
            TransportError::Config(format!(
                "SPKI pin {text:?} is not a SHA-256 hash (32 bytes)"
            ))
        })?;
        Ok(SpkiPin(hash))
    }

    /// The pin of a DER certificate's public key.
    pub(crate) fn of_certificate(cert: &CertificateDer<'_>) -> Result<SpkiPin, rustls::Error> {
        let parsed = webpki::EndEntityCert::try_from(cert)
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let spki = parsed.subject_public_key_info();
        let mut hash = [0u8; 32];
        hash.copy_from_slice(digest(&SHA256, spki.as_ref()).as_ref());
        Ok(SpkiPin(hash))
    }
}

/// The error a pin mismatch travels as inside rustls, so the transport can
/// tell it apart from every other certificate failure.
#[derive(Debug, thiserror::Error)]
#[error("server certificate public key matches no SPKI pin")]
pub(crate) struct PinMismatchMarker;

/// Normal WebPKI verification first, then the pin check: a pin narrows
/// trust, it never replaces chain and name validation.
#[derive(Debug)]
struct PinningVerifier {
    inner: Arc<WebPkiServerVerifier>,
    pins: Vec<SpkiPin>,
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        let pin = SpkiPin::of_certificate(end_entity)?;
        if self.pins.contains(&pin) {
            Ok(verified)
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(PinMismatchMarker)),
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Builds the client TLS configuration.
///
/// Roots are Mozilla's (webpki-roots) rather than the OS store: they work
/// the same on every platform without JNI set-up on Android. A host that
/// needs the OS or MDM-installed roots supplies its own [`super::Transport`]
/// over the platform HTTP stack.
pub(crate) fn client_config(
    extra_ca_pem: Option<&[u8]>,
    pins: &[SpkiPin],
) -> Result<ClientConfig, TransportError> {
    install_ring_provider();
    let provider = Arc::new(crypto_provider());
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_ca_pem {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert =
                cert.map_err(|e| TransportError::Config(format!("CA certificate PEM: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| TransportError::Config(format!("CA certificate: {e}")))?;
            added += 1;
        }
        if added == 0 {
            return Err(TransportError::Config(
                "the CA certificate PEM holds no CERTIFICATE block".to_owned(),
            ));
        }
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| TransportError::Config(format!("certificate verifier: {e}")))?;
    let verifier: Arc<dyn ServerCertVerifier> = if pins.is_empty() {
        webpki
    } else {
        Arc::new(PinningVerifier {
            inner: webpki,
            pins: pins.to_vec(),
        })
    };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::Config(format!("TLS versions: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // reqwest here speaks HTTP/1.1 only (no http2 feature).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Whether a rustls error in an error chain is our pin mismatch.
pub(crate) fn is_pin_mismatch(error: &rustls::Error) -> bool {
    match error {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => {
            other.0.downcast_ref::<PinMismatchMarker>().is_some()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_offers_what_servers_must_support() {
        let provider = crypto_provider();
        let groups: Vec<_> = provider.kx_groups.iter().map(|g| g.name()).collect();
        assert_eq!(
            groups,
            [rustls::NamedGroup::secp256r1, rustls::NamedGroup::secp384r1]
        );
        let suites: Vec<_> = provider.cipher_suites.iter().map(|s| s.suite()).collect();
        assert!(suites.contains(&rustls::CipherSuite::TLS13_AES_128_GCM_SHA256));
        assert!(
            suites.iter().all(|s| format!("{s:?}").contains("_GCM_")),
            "{suites:?}"
        );
        let schemes = provider
            .signature_verification_algorithms
            .supported_schemes();
        for scheme in [
            SignatureScheme::ECDSA_NISTP256_SHA256,
            SignatureScheme::ECDSA_NISTP384_SHA384,
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PKCS1_SHA256,
        ] {
            assert!(schemes.contains(&scheme), "{scheme:?}");
        }
        assert!(!schemes.contains(&SignatureScheme::ED25519));
    }

    #[test]
    fn pins_parse_base64_sha256_only() {
        let good = STANDARD.encode([7u8; 32]);
        assert_eq!(SpkiPin::parse(&good).unwrap(), SpkiPin([7; 32]));
        assert_eq!(
            SpkiPin::parse(&format!("sha256/{good}")).unwrap(),
            SpkiPin([7; 32])
        );
        assert!(SpkiPin::parse("not base64!").is_err());
        assert!(SpkiPin::parse(&STANDARD.encode([1u8; 20])).is_err());
    }

    #[test]
    fn pem_without_certificates_is_refused() {
        assert!(matches!(
            client_config(Some(b"hello"), &[]),
            Err(TransportError::Config(_))
        ));
        assert!(client_config(None, &[]).is_ok());
    }
}
