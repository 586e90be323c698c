//! What a collection holds, as plain data: versions of paths, members, and
//! the folder every member shows for them.
//!
//! A collection is an iroh-docs namespace. Every change is a new entry that
//! is never overwritten: the key names the path and carries the version's
//! metadata, the value is the content hash and size.
//!
//! ```text
//! f\0 <path> \0 <version id: 16 bytes> <postcard VersionMeta>   -> content hash, size
//! m\0 <device id: 32 bytes> <postcard MemberMeta>                -> marker
//! ```
//!
//! Each version names the versions it replaces (`parents`). The versions of
//! a path that nothing replaces are its heads. One head: that is the file
//! (or its absence, for a deletion). Several heads are concurrent edits:
//! the newest content stays at the path and every other distinct content is
//! shown beside it as `name (conflict from DEVICE YYYY-MM-DD HHMM).ext`.
//! The folder is a pure function of the set of entries, so members that hold
//! the same entries show the same folder, whatever order they arrived in.
//! It is kept up to date as versions arrive: only the paths they touch are
//! placed again (and the conflict copies, few, named again), never every
//! path of the collection.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    sync::Arc,
};

use iroh_blobs::Hash;
use serde::{Deserialize, Serialize};

use crate::safe_path;

/// Key prefix of file versions.
pub(crate) const FILE_PREFIX: &[u8] = b"f\0";
/// Key prefix of member records.
pub(crate) const MEMBER_PREFIX: &[u8] = b"m\0";
/// The value of entries that carry no content: deletions, empty files and
/// member records (iroh-docs refuses empty values). Never fetched.
pub(crate) const MARKER: &[u8] = b"ferry collection marker";

/// The most parents one version may name.
const MAX_PARENTS: usize = 64;
/// The longest device name kept from a peer.
const MAX_NAME: usize = 64;
/// The most devices one collection records as members (as many as an
/// invitation may name).
pub(crate) const MAX_MEMBERS: usize = 1000;
/// The most versions one collection holds: every version is kept in
/// memory (about half a KiB each), so a member writing without end must
/// hit a wall, not the device's memory.
pub(crate) const MAX_VERSIONS: usize = 1_000_000;
/// The most versions of one path, so that no single file's history takes
/// the whole of [`MAX_VERSIONS`].
pub(crate) const MAX_VERSIONS_PER_PATH: usize = 100_000;

/// The id of one version of one path.
pub(crate) type VersionId = [u8; 16];

/// A new random version id.
pub(crate) fn new_version_id() -> VersionId {
    rand::random()
}

/// The hash of [`MARKER`].
pub(crate) fn marker_hash() -> Hash {
    Hash::new(MARKER)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct VersionMeta {
    parents: Vec<VersionId>,
    deleted: bool,
    device: [u8; 32],
    device_name: String,
    time_us: u64,
}

/// One version of one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version {
    /// Shared with the model's other records of the path.
    pub path: Arc<str>,
    pub id: VersionId,
    pub parents: Vec<VersionId>,
    /// The content; `None` for a deletion.
    pub content: Option<(Hash, u64)>,
    /// The device that made it.
    pub device: [u8; 32],
    /// Shared by the versions of one device (a model holds each name once).
    pub device_name: Arc<str>,
    /// When it was made, microseconds since the Unix epoch.
    pub time_us: u64,
}

impl Version {
    /// The entry key and value (hash, size) that store this version.
    pub fn encode(&self) -> (Vec<u8>, Hash, u64) {
        let meta = VersionMeta {
            parents: self.parents.clone(),
            deleted: self.content.is_none(),
            device: self.device,
            device_name: self.device_name.to_string(),
            time_us: self.time_us,
        };
        let mut key = Vec::with_capacity(FILE_PREFIX.len() + self.path.len() + 64);
        key.extend_from_slice(FILE_PREFIX);
        key.extend_from_slice(self.path.as_bytes());
        key.push(0);
        key.extend_from_slice(&self.id);
        // Serializing a struct of plain fields into a Vec cannot fail.
        key.extend(postcard::to_stdvec(&meta).unwrap_or_default());
        let (hash, size) = match self.content {
            Some((hash, size)) if size > 0 => (hash, size),
            _ => (marker_hash(), MARKER.len() as u64),
        };
        (key, hash, size)
    }

