//! What the UI sees of collections: the list, one collection's detail,
//! an invitation.

use serde::{Deserialize, Serialize};
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

/// How much old content a collection keeps on this device: `days` 0 is
/// off; a share of the folder (percent) or a size (bytes), or both.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Type)]
pub struct KeepView {
    pub days: f64,
    pub max_percent: Option<f64>,
    pub max_bytes: Option<f64>,
}

impl From<ferry_core::KeepPolicy> for KeepView {
    fn from(k: ferry_core::KeepPolicy) -> Self {
        Self {
            days: f64::from(k.days),
            max_percent: k.max_percent.map(f64::from),
            max_bytes: k.max_bytes.map(|b| b as f64),
        }
    }
}

impl KeepView {
    /// The policy, if every number is a whole one in range (the core
    /// checks the limits).
    pub fn policy(&self) -> Option<ferry_core::KeepPolicy> {
        fn whole(n: f64) -> Option<u64> {
            (n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n < 2f64.powi(53)).then_some(n as u64)
        }
        Some(ferry_core::KeepPolicy {
            days: u32::try_from(whole(self.days)?).ok()?,
            max_percent: match self.max_percent {
                Some(p) => Some(u32::try_from(whole(p)?).ok()?),
                None => None,
            },
            max_bytes: match self.max_bytes {
                Some(b) => Some(whole(b)?),
                None => None,
            },
        })
    }
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
    /// How much old content this device keeps, and how much it keeps now.
    pub keep: KeepView,
    pub kept_bytes: f64,
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
            keep: c.keep.into(),
            kept_bytes: c.kept_bytes as f64,
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
