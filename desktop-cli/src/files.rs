//! Reading the files a user names on the command line (policies, profiles,
//! CA certificates, keys, code lists): regular files only, and never more
//! than a documented limit, so `/dev/zero` cannot fill memory and a FIFO
//! cannot hang the command.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest policy file read: the core's own limit.
pub const MAX_POLICY_BYTES: u64 = agent_core::policy::MAX_POLICY_BYTES as u64;
/// Largest device profile read.
pub const MAX_PROFILE_BYTES: u64 = 64 * 1024;
/// Largest PEM (CA certificate) file read: a long chain is a few tens of KiB.
pub const MAX_PEM_BYTES: u64 = 1024 * 1024;
/// Largest key, token or codes file read.
pub const MAX_INPUT_BYTES: u64 = 1024 * 1024;

/// Why a user-given file was not read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// It could not be opened or read.
    #[error("cannot read {}: {}", .0.display(), .1)]
    Io(PathBuf, std::io::Error),
    /// It is a directory, FIFO, socket or device.
    #[error("{} is not a regular file ({}); give the path of a file", .0.display(), .1)]
    NotRegular(PathBuf, &'static str),
    /// It is larger than the limit for its kind.
    #[error("{} is larger than {} bytes, the limit for {}; is it the right file?", .0.display(), .1, .2)]
    TooLarge(PathBuf, u64, &'static str),
    /// It is not UTF-8 text.
    #[error("{} is not UTF-8 text", .0.display())]
    NotText(PathBuf),
}

/// What kind of non-regular file a metadata describes, in words.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    "not a regular file"
}

/// Opens without blocking: should a FIFO replace the file between the check
/// and the open, opening it still returns at once (and is then refused).
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Reads at most `limit` bytes of the regular file at `path`; `what` names
/// the kind of file in the error ("a policy").
pub fn read_bytes(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, FileError> {
    let io = |e| FileError::Io(path.to_owned(), e);
    // Follows symlinks, like the open below.
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(FileError::NotRegular(path.to_owned(), kind(&meta)));
    }
    let file = open_nonblocking(path).map_err(io)?;
    // The file opened may not be the one checked: check what was opened.
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(FileError::NotRegular(path.to_owned(), kind(&meta)));
    }
    if meta.len() > limit {
        return Err(FileError::TooLarge(path.to_owned(), limit, what));
    }
    let mut bytes = Vec::new();
    // The size can change after the check: read one byte past the limit to see.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge(path.to_owned(), limit, what));
    }
    Ok(bytes)
}

/// [`read_bytes`], as UTF-8 text.
pub fn read_text(path: &Path, limit: u64, what: &'static str) -> Result<String, FileError> {
    String::from_utf8(read_bytes(path, limit, what)?)
        .map_err(|_| FileError::NotText(path.to_owned()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_a_regular_file_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "0123456789").unwrap();
        assert_eq!(read_text(&path, 10, "a policy").unwrap(), "0123456789");
        let err = read_text(&path, 9, "a policy").unwrap_err();
        assert!(
            matches!(err, FileError::TooLarge(_, 9, "a policy")),
            "{err}"
        );
        assert!(err.to_string().contains("larger than 9 bytes"), "{err}");
    }

    #[test]
    fn refuses_directories_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_bytes(dir.path(), 10, "a policy").unwrap_err();
        assert!(
            matches!(err, FileError::NotRegular(_, "a directory")),
            "{err}"
        );
        let err = read_bytes(&dir.path().join("none"), 10, "a policy").unwrap_err();
        assert!(matches!(err, FileError::Io(..)), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_devices_without_reading_them() {
        let err = read_bytes(Path::new("/dev/zero"), 10, "a policy").unwrap_err();
        assert!(matches!(err, FileError::NotRegular(_, "a device")), "{err}");
    }

    #[test]
    fn refuses_non_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bin");
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        assert!(matches!(
            read_text(&path, 10, "a policy"),
            Err(FileError::NotText(_))
        ));
    }
}
