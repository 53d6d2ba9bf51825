//! Reasons for an unknown fact: every one the core writes can be read back
//! from its English and shown in Welsh; anything else is shown as it came.

use super::reason::{MAX_REASON_BYTES, recover, unmatchable, unrecoverable_reasons};
use super::*;
use crate::probe::android::{AndroidReader, AndroidReadings, android_posture};
use crate::probe::ios::{IosReadings, ios_posture};

/// Each reason message's id and its variables, from the English file.
fn reason_messages() -> Vec<(String, Vec<String>)> {
    let resource = fluent_syntax::parser::parse(EN_FTL).expect("en parses");
    let mut out = Vec::new();
    for entry in &resource.body {
        let fluent_syntax::ast::Entry::Message(m) = entry else {
            continue;
        };
        if !m.id.name.starts_with("reason-") {
            continue;
        }
        let mut vars = Vec::new();
        for element in m.value.iter().flat_map(|v| &v.elements) {
            if let fluent_syntax::ast::PatternElement::Placeable {
                expression:
                    fluent_syntax::ast::Expression::Inline(
                        fluent_syntax::ast::InlineExpression::VariableReference { id },
                    ),
            } = element
            {
                vars.push(id.name.to_owned());
            }
        }
        out.push((m.id.name.to_owned(), vars));
    }
    out
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

#[test]
fn every_reason_message_can_be_matched() {
    assert_eq!(unmatchable(EN_FTL), Vec::<String>::new());
    assert!(reason_messages().len() > 60, "{}", reason_messages().len());
}

#[test]
fn a_reason_that_cannot_be_matched_is_named() {
    let errors =
        unmatchable("reason-a = { $x }{ $y }\nreason-b = { $n ->\n    [one] a\n   *[other] b\n}\n");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("reason-a: two variables"),
        "{errors:?}"
    );
    assert!(
        errors[1].starts_with("reason-b: a reason is plain"),
        "{errors:?}"
    );
}

/// Each message, filled in with values of its own, reads back as itself
/// (or as a message that says the same in both languages).
#[test]
fn every_reason_reads_back_from_its_english() {
    for (id, vars) in reason_messages() {
        let mut msg = Msg::named(id.clone());
        for v in &vars {
            // Values like a platform's: a name with dots, an error with spaces.
            msg = msg.text(leak(v), format!("Some.Value_{v} (x)"));
        }
        let english = english_reason_named(&msg);
        let (found, values) =
            recover(&english).unwrap_or_else(|| panic!("{id}: {english:?} is not recovered"));
        let mut again = Msg::named(found.to_owned());
        for (name, value) in &values {
            again = again.text(name, *value);
        }
        assert_eq!(again.in_locale(Locale::En), english, "{id} read as {found}");
        assert_eq!(
            again.in_locale(Locale::Cy),
            msg.in_locale(Locale::Cy),
            "{id} read as {found}: the Welsh differs"
        );
    }
}

fn english_reason_named(msg: &Msg) -> String {
    format(Locale::En, msg)
}

#[test]
fn fixed_and_formatted_reasons_read_in_welsh() {
    // A fixed reason.
    let english = english_reason(Msg::new("reason-android-no-strongbox"));
    assert_eq!(
        english,
        "no StrongBox, and before Android 12 the framework does not declare a hardware Keystore"
    );
    assert_eq!(
        reason(Locale::Cy, &english),
        "dim StrongBox, a chyn Android 12 nid yw'r fframwaith yn datgan Keystore caledwedd"
    );
    // A formatted one: the setting's name and the platform's error stay.
    let english = english_reason(
        Msg::new("reason-could-not-be-read")
            .text("source", "Settings.Global.ADB_ENABLED")
            .text("error", "SecurityException: denied"),
    );
    assert_eq!(
        english,
        "Settings.Global.ADB_ENABLED could not be read: SecurityException: denied"
    );
    assert_eq!(
        reason(Locale::Cy, &english),
        "nid oedd modd darllen Settings.Global.ADB_ENABLED: SecurityException: denied"
    );
    // A reason within a reason: both in Welsh.
    let inner = english_reason(Msg::new("reason-not-set").text("source", "ro.boot.flash.locked"));
    let english =
        english_reason(Msg::new("reason-android-flash-locked-not-read").text("reason", inner));
    assert_eq!(
        english,
        "ro.boot.flash.locked is not set (emulators and some vendors)"
    );
    assert_eq!(
        reason(Locale::Cy, &english),
        "ro.boot.flash.locked: heb ei osod (efelychwyr a rhai gwerthwyr)"
    );
    // A phrase of the core's own as a variable ("the screen lock").
    let english = english_reason(Msg::new("reason-not-read-by-reader").text(
        "source",
        english_reason(Msg::new("reason-subject-screen-lock")),
    ));
    assert_eq!(english, "the screen lock is not read by this reader");
    assert_eq!(
        reason(Locale::Cy, &english),
        "nid yw'r darllenydd hwn yn darllen y clo sgrin"
    );
    // A command that failed, its error quoted as the system gave it.
    let english = "gsettings get org.gnome.desktop.session idle-delay: could not run gsettings: No such file or directory (os error 2)";
    assert_eq!(
        reason(Locale::Cy, english),
        "gsettings get org.gnome.desktop.session idle-delay: nid oedd modd rhedeg gsettings: No such file or directory (os error 2)"
    );
    // English is as it came.
    assert_eq!(reason(Locale::En, english), english);
}

