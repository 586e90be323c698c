//! Errors and their stable kinds.
//!
//! Each domain has its own error enum with rich context; every one of them
//! answers [`ErrorKind`] through `kind()`, the small, stable classification
//! that front ends map to exit codes, binding exceptions and UI messages.

use std::path::PathBuf;

/// The stable classification of every error Ferry reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The caller passed something unusable: a malformed ticket, a missing path.
    InvalidInput,
    /// Something that should exist does not.
    NotFound,
    /// The peer could not be reached or the connection broke (a paired
    /// device that does not answer a push is `Offline`).
    Network,
    /// The device did not answer: it is off, or on a network this one
    /// cannot reach. Nothing was sent; trying later (or queueing) may work.
    Offline,
    /// An operation ran out of time.
    Timeout,
    /// The operation was cancelled.
    Cancelled,
    /// The peer or the user declined.
    Rejected,
    /// Local storage failed: disk full, permissions, a data dir in use.
    Storage,
    /// The peer broke the protocol: corrupt data, hostile metadata.
    Protocol,
    /// A bug or an unexpected state inside Ferry.
    Internal,
}

/// An error with its stable kind. Every error Ferry reports implements it,
/// so a front end converts all of them with one generic impl (the API's
/// `RpcError`, the FFI's `FerryError`, the desktop's `CommandError`), and
/// a new error type is ready for every front end once it says its kind.
pub trait HasKind: std::error::Error {
    /// The stable kind of this error.
    fn kind(&self) -> ErrorKind;
}

/// An error that failed to store or load Ferry's own state.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The SQLite database failed.
    #[error("database error: {0}")]
    Database(String),
    /// The database was written by a newer version of Ferry.
    #[error("the database has schema version {found}, newer than this Ferry knows ({known})")]
    TooNew {
        /// The version found on disk.
        found: u32,
        /// The newest version this build knows.
        known: u32,
    },
}

impl crate::HasKind for StoreError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Storage
    }
}

/// An error that kept a node from starting.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Another Ferry process holds the data dir.
    #[error("the data dir {} is in use by another Ferry process", path.display())]
    DataDirInUse {
        /// The data dir.
        path: PathBuf,
    },
    /// The data dir could not be created or read.
    #[error("cannot use the data dir {}: {source}", path.display())]
    DataDir {
        /// The path that failed.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The device key on disk is damaged.
    #[error("the device key {} is damaged: {reason}", path.display())]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The app database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The blob store failed to open or close.
    #[error("blob store error: {0}")]
    BlobStore(String),
    /// The collection sync engine failed to start.
    #[error("cannot start collection sync: {0}")]
    Sync(String),
    /// The network endpoint failed to start.
    #[error("cannot start the network endpoint: {0}")]
    Endpoint(String),
    /// A relay URL that does not parse.
    #[error("invalid relay URL {url:?}: {reason}")]
    BadRelayUrl {
        /// The URL given.
        url: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A discovery server URL that does not parse.
    #[error("invalid discovery server URL {url:?}: {reason}")]
    BadDiscoveryUrl {
        /// The URL given.
        url: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A certificate file to trust that cannot be read.
    #[error("cannot use the certificate file {path}: {reason}")]
    BadTrustCert {
        /// The file given.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl crate::HasKind for NodeError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::BadRelayUrl { .. } | Self::BadDiscoveryUrl { .. } | Self::BadTrustCert { .. } => {
                ErrorKind::InvalidInput
            }
            Self::Endpoint(_) => ErrorKind::Network,
            Self::Store(e) => e.kind(),
            Self::DataDirInUse { .. }
            | Self::DataDir { .. }
            | Self::BadKey { .. }
            | Self::BlobStore(_)
            | Self::Sync(_) => ErrorKind::Storage,
        }
    }
}
