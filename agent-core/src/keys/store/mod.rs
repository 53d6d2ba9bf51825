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

#[cfg(test)]
pub(super) mod tests {
    use super::*;

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
