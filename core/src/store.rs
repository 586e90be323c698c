//! Ferry's app state in one SQLite file.
//!
//! One connection, one writer, behind a mutex; every statement is short.
//! Migrations are numbered and append-only, tracked by `PRAGMA user_version`.
//! Nothing of rusqlite leaves this module.

use std::{
    net::SocketAddr,
    path::Path,
    sync::{Arc, Mutex, MutexGuard},
    time::{SystemTime, UNIX_EPOCH},
};

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;

mod collections;
pub(crate) use collections::{CollectionRow, FileRow, InviteRow, KeptRow};

/// The migrations, in order; entry `i` moves the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: settings and transfer history.
    "CREATE TABLE settings (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    ) STRICT;
    CREATE TABLE transfers (
        id                INTEGER PRIMARY KEY,
        direction         TEXT NOT NULL CHECK (direction IN ('send', 'receive')),
        peer              TEXT NOT NULL DEFAULT '',
        root_hash         TEXT NOT NULL,
        label             TEXT NOT NULL DEFAULT '',
        files             INTEGER NOT NULL DEFAULT 0,
        bytes             INTEGER NOT NULL DEFAULT 0,
        bytes_transferred INTEGER NOT NULL DEFAULT 0,
        status            TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
        error             TEXT NOT NULL DEFAULT '',
        path_kind         TEXT NOT NULL DEFAULT '',
        location          TEXT NOT NULL DEFAULT '',
        started_at_ms     INTEGER NOT NULL,
        finished_at_ms    INTEGER
    ) STRICT;
    CREATE INDEX transfers_started ON transfers (started_at_ms);",
    // 2: trusted (paired) devices.
    "CREATE TABLE devices (
        id           TEXT PRIMARY KEY NOT NULL,
        name         TEXT NOT NULL,
        auto_accept  INTEGER NOT NULL DEFAULT 0 CHECK (auto_accept IN (0, 1)),
        paired_at_ms INTEGER NOT NULL,
        addrs        TEXT NOT NULL DEFAULT ''
    ) STRICT;",
    // 3: pushes waiting for their device to come online.
    "CREATE TABLE outbox (
        id            INTEGER PRIMARY KEY,
        device        TEXT NOT NULL,
        device_name   TEXT NOT NULL,
        paths         TEXT NOT NULL,
        text          TEXT,
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        status        TEXT NOT NULL
            CHECK (status IN ('waiting', 'delivered', 'rejected', 'failed', 'expired')),
        error         TEXT NOT NULL DEFAULT ''
    ) STRICT;
    CREATE INDEX outbox_status ON outbox (status);",
    // 4: shared collections, invitations to them, and what each folder holds.
    "CREATE TABLE collections (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        namespace     TEXT NOT NULL UNIQUE,
        dir           TEXT,
        created_at_ms INTEGER NOT NULL,
        last_sync_ms  INTEGER
    ) STRICT;
    CREATE TABLE collection_invites (
        name           TEXT PRIMARY KEY NOT NULL,
        from_device    TEXT NOT NULL,
        from_name      TEXT NOT NULL,
        secret         BLOB NOT NULL,
        members        TEXT NOT NULL,
        received_at_ms INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE collection_files (
        collection INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
        path       TEXT NOT NULL,
        version    BLOB NOT NULL,
        hash       TEXT NOT NULL,
        size       INTEGER NOT NULL,
        mtime_ns   INTEGER NOT NULL,
        conflict   INTEGER NOT NULL DEFAULT 0 CHECK (conflict IN (0, 1)),
        PRIMARY KEY (collection, path)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE collection_pins (
        collection INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
        path       TEXT NOT NULL,
        PRIMARY KEY (collection, path)
    ) STRICT, WITHOUT ROWID;",
    // 5: the relay server a paired device was last reachable through.
    "ALTER TABLE devices ADD COLUMN relay TEXT NOT NULL DEFAULT '';",
    // 6: a folder's files referenced in place (their inode and change time
    // tell an edit that kept size and time), and old content kept aside.
    "ALTER TABLE collection_files ADD COLUMN inode INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE collection_files ADD COLUMN ctime_ns INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE collection_kept (
        collection INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
        hash       TEXT NOT NULL,
        size       INTEGER NOT NULL,
        kept_at_ms INTEGER NOT NULL,
        PRIMARY KEY (collection, hash)
    ) STRICT, WITHOUT ROWID;",
    // 7: how much old content each collection keeps on this device (JSON
    // of a KeepPolicy; NULL: the default).
    "ALTER TABLE collections ADD COLUMN keep TEXT;",
];