    /// Reads a version from an entry's key and value, refusing anything a
    /// well-behaved member would not write: unsafe or non-canonical paths,
    /// a value that does not fit the metadata, oversized fields.
    pub fn decode(key: &[u8], hash: Hash, size: u64) -> Result<Self, String> {
        let rest = key.strip_prefix(FILE_PREFIX).ok_or("not a file version")?;
        let nul = rest.iter().position(|b| *b == 0).ok_or("no end of path")?;
        let path = std::str::from_utf8(&rest[..nul]).map_err(|_| "path is not UTF-8")?;
        check_path(path)?;
        let rest = &rest[nul + 1..];
        if rest.len() < 16 {
            return Err("no version id".into());
        }
        let (id, meta) = rest.split_at(16);
        let meta: VersionMeta = postcard::from_bytes(meta).map_err(|e| format!("metadata: {e}"))?;
        if meta.parents.len() > MAX_PARENTS || meta.device_name.len() > MAX_NAME * 4 {
            return Err("oversized metadata".into());
        }
        let marker = hash == marker_hash() && size == MARKER.len() as u64;
        let content = match (meta.deleted, marker) {
            (true, true) => None,
            (true, false) => return Err("a deletion with content".into()),
            (false, true) => Some((Hash::EMPTY, 0)),
            // Empty content is written as the marker; anything else of size
            // 0 is not what a member writes.
            (false, false) if size == 0 => return Err("content of size 0".into()),
            (false, false) => Some((hash, size)),
        };
        let mut id_bytes = [0u8; 16];
        id_bytes.copy_from_slice(id);
        Ok(Self {
            path: path.into(),
            id: id_bytes,
            parents: meta.parents,
            content,
            device: meta.device,
            device_name: crate::names::clean_name(&meta.device_name).into(),
            time_us: meta.time_us,
        })
    }

    fn is_deleted(&self) -> bool {
        self.content.is_none()
    }

    /// Newest first ordering key: time, then id, so every member agrees.
    fn order(&self) -> (u64, VersionId) {
        (self.time_us, self.id)
    }
}

/// Checks that `path` is a canonical, safe relative path: what
/// [`safe_path::sanitize`] accepts, written exactly as it would write it.
pub(crate) fn check_path(path: &str) -> Result<(), String> {
    let clean = safe_path::sanitize(path).map_err(|e| e.to_string())?;
    let canonical: Vec<String> = clean
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if canonical.join("/") != path {
        return Err(format!("{path:?} is not written in canonical form"));
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct MemberMeta {
    name: String,
    addrs: Vec<std::net::SocketAddr>,
    left: bool,
    time_us: u64,
}

/// A member record: a device that belongs to the collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    pub device: [u8; 32],
    pub name: String,
    /// Direct addresses it had when it wrote this record.
    pub addrs: Vec<std::net::SocketAddr>,
    /// Whether it left.
    pub left: bool,
    pub time_us: u64,
}

impl Member {
    /// The entry key and value of this record.
    pub fn encode(&self) -> (Vec<u8>, Hash, u64) {
        let meta = MemberMeta {
            name: self.name.clone(),
            addrs: self.addrs.clone(),
            left: self.left,
            time_us: self.time_us,
        };
        let mut key = Vec::with_capacity(MEMBER_PREFIX.len() + 32 + 64);
        key.extend_from_slice(MEMBER_PREFIX);
        key.extend_from_slice(&self.device);
        key.extend(postcard::to_stdvec(&meta).unwrap_or_default());
        (key, marker_hash(), MARKER.len() as u64)
    }

    /// Reads a member record from an entry key.
    pub fn decode(key: &[u8]) -> Result<Self, String> {
        let rest = key
            .strip_prefix(MEMBER_PREFIX)
            .ok_or("not a member record")?;
        if rest.len() < 32 {
            return Err("no device id".into());
        }
        let (device, meta) = rest.split_at(32);
        let meta: MemberMeta = postcard::from_bytes(meta).map_err(|e| format!("member: {e}"))?;
        if meta.addrs.len() > 32 || meta.name.len() > MAX_NAME * 4 {
            return Err("oversized member record".into());
        }
        let mut id = [0u8; 32];
        id.copy_from_slice(device);
        Ok(Self {
            device: id,
            name: crate::names::clean_name(&meta.name),
            addrs: meta.addrs,
            left: meta.left,
            time_us: meta.time_us,
        })
    }
}

/// What a member shows at one path of its folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placed {
    /// The version whose content is shown.
    pub version: VersionId,
    pub hash: Hash,
    pub size: u64,
    /// For a conflict copy: the path whose concurrent edit it shows.
    pub conflict_of: Option<Arc<str>>,
}

/// The folder a member shows: path -> what is there.
pub(crate) type Folder = BTreeMap<Arc<str>, Placed>;

/// Every version and member of one collection, indexed for the questions
/// the folder mirror and the status ask.
///
/// Every question is answered in time linear (or n log n) in the number of
/// entries, whatever members wrote: entries come from peers.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    /// [`MAX_VERSIONS`] and [`MAX_VERSIONS_PER_PATH`], smaller in tests.
    limits: (usize, usize),
    /// Held for every version ever taken in, so kept small: a path's name
    /// is one allocation shared by its key, its versions and the view;
    /// device names are held once ([`Model::names`]); a path with few
    /// versions keeps no sets.
    paths: BTreeMap<Arc<str>, PathVersions>,
    members: HashMap<[u8; 32], Member>,
    /// How many versions `paths` holds.
    count: usize,
    /// Every device name a version carries, once.
    names: HashSet<Arc<str>>,
    /// The folder as of the last [`Model::folder`], shared with its callers.
    view: Arc<Folder>,
    /// Paths with versions added since the view was brought up to date.
    dirty: BTreeSet<Arc<str>>,
    /// Paths shown with conflict copies, and the copies' names in the view.
    conflicted: BTreeSet<Arc<str>>,
    copies: Vec<Arc<str>>,
    /// Paths added to `paths` and to the view since each was last built
    /// anew ([`compact`]).
    grown: (usize, usize),
}

