//! The node's one typed event stream.
//!
//! Events go out on a bounded broadcast channel. A subscriber that falls
//! behind is told how many events it missed ([`Event::Lagged`]) instead of
//! losing them silently.

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// Whether a connection runs over a direct path, through a relay, or stays
/// on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum PathKind {
    /// A direct UDP path to another machine (LAN or hole-punched).
    Direct,
    /// Traffic goes through a relay server.
    Relay,
    /// Both ends are on this machine (loopback).
    Local,
}

/// What happened to a file of a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum FileChange {
    /// A new file.
    Added,
    /// New content for a file that was there.
    Modified,
    /// The file is gone.
    Deleted,
    /// A conflict copy appeared (two members wrote the same file).
    Conflict,
}

impl FileChange {
    /// The lower-case name: `added`, `modified`, `deleted`, `conflict`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Modified => "modified",
            Self::Deleted => "deleted",
            Self::Conflict => "conflict",
        }
    }
}

/// Where a change to a collection's file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum ChangeOrigin {
    /// Found in this device's folder.
    Local,
    /// Written here from a member's version.
    Remote,
}

impl ChangeOrigin {
    /// The lower-case name: `local` or `remote`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Remote => "remote",
        }
    }
}

impl PathKind {
    /// The lower-case name: `direct`, `relay` or `local`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Relay => "relay",
            Self::Local => "local",
        }
    }
}

/// How a push ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PushReport {
    /// Files now in place on the receiver.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub files: u64,
    /// Their total size.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub bytes: u64,
    /// Payload bytes that crossed the network.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub bytes_transferred: u64,
}

/// One member's share of a fetch round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FetchSource {
    /// The member's device id.
    pub device: String,
    /// Files it served.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub files: u64,
}

