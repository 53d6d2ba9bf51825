//! `/healthz`, `/readyz` and `/metrics` over real HTTP: the metrics parsed
//! strictly as the Prometheus text format, and their counters moving as
//! reports are accepted and refused.

use std::collections::BTreeMap;

use agent_core::transport::{HttpRequest, HttpResponse};
use posture_collector::{CollectorConfig, RunningCollector, spawn_local};

use crate::common::{Device, Shape, assert_problem, config, send, sqlite_config};

fn get(c: &RunningCollector, path: &str, token: Option<&str>) -> HttpResponse {
    let mut req = HttpRequest::get(format!("{}{path}", c.url()));
    if let Some(t) = token {
        req = req.with_header("authorization", &format!("Bearer {t}"));
    }
    send(req)
}

/// One scrape: every sample by its name and labels as written.
#[derive(Debug, Default)]
pub struct Scrape {
    pub samples: BTreeMap<String, f64>,
    pub types: BTreeMap<String, String>,
}

impl Scrape {
    /// The sample `key` (`name` or `name{labels}`), 0 when absent (a
    /// labelled counter appears only once it moved).
    pub fn value(&self, key: &str) -> f64 {
        self.samples.get(key).copied().unwrap_or(0.0)
    }
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// A strict reader of the text exposition format 0.0.4: every line a
/// comment of HELP/TYPE or a sample; names and label names valid; label
/// values quoted with only the three escapes; values numbers; every
/// sample of a declared family; histogram buckets cumulative, ending at
/// `+Inf` equal to `_count`.
pub fn parse_metrics(text: &str) -> Scrape {
    let mut scrape = Scrape::default();
    assert!(text.ends_with('\n'), "the exposition ends with a newline");
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut parts = comment.splitn(3, ' ');
            let (kind, name, rest) = (parts.next(), parts.next(), parts.next());
            let name = name.unwrap_or_else(|| panic!("bad comment {line:?}"));
            assert!(is_name(name), "bad metric name in {line:?}");
            match kind {
                Some("HELP") => assert!(rest.is_some_and(|r| !r.is_empty()), "{line:?}"),
                Some("TYPE") => {
                    let t = rest.unwrap_or_default();
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&t),
                        "bad type in {line:?}"
                    );
                    let old = scrape.types.insert(name.to_owned(), t.to_owned());
                    assert!(old.is_none(), "{name} typed twice");
                }
                _ => panic!("unexpected comment {line:?}"),
            }
            continue;
        }
        assert!(!line.is_empty() && !line.starts_with('#'), "{line:?}");
        let (key, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line:?}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|e| panic!("{line:?}: {e}")),
        };
        let name = match key.split_once('{') {
            None => key,
            Some((name, labels)) => {
                let labels = labels
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("{line:?}"));
                check_labels(labels, line);
                name
            }
        };
        assert!(is_name(name), "bad sample name in {line:?}");
        let family = ["_bucket", "_count", "_sum"]
            .iter()
            .find_map(|s| {
                let base = name.strip_suffix(s)?;
                (scrape.types.get(base).map(String::as_str) == Some("histogram")).then_some(base)
            })
            .unwrap_or(name);
        assert!(
            scrape.types.contains_key(family),
            "{name} has no # TYPE before it"
        );
        let old = scrape.samples.insert(key.to_owned(), value);
        assert!(old.is_none(), "{key} written twice");
    }
    for (family, t) in &scrape.types {
        if t == "histogram" {
            check_histogram(&scrape, family);
        }
    }
    scrape
}

fn check_labels(labels: &str, line: &str) {
    let mut rest = labels;
    while !rest.is_empty() {
        let (name, after) = rest.split_once("=\"").unwrap_or_else(|| panic!("{line:?}"));
        assert!(is_name(name), "bad label name in {line:?}");
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => {
                    let escaped = chars.next().map(|(_, c)| c);
                    assert!(
                        matches!(escaped, Some('\\' | '"' | 'n')),
                        "bad escape in {line:?}"
                    );
                }
                Some((i, '"')) => break i,
                Some(_) => {}
                None => panic!("unterminated label value in {line:?}"),
            }
        };
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

