//! The enrolled keys, in memory, for the verifier on the request threads.
//! The store changes it after each commit; with PostgreSQL it is a hint
//! (another process may enrol or unenrol), filled from the database on a
//! miss, and every decision is checked again in the database.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use agent_core::protocol::DeviceId;
use agent_core::token::{KeyResolver, VerifyingKey};

use crate::attestation::Attested;

/// An enrolled key, the device it belongs to, and what the device's
/// verified key attestation vouched for, its pin (the appraisal of each
/// report weighs the report against it).
#[derive(Debug, Clone)]
pub(crate) struct KeyEntry {
    pub key: VerifyingKey,
    pub device_id: DeviceId,
    pub attested: Option<Arc<Attested>>,
    /// Whether a re-attestation broke the device's pin (protocol §5.3.3).
    pub pin_broken: bool,
}

/// Enrolled keys by `kid` (RFC 7638 thumbprint).
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    by_kid: RwLock<HashMap<String, KeyEntry>>,
}

impl KeyCache {
    pub fn get(&self, kid: &str) -> Option<KeyEntry> {
        self.by_kid.read().ok()?.get(kid).cloned()
    }

    pub fn insert(&self, entry: KeyEntry) {
        if let Ok(mut map) = self.by_kid.write() {
            map.insert(entry.key.kid().to_owned(), entry);
        }
    }

    pub fn remove(&self, kid: &str) {
        if let Ok(mut map) = self.by_kid.write() {
            map.remove(kid);
        }
    }

    /// Forgets the key of device `device_id` (another collector process
    /// unenrolled it).
    pub fn remove_device(&self, device_id: &str) {
        if let Ok(mut map) = self.by_kid.write() {
            map.retain(|_, e| e.device_id.as_str() != device_id);
        }
    }

    pub fn replace_all(&self, entries: Vec<KeyEntry>) {
        if let Ok(mut map) = self.by_kid.write() {
            *map = entries
                .into_iter()
                .map(|e| (e.key.kid().to_owned(), e))
                .collect();
        }
    }
}

impl KeyResolver for KeyCache {
    fn resolve(&self, kid: &str) -> Option<VerifyingKey> {
        self.get(kid).map(|e| e.key)
    }
}
