//! `DocsGate`: Ferry answers the docs sync protocol itself, so that a
//! namespace syncs only with a current member of that collection.

use super::*;

/// How long the accepting side waits for the dialer to close a finished
/// sync's connection.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// The accepting side of the docs sync protocol (`/iroh-sync/1`), in
/// place of the docs engine's own, which syncs any namespace it holds with
/// anyone who names it.
///
/// A connection from a device that is a member of no collection here is
/// closed before anything is read. Otherwise the peer's first message
/// names the namespace, and the sync goes on only if that namespace is an
/// open collection whose loop runs and the peer is one of its current
/// members; any other request is answered "not found" (the same answer as
/// for a namespace this device does not hold), before a single entry is
/// sent or taken.
#[derive(Debug, Clone)]
pub(crate) struct DocsGate {
    pub node: std::sync::Weak<Inner>,
    /// The engine, shut down with the router.
    pub docs: Docs,
    /// Only kept to be shut down with the router: Ferry does not serve
    /// gossip.
    pub gossip: Gossip,
}

impl ProtocolHandler for DocsGate {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let Some(inner) = self.node.upgrade() else {
            return Ok(());
        };
        let node = Node { inner };
        let peer = conn.remote_id();
        if !node.inner.collections.is_member_anywhere(&peer) {
            conn.close(net::NOT_PAIRED.into(), b"not a member");
            node.inner.events.emit(Event::CollectionSyncRefused {
                peer: peer.to_string(),
            });
            return Ok(());
        }
        let sync = node.inner.collections.sync.clone();
        let gate = node.clone();
        let accept = move |namespace: NamespaceId, peer: EndpointId| {
            let allowed = gate
                .inner
                .collections
                .live_for(&namespace)
                .is_some_and(|live| live.accepts(&peer));
            std::future::ready(if allowed {
                iroh_docs::net::AcceptOutcome::Allow
            } else {
                debug!(peer = %peer.fmt_short(), "a sync of a collection it is not a member of refused");
                gate.inner.events.emit(Event::CollectionSyncRefused {
                    peer: peer.to_string(),
                });
                iroh_docs::net::AcceptOutcome::Reject(iroh_docs::net::AbortReason::NotFound)
            })
        };
        let done = iroh_docs::net::handle_connection(sync, conn.clone(), accept, None).await;
        // The dialer closes the connection once it has read the end of the
        // sync; dropping it here first could cut that read short, and the
        // dialer would count a finished sync as failed.
        tokio::time::timeout(CLOSE_WAIT, conn.closed()).await.ok();
        match done {
            Ok(done) => {
                if let Some(live) = node.inner.collections.live_for(&done.namespace) {
                    live.synced(&node, done.peer, true);
                }
            }
            Err(e) => debug!(peer = %peer.fmt_short(), "incoming sync ended: {e}"),
        }
        Ok(())
    }

    async fn shutdown(&self) {
        ProtocolHandler::shutdown(&self.docs).await;
        if let Err(e) = self.gossip.shutdown().await {
            debug!("stopping gossip: {e}");
        }
    }
}