fn check_histogram(scrape: &Scrape, family: &str) {
    let prefix = format!("{family}_bucket{{le=\"");
    let mut buckets: Vec<(f64, f64)> = scrape
        .samples
        .iter()
        .filter_map(|(k, v)| {
            let le = k.strip_prefix(&prefix)?.strip_suffix("\"}")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            Some((le, *v))
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(!buckets.is_empty(), "{family} has no buckets");
    assert!(
        buckets.windows(2).all(|w| w[0].1 <= w[1].1),
        "{family}'s buckets are not cumulative: {buckets:?}"
    );
    let (last_le, last) = buckets[buckets.len() - 1];
    assert_eq!(last_le, f64::INFINITY, "{family} lacks le=\"+Inf\"");
    assert_eq!(last, scrape.value(&format!("{family}_count")), "{family}");
}

fn scrape(c: &RunningCollector) -> Scrape {
    let r = get(c, "/metrics", Some(c.admin_token()));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    parse_metrics(&String::from_utf8(r.body).unwrap())
}

#[test]
fn health_and_readiness_need_no_token_and_metrics_need_the_admin_token() {
    let c = spawn_local(config()).unwrap();
    for (path, body) in [
        ("/healthz", r#"{"status":"ok"}"#),
        ("/readyz", r#"{"status":"ready"}"#),
    ] {
        let r = get(&c, path, None);
        assert_eq!(r.status, 200, "{path}: {r:?}");
        assert_eq!(String::from_utf8(r.body).unwrap(), body);
    }
    assert_problem(&get(&c, "/metrics", None), 401, "unauthorized");
    assert_problem(
        &get(&c, "/metrics", Some("not-the-token-at-all")),
        401,
        "unauthorized",
    );
    let first = scrape(&c);
    assert_eq!(
        first
            .types
            .get("posture_collector_report_verification_seconds"),
        Some(&"histogram".to_owned())
    );
    assert_eq!(first.value("posture_collector_writer_pending"), 0.0);
}

#[test]
fn counters_move_as_reports_are_accepted_and_refused() {
    let c = spawn_local(config()).unwrap();
    let before = scrape(&c);
    let mut a = Device::enrol(&c);
    let b = Device::enrol(&c);
    a.check_in(&c, Shape::Compliant);
    a.check_in(&c, Shape::NonCompliant);
    let token = a.token(Shape::Warning);
    assert_eq!(a.send(&c, &token).status, 201);
    // The same report again: its stored acknowledgement.
    assert_eq!(a.send(&c, &token).status, 200);
    // a's claims under b's signature: bad-signature.
    let forged = {
        let (signed, _) = a
            .token(Shape::Compliant)
            .rsplit_once('.')
            .map(|(s, _)| (s.to_owned(), ()))
            .unwrap();
        let (_, signature) = b
            .token(Shape::Compliant)
            .rsplit_once('.')
            .map(|(x, s)| (x.to_owned(), s.to_owned()))
            .unwrap();
        format!("{signed}.{signature}")
    };
    assert_problem(&a.send(&c, &forged), 401, "bad-signature");
    assert_problem(&a.send(&c, "not a token"), 400, "invalid-token");

    let after = scrape(&c);
    let moved = |key: &str| after.value(key) - before.value(key);
    assert_eq!(
        moved("posture_collector_reports_total{outcome=\"created\"}"),
        3.0
    );
    assert_eq!(
        moved("posture_collector_reports_total{outcome=\"resent\"}"),
        1.0
    );
    assert_eq!(
        moved("posture_collector_reports_rejected_total{reason=\"bad-signature\"}"),
        1.0
    );
    assert_eq!(
        moved("posture_collector_reports_rejected_total{reason=\"invalid-token\"}"),
        1.0
    );
    assert_eq!(
        moved("posture_collector_enrolments_total{outcome=\"created\"}"),
        2.0
    );
    // Verified: the three stored and the one resent.
    assert_eq!(
        moved("posture_collector_report_verification_seconds_count"),
        4.0
    );
    assert_eq!(moved("posture_collector_report_request_seconds_count"), 6.0);
    assert!(moved("posture_collector_report_verification_seconds_sum") > 0.0);
    assert_eq!(after.value("posture_collector_writer_pending"), 0.0);
    assert_eq!(moved("posture_collector_database_errors_total"), 0.0);
}

#[test]
fn readiness_fails_when_the_schema_is_not_this_collectors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite3");
    let c = spawn_local(CollectorConfig {
        db_path: Some(db.clone()),
        ..sqlite_config()
    })
    .unwrap();
    assert_eq!(get(&c, "/readyz", None).status, 200);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    // As if a collector of another release had migrated it (or someone
    // had changed it by hand): its version is not this build's.
    conn.execute_batch(
        "DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)",
    )
    .unwrap();
    let left: i64 = conn
        .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .unwrap();
    drop(conn);
    let r = get(&c, "/readyz", None);
    let problem = assert_problem(&r, 503, "unavailable");
    assert!(
        problem
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains(&format!("schema is at version {left}")),
        "{problem:?}"
    );
    assert!(r.header("retry-after").is_some(), "{r:?}");
    // Still alive: liveness does not touch the database.
    assert_eq!(get(&c, "/healthz", None).status, 200);
    assert_eq!(
        scrape(&c).value("posture_collector_database_errors_total"),
        1.0
    );
}

#[test]
fn the_parser_refuses_what_prometheus_would() {
    let good = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"q\\\"\"} 1\n";
    assert_eq!(parse_metrics(good).value("a_total{x=\"q\\\"\"}"), 1.0);
    for bad in [
        "a_total 1\n",
        "# TYPE a counter\na{x=q} 1\n",
        "# TYPE a counter\na one\n",
        "# TYPE a counter\na 1",
        "# TYPE 1a counter\n",
    ] {
        assert!(
            std::panic::catch_unwind(|| parse_metrics(bad)).is_err(),
            "{bad:?} was accepted"
        );
    }
}
