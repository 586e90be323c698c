//! The one error every command returns: `{kind, message}`, where `kind` is
//! core's stable classification (`not_found`, `network`, …) for the UI to
//! branch on, and `message` is what to show.

use ferry_core::ErrorKind;
use serde::Serialize;

/// An error as the UI receives it.
#[derive(Debug, Clone, Serialize, specta::Type, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    /// `invalid_input`, `not_found`, `network`, `timeout`, `cancelled`,
    /// `rejected`, `storage`, `protocol` or `internal`.
    pub kind: String,
    /// What went wrong, in words for the user.
    pub message: String,
}

impl CommandError {
    pub fn new(kind: ErrorKind, message: impl ToString) -> Self {
        let kind = serde_json::to_value(kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "internal".to_string());
        Self {
            kind,
            message: message.to_string(),
        }
    }

    /// The app's node is not running (it failed to start, or is stopping).
    pub fn not_running(why: &str) -> Self {
        Self::new(ErrorKind::Storage, format!("Ferry is not running: {why}"))
    }
}

/// Every core error converts by its kind.
impl<E: ferry_core::HasKind> From<E> for CommandError {
    fn from(e: E) -> Self {
        Self::new(e.kind(), &e)
    }
}

/// What every command returns.
pub type CommandResult<T> = Result<T, CommandError>;
