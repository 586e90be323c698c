//! Tickets: what a receiver needs to fetch a share.
//!
//! Ferry's own share ticket is `ferry` followed by base32 of a versioned
//! postcard record: the sender's endpoint id, its relay URL and filtered
//! direct addresses, the root hash of the collection, and which entry (if
//! any) is the text snippet. Plain iroh-blobs `blob…` tickets are accepted
//! too. Parsing ignores case and surrounding whitespace, so the upper-cased
//! form shown in QR codes reads back as is.
//!
//! Parsing is exact: the payload must be one record and nothing more, in
//! the one form this code writes (trailing bytes, a duplicated body or a
//! re-encoded variant are refused), and it must name a way to reach the
//! other device (a direct address or a relay), so that a ticket nobody can
//! dial is refused as bad input before anything is dialed.

use std::{collections::BTreeSet, net::SocketAddr, str::FromStr};

use iroh::{EndpointAddr, EndpointId, RelayUrl};
use iroh_blobs::{BlobFormat, Hash, ticket::BlobTicket};
use iroh_tickets::{ParseError, Ticket};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

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
    /// The ticket decodes but names no way to reach the other device.
    #[error(
        "the ticket holds no address to reach the other device (no direct address and no relay)"
    )]
    Unreachable,
}

impl crate::HasKind for TicketError {
    fn kind(&self) -> ErrorKind {
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

    fn decode_bytes(bytes: &[u8]) -> Result<Self, ParseError> {
        let Wire::V1 {
            addr,
            root,
            text_entry,
        } = decode_exact(bytes)?;
        let ticket = Self {
            addr: addr.into(),
            root,
            text_entry,
        };
        canonical(ticket, bytes)
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

/// Which kind of ticket a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum TicketKind {
    /// A pairing code (`ferrypair…`): join it to pair.
    Pair,
    /// A share (`ferry…`, or a plain iroh-blobs `blob…` ticket): receive it.
    Share,
}

/// Which kind of ticket `text` (typed, pasted, scanned or a `ferry://`
/// link) is, by its prefix; the spaces and line breaks copying adds do not
/// matter. `None` when it is no ticket of Ferry's. The kind says what to do
/// with the text, not that it parses: parsing it says that.
pub fn ticket_kind(text: &str) -> Option<TicketKind> {
    let payload: String = link_payload(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if payload.starts_with(PairTicket::KIND) {
        Some(TicketKind::Pair)
    } else if payload.starts_with(ShareTicket::KIND) || payload.starts_with(BlobTicket::KIND) {
        Some(TicketKind::Share)
    } else {
        None
    }
}

/// Whether a text is one web link (`http://` or `https://`, nothing else
/// around it): what is offered to open in a browser.
pub fn is_link(text: &str) -> bool {
    let t = text.trim();
    let rest = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty()) && !t.contains(char::is_whitespace)
}

impl FromStr for AnyTicket {
    type Err = TicketError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = link_payload(s);
        let ticket = if s.starts_with(PairTicket::KIND) {
            return Err(TicketError::PairingTicket);
        } else if s.starts_with(ShareTicket::KIND) {
            ShareTicket::decode_string(&s)
                .map(Self::Share)
                .map_err(malformed)?
        } else if let Some(rest) = s.strip_prefix(BlobTicket::KIND) {
            Self::Blob(decode_blob_ticket(rest)?)
        } else {
            return Err(TicketError::UnknownKind);
        };
        reachable(ticket.addr())?;
        Ok(ticket)
    }
}

fn malformed(e: ParseError) -> TicketError {
    TicketError::Malformed(match e {
        ParseError::Verify { message, .. } => message.to_string(),
        other => other.to_string(),
    })
}

/// Decodes a postcard record that must take up all of `bytes`.
fn decode_exact<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ParseError> {
    let (value, rest) = postcard::take_from_bytes(bytes)?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(ParseError::verification_failed(
            "it has bytes left over after its end",
        ))
    }
}

/// Refuses a payload that decodes but is not what encoding the ticket
/// gives (an overlong number, addresses out of order or twice): one ticket
/// has one text, so nothing can be smuggled into a variant of it.
fn canonical<T: Ticket>(ticket: T, bytes: &[u8]) -> Result<T, ParseError> {
    if ticket.encode_bytes() == bytes {
        Ok(ticket)
    } else {
        Err(ParseError::verification_failed(
            "it is not in canonical form",
        ))
    }
}

/// Whether an address can be dialed at all.
fn dialable(addr: &SocketAddr) -> bool {
    let ip = addr.ip();
    let broadcast = matches!(ip, std::net::IpAddr::V4(v4) if v4.is_broadcast());
    addr.port() != 0 && !ip.is_unspecified() && !ip.is_multicast() && !broadcast
}

/// Refuses an address with neither a relay nor a direct address that can
/// be dialed: such a ticket cannot reach anyone, whatever the network.
fn reachable(addr: &EndpointAddr) -> Result<(), TicketError> {
    if addr.relay_urls().next().is_some() || addr.ip_addrs().any(dialable) {
        Ok(())
    } else {
        Err(TicketError::Unreachable)
    }
}

