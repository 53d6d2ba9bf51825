//! Helpers: a collector with a date-independent test policy, devices with
//! software keys, and real signed tokens.

use agent_core::keys::{DeviceSigner, SoftwareSigner};
use agent_core::policy::PolicyFormat;
use agent_core::protocol::{
    EnrolResponse, Nonce, Problem, ReportAck, RequestPurpose, content_types, paths,
};
use agent_core::token::{Claims, request_claims, sign, sign_request};
use agent_core::transport::{HttpRequest, HttpResponse, HttpTransport, Transport, TransportConfig};
use agent_core::{Policy, Posture, evaluate};
use posture_collector::{
    AttestationConfig, CollectorConfig, PostgresUrl, RunningCollector, roots_from_pem_file,
    spawn_local,
};
use time::OffsetDateTime;

use crate::chains::TestRoot;

/// Rules that do not depend on today's date, so verdicts are fixed.
pub const TEST_POLICY: &str = r#"
schema_version = 1
name = "test"
revision = 1
[rules.screen_lock]
unknown = "fail"
[rules.storage_encryption]
unknown = "warn"
"#;

pub fn test_policy() -> Policy {
    Policy::parse(TEST_POLICY, PolicyFormat::Toml).unwrap()
}

/// The suite's collector settings: on SQLite (a temporary file), or, when
/// `POSTURE_TEST_POSTGRES_URL` names a PostgreSQL server, in a fresh
/// database of its own there.
pub fn config() -> CollectorConfig {
    CollectorConfig {
        policy: test_policy(),
        postgres: fresh_postgres_database(),
        ..CollectorConfig::default()
    }
}

/// The suite's collector settings on SQLite whatever the suite runs on,
/// for tests that open the SQLite file themselves (the event, webhook and
/// grace deadline tests; `shared_database.rs` runs events, webhooks and
/// grace deadlines on PostgreSQL).
pub fn sqlite_config() -> CollectorConfig {
    CollectorConfig {
        policy: test_policy(),
        ..CollectorConfig::default()
    }
}

/// The PostgreSQL server the suite runs against, if one is named.
pub fn postgres_server() -> Option<String> {
    std::env::var("POSTURE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A new, empty database on the named server (`None` without one).
pub fn fresh_postgres_database() -> Option<PostgresUrl> {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let server = postgres_server()?;
    let name = format!(
        "posture_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls)
            .await
            .expect("connect to POSTURE_TEST_POSTGRES_URL");
        tokio::spawn(connection);
        // One statement each: a multi-statement batch is one transaction,
        // which CREATE DATABASE refuses.
        for sql in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            client.batch_execute(&sql).await.unwrap();
        }
    });
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&name);
    Some(PostgresUrl::parse(url.as_str()).unwrap())
}

/// Runs `sql` on the PostgreSQL database `url` (one made by
/// [`fresh_postgres_database`]) and returns the first column of the rows
/// as i64.
pub fn pg_query(url: &PostgresUrl, sql: &str) -> Vec<i64> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The test's own URL: Display hides the password, so read it back
    // from the server URL with this database's name.
    let mut server = url::Url::parse(&postgres_server().unwrap()).unwrap();
    let name = url.to_string();
    let db = name.rsplit('/').next().unwrap().split('?').next().unwrap();
    server.set_path(db);
    runtime.block_on(async {
        let (client, conn) = tokio_postgres::connect(server.as_str(), tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        let mut out = Vec::new();
        for m in client.simple_query(sql).await.unwrap() {
            if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
                out.push(r.get(0).unwrap().parse().unwrap());
            }
        }
        out
    })
}

pub fn start() -> RunningCollector {
    spawn_local(config()).unwrap()
}

/// Which server verdict a posture should get under [`TEST_POLICY`].
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    Compliant,
    Warning,
    NonCompliant,
}

pub fn posture(shape: Shape) -> Posture {
    let (lock, encryption) = match shape {
        Shape::Compliant => (
            r#"{"status": "observed", "value": "set", "source": "test"}"#,
            r#"{"status": "observed", "value": {"state": "encrypted", "method": "file-based"}, "source": "test"}"#,
        ),
        Shape::Warning => (
            r#"{"status": "observed", "value": "set", "source": "test"}"#,
            r#"{"status": "unknown", "reason": "test"}"#,
        ),
        Shape::NonCompliant => (
            r#"{"status": "observed", "value": "not_set", "source": "test"}"#,
            r#"{"status": "observed", "value": {"state": "encrypted", "method": "file-based"}, "source": "test"}"#,
        ),
    };
    let json = format!(
        r#"{{
        "schema_version": 1, "platform": "android",
        "os": {{
            "id": {{"status": "observed", "value": "android", "source": "t"}},
            "name": {{"status": "observed", "value": "Android", "source": "t"}},
            "version": {{"status": "observed", "value": "15", "source": "t"}},
            "build": {{"status": "unknown", "reason": "t"}},
            "kernel": {{"status": "unknown", "reason": "t"}}
        }},
        "security_patch": {{"status": "observed", "value": "2026-11-05", "source": "t"}},
        "storage_encryption": {encryption},
        "screen_lock": {lock},
        "developer_mode": {{"status": "observed", "value": false, "source": "t"}},
        "usb_debugging": {{"status": "observed", "value": false, "source": "t"}},
        "integrity": [],
        "hardware_key_store": {{"status": "unknown", "reason": "t"}},
        "secure_boot": {{"status": "unknown", "reason": "t"}},
        "tpm": {{"status": "unknown", "reason": "t"}},
        "agent_version": "0.1.0",
        "collected_at": "2026-11-20T09:29:58Z"
    }}"#
    );
    Posture::from_json(&json).unwrap()
}

