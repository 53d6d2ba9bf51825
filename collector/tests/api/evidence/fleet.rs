//! The virtual fleet: the policy, each device's plan of reports over four
//! weeks, and the enrolment and sending over real HTTP.

use agent_core::keys::SoftwareSigner;
use agent_core::policy::PolicyFormat;
use agent_core::protocol::{Nonce, ReportAck};
use agent_core::token::{Claims, sign};
use agent_core::{Policy, Posture, evaluate};
use posture_collector::{
    AttestationConfig, CollectorConfig, RunningCollector, roots_from_pem_file, spawn_local,
};
use time::{Date, Duration, OffsetDateTime, Time};

use crate::chains::{TEE, TestRoot, code_challenge, description_with_patch, point_of};
use crate::common::{Device, issue_code};

/// A policy with the four rules the evidence reads and a grace period.
pub(crate) const POLICY: &str = r#"
schema_version = 1
name = "evidence-test"
revision = 3
[grace]
days = 14
[rules.os_version]
unknown = "warn"
minimum = [
  { platform = "android", versions = ["14"] },
  { platform = "linux", os_id = "debian", versions = ["12"] },
]
[rules.security_patch]
max_age_days = 30
unknown = "warn"
platforms = ["android"]
[rules.storage_encryption]
unknown = "warn"
[rules.screen_lock]
unknown = "fail"
"#;

pub(crate) fn policy() -> Policy {
    Policy::parse(POLICY, PolicyFormat::Toml).unwrap()
}

/// What one report says; `None` is an unknown fact.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    pub(crate) linux: bool,
    pub(crate) os_major: Option<u32>,
    pub(crate) patch: Option<Date>,
    pub(crate) encrypted: Option<bool>,
    pub(crate) lock: Option<bool>,
}

pub(crate) const GOOD: Spec = Spec {
    linux: false,
    os_major: Some(15),
    patch: None,
    encrypted: Some(true),
    lock: Some(true),
};

pub(crate) fn posture(spec: &Spec, at: OffsetDateTime) -> Posture {
    let observed = |v: String| format!(r#"{{"status": "observed", "value": {v}, "source": "t"}}"#);
    let unknown = r#"{"status": "unknown", "reason": "not readable"}"#.to_owned();
    let (platform, id, name) = if spec.linux {
        ("linux", "debian", "Debian GNU/Linux")
    } else {
        ("android", "android", "Android")
    };
    let version = spec
        .os_major
        .map_or(unknown.clone(), |v| observed(format!("\"{v}\"")));
    let patch = spec
        .patch
        .map_or(unknown.clone(), |p| observed(format!("\"{p}\"")));
    let encryption = match spec.encrypted {
        Some(true) => observed(r#"{"state": "encrypted", "method": "file-based"}"#.into()),
        Some(false) => observed(r#"{"state": "not_encrypted"}"#.into()),
        None => unknown.clone(),
    };
    let lock = match spec.lock {
        Some(true) => observed("\"set\"".into()),
        Some(false) => observed("\"not_set\"".into()),
        None => unknown.clone(),
    };
    let collected = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let json = format!(
        r#"{{
        "schema_version": 1, "platform": "{platform}",
        "os": {{
            "id": {{"status": "observed", "value": "{id}", "source": "t"}},
            "name": {{"status": "observed", "value": "{name}", "source": "t"}},
            "version": {version},
            "build": {{"status": "unknown", "reason": "t"}},
            "kernel": {{"status": "unknown", "reason": "t"}}
        }},
        "security_patch": {patch},
        "storage_encryption": {encryption},
        "screen_lock": {lock},
        "developer_mode": {{"status": "observed", "value": false, "source": "t"}},
        "usb_debugging": {{"status": "observed", "value": false, "source": "t"}},
        "integrity": [],
        "hardware_key_store": {{"status": "unknown", "reason": "t"}},
        "secure_boot": {{"status": "unknown", "reason": "t"}},
        "tpm": {{"status": "unknown", "reason": "t"}},
        "agent_version": "0.1.0",
        "collected_at": "{collected}"
    }}"#
    );
    Posture::from_json(&json).unwrap()
}

/// A signed report of `spec` made at `at`, answering `nonce`.
pub(crate) fn report_token(
    device: &Device,
    spec: &Spec,
    nonce: &Nonce,
    at: OffsetDateTime,
) -> String {
    let posture = posture(spec, at);
    let verdict = evaluate(&posture, &policy(), at);
    let claims = Claims::new(nonce.clone(), &device.device_id(), posture, verdict, at).unwrap();
    sign(&claims, &device.signer).unwrap()
}

/// One report the test sent.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub(crate) iat: OffsetDateTime,
    pub(crate) spec: Spec,
    pub(crate) current: bool,
}

