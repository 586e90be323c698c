//! The node: start and stop, shares and receiving, pairing, devices, push
//! and the inbox, history and events.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use ferry_core::{
    AnyTicket, DiscoveryChoice, Node, NodeConfig, PairTicket, RelayChoice, ShareRequest,
};

use crate::{
    AcceptPolicy, DeviceHealth, DeviceInfo, EventListener, EventSubscription, FerryConfig,
    FerryError, NearbyInfo, OfferInfo, ReceiveSummary, ShareInfo, TransferInfo, events, run,
};

/// One device's Ferry node. Start one per data dir; shut it down when done
/// (it also stops when the last reference goes away).
#[derive(Debug, uniffi::Object)]
pub struct FerryNode {
    pub(crate) node: Node,
}

#[uniffi::export]
impl FerryNode {
    /// Starts a node on `config.data_dir` (created if missing).
    ///
    /// Fails with `Storage` when another process uses the data dir and
    /// `InvalidInput` for a bad relay or discovery URL, certificate file or
    /// bind address.
    #[uniffi::constructor]
    pub async fn start(config: FerryConfig) -> Result<Arc<Self>, FerryError> {
        let bind_addr = match config.bind_addr.as_deref() {
            None | Some("") => None,
            Some(text) => Some(
                text.parse()
                    .map_err(|e| FerryError::InvalidInput(format!("bind address {text:?}: {e}")))?,
            ),
        };
        let core = NodeConfig {
            data_dir: PathBuf::from(config.data_dir),
            relay: RelayChoice::parse(&config.relay),
            discovery: DiscoveryChoice::parse(&config.discovery),
            trust_cert: config
                .trust_cert
                .filter(|p| !p.is_empty())
                .map(PathBuf::from),
            device_name: config.device_name,
            bind_addr,
        };
        let node = run(async move { Ok(Node::start(core).await?) }).await?;
        Ok(Arc::new(Self { node }))
    }

    /// This device's id (its public key).
    pub fn id(&self) -> String {
        self.node.id().to_string()
    }

    /// The name other devices see.
    pub fn device_name(&self) -> String {
        self.node.device_name().to_string()
    }

    /// The data dir.
    pub fn data_dir(&self) -> String {
        crate::types::path_text(self.node.data_dir())
    }

    /// Stops serving, closes connections and flushes the stores. Safe to
    /// call more than once.
    pub async fn shutdown(&self) {
        let node = self.node.clone();
        let _ = run(async move {
            node.shutdown().await;
            Ok(())
        })
        .await;
    }

    /// Tells the node the network changed (call from Android's network
    /// callback: iroh cannot watch interfaces there).
    pub async fn network_changed(&self) {
        let node = self.node.clone();
        let _ = run(async move {
            node.network_changed().await;
            Ok(())
        })
        .await;
    }

    /// Delivers every event of this node to `listener` until the returned
    /// subscription is cancelled or dropped.
    pub fn subscribe(&self, listener: Arc<dyn EventListener>) -> Arc<EventSubscription> {
        events::deliver(self.node.events(), listener)
    }

    // ---- one-shot shares and receiving ----

    /// Imports files, folders and text and serves them; the ticket in the
    /// answer lets anyone holding it download them until the node stops.
    /// `ImportProgress` events report hashing.
    pub async fn share(
        &self,
        paths: Vec<String>,
        text: Option<String>,
    ) -> Result<ShareInfo, FerryError> {
        let node = self.node.clone();
        let request = ShareRequest {
            paths: crate::paths(paths),
            text,
        };
        run(async move { Ok(node.shares().create(request).await?.into()) }).await
    }

    /// Connects to the sender of a ticket and reads what it offers, without
    /// downloading it. Receive with [`IncomingShare::receive`].
    pub async fn open_ticket(&self, ticket: String) -> Result<Arc<IncomingShare>, FerryError> {
        let ticket: AnyTicket = ticket.trim().parse()?;
        let node = self.node.clone();
        let offer = run(async move { Ok(node.transfers().offer(&ticket).await?) }).await?;
        Ok(Arc::new(IncomingShare {
            node: self.node.clone(),
            info: OfferInfo::from(&offer),
            offer: Mutex::new(Some(offer)),
        }))
    }

    /// Downloads everything a ticket offers into `out_dir`: verified,
    /// resumable, never overwriting. `ReceiveStarted`, `ReceiveProgress`
    /// and `FileReceived` events report progress. Cancelling the call stops
    /// the transfer; verified data is kept for the next attempt.
    pub async fn receive(
        &self,
        ticket: String,
        out_dir: String,
    ) -> Result<ReceiveSummary, FerryError> {
        let ticket: AnyTicket = ticket.trim().parse()?;
        let node = self.node.clone();
        run(async move {
            let offer = node.transfers().offer(&ticket).await?;
            Ok(node
                .transfers()
                .receive(offer, &PathBuf::from(out_dir))
                .await?
                .into())
        })
        .await
    }

