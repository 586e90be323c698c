//! Collections in the app database: which ones this device belongs to,
//! invitations waiting for an answer, and the folder index (what the
//! mirror last saw or wrote at each path).

use std::{str::FromStr, sync::Arc};

use iroh_blobs::Hash;
use rusqlite::{OptionalExtension, params};

use super::{Db, db_err, now_ms};
use crate::error::StoreError;

/// A collection this device belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CollectionRow {
    pub id: i64,
    pub name: String,
    /// The iroh-docs namespace id, hex.
    pub namespace: String,
    /// The folder it is mirrored to; `None` on a device without one.
    pub dir: Option<String>,
    pub created_at_ms: i64,
    pub last_sync_ms: Option<i64>,
}

/// An invitation to a collection, not yet accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InviteRow {
    pub name: String,
    pub from_device: String,
    pub from_name: String,
    /// The namespace secret (the write capability).
    pub secret: [u8; 32],
    /// Members and their addresses, JSON.
    pub members: String,
    pub received_at_ms: i64,
}

/// What the folder mirror knows about one path of a folder.
///
/// Every file of every mirrored folder has one in memory, so it is kept
/// small: the path is shared with the index's key, the hash is binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileRow {
    pub path: Arc<str>,
    /// The version whose content the file holds.
    pub version: [u8; 16],
    pub hash: Hash,
    pub size: u64,
    /// Modification time when last seen or written, nanoseconds.
    pub mtime_ns: i64,
    /// The inode and change time when last seen or written (0: not known,
    /// a row from before they were kept).
    pub inode: u64,
    pub ctime_ns: i64,
    /// Whether it is a conflict copy.
    pub conflict: bool,
}

impl Default for FileRow {
    fn default() -> Self {
        Self {
            path: Arc::default(),
            version: [0; 16],
            hash: Hash::EMPTY,
            size: 0,
            mtime_ns: 0,
            inode: 0,
            ctime_ns: 0,
            conflict: false,
        }
    }
}

impl FileRow {
    pub fn stat(&self) -> crate::collections::mirror::Stat {
        crate::collections::mirror::Stat {
            size: self.size,
            mtime_ns: self.mtime_ns,
            inode: self.inode,
            ctime_ns: self.ctime_ns,
        }
    }

    pub fn set_stat(&mut self, stat: crate::collections::mirror::Stat) {
        self.size = stat.size;
        self.mtime_ns = stat.mtime_ns;
        self.inode = stat.inode;
        self.ctime_ns = stat.ctime_ns;
    }
}

/// Old content of a collection's file, kept aside in its folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeptRow {
    pub hash: String,
    pub size: u64,
    pub kept_at_ms: i64,
}

fn collection_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CollectionRow> {
    Ok(CollectionRow {
        id: r.get(0)?,
        name: r.get(1)?,
        namespace: r.get(2)?,
        dir: r.get(3)?,
        created_at_ms: r.get(4)?,
        last_sync_ms: r.get(5)?,
    })
}

const COLLECTION_COLUMNS: &str = "id, name, namespace, dir, created_at_ms, last_sync_ms";

impl Db {
    /// Records a collection; fails if the name or namespace is taken.
    pub fn insert_collection(
        &self,
        name: &str,
        namespace: &str,
        dir: Option<&str>,
    ) -> Result<CollectionRow, StoreError> {
        let conn = self.conn();
        let created = now_ms();
        conn.execute(
            "INSERT INTO collections (name, namespace, dir, created_at_ms) VALUES (?1, ?2, ?3, ?4)",
            params![name, namespace, dir, created],
        )
        .map_err(db_err)?;
        Ok(CollectionRow {
            id: conn.last_insert_rowid(),
            name: name.to_string(),
            namespace: namespace.to_string(),
            dir: dir.map(str::to_string),
            created_at_ms: created,
            last_sync_ms: None,
        })
    }