#[test]
fn text_the_core_did_not_write_is_shown_as_it_came() {
    for text in [
        "cannot read /etc/os-release: denied",
        "",
        "a reason from a newer agent",
        "no keyguard service",
    ] {
        if text.starts_with("cannot read") {
            // Ours, with the platform's words kept.
            assert_eq!(
                reason(Locale::Cy, text),
                "ni ellir darllen /etc/os-release: denied"
            );
        } else {
            assert_eq!(reason(Locale::Cy, text), text);
        }
    }
}

#[test]
fn the_matcher_refuses_text_over_its_limit() {
    let long = format!("{} is not set", "x".repeat(MAX_REASON_BYTES));
    assert!(long.len() > MAX_REASON_BYTES);
    assert_eq!(reason(Locale::Cy, &long), long);
    let short = format!("{} is not set", "x".repeat(MAX_REASON_BYTES - 20));
    assert_ne!(reason(Locale::Cy, &short), short);
    // Many separators: each pattern is one pass, the answer stays the text.
    let colons = ": ".repeat(MAX_REASON_BYTES / 2 - 1);
    assert_eq!(reason(Locale::Cy, &colons), colons);
}

fn android_variants() -> Vec<Reading> {
    let mut out = vec![
        Reading::NotRead,
        Reading::NotSet,
        Reading::Failed {
            error: "SecurityException: denied".into(),
        },
    ];
    for v in [
        "",
        "true",
        "false",
        "0",
        "1",
        "2",
        "9",
        "eng",
        "user",
        "x",
        "2025-13-40",
        "encrypted",
        "green",
        "/system/bin/su",
    ] {
        out.push(Reading::Read { value: v.into() });
    }
    out
}

use crate::probe::android::Reading;

macro_rules! android_fields {
    ($($field:ident),* $(,)?) => {
        fn android_fields() -> Vec<fn(&mut AndroidReadings) -> &mut Reading> {
            vec![$(|r: &mut AndroidReadings| &mut r.$field),*]
        }
    };
}
android_fields!(
    release,
    sdk,
    build_id,
    build_type,
    build_tags,
    security_patch,
    debuggable,
    crypto_state,
    crypto_type,
    verified_boot_state,
    flash_locked,
    encryption_status,
    device_secure,
    lock_screen_disabled,
    screen_off_timeout,
    lock_after_timeout,
    adb_enabled,
    development_settings_enabled,
    su_paths_found,
    strong_box,
    hardware_keystore,
);

macro_rules! ios_fields {
    ($($field:ident),* $(,)?) => {
        fn ios_fields() -> Vec<fn(&mut IosReadings) -> &mut Reading> {
            vec![$(|r: &mut IosReadings| &mut r.$field),*]
        }
    };
}
ios_fields!(
    system_name,
    system_version,
    build,
    kernel,
    device_owner_auth,
    device_owner_auth_error,
    secure_enclave_available,
    simulator,
    jailbreak_paths_found,
    sandbox_write,
    cydia_scheme_declared,
    cydia_url_scheme,
);

