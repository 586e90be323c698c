//! One flat error for every call, keyed by core's stable [`ErrorKind`].
//!
//! Kotlin sees `FerryException.NotFound` and its siblings, Python
//! `FerryError.NotFound`, Swift `FerryError.NotFound`; each carries the
//! core error's message.

use ferry_core::ErrorKind;

/// An error from any Ferry call; the variant is its stable kind.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum FerryError {
    /// The caller passed something unusable: a malformed ticket, a missing path.
    #[error("{0}")]
    InvalidInput(String),
    /// Something that should exist does not.
    #[error("{0}")]
    NotFound(String),
    /// The peer could not be reached or the connection broke.
    #[error("{0}")]
    Network(String),
    /// The paired device did not answer: it is off or out of reach, and
    /// nothing was sent (queueing the push may deliver it later).
    #[error("{0}")]
    Offline(String),
    /// An operation ran out of time.
    #[error("{0}")]
    Timeout(String),
    /// The operation was cancelled.
    #[error("{0}")]
    Cancelled(String),
    /// The peer or the user declined.
    #[error("{0}")]
    Rejected(String),
    /// Local storage failed: disk full, permissions, a data dir in use.
    #[error("{0}")]
    Storage(String),
    /// The peer broke the protocol: corrupt data, hostile metadata.
    #[error("{0}")]
    Protocol(String),
    /// A bug or an unexpected state inside Ferry.
    #[error("{0}")]
    Internal(String),
}

impl FerryError {
    /// The error of `kind` with `message`.
    pub fn of(kind: ErrorKind, message: impl ToString) -> Self {
        let message = message.to_string();
        match kind {
            ErrorKind::InvalidInput => Self::InvalidInput(message),
            ErrorKind::NotFound => Self::NotFound(message),
            ErrorKind::Network => Self::Network(message),
            ErrorKind::Timeout => Self::Timeout(message),
            ErrorKind::Cancelled => Self::Cancelled(message),
            ErrorKind::Rejected => Self::Rejected(message),
            ErrorKind::Storage => Self::Storage(message),
            ErrorKind::Protocol => Self::Protocol(message),
            ErrorKind::Internal => Self::Internal(message),
            ErrorKind::Offline => Self::Offline(message),
        }
    }
}

/// Every core error converts by its kind.
impl<E: ferry_core::HasKind> From<E> for FerryError {
    fn from(e: E) -> Self {
        Self::of(e.kind(), &e)
    }
}
