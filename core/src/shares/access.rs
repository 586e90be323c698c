//! Which blobs the node serves, and to whom.
//!
//! iroh-blobs would serve every blob in the store to anyone. Ferry hooks its
//! provider events and answers each request itself:
//! - a request on the root of a live share may fetch any part of it, and so
//!   may one on the share's second root, if it has one (the same files
//!   without the empty-folder entries, for tools that cannot write those);
//! - a single-blob request may fetch a blob that belongs to a live share;
//! - everything else is refused with `Permission` (and reported as
//!   [`Event::RequestRefused`]).
//!
//! A share counts as downloaded by a peer when that peer completes either a
//! request for the whole collection, or Ferry's closing request: an empty
//! request on the root, which a Ferry receiver sends once every file is
//! verified and in place (so resumed and partly skipped downloads count too).

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, MutexGuard},
};

use iroh::EndpointId;
use iroh_blobs::{
    Hash,
    api::TempTag,
    protocol::GetRequest,
    provider::events::{
        AbortReason, ConnectMode, EventMask, EventSender, ObserveMode, ProviderMessage,
        RequestMode, RequestUpdate,
    },
};

use crate::{
    events::{Event, EventBus},
    store::{Db, Direction, NewTransfer, TransferOutcome, TransferStatus},
};

/// What the history records about a share when a peer downloads it.
#[derive(Debug, Clone, Default)]
pub(crate) struct ShareInfo {
    pub label: String,
    pub files: u64,
    pub bytes: u64,
    pub location: String,
    /// The only device it is served to (a push); `None` serves anyone with
    /// the ticket.
    pub only: Option<EndpointId>,
}

#[derive(Debug)]
struct Served {
    /// A second root served with the share (a collection of part of its
    /// entries), whose downloads count as downloads of the share.
    also: Option<Hash>,
    blobs: Vec<Hash>,
    info: ShareInfo,
    /// Everyone the share is served to, once per grant: the same content
    /// may be shared publicly and pushed to a device, or shared twice by
    /// two commands, and each grant ends on its own.
    grants: Vec<Option<EndpointId>>,
    _tags: Vec<TempTag>,
}

impl Served {
    fn serves(&self, peer: Option<EndpointId>) -> bool {
        self.grants.iter().any(|a| a.is_none() || *a == peer)
    }
}

#[derive(Debug, Default)]
struct State {
    /// OpenCollection shares by root hash.
    shares: HashMap<Hash, Served>,
    /// The second root of a live share, to the share's own root.
    second_roots: HashMap<Hash, Hash>,
    /// Every blob of a live share, with the audience of each share holding
    /// it (`None`: anyone).
    blobs: HashMap<Hash, Vec<Option<EndpointId>>>,
    /// Remote endpoint of each open provider connection.
    connections: HashMap<u64, EndpointId>,
    /// Payload bytes sent on each open connection.
    sent: HashMap<u64, u64>,
    /// Connections that asked for a whole share in one request: the download
    /// counts as complete once that request completed and the peer hung up
    /// (so it has read everything), in whichever order the two are seen.
    whole: HashMap<u64, WholeRequest>,
    /// Shared collections: their members and the content they refer to
    /// (one set per collection, not one per hash: a collection can refer
    /// to hundreds of thousands of hashes, and devices hold few collections).
    collections: HashMap<i64, ServedCollection>,
}

/// Who may fetch what from one collection.
#[derive(Debug, Default)]
struct ServedCollection {
    members: HashSet<EndpointId>,
    hashes: HashSet<Hash>,
}

impl State {
    /// The root of the live share whose root or second root `hash` is.
    fn root_of(&self, hash: &Hash) -> Option<Hash> {
        if self.shares.contains_key(hash) {
            Some(*hash)
        } else {
            self.second_roots.get(hash).copied()
        }
    }

    /// The live share whose root or second root `hash` is.
    fn share_at(&self, hash: &Hash) -> Option<&Served> {
        self.root_of(hash).and_then(|root| self.shares.get(&root))
    }
}

#[derive(Debug)]
struct WholeRequest {
    root: Hash,
    peer: String,
    completed: bool,
    closed: bool,
}

/// The serving policy of a node.
#[derive(Debug, Clone)]
pub(crate) struct Access {
    state: Arc<Mutex<State>>,
    db: Db,
    /// Collection content whose serving failed (its file changed or went,
    /// so the store could not verify it, or the store lacks it), with the
    /// collections that hold it: they take it in again.
    failed: tokio::sync::broadcast::Sender<(Hash, Vec<i64>)>,
}

