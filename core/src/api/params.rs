//! The parameter and result types of the API's methods, as `rpc.discover`
//! describes them.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ops::OperationInfo;
use crate::{AcceptPolicy, DeviceRef, OutboxEntry};

/// No parameters.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// Always `true`: the call did what it says.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Done(bool);

pub(crate) const DONE: Done = Done(true);

/// This node.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct NodeInfo {
    /// The device id (the endpoint's public key), as other devices see it.
    pub id: String,
    /// The name other devices see.
    pub name: String,
    /// Where this node keeps its key, store and history.
    pub data_dir: PathBuf,
    /// The direct addresses this node is reachable on.
    pub addrs: Vec<String>,
    /// The relay servers this node uses, if any.
    pub relays: Vec<String>,
    /// Where it publishes its addresses and finds paired devices that
    /// moved: `off`, `public`, or the URL of a discovery server.
    pub discovery: String,
    /// The Ferry version.
    pub version: String,
    /// The API's HTTP address, when it serves HTTP.
    pub api_http: Option<String>,
    /// The API's Unix socket, when it serves one.
    pub api_socket: Option<PathBuf>,
    /// Whether this node looks for (and announces itself to) devices on
    /// the local network; off for a node bound to loopback.
    pub lan_discovery: bool,
}

/// How offers are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Accept {
    /// Offers wait for `transfers.accept` or `transfers.reject`.
    Ask,
    /// Offers from devices with auto-accept on are accepted; others rejected.
    Trusted,
    /// Every offer is rejected.
    Never,
}

impl From<AcceptPolicy> for Accept {
    fn from(p: AcceptPolicy) -> Self {
        match p {
            AcceptPolicy::Ask => Self::Ask,
            AcceptPolicy::Trusted => Self::Trusted,
            AcceptPolicy::Never => Self::Never,
        }
    }
}

impl From<Accept> for AcceptPolicy {
    fn from(p: Accept) -> Self {
        match p {
            Accept::Ask => Self::Ask,
            Accept::Trusted => Self::Trusted,
            Accept::Never => Self::Never,
        }
    }
}

/// The inbox settings.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct InboxSettings {
    /// How offers from paired devices are answered.
    pub accept: Accept,
    /// Where accepted files go.
    pub download_dir: Option<PathBuf>,
}

/// New inbox settings; what is left out stays.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetSettings {
    /// How offers from paired devices are answered.
    #[serde(default)]
    pub accept: Option<Accept>,
    /// Where accepted files go: an absolute path to an existing folder.
    #[serde(default)]
    pub download_dir: Option<PathBuf>,
}

/// What to share.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShare {
    /// Files and folders, as absolute paths.
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    /// A text or a link to share with them (or alone).
    #[serde(default)]
    pub text: Option<String>,
    /// Serve it only while this event stream stays open (the id in the
    /// `Ferry-Stream` header of `GET /events`): when its reader goes away,
    /// even killed, the share stops.
    #[serde(default)]
    pub stream: Option<u64>,
}

/// A share being served.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ShareInfo {
    /// The ticket to give the receiver (as text or a QR code).
    pub ticket: String,
    /// The same content as a plain `blob…` ticket, for other iroh-blobs tools.
    pub blob_ticket: String,
    /// The content's root hash; `shares.stop` takes it.
    pub root: String,
    /// How many files.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Each file's name (a relative path) and size.
    pub entries: Vec<crate::OfferEntry>,
}

/// A share to stop.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StopShare {
    /// The share's root hash, from `shares.create`.
    pub root: String,
    /// The event stream the share was made for, if it was. Without it the
    /// share stops all the same, and a stream that held it lets go.
    #[serde(default)]
    pub stream: Option<u64>,
}

/// A ticket.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketParam {
    /// The ticket text (any case; a `ferry://` link works too).
    pub ticket: String,
}

/// What a ticket's sender offers.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct OfferInfo {
    /// The sender's device id.
    pub sender: String,
    /// The content's root hash.
    pub root: String,
    /// How many files.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// The files, and empty folders.
    pub entries: Vec<crate::OfferEntry>,
    /// The text that comes with them, if any.
    pub text: Option<String>,
    /// How the connection to the sender runs.
    pub path: crate::PathKind,
}

/// A share to receive.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveShare {
    /// The ticket text.
    pub ticket: String,
    /// The folder to write into: an absolute path (default: the download folder).
    #[serde(default)]
    pub out: Option<PathBuf>,
}

