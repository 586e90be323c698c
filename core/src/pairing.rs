//! Pairing and trusted devices.
//!
//! One device shows a [`PairTicket`] (as a QR code or text): its address, a
//! one-time 128-bit secret and an expiry. The other device connects on
//! `ferry/pair/1` and proves it holds the secret. The shower is
//! authenticated by iroh's TLS: the joiner dials the key in the ticket, so
//! nobody else can answer. When the secret checks out, both sides store the
//! other's device id and name in SQLite; from then on they trust each other
//! on any network.
//!
//! A secret works once, only until it expires, and only for
//! [`MAX_FAILURES`] wrong guesses; each wrong guess is answered late. A
//! refused attempt stores nothing.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use iroh::{
    EndpointId,
    endpoint::Connection,
    protocol::{AcceptError, ProtocolHandler},
};
use serde::{Deserialize, Serialize};
use tracing::debug;

use crate::{
    error::{ErrorKind, StoreError},
    events::{Event, EventBus},
    net::{
        self,
        ticket::{PairTicket, TicketError},
    },
    node::Node,
    store::{Db, Device},
};

/// The pairing protocol's ALPN.
pub const ALPN: &[u8] = b"ferry/pair/1";

/// How long a pairing ticket is valid at most.
pub const MAX_VALIDITY: Duration = Duration::from_secs(600);

/// Wrong secrets accepted for one ticket before it is burned.
pub const MAX_FAILURES: u32 = 5;

/// How late a wrong guess is answered.
const FAILURE_DELAY: Duration = Duration::from_millis(500);

/// The largest pairing message either side reads.
const MAX_MESSAGE: usize = 4096;

/// The longest device name kept, in characters.
const MAX_NAME_CHARS: usize = 64;

/// The most addresses kept for a device.
const MAX_ADDRS: usize = 8;

/// How long joining may take to reach the other device.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the device showing a ticket refused to pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The secret does not match.
    #[error("the pairing code is wrong")]
    WrongSecret,
    /// The ticket's time is up.
    #[error("the pairing code has expired; show a new one")]
    Expired,
    /// The secret was used by another device already.
    #[error("the pairing code was already used; show a new one")]
    AlreadyUsed,
    /// Too many wrong secrets were tried; the ticket is burned.
    #[error("too many wrong attempts; show a new pairing code")]
    TooManyAttempts,
    /// The device is not showing a pairing ticket (any more).
    #[error("the other device is not waiting for a pairing")]
    NotPairing,
}

impl Refusal {
    /// A short stable code for events and JSON.
    pub fn code(self) -> &'static str {
        match self {
            Self::WrongSecret => "wrong_secret",
            Self::Expired => "expired",
            Self::AlreadyUsed => "already_used",
            Self::TooManyAttempts => "too_many_attempts",
            Self::NotPairing => "not_pairing",
        }
    }
}

/// An error pairing or managing devices.
#[derive(Debug, thiserror::Error)]
pub enum PairError {
    /// The ticket does not parse.
    #[error("invalid pairing ticket: {0}")]
    Ticket(#[from] TicketError),
    /// The ticket was made by this very device.
    #[error("this pairing ticket is this device's own")]
    OwnTicket,
    /// The other device could not be reached.
    #[error("cannot reach the other device: {0}")]
    Connect(String),
    /// The other device refused.
    #[error("the other device refused: {0}")]
    Refused(Refusal),
    /// The other side broke the protocol or the connection broke.
    #[error("pairing failed: {0}")]
    Protocol(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PairError {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Ticket(_) | Self::OwnTicket => ErrorKind::InvalidInput,
            Self::Connect(_) => ErrorKind::Network,
            Self::Refused(_) => ErrorKind::Rejected,
            Self::Protocol(_) => ErrorKind::Protocol,
            Self::Store(_) => ErrorKind::Storage,
        }
    }
}

/// An error naming a paired device.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// No paired device has that name or id prefix.
    #[error("no paired device is called {0:?} or has a name or id starting with it")]
    NotFound(String),
    /// Several paired devices match.
    #[error("{query:?} matches {count} paired devices; use more of the name or id")]
    Ambiguous {
        /// What was asked for.
        query: String,
        /// How many devices match.
        count: usize,
    },
    /// A new name is empty.
    #[error("a device name cannot be empty")]
    EmptyName,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DeviceError {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Ambiguous { .. } | Self::EmptyName => ErrorKind::InvalidInput,
            Self::Store(_) => ErrorKind::Storage,
        }
    }
}