/// The Android and iOS mappings, fed every kind of reading in every field
/// (one field at a time, and all at once), give only reasons the core can
/// show in the person's language.
#[test]
fn every_reason_the_phone_mappings_write_can_be_read_back() {
    let at = time::macros::datetime!(2026-12-04 12:00 UTC);
    let mut bad = Vec::new();
    let mut seen = 0;
    for reader in [AndroidReader::App, AndroidReader::Adb] {
        for variant in android_variants() {
            let mut all = AndroidReadings::none(reader);
            for field in android_fields() {
                *field(&mut all) = variant.clone();
                let mut one = AndroidReadings::none(reader);
                *field(&mut one) = variant.clone();
                // With the lock screen read, the lock-after path is taken.
                one.screen_off_timeout = Reading::Read {
                    value: "30000".into(),
                };
                bad.extend(unrecoverable_reasons(&android_posture(
                    &one,
                    Vec::new(),
                    at,
                )));
                seen += 1;
            }
            bad.extend(unrecoverable_reasons(&android_posture(
                &all,
                Vec::new(),
                at,
            )));
        }
    }
    for variant in android_variants() {
        for simulator in ["true", "false"] {
            let mut all = IosReadings::none();
            for field in ios_fields() {
                *field(&mut all) = variant.clone();
                let mut one = IosReadings::none();
                *field(&mut one) = variant.clone();
                one.simulator = Reading::Read {
                    value: simulator.into(),
                };
                bad.extend(unrecoverable_reasons(&ios_posture(&one, at)));
                seen += 1;
            }
            bad.extend(unrecoverable_reasons(&ios_posture(&all, at)));
        }
    }
    assert!(seen > 500, "{seen}");
    bad.sort();
    bad.dedup();
    assert!(
        bad.is_empty(),
        "reasons with no message:\n{}",
        bad.join("\n")
    );
}

/// Where `code` writes a reason as a bare literal or a `format!`, rather
/// than through a message: the calls that take a reason, followed by a
/// string or `format!`.
fn bare_reasons(code: &str) -> Vec<String> {
    const CALLS: [&str; 4] = [
        "Fact::unknown(",
        "Posture::unknown(",
        "Err(",
        "map_err(|e| ",
    ];
    let mut out = Vec::new();
    for call in CALLS {
        for (at, _) in code.match_indices(call) {
            let mut rest = code[at + call.len()..].trim_start();
            if call == "Posture::unknown(" {
                // The reason is the second argument.
                rest = rest.split_once(',').map_or("", |(_, r)| r.trim_start());
            }
            if rest.starts_with('"') || rest.starts_with("format!") {
                let line = code[..at].lines().count();
                out.push(format!(
                    "line {line}: {call}{}",
                    rest.lines().next().unwrap_or("")
                ));
            }
        }
    }
    out
}

#[test]
fn the_scan_finds_bare_reasons_and_passes_messages() {
    let code = r#"
        p.tpm = Fact::unknown("phones have no TPM");
        p.os = Fact::unknown(
            format!("{source} is not set"));
        let p = Posture::unknown(Platform::Ios, "not read on iOS", at);
        return Err("the device is not in /sys/dev/block".into());
        p.tpm = Fact::unknown(why("reason-ios-no-tpm", &[]));
        let p = Posture::unknown(Platform::Ios, &not_read_here, at);
        Err(reason) => Fact::unknown(reason),
    "#;
    let found = bare_reasons(code);
    assert_eq!(found.len(), 4, "{found:?}");
}

