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

/// The `.rs` files under `dir`, recursively.
fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every string literal in `source` that looks like a message id of one
/// of `families` (`"finding-os-minimum"`): a family, a dash, then
/// lowercase letters, digits and dashes.
fn message_ids_in(source: &str, families: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    for literal in source.split('"').skip(1).step_by(2) {
        let Some((family, rest)) = literal.split_once('-') else {
            continue;
        };
        let shaped = !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !rest.ends_with('-');
        if shaped && families.contains(family) {
            out.push(literal.to_owned());
        }
    }
    out
}

/// Literals shaped like message ids that are not: a strategy's wire name
/// and the CLI's command names.
const NOT_MESSAGE_IDS: &[&str] = &["notify-only", "quiet-hours", "compliance-token"];

#[test]
fn every_message_id_the_code_uses_is_in_both_languages() {
    let en = catalogue(&parse(EN_FTL, "en"));
    let cy = catalogue(&parse(CY_FTL, "cy"));
    let families: BTreeSet<String> = en
        .keys()
        .filter_map(|id| id.split_once('-').map(|(f, _)| f.to_owned()))
        // `check-in` and `report-only` are words of the CLI and the
        // policy, not message families.
        .filter(|f| f != "check")
        .collect();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in [
        "agent-core/src",
        "desktop-cli/src",
        "ffi/src",
        "collector/src/console",
    ] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 20, "only {} source files found", files.len());
    let mut used = 0;
    let mut missing = Vec::new();
    // This file's own examples are not ids the code uses.
    for file in files.iter().filter(|f| !f.ends_with("l10n/tests.rs")) {
        let source = std::fs::read_to_string(file).unwrap();
        for id in message_ids_in(&source, &families) {
            if NOT_MESSAGE_IDS.contains(&id.as_str()) {
                continue;
            }
            used += 1;
            for (name, cat) in [("en", &en), ("cy", &cy)] {
                if !cat.contains_key(&id) {
                    missing.push(format!("{}: {id} is not in {name}", file.display()));
                }
            }
        }
    }
    assert!(used > 100, "only {used} message ids found in the code");
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn the_id_scan_finds_ids_in_literals_and_skips_other_words() {
    let families: BTreeSet<String> = ["finding".to_owned()].into();
    let source = r#"t("finding-os-minimum"); x("finding-"); y("finding-A"); z("rule-x")"#;
    assert_eq!(message_ids_in(source, &families), ["finding-os-minimum"]);
}

#[test]
fn a_findings_observed_and_required_text_reads_in_welsh() {
    use crate::policy::{Policy, RuleId, evaluate, evaluate_in};
    use crate::posture::{AutoLock, Fact, Platform, Posture, ScreenLock, StorageEncryption};
    let now = time::macros::datetime!(2026-11-22 12:00 UTC);
    let mut posture = Posture::unknown(Platform::Android, "not read", now);
    posture.screen_lock = Fact::observed(ScreenLock::NotSet, "KeyguardManager");
    posture.storage_encryption = Fact::observed(StorageEncryption::NotEncrypted, "test");
    posture.auto_lock = Fact::observed(AutoLock::Never, "test");
    posture.developer_mode = Fact::observed(true, "test");
    let policy = Policy::default_policy();
    let en = evaluate(&posture, &policy, now);
    let cy = evaluate_in(&posture, &policy, now, Locale::Cy);
    let find = |v: &crate::policy::Verdict, rule| {
        let f = v.findings.iter().find(|f| f.rule == rule).unwrap();
        (
            f.observed.clone(),
            f.requirement.clone().unwrap_or_default(),
        )
    };
    assert_eq!(
        find(&en, RuleId::ScreenLock),
        (
            "no secure screen lock".into(),
            "a secure screen lock".into()
        )
    );
    assert_eq!(
        find(&cy, RuleId::ScreenLock),
        ("dim clo sgrin diogel".into(), "clo sgrin diogel".into())
    );
    assert_eq!(
        find(&cy, RuleId::StorageEncryption),
        (
            "heb ei hamgryptio".into(),
            "storfa wedi'i hamgryptio".into()
        )
    );
    assert_eq!(
        find(&cy, RuleId::DeveloperMode),
        (
            "modd datblygwr ymlaen".into(),
            "modd datblygwr i ffwrdd".into()
        )
    );
    let (observed, needs) = find(&cy, RuleId::AutoLock);
    assert_eq!(observed, "nid yw byth yn cloi ar ei phen ei hun");
    assert!(needs.starts_with("clo sgrin awtomatig o fewn "), "{needs}");
    assert!(needs.ends_with("munud"), "{needs}");
    // An unknown fact: the Welsh prefix, and the core's own reason in Welsh.
    let (observed, _) = find(&cy, RuleId::SecurityPatch);
    assert_eq!(observed, "anhysbys: heb ei ddarllen");
    let (observed, _) = find(&en, RuleId::SecurityPatch);
    assert_eq!(observed, "unknown: not read");
    // No Welsh finding is left in English.
    for (e, c) in en.findings.iter().zip(&cy.findings) {
        assert_ne!(e.observed, c.observed, "{:?} not translated", e.rule);
        if e.requirement.is_some() && e.rule != RuleId::OsVersion {
            assert_ne!(e.requirement, c.requirement, "{:?} not translated", e.rule);
        }
    }
}

