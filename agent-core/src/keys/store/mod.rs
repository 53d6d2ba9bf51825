//! Secret stores: where the device's private key is kept.
//!
//! - the OS keychain (Secret Service, macOS Keychain, Windows Credential
//!   Manager) — the default on desktops, behind the `keychain` feature;
//! - [`FileStore`]: one file, mode 0600, replaced atomically — only when asked
//!   for explicitly or when no keychain is reachable, with a warning;
//! - [`MemoryStore`]: for tests and virtual devices.

mod file;
#[cfg(feature = "keychain")]
mod keychain;
mod memory;

use std::path::PathBuf;

use zeroize::Zeroizing;

pub use file::FileStore;
#[cfg(feature = "keychain")]
pub use keychain::{DEFAULT_SERVICE, KeychainStore};
pub use memory::MemoryStore;

/// Where a secret (the device's PKCS#8 private key) is kept.
pub trait SecretStore: Send + Sync {
    /// The secret stored under `name`, or None when there is none.
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError>;
    /// Stores (or replaces) the secret under `name`.
    fn put(&self, name: &str, secret: &[u8]) -> Result<(), StoreError>;
    /// Deletes the secret under `name`; Ok when there was none.
    fn delete(&self, name: &str) -> Result<(), StoreError>;
    /// What kind of store this is, for status output.
    fn describe(&self) -> String;
}

/// Why a secret store operation failed. Never carries secret bytes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No keychain is reachable (no D-Bus session, daemon not running, locked).
    #[error("no keychain is reachable: {0}")]
    Unavailable(String),
    /// The store refused or failed the operation.
    #[error("secret store error: {0}")]
    Backend(String),
    /// A stored value is not what was written.
    #[error("stored secret is corrupt: {0}")]
    Corrupt(String),
}

/// Which secret store to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChoice {
    /// The OS keychain; an error when it is unreachable, never a fallback.
    Keychain,
    /// The 0600 file at this path.
    File(PathBuf),
    /// In memory only (tests, virtual devices).
    Memory,
    /// The OS keychain when reachable, else the file at `fallback`, with a warning.
    Auto {
        /// The file to use when no keychain is reachable.
        fallback: PathBuf,
    },
}

/// The file store's usual name inside a state directory (the agent's
/// recovery deletes it with the rest of the state).
pub const SECRETS_FILE: &str = "secrets.json";

/// Opens the store `choice` names. `Auto` probes the keychain with a
/// harmless read and falls back to the file only when the keychain is
/// [`StoreError::Unavailable`]; any other keychain error is returned.
pub fn open_store(choice: StoreChoice) -> Result<Box<dyn SecretStore>, StoreError> {
    match choice {
        StoreChoice::Keychain => open_keychain(),
        StoreChoice::File(path) => Ok(Box::new(FileStore::new(path))),
        StoreChoice::Memory => Ok(Box::new(MemoryStore::default())),
        StoreChoice::Auto { fallback } => match probe_keychain() {
            Ok(store) => Ok(store),
            Err(StoreError::Unavailable(why)) => {
                // Said once, when the file is first chosen; afterwards the
                // choice is known and repeating it is noise.
                if fallback.exists() {
                    tracing::debug!(fallback = %fallback.display(), reason = %why, "no OS keychain; using the key file");
                } else {
                    tracing::warn!(
                        "no OS keychain is reachable, so the device key is kept in {} (mode 0600); \
                         to use a keychain, start a Secret Service (e.g. gnome-keyring) or pass --key-store keychain",
                        fallback.display()
                    );
                    tracing::debug!(reason = %why, "why the keychain is unavailable");
                }
                Ok(Box::new(FileStore::new(fallback)))
            }
            Err(other) => Err(other),
        },
    }
}

/// The name `Auto` reads to see whether the keychain answers; nothing is
/// ever stored under it.
const PROBE_NAME: &str = "availability-probe";

/// Opens the keychain and reads one entry: connecting alone does not show
/// that the provider answers (or that it is unlocked enough to search).
fn probe_keychain() -> Result<Box<dyn SecretStore>, StoreError> {
    let store = open_keychain()?;
    store.get(PROBE_NAME)?;
    Ok(store)
}

#[cfg(feature = "keychain")]
fn open_keychain() -> Result<Box<dyn SecretStore>, StoreError> {
    Ok(Box::new(KeychainStore::new()?))
}

#[cfg(not(feature = "keychain"))]
fn open_keychain() -> Result<Box<dyn SecretStore>, StoreError> {
    Err(StoreError::Unavailable(
        "this build of agent-core has no keychain support (the `keychain` feature is off); \
         use the file store"
            .into(),
    ))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    #[test]
    fn explicit_file_and_memory_choices_open_those_stores() {
        let path = std::env::temp_dir()
            .join(format!("posture-store-{}-choice", std::process::id()))
            .join("secrets.json");
        let file = open_store(StoreChoice::File(path.clone())).unwrap();
        assert!(file.describe().contains(&path.display().to_string()));
        let memory = open_store(StoreChoice::Memory).unwrap();
        round_trip(memory.as_ref());
    }

    /// The behaviour every store must have, with binary secrets.
    pub(crate) fn round_trip(store: &dyn SecretStore) {
        assert!(store.get("a").unwrap().is_none());
        store.put("a", &[0, 1, 2, 0, 255]).unwrap();
        store.put("b", b"second").unwrap();
        assert_eq!(
            store.get("a").unwrap().unwrap().as_slice(),
            &[0, 1, 2, 0, 255]
        );
        store.put("a", b"replaced").unwrap();
        assert_eq!(store.get("a").unwrap().unwrap().as_slice(), b"replaced");
        store.delete("a").unwrap();
        store.delete("a").unwrap();
        assert!(store.get("a").unwrap().is_none());
        assert_eq!(store.get("b").unwrap().unwrap().as_slice(), b"second");
    }
}