impl Access {
    /// Creates the policy and the event sender to hand to the blobs protocol.
    pub fn new(events: EventBus, db: Db) -> (Self, EventSender) {
        let mask = EventMask {
            connected: ConnectMode::Notify,
            get: RequestMode::InterceptLog,
            get_many: RequestMode::Intercept,
            push: RequestMode::Disabled,
            observe: ObserveMode::Intercept,
            ..EventMask::DEFAULT
        };
        let (sender, rx) = EventSender::channel(256, mask);
        let access = Self {
            state: Arc::new(Mutex::new(State::default())),
            db,
            failed: tokio::sync::broadcast::channel(256).0,
        };
        tokio::spawn(access.clone().run(rx, events));
        (access, sender)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts serving a share: its root (and `also`, a second root whose
    /// collection holds part of the same entries) and exactly the blobs
    /// listed, which must include both roots' blobs, to `info.only` (or
    /// anyone). Content already served gets one more grant.
    pub fn allow(
        &self,
        root: Hash,
        also: Option<Hash>,
        blobs: Vec<Hash>,
        tags: Vec<TempTag>,
        info: ShareInfo,
    ) {
        let mut state = self.state();
        let audience = info.only;
        for hash in &blobs {
            state.blobs.entry(*hash).or_default().push(audience);
        }
        match state.shares.get_mut(&root) {
            // The first grant's tags keep the content; the history keeps
            // the first label.
            Some(served) => served.grants.push(audience),
            None => {
                if let Some(second) = also.filter(|h| *h != root) {
                    state.second_roots.insert(second, root);
                }
                state.shares.insert(
                    root,
                    Served {
                        also,
                        blobs,
                        info,
                        grants: vec![audience],
                        _tags: tags,
                    },
                );
            }
        }
    }

    /// How many grants of a share go to `audience` (`None`: public ones).
    pub fn grants(&self, root: &Hash, audience: Option<EndpointId>) -> usize {
        self.state()
            .shares
            .get(root)
            .map_or(0, |s| s.grants.iter().filter(|a| **a == audience).count())
    }

    /// Ends one grant of a share to `audience` (`None`: the public one).
    /// Once no grant is left, nothing of it is served.
    pub fn revoke(&self, root: &Hash, audience: Option<EndpointId>) {
        let mut guard = self.state();
        let state = &mut *guard;
        let Some(served) = state.shares.get_mut(root) else {
            return;
        };
        let Some(i) = served.grants.iter().position(|a| *a == audience) else {
            return;
        };
        served.grants.swap_remove(i);
        for hash in &served.blobs {
            if let Some(audiences) = state.blobs.get_mut(hash) {
                if let Some(i) = audiences.iter().position(|a| *a == audience) {
                    audiences.swap_remove(i);
                }
                if audiences.is_empty() {
                    state.blobs.remove(hash);
                }
            }
        }
        if served.grants.is_empty() {
            if let Some(second) = served.also {
                state.second_roots.remove(&second);
            }
            state.shares.remove(root);
        }
    }

    fn may_get(&self, request: &GetRequest, peer: Option<EndpointId>) -> bool {
        let state = self.state();
        if let Some(served) = state.share_at(&request.hash) {
            return served.serves(peer);
        }
        // A blob of a share, asked for as a plain blob: reading it as a hash
        // sequence could reach content that was never shared.
        request.ranges.is_blob() && Self::blob_allowed(&state, &request.hash, peer)
    }

    fn may_get_blob(&self, hash: &Hash, peer: Option<EndpointId>) -> bool {
        let state = self.state();
        if let Some(served) = state.share_at(hash) {
            return served.serves(peer);
        }
        Self::blob_allowed(&state, hash, peer)
    }

    fn blob_allowed(state: &State, hash: &Hash, peer: Option<EndpointId>) -> bool {
        let shared = state
            .blobs
            .get(hash)
            .is_some_and(|audiences| audiences.iter().any(|a| a.is_none() || *a == peer));
        shared
            || peer.is_some_and(|peer| {
                state
                    .collections
                    .values()
                    .any(|c| c.members.contains(&peer) && c.hashes.contains(hash))
            })
    }

    /// Serves the content of a collection to its members: every hash any
    /// version refers to, so history stays reachable.
    pub fn set_collection(&self, id: i64, members: HashSet<EndpointId>, hashes: HashSet<Hash>) {
        let mut state = self.state();
        let served = state.collections.entry(id).or_default();
        served.members = members;
        if served.hashes.is_empty() {
            served.hashes = hashes;
        } else {
            served.hashes.extend(hashes);
        }
    }

    /// Adds one content hash to a collection.
    pub fn add_collection_hash(&self, id: i64, hash: Hash) {
        self.state()
            .collections
            .entry(id)
            .or_default()
            .hashes
            .insert(hash);
    }

    /// Stops serving a collection.
    pub fn drop_collection(&self, id: i64) {
        self.state().collections.remove(&id);
    }

    /// Failed serves of collection content, as they happen.
    pub fn failed_serves(&self) -> tokio::sync::broadcast::Receiver<(Hash, Vec<i64>)> {
        self.failed.subscribe()
    }

    /// Tells the collections holding `hash` that serving it failed.
    fn serve_failed(&self, hash: Hash) {
        let holders: Vec<i64> = self
            .state()
            .collections
            .iter()
            .filter(|(_, c)| c.hashes.contains(&hash))
            .map(|(id, _)| *id)
            .collect();
        if !holders.is_empty() {
            self.failed.send((hash, holders)).ok();
        }
    }

    fn peer_id(&self, connection_id: u64) -> Option<EndpointId> {
        self.state().connections.get(&connection_id).copied()
    }

    fn peer(&self, connection_id: u64) -> String {
        self.peer_id(connection_id)
            .map(|id| id.to_string())
            .unwrap_or_default()
    }

    /// Adds to a connection's sent bytes and returns the new total.
    fn add_sent(&self, connection_id: u64, bytes: u64) -> u64 {
        let mut state = self.state();
        let total = state.sent.entry(connection_id).or_default();
        *total += bytes;
        *total
    }

    /// Reports a whole-share download once its request completed and its
    /// connection closed.
    fn settle_whole(&self, connection_id: u64, events: &EventBus) {
        let (done, sent) = {
            let mut state = self.state();
            let ready = state
                .whole
                .get(&connection_id)
                .is_some_and(|w| w.completed && w.closed);
            if !ready {
                return;
            }
            let sent = state.sent.get(&connection_id).copied().unwrap_or(0);
            (state.whole.remove(&connection_id), sent)
        };
        if let Some(w) = done {
            self.record_download(&w.root, &w.peer, sent);
            events.emit(Event::ShareDownloaded {
                root: w.root.to_string(),
                peer: w.peer,
            });
        }
    }

    fn record_download(&self, root: &Hash, peer: &str, sent: u64) {
        let Some(info) = self.state().shares.get(root).map(|s| s.info.clone()) else {
            return;
        };
        let root_hex = root.to_string();
        let result = self
            .db
            .insert_transfer(&NewTransfer {
                direction: Direction::Send,
                peer,
                root_hash: &root_hex,
                label: &info.label,
                files: info.files,
                bytes: info.bytes,
                location: &info.location,
            })
            .and_then(|id| {
                self.db.finish_transfer(
                    id,
                    &TransferOutcome {
                        status: TransferStatus::Complete,
                        bytes_transferred: sent,
                        path_kind: "",
                        error: "",
                    },
                )
            });
        if let Err(e) = result {
            tracing::warn!("cannot record a download in the history: {e}");
        }
    }

    async fn run(self, mut rx: tokio::sync::mpsc::Receiver<ProviderMessage>, events: EventBus) {
        while let Some(msg) = rx.recv().await {
            match msg {
                ProviderMessage::ClientConnectedNotify(msg) => {
                    if let Some(id) = msg.endpoint_id {
                        self.state().connections.insert(msg.connection_id, id);
                    }
                }
                ProviderMessage::ConnectionClosed(msg) => {
                    {
                        let mut state = self.state();
                        state.connections.remove(&msg.connection_id);
                        if let Some(w) = state.whole.get_mut(&msg.connection_id) {
                            w.closed = true;
                        }
                    }
                    self.settle_whole(msg.connection_id, &events);
                    self.state().sent.remove(&msg.connection_id);
                }
                ProviderMessage::GetRequestReceived(msg) => {
                    let request = msg.request.clone();
                    let connection_id = msg.connection_id;
                    let peer = self.peer(connection_id);
                    if !self.may_get(&request, self.peer_id(connection_id)) {
                        events.emit(Event::RequestRefused {
                            peer,
                            hash: request.hash.to_string(),
                        });
                        msg.tx.send(Err(AbortReason::Permission)).await.ok();
                        continue;
                    }
                    msg.tx.send(Ok(())).await.ok();
                    // A request on a second root counts for the share.
                    let share_root = self.state().root_of(&request.hash);
                    let is_root = share_root.is_some();
                    let root = share_root.unwrap_or(request.hash);
                    if is_root && request.ranges.is_all() {
                        self.state().whole.insert(
                            connection_id,
                            WholeRequest {
                                root,
                                peer: peer.clone(),
                                completed: false,
                                closed: false,
                            },
                        );
                    }
                    let mut updates = msg.rx;
                    let events = events.clone();
                    let access = self.clone();
                    tokio::spawn(async move {
                        while let Ok(Some(update)) = updates.recv().await {
                            match update {
                                RequestUpdate::Completed(done) => {
                                    let sent = access
                                        .add_sent(connection_id, done.stats.payload_bytes_sent);
                                    if is_root && request.ranges.is_empty() {
                                        // Ferry's closing request: everything arrived.
                                        access.record_download(&root, &peer, sent);
                                        events.emit(Event::ShareDownloaded {
                                            root: root.to_string(),
                                            peer,
                                        });
                                    } else if is_root && request.ranges.is_all() {
                                        // Sent, but maybe not yet read: done once the
                                        // peer has hung up too.
                                        if let Some(w) =
                                            access.state().whole.get_mut(&connection_id)
                                        {
                                            w.completed = true;
                                        }
                                        access.settle_whole(connection_id, &events);
                                    }
                                    break;
                                }
                                RequestUpdate::Aborted(aborted) => {
                                    if !is_root {
                                        access.serve_failed(request.hash);
                                    }
                                    access.state().whole.remove(&connection_id);
                                    access
                                        .add_sent(connection_id, aborted.stats.payload_bytes_sent);
                                    break;
                                }
                                _ => {}
                            }
                        }
                    });
                }
                ProviderMessage::GetManyRequestReceived(msg) => {
                    let peer = self.peer_id(msg.connection_id);
                    let ok = msg
                        .request
                        .hashes
                        .iter()
                        .all(|h| self.may_get_blob(h, peer));
                    let reply = if ok {
                        Ok(())
                    } else {
                        events.emit(Event::RequestRefused {
                            peer: self.peer(msg.connection_id),
                            hash: msg
                                .request
                                .hashes
                                .first()
                                .map(|h| h.to_string())
                                .unwrap_or_default(),
                        });
                        Err(AbortReason::Permission)
                    };
                    msg.tx.send(reply).await.ok();
                }
                ProviderMessage::ObserveRequestReceived(msg) => {
                    let reply =
                        if self.may_get_blob(&msg.request.hash, self.peer_id(msg.connection_id)) {
                            Ok(())
                        } else {
                            Err(AbortReason::Permission)
                        };
                    msg.tx.send(reply).await.ok();
                }
                ProviderMessage::PushRequestReceived(msg) => {
                    msg.tx.send(Err(AbortReason::Permission)).await.ok();
                }
                ProviderMessage::ClientConnected(msg) => {
                    msg.tx.send(Ok(())).await.ok();
                }
                ProviderMessage::Throttle(msg) => {
                    msg.tx.send(Ok(())).await.ok();
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use iroh_blobs::protocol::{ChunkRanges, ChunkRangesSeq};

    use super::*;

    fn id(n: u8) -> EndpointId {
        iroh::SecretKey::from_bytes(&[n; 32]).public()
    }

    #[tokio::test]
    async fn a_push_is_served_to_its_device_only() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("ferry.sqlite")).unwrap();
        let (access, _sender) = Access::new(EventBus::new(), db);
        let (phone, stranger) = (id(1), id(2));
        let (root, child, shared) = (Hash::new(b"root"), Hash::new(b"child"), Hash::new(b"both"));
        let info = |only| ShareInfo {
            only,
            ..ShareInfo::default()
        };
        access.allow(
            root,
            None,
            vec![root, child, shared],
            vec![],
            info(Some(phone)),
        );
        let whole = |hash| GetRequest::new(hash, ChunkRangesSeq::all());
        let blob = |hash| GetRequest::blob_ranges(hash, ChunkRanges::all());

        assert!(access.may_get(&whole(root), Some(phone)));
        assert!(access.may_get(&blob(child), Some(phone)));
        for who in [Some(stranger), None] {
            assert!(!access.may_get(&whole(root), who));
            assert!(!access.may_get(&blob(child), who));
            assert!(!access.may_get_blob(&child, who));
        }

        // A public share holding one of the blobs opens that blob, and only it.
        let public = Hash::new(b"public root");
        access.allow(public, None, vec![public, shared], vec![], info(None));
        assert!(access.may_get(&blob(shared), Some(stranger)));
        assert!(!access.may_get(&blob(child), Some(stranger)));

        // Once the push ends, nothing of it is served, even to the phone.
        access.revoke(&root, Some(phone));
        assert!(!access.may_get(&whole(root), Some(phone)));
        assert!(!access.may_get(&blob(child), Some(phone)));
        assert!(access.may_get(&blob(shared), Some(phone)));
    }
    /// A failed serve of collection content reaches the collections that
    /// hold it (to be taken in again), and only those; other content is
    /// not reported.
    #[tokio::test]
    async fn a_failed_serve_of_collection_content_reaches_its_collections() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("ferry.sqlite")).unwrap();
        let (access, _sender) = Access::new(EventBus::new(), db);
        let (photo, other) = (Hash::new(b"photo"), Hash::new(b"other"));
        access.set_collection(7, HashSet::from([id(1)]), HashSet::from([photo]));
        access.set_collection(9, HashSet::from([id(1)]), HashSet::from([photo]));
        let mut failed = access.failed_serves();
        access.serve_failed(other);
        access.serve_failed(photo);
        let (hash, mut holders) = failed.recv().await.unwrap();
        holders.sort();
        assert_eq!((hash, holders), (photo, vec![7, 9]));
        assert!(
            failed.try_recv().is_err(),
            "content of no collection is not reported"
        );
    }

    #[tokio::test]
    async fn a_second_root_is_served_with_its_share_and_ends_with_it() {
        // Given a share pushed to the phone with a second root (the same
        // files without the empty-folder entries).
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("ferry.sqlite")).unwrap();
        let (access, _sender) = Access::new(EventBus::new(), db);
        let (phone, stranger) = (id(1), id(2));
        let (root, second, child) = (Hash::new(b"root"), Hash::new(b"second"), Hash::new(b"c"));
        let info = ShareInfo {
            only: Some(phone),
            ..ShareInfo::default()
        };
        access.allow(root, Some(second), vec![root, second, child], vec![], info);
        let whole = |hash| GetRequest::new(hash, ChunkRangesSeq::all());

        // Then the second root may be read as a collection by the phone
        // only, and it counts as the share's.
        assert!(access.may_get(&whole(second), Some(phone)));
        assert!(!access.may_get(&whole(second), Some(stranger)));
        assert!(!access.may_get(&whole(child), Some(phone)));
        assert_eq!(access.state().root_of(&second), Some(root));

        // When the share ends, its second root is not served either.
        access.revoke(&root, Some(phone));
        assert!(!access.may_get(&whole(second), Some(phone)));
        assert!(access.state().second_roots.is_empty());
    }

    #[tokio::test]
    async fn each_grant_of_the_same_content_ends_on_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("ferry.sqlite")).unwrap();
        let (access, _sender) = Access::new(EventBus::new(), db);
        let (phone, laptop, stranger) = (id(1), id(2), id(3));
        let (root, child) = (Hash::new(b"root"), Hash::new(b"child"));
        let grant = |only| {
            access.allow(
                root,
                None,
                vec![root, child],
                vec![],
                ShareInfo {
                    only,
                    ..ShareInfo::default()
                },
            )
        };
        let whole = |hash| GetRequest::new(hash, ChunkRangesSeq::all());
        let blob = |hash| GetRequest::blob_ranges(hash, ChunkRanges::all());
        let served_to = |peer| {
            let (w, b) = (
                access.may_get(&whole(root), Some(peer)),
                access.may_get(&blob(child), Some(peer)),
            );
            assert_eq!(w, b, "the root and its blob answer alike");
            w
        };

        // Pushed to two devices at once, then shared twice by two commands.
        grant(Some(phone));
        grant(Some(laptop));
        assert!(served_to(phone) && served_to(laptop) && !served_to(stranger));
        grant(None);
        grant(None);
        assert!(served_to(stranger));

        // The first push ends: the other device still gets its copy.
        access.revoke(&root, Some(phone));
        assert!(served_to(laptop));
        // One command stops sharing: the other one still serves.
        access.revoke(&root, None);
        assert!(served_to(stranger));
        // A grant that was never made ends nothing.
        access.revoke(&root, Some(stranger));
        assert!(served_to(stranger));
        access.revoke(&root, None);
        assert!(!served_to(stranger) && !served_to(phone) && served_to(laptop));
        access.revoke(&root, Some(laptop));
        assert!(!served_to(laptop));
        assert!(access.state().shares.is_empty() && access.state().blobs.is_empty());
    }
}
