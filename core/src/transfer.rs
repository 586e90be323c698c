//! Receiving shares: the offer, the verified download, safe placement.
//!
//! Roles: the *sender* serves a collection over iroh-blobs; the *receiver*
//! holds a ticket naming the sender and the collection's root hash.
//!
//! 1. **Offer.** One request fetches the root hash sequence, the metadata
//!    blob (the names) and, of every file, the first chunk group and the
//!    last chunk. The last chunk proves the file's size (BLAKE3 verified);
//!    for a file of at most one group the two are the whole file, kept in
//!    memory (within a budget) so small files cross the network once.
//!    Nothing is written yet.
//! 2. **Plan.** Every name passes [`safe_path::sanitize`]; unsafe ones are
//!    skipped and reported (Ferry's own names among them, so no peer can
//!    plant a partial file). A file already present with the same content
//!    is not fetched again; a partial file from an interrupted run resumes
//!    from its last whole chunk group.
//! 3. **Download.** One request fetches the missing ranges of every file.
//!    The bytes a partial file already holds are proven first: the response
//!    for a range starting at byte `n` carries the tree's parent nodes from
//!    the root down, whose left-hand hashes cover exactly the bytes before
//!    `n`; those are hashed from the file and compared. A partial file that
//!    does not match is emptied and fetched again from its start. Each leaf
//!    is verified against the root hash before it is written into
//!    `OUT/.ferry-partial/<hash>.part` (a real folder, never a symlink; the
//!    file is opened without following one); a finished file is synced to
//!    disk and moved to its final name with [`safe_path::publish`], which
//!    never overwrites.
//! 4. **Durable.** The folders that received names are synced before the
//!    files are reported received and before the history calls the
//!    transfer complete, so "done" survives a power cut.
//! 5. **Close.** An empty request on the root tells a Ferry sender the
//!    download is complete (for `--once`).
//!
//! Failure modes: a corrupting or lying sender makes verification fail, the
//! bad bytes are never written and the transfer stops with
//! [`ReceiveError::Corrupt`]; a full disk stops it with
//! [`ReceiveError::DiskFull`] after removing this run's partial files; a
//! broken connection leaves verified partial files for the next run.

pub mod safe_path;

use std::{
    collections::{BTreeSet, HashMap},
    fs::File,
    io::{self, BufWriter, Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use bao_tree::{
    ChunkNum,
    io::{BaoContentItem, Parent},
};
use bytes::Bytes;
use iroh::{EndpointId, endpoint::Connection};
use iroh_blobs::{
    Hash,
    format::collection::CollectionMeta,
    get::fsm::{self, BlobContentNext, ConnectedNext, DecodeError, EndBlobNext},
    hashseq::HashSeq,
    protocol::{ChunkRanges, ChunkRangesExt, ChunkRangesSeq, GetRequest},
};

use crate::{
    error::ErrorKind,
    events::{Event, PathKind},
    net::{self, ticket::AnyTicket},
    node::Node,
    store::{Direction, NewTransfer, TransferOutcome, TransferStatus},
};

/// Bytes in one chunk group, the unit of verification on the wire.
const GROUP: u64 = 16 * 1024;
/// The largest hash sequence accepted (one million entries).
const MAX_HASH_SEQ: u64 = 32 * 1024 * 1024;
/// The largest metadata blob accepted.
const MAX_META: u64 = 64 * 1024 * 1024;
/// How much small-file content an offer keeps in memory.
const SMALL_FILE_BUDGET: usize = 64 * 1024 * 1024;
/// The largest text snippet shown inline.
const MAX_TEXT: u64 = 1024 * 1024;
/// The folder under the target that holds partial files.
pub const PARTIAL_DIR: &str = ".ferry-partial";
/// Files placed before their folders are synced and they are reported.
const SYNC_BATCH_FILES: usize = 256;
/// How long a placed file waits at most for its folder's sync.
const SYNC_BATCH_AGE: Duration = Duration::from_millis(200);
/// Small files from the offer written with one data sync (open files).
const SMALL_FILE_BATCH: usize = 128;

/// An error receiving a share.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// The sender could not be reached.
    #[error("cannot reach the sender: {0}")]
    Connect(String),
    /// The connection broke or the sender stopped answering.
    #[error("the connection to the sender failed: {0}")]
    Network(String),
    /// The connection to the sender went away mid-transfer.
    #[error(
        "lost the connection to the sender ({0}); verified data is kept: run the same command again to resume"
    )]
    Lost(String),
    /// The sender refused to serve the content.
    #[error("the sender refused: this content is not shared (any more)")]
    Refused,
    /// The sender does not have (all of) the content.
    #[error("the sender does not have this content (any more): {0}")]
    NotFound(String),
    /// The sender sent bytes that do not match the content's hash.
    #[error(
        "verification failed for {name}: the sender sent data that does not match its hash; nothing unverified was kept"
    )]
    Corrupt {
        /// The entry being received.
        name: String,
    },
    /// The sender's metadata is malformed or hostile.
    #[error("the sender sent an invalid collection: {0}")]
    Protocol(String),
    /// The target disk is full.
    #[error("the disk is full while writing into {}; partial files were removed", dir.display())]
    DiskFull {
        /// The target folder.
        dir: PathBuf,
    },
    /// Writing into the target folder failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The history database failed.
    #[error(transparent)]
    Store(#[from] crate::error::StoreError),
    /// The transfer was cancelled on this device; verified data is kept.
    #[error("cancelled; verified data is kept: receive the same content again to resume")]
    Cancelled,
}

