//! One JSON reader for the whole crate.

use serde::Deserialize;

/// [`serde_json::from_str`] through serde_json's byte-slice reader, the one
/// tokens and HTTP bodies are read with: each type then has one
/// deserialiser in the binary, not one per reader. Same results; string
/// contents are checked as UTF-8 again, which costs next to nothing.
pub(crate) fn from_str<'a, T: Deserialize<'a>>(text: &'a str) -> serde_json::Result<T> {
    serde_json::from_slice(text.as_bytes())
}