/// One virtual device: its id, whether its key was hardware-attested,
/// and every report it sent.
#[derive(Debug, Clone)]
pub(crate) struct Virtual {
    pub(crate) id: String,
    pub(crate) hardware: bool,
    pub(crate) sent: Vec<Sent>,
}

pub(crate) const DEVICES: usize = 240;
pub(crate) const TRACKS: usize = 8;

/// The reports of device `i`, as (days before `t0`, spec); `None` days is
/// the current report, made at the moment of sending.
pub(crate) fn plan(i: usize, t0: OffsetDateTime) -> Vec<(Option<i64>, Spec)> {
    let day = |d: i64| t0.date() - Duration::days(d);
    let fresh = |d: i64| Spec {
        patch: Some(day(d + 5)),
        ..GOOD
    };
    let now_fresh = Spec {
        patch: Some(day(3)),
        ..GOOD
    };
    let checkpoints = [27, 20, 13, 6];
    match i % TRACKS {
        // Always compliant.
        0 => checkpoints
            .iter()
            .map(|d| (Some(*d), fresh(*d)))
            .chain([(None, now_fresh)])
            .collect(),
        // Falls out of compliance (the lock removed during week c2's day,
        // so the week's last report fails), stays out, recovers.
        1 => vec![
            (Some(27), fresh(27)),
            (Some(20), fresh(20)),
            (Some(13), fresh(13)),
            (
                Some(13),
                Spec {
                    lock: Some(false),
                    ..fresh(13)
                },
            ),
            (
                Some(6),
                Spec {
                    lock: Some(false),
                    ..fresh(6)
                },
            ),
            (None, now_fresh),
        ],
        // The patch ages through the grace period into failure, then updates.
        2 => {
            let old = Spec {
                patch: Some(day(60)),
                ..GOOD
            };
            vec![
                (Some(27), old),
                (Some(20), old),
                (Some(13), old),
                (Some(6), old),
                (None, now_fresh),
            ]
        }
        // Encryption never readable; the patch ages into grace and stays there.
        3 => {
            let s = Spec {
                patch: Some(day(40)),
                encrypted: None,
                ..GOOD
            };
            checkpoints
                .iter()
                .map(|d| (Some(*d), s))
                .chain([(None, s)])
                .collect()
        }
        // An unsupported release, upgraded in c3.
        4 => vec![
            (
                Some(27),
                Spec {
                    os_major: Some(13),
                    ..fresh(27)
                },
            ),
            (
                Some(20),
                Spec {
                    os_major: Some(13),
                    ..fresh(20)
                },
            ),
            (
                Some(13),
                Spec {
                    os_major: Some(13),
                    ..fresh(13)
                },
            ),
            (Some(6), fresh(6)),
            (None, now_fresh),
        ],
        // Reports twice, the second without a readable lock, then stops.
        5 => vec![
            (Some(27), fresh(27)),
            (
                Some(20),
                Spec {
                    lock: None,
                    ..fresh(20)
                },
            ),
        ],
        // A Linux machine that joins late, first unencrypted.
        6 => {
            let linux = Spec {
                linux: true,
                os_major: Some(12),
                patch: None,
                ..GOOD
            };
            vec![
                (
                    Some(6),
                    Spec {
                        encrypted: Some(false),
                        ..linux
                    },
                ),
                (None, linux),
            ]
        }
        // Hardware-attested Android phones: one patch, which ages into grace.
        _ => {
            let s = Spec {
                patch: Some(day(35)),
                ..GOOD
            };
            checkpoints
                .iter()
                .map(|d| (Some(*d), s))
                .chain([(None, s)])
                .collect()
        }
    }
}