impl ReceiveError {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Connect(_) | Self::Network(_) | Self::Lost(_) => ErrorKind::Network,
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Refused => ErrorKind::Rejected,
            Self::Corrupt { .. } | Self::Protocol(_) => ErrorKind::Protocol,
            Self::DiskFull { .. } | Self::Io { .. } | Self::Store(_) => ErrorKind::Storage,
            Self::Cancelled => ErrorKind::Cancelled,
        }
    }
}

/// One entry of an offer, as the sender named it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
pub struct OfferEntry {
    /// The name, with control characters escaped for display.
    pub name: String,
    /// The verified size in bytes (0 for folders).
    pub size: u64,
    /// Whether this entry is an (empty) folder.
    pub is_dir: bool,
    /// Why the name was refused, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
}

#[derive(Debug, Clone)]
struct Child {
    hash: Hash,
    raw_name: String,
    size: u64,
    /// The whole content, when it came with the offer.
    content: Option<Bytes>,
}

/// What a ticket offers, fetched and verified; pass it to [`Transfers::receive`].
#[derive(Debug)]
pub struct Offer {
    /// The sender's device id.
    pub sender: EndpointId,
    /// The root hash of the content.
    pub root: Hash,
    /// The entries, in the sender's order (without the text snippet).
    pub entries: Vec<OfferEntry>,
    /// Number of files.
    pub files: u64,
    /// Total size of the files in bytes.
    pub bytes: u64,
    /// The text snippet, if the share has one.
    pub text: Option<String>,
    /// How the connection runs.
    pub path: PathKind,
    conn: Connection,
    children: Vec<Child>,
    text_index: Option<usize>,
    is_collection: bool,
    /// Payload bytes the offer itself fetched (last chunk groups, small files).
    offer_bytes: u64,
}

/// How a receive ended.
#[derive(Debug, Clone)]
pub struct ReceiveReport {
    /// The history row.
    pub transfer_id: i64,
    /// Files now in place (received, or already present).
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
    /// Payload bytes fetched over the network in this run, offer included.
    pub bytes_transferred: u64,
    /// Time from the start of the download to the last file in place.
    pub elapsed: Duration,
    /// How the connection ran.
    pub path: PathKind,
    /// Entries skipped for unsafe names: (name, reason).
    pub rejected: Vec<(String, String)>,
    /// The text snippet, if any.
    pub text: Option<String>,
    /// Where each file was written.
    pub written: Vec<PathBuf>,
}

/// The receiving API of a node; get it with [`Node::transfers`].
#[derive(Debug)]
pub struct Transfers<'a> {
    pub(crate) node: &'a Node,
}

impl Transfers<'_> {
    /// Connects to the ticket's sender and fetches what it offers: names,
    /// verified sizes, and the text snippet. Writes nothing.
    pub async fn offer(&self, ticket: &AnyTicket) -> Result<Offer, ReceiveError> {
        let endpoint = &self.node.inner.endpoint;
        let addr = ticket.addr().clone();
        let sender = addr.id;
        let conn = net::dial(endpoint, addr, iroh_blobs::ALPN)
            .await
            .map_err(|e| ReceiveError::Connect(e.to_string()))?;
        let path = net::path_kind(&conn);
        let (root, is_collection) = ticket.content();
        let (children, text_index, offer_bytes) = if is_collection {
            fetch_collection_offer(&conn, root, ticket.text_entry()).await?
        } else {
            fetch_blob_offer(&conn, root).await?
        };
        let mut entries = Vec::with_capacity(children.len());
        let mut text = None;
        for (i, child) in children.iter().enumerate() {
            if Some(i) == text_index {
                text = child
                    .content
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(b).into_owned());
                continue;
            }
            let is_dir = child.raw_name.ends_with('/');
            let check = if is_dir {
                safe_path::sanitize_dir(&child.raw_name)
            } else {
                safe_path::sanitize(&child.raw_name)
            };
            entries.push(OfferEntry {
                name: child.raw_name.escape_debug().to_string(),
                size: if is_dir { 0 } else { child.size },
                is_dir,
                rejected: check.err().map(|e| e.to_string()),
            });
        }
        let files = entries.iter().filter(|e| !e.is_dir).count() as u64;
        let bytes = entries.iter().filter(|e| !e.is_dir).map(|e| e.size).sum();
        Ok(Offer {
            sender,
            root,
            entries,
            files,
            bytes,
            text,
            path,
            conn,
            children,
            text_index,
            is_collection,
            offer_bytes,
        })
    }

    /// Downloads an offer into `out`, verifying everything, resuming what an
    /// earlier run left, and never overwriting an existing file.
    pub async fn receive(&self, offer: Offer, out: &Path) -> Result<ReceiveReport, ReceiveError> {
        self.receive_for(offer, out, None).await
    }

    /// [`Transfers::receive`], for the inbox offer `offer_id` when it is
    /// one: its receive events name that offer.
    pub(crate) async fn receive_for(
        &self,
        offer: Offer,
        out: &Path,
        offer_id: Option<u64>,
    ) -> Result<ReceiveReport, ReceiveError> {
        let inner = &self.node.inner;
        let missing = out.ancestors().take_while(|dir| !dir.exists()).count();
        std::fs::create_dir_all(out).map_err(|source| io_error(out, source))?;
        let out = std::fs::canonicalize(out).map_err(|source| io_error(out, source))?;
        let label = offer_label(&offer);
        let transfer_id = inner.db.insert_transfer(&NewTransfer {
            direction: Direction::Receive,
            peer: &offer.sender.to_string(),
            root_hash: &offer.root.to_string(),
            label: &label,
            files: offer.files,
            bytes: offer.bytes,
            location: &out.display().to_string(),
        })?;
        inner.events.emit(Event::ReceiveStarted {
            transfer_id,
            offer_id,
            peer: offer.sender.to_string(),
            root: offer.root.to_string(),
        });
        let mut run = Run::new(self.node, transfer_id, &offer, out.clone());
        run.offer_id = offer_id;
        // Folders created for `out` hold names that must survive too.
        run.dirs_to_sync
            .extend(out.ancestors().take(missing + 1).map(Path::to_path_buf));
        // Dropping this future (a caller gave up) still closes the history row.
        let mut unfinished = Unfinished {
            db: Some(inner.db.clone()),
            transfer_id,
        };
        let result = run.execute(&offer).await;
        unfinished.db = None;
        let outcome = match &result {
            Ok(()) => TransferOutcome {
                status: TransferStatus::Complete,
                bytes_transferred: run.transferred,
                path_kind: run.path.as_str(),
                error: "",
            },
            Err(e) => TransferOutcome {
                status: TransferStatus::Failed,
                bytes_transferred: run.transferred,
                path_kind: run.path.as_str(),
                error: &e.to_string(),
            },
        };
        inner.db.finish_transfer(transfer_id, &outcome)?;
        if let Err(ReceiveError::DiskFull { .. }) = &result {
            run.remove_partials();
        }
        run.tidy_partial_dir();
        result?;
        // Tell a Ferry sender we are done; other senders ignore it.
        close_request(&offer.conn, offer.root).await;
        offer.conn.close(0u32.into(), b"done");
        Ok(ReceiveReport {
            transfer_id,
            files: run.files_done,
            bytes: run.bytes_done,
            bytes_transferred: run.transferred,
            elapsed: run.started.elapsed(),
            path: run.path,
            rejected: run.rejected,
            text: offer.text.clone(),
            written: run.written,
        })
    }
}

