#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use agent_core::policy::{Compliance, Finding, Outcome, PolicyRef, RuleId, Verdict};
use agent_core::protocol::{
    Assessment, AssuranceLevel, AttestedBootState, AttestedSecurityLevel, FactProvenance,
    FactRecord, KeyAttestationSummary, Provenance,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::Connection;
use time::macros::datetime;

use super::*;

fn finding(rule: RuleId, outcome: Outcome) -> Finding {
    Finding {
        rule,
        outcome,
        observed: "x".into(),
        requirement: None,
        remediation: None,
        deadline: None,
        strategy: None,
        failing_since: None,
    }
}

fn verdict(compliance: Compliance, findings: Vec<Finding>) -> Verdict {
    Verdict {
        compliance,
        findings,
        policy: PolicyRef {
            name: "nhs-byod".into(),
            revision: 4,
        },
        evaluated_at: datetime!(2026-06-20 10:00 UTC),
    }
}

fn assessment(level: AssuranceLevel) -> Assessment {
    Assessment {
        assurance: level,
        facts: vec![FactRecord {
            rule: RuleId::SecurityPatch,
            fact: "security_patch".into(),
            provenance: FactProvenance::Hardware,
            outcome: Outcome::Pass,
            note: None,
        }],
        mismatches: Vec::new(),
    }
}

fn hardware() -> Attested {
    Attested {
        provenance: Provenance::Hardware,
        app_identity: None,
        summary: KeyAttestationSummary {
            security_level: AttestedSecurityLevel::Tee,
            attestation_version: 300,
            verified_boot_state: Some(AttestedBootState::Verified),
            device_locked: Some(true),
            os_version: Some(150000),
            os_patch_level: Some(202606),
            vendor_patch_level: None,
            boot_patch_level: None,
            verified_boot_key_sha256: None,
            attested_at: datetime!(2026-06-20 10:00 UTC),
        },
    }
}

fn db() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE signing_keys (kid TEXT PRIMARY KEY, pkcs8 BLOB NOT NULL, created_at INTEGER NOT NULL)",
    )
    .unwrap();
    conn
}

#[test]
fn a_result_verifies_with_the_published_key_and_carries_every_claim() {
    let signer = Signer::load(&db(), None).unwrap();
    let v = verdict(
        Compliance::Compliant,
        vec![
            finding(RuleId::SecurityPatch, Outcome::Pass),
            finding(RuleId::ScreenLock, Outcome::Pass),
            finding(RuleId::Integrity, Outcome::Pass),
        ],
    );
    let a = assessment(AssuranceLevel::Hardware);
    let attested = hardware();
    let subject = Subject {
        device_id: "dev_abc",
        jkt: "device-thumbprint",
        verdict: &v,
        assessment: &a,
        attested: Some(&attested),
        iat: 1_781_949_600,
        lifetime_secs: 3600,
    };
    let token = signer.sign(&claims(&subject)).unwrap();
    let jwks = signer.jwks();
    assert_eq!(jwks["keys"][0]["kid"], signer.kid());
    assert!(jwks["keys"][0].get("d").is_none());
    let header: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], signer.kid());

    let c = verify_attestation_result(&token, &jwks, 1_781_949_601).unwrap();
    assert_eq!(c.eat_profile, "tag:github.com,2023:veraison/ear");
    assert_eq!((c.iat, c.exp), (1_781_949_600, 1_781_953_200));
    assert_eq!(c.sub, "dev_abc");
    assert_eq!(c.cnf.jkt, "device-thumbprint");
    assert_eq!(c.verifier_id.developer, DEVELOPER);
    assert!(c.verifier_id.build.starts_with("posture-collector "));
    let p = &c.submods["posture"];
    assert_eq!(p.status, Status::Affirming);
    assert_eq!(
        p.vector,
        TrustVector {
            instance_identity: Some(2),
            configuration: Some(2),
            executables: Some(3),
            hardware: Some(2),
        }
    );
    assert_eq!(p.policy_id, "tag:posture-agent.dev,2026:policy/nhs-byod/4");
    assert_eq!(p.assurance, AssuranceLevel::Hardware);
    assert_eq!(p.compliance, Compliance::Compliant);
    assert_eq!(p.facts, a.facts);
    // The wire names are the draft's.
    let raw: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let sub = &raw["submods"]["posture"];
    assert_eq!(sub["ear.status"], "affirming");
    assert_eq!(sub["ear.trustworthiness-vector"]["instance-identity"], 2);
    assert!(raw["ear.verifier-id"]["build"].is_string());
    assert_eq!(sub["posture-agent.assurance"], "hardware");
}

