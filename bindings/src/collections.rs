//! Shared collections: folders kept the same on several paired devices,
//! or browsed and fetched on demand on a device without a folder (a phone).

use std::path::{Path, PathBuf};

use ferry_core::DeviceRef;

use crate::{FerryError, FerryNode, run, types::path_text};

/// A collection as listed.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CollectionInfo {
    /// Its name.
    pub name: String,
    /// The folder it mirrors on this device; none on a device without one.
    pub dir: Option<String>,
    /// Number of members.
    pub members: u64,
    /// Files in it.
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
}

impl From<ferry_core::CollectionInfo> for CollectionInfo {
    fn from(c: ferry_core::CollectionInfo) -> Self {
        Self {
            name: c.name,
            dir: c.dir.as_deref().map(path_text),
            members: c.members as u64,
            files: c.files,
            bytes: c.bytes,
        }
    }
}

/// A member of a collection.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CollectionMember {
    /// Its device id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Whether it is connected now.
    pub online: bool,
    /// Whether it is this device.
    pub this_device: bool,
}

/// How much old content (files other members replaced or deleted) a
/// collection keeps on this device; content beyond either limit goes,
/// oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct KeepPolicy {
    /// Days old content is kept; 0 keeps none (history off here).
    pub days: u32,
    /// At most this share of the folder's size, in percent (1 to 100).
    pub max_percent: Option<u32>,
    /// At most this many bytes.
    pub max_bytes: Option<u64>,
}

impl From<ferry_core::KeepPolicy> for KeepPolicy {
    fn from(p: ferry_core::KeepPolicy) -> Self {
        Self {
            days: p.days,
            max_percent: p.max_percent,
            max_bytes: p.max_bytes,
        }
    }
}

impl From<KeepPolicy> for ferry_core::KeepPolicy {
    fn from(p: KeepPolicy) -> Self {
        Self {
            days: p.days,
            max_percent: p.max_percent,
            max_bytes: p.max_bytes,
        }
    }
}

/// Where a collection stands on this device.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CollectionStatus {
    /// Its name.
    pub name: String,
    /// Its folder here, if any.
    pub dir: Option<String>,
    /// Every member.
    pub members: Vec<CollectionMember>,
    /// Files in it.
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
    /// Files still to download into the folder (or pinned).
    pub pending_files: u64,
    /// Their size.
    pub pending_bytes: u64,
    /// Paths of conflict copies.
    pub conflicts: Vec<String>,
    /// When a member last synced with this device.
    pub last_sync_ms: Option<i64>,
    /// How much old content this device keeps.
    pub keep: KeepPolicy,
    /// Old content kept in the folder now, in bytes.
    pub kept_bytes: u64,
}

impl From<ferry_core::CollectionStatus> for CollectionStatus {
    fn from(s: ferry_core::CollectionStatus) -> Self {
        Self {
            name: s.name,
            dir: s.dir.as_deref().map(path_text),
            members: s
                .members
                .into_iter()
                .map(|m| CollectionMember {
                    id: m.id,
                    name: m.name,
                    online: m.online,
                    this_device: m.this_device,
                })
                .collect(),
            files: s.files,
            bytes: s.bytes,
            pending_files: s.pending_files,
            pending_bytes: s.pending_bytes,
            conflicts: s.conflicts,
            last_sync_ms: s.last_sync_ms,
            keep: s.keep.into(),
            kept_bytes: s.kept_bytes,
        }
    }
}

/// A file of a collection.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CollectionFile {
    /// Its path in the collection.
    pub path: String,
    /// Its size.
    pub size: u64,
    /// Its content hash.
    pub hash: String,
    /// Whether its content is on this device.
    pub local: bool,
    /// For a conflict copy, the path it is a copy of.
    pub conflict_of: Option<String>,
}

impl From<ferry_core::FileInfo> for CollectionFile {
    fn from(f: ferry_core::FileInfo) -> Self {
        Self {
            path: f.path,
            size: f.size,
            hash: f.hash,
            local: f.local,
            conflict_of: f.conflict_of,
        }
    }
}

/// One version in a file's history.
#[derive(Debug, Clone, uniffi::Record)]
pub struct FileVersion {
    /// Its number, for `restore_version`.
    pub number: u64,
    /// The device that wrote it.
    pub device: String,
    /// That device's id.
    pub device_id: String,
    /// When.
    pub time_ms: i64,
    /// Its size.
    pub size: u64,
    /// Whether it is a deletion.
    pub deleted: bool,
    /// Its content hash.
    pub hash: String,
    /// Whether it is what the folder shows now.
    pub current: bool,
    /// Whether its content is on this device (false for a deletion); one
    /// that is not is restored from a member that still keeps it.
    pub here: bool,
}

impl From<ferry_core::VersionInfo> for FileVersion {
    fn from(v: ferry_core::VersionInfo) -> Self {
        Self {
            number: v.number as u64,
            device: v.device,
            device_id: v.device_id,
            time_ms: v.time_ms,
            size: v.size,
            deleted: v.deleted,
            hash: v.hash,
            current: v.current,
            here: v.here,
        }
    }
}

/// An invitation to a collection, waiting for an answer.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CollectionInvite {
    /// The collection's name.
    pub name: String,
    /// Who invited.
    pub sender: DeviceRef,
    /// When it arrived.
    pub received_at_ms: i64,
}

