//! Fetching collection content from every member that holds it at once.
//!
//! One connection per member, a few requests in flight on each, all pulling
//! from one queue of files: a fast member serves more, a member without a
//! file passes it on to the others. Every file is verified (BLAKE3) as it
//! streams into the blob store; bytes already there are not fetched again.

use std::{
    collections::VecDeque,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use iroh::{Endpoint, EndpointId};
use iroh_blobs::{Hash, store::fs::FsStore};
use tokio::task::JoinSet;
use tracing::debug;

/// Requests in flight per member.
const PER_MEMBER: usize = 4;
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

/// Fetches `wanted` from `members` over `endpoint` into `store`;
/// `progress` hears (files, bytes) done. Needs nothing else of the node.
pub(crate) async fn fetch(
    endpoint: &Endpoint,
    store: &FsStore,
    members: Vec<EndpointId>,
    wanted: Vec<(Hash, u64)>,
    progress: impl Fn(Fetched) + Send + Sync + 'static,
) -> Round {
    let queue: Arc<Mutex<VecDeque<Item>>> = Arc::new(Mutex::new(
        wanted
            .into_iter()
            .map(|(hash, size)| Item {
                hash,
                size,
                tried: Vec::new(),
            })
            .collect(),
    ));
    let files = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let progress = Arc::new(progress);
    let count = members.len();
    let mut connections = JoinSet::new();
    for member in members {
        let endpoint = endpoint.clone();
        connections.spawn(async move {
            let conn =
                tokio::time::timeout(CONNECT_TIMEOUT, endpoint.connect(member, iroh_blobs::ALPN))
                    .await;
            (member, conn)
        });
    }
    let mut workers = JoinSet::new();
    let mut sources = Vec::new();
    while let Some(joined) = connections.join_next().await {
        let Ok((member, Ok(Ok(conn)))) = joined else {
            debug!("a member could not be reached for content");
            continue;
        };
        let served = Arc::new(AtomicU64::new(0));
        sources.push((member, served.clone()));
        for _ in 0..PER_MEMBER {
            let (queue, files, bytes, progress, served) = (
                queue.clone(),
                files.clone(),
                bytes.clone(),
                progress.clone(),
                served.clone(),
            );
            let (conn, store) = (conn.clone(), store.clone());
            workers.spawn(async move {
                loop {
                    let item = {
                        let mut q = queue.lock().unwrap_or_else(|p| p.into_inner());
                        let Some(i) = q.iter().position(|it| !it.tried.contains(&member)) else {
                            return;
                        };
                        q.remove(i)
                    };
                    let Some(mut item) = item else { return };
                    match store.remote().fetch(conn.clone(), item.hash).await {
                        Ok(_) => {
                            served.fetch_add(1, Ordering::Relaxed);
                            let f = files.fetch_add(1, Ordering::Relaxed) + 1;
                            let b = bytes.fetch_add(item.size, Ordering::Relaxed) + item.size;
                            progress(Fetched { files: f, bytes: b });
                        }
                        Err(e) => {
                            debug!(hash = %item.hash.fmt_short(), "fetch from a member failed: {e}");
                            item.tried.push(member);
                            if item.tried.len() < count {
                                queue
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
    while workers.join_next().await.is_some() {}
    Round {
        files: files.load(Ordering::Relaxed),
        bytes: bytes.load(Ordering::Relaxed),
        sources: sources
            .into_iter()
            .map(|(member, served)| (member, served.load(Ordering::Relaxed)))
            .collect(),
    }
}