    /// Every collection, by name.
    pub fn collections(&self) -> Result<Vec<CollectionRow>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {COLLECTION_COLUMNS} FROM collections ORDER BY name"
            ))
            .map_err(db_err)?;
        let rows = stmt.query_map([], collection_from_row).map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
    }

    /// One collection by name.
    pub fn collection(&self, name: &str) -> Result<Option<CollectionRow>, StoreError> {
        self.conn()
            .query_row(
                &format!("SELECT {COLLECTION_COLUMNS} FROM collections WHERE name = ?1"),
                [name],
                collection_from_row,
            )
            .optional()
            .map_err(db_err)
    }

    /// Points a collection at a new namespace (after it was re-keyed).
    pub fn set_collection_namespace(&self, id: i64, namespace: &str) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE collections SET namespace = ?2 WHERE id = ?1",
                params![id, namespace],
            )
            .map(|_| ())
            .map_err(db_err)
    }

    /// Notes that a sync with some member finished now.
    pub fn touch_collection_sync(&self, id: i64) -> Result<i64, StoreError> {
        let now = now_ms();
        self.conn()
            .execute(
                "UPDATE collections SET last_sync_ms = ?2 WHERE id = ?1",
                params![id, now],
            )
            .map_err(db_err)?;
        Ok(now)
    }

    /// Forgets a collection, its folder index and pins (never the files).
    pub fn remove_collection(&self, id: i64) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM collections WHERE id = ?1", [id])
            .map(|_| ())
            .map_err(db_err)
    }

    /// Stores an invitation, replacing an older one of the same name.
    pub fn upsert_invite(&self, invite: &InviteRow) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO collection_invites
                    (name, from_device, from_name, secret, members, received_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (name) DO UPDATE SET from_device = ?2, from_name = ?3,
                    secret = ?4, members = ?5, received_at_ms = ?6",
                params![
                    invite.name,
                    invite.from_device,
                    invite.from_name,
                    &invite.secret[..],
                    invite.members,
                    invite.received_at_ms
                ],
            )
            .map(|_| ())
            .map_err(db_err)
    }

    /// Pending invitations, oldest first.
    pub fn invites(&self) -> Result<Vec<InviteRow>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT name, from_device, from_name, secret, members, received_at_ms
                 FROM collection_invites ORDER BY received_at_ms, name",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map([], |r| {
                let secret: Vec<u8> = r.get(3)?;
                Ok(InviteRow {
                    name: r.get(0)?,
                    from_device: r.get(1)?,
                    from_name: r.get(2)?,
                    secret: secret.try_into().unwrap_or([0; 32]),
                    members: r.get(4)?,
                    received_at_ms: r.get(5)?,
                })
            })
            .map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
    }

    /// Drops an invitation (accepted or declined).
    pub fn remove_invite(&self, name: &str) -> Result<bool, StoreError> {
        self.conn()
            .execute("DELETE FROM collection_invites WHERE name = ?1", [name])
            .map(|n| n > 0)
            .map_err(db_err)
    }

    /// The folder index of a collection.
    pub fn collection_files(&self, collection: i64) -> Result<Vec<FileRow>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT path, version, hash, size, mtime_ns, conflict, inode, ctime_ns
                 FROM collection_files WHERE collection = ?1",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map([collection], |r| {
                let version: Vec<u8> = r.get(1)?;
                let hash: String = r.get(2)?;
                let path: String = r.get(0)?;
                // A row whose hash does not read is left out: its file is
                // then taken for new and looked at again.
                let Ok(hash) = Hash::from_str(&hash) else {
                    return Ok(None);
                };
                Ok(Some(FileRow {
                    path: path.into(),
                    version: version.try_into().unwrap_or([0; 16]),
                    hash,
                    size: r.get::<_, i64>(3)?.max(0) as u64,
                    mtime_ns: r.get(4)?,
                    conflict: r.get::<_, i64>(5)? != 0,
                    inode: r.get::<_, i64>(6)? as u64,
                    ctime_ns: r.get(7)?,
                }))
            })
            .map_err(db_err)?;
        let mut files = Vec::new();
        for row in rows {
            files.extend(row.map_err(db_err)?);
        }
        Ok(files)
    }

    /// Writes index rows and removes paths, in one transaction.
    pub fn update_collection_files(
        &self,
        collection: i64,
        upsert: &[FileRow],
        remove: &[Arc<str>],
    ) -> Result<(), StoreError> {
        if upsert.is_empty() && remove.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(db_err)?;
        {
            let mut put = tx
                .prepare_cached(
                    "INSERT INTO collection_files
                        (collection, path, version, hash, size, mtime_ns, conflict, inode, ctime_ns)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (collection, path) DO UPDATE SET version = ?3, hash = ?4,
                        size = ?5, mtime_ns = ?6, conflict = ?7, inode = ?8, ctime_ns = ?9",
                )
                .map_err(db_err)?;
            for row in upsert {
                put.execute(params![
                    collection,
                    &*row.path,
                    &row.version[..],
                    row.hash.to_hex().as_str(),
                    i64::try_from(row.size).unwrap_or(i64::MAX),
                    row.mtime_ns,
                    i64::from(row.conflict),
                    row.inode as i64,
                    row.ctime_ns
                ])
                .map_err(db_err)?;
            }
            let mut del = tx
                .prepare_cached("DELETE FROM collection_files WHERE collection = ?1 AND path = ?2")
                .map_err(db_err)?;
            for path in remove {
                del.execute(params![collection, &**path]).map_err(db_err)?;
            }
        }
        tx.commit().map_err(db_err)
    }

    /// How much old content a collection keeps here.
    pub fn keep_policy(&self, collection: i64) -> Result<crate::KeepPolicy, StoreError> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT keep FROM collections WHERE id = ?1",
                [collection],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)?
            .flatten();
        // A value this version cannot read keeps the default.
        Ok(text
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default())
    }

    /// Sets how much old content a collection keeps here.
    pub fn set_keep_policy(
        &self,
        collection: i64,
        policy: &crate::KeepPolicy,
    ) -> Result<(), StoreError> {
        let text =
            serde_json::to_string(policy).map_err(|e| StoreError::Database(e.to_string()))?;
        self.conn()
            .execute(
                "UPDATE collections SET keep = ?2 WHERE id = ?1",
                params![collection, text],
            )
            .map(|_| ())
            .map_err(db_err)
    }

    /// Old content kept aside in a collection's folder, oldest first.
    pub fn kept(&self, collection: i64) -> Result<Vec<KeptRow>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT hash, size, kept_at_ms FROM collection_kept WHERE collection = ?1
                 ORDER BY kept_at_ms, hash",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map([collection], |r| {
                Ok(KeptRow {
                    hash: r.get(0)?,
                    size: r.get::<_, i64>(1)?.max(0) as u64,
                    kept_at_ms: r.get(2)?,
                })
            })
            .map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
    }

    /// Records content kept aside (again: its time is renewed).
    pub fn add_kept(&self, collection: i64, row: &KeptRow) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO collection_kept (collection, hash, size, kept_at_ms)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (collection, hash) DO UPDATE SET size = ?3, kept_at_ms = ?4",
                params![
                    collection,
                    row.hash,
                    i64::try_from(row.size).unwrap_or(i64::MAX),
                    row.kept_at_ms
                ],
            )
            .map(|_| ())
            .map_err(db_err)
    }

    /// Forgets kept content (its file was removed).
    pub fn remove_kept(&self, collection: i64, hash: &str) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "DELETE FROM collection_kept WHERE collection = ?1 AND hash = ?2",
                params![collection, hash],
            )
            .map(|_| ())
            .map_err(db_err)
    }

    /// Paths (files or folders) kept offline on a device without a folder.
    pub fn pins(&self, collection: i64) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT path FROM collection_pins WHERE collection = ?1 ORDER BY path")
            .map_err(db_err)?;
        let rows = stmt.query_map([collection], |r| r.get(0)).map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
    }

    /// Pins or unpins a path.
    pub fn set_pin(&self, collection: i64, path: &str, on: bool) -> Result<(), StoreError> {
        let conn = self.conn();
        let sql = if on {
            "INSERT OR IGNORE INTO collection_pins (collection, path) VALUES (?1, ?2)"
        } else {
            "DELETE FROM collection_pins WHERE collection = ?1 AND path = ?2"
        };
        conn.execute(sql, params![collection, path])
            .map(|_| ())
            .map_err(db_err)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keeps_collections_invites_and_the_folder_index() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("f.sqlite")).unwrap();
        let c = db.insert_collection("photos", "ab", Some("/x")).unwrap();
        assert!(db.insert_collection("photos", "cd", None).is_err());
        let row = FileRow {
            path: "a.txt".into(),
            version: [1; 16],
            hash: Hash::new(b"abc"),
            size: 3,
            mtime_ns: 7,
            inode: 12,
            ctime_ns: 8,
            conflict: false,
        };
        db.update_collection_files(c.id, std::slice::from_ref(&row), &[])
            .unwrap();
        assert_eq!(db.collection_files(c.id).unwrap(), vec![row]);
        let kept = KeptRow {
            hash: "h".into(),
            size: 3,
            kept_at_ms: 5,
        };
        db.add_kept(c.id, &kept).unwrap();
        db.add_kept(c.id, &kept).unwrap();
        assert_eq!(db.kept(c.id).unwrap(), vec![kept]);
        db.remove_kept(c.id, "h").unwrap();
        assert!(db.kept(c.id).unwrap().is_empty());
        db.set_pin(c.id, "dir", true).unwrap();
        assert_eq!(db.pins(c.id).unwrap(), vec!["dir".to_string()]);
        db.update_collection_files(c.id, &[], &["a.txt".into()])
            .unwrap();
        assert!(db.collection_files(c.id).unwrap().is_empty());
        let invite = InviteRow {
            name: "music".into(),
            from_device: "id".into(),
            from_name: "laptop".into(),
            secret: [9; 32],
            members: "[]".into(),
            received_at_ms: 1,
        };
        db.upsert_invite(&invite).unwrap();
        assert_eq!(db.invites().unwrap(), vec![invite]);
        assert!(db.remove_invite("music").unwrap());
        db.remove_collection(c.id).unwrap();
        assert!(db.collection("photos").unwrap().is_none());
        assert!(db.pins(c.id).unwrap().is_empty());
    }
}
