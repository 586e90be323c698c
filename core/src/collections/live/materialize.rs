//! Materialize: the versions the collection holds written into the folder,
//! never over a local edit the scan has not taken yet.

use n0_future::BufferedStreamExt;

use super::*;

/// Files a round writes at once.
const PARALLEL_WRITES: usize = 16;

/// A file a round writes.
struct Write {
    path: Arc<str>,
    want: Placed,
    change: FileChange,
    known: Option<FileRow>,
}

/// How writing one file went.
enum Written {
    /// Its old content could not be kept aside: left as it is.
    Skipped,
    Done {
        stat: mirror::Stat,
        kept: bool,
    },
    Failed {
        kept: bool,
        /// Nothing is at its path any more.
        gone: bool,
    },
}

impl OpenCollection {
    /// Brings the folder to what the entries describe.
    pub(super) async fn materialize(
        &self,
        node: &Node,
        dir: &Path,
        ignore: &Ignore,
        st: &mut MirrorState,
        folder: &Folder,
    ) {
        let mut upserts = Vec::new();
        let mut removes = Vec::new();
        let mut kept_any = false;
        // Reported only once the folders holding them are synced.
        let mut changed: Vec<(Arc<str>, FileChange)> = Vec::new();
        // First what to write, then the writes, many at once: most of a
        // first sync is waiting on the file system, one small file at a time.
        let mut writes = Vec::new();
        // A second path with the same content waits for the first: its
        // staged file goes to the first, the second copies it out after.
        let mut after = Vec::new();
        let mut hashes = HashSet::new();
        for (path, want) in folder {
            let known = st.index.get(&**path);
            // What the index says is there already costs no more (most of
            // a large folder, every round).
            if known.is_some_and(|k| {
                k.version == want.version && k.conflict == want.conflict_of.is_some()
            }) {
                continue;
            }
            if ignore.is_ignored(path) {
                continue;
            }
            let target = dir.join(&**path);
            let change = match plan::write(known, want, || mirror::stat(&target)) {
                plan::Write::UpToDate | plan::Write::Wait => continue,
                plan::Write::Reindex => {
                    if let Some(k) = known {
                        let mut r = k.clone();
                        r.version = want.version;
                        r.conflict = want.conflict_of.is_some();
                        st.index.insert(path.clone(), r.clone());
                        upserts.push(r);
                    }
                    continue;
                }
                plan::Write::File(change) => change,
            };
            // Not fetched yet: a later round writes it.
            if !self.is_staged(&want.hash) && !self.has(node, want.hash).await {
                continue;
            }
            let write = Write {
                path: path.clone(),
                want: want.clone(),
                change,
                known: known.cloned(),
            };
            if hashes.insert(want.hash) {
                writes.push(write);
            } else {
                after.push(write);
            }
        }
        // Staged content is written without a sync of its own: one sync of
        // the file system makes all of it durable before any of it is named
        // in the folder.
        let staged: Vec<Hash> = writes
            .iter()
            .map(|w| w.want.hash)
            .filter(|h| self.is_staged(h))
            .collect();
        if !staged.is_empty() {
            let staging = dir.join(keep::STAGING_DIR);
            match tokio::task::spawn_blocking(move || mirror::sync_staged(&staging, &staged)).await
            {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    warn!(collection = %self.name, "syncing fetched content: {e}");
                    return;
                }
                Err(e) => {
                    warn!(collection = %self.name, "syncing fetched content: {e}");
                    return;
                }
            }
        }
        let mut done: Vec<(Write, Written)> = n0_future::stream::iter(writes)
            .map(|w| async move {
                let written = self.write_one(node, dir, &w).await;
                (w, written)
            })
            .buffered_unordered(PARALLEL_WRITES)
            .collect()
            .await;
        for w in after {
            let written = self.write_one(node, dir, &w).await;
            done.push((w, written));
        }
        for (w, written) in done {
            let Write {
                path, want, change, ..
            } = w;
            match written {
                Written::Skipped => {}
                Written::Done { stat, kept } => {
                    kept_any |= kept;
                    let mut r = FileRow {
                        path: path.clone(),
                        version: want.version,
                        hash: want.hash,
                        conflict: want.conflict_of.is_some(),
                        ..FileRow::default()
                    };
                    r.set_stat(stat);
                    st.index.insert(path.clone(), r.clone());
                    upserts.push(r);
                    changed.push((path, change));
                }
                Written::Failed { kept, gone } => {
                    kept_any |= kept;
                    // Its old file was moved aside: the index forgets it, so
                    // no scan takes it for a deletion made here.
                    if gone {
                        st.index.remove(&path);
                        removes.push(path);
                    }
                }
            }
        }
        let stale: Vec<FileRow> = st
            .index
            .values()
            .filter(|r| !folder.contains_key(&*r.path))
            .cloned()
            .collect();
        for row in stale {
            let target = dir.join(&*row.path);
            match plan::removal(&row, mirror::stat(&target)) {
                plan::Removal::Delete => {
                    // Kept aside, within the retention policy.
                    if let Err(e) = self.keep_aside(node, dir, &row.path, row.hash).await {
                        warn!(collection = %self.name, "removing {}: {e}", row.path);
                        continue;
                    }
                    kept_any = true;
                    changed.push((row.path.clone(), FileChange::Deleted));
                }
                plan::Removal::KeepEdit => continue,
                plan::Removal::Forget => {}
            }
            st.index.remove(&row.path);
            removes.push(row.path);
        }
        if kept_any {
            let bytes = folder.values().map(|p| p.size).sum();
            self.trim_kept(node, dir, bytes).await;
        }
        if upserts.is_empty() && removes.is_empty() {
            return;
        }
        // Each file's data was synced before its rename; syncing the folders
        // makes the names durable before anything reports or records them.
        let (root, paths) = (
            dir.to_path_buf(),
            changed.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        );
        match tokio::task::spawn_blocking(move || mirror::sync_dirs(&root, &paths)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => warn!(collection = %self.name, "syncing the folder: {e}"),
            Err(e) => warn!(collection = %self.name, "syncing the folder: {e}"),
        }
        // The entries behind these writes are committed first, so after a
        // crash the index never names versions the store has forgotten.
        if let Err(e) = node.inner.collections.flush().await {
            warn!("flushing collection changes: {e}");
        }
        if let Err(e) = node
            .inner
            .db
            .update_collection_files(self.id, &upserts, &removes)
        {
            warn!("saving the folder index: {e}");
        }
        // Reported last: a change seen is on disk and in the index, so a
        // stop right after it does not make the next scan take it anew.
        for (path, change) in &changed {
            self.emit_change(node, path, *change, ChangeOrigin::Remote);
        }
    }

    /// One file of a round: what it holds now is kept aside (not lost),
    /// then the new content is written.
    async fn write_one(&self, node: &Node, dir: &Path, w: &Write) -> Written {
        let target = dir.join(&*w.path);
        let mut kept = false;
        if let Some(known) = &w.known
            && mirror::stat(&target).is_some()
        {
            if let Err(e) = self.keep_aside(node, dir, &w.path, known.hash).await {
                warn!(collection = %self.name, "keeping the old {} aside: {e}", w.path);
                return Written::Skipped;
            }
            kept = true;
        }
        match self.write_file(node, dir, &w.path, &w.want).await {
            Ok(stat) => Written::Done { stat, kept },
            Err(e) => {
                warn!(collection = %self.name, "writing {}: {e}", w.path);
                Written::Failed {
                    kept,
                    gone: w.known.is_some() && mirror::stat(&target).is_none(),
                }
            }
        }
    }

    /// Writes the content `want` names at `path` and references it there
    /// (the store keeps no copy). Returns the stat of the file written.
    pub(super) async fn write_file(
        &self,
        node: &Node,
        dir: &Path,
        path: &str,
        want: &Placed,
    ) -> std::io::Result<mirror::Stat> {
        let (root, rel) = (dir.to_path_buf(), path.to_string());
        let (target, temp) = tokio::task::spawn_blocking(move || mirror::prepare(&root, &rel))
            .await
            .map_err(std::io::Error::other)??;
        let stat = self
            .place(node, dir, want.hash, target.clone(), temp)
            .await?;
        if want.hash == Hash::EMPTY {
            return Ok(stat);
        }
        match keep::reference(node, &target).await {
            Ok((hash, tag)) if hash == want.hash => self.hold(tag),
            Ok((hash, _)) => {
                // Edited between the write and the import: the scan takes
                // the edit; nothing stored names the wrong bytes.
                self.mark_stale(node, hash, 0);
                return Err(std::io::Error::other("changed while it was written"));
            }
            Err(e) => debug!("referencing {}: {e}", target.display()),
        }
        Ok(stat)
    }

    pub(super) fn emit_change(
        &self,
        node: &Node,
        path: &str,
        change: FileChange,
        origin: ChangeOrigin,
    ) {
        node.inner.events.emit(Event::CollectionChanged {
            collection: self.name.clone(),
            path: path.to_string(),
            change,
            origin,
        });
    }
}
