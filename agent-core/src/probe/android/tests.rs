use time::OffsetDateTime;
use time::macros::datetime;

use super::*;
use crate::posture::Posture;

// The app reader: what the Kotlin shim reads from framework APIs. These are
// the mapping's rules, value by value, including every failure a framework
// call can have (they were the shim's own tests when it mapped in Kotlin).
mod app {
    use super::*;

    const AT: OffsetDateTime = datetime!(2026-11-02 09:30 UTC);

    fn read(value: &str) -> Reading {
        Reading::Read {
            value: value.into(),
        }
    }

    fn failed(error: &str) -> Reading {
        Reading::Failed {
            error: error.into(),
        }
    }

    /// What a patched, locked Pixel on Android 14 returns.
    fn pixel() -> AndroidReadings {
        AndroidReadings {
            release: read("14"),
            sdk: read("34"),
            build_id: read("UP1A.231005.007"),
            build_type: read("user"),
            build_tags: read("release-keys"),
            security_patch: read("2026-10-05"),
            debuggable: read("0"),
            encryption_status: read("5"),
            device_secure: read("true"),
            adb_enabled: read("0"),
            development_settings_enabled: read("0"),
            screen_off_timeout: read("60000"),
            lock_after_timeout: read("5000"),
            su_paths_found: read(""),
            strong_box: read("true"),
            hardware_keystore: read("true"),
            ..AndroidReadings::none(AndroidReader::App)
        }
    }

    fn map(r: AndroidReadings) -> Posture {
        android_posture(&r, Vec::new(), AT)
    }

    fn reason<T: std::fmt::Debug>(fact: &Fact<T>) -> &str {
        match fact {
            Fact::Unknown { reason } => reason,
            other => panic!("expected an Unknown fact, got {other:?}"),
        }
    }

