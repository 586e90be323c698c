//! One receive run: the plan for every name, the verified download into
//! partial files, placement under final names, and the syncs that make
//! "done" durable.

use super::*;

/// What to do with one child of the offer.
#[derive(Debug)]
pub(super) enum Plan {
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
pub(super) struct Run<'a> {
    node: &'a Node,
    transfer_id: i64,
    /// The inbox offer this receive answers, if it is one.
    pub(super) offer_id: Option<u64>,
    out: PathBuf,
    pub(super) path: PathKind,
    pub(super) started: Instant,
    last_event: Instant,
    bytes_total: u64,
    files_total: u64,
    pub(super) bytes_done: u64,
    pub(super) files_done: u64,
    pub(super) transferred: u64,
    pub(super) rejected: Vec<(String, String)>,
    pub(super) written: Vec<PathBuf>,
    /// Partial files this run created or extended.
    touched: Vec<PathBuf>,
    /// Files in place whose folders are not synced yet: not reported.
    unsynced: Vec<Unsynced>,
    /// When the oldest of them was placed.
    unsynced_since: Option<Instant>,
    /// Folders that gained or lost a name since the last sync.
    pub(super) dirs_to_sync: BTreeSet<PathBuf>,
}

/// A file under its final name whose folder still needs a sync.
pub(super) struct Unsynced {
    /// The name the peer gave, escaped for display.
    name: String,
    path: PathBuf,
    /// Bytes to count as done once it is reported (what the download has
    /// not counted yet).
    bytes: u64,
}

impl<'a> Run<'a> {
    pub(super) fn new(node: &'a Node, transfer_id: i64, offer: &Offer, out: PathBuf) -> Self {
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

    pub(super) async fn execute(&mut self, offer: &Offer) -> Result<(), ReceiveError> {
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
    pub(super) fn remove_partials(&self) {
        for path in &self.touched {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Removes the partial folder once nothing is left in it.
    pub(super) fn tidy_partial_dir(&self) {
        let _ = std::fs::remove_dir(self.partial_dir());
    }
}

pub(super) fn child_index(offer: &Offer, offset: u64) -> Result<usize, ReceiveError> {
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

pub(super) fn file_name_of(rel: &Path) -> String {
    rel.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file")
        .to_string()
}

pub(super) fn is_disk_full(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::StorageFull || e.kind() == io::ErrorKind::QuotaExceeded
}

/// BLAKE3 of a file, as iroh-blobs computes it.
pub(crate) fn hash_file(path: &Path) -> io::Result<Hash> {
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