/// The wire form of iroh-blobs' `blob…` ticket (one variant so far): the
/// same fields, read here so that a payload with anything after the
/// record is refused (iroh-blobs' own parser ignores trailing bytes).
#[derive(Deserialize)]
enum BlobWire {
    Variant0 {
        id: EndpointId,
        relay: Option<RelayUrl>,
        addrs: BTreeSet<SocketAddr>,
        format: BlobFormat,
        hash: Hash,
    },
}

/// Reads the base32 payload of a `blob…` ticket exactly.
fn decode_blob_ticket(payload: &str) -> Result<BlobTicket, TicketError> {
    let bytes = data_encoding::BASE32_NOPAD
        .decode(payload.to_ascii_uppercase().as_bytes())
        .map_err(|e| TicketError::Malformed(e.to_string()))?;
    decode_blob_bytes(&bytes)
}

/// Reads the payload of a `blob…` ticket exactly.
pub(crate) fn decode_blob_bytes(bytes: &[u8]) -> Result<BlobTicket, TicketError> {
    let BlobWire::Variant0 {
        id,
        relay,
        addrs,
        format,
        hash,
    } = decode_exact(bytes).map_err(malformed)?;
    let addr = WireAddr {
        id,
        relay,
        addrs: addrs.into_iter().collect(),
    };
    let ticket = BlobTicket::new(addr.into(), hash, format);
    canonical(ticket, bytes).map_err(malformed)
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

    fn decode_bytes(bytes: &[u8]) -> Result<Self, ParseError> {
        let PairWire::V1 {
            addr,
            secret,
            expires_at,
        } = decode_exact(bytes)?;
        let ticket = Self {
            addr: addr.into(),
            secret,
            expires_at,
        };
        canonical(ticket, bytes)
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
            let ticket = Self::decode_string(&s).map_err(malformed)?;
            reachable(&ticket.addr)?;
            Ok(ticket)
        } else {
            Err(TicketError::NotPairing)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::HasKind;

    fn sample() -> ShareTicket {
        let id = iroh::SecretKey::from_bytes(&[7u8; 32]).public();
        ShareTicket {
            addr: EndpointAddr::new(id).with_ip_addr("192.168.1.20:41000".parse().unwrap()),
            root: Hash::new(b"hello"),
            text_entry: Some(3),
        }
    }

    #[test]
    fn a_text_says_which_ticket_it_is() {
        let pair = pair_sample().to_string();
        assert_eq!(ticket_kind(&pair), Some(TicketKind::Pair));
        assert_eq!(
            ticket_kind(&format!(" ferry://{pair}/ ")),
            Some(TicketKind::Pair)
        );
        assert_eq!(ticket_kind(&pair.to_uppercase()), Some(TicketKind::Pair));
        // Copying can break a long ticket over lines.
        let (head, tail) = pair.split_at(20);
        assert_eq!(
            ticket_kind(&format!("{head}\n  {tail}")),
            Some(TicketKind::Pair)
        );
        assert_eq!(ticket_kind("ferryabc"), Some(TicketKind::Share));
        assert_eq!(ticket_kind("ferry:ferryabc"), Some(TicketKind::Share));
        assert_eq!(ticket_kind("blobabc"), Some(TicketKind::Share));
        for none in ["", "  ", "https://example.org", "hello", "ferr", "ferry://"] {
            assert_eq!(ticket_kind(none), None, "{none:?}");
        }
    }

    #[test]
    fn only_one_web_link_is_a_link() {
        for link in [
            "https://example.org/menu",
            " http://a.b/c?d=e ",
            "https://x",
        ] {
            assert!(is_link(link), "{link:?}");
        }
        for text in [
            "see https://example.org",
            "https://example.org and more",
            "https://",
            "ftp://example.org",
            "javascript:alert(1)",
            "example.org",
            "",
        ] {
            assert!(!is_link(text), "{text:?}");
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

    /// `kind` + base32 of `bytes`, as a ticket is written.
    fn text_of(kind: &str, bytes: &[u8]) -> String {
        format!(
            "{kind}{}",
            data_encoding::BASE32_NOPAD
                .encode(bytes)
                .to_ascii_lowercase()
        )
    }

    fn blob_sample() -> BlobTicket {
        BlobTicket::new(sample().addr, Hash::new(b"blob"), BlobFormat::HashSeq)
    }

    fn pair_sample() -> PairTicket {
        PairTicket {
            addr: sample().addr,
            secret: [4u8; 16],
            expires_at: 1_800_000_000,
        }
    }

    #[test]
    fn a_ticket_with_bytes_after_its_end_is_refused_for_every_kind() {
        // Given valid payloads of every kind.
        let kinds = [
            ("ferry", sample().encode_bytes()),
            ("ferrypair", pair_sample().encode_bytes()),
            ("blob", blob_sample().encode_bytes()),
        ];
        for (kind, bytes) in kinds {
            let valid = text_of(kind, &bytes);
            if kind == "ferrypair" {
                valid.parse::<PairTicket>().unwrap();
            } else {
                valid.parse::<AnyTicket>().unwrap();
            }
            // When one zero byte, or the whole body again, follows the record.
            let mut one_more = bytes.clone();
            one_more.push(0);
            let twice = [bytes.as_slice(), bytes.as_slice()].concat();
            for bad in [one_more, twice] {
                let text = text_of(kind, &bad);
                // Then no parser takes it, and the error says why.
                let any = text.parse::<AnyTicket>();
                let pair = text.parse::<PairTicket>();
                let error = if kind == "ferrypair" {
                    assert!(matches!(any, Err(TicketError::PairingTicket)));
                    pair.unwrap_err()
                } else {
                    assert!(pair.is_err());
                    any.unwrap_err()
                };
                assert!(
                    error.to_string().contains("left over after its end"),
                    "{kind}: {error}"
                );
            }
        }
        // The iroh-blobs parser alone would have taken the longer blob ticket.
        let mut longer = blob_sample().encode_bytes();
        longer.extend_from_slice(b"extra");
        assert!(BlobTicket::decode_bytes(&longer).is_ok());
        assert!(ShareTicket::decode_bytes(&[sample().encode_bytes(), vec![0]].concat()).is_err());
    }

    #[test]
    fn a_ticket_in_a_form_this_code_never_writes_is_refused() {
        // Given a share ticket whose two addresses come in reverse order.
        let a: SocketAddr = "192.168.1.20:41000".parse().unwrap();
        let b: SocketAddr = "192.168.1.21:41000".parse().unwrap();
        let wire = |addrs: Vec<SocketAddr>| Wire::V1 {
            addr: WireAddr {
                id: sample().addr.id,
                relay: None,
                addrs,
            },
            root: Hash::new(b"hello"),
            text_entry: None,
        };
        let sorted = postcard::to_stdvec(&wire(vec![a, b])).unwrap();
        let reversed = postcard::to_stdvec(&wire(vec![b, a])).unwrap();
        let doubled = postcard::to_stdvec(&wire(vec![a, a])).unwrap();
        // Then only the form this code writes parses.
        assert!(text_of("ferry", &sorted).parse::<AnyTicket>().is_ok());
        for bad in [reversed, doubled] {
            let error = text_of("ferry", &bad).parse::<AnyTicket>().unwrap_err();
            assert!(error.to_string().contains("canonical"), "{error}");
        }
    }

    #[test]
    fn a_ticket_with_no_address_to_dial_is_bad_input() {
        // Given tickets of every kind that name only an id, or only
        // addresses nobody can dial.
        let id = sample().addr.id;
        let nowhere = [
            EndpointAddr::new(id),
            EndpointAddr::new(id).with_ip_addr("0.0.0.0:41000".parse().unwrap()),
            EndpointAddr::new(id).with_ip_addr("192.168.1.20:0".parse().unwrap()),
            EndpointAddr::new(id).with_ip_addr("[::]:41000".parse().unwrap()),
            EndpointAddr::new(id).with_ip_addr("224.0.0.251:5353".parse().unwrap()),
        ];
        for addr in nowhere {
            let share = ShareTicket {
                addr: addr.clone(),
                ..sample()
            };
            let blob = BlobTicket::new(addr.clone(), Hash::new(b"x"), BlobFormat::Raw);
            let pair = PairTicket {
                addr: addr.clone(),
                ..pair_sample()
            };
            // Then each is refused as unreachable, which is bad input.
            for result in [
                share.to_string().parse::<AnyTicket>().map(|_| ()),
                blob.to_string().parse::<AnyTicket>().map(|_| ()),
                pair.to_string().parse::<PairTicket>().map(|_| ()),
            ] {
                let error = result.unwrap_err();
                assert!(
                    matches!(error, TicketError::Unreachable),
                    "{addr:?}: {error}"
                );
                assert_eq!(error.kind(), ErrorKind::InvalidInput);
            }
        }
        // A relay alone is a way to reach the device.
        let relayed = ShareTicket {
            addr: EndpointAddr::new(id).with_relay_url("https://relay.example".parse().unwrap()),
            ..sample()
        };
        assert_eq!(relayed.to_string().parse::<ShareTicket>().unwrap(), relayed);
    }

    #[test]
    fn blob_tickets_round_trip_as_iroh_blobs_writes_them() {
        let t = blob_sample();
        let parsed = t.to_string().parse::<AnyTicket>().unwrap();
        let AnyTicket::Blob(parsed) = parsed else {
            panic!("not a blob ticket");
        };
        assert_eq!(parsed, t);
        let raw = BlobTicket::new(sample().addr, Hash::new(b"raw"), BlobFormat::Raw);
        assert!(matches!(
            raw.to_string().to_uppercase().parse::<AnyTicket>(),
            Ok(AnyTicket::Blob(b)) if b == raw
        ));
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
