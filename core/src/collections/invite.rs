//! Invitations: `ferry/collection/1` between paired devices. The
//! inviting side sends the collection's write capability and its members;
//! the invited side keeps the invitation (bounded, never replacing
//! another device's) and, for an auto-accept device, accepts it into a
//! new folder of its own.

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct WireMember {
    pub(super) id: [u8; 32],
    pub(super) name: String,
    pub(super) addrs: Vec<SocketAddr>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct InviteMsg {
    pub(super) name: String,
    pub(super) secret: [u8; 32],
    pub(super) members: Vec<WireMember>,
    /// For a re-key: the namespace this one replaces (a member was removed).
    pub(super) replaces: Option<[u8; 32]>,
}

/// Reads an invitation frame's body as the accepting side does (an entry
/// point for the fuzz targets).
#[cfg(feature = "fuzzing")]
pub(crate) fn decode_invite(body: &[u8]) {
    let _ = frame::decode::<InviteMsg>(body);
    let _ = frame::decode::<InviteReply>(body);
}

/// A real invitation body, to seed the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_seed_invite() -> Vec<u8> {
    let msg = InviteMsg {
        name: "Photos".into(),
        secret: [3; 32],
        members: vec![WireMember {
            id: [4; 32],
            name: "Laptop".into(),
            addrs: vec![SocketAddr::from(([192, 168, 1, 20], 41000))],
        }],
        replaces: Some([5; 32]),
    };
    postcard::to_stdvec(&msg).unwrap_or_default()
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) enum InviteReply {
    Pending,
    Accepted,
    Refused(String),
}

/// Sends an invitation (or a re-key) and reads the answer: `Ok(true)` when
/// accepted, `Ok(false)` when it waits for the user.
pub(super) async fn send_invite(
    node: &Node,
    addr: EndpointAddr,
    name: &str,
    msg: &InviteMsg,
) -> Result<bool, CollectionError> {
    let unreachable = |reason: String| CollectionError::Unreachable {
        device: name.to_string(),
        reason,
    };
    let conn = tokio::time::timeout(CONNECT_TIMEOUT, node.inner.endpoint.connect(addr, ALPN))
        .await
        .map_err(|_| unreachable("timed out".into()))?
        .map_err(|e| unreachable(e.to_string()))?;
    let reply = async {
        let (mut send, mut recv) = conn.open_bi().await.map_err(|e| e.to_string())?;
        frame::write(&mut send, msg).await?;
        send.finish().map_err(|e| e.to_string())?;
        frame::read::<InviteReply>(&mut recv)
            .await?
            .ok_or_else(|| "no answer".to_string())
    }
    .await;
    conn.close(0u32.into(), b"done");
    match reply {
        Ok(InviteReply::Accepted) => Ok(true),
        Ok(InviteReply::Pending) => Ok(false),
        Ok(InviteReply::Refused(reason)) => Err(CollectionError::Refused {
            device: name.to_string(),
            reason,
        }),
        Err(e) if e.contains(&net::NOT_PAIRED.to_string()) => Err(CollectionError::Refused {
            device: name.to_string(),
            reason: "it does not trust this device".into(),
        }),
        Err(e) => Err(unreachable(e)),
    }
}

/// Records the members an invitation or re-key names, with time zero: their
/// own records replace these at the first sync, and until then (even across
/// a restart) this device knows whom to sync with.
pub(super) async fn seed_members(
    node: &Node,
    live: &OpenCollection,
    members: &[WireMember],
) -> Result<(), CollectionError> {
    for m in members {
        if m.id != *node.id().as_bytes() && EndpointId::from_bytes(&m.id).is_ok() {
            let member = Member {
                device: m.id,
                name: crate::names::clean_name(&m.name),
                addrs: m.addrs.clone(),
                left: false,
                time_us: 0,
            };
            live.add_member(node, member).await?;
        }
    }
    Ok(())
}

/// The folder the user named for a collection, created if missing. It may
/// hold files already (they join the collection), but it must not be a
/// symlink: the folder that is synced is the one that was named.
pub(super) fn prepare_dir(dir: &Path) -> Result<PathBuf, CollectionError> {
    let io = |source| CollectionError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let symlinked = || std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
    if symlinked() {
        return Err(CollectionError::SymlinkedFolder(dir.to_path_buf()));
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    // Made a symlink while it was being created.
    if symlinked() {
        return Err(CollectionError::SymlinkedFolder(dir.to_path_buf()));
    }
    std::fs::canonicalize(dir).map_err(io)
}

/// The most numbered names tried for a new folder.
pub(super) const MAX_FOLDER_TRIES: u32 = 1000;

/// Creates a new, empty folder for a collection in `parent` (the
/// collections folder, created if missing): `NAME`, or `NAME (1)`,
/// `NAME (2)`… when the name is taken by anything at all, a folder, a file
/// or a symlink. Each try is one `mkdir`, which fails on any existing name
/// and never follows a symlink, so nothing that was there before is ever
/// taken over, even by a race.
pub(super) fn fresh_dir(parent: &Path, name: &str) -> Result<PathBuf, CollectionError> {
    let io = |path: &Path, source| CollectionError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    let parent = std::fs::canonicalize(parent).map_err(|e| io(parent, e))?;
    for n in 0..=MAX_FOLDER_TRIES {
        let candidate = if n == 0 {
            name.to_string()
        } else {
            format!("{name} ({n})")
        };
        // The name is one plain component (checked when the invitation
        // arrived); checked again here, where it becomes a path.
        if model::check_path(&candidate).is_err() || candidate.contains('/') {
            return Err(CollectionError::BadName(name.to_string()));
        }
        let path = parent.join(&candidate);
        match std::fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io(&path, e)),
        }
    }
    Err(CollectionError::Exists(name.to_string()))
}

