//! Who is in a collection: invitations sent and accepted, members
//! removed (with a re-key), and leaving.

use super::*;

impl Collections<'_> {
    /// Invites a paired device. The invitation travels over the paired,
    /// authenticated connection; the device accepts it later (or at once,
    /// if it auto-accepts from this one). Returns whether it was accepted.
    pub async fn invite(&self, name: &str, device: &str) -> Result<bool, CollectionError> {
        let live = self.open(name).await?;
        let device = self.node.devices().find(device)?;
        let id: EndpointId = device
            .id
            .parse()
            .map_err(|_| sync_err("a stored device id does not parse"))?;
        // Make it a member first, so its first sync is accepted.
        let addrs = device
            .endpoint_addr()
            .map(|a| ip_addrs(&a))
            .unwrap_or_default();
        live.add_member(
            self.node,
            Member {
                device: *id.as_bytes(),
                name: device.name.clone(),
                addrs,
                left: false,
                time_us: now_us(),
            },
        )
        .await?;
        let secret = live.secret(self.node).await?;
        let mut members: Vec<WireMember> = live
            .model()
            .members()
            .into_iter()
            .map(|m| WireMember {
                id: m.device,
                name: m.name.clone(),
                addrs: m.addrs.clone(),
            })
            .collect();
        // This device's freshest addresses.
        let me = self.node.addr().await;
        if let Some(m) = members
            .iter_mut()
            .find(|m| m.id == *self.node.id().as_bytes())
        {
            m.addrs = ip_addrs(&me);
        }
        let msg = InviteMsg {
            name: live.name.clone(),
            secret: secret.to_bytes(),
            members,
            replaces: None,
        };
        let addr = device
            .endpoint_addr()
            .unwrap_or_else(|| EndpointAddr::new(id));
        send_invite(self.node, addr, &device.name, &msg).await
    }

    /// Removes a member: the collection moves to a new namespace that the
    /// removed device never learns, so it can neither read new changes nor
    /// write. Every version (history included) is carried over; the other
    /// members are told over `ferry/collection/1`. Returns the members that
    /// could not be reached now: they must be invited again.
    pub async fn remove_member(
        &self,
        name: &str,
        device: &str,
    ) -> Result<Vec<String>, CollectionError> {
        let live = self.open(name).await?;
        let me = *self.node.id().as_bytes();
        let members: Vec<Member> = live.model().members().into_iter().cloned().collect();
        let target = find_member(&members, device)
            .ok_or_else(|| CollectionError::NotMember(device.to_string()))?;
        if target.device == me {
            return Err(CollectionError::RemoveSelf);
        }
        let doc = self.rt().docs.create().await.map_err(sync_err)?;
        let author = self.rt().author;
        let versions: Vec<Version> = live.model().versions().cloned().collect();
        for version in versions {
            let (key, hash, size) = version.encode();
            doc.set_hash(author, key, hash, size)
                .await
                .map_err(sync_err)?;
        }
        let remaining: Vec<&Member> = members
            .iter()
            .filter(|m| m.device != target.device)
            .collect();
        for member in &remaining {
            let (key, hash, size) = member.encode();
            doc.set_hash(author, key, hash, size)
                .await
                .map_err(sync_err)?;
        }
        let secret = self
            .rt()
            .sync
            .export_secret_key(doc.id())
            .await
            .map_err(sync_err)?;
        let old = live.namespace;
        let live = self.switch(live, doc).await?;
        live.write_member(self.node, false).await?;
        let mut wire: Vec<WireMember> = remaining
            .iter()
            .map(|m| WireMember {
                id: m.device,
                name: m.name.clone(),
                addrs: m.addrs.clone(),
            })
            .collect();
        let my_addrs = ip_addrs(&self.node.addr().await);
        if let Some(m) = wire.iter_mut().find(|m| m.id == me) {
            m.addrs = my_addrs;
        }
        let msg = InviteMsg {
            name: live.name.clone(),
            secret: secret.to_bytes(),
            members: wire,
            replaces: Some(*old.as_bytes()),
        };
        let mut unreached = Vec::new();
        for member in remaining.iter().filter(|m| m.device != me) {
            let Ok(id) = EndpointId::from_bytes(&member.device) else {
                continue;
            };
            let mut addr = endpoint_addr(id, &member.addrs);
            if let Ok(Some(device)) = self.node.inner.db.device(&id.to_string())
                && let Some(known) = device.endpoint_addr()
            {
                addr.addrs.extend(known.addrs);
            }
            if let Err(e) = send_invite(self.node, addr, &member.name, &msg).await {
                warn!(member = %member.name, "re-key not delivered: {e}");
                unreached.push(member.name.clone());
            }
        }
        Ok(unreached)
    }

    /// Moves a collection to another namespace: the folder and its index
    /// stay (version ids do not change), the old namespace is dropped.
    pub(super) async fn switch(
        &self,
        live: Arc<OpenCollection>,
        doc: Doc,
    ) -> Result<Arc<OpenCollection>, CollectionError> {
        live.stop();
        self.rt().live_map().remove(&live.id);
        self.node.inner.access.drop_collection(live.id);
        self.node
            .inner
            .db
            .set_collection_namespace(live.id, &doc.id().to_string())?;
        live.doc.leave().await.ok();
        live.doc.close().await.ok();
        self.rt().docs.drop_doc(live.namespace).await.ok();
        self.rt().flush().await?;
        let row = self
            .node
            .inner
            .db
            .collection(&live.name)?
            .ok_or_else(|| CollectionError::NotFound(live.name.clone()))?;
        self.open_row(row).await
    }

    /// Invitations waiting for an answer.
    pub fn invites(&self) -> Result<Vec<Invite>, CollectionError> {
        Ok(self
            .node
            .inner
            .db
            .invites()?
            .into_iter()
            .map(|i| Invite {
                name: i.name,
                from: DeviceRef {
                    id: i.from_device,
                    name: i.from_name,
                },
                received_at_ms: i.received_at_ms,
            })
            .collect())
    }

    /// Accepts a pending invitation, into `dir` or into no folder.
    pub async fn accept(
        &self,
        name: &str,
        dir: Option<&Path>,
    ) -> Result<CollectionInfo, CollectionError> {
        let invite = self
            .node
            .inner
            .db
            .invites()?
            .into_iter()
            .find(|i| i.name == name)
            .ok_or_else(|| CollectionError::NoInvite(name.to_string()))?;
        let info = self.accept_invite(&invite, dir).await?;
        self.node.inner.db.remove_invite(name)?;
        Ok(info)
    }

    /// Accepts an invitation into a new folder made for it in `parent`
    /// (never into one that exists).
    pub(super) async fn accept_into(
        &self,
        invite: &InviteRow,
        parent: &Path,
    ) -> Result<CollectionInfo, CollectionError> {
        if self.node.inner.db.collection(&invite.name)?.is_some() {
            return Err(CollectionError::Exists(invite.name.clone()));
        }
        let dir = fresh_dir(parent, &invite.name)?;
        let accepted = self.accept_invite(invite, Some(&dir)).await;
        if accepted.is_err() {
            // Still empty: it was made for this collection a moment ago.
            std::fs::remove_dir(&dir).ok();
        }
        accepted
    }

    pub(super) async fn accept_invite(
        &self,
        invite: &InviteRow,
        dir: Option<&Path>,
    ) -> Result<CollectionInfo, CollectionError> {
        if self.node.inner.db.collection(&invite.name)?.is_some() {
            return Err(CollectionError::Exists(invite.name.clone()));
        }
        let dir = dir.map(prepare_dir).transpose()?;
        let members: Vec<WireMember> = serde_json::from_str(&invite.members).unwrap_or_default();
        let secret = NamespaceSecret::from_bytes(&invite.secret);
        let doc = self
            .rt()
            .docs
            .import_namespace(iroh_docs::Capability::Write(secret))
            .await
            .map_err(sync_err)?;
        self.register(&invite.name, &doc, dir.as_deref()).await?;
        // The inviter's view of the members.
        let live = self.open(&invite.name).await?;
        seed_members(self.node, &live, &members).await?;
        self.rt().flush().await?;
        if live.is_running() {
            live.kick();
        }
        Ok(live.info())
    }

    /// Leaves a collection: the other members stop syncing with this
    /// device. The folder and its files stay as they are.
    pub async fn leave(&self, name: &str) -> Result<(), CollectionError> {
        let live = self.open(name).await?;
        live.write_member(self.node, true).await?;
        // The record reaches the online members before this device stops
        // syncing (the others learn of it later, from any member).
        live.hand_over(self.node, LEAVE_HAND_OVER).await;
        live.stop();
        self.rt().live_map().remove(&live.id);
        self.node.inner.access.drop_collection(live.id);
        live.doc.leave().await.ok();
        live.doc.close().await.ok();
        self.rt()
            .docs
            .drop_doc(live.namespace)
            .await
            .map_err(sync_err)?;
        self.node.inner.db.remove_collection(live.id)?;
        Ok(())
    }
}
