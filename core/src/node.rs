//! The node: one device's endpoint, stores and services, behind one handle.

use std::{
    fs::{File, OpenOptions},
    io::{Read, Write},
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use iroh::{Endpoint, EndpointId, SecretKey, protocol::Router};
use iroh_blobs::{BlobsProtocol, store::fs::FsStore};
use tracing::{debug, info, warn};

use crate::{
    collections,
    config::{NodeConfig, host_name},
    data_dir,
    error::NodeError,
    events::{EventBus, Events},
    health,
    nearby::Nearby,
    net,
    pairing::{self, Devices, PairProtocol, PairingState},
    push::{self, Inbox},
    shares::{Access, Shares},
    store::{Db, TransferRecord},
    transfer::Transfers,
};

const LOCK_FILE: &str = "ferry.lock";
const KEY_FILE: &str = "device.key";
const DB_FILE: &str = "ferry.sqlite";
const BLOBS_DIR: &str = "blobs";
const DOCS_DIR: &str = "docs";
/// The blob store's database, as iroh-blobs names it inside `blobs/`.
const BLOBS_DB_FILE: &str = "blobs.db";
/// The docs store's database inside `docs/`.
const DOCS_DB_FILE: &str = "docs.redb";
/// The default author's secret inside `docs/`.
const DEFAULT_AUTHOR_FILE: &str = "default-author";
/// The settings key of the device name given with `--name`.
const NAME_SETTING: &str = "device_name";
/// The settings key of the UDP port this data dir listened on last.
const PORT_SETTING: &str = "port";

/// A running Ferry node. Cheap to clone; every clone is the same node.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use ferry_core::{Node, NodeConfig};
/// let node = Node::start(NodeConfig::new("/tmp/ferry-demo")).await?;
/// println!("device id {}", node.id());
/// node.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Node {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub data_dir: PathBuf,
    pub device_name: String,
    pub endpoint: Endpoint,
    pub router: Router,
    pub store: FsStore,
    pub db: Db,
    pub events: EventBus,
    pub access: Access,
    /// Bounds on the store requests share creation makes at once.
    pub imports: crate::shares::Imports,
    /// The pairing ticket this device shows, if any.
    pub pairing: Arc<PairingState>,
    /// Whether any relay server is configured.
    pub relays: bool,
    /// The relays, discovery and trusted certificates it was started with.
    pub reach: net::Reach,
    shut_down: Mutex<bool>,
    /// Held until shutdown: the OS lock that keeps a second process out.
    lock: File,
    /// Offers from paired devices and how to answer them.
    pub inbox: Inbox,
    /// Whether the outbox is being delivered in the background.
    pub outbox_running: std::sync::atomic::AtomicBool,
    /// Ferry devices seen on the LAN.
    pub nearby: Nearby,
    /// Shared collections: sync engine and open collections.
    pub collections: collections::SyncEngine,
    /// Asks the blob store to drop what nothing needs.
    pub sweeper: Arc<collections::Sweeper>,
}

