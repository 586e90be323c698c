//! One open collection: its entries in memory, the sync loop, the folder
//! mirror and content fetching.
//!
//! One task per collection runs everything that touches the folder, so a
//! scan and a write never race each other:
//! 1. **Scan**: walk the folder; a file that differs from the index is
//!    imported into the blob store (copied, so every version stays
//!    addressable) and written as a new version whose parent is the version
//!    the file held. A file still being written (a write seen without its
//!    close, or modified less than a second ago and still changing) waits.
//!    A file gone from disk becomes a deletion.
//! 2. **Materialize**: compare the folder the entries describe with the
//!    index; write what changed (temp file + rename), but only over a file
//!    the index still matches: a local edit not yet imported is never
//!    clobbered, it is imported on the next scan and resolves as a conflict.
//! 3. **Fetch**: content the folder needs (or pinned paths, without a
//!    folder) is downloaded from every online member at once; each file
//!    comes from whichever member answers, verified as it streams.
//!
//! Entries travel only between members, by range reconciliation over a
//! connection Ferry opens or accepts for one namespace (see
//! [`super::DocsGate`]): to every member when the loop starts, on a kick,
//! every [`RESYNC`], and right after this device wrote entries. Gossip is
//! not used: a gossip swarm hands live entries to whoever joins its topic.

use std::{
    collections::{BTreeSet, HashMap, HashSet, VecDeque},
    path::{Path, PathBuf},
    str::FromStr,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use iroh::{EndpointAddr, EndpointId};
use iroh_blobs::{
    BlobFormat, Hash,
    api::{
        TempTag,
        blobs::AddPathOptions,
        proto::{BlobStatus, ImportMode},
    },
};
use iroh_docs::{
    NamespaceId, NamespaceSecret,
    api::Doc,
    engine::LiveEvent,
    store::{DownloadPolicy, Query},
};
use n0_future::StreamExt;
use tokio::{
    sync::{Notify, mpsc},
    task::JoinSet,
};
use tracing::{debug, warn};

use super::{
    CollectionError, CollectionInfo, CollectionStatus, FileInfo, MemberStatus, VersionInfo,
    ignore::Ignore,
    ip_addrs, mirror,
    model::{FILE_PREFIX, Folder, MEMBER_PREFIX, Member, Model, Placed, Version},
    namespace_of, new_version, now_us, sync_err,
};
use crate::{
    events::{ChangeOrigin, Event, FileChange},
    node::Node,
    store::{CollectionRow, FileRow},
};

/// Quiet time after a file system event before scanning.
mod content;
mod keep;
pub(crate) use keep::KEEP_AT_LEAST;
mod materialize;
mod plan;
mod scan;

use scan::cached_ignore;

const DEBOUNCE: Duration = Duration::from_millis(100);
/// A changed file younger than this waits until it stops changing.
const SETTLE: Duration = Duration::from_secs(1);
/// How soon a file that was still changing is looked at again.
const RECHECK: Duration = Duration::from_millis(300);
/// A write without its close is trusted as finished after this long.
const WRITE_EXPIRY: Duration = Duration::from_secs(30);
/// How often members are asked again for what they have.
const RESYNC: Duration = Duration::from_secs(30);
/// With a watcher, a scan reads the paths it named; the whole folder is
/// read at the start, when events were lost, and this often besides.
const FULL_SCAN: Duration = Duration::from_secs(600);
/// More paths named at once than this: the whole folder is read.
const MAX_SCOPE: usize = 5000;
/// Wait before fetching again after a round that brought nothing.
const FETCH_BACKOFF: Duration = Duration::from_secs(3);
/// File system events queued for the loop; beyond, they are dropped and a
/// full scan stands in for them (a burst of changes, a slow scan).
const FS_EVENTS: usize = 4096;
/// The longest one sync with one member may take (a member that stalls a
/// sync is dropped and asked again later).
const SYNC_TIMEOUT: Duration = Duration::from_secs(600);

/// Which files the file watcher saw being written.
#[derive(Debug, Default)]
pub(crate) struct FolderWatch {
    /// Written to and not yet closed, with when that was seen.
    writing: HashMap<PathBuf, Instant>,
    /// Closed after writing since the last scan.
    closed: HashSet<PathBuf>,
    /// Whether a watcher reports the folder's changes: only then may a
    /// scan read no more than the paths it named.
    watching: bool,
    /// Paths the watcher named since the last scan.
    touched: BTreeSet<PathBuf>,
    /// Whether the next scan must read the whole folder (events were lost,
    /// or one named no path).
    full: bool,
    /// When the whole folder was last read.
    last_full: Option<Instant>,
}

impl FolderWatch {
    /// What the next scan reads: `None` for the whole folder (no watcher,
    /// the first scan, lost events, many paths, or [`FULL_SCAN`] since the
    /// last whole read), else the paths the watcher named (a folder for
    /// everything under it), those being written or closed since, and
    /// `unsettled`.
    pub(super) fn take_scope<'a>(
        &mut self,
        dir: &Path,
        unsettled: impl Iterator<Item = &'a String>,
    ) -> Option<BTreeSet<String>> {
        let due = self.last_full.is_none_or(|t| t.elapsed() >= FULL_SCAN);
        let touched = std::mem::take(&mut self.touched);
        let mut scope = BTreeSet::new();
        let mut whole = !self.watching || self.full || due || touched.len() > MAX_SCOPE;
        if !whole {
            let closed = self.closed.iter();
            for path in touched.iter().chain(self.writing.keys()).chain(closed) {
                match path.strip_prefix(dir).ok().and_then(Path::to_str) {
                    Some(rel)
                        if !rel.is_empty() && rel != crate::collections::ignore::IGNORE_FILE =>
                    {
                        scope.insert(rel.to_string());
                    }
                    // The folder itself, `.ferryignore`, or a path outside.
                    _ => whole = true,
                }
            }
        }
        if whole {
            self.full = false;
            self.last_full = Some(Instant::now());
            return None;
        }
        scope.extend(unsettled.cloned());
        Some(scope)
    }
}

