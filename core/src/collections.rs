//! Shared collections: folders that several paired devices keep the same.
//!
//! A collection is an iroh-docs namespace (see [`model`] for what its
//! entries mean). Every member can change it at any time; members converge
//! when they meet. A device with a folder mirrors the collection into it
//! ([`live`], [`mirror`]); a device without one (a phone) holds the file list
//! and fetches content on demand or for pinned paths.
//!
//! Invitations travel over `ferry/collection/1`, only between paired
//! devices: the write capability never leaves an authenticated connection.
//!
//! Entries travel only between members of the same collection: Ferry
//! answers the docs sync protocol itself ([`DocsGate`]) and accepts a sync
//! of a namespace only from a current member of that collection, and it
//! dials only members. Gossip is not used at all (a gossip swarm hands live
//! entries to whoever joins its topic, and the topic is the namespace id).

use std::{
    collections::{HashMap, HashSet},
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use iroh::{
    EndpointAddr, EndpointId, TransportAddr,
    address_lookup::MemoryLookup,
    endpoint::Connection,
    protocol::{AcceptError, ProtocolHandler},
};
use iroh_docs::{NamespaceId, NamespaceSecret, api::Doc, protocol::Docs};
use iroh_gossip::net::Gossip;
use serde::{Deserialize, Serialize};
use tracing::{debug, warn};

use crate::{
    error::{ErrorKind, StoreError},
    events::{DeviceRef, Event},
    net::{self, frame},
    node::{Inner, Node},
    pairing::DeviceError,
    store::{CollectionRow, InviteRow},
};

pub(crate) mod fetch;
mod gate;
pub(crate) mod ignore;
mod invite;
pub(crate) mod live;
mod membership;
pub(crate) mod mirror;
pub(crate) mod model;
mod rekey;
mod sweep;
mod versions;

pub(crate) use gate::DocsGate;
pub(crate) use invite::InviteProtocol;
use invite::*;
#[cfg(feature = "fuzzing")]
pub(crate) use invite::{decode_invite, fuzz_seed_invite};
use rekey::*;

use live::OpenCollection;
use model::{Member, Version};
pub(crate) use sweep::Sweeper;

/// ALPN of collection invitations.
pub const ALPN: &[u8] = b"ferry/collection/1";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// The longest a leaving device waits for its last syncs with the online
/// members.
const LEAVE_HAND_OVER: Duration = Duration::from_secs(10);

/// Why a collection operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CollectionError {
    /// No collection of that name on this device.
    #[error("no collection named {0:?}")]
    NotFound(String),
    /// A collection of that name exists already.
    #[error("a collection named {0:?} exists already")]
    Exists(String),
    /// No pending invitation of that name.
    #[error("no pending invitation to a collection named {0:?}")]
    NoInvite(String),
    /// A name that cannot name a collection.
    #[error("{0:?} cannot name a collection: use a non-empty name without '/'")]
    BadName(String),
    /// A path that is not in the collection or not valid in one.
    #[error("{path:?}: {reason}")]
    BadPath {
        /// The path given.
        path: String,
        /// Why it does not work.
        reason: String,
    },
    /// The device could not be found or is not paired.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The device is not a member.
    #[error("{0} is not a member of this collection")]
    NotMember(String),
    /// The other device could not be reached.
    #[error("cannot reach {device}: {reason}")]
    Unreachable {
        /// The device.
        device: String,
        /// What failed.
        reason: String,
    },
    /// The other device turned the invitation down.
    #[error("{device} refused: {reason}")]
    Refused {
        /// The device.
        device: String,
        /// Its answer.
        reason: String,
    },
    /// This device cannot remove itself.
    #[error("this device cannot remove itself; use leave")]
    RemoveSelf,
    /// A collection's folder that is a symbolic link.
    #[error("{} is a symbolic link; a collection's folder must be a real folder", .0.display())]
    SymlinkedFolder(PathBuf),
    /// A collection, or one of its files, that holds as many versions as it
    /// may.
    #[error("{0}; delete files or move them to another collection")]
    Full(String),
    /// A collection that has as many members as it may.
    #[error("a collection has at most {0} members")]
    TooManyMembers(usize),
    /// The content is on no member that is online.
    #[error("{0:?} is not on this device and no member that holds it is online")]
    Unavailable(String),
    /// An old version whose content no device that is online keeps any
    /// more.
    #[error(
        "version {number} of {path:?} is no longer kept here or on any member that is online \
         (history on this device: {policy})"
    )]
    NotKept {
        /// The file.
        path: String,
        /// The version's number in its history.
        number: usize,
        /// This device's retention policy for the collection.
        policy: KeepPolicy,
    },
    /// A retention policy out of range.
    #[error("{0}")]
    BadPolicy(String),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The app database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The sync engine failed.
    #[error("sync engine: {0}")]
    Sync(String),
}