/// A handle to the app database; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Db {
    conn: Arc<Mutex<Connection>>,
}

/// Which way a transfer went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// This device sent.
    Send,
    /// This device received.
    Receive,
}

/// How a recorded transfer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// Still running, or the process died while it ran.
    Running,
    /// Every file arrived and was verified.
    Complete,
    /// The transfer stopped with an error.
    Failed,
}

/// One row of the transfer history.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
pub struct TransferRecord {
    /// Row id.
    pub id: i64,
    /// Send or receive.
    pub direction: Direction,
    /// The other device's id.
    pub peer: String,
    /// The root hash of the content.
    pub root_hash: String,
    /// A short human label: the first names of the content.
    pub label: String,
    /// Number of files.
    pub files: u64,
    /// Total payload size in bytes.
    pub bytes: u64,
    /// Payload bytes that crossed the network.
    pub bytes_transferred: u64,
    /// How it ended.
    pub status: TransferStatus,
    /// The error, if it failed.
    pub error: String,
    /// `direct`, `relay` or `local`, when known.
    pub path_kind: String,
    /// Where the files were written (receive) or read from (send).
    pub location: String,
    /// Start time, milliseconds since the Unix epoch.
    pub started_at_ms: i64,
    /// End time, milliseconds since the Unix epoch.
    pub finished_at_ms: Option<i64>,
}

/// The fields of a new history row.
#[derive(Debug, Clone)]
pub(crate) struct NewTransfer<'a> {
    pub direction: Direction,
    pub peer: &'a str,
    pub root_hash: &'a str,
    pub label: &'a str,
    pub files: u64,
    pub bytes: u64,
    pub location: &'a str,
}

/// How a running history row ends.
#[derive(Debug, Clone)]
pub(crate) struct TransferOutcome<'a> {
    pub status: TransferStatus,
    pub bytes_transferred: u64,
    pub path_kind: &'a str,
    pub error: &'a str,
}

fn db_err(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Db {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path).map_err(db_err)?;
        // WAL: readers never block the writer, and a crash leaves a consistent file.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db_err)?;
        // NORMAL is durable across process crashes in WAL mode; only power loss can
        // drop the last commits, which for history rows is an acceptable trade.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(db_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(db_err)?;
        // Another process may hold the file briefly (a second CLI reading history).
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db_err)?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records the start of a transfer and returns its row id.
    pub fn insert_transfer(&self, t: &NewTransfer<'_>) -> Result<i64, StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO transfers
                (direction, peer, root_hash, label, files, bytes, status, location, started_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running', ?7, ?8)",
            params![
                direction_str(t.direction),
                t.peer,
                t.root_hash,
                t.label,
                t.files as i64,
                t.bytes as i64,
                t.location,
                now_ms(),
            ],
        )
        .map_err(db_err)?;
        Ok(conn.last_insert_rowid())
    }

    /// Records how a transfer ended.
    pub fn finish_transfer(&self, id: i64, o: &TransferOutcome<'_>) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE transfers
                 SET status = ?2, bytes_transferred = ?3, path_kind = ?4, error = ?5,
                     finished_at_ms = ?6
                 WHERE id = ?1",
                params![
                    id,
                    status_str(o.status),
                    o.bytes_transferred as i64,
                    o.path_kind,
                    o.error,
                    now_ms()
                ],
            )
            .map(|_| ())
            .map_err(db_err)
    }

    /// Lists the newest transfers first.
    pub fn transfers(&self, limit: u32) -> Result<Vec<TransferRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT id, direction, peer, root_hash, label, files, bytes, bytes_transferred,
                        status, error, path_kind, location, started_at_ms, finished_at_ms
                 FROM transfers ORDER BY started_at_ms DESC, id DESC LIMIT ?1",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map([limit], |r| {
                let direction: String = r.get(1)?;
                let status: String = r.get(8)?;
                Ok(TransferRecord {
                    id: r.get(0)?,
                    direction: if direction == "send" {
                        Direction::Send
                    } else {
                        Direction::Receive
                    },
                    peer: r.get(2)?,
                    root_hash: r.get(3)?,
                    label: r.get(4)?,
                    files: r.get::<_, i64>(5)?.max(0) as u64,
                    bytes: r.get::<_, i64>(6)?.max(0) as u64,
                    bytes_transferred: r.get::<_, i64>(7)?.max(0) as u64,
                    status: match status.as_str() {
                        "complete" => TransferStatus::Complete,
                        "failed" => TransferStatus::Failed,
                        _ => TransferStatus::Running,
                    },
                    error: r.get(9)?,
                    path_kind: r.get(10)?,
                    location: r.get(11)?,
                    started_at_ms: r.get(12)?,
                    finished_at_ms: r.get(13)?,
                })
            })
            .map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
    }

    /// Marks rows left `running` by a process that died as failed.
    pub fn fail_abandoned(&self) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE transfers SET status = 'failed', error = 'interrupted',
                     finished_at_ms = ?1
                 WHERE status = 'running'",
                [now_ms()],
            )
            .map(|_| ())
            .map_err(db_err)
    }
}