#[test]
fn tampered_expired_and_foreign_results_are_refused() {
    let signer = Signer::load(&db(), None).unwrap();
    let v = verdict(
        Compliance::Compliant,
        vec![finding(RuleId::ScreenLock, Outcome::Pass)],
    );
    let a = assessment(AssuranceLevel::SelfReported);
    let subject = Subject {
        device_id: "dev_abc",
        jkt: "k",
        verdict: &v,
        assessment: &a,
        attested: None,
        iat: 1000,
        lifetime_secs: 60,
    };
    let token = signer.sign(&claims(&subject)).unwrap();
    let jwks = signer.jwks();
    assert_eq!(
        verify_attestation_result(&token, &jwks, 1060),
        Err(ResultError::Expired {
            exp: 1060,
            now: 1060
        })
    );
    // A payload edited to say contraindicated instead: the signature fails.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    parts[1] = URL_SAFE_NO_PAD.encode(payload.replace("affirming", "warning"));
    let tampered = parts.join(".");
    assert!(matches!(
        verify_attestation_result(&tampered, &jwks, 1001),
        Err(ResultError::Invalid(_))
    ));
    // Another collector's key does not verify it.
    let other = Signer::load(&db(), None).unwrap();
    assert_eq!(
        verify_attestation_result(&token, &other.jwks(), 1001),
        Err(ResultError::UnknownKey)
    );
    // No hardware key: no hardware claim, and heuristics alone make none.
    let c = verify_attestation_result(&token, &jwks, 1001).unwrap();
    let p = &c.submods["posture"];
    assert_eq!(p.vector.hardware, None);
    assert_eq!(p.vector.executables, None);
}

#[test]
fn the_status_follows_the_verdict() {
    let signer = Signer::load(&db(), None).unwrap();
    let a = assessment(AssuranceLevel::Os);
    let status = |v: &Verdict| {
        let s = Subject {
            device_id: "d",
            jkt: "k",
            verdict: v,
            assessment: &a,
            attested: None,
            iat: 0,
            lifetime_secs: 60,
        };
        let c = verify_attestation_result(&signer.sign(&claims(&s)).unwrap(), &signer.jwks(), 1)
            .unwrap();
        let p = c.submods["posture"].clone();
        (p.status, p.vector.configuration, p.vector.executables)
    };
    let warn = verdict(
        Compliance::Warning,
        vec![finding(RuleId::OsVersion, Outcome::Warn)],
    );
    assert_eq!(status(&warn), (Status::Warning, Some(32), None));
    let fail = verdict(
        Compliance::NonCompliant,
        vec![
            finding(RuleId::OsVersion, Outcome::Pass),
            finding(RuleId::Integrity, Outcome::Fail),
        ],
    );
    assert_eq!(status(&fail), (Status::Contraindicated, Some(2), Some(96)));
    let nothing = verdict(
        Compliance::Compliant,
        vec![finding(RuleId::SecurityPatch, Outcome::NotApplicable)],
    );
    assert_eq!(status(&nothing), (Status::None, None, None));
}

#[test]
fn the_key_is_kept_in_the_database_or_in_a_private_file() {
    let conn = db();
    let first = Signer::load(&conn, None).unwrap();
    let again = Signer::load(&conn, None).unwrap();
    assert_eq!(first.kid(), again.kid());
    assert!(!format!("{first:?}").contains("pkcs8"));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ear-key.pem");
    let made = Signer::load(&conn, Some(&path)).unwrap();
    assert_ne!(made.kid(), first.kid());
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(Signer::load(&conn, Some(&path)).unwrap().kid(), made.kid());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Signer::load(&conn, Some(&path)).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    std::fs::write(&path, "not a key").unwrap();
    let err = Signer::load(&conn, Some(&path)).unwrap_err().to_string();
    assert!(err.contains("PRIVATE KEY"), "{err}");
}

#[test]
fn a_warning_expires_when_its_grace_deadline_turns_it_into_a_block() {
    let signer = Signer::load(&db(), None).unwrap();
    let a = assessment(AssuranceLevel::SelfReported);
    // 2026-06-20T10:00:00Z; the block starts at 2026-06-21T00:00:00Z.
    let iat = datetime!(2026-06-20 10:00 UTC).unix_timestamp();
    let block = datetime!(2026-06-21 00:00 UTC).unix_timestamp();
    let exp_of = |v: &Verdict, lifetime_secs: i64| {
        let subject = Subject {
            device_id: "dev_abc",
            jkt: "device-thumbprint",
            verdict: v,
            assessment: &a,
            attested: None,
            iat,
            lifetime_secs,
        };
        let token = signer.sign(&claims(&subject)).unwrap();
        verify_attestation_result(&token, &signer.jwks(), iat)
            .unwrap()
            .exp
    };
    let mut warned = finding(RuleId::ScreenLock, Outcome::Warn);
    warned.deadline = Some(time::macros::date!(2026 - 06 - 21));
    let warning = verdict(
        Compliance::Warning,
        vec![warned, finding(RuleId::SecurityPatch, Outcome::Pass)],
    );
    // A day's lifetime would outlast the grace: the block's start caps it.
    assert_eq!(exp_of(&warning, 86_400), block);
    // A shorter lifetime ends first and stands.
    assert_eq!(exp_of(&warning, 3600), iat + 3600);
    // Without a deadline, the lifetime.
    let plain = verdict(
        Compliance::Compliant,
        vec![finding(RuleId::ScreenLock, Outcome::Pass)],
    );
    assert_eq!(exp_of(&plain, 86_400), iat + 86_400);
}
