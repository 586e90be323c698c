//! Push: offering files, folders, text or a link to a paired device.
//!
//! The pushing device imports the content as a share served only to the
//! receiving device, dials it on `ferry/offer/1` and sends an offer: names,
//! count, total size, and any text inline. The receiver refuses a device
//! that is not paired before reading anything. Otherwise it decides (its
//! inbox policy, the device's auto-accept switch, or the user), answers,
//! and on acceptance fetches the files from the pusher with the same
//! verified, resumable download as a ticket, reporting progress back on
//! the offer stream until done.
//!
//! Frames on the stream are a 4-byte big-endian length and a postcard
//! message.

use std::{
    collections::{BTreeMap, HashMap},
    net::SocketAddr,
    path::PathBuf,
    sync::{
        Mutex, Weak,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use iroh::{
    EndpointAddr, EndpointId, RelayUrl,
    endpoint::{Connection, SendStream},
    protocol::{AcceptError, ProtocolHandler},
};
use iroh_blobs::Hash;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::{
    error::ErrorKind,
    events::{DeviceRef, Event},
    net::{
        self, frame,
        ticket::{AnyTicket, ShareTicket},
    },
    node::{Inner, Node},
    pairing::DeviceError,
    shares::{ShareError, ShareRequest},
    store::Device,
    transfer::ReceiveError,
};

/// The offer protocol's ALPN.
pub const ALPN: &[u8] = b"ferry/offer/1";

mod outbox;
pub use outbox::{PushOutcome, QUEUE_FOR};

/// At most this many names travel in an offer.
const MAX_NAMES: usize = 1000;

/// The longest text accepted inline.
const MAX_TEXT: usize = 64 * 1024;

/// The most offers from one device open at once (waiting for an answer or
/// being received); each holds its names (up to a frame, 1 MiB) and a
/// connection, so a device offering without end is refused, not kept.
const MAX_OFFERS_PER_DEVICE: usize = 4;

/// The most offers open at once from all devices.
const MAX_OFFERS: usize = 32;

/// How long an offer waits for someone to answer it.
const ASK_TIMEOUT: Duration = Duration::from_secs(300);

/// How a node answers offers from paired devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AcceptPolicy {
    /// Accept at once from devices with auto-accept on; ask about the rest
    /// (see [`crate::Transfers::respond`]).
    Ask,
    /// Accept from devices with auto-accept on; reject the rest.
    Trusted,
    /// Reject every offer. The default while no front end listens.
    #[default]
    Never,
}

#[derive(Serialize, Deserialize)]
struct OfferMsg {
    addrs: Vec<SocketAddr>,
    relay: Option<RelayUrl>,
    root: Option<Hash>,
    files: u64,
    bytes: u64,
    names: Vec<String>,
    text: Option<String>,
}

#[derive(Serialize, Deserialize)]
enum Reply {
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

/// An error pushing to a device.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The device is not paired (or the name is wrong).
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The content could not be read.
    #[error(transparent)]
    Share(#[from] ShareError),
    /// The device could not be reached.
    #[error("{0}")]
    Offline(String),
    /// A push was to be queued for no time at all.
    #[error("a queued push must wait at least 1 second")]
    NoTimeToWait,
    /// The device does not trust this one.
    #[error("{0} does not trust this device (not paired, or removed); pair again")]
    NotTrusted(String),
    /// The device said no.
    #[error("{device} rejected the offer: {reason}")]
    Rejected {
        /// The device's name.
        device: String,
        /// What it said.
        reason: String,
    },
    /// The device accepted but receiving failed there.
    #[error("{device} could not receive it: {message}")]
    Failed {
        /// The device's name.
        device: String,
        /// Its error.
        message: String,
    },
    /// The connection broke or the other side broke the protocol.
    #[error("the connection to {device} failed: {message}")]
    Network {
        /// The device's name.
        device: String,
        /// What happened.
        message: String,
    },
}

impl PushError {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Device(e) => e.kind(),
            Self::Share(e) => e.kind(),
            Self::Offline(_) => ErrorKind::Offline,
            Self::Network { .. } => ErrorKind::Network,
            Self::NoTimeToWait => ErrorKind::InvalidInput,
            Self::NotTrusted(_) | Self::Rejected { .. } => ErrorKind::Rejected,
            Self::Failed { .. } => ErrorKind::Storage,
        }
    }
}

