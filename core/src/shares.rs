//! One-shot shares: files, folders and a text snippet as one collection.
//!
//! Creating a share walks the given paths, imports every file into the blob
//! store in parallel (files are referenced in place, not copied, when the
//! store allows it), builds an iroh-blobs `Collection` and returns a Ferry
//! ticket plus a plain `blob…` ticket for it. The node then serves exactly
//! the blobs of its live shares and nothing else of its store (see
//! [`Access`]).
//!
//! Collection names use `/` between components. An empty folder is an entry
//! whose name ends in `/` and whose content is the empty blob. Other tools
//! (sendme) cannot write such an entry, so when a share has one, the
//! `blob…` ticket names a second collection of the same files without the
//! folder entries; Ferry's own ticket names the full one.

mod access;
mod walk;

use std::{path::PathBuf, sync::Arc, time::Duration};

use iroh_blobs::{
    BlobFormat, Hash,
    api::{
        TempTag,
        blobs::{AddBytesOptions, AddPathOptions},
        proto::ImportMode,
    },
    format::collection::Collection,
    hashseq::HashSeq,
    ticket::BlobTicket,
};
use n0_future::StreamExt;
use tokio::{sync::Semaphore, task::JoinSet};

pub(crate) use access::{Access, ShareInfo};
use walk::{Item, walk_all};

use crate::{
    error::ErrorKind,
    events::Event,
    net::{self, ticket::ShareTicket},
    node::Node,
};

/// What to put in a share.
#[derive(Debug, Clone, Default)]
pub struct ShareRequest {
    /// Files and folders; each arrives under its own last component.
    pub paths: Vec<PathBuf>,
    /// A text snippet to include.
    pub text: Option<String>,
}

/// A share that the node is serving.
#[derive(Debug, Clone)]
pub struct Share {
    /// The collection's root hash.
    pub root: Hash,
    /// Ferry's ticket for it.
    pub ticket: ShareTicket,
    /// A plain iroh-blobs ticket for the same files (for sendme): the
    /// collection without its empty-folder entries, which such tools cannot
    /// write; the same root as `ticket` when there are none.
    pub blob_ticket: BlobTicket,
    /// Number of files (not counting empty folders or the text).
    pub files: u64,
    /// Total size of the files in bytes (the text is not counted).
    pub bytes: u64,
    /// Every entry's name and size, in collection order (folders end in `/`).
    pub entries: Vec<(String, u64)>,
}

/// An error creating a share.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    /// Nothing was given to share.
    #[error("nothing to share")]
    Empty,
    /// A path does not exist.
    #[error("{} does not exist", .0.display())]
    NotFound(PathBuf),
    /// A path could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A path is something other than a file, folder or symlink.
    #[error("{} is not a regular file or folder", .0.display())]
    Unsupported(PathBuf),
    /// A file name is not valid UTF-8 and cannot be sent portably.
    #[error("{} has a name that is not valid UTF-8", .0.display())]
    NonUtf8Name(PathBuf),
    /// Two paths would arrive under the same name.
    #[error("two of the paths would both arrive as {0:?}")]
    DuplicateName(String),
    /// The blob store failed.
    #[error("cannot import into the blob store: {0}")]
    Store(String),
    /// One step in the blob store failed: `operation` names it and what
    /// it was for (a file's path, the text, the list of names).
    #[error("cannot {operation}: {cause}")]
    BlobStore {
        /// What was being done, e.g. `import /home/me/a.jpg into the blob store`.
        operation: String,
        /// Why it failed, from the innermost error.
        cause: String,
    },
}

impl crate::HasKind for ShareError {
    fn kind(&self) -> ErrorKind {
        match self {
            // A path the user named that is missing is bad input, not a lookup failure.
            Self::Empty
            | Self::NotFound(_)
            | Self::Unsupported(_)
            | Self::NonUtf8Name(_)
            | Self::DuplicateName(_) => ErrorKind::InvalidInput,
            Self::Io { .. } | Self::Store(_) | Self::BlobStore { .. } => ErrorKind::Storage,
        }
    }
}

