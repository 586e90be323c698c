//! A collection's files and their versions: listing, history, restoring
//! an old version, keeping files on this device, and writing one out.

use super::*;

impl Collections<'_> {
    /// The files of a collection as every member shows them.
    pub async fn files(&self, name: &str) -> Result<Vec<FileInfo>, CollectionError> {
        let live = self.open(name).await?;
        Ok(live.files(self.node).await)
    }

    /// Every version of `path`, oldest first.
    pub async fn history(
        &self,
        name: &str,
        path: &str,
    ) -> Result<Vec<VersionInfo>, CollectionError> {
        let live = self.open(name).await?;
        let versions = live.history(self.node, path).await;
        if versions.is_empty() {
            return Err(CollectionError::BadPath {
                path: path.to_string(),
                reason: "no such file in this collection, now or before".into(),
            });
        }
        Ok(versions)
    }

    /// Makes version `number` (from [`Collections::history`]) the current
    /// content of `path` on every member; a deleted file comes back.
    pub async fn restore(
        &self,
        name: &str,
        path: &str,
        number: usize,
    ) -> Result<VersionInfo, CollectionError> {
        let live = self.open(name).await?;
        live.restore(self.node, path, number).await?;
        self.rt().flush().await?;
        self.sync_now(name).await?;
        self.history(name, path)
            .await?
            .pop()
            .ok_or_else(|| sync_err("the restored version is missing"))
    }

    /// Sets how much old content `name` keeps on this device; content
    /// beyond the new policy goes at once. Returns the policy set.
    pub async fn set_keep(
        &self,
        name: &str,
        policy: KeepPolicy,
    ) -> Result<KeepPolicy, CollectionError> {
        policy.check()?;
        let live = self.open(name).await?;
        self.node.inner.db.set_keep_policy(live.id, &policy)?;
        live.retrim(self.node).await;
        Ok(policy)
    }

    /// Keeps a file, or every file under a folder, on this device.
    pub async fn pin(&self, name: &str, path: &str, on: bool) -> Result<(), CollectionError> {
        let live = self.open(name).await?;
        let path = path.trim_end_matches('/');
        if !path.is_empty() {
            model::check_path(path).map_err(|reason| CollectionError::BadPath {
                path: path.to_string(),
                reason,
            })?;
        }
        self.node.inner.db.set_pin(live.id, path, on)?;
        live.kick();
        Ok(())
    }

    /// Writes the current content of `path` to `out`, fetching it from an
    /// online member if it is not on this device. Returns its size.
    pub async fn fetch(&self, name: &str, path: &str, out: &Path) -> Result<u64, CollectionError> {
        let live = self.open(name).await?;
        live.fetch_to(self.node, path, out).await
    }
}