#[derive(Debug, Default)]
struct MirrorState {
    loaded: bool,
    index: HashMap<Arc<str>, FileRow>,
    /// Changed files seen once, waiting to be seen unchanged.
    unsettled: HashMap<String, mirror::Stat>,
    /// Unsyncable names already reported.
    reported: HashSet<String>,
    /// The last `.ferryignore` text read and what it compiled to.
    ignore: Option<(String, Ignore)>,
}

/// What a member still has to fetch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Pending {
    files: u64,
    bytes: u64,
}

/// One open collection.
#[derive(Debug)]
pub(crate) struct OpenCollection {
    pub id: i64,
    pub name: String,
    pub dir: Option<PathBuf>,
    pub namespace: NamespaceId,
    pub doc: Doc,
    model: Mutex<Model>,
    online: Arc<Mutex<HashSet<EndpointId>>>,
    /// Content hashes known to be complete in the blob store.
    have: Mutex<HashSet<Hash>>,
    /// Content whose store entry may name bytes that changed (its file was
    /// edited, replaced, moved aside or removed), with when that was seen:
    /// neither read, fetched nor protected until a sweep removed the entry
    /// and it was taken in again from where it is still intact.
    stale: Mutex<HashMap<Hash, (Instant, u64)>>,
    /// Content fetched this run into the folder's staging area, verified,
    /// waiting to be moved to its place.
    staged: Arc<Mutex<HashSet<Hash>>>,
    /// Temp tags of content taken in lately: a sweep whose list of what to
    /// keep was made before its version was written must not take it.
    held: Mutex<VecDeque<(Instant, TempTag)>>,
    /// Files and bytes still to fetch: set by each round's count, and by a
    /// fetch as it ends (before the files it brought are placed, so the
    /// status never lags behind the folder).
    pending: Arc<Mutex<Pending>>,
    last_sync: Mutex<Option<i64>>,
    kick_tx: mpsc::Sender<()>,
    kick_rx: Mutex<Option<mpsc::Receiver<()>>>,
    task: Mutex<Option<n0_future::task::AbortOnDropHandle<()>>>,
    fetching: Arc<AtomicBool>,
    mirror: tokio::sync::Mutex<MirrorState>,
    /// Whether the loop runs with sync enabled in the docs store: only
    /// then are members' syncs accepted.
    sync_on: AtomicBool,
    /// Entries this device wrote, counted, so the loop knows when to hand
    /// them to the members.
    written: AtomicU64,
    /// Asks the loop for a cycle (a member came online).
    wake: Notify,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl OpenCollection {
    /// Opens a collection's namespace and reads every entry.
    pub async fn load(node: &Node, row: CollectionRow) -> Result<Self, CollectionError> {
        let namespace = namespace_of(&row)?;
        let rt = &node.inner.collections;
        let doc = rt
            .docs
            .open(namespace)
            .await
            .map_err(sync_err)?
            .ok_or_else(|| sync_err(format!("the data of collection {:?} is missing", row.name)))?;
        // Content is fetched by the live loop, never by the sync engine.
        doc.set_download_policy(DownloadPolicy::NothingExcept(Vec::new()))
            .await
            .map_err(sync_err)?;
        let mut model = Model::default();
        let entries = doc.get_many(Query::all()).await.map_err(sync_err)?;
        tokio::pin!(entries);
        while let Some(entry) = entries.next().await {
            let entry = entry.map_err(sync_err)?;
            add_entry(
                &mut model,
                entry.key(),
                entry.content_hash(),
                entry.content_len(),
            )
            .ok();
        }
        // One waiting kick is as good as many.
        let (kick_tx, kick_rx) = mpsc::channel(1);
        let live = Self {
            id: row.id,
            name: row.name,
            dir: row.dir.map(PathBuf::from),
            namespace,
            doc,
            model: Mutex::new(model),
            online: Arc::default(),
            have: Mutex::default(),
            stale: Mutex::default(),
            staged: Arc::default(),
            held: Mutex::default(),
            pending: Arc::default(),
            last_sync: Mutex::new(row.last_sync_ms),
            kick_tx,
            kick_rx: Mutex::new(Some(kick_rx)),
            task: Mutex::default(),
            fetching: Arc::default(),
            mirror: tokio::sync::Mutex::default(),
            sync_on: AtomicBool::new(false),
            written: AtomicU64::new(0),
            wake: Notify::new(),
        };
        live.publish_access(node);
        Ok(live)
    }

    pub fn model(&self) -> MutexGuard<'_, Model> {
        lock(&self.model)
    }

