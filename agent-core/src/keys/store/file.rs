//! The file store: one 0600 file, replaced atomically.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use zeroize::Zeroizing;

use super::{SecretStore, StoreError};
use crate::b64;

/// Secrets in one file, mode 0600, every change written to a temporary file
/// and renamed over the old one, so a crash leaves the old or the new file,
/// never half of one. Use it only when no keychain is reachable.
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    lock: Mutex<()>,
}

/// Largest secrets file accepted.
const MAX_FILE_STORE_BYTES: u64 = 64 * 1024;

impl FileStore {
    /// A store in the file at `path` (created on first write).
    pub fn new(path: impl Into<PathBuf>) -> FileStore {
        FileStore {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }

    /// The file this store writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn load(&self) -> Result<BTreeMap<String, Zeroizing<Vec<u8>>>, StoreError> {
        let text = match read_secret_file(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => {
                return Err(StoreError::Backend(format!(
                    "cannot read {}: {e}",
                    self.path.display()
                )));
            }
        };
        let raw: BTreeMap<String, String> = crate::json::from_str(&text).map_err(|e| {
            StoreError::Corrupt(format!(
                "{} is not a secrets file (line {}, column {})",
                self.path.display(),
                e.line(),
                e.column()
            ))
        })?;
        let mut out = BTreeMap::new();
        for (name, encoded) in raw {
            let bytes = b64::decode(&encoded).map_err(|_| {
                StoreError::Corrupt(format!(
                    "{}: entry {name:?} is not base64url",
                    self.path.display()
                ))
            })?;
            out.insert(name, Zeroizing::new(bytes));
        }
        Ok(out)
    }

    fn save(&self, map: &BTreeMap<String, Zeroizing<Vec<u8>>>) -> Result<(), StoreError> {
        let encoded: BTreeMap<&str, String> = map
            .iter()
            .map(|(k, v)| (k.as_str(), b64::encode(v)))
            .collect();
        let text = Zeroizing::new(
            serde_json::to_string(&encoded).map_err(|e| StoreError::Backend(e.to_string()))?,
        );
        atomic_write_private(&self.path, text.as_bytes())
            .map_err(|e| StoreError::Backend(format!("cannot write {}: {e}", self.path.display())))
    }
}

impl SecretStore for FileStore {
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        let _guard = self
            .lock
            .lock()
            .map_err(|_| StoreError::Backend("file store lock poisoned".into()))?;
        Ok(self.load()?.remove(name))
    }

    fn put(&self, name: &str, secret: &[u8]) -> Result<(), StoreError> {
        let _guard = self
            .lock
            .lock()
            .map_err(|_| StoreError::Backend("file store lock poisoned".into()))?;
        let mut map = self.load()?;
        map.insert(name.to_owned(), Zeroizing::new(secret.to_vec()));
        self.save(&map)
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        let _guard = self
            .lock
            .lock()
            .map_err(|_| StoreError::Backend("file store lock poisoned".into()))?;
        let mut map = self.load()?;
        if map.remove(name).is_some() {
            if map.is_empty() {
                // The last secret: leave no file behind.
                return remove_secret_file(&self.path);
            }
            self.save(&map)?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!("file {} (mode 0600; no keychain)", self.path.display())
    }
}

fn remove_secret_file(path: &Path) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::Backend(format!(
            "cannot remove {}: {e}",
            path.display()
        ))),
    }
}

fn read_secret_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    fs::File::open(path)?
        .take(MAX_FILE_STORE_BYTES)
        .read_to_string(&mut text)?;
    Ok(text)
}

/// Writes `bytes` to a fresh temporary file beside `path` with mode 0600,
/// syncs it, renames it over `path` and syncs the directory.
pub(crate) fn atomic_write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        #[cfg(unix)]
        fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::super::tests::round_trip;
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("posture-store-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir.join("secrets.json")
    }

    #[test]
    fn file_store_persists_with_mode_0600() {
        let path = temp_path("persist");
        round_trip(&FileStore::new(&path));
        // A second instance sees what the first wrote.
        assert_eq!(
            FileStore::new(&path).get("b").unwrap().unwrap().as_slice(),
            b"second"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        // No temporary file is left behind.
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn deleting_the_last_secret_removes_the_file() {
        let path = temp_path("last");
        let store = FileStore::new(&path);
        store.put("a", b"1").unwrap();
        store.put("b", b"2").unwrap();
        store.delete("a").unwrap();
        assert!(path.exists());
        store.delete("b").unwrap();
        assert!(!path.exists(), "an empty secrets file was left");
        store.delete("b").unwrap();
        assert_eq!(store.get("b").unwrap(), None);
    }

    #[test]
    fn corrupt_file_is_a_clear_error_and_is_not_overwritten() {
        let path = temp_path("corrupt");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "{not json").unwrap();
        let store = FileStore::new(&path);
        assert!(matches!(store.get("a"), Err(StoreError::Corrupt(_))));
        assert!(matches!(store.put("a", b"x"), Err(StoreError::Corrupt(_))));
        assert_eq!(fs::read_to_string(&path).unwrap(), "{not json");
        fs::write(&path, r#"{"a":"***"}"#).unwrap();
        let err = store.get("a").unwrap_err().to_string();
        assert!(
            err.contains("not base64url") && !err.contains("***"),
            "{err}"
        );
    }
}
