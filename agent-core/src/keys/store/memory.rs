//! The in-memory store, for tests and virtual devices.

use std::collections::BTreeMap;
use std::sync::Mutex;

use zeroize::Zeroizing;

use super::{SecretStore, StoreError};

/// An in-memory store: secrets vanish with the process.
#[derive(Default)]
pub struct MemoryStore {
    secrets: Mutex<BTreeMap<String, Zeroizing<Vec<u8>>>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryStore")
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        let map = self
            .secrets
            .lock()
            .map_err(|_| StoreError::Backend("memory store lock poisoned".into()))?;
        Ok(map.get(name).cloned())
    }

    fn put(&self, name: &str, secret: &[u8]) -> Result<(), StoreError> {
        let mut map = self
            .secrets
            .lock()
            .map_err(|_| StoreError::Backend("memory store lock poisoned".into()))?;
        map.insert(name.to_owned(), Zeroizing::new(secret.to_vec()));
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        let mut map = self
            .secrets
            .lock()
            .map_err(|_| StoreError::Backend("memory store lock poisoned".into()))?;
        map.remove(name);
        Ok(())
    }

    fn describe(&self) -> String {
        "in-memory store (not persistent)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store() {
        super::super::tests::round_trip(&MemoryStore::default());
    }
}
