//! The file system side of a folder mirror: walking the folder, and
//! writing and removing files without ever leaving it.
//!
//! Everything here is blocking; the live loop runs it on the blocking pool.

use std::{
    fs, io,
    path::{Path, PathBuf},
    time::UNIX_EPOCH,
};

use super::{ignore::Ignore, model::check_path};
use crate::safe_path;

/// A regular file found in a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DiskFile {
    /// `/`-separated path relative to the folder.
    pub path: String,
    pub stat: Stat,
}

/// What `stat` shows of a file: enough to notice a change without reading
/// it. The inode changes when a file is replaced (a new file renamed over
/// it), the change time with every write, even one that puts the
/// modification time back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Stat {
    pub size: u64,
    pub mtime_ns: i64,
    pub inode: u64,
    pub ctime_ns: i64,
}

impl Stat {
    /// Whether a file showing `self` now is as it was when `recorded` was
    /// taken. A zero inode or change time in `recorded` (an index row from
    /// before they were kept) is not compared.
    pub fn unchanged_since(&self, recorded: &Stat) -> bool {
        self.size == recorded.size
            && self.mtime_ns == recorded.mtime_ns
            && (recorded.inode == 0 || self.inode == recorded.inode)
            && (recorded.ctime_ns == 0 || self.ctime_ns == recorded.ctime_ns)
    }

    /// Whether `recorded` lacks what this stat could add to it.
    pub fn completes(&self, recorded: &Stat) -> bool {
        (recorded.inode == 0 && self.inode != 0) || (recorded.ctime_ns == 0 && self.ctime_ns != 0)
    }
}

/// What a walk found.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    pub files: Vec<DiskFile>,
    /// Names that cannot be synced (not valid on every device), with why.
    pub unsyncable: Vec<(String, String)>,
}

/// The stat of a regular file, not following symlinks.
pub(crate) fn stat(path: &Path) -> Option<Stat> {
    let meta = fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    Some(stat_of(&meta))
}

fn stat_of(meta: &fs::Metadata) -> Stat {
    #[cfg(unix)]
    let (inode, ctime_ns) = {
        use std::os::unix::fs::MetadataExt;
        (
            meta.ino(),
            meta.ctime()
                .saturating_mul(1_000_000_000)
                .saturating_add(meta.ctime_nsec()),
        )
    };
    #[cfg(not(unix))]
    let (inode, ctime_ns) = (0, 0);
    Stat {
        size: meta.len(),
        mtime_ns: mtime_ns(meta),
        inode,
        ctime_ns,
    }
}

fn mtime_ns(meta: &fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Fails unless `root` is a real folder: a collection's folder that was
/// replaced by a symlink is neither read nor written.
pub(crate) fn check_root(root: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(root)?;
    if meta.is_dir() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is not a folder (a symlink is never followed)",
                root.display()
            ),
        ))
    }
}

/// Every regular file under `root` that is not ignored. Symlinks are not
/// followed and not synced; ignored folders are not entered.
pub(crate) fn walk(root: &Path, ignore: &Ignore) -> io::Result<Walk> {
    check_root(root)?;
    let mut out = Walk::default();
    walk_from(root.to_path_buf(), String::new(), ignore, &mut out)?;
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// What [`walk`] would find at the paths of `scope` (relative; a folder
/// stands for everything under it), without reading the rest of the
/// folder. A path under an ignored folder, or under a symlink or anything
/// else than a folder, finds nothing, as the whole walk would.
pub(crate) fn walk_some<'a>(
    root: &Path,
    ignore: &Ignore,
    scope: impl IntoIterator<Item = &'a str>,
) -> io::Result<Walk> {
    check_root(root)?;
    let mut out = Walk::default();
    for rel in scope {
        let Some(abs) = reachable(root, rel, ignore) else {
            continue;
        };
        let Ok(meta) = fs::symlink_metadata(&abs) else {
            continue;
        };
        if meta.is_dir() {
            if !ignore.is_ignored_folder(rel) {
                walk_from(abs, format!("{rel}/"), ignore, &mut out)?;
            }
        } else if meta.is_file() {
            if ignore.is_ignored(rel) {
                continue;
            }
            if let Err(why) = check_path(rel) {
                out.unsyncable.push((rel.to_string(), why));
                continue;
            }
            out.files.push(DiskFile {
                path: rel.to_string(),
                stat: stat_of(&meta),
            });
        }
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.files.dedup_by(|a, b| a.path == b.path);
    Ok(out)
}

/// `root/rel` if every folder on the way is a real, not ignored folder.
fn reachable(root: &Path, rel: &str, ignore: &Ignore) -> Option<PathBuf> {
    let mut at = root.to_path_buf();
    let mut parts = rel.split('/').peekable();
    let mut prefix = String::new();
    while let Some(part) = parts.next() {
        if part.is_empty() || part == "." || part == ".." {
            return None;
        }
        at.push(part);
        if parts.peek().is_some() {
            prefix.push_str(part);
            if ignore.is_ignored_folder(&prefix) {
                return None;
            }
            prefix.push('/');
            let meta = fs::symlink_metadata(&at).ok()?;
            if !meta.is_dir() {
                return None;
            }
        }
    }
    Some(at)
}

/// Adds the files under `dir` (whose relative path is `rel`, ending in
/// `/` unless it is the root) to `out`.
fn walk_from(dir: PathBuf, rel: String, ignore: &Ignore, out: &mut Walk) -> io::Result<()> {
    let top = rel.clone();
    let mut stack = vec![(dir, rel)];
    while let Some((dir, rel)) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            // The root must be readable; a subfolder that vanished or is
            // unreadable is skipped.
            Err(e) if rel == top && top.is_empty() => return Err(e),
            Err(_) => continue,
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                out.unsyncable.push((
                    format!("{rel}{}", name.to_string_lossy()),
                    "the name is not valid UTF-8".into(),
                ));
                continue;
            };
            let path = format!("{rel}{name}");
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                if !ignore.is_ignored_folder(&path) {
                    stack.push((entry.path(), format!("{path}/")));
                }
            } else if meta.is_file() {
                if ignore.is_ignored(&path) {
                    continue;
                }
                if let Err(why) = check_path(&path) {
                    out.unsyncable.push((path, why));
                    continue;
                }
                out.files.push(DiskFile {
                    path,
                    stat: stat_of(&meta),
                });
            }
        }
    }
    Ok(())
}

