//! Google's attestation status list
//! (`https://android.googleapis.com/attestation/status`): serials of revoked
//! or suspended attestation certificates.
//!
//! Parsed from bytes, bounded; loading the file or refreshing it over HTTPS
//! is the caller's job.

use std::collections::HashMap;
use std::fmt;

use serde_json::Value;

/// Largest status list accepted, in bytes.
pub const MAX_STATUS_LIST_BYTES: usize = 8 * 1024 * 1024;
/// Most entries accepted.
pub const MAX_STATUS_ENTRIES: usize = 200_000;
/// Longest serial accepted, in hex digits (RFC 5280 allows 20 octets).
const MAX_SERIAL_HEX: usize = 40;
/// Longest reason kept, in bytes.
const MAX_REASON_BYTES: usize = 256;

/// Why a certificate is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Permanently revoked.
    Revoked,
    /// Temporarily suspended.
    Suspended,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Revoked => "REVOKED",
            Status::Suspended => "SUSPENDED",
        })
    }
}

/// One listed certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// REVOKED or SUSPENDED.
    pub status: Status,
    /// The reason given (`KEY_COMPROMISE`, `SOFTWARE_FLAW`, ...), or empty.
    pub reason: String,
}

/// A status list that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusListError {
    /// Larger than the bound.
    #[error("the status list is {bytes} bytes, more than the {max} accepted")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The bound.
        max: usize,
    },
    /// Not JSON.
    #[error("the status list is not JSON: {0}")]
    Json(String),
    /// JSON, but not the status list's shape.
    #[error(
        "the status list is not in Google's format ({0}); expected {{\"entries\": {{\"<hex serial>\": {{\"status\": \"REVOKED\"|\"SUSPENDED\", \"reason\": \"...\"}}}}}}"
    )]
    Shape(String),
    /// More entries than accepted.
    #[error("the status list has more than {max} entries")]
    TooManyEntries {
        /// The bound.
        max: usize,
    },
}

/// A parsed status list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusList {
    entries: HashMap<String, Entry>,
}

impl StatusList {
    /// An empty list.
    pub fn empty() -> StatusList {
        StatusList::default()
    }

    /// Parses the JSON of a status list.
    pub fn from_json(bytes: &[u8]) -> Result<StatusList, StatusListError> {
        if bytes.len() > MAX_STATUS_LIST_BYTES {
            return Err(StatusListError::TooLarge {
                bytes: bytes.len(),
                max: MAX_STATUS_LIST_BYTES,
            });
        }
        let doc: Value =
            serde_json::from_slice(bytes).map_err(|e| StatusListError::Json(e.to_string()))?;
        let entries = doc
            .get("entries")
            .and_then(Value::as_object)
            .ok_or_else(|| StatusListError::Shape("no `entries` object".into()))?;
        if entries.len() > MAX_STATUS_ENTRIES {
            return Err(StatusListError::TooManyEntries {
                max: MAX_STATUS_ENTRIES,
            });
        }
        let mut out = HashMap::with_capacity(entries.len());
        for (serial, entry) in entries {
            let key = normalise_serial(serial)
                .ok_or_else(|| StatusListError::Shape(format!("serial {serial:?} is not hex")))?;
            let status = match entry.get("status").and_then(Value::as_str) {
                Some("REVOKED") => Status::Revoked,
                Some("SUSPENDED") => Status::Suspended,
                other => {
                    return Err(StatusListError::Shape(format!(
                        "serial {key}: status {other:?}"
                    )));
                }
            };
            let mut reason = entry
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if reason.len() > MAX_REASON_BYTES {
                let mut cut = MAX_REASON_BYTES;
                while !reason.is_char_boundary(cut) {
                    cut -= 1;
                }
                reason.truncate(cut);
            }
            out.insert(key, Entry { status, reason });
        }
        Ok(StatusList { entries: out })
    }

    /// The entry for a serial in the list's form (lowercase hex, no leading zeros).
    pub fn get(&self, serial_hex: &str) -> Option<&Entry> {
        self.entries.get(serial_hex)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no certificate is listed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Lowercase hex without leading zeros, or None when not hex.
fn normalise_serial(s: &str) -> Option<String> {
    if s.is_empty() || s.len() > MAX_SERIAL_HEX || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let trimmed = s.trim_start_matches('0').to_ascii_lowercase();
    Some(if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed
    })
}

/// A certificate serial (its DER INTEGER contents) in the list's form.
pub fn serial_hex(raw_serial: &[u8]) -> String {
    let hex: String = raw_serial.iter().map(|b| format!("{b:02x}")).collect();
    let trimmed = hex.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_google_format() {
        let list = StatusList::from_json(
            br#"{"entries": {
                "2c8cdddfd5e03bfc": {"status": "REVOKED", "reason": "KEY_COMPROMISE"},
                "00C8966FCB2FBE0A": {"status": "SUSPENDED"}
            }}"#,
        )
        .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(
            list.get("2c8cdddfd5e03bfc").unwrap().status,
            Status::Revoked
        );
        let e = list.get("c8966fcb2fbe0a").unwrap();
        assert_eq!(e.status, Status::Suspended);
        assert_eq!(e.reason, "");
    }

    #[test]
    fn refuses_other_shapes() {
        assert!(matches!(
            StatusList::from_json(b"[]"),
            Err(StatusListError::Shape(_))
        ));
        assert!(matches!(
            StatusList::from_json(br#"{"entries": {"zz": {"status": "REVOKED"}}}"#),
            Err(StatusListError::Shape(_))
        ));
        assert!(matches!(
            StatusList::from_json(br#"{"entries": {"01": {"status": "GONE"}}}"#),
            Err(StatusListError::Shape(_))
        ));
        assert!(matches!(
            StatusList::from_json(b"{"),
            Err(StatusListError::Json(_))
        ));
    }

    #[test]
    fn an_oversized_list_is_refused_before_parsing() {
        let big = vec![b' '; MAX_STATUS_LIST_BYTES + 1];
        assert!(matches!(
            StatusList::from_json(&big),
            Err(StatusListError::TooLarge { .. })
        ));
    }

    #[test]
    fn serial_form_drops_leading_zeros() {
        assert_eq!(serial_hex(&[0x00, 0xd5, 0x0f]), "d50f");
        assert_eq!(serial_hex(&[0x01]), "1");
        assert_eq!(serial_hex(&[0x00]), "0");
    }
}
