//! A collected posture carries nothing that identifies this machine or its
//! user: not the hostname, machine-id, MAC addresses or user name.

use agent_core::probe::local_probe;

/// Every identifier of this machine a careless probe might leak.
fn identifiers() -> Vec<(String, &'static str)> {
    let mut ids = Vec::new();
    let read = |p: &str| std::fs::read_to_string(p).ok().map(|s| s.trim().to_owned());
    for (path, what) in [
        ("/etc/hostname", "hostname"),
        ("/proc/sys/kernel/hostname", "hostname"),
        ("/etc/machine-id", "machine-id"),
        ("/var/lib/dbus/machine-id", "machine-id"),
        ("/sys/class/dmi/id/product_serial", "serial"),
        ("/sys/class/dmi/id/product_uuid", "product uuid"),
    ] {
        if let Some(v) = read(path).filter(|v| !v.is_empty()) {
            ids.push((v, what));
        }
    }
    if let Ok(dir) = std::fs::read_dir("/sys/class/net") {
        for entry in dir.flatten() {
            if let Some(mac) = read(&entry.path().join("address").to_string_lossy())
                && mac != "00:00:00:00:00:00"
                && !mac.is_empty()
            {
                ids.push((mac, "MAC address"));
            }
        }
    }
    for var in ["USER", "LOGNAME"] {
        if let Ok(v) = std::env::var(var) {
            ids.push((v, "user name"));
        }
    }
    if let Ok(home) = std::env::var("HOME") {
        ids.push((home, "home directory"));
    }
    ids
}

/// True when `needle` occurs in `hay` as a whole word (so the user "root" is
/// not found inside "/sys/.../rootfs", but is found as "root").
fn contains_word(hay: &str, needle: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    hay.match_indices(needle).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

#[test]
fn collected_posture_has_no_identifiers() {
    let Some(probe) = local_probe() else {
        eprintln!("no local probe on this OS");
        return;
    };
    let json = probe.collect().to_json_pretty();
    let ids = identifiers();
    assert!(
        ids.iter().any(|(_, w)| *w == "hostname"),
        "test could not read the hostname"
    );
    for (value, what) in ids {
        assert!(
            !contains_word(&json, &value),
            "posture contains the {what} {value:?}:\n{json}"
        );
        assert!(
            !json.to_lowercase().contains(&value.to_lowercase()) || value.len() < 6,
            "posture contains the {what} {value:?} (case-insensitive):\n{json}"
        );
    }
}

#[test]
fn word_matching() {
    assert!(contains_word("user root here", "root"));
    assert!(contains_word("\"root\"", "root"));
    assert!(!contains_word("rootfs", "root"));
    assert!(!contains_word("/dev/vda-root", "root"));
}
