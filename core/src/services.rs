//! What a node that keeps running does on its own: `ferry listen`, the
//! desktop app and the phone's service all start it with one call,
//! [`Node::start_services`], so they behave alike.

use std::{path::PathBuf, sync::Arc, time::Duration};

use crate::{AcceptPolicy, CollectionError, node::Node};

/// What a long-running node does besides answering requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Services {
    /// How offers from paired devices are answered.
    pub accept: AcceptPolicy,
    /// Where accepted files go; none refuses files (text still arrives).
    pub inbox_dir: Option<PathBuf>,
    /// Where invitations to collections from auto-accept devices are
    /// accepted, each into a new folder; none leaves them waiting. Never
    /// used when `accept` is [`AcceptPolicy::Never`].
    pub collections_dir: Option<PathBuf>,
    /// How often every paired device is probed (its online status shows
    /// in [`crate::Event::DeviceStatus`]); none probes only when asked.
    pub probe_every: Option<Duration>,
}

impl Services {
    /// Offers answered by `accept`, accepted files into `inbox_dir`; no
    /// collections folder, no probes.
    pub fn new(accept: AcceptPolicy, inbox_dir: Option<PathBuf>) -> Self {
        Self {
            accept,
            inbox_dir,
            collections_dir: None,
            probe_every: None,
        }
    }

    /// The folder auto-accepted invitations go into, given the policy.
    fn collections_dir(&self) -> Option<PathBuf> {
        match self.accept {
            AcceptPolicy::Never => None,
            AcceptPolicy::Ask | AcceptPolicy::Trusted => self.collections_dir.clone(),
        }
    }
}

impl Node {
    /// Starts what a node that keeps running does: answers offers from
    /// paired devices (as `services` says), delivers the outbox, keeps
    /// every collection in sync and, if asked, probes the paired devices
    /// now and then. Everything stops when the node shuts down.
    pub async fn start_services(&self, services: Services) -> Result<(), CollectionError> {
        self.transfers()
            .set_inbox(services.accept, services.inbox_dir.clone());
        self.collections()
            .set_auto_accept_dir(services.collections_dir());
        self.start_outbox();
        self.collections().start().await?;
        if let Some(every) = services.probe_every {
            self.start_probes(every);
        }
        Ok(())
    }

    /// Probes every paired device at once, then every `every`, until the
    /// node shuts down.
    fn start_probes(&self, every: Duration) {
        self.repeat(every, |node| async move {
            let _ = node.devices().probe_all().await;
        });
    }

    /// Runs `round` now, then again `period` after each round ends, in the
    /// background until the node shuts down. The task holds the node only
    /// while a round runs, so it never keeps a dropped node alive.
    pub(crate) fn repeat<F, Fut>(&self, period: Duration, round: F)
    where
        F: Fn(Node) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            loop {
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                let node = Node { inner };
                if node.is_shut_down() {
                    return;
                }
                round(node).await;
                tokio::time::sleep(period).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_that_refuses_everything_accepts_no_collection_either() {
        let mut services = Services::new(AcceptPolicy::Trusted, None);
        services.collections_dir = Some(PathBuf::from("/c"));
        assert_eq!(services.collections_dir(), Some(PathBuf::from("/c")));
        services.accept = AcceptPolicy::Ask;
        assert_eq!(services.collections_dir(), Some(PathBuf::from("/c")));
        services.accept = AcceptPolicy::Never;
        assert_eq!(services.collections_dir(), None);
    }
}
