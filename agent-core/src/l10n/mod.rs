//! The words people read, in their language: English and Welsh.
//!
//! Every user-facing string of the core (rule names, remediation steps,
//! what could not be checked, the privacy inventory, errors people see) is
//! a Project Fluent message in `agent-core/locales/{en,cy}/posture-agent.ftl`,
//! looked up by id. The wire format stays language-neutral where it is
//! already made of ids (rule ids, outcomes, compliance); text is chosen by
//! the platform locale (BCP 47, e.g. `cy-GB`), falling back to English.
//!
//! Adding a string is one message in each `.ftl` file, under the same id and
//! with the same variables: the parity tests fail otherwise. A Welsh message
//! that could not be taken from published terminology carries a
//! `# needs-review:` comment saying why; `docs/l10n/cy-needs-review.md` is
//! generated from those comments (see `docs/l10n/README.md`).

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};
use unic_langid::LanguageIdentifier;

/// The English messages, the fallback for every lookup.
pub const EN_FTL: &str = include_str!("../../locales/en/posture-agent.ftl");
/// The Welsh messages.
pub const CY_FTL: &str = include_str!("../../locales/cy/posture-agent.ftl");

/// A language the agent speaks.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// English (the default, and the fallback).
    #[default]
    En,
    /// Welsh (Cymraeg).
    Cy,
}

/// Why a language tag was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum L10nError {
    /// The tag is not a BCP 47 language tag the agent speaks.
    #[error("language {tag:?} is not one this agent speaks: use en or cy")]
    Unsupported {
        /// The tag given, shortened to 35 characters.
        tag: String,
    },
}

impl Locale {
    /// Every language, English first.
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Cy];

    /// The BCP 47 tag: `en` or `cy`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Cy => "cy",
        }
    }

    /// The language's name in itself ("English", "Cymraeg").
    pub fn own_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::Cy => "Cymraeg",
        }
    }

    /// The language for a platform locale (`cy-GB`, `cy_GB.UTF-8`, `en-US`,
    /// `cy`), by its language subtag; anything else, or nothing, is English,
    /// so an app never shows a blank screen for an unexpected locale.
    pub fn negotiate(platform_locale: Option<&str>) -> Locale {
        platform_locale
            .and_then(|tag| Locale::parse(tag).ok())
            .unwrap_or_default()
    }

    /// The language a tag names (`cy-GB`, `cy_GB.UTF-8`, `en`), strictly:
    /// a tag for another language is an error (the CLI's `--lang`).
    pub fn parse(tag: &str) -> Result<Locale, L10nError> {
        // POSIX locales ("cy_GB.UTF-8", "cy_GB@euro") carry an encoding and
        // an underscore that BCP 47 does not know.
        let bcp47 = tag
            .split(['.', '@'])
            .next()
            .unwrap_or_default()
            .replace('_', "-");
        let unsupported = || L10nError::Unsupported {
            tag: tag.chars().take(35).collect(),
        };
        let id: LanguageIdentifier = bcp47.parse().map_err(|_| unsupported())?;
        match id.language.as_str() {
            "en" => Ok(Locale::En),
            "cy" => Ok(Locale::Cy),
            _ => Err(unsupported()),
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl std::str::FromStr for Locale {
    type Err = L10nError;
    fn from_str(s: &str) -> Result<Locale, L10nError> {
        Locale::parse(s)
    }
}

/// One message to format: its id and its variables.
#[derive(Debug, Clone, PartialEq)]
pub struct Msg {
    id: Cow<'static, str>,
    args: Vec<(&'static str, Arg)>,
}

/// A message variable's value.
#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Text(String),
    Number(u32),
}

impl Msg {
    /// The message `id`, without variables yet.
    pub fn new(id: &'static str) -> Msg {
        Msg {
            id: Cow::Borrowed(id),
            args: Vec::new(),
        }
    }

    /// A message whose id is made at run time (from a table of stems).
    pub fn named(id: String) -> Msg {
        Msg {
            id: Cow::Owned(id),
            args: Vec::new(),
        }
    }

    /// Adds a text variable.
    pub fn text(mut self, name: &'static str, value: impl Into<String>) -> Msg {
        self.args.push((name, Arg::Text(value.into())));
        self
    }

    /// Adds a number variable (plural forms select on it).
    pub fn number(mut self, name: &'static str, value: u32) -> Msg {
        self.args.push((name, Arg::Number(value)));
        self
    }

    /// The message id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The message in `locale`.
    pub fn in_locale(&self, locale: Locale) -> String {
        format(locale, self)
    }
}

struct Bundles {
    en: FluentBundle<FluentResource>,
    cy: FluentBundle<FluentResource>,
}

fn bundle(locale: Locale, source: &str) -> FluentBundle<FluentResource> {
    let lang: LanguageIdentifier = match locale {
        Locale::En => LanguageIdentifier::from_bytes(b"en").unwrap_or_default(),
        Locale::Cy => LanguageIdentifier::from_bytes(b"cy").unwrap_or_default(),
    };
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    // Unicode isolation marks around variables help right-to-left text;
    // in English and Welsh they would only end up in logs and terminals.
    bundle.set_use_isolating(false);
    // A syntax error keeps the messages that parsed (the parity tests make
    // sure there is none in a tested build).
    let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(res, _)| res);
    let _ = bundle.add_resource(resource);
    bundle
}

fn bundles() -> &'static Bundles {
    static BUNDLES: OnceLock<Bundles> = OnceLock::new();
    BUNDLES.get_or_init(|| Bundles {
        en: bundle(Locale::En, EN_FTL),
        cy: bundle(Locale::Cy, CY_FTL),
    })
}

fn format_in(bundle: &FluentBundle<FluentResource>, msg: &Msg) -> Option<String> {
    let pattern = bundle.get_message(&msg.id)?.value()?;
    let mut args = FluentArgs::new();
    for (name, value) in &msg.args {
        match value {
            Arg::Text(t) => args.set(*name, FluentValue::from(t.as_str())),
            Arg::Number(n) => args.set(*name, FluentValue::from(*n)),
        }
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
    errors.is_empty().then(|| text.into_owned())
}

/// Formats `msg` in `locale`; a message missing there falls back to
/// English, and one missing in English too to its id (the parity tests
/// keep both from happening in a tested build).
pub fn format(locale: Locale, msg: &Msg) -> String {
    let b = bundles();
    let first = match locale {
        Locale::En => &b.en,
        Locale::Cy => &b.cy,
    };
    format_in(first, msg)
        .or_else(|| format_in(&b.en, msg))
        .unwrap_or_else(|| msg.id.to_string())
}

/// A message without variables in `locale`.
pub fn text(locale: Locale, id: &'static str) -> String {
    format(locale, &Msg::new(id))
}

pub(crate) mod reason;
pub use reason::{MAX_REASON_BYTES, english_reason, reason};

#[cfg(test)]
mod reason_tests;
#[cfg(test)]
mod tests;