/// How a push ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
pub struct PushReport {
    /// Files now in place on the receiver.
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
    /// Payload bytes that crossed the network.
    pub bytes_transferred: u64,
}

/// An offer from a paired device that waits for an answer or is being
/// received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
pub struct PendingOffer {
    /// The offer's id.
    pub offer_id: u64,
    /// Who offers it.
    pub from: DeviceRef,
    /// How many files.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// The first names.
    pub names: Vec<String>,
    /// The text, for a text or link offer.
    pub text: Option<String>,
    /// `waiting` for an answer, or `receiving`.
    pub state: OfferPhase,
}

/// Where an offer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OfferPhase {
    /// It waits for an answer.
    Waiting,
    /// It was accepted and is being received.
    Receiving,
}

/// The answer to an offer that waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub accept: bool,
    /// Where the files go instead of the download folder.
    pub out: Option<PathBuf>,
}

/// Offers waiting for an answer, and how to answer new ones.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    settings: Mutex<(AcceptPolicy, Option<PathBuf>)>,
    waiting: Mutex<HashMap<u64, oneshot::Sender<Answer>>>,
    /// Accepted offers still being received, for [`Inbox::cancel`].
    running: Mutex<HashMap<u64, CancellationToken>>,
    /// Every offer from its arrival to its end, for [`Transfers::offers`].
    /// It leaves before the event that ends it is emitted.
    ///
    /// [`Transfers::offers`]: crate::transfer::Transfers::offers
    offers: Mutex<BTreeMap<u64, PendingOffer>>,
    next_id: AtomicU64,
}

/// Takes an offer off the inbox's list however its handling ends.
struct Listed<'a>(&'a Inbox, u64);

impl Drop for Listed<'_> {
    fn drop(&mut self) {
        self.0.forget(self.1);
    }
}

impl Inbox {
    pub fn configure(&self, policy: AcceptPolicy, out: Option<PathBuf>) {
        *self.settings.lock().unwrap_or_else(|p| p.into_inner()) = (policy, out);
    }

    fn settings(&self) -> (AcceptPolicy, Option<PathBuf>) {
        self.settings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Answers a waiting offer; false if no such offer waits.
    pub fn respond(&self, offer_id: u64, answer: Answer) -> bool {
        let waiting = self
            .waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&offer_id);
        waiting.is_some_and(|tx| tx.send(answer).is_ok())
    }

    /// Stops receiving an accepted offer; false if none is being received.
    pub fn cancel(&self, offer_id: u64) -> bool {
        let token = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&offer_id);
        token.map(|t| t.cancel()).is_some()
    }

    fn start_running(&self, offer_id: u64) -> CancellationToken {
        let token = CancellationToken::new();
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(offer_id, token.clone());
        token
    }

    fn stop_running(&self, offer_id: u64) {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&offer_id);
        self.forget(offer_id);
    }

    fn listed(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, PendingOffer>> {
        self.offers.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn forget(&self, offer_id: u64) {
        self.listed().remove(&offer_id);
    }

    /// Lists the offer and opens the slot [`Inbox::respond`] answers,
    /// before anyone hears of it; the reason if the inbox holds as many
    /// offers as it may, from that device ([`MAX_OFFERS_PER_DEVICE`]) or
    /// from all ([`MAX_OFFERS`]).
    fn register(
        &self,
        offer: PendingOffer,
    ) -> Result<(oneshot::Receiver<Answer>, Listed<'_>), String> {
        let offer_id = offer.offer_id;
        let mut listed = self.listed();
        let from_device = listed
            .values()
            .filter(|o| o.from.id == offer.from.id)
            .count();
        if from_device >= MAX_OFFERS_PER_DEVICE {
            return Err(format!(
                "{MAX_OFFERS_PER_DEVICE} offers from this device are open there already; try again when one has ended"
            ));
        }
        if listed.len() >= MAX_OFFERS {
            return Err(format!(
                "{MAX_OFFERS} offers are open there already; try again later"
            ));
        }
        let (tx, rx) = oneshot::channel();
        self.waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(offer_id, tx);
        listed.insert(offer_id, offer);
        drop(listed);
        Ok((rx, Listed(self, offer_id)))
    }

    /// Decides an offer: `Ok(out dir)` to accept, `Err(reason)` to reject.
    async fn decide(
        &self,
        offer_id: u64,
        device: &Device,
        has_files: bool,
        answer: oneshot::Receiver<Answer>,
    ) -> Result<Option<PathBuf>, String> {
        let decision = self.decide_inner(device, has_files, answer).await;
        self.waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&offer_id);
        // Files are received next; a rejection or a text alone ends here.
        let mut listed = self.listed();
        if decision.is_ok() && has_files {
            if let Some(offer) = listed.get_mut(&offer_id) {
                offer.state = OfferPhase::Receiving;
            }
        } else {
            listed.remove(&offer_id);
        }
        drop(listed);
        decision
    }

    async fn decide_inner(
        &self,
        device: &Device,
        has_files: bool,
        answer: oneshot::Receiver<Answer>,
    ) -> Result<Option<PathBuf>, String> {
        let (policy, out) = self.settings();
        if has_files && out.is_none() && policy != AcceptPolicy::Never {
            return Err("this device is not receiving files right now".into());
        }
        let accepted = match policy {
            AcceptPolicy::Never => return Err("this device is not accepting offers".into()),
            AcceptPolicy::Trusted => device.auto_accept,
            AcceptPolicy::Ask if device.auto_accept => true,
            AcceptPolicy::Ask => match tokio::time::timeout(ASK_TIMEOUT, answer).await {
                Ok(Ok(Answer {
                    accept: true,
                    out: Some(dir),
                })) => return Ok(Some(dir)),
                Ok(Ok(answer)) => answer.accept,
                _ => return Err("nobody answered in time".into()),
            },
        };
        if accepted {
            Ok(out)
        } else {
            Err("declined".into())
        }
    }
}

