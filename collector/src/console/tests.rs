//! Handler tests: real requests through the collector's router, on a real
//! database: a temporary SQLite file, or, when `POSTURE_TEST_POSTGRES_URL`
//! names a PostgreSQL server, a fresh database of its own there.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use http_body_util::BodyExt;
use tower_service::Service;

use crate::{Collector, CollectorConfig};

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }

    /// The `name=value` pair of a set cookie, to send back.
    fn pair(&self, name: &str) -> String {
        self.cookie(name)
            .and_then(|c| c.split(';').next().map(str::to_owned))
            .unwrap()
    }

    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of the first hidden `csrf` field.
    fn csrf(&self) -> String {
        let at = self.body.find("name=\"csrf\" value=\"").unwrap() + 19;
        self.body[at..].split('"').next().unwrap().to_owned()
    }
}

async fn send(c: &Collector, request: Request<Body>) -> Answer {
    let mut router = c.router();
    let response: Response = router.call(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(c: &Collector, path: &str, cookie: Option<&str>) -> Answer {
    let mut r = Request::get(path);
    if let Some(cookie) = cookie {
        r = r.header(header::COOKIE, cookie);
    }
    send(c, r.body(Body::empty()).unwrap()).await
}

async fn post(c: &Collector, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Answer {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut r = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "collector.test");
    if let Some(cookie) = cookie {
        r = r.header(header::COOKIE, cookie);
    }
    send(c, r.body(Body::from(body)).unwrap()).await
}

fn collector() -> Collector {
    open(CollectorConfig {
        admin_token: Some("console-test-admin-token".into()),
        postgres: fresh_postgres_database(),
        ..CollectorConfig::default()
    })
}

/// Opens a collector off the test's runtime (the PostgreSQL store waits
/// for its own runtime while opening, which an async worker must not).
fn open(config: CollectorConfig) -> Collector {
    std::thread::spawn(move || Collector::open(config))
        .join()
        .unwrap()
        .unwrap()
}

/// A new, empty database on the server `POSTURE_TEST_POSTGRES_URL` names;
/// `None` without one.
fn fresh_postgres_database() -> Option<crate::PostgresUrl> {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let server = std::env::var("POSTURE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let name = format!(
        "posture_console_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let create = {
        let (server, name) = (server.clone(), name.clone());
        move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let (client, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(connection);
                for sql in [
                    format!("DROP DATABASE IF EXISTS {name}"),
                    format!("CREATE DATABASE {name}"),
                ] {
                    client.batch_execute(&sql).await.unwrap();
                }
            });
        }
    };
    std::thread::spawn(create).join().unwrap();
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&name);
    Some(crate::PostgresUrl::parse(url.as_str()).unwrap())
}