pub fn http() -> HttpTransport {
    HttpTransport::new(TransportConfig::default()).unwrap()
}

pub fn post(url: &str, path: &str, content_type: &str, body: Vec<u8>) -> HttpResponse {
    send(HttpRequest::post(
        format!("{url}{path}"),
        content_type,
        body,
    ))
}

/// Sends `request` and checks that `docs/openapi.yaml` documents the
/// answer's status for its method and path: every answer a test provokes
/// is one a backend author can read about.
pub fn send(request: HttpRequest) -> HttpResponse {
    let method = request.method.as_str().to_ascii_lowercase();
    let path = request_path(&request.url);
    let response = http().send(request).unwrap();
    assert_documented(&method, &path, response.status);
    response
}

/// The path of an absolute URL, without the query.
pub fn request_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    path.split('?').next().unwrap_or(path).to_owned()
}

/// Every route the collector serves.
pub const ROUTES: [(&str, &str); 17] = [
    ("post", paths::ENROL),
    ("post", paths::CHALLENGE),
    ("post", paths::REPORTS),
    ("post", paths::UNENROL),
    ("post", paths::ENROLMENT_CODES),
    ("get", paths::FLEET),
    ("get", paths::REPORTS_EXPORT),
    ("get", paths::FLEET_DEVICE),
    ("get", paths::JWKS),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", paths::WEBHOOKS),
    ("get", paths::DEVICE_COMPLIANCE),
    ("get", paths::COMPLIANCE),
    ("post", paths::CLOUDFLARE_DEVICE_POSTURE),
    ("get", paths::EVIDENCE),
];

const OPENAPI: &str = include_str!("../../../docs/openapi.yaml");

/// The statuses `openapi.yaml` lists for `method` on `path`, or `None` when
/// it has no such operation. (A line reader for the file's own layout:
/// paths at two spaces, methods at four, statuses at eight.)
pub fn documented_statuses(method: &str, path: &str) -> Option<Vec<u16>> {
    let paths = OPENAPI.split("\npaths:\n").nth(1)?;
    let paths = paths.split("\ncomponents:\n").next()?;
    let mut statuses = None;
    let (mut in_path, mut in_method) = (false, false);
    for line in paths.lines() {
        if let Some(p) = line.strip_prefix("  ").filter(|l| !l.starts_with(' ')) {
            in_path = p.strip_suffix(':') == Some(path);
            in_method = false;
        } else if let Some(m) = line.strip_prefix("    ").filter(|l| !l.starts_with(' ')) {
            in_method = in_path && m.strip_suffix(':') == Some(method);
            if in_method {
                statuses = Some(Vec::new());
            }
        } else if in_method
            && let Some(code) = line
                .strip_prefix("        \"")
                .and_then(|l| l.get(..3))
                .and_then(|c| c.parse::<u16>().ok())
        {
            statuses.get_or_insert_with(Vec::new).push(code);
        }
    }
    statuses
}

/// Every operation (method, path) in `openapi.yaml`.
pub fn documented_operations() -> Vec<(String, String)> {
    let paths = OPENAPI.split("\npaths:\n").nth(1).unwrap();
    let paths = paths.split("\ncomponents:\n").next().unwrap();
    let mut operations = Vec::new();
    let mut path = None;
    for line in paths.lines() {
        if let Some(p) = line.strip_prefix("  ").filter(|l| !l.starts_with(' ')) {
            path = p.strip_suffix(':').map(str::to_owned);
        } else if let Some(m) = line.strip_prefix("    ").filter(|l| !l.starts_with(' '))
            && let (Some(m), Some(p)) = (m.strip_suffix(':'), &path)
        {
            operations.push((m.to_owned(), p.clone()));
        }
    }
    operations
}

/// Asserts that `status` is documented for `method` on `path`: among the
/// operation's responses, or 404 / 405 (which openapi.yaml's description
/// gives for every path and method it does not list).
pub fn assert_documented(method: &str, path: &str, status: u16) {
    match documented_statuses(method, path) {
        Some(statuses) => assert!(
            statuses.contains(&status),
            "openapi.yaml does not list {status} for {method} {path} (it lists {statuses:?})"
        ),
        None => {
            assert!(
                matches!(status, 404 | 405),
                "{method} {path} is not in openapi.yaml, yet answered {status}"
            );
            assert!(
                OPENAPI.contains("404 not-found") && OPENAPI.contains("405 method-not-allowed")
            );
        }
    }
}

