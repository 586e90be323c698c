//! Sweeping the blob store: entries no collection needs any more, and
//! entries whose file in a folder no longer holds their content.
//!
//! A collection's files are referenced where they are, not copied: the
//! store knows only where each one's bytes live and their outboard. When
//! such a file changes, the store's entry for its old content names bytes
//! that are gone. Every read of it is verified, so no wrong byte is ever
//! served or written, but the entry must go: the collection marks that
//! content *stale*, asks for a sweep, and once the sweep removed the entry
//! it takes the content in again from wherever it is still intact (another
//! file with the same bytes, or old content kept aside).
//!
//! The store's collector only removes; what stays is what Ferry protects:
//! every live share holds temp tags, and every open collection protects the
//! content its versions name, except what it marked stale. A sweep runs
//! only when one was asked for and only while every collection is open, so
//! content of a collection that is not loaded is never swept.

use std::{
    collections::HashSet,
    sync::{
        Arc, OnceLock, Weak,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use iroh_blobs::{
    Hash,
    store::{GcConfig, ProtectCb, ProtectOutcome},
};
use tracing::debug;

use crate::node::Inner;

/// How often the store looks whether a sweep was asked for.
pub(crate) const SWEEP_EVERY: Duration = Duration::from_secs(2);

/// Asks the store's collector for a sweep and tells it what to keep.
#[derive(Debug, Default)]
pub(crate) struct Sweeper {
    wanted: AtomicBool,
    node: OnceLock<Weak<Inner>>,
}

impl Sweeper {
    /// The collector's configuration: it wakes every [`SWEEP_EVERY`] and
    /// sweeps only if asked to.
    pub fn config(self: &Arc<Self>) -> GcConfig {
        GcConfig {
            interval: SWEEP_EVERY,
            add_protected: Some(protect_cb(self.clone())),
        }
    }

    /// Connects the sweeper to its node, once the node exists.
    pub fn attach(&self, node: Weak<Inner>) {
        self.node.set(node).ok();
    }

    /// Asks for a sweep at the collector's next wake-up.
    pub fn want(&self) {
        self.wanted.store(true, Ordering::SeqCst);
    }

    fn protect(&self, live: &mut HashSet<Hash>) -> ProtectOutcome {
        if !self.wanted.swap(false, Ordering::SeqCst) {
            return ProtectOutcome::Abort;
        }
        let Some(inner) = self.node.get().and_then(Weak::upgrade) else {
            return ProtectOutcome::Abort;
        };
        match inner.collections.protect(&inner.db, live) {
            Ok(()) => {
                debug!(kept = live.len(), "sweeping the blob store");
                ProtectOutcome::Continue
            }
            Err(why) => {
                debug!("sweep put off: {why}");
                self.want();
                ProtectOutcome::Abort
            }
        }
    }
}

fn protect_cb(sweeper: Arc<Sweeper>) -> ProtectCb {
    Arc::new(move |live| {
        let outcome = sweeper.protect(live);
        Box::pin(async move { outcome })
    })
}
