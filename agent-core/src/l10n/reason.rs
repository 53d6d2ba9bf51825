//! Reasons for an unknown fact: written in English, read in any language.
//!
//! A probe writes why it could not read a fact in English (the posture and
//! the wire carry it so, word for word, as they always have), from one of
//! the `reason-...` messages with its variables filled in
//! ([`english_reason`]). Shown to a person, the English is matched against
//! each reason message's pattern (its literal text fixed, each variable a
//! capture) to recover the message and its variables, and the message is
//! rendered in the person's language ([`reason`]). A variable's value that
//! is itself one of the core's reasons (a reason within a reason, such as
//! a platform command's failure) is rendered in that language too; other
//! values (an operating system's error text, a path, an API name) stay as
//! they are. Text that matches no message (from a newer agent, or a
//! collector) is shown as it came.
//!
//! The matcher is bounded: a text over [`MAX_REASON_BYTES`] is not matched,
//! and each pattern is tried once, left to right, with no backtracking
//! (each literal part is found at its first occurrence after the previous
//! capture; the last one must end the text).

use std::sync::OnceLock;

use fluent_syntax::ast;

use super::{EN_FTL, Locale, Msg, format};

/// The longest text the matcher looks at: a reason is a sentence or two,
/// plus an error message and a path.
pub const MAX_REASON_BYTES: usize = 1024;

/// How deep a reason within a reason is followed.
const MAX_DEPTH: usize = 3;

/// The id prefix of the reason messages.
const PREFIX: &str = "reason-";

/// One reason message as the English file has it: literal parts around
/// its variables (`literals.len() == vars.len() + 1`; the first and last
/// literal may be empty).
#[derive(Debug)]
struct Pattern {
    id: &'static str,
    literals: Vec<String>,
    vars: Vec<&'static str>,
    /// How much of the text the literal parts fix: the more, the more
    /// specific the message, and the earlier it is tried.
    fixed: usize,
}

fn push(literals: &mut [String], text: &str) {
    if let Some(last) = literals.last_mut() {
        last.push_str(text);
    }
}

/// The message `id` as a pattern, or why it cannot be matched.
fn pattern(id: &'static str, value: &ast::Pattern<&'static str>) -> Result<Pattern, String> {
    let mut literals = vec![String::new()];
    let mut vars = Vec::new();
    for element in &value.elements {
        match element {
            ast::PatternElement::TextElement { value } => push(&mut literals, value),
            ast::PatternElement::Placeable { expression } => match expression {
                ast::Expression::Inline(ast::InlineExpression::VariableReference { id: var }) => {
                    if !vars.is_empty() && literals.last().is_some_and(String::is_empty) {
                        return Err(format!(
                            "{id}: two variables with nothing between them cannot be told apart"
                        ));
                    }
                    vars.push(var.name);
                    literals.push(String::new());
                }
                ast::Expression::Inline(ast::InlineExpression::StringLiteral { value }) => {
                    // `{ "{" }`, for text Fluent would read as syntax.
                    push(&mut literals, value);
                }
                _ => {
                    return Err(format!(
                        "{id}: a reason is plain text and variables (no select, term or reference)"
                    ));
                }
            },
        }
    }
    let fixed = literals.iter().map(String::len).sum();
    Ok(Pattern {
        id,
        literals,
        vars,
        fixed,
    })
}

/// Why each reason message of `source` that cannot be matched cannot be.
#[cfg(test)]
pub(crate) fn unmatchable(source: &'static str) -> Vec<String> {
    compile(source).1
}

fn compile(source: &'static str) -> (Vec<Pattern>, Vec<String>) {
    let resource = match fluent_syntax::parser::parse(source) {
        Ok(res) => res,
        Err((res, _)) => res,
    };
    let mut patterns = Vec::new();
    let mut errors = Vec::new();
    for entry in resource.body {
        let ast::Entry::Message(m) = entry else {
            continue;
        };
        if !m.id.name.starts_with(PREFIX) {
            continue;
        }
        match m.value.as_ref().map(|value| pattern(m.id.name, value)) {
            Some(Ok(p)) => patterns.push(p),
            Some(Err(e)) => errors.push(e),
            None => errors.push(format!("{}: no text", m.id.name)),
        }
    }
    // Most specific first; among equals, the file's order (a stable sort).
    patterns.sort_by_key(|p| std::cmp::Reverse(p.fixed));
    (patterns, errors)
}

fn patterns() -> &'static [Pattern] {
    static PATTERNS: OnceLock<Vec<Pattern>> = OnceLock::new();
    PATTERNS.get_or_init(|| compile(EN_FTL).0)
}

impl Pattern {
    /// The variables' values if `text` is this message in English.
    fn captures<'t>(&self, text: &'t str) -> Option<Vec<&'t str>> {
        let mut rest = text.strip_prefix(self.literals[0].as_str())?;
        let Some((last, middle)) = self.literals[1..].split_last() else {
            return rest.is_empty().then(Vec::new);
        };
        let mut out = Vec::with_capacity(self.vars.len());
        for literal in middle {
            let at = rest.find(literal.as_str())?;
            out.push(&rest[..at]);
            rest = &rest[at + literal.len()..];
        }
        out.push(rest.strip_suffix(last.as_str())?);
        Some(out)
    }
}

/// The reason message `english` was made from, and its variables' values.
pub(crate) fn recover(english: &str) -> Option<(&'static str, Vec<(&'static str, &str)>)> {
    if english.len() > MAX_REASON_BYTES {
        return None;
    }
    patterns().iter().find_map(|p| {
        let values = p.captures(english)?;
        Some((p.id, p.vars.iter().copied().zip(values).collect()))
    })
}

/// One of the core's reasons for an unknown fact, in English, as a probe
/// writes it into the posture (and the wire carries it): `msg` is a
/// `reason-...` message with its variables.
pub fn english_reason(msg: Msg) -> String {
    debug_assert!(msg.id().starts_with(PREFIX), "{} is not a reason", msg.id());
    format(Locale::En, &msg)
}

/// The reason a fact is unknown, as a probe reported it (in English), in
/// `locale`: the core's own reasons are rendered in that language, with a
/// reason within them rendered too; the variables' other values (a
/// platform's error, a path, an API name) and any text the core did not
/// write are shown as they came.
pub fn reason(locale: Locale, english: &str) -> String {
    if locale == Locale::En {
        return english.to_owned();
    }
    localise(locale, english, MAX_DEPTH)
}

fn localise(locale: Locale, english: &str, depth: usize) -> String {
    if depth == 0 {
        return english.to_owned();
    }
    let Some((id, values)) = recover(english) else {
        return english.to_owned();
    };
    let mut msg = Msg::named(id.to_owned());
    for (name, value) in values {
        msg = msg.text(name, localise(locale, value, depth - 1));
    }
    format(locale, &msg)
}

/// Every reason for an unknown fact in `posture` that the core cannot
/// recover a message from (the tests of each probe call this).
#[cfg(test)]
pub(crate) fn unrecoverable_reasons(posture: &crate::posture::Posture) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                if map.get("status").and_then(|s| s.as_str()) == Some("unknown")
                    && let Some(reason) = map.get("reason").and_then(|r| r.as_str())
                    && recover(reason).is_none()
                {
                    out.push(reason.to_owned());
                }
                map.values().for_each(|v| walk(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&serde_json::to_value(posture).unwrap_or_default(), &mut out);
    out
}
