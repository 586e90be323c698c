//! Push and the inbox as the foreign side sees them: what a push did,
//! the offers the node holds, the outbox.

use crate::types::path_text;

/// What a paired device received from a push.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PushSummary {
    /// Files in place there.
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
    /// Bytes that crossed the network.
    pub bytes_transferred: u64,
}

impl From<ferry_core::PushReport> for PushSummary {
    fn from(r: ferry_core::PushReport) -> Self {
        Self {
            files: r.files,
            bytes: r.bytes,
            bytes_transferred: r.bytes_transferred,
        }
    }
}

/// An offer from a paired device that the node holds: waiting for an
/// answer, or accepted and being received.
#[derive(Debug, Clone, uniffi::Record)]
pub struct HeldOffer {
    /// The offer's id, as its events name it.
    pub offer_id: u64,
    /// Who offers it.
    pub sender: crate::DeviceRef,
    /// How many files.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// The first names.
    pub names: Vec<String>,
    /// Text or a link.
    pub text: Option<String>,
    /// Accepted and being received (else it waits for an answer).
    pub receiving: bool,
}

impl From<ferry_core::PendingOffer> for HeldOffer {
    fn from(o: ferry_core::PendingOffer) -> Self {
        Self {
            offer_id: o.offer_id,
            sender: o.from.into(),
            files: o.files,
            bytes: o.bytes,
            names: o.names,
            text: o.text,
            receiving: o.state == ferry_core::OfferPhase::Receiving,
        }
    }
}

/// How a push ended: delivered, or waiting in the outbox because the
/// device did not answer.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum PushOutcome {
    /// The device received it.
    Delivered {
        /// What it received.
        summary: PushSummary,
    },
    /// The device did not answer: the push waits in the outbox (delivered
    /// while the node runs its outbox).
    Queued {
        /// The outbox entry.
        item: OutboxItem,
        /// Why it could not go now.
        reason: String,
    },
}

impl From<ferry_core::PushOutcome> for PushOutcome {
    fn from(o: ferry_core::PushOutcome) -> Self {
        match o {
            ferry_core::PushOutcome::Delivered(report) => Self::Delivered {
                summary: report.into(),
            },
            ferry_core::PushOutcome::Queued { entry, reason } => Self::Queued {
                item: entry.into(),
                reason,
            },
        }
    }
}

/// A push waiting for its device to come online.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OutboxItem {
    /// The entry's id.
    pub id: i64,
    /// The receiving device's id.
    pub device_id: String,
    /// Its name.
    pub device_name: String,
    /// What is sent (read when delivered).
    pub paths: Vec<String>,
    /// Text or a link.
    pub text: Option<String>,
    /// When it was queued.
    pub created_at_ms: i64,
    /// When it gives up.
    pub expires_at_ms: i64,
    /// `waiting`, `delivered`, `rejected`, `failed` or `expired`.
    pub status: String,
    /// Why it failed, if it did.
    pub error: String,
}

impl From<ferry_core::OutboxEntry> for OutboxItem {
    fn from(o: ferry_core::OutboxEntry) -> Self {
        Self {
            id: o.id,
            device_id: o.device_id,
            device_name: o.device_name,
            paths: o.paths.iter().map(|p| path_text(p)).collect(),
            text: o.text,
            created_at_ms: o.created_at_ms,
            expires_at_ms: o.expires_at_ms,
            status: o.status.as_str().to_string(),
            error: o.error,
        }
    }
}
