//! Status listeners: the core's subscription, held by a handle the app
//! keeps. Closing (or dropping) the handle unregisters the listener, so a
//! screen that goes away cannot leak its callback.

use std::sync::{Arc, Mutex, PoisonError};

use agent_core::agent::Subscription;

use crate::foreign::StatusListener;

/// A foreign [`StatusListener`] as the core's listener.
pub struct ListenerAdapter(pub Arc<dyn StatusListener>);

impl agent_core::agent::StatusListener for ListenerAdapter {
    fn on_status(&self, status: &agent_core::agent::Status) {
        self.0.on_status(status.clone().into());
    }
}

/// Keeps a status listener registered; closing or dropping it unregisters.
#[derive(uniffi::Object)]
pub struct ListenerHandle {
    subscription: Mutex<Option<Subscription>>,
}

impl ListenerHandle {
    /// A handle holding `subscription`.
    pub fn new(subscription: Subscription) -> Self {
        ListenerHandle {
            subscription: Mutex::new(Some(subscription)),
        }
    }
}

#[uniffi::export]
impl ListenerHandle {
    /// Unregisters the listener now (closing or dropping the handle does
    /// the same); calling it again does nothing.
    pub fn unregister(&self) {
        // A poisoned lock still holds a valid Option.
        let taken = self
            .subscription
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(taken);
    }
}
