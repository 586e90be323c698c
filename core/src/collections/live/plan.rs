//! The decisions of a scan and of a sync round, as pure functions of what
//! the index says, what the disk shows and what the collection holds: what
//! a scan imports, and what a round writes into the folder or removes from
//! it. `scan.rs` and `materialize.rs` carry them out.

use std::time::Duration;

use iroh_blobs::Hash;

use super::{FileChange, FileRow, Placed, SETTLE};
pub(crate) use crate::collections::mirror::Stat;
use crate::collections::model::VersionId;

/// What a scan does with a file it found, before reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Look {
    /// The index knows it at this size and time: nothing changed.
    Unchanged,
    /// A writer has it open: look again later.
    Writing,
    /// Modified just now: look again later, and import it then if it has
    /// not changed since.
    Settling,
    /// Read and record it.
    Import,
}

/// What a scan knows about a found file besides its stat.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Found {
    /// The index's size and time for it, if the index knows it.
    pub indexed: Option<Stat>,
    /// Its size and time now.
    pub stat: Stat,
    /// A writer had it open recently (and not too long ago to trust).
    pub being_written: bool,
    /// The watcher saw a writer close it.
    pub closed: bool,
    /// How long ago it was modified.
    pub age: Duration,
    /// The stat it had at the last scan, when that scan left it for later.
    pub left_at: Option<Stat>,
}

/// Whether to import a found file now. An eager scan (asked for, or the
/// first after a start) takes every changed file as it is; otherwise a file
/// being written, or modified within [`SETTLE`] and not yet seen closed or
/// unchanged since the last scan, waits.
pub(crate) fn look(found: &Found, eager: bool) -> Look {
    if found
        .indexed
        .is_some_and(|recorded| found.stat.unchanged_since(&recorded))
    {
        return Look::Unchanged;
    }
    if eager {
        return Look::Import;
    }
    if found.being_written {
        return Look::Writing;
    }
    let young = found.age < SETTLE;
    let stable = found.left_at == Some(found.stat);
    if young && !found.closed && !stable {
        Look::Settling
    } else {
        Look::Import
    }
}

/// What a scan records for a file it read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record {
    /// Same content as indexed (only touched): the index takes the new
    /// stat, no version is written.
    Touched,
    /// A conflict copy was edited: it becomes a file of its own, and the
    /// conflict it showed counts as resolved.
    ResolvedCopy,
    /// New content for a file the index knows: a version after it.
    Edited {
        /// The version it replaces.
        parent: VersionId,
    },
    /// A new file whose content the collection already places there (a
    /// file written by a member, indexed before a crash): index it only.
    AlreadyPlaced {
        /// The version it shows.
        version: VersionId,
    },
    /// A new file: a first version.
    Added,
}

/// What to record for a file read with content `hash`, given the index's
/// row and (asked only for a file the index does not know) what the
/// collection places at its path.
pub(crate) fn record(
    indexed: Option<&FileRow>,
    hash: &Hash,
    placed: impl FnOnce() -> Option<(VersionId, Hash)>,
) -> Record {
    match indexed {
        Some(k) if k.hash == *hash => Record::Touched,
        Some(k) if k.conflict => Record::ResolvedCopy,
        Some(k) => Record::Edited { parent: k.version },
        None => match placed() {
            Some((version, placed_hash)) if placed_hash == *hash => {
                Record::AlreadyPlaced { version }
            }
            _ => Record::Added,
        },
    }
}

impl Record {
    /// The change a listener is told of, if any.
    pub fn change(&self) -> Option<FileChange> {
        match self {
            Self::Touched | Self::AlreadyPlaced { .. } => None,
            Self::ResolvedCopy | Self::Added => Some(FileChange::Added),
            Self::Edited { .. } => Some(FileChange::Modified),
        }
    }
}

/// What a sync round does for a path the collection places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    /// The folder already shows that version.
    UpToDate,
    /// The file holds that content already (another version of the same
    /// bytes, or it became or stopped being a conflict copy): the index
    /// takes the new version, nothing is written.
    Reindex,
    /// The file on disk changed since it was indexed, or is a local file
    /// not imported yet: the scan takes it first, so nothing local is
    /// overwritten.
    Wait,
    /// Write the version (once its content is here) and report the change.
    File(FileChange),
}