impl Db {
    /// A setting's value, if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        use rusqlite::OptionalExtension;
        self.conn()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db_err)
    }

    /// Sets a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(db_err)
    }
}

/// A paired device, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
pub struct Device {
    /// The device id (its public key, hex).
    pub id: String,
    /// Its name, as it gave it or as renamed here. Listed devices carry the
    /// name to show: with the first digits of the id added,
    /// `name (1a2b3c4d)`, where the name could pass for an id or a device
    /// paired earlier has it.
    pub name: String,
    /// Whether pushes from it are accepted without asking.
    pub auto_accept: bool,
    /// When it was (last) paired, milliseconds since the Unix epoch.
    pub paired_at_ms: i64,
    /// Where it was last seen: direct addresses to try first.
    pub addrs: Vec<SocketAddr>,
    /// The relay server it was last reachable through, if any.
    #[serde(default)]
    pub relay: Option<String>,
}

impl Device {
    /// Where to dial it: its id, last known direct addresses and relay;
    /// `None` if the stored id is not a valid device id. (Where discovery
    /// is on, dialling also looks up where it is now.)
    pub fn endpoint_addr(&self) -> Option<iroh::EndpointAddr> {
        let id: iroh::EndpointId = self.id.parse().ok()?;
        let mut addr = self
            .addrs
            .iter()
            .fold(iroh::EndpointAddr::new(id), |addr, a| addr.with_ip_addr(*a));
        if let Some(relay) = self.relay.as_deref().and_then(|r| r.parse().ok()) {
            addr = addr.with_relay_url(relay);
        }
        Some(addr)
    }
}

fn addrs_text(addrs: &[SocketAddr]) -> String {
    addrs
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Db {
    /// Adds a paired device, or refreshes its name if it was paired before
    /// (its auto-accept setting stays, and so does a relay known before
    /// when none is given).
    pub fn upsert_device(
        &self,
        id: &str,
        name: &str,
        addrs: &[SocketAddr],
        relay: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO devices (id, name, paired_at_ms, addrs, relay)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name,
                     paired_at_ms = excluded.paired_at_ms, addrs = excluded.addrs,
                     relay = CASE WHEN excluded.relay = '' THEN relay ELSE excluded.relay END",
                params![id, name, now_ms(), addrs_text(addrs), relay.unwrap_or("")],
            )
            .map(|_| ())
            .map_err(db_err)
    }

    /// Every paired device, by name.
    pub fn devices(&self) -> Result<Vec<Device>, StoreError> {
        self.query_devices("ORDER BY name COLLATE NOCASE, id", [])
    }

    /// One paired device by id (checked on every incoming private connection).
    pub fn device(&self, id: &str) -> Result<Option<Device>, StoreError> {
        Ok(self.query_devices("WHERE id = ?1", [id])?.pop())
    }

    fn query_devices(
        &self,
        clause: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<Device>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT id, name, auto_accept, paired_at_ms, addrs, relay FROM devices {clause}"
            ))
            .map_err(db_err)?;
        let rows = stmt
            .query_map(args, |r| {
                Ok(Device {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    auto_accept: r.get::<_, i64>(2)? != 0,
                    paired_at_ms: r.get(3)?,
                    addrs: r
                        .get::<_, String>(4)?
                        .split_whitespace()
                        .filter_map(|a| a.parse().ok())
                        .collect(),
                    relay: Some(r.get::<_, String>(5)?).filter(|r| !r.is_empty()),
                })
            })
            .map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
    }

    /// Renames a device; false if it is not paired.
    pub fn rename_device(&self, id: &str, name: &str) -> Result<bool, StoreError> {
        self.conn()
            .execute(
                "UPDATE devices SET name = ?2 WHERE id = ?1",
                params![id, name],
            )
            .map(|n| n > 0)
            .map_err(db_err)
    }

    /// Switches auto-accept for a device; false if it is not paired.
    pub fn set_auto_accept(&self, id: &str, on: bool) -> Result<bool, StoreError> {
        self.conn()
            .execute(
                "UPDATE devices SET auto_accept = ?2 WHERE id = ?1",
                params![id, i64::from(on)],
            )
            .map(|n| n > 0)
            .map_err(db_err)
    }

    /// Remembers where a paired device was seen; false if it is not paired.
    pub fn set_device_addrs(&self, id: &str, addrs: &[SocketAddr]) -> Result<bool, StoreError> {
        self.conn()
            .execute(
                "UPDATE devices SET addrs = ?2 WHERE id = ?1",
                params![id, addrs_text(addrs)],
            )
            .map(|n| n > 0)
            .map_err(db_err)
    }

    /// Remembers the relay a paired device was reached through; false if
    /// it is not paired.
    pub fn set_device_relay(&self, id: &str, relay: &str) -> Result<bool, StoreError> {
        self.conn()
            .execute(
                "UPDATE devices SET relay = ?2 WHERE id = ?1",
                params![id, relay],
            )
            .map(|n| n > 0)
            .map_err(db_err)
    }

    /// Forgets a device; false if it was not paired.
    pub fn remove_device(&self, id: &str) -> Result<bool, StoreError> {
        self.conn()
            .execute("DELETE FROM devices WHERE id = ?1", [id])
            .map(|n| n > 0)
            .map_err(db_err)
    }
}