/// Marks a receive whose future was dropped before it finished as cancelled.
#[derive(Debug)]
struct Unfinished {
    db: Option<crate::store::Db>,
    transfer_id: i64,
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if let Some(db) = self.db.take() {
            let _ = db.finish_transfer(
                self.transfer_id,
                &TransferOutcome {
                    status: TransferStatus::Failed,
                    bytes_transferred: 0,
                    path_kind: "",
                    error: &ReceiveError::Cancelled.to_string(),
                },
            );
        }
    }
}

fn io_error(path: &Path, source: io::Error) -> ReceiveError {
    ReceiveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn offer_label(offer: &Offer) -> String {
    let mut tops: Vec<&str> = Vec::new();
    for e in &offer.entries {
        let top = e.name.split('/').next().unwrap_or("");
        if !tops.contains(&top) {
            tops.push(top);
        }
    }
    let mut label = tops.iter().take(3).copied().collect::<Vec<_>>().join(", ");
    if tops.len() > 3 {
        label.push_str(&format!(" and {} more", tops.len() - 3));
    }
    if label.is_empty() && offer.text.is_some() {
        label = "text".into();
    }
    label
}

fn decode_error(name: &str, e: DecodeError) -> ReceiveError {
    match e {
        DecodeError::LeafHashMismatch { .. } | DecodeError::ParentHashMismatch { .. } => {
            ReceiveError::Corrupt {
                name: name.to_string(),
            }
        }
        DecodeError::ChunkNotFound { .. }
        | DecodeError::LeafNotFound { .. }
        | DecodeError::ParentNotFound { .. } => ReceiveError::NotFound(name.to_string()),
        other => net_error(other),
    }
}

fn net_error(e: impl std::error::Error + 'static) -> ReceiveError {
    match stream_failure(&e) {
        Some(StreamFailure::Refused) => ReceiveError::Refused,
        Some(StreamFailure::Lost) => ReceiveError::Lost(e.to_string()),
        None => ReceiveError::Network(e.to_string()),
    }
}

/// How a QUIC stream ended, when an error says so.
enum StreamFailure {
    /// The sender reset the stream with the blobs protocol's permission code.
    Refused,
    /// The connection went away (timed out, closed or reset).
    Lost,
}

/// Looks through an error's causes for the QUIC read error underneath.
fn stream_failure(e: &(dyn std::error::Error + 'static)) -> Option<StreamFailure> {
    use iroh::endpoint::ReadError;
    let mut cause = Some(e);
    while let Some(err) = cause {
        let read = err.downcast_ref::<ReadError>().or_else(|| {
            err.downcast_ref::<io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<ReadError>())
        });
        match read {
            Some(ReadError::Reset(code)) if *code == iroh_blobs::protocol::ERR_PERMISSION => {
                return Some(StreamFailure::Refused);
            }
            Some(ReadError::ConnectionLost(_)) => return Some(StreamFailure::Lost),
            _ => {}
        }
        cause = err.source();
    }
    None
}

/// Fetches the hash sequence, the names, and of every file the first chunk
/// group and the last chunk.
async fn fetch_collection_offer(
    conn: &Connection,
    root: Hash,
    text_entry: Option<u32>,
) -> Result<(Vec<Child>, Option<usize>, u64), ReceiveError> {
    let request = GetRequest::new(
        root,
        ChunkRangesSeq::from_ranges_infinite([
            ChunkRanges::all(),
            ChunkRanges::all(),
            // The first group makes a small file whole; the last chunk proves the size.
            ChunkRanges::from(..ChunkNum(GROUP / 1024)) | ChunkRanges::last_chunk(),
        ]),
    );
    let connected = fsm::start(conn.clone(), request, Default::default())
        .next()
        .await
        .map_err(net_error)?;
    let ConnectedNext::StartRoot(start) = connected.next().await.map_err(net_error)? else {
        return Err(ReceiveError::Protocol("the sender skipped the root".into()));
    };
    let (content, size) = start.next().next().await.map_err(|e| match e {
        fsm::AtBlobHeaderNextError::NotFound { .. } => {
            ReceiveError::NotFound("the shared collection".into())
        }
        other => net_error(other),
    })?;
    if size > MAX_HASH_SEQ || size % 32 != 0 {
        return Err(ReceiveError::Protocol(format!(
            "a hash sequence of {size} bytes"
        )));
    }
    let (mut at_end, seq) = content
        .concatenate_into_vec()
        .await
        .map_err(|e| decode_error("the collection", e))?;
    let seq =
        HashSeq::try_from(Bytes::from(seq)).map_err(|e| ReceiveError::Protocol(e.to_string()))?;
    let hashes: Vec<Hash> = seq.iter().collect();
    let Some(meta_hash) = hashes.first().copied() else {
        return Err(ReceiveError::Protocol("an empty hash sequence".into()));
    };
    let count = hashes.len() - 1;
    let mut names: Option<Vec<String>> = None;
    let mut children: Vec<Child> = Vec::with_capacity(count);
    let mut transferred = 0u64;
    let mut kept = 0usize;
    let closing = loop {
        match at_end.next() {
            EndBlobNext::MoreChildren(child) => {
                let offset = child.offset();
                if offset == 1 {
                    let (content, size) = child.next(meta_hash).next().await.map_err(net_error)?;
                    if size > MAX_META {
                        return Err(ReceiveError::Protocol(format!(
                            "a name list of {size} bytes"
                        )));
                    }
                    let (next, meta) = content
                        .concatenate_into_vec()
                        .await
                        .map_err(|e| decode_error("the name list", e))?;
                    let meta: CollectionMeta = postcard::from_bytes(&meta)
                        .map_err(|e| ReceiveError::Protocol(format!("the name list: {e}")))?;
                    if !meta.check_header() || meta.names().len() != count {
                        return Err(ReceiveError::Protocol(
                            "the name list does not match the content".into(),
                        ));
                    }
                    names = Some(meta.names().to_vec());
                    at_end = next;
                    continue;
                }
                let index = (offset - 2) as usize;
                let (Some(names), Some(hash)) = (&names, hashes.get(index + 1)) else {
                    break child.finish();
                };
                let (content, size) = child.next(*hash).next().await.map_err(net_error)?;
                let (next, tail) = content
                    .concatenate_into_vec()
                    .await
                    .map_err(|e| decode_error(&names[index], e))?;
                transferred += tail.len() as u64;
                let whole = tail.len() as u64 == size;
                let keep_text = text_entry == Some(index as u32) && size <= MAX_TEXT;
                let content = if whole && (keep_text || kept + tail.len() <= SMALL_FILE_BUDGET) {
                    kept += tail.len();
                    Some(Bytes::from(tail))
                } else {
                    None
                };
                children.push(Child {
                    hash: *hash,
                    raw_name: names[index].clone(),
                    size,
                    content,
                });
                at_end = next;
            }
            EndBlobNext::Closing(closing) => break closing,
        }
    };
    closing.next().await.map_err(net_error)?;
    if children.len() != count {
        return Err(ReceiveError::NotFound(format!(
            "{} of {count} files",
            count - children.len()
        )));
    }
    let text_index = text_entry.map(|i| i as usize).filter(|i| *i < count);
    // A text snippet larger than one chunk group is fetched on its own.
    if let Some(i) = text_index
        && children[i].content.is_none()
        && children[i].size <= MAX_TEXT
    {
        let bytes = iroh_blobs::get::request::get_blob(conn.clone(), children[i].hash)
            .bytes()
            .await
            .map_err(net_error)?;
        transferred += bytes.len() as u64;
        children[i].content = Some(bytes);
    }
    Ok((children, text_index, transferred))
}

/// A plain blob ticket: one file, named after its hash.
async fn fetch_blob_offer(
    conn: &Connection,
    hash: Hash,
) -> Result<(Vec<Child>, Option<usize>, u64), ReceiveError> {
    let (size, _) = iroh_blobs::get::request::get_verified_size(conn, &hash)
        .await
        .map_err(|e| match stream_failure(&e) {
            Some(_) => net_error(e),
            None => ReceiveError::NotFound(e.to_string()),
        })?;
    let child = Child {
        hash,
        raw_name: format!("{}.bin", hash.fmt_short()),
        size,
        content: None,
    };
    Ok((vec![child], None, 0))
}

/// Sends the empty request that marks the end of a download.
async fn close_request(conn: &Connection, root: Hash) {
    let request = GetRequest::new(root, ChunkRangesSeq::empty());
    let done = async {
        let connected = fsm::start(conn.clone(), request, Default::default())
            .next()
            .await
            .ok()?;
        if let Ok(ConnectedNext::Closing(closing)) = connected.next().await {
            closing.next().await.ok();
        }
        Some(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), done).await;
}

/// What to do with one child of the offer.
#[derive(Debug)]
enum Plan {
    /// Not written: the text snippet, or an unsafe name.
    Skip,
    /// An empty folder to create.
    Dir(PathBuf),
    /// Already present with the same content.
    Present(PathBuf),
    /// Write from the content that came with the offer.
    FromOffer(PathBuf),
    /// Fetch from this byte offset (a multiple of a chunk group).
    Fetch { rel: PathBuf, from: u64 },
}

/// The state of one receive run.
struct Run<'a> {
    node: &'a Node,
    transfer_id: i64,
    /// The inbox offer this receive answers, if it is one.
    offer_id: Option<u64>,
    out: PathBuf,
    path: PathKind,
    started: Instant,
    last_event: Instant,
    bytes_total: u64,
    files_total: u64,
    bytes_done: u64,
    files_done: u64,
    transferred: u64,
    rejected: Vec<(String, String)>,
    written: Vec<PathBuf>,
    /// Partial files this run created or extended.
    touched: Vec<PathBuf>,
    /// Files in place whose folders are not synced yet: not reported.
    unsynced: Vec<Unsynced>,
    /// When the oldest of them was placed.
    unsynced_since: Option<Instant>,
    /// Folders that gained or lost a name since the last sync.
    dirs_to_sync: BTreeSet<PathBuf>,
}

