//! The node's events for the foreign side: one enum mirroring core's
//! `Event`, delivered to an [`EventListener`] until its
//! [`EventSubscription`] is dropped or cancelled.

use std::sync::{Arc, Mutex};

use ferry_core::Event;

use crate::{AbortOnDrop, PushSummary, runtime};

/// A device as events name it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceRef {
    /// Its device id.
    pub id: String,
    /// Its name.
    pub name: String,
}

impl From<ferry_core::DeviceRef> for DeviceRef {
    fn from(d: ferry_core::DeviceRef) -> Self {
        Self {
            id: d.id,
            name: d.name,
        }
    }
}

/// One member's share of a collection fetch round.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FetchSourceInfo {
    /// The member's device id.
    pub device: String,
    /// Files it served.
    pub files: u64,
}

impl From<ferry_core::FetchSource> for FetchSourceInfo {
    fn from(s: ferry_core::FetchSource) -> Self {
        Self {
            device: s.device,
            files: s.files,
        }
    }
}

/// Something that happened in the node. Paths of connections are `direct`,
/// `relay` or `local`.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum FerryEvent {
    /// Files are being read and hashed for a share.
    ImportProgress {
        /// Files hashed so far.
        files_done: u64,
        /// Files to hash.
        files_total: u64,
        /// Bytes hashed so far.
        bytes_done: u64,
        /// Bytes to hash.
        bytes_total: u64,
    },
    /// A peer asked for content that is not shared with it; it was refused.
    RequestRefused {
        /// The peer's device id.
        peer: String,
        /// The hash it asked for.
        hash: String,
    },
    /// A peer finished downloading a share.
    ShareDownloaded {
        /// The share's root hash.
        root: String,
        /// The peer's device id.
        peer: String,
    },
    /// A download started; its progress events carry this `transfer_id`.
    ReceiveStarted {
        /// The history row of the transfer.
        transfer_id: i64,
        /// The inbox offer it receives, when it is one (a push accepted).
        offer_id: Option<u64>,
        /// The sender's device id.
        peer: String,
        /// The root hash of the content.
        root: String,
    },
    /// Progress of a download.
    ReceiveProgress {
        /// The history row of the transfer.
        transfer_id: i64,
        /// The inbox offer it receives, when it is one.
        offer_id: Option<u64>,
        /// Payload bytes present so far (verified, including resumed ones).
        bytes_done: u64,
        /// Payload bytes in total.
        bytes_total: u64,
        /// Payload bytes fetched over the network in this run.
        bytes_transferred: u64,
        /// Files completed so far.
        files_done: u64,
        /// Files in total.
        files_total: u64,
        /// How the connection runs.
        path: String,
    },
    /// A file arrived, was verified and is in place.
    FileReceived {
        /// The history row of the transfer.
        transfer_id: i64,
        /// The name the peer gave.
        name: String,
        /// Where it was written.
        path: String,
    },
    /// A name from the peer was refused; that entry is skipped.
    NameRejected {
        /// The history row of the transfer.
        transfer_id: i64,
        /// The name, with control characters escaped.
        name: String,
        /// Why it was refused.
        reason: String,
    },
    /// A device paired with this one; both now trust each other.
    Paired {
        /// The other device's id.
        id: String,
        /// Its name.
        name: String,
    },
    /// A device tried to pair with this one and was refused.
    PairingRefused {
        /// The device's id.
        peer: String,
        /// Why: `wrong_secret`, `expired`, `already_used`, `too_many_attempts`
        /// or `not_pairing`.
        reason: String,
    },
    /// A paired device was removed; it is no longer trusted.
    DeviceRemoved {
        /// The device's id.
        id: String,
    },
    /// A paired device offers files, folders, text or a link.
    OfferReceived {
        /// This offer's number, for [`crate::Transfers::respond`].
        offer_id: u64,
        /// The offering device.
        sender: DeviceRef,
        /// Number of files.
        files: u64,
        /// Their total size in bytes.
        bytes: u64,
        /// The first names offered (folders end in `/`), control characters escaped.
        names: Vec<String>,
        /// Text or a link, delivered inline.
        text: Option<String>,
    },
    /// An offer was accepted (by the user, or by auto-accept).
    OfferAccepted {
        /// The offer.
        offer_id: u64,
    },
    /// An offer was rejected.
    OfferRejected {
        /// The offer.
        offer_id: u64,
        /// Why.
        reason: String,
    },
    /// Text or a link arrived with an accepted offer.
    TextReceived {
        /// The offer.
        offer_id: u64,
        /// The sending device.
        sender: DeviceRef,
        /// The text.
        text: String,
        /// Whether the text is a single link.
        is_link: bool,
    },
    /// The files of an accepted offer are all in place.
    OfferDone {
        /// The offer.
        offer_id: u64,
        /// Files in place.
        files: u64,
        /// Their total size.
        bytes: u64,
        /// Payload bytes fetched over the network.
        bytes_transferred: u64,
        /// Where they were written.
        out: String,
    },
    /// Receiving an accepted offer failed.
    OfferFailed {
        /// The offer.
        offer_id: u64,
        /// The error.
        message: String,
    },
    /// A device that is not paired tried a private protocol; refused at once.
    StrangerRefused {
        /// Its device id.
        peer: String,
    },
    /// An offer reached the other device; it decides now.
    PushOffered {
        /// The receiving device.
        device: DeviceRef,
    },
    /// A pushed offer was accepted by the other device.
    PushAccepted {
        /// The receiving device.
        device: DeviceRef,
    },
    /// Progress of a push, as the receiving device reports it.
    PushProgress {
        /// The receiving device.
        device: DeviceRef,
        /// Payload bytes in place on the receiver.
        bytes_done: u64,
        /// Payload bytes in total.
        bytes_total: u64,
    },
    /// A push waits in the outbox for its device to come online.
    PushQueued {
        /// The outbox entry.
        outbox_id: i64,
        /// The receiving device.
        device: DeviceRef,
        /// When it gives up, milliseconds since the Unix epoch.
        expires_at_ms: i64,
    },
    /// A queued push reached its device and was received there.
    OutboxDelivered {
        /// The outbox entry.
        outbox_id: i64,
        /// The receiving device.
        device: DeviceRef,
        /// What the device received.
        report: PushSummary,
    },
    /// A queued push ended without delivery: `rejected`, `failed` or `expired`.
    OutboxGaveUp {
        /// The outbox entry.
        outbox_id: i64,
        /// The receiving device.
        device: DeviceRef,
        /// `rejected`, `failed` or `expired`.
        status: String,
        /// Why.
        message: String,
    },
    /// A paired device was probed: online or not, path and round-trip time.
    DeviceStatus {
        /// The device's id.
        id: String,
        /// Its name.
        name: String,
        /// Whether it answered.
        online: bool,
        /// `direct_lan`, `direct_internet`, `relay` or `local`, when online.
        route: Option<String>,
        /// Round-trip time in milliseconds, when online.
        rtt_ms: Option<u64>,
    },
    /// A Ferry device showed up on the local network.
    NearbyFound {
        /// Its device id.
        id: String,
        /// The name it announces.
        name: String,
        /// Whether it is paired with this device.
        paired: bool,
    },
    /// A device on the local network went away.
    NearbyLost {
        /// Its device id.
        id: String,
    },
    /// The subscriber fell behind and missed this many events.
    Lagged {
        /// How many events were dropped for this subscriber.
        missed: u64,
    },
    /// A paired device invited this one to a collection.
    CollectionInvited {
        /// The collection's name.
        name: String,
        /// Who invited.
        sender: DeviceRef,
    },
    /// A file of a collection changed in this device's folder.
    CollectionChanged {
        /// The collection.
        collection: String,
        /// The path in the collection.
        path: String,
        /// `added`, `modified`, `deleted` or `conflict` (a conflict copy
        /// appeared).
        change: String,
        /// `local` (found in the folder) or `remote` (written from a member).
        origin: String,
    },
    /// A sync round with a member finished.
    CollectionSynced {
        /// The collection.
        collection: String,
        /// The member's device id.
        peer: String,
    },
    /// A member came online or went offline for a collection.
    CollectionPeer {
        /// The collection.
        collection: String,
        /// The member.
        device: DeviceRef,
        /// Whether it is online now.
        online: bool,
    },
    /// Content of a collection is being fetched.
    CollectionProgress {
        /// The collection.
        collection: String,
        /// Files fetched in this round.
        files_done: u64,
        /// Files to fetch in this round.
        files_total: u64,
        /// Bytes fetched.
        bytes_done: u64,
        /// Bytes to fetch.
        bytes_total: u64,
    },
    /// A round of fetching collection content ended.
    CollectionFetched {
        /// The collection.
        collection: String,
        /// Files fetched.
        files: u64,
        /// Bytes fetched.
        bytes: u64,
        /// How many files each member served (device ids).
        sources: Vec<FetchSourceInfo>,
    },
    /// An entry of a collection was refused: an unsafe path from a member,
    /// or a local name that cannot be synced.
    CollectionEntryRefused {
        /// The collection.
        collection: String,
        /// Who wrote it (this device for a local name).
        peer: String,
        /// Why.
        reason: String,
    },
}