impl ShareError {
    fn blob_store(operation: impl Into<String>, error: &(dyn std::error::Error + 'static)) -> Self {
        Self::BlobStore {
            operation: operation.into(),
            cause: innermost_cause(error),
        }
    }
}

/// The text of the innermost error. iroh-blobs wraps an I/O error in
/// layers whose own text names only the layer (`inner error: Error::Io`):
/// the innermost one says what happened.
fn innermost_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = error;
    while let Some(next) = inner.source() {
        inner = next;
    }
    inner.to_string()
}

/// How many store requests share creation makes at once, node-wide.
///
/// The blob store answers a request with "resource busy" when more than
/// 32 requests for the same content wait at once (its per-hash inbox), so
/// imports are bounded well below that, whatever number of shares are made
/// at the same time: at most [`FILE_IMPORTS`] file imports in flight, and
/// one request at a time for each piece of small content (texts, the list
/// of names, the hash sequence), which many shares often have in common.
#[derive(Debug)]
pub(crate) struct Imports {
    files: Semaphore,
    small: [tokio::sync::Mutex<()>; SMALL_STRIPES],
}

/// File imports in flight, node-wide.
const FILE_IMPORTS: usize = 16;
/// Small content is serialized per hash through this many locks.
const SMALL_STRIPES: usize = 64;

impl Default for Imports {
    fn default() -> Self {
        Self {
            files: Semaphore::new(FILE_IMPORTS),
            small: std::array::from_fn(|_| tokio::sync::Mutex::new(())),
        }
    }
}

impl Imports {
    /// Adds small content held in memory, or only protects it when the
    /// store holds it already.
    async fn add_small(
        &self,
        store: &iroh_blobs::api::Store,
        data: bytes::Bytes,
        format: BlobFormat,
        what: &str,
    ) -> Result<TempTag, ShareError> {
        let hash = Hash::new(&data);
        let stripe = usize::from(hash.as_bytes()[0]) % SMALL_STRIPES;
        let _turn = self.small[stripe].lock().await;
        let operation = || format!("store {what} in the blob store");
        let held = store
            .blobs()
            .status(hash)
            .await
            .map_err(|e| ShareError::blob_store(operation(), &e))?;
        if matches!(held, iroh_blobs::api::blobs::BlobStatus::Complete { .. }) {
            return store
                .tags()
                .temp_tag(iroh_blobs::HashAndFormat { hash, format })
                .await
                .map_err(|e| ShareError::blob_store(operation(), &e));
        }
        store
            .add_bytes_with_opts(AddBytesOptions { data, format })
            .temp_tag()
            .await
            .map_err(|e| ShareError::blob_store(operation(), &e))
    }
}

/// A short label for the history: the first few top-level names.
fn share_label(request: &ShareRequest) -> String {
    let names: Vec<String> = request
        .paths
        .iter()
        .filter_map(|p| std::path::absolute(p).ok())
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let mut label = names.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > 3 {
        label.push_str(&format!(" and {} more", names.len() - 3));
    }
    if request.text.is_some() {
        if label.is_empty() {
            label = "text".into();
        } else {
            label.push_str(" + text");
        }
    }
    label
}

/// The share API of a node; get it with [`Node::shares`].
#[derive(Debug)]
pub struct Shares<'a> {
    pub(crate) node: &'a Node,
}

/// The name of the text snippet's entry.
const TEXT_ENTRY: &str = "text.txt";

