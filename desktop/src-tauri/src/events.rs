//! The node's events as the UI receives them: one typed event, `NodeEvent`,
//! emitted for every core event the screens show. Counts are numbers.

use ferry_core::Event;
use serde::Serialize;
use specta::Type;

/// A device as events name it.
#[derive(Debug, Clone, Serialize, Type)]
pub struct DeviceName {
    pub id: String,
    pub name: String,
}

impl From<ferry_core::DeviceRef> for DeviceName {
    fn from(d: ferry_core::DeviceRef) -> Self {
        Self {
            id: d.id,
            name: d.name,
        }
    }
}

/// Something that happened in the node.
#[derive(Debug, Clone, Serialize, Type, tauri_specta::Event)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NodeEvent {
    /// A paired device offers files, text or a link; answer with `respond_offer`.
    OfferReceived {
        offer_id: f64,
        from: DeviceName,
        files: f64,
        bytes: f64,
        names: Vec<String>,
        text: Option<String>,
        /// Whether `text` is one web link (core's rule).
        is_link: bool,
    },
    OfferAccepted {
        offer_id: f64,
    },
    OfferRejected {
        offer_id: f64,
        reason: String,
    },
    /// Text or a link arrived with an accepted offer.
    TextReceived {
        offer_id: f64,
        from: DeviceName,
        text: String,
        is_link: bool,
    },
    OfferDone {
        offer_id: f64,
        files: f64,
        bytes: f64,
        out: String,
    },
    OfferFailed {
        offer_id: f64,
        message: String,
    },
    /// A download started; its progress carries `transfer_id`.
    ReceiveStarted {
        transfer_id: f64,
        /// The inbox offer it receives; none for a share opened from a ticket.
        offer_id: Option<f64>,
        peer: String,
    },
    ReceiveProgress {
        transfer_id: f64,
        offer_id: Option<f64>,
        bytes_done: f64,
        bytes_total: f64,
        files_done: f64,
        files_total: f64,
    },
    PushProgress {
        to: DeviceName,
        bytes_done: f64,
        bytes_total: f64,
    },
    /// A queued push reached its device.
    OutboxDelivered {
        outbox_id: f64,
        to: DeviceName,
        files: f64,
        bytes: f64,
    },
    /// A queued push ended undelivered: `rejected`, `failed` or `expired`.
    OutboxGaveUp {
        outbox_id: f64,
        to: DeviceName,
        status: String,
        message: String,
    },
    Paired {
        id: String,
        name: String,
    },
    DeviceRemoved {
        id: String,
    },
    DeviceStatus {
        id: String,
        online: bool,
        route: Option<String>,
        rtt_ms: Option<f64>,
    },
    NearbyFound {
        id: String,
        name: String,
        paired: bool,
    },
    NearbyLost {
        id: String,
    },
    CollectionChanged {
        collection: String,
        path: String,
        change: String,
    },
    CollectionInvited {
        name: String,
        from: DeviceName,
    },
}

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
    /// The UI's form of a core event; `None` for events no screen shows.
    pub fn from_core(event: Event) -> Option<Self> {
        let n = |v: u64| v as f64;
        Some(match event {
            Event::OfferReceived {
                offer_id,
                from,
                files,
                bytes,
                names,
                text,
            } => Self::OfferReceived {
                offer_id: n(offer_id),
                from: from.into(),
                files: n(files),
                bytes: n(bytes),
                names,
                is_link: text.as_deref().is_some_and(ferry_core::is_link),
                text,
            },
            Event::OfferAccepted { offer_id } => Self::OfferAccepted {
                offer_id: n(offer_id),
            },
            Event::OfferRejected { offer_id, reason } => Self::OfferRejected {
                offer_id: n(offer_id),
                reason,
            },
            Event::TextReceived {
                offer_id,
                from,
                text,
                is_link,
            } => Self::TextReceived {
                offer_id: n(offer_id),
                from: from.into(),
                text,
                is_link,
            },
            Event::OfferDone {
                offer_id,
                files,
                bytes,
                out,
                ..
            } => Self::OfferDone {
                offer_id: n(offer_id),
                files: n(files),
                bytes: n(bytes),
                out,
            },
            Event::OfferFailed { offer_id, message } => Self::OfferFailed {
                offer_id: n(offer_id),
                message,
            },
            Event::ReceiveStarted {
                transfer_id,
                offer_id,
                peer,
                ..
            } => Self::ReceiveStarted {
                transfer_id: transfer_id as f64,
                offer_id: offer_id.map(n),
                peer,
            },
            Event::ReceiveProgress {
                transfer_id,
                offer_id,
                bytes_done,
                bytes_total,
                files_done,
                files_total,
                ..
            } => Self::ReceiveProgress {
                transfer_id: transfer_id as f64,
                offer_id: offer_id.map(n),
                bytes_done: n(bytes_done),
                bytes_total: n(bytes_total),
                files_done: n(files_done),
                files_total: n(files_total),
            },
            Event::PushProgress {
                to,
                bytes_done,
                bytes_total,
            } => Self::PushProgress {
                to: to.into(),
                bytes_done: n(bytes_done),
                bytes_total: n(bytes_total),
            },
            Event::OutboxDelivered {
                outbox_id,
                to,
                report,
            } => Self::OutboxDelivered {
                outbox_id: outbox_id as f64,
                to: to.into(),
                files: n(report.files),
                bytes: n(report.bytes),
            },
            Event::OutboxGaveUp {
                outbox_id,
                to,
                status,
                message,
            } => Self::OutboxGaveUp {
                outbox_id: outbox_id as f64,
                to: to.into(),
                status: status.as_str().to_string(),
                message,
            },
            Event::Paired { id, name } => Self::Paired { id, name },
            Event::DeviceRemoved { id } => Self::DeviceRemoved { id },
            Event::DeviceStatus {
                id,
                online,
                route,
                rtt_ms,
                ..
            } => Self::DeviceStatus {
                id,
                online,
                route: route.map(|r| r.as_str().to_string()),
                rtt_ms: rtt_ms.map(n),
            },
            Event::NearbyFound { id, name, paired } => Self::NearbyFound { id, name, paired },
            Event::NearbyLost { id } => Self::NearbyLost { id },
            Event::CollectionChanged {
                collection,
                path,
                change,
                ..
            } => Self::CollectionChanged {
                collection,
                path,
                change: change.as_str().to_string(),
            },
            Event::CollectionInvited { name, from } => Self::CollectionInvited {
                name,
                from: from.into(),
            },
            _ => return None,
        })
    }
}
