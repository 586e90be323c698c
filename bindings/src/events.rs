//! The node's events for the foreign side: core's own `Event` (with its
//! `DeviceRef`, `PathKind`, `Route` and the rest), generated for Kotlin,
//! Swift and Python from core's `uniffi` feature, delivered to an
//! [`EventListener`] until its [`EventSubscription`] is dropped or
//! cancelled. A new event in core reaches every binding with no code here.

use std::sync::{Arc, Mutex};

use ferry_core::Event;

use crate::{AbortOnDrop, runtime};

/// Receives the node's events. Called on one of Ferry's threads, one event
/// at a time and in order; return quickly (hand work to your own thread or
/// coroutine).
#[uniffi::export(with_foreign)]
pub trait EventListener: Send + Sync {
    /// One event.
    fn on_event(&self, event: Event);
}

/// A running subscription. Events stop when it is cancelled or dropped
/// (closed in Kotlin, garbage-collected in Python).
#[derive(Debug, uniffi::Object)]
pub struct EventSubscription {
    task: Mutex<Option<AbortOnDrop>>,
}

#[uniffi::export]
impl EventSubscription {
    /// Stops delivering events; later calls do nothing.
    pub fn cancel(&self) {
        self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

/// Starts delivering `events` to `listener` on Ferry's runtime.
pub(crate) fn deliver(
    mut events: ferry_core::Events,
    listener: Arc<dyn EventListener>,
) -> Arc<EventSubscription> {
    let task = runtime().spawn(async move {
        while let Some(event) = events.recv().await {
            listener.on_event(event);
        }
    });
    Arc::new(EventSubscription {
        task: Mutex::new(Some(AbortOnDrop(task.abort_handle()))),
    })
}