/// The fleet's collector configuration: its policy, trusting `root`; on
/// SQLite (the event and webhook tests use it too).
pub(crate) fn config(root: &TestRoot) -> CollectorConfig {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("roots.pem");
    root.write_pem(&pem);
    CollectorConfig {
        policy: policy(),
        attestation: AttestationConfig {
            roots: Some(roots_from_pem_file(&pem).unwrap()),
            ..AttestationConfig::default()
        },
        ..CollectorConfig::default()
    }
}

/// A collector for the fleet, on the store the suite runs on.
pub(crate) fn start(root: &TestRoot) -> RunningCollector {
    spawn_local(CollectorConfig {
        postgres: crate::common::fresh_postgres_database(),
        ..config(root)
    })
    .unwrap()
}

/// Enrols device `i` and sends its plan: the current report first (it
/// takes the latest nonce), then the backdated ones, oldest first, with
/// the spent nonce. The device is returned holding the next nonce, so it
/// can go on reporting.
pub(crate) fn run_device(
    c: &RunningCollector,
    root: &TestRoot,
    i: usize,
    t0: OffsetDateTime,
) -> (Virtual, Device) {
    let hardware = i % TRACKS == 7;
    let plan = plan(i, t0);
    let device = if hardware {
        let signer = SoftwareSigner::ephemeral().unwrap();
        let code = issue_code(c);
        // The attested patch month is the one the phone reports, so the
        // collector evaluates the reported day.
        let patch = plan[0].1.patch.unwrap();
        let month = u64::try_from(patch.year()).unwrap() * 100 + u64::from(u8::from(patch.month()));
        let chain = root.chain(
            &point_of(&signer),
            description_with_patch(TEE, &code_challenge(&code), month),
        );
        Device::enrol_with_chain(c, signer, &code, &chain)
    } else {
        Device::enrol(c)
    };
    let spent = device.nonce.clone();
    let mut device = device;
    let mut sent = Vec::new();
    let mut ordered: Vec<&(Option<i64>, Spec)> = plan.iter().filter(|(d, _)| d.is_none()).collect();
    ordered.extend(plan.iter().filter(|(d, _)| d.is_some()));
    for (n, (days, spec)) in ordered.into_iter().enumerate() {
        let iat = match days {
            None => OffsetDateTime::now_utc().replace_nanosecond(0).unwrap(),
            // Spread over the day so two reports of a day keep their order.
            Some(d) => {
                t0.date()
                    .with_time(Time::from_hms(8, 0, 0).unwrap())
                    .assume_utc()
                    - Duration::days(*d)
                    + Duration::minutes(
                        i64::try_from(n).unwrap() * 10 + i64::try_from(i % 50).unwrap(),
                    )
            }
        };
        let r = device.send(c, &report_token(&device, spec, &spent, iat));
        assert_eq!(r.status, 201, "device {i}: {r:?}");
        let ack: ReportAck = serde_json::from_slice(&r.body).unwrap();
        let current = days.is_none();
        if current {
            device.nonce = ack.nonce.clone();
        }
        assert_eq!(
            ack.freshness == agent_core::protocol::Freshness::Current,
            current,
            "device {i}"
        );
        sent.push(Sent {
            iat,
            spec: *spec,
            current,
        });
    }
    sent.sort_by_key(|s| s.iat);
    let v = Virtual {
        id: device.id.clone(),
        hardware,
        sent,
    };
    (v, device)
}

/// The whole fleet, sent by four workers at once.
pub(crate) fn fleet(c: &RunningCollector, root: &TestRoot, t0: OffsetDateTime) -> Vec<Virtual> {
    fleet_with_devices(c, root, t0)
        .into_iter()
        .map(|(v, _)| v)
        .collect()
}

/// The whole fleet and each device, ready for its next current report,
/// device `i` at index `i`.
pub(crate) fn fleet_with_devices(
    c: &RunningCollector,
    root: &TestRoot,
    t0: OffsetDateTime,
) -> Vec<(Virtual, Device)> {
    let workers = 4;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn(move || {
                    (0..DEVICES)
                        .filter(|i| i % workers == w)
                        .map(|i| (i, run_device(c, root, i, t0)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<(usize, (Virtual, Device))> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, d)| d).collect()
    })
}
