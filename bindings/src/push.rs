//! Push and the inbox as the foreign side sees them: what a push did,
//! the offers the node holds, the outbox.

use std::{path::PathBuf, time::Duration};

use ferry_core::{PushReport, PushRequest};

use crate::{AcceptPolicy, FerryError, FerryNode, run, types::path_text};

/// Push and the inbox.
#[uniffi::export]
impl FerryNode {
    /// Offers files, folders, text or a link to a paired device and waits
    /// until it has received them (or declined). `PushAccepted` and
    /// `PushProgress` events report on the way; cancelling the call stops
    /// the transfer.
    pub async fn push(
        &self,
        device: String,
        paths: Vec<String>,
        text: Option<String>,
    ) -> Result<PushReport, FerryError> {
        let node = self.node.clone();
        let request = PushRequest {
            paths: crate::paths(paths),
            text,
        };
        run(async move { Ok(node.push(&device, request).await?) }).await
    }

    /// Pushes now, or, if the device does not answer, queues the push for
    /// `queue_for_secs` (none: core's default, a week); the outbox delivers
    /// it while the node runs. Any other failure is an error, as with
    /// [`FerryNode::push`] (which never queues: an offline device is
    /// `FerryError.Offline` there).
    pub async fn push_or_queue(
        &self,
        device: String,
        paths: Vec<String>,
        text: Option<String>,
        queue_for_secs: Option<u64>,
    ) -> Result<PushOutcome, FerryError> {
        let node = self.node.clone();
        let request = PushRequest {
            paths: crate::paths(paths),
            text,
        };
        let queue_for = queue_for_secs.map_or(ferry_core::push::QUEUE_FOR, Duration::from_secs);
        run(async move {
            Ok(node
                .push_or_queue(&device, request, Some(queue_for))
                .await?
                .into())
        })
        .await
    }

    /// Queues a push for a device that is offline; it is delivered while the
    /// node runs (see [`FerryNode::start_outbox`]) within `keep_for_secs`.
    pub fn queue_push(
        &self,
        device: String,
        paths: Vec<String>,
        text: Option<String>,
        keep_for_secs: u64,
    ) -> Result<OutboxItem, FerryError> {
        let request = PushRequest {
            paths: crate::paths(paths),
            text,
        };
        Ok(self
            .node
            .queue_push(&device, request, Duration::from_secs(keep_for_secs))?
            .into())
    }

    /// Pushes waiting in the outbox.
    pub fn outbox(&self) -> Result<Vec<OutboxItem>, FerryError> {
        Ok(self.node.outbox()?.into_iter().map(Into::into).collect())
    }

    /// Starts delivering queued pushes in the background.
    pub fn start_outbox(&self) {
        let _guard = crate::runtime().enter();
        self.node.start_outbox();
    }

    /// How offers from paired devices are handled, and where accepted
    /// files go (none: files are refused, text still arrives).
    pub fn set_inbox(&self, policy: AcceptPolicy, out_dir: Option<String>) {
        self.node
            .transfers()
            .set_inbox(policy.into(), out_dir.map(PathBuf::from));
    }

    /// The offers the node holds, oldest first: waiting for an answer or
    /// being received. A screen opened after they arrived starts from
    /// these; their events name the same `offer_id`.
    pub fn offers(&self) -> Vec<HeldOffer> {
        let mut offers: Vec<HeldOffer> = self
            .node
            .transfers()
            .offers()
            .into_iter()
            .map(Into::into)
            .collect();
        offers.sort_by_key(|o| o.offer_id);
        offers
    }

    /// Accepts or rejects an offer waiting in the inbox (`OfferReceived`);
    /// false if it no longer waits.
    pub fn respond(&self, offer_id: u64, accept: bool) -> bool {
        self.node.transfers().respond(offer_id, accept)
    }

    /// Stops receiving an accepted offer; the sender is told. False if it is
    /// not being received.
    pub fn cancel_offer(&self, offer_id: u64) -> bool {
        self.node.transfers().cancel(offer_id)
    }
}

/// An offer from a paired device that the node holds: waiting for an
/// answer, or accepted and being received.
#[derive(Debug, Clone, uniffi::Record)]
pub struct HeldOffer {
    /// The offer's id, as its events name it.
    pub offer_id: u64,
    /// Who offers it.
    pub sender: ferry_core::DeviceRef,
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
            sender: o.from,
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
        summary: ferry_core::PushReport,
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
            ferry_core::PushOutcome::Delivered(summary) => Self::Delivered { summary },
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
    /// Where it stands.
    pub status: ferry_core::OutboxStatus,
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
            status: o.status,
            error: o.error,
        }
    }
}
