use super::*;

#[test]
fn default_policy_round_trips() {
    let p = Policy::default_policy();
    assert_eq!(p.name, "default");
    assert_eq!(p.grace, Some(Grace { days: 14 }));
    assert_eq!(p.rules.security_patch.as_ref().unwrap().max_age_days, 14);
    // JSON is the wire form: it must read back to the same policy.
    assert_eq!(Policy::parse(&p.to_json(), PolicyFormat::Json).unwrap(), p);
}

/// The JSON that `build.rs` embeds is the TOML file, value for value.
#[cfg(feature = "toml")]
#[test]
fn default_policy_json_matches_the_toml_file() {
    let from_toml = Policy::parse(Policy::default_toml(), PolicyFormat::Toml).unwrap();
    assert_eq!(from_toml, Policy::default_policy());
    assert_eq!(
        Policy::parse(DEFAULT_POLICY_JSON, PolicyFormat::Json).unwrap(),
        from_toml
    );
}

#[cfg(feature = "toml")]
#[test]
fn errors_name_the_field() {
    let cases: &[(&str, PolicyFormat, &str)] = &[
        (
            "schema_version = 1\nname = \"x\"\nrevision = 1\nrules = {}\ncolour = \"red\"\n",
            PolicyFormat::Toml,
            "colour",
        ),
        (
            "schema_version = 1\nname = \"x\"\nrevision = 1\n[rules.screen_lock]\nunknown = \"maybe\"\n",
            PolicyFormat::Toml,
            "maybe",
        ),
        (
            "schema_version = 1\nname = \"x\"\nrevision = 1\n[rules.screen_lock]\nunknwn = \"warn\"\n",
            PolicyFormat::Toml,
            "unknwn",
        ),
        (
            "schema_version = 1\nrevision = 1\nrules = {}\n",
            PolicyFormat::Toml,
            "name",
        ),
        (
            r#"{"schema_version":1,"name":"x","revision":1,"rules":{"os_version":{"unknown":"warn","minimum":[{"platform":"beos","versions":["5"]}]}}}"#,
            PolicyFormat::Json,
            "beos",
        ),
        (
            r#"{"schema_version":1,"name":"x","revision":1,"rules":{},"extra":true}"#,
            PolicyFormat::Json,
            "extra",
        ),
        (
            r#"{"schema_version":1,"name":"x","revision":1,"rules":{"os_version":{"unknown":"warn","minimum":[{"platform":"ios","versions":["eighteen"]}]}}}"#,
            PolicyFormat::Json,
            "rules.os_version.minimum[0].versions",
        ),
        (
            r#"{"schema_version":1,"name":"x","revision":1,"rules":{"os_version":{"unknown":"warn","minimum":[{"platform":"ios","versions":[]}]}}}"#,
            PolicyFormat::Json,
            "rules.os_version.minimum[0].versions",
        ),
        (
            r#"{"schema_version":1,"name":"x","revision":1,"rules":{"security_patch":{"unknown":"warn","max_age_days":99999}}}"#,
            PolicyFormat::Json,
            "max_age_days",
        ),
        (
            r#"{"schema_version":1,"name":"x","revision":1,"grace":{"days":4000},"rules":{}}"#,
            PolicyFormat::Json,
            "grace.days",
        ),
        (
            r#"{"schema_version":1,"name":"x","revision":1,"rules":{"os_version":{"unknown":"warn","minimum":[{"platform":"linux","os_id":"Debian","versions":["12"]}]}}}"#,
            PolicyFormat::Json,
            "rules.os_version.minimum[0].os_id",
        ),
        (
            r#"{"schema_version":1,"name":"x","revision":1,"rules":{"os_version":{"unknown":"warn","minimum":[{"platform":"linux","os_id":"","versions":["12"]}]}}}"#,
            PolicyFormat::Json,
            "rules.os_version.minimum[0].os_id",
        ),
        (
            r#"{"schema_version":1,"name":"x","revision":1,"rules":{"os_version":{"unknown":"warn","minimum":[{"platform":"linux","os_id":"debian","versions":["12"]},{"platform":"linux","os_id":"debian","versions":["13"]}]}}}"#,
            PolicyFormat::Json,
            "repeats minimum[0]",
        ),
        (
            r#"{"schema_version":1,"name":"x","revision":1,"rules":{"os_version":{"unknown":"warn","minimum":[{"platform":"ios","versions":["17.6","17.7"]}]}}}"#,
            PolicyFormat::Json,
            "17.6 and 17.7 name the same release line",
        ),
    ];
    for (text, format, needle) in cases {
        let err = Policy::parse(text, *format).unwrap_err().to_string();
        assert!(err.contains(needle), "{needle:?} not in {err:?}");
    }
}

