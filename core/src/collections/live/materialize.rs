//! Materialize: the versions the collection holds written into the folder,
//! never over a local edit the scan has not taken yet.

use super::*;

impl OpenCollection {
    /// Brings the folder to what the entries describe.
    pub(super) async fn materialize(
        &self,
        node: &Node,
        dir: &Path,
        ignore: &Ignore,
        st: &mut MirrorState,
        folder: &BTreeMap<String, Placed>,
    ) {
        let mut upserts = Vec::new();
        let mut removes = Vec::new();
        // Reported only once the folders holding them are synced.
        let mut changed: Vec<(String, FileChange)> = Vec::new();
        for (path, want) in folder {
            if ignore.is_ignored(path) {
                continue;
            }
            let known = st.index.get(path);
            let target = dir.join(path);
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
            if !self.has(node, want.hash).await {
                continue;
            }
            match self.write_file(node, dir, path, want).await {
                Ok((size, mtime_ns)) => {
                    let r = FileRow {
                        path: path.clone(),
                        version: want.version,
                        hash: want.hash.to_hex().to_string(),
                        size,
                        mtime_ns,
                        conflict: want.conflict_of.is_some(),
                    };
                    st.index.insert(path.clone(), r.clone());
                    upserts.push(r);
                    changed.push((path.clone(), change));
                }
                Err(e) => warn!(collection = %self.name, "writing {path}: {e}"),
            }
        }
        let stale: Vec<FileRow> = st
            .index
            .values()
            .filter(|r| !folder.contains_key(&r.path))
            .cloned()
            .collect();
        for row in stale {
            let target = dir.join(&row.path);
            match plan::removal(&row, mirror::stat(&target)) {
                plan::Removal::Delete => {
                    let (dir, rel) = (dir.to_path_buf(), row.path.clone());
                    let removed =
                        tokio::task::spawn_blocking(move || mirror::remove(&dir, &rel)).await;
                    if !matches!(removed, Ok(Ok(()))) {
                        continue;
                    }
                    changed.push((row.path.clone(), FileChange::Deleted));
                }
                plan::Removal::KeepEdit => continue,
                plan::Removal::Forget => {}
            }
            st.index.remove(&row.path);
            removes.push(row.path);
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

    pub(super) async fn write_file(
        &self,
        node: &Node,
        dir: &Path,
        path: &str,
        want: &Placed,
    ) -> std::io::Result<(u64, i64)> {
        let (root, rel) = (dir.to_path_buf(), path.to_string());
        let (target, temp) = tokio::task::spawn_blocking(move || mirror::prepare(&root, &rel))
            .await
            .map_err(std::io::Error::other)??;
        export(node, want.hash, &temp).await?;
        tokio::task::spawn_blocking(move || mirror::commit(&temp, &target))
            .await
            .map_err(std::io::Error::other)?
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

/// Writes a blob to a new file at `target`.
pub(super) async fn export(node: &Node, hash: Hash, target: &Path) -> std::io::Result<()> {
    if hash == Hash::EMPTY {
        return std::fs::write(target, b"");
    }
    node.inner
        .store
        .export(hash, target)
        .finish()
        .await
        .map(|_| ())
        .map_err(|e| {
            std::fs::remove_file(target).ok();
            std::io::Error::other(e.to_string())
        })
}