#[derive(Serialize, Deserialize)]
enum Request {
    Join {
        secret: [u8; 16],
        name: String,
        addrs: Vec<SocketAddr>,
    },
}

#[derive(Serialize, Deserialize)]
enum Response {
    Welcome { name: String },
    Refused(Refusal),
}

/// The ticket this device shows, if any.
#[derive(Debug, Default)]
pub(crate) struct PairingState {
    pending: Mutex<Option<Pending>>,
}

struct Pending {
    secret: [u8; 16],
    expires_at: u64,
    failures: u32,
    used: bool,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("expires_at", &self.expires_at)
            .field("failures", &self.failures)
            .field("used", &self.used)
            .finish_non_exhaustive()
    }
}

impl PairingState {
    fn set(&self, pending: Option<Pending>) {
        *self.pending.lock().unwrap_or_else(|p| p.into_inner()) = pending;
    }

    /// Checks a joiner's secret; on success the ticket is used up.
    fn check(&self, secret: &[u8; 16]) -> Result<(), Refusal> {
        let mut guard = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let Some(p) = guard.as_mut() else {
            return Err(Refusal::NotPairing);
        };
        if p.used {
            return Err(Refusal::AlreadyUsed);
        }
        if unix_now() >= p.expires_at {
            return Err(Refusal::Expired);
        }
        if p.failures >= MAX_FAILURES {
            return Err(Refusal::TooManyAttempts);
        }
        if !constant_time_eq(secret, &p.secret) {
            p.failures += 1;
            return Err(Refusal::WrongSecret);
        }
        p.used = true;
        Ok(())
    }
}

fn constant_time_eq(a: &[u8; 16], b: &[u8; 16]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A name from another device, made safe to store and show: no control
/// characters, trimmed, at most [`MAX_NAME_CHARS`] characters.
pub(crate) fn clean_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_NAME_CHARS)
        .collect();
    if cleaned.is_empty() {
        "unnamed device".to_string()
    } else {
        cleaned
    }
}

/// The accepting side of `ferry/pair/1`.
#[derive(Debug, Clone)]
pub(crate) struct PairProtocol {
    pub state: Arc<PairingState>,
    pub db: Db,
    pub events: EventBus,
    pub name: String,
}

impl ProtocolHandler for PairProtocol {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let peer = conn.remote_id();
        let (mut send, mut recv) = conn.accept_bi().await?;
        let bytes = recv
            .read_to_end(MAX_MESSAGE)
            .await
            .map_err(AcceptError::from_err)?;
        let Ok(Request::Join {
            secret,
            name,
            mut addrs,
        }) = postcard::from_bytes(&bytes)
        else {
            conn.close(1u32.into(), b"bad request");
            return Ok(());
        };
        let response = match self.state.check(&secret) {
            Ok(()) => {
                let name = clean_name(&name);
                addrs.truncate(MAX_ADDRS);
                if let Err(e) = self.db.upsert_device(&peer.to_string(), &name, &addrs) {
                    // Undo nothing else: the joiner stores only after a welcome.
                    conn.close(3u32.into(), b"storage");
                    return Err(AcceptError::from_err(e));
                }
                Ok(name)
            }
            Err(refusal) => {
                if refusal == Refusal::WrongSecret {
                    tokio::time::sleep(FAILURE_DELAY).await;
                }
                Err(refusal)
            }
        };
        let reply = match &response {
            Ok(_) => Response::Welcome {
                name: self.name.clone(),
            },
            Err(refusal) => Response::Refused(*refusal),
        };
        let reply = postcard::to_stdvec(&reply).map_err(AcceptError::from_err)?;
        send.write_all(&reply)
            .await
            .map_err(AcceptError::from_err)?;
        send.finish()?;
        // Let the joiner read the answer and hang up first.
        let _ = tokio::time::timeout(Duration::from_secs(10), conn.closed()).await;
        match response {
            Ok(name) => {
                debug!(peer = %peer.fmt_short(), "paired");
                self.events.emit(Event::Paired {
                    id: peer.to_string(),
                    name,
                });
            }
            Err(refusal) => {
                debug!(peer = %peer.fmt_short(), %refusal, "pairing refused");
                self.events.emit(Event::PairingRefused {
                    peer: peer.to_string(),
                    reason: refusal.code().to_string(),
                });
            }
        }
        Ok(())
    }
}