impl crate::HasKind for CollectionError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound(_) | Self::NoInvite(_) | Self::NotMember(_) | Self::NotKept { .. } => {
                ErrorKind::NotFound
            }
            Self::Exists(_)
            | Self::BadName(_)
            | Self::BadPath { .. }
            | Self::RemoveSelf
            | Self::SymlinkedFolder(_)
            | Self::TooManyMembers(_)
            | Self::BadPolicy(_) => ErrorKind::InvalidInput,
            Self::Full(_) => ErrorKind::Storage,
            Self::Device(e) => e.kind(),
            Self::Unreachable { .. } | Self::Unavailable(_) => ErrorKind::Network,
            Self::Refused { .. } => ErrorKind::Rejected,
            Self::Io { .. } | Self::Store(_) => ErrorKind::Storage,
            Self::Sync(_) => ErrorKind::Internal,
        }
    }
}

pub(crate) fn sync_err(e: impl std::fmt::Display) -> CollectionError {
    CollectionError::Sync(e.to_string())
}

/// How much old content (files another member replaced or deleted) a
/// collection keeps on this device, in its folder's `.ferry-history`.
/// Content beyond either limit goes, oldest first. Each device sets its
/// own: a laptop may keep a year of history while a phone keeps none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct KeepPolicy {
    /// Days old content is kept; 0 keeps none (history off on this
    /// device; restoring then fetches from a member that keeps it).
    pub days: u32,
    /// At most this share of the folder's size, in percent (1 to 100);
    /// none: no share limit.
    #[serde(default)]
    pub max_percent: Option<u32>,
    /// At most this many bytes; none: no byte limit.
    #[serde(default)]
    pub max_bytes: Option<u64>,
}

impl Default for KeepPolicy {
    fn default() -> Self {
        Self {
            days: 30,
            max_percent: Some(10),
            max_bytes: None,
        }
    }
}

impl KeepPolicy {
    /// The policy that keeps nothing.
    pub const OFF: Self = Self {
        days: 0,
        max_percent: None,
        max_bytes: None,
    };

    /// Whether old content is kept at all.
    pub fn is_off(&self) -> bool {
        self.days == 0
    }

    /// Checks the limits' ranges.
    pub fn check(&self) -> Result<(), CollectionError> {
        if self.days > MAX_KEEP_DAYS {
            return Err(CollectionError::BadPolicy(format!(
                "old content is kept at most {MAX_KEEP_DAYS} days"
            )));
        }
        if let Some(p) = self.max_percent
            && !(1..=100).contains(&p)
        {
            return Err(CollectionError::BadPolicy(format!(
                "a share of the folder is 1 to 100 percent, not {p}"
            )));
        }
        Ok(())
    }

    /// The most kept content may take, for a folder of `folder_bytes`.
    pub(crate) fn budget(&self, folder_bytes: u64) -> u64 {
        if self.is_off() {
            return 0;
        }
        let share = self.max_percent.map(|p| {
            // A small folder keeps some history too.
            let share = u128::from(folder_bytes) * u128::from(p) / 100;
            u64::try_from(share)
                .unwrap_or(u64::MAX)
                .max(live::KEEP_AT_LEAST)
        });
        match (share, self.max_bytes) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => u64::MAX,
        }
    }
}

impl std::fmt::Display for KeepPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_off() {
            return f.write_str("off");
        }
        write!(
            f,
            "{} day{}",
            self.days,
            if self.days == 1 { "" } else { "s" }
        )?;
        match (self.max_percent, self.max_bytes) {
            (Some(p), Some(b)) => write!(
                f,
                ", at most {p}% of the folder's size and {}",
                size_text(b)
            ),
            (Some(p), None) => write!(f, ", at most {p}% of the folder's size"),
            (None, Some(b)) => write!(f, ", at most {}", size_text(b)),
            (None, None) => Ok(()),
        }
    }
}