/// A file under its final name whose folder still needs a sync.
struct Unsynced {
    /// The name the peer gave, escaped for display.
    name: String,
    path: PathBuf,
    /// Bytes to count as done once it is reported (what the download has
    /// not counted yet).
    bytes: u64,
}

impl<'a> Run<'a> {
    fn new(node: &'a Node, transfer_id: i64, offer: &Offer, out: PathBuf) -> Self {
        Self {
            node,
            transfer_id,
            offer_id: None,
            out,
            path: offer.path,
            started: Instant::now(),
            last_event: Instant::now(),
            bytes_total: offer.bytes,
            files_total: offer.files,
            bytes_done: 0,
            files_done: 0,
            transferred: offer.offer_bytes,
            rejected: Vec::new(),
            written: Vec::new(),
            touched: Vec::new(),
            unsynced: Vec::new(),
            unsynced_since: None,
            dirs_to_sync: BTreeSet::new(),
        }
    }

    fn partial_dir(&self) -> PathBuf {
        self.out.join(PARTIAL_DIR)
    }

    fn partial_path(&self, hash: &Hash) -> PathBuf {
        self.partial_dir().join(format!("{}.part", hash.to_hex()))
    }

    fn storage_error(&self, path: &Path, source: io::Error) -> ReceiveError {
        if is_disk_full(&source) {
            ReceiveError::DiskFull {
                dir: self.out.clone(),
            }
        } else {
            io_error(path, source)
        }
    }