    // ---- pairing and devices ----

    /// Starts showing a pairing ticket (for a QR code), valid for
    /// `valid_for_secs` (at most 600). A new ticket replaces the previous one;
    /// the `Paired` event tells when a device joined.
    pub async fn start_pairing(&self, valid_for_secs: u32) -> Result<String, FerryError> {
        let node = self.node.clone();
        run(async move {
            Ok(node
                .devices()
                .start_pairing(Duration::from_secs(valid_for_secs.into()))
                .await
                .to_string())
        })
        .await
    }

    /// Stops accepting the current pairing ticket.
    pub fn stop_pairing(&self) {
        self.node.devices().stop_pairing();
    }

    /// Pairs with the device showing `ticket`; afterwards both trust each other.
    pub async fn join(&self, ticket: String) -> Result<DeviceInfo, FerryError> {
        let ticket: PairTicket = ticket.trim().parse()?;
        let node = self.node.clone();
        run(async move { Ok(node.devices().join(&ticket).await?.into()) }).await
    }

    /// The paired devices.
    pub fn devices(&self) -> Result<Vec<DeviceInfo>, FerryError> {
        Ok(self
            .node
            .devices()
            .list()?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Renames a paired device (named by name or id prefix) on this device.
    pub fn rename_device(&self, device: String, name: String) -> Result<DeviceInfo, FerryError> {
        Ok(self.node.devices().rename(&device, &name)?.into())
    }

    /// Turns auto-accept of a paired device's pushes on or off.
    pub fn set_auto_accept(&self, device: String, on: bool) -> Result<DeviceInfo, FerryError> {
        Ok(self.node.devices().set_auto_accept(&device, on)?.into())
    }

    /// Forgets a paired device; it is no longer trusted.
    pub fn remove_device(&self, device: String) -> Result<DeviceInfo, FerryError> {
        Ok(self.node.devices().remove(&device)?.into())
    }

    /// Dials every paired device: online or not, route and round-trip time.
    pub async fn probe_devices(&self) -> Result<Vec<DeviceHealth>, FerryError> {
        let node = self.node.clone();
        run(async move {
            Ok(node
                .devices()
                .probe_all()
                .await?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
    }

    /// Ferry devices seen on the local network.
    pub fn nearby(&self) -> Vec<NearbyInfo> {
        self.node
            .devices()
            .nearby()
            .into_iter()
            .map(Into::into)
            .collect()
    }

    /// Starts what a node that keeps running does (the app's service):
    /// answers offers as `policy` says with accepted files going to
    /// `inbox_dir` (none refuses files), delivers the outbox, syncs every
    /// collection (invitations from auto-accept devices go into new folders
    /// under `collections_dir`, none leaves them waiting) and probes the
    /// paired devices every `probe_every_secs` (none: only when asked).
    pub async fn start_services(
        &self,
        policy: AcceptPolicy,
        inbox_dir: Option<String>,
        collections_dir: Option<String>,
        probe_every_secs: Option<u64>,
    ) -> Result<(), FerryError> {
        let node = self.node.clone();
        let services = ferry_core::Services {
            accept: policy.into(),
            inbox_dir: inbox_dir.map(PathBuf::from),
            collections_dir: collections_dir.map(PathBuf::from),
            probe_every: probe_every_secs.map(Duration::from_secs),
        };
        run(async move { Ok(node.start_services(services).await?) }).await
    }

    /// The newest `limit` transfers, newest first.
    pub fn history(&self, limit: u32) -> Result<Vec<TransferInfo>, FerryError> {
        Ok(self
            .node
            .history(limit)?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

impl Drop for FerryNode {
    fn drop(&mut self) {
        if !self.node.is_shut_down() {
            let node = self.node.clone();
            crate::runtime().spawn(async move { node.shutdown().await });
        }
    }
}

/// What a ticket offers, connected and ready to download.
#[derive(Debug, uniffi::Object)]
pub struct IncomingShare {
    node: Node,
    info: OfferInfo,
    offer: Mutex<Option<ferry_core::Offer>>,
}

#[uniffi::export]
impl IncomingShare {
    /// Names, sizes and text, as the sender offers them (sizes verified).
    pub fn info(&self) -> OfferInfo {
        self.info.clone()
    }

    /// Downloads everything into `out_dir`. Can be called once.
    pub async fn receive(&self, out_dir: String) -> Result<ReceiveSummary, FerryError> {
        let offer = self
            .offer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or_else(|| {
                FerryError::InvalidInput(
                    "this offer was already received; open the ticket again".into(),
                )
            })?;
        let node = self.node.clone();
        run(async move {
            Ok(node
                .transfers()
                .receive(offer, &PathBuf::from(out_dir))
                .await?
                .into())
        })
        .await
    }
}