/// Maps that grew by at least this many new keys, and by half their size,
/// are built anew with full nodes.
const COMPACT_AFTER: usize = 4096;

/// Builds `map` anew from its sorted entries. A map filled one key after
/// another in order (a collection loaded or synced path by path) keeps its
/// nodes half full; built from sorted entries, every node is full, which
/// halves what the map's nodes take.
fn compact<V>(map: &mut BTreeMap<Arc<str>, V>, grown: &mut usize) {
    if *grown >= COMPACT_AFTER && *grown * 2 >= map.len() {
        *map = std::mem::take(map).into_iter().collect();
        *grown = 0;
    }
}

/// Versions of one path looked through without sets of their ids.
const FEW: usize = 8;

#[derive(Debug, Default, Clone)]
struct PathVersions {
    versions: Vec<Version>,
    /// Once there are more than [`FEW`] versions: sets of their ids and of
    /// the ids they replace (fewer are looked through: most paths have one
    /// version, and sets for each would cost more than the version itself).
    sets: Option<Box<IdSets>>,
}

#[derive(Debug, Default, Clone)]
struct IdSets {
    ids: HashSet<VersionId>,
    /// Ids some version of this path replaces.
    replaced: HashSet<VersionId>,
}

impl PathVersions {
    fn contains(&self, id: &VersionId) -> bool {
        match &self.sets {
            Some(sets) => sets.ids.contains(id),
            None => self.versions.iter().any(|v| v.id == *id),
        }
    }

    /// Whether some version of this path replaces `id`.
    fn is_replaced(&self, id: &VersionId) -> bool {
        match &self.sets {
            Some(sets) => sets.replaced.contains(id),
            None => self.versions.iter().any(|v| v.parents.contains(id)),
        }
    }

    fn push(&mut self, version: Version) {
        if self.versions.is_empty() {
            // One version is what most paths keep: no room for more.
            self.versions.reserve_exact(1);
        }
        if self.sets.is_none() && self.versions.len() >= FEW {
            let ids = self.versions.iter().map(|v| v.id).collect();
            let replaced = self
                .versions
                .iter()
                .flat_map(|v| v.parents.iter().copied())
                .collect();
            self.sets = Some(Box::new(IdSets { ids, replaced }));
        }
        if let Some(sets) = &mut self.sets {
            sets.ids.insert(version.id);
            sets.replaced.extend(version.parents.iter().copied());
        }
        self.versions.push(version);
    }
}

impl Default for Model {
    fn default() -> Self {
        Self::with_limits(MAX_VERSIONS, MAX_VERSIONS_PER_PATH)
    }
}

impl Model {
    /// An empty model that takes at most `versions` versions, `per_path`
    /// of them for one path.
    pub fn with_limits(versions: usize, per_path: usize) -> Self {
        Self {
            limits: (versions, per_path),
            paths: BTreeMap::new(),
            members: HashMap::new(),
            count: 0,
            names: HashSet::new(),
            view: Arc::default(),
            dirty: BTreeSet::new(),
            conflicted: BTreeSet::new(),
            copies: Vec::new(),
            grown: (0, 0),
        }
    }

    /// Adds a version; `Ok(false)` if it was already known, `Err` with the
    /// reason if the collection or the path holds as many versions as it
    /// may ([`MAX_VERSIONS`], [`MAX_VERSIONS_PER_PATH`]).
    pub fn add_version(&mut self, mut version: Version) -> Result<bool, String> {
        if self
            .paths
            .get(&*version.path)
            .is_some_and(|p| p.contains(&version.id))
        {
            return Ok(false);
        }
        self.room_for_version(&version.path)?;
        match self.names.get(&version.device_name) {
            Some(name) => version.device_name = name.clone(),
            None => {
                self.names.insert(version.device_name.clone());
            }
        }
        match self.paths.get_key_value(&*version.path) {
            Some((path, _)) => version.path = path.clone(),
            None => self.grown.0 += 1,
        }
        let path = version.path.clone();
        self.paths.entry(path.clone()).or_default().push(version);
        self.count += 1;
        self.dirty.insert(path);
        Ok(true)
    }

    /// Whether one more version of `path` would be taken; the reason if not.
    pub fn room_for_version(&self, path: &str) -> Result<(), String> {
        let (all, per_path) = self.limits;
        if self.count >= all {
            return Err(format!("the collection holds its limit of {all} versions"));
        }
        if self
            .paths
            .get(path)
            .is_some_and(|p| p.versions.len() >= per_path)
        {
            return Err(format!("{path:?} has its limit of {per_path} versions"));
        }
        Ok(())
    }