#[test]
fn strategy_notes_and_names_read_in_both_languages() {
    use crate::policy::{Finding, Outcome, RuleId, Strategy};
    let mut f = Finding {
        rule: RuleId::ScreenLock,
        outcome: Outcome::Warn,
        observed: String::new(),
        requirement: None,
        remediation: None,
        deadline: Some(time::macros::date!(2026 - 12 - 10)),
        strategy: Some(Strategy::WarnThenBlock),
        failing_since: None,
    };
    assert_eq!(
        f.strategy_note(Locale::En).unwrap(),
        "warn-then-block: from 2026-12-10 this device counts as non-compliant"
    );
    assert!(
        f.strategy_note(Locale::Cy)
            .unwrap()
            .starts_with("rhybuddio yna rhwystro: o 2026-12-10 ymlaen")
    );
    f.strategy = Some(Strategy::NotifyOnly);
    assert_eq!(
        f.strategy_note(Locale::En).unwrap(),
        "notify-only: a reminder; it never makes this device non-compliant"
    );
    assert!(
        f.strategy_note(Locale::Cy)
            .unwrap()
            .starts_with("hysbysu yn unig:")
    );
    f.strategy = Some(Strategy::Block);
    assert_eq!(f.strategy_note(Locale::En), None);
    assert_eq!(Strategy::WarnThenBlock.label(Locale::En), "warn-then-block");
    assert_eq!(Strategy::ReportOnly.label(Locale::Cy), "adrodd yn unig");
}

#[test]
fn quiet_hours_reasons_and_errors_read_in_both_languages() {
    use crate::quiet_hours::{NotifyReason, WorkingHours, WorkingHoursBounds};
    assert_eq!(
        NotifyReason::WithinWorkingHours.describe(Locale::En),
        "within your working hours"
    );
    assert_eq!(
        NotifyReason::WithinWorkingHours.describe(Locale::Cy),
        "o fewn eich oriau gwaith"
    );
    let e = WorkingHours::new("25:00", "17:00", "Europe/London").unwrap_err();
    assert_eq!(
        e.to_string(),
        "start \"25:00\" is not a time of day: write it as HH:MM, 00:00 to 23:59"
    );
    assert_eq!(e.to_string(), e.message(Locale::En));
    assert_eq!(
        e.message(Locale::Cy),
        "amser dechrau \"25:00\": nid yw'n amser o'r dydd; ysgrifennwch ef fel HH:MM, 00:00 i 23:59"
    );
    let e = WorkingHours::new("09:00", "17:00", "Mars/Olympus")
        .unwrap_err()
        .message(Locale::Cy);
    assert!(
        e.starts_with("nid yw \"Mars/Olympus\" yn gylchfa amser"),
        "{e}"
    );
    let hours = WorkingHours::new("06:00", "22:00", "Europe/London").unwrap();
    let bounds = WorkingHoursBounds {
        allowed: Some(Vec::new()),
        max_hours: Some(12),
    };
    let e = hours.check_within(&bounds).unwrap_err();
    assert_eq!(
        e.to_string(),
        "working hours 06:00-22:00 Europe/London last longer than the 12 hours your organisation allows: choose a shorter day"
    );
    assert!(e.message(Locale::Cy).contains("na'r 12 awr"), "{e}");
    let bounds = WorkingHoursBounds {
        allowed: Some(Vec::new()),
        max_hours: None,
    };
    let e = hours.check_within(&bounds).unwrap_err();
    assert!(e.to_string().contains("(no hours)"), "{e}");
    assert!(e.message(Locale::Cy).contains("(dim oriau)"), "{e}");
}

#[test]
fn the_welsh_leaflet_says_in_both_languages_that_its_welsh_awaits_review() {
    let cy = crate::privacy::render::leaflet(Locale::Cy);
    let en = crate::privacy::render::leaflet(Locale::En);
    assert!(
        cy.contains(&text(Locale::Cy, "privacy-leaflet-review")),
        "{cy}"
    );
    assert!(
        cy.contains(&text(Locale::En, "privacy-leaflet-review")),
        "{cy}"
    );
    assert!(cy.contains("awaits review by a Welsh speaker"));
    assert!(!en.contains(&text(Locale::En, "privacy-leaflet-review")));
}

#[test]
fn the_cores_reasons_for_an_unknown_fact_are_shown_in_welsh() {
    for id in [
        "reason-ios-no-patch-level",
        "reason-ios-no-auto-lock-api",
        "reason-ios-no-developer-mode-api",
        "reason-ios-no-usb-debugging",
        "reason-auto-lock-not-reported",
    ] {
        let english = text(Locale::En, id);
        assert_eq!(reason(Locale::En, &english), english);
        let welsh = reason(Locale::Cy, &english);
        assert_eq!(welsh, text(Locale::Cy, id));
        assert_ne!(welsh, english, "{id}");
    }
    // A platform's own words (an error, a path) are shown as they came.
    let theirs = "no keyguard service: denied";
    assert_eq!(reason(Locale::Cy, theirs), theirs);

    // In a verdict: the wire's English is as before, the Welsh is Welsh.
    let at = time::macros::datetime!(2026-11-02 10:00 UTC);
    let english = "iOS gives apps no API to read Developer Mode";
    assert_eq!(
        text(Locale::En, "reason-ios-no-developer-mode-api"),
        english
    );
    let posture = crate::posture::Posture::unknown(crate::Platform::Ios, english, at);
    let policy = crate::policy::Policy::default_policy();
    let observed = |locale| -> Vec<String> {
        crate::policy::evaluate_in(&posture, &policy, at, locale)
            .findings
            .into_iter()
            .map(|f| f.observed)
            .collect()
    };
    assert!(observed(Locale::En).contains(&format!("unknown: {english}")));
    let welsh = "anhysbys: nid yw iOS yn rhoi API i apiau ddarllen y modd datblygwr".to_owned();
    assert!(
        observed(Locale::Cy).contains(&welsh),
        "{:?}",
        observed(Locale::Cy)
    );
}