/// The probes write every reason through a message: no reason is a bare
/// literal or a `format!` (a source scan of the code that writes them; the
/// parsers' typed errors write their Display from messages, which the
/// scan does not see and the parser error tests below check).
#[test]
fn the_probes_write_reasons_only_through_messages() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for dir in ["probe", "posture"] {
        collect(&root.join(dir), &mut files);
    }
    assert!(files.len() > 10, "{}", files.len());
    let mut found = Vec::new();
    for file in &files {
        let parser = file.parent().is_some_and(|p| p.ends_with("parse"));
        if file.ends_with("tests.rs") || (parser && !file.ends_with("desktop_lock.rs")) {
            continue;
        }
        let source = std::fs::read_to_string(file).unwrap();
        // The code before the file's own tests.
        let code = source.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
        for bare in bare_reasons(code) {
            found.push(format!("{}: {bare}", file.display()));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The arguments of the call whose `(` ends just before `rest`, split at
/// their top-level commas (a string's contents are not split).
fn call_args(rest: &str) -> Vec<&str> {
    let (mut depth, mut in_str, mut escaped, mut start) = (0usize, false, false, 0);
    let mut args = Vec::new();
    for (i, c) in rest.char_indices() {
        if in_str {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => {
                args.push(&rest[start..i]);
                return args;
            }
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                args.push(&rest[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    args
}

/// The words a string literal in `code` holds once its placeholders
/// (`{...}`), names (anything with a `/`, `.` or `_`) and units are gone.
fn prose_words(code: &str) -> Vec<String> {
    let mut words = Vec::new();
    for literal in code.split('"').skip(1).step_by(2) {
        let mut text = String::new();
        let mut depth = 0usize;
        for c in literal.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth = depth.saturating_sub(1),
                _ if depth == 0 => text.push(c),
                _ => text.push(' '),
            }
        }
        for token in text.split_whitespace() {
            if token.contains(['/', '.', '_']) {
                continue;
            }
            let word: String = token.chars().filter(char::is_ascii_alphabetic).collect();
            if word.len() >= 3 && word.chars().all(|c| c.is_ascii_lowercase()) && word != "min" {
                words.push(word);
            }
        }
    }
    words
}

/// Where `code` writes an observed fact's source with words of its own in
/// a bare literal or a `format!`, rather than through a message.
fn prose_sources(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices("Fact::observed(") {
        let args = call_args(&code[at + "Fact::observed(".len()..]);
        let Some(source) = args.get(1) else { continue };
        let source = source.trim();
        if source.starts_with("why(") {
            continue;
        }
        let words = prose_words(source);
        if !words.is_empty() {
            let line = code[..at].lines().count();
            out.push(format!("line {line}: {source} ({})", words.join(" ")));
        }
    }
    out
}

#[test]
fn the_source_scan_finds_prose_and_passes_names() {
    let code = r#"
        Fact::observed(Tpm::Absent, format!("{SRC} is empty"));
        Fact::observed(false, "the platform this library was built for");
        Fact::observed("macos".into(), "compiled for macOS"),
        Fact::observed(Tpm::Present { version }, format!("{SRC}/{first}"))
        Fact::observed(auto, format!("{shown}: Timeout ({} min) + LockGrace ({} s)", a, b)),
        Fact::observed(x, format!("{GNOME_IDLE} ({idle} s) + {GNOME_DELAY} ({delay} s)"))
        Fact::observed("ios".to_owned(), "UIDevice.current.systemName"),
        Fact::observed(false, why("reason-linux-observed-absent", &[("path", &var)]))
        Fact::observed(v, source),
    "#;
    let found = prose_sources(code);
    assert_eq!(found.len(), 3, "{found:?}");
}

/// The probes write every observed source that holds words of the core's
/// own through a message, so a display can show it in the person's
/// language (a source scan of every probe, the desktop lock parsers with
/// them; names stay as they are).
#[test]
fn the_probes_write_prose_sources_only_through_messages() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/probe");
    let mut files = Vec::new();
    collect(&root, &mut files);
    let mut found = Vec::new();
    for file in &files {
        if file.ends_with("tests.rs") {
            continue;
        }
        let source = std::fs::read_to_string(file).unwrap();
        let code = source.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
        for prose in prose_sources(code) {
            found.push(format!("{}: {prose}", file.display()));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The sources the Linux probe writes with words of its own, as it writes
/// them (in English, byte for byte as before), read in Welsh; a source
/// that is only a name is shown as it came.
#[test]
fn linux_observed_sources_read_in_welsh() {
    const LOCK: &str = "gsettings get org.gnome.desktop.screensaver lock-enabled";
    const IDLE: &str = "gsettings get org.gnome.desktop.session idle-delay";
    let cases = [
        (
            "/proc/self/mountinfo → /sys/dev/block/8:2: no dm-crypt layer beneath /".to_owned(),
            "/proc/self/mountinfo → /sys/dev/block/8:2: dim haen dm-crypt o dan /".to_owned(),
        ),
        (
            "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c absent"
                .to_owned(),
            "dim /sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
                .to_owned(),
        ),
        (
            "/sys/class/tpm missing: the kernel exposes no TPM".to_owned(),
            "dim /sys/class/tpm: nid yw'r cnewyllyn yn dangos TPM".to_owned(),
        ),
        (
            "/sys/class/tpm is empty".to_owned(),
            "mae /sys/class/tpm yn wag".to_owned(),
        ),
        (format!("{LOCK} is false"), format!("mae {LOCK} yn false")),
        (
            format!("{LOCK}; {IDLE} is 0 (never blanks)"),
            format!("{LOCK}; mae {IDLE} yn 0 (nid yw'r sgrin byth yn diffodd)"),
        ),
        (
            "~/.config/kscreenlockerrc: Autolock off or no timeout".to_owned(),
            "~/.config/kscreenlockerrc: mae Autolock i ffwrdd neu nid oes terfyn amser".to_owned(),
        ),
    ];
    for (english, welsh) in &cases {
        assert_eq!(reason(Locale::Cy, english), *welsh, "{english}");
        assert_eq!(reason(Locale::En, english), *english);
    }
    // The probe's own words, as it writes them.
    assert_eq!(
        crate::probe::why("reason-linux-observed-tpm-empty", &[]),
        cases[3].0
    );
    assert_eq!(
        crate::probe::why(
            "reason-linux-observed-gnome-never-blanks",
            &[("lock", LOCK), ("idle", IDLE)]
        ),
        cases[5].0
    );
    for name in ["/sys/class/tpm/tpm0", LOCK, "/etc/os-release"] {
        assert_eq!(reason(Locale::Cy, name), name);
    }
}

/// Sources with words of the other probes' own, as they write them, read
/// in Welsh, with a source within a source and the names as they are.
#[test]
fn other_observed_sources_read_in_welsh() {
    let data_protection = crate::probe::why(
        "reason-ios-observed-data-protection",
        &[("source", "LAPolicy.deviceOwnerAuthentication")],
    );
    let no_passcode = crate::probe::why(
        "reason-ios-observed-no-passcode",
        &[("source", &data_protection)],
    );
    assert_eq!(
        no_passcode,
        "Data Protection, which iOS enables whenever a passcode is set \
         (LAPolicy.deviceOwnerAuthentication): no passcode"
    );
    assert_eq!(
        reason(Locale::Cy, &no_passcode),
        "Data Protection, y mae iOS yn ei alluogi pryd bynnag y gosodir cod pas \
         (LAPolicy.deviceOwnerAuthentication): dim cod pas"
    );
    let cases = [
        ("compiled for macOS", "wedi'i grynhoi ar gyfer macOS"),
        (
            "fdesetup status: encryption in progress",
            "fdesetup status: amgryptio ar y gweill",
        ),
        (
            "Settings.Global.DEVELOPMENT_SETTINGS_ENABLED (not set: off by default on user builds)",
            "Settings.Global.DEVELOPMENT_SETTINGS_ENABLED (heb ei osod: i ffwrdd yn ddiofyn mewn adeiladau user)",
        ),
        (
            "none of 12 known su paths exists",
            "nid oes yr un o'r 12 llwybr su hysbys yn bodoli",
        ),
        ("found /system/xbin/su", "wedi canfod /system/xbin/su"),
        (
            "ScreenSaveTimeOut (screen saver 600 s); InactivityTimeoutSecs (300 s)",
            "ScreenSaveTimeOut (arbedwr sgrin 600 eiliad); InactivityTimeoutSecs (300 eiliad)",
        ),
        (
            "InactivityTimeoutSecs (300 s); no locking screen saver",
            "InactivityTimeoutSecs (300 eiliad); dim arbedwr sgrin sy'n cloi",
        ),
    ];
    for (english, welsh) in cases {
        assert_eq!(reason(Locale::Cy, english), welsh, "{english}");
        assert_eq!(reason(Locale::En, english), english);
    }
}

/// The Linux parsers' errors: their Display is the English it always was,
/// read back from the catalogue and shown in Welsh, on its own and within
/// a reason.
#[test]
fn linux_parser_errors_read_in_welsh() {
    use crate::probe::parse::efivar::EfiVarError;
    use crate::probe::parse::mountinfo::MountInfoError;
    use crate::probe::parse::os_release::OsReleaseError;
    let cases: [(String, &str, &str); 7] = [
        (
            MountInfoError::Empty.to_string(),
            "mountinfo is empty",
            "mae mountinfo yn wag",
        ),
        (
            MountInfoError::TooLarge(300_000).to_string(),
            "mountinfo is 300000 bytes; the limit is 262144",
            "mae mountinfo yn 300000 beit; y terfyn yw 262144",
        ),
        (
            MountInfoError::BadLine {
                line: 3,
                what: "device is not major:minor",
            }
            .to_string(),
            "mountinfo line 3 is malformed: device is not major:minor",
            "mae llinell 3 mountinfo wedi'i chamffurfio: nid yw'r ddyfais ar ffurf major:minor",
        ),
        (
            OsReleaseError::Empty.to_string(),
            "os-release has no KEY=value line",
            "nid oes llinell KEY=value yn os-release",
        ),
        (
            OsReleaseError::TooLarge(70_000).to_string(),
            "os-release is 70000 bytes; the limit is 65536",
            "mae os-release yn 70000 beit; y terfyn yw 65536",
        ),
        (
            EfiVarError::BadLength(4).to_string(),
            "EFI boolean variable has 4 bytes; expected 5 (4 attribute bytes, 1 value byte)",
            "mae gan y newidyn EFI Boole 4 beit; disgwylid 5 (4 beit priodoledd, 1 beit gwerth)",
        ),
        (
            EfiVarError::BadValue(2).to_string(),
            "EFI boolean variable holds 2; expected 0 or 1",
            "mae'r newidyn EFI Boole yn dal 2; disgwylid 0 neu 1",
        ),
    ];
    for (display, english, welsh) in &cases {
        assert_eq!(display, english);
        assert_eq!(reason(Locale::Cy, display), *welsh, "{display}");
        assert_eq!(reason(Locale::En, display), *display);
    }
    let nested = crate::probe::source_error("/proc/self/mountinfo", &cases[0].0);
    assert_eq!(
        reason(Locale::Cy, &nested),
        "/proc/self/mountinfo: mae mountinfo yn wag"
    );
}

/// The macOS, Windows and desktop lock parsers' errors: their Display is
/// the English it always was, read back and shown in Welsh, with the
/// tools' names and their output as they are.
#[test]
fn desktop_parser_errors_read_in_welsh() {
    use crate::probe::parse::desktop_lock::LockParseError;
    use crate::probe::parse::macos::MacParseError;
    use crate::probe::parse::windows::WinParseError;
    let cases: [(String, &str, &str); 10] = [
        (
            MacParseError::TooLarge {
                tool: "sw_vers",
                len: 70_000,
            }
            .to_string(),
            "sw_vers printed 70000 bytes; the limit is 65536",
            "argraffodd sw_vers 70000 beit; y terfyn yw 65536",
        ),
        (
            MacParseError::Empty("fdesetup status").to_string(),
            "fdesetup status printed nothing",
            "ni argraffodd fdesetup status ddim",
        ),
        (
            MacParseError::Missing {
                tool: "sw_vers",
                field: "ProductVersion",
            }
            .to_string(),
            "sw_vers output has no ProductVersion",
            "nid oes ProductVersion yn allbwn sw_vers",
        ),
        (
            MacParseError::Unrecognised {
                tool: "fdesetup status",
                text: "FileVault is Odd.".into(),
            }
            .to_string(),
            "fdesetup status printed an unrecognised line \"FileVault is Odd.\"; update the parser for this macOS",
            "argraffodd fdesetup status linell anhysbys \"FileVault is Odd.\"; diweddarwch y dosrannydd ar gyfer y macOS hwn",
        ),
        (
            WinParseError::Reported {
                tool: "manage-bde -status",
                text: "ERROR: access denied".into(),
            }
            .to_string(),
            "manage-bde -status reported: ERROR: access denied",
            "adroddodd manage-bde -status: ERROR: access denied",
        ),
        (
            WinParseError::Malformed {
                tool: "reg query",
                line: 4,
                text: "UBR".into(),
            }
            .to_string(),
            "reg query line 4 is not in the expected format: \"UBR\"",
            "nid yw llinell 4 reg query yn y ffurf ddisgwyliedig: \"UBR\"",
        ),
        (
            WinParseError::BadValue {
                tool: "reg query",
                name: "UBR".into(),
                value: "0xzz".into(),
                expected: "a number",
            }
            .to_string(),
            "reg query: UBR is \"0xzz\", not a number",
            "reg query: mae UBR yn \"0xzz\", nid rhif",
        ),
        (
            LockParseError::TooLarge(70_000).to_string(),
            "input is 70000 bytes; the limit is 65536",
            "mae'r mewnbwn yn 70000 beit; y terfyn yw 65536",
        ),
        (
            LockParseError::Gsettings("'abc'".into(), "an unsigned number").to_string(),
            "gsettings printed \"'abc'\"; expected an unsigned number",
            "argraffodd gsettings \"'abc'\"; disgwylid rhif heb arwydd",
        ),
        (
            crate::probe::parse::desktop_lock::parse_kscreenlockerrc("[Daemon]\nTimeout=soon\n")
                .unwrap_err()
                .to_string(),
            "kscreenlockerrc line 2: Timeout is \"soon\", not minutes",
            "llinell 2 kscreenlockerrc: mae Timeout yn \"soon\", nid munudau",
        ),
    ];
    for (display, english, welsh) in &cases {
        assert_eq!(display, english);
        assert_eq!(reason(Locale::Cy, display), *welsh, "{display}");
        assert_eq!(reason(Locale::En, display), *display);
    }
}
