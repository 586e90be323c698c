//! The receiving side: the inbox of offers from paired devices (policy,
//! answers, the list of offers that wait or are being received) and the
//! `ferry/offer/1` handler that fetches what was accepted.

use super::*;

/// The most offers from one device open at once (waiting for an answer or
/// being received); each holds its names (up to a frame, 1 MiB) and a
/// connection, so a device offering without end is refused, not kept.
const MAX_OFFERS_PER_DEVICE: usize = 4;

/// The most offers open at once from all devices.
const MAX_OFFERS: usize = 32;

/// How long an offer waits for someone to answer it.
const ASK_TIMEOUT: Duration = Duration::from_secs(300);

/// An offer from a paired device that waits for an answer or is being
/// received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// How offers from paired devices are answered, and where accepted files
/// go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxRule {
    /// Ask, accept from trusted devices, or never.
    pub policy: AcceptPolicy,
    /// Where accepted files go; None when no folder is set.
    pub download_dir: Option<PathBuf>,
}

/// Offers waiting for an answer, and how to answer new ones.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    settings: Mutex<InboxRule>,
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
        *self.settings.lock().unwrap_or_else(|p| p.into_inner()) = InboxRule {
            policy,
            download_dir: out,
        };
    }

    fn settings(&self) -> InboxRule {
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
        let InboxRule {
            policy,
            download_dir: out,
        } = self.settings();
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
        let hidden = |c: char| c.is_control() || crate::names::is_format_char(c);
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
        is_link: text.as_deref().is_some_and(crate::is_link),
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

impl crate::transfer::Transfers<'_> {
    /// Sets how offers from paired devices are answered and where accepted
    /// files go.
    pub fn set_inbox(&self, policy: AcceptPolicy, out: Option<PathBuf>) {
        self.node.inner.inbox.configure(policy, out);
    }

    /// How offers are answered now, and where accepted files go.
    pub fn inbox(&self) -> InboxRule {
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