    fn named<'a>(p: &'a Posture, name: &str) -> &'a IntegrityIndicator {
        p.integrity.iter().find(|i| i.name == name).unwrap()
    }

    #[test]
    fn a_patched_locked_phone_maps_fact_by_fact_with_its_sources() {
        let p = map(pixel());
        assert_eq!(p.platform, Platform::Android);
        assert_eq!(
            p.os.version,
            Fact::observed("14".to_owned(), "Build.VERSION.RELEASE (SDK_INT 34)")
        );
        assert_eq!(
            p.os.build,
            Fact::observed("UP1A.231005.007".to_owned(), "Build.ID")
        );
        assert_eq!(
            p.security_patch,
            Fact::observed(
                SecurityPatch::parse("2026-10-05").unwrap(),
                "Build.VERSION.SECURITY_PATCH"
            )
        );
        assert_eq!(
            p.screen_lock,
            Fact::observed(ScreenLock::Set, "KeyguardManager.isDeviceSecure")
        );
        assert_eq!(
            p.developer_mode,
            Fact::observed(false, "Settings.Global.DEVELOPMENT_SETTINGS_ENABLED")
        );
        assert_eq!(
            p.usb_debugging,
            Fact::observed(false, "Settings.Global.ADB_ENABLED")
        );
        assert_eq!(
            p.hardware_key_store,
            Fact::observed(
                HardwareKeyStore::StrongBox,
                "PackageManager.FEATURE_STRONGBOX_KEYSTORE"
            )
        );
        let names: Vec<&str> = p.integrity.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["test_keys_build", "su_binary", "ro_debuggable"]);
        assert!(
            p.integrity
                .iter()
                .all(|i| i.kind == IndicatorKind::Heuristic && i.tripped.value() == Some(&false))
        );
        assert_eq!(p.collected_at, AT);
    }

    #[test]
    fn every_encryption_status_maps_as_documented() {
        let encryption = |status: &str| {
            map(AndroidReadings {
                encryption_status: read(status),
                ..pixel()
            })
            .storage_encryption
        };
        let method = |status: i64| match encryption(&status.to_string()).value() {
            Some(StorageEncryption::Encrypted { method }) => method.clone(),
            other => panic!("{other:?}"),
        };
        use encryption_status as s;
        assert!(method(s::ACTIVE_PER_USER).starts_with("file-based (FBE)"));
        assert!(method(s::ACTIVE).contains("bound to the user's credential"));
        assert!(method(s::ACTIVE_DEFAULT_KEY).contains("default key"));
        for status in [s::INACTIVE, s::UNSUPPORTED] {
            let fact = encryption(&status.to_string());
            assert_eq!(fact.value(), Some(&StorageEncryption::NotEncrypted));
            assert!(fact.provenance().starts_with(&format!(
                "DevicePolicyManager.getStorageEncryptionStatus ({status}: "
            )));
        }
        assert!(reason(&encryption(&s::ACTIVATING.to_string())).contains("not complete"));
        assert!(reason(&encryption("42")).contains("42"));
        let failed = map(AndroidReadings {
            encryption_status: failed("no device policy service"),
            ..pixel()
        });
        assert!(reason(&failed.storage_encryption).contains("no device policy service"));
    }

    #[test]
    fn screen_lock_settings_and_their_failures() {
        let p = map(AndroidReadings {
            device_secure: read("false"),
            ..pixel()
        });
        assert_eq!(p.screen_lock.value(), Some(&ScreenLock::NotSet));
        let p = map(AndroidReadings {
            device_secure: failed("keyguard gone"),
            ..pixel()
        });
        assert!(reason(&p.screen_lock).contains("keyguard gone"));
        let on = map(AndroidReadings {
            adb_enabled: read("1"),
            development_settings_enabled: read("1"),
            ..pixel()
        });
        assert_eq!(
            on.usb_debugging,
            Fact::observed(true, "Settings.Global.ADB_ENABLED")
        );
        assert_eq!(
            on.developer_mode,
            Fact::observed(true, "Settings.Global.DEVELOPMENT_SETTINGS_ENABLED")
        );
        let usb = |r: Reading| {
            map(AndroidReadings {
                adb_enabled: r,
                ..pixel()
            })
            .usb_debugging
        };
        assert!(reason(&usb(Reading::NotSet)).contains("not set"));
        assert!(reason(&usb(read("2"))).contains("not 0 or 1"));
        assert!(reason(&usb(failed("denied"))).contains("denied"));
    }

    #[test]
    fn developer_options_never_written_are_off_except_on_eng_builds() {
        let unset = AndroidReadings {
            development_settings_enabled: Reading::NotSet,
            ..pixel()
        };
        let user = map(unset.clone()).developer_mode;
        assert_eq!(user.value(), Some(&false));
        assert!(
            user.provenance()
                .contains("not set: off by default on user builds")
        );
        let eng = map(AndroidReadings {
            build_type: read("eng"),
            ..unset.clone()
        });
        assert!(reason(&eng.developer_mode).contains("eng builds"));
        let none = map(AndroidReadings {
            build_type: Reading::NotSet,
            ..unset
        });
        assert!(reason(&none.developer_mode).contains("Build.TYPE is unknown"));
    }

    #[test]
    fn security_patch_and_version_are_unknown_when_the_build_does_not_say() {
        let patch = |r: Reading| {
            map(AndroidReadings {
                security_patch: r,
                ..pixel()
            })
            .security_patch
        };
        assert!(reason(&patch(Reading::text(Some("")))).contains("empty"));
        assert!(reason(&patch(read("2026-02-30"))).contains("not a YYYY-MM-DD date"));
        let p = map(AndroidReadings {
            release: Reading::text(None),
            ..pixel()
        });
        assert!(reason(&p.os.version).contains("RELEASE"));
        assert!(reason(&map(pixel()).os.kernel).contains("not collected"));
    }

    #[test]
    fn integrity_heuristics_trip_on_test_keys_su_and_ro_debuggable() {
        let rooted = map(AndroidReadings {
            build_tags: read("dev-keys,test-keys"),
            su_paths_found: read("/system/xbin/su"),
            debuggable: read("1"),
            ..pixel()
        });
        for name in ["test_keys_build", "su_binary", "ro_debuggable"] {
            assert_eq!(named(&rooted, name).tripped.value(), Some(&true), "{name}");
            assert_eq!(named(&rooted, name).kind, IndicatorKind::Heuristic);
        }
        assert_eq!(
            named(&rooted, "su_binary").tripped.provenance(),
            "found /system/xbin/su"
        );
        let unset = map(AndroidReadings {
            debuggable: Reading::text(Some("")),
            ..pixel()
        });
        assert_eq!(
            named(&unset, "ro_debuggable").tripped,
            Fact::observed(false, "getprop ro.debuggable (not set: read as 0)")
        );
        let broken = map(AndroidReadings {
            debuggable: failed("no getprop"),
            su_paths_found: failed("denied"),
            ..pixel()
        });
        assert!(reason(&named(&broken, "ro_debuggable").tripped).contains("no getprop"));
        assert!(reason(&named(&broken, "su_binary").tripped).contains("denied"));
    }

    #[test]
    fn a_hosts_attestation_indicators_are_added_as_they_are() {
        let play = IntegrityIndicator {
            name: "play_integrity_device".into(),
            kind: IndicatorKind::PlatformAttestation,
            tripped: Fact::observed(false, "Play Integrity (verified by the app's server)"),
        };
        let p = android_posture(&pixel(), vec![play.clone()], AT);
        assert_eq!(p.integrity.last(), Some(&play));
        assert_eq!(p.integrity.len(), 4);
    }

    #[test]
    fn the_hardware_key_store_is_strongbox_tee_or_unknown_never_guessed() {
        let store = |strong_box: Reading, hardware_keystore: Reading| {
            map(AndroidReadings {
                strong_box,
                hardware_keystore,
                ..pixel()
            })
            .hardware_key_store
        };
        assert_eq!(
            store(read("false"), read("true")).value(),
            Some(&HardwareKeyStore::Tee)
        );
        assert!(reason(&store(read("false"), read("false"))).contains("not declared"));
        assert!(reason(&store(Reading::NotSet, Reading::NotSet)).contains("before Android 12"));
        assert!(reason(&store(failed("pm died"), read("true"))).contains("pm died"));
    }

    #[test]
    fn auto_lock_is_the_screen_timeout_plus_the_lock_delay() {
        let p = map(pixel());
        assert_eq!(
            p.auto_lock,
            Fact::observed(
                AutoLock::After { seconds: 65 },
                "Settings.System.SCREEN_OFF_TIMEOUT (60000 ms) + Settings.Secure lock_screen_lock_after_timeout (5000 ms)"
            )
        );
        // Never written: the keyguard's own default delay, named as such.
        let unset = map(AndroidReadings {
            screen_off_timeout: read("30000"),
            lock_after_timeout: Reading::NotSet,
            ..pixel()
        });
        assert_eq!(
            unset.auto_lock.value(),
            Some(&AutoLock::After { seconds: 35 })
        );
        assert!(
            unset
                .auto_lock
                .provenance()
                .contains("not set: the keyguard's default of 5000 ms")
        );
        // Rounded up, never down: 1 ms past a second is the next second.
        let odd = map(AndroidReadings {
            screen_off_timeout: read("15001"),
            lock_after_timeout: read("0"),
            ..pixel()
        });
        assert_eq!(
            odd.auto_lock.value(),
            Some(&AutoLock::After { seconds: 16 })
        );
        // A delay that could not be read leaves the lock time unknown.
        let hidden = map(AndroidReadings {
            lock_after_timeout: failed("SecurityException: not readable"),
            ..pixel()
        });
        let why = reason(&hidden.auto_lock);
        assert!(why.contains("SecurityException"), "{why}");
        assert!(why.contains("60000 ms"), "{why}");
        assert!(
            reason(
                &map(AndroidReadings {
                    screen_off_timeout: read("soon"),
                    ..pixel()
                })
                .auto_lock
            )
            .contains("not a number of milliseconds")
        );
        assert!(
            reason(
                &map(AndroidReadings {
                    screen_off_timeout: read("-1"),
                    ..pixel()
                })
                .auto_lock
            )
            .contains("not a number")
        );
        assert!(
            reason(
                &map(AndroidReadings {
                    screen_off_timeout: Reading::NotRead,
                    ..pixel()
                })
                .auto_lock
            )
            .contains("not read by this reader")
        );
    }

    #[test]
    fn the_mapped_posture_passes_the_default_policy_and_fails_when_risky() {
        use crate::policy::{Compliance, Outcome, Policy, RuleId, evaluate};
        let now = datetime!(2026-11-02 09:30 UTC);
        let p = map(AndroidReadings {
            security_patch: read("2026-11-01"),
            ..pixel()
        });
        let v = evaluate(&p, &Policy::default_policy(), now);
        assert_eq!(v.compliance, Compliance::Compliant, "{v:?}");
        let risky = map(AndroidReadings {
            device_secure: read("false"),
            encryption_status: read("1"),
            ..pixel()
        });
        let v = evaluate(&risky, &Policy::default_policy(), now);
        let outcome = |rule: RuleId| {
            v.findings
                .iter()
                .find(|f| f.rule == rule)
                .map(|f| f.outcome)
        };
        assert_eq!(outcome(RuleId::ScreenLock), Some(Outcome::Fail));
        assert_eq!(outcome(RuleId::StorageEncryption), Some(Outcome::Fail));
    }
}
