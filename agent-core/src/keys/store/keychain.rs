//! The OS keychain store, through `keyring-core` and one store crate per
//! platform: the Secret Service on Linux (persistent, unlike the kernel
//! keyutils store, which is gone after a reboot), the login keychain on
//! macOS, Credential Manager on Windows.

use std::fmt;
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error as KeyringError};
use zeroize::{Zeroize, Zeroizing};

use super::{SecretStore, StoreError};

/// The service every entry is filed under, unless told otherwise.
pub const DEFAULT_SERVICE: &str = "posture-agent";

/// Secrets in the OS keychain, one entry per name under one service.
/// Secrets are stored as bytes (the binary secret API), never as text.
pub struct KeychainStore {
    store: Arc<CredentialStore>,
    service: String,
}

impl KeychainStore {
    /// Connects to the OS keychain, filing entries under [`DEFAULT_SERVICE`].
    pub fn new() -> Result<KeychainStore, StoreError> {
        KeychainStore::with_service(DEFAULT_SERVICE)
    }

    /// Connects to the OS keychain, filing entries under `service`.
    pub fn with_service(service: &str) -> Result<KeychainStore, StoreError> {
        let store = platform::connect().map_err(|e| {
            StoreError::Unavailable(format!(
                "cannot connect to the {}: {}. {}",
                platform::NAME,
                safe_message(&e),
                platform::HINT
            ))
        })?;
        Ok(KeychainStore {
            store,
            service: service.to_owned(),
        })
    }

    fn entry(&self, name: &str) -> Result<Entry, StoreError> {
        self.store
            .build(&self.service, name, None)
            .map_err(|e| to_store_error("open", e))
    }
}

impl SecretStore for KeychainStore {
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        match self.entry(name)?.get_secret() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(to_store_error("read", e)),
        }
    }

    fn put(&self, name: &str, secret: &[u8]) -> Result<(), StoreError> {
        self.entry(name)?
            .set_secret(secret)
            .map_err(|e| to_store_error("write", e))
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(e) => Err(to_store_error("delete", e)),
        }
    }

    fn describe(&self) -> String {
        format!("{} (service {:?})", platform::NAME, self.service)
    }
}

impl fmt::Debug for KeychainStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeychainStore")
            .field("backend", &platform::NAME)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

/// Maps a keyring error to a store error. Two variants carry the raw secret
/// bytes; those are wiped and never formatted.
fn to_store_error(op: &str, err: KeyringError) -> StoreError {
    match err {
        KeyringError::NoStorageAccess(e) => StoreError::Unavailable(format!(
            "the {} refused to {op} the secret ({e}); it is probably locked: {}",
            platform::NAME,
            platform::UNLOCK_HINT
        )),
        KeyringError::BadEncoding(mut bytes) => {
            bytes.zeroize();
            StoreError::Corrupt(format!(
                "the {} returned a secret that is not in the expected encoding",
                platform::NAME
            ))
        }
        KeyringError::BadDataFormat(mut bytes, _) => {
            bytes.zeroize();
            StoreError::Corrupt(format!(
                "the {} returned a secret in an unexpected format",
                platform::NAME
            ))
        }
        KeyringError::Ambiguous(entries) => StoreError::Backend(format!(
            "{} entries in the {} match; delete the duplicates and try again",
            entries.len(),
            platform::NAME
        )),
        other => StoreError::Backend(format!(
            "the {} failed to {op} the secret: {}",
            platform::NAME,
            safe_message(&other)
        )),
    }
}

/// The error's message, for the variants whose message is known to hold no
/// secret bytes; a fixed text for any other (the enum is non-exhaustive).
fn safe_message(err: &KeyringError) -> String {
    match err {
        KeyringError::PlatformFailure(_)
        | KeyringError::NoStorageAccess(_)
        | KeyringError::NoEntry
        | KeyringError::BadStoreFormat(_)
        | KeyringError::TooLong(..)
        | KeyringError::Invalid(..)
        | KeyringError::NoDefaultStore
        | KeyringError::NotSupportedByStore(_) => err.to_string(),
        _ => "unexpected keyring error".into(),
    }
}

#[cfg(target_os = "linux")]
mod platform {
    use super::*;

    pub(super) const NAME: &str = "Secret Service keychain";
    pub(super) const HINT: &str = "The Secret Service needs a D-Bus session bus \
        (DBUS_SESSION_BUS_ADDRESS, or $XDG_RUNTIME_DIR/bus) and a running provider \
        such as gnome-keyring or KeePassXC, unlocked; on a machine without one, \
        use the file store";
    pub(super) const UNLOCK_HINT: &str =
        "unlock the keyring (for example by logging in to the desktop) and try again";

    /// Opens a D-Bus connection and a Secret Service session, so a missing
    /// bus or provider is reported here, not at the first read.
    pub(super) fn connect() -> keyring_core::Result<Arc<CredentialStore>> {
        let store: Arc<CredentialStore> = dbus_secret_service_keyring_store::Store::new()?;
        Ok(store)
    }
}