/// The receiving side of `ferry/collection/1`.
#[derive(Debug, Clone)]
pub(crate) struct InviteProtocol {
    pub node: std::sync::Weak<Inner>,
}

impl ProtocolHandler for InviteProtocol {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let Some(inner) = self.node.upgrade() else {
            return Ok(());
        };
        let node = Node { inner };
        let peer = conn.remote_id();
        // Paired devices invite; members (paired or not) may re-key.
        let device = match node.inner.db.device(&peer.to_string()) {
            Ok(device) => device,
            Err(e) => {
                conn.close(1u32.into(), b"storage");
                return Err(AcceptError::from_err(e));
            }
        };
        if device.is_none() && !node.inner.collections.is_member_anywhere(&peer) {
            net::refuse_stranger(&conn, &node.inner.events);
            return Ok(());
        }
        let (mut send, mut recv) = conn.accept_bi().await?;
        let Ok(Some(msg)) = frame::read::<InviteMsg>(&mut recv).await else {
            conn.close(1u32.into(), b"bad invitation");
            return Ok(());
        };
        let reply = match (msg.replaces, device) {
            (Some(old), _) => receive_rekey(&node, peer, old, msg).await,
            (None, Some(device)) => receive_invite(&node, &device, msg).await,
            (None, None) => InviteReply::Refused("only paired devices may invite".into()),
        };
        if frame::write(&mut send, &reply).await.is_ok() {
            send.finish().ok();
            // Wait for the inviter to read the answer and hang up.
            tokio::time::timeout(Duration::from_secs(5), conn.closed())
                .await
                .ok();
        }
        Ok(())
    }
}

pub(super) async fn receive_invite(
    node: &Node,
    device: &crate::Device,
    msg: InviteMsg,
) -> InviteReply {
    let name = match check_name(&msg.name) {
        Ok(name) => name,
        Err(e) => return InviteReply::Refused(e.to_string()),
    };
    if msg.members.len() > 1000 {
        return InviteReply::Refused("too many members".into());
    }
    let namespace = NamespaceSecret::from_bytes(&msg.secret).id();
    if let Ok(rows) = node.inner.db.collections()
        && rows.iter().any(|r| r.namespace == namespace.to_string())
    {
        return InviteReply::Accepted;
    }
    match node.inner.db.invites() {
        Ok(waiting) => {
            if let Err(reason) = room_for_invite(&waiting, &device.id, &name) {
                return InviteReply::Refused(reason);
            }
        }
        Err(e) => return InviteReply::Refused(format!("storage: {e}")),
    }
    let members = serde_json::to_string(&msg.members).unwrap_or_else(|_| "[]".into());
    let invite = InviteRow {
        name: name.clone(),
        from_device: device.id.clone(),
        from_name: device.name.clone(),
        secret: msg.secret,
        members,
        received_at_ms: crate::store::now_ms(),
    };
    node.inner.events.emit(Event::CollectionInvited {
        name: name.clone(),
        from: DeviceRef {
            id: device.id.clone(),
            name: device.name.clone(),
        },
    });
    let auto_dir = node
        .inner
        .collections
        .auto_accept_dir
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    if let Some(parent) = auto_dir.filter(|_| device.auto_accept) {
        match node.collections().accept_into(&invite, &parent).await {
            Ok(_) => {
                debug!(%name, "accepted an invitation from an auto-accept device");
                return InviteReply::Accepted;
            }
            Err(e) => warn!(%name, "accepting an invitation: {e}"),
        }
    }
    match node.inner.db.upsert_invite(&invite) {
        Ok(()) => InviteReply::Pending,
        Err(e) => InviteReply::Refused(e.to_string()),
    }
}

/// The most invitations that wait for an answer here, from all devices.
pub(super) const MAX_INVITES: usize = 64;
/// The most invitations from one device that wait for an answer here.
pub(super) const MAX_INVITES_PER_DEVICE: usize = 8;

/// Whether an invitation named `name` from `from` may wait here, given the
/// ones that wait; the reason if not. A device may renew its own
/// invitation, but never replace one of that name from another device
/// (the user would accept a collection other than the one they were
/// told of), nor fill the list without end.
pub(super) fn room_for_invite(waiting: &[InviteRow], from: &str, name: &str) -> Result<(), String> {
    if let Some(other) = waiting.iter().find(|i| i.name == name) {
        if other.from_device != from {
            return Err(format!(
                "an invitation named {name:?} from another device is waiting there"
            ));
        }
        return Ok(());
    }
    if waiting.iter().filter(|i| i.from_device == from).count() >= MAX_INVITES_PER_DEVICE {
        return Err(format!(
            "{MAX_INVITES_PER_DEVICE} invitations from this device are waiting there already"
        ));
    }
    if waiting.len() >= MAX_INVITES {
        return Err(format!(
            "{MAX_INVITES} invitations are waiting there already"
        ));
    }
    Ok(())
}
