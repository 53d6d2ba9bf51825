//! An agent whose device key comes with an Android key attestation chain
//! (made under a test root the collector trusts) enrols through the real
//! collector as `hardware`; an agent with a plain software key is
//! `self-reported`, and refused when Android requires attestation. A
//! phone whose keystore makes fresh chains when asked moves its pin up, and
//! breaks it with a downgrade.

use std::sync::Arc;

use agent_core::Platform;
use agent_core::agent::{Agent, AgentConfig, KeySource};
use agent_core::keys::{DeviceSigner, KeyError, PublicJwk, SoftwareSigner};
use agent_core::policy::RuleId;
use agent_core::posture::Posture;
use agent_core::posture::ScreenLock;
use agent_core::probe::PostureProbe;
use agent_core::protocol::{AssuranceLevel, FactProvenance, Provenance};
use agent_core::state::OutboxLimits;
use agent_core::transport::{HttpTransport, TransportConfig};
use posture_collector::{AttestationConfig, CollectorConfig, roots_from_pem_file, spawn_local};

// The chain generator of the collector's API tests.
#[allow(dead_code)]
#[path = "../../collector/tests/api/chains.rs"]
mod chains;

use chains::{Facts, TEE, TestRoot};

/// A phone's probe: Android, every fact unknown (enough to enrol and report).
struct AndroidProbe;

impl PostureProbe for AndroidProbe {
    fn collect(&self) -> Posture {
        Posture::unknown(Platform::Android, "e2e", time::OffsetDateTime::now_utc())
    }
}

/// A device key with the chain its keystore attested it with, as the
/// Android shim's signer gives it.
struct AttestedKey {
    key: SoftwareSigner,
    chain: Vec<String>,
}

impl DeviceSigner for AttestedKey {
    fn public_jwk(&self) -> Result<PublicJwk, KeyError> {
        self.key.public_jwk()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.key.sign(message)
    }

    fn key_attestation(&self) -> Result<Vec<String>, KeyError> {
        Ok(self.chain.clone())
    }
}

fn agent(dir: &std::path::Path, probe: Arc<dyn PostureProbe>, keys: KeySource) -> Agent {
    Agent::open(AgentConfig {
        state_dir: dir.to_owned(),
        probe,
        keys,
        transport: Some(Arc::new(
            HttpTransport::new(TransportConfig::default()).unwrap(),
        )),
        extra_ca_pem: None,
        outbox_limits: OutboxLimits::default(),
    })
    .unwrap()
}