impl Node {
    /// Starts a node on the data dir of `config`, creating it if needed.
    ///
    /// Fails with [`NodeError::DataDirInUse`] if another process runs a node
    /// on the same data dir.
    pub async fn start(config: NodeConfig) -> Result<Self, NodeError> {
        let data_dir = config.data_dir.clone();
        let io_err = |source| NodeError::DataDir {
            path: data_dir.clone(),
            source,
        };
        data_dir::create_private_dir(&data_dir).map_err(io_err)?;
        let data_dir = std::fs::canonicalize(&data_dir).map_err(io_err)?;
        let lock = lock_data_dir(&data_dir)?;
        prepare_private_files(&data_dir)?;
        let reach = net::Reach::from_config(&config)?;
        let key = load_or_create_key(&data_dir.join(KEY_FILE))?;
        let db = Db::open(&data_dir.join(DB_FILE))?;
        db.fail_abandoned()?;
        let sweeper = Arc::new(collections::Sweeper::default());
        let store = load_store(&data_dir.join(BLOBS_DIR), &sweeper).await?;
        let preferred_port = db
            .setting(PORT_SETTING)?
            .and_then(|p| p.parse::<u16>().ok());
        let endpoint = match net::bind_endpoint(
            key,
            &reach,
            config.bind_addr,
            preferred_port,
            vec![
                iroh_blobs::ALPN.to_vec(),
                pairing::ALPN.to_vec(),
                push::ALPN.to_vec(),
                health::ALPN.to_vec(),
                iroh_docs::ALPN.to_vec(),
                collections::ALPN.to_vec(),
            ],
        )
        .await
        {
            Ok(ep) => ep,
            Err(e) => {
                store.shutdown().await.ok();
                return Err(e);
            }
        };
        if let Some(port) = net::bound_port(&endpoint).filter(|p| Some(*p) != preferred_port) {
            db.set_setting(PORT_SETTING, &port.to_string())?;
        }
        let collections_rt = match start_collections(&endpoint, &store, &data_dir, &db).await {
            Ok(rt) => rt,
            Err(e) => {
                endpoint.close().await;
                store.shutdown().await.ok();
                return Err(e);
            }
        };
        let events = EventBus::new();
        let (access, provider_events) = Access::new(events.clone(), db.clone());
        let blobs = BlobsProtocol::new(&store, Some(provider_events));
        // A name given once is kept for the data dir; the host name is the default.
        let device_name = match config.device_name.filter(|n| !n.trim().is_empty()) {
            Some(name) => {
                let name = crate::names::clean_name(&name);
                db.set_setting(NAME_SETTING, &name)?;
                name
            }
            None => db
                .setting(NAME_SETTING)?
                .filter(|n| !n.is_empty())
                .unwrap_or_else(host_name),
        };
        let pairing_state = Arc::new(PairingState::default());
        let pair = PairProtocol {
            state: pairing_state.clone(),
            db: db.clone(),
            events: events.clone(),
            name: device_name.clone(),
        };

        debug!(id = %endpoint.id().fmt_short(), "node started");
        let ping_db = db.clone();
        let loopback = config.bind_addr.is_some_and(|a| a.ip().is_loopback());
        let nearby = Nearby::start(
            &endpoint,
            &device_name,
            loopback,
            db.clone(),
            events.clone(),
        );
        let inner = Arc::new_cyclic(|weak| {
            sweeper.attach(weak.clone());
            let offers = push::OfferProtocol { node: weak.clone() };
            let router = Router::builder(endpoint.clone())
                .accept(iroh_blobs::ALPN, blobs)
                .accept(pairing::ALPN, pair)
                .accept(push::ALPN, offers)
                .accept(health::ALPN, health::PingProtocol { db: ping_db })
                .accept(
                    iroh_docs::ALPN,
                    collections::DocsGate {
                        node: weak.clone(),
                        docs: collections_rt.docs.clone(),
                        gossip: collections_rt.gossip.clone(),
                    },
                )
                .accept(
                    collections::ALPN,
                    collections::InviteProtocol { node: weak.clone() },
                )
                .spawn();
            Inner {
                data_dir,
                device_name,
                endpoint,
                router,
                store,
                db,
                events,
                access,
                imports: Default::default(),
                pairing: pairing_state,
                relays: config.relay != crate::config::RelayChoice::Disabled,
                reach,
                shut_down: Mutex::new(false),
                lock,
                inbox: Inbox::default(),
                outbox_running: std::sync::atomic::AtomicBool::new(false),
                nearby,
                collections: collections_rt,
                sweeper,
            }
        });
        Ok(Self { inner })
    }

    /// This device's id (its public key).
    pub fn id(&self) -> EndpointId {
        self.inner.endpoint.id()
    }

    /// Where other devices can reach this one (trimmed as for tickets).
    pub async fn addr(&self) -> iroh::EndpointAddr {
        net::ticket_addr_when_ready(&self.inner.endpoint, self.inner.relays).await
    }

    /// Where this device publishes its addresses and finds paired devices
    /// that moved: `off`, `public`, or the URL of a discovery server.
    pub fn discovery(&self) -> String {
        self.inner.reach.discovery_label()
    }

    /// The name other devices see.
    pub fn device_name(&self) -> &str {
        &self.inner.device_name
    }

    /// The data dir, as an absolute path.
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Subscribes to the node's events.
    pub fn events(&self) -> Events {
        self.inner.events.subscribe()
    }

