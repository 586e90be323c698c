//! A scripted sender built straight on iroh-blobs, for what `ferry send`
//! never does: hostile names, corrupted content, a slow link.

use std::time::Duration;

use anyhow::{Context, Result};
use iroh::{
    Endpoint, EndpointAddr, RelayMode,
    endpoint::{Connection, PortmapperConfig, presets},
    protocol::{AcceptError, ProtocolHandler, Router},
};
use iroh_blobs::{
    BlobFormat, BlobsProtocol,
    api::{TempTag, blobs::AddPathOptions, proto::ImportMode},
    format::collection::Collection,
    provider::events::{EventMask, EventSender, ProviderMessage, ThrottleMode},
    store::fs::FsStore,
    ticket::BlobTicket,
};

/// How the test sender misbehaves.
#[derive(Debug, Clone, Default)]
pub struct SenderOptions {
    /// Sleep this long before each 16 KiB chunk group is sent.
    pub delay_per_group: Option<Duration>,
    /// Serve through a relay-like proxy that flips one byte of every
    /// response longer than [`CORRUPT_AT`] bytes, so what arrives no longer
    /// matches its hash.
    pub corrupt: bool,
}

/// The response offset at which a corrupting sender flips a byte.
pub const CORRUPT_AT: u64 = 600_000;

/// A peer serving one collection on loopback.
#[derive(Debug)]
pub struct TestSender {
    /// A `blob…` ticket for the collection.
    pub ticket: String,
    router: Router,
    proxy: Option<Router>,
    store: FsStore,
    _tags: Vec<TempTag>,
    _dir: tempfile::TempDir,
}

impl TestSender {
    /// Serves `entries` (name, content) as one collection, names unchecked.
    pub async fn start(entries: Vec<(String, Vec<u8>)>, options: SenderOptions) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let store = FsStore::load(dir.path().join("store")).await?;
        let mut tags = Vec::new();
        let mut named = Vec::new();
        for (i, (name, data)) in entries.into_iter().enumerate() {
            let path = dir.path().join(format!("file-{i}"));
            std::fs::write(&path, &data)?;
            let tag = store
                .add_path_with_opts(AddPathOptions {
                    path: path.clone(),
                    format: BlobFormat::Raw,
                    mode: ImportMode::TryReference,
                })
                .temp_tag()
                .await?;
            named.push((name, tag.hash()));
            tags.push(tag);
        }
        let collection: Collection = named.into_iter().collect();
        let root = collection.store(&store).await?;
        let events = options.delay_per_group.map(throttle);
        let endpoint = loopback_endpoint().await?;
        let mut addr = endpoint.addr();
        let blobs = BlobsProtocol::new(&store, events);
        let router = Router::builder(endpoint)
            .accept(iroh_blobs::ALPN, blobs)
            .spawn();
        let proxy = if options.corrupt {
            let front = loopback_endpoint().await?;
            let front_addr = front.addr();
            let handler = CorruptingProxy {
                client: front.clone(),
                upstream: addr,
            };
            addr = front_addr;
            Some(
                Router::builder(front)
                    .accept(iroh_blobs::ALPN, handler)
                    .spawn(),
            )
        } else {
            None
        };
        let ticket = BlobTicket::new(addr, root.hash(), BlobFormat::HashSeq).to_string();
        tags.push(root);
        Ok(Self {
            ticket,
            router,
            proxy,
            store,
            _tags: tags,
            _dir: dir,
        })
    }

    /// Stops serving and flushes the store.
    pub async fn shutdown(self) -> Result<()> {
        if let Some(proxy) = self.proxy {
            proxy.shutdown().await.context("proxy shutdown")?;
        }
        self.router.shutdown().await.context("router shutdown")?;
        // The router's shutdown already closed the store; this only makes sure.
        self.store.shutdown().await.ok();
        Ok(())
    }
}

async fn loopback_endpoint() -> Result<Endpoint> {
    let endpoint = Endpoint::builder(presets::Minimal)
        .relay_mode(RelayMode::Disabled)
        .portmapper_config(PortmapperConfig::Disabled)
        .clear_ip_transports()
        .bind_addr("127.0.0.1:0")?
        .bind()
        .await?;
    for _ in 0..100 {
        if endpoint.addr().ip_addrs().next().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(endpoint)
}

/// Forwards every request to the real provider and flips one byte of each
/// long response on the way back.
#[derive(Debug, Clone)]
struct CorruptingProxy {
    client: Endpoint,
    upstream: EndpointAddr,
}

impl ProtocolHandler for CorruptingProxy {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let upstream = self
            .client
            .connect(self.upstream.clone(), iroh_blobs::ALPN)
            .await
            .map_err(AcceptError::from_err)?;
        while let Ok((mut send, mut recv)) = conn.accept_bi().await {
            let (mut up_send, mut up_recv) =
                upstream.open_bi().await.map_err(AcceptError::from_err)?;
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut recv, &mut up_send).await;
                let _ = up_send.finish();
            });
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut at = 0u64;
                while let Ok(Some(n)) = up_recv.read(&mut buf).await {
                    let end = at + n as u64;
                    if (at..end).contains(&CORRUPT_AT) {
                        buf[(CORRUPT_AT - at) as usize] ^= 0x5a;
                    }
                    if send.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                    at = end;
                }
                let _ = send.finish();
            });
        }
        Ok(())
    }
}

fn throttle(delay: Duration) -> EventSender {
    let mask = EventMask {
        throttle: ThrottleMode::Intercept,
        ..EventMask::DEFAULT
    };
    let (sender, mut rx) = EventSender::channel(64, mask);
    tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            if let ProviderMessage::Throttle(msg) = msg {
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    msg.tx.send(Ok(())).await.ok();
                });
            }
        }
    });
    sender
}
