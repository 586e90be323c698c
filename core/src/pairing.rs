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
    collections::HashSet,
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
    names::{clean_name, strip_name},
    net::{
        self, frame,
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

/// The most addresses kept for a device.
const MAX_ADDRS: usize = 8;

/// Why the device showing a ticket refused to pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
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

impl crate::HasKind for PairError {
    fn kind(&self) -> ErrorKind {
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

impl crate::HasKind for DeviceError {
    fn kind(&self) -> ErrorKind {
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

/// The fewest hex digits of an id a distinguishing suffix shows.
const SUFFIX_DIGITS: usize = 8;

/// Whether a name could pass for a device id, or carry one: it is all hex
/// digits and either begins some known id or is as long as a suffix, or
/// one of its words is four or more hex digits that begin some known id
/// (as in `Laptop (1a2b3c4d)`, mimicking a suffix).
fn looks_like_id(name: &str, ids: &[&str]) -> bool {
    let is_hex = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_hexdigit());
    let begins_an_id = |w: &str| {
        let w = w.to_ascii_lowercase();
        ids.iter().any(|id| id.starts_with(&w))
    };
    let whole = name.trim();
    if is_hex(whole) && (whole.len() >= SUFFIX_DIGITS || begins_an_id(whole)) {
        return true;
    }
    name.split(|c: char| !c.is_alphanumeric())
        .any(|w| w.len() >= 4 && is_hex(w) && begins_an_id(w))
}

/// The names to show for `entries` (id, name), no two alike ignoring case,
/// none like a label in `taken` (which receives them). Entries come in
/// priority order: one keeps its own name unless the name could pass for an
/// id (see `looks_like_id`) or an earlier one shows it already; then it
/// shows `name (1a2b3c4d)`, its id's first hex digits, as many as needed.
pub(crate) fn distinguish(
    entries: &[(&str, &str)],
    ids: &[&str],
    taken: &mut HashSet<String>,
) -> Vec<String> {
    entries
        .iter()
        .map(|(id, name)| {
            let mut label = (*name).to_string();
            if looks_like_id(name, ids) || taken.contains(&label.to_lowercase()) {
                // A full id is longer than any name, so this ends unique.
                let mut digits = SUFFIX_DIGITS;
                loop {
                    label = format!("{name} ({})", id.get(..digits).unwrap_or(id));
                    if !taken.contains(&label.to_lowercase()) || digits >= id.len() {
                        break;
                    }
                    digits += 4;
                }
            }
            taken.insert(label.to_lowercase());
            label
        })
        .collect()
}

/// Paired devices with the names to show (see [`distinguish`]), each with
/// the name it has in the table.
fn labelled(db: &Db) -> Result<Vec<(Device, String)>, StoreError> {
    Ok(label(db.devices()?))
}

/// Gives each device the name to show, keeping its own name beside it.
/// Devices paired first keep their names.
fn label(devices: Vec<Device>) -> Vec<(Device, String)> {
    let mut order: Vec<usize> = (0..devices.len()).collect();
    order.sort_by_key(|&i| (devices[i].paired_at_ms, devices[i].id.as_str()));
    let ids: Vec<&str> = devices.iter().map(|d| d.id.as_str()).collect();
    let entries: Vec<(&str, &str)> = order
        .iter()
        .map(|&i| (devices[i].id.as_str(), devices[i].name.as_str()))
        .collect();
    let mut shown: Vec<Option<String>> = vec![None; devices.len()];
    for (&i, label) in order
        .iter()
        .zip(distinguish(&entries, &ids, &mut HashSet::new()))
    {
        shown[i] = Some(label);
    }
    devices
        .into_iter()
        .zip(shown)
        .map(|(mut device, label)| {
            let own = match label {
                Some(label) => std::mem::replace(&mut device.name, label),
                None => device.name.clone(),
            };
            (device, own)
        })
        .collect()
}

/// The devices with the names to show (an entry point for the fuzz targets).
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_labels(devices: &[Device]) -> Vec<Device> {
    label(devices.to_vec())
        .into_iter()
        .map(|(d, _)| d)
        .collect()
}

/// The id of the device `query` finds (an entry point for the fuzz targets).
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_resolve(devices: &[Device], query: &str) -> Option<String> {
    resolve(&label(devices.to_vec()), query).ok().map(|d| d.id)
}

/// Real pairing requests and answers, to seed the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_seed_messages() -> Vec<Vec<u8>> {
    let request = Request::Join {
        secret: [7; 16],
        name: "Ada's phone".into(),
        addrs: vec![SocketAddr::from(([10, 0, 0, 7], 41001))],
    };
    let answers = [
        Response::Welcome {
            name: "Laptop".into(),
        },
        Response::Refused(Refusal::Expired),
    ];
    std::iter::once(postcard::to_stdvec(&request))
        .chain(answers.iter().map(postcard::to_stdvec))
        .filter_map(Result::ok)
        .collect()
}

/// Reads a pairing request and answer as both sides do (an entry point for
/// the fuzz targets).
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_messages(bytes: &[u8]) {
    let _ = frame::decode::<Request>(bytes);
    let _ = frame::decode::<Response>(bytes);
}

/// The device `query` names among `devices` (as [`labelled`] gives them);
/// the order is [`Devices::find`]'s.
fn resolve(devices: &[(Device, String)], query: &str) -> Result<Device, DeviceError> {
    let query = query.trim();
    let not_found = || DeviceError::NotFound(query.to_string());
    if query.is_empty() {
        return Err(not_found());
    }
    let pick = |matches: Vec<&(Device, String)>| match matches.as_slice() {
        [] => Ok(None),
        [(one, _)] => Ok(Some(one.clone())),
        many => Err(DeviceError::Ambiguous {
            query: query.to_string(),
            count: many.len(),
        }),
    };
    let id = query.to_ascii_lowercase();
    if let Some((device, _)) = devices.iter().find(|(d, _)| d.id == id) {
        return Ok(device.clone());
    }
    if id.bytes().all(|b| b.is_ascii_hexdigit())
        && let Some(device) = pick(
            devices
                .iter()
                .filter(|(d, _)| d.id.starts_with(&id))
                .collect(),
        )?
    {
        return Ok(device);
    }
    let name = query.to_lowercase();
    let matching = |test: &dyn Fn(&Device, &str) -> bool| {
        devices.iter().filter(|(d, own)| test(d, own)).collect()
    };
    let steps = [
        matching(&|d, _| d.name.to_lowercase() == name),
        matching(&|_, own| own.to_lowercase() == name),
        matching(&|d, _| d.name.to_lowercase().starts_with(&name)),
    ];
    for matches in steps {
        if let Some(device) = pick(matches)? {
            return Ok(device);
        }
    }
    Err(not_found())
}

/// One paired device by id, with the name to show.
pub(crate) fn paired_device(db: &Db, id: &str) -> Result<Option<Device>, StoreError> {
    Ok(labelled(db)?
        .into_iter()
        .map(|(d, _)| d)
        .find(|d| d.id == id))
}

/// Names to show for devices seen nearby: a paired device shows its paired
/// name; any other may not pass for a paired device or an id.
pub(crate) fn nearby_labels(db: &Db, seen: &[(&str, &str)]) -> Result<Vec<String>, StoreError> {
    let paired = labelled(db)?;
    let mut taken: HashSet<String> = paired.iter().map(|(d, _)| d.name.to_lowercase()).collect();
    let ids: Vec<&str> = paired
        .iter()
        .map(|(d, _)| d.id.as_str())
        .chain(seen.iter().map(|(id, _)| *id))
        .collect();
    let strangers: Vec<(&str, &str)> = seen
        .iter()
        .copied()
        .filter(|(id, _)| !paired.iter().any(|(d, _)| d.id == *id))
        .collect();
    let mut stranger_labels = distinguish(&strangers, &ids, &mut taken).into_iter();
    Ok(seen
        .iter()
        .map(|(id, _)| match paired.iter().find(|(d, _)| d.id == *id) {
            Some((d, _)) => d.name.clone(),
            None => stranger_labels.next().unwrap_or_default(),
        })
        .collect())
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
        }) = frame::decode(&bytes)
        else {
            conn.close(1u32.into(), b"bad request");
            return Ok(());
        };
        let response = match self.state.check(&secret) {
            Ok(()) => {
                let name = clean_name(&name);
                addrs.truncate(MAX_ADDRS);
                if let Err(e) = self
                    .db
                    .upsert_device(&peer.to_string(), &name, &addrs, None)
                {
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
                let name = paired_device(&self.db, &peer.to_string())
                    .ok()
                    .flatten()
                    .map_or(name, |d| d.name);
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
        let conn = net::dial(&inner.endpoint, ticket.addr.clone(), ALPN)
            .await
            .map_err(
                |e| match net::relay_trouble(&inner.endpoint, &inner.reach) {
                    Some(why) => PairError::Connect(format!("{e}; {why}")),
                    None => PairError::Connect(e.to_string()),
                },
            )?;
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
        let response: Response = frame::decode(&bytes).map_err(|e| protocol(&e))?;
        let result = match response {
            Response::Welcome { name } => {
                let name = clean_name(&name);
                let addrs: Vec<SocketAddr> = ticket.addr.ip_addrs().copied().collect();
                let relay = ticket.addr.relay_urls().next().map(|r| r.to_string());
                inner
                    .db
                    .upsert_device(&other.to_string(), &name, &addrs, relay.as_deref())?;
                let device = paired_device(&inner.db, &other.to_string())?
                    .ok_or_else(|| PairError::Protocol("the device was not stored".into()))?;
                inner.events.emit(Event::Paired {
                    id: other.to_string(),
                    name: device.name.clone(),
                });
                Ok(device)
            }
            Response::Refused(refusal) => Err(PairError::Refused(refusal)),
        };
        conn.close(0u32.into(), b"bye");
        result
    }

    /// Every paired device, by name. Each shows the name to show: a name
    /// that could pass for an id, or that a device paired earlier has
    /// already, comes with the first digits of its id, `name (1a2b3c4d)`.
    pub fn list(&self) -> Result<Vec<Device>, StoreError> {
        Ok(labelled(&self.node.inner.db)?
            .into_iter()
            .map(|(d, _)| d)
            .collect())
    }

    /// Whether a device id is paired (trusted).
    pub fn is_trusted(&self, id: &EndpointId) -> Result<bool, StoreError> {
        Ok(self.node.inner.db.device(&id.to_string())?.is_some())
    }

    /// Finds a paired device by, in this order: its full id; an
    /// unambiguous prefix of its id; the name it is shown with (see
    /// [`Devices::list`]) or its own name, ignoring case; an unambiguous
    /// prefix of the name it is shown with. Ids come first, so no name a
    /// device gives itself can capture a query meant as an id.
    pub fn find(&self, query: &str) -> Result<Device, DeviceError> {
        resolve(&labelled(&self.node.inner.db)?, query)
    }

    /// Renames a paired device (here only). Control and format characters
    /// are dropped, as from names peers give.
    pub fn rename(&self, query: &str, name: &str) -> Result<Device, DeviceError> {
        let name = strip_name(name);
        if name.is_empty() {
            return Err(DeviceError::EmptyName);
        }
        let device = self.find(query)?;
        let db = &self.node.inner.db;
        db.rename_device(&device.id, &name)?;
        paired_device(db, &device.id)?.ok_or_else(|| DeviceError::NotFound(device.id.clone()))
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
    #![allow(clippy::unwrap_used)]
    use std::collections::HashMap;

    use super::*;

    fn id(n: u8) -> String {
        iroh::SecretKey::from_bytes(&[n; 32]).public().to_string()
    }

    /// A table with these (id, name) devices, paired in this order.
    fn table(devices: &[(&str, &str)]) -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("ferry.sqlite")).unwrap();
        for (id, name) in devices {
            db.upsert_device(id, name, &[], None).unwrap();
            // Each pairing gets its own time, so the order is the pairing order.
            std::thread::sleep(Duration::from_millis(3));
        }
        (dir, db)
    }

    fn find(db: &Db, query: &str) -> Result<Device, DeviceError> {
        resolve(&labelled(db).unwrap(), query)
    }

    #[test]
    fn ids_and_id_prefixes_win_over_names() {
        // Given a device that named itself like another device's id prefix,
        // and another that took that device's whole id as its name.
        let (studio, phone, mimic) = (id(1), id(2), id(3));
        let (_dir, db) = table(&[
            (&studio, "Studio"),
            (&phone, &studio[..8]),
            (&mimic, &studio.to_uppercase()),
        ]);
        // When the user names the studio by its id or a prefix of it.
        for query in [&studio[..8], &studio[..3], &studio, &studio.to_uppercase()] {
            // Then the studio is found, never the devices named like it.
            assert_eq!(find(&db, query).unwrap().id, studio, "{query}");
        }
        // Names still find devices when no id begins with the query.
        assert_eq!(find(&db, "studio").unwrap().id, studio);
        assert_eq!(find(&db, "STU").unwrap().id, studio);
        // A query that begins several ids is ambiguous, not a name.
        let shared = common_prefix(&[&studio, &phone, &mimic]);
        if !shared.is_empty() {
            assert!(matches!(
                find(&db, &shared),
                Err(DeviceError::Ambiguous { .. })
            ));
        }
        assert!(matches!(find(&db, " "), Err(DeviceError::NotFound(_))));
        assert!(matches!(
            find(&db, "toaster"),
            Err(DeviceError::NotFound(_))
        ));
    }

    fn common_prefix(ids: &[&str]) -> String {
        let first = ids[0];
        let len = (0..first.len())
            .take_while(|&i| {
                ids.iter()
                    .all(|id| id.as_bytes().get(i) == first.as_bytes().get(i))
            })
            .count();
        first[..len].to_string()
    }

    #[test]
    fn names_that_pass_for_ids_or_other_devices_are_shown_with_an_id_suffix() {
        // Given a laptop paired first, then devices named like it, like an
        // id, like the laptop's id prefix, and like a suffixed label.
        let (laptop, twin, hexy, prefix, mimic, plain) = (id(1), id(2), id(3), id(4), id(5), id(6));
        let mimicked = format!("Laptop ({})", &laptop[..8]);
        let (_dir, db) = table(&[
            (&laptop, "Laptop"),
            (&twin, "laptop"),
            (&hexy, "deadbeef00"),
            (&prefix, &laptop[..5]),
            (&mimic, &mimicked),
            (&plain, "Phone"),
        ]);
        // When the devices are listed.
        let shown: HashMap<String, String> = labelled(&db)
            .unwrap()
            .into_iter()
            .map(|(d, _)| (d.id, d.name))
            .collect();
        // Then the first laptop and the phone keep their names, and each of
        // the others shows the first digits of its own id.
        assert_eq!(shown[&laptop], "Laptop");
        assert_eq!(shown[&plain], "Phone");
        assert_eq!(shown[&twin], format!("laptop ({})", &twin[..8]));
        assert_eq!(shown[&hexy], format!("deadbeef00 ({})", &hexy[..8]));
        assert_eq!(
            shown[&prefix],
            format!("{} ({})", &laptop[..5], &prefix[..8])
        );
        assert_eq!(shown[&mimic], format!("{mimicked} ({})", &mimic[..8]));
        // No two are alike, even ignoring case.
        let unique: HashSet<String> = shown.values().map(|n| n.to_lowercase()).collect();
        assert_eq!(unique.len(), shown.len());
        // The name shown finds its device, and so does the own name where
        // only one device has it.
        assert_eq!(find(&db, &shown[&twin]).unwrap().id, twin);
        assert_eq!(find(&db, "laptop").unwrap().id, laptop);
        assert_eq!(find(&db, &mimicked).unwrap().id, mimic);
    }

    #[test]
    fn a_label_already_shown_makes_the_suffix_longer() {
        // Given "Laptop" and the label a twin would get both shown already.
        let twin = id(2);
        let mut taken: HashSet<String> = ["laptop".to_string(), format!("laptop ({})", &twin[..8])]
            .into_iter()
            .collect();
        // When the twin is told apart.
        let labels = distinguish(&[(&twin, "Laptop")], &[&twin], &mut taken);
        // Then it shows more of its id.
        assert_eq!(labels, [format!("Laptop ({})", &twin[..12])]);
        assert!(taken.contains(&labels[0].to_lowercase()));
    }

    #[test]
    fn strangers_nearby_cannot_pass_for_paired_devices() {
        // Given a paired laptop, and two strangers nearby announcing its name.
        let (laptop, a, b) = (id(1), id(2), id(3));
        let (_dir, db) = table(&[(&laptop, "Laptop")]);
        let seen = [
            (laptop.as_str(), "Renamed"),
            (a.as_str(), "Laptop"),
            (b.as_str(), "Laptop"),
        ];
        // Then the paired laptop shows its name here, the strangers their ids.
        let labels = nearby_labels(&db, &seen).unwrap();
        assert_eq!(labels[0], "Laptop");
        assert_eq!(labels[1], format!("Laptop ({})", &a[..8]));
        assert_eq!(labels[2], format!("Laptop ({})", &b[..8]));
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
