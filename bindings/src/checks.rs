//! What core says of a text or a setting, for screens that ask as the
//! user types: which ticket a text is, whether it is a link, why a
//! setting cannot be used.

/// Which kind of ticket a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TicketKind {
    /// A pairing code (`ferrypair…`): `join` it.
    Pair,
    /// A share (`ferry…` or `blob…`): `open_ticket` and receive it.
    Share,
}

impl From<ferry_core::TicketKind> for TicketKind {
    fn from(k: ferry_core::TicketKind) -> Self {
        match k {
            ferry_core::TicketKind::Pair => Self::Pair,
            ferry_core::TicketKind::Share => Self::Share,
        }
    }
}

/// Which kind of ticket `text` (typed, pasted, scanned or a `ferry://`
/// link) is, by its prefix; none when it is no ticket of Ferry's. Parsing
/// it (`join`, opening it) says whether it is well formed.
#[uniffi::export]
pub fn ticket_kind(text: String) -> Option<TicketKind> {
    ferry_core::ticket_kind(&text).map(Into::into)
}

/// Whether a text is one web link (`http://` or `https://`, nothing else
/// around it), as core judges received text.
#[uniffi::export]
pub fn is_link(text: String) -> bool {
    ferry_core::is_link(&text)
}

/// Why a device name cannot be used (core's rule: not empty, at most 64
/// characters, no control or format characters), or none.
#[uniffi::export]
pub fn device_name_problem(name: String) -> Option<String> {
    ferry_core::check_device_name(&name)
        .err()
        .map(|e| e.to_string())
}

/// Why a discovery setting (`default`, `disabled` or a URL) cannot be
/// used, or none.
#[uniffi::export]
pub fn discovery_problem(discovery: String) -> Option<String> {
    ferry_core::DiscoveryChoice::checked(&discovery)
        .err()
        .map(|e| e.to_string())
}

/// Why a relay setting (`default`, `disabled` or a URL) cannot be used,
/// or none.
#[uniffi::export]
pub fn relay_problem(relay: String) -> Option<String> {
    ferry_core::RelayChoice::checked(&relay)
        .err()
        .map(|e| e.to_string())
}
