//! Relying parties: the gateways that ask the collector whether a device
//! may in (protocol §11). Each has a name, scopes and the SHA-256 of its
//! bearer token, read from a file at start; nothing about them lives only
//! in one process, so collectors behind a load balancer agree.

mod answer;
pub(crate) mod cloudflare;
mod links;
pub(crate) mod queries;

pub(crate) use answer::{answer_by_id, answer_by_jkt};
pub use cloudflare::score as gateway_score;
pub use links::GatewayLinks;
pub(crate) use links::is_device_id;

use std::path::Path;

use agent_core::protocol::{ProblemKind, SCOPES};
use axum::http::{HeaderMap, header};
use ring::digest::{SHA256, digest};
use serde::Deserialize;

use crate::problem::ApiError;

/// Largest relying-party or gateway-links file read.
pub(crate) const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Most relying parties one file may name.
const MAX_PARTIES: usize = 1000;
/// Longest name or Access client id.
const MAX_NAME_LEN: usize = 128;

/// Why a relying-party or gateway-links file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RelyingPartyError {
    /// The file could not be read.
    #[error("read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is larger than the limit.
    #[error("{path} is larger than {MAX_FILE_BYTES} bytes")]
    TooLarge {
        /// The file.
        path: String,
    },
    /// The file is not the documented JSON.
    #[error("{path}: {reason}")]
    Invalid {
        /// The file (or `relying parties` when parsed from text).
        path: String,
        /// What is wrong, naming the entry and field.
        reason: String,
    },
}

