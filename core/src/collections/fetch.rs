//! Fetching collection content from every member that holds it at once.
//!
//! One connection per member, a few requests in flight on each, all pulling
//! from one queue of files: a fast member serves more, a member without a
//! file passes it on to the others. Every file is verified (BLAKE3) as it
//! streams, into the blob store ([`Sink::Store`], a member without a
//! folder) or straight into the folder's staging area ([`Sink::Folder`]),
//! from where a round moves it to its place: a folder's content is written
//! once, never into the store and out again.

use std::{
    collections::VecDeque,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use std::{collections::HashSet, path::PathBuf};

use bao_tree::io::BaoContentItem;
use iroh::{Endpoint, EndpointId, endpoint::Connection};
use iroh_blobs::{
    Hash,
    get::fsm::{self, BlobContentNext, ConnectedNext, EndBlobNext},
    protocol::GetRequest,
    store::fs::FsStore,
};
use tokio::task::JoinSet;
use tracing::debug;

/// Where fetched content goes.
#[derive(Debug, Clone)]
pub(crate) enum Sink {
    /// Into the blob store.
    Store(FsStore),
    /// Into `staging/<hash>` (written as `<hash>.part`, renamed when
    /// verified whole, synced before it is placed), each finished hash
    /// added to `staged`.
    Folder {
        staging: PathBuf,
        staged: Arc<Mutex<HashSet<Hash>>>,
    },
}

impl Sink {
    async fn fetch(&self, conn: &Connection, hash: Hash, size: u64) -> Result<(), String> {
        match self {
            Self::Store(store) => store
                .remote()
                .fetch(conn.clone(), hash)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Self::Folder { staging, staged } => {
                stage(conn, hash, size, staging).await?;
                staged
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(hash);
                Ok(())
            }
        }
    }
}

/// Downloads one blob into `staging/<hash>`, every leaf verified before it
/// is written; a partial file never has the final name.
async fn stage(
    conn: &Connection,
    hash: Hash,
    size: u64,
    staging: &std::path::Path,
) -> Result<(), String> {
    let hex = hash.to_hex();
    let part = staging.join(format!("{hex}.part"));
    let done = staging.join(hex.as_str());
    let file = crate::safe_path::open_partial(&part).map_err(|e| e.to_string())?;
    file.set_len(0).map_err(|e| e.to_string())?;
    let fetched = async {
        let request = GetRequest::blob(hash);
        let connected = fsm::start(conn.clone(), request, Default::default())
            .next()
            .await
            .map_err(|e| e.to_string())?;
        let ConnectedNext::StartRoot(root) = connected.next().await.map_err(|e| e.to_string())?
        else {
            return Err("the member sent no content".to_string());
        };
        let (mut content, got) = root.next().next().await.map_err(|e| e.to_string())?;
        if got != size {
            return Err(format!(
                "the member has {got} bytes, the version names {size}"
            ));
        }
        let end = loop {
            match content.next().await {
                BlobContentNext::More((next, item)) => {
                    content = next;
                    if let BaoContentItem::Leaf(leaf) = item.map_err(|e| e.to_string())? {
                        write_at(&file, leaf.offset, &leaf.data).map_err(|e| e.to_string())?;
                    }
                }
                BlobContentNext::Done(end) => break end,
            }
        };
        if let EndBlobNext::Closing(closing) = end.next() {
            closing.next().await.map_err(|e| e.to_string())?;
        }
        // Not synced here: the round that names it in the folder syncs all
        // it places at once (`mirror::sync_staged`); a restart clears what
        // is staged.
        std::fs::rename(&part, &done).map_err(|e| e.to_string())
    }
    .await;
    if fetched.is_err() {
        std::fs::remove_file(&part).ok();
    }
    fetched
}

pub(crate) fn write_at(file: &std::fs::File, offset: u64, data: &[u8]) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        file.write_all_at(data, offset)
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::FileExt;
        let mut done = 0;
        while done < data.len() {
            done += file.seek_write(&data[done..], offset + done as u64)?;
        }
        Ok(())
    }
}

/// Requests in flight per member: small files are many round trips.
const PER_MEMBER: usize = 16;
/// How long the first member to answer waits for the others.
const GRACE: Duration = Duration::from_millis(250);
/// How often a long fetch looks for members that came online.
const LOOK_FOR_MEMBERS: Duration = Duration::from_secs(1);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct Item {
    hash: Hash,
    size: u64,
    /// Members that failed to deliver it.
    tried: Vec<EndpointId>,
}

/// Progress of a fetch round.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Fetched {
    pub files: u64,
    pub bytes: u64,
}

/// What a fetch round brought, and from whom.
#[derive(Debug, Default, Clone)]
pub(crate) struct Round {
    pub files: u64,
    pub bytes: u64,
    /// Files each member served.
    pub sources: Vec<(EndpointId, u64)>,
}

/// What the workers of a fetch round share.
struct Shared<P> {
    queue: Mutex<VecDeque<Item>>,
    files: AtomicU64,
    bytes: AtomicU64,
    progress: P,
    sink: Sink,
    /// Members in the round.
    members: AtomicUsize,
}