/// Whether to write the version `want` over what the index and the disk
/// show at its path. The disk is asked (`on_disk`) only for a version the
/// folder does not show yet: a round over a large collection that changed
/// little reads no stat of the files that did not change.
pub(crate) fn write(
    indexed: Option<&FileRow>,
    want: &Placed,
    on_disk: impl FnOnce() -> Option<Stat>,
) -> Write {
    let conflict = want.conflict_of.is_some();
    if let Some(k) = indexed {
        if k.version == want.version && k.conflict == conflict {
            return Write::UpToDate;
        }
        if k.hash == want.hash {
            return Write::Reindex;
        }
    }
    let safe = match (indexed, on_disk()) {
        (_, None) => true,
        (Some(k), Some(stat)) => stat.unchanged_since(&k.stat()),
        (None, Some(_)) => false,
    };
    if !safe {
        Write::Wait
    } else if conflict {
        Write::File(FileChange::Conflict)
    } else if indexed.is_some() {
        Write::File(FileChange::Modified)
    } else {
        Write::File(FileChange::Added)
    }
}

/// What a sync round does with an indexed file the collection no longer
/// places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Removal {
    /// The file is as indexed: delete it and report the deletion.
    Delete,
    /// Edited here since it was indexed: keep it; the scan records the
    /// edit, which outlives the deletion.
    KeepEdit,
    /// Gone from disk already: only the index forgets it.
    Forget,
}