#[test]
fn an_attested_key_enrols_as_hardware_and_a_plain_key_as_self_reported() {
    let root = TestRoot::new();
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("roots.pem");
    root.write_pem(&pem);
    let c = spawn_local(CollectorConfig {
        attestation: AttestationConfig {
            roots: Some(roots_from_pem_file(&pem).unwrap()),
            required_for: vec![Platform::Android],
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

    // The phone's keystore makes the key with the code's hash as challenge.
    let phone_code = code();
    let key = SoftwareSigner::ephemeral().unwrap();
    let chain = root.device_chain(&key, &phone_code, TEE);
    let phone_dir = dir.path().join("phone");
    let phone = agent(
        &phone_dir,
        Arc::new(AndroidProbe),
        KeySource::Device(Arc::new(AttestedKey { key, chain })),
    );
    phone.enrol(c.url(), &phone_code).unwrap();
    assert_eq!(phone.check_in().unwrap().delivery.delivered, 1);

    // An Android agent without a chain is refused: attestation is required.
    let bare_dir = dir.path().join("bare");
    let bare = agent(
        &bare_dir,
        Arc::new(AndroidProbe),
        KeySource::Device(Arc::new(SoftwareSigner::ephemeral().unwrap())),
    );
    let err = bare.enrol(c.url(), &code()).unwrap_err().to_string();
    assert!(err.contains("key attestation"), "{err}");

    // A desktop agent with a software key enrols, self-reported.
    let desktop_dir = dir.path().join("desktop");
    let desktop = agent(
        &desktop_dir,
        Arc::new(DesktopProbe),
        KeySource::Device(Arc::new(SoftwareSigner::ephemeral().unwrap())),
    );
    desktop.enrol(c.url(), &code()).unwrap();

    let fleet = c.collector().fleet_summary(None).unwrap();
    assert_eq!(fleet.total, 2);
    let by_platform = |p: Platform| {
        fleet
            .devices
            .iter()
            .find(|d| d.platform == p)
            .unwrap()
            .clone()
    };
    let android = by_platform(Platform::Android);
    assert_eq!(android.provenance, Some(Provenance::Hardware));
    assert!(android.key_attestation.is_some());
    // The phone reported nothing; the attested OS version and patch level
    // were evaluated, as hardware facts.
    assert_eq!(android.assurance, Some(AssuranceLevel::Hardware));
    let patch = android
        .facts
        .iter()
        .find(|f| f.rule == RuleId::SecurityPatch)
        .unwrap();
    assert_eq!(patch.provenance, FactProvenance::Hardware);
    // Its attestation result verifies with the collector's published key.
    let ear = android.attestation_result.as_deref().unwrap();
    let jwks = c.collector().jwks();
    let claims = posture_collector::verify_attestation_result(
        ear,
        &jwks,
        time::OffsetDateTime::now_utc().unix_timestamp(),
    )
    .unwrap();
    assert_eq!(claims.sub, android.device_id.as_str());
    assert_eq!(
        claims.submods["posture"].assurance,
        AssuranceLevel::Hardware
    );
    assert_eq!(claims.submods["posture"].vector.hardware, Some(2));

    let linux = by_platform(Platform::Linux);
    assert_eq!(linux.provenance, Some(Provenance::SelfReported));
    assert_eq!(linux.key_attestation, None);
    assert_eq!(desktop.check_in().unwrap().delivery.delivered, 1);
    let fleet = c.collector().fleet_summary(None).unwrap();
    let linux = fleet
        .devices
        .iter()
        .find(|d| d.platform == Platform::Linux)
        .unwrap();
    assert_eq!(linux.assurance, Some(AssuranceLevel::SelfReported));
    let lock = linux
        .facts
        .iter()
        .find(|f| f.rule == RuleId::ScreenLock)
        .unwrap();
    assert_eq!(lock.provenance, FactProvenance::SelfReported);
}

/// A desktop's probe, fixed so the test does not depend on this machine.
struct DesktopProbe;

impl PostureProbe for DesktopProbe {
    fn collect(&self) -> Posture {
        let mut p = Posture::unknown(Platform::Linux, "e2e", time::OffsetDateTime::now_utc());
        p.screen_lock = agent_core::Fact::observed(ScreenLock::Set, "e2e");
        p
    }
}

/// A phone's device key whose keystore makes fresh, throwaway attested
/// keys when the collector asks (protocol §5.3.3), attesting `facts`.
struct ReattestingKey {
    key: SoftwareSigner,
    chain: Vec<String>,
    root: Arc<TestRoot>,
    facts: std::sync::Mutex<Facts>,
    challenges: std::sync::Mutex<Vec<[u8; 32]>>,
}

impl DeviceSigner for ReattestingKey {
    fn public_jwk(&self) -> Result<PublicJwk, KeyError> {
        self.key.public_jwk()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.key.sign(message)
    }

    fn key_attestation(&self) -> Result<Vec<String>, KeyError> {
        Ok(self.chain.clone())
    }

    fn fresh_key_attestation(&self, challenge: &[u8; 32]) -> Result<Vec<String>, KeyError> {
        self.challenges.lock().unwrap().push(*challenge);
        let facts = Facts {
            challenge: challenge.to_vec(),
            ..self.facts.lock().unwrap().clone()
        };
        Ok(self.root.fresh_chain(&facts))
    }
}

#[test]
fn a_phone_re_attests_when_asked_and_a_downgrade_breaks_its_pin() {
    let root = Arc::new(TestRoot::new());
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("roots.pem");
    root.write_pem(&pem);
    let c = spawn_local(CollectorConfig {
        attestation: AttestationConfig {
            roots: Some(roots_from_pem_file(&pem).unwrap()),
            ..AttestationConfig::default()
        },
        // Every pin is due at once: each answer asks for a fresh chain.
        reattest_after: std::time::Duration::ZERO,
        ..CollectorConfig::default()
    })
    .unwrap();
    let code = c.collector().issue_codes(1, None).unwrap()[0]
        .code
        .expose()
        .to_owned();
    let key = SoftwareSigner::ephemeral().unwrap();
    let chain = root.device_chain(&key, &code, TEE);
    let newer = Facts {
        os_patch_level: 202602,
        vendor_patch_level: 20260205,
        boot_patch_level: 20260205,
        ..Facts::new(TEE, &[])
    };
    let signer = Arc::new(ReattestingKey {
        key,
        chain,
        root: root.clone(),
        facts: std::sync::Mutex::new(newer),
        challenges: std::sync::Mutex::new(Vec::new()),
    });
    let phone = agent(
        dir.path(),
        Arc::new(AndroidProbe),
        KeySource::Device(signer.clone()),
    );
    phone.enrol(c.url(), &code).unwrap();
    let row = |c: &posture_collector::RunningCollector| {
        c.collector()
            .fleet_summary(None)
            .unwrap()
            .devices
            .into_iter()
            .next()
            .unwrap()
    };
    assert_eq!(
        row(&c).key_attestation.unwrap().os_patch_level,
        Some(202601)
    );

    // The first report's ack asks; the second report carries a fresh chain.
    assert_eq!(phone.check_in().unwrap().delivery.delivered, 1);
    assert!(signer.challenges.lock().unwrap().is_empty());
    let out = phone.check_in().unwrap();
    assert_eq!(out.delivery.delivered, 1, "{:?}", out.delivery);
    assert_eq!(signer.challenges.lock().unwrap().len(), 1);
    let device = row(&c);
    let pin = device.key_attestation.unwrap();
    assert_eq!(pin.os_patch_level, Some(202602));
    assert_eq!(pin.vendor_patch_level, Some(20260205));
    assert_eq!(
        device.attestation_pin.unwrap().state,
        agent_core::protocol::PinState::Intact
    );
    let patch = device
        .facts
        .iter()
        .find(|f| f.rule == RuleId::SecurityPatch)
        .unwrap();
    assert_eq!(patch.provenance, FactProvenance::Hardware);
    let server = out.status.verdicts.server.unwrap().verdict;
    let finding = server
        .findings
        .iter()
        .find(|f| f.rule == RuleId::SecurityPatch)
        .unwrap();
    assert!(
        finding.observed.contains("2026-02-01"),
        "{}",
        finding.observed
    );

    // Another OS booted (another verified-boot key): refused for good.
    signer.facts.lock().unwrap().boot_key = vec![0x44; 32];
    let out = phone.check_in().unwrap();
    assert_eq!(out.delivery.delivered, 0);
    assert_eq!(out.delivery.rejected.len(), 1, "{:?}", out.delivery);
    let reason = &out.delivery.rejected[0].reason;
    assert!(reason.contains("verified_boot_key"), "{reason}");
    let device = row(&c);
    let pin = device.attestation_pin.unwrap();
    assert_eq!(pin.state, agent_core::protocol::PinState::Broken);
    assert_eq!(pin.breaks[0].field, "verified_boot_key");
    assert_eq!(pin.breaks[0].seen, "44".repeat(32));

    // The next report goes without a chain (no more are asked for) and
    // the device is non-compliant until it enrols again.
    let out = phone.check_in().unwrap();
    assert_eq!(out.delivery.delivered, 1);
    assert_eq!(signer.challenges.lock().unwrap().len(), 2);
    let server = out.status.verdicts.server.unwrap().verdict;
    assert_eq!(
        server.compliance,
        agent_core::policy::Compliance::NonCompliant
    );
    assert!(
        server
            .findings
            .iter()
            .any(|f| f.rule == RuleId::AttestationPin)
    );
}
