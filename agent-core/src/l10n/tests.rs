//! The two languages stay in step: the same message ids, the same variables,
//! no syntax errors, and every Welsh message sourced or listed for review.

use std::collections::{BTreeMap, BTreeSet};

use fluent_syntax::ast;

use super::*;

/// Each message's variables, by id.
type Catalogue = BTreeMap<String, BTreeSet<String>>;

fn vars_in_pattern(p: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
    for element in &p.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            vars_in_expression(expression, out);
        }
    }
}

fn vars_in_expression(e: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
    match e {
        ast::Expression::Select { selector, variants } => {
            vars_in_inline(selector, out);
            for v in variants {
                vars_in_pattern(&v.value, out);
            }
        }
        ast::Expression::Inline(inline) => vars_in_inline(inline, out),
    }
}

fn vars_in_inline(e: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match e {
        ast::InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_owned());
        }
        ast::InlineExpression::Placeable { expression } => vars_in_expression(expression, out),
        _ => {}
    }
}

/// Parses with the full parser (comments kept), failing on any error.
fn parse(source: &'static str, name: &str) -> ast::Resource<&'static str> {
    match fluent_syntax::parser::parse(source) {
        Ok(res) => res,
        Err((_, errors)) => panic!("{name} has syntax errors: {errors:?}"),
    }
}

fn catalogue(res: &ast::Resource<&str>) -> Catalogue {
    let mut out = Catalogue::new();
    for entry in &res.body {
        if let ast::Entry::Message(m) = entry {
            let mut vars = BTreeSet::new();
            if let Some(v) = &m.value {
                vars_in_pattern(v, &mut vars);
            }
            assert!(
                m.attributes.is_empty(),
                "{}: use messages, not attributes",
                m.id.name
            );
            assert!(
                out.insert(m.id.name.to_owned(), vars).is_none(),
                "{} is defined twice",
                m.id.name
            );
        }
    }
    out
}

/// Where a language's catalogue differs from English, in words.
fn differences(en: &Catalogue, other: &Catalogue, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for id in en.keys().filter(|id| !other.contains_key(*id)) {
        out.push(format!("{id} is in en but not in {name}"));
    }
    for id in other.keys().filter(|id| !en.contains_key(*id)) {
        out.push(format!("{id} is in {name} but not in en"));
    }
    for (id, vars) in en {
        if let Some(theirs) = other.get(id)
            && theirs != vars
        {
            out.push(format!("{id}: en uses {vars:?}, {name} uses {theirs:?}"));
        }
    }
    out
}

#[test]
fn every_message_is_in_both_languages_with_the_same_variables() {
    let en = catalogue(&parse(EN_FTL, "en"));
    let cy = catalogue(&parse(CY_FTL, "cy"));
    assert!(en.len() > 100, "only {} English messages", en.len());
    let diff = differences(&en, &cy, "cy");
    assert!(diff.is_empty(), "{}", diff.join("\n"));
}

#[test]
fn the_parity_check_catches_a_missing_message_and_a_changed_variable() {
    let en = catalogue(&parse("a = one { $x }\nb = two\n", "en"));
    let cy = catalogue(&parse("a = un { $y }\n", "cy"));
    let diff = differences(&en, &cy, "cy");
    assert_eq!(diff.len(), 2, "{diff:?}");
    assert!(diff[0].contains("b is in en but not in cy"));
    assert!(diff[1].contains("a: en uses"));
}

/// A Welsh message's note: `source: ...` or `needs-review: ...`.
fn notes(res: &ast::Resource<&'static str>) -> Vec<(&'static str, Option<String>)> {
    res.body
        .iter()
        .filter_map(|e| match e {
            ast::Entry::Message(m) => {
                Some((m.id.name, m.comment.as_ref().map(|c| c.content.join(" "))))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn every_welsh_message_is_sourced_or_listed_for_review() {
    for (id, note) in notes(&parse(CY_FTL, "cy")) {
        let ok = note
            .as_deref()
            .is_some_and(|n| n.starts_with("source: ") || n.starts_with("needs-review: "));
        assert!(
            ok,
            "cy message {id} needs a `# source:` or `# needs-review:` comment"
        );
    }
}

fn plain(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The review list, as `docs/l10n/cy-needs-review.md` holds it.
fn review_list() -> String {
    let en = parse(EN_FTL, "en");
    let english: BTreeMap<&str, &ast::Message<&str>> = en
        .body
        .iter()
        .filter_map(|e| match e {
            ast::Entry::Message(m) => Some((m.id.name, m)),
            _ => None,
        })
        .collect();
    let cy = parse(CY_FTL, "cy");
    let mut out = String::from(
        "# Welsh strings that need review\n\n\
<!-- Generated from agent-core/locales/cy/posture-agent.ftl by\n\
     `UPDATE_L10N_DOCS=1 cargo test -p agent-core --lib l10n`: edit the .ftl\n\
     comments, not this file. -->\n\n\
Every Welsh message whose words could not be taken from published Welsh\n\
terminology or usage, with the English, the Welsh in use, and why it needs a\n\
Welsh speaker's review. Messages marked `# source:` in the .ftl are not\n\
listed. Menu paths stay in English where the device shows no Welsh.\n\n\
| id | English | Cymraeg | why |\n| --- | --- | --- | --- |\n",
    );
    let mut listed = 0;
    for entry in &cy.body {
        let ast::Entry::Message(m) = entry else {
            continue;
        };
        let Some(note) = m.comment.as_ref().map(|c| c.content.join(" ")) else {
            continue;
        };
        let Some(why) = note.strip_prefix("needs-review: ") else {
            continue;
        };
        let source = |msg: &ast::Message<&str>, text: &str| {
            // The message's own lines as the .ftl has them (its first line,
            // then the indented continuation lines): what a reviewer edits.
            let head = format!("{} =", msg.id.name);
            let mut lines = text.lines().skip_while(|l| !l.starts_with(&head));
            let first = lines.next().unwrap_or_default();
            let mut out = first[head.len()..].trim().to_owned();
            for line in lines.take_while(|l| l.starts_with(' ')) {
                out.push_str("<br>");
                out.push_str(line.trim());
            }
            out
        };
        let english_text = english
            .get(m.id.name)
            .map(|e| source(e, EN_FTL))
            .unwrap_or_default();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            m.id.name,
            plain(&english_text),
            plain(&source(m, CY_FTL)),
            plain(why)
        ));
        listed += 1;
    }
    out.push_str(&format!("\n{listed} messages need review.\n"));
    out
}

#[test]
fn the_review_list_is_generated_from_the_welsh_file() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/l10n/cy-needs-review.md"
    );
    let fresh = review_list();
    if std::env::var_os("UPDATE_L10N_DOCS").is_some() {
        std::fs::write(path, &fresh).unwrap();
    }
    let stored = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        stored == fresh,
        "docs/l10n/cy-needs-review.md is out of date: run \
         `UPDATE_L10N_DOCS=1 cargo test -p agent-core --lib l10n` and commit it"
    );
}

#[test]
fn locales_are_negotiated_from_platform_tags() {
    assert_eq!(Locale::negotiate(Some("cy-GB")), Locale::Cy);
    assert_eq!(Locale::negotiate(Some("cy_GB.UTF-8")), Locale::Cy);
    assert_eq!(Locale::negotiate(Some("CY")), Locale::Cy);
    assert_eq!(Locale::negotiate(Some("en-GB")), Locale::En);
    assert_eq!(Locale::negotiate(Some("fr-FR")), Locale::En);
    assert_eq!(Locale::negotiate(Some("")), Locale::En);
    assert_eq!(Locale::negotiate(Some("not a tag!")), Locale::En);
    assert_eq!(Locale::negotiate(None), Locale::En);
    assert!(matches!(
        Locale::parse("fr"),
        Err(L10nError::Unsupported { .. })
    ));
    assert_eq!("cy".parse::<Locale>().unwrap(), Locale::Cy);
}

#[test]
fn messages_format_with_variables_and_plurals_in_both_languages() {
    let msg = |n| Msg::new("span-minutes").number("n", n);
    assert_eq!(msg(1).in_locale(Locale::En), "1 minute");
    assert_eq!(msg(5).in_locale(Locale::En), "5 minutes");
    assert_eq!(msg(5).in_locale(Locale::Cy), "5 munud");
    // No Unicode isolation marks around variables.
    assert!(!msg(5).in_locale(Locale::En).contains('\u{2068}'));
    // A missing id comes back as itself rather than as nothing.
    assert_eq!(text(Locale::Cy, "no-such-message"), "no-such-message");
}

#[test]
fn every_message_formats_in_both_languages() {
    let en = catalogue(&parse(EN_FTL, "en"));
    for (id, vars) in &en {
        for locale in Locale::ALL {
            let mut msg = Msg::named(id.clone());
            for v in vars {
                let name: &'static str = match v.as_str() {
                    "n" => {
                        msg = msg.number("n", 2);
                        continue;
                    }
                    "platform" => "platform",
                    other => Box::leak(other.to_owned().into_boxed_str()),
                };
                msg = msg.text(name, "android");
            }
            let text = msg.in_locale(locale);
            assert!(
                !text.is_empty() && text != *id,
                "{id} does not format in {locale}"
            );
        }
    }
}