/// A push that waits for its device to come online.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
pub struct OutboxEntry {
    /// Row id.
    pub id: i64,
    /// The receiving device's id.
    pub device_id: String,
    /// Its name when the push was queued.
    pub device_name: String,
    /// What to send (absolute paths, read when delivered).
    pub paths: Vec<std::path::PathBuf>,
    /// Text or a link to send.
    pub text: Option<String>,
    /// When it was queued, milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// When it gives up, milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
    /// Where it stands.
    pub status: OutboxStatus,
    /// Why it failed, if it did.
    pub error: String,
}

/// Where a queued push stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// It waits for its device to come online.
    Waiting,
    /// The device received it.
    Delivered,
    /// The device declined it.
    Rejected,
    /// Sending or receiving failed for good (a file went missing, the
    /// device's disk is full).
    Failed,
    /// The device did not come online in time.
    Expired,
}

impl OutboxStatus {
    /// The lower-case name, as stored and as events and the API show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Delivered => "delivered",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
            Self::Expired => "expired",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "waiting" => Self::Waiting,
            "delivered" => Self::Delivered,
            "rejected" => Self::Rejected,
            "expired" => Self::Expired,
            // Nothing else is ever written; an unknown word is not waiting.
            _ => Self::Failed,
        }
    }
}

impl Db {
    /// Queues a push; returns the new entry.
    pub fn insert_outbox(
        &self,
        device_id: &str,
        device_name: &str,
        paths: &[std::path::PathBuf],
        text: Option<&str>,
        expires_at_ms: i64,
    ) -> Result<OutboxEntry, StoreError> {
        let paths_json = serde_json::to_string(
            &paths
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect::<Vec<_>>(),
        )
        .map_err(|e| StoreError::Database(e.to_string()))?;
        let created = now_ms();
        let conn = self.conn();
        conn.execute(
            "INSERT INTO outbox (device, device_name, paths, text, created_at_ms, expires_at_ms,
                                 status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'waiting')",
            params![
                device_id,
                device_name,
                paths_json,
                text,
                created,
                expires_at_ms
            ],
        )
        .map_err(db_err)?;
        Ok(OutboxEntry {
            id: conn.last_insert_rowid(),
            device_id: device_id.to_string(),
            device_name: device_name.to_string(),
            paths: paths.to_vec(),
            text: text.map(str::to_string),
            created_at_ms: created,
            expires_at_ms,
            status: OutboxStatus::Waiting,
            error: String::new(),
        })
    }

    /// Outbox entries, oldest first; only waiting ones unless `all`.
    pub fn outbox(&self, all: bool) -> Result<Vec<OutboxEntry>, StoreError> {
        let conn = self.conn();
        let sql = if all {
            "SELECT id, device, device_name, paths, text, created_at_ms, expires_at_ms, status,
                    error FROM outbox ORDER BY id"
        } else {
            "SELECT id, device, device_name, paths, text, created_at_ms, expires_at_ms, status,
                    error FROM outbox WHERE status = 'waiting' ORDER BY id"
        };
        let mut stmt = conn.prepare(sql).map_err(db_err)?;
        let rows = stmt
            .query_map([], |r| {
                let paths: String = r.get(3)?;
                Ok(OutboxEntry {
                    id: r.get(0)?,
                    device_id: r.get(1)?,
                    device_name: r.get(2)?,
                    paths: serde_json::from_str::<Vec<String>>(&paths)
                        .unwrap_or_default()
                        .into_iter()
                        .map(std::path::PathBuf::from)
                        .collect(),
                    text: r.get(4)?,
                    created_at_ms: r.get(5)?,
                    expires_at_ms: r.get(6)?,
                    status: OutboxStatus::parse(&r.get::<_, String>(7)?),
                    error: r.get(8)?,
                })
            })
            .map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
    }

    /// Ends a waiting entry with a final status.
    pub fn finish_outbox(
        &self,
        id: i64,
        status: OutboxStatus,
        error: &str,
    ) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE outbox SET status = ?2, error = ?3 WHERE id = ?1 AND status = 'waiting'",
                params![id, status.as_str(), error],
            )
            .map(|_| ())
            .map_err(db_err)
    }
}