/// A byte count for people: `1.5 GiB`.
fn size_text(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The longest a retention policy keeps old content (100 years).
pub const MAX_KEEP_DAYS: u32 = 36_500;

/// A collection as listed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
pub struct CollectionInfo {
    /// Its name on this device.
    pub name: String,
    /// The folder it is mirrored to; `None` on a device without one.
    pub dir: Option<PathBuf>,
    /// Number of current members, this device included.
    pub members: usize,
    /// Files in the collection (conflict copies included).
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
}

/// A member and whether it is reachable now.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
pub struct MemberStatus {
    /// Device id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Whether it is reachable: a sync connection to it is up, or (where
    /// this device does not sync) it answered a probe.
    pub online: bool,
    /// Whether it is this device.
    pub this_device: bool,
}

/// Everything about one collection, for a status screen.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
pub struct CollectionStatus {
    /// Its name.
    pub name: String,
    /// The folder; `None` on a device without one.
    pub dir: Option<PathBuf>,
    /// Current members.
    pub members: Vec<MemberStatus>,
    /// Files (conflict copies included).
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
    /// Files whose content this device still has to fetch.
    pub pending_files: u64,
    /// Bytes still to fetch.
    pub pending_bytes: u64,
    /// Conflict copies now in the folder.
    pub conflicts: Vec<String>,
    /// When a sync with a member last finished, ms since the Unix epoch.
    pub last_sync_ms: Option<i64>,
    /// How much old content this device keeps.
    pub keep: KeepPolicy,
    /// Old content kept in the folder now, in bytes.
    pub kept_bytes: u64,
}

/// One version of a path.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
pub struct VersionInfo {
    /// 1 for the oldest; what `restore` takes.
    pub number: usize,
    /// The device that made it.
    pub device: String,
    /// Its id.
    pub device_id: String,
    /// When, ms since the Unix epoch.
    pub time_ms: i64,
    /// Size in bytes (0 for a deletion).
    pub size: u64,
    /// Whether this version deleted the file.
    pub deleted: bool,
    /// BLAKE3 hash of the content (empty for a deletion).
    pub hash: String,
    /// Whether the folder shows this version now (at the path or as a
    /// conflict copy).
    pub current: bool,
    /// Whether its content is on this device (in the folder, kept aside,
    /// or stored); false for a deletion. A version not here is restored
    /// from a member that still keeps it.
    pub here: bool,
}

/// A file of a collection, for browsing (on a phone too).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
pub struct FileInfo {
    /// Path in the collection.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// BLAKE3 hash.
    pub hash: String,
    /// Whether its content is on this device.
    pub local: bool,
    /// For a conflict copy: the path it conflicts with.
    pub conflict_of: Option<String>,
}

/// An invitation waiting for an answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
pub struct Invite {
    /// The collection's name.
    pub name: String,
    /// Who invited.
    pub from: DeviceRef,
    /// When it arrived, ms since the Unix epoch.
    pub received_at_ms: i64,
}

/// The node's collections machinery.
#[derive(Debug)]
pub(crate) struct SyncEngine {
    pub docs: Docs,
    /// The docs store's actor: to flush it, and for the syncs Ferry runs
    /// itself ([`DocsGate`], `live.rs`).
    sync: iroh_docs::actor::SyncHandle,
    /// The docs engine needs one; it is never joined nor served.
    pub gossip: Gossip,
    pub author: iroh_docs::AuthorId,
    /// Addresses of members that are not paired devices.
    pub lookup: MemoryLookup,
    live: Mutex<HashMap<i64, Arc<OpenCollection>>>,
    /// Whether sync runs (`start` was called).
    syncing: Mutex<bool>,
    /// Where invitations from auto-accept devices go, if anywhere.
    auto_accept_dir: Mutex<Option<PathBuf>>,
}

impl SyncEngine {
    pub fn new(
        docs: Docs,
        sync: iroh_docs::actor::SyncHandle,
        gossip: Gossip,
        author: iroh_docs::AuthorId,
        lookup: MemoryLookup,
    ) -> Self {
        Self {
            docs,
            sync,
            gossip,
            author,
            lookup,
            live: Mutex::default(),
            syncing: Mutex::new(false),
            auto_accept_dir: Mutex::default(),
        }
    }

    fn live_map(&self) -> MutexGuard<'_, HashMap<i64, Arc<OpenCollection>>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn is_syncing(&self) -> bool {
        *self.syncing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `peer` is a member of any open collection.
    pub fn is_member_anywhere(&self, peer: &EndpointId) -> bool {
        self.live_map()
            .values()
            .any(|l| l.model().is_member(peer.as_bytes()))
    }

    /// The open collection that lives in `namespace`.
    fn live_for(&self, namespace: &NamespaceId) -> Option<Arc<OpenCollection>> {
        self.live_map()
            .values()
            .find(|l| l.namespace == *namespace)
            .cloned()
    }

    /// Commits what was written to the docs store, so a killed process
    /// keeps it.
    pub async fn flush(&self) -> Result<(), CollectionError> {
        self.sync.flush_store().await.map_err(sync_err)
    }

    /// Adds to `live` the content every collection needs, for a sweep of
    /// the blob store. Fails (and the sweep waits) unless every collection
    /// is open: content of one that is not loaded is never swept.
    pub fn protect(
        &self,
        db: &crate::store::Db,
        live: &mut std::collections::HashSet<iroh_blobs::Hash>,
    ) -> Result<(), String> {
        let rows = db.collections().map_err(|e| e.to_string())?;
        let open = self.live_map();
        if let Some(closed) = rows.iter().find(|r| !open.contains_key(&r.id)) {
            return Err(format!("collection {:?} is not open", closed.name));
        }
        for collection in open.values() {
            collection.protect(live);
        }
        Ok(())
    }

    /// Stops every live loop (node shutdown).
    pub fn stop(&self) {
        for live in self.live_map().values() {
            live.stop();
        }
    }
}

/// Collections: create, invite, accept, sync, history.
#[derive(Debug, Clone, Copy)]
pub struct Collections<'a> {
    pub(crate) node: &'a Node,
}

