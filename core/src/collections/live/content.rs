//! Content: what this device lacks, fetched from every online member at
//! once, and single files fetched on demand.

use n0_future::BufferedStreamExt;

use super::*;
use crate::collections::fetch::Sink;

/// Questions to the blob store in flight while looking for what is missing.
const STATUS_QUERIES: usize = 32;

impl OpenCollection {
    /// What this device wants and does not have yet.
    pub(super) async fn missing(
        &self,
        node: &Node,
        ignore: &Ignore,
        folder: &Folder,
    ) -> Vec<(Hash, u64)> {
        let pins = if self.dir.is_none() {
            node.inner.db.pins(self.id).unwrap_or_default()
        } else {
            Vec::new()
        };
        let mut seen = HashSet::new();
        // Content taken in already (most of it, every round) costs one
        // lookup, not a match against the ignore patterns.
        let candidates: Vec<(Hash, u64)> = {
            let have = lock(&self.have);
            folder
                .iter()
                .filter(|(_, p)| !have.contains(&p.hash))
                .filter(|(path, _)| {
                    let path: &str = path;
                    if self.dir.is_some() {
                        !ignore.is_ignored(path)
                    } else {
                        pins.iter().any(|p| {
                            p.is_empty() || path == p || path.starts_with(&format!("{p}/"))
                        })
                    }
                })
                .map(|(_, placed)| (placed.hash, placed.size))
                .filter(|(hash, _)| seen.insert(*hash))
                .collect()
        };
        // Stale content waits for its sweep; staged content is here. The
        // store is asked about many at once (a first sync asks about every
        // file).
        let out: Vec<(Hash, u64)> = n0_future::stream::iter(candidates)
            .map(|(hash, size)| async move {
                let lacking =
                    !self.is_stale(&hash) && !self.is_staged(&hash) && !self.has(node, hash).await;
                lacking.then_some((hash, size))
            })
            .buffered_ordered(STATUS_QUERIES)
            .filter_map(|x| x)
            .collect()
            .await;
        out
    }

    pub(super) async fn count_missing(
        &self,
        node: &Node,
        ignore: &Ignore,
        folder: &Folder,
    ) -> Vec<(Hash, u64)> {
        let missing = self.missing(node, ignore, folder).await;
        *lock(&self.pending) = Pending {
            files: missing.len() as u64,
            bytes: missing.iter().map(|(_, s)| s).sum(),
        };
        missing
    }

    pub(super) fn providers(&self, node: &Node) -> Vec<EndpointId> {
        let online: Vec<EndpointId> = lock(&self.online).iter().copied().collect();
        if !online.is_empty() {
            return online;
        }
        self.peers(node).into_iter().map(|p| p.id).collect()
    }