    /// Tells the serving policy and the address book what this holds.
    fn publish_access(&self, node: &Node) {
        self.publish(node, true);
    }

    /// Tells the serving policy and the address book who the members are
    /// (a member record arrived: the content is known already, and going
    /// over every version for each record would be quadratic).
    fn publish_members(&self, node: &Node) {
        self.publish(node, false);
    }

    fn publish(&self, node: &Node, with_content: bool) {
        let model = self.model();
        let members = super::members_set_of(&model);
        let hashes = if with_content {
            model.hashes()
        } else {
            HashSet::new()
        };
        node.inner.access.set_collection(self.id, members, hashes);
        for m in model.members() {
            if let Ok(id) = EndpointId::from_bytes(&m.device)
                && id != node.id()
                && !m.addrs.is_empty()
            {
                node.inner
                    .collections
                    .lookup
                    .add_endpoint_info(super::endpoint_addr(id, &m.addrs));
            }
        }
    }

    pub fn info(&self) -> CollectionInfo {
        let mut model = self.model();
        let folder = model.folder();
        CollectionInfo {
            name: self.name.clone(),
            dir: self.dir.clone(),
            members: model.members().len(),
            files: folder.len() as u64,
            bytes: folder.values().map(|p| p.size).sum(),
        }
    }

    pub fn status(&self, node: &Node) -> CollectionStatus {
        let online = lock(&self.online).clone();
        let mut model = self.model();
        let folder = model.folder();
        let members = model
            .members()
            .into_iter()
            .map(|m| {
                let id = EndpointId::from_bytes(&m.device).ok();
                let this_device = id == Some(node.id());
                MemberStatus {
                    id: id.map(|i| i.to_string()).unwrap_or_default(),
                    name: m.name.clone(),
                    online: this_device || id.is_some_and(|i| online.contains(&i)),
                    this_device,
                }
            })
            .collect();
        let Pending {
            files: pending_files,
            bytes: pending_bytes,
        } = *lock(&self.pending);
        CollectionStatus {
            name: self.name.clone(),
            dir: self.dir.clone(),
            members,
            files: folder.len() as u64,
            bytes: folder.values().map(|p| p.size).sum(),
            pending_files,
            pending_bytes,
            conflicts: folder
                .iter()
                .filter(|(_, p)| p.conflict_of.is_some())
                .map(|(path, _)| path.to_string())
                .collect(),
            last_sync_ms: *lock(&self.last_sync),
            keep: node.inner.db.keep_policy(self.id).unwrap_or_default(),
            kept_bytes: node
                .inner
                .db
                .kept(self.id)
                .map(|k| k.iter().map(|r| r.size).sum())
                .unwrap_or(0),
        }
    }

    pub async fn files(&self, node: &Node) -> Vec<FileInfo> {
        let folder = self.model().folder();
        let mut out = Vec::with_capacity(folder.len());
        for (path, placed) in folder.iter() {
            out.push(FileInfo {
                local: self.has(node, placed.hash).await,
                path: path.to_string(),
                size: placed.size,
                hash: placed.hash.to_hex().to_string(),
                conflict_of: placed.conflict_of.as_deref().map(str::to_string),
            });
        }
        out
    }

    pub async fn history(&self, node: &Node, path: &str) -> Vec<VersionInfo> {
        let mut versions: Vec<VersionInfo> = {
            let mut model = self.model();
            let shown: HashSet<[u8; 16]> = model.folder().values().map(|p| p.version).collect();
            model
                .history(path)
                .into_iter()
                .enumerate()
                .map(|(i, v)| VersionInfo {
                    number: i + 1,
                    device: v.device_name.to_string(),
                    device_id: EndpointId::from_bytes(&v.device)
                        .map(|id| id.to_string())
                        .unwrap_or_default(),
                    time_ms: (v.time_us / 1000) as i64,
                    size: v.content.map(|(_, s)| s).unwrap_or(0),
                    deleted: v.content.is_none(),
                    hash: v
                        .content
                        .map(|(h, _)| h.to_hex().to_string())
                        .unwrap_or_default(),
                    current: shown.contains(&v.id),
                    here: false,
                })
                .collect()
        };
        let kept: HashSet<String> = node
            .inner
            .db
            .kept(self.id)
            .map(|k| k.into_iter().map(|r| r.hash).collect())
            .unwrap_or_default();
        for v in versions.iter_mut().filter(|v| !v.deleted) {
            v.here = kept.contains(&v.hash)
                || match Hash::from_str(&v.hash) {
                    Ok(hash) => self.has(node, hash).await,
                    Err(_) => false,
                };
        }
        versions
    }