impl Node {
    /// Shared collections.
    pub fn collections(&self) -> Collections<'_> {
        Collections { node: self }
    }
}

fn check_name(name: &str) -> Result<String, CollectionError> {
    let clean = crate::names::clean_name(name);
    if clean.is_empty()
        || clean != name
        || model::check_path(&clean).is_err()
        || clean.contains('/')
    {
        return Err(CollectionError::BadName(name.to_string()));
    }
    Ok(clean)
}

fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

impl Collections<'_> {
    fn rt(&self) -> &SyncEngine {
        &self.node.inner.collections
    }

    /// The live handle of a collection, opening it if needed.
    pub(crate) async fn open(&self, name: &str) -> Result<Arc<OpenCollection>, CollectionError> {
        let row = self
            .node
            .inner
            .db
            .collection(name)?
            .ok_or_else(|| CollectionError::NotFound(name.to_string()))?;
        self.open_row(row).await
    }

    async fn open_row(&self, row: CollectionRow) -> Result<Arc<OpenCollection>, CollectionError> {
        if let Some(live) = self.rt().live_map().get(&row.id) {
            return Ok(live.clone());
        }
        let live = Arc::new(OpenCollection::load(self.node, row).await?);
        let live = self.rt().live_map().entry(live.id).or_insert(live).clone();
        if self.rt().is_syncing() {
            live.start(self.node.clone());
        }
        Ok(live)
    }

    /// Creates a collection, from the files in `dir` if given (the folder is
    /// created if missing), or empty on a device without a folder.
    pub async fn create(
        &self,
        name: &str,
        dir: Option<&Path>,
    ) -> Result<CollectionInfo, CollectionError> {
        let name = check_name(name)?;
        if self.node.inner.db.collection(&name)?.is_some() {
            return Err(CollectionError::Exists(name));
        }
        let dir = dir.map(prepare_dir).transpose()?;
        let doc = self.rt().docs.create().await.map_err(sync_err)?;
        self.register(&name, &doc, dir.as_deref()).await
    }

    async fn register(
        &self,
        name: &str,
        doc: &Doc,
        dir: Option<&Path>,
    ) -> Result<CollectionInfo, CollectionError> {
        let dir_text = dir.map(|d| d.to_string_lossy().into_owned());
        let row = match self.node.inner.db.insert_collection(
            name,
            &doc.id().to_string(),
            dir_text.as_deref(),
        ) {
            Ok(row) => row,
            Err(e) => {
                doc.close().await.ok();
                return Err(e.into());
            }
        };
        let live = self.open_row(row).await?;
        live.write_member(self.node, false).await?;
        // The first scan imports the folder now, so the collection holds
        // its files even before sync runs.
        live.scan_once(self.node).await?;
        self.rt().flush().await?;
        Ok(live.info())
    }

    /// Every collection this device belongs to.
    pub async fn list(&self) -> Result<Vec<CollectionInfo>, CollectionError> {
        let mut out = Vec::new();
        for row in self.node.inner.db.collections()? {
            out.push(self.open_row(row).await?.info());
        }
        Ok(out)
    }

    /// Members, files, pending content, conflicts and last sync.
    pub async fn status(&self, name: &str) -> Result<CollectionStatus, CollectionError> {
        let live = self.open(name).await?;
        let mut status = live.status(self.node);
        if !live.is_running() {
            // Not syncing here, so no connection says who is up: ask each
            // paired member directly (a few seconds at most).
            self.probe_members(&mut status).await;
        }
        Ok(status)
    }

    /// Marks the members that answer a probe as online.
    async fn probe_members(&self, status: &mut CollectionStatus) {
        let (indices, devices): (Vec<usize>, Vec<_>) = status
            .members
            .iter()
            .enumerate()
            .filter(|(_, m)| !m.online && !m.this_device)
            .filter_map(|(i, m)| {
                let device = self.node.inner.db.device(&m.id).ok().flatten()?;
                Some((i, device))
            })
            .unzip();
        let healths = self.node.devices().probe_each(devices).await;
        for (i, health) in indices.into_iter().zip(healths) {
            status.members[i].online |= health.online;
        }
    }

    /// Starts syncing every collection (and any created or accepted later)
    /// with its members, and mirroring folders. `ferry listen` runs this.
    pub async fn start(&self) -> Result<(), CollectionError> {
        *self.rt().syncing.lock().unwrap_or_else(|p| p.into_inner()) = true;
        let addrs = ip_addrs(&self.node.addr().await);
        for row in self.node.inner.db.collections()? {
            let live = self.open_row(row).await?;
            // Members dial the addresses in this device's record: keep it fresh.
            let recorded = live
                .model()
                .members()
                .into_iter()
                .find(|m| m.device == *self.node.id().as_bytes())
                .map(|m| m.addrs.clone());
            if recorded.as_ref() != Some(&addrs) {
                live.write_member(self.node, false).await?;
            }
            live.start(self.node.clone());
        }
        Ok(())
    }

    /// Runs a scan of the folder and a sync round now (instead of waiting
    /// for the watcher or the timer).
    pub async fn sync_now(&self, name: &str) -> Result<(), CollectionError> {
        let live = self.open(name).await?;
        if live.is_running() {
            live.kick();
        } else {
            live.scan_once(self.node).await?;
        }
        Ok(())
    }

    /// Where invitations from auto-accept devices are accepted, each into
    /// a new folder made for it: `dir/NAME`, or `dir/NAME (1)`… when that
    /// name is taken (an existing folder is never used); `None` leaves them
    /// pending.
    pub fn set_auto_accept_dir(&self, dir: Option<PathBuf>) {
        *self
            .rt()
            .auto_accept_dir
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = dir;
    }
}

