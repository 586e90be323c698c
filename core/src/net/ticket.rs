//! Tickets: what a receiver needs to fetch a share.
//!
//! Ferry's own share ticket is `ferry` followed by base32 of a versioned
//! postcard record: the sender's endpoint id, its relay URL and filtered
//! direct addresses, the root hash of the collection, and which entry (if
//! any) is the text snippet. Plain iroh-blobs `blob…` tickets are accepted
//! too. Parsing ignores case and surrounding whitespace, so the upper-cased
//! form shown in QR codes reads back as is.

use std::{net::SocketAddr, str::FromStr};

use iroh::{EndpointAddr, EndpointId, RelayUrl};
use iroh_blobs::{BlobFormat, Hash, ticket::BlobTicket};
use iroh_tickets::Ticket;
use serde::{Deserialize, Serialize};

use crate::error::ErrorKind;

/// A ticket that could not be read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TicketError {
    /// The text is not a ticket Ferry knows.
    #[error("not a Ferry or blob ticket (it should start with \"ferry\" or \"blob\")")]
    UnknownKind,
    /// The text has the right prefix but does not decode.
    #[error("the ticket is damaged or incomplete: {0}")]
    Malformed(String),
    /// A pairing ticket where a share ticket was expected.
    #[error("this is a pairing ticket: join with `ferry pair TICKET`")]
    PairingTicket,
    /// Something else where a pairing ticket was expected.
    #[error("not a pairing ticket (it should start with \"ferrypair\")")]
    NotPairing,
}

impl TicketError {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidInput
    }
}

/// Ferry's one-shot share ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareTicket {
    /// Where to reach the sender.
    pub addr: EndpointAddr,
    /// The root hash of the shared collection.
    pub root: Hash,
    /// The index of the collection entry that holds the text snippet, if any.
    pub text_entry: Option<u32>,
}

/// An endpoint address on the wire: the id, one relay URL, direct addresses.
#[derive(Serialize, Deserialize)]
struct WireAddr {
    id: EndpointId,
    relay: Option<RelayUrl>,
    addrs: Vec<SocketAddr>,
}

impl From<&EndpointAddr> for WireAddr {
    fn from(addr: &EndpointAddr) -> Self {
        Self {
            id: addr.id,
            relay: addr.relay_urls().next().cloned(),
            addrs: addr.ip_addrs().copied().collect(),
        }
    }
}

impl From<WireAddr> for EndpointAddr {
    fn from(wire: WireAddr) -> Self {
        let mut addr = EndpointAddr::new(wire.id);
        if let Some(relay) = wire.relay {
            addr = addr.with_relay_url(relay);
        }
        for a in wire.addrs {
            addr = addr.with_ip_addr(a);
        }
        addr
    }
}

// Postcard lays out a nested struct field by field, so `addr` encodes
// exactly as the three fields it replaced.
#[derive(Serialize, Deserialize)]
enum Wire {
    V1 {
        addr: WireAddr,
        root: Hash,
        text_entry: Option<u32>,
    },
}

impl Ticket for ShareTicket {
    const KIND: &'static str = "ferry";

    fn encode_bytes(&self) -> Vec<u8> {
        let wire = Wire::V1 {
            addr: (&self.addr).into(),
            root: self.root,
            text_entry: self.text_entry,
        };
        // Serializing plain owned data into a Vec cannot fail.
        postcard::to_stdvec(&wire).unwrap_or_default()
    }

    fn decode_bytes(bytes: &[u8]) -> Result<Self, iroh_tickets::ParseError> {
        let Wire::V1 {
            addr,
            root,
            text_entry,
        } = postcard::from_bytes(bytes)?;
        Ok(Self {
            addr: addr.into(),
            root,
            text_entry,
        })
    }
}

impl std::fmt::Display for ShareTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.encode_string())
    }
}

impl FromStr for ShareTicket {
    type Err = TicketError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match AnyTicket::from_str(s)? {
            AnyTicket::Share(t) => Ok(t),
            AnyTicket::Blob(_) => Err(TicketError::UnknownKind),
        }
    }
}