impl Shares<'_> {
    /// Imports the request's paths and text and starts serving them.
    ///
    /// Emits [`Event::ImportProgress`] while files are hashed. The share is
    /// served until the node shuts down.
    pub async fn create(&self, request: ShareRequest) -> Result<Share, ShareError> {
        self.create_for(request, None).await
    }

    /// Like [`Shares::create`], but served only to `only` when given.
    pub(crate) async fn create_for(
        &self,
        request: ShareRequest,
        only: Option<iroh::EndpointId>,
    ) -> Result<Share, ShareError> {
        if request.paths.is_empty() && request.text.is_none() {
            return Err(ShareError::Empty);
        }
        let inner = &self.node.inner;
        let items = tokio::task::spawn_blocking({
            let paths = request.paths.clone();
            move || walk_all(&paths)
        })
        .await
        .map_err(|e| ShareError::Store(format!("listing the files to share stopped: {e}")))??;

        let files: Vec<(String, PathBuf, u64)> = items
            .iter()
            .filter_map(|i| match i {
                Item::File { name, path, size } => Some((name.clone(), path.clone(), *size)),
                Item::Dir { .. } => None,
            })
            .collect();
        let (hashes, tags) = self.import_files(&files).await?;

        let mut entries: Vec<(String, Hash)> = Vec::with_capacity(items.len() + 1);
        let mut file_hashes = hashes.into_iter();
        for item in &items {
            match item {
                Item::File { name, .. } => {
                    let hash = file_hashes
                        .next()
                        .ok_or_else(|| ShareError::Store(format!("the import lost {name}")))?;
                    entries.push((name.clone(), hash));
                }
                Item::Dir { name } => entries.push((format!("{name}/"), Hash::EMPTY)),
            }
        }
        let mut keep: Vec<TempTag> = tags;
        let bytes: u64 = files.iter().map(|f| f.2).sum();
        let mut text_entry = None;
        if let Some(text) = &request.text {
            let tag = inner
                .imports
                .add_small(
                    &inner.store,
                    text.clone().into_bytes().into(),
                    BlobFormat::Raw,
                    "the text",
                )
                .await?;
            let taken: std::collections::HashSet<&str> =
                entries.iter().map(|(n, _)| n.as_str()).collect();
            let name = (0..)
                .map(|n| crate::safe_path::numbered_name(TEXT_ENTRY, n))
                .find(|n| !taken.contains(n.as_str()))
                .unwrap_or_else(|| TEXT_ENTRY.to_string());
            text_entry = Some(entries.len() as u32);
            entries.push((name, tag.hash()));
            keep.push(tag);
        }

        let (root, mut allowed) = self.store_collection(&entries, &mut keep).await?;
        let files_only: Vec<(String, Hash)> = entries
            .iter()
            .filter(|(name, _)| !name.ends_with('/'))
            .cloned()
            .collect();
        let blob_root = if files_only.len() == entries.len() {
            root
        } else {
            let (second, blobs) = self.store_collection(&files_only, &mut keep).await?;
            for hash in blobs {
                if !allowed.contains(&hash) {
                    allowed.push(hash);
                }
            }
            second
        };
        let file_count = files.len() as u64;
        let info = ShareInfo {
            label: share_label(&request),
            files: file_count,
            bytes,
            location: request
                .paths
                .first()
                .and_then(|p| std::path::absolute(p).ok())
                .and_then(|p| p.parent().map(|d| d.display().to_string()))
                .unwrap_or_default(),
            only,
        };
        let also = (blob_root != root).then_some(blob_root);
        inner.access.allow(root, also, allowed, keep, info);

        let addr = net::ticket_addr_when_ready(&inner.endpoint, inner.relays).await;
        Ok(Share {
            root,
            ticket: ShareTicket {
                addr: addr.clone(),
                root,
                text_entry,
            },
            blob_ticket: BlobTicket::new(addr, blob_root, BlobFormat::HashSeq),
            files: file_count,
            bytes,
            entries: items
                .iter()
                .map(|i| match i {
                    Item::File { name, size, .. } => (name.clone(), *size),
                    Item::Dir { name } => (format!("{name}/"), 0),
                })
                .collect(),
        })
    }

    /// Stops serving a share made by [`Shares::create`]; peers asking for
    /// it from now on are refused. The same content shared more than once
    /// stays served until each share is stopped.
    pub fn stop(&self, root: &Hash) {
        self.node.inner.access.revoke(root, None);
    }

    /// How many shares made by [`Shares::create`] serve this content now.
    pub fn count(&self, root: &Hash) -> usize {
        self.node.inner.access.grants(root, None)
    }

    /// Stops serving a share made for one device.
    pub(crate) fn stop_for(&self, root: &Hash, only: iroh::EndpointId) {
        self.node.inner.access.revoke(root, Some(only));
    }

    /// Stores a collection of `entries`; returns its root and every blob a
    /// reader of it may ask for (the root, the names, the entries). Its
    /// temp tag joins `keep`.
    async fn store_collection(
        &self,
        entries: &[(String, Hash)],
        keep: &mut Vec<TempTag>,
    ) -> Result<(Hash, Vec<Hash>), ShareError> {
        let inner = &self.node.inner;
        // The collection's two blobs (the names, then the hash sequence)
        // are stored here rather than by `Collection::store`, so that each
        // goes through `add_small`: shares with the same names have the
        // same names blob.
        let collection: Collection = entries.iter().cloned().collect();
        let mut blobs = collection.to_blobs();
        let (Some(names), Some(seq), None) = (blobs.next(), blobs.next(), blobs.next()) else {
            return Err(ShareError::Store(
                "a collection is not made of two blobs".into(),
            ));
        };
        let names_tag = inner
            .imports
            .add_small(&inner.store, names, BlobFormat::Raw, "the share's names")
            .await?;
        let hashes = HashSeq::try_from(seq.clone())
            .map_err(|e| ShareError::Store(format!("the share's hash sequence: {e}")))?;
        let root_tag = inner
            .imports
            .add_small(
                &inner.store,
                seq,
                BlobFormat::HashSeq,
                "the share's hash sequence",
            )
            .await?;
        let root = root_tag.hash();
        keep.push(names_tag);
        keep.push(root_tag);
        Ok((root, std::iter::once(root).chain(hashes.iter()).collect()))
    }

    /// Hashes and stores all files, using every core; returns their hashes
    /// in input order and the temp tags that keep them alive.
    async fn import_files(
        &self,
        files: &[(String, PathBuf, u64)],
    ) -> Result<(Vec<Hash>, Vec<TempTag>), ShareError> {
        let inner = &self.node.inner;
        let total_bytes: u64 = files.iter().map(|f| f.2).sum();
        let total_files = files.len() as u64;
        let parallel = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .max(2);
        let permits = Arc::new(Semaphore::new(parallel * 2));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
        let mut set = JoinSet::new();
        for (index, (_, path, _)) in files.iter().enumerate() {
            let store = inner.store.clone();
            let path = path.clone();
            let permits = permits.clone();
            let tx = tx.clone();
            let node = self.node.clone();
            set.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let _import = node.inner.imports.files.acquire().await;
                let operation = || format!("import {} into the blob store", path.display());
                let mut stream = store
                    .add_path_with_opts(AddPathOptions {
                        path: path.clone(),
                        format: BlobFormat::Raw,
                        mode: ImportMode::TryReference,
                    })
                    .stream()
                    .await;
                let mut reported = 0u64;
                while let Some(item) = stream.next().await {
                    use iroh_blobs::api::proto::AddProgressItem as P;
                    match item {
                        P::OutboardProgress(offset) => {
                            let _ = tx.send(offset.saturating_sub(reported));
                            reported = reported.max(offset);
                        }
                        P::Size(_) | P::CopyProgress(_) | P::CopyDone => {}
                        P::Done(tag) => return Ok((index, tag, reported)),
                        P::Error(e) => return Err(ShareError::blob_store(operation(), &e)),
                    }
                }
                Err(ShareError::BlobStore {
                    operation: operation(),
                    cause: "the store stopped answering".into(),
                })
            });
        }
        drop(tx);
        let mut slots: Vec<Option<TempTag>> = (0..files.len()).map(|_| None).collect();
        let mut bytes_done = 0u64;
        let mut files_done = 0u64;
        let mut last_emit = std::time::Instant::now();
        let emit = |files_done, bytes_done| {
            inner.events.emit(Event::ImportProgress {
                files_done,
                files_total: total_files,
                bytes_done,
                bytes_total: total_bytes,
            })
        };
        emit(0, 0);
        loop {
            tokio::select! {
                Some(delta) = rx.recv() => {
                    bytes_done += delta;
                    if last_emit.elapsed() >= Duration::from_millis(100) {
                        last_emit = std::time::Instant::now();
                        emit(files_done, bytes_done.min(total_bytes));
                    }
                }
                joined = set.join_next() => {
                    let Some(joined) = joined else { break };
                    let (index, tag, reported) = joined
                        .map_err(|e| ShareError::Store(format!("an import stopped: {e}")))??;
                    bytes_done += files[index].2.saturating_sub(reported);
                    files_done += 1;
                    slots[index] = Some(tag);
                    if last_emit.elapsed() >= Duration::from_millis(100) || files_done == total_files {
                        last_emit = std::time::Instant::now();
                        emit(files_done, bytes_done.min(total_bytes));
                    }
                }
            }
        }
        let tags: Vec<TempTag> = slots
            .into_iter()
            .map(|t| t.ok_or_else(|| ShareError::Store("the import lost a file".into())))
            .collect::<Result<_, _>>()?;
        let hashes = tags.iter().map(|t| t.hash()).collect();
        Ok((hashes, tags))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::HasKind;
    use crate::config::{NodeConfig, RelayChoice};

    async fn node(dir: &std::path::Path) -> Node {
        let mut config = NodeConfig::new(dir);
        config.relay = RelayChoice::Disabled;
        config.bind_addr = Some("127.0.0.1:0".parse().unwrap());
        Node::start(config).await.unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn many_shares_of_the_same_content_at_once_all_succeed() {
        // Given a node, and one file on disk.
        let dir = tempfile::tempdir().unwrap();
        let node = node(&dir.path().join("node")).await;
        let file = dir.path().join("photo.jpg");
        std::fs::write(&file, vec![7u8; 200_000]).unwrap();

        // When hundreds of shares are made at once: texts that differ (but
        // whose collections list the same name), the same text, and the
        // same file.
        let mut tasks = JoinSet::new();
        for i in 0..300 {
            let node = node.clone();
            let request = match i % 3 {
                0 => ShareRequest {
                    paths: vec![],
                    text: Some(format!("note {i}")),
                },
                1 => ShareRequest {
                    paths: vec![],
                    text: Some("the same note".into()),
                },
                _ => ShareRequest {
                    paths: vec![file.clone()],
                    text: None,
                },
            };
            tasks.spawn(async move { node.shares().create(request).await.map(|s| s.root) });
        }

        // Then every one of them succeeds.
        let mut failed = Vec::new();
        let mut made = 0;
        while let Some(joined) = tasks.join_next().await {
            match joined.unwrap() {
                Ok(_) => made += 1,
                Err(e) => failed.push(e.to_string()),
            }
        }
        assert!(
            failed.is_empty(),
            "{} of 300 failed: {:?}",
            failed.len(),
            &failed[..failed.len().min(3)]
        );
        assert_eq!(made, 300);
        node.shutdown().await;
    }

    #[tokio::test]
    async fn a_store_failure_names_the_step_and_the_file() {
        // Given a node whose blob store has stopped, and a file.
        let dir = tempfile::tempdir().unwrap();
        let node = node(&dir.path().join("node")).await;
        let file = dir.path().join("scan.pdf");
        std::fs::write(&file, vec![1u8; 50_000]).unwrap();
        node.inner.store.shutdown().await.unwrap();

        // When a file and a text are shared,
        let for_file = node
            .shares()
            .create(ShareRequest {
                paths: vec![file.clone()],
                text: None,
            })
            .await
            .unwrap_err();
        let for_text = node
            .shares()
            .create(ShareRequest {
                paths: vec![],
                text: Some("hello".into()),
            })
            .await
            .unwrap_err();

        // Then each error says what was being done, to which file, and
        // why, instead of the store's wrapper text.
        let file_message = for_file.to_string();
        assert!(
            file_message.starts_with(&format!(
                "cannot import {} into the blob store: ",
                file.display()
            )),
            "{file_message}"
        );
        let text_message = for_text.to_string();
        assert!(
            text_message.starts_with("cannot store the text in the blob store: "),
            "{text_message}"
        );
        for message in [&file_message, &text_message] {
            assert!(!message.contains("Error::Io"), "{message}");
            assert!(!message.contains("inner error"), "{message}");
        }
        assert_eq!(for_file.kind(), ErrorKind::Storage);
    }
}
