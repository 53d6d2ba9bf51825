//! A single posture fact: observed with its source, or unknown with a reason.

use serde::{Deserialize, Serialize};

/// One fact about the device: either observed (with where it was read from)
/// or unknown (with why it could not be read). Never guessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fact<T> {
    /// The fact was read from the named source.
    Observed {
        /// The value read.
        value: T,
        /// The API, file or command the value came from.
        source: String,
    },
    /// The fact could not be read.
    Unknown {
        /// Why the probe could not read it.
        reason: String,
    },
}

impl<T> Fact<T> {
    /// An observed fact.
    pub fn observed(value: T, source: impl Into<String>) -> Self {
        Fact::Observed {
            value,
            source: source.into(),
        }
    }

    /// An unknown fact.
    pub fn unknown(reason: impl Into<String>) -> Self {
        Fact::Unknown {
            reason: reason.into(),
        }
    }

    /// The observed value, if any.
    pub fn value(&self) -> Option<&T> {
        match self {
            Fact::Observed { value, .. } => Some(value),
            Fact::Unknown { .. } => None,
        }
    }

    /// Where the value came from, or why it is unknown.
    pub fn provenance(&self) -> &str {
        match self {
            Fact::Observed { source, .. } => source,
            Fact::Unknown { reason } => reason,
        }
    }

    /// Maps an observed value, keeping the source.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Fact<U> {
        match self {
            Fact::Observed { value, source } => Fact::Observed {
                value: f(value),
                source,
            },
            Fact::Unknown { reason } => Fact::Unknown { reason },
        }
    }
}

impl<T, E: std::fmt::Display> From<(Result<T, E>, &str)> for Fact<T> {
    /// Turns the result of reading `source` into a fact; an error becomes
    /// Unknown with the error as its reason.
    fn from((result, source): (Result<T, E>, &str)) -> Self {
        match result {
            Ok(value) => Fact::observed(value, source),
            Err(e) => Fact::unknown(crate::l10n::english_reason(
                crate::l10n::Msg::new("reason-source-error")
                    .text("source", source)
                    .text("error", e.to_string()),
            )),
        }
    }
}