/// Any ticket `ferry receive` accepts.
#[derive(Debug, Clone)]
pub enum AnyTicket {
    /// Ferry's own share ticket.
    Share(ShareTicket),
    /// A plain iroh-blobs ticket, as printed by sendme.
    Blob(BlobTicket),
}

impl AnyTicket {
    /// Where to reach the sender.
    pub fn addr(&self) -> &EndpointAddr {
        match self {
            Self::Share(t) => &t.addr,
            Self::Blob(t) => t.addr(),
        }
    }

    /// The root hash and whether it names a collection (`true`) or a single blob.
    pub fn content(&self) -> (Hash, bool) {
        match self {
            Self::Share(t) => (t.root, true),
            Self::Blob(t) => (t.hash(), t.format() == BlobFormat::HashSeq),
        }
    }

    /// The index of the text snippet entry, if the ticket says there is one.
    pub fn text_entry(&self) -> Option<u32> {
        match self {
            Self::Share(t) => t.text_entry,
            Self::Blob(_) => None,
        }
    }
}

/// The ticket a `ferry://` link carries (`ferry://TICKET`, `ferry:TICKET`,
/// any case, trailing slashes ignored), lower-cased; any other text comes
/// back trimmed and lower-cased. Every ticket parser takes links this way.
pub fn link_payload(text: &str) -> String {
    let lower = text.trim().to_ascii_lowercase();
    let payload = lower
        .strip_prefix("ferry://")
        .or_else(|| lower.strip_prefix("ferry:"))
        .map_or(lower.as_str(), |rest| rest.trim_matches('/'));
    payload.to_string()
}

impl FromStr for AnyTicket {
    type Err = TicketError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = link_payload(s);
        let malformed = |e: iroh_tickets::ParseError| TicketError::Malformed(e.to_string());
        if s.starts_with(PairTicket::KIND) {
            Err(TicketError::PairingTicket)
        } else if s.starts_with(ShareTicket::KIND) {
            ShareTicket::decode_string(&s)
                .map(Self::Share)
                .map_err(malformed)
        } else if s.starts_with(BlobTicket::KIND) {
            BlobTicket::decode_string(&s)
                .map(Self::Blob)
                .map_err(malformed)
        } else {
            Err(TicketError::UnknownKind)
        }
    }
}

/// A pairing ticket: where to reach the device that shows it, a one-time
/// secret, and when the secret expires. Shown as a QR code on one device
/// and read by the other; the secret never travels any other way.
#[derive(Clone, PartialEq, Eq)]
pub struct PairTicket {
    /// Where to reach the device showing the ticket; its id is the key the
    /// joiner will trust.
    pub addr: EndpointAddr,
    /// The one-time secret the joiner proves it holds.
    pub secret: [u8; 16],
    /// When the secret expires, in seconds since the Unix epoch.
    pub expires_at: u64,
}

impl std::fmt::Debug for PairTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret stays out of logs.
        f.debug_struct("PairTicket")
            .field("addr", &self.addr)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
enum PairWire {
    V1 {
        addr: WireAddr,
        secret: [u8; 16],
        expires_at: u64,
    },
}

impl Ticket for PairTicket {
    const KIND: &'static str = "ferrypair";

    fn encode_bytes(&self) -> Vec<u8> {
        let wire = PairWire::V1 {
            addr: (&self.addr).into(),
            secret: self.secret,
            expires_at: self.expires_at,
        };
        postcard::to_stdvec(&wire).unwrap_or_default()
    }

    fn decode_bytes(bytes: &[u8]) -> Result<Self, iroh_tickets::ParseError> {
        let PairWire::V1 {
            addr,
            secret,
            expires_at,
        } = postcard::from_bytes(bytes)?;
        Ok(Self {
            addr: addr.into(),
            secret,
            expires_at,
        })
    }
}

impl std::fmt::Display for PairTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.encode_string())
    }
}

