//! Which URLs the agent may talk to: HTTPS anywhere, plain HTTP only to
//! loopback (for tests and a local collector), checked before any I/O.

use url::{Host, ParseError, Url};

use super::TransportError;

/// Parses `url` and refuses anything but https, or http to a loopback
/// address (127.0.0.0/8, ::1, `localhost`). No DNS lookup and no
/// connection happen here.
///
/// Host names must be ASCII: internationalised names are accepted in their
/// punycode (`xn--`) form only, because every build uses `idna` without
/// Unicode tables (the workspace pins `idna_adapter` 1.0).
pub fn check_url(url: &str) -> Result<Url, TransportError> {
    let parsed = Url::parse(url).map_err(|e| match e {
        ParseError::IdnaError if !url.is_ascii() => TransportError::InvalidUrl(
            "the host name is not ASCII; give an internationalised name in its punycode \
             (xn--) form"
                .to_owned(),
        ),
        e => TransportError::InvalidUrl(e.to_string()),
    })?;
    let host = parsed
        .host()
        .ok_or_else(|| TransportError::InvalidUrl("the URL has no host".to_owned()))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&host) => Ok(parsed),
        "http" => Err(TransportError::InsecureUrl {
            host: host.to_string(),
        }),
        other => Err(TransportError::InvalidUrl(format!(
            "scheme {other:?} is not https"
        ))),
    }
}

/// A URL as it may be logged or shown: without a user name or password,
/// query or fragment, which often carry a token (`https://user:pass@h/p?t=…`
/// shows as `https://h/p`). Text that is not a URL shows as a placeholder,
/// never as itself: it may be a secret pasted in the wrong place.
pub fn shown_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.has_host() => {
            // Setting these fails only on URLs without a host: excluded.
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.set_query(None);
            parsed.set_fragment(None);
            parsed.into()
        }
        _ => "(not a URL)".to_owned(),
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
        // `localhost` and its subdomains resolve to loopback by RFC 6761;
        // `localhost.` with a trailing dot is the same name.
        Host::Domain(name) => {
            let name = name.trim_end_matches('.');
            name.eq_ignore_ascii_case("localhost")
                || name.to_ascii_lowercase().ends_with(".localhost")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_allowed_anywhere() {
        assert!(check_url("https://collector.example.org/v1/reports").is_ok());
        assert!(check_url("https://10.0.0.1:8443/").is_ok());
    }

    #[test]
    fn http_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:8080/v1/enrol",
            "http://127.5.6.7/",
            "http://[::1]:9000/",
            "http://localhost:3000/",
            "http://LOCALHOST/",
            "http://collector.localhost/",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com/",
            "http://10.0.0.1/",
            "http://128.0.0.1/",
            "http://[::2]/",
            "http://localhost.example.com/",
            "http://0.0.0.0/",
        ] {
            assert!(
                matches!(check_url(bad), Err(TransportError::InsecureUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn host_names_are_ascii_or_punycode() {
        let Err(TransportError::InvalidUrl(reason)) = check_url("https://bücher.example/v1/enrol")
        else {
            panic!("a non-ASCII host name was accepted");
        };
        assert!(reason.contains("xn--"), "{reason}");
        let ok = check_url("https://xn--bcher-kva.example/v1/enrol").unwrap();
        assert_eq!(ok.host_str(), Some("xn--bcher-kva.example"));
        // Upper case ASCII is still folded.
        let ok = check_url("https://Collector.Example.ORG/").unwrap();
        assert_eq!(ok.host_str(), Some("collector.example.org"));
    }

    #[test]
    fn other_schemes_and_junk_are_invalid() {
        for bad in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "not a url",
            "/v1/enrol",
        ] {
            assert!(
                matches!(check_url(bad), Err(TransportError::InvalidUrl(_))),
                "{bad}"
            );
        }
    }
}