/// What the inbox shows of an offer: at most [`MAX_NAMES`] names, escaped
/// for display, and the text only if it is at most [`MAX_TEXT`] long, without
/// control characters other than newlines and tabs.
fn listing(offer: &OfferMsg, offer_id: u64, from: DeviceRef) -> PendingOffer {
    PendingOffer {
        offer_id,
        from,
        files: offer.files,
        bytes: offer.bytes,
        names: offer
            .names
            .iter()
            .take(MAX_NAMES)
            .map(|n| n.escape_debug().to_string())
            .collect(),
        text: offer
            .text
            .as_ref()
            .filter(|t| t.len() <= MAX_TEXT)
            .map(|t| t.replace(|c: char| c.is_control() && c != '\n' && c != '\t', "")),
        state: OfferPhase::Waiting,
    }
}

/// Reads an offer frame's body and lists it as the receiving side does,
/// and a reply frame's body as the pushing side does (an entry point for
/// the fuzz targets); the listing must keep its bounds.
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_offer(body: &[u8]) {
    let _ = frame::decode::<Reply>(body);
    let Ok(offer) = frame::decode::<OfferMsg>(body) else {
        return;
    };
    let from = DeviceRef {
        id: String::new(),
        name: String::new(),
    };
    let listed = listing(&offer, 1, from);
    assert!(listed.names.len() <= MAX_NAMES);
    for name in &listed.names {
        let hidden = |c: char| c.is_control() || crate::pairing::is_format_char(c);
        assert!(!name.chars().any(hidden), "{name:?}");
    }
    if let Some(text) = &listed.text {
        assert!(text.len() <= MAX_TEXT);
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
        );
    }
}

/// Bodies of real offer and reply frames, to seed the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_seed_frames() -> Vec<Vec<u8>> {
    let offer = OfferMsg {
        addrs: vec![SocketAddr::from(([192, 168, 1, 20], 41000))],
        relay: "https://relay.example".parse().ok(),
        root: Some(Hash::new(b"root")),
        files: 2,
        bytes: 7,
        names: vec!["album/a.jpg".into(), "empty/".into()],
        text: Some("https://example.com/\u{202e}gpj.exe".into()),
    };
    let replies = [
        Reply::Accepted,
        Reply::Rejected {
            reason: "declined".into(),
        },
        Reply::Progress {
            bytes_done: 1,
            bytes_total: 2,
        },
        Reply::Done {
            files: 1,
            bytes: 2,
            bytes_transferred: 3,
        },
        Reply::Failed {
            message: "disk full".into(),
        },
    ];
    std::iter::once(postcard::to_stdvec(&offer))
        .chain(replies.iter().map(postcard::to_stdvec))
        .filter_map(Result::ok)
        .collect()
}