    /// The write capability, for an invitation. (Read from the store, not
    /// through the docs' sharing, which would also start the engine's own
    /// sync with every peer it remembers.)
    pub async fn secret(&self, node: &Node) -> Result<NamespaceSecret, CollectionError> {
        node.inner
            .collections
            .sync
            .export_secret_key(self.namespace)
            .await
            .map_err(sync_err)
    }

    /// Whether a sync of this collection with `peer` is accepted: only
    /// from a current member, and only while the loop runs.
    pub fn accepts(&self, peer: &EndpointId) -> bool {
        self.sync_on.load(Ordering::SeqCst) && self.model().is_member(peer.as_bytes())
    }

    /// Takes in the end of a sync with `peer` (either side started it).
    pub fn synced(&self, node: &Node, peer: EndpointId, ok: bool) {
        if !ok {
            if lock(&self.online).remove(&peer) {
                self.emit_peer(node, peer, false);
            }
            return;
        }
        if let Ok(now) = node.inner.db.touch_collection_sync(self.id) {
            *lock(&self.last_sync) = Some(now);
        }
        if lock(&self.online).insert(peer) {
            self.emit_peer(node, peer, true);
            // Content may be fetched from it now.
            self.wake.notify_one();
        }
        node.inner.events.emit(Event::CollectionSynced {
            collection: self.name.clone(),
            peer: peer.to_string(),
        });
    }