fn direction_str(d: Direction) -> &'static str {
    match d {
        Direction::Send => "send",
        Direction::Receive => "receive",
    }
}

fn status_str(s: TransferStatus) -> &'static str {
    match s {
        TransferStatus::Running => "running",
        TransferStatus::Complete => "complete",
        TransferStatus::Failed => "failed",
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(db_err)?;
    let known = MIGRATIONS.len() as u32;
    if version > known {
        return Err(StoreError::TooNew {
            found: version,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction().map_err(db_err)?;
        tx.execute_batch(sql).map_err(db_err)?;
        tx.pragma_update(None, "user_version", i as u32 + 1)
            .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn migrates_once_and_records_history() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ferry.sqlite");
        let db = Db::open(&path).unwrap();
        let id = db
            .insert_transfer(&NewTransfer {
                direction: Direction::Receive,
                peer: "peer",
                root_hash: "abc",
                label: "a.txt",
                files: 1,
                bytes: 10,
                location: "/tmp/x",
            })
            .unwrap();
        db.finish_transfer(
            id,
            &TransferOutcome {
                status: TransferStatus::Complete,
                bytes_transferred: 10,
                path_kind: "local",
                error: "",
            },
        )
        .unwrap();
        drop(db);
        // Reopening runs no migration twice and keeps the rows.
        let db = Db::open(&path).unwrap();
        let rows = db.transfers(10).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].status, TransferStatus::Complete);
        assert_eq!(rows[0].bytes_transferred, 10);
    }

    #[test]
    fn keeps_devices_and_their_settings() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("ferry.sqlite")).unwrap();
        let addr: SocketAddr = "192.168.1.9:4100".parse().unwrap();
        db.upsert_device("aa", "Phone", &[addr], Some("https://relay.example/"))
            .unwrap();
        assert!(db.set_auto_accept("aa", true).unwrap());
        // Pairing again refreshes the name and keeps the setting.
        db.upsert_device("aa", "New phone", &[], None).unwrap();
        let d = db.device("aa").unwrap().unwrap();
        assert_eq!((d.name.as_str(), d.auto_accept), ("New phone", true));
        // ... and the relay it was known by, which is dialled too.
        assert_eq!(d.relay.as_deref(), Some("https://relay.example/"));
        let id = iroh::SecretKey::from_bytes(&[7; 32]).public().to_string();
        let real = Device { id, ..d.clone() };
        let relay_url = real.endpoint_addr().unwrap().relay_urls().next().cloned();
        assert_eq!(relay_url.unwrap().to_string(), "https://relay.example/");
        assert!(db.set_device_relay("aa", "http://10.0.0.1:3340/").unwrap());
        let d = db.device("aa").unwrap().unwrap();
        assert_eq!(d.relay.as_deref(), Some("http://10.0.0.1:3340/"));
        assert!(db.set_device_addrs("aa", &[addr]).unwrap());
        assert_eq!(db.device("aa").unwrap().unwrap().addrs, [addr]);
        assert!(db.rename_device("aa", "Pocket").unwrap());
        assert!(!db.rename_device("bb", "x").unwrap());
        assert!(db.remove_device("aa").unwrap());
        assert!(!db.remove_device("aa").unwrap());
        assert!(db.devices().unwrap().is_empty());
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ferry.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        assert!(matches!(
            Db::open(&path),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }
}