    /// One-shot shares: create them and serve them.
    pub fn shares(&self) -> Shares<'_> {
        Shares { node: self }
    }

    /// Pairing and the trusted devices.
    pub fn devices(&self) -> Devices<'_> {
        Devices { node: self }
    }

    /// Receiving content and the transfer history.
    pub fn transfers(&self) -> Transfers<'_> {
        Transfers { node: self }
    }

    /// The newest `limit` transfers, newest first.
    pub fn history(&self, limit: u32) -> Result<Vec<TransferRecord>, crate::error::StoreError> {
        self.inner.db.transfers(limit)
    }

    /// Tells the node that the network changed (Wi-Fi joined or lost, a new
    /// interface). Platforms where the node cannot watch interfaces itself,
    /// such as Android, call this from their network callback; the node
    /// then re-checks its addresses and paths at once.
    pub async fn network_changed(&self) {
        self.inner.endpoint.network_change().await;
    }

    /// Whether [`Node::shutdown`] was called.
    pub fn is_shut_down(&self) -> bool {
        *self
            .inner
            .shut_down
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Stops serving, closes connections and flushes the stores.
    ///
    /// Safe to call more than once; later calls return at once.
    pub async fn shutdown(&self) {
        {
            let mut shut = self
                .inner
                .shut_down
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if *shut {
                return;
            }
            *shut = true;
        }
        self.inner.collections.stop();
        if let Err(e) = self.inner.router.shutdown().await {
            warn!("router shutdown: {e}");
        }
        self.inner.endpoint.close().await;
        if let Err(e) = self.inner.store.shutdown().await {
            warn!("blob store shutdown: {e}");
        }
        // The stores made their files with the process's umask.
        if let Err(e) = data_dir::repair(&self.inner.data_dir) {
            warn!("making the data dir private: {e}");
        }
        // Everything is flushed: the data dir may be opened again, even by
        // this process while old handles are still around.
        if let Err(e) = self.inner.lock.unlock() {
            warn!("unlocking the data dir: {e}");
        }
    }
}

/// Opens the blob store. Content is never kept inline in its database: a
/// file of any size imported by reference stays where it is (a folder of
/// 100,000 small files must not grow a second copy in the store), and the
/// collector sweeps only when [`collections::Sweeper`] asks.
async fn load_store(
    root: &Path,
    sweeper: &Arc<collections::Sweeper>,
) -> Result<FsStore, NodeError> {
    use iroh_blobs::store::fs::options::{InlineOptions, Options};
    let mut options = Options::new(root);
    options.inline = InlineOptions {
        max_data_inlined: 0,
        ..InlineOptions::default()
    };
    options.gc = Some(sweeper.config());
    // Small write transactions leave fewer pages behind in the store's
    // database: with 10,000 files referenced, 8.2 MiB instead of 10.4 MiB
    // with the default batches (1000 writes, 500 ms), which keeps the data
    // dir under 2 % of a folder of 100 KB files (BENCHMARKS.md).
    options.batch.max_write_batch = 100;
    options.batch.max_write_duration = std::time::Duration::from_millis(100);
    FsStore::load_with_opts(root.join("blobs.db"), options)
        .await
        .map_err(|e| NodeError::BlobStore(e.to_string()))
}

/// Starts the collection sync engine on the node's endpoint and blob
/// store. The engine needs a gossip instance, but gossip is never joined
/// nor served: entries travel only by syncs between members
/// (`collections::DocsGate`).
async fn start_collections(
    endpoint: &Endpoint,
    store: &FsStore,
    data_dir: &Path,
    db: &Db,
) -> Result<collections::SyncEngine, NodeError> {
    let docs_dir = data_dir.join(DOCS_DIR);
    let err = |e: anyhow::Error| NodeError::Sync(format!("{e:#}"));
    let gossip = iroh_gossip::net::Gossip::builder().spawn(endpoint.clone());
    // The engine is built here (not through the docs builder) to keep a
    // handle on its store: local changes are flushed to disk before the
    // folder index records them.
    let replica_store =
        iroh_docs::store::Store::persistent(docs_dir.join(DOCS_DB_FILE)).map_err(err)?;
    let engine = iroh_docs::engine::Engine::spawn(
        endpoint.clone(),
        gossip.clone(),
        replica_store,
        (**store).clone(),
        store.downloader(endpoint),
        iroh_docs::engine::DefaultAuthorStorage::Persistent(docs_dir.join(DEFAULT_AUTHOR_FILE)),
        None,
    )
    .await
    .map_err(err)?;
    // The default author's secret was just written with the umask's mode.
    data_dir::make_private(&docs_dir.join(DEFAULT_AUTHOR_FILE)).map_err(|source| {
        NodeError::DataDir {
            path: docs_dir.join(DEFAULT_AUTHOR_FILE),
            source,
        }
    })?;
    let sync = engine.sync.clone();
    let docs = iroh_docs::protocol::Docs::new(engine);
    let author = docs.author_default().await.map_err(err)?;
    let lookup = iroh::address_lookup::MemoryLookup::new();
    if let Ok(services) = endpoint.address_lookup() {
        services.add(lookup.clone());
    }
    // Paired devices can be dialled by id (content fetches name only ids).
    for device in db.devices()? {
        if let Some(addr) = device.endpoint_addr() {
            lookup.add_endpoint_info(addr);
        }
    }
    Ok(collections::SyncEngine::new(
        docs, sync, gossip, author, lookup,
    ))
}

