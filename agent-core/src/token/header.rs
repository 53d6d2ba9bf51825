//! The JWS protected header, parsed strictly.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};

/// The members of a protected header the verifier acts on.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Header {
    pub alg: Option<String>,
    pub typ: Option<String>,
    pub kid: Option<String>,
    /// The first member that would let the token name its own key.
    pub embedded_key: Option<String>,
    /// Whether a `crit` member is present (no extension is understood).
    pub crit: bool,
}

/// Why a header could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum HeaderProblem {
    Duplicate(String),
    Invalid(String),
}

/// Parses the header JSON; a member named twice is an error, since two
/// parsers could otherwise read two different algorithms from one token.
pub(crate) fn parse_header(json: &[u8]) -> Result<Header, HeaderProblem> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let header = de
        .deserialize_map(HeaderVisitor)
        .and_then(|h| de.end().map(|()| h))
        .map_err(|e| {
            let text = e.to_string();
            match text.strip_prefix("duplicate header member ") {
                Some(rest) => HeaderProblem::Duplicate(
                    rest.split(" at line").next().unwrap_or(rest).to_owned(),
                ),
                None => HeaderProblem::Invalid(text),
            }
        })?;
    Ok(header)
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = Header;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
        let mut header = Header::default();
        let mut seen: Vec<String> = Vec::with_capacity(4);
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                return Err(de::Error::custom(format!("duplicate header member {key}")));
            }
            let string = |map: &mut A, name: &str| -> Result<String, A::Error> {
                map.next_value::<String>().map_err(|_| {
                    de::Error::custom(format!("header member {name:?} must be a string"))
                })
            };
            match key.as_str() {
                "alg" => header.alg = Some(string(&mut map, "alg")?),
                "typ" => header.typ = Some(string(&mut map, "typ")?),
                "kid" => header.kid = Some(string(&mut map, "kid")?),
                "jwk" | "jku" | "x5u" | "x5c" => {
                    map.next_value::<de::IgnoredAny>()?;
                    header.embedded_key.get_or_insert_with(|| key.clone());
                }
                "crit" => {
                    map.next_value::<de::IgnoredAny>()?;
                    header.crit = true;
                }
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
            seen.push(key);
        }
        Ok(header)
    }
}
