//! Scan: the folder read into new versions (imports, deletions, edited
//! conflict copies resolved).

use n0_future::BufferedStreamExt;

use super::*;

/// Files referenced at once by a scan.
const PARALLEL_IMPORTS: usize = 16;
/// Versions a scan has the docs store write at once.
const PARALLEL_VERSIONS: usize = 32;
/// Files a scan takes in per step: one step's versions are written while
/// the next step's files are referenced.
const SCAN_CHUNK: usize = 2048;

impl OpenCollection {
    /// Writes new versions many at once: the docs store signs and stores
    /// them one after another, without waiting for each answer in turn.
    async fn write_versions(
        &self,
        node: &Node,
        versions: Vec<(Version, FileRow, FileChange)>,
    ) -> Vec<(FileRow, FileChange, Result<(), CollectionError>)> {
        n0_future::stream::iter(versions)
            .map(|(version, row, change)| async move {
                let done = self.write_version(node, version).await;
                (row, change, done)
            })
            .buffered_ordered(PARALLEL_VERSIONS)
            .collect()
            .await
    }

    /// Indexes and reports the versions written.
    fn recorded(
        &self,
        node: &Node,
        st: &mut MirrorState,
        upserts: &mut Vec<FileRow>,
        again: &mut Option<Duration>,
        written: Vec<(FileRow, FileChange, Result<(), CollectionError>)>,
    ) {
        for (row, change, done) in written {
            if let Err(e) = done {
                warn!("recording {}: {e}", row.path);
                *again = Some(SETTLE);
                continue;
            }
            st.index.insert(row.path.clone(), row.clone());
            self.emit_change(node, &row.path, change, ChangeOrigin::Local);
            upserts.push(row);
        }
    }

