//! One raw value as a platform reader took it: what the shims and the
//! harness hand the core, before any meaning.

/// One raw value as the platform gave it, before any meaning.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// The value, as text exactly as read (a property, a setting, "true").
    Read {
        /// The text read.
        value: String,
    },
    /// The platform says there is no value: a setting never written, a
    /// property not set, a feature this OS version does not declare.
    NotSet,
    /// The read failed.
    Failed {
        /// Why (the platform's own message).
        error: String,
    },
    /// This reader does not take this reading.
    NotRead,
}

impl Reading {
    /// A reading of text that may be absent or blank (blank counts as not set).
    pub fn text(value: Option<&str>) -> Reading {
        match value.map(str::trim) {
            Some(v) if !v.is_empty() => Reading::Read {
                value: v.to_owned(),
            },
            _ => Reading::NotSet,
        }
    }

    /// The text read, trimmed; `None` for a reading without a value.
    pub(crate) fn value(&self) -> Option<&str> {
        match self {
            Reading::Read { value } => Some(value.trim()),
            _ => None,
        }
    }
}
