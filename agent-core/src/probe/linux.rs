//! The Linux desktop probe: thin reads of files and commands, handed to the
//! pure parsers in [`super::parse`].
//!
//! No root privileges are needed. Sources are named without the user's home
//! path or host name, so nothing identifying leaks into the posture.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::parse::efivar::{SECURE_BOOT_VAR, parse_efivar_bool};
use super::parse::mountinfo::{dm_crypt_method, parse_dev, parse_mountinfo, root_mount};
use super::parse::os_release::{OsRelease, parse_os_release};
use super::{MAX_SOURCE_BYTES, PostureProbe, source_error, why};
use crate::posture::{
    Fact, HardwareKeyStore, IndicatorKind, IntegrityIndicator, OsFacts, Platform, Posture,
    StorageEncryption, Tpm,
};

mod lock;

/// Reads posture from the running Linux system.
#[derive(Debug, Clone)]
pub struct LinuxProbe {
    root: PathBuf,
}

impl LinuxProbe {
    /// A probe of this machine.
    pub fn new() -> Self {
        LinuxProbe {
            root: PathBuf::from("/"),
        }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.root.join(p.trim_start_matches('/'))
    }

    fn read(&self, p: &str) -> Result<String, String> {
        read_bounded(&self.path(p)).map_err(|e| cannot("reason-cannot-read", p, &e))
    }
}

impl Default for LinuxProbe {
    fn default() -> Self {
        Self::new()
    }
}

impl PostureProbe for LinuxProbe {
    fn collect(&self) -> Posture {
        let not_read = why("reason-not-read", &[]);
        let mut p = Posture::unknown(Platform::Linux, &not_read, OffsetDateTime::now_utc());
        p.os = self.os();
        p.security_patch = Fact::unknown(why("reason-linux-no-patch-level", &[]));
        p.storage_encryption = self.storage_encryption();
        (p.screen_lock, p.auto_lock) = lock::screen_lock();
        p.developer_mode = Fact::unknown(why("reason-linux-no-developer-mode", &[]));
        p.usb_debugging = Fact::unknown(why("reason-linux-no-usb-debugging", &[]));
        p.integrity = vec![self.unsigned_module()];
        p.secure_boot = self.secure_boot();
        p.tpm = self.tpm();
        p.hardware_key_store = match &p.tpm {
            Fact::Observed {
                value: Tpm::Present { .. },
                source,
            } => Fact::observed(HardwareKeyStore::Tpm, source.clone()),
            Fact::Observed {
                value: Tpm::Absent,
                source,
            } => Fact::observed(HardwareKeyStore::None, source.clone()),
            Fact::Unknown { reason } => Fact::unknown(reason.clone()),
        };
        p
    }
}