/// Logs in with the admin token; the session cookie pair.
async fn log_in(c: &Collector) -> String {
    let form = get(c, "/console/login", None).await;
    let pre = form.pair("pa_console_login");
    let csrf = form.csrf();
    let r = post(
        c,
        "/console/login",
        Some(&pre),
        &[("csrf", &csrf), ("token", "console-test-admin-token")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/console/fleet");
    r.pair("pa_console")
}

#[tokio::test]
async fn pages_carry_a_strict_csp_and_no_script() {
    let c = collector();
    let r = get(&c, "/console/login", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(r.headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    assert!(!r.body.contains("<script"));
    assert!(r.body.contains("<label for=\"token\">"));
    let cookie = r.cookie("pa_console_login").unwrap();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
}

#[tokio::test]
async fn the_admin_token_is_exchanged_for_a_session_cookie() {
    let c = collector();
    let session = log_in(&c).await;
    let r = get(&c, "/console/fleet", Some(&session)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("<h1>Fleet</h1>"));
    // The token itself never reaches a page or a cookie.
    assert!(!r.body.contains("console-test-admin-token"));
    assert!(!session.contains("console-test-admin-token"));
}

#[tokio::test]
async fn a_wrong_token_or_a_form_without_its_cookie_is_refused() {
    let c = collector();
    let form = get(&c, "/console/login", None).await;
    let pre = form.pair("pa_console_login");
    let csrf = form.csrf();
    let wrong = post(
        &c,
        "/console/login",
        Some(&pre),
        &[("csrf", &csrf), ("token", "not-the-admin-token")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.cookie("pa_console").is_none());
    let no_cookie = post(
        &c,
        "/console/login",
        None,
        &[("csrf", &csrf), ("token", "console-test-admin-token")],
    )
    .await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);
    assert!(no_cookie.cookie("pa_console").is_none());
}

#[tokio::test]
async fn pages_without_a_session_send_the_browser_to_log_in() {
    let c = collector();
    for path in [
        "/console/fleet",
        "/console/enrolment",
        "/console/policy",
        "/console/devices/x",
    ] {
        let r = get(&c, path, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.location(), "/console/login", "{path}");
    }
    let forged = get(
        &c,
        "/console/fleet",
        Some("pa_console=abc.99999999999.AAAA"),
    )
    .await;
    assert_eq!(forged.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn forms_without_the_csrf_token_or_the_cookie_are_refused() {
    let c = collector();
    let session = log_in(&c).await;
    let page = get(&c, "/console/enrolment", Some(&session)).await;
    let csrf = page.csrf();
    let form = [("count", "1"), ("server", "https://collector.test")];
    let without = post(&c, "/console/enrolment/codes", Some(&session), &form).await;
    assert_eq!(without.status, StatusCode::FORBIDDEN);
    let mut wrong = form.to_vec();
    wrong.push(("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    let wrong = post(&c, "/console/enrolment/codes", Some(&session), &wrong).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let mut good = form.to_vec();
    good.push(("csrf", &csrf));
    let no_cookie = post(&c, "/console/enrolment/codes", None, &good).await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);
    let logout = post(&c, "/console/logout", None, &[("csrf", &csrf)]).await;
    assert_eq!(logout.status, StatusCode::FORBIDDEN);
    // The blocking API, off the test's runtime.
    let c2 = c.clone();
    let issued = tokio::task::spawn_blocking(move || c2.issue_codes(1, None))
        .await
        .unwrap();
    assert_eq!(issued.unwrap().len(), 1);
    // Nothing was issued by the refused forms: only the one above.
    let list = get(&c, "/console/enrolment", Some(&session)).await;
    assert_eq!(list.body.matches("state-unused").count(), 1);
}

#[tokio::test]
async fn issued_codes_come_with_a_qr_code_and_can_be_revoked() {
    let c = collector();
    let session = log_in(&c).await;
    let csrf = get(&c, "/console/enrolment", Some(&session)).await.csrf();
    let r = post(
        &c,
        "/console/enrolment/codes",
        Some(&session),
        &[
            ("csrf", &csrf),
            ("count", "2"),
            ("label", "ward 7 tablet"),
            ("server", "https://collector.test/"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body.matches("<svg role=\"img\"").count(), 2);
    assert!(
        r.body
            .contains("posture-agent://enrol?server=https%3A%2F%2Fcollector.test&#38;code="),
        "{}",
        r.body
    );
    assert!(r.body.contains("2 codes issued."));
    assert_eq!(r.body.matches("· ward 7 tablet").count(), 2);
    assert_eq!(r.body.matches("<td>ward 7 tablet</td>").count(), 2);
    // Revoke the first listed.
    let at = r.body.find("name=\"code\" value=\"").unwrap() + 19;
    let hash = r.body[at..].split('"').next().unwrap().to_owned();
    let revoked = post(
        &c,
        "/console/enrolment/revoke",
        Some(&session),
        &[("csrf", &csrf), ("code", &hash)],
    )
    .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert!(revoked.body.contains("state-revoked"));
    let again = post(
        &c,
        "/console/enrolment/revoke",
        Some(&session),
        &[("csrf", &csrf), ("code", &hash)],
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn bad_code_requests_say_what_is_wrong_and_issue_nothing() {
    let c = collector();
    let session = log_in(&c).await;
    let csrf = get(&c, "/console/enrolment", Some(&session)).await.csrf();
    let r = post(
        &c,
        "/console/enrolment/codes",
        Some(&session),
        &[("csrf", &csrf), ("count", "1000"), ("server", "ftp://x")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Issue 1 to 100 codes"), "{}", r.body);
    assert!(r.body.contains("https:// URL"), "{}", r.body);
    assert!(!r.body.contains("state-unused"));
}

#[tokio::test]
async fn logging_out_ends_the_session_for_good() {
    let c = collector();
    let session = log_in(&c).await;
    let csrf = get(&c, "/console/fleet", Some(&session)).await.csrf();
    let out = post(&c, "/console/logout", Some(&session), &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.cookie("pa_console").unwrap().contains("Max-Age=0"));
    // The old cookie, kept by an attacker or a second tab, is dead.
    let r = get(&c, "/console/fleet", Some(&session)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_login_link_works_once() {
    let c = collector();
    let link = c.console_login_link("http://127.0.0.1:9").unwrap();
    let path = link.strip_prefix("http://127.0.0.1:9").unwrap();
    let first = get(&c, path, None).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let session = first.pair("pa_console");
    assert_eq!(
        get(&c, "/console/fleet", Some(&session)).await.status,
        StatusCode::OK
    );
    let second = get(&c, path, None).await;
    assert_eq!(second.status, StatusCode::FORBIDDEN);
    assert!(second.body.contains("already used"));
    let forged = get(&c, "/console/login/link?ticket=abc.1.AAAA", None).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_policy_page_shows_the_policy_its_history_and_previews_drafts() {
    let c = collector();
    let session = log_in(&c).await;
    let page = get(&c, "/console/policy", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("in force"));
    let csrf = page.csrf();
    let bad = post(
        &c,
        "/console/policy/preview",
        Some(&session),
        &[("csrf", &csrf), ("draft", "{\"schema_version\": 1}")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("not valid"), "{}", bad.body);
    let draft = c.inner.settings.policy.to_json();
    let good = post(
        &c,
        "/console/policy/preview",
        Some(&session),
        &[("csrf", &csrf), ("draft", &draft)],
    )
    .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.body);
    assert!(
        good.body
            .contains("<span id=\"changed-count\">0</span> of 0 devices")
    );
}

#[tokio::test]
async fn an_unknown_device_is_not_found() {
    let c = collector();
    let session = log_in(&c).await;
    let r = get(&c, "/console/devices/no-such-device", Some(&session)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("No enrolled device"));
}

/// A log-in form post from `addr` with `token`; its status.
async fn log_in_from(c: &Collector, addr: std::net::SocketAddr, token: &str) -> StatusCode {
    let form = get(c, "/console/login", None).await;
    let pre = form.pair("pa_console_login");
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("csrf", form.csrf().as_str()), ("token", token)])
        .finish();
    let mut request = Request::post("/console/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, pre)
        .body(Body::from(body))
        .unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    send(c, request).await.status
}

#[tokio::test]
async fn repeated_wrong_tokens_from_one_address_are_slowed_down() {
    let c = collector();
    let guesser: std::net::SocketAddr = "192.0.2.77:4000".parse().unwrap();
    for _ in 0..10 {
        assert_eq!(
            log_in_from(&c, guesser, "wrong-wrong-wrong").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        log_in_from(&c, guesser, "wrong-wrong-wrong").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Even with the right token, until the window ends.
    assert_eq!(
        log_in_from(&c, guesser, "console-test-admin-token").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another address is not held up by the first one's failures.
    let admin: std::net::SocketAddr = "198.51.100.4:5000".parse().unwrap();
    assert_eq!(
        log_in_from(&c, admin, "wrong-wrong-wrong").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        log_in_from(&c, admin, "console-test-admin-token").await,
        StatusCode::SEE_OTHER
    );
    // Each collector counts its own log-ins: a new one starts afresh.
    let other = collector();
    assert_eq!(
        log_in_from(&other, guesser, "console-test-admin-token").await,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn wrong_tokens_without_a_peer_address_are_slowed_down_too() {
    let c = collector();
    for _ in 0..10 {
        let form = get(&c, "/console/login", None).await;
        let pre = form.pair("pa_console_login");
        let r = post(
            &c,
            "/console/login",
            Some(&pre),
            &[("csrf", &form.csrf()), ("token", "wrong-wrong-wrong")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let form = get(&c, "/console/login", None).await;
    let pre = form.pair("pa_console_login");
    let r = post(
        &c,
        "/console/login",
        Some(&pre),
        &[("csrf", &form.csrf()), ("token", "wrong-wrong-wrong")],
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_session_from_one_collector_process_works_on_another_with_the_same_token() {
    // Two collectors behind one load balancer share the admin token.
    let a = collector();
    let b = collector();
    let session = log_in(&a).await;
    assert_eq!(
        get(&b, "/console/fleet", Some(&session)).await.status,
        StatusCode::OK
    );
    // One with another admin token does not accept it.
    let other = open(CollectorConfig {
        admin_token: Some("a-different-admin-token".into()),
        postgres: fresh_postgres_database(),
        ..CollectorConfig::default()
    });
    let r = get(&other, "/console/fleet", Some(&session)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_evidence_report_downloads_for_a_period() {
    let c = collector();
    let session = log_in(&c).await;
    let page = get(&c, "/console/evidence", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"download-csv\""));
    let bad = get(
        &c,
        "/console/evidence?from=2026-02-01&to=2026-01-01",
        Some(&session),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("before"), "{}", bad.body);
    for (format, kind) in [
        ("html", "text/html"),
        ("csv", "text/csv"),
        ("json", "application/json"),
    ] {
        let r = get(
            &c,
            &format!("/console/evidence/download?from=2026-01-01&to=2026-01-31&format={format}"),
            Some(&session),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{format}: {}", r.body);
        assert!(
            r.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        let disposition = r.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert_eq!(
            disposition,
            format!("attachment; filename=\"posture-evidence-2026-01-01-2026-01-31.{format}\"")
        );
        assert!(!r.body.is_empty());
    }
    let none = get(
        &c,
        "/console/evidence/download?from=2026-01-01&to=2026-01-31",
        None,
    )
    .await;
    assert_eq!(none.status, StatusCode::SEE_OTHER);
    let odd = get(
        &c,
        "/console/evidence/download?from=2026-01-01&to=2026-01-31&format=pdf",
        Some(&session),
    )
    .await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_privacy_page_shows_the_agents_inventory_in_english_or_welsh() {
    use agent_core::l10n::Locale;
    use agent_core::privacy::inventory;
    let c = collector();
    let r = get(&c, "/console/privacy", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "a session is needed");
    let session = log_in(&c).await;
    let page = get(&c, "/console/privacy", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    let en = inventory(Locale::En);
    // Askama escapes apostrophes; compare with the escaped text.
    let html = |t: &str| {
        t.replace('&', "&amp;")
            .replace('\'', "&#39;")
            .replace('"', "&#34;")
    };
    assert!(page.body.contains(&html(&en.summary)), "{}", page.body);
    for f in &en.fields {
        assert!(
            page.body.contains(&format!("<code>{}</code>", f.path)),
            "{}",
            f.path
        );
        assert!(page.body.contains(&html(&f.why)), "{}", f.why);
    }
    for item in &en.never_collected {
        assert!(page.body.contains(&html(item)), "{item}");
    }
    assert!(page.body.contains("aria-current=\"page\">Privacy<"));
    let cy = get(&c, "/console/privacy?lang=cy-GB", Some(&session)).await;
    assert_eq!(cy.status, StatusCode::OK);
    assert!(cy.body.contains("<div lang=\"cy\" id=\"inventory\">"));
    assert!(cy.body.contains(&html(&inventory(Locale::Cy).summary)));
    let never = agent_core::l10n::text(Locale::Cy, "privacy-leaflet-never");
    assert!(cy.body.contains(&html(&never)), "{never}");
    let bad = get(&c, "/console/privacy?lang=fr", Some(&session)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains("is not one this agent speaks"),
        "{}",
        bad.body
    );
}