/// The receiving side of `ferry/offer/1`.
#[derive(Debug, Clone)]
pub(crate) struct OfferProtocol {
    pub node: Weak<Inner>,
}

impl ProtocolHandler for OfferProtocol {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let Some(inner) = self.node.upgrade() else {
            return Ok(());
        };
        let node = Node { inner };
        let peer = conn.remote_id();
        // Strangers are turned away before anything they sent is read.
        let device = match crate::pairing::paired_device(&node.inner.db, &peer.to_string()) {
            Ok(Some(device)) => device,
            Ok(None) => {
                net::refuse_stranger(&conn, &node.inner.events);
                return Ok(());
            }
            Err(e) => {
                conn.close(1u32.into(), b"storage");
                return Err(AcceptError::from_err(e));
            }
        };
        let (send, mut recv) = conn.accept_bi().await?;
        let offer: OfferMsg = match frame::read(&mut recv).await {
            Ok(Some(offer)) => offer,
            _ => {
                conn.close(1u32.into(), b"bad offer");
                return Ok(());
            }
        };
        receive_offer(&node, &conn, send, device, peer, offer).await;
        Ok(())
    }
}

async fn receive_offer(
    node: &Node,
    conn: &Connection,
    mut send: SendStream,
    device: Device,
    peer: EndpointId,
    offer: OfferMsg,
) {
    let inner = &node.inner;
    let mut addrs = offer.addrs.clone();
    addrs.truncate(8);
    if !addrs.is_empty() {
        let _ = inner.db.set_device_addrs(&device.id, &addrs);
    }
    let offer_id = inner.inbox.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let from = DeviceRef {
        id: device.id.clone(),
        name: device.name.clone(),
    };
    let listed = listing(&offer, offer_id, from.clone());
    let text = listed.text.clone();
    let event = Event::OfferReceived {
        offer_id,
        from: from.clone(),
        files: listed.files,
        bytes: listed.bytes,
        names: listed.names.clone(),
        text: text.clone(),
    };
    let (answer, _listed) = match inner.inbox.register(listed) {
        Ok(registered) => registered,
        Err(reason) => {
            // Nobody is asked about an offer beyond the bounds.
            debug!(peer = %peer.fmt_short(), "offer refused: {reason}");
            let _ = frame::write(&mut send, &Reply::Rejected { reason }).await;
            let _ = send.finish();
            let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
            return;
        }
    };
    inner.events.emit(event);
    let decision = inner
        .inbox
        .decide(offer_id, &device, offer.root.is_some(), answer)
        .await;
    let out = match decision {
        Ok(out) => out,
        Err(reason) => {
            let _ = frame::write(
                &mut send,
                &Reply::Rejected {
                    reason: reason.clone(),
                },
            )
            .await;
            let _ = send.finish();
            inner.events.emit(Event::OfferRejected { offer_id, reason });
            let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
            return;
        }
    };
    if frame::write(&mut send, &Reply::Accepted).await.is_err() {
        return;
    }
    inner.events.emit(Event::OfferAccepted { offer_id });
    if let Some(text) = text {
        inner.events.emit(Event::TextReceived {
            offer_id,
            from: from.clone(),
            is_link: net::ticket::is_link(&text),
            text,
        });
    }
    let (Some(root), Some(out)) = (offer.root, out) else {
        let _ = frame::write(
            &mut send,
            &Reply::Done {
                files: 0,
                bytes: 0,
                bytes_transferred: 0,
            },
        )
        .await;
        let _ = send.finish();
        let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
        return;
    };

    // Progress goes back to the pusher from a writer task.
    let (tx, mut rx) = mpsc::channel::<Reply>(16);
    let writer = tokio::spawn(async move {
        while let Some(reply) = rx.recv().await {
            if frame::write(&mut send, &reply).await.is_err() {
                break;
            }
        }
        let _ = send.finish();
        send
    });
    let forward = {
        let mut events = node.events();
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if let Event::ReceiveProgress {
                    offer_id: Some(id),
                    bytes_done,
                    bytes_total,
                    ..
                } = event
                    && id == offer_id
                {
                    let _ = tx.try_send(Reply::Progress {
                        bytes_done,
                        bytes_total,
                    });
                }
            }
        })
    };
    let mut addr = EndpointAddr::new(peer);
    if let Some(relay) = offer.relay {
        addr = addr.with_relay_url(relay);
    }
    for a in addrs {
        addr = addr.with_ip_addr(a);
    }
    let ticket = AnyTicket::Share(ShareTicket {
        addr,
        root,
        text_entry: None,
    });
    let cancel = inner.inbox.start_running(offer_id);
    let result: Result<_, ReceiveError> = tokio::select! {
        result = async {
            let offer = node.transfers().offer(&ticket).await?;
            node.transfers().receive_for(offer, &out, Some(offer_id)).await
        } => result,
        () = cancel.cancelled() => Err(ReceiveError::Cancelled),
    };
    inner.inbox.stop_running(offer_id);
    forward.abort();
    let reply = match &result {
        Ok(report) => {
            inner.events.emit(Event::OfferDone {
                offer_id,
                files: report.files,
                bytes: report.bytes,
                bytes_transferred: report.bytes_transferred,
                out: out.display().to_string(),
            });
            Reply::Done {
                files: report.files,
                bytes: report.bytes,
                bytes_transferred: report.bytes_transferred,
            }
        }
        Err(e) => {
            inner.events.emit(Event::OfferFailed {
                offer_id,
                message: e.to_string(),
            });
            Reply::Failed {
                message: e.to_string(),
            }
        }
    };
    let _ = tx.send(reply).await;
    drop(tx);
    let _ = writer.await;
    let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
}

