//! What the UI sees of collections: the list, one collection's detail,
//! an invitation.

use serde::Serialize;
use specta::Type;

/// A collection as listed.
#[derive(Debug, Clone, Serialize, Type)]
pub struct CollectionView {
    pub name: String,
    pub dir: Option<String>,
    pub members: f64,
    pub files: f64,
    pub bytes: f64,
}

impl From<ferry_core::CollectionInfo> for CollectionView {
    fn from(c: ferry_core::CollectionInfo) -> Self {
        Self {
            name: c.name,
            dir: c.dir.map(|d| d.display().to_string()),
            members: c.members as f64,
            files: c.files as f64,
            bytes: c.bytes as f64,
        }
    }
}

/// A member of a collection.
#[derive(Debug, Clone, Serialize, Type)]
pub struct MemberView {
    pub id: String,
    pub name: String,
    pub online: bool,
    pub this_device: bool,
}

/// One collection, for its detail view.
#[derive(Debug, Clone, Serialize, Type)]
pub struct CollectionStatusView {
    pub name: String,
    pub dir: Option<String>,
    pub members: Vec<MemberView>,
    pub files: f64,
    pub bytes: f64,
    pub pending_files: f64,
    pub pending_bytes: f64,
    /// Conflict copies in the folder, by path.
    pub conflicts: Vec<String>,
    pub last_sync_ms: Option<f64>,
}

impl From<ferry_core::CollectionStatus> for CollectionStatusView {
    fn from(c: ferry_core::CollectionStatus) -> Self {
        Self {
            name: c.name,
            dir: c.dir.map(|d| d.display().to_string()),
            members: c
                .members
                .into_iter()
                .map(|m| MemberView {
                    id: m.id,
                    name: m.name,
                    online: m.online,
                    this_device: m.this_device,
                })
                .collect(),
            files: c.files as f64,
            bytes: c.bytes as f64,
            pending_files: c.pending_files as f64,
            pending_bytes: c.pending_bytes as f64,
            conflicts: c.conflicts,
            last_sync_ms: c.last_sync_ms.map(|m| m as f64),
        }
    }
}

/// An invitation into a collection.
#[derive(Debug, Clone, Serialize, Type)]
pub struct InviteView {
    pub name: String,
    pub from: String,
    pub from_id: String,
    pub received_at_ms: f64,
}

impl From<ferry_core::Invite> for InviteView {
    fn from(i: ferry_core::Invite) -> Self {
        Self {
            name: i.name,
            from: i.from.name,
            from_id: i.from.id,
            received_at_ms: i.received_at_ms as f64,
        }
    }
}