pub fn problem(response: &HttpResponse) -> Problem {
    assert_eq!(
        response.media_type().as_deref(),
        Some(content_types::PROBLEM_JSON),
        "{response:?}"
    );
    serde_json::from_slice(&response.body).unwrap()
}

/// Asserts a problem answer of `slug` and `status`.
pub fn assert_problem(response: &HttpResponse, status: u16, slug: &str) -> Problem {
    let p = problem(response);
    assert_eq!((response.status, p.status), (status, status), "{p:?}");
    assert_eq!(
        p.type_uri,
        format!("https://posture-agent.dev/problems/{slug}")
    );
    p
}

pub fn issue_code(c: &RunningCollector) -> String {
    let codes = c.collector().issue_codes(1, None).unwrap();
    codes[0].code.expose().to_owned()
}

pub fn enrol_body(code: &str, signer: &SoftwareSigner) -> Vec<u8> {
    let jwk = signer.public_jwk().unwrap();
    serde_json::to_vec(&serde_json::json!({
        "code": code, "jwk": jwk, "platform": "android", "agent_version": "0.1.0"
    }))
    .unwrap()
}

/// An enrolled device with its key and latest nonce.
pub struct Device {
    pub signer: SoftwareSigner,
    pub id: String,
    pub nonce: Nonce,
}

impl Device {
    /// Enrols an Android device whose key `signer` holds, sending `chain`
    /// (made for `code`) as its key attestation; the enrolment must succeed.
    pub fn enrol_with_chain(
        c: &RunningCollector,
        signer: SoftwareSigner,
        code: &str,
        chain: &[String],
    ) -> Device {
        let body = serde_json::to_vec(&serde_json::json!({
            "code": code, "jwk": signer.public_jwk().unwrap(), "key_attestation": chain,
            "platform": "android", "agent_version": "0.1.0"
        }))
        .unwrap();
        let r = post(c.url(), paths::ENROL, content_types::JSON, body);
        assert_eq!(r.status, 201, "{r:?}");
        let e: EnrolResponse = serde_json::from_slice(&r.body).unwrap();
        Device {
            signer,
            id: e.device_id.as_str().to_owned(),
            nonce: e.nonce,
        }
    }

    pub fn enrol(c: &RunningCollector) -> Device {
        let signer = SoftwareSigner::ephemeral().unwrap();
        let code = issue_code(c);
        let r = post(
            c.url(),
            paths::ENROL,
            content_types::JSON,
            enrol_body(&code, &signer),
        );
        assert_eq!(r.status, 201, "{r:?}");
        let e: EnrolResponse = serde_json::from_slice(&r.body).unwrap();
        Device {
            signer,
            id: e.device_id.as_str().to_owned(),
            nonce: e.nonce,
        }
    }

    /// A report of `shape` answering `nonce`, made at `now`.
    pub fn token_at(&self, shape: Shape, nonce: &Nonce, now: OffsetDateTime) -> String {
        let posture = posture(shape);
        let verdict = evaluate(&posture, &test_policy(), now);
        let claims = Claims::new(nonce.clone(), &self.device_id(), posture, verdict, now).unwrap();
        sign(&claims, &self.signer).unwrap()
    }

    pub fn token(&self, shape: Shape) -> String {
        self.token_at(shape, &self.nonce, OffsetDateTime::now_utc())
    }

    pub fn send(&self, c: &RunningCollector, token: &str) -> HttpResponse {
        post(
            c.url(),
            paths::REPORTS,
            content_types::EAT_JWT,
            token.as_bytes().to_vec(),
        )
    }

    /// Sends a fresh report and takes the next nonce from the ack.
    pub fn check_in(&mut self, c: &RunningCollector, shape: Shape) -> ReportAck {
        let r = self.send(c, &self.token(shape));
        assert_eq!(r.status, 201, "{r:?}");
        let ack: ReportAck = serde_json::from_slice(&r.body).unwrap();
        self.nonce = ack.nonce.clone();
        ack
    }

    pub fn device_id(&self) -> agent_core::protocol::DeviceId {
        agent_core::protocol::DeviceId::new(self.id.as_str()).unwrap()
    }

    pub fn request_token(&self, purpose: RequestPurpose, nonce: Option<Nonce>) -> String {
        let claims =
            request_claims(&self.device_id(), purpose, nonce, OffsetDateTime::now_utc()).unwrap();
        sign_request(&claims, &self.signer).unwrap()
    }
}

/// A collector trusting `root` (read from a PEM file, as `serve` does).
pub fn start_with(root: &TestRoot, tweak: impl FnOnce(&mut AttestationConfig)) -> RunningCollector {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("roots.pem");
    root.write_pem(&pem);
    let mut attestation = AttestationConfig {
        roots: Some(roots_from_pem_file(&pem).unwrap()),
        ..AttestationConfig::default()
    };
    tweak(&mut attestation);
    spawn_local(CollectorConfig {
        attestation,
        ..config()
    })
    .unwrap()
}
