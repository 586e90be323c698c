//! Content held in place: files referenced where they are, content fetched
//! straight into the folder, old content kept aside, and store entries
//! that went stale taken in again.
//!
//! The blob store holds no copy of a folder's files: a scan imports a file
//! by reference (the store keeps its outboard and where it is), a fetch
//! writes verified bytes into the folder's staging area (`.ferry-partial`),
//! from where a round moves them to their place and references them. When a
//! change from another member replaces or deletes a file here, the old file
//! is moved (renamed, never copied) into `.ferry-history/<hash>`, within
//! the collection's retention policy ([`crate::KeepPolicy`]: by default 30
//! days and 10 % of the folder).
//!
//! A file that changes, moves or goes leaves the store's entry for its old
//! content naming bytes that are not there: that content is marked stale
//! (never read, fetched or protected meanwhile), a sweep removes the entry
//! (see [`crate::collections::Sweeper`]), and it is imported again from
//! wherever it is still intact. Every read of stored content is verified
//! against its outboard, so a stale entry can fail a read, never hand out
//! wrong bytes.

use super::*;
use crate::{
    safe_path,
    store::{KeptRow, now_ms},
};
use bao_tree::io::mixed::EncodedItem;
use iroh_blobs::protocol::ChunkRanges;

/// Ferry's staging area in a collection's folder.
pub(crate) const STAGING_DIR: &str = ".ferry-partial";
/// Where old content is kept aside, in a collection's folder.
pub(crate) const HISTORY_DIR: &str = ".ferry-history";
/// Kept old content within this many bytes is never removed for a share
/// of the folder's size, so that a small folder keeps its history too.
pub(crate) const KEEP_AT_LEAST: u64 = 1 << 20;
/// A stale entry that no sweep removed within this long (content a live
/// share holds) is trusted again: reads of it stay verified.
const STALE_GIVE_UP: Duration = Duration::from_secs(60);
/// How long a temp tag of content just taken in is held.
const HOLD: Duration = Duration::from_secs(30);

impl OpenCollection {
    /// Marks content (of `size` bytes, 0 if not known) whose store entry
    /// may name bytes that changed, and asks for a sweep.
    pub(super) fn mark_stale(&self, node: &Node, hash: Hash, size: u64) {
        if hash == Hash::EMPTY {
            return;
        }
        lock(&self.stale).insert(hash, (Instant::now(), size));
        lock(&self.have).remove(&hash);
        // A tag held for it would keep the sweep from removing it.
        lock(&self.held).retain(|(_, tag)| tag.hash() != hash);
        node.inner.sweeper.want();
    }

    pub(super) fn is_stale(&self, hash: &Hash) -> bool {
        lock(&self.stale).contains_key(hash)
    }

    /// Whether some stale content has `size` bytes: a file of that size
    /// may hold it (a file renamed here), and is hashed before it is
    /// imported, since importing it would extend the stale entry.
    pub(super) fn may_be_stale(&self, size: u64) -> bool {
        size > 0 && lock(&self.stale).values().any(|(_, s)| *s == size)
    }

    /// Adds the content this collection needs kept to `live`.
    pub fn protect(&self, live: &mut HashSet<Hash>) {
        let hashes = self.model().hashes();
        let stale = lock(&self.stale);
        live.extend(hashes.into_iter().filter(|h| !stale.contains_key(h)));
    }