/// Makes the data dir and everything in it private to its owner (an older
/// data dir, or one whose modes were loosened since), and creates the
/// stores' folders and database files owner-only before the stores open
/// them. Runs with the data dir locked.
fn prepare_private_files(data_dir: &Path) -> Result<(), NodeError> {
    let at = |path: PathBuf| {
        move |source| NodeError::DataDir {
            path: path.clone(),
            source,
        }
    };
    let repaired = data_dir::repair(data_dir).map_err(at(data_dir.to_path_buf()))?;
    if !repaired.changed.is_empty() {
        info!(
            entries = repaired.changed.len(),
            "made the data dir readable by its owner only"
        );
    }
    let blobs = data_dir.join(BLOBS_DIR);
    let docs = data_dir.join(DOCS_DIR);
    for dir in [&blobs, &blobs.join("data"), &blobs.join("temp"), &docs] {
        data_dir::create_private_dir(dir).map_err(at(dir.clone()))?;
    }
    for file in [
        data_dir.join(DB_FILE),
        blobs.join(BLOBS_DB_FILE),
        docs.join(DOCS_DB_FILE),
    ] {
        data_dir::precreate_private_file(&file).map_err(at(file.clone()))?;
    }
    Ok(())
}

fn lock_data_dir(data_dir: &Path) -> Result<File, NodeError> {
    let path = data_dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| NodeError::DataDir {
            path: path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(NodeError::DataDirInUse {
            path: data_dir.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(NodeError::DataDir { path, source }),
    }
}

fn load_or_create_key(path: &Path) -> Result<SecretKey, NodeError> {
    let io_err = |source| NodeError::DataDir {
        path: path.to_path_buf(),
        source,
    };
    match File::open(path) {
        Ok(mut f) => {
            let mut bytes = Vec::with_capacity(32);
            f.read_to_end(&mut bytes).map_err(io_err)?;
            let bytes: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| NodeError::BadKey {
                path: path.to_path_buf(),
                reason: format!("expected 32 bytes, found {}", b.len()),
            })?;
            data_dir::make_private(path).map_err(io_err)?;
            Ok(SecretKey::from_bytes(&bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SecretKey::generate();
            // Write to a temp name and rename, so a crash never leaves half a key.
            let tmp = path.with_extension("key.tmp");
            let mut opts = OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp).map_err(io_err)?;
            f.write_all(&key.to_bytes()).map_err(io_err)?;
            f.sync_all().map_err(io_err)?;
            drop(f);
            std::fs::rename(&tmp, path).map_err(io_err)?;
            Ok(key)
        }
        Err(e) => Err(io_err(e)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::HasKind;
    use crate::config::RelayChoice;

    fn config(dir: &Path) -> NodeConfig {
        let mut config = NodeConfig::new(dir);
        config.relay = RelayChoice::Disabled;
        config.bind_addr = Some("127.0.0.1:0".parse().unwrap());
        config
    }

    #[tokio::test]
    async fn keeps_its_identity_in_a_private_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let node = Node::start(config(dir.path())).await.unwrap();
        let id = node.id();
        assert!(!node.device_name().is_empty());
        node.shutdown().await;
        drop(node);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = Node::start(config(dir.path())).await.unwrap();
        assert_eq!(again.id(), id);
        again.shutdown().await;
    }

    #[tokio::test]
    async fn refuses_a_data_dir_in_use_and_a_bad_relay_url() {
        let dir = tempfile::tempdir().unwrap();
        let node = Node::start(config(dir.path())).await.unwrap();
        let err = Node::start(config(dir.path())).await.unwrap_err();
        assert!(matches!(err, NodeError::DataDirInUse { .. }), "{err}");
        assert!(
            err.to_string()
                .contains(&*node.data_dir().to_string_lossy())
        );
        node.shutdown().await;

        let other = tempfile::tempdir().unwrap();
        let mut bad = config(other.path());
        bad.relay = RelayChoice::Custom("not a url".into());
        let err = Node::start(bad).await.unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{err}");
    }

    #[tokio::test]
    async fn a_lagging_subscriber_is_told_what_it_missed() {
        let dir = tempfile::tempdir().unwrap();
        let node = Node::start(config(dir.path())).await.unwrap();
        let mut events = node.events();
        for _ in 0..2000 {
            node.inner.events.emit(crate::Event::Lagged { missed: 0 });
        }
        match events.recv().await {
            Some(crate::Event::Lagged { missed }) => assert!(missed >= 976, "{missed}"),
            other => panic!("expected a lag report, got {other:?}"),
        }
        node.shutdown().await;
    }
}