/// One relying party. Its Debug output shows the name and scopes only.
#[derive(Clone)]
pub struct RelyingParty {
    name: String,
    scopes: Vec<String>,
    token_sha256: [u8; 32],
    access_client_id: Option<String>,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelyingParty")
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl RelyingParty {
    /// Its name, for logs.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether it holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// The configured relying parties; empty by default (the relying-party
/// API then answers 401 to everyone).
#[derive(Debug, Clone, Default)]
pub struct RelyingParties {
    parties: Vec<RelyingParty>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    relying_parties: Vec<EntryDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryDoc {
    name: String,
    scopes: Vec<String>,
    token_sha256: String,
    #[serde(default)]
    access_client_id: Option<String>,
}

impl RelyingParties {
    /// Reads the relying parties from a JSON file (docs/conditional-access.md).
    pub fn from_file(path: &Path) -> Result<RelyingParties, RelyingPartyError> {
        let text = read_bounded(path)?;
        RelyingParties::parse(&text, &path.display().to_string())
    }

    /// Parses the relying-party document; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<RelyingParties, RelyingPartyError> {
        let invalid = |reason: String| RelyingPartyError::Invalid {
            path: origin.to_owned(),
            reason,
        };
        let doc: FileDoc = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if doc.relying_parties.len() > MAX_PARTIES {
            return Err(invalid(format!("at most {MAX_PARTIES} relying parties")));
        }
        let mut parties: Vec<RelyingParty> = Vec::with_capacity(doc.relying_parties.len());
        for (i, entry) in doc.relying_parties.into_iter().enumerate() {
            let at = |what: &str| format!("relying_parties[{i}].{what}");
            if entry.name.is_empty()
                || entry.name.len() > MAX_NAME_LEN
                || entry.name.chars().any(char::is_control)
            {
                return Err(invalid(format!(
                    "{}: 1 to {MAX_NAME_LEN} printable characters",
                    at("name")
                )));
            }
            if parties.iter().any(|p| p.name == entry.name) {
                return Err(invalid(format!(
                    "{}: {:?} is named twice",
                    at("name"),
                    entry.name
                )));
            }
            if entry.scopes.is_empty() {
                return Err(invalid(format!(
                    "{}: give at least one scope",
                    at("scopes")
                )));
            }
            if let Some(s) = entry.scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
                return Err(invalid(format!(
                    "{}: unknown scope {s:?} (known: {})",
                    at("scopes"),
                    SCOPES.join(", ")
                )));
            }
            let token_sha256 = parse_digest(&entry.token_sha256).ok_or_else(|| {
                invalid(format!(
                    "{}: the SHA-256 of the token, 64 hex digits",
                    at("token_sha256")
                ))
            })?;
            if parties.iter().any(|p| p.token_sha256 == token_sha256) {
                return Err(invalid(format!(
                    "{}: the same token is given to two relying parties",
                    at("token_sha256")
                )));
            }
            if let Some(id) = &entry.access_client_id
                && (id.is_empty() || id.len() > MAX_NAME_LEN || !id.is_ascii())
            {
                return Err(invalid(format!(
                    "{}: 1 to {MAX_NAME_LEN} ASCII characters",
                    at("access_client_id")
                )));
            }
            parties.push(RelyingParty {
                name: entry.name,
                scopes: entry.scopes,
                token_sha256,
                access_client_id: entry.access_client_id,
            });
        }
        Ok(RelyingParties { parties })
    }

    /// The `token_sha256` value of a relying-party file for `token`:
    /// lowercase hex SHA-256 of its bytes.
    pub fn token_digest(token: &str) -> String {
        digest(&SHA256, token.as_bytes())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// How many relying parties there are.
    pub fn len(&self) -> usize {
        self.parties.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.parties.is_empty()
    }

    /// The relying party whose token `token` is. Every digest is compared
    /// in full, in constant time, whatever matched before: the time taken
    /// says nothing about which bytes were right.
    fn find(&self, token: &str, access_client_id: Option<&str>) -> Option<&RelyingParty> {
        let given = digest(&SHA256, token.as_bytes());
        let mut found = None;
        for party in &self.parties {
            let diff = given
                .as_ref()
                .iter()
                .zip(&party.token_sha256)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            // A service token is its id and secret together: the secret
            // alone is not enough when the party names an id.
            let id_ok = match (&party.access_client_id, access_client_id) {
                (Some(want), Some(got)) => want.as_bytes() == got.as_bytes(),
                (Some(_), None) => false,
                (None, _) => true,
            };
            if diff == 0 && id_ok && found.is_none() {
                found = Some(party);
            }
        }
        found
    }

    /// Authenticates a request and checks that its party holds `scope`:
    /// 401 `unauthorized` without a known token, 403 `insufficient-scope`
    /// with a known one lacking the scope. The token is a bearer token,
    /// or Cloudflare Access's service token headers
    /// (`CF-Access-Client-Id`, `CF-Access-Client-Secret`).
    pub(crate) fn authorize(
        &self,
        headers: &HeaderMap,
        scope: &str,
    ) -> Result<&RelyingParty, ApiError> {
        let header_str = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let bearer =
            header_str(header::AUTHORIZATION.as_str()).and_then(crate::handlers::bearer_token);
        let client_id = header_str("cf-access-client-id").map(str::trim);
        let secret = header_str("cf-access-client-secret").map(str::trim);
        let party = match (bearer, secret) {
            (Some(token), _) => self.find(token, client_id),
            (None, Some(secret)) if !secret.is_empty() => self.find(secret, client_id),
            _ => None,
        };
        let Some(party) = party else {
            return Err(ApiError::new(
                ProblemKind::Unauthorized,
                "send a relying-party token as Authorization: Bearer <token> \
                 (or an Access service token); the admin token is not one",
            ));
        };
        if !party.has_scope(scope) {
            tracing::info!("relying party {:?} lacks scope {scope}", party.name);
            return Err(ApiError::new(
                ProblemKind::InsufficientScope,
                format!("this endpoint needs the scope {scope}, which this token does not hold"),
            ));
        }
        Ok(party)
    }
}

fn parse_digest(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Reads a small file, refusing one over [`MAX_FILE_BYTES`] (or not a
/// regular file) before reading it.
pub(crate) fn read_bounded(path: &Path) -> Result<String, RelyingPartyError> {
    use std::io::Read;
    let name = path.display().to_string();
    let read_err = |source| RelyingPartyError::Read {
        path: name.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let meta = file.metadata().map_err(read_err)?;
    if !meta.is_file() {
        return Err(RelyingPartyError::Invalid {
            path: name,
            reason: "not a regular file".into(),
        });
    }
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(read_err)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(RelyingPartyError::TooLarge { path: name });
    }
    Ok(text)
}

#[cfg(test)]
mod tests;