    /// Holds a temp tag of content just taken in for a while.
    pub(super) fn hold(&self, tag: TempTag) {
        // Stale content's entry must go in the next sweep: never held.
        if self.is_stale(&tag.hash()) {
            return;
        }
        let mut held = lock(&self.held);
        let now = Instant::now();
        while held
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > HOLD)
        {
            held.pop_front();
        }
        held.push_back((now, tag));
    }

    /// Takes stale content in again once a sweep removed its entry: from
    /// every indexed file that still holds it and from kept old content.
    pub(super) async fn heal(&self, node: &Node, dir: Option<&Path>, st: &MirrorState) {
        let stale: Vec<(Hash, Instant)> = lock(&self.stale)
            .iter()
            .map(|(h, (t, _))| (*h, *t))
            .collect();
        if stale.is_empty() {
            return;
        }
        let mut swept = HashSet::new();
        for (hash, since) in stale {
            let present = !matches!(
                node.inner.store.status(hash).await,
                Ok(BlobStatus::NotFound)
            );
            if !present {
                swept.insert(hash.to_hex().to_string());
                lock(&self.stale).remove(&hash);
            } else if since.elapsed() > STALE_GIVE_UP {
                lock(&self.stale).remove(&hash);
            } else {
                node.inner.sweeper.want();
            }
        }
        let Some(dir) = dir else { return };
        if swept.is_empty() {
            return;
        }
        let mut sources: Vec<(PathBuf, String)> = st
            .index
            .values()
            .filter(|r| swept.contains(&r.hash.to_hex()))
            .filter(|r| {
                mirror::stat(&dir.join(&*r.path)).is_some_and(|s| s.unchanged_since(&r.stat()))
            })
            .map(|r| (dir.join(&*r.path), r.hash.to_hex()))
            .collect();
        for hex in &swept {
            let kept = dir.join(HISTORY_DIR).join(hex);
            if mirror::stat(&kept).is_some() {
                sources.push((kept, hex.clone()));
            }
        }
        for (path, hex) in sources {
            match reference(node, &path).await {
                Ok((hash, tag)) if hash.to_hex().as_str() == hex => self.hold(tag),
                Ok((hash, _)) => {
                    debug!(path = %path.display(), "changed since it was indexed");
                    self.mark_stale(node, hash, 0);
                }
                Err(e) => debug!("taking in {}: {e}", path.display()),
            }
        }
    }

    /// Moves the file at `rel` (as indexed, with content `hash`) into the
    /// history area, or removes it if that content is kept already.
    /// Nothing is kept when the policy keeps nothing.
    pub(super) async fn keep_aside(
        &self,
        node: &Node,
        dir: &Path,
        rel: &str,
        hash: Hash,
    ) -> std::io::Result<()> {
        let hex = hash.to_hex().to_string();
        let (root, rel_owned, name) = (dir.to_path_buf(), rel.to_string(), hex.clone());
        let size = tokio::task::spawn_blocking(move || {
            mirror::move_aside(&root, &rel_owned, HISTORY_DIR, &name)
        })
        .await
        .map_err(std::io::Error::other)??;
        self.mark_stale(node, hash, size.unwrap_or(0));
        if let Some(size) = size {
            let row = KeptRow {
                hash: hex,
                size,
                kept_at_ms: now_ms(),
            };
            if let Err(e) = node.inner.db.add_kept(self.id, &row) {
                warn!("recording kept content: {e}");
            }
        }
        Ok(())
    }

    /// Removes kept content beyond the collection's policy: older than its
    /// days, or beyond its size limit, oldest first.
    pub(super) async fn trim_kept(&self, node: &Node, dir: &Path, folder_bytes: u64) {
        let Ok(kept) = node.inner.db.kept(self.id) else {
            return;
        };
        let policy = node.inner.db.keep_policy(self.id).unwrap_or_default();
        let budget = policy.budget(folder_bytes);
        let oldest = now_ms().saturating_sub(i64::from(policy.days) * 24 * 3600 * 1000);
        let mut total: u64 = kept.iter().map(|k| k.size).sum();
        for row in kept {
            if total <= budget && row.kept_at_ms >= oldest && !policy.is_off() {
                break;
            }
            let path = dir.join(HISTORY_DIR).join(&row.hash);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    warn!("removing kept content {}: {e}", path.display());
                    continue;
                }
            }
            if let Ok(hash) = Hash::from_str(&row.hash) {
                self.mark_stale(node, hash, row.size);
            }
            node.inner.db.remove_kept(self.id, &row.hash).ok();
            total = total.saturating_sub(row.size);
        }
    }

    /// Applies the retention policy now (it was changed).
    pub(crate) async fn retrim(&self, node: &Node) {
        let Some(dir) = self.dir.clone() else {
            return;
        };
        // Not while a round moves content aside or writes the folder.
        let _mirror = self.mirror.lock().await;
        let bytes = self.model().folder().values().map(|p| p.size).sum();
        self.trim_kept(node, &dir, bytes).await;
    }

    /// Empties the staging area (content staged by an earlier run, or
    /// anything else put there, is never taken as fetched).
    pub(super) async fn clear_staging(&self, dir: &Path) {
        lock(&self.staged).clear();
        let staging = dir.join(STAGING_DIR);
        tokio::task::spawn_blocking(move || {
            if std::fs::symlink_metadata(&staging).is_ok_and(|m| m.is_dir())
                && let Ok(entries) = std::fs::read_dir(&staging)
            {
                for entry in entries.flatten() {
                    std::fs::remove_file(entry.path()).ok();
                }
            }
        })
        .await
        .ok();
    }

    /// Removes staged content no round wants any more.
    pub(super) fn drop_unwanted_staged(&self, dir: &Path, folder: &Folder) {
        let mut staged = lock(&self.staged);
        // Nothing staged (almost always): no need to list what is wanted.
        let wanted: HashSet<Hash> = if staged.is_empty() {
            HashSet::new()
        } else {
            folder.values().map(|p| p.hash).collect()
        };
        staged.retain(|hash| {
            let keep = wanted.contains(hash);
            if !keep {
                std::fs::remove_file(dir.join(STAGING_DIR).join(hash.to_hex().as_str())).ok();
            }
            keep
        });
        // An empty staging area goes while no fetch may write into it.
        if staged.is_empty() && !self.fetching.load(Ordering::SeqCst) {
            std::fs::remove_dir(dir.join(STAGING_DIR)).ok();
        }
    }

    /// Waits (a few seconds at most) until stale content was swept and
    /// taken in again, so a restore finds what is kept here.
    pub(super) async fn wait_until_trusted(&self, hash: Hash) {
        for _ in 0..100 {
            if !self.is_stale(&hash) {
                return;
            }
            self.wake.notify_one();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Where content fetched for this collection goes: straight into its
    /// folder, or into the store for a member without one.
    pub(super) fn sink(&self, node: &Node) -> std::io::Result<crate::collections::fetch::Sink> {
        use crate::collections::fetch::Sink;
        Ok(match &self.dir {
            Some(dir) => Sink::Folder {
                staging: staging_dir(dir)?,
                staged: self.staged.clone(),
            },
            None => Sink::Store(node.inner.store.clone()),
        })
    }

    /// Whether `hash` was fetched into the staging area this run.
    pub(super) fn is_staged(&self, hash: &Hash) -> bool {
        lock(&self.staged).contains(hash)
    }

    /// Puts content at `target`, through `temp` beside it: staged content
    /// is moved there, stored content is copied out verified. Returns the
    /// stat of the file written.
    pub(super) async fn place(
        &self,
        node: &Node,
        dir: &Path,
        hash: Hash,
        target: PathBuf,
        temp: PathBuf,
    ) -> std::io::Result<mirror::Stat> {
        let staged = self
            .is_staged(&hash)
            .then(|| dir.join(STAGING_DIR).join(hash.to_hex().as_str()));
        if let Some(staged) = staged {
            lock(&self.staged).remove(&hash);
            let done =
                tokio::task::spawn_blocking(move || mirror::commit_staged(&staged, &temp, &target))
                    .await
                    .map_err(std::io::Error::other)?;
            return done;
        }
        // Content kept aside here comes back by a rename (a restore, or a
        // member bringing back an old version), once its bytes are checked.
        let hex = hash.to_hex().to_string();
        let kept = dir.join(HISTORY_DIR).join(&hex);
        if let Some(stat) = mirror::stat(&kept) {
            let (from, to) = (kept.clone(), temp.clone());
            let moved = tokio::task::spawn_blocking(move || {
                let intact = crate::transfer::hash_file(&from)? == hash;
                if intact {
                    std::fs::rename(&from, &to)?;
                }
                Ok::<_, std::io::Error>(intact)
            })
            .await
            .map_err(std::io::Error::other)?;
            if let Ok(true) = moved {
                node.inner.db.remove_kept(self.id, &hex).ok();
                // The store's entry may name the kept file's old place.
                self.mark_stale(node, hash, stat.size);
                return tokio::task::spawn_blocking(move || mirror::commit(&temp, &target))
                    .await
                    .map_err(std::io::Error::other)?;
            }
        }
        if let Err(e) = export_verified(node, hash, &temp).await {
            // Gone (swept meanwhile) is not stale: it is fetched again.
            let gone = matches!(
                node.inner.store.status(hash).await,
                Ok(BlobStatus::NotFound)
            );
            if gone {
                lock(&self.have).remove(&hash);
            } else if e.kind() == std::io::ErrorKind::InvalidData {
                self.mark_stale(node, hash, 0);
            }
            return Err(e);
        }
        tokio::task::spawn_blocking(move || mirror::commit(&temp, &target))
            .await
            .map_err(std::io::Error::other)?
    }
}

/// Imports a file by reference (the store keeps its outboard and where it
/// is) and returns its hash with a temp tag that protects it.
pub(super) async fn reference(node: &Node, path: &Path) -> Result<(Hash, TempTag), String> {
    let tag = node
        .inner
        .store
        .add_path_with_opts(AddPathOptions {
            path: path.to_path_buf(),
            format: BlobFormat::Raw,
            mode: ImportMode::TryReference,
        })
        .temp_tag()
        .await
        .map_err(|e| e.to_string())?;
    Ok((tag.hash(), tag))
}

/// Writes stored content to a new file at `target`, every byte verified
/// against the content's outboard on the way: an entry whose referenced
/// file changed fails with `InvalidData` instead of writing wrong bytes.
pub(super) async fn export_verified(node: &Node, hash: Hash, target: &Path) -> std::io::Result<()> {
    if hash == Hash::EMPTY {
        return std::fs::write(target, b"");
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(target)?;
    let written = async {
        let mut items = node
            .inner
            .store
            .export_bao(hash, ChunkRanges::all())
            .stream();
        while let Some(item) = items.next().await {
            match item {
                EncodedItem::Leaf(leaf) => {
                    crate::collections::fetch::write_at(&file, leaf.offset, &leaf.data)?;
                }
                EncodedItem::Error(e) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!(
                            "stored content of {} does not verify: {e}",
                            hash.fmt_short()
                        ),
                    ));
                }
                EncodedItem::Done => break,
                EncodedItem::Size(_) | EncodedItem::Parent(_) => {}
            }
        }
        Ok(())
    }
    .await;
    if written.is_err() {
        std::fs::remove_file(target).ok();
    }
    written
}

