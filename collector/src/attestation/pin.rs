//! The attestation pin (protocol §5.3.3), as GrapheneOS's Auditor keeps one:
//! the first verified chain fixes the device's verified-boot key, security
//! level, OS version and patch levels; a later chain may raise them, never
//! lower them or change the boot key.

use agent_core::protocol::KeyAttestationSummary;

use crate::store::name_of;

/// One pinned value a re-attestation showed lower (or another boot key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Downgrade {
    /// The value's name, as the fleet view shows it.
    pub field: &'static str,
    /// The pinned value.
    pub pinned: String,
    /// The re-attestation's value, `absent` when it had none.
    pub seen: String,
}

const ABSENT: &str = "absent";

/// Every way `seen` falls below `pinned`; empty when `seen` may replace it.
/// A value pinned but missing from `seen` counts as lowered: a chain cannot
/// shed a value by leaving it out. A value missing from the pin is pinned
/// by the first chain that has it.
pub(crate) fn downgrades(
    pinned: &KeyAttestationSummary,
    seen: &KeyAttestationSummary,
) -> Vec<Downgrade> {
    let mut found = Vec::new();
    let text = |v: Option<String>| v.unwrap_or_else(|| ABSENT.to_owned());
    if let Some(key) = &pinned.verified_boot_key_sha256
        && seen.verified_boot_key_sha256.as_ref() != Some(key)
    {
        found.push(Downgrade {
            field: "verified_boot_key",
            pinned: key.clone(),
            seen: text(seen.verified_boot_key_sha256.clone()),
        });
    }
    if seen.security_level < pinned.security_level {
        found.push(Downgrade {
            field: "security_level",
            pinned: name_of(&pinned.security_level),
            seen: name_of(&seen.security_level),
        });
    }
    let numbers: [(&'static str, Option<i64>, Option<i64>, bool); 4] = [
        ("os_version", pinned.os_version, seen.os_version, false),
        (
            "os_patch_level",
            pinned.os_patch_level,
            seen.os_patch_level,
            true,
        ),
        (
            "vendor_patch_level",
            pinned.vendor_patch_level,
            seen.vendor_patch_level,
            true,
        ),
        (
            "boot_patch_level",
            pinned.boot_patch_level,
            seen.boot_patch_level,
            true,
        ),
    ];
    for (field, was, now, patch) in numbers {
        let Some(was) = was else { continue };
        let lower = match now {
            None => true,
            Some(now) if patch => patch_lower(now, was),
            Some(now) => now < was,
        };
        if lower {
            found.push(Downgrade {
                field,
                pinned: was.to_string(),
                seen: text(now.map(|v| v.to_string())),
            });
        }
    }
    found
}

/// Whether patch level `seen` is older than `pinned`. Levels come as
/// YYYYMM or YYYYMMDD (devices differ); when the two differ in form only
/// their months are compared.
fn patch_lower(seen: i64, pinned: i64) -> bool {
    let daily = |v: i64| v >= 10_000_000;
    if daily(seen) == daily(pinned) {
        return seen < pinned;
    }
    let month = |v: i64| if daily(v) { v / 100 } else { v };
    month(seen) < month(pinned)
}

/// What the writer keeps of a device's pin to decide whether to ask for a
/// fresh key attestation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PinStatus {
    /// When a verified chain last set it (seconds since the epoch).
    pub pinned_at: i64,
    /// A re-attestation showed a downgrade.
    pub broken: bool,
    /// The latest current report's verdict failed or warned on a patch
    /// level or OS version the hardware attested: fresher values may mend it.
    pub wants_fresh_facts: bool,
}

impl PinStatus {
    /// Whether the next report should carry a fresh chain (protocol §5.3.3):
    /// never for a broken pin (no chain can mend it); once the pin is
    /// `reattest_after` seconds old; or, while the verdict fails on attested
    /// facts, once it is a check-in interval old (so at most one chain per
    /// check-in proves an update).
    pub fn asks_for_chain(&self, now: i64, reattest_after: i64, checkin_interval: i64) -> bool {
        !self.broken
            && (reattestation_due(self.pinned_at, now, reattest_after)
                || (self.wants_fresh_facts
                    && reattestation_due(
                        self.pinned_at,
                        now,
                        checkin_interval.min(reattest_after),
                    )))
    }
}

/// Whether a pin set at `pinned_at` is due for a fresh chain at `now`
/// (both seconds since the epoch) with re-attestation every `interval_secs`.
pub(crate) fn reattestation_due(pinned_at: i64, now: i64, interval_secs: i64) -> bool {
    now.saturating_sub(pinned_at) >= interval_secs
}

#[cfg(test)]
mod tests {
    use agent_core::protocol::AttestedSecurityLevel;
    use time::macros::datetime;

