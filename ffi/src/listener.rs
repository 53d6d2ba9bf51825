//! Status listeners: registration hands back a handle, and dropping the
//! handle (or calling `unregister`) removes the listener, so a screen that
//! goes away cannot leak its callback.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use crate::foreign::{Status, StatusListener};

/// The listeners registered on one agent.
#[derive(Default)]
pub struct Listeners {
    registered: Mutex<Vec<(u64, Arc<dyn StatusListener>)>>,
    next_id: AtomicU64,
}

impl Listeners {
    /// Registers `listener`; it stays until the returned handle is dropped.
    pub fn register(self: &Arc<Self>, listener: Arc<dyn StatusListener>) -> ListenerHandle {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.lock().push((id, listener));
        ListenerHandle {
            listeners: Arc::downgrade(self),
            id,
        }
    }

    /// Tells every registered listener about `status`. Called outside the
    /// lock, so a listener may register or unregister from its callback.
    pub fn notify(&self, status: &Status) {
        let listeners: Vec<_> = self.lock().iter().map(|(_, l)| l.clone()).collect();
        for listener in listeners {
            listener.on_status(status.clone());
        }
    }

    /// How many listeners are registered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no listener is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn remove(&self, id: u64) {
        self.lock().retain(|(i, _)| *i != id);
    }

    // A listener that panicked cannot leave the list half-changed: a
    // poisoned lock still guards a valid Vec.
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Arc<dyn StatusListener>)>> {
        self.registered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Keeps a status listener registered; dropping it unregisters.
#[derive(uniffi::Object)]
pub struct ListenerHandle {
    listeners: Weak<Listeners>,
    id: u64,
}

#[uniffi::export]
impl ListenerHandle {
    /// Unregisters the listener now (dropping the handle does the same).
    pub fn unregister(&self) {
        if let Some(listeners) = self.listeners.upgrade() {
            listeners.remove(self.id);
        }
    }
}

impl Drop for ListenerHandle {
    fn drop(&mut self) {
        self.unregister();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(Mutex<Vec<Status>>);

    impl StatusListener for Counter {
        fn on_status(&self, status: Status) {
            self.0.lock().unwrap().push(status);
        }
    }

    #[test]
    fn dropping_the_handle_unregisters_the_listener() {
        let listeners = Arc::new(Listeners::default());
        let counter = Arc::new(Counter(Mutex::new(Vec::new())));
        let handle = listeners.register(counter.clone());
        let status = Status {
            enrolled: true,
            device_id: Some("dev-1".into()),
            pending_reports: 0,
        };
        listeners.notify(&status);
        assert_eq!(listeners.len(), 1);
        drop(handle);
        assert!(listeners.is_empty());
        listeners.notify(&status);
        assert_eq!(counter.0.lock().unwrap().as_slice(), &[status]);
    }
}
