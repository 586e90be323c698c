//! The JSON Lines names of the node's events, in one place: every command
//! that prints an event under `--json` prints it as this says. The match
//! has no catch-all, so a new event does not compile until it is given a
//! line here (or none).

use ferry_core::Event;
use serde_json::{Value, json};

use crate::output;

/// The JSON line for an event, or None for one the CLI does not print as
/// it comes (it shows a progress bar of it, or reports it another way).
pub fn json_line_of(event: &Event) -> Option<Value> {
    Some(match event {
        Event::RequestRefused { peer, hash } => {
            json!({"event": "refused", "peer": peer, "hash": hash})
        }
        Event::ShareDownloaded { peer, .. } => json!({"event": "downloaded", "peer": peer}),
        Event::Paired { id, name } => {
            json!({"event": "paired", "device": {"id": id, "name": name}})
        }
        Event::PairingRefused { peer, reason } => {
            json!({"event": "pair-refused", "peer": peer, "reason": reason})
        }
        Event::OfferReceived {
            offer_id,
            from,
            files,
            bytes,
            names,
            text,
            ..
        } => json!({"event": "offer", "offer_id": offer_id, "from": from, "files": files,
                    "bytes": bytes, "names": names, "text": text}),
        Event::OfferAccepted { offer_id } => json!({"event": "accepted", "offer_id": offer_id}),
        Event::OfferRejected { offer_id, reason } => {
            json!({"event": "rejected", "offer_id": offer_id, "reason": reason})
        }
        Event::TextReceived {
            offer_id,
            from,
            text,
            is_link,
        } => json!({"event": "text", "offer_id": offer_id, "from": from, "text": text,
                    "is_link": is_link}),
        Event::ReceiveProgress {
            bytes_done,
            bytes_total,
            files_done,
            files_total,
            path,
            ..
        } => json!({"event": "progress", "bytes_done": bytes_done, "bytes_total": bytes_total,
                    "files_done": files_done, "files_total": files_total, "path": path}),
        Event::OfferDone {
            offer_id,
            files,
            bytes,
            bytes_transferred,
            out,
        } => json!({"event": "done", "offer_id": offer_id, "files": files, "bytes": bytes,
                    "bytes_transferred": bytes_transferred, "out": out}),
        Event::OfferFailed { offer_id, message } => {
            json!({"event": "failed", "offer_id": offer_id, "message": message})
        }
        Event::StrangerRefused { peer } => json!({"event": "stranger-refused", "peer": peer}),
        Event::PushOffered { to } => json!({"event": "offered", "device": to}),
        Event::PushAccepted { to } => json!({"event": "accepted", "device": to}),
        Event::PushProgress {
            bytes_done,
            bytes_total,
            ..
        } => json!({"event": "progress", "bytes_done": bytes_done, "bytes_total": bytes_total}),
        Event::OutboxDelivered {
            outbox_id,
            to,
            report,
        } => json!({"event": "delivered", "outbox_id": outbox_id, "device": to,
                    "files": report.files, "bytes": report.bytes,
                    "bytes_transferred": report.bytes_transferred}),
        Event::OutboxGaveUp {
            outbox_id,
            to,
            status,
            message,
        } => json!({"event": "undelivered", "outbox_id": outbox_id, "device": to,
                    "status": status, "message": message}),
        Event::DeviceStatus {
            id,
            name,
            online,
            route,
            rtt_ms,
        } => json!({"event": "device-status", "device": {"id": id, "name": name},
                    "online": online, "route": route, "rtt_ms": rtt_ms}),
        // Collection events keep their own fields, under a listener's name.
        Event::CollectionInvited { .. } => output::tagged(event, "collection-invite"),
        Event::CollectionChanged { .. } => output::tagged(event, "collection-change"),
        Event::CollectionSynced { .. } => output::tagged(event, "collection-synced"),
        Event::CollectionPeer { .. } => output::tagged(event, "collection-peer"),
        Event::CollectionProgress { .. } => output::tagged(event, "collection-progress"),
        Event::CollectionFetched { .. } => output::tagged(event, "collection-fetched"),
        Event::CollectionEntryRefused { .. } => output::tagged(event, "collection-refused"),
        Event::CollectionSyncRefused { .. } => output::tagged(event, "collection-sync-refused"),
        // Shown as progress bars, or reported from a result instead.
        Event::ImportProgress { .. }
        | Event::ReceiveStarted { .. }
        | Event::FileReceived { .. }
        | Event::NameRejected { .. }
        | Event::DeviceRemoved { .. }
        | Event::PushQueued { .. }
        | Event::NearbyFound { .. }
        | Event::NearbyLost { .. }
        | Event::Lagged { .. } => return None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use ferry_core::DeviceRef;

    use super::*;

    #[test]
    fn events_get_their_documented_names() {
        let to = DeviceRef {
            id: "abc".into(),
            name: "Pixel".into(),
        };
        let line = json_line_of(&Event::PushOffered { to: to.clone() }).unwrap();
        assert_eq!(
            line,
            json!({"event": "offered", "device": {"id": "abc", "name": "Pixel"}})
        );
        let line = json_line_of(&Event::Paired {
            id: "abc".into(),
            name: "Pixel".into(),
        })
        .unwrap();
        assert_eq!(line["event"], "paired");
        assert_eq!(line["device"]["name"], "Pixel");
        let line = json_line_of(&Event::OfferAccepted { offer_id: 7 }).unwrap();
        assert_eq!(line, json!({"event": "accepted", "offer_id": 7}));
        assert_eq!(json_line_of(&Event::Lagged { missed: 3 }), None);
    }
}
