//! `/proc/self/mountinfo` and device-mapper UUIDs: how the Linux probe finds
//! the block device under `/` and whether dm-crypt sits beneath it.

use super::MAX_INPUT_BYTES;

/// One mount from mountinfo (the fields the probe needs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    /// Device major number (0 for virtual and some multi-device filesystems).
    pub major: u32,
    /// Device minor number.
    pub minor: u32,
    /// Where it is mounted, unescaped.
    pub mount_point: String,
    /// Filesystem type ("ext4", "btrfs", "overlay").
    pub fs_type: String,
    /// Mount source ("/dev/mapper/vg-root", "overlay").
    pub source: String,
}

/// Why mountinfo could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MountInfoError {
    /// Nothing to parse.
    #[error("{}", crate::probe::why("reason-parse-mountinfo-empty", &[]))]
    Empty,
    /// Larger than the parser accepts.
    #[error("{}", crate::probe::why(
        "reason-parse-mountinfo-too-large",
        &[("bytes", &.0.to_string()), ("limit", &MAX_MOUNTINFO_BYTES.to_string())],
    ))]
    TooLarge(usize),
    /// A line does not have the mountinfo shape.
    #[error("{}", crate::probe::why(
        "reason-parse-mountinfo-bad-line",
        &[("line", &line.to_string()), ("what", what)],
    ))]
    BadLine {
        /// 1-based line number.
        line: usize,
        /// What is missing or wrong.
        what: &'static str,
    },
}

/// mountinfo grows with containers and snaps; allow more than other sources.
pub const MAX_MOUNTINFO_BYTES: usize = 4 * MAX_INPUT_BYTES;

/// Parses mountinfo text (see proc(5)).
pub fn parse_mountinfo(text: &str) -> Result<Vec<MountEntry>, MountInfoError> {
    if text.len() > MAX_MOUNTINFO_BYTES {
        return Err(MountInfoError::TooLarge(text.len()));
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |what| MountInfoError::BadLine { line: i + 1, what };
        let fields: Vec<&str> = line.split(' ').collect();
        // id parent major:minor root mount-point options [optional...] - fstype source superoptions
        let sep = fields
            .iter()
            .position(|f| *f == "-")
            .ok_or(bad("no ' - ' separator"))?;
        if sep < 6 || fields.len() < sep + 3 {
            return Err(bad("too few fields"));
        }
        let (major, minor) = parse_dev(fields[2]).ok_or(bad("device is not major:minor"))?;
        out.push(MountEntry {
            major,
            minor,
            mount_point: unescape(fields[4]),
            fs_type: fields[sep + 1].to_owned(),
            source: unescape(fields[sep + 2]),
        });
    }
    if out.is_empty() {
        return Err(MountInfoError::Empty);
    }
    Ok(out)
}

/// The mount visible at `/`: the last one listed, since later mounts cover
/// earlier ones.
pub fn root_mount(entries: &[MountEntry]) -> Option<&MountEntry> {
    entries.iter().rev().find(|e| e.mount_point == "/")
}