    /// Imports local changes. Returns when to look again if a file was
    /// still being written.
    pub(super) async fn scan(
        &self,
        node: &Node,
        dir: &Path,
        ignore: &Ignore,
        st: &mut MirrorState,
        watch: &mut FolderWatch,
        eager: bool,
    ) -> Option<Duration> {
        // The paths the watcher named, or (`None`) the whole folder.
        let scope = if eager {
            None
        } else {
            watch.take_scope(dir, st.unsettled.keys())
        };
        let scope = scope.as_ref();
        let walk = {
            let (root, ignore) = (dir.to_path_buf(), ignore.clone());
            let scope = scope.cloned();
            let walked = tokio::task::spawn_blocking(move || match &scope {
                None => mirror::walk(&root, &ignore),
                Some(scope) => mirror::walk_some(&root, &ignore, scope.iter().map(String::as_str)),
            });
            match walked.await {
                Ok(Ok(walk)) => walk,
                Ok(Err(e)) => {
                    warn!(collection = %self.name, "cannot read {}: {e}", dir.display());
                    return Some(SETTLE);
                }
                Err(_) => return None,
            }
        };
        for (path, reason) in walk.unsyncable {
            if st.reported.insert(path.clone()) {
                node.inner.events.emit(Event::CollectionEntryRefused {
                    collection: self.name.clone(),
                    peer: node.id().to_string(),
                    reason: format!("{path}: {reason}"),
                });
            }
        }
        let now_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        let mut again = None;
        let mut upserts = Vec::new();
        // New versions, written after the loop.
        let mut versions = Vec::new();
        let mut removes = Vec::new();
        let seen: HashSet<String> = walk.files.iter().map(|f| f.path.clone()).collect();
        // What this scan read: a path it did not find there is gone.
        let looked_at = |path: &str| match scope {
            None => true,
            Some(scope) => {
                scope.contains(path)
                    || path
                        .match_indices('/')
                        .any(|(i, _)| scope.contains(&path[..i]))
            }
        };
        // Content of files gone from disk is stale before anything is
        // imported: a file renamed here is hashed first and not imported
        // over the entry that names its old path.
        for row in st.index.values() {
            if !seen.contains(&*row.path) && looked_at(&row.path) && !ignore.is_ignored(&row.path) {
                self.mark_stale(node, row.hash, row.size);
            }
        }
        let expiry = Instant::now().checked_sub(WRITE_EXPIRY);
        let being_written = |abs: &Path| {
            !eager
                && watch
                    .writing
                    .get(abs)
                    .is_some_and(|since| expiry.is_none_or(|e| *since > e))
        };
        // What the entries place where, taken once when a new file needs it.
        let mut placed_now: Option<Arc<Folder>> = None;
        // A chunk at a time: the versions of one chunk are written while
        // the files of the next are referenced (the docs store and the
        // blob store work at once).
        let mut files = walk.files.into_iter();
        loop {
            let chunk: Vec<mirror::DiskFile> = files.by_ref().take(SCAN_CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            // Files to take in are referenced several at a time (the
            // store's round trips overlap; a first scan of a large folder is
            // mostly these). What the loop below decides for each file is
            // unchanged: a file it does not take in drops its reference's tag.
            let references = async {
                let mut referenced: HashMap<String, Result<(Hash, TempTag), String>> =
                    HashMap::new();
                let mut imports = Vec::new();
                for file in &chunk {
                    let abs = dir.join(&file.path);
                    let writing = being_written(&abs);
                    let found = plan::Found {
                        indexed: st.index.get(file.path.as_str()).map(FileRow::stat),
                        stat: file.stat,
                        being_written: writing,
                        closed: !eager && !writing && watch.closed.contains(&abs),
                        age: Duration::from_nanos(
                            now_ns.saturating_sub(file.stat.mtime_ns).max(0) as u64
                        ),
                        left_at: st.unsettled.get(&file.path).copied(),
                    };
                    if plan::look(&found, eager) == plan::Look::Import
                        && !self.may_be_stale(file.stat.size)
                    {
                        imports.push((file.path.clone(), abs));
                    }
                }
                let mut running = tokio::task::JoinSet::new();
                let mut queued = imports.into_iter();
                loop {
                    while running.len() < PARALLEL_IMPORTS {
                        let Some((path, abs)) = queued.next() else {
                            break;
                        };
                        let node = node.clone();
                        running.spawn(async move { (path, keep::reference(&node, &abs).await) });
                    }
                    match running.join_next().await {
                        Some(Ok((path, result))) => {
                            referenced.insert(path, result);
                        }
                        Some(Err(_)) => {}
                        None => break,
                    }
                }
                referenced
            };
            let (written, mut referenced) = tokio::join!(
                self.write_versions(node, std::mem::take(&mut versions)),
                references
            );
            self.recorded(node, st, &mut upserts, &mut again, written);
            for file in chunk {
                let known = st.index.get(file.path.as_str()).cloned();
                let abs = dir.join(&file.path);
                let being_written = being_written(&abs);
                let found = plan::Found {
                    indexed: known.as_ref().map(FileRow::stat),
                    stat: file.stat,
                    being_written,
                    closed: !eager && !being_written && watch.closed.remove(&abs),
                    age: Duration::from_nanos(
                        now_ns.saturating_sub(file.stat.mtime_ns).max(0) as u64
                    ),
                    left_at: st.unsettled.get(&file.path).copied(),
                };
                match plan::look(&found, eager) {
                    plan::Look::Unchanged => {
                        // A row from before inodes were kept learns them.
                        if let Some(mut k) = known
                            && file.stat.completes(&k.stat())
                        {
                            k.set_stat(file.stat);
                            st.index.insert(k.path.clone(), k.clone());
                            upserts.push(k);
                        }
                        continue;
                    }
                    plan::Look::Writing => {
                        again = Some(RECHECK);
                        continue;
                    }
                    plan::Look::Settling => {
                        st.unsettled.insert(file.path.clone(), found.stat);
                        again = Some(RECHECK);
                        continue;
                    }
                    plan::Look::Import => {}
                }
                st.unsettled.remove(&file.path);
                // At the collection's limit: said once, not imported again at
                // every scan.
                if let Err(reason) = self.model().room_for_version(&file.path) {
                    if st.reported.insert(file.path.clone()) {
                        node.inner.events.emit(Event::CollectionEntryRefused {
                            collection: self.name.clone(),
                            peer: node.id().to_string(),
                            reason: format!("{}: {reason}", file.path),
                        });
                    }
                    continue;
                }
                // Referenced in place: the store keeps its outboard only. A
                // file that may hold stale content is hashed first; if it does,
                // it is taken in once the sweep removed the stale entry.
                let prehashed = if self.may_be_stale(file.stat.size) {
                    let path = abs.clone();
                    match tokio::task::spawn_blocking(move || crate::transfer::hash_file(&path))
                        .await
                    {
                        Ok(Ok(hash)) => Some(hash).filter(|h| self.is_stale(h)),
                        _ => None,
                    }
                } else {
                    None
                };
                let hash = match prehashed {
                    Some(hash) => hash,
                    None => {
                        let imported = match referenced.remove(&file.path) {
                            Some(done) => done,
                            None => keep::reference(node, &abs).await,
                        };
                        match imported {
                            Ok((hash, tag)) => {
                                self.hold(tag);
                                hash
                            }
                            Err(e) => {
                                debug!("importing {}: {e}", abs.display());
                                again = Some(SETTLE);
                                continue;
                            }
                        }
                    }
                };
                // The store's entry for what the file held names bytes that
                // are gone now.
                if let Some(k) = &known
                    && k.hash != hash
                {
                    self.mark_stale(node, k.hash, k.size);
                }
                // Changed while it was read: look again later.
                if mirror::stat(&abs) != Some(file.stat) {
                    self.mark_stale(node, hash, file.stat.size);
                    again = Some(RECHECK);
                    continue;
                }
                let path: Arc<str> = match &known {
                    Some(k) => k.path.clone(),
                    None => file.path.as_str().into(),
                };
                let row = |version| {
                    let mut row = FileRow {
                        path: path.clone(),
                        version,
                        hash,
                        conflict: false,
                        ..FileRow::default()
                    };
                    row.set_stat(file.stat);
                    row
                };
                let placed = || {
                    placed_now
                        .get_or_insert_with(|| self.model().folder())
                        .get(file.path.as_str())
                        .map(|p| (p.version, p.hash))
                };
                let recorded = plan::record(known.as_ref(), &hash, placed);
                // Only the index changes: touched, or already what the
                // collection holds there.
                let indexed_only = match (&recorded, &known) {
                    (plan::Record::Touched, Some(k)) => Some((k.version, k.conflict)),
                    (plan::Record::AlreadyPlaced { version }, _) => Some((*version, false)),
                    _ => None,
                };
                if let Some((version, conflict)) = indexed_only {
                    let mut r = row(version);
                    r.conflict = conflict;
                    st.index.insert(path.clone(), r.clone());
                    upserts.push(r);
                    continue;
                }
                let parents = match &recorded {
                    plan::Record::ResolvedCopy => {
                        if let Some(k) = &known {
                            self.resolve(node, k).await;
                        }
                        Vec::new()
                    }
                    plan::Record::Edited { parent } => vec![*parent],
                    _ => Vec::new(),
                };
                let change = recorded.change().unwrap_or(FileChange::Added);
                let content = Some((hash, file.stat.size));
                let version = new_version(node, &file.path, parents, content);
                let r = row(version.id);
                versions.push((version, r, change));
            }
        }
        let written = self.write_versions(node, versions).await;
        self.recorded(node, st, &mut upserts, &mut again, written);
        // Files gone from disk.
        let gone: Vec<FileRow> = st
            .index
            .values()
            .filter(|r| {
                !seen.contains(&*r.path) && looked_at(&r.path) && !ignore.is_ignored(&r.path)
            })
            .cloned()
            .collect();
        for row in gone {
            if row.conflict {
                self.resolve(node, &row).await;
            } else {
                let version = new_version(node, &row.path, vec![row.version], None);
                if let Err(e) = self.write_version(node, version).await {
                    warn!("recording the deletion of {}: {e}", row.path);
                    continue;
                }
                self.emit_change(node, &row.path, FileChange::Deleted, ChangeOrigin::Local);
            }
            st.index.remove(&row.path);
            removes.push(row.path);
        }
        if upserts.is_empty() && removes.is_empty() {
            return again;
        }
        // The versions reach the disk before the index says they exist: a
        // crash in between imports the files again, never loses them.
        if let Err(e) = node.inner.collections.flush().await {
            warn!("flushing collection changes: {e}");
            return Some(SETTLE);
        }
        if let Err(e) = node
            .inner
            .db
            .update_collection_files(self.id, &upserts, &removes)
        {
            warn!("saving the folder index: {e}");
        }
        again
    }

    /// Marks the conflict a conflict copy showed as resolved: a version of
    /// the original path that replaces both the shown and the copied one.
    pub(super) async fn resolve(&self, node: &Node, copy: &FileRow) {
        let merge = {
            let model = self.model();
            let Some(loser) = model.version(&copy.version) else {
                return;
            };
            let path = loser.path.clone();
            let Some(winner) = model.winner(&path) else {
                return;
            };
            if winner.id == loser.id {
                return;
            }
            new_version(node, &path, vec![winner.id, loser.id], winner.content)
        };
        if let Err(e) = self.write_version(node, merge).await {
            warn!("resolving a conflict: {e}");
        }
    }
}

/// The ignore patterns of `dir`, compiled again only when `.ferryignore`
/// changed.
pub(super) fn cached_ignore(st: &mut MirrorState, dir: &Path) -> Ignore {
    let text = crate::collections::ignore::read(dir);
    match &st.ignore {
        Some((cached, ignore)) if *cached == text => ignore.clone(),
        _ => {
            let ignore = Ignore::parse(&text);
            st.ignore = Some((text, ignore.clone()));
            ignore
        }
    }
}
