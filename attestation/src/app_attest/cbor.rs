//! Bounded, strict CBOR for App Attest: a structural pass over the item
//! headers (definite lengths only, no tags, floats or simple values, every
//! length within the input, bounded depth and item count, nothing after the
//! item) before ciborium builds the value, and maps read with duplicate keys
//! refused.

use ciborium::Value;
use ciborium_ll::{Decoder, Header};

use super::error::AppAttestError;

/// Deepest nesting accepted (object → attStmt → x5c → certificate).
const MAX_DEPTH: usize = 4;
/// Most CBOR items accepted in one input.
const MAX_ITEMS: usize = 64;

/// Decodes `bytes` (already bounded by the caller) as one CBOR item.
pub(crate) fn decode(bytes: &[u8], what: &'static str) -> Result<Value, AppAttestError> {
    check_structure(bytes, what)?;
    ciborium::de::from_reader_with_recursion_limit(bytes, MAX_DEPTH + 1).map_err(|e| {
        AppAttestError::Cbor {
            what,
            problem: e.to_string(),
        }
    })
}

fn syntax<T>(e: ciborium_ll::Error<T>, what: &'static str, at: usize) -> AppAttestError {
    let problem = match e {
        ciborium_ll::Error::Io(_) => format!("cut short at byte {at}"),
        ciborium_ll::Error::Syntax(offset) => format!("invalid item header at byte {offset}"),
    };
    AppAttestError::Cbor { what, problem }
}

/// Walks the item headers without building anything.
fn check_structure(bytes: &[u8], what: &'static str) -> Result<(), AppAttestError> {
    let mut decoder = Decoder::from(bytes);
    // Items still to read in each open container; the outermost is the input.
    let mut pending: Vec<usize> = vec![1];
    let mut items = 0usize;
    let shape = || AppAttestError::Shape { what };
    while let Some(left) = pending.last_mut() {
        if *left == 0 {
            pending.pop();
            continue;
        }
        *left -= 1;
        items += 1;
        if items > MAX_ITEMS {
            return Err(shape());
        }
        let offset = decoder.offset();
        let header = decoder.pull().map_err(|e| syntax(e, what, offset))?;
        let remaining = bytes.len().saturating_sub(decoder.offset());
        let cut = || AppAttestError::Cbor {
            what,
            problem: format!("the item at byte {offset} is longer than the input"),
        };
        match header {
            Header::Positive(_) | Header::Negative(_) => {}
            Header::Bytes(Some(n)) | Header::Text(Some(n)) => {
                if n > remaining {
                    return Err(cut());
                }
                skip(&mut decoder, n).map_err(|e| syntax(e, what, offset))?;
            }
            Header::Array(Some(n)) | Header::Map(Some(n)) => {
                let n = if matches!(header, Header::Map(_)) {
                    n.checked_mul(2).ok_or_else(cut)?
                } else {
                    n
                };
                // Every item takes at least one byte.
                if n > remaining {
                    return Err(cut());
                }
                if pending.len() > MAX_DEPTH {
                    return Err(shape());
                }
                pending.push(n);
            }
            Header::Bytes(None) | Header::Text(None) | Header::Array(None) | Header::Map(None) => {
                return Err(AppAttestError::IndefiniteLength { what, offset });
            }
            Header::Break => {
                return Err(AppAttestError::Cbor {
                    what,
                    problem: format!("a break outside an indefinite-length item at byte {offset}"),
                });
            }
            Header::Tag(_) => return Err(unexpected(what, "tag", offset)),
            Header::Float(_) => return Err(unexpected(what, "float", offset)),
            Header::Simple(_) => return Err(unexpected(what, "simple value", offset)),
        }
    }
    let end = decoder.offset();
    if end != bytes.len() {
        return Err(AppAttestError::Trailing {
            what,
            bytes: bytes.len().saturating_sub(end),
        });
    }
    Ok(())
}

fn unexpected(what: &'static str, kind: &'static str, offset: usize) -> AppAttestError {
    AppAttestError::UnexpectedItem { what, kind, offset }
}