/// Makes the staging area of `dir` (a real folder, never a symlink).
pub(crate) fn staging_dir(dir: &Path) -> std::io::Result<PathBuf> {
    safe_path::create_dir(dir, Path::new(STAGING_DIR))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::{NodeConfig, RelayChoice};

    /// Content referenced in place whose file was then rewritten (same
    /// size) is never copied out wrong: the verified export fails and
    /// leaves nothing behind; the intact content copies out whole.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_referenced_file_rewritten_in_place_never_exports_wrong_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = NodeConfig::new(dir.path().join("data"));
        config.relay = RelayChoice::Disabled;
        config.bind_addr = Some("127.0.0.1:0".parse().unwrap());
        let node = Node::start(config).await.unwrap();
        let file = dir.path().join("photo.jpg");
        let original: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&file, &original).unwrap();
        let (hash, _tag) = reference(&node, &file).await.unwrap();

        let out = dir.path().join("copy");
        export_verified(&node, hash, &out).await.unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), original);

        let mut edited = original.clone();
        edited[100_000] ^= 0xff;
        std::fs::write(&file, &edited).unwrap();
        let out = dir.path().join("second copy");
        let err = export_verified(&node, hash, &out).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "{err}");
        assert!(!out.exists(), "nothing is left of a failed export");
        // The store kept no copy of its own to fall back on.
        assert!(
            std::fs::read_dir(node.data_dir().join("blobs/data"))
                .map(|d| d.count())
                .unwrap_or(0)
                == 0
        );
        node.shutdown().await;
    }
}