    /// The version with this id (looked for through every version: asked
    /// only when a person resolves a conflict).
    pub fn version(&self, id: &VersionId) -> Option<&Version> {
        self.versions().find(|v| v.id == *id)
    }

    /// Adds a member record; the newest record of a device counts. A
    /// device beyond [`MAX_MEMBERS`] is refused (every member record is
    /// looked at whenever the members change).
    pub fn add_member(&mut self, member: Member) -> Result<(), String> {
        match self.members.get(&member.device) {
            Some(old) if old.time_us > member.time_us => {}
            Some(_) => {
                self.members.insert(member.device, member);
            }
            None if self.members.len() >= MAX_MEMBERS => {
                return Err(format!("more than {MAX_MEMBERS} members"));
            }
            None => {
                self.members.insert(member.device, member);
            }
        }
        Ok(())
    }

    /// Whether a record of `device` would be taken (it is known, or there
    /// is room for one more).
    pub fn has_room_for(&self, device: &[u8; 32]) -> bool {
        self.members.contains_key(device) || self.members.len() < MAX_MEMBERS
    }

    /// Current members (not left), in a stable order.
    pub fn members(&self) -> Vec<&Member> {
        let mut members: Vec<&Member> = self.members.values().filter(|m| !m.left).collect();
        members.sort_by(|a, b| a.name.cmp(&b.name).then(a.device.cmp(&b.device)));
        members
    }

    /// Whether `device` is a current member.
    pub fn is_member(&self, device: &[u8; 32]) -> bool {
        self.members.get(device).is_some_and(|m| !m.left)
    }

    /// Every version of `path`, oldest first.
    pub fn history(&self, path: &str) -> Vec<&Version> {
        let mut versions: Vec<&Version> = self
            .paths
            .get(path)
            .map(|p| p.versions.iter().collect())
            .unwrap_or_default();
        versions.sort_by_key(|v| v.order());
        versions
    }

    /// Every version of every path.
    pub fn versions(&self) -> impl Iterator<Item = &Version> {
        self.paths.values().flat_map(|p| p.versions.iter())
    }

    /// The versions of `path` that nothing replaces.
    pub fn heads(&self, path: &str) -> Vec<&Version> {
        let Some(p) = self.paths.get(path) else {
            return Vec::new();
        };
        let mut heads: Vec<&Version> = p
            .versions
            .iter()
            .filter(|v| !p.is_replaced(&v.id))
            .collect();
        heads.sort_by_key(|v| std::cmp::Reverse(v.order()));
        heads
    }

    /// The version shown at `path` itself: the newest head with content.
    pub fn winner(&self, path: &str) -> Option<&Version> {
        self.heads(path).into_iter().find(|v| !v.is_deleted())
    }

    /// The folder every member shows: path -> what is there.
    ///
    /// A deletion never hides a concurrent edit: if any head has content,
    /// the newest such head is shown. Other heads with different content
    /// become conflict copies, named after the device and time of the edit
    /// (UTC, so every member picks the same name) and numbered when two
    /// would share a name or a real path holds it.
    ///
    /// Brought up to date from the paths versions were added to since the
    /// last call; the conflict copies are named again in full (from the
    /// paths that have them), so the result is the same as placing every
    /// path anew.
    pub fn folder(&mut self) -> Arc<Folder> {
        if self.dirty.is_empty() {
            return self.view.clone();
        }
        let dirty = std::mem::take(&mut self.dirty);
        let mut view = std::mem::take(&mut self.view);
        let out = Arc::make_mut(&mut view);
        // Copies are named against every real path: all go, and come back
        // below under the names they get now.
        for name in self.copies.drain(..) {
            out.remove(&name);
        }
        for path in dirty {
            match self.place(&path) {
                Some((placed, conflicts)) => {
                    if out.insert(path.clone(), placed).is_none() {
                        self.grown.1 += 1;
                    }
                    if conflicts {
                        self.conflicted.insert(path);
                    } else {
                        self.conflicted.remove(&path);
                    }
                }
                None => {
                    out.remove(&path);
                    self.conflicted.remove(&path);
                }
            }
        }
        let mut conflicts = Vec::new();
        for path in &self.conflicted {
            let heads = self.heads(path);
            let Some(winner) = heads.iter().find(|v| !v.is_deleted()) else {
                continue;
            };
            let Some((hash, _)) = winner.content else {
                continue;
            };
            let mut shown = HashSet::from([hash]);
            // Oldest loser first, so numbering is stable as more arrive.
            for loser in heads.iter().rev() {
                if let Some((h, s)) = loser.content
                    && loser.id != winner.id
                    && shown.insert(h)
                {
                    conflicts.push((path.clone(), *loser, h, s));
                }
            }
        }
        // The next number to try for each conflict name: every lower one
        // was taken when it was tried, and names only get taken, so
        // starting there gives the same names as counting from 1 each
        // time, without going over the taken ones again.
        let mut next: HashMap<String, u32> = HashMap::new();
        let mut copies = Vec::with_capacity(conflicts.len());
        for (path, loser, hash, size) in conflicts {
            let first = conflict_name(&path, &loser.device_name, loser.time_us, 1);
            let mut n = next.get(&first).copied().unwrap_or(1);
            let name = loop {
                let candidate = if n == 1 {
                    first.clone()
                } else {
                    conflict_name(&path, &loser.device_name, loser.time_us, n)
                };
                if !out.contains_key(candidate.as_str()) {
                    break candidate;
                }
                n += 1;
            };
            next.insert(first, n + 1);
            let name: Arc<str> = name.into();
            out.insert(
                name.clone(),
                Placed {
                    version: loser.id,
                    hash,
                    size,
                    conflict_of: Some(path),
                },
            );
            copies.push(name);
        }
        self.copies = copies;
        compact(out, &mut self.grown.1);
        compact(&mut self.paths, &mut self.grown.0);
        self.view = view;
        self.view.clone()
    }