/// A fresh temp file name in `dir` (ignored by every walk).
pub(crate) fn temp_path(dir: &Path) -> PathBuf {
    dir.join(format!(".ferry-tmp-{:016x}", rand::random::<u64>()))
}

/// Prepares writing `rel` under `root`: creates its folders (never through
/// a symlink) and returns the final path and a temp path beside it.
pub(crate) fn prepare(root: &Path, rel: &str) -> io::Result<(PathBuf, PathBuf)> {
    let clean =
        safe_path::sanitize(rel).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let dir = safe_path::create_parents(root, &clean)?;
    let file_name = clean
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    Ok((dir.join(file_name), temp_path(&dir)))
}

/// Moves a finished temp file over `target` and returns its new stat.
/// `target` must not be a folder or a symlink (a symlink would be replaced,
/// not followed). The data is synced before the rename; the folder is
/// synced by [`sync_dirs`], once for a batch of files.
pub(crate) fn commit(temp: &Path, target: &Path) -> io::Result<Stat> {
    if let Ok(meta) = fs::symlink_metadata(target)
        && meta.is_dir()
    {
        let _ = fs::remove_file(temp);
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} is a folder", target.display()),
        ));
    }
    if let Err(e) = sync_file(temp).and_then(|()| fs::rename(temp, target)) {
        let _ = fs::remove_file(temp);
        return Err(e);
    }
    stat(target).ok_or_else(|| io::Error::other("the file vanished after it was written"))
}

/// Syncs a finished file's data, so that no name ever points at data that
/// a power cut could lose.
fn sync_file(path: &Path) -> io::Result<()> {
    fs::OpenOptions::new().write(true).open(path)?.sync_data()
}

/// Makes fetched content in `staging` durable before it is named in the
/// folder: fetching writes it unsynced. On Linux one `syncfs` for all of
/// it (a sync per file costs a disk cache flush per file), elsewhere each
/// file's data.
pub(crate) fn sync_staged(staging: &Path, hashes: &[iroh_blobs::Hash]) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let _ = hashes;
        rustix::fs::syncfs(fs::File::open(staging)?)?;
        Ok(())
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        for hash in hashes {
            sync_file(&staging.join(hash.to_hex().as_str()))?;
        }
        Ok(())
    }
}

/// Moves a finished temp file to `target` (replacing what is there) and
/// makes both durable: the data before the rename, the folder after.
pub(crate) fn replace(temp: &Path, target: &Path) -> io::Result<()> {
    sync_file(temp)?;
    fs::rename(temp, target)?;
    match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => safe_path::sync_dir(dir),
        _ => Ok(()),
    }
}

