//! Walking the paths of a share into named items.

use std::{
    collections::HashSet,
    fs,
    path::{Path, PathBuf},
};

use super::ShareError;

/// One entry of a share, named as it will arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Item {
    /// A regular file.
    File {
        name: String,
        path: PathBuf,
        size: u64,
    },
    /// A folder with nothing in it.
    Dir { name: String },
}

/// Walks every path; each arrives under its own last component.
pub(super) fn walk_all(paths: &[PathBuf]) -> Result<Vec<Item>, ShareError> {
    let mut items = Vec::new();
    let mut tops = HashSet::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                ShareError::NotFound(path.clone())
            } else {
                ShareError::Io {
                    path: path.clone(),
                    source,
                }
            }
        })?;
        let absolute = std::path::absolute(path).map_err(|source| ShareError::Io {
            path: path.clone(),
            source,
        })?;
        let name = top_name(&absolute)?;
        if !tops.insert(name.clone()) {
            return Err(ShareError::DuplicateName(name));
        }
        if meta.is_file() {
            items.push(Item::File {
                name,
                path: absolute,
                size: meta.len(),
            });
        } else if meta.is_dir() {
            walk_dir(&absolute, &name, &mut items)?;
        } else {
            return Err(ShareError::Unsupported(path.clone()));
        }
    }
    Ok(items)
}

/// The name a top-level path arrives as: its last component, or the folder
/// name for `.` and `/`-terminated paths (canonicalised first).
fn top_name(path: &Path) -> Result<String, ShareError> {
    let named = match path.file_name() {
        Some(_) => path.to_path_buf(),
        None => fs::canonicalize(path).map_err(|source| ShareError::Io {
            path: path.to_path_buf(),
            source,
        })?,
    };
    let name = named
        .file_name()
        .ok_or_else(|| ShareError::Unsupported(path.to_path_buf()))?;
    name.to_str()
        .map(str::to_string)
        .ok_or_else(|| ShareError::NonUtf8Name(path.to_path_buf()))
}

fn walk_dir(dir: &Path, name: &str, items: &mut Vec<Item>) -> Result<(), ShareError> {
    let io_err = |source| ShareError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut children: Vec<fs::DirEntry> = fs::read_dir(dir)
        .map_err(io_err)?
        .collect::<Result<_, _>>()
        .map_err(io_err)?;
    children.sort_by_key(|e| e.file_name());
    let before = items.len();
    for child in children {
        let path = child.path();
        let child_name = child
            .file_name()
            .to_str()
            .map(str::to_string)
            .ok_or_else(|| ShareError::NonUtf8Name(path.clone()))?;
        if crate::safe_path::is_ferry_name(&child_name) {
            // Ferry's own bookkeeping (a partial download, a temp file) is
            // not the user's data, and receivers refuse the name anyway.
            tracing::debug!("skipping {}", path.display());
            continue;
        }
        let full_name = format!("{name}/{child_name}");
        let file_type = child.file_type().map_err(|source| ShareError::Io {
            path: path.clone(),
            source,
        })?;
        if file_type.is_symlink() {
            // Follow links to files; skip links to folders, which can loop.
            match fs::metadata(&path) {
                Ok(meta) if meta.is_file() => items.push(Item::File {
                    name: full_name,
                    path,
                    size: meta.len(),
                }),
                _ => tracing::debug!("skipping symlink {}", path.display()),
            }
        } else if file_type.is_dir() {
            walk_dir(&path, &full_name, items)?;
        } else if file_type.is_file() {
            let size = child
                .metadata()
                .map_err(|source| ShareError::Io {
                    path: path.clone(),
                    source,
                })?
                .len();
            items.push(Item::File {
                name: full_name,
                path,
                size,
            });
        } else {
            tracing::debug!("skipping special file {}", path.display());
        }
    }
    if items.len() == before {
        items.push(Item::Dir {
            name: name.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_nested_trees_and_keeps_empty_folders() {
        let root = tempfile::tempdir().unwrap();
        let trip = root.path().join("trip");
        fs::create_dir_all(trip.join("day1")).unwrap();
        fs::create_dir_all(trip.join("empty")).unwrap();
        fs::write(trip.join("day1/a.jpg"), b"a").unwrap();
        fs::write(trip.join("b.txt"), b"bb").unwrap();
        let single = root.path().join("note.md");
        fs::write(&single, b"n").unwrap();
        let items = walk_all(&[trip, single]).unwrap();
        let names: Vec<String> = items
            .iter()
            .map(|i| match i {
                Item::File { name, .. } => name.clone(),
                Item::Dir { name } => format!("{name}/"),
            })
            .collect();
        assert_eq!(
            names,
            ["trip/b.txt", "trip/day1/a.jpg", "trip/empty/", "note.md"]
        );
    }

    #[test]
    fn leaves_ferrys_own_files_out() {
        let root = tempfile::tempdir().unwrap();
        let downloads = root.path().join("downloads");
        fs::create_dir_all(downloads.join(".ferry-partial")).unwrap();
        fs::write(downloads.join(".ferry-partial/0a.part"), b"half").unwrap();
        fs::write(downloads.join(".film.mkv.ferry-part"), b"temp").unwrap();
        fs::write(downloads.join("film.mkv"), b"film").unwrap();
        let items = walk_all(&[downloads]).unwrap();
        assert!(
            matches!(&items[..], [Item::File { name, .. }] if name == "downloads/film.mkv"),
            "{items:?}"
        );
    }

    #[test]
    fn refuses_two_paths_with_one_name() {
        let root = tempfile::tempdir().unwrap();
        for d in ["x", "y"] {
            fs::create_dir_all(root.path().join(d)).unwrap();
            fs::write(root.path().join(d).join("same.txt"), b"1").unwrap();
        }
        let err = walk_all(&[
            root.path().join("x/same.txt"),
            root.path().join("y/same.txt"),
        ]);
        assert!(matches!(err, Err(ShareError::DuplicateName(n)) if n == "same.txt"));
        let missing = walk_all(&[root.path().join("nope")]);
        assert!(matches!(missing, Err(ShareError::NotFound(_))));
    }
}