    fn progress(&mut self, force: bool) {
        if !force && self.last_event.elapsed() < Duration::from_millis(100) {
            return;
        }
        self.last_event = Instant::now();
        self.node.inner.events.emit(Event::ReceiveProgress {
            transfer_id: self.transfer_id,
            offer_id: self.offer_id,
            bytes_done: self.bytes_done.min(self.bytes_total),
            bytes_total: self.bytes_total,
            bytes_transferred: self.transferred,
            files_done: self.files_done,
            files_total: self.files_total,
            path: self.path,
        });
    }

    fn reject(&mut self, name: &str, reason: String) {
        let name = name.escape_debug().to_string();
        self.node.inner.events.emit(Event::NameRejected {
            transfer_id: self.transfer_id,
            name: name.clone(),
            reason: reason.clone(),
        });
        self.rejected.push((name, reason));
    }

    async fn execute(&mut self, offer: &Offer) -> Result<(), ReceiveError> {
        let plans = self.plan(offer)?;
        self.progress(true);
        let mut small = Vec::new();
        for (i, (child, plan)) in offer.children.iter().zip(&plans).enumerate() {
            match plan {
                Plan::Dir(rel) => match safe_path::create_dir(&self.out, rel) {
                    Ok(dir) => {
                        if let Some(parent) = dir.parent() {
                            self.names_changed_in(parent);
                        }
                    }
                    Err(e) if is_disk_full(&e) => return Err(self.storage_error(rel, e)),
                    Err(e) => self.reject(&child.raw_name, e.to_string()),
                },
                Plan::Present(path) => {
                    self.files_done += 1;
                    self.bytes_done += child.size;
                    self.written.push(path.clone());
                }
                Plan::FromOffer(rel) => {
                    if let Some(dir) = self.parent_dir(child, rel)? {
                        small.push((i, dir, file_name_of(rel)));
                    }
                    if small.len() >= SMALL_FILE_BATCH {
                        self.write_small(offer, &mut small)?;
                    }
                }
                Plan::Skip | Plan::Fetch { .. } => {}
            }
        }
        self.write_small(offer, &mut small)?;
        self.flush()?;
        self.progress(true);
        let fetch: Vec<(usize, u64)> = plans
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match p {
                Plan::Fetch { from, .. } => Some((i, *from)),
                _ => None,
            })
            .collect();
        let fetched = self.download_all(offer, &plans, fetch).await;
        // What is already in place is reported even when the rest failed.
        let flushed = self.flush();
        fetched?;
        flushed?;
        self.progress(true);
        Ok(())
    }

    /// Downloads every planned file; a partial file whose kept bytes turn
    /// out wrong is fetched again from its start, in a second request.
    async fn download_all(
        &mut self,
        offer: &Offer,
        plans: &[Plan],
        fetch: Vec<(usize, u64)>,
    ) -> Result<(), ReceiveError> {
        if fetch.is_empty() {
            return Ok(());
        }
        let again = self.download(offer, plans, &fetch).await?;
        if again.is_empty() {
            return Ok(());
        }
        let again: Vec<(usize, u64)> = again.into_iter().map(|i| (i, 0)).collect();
        let left = self.download(offer, plans, &again).await?;
        // From byte 0 nothing kept is trusted, so nothing can be refused twice.
        match left.first() {
            Some(&i) => Err(ReceiveError::Protocol(format!(
                "{} could not be fetched from its start",
                offer.children[i].raw_name
            ))),
            None => Ok(()),
        }
    }

    fn plan(&mut self, offer: &Offer) -> Result<Vec<Plan>, ReceiveError> {
        let mut plans = Vec::with_capacity(offer.children.len());
        let mut partial_dir_ready = false;
        for (i, child) in offer.children.iter().enumerate() {
            if Some(i) == offer.text_index {
                plans.push(Plan::Skip);
                continue;
            }
            if child.raw_name.ends_with('/') {
                match safe_path::sanitize_dir(&child.raw_name) {
                    Ok(rel) => plans.push(Plan::Dir(rel)),
                    Err(e) => {
                        self.reject(&child.raw_name, e.to_string());
                        plans.push(Plan::Skip);
                    }
                }
                continue;
            }
            let rel = match safe_path::sanitize(&child.raw_name) {
                Ok(rel) => rel,
                Err(e) => {
                    self.reject(&child.raw_name, e.to_string());
                    plans.push(Plan::Skip);
                    continue;
                }
            };
            if let Some(path) = self.identical_present(&rel, child) {
                plans.push(Plan::Present(path));
                continue;
            }
            if child.content.is_some() {
                plans.push(Plan::FromOffer(rel));
                continue;
            }
            if !partial_dir_ready {
                self.make_partial_dir()?;
                partial_dir_ready = true;
            }
            let partial = self.partial_path(&child.hash);
            let have = match std::fs::symlink_metadata(&partial) {
                Ok(meta) if meta.is_file() => meta.len(),
                // A symlink or special file is never followed or kept: it
                // goes, and the file starts afresh (a folder there fails
                // when the file is opened).
                Ok(meta) if !meta.is_dir() => {
                    std::fs::remove_file(&partial).map_err(|e| self.storage_error(&partial, e))?;
                    0
                }
                _ => 0,
            };
            let from = (have.min(child.size) / GROUP) * GROUP;
            self.bytes_done += from;
            plans.push(Plan::Fetch { rel, from });
        }
        Ok(plans)
    }

    /// Creates `OUT/.ferry-partial` as a real folder; a symlink (or anything
    /// else) there is refused, since partial files would land where it
    /// points.
    fn make_partial_dir(&self) -> Result<(), ReceiveError> {
        let dir = self.partial_dir();
        if let Ok(meta) = std::fs::symlink_metadata(&dir)
            && !meta.is_dir()
        {
            let what = if meta.file_type().is_symlink() {
                "a symlink"
            } else {
                "not a folder"
            };
            return Err(io_error(
                &dir,
                io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!(
                        "Ferry keeps partial files there and it is {what}; remove it and try again"
                    ),
                ),
            ));
        }
        safe_path::create_dir(&self.out, Path::new(PARTIAL_DIR))
            .map(|_| ())
            .map_err(|e| self.storage_error(&dir, e))
    }

    /// The existing file at `rel` (or a numbered variant) if it already
    /// holds exactly this content.
    fn identical_present(&self, rel: &Path, child: &Child) -> Option<PathBuf> {
        let file_name = rel.file_name()?.to_str()?;
        let dir = match rel.parent() {
            Some(p) => self.out.join(p),
            None => self.out.clone(),
        };
        for n in 0..4 {
            let candidate = dir.join(safe_path::numbered_name(file_name, n));
            let meta = std::fs::symlink_metadata(&candidate).ok()?;
            if meta.is_file()
                && meta.len() == child.size
                && hash_file(&candidate).ok()? == child.hash
            {
                return Some(candidate);
            }
        }
        None
    }

    /// Writes files that came whole with the offer straight under their
    /// final names, their data synced together (see
    /// [`safe_path::write_new_files`]), and reports them once their folders
    /// are synced. `small` holds (child, folder, file name) and is emptied.
    fn write_small(
        &mut self,
        offer: &Offer,
        small: &mut Vec<(usize, PathBuf, String)>,
    ) -> Result<(), ReceiveError> {
        let Some((_, first_dir, _)) = small.first() else {
            return Ok(());
        };
        let files: Vec<safe_path::NewFile<'_>> = small
            .iter()
            .map(|(i, dir, name)| safe_path::NewFile {
                dir,
                file_name: name,
                data: offer.children[*i].content.as_deref().unwrap_or_default(),
            })
            .collect();
        let placed =
            safe_path::write_new_files(&files).map_err(|e| self.storage_error(first_dir, e))?;
        drop(files);
        for ((i, _, _), path) in small.drain(..).zip(placed) {
            let child = &offer.children[i];
            self.placed(child, path, child.size);
        }
        self.flush()
    }

    /// Creates the folders above `rel`; `None` if the peer's layout clashes
    /// with what is on disk (that entry is then rejected).
    fn parent_dir(&mut self, child: &Child, rel: &Path) -> Result<Option<PathBuf>, ReceiveError> {
        match safe_path::create_parents(&self.out, rel) {
            Ok(dir) => Ok(Some(dir)),
            Err(e) if is_disk_full(&e) => Err(self.storage_error(rel, e)),
            Err(e) => {
                self.reject(&child.raw_name, e.to_string());
                Ok(None)
            }
        }
    }

    /// Books a file that is now in place (its data synced); it is reported
    /// once its folder is synced too. `bytes` is what the download has not
    /// counted of it yet.
    fn placed(&mut self, child: &Child, path: PathBuf, bytes: u64) {
        if let Some(dir) = path.parent() {
            self.names_changed_in(dir);
        }
        self.unsynced.push(Unsynced {
            name: child.raw_name.escape_debug().to_string(),
            path,
            bytes,
        });
        self.unsynced_since.get_or_insert_with(Instant::now);
    }

    /// Notes that `dir` gained a name, and so did every folder above it up
    /// to the target, in case this run created them.
    fn names_changed_in(&mut self, dir: &Path) {
        for dir in dir.ancestors() {
            if !dir.starts_with(&self.out) || !self.dirs_to_sync.insert(dir.to_path_buf()) {
                break;
            }
        }
    }

    /// Syncs the folders that changed, then reports the files placed in
    /// them: nothing is called received before it would survive a power
    /// cut.
    fn flush(&mut self) -> Result<(), ReceiveError> {
        for dir in std::mem::take(&mut self.dirs_to_sync) {
            safe_path::sync_dir(&dir).map_err(|e| self.storage_error(&dir, e))?;
        }
        self.unsynced_since = None;
        for file in std::mem::take(&mut self.unsynced) {
            self.node.inner.events.emit(Event::FileReceived {
                transfer_id: self.transfer_id,
                name: file.name,
                path: file.path.display().to_string(),
            });
            self.files_done += 1;
            self.bytes_done += file.bytes;
            self.written.push(file.path);
        }
        self.progress(false);
        Ok(())
    }

    /// Flushes when enough files wait, or the oldest has waited long enough.
    fn maybe_flush(&mut self) -> Result<(), ReceiveError> {
        let due = self.unsynced.len() >= SYNC_BATCH_FILES
            || self
                .unsynced_since
                .is_some_and(|since| since.elapsed() >= SYNC_BATCH_AGE);
        if due { self.flush() } else { Ok(()) }
    }

    /// Moves a finished partial file into place.
    fn place(&mut self, child: &Child, rel: &Path, temp: &Path) -> Result<(), ReceiveError> {
        let Some(dir) = self.parent_dir(child, rel)? else {
            let _ = std::fs::remove_file(temp);
            return Ok(());
        };
        let file_name = file_name_of(rel);
        let placed = safe_path::publish(temp, &dir, &file_name)
            .map_err(|e| self.storage_error(&dir.join(&file_name), e))?;
        // Its bytes were counted as they arrived.
        self.placed(child, placed, 0);
        self.maybe_flush()
    }

    /// Fetches the given files (index, first byte) in one request and
    /// places each as it completes. Returns the files whose kept bytes did
    /// not match their hash: those partial files are emptied, to be fetched
    /// again from their start.
    async fn download(
        &mut self,
        offer: &Offer,
        plans: &[Plan],
        fetch: &[(usize, u64)],
    ) -> Result<Vec<usize>, ReceiveError> {
        let mut ranges: Vec<ChunkRanges> = vec![ChunkRanges::empty(); offer.children.len()];
        for (i, from) in fetch {
            ranges[*i] = ChunkRanges::from(ChunkNum(from / 1024)..);
        }
        let seq = if offer.is_collection {
            let mut all = vec![ChunkRanges::empty(), ChunkRanges::empty()];
            all.extend(ranges);
            ChunkRangesSeq::from_ranges(all)
        } else {
            ChunkRangesSeq::from_ranges(ranges)
        };
        let starts: HashMap<usize, u64> = fetch.iter().copied().collect();
        let mut refused = Vec::new();
        let request = GetRequest::new(offer.root, seq);
        let connected = fsm::start(offer.conn.clone(), request, Default::default())
            .next()
            .await
            .map_err(net_error)?;
        let (mut header, mut index) = match connected.next().await.map_err(net_error)? {
            ConnectedNext::StartRoot(root) => (root.next(), 0usize),
            ConnectedNext::StartChild(child) => {
                let index = child_index(offer, child.offset())?;
                (child.next(offer.children[index].hash), index)
            }
            ConnectedNext::Closing(closing) => {
                closing.next().await.map_err(net_error)?;
                return Ok(refused);
            }
        };
        loop {
            let child = &offer.children[index];
            let from = starts.get(&index).copied().unwrap_or(0);
            let (mut content, size) = header.next().await.map_err(|e| match e {
                fsm::AtBlobHeaderNextError::NotFound { .. } => {
                    ReceiveError::NotFound(child.raw_name.clone())
                }
                other => net_error(other),
            })?;
            if size != child.size {
                return Err(ReceiveError::Protocol(format!(
                    "{} changed size from {} to {size} bytes",
                    child.raw_name, child.size
                )));
            }
            let temp = self.partial_path(&child.hash);
            self.touched.push(temp.clone());
            let mut writer =
                PartialWriter::open(&temp, from).map_err(|e| self.storage_error(&temp, e))?;
            // Once the kept bytes are found wrong, the rest of this file's
            // response is read and dropped.
            let mut wrong = false;
            let end = loop {
                match content.next().await {
                    BlobContentNext::More((next, item)) => {
                        content = next;
                        let item = item.map_err(|e| decode_error(&child.raw_name, e))?;
                        let kept_ok = match &item {
                            _ if wrong => false,
                            BaoContentItem::Parent(parent) => writer
                                .check_parent(parent)
                                .map_err(|e| self.storage_error(&temp, e))?,
                            BaoContentItem::Leaf(leaf) => writer.check_leaf(leaf.offset),
                        };
                        if !kept_ok && !wrong {
                            wrong = true;
                            self.discard_kept(child, &mut writer, from, &temp)?;
                            refused.push(index);
                        }
                        if let BaoContentItem::Leaf(leaf) = item {
                            let len = leaf.data.len() as u64;
                            self.transferred += len;
                            if wrong {
                                continue;
                            }
                            writer
                                .write_at(leaf.offset, &leaf.data)
                                .map_err(|e| self.storage_error(&temp, e))?;
                            self.bytes_done += len;
                            self.progress(false);
                        }
                    }
                    BlobContentNext::Done(end) => break end,
                }
            };
            if !wrong && !writer.kept_proven() {
                self.discard_kept(child, &mut writer, from, &temp)?;
                refused.push(index);
                wrong = true;
            }
            if !wrong {
                writer
                    .finish(size)
                    .map_err(|e| self.storage_error(&temp, e))?;
                if let Plan::Fetch { rel, .. } = &plans[index] {
                    self.place(child, rel, &temp)?;
                }
            }
            match end.next() {
                EndBlobNext::MoreChildren(next) => {
                    index = child_index(offer, next.offset())?;
                    header = next.next(offer.children[index].hash);
                }
                EndBlobNext::Closing(closing) => {
                    closing.next().await.map_err(net_error)?;
                    break;
                }
            }
        }
        Ok(refused)
    }

    /// Empties a partial file whose kept bytes do not match the hash.
    fn discard_kept(
        &mut self,
        child: &Child,
        writer: &mut PartialWriter,
        from: u64,
        temp: &Path,
    ) -> Result<(), ReceiveError> {
        tracing::warn!(
            "the partial file of {} does not match its hash; fetching it again from the start",
            child.raw_name.escape_debug()
        );
        self.bytes_done = self.bytes_done.saturating_sub(from);
        writer.discard().map_err(|e| self.storage_error(temp, e))
    }

    /// Removes this run's partial files (after a full disk).
    fn remove_partials(&self) {
        for path in &self.touched {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Removes the partial folder once nothing is left in it.
    fn tidy_partial_dir(&self) {
        let _ = std::fs::remove_dir(self.partial_dir());
    }
}

fn child_index(offer: &Offer, offset: u64) -> Result<usize, ReceiveError> {
    let index = if offer.is_collection {
        offset.checked_sub(2)
    } else {
        Some(offset)
    };
    index
        .map(|i| i as usize)
        .filter(|i| *i < offer.children.len())
        .ok_or_else(|| ReceiveError::Protocol(format!("an unexpected child at offset {offset}")))
}

fn file_name_of(rel: &Path) -> String {
    rel.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file")
        .to_string()
}

fn is_disk_full(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::StorageFull || e.kind() == io::ErrorKind::QuotaExceeded
}

/// BLAKE3 of a file, as iroh-blobs computes it.
fn hash_file(path: &Path) -> io::Result<Hash> {
    let mut hasher = blake3::Hasher::new();
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(Hash::from(hasher.finalize()))
}

/// Writes verified leaves of one file, in order, through a buffer, after
/// proving the bytes an earlier run left in it.
///
/// Proof: a response for the bytes from `kept` on starts with the parent
/// nodes on the path from the root to byte `kept`. The left child of each
/// such node that lies wholly before `kept` is a subtree of kept bytes;
/// taken from the root down they tile `0..kept` exactly. Each is hashed
/// from the file and compared with the (verified) hash its parent carries,
/// before the first leaf is written.
struct PartialWriter {
    file: BufWriter<File>,
    pos: u64,
    /// Bytes kept from an earlier run.
    kept: u64,
    /// How many of them, from the start, match the hashes seen so far.
    proven: u64,
    /// Whether the check is over (a leaf arrived, or the file was emptied).
    checked: bool,
}

impl PartialWriter {
    fn open(path: &Path, from: u64) -> io::Result<Self> {
        let mut file = safe_path::open_partial(path)?;
        file.set_len(from)?;
        file.seek(SeekFrom::Start(from))?;
        Ok(Self {
            file: BufWriter::with_capacity(1024 * 1024, file),
            pos: from,
            kept: from,
            proven: 0,
            checked: from == 0,
        })
    }

    /// Checks the kept bytes under `parent`'s left child, when that child
    /// is the next piece of them; false if they do not match.
    fn check_parent(&mut self, parent: &Parent) -> io::Result<bool> {
        if self.checked || self.proven >= self.kept {
            return Ok(true);
        }
        let start = parent.node.chunk_range().start.to_bytes();
        let mid = parent.node.mid().to_bytes();
        if start != self.proven || mid > self.kept {
            // Not a piece of the kept bytes (the path goes left here).
            return Ok(true);
        }
        let file = self.file.get_mut();
        let hash = subtree_hash(file, start, mid)?;
        file.seek(SeekFrom::Start(self.pos))?;
        if hash == Some(parent.pair.0) {
            self.proven = mid;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Whether every kept byte before the first leaf (at `offset`) is
    /// proven; kept bytes from `offset` on are overwritten with verified
    /// ones.
    fn check_leaf(&mut self, offset: u64) -> bool {
        if self.checked {
            return true;
        }
        self.checked = true;
        self.proven >= self.kept.min(offset)
    }

    /// Whether the kept bytes are proven (for a response without leaves).
    fn kept_proven(&self) -> bool {
        self.checked || self.proven >= self.kept
    }

    /// Empties the file: none of its kept bytes are kept.
    fn discard(&mut self) -> io::Result<()> {
        self.file.flush()?;
        let file = self.file.get_mut();
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        self.pos = 0;
        self.kept = 0;
        self.proven = 0;
        self.checked = true;
        Ok(())
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        if offset != self.pos {
            self.file.seek(SeekFrom::Start(offset))?;
        }
        self.file.write_all(data)?;
        self.pos = offset + data.len() as u64;
        Ok(())
    }

    /// Checks the length and syncs the data, so that the file can take its
    /// final name.
    fn finish(mut self, size: u64) -> io::Result<()> {
        self.file.flush()?;
        let file = self.file.get_mut();
        let len = file.metadata()?.len();
        if len != size {
            return Err(io::Error::other(format!(
                "wrote {len} of {size} bytes; the file is not complete"
            )));
        }
        file.sync_data()
    }
}

/// The BLAKE3 chaining value of the subtree of a file's bytes
/// `start..end` (a subtree of the whole file's tree, never its root);
/// `None` if the file is shorter.
fn subtree_hash(file: &mut File, start: u64, end: u64) -> io::Result<Option<blake3::Hash>> {
    use blake3::hazmat::HasherExt;
    if end <= start || !start.is_multiple_of(1024) {
        return Ok(None);
    }
    let mut hasher = blake3::Hasher::new();
    hasher.set_input_offset(start);
    file.seek(SeekFrom::Start(start))?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut left = end - start;
    while left > 0 {
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        match file.read_exact(&mut buf[..n]) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        hasher.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(Some(blake3::Hash::from(hasher.finalize_non_root())))
}