/// Reads past a byte or text string's `n` content bytes.
fn skip(decoder: &mut Decoder<&[u8]>, n: usize) -> Result<(), ciborium_ll::Error<std::io::Error>> {
    // Read as bytes even for text: UTF-8 is checked when the value is built.
    let mut segments = decoder.bytes(Some(n));
    let mut buf = [0u8; 512];
    while let Some(mut segment) = segments.pull()? {
        while segment.pull(&mut buf)?.is_some() {}
    }
    Ok(())
}

/// The members of a map with text keys; a repeated key is refused.
pub(crate) fn text_map(
    value: Value,
    what: &'static str,
) -> Result<Vec<(String, Value)>, AppAttestError> {
    let Value::Map(entries) = value else {
        return Err(AppAttestError::Field {
            what,
            field: "top level",
            expected: "a map",
        });
    };
    let mut out: Vec<(String, Value)> = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let Value::Text(k) = k else {
            return Err(AppAttestError::Field {
                what,
                field: "key",
                expected: "text",
            });
        };
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(AppAttestError::DuplicateKey { what, key: k });
        }
        out.push((k, v));
    }
    Ok(out)
}

/// Takes member `field` out of a map's members.
pub(crate) fn take(members: &mut Vec<(String, Value)>, field: &str) -> Option<Value> {
    let i = members.iter().position(|(k, _)| k == field)?;
    Some(members.swap_remove(i).1)
}

/// Member `field` as bytes.
pub(crate) fn take_bytes(
    members: &mut Vec<(String, Value)>,
    what: &'static str,
    field: &'static str,
) -> Result<Vec<u8>, AppAttestError> {
    match take(members, field) {
        Some(Value::Bytes(b)) => Ok(b),
        _ => Err(AppAttestError::Field {
            what,
            field,
            expected: "a byte string",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indefinite_lengths_are_refused() {
        // An indefinite-length map {} and byte string.
        for bytes in [&[0xbf, 0xff][..], &[0x5f, 0x41, 0x00, 0xff]] {
            assert!(matches!(
                decode(bytes, "t"),
                Err(AppAttestError::IndefiniteLength { offset: 0, .. })
            ));
        }
    }

    #[test]
    fn lengths_past_the_input_are_refused_before_allocating() {
        // A byte string claiming 2^32 bytes; an array claiming 2^32 items.
        for bytes in [
            &[0x5a, 0xff, 0xff, 0xff, 0xff, 0x00][..],
            &[0x9a, 0xff, 0xff, 0xff, 0xff],
            &[0xbb, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ] {
            assert!(
                matches!(decode(bytes, "t"), Err(AppAttestError::Cbor { .. })),
                "{bytes:x?}"
            );
        }
    }

    #[test]
    fn deep_nesting_and_trailing_bytes_are_refused() {
        let deep = [0x81u8; 10]
            .iter()
            .copied()
            .chain([0x00])
            .collect::<Vec<_>>();
        assert!(matches!(
            decode(&deep, "t"),
            Err(AppAttestError::Shape { .. })
        ));
        assert!(matches!(
            decode(&[0x00, 0x00], "t"),
            Err(AppAttestError::Trailing { bytes: 1, .. })
        ));
    }

    #[test]
    fn tags_floats_and_simple_values_are_refused() {
        for (bytes, kind) in [
            (&[0xc0, 0x00][..], "tag"),
            (&[0xf9, 0x00, 0x00], "float"),
            (&[0xf5], "simple value"),
        ] {
            match decode(bytes, "t") {
                Err(AppAttestError::UnexpectedItem { kind: k, .. }) => assert_eq!(k, kind),
                other => panic!("{bytes:x?}: {other:?}"),
            }
        }
    }

    #[test]
    fn duplicate_keys_are_refused() {
        // {"a": 0, "a": 1}
        let v = decode(&[0xa2, 0x61, 0x61, 0x00, 0x61, 0x61, 0x01], "t").unwrap();
        assert!(matches!(
            text_map(v, "t"),
            Err(AppAttestError::DuplicateKey { key, .. }) if key == "a"
        ));
    }
}