/// What a finished receive did (the result of its `operation_finished`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReceiveResult {
    /// The transfer's id in the history.
    pub transfer_id: i64,
    /// Files received.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Bytes that crossed the network (less when resumed or already held).
    pub bytes_transferred: u64,
    /// The files written, as absolute paths.
    pub written: Vec<PathBuf>,
    /// The text that came with them, if any.
    pub text: Option<String>,
    /// Names refused as unsafe, with the reason.
    pub rejected: Vec<(String, String)>,
    /// How long it took, in milliseconds.
    pub elapsed_ms: u64,
    /// How the connection to the sender ran.
    pub path: crate::PathKind,
}

/// How long a pairing ticket is valid.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartPairing {
    /// Seconds (default 600, at most 3600).
    #[serde(default)]
    pub valid_for_secs: Option<u64>,
}

/// A pairing ticket being shown.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PairingTicket {
    /// The ticket, for `pairing.join` or `ferry pair` on the other device.
    pub ticket: String,
    /// When it expires, in seconds since the Unix epoch.
    pub expires_at: u64,
}

/// A paired device: its name, or the start of its name or id.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceParam {
    /// The device's name, or the start of its name or id.
    pub device: String,
}

/// A device and its new name.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameDevice {
    /// The device's name, or the start of its name or id.
    pub device: String,
    /// The new name.
    pub name: String,
}

/// A device and whether its offers are accepted without asking.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAutoAccept {
    /// The device's name, or the start of its name or id.
    pub device: String,
    /// On or off.
    pub on: bool,
}

/// What to push, and to whom.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Push {
    /// The paired device's name, or the start of its name or id.
    pub device: String,
    /// Files and folders, as absolute paths.
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    /// A text or a link to send with them (or alone).
    #[serde(default)]
    pub text: Option<String>,
    /// If the device is offline, queue the push for this many seconds
    /// instead of failing.
    #[serde(default)]
    pub queue_for_secs: Option<u64>,
}

/// A push that started.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PushStarted {
    /// The operation's id, as in `Started`.
    pub operation: u64,
    /// The device it goes to: its `push_*` events name it.
    pub device: DeviceRef,
}

/// A push left in the outbox for a device that is offline.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct QueuedPush {
    /// The outbox entry.
    pub queued: OutboxEntry,
    /// Why it could not go now.
    pub reason: String,
}

/// How a push operation ended (the result of its `operation_finished`):
/// delivered, or left in the outbox.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PushResult {
    /// The device was offline: the push waits in the outbox.
    Queued(QueuedPush),
    /// The device received it.
    Delivered(crate::PushReport),
}

/// An incoming offer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferParam {
    /// The offer's id, from its `offer_received` event or `transfers.list`.
    pub offer_id: u64,
}

/// An offer to accept, and where its files go.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptOffer {
    /// The offer's id, from its `offer_received` event or `transfers.list`.
    pub offer_id: u64,
    /// The folder its files go into, as an absolute path (made if missing;
    /// default: the download folder).
    #[serde(default)]
    pub out: Option<PathBuf>,
}

/// An operation this API started.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OperationParam {
    /// The id `transfers.push` or `shares.receive` returned.
    pub operation: u64,
}

/// How much history.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// The most records to return (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// What is going on now.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Activity {
    /// Offers from paired devices, waiting or being received.
    pub offers: Vec<crate::PendingOffer>,
    /// Operations this API started that still run.
    pub operations: Vec<OperationInfo>,
}

/// A collection.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectionParam {
    /// The collection's name.
    pub name: String,
}

/// A collection and an optional folder to mirror it to.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCollection {
    /// The collection's name.
    pub name: String,
    /// The folder to mirror it to, as an absolute path.
    #[serde(default)]
    pub dir: Option<PathBuf>,
}

/// A collection and a device.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteDevice {
    /// The collection's name.
    pub name: String,
    /// The paired device's name, or the start of its name or id.
    pub device: String,
}

/// A file in a collection.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectionPath {
    /// The collection's name.
    pub name: String,
    /// The file's path inside the collection.
    pub path: String,
}

/// How much old content a collection keeps on this device.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetKeep {
    /// The collection's name.
    pub name: String,
    /// The new policy.
    pub keep: crate::KeepPolicy,
}

/// A version of a file to bring back.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreVersion {
    /// The collection's name.
    pub name: String,
    /// The file's path inside the collection.
    pub path: String,
    /// The version number `collections.history` gives.
    pub version: usize,
}

/// A path to keep on this device, or not.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PinPath {
    /// The collection's name.
    pub name: String,
    /// A file or folder path inside the collection.
    pub path: String,
    /// Keep it (true) or stop keeping it (false).
    pub on: bool,
}

/// A file to write out.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchFile {
    /// The collection's name.
    pub name: String,
    /// The file's path inside the collection.
    pub path: String,
    /// Where to write it, as an absolute path.
    pub out: PathBuf,
}
