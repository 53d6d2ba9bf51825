use super::*;

#[test]
fn every_field_has_words_in_both_languages() {
    for locale in Locale::ALL {
        let inv = inventory(locale);
        assert_eq!(inv.fields.len(), FIELDS.len());
        for f in &inv.fields {
            for text in [&f.what, &f.why, &f.payload_name, &f.category_name] {
                assert!(
                    !text.starts_with("privacy-"),
                    "{}: message {text} is missing in {locale}",
                    f.path
                );
            }
        }
        assert_eq!(inv.never_collected.len(), NEVER_COLLECTED.len());
        assert!(
            inv.never_collected
                .iter()
                .all(|t| !t.starts_with("privacy-"))
        );
    }
    let (en, cy) = (inventory(Locale::En), inventory(Locale::Cy));
    assert_ne!(en.summary, cy.summary);
    assert_eq!(
        cy.fields[0].path, en.fields[0].path,
        "paths are not translated"
    );
}

#[test]
fn paths_are_unique_per_payload() {
    let mut seen = std::collections::HashSet::new();
    for f in FIELDS {
        for p in f.paths() {
            assert!(seen.insert((f.payload, p.clone())), "{p} is listed twice");
        }
    }
}

#[test]
fn the_never_collected_list_names_what_the_design_promises() {
    let en = inventory(Locale::En).never_collected.join("; ");
    for word in [
        "IMEI",
        "serial",
        "MAC",
        "phone numbers",
        "location",
        "contacts",
        "apps",
        "browsing",
        "files",
    ] {
        assert!(en.contains(word), "{word} missing from {en}");
    }
}

#[test]
fn the_leaflet_and_manifests_render() {
    let en = render::leaflet(Locale::En);
    let cy = render::leaflet(Locale::Cy);
    assert!(en.starts_with("# What your organisation can see"));
    assert!(cy.starts_with("# Beth y gall eich sefydliad ei weld"));
    let xml = render::xcprivacy();
    // XML forbids "--" inside a comment: a plist parser would refuse it.
    for comment in xml.split("<!--").skip(1) {
        let body = comment.split("-->").next().unwrap_or_default();
        assert!(!body.contains("--"), "\"--\" in an XML comment: {body}");
    }
    assert!(xml.contains("<key>NSPrivacyTracking</key>\n\t<false/>"));
    assert!(xml.contains("NSPrivacyCollectedDataTypeDeviceID"));
    assert!(xml.contains("report:posture.os.version"));
    let play = render::data_safety();
    assert!(play.contains("| Device or other IDs | Device or other IDs | Yes | No |"));
    assert!(play.contains("| Location |"));
}