    use super::*;

    fn pin() -> KeyAttestationSummary {
        KeyAttestationSummary {
            security_level: AttestedSecurityLevel::Tee,
            attestation_version: 300,
            verified_boot_state: None,
            device_locked: Some(true),
            os_version: Some(150000),
            os_patch_level: Some(202610),
            vendor_patch_level: Some(20261005),
            boot_patch_level: Some(20261005),
            verified_boot_key_sha256: Some("ab".repeat(32)),
            attested_at: datetime!(2026-11-01 00:00 UTC),
        }
    }

    fn fields(pinned: &KeyAttestationSummary, seen: &KeyAttestationSummary) -> Vec<&'static str> {
        downgrades(pinned, seen).iter().map(|d| d.field).collect()
    }

    #[test]
    fn the_same_or_newer_values_keep_the_pin() {
        let p = pin();
        assert!(downgrades(&p, &p).is_empty());
        let mut newer = pin();
        newer.os_version = Some(160000);
        newer.os_patch_level = Some(202611);
        newer.vendor_patch_level = Some(20261105);
        newer.boot_patch_level = Some(20261101);
        newer.security_level = AttestedSecurityLevel::Strongbox;
        assert!(downgrades(&p, &newer).is_empty());
        // A value the pin lacks is taken from the first chain that has it.
        let mut bare = pin();
        bare.boot_patch_level = None;
        bare.verified_boot_key_sha256 = None;
        assert!(downgrades(&bare, &p).is_empty());
    }

    #[test]
    fn each_lowered_value_is_its_own_downgrade() {
        let p = pin();
        let mut s = pin();
        s.os_patch_level = Some(202609);
        assert_eq!(fields(&p, &s), ["os_patch_level"]);
        let d = &downgrades(&p, &s)[0];
        assert_eq!((d.pinned.as_str(), d.seen.as_str()), ("202610", "202609"));
        let mut s = pin();
        s.verified_boot_key_sha256 = Some("cd".repeat(32));
        assert_eq!(fields(&p, &s), ["verified_boot_key"]);
        let mut s = pin();
        s.security_level = AttestedSecurityLevel::Software;
        assert_eq!(fields(&p, &s), ["security_level"]);
        assert_eq!(downgrades(&p, &s)[0].seen, "software");
        let mut s = pin();
        s.os_version = Some(140000);
        s.vendor_patch_level = Some(20261004);
        s.boot_patch_level = None;
        assert_eq!(
            fields(&p, &s),
            ["os_version", "vendor_patch_level", "boot_patch_level"]
        );
        assert_eq!(downgrades(&p, &s)[2].seen, "absent");
        let mut s = pin();
        s.verified_boot_key_sha256 = None;
        assert_eq!(fields(&p, &s), ["verified_boot_key"]);
    }

    #[test]
    fn patch_levels_of_either_form_compare_by_month_across_forms() {
        assert!(patch_lower(202609, 202610));
        assert!(!patch_lower(202610, 202610));
        assert!(patch_lower(20261004, 20261005));
        // YYYYMM against YYYYMMDD: the month decides.
        assert!(!patch_lower(202610, 20261005));
        assert!(!patch_lower(20261001, 202610));
        assert!(patch_lower(20260930, 202610));
    }

    #[test]
    fn a_pin_is_due_once_the_interval_has_passed() {
        let day = 86_400;
        let pinned = datetime!(2026-11-01 00:00 UTC).unix_timestamp();
        assert!(!reattestation_due(pinned, pinned + 7 * day - 1, 7 * day));
        assert!(reattestation_due(pinned, pinned + 7 * day, 7 * day));
        assert!(reattestation_due(pinned, pinned, 0));
        // A clock that went back is not "due".
        assert!(!reattestation_due(pinned, pinned - day, 7 * day));
    }

    #[test]
    fn a_failing_attested_fact_asks_after_one_check_in_a_broken_pin_never() {
        let (day, hours6) = (86_400, 6 * 3600);
        let mut p = PinStatus {
            pinned_at: 1_000_000,
            broken: false,
            wants_fresh_facts: false,
        };
        let at = |s: i64| p.pinned_at + s;
        assert!(!p.asks_for_chain(at(hours6), 7 * day, hours6));
        assert!(!p.asks_for_chain(at(day), 7 * day, hours6));
        assert!(p.asks_for_chain(at(7 * day), 7 * day, hours6));
        p.wants_fresh_facts = true;
        assert!(!p.asks_for_chain(at(hours6 - 1), 7 * day, hours6));
        assert!(p.asks_for_chain(at(hours6), 7 * day, hours6));
        p.broken = true;
        assert!(!p.asks_for_chain(at(30 * day), 7 * day, hours6));
    }
}
