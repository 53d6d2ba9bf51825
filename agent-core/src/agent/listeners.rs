//! Status listeners: registration hands back a handle that unregisters on drop.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use super::Status;

/// Told of every status change (after enrol, check-in, flush, unenrol).
/// Called on the thread that made the change: return quickly.
pub trait StatusListener: Send + Sync {
    /// The new status.
    fn on_status(&self, status: &Status);
}

type Listeners = Mutex<Vec<(u64, Arc<dyn StatusListener>)>>;

/// The registered listeners.
#[derive(Default)]
pub(super) struct Registry {
    listeners: Arc<Listeners>,
    next_id: AtomicU64,
}

impl Registry {
    pub(super) fn subscribe(&self, listener: Arc<dyn StatusListener>) -> Subscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut list) = self.listeners.lock() {
            list.push((id, listener));
        }
        Subscription {
            id,
            listeners: Arc::downgrade(&self.listeners),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.listeners.lock().map(|l| l.is_empty()).unwrap_or(true)
    }

    pub(super) fn notify(&self, status: &Status) {
        // Copy the list first so a listener may unsubscribe from inside.
        let listeners: Vec<Arc<dyn StatusListener>> = match self.listeners.lock() {
            Ok(list) => list.iter().map(|(_, l)| l.clone()).collect(),
            Err(_) => return,
        };
        for listener in listeners {
            listener.on_status(status);
        }
    }
}

/// A registered listener; dropping it unregisters the listener.
pub struct Subscription {
    id: u64,
    listeners: Weak<Listeners>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .finish()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(listeners) = self.listeners.upgrade()
            && let Ok(mut list) = listeners.lock()
        {
            list.retain(|(id, _)| *id != self.id);
        }
    }
}
