//! JSON lines: one OCSF object per line, on standard output or in a file
//! rotated by size (PATH, then PATH.1 newest to PATH.N oldest).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::sink::Deliver;
use super::{Event, EventsError};

/// Standard output.
pub(crate) struct Stdout;

impl Deliver for Stdout {
    fn deliver(&mut self, _: &Event, json: &str) -> Result<(), EventsError> {
        let mut out = std::io::stdout().lock();
        out.write_all(json.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush())
            .map_err(|e| EventsError::io("write an event to standard output", e))
    }
}

/// A file, rotated when the next line would take it past the limit.
pub(crate) struct JsonLinesFile {
    path: PathBuf,
    rotate_bytes: u64,
    keep: u32,
    file: Option<File>,
    size: u64,
}

impl JsonLinesFile {
    /// Opens (or creates, 0600) the file for appending; fails at start
    /// rather than at the first event when the folder is not writable.
    pub fn open(path: PathBuf, rotate_bytes: u64, keep: u32) -> Result<JsonLinesFile, EventsError> {
        let mut f = JsonLinesFile {
            path,
            rotate_bytes: rotate_bytes.max(1),
            keep,
            file: None,
            size: 0,
        };
        f.reopen()?;
        Ok(f)
    }

    fn reopen(&mut self) -> Result<(), EventsError> {
        let file = open_append(&self.path)
            .map_err(|e| EventsError::io(format!("open {}", self.path.display()), e))?;
        self.size = file
            .metadata()
            .map_err(|e| EventsError::io(format!("read {}", self.path.display()), e))?
            .len();
        self.file = Some(file);
        Ok(())
    }

    /// PATH.(N-1) -> PATH.N, ..., PATH -> PATH.1; the oldest beyond N goes.
    fn rotate(&mut self) -> Result<(), EventsError> {
        self.file = None;
        let numbered = |n: u32| -> PathBuf {
            let mut s = self.path.clone().into_os_string();
            s.push(format!(".{n}"));
            PathBuf::from(s)
        };
        if self.keep == 0 {
            std::fs::remove_file(&self.path)
                .map_err(|e| EventsError::io(format!("remove {}", self.path.display()), e))?;
        } else {
            for n in (1..self.keep).rev() {
                let from = numbered(n);
                if from.exists() {
                    rename(&from, &numbered(n + 1))?;
                }
            }
            rename(&self.path, &numbered(1))?;
        }
        self.reopen()
    }
}

fn rename(from: &Path, to: &Path) -> Result<(), EventsError> {
    std::fs::rename(from, to)
        .map_err(|e| EventsError::io(format!("rotate {} to {}", from.display(), to.display()), e))
}

fn open_append(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

impl Deliver for JsonLinesFile {
    fn deliver(&mut self, _: &Event, json: &str) -> Result<(), EventsError> {
        let len = json.len() as u64 + 1;
        if self.size > 0 && self.size + len > self.rotate_bytes {
            self.rotate()?;
        }
        if self.file.is_none() {
            self.reopen()?;
        }
        let Some(file) = self.file.as_mut() else {
            return Err(EventsError::Delivery(format!(
                "{} is not open",
                self.path.display()
            )));
        };
        let mut line = Vec::with_capacity(json.len() + 1);
        line.extend_from_slice(json.as_bytes());
        line.push(b'\n');
        // One write of the whole line, so a reader never sees half of one
        // (O_APPEND); on failure reopen before the retry.
        match file.write_all(&line) {
            Ok(()) => {
                self.size += len;
                Ok(())
            }
            Err(e) => {
                self.file = None;
                Err(EventsError::io(format!("write {}", self.path.display()), e))
            }
        }
    }
}