impl FromStr for PairTicket {
    type Err = TicketError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = link_payload(s);
        if s.starts_with(Self::KIND) {
            Self::decode_string(&s).map_err(|e| TicketError::Malformed(e.to_string()))
        } else {
            Err(TicketError::NotPairing)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> ShareTicket {
        let id = iroh::SecretKey::from_bytes(&[7u8; 32]).public();
        ShareTicket {
            addr: EndpointAddr::new(id).with_ip_addr("192.168.1.20:41000".parse().unwrap()),
            root: Hash::new(b"hello"),
            text_entry: Some(3),
        }
    }

    #[test]
    fn round_trips_in_any_case() {
        let t = sample();
        let s = t.to_string();
        assert!(s.starts_with("ferry"));
        assert_eq!(s.parse::<ShareTicket>().unwrap(), t);
        assert_eq!(s.to_uppercase().parse::<ShareTicket>().unwrap(), t);
        assert_eq!(format!("  {s}\n").parse::<ShareTicket>().unwrap(), t);
    }

    #[test]
    fn pairing_tickets_round_trip_and_are_told_apart() {
        let id = iroh::SecretKey::from_bytes(&[9u8; 32]).public();
        let t = PairTicket {
            addr: EndpointAddr::new(id).with_ip_addr("10.0.0.7:41001".parse().unwrap()),
            secret: [5u8; 16],
            expires_at: 1_800_000_000,
        };
        let s = t.to_string();
        assert!(s.starts_with("ferrypair"), "{s}");
        assert_eq!(s.to_uppercase().parse::<PairTicket>().unwrap(), t);
        assert!(matches!(
            s.parse::<AnyTicket>(),
            Err(TicketError::PairingTicket)
        ));
        assert!(matches!(
            sample().to_string().parse::<PairTicket>(),
            Err(TicketError::NotPairing)
        ));
        assert!(s[..s.len() - 4].parse::<PairTicket>().is_err());
        assert!(
            !format!("{t:?}").contains("5, 5"),
            "the secret leaks into Debug"
        );
    }

    #[test]
    fn share_tickets_keep_their_wire_format() {
        // Written by an earlier build; must keep parsing.
        let old = "ferryadveu3dd4kofecv66vihwezoyx4zkr3wv27l464siipou2iui3jcyaabadakqaiuvdaaf2upcy63hbucsjpejeof4wguxm2qn34mctvxrkdoscgfmjfgoiapaebq";
        let t: ShareTicket = old.parse().unwrap();
        assert_eq!(t, sample());
        assert_eq!(t.to_string(), old);
    }

    #[test]
    fn links_carry_tickets() {
        let t = sample();
        let s = t.to_string();
        for link in [
            format!("ferry://{s}"),
            format!("ferry://{s}/"),
            format!("FERRY://{}", s.to_uppercase()),
            format!(" ferry:{s}\n"),
        ] {
            assert_eq!(link.parse::<ShareTicket>().unwrap(), t, "{link}");
            assert!(matches!(link.parse::<AnyTicket>(), Ok(AnyTicket::Share(_))));
        }
        let pair = PairTicket {
            addr: t.addr.clone(),
            secret: [1u8; 16],
            expires_at: 1_800_000_000,
        };
        assert_eq!(
            format!("ferry://{pair}").parse::<PairTicket>().unwrap(),
            pair
        );
        for bad in [
            "ferry://",
            "ferry:",
            "ferry:///",
            "ferry://hello",
            "https://x",
        ] {
            assert!(bad.parse::<AnyTicket>().is_err(), "{bad:?}");
        }
        assert_eq!(link_payload("Ferry://AbC/"), "abc");
        assert_eq!(link_payload("  blobxyz "), "blobxyz");
    }

    #[test]
    fn is_short() {
        assert!(sample().to_string().len() < 130, "{}", sample());
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for bad in [
            "",
            "hello",
            "ferry",
            "ferryzzzz",
            "blob",
            "blob0000",
            "ferry!!!",
        ] {
            assert!(bad.parse::<AnyTicket>().is_err(), "{bad:?}");
        }
        let s = sample().to_string();
        assert!(s[..s.len() - 10].parse::<AnyTicket>().is_err());
    }
}