/// Whether to delete an indexed file the collection no longer places.
pub(crate) fn removal(indexed: &FileRow, on_disk: Option<Stat>) -> Removal {
    match on_disk {
        Some(stat) if stat.unchanged_since(&indexed.stat()) => Removal::Delete,
        Some(_) => Removal::KeepEdit,
        None => Removal::Forget,
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    /// A stat with a fixed inode and change time.
    fn st(size: u64, mtime_ns: i64) -> Stat {
        Stat {
            size,
            mtime_ns,
            inode: 42,
            ctime_ns: mtime_ns,
        }
    }

    fn row(version: u8, content: &[u8], stat: Stat, conflict: bool) -> FileRow {
        let mut row = FileRow {
            path: "a.txt".into(),
            version: [version; 16],
            hash: Hash::new(content),
            conflict,
            ..FileRow::default()
        };
        row.set_stat(stat);
        row
    }

    fn placed(version: u8, content: &[u8], conflict: bool) -> Placed {
        Placed {
            version: [version; 16],
            hash: Hash::new(content),
            size: content.len() as u64,
            conflict_of: conflict.then(|| "a.txt".into()),
        }
    }

    fn hash(content: &[u8]) -> Hash {
        Hash::new(content)
    }

    #[test]
    fn a_scan_skips_what_the_index_knows_and_waits_for_writers() {
        let settled = Found {
            indexed: Some(st(3, 100)),
            stat: st(3, 100),
            age: SETTLE * 10,
            ..Found::default()
        };
        assert_eq!(look(&settled, false), Look::Unchanged);
        assert_eq!(look(&settled, true), Look::Unchanged);

        let changed = Found {
            stat: st(4, 200),
            ..settled
        };
        assert_eq!(look(&changed, false), Look::Import);
        let in_place = Found {
            stat: Stat {
                ctime_ns: 500,
                ..st(3, 100)
            },
            ..settled
        };
        assert_eq!(
            look(&in_place, false),
            Look::Import,
            "same size and time, but written since"
        );

        // Open for writing: later, unless the scan is eager.
        let writing = Found {
            being_written: true,
            ..changed
        };
        assert_eq!(look(&writing, false), Look::Writing);
        assert_eq!(look(&writing, true), Look::Import);

        // Modified just now: later, unless seen closed or unchanged since
        // the last scan left it.
        let young = Found {
            age: SETTLE / 10,
            ..changed
        };
        assert_eq!(look(&young, false), Look::Settling);
        assert_eq!(
            look(
                &Found {
                    closed: true,
                    ..young
                },
                false
            ),
            Look::Import
        );
        assert_eq!(
            look(
                &Found {
                    left_at: Some(st(4, 200)),
                    ..young
                },
                false
            ),
            Look::Import
        );
        assert_eq!(
            look(
                &Found {
                    left_at: Some(st(3, 150)),
                    ..young
                },
                false
            ),
            Look::Settling,
            "it changed again since the last scan"
        );
    }

    #[test]
    fn a_scan_records_edits_new_files_and_resolved_copies() {
        let indexed = row(1, b"old", st(3, 1), false);
        assert_eq!(
            record(Some(&indexed), &hash(b"old"), || unreachable!()),
            Record::Touched
        );
        assert_eq!(
            record(Some(&indexed), &hash(b"new"), || unreachable!()),
            Record::Edited { parent: [1; 16] }
        );
        let copy = row(2, b"theirs", st(6, 1), true);
        assert_eq!(
            record(Some(&copy), &hash(b"edited copy"), || unreachable!()),
            Record::ResolvedCopy
        );
        assert_eq!(record(None, &hash(b"x"), || None), Record::Added);
        assert_eq!(
            record(None, &hash(b"x"), || Some(([7; 16], hash(b"x")))),
            Record::AlreadyPlaced { version: [7; 16] }
        );
        assert_eq!(
            record(None, &hash(b"x"), || Some(([7; 16], hash(b"y")))),
            Record::Added,
            "a local file with other content is a new version"
        );
        assert_eq!(Record::Touched.change(), None);
        assert_eq!(
            Record::Edited { parent: [1; 16] }.change(),
            Some(FileChange::Modified)
        );
        assert_eq!(Record::ResolvedCopy.change(), Some(FileChange::Added));
    }

    #[test]
    fn a_round_never_writes_over_a_local_edit() {
        let indexed = row(1, b"v1", st(2, 10), false);
        let v1 = placed(1, b"v1", false);
        let v2 = placed(2, b"v2", false);
        assert_eq!(
            write(Some(&indexed), &v1, || unreachable!(
                "no stat for an unchanged file"
            )),
            Write::UpToDate
        );
        // Same bytes under a new version: only the index changes.
        assert_eq!(
            write(Some(&indexed), &placed(3, b"v1", false), || Some(st(2, 10))),
            Write::Reindex
        );
        assert_eq!(
            write(Some(&indexed), &v2, || Some(st(2, 10))),
            Write::File(FileChange::Modified)
        );
        assert_eq!(
            write(Some(&indexed), &v2, || None),
            Write::File(FileChange::Modified),
            "deleted here: the newer version comes back"
        );
        assert_eq!(
            write(Some(&indexed), &v2, || Some(st(5, 11))),
            Write::Wait,
            "edited here since: the scan takes the edit first"
        );
        assert_eq!(write(None, &v2, || None), Write::File(FileChange::Added));
        assert_eq!(
            write(None, &v2, || Some(st(1, 1))),
            Write::Wait,
            "a local file not imported yet"
        );
        assert_eq!(
            write(None, &placed(4, b"c", true), || None),
            Write::File(FileChange::Conflict)
        );
    }

    #[test]
    fn a_round_deletes_only_what_is_as_indexed() {
        let indexed = row(1, b"v1", st(2, 10), false);
        assert_eq!(removal(&indexed, Some(st(2, 10))), Removal::Delete);
        assert_eq!(removal(&indexed, Some(st(3, 10))), Removal::KeepEdit);
        let written_back = Stat {
            ctime_ns: 99,
            ..st(2, 10)
        };
        assert_eq!(
            removal(&indexed, Some(written_back)),
            Removal::KeepEdit,
            "rewritten in place with its time put back"
        );
        let replaced = Stat {
            inode: 7,
            ..st(2, 10)
        };
        assert_eq!(removal(&indexed, Some(replaced)), Removal::KeepEdit);
        let mut old_row = indexed.clone();
        old_row.inode = 0;
        old_row.ctime_ns = 0;
        assert_eq!(
            removal(&old_row, Some(replaced)),
            Removal::Delete,
            "a row from before inodes were kept compares size and time"
        );
        assert_eq!(removal(&indexed, None), Removal::Forget);
    }
}
