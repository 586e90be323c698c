//! Push: offering files, folders, text or a link to a paired device.
//!
//! The pushing device imports the content as a share served only to the
//! receiving device, dials it on `ferry/offer/1` and sends an offer: names,
//! count, total size, and any text inline. The receiver refuses a device
//! that is not paired before reading anything. Otherwise it decides (its
//! inbox policy, the device's auto-accept switch, or the user), answers,
//! and on acceptance fetches the files from the pusher with the same
//! verified, resumable download as a ticket, reporting progress back on
//! the offer stream until done.
//!
//! Frames on the stream are a 4-byte big-endian length and a postcard
//! message.

use std::{
    collections::{BTreeMap, HashMap},
    net::SocketAddr,
    path::PathBuf,
    sync::{
        Mutex, Weak,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use iroh::{
    EndpointAddr, EndpointId, RelayUrl,
    endpoint::{Connection, SendStream},
    protocol::{AcceptError, ProtocolHandler},
};
use iroh_blobs::Hash;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::{
    error::ErrorKind,
    events::{DeviceRef, Event},
    net::{
        self, frame,
        ticket::{AnyTicket, ShareTicket},
    },
    node::{Inner, Node},
    pairing::DeviceError,
    shares::{ShareError, ShareRequest},
    store::Device,
    transfer::ReceiveError,
};

/// The offer protocol's ALPN.
pub const ALPN: &[u8] = b"ferry/offer/1";

mod inbox;
mod outbox;
mod send;
mod wire;

pub(crate) use inbox::{Inbox, OfferProtocol};
pub use inbox::{InboxRule, OfferPhase, PendingOffer};
#[cfg(feature = "fuzzing")]
pub(crate) use inbox::{fuzz_offer, fuzz_seed_frames};
pub use outbox::{PushOutcome, QUEUE_FOR};
use wire::{MAX_NAMES, MAX_TEXT, OfferMsg, Reply};

/// How a node answers offers from paired devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AcceptPolicy {
    /// Accept at once from devices with auto-accept on; ask about the rest
    /// (see [`crate::Transfers::respond`]).
    Ask,
    /// Accept from devices with auto-accept on; reject the rest.
    Trusted,
    /// Reject every offer. The default while no front end listens.
    #[default]
    Never,
}
/// An error pushing to a device.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The device is not paired (or the name is wrong).
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The content could not be read.
    #[error(transparent)]
    Share(#[from] ShareError),
    /// The device could not be reached.
    #[error("{0}")]
    Offline(String),
    /// A push was to be queued for no time at all.
    #[error("a queued push must wait at least 1 second")]
    NoTimeToWait,
    /// The device does not trust this one.
    #[error("{0} does not trust this device (not paired, or removed); pair again")]
    NotTrusted(String),
    /// The device said no.
    #[error("{device} rejected the offer: {reason}")]
    Rejected {
        /// The device's name.
        device: String,
        /// What it said.
        reason: String,
    },
    /// The device accepted but receiving failed there.
    #[error("{device} could not receive it: {message}")]
    Failed {
        /// The device's name.
        device: String,
        /// Its error.
        message: String,
    },
    /// The connection broke or the other side broke the protocol.
    #[error("the connection to {device} failed: {message}")]
    Network {
        /// The device's name.
        device: String,
        /// What happened.
        message: String,
    },
}

impl crate::HasKind for PushError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Device(e) => e.kind(),
            Self::Share(e) => e.kind(),
            Self::Offline(_) => ErrorKind::Offline,
            Self::Network { .. } => ErrorKind::Network,
            Self::NoTimeToWait => ErrorKind::InvalidInput,
            Self::NotTrusted(_) | Self::Rejected { .. } => ErrorKind::Rejected,
            Self::Failed { .. } => ErrorKind::Storage,
        }
    }
}

/// How a push ended (kept with the events that carry it).
pub use crate::events::PushReport;

/// What to push.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushRequest {
    /// Files and folders; each arrives under its own last component.
    pub paths: Vec<PathBuf>,
    /// Text or a link, delivered inline.
    pub text: Option<String>,
}