fn dir(d: Option<String>) -> Option<PathBuf> {
    d.filter(|d| !d.is_empty()).map(PathBuf::from)
}

#[uniffi::export]
impl FerryNode {
    /// Opens every collection and starts syncing them with their members.
    pub async fn start_collections(&self) -> Result<(), FerryError> {
        let node = self.node.clone();
        run(async move { Ok(node.collections().start().await?) }).await
    }

    /// Creates a collection from the files in `dir` (created if missing),
    /// or an empty one without a folder.
    pub async fn create_collection(
        &self,
        name: String,
        dir: Option<String>,
    ) -> Result<CollectionInfo, FerryError> {
        let node = self.node.clone();
        run(async move {
            Ok(node
                .collections()
                .create(&name, self::dir(dir).as_deref())
                .await?
                .into())
        })
        .await
    }

    /// Every collection this device is a member of.
    pub async fn collections(&self) -> Result<Vec<CollectionInfo>, FerryError> {
        let node = self.node.clone();
        run(async move {
            Ok(node
                .collections()
                .list()
                .await?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
    }

    /// Members, counts, pending downloads, conflicts and last sync.
    pub async fn collection_status(&self, name: String) -> Result<CollectionStatus, FerryError> {
        let node = self.node.clone();
        run(async move { Ok(node.collections().status(&name).await?.into()) }).await
    }

    /// The files of a collection (on a device without a folder, what can be
    /// fetched).
    pub async fn collection_files(&self, name: String) -> Result<Vec<CollectionFile>, FerryError> {
        let node = self.node.clone();
        run(async move {
            Ok(node
                .collections()
                .files(&name)
                .await?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
    }

    /// Invites a paired device. True if it accepted at once (it auto-accepts
    /// from this device); otherwise the invitation waits on it.
    pub async fn invite(&self, collection: String, device: String) -> Result<bool, FerryError> {
        let node = self.node.clone();
        run(async move { Ok(node.collections().invite(&collection, &device).await?) }).await
    }

    /// Invitations waiting for an answer.
    pub fn invites(&self) -> Result<Vec<CollectionInvite>, FerryError> {
        Ok(self
            .node
            .collections()
            .invites()?
            .into_iter()
            .map(|i| CollectionInvite {
                name: i.name,
                sender: i.from,
                received_at_ms: i.received_at_ms,
            })
            .collect())
    }

    /// Accepts an invitation, into `dir` or into no folder (browse and
    /// fetch on demand).
    pub async fn accept_invite(
        &self,
        name: String,
        dir: Option<String>,
    ) -> Result<CollectionInfo, FerryError> {
        let node = self.node.clone();
        run(async move {
            Ok(node
                .collections()
                .accept(&name, self::dir(dir).as_deref())
                .await?
                .into())
        })
        .await
    }

    /// Every version of a file, oldest first.
    pub async fn file_history(
        &self,
        collection: String,
        path: String,
    ) -> Result<Vec<FileVersion>, FerryError> {
        let node = self.node.clone();
        run(async move {
            Ok(node
                .collections()
                .history(&collection, &path)
                .await?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
    }

    /// Makes an old version the current content on every member.
    pub async fn restore_version(
        &self,
        collection: String,
        path: String,
        number: u64,
    ) -> Result<FileVersion, FerryError> {
        let node = self.node.clone();
        let number = usize::try_from(number)
            .map_err(|_| FerryError::InvalidInput(format!("no version {number}")))?;
        run(async move {
            Ok(node
                .collections()
                .restore(&collection, &path, number)
                .await?
                .into())
        })
        .await
    }

    /// Sets how much old content a collection keeps on this device; what
    /// the new policy does not keep is removed at once.
    pub async fn set_keep(
        &self,
        collection: String,
        policy: KeepPolicy,
    ) -> Result<KeepPolicy, FerryError> {
        let node = self.node.clone();
        run(async move {
            Ok(node
                .collections()
                .set_keep(&collection, policy.into())
                .await?
                .into())
        })
        .await
    }

    /// Keeps a file, or every file under a folder (`""` for all), on this
    /// device; `on = false` unpins.
    pub async fn pin(&self, collection: String, path: String, on: bool) -> Result<(), FerryError> {
        let node = self.node.clone();
        run(async move { Ok(node.collections().pin(&collection, &path, on).await?) }).await
    }

    /// Writes the current content of a file to `out_path`, fetching it from
    /// an online member if needed; returns its size.
    pub async fn fetch_file(
        &self,
        collection: String,
        path: String,
        out_path: String,
    ) -> Result<u64, FerryError> {
        let node = self.node.clone();
        run(async move {
            Ok(node
                .collections()
                .fetch(&collection, &path, Path::new(&out_path))
                .await?)
        })
        .await
    }

    /// Leaves a collection; the folder and its files stay.
    pub async fn leave_collection(&self, name: String) -> Result<(), FerryError> {
        let node = self.node.clone();
        run(async move { Ok(node.collections().leave(&name).await?) }).await
    }

    /// Removes a member (the collection is re-keyed without it); returns
    /// the members that could not be told now.
    pub async fn remove_member(
        &self,
        collection: String,
        device: String,
    ) -> Result<Vec<String>, FerryError> {
        let node = self.node.clone();
        run(async move {
            Ok(node
                .collections()
                .remove_member(&collection, &device)
                .await?)
        })
        .await
    }
}
