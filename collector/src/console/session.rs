//! Stateless signed tokens for the console: the session cookie, the
//! log-in form's pre-session cookie, the one-time log-in link, and the
//! CSRF token derived from each.
//!
//! A token is `<id>.<expires>.<mac>`, the MAC an HMAC-SHA256 over its
//! purpose, id and expiry under a key derived from the admin token. Any
//! collector process that knows the admin token can check it, so sessions
//! survive a load balancer moving a browser between processes; changing the
//! admin token ends every session at once. Logging out records the id as
//! revoked in the database, which every process reads.

use agent_core::b64;
use agent_core::token::random_id;
use ring::hmac;

/// How long a session lasts from log-in: a working day.
pub(crate) const SESSION_SECS: i64 = 8 * 3600;
/// How long the log-in form may stay open before it must be reloaded.
pub(crate) const LOGIN_FORM_SECS: i64 = 30 * 60;
/// How long a one-time log-in link stays usable.
pub(crate) const LINK_SECS: i64 = 10 * 60;
/// Longest token accepted, so a huge cookie is refused before any work.
const MAX_TOKEN_LEN: usize = 256;

/// What a signed token is for; each purpose is its own MAC domain, so a
/// token made for one cannot be replayed as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// The session cookie.
    Session,
    /// The cookie set by the log-in form, which its CSRF token is bound to.
    LoginForm,
    /// A one-time log-in link.
    Link,
}

impl Purpose {
    fn tag(self) -> &'static str {
        match self {
            Purpose::Session => "session",
            Purpose::LoginForm => "login-form",
            Purpose::Link => "link",
        }
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TokenError {
    /// It is not `<id>.<expires>.<mac>`, or too long.
    #[error("the console token is malformed")]
    Malformed,
    /// Its MAC does not match: forged, altered, or signed under another
    /// admin token.
    #[error("the console token's signature does not match")]
    BadSignature,
    /// It is past its expiry.
    #[error("the console token has expired")]
    Expired,
    /// No random bytes could be drawn.
    #[error("the system random number generator failed")]
    Random,
}

/// A checked token: its id and expiry (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signed {
    /// The random id (base64url).
    pub id: String,
    /// When it expires.
    pub expires_at: i64,
}

/// The console's MAC key, derived from the admin token.
pub(crate) struct Keys {
    key: hmac::Key,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

impl Keys {
    /// Derives the key: HMAC-SHA256 keyed by the admin token over a fixed
    /// label, so the admin token itself never signs anything a browser holds.
    pub fn derive(admin_token: &str) -> Keys {
        let outer = hmac::Key::new(hmac::HMAC_SHA256, admin_token.as_bytes());
        let derived = hmac::sign(&outer, b"posture-agent console key v1");
        Keys {
            key: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()),
        }
    }

    fn message(purpose: Purpose, id: &str, expires_at: i64) -> String {
        format!("{}|{id}|{expires_at}", purpose.tag())
    }

    /// A fresh token for `purpose` living `lifetime` seconds from `now`.
    pub fn issue(&self, purpose: Purpose, now: i64, lifetime: i64) -> Result<String, TokenError> {
        let id = random_id(18).map_err(|_| TokenError::Random)?;
        let expires_at = now.saturating_add(lifetime);
        let mac = hmac::sign(
            &self.key,
            Self::message(purpose, &id, expires_at).as_bytes(),
        );
        Ok(format!("{id}.{expires_at}.{}", b64::encode(mac.as_ref())))
    }

    /// Checks a token's form, MAC (in constant time) and expiry.
    pub fn check(&self, purpose: Purpose, token: &str, now: i64) -> Result<Signed, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(id), Some(expires), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        if id.is_empty() || !id.bytes().all(is_b64url) {
            return Err(TokenError::Malformed);
        }
        let expires_at: i64 = expires.parse().map_err(|_| TokenError::Malformed)?;
        let mac = b64::decode(mac).map_err(|_| TokenError::Malformed)?;
        hmac::verify(
            &self.key,
            Self::message(purpose, id, expires_at).as_bytes(),
            &mac,
        )
        .map_err(|_| TokenError::BadSignature)?;
        if now >= expires_at {
            return Err(TokenError::Expired);
        }
        Ok(Signed {
            id: id.to_owned(),
            expires_at,
        })
    }

    /// The CSRF token of the forms shown with a checked token: bound to its
    /// purpose and id, so it is useless with any other session.
    pub fn csrf(&self, purpose: Purpose, id: &str) -> String {
        let mac = hmac::sign(&self.key, Self::csrf_message(purpose, id).as_bytes());
        b64::encode(mac.as_ref())
    }

    /// Whether `given` is the CSRF token for this purpose and id; compared
    /// in constant time (ring's HMAC verification).
    pub fn csrf_ok(&self, purpose: Purpose, id: &str, given: &str) -> bool {
        if given.len() > MAX_TOKEN_LEN {
            return false;
        }
        let Ok(mac) = b64::decode(given) else {
            return false;
        };
        hmac::verify(&self.key, Self::csrf_message(purpose, id).as_bytes(), &mac).is_ok()
    }

    fn csrf_message(purpose: Purpose, id: &str) -> String {
        format!("csrf|{}|{id}", purpose.tag())
    }
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn keys() -> Keys {
        Keys::derive("an-admin-token-of-some-length")
    }

    #[test]
    fn a_fresh_session_checks_until_it_expires() {
        let k = keys();
        let token = k.issue(Purpose::Session, NOW, SESSION_SECS).unwrap();
        let signed = k.check(Purpose::Session, &token, NOW + 10).unwrap();
        assert_eq!(signed.expires_at, NOW + SESSION_SECS);
        assert_eq!(
            k.check(Purpose::Session, &token, NOW + SESSION_SECS),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_token_for_one_purpose_or_admin_token_is_refused_for_another() {
        let k = keys();
        let link = k.issue(Purpose::Link, NOW, LINK_SECS).unwrap();
        assert_eq!(
            k.check(Purpose::Session, &link, NOW),
            Err(TokenError::BadSignature)
        );
        let other = Keys::derive("another-admin-token-entirely");
        assert_eq!(
            other.check(Purpose::Link, &link, NOW),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn altered_or_malformed_tokens_are_refused() {
        let k = keys();
        let token = k.issue(Purpose::Session, NOW, SESSION_SECS).unwrap();
        let (id, rest) = token.split_once('.').unwrap();
        let (_, mac) = rest.split_once('.').unwrap();
        // A later expiry with the old MAC.
        let stretched = format!("{id}.{}.{mac}", NOW + 10 * SESSION_SECS);
        assert_eq!(
            k.check(Purpose::Session, &stretched, NOW),
            Err(TokenError::BadSignature)
        );
        for bad in ["", "a.b", "a.1.b.c", "a b.1.AAAA", &"x".repeat(300)] {
            assert_eq!(
                k.check(Purpose::Session, bad, NOW),
                Err(TokenError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_csrf_token_is_bound_to_its_session() {
        let k = keys();
        let csrf = k.csrf(Purpose::Session, "abc");
        assert!(k.csrf_ok(Purpose::Session, "abc", &csrf));
        assert!(!k.csrf_ok(Purpose::Session, "abd", &csrf));
        assert!(!k.csrf_ok(Purpose::LoginForm, "abc", &csrf));
        assert!(!k.csrf_ok(Purpose::Session, "abc", ""));
        assert!(!k.csrf_ok(Purpose::Session, "abc", "not base64!"));
    }

    #[test]
    fn debug_output_shows_no_key() {
        assert_eq!(format!("{:?}", keys()), "Keys(..)");
    }
}