    /// What `path` itself shows (none: deleted, or never had content), and
    /// whether other heads with other content make conflict copies.
    fn place(&self, path: &str) -> Option<(Placed, bool)> {
        let heads = self.heads(path);
        let winner = heads.iter().find(|v| !v.is_deleted())?;
        let (hash, size) = winner.content?;
        let conflicts = heads
            .iter()
            .any(|v| v.id != winner.id && v.content.is_some_and(|(h, _)| h != hash));
        Some((
            Placed {
                version: winner.id,
                hash,
                size,
                conflict_of: None,
            },
            conflicts,
        ))
    }

    /// Every content hash any version refers to (what members may fetch).
    pub fn hashes(&self) -> HashSet<Hash> {
        self.versions()
            .filter_map(|v| v.content.map(|(h, _)| h))
            .filter(|h| *h != Hash::EMPTY)
            .collect()
    }
}

/// `dir/stem (conflict from DEVICE YYYY-MM-DD HHMM).ext`, with ` N` before
/// the closing parenthesis from the second one on.
///
/// The file name stays within one component's limit (255 bytes) whatever
/// the lengths of the device name and the file name: the device name gives
/// way first (down to [`MIN_DEVICE`] bytes), then the stem, each cut on a
/// character boundary; the extension is kept unless it alone leaves no room.
pub(crate) fn conflict_name(path: &str, device: &str, time_us: u64, n: u32) -> String {
    let (dir, file) = match path.rfind('/') {
        Some(i) => (&path[..=i], &path[i + 1..]),
        None => ("", path),
    };
    let device: String = device
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let device = device.trim();
    let device = if device.is_empty() { "unknown" } else { device };
    let when = utc_minute(time_us);
    let number = if n > 1 {
        format!(" {n}")
    } else {
        String::new()
    };
    let fixed = " (conflict from ".len() + 1 + when.len() + number.len() + ")".len();
    let (stem, ext) = match file.rfind('.') {
        Some(i) if i > 0 && fixed + (file.len() - i) + MIN_DEVICE < safe_path::MAX_COMPONENT => {
            (&file[..i], &file[i..])
        }
        _ => (file, ""),
    };
    // What the stem and the device name share.
    let room = safe_path::MAX_COMPONENT.saturating_sub(fixed + ext.len());
    let device_room = room
        .saturating_sub(stem.len())
        .max(MIN_DEVICE.min(device.len()));
    let device = cut(device, device_room).trim_end();
    let stem = cut(stem, room.saturating_sub(device.len()));
    format!("{dir}{stem} (conflict from {device} {when}{number}){ext}")
}

/// The device name part of a conflict copy's name is not cut shorter than
/// this many bytes (while the stem can give way instead).
const MIN_DEVICE: usize = 16;