#[test]
fn auto_lock_maximums_are_checked() {
    let policy = |maximum: &str| {
        format!(
            r#"{{"schema_version":1,"name":"x","revision":1,"rules":{{"auto_lock":{{"unknown":"warn","maximum":{maximum}}}}}}}"#
        )
    };
    let refused = [
        (
            r#"[{"platforms":["android"],"seconds":300},{"platforms":["ios","android"],"seconds":60}]"#,
            "rules.auto_lock.maximum[1].platforms",
            "Android already has a maximum in rules.auto_lock.maximum[0]",
        ),
        (
            r#"[{"platforms":["linux","linux"],"seconds":300}]"#,
            "rules.auto_lock.maximum[0].platforms",
            "Linux already has a maximum",
        ),
        (
            r#"[{"platforms":[],"seconds":300}]"#,
            "rules.auto_lock.maximum[0].platforms",
            "lists no platform",
        ),
        (
            r#"[{"platforms":["macos"],"seconds":86401}]"#,
            "rules.auto_lock.maximum[0].seconds",
            "more than a day",
        ),
        (
            r#"[{"platforms":["macos"],"seconds":-1}]"#,
            "",
            "invalid value",
        ),
        (r#"[{"platforms":["macos"]}]"#, "", "seconds"),
    ];
    for (maximum, field, needle) in refused {
        let err = Policy::parse(&policy(maximum), PolicyFormat::Json).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(field), "{field:?} not in {text:?}");
        assert!(text.contains(needle), "{needle:?} not in {text:?}");
    }
    let ok = Policy::parse(
        &policy(r#"[{"platforms":["android"],"seconds":86400}]"#),
        PolicyFormat::Json,
    )
    .unwrap();
    let rule = ok.rules.auto_lock.unwrap();
    assert_eq!(rule.maximum[0].seconds, 86_400);
    assert!(Policy::parse(&policy("[]"), PolicyFormat::Json).is_ok());
}

#[cfg(feature = "toml")]
#[test]
fn unsupported_schema_is_reported_before_unknown_fields() {
    let text = "schema_version = 7\nname = \"x\"\nrevision = 1\nrules = {}\nnew_thing = 1\n";
    assert!(matches!(
        Policy::parse(text, PolicyFormat::Toml),
        Err(PolicyError::UnsupportedSchema { found: 7 })
    ));
}

#[cfg(feature = "toml")]
#[test]
fn empty_truncated_garbage_oversize() {
    for format in [PolicyFormat::Toml, PolicyFormat::Json] {
        assert!(Policy::parse("", format).is_err());
        assert!(Policy::parse("\u{0}\u{1}\u{ff}garbage[[", format).is_err());
        let big = "#".repeat(MAX_POLICY_BYTES + 1);
        assert!(matches!(
            Policy::parse(&big, format),
            Err(PolicyError::TooLarge(_))
        ));
    }
    let toml = Policy::default_toml();
    let truncated = &toml[..toml.find("[rules.security_patch]").unwrap() - 30];
    assert!(Policy::parse(truncated, PolicyFormat::Toml).is_err());
    let json = Policy::default_policy().to_json();
    assert!(Policy::parse(&json[..json.len() / 2], PolicyFormat::Json).is_err());
}