/// Pairing and the list of trusted devices. Get one from [`Node::devices`].
#[derive(Debug, Clone, Copy)]
pub struct Devices<'a> {
    pub(crate) node: &'a Node,
}

impl Devices<'_> {
    /// Starts showing a pairing ticket, valid for `valid_for` (at most
    /// [`MAX_VALIDITY`]). A new ticket replaces any earlier one. The node
    /// emits [`Event::Paired`] when a device joins with it.
    pub async fn start_pairing(&self, valid_for: Duration) -> PairTicket {
        let inner = &self.node.inner;
        let mut secret = [0u8; 16];
        rand::fill(&mut secret);
        let expires_at = unix_now() + valid_for.min(MAX_VALIDITY).as_secs().max(1);
        inner.pairing.set(Some(Pending {
            secret,
            expires_at,
            failures: 0,
            used: false,
        }));
        let addr = net::ticket_addr_when_ready(&inner.endpoint, inner.relays).await;
        PairTicket {
            addr,
            secret,
            expires_at,
        }
    }

    /// Stops accepting the current pairing ticket.
    pub fn stop_pairing(&self) {
        self.node.inner.pairing.set(None);
    }

    /// Joins the device that shows `ticket`; on success both devices trust
    /// each other and the other device is returned.
    pub async fn join(&self, ticket: &PairTicket) -> Result<Device, PairError> {
        let inner = &self.node.inner;
        let other = ticket.addr.id;
        if other == inner.endpoint.id() {
            return Err(PairError::OwnTicket);
        }
        let conn = tokio::time::timeout(
            CONNECT_TIMEOUT,
            inner.endpoint.connect(ticket.addr.clone(), ALPN),
        )
        .await
        .map_err(|_| {
            PairError::Connect(format!(
                "no answer within {} s; is it still showing the code, on a reachable network?",
                CONNECT_TIMEOUT.as_secs()
            ))
        })?
        .map_err(|e| PairError::Connect(e.to_string()))?;
        let protocol = |e: &dyn std::fmt::Display| PairError::Protocol(e.to_string());
        let (mut send, mut recv) = conn.open_bi().await.map_err(|e| protocol(&e))?;
        let own = net::ticket_addr_when_ready(&inner.endpoint, inner.relays).await;
        let request = postcard::to_stdvec(&Request::Join {
            secret: ticket.secret,
            name: inner.device_name.clone(),
            addrs: own.ip_addrs().copied().collect(),
        })
        .map_err(|e| protocol(&e))?;
        send.write_all(&request).await.map_err(|e| protocol(&e))?;
        send.finish().map_err(|e| protocol(&e))?;
        let bytes = recv
            .read_to_end(MAX_MESSAGE)
            .await
            .map_err(|e| protocol(&e))?;
        let response: Response = postcard::from_bytes(&bytes).map_err(|e| protocol(&e))?;
        let result = match response {
            Response::Welcome { name } => {
                let name = clean_name(&name);
                let addrs: Vec<SocketAddr> = ticket.addr.ip_addrs().copied().collect();
                inner.db.upsert_device(&other.to_string(), &name, &addrs)?;
                inner.events.emit(Event::Paired {
                    id: other.to_string(),
                    name: name.clone(),
                });
                inner
                    .db
                    .device(&other.to_string())?
                    .ok_or_else(|| PairError::Protocol("the device was not stored".into()))
            }
            Response::Refused(refusal) => Err(PairError::Refused(refusal)),
        };
        conn.close(0u32.into(), b"bye");
        result
    }

    /// Every paired device, by name.
    pub fn list(&self) -> Result<Vec<Device>, StoreError> {
        self.node.inner.db.devices()
    }

    /// Whether a device id is paired (trusted).
    pub fn is_trusted(&self, id: &EndpointId) -> Result<bool, StoreError> {
        Ok(self.node.inner.db.device(&id.to_string())?.is_some())
    }

    /// Finds a paired device by its name (ignoring case), an unambiguous
    /// prefix of its id, or an unambiguous prefix of its name, in that order.
    pub fn find(&self, query: &str) -> Result<Device, DeviceError> {
        let query = query.trim();
        let devices = self.list()?;
        let by_name: Vec<&Device> = devices
            .iter()
            .filter(|d| d.name.eq_ignore_ascii_case(query) || d.name == query)
            .collect();
        let by_id: Vec<&Device> = if query.is_empty() {
            Vec::new()
        } else {
            let q = query.to_ascii_lowercase();
            devices.iter().filter(|d| d.id.starts_with(&q)).collect()
        };
        let lower = query.to_lowercase();
        let by_name_prefix: Vec<&Device> = if query.is_empty() {
            Vec::new()
        } else {
            devices
                .iter()
                .filter(|d| d.name.to_lowercase().starts_with(&lower))
                .collect()
        };
        let matches = [by_name, by_id, by_name_prefix]
            .into_iter()
            .find(|m| !m.is_empty())
            .unwrap_or_default();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(DeviceError::NotFound(query.to_string())),
            many => Err(DeviceError::Ambiguous {
                query: query.to_string(),
                count: many.len(),
            }),
        }
    }

    /// Renames a paired device (here only).
    pub fn rename(&self, query: &str, name: &str) -> Result<Device, DeviceError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(DeviceError::EmptyName);
        }
        let mut device = self.find(query)?;
        device.name = clean_name(name);
        self.node.inner.db.rename_device(&device.id, &device.name)?;
        Ok(device)
    }

    /// Switches auto-accept of pushes from a paired device.
    pub fn set_auto_accept(&self, query: &str, on: bool) -> Result<Device, DeviceError> {
        let mut device = self.find(query)?;
        device.auto_accept = on;
        self.node.inner.db.set_auto_accept(&device.id, on)?;
        Ok(device)
    }

    /// Removes (revokes) a paired device: it is no longer trusted.
    pub fn remove(&self, query: &str) -> Result<Device, DeviceError> {
        let device = self.find(query)?;
        self.node.inner.db.remove_device(&device.id)?;
        self.node.inner.events.emit(Event::DeviceRemoved {
            id: device.id.clone(),
        });
        Ok(device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_peers_are_cleaned() {
        assert_eq!(clean_name("  Ada's\tphone \u{1b}[31m "), "Ada's phone [31m");
        assert_eq!(clean_name("\n\r"), "unnamed device");
        assert_eq!(clean_name(&"x".repeat(500)).chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn a_secret_works_once_and_burns_after_too_many_guesses() {
        let state = PairingState::default();
        let pending = |secret| Pending {
            secret,
            expires_at: unix_now() + 60,
            failures: 0,
            used: false,
        };
        assert_eq!(state.check(&[1; 16]), Err(Refusal::NotPairing));
        state.set(Some(pending([1; 16])));
        assert_eq!(state.check(&[2; 16]), Err(Refusal::WrongSecret));
        assert_eq!(state.check(&[1; 16]), Ok(()));
        assert_eq!(state.check(&[1; 16]), Err(Refusal::AlreadyUsed));

        state.set(Some(pending([3; 16])));
        for _ in 0..MAX_FAILURES {
            assert_eq!(state.check(&[4; 16]), Err(Refusal::WrongSecret));
        }
        assert_eq!(state.check(&[3; 16]), Err(Refusal::TooManyAttempts));

        state.set(Some(Pending {
            expires_at: unix_now() - 1,
            ..pending([5; 16])
        }));
        assert_eq!(state.check(&[5; 16]), Err(Refusal::Expired));
    }
}