/// The longest prefix of `text` of at most `max` bytes that ends on a
/// character boundary.
fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `YYYY-MM-DD HHMM` in UTC.
fn utc_minute(time_us: u64) -> String {
    let t = crate::time::Utc::from_ms(i64::try_from(time_us / 1000).unwrap_or(i64::MAX));
    format!("{} {:02}{:02}", t.date(), t.hour, t.minute)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn v(path: &str, id: u8, parents: &[u8], content: Option<&str>, time: u64) -> Version {
        Version {
            path: path.into(),
            id: [id; 16],
            parents: parents.iter().map(|p| [*p; 16]).collect(),
            content: content.map(|c| (Hash::new(c), c.len() as u64)),
            device: [id; 32],
            device_name: format!("dev{id}").into(),
            time_us: time,
        }
    }

    #[test]
    fn versions_round_trip_through_entry_keys() {
        let version = v("a/b.txt", 1, &[2, 3], Some("hello"), 42);
        let (key, hash, size) = version.encode();
        assert_eq!(Version::decode(&key, hash, size).unwrap(), version);
        let deleted = v("a/b.txt", 4, &[1], None, 43);
        let (key, hash, size) = deleted.encode();
        assert_eq!(hash, marker_hash());
        assert_eq!(Version::decode(&key, hash, size).unwrap(), deleted);
        let empty = Version {
            content: Some((Hash::EMPTY, 0)),
            ..v("e", 5, &[], None, 1)
        };
        let (key, hash, size) = empty.encode();
        assert_eq!(Version::decode(&key, hash, size).unwrap(), empty);
        let member = Member {
            device: [7; 32],
            name: "laptop".into(),
            addrs: vec!["127.0.0.1:4000".parse().unwrap()],
            left: false,
            time_us: 9,
        };
        let (key, _, _) = member.encode();
        assert_eq!(Member::decode(&key).unwrap(), member);
    }

    #[test]
    fn escaping_and_odd_paths_are_refused() {
        for bad in [
            "../x",
            "/etc/passwd",
            "a/../../x",
            "a//b",
            "./a",
            "a/",
            "",
            "C:/x",
            "a\\..\\b",
            "con.txt",
            "a\u{1}b",
        ] {
            let mut version = v("ok", 1, &[], Some("x"), 1);
            version.path = bad.into();
            let (key, hash, size) = version.encode();
            assert!(
                Version::decode(&key, hash, size).is_err(),
                "{bad:?} accepted"
            );
        }
        // A deletion flag with real content is not something Ferry writes.
        let mut version = v("ok", 1, &[], None, 1);
        let (key, _, _) = version.encode();
        assert!(Version::decode(&key, Hash::new("x"), 1).is_err());
        version.path = "fine/name.txt".into();
        let (key, hash, size) = version.encode();
        assert!(Version::decode(&key, hash, size).is_ok());
    }

    #[test]
    fn sequential_edits_replace_and_concurrent_ones_conflict() {
        let mut m = Model::default();
        m.add_version(v("a.txt", 1, &[], Some("one"), 100)).unwrap();
        m.add_version(v("a.txt", 2, &[1], Some("two"), 200))
            .unwrap();
        let folder = m.folder();
        assert_eq!(folder.len(), 1);
        assert_eq!(folder["a.txt"].hash, Hash::new("two"));

        // Device 3 edited version 1 without having seen version 2.
        m.add_version(v("a.txt", 3, &[1], Some("three"), 150))
            .unwrap();
        let folder = m.folder();
        assert_eq!(folder.len(), 2, "{folder:?}");
        assert_eq!(folder["a.txt"].hash, Hash::new("two"), "the newest wins");
        let copy = "a (conflict from dev3 1970-01-01 0000).txt";
        assert_eq!(folder[copy].hash, Hash::new("three"));
        assert_eq!(folder[copy].conflict_of.as_deref(), Some("a.txt"));

        // Merging both heads resolves it.
        m.add_version(v("a.txt", 4, &[2, 3], Some("two"), 300))
            .unwrap();
        assert_eq!(m.folder().len(), 1);
        assert_eq!(m.history("a.txt").len(), 4);
    }

    #[test]
    fn the_folder_does_not_depend_on_arrival_order() {
        let versions = [
            v("x", 1, &[], Some("a"), 10),
            v("x", 2, &[1], Some("b"), 20),
            v("x", 3, &[1], Some("c"), 20),
            v("x", 4, &[1], None, 30),
            v("y", 5, &[], Some("d"), 10),
            v("y", 6, &[5], None, 11),
            v(
                "x (conflict from dev2 1970-01-01 0000)",
                7,
                &[],
                Some("e"),
                5,
            ),
        ];
        let mut forward = Model::default();
        versions.iter().cloned().for_each(|x| {
            forward.add_version(x).unwrap();
        });
        let mut backward = Model::default();
        versions.iter().rev().cloned().for_each(|x| {
            backward.add_version(x).unwrap();
        });
        assert_eq!(forward.folder(), backward.folder());
        let folder = forward.folder();
        // The deletion does not hide the concurrent edits; y is gone.
        assert!(!folder.contains_key("y"));
        assert_eq!(folder["x"].hash, Hash::new("c"), "ties go to the larger id");
        // A real file holds the first conflict name, so the copy is numbered.
        assert_eq!(
            folder["x (conflict from dev2 1970-01-01 0000 2)"].hash,
            Hash::new("b")
        );
        assert_eq!(folder.len(), 3);
    }

    #[test]
    fn the_folder_kept_up_to_date_is_the_folder_placed_anew() {
        let versions = [
            v("x", 1, &[], Some("a"), 10),
            v("x", 2, &[1], Some("b"), 20),
            v("x", 3, &[1], Some("c"), 20),
            v("y", 5, &[], Some("d"), 10),
            v(
                "x (conflict from dev2 1970-01-01 0000)",
                7,
                &[],
                Some("e"),
                5,
            ),
            v("x", 4, &[2, 3], None, 30),
            v("y", 6, &[5], None, 11),
            v("x", 8, &[4], Some("f"), 40),
            v("x", 9, &[4], Some("g"), 41),
            v("z/deep", 10, &[], Some("h"), 1),
            v("x (conflict from dev2 1970-01-01 0000)", 11, &[7], None, 50),
        ];
        // Several arrival orders; after every arrival the view equals a
        // model that placed the same versions from nothing.
        for seed in 0..24usize {
            let mut order: Vec<usize> = (0..versions.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, (seed * 7 + i * 13) % (i + 1));
            }
            let mut kept = Model::default();
            for (n, i) in order.iter().enumerate() {
                kept.add_version(versions[*i].clone()).unwrap();
                let mut fresh = Model::default();
                for j in &order[..=n] {
                    fresh.add_version(versions[*j].clone()).unwrap();
                }
                assert_eq!(
                    *kept.folder(),
                    *fresh.folder(),
                    "order {order:?}, after {n}"
                );
            }
        }
    }

    #[test]
    fn a_version_seen_again_is_known_however_many_the_path_has() {
        let mut m = Model::default();
        for i in 1..=20u8 {
            let parents: Vec<u8> = if i == 1 { vec![] } else { vec![i - 1] };
            assert!(
                m.add_version(v("x", i, &parents, Some("a"), u64::from(i)))
                    .unwrap()
            );
            // Every one so far, through the list and then through the set.
            for j in 1..=i {
                let parents: Vec<u8> = if j == 1 { vec![] } else { vec![j - 1] };
                assert!(
                    !m.add_version(v("x", j, &parents, Some("a"), u64::from(j)))
                        .unwrap()
                );
            }
        }
        assert_eq!(m.history("x").len(), 20);
        assert_eq!(m.folder()["x"].version, [20; 16]);
    }

    #[test]
    fn a_model_built_anew_after_growing_shows_the_same_folder() {
        // Enough paths for both maps to be built anew (COMPACT_AFTER), in
        // two steps: the second adds to, edits and deletes in the first.
        let mut m = Model::default();
        let version = |path: String, id: u32, parents: Vec<VersionId>, content: Option<&str>| {
            let mut v = v(&path, 0, &[], content, u64::from(id));
            v.id[..4].copy_from_slice(&id.to_be_bytes());
            v.parents = parents;
            v
        };
        let n = COMPACT_AFTER as u32 + 100;
        for i in 0..n {
            m.add_version(version(format!("d/{i:06}"), i, vec![], Some("a")))
                .unwrap();
        }
        let first = m.folder();
        assert_eq!(first.len(), n as usize);
        assert_eq!(m.grown, (0, 0), "both maps were built anew");
        for i in 0..n {
            let path = format!("d/{i:06}");
            let mut parent = [0; 16];
            parent[..4].copy_from_slice(&i.to_be_bytes());
            let (id, content) = (n + i, (i % 2 == 0).then_some("b"));
            m.add_version(version(path, id, vec![parent], content))
                .unwrap();
            m.add_version(version(format!("e/{i:06}"), 2 * n + i, vec![], Some("c")))
                .unwrap();
        }
        let second = m.folder();
        assert_eq!(second.len(), n as usize + (n as usize).div_ceil(2));
        assert_eq!(second["d/000000"].hash, Hash::new("b"));
        assert!(!second.contains_key("d/000001"), "deleted");
        assert_eq!(second["e/000001"].hash, Hash::new("c"));
        // The same as a model that takes the versions in one go.
        let mut again = Model::default();
        for version in m.versions() {
            again.add_version(version.clone()).unwrap();
        }
        assert_eq!(*again.folder(), *second);
        assert!(Arc::ptr_eq(
            second.get_key_value("d/000000").unwrap().0,
            &m.history("d/000000")[0].path
        ));
    }

    #[test]
    fn a_paths_name_and_a_devices_name_are_held_once() {
        // Every version arrives with names of its own (decoded from its
        // entry); the model keeps one of each, shared by its records.
        let mut m = Model::default();
        for i in 1..=12u8 {
            let parents: Vec<u8> = if i == 1 { vec![] } else { vec![i - 1] };
            let mut version = v("dir/photo.jpg", i, &parents, Some("a"), u64::from(i));
            version.device_name = String::from("laptop").into();
            m.add_version(version).unwrap();
        }
        let mut other = v("other.txt", 50, &[], Some("b"), 1);
        other.device_name = String::from("laptop").into();
        m.add_version(other).unwrap();
        let history = m.history("dir/photo.jpg");
        assert_eq!(history.len(), 12);
        let first = history[0];
        for version in &history {
            assert!(Arc::ptr_eq(&version.path, &first.path));
            assert!(Arc::ptr_eq(&version.device_name, &first.device_name));
        }
        assert!(Arc::ptr_eq(
            &m.history("other.txt")[0].device_name,
            &first.device_name
        ));
        let first_path = first.path.clone();
        let folder = m.folder();
        let (key, placed) = folder.get_key_value("dir/photo.jpg").unwrap();
        assert!(Arc::ptr_eq(key, &first_path));
        assert_eq!(placed.version, [12; 16]);
        assert_eq!(m.version(&[5; 16]).unwrap().time_us, 5);
        assert!(m.version(&[99; 16]).is_none());
    }

    #[test]
    fn identical_concurrent_content_is_not_a_conflict() {
        let mut m = Model::default();
        m.add_version(v("p", 1, &[], Some("same"), 1)).unwrap();
        m.add_version(v("p", 2, &[], Some("same"), 2)).unwrap();
        assert_eq!(m.folder().len(), 1);
    }

    #[test]
    fn conflict_names_keep_the_extension_and_fit_one_component() {
        assert_eq!(
            conflict_name("dir/photo.jpg", "Ana's phone", 1_764_072_180_000_000, 1),
            "dir/photo (conflict from Ana's phone 2025-11-25 1203).jpg"
        );
        assert_eq!(
            conflict_name(".bashrc", "a/b", 0, 2),
            ".bashrc (conflict from a_b 1970-01-01 0000 2)"
        );
        let long = "x".repeat(300);
        let name = conflict_name(&long, "d", 0, 1);
        assert!(name.len() <= safe_path::MAX_COMPONENT, "{}", name.len());
        assert!(check_path(&name).is_ok());
    }

    #[test]
    fn conflict_names_fit_one_component_whatever_the_device_names_length() {
        // 64 characters of 2, 3 and 4 bytes: what a peer's name may hold.
        for unit in ["é", "日", "🦀"] {
            let device = unit.repeat(64);
            let long_file = format!("{}.txt", "s".repeat(246));
            assert_eq!(long_file.len(), 250);
            for (path, n) in [
                (long_file.as_str(), 1),
                ("dir/a.txt", 1),
                ("a.txt", 12),
                (long_file.as_str(), 3),
            ] {
                let name = conflict_name(path, &device, 1_764_072_180_000_000, n);
                let file = name.rsplit('/').next().unwrap();
                assert!(
                    file.len() <= safe_path::MAX_COMPONENT,
                    "{} bytes",
                    file.len()
                );
                assert!(check_path(&name).is_ok(), "{name}");
                assert!(name.ends_with(".txt"), "the extension stays: {name}");
                let (_, tag) = file.split_once(" (conflict from ").unwrap();
                let shown = tag.split(" 2025-11-25 1203").next().unwrap();
                assert!(!shown.is_empty() && device.starts_with(shown), "{shown}");
            }
            // A short file name keeps all of it; the device name gives way.
            let name = conflict_name("a.txt", &device, 0, 1);
            assert!(name.starts_with("a (conflict from "), "{name}");
        }
        // The stem gives way only after the device name was shortened.
        let name = conflict_name(&"s".repeat(250), &"d".repeat(64), 0, 1);
        assert!(name.len() <= safe_path::MAX_COMPONENT);
        assert!(name.contains(&format!("from {} 1970", "d".repeat(MIN_DEVICE))));
        // An extension too long to keep is cut with the rest.
        let name = conflict_name(&format!("a.{}", "e".repeat(240)), "dev", 0, 1);
        assert!(name.len() <= safe_path::MAX_COMPONENT && check_path(&name).is_ok());
    }

    /// Thousands of concurrent versions of one path, all from one device in
    /// the same minute (what a hostile member can write), give their
    /// conflict copies distinct names without going over the taken names
    /// again for each one.
    #[test]
    fn many_concurrent_heads_are_placed_in_near_linear_time() {
        let count: u32 = 20_000;
        let mut m = Model::default();
        for i in 0..count {
            let mut id = [0u8; 16];
            id[..4].copy_from_slice(&i.to_be_bytes());
            m.add_version(Version {
                path: "p.txt".into(),
                id,
                parents: Vec::new(),
                content: Some((Hash::new(i.to_be_bytes()), 4)),
                device: [1; 32],
                device_name: "dev".into(),
                time_us: u64::from(i),
            })
            .unwrap();
        }
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(m.folder().len()).unwrap());
        // A bound for the test run only, far above what the work needs.
        let placed = rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("placing the versions did not finish");
        assert_eq!(placed, count as usize);
    }

    /// A member writing without end meets the collection's limits, and
    /// what it sent beyond them is refused with the reason; a version
    /// already held is still taken as known.
    #[test]
    fn versions_beyond_the_limits_are_refused() {
        let mut m = Model::with_limits(5, 3);
        for i in 1..=3 {
            assert!(
                m.add_version(v("a.txt", i, &[], Some("x"), u64::from(i)))
                    .unwrap()
            );
        }
        let err = m.add_version(v("a.txt", 4, &[], Some("x"), 4)).unwrap_err();
        assert!(err.contains("limit of 3 versions"), "{err}");
        assert!(!m.add_version(v("a.txt", 2, &[], Some("x"), 2)).unwrap());
        assert!(m.add_version(v("b.txt", 5, &[], Some("y"), 5)).unwrap());
        assert!(m.add_version(v("c.txt", 6, &[], Some("z"), 6)).unwrap());
        let err = m.add_version(v("d.txt", 7, &[], Some("w"), 7)).unwrap_err();
        assert!(err.contains("limit of 5 versions"), "{err}");
        assert_eq!(m.versions().count(), 5);
        assert!(m.room_for_version("d.txt").is_err());
        assert_eq!(
            Model::default().limits,
            (MAX_VERSIONS, MAX_VERSIONS_PER_PATH)
        );
    }
}