/// A member by exact name (any case) or by a prefix (4+ characters) of its id.
fn find_member<'a>(members: &'a [Member], query: &str) -> Option<&'a Member> {
    if let Some(m) = members.iter().find(|m| m.name.eq_ignore_ascii_case(query)) {
        return Some(m);
    }
    let query = query.to_ascii_lowercase();
    if query.len() < 4 {
        return None;
    }
    let mut found = members.iter().filter(|m| {
        EndpointId::from_bytes(&m.device).is_ok_and(|id| id.to_string().starts_with(&query))
    });
    match (found.next(), found.next()) {
        (Some(m), None) => Some(m),
        _ => None,
    }
}

/// The IP addresses of an endpoint address.
pub(crate) fn ip_addrs(addr: &EndpointAddr) -> Vec<SocketAddr> {
    addr.addrs
        .iter()
        .filter_map(|a| match a {
            TransportAddr::Ip(ip) => Some(*ip),
            _ => None,
        })
        .collect()
}

pub(crate) fn endpoint_addr(id: EndpointId, addrs: &[SocketAddr]) -> EndpointAddr {
    let mut addr = EndpointAddr::new(id);
    for a in addrs {
        addr.addrs.insert(TransportAddr::Ip(*a));
    }
    addr
}

/// Version helpers shared by the live loop and the API.
pub(crate) fn new_version(
    node: &Node,
    path: &str,
    parents: Vec<model::VersionId>,
    content: Option<(iroh_blobs::Hash, u64)>,
) -> Version {
    Version {
        path: path.into(),
        id: model::new_version_id(),
        parents,
        content,
        device: *node.id().as_bytes(),
        device_name: node.device_name().into(),
        time_us: now_us(),
    }
}