#[test]
fn a_verdict_reads_in_welsh_with_the_same_outcomes() {
    use crate::policy::{Policy, evaluate, evaluate_in};
    use crate::posture::{Fact, Platform, Posture, ScreenLock};
    let now = time::OffsetDateTime::now_utc();
    let mut posture = Posture::unknown(Platform::Android, "test", now);
    posture.screen_lock = Fact::observed(ScreenLock::NotSet, "KeyguardManager");
    let policy = Policy::default_policy();
    let en = evaluate(&posture, &policy, now);
    let cy = evaluate_in(&posture, &policy, now, Locale::Cy);
    assert_eq!(en.compliance, cy.compliance);
    let outcomes = |v: &crate::policy::Verdict| -> Vec<_> {
        v.findings
            .iter()
            .map(|f| (f.rule, f.outcome, f.deadline))
            .collect()
    };
    assert_eq!(outcomes(&en), outcomes(&cy));
    let lock = |v: &crate::policy::Verdict| {
        v.findings
            .iter()
            .find(|f| f.rule == crate::policy::RuleId::ScreenLock)
            .and_then(|f| f.remediation.clone())
            .unwrap()
    };
    assert!(lock(&en).starts_with("Set a screen lock"), "{}", lock(&en));
    assert!(lock(&cy).starts_with("Gosodwch glo sgrin"), "{}", lock(&cy));
    // The English verdict is the one a report carries, word for word.
    assert_eq!(evaluate_in(&posture, &policy, now, Locale::En), en);
}