    /// Starts a background download of everything missing, from every
    /// online member at once, unless one runs already.
    pub(super) async fn fetch_missing(
        &self,
        node: &Node,
        ignore: &Ignore,
        folder: &Folder,
        done: mpsc::Sender<bool>,
    ) {
        // One fetch at a time; what it lacks is counted when it ends.
        if self.fetching.load(Ordering::SeqCst) {
            return;
        }
        let missing = self.count_missing(node, ignore, folder).await;
        if missing.is_empty() || self.fetching.swap(true, Ordering::SeqCst) {
            return;
        }
        let providers = self.providers(node);
        if providers.is_empty() {
            self.fetching.store(false, Ordering::SeqCst);
            return;
        }
        let total: u64 = missing.iter().map(|(_, s)| s).sum();
        let files = missing.len() as u64;
        // A folder's content goes straight into the folder.
        let sink = match self.sink(node) {
            Ok(sink) => sink,
            Err(e) => {
                warn!(collection = %self.name, "cannot stage content: {e}");
                self.fetching.store(false, Ordering::SeqCst);
                return;
            }
        };
        let (node, name, fetching) = (node.clone(), self.name.clone(), self.fetching.clone());
        let pending = self.pending.clone();
        let online = self.online.clone();
        tokio::spawn(async move {
            let events = node.inner.events.clone();
            let report = {
                let (events, name) = (events.clone(), name.clone());
                let last = Mutex::new(Instant::now());
                move |f: crate::collections::fetch::Fetched| {
                    let mut last = lock(&last);
                    if last.elapsed() > Duration::from_millis(250) {
                        *last = Instant::now();
                        events.emit(Event::CollectionProgress {
                            collection: name.clone(),
                            files_done: f.files,
                            files_total: files,
                            bytes_done: f.bytes,
                            bytes_total: total,
                        });
                    }
                }
            };
            let got = crate::collections::fetch::fetch(
                &node.inner.endpoint,
                &sink,
                providers,
                missing,
                report,
                move || lock(&online).iter().copied().collect(),
            )
            .await;
            events.emit(Event::CollectionProgress {
                collection: name.clone(),
                files_done: got.files,
                files_total: files,
                bytes_done: got.bytes,
                bytes_total: total,
            });
            events.emit(Event::CollectionFetched {
                collection: name,
                files: got.files,
                bytes: got.bytes,
                sources: got
                    .sources
                    .iter()
                    .map(|(id, n)| crate::events::FetchSource {
                        device: id.to_string(),
                        files: *n,
                    })
                    .collect(),
            });
            *lock(&pending) = Pending {
                files: files.saturating_sub(got.files),
                bytes: total.saturating_sub(got.bytes),
            };
            fetching.store(false, Ordering::SeqCst);
            done.send(got.files > 0).await.ok();
        });
    }

    /// Writes the current content of `path` to `out`, fetching it first if
    /// needed.
    pub async fn fetch_to(
        &self,
        node: &Node,
        path: &str,
        out: &Path,
    ) -> Result<u64, CollectionError> {
        let placed =
            self.model()
                .folder()
                .get(path)
                .cloned()
                .ok_or_else(|| CollectionError::BadPath {
                    path: path.to_string(),
                    reason: "no such file in this collection".into(),
                })?;
        if !self.has(node, placed.hash).await {
            let providers = self.providers(node);
            if providers.is_empty() {
                return Err(CollectionError::Unavailable(path.to_string()));
            }
            crate::collections::fetch::fetch(
                &node.inner.endpoint,
                &Sink::Store(node.inner.store.clone()),
                providers,
                vec![(placed.hash, placed.size)],
                |_| {},
                Vec::new,
            )
            .await;
            if !self.has(node, placed.hash).await {
                return Err(CollectionError::Unavailable(path.to_string()));
            }
        }
        let io = |source| CollectionError::Io {
            path: out.to_path_buf(),
            source,
        };
        let out_abs = std::path::absolute(out).map_err(io)?;
        let parent = out_abs
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let temp = mirror::temp_path(&parent);
        keep::export_verified(node, placed.hash, &temp)
            .await
            .map_err(io)?;
        let (from, to) = (temp.clone(), out_abs.clone());
        tokio::task::spawn_blocking(move || mirror::replace(&from, &to))
            .await
            .map_err(|e| io(std::io::Error::other(e)))?
            .map_err(|e| {
                std::fs::remove_file(&temp).ok();
                io(e)
            })?;
        Ok(placed.size)
    }
    /// Whether the store holds `hash` complete and trusted (not stale).
    pub(super) async fn has(&self, node: &Node, hash: Hash) -> bool {
        if hash == Hash::EMPTY {
            return true;
        }
        if self.is_stale(&hash) {
            return false;
        }
        if lock(&self.have).contains(&hash) {
            return true;
        }
        let complete = matches!(
            node.inner.store.status(hash).await,
            Ok(BlobStatus::Complete { .. })
        );
        if complete {
            lock(&self.have).insert(hash);
        }
        complete
    }
}