/// Syncs every folder that gained or lost a name for `paths` (relative to
/// `root`): the folder of each, and those above it up to `root`, which a
/// write may have created. Folders removed since are skipped (the one
/// above them is synced).
pub(crate) fn sync_dirs(root: &Path, paths: &[impl AsRef<str>]) -> io::Result<()> {
    let mut dirs = std::collections::BTreeSet::new();
    for path in paths {
        let full = root.join(path.as_ref());
        for dir in full.ancestors().skip(1) {
            if !dir.starts_with(root) || !dirs.insert(dir.to_path_buf()) {
                break;
            }
        }
    }
    for dir in dirs {
        match safe_path::sync_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn remove_empty_parents(root: &Path, path: &Path) {
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) {
            break;
        }
        if fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// Moves the file `root/rel` to `root/KEEP/name` (a rename: it stays on
/// its file system, nothing is copied), or removes it when that name is
/// taken already (the same content is kept) or the rename would cross file
/// systems; then removes the folders above it that became empty. Returns
/// the size moved, `None` if nothing was.
pub(crate) fn move_aside(
    root: &Path,
    rel: &str,
    keep: &str,
    name: &str,
) -> io::Result<Option<u64>> {
    let path = root.join(rel);
    let Some(found) = stat(&path) else {
        remove_empty_parents(root, &path);
        return Ok(None);
    };
    let kept = safe_path::create_dir(root, Path::new(keep))?.join(name);
    let moved = if fs::symlink_metadata(&kept).is_ok() {
        fs::remove_file(&path)?;
        None
    } else {
        match fs::rename(&path, &kept) {
            Ok(()) => Some(found.size),
            Err(e) if e.raw_os_error() == Some(EXDEV) => {
                fs::remove_file(&path)?;
                None
            }
            Err(e) => return Err(e),
        }
    };
    remove_empty_parents(root, &path);
    Ok(moved)
}

/// "Cross-device link": a rename between two file systems.
const EXDEV: i32 = 18;

/// Moves staged content (synced when it was staged) over `target` and
/// returns its stat; across file systems (a subfolder that is a mount
/// point) it is copied to `temp` beside `target` first.
pub(crate) fn commit_staged(staged: &Path, temp: &Path, target: &Path) -> io::Result<Stat> {
    if let Ok(meta) = fs::symlink_metadata(target)
        && meta.is_dir()
    {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} is a folder", target.display()),
        ));
    }
    match fs::rename(staged, target) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(EXDEV) => {
            fs::copy(staged, temp)?;
            fs::remove_file(staged).ok();
            return commit(temp, target);
        }
        Err(e) => return Err(e),
    }
    stat(target).ok_or_else(|| io::Error::other("the file vanished after it was written"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_walk_of_some_paths_finds_what_the_whole_walk_finds_there() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "a/one.txt",
            "a/deep/two.txt",
            "b/three.txt",
            "top.txt",
            "skip/x.txt",
        ] {
            fs::create_dir_all(root.join(f).parent().unwrap()).unwrap();
            fs::write(root.join(f), f).unwrap();
        }
        std::os::unix::fs::symlink(root.join("a"), root.join("link")).unwrap();
        let ignore = Ignore::parse("skip/\n");
        let scope = [
            "a",
            "b/three.txt",
            "gone.txt",
            "link/one.txt",
            "skip/x.txt",
            "top.txt",
        ];
        let some = walk_some(root, &ignore, scope).unwrap();
        let paths: Vec<&str> = some.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["a/deep/two.txt", "a/one.txt", "b/three.txt", "top.txt"]
        );
        // The same files, with the same stats, as the whole walk.
        let all = walk(root, &ignore).unwrap();
        for f in &some.files {
            assert!(all.files.contains(f), "{}", f.path);
        }
        assert!(walk_some(root, &ignore, ["b"]).unwrap().files.len() == 1);
        assert!(
            walk_some(root, &ignore, ["../etc"])
                .unwrap()
                .files
                .is_empty()
        );
    }

    #[test]
    fn walks_files_skips_ignored_and_links_and_cleans_up_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::write(root.join("a/b/c.txt"), "c").unwrap();
        fs::write(root.join("top.txt"), "t").unwrap();
        fs::write(root.join("x.swp"), "s").unwrap();
        fs::write(root.join(".ferry-tmp-1"), "s").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc", root.join("link")).unwrap();
        let walk = walk(root, &Ignore::parse("")).unwrap();
        let paths: Vec<&str> = walk.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["a/b/c.txt", "top.txt"]);

        let (target, temp) = prepare(root, "new/deep/file.txt").unwrap();
        fs::write(&temp, "hello").unwrap();
        assert_eq!(commit(&temp, &target).unwrap().size, 5);
        assert_eq!(
            fs::read_to_string(root.join("new/deep/file.txt")).unwrap(),
            "hello"
        );
        move_aside(root, "new/deep/file.txt", ".keep", "f").unwrap();
        assert!(!root.join("new").exists(), "empty folders go too");
        move_aside(root, "a/b/c.txt", ".keep", "c").unwrap();
        assert!(!root.join("a").exists());

        // Kept aside: moved (the same inode), its folder cleaned up; the same
        // content kept twice is one file.
        fs::create_dir_all(root.join("old")).unwrap();
        fs::write(root.join("old/x.txt"), "x").unwrap();
        let inode = stat(&root.join("old/x.txt")).unwrap().inode;
        assert_eq!(
            move_aside(root, "old/x.txt", ".keep", "h").unwrap(),
            Some(1)
        );
        assert_eq!(stat(&root.join(".keep/h")).unwrap().inode, inode);
        assert!(!root.join("old").exists());
        fs::write(root.join("y.txt"), "x").unwrap();
        assert_eq!(move_aside(root, "y.txt", ".keep", "h").unwrap(), None);
        assert!(!root.join("y.txt").exists());
        assert_eq!(move_aside(root, "gone.txt", ".keep", "h").unwrap(), None);
        assert!(root.exists());
        assert!(prepare(root, "../escape").is_err());
        #[cfg(unix)]
        assert!(
            prepare(root, "link/passwd").is_err(),
            "never through a symlink"
        );
    }
}
