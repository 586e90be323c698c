//! The records and enums the foreign side sees, and their conversions from
//! core's types. Paths cross as strings, hashes and ids as their text form,
//! times as milliseconds since the Unix epoch.

use std::path::PathBuf;

/// How a node starts.
#[derive(Debug, Clone, uniffi::Record)]
pub struct FerryConfig {
    /// The folder holding the device key, the blob store and the database.
    pub data_dir: String,
    /// The name other devices see; none uses the host name.
    #[uniffi(default = None)]
    pub device_name: Option<String>,
    /// `default`, `disabled`, or the URL of a relay server (several
    /// separated by commas).
    #[uniffi(default = "default")]
    pub relay: String,
    /// `default`, `disabled`, or the URL of a discovery server (pkarr)
    /// where this device publishes its addresses and finds paired devices
    /// that moved.
    #[uniffi(default = "default")]
    pub discovery: String,
    /// A PEM certificate file to trust for self-hosted relay and discovery
    /// servers; none trusts the public roots only.
    #[uniffi(default = None)]
    pub trust_cert: Option<String>,
    /// The local socket to bind, as `IP:PORT`; none binds all interfaces.
    #[uniffi(default = None)]
    pub bind_addr: Option<String>,
}

/// Whether offers from paired devices are asked about, accepted from
/// auto-accept devices only, or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AcceptPolicy {
    /// Auto-accept devices are accepted; the others wait for
    /// `FerryNode.respond`.
    Ask,
    /// Only devices with auto-accept on; the rest are rejected.
    Trusted,
    /// Every offer is rejected.
    Never,
}

impl From<AcceptPolicy> for ferry_core::AcceptPolicy {
    fn from(p: AcceptPolicy) -> Self {
        match p {
            AcceptPolicy::Ask => Self::Ask,
            AcceptPolicy::Trusted => Self::Trusted,
            AcceptPolicy::Never => Self::Never,
        }
    }
}

/// One entry of a share: a file, or a folder (its name ends in `/`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct ShareEntry {
    /// The name, relative to the share.
    pub name: String,
    /// Size in bytes (0 for folders).
    pub size: u64,
}

/// A share this node serves.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ShareInfo {
    /// The root hash.
    pub root: String,
    /// Ferry's ticket (what the QR code shows).
    pub ticket: String,
    /// A plain iroh-blobs ticket for the same content (for sendme).
    pub blob_ticket: String,
    /// Number of files.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Every entry, in order.
    pub entries: Vec<ShareEntry>,
}

impl From<ferry_core::Share> for ShareInfo {
    fn from(s: ferry_core::Share) -> Self {
        Self {
            root: s.root.to_string(),
            ticket: s.ticket.to_string(),
            blob_ticket: s.blob_ticket.to_string(),
            files: s.files,
            bytes: s.bytes,
            entries: s
                .entries
                .into_iter()
                .map(|(name, size)| ShareEntry { name, size })
                .collect(),
        }
    }
}

/// One entry a ticket offers.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OfferedEntry {
    /// The name as the sender gave it, control characters escaped.
    pub name: String,
    /// Size in bytes, verified (0 for folders).
    pub size: u64,
    /// Whether it is a folder.
    pub is_dir: bool,
    /// Why the name will not be written, if it will not.
    pub rejected: Option<String>,
}

/// What a ticket offers, read before anything is downloaded.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OfferInfo {
    /// The sender's device id.
    pub sender: String,
    /// The root hash.
    pub root: String,
    /// Number of files.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Text or a link sent with the files.
    pub text: Option<String>,
    /// How the connection runs.
    pub path: ferry_core::PathKind,
    /// Every entry.
    pub entries: Vec<OfferedEntry>,
}

impl From<&ferry_core::Offer> for OfferInfo {
    fn from(o: &ferry_core::Offer) -> Self {
        Self {
            sender: o.sender.to_string(),
            root: o.root.to_string(),
            files: o.files,
            bytes: o.bytes,
            text: o.text.clone(),
            path: o.path,
            entries: o
                .entries
                .iter()
                .map(|e| OfferedEntry {
                    name: e.name.clone(),
                    size: e.size,
                    is_dir: e.is_dir,
                    rejected: e.rejected.clone(),
                })
                .collect(),
        }
    }
}

/// A name the receiver refused to write, and why.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RejectedName {
    /// The name, escaped.
    pub name: String,
    /// Why it was refused.
    pub reason: String,
}

/// How a download ended.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ReceiveSummary {
    /// The history row of the transfer.
    pub transfer_id: i64,
    /// Files in place.
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
    /// Bytes fetched over the network in this run.
    pub bytes_transferred: u64,
    /// How long it took, in milliseconds.
    pub elapsed_ms: u64,
    /// `direct`, `relay` or `local`.
    pub path: String,
    /// Names that were refused.
    pub rejected: Vec<RejectedName>,
    /// Text that came with the files.
    pub text: Option<String>,
    /// Every file written, with its full path.
    pub written: Vec<String>,
}

