//! The offer protocol's messages: what travels on a `ferry/offer/1`
//! stream, each frame a 4-byte big-endian length and a postcard message.

use super::*;

/// At most this many names travel in an offer.
pub(super) const MAX_NAMES: usize = 1000;

/// The longest text accepted inline.
pub(super) const MAX_TEXT: usize = 64 * 1024;

#[derive(Serialize, Deserialize)]
pub(super) struct OfferMsg {
    pub(super) addrs: Vec<SocketAddr>,
    pub(super) relay: Option<RelayUrl>,
    pub(super) root: Option<Hash>,
    pub(super) files: u64,
    pub(super) bytes: u64,
    pub(super) names: Vec<String>,
    pub(super) text: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub(super) enum Reply {
    Accepted,
    Rejected {
        reason: String,
    },
    Progress {
        bytes_done: u64,
        bytes_total: u64,
    },
    Done {
        files: u64,
        bytes: u64,
        bytes_transferred: u64,
    },
    Failed {
        message: String,
    },
}