#[cfg(target_os = "macos")]
mod platform {
    use super::*;

    pub(super) const NAME: &str = "macOS login keychain";
    pub(super) const HINT: &str = "Check that the login keychain exists and is unlocked";
    pub(super) const UNLOCK_HINT: &str = "unlock the login keychain and try again";

    pub(super) fn connect() -> keyring_core::Result<Arc<CredentialStore>> {
        let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
        Ok(store)
    }
}

#[cfg(target_os = "windows")]
mod platform {
    use super::*;

    pub(super) const NAME: &str = "Windows Credential Manager";
    pub(super) const HINT: &str = "Check that Credential Manager is available to this user";
    pub(super) const UNLOCK_HINT: &str = "log in as the user who owns the credential and try again";

    pub(super) fn connect() -> keyring_core::Result<Arc<CredentialStore>> {
        let store: Arc<CredentialStore> = windows_native_keyring_store::Store::new()?;
        Ok(store)
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
mod platform {
    use super::*;

    pub(super) const NAME: &str = "OS keychain";
    pub(super) const HINT: &str = "On phones the device key lives in Android Keystore or \
        the Secure Enclave through a DeviceSigner; elsewhere use the file store";
    pub(super) const UNLOCK_HINT: &str = "unlock it and try again";

    pub(super) fn connect() -> keyring_core::Result<Arc<CredentialStore>> {
        Err(KeyringError::NotSupportedByStore(
            "this platform has no keychain store in this build".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{SystemTime, UNIX_EPOCH};

    use super::*;
    use crate::keys::{DeviceSigner, SoftwareSigner};

    #[test]
    fn secret_bytes_in_keyring_errors_are_never_shown() {
        let secret = b"very-secret-pkcs8".to_vec();
        for err in [
            KeyringError::BadEncoding(secret.clone()),
            KeyringError::BadDataFormat(secret.clone(), "bad".into()),
        ] {
            let mapped = to_store_error("read", err);
            assert!(matches!(mapped, StoreError::Corrupt(_)));
            let shown = format!("{mapped} {mapped:?}");
            assert!(!shown.contains("very-secret"), "{shown}");
            assert!(!shown.contains("118, 101, 114, 121"), "{shown}");
        }
    }

    #[test]
    fn locked_keychain_is_unavailable_and_says_what_to_do() {
        let err = to_store_error(
            "read",
            KeyringError::NoStorageAccess("object locked".into()),
        );
        match err {
            StoreError::Unavailable(msg) => assert!(msg.contains("unlock"), "{msg}"),
            other => panic!("expected Unavailable, got {other:?}"),
        }
        let err = to_store_error("write", KeyringError::PlatformFailure("boom".into()));
        assert!(matches!(err, StoreError::Backend(m) if m.contains("boom")));
    }

    /// A name no other run uses, so tests never meet each other's entries.
    fn unique(label: &str) -> String {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        format!("test-{label}-{}-{nanos}", std::process::id())
    }

    /// Deletes the named entries when the test ends, passed or failed.
    struct Cleanup<'a>(&'a KeychainStore, Vec<String>);

    impl Drop for Cleanup<'_> {
        fn drop(&mut self) {
            for name in &self.1 {
                let _ = self.0.delete(name);
            }
        }
    }

    #[test]
    #[ignore = "needs a Secret Service; run via scripts/with-keychain"]
    fn keychain_round_trip_seen_by_a_second_instance() {
        // A service of its own, so the shared names "a" and "b" meet nothing else.
        let service = unique("service");
        let store = KeychainStore::with_service(&service).unwrap();
        let _cleanup = Cleanup(&store, vec!["a".into(), "b".into()]);
        super::super::tests::round_trip(&store);

        let second = KeychainStore::with_service(&service).unwrap();
        assert_eq!(second.get("b").unwrap().unwrap().as_slice(), b"second");
        assert!(second.get("a").unwrap().is_none());
        // A secret that is not UTF-8 and holds a NUL survives unchanged.
        let binary: Vec<u8> = (0..=255).collect();
        second.put("b", &binary).unwrap();
        assert_eq!(store.get("b").unwrap().unwrap().as_slice(), binary);
        second.delete("b").unwrap();
        assert!(store.get("b").unwrap().is_none());
        assert!(store.describe().contains(&service));
    }

    #[test]
    #[ignore = "needs a Secret Service; run via scripts/with-keychain"]
    fn keychain_load_or_create_returns_the_same_key_twice() {
        let name = unique("device");
        let store = KeychainStore::new().unwrap();
        let _cleanup = Cleanup(&store, vec![name.clone()]);
        let first = SoftwareSigner::load_or_create(&store, &name).unwrap();
        // A fresh connection, as the next run of the agent would make.
        let again = SoftwareSigner::load_or_create(&KeychainStore::new().unwrap(), &name).unwrap();
        assert_eq!(first.public_jwk().unwrap(), again.public_jwk().unwrap());
        let sig = again.sign(b"posture").unwrap();
        assert_eq!(sig.len(), 64);
    }
}
