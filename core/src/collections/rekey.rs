//! Re-keying: after a member is removed, the remaining members move to a
//! new namespace whose capability the removed one never saw.

use super::*;

/// A member moved a collection to a new namespace (it removed someone).
pub(super) async fn receive_rekey(
    node: &Node,
    peer: EndpointId,
    old: [u8; 32],
    msg: InviteMsg,
) -> InviteReply {
    let old = NamespaceId::from(old);
    let row = match node.inner.db.collections() {
        Ok(rows) => rows.into_iter().find(|r| r.namespace == old.to_string()),
        Err(e) => return InviteReply::Refused(e.to_string()),
    };
    let Some(row) = row else {
        return InviteReply::Refused("this device is not a member of that collection".into());
    };
    match rekey(node, peer, row, msg).await {
        Ok(()) => InviteReply::Accepted,
        Err(e) => InviteReply::Refused(e.to_string()),
    }
}

pub(super) async fn rekey(
    node: &Node,
    peer: EndpointId,
    row: CollectionRow,
    msg: InviteMsg,
) -> Result<(), CollectionError> {
    let collections = node.collections();
    let live = collections.open_row(row).await?;
    if !live.model().is_member(peer.as_bytes()) {
        return Err(CollectionError::NotMember(peer.to_string()));
    }
    let rt = collections.rt();
    let doc = rt
        .docs
        .import_namespace(iroh_docs::Capability::Write(NamespaceSecret::from_bytes(
            &msg.secret,
        )))
        .await
        .map_err(sync_err)?;
    // Every version this device holds (its own written since the remover
    // copied them, and the others', which the remover's copies bring
    // again): the new namespace shows the same folder from the start, so
    // the switch removes nothing from the folder while the sync catches up.
    let all: Vec<Version> = live.model().versions().cloned().collect();
    for version in all {
        let (key, hash, size) = version.encode();
        doc.set_hash(rt.author, key, hash, size)
            .await
            .map_err(sync_err)?;
    }
    let live = collections.switch(live, doc).await?;
    seed_members(node, &live, &msg.members).await?;
    rt.flush().await?;
    live.kick();
    Ok(())
}
