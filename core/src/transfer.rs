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

mod offer;
mod partial;
mod run;
pub use crate::safe_path;

use offer::*;
use partial::*;
pub(crate) use run::hash_file;
use run::*;

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

impl crate::HasKind for ReceiveError {
    fn kind(&self) -> ErrorKind {
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
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
