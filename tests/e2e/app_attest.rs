//! An iPhone agent with Apple App Attest, through the real collector: the
//! signer makes App Attest objects and assertions with a test CA the
//! collector trusts in place of Apple's root, over the client data the
//! agent computes. Enrolment is verified, each report's assertion raises the
//! counter, and an assertion whose counter goes back is refused for good.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use agent_core::Platform;
use agent_core::agent::{Agent, AgentConfig, KeySource};
use agent_core::keys::{DeviceSigner, KeyError, PublicJwk, SoftwareSigner};
use agent_core::posture::Posture;
use agent_core::probe::PostureProbe;
use agent_core::protocol::{AppAttestEnvironment, AppAttestEvidence, Provenance};
use agent_core::state::OutboxLimits;
use agent_core::transport::{HttpTransport, TransportConfig};
use posture_attestation::app_attest::AppAttestRoots;
use posture_attestation::app_attest::testing::{Spec, TestCa, TestDevice};
use posture_collector::{AppAttestConfig, AttestationConfig, CollectorConfig, spawn_local};

const APP_ID: &str = "ABCDE12345.org.example.posture";

struct IosProbe;

impl PostureProbe for IosProbe {
    fn collect(&self) -> Posture {
        Posture::unknown(Platform::Ios, "e2e", time::OffsetDateTime::now_utc())
    }
}

/// The iOS shim's signer, with the test CA standing in for Apple: the
/// device key signs reports, the App Attest key attests and asserts.
struct AppAttestPhone {
    key: SoftwareSigner,
    ca: Arc<TestCa>,
    app_key: TestDevice,
    /// The counter of the next assertion, as the Secure Enclave keeps it.
    counter: AtomicU32,
    attested: AtomicU32,
}

impl DeviceSigner for AppAttestPhone {
    fn public_jwk(&self) -> Result<PublicJwk, KeyError> {
        self.key.public_jwk()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.key.sign(message)
    }

    fn app_attest(
        &self,
        client_data_hash: &[u8; 32],
    ) -> Result<Option<AppAttestEvidence>, KeyError> {
        self.attested.fetch_add(1, Ordering::SeqCst);
        let spec = Spec::valid(APP_ID, time::OffsetDateTime::now_utc());
        let object = self
            .ca
            .attest(&self.app_key, client_data_hash, &spec)
            .map_err(|e| KeyError::Signer(e.to_string()))?;
        Ok(Some(AppAttestEvidence::new(
            self.app_key.key_id_text(),
            &object,
        )))
    }

    fn app_attest_assertion(
        &self,
        client_data_hash: &[u8; 32],
    ) -> Result<Option<Vec<u8>>, KeyError> {
        let counter = self.counter.fetch_add(1, Ordering::SeqCst);
        self.app_key
            .assert(APP_ID, counter, client_data_hash)
            .map(Some)
            .map_err(|e| KeyError::Signer(e.to_string()))
    }
}

fn agent(dir: &std::path::Path, signer: Arc<dyn DeviceSigner>) -> Agent {
    Agent::open(AgentConfig {
        state_dir: dir.to_owned(),
        probe: Arc::new(IosProbe),
        keys: KeySource::Device(signer),
        transport: Some(Arc::new(
            HttpTransport::new(TransportConfig::default()).unwrap(),
        )),
        extra_ca_pem: None,
        outbox_limits: OutboxLimits::default(),
    })
    .unwrap()
}

#[test]
fn an_iphone_with_app_attest_enrols_as_hardware_and_each_report_asserts() {
    let ca = Arc::new(TestCa::new().unwrap());
    let mut app_attest = AppAttestConfig::apple(APP_ID).unwrap();
    app_attest.roots = AppAttestRoots::from_pem(&ca.root_pem()).unwrap();
    let c = spawn_local(CollectorConfig {
        attestation: AttestationConfig {
            app_attest: Some(app_attest),
            required_for: vec![Platform::Ios],
            ..AttestationConfig::default()
        },
        ..CollectorConfig::default()
    })
    .unwrap();
    let code = || {
        c.collector().issue_codes(1, None).unwrap()[0]
            .code
            .expose()
            .to_owned()
    };
    let dir = tempfile::tempdir().unwrap();

    let signer = Arc::new(AppAttestPhone {
        key: SoftwareSigner::ephemeral().unwrap(),
        ca: ca.clone(),
        app_key: TestDevice::new().unwrap(),
        counter: AtomicU32::new(1),
        attested: AtomicU32::new(0),
    });
    let phone = agent(&dir.path().join("phone"), signer.clone());
    phone.enrol(c.url(), &code()).unwrap();
    assert_eq!(signer.attested.load(Ordering::SeqCst), 1);
    let id = phone.status().unwrap().device_id.unwrap();
    let row = |c: &posture_collector::RunningCollector| {
        c.collector()
            .fleet_summary(None)
            .unwrap()
            .devices
            .into_iter()
            .find(|d| d.device_id == id)
            .unwrap()
    };
    let enrolled = row(&c);
    assert_eq!(enrolled.provenance, Some(Provenance::Hardware));
    let summary = enrolled.app_attest.unwrap();
    assert_eq!(summary.environment, AppAttestEnvironment::Production);
    assert_eq!(summary.counter, 0);

    // Every check-in carries an assertion; the collector keeps its counter.
    for expected in 1..=3 {
        let outcome = phone.check_in().unwrap();
        assert_eq!(outcome.delivery.delivered, 1, "{outcome:?}");
        assert_eq!(row(&c).app_attest.unwrap().counter, expected);
    }

    // A counter that goes back (a cloned key, a replayed state) is refused
    // for good with the collector's reason, and the stored counter holds.
    signer.counter.store(2, Ordering::SeqCst);
    let outcome = phone.check_in().unwrap();
    assert_eq!(outcome.delivery.delivered, 0, "{outcome:?}");
    let [rejected] = outcome.delivery.rejected.as_slice() else {
        panic!("{outcome:?}");
    };
    assert!(
        rejected
            .reason
            .contains("not greater than the last one accepted (3)"),
        "{rejected:?}"
    );
    assert_eq!(row(&c).app_attest.unwrap().counter, 3);

    // An iPhone whose signer has no App Attest (the simulator) is refused:
    // this collector requires it for iOS.
    let bare = agent(
        &dir.path().join("bare"),
        Arc::new(SoftwareSigner::ephemeral().unwrap()),
    );
    let err = bare.enrol(c.url(), &code()).unwrap_err().to_string();
    assert!(err.contains("requires Apple App Attest"), "{err}");
}