    /// Writes a version and takes it into the model.
    pub async fn write_version(
        &self,
        node: &Node,
        version: Version,
    ) -> Result<(), CollectionError> {
        // Refused before it is written, so that the docs store and the
        // model agree.
        self.model()
            .room_for_version(&version.path)
            .map_err(CollectionError::Full)?;
        let (key, hash, size) = version.encode();
        // Straight to the docs store's actor, not through the docs API's
        // (which answers one call after another): a scan writes many
        // versions at once.
        node.inner
            .collections
            .sync
            .insert_local(
                self.namespace,
                node.inner.collections.author,
                key.into(),
                hash,
                size,
            )
            .await
            .map_err(sync_err)?;
        if let Some((hash, _)) = version.content {
            node.inner.access.add_collection_hash(self.id, hash);
            lock(&self.have).insert(hash);
        }
        self.model()
            .add_version(version)
            .map_err(CollectionError::Full)?;
        self.written.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Writes this device's member record.
    pub async fn write_member(&self, node: &Node, left: bool) -> Result<(), CollectionError> {
        let addrs = ip_addrs(&node.addr().await);
        let me = Member {
            device: *node.id().as_bytes(),
            name: node.device_name().to_string(),
            addrs,
            left,
            time_us: now_us(),
        };
        self.add_member(node, me).await
    }

    pub async fn add_member(&self, node: &Node, member: Member) -> Result<(), CollectionError> {
        if !self.model().has_room_for(&member.device) {
            return Err(CollectionError::TooManyMembers(super::model::MAX_MEMBERS));
        }
        let (key, hash, size) = member.encode();
        self.doc
            .set_hash(node.inner.collections.author, key, hash, size)
            .await
            .map_err(sync_err)?;
        self.model().add_member(member).ok();
        self.publish_members(node);
        self.written.fetch_add(1, Ordering::SeqCst);
        // Members hear of it now, not at the next resync: a new member is
        // served by the others only once they know it.
        self.wake.notify_one();
        Ok(())
    }

    pub fn kick(&self) {
        // Full: a kick already waits.
        self.kick_tx.try_send(()).ok();
    }

    pub fn is_running(&self) -> bool {
        lock(&self.task).is_some()
    }

    pub fn stop(&self) {
        self.sync_on.store(false, Ordering::SeqCst);
        lock(&self.task).take();
    }

    /// Hands what was just written to the other members: syncs with each
    /// of them (whether it was seen online lately or not: a sync that
    /// failed once says little) and returns when those syncs end, or after
    /// `limit` when one cannot be reached.
    pub async fn hand_over(&self, node: &Node, limit: Duration) {
        let mut syncs = JoinSet::new();
        for peer in self.peers(node) {
            let endpoint = node.inner.endpoint.clone();
            let sync = node.inner.collections.sync.clone();
            let namespace = self.namespace;
            syncs.spawn(async move {
                let id = peer.id;
                let done =
                    iroh_docs::net::connect_and_sync(&endpoint, &sync, namespace, peer, None).await;
                if let Err(e) = done {
                    debug!(peer = %id.fmt_short(), "handing over failed: {e}");
                }
            });
        }
        let all_ended = async { while syncs.join_next().await.is_some() {} };
        if tokio::time::timeout(limit, all_ended).await.is_err() {
            debug!(collection = %self.name, "members still syncing after {limit:?}; going on");
        }
    }

    /// Starts the sync loop (once).
    pub fn start(self: &Arc<Self>, node: Node) {
        let mut task = lock(&self.task);
        if task.is_some() {
            return;
        }
        let Some(kicks) = lock(&self.kick_rx).take() else {
            return;
        };
        // Watch before returning, so nothing written from now on is missed.
        let (fs_tx, fs_rx) = mpsc::channel(FS_EVENTS);
        let overflow = Arc::new(AtomicBool::new(false));
        let watcher = self
            .dir
            .as_deref()
            .and_then(|dir| watch(dir, fs_tx, overflow.clone()));
        let live = self.clone();
        *task = Some(n0_future::task::AbortOnDropHandle::new(tokio::spawn(
            async move {
                live.run(
                    node,
                    kicks,
                    watcher,
                    FsEvents {
                        rx: fs_rx,
                        overflow,
                    },
                )
                .await
            },
        )));
    }

    /// Scans and materializes once, without the loop (no watcher: every
    /// changed file is taken as it is).
    pub async fn scan_once(&self, node: &Node) -> Result<(), CollectionError> {
        self.cycle(node, &mut FolderWatch::default(), true, None)
            .await;
        Ok(())
    }

    /// Every other member with the freshest addresses known (a paired
    /// device's from the device table); the address book learns them too.
    fn peers(&self, node: &Node) -> Vec<EndpointAddr> {
        let mut peers: Vec<EndpointAddr> = self
            .model()
            .members()
            .into_iter()
            .filter_map(|m| {
                let id = EndpointId::from_bytes(&m.device).ok()?;
                (id != node.id()).then(|| super::endpoint_addr(id, &m.addrs))
            })
            .collect();
        for peer in &mut peers {
            if let Ok(Some(device)) = node.inner.db.device(&peer.id.to_string())
                && let Some(addr) = device.endpoint_addr()
            {
                peer.addrs.extend(addr.addrs);
            }
            if !peer.addrs.is_empty() {
                node.inner
                    .collections
                    .lookup
                    .add_endpoint_info(peer.clone());
            }
        }
        peers
    }

    async fn run(
        self: Arc<Self>,
        node: Node,
        mut kicks: mpsc::Receiver<()>,
        watcher: Option<notify::RecommendedWatcher>,
        mut fs: FsEvents,
    ) {
        // Kept alive while the loop runs.
        let watching = watcher.is_some();
        let _watcher = watcher;
        let events = match self.doc.subscribe().await {
            Ok(events) => events,
            Err(e) => {
                warn!(collection = %self.name, "cannot follow the collection: {e}");
                return;
            }
        };
        // Sync events are taken in by a task of their own, never behind a
        // scan: the docs actor waits for its subscribers, and a scan waits
        // for the docs actor.
        let (changed_tx, mut changed) = mpsc::channel::<()>(1);
        let _events_task = n0_future::task::AbortOnDropHandle::new(tokio::spawn({
            let (live, node) = (self.clone(), node.clone());
            let mut events = events;
            async move {
                while let Some(ev) = events.next().await {
                    match ev {
                        Ok(ev) => {
                            if live.on_event(&node, ev) {
                                // Full: a wake-up already waits.
                                changed_tx.try_send(()).ok();
                            }
                        }
                        Err(e) => debug!("collection event: {e}"),
                    }
                }
            }
        }));
        if let Err(e) = node
            .inner
            .collections
            .sync
            .set_sync(self.namespace, true)
            .await
        {
            warn!(collection = %self.name, "cannot start sync: {e}");
            return;
        }
        self.sync_on.store(true, Ordering::SeqCst);
        if let Some(dir) = self
            .dir
            .as_deref()
            .filter(|d| mirror::check_root(d).is_ok())
        {
            self.clear_staging(dir).await;
        }
        let mut syncs = Syncs::default();
        let mut failed_serves = node.inner.access.failed_serves();
        let mut written = self.written.load(Ordering::SeqCst);
        self.sync_all(&node, &mut syncs);
        // One fetch runs at a time, so one end waits at most.
        let (fetch_tx, mut fetch_rx) = mpsc::channel::<bool>(1);
        let mut watch_state = FolderWatch {
            watching,
            ..FolderWatch::default()
        };
        let mut next = Some(tokio::time::Instant::now());
        let mut resync = tokio::time::interval(RESYNC);
        resync.tick().await;
        let mut fetch_backoff = None::<tokio::time::Instant>;
        loop {
            let wake = async {
                match next {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            let soon = |d: Duration, next: &mut Option<tokio::time::Instant>| {
                let t = tokio::time::Instant::now() + d;
                *next = Some(next.map_or(t, |n| n.min(t)));
            };
            tokio::select! {
                Some(()) = changed.recv() => soon(Duration::from_millis(20), &mut next),
                () = self.wake.notified() => soon(Duration::ZERO, &mut next),
                Some(ev) = fs.rx.recv() => {
                    let lost = fs.overflow.swap(false, Ordering::SeqCst);
                    watch_state.full |= lost;
                    if on_fs_event(&mut watch_state, ev) || lost {
                        soon(DEBOUNCE, &mut next);
                    }
                }
                failed = failed_serves.recv() => {
                    // Content this device could not serve is taken in
                    // again from wherever it is still intact.
                    if let Ok((hash, holders)) = failed
                        && holders.contains(&self.id)
                    {
                        self.mark_stale(&node, hash, 0);
                        soon(Duration::from_secs(1), &mut next);
                    }
                }
                Some(()) = kicks.recv() => {
                    self.sync_all(&node, &mut syncs);
                    soon(Duration::ZERO, &mut next);
                }
                Some(joined) = syncs.tasks.join_next_with_id(), if !syncs.tasks.is_empty() => {
                    let (task, ok) = match joined {
                        Ok((task, ok)) => (task, ok),
                        Err(e) => (e.id(), false),
                    };
                    if let Some(peer) = syncs.peers.remove(&task) {
                        self.synced(&node, peer, ok);
                        if syncs.running.remove(&peer) == Some(true) {
                            // Asked for again while it ran.
                            if let Some(addr) = self.peers(&node).into_iter().find(|p| p.id == peer) {
                                self.sync_with(&node, &mut syncs, addr);
                            }
                        }
                    }
                }
                Some(progressed) = fetch_rx.recv() => {
                    if !progressed {
                        fetch_backoff = Some(tokio::time::Instant::now() + FETCH_BACKOFF);
                    }
                    soon(Duration::ZERO, &mut next);
                }
                _ = resync.tick() => {
                    self.sync_all(&node, &mut syncs);
                    soon(Duration::ZERO, &mut next);
                }
                () = wake => {
                    next = None;
                    let may_fetch = fetch_backoff.is_none_or(|t| t <= tokio::time::Instant::now());
                    let tx = may_fetch.then_some(&fetch_tx);
                    if let Some(again) = self.cycle(&node, &mut watch_state, false, tx).await {
                        soon(again, &mut next);
                    }
                    // What this device wrote goes to the members at once.
                    let now_written = self.written.load(Ordering::SeqCst);
                    if now_written != written {
                        written = now_written;
                        self.sync_all(&node, &mut syncs);
                    }
                    if !may_fetch && let Some(t) = fetch_backoff {
                        let t = t.max(tokio::time::Instant::now());
                        next = Some(next.map_or(t, |n| n.min(t)));
                        fetch_backoff = None;
                    }
                }
            }
        }
    }

    /// Takes in one sync event; true if the folder may need work.
    fn on_event(&self, node: &Node, ev: LiveEvent) -> bool {
        match ev {
            LiveEvent::InsertRemote { from, entry, .. } => {
                // Entries from a member count as a sync (at most one
                // database write a second).
                let stale = lock(&self.last_sync).is_none_or(|t| crate::store::now_ms() - t > 1000);
                if stale && let Ok(now) = node.inner.db.touch_collection_sync(self.id) {
                    *lock(&self.last_sync) = Some(now);
                }
                let added = {
                    let mut model = self.model();
                    add_entry(
                        &mut model,
                        entry.key(),
                        entry.content_hash(),
                        entry.content_len(),
                    )
                };
                match added {
                    Ok(Added::Version(Some(hash))) => {
                        node.inner.access.add_collection_hash(self.id, hash);
                    }
                    Ok(Added::Member) => self.publish_members(node),
                    Ok(_) => {}
                    Err(reason) => node.inner.events.emit(Event::CollectionEntryRefused {
                        collection: self.name.clone(),
                        peer: from.to_string(),
                        reason,
                    }),
                }
                true
            }
            _ => false,
        }
    }

    /// Starts a sync with every other member.
    fn sync_all(&self, node: &Node, syncs: &mut Syncs) {
        for peer in self.peers(node) {
            self.sync_with(node, syncs, peer);
        }
    }

    /// Starts a sync with one member, or, if one runs, asks for another
    /// after it (so entries written meanwhile are not left behind).
    fn sync_with(&self, node: &Node, syncs: &mut Syncs, peer: EndpointAddr) {
        if let Some(again) = syncs.running.get_mut(&peer.id) {
            *again = true;
            return;
        }
        syncs.running.insert(peer.id, false);
        let endpoint = node.inner.endpoint.clone();
        let sync = node.inner.collections.sync.clone();
        let (namespace, id) = (self.namespace, peer.id);
        let task = syncs.tasks.spawn(async move {
            let done = tokio::time::timeout(
                SYNC_TIMEOUT,
                iroh_docs::net::connect_and_sync(&endpoint, &sync, namespace, peer, None),
            )
            .await;
            match done {
                Ok(Ok(_)) => true,
                Ok(Err(e)) if finished_anyway(&e) => true,
                Ok(Err(e)) => {
                    debug!(peer = %id.fmt_short(), "sync failed: {e:#}");
                    false
                }
                Err(_) => false,
            }
        });
        syncs.peers.insert(task.id(), id);
    }

    fn emit_peer(&self, node: &Node, peer: EndpointId, online: bool) {
        let name = self
            .model()
            .members()
            .into_iter()
            .find(|m| m.device == *peer.as_bytes())
            .map(|m| m.name.clone())
            .unwrap_or_default();
        node.inner.events.emit(Event::CollectionPeer {
            collection: self.name.clone(),
            device: crate::DeviceRef {
                id: peer.to_string(),
                name,
            },
            online,
        });
    }

    /// Scan, materialize, fetch. Returns when to look again, if soon.
    async fn cycle(
        &self,
        node: &Node,
        watch: &mut FolderWatch,
        eager: bool,
        fetch_tx: Option<&mpsc::Sender<bool>>,
    ) -> Option<Duration> {
        let mut st = self.mirror.lock().await;
        if !st.loaded {
            match node.inner.db.collection_files(self.id) {
                Ok(rows) => {
                    // A path the collection shows shares its name with the
                    // model (one allocation for the two, at every file).
                    let folder = self.model().folder();
                    st.index = rows
                        .into_iter()
                        .map(|mut r| {
                            if let Some((path, _)) = folder.get_key_value(&*r.path) {
                                r.path = path.clone();
                            }
                            (r.path.clone(), r)
                        })
                        .collect();
                    st.loaded = true;
                }
                Err(e) => {
                    warn!("reading the folder index: {e}");
                    return Some(FETCH_BACKOFF);
                }
            }
        }
        let mut again = None;
        // A folder that is gone or was replaced by a symlink is left alone
        // (neither read nor written) until it is a real folder again.
        let dir = self
            .dir
            .clone()
            .filter(|dir| match mirror::check_root(dir) {
                Ok(()) => true,
                Err(e) => {
                    warn!(collection = %self.name, "not mirroring: {e}");
                    false
                }
            });
        self.heal(node, dir.as_deref(), &st).await;

        let ignore = match &dir {
            Some(dir) => cached_ignore(&mut st, dir),
            None => Ignore::default(),
        };
        if let Some(dir) = dir.clone() {
            again = self.scan(node, &dir, &ignore, &mut st, watch, eager).await;
        }
        // What the entries describe, after this device's own changes.
        let folder = self.model().folder();
        // Fetching starts first: writing what is here already may wait on
        // the docs store (busy taking in a member's entries), fetching not.
        if let Some(tx) = fetch_tx {
            self.fetch_missing(node, &ignore, &folder, tx.clone()).await;
        } else {
            self.count_missing(node, &ignore, &folder).await;
        }
        if let Some(dir) = &dir {
            self.materialize(node, dir, &ignore, &mut st, &folder).await;
            self.drop_unwanted_staged(dir, &folder);
        }
        // Stale content is looked at again soon: its sweep comes within
        // seconds, and nothing else may wake the loop.
        if !lock(&self.stale).is_empty() {
            let soon = Duration::from_secs(1);
            again = Some(again.map_or(soon, |a| a.min(soon)));
        }
        again
    }

    /// Writes a version that brings version `number` back.
    pub async fn restore(
        &self,
        node: &Node,
        path: &str,
        number: usize,
    ) -> Result<(), CollectionError> {
        let version = {
            let model = self.model();
            let history = model.history(path);
            let Some(old) = number.checked_sub(1).and_then(|i| history.get(i)) else {
                return Err(CollectionError::BadPath {
                    path: path.to_string(),
                    reason: format!("there is no version {number} (it has {})", history.len()),
                });
            };
            if old.content.is_none() {
                return Err(CollectionError::BadPath {
                    path: path.to_string(),
                    reason: format!("version {number} is a deletion; pick one with content"),
                });
            }
            let parents = model.heads(path).iter().map(|v| v.id).collect();
            new_version(node, path, parents, old.content)
        };
        if let Some((hash, _)) = version.content {
            // Kept content moved aside lately is taken in again first.
            self.wait_until_trusted(hash).await;
        }
        if let Some((hash, size)) = version.content
            && !self.has(node, hash).await
            && !self.is_staged(&hash)
        {
            // Fetch it first so the restore works offline afterwards too.
            let providers = self.providers(node);
            let sink = self.sink(node).map_err(|e| CollectionError::Io {
                path: self.dir.clone().unwrap_or_default(),
                source: e,
            })?;
            super::fetch::fetch(
                &node.inner.endpoint,
                &sink,
                providers,
                vec![(hash, size)],
                |_| {},
                Vec::new,
            )
            .await;
            if !self.has(node, hash).await && !self.is_staged(&hash) {
                return Err(CollectionError::NotKept {
                    path: path.to_string(),
                    number,
                    policy: node.inner.db.keep_policy(self.id).unwrap_or_default(),
                });
            }
        }
        self.write_version(node, version).await
    }
}

/// The syncs the loop started, one per member at a time.
#[derive(Default)]
struct Syncs {
    tasks: JoinSet<bool>,
    /// The member each task syncs with.
    peers: HashMap<tokio::task::Id, EndpointId>,
    /// Members with a sync running, and whether another was asked for.
    running: HashMap<EndpointId, bool>,
}

/// Whether a sync that ended with `e` exchanged everything anyway: its
/// closing read found the stream already read to its end (the accepting
/// side finished first and the sync's own reader took the end). Counting
/// that as a failure marked a member that had just synced offline, and a
/// change waited for the next round (30 s) after both restarted.
fn finished_anyway(e: &iroh_docs::net::ConnectError) -> bool {
    use iroh::endpoint::{ReadError, ReadToEndError};
    matches!(
        e,
        iroh_docs::net::ConnectError::Close { error }
            if matches!(
                error.downcast_ref::<ReadToEndError>(),
                Some(ReadToEndError::Read(ReadError::ClosedStream))
            )
    )
}

enum Added {
    Version(Option<Hash>),
    Member,
    Other,
}

/// Decodes one entry into the model.
fn add_entry(model: &mut Model, key: &[u8], hash: Hash, len: u64) -> Result<Added, String> {
    if key.starts_with(FILE_PREFIX) {
        let version = Version::decode(key, hash, len)?;
        let content = version.content.map(|(h, _)| h);
        model.add_version(version)?;
        Ok(Added::Version(content))
    } else if key.starts_with(MEMBER_PREFIX) {
        model.add_member(Member::decode(key)?)?;
        Ok(Added::Member)
    } else {
        Ok(Added::Other)
    }
}

/// Watches `dir`; events go to `tx`. `None` if watching is not possible
/// (the periodic scan still notices changes).
fn watch(
    dir: &Path,
    tx: mpsc::Sender<notify::Event>,
    overflow: Arc<AtomicBool>,
) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher;
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(ev) = res {
            forward(&tx, &overflow, ev);
        }
    })
    .map_err(|e| warn!("cannot watch {}: {e}", dir.display()))
    .ok()?;
    watcher
        .watch(dir, notify::RecursiveMode::Recursive)
        .map_err(|e| warn!("cannot watch {}: {e}", dir.display()))
        .ok()?;
    Some(watcher)
}