impl From<ferry_core::ReceiveReport> for ReceiveSummary {
    fn from(r: ferry_core::ReceiveReport) -> Self {
        Self {
            transfer_id: r.transfer_id,
            files: r.files,
            bytes: r.bytes,
            bytes_transferred: r.bytes_transferred,
            elapsed_ms: u64::try_from(r.elapsed.as_millis()).unwrap_or(u64::MAX),
            path: r.path.as_str().to_string(),
            rejected: r
                .rejected
                .into_iter()
                .map(|(name, reason)| RejectedName { name, reason })
                .collect(),
            text: r.text,
            written: r.written.iter().map(|p| path_text(p)).collect(),
        }
    }
}

/// A paired device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceInfo {
    /// Its device id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Whether its pushes are accepted without asking.
    pub auto_accept: bool,
    /// When it was paired.
    pub paired_at_ms: i64,
    /// Its last known direct addresses.
    pub addrs: Vec<String>,
}

impl From<ferry_core::Device> for DeviceInfo {
    fn from(d: ferry_core::Device) -> Self {
        Self {
            id: d.id,
            name: d.name,
            auto_accept: d.auto_accept,
            paired_at_ms: d.paired_at_ms,
            addrs: d.addrs.iter().map(ToString::to_string).collect(),
        }
    }
}

/// Whether a paired device answers, and how.
#[derive(Debug, Clone, uniffi::Record)]
pub struct DeviceHealth {
    /// The device.
    pub device: DeviceInfo,
    /// Whether it answered.
    pub online: bool,
    /// How it is reached, when online.
    pub route: Option<ferry_core::Route>,
    /// Round-trip time in milliseconds, when online.
    pub rtt_ms: Option<u64>,
}

impl From<ferry_core::Health> for DeviceHealth {
    fn from(h: ferry_core::Health) -> Self {
        Self {
            device: h.device.into(),
            online: h.online,
            route: h.route,
            rtt_ms: h.rtt_ms,
        }
    }
}

/// A Ferry device seen on the local network.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NearbyInfo {
    /// Its device id.
    pub id: String,
    /// The name it announces.
    pub name: String,
    /// Its addresses on this network.
    pub addrs: Vec<String>,
    /// Whether it is paired with this device.
    pub paired: bool,
}

impl From<ferry_core::NearbyDevice> for NearbyInfo {
    fn from(n: ferry_core::NearbyDevice) -> Self {
        Self {
            id: n.id,
            name: n.name,
            addrs: n.addrs.iter().map(ToString::to_string).collect(),
            paired: n.paired,
        }
    }
}

/// Which way a transfer went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TransferDirection {
    /// This device sent.
    Send,
    /// This device received.
    Receive,
}

/// Where a transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TransferState {
    /// Still going (or the process died during it).
    Running,
    /// Finished; everything is in place.
    Complete,
    /// Failed or cancelled; `error` says why.
    Failed,
}

/// One row of the transfer history.
#[derive(Debug, Clone, uniffi::Record)]
pub struct TransferInfo {
    /// The row id (events name it `transfer_id`).
    pub id: i64,
    /// Which way.
    pub direction: TransferDirection,
    /// The other device's id.
    pub peer: String,
    /// The root hash.
    pub root_hash: String,
    /// A short description of the content.
    pub label: String,
    /// Number of files.
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
    /// Bytes that crossed the network.
    pub bytes_transferred: u64,
    /// Where it stands.
    pub state: TransferState,
    /// Why it failed, if it did.
    pub error: String,
    /// `direct`, `relay` or `local`.
    pub path: String,
    /// Where the files went (receives) or came from.
    pub location: String,
    /// When it started.
    pub started_at_ms: i64,
    /// When it ended.
    pub finished_at_ms: Option<i64>,
}

impl From<ferry_core::TransferRecord> for TransferInfo {
    fn from(t: ferry_core::TransferRecord) -> Self {
        Self {
            id: t.id,
            direction: match t.direction {
                ferry_core::Direction::Send => TransferDirection::Send,
                ferry_core::Direction::Receive => TransferDirection::Receive,
            },
            peer: t.peer,
            root_hash: t.root_hash,
            label: t.label,
            files: t.files,
            bytes: t.bytes,
            bytes_transferred: t.bytes_transferred,
            state: match t.status {
                ferry_core::TransferStatus::Running => TransferState::Running,
                ferry_core::TransferStatus::Complete => TransferState::Complete,
                ferry_core::TransferStatus::Failed => TransferState::Failed,
            },
            error: t.error,
            path: t.path_kind,
            location: t.location,
            started_at_ms: t.started_at_ms,
            finished_at_ms: t.finished_at_ms,
        }
    }
}

/// A path as text for the foreign side.
pub(crate) fn path_text(p: &std::path::Path) -> String {
    p.display().to_string()
}

/// Paths from the foreign side.
pub(crate) fn paths(list: Vec<String>) -> Vec<PathBuf> {
    list.into_iter().map(PathBuf::from).collect()
}