/// Something that happened in the node.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Files are being read and hashed for a share.
    ImportProgress {
        /// Files hashed so far.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        files_done: u64,
        /// Files to hash.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        files_total: u64,
        /// Bytes hashed so far.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        bytes_done: u64,
        /// Bytes to hash.
        #[cfg_attr(feature = "specta", specta(type = f64))]
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
        #[cfg_attr(feature = "specta", specta(type = f64))]
        transfer_id: i64,
        /// The inbox offer it receives, when it is one (a push accepted).
        #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
        offer_id: Option<u64>,
        /// The sender's device id.
        peer: String,
        /// The root hash of the content.
        root: String,
    },
    /// Progress of a download.
    ReceiveProgress {
        /// The history row of the transfer.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        transfer_id: i64,
        /// The inbox offer it receives, when it is one.
        #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
        offer_id: Option<u64>,
        /// Payload bytes present so far (verified, including resumed ones).
        #[cfg_attr(feature = "specta", specta(type = f64))]
        bytes_done: u64,
        /// Payload bytes in total.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        bytes_total: u64,
        /// Payload bytes fetched over the network in this run.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        bytes_transferred: u64,
        /// Files completed so far.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        files_done: u64,
        /// Files in total.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        files_total: u64,
        /// How the connection runs.
        path: PathKind,
    },
    /// A file arrived, was verified and is in place.
    FileReceived {
        /// The history row of the transfer.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        transfer_id: i64,
        /// The name the peer gave.
        name: String,
        /// Where it was written.
        path: String,
    },
    /// A name from the peer was refused; that entry is skipped.
    NameRejected {
        /// The history row of the transfer.
        #[cfg_attr(feature = "specta", specta(type = f64))]
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
        #[cfg_attr(feature = "specta", specta(type = f64))]
        offer_id: u64,
        /// The offering device.
        from: DeviceRef,
        /// Number of files.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        files: u64,
        /// Their total size in bytes.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        bytes: u64,
        /// The first names offered (folders end in `/`), control characters escaped.
        names: Vec<String>,
        /// Text or a link, delivered inline.
        text: Option<String>,
        /// Whether `text` is one web link ([`crate::is_link`]).
        is_link: bool,
    },
    /// An offer was accepted (by the user, or by auto-accept).
    OfferAccepted {
        /// The offer.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        offer_id: u64,
    },
    /// An offer was rejected.
    OfferRejected {
        /// The offer.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        offer_id: u64,
        /// Why.
        reason: String,
    },
    /// Text or a link arrived with an accepted offer.
    TextReceived {
        /// The offer.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        offer_id: u64,
        /// The sending device.
        from: DeviceRef,
        /// The text.
        text: String,
        /// Whether the text is a single link.
        is_link: bool,
    },
    /// The files of an accepted offer are all in place.
    OfferDone {
        /// The offer.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        offer_id: u64,
        /// Files in place.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        files: u64,
        /// Their total size.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        bytes: u64,
        /// Payload bytes fetched over the network.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        bytes_transferred: u64,
        /// Where they were written.
        out: String,
    },
    /// Receiving an accepted offer failed.
    OfferFailed {
        /// The offer.
        #[cfg_attr(feature = "specta", specta(type = f64))]
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
        to: DeviceRef,
    },
    /// A pushed offer was accepted by the other device.
    PushAccepted {
        /// The receiving device.
        to: DeviceRef,
    },
    /// Progress of a push, as the receiving device reports it.
    PushProgress {
        /// The receiving device.
        to: DeviceRef,
        /// Payload bytes in place on the receiver.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        bytes_done: u64,
        /// Payload bytes in total.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        bytes_total: u64,
    },
    /// A push waits in the outbox for its device to come online.
    PushQueued {
        /// The outbox entry.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        outbox_id: i64,
        /// The receiving device.
        to: DeviceRef,
        /// When it gives up, milliseconds since the Unix epoch.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        expires_at_ms: i64,
    },
    /// A queued push reached its device and was received there.
    OutboxDelivered {
        /// The outbox entry.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        outbox_id: i64,
        /// The receiving device.
        to: DeviceRef,
        /// What the device received.
        report: PushReport,
    },
    /// A queued push ended without delivery: `rejected`, `failed` or `expired`.
    OutboxGaveUp {
        /// The outbox entry.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        outbox_id: i64,
        /// The receiving device.
        to: DeviceRef,
        /// `rejected`, `failed` or `expired`.
        status: crate::store::OutboxStatus,
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
        /// The path in use, when online.
        route: Option<crate::health::Route>,
        /// Round-trip time in milliseconds, when online.
        #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
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
        #[cfg_attr(feature = "specta", specta(type = f64))]
        missed: u64,
    },
    /// A paired device invited this one to a collection.
    CollectionInvited {
        /// The collection's name.
        name: String,
        /// Who invited.
        from: DeviceRef,
    },
    /// A file of a collection changed in this device's folder.
    CollectionChanged {
        /// The collection.
        collection: String,
        /// The path in the collection.
        path: String,
        /// What happened to it.
        change: FileChange,
        /// Where the change came from.
        origin: ChangeOrigin,
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
        #[cfg_attr(feature = "specta", specta(type = f64))]
        files_done: u64,
        /// Files to fetch in this round.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        files_total: u64,
        /// Bytes fetched.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        bytes_done: u64,
        /// Bytes to fetch.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        bytes_total: u64,
    },
    /// A round of fetching collection content ended.
    CollectionFetched {
        /// The collection.
        collection: String,
        /// Files fetched.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        files: u64,
        /// Bytes fetched.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        bytes: u64,
        /// How many files each member served (device ids).
        sources: Vec<FetchSource>,
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
    /// A device asked to sync a collection it is not a member of here (a
    /// removed member, a device that left, or one that guessed an id); it
    /// was refused before a single entry was sent or taken.
    CollectionSyncRefused {
        /// The device's id.
        peer: String,
    },
}

/// A device as events name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DeviceRef {
    /// Its device id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// The number of events a subscriber may fall behind before it lags.
const CAPACITY: usize = 1024;

/// The sending side of the event stream, owned by the node.
#[derive(Debug, Clone)]
pub(crate) struct EventBus {
    tx: broadcast::Sender<Event>,
}

impl EventBus {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(CAPACITY);
        Self { tx }
    }

    /// Sends an event to every current subscriber; nobody listening is fine.
    pub fn emit(&self, event: Event) {
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> Events {
        Events {
            rx: self.tx.subscribe(),
        }
    }
}

/// A subscription to the node's events.
#[derive(Debug)]
pub struct Events {
    rx: broadcast::Receiver<Event>,
}

impl Events {
    /// Waits for the next event; `None` once the node has shut down.
    pub async fn recv(&mut self) -> Option<Event> {
        match self.rx.recv().await {
            Ok(event) => Some(event),
            Err(broadcast::error::RecvError::Lagged(missed)) => Some(Event::Lagged { missed }),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }

    /// The next event if one is already waiting; never waits.
    pub fn try_recv(&mut self) -> Option<Event> {
        match self.rx.try_recv() {
            Ok(event) => Some(event),
            Err(broadcast::error::TryRecvError::Lagged(missed)) => Some(Event::Lagged { missed }),
            Err(_) => None,
        }
    }
}