impl LinuxProbe {
    fn os(&self) -> OsFacts {
        let kernel = Fact::from((
            self.read("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_owned()),
            "/proc/sys/kernel/osrelease",
        ));
        let (release, source) = match self.os_release() {
            Ok(found) => found,
            Err(reason) => {
                return OsFacts {
                    id: Fact::unknown(reason.clone()),
                    id_like: Vec::new(),
                    name: Fact::unknown(reason.clone()),
                    version: Fact::unknown(reason.clone()),
                    build: Fact::unknown(reason),
                    kernel,
                };
            }
        };
        let version = match (release.version_id, release.version) {
            (Some(v), _) | (None, Some(v)) => Fact::observed(v, source.clone()),
            (None, None) => {
                Fact::unknown(why("reason-linux-no-version-id", &[("source", &source)]))
            }
        };
        let build = match release.build_id {
            Some(b) => Fact::observed(b, source.clone()),
            None => Fact::unknown(why("reason-linux-no-build-id", &[("source", &source)])),
        };
        OsFacts {
            id: Fact::observed(release.id, source.clone()),
            id_like: release.id_like,
            name: Fact::observed(release.name, source),
            version,
            build,
            kernel,
        }
    }

    /// `/etc/os-release`, or `/usr/lib/os-release` when the former is
    /// missing, unreadable or holds no assignment (os-release(5)), with the
    /// source to cite.
    fn os_release(&self) -> Result<(OsRelease, String), String> {
        let mut reasons = Vec::new();
        for path in ["/etc/os-release", "/usr/lib/os-release"] {
            match self.read(path).and_then(|t| {
                parse_os_release(&t).map_err(|e| {
                    why(
                        "reason-source-error",
                        &[("source", path), ("error", &e.to_string())],
                    )
                })
            }) {
                Ok(release) => {
                    let source = match release.skipped_lines.as_slice() {
                        [] => path.to_owned(),
                        lines => format!(
                            "{path} (malformed line{} {} skipped)",
                            if lines.len() == 1 { "" } else { "s" },
                            lines
                                .iter()
                                .map(usize::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    return Ok((release, source));
                }
                Err(reason) => reasons.push(reason),
            }
        }
        Err(why(
            "reason-linux-os-release-neither",
            &[
                ("first", reasons.first().map_or("", String::as_str)),
                ("second", reasons.get(1).map_or("", String::as_str)),
            ],
        ))
    }

    /// Follows the `/` mount to its block device and down through
    /// device-mapper `slaves/` looking for a dm-crypt layer.
    fn storage_encryption(&self) -> Fact<StorageEncryption> {
        const SRC: &str = "/proc/self/mountinfo";
        let entries = match self
            .read(SRC)
            .and_then(|t| parse_mountinfo(&t).map_err(|e| source_error(SRC, &e.to_string())))
        {
            Ok(e) => e,
            Err(reason) => return Fact::unknown(reason),
        };
        let Some(root) = root_mount(&entries) else {
            return Fact::unknown(why("reason-linux-no-root-mount", &[("source", SRC)]));
        };
        let (major, minor) = if root.major != 0 {
            (root.major, root.minor)
        } else {
            // btrfs and some others report an anonymous device: resolve the
            // mount source (/dev/mapper/...) to its device number instead.
            match device_of(&root.source) {
                Some(dev) => dev,
                None => {
                    // A path is the machine's, not the person's: say what it is.
                    let from = if root.source.starts_with('/') {
                        why("reason-linux-a-device-path", &[])
                    } else {
                        format!("{:?}", root.source)
                    };
                    return Fact::unknown(why(
                        "reason-linux-root-not-block-device",
                        &[("fs_type", &root.fs_type), ("from", &from)],
                    ));
                }
            }
        };
        let dev_dir = self.path(&format!("/sys/dev/block/{major}:{minor}"));
        let source = format!("{SRC} → /sys/dev/block/{major}:{minor}");
        match crypt_layers(&dev_dir, 0) {
            Ok(Layers::Encrypted(method)) => {
                Fact::observed(StorageEncryption::Encrypted { method }, source)
            }
            Ok(Layers::Plain) => Fact::observed(
                StorageEncryption::NotEncrypted,
                why("reason-linux-observed-no-dm-crypt", &[("source", &source)]),
            ),
            Err(reason) => Fact::unknown(why(
                "reason-source-error",
                &[("source", &source), ("error", &reason)],
            )),
        }
    }

    fn secure_boot(&self) -> Fact<bool> {
        let efi = self.path("/sys/firmware/efi");
        if !efi.exists() {
            return Fact::unknown(why("reason-linux-no-efi", &[]));
        }
        let var = format!("/sys/firmware/efi/efivars/{SECURE_BOOT_VAR}");
        match fs::read(self.path(&var)) {
            Ok(bytes) => Fact::from((parse_efivar_bool(&bytes), var.as_str())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // UEFI without the variable means firmware without Secure Boot.
                Fact::observed(
                    false,
                    why("reason-linux-observed-absent", &[("path", &var)]),
                )
            }
            Err(e) => Fact::unknown(cannot("reason-cannot-read", &var, &e)),
        }
    }

    fn tpm(&self) -> Fact<Tpm> {
        const SRC: &str = "/sys/class/tpm";
        let dir = self.path(SRC);
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Fact::observed(
                    Tpm::Absent,
                    why("reason-linux-observed-no-tpm", &[("path", SRC)]),
                );
            }
            Err(e) => return Fact::unknown(cannot("reason-cannot-list", SRC, &e)),
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("tpm") && !n.starts_with("tpmrm"))
            .collect();
        names.sort();
        let Some(first) = names.first() else {
            return Fact::observed(Tpm::Absent, why("reason-linux-observed-tpm-empty", &[]));
        };
        let version = read_bounded(&dir.join(first).join("tpm_version_major"))
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        Fact::observed(Tpm::Present { version }, format!("{SRC}/{first}"))
    }

    /// Kernel taint flag E (bit 13): an unsigned module was loaded.
    fn unsigned_module(&self) -> IntegrityIndicator {
        const SRC: &str = "/proc/sys/kernel/tainted";
        let tripped = self
            .read(SRC)
            .and_then(|t| {
                t.trim().parse::<u64>().map_err(|e| {
                    why(
                        "reason-source-error",
                        &[("source", SRC), ("error", &e.to_string())],
                    )
                })
            })
            .map(|mask| mask & (1 << 13) != 0);
        IntegrityIndicator {
            name: "unsigned_kernel_module".into(),
            kind: IndicatorKind::Heuristic,
            tripped: Fact::from((tripped, SRC)),
        }
    }
}

/// `cannot read {path}: {error}` and the like: `id` with the path and the
/// operating system's error text.
fn cannot(id: &'static str, path: &str, e: &std::io::Error) -> String {
    why(id, &[("path", path), ("error", &e.to_string())])
}

enum Layers {
    Encrypted(String),
    Plain,
}

/// Walks a block device and everything beneath it. Encrypted only when every
/// path down to the disks passes through dm-crypt.
fn crypt_layers(dev_dir: &Path, depth: u32) -> Result<Layers, String> {
    if depth > 8 {
        return Err(why("reason-linux-device-stack-too-deep", &[]));
    }
    if let Ok(uuid) = read_bounded(&dev_dir.join("dm/uuid"))
        && let Some(method) = dm_crypt_method(&uuid)
    {
        return Ok(Layers::Encrypted(method));
    }
    if dev_dir.join("loop/backing_file").exists() {
        return Err(why("reason-linux-loop-device", &[]));
    }
    let slaves: Vec<PathBuf> = match fs::read_dir(dev_dir.join("slaves")) {
        Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(cannot("reason-cannot-list", "slaves", &e)),
    };
    if slaves.is_empty() {
        if !dev_dir.exists() {
            return Err(why("reason-linux-device-not-in-sys", &[]));
        }
        return Ok(Layers::Plain);
    }
    let mut method = None;
    for slave in slaves {
        match crypt_layers(&slave, depth + 1)? {
            Layers::Plain => return Ok(Layers::Plain),
            Layers::Encrypted(m) => method = Some(m),
        }
    }
    Ok(method.map_or(Layers::Plain, Layers::Encrypted))
}

/// The device number of a `/dev/...` path.
fn device_of(source: &str) -> Option<(u32, u32)> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    if !source.starts_with("/dev/") {
        return None;
    }
    let meta = fs::metadata(source).ok()?;
    if !meta.file_type().is_block_device() {
        return None;
    }
    let rdev = meta.rdev();
    // glibc's major()/minor() encoding.
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
    parse_dev(&format!("{major}:{minor}"))
}

fn read_bounded(path: &Path) -> std::io::Result<String> {
    let mut text = String::new();
    fs::File::open(path)?
        .take(MAX_SOURCE_BYTES)
        .read_to_string(&mut text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake sysfs tree: / on dm-1 (LVM) on dm-0 (LUKS2) on sda3.
    fn fake_tree(crypt: bool) -> tempdir::TempTree {
        let t = tempdir::TempTree::new();
        t.file(
            "proc/self/mountinfo",
            "29 1 253:1 / / rw - ext4 /dev/mapper/vg-root rw\n",
        );
        t.file("sys/dev/block/253:1/dm/uuid", "LVM-abc\n");
        let dm0 = t.dir("sys/devices/virtual/block/dm-0");
        t.file(
            "sys/devices/virtual/block/dm-0/dm/uuid",
            if crypt {
                "CRYPT-LUKS2-0123-luks-0123\n"
            } else {
                "LVM-pv\n"
            },
        );
        t.dir("sys/devices/pci/block/sda/sda3");
        t.symlink(&dm0, "sys/dev/block/253:1/slaves/dm-0");
        t.symlink(
            &t.path("sys/devices/pci/block/sda/sda3"),
            "sys/devices/virtual/block/dm-0/slaves/sda3",
        );
        t
    }

    #[test]
    fn follows_lvm_on_luks() {
        let t = fake_tree(true);
        let probe = LinuxProbe { root: t.root() };
        match probe.storage_encryption() {
            Fact::Observed { value, source } => {
                assert_eq!(
                    value,
                    StorageEncryption::Encrypted {
                        method: "LUKS2 (dm-crypt)".into()
                    }
                );
                assert!(source.contains("253:1"), "{source}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lvm_without_crypt_is_not_encrypted() {
        let t = fake_tree(false);
        let probe = LinuxProbe { root: t.root() };
        assert!(matches!(
            probe.storage_encryption(),
            Fact::Observed {
                value: StorageEncryption::NotEncrypted,
                ..
            }
        ));
    }

    #[test]
    fn overlay_is_unknown_with_reason() {
        let t = tempdir::TempTree::new();
        t.file(
            "proc/self/mountinfo",
            "80 61 0:80 / / rw - overlay overlay rw,lowerdir=/x\n",
        );
        let probe = LinuxProbe { root: t.root() };
        match probe.storage_encryption() {
            Fact::Unknown { reason } => assert!(reason.contains("overlay"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tpm_and_secure_boot() {
        let t = tempdir::TempTree::new();
        t.file("sys/class/tpm/tpm0/tpm_version_major", "2\n");
        t.file(
            &format!("sys/firmware/efi/efivars/{SECURE_BOOT_VAR}"),
            "\u{6}\u{0}\u{0}\u{0}\u{1}",
        );
        let probe = LinuxProbe { root: t.root() };
        assert_eq!(
            probe.tpm().value(),
            Some(&Tpm::Present {
                version: Some("2".into())
            })
        );
        assert_eq!(probe.secure_boot().value(), Some(&true));

        let empty = tempdir::TempTree::new();
        let probe = LinuxProbe { root: empty.root() };
        assert_eq!(probe.tpm().value(), Some(&Tpm::Absent));
        assert!(probe.secure_boot().value().is_none());
    }

    #[test]
    fn every_reason_on_a_bare_or_broken_system_can_be_read_back() {
        use crate::l10n::reason::unrecoverable_reasons;
        // Nothing to read at all.
        let empty = tempdir::TempTree::new();
        let posture = LinuxProbe { root: empty.root() }.collect();
        assert!(posture.storage_encryption.value().is_none());
        assert_eq!(unrecoverable_reasons(&posture), Vec::<String>::new());
        // Files that are there but say nothing useful.
        let t = tempdir::TempTree::new();
        t.file("etc/os-release", "ID=debian\n");
        t.file("proc/self/mountinfo", "");
        t.file("proc/sys/kernel/tainted", "lots\n");
        t.file("sys/firmware/efi/.keep", "");
        let posture = LinuxProbe { root: t.root() }.collect();
        assert!(posture.os.version.value().is_none());
        assert_eq!(unrecoverable_reasons(&posture), Vec::<String>::new());
    }

    #[test]
    fn taint_bit_13() {
        let t = tempdir::TempTree::new();
        t.file("proc/sys/kernel/tainted", "12288\n"); // bits 12 (O) and 13 (E)
        let probe = LinuxProbe { root: t.root() };
        assert_eq!(probe.unsigned_module().tripped.value(), Some(&true));
        t.file("proc/sys/kernel/tainted", "4096\n");
        assert_eq!(probe.unsigned_module().tripped.value(), Some(&false));
    }

    #[test]
    fn os_release_falls_back_to_usr_lib() {
        let debian = include_str!("parse/fixtures/os-release-debian-12");
        let rocky = include_str!("parse/fixtures/os-release-rocky-9.4");
        // /etc/os-release empty: /usr/lib/os-release is used.
        let t = tempdir::TempTree::new();
        t.file("etc/os-release", "");
        t.file("usr/lib/os-release", rocky);
        let os = LinuxProbe { root: t.root() }.os();
        assert_eq!(os.id.value().map(String::as_str), Some("rocky"));
        assert_eq!(os.id_like, ["rhel", "centos", "fedora"]);
        assert_eq!(os.version.value().map(String::as_str), Some("9.4"));
        assert_eq!(os.id.provenance(), "/usr/lib/os-release");
        // Missing: the same.
        let t = tempdir::TempTree::new();
        t.file("usr/lib/os-release", rocky);
        let os = LinuxProbe { root: t.root() }.os();
        assert_eq!(os.id.value().map(String::as_str), Some("rocky"));
        // Present and valid: /etc wins.
        t.file("etc/os-release", debian);
        let os = LinuxProbe { root: t.root() }.os();
        assert_eq!(os.id.value().map(String::as_str), Some("debian"));
        assert_eq!(os.id.provenance(), "/etc/os-release");
        // A malformed line is skipped and named in the source.
        t.file("etc/os-release", &format!("{debian}oops\n"));
        let os = LinuxProbe { root: t.root() }.os();
        assert_eq!(os.version.value().map(String::as_str), Some("12"));
        assert_eq!(
            os.id.provenance(),
            "/etc/os-release (malformed line 10 skipped)"
        );
        // Neither: unknown, with both reasons.
        let t = tempdir::TempTree::new();
        t.file("etc/os-release", "# nothing\n");
        let os = LinuxProbe { root: t.root() }.os();
        let reason = os.id.provenance();
        assert!(os.id.value().is_none());
        assert!(
            reason.contains("/etc/os-release: os-release has no KEY=value line"),
            "{reason}"
        );
        assert!(
            reason.contains("cannot read /usr/lib/os-release"),
            "{reason}"
        );
        assert!(os.id_like.is_empty());
    }

    /// The probe of this very machine: whatever its session, both lock
    /// facts are observed or say why not, and agree with each other.
    #[test]
    fn the_live_probe_reads_the_lock_of_this_session() {
        use crate::posture::{AutoLock, ScreenLock};
        let p = LinuxProbe::new().collect();
        match (&p.screen_lock, &p.auto_lock) {
            (Fact::Unknown { reason: a }, Fact::Unknown { reason: b }) => {
                assert!(!b.is_empty());
                // Without a session, both say the same thing.
                if a.starts_with("no graphical session") {
                    assert_eq!(a, b);
                }
            }
            (
                Fact::Observed {
                    value: ScreenLock::NotSet,
                    ..
                },
                auto,
            ) => {
                assert_eq!(auto.value(), Some(&AutoLock::Never));
            }
            (
                Fact::Observed {
                    value: ScreenLock::Set,
                    ..
                },
                auto,
            ) => {
                assert_ne!(auto.value(), Some(&AutoLock::Never));
            }
            (lock, auto) => panic!("{lock:?} with {auto:?}"),
        }
    }

    /// A tiny temporary directory helper, to keep test dependencies at zero.
    mod tempdir {
        use std::path::{Path, PathBuf};

        pub struct TempTree(PathBuf);

        impl TempTree {
            pub fn new() -> Self {
                use std::sync::atomic::{AtomicU32, Ordering};
                static N: AtomicU32 = AtomicU32::new(0);
                let dir = std::env::temp_dir().join(format!(
                    "posture-probe-test-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::SeqCst)
                ));
                std::fs::create_dir_all(&dir).unwrap();
                TempTree(dir)
            }
            pub fn root(&self) -> PathBuf {
                self.0.clone()
            }
            pub fn path(&self, rel: &str) -> PathBuf {
                self.0.join(rel)
            }
            pub fn dir(&self, rel: &str) -> PathBuf {
                let p = self.path(rel);
                std::fs::create_dir_all(&p).unwrap();
                p
            }
            pub fn file(&self, rel: &str, content: &str) {
                let p = self.path(rel);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, content).unwrap();
            }
            pub fn symlink(&self, target: &Path, rel: &str) {
                let p = self.path(rel);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::os::unix::fs::symlink(target, p).unwrap();
            }
        }

        impl Drop for TempTree {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }
}
