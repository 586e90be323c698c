//! The node's events as the UI receives them: core's own `Event` (its
//! TypeScript type is derived from it), emitted for the events a screen
//! shows.

use ferry_core::Event;
use serde::Serialize;
use specta::Type;

/// Something that happened in the node: core's event, as it is.
#[derive(Debug, Clone, Serialize, Type, tauri_specta::Event)]
#[serde(transparent)]
pub struct NodeEvent(pub Event);

/// Something the desktop shell asks of the window.
#[derive(Debug, Clone, Serialize, Type, tauri_specta::Event)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ShellEvent {
    /// Show a screen (from the tray menu); `action` is `choose_files` or
    /// `pair` when the screen should start one.
    Navigate {
        screen: String,
        action: Option<String>,
    },
    /// `ferry://` links arrived; fetch them with `take_links`.
    LinksWaiting,
}

impl NodeEvent {
    /// The event for the window; `None` for events no screen shows (hashing
    /// and collection sync progress, pairing refusals, …), which would only
    /// cost the window its time.
    pub fn from_core(event: Event) -> Option<Self> {
        let shown = match &event {
            Event::OfferReceived { .. }
            | Event::OfferAccepted { .. }
            | Event::OfferRejected { .. }
            | Event::TextReceived { .. }
            | Event::OfferDone { .. }
            | Event::OfferFailed { .. }
            | Event::ReceiveStarted { .. }
            | Event::ReceiveProgress { .. }
            | Event::PushProgress { .. }
            | Event::OutboxDelivered { .. }
            | Event::OutboxGaveUp { .. }
            | Event::Paired { .. }
            | Event::DeviceRemoved { .. }
            | Event::DeviceStatus { .. }
            | Event::NearbyFound { .. }
            | Event::NearbyLost { .. }
            | Event::CollectionChanged { .. }
            | Event::CollectionInvited { .. } => true,
            Event::ImportProgress { .. }
            | Event::RequestRefused { .. }
            | Event::ShareDownloaded { .. }
            | Event::FileReceived { .. }
            | Event::NameRejected { .. }
            | Event::PairingRefused { .. }
            | Event::StrangerRefused { .. }
            | Event::PushOffered { .. }
            | Event::PushAccepted { .. }
            | Event::PushQueued { .. }
            | Event::Lagged { .. }
            | Event::CollectionSynced { .. }
            | Event::CollectionPeer { .. }
            | Event::CollectionProgress { .. }
            | Event::CollectionFetched { .. }
            | Event::CollectionEntryRefused { .. }
            | Event::CollectionSyncRefused { .. } => false,
        };
        shown.then_some(Self(event))
    }
}