/// Parses "254:0".
pub fn parse_dev(text: &str) -> Option<(u32, u32)> {
    let (a, b) = text.trim().split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// mountinfo escapes space, tab, newline and backslash as octal (`\040`).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && let Some(oct) = bytes.get(i + 1..i + 4)
            && oct.iter().all(|b| (b'0'..=b'7').contains(b))
        {
            // Three octal digits: at most 0o777, so keep the low byte as the kernel wrote it.
            let v = oct
                .iter()
                .fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0'));
            out.push((v & 0xff) as u8);
            i += 4;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The dm-crypt method named by a device-mapper UUID, or None when the
/// device is not a dm-crypt target.
///
/// cryptsetup sets `dm/uuid` to `CRYPT-<TYPE>-<uuid>-<name>`, e.g.
/// `CRYPT-LUKS2-5a4f...-luks-5a4f...`; LVM volumes are `LVM-...`.
pub fn dm_crypt_method(dm_uuid: &str) -> Option<String> {
    let rest = dm_uuid.trim().strip_prefix("CRYPT-")?;
    let kind = rest.split('-').next().unwrap_or("");
    Some(match kind {
        "LUKS1" => "LUKS1 (dm-crypt)".to_owned(),
        "LUKS2" => "LUKS2 (dm-crypt)".to_owned(),
        "PLAIN" => "plain dm-crypt".to_owned(),
        "BITLK" => "BitLocker (dm-crypt)".to_owned(),
        "TCRYPT" => "TrueCrypt/VeraCrypt (dm-crypt)".to_owned(),
        "" => "dm-crypt".to_owned(),
        other => format!("dm-crypt ({})", other.chars().take(16).collect::<String>()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // This build machine: ext4 on a virtio disk, no encryption.
    const VM: &str = include_str!("fixtures/mountinfo-vm-ext4");
    // A Fedora laptop: btrfs (major 0) on LUKS2.
    const FEDORA_BTRFS: &str = include_str!("fixtures/mountinfo-fedora-btrfs-luks");
    // Ubuntu's installer with LVM on LUKS: / is a dm device (253:1).
    const UBUNTU_LVM: &str = include_str!("fixtures/mountinfo-ubuntu-lvm-luks");
    // Inside a Docker container: / is overlay.
    const DOCKER: &str = include_str!("fixtures/mountinfo-docker-overlay");

    #[test]
    fn finds_the_root_mount() {
        let cases = [
            (VM, 254, 0, "ext4", "/dev/vda"),
            (
                FEDORA_BTRFS,
                0,
                35,
                "btrfs",
                "/dev/mapper/luks-2b8c6f32-5b0e-4a2f-9a57-6a1f3c1a0c51",
            ),
            (UBUNTU_LVM, 253, 1, "ext4", "/dev/mapper/vgubuntu-root"),
            (DOCKER, 0, 80, "overlay", "overlay"),
        ];
        for (text, major, minor, fs, source) in cases {
            let entries = parse_mountinfo(text).unwrap();
            let root = root_mount(&entries).unwrap();
            assert_eq!((root.major, root.minor), (major, minor), "{source}");
            assert_eq!(root.fs_type, fs);
            assert_eq!(root.source, source);
        }
    }

    #[test]
    fn later_mount_covers_earlier() {
        let text = "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n2 1 0:5 / / rw - tmpfs tmpfs rw\n";
        let entries = parse_mountinfo(text).unwrap();
        assert_eq!(root_mount(&entries).unwrap().fs_type, "tmpfs");
    }

    #[test]
    fn unescapes_octal() {
        let text = "36 35 98:0 /mnt1 /mnt\\040with\\040space rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n";
        let e = &parse_mountinfo(text).unwrap()[0];
        assert_eq!(e.mount_point, "/mnt with space");
        assert_eq!(e.source, "/dev/root");
        assert_eq!(unescape("a\\"), "a\\");
        assert_eq!(unescape("a\\04"), "a\\04");
    }

    #[test]
    fn empty_truncated_and_garbage() {
        assert_eq!(parse_mountinfo(""), Err(MountInfoError::Empty));
        let first = VM.lines().next().unwrap();
        let truncated = &first[..first.len() / 2];
        assert!(matches!(
            parse_mountinfo(truncated),
            Err(MountInfoError::BadLine { line: 1, .. })
        ));
        assert!(matches!(
            parse_mountinfo("\u{7f}ELF\u{2}\u{1}"),
            Err(MountInfoError::BadLine { .. })
        ));
        assert!(matches!(
            parse_mountinfo("1 2 x:y / / rw - ext4 /dev/sda rw"),
            Err(MountInfoError::BadLine {
                what: "device is not major:minor",
                ..
            })
        ));
        assert!(matches!(
            parse_mountinfo(&"x".repeat(MAX_MOUNTINFO_BYTES + 1)),
            Err(MountInfoError::TooLarge(_))
        ));
    }

    #[test]
    fn dm_uuids() {
        let cases = [
            (
                "CRYPT-LUKS2-2b8c6f325b0e4a2f9a576a1f3c1a0c51-luks-2b8c6f32-5b0e-4a2f-9a57-6a1f3c1a0c51",
                Some("LUKS2 (dm-crypt)"),
            ),
            (
                "CRYPT-LUKS1-0c4d2a1b8e7f4c3aa1b2c3d4e5f60718-sda3_crypt",
                Some("LUKS1 (dm-crypt)"),
            ),
            ("CRYPT-PLAIN-swap", Some("plain dm-crypt")),
            (
                "LVM-Yl0ZyX7dC3vQm3nJfA1bC2dE3fG4hI5jK6lM7nO8pQ9rS0tU1vW2xY3zA4bC5dE",
                None,
            ),
            ("", None),
            ("mpath-3600508b400105e210000900000490000", None),
        ];
        for (uuid, method) in cases {
            assert_eq!(dm_crypt_method(uuid).as_deref(), method, "{uuid}");
        }
    }
}