impl From<Event> for FerryEvent {
    fn from(event: Event) -> Self {
        match event {
            Event::ImportProgress {
                files_done,
                files_total,
                bytes_done,
                bytes_total,
            } => Self::ImportProgress {
                files_done,
                files_total,
                bytes_done,
                bytes_total,
            },
            Event::RequestRefused { peer, hash } => Self::RequestRefused { peer, hash },
            Event::ShareDownloaded { root, peer } => Self::ShareDownloaded { root, peer },
            Event::ReceiveStarted {
                transfer_id,
                offer_id,
                peer,
                root,
            } => Self::ReceiveStarted {
                transfer_id,
                offer_id,
                peer,
                root,
            },
            Event::ReceiveProgress {
                transfer_id,
                offer_id,
                bytes_done,
                bytes_total,
                bytes_transferred,
                files_done,
                files_total,
                path,
            } => Self::ReceiveProgress {
                transfer_id,
                offer_id,
                bytes_done,
                bytes_total,
                bytes_transferred,
                files_done,
                files_total,
                path: path.as_str().to_string(),
            },
            Event::FileReceived {
                transfer_id,
                name,
                path,
            } => Self::FileReceived {
                transfer_id,
                name,
                path,
            },
            Event::NameRejected {
                transfer_id,
                name,
                reason,
            } => Self::NameRejected {
                transfer_id,
                name,
                reason,
            },
            Event::Paired { id, name } => Self::Paired { id, name },
            Event::PairingRefused { peer, reason } => Self::PairingRefused { peer, reason },
            Event::DeviceRemoved { id } => Self::DeviceRemoved { id },
            Event::OfferReceived {
                offer_id,
                from,
                files,
                bytes,
                names,
                text,
                ..
            } => Self::OfferReceived {
                offer_id,
                sender: from.into(),
                files,
                bytes,
                names,
                text,
            },
            Event::OfferAccepted { offer_id } => Self::OfferAccepted { offer_id },
            Event::OfferRejected { offer_id, reason } => Self::OfferRejected { offer_id, reason },
            Event::TextReceived {
                offer_id,
                from,
                text,
                is_link,
            } => Self::TextReceived {
                offer_id,
                sender: from.into(),
                text,
                is_link,
            },
            Event::OfferDone {
                offer_id,
                files,
                bytes,
                bytes_transferred,
                out,
            } => Self::OfferDone {
                offer_id,
                files,
                bytes,
                bytes_transferred,
                out,
            },
            Event::OfferFailed { offer_id, message } => Self::OfferFailed { offer_id, message },
            Event::StrangerRefused { peer } => Self::StrangerRefused { peer },
            Event::PushOffered { to } => Self::PushOffered { device: to.into() },
            Event::PushAccepted { to } => Self::PushAccepted { device: to.into() },
            Event::PushProgress {
                to,
                bytes_done,
                bytes_total,
            } => Self::PushProgress {
                device: to.into(),
                bytes_done,
                bytes_total,
            },
            Event::PushQueued {
                outbox_id,
                to,
                expires_at_ms,
            } => Self::PushQueued {
                outbox_id,
                device: to.into(),
                expires_at_ms,
            },
            Event::OutboxDelivered {
                outbox_id,
                to,
                report,
            } => Self::OutboxDelivered {
                outbox_id,
                device: to.into(),
                report: report.into(),
            },
            Event::OutboxGaveUp {
                outbox_id,
                to,
                status,
                message,
            } => Self::OutboxGaveUp {
                outbox_id,
                device: to.into(),
                status: status.as_str().to_string(),
                message,
            },
            Event::DeviceStatus {
                id,
                name,
                online,
                route,
                rtt_ms,
            } => Self::DeviceStatus {
                id,
                name,
                online,
                route: route.map(|r| r.as_str().to_string()),
                rtt_ms,
            },
            Event::NearbyFound { id, name, paired } => Self::NearbyFound { id, name, paired },
            Event::NearbyLost { id } => Self::NearbyLost { id },
            Event::Lagged { missed } => Self::Lagged { missed },
            Event::CollectionInvited { name, from } => Self::CollectionInvited {
                name,
                sender: from.into(),
            },
            Event::CollectionChanged {
                collection,
                path,
                change,
                origin,
            } => Self::CollectionChanged {
                collection,
                path,
                change: change.as_str().to_string(),
                origin: origin.as_str().to_string(),
            },
            Event::CollectionSynced { collection, peer } => {
                Self::CollectionSynced { collection, peer }
            }
            Event::CollectionPeer {
                collection,
                device,
                online,
            } => Self::CollectionPeer {
                collection,
                device: device.into(),
                online,
            },
            Event::CollectionProgress {
                collection,
                files_done,
                files_total,
                bytes_done,
                bytes_total,
            } => Self::CollectionProgress {
                collection,
                files_done,
                files_total,
                bytes_done,
                bytes_total,
            },
            Event::CollectionFetched {
                collection,
                files,
                bytes,
                sources,
            } => Self::CollectionFetched {
                collection,
                files,
                bytes,
                sources: sources.into_iter().map(Into::into).collect(),
            },
            Event::CollectionEntryRefused {
                collection,
                peer,
                reason,
            } => Self::CollectionEntryRefused {
                collection,
                peer,
                reason,
            },
        }
    }
}

/// Receives the node's events. Called on one of Ferry's threads, one event
/// at a time and in order; return quickly (hand work to your own thread or
/// coroutine).
#[uniffi::export(with_foreign)]
pub trait EventListener: Send + Sync {
    /// One event.
    fn on_event(&self, event: FerryEvent);
}

/// A running subscription. Events stop when it is cancelled or dropped
/// (closed in Kotlin, garbage-collected in Python).
#[derive(Debug, uniffi::Object)]
pub struct EventSubscription {
    task: Mutex<Option<AbortOnDrop>>,
}

#[uniffi::export]
impl EventSubscription {
    /// Stops delivering events; later calls do nothing.
    pub fn cancel(&self) {
        self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

/// Starts delivering `events` to `listener` on Ferry's runtime.
pub(crate) fn deliver(
    mut events: ferry_core::Events,
    listener: Arc<dyn EventListener>,
) -> Arc<EventSubscription> {
    let task = runtime().spawn(async move {
        while let Some(event) = events.recv().await {
            listener.on_event(event.into());
        }
    });
    Arc::new(EventSubscription {
        task: Mutex::new(Some(AbortOnDrop(task.abort_handle()))),
    })
}
