//! Keeping the data dir private to its owner.
//!
//! The data dir holds the device key, the collections' write keys and
//! author secrets (the docs store), the API token, the history and every
//! blob. Another user of the same computer must not read any of it, so the
//! data dir is a folder only its owner may enter (0700), and every file and
//! folder in it is owner-only too, as a second line should the folder's
//! mode be loosened later (a backup restored, a `chmod -R`).
//!
//! Files that Ferry writes itself are created owner-only. The stores
//! (SQLite, the blob and docs stores) create theirs with the process's
//! umask, which a library must not change for the whole process (received
//! files take the user's umask), so: their database files are created
//! empty and owner-only before the stores open them, and [`repair`] walks
//! the data dir at every start and clean stop. Anything a store creates in
//! between sits inside the private folder.

use std::{
    fs::OpenOptions,
    io,
    path::{Path, PathBuf},
};

/// Creates `dir` (and missing parents) with its last component private to
/// its owner; an existing folder is made private.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    match builder.create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => make_private(dir),
        Err(e) => Err(e),
    }
}

/// Creates `path` as an empty owner-only file unless it exists, so that a
/// store opening it later keeps that mode (SQLite gives its journal and WAL
/// the database file's mode; redb takes an empty file as a new database).
pub(crate) fn precreate_private_file(path: &Path) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => make_private(path),
        Err(e) => Err(e),
    }
}

/// What [`repair`] changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Repaired {
    /// Entries whose mode lost its group and other bits.
    pub changed: Vec<PathBuf>,
}

/// Takes the group and other permission bits off the data dir and
/// everything in it. Symlinks are neither followed nor changed: nothing in
/// a data dir should be one, and a planted one must not lead the walk (or a
/// `chmod`) outside.
pub(crate) fn repair(root: &Path) -> io::Result<Repaired> {
    let mut repaired = Repaired::default();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            // Removed while we walked (a store's temp file): nothing to guard.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if meta.file_type().is_symlink() {
            continue;
        }
        if loose(&meta) {
            make_private(&path)?;
            repaired.changed.push(path.clone());
        }
        if meta.is_dir() {
            let entries = match std::fs::read_dir(&path) {
                Ok(entries) => entries,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            for entry in entries {
                stack.push(entry?.path());
            }
        }
    }
    Ok(repaired)
}

#[cfg(unix)]
fn loose(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o077 != 0
}

#[cfg(not(unix))]
fn loose(_meta: &std::fs::Metadata) -> bool {
    false
}

/// Keeps the owner's bits of `path` and drops everyone else's.
#[cfg(unix)]
pub(crate) fn make_private(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        // Set-id bits make no sense here either.
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
    }
    Ok(())
}

#[cfg(not(unix))]
pub(crate) fn make_private(_path: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn a_new_data_dir_is_private_and_its_parents_are_not_touched() {
        let base = tempfile::tempdir().unwrap();
        std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let dir = base.path().join("share/ferry");
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(base.path()), 0o755);
        precreate_private_file(&dir.join("db")).unwrap();
        assert_eq!(mode(&dir.join("db")), 0o600);
    }

    #[test]
    fn repair_takes_every_loose_bit_off_and_never_follows_a_symlink() {
        let base = tempfile::tempdir().unwrap();
        let root = base.path().join("data");
        let outside = base.path().join("outside.txt");
        std::fs::write(&outside, b"not ours").unwrap();
        std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::create_dir_all(root.join("blobs/data")).unwrap();
        std::fs::write(root.join("ferry.sqlite"), b"").unwrap();
        std::fs::set_permissions(
            root.join("ferry.sqlite"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        std::fs::write(root.join("blobs/data/x.data"), b"").unwrap();
        std::fs::set_permissions(
            root.join("blobs/data/x.data"),
            std::fs::Permissions::from_mode(0o666),
        )
        .unwrap();
        for dir in [&root, &root.join("blobs"), &root.join("blobs/data")] {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();

        let repaired = repair(&root).unwrap();

        assert_eq!(repaired.changed.len(), 5, "{repaired:?}");
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("blobs/data")), 0o700);
        assert_eq!(mode(&root.join("ferry.sqlite")), 0o600);
        assert_eq!(mode(&root.join("blobs/data/x.data")), 0o600);
        assert_eq!(mode(&outside), 0o644);
        assert_eq!(repair(&root).unwrap(), Repaired::default());
    }
}