/// What to push.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushRequest {
    /// Files and folders; each arrives under its own last component.
    pub paths: Vec<PathBuf>,
    /// Text or a link, delivered inline.
    pub text: Option<String>,
}

impl Node {
    /// Pushes to a paired device, named by name or id prefix. Emits
    /// [`Event::PushAccepted`] and [`Event::PushProgress`] on the way.
    pub async fn push(&self, device: &str, request: PushRequest) -> Result<PushReport, PushError> {
        let device = self.devices().find(device)?;
        let addr = device
            .endpoint_addr()
            .ok_or_else(|| DeviceError::NotFound(device.id.clone()))?;
        self.push_to(addr, &device.name, request).await
    }

    /// Pushes to a device at a known address, paired or not (a device that
    /// does not trust this one refuses).
    pub async fn push_to(
        &self,
        addr: EndpointAddr,
        name: &str,
        request: PushRequest,
    ) -> Result<PushReport, PushError> {
        let to = DeviceRef {
            id: addr.id.to_string(),
            name: name.to_string(),
        };
        if request.paths.is_empty() && request.text.is_none() {
            return Err(ShareError::Empty.into());
        }
        let share = if request.paths.is_empty() {
            None
        } else {
            Some(
                self.shares()
                    .create_for(
                        ShareRequest {
                            paths: request.paths.clone(),
                            text: None,
                        },
                        Some(addr.id),
                    )
                    .await?,
            )
        };
        // Served to the device while the push runs, and not after: also
        // when the push is dropped half-way (a cancelled operation).
        let _grant = share.as_ref().map(|s| PushGrant {
            node: self.clone(),
            root: s.root,
            peer: addr.id,
        });
        self.offer_share(addr, &to, share.as_ref(), request.text)
            .await
    }