/// Starts the workers of one connected member.
fn spawn_workers<P: Fn(Fetched) + Send + Sync + 'static>(
    workers: &mut JoinSet<()>,
    sources: &mut Vec<(EndpointId, Arc<AtomicU64>)>,
    member: EndpointId,
    conn: Connection,
    shared: &Arc<Shared<P>>,
) {
    let served = Arc::new(AtomicU64::new(0));
    sources.push((member, served.clone()));
    for _ in 0..PER_MEMBER {
        let (shared, served, conn) = (shared.clone(), served.clone(), conn.clone());
        workers.spawn(async move {
            loop {
                let item = {
                    let mut q = shared.queue.lock().unwrap_or_else(|p| p.into_inner());
                    let Some(i) = q.iter().position(|it| !it.tried.contains(&member)) else {
                        return;
                    };
                    q.remove(i)
                };
                let Some(mut item) = item else { return };
                match shared.sink.fetch(&conn, item.hash, item.size).await {
                    Ok(_) => {
                        served.fetch_add(1, Ordering::Relaxed);
                        let f = shared.files.fetch_add(1, Ordering::Relaxed) + 1;
                        let b = shared.bytes.fetch_add(item.size, Ordering::Relaxed) + item.size;
                        (shared.progress)(Fetched { files: f, bytes: b });
                    }
                    Err(e) => {
                        debug!(hash = %item.hash.fmt_short(), "fetch from a member failed: {e}");
                        item.tried.push(member);
                        if item.tried.len() < shared.members.load(Ordering::Relaxed) {
                            shared
                                .queue
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push_back(item);
                        }
                        if conn.close_reason().is_some() {
                            return;
                        }
                    }
                }
            }
        });
    }
}

/// Fetches `wanted` from `members` over `endpoint` into `sink`;
/// `progress` hears (files, bytes) done; `more` names the members online
/// now, asked now and then: one that comes online during a long fetch joins
/// it. Needs nothing else of the node.
pub(crate) async fn fetch(
    endpoint: &Endpoint,
    sink: &Sink,
    members: Vec<EndpointId>,
    wanted: Vec<(Hash, u64)>,
    progress: impl Fn(Fetched) + Send + Sync + 'static,
    more: impl Fn() -> Vec<EndpointId>,
) -> Round {
    let shared = Arc::new(Shared {
        queue: Mutex::new(
            wanted
                .into_iter()
                .map(|(hash, size)| Item {
                    hash,
                    size,
                    tried: Vec::new(),
                })
                .collect(),
        ),
        files: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        progress,
        sink: sink.clone(),
        members: AtomicUsize::new(0),
    });
    let mut known = HashSet::new();
    let mut connections = JoinSet::new();
    let connect = |connections: &mut JoinSet<_>, member: EndpointId| {
        shared.members.fetch_add(1, Ordering::Relaxed);
        let endpoint = endpoint.clone();
        connections.spawn(async move {
            let conn =
                tokio::time::timeout(CONNECT_TIMEOUT, endpoint.connect(member, iroh_blobs::ALPN))
                    .await;
            (member, conn)
        });
    };
    for member in members {
        if known.insert(member) {
            connect(&mut connections, member);
        }
    }
    let mut workers = JoinSet::new();
    let mut sources = Vec::new();
    // Work starts once every member answered (or a moment after the first
    // did), so that no member drains the queue before another is there.
    let mut waiting = Vec::new();
    let mut started = false;
    let mut grace = None::<tokio::time::Instant>;
    let mut look = tokio::time::interval(LOOK_FOR_MEMBERS);
    look.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if !started && connections.is_empty() {
            // Every member answered within the moment.
            started = true;
            for (member, conn) in waiting.drain(..) {
                spawn_workers(&mut workers, &mut sources, member, conn, &shared);
            }
        }
        if started && connections.is_empty() && workers.is_empty() {
            break;
        }
        let moment = async {
            match grace {
                Some(until) if !started => tokio::time::sleep_until(until).await,
                _ => std::future::pending().await,
            }
        };
        tokio::select! {
            Some(joined) = connections.join_next(), if !connections.is_empty() => {
                let Ok((member, Ok(Ok(conn)))) = joined else {
                    debug!("a member could not be reached for content");
                    continue;
                };
                if started {
                    spawn_workers(&mut workers, &mut sources, member, conn, &shared);
                } else {
                    grace.get_or_insert(tokio::time::Instant::now() + GRACE);
                    waiting.push((member, conn));
                }
            }
            () = moment => {
                // The moment is over: work starts, and a member answering
                // later joins in.
                started = true;
                for (member, conn) in waiting.drain(..) {
                    spawn_workers(&mut workers, &mut sources, member, conn, &shared);
                }
            }
            Some(_) = workers.join_next(), if !workers.is_empty() => {}
            _ = look.tick(), if started => {
                let queued = !shared.queue.lock().unwrap_or_else(|p| p.into_inner()).is_empty();
                for member in more() {
                    if queued && known.insert(member) {
                        connect(&mut connections, member);
                    }
                }
            }
        }
    }
    Round {
        files: shared.files.load(Ordering::Relaxed),
        bytes: shared.bytes.load(Ordering::Relaxed),
        sources: sources
            .into_iter()
            .map(|(member, served)| (member, served.load(Ordering::Relaxed)))
            .collect(),
    }
}