pub(crate) fn namespace_of(row: &CollectionRow) -> Result<NamespaceId, CollectionError> {
    row.namespace.parse().map_err(|_| {
        sync_err(format!(
            "collection {:?} has a damaged namespace id",
            row.name
        ))
    })
}

pub(crate) fn members_set_of(model: &model::Model) -> HashSet<EndpointId> {
    model
        .members()
        .into_iter()
        .filter_map(|m| EndpointId::from_bytes(&m.device).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::HasKind;
    use crate::{NodeConfig, RelayChoice};

    #[test]
    fn a_keep_policy_budgets_by_share_size_or_both() {
        let gib = 1u64 << 30;
        let default = KeepPolicy::default();
        assert_eq!(default.budget(10 * gib), gib);
        // A small folder keeps some history too.
        assert_eq!(default.budget(1000), live::KEEP_AT_LEAST);
        let both = KeepPolicy {
            days: 7,
            max_percent: Some(50),
            max_bytes: Some(gib),
        };
        assert_eq!(both.budget(10 * gib), gib);
        assert_eq!(both.budget(gib), gib / 2);
        let days_only = KeepPolicy {
            max_percent: None,
            ..both
        };
        assert_eq!(days_only.budget(100 * gib), gib);
        assert_eq!(
            KeepPolicy {
                max_bytes: None,
                ..days_only
            }
            .budget(1),
            u64::MAX
        );
        assert_eq!(KeepPolicy::OFF.budget(10 * gib), 0);
        assert!(both.check().is_ok());
        assert!(
            KeepPolicy {
                max_percent: Some(0),
                ..both
            }
            .check()
            .is_err()
        );
        assert!(
            KeepPolicy {
                days: MAX_KEEP_DAYS + 1,
                ..both
            }
            .check()
            .is_err()
        );
        assert_eq!(
            default.to_string(),
            "30 days, at most 10% of the folder's size"
        );
        assert_eq!(days_only.to_string(), "7 days, at most 1.0 GiB");
        assert_eq!(KeepPolicy::OFF.to_string(), "off");
    }

    async fn node(dir: &Path, name: &str) -> Node {
        let mut config = NodeConfig::new(dir);
        config.relay = RelayChoice::Disabled;
        config.bind_addr = Some("127.0.0.1:0".parse().unwrap());
        config.device_name = Some(name.into());
        Node::start(config).await.unwrap()
    }

    /// A paired device cannot swap its own collection for one of the same
    /// name that another device invited this one to, nor fill the list of
    /// waiting invitations without end; it may renew its own.
    #[tokio::test(flavor = "multi_thread")]
    async fn an_invitation_never_replaces_another_devices_nor_floods_the_list() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let phone = node(&root.join("p"), "phone").await;
        let good = node(&root.join("g"), "good").await;
        let evil = node(&root.join("e"), "evil").await;
        for inviter in [&good, &evil] {
            let ticket = phone.devices().start_pairing(Duration::from_secs(60)).await;
            inviter.devices().join(&ticket).await.unwrap();
        }
        good.collections().create("photos", None).await.unwrap();
        assert!(!good.collections().invite("photos", "phone").await.unwrap());

        // The same name from another device is refused and changes nothing.
        evil.collections().create("photos", None).await.unwrap();
        let err = evil
            .collections()
            .invite("photos", "phone")
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Rejected, "{err}");
        assert!(err.to_string().contains("from another device"), "{err}");
        let waiting = phone.collections().invites().unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].from.name, "good");
        // The inviter may send its invitation again.
        assert!(!good.collections().invite("photos", "phone").await.unwrap());

        // One device's invitations wait up to the bound, then are refused.
        for i in 0..MAX_INVITES_PER_DEVICE {
            let name = format!("c{i}");
            evil.collections().create(&name, None).await.unwrap();
            assert!(!evil.collections().invite(&name, "phone").await.unwrap());
        }
        evil.collections().create("one-more", None).await.unwrap();
        let err = evil
            .collections()
            .invite("one-more", "phone")
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("are waiting there already"),
            "{err}"
        );
        assert_eq!(
            phone.collections().invites().unwrap().len(),
            1 + MAX_INVITES_PER_DEVICE
        );
        for n in [phone, good, evil] {
            n.shutdown().await;
        }
    }

    #[test]
    fn at_most_so_many_invitations_wait() {
        let row = |name: &str, from: &str| InviteRow {
            name: name.into(),
            from_device: from.into(),
            from_name: from.into(),
            secret: [0; 32],
            members: "[]".into(),
            received_at_ms: 0,
        };
        let many: Vec<InviteRow> = (0..MAX_INVITES)
            .map(|i| row(&format!("n{i}"), &format!("d{}", i % 16)))
            .collect();
        assert!(room_for_invite(&many, "d0", "n0").is_ok(), "a renewal");
        let err = room_for_invite(&many, "d99", "new").unwrap_err();
        assert!(err.contains(&format!("{MAX_INVITES} invitations")), "{err}");
    }

    /// A member that writes entries by hand (not through Ferry) cannot
    /// make another member write outside the collection's folder.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_malicious_members_escaping_paths_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let (good_dir, evil_dir) = (root.join("shared/good"), root.join("evil"));
        let good = node(&root.join("g"), "good").await;
        let evil = node(&root.join("e"), "evil").await;
        let ticket = good.devices().start_pairing(Duration::from_secs(60)).await;
        evil.devices().join(&ticket).await.unwrap();
        good.collections()
            .create("c", Some(&good_dir))
            .await
            .unwrap();
        good.collections().invite("c", "evil").await.unwrap();
        evil.collections()
            .accept("c", Some(&evil_dir))
            .await
            .unwrap();
        let mut events = good.events();
        good.collections().start().await.unwrap();
        evil.collections().start().await.unwrap();

        // The evil member writes raw entries: escaping and odd paths, and
        // one harmless file that shows the sync went through.
        let live = evil.collections().open("c").await.unwrap();
        let payload = b"owned";
        let hash = evil.inner.store.add_slice(payload).await.unwrap().hash;
        evil.inner.access.add_collection_hash(live.id, hash);
        let author = evil.inner.collections.author;
        for path in [
            "../escape.txt",
            "/etc/evil",
            "a/../../x",
            "sub\\..\\..\\y",
            "ok.txt",
        ] {
            let version = new_version(&evil, path, Vec::new(), Some((hash, 5)));
            let (key, h, size) = version.encode();
            live.doc.set_hash(author, key, h, size).await.unwrap();
        }
        // Entries arrive in any order: wait for the good file and all four
        // refusals.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let mut refused = Vec::new();
        while !good_dir.join("ok.txt").exists() || refused.len() < 4 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "ok.txt: {}, refused: {refused:?}",
                good_dir.join("ok.txt").exists()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
            while let Some(event) = events.try_recv() {
                if let Event::CollectionEntryRefused { reason, peer, .. } = event {
                    assert_eq!(peer, evil.id().to_string());
                    refused.push(reason);
                }
            }
        }
        assert_eq!(refused.len(), 4, "{refused:?}");
        // Nothing beside the folder, nothing above it.
        let around: Vec<_> = std::fs::read_dir(root.join("shared"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(around, ["good"]);
        assert!(!root.join("escape.txt").exists() && !root.join("x").exists());
        // Inside, only the good file, once the round that placed it has
        // also removed its emptied staging area (at the latest, the round
        // after the next re-sync).
        let inside = || -> Vec<_> {
            std::fs::read_dir(&good_dir)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect()
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(45);
        while inside() != ["ok.txt"] && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(inside(), ["ok.txt"]);
        assert_eq!(good.collections().files("c").await.unwrap().len(), 1);
        good.shutdown().await;
        evil.shutdown().await;
    }

    /// A paired device that is not a member of a collection, but knows its
    /// namespace id (read from a member's data) and is a member of another
    /// collection with the same device, gets none of its entries: not by
    /// syncing the namespace, not by joining its gossip topic, not by
    /// asking for its content. The members still sync.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_paired_non_member_that_knows_the_id_gets_nothing() {
        use iroh_docs::store::Query;
        use n0_future::StreamExt;

        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let (owner_dir, member_dir) = (root.join("owner"), root.join("member"));
        std::fs::create_dir_all(&owner_dir).unwrap();
        std::fs::write(owner_dir.join("secret.txt"), b"for members only").unwrap();
        let owner = node(&root.join("o"), "owner").await;
        let member = node(&root.join("m"), "member").await;
        let outsider = node(&root.join("x"), "outsider").await;
        for other in [&member, &outsider] {
            let ticket = owner.devices().start_pairing(Duration::from_secs(60)).await;
            other.devices().join(&ticket).await.unwrap();
        }
        // The outsider shares another collection with the owner.
        owner.collections().create("other", None).await.unwrap();
        owner
            .collections()
            .invite("other", "outsider")
            .await
            .unwrap();
        outsider.collections().accept("other", None).await.unwrap();
        owner
            .collections()
            .create("c", Some(&owner_dir))
            .await
            .unwrap();
        owner.collections().invite("c", "member").await.unwrap();
        member
            .collections()
            .accept("c", Some(&member_dir))
            .await
            .unwrap();
        for n in [&owner, &member, &outsider] {
            n.collections().start().await.unwrap();
        }
        let wait_for = |path: PathBuf| async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            while !path.exists() {
                assert!(tokio::time::Instant::now() < deadline, "{path:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        wait_for(member_dir.join("secret.txt")).await;

        // Given: what the outsider learns from the owner's data.
        let namespace: NamespaceId = owner
            .inner
            .db
            .collection("c")
            .unwrap()
            .unwrap()
            .namespace
            .parse()
            .unwrap();
        let content = owner.collections().files("c").await.unwrap()[0]
            .hash
            .clone();
        let owner_addr = owner.addr().await;
        let rt = &outsider.inner.collections;
        rt.lookup.add_endpoint_info(owner_addr.clone());

        // When: it syncs the namespace, directly and through the engine…
        let doc = rt
            .docs
            .import_namespace(iroh_docs::Capability::Read(namespace))
            .await
            .unwrap();
        rt.sync.set_sync(namespace, true).await.unwrap();
        let direct = iroh_docs::net::connect_and_sync(
            &outsider.inner.endpoint,
            &rt.sync,
            namespace,
            owner_addr.clone(),
            None,
        )
        .await;
        assert!(direct.is_err(), "the owner synced with a non-member");
        doc.start_sync(vec![owner_addr.clone()]).await.unwrap();
        // …joins the gossip topic of the namespace…
        let topic = iroh_gossip::TopicId::from_bytes(*namespace.as_bytes());
        let mut gossip = rt.gossip.subscribe(topic, vec![owner.id()]).await.unwrap();
        let joined = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(event) = gossip.next().await {
                if matches!(event, Ok(iroh_gossip::api::Event::NeighborUp(_))) {
                    return true;
                }
            }
            false
        })
        .await;
        assert!(
            !matches!(joined, Ok(true)),
            "the owner let it join the topic"
        );
        // …and asks for the content.
        let hash: iroh_blobs::Hash = content.parse().unwrap();
        let conn = outsider
            .inner
            .endpoint
            .connect(owner_addr.clone(), iroh_blobs::ALPN)
            .await
            .unwrap();
        let fetched = outsider.inner.store.remote().fetch(conn, hash).await;
        assert!(fetched.is_err(), "the owner served collection content");

        // While it listens, the owner writes more; the member still gets it.
        std::fs::write(owner_dir.join("later.txt"), b"also private").unwrap();
        owner.collections().sync_now("c").await.unwrap();
        wait_for(member_dir.join("later.txt")).await;
        let overheard = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(event) = gossip.next().await {
                if matches!(event, Ok(iroh_gossip::api::Event::Received(_))) {
                    return true;
                }
            }
            false
        })
        .await;
        assert!(!matches!(overheard, Ok(true)), "a live entry reached it");

        // Then: it holds none of the collection's entries.
        let entries = doc.get_many(Query::all()).await.unwrap();
        tokio::pin!(entries);
        let mut count = 0;
        while let Some(entry) = entries.next().await {
            entry.unwrap();
            count += 1;
        }
        assert_eq!(count, 0, "the outsider got entries");
        assert!(!matches!(
            outsider.inner.store.status(hash).await,
            Ok(iroh_blobs::api::proto::BlobStatus::Complete { .. })
        ));
        for n in [owner, member, outsider] {
            n.shutdown().await;
        }
    }
}