/// Queues one file system event for the loop. A full queue drops it and
/// says so: the loop then scans the whole folder, which finds every change
/// the dropped events named.
fn forward<T>(tx: &mpsc::Sender<T>, overflow: &AtomicBool, ev: T) {
    if tx.try_send(ev).is_err() {
        overflow.store(true, Ordering::SeqCst);
    }
}

/// The file watcher's events on their way to the loop.
struct FsEvents {
    rx: mpsc::Receiver<notify::Event>,
    /// Set when an event found the queue full and was dropped.
    overflow: Arc<AtomicBool>,
}

/// Takes in one file system event; true if it may be a change (reads,
/// Ferry's own included, are not).
fn on_fs_event(watch: &mut FolderWatch, ev: notify::Event) -> bool {
    use notify::event::{AccessKind, AccessMode, CreateKind, EventKind, ModifyKind};
    // Ferry's own staging and history areas are no change to the folder.
    if !ev.paths.is_empty() && ev.paths.iter().all(|p| is_ferry_path(p)) {
        return false;
    }
    if !matches!(ev.kind, EventKind::Access(_)) {
        if ev.paths.is_empty() || ev.need_rescan() {
            watch.full = true;
        }
        watch
            .touched
            .extend(ev.paths.iter().filter(|p| !is_ferry_path(p)).cloned());
    }
    match ev.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
            for p in ev.paths {
                watch.writing.remove(&p);
                watch.closed.insert(p);
            }
            true
        }
        EventKind::Access(_) => false,
        EventKind::Create(CreateKind::File) | EventKind::Modify(ModifyKind::Data(_)) => {
            let now = Instant::now();
            for p in ev.paths {
                watch.closed.remove(&p);
                watch.writing.insert(p, now);
            }
            true
        }
        EventKind::Remove(_) => {
            for p in ev.paths {
                watch.writing.remove(&p);
                watch.closed.remove(&p);
            }
            true
        }
        _ => true,
    }
}

/// Whether a path lies in one of Ferry's own areas of a folder.
fn is_ferry_path(path: &Path) -> bool {
    path.components().any(|c| {
        c.as_os_str()
            .to_str()
            .is_some_and(|name| name == keep::STAGING_DIR || name == keep::HISTORY_DIR)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A burst of file events never grows the queue past its bound: what
    /// does not fit is dropped, and the loop is told to scan instead.
    #[test]
    fn file_events_beyond_the_queue_are_dropped_and_call_for_a_scan() {
        let (tx, mut rx) = mpsc::channel(FS_EVENTS);
        let overflow = AtomicBool::new(false);
        for i in 0..FS_EVENTS {
            forward(&tx, &overflow, i);
        }
        assert!(!overflow.load(Ordering::SeqCst));
        for i in 0..10 * FS_EVENTS {
            forward(&tx, &overflow, i);
        }
        assert!(overflow.load(Ordering::SeqCst));
        let mut queued = 0;
        while rx.try_recv().is_ok() {
            queued += 1;
        }
        assert_eq!(queued, FS_EVENTS);
    }
}