    async fn offer_share(
        &self,
        addr: EndpointAddr,
        to: &DeviceRef,
        share: Option<&crate::shares::Share>,
        text: Option<String>,
    ) -> Result<PushReport, PushError> {
        let inner = &self.inner;
        let network = |message: String| PushError::Network {
            device: to.name.clone(),
            message,
        };
        let conn = net::dial(&inner.endpoint, addr, ALPN)
            .await
            .map_err(|e| PushError::Offline(format!("cannot reach {}: {e}", to.name)))?;
        let refused = |conn: &Connection| -> Option<PushError> {
            match conn.close_reason() {
                Some(iroh::endpoint::ConnectionError::ApplicationClosed(c))
                    if c.error_code == net::NOT_PAIRED.into() =>
                {
                    Some(PushError::NotTrusted(to.name.clone()))
                }
                _ => None,
            }
        };
        let own = net::ticket_addr_when_ready(&inner.endpoint, inner.relays).await;
        let offer = OfferMsg {
            addrs: own.ip_addrs().copied().collect(),
            relay: own.relay_urls().next().cloned(),
            root: share.map(|s| s.root),
            files: share.map_or(0, |s| s.files),
            bytes: share.map_or(0, |s| s.bytes),
            names: share
                .map(|s| {
                    s.entries
                        .iter()
                        .take(MAX_NAMES)
                        .map(|(n, _)| n.clone())
                        .collect()
                })
                .unwrap_or_default(),
            text,
        };
        let opened = async {
            let (mut send, recv) = conn.open_bi().await.map_err(|e| e.to_string())?;
            frame::write(&mut send, &offer).await?;
            Ok::<_, String>((send, recv))
        }
        .await;
        let (mut send, mut recv) = match opened {
            Ok(pair) => pair,
            Err(e) => return Err(refused(&conn).unwrap_or_else(|| network(e))),
        };
        inner.events.emit(Event::PushOffered { to: to.clone() });
        let first = frame::read::<Reply>(&mut recv).await;
        match first {
            Ok(Some(Reply::Accepted)) => {
                inner.events.emit(Event::PushAccepted { to: to.clone() });
            }
            Ok(Some(Reply::Rejected { reason })) => {
                conn.close(0u32.into(), b"bye");
                return Err(PushError::Rejected {
                    device: to.name.clone(),
                    reason,
                });
            }
            Ok(_) => return Err(network("the other device broke the protocol".into())),
            Err(e) => return Err(refused(&conn).unwrap_or_else(|| network(e))),
        }
        let result = loop {
            match frame::read::<Reply>(&mut recv).await {
                Ok(Some(Reply::Progress {
                    bytes_done,
                    bytes_total,
                })) => inner.events.emit(Event::PushProgress {
                    to: to.clone(),
                    bytes_done,
                    bytes_total,
                }),
                Ok(Some(Reply::Done {
                    files,
                    bytes,
                    bytes_transferred,
                })) => {
                    break Ok(PushReport {
                        files,
                        bytes,
                        bytes_transferred,
                    });
                }
                Ok(Some(Reply::Failed { message })) => {
                    break Err(PushError::Failed {
                        device: to.name.clone(),
                        message,
                    });
                }
                Ok(Some(_)) => continue,
                Ok(None) => break Err(network("the other device hung up".into())),
                Err(e) => break Err(network(e)),
            }
        };
        let _ = send.finish();
        conn.close(0u32.into(), b"bye");
        debug!(to = %to.name, ok = result.is_ok(), "push finished");
        result
    }
}

impl crate::transfer::Transfers<'_> {
    /// Sets how offers from paired devices are answered and where accepted
    /// files go.
    pub fn set_inbox(&self, policy: AcceptPolicy, out: Option<PathBuf>) {
        self.node.inner.inbox.configure(policy, out);
    }

    /// How offers are answered now, and where accepted files go.
    pub fn inbox(&self) -> (AcceptPolicy, Option<PathBuf>) {
        self.node.inner.inbox.settings()
    }

    /// Answers an offer that waits for the user (policy [`AcceptPolicy::Ask`]);
    /// false if no such offer waits.
    pub fn respond(&self, offer_id: u64, accept: bool) -> bool {
        self.node
            .inner
            .inbox
            .respond(offer_id, Answer { accept, out: None })
    }

    /// Accepts an offer that waits, with its files going into `out`
    /// instead of the download folder; false if no such offer waits.
    pub fn accept_into(&self, offer_id: u64, out: PathBuf) -> bool {
        self.node.inner.inbox.respond(
            offer_id,
            Answer {
                accept: true,
                out: Some(out),
            },
        )
    }

    /// Offers from paired devices that wait for an answer or are being
    /// received, oldest first.
    pub fn offers(&self) -> Vec<PendingOffer> {
        self.node.inner.inbox.listed().values().cloned().collect()
    }

    /// Stops receiving an accepted offer: the sender is told it failed and
    /// [`Event::OfferFailed`] follows. Verified files already in place stay.
    /// False if no such offer is being received.
    pub fn cancel(&self, offer_id: u64) -> bool {
        self.node.inner.inbox.cancel(offer_id)
    }
}

/// A push's share, stopped when the push ends however it ends.
struct PushGrant {
    node: Node,
    root: Hash,
    peer: EndpointId,
}

impl Drop for PushGrant {
    fn drop(&mut self) {
        self.node.shares().stop_for(&self.root, self.peer);
    }
}
