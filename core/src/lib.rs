//! Ferry's core: every behaviour of the app, behind one [`Node`] handle.
//!
//! A node owns one iroh endpoint, one iroh-blobs store and one SQLite
//! database in its data dir. Front ends (the CLI, bindings, the desktop
//! app) only convert types and map errors.
//!
//! - [`Node::shares`]: turn files, folders and text into a ticket and serve it.
//! - [`Node::transfers`]: fetch what a ticket offers, safely and resumably.
//! - [`Node::devices`]: pair with a device by QR code; the trusted devices.
//! - [`Node::push`]: offer files, folders, text or a link to a paired device.
//! - [`Node::collections`]: folders kept the same on several paired devices.
//! - [`Node::events`]: the one typed event stream.
//! - [`api`] (feature `api`): the local JSON-RPC server and its client.
//!
//! No `unsafe` here: the workspace forbids it. The one exception is the
//! `uniffi` feature, whose derives generate the FFI glue for the event
//! types (hand-written `unsafe` still fails every build without it).

#![cfg_attr(not(feature = "uniffi"), forbid(unsafe_code))]
#![cfg_attr(feature = "uniffi", allow(unsafe_code))]

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("ferry_core");

#[cfg(feature = "api")]
pub mod api;
pub mod collections;
mod config;
mod data_dir;
pub mod doctor;
mod error;
mod events;
#[cfg(feature = "fuzzing")]
pub mod fuzz;
pub mod health;
mod names;
mod nearby;
mod net;
mod node;
pub mod pairing;
pub mod push;
#[cfg(feature = "qr-image")]
pub mod qr;
pub mod safe_path;
mod services;
mod shares;
mod store;
pub mod time;
pub mod transfer;

pub use collections::{
    CollectionError, CollectionInfo, CollectionStatus, Collections, FileInfo, Invite, KeepPolicy,
    MAX_KEEP_DAYS, MemberStatus, VersionInfo,
};
pub use config::{
    DiscoveryChoice, NodeConfig, RelayChoice, SettingError, check_device_name, check_discovery_url,
    check_relay_url, check_trust_cert,
};
pub use doctor::{DiscoveryCheck, NatKind, NetworkReport, RelayCheck, Verdict, VerdictLevel};
pub use error::{ErrorKind, HasKind, NodeError, StoreError};
pub use events::{ChangeOrigin, DeviceRef, Event, Events, FetchSource, FileChange, PathKind};
pub use health::{Health, Route};
pub use nearby::NearbyDevice;
pub use net::ticket::{
    AnyTicket, PairTicket, ShareTicket, TicketError, TicketKind, is_link, link_payload, ticket_kind,
};
pub use node::Node;
pub use pairing::{DeviceError, Devices, PairError, Refusal};
pub use push::{
    AcceptPolicy, InboxRule, OfferPhase, PendingOffer, PushError, PushOutcome, PushReport,
    PushRequest,
};
pub use services::Services;
pub use shares::{Share, ShareError, ShareRequest, Shares};
pub use store::{Device, Direction, OutboxEntry, OutboxStatus, TransferRecord, TransferStatus};
pub use transfer::{Offer, OfferEntry, ReceiveError, ReceiveReport, Transfers};

/// Re-exported so front ends can name hashes and ids without depending on iroh.
pub use iroh::EndpointId;
pub use iroh_blobs::Hash;
